//! EP006 mutable-image-tag.

use std::collections::HashSet;

use super::{Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP006",
    name: "mutable-image-tag",
    severity: Severity::Warning,
    summary: "an image without a tag, with `latest` or a branch-like tag, or a floating chart version, in a production-like environment",
    doc: r#"# EP006 mutable-image-tag

## What it finds
In a production-like environment, an image pinned to nothing stable: no tag (implicitly
`latest`), `latest`, or a branch-like tag (`main`, `master`, `develop`, `dev`, `staging`,
`stable`, `edge`, `nightly`, `*-snapshot`), unless a digest (`@sha256:...`) pins it. Also a
chart version that is a range (`^1.2`, `~1.2`, `1.x`, `*`, `>=1.0`).

## Why it matters
A mutable tag means production runs whatever was pushed last: two nodes can run different code,
a rollback does not roll back, and what was tested in staging is not what runs in production.

## How to fix
Deploy immutable release tags (`v1.2.3`) or digests, promoted from staging; pin chart versions
exactly.

## Example
```yaml
services:
  web:
    image: ghcr.io/acme/web:latest   # EP006; use ghcr.io/acme/web:v1.2.3
```
"#,
    check,
};

const BRANCH_LIKE: &[&str] = &[
    "latest",
    "main",
    "master",
    "develop",
    "development",
    "dev",
    "staging",
    "stable",
    "edge",
    "nightly",
    "head",
    "trunk",
    "canary",
    "unstable",
];

pub(crate) fn is_mutable(tag: Option<&str>) -> Option<String> {
    let Some(t) = tag else {
        return Some("has no tag (runs `latest`)".into());
    };
    if t == crate::model::secret::MASK {
        // A secret went into the reference: what it is cannot be judged.
        return None;
    }
    let lower = t.to_ascii_lowercase();
    if BRANCH_LIKE.contains(&lower.as_str())
        || lower.ends_with("-snapshot")
        || lower.ends_with("-latest")
    {
        return Some(format!("uses the mutable tag `{t}`"));
    }
    let words: Vec<&str> = lower.split(['-', '_', '.']).collect();
    // `build-develop` names a branch and moves with it; `main-3f2c1ab` is pinned by its commit.
    if let Some(branch) = words.iter().find(|w| BRANCH_LIKE.contains(w)) {
        if !words
            .iter()
            .any(|w| is_commit(w) || w.starts_with(|c: char| c.is_ascii_digit()))
        {
            return Some(format!(
                "uses the tag `{t}`, which names the branch `{branch}` and moves with it"
            ));
        }
    }
    // `alpine`, `lts`, `bookworm`: no version at all, so it floats to each new release.
    if !lower.chars().any(|c| c.is_ascii_digit()) {
        return Some(format!(
            "uses the tag `{t}`, which carries no version and floats to each release"
        ));
    }
    None
}

/// A commit hash: 7 to 40 hex digits, with at least one digit.
fn is_commit(word: &str) -> bool {
    (7..=40).contains(&word.len())
        && word.chars().all(|c| c.is_ascii_hexdigit())
        && word.chars().any(|c| c.is_ascii_digit())
}

fn is_version_range(v: &str) -> bool {
    let v = v.trim();
    v.contains(['^', '~', '*', '>', '<', '|']) || v.split('.').any(|p| p.eq_ignore_ascii_case("x"))
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let mut seen = HashSet::new();
    for (e, name, service) in ctx.services() {
        if !ctx.is_production_like(e) {
            continue;
        }
        let Some(image) = &service.image else {
            continue;
        };
        // A service built from source names its own build with `image`: nothing is pulled.
        if image.value.digest.is_some()
            || image.value.repository.is_empty()
            || service.is_built_locally()
        {
            continue;
        }
        if let Some(why) = is_mutable(image.value.tag.as_deref()) {
            if seen.insert((e, name.to_string(), image.value.to_string())) {
                out.push(
                    Finding::new(&RULE, format!("image `{}` {why}", image.value))
                        .env(&envs[e])
                        .service(name)
                        .setting("image")
                        .at(&image.origin),
                );
            }
        }
    }
    for (e, service, key, setting) in ctx.settings() {
        let lower = key.to_ascii_lowercase();
        if ctx.is_production_like(e)
            && lower.contains("chart")
            && lower.ends_with(".version")
            && is_version_range(setting.display())
        {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "chart version `{}` is a range, not a pinned version",
                        setting.display()
                    ),
                )
                .on_setting(&envs[e], service, key, setting),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};
    use super::*;

    #[test]
    fn latest_missing_and_branch_tags_in_production() {
        let files = pair(
            "services:\n  web:\n    image: app:latest\n",
            "services:\n  web:\n    image: app:latest\n  worker:\n    image: app\n  beat:\n    image: app:develop\n  db:\n    image: postgres:16@sha256:abc\n  cache:\n    image: redis:7.2\n",
        );
        assert_eq!(
            hits("EP006", &files),
            vec![
                hit("production", "beat", "image"),
                hit("production", "web", "image"),
                hit("production", "worker", "image")
            ]
        );
    }

    #[test]
    fn branch_names_inside_tags_floating_variants_and_local_builds() {
        assert!(is_mutable(Some("build-develop"))
            .unwrap()
            .contains("branch `develop`"));
        assert_eq!(
            is_mutable(Some("main-3f2c1ab")),
            None,
            "pinned by its commit"
        );
        assert_eq!(is_mutable(Some("develop-1.4.2")), None);
        assert!(is_mutable(Some("alpine")).unwrap().contains("no version"));
        assert_eq!(is_mutable(Some("7-alpine")), None);
        assert_eq!(is_mutable(Some("v1.2.3")), None);
        let files = pair(
            "services:\n  web:\n    build: .\n    image: shop_staging_web\n",
            "services:\n  web:\n    build: .\n    image: shop_production_web\n  cache:\n    image: redis:alpine\n",
        );
        assert_eq!(
            hits("EP006", &files),
            vec![hit("production", "cache", "image")]
        );
    }

    #[test]
    fn version_ranges() {
        assert!(is_version_range("^1.2.0"));
        assert!(is_version_range("1.x"));
        assert!(is_version_range(">=1.0 <2"));
        assert!(!is_version_range("1.2.3"));
    }
}
