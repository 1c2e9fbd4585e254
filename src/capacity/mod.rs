//! Capacity: how many requests (web) and tasks (workers) each environment can serve at once,
//! computed as instances x worker processes x threads from the settings sources already read
//! (`gunicorn.workers`, `env.GUNICORN_WORKERS`, `celery.concurrency`, an HPA's range, ...).
//!
//! Every number keeps the file:line of its inputs; a value that cannot be known is `Unknown`
//! with the reason, never a number. Totals per environment are compared with the reference
//! (highest) environment. Reports render this; rules (EP019, EP021) read it.

mod servers;

use serde::Serialize;

use crate::align::AlignedService;
use crate::model::{Origin, Scan, Service};

pub use servers::{per_instance, PerInstance};

/// What a service serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Concurrent web requests.
    Web,
    /// Concurrent background tasks.
    Worker,
}

impl Kind {
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Web => "concurrent requests",
            Kind::Worker => "concurrent tasks",
        }
    }
}

/// One factor of a product (instances, processes, threads) and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub min: u32,
    /// Above `min` when an autoscaler manages the count.
    pub max: u32,
    /// `gunicorn.workers` at compose.yml:12, or the default it stands for.
    pub basis: String,
    /// Where it was set; `None` for a default.
    pub origin: Option<Origin>,
}

impl Factor {
    pub fn set(n: u32, key: &str, origin: Origin) -> Factor {
        Factor {
            min: n,
            max: n,
            basis: format!("`{key}` at {origin}"),
            origin: Some(origin),
        }
    }

    pub fn default_value(n: u32, why: &str) -> Factor {
        Factor {
            min: n,
            max: n,
            basis: why.to_string(),
            origin: None,
        }
    }

    fn shown(&self, autoscaler: Option<&str>) -> String {
        match (self.min == self.max, autoscaler) {
            (true, _) => self.min.to_string(),
            (false, Some(by)) => format!("{}-{} ({by})", self.min, self.max),
            (false, None) => format!("{}-{}", self.min, self.max),
        }
    }
}

/// A count that is known (a range when autoscaled) or unknown with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Amount {
    Known { min: u64, max: u64 },
    Unknown { reason: String },
}

impl Amount {
    pub fn shown(&self) -> String {
        match self {
            Amount::Known { min, max } if min == max => min.to_string(),
            Amount::Known { min, max } => format!("{min}-{max}"),
            Amount::Unknown { .. } => "unknown".into(),
        }
    }

    pub fn known(&self) -> Option<(u64, u64)> {
        match self {
            Amount::Known { min, max } => Some((*min, *max)),
            Amount::Unknown { .. } => None,
        }
    }
}

/// Members of one logical service that share processes and threads: instances x processes x
/// threads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Term {
    /// The declared services behind it (`web1`, `web2`).
    pub members: Vec<String>,
    pub instances: Factor,
    /// What scales it (`HPA`), when autoscaled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<String>,
    pub processes: Factor,
    pub threads: Factor,
}

impl Term {
    fn amount(&self) -> (u64, u64) {
        let per = u64::from(self.processes.min) * u64::from(self.threads.min);
        (
            u64::from(self.instances.min) * per,
            u64::from(self.instances.max) * per,
        )
    }
}

/// A logical service's capacity in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvCapacity {
    pub total: Amount,
    /// `2 x 4 x 2 = 16` (instances x processes x threads), or why it is unknown.
    pub arithmetic: String,
    /// The products summed (one per group of alike members); empty when unknown.
    pub terms: Vec<Term>,
    /// Each input and where it came from.
    pub inputs: Vec<String>,
}

/// One logical service that serves requests or tasks, across environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceCapacity {
    pub service: String,
    pub kind: Kind,
    pub server: String,
    /// Per environment (scan order); `None` where the service is absent.
    pub envs: Vec<Option<EnvCapacity>>,
}

/// One environment's totals per kind, with the change against the reference environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityTotal {
    pub kind: Kind,
    pub total: Amount,
    /// `16 (web) + ...`: the services summed.
    pub arithmetic: String,
    /// Percentage against the reference (of the minimums), when both are known.
    pub change_pct: Option<f64>,
}

/// Capacity of every service that serves requests or tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Capacity {
    pub services: Vec<ServiceCapacity>,
    /// Per environment: a total per kind present anywhere.
    pub totals: Vec<Vec<CapacityTotal>>,
}

impl Capacity {
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// A service's capacity in an environment, by logical name.
    pub fn of(&self, service: &str, env: usize) -> Option<&EnvCapacity> {
        self.services
            .iter()
            .find(|s| s.service == service)
            .and_then(|s| s.envs.get(env)?.as_ref())
    }
}

