//! EP012 image-drift.

use super::{Context, Finding, Rule};
use crate::policy::Severity;
use crate::verdict::is_backing;

pub static RULE: Rule = Rule {
    id: "EP012",
    name: "image-drift",
    severity: Severity::Error,
    summary: "an application image repository differs between environments, or its tag where the policy says it must match",
    doc: r#"# EP012 image-drift

## What it finds
An application service (not a database, cache or other backing service, which EP010 covers)
whose image repository differs between environments (`ghcr.io/acme/web` vs
`registry.acme.io/web-legacy`), or whose tag differs when `envparity.toml` declares the image
must match (promotion parity):
```toml
[[must_match]]
setting = "image"
reason = "production runs exactly what staging tested"
```

## Why it matters
What was tested in staging is then not what runs in production: a different build pipeline, a
fork, or a stale registry.

## How to fix
Build once, push to one repository, promote the same tag (or digest) through the environments.

## Example
```yaml
# staging: image: ghcr.io/acme/web:v1.4.0   production: image: docker.io/acme/web:v1.4.0 -> EP012
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let reference = ctx.comparison.reference;
    for (s, a) in ctx.comparison.services.iter().zip(ctx.aligned) {
        if is_backing(s.role) {
            continue;
        }
        let tag_must_match = ctx.policy.must_match.iter().any(|m| {
            (m.setting.matches("image") || m.setting.matches("image.tag"))
                && m.service.as_ref().is_none_or(|p| p.matches(&s.name))
        });
        // An image built from source is named by its build, often after the environment
        // (`shop_staging_web`): its repository is no drift.
        let image_of = |e: usize| {
            a.services(ctx.scan, e)
                .filter(|svc| !svc.is_built_locally())
                .find_map(|svc| svc.image.as_ref())
        };
        let Some(ref_image) = image_of(reference) else {
            continue;
        };
        for e in (0..envs.len()).filter(|e| *e != reference) {
            let Some(image) = image_of(e) else { continue };
            let why = if image.value.repository != ref_image.value.repository {
                Some(format!(
                    "repository `{}` in {} vs `{}` in {}",
                    image.value.repository, envs[e], ref_image.value.repository, envs[reference]
                ))
            } else if tag_must_match
                && (image.value.tag != ref_image.value.tag
                    || image.value.digest != ref_image.value.digest)
            {
                Some(format!(
                    "`{}` in {} vs `{}` in {}, and the policy says the image must match",
                    image.value, envs[e], ref_image.value, envs[reference]
                ))
            } else {
                None
            };
            if let Some(why) = why {
                out.push(
                    Finding::new(&RULE, format!("`{}` image differs: {why}", s.name))
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

    #[test]
    fn images_built_from_source_are_named_by_their_build() {
        let files = pair(
            "services:\n  web:\n    build: .\n    image: shop_staging_web\n",
            "services:\n  web:\n    build: .\n    image: shop_production_web\n",
        );
        assert_eq!(hits("EP012", &files), vec![]);
    }

    #[test]
    fn repository_differs() {
        let files = pair(
            "services:\n  web:\n    image: ghcr.io/acme/web:2\n  db:\n    image: postgres:16\n",
            "services:\n  web:\n    image: docker.io/acme/web:2\n  db:\n    image: postgis/postgis:16\n",
        );
        assert_eq!(hits("EP012", &files), vec![hit("staging", "web", "image")]);
    }

    #[test]
    fn tag_differs_only_when_policy_requires() {
        let mut files = pair(
            "services:\n  web:\n    image: app:2\n",
            "services:\n  web:\n    image: app:1\n",
        );
        assert!(hits("EP012", &files).is_empty());
        files.push(("envparity.toml", "[[must_match]]\nsetting = \"image\"\n"));
        assert_eq!(hits("EP012", &files), vec![hit("staging", "web", "image")]);
    }
}
