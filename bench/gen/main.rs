//! envparity-gen: write the benchmark's synthetic repositories (see bench/README.md).
//!
//! `envparity-gen --out DIR [--objects N]... [--seed S]` writes, for each N,
//! `DIR/<N>/compose`, `DIR/<N>/kustomize` and their rendered forms, and prints one line per
//! repository: `<N> <form> <files> <bytes>`.

#[path = "gen.rs"]
mod gen;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut out: Option<PathBuf> = None;
    let mut scales: Vec<usize> = Vec::new();
    let mut seed: u64 = 42;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        let parsed: Result<(), String> = match arg.as_str() {
            "--out" => value().map(|v| out = Some(PathBuf::from(v))),
            "--objects" => value().and_then(|v| {
                v.parse()
                    .map(|n| scales.push(n))
                    .map_err(|e| format!("--objects {v}: {e}"))
            }),
            "--seed" => value().and_then(|v| {
                v.parse()
                    .map(|s| seed = s)
                    .map_err(|e| format!("--seed {v}: {e}"))
            }),
            "-h" | "--help" => {
                println!("usage: envparity-gen --out DIR [--objects N]... [--seed S]\n(default scales: 10 100 1000 10000; seed 42)");
                return ExitCode::SUCCESS;
            }
            other => Err(format!("unknown argument `{other}`")),
        };
        if let Err(e) = parsed {
            eprintln!("envparity-gen: {e}");
            return ExitCode::from(2);
        }
    }
    let Some(out) = out else {
        eprintln!("envparity-gen: --out DIR is required");
        return ExitCode::from(2);
    };
    if scales.is_empty() {
        scales = vec![10, 100, 1000, 10000];
    }
    for n in scales {
        let cfg = gen::Config::new(n, seed);
        match gen::write_scale(&out.join(n.to_string()), &cfg) {
            Ok((compose, kustomize)) => {
                println!("{n} compose {} {}", compose.files, compose.bytes);
                println!("{n} kustomize {} {}", kustomize.files, kustomize.bytes);
            }
            Err(e) => {
                eprintln!("envparity-gen: {}: {e}", out.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
