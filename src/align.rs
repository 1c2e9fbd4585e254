//! Alignment: which services of different environments are the same logical service.
//!
//! Within an environment, numbered replicas (`web1..web4`) and primary/replica sets
//! (`redis-master`, `redis-replica-1`) group into one logical service with several instances.
//! Across environments, services match by name once environment tokens are stripped
//! (`job-finder-staging` ~ `job-finder-production`), then by role and image for what is left.
//! Every match records why, so a user can check it.

use crate::hash::{HashMap, HashSet};
use std::collections::BTreeMap;

use serde::Serialize;

use crate::discover::is_env_word;
use crate::model::{Role, Scan, Service};

/// One logical service across environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlignedService {
    /// Logical name (`web`, `redis`, `job-finder`).
    pub name: String,
    pub role: Role,
    /// Per environment (same order as the scan), indices into that environment's services.
    pub members: Vec<Vec<usize>>,
    /// Why these were put together, one line each.
    pub reasons: Vec<String>,
}

impl AlignedService {
    /// The member services in environment `env`.
    pub fn services<'a>(&'a self, scan: &'a Scan, env: usize) -> impl Iterator<Item = &'a Service> {
        self.members[env]
            .iter()
            .map(move |&i| &scan.environments[env].services[i])
    }
}

/// Words that mark one member of a primary/replica set.
const MEMBER_WORDS: &[&str] = &[
    "master",
    "primary",
    "replica",
    "replicas",
    "slave",
    "secondary",
    "standby",
    "leader",
    "follower",
];

/// The logical name of a service: lower-case, environment words removed, replica numbering and
/// primary/replica words removed. `job-finder-staging` -> `job-finder`, `web3` -> `web`,
/// `redis-replica-1` -> `redis`, `redis-sentinel-2` -> `redis-sentinel`.
pub fn logical_name(name: &str, env_names: &[String]) -> String {
    let lower = name.to_ascii_lowercase();
    let is_env = |w: &str| is_env_word(w) || env_names.iter().any(|e| e == w);
    let tokens: Vec<&str> = lower
        .split(['-', '_', '.'])
        .filter(|t| !t.is_empty() && !is_env(t))
        .collect();
    let mut tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
    // Trailing numbering: `web1`, `worker-2`.
    if let Some(last) = tokens.last_mut() {
        if last.chars().all(|c| c.is_ascii_digit()) {
            tokens.pop();
        } else {
            let trimmed = last
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string();
            *last = trimmed;
        }
    }
    while tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|t| MEMBER_WORDS.contains(&t.as_str()))
    {
        tokens.pop();
    }
    if let Some(last) = tokens.last() {
        if last.chars().all(|c| c.is_ascii_digit()) && tokens.len() > 1 {
            tokens.pop();
        }
    }
    let joined = tokens.join("-");
    if joined.is_empty() {
        lower
    } else {
        joined
    }
}

/// The (logical name, role) groups that are not replicas of one service: in some environment
/// two of their members run images of different repositories (`job-0` runs `shop/orders`,
/// `job-1` runs `shop/billing`). Replicas run one image.
fn not_replicas<'a>(scan: &Scan, logical: &'a [Vec<String>]) -> HashSet<(&'a str, Role)> {
    let mut distinct = HashSet::default();
    for (env, names) in scan.environments.iter().zip(logical) {
        let mut repo_of: HashMap<(&str, Role), &str> = HashMap::default();
        for (service, name) in env.services.iter().zip(names) {
            let Some(image) = &service.image else {
                continue;
            };
            let key = (name.as_str(), service.role);
            let repo = image.value.repository.as_str();
            if *repo_of.entry(key).or_insert(repo) != repo {
                distinct.insert(key);
            }
        }
    }
    distinct
}

/// A service's name with only the environment words removed (numbers kept): `job-0-staging`
/// -> `job-0`.
fn name_without_environment(name: &str, env_names: &[String]) -> String {
    let lower = name.to_ascii_lowercase();
    let joined = lower
        .split(['-', '_', '.'])
        .filter(|t| !(t.is_empty() || is_env_word(t) || env_names.iter().any(|e| e == t)))
        .collect::<Vec<_>>()
        .join("-");
    if joined.is_empty() {
        lower
    } else {
        joined
    }
}

