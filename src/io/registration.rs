//! `Registration`: a resource's link to the I/O driver of the runtime it
//! was created in, and the readiness loop every I/O operation runs.
//!
//! The cooperative budget (`task/coop.rs`) is spent here, once per
//! operation: each `poll_io`/`poll_stream_io` (a socket read, write,
//! accept, send or receive) and each readiness wait (`poll_ready`,
//! `Async::readable`/`writable`) that completes spends one unit, however
//! many `WouldBlock`s its loop met. With the budget spent they return
//! `Pending` before looking at the readiness or running the operation, so
//! nothing is read or written and no waker is registered; one registered by
//! an earlier poll stays, and the task has woken itself. A socket that
//! always has data would otherwise let a reading task keep its worker.

use crate::driver::scheduled_io::{Direction, ReadyEvent};
use crate::driver::{DriverHandle, Resource, current};
use crate::loom::Arc;
use crate::task::coop;
use mio::event::Source;
use std::io;
use std::task::{Context, Poll, ready};

/// A registered resource.
pub(crate) struct Registration {
    driver: Arc<DriverHandle>,
    resource: Resource,
}

impl Registration {
    /// Registers `source` with the current runtime (or the global one).
    pub(crate) fn new(source: &mut impl Source) -> io::Result<Registration> {
        let driver = current::current();
        let resource = driver.register(source)?;
        Ok(Registration { driver, resource })
    }

    /// Ready in `direction`, or registers `cx` to be woken when it is.
    /// Spends a unit of the task's budget when ready.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        coop::poll_budgeted(cx, |cx| self.poll_readiness(cx, direction))
    }

    /// `poll_ready` without the budget: the loops below spend once per
    /// operation, not once per readiness check.
    fn poll_readiness(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.resource.io.poll_ready(cx, direction, None)
    }

    /// Runs `op` when the resource is ready in `direction`, until it does
    /// not report `WouldBlock`; each `WouldBlock` clears the readiness it
    /// acted on and waits for the next edge.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_drained(cx, direction, op, |_| false)
    }

    /// As `poll_io`, for a byte-stream transfer of `requested` bytes: a
    /// transfer that moved some bytes but fewer than asked drained the
    /// socket's buffer (or filled it), so the readiness is cleared then and
    /// there, saving the `WouldBlock` syscall the next attempt would make
    /// (tokio does the same). Only for stream sockets: a datagram or packet
    /// source can return a short read with more waiting.
    pub(crate) fn poll_stream_io(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        requested: usize,
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_drained(cx, direction, op, |&moved| moved > 0 && moved < requested)
    }

    /// `poll_io`, where a success for which `drained` holds also clears the
    /// readiness (a newer edge, by the tick check, survives that clear, and
    /// so does end of stream).
    fn poll_io_drained<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        coop::poll_budgeted(cx, |cx| {
            loop {
                let event = ready!(self.poll_readiness(cx, direction))?;
                match op() {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        self.resource.io.clear_readiness(event);
                    }
                    Ok(value) if drained(&value) => {
                        self.resource.io.clear_drained(event);
                        return Poll::Ready(Ok(value));
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
    }

    /// Runs `op` once if the resource is ready in `direction`, without
    /// waiting and without registering a waker; `WouldBlock` otherwise (or
    /// if `op` reports it, which clears the readiness it acted on).
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let event = match self.resource.io.ready_now(direction) {
            None => return Err(io::ErrorKind::WouldBlock.into()),
            Some(event) => event?,
        };
        let result = op();
        if matches!(&result, Err(err) if err.kind() == io::ErrorKind::WouldBlock) {
            self.resource.io.clear_readiness(event);
        }
        result
    }

    /// The operation that `event` allowed would block: wait for a new edge.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.resource.io.clear_readiness(event);
    }

    /// The driver the resource is registered with (for timers next to
    /// the resource).
    pub(crate) fn driver(&self) -> &Arc<DriverHandle> {
        &self.driver
    }

    /// Deregisters `source`; the registration is useless afterwards.
    pub(crate) fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.driver.deregister(source, &self.resource)
    }
}

/// A future's place among a resource's waiters: registered on its first
/// pending poll, removed when dropped, so a future given up on (a lost
/// `select!`, a timeout) leaves no waker behind.
pub(crate) struct Waiter<'a> {
    registration: &'a Registration,
    direction: Direction,
    key: Option<usize>,
}

impl<'a> Waiter<'a> {
    pub(crate) fn new(registration: &'a Registration, direction: Direction) -> Waiter<'a> {
        Waiter {
            registration,
            direction,
            key: None,
        }
    }

    /// Ready, or registers `cx` in this future's entry. Spends a unit of
    /// the task's budget when ready.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        coop::poll_budgeted(cx, |cx| self.poll_readiness(cx))
    }

    /// `poll_ready` without the budget (for `poll_io`'s loop).
    fn poll_readiness(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.registration
            .resource
            .io
            .poll_ready(cx, self.direction, Some(&mut self.key))
    }

    /// As `Registration::poll_io`, waiting in this future's entry.
    pub(crate) fn poll_io<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        coop::poll_budgeted(cx, |cx| {
            loop {
                let event = ready!(self.poll_readiness(cx))?;
                match op() {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        self.registration.clear_readiness(event);
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.registration
                .resource
                .io
                .remove_waiter(self.direction, key);
        }
    }
}
