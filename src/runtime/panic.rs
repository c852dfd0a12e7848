//! What happens to a task's panic that nobody observes: the runtime's
//! `UnhandledPanic` policy.
//!
//! A panic in a task is caught and becomes its output. It is *unhandled*
//! when that output is dropped unread: the task panicked with no
//! `JoinHandle` left (detached, or its handle dropped before the end), or
//! its handle was dropped after the panic without being awaited. The
//! harness hands such a payload to `Schedule::unhandled_panic`, which ends
//! here. A panic a `JoinHandle` returns as a `JoinError` was observed, and
//! the policy never sees it.

use crate::task::Header;
use crate::task::Id;
use crate::task::TaskInfo;
use slab::Slab;
use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Waker;

/// What a runtime does with a task's panic that no
/// [`JoinHandle`](crate::task::JoinHandle) observes (the task was detached,
/// or its handle was dropped without being awaited). Set with
/// [`Builder::unhandled_panic`](super::Builder::unhandled_panic).
///
/// Whatever the policy, Rust's panic hook has already printed the panic
/// message when the task panicked.
///
/// "Observed" means a `JoinHandle` returned the panic as a
/// [`JoinError`](crate::task::JoinError), whatever its caller then does
/// with it. A panic is unhandled when its payload would be dropped unread:
/// the task panicked after its handle was dropped (or it was spawned
/// detached), or the handle of a task that had panicked was dropped
/// without being awaited, which includes a [`JoinSet`](crate::task::JoinSet)
/// dropped before joining it.
///
/// # Examples
/// ```
/// use bobbin::runtime::UnhandledPanic;
/// use std::time::Duration;
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// let tx = std::sync::Mutex::new(tx);
/// let rt = bobbin::Runtime::builder()
///     .unhandled_panic(UnhandledPanic::callback(move |panic| {
///         tx.lock().unwrap().send(panic.to_string()).unwrap();
///     }))
///     .build()
///     .unwrap();
/// // Detached: nobody will await it.
/// drop(bobbin::task::Builder::new().name("doomed").spawn_on(async { panic!("boom") }, &rt.handle()));
/// let report = rx.recv_timeout(Duration::from_secs(10)).unwrap();
/// assert!(report.contains("\"doomed\"") && report.ends_with("panicked: boom"));
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// Drop the payload (the default, as in tokio): the panic was printed,
    /// and the runtime goes on.
    #[default]
    Ignore,
    /// Shut the runtime down at the first unhandled panic: every task is
    /// cancelled, and [`block_on`](super::Runtime::block_on) re-raises the
    /// panic (a later `block_on` on this runtime panics, saying why).
    ///
    /// ```should_panic
    /// use bobbin::runtime::UnhandledPanic;
    /// let rt = bobbin::Runtime::builder()
    ///     .unhandled_panic(UnhandledPanic::ShutdownRuntime)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     bobbin::spawn(async { panic!("boom") });
    ///     std::future::pending::<()>().await; // ends by the panic
    /// });
    /// ```
    ShutdownRuntime,
    /// Call a function with the panic (on the thread that drops the
    /// payload: the worker where the task panicked, or where its
    /// `JoinHandle` was dropped). A panic in the function is caught.
    /// Made by [`UnhandledPanic::callback`].
    Callback(PanicCallback),
}

/// The function of [`UnhandledPanic::Callback`].
pub type PanicCallback = Arc<dyn Fn(TaskPanic) + Send + Sync + 'static>;

impl UnhandledPanic {
    /// A policy that calls `f` with each unhandled panic.
    ///
    /// # Examples
    /// See [`UnhandledPanic`].
    pub fn callback(f: impl Fn(TaskPanic) + Send + Sync + 'static) -> UnhandledPanic {
        UnhandledPanic::Callback(Arc::new(f))
    }
}

impl fmt::Debug for UnhandledPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnhandledPanic::Ignore => f.write_str("Ignore"),
            UnhandledPanic::ShutdownRuntime => f.write_str("ShutdownRuntime"),
            UnhandledPanic::Callback(_) => f.write_str("Callback(..)"),
        }
    }
}

/// A task's panic that nobody observed: the task and the payload (see
/// [`UnhandledPanic`]).
///
/// # Examples
/// See [`UnhandledPanic`].
pub struct TaskPanic {
    info: TaskInfo,
    payload: Box<dyn Any + Send + 'static>,
}

impl TaskPanic {
    fn new(header: &Header, payload: Box<dyn Any + Send + 'static>) -> TaskPanic {
        TaskPanic {
            info: TaskInfo::of(header),
            payload,
        }
    }

    /// The task's id.
    ///
    /// # Examples
    /// See [`UnhandledPanic`].
    pub fn id(&self) -> Id {
        self.info.id
    }

    /// The task's name, if it has one.
    ///
    /// # Examples
    /// See [`UnhandledPanic`].
    pub fn name(&self) -> Option<&str> {
        self.info.name.as_deref()
    }

    /// Where the task was spawned.
    ///
    /// # Examples
    /// See [`UnhandledPanic`].
    pub fn location(&self) -> &'static Location<'static> {
        self.info.location
    }

    /// The panic's message, if its payload is a string (as with `panic!`).
    ///
    /// # Examples
    /// See [`UnhandledPanic`].
    pub fn message(&self) -> Option<&str> {
        let payload = &*self.payload;
        payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
    }

