//! The layering of `docs/architecture.md`, checked against the imports.
//!
//! Reads every file under `src/`, finds each path that leaves its module
//! (`crate::…`, `super::…`, a braced `use` tree) outside comments and
//! string literals, and checks it against the table below: imports run one
//! way, down. A change that makes a lower layer reach a higher one fails
//! here with the file and the path, so the picture in the docs stays true.
//!
//! Layers, top first (a module may import its own and any lower one):
//! `compat`, `net`, `fs`, `signal`, `process` (which may use `signal`) /
//! `runtime` (façade, then engine, then reports) /
//! `driver` (below `io` and `time`, which register through it) / `io`,
//! `time`, `channel`, `sync` (side by side, none importing another) / the
//! task core (`task`) / `loom`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// What each top-level module may import besides itself (`lib` is the
/// crate root's re-exports, resolved by `root_item`).
fn allowed(module: &str) -> &'static [&'static str] {
    match module {
        "loom" => &[],
        "task" => &["loom"],
        "sync" => &["loom", "task"],
        "channel" => &["loom", "task"],
        "driver" => &["loom", "task"],
        "io" => &["loom", "task", "driver"],
        "time" => &["loom", "task", "driver"],
        "runtime" => &["loom", "task", "driver", "io", "time", "channel", "sync"],
        "net" | "fs" | "signal" => &[
            "loom", "task", "driver", "io", "time", "channel", "sync", "runtime",
        ],
        // A child is reaped on SIGCHLD where the kernel has no pidfd.
        "process" => &[
            "loom", "task", "driver", "io", "time", "channel", "sync", "runtime", "signal",
        ],
        "compat" => &[
            "loom", "task", "driver", "io", "time", "channel", "sync", "runtime", "net", "fs",
            "process", "signal",
        ],
        "lib" => &[
            "loom", "task", "driver", "io", "time", "channel", "sync", "runtime", "net", "fs",
            "process", "signal", "compat",
        ],
        other => panic!("a top-level module the layering table does not know: {other}"),
    }
}

/// The task core's items that `channel/` and `sync/` may use: the budget,
/// the coarse clock (a stale channel turn is timed on it), the thread parker
/// and the wait list.
const TASK_ITEMS_FOR_CHANNEL_AND_SYNC: &[&str] = &["clock", "coop", "park", "wait_list"];

/// Inside `runtime/`: the parts below the façade, and what each may use of
/// `runtime/` (the façade, `Runtime`, `Builder`, `Handle`, the global
/// runtime, `block_on` and the spawning API, may use all of it).
fn runtime_allowed(part: &str) -> Option<&'static [&'static str]> {
    match part {
        "wait" => Some(&[]),
        "report" => Some(&[]),
        "metrics" => Some(&["report"]),
        "panic" => Some(&["wait"]),
        "pool" => Some(&["wait"]),
        "scheduler" => Some(&["wait", "report", "metrics", "panic", "pool"]),
        _ => None,
    }
}

/// The one import that goes up on purpose, and the re-exports that give
/// `bobbin::task` its public names (see `docs/architecture.md`).
const EXCEPTIONS: &[(&str, &str)] = &[
    // The current runtime's driver, with the fallback to the global
    // runtime, which starts on first use.
    ("driver/current.rs", "runtime"),
    // `pub use crate::runtime::spawn::{Builder, JoinSet, ...}`: names only.
    ("task/mod.rs", "runtime::spawn"),
];

/// The crate root's modules.
const TOP_LEVEL: &[&str] = &[
    "loom", "task", "sync", "channel", "driver", "io", "time", "runtime", "net", "compat",
];

/// Where a crate-root re-export comes from.
fn root_item(name: &str) -> Option<&'static str> {
    match name {
        "spawn" | "spawn_blocking" | "block_on" | "Runtime" => Some("runtime"),
        "JoinHandle" => Some("task"),
        "select" | "__private" | "__select_ref_pattern" => Some("channel"),
        "main" | "test" => Some("lib"),
        _ => None,
    }
}

