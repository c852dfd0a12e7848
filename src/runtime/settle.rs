//! `Handle::settle`: waiting until every other task of a runtime is
//! blocked (Go's `synctest.Wait`).

use super::scheduler::{Settler, Shared};
use crate::loom::Arc;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of [`Handle::settle`](super::Handle::settle): ready once
/// every other task of the runtime is blocked.
///
/// # Examples
/// ```
/// use bobbin::runtime::{Handle, Settle};
/// # bobbin::block_on(async {
/// let settle: Settle = Handle::current().settle();
/// settle.await; // nothing else runs: ready at once
/// # });
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Settle {
    shared: Arc<Shared>,
    settler: Option<std::sync::Arc<Settler>>,
}

impl Settle {
    pub(super) fn new(shared: Arc<Shared>) -> Settle {
        Settle {
            shared,
            settler: None,
        }
    }
}

impl Future for Settle {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let settler = match &this.settler {
            Some(settler) => settler,
            None => {
                let settler = this.settler.insert(this.shared.settler());
                // A `block_on` thread calling this holds the runtime from
                // now (it is polling).
                super::block_on::count_this_thread();
                settler
            }
        };
        // Waker first, then the flag: the runtime sets the flag, then
        // takes the waker, so one of the two sees the other.
        settler.set_waker(cx.waker());
        if settler.is_done() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if let Some(settler) = &self.settler
            && !settler.is_done()
        {
            self.shared.forget_settler(settler);
        }
    }
}

impl fmt::Debug for Settle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settle")
            .field("done", &self.settler.as_ref().is_some_and(|s| s.is_done()))
            .finish_non_exhaustive()
    }
}
