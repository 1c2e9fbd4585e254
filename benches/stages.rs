//! Micro-benchmarks of the hot stages (bench/README.md): `cargo bench --bench stages`.
//! The inputs come from the benchmark's generator; nothing here runs under `cargo test`.

#[path = "../bench/gen/gen.rs"]
#[allow(dead_code)]
mod gen;

use std::sync::OnceLock;

use divan::Bencher;
use envparity::align::{align, AlignedService};
use envparity::check::{analyse, Analysis};
use envparity::compare::{compare, Comparison};
use envparity::discover;
use envparity::model::{Environment, ImageRef, Located, Origin, Role, Scan, Service};
use envparity::policy::{self, Date, Policy};
use envparity::report::{self, ReportInput};
use envparity::sources::{self, Workspace};

fn main() {
    divan::main();
}

/// A generated Compose repository with 1,000 services per environment, read once.
struct Fixture {
    _dir: tempfile::TempDir,
    base_text: String,
    workspace: Workspace,
    plan: discover::Plan,
    policy: Policy,
    scan: Scan,
    aligned: Vec<AlignedService>,
    comparison: Comparison,
    analysis: Analysis,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        gen::write_scale(dir.path(), &gen::Config::new(1000, 42)).unwrap();
        let root = dir.path().join("compose");
        let base_text = std::fs::read_to_string(root.join("docker-compose.yml")).unwrap();
        let workspace = Workspace::open(&root).unwrap();
        let plan = discover::discover(&workspace).unwrap();
        let policy = policy::load(&workspace, None, &envparity::rules::ids()).unwrap();
        let scan = sources::load(&workspace, &plan).unwrap();
        let aligned = align(&scan);
        let comparison = compare(&scan, &aligned);
        let analysis = analyse(&scan, &aligned, &comparison, &policy, today());
        Fixture {
            _dir: dir,
            base_text,
            workspace,
            plan,
            policy,
            scan,
            aligned,
            comparison,
            analysis,
        }
    })
}

fn today() -> Date {
    Date::parse("2026-11-23").unwrap()
}

/// Parsing: the 1,000-service Compose base file (about 1.3 MB) into the span tree.
#[divan::bench(sample_count = 10)]
fn parse_compose_base_1000(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| {
        envparity::yaml::parse_documents(
            &f.base_text,
            "docker-compose.yml",
            envparity::yaml::Limits::default(),
        )
        .unwrap()
    });
}

/// Reading: every file of the three environments into the model (parse, merge, build).
#[divan::bench(sample_count = 5)]
fn load_compose_1000(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| sources::load(&f.workspace, &f.plan).unwrap());
}

/// 10,000 services in each of three environments; one in twenty is named differently in
/// production and only matches by role and image (the fallback).
fn scan_10k() -> Scan {
    let envs = ["development", "staging", "production"];
    let environments = envs
        .iter()
        .map(|env| {
            let services = (0..10_000)
                .map(|i| {
                    let id = gen::letters(i);
                    let name = if *env == "production" && i % 20 == 0 {
                        format!("renamed-{id}")
                    } else {
                        format!("svc-{id}")
                    };
                    let mut s = Service::new(name, Origin::new("f.yml", i as u32 + 1));
                    s.role = if i % 25 == 7 {
                        Role::Database
                    } else {
                        Role::Web
                    };
                    s.image = Some(Located::new(
                        ImageRef::parse(&format!("registry.example.com/app-{id}:1.0")),
                        Origin::new("f.yml", i as u32 + 2),
                    ));
                    s
                })
                .collect();
            Environment {
                services,
                ..Environment::new(*env)
            }
        })
        .collect();
    Scan {
        environments,
        ..Scan::default()
    }
}

#[divan::bench(sample_count = 5)]
fn align_10000_services(bencher: Bencher) {
    let scan = scan_10k();
    bencher.bench(|| align(&scan));
}

#[divan::bench(sample_count = 10)]
fn compare_1000(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| compare(&f.scan, &f.aligned));
}

/// Verdicts, the sixteen rules and the score.
#[divan::bench(sample_count = 10)]
fn rules_and_score_1000(bencher: Bencher) {
    let f = fixture();
    bencher.bench(|| analyse(&f.scan, &f.aligned, &f.comparison, &f.policy, today()));
}

/// Renders the fixture's report with `render`.
fn bench_render(bencher: Bencher, render: fn(&ReportInput) -> String) {
    let f = fixture();
    let files: Vec<Vec<String>> = f
        .scan
        .environments
        .iter()
        .map(|e| e.files.clone())
        .collect();
    let input = ReportInput {
        root: ".",
        comparison: &f.comparison,
        analysis: &f.analysis,
        files: &files,
        notes: &f.scan.notes,
        live: None,
    };
    bencher.bench(|| render(&input));
}

#[divan::bench(sample_count = 10)]
fn render_json_1000(bencher: Bencher) {
    bench_render(bencher, report::json::render);
}

#[divan::bench(sample_count = 10)]
fn render_check_text_1000(bencher: Bencher) {
    bench_render(bencher, |input| report::text::render_check(input, false));
}

/// A repository of one environment file with `entries` generated `name = value` lines, read
/// through the whole source stage: the line of each value must not cost a scan of the file.
fn line_heavy_repo(file: &str, text: String) -> (tempfile::TempDir, Workspace, discover::Plan) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    let workspace = Workspace::open(dir.path()).unwrap();
    let plan = discover::explicit(&workspace, &[format!("production={file}")]).unwrap();
    (dir, workspace, plan)
}

/// 50,000 tfvars entries (the quadratic line lookup took 37 s).
#[divan::bench(sample_count = 5, args = [5_000, 50_000])]
fn load_tfvars(bencher: Bencher, entries: usize) {
    let text: String = (0..entries).map(|i| format!("v{i} = \"x{i}\"\n")).collect();
    let (_dir, workspace, plan) = line_heavy_repo("production.tfvars", text);
    bencher.bench(|| sources::load(&workspace, &plan).unwrap());
}

/// A policy with thousands of waivers, each located by its line.
#[divan::bench(sample_count = 5, args = [1_000, 10_000])]
fn parse_policy_waivers(bencher: Bencher, waivers: usize) {
    let text: String = (0..waivers)
        .map(|i| {
            format!(
                "[[waiver]]\nrule = \"EP001\"\nservice = \"s{i}\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n"
            )
        })
        .collect();
    let ids = envparity::rules::ids();
    bencher.bench(|| policy::parse(&text, "envparity.toml", &ids));
}
