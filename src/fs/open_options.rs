//! [`OpenOptions`]: std's, with an async `open`.

use super::File;
use std::io;
use std::path::Path;

/// How to open a file: std's `OpenOptions` with an async
/// [`open`](OpenOptions::open).
///
/// # Examples
/// ```
/// use futures::io::AsyncWriteExt;
/// # bobbin::block_on(async {
/// let path = std::env::temp_dir().join(format!("bobbin-doc-oo-{}", std::process::id()));
/// bobbin::fs::write(&path, b"one ").await.unwrap();
/// let mut file = bobbin::fs::OpenOptions::new().append(true).open(&path).await.unwrap();
/// file.write_all(b"two").await.unwrap();
/// file.flush().await.unwrap();
/// assert_eq!(bobbin::fs::read(&path).await.unwrap(), b"one two");
/// bobbin::fs::remove_file(&path).await.unwrap();
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// All options off (set at least one of read, write or append).
    ///
    /// # Examples
    /// See [`OpenOptions`].
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open to read.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let file = bobbin::fs::OpenOptions::new().read(true).open("/dev/null").await.unwrap();
    /// # drop(file);
    /// # });
    /// ```
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open to write.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let file = bobbin::fs::OpenOptions::new().write(true).open("/dev/null").await.unwrap();
    /// # drop(file);
    /// # });
    /// ```
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open to append: every write goes to the end.
    ///
    /// # Examples
    /// See [`OpenOptions`].
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate the file to 0 bytes when opening it to write.
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-trunc-{}", std::process::id()));
    /// bobbin::fs::write(&path, b"old").await.unwrap();
    /// bobbin::fs::OpenOptions::new().write(true).truncate(true).open(&path).await.unwrap();
    /// assert!(bobbin::fs::read(&path).await.unwrap().is_empty());
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (with write or append).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-oc-{}", std::process::id()));
    /// bobbin::fs::OpenOptions::new().write(true).create(true).open(&path).await.unwrap();
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing if it exists (with write or append).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let err = bobbin::fs::OpenOptions::new().write(true).create_new(true).open("/").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    /// # });
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits a created file gets (before the umask).
    ///
    /// # Examples
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// # bobbin::block_on(async {
    /// let path = std::env::temp_dir().join(format!("bobbin-doc-mode-{}", std::process::id()));
    /// bobbin::fs::OpenOptions::new().write(true).create(true).mode(0o600).open(&path).await.unwrap();
    /// let mode = bobbin::fs::metadata(&path).await.unwrap().permissions().mode();
    /// assert_eq!(mode & 0o777, 0o600);
    /// bobbin::fs::remove_file(&path).await.unwrap();
    /// # });
    /// ```
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra `open(2)` flags (`O_NOFOLLOW`, `O_DIRECT`, ...).
    ///
    /// # Examples
    /// ```
    /// # bobbin::block_on(async {
    /// let file = bobbin::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOATIME)
    ///     .open("/dev/null").await;
    /// # drop(file);
    /// # });
    /// ```
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }

    /// Opens `path` with these options (on the blocking pool).
    ///
    /// # Errors
    /// As `std::fs::OpenOptions::open`: `NotFound`, `AlreadyExists`,
    /// `PermissionDenied`, `InvalidInput` for a combination that makes no
    /// sense (no access mode), ...
    ///
    /// # Examples
    /// See [`OpenOptions`].
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let (options, path) = (self.0.clone(), path.as_ref().to_owned());
        File::open_with(move || options.open(path)).await
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}
