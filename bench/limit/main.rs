//! envparity-limit: the benchmark's floor. Reads every YAML file under a directory and parses
//! it with envparity's own YAML reader (`envparity::yaml::parse_documents`, on saphyr-parser),
//! and does nothing else. Files are spread over the available cores like envparity does.
//!
//! `envparity-limit DIR [--threads N] [--events]`: `--events` only runs saphyr-parser's event
//! stream (no tree), the floor under the floor.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let t = e.file_type()?;
        if t.is_dir() {
            walk(&path, out)?;
        } else if t.is_file() && (name.ends_with(".yml") || name.ends_with(".yaml")) {
            out.push(path);
        }
    }
    Ok(())
}

fn parse(path: &Path, events_only: bool) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if events_only {
        let mut n = 0;
        for ev in saphyr_parser::Parser::new_from_str(&text) {
            ev.map_err(|e| format!("{}: {e}", path.display()))?;
            n += 1;
        }
        return Ok(n);
    }
    // The node limit envparity has under the bench's `--max-file-size` (bench/run.sh): the
    // 30,000-object Compose base is over the default.
    let limits = envparity::yaml::Limits::for_file_size(256 * 1024 * 1024);
    let docs = envparity::yaml::parse_documents(&text, &path.display().to_string(), limits)
        .map_err(|e| e.to_string())?;
    Ok(docs.len())
}

fn main() -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut events_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            "--events" => events_only = true,
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: envparity-limit DIR [--threads N] [--events]");
        return ExitCode::from(2);
    };
    let mut files = Vec::new();
    if let Err(e) = walk(&dir, &mut files) {
        eprintln!("envparity-limit: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    // Largest first, then a shared counter: the same balancing envparity gets from rayon.
    files.sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).map_or(0, |m| m.len())));
    let next = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                match parse(path, events_only) {
                    Ok(n) => {
                        total.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(e) => {
                        *failed.lock().unwrap() = Some(e);
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap() {
        eprintln!("envparity-limit: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "{} files, {} {}",
        files.len(),
        total.load(Ordering::Relaxed),
        if events_only { "events" } else { "documents" }
    );
    ExitCode::SUCCESS
}
