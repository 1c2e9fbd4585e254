//! EP001 cross-environment-reference.

use crate::hash::{HashMap, HashSet};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::{words, Context, Finding, Rule};
use crate::model::Setting;
use crate::policy::Severity;
use crate::verdict::without_environment_words;

pub static RULE: Rule = Rule {
    id: "EP001",
    name: "cross-environment-reference",
    severity: Severity::Error,
    summary: "a value in one environment names another environment's host, database, bucket, namespace, URL or volume",
    doc: r#"# EP001 cross-environment-reference

## What it finds
A setting in one environment whose value names another environment of the same repository:
a production `DATABASE_URL` pointing at `db-staging`, a production ingress host
`app.staging.example.com`, staging mounting `./data-production`. Only values that address
something are read: URLs, hosts, database, bucket, queue and namespace names, volumes and
networks.

An environment is named by a whole word: a host label other than the top-level domain
(`editor.example.dev` is not development), a path segment or a word of a name; `non-prod` is
the nonprod environment, placeholders (`${TEST_QUEUE}`) name nothing, and neither do ACME
issuers (`letsencrypt-prod`, used by every environment) or volume drivers (`driver: local`).
A value is judged as the verdicts judge it: where a setting differs between environments only
by their names (`api-dev.example.com` beside `api.example.com`), each value names its own
environment, and the words it uses are that environment's own (a staging tier calling itself
`dev`). The same value in every environment that holds it, naming each of them, is a name for
all of them, not a reference.

Local development (an environment named `development` or `local` read only from dotenv
files) pointing at a deployed non-production service it has no instance of (`.env.development`
with `API_HOST=https://api-staging.example.com`) is the usual way to develop, not a finding; the
same value pointing at production still is.

## Why it matters
Production reading or writing a staging database (or the reverse) corrupts data and leaks it
across a trust boundary; it is the mistake every hand-written environment document warns about.

## How to fix
Point the value at the environment's own resource. If the reference is deliberate (a one-way
replication from production to a staging read replica), waive it with a reason and an expiry.

## Example
```yaml
# docker-compose.production.yml
services:
  web:
    environment:
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db-staging:5432/app   # EP001
```
"#,
    check,
};

/// Words in a setting's name that say its value addresses something (`DATABASE_URL`,
/// `REDIS_HOST`, `UPLOAD_BUCKET`).
const ADDRESS_WORDS: &[&str] = &[
    "URL",
    "URI",
    "HOST",
    "ENDPOINT",
    "DSN",
    "SERVER",
    "ADDR",
    "DATABASE",
    "_DB",
    "DB_",
    "BUCKET",
    "NAMESPACE",
    "QUEUE",
    "TOPIC",
    "INDEX",
    "_NAME",
    "DOMAIN",
    "ORIGIN",
];

/// Setting keys whose values address something. Asked for every setting: one pass of a
/// multi-pattern automaton over the key's name instead of a search per word.
fn addresses_something(key: &str) -> bool {
    static WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(ADDRESS_WORDS)
            .ok()
    });
    let name = key.rsplit('.').next().unwrap_or(key);
    let starts = |prefix: &str| {
        key.get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
    };
    starts("volumes.")
        || starts("networks")
        || key
            .as_bytes()
            .windows(7)
            .any(|w| w.eq_ignore_ascii_case(b"ingress"))
        || WORDS.as_ref().is_some_and(|ac| ac.is_match(name))
        || ADDRESS_WORDS
            .iter()
            .any(|w| name.eq_ignore_ascii_case(w.trim_matches('_')))
}

/// Words naming each well-known environment: its canonical name and the aliases people write.
/// `nonprod` is an environment of its own, not production.
const ALIASES: &[(&str, &[&str])] = &[
    ("production", &["production", "prod", "prd"]),
    ("staging", &["staging", "stage", "stg"]),
    ("development", &["development", "dev"]),
    ("nonprod", &["nonprod", "nonproduction"]),
    ("qa", &["qa"]),
    ("uat", &["uat"]),
    ("preprod", &["preprod"]),
    ("test", &["test"]),
];

/// The words that name environment `env`: its aliases, or its own name when it has none.
fn aliases(env: &str) -> HashSet<String> {
    let mut set: HashSet<String> = ALIASES
        .iter()
        .find(|(name, _)| *name == env)
        .map(|(_, a)| a.iter().map(|w| w.to_string()).collect())
        .unwrap_or_default();
    set.insert(env.to_ascii_lowercase());
    set
}

