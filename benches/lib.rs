//! What the benchmarks share: the worker count and smol's executor set up
//! as a multi-thread runtime. The benchmarks themselves are the `[[bench]]`
//! targets.

use std::future::Future;
use std::sync::Arc;

/// Worker threads for every runtime under test: 2, or `BENCH_WORKERS`.
pub fn workers() -> usize {
    std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

/// smol's `async-executor` run by `workers` threads until dropped: the
/// shape of a smol program's runtime.
pub struct SmolRt {
    /// The executor the threads run; spawn onto it.
    pub ex: Arc<async_executor::Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl SmolRt {
    /// Starts `workers` threads running a new executor.
    pub fn new(workers: usize) -> SmolRt {
        let ex = Arc::new(async_executor::Executor::new());
        let (stop, signal) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|_| {
                let ex = ex.clone();
                let signal = signal.clone();
                std::thread::spawn(move || {
                    futures_lite::future::block_on(ex.run(signal.recv())).unwrap_or(())
                })
            })
            .collect();
        SmolRt {
            ex,
            stop: Some(stop),
            threads,
        }
    }

    /// Runs `future` as a task on the executor and waits for it.
    pub fn block_on<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> T {
        futures_lite::future::block_on(self.ex.spawn(future))
    }
}

impl Drop for SmolRt {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}
