//! Compose layouts: `docker-compose.<env>.yml` (also `.yaml`, `compose.<env>.yaml`,
//! `docker-compose-<env>.yml`) merged over `docker-compose.yml` / `compose.yaml` in the same
//! directory, and `<env>/docker-compose.yml` where the directory is named after an environment.

use std::collections::BTreeMap;

use super::{canonical_env_name, is_env_word, Candidate, SourceKind};
use crate::model::Note;

/// Base file names, in Compose's order of preference.
const BASE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// If `file_name` is a Compose file for one environment, that environment's written name.
pub fn env_of(file_name: &str) -> Option<&str> {
    let stem = file_name
        .strip_suffix(".yml")
        .or_else(|| file_name.strip_suffix(".yaml"))?;
    let rest = stem
        .strip_prefix("docker-compose")
        .or_else(|| stem.strip_prefix("compose"))?;
    let env = rest.strip_prefix('.').or_else(|| rest.strip_prefix('-'))?;
    (!env.is_empty() && !env.contains('.')).then_some(env)
}

#[derive(Default)]
struct DirFiles {
    bases: Vec<String>,
    envs: Vec<(String, String)>,
}

/// Compose candidates among the repository's files.
pub fn find(files: &[String], _notes: &mut Vec<Note>) -> Vec<Candidate> {
    let mut dirs: BTreeMap<&str, DirFiles> = BTreeMap::new();
    for path in files {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        if BASE_NAMES.contains(&name) {
            dirs.entry(dir).or_default().bases.push(name.to_string());
        } else if let Some(env) = env_of(name) {
            dirs.entry(dir)
                .or_default()
                .envs
                .push((env.to_string(), name.to_string()));
        }
    }
    for files in dirs.values_mut() {
        files
            .bases
            .sort_by_key(|b| BASE_NAMES.iter().position(|n| n == b));
    }

    let mut out = Vec::new();
    for (dir, files) in &dirs {
        let path = |name: &str| {
            if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            }
        };
        let base = files.bases.first().map(|b| path(b));
        for (written, file) in &files.envs {
            let (env, reason) = if written == "override" {
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
                (written.clone(), reason)
            };
            let mut env_files: Vec<String> = base.iter().cloned().collect();
            env_files.push(path(file));
            let reason = match &base {
                Some(b) => format!("{reason}, merged over the shared base `{b}`"),
                None => reason,
            };
            out.push(Candidate::for_env(
                env,
                SourceKind::Compose,
                env_files,
                reason,
            ));
        }
        // `staging/docker-compose.yml`: the directory names the environment.
        if files.envs.is_empty() {
            if let (Some(base), Some(dir_name)) = (&base, dir.rsplit('/').next()) {
                if is_env_word(dir_name) {
                    out.push(Candidate::for_env(
                        dir_name,
                        SourceKind::Compose,
                        vec![base.clone()],
                        format!("directory `{dir}` is named after the environment"),
                    ));
                }
            }
        }
    }
    if out.is_empty() {
        // A lone base file: shared by the environments other sources find, or read as one
        // environment `default` when there are none (see `merge_candidates`).
        if let Some((dir, files)) = dirs.iter().find(|(_, f)| !f.bases.is_empty()) {
            let file = if dir.is_empty() {
                files.bases[0].clone()
            } else {
                format!("{dir}/{}", files.bases[0])
            };
            out.push(Candidate::shared(
                SourceKind::Compose,
                vec![file.clone()],
                format!("`{file}`, the only Compose file, shared by every environment"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_file_names() {
        assert_eq!(env_of("docker-compose.staging.yml"), Some("staging"));
        assert_eq!(env_of("compose.prod.yaml"), Some("prod"));
        assert_eq!(env_of("docker-compose-dev.yml"), Some("dev"));
        assert_eq!(env_of("docker-compose.yml"), None);
        assert_eq!(env_of("docker-compose.a.b.yml"), None);
        assert_eq!(env_of("values.staging.yml"), None);
    }
}
