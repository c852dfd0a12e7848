//! Files and directories without blocking a worker: `std::fs`'s functions
//! run on the blocking pool, [`File`] reads ahead and writes behind on it,
//! and [`read_dir`] fetches entries in batches.
//!
//! What lives here: the free functions (this file), [`File`] (`file.rs`,
//! with its buffer in `buf.rs` and its streaming reader in
//! `read_ahead.rs`), [`OpenOptions`] (`open_options.rs`) and
//! [`ReadDir`]/[`DirEntry`] (`read_dir.rs`).
//!
//! Why the blocking pool and not io_uring or the reactor: regular files are
//! always "ready" to epoll, so the reactor cannot wait on them; io_uring is
//! Linux-only, needs a dependency the project does not have, and is
//! disabled in many containers. Each call costs a hop to a pool thread and
//! back (two thread wake-ups); [`File`] avoids it on sequential reads of a
//! regular file with a job that keeps reading ahead while the caller takes
//! the chunks, and [`read_dir`] fetches 32 entries per hop.
//!
//! Tested by `executor-tests/tests/fs_*.rs`.

#![forbid(unsafe_code)]

mod buf;
mod file;
mod open_options;
mod read_ahead;
mod read_dir;

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{DirEntry, ReadDir, read_dir};

use std::io;
use std::path::{Path, PathBuf};

/// Runs `f` on the blocking pool and returns its result.
pub(crate) async fn asyncify<T, F>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match crate::spawn_blocking(f).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => Err(io::Error::other(
            "the runtime shut down before the file system call ran",
        )),
    }
}

/// Reads the whole file into a vector (`std::fs::read` on the blocking
/// pool).
///
/// # Errors
/// As `std::fs::read`: `NotFound`, `PermissionDenied`, ...
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let path = std::env::temp_dir().join(format!("bobbin-doc-read-{}", std::process::id()));
/// bobbin::fs::write(&path, b"abc").await.unwrap();
/// assert_eq!(bobbin::fs::read(&path).await.unwrap(), b"abc");
/// bobbin::fs::remove_file(&path).await.unwrap();
/// # });
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read(path)).await
}

/// Reads the whole file into a string (`std::fs::read_to_string` on the
/// blocking pool).
///
/// # Errors
/// As `std::fs::read_to_string`, including `InvalidData` for a file that
/// is not UTF-8.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let path = std::env::temp_dir().join(format!("bobbin-doc-rts-{}", std::process::id()));
/// bobbin::fs::write(&path, "hello").await.unwrap();
/// assert_eq!(bobbin::fs::read_to_string(&path).await.unwrap(), "hello");
/// bobbin::fs::remove_file(&path).await.unwrap();
/// # });
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_to_string(path)).await
}

/// Writes `contents` as the whole file, creating or truncating it
/// (`std::fs::write` on the blocking pool).
///
/// # Errors
/// As `std::fs::write`.
///
/// # Examples
/// See [`read`].
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    asyncify(move || std::fs::write(path, contents)).await
}

/// Copies a file's contents and permissions; returns the bytes copied
/// (`std::fs::copy` on the blocking pool).
///
/// # Errors
/// As `std::fs::copy`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let dir = std::env::temp_dir();
/// let (from, to) = (dir.join(format!("bobbin-doc-cp1-{}", std::process::id())),
///                   dir.join(format!("bobbin-doc-cp2-{}", std::process::id())));
/// bobbin::fs::write(&from, b"12345").await.unwrap();
/// assert_eq!(bobbin::fs::copy(&from, &to).await.unwrap(), 5);
/// bobbin::fs::remove_file(&from).await.unwrap();
/// bobbin::fs::remove_file(&to).await.unwrap();
/// # });
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::copy(from, to)).await
}

/// Renames a file or directory, replacing `to` if it exists
/// (`std::fs::rename` on the blocking pool).
///
/// # Errors
/// As `std::fs::rename`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let dir = std::env::temp_dir();
/// let (a, b) = (dir.join(format!("bobbin-doc-mv1-{}", std::process::id())),
///               dir.join(format!("bobbin-doc-mv2-{}", std::process::id())));
/// bobbin::fs::write(&a, b"x").await.unwrap();
/// bobbin::fs::rename(&a, &b).await.unwrap();
/// assert!(!bobbin::fs::try_exists(&a).await.unwrap());
/// bobbin::fs::remove_file(&b).await.unwrap();
/// # });
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::rename(from, to)).await
}

/// Removes a file (`std::fs::remove_file` on the blocking pool).
///
/// # Errors
/// As `std::fs::remove_file`.
///
/// # Examples
/// See [`read`].
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_file(path)).await
}

/// Removes an empty directory (`std::fs::remove_dir` on the blocking
/// pool).
///
/// # Errors
/// As `std::fs::remove_dir`, e.g. for a directory that is not empty.
///
/// # Examples
/// See [`create_dir`].
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir(path)).await
}

/// Removes a directory and everything in it
/// (`std::fs::remove_dir_all` on the blocking pool).
///
/// # Errors
/// As `std::fs::remove_dir_all`.
///
/// # Examples
/// See [`create_dir_all`].
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path)).await
}

