//! [`File`]: an open file whose reads and writes run on the blocking pool,
//! behind a buffer.
//!
//! How it is built: at most one operation (a read, a write or a seek) is on
//! the pool at a time, with the buffer it fills or drains. Reads of a
//! regular file are streamed (`read_ahead.rs`): a job on the pool reads
//! chunk after chunk into a short queue while the caller takes them out;
//! other files (pipes, terminals) are read on demand, one read per call. A
//! write copies the caller's bytes into a buffer, starts writing them and
//! returns at once; the next operation waits for it. An error of that
//! write is returned by the next operation (`flush`, `close`, a read, a
//! seek, the next write, `sync_all`...), never dropped. Bytes read ahead
//! and not handed out are given back (the streaming job stopped, and the
//! file position moved back over them) before a write, a seek or a
//! `set_len`.

use super::asyncify;
use super::buf::Buf;
use super::open_options::OpenOptions;
use super::read_ahead::{ReadAhead, Taken};
use crate::sync::Mutex;
use crate::task::JoinHandle;
use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};
use std::fmt;
use std::future::poll_fn;
use std::io::{self, Seek, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// The least a read fetches from the file (a caller reading small pieces
/// gets them from one pool hop per 64 KiB).
const MIN_READ: usize = 64 * 1024;
/// The most one operation moves.
const MAX_BUF: usize = 2 * 1024 * 1024;

/// An open file, read and written without blocking a worker: std's
/// `File` with the futures-io `AsyncRead`, `AsyncWrite` and `AsyncSeek`.
///
/// Writes are buffered and complete on the blocking pool after
/// `poll_write` returns: call `flush` (`futures::io::AsyncWriteExt::flush`)
/// (or [`sync_all`](File::sync_all)) to wait for them and see their
/// errors. A `File` dropped with a write still running lets it finish, but
/// nobody sees its error then.
///
/// # Examples
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// # bobbin::block_on(async {
/// let path = std::env::temp_dir().join(format!("bobbin-doc-file-{}", std::process::id()));
/// let mut file = bobbin::fs::File::create(&path).await.unwrap();
/// file.write_all(b"hello, file").await.unwrap();
/// file.flush().await.unwrap();
///
/// let mut text = String::new();
/// bobbin::fs::File::open(&path).await.unwrap().read_to_string(&mut text).await.unwrap();
/// assert_eq!(text, "hello, file");
/// bobbin::fs::remove_file(&path).await.unwrap();
/// # });
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    inner: Mutex<Inner>,
}

/// What a `File` has on the pool and in its buffers.
#[derive(Default)]
struct Inner {
    /// Bytes read and not yet handed out.
    cur: Buf,
    /// A free buffer.
    spare: Option<Buf>,
    /// The operation on the pool, if any.
    op: Option<JoinHandle<(Op, Buf)>>,
    /// The streaming reader, for a regular file.
    stream: Option<ReadAhead>,
    /// A read on demand found the end of the file.
    eof: bool,
    read_err: Option<io::Error>,
    write_err: Option<io::Error>,
    /// A seek `poll_seek` started (the position it was asked for), and
    /// its result once it is in.
    seek: Option<(SeekFrom, Option<io::Result<u64>>)>,
    /// The seek tokio's `start_seek` asked for (`compat::tokio`).
    #[cfg(feature = "tokio-io")]
    tokio_seek: Option<SeekFrom>,
}

/// What an operation on the pool did.
enum Op {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

impl Inner {
    fn take_spare(&mut self) -> Buf {
        self.spare.take().unwrap_or_default()
    }

    fn give_back(&mut self, mut buf: Buf) {
        buf.clear();
        self.spare = Some(buf);
    }

    /// Waits for the operation on the pool (if any) and takes in its
    /// outcome.
    fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(op) = self.op.as_mut() else {
            return Poll::Ready(());
        };
        let done = ready!(Pin::new(op).poll(cx));
        self.op = None;
        let (op, buf) = match done {
            Ok(done) => done,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => {
                self.write_err = Some(io::Error::other(
                    "the runtime shut down while a file operation was running",
                ));
                return Poll::Ready(());
            }
        };
        match op {
            Op::Read(result) => match result {
                Ok(0) => {
                    self.eof = true;
                    self.give_back(buf);
                }
                Ok(_) => {
                    let used = std::mem::replace(&mut self.cur, buf);
                    self.give_back(used);
                }
                Err(err) => {
                    self.read_err = Some(err);
                    self.give_back(buf);
                }
            },
            Op::Write(result) => {
                if let Err(err) = result {
                    self.write_err = Some(err);
                }
                self.give_back(buf);
            }
            Op::Seek(result) => {
                if let Some((_, slot)) = self.seek.as_mut() {
                    *slot = Some(result);
                }
                self.give_back(buf);
            }
        }
        Poll::Ready(())
    }

