//! Finding the environments in a repository and the files behind each.
//!
//! The repository is walked once; each source kind's finder (`compose`, ...) picks its files
//! from that list and says which environment each belongs to. Candidates are then merged per
//! environment. Some candidates are *shared*: a base file (`variables.tf`, `config.yaml`, a lone
//! `docker-compose.yml`) that every environment without its own file of that kind reads. An
//! `envparity.toml` `[sources]` section binds files to environments when names do not say it
//! (`config`). `--env NAME=FILE[,FILE]` states environments explicitly instead.

mod appconfig;
mod compose;
pub mod config;
mod devmarkers;
mod dotenv;
pub(crate) mod kubernetes;
mod serverfiles;
mod terraform;
pub mod walk;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Note;
use crate::sources::Workspace;

/// What will be read: each environment and its files in merge order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub environments: Vec<EnvPlan>,
    /// Files found and deliberately not read as environments, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    #[serde(skip)]
    pub notes: Vec<Note>,
    /// How many files of the walk look like configuration (YAML, JSON, TOML, HCL, dotenv, ...),
    /// whether or not they name an environment: none means the scan had nothing to read.
    #[serde(skip)]
    pub configuration_files: usize,
}

/// Files that look like configuration of an environment but are not read as one: a variant
/// (`docker-compose.coolify.yml`), a local development file beside deployed environments, a
/// test fixture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub files: Vec<String>,
    pub reason: String,
}

/// One environment and what will be read for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvPlan {
    pub name: String,
    pub sources: Vec<SourcePlan>,
}

impl EnvPlan {
    /// Every file read for this environment, in reading order.
    pub fn files(&self) -> Vec<String> {
        self.sources
            .iter()
            .flat_map(|s| s.files.iter().cloned())
            .collect()
    }
}

/// Files of one kind read together for one environment (a base file and its override).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourcePlan {
    pub kind: SourceKind,
    /// Paths relative to the scanned root, in merge order (base first).
    pub files: Vec<String>,
    /// How the files were found, for `envparity discover`.
    pub reason: String,
    /// The component (a module of a monorepo: `admin/` beside `portal/`) these files configure:
    /// their settings are that service's, not the whole environment's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

/// The formats envparity reads. Each has a reader in `sources/` and a finder here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Compose,
    Terraform,
    Dotenv,
    AppConfig,
    Nginx,
    PostgresConf,
    RedisConf,
    /// Kubernetes manifests (including `helm template` output), read as they are.
    Kubernetes,
    /// A Kustomize overlay, rendered natively; the file is its `kustomization.yaml`.
    Kustomize,
    /// Helm values files, base first, deep-merged.
    HelmValues,
}

impl SourceKind {
    /// The kind of a file named explicitly (`--env`, `envparity.toml`), from its name:
    /// kustomizations and Helm values files, Terraform, dotenv, server and nginx `.conf` files,
    /// app configuration; other YAML is Compose unless its content says Kubernetes (see
    /// `group_by_kind`).
    pub fn of_file(path: &str) -> SourceKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        if kubernetes::KUSTOMIZATION_NAMES.contains(&name) {
            SourceKind::Kustomize
        } else if kubernetes::is_values_file(name) {
            SourceKind::HelmValues
        } else if lower.ends_with(".tf")
            || lower.ends_with(".tfvars")
            || lower.ends_with(".tfvars.json")
            || lower.ends_with(".hcl")
        {
            SourceKind::Terraform
        } else if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
            SourceKind::Dotenv
        } else if lower.ends_with(".conf") {
            match crate::sources::serverconf::Server::of_file_name(&lower) {
                Some(crate::sources::serverconf::Server::Postgres) => SourceKind::PostgresConf,
                Some(crate::sources::serverconf::Server::Redis) => SourceKind::RedisConf,
                None => SourceKind::Nginx,
            }
        } else if lower.ends_with(".json")
            || lower.ends_with(".toml")
            || appconfig::is_config_name(name)
        {
            SourceKind::AppConfig
        } else {
            SourceKind::Compose
        }
    }
}

