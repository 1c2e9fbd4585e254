//! Terraform resources priced: quantity from the resource's attributes in this environment
//! (`instance_type` x `count`, `allocated_storage`, `multi_az`, ...), price from the catalog.
//! A resource type not listed here is not priced (S3, IAM, DNS records cost little or by use).

use crate::model::{AttributeValue, CloudResource, ResourceAttribute};

use super::{CostItem, ItemSource, Monthly, Prices, Range};

/// A reason an item cannot be priced.
type Why = String;

/// The priced resource types and what they are.
fn describe(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "aws_instance" => "EC2 instance",
        "aws_db_instance" => "RDS database",
        "aws_lb" | "aws_alb" => "load balancer",
        "aws_elasticache_cluster" => "ElastiCache cluster",
        "aws_ebs_volume" => "EBS volume",
        "aws_nat_gateway" => "NAT gateway",
        "google_compute_instance" => "GCE instance",
        "digitalocean_droplet" => "droplet",
        _ => return None,
    })
}

/// The resource's monthly cost, or `None` when its type is not priced.
pub(super) fn price(r: &CloudResource, p: &Prices) -> Option<CostItem> {
    let what = describe(&r.kind)?;
    let (monthly, computed_from) = match quantity(r).and_then(|n| priced(r, n, p)) {
        Ok((usd, from)) => (
            Monthly::Known {
                usd: Range::fixed(super::cents(usd)),
            },
            from,
        ),
        Err(reason) => (Monthly::Unknown { reason }, String::new()),
    };
    Some(CostItem {
        item: r.address(),
        what: what.into(),
        source: ItemSource::Terraform,
        monthly,
        computed_from,
        origin: r.origin.clone(),
    })
}

/// How many copies: `count`, the size of `for_each`, else one; with what it was read from.
fn quantity(r: &CloudResource) -> Result<(u32, String), Why> {
    if let Some(a) = r.attributes.get("count") {
        let n = whole(r, "count", a)?;
        return Ok((n, format!("count = {n} at {}", a.provenance())));
    }
    if let Some(a) = r.attributes.get("for_each") {
        return match a.value {
            AttributeValue::Collection(n) => {
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                Ok((n, format!("for_each of {n} at {}", a.provenance())))
            }
            _ => Err(unresolved(r, "for_each", a)),
        };
    }
    Ok((1, String::new()))
}

/// A resource priced for `n` copies: USD a month and the arithmetic.
fn priced(
    r: &CloudResource,
    (n, counted): (u32, String),
    p: &Prices,
) -> Result<(f64, String), Why> {
    let (each, from) = match r.kind.as_str() {
        "aws_instance" => instance(r, "instance_type", p)?,
        "google_compute_instance" => instance(r, "machine_type", p)?,
        "digitalocean_droplet" => instance(r, "size", p)?,
        "aws_db_instance" => database(r, p)?,
        "aws_lb" | "aws_alb" => load_balancer(r, p)?,
        "aws_elasticache_cluster" => cache(r, p)?,
        "aws_ebs_volume" => volume(r, p)?,
        "aws_nat_gateway" => hourly(p, "aws-nat-gateway", "NAT gateway")?,
        _ => unreachable!("describe() lists the priced types"),
    };
    let from = if counted.is_empty() {
        from
    } else {
        format!("{n} x ({from}); {counted}")
    };
    Ok((f64::from(n) * each, from))
}

/// An attribute's text, or why it cannot be read here.
fn text<'a>(r: &'a CloudResource, name: &str) -> Result<(&'a str, &'a ResourceAttribute), Why> {
    let a = r
        .attributes
        .get(name)
        .ok_or_else(|| format!("`{}` has no `{name}` ({})", r.address(), r.origin))?;
    match a.scalar() {
        Some(v) => Ok((v, a)),
        None => Err(unresolved(r, name, a)),
    }
}

