//! Containers priced by what they may use: CPU and memory limits (or requests/reservations
//! when there are no limits, said so) per vCPU-hour and GiB-hour of the platform the policy
//! names, times the instances (an autoscaler's minimum and maximum give a range); volume
//! claims per GiB-month of block storage.

use crate::model::{Environment, Located, Quantity, Service};

use super::{CostItem, ItemSource, Monthly, Prices, Range};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A running service's monthly cost, or `None` when it runs no container (a Terraform
/// component) or only when asked for (a Compose profile).
pub(super) fn price_service(s: &Service, env: &str, p: &Prices) -> Option<CostItem> {
    if !s.runs_container() || s.is_optional() {
        return None;
    }
    let (monthly, computed_from) = match priced(s, env, p) {
        Ok((usd, from)) => (Monthly::Known { usd: usd.rounded() }, from),
        Err(reason) => (Monthly::Unknown { reason }, String::new()),
    };
    Some(CostItem {
        item: s.name.clone(),
        what: "container".into(),
        source: ItemSource::Container,
        monthly,
        computed_from,
        origin: s.origin.clone(),
    })
}

/// The limit, else the request or reservation, with which it was.
fn sized<'a>(
    limit: &'a Option<Located<u64>>,
    reservation: &'a Option<Located<u64>>,
) -> Option<(&'a Located<u64>, &'static str)> {
    limit
        .as_ref()
        .map(|l| (l, "limit"))
        .or_else(|| reservation.as_ref().map(|r| (r, "request (no limit)")))
}

fn priced(s: &Service, env: &str, p: &Prices) -> Result<(Range, String), String> {
    let Some((platform, line)) = &p.policy.platform else {
        return Err(format!(
            "no container platform or host to price it on: set `[cost] platform` (e.g. aws-fargate) or `[cost] hosts.{env}` in the policy (service at {})",
            s.origin
        ));
    };
    let rates = p.catalog.platforms[platform];
    let r = &s.resources;
    let (cpu, cpu_kind) = sized(&r.cpu_limit_millis, &r.cpu_reservation_millis)
        .ok_or_else(|| format!("`{}` has no CPU limit or request ({})", s.name, s.origin))?;
    let (mem, mem_kind) = sized(&r.memory_limit_bytes, &r.memory_reservation_bytes)
        .ok_or_else(|| format!("`{}` has no memory limit or request ({})", s.name, s.origin))?;
    let vcpu = cpu.value as f64 / 1000.0;
    let gib = mem.value as f64 / GIB;
    let each = (vcpu * rates.vcpu_hour + gib * rates.gib_hour) * p.hours;
    let i = &s.instances;
    let max = i.autoscale_max.unwrap_or(i.count).max(i.count);
    let usd = Range {
        min: f64::from(i.count) * each,
        max: f64::from(max) * each,
    };
    let from = format!(
        "{} x ({} vCPU {cpu_kind} at {} + {} GiB {mem_kind} at {}) on {platform} ({}:{line}) at {} + {} x {} h",
        instances(s),
        trim(vcpu),
        cpu.origin,
        trim(gib),
        mem.origin,
        p.file,
        p.rate(platform, rates.vcpu_hour, "vCPU-h"),
        p.rate(platform, rates.gib_hour, "GiB-h"),
        p.hours
    );
    Ok((usd, from))
}

/// `2`, `2-5 (HPA)`, with where the count was set.
fn instances(s: &Service) -> String {
    let i = &s.instances;
    let count = match i.autoscale_max {
        Some(max) if max > i.count => format!(
            "{}-{max} ({})",
            i.count,
            i.autoscaler.as_deref().unwrap_or("autoscaled")
        ),
        _ => i.count.to_string(),
    };
    match &i.origin {
        Some(o) => format!("{count} instances ({o})"),
        None => format!("{count} instance (default)"),
    }
}

