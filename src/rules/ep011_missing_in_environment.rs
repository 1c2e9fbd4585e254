//! EP011 missing-in-environment.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::{Context, Finding, Rule};
use crate::compare::{CellValue, Row, ServiceComparison};
use crate::discover::is_env_word;
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
(`[[intended]] service = "..."` or `setting = "..."`). Settings missing for one cause are one
finding: a file the other environment reads with no counterpart here, or a block (`logging`)
of which nothing is set here.

## What is not reported
Drift is an omission: an environment lacks what the others agree on. What is written per
environment on purpose is not reported:
- **Local development.** What a `local` environment lacks or sets alone (bind mounts, published
  ports, dev variables, services it does not run, a mail catcher or database browser of a
  third-party image). A service only `local` runs that is built from the repository is a note.
- **Wiring.** Compose `ports`, `expose`, `container_name`, `hostname`, `depends_on`, `links`,
  `networks` and `volumes`: how a container is wired into its host and topology. What a
  mounted file configures is compared as settings of its own.
- **Overlays on a shared base.** When both environments read a shared base (one setting of the
  scope comes from the same file and line in both: Helm `values.yaml` under
  `values-<env>.yaml`, a Kustomize base, a Compose base under its overrides, a Spring
  `application.yml` under its profiles), what one overlay sets, adds (a cron job, a restore
  job, a queue, a service) or removes is that environment's own.
- **One environment's choice.** A setting only some of the deployed environments set (a flag
  production alone sets, which two lower environments both lack).
- **A minimal definition.** This environment sets fewer than half of the blocks the other's file
  sets for the scope (a test-suite config, a conf file the other has alone).
- **Shape.** The key is set here at another depth (`volumes: []` against `volumes.src.*`).
- **Labels.** A value that names its environment (`X-Environment "staging"`).
- **Replication.** A setting only some members of a replicated service set (a replica's
  `replicaof`), or a service that starts after a service the other environment replicates and
  this one runs single (a Sentinel).
- **Unlike sources.** A service declared by a kind of source this environment has none of (a
  Compose service against an environment of dotenv files only).

What is left are omissions between parallel copies: staging's Redis without the
`REDIS_PASSWORD` production's sets, production's nginx without the `logging` staging's has.

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
# staging.yml:  redis: {image: redis:7, environment: {MAXMEMORY: 256mb}}
# prod.yml:     redis: {image: redis:7, environment: {MAXMEMORY: 1gb, REDIS_PASSWORD: ${REDIS_PASSWORD}}}
# -> EP011 on env.REDIS_PASSWORD of redis (staging)
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
            .filter(|r| !is_wiring(r.aspect.id()))
            .collect();
        let scope = Scope::new(Some(s), &s.rows, envs.len());
        let missing: Vec<Missing> = rows
            .iter()
            .flat_map(|r| {
                (0..envs.len())
                    .filter(|e| r.cells[*e].value == CellValue::Absent && s.envs[*e].is_some())
                    // Its variables are unknown where an env_file could not be read.
                    .filter(|e| !(r.aspect.id().starts_with("env.") && ctx.has_gap(*e, &s.name)))
                    .map(move |e| Missing { env: e, row: r })
            })
            .filter(|m| !scope.planned(ctx, m))
            .collect();
        report_folded(ctx, &scope, missing, out);
    }
    let rows: Vec<&Row> = ctx
        .comparison
        .environment_rows
        .iter()
        .zip(&ctx.verdicts.environment_rows)
        .filter(|(r, v)| v.kind == Kind::Missing && !is_compose_declaration(r.aspect.id()))
        .map(|(r, _)| r)
        .collect();
    let scope = Scope::new(None, &ctx.comparison.environment_rows, envs.len());
    let missing: Vec<Missing> = rows
        .iter()
        .flat_map(|r| {
            (0..envs.len())
                .filter(|e| r.cells[*e].value == CellValue::Absent)
                .map(move |e| Missing { env: e, row: r })
        })
        .filter(|m| !scope.planned(ctx, m))
        .collect();
    report_folded(ctx, &scope, missing, out);
}

/// The local development environment: a laptop stack, not a deployment.
fn is_local(ctx: &Context, env: usize) -> bool {
    ctx.env_names()[env] == "local"
}

/// The kind of source a file is, as far as declaring services goes: a dotenv file declares
/// an application's variables, a Compose, Kubernetes or Terraform file declares services.
fn is_dotenv(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.starts_with(".env") || name.ends_with(".env")
}

