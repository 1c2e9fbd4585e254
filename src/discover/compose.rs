//! Compose layouts, read the way teams run them.
//!
//! In each directory: a base (`compose.yaml`, `docker-compose.yml`, ...) and files named for an
//! environment (`docker-compose.<env>.yml`, `compose-<env>.yaml`, `<env>.docker-compose.yml`,
//! cookiecutter-django's bare `<env>.yml` with `services:`). A file for an environment is either
//! an *override*, merged over the base (`docker compose -f base -f env`), or *standalone*, read
//! alone (`docker compose -f env`): standalone when every service in it has an `image` or a
//! `build` and it does not lean on the base (the base is a development file, or the file
//! redefines fewer than half of the base's services). A base with development markers (see
//! `devmarkers`) is the `local` environment rather than a base of staging. Suffixes that are not
//! environment names (`docker-compose.coolify.yml`, `docker-compose.e2e.yml`) are variants:
//! listed by `discover`, compared only when `envparity.toml` names them in `[environments]`.
//! `<env>/docker-compose.yml` counts where the directory is named after an environment.

use std::collections::BTreeMap;

use super::devmarkers::ComposeShape;
use super::{canonical_env_name, is_env_word, join, Candidate, Skipped, SourceKind};
use crate::sources::Workspace;

/// Base file names, in Compose's order of preference.
const BASE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// If `file_name` is a Compose file for one environment or variant, its suffix as written:
/// `docker-compose.staging.yml`, `compose-prod.yaml`, `local.docker-compose.yml`.
pub fn env_of(file_name: &str) -> Option<&str> {
    let stem = file_name
        .strip_suffix(".yml")
        .or_else(|| file_name.strip_suffix(".yaml"))?;
    let after = stem
        .strip_prefix("docker-compose")
        .or_else(|| stem.strip_prefix("compose"))
        .and_then(|rest| rest.strip_prefix('.').or_else(|| rest.strip_prefix('-')));
    let before = || {
        stem.strip_suffix("docker-compose")
            .and_then(|rest| rest.strip_suffix('.').or_else(|| rest.strip_suffix('-')))
    };
    let env = after.or_else(before)?;
    (!env.is_empty() && !env.contains('.')).then_some(env)
}

/// What a suffix makes of a file.
#[derive(Debug, PartialEq)]
enum Suffix {
    /// An environment: its canonical name.
    Environment(String),
    /// Compose's own `docker-compose.override.yml`, applied to every local `docker compose up`.
    LocalOverride,
    /// Something else: a hosting variant, a test stack, a component.
    Variant,
}

fn classify(written: &str, named: &[String]) -> Suffix {
    let canonical = canonical_env_name(written);
    if written.eq_ignore_ascii_case("override") {
        Suffix::LocalOverride
    } else if is_env_word(written) || named.contains(&canonical) {
        Suffix::Environment(canonical)
    } else {
        Suffix::Variant
    }
}

#[derive(Default)]
struct DirFiles {
    bases: Vec<String>,
    /// (suffix as written, file name)
    envs: Vec<(String, String)>,
}

/// Group the Compose files of the repository by directory.
fn by_directory<'a>(
    workspace: &Workspace,
    files: &'a [String],
    named: &[String],
) -> BTreeMap<&'a str, DirFiles> {
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
        } else if let Some(env) = bare_env_file(workspace, path, name, named) {
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
    dirs
}

/// cookiecutter-django's `local.yml` / `production.yml`: a file named only for an environment
/// whose content is a Compose file (top-level `services` whose services have an image or build).
fn bare_env_file<'n>(
    workspace: &Workspace,
    path: &str,
    name: &'n str,
    named: &[String],
) -> Option<&'n str> {
    let stem = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))?;
    if !(is_env_word(stem) || named.contains(&canonical_env_name(stem))) {
        return None;
    }
    let shape = ComposeShape::read(workspace, path)?;
    shape.is_standalone().then_some(stem)
}

/// What the Compose files of a repository make.
pub struct Found {
    pub candidates: Vec<Candidate>,
    /// A lone development file (no file for any environment beside it): the `local`
    /// environment when nothing else names environments, left out beside those that do.
    pub local_only: Option<Candidate>,
}