    /// Waits until nothing is on the pool.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.op.is_some() {
            ready!(self.poll_op(cx));
        }
        Poll::Ready(())
    }

    fn start_read(&mut self, std: &Arc<std::fs::File>, len: usize) {
        let mut buf = self.take_spare();
        let std = std.clone();
        self.op = Some(crate::spawn_blocking(move || {
            let result = buf.read_from(&*std, len);
            (Op::Read(result), buf)
        }));
    }

    /// Drops what was read and not handed out (stopping the streaming
    /// job first): ready with how many bytes the file position is ahead of
    /// what the caller has seen.
    fn poll_discard(&mut self, cx: &mut Context<'_>) -> Poll<usize> {
        let streamed = match self.stream.as_mut() {
            Some(stream) => ready!(stream.poll_stop(cx)),
            None => 0,
        };
        let unread = streamed + self.cur.remaining();
        self.cur.clear();
        self.eof = false;
        self.read_err = None;
        Poll::Ready(unread)
    }

    fn poll_read(
        &mut self,
        std: &Arc<std::fs::File>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.seek = None;
        loop {
            if !self.cur.is_empty() {
                return Poll::Ready(Ok(self.cur.copy_to(dst)));
            }
            if self.op.is_some() {
                ready!(self.poll_op(cx));
                continue;
            }
            if let Some(err) = self.write_err.take().or_else(|| self.read_err.take()) {
                return Poll::Ready(Err(err));
            }
            if std::mem::take(&mut self.eof) {
                return Poll::Ready(Ok(0));
            }
            let Some(stream) = self.stream.as_mut() else {
                self.start_read(std, dst.len().clamp(MIN_READ, MAX_BUF));
                continue;
            };
            match ready!(stream.poll_take(std, cx)) {
                Taken::Chunk(chunk) => {
                    let used = std::mem::replace(&mut self.cur, chunk);
                    stream.recycle(used);
                }
                Taken::End => return Poll::Ready(Ok(0)),
                Taken::Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }

    fn poll_write(
        &mut self,
        std: &Arc<std::fs::File>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.seek = None;
        ready!(self.poll_idle(cx));
        if let Some(err) = self.write_err.take() {
            return Poll::Ready(Err(err));
        }
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let unread = ready!(self.poll_discard(cx));
        let mut buf = self.take_spare();
        let n = buf.copy_from(src, MAX_BUF);
        let std = std.clone();
        self.op = Some(crate::spawn_blocking(move || {
            let result = seek_back(&std, unread).and_then(|()| buf.write_to(&*std));
            (Op::Write(result), buf)
        }));
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_idle(cx));
        Poll::Ready(self.write_err.take().map_or(Ok(()), Err))
    }

    fn poll_seek(
        &mut self,
        std: &Arc<std::fs::File>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            ready!(self.poll_idle(cx));
            match self.seek.take() {
                Some((asked, Some(result))) if asked == pos => return Poll::Ready(result),
                // Nothing started, or the finished seek was for another
                // position (its call was cancelled): start this one.
                _ => {}
            }
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            let unread = ready!(self.poll_discard(cx));
            let target = match pos {
                SeekFrom::Current(n) => SeekFrom::Current(n - offset(unread)),
                other => other,
            };
            let buf = self.take_spare();
            let std = std.clone();
            self.seek = Some((pos, None));
            self.op = Some(crate::spawn_blocking(move || {
                (Op::Seek((&*std).seek(target)), buf)
            }));
        }
    }

    /// Waits for what is on the pool, returns a write's error, and gives
    /// back what was read ahead (moving the file position back over it):
    /// the file is then where the caller thinks it is, for an operation
    /// outside the buffer (`set_len`, `try_clone`, `into_std`).
    async fn settle(&mut self, std: &Arc<std::fs::File>) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush(cx)).await?;
        let unread = poll_fn(|cx| self.poll_discard(cx)).await;
        if unread > 0 {
            let std = std.clone();
            asyncify(move || seek_back(&std, unread)).await?;
        }
        Ok(())
    }
}

