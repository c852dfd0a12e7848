//! `CancellationToken`: a signal that many tasks wait on and any holder can
//! raise, arranged in a tree (tokio-util's design and API).
//!
//! How it is built: the tokens of one tree share a `Tree`, a mutex around a
//! slab of nodes (each with its parent, its children and how many token
//! handles point at it), and every node has a `NodeShared` outside the lock:
//! the cancelled flag (an atomic, so `is_cancelled` takes no lock) and a
//! [`Notify`] its waiters queue on. Cancelling marks the node and its whole
//! subtree under the tree's one lock, then, after the lock, calls
//! `notify_waiters` on each: a `Notified` made before the flag was set and
//! polled after sees the call (Notify's invariant 3), so no waiter sleeps
//! through a cancellation.
//!
//! Why one lock per tree and not one per node (tokio-util's choice): the
//! structure changes only when a child is made, a node's last handle goes
//! or a subtree is cancelled, which are rare beside waiting and checking;
//! one lock makes re-parenting (a dropped node's children move to its
//! parent, so cancelling the grandparent still reaches them) a plain slab
//! edit with no lock ordering to get right.
//!
//! Invariants (under the tree's lock): a node is in the slab while a
//! handle points at it; `parent`/`slot_in_parent` and the parent's
//! `children` entry name each other; a cancelled node's subtree is
//! cancelled (children made later are cancelled at birth).

use super::Notify;
use super::notify::Notified;
use crate::loom::{Arc, Mutex, lock};
use slab::Slab;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release};
use std::task::{Context, Poll};

/// A token that signals cancellation to the tasks that watch it. Clones
/// share one signal; [`child_token`](CancellationToken::child_token) makes
/// a token that is cancelled with its parent (but not the reverse).
///
/// Typical use: a server keeps the root, each connection task gets a child
/// and `select!`s its work against [`cancelled`](CancellationToken::cancelled);
/// shutting down is one `cancel()` on the root.
///
/// # Examples
/// ```
/// use bobbin::sync::CancellationToken;
/// # bobbin::block_on(async {
/// let token = CancellationToken::new();
/// let worker = {
///     let token = token.child_token();
///     bobbin::spawn(async move {
///         token.cancelled().await;
///         "stopped"
///     })
/// };
/// token.cancel();
/// assert_eq!(worker.await.unwrap(), "stopped");
/// # });
/// ```
pub struct CancellationToken {
    tree: Arc<Tree>,
    node: Arc<NodeShared>,
    key: usize,
}

/// What a waiter needs without the tree's lock.
struct NodeShared {
    /// Set (Release) before the waiters are notified; read with Acquire,
    /// so a task that sees it sees what the canceller did before.
    cancelled: AtomicBool,
    waiters: Notify,
}

struct Tree {
    nodes: Mutex<Slab<Node>>,
}

struct Node {
    shared: Arc<NodeShared>,
    parent: Option<usize>,
    /// This node's key in its parent's `children`.
    slot_in_parent: usize,
    children: Slab<usize>,
    handles: usize,
}

