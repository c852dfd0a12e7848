//! Wake-ups under stress: from foreign threads, during a poll (a task waking
//! itself, a task woken by another task on another worker, a foreign thread
//! waking a task mid-poll), and the lost-wake-up hunt: thousands of
//! ping-pong pairs under a watchdog.

use executor_tests::{LIMIT, runtime, with_timeout, with_timeout_report};
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

/// A minimal unbounded channel: a queue and one receiver's waker behind a
/// mutex. Hand-written so the test depends on nothing but the runtime's
/// wake path.
struct Channel<T> {
    state: Mutex<ChannelState<T>>,
}

struct ChannelState<T> {
    queue: VecDeque<T>,
    receiver: Option<Waker>,
}

impl<T> Channel<T> {
    fn new() -> Arc<Channel<T>> {
        Arc::new(Channel {
            state: Mutex::new(ChannelState {
                queue: VecDeque::new(),
                receiver: None,
            }),
        })
    }

    fn send(&self, value: T) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.queue.push_back(value);
            state.receiver.take()
        };
        // Wake outside the lock, by value.
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn recv(&self) -> Recv<'_, T> {
        Recv { channel: self }
    }
}

struct Recv<'a, T> {
    channel: &'a Channel<T>,
}

impl<T> Future for Recv<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.channel.state.lock().unwrap();
        match state.queue.pop_front() {
            Some(value) => Poll::Ready(value),
            None => {
                match &mut state.receiver {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

#[test]
fn lost_wakeup_hunt_ping_pong_pairs_over_a_hand_written_channel() {
    const PAIRS: usize = 2_000;
    const ROUND_TRIPS: u32 = 200;
    let finished = Arc::new(AtomicUsize::new(0));
    let progress = finished.clone();
    with_timeout_report(
        LIMIT,
        move || format!("{} of {PAIRS} pairs finished", progress.load(SeqCst)),
        move || {
            let rt = runtime(2, "stress");
            let pairs: Vec<_> = (0..PAIRS)
                .map(|_| {
                    let ping = Channel::new();
                    let pong = Channel::new();
                    let (ping_rx, pong_tx) = (ping.clone(), pong.clone());
                    let ponger = rt.spawn(async move {
                        for _ in 0..ROUND_TRIPS {
                            let n: u32 = ping_rx.recv().await;
                            pong_tx.send(n + 1);
                        }
                    });
                    let finished = finished.clone();
                    let pinger = rt.spawn(async move {
                        let mut n = 0;
                        for _ in 0..ROUND_TRIPS {
                            ping.send(n);
                            n = pong.recv().await;
                        }
                        finished.fetch_add(1, SeqCst);
                        n
                    });
                    (pinger, ponger)
                })
                .collect();
            rt.block_on(async {
                for (pinger, ponger) in pairs {
                    assert_eq!(pinger.await.unwrap(), ROUND_TRIPS);
                    ponger.await.unwrap();
                }
            });
        },
    );
}

#[test]
fn lost_wakeup_hunt_ping_pong_pairs_over_futures_channels() {
    const PAIRS: usize = 500;
    const ROUND_TRIPS: u32 = 200;
    let finished = Arc::new(AtomicUsize::new(0));
    let progress = finished.clone();
    with_timeout_report(
        LIMIT,
        move || format!("{} of {PAIRS} pairs finished", progress.load(SeqCst)),
        move || {
            use futures::{SinkExt, StreamExt};
            let rt = runtime(2, "stress");
            let pairs: Vec<_> = (0..PAIRS)
                .map(|_| {
                    // Capacity 0 plus one slot per sender: close to a
                    // rendezvous, so the senders park too.
                    let (mut ping_tx, mut ping_rx) = futures::channel::mpsc::channel::<u32>(0);
                    let (mut pong_tx, mut pong_rx) = futures::channel::mpsc::channel::<u32>(0);
                    let ponger = rt.spawn(async move {
                        while let Some(n) = ping_rx.next().await {
                            pong_tx.send(n + 1).await.unwrap();
                        }
                    });
                    let finished = finished.clone();
                    let pinger = rt.spawn(async move {
                        let mut n = 0;
                        for _ in 0..ROUND_TRIPS {
                            ping_tx.send(n).await.unwrap();
                            n = pong_rx.next().await.unwrap();
                        }
                        finished.fetch_add(1, SeqCst);
                        n
                    });
                    (pinger, ponger)
                })
                .collect();
            rt.block_on(async {
                for (pinger, ponger) in pairs {
                    assert_eq!(pinger.await.unwrap(), ROUND_TRIPS);
                    // The pinger dropped its sender: the ponger ends.
                    ponger.await.unwrap();
                }
            });
        },
    );
}

#[test]
fn a_ring_of_tasks_passes_a_token_around() {
    const TASKS: usize = 1_000;
    const LAPS: u32 = 50;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stress");
        let channels: Vec<Arc<Channel<u32>>> = (0..TASKS).map(|_| Channel::new()).collect();
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                let inbox = channels[i].clone();
                let next = channels[(i + 1) % TASKS].clone();
                rt.spawn(async move {
                    let mut last = 0;
                    for _ in 0..LAPS {
                        last = inbox.recv().await;
                        next.send(last + 1);
                    }
                    last
                })
            })
            .collect();
        channels[0].send(0);
        let outputs: Vec<u32> = handles
            .into_iter()
            .map(|h| rt.block_on(h).unwrap())
            .collect();
        // The token went around LAPS times, one hop per task.
        assert_eq!(outputs[0], (LAPS - 1) * TASKS as u32);
        assert_eq!(outputs[TASKS - 1], LAPS * TASKS as u32 - 1);
    });
}

