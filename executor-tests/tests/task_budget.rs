//! The cooperative budget, through the public API: a task whose channel,
//! sync, timer or socket operations are always ready still lets its
//! neighbour run on a one-worker runtime; one poll completes 128
//! operations; on two workers the budget is renewed up to 61 budgets a
//! poll while only what the poll woke waits, not when a local task or an
//! older task waits, the renewed budget was slow or the renewals have
//! lasted their share of the long-poll threshold, and the woken task goes
//! to the idle worker; outside a task nothing yields for the budget;
//! `unconstrained` opts out and `consume_budget` opts a CPU loop in; a
//! spent budget makes operations pend without taking anything, and loses
//! no message or wake-up; a `Timeout` around a future that spends the
//! whole budget still fires.
//!
//! The neighbour tests are deterministic: the spinning task queues its
//! neighbour on its own (only) worker and then loops; nothing but a
//! `Pending` from the spinner can let the neighbour run (the runtime's
//! long-poll threshold is a minute, so the monitor does not move the
//! neighbour to a spare worker under a slow machine), and none of the
//! spinner's operations has a reason to pend except the budget. Without
//! the budget the spinner finishes its loop without ever seeing the
//! neighbour; the loops are bounded, so no test can hang that way.

use bobbin::channel::{self, RecvError};
use bobbin::net::{TcpListener, TcpStream};
use bobbin::sync::{Barrier, Mutex, Notify, RwLock, Semaphore, WaitGroup};
use bobbin::task::{consume_budget, unconstrained, yield_now};
use bobbin::time::{interval, sleep, timeout};
use executor_tests::{LIMIT, runtime, with_timeout};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::{SinkExt, StreamExt, poll};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::task::Poll;
use std::time::Duration;

/// How many times a spinner loops: far more than one budget's worth.
const SPINS: u64 = 20_000;

/// The budget of one task poll (tokio's number).
const BUDGET: u64 = 128;

/// A task queued on the current worker, which records that it ran.
struct Neighbour {
    ran: Arc<AtomicBool>,
}

impl Neighbour {
    /// Spawns it from the running task: on a one-worker runtime it can run
    /// only when the spawning task returns `Pending`.
    fn queue() -> Neighbour {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        drop(bobbin::spawn(async move { flag.store(true, SeqCst) }));
        Neighbour { ran }
    }

    fn has_run(&self) -> bool {
        self.ran.load(SeqCst)
    }
}

/// Queues a neighbour, then runs `$body` up to `$turns` times: the turn
/// after which the neighbour had run, or `None` if it never did. A macro,
/// not an `async fn` taking an async closure: that closure's future cannot
/// be shown `Send` for the spawn on stable Rust.
macro_rules! spin_until_neighbour_runs {
    ($turns:expr, |$turn:ident| $body:block) => {{
        let neighbour = Neighbour::queue();
        let mut seen = None;
        for $turn in 0..$turns {
            $body
            if neighbour.has_run() {
                seen = Some($turn);
                break;
            }
        }
        seen
    }};
}

/// A runtime whose monitor moves no queued task away from a long poll
/// within a test's time: only the spinner's `Pending`, or another worker's
/// steal, lets its neighbour run.
fn unrescued_runtime(workers: usize, name: &str) -> bobbin::Runtime {
    bobbin::Runtime::builder()
        .worker_threads(workers)
        .thread_name(name)
        .long_poll_threshold(Duration::from_secs(60))
        .build()
        .expect("a runtime with a one-minute long-poll threshold starts")
}

/// Runs `spinner` as a task on a fresh one-worker runtime; its output.
fn on_one_worker<T: Send + 'static>(
    name: &'static str,
    spinner: impl Future<Output = T> + Send + 'static,
) -> T {
    with_timeout(LIMIT, move || {
        let rt = unrescued_runtime(1, name);
        rt.block_on(rt.spawn(spinner)).unwrap()
    })
}

