//! Kubernetes layouts: Kustomize overlays (`overlays/<env>/`, `envs/<env>/`,
//! `environments/<env>/`), environment directories anywhere below Kubernetes trees
//! (`clusters/<env>/`, Flux's `apps/<env>/` and `infrastructure/*/<env>/`, `k8s/<env>/`),
//! manifests named after an environment (`staging-namespace.yaml`, `helm-template.prod.yaml`),
//! shared manifests whose namespace is an environment, and Helm values files
//! (`values.yaml` + `values-<env>.yaml` / `values.<env>.yaml`).

use std::collections::BTreeMap;

use super::{is_env_word, Candidate, SourceKind, SourcePlan};
use crate::model::Note;
use crate::sources::Workspace;

pub const KUSTOMIZATION_NAMES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Directories whose every child is an environment.
const OVERLAY_PARENTS: &[&str] = &["overlays", "envs", "environments", "env"];

/// Children of overlay directories that are not environments.
const NOT_ENVS: &[&str] = &[
    "base",
    "bases",
    "common",
    "shared",
    "components",
    "templates",
];

/// Directories that hold shared pieces rather than an environment's manifests.
const SHARED_DIRS: &[&str] = &["base", "bases", "components", "templates", "charts"];

/// `values-staging.yaml` / `values.prod.yml`: the suffix, if this is a values variant (an
/// environment only when the suffix is one, see [`values_env`]).
fn values_suffix(name: &str) -> Option<&str> {
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    let suffix = stem
        .strip_prefix("values-")
        .or_else(|| stem.strip_prefix("values."))?;
    (!suffix.is_empty() && !suffix.contains('.')).then_some(suffix)
}

/// `values-staging.yaml` / `values.prod.yml`: the environment's name, if this is an override for
/// one. `values-nomaria.yaml` or `values-sku-x.yaml` are variants, not environments.
pub fn values_env(name: &str) -> Option<&str> {
    values_suffix(name).filter(|s| is_env_word(s))
}

/// Whether a file name is a Helm values file (the base, an override or a variant).
pub fn is_values_file(name: &str) -> bool {
    matches!(name, "values.yaml" | "values.yml") || values_suffix(name).is_some()
}

/// An environment's values override and the directory it belongs to: `values-<env>.yaml` and
/// `values.<env>.yaml` belong to their directory, `values/<env>.yaml` to the directory holding
/// `values/`.
fn values_override(path: &str) -> Option<(&str, &str)> {
    let (dir, name) = split(path);
    if let Some(env) = values_env(name) {
        return Some((dir, env));
    }
    let (anchor, values_dir) = split(dir);
    let env = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    (values_dir == "values" && is_env_word(env)).then_some((anchor, env))
}

/// The chart an override in `anchor` is for: the chart in `anchor`, else the one chart directly
/// below it (`helm_deploy/values-prod.yaml` for `helm_deploy/<chart>/Chart.yaml`).
fn chart_for<'a>(anchor: &str, charts: &[&'a str]) -> Option<&'a str> {
    if let Some(c) = charts.iter().find(|c| **c == anchor) {
        return Some(c);
    }
    let below: Vec<&&str> = charts
        .iter()
        .filter(|c| c.rsplit_once('/').map_or("", |(p, _)| p) == anchor && !c.is_empty())
        .collect();
    match below[..] {
        [one] => Some(one),
        _ => None,
    }
}

/// A cheap look at a file's text: does it declare Kubernetes objects?
pub fn looks_like_manifest(text: &str) -> bool {
    let yaml = text.lines().any(|l| l.starts_with("apiVersion:"))
        && text.lines().any(|l| l.starts_with("kind:"));
    let trimmed = text.trim_start();
    let json =
        trimmed.starts_with('{') && text.contains("\"apiVersion\"") && text.contains("\"kind\"");
    yaml || json || text.lines().any(|l| l.starts_with("- apiVersion:"))
}

/// The environment a directory path names, and the directory up to it.
fn env_dir(dir: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let under_overlays =
            i > 0 && OVERLAY_PARENTS.contains(&parts[i - 1]) && !NOT_ENVS.contains(part);
        if under_overlays || is_env_word(part) {
            // `overlays/prod/blue`: a slot of production, read as its own column.
            if let Some(slot) = parts.get(i + 1).filter(|s| super::is_slot_word(s)) {
                return Some((format!("{part}/{slot}"), parts[..=i + 1].join("/")));
            }
            return Some((part.to_string(), parts[..=i].join("/")));
        }
    }
    None
}

