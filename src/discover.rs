//! Finding the environments in a repository and the files behind each.
//!
//! Compose layouts recognised: `docker-compose.<env>.yml` (also `.yaml`, `compose.<env>.yaml`,
//! `docker-compose-<env>.yml`) with `docker-compose.yml` / `compose.yaml` in the same directory
//! as the shared base, and `<env>/docker-compose.yml` where the directory is named after an
//! environment. `--env NAME=FILE[,FILE]` states environments explicitly instead.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Note;
use crate::sources::Workspace;

/// What will be read: each environment and its files in merge order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub environments: Vec<EnvPlan>,
    #[serde(skip)]
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvPlan {
    pub name: String,
    /// Paths relative to the scanned root, base first.
    pub files: Vec<String>,
    /// How the files were found, for `envparity discover`.
    pub reason: String,
}

/// Canonical environment names and the aliases that mean them.
const ALIASES: &[(&str, &[&str])] = &[
    ("production", &["production", "prod", "prd", "live"]),
    ("staging", &["staging", "stage", "stg"]),
    ("development", &["development", "dev", "develop"]),
    ("local", &["local"]),
    ("test", &["test", "testing"]),
    ("qa", &["qa"]),
    ("uat", &["uat"]),
    ("preprod", &["preprod", "pre-prod", "preproduction"]),
    ("sandbox", &["sandbox"]),
    ("demo", &["demo"]),
];

/// The canonical name of an environment: `prod` -> `production`, `stage` -> `staging`.
pub fn canonical_env_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&lower.as_str()))
        .map_or(lower, |(canonical, _)| (*canonical).to_string())
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
    let rank = match name {
        "local" => 0,
        "development" => 1,
        "sandbox" | "demo" => 2,
        "test" => 3,
        "qa" => 4,
        "uat" => 5,
        "staging" => 7,
        "preprod" => 8,
        "production" => 9,
        _ => 6,
    };
    (rank, name.to_string())
}

const BASE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// If `file_name` is a Compose file for one environment, that environment's written name.
fn compose_env_of(file_name: &str) -> Option<&str> {
    let stem = file_name
        .strip_suffix(".yml")
        .or_else(|| file_name.strip_suffix(".yaml"))?;
    let rest = stem
        .strip_prefix("docker-compose")
        .or_else(|| stem.strip_prefix("compose"))?;
    let env = rest.strip_prefix('.').or_else(|| rest.strip_prefix('-'))?;
    (!env.is_empty() && !env.contains('.')).then_some(env)
}

