//! The promotion checklist: the seeds' sections (testing, configuration, infrastructure,
//! deployment), with what envparity can verify ticked or crossed on its evidence, what it
//! cannot verify said so with the reason, and the rest left for a person.

use serde::Serialize;

use super::expects::{ExpectedSetting, MustMatchBreak};
use crate::check::Judged;
use crate::compare::CellValue;
use crate::model::{Origin, Role, Scan, Setting};
use crate::policy::{Date, Policy, RuleSetting, Severity};
use crate::rules::{self, is_falsy, is_truthy, key_name, Context, Finding};

/// Evidence lists longer than this are cut, with the count of what was left out.
const MAX_EVIDENCE: usize = 8;

#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

/// What envparity could say about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Verified from the configuration: ticked.
    Verified,
    /// The configuration shows it is not so: crossed, with the evidence.
    Failed,
    /// envparity checks this kind of item but could not here (the reason says why).
    Unknown,
    /// Left for a person.
    Manual,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub text: String,
    pub status: ItemStatus,
    /// Why an item could not be verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub evidence: Vec<Evidence>,
    /// Evidence left out of `evidence` (lists are cut at a few entries).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_evidence: usize,
    /// The rules behind the check.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<&'static str>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One fact behind an item, and where it is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Origin>,
    /// The waiver's reason, when the fact is a finding the policy waives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
}

impl Evidence {
    fn at(text: impl Into<String>, at: &Origin) -> Self {
        Evidence {
            text: text.into(),
            at: Some(at.clone()),
            waived: None,
        }
    }

    fn fact(text: impl Into<String>) -> Self {
        Evidence {
            text: text.into(),
            at: None,
            waived: None,
        }
    }

    fn of(f: &Finding) -> Self {
        Evidence {
            text: format!("{}: {}", f.rule, f.message),
            at: match (&f.file, f.line) {
                (Some(file), Some(line)) => Some(Origin::new(file, line)),
                _ => None,
            },
            waived: f.waived.clone(),
        }
    }
}

impl Item {
    fn manual(text: impl Into<String>) -> Self {
        Item {
            text: text.into(),
            status: ItemStatus::Manual,
            reason: None,
            evidence: Vec::new(),
            more_evidence: 0,
            rules: Vec::new(),
        }
    }

    fn new(text: impl Into<String>, status: ItemStatus, evidence: Vec<Evidence>) -> Self {
        // Members of one logical service (`web1..web4`) share their settings: one fact each.
        let mut evidence: Vec<Evidence> = evidence.into_iter().fold(Vec::new(), |mut kept, e| {
            if !kept.contains(&e) {
                kept.push(e);
            }
            kept
        });
        let more_evidence = evidence.len().saturating_sub(MAX_EVIDENCE);
        evidence.truncate(MAX_EVIDENCE);
        Item {
            text: text.into(),
            status,
            reason: None,
            evidence,
            more_evidence,
            rules: Vec::new(),
        }
    }

    fn unknown(text: impl Into<String>, reason: impl Into<String>) -> Self {
        Item {
            reason: Some(reason.into()),
            ..Item::new(text, ItemStatus::Unknown, Vec::new())
        }
    }

    fn rules(mut self, rules: &[&'static str]) -> Self {
        self.rules = rules.to_vec();
        self
    }
}

/// What the checklist is computed from: the simulated promotion.
pub struct Inputs<'a> {
    /// The scan with the source's images and versions in the target.
    pub scan: &'a Scan,
    pub judged: &'a Judged,
    pub policy: &'a Policy,
    pub today: Date,
    pub from: usize,
    pub to: usize,
    pub expected: &'a [ExpectedSetting],
    pub must_match: &'a [MustMatchBreak],
    pub introduced: &'a [Finding],
}

/// Rules that judge production-like environments only.
const PRODUCTION_ONLY: &[&str] = &["EP005", "EP006", "EP007", "EP008", "EP013"];

