//! What the source environment has that the target lacks, and the must-match items the two
//! would still disagree on after the promotion.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compare::{equivalent, Aspect, Cell, CellValue, Comparison, Row, ServiceView};
use crate::model::{Origin, Scan, Setting};
use crate::verdict::{Kind, Verdict, Verdicts};

/// A setting the source environment sets and the target does not: what the promoted version
/// was tested with and will not find.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectedSetting {
    /// The logical service; `None` for an environment-wide setting.
    pub service: Option<String>,
    pub key: String,
    /// The source's value as it may be shown anywhere (a secret is masked).
    pub value: String,
    pub secret: bool,
    /// Where the source environment sets it.
    pub at: Origin,
    /// The policy's reason when the difference is declared intended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intended: Option<String>,
}

/// A service the source environment runs and the target does not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceOnlyService {
    pub service: String,
    pub at: Origin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intended: Option<String>,
}

/// A `[[must_match]]` item on which the two environments still differ once promoted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MustMatchBreak {
    /// The logical service; `None` for an environment-wide setting.
    pub service: Option<String>,
    pub item: String,
    /// The source's and the target's value (masked when secret) and where each is written.
    pub from: Cell,
    pub to: Cell,
    /// The reason the policy gives for the entry.
    pub reason: String,
}

/// Settings set in `from` and absent in `to`, in services both run and environment-wide.
pub fn expected_settings(
    c: &Comparison,
    verdicts: &Verdicts,
    from: usize,
    to: usize,
) -> Vec<ExpectedSetting> {
    let mut out = Vec::new();
    for (s, sv) in c.services.iter().zip(&verdicts.services) {
        let (Some(source), Some(_)) = (&s.envs[from], &s.envs[to]) else {
            continue;
        };
        for (row, v) in s.rows.iter().zip(&sv.rows) {
            if let Some(e) = expected(row, v.as_ref(), Some(source), from, to) {
                out.push(ExpectedSetting {
                    service: Some(s.name.clone()),
                    ..e
                });
            }
        }
    }
    for (row, v) in c.environment_rows.iter().zip(&verdicts.environment_rows) {
        out.extend(expected(row, Some(v), None, from, to));
    }
    out
}

fn expected(
    row: &Row,
    verdict: Option<&Verdict>,
    source: Option<&ServiceView>,
    from: usize,
    to: usize,
) -> Option<ExpectedSetting> {
    let Aspect::Setting(key) = &row.aspect else {
        return None;
    };
    let (have, lack) = (&row.cells[from], &row.cells[to]);
    if have.value == CellValue::Absent || lack.value != CellValue::Absent {
        return None;
    }
    let CellValue::Text { text, secret, .. } = &have.value else {
        return None;
    };
    let at = have
        .origin
        .clone()
        .or_else(|| source.map(|s| s.origin.clone()))?;
    Some(ExpectedSetting {
        service: None,
        key: key.clone(),
        value: text.to_string(),
        secret: *secret,
        at,
        intended: verdict
            .filter(|v| v.kind == Kind::Intended)
            .and_then(|v| v.reason.clone()),
    })
}

/// Services in `from` that `to` does not run.
pub fn source_only_services(
    c: &Comparison,
    verdicts: &Verdicts,
    from: usize,
    to: usize,
) -> Vec<SourceOnlyService> {
    c.services
        .iter()
        .zip(&verdicts.services)
        .filter_map(|(s, v)| {
            let source = s.envs[from].as_ref()?;
            s.envs[to].is_none().then(|| SourceOnlyService {
                service: s.name.clone(),
                at: source.origin.clone(),
                intended: (v.presence.kind == Kind::Intended)
                    .then(|| v.presence.reason.clone())
                    .flatten(),
            })
        })
        .collect()
}

/// Must-match rows (of the simulated comparison) on which `from` and `to` differ. Two masked
/// secrets are compared by their fingerprints, never by their masks.
pub fn must_match_breaks(
    scan: &Scan,
    c: &Comparison,
    verdicts: &Verdicts,
    from: usize,
    to: usize,
) -> Vec<MustMatchBreak> {
    let mut out = Vec::new();
    for (s, sv) in c.services.iter().zip(&verdicts.services) {
        let (Some(a), Some(b)) = (&s.envs[from], &s.envs[to]) else {
            continue;
        };
        for (row, v) in s.rows.iter().zip(&sv.rows) {
            let Some(v) = v.as_ref().filter(|v| v.kind == Kind::MustMatch) else {
                continue;
            };
            if differs(row, (&a.settings, &b.settings), from, to) {
                out.push(breaks(Some(&s.name), row, v, from, to));
            }
        }
    }
    for (row, v) in c.environment_rows.iter().zip(&verdicts.environment_rows) {
        let settings = (
            &scan.environments[from].settings,
            &scan.environments[to].settings,
        );
        if v.kind == Kind::MustMatch && differs(row, settings, from, to) {
            out.push(breaks(None, row, v, from, to));
        }
    }
    out
}

type Settings = BTreeMap<String, Setting>;

fn differs(row: &Row, settings: (&Settings, &Settings), from: usize, to: usize) -> bool {
    let id = row.aspect.id();
    let (a, b) = (&row.cells[from].value, &row.cells[to].value);
    let secret = |v: &CellValue| matches!(v, CellValue::Text { secret: true, .. });
    if secret(a) || secret(b) {
        // The masks are equal; the settings behind them know whether the secrets are.
        return match &row.aspect {
            Aspect::Setting(key) => match (settings.0.get(key), settings.1.get(key)) {
                (Some(x), Some(y)) => !x.value.same_as(&y.value),
                _ => true,
            },
            _ => true,
        };
    }
    !equivalent(id, a, b)
}

fn breaks(service: Option<&str>, row: &Row, v: &Verdict, from: usize, to: usize) -> MustMatchBreak {
    MustMatchBreak {
        service: service.map(str::to_string),
        item: row.aspect.id().to_string(),
        from: row.cells[from].clone(),
        to: row.cells[to].clone(),
        reason: v
            .reason
            .clone()
            .unwrap_or_else(|| "declared must-match".into()),
    }
}