/// Ready once `flag` is set; stores its waker for whoever sets it.
struct Signal {
    flag: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    fn new() -> Arc<Signal> {
        Arc::new(Signal {
            flag: AtomicBool::new(false),
            waker: Mutex::new(None),
        })
    }

    fn set(&self) {
        self.flag.store(true, SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }

    async fn wait(&self) {
        poll_fn(|cx| {
            if self.flag.load(SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            // Re-check after registering, or a set in between is lost.
            if self.flag.load(SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

#[test]
fn wakes_from_foreign_threads() {
    const TASKS: usize = 20_000;
    const THREADS: usize = 4;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stress");
        let signals: Vec<_> = (0..TASKS).map(|_| Signal::new()).collect();
        let handles: Vec<_> = signals
            .iter()
            .enumerate()
            .map(|(i, signal)| {
                let signal = signal.clone();
                rt.spawn(async move {
                    signal.wait().await;
                    i
                })
            })
            .collect();
        let signals = Arc::new(signals);
        let wakers: Vec<_> = (0..THREADS)
            .map(|t| {
                let signals = signals.clone();
                thread::spawn(move || {
                    for signal in signals.iter().skip(t).step_by(THREADS) {
                        signal.set();
                    }
                })
            })
            .collect();
        for waker in wakers {
            waker.join().unwrap();
        }
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(rt.block_on(handle).unwrap(), i);
        }
    });
}

#[test]
fn a_long_handshake_between_a_task_and_a_foreign_thread() {
    const ROUNDS: u32 = 5_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stress");
        let to_task = Channel::new();
        let to_thread = std::sync::mpsc::channel::<u32>();
        let (reply, replies) = to_thread;
        let inbox = to_task.clone();
        let task = rt.spawn(async move {
            for _ in 0..ROUNDS {
                let n: u32 = inbox.recv().await;
                reply.send(n + 1).unwrap();
            }
        });
        let mut n = 0;
        for _ in 0..ROUNDS {
            to_task.send(n);
            n = replies
                .recv_timeout(LIMIT)
                .expect("the task stopped answering");
        }
        assert_eq!(n, ROUNDS);
        rt.block_on(task).unwrap();
    });
}

#[test]
fn a_task_woken_by_another_task_on_another_worker_during_its_poll() {
    const ROUNDS: usize = 500;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stress");
        for _ in 0..ROUNDS {
            let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
            let registered = Arc::new(AtomicBool::new(false));
            let woken = Arc::new(AtomicBool::new(false));
            let waker_running = Arc::new(AtomicBool::new(false));
            // The waker task first, so it holds one worker while the other
            // one polls the target.
            let waker_task = {
                let (slot, registered, woken, running) = (
                    slot.clone(),
                    registered.clone(),
                    woken.clone(),
                    waker_running.clone(),
                );
                rt.spawn(async move {
                    running.store(true, SeqCst);
                    while !registered.load(SeqCst) {
                        std::hint::spin_loop();
                    }
                    let waker = slot.lock().unwrap().take().unwrap();
                    waker.wake();
                    woken.store(true, SeqCst);
                })
            };
            while !waker_running.load(SeqCst) {
                std::hint::spin_loop();
            }
            let polls = Arc::new(AtomicUsize::new(0));
            let target = {
                let polls = polls.clone();
                rt.spawn(poll_fn(move |cx| {
                    if polls.fetch_add(1, SeqCst) > 0 {
                        return Poll::Ready(());
                    }
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    registered.store(true, SeqCst);
                    // Stay in this poll until the other worker has woken us:
                    // the wake lands while we are running.
                    while !woken.load(SeqCst) {
                        std::hint::spin_loop();
                    }
                    Poll::Pending
                }))
            };
            rt.block_on(async {
                waker_task.await.unwrap();
                target.await.unwrap();
            });
            assert_eq!(
                polls.load(SeqCst),
                2,
                "a wake during the poll must cause exactly one more poll"
            );
        }
    });
}