fn missing_service(ctx: &Context, s: &ServiceComparison, out: &mut Vec<Finding>) {
    let envs = ctx.env_names();
    let present: Vec<usize> = (0..envs.len()).filter(|e| s.envs[*e].is_some()).collect();
    let names: Vec<&str> = present.iter().map(|e| envs[*e].as_str()).collect();
    let first = present.first().and_then(|e| s.envs[*e].as_ref());
    let only_local = present.iter().all(|p| is_local(ctx, *p));
    // A laptop stack's own tools (a mail catcher, a database browser) run a third-party image;
    // a local-only service built from the repository runs the application's code.
    if only_local && !present.iter().any(|p| built_here(s, *p)) {
        return;
    }
    // Service-declaring files per environment.
    let declaring: Vec<BTreeSet<&str>> = (0..envs.len())
        .map(|e| {
            ctx.scan.environments[e]
                .services
                .iter()
                .map(|d| &*d.origin.file)
                .collect()
        })
        .collect();
    // A service that failed to build in an environment is a gap there (EP017), not absent.
    for e in (0..envs.len()).filter(|e| s.envs[*e].is_none() && !ctx.has_gap(*e, &s.name)) {
        // Developers run the subset of the stack they need.
        if is_local(ctx, e) {
            continue;
        }
        let planned = present.iter().all(|p| {
            let Some(view) = s.envs[*p].as_ref() else {
                return true;
            };
            let file = &*view.origin.file;
            // Unlike sources: the environment declares no service the way this one is
            // declared (dotenv files only, against a Compose stack).
            let unlike = !declaring[e].iter().any(|f| is_dotenv(f) == is_dotenv(file));
            // An overlay's own service: declared in a file only `p` reads, on a base of
            // services both environments share.
            let overlay = !declaring[e].contains(file) && !declaring[e].is_disjoint(&declaring[*p]);
            unlike || overlay || serves_replication(ctx, s, *p, e)
        });
        if planned {
            continue;
        }
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

/// Whether a value's first word names an environment (`"staging" always`, `production`).
fn names_environment(text: &str) -> bool {
    text.split_whitespace()
        .next()
        .is_some_and(|w| is_env_word(w.trim_matches(['"', '\''])))
}

/// Whether service `s`, present in `p` and absent from `e`, starts after a service that `p`
/// replicates (several members) and `e` runs single: it belongs to that replication (a
/// Sentinel watching a primary and its replicas), which `e` does not have.
fn serves_replication(ctx: &Context, s: &ServiceComparison, p: usize, e: usize) -> bool {
    let Some(view) = s.envs[p].as_ref() else {
        return false;
    };
    let Some(depends) = view.settings.get("depends_on") else {
        return false;
    };
    let text = depends.display();
    text.split([',', '/', ' '])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .any(|declared| {
            let logical = ctx.logical_name(p, declared);
            ctx.comparison
                .services
                .iter()
                .find(|o| o.name == logical)
                .is_some_and(|o| o.members[e].len() == 1 && o.members[p].len() > o.members[e].len())
        })
}

/// Whether the service is built from the repository in environment `e` (Compose `build`).
fn built_here(s: &ServiceComparison, e: usize) -> bool {
    s.envs[e].as_ref().is_some_and(|v| {
        v.settings
            .keys()
            .any(|k| k == "build" || k.starts_with("build."))
    })
}

/// How a Compose container is wired into its host: published ports, its name, start order,
/// mounts and networks. They differ by host and topology on purpose; what a mounted file
/// configures is compared as settings of its own.
fn is_wiring(key: &str) -> bool {
    const WIRING: &[&str] = &[
        "ports",
        "expose",
        "container_name",
        "hostname",
        "depends_on",
        "links",
        "networks",
        "volumes",
    ];
    WIRING.iter().any(|w| {
        key == *w
            || key
                .strip_prefix(w)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

/// A service's rows (or the environment-wide rows) that settings are missing from.
struct Scope<'a> {
    service: Option<&'a ServiceComparison>,
    rows: &'a [Row],
    /// Per environment: the files it reads for this scope (the service's declaration and
    /// every setting's origin).
    files: Vec<BTreeSet<&'a str>>,
    /// Per environment: the keys it sets in this scope.
    keys: Vec<BTreeSet<String>>,
    /// Memos: whether two environments share a base; whether one's definition is minimal
    /// against the other's file.
    bases: RefCell<BTreeMap<(usize, usize), bool>>,
    minimal: RefCell<BTreeMap<(usize, usize, String), bool>>,
}

impl<'a> Scope<'a> {
    fn new(service: Option<&'a ServiceComparison>, rows: &'a [Row], envs: usize) -> Self {
        let mut files: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); envs];
        let mut keys: Vec<BTreeSet<String>> = vec![BTreeSet::new(); envs];
        for (e, set) in files.iter_mut().enumerate() {
            if let Some(view) = service.and_then(|s| s.envs[e].as_ref()) {
                set.insert(&*view.origin.file);
            }
            for r in rows {
                if let Some(o) = &r.cells[e].origin {
                    set.insert(&*o.file);
                }
                if r.cells[e].value != CellValue::Absent {
                    keys[e].insert(r.aspect.id().to_string());
                }
            }
        }
        Scope {
            service,
            rows,
            files,
            keys,
            bases: RefCell::default(),
            minimal: RefCell::default(),
        }
    }

    /// Whether a setting missing from an environment is planned by how the environments are
    /// written rather than drift (see the rule's doc, "What is not reported").
    fn planned(&self, ctx: &Context, m: &Missing) -> bool {
        let Some((p, origin)) = m.written() else {
            return true;
        };
        let present = (0..self.files.len()).filter(|e| m.row.cells[*e].value != CellValue::Absent);
        if is_local(ctx, m.env) || present.clone().all(|e| is_local(ctx, e)) {
            return true;
        }
        // One environment's choice: drift is what an environment lacks that every other
        // (deployed) environment sets; a setting only some of them set is chosen per
        // environment (a production-only flag two lower environments both lack).
        let exists = |e: usize| self.service.is_none_or(|s| s.envs[e].is_some());
        let all_others_set = (0..self.files.len())
            .filter(|e| *e != m.env && !is_local(ctx, *e) && exists(*e))
            .all(|e| m.row.cells[e].value != CellValue::Absent);
        if !all_others_set {
            return true;
        }
        if self.elsewhere_shaped(m) {
            return true;
        }
        // A label: a value naming its environment (`X-Environment: staging`) tells which
        // environment answers; another environment lacks nothing by not saying so.
        if m.row.cells.iter().any(|c| match &c.value {
            CellValue::Text { text, secret, .. } => !secret && names_environment(text),
            _ => false,
        }) {
            return true;
        }
        // Layered environments: where both read a shared base (one setting of this scope comes
        // from the same file and line in both), a setting one sets and the other lacks is an
        // overlay's own (Helm values-<env>.yaml on values.yaml, a Kustomize overlay, a Compose
        // override, a Spring profile on application.yml) or one its overlay removed: written
        // per environment on purpose. Drift is an omission between parallel copies.
        if self.share_a_base(m.env, p) {
            return true;
        }
        // A setting only some members of a replicated service set (a replica's `replicaof`)
        // describes the replication, which a single instance does not lack.
        if self.on_some_members(ctx, m, p) {
            return true;
        }
        // A minimal definition: this environment sets fewer than half of what the other's file
        // sets here (a test-suite config, a file or block the other environment has alone).
        self.is_minimal(m.env, p, origin)
    }

    fn is_minimal(&self, env: usize, p: usize, origin: &Origin) -> bool {
        let file = &*origin.file;
        if let Some(known) = self.minimal.borrow().get(&(env, p, file.to_string())) {
            return *known;
        }
        // Counted by block: the keys' first segment after the prefix they all share
        // (`config.` of a JSON config), so that one missing block weighs one.
        let keys: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.cells[p].origin.as_ref().is_some_and(|o| &*o.file == file))
            .map(|r| r.aspect.id().to_string())
            .collect();
        let common = if keys.is_empty() {
            0
        } else {
            common_prefix(&keys)
                .split('.')
                .filter(|s| !s.is_empty())
                .count()
        };
        let blocks: BTreeSet<String> = keys
            .iter()
            .map(|k| k.split('.').take(common + 1).collect::<Vec<_>>().join("."))
            .collect();
        let set = &self.keys[env];
        let shared = blocks
            .iter()
            .filter(|b| {
                set.contains(*b)
                    || set
                        .range(format!("{b}.")..)
                        .next()
                        .is_some_and(|k| k.starts_with(&format!("{b}.")))
            })
            .count();
        let minimal = shared * 2 < blocks.len();
        self.minimal
            .borrow_mut()
            .insert((env, p, file.to_string()), minimal);
        minimal
    }

    /// Whether some setting of this scope has the same origin (file and line) in both.
    fn share_a_base(&self, a: usize, b: usize) -> bool {
        let pair = (a.min(b), a.max(b));
        if let Some(known) = self.bases.borrow().get(&pair) {
            return *known;
        }
        let shared = self.base_shared(a, b);
        self.bases.borrow_mut().insert(pair, shared);
        shared
    }

    fn base_shared(&self, a: usize, b: usize) -> bool {
        let declared = |e: usize| {
            self.service
                .and_then(|s| s.envs[e].as_ref())
                .map(|v| &v.origin)
        };
        if declared(a).is_some() && declared(a) == declared(b) {
            return true;
        }
        self.rows
            .iter()
            .any(|r| r.cells[a].origin.is_some() && r.cells[a].origin == r.cells[b].origin)
    }

    /// Whether, in environment `p`, the service has several members and only some set `m`'s key.
    fn on_some_members(&self, ctx: &Context, m: &Missing, p: usize) -> bool {
        let Some(s) = self.service else {
            return false;
        };
        let Some(aligned) = ctx.aligned.iter().find(|a| a.name == s.name) else {
            return false;
        };
        let members: Vec<_> = aligned.services(ctx.scan, p).collect();
        let key = m.key();
        let setting = |k: &str| k == key;
        members.len() > 1
            && !members
                .iter()
                .all(|d| d.settings.keys().any(|k| setting(k)))
    }

    /// Whether the environment sets the key at another depth: a value where the other has a
    /// block (`values.volumes: []` against `values.volumes.src.*`), or the reverse.
    fn elsewhere_shaped(&self, m: &Missing) -> bool {
        let key = m.key();
        let set = &self.keys[m.env];
        // An ancestor set as a value: every prefix ending before a `.` or `[`.
        let ancestor = key
            .char_indices()
            .filter(|(_, c)| *c == '.' || *c == '[')
            .any(|(i, _)| set.contains(&key[..i]));
        let descendant = |sep: char| {
            let start = format!("{key}{sep}");
            set.range(start.clone()..)
                .next()
                .is_some_and(|k| k.starts_with(&start))
        };
        ancestor || descendant('.') || descendant('[')
    }
}

/// One setting not set in one environment.
struct Missing<'a> {
    env: usize,
    row: &'a Row,
}

