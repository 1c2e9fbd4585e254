//! The `[cost]` section: what each environment runs on, the container platform and block
//! storage its services are priced on, the region, and prices that replace the catalog's.
//!
//! ```toml
//! [cost]
//! hosts.staging = "t3.large"        # the machine an environment runs on: the host is the cost
//! hosts.production = "m5.4xlarge"
//! platform = "aws-fargate"          # containers priced per vCPU-hour and GiB-hour
//! storage = "aws-ebs-gp3"           # PVCs priced per GiB-month
//! region = "eu-west-1"              # checked against the catalog's region names
//! hours_per_month = 730
//!
//! [cost.prices]
//! "m5.4xlarge" = 0.80                                   # USD per hour (instance types, load balancers, NAT)
//! "aws-ebs-gp3" = 0.088                                 # USD per GiB-month (storage)
//! "aws-fargate" = { vcpu_hour = 0.045, gib_hour = 0.005 }
//! "x8g.large" = { vcpu = 2, memory_gib = 32, hourly = 0.2 } # a type the catalog lacks
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cost::catalog::{Catalog, InstanceType, Platform, PriceOverride};

/// `[cost]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CostSection {
    hosts: Option<BTreeMap<String, toml::Spanned<String>>>,
    hours_per_month: Option<toml::Spanned<f64>>,
    region: Option<toml::Spanned<String>>,
    platform: Option<toml::Spanned<String>>,
    storage: Option<toml::Spanned<String>>,
    prices: Option<BTreeMap<String, toml::Spanned<toml::Value>>>,
}

/// A name from the policy with its line.
pub type Named = (String, u32);

/// `[cost]` resolved: every name checked against the bundled catalog (with the overrides).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostPolicy {
    /// Whether the policy has a `[cost]` section at all.
    pub configured: bool,
    /// Environment (canonical name) -> (instance type, line in the policy file).
    pub hosts: BTreeMap<String, Named>,
    pub hours_per_month: Option<f64>,
    pub region: Option<Named>,
    /// The container platform (`aws-fargate`) services are priced on.
    pub platform: Option<Named>,
    /// The block storage (`aws-ebs-gp3`) volume claims are priced on.
    pub storage: Option<Named>,
    /// `[cost.prices]`: name -> (price, line).
    pub prices: BTreeMap<String, (PriceOverride, u32)>,
}

impl CostPolicy {
    /// The bundled catalog with this policy's prices.
    pub fn catalog(&self) -> Catalog {
        Catalog::bundled().with_overrides(self.prices.iter().map(|(n, (p, _))| (n, p)))
    }
}

type Failure = (usize, String);

/// Check the section; `line` turns a byte offset into the file's line for errors.
pub(super) fn resolve(
    section: CostSection,
    line: impl Fn(usize) -> u32,
) -> Result<CostPolicy, Failure> {
    let bundled = Catalog::bundled();
    let mut out = CostPolicy {
        configured: true,
        ..CostPolicy::default()
    };
    for (name, value) in section.prices.unwrap_or_default() {
        let price = price_override(&bundled, &name, &value)?;
        out.prices.insert(name, (price, line(value.span().start)));
    }
    let catalog = out.catalog();
    for (env, host) in section.hosts.unwrap_or_default() {
        let name = host.get_ref().trim().to_string();
        if !catalog.instances.contains_key(&name) {
            return Err((
                host.span().start,
                format!(
                    "[cost] hosts.{env}: unknown instance type `{name}` (the price catalog of {} lists e.g. t3.large, m5.4xlarge, n1-standard-2, s-2vcpu-4gb; add others in [cost.prices])",
                    catalog.date
                ),
            ));
        }
        let env = crate::discover::canonical_env_name(&env);
        out.hosts.insert(env, (name, line(host.span().start)));
    }
    if let Some(h) = section.hours_per_month {
        let v = *h.get_ref();
        if !(v > 0.0 && v <= 744.0) {
            return Err((
                h.span().start,
                format!("[cost] hours_per_month must be above 0 and at most 744, found {v}"),
            ));
        }
        out.hours_per_month = Some(v);
    }
    out.region = checked(section.region, &line, |r| {
        (!catalog.knows_region(r)).then(|| {
            format!("[cost] region: unknown region `{r}` (AWS, GCP or DigitalOcean region names: us-east-1, eu-west-1, us-central1, europe-west1, nyc3, ...)")
        })
    })?;
    out.platform = checked(section.platform, &line, |p| {
        (!catalog.platforms.contains_key(p)).then(|| {
            format!(
                "[cost] platform: unknown container platform `{p}` (one of {})",
                names(catalog.platforms.keys())
            )
        })
    })?;
    out.storage = checked(section.storage, &line, |s| {
        (!catalog.storage.contains_key(s)).then(|| {
            format!(
                "[cost] storage: unknown block storage `{s}` (one of {})",
                names(catalog.storage.keys())
            )
        })
    })?;
    Ok(out)
}

