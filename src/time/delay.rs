//! `Delay`: an internal future that completes at a deadline, woken by the
//! driver (the accept back-off uses it).

use crate::driver::DriverHandle;
use crate::driver::timers::{Armed, Key};
use crate::loom::Arc;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// Completes at `deadline` (or at once if the runtime shut down).
#[must_use = "futures do nothing unless you .await or poll them"]
pub(crate) struct Delay {
    deadline: Instant,
    driver: Arc<DriverHandle>,
    key: Option<Key>,
}

impl Delay {
    pub(crate) fn new(driver: Arc<DriverHandle>, deadline: Instant) -> Delay {
        Delay {
            deadline,
            driver,
            key: None,
        }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.driver.timers.clock.now() >= self.deadline {
            return Poll::Ready(());
        }
        // A fired key (polled before the deadline by a hair) is queued again.
        if let Some(key) = self.key
            && self.driver.timers.update(key, cx.waker())
        {
            return Poll::Pending;
        }
        match self
            .driver
            .timers
            .register(self.deadline, cx.waker().clone())
        {
            Armed::Queued { key, unpark } => {
                self.key = Some(key);
                if unpark {
                    self.driver.unpark();
                }
                Poll::Pending
            }
            Armed::Due | Armed::Shutdown => Poll::Ready(()),
        }
    }
}

impl Drop for Delay {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.driver.timers.cancel(key);
        }
    }
}
