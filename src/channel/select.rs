//! `select!`: wait on several operations, run the branch of the first ready.
//!
//! The macro is a muncher over the branches: each step turns one branch into
//! a record holding two identifiers written by that step (`__fut`, `__out`),
//! which macro hygiene keeps distinct from every other step's, so the final
//! step can declare one pinned future and one output slot per branch
//! without numbering them. Branch indices are sums `0 + 1 + 1 ...`, which the
//! compiler folds.
//!
//! The poll loop lives in a `poll_fn` closure; the branch bodies run after
//! it, so `break`, `continue`, `return`, `?` and `.await` in a body mean
//! what they mean around the `select!`. A branch whose output does not match
//! its pattern is disabled; the check runs on a reference to the output
//! with the pattern's `mut`, `ref` and `&` removed (`__select_ref_pattern!`),
//! which is what the edition-2024 binding rules require.

/// Waits on several futures at once and runs the branch of the first one to
/// complete, as Go's `select`.
///
/// ```text
/// bobbin::select! {
///     [biased;]
///     <pattern> = <future> [, if <condition>] => <expression>,
///     ...
///     [default => <expression>,]
/// }
/// ```
///
/// A branch's `if` guard (tokio's precondition) is evaluated first, before
/// any future is made: a branch whose guard is false is disabled for this
/// `select!` (its future is still made, but never polled).
///
/// All the futures are created first, in order. Each poll then tries them
/// in a random order drawn once per `select!`, so when several are ready
/// each is equally likely to win (Go's fairness); `biased;` tries them in
/// the order written instead. The first to complete with an output that
/// matches its pattern wins: its pattern binds and its expression runs.
/// A future whose output does not match is disabled (its output is
/// dropped: a value received by a `recv()` branch whose pattern misses it
/// is gone) and the others go on.
/// The futures that did not win are dropped before the winning expression
/// runs, so use cancel-safe ones (the channel's `recv` and `send`, timers,
/// `JoinHandle`s are).
///
/// `default` (Go's `default:`) runs if no branch is ready at the first poll,
/// or if every branch gets disabled. Without it, a `select!` whose branches
/// are all disabled panics. A `select!` with `default` never waits, so,
/// like the `try_*` methods, it spends none of the task's cooperative
/// budget (see [`task::unconstrained`](crate::task::unconstrained)): a
/// ready branch wins even when the task has spent its budget.
///
/// The branch expressions are outside any closure: `break`, `continue`,
/// `return`, `?` and `.await` in them act on the surrounding code.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// # bobbin::block_on(async {
/// let (tx, rx) = bobbin::channel::bounded::<u32>(1);
/// let (quit_tx, quit_rx) = bobbin::channel::bounded::<()>(1);
/// bobbin::spawn(async move {
///     for i in 0..3 {
///         tx.send(i).await.unwrap();
///     }
///     quit_tx.send(()).await.unwrap();
/// });
/// let mut got = Vec::new();
/// loop {
///     bobbin::select! {
///         Ok(value) = rx.recv() => got.push(value),
///         _ = quit_rx.recv() => break,
///         _ = bobbin::time::sleep(Duration::from_secs(5)) => panic!("stalled"),
///     }
/// }
/// // The quit message may win while a value is still buffered.
/// while let Ok(value) = rx.try_recv() {
///     got.push(value);
/// }
/// assert_eq!(got, [0, 1, 2]);
///
/// // Go's non-blocking receive:
/// let (_tx, empty) = bobbin::channel::bounded::<u8>(1);
/// let got = bobbin::select! {
///     value = empty.recv() => value.ok(),
///     default => None,
/// };
/// assert_eq!(got, None);
/// # });
/// ```
#[macro_export]
macro_rules! select {
    // Parsing: `@p {biased, count, [branches], [default]} rest...`.
    (@p $flags:tt $count:tt [$($branches:tt)*] $default:tt) => {
        $crate::select!(@run $flags $count [$($branches)*] $default)
    };
    (@p $flags:tt $count:tt $branches:tt [] default => $body:block , $($rest:tt)*) => {
        $crate::select!(@p $flags $count $branches [$body] $($rest)*)
    };
    (@p $flags:tt $count:tt $branches:tt [] default => $body:block $($rest:tt)*) => {
        $crate::select!(@p $flags $count $branches [$body] $($rest)*)
    };
    (@p $flags:tt $count:tt $branches:tt [] default => $body:expr $(, $($rest:tt)*)?) => {
        $crate::select!(@p $flags $count $branches [$body] $($($rest)*)?)
    };
    (@p $flags:tt $count:tt $branches:tt [$($d:tt)+] default => $($rest:tt)*) => {
        ::core::compile_error!("select! takes at most one `default` branch")
    };
    // A branch: collect its pattern up to the `=`.
    (@p $flags:tt $count:tt $branches:tt $default:tt $($rest:tt)+) => {
        $crate::select!(@pat $flags $count $branches $default [] $($rest)+)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)+] = $fut:expr, if $cond:expr => $body:block , $($rest:tt)*) => {
        $crate::select!(@branch $flags $count $branches $default [$($pat)+] ($fut) ($cond) ($body) $($rest)*)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)+] = $fut:expr, if $cond:expr => $body:block $($rest:tt)*) => {
        $crate::select!(@branch $flags $count $branches $default [$($pat)+] ($fut) ($cond) ($body) $($rest)*)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)+] = $fut:expr, if $cond:expr => $body:expr $(, $($rest:tt)*)?) => {
        $crate::select!(@branch $flags $count $branches $default [$($pat)+] ($fut) ($cond) ($body) $($($rest)*)?)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)+] = $fut:expr => $body:block , $($rest:tt)*) => {
        $crate::select!(@branch $flags $count $branches $default [$($pat)+] ($fut) (true) ($body) $($rest)*)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)+] = $fut:expr => $body:block $($rest:tt)*) => {
        $crate::select!(@branch $flags $count $branches $default [$($pat)+] ($fut) (true) ($body) $($rest)*)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)+] = $fut:expr => $body:expr $(, $($rest:tt)*)?) => {
        $crate::select!(@branch $flags $count $branches $default [$($pat)+] ($fut) (true) ($body) $($($rest)*)?)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)*] = $($rest:tt)*) => {
        ::core::compile_error!("a select! branch is written `pattern = future => expression` (or `pattern = future, if condition => expression`)")
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)*] $next:tt $($rest:tt)*) => {
        $crate::select!(@pat $flags $count $branches $default [$($pat)* $next] $($rest)*)
    };
    (@pat $flags:tt $count:tt $branches:tt $default:tt [$($pat:tt)*]) => {
        ::core::compile_error!("a select! branch is written `pattern = future => expression`")
    };
    (@branch $flags:tt [$($count:tt)*] [$($branches:tt)*] $default:tt $pat:tt $fut:tt $cond:tt $body:tt $($rest:tt)*) => {
        $crate::select!(@p $flags [$($count)* + 1]
            [$($branches)* [__fut __out (0 $($count)*) $pat $fut $cond $body]] $default $($rest)*)
    };
    // Running.
    (@run {$biased:expr} [$($count:tt)*]
        [$([$fut:ident $out:ident ($($index:tt)*) [$($pat:tt)+] ($future:expr) ($cond:expr) ($body:expr)])*]
        [$($default:expr)?]
    ) => {{
        const __SELECT_BRANCHES: usize = 0 $($count)*;
        $( let mut $out = ::core::option::Option::None; )*
        // The guards first, as written: a branch whose `if` is false is
        // disabled (its future is still made, never polled).
        #[allow(unused_mut)]
        let mut __disabled: [bool; __SELECT_BRANCHES] = [$( !$cond ),*];
        // The futures live in this inner block: the losers are dropped
        // before the winner's body runs.
        #[allow(unreachable_code, unused_variables, unused_mut, clippy::all)]
        let __chosen: ::core::option::Option<usize> = {
        $(
            let mut $fut = ::core::pin::pin!(::core::future::IntoFuture::into_future($future));
        )*
        let __order: [usize; __SELECT_BRANCHES] = $crate::__private::select_order($biased);
        let __has_default = $crate::select!(@has_default $($default)?);
        ::core::future::poll_fn(|__cx| $crate::__private::poll_branches(__has_default, || {
            let mut __pending = false;
            for &__i in __order.iter() {
                if __disabled[__i] {
                    continue;
                }
                $(
                    if __i == $($index)* {
                        match ::core::future::Future::poll($fut.as_mut(), __cx) {
                            ::core::task::Poll::Ready(__output) => {
                                #[allow(unreachable_patterns, unused_variables)]
                                match &__output {
                                    $crate::__select_ref_pattern!([] [] $($pat)+) => {}
                                    _ => {
                                        __disabled[__i] = true;
                                        continue;
                                    }
                                }
                                $out = ::core::option::Option::Some(__output);
                                return ::core::task::Poll::Ready(::core::option::Option::Some(__i));
                            }
                            ::core::task::Poll::Pending => {
                                __pending = true;
                                continue;
                            }
                        }
                    }
                )*
            }
            if __pending && !__has_default {
                ::core::task::Poll::Pending
            } else {
                ::core::task::Poll::Ready(::core::option::Option::None)
            }
        }))
        .await
        };
        match __chosen {
            $(
                ::core::option::Option::Some(__i) if __i == $($index)* => {
                    #[allow(unreachable_patterns)]
                    match $out.take() {
                        ::core::option::Option::Some($($pat)+) => $body,
                        _ => ::core::unreachable!("select!: the winning branch's output was checked"),
                    }
                }
            )*
            ::core::option::Option::Some(_) => ::core::unreachable!("select!: no such branch"),
            ::core::option::Option::None => $crate::select!(@default $($default)?),
        }
    }};
    (@has_default) => { false };
    (@has_default $default:expr) => { true };
    (@default) => {
        ::core::panic!(
            "select!: every branch was disabled (its `if` guard was false, or its future's \
             output failed to match its pattern) and there is no `default` branch to run; \
             add `default => ...`, or guards and patterns that let a branch through"
        )
    };
    (@default $default:expr) => { $default };
    // Entry points.
    () => {
        ::core::compile_error!("select! needs at least one branch: `pattern = future => expression`")
    };
    (biased; $($rest:tt)*) => {
        $crate::select!(@p {true} [] [] [] $($rest)*)
    };
    ($($rest:tt)*) => {
        $crate::select!(@p {false} [] [] [] $($rest)*)
    };
}

