//! EP017 incomplete-environment.

use super::{Context, Finding, Rule};
use crate::model::GapExtent;
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP017",
    name: "incomplete-environment",
    severity: Severity::Error,
    summary: "part of an environment could not be read, so its comparison is incomplete",
    doc: r#"# EP017 incomplete-environment

## What it finds
A file, overlay or service of an environment that envparity could not read: a file that does not
parse, a construct it does not support, a gitignored `env_file`, a remote Kustomize base. The rest
of the environment is still read and compared; this finding names what is missing, with the file
and line. Its severity says how much is missing:

- **error**: nothing of the environment could be read (it takes no part in the comparison);
- **warning**: one source or service of the environment could not be read;
- **note**: an optional piece the repository does not hold (a gitignored `.env`, a remote base).

## Why it matters
A comparison that silently skips a file says "same" or "missing" where it knows nothing. The gap
is shown instead, so that a clean result means what it says.

## How to fix
Fix the file named, or state the environment's files with `--env`. Pieces that are absent by
design (a `.env` kept out of git) can be waived. The gate fails on an environment that could not
be read at all; `fail_on_incomplete = true` in `envparity.toml` makes any gap fail it, and
`false` none.

## Example
```yaml
# docker-compose.production.yml
services:
  web:
    image: app:1
    env_file: .env.production   # gitignored: EP017 note, web is read without it
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for (env, gap) in ctx.scan.gaps() {
        let services = match gap.services.as_slice() {
            [_] | [] => String::new(),
            many => format!(", services `{}`", many.join("`, `")),
        };
        let mut finding = Finding::new(
            &RULE,
            format!(
                "{} ({}{services}): {}",
                env,
                gap.extent.describe(),
                gap.message
            ),
        )
        .env(env);
        if let [one] = gap.services.as_slice() {
            finding = finding.service(one);
        }
        finding.severity = match gap.extent {
            GapExtent::Environment => Severity::Error,
            GapExtent::Source => Severity::Warning,
            GapExtent::Optional => Severity::Note,
        };
        finding.file = gap.file.clone();
        finding.line = gap.line;
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings;
    use crate::policy::Severity;

    #[test]
    fn a_missing_env_file_is_a_note_and_a_broken_service_a_warning() {
        let all = findings(&[
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    image: app:1\n    env_file: .env.staging\n  worker:\n    image: app:1\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    image: app:1\n  worker:\n    image: app:1\n    cpus: lots\n",
            ),
        ]);
        let gaps: Vec<_> = all
            .iter()
            .filter(|f| f.rule == "EP017")
            .map(|f| {
                (
                    f.severity,
                    f.environment.clone().unwrap(),
                    f.service.clone().unwrap(),
                    format!("{}:{}", f.file.clone().unwrap(), f.line.unwrap()),
                )
            })
            .collect();
        assert_eq!(
            gaps,
            [
                (
                    Severity::Warning,
                    "production".to_string(),
                    "worker".to_string(),
                    "docker-compose.production.yml:6".to_string()
                ),
                (
                    Severity::Note,
                    "staging".to_string(),
                    "web".to_string(),
                    "docker-compose.staging.yml:4".to_string()
                ),
            ]
        );
        // The rest is read: web in both, and the broken worker is not "missing in production".
        assert!(!all
            .iter()
            .any(|f| f.rule == "EP011" && f.service.as_deref() == Some("worker")));
    }

    #[test]
    fn one_missing_env_file_named_by_several_services_is_one_gap() {
        let all = findings(&[
            (
                "docker-compose.staging.yml",
                "x-app: &app\n  image: app:1\n  env_file: .env.staging\nservices:\n  web:\n    <<: *app\n  worker:\n    <<: *app\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    image: app:1\n  worker:\n    image: app:1\n",
            ),
        ]);
        let gaps: Vec<_> = all.iter().filter(|f| f.rule == "EP017").collect();
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].service, None);
        assert!(
            gaps[0].message.contains("services `web`, `worker`"),
            "{}",
            gaps[0].message
        );
    }

    #[test]
    fn an_environment_read_not_at_all_is_an_error() {
        let all = findings(&[
            ("docker-compose.staging.yml", "services: [\n"),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    image: app:1\n",
            ),
        ]);
        let gap = all.iter().find(|f| f.rule == "EP017").unwrap();
        assert_eq!(gap.severity, Severity::Error);
        assert_eq!(gap.environment.as_deref(), Some("staging"));
        assert_eq!(gap.file.as_deref(), Some("docker-compose.staging.yml"));
        assert!(
            gap.message.contains("environment not read"),
            "{}",
            gap.message
        );
    }
}
