//! The `try_*` operations: run a readiness-driven operation once, without
//! waiting.

use std::io;
use std::task::{Context, Poll, Waker};

/// Polls `op` once with a waker that does nothing: ready gives its result,
/// pending becomes `WouldBlock`.
///
/// Going through the `poll_*_with` path (rather than calling the socket
/// directly) matters: an operation that reports `WouldBlock` clears the
/// readiness it acted on, so a later `readable().await` waits for a new
/// event instead of returning at once, forever. The no-op waker it may
/// leave among the resource's waiters is dropped at the next event.
pub(crate) fn try_now<R>(
    op: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<R>>,
) -> io::Result<R> {
    match op(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}
