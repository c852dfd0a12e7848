//! Sequential reads of a regular file, streamed: a job on the blocking pool
//! reads chunk after chunk into a short queue while the task takes them
//! out, so a long read costs one trip to the pool per queue-full, not one
//! per chunk.
//!
//! Why: a trip to the pool and back is two thread wake-ups (tens of
//! microseconds on a busy machine); a job that keeps reading while the
//! task keeps taking overlaps the kernel's copy with the caller's, and
//! reaches `std::fs` speed. The job stops by itself when the queue is full
//! (it never blocks waiting for room, so an idle `File` holds no thread),
//! at the end of the file, on an error, or when the `File` asks it to
//! (before a write, a seek or a drop); the task starts it again when it
//! has taken enough. Only regular files are streamed: a read ahead on a
//! pipe or a terminal could block a pool thread for as long as nobody
//! writes, and take input the program did not ask for.
//!
//! Invariants (under the lock): `running` is true from the moment a job is
//! started until that job has stored its last chunk; chunks are queued in
//! file order; the file position is at the end of the last chunk queued
//! (or being read), so the bytes not yet handed out are `remaining` of the
//! queued chunks.

use super::buf::Buf;
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// Chunks the job reads ahead before it stops.
const DEPTH: usize = 4;
/// How much each chunk reads.
const CHUNK: usize = 512 * 1024;

/// The streaming reader of one `File`.
#[derive(Default)]
pub(super) struct ReadAhead {
    shared: Arc<Mutex<Shared>>,
}

#[derive(Default)]
struct Shared {
    chunks: VecDeque<Buf>,
    spare: Vec<Buf>,
    running: bool,
    /// Set by the `File`: the job stops before its next chunk.
    stop: bool,
    /// Why the job stopped by itself, once: `Ok` at the end of the file.
    end: Option<io::Result<()>>,
    waker: Option<Waker>,
}

/// What [`ReadAhead::poll_take`] found.
pub(super) enum Taken {
    Chunk(Buf),
    /// The end of the file (a later read may find more, if it grew).
    End,
    Err(io::Error),
}

impl Drop for ReadAhead {
    /// A job still reading stops before its next chunk.
    fn drop(&mut self) {
        lock(&self.shared).stop = true;
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ReadAhead {
    /// The next chunk, in file order; starts (or restarts) the job as
    /// needed.
    pub(super) fn poll_take(
        &mut self,
        std: &Arc<std::fs::File>,
        cx: &mut Context<'_>,
    ) -> Poll<Taken> {
        let mut shared = lock(&self.shared);
        if let Some(chunk) = shared.chunks.pop_front() {
            // Keep the queue filling while the caller takes this chunk.
            if !shared.running && shared.end.is_none() && shared.chunks.len() < DEPTH / 2 {
                self.start(&mut shared, std);
            }
            return Poll::Ready(Taken::Chunk(chunk));
        }
        match shared.end.take() {
            Some(Ok(())) => return Poll::Ready(Taken::End),
            Some(Err(err)) => return Poll::Ready(Taken::Err(err)),
            None => {}
        }
        if !shared.running {
            self.start(&mut shared, std);
        }
        shared.waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Gives a chunk's buffer back for reuse.
    pub(super) fn recycle(&mut self, mut buf: Buf) {
        buf.clear();
        let mut shared = lock(&self.shared);
        if shared.spare.len() < DEPTH {
            shared.spare.push(buf);
        }
    }

    /// Stops the job and drops what it read: ready with the number of
    /// bytes read ahead that were not handed out (the file position is
    /// that far past the caller's).
    pub(super) fn poll_stop(&mut self, cx: &mut Context<'_>) -> Poll<usize> {
        let mut shared = lock(&self.shared);
        if shared.running {
            shared.stop = true;
            shared.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        shared.stop = false;
        shared.end = None;
        let mut unread = 0;
        while let Some(mut chunk) = shared.chunks.pop_front() {
            unread += chunk.remaining();
            chunk.clear();
            shared.spare.push(chunk);
        }
        Poll::Ready(unread)
    }

    fn start(&self, shared: &mut Shared, std: &Arc<std::fs::File>) {
        shared.running = true;
        shared.stop = false;
        let mut job = Job {
            state: self.shared.clone(),
            std: std.clone(),
            ran: false,
        };
        drop(crate::spawn_blocking(move || {
            run(&job.state, &job.std);
            job.ran();
        }));
    }
}

/// A started job: if it is dropped without having run to its end (the
/// runtime shut down before a pool thread took it, or a read panicked),
/// the drop ends it, so the task never waits for a job that will not come.
struct Job {
    state: Arc<Mutex<Shared>>,
    std: Arc<std::fs::File>,
    ran: bool,
}

impl Job {
    /// The job ran to its end: nothing left for the drop to do.
    fn ran(&mut self) {
        self.ran = true;
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if !self.ran {
            finish(
                lock(&self.state),
                Some(Err(io::Error::other(
                    "the runtime shut down before the file could be read; read it from a \
                     running runtime",
                ))),
            );
        }
    }
}

/// The job: reads chunks until the queue is full, the file ends, a read
/// fails, or it is asked to stop.
fn run(state: &Mutex<Shared>, std: &std::fs::File) {
    loop {
        let mut buf = {
            let mut shared = lock(state);
            if shared.stop || shared.chunks.len() >= DEPTH {
                return finish(shared, None);
            }
            shared.spare.pop().unwrap_or_default()
        };
        let result = buf.read_from(std, CHUNK);
        let mut shared = lock(state);
        match result {
            Ok(0) => {
                shared.spare.push(buf);
                return finish(shared, Some(Ok(())));
            }
            Ok(_) => {
                shared.chunks.push_back(buf);
                if let Some(waker) = shared.waker.take() {
                    drop(shared);
                    waker.wake();
                }
            }
            Err(err) => return finish(shared, Some(Err(err))),
        }
    }
}

/// The job ends: records why, and wakes the task.
fn finish(mut shared: MutexGuard<'_, Shared>, end: Option<io::Result<()>>) {
    shared.running = false;
    if end.is_some() {
        shared.end = end;
    }
    let waker = shared.waker.take();
    drop(shared);
    if let Some(waker) = waker {
        waker.wake();
    }
}
