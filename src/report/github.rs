//! GitHub Actions workflow-command annotations: one `::error file=F,line=N,title=T::message`
//! line per unwaived finding (`::warning` and `::notice` for the lower severities), so each
//! shows on the pull request's changed lines, then one plain summary line.
//!
//! Repository text is first made visible with [`escape::control`] (so no newline can end the
//! command early and start another), then escaped as GitHub's runner reads it: `%`, CR and LF
//! in the message, and also `:` and `,` in property values. The lines begin with `::` on
//! purpose, so this output is not passed through [`escape::document`], which would defuse
//! them. Paths are relative to the repository root, as the runner expects. No setting value is
//! printed: only the findings' messages, which never hold a secret.

use std::fmt::Write;

use super::ReportInput;
use crate::escape;
use crate::policy::Severity;
use crate::rules::Finding;

pub fn render(input: &ReportInput, repo_prefix: &str) -> String {
    let a = input.analysis;
    let mut out = String::new();
    for f in a.findings.iter().filter(|f| f.waived.is_none()) {
        annotation(&mut out, f, repo_prefix);
    }
    let summary = format!(
        "envparity: {} (parity score {} / 100, min_score {}); {} finding(s), {} at or above `{}`\n",
        if a.passed { "passed" } else { "failed" },
        a.score.overall,
        a.score.min_score,
        a.findings.len(),
        a.failing().count(),
        a.fail_on.as_str()
    );
    out.push_str(&escape::document(&summary, false));
    out
}

fn annotation(out: &mut String, f: &Finding, repo_prefix: &str) {
    let command = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut properties = Vec::new();
    if let Some(file) = &f.file {
        properties.push(format!(
            "file={}",
            property(&crate::repo::in_repo(repo_prefix, file))
        ));
        if let Some(line) = f.line.filter(|l| *l > 0) {
            properties.push(format!("line={line}"));
        }
    }
    properties.push(format!(
        "title={}",
        property(&format!("{} {}", f.rule, f.name))
    ));
    let mut message = f.message.clone();
    for (label, value) in [("environment", &f.environment), ("service", &f.service)] {
        if let Some(v) = value {
            let _ = write!(message, " ({label} {v})");
        }
    }
    let _ = writeln!(
        out,
        "::{command} {}::{}",
        properties.join(","),
        data(&message)
    );
}

/// An `::error` annotation with a title and no file (a project that could not be read).
pub fn error_annotation(title: &str, message: &str) -> String {
    format!("::error title={}::{}\n", property(title), data(message))
}

/// A message: controls made visible, then `%`, CR and LF percent-encoded.
fn data(s: &str) -> String {
    escape::control(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as [`data`], and `:` and `,` too (they end the value).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sarif::testing::{finding, fixture};

    #[test]
    fn one_annotation_per_unwaived_finding_with_repository_paths() {
        let mut waived = finding("EP007", Some("production"), "compose.prod.yml", 3, "x");
        waived.waived = Some("reason".into());
        let findings = vec![
            finding(
                "EP001",
                Some("production"),
                "compose.prod.yml",
                12,
                "`env.DB` names `db-staging`",
            )
            .service("web"),
            finding(
                "EP011",
                Some("staging"),
                "compose.staging.yml",
                0,
                "only here",
            ),
            waived,
        ];
        let out = render(&fixture(findings).input(), "deploy/");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert_eq!(
            lines[0],
            "::error file=deploy/compose.prod.yml,line=12,title=EP001 cross-environment-reference::`env.DB` names `db-staging` (environment production) (service web)"
        );
        assert!(
            lines[1].starts_with("::warning file=deploy/compose.staging.yml,title=EP011 "),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("envparity: failed (parity score "),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn repository_text_cannot_break_out_of_its_annotation() {
        let f = finding(
            "EP001",
            Some("staging"),
            "a,b:c%.yml",
            1,
            "100% sure\nline=9::\r\n::error::forged\u{1b}[2J",
        );
        let out = render(&fixture(vec![f]).input(), "");
        let first = out.lines().next().unwrap();
        assert!(
            first.starts_with("::error file=a%2Cb%3Ac%25.yml,line=1,title="),
            "{first}"
        );
        assert!(
            first.ends_with(
                "::100%25 sure\\nline=9::\\r\\n::error::forged\\x1b[2J (environment staging)"
            ),
            "{first}"
        );
        // Only the annotations and the summary begin a line.
        assert_eq!(out.lines().count(), 2);
        assert_eq!(property("a:b,c%\r\n"), "a%3Ab%2Cc%25\\r\\n");
        assert_eq!(data("50%"), "50%25");
    }
}
