//! The parity policy, `envparity.toml`: environment order, which environments are production-like,
//! intended differences, items that must match, waivers, the minimum score and the failure
//! threshold. Absent, sensible defaults apply (scale is intended to differ; identity and
//! versions are not).

pub mod cost;
mod date;
mod defaults;
mod pattern;
mod starter;

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;

pub use date::Date;
pub use pattern::{Pattern, PatternSet};
pub use starter::starter;

use crate::error::{Error, Result};
use crate::sources::Workspace;

/// The file name looked for at the scanned root.
pub const FILE_NAME: &str = "envparity.toml";

/// How serious a finding is. Ordered: `Note < Warning < Error`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A difference declared intended: rows matching it are not drift.
#[derive(Debug, Clone)]
pub struct Intended {
    /// Matches the aspect or setting id (`instances`, `env.LOG_LEVEL`, `postgres.*`); `None`
    /// matches a whole service (present in some environments only, on purpose).
    pub setting: Option<Pattern>,
    pub service: Option<Pattern>,
    pub reason: String,
    /// Line in the policy file; `None` for built-in defaults.
    pub line: Option<u32>,
}

/// Items whose difference is an error (promotion parity).
#[derive(Debug, Clone)]
pub struct MustMatch {
    pub setting: Pattern,
    pub service: Option<Pattern>,
    pub reason: String,
    pub line: Option<u32>,
}

/// A finding accepted for a while, with a reason.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    pub environment: Option<String>,
    pub service: Option<Pattern>,
    pub setting: Option<Pattern>,
    pub file: Option<Pattern>,
    pub reason: String,
    pub expires: Date,
    pub line: u32,
}

/// A rule's severity changed, or the rule turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    Severity(Severity),
}

/// The resolved policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The policy file, relative to the root, when one was read.
    pub file: Option<String>,
    pub min_score: f64,
    pub fail_on: Severity,
    /// Whether gaps (EP017) fail the gate: `None` (the default) fails on an environment that
    /// could not be read at all, `Some(true)` on any gap, `Some(false)` on none.
    pub fail_on_incomplete: Option<bool>,
    /// Environments lowest to highest, when stated.
    pub order: Option<Vec<String>>,
    /// Production-like environments, when stated; otherwise the highest one is.
    pub production_like: Option<Vec<String>>,
    pub intended: Vec<Intended>,
    pub must_match: Vec<MustMatch>,
    pub waivers: Vec<Waiver>,
    pub rules: BTreeMap<String, RuleSetting>,
    /// `[cost]`: hosts, platform, storage, region, hours per month and price overrides.
    pub cost: cost::CostPolicy,
    /// `[live]`: running servers to read (docs/live.md).
    pub live: LiveConfig,
    /// A team's own items for the promotion checklist (`[promote] checklist`), in file order.
    pub promote_checklist: Vec<ChecklistItem>,
    /// `[[projects]]`: the applications of a monorepo, each judged on its own.
    pub projects: Vec<Project>,
}

/// One `[[projects]]` entry: an application under the root, judged with its own environments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Unique among the projects; by default the path's last component.
    pub name: String,
    /// A directory under the scanned root, `/`-separated, without `.` or `..` parts.
    pub path: String,
    pub line: u32,
}

/// One item of `[promote] checklist`: left for a person to tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    pub text: String,
    pub line: u32,
}

/// `[live]`: which running server to read for which environment.
#[derive(Debug, Clone, Default)]
pub struct LiveConfig {
    pub postgres: Vec<LiveServer>,
    pub redis: Vec<LiveServer>,
    pub timeout_seconds: Option<f64>,
    pub all_settings: bool,
}

/// One `[[live.postgres]]` or `[[live.redis]]` entry.
#[derive(Debug, Clone)]
pub struct LiveServer {
    pub environment: String,
    /// A URL, or `env:NAME` to read it from the environment variable NAME.
    pub url: String,
    /// The declared service this server runs, when the role does not tell.
    pub service: Option<String>,
    pub line: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            file: None,
            min_score: 0.0,
            fail_on: Severity::Error,
            fail_on_incomplete: None,
            order: None,
            production_like: None,
            intended: defaults::intended(),
            must_match: defaults::must_match(),
            waivers: Vec::new(),
            rules: BTreeMap::new(),
            cost: cost::CostPolicy::default(),
            live: LiveConfig::default(),
            promote_checklist: Vec::new(),
            projects: Vec::new(),
        }
    }
}

