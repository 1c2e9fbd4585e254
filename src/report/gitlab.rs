//! GitLab Code Quality report (`artifacts: reports: codequality`): a JSON array with one issue
//! per unwaived finding — description, check_name, fingerprint (the finding's content
//! fingerprint, the baseline's, so GitLab tells new from fixed issues across pipelines),
//! severity, and location.path (relative to the repository root) with lines.begin. Escaped by
//! the JSON serializer; no setting value is printed, only the findings' messages, which never
//! hold a secret.

use serde_json::{json, Value};

use super::ReportInput;
use crate::policy::Severity;
use crate::rules::Finding;

pub fn render(input: &ReportInput, repo_prefix: &str) -> String {
    array(issues(input, repo_prefix, None))
}

/// A monorepo's projects in one report; each fingerprint is prefixed with its project
/// (`api/...`), so the same finding in two projects is two issues.
pub fn render_projects(projects: &[(&str, &ReportInput, &str)]) -> String {
    array(
        projects
            .iter()
            .flat_map(|(name, input, prefix)| issues(input, prefix, Some(name)))
            .collect(),
    )
}

fn issues(input: &ReportInput, repo_prefix: &str, project: Option<&str>) -> Vec<Value> {
    let policy_file = input.analysis.policy_file.as_deref();
    input
        .analysis
        .findings
        .iter()
        .filter(|f| f.waived.is_none())
        .map(|f| {
            let mut issue = issue(f, repo_prefix, policy_file);
            if let Some(project) = project {
                issue["fingerprint"] = json!(format!("{project}/{}", f.fingerprint()));
            }
            issue
        })
        .collect()
}

fn array(issues: Vec<Value>) -> String {
    let mut text = serde_json::to_string_pretty(&Value::Array(issues))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// GitLab's scale: info, minor, major, critical, blocker.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

fn issue(f: &Finding, repo_prefix: &str, policy_file: Option<&str>) -> Value {
    // GitLab needs a path for every issue: a finding with no file of its own (an environment
    // missing a service, a stale policy entry) is placed on the policy file, or the scanned path.
    let path = match (&f.file, policy_file) {
        (Some(file), _) => crate::repo::in_repo(repo_prefix, file),
        (None, Some(policy)) => crate::repo::in_repo(repo_prefix, policy),
        (None, None) if repo_prefix.is_empty() => ".".to_string(),
        (None, None) => repo_prefix.trim_end_matches('/').to_string(),
    };
    let mut description = format!("{}: {}", f.rule, f.message);
    if let Some(env) = &f.environment {
        description.push_str(&format!(" ({env})"));
    }
    json!({
        "type": "issue",
        "description": description,
        "check_name": f.rule,
        "categories": ["Bug Risk"],
        "fingerprint": f.fingerprint(),
        "severity": severity(f.severity),
        "location": {
            "path": path,
            "lines": { "begin": f.line.filter(|l| *l > 0).unwrap_or(1) },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sarif::testing::{finding, fixture};

    #[test]
    fn one_issue_per_unwaived_finding() {
        let mut waived = finding("EP007", Some("production"), "compose.prod.yml", 3, "x");
        waived.waived = Some("reason".into());
        let mut no_file = finding("EP011", Some("staging"), "x", 0, "missing");
        no_file.file = None;
        no_file.line = None;
        let first = finding(
            "EP001",
            Some("production"),
            "compose.prod.yml",
            12,
            "names `db-staging`",
        );
        let fingerprint = first.fingerprint();
        let fx = fixture(vec![first, waived, no_file]);
        let doc: Value = serde_json::from_str(&render(&fx.input(), "deploy/")).unwrap();
        let issues = doc.as_array().unwrap();
        assert_eq!(issues.len(), 2);
        assert_eq!(
            issues[0],
            json!({
                "type": "issue",
                "description": "EP001: names `db-staging` (production)",
                "check_name": "EP001",
                "categories": ["Bug Risk"],
                "fingerprint": fingerprint,
                "severity": "critical",
                "location": { "path": "deploy/compose.prod.yml", "lines": { "begin": 12 } },
            })
        );
        assert_eq!(issues[1]["severity"], "major");
        assert_eq!(issues[1]["location"]["path"], "deploy");
        assert_eq!(issues[1]["location"]["lines"]["begin"], 1);
    }
}