/// Align the services of every environment.
pub fn align(scan: &Scan) -> Vec<AlignedService> {
    let env_names: Vec<String> = scan.environments.iter().map(|e| e.name.clone()).collect();
    let n_envs = scan.environments.len();

    // Group within each environment by logical name and role; names whose members run
    // different images are distinct services, not replicas, and keep their numbers.
    let logical: Vec<Vec<String>> = scan
        .environments
        .iter()
        .map(|env| {
            env.services
                .iter()
                .map(|s| logical_name(&s.name, &env_names))
                .collect()
        })
        .collect();
    let distinct = not_replicas(scan, &logical);
    let mut by_key: BTreeMap<(String, Role), AlignedService> = BTreeMap::new();
    for (e, env) in scan.environments.iter().enumerate() {
        for (i, service) in env.services.iter().enumerate() {
            let mut name = logical[e][i].clone();
            if distinct.contains(&(name.as_str(), service.role)) {
                name = name_without_environment(&service.name, &env_names);
            }
            let entry = by_key
                .entry((name.clone(), service.role))
                .or_insert_with(|| AlignedService {
                    name,
                    role: service.role,
                    members: vec![Vec::new(); n_envs],
                    reasons: Vec::new(),
                });
            entry.members[e].push(i);
        }
    }
    let aligned: Vec<AlignedService> = by_key.into_values().collect();
    let aligned = match_leftovers(aligned, scan, n_envs);
    let mut aligned = match_by_name_words(aligned, scan);

    for a in &mut aligned {
        explain(a, scan);
    }
    aligned.sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
    aligned
}

/// What is left unmatched (missing from some environment): match by role and image repository
/// when exactly one candidate on each side fits, in list order.
///
/// Candidates are found through an index keyed by (role, image repositories), so the cost is
/// linear in the number of services rather than quadratic; merging never changes a group's key
/// (both sides have the same repositories).
fn match_leftovers(
    mut aligned: Vec<AlignedService>,
    scan: &Scan,
    n_envs: usize,
) -> Vec<AlignedService> {
    let complete = |a: &AlignedService| a.members.iter().all(|m| !m.is_empty());
    let keys: Vec<Option<(Role, Vec<String>)>> = aligned
        .iter()
        .map(|a| {
            let repos = image_repos(a, scan);
            (!complete(a) && !repos.is_empty()).then_some((a.role, repos))
        })
        .collect();
    let mut buckets: HashMap<&(Role, Vec<String>), Vec<usize>> = HashMap::default();
    for (k, key) in keys.iter().enumerate() {
        if let Some(key) = key {
            buckets.entry(key).or_default().push(k);
        }
    }
    let mut alive = vec![true; aligned.len()];
    for i in 0..aligned.len() {
        if !alive[i] {
            continue;
        }
        let Some(key) = &keys[i] else { continue };
        let bucket = &buckets[key];
        while aligned[i].members.iter().filter(|m| !m.is_empty()).count() != n_envs {
            let mut candidates = bucket
                .iter()
                .copied()
                .filter(|&j| j != i && alive[j] && disjoint_envs(&aligned[i], &aligned[j]));
            let (Some(j), None) = (candidates.next(), candidates.next()) else {
                break;
            };
            alive[j] = false;
            let other = std::mem::replace(
                &mut aligned[j],
                AlignedService {
                    name: String::new(),
                    role: key.0,
                    members: Vec::new(),
                    reasons: Vec::new(),
                },
            );
            let this = &mut aligned[i];
            this.reasons.push(format!(
                "matched by role ({}) and image `{}`: `{}` ~ `{}`",
                this.role,
                key.1.join(", "),
                this.name,
                other.name
            ));
            for (e, m) in other.members.into_iter().enumerate() {
                this.members[e].extend(m);
            }
        }
    }
    aligned
        .into_iter()
        .zip(alive)
        .filter_map(|(a, alive)| alive.then_some(a))
        .collect()
}

