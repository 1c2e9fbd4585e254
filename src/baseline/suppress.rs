//! Inline suppressions: `# envparity: ignore EP006 <reason>` (or `// envparity: ignore ...` in
//! JSON with comments and HCL), on a finding's own line or on a comment line just above it.
//!
//! The comment is read from the file the finding points at, through the workspace's bounded,
//! budgeted reader; a suppressed finding is waived with the comment's reason, as a
//! `[[waiver]]` would waive it. A suppression without a reason, or naming an unknown rule,
//! suppresses nothing and is itself reported (EP023).

use std::collections::BTreeMap;

use crate::policy::{Policy, RuleSetting};
use crate::rules::{self, Finding};
use crate::sources::Workspace;

/// One `envparity: ignore` comment, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Rule IDs as written (`EP006`, or a rule name), upper- or lower-case.
    pub rules: Vec<String>,
    /// Empty when none was written.
    pub reason: String,
    /// The line holds nothing but the comment (so it may cover the line below).
    pub whole_line: bool,
}

const MARKER: &str = "envparity:";

/// How the waived reason of a finding suppressed inline ends, before `FILE:LINE)`.
const INLINE: &str = " (envparity: ignore at ";

/// Whether a finding's waived reason is an inline suppression's (not a `[[waiver]]`'s).
pub fn is_inline(waived: &str) -> bool {
    waived.contains(INLINE)
}

/// The suppression a line's comment holds, if any.
pub fn parse_line(line: &str) -> Option<Suppression> {
    let (before, comment) = comment_of(line)?;
    let rest = comment.trim_start().strip_prefix(MARKER)?.trim_start();
    let rest = rest.strip_prefix("ignore")?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let (rules, reason) = split_rules(rest.trim_start());
    Some(Suppression {
        rules,
        reason: reason.trim().to_string(),
        whole_line: before.trim().is_empty(),
    })
}

/// The text before the first `#` or `//` that starts an `envparity:` comment, and the comment
/// after the marker.
fn comment_of(line: &str) -> Option<(&str, &str)> {
    let at = line.find(MARKER)?;
    let head = line[..at].trim_end();
    let before = head.strip_suffix("//").or_else(|| head.strip_suffix('#'))?;
    Some((before, &line[at..]))
}

/// `EP006,EP007 reason` -> ([EP006, EP007], "reason"); a space after a comma is allowed.
fn split_rules(text: &str) -> (Vec<String>, &str) {
    let mut rules = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() {
            break;
        }
        rules.push(word.to_string());
        rest = &rest[end..];
        match rest.trim_start().strip_prefix(',') {
            Some(more) => rest = more.trim_start(),
            None => break,
        }
    }
    (rules, rest)
}

/// A suppression read at `file:line`.
#[derive(Debug, PartialEq)]
struct Found {
    line: u32,
    suppression: Suppression,
}

/// Every suppression in a file's text, by line.
fn scan_text(text: &str) -> Vec<Found> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(MARKER))
        .filter_map(|(i, l)| {
            parse_line(l).map(|suppression| Found {
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                suppression,
            })
        })
        .collect()
}

/// Waives each unwaived finding an inline suppression covers, and reports the suppressions
/// that are ignored (EP023). Files that cannot be read again are left alone: they were read
/// for the scan, and a failure now suppresses nothing.
pub fn apply(workspace: &Workspace, policy: &Policy, findings: &mut Vec<Finding>) {
    let mut by_file: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let (Some(file), Some(_)) = (&f.file, f.line) {
            by_file.entry(file.clone()).or_default().push(i);
        }
    }
    let mut ignored = Vec::new();
    for (file, indices) in by_file {
        let Ok(text) = workspace.read_text(&file) else {
            continue;
        };
        let found = scan_text(&text);
        if found.is_empty() {
            continue;
        }
        for s in &found {
            if let Some(why) = why_ignored(&s.suppression) {
                ignored.push(rules::ep023_ineffective_intention::ignored_suppression(
                    &file, s.line, &why,
                ));
            }
        }
        for i in indices {
            let f = &mut findings[i];
            if f.waived.is_some() {
                continue;
            }
            if let Some(s) = covering(&found, f) {
                let reason = &s.suppression.reason;
                f.waived = Some(format!("{reason}{INLINE}{file}:{})", s.line));
            }
        }
    }
    report(policy, ignored, findings);
}