impl Policy {
    /// Whether an environment is production-like. Without a statement, the highest environment
    /// is, and any environment named `production`.
    pub fn is_production_like(&self, env: &str, environments: &[String]) -> bool {
        match &self.production_like {
            Some(list) => list
                .iter()
                .any(|e| crate::discover::covers_environment(e, env)),
            // A developer's environment is never production-like, even when it is the only
            // or the highest one found.
            None => {
                crate::discover::slot_environment(env) == "production"
                    || (environments.last().is_some_and(|l| l == env)
                        && !matches!(env, "local" | "development" | "test"))
            }
        }
    }
}

// ---- the file format -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    min_score: Option<f64>,
    fail_on: Option<Severity>,
    fail_on_incomplete: Option<bool>,
    /// Keep the built-in intended differences (scale) in addition to the file's own.
    default_intended: Option<bool>,
    environments: Option<EnvironmentsSection>,
    intended: Option<Vec<toml::Spanned<IntendedEntry>>>,
    must_match: Option<Vec<toml::Spanned<MustMatchEntry>>>,
    waiver: Option<Vec<toml::Spanned<WaiverEntry>>>,
    rules: Option<BTreeMap<String, toml::Spanned<String>>>,
    cost: Option<cost::CostSection>,
    promote: Option<PromoteSection>,
    /// File bindings, read by discovery.
    #[allow(dead_code)]
    sources: Option<toml::Value>,
    live: Option<LiveSection>,
    projects: Option<Vec<toml::Spanned<ProjectEntry>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectEntry {
    name: Option<String>,
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveSection {
    postgres: Option<Vec<toml::Spanned<LiveEntry>>>,
    redis: Option<Vec<toml::Spanned<LiveEntry>>>,
    timeout_seconds: Option<f64>,
    all_settings: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveEntry {
    environment: String,
    url: String,
    service: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentsSection {
    order: Option<Vec<String>>,
    production_like: Option<Vec<String>>,
    /// Names that are environments although they are no well-known environment word; read by
    /// discovery.
    #[allow(dead_code)]
    extra: Option<Vec<String>>,
}

/// `[promote]`: what `envparity promote` adds to its checklist.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromoteSection {
    checklist: Option<Vec<toml::Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntendedEntry {
    setting: Option<String>,
    service: Option<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MustMatchEntry {
    setting: String,
    service: Option<String>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverEntry {
    rule: String,
    environment: Option<String>,
    service: Option<String>,
    setting: Option<String>,
    file: Option<String>,
    reason: String,
    expires: toml::Spanned<toml::Value>,
}

/// Read the policy: `explicit` (from `--config`, relative to the current directory) or
/// `envparity.toml` at the root, else the defaults. `known_rules` validates waiver rule IDs.
pub fn load(
    workspace: &Workspace,
    explicit: Option<&std::path::Path>,
    known_rules: &[&str],
) -> Result<Policy> {
    let (name, text) = match explicit {
        Some(path) => return load_file(workspace, path, &path.display().to_string(), known_rules),
        // A policy file that is there but cannot be read (a symlink out of the tree, a FIFO, a
        // directory) is refused, not taken for no policy.
        None => match workspace.locate(FILE_NAME)? {
            Some(_) => (FILE_NAME.to_string(), workspace.read_text(FILE_NAME)?),
            None => match in_parent_directory(workspace)? {
                Some(found) => found,
                None => return Ok(Policy::default()),
            },
        },
    };
    parse(&text, &name, known_rules)
}

/// Read the policy file at `path` (the user's own, wherever it is, or the one a project
/// inherits): still only a regular file, bounded. `name` is used in errors and findings.
pub fn load_file(
    workspace: &Workspace,
    path: &std::path::Path,
    name: &str,
    known_rules: &[&str],
) -> Result<Policy> {
    let bytes = crate::sources::read::read_bounded(path, name, workspace.max_file_bytes)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::in_file(name.to_string(), "is not valid UTF-8 text"))?;
    parse(&text, name, known_rules)
}

/// With PATH inside a repository and no policy at PATH, the nearest `envparity.toml` in the
/// directories above it, up to the repository root (the directory holding `.git`): a monorepo's
/// one policy applies to a scan of any of its subdirectories. Named relative to PATH
/// (`../envparity.toml`); a symlink there is refused, as at PATH.
fn in_parent_directory(workspace: &Workspace) -> Result<Option<(String, String)>> {
    for (dir, relative) in crate::repo::directories_above(workspace.root()) {
        let path = dir.join(FILE_NAME);
        let name = format!("{relative}/{FILE_NAME}");
        match std::fs::symlink_metadata(&path) {
            Err(_) => continue,
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::in_file(
                    name,
                    "is a symbolic link; the policy is read only from a regular file",
                ))
            }
            Ok(_) => {}
        }
        let bytes = crate::sources::read::read_bounded(&path, &name, workspace.max_file_bytes)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::in_file(name.clone(), "is not valid UTF-8 text"))?;
        return Ok(Some((name, text)));
    }
    Ok(None)
}

/// Parse a policy file's text. `name` is used in errors.
pub fn parse(text: &str, name: &str, known_rules: &[&str]) -> Result<Policy> {
    // Every entry's line comes from one index of the file, not a count from its start.
    let lines = crate::sources::lines::LineIndex::new(text);
    let line_of = |_: &str, offset: usize| lines.line(offset);
    let at =
        |span: Range<usize>, message: String| Error::at(name, line_of(text, span.start), message);
    let file: PolicyFile = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        match e.span() {
            Some(span) => at(span, message),
            None => Error::in_file(name, message),
        }
    })?;
    let mut policy = Policy {
        file: Some(name.to_string()),
        ..Policy::default()
    };
    if file.default_intended == Some(false) {
        policy.intended.clear();
    }
    if let Some(min) = file.min_score {
        if !(0.0..=100.0).contains(&min) {
            return Err(Error::in_file(
                name,
                format!("min_score must be between 0 and 100, found {min}"),
            ));
        }
        policy.min_score = min;
    }
    if let Some(f) = file.fail_on {
        policy.fail_on = f;
    }
    policy.fail_on_incomplete = file.fail_on_incomplete;
    if let Some(envs) = file.environments {
        let canon = |v: Vec<String>| {
            v.iter()
                .map(|e| crate::discover::canonical_env_name(e))
                .collect()
        };
        policy.order = envs.order.map(canon);
        policy.production_like = envs.production_like.map(canon);
    }
    let pattern =
        |text: &str, span: &Range<usize>| Pattern::new(text).map_err(|m| at(span.clone(), m));
    for entry in file.intended.unwrap_or_default() {
        let span = entry.span();
        let e = entry.into_inner();
        if e.setting.is_none() && e.service.is_none() {
            return Err(at(
                span,
                "an [[intended]] entry needs `setting`, `service` or both".into(),
            ));
        }
        policy.intended.push(Intended {
            setting: e
                .setting
                .as_deref()
                .map(|s| pattern(s, &span))
                .transpose()?,
            service: e
                .service
                .as_deref()
                .map(|s| pattern(s, &span))
                .transpose()?,
            reason: e.reason,
            line: Some(line_of(text, span.start)),
        });
    }
    for entry in file.must_match.unwrap_or_default() {
        let span = entry.span();
        let e = entry.into_inner();
        policy.must_match.push(MustMatch {
            setting: pattern(&e.setting, &span)?,
            service: e
                .service
                .as_deref()
                .map(|s| pattern(s, &span))
                .transpose()?,
            reason: e.reason.unwrap_or_else(|| "declared must-match".into()),
            line: Some(line_of(text, span.start)),
        });
    }
    for entry in file.waiver.unwrap_or_default() {
        let span = entry.span();
        let e = entry.into_inner();
        let rule = e.rule.to_ascii_uppercase();
        if !known_rules.contains(&rule.as_str()) {
            return Err(at(
                span,
                format!(
                    "unknown rule `{}` in waiver (see `envparity explain --list`)",
                    e.rule
                ),
            ));
        }
        let expires_span = e.expires.span();
        let expires = match e.expires.get_ref() {
            toml::Value::String(s) => Date::parse(s),
            toml::Value::Datetime(d) => Date::parse(&d.to_string()),
            _ => None,
        }
        .ok_or_else(|| {
            at(
                expires_span.clone(),
                "`expires` must be a date like 2026-12-31".into(),
            )
        })?;
        policy.waivers.push(Waiver {
            rule,
            environment: e
                .environment
                .map(|x| crate::discover::canonical_env_name(&x)),
            service: e
                .service
                .as_deref()
                .map(|s| pattern(s, &span))
                .transpose()?,
            setting: e
                .setting
                .as_deref()
                .map(|s| pattern(s, &span))
                .transpose()?,
            file: e.file.as_deref().map(|s| pattern(s, &span)).transpose()?,
            reason: e.reason,
            expires,
            line: line_of(text, span.start),
        });
    }
    if let Some(section) = file.cost {
        policy.cost = cost::resolve(section, |offset| line_of(text, offset))
            .map_err(|(offset, message)| at(offset..offset, message))?;
    }
    for (rule, value) in file.rules.unwrap_or_default() {
        let span = value.span();
        let id = rule.to_ascii_uppercase();
        if !known_rules.contains(&id.as_str()) {
            return Err(at(span, format!("unknown rule `{rule}` in [rules]")));
        }
        let setting = match value.get_ref().as_str() {
            "off" => RuleSetting::Off,
            "note" => RuleSetting::Severity(Severity::Note),
            "warning" => RuleSetting::Severity(Severity::Warning),
            "error" => RuleSetting::Severity(Severity::Error),
            other => {
                return Err(at(
                    span,
                    format!("rule `{rule}`: `{other}` is not one of off, note, warning, error"),
                ))
            }
        };
        policy.rules.insert(id, setting);
    }
    check_pattern_sets(&policy, name)?;
    if let Some(live) = file.live {
        if let Some(t) = live.timeout_seconds {
            if !(t > 0.0 && t <= 600.0) {
                return Err(Error::in_file(
                    name,
                    format!("[live] timeout_seconds must be above 0 and at most 600, found {t}"),
                ));
            }
        }
        let servers = |entries: Option<Vec<toml::Spanned<LiveEntry>>>| {
            entries
                .unwrap_or_default()
                .into_iter()
                .map(|e| {
                    let line = line_of(text, e.span().start);
                    let e = e.into_inner();
                    LiveServer {
                        environment: crate::discover::canonical_env_name(&e.environment),
                        url: e.url,
                        service: e.service,
                        line,
                    }
                })
                .collect()
        };
        policy.live = LiveConfig {
            postgres: servers(live.postgres),
            redis: servers(live.redis),
            timeout_seconds: live.timeout_seconds,
            all_settings: live.all_settings.unwrap_or(false),
        };
    }
    for item in file.promote.and_then(|p| p.checklist).unwrap_or_default() {
        let span = item.span();
        let item_text = item.into_inner().trim().to_string();
        if item_text.is_empty() {
            return Err(at(
                span,
                "[promote] checklist: an item is empty; write what a person must check".into(),
            ));
        }
        policy.promote_checklist.push(ChecklistItem {
            text: item_text,
            line: line_of(text, span.start),
        });
    }
    let entries = file.projects.unwrap_or_default();
    if let (Some(first), Some(_)) = (entries.first(), &file.sources) {
        return Err(at(
            first.span(),
            "[sources] and [[projects]] cannot be used together: each project discovers its own environments; bind a project's files in [sources] of an envparity.toml in its directory".into(),
        ));
    }
    for entry in entries {
        let line = line_of(text, entry.span().start);
        let project = project(entry.into_inner(), line).map_err(|m| Error::at(name, line, m))?;
        if let Some(other) = policy.projects.iter().find(|p| p.name == project.name) {
            return Err(Error::at(
                name,
                line,
                format!(
                    "[[projects]] name `{}` is already used at line {}; give each project its own `name`",
                    project.name, other.line
                ),
            ));
        }
        policy.projects.push(project);
    }
    Ok(policy)
}