/// Walk the repository and find the environments. Respects `.gitignore` and skips hidden
/// directories; never follows symlinks.
pub fn discover(workspace: &Workspace) -> Result<Plan> {
    let mut dirs: BTreeMap<String, DirFiles> = BTreeMap::new();
    let walker = ignore::WalkBuilder::new(workspace.root())
        .follow_links(false)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| Error::msg(format!("cannot walk the directory: {e}")))?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(workspace.root()) else {
            continue;
        };
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let Some((file_name, dir_parts)) = rel.split_last() else {
            continue;
        };
        let dir = dir_parts.join("/");
        let files = dirs.entry(dir).or_default();
        if BASE_NAMES.contains(&file_name.as_str()) {
            files.bases.push(file_name.clone());
        } else if let Some(env) = compose_env_of(file_name) {
            files.envs.push((env.to_string(), file_name.clone()));
        }
    }

    let mut found: BTreeMap<String, EnvPlan> = BTreeMap::new();
    let mut notes = Vec::new();
    for (dir, files) in &dirs {
        let path = |name: &str| {
            if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            }
        };
        // Compose prefers compose.yaml over docker-compose.yml when both exist.
        let base = files.bases.first().map(|b| path(b));
        let mut candidates: Vec<EnvPlan> = Vec::new();
        for (written, file) in &files.envs {
            let (name, reason) = if written == "override" {
                (
                    "local".to_string(),
                    "Compose's override file, applied to local runs".to_string(),
                )
            } else {
                let name = canonical_env_name(written);
                let reason = if name == *written {
                    format!("file name `{file}`")
                } else {
                    format!("file name `{file}` (`{written}` means {name})")
                };
                (name, reason)
            };
            let mut env_files: Vec<String> = base.iter().cloned().collect();
            env_files.push(path(file));
            let reason = match &base {
                Some(b) => format!("{reason}, merged over the shared base `{b}`"),
                None => reason,
            };
            candidates.push(EnvPlan {
                name,
                files: env_files,
                reason,
            });
        }
        // `staging/docker-compose.yml`: the directory names the environment.
        if files.envs.is_empty() {
            if let (Some(base), Some(dir_name)) = (&base, dir.rsplit('/').next()) {
                if is_env_word(dir_name) {
                    let name = canonical_env_name(dir_name);
                    candidates.push(EnvPlan {
                        name,
                        files: vec![base.clone()],
                        reason: format!("directory `{dir}` is named after the environment"),
                    });
                }
            }
        }
        for plan in candidates {
            match found.get(&plan.name) {
                Some(existing) => notes.push(Note {
                    origin: None,
                    message: format!(
                        "environment `{}` found twice; using {} and ignoring {} (state it with --env)",
                        plan.name,
                        existing.files.join(" + "),
                        plan.files.join(" + ")
                    ),
                }),
                None => {
                    found.insert(plan.name.clone(), plan);
                }
            }
        }
    }
    if found.is_empty() {
        if let Some((dir, files)) = dirs.iter().find(|(_, f)| !f.bases.is_empty()) {
            let file = if dir.is_empty() {
                files.bases[0].clone()
            } else {
                format!("{dir}/{}", files.bases[0])
            };
            notes.push(Note {
                origin: None,
                message: format!(
                    "only `{file}` found, with no per-environment file; it is read as one environment `default`"
                ),
            });
            found.insert(
                "default".into(),
                EnvPlan {
                    name: "default".into(),
                    files: vec![file.clone()],
                    reason: format!("`{file}` alone"),
                },
            );
        }
    }
    let mut environments: Vec<EnvPlan> = found.into_values().collect();
    environments.sort_by_key(|e| env_rank(&e.name));
    Ok(Plan {
        environments,
        notes,
    })
}

#[derive(Default)]
struct DirFiles {
    bases: Vec<String>,
    envs: Vec<(String, String)>,
}

/// Environments stated on the command line: `NAME=FILE[,FILE...]`, files relative to the root.
pub fn explicit(workspace: &Workspace, specs: &[String]) -> Result<Plan> {
    let mut environments: Vec<EnvPlan> = Vec::new();
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
        environments.push(EnvPlan {
            name,
            files,
            reason: "stated with --env".into(),
        });
    }
    environments.sort_by_key(|e| env_rank(&e.name));
    Ok(Plan {
        environments,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_to_canonical_names() {
        assert_eq!(canonical_env_name("prod"), "production");
        assert_eq!(canonical_env_name("Stage"), "staging");
        assert_eq!(canonical_env_name("dev"), "development");
        assert_eq!(canonical_env_name("local"), "local");
        assert_eq!(canonical_env_name("eu-west"), "eu-west");
    }

    #[test]
    fn compose_file_names() {
        assert_eq!(
            compose_env_of("docker-compose.staging.yml"),
            Some("staging")
        );
        assert_eq!(compose_env_of("compose.prod.yaml"), Some("prod"));
        assert_eq!(compose_env_of("docker-compose-dev.yml"), Some("dev"));
        assert_eq!(compose_env_of("docker-compose.yml"), None);
        assert_eq!(compose_env_of("docker-compose.a.b.yml"), None);
        assert_eq!(compose_env_of("values.staging.yml"), None);
    }

    #[test]
    fn environments_are_ordered_lowest_to_highest() {
        let mut v = vec!["production", "development", "staging", "eu"];
        v.sort_by_key(|e| env_rank(e));
        assert_eq!(v, ["development", "eu", "staging", "production"]);
    }

    fn plan_of(files: &[&str]) -> Vec<(String, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "services: {}\n").unwrap();
        }
        let ws = Workspace::open(dir.path()).unwrap();
        discover(&ws)
            .unwrap()
            .environments
            .into_iter()
            .map(|e| (e.name, e.files))
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