fn unresolved(r: &CloudResource, name: &str, a: &ResourceAttribute) -> Why {
    match a.value {
        AttributeValue::Sensitive => format!(
            "`{}.{name}` at {} comes from a sensitive variable",
            r.address(),
            a.origin
        ),
        _ => format!(
            "`{}.{name}` = `{}` at {} is only known to Terraform when it plans",
            r.address(),
            a.text,
            a.origin
        ),
    }
}

/// A whole number of copies (at most a million).
fn whole(r: &CloudResource, name: &str, a: &ResourceAttribute) -> Result<u32, Why> {
    let v = text(r, name)?.0;
    match v.parse::<f64>() {
        Ok(f) if f >= 0.0 && f.fract() == 0.0 && f <= 1e6 => Ok(f as u32),
        _ => Err(format!(
            "`{}.{name}` = `{v}` at {} is not a whole number",
            r.address(),
            a.provenance()
        )),
    }
}

/// A size in GiB (at most a million).
fn gib(r: &CloudResource, name: &str) -> Result<(f64, String), Why> {
    let (v, a) = text(r, name)?;
    match v.parse::<f64>() {
        Ok(f) if (0.0..=1e6).contains(&f) => {
            Ok((f, format!("{name} = {v} GiB at {}", a.provenance())))
        }
        _ => Err(format!(
            "`{}.{name}` = `{v}` at {} is not a size in GiB",
            r.address(),
            a.provenance()
        )),
    }
}

/// An instance type's hourly price x hours.
fn instance(r: &CloudResource, attribute: &str, p: &Prices) -> Result<(f64, String), Why> {
    let (written, a) = text(r, attribute)?;
    // GCE accepts `zones/<zone>/machineTypes/<type>` too.
    let name = written.rsplit('/').next().unwrap_or(written);
    let t = p.catalog.instances.get(name).ok_or_else(|| {
        format!(
            "unknown instance type `{name}` (`{}.{attribute}` at {}): not in the price catalog of {}; add it in [cost.prices]",
            r.address(),
            a.provenance(),
            p.catalog.date
        )
    })?;
    Ok((
        t.hourly * p.hours,
        format!(
            "{name} ({} vCPU, {} GiB) at {} x {} h; {attribute} at {}",
            t.vcpu,
            t.memory_gib,
            p.rate(name, t.hourly, "h"),
            p.hours,
            a.provenance()
        ),
    ))
}

/// A network item's hourly price x hours.
fn hourly(p: &Prices, key: &str, what: &str) -> Result<(f64, String), Why> {
    let v = p
        .catalog
        .network
        .get(key)
        .ok_or_else(|| format!("no price for {what} (`{key}`) in the catalog"))?;
    Ok((
        v * p.hours,
        format!(
            "{what} at {} x {} h, before usage charges",
            p.rate(key, *v, "h"),
            p.hours
        ),
    ))
}

/// Per GiB-month of a storage kind.
fn storage(p: &Prices, key: &str, size: f64, size_from: &str) -> Result<(f64, String), Why> {
    let v = p
        .catalog
        .storage
        .get(key)
        .ok_or_else(|| format!("no price for storage `{key}` in the catalog"))?;
    Ok((
        size * v,
        format!("{size_from} x {key} at {}", p.rate(key, *v, "GiB-month")),
    ))
}

/// A storage type written on the resource, or Terraform's default, said so.
fn storage_type(
    r: &CloudResource,
    attribute: &str,
    default: &str,
) -> Result<(String, String), Why> {
    match r.attributes.get(attribute) {
        None => Ok((
            default.into(),
            format!("{attribute} not set: AWS's default {default}"),
        )),
        Some(_) => {
            let (v, a) = text(r, attribute)?;
            Ok((v.into(), format!("{attribute} = {v} at {}", a.provenance())))
        }
    }
}

