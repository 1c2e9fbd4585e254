//! celery worker defaults. Source: the Celery 5.3 command-line reference (`celery worker
//! --help`) and configuration reference. `--concurrency` defaults to the CPU count, which differs
//! per machine, so it is left out.

use super::Table;

pub static TABLES: &[(u32, Table)] = &[(
    5,
    Table {
        label: "Celery 5",
        changed: &[],
        common: &[
            ("loglevel", "warning"),
            ("pool", "prefork"),
            ("prefetch_multiplier", "4"),
            ("without_gossip", "false"),
            ("without_heartbeat", "false"),
            ("without_mingle", "false"),
        ],
    },
)];
