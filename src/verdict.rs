//! Judging each compared item against the policy: the same, an intended difference (with its
//! reason), drift, only in some environments, or a must-match item that differs. Each item also
//! gets the score category it counts in.

use rayon::prelude::*;
use serde::Serialize;

use crate::compare::{
    equivalent, CellValue, Comparison, Difference, Row, ServiceComparison, Status,
};
use crate::discover::is_env_word;
use crate::model::Role;
use crate::policy::{PatternSet, Policy};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Same,
    Intended,
    Drift,
    /// Present in some environments only, not declared intended.
    Missing,
    /// Differs although the policy says it must match.
    MustMatch,
}

impl Kind {
    /// Whether the item counts as in parity.
    pub fn in_parity(self) -> bool {
        matches!(self, Kind::Same | Kind::Intended)
    }
}

/// What a compared item is about, for per-category scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    ImagesAndVersions,
    ConfigurationKeys,
    BackingServices,
    Topology,
    Observability,
    SecuritySettings,
    /// The running servers read by `envparity live` (`--pg`, `--redis`, `[live]`).
    RunningServers,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::ImagesAndVersions,
        Category::ConfigurationKeys,
        Category::BackingServices,
        Category::Topology,
        Category::Observability,
        Category::SecuritySettings,
        Category::RunningServers,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Category::ImagesAndVersions => "Images and versions",
            Category::ConfigurationKeys => "Configuration keys",
            Category::BackingServices => "Backing services",
            Category::Topology => "Topology",
            Category::Observability => "Observability",
            Category::SecuritySettings => "Security settings",
            Category::RunningServers => "Running servers",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub kind: Kind,
    /// Why it is intended, or which must-match entry it breaks.
    pub reason: Option<String>,
    pub category: Category,
    /// Per environment: in parity with the reference environment; `None` where the item does
    /// not exist because its service is absent there.
    pub env_ok: Vec<Option<bool>>,
}

/// Verdicts parallel to a comparison: per service its presence and each row, then the
/// environment-wide rows.
#[derive(Debug, Clone, Serialize)]
pub struct Verdicts {
    pub services: Vec<ServiceVerdicts>,
    pub environment_rows: Vec<Verdict>,
}