impl CancellationToken {
    /// A new token, not cancelled, the root of its own tree.
    ///
    /// # Examples
    /// ```
    /// let token = bobbin::sync::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> CancellationToken {
        let shared = Arc::new(NodeShared::new(false));
        let mut nodes = Slab::new();
        let key = nodes.insert(Node {
            shared: shared.clone(),
            parent: None,
            slot_in_parent: 0,
            children: Slab::new(),
            handles: 1,
        });
        CancellationToken {
            tree: Arc::new(Tree {
                nodes: Mutex::new(nodes),
            }),
            node: shared,
            key,
        }
    }

    /// A token that is cancelled when this one is (or at once, if this one
    /// is cancelled already). Cancelling the child does not cancel this
    /// token. A child outlives its parent's handles: if they are all
    /// dropped, the child hangs on the grandparent.
    ///
    /// # Examples
    /// ```
    /// let parent = bobbin::sync::CancellationToken::new();
    /// let child = parent.child_token();
    /// child.cancel();
    /// assert!(!parent.is_cancelled());
    /// let other = parent.child_token();
    /// parent.cancel();
    /// assert!(other.is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        let mut nodes = lock(&self.tree.nodes);
        let cancelled = nodes[self.key].shared.is_cancelled();
        let shared = Arc::new(NodeShared::new(cancelled));
        let key = nodes.insert(Node {
            shared: shared.clone(),
            parent: Some(self.key),
            slot_in_parent: 0,
            children: Slab::new(),
            handles: 1,
        });
        let slot = nodes[self.key].children.insert(key);
        nodes[key].slot_in_parent = slot;
        CancellationToken {
            tree: self.tree.clone(),
            node: shared,
            key,
        }
    }

    /// Cancels this token and every token below it in the tree, and wakes
    /// every task waiting on them. Cancelling twice does nothing more.
    ///
    /// # Examples
    /// ```
    /// let token = bobbin::sync::CancellationToken::new();
    /// let clone = token.clone();
    /// token.cancel();
    /// assert!(clone.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        if self.node.is_cancelled() {
            return;
        }
        let mut woken = Vec::new();
        {
            let nodes = lock(&self.tree.nodes);
            let mut stack = vec![self.key];
            while let Some(key) = stack.pop() {
                let node = &nodes[key];
                if node.shared.is_cancelled() {
                    // Its subtree was cancelled with it.
                    continue;
                }
                // Release: pairs with the Acquire of `is_cancelled`.
                node.shared.cancelled.store(true, Release);
                woken.push(node.shared.clone());
                stack.extend(node.children.iter().map(|(_, &child)| child));
            }
        }
        for node in woken {
            node.waiters.notify_waiters();
        }
    }

    /// True once this token (or an ancestor) has been cancelled.
    ///
    /// # Examples
    /// ```
    /// let token = bobbin::sync::CancellationToken::new();
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// Waits until the token is cancelled; at once if it is already.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future only stops the waiting.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// # bobbin::block_on(async {
    /// let token = bobbin::sync::CancellationToken::new();
    /// let canceller = token.clone();
    /// bobbin::spawn(async move {
    ///     bobbin::time::sleep(Duration::from_millis(10)).await;
    ///     canceller.cancel();
    /// });
    /// token.cancelled().await;
    /// assert!(token.is_cancelled());
    /// # });
    /// ```
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            node: &self.node,
            notified: self.node.waiters.notified(),
        }
    }

    /// As [`cancelled`](CancellationToken::cancelled), owning a clone of the
    /// token, so the future is `'static` (to move into a spawned task).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let token = bobbin::sync::CancellationToken::new();
    /// let waiter = bobbin::spawn(token.clone().cancelled_owned());
    /// token.cancel();
    /// waiter.await.unwrap();
    /// # });
    /// ```
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        WaitForCancellationFutureOwned {
            inner: Box::pin(async move { self.cancelled().await }),
        }
    }

    /// A guard that cancels the token when it is dropped (unless
    /// [`disarm`](DropGuard::disarm)ed): cancellation tied to a scope.
    ///
    /// # Examples
    /// ```
    /// let token = bobbin::sync::CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// }
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// Runs `future` until it completes (`Some(output)`) or the token is
    /// cancelled (`None`, and `future` is dropped). A token already
    /// cancelled wins before `future` is polled.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let token = bobbin::sync::CancellationToken::new();
    /// assert_eq!(token.run_until_cancelled(async { 5 }).await, Some(5));
    /// token.cancel();
    /// let never = std::future::pending::<u8>();
    /// assert_eq!(token.run_until_cancelled(never).await, None);
    /// # });
    /// ```
    pub async fn run_until_cancelled<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        let mut cancelled = std::pin::pin!(self.cancelled());
        std::future::poll_fn(|cx| {
            if cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }

    /// As [`run_until_cancelled`](CancellationToken::run_until_cancelled),
    /// taking the token: the future is `'static` when `future` is, so it
    /// can be spawned.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let token = bobbin::sync::CancellationToken::new();
    /// let task = bobbin::spawn(token.child_token().run_until_cancelled_owned(std::future::pending::<()>()));
    /// token.cancel();
    /// assert_eq!(task.await.unwrap(), None);
    /// # });
    /// ```
    pub async fn run_until_cancelled_owned<F: Future>(self, future: F) -> Option<F::Output> {
        self.run_until_cancelled(future).await
    }
}

