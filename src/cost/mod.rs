//! Monthly cost (issue 13, item 3), per environment, item by item: the host the policy names
//! (`[cost] hosts`), Terraform resources (instances, databases, load balancers, caches,
//! volumes, NAT gateways), containers priced by their limits (or requests) on the platform the
//! policy names, and volume claims priced as block storage. Prices come from the dated
//! catalog compiled into the binary (`data/prices.toml`) with the policy's overrides. A figure
//! that cannot be known is unknown with its reason, never a guess; every figure says what it
//! was computed from. See docs/capacity-and-cost.md.

pub mod catalog;
mod containers;
mod resources;

pub use catalog::{Catalog, InstanceType};

use serde::Serialize;

use crate::model::{Origin, Scan};
use crate::policy::{cost::CostPolicy, Policy};

/// What one environment costs a month on the host the policy names (`[cost] hosts`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostCost {
    pub instance_type: String,
    pub vcpu: f64,
    pub memory_gib: f64,
    pub hourly: f64,
    pub hours_per_month: f64,
    pub monthly: f64,
    /// `m5.4xlarge (16 vCPU, 64 GiB) at $0.768/h x 730 h`, with the policy file and line.
    pub computed_from: String,
    /// Monthly difference against the reference environment (positive = cheaper), when both
    /// are known.
    pub saving_vs_reference: Option<f64>,
}

/// USD a month: a fixed amount or, under an autoscaler, a range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    pub fn fixed(v: f64) -> Range {
        Range { min: v, max: v }
    }

    fn scaled(self, by: f64) -> Range {
        Range {
            min: self.min * by,
            max: self.max * by,
        }
    }

    fn rounded(self) -> Range {
        Range {
            min: cents(self.min),
            max: cents(self.max),
        }
    }
}

/// An item's monthly price, or why it cannot be known.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Monthly {
    Known {
        #[serde(flatten)]
        usd: Range,
    },
    Unknown {
        reason: String,
    },
}

impl Monthly {
    pub fn known(&self) -> Option<Range> {
        match self {
            Monthly::Known { usd } => Some(*usd),
            Monthly::Unknown { .. } => None,
        }
    }
}

/// Where an item's quantity was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemSource {
    /// `[cost] hosts.<env>`.
    Host,
    Terraform,
    /// A service's CPU and memory.
    Container,
    /// A volume claim.
    Storage,
}

/// One priced thing in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostItem {
    /// `aws_instance.blue`, `web`, `persistentvolumeclaim.data`, `host`.
    pub item: String,
    /// `EC2 instance`, `RDS database`, `container`, `block storage`.
    pub what: String,
    pub source: ItemSource,
    pub monthly: Monthly,
    /// The arithmetic and its inputs with their file:line.
    pub computed_from: String,
    /// Where the item is declared.
    #[serde(serialize_with = "origin_text")]
    pub origin: Origin,
}

fn origin_text<S: serde::Serializer>(o: &Origin, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(o)
}

/// One environment's items and total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvCost {
    pub items: Vec<CostItem>,
    /// The sum of the known items.
    pub total: Range,
    /// How many items are unknown: the total is then a lower bound.
    pub unknown: usize,
    /// The reference environment's total minus this one's (positive = cheaper), when neither
    /// has an unknown item.
    pub saving_vs_reference: Option<Range>,
}

/// The cost of every environment (same order as the comparison's).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cost {
    pub environments: Vec<EnvCost>,
    /// `[cost] hosts` alone, as before the items existed (JSON `cost.hosts`).
    pub hosts: Vec<Option<HostCost>>,
    /// The prices' basis: catalog date, region, hours per month, overrides.
    pub basis: String,
    /// Whether the policy has a `[cost]` section.
    pub configured: bool,
}

impl Cost {
    /// Whether a report shows a cost section: the policy asks for it, or something is priced.
    pub fn is_shown(&self) -> bool {
        self.configured
            || self
                .environments
                .iter()
                .flat_map(|e| &e.items)
                .any(|i| i.monthly.known().is_some())
    }
}

/// Prices and the policy's choices, for pricing items.
pub(crate) struct Prices<'a> {
    pub catalog: Catalog,
    pub hours: f64,
    pub policy: &'a CostPolicy,
    /// The policy file, for "set at envparity.toml:3".
    pub file: String,
}

