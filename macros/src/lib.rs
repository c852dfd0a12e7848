//! `#[bobbin::main]` and `#[bobbin::test]`: an `async fn` as a program's
//! `main` or as a test, run on a bobbin runtime. Use them through `bobbin`,
//! which re-exports them; this crate only parses and expands.
//!
//! Misuse is a compile error pointing at the offending token, saying what
//! is accepted instead (`tests/ui/` pins those messages).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod options;

use options::{Kind, Options};
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType};

/// Runs an `async fn main` on a bobbin runtime.
///
/// The body becomes a future that the runtime's
/// [`block_on`](https://docs.rs/bobbin/latest/bobbin/struct.Runtime.html#method.block_on)
/// runs on the main thread, while spawned tasks run on the workers. `main`
/// may return what a plain `main` may (`()`, `Result<(), E>`, ...).
///
/// Options:
/// - none: a runtime of its own, with as many workers as
///   `BOBBIN_WORKER_THREADS` says, or one per CPU. When `main` returns,
///   the runtime shuts down: every task still running is cancelled and
///   every thread joined.
/// - `worker_threads = N`: that many workers.
/// - `global`: the global runtime (the one `bobbin::spawn` starts on first
///   use outside any runtime), which is never shut down.
/// - `flavor = "current_thread"`: a runtime with no worker threads; the
///   body's thread runs every task (see `Builder::new_current_thread`).
/// - `start_paused`: the runtime's clock starts paused (for simulations:
///   time moves when the runtime is idle, see `bobbin::time::pause`).
/// - `crate = "path"`: where bobbin is, for a crate that renamed the
///   dependency (`crate = "::my_bobbin"`); both attributes take it.
///
/// # Examples
/// ```
/// #[bobbin::main(worker_threads = 2)]
/// async fn main() {
///     let answer = bobbin::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// With a `Result`, and on the global runtime:
/// ```
/// #[bobbin::main(global)]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "7".parse()?;
///     assert_eq!(bobbin::spawn(async move { n + 1 }).await.unwrap(), 8);
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args, item)
}

/// Runs an `async fn` test on a fresh bobbin runtime of its own.
///
/// Each test gets a new runtime (2 workers unless `worker_threads = N`
/// says otherwise), shut down when the test ends, so tests cannot leak
/// tasks into each other. With `timeout_ms = N` a test still running after
/// `N` milliseconds fails, after printing a dump of its runtime's tasks
/// (what each was doing, and where it was spawned), instead of hanging the
/// suite; the runtime's shutdown then waits at most `N` milliseconds too,
/// so a task stuck in a poll or a blocking job that never returns is named
/// and left behind rather than waited for. The one thing a timeout cannot
/// interrupt is the test's own body blocking its thread without awaiting.
///
/// With `flavor = "current_thread"`, the test's runtime has no worker
/// threads: the test's own thread runs its tasks (so there, a task stuck
/// in a poll blocks the test's thread too, and `timeout_ms` cannot
/// interrupt it).
///
/// With `start_paused`, the runtime's clock starts paused: sleeps and
/// timeouts take no wall time, and time jumps to the next timer whenever
/// the runtime is idle (see `bobbin::time::pause`). `timeout_ms` stays in
/// wall time.
///
/// Each test runtime's random choices (`select!` branch order, work
/// stealing) come from a seed: `BOBBIN_SEED` if set, else a fresh one. A
/// failing test prints its seed, and `BOBBIN_SEED=<seed>` replays its
/// choices (exactly so with `worker_threads = 1` and `start_paused`).
///
/// The test may return what a plain `#[test]` may (`()`, `Result<(), E>`),
/// and may carry other attributes (`#[should_panic]`, `#[ignore]`).
///
/// # Examples
/// In a test file (`tests/` or a `#[cfg(test)]` module; the crate's own
/// `tests/attributes.rs` runs tests like this one):
/// ```
/// #[bobbin::test(worker_threads = 4, timeout_ms = 5_000)]
/// async fn spawned_tasks_run() {
///     let tasks: Vec<_> = (0..10u64).map(|i| bobbin::spawn(async move { i })).collect();
///     let mut total = 0;
///     for task in tasks {
///         total += task.await.unwrap();
///     }
///     assert_eq!(total, 45);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args, item)
}

fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match syn::parse::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(err) => {
            let message = format!("{} goes on an `async fn`", kind.attribute());
            let error = syn::Error::new(err.span(), message).to_compile_error();
            return with_item(error, item.into());
        }
    };
    let checked = Options::parse(kind, args.into())
        .and_then(|options| check_signature(kind, &function).map(|()| options));
    match checked {
        Ok(options) => generate(kind, &options, function).into(),
        Err(err) => with_item(err.to_compile_error(), stand_in(kind, function)),
    }
}

/// What to emit beside an error: the user sees that error alone, not a
/// cascade ("`main` not found", "`main` is not allowed to be `async`",
/// errors in a body that was never meant to compile as written).
fn stand_in(kind: Kind, function: ItemFn) -> TokenStream2 {
    if kind == Kind::Main && function.sig.ident == "main" {
        quote!(
            fn main() {}
        )
    } else {
        quote!(#function)
    }
}

fn with_item(error: TokenStream2, item: TokenStream2) -> TokenStream {
    quote!(#error #item).into()
}

fn check_signature(kind: Kind, function: &ItemFn) -> syn::Result<()> {
    let signature = &function.sig;
    let attribute = kind.attribute();
    if signature.asyncness.is_none() {
        return Err(syn::Error::new(
            signature.fn_token.span(),
            format!(
                "{attribute} goes on an `async fn`: write `async fn {}`",
                signature.ident
            ),
        ));
    }
    if kind == Kind::Main && signature.ident != "main" {
        return Err(syn::Error::new(
            signature.ident.span(),
            "#[bobbin::main] goes on `async fn main`; for another function use \
             #[bobbin::test], or call `bobbin::block_on` yourself",
        ));
    }
    if let Some(argument) = signature.inputs.first() {
        let message = match kind {
            Kind::Main => "`main` takes no arguments; read them with `std::env::args()`",
            Kind::Test => "a test takes no arguments",
        };
        return Err(syn::Error::new(argument.span(), message));
    }
    if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            signature.generics.span(),
            format!("{attribute} cannot run a generic function"),
        ));
    }
    if let Some(constness) = &signature.constness {
        return Err(syn::Error::new(
            constness.span(),
            format!("{attribute} cannot run a `const fn`: remove `const`"),
        ));
    }
    if let Some(unsafety) = &signature.unsafety {
        return Err(syn::Error::new(
            unsafety.span(),
            format!("{attribute} cannot run an `unsafe fn`: remove `unsafe`"),
        ));
    }
    Ok(())
}

fn generate(kind: Kind, options: &Options, function: ItemFn) -> TokenStream2 {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;
    let name = sig.ident.to_string();
    // The body is passed straight to a function of bobbin's, which fixes
    // its output type: a mismatch is reported on the body, and the
    // expansion binds no names that the user's scope could shadow.
    let output = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    // Spanned like the body, so a type error in it points at the body.
    let body = quote_spanned!(block.span()=> async move #block);
    let span = Span::call_site();
    let support = match &options.krate {
        Some(krate) => quote_spanned!(span=> #krate::runtime::macro_support),
        None => quote_spanned!(span=> ::bobbin::runtime::macro_support),
    };
    let run = match kind {
        Kind::Main if options.global => quote! {
            #support::run_main_global::<#output, _>(#body)
        },
        Kind::Main => {
            let workers = match options.worker_threads {
                Some(workers) => quote!(::core::option::Option::Some(#workers)),
                None => quote!(::core::option::Option::None),
            };
            let paused = options.start_paused;
            let current = options.current_thread;
            quote! {
                #support::run_main::<#output, _>(#workers, #paused, #current, #body)
            }
        }
        Kind::Test => {
            let workers = options.worker_threads.unwrap_or(2);
            let timeout = match options.timeout_ms {
                Some(millis) => quote!(::core::option::Option::Some(#millis)),
                None => quote!(::core::option::Option::None),
            };
            let paused = options.start_paused;
            let current = options.current_thread;
            quote! {
                #support::run_test::<#output, _>(#workers, #name, #timeout, #paused, #current, #body)
            }
        }
    };
    let test_attribute = match kind {
        Kind::Test => quote!(#[::core::prelude::v1::test]),
        Kind::Main => quote!(),
    };
    quote! {
        #test_attribute
        #(#attrs)*
        #vis #sig {
            #run
        }
    }
}