impl Verdicts {
    /// The verdict on a difference; `None` for a row of a service that exists in one
    /// environment only (nothing to compare it with).
    pub fn of(&self, d: &Difference) -> Option<&Verdict> {
        match d.position {
            (Some(service), row) => self.services.get(service)?.rows.get(row)?.as_ref(),
            (None, row) => self.environment_rows.get(row),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceVerdicts {
    pub presence: Verdict,
    /// Parallel to the service's rows; `None` for rows with fewer than two environments to
    /// compare (the service exists in one environment only).
    pub rows: Vec<Option<Verdict>>,
}

/// The policy's setting patterns, each list matched in one pass per row (a row is checked
/// against every `[[intended]]` and `[[must_match]]` entry).
struct SettingSets<'p> {
    policy: &'p Policy,
    /// Over the `[[intended]]` entries with a setting, and their indices in `policy.intended`.
    intended: PatternSet,
    intended_at: Vec<usize>,
    must_match: PatternSet,
}

impl<'p> SettingSets<'p> {
    fn new(policy: &'p Policy) -> Self {
        let intended_at: Vec<usize> = (0..policy.intended.len())
            .filter(|&i| policy.intended[i].setting.is_some())
            .collect();
        SettingSets {
            policy,
            // A policy read from a file was checked when read (`policy::parse`).
            intended: PatternSet::new(
                intended_at
                    .iter()
                    .filter_map(|&i| policy.intended[i].setting.as_ref()),
            )
            .unwrap_or_else(|_| PatternSet::empty()),
            intended_at,
            must_match: PatternSet::new(policy.must_match.iter().map(|m| &m.setting))
                .unwrap_or_else(|_| PatternSet::empty()),
        }
    }
}

pub fn classify(c: &Comparison, policy: &Policy) -> Verdicts {
    let sets = SettingSets::new(policy);
    // Services are judged independently: on every core, collected in order.
    let services = c
        .services
        .par_iter()
        .map(|s| classify_service(c, s, &sets))
        .collect();
    let environment_rows = c
        .environment_rows
        .iter()
        .map(|r| {
            let present = vec![true; c.environments.len()];
            classify_row(c, r, None, None, &present, &sets)
        })
        .collect();
    Verdicts {
        services,
        environment_rows,
    }
}

fn classify_service(c: &Comparison, s: &ServiceComparison, sets: &SettingSets) -> ServiceVerdicts {
    let policy = sets.policy;
    let present: Vec<bool> = s.envs.iter().map(Option::is_some).collect();
    let count = present.iter().filter(|p| **p).count();
    let category = if is_backing(s.role) {
        Category::BackingServices
    } else if s.role == Role::Monitoring {
        Category::Observability
    } else {
        Category::Topology
    };
    let presence = if count == present.len() {
        verdict(
            Kind::Same,
            None,
            category,
            present.iter().map(|_| Some(true)).collect(),
        )
    } else {
        let reason = policy
            .intended
            .iter()
            .find(|i| i.setting.is_none() && i.service.as_ref().is_some_and(|p| p.matches(&s.name)))
            .map(|i| i.reason.clone());
        let reference_present = present.get(c.reference).copied().unwrap_or(false);
        let env_ok = present
            .iter()
            .map(|p| Some(*p == reference_present))
            .collect();
        match reason {
            Some(r) => verdict(
                Kind::Intended,
                Some(r),
                category,
                present.iter().map(|_| Some(true)).collect(),
            ),
            None => verdict(Kind::Missing, None, category, env_ok),
        }
    };
    let mut rows: Vec<Option<Verdict>> = s
        .rows
        .iter()
        .map(|r| {
            (count >= 2)
                .then(|| classify_row(c, r, Some(s.name.as_str()), Some(s.role), &present, sets))
        })
        .collect();
    excuse_command_lines(s, &mut rows);
    ServiceVerdicts { presence, rows }
}

/// A `command` or `entrypoint` line that differs only through flags read out of it (they carry
/// the line's own origin) is judged by those flags: when every one of them that differs is in
/// parity (intended scale, say `--workers`), the line is too, so one change is not counted
/// twice. A change outside the flags (another program, another positional argument read as a
/// flag) leaves a flag out of parity, and the line stays drift.
fn excuse_command_lines(s: &ServiceComparison, rows: &mut [Option<Verdict>]) {
    for (i, row) in s.rows.iter().enumerate() {
        let id = row.aspect.id();
        if !matches!(id, "command" | "entrypoint") {
            continue;
        }
        if rows[i].as_ref().is_none_or(|v| v.kind != Kind::Drift) {
            continue;
        }
        let origins: Vec<_> = row.cells.iter().map(|cell| cell.origin.as_ref()).collect();
        let flags: Vec<usize> = s
            .rows
            .iter()
            .enumerate()
            .filter(|(j, r)| {
                *j != i
                    && r.cells
                        .iter()
                        .zip(&origins)
                        .any(|(cell, o)| o.is_some() && cell.origin.as_ref() == *o)
            })
            .map(|(j, _)| j)
            .collect();
        let differing: Vec<&Verdict> = flags
            .iter()
            .filter_map(|j| rows[*j].as_ref())
            .filter(|v| v.kind != Kind::Same)
            .collect();
        if !differing.is_empty() && differing.iter().all(|v| v.kind.in_parity()) {
            if let Some(v) = rows[i].as_mut() {
                v.kind = Kind::Intended;
                v.reason = Some("differs only in flags judged on their own rows".to_string());
                v.env_ok = v.env_ok.iter().map(|ok| ok.map(|_| true)).collect();
            }
        }
    }
}

fn verdict(
    kind: Kind,
    reason: Option<String>,
    category: Category,
    env_ok: Vec<Option<bool>>,
) -> Verdict {
    Verdict {
        kind,
        reason,
        category,
        env_ok,
    }
}

/// Classify one row among the environments where its service exists.
fn classify_row(
    c: &Comparison,
    r: &Row,
    service: Option<&str>,
    role: Option<Role>,
    present: &[bool],
    sets: &SettingSets,
) -> Verdict {
    let id = r.aspect.id();
    let category = category_of(id, role);
    let cells: Vec<(usize, &CellValue)> = r
        .cells
        .iter()
        .enumerate()
        .filter(|(i, _)| present[*i])
        .map(|(i, cell)| (i, &cell.value))
        .collect();
    let values_present = cells
        .iter()
        .filter(|(_, v)| **v != CellValue::Absent)
        .count();
    let all_same = r.status == Status::Same
        || cells.windows(2).all(|w| equivalent(id, w[0].1, w[1].1)) && !has_secret(r);
    let reference = c.reference;
    let ref_value = r.cells.get(reference).map(|cell| &cell.value);
    let env_same_as_ref = |i: usize| -> bool {
        match ref_value {
            Some(v) => {
                equivalent(id, &r.cells[i].value, v) && !(has_secret(r) && r.status != Status::Same)
            }
            None => true,
        }
    };

    let (kind, reason) = if all_same {
        (Kind::Same, None)
    } else {
        judge_difference(c, r, id, service, values_present < cells.len(), sets)
    };
    // The reference environment is in parity with itself.
    let env_ok = (0..r.cells.len())
        .map(|i| present[i].then(|| kind.in_parity() || i == reference || env_same_as_ref(i)))
        .collect();
    verdict(kind, reason, category, env_ok)
}

/// What a row whose values differ is: held to match, intended (by the policy, by design, by
/// the environments' names, as secrets), missing somewhere, or drift.
fn judge_difference(
    c: &Comparison,
    r: &Row,
    id: &str,
    service: Option<&str>,
    missing: bool,
    sets: &SettingSets,
) -> (Kind, Option<String>) {
    let policy = sets.policy;
    let service_matches = |p: &Option<crate::policy::Pattern>| match (p, service) {
        (None, _) => true,
        (Some(p), Some(name)) => p.matches(name),
        (Some(_), None) => false,
    };
    // One fact, one verdict: `env.POSTGRES_MAX_CONNECTIONS` is judged as the
    // `postgres.max_connections` it sets.
    let ids: Vec<String> = std::iter::once(id.to_string())
        .chain(crate::defaults::server_key_of_variable(id))
        .collect();
    // The first entry (in file order) whose setting and service both match; then what sizes a
    // server by design (`postgres.wal_buffers` as `postgres.shared_buffers`).
    let intended = ids
        .iter()
        .find_map(|id| {
            sets.intended
                .matches(id)
                .into_iter()
                .map(|k| &policy.intended[sets.intended_at[k]])
                .find(|i| service_matches(&i.service))
                .map(|i| i.reason.clone())
        })
        .or_else(|| ids.iter().find_map(|id| crate::defaults::sizing_reason(id)));
    let must_match = ids.iter().find_map(|id| {
        sets.must_match
            .matches(id)
            .into_iter()
            .map(|k| &policy.must_match[k])
            .find(|m| service_matches(&m.service))
    });

    if let Some(m) = must_match {
        (Kind::MustMatch, Some(m.reason.clone()))
    } else if let Some(reason) = intended {
        (Kind::Intended, Some(reason))
    } else if missing {
        (Kind::Missing, None)
    } else if has_secret(r) {
        (
            Kind::Intended,
            Some("secrets differ per environment, as they should".to_string()),
        )
    } else if differs_only_by_environment_name(r, &c.environments) {
        (
            Kind::Intended,
            Some("differs only by the environment's name".to_string()),
        )
    } else {
        (Kind::Drift, None)
    }
}

fn has_secret(r: &Row) -> bool {
    r.cells
        .iter()
        .any(|cell| matches!(cell.value, CellValue::Text { secret: true, .. }))
}

/// `portfolio-staging` vs `portfolio`, `https://staging.example.com` vs `https://example.com`,
/// `obcms_staging` vs `obcms_prod`: equal once environment words are removed.
fn differs_only_by_environment_name(r: &Row, environments: &[String]) -> bool {
    let normalized: Vec<Option<String>> = r
        .cells
        .iter()
        .map(|cell| match &cell.value {
            CellValue::Text { text, .. } => Some(without_environment_words(text, environments)),
            _ => None,
        })
        .collect();
    normalized.iter().all(Option::is_some) && normalized.windows(2).all(|w| w[0] == w[1])
}

/// Alphanumeric words of `text`, lower-case, environment words dropped, joined without separators.
pub fn without_environment_words(text: &str, environments: &[String]) -> String {
    // Lowercased once, not word by word: this runs for many pairs of values.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(lower.len());
    for w in lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !(is_env_word(w) || environments.iter().any(|e| e == w)) {
            out.push_str(w);
        }
    }
    out
}

pub fn is_backing(role: Role) -> bool {
    matches!(
        role,
        Role::Database | Role::Pooler | Role::Cache | Role::Queue | Role::Search
    )
}

/// The category an item counts in, from its id and its service's role.
pub fn category_of(id: &str, role: Option<Role>) -> Category {
    thread_local! {
        static KEYS: crate::memo::Memo<KeyCategory> = Default::default();
    }
    // Asked for every row: the answers about the key alone are remembered.
    let key = crate::memo::remember(&KEYS, id, key_category);
    match key {
        KeyCategory::Images => Category::ImagesAndVersions,
        KeyCategory::Security => Category::SecuritySettings,
        _ if key == KeyCategory::Observability || role == Some(Role::Monitoring) => {
            Category::Observability
        }
        KeyCategory::Topology => Category::Topology,
        _ if role.is_some_and(is_backing) => Category::BackingServices,
        _ => Category::ConfigurationKeys,
    }
}

/// What a key alone says of its category, most telling first; the service's role decides the
/// rest ([`category_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyCategory {
    Images,
    Security,
    Observability,
    Topology,
    Other,
}