impl Prices<'_> {
    fn new(policy: &Policy) -> Prices<'_> {
        let catalog = policy.cost.catalog();
        Prices {
            hours: policy
                .cost
                .hours_per_month
                .unwrap_or(catalog.hours_per_month),
            catalog,
            policy: &policy.cost,
            file: policy
                .file
                .clone()
                .unwrap_or_else(|| "envparity.toml".into()),
        }
    }

    /// `$0.0104/h`, with the override's line when the policy set it.
    fn rate(&self, name: &str, value: f64, unit: &str) -> String {
        match self.policy.prices.get(name) {
            Some((_, line)) => format!("${value}/{unit} (set at {}:{line})", self.file),
            None => format!("${value}/{unit}"),
        }
    }

    fn basis(&self) -> String {
        let c = &self.catalog;
        let mut out = format!(
            "the catalog of {} (AWS us-east-1, GCP us-central1, DigitalOcean), {} h a month",
            c.date, self.hours
        );
        if let Some((region, line)) = &self.policy.region {
            if c.prices_region(region) {
                out += &format!("; region {region} ({}:{line})", self.file);
            } else {
                out += &format!(
                    "; region {region} ({}:{line}) is not priced in the catalog: its prices differ from these (set them in [cost.prices])",
                    self.file
                );
            }
        }
        if !self.policy.prices.is_empty() {
            let names: Vec<&str> = self.policy.prices.keys().map(String::as_str).collect();
            out += &format!("; overridden in {}: {}", self.file, names.join(", "));
        }
        out
    }
}

