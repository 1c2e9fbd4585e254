//! The CI integration files (action.yml, .pre-commit-hooks.yaml, the GitLab CI template) parse,
//! document their inputs in docs/ci.md, and run envparity command lines the CLI accepts: each
//! `envparity ...` line they contain is run, variables filled in, on an example, so the files
//! cannot drift from the command line.

use std::path::{Path, PathBuf};

use envparity::yaml::{parse_document, Limits, Node};

mod common;
use common::{envparity_in, MANIFEST};

fn read(file: &str) -> (String, Node) {
    let text = std::fs::read_to_string(Path::new(MANIFEST).join(file)).unwrap();
    let node = parse_document(&text, file, Limits::default())
        .unwrap_or_else(|e| panic!("{file} is not valid YAML: {e}"));
    (text, node)
}

fn docs() -> String {
    std::fs::read_to_string(Path::new(MANIFEST).join("docs/ci.md")).unwrap()
}

fn keys(node: &Node) -> Vec<String> {
    node.as_map()
        .unwrap()
        .iter()
        .map(|(k, _, _)| k.to_string())
        .collect()
}

/// The `envparity ...` command lines of a script, joined across `\` continuations.
fn command_lines(script: &str) -> Vec<String> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(|l| l.trim().trim_start_matches("- ").trim())
        .filter(|l| l.starts_with("envparity "))
        .map(str::to_string)
        .collect()
}

/// Runs a command line with `vars` substituted, from `dir`; it must be accepted (exit 0 or 1,
/// the gate's answer; never 2, a usage or input error). Returns the output directory.
fn run_line(line: &str, vars: &[(&str, String)], dir: &Path) {
    let mut filled = line.to_string();
    for (name, value) in vars {
        filled = filled.replace(&format!("\"${name}\""), value);
        filled = filled.replace(&format!("${name}"), value);
    }
    assert!(!filled.contains('$'), "unfilled variable in {filled}");
    let argv = shell_words::split(&filled).unwrap();
    assert_eq!(argv[0], "envparity");
    let out = envparity_in(dir).args(&argv[1..]).output().unwrap();
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "{filled}: exit {code:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn hazards() -> String {
    Path::new(MANIFEST)
        .join("examples/hazards")
        .display()
        .to_string()
}

#[test]
fn the_github_action_is_composite_documented_and_runs_a_valid_check() {
    let (text, action) = read("action.yml");
    assert_eq!(
        action.get("runs").unwrap().get("using").unwrap().as_str(),
        Some("composite")
    );
    let docs = docs();
    let inputs = keys(action.get("inputs").unwrap());
    assert!(inputs.len() >= 8, "{inputs:?}");
    for input in &inputs {
        assert!(
            docs.contains(&format!("| `{input}` |")),
            "input `{input}` not in docs/ci.md"
        );
    }
    let steps = action
        .get("runs")
        .unwrap()
        .get("steps")
        .unwrap()
        .as_seq()
        .unwrap();
    let uses: Vec<&str> = steps
        .iter()
        .filter_map(|s| s.get("uses")?.as_str())
        .collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@")),
        "{uses:?}"
    );
    assert!(text.contains("cargo install --locked"));
    assert!(
        text.contains("<!-- envparity-comment -->"),
        "finds its comment by the marker"
    );
    let lines: Vec<String> = steps
        .iter()
        .filter_map(|s| s.get("run")?.as_str())
        .flat_map(command_lines)
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let temp = tempfile::tempdir().unwrap();
    let vars = [
        ("SCAN_PATH", hazards()),
        ("RUNNER_TEMP", temp.path().display().to_string()),
        ("EXTRA_ARGS", String::new()),
    ];
    run_line(&lines[0], &vars, temp.path());
    // What the later steps read is there: the SARIF and the marked comment.
    let sarif = std::fs::read_to_string(temp.path().join("envparity.sarif")).unwrap();
    assert!(sarif.contains("\"version\": \"2.1.0\""));
    let comment = std::fs::read_to_string(temp.path().join("envparity-comment.md")).unwrap();
    assert!(comment.starts_with("<!-- envparity-comment -->\n"));
}

#[test]
fn the_pre_commit_hooks_are_documented_and_their_entries_valid() {
    let (_, hooks) = read(".pre-commit-hooks.yaml");
    let hooks = hooks.as_seq().unwrap();
    assert!(!hooks.is_empty());
    let docs = docs();
    let dir = PathBuf::from(hazards());
    for hook in hooks {
        let id = hook.get("id").unwrap().as_str().unwrap();
        assert!(
            docs.contains(&format!("`{id}`")),
            "hook `{id}` not in docs/ci.md"
        );
        assert_eq!(hook.get("language").unwrap().as_str(), Some("rust"));
        assert!(hook.get("pass_filenames").is_some());
        let entry = hook.get("entry").unwrap().as_str().unwrap();
        // pre-commit runs the entry from the repository root.
        run_line(entry, &[], &dir);
    }
}

#[test]
fn the_gitlab_template_reports_code_quality_with_a_valid_check() {
    let (_, template) = read("ci/gitlab/envparity.gitlab-ci.yml");
    let docs = docs();
    for variable in keys(template.get("variables").unwrap()) {
        assert!(
            docs.contains(&format!("| `{variable}` |")),
            "variable `{variable}` not in docs/ci.md"
        );
    }
    let job = template.get("envparity").unwrap();
    let report = job
        .get("artifacts")
        .unwrap()
        .get("reports")
        .unwrap()
        .get("codequality")
        .unwrap();
    let report = report.as_str().unwrap().to_string();
    let script: Vec<&str> = job
        .get("script")
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert!(script
        .iter()
        .any(|l| l.starts_with("cargo install --locked")));
    let lines: Vec<String> = script.iter().flat_map(|l| command_lines(l)).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let temp = tempfile::tempdir().unwrap();
    let vars = [
        ("ENVPARITY_PATH", hazards()),
        ("ENVPARITY_ARGS", String::new()),
    ];
    run_line(&lines[0], &vars, temp.path());
    let issues: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(temp.path().join(report)).unwrap()).unwrap();
    assert!(!issues.as_array().unwrap().is_empty());
}