/// The reason of a valid suppression covering the finding: on its line, or a comment line
/// just above.
fn covering<'a>(found: &'a [Found], f: &Finding) -> Option<&'a Found> {
    let line = f.line?;
    found
        .iter()
        .filter(|s| s.line == line || (s.suppression.whole_line && s.line + 1 == line))
        .filter(|s| why_ignored(&s.suppression).is_none())
        .find(|s| {
            s.suppression
                .rules
                .iter()
                .any(|r| rules::find(r).is_some_and(|rule| rule.id == f.rule))
        })
}

/// Why a suppression suppresses nothing, if it does not.
fn why_ignored(s: &Suppression) -> Option<String> {
    if s.rules.is_empty() {
        return Some("names no rule (write `envparity: ignore EP006 <reason>`)".into());
    }
    if let Some(unknown) = s.rules.iter().find(|r| rules::find(r).is_none()) {
        return Some(format!(
            "names `{unknown}`, which is no rule (`envparity explain --list` lists them)"
        ));
    }
    if s.reason.is_empty() {
        return Some(format!(
            "for {} has no reason; a suppression needs one (`envparity: ignore {} <reason>`)",
            s.rules.join(","),
            s.rules.join(",")
        ));
    }
    None
}

/// Adds the EP023 findings about ignored suppressions, as the policy's `[rules]` sets them.
fn report(policy: &Policy, ignored: Vec<Finding>, findings: &mut Vec<Finding>) {
    let id = rules::ep023_ineffective_intention::RULE.id;
    let setting = policy.rules.get(id).copied();
    if ignored.is_empty() || setting == Some(RuleSetting::Off) {
        return;
    }
    for mut f in ignored {
        if let Some(RuleSetting::Severity(sev)) = setting {
            f.severity = sev;
        }
        findings.push(f);
    }
    rules::sort(findings);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(line: &str) -> Option<(Vec<String>, String, bool)> {
        parse_line(line).map(|s| (s.rules, s.reason, s.whole_line))
    }

    #[test]
    fn comments_of_each_syntax_are_read() {
        assert_eq!(
            rules_of("    image: app:latest  # envparity: ignore EP006 pinned by the deploy job"),
            Some((
                vec!["EP006".into()],
                "pinned by the deploy job".into(),
                false
            ))
        );
        assert_eq!(
            rules_of("  // envparity: ignore EP006, ep007 legacy host"),
            Some((
                vec!["EP006".into(), "ep007".into()],
                "legacy host".into(),
                true
            ))
        );
        assert_eq!(
            rules_of("# envparity: ignore EP006,EP007"),
            Some((vec!["EP006".into(), "EP007".into()], String::new(), true))
        );
        assert_eq!(rules_of("image: app # envparity: ignored"), None);
        assert_eq!(rules_of("note: envparity: ignore EP006 x"), None);
        assert_eq!(
            rules_of("# envparity: ignore"),
            Some((vec![], String::new(), true))
        );
    }

    #[test]
    fn a_suppression_without_a_reason_or_with_an_unknown_rule_is_ignored() {
        let why = |l: &str| why_ignored(&parse_line(l).unwrap());
        assert_eq!(why("# envparity: ignore EP006 pinned"), None);
        assert!(why("# envparity: ignore EP006")
            .unwrap()
            .contains("has no reason"));
        assert!(why("# envparity: ignore EP999 x")
            .unwrap()
            .contains("`EP999`"));
        assert!(why("# envparity: ignore")
            .unwrap()
            .contains("names no rule"));
    }

    #[test]
    fn the_line_above_counts_only_when_it_is_a_comment_line() {
        let text =
            "a: 1 # envparity: ignore EP006 one\nb: 2\n# envparity: ignore EP006 two\nc: 3\n";
        let found = scan_text(text);
        let at = |line| {
            let f = Finding::new(rules::find("EP006").unwrap(), "m")
                .at(&crate::model::Origin::new("f", line));
            covering(&found, &f).map(|s| s.suppression.reason.clone())
        };
        assert_eq!(at(1).as_deref(), Some("one"));
        assert_eq!(at(2), None, "a trailing comment covers its own line only");
        assert_eq!(at(4).as_deref(), Some("two"));
        let other =
            Finding::new(rules::find("EP007").unwrap(), "m").at(&crate::model::Origin::new("f", 4));
        assert_eq!(covering(&found, &other), None);
    }
}