fn offset(unread: usize) -> i64 {
    i64::try_from(unread).expect("what is read ahead is a few megabytes at most")
}

/// Moves the file position back over `unread` bytes read ahead.
fn seek_back(std: &std::fs::File, unread: usize) -> io::Result<()> {
    if unread > 0 {
        let mut std = std;
        std.seek(SeekFrom::Current(-offset(unread)))?;
    }
    Ok(())
}

impl File {
    /// Opens a file to read (`std::fs::File::open` on the blocking pool).
    ///
    /// # Errors
    /// As `std::fs::File::open`: `NotFound`, `PermissionDenied`, ...
    ///
    /// # Examples
    /// See [`File`].
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        File::open_with(move || std::fs::File::open(path)).await
    }

    /// Creates (or truncates) a file to write (`std::fs::File::create` on
    /// the blocking pool).
    ///
    /// # Errors
    /// As `std::fs::File::create`.
    ///
    /// # Examples
    /// See [`File`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        File::open_with(move || std::fs::File::create(path)).await
    }

    /// Creates a new file to write; fails if one exists
    /// (`std::fs::File::create_new` on the blocking pool).
    ///
    /// # Errors
    /// `AlreadyExists` if the path exists, or as `std::fs::File::create`.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-new-{}", std::process::id()));
    /// let _file = bobbin::fs::File::create_new(&path).await.unwrap();
    /// let again = bobbin::fs::File::create_new(&path).await.unwrap_err();
    /// assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        File::open_with(move || std::fs::File::create_new(path)).await
    }

    /// Options to open a file with (append, read and write, ...).
    ///
    /// # Examples
    /// See [`OpenOptions`].
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file.
    ///
    /// # Examples
    /// ```
    /// let std = std::fs::File::open("/dev/null").unwrap();
    /// let file = bobbin::fs::File::from_std(std);
    /// # drop(file);
    /// ```
    pub fn from_std(std: std::fs::File) -> File {
        // `fstat` on an open file: no disk access, so fine on a worker.
        let regular = std.metadata().is_ok_and(|meta| meta.is_file());
        File::new(std, regular)
    }

    /// Opens a file on the blocking pool with `open`, learning there
    /// whether it is a regular file (whose reads are streamed).
    pub(super) async fn open_with(
        open: impl FnOnce() -> io::Result<std::fs::File> + Send + 'static,
    ) -> io::Result<File> {
        let (std, regular) = asyncify(move || {
            let std = open()?;
            let regular = std.metadata().is_ok_and(|meta| meta.is_file());
            Ok((std, regular))
        })
        .await?;
        Ok(File::new(std, regular))
    }

    fn new(std: std::fs::File, regular: bool) -> File {
        File {
            std: Arc::new(std),
            inner: Mutex::new(Inner {
                stream: regular.then(ReadAhead::default),
                ..Inner::default()
            }),
        }
    }

    /// The file's metadata, once the writes started before have finished.
    ///
    /// # Errors
    /// A pending write's error, or `std::fs::File::metadata`'s.
    ///
    /// # Examples
    /// ```
    /// use futures::io::AsyncWriteExt;
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-meta-{}", std::process::id()));
    /// let mut file = bobbin::fs::File::create(&path).await.unwrap();
    /// file.write_all(&[0; 100]).await.unwrap();
    /// assert_eq!(file.metadata().await.unwrap().len(), 100);
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_flush(cx)).await?;
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// Truncates or extends the file to `size` bytes (the position stays).
    ///
    /// # Errors
    /// A pending write's error, or `std::fs::File::set_len`'s (e.g. for a
    /// file opened only to read).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-len-{}", std::process::id()));
    /// let file = bobbin::fs::File::create(&path).await.unwrap();
    /// file.set_len(4096).await.unwrap();
    /// assert_eq!(file.metadata().await.unwrap().len(), 4096);
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.settle(&self.std).await?;
        let std = self.std.clone();
        asyncify(move || std.set_len(size)).await
    }

    /// Writes the file's data and metadata to the device, once the writes
    /// started before have finished.
    ///
    /// # Errors
    /// A pending write's error, or `fsync`'s.
    ///
    /// # Examples
    /// ```
    /// use futures::io::AsyncWriteExt;
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-sync-{}", std::process::id()));
    /// let mut file = bobbin::fs::File::create(&path).await.unwrap();
    /// file.write_all(b"durable").await.unwrap();
    /// file.sync_all().await.unwrap();
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub async fn sync_all(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_flush(cx)).await?;
        let std = self.std.clone();
        asyncify(move || std.sync_all()).await
    }

    /// As [`sync_all`](File::sync_all), without the metadata that is not
    /// needed to read the data back (`fdatasync`).
    ///
    /// # Errors
    /// A pending write's error, or `fdatasync`'s.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-sd-{}", std::process::id()));
    /// let file = bobbin::fs::File::create(&path).await.unwrap();
    /// file.sync_data().await.unwrap();
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub async fn sync_data(&self) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        poll_fn(|cx| inner.poll_flush(cx)).await?;
        let std = self.std.clone();
        asyncify(move || std.sync_data()).await
    }

    /// Sets the file's permissions.
    ///
    /// # Errors
    /// As `std::fs::File::set_permissions`.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-fperm-{}", std::process::id()));
    /// let file = bobbin::fs::File::create(&path).await.unwrap();
    /// let mut permissions = file.metadata().await.unwrap().permissions();
    /// permissions.set_readonly(true);
    /// file.set_permissions(permissions).await.unwrap();
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub async fn set_permissions(&self, permissions: std::fs::Permissions) -> io::Result<()> {
        let std = self.std.clone();
        asyncify(move || std.set_permissions(permissions)).await
    }

    /// Another handle to the same open file (they share the position),
    /// once the writes started before have finished.
    ///
    /// # Errors
    /// A pending write's error, or `std::fs::File::try_clone`'s.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let file = bobbin::fs::File::open("/dev/null").await.unwrap();
    /// let other = file.try_clone().await.unwrap();
    /// # drop(other);
    /// # });
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        let mut inner = self.inner.lock().await;
        inner.settle(&self.std).await?;
        let std = self.std.clone();
        File::open_with(move || std.try_clone()).await
    }

    /// The std file, once the writes started before have finished and the
    /// position is back where the caller has read to.
    ///
    /// # Errors
    /// A pending write's error (the file is lost then, as it would be
    /// dropped), or the error of moving the position back.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let file = bobbin::fs::File::open("/dev/null").await.unwrap();
    /// let std: std::fs::File = file.into_std().await.unwrap();
    /// # drop(std);
    /// # });
    /// ```
    pub async fn into_std(mut self) -> io::Result<std::fs::File> {
        self.inner.get_mut().settle(&self.std).await?;
        // Nothing is on the pool, so nothing else holds the `Arc`; a copy
        // of the descriptor if something still did.
        Arc::try_unwrap(self.std).or_else(|std| std.try_clone())
    }

    /// tokio's two-step `AsyncSeek` (`compat::tokio`): the seek to make.
    #[cfg(feature = "tokio-io")]
    pub(crate) fn start_seek(&mut self, pos: SeekFrom) {
        self.inner.get_mut().tokio_seek = Some(pos);
    }

    /// tokio's two-step `AsyncSeek`: the seek `start_seek` asked for, or
    /// the position if none was asked for.
    #[cfg(feature = "tokio-io")]
    pub(crate) fn poll_complete_seek(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let File { std, inner } = self;
        let inner = inner.get_mut();
        let pos = inner.tokio_seek.unwrap_or(SeekFrom::Current(0));
        let done = ready!(inner.poll_seek(std, cx, pos));
        inner.tokio_seek = None;
        Poll::Ready(done)
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let File { std, inner } = self.get_mut();
        inner.get_mut().poll_read(std, cx, buf)
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let File { std, inner } = self.get_mut();
        inner.get_mut().poll_write(std, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    /// Flushes: a file is closed when dropped.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let File { std, inner } = self.get_mut();
        inner.get_mut().poll_seek(std, cx, pos)
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .finish_non_exhaustive()
    }
}
