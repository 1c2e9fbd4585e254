//! What counts as intended when the policy says nothing: scale differs between environments
//! (instances, CPU, memory, storage, autoscaling bounds, worker pools, database and cache sizing,
//! retention); identity and versions do not.

use super::{Intended, MustMatch, Pattern};

const SCALE: &[(&str, &str)] = &[
    ("instances", "scale: instance counts differ by environment"),
    ("cpu_*", "scale: CPU is sized per environment"),
    ("memory_*", "scale: memory is sized per environment"),
    (
        "deploy.resources.*",
        "scale: resources are sized per environment",
    ),
    ("*storage*", "scale: storage is sized per environment"),
    (
        "*resources.limits.*",
        "scale: resources are sized per environment",
    ),
    (
        "*resources.requests.*",
        "scale: resources are sized per environment",
    ),
    (
        "resources.defaults",
        "scale: resources are sized per environment",
    ),
    (
        "*persistence.size",
        "scale: storage is sized per environment",
    ),
    (
        "*autoscal*",
        "scale: autoscaling bounds differ by environment",
    ),
    ("*replicas*", "scale: replica counts differ by environment"),
    (
        "*.workers",
        "scale: worker processes are sized per environment",
    ),
    ("*.threads", "scale: threads are sized per environment"),
    (
        "*.concurrency",
        "scale: worker concurrency is sized per environment",
    ),
    (
        "env.*WORKERS*",
        "scale: worker processes are sized per environment",
    ),
    (
        "env.*CONCURRENCY*",
        "scale: worker concurrency is sized per environment",
    ),
    ("env.*POOL_SIZE*", "scale: pool sizes differ by environment"),
    (
        "env.*MAX_CLIENT_CONN*",
        "scale: connection limits differ by environment",
    ),
    ("postgres.max_connections", "scale: database sizing"),
    ("postgres.shared_buffers", "scale: database sizing"),
    ("postgres.effective_cache_size", "scale: database sizing"),
    ("postgres.work_mem", "scale: database sizing"),
    ("postgres.maintenance_work_mem", "scale: database sizing"),
    ("postgres.*_wal_size", "scale: database sizing"),
    ("redis.maxmemory", "scale: cache sizing"),
    ("*retention*", "retention differs by environment"),
    (
        "*instance_type*",
        "scale: machine sizes differ by environment",
    ),
    (
        "*instance_class*",
        "scale: database machine sizes differ by environment",
    ),
    ("*node_type*", "scale: machine sizes differ by environment"),
    (
        "*machine_type*",
        "scale: machine sizes differ by environment",
    ),
    ("*vm_size*", "scale: machine sizes differ by environment"),
    (
        "*multi_az*",
        "scale: high availability differs by environment",
    ),
    ("*_count", "scale: counts differ by environment"),
    ("*.count", "scale: counts differ by environment"),
    ("*min_size*", "scale: group sizes differ by environment"),
    ("*max_size*", "scale: group sizes differ by environment"),
    (
        "*desired_capacity*",
        "scale: group sizes differ by environment",
    ),
];

pub fn intended() -> Vec<Intended> {
    SCALE
        .iter()
        .map(|(pattern, reason)| Intended {
            // The built-in patterns are valid globs (checked by the tests).
            setting: Pattern::new(pattern).ok(),
            service: None,
            reason: (*reason).to_string(),
            line: None,
        })
        .collect()
}

/// Nothing must match by default beyond what the rules check (image repository, engine and
/// major version); teams add their promotion-parity items.
pub fn must_match() -> Vec<MustMatch> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    #[test]
    fn built_in_patterns_compile() {
        for (p, _) in super::SCALE {
            assert!(super::Pattern::new(p).is_ok(), "{p}");
        }
    }
}