fn key_category(id: &str) -> KeyCategory {
    let lower = id.to_ascii_lowercase();
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    let has = |words: &[&str]| words.iter().any(|w| last.contains(w));
    if id == "image" {
        return KeyCategory::Images;
    }
    if crate::model::secret::is_secret_key(id)
        || has(&[
            "secure",
            "ssl",
            "tls",
            "hsts",
            "debug",
            "cookie",
            "allowed_hosts",
            "csrf",
            "cors",
            "auth",
        ])
    {
        return KeyCategory::Security;
    }
    if lower.starts_with("healthcheck.")
        || lower.starts_with("logging.")
        || lower.contains("probe")
        || has(&[
            "log_level",
            "loglevel",
            "sentry",
            "metrics",
            "tracing",
            "otel",
        ])
    {
        return KeyCategory::Observability;
    }
    if matches!(
        id,
        "instances" | "optional" | "networks" | "depends_on" | "ports"
    ) || ["volumes.", "networks.", "deploy.", "secrets.", "configs."]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return KeyCategory::Topology;
    }
    KeyCategory::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_words_removed() {
        let envs = vec!["staging".to_string(), "production".to_string()];
        assert_eq!(
            without_environment_words("portfolio-staging", &envs),
            "portfolio"
        );
        assert_eq!(
            without_environment_words("https://staging.domain.com", &envs),
            without_environment_words("https://domain.com", &envs)
        );
        assert_eq!(without_environment_words("obcms_prod", &envs), "obcms");
        assert_ne!(
            without_environment_words("domain.com,www.domain.com", &envs),
            without_environment_words("staging.domain.com", &envs)
        );
    }

    #[test]
    fn categories() {
        assert_eq!(
            category_of("image", Some(Role::Web)),
            Category::ImagesAndVersions
        );
        assert_eq!(
            category_of("env.SECURE_SSL_REDIRECT", Some(Role::Web)),
            Category::SecuritySettings
        );
        assert_eq!(
            category_of("env.DB_PASSWORD", Some(Role::Web)),
            Category::SecuritySettings
        );
        assert_eq!(
            category_of("healthcheck.interval", Some(Role::Web)),
            Category::Observability
        );
        assert_eq!(
            category_of("instances", Some(Role::Web)),
            Category::Topology
        );
        assert_eq!(
            category_of("postgres.work_mem", Some(Role::Database)),
            Category::BackingServices
        );
        assert_eq!(
            category_of("env.FEATURE_X", Some(Role::Web)),
            Category::ConfigurationKeys
        );
        assert_eq!(category_of("networks.x.driver", None), Category::Topology);
        assert_eq!(
            category_of("config.ai.min_match_score", None),
            Category::ConfigurationKeys
        );
    }
}
