//! The hazard rule catalog. One rule per file, each with a stable ID, a kebab-case name, a
//! default severity, the doc `envparity explain ID` prints, a check, and its own tests.
//!
//! Rules read the model (per environment, as declared), the comparison and the verdicts; they
//! never see a secret in clear (only masked values, fingerprints and weakness flags).

mod ep001_cross_environment_reference;
mod ep002_plaintext_secret;
mod ep003_weak_or_default_secret;
mod ep004_secret_reused_across_environments;
mod ep005_debug_in_production;
mod ep006_mutable_image_tag;
mod ep007_missing_resource_limits;
mod ep008_missing_health_check;
mod ep009_inverted_sizing;
mod ep010_version_drift;
mod ep011_missing_in_environment;
mod ep012_image_drift;
mod ep013_insecure_transport;
mod ep014_shared_state_between_environments;
mod ep015_expired_waiver;
mod ep016_must_match_difference;
mod ep017_incomplete_environment;
mod ep018_dangling_reference;
mod ep019_connection_budget_exceeded;
mod ep020_server_memory_over_limit;
mod ep021_capacity_inverted;
mod ep022_declared_vs_running;
pub(crate) mod ep023_ineffective_intention;
pub mod fingerprint;
#[cfg(test)]
mod testing;

pub(crate) use ep005_debug_in_production::{DEBUG_FLAGS, MODE_KEYS};
pub(crate) use ep006_mutable_image_tag::is_mutable;
pub(crate) use ep010_version_drift::major;
pub(crate) use ep013_insecure_transport::{HSTS, MUST_BE_ON};

use serde::Serialize;

use crate::align::AlignedService;
use crate::compare::Comparison;
use crate::model::{Origin, Scan, Service, Setting};
use crate::policy::{Date, Policy, RuleSetting, Severity};
use crate::verdict::Verdicts;

/// A rule's identity and documentation.
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// What it finds, why it matters, how to fix it, an example (Markdown).
    pub doc: &'static str,
    pub check: fn(&Context, &mut Vec<Finding>),
}

/// The catalog, in ID order.
pub static RULES: &[&Rule] = &[
    &ep001_cross_environment_reference::RULE,
    &ep002_plaintext_secret::RULE,
    &ep003_weak_or_default_secret::RULE,
    &ep004_secret_reused_across_environments::RULE,
    &ep005_debug_in_production::RULE,
    &ep006_mutable_image_tag::RULE,
    &ep007_missing_resource_limits::RULE,
    &ep008_missing_health_check::RULE,
    &ep009_inverted_sizing::RULE,
    &ep010_version_drift::RULE,
    &ep011_missing_in_environment::RULE,
    &ep012_image_drift::RULE,
    &ep013_insecure_transport::RULE,
    &ep014_shared_state_between_environments::RULE,
    &ep015_expired_waiver::RULE,
    &ep016_must_match_difference::RULE,
    &ep017_incomplete_environment::RULE,
    &ep018_dangling_reference::RULE,
    &ep019_connection_budget_exceeded::RULE,
    &ep020_server_memory_over_limit::RULE,
    &ep021_capacity_inverted::RULE,
    &ep022_declared_vs_running::RULE,
    &ep023_ineffective_intention::RULE,
];

/// GitHub code scanning's `security-severity` (0.1-10; 7 and above shows as high) of the
/// error-level rules about security: a leaked, weak or shared credential, production reaching
/// another environment's data, debug or plaintext transport in production. Other rules have none.
pub fn security_severity(id: &str) -> Option<&'static str> {
    Some(match id {
        "EP001" => "7.5",
        "EP002" => "8.0",
        "EP003" => "8.5",
        "EP004" => "7.0",
        "EP005" => "6.5",
        "EP013" => "6.0",
        "EP014" => "7.0",
        _ => return None,
    })
}

/// Rule IDs, for validating the policy file.
pub fn ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id).collect()
}

/// A rule by ID (`EP001`) or name (`cross-environment-reference`), case-insensitive.
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name.eq_ignore_ascii_case(id_or_name))
}

/// Another place a finding concerns (the other side of a comparison).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub environment: String,
    pub file: String,
    pub line: u32,
}

/// One finding. Never holds a secret value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub environment: Option<String>,
    pub service: Option<String>,
    pub setting: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub related: Vec<Related>,
    pub message: String,
    /// The waiver's reason when a waiver covers this finding.
    pub waived: Option<String>,
    /// Recorded in the baseline `check --baseline` was given: shown, not counted by the gate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub baselined: bool,
    /// The value of the setting the finding is about, as it may be shown (masked for a
    /// secret): part of the fingerprint, so that a changed value is a new finding even when
    /// the message does not state it (`DEBUG` is on: `true`, then `1`).
    #[serde(skip)]
    pub value: Option<String>,
}