pub fn checklist(inputs: &Inputs) -> Checklist {
    let ctx = Context::new(
        inputs.scan,
        &inputs.judged.comparison,
        &inputs.judged.aligned,
        &inputs.judged.analysis.verdicts,
        inputs.policy,
        inputs.today,
    );
    let c = Checker { inputs, ctx };
    let from = c.name(inputs.from);
    let to = c.name(inputs.to);
    let mut sections = vec![
        Section {
            title: "Testing".into(),
            items: vec![
                Item::manual(format!("All features tested in {from}")),
                Item::manual("UAT sign-off received"),
                Item::manual(format!("Performance tests passed in {from}")),
                Item::manual("Security audit completed"),
                Item::manual(format!("Database migrations tested in {from}")),
            ],
        },
        Section {
            title: "Configuration".into(),
            items: vec![
                c.same_images(),
                c.expected_settings(),
                c.must_match(),
                c.by_rules(
                    format!("No {to} value names another environment"),
                    &["EP001"],
                ),
                c.by_rules(
                    format!("No secret written in plain text in {to}'s files"),
                    &["EP002"],
                ),
                c.by_rules(
                    format!("No weak, default or reused secret in {to}"),
                    &["EP003", "EP004"],
                ),
                c.debug_off(),
                c.transport(),
                c.by_rules(format!("{to} was read completely"), &["EP017"]),
            ],
        },
        Section {
            title: "Infrastructure".into(),
            items: vec![
                c.resource_limits(),
                c.health_checks(),
                c.backups(),
                c.high_availability(),
                Item::manual("Monitoring and alerting configured"),
                Item::manual("Disaster recovery plan documented"),
                Item::manual(format!(
                    "Rollback plan prepared (what {to} runs today is listed under the images that change)"
                )),
            ],
        },
        Section {
            title: "Deployment".into(),
            items: vec![
                c.nothing_introduced(),
                Item::manual(format!(
                    "Deploy to {to} with {}",
                    inputs.scan.environments[inputs.to]
                        .files
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(" + ")
                )),
                Item::manual("Run database migrations"),
                Item::manual("Verify all services healthy after the deploy"),
                Item::manual("Test critical user flows"),
                Item::manual(format!("Monitor {to} for 24 hours")),
            ],
        },
    ];
    if !inputs.policy.promote_checklist.is_empty() {
        sections.push(Section {
            title: "Team".into(),
            items: inputs
                .policy
                .promote_checklist
                .iter()
                .map(|i| Item::manual(i.text.clone()))
                .collect(),
        });
    }
    Checklist { sections }
}

struct Checker<'a> {
    inputs: &'a Inputs<'a>,
    ctx: Context<'a>,
}