#[test]
fn imports_run_one_way_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = BTreeSet::new();
    let mut files = Vec::new();
    collect(&src, &mut files);
    assert!(
        files.len() > 50,
        "found the sources under {}",
        src.display()
    );
    for file in &files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let module = module_path(&relative);
        let text = strip_comments_and_strings(&fs::read_to_string(file).unwrap());
        for path in paths_leaving(&module, &text) {
            if let Some(why) = violation(&relative, &module, &path) {
                violations.insert(format!("{relative}: {} ({why})", path.join("::")));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports that go up the layers of docs/architecture.md:\n  {}",
        violations.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// `runtime/scheduler/shared.rs` is `["runtime", "scheduler", "shared"]`;
/// a `mod.rs` is its folder's module; `lib.rs` the root.
fn module_path(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts
        .last()
        .is_some_and(|last| last == "mod" || last == "lib")
    {
        parts.pop();
    }
    parts
}

/// What a path may not reach from where it is, if anything.
fn violation(relative: &str, module: &[String], path: &[String]) -> Option<String> {
    let from = module.first().map_or("lib", String::as_str);
    let mut to = path.first()?.as_str();
    if let Some(module) = root_item(to) {
        to = module;
    } else if !TOP_LEVEL.contains(&to) && !is_std_like(to) {
        // Not a module of the crate root: a `super::` inside an inline
        // module (`loom.rs`'s, a test module's), which stays in its file.
        return None;
    }
    let exempt = EXCEPTIONS
        .iter()
        .any(|(file, target)| relative == *file && path.join("::").starts_with(target));
    if exempt || to == from || is_std_like(to) {
        return runtime_violation(module, path);
    }
    if !allowed(from).contains(&to) {
        return Some(format!("{from} may not import {to}"));
    }
    if (from == "channel" || from == "sync") && to == "task" {
        let item = path.get(1).map_or("", String::as_str);
        if !TASK_ITEMS_FOR_CHANNEL_AND_SYNC.contains(&item) {
            return Some(format!(
                "{from} may use only the task core's {TASK_ITEMS_FOR_CHANNEL_AND_SYNC:?}"
            ));
        }
    }
    None
}

/// Inside `runtime/`: the engine and reports never import the façade.
fn runtime_violation(module: &[String], path: &[String]) -> Option<String> {
    if module.first().map(String::as_str) != Some("runtime")
        || path.first().map(String::as_str) != Some("runtime")
    {
        return None;
    }
    let from = module.get(1)?.as_str();
    let to = path.get(1)?.as_str();
    let may = runtime_allowed(from)?;
    (to != from && !may.contains(&to))
        .then(|| format!("runtime::{from} may not import runtime::{to}"))
}

fn is_std_like(name: &str) -> bool {
    matches!(name, "std" | "core" | "alloc")
}

/// Every path in `text` that names a module by `crate::` or `super::`,
/// made absolute (segments from the crate root).
fn paths_leaving(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        if at_word_start && (text[i..].starts_with("crate::") || text[i..].starts_with("super::")) {
            let (prefixes, end) = parse_tree(text, i);
            for relative in prefixes {
                if let Some(path) = absolute(module, &relative) {
                    paths.push(path);
                }
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    paths
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Parses a path or use tree starting at `start`; returns each leaf path
/// (as written, `crate`/`super` segments kept) and where it ended.
fn parse_tree(text: &str, start: usize) -> (Vec<Vec<String>>, usize) {
    let bytes = text.as_bytes();
    let mut prefix = Vec::new();
    let mut i = start;
    loop {
        let word_start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        if i > word_start {
            prefix.push(text[word_start..i].to_owned());
        }
        if text[i..].starts_with("::{") {
            i += 3;
            let mut leaves = Vec::new();
            loop {
                while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return (leaves_or(leaves, prefix), i + 1);
                }
                let (inner, end) = parse_tree(text, i);
                for leaf in inner {
                    let mut path = prefix.clone();
                    path.extend(leaf);
                    leaves.push(path);
                }
                i = end;
            }
        }
        if text[i..].starts_with("::") && i + 2 < bytes.len() && is_ident(bytes[i + 2]) {
            i += 2;
            continue;
        }
        return (vec![prefix], i);
    }
}

fn leaves_or(leaves: Vec<Vec<String>>, prefix: Vec<String>) -> Vec<Vec<String>> {
    if leaves.is_empty() {
        vec![prefix]
    } else {
        leaves
    }
}

/// Resolves `crate::`/`super::` against `module`.
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match rest.first()?.as_str() {
        "crate" => {
            base.clear();
            rest = &rest[1..];
        }
        "super" => {
            while rest.first().is_some_and(|segment| segment == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().filter(|segment| *segment != "self").cloned());
    Some(base)
}

/// The source with comments (doc comments included) and the contents of
/// string and character literals blanked out, so prose and messages that
/// mention a path are not taken for imports.
fn strip_comments_and_strings(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        if source[i..].starts_with("//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if source[i..].starts_with("/*") {
            let mut depth = 0;
            while i < bytes.len() {
                if source[i..].starts_with("/*") {
                    depth += 1;
                    i += 2;
                } else if source[i..].starts_with("*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(source, i) {
            out.push_str("\"\"");
            i = end;
        } else if bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if bytes[i] == b'\'' && char_literal_len(&source[i..]).is_some() {
            i += char_literal_len(&source[i..]).unwrap();
            out.push_str("' '");
        } else {
            let ch = source[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The end of a raw string literal (`r"…"`, `r#"…"#`) starting at `i`.
fn raw_string_end(source: &str, i: usize) -> Option<usize> {
    let rest = &source[i..];
    let previous_is_ident = i > 0 && is_ident(source.as_bytes()[i - 1]);
    if previous_is_ident || !rest.starts_with('r') {
        return None;
    }
    let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
    if !rest[1 + hashes..].starts_with('"') {
        return None;
    }
    let closing = format!("\"{}", "#".repeat(hashes));
    let body = 2 + hashes;
    rest[body..]
        .find(&closing)
        .map(|end| i + body + end + closing.len())
}

/// The length of a character literal at the start of `rest` (not a
/// lifetime).
fn char_literal_len(rest: &str) -> Option<usize> {
    let mut chars = rest.char_indices().skip(1);
    let (_, first) = chars.next()?;
    if first == '\\' {
        let close = rest[2..].find('\'')?;
        return Some(close + 3);
    }
    let (index, second) = chars.next()?;
    (second == '\'').then_some(index + 1)
}

#[test]
fn the_checker_resolves_paths_and_ignores_prose() {
    let module = module_path("runtime/scheduler/shared.rs");
    let text = strip_comments_and_strings(
        "use crate::task::{Header, coop}; use super::super::pool::Job;\n\
         // use crate::net::Hidden;\n\
         let s = \"crate::compat::InAString\"; let c = '{';\n\
         use crate::{loom::{Arc, lock}, driver::DriverHandle};",
    );
    let paths: Vec<String> = paths_leaving(&module, &text)
        .into_iter()
        .map(|path| path.join("::"))
        .collect();
    assert_eq!(
        paths,
        [
            "task::Header",
            "task::coop",
            "runtime::pool::Job",
            "loom::Arc",
            "loom::lock",
            "driver::DriverHandle",
        ]
    );
    assert!(
        violation(
            "channel/chan.rs",
            &module_path("channel/chan.rs"),
            &["runtime".into()]
        )
        .is_some()
    );
    assert!(
        violation(
            "sync/notify.rs",
            &module_path("sync/notify.rs"),
            &["task".into(), "raw".into()]
        )
        .is_some()
    );
    assert!(
        violation(
            "sync/notify.rs",
            &module_path("sync/notify.rs"),
            &["task".into(), "coop".into()]
        )
        .is_none()
    );
    let scheduler = module_path("runtime/scheduler/worker.rs");
    assert!(
        violation(
            "runtime/scheduler/worker.rs",
            &scheduler,
            &["runtime".into(), "handle".into()]
        )
        .is_some()
    );
    assert!(
        violation(
            "runtime/scheduler/worker.rs",
            &scheduler,
            &["runtime".into(), "pool".into()]
        )
        .is_none()
    );
}
