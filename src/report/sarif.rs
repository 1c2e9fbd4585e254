//! SARIF 2.1.0, for code-scanning tools (GitHub code scanning, Azure DevOps, IDE viewers).
//!
//! One run: the driver lists the whole rule catalog (so `ruleIndex` is the catalog position),
//! one result per finding in the order the analysis gives. File paths are relative to the
//! repository root (the scanned path prefixed with its place in the repository when it is a
//! subdirectory), named by the `%SRCROOT%` base, as GitHub code scanning expects. Each result has
//! a `partialFingerprints` entry with the finding's content fingerprint (the baseline's), so a
//! finding keeps its identity when lines move. Waived findings are results with an external
//! suppression carrying the waiver's reason. No setting value is printed: only the findings'
//! messages, which never hold a secret.

use serde_json::{json, Map, Value};

use super::ReportInput;
use crate::policy::Severity;
use crate::rules::{self, Finding, Rule, RULES};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
/// The base the artifact URIs are relative to: the repository root.
pub const SRCROOT: &str = "%SRCROOT%";
/// The key of the content fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "envparity/v2";

/// SARIF with paths relative to the scanned path (used when it is not inside a repository).
pub fn render(input: &ReportInput) -> String {
    render_in(input, "")
}

/// SARIF with every path prefixed by `repo_prefix`, the scanned path's place in its repository
/// (`examples/hazards/`, or empty at the root).
pub fn render_in(input: &ReportInput, repo_prefix: &str) -> String {
    document(vec![run(input, repo_prefix)])
}

/// A monorepo's projects, one run each, told apart by `automationDetails.id`
/// (`envparity/<project>/`), as code scanning keeps one analysis per category.
pub fn render_projects(projects: &[(&str, &ReportInput, &str)]) -> String {
    let runs = projects
        .iter()
        .map(|(name, input, repo_prefix)| {
            let mut run = run(input, repo_prefix);
            run["automationDetails"] = json!({ "id": format!("envparity/{name}/") });
            run
        })
        .collect();
    document(runs)
}

fn run(input: &ReportInput, repo_prefix: &str) -> Value {
    let a = input.analysis;
    let rules: Vec<Value> = RULES.iter().map(|r| rule(r)).collect();
    let results: Vec<Value> = a
        .findings
        .iter()
        .map(|f| result(f, repo_prefix, a.baseline.is_some()))
        .collect();
    let mut run = Map::new();
    run.insert(
        "tool".into(),
        json!({
            "driver": {
                "name": "envparity",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }
        }),
    );
    run.insert(
        "originalUriBaseIds".into(),
        json!({
            SRCROOT: {
                "description": {
                    "text": format!("The repository root: every file path is relative to it (the scanned path `{}` is `{}` in it).", input.root, if repo_prefix.is_empty() { "." } else { repo_prefix.trim_end_matches('/') })
                }
            }
        }),
    );
    run.insert("results".into(), Value::Array(results));
    run.insert("columnKind".into(), json!("unicodeCodePoints"));
    run.insert(
        "properties".into(),
        json!({
            "environments": input.comparison.environments,
            "referenceEnvironment": input.comparison.environments.get(input.comparison.reference),
            "score": a.score.overall,
            "minScore": a.score.min_score,
            "failOn": a.fail_on.as_str(),
            "passed": a.passed,
        }),
    );
    Value::Object(run)
}

fn document(runs: Vec<Value>) -> String {
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": runs,
    });
    let mut text =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// SARIF's level for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule(r: &Rule) -> Value {
    let mut rule = json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": r.doc, "markdown": r.doc },
        "help": { "text": r.doc, "markdown": r.doc },
        "defaultConfiguration": { "level": level(r.severity) },
    });
    // Only a published home can be linked; a build without one carries the help inline only.
    let home = env!("CARGO_PKG_REPOSITORY");
    if !home.is_empty() {
        rule["helpUri"] = json!(format!(
            "{}/blob/main/docs/rules.md#{}",
            home.trim_end_matches('/'),
            r.id.to_ascii_lowercase()
        ));
    }
    if let Some(severity) = rules::security_severity(r.id) {
        rule["properties"] = json!({ "security-severity": severity, "tags": ["security"] });
    }
    rule
}

