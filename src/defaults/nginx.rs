//! nginx defaults. Source: the nginx 1.24 module reference (nginx.org/en/docs), the
//! "Default:" line of each directive.

use super::Table;

pub static TABLES: &[(u32, Table)] = &[(
    1,
    Table {
        label: "nginx 1.24",
        changed: &[],
        common: &[
            ("client_body_buffer_size", "16k"),
            ("client_body_timeout", "60s"),
            ("client_header_timeout", "60s"),
            ("client_max_body_size", "1m"),
            ("gzip", "off"),
            ("keepalive_requests", "1000"),
            ("keepalive_timeout", "75s"),
            ("proxy_buffer_size", "4k"),
            ("proxy_buffering", "on"),
            ("proxy_connect_timeout", "60s"),
            ("proxy_http_version", "1.0"),
            ("proxy_max_temp_file_size", "1024m"),
            ("proxy_read_timeout", "60s"),
            ("proxy_send_timeout", "60s"),
            ("send_timeout", "60s"),
            ("sendfile", "off"),
            ("server_tokens", "on"),
            ("tcp_nodelay", "on"),
            ("tcp_nopush", "off"),
            ("worker_connections", "512"),
            ("worker_processes", "1"),
        ],
    },
)];
