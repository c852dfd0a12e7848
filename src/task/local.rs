//! Task-local values: [`task_local!`](crate::task_local) declares a key,
//! [`LocalKey::scope`] runs a future with a value for it, and code polled
//! inside reads it with [`LocalKey::with`] (tokio's `task_local!`).
//!
//! How it works: each key is a thread-local slot. A [`TaskLocalFuture`]
//! holds the value between polls; around each poll of its future it swaps
//! the value into the slot and back out, so the value is there exactly
//! while that future runs, on whichever worker polls it, and never in a
//! neighbour polled by the same thread. A task spawned inside a scope is
//! another future, polled outside it: it does not see the value, unless
//! [`task::Builder::inherit`](crate::task::Builder::inherit) gives it a
//! clone at its spawn.
//!
//! Nothing here needs a runtime: a scope works under any executor.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: Type;`, one or more.
///
/// A key has no value outside a [`scope`](crate::task::LocalKey::scope);
/// inside it, code polled by the scope's future reads the value with
/// [`with`](crate::task::LocalKey::with) or
/// [`try_with`](crate::task::LocalKey::try_with).
///
/// # Examples
/// ```
/// bobbin::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// async fn log(message: &str) -> String {
///     REQUEST_ID.with(|id| format!("[{id}] {message}"))
/// }
///
/// # bobbin::block_on(async {
/// let line = REQUEST_ID.scope(42, log("hello")).await;
/// assert_eq!(line, "[42] hello");
/// assert!(REQUEST_ID.try_with(|_| ()).is_err(), "no value outside the scope");
/// # });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __BOBBIN_TASK_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(&__BOBBIN_TASK_LOCAL)
        };
    };
}

/// A task-local key, declared with [`task_local!`](crate::task_local).
///
/// # Examples
/// See [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: &'static std::thread::LocalKey<RefCell<Option<T>>>) -> Self {
        LocalKey { slot }
    }

    /// Runs `future` with `value` for this key: code that `future` polls
    /// reads it with [`with`](LocalKey::with). The value is dropped with
    /// the returned future.
    ///
    /// # Examples
    /// See [`task_local!`](crate::task_local).
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with `value` for this key (a synchronous scope).
    ///
    /// # Examples
    /// ```
    /// bobbin::task_local! { static DEPTH: u8; }
    /// assert_eq!(DEPTH.sync_scope(3, || DEPTH.get()), 3);
    /// ```
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut value = Some(value);
        let _entered = Entered::new(self, &mut value);
        f()
    }

    /// Calls `f` with a reference to the value.
    ///
    /// # Panics
    /// Outside a scope of this key, with a message that says where a value
    /// is set; use [`try_with`](LocalKey::try_with) to check instead.
    ///
    /// # Examples
    /// See [`task_local!`](crate::task_local).
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        match self.try_with(f) {
            Ok(result) => result,
            Err(AccessError(())) => panic!(
                "a task-local value of type `{}` was read outside any scope of its key; set \
                 one with KEY.scope(value, future) (or sync_scope), or check with try_with",
                std::any::type_name::<T>()
            ),
        }
    }

    /// Calls `f` with a reference to the value, if this code runs inside a
    /// scope of this key.
    ///
    /// # Errors
    /// [`AccessError`] outside any scope (or while the thread is exiting).
    ///
    /// # Examples
    /// See [`task_local!`](crate::task_local).
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        self.slot
            .try_with(|slot| slot.borrow().as_ref().map(f))
            .ok()
            .flatten()
            .ok_or(AccessError(()))
    }

    /// A clone of the value.
    ///
    /// # Panics
    /// Outside a scope of this key, as [`with`](LocalKey::with).
    ///
    /// # Examples
    /// ```
    /// bobbin::task_local! { static NAME: String; }
    /// # bobbin::block_on(async {
    /// let name = NAME.scope("worker".into(), async { NAME.get() }).await;
    /// assert_eq!(name, "worker");
    /// # });
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }

    /// Swaps `value` with the slot's content on this thread, if it can be
    /// reached: not while this thread's thread-locals are being destroyed,
    /// nor inside a `with` closure of the same key. False if not.
    fn try_swap(&'static self, value: &mut Option<T>) -> bool {
        self.slot
            .try_with(|slot| match slot.try_borrow_mut() {
                Ok(mut slot) => {
                    std::mem::swap(&mut *slot, value);
                    true
                }
                Err(_) => false,
            })
            .unwrap_or(false)
    }

    /// Swaps `value` with the slot's content on this thread.
    fn swap(&'static self, value: &mut Option<T>) {
        self.slot.with(|slot| {
            let mut slot = slot.try_borrow_mut().unwrap_or_else(|_| {
                panic!(
                    "a task-local scope of type `{}` was entered or left inside a `with` \
                     closure of the same key; do not poll futures from inside `with`",
                    std::any::type_name::<T>()
                )
            });
            std::mem::swap(&mut *slot, value);
        });
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey")
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}

