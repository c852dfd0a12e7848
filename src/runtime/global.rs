//! The global runtime: started on first use of `bobbin::spawn` or
//! `bobbin::block_on` on a thread that is in no runtime, so libraries can
//! spawn without being handed anything.
//!
//! Its worker count comes from `BOBBIN_WORKER_THREADS`, or the machine's
//! available parallelism. It lives for the rest of the process (a static is
//! never dropped), so its workers are not joined; they hold no work once
//! `main` returns.

use super::{Builder, Handle, Runtime};
use std::sync::OnceLock;

static GLOBAL: OnceLock<Runtime> = OnceLock::new();

/// The environment variable that sets the global runtime's worker count.
pub(crate) const WORKER_THREADS_VAR: &str = "BOBBIN_WORKER_THREADS";

/// The global runtime's handle if it has started.
pub(crate) fn try_handle() -> Option<&'static Handle> {
    GLOBAL.get().map(|runtime| runtime.handle_ref())
}

/// The global runtime's handle, starting it if needed.
///
/// # Panics
/// If `BOBBIN_WORKER_THREADS` is malformed or the threads cannot be
/// started; the message says what is accepted.
#[track_caller]
pub(crate) fn handle() -> &'static Handle {
    GLOBAL
        .get_or_init(|| match build() {
            Ok(runtime) => runtime,
            Err(err) => panic!("cannot start the global bobbin runtime: {err}"),
        })
        .handle_ref()
}

fn build() -> std::io::Result<Runtime> {
    let mut builder = Builder::new();
    builder.thread_name("bobbin-global");
    if let Some(workers) = worker_threads_from_env(std::env::var_os(WORKER_THREADS_VAR))? {
        builder.worker_threads(workers);
    }
    builder.build()
}

/// Parses the value of `BOBBIN_WORKER_THREADS`; `None` when unset.
pub(crate) fn worker_threads_from_env(
    value: Option<std::ffi::OsString>,
) -> std::io::Result<Option<usize>> {
    let Some(value) = value else { return Ok(None) };
    let text = value.to_string_lossy();
    match text.trim().parse::<usize>() {
        Ok(workers) if workers >= 1 => Ok(Some(workers)),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{WORKER_THREADS_VAR} must be a whole number of at least 1, got {text:?}"),
        )),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn env_value_must_be_a_positive_whole_number() {
        assert_eq!(worker_threads_from_env(None).unwrap(), None);
        assert_eq!(
            worker_threads_from_env(Some(" 3 ".into())).unwrap(),
            Some(3)
        );
        let err = worker_threads_from_env(Some("abc".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BOBBIN_WORKER_THREADS must be a whole number of at least 1, got \"abc\""
        );
        assert!(worker_threads_from_env(Some("0".into())).is_err());
        assert!(worker_threads_from_env(Some("-2".into())).is_err());
    }
}
