//! The simulated promotion: the target environment with the source's images and version
//! settings written into it, everything else as it is today.

use serde::Serialize;

use crate::align::AlignedService;
use crate::model::{ImageRef, Located, Origin, Scan, Setting};
use crate::rules;

type Settings = std::collections::BTreeMap<String, Setting>;

/// What makes one image or version setting different after the promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Another image repository: another program, not just another version of it.
    Repository,
    /// The same repository at another tag or digest, or another version setting.
    Version,
}

/// One image or version that the promotion changes in the target environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The logical service; `None` for an environment-wide setting (a Terraform variable).
    pub service: Option<String>,
    /// `image`, or the setting key (`chart.version`, `values.image.tag`).
    pub item: String,
    pub kind: ChangeKind,
    /// What the target runs today, and where that is written (the line the promotion edits).
    pub now: String,
    pub now_at: Origin,
    /// What it runs after the promotion, and where the source environment sets it.
    pub after: String,
    pub from_at: Origin,
    /// What the change means beyond a new version (a database's major version: its data
    /// must be upgraded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether a setting names a version of what runs (promoted with the images), rather than
/// configuration: a last key segment `version`, `tag`, `*_tag`, `*_version` (not a protocol's
/// version such as `proxy_http_version` or `min_tls_version`), or an image repository given
/// apart from its tag (`values.image.repository`).
pub fn is_version_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    let protocol = ["http", "tls", "ssl", "api", "protocol"]
        .iter()
        .any(|w| last.contains(w));
    last == "version"
        || last == "tag"
        || last == "imagetag"
        || last == "imagename"
        || last.ends_with("_tag") && !protocol
        || last.ends_with("_version") && !protocol
        || lower.ends_with("image.repository")
}

/// The scan with the target environment (`to`) running what the source (`from`) runs: for each
/// service in both, the source's image and version settings; environment-wide version settings
/// likewise. Values keep the target's origin: that is the line the promotion changes. Secrets
/// are never copied (a tag is no secret; a value the model masked is left alone).
pub fn simulate(
    scan: &Scan,
    aligned: &[AlignedService],
    from: usize,
    to: usize,
) -> (Scan, Vec<Change>) {
    let mut sim = scan.clone();
    let mut changes = Vec::new();
    for a in aligned {
        if a.members[from].is_empty() || a.members[to].is_empty() {
            continue;
        }
        changes.extend(promote_image(scan, &mut sim, a, from, to));
        promote_service_settings(scan, &mut sim, a, from, to, &mut changes);
    }
    let source_settings = &scan.environments[from].settings;
    let target_settings = &mut sim.environments[to].settings;
    changes.extend(promote_settings(None, source_settings, target_settings));
    (sim, changes)
}

/// The source's image (its first member's) on every target member that runs an image. A
/// member without one (built elsewhere, or a chart that names none) is left as it is.
fn promote_image(
    scan: &Scan,
    sim: &mut Scan,
    a: &AlignedService,
    from: usize,
    to: usize,
) -> Option<Change> {
    let image = a.services(scan, from).find_map(|s| s.image.as_ref())?;
    let mut change = None;
    for &i in &a.members[to] {
        let Some(current) = sim.environments[to].services[i].image.as_mut() else {
            continue;
        };
        if current.value == image.value {
            continue;
        }
        change.get_or_insert_with(|| Change {
            service: Some(a.name.clone()),
            item: "image".into(),
            kind: if current.value.repository == image.value.repository {
                ChangeKind::Version
            } else {
                ChangeKind::Repository
            },
            now: current.value.to_string(),
            now_at: current.origin.clone(),
            after: image.value.to_string(),
            from_at: image.origin.clone(),
            note: major_upgrade(a, &current.value, &image.value),
        });
        *current = Located::new(image.value.clone(), current.origin.clone());
    }
    change
}

/// A backing service (database, cache, queue) moving to another major version keeps its data
/// in the old version's format: say so.
fn major_upgrade(a: &AlignedService, now: &ImageRef, after: &ImageRef) -> Option<String> {
    if !crate::verdict::is_backing(a.role) || now.repository != after.repository {
        return None;
    }
    match (
        rules::major(now.tag.as_deref()),
        rules::major(after.tag.as_deref()),
    ) {
        (Some(old), Some(new)) if old != new => Some(format!(
            "major version {old} -> {new} of a {}: its data must be upgraded (for PostgreSQL, pg_upgrade or a dump and restore), and the upgrade tested in the source environment",
            a.role
        )),
        _ => None,
    }
}

/// The version settings of one aligned service, from the source's first member to every
/// target member that sets them.
fn promote_service_settings(
    scan: &Scan,
    sim: &mut Scan,
    a: &AlignedService,
    from: usize,
    to: usize,
    changes: &mut Vec<Change>,
) {
    let Some(source) = a.services(scan, from).next() else {
        return;
    };
    let mut seen: Vec<String> = Vec::new();
    for &i in &a.members[to] {
        let target = &mut sim.environments[to].services[i].settings;
        for change in promote_settings(Some(&a.name), &source.settings, target) {
            if !seen.contains(&change.item) {
                seen.push(change.item.clone());
                changes.push(change);
            }
        }
    }
}

/// Copies the source's version settings over the target's where both set them and they
/// differ; returns what changed.
fn promote_settings(
    service: Option<&str>,
    source: &Settings,
    target: &mut Settings,
) -> Vec<Change> {
    let mut changes = Vec::new();
    for (key, new) in source {
        if !is_version_key(key) || new.is_secret() {
            continue;
        }
        if !same_parent(key, source, target) {
            continue;
        }
        let Some(old) = target.get_mut(key) else {
            continue;
        };
        if old.is_secret() || old.value.same_as(&new.value) {
            continue;
        }
        changes.push(Change {
            service: service.map(str::to_string),
            item: key.clone(),
            kind: ChangeKind::Version,
            now: old.display().to_string(),
            now_at: old.origin.clone(),
            after: new.display().to_string(),
            from_at: new.origin.clone(),
            note: None,
        });
        let origin = old.origin.clone();
        *old = Setting {
            origin,
            ..new.clone()
        };
    }
    changes
}

/// Whether a version belongs to the same thing on both sides: `chart.version` is promoted only
/// when `chart` (the chart's name) is the same, or set on neither side. Staging on the `redis`
/// chart and production on `redis-cluster` do not run versions of one chart.
fn same_parent(key: &str, source: &Settings, target: &Settings) -> bool {
    let Some((parent, _)) = key.rsplit_once('.') else {
        return true;
    };
    match (source.get(parent), target.get(parent)) {
        (None, None) => true,
        (Some(a), Some(b)) => a.value.same_as(&b.value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_are_versions_of_what_runs() {
        for key in [
            "chart.version",
            "values.image.tag",
            "values.image.repository",
            "terraform.docker_tag",
            "terraform.aws_db_instance.main.engine_version",
            "env.VERSION",
        ] {
            assert!(is_version_key(key), "{key}");
        }
        for key in [
            "nginx.proxy_http_version",
            "terraform.min_tls_version",
            "env.API_VERSION",
            "env.DATABASE_URL",
            "terraform.tags.Name",
            "image",
        ] {
            assert!(!is_version_key(key), "{key}");
        }
    }
}
