//! Adapters that run other crates' runtime-agnostic code on bobbin.
//!
//! What lives here: one file per crate adapted, each behind a Cargo
//! feature of the same name, so a user who does not ask for it compiles
//! none of it. Today: `hyper` (feature `hyper`), hyper 1.x's runtime
//! traits (`hyper::rt`) implemented with bobbin's sockets, tasks and
//! timers; and `tokio` (feature `tokio-io`), tokio's I/O traits on
//! bobbin's sockets and any futures-io type, with no tokio runtime.
//!
//! Why a feature, when bobbin otherwise has none (STYLE.md §10): hyper is a
//! large dependency that most users of an executor do not need, and the
//! adapters must name its traits, so they cannot live in the user's crate
//! without the newtype dance every user would repeat. The feature adds only
//! the optional `hyper` dependency (no hyper features), see
//! docs/architecture.md, "Dependencies".
//!
//! Invariants: the adapters use bobbin's public API only (`spawn`,
//! `Handle`, `time::Sleep`, the `futures-io` traits), so nothing here can
//! break an invariant of the runtime, and no `unsafe` is needed.
//!
//! Tested by the doc examples here, `executor-tests/tests/compat_hyper.rs`
//! (HTTP/1.1 and HTTP/2 client and server over bobbin TCP, an upgrade, and
//! hyper's header-read timeout fired by bobbin's timer) and
//! `executor-tests/tests/compat_tokio.rs` (tokio-util's `Framed` and a
//! tokio-rustls handshake over bobbin TCP, with no tokio runtime).

#![forbid(unsafe_code)]

#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "tokio-io")]
pub mod tokio;
