//! The price catalog: approximate on-demand list prices, dated, compiled into the binary from
//! `data/prices.toml` (the file's comment names the public price pages). Parsed with `toml`
//! and `serde`; the bundled file is checked by the tests, so loading it cannot fail at run time.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The bundled catalog's text.
pub const BUNDLED: &str = include_str!("../../data/prices.toml");

/// Per vCPU-hour and GiB-hour, for a container platform.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Platform {
    pub vcpu_hour: f64,
    pub gib_hour: f64,
}

/// An instance type: vCPUs, memory and price per hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InstanceType {
    pub vcpu: f64,
    pub memory_gib: f64,
    pub hourly: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Catalog {
    /// When the prices were taken (`2026-11-30`).
    pub date: String,
    pub hours_per_month: f64,
    pub platforms: BTreeMap<String, Platform>,
    #[serde(deserialize_with = "instances")]
    pub instances: BTreeMap<String, InstanceType>,
    /// USD per GiB-month.
    pub storage: BTreeMap<String, f64>,
    /// USD per hour (load balancers, NAT gateways).
    pub network: BTreeMap<String, f64>,
    pub regions: Regions,
}

/// Region names: those the prices are for, and the others known by name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Regions {
    pub priced: Vec<String>,
    pub known: Vec<String>,
}

/// A price from `[cost.prices]` in the policy, replacing or adding to the catalog's.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceOverride {
    /// An instance type (its vCPU and memory kept, or given for a type the catalog lacks).
    Instance(InstanceType),
    Platform(Platform),
    /// USD per GiB-month.
    Storage(f64),
    /// USD per hour.
    Network(f64),
}

fn instances<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, InstanceType>, D::Error> {
    let raw: BTreeMap<String, [f64; 3]> = BTreeMap::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|(name, [vcpu, memory_gib, hourly])| {
            (
                name,
                InstanceType {
                    vcpu,
                    memory_gib,
                    hourly,
                },
            )
        })
        .collect())
}

impl Catalog {
    /// The catalog shipped in the binary.
    pub fn bundled() -> Catalog {
        Catalog::parse(BUNDLED).expect("data/prices.toml is checked by the tests")
    }

    pub fn parse(text: &str) -> Result<Catalog, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The catalog with the policy's prices in place of (or beside) its own.
    pub fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = (&'a String, &'a PriceOverride)>,
    ) -> Catalog {
        for (name, price) in overrides {
            let name = name.clone();
            match *price {
                PriceOverride::Instance(t) => {
                    self.instances.insert(name, t);
                }
                PriceOverride::Platform(p) => {
                    self.platforms.insert(name, p);
                }
                PriceOverride::Storage(v) => {
                    self.storage.insert(name, v);
                }
                PriceOverride::Network(v) => {
                    self.network.insert(name, v);
                }
            }
        }
        self
    }

    /// Whether `[cost] region` may name this region.
    pub fn knows_region(&self, region: &str) -> bool {
        self.regions
            .priced
            .iter()
            .chain(&self.regions.known)
            .any(|r| r == region)
    }

    /// Whether the catalog's prices are this region's.
    pub fn prices_region(&self, region: &str) -> bool {
        self.regions.priced.iter().any(|r| r == region)
    }

    /// An instance type's price per month of `hours` hours, or `None` when it is not listed.
    pub fn instance_monthly(&self, name: &str, hours: f64) -> Option<f64> {
        self.instances.get(name).map(|t| t.hourly * hours)
    }

    /// A container's price per month on a platform, from its vCPUs and memory.
    pub fn container_monthly(
        &self,
        platform: &str,
        vcpu: f64,
        gib: f64,
        hours: f64,
    ) -> Option<f64> {
        self.platforms
            .get(platform)
            .map(|p| (p.vcpu_hour * vcpu + p.gib_hour * gib) * hours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.5
    }

    #[test]
    fn the_bundled_catalog_parses_and_gives_the_seed_prices() {
        let c = Catalog::bundled();
        assert_eq!(c.date, "2026-11-30");
        let h = c.hours_per_month;
        // Seed 000: t3.large about $70 (list $61), m5.4xlarge about $560.
        assert!(near(c.instance_monthly("m5.4xlarge", h).unwrap(), 560.64));
        assert!(near(c.instance_monthly("t3.large", h).unwrap(), 60.74));
        // Seed 002: EC2 t3.micro ~$8, RDS db.t3.micro ~$15 with 20 GB, ALB ~$16, 20 GB EBS ~$2.
        assert!(near(c.instance_monthly("t3.micro", h).unwrap(), 7.59));
        let rds = c.instance_monthly("db.t3.micro", h).unwrap() + 20.0 * c.storage["aws-rds-gp2"];
        assert!(near(rds, 15.44));
        assert!(near(c.network["aws-alb"] * h, 16.43));
        assert!(near(20.0 * c.storage["aws-ebs-gp3"], 1.6));
        assert_eq!(c.instance_monthly("t3.enormous", h), None);
        assert!(c.prices_region("us-east-1") && c.knows_region("ap-southeast-1"));
        assert!(!c.prices_region("ap-southeast-1") && !c.knows_region("us-east-9"));
        let fargate = c.container_monthly("aws-fargate", 1.0, 2.0, h).unwrap();
        assert!(near(fargate, 36.04));
        for (name, t) in &c.instances {
            assert!(
                t.vcpu > 0.0 && t.memory_gib > 0.0 && t.hourly > 0.0,
                "{name}"
            );
        }
    }

    #[test]
    fn a_malformed_catalog_is_an_error_not_a_panic() {
        let err = Catalog::parse("date = 1").unwrap_err();
        assert!(!err.is_empty());
        let err = Catalog::parse(
            "date = \"x\"\nhours_per_month = 730\n[platforms]\n[storage]\n[network]\n[regions]\npriced = []\nknown = []\n[instances]\n\"t3.micro\" = [2, \"one\", 0.01]\n",
        )
        .unwrap_err();
        assert!(
            err.contains("line 10") && err.contains("invalid type"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod override_tests {
    use super::*;

    #[test]
    fn overrides_replace_and_add_prices() {
        let t = InstanceType {
            vcpu: 16.0,
            memory_gib: 64.0,
            hourly: 0.8,
        };
        let x = InstanceType {
            vcpu: 3.0,
            memory_gib: 6.0,
            hourly: 0.1,
        };
        let overrides = [
            ("m5.4xlarge".to_string(), PriceOverride::Instance(t)),
            ("x9.odd".to_string(), PriceOverride::Instance(x)),
            ("aws-ebs-gp3".to_string(), PriceOverride::Storage(0.09)),
            ("aws-alb".to_string(), PriceOverride::Network(0.03)),
            (
                "aws-fargate".to_string(),
                PriceOverride::Platform(Platform {
                    vcpu_hour: 0.05,
                    gib_hour: 0.005,
                }),
            ),
        ];
        let c = Catalog::bundled().with_overrides(overrides.iter().map(|(n, p)| (n, p)));
        assert_eq!(c.instance_monthly("m5.4xlarge", 100.0), Some(80.0));
        assert_eq!(c.instances["x9.odd"], x);
        assert_eq!(c.storage["aws-ebs-gp3"], 0.09);
        assert_eq!(c.network["aws-alb"], 0.03);
        assert_eq!(c.platforms["aws-fargate"].vcpu_hour, 0.05);
        assert_eq!(c.instances["t3.micro"].hourly, 0.0104, "others unchanged");
    }
}