/// A setting across environments: whether its key addresses something, and (environment,
/// value, the value's naming words) where it is set. Both are found once per row: both passes
/// over the settings need them.
#[derive(Default)]
struct Row<'a> {
    addresses: bool,
    values: Vec<(usize, &'a str, Vec<String>)>,
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    use rayon::prelude::*;
    let envs = ctx.env_names();
    let names: Vec<HashSet<String>> = envs.iter().map(|e| aliases(e)).collect();
    // A value is compared only with the same setting of the same service elsewhere: each
    // service's rows are built, and later judged, on their own, on every core.
    let groups = groups(ctx);
    let rows: Vec<Rows> = groups.par_iter().map(|g| rows(&g.settings)).collect();
    let own = own_words(envs, &names, rows.iter().flat_map(HashMap::values));
    let found: Vec<Vec<Finding>> = groups
        .par_iter()
        .zip(&rows)
        .map(|(group, rows)| judge(ctx, &names, &own, group, rows))
        .collect();
    out.extend(found.into_iter().flatten());
}

/// The settings of one logical service (`None`: the environment-wide ones), in the order
/// `Context::settings` yields them.
struct Group<'a> {
    service: Option<&'a str>,
    settings: Vec<(usize, &'a str, &'a Setting)>,
}

fn groups<'a>(ctx: &'a Context) -> Vec<Group<'a>> {
    let mut index: HashMap<Option<&str>, usize> = HashMap::default();
    let mut groups: Vec<Group> = Vec::new();
    for (e, service, settings) in ctx.scopes() {
        let i = *index.entry(service).or_insert_with(|| {
            groups.push(Group {
                service,
                settings: Vec::new(),
            });
            groups.len() - 1
        });
        let settings = settings.iter().map(|(k, v)| (e, k.as_str(), v));
        groups[i].settings.extend(settings);
    }
    groups
}

/// Judge one service's settings (see [`check`]).
fn judge(
    ctx: &Context,
    names: &[HashSet<String>],
    own: &[HashSet<String>],
    group: &Group,
    rows: &Rows,
) -> Vec<Finding> {
    let envs = ctx.env_names();
    let mut out = Vec::new();
    for &(e, key, setting) in &group.settings {
        let value = setting.display();
        if value.is_empty() || value.starts_with("/dev/") {
            continue;
        }
        let Some(row) = rows.get(key).filter(|r| r.addresses) else {
            continue;
        };
        let row = row.values.as_slice();
        let Some((_, _, found)) = row.iter().find(|(o, v, _)| *o == e && *v == value) else {
            continue;
        };
        if names_a_well_known_thing(key, found) || names_all_its_holders(row, found, own) {
            continue;
        }
        let named = envs.iter().enumerate().find_map(|(o, other)| {
            let word = (o != e)
                .then(|| {
                    found
                        .iter()
                        .find(|w| names[o].contains(*w) && !own[e].contains(*w))
                })
                .flatten()?;
            Some((word, o, other))
        });
        // Local development run from a dotenv file borrows the deployed non-production
        // services it has no instance of (`COMPLEXITY_API_HOST=https://...-staging...`): the
        // usual way to develop, not a deployed environment crossing into another.
        let named =
            named.filter(|&(_, o, _)| !is_local_development(ctx, e) || ctx.is_production_like(o));
        if let Some((word, _, other)) = named {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "{} value of `{key}` names `{word}`, which is the {other} environment",
                        envs[e]
                    ),
                )
                .on_setting(&envs[e], group.service, key, setting),
            );
        }
    }
    out
}

/// A developer's machine: an environment named `development` or `local` read from dotenv files
/// only (`.env.development`), no deployment of its own.
fn is_local_development(ctx: &Context, e: usize) -> bool {
    let env = &ctx.scan.environments[e];
    let is_dotenv = |file: &String| {
        let base = file.rsplit('/').next().unwrap_or(file);
        base.starts_with(".env") || base.ends_with(".env")
    };
    matches!(env.name.as_str(), "development" | "local")
        && !env.files.is_empty()
        && env.files.iter().all(is_dotenv)
}

/// One service's settings by key, in environment order.
type Rows<'a> = HashMap<&'a str, Row<'a>>;