/// A value swapped into its key's slot until dropped (even by a panic).
struct Entered<'a, T: 'static> {
    key: &'static LocalKey<T>,
    value: &'a mut Option<T>,
}

impl<'a, T: 'static> Entered<'a, T> {
    fn new(key: &'static LocalKey<T>, value: &'a mut Option<T>) -> Entered<'a, T> {
        key.swap(value);
        Entered { key, value }
    }

    /// As `new`, or `None` if the slot cannot be reached now (see
    /// `LocalKey::try_swap`).
    fn try_new(key: &'static LocalKey<T>, value: &'a mut Option<T>) -> Option<Entered<'a, T>> {
        key.try_swap(value).then(|| Entered { key, value })
    }
}

impl<T: 'static> Drop for Entered<'_, T> {
    fn drop(&mut self) {
        self.key.swap(self.value);
    }
}

/// [`LocalKey::with`] or [`get`](LocalKey::get) outside any scope of
/// the key.
///
/// # Examples
/// ```
/// bobbin::task_local! { static KEY: u8; }
/// let err = KEY.try_with(|_| ()).unwrap_err();
/// assert!(err.to_string().contains("outside"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value accessed outside any scope of its key")
    }
}

impl std::error::Error for AccessError {}

pin_project_lite::pin_project! {
    /// A future run with a task-local value: made by [`LocalKey::scope`].
    ///
    /// # Examples
    /// See [`task_local!`](crate::task_local).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        value: Option<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            // The future is dropped inside the scope, so its `Drop` sees the
            // value too (as it would at the end of a poll), unless the slot
            // cannot be reached: dropped inside a `with` of the same key, or
            // while the thread's thread-locals are being destroyed (a panic
            // there would abort the process). Then it is dropped outside the
            // scope, as tokio does.
            let mut this = this.project();
            if this.future.is_some() {
                let _entered = Entered::try_new(this.key, this.value);
                this.future.set(None);
            }
        }
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let _entered = Entered::new(this.key, this.value);
        let future = this
            .future
            .as_mut()
            .as_pin_mut()
            .expect("a TaskLocalFuture was polled after it completed");
        let poll = future.poll(cx);
        if poll.is_ready() {
            this.future.set(None);
        }
        poll
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A task-local value a spawned task inherits from its spawner
/// ([`task::Builder::inherit`](crate::task::Builder::inherit)): the
/// key and a clone of the value, type-erased so a builder can hold several.
pub(crate) trait Inherited: Send + Sync {
    /// Swaps the value with its key's slot on this thread (in, then out).
    fn swap(&mut self);
    fn clone_box(&self) -> Box<dyn Inherited>;
}

/// One inherited value.
pub(crate) struct InheritedValue<T: 'static> {
    pub(crate) key: &'static LocalKey<T>,
    pub(crate) value: Option<T>,
}

impl<T: Clone + Send + Sync + 'static> Inherited for InheritedValue<T> {
    fn swap(&mut self) {
        self.key.swap(&mut self.value);
    }

    fn clone_box(&self) -> Box<dyn Inherited> {
        Box::new(InheritedValue {
            key: self.key,
            value: self.value.clone(),
        })
    }
}

pin_project_lite::pin_project! {
    /// A spawned future with the task-local values it inherited, swapped
    /// in around each of its polls.
    pub(crate) struct WithInherited<F> {
        values: Vec<Box<dyn Inherited>>,
        #[pin]
        future: F,
    }
}

impl<F> WithInherited<F> {
    pub(crate) fn new(values: Vec<Box<dyn Inherited>>, future: F) -> WithInherited<F> {
        WithInherited { values, future }
    }
}

/// Calls `f` with the inherited `values` set (a blocking job's closure).
pub(crate) fn call_with_inherited<R>(
    mut values: Vec<Box<dyn Inherited>>,
    f: impl FnOnce() -> R,
) -> R {
    for value in values.iter_mut() {
        value.swap();
    }
    let _entered = EnteredAll(&mut values);
    f()
}

/// Swaps every value back out when dropped (even by a panic in the poll).
struct EnteredAll<'a>(&'a mut Vec<Box<dyn Inherited>>);

impl Drop for EnteredAll<'_> {
    fn drop(&mut self) {
        for value in self.0.iter_mut().rev() {
            value.swap();
        }
    }
}

impl<F: Future> Future for WithInherited<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        for value in this.values.iter_mut() {
            value.swap();
        }
        let _entered = EnteredAll(this.values);
        this.future.poll(cx)
    }
}