impl Finding {
    pub fn new(rule: &Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.id,
            name: rule.name,
            severity: rule.severity,
            environment: None,
            service: None,
            setting: None,
            file: None,
            line: None,
            related: Vec::new(),
            message: message.into(),
            waived: None,
            baselined: false,
            value: None,
        }
    }

    /// The content fingerprint (see [`fingerprint`]): stable when lines move.
    pub fn fingerprint(&self) -> String {
        fingerprint::fingerprint(self)
    }

    pub fn env(mut self, env: &str) -> Self {
        self.environment = Some(env.to_string());
        self
    }

    pub fn service(mut self, service: &str) -> Self {
        self.service = Some(service.to_string());
        self
    }

    /// The service, when the finding is about one (environment-wide settings have none).
    pub fn in_service(mut self, service: Option<&str>) -> Self {
        self.service = service.map(str::to_string);
        self
    }

    pub fn setting(mut self, key: &str) -> Self {
        self.setting = Some(key.to_string());
        self
    }

    /// On a setting as `Context::settings` yields it: environment, service (if any), key and the
    /// place it was written.
    pub fn on_setting(
        self,
        env: &str,
        service: Option<&str>,
        key: &str,
        setting: &Setting,
    ) -> Self {
        let mut f = self
            .env(env)
            .setting(key)
            .at(&setting.origin)
            .in_service(service);
        f.value = Some(setting.value.display().to_string());
        f
    }

    pub fn at(mut self, origin: &Origin) -> Self {
        self.file = Some(origin.file.to_string());
        self.line = Some(origin.line);
        self
    }

    pub fn related(mut self, env: &str, origin: &Origin) -> Self {
        self.related.push(Related {
            environment: env.to_string(),
            file: origin.file.to_string(),
            line: origin.line,
        });
        self
    }
}

/// What rules read.
pub struct Context<'a> {
    pub scan: &'a Scan,
    pub comparison: &'a Comparison,
    pub aligned: &'a [AlignedService],
    pub verdicts: &'a Verdicts,
    pub policy: &'a Policy,
    pub today: Date,
    /// The running servers, when `envparity live` targets were given.
    pub live: Option<&'a crate::live::LiveComparison>,
    /// Per environment, per declared service index: the logical (aligned) name.
    logical: Vec<Vec<String>>,
}

impl<'a> Context<'a> {
    pub fn new(
        scan: &'a Scan,
        comparison: &'a Comparison,
        aligned: &'a [AlignedService],
        verdicts: &'a Verdicts,
        policy: &'a Policy,
        today: Date,
    ) -> Self {
        let mut logical: Vec<Vec<String>> = scan
            .environments
            .iter()
            .map(|e| e.services.iter().map(|s| s.name.clone()).collect())
            .collect();
        for a in aligned {
            for (e, members) in a.members.iter().enumerate() {
                for &i in members {
                    logical[e][i] = a.name.clone();
                }
            }
        }
        Context {
            scan,
            comparison,
            aligned,
            verdicts,
            policy,
            today,
            live: None,
            logical,
        }
    }

    /// With the running servers read (`envparity live`).
    pub fn with_live(mut self, live: Option<&'a crate::live::LiveComparison>) -> Self {
        self.live = live;
        self
    }

    /// Whether the environment has a gap in service `service` (declared or logical name).
    pub fn has_gap(&self, env: usize, service: &str) -> bool {
        let Some(environment) = self.scan.environments.get(env) else {
            return false;
        };
        environment.gaps.iter().any(|g| {
            g.services.iter().any(|declared| {
                declared == service
                    || environment
                        .services
                        .iter()
                        .position(|s| s.name == *declared)
                        .is_some_and(|i| self.logical[env][i] == service)
            })
        })
    }

    /// The logical (aligned) name of a declared service in environment `env`.
    pub fn logical_name<'s>(&'s self, env: usize, declared: &'s str) -> &'s str {
        self.scan.environments[env]
            .services
            .iter()
            .position(|s| s.name == declared)
            .map_or(declared, |i| self.logical[env][i].as_str())
    }

    pub fn env_names(&self) -> &[String] {
        &self.comparison.environments
    }

    pub fn is_production_like(&self, env: usize) -> bool {
        self.policy.is_production_like(
            &self.comparison.environments[env],
            &self.comparison.environments,
        )
    }