/// `0.5`, `2`, `1.5`: at most three decimals.
fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Volume claims: the environment's PersistentVolumeClaims, and each service's claim
/// templates and chart volumes (`storage.<name>`), one per instance.
pub(super) fn price_claims(env: &Environment, p: &Prices) -> Vec<CostItem> {
    let claims = env
        .settings
        .iter()
        .filter(|(k, _)| {
            k.strip_prefix("persistentvolumeclaim.")
                .is_some_and(|n| !n.contains('.'))
        })
        .filter_map(|(k, s)| bytes(s).map(|b| (k.clone(), b, s.origin.clone(), None)));
    let templates = env.services.iter().flat_map(|svc| {
        svc.settings
            .iter()
            .filter(|(k, _)| k.strip_prefix("storage.").is_some_and(|n| !n.contains('.')))
            .filter_map(move |(k, s)| {
                bytes(s).map(|b| (format!("{}.{k}", svc.name), b, s.origin.clone(), Some(svc)))
            })
    });
    claims
        .chain(templates)
        .map(|(item, b, origin, svc)| {
            let gib = b as f64 / GIB;
            let (monthly, computed_from) = match storage_price(p) {
                Ok((key, rate, chosen)) => {
                    let (n, per) = match svc {
                        Some(s) => (
                            Range {
                                min: f64::from(s.instances.count),
                                max: f64::from(
                                    s.instances
                                        .autoscale_max
                                        .unwrap_or(s.instances.count)
                                        .max(s.instances.count),
                                ),
                            },
                            format!("{} x ", instances(s)),
                        ),
                        None => (Range::fixed(1.0), String::new()),
                    };
                    (
                        Monthly::Known {
                            usd: n.scaled(gib * rate).rounded(),
                        },
                        format!(
                            "{per}{} GiB at {origin} x {key} at {} ({chosen})",
                            trim(gib),
                            p.rate(&key, rate, "GiB-month")
                        ),
                    )
                }
                Err(reason) => (Monthly::Unknown { reason }, String::new()),
            };
            CostItem {
                item,
                what: "block storage".into(),
                source: ItemSource::Storage,
                monthly,
                computed_from,
                origin,
            }
        })
        .collect()
}

fn bytes(s: &crate::model::Setting) -> Option<u64> {
    match s.quantity {
        Some(Quantity::Bytes(b)) => Some(b),
        _ => None,
    }
}