/// Creates a directory (`std::fs::create_dir` on the blocking pool).
///
/// # Errors
/// As `std::fs::create_dir`, e.g. `AlreadyExists`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let dir = std::env::temp_dir().join(format!("bobbin-doc-mkdir-{}", std::process::id()));
/// bobbin::fs::create_dir(&dir).await.unwrap();
/// assert!(bobbin::fs::metadata(&dir).await.unwrap().is_dir());
/// bobbin::fs::remove_dir(&dir).await.unwrap();
/// # });
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir(path)).await
}

/// Creates a directory and its missing parents
/// (`std::fs::create_dir_all` on the blocking pool).
///
/// # Errors
/// As `std::fs::create_dir_all`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let root = std::env::temp_dir().join(format!("bobbin-doc-mkdirs-{}", std::process::id()));
/// bobbin::fs::create_dir_all(root.join("a/b/c")).await.unwrap();
/// bobbin::fs::remove_dir_all(&root).await.unwrap();
/// assert!(!bobbin::fs::try_exists(&root).await.unwrap());
/// # });
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir_all(path)).await
}

/// A path's metadata, following symbolic links (`std::fs::metadata` on
/// the blocking pool).
///
/// # Errors
/// As `std::fs::metadata`.
///
/// # Examples
/// See [`create_dir`].
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path)).await
}

/// A path's metadata, not following a final symbolic link
/// (`std::fs::symlink_metadata` on the blocking pool).
///
/// # Errors
/// As `std::fs::symlink_metadata`.
///
/// # Examples
/// See [`read_link`].
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path)).await
}

/// The absolute path with every link and `..` resolved
/// (`std::fs::canonicalize` on the blocking pool).
///
/// # Errors
/// As `std::fs::canonicalize`, e.g. `NotFound`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let root = bobbin::fs::canonicalize("/tmp/..").await.unwrap();
/// assert_eq!(root, std::path::Path::new("/"));
/// # });
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path)).await
}

/// Where a symbolic link points (`std::fs::read_link` on the blocking
/// pool).
///
/// # Errors
/// As `std::fs::read_link`, e.g. for a path that is not a link.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let link = std::env::temp_dir().join(format!("bobbin-doc-link-{}", std::process::id()));
/// bobbin::fs::symlink("/", &link).await.unwrap();
/// assert_eq!(bobbin::fs::read_link(&link).await.unwrap(), std::path::Path::new("/"));
/// assert!(bobbin::fs::symlink_metadata(&link).await.unwrap().is_symlink());
/// bobbin::fs::remove_file(&link).await.unwrap();
/// # });
/// ```
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path)).await
}

/// Makes `link` a symbolic link to `original`
/// (`std::os::unix::fs::symlink` on the blocking pool).
///
/// # Errors
/// As `std::os::unix::fs::symlink`, e.g. `AlreadyExists`.
///
/// # Examples
/// See [`read_link`].
#[cfg(unix)]
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::os::unix::fs::symlink(original, link)).await
}

/// Makes `link` a hard link to `original` (`std::fs::hard_link` on the
/// blocking pool).
///
/// # Errors
/// As `std::fs::hard_link`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let dir = std::env::temp_dir();
/// let (a, b) = (dir.join(format!("bobbin-doc-hl1-{}", std::process::id())),
///               dir.join(format!("bobbin-doc-hl2-{}", std::process::id())));
/// bobbin::fs::write(&a, b"same").await.unwrap();
/// bobbin::fs::hard_link(&a, &b).await.unwrap();
/// assert_eq!(bobbin::fs::read(&b).await.unwrap(), b"same");
/// bobbin::fs::remove_file(&a).await.unwrap();
/// bobbin::fs::remove_file(&b).await.unwrap();
/// # });
/// ```
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::fs::hard_link(original, link)).await
}

/// Sets a path's permissions (`std::fs::set_permissions` on the blocking
/// pool).
///
/// # Errors
/// As `std::fs::set_permissions`.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// let path = std::env::temp_dir().join(format!("bobbin-doc-perm-{}", std::process::id()));
/// bobbin::fs::write(&path, b"").await.unwrap();
/// let mut permissions = bobbin::fs::metadata(&path).await.unwrap().permissions();
/// permissions.set_readonly(true);
/// bobbin::fs::set_permissions(&path, permissions).await.unwrap();
/// assert!(bobbin::fs::metadata(&path).await.unwrap().permissions().readonly());
/// bobbin::fs::remove_file(&path).await.unwrap();
/// # });
/// ```
pub async fn set_permissions(
    path: impl AsRef<Path>,
    permissions: std::fs::Permissions,
) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, permissions)).await
}

/// True if the path exists (following links), false if it does not; an
/// error if that cannot be told (`std::fs::exists` on the blocking pool).
///
/// # Errors
/// As `std::fs::exists`, e.g. `PermissionDenied` on a parent directory.
///
/// # Examples
/// ```
/// # bobbin::block_on(async {
/// assert!(bobbin::fs::try_exists("/").await.unwrap());
/// assert!(!bobbin::fs::try_exists("/no/such/path").await.unwrap());
/// # });
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::exists(path)).await
}
