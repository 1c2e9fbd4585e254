//! The judgement over a comparison: verdicts, findings, score, and the CI gate.

use serde::Serialize;

use crate::align::{align, AlignedService};
use crate::compare::{compare, Comparison};
use crate::live::LiveComparison;
use crate::model::Scan;
use crate::policy::{Date, Policy, Severity};
use crate::rules::{self, Context, Finding};
use crate::score::{self, Score};
use crate::verdict::{self, Verdicts};

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub verdicts: Verdicts,
    pub findings: Vec<Finding>,
    pub score: Score,
    pub fail_on: Severity,
    /// See `Policy::fail_on_incomplete`.
    pub fail_on_incomplete: Option<bool>,
    /// The policy file read, if any.
    pub policy_file: Option<String>,
    /// Whether the gate passes: nothing unwaived at or above `fail_on`, and the score reaches
    /// `min_score`.
    pub passed: bool,
    /// Per environment: the monthly cost, item by item (docs/capacity-and-cost.md).
    pub cost: crate::cost::Cost,
    /// What `check --baseline FILE` found (see `baseline::apply`).
    pub baseline: Option<crate::baseline::Outcome>,
}

impl Analysis {
    /// Findings that fail the gate.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        rules::failing(&self.findings, self.fail_on, self.fail_on_incomplete)
    }
}

pub fn analyse(
    scan: &Scan,
    aligned: &[AlignedService],
    comparison: &Comparison,
    policy: &Policy,
    today: Date,
) -> Analysis {
    analyse_with_live(scan, aligned, comparison, policy, today, None)
}

/// `analyse`, with the running servers read by `envparity live` (`--pg`, `--redis`,
/// `[live]`): their declared-vs-running findings (EP022) and their score items.
pub fn analyse_with_live(
    scan: &Scan,
    aligned: &[AlignedService],
    comparison: &Comparison,
    policy: &Policy,
    today: Date,
    live: Option<&LiveComparison>,
) -> Analysis {
    let verdicts = verdict::classify(comparison, policy);
    let findings = rules::run(
        &Context::new(scan, comparison, aligned, &verdicts, policy, today).with_live(live),
    );
    let mut score = score::score(comparison, &verdicts, policy.min_score);
    if let Some(live) = live {
        let envs = &comparison.environments;
        score::add_live(&mut score, &live.score_items(envs), envs.len());
    }
    let passed = rules::failing(&findings, policy.fail_on, policy.fail_on_incomplete)
        .next()
        .is_none()
        && score.overall >= policy.min_score;
    Analysis {
        verdicts,
        findings,
        score,
        fail_on: policy.fail_on,
        fail_on_incomplete: policy.fail_on_incomplete,
        policy_file: policy.file.clone(),
        passed,
        cost: crate::cost::cost(scan, &comparison.environments, comparison.reference, policy),
        baseline: None,
    }
}

/// A scan judged: aligned, compared, and analysed under the policy.
pub struct Judged {
    pub aligned: Vec<AlignedService>,
    pub comparison: Comparison,
    pub analysis: Analysis,
}

/// The whole judgement of a scan, for callers that build a scan of their own (the promotion
/// simulation) and need what `envparity check` would say of it.
pub fn judge(scan: &Scan, policy: &Policy, today: Date) -> Judged {
    let aligned = align(scan);
    let comparison = compare(scan, &aligned);
    let analysis = analyse(scan, &aligned, &comparison, policy, today);
    Judged {
        aligned,
        comparison,
        analysis,
    }
}
