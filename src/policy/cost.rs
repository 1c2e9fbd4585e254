//! The `[cost]` section: what each environment runs on, when its services state no limits.
//!
//! ```toml
//! [cost]
//! hosts.staging = "t3.large"
//! hosts.production = "m5.4xlarge"
//! hours_per_month = 730
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[cost]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CostSection {
    hosts: Option<BTreeMap<String, toml::Spanned<String>>>,
    hours_per_month: Option<toml::Spanned<f64>>,
}

/// `[cost]` resolved: instance types checked against the bundled catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostPolicy {
    /// Environment (canonical name) -> (instance type, line in the policy file).
    pub hosts: BTreeMap<String, (String, u32)>,
    pub hours_per_month: Option<f64>,
}

/// Check the section; `line` turns a byte offset into the file's line for errors.
pub(super) fn resolve(
    section: CostSection,
    line: impl Fn(usize) -> u32,
) -> Result<CostPolicy, (usize, String)> {
    let catalog = crate::cost::Catalog::bundled();
    let mut out = CostPolicy::default();
    for (env, host) in section.hosts.unwrap_or_default() {
        let name = host.get_ref().trim().to_string();
        if !catalog.instances.contains_key(&name) {
            return Err((
                host.span().start,
                format!(
                    "[cost] hosts.{env}: unknown instance type `{name}` (the price catalog of {} lists e.g. t3.large, m5.4xlarge, n1-standard-2, s-2vcpu-4gb)",
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
    Ok(out)
}