/// A finder's proposal: these files are environment `env`'s source of this kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The environment as written (`prod`); canonicalised when merged. Ignored when `shared`.
    pub env: String,
    pub source: SourcePlan,
    /// A base every environment without its own source of this kind reads (when no environment
    /// is found at all, it makes one environment `default`).
    pub shared: bool,
    /// Joins `env` only when another source found that environment and gave it no source of
    /// this kind: an unsuffixed Compose base is what runs in production when production has no
    /// override of its own, but it does not make a production environment by itself.
    pub if_found: bool,
}

impl Candidate {
    pub fn for_env(
        env: impl Into<String>,
        kind: SourceKind,
        files: Vec<String>,
        reason: String,
    ) -> Self {
        Candidate {
            env: env.into(),
            source: SourcePlan {
                kind,
                files,
                reason,
                component: None,
            },
            shared: false,
            if_found: false,
        }
    }

    /// A candidate for `env` that never creates it (see `if_found`).
    pub fn if_found(
        env: impl Into<String>,
        kind: SourceKind,
        files: Vec<String>,
        reason: String,
    ) -> Self {
        Candidate {
            if_found: true,
            ..Candidate::for_env(env, kind, files, reason)
        }
    }

    pub fn shared(kind: SourceKind, files: Vec<String>, reason: String) -> Self {
        Candidate {
            env: "default".into(),
            source: SourcePlan {
                kind,
                files,
                reason,
                component: None,
            },
            shared: true,
            if_found: false,
        }
    }
}

/// The environment a file or directory name states: the first of its words (split on `.`, `-`
/// and `_`) that is an environment name or alias (`load_balancer_staging.conf` -> `staging`).
pub fn env_word_in(name: &str) -> Option<&str> {
    name.split(['.', '-', '_']).find(|w| is_env_word(w))
}

/// `dir/name`, or `name` at the root.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Canonical environment names and the aliases that mean them.
const ALIASES: &[(&str, &[&str])] = &[
    ("production", &["production", "prod", "prd", "live"]),
    ("staging", &["staging", "stage", "stg", "stag"]),
    ("development", &["development", "dev", "develop"]),
    ("local", &["local"]),
    ("test", &["test", "testing"]),
    ("qa", &["qa"]),
    ("uat", &["uat"]),
    ("preprod", &["preprod", "pre-prod", "preproduction"]),
    ("nonprod", &["nonprod", "non-prod", "nonproduction"]),
    ("sandbox", &["sandbox"]),
    ("integration", &["integration"]),
    ("demo", &["demo"]),
];

/// The canonical name of an environment: `prod` -> `production`, `stage` -> `staging`; a
/// slot keeps its own name after the environment's (`prod/blue` -> `production/blue`).
pub fn canonical_env_name(name: &str) -> String {
    if let Some((env, slot)) = name.split_once('/') {
        return format!(
            "{}/{}",
            canonical_env_name(env),
            slot.trim().to_ascii_lowercase()
        );
    }
    let lower = name.trim().to_ascii_lowercase();
    ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&lower.as_str()))
        .map_or(lower, |(canonical, _)| (*canonical).to_string())
}

/// Words that name a deployment slot of one environment: blue/green and canary releases run
/// side by side, so the slots are compared with each other, never summed.
const SLOT_WORDS: &[&str] = &["blue", "green", "canary", "stable"];

pub fn is_slot_word(word: &str) -> bool {
    SLOT_WORDS.contains(&word.to_ascii_lowercase().as_str())
}

/// The environment a slot belongs to (`production/blue` -> `production`); any other name is
/// its own environment.
pub fn slot_environment(name: &str) -> &str {
    name.split_once('/').map_or(name, |(env, _)| env)
}

/// Whether a name given in the policy (`production`) covers an environment found
/// (`production`, or its slot `production/blue`).
pub fn covers_environment(stated: &str, env: &str) -> bool {
    stated == env || stated == slot_environment(env)
}

