//! `Delay`: an internal future that completes at a deadline, woken by the
//! driver (the accept back-off uses it).

use super::{Key, Registered};
use crate::io::driver::IoHandle;
use crate::loom::Arc;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// Completes at `deadline` (or at once if the runtime shut down).
#[must_use = "futures do nothing unless you .await or poll them"]
pub(crate) struct Delay {
    deadline: Instant,
    io: Arc<IoHandle>,
    key: Option<Key>,
}

impl Delay {
    pub(crate) fn new(io: Arc<IoHandle>, deadline: Instant) -> Delay {
        Delay {
            deadline,
            io,
            key: None,
        }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // A fired key (polled before the deadline by a hair) is queued again.
        if let Some(key) = self.key
            && self.io.timers.update(key, cx.waker())
        {
            return Poll::Pending;
        }
        match self.io.timers.register(self.deadline, cx.waker().clone()) {
            Registered::Queued { key, unpark } => {
                self.key = Some(key);
                if unpark {
                    self.io.unpark();
                }
                Poll::Pending
            }
            Registered::Due | Registered::Shutdown => Poll::Ready(()),
        }
    }
}

impl Drop for Delay {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.io.timers.cancel(key);
        }
    }
}
