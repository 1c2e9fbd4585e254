//! The run budget: what one run may read and build in total, whatever the repository does to
//! multiply it (the same file listed many times, Kustomize bases listed twice at every level,
//! `extends` or `include` fan-out, YAML aliases spread over many files).
//!
//! Per-file limits (`--max-file-size`, the YAML node and depth limits) bound one file; these
//! bound their sum. Every source charges the one `Budget` of its `Workspace`; the first charge
//! over a limit is an error naming the file that crossed it. Counters are atomic because
//! environments are read in parallel.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// What a run may use in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Bytes read from files, each read counted (a file read twice counts twice).
    pub bytes_read: u64,
    /// YAML nodes built, alias copies included, across every file.
    pub yaml_nodes: u64,
    /// Bytes copied by expansion: YAML alias copies of scalar text.
    pub expanded_bytes: u64,
    /// Objects and documents produced by rendering: Kustomize resources after bases, patches and
    /// generators, Compose services after `extends`, nginx and server configuration files after
    /// `include`.
    pub rendered: u64,
}

/// Defaults: far above any real repository (the largest of the 31 public repositories in
/// docs/real-world.md reads under 20 MiB), far below what would exhaust a CI runner.
impl Default for BudgetLimits {
    fn default() -> Self {
        BudgetLimits {
            bytes_read: 512 * 1024 * 1024,
            yaml_nodes: 10_000_000,
            expanded_bytes: 256 * 1024 * 1024,
            rendered: 200_000,
        }
    }
}

/// One of the budget's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    BytesRead,
    YamlNodes,
    ExpandedBytes,
    Rendered,
}

impl Resource {
    fn describe(self, limit: u64) -> String {
        match self {
            Resource::BytesRead => format!(
                "the run read more than {limit} bytes in total (the run budget; raise it with --max-total-size)"
            ),
            Resource::YamlNodes => {
                format!("the run built more than {limit} YAML nodes in total (the run budget)")
            }
            Resource::ExpandedBytes => {
                format!("the run expanded more than {limit} bytes in total (the run budget)")
            }
            Resource::Rendered => format!(
                "the run rendered more than {limit} objects, services or included files in total (the run budget)"
            ),
        }
    }
}

#[derive(Debug, Default)]
pub struct Budget {
    limits: BudgetLimits,
    bytes_read: AtomicU64,
    yaml_nodes: AtomicU64,
    expanded_bytes: AtomicU64,
    rendered: AtomicU64,
}

impl Budget {
    pub fn new(limits: BudgetLimits) -> Self {
        Budget {
            limits,
            ..Budget::default()
        }
    }

    pub fn limits(&self) -> BudgetLimits {
        self.limits
    }

    fn counter(&self, resource: Resource) -> (&AtomicU64, u64) {
        match resource {
            Resource::BytesRead => (&self.bytes_read, self.limits.bytes_read),
            Resource::YamlNodes => (&self.yaml_nodes, self.limits.yaml_nodes),
            Resource::ExpandedBytes => (&self.expanded_bytes, self.limits.expanded_bytes),
            Resource::Rendered => (&self.rendered, self.limits.rendered),
        }
    }

    /// Charges `amount` to `resource`, for `file`; over the limit is an error naming the file.
    pub fn charge(&self, resource: Resource, file: &str, amount: u64) -> Result<()> {
        let (counter, limit) = self.counter(resource);
        let before = counter.fetch_add(amount, Ordering::Relaxed);
        if before.saturating_add(amount) > limit {
            return Err(self.exceeded(resource, file));
        }
        Ok(())
    }

    /// The error for `resource` spent, at `file`.
    pub fn exceeded(&self, resource: Resource, file: &str) -> Error {
        let (_, limit) = self.counter(resource);
        Error::in_file(file, resource.describe(limit))
    }

    /// What is left of `resource` (a per-file limit is lowered to it, so that a file stops as
    /// soon as the run's budget is spent rather than after its own, larger limit).
    pub fn remaining(&self, resource: Resource) -> u64 {
        let (counter, limit) = self.counter(resource);
        limit.saturating_sub(counter.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_over_the_run_and_name_the_file_that_crossed() {
        let budget = Budget::new(BudgetLimits {
            rendered: 10,
            ..BudgetLimits::default()
        });
        budget.charge(Resource::Rendered, "a.yaml", 6).unwrap();
        assert_eq!(budget.remaining(Resource::Rendered), 4);
        budget.charge(Resource::Rendered, "b.yaml", 4).unwrap();
        let e = budget.charge(Resource::Rendered, "c.yaml", 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.yaml: the run rendered more than 10 objects, services or included files in total (the run budget)"
        );
        assert_eq!(budget.remaining(Resource::Rendered), 0);
        // The other counters are their own.
        budget.charge(Resource::BytesRead, "c.yaml", 100).unwrap();
    }

    /// Services extending one large base each get a copy: the copies are charged to the run.
    #[test]
    fn compose_extends_fan_out_is_charged_to_the_run() {
        let mut text = String::from("services:\n  base:\n    image: app:1\n    environment:\n");
        for i in 0..200 {
            text.push_str(&format!("      V{i}: x\n"));
        }
        for i in 0..100 {
            text.push_str(&format!("  s{i}:\n    extends: base\n"));
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yml"), text).unwrap();
        let mut ws = crate::sources::Workspace::open(dir.path()).unwrap();
        ws.budget = std::sync::Arc::new(Budget::new(BudgetLimits {
            yaml_nodes: 10_000,
            ..BudgetLimits::default()
        }));
        let mut env = crate::model::Environment::new("staging");
        // One service over the budget is a gap of that service; the rest is read.
        let _ = crate::sources::compose::load(
            &ws,
            &["compose.yml".to_string()],
            &mut env,
            &mut Vec::new(),
        );
        let gaps: Vec<String> = env.gaps.iter().map(|g| g.to_error().to_string()).collect();
        // Services are built in parallel: which ones cross the budget varies, not that they do.
        assert!(!gaps.is_empty());
        for gap in &gaps {
            assert!(
                gap.starts_with("compose.yml:")
                    && gap.ends_with(
                        ": the run built more than 10000 YAML nodes in total (the run budget)"
                    ),
                "{gap}"
            );
        }
        assert!(env.services.len() < 60, "{} copies", env.services.len());
    }
}
