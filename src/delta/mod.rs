//! The pull-request delta: what a change does to the judgement, the base revision's judgement
//! against the working tree's. Findings are matched by their content fingerprint (stable when
//! lines move), differences by service and aspect.

use crate::hash::HashMap;
use std::collections::BTreeSet;

use crate::check::Analysis;
use crate::compare::{Comparison, Status};
use crate::rules::Finding;

/// One side of the delta: a judgement and the comparison it was made on.
pub struct Side<'a> {
    pub analysis: &'a Analysis,
    pub comparison: &'a Comparison,
}

/// A difference between environments: a service's aspect (or an environment-wide setting,
/// with no service) that is not the same everywhere.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub service: Option<String>,
    pub aspect: String,
}

/// A component's score before and after (`None` where it has no item).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreChange {
    pub name: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// What the change does.
#[derive(Debug, Clone)]
pub struct Delta {
    /// The revision compared with, as the user named it, and its commit.
    pub base: String,
    /// Findings now that the base did not have, and the base's that are gone.
    pub added: Vec<Finding>,
    pub removed: Vec<Finding>,
    pub score_before: f64,
    pub score_after: f64,
    /// The score's categories and services, in the working tree's order, then those only
    /// the base had.
    pub components: Vec<ScoreChange>,
    pub introduced: Vec<Difference>,
    pub closed: Vec<Difference>,
}

impl Delta {
    /// New findings that fail the gate on their own (`--fail-on-new`).
    pub fn failing_added<'a>(&'a self, head: &'a Analysis) -> impl Iterator<Item = &'a Finding> {
        let failing: BTreeSet<String> = head.failing().map(Finding::fingerprint).collect();
        self.added
            .iter()
            .filter(move |f| failing.contains(&f.fingerprint()))
    }
}

pub fn delta(base_name: &str, base: &Side, head: &Side) -> Delta {
    let (added, removed) = findings_delta(&base.analysis.findings, &head.analysis.findings);
    let before = differences(base.comparison);
    let after = differences(head.comparison);
    Delta {
        base: base_name.to_string(),
        added,
        removed,
        score_before: base.analysis.score.overall,
        score_after: head.analysis.score.overall,
        components: components(base.analysis, head.analysis),
        introduced: after.difference(&before).cloned().collect(),
        closed: before.difference(&after).cloned().collect(),
    }
}

/// Findings of `head` not in `base`, and of `base` not in `head`, by fingerprint; the same
/// fingerprint twice on one side needs two on the other.
fn findings_delta(base: &[Finding], head: &[Finding]) -> (Vec<Finding>, Vec<Finding>) {
    let only_in = |these: &[Finding], others: &[Finding]| {
        let mut left: HashMap<String, usize> = HashMap::default();
        for f in others {
            *left.entry(f.fingerprint()).or_default() += 1;
        }
        these
            .iter()
            .filter(|f| match left.get_mut(&f.fingerprint()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    (only_in(head, base), only_in(base, head))
}

fn differences(c: &Comparison) -> BTreeSet<Difference> {
    let services = c.services.iter().flat_map(|s| {
        s.rows
            .iter()
            .filter(|r| r.status != Status::Same)
            .map(|r| Difference {
                service: Some(s.name.clone()),
                aspect: r.aspect.id().to_string(),
            })
    });
    let environment = c
        .environment_rows
        .iter()
        .filter(|r| r.status != Status::Same)
        .map(|r| Difference {
            service: None,
            aspect: r.aspect.id().to_string(),
        });
    services.chain(environment).collect()
}

fn components(base: &Analysis, head: &Analysis) -> Vec<ScoreChange> {
    let all = |a: &Analysis| {
        a.score
            .categories
            .iter()
            .chain(&a.score.services)
            .map(|c| (c.name.clone(), c.score))
            .collect::<Vec<_>>()
    };
    let (before, after) = (all(base), all(head));
    let find =
        |list: &[(String, f64)], name: &str| list.iter().find(|(n, _)| n == name).map(|(_, s)| *s);
    let mut out: Vec<ScoreChange> = after
        .iter()
        .map(|(name, s)| ScoreChange {
            name: name.clone(),
            before: find(&before, name),
            after: Some(*s),
        })
        .collect();
    out.extend(
        before
            .iter()
            .filter(|(name, _)| find(&after, name).is_none())
            .map(|(name, s)| ScoreChange {
                name: name.clone(),
                before: Some(*s),
                after: None,
            }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Severity;

    fn finding(rule: &'static str, setting: &str, line: u32) -> Finding {
        Finding {
            rule,
            name: "x",
            severity: Severity::Error,
            environment: Some("production".into()),
            service: Some("web".into()),
            setting: Some(setting.into()),
            file: Some("compose.yml".into()),
            line: Some(line),
            related: Vec::new(),
            message: format!("`{setting}` is wrong"),
            waived: None,
            baselined: false,
            value: None,
        }
    }

    #[test]
    fn findings_match_by_content_not_by_line() {
        let base = [
            finding("EP005", "env.DEBUG", 4),
            finding("EP006", "image", 2),
        ];
        let head = [
            finding("EP005", "env.DEBUG", 9),
            finding("EP002", "env.TOKEN", 5),
        ];
        let (added, removed) = findings_delta(&base, &head);
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].rule, "EP002");
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].rule, "EP006");
    }

    #[test]
    fn a_finding_twice_needs_two_on_the_other_side() {
        let one = [finding("EP006", "image", 2)];
        let two = [finding("EP006", "image", 2), finding("EP006", "image", 7)];
        let (added, removed) = findings_delta(&one, &two);
        assert_eq!((added.len(), removed.len()), (1, 0));
    }
}
