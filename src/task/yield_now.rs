//! `yield_now`: let the other tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives the worker to the other tasks queued on it, then resumes.
///
/// The task is woken at once but runs again only after the tasks already
/// queued on its worker, so a hand-written loop that never waits on I/O,
/// timers or channels can share its thread. Outside a task (in `block_on`)
/// it simply returns `Pending` once.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let mut sum = 0u64;
/// for i in 0..1_000u64 {
///     sum += i;
///     if i % 100 == 0 {
///         bobbin::task::yield_now().await;
///     }
/// }
/// assert_eq!(sum, 499_500);
/// # });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

#[must_use = "futures do nothing unless you .await or poll them"]
struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Waking a task during its own poll marks it NOTIFIED; the worker
        // then queues it behind the others (`Schedule::yield_now`).
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