impl Missing<'_> {
    fn key(&self) -> String {
        self.row.aspect.id().to_string()
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
    match scope.service.and_then(|s| s.envs[env].as_ref()) {
        Some(view) => f = f.at(&view.origin),
        // An environment-wide setting has no place in the environment that lacks it: the
        // finding points at where the other environment writes it.
        None => {
            if let Some((_, origin)) = written {
                f = f.at(origin);
            }
        }
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
    use crate::policy::Severity;

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

    /// `(severity, environment, service, setting)` of every EP011 finding.
    fn ep011(files: &[(&str, &str)]) -> Vec<(Severity, String, String, String)> {
        super::super::testing::findings(files)
            .into_iter()
            .filter(|f| f.rule == "EP011")
            .map(|f| {
                (
                    f.severity,
                    f.environment.unwrap_or_default(),
                    f.service.unwrap_or_default(),
                    f.setting.unwrap_or_default(),
                )
            })
            .collect()
    }

    fn row(
        sev: Severity,
        env: &str,
        service: &str,
        setting: &str,
    ) -> (Severity, String, String, String) {
        (
            sev,
            env.to_string(),
            service.to_string(),
            setting.to_string(),
        )
    }

    #[test]
    fn what_local_development_lacks_or_wires_differently_is_planned() {
        // Local: a bind mount, a published port, a dev variable, no nginx, a mail catcher, and
        // a worker built from the repository that no deployed environment runs.
        let files = [
            (
                "docker-compose.yml",
                "services:\n  web:\n    build: .\n    volumes: ['.:/app']\n    ports: ['8000:8000']\n    environment: {DEBUG: '1', A: '1'}\n  mail:\n    image: axllent/mailpit:1\n  worker:\n    build: ./worker\n    command: celery -A app worker\n",
            ),
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    build: .\n    environment: {A: '1', SENTRY_DSN: x}\n  nginx:\n    image: nginx:1\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    build: .\n    environment: {A: '1', SENTRY_DSN: x}\n",
            ),
        ];
        assert_eq!(
            ep011(&files),
            vec![
                row(Severity::Warning, "production", "nginx", ""),
                row(Severity::Note, "production", "worker", ""),
                row(Severity::Note, "staging", "worker", ""),
            ]
        );
    }

    #[test]
    fn wiring_and_environment_labels_are_not_missing_settings() {
        let files = pair(
            "services:\n  pgbouncer:\n    image: pgbouncer:1\n    ports: ['6432:6432']\n    depends_on: [db]\n    environment: {POOL: '10', APP_ENV: staging}\n  db:\n    image: postgres:16\n",
            "services:\n  pgbouncer:\n    image: pgbouncer:1\n    environment: {POOL: '10'}\n  db:\n    image: postgres:16\n",
        );
        assert_eq!(hits("EP011", &files), vec![]);
    }

    #[test]
    fn an_omission_between_parallel_copies_is_reported() {
        let files = pair(
            "services:\n  redis:\n    image: redis:7\n    environment: {A: '1', B: '2'}\n    logging: {driver: json-file, options: {max-size: 10m}}\n",
            "services:\n  redis:\n    image: redis:7\n    environment: {A: '1', B: '2', REDIS_PASSWORD: x}\n",
        );
        assert_eq!(
            hits("EP011", &files),
            vec![
                hit("production", "redis", "logging"),
                hit("staging", "redis", "env.REDIS_PASSWORD"),
            ]
        );
    }

    #[test]
    fn what_an_overlay_sets_on_a_shared_base_is_per_environment() {
        // One base, one override per environment: what one override adds (a variable, a cron
        // service) is that environment's own.
        let files = [
            (
                "docker-compose.yml",
                "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n",
            ),
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    environment: {C: '3'}\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    environment: {C: '3', GTM_ID: x}\n  cron:\n    image: app:1\n",
            ),
        ];
        assert_eq!(hits("EP011", &files), vec![]);
    }

    #[test]
    fn a_setting_only_some_environments_set_is_their_choice() {
        // Three parallel copies: production alone sets `SANDBOX`, both others lack it (a choice);
        // staging alone lacks `TIMEOUT` that development and production set (drift).
        let files = [
            (
                "docker-compose.development.yml",
                "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2', TIMEOUT: '5'}\n",
            ),
            (
                "docker-compose.staging.yml",
                "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2'}\n",
            ),
            (
                "docker-compose.production.yml",
                "services:\n  web:\n    image: app:1\n    environment: {A: '1', B: '2', TIMEOUT: '5', SANDBOX: 'no'}\n",
            ),
        ];
        assert_eq!(
            hits("EP011", &files),
            vec![hit("staging", "web", "env.TIMEOUT")]
        );
    }

    #[test]
    fn a_minimal_definition_is_not_a_list_of_omissions() {
        // Staging's worker sets one of the four blocks production's sets: another purpose (a
        // one-off runner), not four omissions.
        let files = pair(
            "services:\n  worker:\n    image: app:1\n",
            "services:\n  worker:\n    image: app:1\n    environment: {A: '1', B: '2'}\n    logging: {driver: json-file}\n    healthcheck: {test: [CMD, true], interval: 30s}\n",
        );
        assert_eq!(hits("EP011", &files), vec![]);
    }

    #[test]
    fn the_replication_of_one_environment_is_not_missing_from_another() {
        // Production replicates Redis and runs a Sentinel after its primary; staging runs one.
        let files = pair(
            "services:\n  redis:\n    image: redis:7\n    environment: {A: '1'}\n",
            "services:\n  redis-master:\n    image: redis:7\n    environment: {A: '1'}\n  redis-replica1:\n    image: redis:7\n    command: redis-server --replicaof redis-master 6379\n    environment: {A: '1'}\n  redis-sentinel:\n    image: redis:7\n    depends_on: [redis-master]\n",
        );
        assert_eq!(hits("EP011", &files), vec![]);
    }

    #[test]
    fn services_of_unlike_sources_are_not_compared() {
        // Staging is a dotenv file of one app; production a Compose stack.
        let files = [
            (
                "docker-compose.production.yml",
                "services:\n  api:\n    image: app:1\n  db:\n    image: postgres:16\n",
            ),
            ("apps/site/.env.staging", "API_URL=https://api\n"),
            ("apps/site/.env.production", "API_URL=https://api\n"),
        ];
        let found = hits("EP011", &files);
        assert!(
            !found
                .iter()
                .any(|(e, s, _)| e == "staging" && (s == "api" || s == "db")),
            "{found:?}"
        );
    }

    /// A variable production's tfvars lacks has no line in production: the finding points at
    /// the line of the other environment that sets it.
    #[test]
    fn an_environment_wide_omission_points_where_it_is_set() {
        let found = super::super::testing::findings(&[
            (
                "variables.tf",
                "variable \"region\" {}\nvariable \"sub_id\" {}\n",
            ),
            ("staging.tfvars", "region = \"west\"\nsub_id = \"a1\"\n"),
            ("production.tfvars", "region = \"west\"\n"),
        ]);
        let f: Vec<_> = found.iter().filter(|f| f.rule == "EP011").collect();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].environment.as_deref(), Some("production"));
        assert_eq!(f[0].setting.as_deref(), Some("terraform.sub_id"));
        assert_eq!(
            (f[0].file.as_deref(), f[0].line),
            (Some("staging.tfvars"), Some(2))
        );
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
