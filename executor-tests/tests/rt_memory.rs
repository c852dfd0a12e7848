//! Memory comes back: a million tasks spawned and finished leave the heap
//! where it was (counted by a global allocator in this test binary).

use executor_tests::{LIMIT, runtime, wait_until, with_timeout};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// Counts the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is a side effect with no bearing on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), SeqCst);
        // SAFETY: the caller's obligations are the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), SeqCst);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const TASKS: u64 = 1_000_000;
/// What the runtime may keep after a burst: ring buffers, injector shards
/// shrunk to their retained size, thread-local id blocks.
const SLACK: usize = 1 << 20;

#[test]
fn a_million_joined_tasks_give_their_memory_back() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "mem-join");
        // Warm up: threads, thread-locals and queues reach their steady size.
        rt.block_on(rt.spawn(async {
            let handles: Vec<_> = (0..10_000)
                .map(|i| bobbin::spawn(async move { i }))
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        }))
        .unwrap();
        let before = LIVE.load(SeqCst);
        let sum = rt
            .block_on(rt.spawn(async {
                let handles: Vec<_> = (0..TASKS)
                    .map(|i| bobbin::spawn(async move { i }))
                    .collect();
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await.unwrap();
                }
                sum
            }))
            .unwrap();
        assert_eq!(sum, TASKS * (TASKS - 1) / 2);
        let after = LIVE.load(SeqCst);
        assert!(
            after < before + SLACK,
            "{} bytes still allocated after a million tasks finished",
            after - before
        );
    });
}

#[test]
fn a_million_detached_tasks_give_their_memory_back() {
    with_timeout(LIMIT, || {
        let rt = runtime(2, "mem-detach");
        let done = Arc::new(AtomicUsize::new(0));
        let warm = done.clone();
        rt.block_on(async move {
            for _ in 0..10_000 {
                let warm = warm.clone();
                drop(bobbin::spawn(async move {
                    warm.fetch_add(1, SeqCst);
                }));
            }
        });
        wait_until(LIMIT, "the warm-up tasks ran", || {
            done.load(SeqCst) == 10_000
        });
        done.store(0, SeqCst);
        let before = LIVE.load(SeqCst);
        let counter = done.clone();
        rt.block_on(async move {
            for _ in 0..TASKS {
                let counter = counter.clone();
                drop(bobbin::spawn(async move {
                    counter.fetch_add(1, SeqCst);
                }));
            }
        });
        wait_until(LIMIT, "a million detached tasks ran", || {
            done.load(SeqCst) == TASKS as usize
        });
        // The last task's cell is freed just after its counter moves.
        wait_until(LIMIT, "the heap returned to where it was", || {
            LIVE.load(SeqCst) < before + SLACK
        });
    });
}