/// `select!`'s pattern for the reference to a branch's output: the pattern
/// with `mut`, `ref` and `&` removed, at any depth. Not public API.
///
/// A muncher with an explicit stack: `[frames] [accumulated] tokens...`,
/// where entering a group pushes a frame holding the tokens around it.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_ref_pattern {
    ([] [$($acc:tt)*]) => { $($acc)* };
    ([(paren [$($outer:tt)*] [$($after:tt)*]) $($frames:tt)*] [$($acc:tt)*]) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($outer)* ($($acc)*)] $($after)*)
    };
    ([(bracket [$($outer:tt)*] [$($after:tt)*]) $($frames:tt)*] [$($acc:tt)*]) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($outer)* [$($acc)*]] $($after)*)
    };
    ([(brace [$($outer:tt)*] [$($after:tt)*]) $($frames:tt)*] [$($acc:tt)*]) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($outer)* {$($acc)*}] $($after)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] mut $($rest:tt)*) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($acc)*] $($rest)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] ref $($rest:tt)*) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($acc)*] $($rest)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] & $($rest:tt)*) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($acc)*] $($rest)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] && $($rest:tt)*) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($acc)*] $($rest)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] ($($group:tt)*) $($rest:tt)*) => {
        $crate::__select_ref_pattern!([(paren [$($acc)*] [$($rest)*]) $($frames)*] [] $($group)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] [$($group:tt)*] $($rest:tt)*) => {
        $crate::__select_ref_pattern!([(bracket [$($acc)*] [$($rest)*]) $($frames)*] [] $($group)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] {$($group:tt)*} $($rest:tt)*) => {
        $crate::__select_ref_pattern!([(brace [$($acc)*] [$($rest)*]) $($frames)*] [] $($group)*)
    };
    ([$($frames:tt)*] [$($acc:tt)*] $token:tt $($rest:tt)*) => {
        $crate::__select_ref_pattern!([$($frames)*] [$($acc)* $token] $($rest)*)
    };
}