/// The spinner returns the turn at which it first saw its neighbour had
/// run; `None` means it never yielded.
#[track_caller]
fn assert_yielded(what: &str, seen_at: Option<u64>) {
    match seen_at {
        Some(turn) => assert!(turn < SPINS),
        None => panic!(
            "a task looping on {what} ran {SPINS} turns on a one-worker runtime without \
             letting its queued neighbour run: the cooperative budget did not make it yield"
        ),
    }
}

/// Counts the polls of a future.
async fn count_polls<F: Future>(future: F, polls: &AtomicU64) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        polls.fetch_add(1, SeqCst);
        future.as_mut().poll(cx)
    })
    .await
}

/// Buffers `values` values in a channel, then receives them all (each
/// `recv` ready at once): how many polls that took.
async fn polls_to_receive(values: u64) -> u64 {
    let (tx, rx) = channel::unbounded();
    for value in 0..values {
        tx.try_send(value).unwrap();
    }
    let polls = AtomicU64::new(0);
    count_polls(
        async {
            for value in 0..values {
                assert_eq!(rx.recv().await, Ok(value));
            }
        },
        &polls,
    )
    .await;
    polls.into_inner()
}

#[test]
fn a_task_spinning_on_a_ready_channel_lets_its_neighbour_run() {
    // Send and receive on one unbounded channel: both always ready.
    let seen = on_one_worker("budget-chan-ping", async {
        let (tx, rx) = channel::unbounded();
        spin_until_neighbour_runs!(SPINS, |turn| {
            tx.send(turn).await.unwrap();
            assert_eq!(rx.recv().await, Ok(turn));
        })
    });
    assert_yielded("send + recv of an unbounded channel", seen);

    // Receive from a full bounded channel, by `recv` and as a `Stream`.
    let seen = on_one_worker("budget-chan-recv", async {
        let (tx, rx) = channel::bounded(SPINS as usize);
        for value in 0..SPINS {
            tx.try_send(value).unwrap();
        }
        spin_until_neighbour_runs!(SPINS, |turn| {
            assert_eq!(rx.recv().await, Ok(turn));
        })
    });
    assert_yielded("recv of a full bounded channel", seen);

    let seen = on_one_worker("budget-chan-stream", async {
        let (tx, mut rx) = channel::unbounded();
        for value in 0..SPINS {
            tx.try_send(value).unwrap();
        }
        spin_until_neighbour_runs!(SPINS, |turn| {
            assert_eq!(rx.next().await, Some(turn));
        })
    });
    assert_yielded("Stream::next of a full channel", seen);

    // Send through the `Sink` into a channel with room.
    let seen = on_one_worker("budget-chan-sink", async {
        let (mut tx, _rx) = channel::bounded(SPINS as usize);
        spin_until_neighbour_runs!(SPINS, |turn| {
            SinkExt::send(&mut tx, turn).await.unwrap();
        })
    });
    assert_yielded("SinkExt::send into a channel with room", seen);

    // A oneshot received at once, over and over.
    let seen = on_one_worker("budget-oneshot", async {
        spin_until_neighbour_runs!(SPINS, |turn| {
            let (tx, rx) = channel::oneshot();
            tx.send(turn).unwrap();
            assert_eq!(rx.await, Ok(turn));
        })
    });
    assert_yielded("a oneshot receive", seen);
}

