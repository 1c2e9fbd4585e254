//! Adopting the gate end to end: `envparity baseline`, `check --baseline`, inline
//! suppressions and stale intentions (EP023), on small repositories written by each test.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::envparity_in;

const STAGING: &str = "services:\n  web:\n    image: app:1.2\n    environment:\n      DEBUG: \"false\"\n      LOG_LEVEL: info\n";
const PRODUCTION: &str = "services:\n  web:\n    image: app:1.2\n    environment:\n      DEBUG: \"true\"\n      LOG_LEVEL: info\n";

/// A repository (`repo/`) and, beside it, a directory for the baseline (`out/`), so that
/// nothing is written into the repository.
struct Fixture {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    out: PathBuf,
}

impl Fixture {
    fn new(production: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let f = Fixture {
            _dir: dir,
            repo,
            out,
        };
        f.write("docker-compose.staging.yml", STAGING);
        f.write("docker-compose.production.yml", production);
        f
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.repo.join(name), text).unwrap();
    }

    fn baseline_file(&self) -> PathBuf {
        self.out.join(".envparity-baseline.json")
    }

    /// `envparity baseline ../repo` run from `out/`, with the default output file.
    fn record(&self) {
        let run = envparity_in(&self.out)
            .args(["baseline", "../repo"])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{run:?}");
    }

    /// `check --baseline` in `format`: exit code and standard output.
    fn check(&self, format: &str) -> (i32, String) {
        let run = envparity_in(&self.out)
            .args([
                "check",
                "../repo",
                "--baseline",
                ".envparity-baseline.json",
                "-f",
                format,
            ])
            .output()
            .unwrap();
        (
            run.status.code().unwrap(),
            String::from_utf8(run.stdout).unwrap(),
        )
    }

    fn check_json(&self) -> (i32, Value) {
        let (code, out) = self.check("json");
        (code, serde_json::from_str(&out).unwrap())
    }
}

/// `(rule, environment, setting, baseline_state)` of each unwaived finding.
fn states(doc: &Value) -> Vec<(String, String, String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["waived"].is_null())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (
                s("rule"),
                s("environment"),
                s("setting"),
                s("baseline_state"),
            )
        })
        .collect()
}

fn state(rule: &str, env: &str, setting: &str, st: &str) -> (String, String, String, String) {
    (rule.into(), env.into(), setting.into(), st.into())
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_baseline_lets_the_gate_pass_and_is_written_where_asked_only() {
    let f = Fixture::new(PRODUCTION);
    let plain = envparity_in(&f.out)
        .args(["check", "../repo"])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(1), "EP005 fails the gate");
    f.record();
    assert_eq!(
        files_in(&f.repo),
        [
            "docker-compose.production.yml",
            "docker-compose.staging.yml"
        ],
        "nothing is written into the scanned repository"
    );
    let text = std::fs::read_to_string(f.baseline_file()).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["baseline_version"], 1);
    assert_eq!(doc["fingerprint"], "envparity/v2");
    let entries = doc["findings"].as_array().unwrap();
    let ep005 = entries.iter().find(|e| e["rule"] == "EP005").unwrap();
    assert_eq!(ep005["environment"], "production");
    assert_eq!(ep005["service"], "web");
    assert_eq!(ep005["setting"], "env.DEBUG");
    assert_eq!(ep005["file"], "docker-compose.production.yml");
    assert_eq!(ep005["line"], 5);
    assert_eq!(ep005["fingerprint"].as_str().unwrap().len(), 32);

    let (code, doc) = f.check_json();
    assert_eq!(code, 0);
    assert_eq!(doc["gate"]["passed"], true);
    assert!(states(&doc).contains(&state("EP005", "production", "env.DEBUG", "unchanged")));
    assert!(
        states(&doc).iter().all(|s| s.3 == "unchanged"),
        "{:?}",
        states(&doc)
    );
    assert_eq!(doc["baseline"]["new"], 0);
    assert_eq!(doc["baseline"]["fixed"], Value::Array(vec![]));

    // The same run twice writes the same bytes.
    f.record();
    assert_eq!(std::fs::read_to_string(f.baseline_file()).unwrap(), text);

    // `-o -` is standard output.
    let stdout = envparity_in(&f.out)
        .args(["baseline", "../repo", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(stdout.stdout).unwrap(), text);
    assert!(!f.out.join("-").exists());
}

