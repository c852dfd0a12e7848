//! bobbin: run many futures as tasks on a few threads.
//!
//! Tasks are stackless futures, lighter than goroutines: one heap cell each,
//! woken without allocating. A work-stealing scheduler runs any number of
//! them on a few worker threads (M:N).
//!
//! How it fits together: [`runtime`] owns the workers and the global
//! runtime; [`task`] is the unit they run and the handles to it; [`io`] and
//! [`net`] park tasks until their sockets are ready; [`time`] wakes them at
//! deadlines; [`channel`] and [`select!`] let tasks share by communicating.
//! With the `hyper` feature, `compat::hyper` runs hyper 1.x on bobbin; with
//! `tokio-io`, `compat::tokio` gives bobbin's sockets tokio's I/O traits.
//!
//! # Examples
//! ```
//! let total = bobbin::block_on(async {
//!     let tasks: Vec<_> = (1..=10u64).map(|i| bobbin::spawn(async move { i * i })).collect();
//!     let mut total = 0;
//!     for task in tasks {
//!         total += task.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 385);
//! ```
#![deny(missing_docs)]
#![warn(unsafe_op_in_unsafe_fn, missing_debug_implementations, unreachable_pub)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod channel;
#[cfg(any(feature = "hyper", feature = "tokio-io"))]
pub mod compat;
mod driver;
pub mod fs;
pub mod io;
mod loom;
pub mod net;
#[cfg(unix)]
pub mod process;
pub mod runtime;
#[cfg(unix)]
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

pub use bobbin_macros::{main, test};
pub use runtime::{Runtime, block_on, spawn, spawn_blocking};
pub use task::JoinHandle;

#[doc(hidden)]
pub use channel::select::__private;

/// The guide for people coming from Go, compiled and run as doc tests so
/// its examples cannot rot (`docs/from-goroutines.md`).
#[cfg(doctest)]
#[doc = include_str!("../docs/from-goroutines.md")]
pub struct FromGoroutines;

/// The guide for people coming from tokio, its examples run as doc tests
/// (they use the `hyper` and `tokio-io` features, which the workspace's
/// tests turn on: `docs/from-tokio.md`).
#[cfg(all(doctest, feature = "hyper", feature = "tokio-io"))]
#[doc = include_str!("../docs/from-tokio.md")]
pub struct FromTokio;

/// The README's example, run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadMe;

/// The testing guide's examples, run as doc tests (`docs/testing.md`).
#[cfg(doctest)]
#[doc = include_str!("../docs/testing.md")]
pub struct Testing;

/// The debugging guide's examples, run as doc tests
/// (`docs/debugging.md`).
#[cfg(doctest)]
#[doc = include_str!("../docs/debugging.md")]
pub struct Debugging;
