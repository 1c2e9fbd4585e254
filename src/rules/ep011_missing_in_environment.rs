//! EP011 missing-in-environment.

use std::collections::BTreeMap;

use super::{Context, Finding, Rule};
use crate::compare::{CellValue, Row, ServiceComparison};
use crate::model::Origin;
use crate::policy::Severity;
use crate::verdict::Kind;

pub static RULE: Rule = Rule {
    id: "EP011",
    name: "missing-in-environment",
    severity: Severity::Warning,
    summary: "a service or setting present in some environments only, not declared intended",
    doc: r#"# EP011 missing-in-environment

## What it finds
A service that exists in some environments and not in others, or a setting a service has in one
environment and lacks in another, when the policy does not declare the difference intended
(`[[intended]] service = "..."` or `setting = "..."`).

## Why it matters
A staging-only service means production lacks something that was tested; a production-only
service (read replicas, sentinels) was never tested at all. A setting missing in production
runs on a default nobody chose.

## How to fix
Add what is missing, or declare the difference intended with its reason in `envparity.toml`:
```toml
[[intended]]
service = "redis-sentinel"
reason = "automatic failover runs in production only"
```

## Example
```yaml
# production has `redis-sentinel-1..3`, staging has none -> EP011 on redis-sentinel (staging)
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    for (s, v) in ctx.comparison.services.iter().zip(&ctx.verdicts.services) {
        if v.presence.kind == Kind::Missing {
            missing_service(ctx, s, out);
        }
        let rows: Vec<&Row> = s
            .rows
            .iter()
            .zip(&v.rows)
            .filter(|(_, rv)| rv.as_ref().is_some_and(|rv| rv.kind == Kind::Missing))
            .map(|(r, _)| r)
            .collect();
        let missing: Vec<Missing> = rows
            .iter()
            .flat_map(|r| {
                (0..envs.len())
                    .filter(|e| r.cells[*e].value == CellValue::Absent && s.envs[*e].is_some())
                    // Its variables are unknown where an env_file could not be read.
                    .filter(|e| !(r.aspect.id().starts_with("env.") && ctx.has_gap(*e, &s.name)))
                    .map(move |e| Missing { env: e, row: r })
            })
            .collect();
        let scope = Scope {
            service: Some(s),
            rows: &s.rows,
        };
        report_folded(ctx, &scope, missing, out);
    }
    let rows: Vec<&Row> = ctx
        .comparison
        .environment_rows
        .iter()
        .zip(&ctx.verdicts.environment_rows)
        .filter(|(r, v)| v.kind == Kind::Missing && !is_compose_declaration(&r.aspect.id()))
        .map(|(r, _)| r)
        .collect();
    let missing: Vec<Missing> = rows
        .iter()
        .flat_map(|r| {
            (0..envs.len())
                .filter(|e| r.cells[*e].value == CellValue::Absent)
                .map(move |e| Missing { env: e, row: r })
        })
        .collect();
    let scope = Scope {
        service: None,
        rows: &ctx.comparison.environment_rows,
    };
    report_folded(ctx, &scope, missing, out);
}

fn missing_service(ctx: &Context, s: &ServiceComparison, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let present: Vec<usize> = (0..envs.len()).filter(|e| s.envs[*e].is_some()).collect();
    let names: Vec<&str> = present.iter().map(|e| envs[*e].as_str()).collect();
    let first = present.first().and_then(|e| s.envs[*e].as_ref());
    // A service that failed to build in an environment is a gap there (EP017), not absent.
    for e in (0..envs.len()).filter(|e| s.envs[*e].is_none() && !ctx.has_gap(*e, &s.name)) {
        let mut f = Finding::new(
            &RULE,
            format!(
                "service `{}` exists in {} but not in {}",
                s.name,
                names.join(", "),
                envs[e]
            ),
        )
        .env(&envs[e])
        .service(&s.name);
        if let (Some(view), Some(p)) = (first, present.first()) {
            f = f.at(&view.origin).related(&envs[*p], &view.origin);
        }
        out.push(for_local_as_note(f, &names));
    }
}

/// A service's rows (or the environment-wide rows) that settings are missing from.
struct Scope<'a> {
    service: Option<&'a ServiceComparison>,
    rows: &'a [Row],
}

/// One setting not set in one environment.
struct Missing<'a> {
    env: usize,
    row: &'a Row,
}

impl Missing<'_> {
    fn key(&self) -> String {
        self.row.aspect.id()
    }

    /// Where another environment sets it: (environment, origin).
    fn written(&self) -> Option<(usize, &Origin)> {
        self.row
            .cells
            .iter()
            .enumerate()
            .find_map(|(e, c)| Some((e, c.origin.as_ref()?)))
    }
}

/// Why settings are missing, so one cause is one finding: a file one environment reads and the
/// other has no counterpart of, a block (key prefix) the other environment lacks entirely, or
/// the setting alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    File(String),
    Prefix(String),
    Alone(String),
}

fn report_folded(ctx: &Context, scope: &Scope, missing: Vec<Missing>, out: &mut Vec<Finding>) {
    // Each setting's candidate causes, then how many settings of its environment share each.
    let candidates: Vec<[Option<Cause>; 2]> = missing
        .iter()
        .map(|m| {
            [
                unmatched_file(scope, m).map(Cause::File),
                absent_prefix(scope, m).map(Cause::Prefix),
            ]
        })
        .collect();
    let mut sharing: BTreeMap<(usize, &Cause), usize> = BTreeMap::new();
    for (m, c) in missing.iter().zip(&candidates) {
        for cause in c.iter().flatten() {
            *sharing.entry((m.env, cause)).or_default() += 1;
        }
    }
    // The widest cause more than one missing setting shares; a cause of one is the setting.
    let causes: Vec<Cause> = missing
        .iter()
        .zip(&candidates)
        .map(|(m, c)| {
            c.iter()
                .flatten()
                .find(|cause| sharing[&(m.env, *cause)] > 1)
                .cloned()
                .unwrap_or_else(|| Cause::Alone(m.key()))
        })
        .collect();
    let mut groups: BTreeMap<(usize, Cause), Vec<Missing>> = BTreeMap::new();
    for (m, cause) in missing.into_iter().zip(causes) {
        groups.entry((m.env, cause)).or_default().push(m);
    }
    for ((env, cause), members) in groups {
        // A cause the others were taken by explains one setting: it is that setting alone.
        let cause = match members.as_slice() {
            [one] => Cause::Alone(one.key()),
            _ => cause,
        };
        out.push(folded_finding(ctx, scope, env, &cause, &members));
    }
}

/// The file another environment sets `m` in, when it is not where the service is declared
/// (a mounted conf file, an env_file) and this environment reads no file with any of its
/// settings: flags on its own command line (`redis-server --maxmemory 256mb`) are no
/// counterpart of a conf file.
fn unmatched_file(scope: &Scope, m: &Missing) -> Option<String> {
    let (e, origin) = m.written()?;
    let declared_in = |env: usize| -> Option<&str> {
        let s = scope.service?;
        Some(&*s.envs[env].as_ref()?.origin.file)
    };
    if scope.service.is_some() && declared_in(e)? == &*origin.file {
        return None;
    }
    let own_declaration = declared_in(m.env);
    let from_file = |r: &&Row| {
        r.cells
            .iter()
            .any(|c| c.origin.as_ref().is_some_and(|o| o.file == origin.file))
    };
    let counterpart = scope.rows.iter().filter(from_file).any(|r| {
        r.cells[m.env]
            .origin
            .as_ref()
            .is_some_and(|o| Some(&*o.file) != own_declaration)
    });
    (!counterpart).then(|| origin.file.to_string())
}

/// The shortest prefix of `m`'s key (`values.restoreJob`) under which this environment sets
/// nothing at all.
fn absent_prefix(scope: &Scope, m: &Missing) -> Option<String> {
    let key = m.key();
    let segments: Vec<&str> = key.split('.').collect();
    (1..segments.len()).find_map(|n| {
        let prefix = segments[..n].join(".");
        let under = format!("{prefix}.");
        let sets_any = scope
            .rows
            .iter()
            .any(|r| r.aspect.id().starts_with(&under) && r.cells[m.env].origin.is_some());
        (!sets_any).then_some(prefix)
    })
}

/// At most this many keys are named in a folded finding's message.
const LISTED: usize = 12;

fn folded_finding(
    ctx: &Context,
    scope: &Scope,
    env: usize,
    cause: &Cause,
    members: &[Missing],
) -> Finding {
    let envs = ctx.env_names();
    let of = scope
        .service
        .map(|s| format!(" of `{}`", s.name))
        .unwrap_or_else(|| " (environment-wide)".to_string());
    let keys: Vec<String> = members.iter().map(Missing::key).collect();
    let mut listed: Vec<String> = keys.iter().take(LISTED).map(|k| format!("`{k}`")).collect();
    if keys.len() > LISTED {
        listed.push(format!("and {} more", keys.len() - LISTED));
    }
    let written = members[0].written();
    let written_in = written
        .map(|(e, _)| envs[e].as_str())
        .unwrap_or("another environment");
    let (message, setting) = match cause {
        Cause::Alone(key) => (format!("`{key}`{of} is not set in {}", envs[env]), key.clone()),
        Cause::File(file) => (
            format!(
                "`{file}` ({written_in}) has no counterpart in {}: {} settings{of} are not set there: {}",
                envs[env],
                keys.len(),
                listed.join(", ")
            ),
            common_prefix(&keys),
        ),
        Cause::Prefix(prefix) => (
            format!(
                "nothing under `{prefix}`{of} is set in {}: {} settings: {}",
                envs[env],
                keys.len(),
                listed.join(", ")
            ),
            prefix.clone(),
        ),
    };
    let mut f = Finding::new(&RULE, message).env(&envs[env]);
    if let Some(s) = scope.service {
        f = f.service(&s.name);
    }
    if !setting.is_empty() {
        f = f.setting(&setting);
    }
    if let Some((o, origin)) = written {
        f = f.related(&envs[o], origin);
    }
    if let Some(view) = scope.service.and_then(|s| s.envs[env].as_ref()) {
        f = f.at(&view.origin);
    }
    let present: Vec<&str> = (0..envs.len())
        .filter(|o| members[0].row.cells[*o].value != CellValue::Absent)
        .map(|o| envs[o].as_str())
        .collect();
    for_local_as_note(f, &present)
}

/// The dotted prefix every key shares (`redis` for `redis.save` and `redis.timeout`).
fn common_prefix(keys: &[String]) -> String {
    let mut prefix: Vec<&str> = keys[0].split('.').collect();
    for k in &keys[1..] {
        let n = prefix
            .iter()
            .zip(k.split('.'))
            .take_while(|(a, b)| *a == b)
            .count();
        prefix.truncate(n);
    }
    prefix.join(".")
}

/// Compose's top-level `volumes`, `networks`, `secrets` and `configs` declare what services
/// use: one an environment lacks follows from its services, which EP011 reports themselves.
fn is_compose_declaration(key: &str) -> bool {
    ["volumes.", "networks.", "secrets.", "configs."]
        .iter()
        .any(|p| key.starts_with(p))
}

/// What the local development environment lacks or has alone is worth seeing (dev/prod
/// parity) but is no warning: developers run the subset they need.
fn for_local_as_note(mut f: Finding, present_in: &[&str]) -> Finding {
    if f.environment.as_deref() == Some("local") || present_in == ["local"] {
        f.severity = Severity::Note;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn missing_services_and_settings() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n",
            "services:\n  web:\n    image: app:1\n    environment: {A: '1'}\n  sentinel:\n    image: redis:7\n",
        );
        assert_eq!(
            hits("EP011", &files),
            vec![
                hit("production", "web", "env.B"),
                hit("staging", "sentinel", "")
            ]
        );
    }

    #[test]
    fn gaps_are_not_absences() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n  worker:\n    image: app:1\n",
            "services:\n  web:\n    image: app:1\n    env_file: .env.production\n    environment: {A: '1'}\n  worker:\n    image: app:1\n    cpus: lots\n",
        );
        assert_eq!(hits("EP011", &files), vec![]);
    }

    #[test]
    fn what_only_local_development_has_or_lacks_is_a_note() {
        use crate::policy::Severity;
        let all = super::super::testing::findings(&[
            (
                "docker-compose.yml",
                "services:\n  app:\n    build: .\n    volumes: ['.:/app']\n    command: python manage.py runserver\n",
            ),
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    build: .\n  nginx:\n    image: nginx:1\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    build: .\n",
            ),
        ]);
        let ep011: Vec<(Severity, String, String)> = all
            .iter()
            .filter(|f| f.rule == "EP011")
            .map(|f| {
                (
                    f.severity,
                    f.environment.clone().unwrap(),
                    f.service.clone().unwrap(),
                )
            })
            .collect();
        let has =
            |sev, env: &str, svc: &str| ep011.contains(&(sev, env.to_string(), svc.to_string()));
        assert!(has(Severity::Note, "staging", "app"), "{ep011:?}");
        assert!(has(Severity::Note, "local", "web"), "{ep011:?}");
        assert!(has(Severity::Warning, "production", "nginx"), "{ep011:?}");
    }

    #[test]
    fn declared_intended_does_not_fire() {
        let mut files = pair(
            "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n",
            "services:\n  web:\n    image: app:1\n    environment: {A: '1'}\n  sentinel:\n    image: redis:7\n",
        );
        files.push((
            "envparity.toml",
            "[[intended]]\nservice = \"sentinel\"\nreason = \"failover in production only\"\n\n[[intended]]\nsetting = \"env.B\"\nreason = \"staging flag\"\n",
        ));
        assert!(hits("EP011", &files).is_empty());
    }
}
