//! EP002 plaintext-secret.

use super::{Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP002",
    name: "plaintext-secret",
    severity: Severity::Error,
    summary: "a secret-looking value written literally in a file of the repository",
    doc: r#"# EP002 plaintext-secret

## What it finds
A value that looks secret (by its key: `*_PASSWORD`, `*_TOKEN`, `*_API_KEY`, ...; by its shape:
a URL with credentials, a well-known token prefix) written literally in a file envparity read,
rather than referenced: `${VAR}` interpolation, a Kubernetes `secretKeyRef`, a `*_FILE` path,
or a sealed/encrypted value.

## Why it matters
Anything committed is readable by everyone with access to the repository, forever (history
keeps it after deletion), and is copied to every clone, CI runner and backup.

## How to fix
Move the value to a secret store and reference it: `DB_PASSWORD: ${DB_PASSWORD}` with the value
provided at deploy time, Docker secrets (`POSTGRES_PASSWORD_FILE=/run/secrets/db`), or a
Kubernetes Secret managed outside the repository. Rotate the exposed value.

## Example
```yaml
services:
  db:
    environment:
      POSTGRES_PASSWORD: s3cr3t-in-git   # EP002; write ${POSTGRES_PASSWORD} instead
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    // One literal read by several workloads (a Secret behind `envFrom`) is one finding, at the
    // place it is written.
    let mut seen = std::collections::HashSet::new();
    for (e, service, key, setting) in ctx.settings() {
        // A local development file's credentials are local defaults, and a sample's are
        // placeholders: neither is a secret kept in the repository.
        if super::from_sample(setting) || envs[e] == "local" {
            continue;
        }
        if !setting.is_secret() || setting.interpolated || setting.display().is_empty() {
            continue;
        }
        if !seen.insert((e, &setting.origin)) {
            continue;
        }
        out.push(
            Finding::new(
                &RULE,
                format!(
                    "`{key}` holds a secret written literally in {}",
                    setting.origin.file
                ),
            )
            .on_setting(&envs[e], service, key, setting),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn literal_secret_fires_reference_does_not() {
        let files = pair(
            "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-}\n      POSTGRES_PASSWORD_FILE: /run/secrets/db\n",
            "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: Zq8mT2vLp9wR4sK1\n",
        );
        assert_eq!(
            hits("EP002", &files),
            vec![hit("production", "db", "env.POSTGRES_PASSWORD")]
        );
    }

    #[test]
    fn local_development_defaults_and_samples_are_not_kept_secrets() {
        let files = vec![
            (
                "docker-compose.yml",
                "services:\n  db:\n    image: postgres:16\n    volumes: ['.:/app']\n    environment:\n      POSTGRES_PASSWORD: Zq8mT2vLp9wR4sK1\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  db:\n    image: postgres:16\n    env_file: .env.production\n",
            ),
            (".env.production.example", "POSTGRES_PASSWORD=Zq8mT2vLp9wR4sK2\n"),
        ];
        assert_eq!(hits("EP002", &files), vec![]);
    }
}
