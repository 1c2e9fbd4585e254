//! PostgreSQL defaults. Source: the PostgreSQL 16 documentation, chapter 20 "Server
//! Configuration" (and the release notes of 12 to 15 for the defaults they changed).
//! Parameters the Docker image or initdb set (listen_addresses, timezone, lc_*) are left out.

use super::Table;

const COMMON: &[(&str, &str)] = &[
    ("autovacuum", "on"),
    ("autovacuum_analyze_scale_factor", "0.1"),
    ("autovacuum_max_workers", "3"),
    ("autovacuum_naptime", "1min"),
    ("autovacuum_vacuum_cost_limit", "-1"),
    ("autovacuum_vacuum_scale_factor", "0.2"),
    ("checkpoint_timeout", "5min"),
    ("deadlock_timeout", "1s"),
    ("default_statistics_target", "100"),
    ("effective_cache_size", "4GB"),
    ("effective_io_concurrency", "1"),
    ("fsync", "on"),
    ("full_page_writes", "on"),
    ("hot_standby", "on"),
    ("huge_pages", "try"),
    ("idle_in_transaction_session_timeout", "0"),
    ("lock_timeout", "0"),
    ("log_connections", "off"),
    ("log_destination", "stderr"),
    ("log_disconnections", "off"),
    ("log_line_prefix", "%m [%p] "),
    ("log_lock_waits", "off"),
    ("log_min_duration_statement", "-1"),
    ("log_min_messages", "warning"),
    ("log_statement", "none"),
    ("log_temp_files", "-1"),
    ("logging_collector", "off"),
    ("maintenance_work_mem", "64MB"),
    ("max_connections", "100"),
    ("max_parallel_maintenance_workers", "2"),
    ("max_parallel_workers", "8"),
    ("max_parallel_workers_per_gather", "2"),
    ("max_replication_slots", "10"),
    ("max_wal_senders", "10"),
    ("max_wal_size", "1GB"),
    ("max_worker_processes", "8"),
    ("min_wal_size", "80MB"),
    ("port", "5432"),
    ("random_page_cost", "4"),
    ("seq_page_cost", "1"),
    ("shared_buffers", "128MB"),
    ("shared_preload_libraries", ""),
    ("ssl", "off"),
    ("statement_timeout", "0"),
    ("synchronous_commit", "on"),
    ("temp_buffers", "8MB"),
    ("track_io_timing", "off"),
    ("wal_buffers", "-1"),
    ("wal_level", "replica"),
    ("work_mem", "4MB"),
];

pub static TABLES: &[(u32, Table)] = &[
    (
        15,
        Table {
            label: "PostgreSQL 15+",
            // 15: checkpoints and autovacuum logged by default; 13: hash_mem_multiplier,
            // wal_keep_size; 14: checkpoint_completion_target 0.9, scram-sha-256.
            changed: &[
                ("log_checkpoints", "on"),
                ("log_autovacuum_min_duration", "10min"),
                ("hash_mem_multiplier", "2.0"),
                ("checkpoint_completion_target", "0.9"),
                ("password_encryption", "scram-sha-256"),
                ("wal_keep_size", "0"),
                ("autovacuum_vacuum_cost_delay", "2ms"),
            ],
            common: COMMON,
        },
    ),
    (
        14,
        Table {
            label: "PostgreSQL 14",
            changed: &[
                ("log_checkpoints", "off"),
                ("log_autovacuum_min_duration", "-1"),
                ("hash_mem_multiplier", "1.0"),
                ("checkpoint_completion_target", "0.9"),
                ("password_encryption", "scram-sha-256"),
                ("wal_keep_size", "0"),
                ("autovacuum_vacuum_cost_delay", "2ms"),
            ],
            common: COMMON,
        },
    ),
    (
        0,
        Table {
            label: "PostgreSQL 13 and older",
            changed: &[
                ("log_checkpoints", "off"),
                ("log_autovacuum_min_duration", "-1"),
                ("checkpoint_completion_target", "0.5"),
                ("password_encryption", "md5"),
                ("autovacuum_vacuum_cost_delay", "2ms"),
            ],
            common: COMMON,
        },
    ),
];