/// Compose candidates among the repository's files; variants go to `skipped`.
pub fn find(
    workspace: &Workspace,
    files: &[String],
    named: &[String],
    skipped: &mut Vec<Skipped>,
) -> Found {
    let dirs = by_directory(workspace, files, named);
    parse_all(workspace, &dirs);
    let mut candidates = Vec::new();
    for (dir, files) in &dirs {
        candidates.extend(directory_candidates(workspace, dir, files, named, skipped));
    }
    let mut local_only = None;
    if candidates.is_empty() {
        match lone_base(workspace, &dirs) {
            Some(LoneBase::Development(c)) => local_only = Some(c),
            Some(LoneBase::Shared(c)) => candidates.push(c),
            None => {}
        }
    }
    Found {
        candidates,
        local_only,
    }
}

/// Parse every Compose file on every core at once: the shapes below are then read from the
/// parses, which the environments reading the files take over.
fn parse_all(workspace: &Workspace, dirs: &BTreeMap<&str, DirFiles>) {
    use rayon::prelude::*;
    let paths: Vec<String> = dirs
        .iter()
        .flat_map(|(dir, f)| {
            let bases = f.bases.first().into_iter();
            bases
                .chain(f.envs.iter().map(|(_, file)| file))
                .map(|file| join(dir, file))
        })
        .collect();
    paths.par_iter().for_each(|path| {
        ComposeShape::parse(workspace, path);
    });
}

/// The candidates of one directory's Compose files.
fn directory_candidates(
    workspace: &Workspace,
    dir: &str,
    files: &DirFiles,
    named: &[String],
    skipped: &mut Vec<Skipped>,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let base = files.bases.first().map(|b| join(dir, b));
    let base_shape = base
        .as_deref()
        .and_then(|b| ComposeShape::read(workspace, b));
    let dev_base = base_shape
        .as_ref()
        .is_some_and(ComposeShape::is_development);
    let mut has_local = false;
    // The base is shown to be deployed only when a deployed environment overrides it; an
    // override by `local` alone says nothing of how the base runs elsewhere.
    let mut deployed_over_base = false;
    let mut has_production = false;
    for (written, file) in &files.envs {
        let path = join(dir, file);
        let (env, reason) = match classify(written, named) {
            Suffix::Variant => {
                skipped.push(Skipped {
                    files: vec![path],
                    reason: format!(
                        "`{written}` is not an environment name (a variant or component); list it in [environments] extra of envparity.toml to compare it"
                    ),
                });
                continue;
            }
            Suffix::LocalOverride => (
                "local".to_string(),
                "Compose's override file, applied to local runs".to_string(),
            ),
            Suffix::Environment(name) if name == *written => (name, format!("file name `{file}`")),
            Suffix::Environment(name) => {
                let reason = format!("file name `{file}` (`{written}` means {name})");
                (name, reason)
            }
        };
        has_local |= env == "local";
        has_production |= canonical_env_name(&env) == "production";
        let own = ComposeShape::read(workspace, &path);
        let standalone = match (&base, &base_shape) {
            // A base discovery cannot read (broken YAML, over a size limit) is still merged:
            // reading it then reports why, at its file, instead of the base silently vanishing.
            (Some(_), None) => false,
            _ => own
                .as_ref()
                .is_some_and(|s| s.stands_alone_beside(base_shape.as_ref(), dev_base)),
        };
        deployed_over_base |= base.is_some() && !standalone && !is_developer_env(&env);
        let (env_files, reason) = match &base {
            Some(b) if !standalone => (
                vec![b.clone(), path],
                format!("{reason}, merged over the shared base `{b}`"),
            ),
            Some(b) => (
                vec![path],
                format!(
                    "{reason}, standalone: every service has an image or a build{}, so `{b}` is not merged under it",
                    if dev_base {
                        " and the base is a development file"
                    } else {
                        ""
                    }
                ),
            ),
            None => (vec![path], reason),
        };
        out.push(Candidate::for_env(
            env,
            SourceKind::Compose,
            env_files,
            reason,
        ));
    }
    if let (Some(b), Some(shape)) = (&base, &base_shape) {
        if dev_base && !has_local && !files.envs.is_empty() {
            out.push(Candidate::for_env(
                "local",
                SourceKind::Compose,
                vec![b.clone()],
                format!(
                    "`{b}` is the local development file ({})",
                    shape.dev_markers.join(", ")
                ),
            ));
        }
    }
    // Overrides for some environments and none for production: production (when another
    // source finds it) runs the base alone, as `docker compose up` would.
    if let Some(b) = base
        .as_ref()
        .filter(|_| deployed_over_base && !dev_base && !has_production)
    {
        out.push(Candidate::if_found(
            "production",
            SourceKind::Compose,
            vec![b.clone()],
            format!("`{b}` alone: the base the other environments override, and production has no override of its own"),
        ));
    }
    // `staging/docker-compose.yml`, `shop-prod/compose.yaml`: the directory names the
    // environment.
    if files.envs.is_empty() {
        if let (Some(base), Some(env)) = (&base, dir_env(dir, named)) {
            out.push(Candidate::for_env(
                env,
                SourceKind::Compose,
                vec![base.clone()],
                format!("directory `{dir}` is named after the environment"),
            ));
        }
    }
    out
}