#[test]
fn a_task_spinning_on_uncontended_locks_lets_its_neighbour_run() {
    let seen = on_one_worker("budget-mutex", async {
        let mutex = Mutex::new(0u64);
        spin_until_neighbour_runs!(SPINS, |turn| {
            *mutex.lock().await += 1;
        })
    });
    assert_yielded("Mutex::lock", seen);

    let seen = on_one_worker("budget-rwlock", async {
        let lock = RwLock::new(0u64);
        spin_until_neighbour_runs!(SPINS, |turn| {
            *lock.write().await += 1;
            assert_eq!(*lock.read().await, turn + 1);
        })
    });
    assert_yielded("RwLock::write and read", seen);

    let seen = on_one_worker("budget-semaphore", async {
        let semaphore = Semaphore::new(4);
        spin_until_neighbour_runs!(SPINS, |turn| {
            drop(semaphore.acquire_many(2).await.unwrap());
        })
    });
    assert_yielded("Semaphore::acquire_many", seen);

    let seen = on_one_worker("budget-notify", async {
        let notify = Notify::new();
        spin_until_neighbour_runs!(SPINS, |turn| {
            notify.notify_one();
            notify.notified().await;
        })
    });
    assert_yielded("notify_one + notified", seen);

    let seen = on_one_worker("budget-barrier", async {
        let barrier = Barrier::new(1);
        let group = WaitGroup::new();
        spin_until_neighbour_runs!(SPINS, |turn| {
            assert!(barrier.wait().await.is_leader());
            group.wait().await;
        })
    });
    assert_yielded("Barrier::wait(1) and WaitGroup::wait at zero", seen);
}

#[test]
fn a_task_spinning_on_due_timers_lets_its_neighbour_run() {
    let seen = on_one_worker("budget-sleep", async {
        spin_until_neighbour_runs!(SPINS, |turn| {
            sleep(Duration::ZERO).await;
        })
    });
    assert_yielded("sleep(Duration::ZERO)", seen);

    let seen = on_one_worker("budget-interval", async {
        let mut ticks = interval(Duration::from_secs(3600));
        spin_until_neighbour_runs!(SPINS, |turn| {
            ticks.reset_immediately();
            ticks.tick().await;
        })
    });
    assert_yielded("Interval::tick, always due", seen);
}

#[test]
fn a_task_reading_a_socket_that_always_has_data_lets_its_neighbour_run() {
    const BYTES: usize = 16 * 1024;
    let seen = on_one_worker("budget-tcp", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(&[7; BYTES]).await.unwrap();
        // Until every byte is in the server's buffer, a read could find it
        // empty and pend for a reason of its own.
        let mut all = vec![0; BYTES];
        while server.peek(&mut all).await.unwrap() < BYTES {
            yield_now().await;
        }
        let mut byte = [0u8; 1];
        spin_until_neighbour_runs!(BYTES as u64, |turn| {
            // One byte of many: each read is ready at once.
            assert_eq!(server.read(&mut byte).await.unwrap(), 1);
        })
    });
    assert_yielded("one-byte reads of a TCP socket with data", seen);
}

/// 128 operations per poll, exactly: a task receiving 128 × 10 buffered
/// values is polled 10 times; the same loop pure CPU with
/// `consume_budget` likewise.
#[test]
fn one_poll_completes_128_operations() {
    const POLLS: u64 = 10;
    let polls = on_one_worker("budget-count", polls_to_receive(BUDGET * POLLS));
    assert_eq!(
        polls,
        POLLS,
        "polls to receive {} ready values",
        BUDGET * POLLS
    );

    let polls = on_one_worker("budget-consume", async {
        let polls = AtomicU64::new(0);
        let sum = count_polls(
            async {
                let mut sum = 0u64;
                for i in 0..BUDGET * POLLS {
                    sum += i;
                    consume_budget().await;
                }
                sum
            },
            &polls,
        )
        .await;
        assert_eq!(sum, (0..BUDGET * POLLS).sum::<u64>());
        polls.into_inner()
    });
    assert_eq!(polls, POLLS, "polls of a loop calling consume_budget");
}

