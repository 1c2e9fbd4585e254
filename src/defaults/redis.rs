//! Redis defaults. Source: the redis.conf shipped with Redis 7.2 (its commented-out defaults)
//! and `CONFIG GET` on a stock server; Redis 6.2's redis.conf for what 7.0 changed.
//! Directives with no default (replicaof, masterauth, requirepass, rename-command) and those the
//! image or the shipped file set differently from the built-in value (bind, dir, pidfile) are
//! left out: unset there means unset.

use super::Table;

/// Unchanged from 6 to 7.
const COMMON: &[(&str, &str)] = &[
    ("active_defrag_cycle_max", "25"),
    ("active_defrag_cycle_min", "1"),
    ("active_defrag_ignore_bytes", "100mb"),
    ("active_defrag_threshold_lower", "10"),
    ("active_defrag_threshold_upper", "100"),
    ("activedefrag", "no"),
    ("aof_load_truncated", "yes"),
    ("aof_rewrite_incremental_fsync", "yes"),
    ("aof_use_rdb_preamble", "yes"),
    ("appendfilename", "appendonly.aof"),
    ("appendfsync", "everysec"),
    ("appendonly", "no"),
    ("auto_aof_rewrite_min_size", "64mb"),
    ("auto_aof_rewrite_percentage", "100"),
    ("client_output_buffer_limit.normal", "0 0 0"),
    ("client_output_buffer_limit.pubsub", "32mb 8mb 60"),
    ("client_output_buffer_limit.replica", "256mb 64mb 60"),
    ("daemonize", "no"),
    ("databases", "16"),
    ("dbfilename", "dump.rdb"),
    ("dynamic_hz", "yes"),
    ("hz", "10"),
    ("io_threads", "1"),
    ("io_threads_do_reads", "no"),
    ("jemalloc_bg_thread", "yes"),
    ("latency_monitor_threshold", "0"),
    ("lazyfree_lazy_eviction", "no"),
    ("lazyfree_lazy_expire", "no"),
    ("lazyfree_lazy_server_del", "no"),
    ("lazyfree_lazy_user_del", "no"),
    ("logfile", ""),
    ("loglevel", "notice"),
    ("maxclients", "10000"),
    ("maxmemory", "0"),
    ("maxmemory_policy", "noeviction"),
    ("maxmemory_samples", "5"),
    ("no_appendfsync_on_rewrite", "no"),
    ("notify_keyspace_events", ""),
    ("port", "6379"),
    ("protected_mode", "yes"),
    ("rdb_save_incremental_fsync", "yes"),
    ("rdbchecksum", "yes"),
    ("rdbcompression", "yes"),
    ("repl_backlog_size", "1mb"),
    ("repl_disable_tcp_nodelay", "no"),
    ("repl_diskless_sync_delay", "5"),
    ("repl_timeout", "60"),
    ("replica_lazy_flush", "no"),
    ("replica_priority", "100"),
    ("replica_read_only", "yes"),
    ("replica_serve_stale_data", "yes"),
    ("save", "3600 1 300 100 60 10000"),
    ("slowlog_log_slower_than", "10000"),
    ("slowlog_max_len", "128"),
    ("stop_writes_on_bgsave_error", "yes"),
    ("supervised", "no"),
    ("tcp_backlog", "511"),
    ("tcp_keepalive", "300"),
    ("timeout", "0"),
];

pub static TABLES: &[(u32, Table)] = &[
    (
        7,
        Table {
            label: "Redis 7",
            // 7.0: diskless replication on by default, multi-part AOF in a directory,
            // configurable shutdown signals.
            changed: &[
                ("repl_diskless_sync", "yes"),
                ("appenddirname", "appendonlydir"),
                ("shutdown_on_sigterm", "default"),
                ("shutdown_on_sigint", "default"),
            ],
            common: COMMON,
        },
    ),
    (
        0,
        Table {
            label: "Redis 6",
            changed: &[("repl_diskless_sync", "no")],
            common: COMMON,
        },
    ),
];
