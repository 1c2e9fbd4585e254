//! gunicorn defaults. Source: the gunicorn 21 settings reference (docs.gunicorn.org/en/21.2.0/
//! settings.html). Keys as the command-line flags give them (`--max-requests` ->
//! `gunicorn.max_requests`); a flag given without a value reads `true`.

use super::Table;

pub static TABLES: &[(u32, Table)] = &[(
    21,
    Table {
        label: "gunicorn 21",
        changed: &[],
        common: &[
            ("backlog", "2048"),
            ("bind", "127.0.0.1:8000"),
            ("graceful_timeout", "30"),
            ("keep_alive", "2"),
            ("limit_request_field_size", "8190"),
            ("limit_request_fields", "100"),
            ("limit_request_line", "4094"),
            ("log_level", "info"),
            ("max_requests", "0"),
            ("max_requests_jitter", "0"),
            ("preload", "false"),
            ("reload", "false"),
            ("threads", "1"),
            ("timeout", "30"),
            ("worker_class", "sync"),
            ("worker_connections", "1000"),
            ("workers", "1"),
        ],
    },
)];