/// Whether a word names a well-known environment (used to strip it from service names).
pub fn is_env_word(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    ALIASES
        .iter()
        .any(|(_, aliases)| aliases.contains(&lower.as_str()))
}

/// Order environments lowest to highest: local < development < test < qa < uat < staging <
/// preprod < production; unknown names sit between uat and staging, alphabetically.
pub fn env_rank(name: &str) -> (u8, String) {
    let rank = match slot_environment(name) {
        "local" => 0,
        "development" => 1,
        "sandbox" | "demo" => 2,
        "integration" => 4,
        "test" => 3,
        "qa" => 4,
        "uat" => 5,
        "nonprod" | "staging" => 7,
        "preprod" => 8,
        "production" => 9,
        _ => 6,
    };
    (rank, name.to_string())
}

/// Walk the repository once: every file's path relative to the root, `/`-separated, sorted.
/// Respects in-tree `.gitignore`s, skips hidden directories, never follows symlinks (`walk`).
pub fn walk(workspace: &Workspace) -> Result<Vec<String>> {
    Ok(walk::walk_tree(workspace)?.files)
}

/// Notes for what the walk left out: files named in something other than UTF-8, ignore files
/// not read.
fn walk_notes(walked: &walk::Walked) -> Vec<Note> {
    let mut notes: Vec<Note> = walked
        .not_utf8
        .iter()
        .map(|name| Note {
            origin: None,
            message: format!("{name}: file name is not UTF-8; not read"),
        })
        .collect();
    notes.extend(walked.unread_ignores.iter().map(|e| Note {
        origin: None,
        message: format!("{e}; its ignore rules are not applied"),
    }));
    notes
}

/// Path segments under which files are tests, fixtures or examples, not environments (unless
/// `envparity.toml` binds them in `[sources]`).
const NOT_ENVIRONMENT_DIRS: &[&str] = &[
    "tests",
    "__tests__",
    "spec",
    "fixtures",
    "fixture",
    "testdata",
    "test-data",
    "test_data",
    "examples",
    "example",
    "samples",
    "sample",
    "load-test",
    "load-tests",
    "loadtest",
    "loadtests",
    "load_test",
    "perf-test",
    "perf-tests",
    "locust",
    "k6",
    "benchmarks",
    "node_modules",
    "vendor",
];

/// The directory prefix that makes `path` a test, fixture or example file, if any:
/// `tests/fixtures/`, `src/test/` (Maven's test tree), or a template directory named with
/// `{{ }}` (cookiecutter).
fn not_environment_prefix(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let at = dirs.iter().enumerate().position(|(i, d)| {
        let lower = d.to_ascii_lowercase();
        NOT_ENVIRONMENT_DIRS.contains(&lower.as_str())
            || (lower == "test" && i > 0 && dirs[i - 1] == "src")
            || d.contains("{{")
    })?;
    Some(format!("{}/", dirs[..=at].join("/")))
}

/// Set aside the files under test, fixture, example and template paths, one entry per
/// directory that holds configuration-looking files.
fn set_aside_test_paths(files: Vec<String>, skipped: &mut Vec<Skipped>) -> Vec<String> {
    let mut kept = Vec::with_capacity(files.len());
    let mut aside: BTreeMap<String, usize> = BTreeMap::new();
    for f in files {
        match not_environment_prefix(&f) {
            Some(prefix) => {
                if looks_like_configuration(&f) {
                    *aside.entry(prefix).or_default() += 1;
                }
            }
            None => kept.push(f),
        }
    }
    for (prefix, count) in aside {
        skipped.push(Skipped {
            files: vec![prefix],
            reason: format!(
                "{count} configuration file(s) under a test, fixture, example or template path; bind them in [sources] of envparity.toml to compare them"
            ),
        });
    }
    kept
}

pub(crate) fn looks_like_configuration(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [
        ".yml", ".yaml", ".tf", ".tfvars", ".json", ".toml", ".conf", ".hcl",
    ]
    .iter()
    .any(|e| name.ends_with(e))
        || name == ".env"
        || name.starts_with(".env.")
}