/// One service's setting values by key. Naming words are found only where they are read:
/// values of addressing keys (judged) and rows whose values differ (where `own_words` learns);
/// the same value everywhere under another key teaches nothing.
fn rows<'a>(settings: &[(usize, &'a str, &'a Setting)]) -> Rows<'a> {
    let mut rows: Rows = HashMap::default();
    for &(e, key, setting) in settings {
        rows.entry(key)
            .or_default()
            .values
            .push((e, setting.display(), Vec::new()));
    }
    for (key, row) in rows.iter_mut() {
        row.addresses = addresses_something(key);
        let differs = row.values.windows(2).any(|w| w[0].1 != w[1].1);
        if differs || row.addresses {
            for (_, value, words) in row.values.iter_mut() {
                *words = naming_words(value);
            }
        }
    }
    rows
}

/// The words each environment uses for itself: its aliases, and the names its values give it
/// where a setting differs from another environment's only by the environments' names (what the
/// verdicts call intended): a staging tier whose hosts are `api-dev.example.com` beside
/// production's `api.example.com` calls itself `dev`. A pair of values that name each other's
/// environment (swapped) teaches nothing.
fn own_words<'r, 'a: 'r>(
    envs: &[String],
    names: &[HashSet<String>],
    rows: impl Iterator<Item = &'r Row<'a>>,
) -> Vec<HashSet<String>> {
    let mut own: Vec<HashSet<String>> = names.to_vec();
    for row in rows.map(|r| &r.values) {
        // Only values that differ can differ by the environments' names alone.
        if row.windows(2).all(|w| w[0].1 == w[1].1) {
            continue;
        }
        let words: Vec<&Vec<String>> = row.iter().map(|(_, _, w)| w).collect();
        // Each value without its environment words once, not once per pair it is in.
        let stripped: Vec<String> = row
            .iter()
            .map(|(_, v, _)| without_environment_words(v, envs))
            .collect();
        for (i, &(e, mine, _)) in row.iter().enumerate() {
            for (j, &(p, theirs, _)) in row.iter().enumerate() {
                let names_me = words[j].iter().any(|w| names[e].contains(w));
                // As the verdicts judge it: different values, equal once environment words
                // are removed (`api-dev.example.com`, `api.example.com`).
                let differs_only_by_names = mine != theirs && stripped[i] == stripped[j];
                if p == e || names_me || !differs_only_by_names {
                    continue;
                }
                let learned = words[i]
                    .iter()
                    .filter(|w| !words[j].contains(w) && names.iter().any(|n| n.contains(*w)));
                own[e].extend(learned.cloned());
            }
        }
    }
    own
}

/// The same value in every environment that sets it, naming each of them (`prod-staging-sync`
/// in staging and production): a name for all of them, not a reference from one to another.
fn names_all_its_holders(
    row: &[(usize, &str, Vec<String>)],
    found: &[String],
    own: &[HashSet<String>],
) -> bool {
    let same_everywhere = row.windows(2).all(|w| w[0].1 == w[1].1);
    row.len() >= 2
        && same_everywhere
        && row
            .iter()
            .all(|(e, _, _)| found.iter().any(|w| own[*e].contains(w)))
}

/// Names that contain an environment word but name something else: the ACME endpoints
/// (`letsencrypt-prod` is used by every environment) and volume drivers (`driver: local`).
fn names_a_well_known_thing(key: &str, found: &[String]) -> bool {
    let field = key.rsplit('.').next().unwrap_or(key);
    field.eq_ignore_ascii_case("driver")
        || key
            .as_bytes()
            .windows(6)
            .any(|w| w.eq_ignore_ascii_case(b"issuer"))
        || found.iter().any(|w| w == "letsencrypt" || w == "acme")
}

/// Words of a value that can name an environment: host labels but not the top-level domain
/// (`editor.example.dev` is not development), path segments and plain words; placeholders
/// (`${TEST_QUEUE}`) are dropped and `non-prod` reads as one word, `nonprod`.
fn naming_words(value: &str) -> Vec<String> {
    let text = without_placeholders(value);
    let mut found: Vec<String> = Vec::new();
    for part in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'')) {
        found.extend(part_words(part));
    }
    join_negations(found)
}