    /// Every declared service: (environment index, logical name, service).
    pub fn services(&self) -> impl Iterator<Item = (usize, &str, &'a Service)> + '_ {
        self.scan
            .environments
            .iter()
            .enumerate()
            .flat_map(move |(e, env)| {
                env.services
                    .iter()
                    .enumerate()
                    .map(move |(i, s)| (e, self.logical[e][i].as_str(), s))
            })
    }

    /// Every map of settings: each declared service's, under its logical name, then each
    /// environment's own (`None`), as (environment index, service, settings).
    pub fn scopes(&self) -> impl Iterator<Item = (usize, Option<&str>, &'a SettingsMap)> + '_ {
        let services = self
            .services()
            .map(|(e, name, s)| (e, Some(name), &*s.settings));
        let environments = self.scan.environments.iter().enumerate();
        services.chain(environments.map(|(e, env)| (e, None, &env.settings)))
    }

    /// Every setting: (environment index, logical service name or `None` for environment-wide,
    /// key, setting).
    pub fn settings(
        &self,
    ) -> impl Iterator<Item = (usize, Option<&str>, &'a str, &'a Setting)> + '_ {
        self.settings_in_scope()
            .map(|(e, service, key, setting, _)| (e, service, key, setting))
    }

    /// Every setting as [`Context::settings`] yields it, with the settings beside it: its
    /// service's, or its environment's for an environment-wide one.
    pub fn settings_in_scope(
        &self,
    ) -> impl Iterator<Item = (usize, Option<&str>, &'a str, &'a Setting, &'a SettingsMap)> + '_
    {
        self.scopes().flat_map(|(e, service, settings)| {
            settings
                .iter()
                .map(move |(k, v)| (e, service, k.as_str(), v, settings))
        })
    }
}

/// One service's settings (under its logical name) or, with no service, one environment's.
pub type SettingsMap = std::collections::BTreeMap<String, Setting>;

/// A map of settings as [`Context::scopes`] yields it: (environment index, service, settings).
pub type Scope<'a> = (usize, Option<&'a str>, &'a SettingsMap);

/// A developer's environment (`local`, `development`, `test`): what runs there runs on a
/// laptop or a CI runner.
pub(crate) fn is_developer_environment(env: &str) -> bool {
    matches!(
        crate::discover::slot_environment(env),
        "local" | "development" | "test"
    )
}

/// A credential of a developer's environment for a service reached on loopback
/// (`spring.datasource.url: jdbc:mysql://localhost/app` beside its password): a laptop's
/// credential, not a secret of anything deployed.
pub(crate) fn laptop_credential(
    env: &str,
    key: &str,
    setting: &Setting,
    scope: &std::collections::BTreeMap<String, Setting>,
) -> bool {
    is_developer_environment(env)
        && crate::model::secret::reached_on_loopback(key, setting.display(), scope)
}

/// Run every enabled rule, apply severity overrides and waivers, sort deterministically.
pub fn run(ctx: &Context) -> Vec<Finding> {
    use rayon::prelude::*;
    // Rules are independent: they run on every core, and their findings are taken in catalog
    // order (then sorted), so the result never depends on scheduling.
    let per_rule: Vec<Vec<Finding>> = RULES
        .par_iter()
        .map(|rule| {
            let setting = ctx.policy.rules.get(rule.id).copied();
            let mut found = Vec::new();
            if setting == Some(RuleSetting::Off) {
                return found;
            }
            (rule.check)(ctx, &mut found);
            if let Some(RuleSetting::Severity(sev)) = setting {
                for f in &mut found {
                    f.severity = sev;
                }
            }
            found
        })
        .collect();
    let mut findings: Vec<Finding> = per_rule.into_iter().flatten().collect();
    findings.extend(stale_waivers(ctx, &findings));
    for f in &mut findings {
        if let Some(w) = ctx.policy.waivers.iter().find(|w| waives(w, f, ctx.today)) {
            f.waived = Some(w.reason.clone());
        }
    }
    sort(&mut findings);
    findings
}

/// EP023's waivers that cover none of the findings, as the policy's `[rules]` sets it.
fn stale_waivers(ctx: &Context, findings: &[Finding]) -> Vec<Finding> {
    let rule = &ep023_ineffective_intention::RULE;
    let setting = ctx.policy.rules.get(rule.id).copied();
    if setting == Some(RuleSetting::Off) {
        return Vec::new();
    }
    let mut stale = ep023_ineffective_intention::stale_waivers(ctx, findings);
    if let Some(RuleSetting::Severity(sev)) = setting {
        for f in &mut stale {
            f.severity = sev;
        }
    }
    stale
}

/// The findings' one order: severity first, then rule, place and message; duplicates dropped.
pub fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (
            b.severity,
            a.rule,
            &a.environment,
            &a.service,
            &a.setting,
            &a.file,
            a.line,
            &a.message,
        )
            .cmp(&(
                a.severity,
                b.rule,
                &b.environment,
                &b.service,
                &b.setting,
                &b.file,
                b.line,
                &b.message,
            ))
    });
    findings.dedup();
}