impl Checker<'_> {
    fn name(&self, e: usize) -> &str {
        &self.inputs.scan.environments[e].name
    }

    fn to_name(&self) -> &str {
        self.name(self.inputs.to)
    }

    /// Why rules cannot answer for the target: turned off, or judging production-like
    /// environments only while the target is not one.
    fn cannot_judge(&self, rule_ids: &[&str]) -> Option<String> {
        let to = self.to_name();
        if let Some(off) = rule_ids
            .iter()
            .find(|r| self.inputs.policy.rules.get(**r) == Some(&RuleSetting::Off))
        {
            return Some(format!(
                "{off} is turned off in the policy ([rules]), so nothing checked it"
            ));
        }
        let production_only = rule_ids.iter().find(|r| PRODUCTION_ONLY.contains(r));
        match production_only {
            Some(r) if !self.ctx.is_production_like(self.inputs.to) => Some(format!(
                "{to} is not production-like, and {r} judges production-like environments only ([environments] production_like)"
            )),
            _ => None,
        }
    }

    /// The simulated findings of these rules in the target environment.
    fn findings(&self, rule_ids: &[&str]) -> Vec<&Finding> {
        let to = self.to_name();
        self.inputs
            .judged
            .analysis
            .findings
            .iter()
            .filter(|f| rule_ids.contains(&f.rule) && f.environment.as_deref() == Some(to))
            .collect()
    }

    /// An item answered by rules alone: crossed with their findings in the target, else ticked.
    fn by_rules(&self, text: String, rule_ids: &[&'static str]) -> Item {
        self.judged_by(text, rule_ids, || {
            Ok(vec![Evidence::fact(format!(
                "no {} finding in {}",
                rule_ids.join(" or "),
                self.to_name()
            ))])
        })
    }

    /// An item answered by rules, ticked only on positive evidence (`verified` gives it, or
    /// the reason there is none).
    fn judged_by(
        &self,
        text: String,
        rule_ids: &[&'static str],
        verified: impl FnOnce() -> Result<Vec<Evidence>, String>,
    ) -> Item {
        if let Some(reason) = self.cannot_judge(rule_ids) {
            return Item::unknown(text, reason).rules(rule_ids);
        }
        let found = self.findings(rule_ids);
        if !found.is_empty() {
            let evidence = found.into_iter().map(Evidence::of).collect();
            return Item::new(text, ItemStatus::Failed, evidence).rules(rule_ids);
        }
        match verified() {
            Ok(evidence) => Item::new(text, ItemStatus::Verified, evidence).rules(rule_ids),
            Err(reason) => Item::unknown(text, reason).rules(rule_ids),
        }
    }

    /// Settings of the target: (logical service, key, setting).
    fn target_settings(&self) -> impl Iterator<Item = (Option<&str>, &str, &Setting)> {
        let to = self.inputs.to;
        self.ctx
            .settings()
            .filter(move |(e, ..)| *e == to)
            .map(|(_, s, k, v)| (s, k, v))
    }

    fn same_images(&self) -> Item {
        let (from, to) = (self.inputs.from, self.inputs.to);
        let text = format!(
            "Same image in {} and {}, pinned so it is the same build",
            self.name(from),
            self.name(to)
        );
        let mut pinned = Vec::new();
        let mut failed = Vec::new();
        let mut unverifiable = Vec::new();
        for a in &self.inputs.judged.aligned {
            let source = a
                .services(self.inputs.scan, from)
                .find(|s| s.image.is_some());
            let target = a.services(self.inputs.scan, to).find(|s| s.image.is_some());
            let (Some(source), Some(target)) = (source, target) else {
                continue;
            };
            let Some(image) = &source.image else { continue };
            if source.is_built_locally() || target.is_built_locally() {
                unverifiable.push(Evidence::at(
                    format!(
                        "`{}`: built from source on each host, so the two builds may differ",
                        a.name
                    ),
                    &source.origin,
                ));
            } else if let Some(why) = image
                .value
                .digest
                .is_none()
                .then(|| rules::is_mutable(image.value.tag.as_deref()))
                .flatten()
            {
                failed.push(Evidence::at(
                    format!(
                        "`{}`: `{}` {why}: the same name may be another build when it is deployed",
                        a.name, image.value
                    ),
                    &image.origin,
                ));
            } else {
                pinned.push(Evidence::at(
                    format!("`{}`: `{}`", a.name, image.value),
                    &image.origin,
                ));
            }
        }
        let status = if !failed.is_empty() {
            ItemStatus::Failed
        } else if !unverifiable.is_empty() || pinned.is_empty() {
            ItemStatus::Unknown
        } else {
            ItemStatus::Verified
        };
        let reason = match status {
            ItemStatus::Unknown if pinned.is_empty() && unverifiable.is_empty() => Some(format!(
                "no service runs an image in both {} and {}",
                self.name(from),
                self.name(to)
            )),
            ItemStatus::Unknown => Some("some images are built on each host".to_string()),
            _ => None,
        };
        let evidence = failed
            .into_iter()
            .chain(unverifiable)
            .chain(pinned)
            .collect();
        Item {
            reason,
            ..Item::new(text, status, evidence).rules(&["EP006", "EP012"])
        }
    }

    fn expected_settings(&self) -> Item {
        let (from, to) = (self.name(self.inputs.from), self.to_name());
        let text = format!("Every setting the new version has in {from} is set in {to}");
        let (intended, missing): (Vec<&ExpectedSetting>, Vec<&ExpectedSetting>) = self
            .inputs
            .expected
            .iter()
            .partition(|e| e.intended.is_some());
        if missing.is_empty() {
            let mut evidence = vec![Evidence::fact(format!(
                "no setting of {from} is missing in {to}"
            ))];
            if !intended.is_empty() {
                evidence.push(Evidence::fact(format!(
                    "{} missing on purpose (the policy's intended differences)",
                    intended.len()
                )));
            }
            return Item::new(text, ItemStatus::Verified, evidence);
        }
        let evidence = missing
            .iter()
            .map(|e| {
                let whose = e
                    .service
                    .as_deref()
                    .map_or("(environment-wide)".to_string(), |s| format!("of `{s}`"));
                Evidence::at(
                    format!("`{}` {whose} is set in {from}, not in {to}", e.key),
                    &e.at,
                )
            })
            .collect();
        Item::new(text, ItemStatus::Failed, evidence)
    }

    fn must_match(&self) -> Item {
        let (from, to) = (self.name(self.inputs.from), self.to_name());
        let text = format!("Must-match items agree between {from} and {to}");
        if self.inputs.policy.must_match.is_empty() {
            return Item::unknown(
                text,
                "no [[must_match]] entry in the policy says what must be the same",
            )
            .rules(&["EP016"]);
        }
        if self.inputs.must_match.is_empty() {
            let n = self.inputs.policy.must_match.len();
            return Item::new(
                text,
                ItemStatus::Verified,
                vec![Evidence::fact(format!(
                    "{n} [[must_match]] entr{} agree{} after the promotion",
                    if n == 1 { "y" } else { "ies" },
                    if n == 1 { "s" } else { "" }
                ))],
            )
            .rules(&["EP016"]);
        }
        let evidence = self
            .inputs
            .must_match
            .iter()
            .map(|b| {
                let whose = b
                    .service
                    .as_deref()
                    .map_or("(environment-wide)".to_string(), |s| format!("of `{s}`"));
                let values = match (&b.from.value, &b.to.value) {
                    (
                        CellValue::Text {
                            text: x,
                            secret: false,
                            ..
                        },
                        CellValue::Text {
                            text: y,
                            secret: false,
                            ..
                        },
                    ) => format!(": `{x}` in {from} vs `{y}` in {to}"),
                    _ => String::new(),
                };
                let text = format!("`{}` {whose} differs{values} ({})", b.item, b.reason);
                match b.to.origin.as_ref().or(b.from.origin.as_ref()) {
                    Some(at) => Evidence::at(text, at),
                    None => Evidence::fact(text),
                }
            })
            .collect();
        Item::new(text, ItemStatus::Failed, evidence).rules(&["EP016"])
    }

    fn debug_off(&self) -> Item {
        let to = self.to_name();
        self.judged_by(format!("Debug mode off in {to}"), &["EP005"], || {
            let evidence: Vec<Evidence> = self
                .target_settings()
                .filter(|(s, k, v)| {
                    let name = key_name(k);
                    // An application's mode is a service's setting; a namespace label that
                    // says `environment: production` is no debug switch.
                    s.is_some()
                        && !v.is_secret()
                        && (rules::DEBUG_FLAGS.contains(&name.as_str())
                            || rules::MODE_KEYS.contains(&name.as_str()))
                })
                .map(|(s, k, v)| Evidence::at(setting_fact(s, k, v), &v.origin))
                .collect();
            if evidence.is_empty() {
                Err(format!(
                    "no debug switch (DEBUG, FLASK_DEBUG, NODE_ENV, RAILS_ENV, ...) is set in {to}: the framework's default applies"
                ))
            } else {
                Ok(evidence)
            }
        })
    }

    fn transport(&self) -> Item {
        let to = self.to_name();
        self.judged_by(
            format!("TLS, HSTS and secure cookies on in {to}"),
            &["EP013"],
            || {
                let evidence: Vec<Evidence> = self
                    .target_settings()
                    .filter(|(_, k, v)| !v.is_secret() && turns_transport_on(k, v.display()))
                    .map(|(s, k, v)| Evidence::at(setting_fact(s, k, v), &v.origin))
                    .collect();
                if evidence.is_empty() {
                    Err(format!(
                        "no TLS, HSTS or secure-cookie setting is found in {to} (TLS may end before it, at a load balancer envparity does not read)"
                    ))
                } else {
                    Ok(evidence)
                }
            },
        )
    }

    /// Container services of the target, once per logical service.
    fn target_containers(&self) -> Vec<(&str, &crate::model::Service)> {
        let mut seen = Vec::new();
        self.ctx
            .services()
            .filter(|(e, name, s)| {
                *e == self.inputs.to && s.runs_container() && {
                    let new = !seen.contains(name);
                    seen.push(*name);
                    new
                }
            })
            .map(|(_, name, s)| (name, s))
            .collect()
    }

    fn resource_limits(&self) -> Item {
        let to = self.to_name();
        self.judged_by(
            format!("CPU and memory limits set for every service in {to}"),
            &["EP007"],
            || {
                let evidence: Vec<Evidence> = self
                    .target_containers()
                    .into_iter()
                    .filter_map(|(name, s)| {
                        let at = s.resources.memory_limit_bytes.as_ref()?;
                        Some(Evidence::at(
                            format!("`{name}`: CPU and memory limits"),
                            &at.origin,
                        ))
                    })
                    .collect();
                if evidence.is_empty() {
                    Err(format!("no service of {to} runs a container"))
                } else {
                    Ok(evidence)
                }
            },
        )
    }

    fn health_checks(&self) -> Item {
        let to = self.to_name();
        self.judged_by(
            format!("Health checks for every service in {to}"),
            &["EP008"],
            || {
                let evidence: Vec<Evidence> = self
                    .target_containers()
                    .into_iter()
                    .filter_map(|(name, s)| {
                        let (_, check) = s.settings.iter().find(|(k, _)| {
                            let k = k.to_ascii_lowercase();
                            k.starts_with("healthcheck.") || k.contains("probe")
                        })?;
                        Some(Evidence::at(format!("`{name}`: health check"), &check.origin))
                    })
                    .collect();
                if evidence.is_empty() {
                    Err(format!(
                        "no health check to read in {to}: its services' probes come from operators or charts, or no service runs a container"
                    ))
                } else {
                    Ok(evidence)
                }
            },
        )
    }

    fn backups(&self) -> Item {
        let to = self.to_name();
        let text = format!("Backups configured for the {to} database");
        let databases = self.target_databases();
        if databases.is_empty() {
            return Item::unknown(
                text,
                format!(
                    "no database found in {to}: if one is managed elsewhere, check its backups there"
                ),
            );
        }
        let mut on = Vec::new();
        let mut off = Vec::new();
        for (service, key, setting) in self.target_settings() {
            let lower = key.to_ascii_lowercase();
            if setting.is_secret()
                || !["backup", "barman", "pgbackrest", "wal-g", "walg"]
                    .iter()
                    .any(|w| lower.contains(w))
            {
                continue;
            }
            let value = setting.display().trim();
            let fact = Evidence::at(setting_fact(service, key, setting), &setting.origin);
            if value.is_empty() {
                continue;
            }
            if is_falsy(value) && (lower.contains("retention") || lower.contains("enable")) {
                off.push(fact);
            } else {
                on.push(fact);
            }
        }
        for (name, s) in self.target_containers() {
            let image = s
                .image
                .as_ref()
                .map(|i| i.value.to_string())
                .unwrap_or_default();
            if name.contains("backup") || image.contains("backup") || image.contains("barman") {
                on.push(Evidence::at(
                    format!("`{name}` runs backups ({image})"),
                    &s.origin,
                ));
            }
        }
        if !off.is_empty() {
            return Item::new(text, ItemStatus::Failed, off);
        }
        if on.is_empty() {
            return Item::unknown(
                text,
                format!(
                    "no backup setting, backup service or operator backup (CloudNativePG `backup`) is found in {to} for {}",
                    databases.join(", ")
                ),
            );
        }
        Item::new(text, ItemStatus::Verified, on)
    }

    /// The databases of the target: database services, and Terraform database resources.
    fn target_databases(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inputs
            .judged
            .comparison
            .services
            .iter()
            .filter(|s| s.role == Role::Database && s.envs[self.inputs.to].is_some())
            .map(|s| format!("`{}`", s.name))
            .collect();
        for key in self.inputs.scan.environments[self.inputs.to]
            .settings
            .keys()
        {
            if let Some(resource) = terraform_database(key) {
                let resource = format!("`{resource}`");
                if !names.contains(&resource) {
                    names.push(resource);
                }
            }
        }
        names
    }

    fn high_availability(&self) -> Item {
        let to = self.to_name();
        let text = format!("More than one instance of the {to} web and database services");
        let mut ha = Vec::new();
        let mut single = Vec::new();
        for s in &self.inputs.judged.comparison.services {
            let Some(view) = &s.envs[self.inputs.to] else {
                continue;
            };
            if !matches!(s.role, Role::Web | Role::Database) {
                continue;
            }
            // Where the count is set: a member's replicas, or its autoscaler.
            let aligned = self
                .inputs
                .judged
                .aligned
                .iter()
                .find(|a| a.name == s.name && a.role == s.role);
            let declared = aligned.and_then(|a| {
                a.services(self.inputs.scan, self.inputs.to)
                    .find_map(|m| m.instances.origin.clone())
            });
            let members = aligned.map_or(1, |a| a.members[self.inputs.to].len());
            let (at, default) = match declared {
                Some(at) => (at, String::new()),
                None if members > 1 => (
                    view.origin.clone(),
                    format!(", as {members} services declared"),
                ),
                None => (
                    view.origin.clone(),
                    ", none declared (the platform's default)".to_string(),
                ),
            };
            let count = match view.instances_max {
                Some(max) => format!("{}-{max} instances", view.instances),
                None => format!("{} instance{}", view.instances, plural(view.instances)),
            };
            let fact = Evidence::at(format!("`{}` ({}): {count}{default}", s.name, s.role), &at);
            if view.instances > 1 {
                ha.push(fact);
            } else {
                single.push(fact);
            }
        }
        for (key, setting) in &self.inputs.scan.environments[self.inputs.to].settings {
            if !key.to_ascii_lowercase().contains("multi_az") {
                continue;
            }
            let fact = Evidence::at(setting_fact(None, key, setting), &setting.origin);
            if is_truthy(setting.display()) {
                ha.push(fact);
            } else if is_falsy(setting.display()) {
                single.push(fact);
            }
        }
        if !single.is_empty() {
            return Item::new(
                text,
                ItemStatus::Failed,
                single.into_iter().chain(ha).collect(),
            );
        }
        if ha.is_empty() {
            return Item::unknown(
                text,
                format!("no web or database service, nor a Terraform `multi_az`, is found in {to}"),
            );
        }
        Item::new(text, ItemStatus::Verified, ha)
    }

    fn nothing_introduced(&self) -> Item {
        let text = "The promotion introduces no error-level finding".to_string();
        let errors: Vec<Evidence> = self
            .inputs
            .introduced
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(Evidence::of)
            .collect();
        if errors.iter().any(|e| e.waived.is_none()) {
            return Item::new(text, ItemStatus::Failed, errors);
        }
        let n = self.inputs.introduced.len();
        let mut evidence = vec![Evidence::fact(format!(
            "{n} finding{} introduced, none an unwaived error",
            plural(n as u32)
        ))];
        evidence.extend(errors);
        Item::new(text, ItemStatus::Verified, evidence)
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `` `env.DEBUG` of `web` is `False` ``, the value masked when secret.
fn setting_fact(service: Option<&str>, key: &str, setting: &Setting) -> String {
    let whose = service.map_or(String::new(), |s| format!(" of `{s}`"));
    format!("`{key}`{whose} is `{}`", setting.display())
}

/// Whether a setting turns TLS, HSTS or secure cookies on: a switch EP013 knows that is not
/// off, an HSTS age above zero, or TLS material and listeners (`tls.hosts`, `ssl_certificate`,
/// an `https` listener counted at least once).
fn turns_transport_on(key: &str, value: &str) -> bool {
    let name = key_name(key);
    let value = value.trim();
    if value.is_empty() || is_falsy(value) {
        return false;
    }
    if rules::MUST_BE_ON.contains(&name.as_str()) {
        return is_truthy(value);
    }
    if rules::HSTS.contains(&name.as_str()) {
        return value.parse::<u64>().is_ok_and(|s| s > 0);
    }
    let lower = key.to_ascii_lowercase();
    [
        ".tls.",
        ".tls[",
        "ssl_certificate",
        ".https.",
        "acm_certificate",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// The Terraform database resource a key belongs to: `terraform.aws_db_instance.main.multi_az`
/// -> `aws_db_instance.main`.
fn terraform_database(key: &str) -> Option<String> {
    let rest = key.strip_prefix("terraform.")?;
    let mut parts = rest.split('.');
    let kind = parts.next()?;
    let name = parts.next()?;
    const DATABASES: &[&str] = &[
        "aws_db_instance",
        "aws_rds_cluster",
        "google_sql_database_instance",
        "azurerm_postgresql_server",
        "azurerm_postgresql_flexible_server",
        "azurerm_mysql_server",
        "azurerm_mysql_flexible_server",
        "digitalocean_database_cluster",
    ];
    DATABASES.contains(&kind).then(|| format!("{kind}.{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_settings_that_turn_it_on() {
        assert!(turns_transport_on("env.SESSION_COOKIE_SECURE", "True"));
        assert!(!turns_transport_on("env.SESSION_COOKIE_SECURE", "False"));
        assert!(turns_transport_on("env.SECURE_HSTS_SECONDS", "31536000"));
        assert!(!turns_transport_on("env.SECURE_HSTS_SECONDS", "0"));
        assert!(turns_transport_on(
            "ingress.shop.tls.hosts",
            "shop.example.com"
        ));
        assert!(turns_transport_on(
            "terraform.aws_lb_listener.https.count",
            "1"
        ));
        assert!(!turns_transport_on(
            "terraform.aws_lb_listener.https.count",
            "0"
        ));
        assert!(!turns_transport_on("env.DATABASE_URL", "postgres://db/app"));
    }

    #[test]
    fn terraform_database_resources() {
        assert_eq!(
            terraform_database("terraform.aws_db_instance.main.multi_az").as_deref(),
            Some("aws_db_instance.main")
        );
        assert_eq!(terraform_database("terraform.db_instance_class"), None);
        assert_eq!(terraform_database("env.aws_db_instance.x"), None);
    }
}