impl NodeShared {
    fn new(cancelled: bool) -> NodeShared {
        NodeShared {
            cancelled: AtomicBool::new(cancelled),
            waiters: Notify::new(),
        }
    }

    fn is_cancelled(&self) -> bool {
        // Acquire: pairs with the Release in `cancel`.
        self.cancelled.load(Acquire)
    }
}

impl Clone for CancellationToken {
    /// Another handle to the same token: cancelling either cancels both.
    fn clone(&self) -> CancellationToken {
        lock(&self.tree.nodes)[self.key].handles += 1;
        CancellationToken {
            tree: self.tree.clone(),
            node: self.node.clone(),
            key: self.key,
        }
    }
}

impl Drop for CancellationToken {
    /// The last handle of a node takes it out of the tree; its children
    /// move to its parent, so an ancestor's cancel still reaches them.
    fn drop(&mut self) {
        let mut nodes = lock(&self.tree.nodes);
        let node = &mut nodes[self.key];
        node.handles -= 1;
        if node.handles > 0 {
            return;
        }
        let node = nodes.remove(self.key);
        if let Some(parent) = node.parent {
            nodes[parent].children.remove(node.slot_in_parent);
        }
        for (_, child) in node.children {
            nodes[child].parent = node.parent;
            if let Some(parent) = node.parent {
                let slot = nodes[parent].children.insert(child);
                nodes[child].slot_in_parent = slot;
            }
        }
    }
}

impl Default for CancellationToken {
    fn default() -> CancellationToken {
        CancellationToken::new()
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// The future of [`CancellationToken::cancelled`].
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let token = bobbin::sync::CancellationToken::new();
    /// token.cancel();
    /// let wait: bobbin::sync::WaitForCancellationFuture<'_> = token.cancelled();
    /// wait.await;
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WaitForCancellationFuture<'a> {
        node: &'a NodeShared,
        #[pin]
        notified: Notified<'a>,
    }
}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // The Notified was made before this check: a cancel after it calls
        // `notify_waiters`, which the Notified sees even if it is first
        // polled after that call.
        if this.node.is_cancelled() {
            return Poll::Ready(());
        }
        // Ready only after a `notify_waiters`, which only `cancel` calls
        // (after setting the flag).
        this.notified.poll(cx)
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture")
            .finish_non_exhaustive()
    }
}

/// The future of [`CancellationToken::cancelled_owned`].
///
/// # Examples
/// See [`CancellationToken::cancelled_owned`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitForCancellationFutureOwned {
    inner: Pin<Box<dyn Future<Output = ()> + Send + Sync>>,
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned")
            .finish_non_exhaustive()
    }
}

/// Cancels its token when dropped; made by
/// [`CancellationToken::drop_guard`].
///
/// # Examples
/// ```
/// let token = bobbin::sync::CancellationToken::new();
/// let guard = token.clone().drop_guard();
/// let kept = guard.disarm();
/// assert!(!kept.is_cancelled());
/// ```
#[must_use = "the token is cancelled at once if the guard is not kept"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    ///
    /// # Examples
    /// See [`DropGuard`].
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a DropGuard holds its token until it is disarmed or dropped")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("token", &self.token)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn tree_len(token: &CancellationToken) -> usize {
        lock(&token.tree.nodes).len()
    }

    #[test]
    fn a_dropped_middle_node_hands_its_children_to_its_parent() {
        let root = CancellationToken::new();
        let middle = root.child_token();
        let leaf = middle.child_token();
        drop(middle);
        assert_eq!(tree_len(&root), 2, "the middle node left the tree");
        root.cancel();
        assert!(leaf.is_cancelled(), "the grandparent's cancel reached it");
    }

    #[test]
    fn clones_share_a_node_and_the_last_one_frees_it() {
        let root = CancellationToken::new();
        let child = root.child_token();
        let clone = child.clone();
        assert_eq!(tree_len(&root), 2);
        drop(child);
        assert_eq!(tree_len(&root), 2, "a clone still holds the node");
        drop(clone);
        assert_eq!(tree_len(&root), 1);
    }

    #[test]
    fn a_child_of_a_cancelled_token_is_born_cancelled() {
        let root = CancellationToken::new();
        root.cancel();
        assert!(root.child_token().is_cancelled());
    }
}