fn names<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    keys.map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// A name checked by `problem` (the error message, if any).
fn checked(
    value: Option<toml::Spanned<String>>,
    line: &impl Fn(usize) -> u32,
    problem: impl Fn(&str) -> Option<String>,
) -> Result<Option<Named>, Failure> {
    let Some(value) = value else { return Ok(None) };
    let name = value.get_ref().trim().to_string();
    match problem(&name) {
        Some(message) => Err((value.span().start, message)),
        None => Ok(Some((name, line(value.span().start)))),
    }
}

/// One `[cost.prices]` entry, read by what the catalog says the name is.
fn price_override(
    catalog: &Catalog,
    name: &str,
    value: &toml::Spanned<toml::Value>,
) -> Result<PriceOverride, Failure> {
    let at = value.span().start;
    let fail = |what: &str| (at, format!("[cost.prices] \"{name}\": {what}"));
    let v = value.get_ref();
    if let Some(t) = catalog.instances.get(name) {
        return match v {
            toml::Value::Table(_) => instance_table(v).map_err(|e| fail(&e)),
            _ => Ok(PriceOverride::Instance(InstanceType {
                hourly: positive(v).map_err(|e| fail(&format!("{e} (USD per hour)")))?,
                ..*t
            })),
        };
    }
    if let Some(p) = catalog.platforms.get(name) {
        let table = v
            .as_table()
            .ok_or_else(|| fail("a platform's prices are `{ vcpu_hour = ..., gib_hour = ... }`"))?;
        let field = |k: &str, default: f64| match table.get(k) {
            Some(x) => positive(x).map_err(|e| fail(&format!("{k}: {e}"))),
            None => Ok(default),
        };
        if let Some(k) = table
            .keys()
            .find(|k| !matches!(k.as_str(), "vcpu_hour" | "gib_hour"))
        {
            return Err(fail(&format!("unknown field `{k}` (vcpu_hour, gib_hour)")));
        }
        return Ok(PriceOverride::Platform(Platform {
            vcpu_hour: field("vcpu_hour", p.vcpu_hour)?,
            gib_hour: field("gib_hour", p.gib_hour)?,
        }));
    }
    if catalog.storage.contains_key(name) {
        let v = positive(v).map_err(|e| fail(&format!("{e} (USD per GiB-month)")))?;
        return Ok(PriceOverride::Storage(v));
    }
    if catalog.network.contains_key(name) {
        let v = positive(v).map_err(|e| fail(&format!("{e} (USD per hour)")))?;
        return Ok(PriceOverride::Network(v));
    }
    match v {
        toml::Value::Table(_) => instance_table(v).map_err(|e| fail(&e)),
        _ => Err(fail(
            "not in the price catalog; a new instance type is written `{ vcpu = 4, memory_gib = 16, hourly = 0.2 }`",
        )),
    }
}

/// `{ vcpu = 4, memory_gib = 16, hourly = 0.2 }`, all three required.
fn instance_table(v: &toml::Value) -> Result<PriceOverride, String> {
    let table = v.as_table().ok_or("expected a table")?;
    if let Some(k) = table
        .keys()
        .find(|k| !matches!(k.as_str(), "vcpu" | "memory_gib" | "hourly"))
    {
        return Err(format!("unknown field `{k}` (vcpu, memory_gib, hourly)"));
    }
    let field = |k: &str| -> Result<f64, String> {
        let x = table
            .get(k)
            .ok_or_else(|| format!("an instance type needs `{k}` (vcpu, memory_gib, hourly)"))?;
        positive(x).map_err(|e| format!("{k}: {e}"))
    };
    Ok(PriceOverride::Instance(InstanceType {
        vcpu: field("vcpu")?,
        memory_gib: field("memory_gib")?,
        hourly: field("hourly")?,
    }))
}

