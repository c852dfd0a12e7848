//! I/O: the reactor that parks tasks blocked on I/O until their resource is
//! ready, and [`Async`], which registers any mio source with it.
//!
//! What lives here: the driver (`driver.rs`: one `mio::Poll` and the slab of
//! registered resources), the per-resource readiness and waiters
//! (`scheduled_io.rs`), a resource's registration (`registration.rs`), and
//! the public [`Async`] wrapper (`async_io.rs`). The socket types built on
//! it are in [`crate::net`].
//!
//! Why mio, edge-triggered, with a slab: mio is the portable readiness API
//! every Rust runtime shares; edge-triggered registration is one syscall
//! per resource for its whole life (level-triggered or oneshot modes would
//! re-arm after every event); the slab gives each resource a small token
//! with a generation, so a late event for a closed resource never reaches
//! the resource that reused its slot.
//!
//! Invariants: readiness is only cleared by an operation that observed it
//! and then got `WouldBlock` (or, on a byte stream, moved fewer bytes than
//! asked, which keeps end of stream; or by `ReadyGuard::clear_ready`), and
//! only if no newer event arrived (the tick check), so no edge is lost;
//! waiters are woken only after the slab lock is released. Tested by the unit tests in `scheduled_io.rs` and the socket
//! tests in `executor-tests/tests/net_*.rs`.

#![forbid(unsafe_code)]

mod async_io;
pub(crate) mod registration;

pub use async_io::{Async, ReadyGuard};