/// A `[[projects]]` entry checked: a relative path inside the root, a usable name.
fn project(entry: ProjectEntry, line: u32) -> std::result::Result<Project, String> {
    let raw = entry.path.replace('\\', "/");
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "[[projects]] path `{}` leaves the root; a project is a directory under it",
                    entry.path
                ))
            }
            p => parts.push(p),
        }
    }
    if raw.starts_with('/') || raw.get(1..2) == Some(":") {
        return Err(format!(
            "[[projects]] path `{}` is absolute; give it relative to envparity.toml",
            entry.path
        ));
    }
    let Some(last) = parts.last() else {
        return Err(format!(
            "[[projects]] path `{}` is the root itself; a project is a directory under it",
            entry.path
        ));
    };
    let name = match entry.name {
        Some(n) => n.trim().to_string(),
        None => last.to_string(),
    };
    let path = parts.join("/");
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err("[[projects]] `name` must be a non-empty line of text".into());
    }
    Ok(Project { name, path, line })
}

/// The setting patterns are matched as sets (see `verdict`): building them here reports a policy
/// whose patterns are too large together, instead of matching nothing later.
fn check_pattern_sets(policy: &Policy, name: &str) -> Result<()> {
    let intended = policy.intended.iter().filter_map(|i| i.setting.as_ref());
    pattern::PatternSet::new(intended)
        .map_err(|m| Error::in_file(name, format!("[[intended]]: {m}")))?;
    pattern::PatternSet::new(policy.must_match.iter().map(|m| &m.setting))
        .map_err(|m| Error::in_file(name, format!("[[must_match]]: {m}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[&str] = &["EP006", "EP007"];

    #[test]
    fn full_file() {
        let p = parse(
            r#"
min_score = 90
fail_on = "warning"

[environments]
order = ["dev", "stage", "prod"]
production_like = ["prod"]

[[intended]]
setting = "env.LOG_LEVEL"
reason = "more logging below production"

[[must_match]]
setting = "image"
service = "web"

[[waiver]]
rule = "ep007"
environment = "prod"
reason = "production runs on dedicated hosts"
expires = 2027-03-31

[rules]
EP006 = "warning"
"#,
            "envparity.toml",
            RULES,
        )
        .unwrap();
        assert_eq!(p.min_score, 90.0);
        assert_eq!(p.fail_on, Severity::Warning);
        assert_eq!(
            p.order.as_deref(),
            Some(
                &[
                    "development".to_string(),
                    "staging".into(),
                    "production".into()
                ][..]
            )
        );
        let custom = p.intended.iter().find(|i| i.line.is_some()).unwrap();
        assert_eq!(custom.line, Some(9));
        assert!(custom.setting.as_ref().unwrap().matches("env.LOG_LEVEL"));
        assert_eq!(p.waivers[0].rule, "EP007");
        assert_eq!(p.waivers[0].environment.as_deref(), Some("production"));
        assert_eq!(
            p.waivers[0].expires,
            Date {
                year: 2027,
                month: 3,
                day: 31
            }
        );
        assert_eq!(p.waivers[0].line, 17);
        assert_eq!(p.rules["EP006"], RuleSetting::Severity(Severity::Warning));
        assert!(p.is_production_like("production", &[]));
        assert!(!p.is_production_like("staging", &["staging".into()]));
    }

    #[test]
    fn unknown_keys_and_rules_name_the_line() {
        let e = parse("min_score = 80\ncolour = 1\n", "envparity.toml", RULES).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("envparity.toml"));
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("unknown field `colour`"), "{e}");
        let e = parse(
            "[[waiver]]\nrule = \"EP999\"\nreason = \"x\"\nexpires = 2027-01-01\n",
            "p.toml",
            RULES,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("unknown rule `EP999`"), "{e}");
        let e = parse(
            "[[waiver]]\nrule = \"EP006\"\nreason = \"x\"\nexpires = \"soon\"\n",
            "p.toml",
            RULES,
        )
        .unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (Some(4), "`expires` must be a date like 2026-12-31")
        );
        let e = parse("min_score = 120\n", "p.toml", RULES).unwrap_err();
        assert!(e.message.contains("between 0 and 100"));
        let e = parse("min_score = \n", "p.toml", RULES).unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn live_servers() {
        let p = parse(
            "[live]\ntimeout_seconds = 3\n\n[[live.postgres]]\nenvironment = \"prod\"\nurl = \"env:PROD_DB\"\nservice = \"db\"\n\n[[live.redis]]\nenvironment = \"staging\"\nurl = \"redis://cache:6379\"\n",
            "envparity.toml",
            RULES,
        )
        .unwrap();
        assert_eq!(p.live.timeout_seconds, Some(3.0));
        let pg = &p.live.postgres[0];
        assert_eq!(
            (
                pg.environment.as_str(),
                pg.url.as_str(),
                pg.service.as_deref(),
                pg.line
            ),
            ("production", "env:PROD_DB", Some("db"), 4)
        );
        assert_eq!(p.live.redis[0].line, 9);
        let e = parse("[live]\ntimeout_seconds = 0\n", "p.toml", RULES).unwrap_err();
        assert!(e.message.contains("timeout_seconds"), "{e}");
        let e = parse("[[live.postgres]]\nenvironment = \"a\"\n", "p.toml", RULES).unwrap_err();
        assert!(e.message.contains("missing field `url`"), "{e}");
    }

    #[test]
    fn promote_checklist_items_are_strings_with_their_lines() {
        let p = parse(
            "[promote]\nchecklist = [\n  \"Release notes sent\",\n  \"Feature flags reviewed\",\n]\n",
            "envparity.toml",
            RULES,
        )
        .unwrap();
        assert_eq!(
            p.promote_checklist,
            vec![
                ChecklistItem {
                    text: "Release notes sent".into(),
                    line: 3
                },
                ChecklistItem {
                    text: "Feature flags reviewed".into(),
                    line: 4
                },
            ]
        );
        let e = parse(
            "min_score = 1\n[promote]\nchecklist = [\"ok\", 3]\n",
            "envparity.toml",
            RULES,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("expected a string"), "{e}");
        let e = parse("[promote]\nchecklist = [\"  \"]\n", "p.toml", RULES).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("empty"), "{e}");
        let e = parse("[promote]\nitems = []\n", "p.toml", RULES).unwrap_err();
        assert!(e.message.contains("unknown field `items`"), "{e}");
        assert!(Policy::default().promote_checklist.is_empty());
    }

    #[test]
    fn defaults_make_scale_intended() {
        let p = Policy::default();
        let intended = |id: &str| {
            p.intended
                .iter()
                .any(|i| i.setting.as_ref().is_some_and(|s| s.matches(id)))
        };
        for id in [
            "instances",
            "memory_limit",
            "gunicorn.workers",
            "postgres.shared_buffers",
            "env.BACKUP_RETENTION_DAYS",
        ] {
            assert!(intended(id), "{id}");
        }
        for id in [
            "terraform.instance_type",
            "terraform.aws_db_instance.main.instance_class",
            "terraform.web_count",
        ] {
            assert!(intended(id), "{id}");
        }
        for id in [
            "image",
            "env.DEBUG",
            "env.DATABASE_URL",
            "terraform.bucket_name",
        ] {
            assert!(!intended(id), "{id}");
        }
        assert!(p.is_production_like("staging", &["development".into(), "staging".into()]));
        // A developer's environment is not production-like, even when it is the highest.
        assert!(!p.is_production_like("local", &["local".into()]));
        assert!(!p.is_production_like("development", &["local".into(), "development".into()]));
    }

    #[test]
    fn projects_are_named_by_their_last_component_unless_named() {
        let p = parse(
            "[[projects]]\npath = \"apps/api/\"\n\n[[projects]]\nname = \"site\"\npath = \"./web\"\n",
            FILE_NAME,
            RULES,
        )
        .unwrap();
        let got: Vec<(&str, &str, u32)> = p
            .projects
            .iter()
            .map(|p| (p.name.as_str(), p.path.as_str(), p.line))
            .collect();
        assert_eq!(got, [("api", "apps/api", 1), ("site", "web", 4)]);
    }

    #[test]
    fn projects_outside_the_root_duplicated_or_beside_sources_are_refused() {
        let err = |text: &str| parse(text, FILE_NAME, RULES).unwrap_err().to_string();
        assert_eq!(
            err("[[projects]]\npath = \"../other\"\n"),
            "envparity.toml:1: [[projects]] path `../other` leaves the root; a project is a directory under it"
        );
        assert_eq!(
            err("[[projects]]\npath = \"/srv/app\"\n"),
            "envparity.toml:1: [[projects]] path `/srv/app` is absolute; give it relative to envparity.toml"
        );
        assert_eq!(
            err("[[projects]]\npath = \"a/api\"\n[[projects]]\npath = \"b/api\"\n"),
            "envparity.toml:3: [[projects]] name `api` is already used at line 1; give each project its own `name`"
        );
        assert!(
            err("[sources]\nstaging = \"a.env\"\n[[projects]]\npath = \"a\"\n").starts_with(
                "envparity.toml:3: [sources] and [[projects]] cannot be used together"
            )
        );
        assert!(err("[[projects]]\nname = \"x\"\n").contains("missing field `path`"));
        assert_eq!(
            err("[[projects]]\npath = \"./\"\n"),
            "envparity.toml:1: [[projects]] path `./` is the root itself; a project is a directory under it"
        );
    }
}