/// On a runtime with other workers a spent budget is renewed until the
/// worker's periodic tick (each renewal counts as one), so a poll completes
/// at most 61 budgets (one begun on the periodic tick renews up to the tick
/// before the next): 256 budgets of ready values take at least 5 polls
/// (256 on one worker, `one_poll_completes_128_operations`, and 32 when a
/// poll renewed at most 7 times), and at most 16 (a poll after a steal may
/// begin anywhere in the other worker's period).
#[test]
fn with_other_workers_one_poll_completes_up_to_61_budgets() {
    const BUDGETS: u64 = 256;
    const MAX_BUDGETS_A_POLL: u64 = 61;
    const MAX_POLLS: u64 = 16;
    let polls = with_timeout(LIMIT, || {
        let rt = unrescued_runtime(2, "budget-renewed");
        rt.block_on(rt.spawn(polls_to_receive(BUDGETS * BUDGET)))
            .unwrap()
    });
    assert!(
        (BUDGETS.div_ceil(MAX_BUDGETS_A_POLL)..=MAX_POLLS).contains(&polls),
        "{} ready values took {polls} polls on two workers: expected between {} (at most \
         {MAX_BUDGETS_A_POLL} budgets a poll) and {MAX_POLLS}",
        BUDGETS * BUDGET,
        BUDGETS.div_ceil(MAX_BUDGETS_A_POLL),
    );
}

/// Spins `units` units of `unit` each, spending a budget unit after each:
/// how many polls that took.
async fn polls_to_spin(units: u64, unit: Duration) -> u64 {
    let polls = AtomicU64::new(0);
    count_polls(
        async {
            for _ in 0..units {
                let start = std::time::Instant::now();
                while start.elapsed() < unit {
                    std::hint::spin_loop();
                }
                consume_budget().await;
            }
        },
        &polls,
    )
    .await;
    polls.into_inner()
}

/// A poll stops renewing once a 32nd of the long-poll threshold has passed
/// since its first renewal, however quick each budget: with a 64 ms
/// threshold (a renewed budget may take up to 1 ms, the renewals 2 ms) and
/// units of 2 µs, a budget takes at least 256 µs, so a poll completes at
/// most 9 budgets (the first, and renewals while under 2 ms since the first
/// renewal): 64 budgets take at least 8 polls, not 1.
#[test]
fn a_poll_stops_renewing_after_its_share_of_the_long_poll_threshold() {
    const BUDGETS: u64 = 64;
    const MAX_BUDGETS_A_POLL: u64 = 9;
    let polls = with_timeout(LIMIT, || {
        let rt = bobbin::Runtime::builder()
            .worker_threads(2)
            .thread_name("budget-long-renewal")
            .long_poll_threshold(Duration::from_millis(64))
            .build()
            .expect("a runtime with a 64 ms long-poll threshold starts");
        rt.block_on(rt.spawn(polls_to_spin(BUDGETS * BUDGET, Duration::from_micros(2))))
            .unwrap()
    });
    assert!(
        polls >= BUDGETS.div_ceil(MAX_BUDGETS_A_POLL),
        "{BUDGETS} budgets of 2 µs units took {polls} polls: a poll renewed its budget \
         for more than a 32nd of the 64 ms long-poll threshold"
    );
}

/// A renewed budget of slow operations is not renewed again: with each
/// unit 2 µs of work, a budget takes 256 µs, above a 64th of the default
/// 10 ms long-poll threshold, so each poll completes two budgets (the first
/// renewal cannot know) and yields: 1024 units take 4 polls, not 1 (5 if
/// one poll begins just before its worker's periodic tick, which a renewal
/// may not take: the runtime is fresh, so its ticks are far from the first
/// one at 61).
#[test]
fn a_slow_renewed_budget_is_not_renewed_again() {
    const POLLS: u64 = 4;
    let polls = with_timeout(LIMIT, || {
        let rt = runtime(2, "budget-slow");
        rt.block_on(rt.spawn(polls_to_spin(2 * BUDGET * POLLS, Duration::from_micros(2))))
            .unwrap()
    });
    assert!(
        (POLLS..=POLLS + 1).contains(&polls),
        "a loop whose units take 2 µs each took {polls} polls, expected {POLLS}"
    );
}