/// `${NAME}` and `{{ .Values.x }}` say where a value comes from, not what it is.
fn without_placeholders(value: &str) -> String {
    let mut text = value.to_string();
    for (open, close) in [("${", "}"), ("{{", "}}")] {
        while let Some(start) = text.find(open) {
            let Some(len) = text[start..].find(close) else {
                break;
            };
            text.replace_range(start..start + len + close.len(), " ");
        }
    }
    text
}

/// Words of one URL, host, path or name.
fn part_words(part: &str) -> Vec<String> {
    let rest = part.split_once("://").map_or(part, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    match labels_below_top_level_domain(host) {
        Some(labels) => words(labels)
            .chain(words(port))
            .chain(words(path))
            .collect(),
        None => words(part).collect(),
    }
}

/// Top-level domains and special-use names that read like environments (`planx.dev`,
/// `shop.prod`, `api.local` are DNS names, not development, production or local).
const DNS_SUFFIXES: &[&str] = &["dev", "prod", "test", "local"];

/// `editor.example.dev` -> `editor.example`; `app.staging` stays whole (no top-level domain is
/// called `staging`); `None` when `host` is no dotted name or ends in no such suffix.
fn labels_below_top_level_domain(host: &str) -> Option<&str> {
    let (labels, tld) = host.rsplit_once('.')?;
    let is_host = labels
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*'))
        && labels.bytes().any(|b| b.is_ascii_alphanumeric());
    (is_host && DNS_SUFFIXES.iter().any(|s| tld.eq_ignore_ascii_case(s))).then_some(labels)
}

/// `non`, `prod` -> `nonprod`.
fn join_negations(found: Vec<String>) -> Vec<String> {
    let mut joined: Vec<String> = Vec::with_capacity(found.len());
    let mut words = found.into_iter().peekable();
    while let Some(word) = words.next() {
        match words.peek() {
            Some(next) if word == "non" => {
                joined.push(format!("non{next}"));
                words.next();
            }
            _ => joined.push(word),
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hit, hits, pair};

    #[test]
    fn local_development_borrowing_deployed_non_production_services() {
        let local = "TIERS_API_HOST=https://tiers-staging.example.org\nPAYMENTS_API_HOST=https://payments-production.example.org\n";
        let deployed =
            "TIERS_API_HOST=https://tiers.example.org\nPAYMENTS_API_HOST=https://pay.example.org\n";
        let files = vec![
            (".env.development", local),
            (".env.staging", "TIERS_API_HOST=https://tiers-staging.example.org\nPAYMENTS_API_HOST=https://pay-staging.example.org\n"),
            (".env.production", deployed),
        ];
        // Local development may use staging's upstreams; production's it still may not.
        assert_eq!(
            hits("EP001", &files),
            vec![hit("development", "", "env.PAYMENTS_API_HOST")]
        );
        // A deployed development environment (its own Compose file) crossing into staging is.
        let compose = |host: &str| {
            format!("services:\n  web:\n    image: app:1\n    environment:\n      TIERS_API_HOST: {host}\n")
        };
        let (dev, prod) = (
            compose("https://tiers-staging.example.org"),
            compose("https://tiers-api.example.org"),
        );
        let files = vec![
            ("docker-compose.development.yml", dev.as_str()),
            ("docker-compose.staging.yml", dev.as_str()),
            ("docker-compose.production.yml", prod.as_str()),
        ];
        assert_eq!(
            hits("EP001", &files),
            vec![hit("development", "web", "env.TIERS_API_HOST")]
        );
    }

    #[test]
    fn production_pointing_at_staging_database() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-staging/app\n      ENVIRONMENT: staging\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-staging/app\n      ENVIRONMENT: production\n    volumes: ['./data-staging:/data']\n",
        );
        assert_eq!(
            hits("EP001", &files),
            vec![
                hit("production", "web", "env.DATABASE_URL"),
                hit("production", "web", "volumes./data")
            ]
        );
    }

    #[test]
    fn own_environment_and_non_addresses_do_not_fire() {
        let files = pair(
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-staging/app\n      NOTE: copied from production\n    volumes: ['/dev/shm:/dev/shm']\n",
            "services:\n  web:\n    image: app:1\n    environment:\n      DATABASE_URL: postgres://db-prod/app\n      NOTE: not staging\n",
        );
        assert!(hits("EP001", &files).is_empty());
    }
}