/// Round to cents.
fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The cost of every environment named in `environments` (the comparison's order).
pub fn cost(scan: &Scan, environments: &[String], reference: usize, policy: &Policy) -> Cost {
    let prices = Prices::new(policy);
    let hosts = host_costs(environments, reference, &prices);
    let mut envs: Vec<EnvCost> = environments
        .iter()
        .zip(&hosts)
        .map(|(name, host)| {
            let env = scan.environments.iter().find(|e| &e.name == name);
            env_cost(env, name, host.as_ref(), &prices)
        })
        .collect();
    let reference_total = envs
        .get(reference)
        .and_then(|e| (e.unknown == 0).then_some(e.total));
    for e in &mut envs {
        e.saving_vs_reference = reference_total.filter(|_| e.unknown == 0).map(|r| Range {
            min: cents(r.min - e.total.min),
            max: cents(r.max - e.total.max),
        });
    }
    Cost {
        environments: envs,
        hosts,
        basis: prices.basis(),
        configured: policy.cost.configured,
    }
}

fn env_cost(
    env: Option<&crate::model::Environment>,
    name: &str,
    host: Option<&HostCost>,
    prices: &Prices,
) -> EnvCost {
    let mut items = Vec::new();
    if let (Some(h), Some((_, line))) = (host, prices.policy.hosts.get(name)) {
        items.push(CostItem {
            item: "host".into(),
            what: "host (its services run on it)".into(),
            source: ItemSource::Host,
            monthly: Monthly::Known {
                usd: Range::fixed(h.monthly),
            },
            computed_from: h.computed_from.clone(),
            origin: Origin::new(&prices.file, *line),
        });
    }
    if let Some(env) = env {
        items.extend(
            env.resources
                .iter()
                .filter_map(|r| resources::price(r, prices)),
        );
        if host.is_none() {
            items.extend(
                env.services
                    .iter()
                    .filter_map(|s| containers::price_service(s, name, prices)),
            );
        }
        items.extend(containers::price_claims(env, prices));
    }
    let total = items
        .iter()
        .filter_map(|i| i.monthly.known())
        .fold(Range::fixed(0.0), |a, b| Range {
            min: a.min + b.min,
            max: a.max + b.max,
        })
        .rounded();
    let unknown = items.iter().filter(|i| i.monthly.known().is_none()).count();
    EnvCost {
        items,
        total,
        unknown,
        saving_vs_reference: None,
    }
}

/// Per environment (same order): its host cost, `None` when the policy names no host.
fn host_costs(environments: &[String], reference: usize, prices: &Prices) -> Vec<Option<HostCost>> {
    let catalog = &prices.catalog;
    let hours = prices.hours;
    let mut out: Vec<Option<HostCost>> = environments
        .iter()
        .map(|env| {
            let (name, line) = prices.policy.hosts.get(env)?;
            let t = catalog.instances.get(name)?;
            Some(HostCost {
                instance_type: name.clone(),
                vcpu: t.vcpu,
                memory_gib: t.memory_gib,
                hourly: t.hourly,
                hours_per_month: hours,
                monthly: cents(t.hourly * hours),
                computed_from: format!(
                    "{name} ({} vCPU, {} GiB) at {} x {hours} h (list price of {}), host set at {}:{line}",
                    t.vcpu,
                    t.memory_gib,
                    prices.rate(name, t.hourly, "h"),
                    catalog.date,
                    prices.file
                ),
                saving_vs_reference: None,
            })
        })
        .collect();
    let reference_monthly = out
        .get(reference)
        .and_then(|c| c.as_ref().map(|c| c.monthly));
    for c in out.iter_mut().flatten() {
        c.saving_vs_reference = reference_monthly.map(|r| cents(r - c.monthly));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Environment;

    fn scan_of(envs: &[&str]) -> Scan {
        Scan {
            environments: envs.iter().map(|e| Environment::new(*e)).collect(),
            ..Scan::default()
        }
    }

    #[test]
    fn hosts_priced_with_the_saving_against_the_reference() {
        let policy = crate::policy::parse(
            "[cost]\nhosts.staging = \"t3.large\"\nhosts.production = \"m5.4xlarge\"\n",
            "envparity.toml",
            &[],
        )
        .unwrap();
        let envs = vec!["staging".to_string(), "production".to_string()];
        let c = cost(&scan_of(&["staging", "production"]), &envs, 1, &policy);
        let staging = c.hosts[0].as_ref().unwrap();
        assert_eq!(staging.monthly, 60.74);
        assert_eq!(c.hosts[1].as_ref().unwrap().monthly, 560.64);
        assert_eq!(staging.saving_vs_reference, Some(499.9));
        assert!(
            staging.computed_from.contains("envparity.toml:2"),
            "{}",
            staging.computed_from
        );
        assert_eq!(c.environments[0].total, Range::fixed(60.74));
        assert_eq!(
            c.environments[0].items[0].origin.to_string(),
            "envparity.toml:2"
        );
        assert_eq!(
            c.environments[0].saving_vs_reference,
            Some(Range::fixed(499.9))
        );
        assert!(c.is_shown());
        let none = cost(
            &scan_of(&["staging", "production"]),
            &envs,
            1,
            &crate::policy::Policy::default(),
        );
        assert_eq!(none.hosts, vec![None, None]);
        assert!(!none.is_shown());
    }

    #[test]
    fn an_overridden_host_price_says_where_it_was_set() {
        let policy = crate::policy::parse(
            "[cost]\nhosts.production = \"m5.4xlarge\"\nregion = \"eu-west-1\"\n[cost.prices]\n\"m5.4xlarge\" = 0.8\n",
            "envparity.toml",
            &[],
        )
        .unwrap();
        let envs = vec!["production".to_string()];
        let c = cost(&scan_of(&["production"]), &envs, 0, &policy);
        let host = c.hosts[0].as_ref().unwrap();
        assert_eq!(host.monthly, 584.0);
        assert!(
            host.computed_from
                .contains("$0.8/h (set at envparity.toml:5)"),
            "{}",
            host.computed_from
        );
        assert!(
            c.basis
                .contains("region eu-west-1 (envparity.toml:3) is not priced"),
            "{}",
            c.basis
        );
        assert!(
            c.basis.contains("overridden in envparity.toml: m5.4xlarge"),
            "{}",
            c.basis
        );
    }

    #[test]
    fn unknown_instance_types_and_bad_hours_are_errors_with_their_line() {
        let err = crate::policy::parse(
            "min_score = 1\n[cost]\nhosts.production = \"m5.huge\"\n",
            "envparity.toml",
            &[],
        )
        .unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.message.contains("unknown instance type `m5.huge`"),
            "{}",
            err.message
        );
        let err = crate::policy::parse("[cost]\nhours_per_month = -1\n", "envparity.toml", &[])
            .unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
