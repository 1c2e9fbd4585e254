//! EP006 mutable-image-tag.

use crate::hash::HashSet;

use super::{Context, Finding, Rule};
use crate::model::ChartTag;
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
`stable`, `edge`, `nightly`, `*-snapshot`), unless a digest (`@sha256:...`) pins it. A branch
word inside a tag counts too (`build-develop`, `staging-latest`: they move with the branch),
unless a commit hash or a version pins the build (`main-3f2c1ab`, `develop-1.4.2` are immutable:
each names one build). A tag with no version at all (`alpine`, `lts`) floats to each release.
Also a chart version that is a range (`^1.2`, `~1.2`, `1.x`, `*`, `>=1.0`).

Not findings: a tag that is an obvious placeholder the deployment replaces (`app_version`,
`IMAGE_TAG`, `override-me`: no registry publishes those); a Helm image override with a
repository and no or an empty tag, when the chart supplies the tag: a chart in the repository
tags it with its `appVersion` (judged like any tag), a chart from a chart repository with the
tag in its own values, as pinned as the chart's version (a range there is reported once, as the
chart version; no version at all is reported on the image).

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
    // `alpine`, `lts`, `bookworm`: no version at all, so it floats to each new release; but
    // `app_version`, `IMAGE_TAG`, `override-me` name the value the deploy sets, not a tag.
    if !lower.chars().any(|c| c.is_ascii_digit()) && !is_placeholder(&words) {
        return Some(format!(
            "uses the tag `{t}`, which carries no version and floats to each release"
        ));
    }
    None
}

/// Words that mark a tag as a stand-in for the one the deployment sets (`helm --set
/// image.tag=...`, a CI substitution): no registry publishes an image as `:app_version`.
const PLACEHOLDER_WORDS: &[&str] = &[
    "version",
    "tag",
    "placeholder",
    "override",
    "overridden",
    "replace",
    "replaceme",
    "changeme",
    "tbd",
    "todo",
    "unset",
    "dummy",
    "sha",
    "commit",
];

/// A tag that is an obvious placeholder identifier: one of its words names what will replace it
/// (`app_version`, `IMAGE_TAG`, `override-me`, `CHANGEME`). Branch words were judged before.
fn is_placeholder(words: &[&str]) -> bool {
    words.iter().any(|w| PLACEHOLDER_WORDS.contains(w))
}

/// A commit hash: 7 to 40 hex digits, with at least one digit.
fn is_commit(word: &str) -> bool {
    (7..=40).contains(&word.len())
        && word.chars().all(|c| c.is_ascii_hexdigit())
        && word.chars().any(|c| c.is_ascii_digit())
}

/// Why a tag the chart supplies (the values give none) floats, if it does.
fn chart_tag_is_mutable(
    image: &crate::model::Located<crate::model::ImageRef>,
    from_chart: &ChartTag,
    service: &crate::model::Service,
) -> Option<String> {
    match from_chart {
        ChartTag::AppVersion(v) => is_mutable(Some(v)).map(|why| {
            format!(
                "takes its tag from the chart's `appVersion`: `{}:{v}` {why}",
                image.value.repository
            )
        }),
        // A range is the chart version's own finding, when the chart version is a setting.
        ChartTag::ChartVersion(v) if is_version_range(v) => {
            (!service.settings.contains_key("chart.version"))
                .then(|| format!("takes its tag from a chart whose version `{v}` is a range"))
        }
        ChartTag::ChartVersion(v) => is_mutable(Some(v))
            .map(|_| format!("takes its tag from a chart whose version `{v}` is not pinned")),
        ChartTag::Unpinned => Some(
            "takes its tag from a chart that no version pins: it moves with each chart release"
                .into(),
        ),
    }
}

