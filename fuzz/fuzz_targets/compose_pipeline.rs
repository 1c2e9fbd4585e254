//! The whole pipeline on a fuzzed staging Compose file against a fixed production one:
//! discover, read, align, compare, judge, and render every format.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use envparity::{align, check, compare, discover, policy, report, rules, sources};

fn repo() -> &'static tempfile_dir::Dir {
    static DIR: OnceLock<tempfile_dir::Dir> = OnceLock::new();
    DIR.get_or_init(tempfile_dir::Dir::new)
}

/// A scratch directory in /dev/shm when available (fast), removed at exit by the OS.
mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let base = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm" } else { "/tmp" };
            let path = std::path::Path::new(base).join(format!("envparity-fuzz-{}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            std::fs::write(
                path.join("docker-compose.production.yml"),
                "services:\n  web:\n    image: app:1\n    environment: {DB_PASSWORD: s3cret-Zq8mT2vLp9}\n  db:\n    image: postgres:16\n",
            )
            .unwrap();
            Dir(path)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = &repo().0;
    std::fs::write(dir.join("docker-compose.staging.yml"), data).unwrap();
    let Ok(ws) = sources::Workspace::open(dir) else { return };
    let Ok(plan) = discover::discover(&ws) else { return };
    let Ok(scan) = sources::load(&ws, &plan) else { return };
    let pol = policy::Policy::default();
    let aligned = align::align(&scan);
    let comparison = compare::compare(&scan, &aligned);
    let analysis = check::analyse(&scan, &aligned, &comparison, &pol, policy::Date { year: 2026, month: 11, day: 23 });
    let files: Vec<Vec<String>> = scan.environments.iter().map(|e| e.files.clone()).collect();
    let input = report::ReportInput { root: ".", comparison: &comparison, analysis: &analysis, files: &files, notes: &scan.notes };
    for format in [report::Format::Md, report::Format::Json, report::Format::Text] {
        let out = report::render(format, &input, false);
        assert!(!out.contains("s3cret-Zq8mT2vLp9"), "a secret was printed");
    }
    let _ = rules::ids();
});