fn result(f: &Finding, repo_prefix: &str, with_baseline: bool) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule));
    if let Some(i) = RULES.iter().position(|rule| rule.id == f.rule) {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    r.insert("message".into(), json!({ "text": f.message }));
    let locations: Vec<Value> = f
        .file
        .iter()
        .map(|file| location(&crate::repo::in_repo(repo_prefix, file), f.line, None, None))
        .collect();
    r.insert("locations".into(), Value::Array(locations));
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, rel)| {
                let file = crate::repo::in_repo(repo_prefix, &rel.file);
                location(&file, Some(rel.line), Some(i), Some(&rel.environment))
            })
            .collect();
        r.insert("relatedLocations".into(), Value::Array(related));
    }
    r.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: f.fingerprint() }),
    );
    if let Some(reason) = &f.waived {
        // A waiver lives in envparity.toml; an inline `envparity: ignore` is in the source.
        let kind = if crate::baseline::suppress::is_inline(reason) {
            "inSource"
        } else {
            "external"
        };
        r.insert(
            "suppressions".into(),
            json!([{ "kind": kind, "status": "accepted", "justification": reason }]),
        );
    }
    // A baselined result is not suppressed: it is still there, known debt that code scanning
    // keeps showing; `baselineState` tells it from a new one.
    if with_baseline {
        r.insert(
            "baselineState".into(),
            json!(super::json::baseline_state(f)),
        );
    }
    let mut props = Map::new();
    for (key, v) in [
        ("environment", &f.environment),
        ("service", &f.service),
        ("setting", &f.setting),
    ] {
        if let Some(v) = v {
            props.insert(key.into(), json!(v));
        }
    }
    props.insert("ruleName".into(), json!(f.name));
    r.insert("properties".into(), Value::Object(props));
    Value::Object(r)
}

/// A location in a file under the scanned root; `line` 0 (unknown) gives no region.
fn location(file: &str, line: Option<u32>, id: Option<usize>, environment: Option<&str>) -> Value {
    let mut physical = json!({
        "artifactLocation": { "uri": uri(file), "uriBaseId": SRCROOT },
    });
    if let Some(line) = line.filter(|l| *l > 0) {
        physical["region"] = json!({ "startLine": line });
    }
    let mut loc = Map::new();
    if let Some(id) = id {
        loc.insert("id".into(), json!(id));
    }
    loc.insert("physicalLocation".into(), physical);
    if let Some(env) = environment {
        loc.insert("message".into(), json!({ "text": env }));
    }
    Value::Object(loc)
}

/// A relative path as a URI reference: `/` separators kept, everything outside the unreserved
/// set percent-encoded (`my file.yml` -> `my%20file.yml`).
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Test input shared by the renderers' unit tests: a staging/production comparison built in
/// code and findings chosen by the test.
#[cfg(test)]
pub(crate) mod testing {
    use crate::align::align;
    use crate::check::Analysis;
    use crate::compare::{compare, Comparison};
    use crate::model::{Environment, Origin, Role, Scan, Service, Setting};
    use crate::policy::{Policy, Severity};
    use crate::report::ReportInput;
    use crate::rules::{self, Finding};
    use crate::score::score;
    use crate::verdict::classify;

    pub struct Fixture {
        pub comparison: Comparison,
        pub analysis: Analysis,
        pub files: Vec<Vec<String>>,
    }