/// Find the environments and their sources.
pub fn discover(workspace: &Workspace) -> Result<Plan> {
    let mut skipped = Vec::new();
    let walked = walk::walk_tree(workspace)?;
    let mut notes = walk_notes(&walked);
    let all = walked.files;
    let named = config::named_environments(workspace, &all)?;
    let files = set_aside_test_paths(all, &mut skipped);
    let bound = config::bindings(workspace, &files)?;
    let compose = compose::find(workspace, &files, &named, &mut skipped);
    let mut candidates = compose.candidates;
    candidates.extend(terraform::find(workspace, &files));
    candidates.extend(kubernetes::find(workspace, &files, &mut notes));
    candidates.extend(dotenv::find(&files));
    candidates.extend(appconfig::find(&files));
    candidates.extend(serverfiles::find(&files));
    if let Some(local) = compose.local_only {
        if candidates.iter().any(|c| !c.shared) || !bound.is_empty() {
            skipped.push(Skipped {
                files: local.source.files.clone(),
                reason: format!(
                    "{}, not compared with the deployed environments; bind it to `local` in [sources] of envparity.toml to compare it",
                    local.source.reason
                ),
            });
        } else {
            candidates.push(local);
        }
    }
    assign_components(&mut candidates);
    // A binding in envparity.toml replaces what names suggest for that environment and kind.
    candidates.retain(|c| {
        c.shared
            || !bound.iter().any(|b| {
                b.source.kind == c.source.kind
                    && canonical_env_name(&b.env) == canonical_env_name(&c.env)
            })
    });
    let mut all = bound;
    all.extend(candidates);
    all.sort_by_key(|c| c.source.kind);
    let mut plan = merge_candidates(all, notes);
    plan.skipped.extend(skipped);
    plan.configuration_files = files.iter().filter(|f| looks_like_configuration(f)).count();
    Ok(plan)
}

/// Directory tails that hold a module's configuration, not name it (`admin/src/main/resources`
/// is module `admin`).
const CONFIG_DIR_TAILS: &[&str] = &[
    "src/main/resources/config",
    "src/main/resources",
    "resources",
    "config",
];

/// The module a configuration directory belongs to: `admin/src/main/resources` -> `admin`,
/// `apps/web` -> `web`; `None` at the repository's root.
fn module_of(dir: &str) -> Option<String> {
    let mut dir = dir;
    for tail in CONFIG_DIR_TAILS {
        if dir == *tail {
            return None;
        }
        if let Some(rest) = dir.strip_suffix(&format!("/{tail}")) {
            dir = rest;
            break;
        }
    }
    dir.rsplit('/')
        .next()
        .filter(|d| !d.is_empty())
        .map(str::to_string)
}

/// App config and dotenv files found in several modules of a monorepo are components of each
/// environment (one service per module), not one environment found twice.
fn assign_components(candidates: &mut [Candidate]) {
    for kind in [SourceKind::AppConfig, SourceKind::Dotenv] {
        let dir_of = |c: &Candidate| {
            let file = c.source.files.last().map(String::as_str).unwrap_or("");
            file.rsplit_once('/').map_or("", |(d, _)| d).to_string()
        };
        let dirs: std::collections::BTreeSet<String> = candidates
            .iter()
            .filter(|c| c.source.kind == kind)
            .map(dir_of)
            .collect();
        if dirs.len() < 2 {
            continue;
        }
        for c in candidates.iter_mut().filter(|c| c.source.kind == kind) {
            c.source.component = module_of(&dir_of(c));
        }
    }
}