    /// The payload, by reference.
    ///
    /// # Examples
    /// See [`UnhandledPanic`].
    pub fn payload(&self) -> &(dyn Any + Send + 'static) {
        &*self.payload
    }

    /// The payload, to re-raise with [`std::panic::resume_unwind`].
    ///
    /// # Examples
    /// See [`UnhandledPanic`].
    pub fn into_payload(self) -> Box<dyn Any + Send + 'static> {
        self.payload
    }
}

impl fmt::Display for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} spawned at {} panicked",
            self.info, self.info.location
        )?;
        match self.message() {
            Some(message) => write!(f, ": {message}"),
            None => f.write_str(" (with a payload that is not a string)"),
        }
    }
}

impl fmt::Debug for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskPanic")
            .field("id", &self.info.id)
            .field("name", &self.info.name)
            .field("location", &self.info.location)
            .field("message", &self.message())
            .finish()
    }
}

/// A runtime's policy, and for `ShutdownRuntime` the first panic and the
/// `block_on` calls waiting to re-raise it.
pub(crate) struct Panics {
    policy: UnhandledPanic,
    /// Set (before the shutdown begins) once a panic shut the runtime down.
    fired: AtomicBool,
    first: Mutex<First>,
}

#[derive(Default)]
struct First {
    /// The payload, until a `block_on` re-raises it.
    payload: Option<Box<dyn Any + Send + 'static>>,
    /// What the panic was, for the `block_on` calls that come later.
    description: String,
    /// The wakers of the `block_on` calls running now.
    watchers: Slab<Waker>,
}

impl Panics {
    pub(crate) fn new(policy: UnhandledPanic) -> Panics {
        Panics {
            policy,
            fired: AtomicBool::new(false),
            first: Mutex::new(First::default()),
        }
    }

    /// True if an unhandled panic shuts the runtime down (`block_on` then
    /// watches for it).
    pub(crate) fn shuts_down(&self) -> bool {
        matches!(self.policy, UnhandledPanic::ShutdownRuntime)
    }

    /// Applies the policy to a payload nobody will read. True if the
    /// caller must now shut the runtime down (the first panic under
    /// `ShutdownRuntime`, recorded and announced to the `block_on` calls).
    #[must_use = "true means: shut the runtime down now"]
    pub(crate) fn unhandled(
        &self,
        header: &Header,
        payload: Box<dyn Any + Send + 'static>,
    ) -> bool {
        match &self.policy {
            UnhandledPanic::Ignore => {
                drop(payload);
                false
            }
            UnhandledPanic::Callback(callback) => {
                let panic = TaskPanic::new(header, payload);
                // Reported by the panic hook; the thread goes on.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| callback(panic)));
                false
            }
            UnhandledPanic::ShutdownRuntime => {
                let panic = TaskPanic::new(header, payload);
                let watchers = {
                    let mut first = crate::runtime::wait::lock(&self.first);
                    if self.fired.load(SeqCst) {
                        // Not the first: the runtime is going down already.
                        return false;
                    }
                    first.description = panic.to_string();
                    first.payload = Some(panic.into_payload());
                    // SeqCst: before the shutdown's flag, so a `block_on`
                    // woken by a cancellation sees why (`check`).
                    self.fired.store(true, SeqCst);
                    std::mem::take(&mut first.watchers)
                };
                for (_, waker) in watchers {
                    waker.wake();
                }
                true
            }
        }
    }

    /// In `block_on`, before each poll: re-raises the panic that shut the
    /// runtime down (the payload for the first caller, a message after).
    pub(crate) fn check(&self) {
        if !self.fired.load(SeqCst) {
            return;
        }
        let (payload, description) = {
            let mut first = crate::runtime::wait::lock(&self.first);
            (first.payload.take(), first.description.clone())
        };
        match payload {
            Some(payload) => panic::resume_unwind(payload),
            None => panic!(
                "block_on was called on a runtime that an unhandled task panic shut down \
                 (UnhandledPanic::ShutdownRuntime): {description}; build a new runtime"
            ),
        }
    }

    /// Registers a `block_on` call's waker until the guard drops.
    pub(crate) fn watch(&self, waker: &Waker) -> Watch<'_> {
        let mut first = crate::runtime::wait::lock(&self.first);
        // After the panic, `check` raises before any wait: no waker needed.
        let key = (!self.fired.load(SeqCst)).then(|| first.watchers.insert(waker.clone()));
        Watch { panics: self, key }
    }
}

impl Drop for Panics {
    fn drop(&mut self) {
        // A payload no `block_on` re-raised goes with the runtime; its
        // `Drop` may panic, and a runtime's drop must not.
        let payload = self.first.get_mut().map_or_else(
            |poisoned| poisoned.into_inner().payload.take(),
            |first| first.payload.take(),
        );
        if let Some(payload) = payload {
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        }
    }
}

/// A `block_on` call watching for the panic (see `Panics::watch`).
pub(crate) struct Watch<'a> {
    panics: &'a Panics,
    key: Option<usize>,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        let mut first = crate::runtime::wait::lock(&self.panics.first);
        // Once the panic fired, its wakers were taken (and the slab is
        // never filled again), so there is nothing to remove.
        if let Some(key) = self.key
            && !self.panics.fired.load(SeqCst)
        {
            first.watchers.try_remove(key);
        }
    }
}