/// `instance_class` + `allocated_storage`, doubled when `multi_az` (a standby of each).
fn database(r: &CloudResource, p: &Prices) -> Result<(f64, String), Why> {
    let (class, class_from) = instance(r, "instance_class", p)?;
    let (size, size_from) = gib(r, "allocated_storage")?;
    let (kind, kind_from) = storage_type(r, "storage_type", "gp2")?;
    let key = format!("aws-rds-{kind}");
    if !p.catalog.storage.contains_key(&key) {
        return Err(format!(
            "RDS storage type `{kind}` of `{}` is not in the price catalog ({kind_from}); add `{key}` in [cost.prices]",
            r.address()
        ));
    }
    let (disk, disk_from) = storage(p, &key, size, &size_from)?;
    let multi_az = match r.attributes.get("multi_az") {
        None => None,
        Some(_) => {
            let (v, a) = text(r, "multi_az")?;
            match v {
                "true" => Some(format!(
                    "multi_az = true at {}: a standby doubles it",
                    a.provenance()
                )),
                "false" => None,
                _ => {
                    return Err(format!(
                        "`{}.multi_az` = `{v}` at {} is not true or false",
                        r.address(),
                        a.provenance()
                    ))
                }
            }
        }
    };
    let single = class + disk;
    let from = format!("{class_from} + {disk_from} ({kind_from})");
    Ok(match multi_az {
        Some(note) => (2.0 * single, format!("2 x ({from}); {note}")),
        None => (single, from),
    })
}

/// `load_balancer_type`: application (the default) or network.
fn load_balancer(r: &CloudResource, p: &Prices) -> Result<(f64, String), Why> {
    let (kind, kind_from) = match r.attributes.get("load_balancer_type") {
        None => (
            "application".to_string(),
            "load_balancer_type not set: application".to_string(),
        ),
        Some(_) => {
            let (v, a) = text(r, "load_balancer_type")?;
            (
                v.to_string(),
                format!("load_balancer_type = {v} at {}", a.provenance()),
            )
        }
    };
    let (key, what) = match kind.as_str() {
        "application" => ("aws-alb", "application load balancer"),
        "network" => ("aws-nlb", "network load balancer"),
        other => {
            return Err(format!(
                "load balancer type `{other}` of `{}` is not in the price catalog ({kind_from})",
                r.address()
            ))
        }
    };
    let (usd, from) = hourly(p, key, what)?;
    Ok((usd, format!("{from}; {kind_from}")))
}

/// `node_type` x `num_cache_nodes`.
fn cache(r: &CloudResource, p: &Prices) -> Result<(f64, String), Why> {
    if r.attributes.contains_key("replication_group_id") {
        return Err(format!(
            "`{}` is a member of a replication group, priced with the group (not read)",
            r.address()
        ));
    }
    let (node, node_from) = instance(r, "node_type", p)?;
    let a = r
        .attributes
        .get("num_cache_nodes")
        .ok_or_else(|| format!("`{}` has no `num_cache_nodes` ({})", r.address(), r.origin))?;
    let n = whole(r, "num_cache_nodes", a)?;
    Ok((
        f64::from(n) * node,
        format!(
            "{n} nodes x ({node_from}); num_cache_nodes at {}",
            a.provenance()
        ),
    ))
}

