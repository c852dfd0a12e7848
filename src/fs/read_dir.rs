//! [`read_dir`]: a directory's entries as a stream, fetched in batches on
//! the blocking pool.

use super::asyncify;
use crate::task::JoinHandle;
use futures_core::Stream;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::poll_fn;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// Entries fetched per trip to the blocking pool.
const BATCH: usize = 32;

/// The entries of the directory at `path` (`std::fs::read_dir` on the
/// blocking pool): a [`ReadDir`], which is a [`Stream`] and has
/// [`next_entry`](ReadDir::next_entry). `.` and `..` are not listed.
///
/// # Errors
/// As `std::fs::read_dir`: `NotFound`, `NotADirectory`, ...
///
/// # Examples
/// ```
/// use futures::StreamExt;
/// # bobbin::block_on(async {
/// let dir = std::env::temp_dir().join(format!("bobbin-doc-ls-{}", std::process::id()));
/// bobbin::fs::create_dir_all(&dir).await.unwrap();
/// bobbin::fs::write(dir.join("a"), b"").await.unwrap();
/// bobbin::fs::write(dir.join("b"), b"").await.unwrap();
/// let mut names: Vec<_> = bobbin::fs::read_dir(&dir).await.unwrap()
///     .map(|entry| entry.unwrap().file_name())
///     .collect().await;
/// names.sort();
/// assert_eq!(names, ["a", "b"]);
/// bobbin::fs::remove_dir_all(&dir).await.unwrap();
/// # });
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir(State::Idle(Some(Batch {
        entries: VecDeque::new(),
        std,
        done: false,
    }))))
}

/// A directory's entries, made by [`read_dir`].
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let mut entries = bobbin::fs::read_dir("/").await.unwrap();
/// let mut count = 0;
/// while let Some(entry) = entries.next_entry().await.unwrap() {
///     assert!(entry.path().starts_with("/"));
///     count += 1;
/// }
/// assert!(count > 0);
/// # });
/// ```
pub struct ReadDir(State);

enum State {
    /// `None` only while a batch is fetched.
    Idle(Option<Batch>),
    Fetching(JoinHandle<Batch>),
}

struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    std: std::fs::ReadDir,
    done: bool,
}

impl ReadDir {
    /// The next entry, or `None` after the last.
    ///
    /// # Errors
    /// An error reading the directory (the listing may go on after it).
    ///
    /// # Examples
    /// See [`ReadDir`].
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry: `Ready(Ok(None))` after the last.
    ///
    /// # Errors
    /// As [`next_entry`](ReadDir::next_entry).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut entries = bobbin::fs::read_dir("/").await.unwrap();
    /// let first = std::future::poll_fn(|cx| entries.poll_next_entry(cx)).await.unwrap();
    /// assert!(first.is_some());
    /// # });
    /// ```
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.0 {
                State::Idle(batch) => {
                    let current = batch.as_mut().expect("a batch is here when idle");
                    if let Some(entry) = current.entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if current.done {
                        return Poll::Ready(Ok(None));
                    }
                    let mut next = batch.take().expect("checked above");
                    self.0 = State::Fetching(crate::spawn_blocking(move || {
                        for _ in 0..BATCH {
                            let Some(entry) = next.std.next() else {
                                next.done = true;
                                break;
                            };
                            next.entries.push_back(entry.map(DirEntry::new));
                        }
                        next
                    }));
                }
                State::Fetching(job) => {
                    let batch = match ready!(Pin::new(job).poll(cx)) {
                        Ok(batch) => batch,
                        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                        Err(_) => {
                            return Poll::Ready(Err(io::Error::other(
                                "the runtime shut down while a directory was being read",
                            )));
                        }
                    };
                    self.0 = State::Idle(Some(batch));
                }
            }
        }
    }
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir").finish_non_exhaustive()
    }
}

/// One entry of a directory, from [`ReadDir`].
///
/// # Examples
/// See [`read_dir`].
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Read with the entry (from the directory itself on most file
    /// systems, so it costs nothing).
    file_type: Option<FileType>,
}

impl DirEntry {
    fn new(std: std::fs::DirEntry) -> DirEntry {
        let file_type = std.file_type().ok();
        DirEntry {
            std: Arc::new(std),
            file_type,
        }
    }

    /// The entry's full path (the directory's path joined with the name).
    ///
    /// # Examples
    /// See [`ReadDir`].
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name within its directory.
    ///
    /// # Examples
    /// See [`read_dir`].
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut entries = bobbin::fs::read_dir("/").await.unwrap();
    /// let entry = entries.next_entry().await.unwrap().unwrap();
    /// assert!(entry.ino() > 0);
    /// # });
    /// ```
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link (on the
    /// blocking pool).
    ///
    /// # Errors
    /// As `std::fs::DirEntry::metadata`, e.g. if the entry was removed.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut entries = bobbin::fs::read_dir("/").await.unwrap();
    /// let entry = entries.next_entry().await.unwrap().unwrap();
    /// let _ = entry.metadata().await.unwrap().len();
    /// # });
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// The entry's type, not following a symbolic link (known already on
    /// most file systems; else read on the blocking pool).
    ///
    /// # Errors
    /// As `std::fs::DirEntry::file_type`.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let mut entries = bobbin::fs::read_dir("/").await.unwrap();
    /// let mut dirs = 0;
    /// while let Some(entry) = entries.next_entry().await.unwrap() {
    ///     dirs += usize::from(entry.file_type().await.unwrap().is_dir());
    /// }
    /// assert!(dirs > 0);
    /// # });
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify(move || std.file_type()).await
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}
