//! Monthly cost (issue 13, item 3). So far: the dated price catalog compiled into the binary
//! (`data/prices.toml`) and monthly prices looked up from it. Quantities (Terraform resources,
//! container limits, `[cost] hosts` in the policy) and the reports' Cost section are not built
//! yet; see docs/capacity-and-cost.md.

pub mod catalog;

pub use catalog::{Catalog, InstanceType};

use serde::Serialize;

use crate::policy::Policy;

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

/// Per environment (same order): its host cost, `None` when the policy names no host.
pub fn host_costs(
    environments: &[String],
    reference: usize,
    policy: &Policy,
) -> Vec<Option<HostCost>> {
    let catalog = Catalog::bundled();
    let hours = policy
        .cost
        .hours_per_month
        .unwrap_or(catalog.hours_per_month);
    let file = policy.file.as_deref().unwrap_or("envparity.toml");
    let mut out: Vec<Option<HostCost>> = environments
        .iter()
        .map(|env| {
            let (name, line) = policy.cost.hosts.get(env)?;
            let t = catalog.instances.get(name)?;
            let monthly = (t.hourly * hours * 100.0).round() / 100.0;
            Some(HostCost {
                instance_type: name.clone(),
                vcpu: t.vcpu,
                memory_gib: t.memory_gib,
                hourly: t.hourly,
                hours_per_month: hours,
                monthly,
                computed_from: format!(
                    "{name} ({} vCPU, {} GiB) at ${}/h x {hours} h (list price of {}), host set at {file}:{line}",
                    t.vcpu, t.memory_gib, t.hourly, catalog.date
                ),
                saving_vs_reference: None,
            })
        })
        .collect();
    let reference_monthly = out
        .get(reference)
        .and_then(|c| c.as_ref().map(|c| c.monthly));
    for c in out.iter_mut().flatten() {
        c.saving_vs_reference =
            reference_monthly.map(|r| ((r - c.monthly) * 100.0).round() / 100.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_priced_with_the_saving_against_the_reference() {
        let policy = crate::policy::parse(
            "[cost]\nhosts.staging = \"t3.large\"\nhosts.production = \"m5.4xlarge\"\n",
            "envparity.toml",
            &[],
        )
        .unwrap();
        let envs = vec!["staging".to_string(), "production".to_string()];
        let costs = host_costs(&envs, 1, &policy);
        let staging = costs[0].as_ref().unwrap();
        assert_eq!(staging.monthly, 60.74);
        assert_eq!(costs[1].as_ref().unwrap().monthly, 560.64);
        assert_eq!(staging.saving_vs_reference, Some(499.9));
        assert!(
            staging.computed_from.contains("envparity.toml:2"),
            "{}",
            staging.computed_from
        );
        assert_eq!(
            host_costs(&envs, 1, &crate::policy::Policy::default()),
            vec![None, None]
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