/// A local task ready on the worker's thread stops the renewal: only that
/// thread can run it, so the spinning task yields every 128 operations as
/// on one worker.
#[test]
fn a_ready_local_task_keeps_the_budget_at_128() {
    const POLLS: u64 = 10;
    let polls = with_timeout(LIMIT, || {
        let rt = runtime(2, "budget-local");
        rt.block_on(rt.spawn(async {
            let stop = Arc::new(AtomicBool::new(false));
            let stopped = stop.clone();
            // Always ready: it yields each turn until told to stop.
            let neighbour = bobbin::task::spawn_local(async move {
                while !stopped.load(SeqCst) {
                    yield_now().await;
                }
            });
            let spinner = bobbin::task::spawn_local(async move {
                let polls = polls_to_receive(BUDGET * POLLS).await;
                stop.store(true, SeqCst);
                polls
            });
            let polls = spinner.await.unwrap();
            neighbour.await.unwrap();
            polls
        }))
        .unwrap()
    });
    assert_eq!(polls, POLLS, "polls with a local task ready beside it");
}

/// A task that was waiting in the ring when the spinning task's poll began
/// stops the renewal: it waits one budget, as on one worker, not up to 61.
/// The other worker is held by a task that never awaits, so nobody steals
/// the waiting task; it yields each turn, so it is in the ring at the start
/// of every poll of the spinner: 1280 ready values take 10 polls.
#[test]
fn a_task_waiting_when_the_poll_began_keeps_the_budget_at_128() {
    const POLLS: u64 = 10;
    let polls = with_timeout(LIMIT, || {
        let rt = unrescued_runtime(2, "budget-waiting");
        rt.block_on(rt.spawn(async {
            let hold = Arc::new(AtomicBool::new(true));
            let held = Arc::new(AtomicBool::new(false));
            let (holding, is_held) = (hold.clone(), held.clone());
            let holder = bobbin::spawn(async move {
                is_held.store(true, SeqCst);
                while holding.load(SeqCst) {
                    std::hint::spin_loop();
                }
            });
            // Lets the holder go even if an assertion below fails.
            struct LetGo(Arc<AtomicBool>);
            impl Drop for LetGo {
                fn drop(&mut self) {
                    self.0.store(false, SeqCst);
                }
            }
            let let_go = LetGo(hold);
            // The holder never awaits: once it runs, this task is on the
            // other worker.
            while !held.load(SeqCst) {
                yield_now().await;
            }
            let stop = Arc::new(AtomicBool::new(false));
            let stopped = stop.clone();
            let waiter = bobbin::spawn(async move {
                while !stopped.load(SeqCst) {
                    yield_now().await;
                }
            });
            // Behind the waiter: from here on, every poll of this task
            // begins with the waiter in the ring.
            yield_now().await;
            let polls = polls_to_receive(BUDGET * POLLS).await;
            stop.store(true, SeqCst);
            drop(let_go);
            waiter.await.unwrap();
            holder.await.unwrap();
            polls
        }))
        .unwrap()
    });
    assert_eq!(
        polls, POLLS,
        "polls with a task waiting in the ring since before each poll"
    );
}

/// A task woken into the LIFO slot of a worker whose task then spends its
/// budget is run by the idle worker during that same poll: the renewal
/// moves it to the ring, where thieves look, and wakes one. The spinner
/// spends 129 units (the 129th is renewed), then waits for it without
/// awaiting, so the idle worker's wake-up may take as long as the machine
/// needs. Without the renewal the 129th unit yields, and the task runs in
/// the spinner's second poll. (A renewal may not take the worker's periodic
/// tick; the runtime is fresh, so the spinner's first poll is far from it.)
#[test]
fn a_renewing_task_hands_the_task_it_woke_to_an_idle_worker() {
    let seen_in_poll = with_timeout(LIMIT, || {
        let rt = unrescued_runtime(2, "budget-hand-off");
        rt.block_on(rt.spawn(async {
            let (tx, rx) = channel::bounded::<()>(1);
            let ran = Arc::new(AtomicBool::new(false));
            let flag = ran.clone();
            let woken = bobbin::spawn(async move {
                rx.recv().await.unwrap();
                flag.store(true, SeqCst);
            });
            // Let it reach its `recv` and wait there.
            sleep(Duration::from_millis(20)).await;
            // Wakes it into this worker's LIFO slot; the other is idle.
            tx.send(()).await.unwrap();
            let polls = AtomicU64::new(0);
            count_polls(
                async {
                    for _ in 0..=BUDGET {
                        consume_budget().await;
                    }
                    let deadline = std::time::Instant::now() + LIMIT / 2;
                    while !ran.load(SeqCst) && std::time::Instant::now() < deadline {
                        std::hint::spin_loop();
                    }
                },
                &polls,
            )
            .await;
            woken.await.unwrap();
            ran.load(SeqCst).then(|| polls.into_inner())
        }))
        .unwrap()
    });
    assert_eq!(
        seen_in_poll,
        Some(1),
        "the woken task ran while its waker spun in its first poll"
    );
}