/// `size` GiB of `type` (gp2 when not set).
fn volume(r: &CloudResource, p: &Prices) -> Result<(f64, String), Why> {
    let (size, size_from) = gib(r, "size")?;
    let (kind, kind_from) = storage_type(r, "type", "gp2")?;
    let key = format!("aws-ebs-{kind}");
    if !p.catalog.storage.contains_key(&key) {
        return Err(format!(
            "EBS volume type `{kind}` of `{}` is not in the price catalog ({kind_from}); add `{key}` in [cost.prices]",
            r.address()
        ));
    }
    let (usd, from) = storage(p, &key, size, &size_from)?;
    Ok((usd, format!("{from} ({kind_from})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn attr(value: &str, line: u32) -> ResourceAttribute {
        ResourceAttribute {
            value: AttributeValue::Scalar(value.into()),
            text: format!("\"{value}\""),
            origin: Origin::new("main.tf", line),
            set_at: None,
        }
    }

    fn resource(kind: &str, attrs: &[(&str, &str)]) -> CloudResource {
        CloudResource {
            kind: kind.into(),
            name: "x".into(),
            origin: Origin::new("main.tf", 1),
            attributes: attrs
                .iter()
                .enumerate()
                .map(|(i, (k, v))| (k.to_string(), attr(v, i as u32 + 2)))
                .collect(),
        }
    }

    fn policy(text: &str) -> crate::policy::Policy {
        crate::policy::parse(text, "envparity.toml", &[]).unwrap()
    }

    fn usd(kind: &str, attrs: &[(&str, &str)]) -> Result<(f64, String), String> {
        let policy = policy("");
        let p = Prices::new(&policy);
        let item = price(&resource(kind, attrs), &p).unwrap();
        match item.monthly {
            Monthly::Known { usd } => Ok((usd.min, item.computed_from)),
            Monthly::Unknown { reason } => Err(reason),
        }
    }

    #[test]
    fn the_seed_002_items() {
        let (v, from) = usd("aws_instance", &[("instance_type", "t3.micro")]).unwrap();
        assert_eq!(v, 7.59);
        assert!(
            from.contains(
                "t3.micro (2 vCPU, 1 GiB) at $0.0104/h x 730 h; instance_type at main.tf:2"
            ),
            "{from}"
        );
        let (v, from) = usd(
            "aws_db_instance",
            &[
                ("instance_class", "db.t3.micro"),
                ("allocated_storage", "20"),
            ],
        )
        .unwrap();
        assert_eq!(v, 15.44);
        assert!(
            from.contains(
                "allocated_storage = 20 GiB at main.tf:3 x aws-rds-gp2 at $0.115/GiB-month"
            ),
            "{from}"
        );
        assert!(
            from.contains("storage_type not set: AWS's default gp2"),
            "{from}"
        );
        assert_eq!(usd("aws_lb", &[]).unwrap().0, 16.43);
        assert_eq!(
            usd("aws_alb", &[("load_balancer_type", "network")])
                .unwrap()
                .0,
            16.43
        );
        assert_eq!(usd("aws_ebs_volume", &[("size", "20")]).unwrap().0, 2.0);
        assert_eq!(
            usd("aws_ebs_volume", &[("size", "20"), ("type", "gp3")])
                .unwrap()
                .0,
            1.6
        );
        assert_eq!(usd("aws_nat_gateway", &[]).unwrap().0, 32.85);
    }

    #[test]
    fn counts_multi_az_nodes_and_other_clouds() {
        let (v, from) = usd(
            "aws_instance",
            &[("instance_type", "t3.micro"), ("count", "3")],
        )
        .unwrap();
        assert_eq!(v, 22.78);
        assert!(from.starts_with("3 x (t3.micro"), "{from}");
        assert!(from.ends_with("count = 3 at main.tf:3"), "{from}");
        assert_eq!(
            usd(
                "aws_instance",
                &[("instance_type", "t3.micro"), ("count", "0")]
            )
            .unwrap()
            .0,
            0.0
        );
        let (v, from) = usd(
            "aws_db_instance",
            &[
                ("instance_class", "db.t3.micro"),
                ("allocated_storage", "20"),
                ("multi_az", "true"),
            ],
        )
        .unwrap();
        assert_eq!(v, 30.88);
        assert!(from.contains("a standby doubles it"), "{from}");
        let v = usd(
            "aws_elasticache_cluster",
            &[("node_type", "cache.t3.micro"), ("num_cache_nodes", "2")],
        )
        .unwrap()
        .0;
        assert_eq!(v, 24.82);
        assert_eq!(
            usd(
                "google_compute_instance",
                &[("machine_type", "zones/us-central1-a/machineTypes/e2-medium")]
            )
            .unwrap()
            .0,
            24.46
        );
        assert_eq!(
            usd("digitalocean_droplet", &[("size", "s-1vcpu-1gb")])
                .unwrap()
                .0,
            6.0
        );
        assert!(price(&resource("aws_s3_bucket", &[]), &Prices::new(&policy(""))).is_none());
    }

    #[test]
    fn unknown_types_and_counts_are_unknown_with_their_place() {
        let why = usd("aws_instance", &[("instance_type", "t3.enormous")]).unwrap_err();
        assert!(why.contains("unknown instance type `t3.enormous`"), "{why}");
        assert!(why.contains("main.tf:2"), "{why}");
        let why = usd(
            "aws_instance",
            &[("instance_type", "t3.micro"), ("count", "two")],
        )
        .unwrap_err();
        assert_eq!(
            why,
            "`aws_instance.x.count` = `two` at main.tf:3 is not a whole number"
        );
        let mut r = resource("aws_instance", &[("instance_type", "t3.micro")]);
        r.attributes.insert(
            "count".into(),
            ResourceAttribute {
                value: AttributeValue::Unresolved,
                text: "length(data.aws_subnets.x.ids)".into(),
                origin: Origin::new("main.tf", 9),
                set_at: None,
            },
        );
        let policy = policy("");
        let item = price(&r, &Prices::new(&policy)).unwrap();
        assert_eq!(
            item.monthly,
            Monthly::Unknown {
                reason: "`aws_instance.x.count` = `length(data.aws_subnets.x.ids)` at main.tf:9 is only known to Terraform when it plans".into()
            }
        );
        let why = usd("aws_ebs_volume", &[("size", "20"), ("type", "io2")]).unwrap_err();
        assert!(
            why.contains("`io2`") && why.contains("aws-ebs-io2"),
            "{why}"
        );
        let why = usd("aws_db_instance", &[("instance_class", "db.t3.micro")]).unwrap_err();
        assert!(why.contains("has no `allocated_storage`"), "{why}");
        let why = usd("aws_lb", &[("load_balancer_type", "gateway")]).unwrap_err();
        assert!(why.contains("`gateway`"), "{why}");
    }

    #[test]
    fn for_each_counts_and_sensitive_values_are_never_shown() {
        let mut r = resource("aws_nat_gateway", &[]);
        r.attributes.insert(
            "for_each".into(),
            ResourceAttribute {
                value: AttributeValue::Collection(3),
                text: "var.zones".into(),
                origin: Origin::new("main.tf", 4),
                set_at: Some(Origin::new("prod.tfvars", 2)),
            },
        );
        let policy = policy("");
        let item = price(&r, &Prices::new(&policy)).unwrap();
        assert_eq!(item.monthly.known(), Some(Range::fixed(98.55)));
        assert!(
            item.computed_from
                .ends_with("for_each of 3 at main.tf:4, set at prod.tfvars:2"),
            "{}",
            item.computed_from
        );
        let mut r = resource("aws_instance", &[]);
        r.attributes.insert(
            "instance_type".into(),
            ResourceAttribute {
                value: AttributeValue::Sensitive,
                text: "var.size".into(),
                origin: Origin::new("main.tf", 5),
                set_at: None,
            },
        );
        let item = price(&r, &Prices::new(&policy)).unwrap();
        assert_eq!(
            item.monthly,
            Monthly::Unknown {
                reason:
                    "`aws_instance.x.instance_type` at main.tf:5 comes from a sensitive variable"
                        .into()
            }
        );
    }

    #[test]
    fn an_override_prices_a_type_the_catalog_lacks() {
        let policy =
            policy("[cost.prices]\n\"x9.big\" = { vcpu = 4, memory_gib = 8, hourly = 1 }\n");
        let item = price(
            &resource("aws_instance", &[("instance_type", "x9.big")]),
            &Prices::new(&policy),
        )
        .unwrap();
        assert_eq!(item.monthly.known(), Some(Range::fixed(730.0)));
        assert!(
            item.computed_from
                .contains("$1/h (set at envparity.toml:2)"),
            "{}",
            item.computed_from
        );
    }
}