/// What is still unmatched: a service of the same role, in disjoint environments, whose name's
/// words all begin the other's (`celery` ~ `celery-worker`) or that is built from the same
/// build context (a local `app` running the code production runs as `web`), when each is the
/// other's only such candidate. The name kept is the one of the highest environment.
fn match_by_name_words(mut aligned: Vec<AlignedService>, scan: &Scan) -> Vec<AlignedService> {
    let contexts: Vec<Option<String>> = aligned.iter().map(|a| build_context(a, scan)).collect();
    let complete = |a: &AlignedService| a.members.iter().all(|m| !m.is_empty());
    let words = |a: &AlignedService| -> Vec<String> {
        a.name.split('-').map(str::to_string).collect::<Vec<_>>()
    };
    let begins =
        |short: &[String], long: &[String]| short.len() < long.len() && long.starts_with(short);
    let fits = |i: usize, j: usize, aligned: &[AlignedService]| {
        let (a, b) = (&aligned[i], &aligned[j]);
        let same_build = contexts[i].is_some() && contexts[i] == contexts[j];
        a.role == b.role
            && !complete(a)
            && !complete(b)
            && disjoint_envs(a, b)
            && (begins(&words(a), &words(b)) || begins(&words(b), &words(a)) || same_build)
    };
    // Only services missing from some environment can match, and only within their role: the
    // search runs over those, not over every pair of services.
    let mut open: HashMap<Role, Vec<usize>> = HashMap::default();
    for (i, a) in aligned.iter().enumerate().filter(|(_, a)| !complete(a)) {
        open.entry(a.role).or_default().push(i);
    }
    let candidates = |i: usize, aligned: &[AlignedService]| -> Vec<usize> {
        open.get(&aligned[i].role)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|&j| j != i && fits(i, j, aligned))
            .collect()
    };
    let mut in_order: Vec<usize> = open.values().flatten().copied().collect();
    in_order.sort_unstable();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for i in in_order {
        if let [j] = candidates(i, &aligned)[..] {
            if i < j && candidates(j, &aligned) == [i] {
                pairs.push((i, j));
            }
        }
    }
    let mut gone = vec![false; aligned.len()];
    for (i, j) in pairs {
        let highest = |a: &AlignedService| a.members.iter().rposition(|m| !m.is_empty());
        let (keep, other) = if highest(&aligned[i]) >= highest(&aligned[j]) {
            (i, j)
        } else {
            (j, i)
        };
        let taken = std::mem::take(&mut aligned[other].members);
        let by = if contexts[keep].is_some() && contexts[keep] == contexts[other] {
            "build context"
        } else {
            "name"
        };
        let reason = format!(
            "matched by role ({}) and {by}: `{}` ~ `{}`",
            aligned[keep].role, aligned[other].name, aligned[keep].name
        );
        let target = &mut aligned[keep];
        for (e, m) in taken.into_iter().enumerate() {
            target.members[e].extend(m);
        }
        target.reasons.push(reason);
        gone[other] = true;
    }
    aligned
        .into_iter()
        .zip(gone)
        .filter_map(|(a, gone)| (!gone).then_some(a))
        .collect()
}

/// Record name-based reasons: environment tokens stripped, replicas grouped.
fn explain(a: &mut AlignedService, scan: &Scan) {
    let mut stripped = Vec::new();
    for (e, env) in scan.environments.iter().enumerate() {
        let names: Vec<&str> = a.services(scan, e).map(|s| s.name.as_str()).collect();
        if names.len() > 1 {
            a.reasons.push(format!(
                "{} in {}: {} grouped as one service with {} members",
                if names
                    .iter()
                    .any(|n| MEMBER_WORDS.iter().any(|w| n.contains(w)))
                {
                    "primary and replicas"
                } else {
                    "numbered replicas"
                },
                env.name,
                names.join(", "),
                names.len()
            ));
        } else if let [one] = names[..] {
            if one != a.name {
                stripped.push(format!("`{one}` ({})", env.name));
            }
        }
    }
    if !stripped.is_empty() {
        a.reasons.push(format!(
            "names without environment tokens or numbering: {} -> `{}`",
            stripped.join(", "),
            a.name
        ));
    }
}

/// The Compose build context every member of `a` is built from (`./` and a trailing `/`
/// ignored), when they have one and no image.
fn build_context(a: &AlignedService, scan: &Scan) -> Option<String> {
    let mut contexts = (0..scan.environments.len())
        .flat_map(|e| a.services(scan, e))
        .map(|s| {
            if s.image.is_some() {
                return None;
            }
            let setting = s
                .settings
                .get("build.context")
                .or_else(|| s.settings.get("build"))?;
            let text = setting
                .display()
                .trim_start_matches("./")
                .trim_end_matches('/');
            Some(if text.is_empty() { "." } else { text }.to_string())
        });
    let first = contexts.next()??;
    contexts
        .all(|c| c.as_deref() == Some(&*first))
        .then_some(first)
}

fn image_repos(a: &AlignedService, scan: &Scan) -> Vec<String> {
    let mut repos: Vec<String> = (0..scan.environments.len())
        .flat_map(|e| a.services(scan, e))
        .filter_map(|s| s.image.as_ref().map(|i| i.value.repository.clone()))
        .collect();
    repos.sort();
    repos.dedup();
    repos
}