/// A `local` or `test` environment made only of app config or dotenv files (Spring's
/// `application-test.yml`, `.env.test`) is how developers and test runners start the
/// application, not a deployed environment: beside environments that are deployed (Compose,
/// Kubernetes, Terraform), it is set aside.
fn set_aside_profiles(found: &mut BTreeMap<String, EnvPlan>, skipped: &mut Vec<Skipped>) {
    let settings_only = |e: &EnvPlan| {
        e.sources
            .iter()
            .all(|s| matches!(s.kind, SourceKind::AppConfig | SourceKind::Dotenv))
    };
    if found.values().all(settings_only) {
        return;
    }
    let profiles: Vec<String> = found
        .values()
        .filter(|e| matches!(e.name.as_str(), "local" | "test") && settings_only(e))
        .map(|e| e.name.clone())
        .collect();
    for name in profiles {
        if let Some(env) = found.remove(&name) {
            skipped.push(Skipped {
                files: env.files(),
                reason: format!(
                    "the application's `{name}` profile, beside deployed environments; bind it in [sources] of envparity.toml to compare it"
                ),
            });
        }
    }
}

/// Whether a source of this kind describes Kubernetes objects (a Compose base is never shared
/// with such an environment: they do not run it).
fn is_kubernetes_family(kind: SourceKind) -> bool {
    matches!(
        kind,
        SourceKind::Kubernetes | SourceKind::Kustomize | SourceKind::HelmValues
    )
}

/// Group candidates by canonical environment name; a second candidate of the same kind for the
/// same environment is ambiguous, so the first is kept and a note says so.
fn merge_candidates(candidates: Vec<Candidate>, mut notes: Vec<Note>) -> Plan {
    let mut found: BTreeMap<String, EnvPlan> = BTreeMap::new();
    let mut skipped = Vec::new();
    let (shared, candidates): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(|c| c.shared);
    let (fallbacks, candidates): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(|c| c.if_found);
    for c in candidates {
        let name = canonical_env_name(&c.env);
        let env = found.entry(name.clone()).or_insert_with(|| EnvPlan {
            name: name.clone(),
            sources: Vec::new(),
        });
        // Several charts' values files are several sources, not an ambiguity.
        let existing = env.sources.iter().find(|s| {
            s.kind == c.source.kind
                && s.component == c.source.component
                && s.kind != SourceKind::HelmValues
        });
        match existing {
            Some(existing) => notes.push(Note {
                origin: None,
                message: format!(
                    "environment `{name}` found twice; using {} and ignoring {} (state it with --env)",
                    existing.files.join(" + "),
                    c.source.files.join(" + ")
                ),
            }),
            None => env.sources.push(c.source),
        }
    }
    set_aside_profiles(&mut found, &mut skipped);
    join_fallbacks(&mut found, fallbacks);
    // Shared bases: into every environment lacking that kind; with no environment at all, a
    // shared Compose file is read as one environment `default` (nothing else is worth a report
    // on its own).
    if found.is_empty() {
        if let Some(c) = shared.iter().find(|c| c.source.kind == SourceKind::Compose) {
            notes.push(Note {
                origin: None,
                message: format!(
                    "only `{}` found, with no per-environment file; it is read as one environment `default`",
                    c.source.files.join(" + ")
                ),
            });
            let mut source = c.source.clone();
            source.reason = format!("`{}` alone", source.files.join(" + "));
            found.insert(
                "default".into(),
                EnvPlan {
                    name: "default".into(),
                    sources: vec![source],
                },
            );
        }
    } else {
        for c in &shared {
            let mut taken = false;
            for env in found.values_mut() {
                let kubernetes = env.sources.iter().any(|s| is_kubernetes_family(s.kind));
                if c.source.kind == SourceKind::Compose && kubernetes {
                    continue;
                }
                if !env
                    .sources
                    .iter()
                    .any(|s| s.kind == c.source.kind && s.component == c.source.component)
                {
                    env.sources.push(c.source.clone());
                    taken = true;
                }
            }
            if !taken && c.source.kind == SourceKind::Compose {
                skipped.push(Skipped {
                    files: c.source.files.clone(),
                    reason: "a Compose file with no environment of its own, beside environments deployed to Kubernetes; bind it in [sources] of envparity.toml to compare it".into(),
                });
            }
        }
    }
    let mut environments: Vec<EnvPlan> = found.into_values().collect();
    for env in &mut environments {
        env.sources.sort_by_key(|s| s.kind);
    }
    environments.sort_by_key(|e| env_rank(&e.name));
    Plan {
        environments,
        skipped,
        notes,
        configuration_files: 0,
    }
}

