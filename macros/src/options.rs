//! The attributes' options: `worker_threads = N`, `global` (main only),
//! `timeout_ms = N` (test only), comma-separated.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[bobbin::main]",
            Kind::Test => "#[bobbin::test]",
        }
    }

    fn accepted(self) -> &'static str {
        match self {
            Kind::Main => {
                "`worker_threads = N` or `global`, `flavor = \"current_thread\"`, \
                 `start_paused` and `crate = \"path\"`"
            }
            Kind::Test => {
                "`worker_threads = N`, `flavor = \"current_thread\"`, `timeout_ms = N`, \
                 `start_paused` and `crate = \"path\"`"
            }
        }
    }
}

/// The options, checked.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) worker_threads: Option<usize>,
    pub(crate) global: bool,
    pub(crate) timeout_ms: Option<u64>,
    /// The runtime's clock starts paused (`start_paused`).
    pub(crate) start_paused: bool,
    /// `flavor = "current_thread"`: the runtime has no worker threads.
    pub(crate) current_thread: bool,
    /// The path to bobbin, for a crate that renamed it (`crate = "..."`).
    pub(crate) krate: Option<syn::Path>,
}

impl Options {
    pub(crate) fn parse(kind: Kind, args: TokenStream) -> syn::Result<Options> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
        let mut options = Options::default();
        let mut global_span = None;
        let mut workers_span = None;
        let mut flavor_span = None;
        let mut seen = Vec::new();
        for meta in metas {
            if meta.path().is_ident("crate") {
                options.krate = Some(crate_path(&meta)?);
                continue;
            }
            let Some(ident) = meta.path().get_ident() else {
                return Err(unknown(kind, meta.path().span()));
            };
            let name = ident.to_string();
            if seen.contains(&name) {
                return Err(syn::Error::new(
                    meta.span(),
                    format!("`{name}` is given twice: keep one"),
                ));
            }
            seen.push(name);
            match (kind, ident.to_string().as_str(), &meta) {
                (_, "worker_threads", Meta::NameValue(pair)) => {
                    let workers = positive_integer::<usize>(&pair.value, "worker_threads")?;
                    options.worker_threads = Some(workers);
                    workers_span = Some(meta.span());
                }
                (Kind::Test, "timeout_ms", Meta::NameValue(pair)) => {
                    options.timeout_ms = Some(positive_integer::<u64>(&pair.value, "timeout_ms")?);
                }
                (
                    _,
                    "flavor",
                    Meta::NameValue(syn::MetaNameValue {
                        value:
                            Expr::Lit(ExprLit {
                                lit: Lit::Str(flavor),
                                ..
                            }),
                        ..
                    }),
                ) if matches!(flavor.value().as_str(), "current_thread" | "multi_thread") => {
                    options.current_thread = flavor.value() == "current_thread";
                    flavor_span = Some(meta.span());
                }
                (_, "flavor", _) => {
                    return Err(syn::Error::new(
                        meta.span(),
                        "write `flavor = \"current_thread\"` (tasks run on the thread that runs \
                         the body) or `flavor = \"multi_thread\"` (the default)",
                    ));
                }
                (_, "start_paused", Meta::Path(_)) => options.start_paused = true,
                (
                    _,
                    "start_paused",
                    Meta::NameValue(syn::MetaNameValue {
                        value:
                            Expr::Lit(ExprLit {
                                lit: Lit::Bool(flag),
                                ..
                            }),
                        ..
                    }),
                ) => options.start_paused = flag.value,
                (_, "start_paused", _) => {
                    return Err(syn::Error::new(
                        meta.span(),
                        "write `start_paused` (or `start_paused = true`)",
                    ));
                }
                (Kind::Main, "global", Meta::Path(_)) => {
                    options.global = true;
                    global_span = Some(meta.span());
                }
                (Kind::Main, "timeout_ms", _) => {
                    return Err(syn::Error::new(
                        meta.span(),
                        "`timeout_ms` is an option of #[bobbin::test]; #[bobbin::main] accepts \
                         `worker_threads = N` or `global`",
                    ));
                }
                (_, "worker_threads" | "timeout_ms", _) => {
                    return Err(syn::Error::new(
                        meta.span(),
                        format!("write `{ident} = N`, with N a whole number above zero"),
                    ));
                }
                (Kind::Main, "global", _) => {
                    return Err(syn::Error::new(
                        meta.span(),
                        "`global` takes no value: write `#[bobbin::main(global)]`",
                    ));
                }
                _ => return Err(unknown(kind, ident.span())),
            }
        }
        if let (Some(span), true) = (flavor_span, options.current_thread) {
            if global_span.is_some() {
                return Err(syn::Error::new(
                    span,
                    "the global runtime is multi-threaded: drop `global` for a current-thread \
                     runtime of its own, or drop the flavor",
                ));
            }
            if workers_span.is_some() {
                return Err(syn::Error::new(
                    span,
                    "a current-thread runtime has no worker threads: drop `worker_threads`",
                ));
            }
        }
        if let (Some(span), true) = (global_span, options.start_paused) {
            return Err(syn::Error::new(
                span,
                "the global runtime's clock cannot start paused (other code shares it): drop \
                 `global` for a runtime of its own, or drop `start_paused`",
            ));
        }
        if let (Some(_), Some(span)) = (global_span, workers_span) {
            return Err(syn::Error::new(
                span,
                "the global runtime's size comes from BOBBIN_WORKER_THREADS: drop \
                 `worker_threads`, or drop `global` for a runtime of its own",
            ));
        }
        Ok(options)
    }
}

/// `crate = "path"`: where bobbin is, for a crate that renamed it.
fn crate_path(meta: &Meta) -> syn::Result<syn::Path> {
    let error = || {
        syn::Error::new(
            meta.span(),
            "write `crate = \"path\"`, the path to bobbin as a string, such as `crate = \"::my_bobbin\"`",
        )
    };
    let Meta::NameValue(pair) = meta else {
        return Err(error());
    };
    let Expr::Lit(ExprLit {
        lit: Lit::Str(path),
        ..
    }) = &pair.value
    else {
        return Err(error());
    };
    path.parse().map_err(|_| error())
}

fn unknown(kind: Kind, span: Span) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "unknown option for {}: it accepts {}",
            kind.attribute(),
            kind.accepted()
        ),
    )
}

/// An integer literal above zero.
fn positive_integer<N>(value: &Expr, name: &str) -> syn::Result<N>
where
    N: std::str::FromStr + PartialEq + From<u8>,
    N::Err: std::fmt::Display,
{
    let error = || {
        syn::Error::new(
            value.span(),
            format!("`{name}` must be a whole number above zero, such as `{name} = 2`"),
        )
    };
    let Expr::Lit(ExprLit {
        lit: Lit::Int(int), ..
    }) = value
    else {
        return Err(error());
    };
    let parsed: N = int.base10_parse().map_err(|_| error())?;
    if parsed == N::from(0) {
        return Err(error());
    }
    Ok(parsed)
}