fn disjoint_envs(a: &AlignedService, b: &AlignedService) -> bool {
    a.members
        .iter()
        .zip(&b.members)
        .all(|(x, y)| x.is_empty() || y.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Environment, ImageRef, Located, Origin};

    #[test]
    fn logical_names() {
        let envs = vec!["staging".to_string(), "production".to_string()];
        assert_eq!(logical_name("job-finder-staging", &envs), "job-finder");
        assert_eq!(logical_name("job-finder-production", &envs), "job-finder");
        assert_eq!(logical_name("web1", &envs), "web");
        assert_eq!(logical_name("web12", &envs), "web");
        assert_eq!(logical_name("redis-master", &envs), "redis");
        assert_eq!(logical_name("redis-replica-2", &envs), "redis");
        assert_eq!(logical_name("redis-sentinel-3", &envs), "redis-sentinel");
        assert_eq!(logical_name("db-replica-1", &envs), "db");
        assert_eq!(logical_name("celery_beat", &envs), "celery-beat");
        assert_eq!(logical_name("prod", &envs), "prod");
        assert_eq!(logical_name("primary", &envs), "primary");
        assert_eq!(logical_name("s3", &envs), "s");
    }

    fn service(name: &str, role: Role, image: &str) -> Service {
        let mut s = Service::new(name, Origin::new("f.yml", 1));
        s.role = role;
        s.image = Some(Located::new(
            ImageRef::parse(image),
            Origin::new("f.yml", 2),
        ));
        s
    }

    fn scan(envs: Vec<(&str, Vec<Service>)>) -> Scan {
        Scan {
            environments: envs
                .into_iter()
                .map(|(n, services)| Environment {
                    services,
                    ..Environment::new(n)
                })
                .collect(),
            unread: Vec::new(),
            notes: vec![],
        }
    }

    fn summary(aligned: &[AlignedService]) -> Vec<(String, Vec<usize>)> {
        aligned
            .iter()
            .map(|a| (a.name.clone(), a.members.iter().map(Vec::len).collect()))
            .collect()
    }

    #[test]
    fn numbered_replicas_group_and_align() {
        let s = scan(vec![
            (
                "staging",
                vec![
                    service("web1", Role::Web, "app"),
                    service("web2", Role::Web, "app"),
                ],
            ),
            (
                "production",
                (1..=4)
                    .map(|i| service(&format!("web{i}"), Role::Web, "app"))
                    .collect(),
            ),
        ]);
        let a = align(&s);
        assert_eq!(summary(&a), vec![("web".to_string(), vec![2, 4])]);
        assert!(a[0]
            .reasons
            .iter()
            .any(|r| r.contains("numbered replicas in production: web1, web2, web3, web4")));
    }

    #[test]
    fn numbered_services_running_different_images_are_not_replicas() {
        let jobs = |env: &str| {
            vec![
                service(&format!("job-0-{env}"), Role::Worker, "shop/orders"),
                service(&format!("job-1-{env}"), Role::Worker, "shop/billing"),
                service("web1", Role::Web, "shop/web"),
                service("web2", Role::Web, "shop/web"),
            ]
        };
        let a = align(&scan(vec![
            ("staging", jobs("staging")),
            ("production", jobs("production")),
        ]));
        assert_eq!(
            summary(&a),
            vec![
                ("web".to_string(), vec![2, 2]),
                ("job-0".to_string(), vec![1, 1]),
                ("job-1".to_string(), vec![1, 1]),
            ]
        );
    }

    #[test]
    fn primary_and_replicas_group_sentinels_stay_apart() {
        let s = scan(vec![
            ("staging", vec![service("redis", Role::Cache, "redis")]),
            (
                "production",
                vec![
                    service("redis-master", Role::Cache, "redis"),
                    service("redis-replica-1", Role::Cache, "redis"),
                    service("redis-replica-2", Role::Cache, "redis"),
                    service("redis-sentinel-1", Role::Cache, "redis"),
                    service("redis-sentinel-2", Role::Cache, "redis"),
                ],
            ),
        ]);
        assert_eq!(
            summary(&align(&s)),
            vec![
                ("redis".to_string(), vec![1, 3]),
                ("redis-sentinel".to_string(), vec![0, 2])
            ]
        );
    }

    #[test]
    fn falls_back_to_role_and_image() {
        let s = scan(vec![
            (
                "staging",
                vec![service("pg", Role::Database, "postgres:15")],
            ),
            (
                "production",
                vec![service("main-db", Role::Database, "postgres:15")],
            ),
        ]);
        let a = align(&s);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].members, vec![vec![0], vec![0]]);
        assert!(a[0].reasons[0].contains("matched by role (database) and image `postgres`"));
    }

    #[test]
    fn fallback_merges_across_three_environments_and_refuses_ambiguity() {
        let s = scan(vec![
            (
                "development",
                vec![
                    service("main-pg", Role::Database, "postgres:15"),
                    service("q1", Role::Queue, "rabbitmq:3"),
                ],
            ),
            (
                "staging",
                vec![
                    service("main-pg", Role::Database, "postgres:15"),
                    service("qa", Role::Queue, "rabbitmq:3"),
                    service("qb", Role::Queue, "rabbitmq:3"),
                ],
            ),
            (
                "production",
                vec![service("core-db", Role::Database, "postgres:16")],
            ),
        ]);
        let a = align(&s);
        // `main-pg` (development, staging) takes production's `core-db`.
        let db: Vec<_> = a.iter().filter(|x| x.role == Role::Database).collect();
        assert_eq!(db.len(), 1);
        assert_eq!(db[0].members, vec![vec![0], vec![0], vec![0]]);
        assert!(db[0].reasons[0].starts_with("matched by role (database)"));
        // `q` (development) has two candidates and is passed over; `qa` then has one: `q`.
        let queues: Vec<_> = a
            .iter()
            .filter(|x| x.role == Role::Queue)
            .map(|x| (x.name.as_str(), x.members.clone()))
            .collect();
        assert_eq!(
            queues,
            vec![
                ("qa", vec![vec![1], vec![1], vec![]]),
                ("qb", vec![vec![], vec![2], vec![]])
            ]
        );
    }

    /// Many services present in one environment only, each with its own image: linear, and
    /// each finds its single partner.
    #[test]
    fn many_leftovers_match_pairwise() {
        let n = 2000;
        // Letters, not numbers: trailing numbers mean replicas.
        let word = |mut i: usize| {
            let mut w = String::new();
            for _ in 0..3 {
                w.push((b'a' + (i % 26) as u8) as char);
                i /= 26;
            }
            w
        };
        let s = scan(vec![
            (
                "staging",
                (0..n)
                    .map(|i| {
                        service(
                            &format!("s-{}", word(i * 7 % n)),
                            Role::Web,
                            &format!("img{i}"),
                        )
                    })
                    .collect(),
            ),
            (
                "production",
                (0..n)
                    .map(|i| service(&format!("p-{}", word(i)), Role::Web, &format!("img{i}")))
                    .collect(),
            ),
        ]);
        let a = align(&s);
        assert_eq!(a.len(), n);
        assert!(a.iter().all(|x| x.members.iter().all(|m| m.len() == 1)));
    }

    #[test]
    fn different_things_stay_apart() {
        let s = scan(vec![
            ("staging", vec![service("cache", Role::Cache, "memcached")]),
            ("production", vec![service("redis", Role::Cache, "redis")]),
        ]);
        assert_eq!(align(&s).len(), 2);
    }
    fn built(name: &str, role: Role, context: &str) -> Service {
        let mut s = Service::new(name, Origin::new("f.yml", 1));
        s.role = role;
        s.settings.insert(
            "build.context".into(),
            crate::model::Setting::new("build.context", context, Origin::new("f.yml", 2)),
        );
        s
    }

    #[test]
    fn leftovers_match_by_the_words_of_their_names() {
        // A local `celery` is production's `celery-worker`; `celery-beat` matches by name.
        let s = scan(vec![
            (
                "local",
                vec![
                    built("celery", Role::Worker, "./worker"),
                    built("celery-beat", Role::Scheduler, "."),
                ],
            ),
            (
                "production",
                vec![
                    built("celery-worker1", Role::Worker, "."),
                    built("celery-worker2", Role::Worker, "."),
                    built("celery-beat", Role::Scheduler, "."),
                ],
            ),
        ]);
        assert_eq!(
            summary(&align(&s)),
            vec![
                ("celery-worker".to_string(), vec![1, 2]),
                ("celery-beat".to_string(), vec![1, 1]),
            ]
        );
    }

    #[test]
    fn leftovers_match_by_their_build_context() {
        // Local `app` runs the code production builds as `web`; `admin` has its own context.
        let s = scan(vec![
            ("local", vec![built("app", Role::Web, "./")]),
            (
                "production",
                vec![
                    built("web", Role::Web, "."),
                    built("admin", Role::Web, "admin"),
                ],
            ),
        ]);
        let a = align(&s);
        assert_eq!(
            summary(&a),
            vec![
                ("admin".to_string(), vec![0, 1]),
                ("web".to_string(), vec![1, 1]),
            ]
        );
        assert!(
            a[1].reasons[0].contains("build context"),
            "{:?}",
            a[1].reasons
        );
    }
}