/// `local` and `development` run on a developer's machine, not as a deployment.
fn is_developer_env(env: &str) -> bool {
    matches!(canonical_env_name(env).as_str(), "local" | "development")
}

/// The environment a directory's own name states: `staging`, `shop-prod` (`<app>-<env>`),
/// or a name `envparity.toml` lists.
fn dir_env<'d>(dir: &'d str, named: &[String]) -> Option<&'d str> {
    let name = dir.rsplit('/').next().filter(|n| !n.is_empty())?;
    // `prod/blue/`: a slot of the environment its parent names.
    if super::is_slot_word(name) {
        let parent = dir[..dir.len() - name.len()].trim_end_matches('/');
        let parent_name = parent.rsplit('/').next().unwrap_or(parent);
        if !parent_name.is_empty() && dir_env(parent, named) == Some(parent_name) {
            return Some(&dir[dir.len() - name.len() - parent_name.len() - 1..]);
        }
        return None;
    }
    if is_env_word(name) || named.contains(&canonical_env_name(name)) {
        return Some(name);
    }
    let words: Vec<&str> = name.split(['-', '_', '.']).collect();
    let envs: Vec<&&str> = words.iter().filter(|w| is_env_word(w)).collect();
    // Exactly one environment word, last: `shop-prod`, not `prod-to-staging` or `dev-tools`.
    match envs.as_slice() {
        [only] if words.last() == Some(*only) => Some(only),
        _ => None,
    }
}

enum LoneBase {
    Shared(Candidate),
    Development(Candidate),
}

/// A lone base file: shared by the environments other sources find, or read as one
/// environment when there are none (see `merge_candidates`). A development file is never
/// shared: it is the `local` environment, or left out beside other kinds' environments.
fn lone_base(workspace: &Workspace, dirs: &BTreeMap<&str, DirFiles>) -> Option<LoneBase> {
    let (dir, files) = dirs.iter().find(|(_, f)| !f.bases.is_empty())?;
    let file = join(dir, &files.bases[0]);
    match ComposeShape::read(workspace, &file).filter(ComposeShape::is_development) {
        Some(shape) => Some(LoneBase::Development(Candidate::for_env(
            "local",
            SourceKind::Compose,
            vec![file.clone()],
            format!(
                "`{file}` is a local development file ({})",
                shape.dev_markers.join(", ")
            ),
        ))),
        None => Some(LoneBase::Shared(Candidate::shared(
            SourceKind::Compose,
            vec![file.clone()],
            format!("`{file}`, the only Compose file, shared by every environment"),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_file_names() {
        assert_eq!(env_of("docker-compose.staging.yml"), Some("staging"));
        assert_eq!(env_of("compose.prod.yaml"), Some("prod"));
        assert_eq!(env_of("docker-compose-dev.yml"), Some("dev"));
        assert_eq!(env_of("local.docker-compose.yml"), Some("local"));
        assert_eq!(env_of("docker-compose.yml"), None);
        assert_eq!(env_of("docker-compose.a.b.yml"), None);
        assert_eq!(env_of("values.staging.yml"), None);
    }

    #[test]
    fn directories_named_for_an_environment() {
        assert_eq!(dir_env("deploy/staging", &[]), Some("staging"));
        assert_eq!(dir_env("shop-prod", &[]), Some("prod"));
        assert_eq!(dir_env("apps/shop_staging", &[]), Some("staging"));
        assert_eq!(dir_env("dev-tools", &[]), None);
        assert_eq!(dir_env("prod-to-staging", &[]), None);
        assert_eq!(dir_env("edge", &["edge".into()]), Some("edge"));
        assert_eq!(dir_env("", &[]), None);
    }

    #[test]
    fn only_environment_names_are_environments() {
        assert_eq!(
            classify("prod", &[]),
            Suffix::Environment("production".into())
        );
        assert_eq!(classify("override", &[]), Suffix::LocalOverride);
        assert_eq!(classify("coolify", &[]), Suffix::Variant);
        assert_eq!(
            classify("coolify", &["coolify".into()]),
            Suffix::Environment("coolify".into())
        );
    }
}
