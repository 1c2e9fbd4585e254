//! PgBouncer defaults. Source: the PgBouncer 1.21 configuration reference (pgbouncer.org/config).

use super::Table;

pub static TABLES: &[(u32, Table)] = &[(
    1,
    Table {
        label: "PgBouncer 1.21",
        changed: &[],
        common: &[
            ("auth_type", "md5"),
            ("client_idle_timeout", "0"),
            ("default_pool_size", "20"),
            ("listen_port", "6432"),
            ("log_connections", "1"),
            ("log_disconnections", "1"),
            ("max_client_conn", "100"),
            ("max_db_connections", "0"),
            ("min_pool_size", "0"),
            ("pool_mode", "session"),
            ("query_timeout", "0"),
            ("query_wait_timeout", "120"),
            ("reserve_pool_size", "0"),
            ("reserve_pool_timeout", "5"),
            ("server_idle_timeout", "600"),
            ("server_lifetime", "3600"),
            ("server_reset_query", "DISCARD ALL"),
            ("stats_period", "60"),
        ],
    },
)];