#[test]
fn a_foreign_thread_wakes_a_task_while_it_is_being_polled() {
    const ROUNDS: usize = 2_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stress");
        for _ in 0..ROUNDS {
            let (waker_tx, waker_rx) = std::sync::mpsc::channel::<Waker>();
            let woken = Arc::new(AtomicBool::new(false));
            let woken_by_thread = woken.clone();
            let thread = thread::spawn(move || {
                let waker = waker_rx.recv().unwrap();
                waker.wake_by_ref();
                woken_by_thread.store(true, SeqCst);
            });
            let mut first = true;
            let task = rt.spawn(poll_fn(move |cx| {
                if !first {
                    return Poll::Ready(());
                }
                first = false;
                waker_tx.send(cx.waker().clone()).unwrap();
                while !woken.load(SeqCst) {
                    std::hint::spin_loop();
                }
                Poll::Pending
            }));
            rt.block_on(task).unwrap();
            thread.join().unwrap();
        }
    });
}

#[test]
fn wakes_racing_the_end_of_a_poll() {
    // The wake lands anywhere around the moment the poll returns Pending:
    // before, during or after. None may be lost.
    const TASKS: usize = 5_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stress");
        let mut handles = Vec::with_capacity(TASKS);
        let mut threads = Vec::new();
        for chunk in 0..(TASKS / 500) {
            let mut signals = Vec::with_capacity(500);
            for i in 0..500 {
                let signal = Signal::new();
                let waiter = signal.clone();
                handles.push(rt.spawn(async move {
                    waiter.wait().await;
                    chunk * 500 + i
                }));
                signals.push(signal);
            }
            threads.push(thread::spawn(move || {
                for signal in signals {
                    signal.set();
                }
            }));
        }
        for thread in threads {
            thread.join().unwrap();
        }
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(rt.block_on(handle).unwrap(), i);
        }
    });
}

#[test]
fn a_task_repeatedly_woken_by_many_threads_at_once() {
    const TARGET: usize = 100_000;
    with_timeout(LIMIT, || {
        let rt = runtime(2, "stress");
        let count = Arc::new(AtomicUsize::new(0));
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let task = {
            let (count, slot) = (count.clone(), slot.clone());
            rt.spawn(poll_fn(move |cx| {
                *slot.lock().unwrap() = Some(cx.waker().clone());
                if count.load(SeqCst) >= TARGET {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }))
        };
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (count, slot) = (count.clone(), slot.clone());
                thread::spawn(move || {
                    for _ in 0..TARGET / 4 {
                        count.fetch_add(1, SeqCst);
                        let waker = slot.lock().unwrap().clone();
                        if let Some(waker) = waker {
                            waker.wake();
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        // The last increment was followed by a wake of the waker stored
        // before it, or the task stored its waker after it and saw it.
        rt.block_on(task).unwrap();
        assert_eq!(count.load(SeqCst), TARGET);
    });
}