    impl Fixture {
        pub fn input(&self) -> ReportInput<'_> {
            ReportInput {
                root: "examples/demo",
                comparison: &self.comparison,
                analysis: &self.analysis,
                files: &self.files,
                notes: &[],
                live: None,
            }
        }
    }

    fn service(name: &str, file: &str, settings: &[(&str, &str)]) -> Service {
        let mut s = Service::new(name, Origin::new(file, 1));
        s.role = Role::Web;
        for (i, (k, v)) in settings.iter().enumerate() {
            s.settings.insert(
                k.to_string(),
                Setting::new(k, *v, Origin::new(file, 2 + i as u32)),
            );
        }
        s
    }

    /// Three environments (development < staging < production), a few drifting settings, and
    /// the given findings.
    pub fn fixture(findings: Vec<Finding>) -> Fixture {
        let envs = [
            ("development", "compose.dev.yml"),
            ("staging", "compose.staging.yml"),
            ("production", "compose.prod.yml"),
        ];
        let scan = Scan {
            environments: envs
                .iter()
                .map(|(env, file)| Environment {
                    services: vec![service(
                        "web",
                        file,
                        &[
                            ("env.A", "1"),
                            ("env.DEBUG", if *env == "production" { "0" } else { "1" }),
                        ],
                    )],
                    files: vec![file.to_string()],
                    ..Environment::new(*env)
                })
                .collect(),
            unread: Vec::new(),
            notes: vec![],
        };
        let aligned = align(&scan);
        let comparison = compare(&scan, &aligned);
        let policy = Policy {
            min_score: 90.0,
            ..Policy::default()
        };
        let verdicts = classify(&comparison, &policy);
        let score = score(&comparison, &verdicts, policy.min_score);
        let passed = rules::failing(&findings, policy.fail_on, policy.fail_on_incomplete)
            .next()
            .is_none()
            && score.overall >= policy.min_score;
        let files = scan.environments.iter().map(|e| e.files.clone()).collect();
        Fixture {
            comparison,
            analysis: Analysis {
                verdicts,
                findings,
                score,
                fail_on: Severity::Error,
                fail_on_incomplete: None,
                policy_file: None,
                passed,
                cost: Default::default(),
                baseline: None,
            },
            files,
        }
    }

    /// A finding of rule `id` in `env`, at `file:line`.
    pub fn finding(id: &str, env: Option<&str>, file: &str, line: u32, message: &str) -> Finding {
        let mut f = Finding::new(rules::find(id).unwrap(), message).at(&Origin::new(file, line));
        f.environment = env.map(str::to_string);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{finding, fixture};
    use super::*;
    use crate::model::Origin;

    fn sarif(findings: Vec<Finding>) -> Value {
        let fx = fixture(findings);
        let text = render(&fx.input());
        assert!(text.ends_with("}\n"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn driver_lists_the_whole_catalog_in_order() {
        let doc = sarif(vec![]);
        assert_eq!(doc["$schema"], SCHEMA_URI);
        assert_eq!(doc["version"], "2.1.0");
        let driver = &doc["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "envparity");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), RULES.len());
        for (r, rule) in rules.iter().zip(RULES) {
            assert_eq!(r["id"], rule.id);
            assert_eq!(r["name"], rule.name);
            assert_eq!(r["shortDescription"]["text"], rule.summary);
            assert_eq!(r["help"]["markdown"], rule.doc);
            assert_eq!(r["defaultConfiguration"]["level"], level(rule.severity));
        }
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[14]["defaultConfiguration"]["level"], "warning");
        assert_eq!(doc["runs"][0]["results"], json!([]));
    }

    #[test]
    fn results_carry_rule_index_level_locations_and_suppressions() {
        let mut reused = finding(
            "EP004",
            Some("staging"),
            "compose.staging.yml",
            12,
            "`env.API_KEY` has the same value in staging and production",
        )
        .service("web")
        .setting("env.API_KEY")
        .related("production", &Origin::new("compose.prod.yml", 14));
        reused.severity = Severity::Note; // as a policy override would
        let mut waived = finding(
            "EP007",
            Some("production"),
            "deploy/my compose.yml",
            0,
            "`web` has no limits",
        );
        waived.waived = Some("dedicated hosts until Q3".into());
        let expired = Finding::new(crate::rules::find("EP015").unwrap(), "waiver expired");
        let doc = sarif(vec![reused, waived, expired]);
        let results = doc["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);

        let r = &results[0];
        assert_eq!(r["ruleId"], "EP004");
        assert_eq!(r["ruleIndex"], 3);
        assert_eq!(r["level"], "note");
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "compose.staging.yml");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"]["startLine"], 12);
        let rel = &r["relatedLocations"][0];
        assert_eq!(rel["id"], 0);
        assert_eq!(rel["message"]["text"], "production");
        assert_eq!(
            rel["physicalLocation"]["artifactLocation"]["uri"],
            "compose.prod.yml"
        );
        assert_eq!(rel["physicalLocation"]["region"]["startLine"], 14);
        assert_eq!(
            r["properties"],
            json!({"environment": "staging", "service": "web", "setting": "env.API_KEY", "ruleName": "secret-reused-across-environments"})
        );
        assert!(r.get("suppressions").is_none());
        assert_eq!(results_fingerprint(&doc, 0).len(), 32);
        assert_ne!(results_fingerprint(&doc, 0), results_fingerprint(&doc, 1));

        let w = &results[1];
        assert_eq!(
            (w["ruleIndex"].as_u64(), w["level"].as_str()),
            (Some(6), Some("warning"))
        );
        let loc = &w["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "deploy/my%20compose.yml");
        assert!(loc.get("region").is_none(), "line 0 is unknown");
        assert_eq!(
            w["suppressions"],
            json!([{"kind": "external", "status": "accepted", "justification": "dedicated hosts until Q3"}])
        );

        let e = &results[2];
        assert_eq!(e["ruleIndex"], 14);
        assert_eq!(e["locations"], json!([]));
        assert!(e.get("relatedLocations").is_none());
    }

    fn results_fingerprint(doc: &Value, i: usize) -> String {
        doc["runs"][0]["results"][i]["partialFingerprints"][FINGERPRINT_KEY]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn security_rules_carry_a_security_severity() {
        let doc = sarif(vec![]);
        let rules = doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let plaintext = rules.iter().find(|r| r["id"] == "EP002").unwrap();
        assert_eq!(plaintext["properties"]["security-severity"], "8.0");
        assert_eq!(plaintext["properties"]["tags"], json!(["security"]));
        let limits = rules.iter().find(|r| r["id"] == "EP007").unwrap();
        assert!(limits.get("properties").is_none());
        for r in rules {
            if r.get("properties").is_some() {
                assert_eq!(r["defaultConfiguration"]["level"], "error", "{}", r["id"]);
            }
        }
    }

    #[test]
    fn paths_are_relative_to_the_repository_root() {
        let fx = fixture(vec![finding(
            "EP006",
            Some("production"),
            "compose.prod.yml",
            3,
            "x",
        )
        .related("staging", &Origin::new("compose.staging.yml", 4))]);
        let doc: Value = serde_json::from_str(&render_in(&fx.input(), "examples/demo/")).unwrap();
        let r = &doc["runs"][0]["results"][0];
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "examples/demo/compose.prod.yml"
        );
        assert_eq!(
            r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "examples/demo/compose.staging.yml"
        );
        assert_eq!(
            results_fingerprint(&doc, 0),
            fx.analysis.findings[0].fingerprint()
        );
    }

    #[test]
    fn output_is_deterministic() {
        let make = || {
            vec![
                finding("EP001", Some("production"), "a.yml", 3, "x"),
                finding("EP006", Some("production"), "b.yml", 4, "y"),
            ]
        };
        assert_eq!(
            render(&fixture(make()).input()),
            render(&fixture(make()).input())
        );
    }

    #[test]
    fn uris_are_encoded_relative_references() {
        assert_eq!(uri("a/b-c_d.e~f.yml"), "a/b-c_d.e~f.yml");
        assert_eq!(uri("my dir/ü#1.yml"), "my%20dir/%C3%BC%231.yml");
        assert_eq!(uri("win\\path.yml"), "win/path.yml");
    }
}