/// Whether a waiver (not yet expired) covers a finding.
fn waives(w: &crate::policy::Waiver, f: &Finding, today: Date) -> bool {
    let opt = |p: &Option<crate::policy::Pattern>, v: &Option<String>| match p {
        None => true,
        Some(p) => v.as_deref().is_some_and(|v| p.matches(v)),
    };
    w.rule == f.rule
        && w.expires >= today
        && w.environment.as_ref().is_none_or(|e| {
            f.environment
                .as_deref()
                .is_some_and(|found| crate::discover::covers_environment(e, found))
        })
        && opt(&w.service, &f.service)
        && opt(&w.setting, &f.setting)
        && opt(&w.file, &f.file)
}

/// Where a value was found: (environment index, service or `None`, setting key, origin).
pub(crate) type Place<'a> = (usize, Option<&'a str>, &'a str, &'a Origin);

/// For a value found in several places, one finding per environment other than the first
/// place's, pointing back at that first place (`describe` gives the message from the key, this
/// environment and the first one). Places all in one environment report nothing.
pub(crate) fn report_shared(
    rule: &Rule,
    places: &[Place],
    envs: &[String],
    describe: impl Fn(&str, &str, &str) -> String,
    out: &mut Vec<Finding>,
) {
    let Some(&(e0, _, _, o0)) = places.first() else {
        return;
    };
    let mut reported = vec![e0];
    for &(e, service, key, origin) in places {
        if reported.contains(&e) {
            continue;
        }
        reported.push(e);
        out.push(
            Finding::new(
                rule,
                format!("{} ({o0})", describe(key, &envs[e], &envs[e0])),
            )
            .env(&envs[e])
            .setting(key)
            .at(origin)
            .related(&envs[e0], o0)
            .in_service(service),
        );
    }
}

/// Findings that count against the gate: not waived, not baselined, at or above `fail_on`;
/// gaps (EP017) by
/// `fail_on_incomplete` instead (see `Policy::fail_on_incomplete`).
pub fn failing(
    findings: &[Finding],
    fail_on: Severity,
    incomplete: Option<bool>,
) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(move |f| {
        f.waived.is_none()
            && !f.baselined
            && if f.rule == ep017_incomplete_environment::RULE.id {
                incomplete.unwrap_or(f.severity == Severity::Error)
            } else {
                f.severity >= fail_on
            }
    })
}

/// Whole lower-case words of a value: `postgres://db-staging:5432` -> postgres, db, staging, 5432.
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

/// The last segment of a setting key, upper-cased: `env.DEBUG` -> `DEBUG`.
pub(crate) fn key_name(key: &str) -> String {
    key.rsplit('.').next().unwrap_or(key).to_ascii_uppercase()
}

/// Whether a setting was read from a committed sample or template (`.env.prod-sample`,
/// `config/production.sample.json`) standing in for a gitignored file: its secrets are
/// placeholders by design, not secrets written in the repository.
pub(crate) fn from_sample(setting: &Setting) -> bool {
    crate::model::is_sample_file(&setting.origin.file)
}

/// Truthy as configuration writes it.
pub(crate) fn is_truthy(v: &str) -> bool {
    is_one_of(v, &["1", "true", "yes", "on", "y"])
}

/// Falsy as configuration writes it.
pub(crate) fn is_falsy(v: &str) -> bool {
    is_one_of(v, &["0", "false", "no", "off", "n"])
}

/// `v`, trimmed, is one of `words` in any case (without a lower-cased copy: asked per setting).
fn is_one_of(v: &str, words: &[&str]) -> bool {
    let v = v.trim();
    words.iter().any(|w| v.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_complete_ordered_and_documented() {
        for pair in RULES.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} before {}",
                pair[0].id,
                pair[1].id
            );
        }
        for r in RULES {
            assert!(
                r.id.len() == 5
                    && r.id.starts_with("EP")
                    && r.id[2..].chars().all(|c| c.is_ascii_digit()),
                "{}",
                r.id
            );
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.name
            );
            for section in [
                "## What it finds",
                "## Why it matters",
                "## How to fix",
                "## Example",
            ] {
                assert!(r.doc.contains(section), "{} doc lacks {section}", r.id);
            }
        }
        assert_eq!(find("ep001").unwrap().name, "cross-environment-reference");
        assert_eq!(find("mutable-image-tag").unwrap().id, "EP006");
        assert!(find("EP999").is_none());
    }
}