/// Each `if_found` candidate joins its environment when that exists, is not deployed to
/// Kubernetes, and has no source of the candidate's kind.
fn join_fallbacks(found: &mut BTreeMap<String, EnvPlan>, fallbacks: Vec<Candidate>) {
    for c in fallbacks {
        let Some(env) = found.get_mut(&canonical_env_name(&c.env)) else {
            continue;
        };
        let taken = env.sources.iter().any(|s| {
            is_kubernetes_family(s.kind)
                || (s.kind == c.source.kind && s.component == c.source.component)
        });
        if !taken {
            env.sources.push(c.source);
        }
    }
}

/// Files of one kind are read together, in the order given. A Terraform file brings its
/// module: the `.tf` files beside it and the tfvars Terraform loads itself.
pub(crate) fn group_by_kind(
    files: &[String],
    reason: &str,
    all_files: &mut Option<Vec<String>>,
    workspace: &Workspace,
) -> Result<Vec<SourcePlan>> {
    let mut sources: Vec<SourcePlan> = Vec::new();
    for f in files {
        let mut kind = SourceKind::of_file(f);
        // YAML named like nothing in particular: Kubernetes if its content is manifests.
        if kind == SourceKind::Compose
            && (f.ends_with(".yaml") || f.ends_with(".yml") || f.ends_with(".json"))
            && workspace
                .read_text(f)
                .is_ok_and(|t| kubernetes::looks_like_manifest(&t))
        {
            kind = SourceKind::Kubernetes;
        }
        match sources.iter_mut().find(|s| s.kind == kind) {
            Some(s) => s.files.push(f.clone()),
            None => sources.push(SourcePlan {
                kind,
                files: vec![f.clone()],
                reason: reason.to_string(),
                component: None,
            }),
        }
    }
    for s in &mut sources {
        if s.kind == SourceKind::Terraform {
            if all_files.is_none() {
                *all_files = Some(walk(workspace)?);
            }
            s.files = terraform::with_module(all_files.as_deref().unwrap_or_default(), &s.files);
        }
    }
    Ok(sources)
}