#[test]
fn only_new_findings_fail_and_moved_lines_stay_baselined() {
    let f = Fixture::new(PRODUCTION);
    f.record();
    // A cross-environment reference appears: the gate fails on it alone.
    f.write(
        "docker-compose.production.yml",
        &PRODUCTION.replace(
            "      LOG_LEVEL: info\n",
            "      LOG_LEVEL: info\n      DATABASE_URL: postgres://db.staging.internal:5432/app\n",
        ),
    );
    let (code, doc) = f.check_json();
    assert_eq!(code, 1);
    let failing_new: Vec<_> = states(&doc)
        .into_iter()
        .filter(|s| s.3 == "new")
        .filter(|s| {
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == s.0.as_str() && f["severity"] == "error")
        })
        .collect();
    assert_eq!(
        failing_new,
        [state("EP001", "production", "env.DATABASE_URL", "new")]
    );
    assert!(states(&doc).contains(&state("EP005", "production", "env.DEBUG", "unchanged")));

    // Lines move (a comment block above): still baselined, the gate passes.
    f.write(
        "docker-compose.production.yml",
        &format!("# production\n# deployed by CI\n\n{PRODUCTION}"),
    );
    let (code, doc) = f.check_json();
    assert_eq!(code, 0, "{doc:#}");
    let ep005 = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "EP005")
        .unwrap()
        .clone();
    assert_eq!(ep005["line"], 8);
    assert_eq!(ep005["baseline_state"], "unchanged");

    // The value changes (`true` to `1`: the same message, another value): a new finding.
    f.write(
        "docker-compose.production.yml",
        &PRODUCTION.replace("DEBUG: \"true\"", "DEBUG: \"1\""),
    );
    let (code, doc) = f.check_json();
    assert_eq!(code, 1);
    assert!(states(&doc).contains(&state("EP005", "production", "env.DEBUG", "new")));
    // ... and the recorded one is gone: fixed, a stale entry.
    let fixed = doc["baseline"]["fixed"].as_array().unwrap();
    assert!(fixed.iter().any(|e| e["rule"] == "EP005"), "{fixed:?}");
}