#[test]
fn consume_budget_makes_a_cpu_loop_yield() {
    let seen = on_one_worker("budget-cpu", async {
        let neighbour = Neighbour::queue();
        let mut sum = 0u64;
        for turn in 0..SPINS {
            sum = sum.wrapping_add(turn * turn);
            consume_budget().await;
            if neighbour.has_run() {
                return Some(turn);
            }
        }
        std::hint::black_box(sum);
        None
    });
    assert_yielded("a CPU loop with consume_budget", seen);
}

/// A task inside `unconstrained` finishes a loop of always-ready channel
/// operations before a neighbour queued earlier on its worker runs; the
/// same loop outside it yields (`a_task_spinning_on_a_ready_channel...`).
#[test]
fn unconstrained_opts_out_of_the_budget() {
    let (ran_during, ran_after) = on_one_worker(
        "budget-unconstrained",
        unconstrained(async {
            let (tx, rx) = channel::unbounded();
            let neighbour = Neighbour::queue();
            for turn in 0..10_000u64 {
                tx.send(turn).await.unwrap();
                assert_eq!(rx.recv().await, Ok(turn));
                sleep(Duration::ZERO).await;
                consume_budget().await;
            }
            let ran_during = neighbour.has_run();
            // An await that really waits lets the neighbour run.
            while !neighbour.has_run() {
                yield_now().await;
            }
            (ran_during, neighbour.has_run())
        }),
    );
    assert!(
        !ran_during,
        "the neighbour ran while an unconstrained task looped on ready operations"
    );
    assert!(ran_after);

    // The budget of the code around `unconstrained` is untouched: after
    // it, the task spins within its budget again.
    let seen = on_one_worker("budget-after-unconstrained", async {
        let (tx, rx) = channel::unbounded();
        for turn in 0..1_000u64 {
            unconstrained(tx.send(turn)).await.unwrap();
            assert_eq!(unconstrained(rx.recv()).await, Ok(turn));
        }
        spin_until_neighbour_runs!(SPINS, |turn| {
            tx.send(turn).await.unwrap();
            assert_eq!(rx.recv().await, Ok(turn));
        })
    });
    assert_yielded("a channel, after awaiting unconstrained futures", seen);
}

/// In `block_on`, under another executor and on a plain thread there is no
/// budget: a loop of ready operations completes in one poll.
#[test]
fn outside_a_task_nothing_yields_for_the_budget() {
    with_timeout(LIMIT, || {
        let spin = |polls: Arc<AtomicU64>| async move {
            let (tx, rx) = channel::unbounded();
            let mutex = Mutex::new(());
            let polled = count_polls(
                async {
                    for turn in 0..SPINS {
                        tx.send(turn).await.unwrap();
                        assert_eq!(rx.recv().await, Ok(turn));
                        drop(mutex.lock().await);
                        sleep(Duration::ZERO).await;
                        consume_budget().await;
                    }
                },
                &polls,
            );
            polled.await;
        };
        let rt = runtime(1, "budget-outside");
        let polls = Arc::new(AtomicU64::new(0));
        rt.block_on(spin(polls.clone()));
        assert_eq!(polls.swap(0, SeqCst), 1, "Runtime::block_on");
        bobbin::block_on(spin(polls.clone()));
        assert_eq!(polls.swap(0, SeqCst), 1, "bobbin::block_on");
        futures::executor::block_on(spin(polls.clone()));
        assert_eq!(polls.swap(0, SeqCst), 1, "futures::executor::block_on");
        let on_thread = polls.clone();
        std::thread::spawn(move || futures::executor::block_on(spin(on_thread)))
            .join()
            .unwrap();
        assert_eq!(polls.load(SeqCst), 1, "a plain thread");
    });
}