/// What `select!` expands to needs, outside the macro. Not public API.
#[doc(hidden)]
pub mod __private {
    use std::cell::Cell;

    thread_local! {
        static RNG: Cell<u64> = Cell::new(seed());
    }

    /// Seeds this thread's branch order (a runtime with
    /// `Builder::rng_seed` does it on its threads).
    pub(crate) fn seed_thread(seed: u64) {
        // Never zero: xorshift stays at zero.
        RNG.with(|rng| rng.set(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1));
    }

    /// A per-thread seed: std's randomly keyed hasher over the thread id.
    fn seed() -> u64 {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(std::thread::current().id()) | 1
    }

    /// xorshift64*: cheap, and plenty for shuffling a few branches.
    fn next() -> u64 {
        RNG.with(|rng| {
            let mut x = rng.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            rng.set(x);
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        })
    }

    /// Polls a `select!`'s branches: unconstrained if it has a `default`.
    /// Such a `select!` never waits, so like `try_recv` it takes part in no
    /// budget: with the budget spent its ready branches would all say
    /// `Pending`, and `default` would run although a value was there (Go's
    /// `select` with `default` takes a ready case).
    pub fn poll_branches<R>(has_default: bool, poll: impl FnOnce() -> R) -> R {
        if has_default {
            crate::task::coop::with_unconstrained(poll)
        } else {
            poll()
        }
    }

    /// The order a `select!` tries its branches in: as written if `biased`,
    /// else a uniformly random permutation (Fisher–Yates).
    pub fn select_order<const N: usize>(biased: bool) -> [usize; N] {
        let mut order = [0; N];
        for (index, slot) in order.iter_mut().enumerate() {
            *slot = index;
        }
        if !biased {
            for i in (1..N).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
        }
        order
    }
}