/// Environments stated on the command line: `NAME=FILE[,FILE...]`, files relative to the root.
pub fn explicit(workspace: &Workspace, specs: &[String]) -> Result<Plan> {
    let mut environments: Vec<EnvPlan> = Vec::new();
    let mut all_files: Option<Vec<String>> = None;
    for spec in specs {
        let Some((name, files)) = spec.split_once('=') else {
            return Err(Error::msg(format!(
                "--env `{spec}`: expected NAME=FILE[,FILE...]"
            )));
        };
        let name = canonical_env_name(name);
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::msg(format!(
                "--env `{spec}`: the environment name must be letters, digits, - or _"
            )));
        }
        let files: Vec<String> = files
            .split(',')
            .map(|f| f.trim().trim_start_matches("./").to_string())
            .filter(|f| !f.is_empty())
            .collect();
        if files.is_empty() {
            return Err(Error::msg(format!("--env `{spec}`: no files given")));
        }
        for f in &files {
            workspace.resolve(f)?;
        }
        if environments.iter().any(|e| e.name == name) {
            return Err(Error::msg(format!(
                "--env: environment `{name}` given twice"
            )));
        }
        let sources = group_by_kind(&files, "stated with --env", &mut all_files, workspace)?;
        environments.push(EnvPlan { name, sources });
    }
    environments.sort_by_key(|e| env_rank(&e.name));
    Ok(Plan {
        environments,
        ..Plan::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_keep_their_environment() {
        assert_eq!(canonical_env_name("Prod/Blue"), "production/blue");
        assert_eq!(slot_environment("production/green"), "production");
        assert_eq!(slot_environment("staging"), "staging");
        assert!(covers_environment("production", "production/blue"));
        assert!(covers_environment("staging", "staging"));
        assert!(!covers_environment("production", "preprod"));
        assert!(env_rank("staging") < env_rank("production/blue"));
        assert!(env_rank("production/blue") < env_rank("production/green"));
        assert!(env_rank("preprod") < env_rank("production/blue"));
    }

    #[test]
    fn aliases_map_to_canonical_names() {
        assert_eq!(canonical_env_name("prod"), "production");
        assert_eq!(canonical_env_name("Stage"), "staging");
        assert_eq!(canonical_env_name("dev"), "development");
        assert_eq!(canonical_env_name("local"), "local");
        assert_eq!(canonical_env_name("eu-west"), "eu-west");
    }

    #[test]
    fn environments_are_ordered_lowest_to_highest() {
        let mut v = vec!["production", "development", "staging", "eu"];
        v.sort_by_key(|e| env_rank(e));
        assert_eq!(v, ["development", "eu", "staging", "production"]);
    }

    fn plan_of(files: &[&str]) -> Vec<(String, Vec<String>)> {
        let files: Vec<(&str, &str)> = files.iter().map(|f| (*f, "services: {}\n")).collect();
        plan_with(&files)
    }

    /// The plan of a repository of (path, content) files: each environment and its files.
    fn plan_with(files: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        for (f, content) in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        let ws = Workspace::open(dir.path()).unwrap();
        discover(&ws)
            .unwrap()
            .environments
            .into_iter()
            .map(|e| (e.name.clone(), e.files()))
            .collect()
    }

    #[test]
    fn base_plus_overrides() {
        assert_eq!(
            plan_of(&[
                "docker-compose.yml",
                "docker-compose.prod.yml",
                "docker-compose.staging.yml",
                "README.md"
            ]),
            vec![
                (
                    "staging".into(),
                    vec![
                        "docker-compose.yml".into(),
                        "docker-compose.staging.yml".into()
                    ]
                ),
                (
                    "production".into(),
                    vec![
                        "docker-compose.yml".into(),
                        "docker-compose.prod.yml".into()
                    ]
                ),
            ]
        );
    }

    /// Overrides that could run alone, over a base that cannot be parsed: the base stays in
    /// the plan, so that reading it reports the error (it was silently dropped).
    #[test]
    fn an_unreadable_base_is_still_merged() {
        let service = "services:\n  web:\n    image: shop/web:1\n";
        assert_eq!(
            plan_with(&[
                ("docker-compose.yml", "services: [\n"),
                ("docker-compose.staging.yml", service),
                ("docker-compose.prod.yml", service),
            ]),
            vec![
                (
                    "staging".into(),
                    vec![
                        "docker-compose.yml".into(),
                        "docker-compose.staging.yml".into()
                    ]
                ),
                (
                    "production".into(),
                    vec![
                        "docker-compose.yml".into(),
                        "docker-compose.prod.yml".into()
                    ]
                ),
            ]
        );
    }

    #[test]
    fn standalone_files_and_env_directories() {
        assert_eq!(
            plan_of(&[
                "deploy/compose.staging.yaml",
                "deploy/compose.production.yaml"
            ]),
            vec![
                ("staging".into(), vec!["deploy/compose.staging.yaml".into()]),
                (
                    "production".into(),
                    vec!["deploy/compose.production.yaml".into()]
                ),
            ]
        );
        assert_eq!(
            plan_of(&[
                "envs/prod/docker-compose.yml",
                "envs/dev/docker-compose.yml"
            ]),
            vec![
                (
                    "development".into(),
                    vec!["envs/dev/docker-compose.yml".into()]
                ),
                (
                    "production".into(),
                    vec!["envs/prod/docker-compose.yml".into()]
                ),
            ]
        );
    }

    #[test]
    fn explicit_environments_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yml"), "services: {}\n").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let plan = explicit(&ws, &["prod=a.yml".into()]).unwrap();
        assert_eq!(plan.environments[0].name, "production");
        assert!(explicit(&ws, &["prod".into()])
            .unwrap_err()
            .message
            .contains("NAME=FILE"));
        assert_eq!(
            explicit(&ws, &["x=missing.yml".into()])
                .unwrap_err()
                .to_string(),
            "missing.yml: file not found"
        );
    }
}