/// The environment a file name names (`staging-namespace.yaml`): exactly one env token.
fn env_of_name(name: &str) -> Option<String> {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let envs: Vec<&str> = stem
        .split(['-', '_', '.'])
        .filter(|t| is_env_word(t))
        .collect();
    match envs[..] {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// The environments a shared manifest's namespaces name (`namespace: staging`).
fn namespace_envs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("namespace:"))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        .filter(|v| is_env_word(v))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn is_manifest_name(name: &str) -> bool {
    (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
        && !is_values_file(name)
}

#[derive(Default)]
struct EnvFound {
    kustomizations: Vec<String>,
    manifests: Vec<String>,
    reasons: Vec<String>,
}

/// Kubernetes candidates among the repository's files.
pub fn find(workspace: &Workspace, files: &[String], _notes: &mut Vec<Note>) -> Vec<Candidate> {
    let mut found: BTreeMap<String, EnvFound> = BTreeMap::new();

    // Kustomizations in environment directories: the top-most one of each directory tree.
    let mut env_kustomization_dirs: Vec<String> = Vec::new();
    for file in files {
        let (dir, name) = split(file);
        if !KUSTOMIZATION_NAMES.contains(&name) {
            continue;
        }
        let Some((env, _)) = env_dir(dir) else {
            continue;
        };
        if env_kustomization_dirs
            .iter()
            .any(|d| dir.starts_with(&format!("{d}/")))
        {
            continue;
        }
        // A Flux `Kustomization` object in a file of that name is a manifest.
        let text = workspace.read_text(file).unwrap_or_default();
        if text.contains("kustomize.toolkit.fluxcd.io") {
            continue;
        }
        env_kustomization_dirs.push(dir.to_string());
        let e = found.entry(env).or_default();
        e.kustomizations.push(file.clone());
        e.reasons.push(format!("Kustomize overlay `{dir}`"));
    }
    let covered = |dir: &str| {
        env_kustomization_dirs
            .iter()
            .any(|k| dir == k || dir.starts_with(&format!("{k}/")))
    };

    for file in files {
        let (dir, name) = split(file);
        if is_values_file(name) {
            continue;
        }
        if !is_manifest_name(name) || KUSTOMIZATION_NAMES.contains(&name) || covered(dir) {
            continue;
        }
        let in_shared = dir.split('/').any(|p| SHARED_DIRS.contains(&p));
        let by_dir = env_dir(dir).filter(|_| !in_shared);
        let by_name = || env_of_name(name).filter(|_| !in_shared);
        let (env, reason) = match (by_dir, by_name()) {
            (Some((env, d)), _) => (vec![env], format!("manifests in `{d}`")),
            (None, Some(env)) => (vec![env], format!("`{file}` named after the environment")),
            (None, None) => {
                if in_shared {
                    continue;
                }
                let Ok(text) = workspace.read_text(file) else {
                    continue;
                };
                let envs = namespace_envs(&text);
                if envs.is_empty() || !looks_like_manifest(&text) {
                    continue;
                }
                let reason = format!("`{file}` declares the environment's namespace");
                for env in envs {
                    let e = found.entry(env).or_default();
                    e.manifests.push(file.clone());
                    e.reasons.push(reason.clone());
                }
                continue;
            }
        };
        match workspace.read_text(file) {
            Ok(text) if looks_like_manifest(&text) => {}
            _ => continue,
        }
        for env in env {
            let e = found.entry(env).or_default();
            e.manifests.push(file.clone());
            if !e.reasons.contains(&reason) {
                e.reasons.push(reason.clone());
            }
        }
    }

    let mut out = Vec::new();
    for (env, e) in found {
        if !e.kustomizations.is_empty() {
            out.push(Candidate {
                shared: false,
                if_found: false,
                env: env.clone(),
                source: SourcePlan {
                    kind: SourceKind::Kustomize,
                    files: e.kustomizations,
                    reason: e
                        .reasons
                        .iter()
                        .filter(|r| r.starts_with("Kustomize"))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; "),
                    component: None,
                },
            });
        }
        if !e.manifests.is_empty() {
            out.push(Candidate {
                shared: false,
                if_found: false,
                env,
                source: SourcePlan {
                    kind: SourceKind::Kubernetes,
                    files: e.manifests,
                    reason: e
                        .reasons
                        .iter()
                        .filter(|r| !r.starts_with("Kustomize"))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; "),
                    component: None,
                },
            });
        }
    }
    out.extend(helm_candidates(workspace, files));
    out
}

/// Helm values: per chart and environment, the chart's `values.yaml` (beside `Chart.yaml`)
/// under the environment's overrides, wherever they sit; overrides with no chart found are
/// read over the `values.yaml` of their own directory.
fn helm_candidates(workspace: &Workspace, files: &[String]) -> Vec<Candidate> {
    let charts: Vec<&str> = files
        .iter()
        .filter(|f| split(f).1 == "Chart.yaml")
        .map(|f| split(f).0)
        .collect();
    let base_in = |dir: &str| {
        ["values.yaml", "values.yml"]
            .iter()
            .map(|n| super::join(dir, n))
            .find(|f| workspace.is_file(f))
    };
    // (chart or directory, env) -> override files, in path order.
    let mut overrides: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        if let Some((anchor, env)) = values_override(file) {
            let home = chart_for(anchor, &charts).unwrap_or(anchor);
            overrides
                .entry((home.to_string(), env.to_string()))
                .or_default()
                .push(file.clone());
        }
    }
    overrides
        .into_iter()
        .map(|((home, env), over)| {
            let base = base_in(&home);
            let mut files: Vec<String> = base.iter().cloned().collect();
            files.extend(over.iter().cloned());
            let over = over.join("`, `");
            let reason = match &base {
                Some(b) => format!("Helm values `{over}` merged over `{b}`"),
                None => format!("Helm values `{over}`"),
            };
            Candidate {
                shared: false,
                if_found: false,
                env,
                source: SourcePlan {
                    kind: SourceKind::HelmValues,
                    files,
                    reason,
                    component: None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_directories() {
        assert_eq!(values_env("values-staging.yaml"), Some("staging"));
        assert_eq!(values_env("values.prod.yml"), Some("prod"));
        assert_eq!(values_env("values.yaml"), None);
        // Only environment names make environments; other suffixes are variants.
        assert_eq!(values_env("values-nomaria.yaml"), None);
        assert_eq!(values_env("values-sku-x.yaml"), None);
        assert!(is_values_file("values-nomaria.yaml"));
        assert_eq!(
            values_override("helm/values/production.yaml"),
            Some(("helm", "production"))
        );
        assert_eq!(values_override("helm/values/common.yaml"), None);
        assert_eq!(
            values_override("helm_deploy/values-uat.yaml"),
            Some(("helm_deploy", "uat"))
        );
        let charts = ["helm_deploy/api", "chart"];
        assert_eq!(chart_for("helm_deploy", &charts), Some("helm_deploy/api"));
        assert_eq!(chart_for("chart", &charts), Some("chart"));
        assert_eq!(chart_for("", &charts), Some("chart"));
        assert_eq!(chart_for("other", &charts), None);
        assert!(is_values_file("values.yaml"));
        assert_eq!(
            env_dir("k8s/overlays/eu-west"),
            Some(("eu-west".into(), "k8s/overlays/eu-west".into()))
        );
        assert_eq!(env_dir("k8s/overlays/base"), None);
        assert_eq!(
            env_dir("infrastructure/postgres/production"),
            Some((
                "production".into(),
                "infrastructure/postgres/production".into()
            ))
        );
        assert_eq!(env_dir("clusters/my-cluster"), None);
        assert_eq!(
            env_of_name("staging-namespace.yaml").as_deref(),
            Some("staging")
        );
        assert_eq!(env_of_name("namespace.yaml"), None);
        assert_eq!(namespace_envs("metadata:\n  namespace: production\n---\n  namespace: \"staging\"\n  namespace: other\n"), ["production", "staging"]);
        assert!(looks_like_manifest("apiVersion: v1\nkind: ConfigMap\n"));
        assert!(!looks_like_manifest("services:\n  web: {}\n"));
    }
}