/// With the budget spent, an operation returns `Pending` before it takes
/// anything: the value stays in the channel, the lock stays free, the
/// permit stays stored. `try_*` and a `select!` with `default` still take
/// what is ready, a `Timeout` whose future is ready completes, and at the
/// next poll everything goes on.
#[test]
fn a_spent_budget_makes_operations_pend_without_taking_anything() {
    on_one_worker("budget-spent", async {
        let (tx, rx) = channel::bounded(4);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        tx.try_send(3).unwrap();
        let mutex = Mutex::new(0);
        let notify = Notify::new();
        notify.notify_one();

        // The first poll of the task: spend exactly the whole budget.
        for _ in 0..BUDGET {
            consume_budget().await;
        }
        assert!(poll!(pin!(rx.recv())).is_pending());
        assert_eq!(rx.len(), 3, "a pending recv took a value");
        assert!(poll!(pin!(tx.send(4))).is_pending());
        assert_eq!(rx.len(), 3, "a pending send put its value");
        assert!(poll!(pin!(mutex.lock())).is_pending());
        assert!(mutex.try_lock().is_ok(), "a pending lock() kept the mutex");
        assert!(poll!(pin!(sleep(Duration::ZERO))).is_pending());
        assert!(poll!(pin!(consume_budget())).is_pending());
        // Ready things that do not spend.
        assert_eq!(rx.try_recv(), Ok(1));
        let chosen = bobbin::select! {
            value = rx.recv() => value,
            default => Err(RecvError),
        };
        assert_eq!(
            chosen,
            Ok(2),
            "select! with default ran default with a value ready"
        );
        let timed = poll!(pin!(timeout(Duration::from_secs(60), async { 5 })));
        assert_eq!(timed, Poll::Ready(Ok(5)));

        // The next poll has a fresh budget: nothing was lost.
        assert_eq!(rx.recv().await, Ok(3));
        *mutex.lock().await += 1;
        notify.notified().await;
        assert!(
            poll!(pin!(notify.notified())).is_pending(),
            "the permit was taken once"
        );
        assert_eq!(*mutex.lock().await, 1);
    });
}

/// A `Timeout` around a future that always spends the whole budget still
/// fires: the deadline is looked at even when the future spent the last
/// unit.
#[test]
fn a_timeout_fires_around_a_future_that_spends_the_whole_budget() {
    let (result, turns) = on_one_worker("budget-timeout", async {
        let (tx, rx) = channel::unbounded();
        let turns = AtomicU64::new(0);
        // Ends only by the timeout (the count never reaches the bound).
        let result = timeout(Duration::from_millis(20), async {
            while turns.load(SeqCst) < u64::MAX {
                tx.send(()).await.unwrap();
                rx.recv().await.unwrap();
                turns.fetch_add(1, SeqCst);
            }
        })
        .await;
        (result, turns.into_inner())
    });
    assert!(result.is_err(), "the timeout never fired");
    assert!(turns > BUDGET / 2, "the inner loop ran {turns} turns");
}