#[test]
fn a_removed_hazard_is_listed_as_fixed_in_every_format() {
    let f = Fixture::new(PRODUCTION);
    f.record();
    f.write(
        "docker-compose.production.yml",
        &PRODUCTION.replace("DEBUG: \"true\"", "DEBUG: \"false\""),
    );
    let (code, doc) = f.check_json();
    assert_eq!(code, 0);
    let fixed = doc["baseline"]["fixed"].as_array().unwrap();
    let rules: Vec<&str> = fixed.iter().map(|e| e["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["EP005"]);
    assert_eq!(fixed[0]["file"], "docker-compose.production.yml");
    assert_eq!(fixed[0]["line"], 5);

    let (_, text) = f.check("text");
    assert!(
        text.contains("fixed[EP005] `DEBUG` is on in production (was docker-compose.production.yml:5): in the baseline, found no more; the entry is stale"),
        "{text}"
    );
    assert!(
        text.contains("baseline .envparity-baseline.json: 0 new, 2 baselined, 1 fixed"),
        "{text}"
    );
    let (_, md) = f.check("md");
    assert!(
        md.contains("**Baseline** `.envparity-baseline.json`: 0 new · 2 baselined · 1 fixed"),
        "{md}"
    );
    assert!(md.contains("### Fixed since the baseline (1)"), "{md}");
}

#[test]
fn baselined_findings_in_text_md_sarif_and_junit() {
    let f = Fixture::new(PRODUCTION);
    f.record();
    f.write(
        "docker-compose.production.yml",
        &PRODUCTION.replace("image: app:1.2", "image: app:latest"),
    );
    let (code, text) = f.check("text");
    assert_eq!(code, 0, "EP006 is a warning: {text}");
    assert!(
        text.contains("baselined[EP005] debug-in-production: `DEBUG` is on in production (docker-compose.production.yml:5)"),
        "{text}"
    );
    assert!(!text.contains("error[EP005]"), "{text}");
    assert!(text.contains("warning[EP006]"), "{text}");

    let (_, md) = f.check("md");
    assert!(md.contains("### Baselined (3)"), "{md}");

    let (_, html) = f.check("html");
    assert_eq!(
        html.matches("<span class=\"tag\">baselined</span>").count(),
        3
    );
    // The summary counts the baselined findings apart from the new ones.
    assert!(
        html.contains("<li class=\"badge baselined\">3 baselined</li>"),
        "{html}"
    );
    assert!(
        html.contains("<li class=\"badge error\">0 errors</li>"),
        "{html}"
    );
    assert_eq!(html.matches("<tr data-status=\"baselined\"").count(), 3);

    let (_, sarif) = f.check("sarif");
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let of = |rule: &str| results.iter().find(|r| r["ruleId"] == rule).unwrap();
    assert_eq!(of("EP005")["baselineState"], "unchanged");
    assert_eq!(of("EP006")["baselineState"], "new");
    assert!(of("EP005").get("suppressions").is_none());

    let (_, junit) = f.check("junit");
    let case = junit
        .split("<testcase ")
        .find(|c| c.contains("EP005"))
        .unwrap();
    assert!(case.contains("<skipped message=\"baselined: "), "{case}");
    assert!(!case.contains("<failure"), "{case}");
}

#[test]
fn a_malformed_baseline_is_an_input_error_naming_the_line() {
    let f = Fixture::new(PRODUCTION);
    std::fs::write(
        f.baseline_file(),
        "{\n  \"baseline_version\": 1,\n  \"fingerprint\": \"envparity/v2\",\n  \"findings\": [\n    {\"rule\": 5}\n  ]\n}\n",
    )
    .unwrap();
    let run = envparity_in(&f.out)
        .args(["check", "../repo", "--baseline", ".envparity-baseline.json"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.contains("error: .envparity-baseline.json:5: is not a valid baseline file"),
        "{stderr}"
    );
    let missing = envparity_in(&f.out)
        .args(["check", "../repo", "--baseline", "nope.json"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn inline_suppressions_waive_with_their_reason_and_need_one() {
    let with_reason = PRODUCTION.replace(
        "      DEBUG: \"true\"\n",
        "      # envparity: ignore EP005,EP011 debug toolbar behind the VPN\n      DEBUG: \"true\"\n",
    );
    let f = Fixture::new(&with_reason);
    let run = envparity_in(&f.out)
        .args(["check", "../repo", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    let ep005 = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "EP005")
        .unwrap()
        .clone();
    assert_eq!(
        ep005["waived"],
        "debug toolbar behind the VPN (envparity: ignore at docker-compose.production.yml:5)"
    );
    let sarif = envparity_in(&f.out)
        .args(["check", "../repo", "-f", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "EP005")
        .unwrap()
        .clone();
    assert_eq!(result["suppressions"][0]["kind"], "inSource");

    // A suppressed finding is not recorded in a baseline: it has its own reason.
    f.record();
    let text = std::fs::read_to_string(f.baseline_file()).unwrap();
    assert!(!text.contains("EP005"), "{text}");

    // On the same line, without a reason: ignored, and said so at the comment's line.
    f.write(
        "docker-compose.production.yml",
        &PRODUCTION.replace(
            "DEBUG: \"true\"",
            "DEBUG: \"true\" # envparity: ignore EP005",
        ),
    );
    let run = envparity_in(&f.out)
        .args(["check", "../repo", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let ep005 = findings.iter().find(|f| f["rule"] == "EP005").unwrap();
    assert!(ep005["waived"].is_null());
    let ignored = findings.iter().find(|f| f["rule"] == "EP023").unwrap();
    assert_eq!(ignored["severity"], "note");
    assert_eq!(ignored["file"], "docker-compose.production.yml");
    assert_eq!(ignored["line"], 5);
    assert_eq!(
        ignored["message"],
        "inline suppression for EP005 has no reason; a suppression needs one (`envparity: ignore EP005 <reason>`); it is ignored"
    );
}

#[test]
fn policy_intentions_that_match_nothing_are_reported_at_their_line() {
    let f = Fixture::new(PRODUCTION);
    f.write(
        "envparity.toml",
        "[[intended]]\nsetting = \"env.LOG_LEVL\"\nreason = \"verbose staging\"\n\n\
         [[must_match]]\nsetting = \"env.LOG_LEVEL\"\nreason = \"same logs\"\n",
    );
    let run = envparity_in(&f.repo)
        .args(["check", ".", "-f", "text"])
        .output()
        .unwrap();
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(
        text.contains("note[EP023] ineffective-intention: [[intended]] setting = `env.LOG_LEVL` matches nothing in any environment; it excuses nothing\n  --> envparity.toml:1"),
        "{text}"
    );
    assert_eq!(text.matches("[EP023]").count(), 1, "{text}");
}

/// Copies `from` into `to`, with a blank line first in every file when `shift` is set.
fn copy_tree(from: &Path, to: &Path, shift: bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, shift);
        } else {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let text = if shift { format!("\n{text}") } else { text };
            std::fs::write(target, text).unwrap();
        }
    }
}

#[test]
fn every_finding_of_the_hazards_example_stays_baselined_when_every_line_moves() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(common::MANIFEST).join("examples/hazards");
    copy_tree(&example, &dir.path().join("repo"), false);
    let record = envparity_in(dir.path())
        .args(["baseline", "repo", "-o", "b.json"])
        .output()
        .unwrap();
    assert_eq!(record.status.code(), Some(0), "{record:?}");
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("b.json")).unwrap()).unwrap();
    assert!(recorded["findings"].as_array().unwrap().len() > 10);
    copy_tree(&example, &dir.path().join("repo"), true);
    let run = envparity_in(dir.path())
        .args(["check", "repo", "--baseline", "b.json", "-f", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(doc["baseline"]["new"], 0, "{:#}", doc["findings"]);
    assert_eq!(doc["baseline"]["fixed"], Value::Array(vec![]));
    assert_eq!(run.status.code(), Some(0));
}