/// The block storage price: the policy's `storage`, else the platform's usual disk.
fn storage_price(p: &Prices) -> Result<(String, f64, String), String> {
    let (key, chosen) = match (&p.policy.storage, &p.policy.platform) {
        (Some((s, line)), _) => (s.clone(), format!("storage set at {}:{line}", p.file)),
        (None, Some((platform, line))) => {
            let disk = if platform.starts_with("aws-") {
                "aws-ebs-gp3"
            } else {
                "gcp-pd-balanced"
            };
            (disk.to_string(), format!("the usual disk of {platform}, set at {}:{line}", p.file))
        }
        (None, None) => {
            return Err(
                "no block storage price: set `[cost] storage` (e.g. aws-ebs-gp3) or `[cost] platform` in the policy".into(),
            )
        }
    };
    let rate = p.catalog.storage[&key];
    Ok((key, rate, chosen))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Setting};

    fn policy(text: &str) -> crate::policy::Policy {
        crate::policy::parse(text, "envparity.toml", &[]).unwrap()
    }

    fn web(cpu: Option<u64>, mem: Option<u64>, requests: bool) -> Service {
        let mut s = Service::new("web", Origin::new("k8s/web.yaml", 3));
        s.image = Some(Located::new(
            crate::model::ImageRef::parse("app:1"),
            Origin::new("k8s/web.yaml", 9),
        ));
        let at = |l| Origin::new("k8s/web.yaml", l);
        if requests {
            s.resources.cpu_reservation_millis = cpu.map(|c| Located::new(c, at(12)));
            s.resources.memory_reservation_bytes = mem.map(|m| Located::new(m, at(13)));
        } else {
            s.resources.cpu_limit_millis = cpu.map(|c| Located::new(c, at(15)));
            s.resources.memory_limit_bytes = mem.map(|m| Located::new(m, at(16)));
        }
        s
    }

    #[test]
    fn limits_on_fargate_with_an_hpa_range() {
        let policy = policy("[cost]\nplatform = \"aws-fargate\"\n");
        let p = Prices::new(&policy);
        let mut s = web(Some(1000), Some(2 << 30), false);
        s.instances.count = 2;
        s.instances.autoscale_max = Some(5);
        s.instances.autoscaler = Some("HPA".into());
        s.instances.origin = Some(Origin::new("k8s/hpa.yaml", 8));
        let item = price_service(&s, "production", &p).unwrap();
        // 1 vCPU x 0.04048 + 2 GiB x 0.004445 = 0.04937/h x 730 = 36.04 per instance.
        assert_eq!(
            item.monthly.known(),
            Some(Range {
                min: 72.08,
                max: 180.2
            })
        );
        assert!(
            item.computed_from.starts_with("2-5 (HPA) instances (k8s/hpa.yaml:8) x (1 vCPU limit at k8s/web.yaml:15 + 2 GiB limit at k8s/web.yaml:16) on aws-fargate (envparity.toml:2)"),
            "{}",
            item.computed_from
        );
    }

    #[test]
    fn requests_stand_in_for_limits_and_are_named() {
        let policy = policy("[cost]\nplatform = \"gke-autopilot\"\n");
        let item = price_service(
            &web(Some(500), Some(1 << 29), true),
            "staging",
            &Prices::new(&policy),
        )
        .unwrap();
        // (0.5 x 0.0445 + 0.5 x 0.0049225) x 730 = 18.04
        assert_eq!(item.monthly.known(), Some(Range::fixed(18.04)));
        assert!(
            item.computed_from
                .contains("0.5 vCPU request (no limit) at k8s/web.yaml:12"),
            "{}",
            item.computed_from
        );
    }

    #[test]
    fn no_limit_or_no_platform_is_unknown_with_the_reason() {
        let with = policy("[cost]\nplatform = \"aws-fargate\"\n");
        let item =
            price_service(&web(None, None, false), "production", &Prices::new(&with)).unwrap();
        assert_eq!(
            item.monthly,
            Monthly::Unknown {
                reason: "`web` has no CPU limit or request (k8s/web.yaml:3)".into()
            }
        );
        let without = policy("");
        let item = price_service(
            &web(Some(1000), Some(1 << 30), false),
            "production",
            &Prices::new(&without),
        )
        .unwrap();
        let Monthly::Unknown { reason } = item.monthly else {
            panic!()
        };
        assert!(reason.contains("`[cost] hosts.production`"), "{reason}");
        let component = Service::new("network", Origin::new("live/network/terragrunt.hcl", 1));
        assert!(price_service(&component, "production", &Prices::new(&with)).is_none());
    }

    #[test]
    fn claims_priced_as_block_storage() {
        let mut env = Environment::new("production");
        let claim = Setting::new(
            "persistentvolumeclaim.uploads",
            "10Gi",
            Origin::new("k8s/pvc.yaml", 7),
        )
        .with_quantity(Some(Quantity::Bytes(10 << 30)));
        env.settings
            .insert("persistentvolumeclaim.uploads".into(), claim);
        let class = Setting::new(
            "persistentvolumeclaim.uploads.class",
            "gp3",
            Origin::new("k8s/pvc.yaml", 8),
        );
        env.settings
            .insert("persistentvolumeclaim.uploads.class".into(), class);
        let mut db = web(Some(1000), Some(1 << 30), false);
        db.name = "db".into();
        db.instances.count = 3;
        db.settings.insert(
            "storage.data".into(),
            Setting::new("storage.data", "50Gi", Origin::new("k8s/db.yaml", 30))
                .with_quantity(Some(Quantity::Bytes(50 << 30))),
        );
        env.services.push(db);
        let policy = policy("[cost]\nplatform = \"aws-fargate\"\n");
        let items = price_claims(&env, &Prices::new(&policy));
        let summary: Vec<(&str, Option<Range>)> = items
            .iter()
            .map(|i| (i.item.as_str(), i.monthly.known()))
            .collect();
        assert_eq!(
            summary,
            [
                ("persistentvolumeclaim.uploads", Some(Range::fixed(0.8))),
                ("db.storage.data", Some(Range::fixed(12.0)))
            ]
        );
        assert!(items[0].computed_from.contains("10 GiB at k8s/pvc.yaml:7 x aws-ebs-gp3 at $0.08/GiB-month (the usual disk of aws-fargate"), "{}", items[0].computed_from);
        let none = price_claims(&env, &Prices::new(&policy_none()));
        assert!(
            matches!(&none[0].monthly, Monthly::Unknown { reason } if reason.contains("[cost] storage"))
        );
    }

    fn policy_none() -> crate::policy::Policy {
        crate::policy::Policy::default()
    }
}
