//! EP002 plaintext-secret.

use super::{Context, Finding, Rule};
use crate::model::{MaskedSecret, SettingValue};
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
a sealed/encrypted value or a secret-manager reference. A value that names a Secret or a key in
one (`namespace_secrets`, `existingSecretPasswordKey`) is a reference too, and a placeholder
(`REPLACE_ME`, `<password>`) holds no secret (EP003 reports it).

In a file that does not expand variables (a `redis.conf`), `requirepass ${REDIS_PASSWORD}` is
not a reference: the placeholder text itself is the password, and it is reported as such.

A value written once in a file several environments read is one finding, at that place. A
credential of a developer's environment (`local`, `development`, `test`) for a service reached
on loopback (the `dev` profile's `spring.datasource.password` beside a `localhost` URL) is a
laptop's, not a secret of anything deployed. A history scrub's `***REMOVED***` is no secret.

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
    // One literal read by several workloads (a Secret behind `envFrom`) or several environments
    // (a shared base, a `variables.tf` default) is one finding, at the place it is written.
    let mut seen = crate::hash::HashSet::default();
    for (e, service, key, setting, scope) in ctx.settings_in_scope() {
        // A local development file's credentials are local defaults, and a sample's are
        // placeholders: neither is a secret kept in the repository.
        let SettingValue::Secret(secret) = &setting.value else {
            continue;
        };
        if super::from_sample(setting) || envs[e] == "local" {
            continue;
        }
        if secret.is_placeholder() && !secret.is_unexpanded() {
            continue; // nothing secret is written; EP003 reports the placeholder
        }
        if setting.interpolated || setting.display().is_empty() {
            continue;
        }
        // A developer environment's credential for a service on loopback is a laptop's.
        if super::laptop_credential(&envs[e], key, setting, scope) {
            continue;
        }
        if !seen.insert(&setting.origin) {
            continue;
        }
        out.push(
            Finding::new(&RULE, message(key, secret, &setting.origin.file))
                .on_setting(&envs[e], service, key, setting),
        );
    }
}

/// What is wrong with the written value: a literal secret, or placeholder text that the file's
/// reader takes as the secret itself.
fn message(key: &str, secret: &MaskedSecret, file: &str) -> String {
    if secret.is_unexpanded() {
        format!(
            "`{key}` is placeholder text in {file}, which does not expand variables: the \
             placeholder text itself is the secret"
        )
    } else {
        format!("`{key}` holds a secret written literally in {file}")
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