/// Compute capacity per aligned service and environment, totals, and changes against
/// `reference`.
pub fn compute(scan: &Scan, aligned: &[AlignedService], reference: usize) -> Capacity {
    let n = scan.environments.len();
    let mut services = Vec::new();
    for a in aligned {
        let mut kind_server = None;
        let envs: Vec<Option<EnvCapacity>> = (0..n)
            .map(|e| {
                let members: Vec<&Service> = a.services(scan, e).collect();
                let read: Vec<(&Service, PerInstance)> = members
                    .iter()
                    .filter_map(|s| per_instance(s).map(|p| (*s, p)))
                    .collect();
                let first = read.first()?;
                kind_server.get_or_insert((first.1.kind, first.1.server));
                Some(env_capacity(&read))
            })
            .collect();
        if let Some((kind, server)) = kind_server {
            services.push(ServiceCapacity {
                service: a.name.clone(),
                kind,
                server: server.to_string(),
                envs,
            });
        }
    }
    let totals = totals(&services, n, reference);
    Capacity { services, totals }
}

fn env_capacity(read: &[(&Service, PerInstance)]) -> EnvCapacity {
    let mut terms: Vec<Term> = Vec::new();
    for (service, p) in read {
        let (processes, threads) = match &p.factors {
            Ok(f) => f.clone(),
            Err(reason) => {
                return EnvCapacity {
                    total: Amount::Unknown {
                        reason: format!("{}: {reason}", service.name),
                    },
                    arithmetic: format!("unknown: {reason}"),
                    terms: Vec::new(),
                    inputs: vec![format!("{}: {reason}", service.name)],
                }
            }
        };
        let count = &service.instances;
        let at = count.origin.as_ref().unwrap_or(&service.origin);
        let basis = match (&count.origin, &count.autoscaler) {
            (Some(o), Some(by)) => format!("{} {by} at {o}", service.name),
            (Some(o), None) => format!("{} at {o}", service.name),
            (None, _) => format!("{} declared at {at}", service.name),
        };
        let alike = terms.iter_mut().find(|t| {
            t.processes.min == processes.min
                && t.threads.min == threads.min
                && t.autoscaler == count.autoscaler
        });
        let max = count.autoscale_max.unwrap_or(count.count);
        match alike {
            Some(t) => {
                t.members.push(service.name.clone());
                t.instances.min += count.count;
                t.instances.max += max;
                t.instances.basis.push_str(&format!(", {basis}"));
                merge_basis(&mut t.processes, &processes);
                merge_basis(&mut t.threads, &threads);
            }
            None => terms.push(Term {
                members: vec![service.name.clone()],
                instances: Factor {
                    min: count.count,
                    max,
                    basis,
                    origin: Some(at.clone()),
                },
                autoscaler: count.autoscaler.clone(),
                processes,
                threads,
            }),
        }
    }
    let (min, max) = terms
        .iter()
        .map(Term::amount)
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
    let total = Amount::Known { min, max };
    let products: Vec<String> = terms
        .iter()
        .map(|t| {
            format!(
                "{} x {} x {}",
                t.instances.shown(t.autoscaler.as_deref()),
                t.processes.min,
                t.threads.min
            )
        })
        .collect();
    let inputs = terms
        .iter()
        .flat_map(|t| {
            [
                format!(
                    "instances {}: {}",
                    t.instances.shown(t.autoscaler.as_deref()),
                    t.instances.basis
                ),
                format!("processes {}: {}", t.processes.min, t.processes.basis),
                format!("threads {}: {}", t.threads.min, t.threads.basis),
            ]
        })
        .collect();
    EnvCapacity {
        arithmetic: format!("{} = {}", products.join(" + "), total.shown()),
        total,
        terms,
        inputs,
    }
}

/// Several members set a factor in different places: list each place once.
fn merge_basis(into: &mut Factor, other: &Factor) {
    if !into.basis.split("; ").any(|b| b == other.basis) {
        into.basis.push_str(&format!("; {}", other.basis));
    }
}

fn totals(services: &[ServiceCapacity], n: usize, reference: usize) -> Vec<Vec<CapacityTotal>> {
    let mut kinds: Vec<Kind> = services.iter().map(|s| s.kind).collect();
    kinds.sort();
    kinds.dedup();
    let mut out: Vec<Vec<CapacityTotal>> = (0..n)
        .map(|e| kinds.iter().map(|k| total_of(services, *k, e)).collect())
        .collect();
    let reference_totals = out.get(reference).cloned().unwrap_or_default();
    for env in &mut out {
        for (t, r) in env.iter_mut().zip(&reference_totals) {
            t.change_pct = match (t.total.known(), r.total.known()) {
                (Some((a, _)), Some((b, _))) if b > 0 => {
                    Some(((a as f64 - b as f64) / b as f64 * 10000.0).round() / 100.0)
                }
                _ => None,
            };
        }
    }
    out
}