/// A number above zero.
fn positive(v: &toml::Value) -> Result<f64, String> {
    let n = match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        other => return Err(format!("expected a number, found {}", other.type_str())),
    };
    if n.is_finite() && n > 0.0 {
        Ok(n)
    } else {
        Err(format!("must be above 0, found {n}"))
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::parse;

    fn err(text: &str) -> (Option<u32>, String) {
        let e = parse(text, "envparity.toml", &[]).unwrap_err();
        (e.line, e.message)
    }

    #[test]
    fn region_platform_storage_and_prices_resolve_with_their_lines() {
        let p = parse(
            "[cost]\nregion = \"eu-west-1\"\nplatform = \"aws-fargate\"\nstorage = \"aws-ebs-gp3\"\nhosts.production = \"x8g.large\"\n[cost.prices]\n\"m5.4xlarge\" = 0.8\n\"aws-ebs-gp3\" = 0.088\n\"aws-fargate\" = { vcpu_hour = 0.045 }\n\"x8g.large\" = { vcpu = 2, memory_gib = 32, hourly = 0.2 }\n\"aws-alb\" = 1\n",
            "envparity.toml",
            &[],
        )
        .unwrap()
        .cost;
        assert!(p.configured);
        assert_eq!(p.region, Some(("eu-west-1".into(), 2)));
        assert_eq!(p.platform, Some(("aws-fargate".into(), 3)));
        assert_eq!(p.storage, Some(("aws-ebs-gp3".into(), 4)));
        assert_eq!(p.hosts["production"], ("x8g.large".into(), 5));
        let c = p.catalog();
        assert_eq!(c.instances["m5.4xlarge"].hourly, 0.8);
        assert_eq!(
            c.instances["m5.4xlarge"].vcpu, 16.0,
            "vCPU kept from the catalog"
        );
        assert_eq!(c.instances["x8g.large"].memory_gib, 32.0);
        assert_eq!(c.storage["aws-ebs-gp3"], 0.088);
        assert_eq!(c.network["aws-alb"], 1.0);
        assert_eq!(c.platforms["aws-fargate"].vcpu_hour, 0.045);
        assert_eq!(c.platforms["aws-fargate"].gib_hour, 0.004445, "kept");
        assert_eq!(p.prices["m5.4xlarge"].1, 7);
        assert!(!crate::policy::Policy::default().cost.configured);
    }

    #[test]
    fn malformed_overrides_and_unknown_names_are_errors_with_their_line() {
        let (line, m) = err("[cost]\nregion = \"mars-1\"\n");
        assert_eq!(line, Some(2));
        assert!(m.contains("unknown region `mars-1`"), "{m}");
        let (line, m) = err("[cost]\n[cost.prices]\n\"m5.4xlarge\" = \"cheap\"\n");
        assert_eq!(line, Some(3));
        assert!(
            m.contains("\"m5.4xlarge\": expected a number, found string (USD per hour)"),
            "{m}"
        );
        let (line, m) = err("[cost.prices]\n\"aws-ebs-gp3\" = -1\n");
        assert_eq!(line, Some(2));
        assert!(m.contains("must be above 0, found -1"), "{m}");
        let (_, m) = err("[cost.prices]\n\"z1.tiny\" = 0.1\n");
        assert!(m.contains("not in the price catalog"), "{m}");
        let (_, m) = err("[cost.prices]\n\"z1.tiny\" = { vcpu = 1, hourly = 0.1 }\n");
        assert!(m.contains("needs `memory_gib`"), "{m}");
        let (_, m) = err("[cost.prices]\n\"aws-fargate\" = { cpu_hour = 1 }\n");
        assert!(m.contains("unknown field `cpu_hour`"), "{m}");
        let (_, m) = err("[cost.prices]\n\"aws-fargate\" = 0.1\n");
        assert!(m.contains("vcpu_hour = ..."), "{m}");
        let (line, m) = err("[cost]\nplatform = \"heroku\"\n");
        assert_eq!(line, Some(2));
        assert!(
            m.contains("unknown container platform `heroku` (one of aws-fargate"),
            "{m}"
        );
        let (_, m) = err("[cost]\nstorage = \"floppy\"\n");
        assert!(m.contains("unknown block storage `floppy`"), "{m}");
        let (_, m) = err("[cost]\ncurrency = \"EUR\"\n");
        assert!(m.contains("currency"), "{m}");
    }
}
