//! EP010 version-drift.

use super::{Context, Finding, Rule};
use crate::model::ImageRef;
use crate::policy::Severity;
use crate::verdict::is_backing;

pub static RULE: Rule = Rule {
    id: "EP010",
    name: "version-drift",
    severity: Severity::Error,
    summary: "a backing service differs in engine or major version between environments",
    doc: r#"# EP010 version-drift

## What it finds
A database, cache, queue, search or pooler service whose engine differs between environments
(`elasticsearch` vs `opensearch`, `mysql` vs `mariadb`) or whose major version does
(`postgres:15` vs `postgres:16`, `redis:6` vs `redis:7`).

## Why it matters
Query planners, defaults, replication and client protocols change between engines and major
versions. A migration that passes in staging on one version can fail or behave differently in
production on another.

## How to fix
Run the same engine and major version everywhere; upgrade staging first and promote the upgrade.

## Example
```yaml
# staging: image: postgres:16-alpine   production: image: postgres:15-alpine   -> EP010
```
"#,
    check,
};

/// The leading number of a tag: `15-alpine` -> 15, `7.2.4` -> 7, `v2` -> 2.
pub(crate) fn major(tag: Option<&str>) -> Option<u64> {
    let t = tag?.trim_start_matches(['v', 'V']);
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// The engine: the image's short name with distribution suffixes removed.
fn engine(image: &ImageRef) -> String {
    image.short_name().to_ascii_lowercase()
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let reference = ctx.comparison.reference;
    for (s, a) in ctx.comparison.services.iter().zip(ctx.aligned) {
        if !is_backing(s.role) {
            continue;
        }
        let image_of = |e: usize| a.services(ctx.scan, e).find_map(|svc| svc.image.as_ref());
        let Some(ref_image) = image_of(reference) else {
            continue;
        };
        for e in (0..envs.len()).filter(|e| *e != reference) {
            let Some(image) = image_of(e) else { continue };
            let (re, ee) = (engine(&ref_image.value), engine(&image.value));
            let why = if re != ee {
                Some(format!(
                    "engine `{ee}` in {} vs `{re}` in {}",
                    envs[e], envs[reference]
                ))
            } else {
                match (
                    major(image.value.tag.as_deref()),
                    major(ref_image.value.tag.as_deref()),
                ) {
                    (Some(m), Some(r)) if m != r => Some(format!(
                        "{ee} {m} in {} vs {r} in {}",
                        envs[e], envs[reference]
                    )),
                    _ => None,
                }
            };
            if let Some(why) = why {
                out.push(
                    Finding::new(&RULE, format!("`{}` runs {why}", s.name))
                        .env(&envs[e])
                        .service(&s.name)
                        .setting("image")
                        .at(&image.origin)
                        .related(&envs[reference], &ref_image.origin),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};
    use super::*;

    #[test]
    fn engines_and_majors() {
        let files = pair(
            "services:\n  db:\n    image: postgres:16-alpine\n  search:\n    image: opensearchproject/opensearch:2\n  cache:\n    image: redis:7.2.4\n  web:\n    image: app:2\n",
            "services:\n  db:\n    image: postgres:15-alpine\n  search:\n    image: elasticsearch:8.11.0\n  cache:\n    image: redis:7.0\n  web:\n    image: app:1\n",
        );
        assert_eq!(
            hits("EP010", &files),
            vec![
                hit("staging", "db", "image"),
                hit("staging", "search", "image")
            ]
        );
        assert_eq!(major(Some("15-alpine")), Some(15));
        assert_eq!(major(Some("v2.1")), Some(2));
        assert_eq!(major(Some("alpine")), None);
    }
}