fn total_of(services: &[ServiceCapacity], kind: Kind, e: usize) -> CapacityTotal {
    let present: Vec<(&str, &EnvCapacity)> = services
        .iter()
        .filter(|s| s.kind == kind)
        .filter_map(|s| Some((s.service.as_str(), s.envs.get(e)?.as_ref()?)))
        .collect();
    let unknown: Vec<&str> = present
        .iter()
        .filter(|(_, c)| c.total.known().is_none())
        .map(|(name, _)| *name)
        .collect();
    let total = if !unknown.is_empty() {
        Amount::Unknown {
            reason: format!("unknown for {}", unknown.join(", ")),
        }
    } else {
        let (min, max) = present
            .iter()
            .filter_map(|(_, c)| c.total.known())
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
        Amount::Known { min, max }
    };
    let parts: Vec<String> = present
        .iter()
        .map(|(name, c)| format!("{} ({name})", c.total.shown()))
        .collect();
    CapacityTotal {
        kind,
        arithmetic: if parts.is_empty() {
            "none".into()
        } else {
            format!("{} = {}", parts.join(" + "), total.shown())
        },
        total,
        change_pct: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Environment, Setting};

    fn web(name: &str, workers: &str, line: u32) -> Service {
        let mut s = Service::new(name, Origin::new("compose.yml", line));
        for (k, v) in [("gunicorn.workers", workers), ("gunicorn.threads", "2")] {
            s.settings.insert(
                k.into(),
                Setting::new(k, v, Origin::new("compose.yml", line + 1)),
            );
        }
        s
    }

    fn scan(staging: Vec<Service>, production: Vec<Service>) -> (Scan, Vec<AlignedService>) {
        let mut s = Environment::new("staging");
        s.services = staging;
        let mut p = Environment::new("production");
        p.services = production;
        let scan = Scan {
            environments: vec![s, p],
            ..Scan::default()
        };
        let aligned = crate::align::align(&scan);
        (scan, aligned)
    }

    #[test]
    fn instances_times_workers_times_threads_with_totals() {
        let (scan, aligned) = scan(
            vec![web("web1", "4", 10), web("web2", "4", 20)],
            (1..=4)
                .map(|i| web(&format!("web{i}"), "17", i * 10))
                .collect(),
        );
        let c = compute(&scan, &aligned, 1);
        let s = c.of("web", 0).unwrap();
        assert_eq!(s.arithmetic, "2 x 4 x 2 = 16");
        assert_eq!(c.of("web", 1).unwrap().arithmetic, "4 x 17 x 2 = 136");
        assert!(
            s.inputs[1].contains("`gunicorn.workers` at compose.yml:11"),
            "{:?}",
            s.inputs
        );
        let total = &c.totals[0][0];
        assert_eq!(total.total, Amount::Known { min: 16, max: 16 });
        assert_eq!(total.change_pct.map(|p| p.round()), Some(-88.0));
    }

    #[test]
    fn an_autoscaler_gives_a_range_and_unknown_stays_unknown() {
        let mut hpa = web("web", "3", 1);
        hpa.instances.count = 2;
        hpa.instances.autoscale_max = Some(5);
        hpa.instances.autoscaler = Some("HPA".into());
        hpa.instances.origin = Some(Origin::new("hpa.yaml", 8));
        let (scan, aligned) = scan(vec![web("web", "x", 1)], vec![hpa]);
        let c = compute(&scan, &aligned, 1);
        assert_eq!(
            c.of("web", 1).unwrap().arithmetic,
            "2-5 (HPA) x 3 x 2 = 12-30"
        );
        let unknown = c.of("web", 0).unwrap();
        assert!(unknown.total.known().is_none());
        assert!(unknown.arithmetic.contains("`gunicorn.workers` = `x`"));
        assert_eq!(c.totals[0][0].total.shown(), "unknown");
        assert_eq!(c.totals[0][0].change_pct, None);
    }

    #[test]
    fn members_that_differ_are_summed() {
        let (scan, aligned) = scan(
            vec![web("web1", "2", 1)],
            vec![web("web1", "4", 1), web("web2", "2", 10)],
        );
        let c = compute(&scan, &aligned, 1);
        assert_eq!(
            c.of("web", 1).unwrap().arithmetic,
            "1 x 4 x 2 + 1 x 2 x 2 = 12"
        );
    }
}