fn is_version_range(v: &str) -> bool {
    let v = v.trim();
    v.contains(['^', '~', '*', '>', '<', '|']) || v.split('.').any(|p| p.eq_ignore_ascii_case("x"))
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let mut seen = HashSet::default();
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
        let why = match (&image.value.tag, &image.value.chart_tag) {
            (None, Some(from_chart)) => chart_tag_is_mutable(image, from_chart, service),
            (tag, _) => is_mutable(tag.as_deref()),
        };
        if let Some(why) = why {
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
    fn placeholder_tags_the_deploy_sets_are_not_floating_tags() {
        for t in [
            "app_version",
            "IMAGE_TAG",
            "override-me",
            "CHANGEME",
            "version",
        ] {
            assert_eq!(is_mutable(Some(t)), None, "{t}");
        }
        // Branch words still float, whatever else the tag says.
        assert!(is_mutable(Some("latest-version")).is_some());
        assert!(is_mutable(Some("develop_tag")).unwrap().contains("branch"));
        assert!(is_mutable(Some("latest")).is_some());
        assert!(is_mutable(Some("bookworm")).unwrap().contains("no version"));
    }

    fn helm_chart(chart_yaml: &str, tag_line: &str) -> Vec<(String, String)> {
        vec![
            ("helm_deploy/app/Chart.yaml".into(), chart_yaml.into()),
            (
                "helm_deploy/app/values.yaml".into(),
                format!("replicaCount: 1\nimage:\n  repository: ghcr.io/acme/app\n{tag_line}"),
            ),
            (
                "helm_deploy/values-staging.yaml".into(),
                "replicaCount: 1\n".into(),
            ),
            (
                "helm_deploy/values-production.yaml".into(),
                "replicaCount: 2\n".into(),
            ),
        ]
    }

    fn ep006(files: &[(String, String)]) -> Vec<String> {
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        super::super::testing::findings(&refs)
            .into_iter()
            .filter(|f| f.rule == "EP006")
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn a_local_chart_tags_an_image_without_tag_with_its_app_version() {
        let pinned = "apiVersion: v2\nname: app\nversion: 1.4.0\nappVersion: \"3.6.0\"\n";
        assert_eq!(
            ep006(&helm_chart(pinned, "  tag: \"\"\n")),
            Vec::<String>::new()
        );
        assert_eq!(ep006(&helm_chart(pinned, "")), Vec::<String>::new());
        let floating = "apiVersion: v2\nname: app\nversion: 1.4.0\nappVersion: latest\n";
        assert_eq!(
            ep006(&helm_chart(floating, "  tag: \"\"\n")),
            vec!["image `ghcr.io/acme/app` takes its tag from the chart's `appVersion`: `ghcr.io/acme/app:latest` uses the mutable tag `latest`"]
        );
        // No appVersion: nothing tags it.
        let bare = "apiVersion: v2\nname: app\nversion: 1.4.0\n";
        assert_eq!(
            ep006(&helm_chart(bare, "  tag: \"\"\n")),
            vec!["image `ghcr.io/acme/app` has no tag (runs `latest`)"]
        );
    }

    fn flux(version_line: &str) -> Vec<(String, String)> {
        let release = |env: &str| {
            format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: redis, namespace: {env}}}\nspec:\n  chart:\n    spec:\n      chart: redis\n{version_line}      sourceRef: {{kind: HelmRepository, name: bitnami}}\n  values:\n    image:\n      repository: bitnamilegacy/redis\n")
        };
        vec![
            ("apps/staging/redis.yaml".into(), release("staging")),
            ("apps/production/redis.yaml".into(), release("production")),
        ]
    }

    #[test]
    fn a_remote_chart_tags_an_image_without_tag_as_pinned_as_the_chart() {
        assert_eq!(
            ep006(&flux("      version: 27.0.12\n")),
            Vec::<String>::new()
        );
        // A range is reported once, on the chart version.
        assert_eq!(
            ep006(&flux("      version: 17.x\n")),
            vec!["chart version `17.x` is a range, not a pinned version"]
        );
        assert_eq!(
            ep006(&flux("")),
            vec!["image `bitnamilegacy/redis` takes its tag from a chart that no version pins: it moves with each chart release"]
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