/// Tasks that keep spending their budgets on a busy channel, lock and
/// notification lose nothing: every value arrives once, every increment
/// counts, every notification is seen.
#[test]
fn a_spent_budget_loses_no_message_or_wake_up() {
    const PRODUCERS: u64 = 4;
    const PER_PRODUCER: u64 = 5_000;
    for workers in [1, 2] {
        for capacity in [Some(0), Some(4), None] {
            let (count, sum) = with_timeout(LIMIT, move || {
                let rt = runtime(workers, "budget-no-loss");
                rt.block_on(rt.spawn(async move {
                    let (tx, rx) = match capacity {
                        Some(n) => channel::bounded(n),
                        None => channel::unbounded(),
                    };
                    for producer in 0..PRODUCERS {
                        let mut tx = tx.clone();
                        drop(bobbin::spawn(async move {
                            let first = producer * PER_PRODUCER;
                            for value in first..first + PER_PRODUCER {
                                if producer == 0 {
                                    tx.send(value).await.unwrap();
                                } else {
                                    tx.feed(value).await.unwrap();
                                }
                            }
                            tx.flush().await.unwrap();
                        }));
                    }
                    drop(tx);
                    let (_idle_tx, idle) = channel::bounded::<u64>(1);
                    let consumers: Vec<_> = (0..4)
                        .map(|kind| {
                            let mut rx = rx.clone();
                            let idle = idle.clone();
                            bobbin::spawn(async move {
                                let (mut count, mut sum) = (0u64, 0u64);
                                loop {
                                    let value = match kind {
                                        0 | 1 => rx.recv().await.ok(),
                                        2 => rx.next().await,
                                        _ => bobbin::select! {
                                            value = rx.recv() => value.ok(),
                                            value = idle.recv() => value.ok(),
                                        },
                                    };
                                    let Some(value) = value else { break };
                                    count += 1;
                                    sum += value;
                                }
                                (count, sum)
                            })
                        })
                        .collect();
                    drop(rx);
                    let (mut count, mut sum) = (0, 0);
                    for consumer in consumers {
                        let (c, s) = consumer.await.unwrap();
                        count += c;
                        sum += s;
                    }
                    (count, sum)
                }))
                .unwrap()
            });
            let total = PRODUCERS * PER_PRODUCER;
            assert_eq!(count, total, "{workers} workers, capacity {capacity:?}");
            assert_eq!(
                sum,
                total * (total - 1) / 2,
                "{workers} workers, capacity {capacity:?}"
            );
        }

        let (locked, notified) = with_timeout(LIMIT, move || {
            let rt = runtime(workers, "budget-no-lost-wake");
            rt.block_on(rt.spawn(async {
                const TASKS: u64 = 16;
                const LOCKS: u64 = 2_000;
                let mutex = Arc::new(Mutex::new(0u64));
                let semaphore = Arc::new(Semaphore::new(3));
                let lockers: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let mutex = mutex.clone();
                        let semaphore = semaphore.clone();
                        bobbin::spawn(async move {
                            for _ in 0..LOCKS {
                                let _permit = semaphore.acquire().await.unwrap();
                                *mutex.lock().await += 1;
                            }
                        })
                    })
                    .collect();
                // Ping-pong: each side waits for the other's notification.
                const ROUNDS: u64 = 10_000;
                let ping = Arc::new(Notify::new());
                let pong = Arc::new(Notify::new());
                let other = {
                    let (ping, pong) = (ping.clone(), pong.clone());
                    bobbin::spawn(async move {
                        for _ in 0..ROUNDS {
                            ping.notified().await;
                            pong.notify_one();
                        }
                    })
                };
                let mut rounds = 0;
                for _ in 0..ROUNDS {
                    ping.notify_one();
                    pong.notified().await;
                    rounds += 1;
                }
                other.await.unwrap();
                for locker in lockers {
                    locker.await.unwrap();
                }
                assert_eq!(semaphore.available_permits(), 3);
                let locked = *mutex.lock().await;
                (locked, rounds)
            }))
            .unwrap()
        });
        assert_eq!(locked, 16 * 2_000, "{workers} workers");
        assert_eq!(notified, 10_000, "{workers} workers");
    }
}
