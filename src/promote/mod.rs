//! `envparity promote`: what the target environment (production) becomes when the source
//! environment's (staging's) images and versions are promoted into it, and the checklist to go
//! through before doing so.
//!
//! The promotion is simulated, not guessed: the target's images and version settings are
//! replaced by the source's (`simulate`), the whole judgement (align, compare, verdicts, rules)
//! runs again on that scan, and its findings are compared with today's (`findings`). This module
//! computes; `report::promote` renders.

mod checklist;
mod expects;
mod findings;
mod simulate;

use serde::Serialize;

pub use checklist::{Checklist, Evidence, Item, ItemStatus, Section};
pub use expects::{ExpectedSetting, MustMatchBreak, SourceOnlyService};
pub use simulate::{is_version_key, Change, ChangeKind};

use crate::check::{self, Analysis};
use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::model::Scan;
use crate::policy::{Date, Policy, Severity};
use crate::rules::Finding;

/// Everything `envparity promote` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Promotion {
    /// The environment promoted from, and the one promoted to.
    pub from: String,
    pub to: String,
    /// The files read for each.
    pub from_files: Vec<String>,
    pub to_files: Vec<String>,
    /// Images and version settings that change in the target, old -> new.
    pub changes: Vec<Change>,
    /// Settings the source sets that the target lacks.
    pub expected: Vec<ExpectedSetting>,
    /// Services the source runs that the target does not (not promoted: there is nothing in the
    /// target to change).
    pub source_only_services: Vec<SourceOnlyService>,
    /// `[[must_match]]` items the two would still disagree on after the promotion.
    pub must_match: Vec<MustMatchBreak>,
    /// Findings the promoted target would have that it has not today, and findings it would lose.
    pub introduced: Vec<Finding>,
    pub cleared: Vec<Finding>,
    pub checklist: Checklist,
}

impl Promotion {
    /// Why the promotion should not go ahead: an unwaived error-level finding it introduces, or
    /// a must-match item that would differ. Empty when nothing blocks it.
    pub fn blockers(&self) -> Vec<String> {
        let mut out = Vec::new();
        let errors = self
            .introduced
            .iter()
            .filter(|f| f.severity == Severity::Error && f.waived.is_none())
            .count();
        if errors > 0 {
            out.push(format!(
                "it introduces {errors} error-level finding{}",
                if errors == 1 { "" } else { "s" }
            ));
        }
        let n = self.must_match.len();
        if n > 0 {
            out.push(format!(
                "{n} must-match item{} would differ",
                if n == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// The source and target environments by name: given, or by default the environment just below
/// the reference (the highest) and the reference. An unknown name is an error listing the
/// known ones.
pub fn resolve(
    environments: &[String],
    reference: usize,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(usize, usize)> {
    let known = || {
        environments
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let find = |name: &str, flag: &str| {
        let canonical = crate::discover::canonical_env_name(name);
        environments
            .iter()
            .position(|e| *e == canonical || e == name)
            .ok_or_else(|| {
                Error::msg(format!(
                    "{flag} `{name}`: no such environment; the environments found are {}",
                    known()
                ))
            })
    };
    let to = match to {
        Some(name) => find(name, "--to")?,
        None => reference,
    };
    let from = match from {
        Some(name) => find(name, "--from")?,
        None if environments.is_empty() => {
            return Err(Error::msg(
                "promote needs two environments, and none was found; state them with --env NAME=FILE",
            ))
        }
        None if environments.len() < 2 => {
            return Err(Error::msg(format!(
                "promote needs two environments, and only {} was found; state them with --env NAME=FILE",
                known()
            )))
        }
        None if to == 0 => {
            return Err(Error::msg(format!(
                "--to `{}` is the lowest environment, so there is none below it to promote from; name one with --from (the environments found are {})",
                environments[to],
                known()
            )))
        }
        None => to - 1,
    };
    if from == to {
        return Err(Error::msg(format!(
            "--from and --to are both `{}`; the environments found are {}",
            environments[from],
            known()
        )));
    }
    Ok((from, to))
}

/// What the pipeline computed of the scan as it is today.
pub struct Today<'a> {
    pub scan: &'a Scan,
    pub comparison: &'a Comparison,
    pub analysis: &'a Analysis,
    pub policy: &'a Policy,
    pub date: Date,
    /// Waives what the repository's inline suppressions waive (`# envparity: ignore ...`),
    /// as the pipeline did for today's findings, so the simulated judgement agrees with it.
    pub waive: &'a dyn Fn(&mut Vec<crate::rules::Finding>),
}

/// Simulate promoting `from` into `to` over a scan already judged, and build the checklist.
pub fn promote(today: &Today, from: usize, to: usize) -> Promotion {
    let (scan, policy) = (today.scan, today.policy);
    let aligned = crate::align::align(scan);
    let (simulated, changes) = simulate::simulate(scan, &aligned, from, to);
    let mut after = check::judge(&simulated, policy, today.date);
    (today.waive)(&mut after.analysis.findings);
    crate::baseline::regate(&mut after.analysis);
    let (introduced, cleared) = findings::diff(&today.analysis.findings, &after.analysis.findings);
    let verdicts = &today.analysis.verdicts;
    let expected = expects::expected_settings(today.comparison, verdicts, from, to);
    let must_match = expects::must_match_breaks(
        &simulated,
        &after.comparison,
        &after.analysis.verdicts,
        from,
        to,
    );
    let checklist = checklist::checklist(&checklist::Inputs {
        scan: &simulated,
        judged: &after,
        policy,
        today: today.date,
        from,
        to,
        expected: &expected,
        must_match: &must_match,
        introduced: &introduced,
    });
    Promotion {
        from: scan.environments[from].name.clone(),
        to: scan.environments[to].name.clone(),
        from_files: scan.environments[from].files.clone(),
        to_files: scan.environments[to].files.clone(),
        changes,
        source_only_services: expects::source_only_services(today.comparison, verdicts, from, to),
        expected,
        must_match,
        introduced,
        cleared,
        checklist,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envs(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn default_pair_is_the_one_below_the_reference_and_the_reference() {
        let three = envs(&["development", "staging", "production"]);
        assert_eq!(resolve(&three, 2, None, None).unwrap(), (1, 2));
        assert_eq!(resolve(&three, 2, None, Some("staging")).unwrap(), (0, 1));
        assert_eq!(
            resolve(&three, 2, Some("dev"), Some("prod")).unwrap(),
            (0, 2),
            "names are canonicalised as discovery does"
        );
    }

    #[test]
    fn bad_pairs_name_the_known_environments() {
        let two = envs(&["staging", "production"]);
        let e = resolve(&two, 1, Some("qa"), None).unwrap_err();
        assert_eq!(
            e.message,
            "--from `qa`: no such environment; the environments found are `staging`, `production`"
        );
        let e = resolve(&two, 1, None, Some("staging")).unwrap_err();
        assert!(e.message.contains("lowest environment"), "{e}");
        let e = resolve(&two, 1, Some("production"), None).unwrap_err();
        assert!(e.message.contains("both `production`"), "{e}");
        let e = resolve(&envs(&["production"]), 0, None, None).unwrap_err();
        assert!(e.message.contains("needs two environments"), "{e}");
    }
}
