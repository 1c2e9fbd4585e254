//! The nginx directives worth comparing between environments, as `nginx.*` settings.
//!
//! Keys (see docs/settings.md):
//! - `nginx.upstream.<name>.servers` (addresses, `backup`/`down` marked), `.server_count`,
//!   `.keepalive`, `.balancing` (`least_conn`, `ip_hash`, `hash ...`, `random`);
//! - `nginx.limit_req_zone.<zone>.rate` (a number of requests per minute), `.size`;
//! - `nginx.limit_req.<zone>.burst`, `.nodelay`, `.delay`; `nginx.limit_conn.<zone>`;
//! - `nginx.<directive>` for `listen`, `server_name`, `ssl_*`, `*_timeout`, `client_max_body_size`,
//!   `add_header.<Header>` and a few server-wide ones, qualified by the location when set inside
//!   one: `nginx.location[/api/].client_max_body_size`.
//!
//! A key set in several places (two `server` blocks) with different values shows the distinct
//! values joined with `, ` in file order, and no quantity.

use std::collections::BTreeMap;

use super::parser::Directive;
use crate::error::{Error, Result};
use crate::model::{Origin, Quantity, Setting};
use crate::sources::units::{nginx_bytes, nginx_rate_per_minute, nginx_seconds, parse_number};

/// Blocks whose contents are not directives of the enclosing context (`map` lines, `types`) or
/// only apply conditionally (`if`, `limit_except`): not read.
const SKIPPED_BLOCKS: &[&str] = &[
    "if",
    "map",
    "geo",
    "types",
    "split_clients",
    "limit_except",
    "match",
];

/// Directives kept as written (no unit).
const TEXT_DIRECTIVES: &[&str] = &[
    "listen",
    "server_name",
    "http2",
    "gzip",
    "server_tokens",
    "worker_processes",
    "worker_connections",
    "keepalive_requests",
    "proxy_http_version",
    "proxy_buffering",
];

/// Size directives (bytes).
const SIZE_DIRECTIVES: &[&str] = &[
    "client_max_body_size",
    "client_body_buffer_size",
    "proxy_buffer_size",
    "proxy_max_temp_file_size",
];

/// One value as found, before values of the same key are combined.
#[derive(Debug)]
struct Found {
    text: String,
    origin: Origin,
    quantity: Option<Quantity>,
}

/// Settings being collected across the files of one nginx configuration.
#[derive(Debug, Default)]
pub struct Acc {
    values: BTreeMap<String, Vec<Found>>,
}

impl Acc {
    fn add(&mut self, key: String, text: String, d: &Directive, quantity: Option<Quantity>) {
        self.values.entry(key).or_default().push(Found {
            text,
            origin: Origin::new(&d.file, d.line),
            quantity,
        });
    }

    /// One setting per key: the value, or the distinct values joined when they differ.
    pub fn finish(self) -> BTreeMap<String, Setting> {
        let mut out = BTreeMap::new();
        for (key, found) in self.values {
            let mut distinct: Vec<&Found> = Vec::new();
            for f in &found {
                if !distinct.iter().any(|d| d.text == f.text) {
                    distinct.push(f);
                }
            }
            let first = &found[0];
            let setting = if let [only] = distinct.as_slice() {
                Setting::new(&key, only.text.clone(), only.origin.clone())
                    .with_quantity(only.quantity)
            } else {
                let texts: Vec<&str> = distinct.iter().map(|d| d.text.as_str()).collect();
                Setting::new(&key, texts.join(", "), first.origin.clone())
            };
            let setting = if setting.is_secret() {
                Setting {
                    quantity: None,
                    ..setting
                }
            } else {
                setting
            };
            out.insert(key, setting);
        }
        out
    }
}

/// Walk a directive tree (includes already spliced in).
pub fn collect(directives: &[Directive], acc: &mut Acc) -> Result<()> {
    walk(directives, None, acc, 0)
}

fn walk(
    directives: &[Directive],
    location: Option<&str>,
    acc: &mut Acc,
    depth: usize,
) -> Result<()> {
    // The parser and include expansion cap nesting already; this guards the walk on its own.
    if depth > 4 * super::parser::MAX_DEPTH {
        return Ok(());
    }
    for d in directives {
        if let Some(children) = &d.block {
            match d.name.as_str() {
                "upstream" => upstream(d, children, acc)?,
                "location" => {
                    let path = d.args.join(" ");
                    walk(children, Some(&path), acc, depth + 1)?;
                }
                name if SKIPPED_BLOCKS.contains(&name) => {}
                _ => walk(children, location, acc, depth + 1)?,
            }
            continue;
        }
        directive(d, location, acc)?;
    }
    Ok(())
}

fn scoped(location: Option<&str>, name: &str) -> String {
    match location {
        Some(path) => format!("nginx.location[{path}].{name}"),
        None => format!("nginx.{name}"),
    }
}

fn first_arg(d: &Directive) -> Result<&str> {
    d.args
        .first()
        .map(String::as_str)
        .ok_or_else(|| Error::at(&d.file, d.line, format!("`{}` needs a value", d.name)))
}

fn directive(d: &Directive, location: Option<&str>, acc: &mut Acc) -> Result<()> {
    let name = d.name.as_str();
    let unit_error = |m: String| Error::at(&d.file, d.line, format!("`{name}`: {m}"));
    match name {
        "limit_req_zone" => {
            let (zone, size) = zone_arg(d)?;
            let rate = param(d, "rate")
                .ok_or_else(|| Error::at(&d.file, d.line, "`limit_req_zone` needs `rate=`"))?;
            let per_minute = nginx_rate_per_minute(rate).map_err(unit_error)?;
            acc.add(
                format!("nginx.limit_req_zone.{zone}.rate"),
                rate.to_string(),
                d,
                Some(Quantity::Number(per_minute)),
            );
            if let Some(size) = size {
                let bytes = nginx_bytes(size).map_err(unit_error)?;
                acc.add(
                    format!("nginx.limit_req_zone.{zone}.size"),
                    size.to_string(),
                    d,
                    Some(Quantity::Bytes(bytes)),
                );
            }
        }
        "limit_req" => {
            let zone = param(d, "zone")
                .ok_or_else(|| Error::at(&d.file, d.line, "`limit_req` needs `zone=`"))?;
            let burst = param(d, "burst").unwrap_or("0");
            acc.add(
                format!("nginx.limit_req.{zone}.burst"),
                burst.to_string(),
                d,
                parse_number(burst).map(Quantity::Number),
            );
            if d.args.iter().any(|a| a == "nodelay") {
                acc.add(
                    format!("nginx.limit_req.{zone}.nodelay"),
                    "on".into(),
                    d,
                    None,
                );
            }
            if let Some(delay) = param(d, "delay") {
                acc.add(
                    format!("nginx.limit_req.{zone}.delay"),
                    delay.to_string(),
                    d,
                    parse_number(delay).map(Quantity::Number),
                );
            }
        }
        "limit_conn" => {
            let (Some(zone), Some(n)) = (d.args.first(), d.args.get(1)) else {
                return Err(Error::at(
                    &d.file,
                    d.line,
                    "`limit_conn` needs a zone and a number",
                ));
            };
            acc.add(
                format!("nginx.limit_conn.{zone}"),
                n.clone(),
                d,
                parse_number(n).map(Quantity::Number),
            );
        }
        "add_header" => {
            let Some(header) = d.args.first() else {
                return Err(Error::at(
                    &d.file,
                    d.line,
                    "`add_header` needs a name and a value",
                ));
            };
            acc.add(
                scoped(location, &format!("add_header.{header}")),
                d.args[1..].join(" "),
                d,
                None,
            );
        }
        _ if SIZE_DIRECTIVES.contains(&name) => {
            if d.args.len() > 1 {
                return Err(Error::at(
                    &d.file,
                    d.line,
                    format!("`{name}` takes one value (write sizes without spaces: `10m`)"),
                ));
            }
            let value = first_arg(d)?;
            let bytes = nginx_bytes(value).map_err(unit_error)?;
            acc.add(
                scoped(location, name),
                value.to_string(),
                d,
                Some(Quantity::Bytes(bytes)),
            );
        }
        _ if name.ends_with("_timeout") => {
            let value = first_arg(d)?;
            let quantity = if value.starts_with('$') {
                None
            } else {
                Some(Quantity::Seconds(nginx_seconds(value).map_err(unit_error)?))
            };
            acc.add(scoped(location, name), d.args.join(" "), d, quantity);
        }
        _ if name.starts_with("ssl_") || TEXT_DIRECTIVES.contains(&name) => {
            let text = d.args.join(" ");
            let quantity = (d.args.len() == 1)
                .then(|| parse_number(&text))
                .flatten()
                .map(Quantity::Number);
            acc.add(scoped(location, name), text, d, quantity);
        }
        _ => {}
    }
    Ok(())
}

/// `zone=name:10m` -> (`name`, `Some("10m")`).
fn zone_arg(d: &Directive) -> Result<(&str, Option<&str>)> {
    let zone = param(d, "zone")
        .ok_or_else(|| Error::at(&d.file, d.line, format!("`{}` needs `zone=`", d.name)))?;
    Ok(match zone.split_once(':') {
        Some((name, size)) => (name, Some(size)),
        None => (zone, None),
    })
}

/// The value of a `name=value` argument.
fn param<'a>(d: &'a Directive, name: &str) -> Option<&'a str> {
    d.args
        .iter()
        .find_map(|a| a.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

fn upstream(d: &Directive, children: &[Directive], acc: &mut Acc) -> Result<()> {
    let Some(name) = d.args.first() else {
        return Err(Error::at(&d.file, d.line, "`upstream` needs a name"));
    };
    let prefix = format!("nginx.upstream.{name}");
    let mut servers = Vec::new();
    for c in children {
        match c.name.as_str() {
            "server" => {
                let Some(address) = c.args.first() else {
                    return Err(Error::at(&c.file, c.line, "`server` needs an address"));
                };
                let flags: Vec<&str> = c.args[1..]
                    .iter()
                    .map(String::as_str)
                    .filter(|a| matches!(*a, "backup" | "down"))
                    .collect();
                if flags.is_empty() {
                    servers.push(address.clone());
                } else {
                    servers.push(format!("{address} ({})", flags.join(", ")));
                }
            }
            "keepalive" | "keepalive_requests" | "keepalive_timeout" | "zone" => {
                let text = c.args.join(" ");
                let quantity = if c.name == "keepalive_timeout" {
                    nginx_seconds(&text).ok().map(Quantity::Seconds)
                } else {
                    parse_number(&text).map(Quantity::Number)
                };
                acc.add(format!("{prefix}.{}", c.name), text, c, quantity);
            }
            "least_conn" | "ip_hash" | "hash" | "random" | "least_time" => {
                let mut text = c.name.clone();
                if !c.args.is_empty() {
                    text = format!("{text} {}", c.args.join(" "));
                }
                acc.add(format!("{prefix}.balancing"), text, c, None);
            }
            _ => {}
        }
    }
    acc.add(
        format!("{prefix}.server_count"),
        servers.len().to_string(),
        d,
        Some(Quantity::Number(servers.len() as f64)),
    );
    acc.add(format!("{prefix}.servers"), servers.join(", "), d, None);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::nginx::parser::parse;

    fn settings(text: &str) -> BTreeMap<String, Setting> {
        let mut acc = Acc::default();
        collect(&parse(text, "lb.conf").unwrap(), &mut acc).unwrap();
        acc.finish()
    }

    const LB: &str = r#"
upstream backend {
    least_conn;
    server web1:8000 max_fails=3 fail_timeout=30s;
    server web2:8000 max_fails=3;
    server web3:8000 backup;
    keepalive 32;
}
limit_req_zone  $binary_remote_addr zone=api:10m   rate=10r/s;
limit_conn_zone $binary_remote_addr zone=addr:10m;
server {
    listen 80;
    return 301 https://$host$request_uri;
}
server {
    listen 443 ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 100M;
    limit_conn addr 10;
    add_header X-Frame-Options DENY always;
    proxy_read_timeout 120s;
    location /api/ {
        limit_req zone=api burst=20 nodelay;
        client_max_body_size 10m;
        if ($request_method = POST) { client_max_body_size 1g; }
    }
}
"#;

    #[test]
    fn load_balancer_settings() {
        let s = settings(LB);
        let get = |k: &str| {
            let st = s
                .get(k)
                .unwrap_or_else(|| panic!("no {k} in {:?}", s.keys()));
            (st.display().to_string(), st.quantity, st.origin.line)
        };
        assert_eq!(
            get("nginx.upstream.backend.servers").0,
            "web1:8000, web2:8000, web3:8000 (backup)"
        );
        assert_eq!(
            get("nginx.upstream.backend.server_count").1,
            Some(Quantity::Number(3.0))
        );
        assert_eq!(
            get("nginx.upstream.backend.keepalive"),
            ("32".into(), Some(Quantity::Number(32.0)), 7)
        );
        assert_eq!(get("nginx.upstream.backend.balancing").0, "least_conn");
        assert_eq!(
            get("nginx.limit_req_zone.api.rate"),
            ("10r/s".into(), Some(Quantity::Number(600.0)), 9)
        );
        assert_eq!(
            get("nginx.limit_req_zone.api.size").1,
            Some(Quantity::Bytes(10 << 20))
        );
        assert_eq!(
            get("nginx.limit_req.api.burst").1,
            Some(Quantity::Number(20.0))
        );
        assert_eq!(get("nginx.limit_req.api.nodelay").0, "on");
        assert_eq!(get("nginx.limit_conn.addr").1, Some(Quantity::Number(10.0)));
        assert_eq!(get("nginx.listen").0, "80, 443 ssl");
        assert_eq!(get("nginx.listen").1, None, "several values: no quantity");
        assert_eq!(
            get("nginx.client_max_body_size").1,
            Some(Quantity::Bytes(100 << 20))
        );
        assert_eq!(
            get("nginx.location[/api/].client_max_body_size").1,
            Some(Quantity::Bytes(10 << 20)),
            "the `if` block is conditional and not read"
        );
        assert_eq!(get("nginx.add_header.X-Frame-Options").0, "DENY always");
        assert_eq!(
            get("nginx.proxy_read_timeout").1,
            Some(Quantity::Seconds(120.0))
        );
        assert_eq!(get("nginx.ssl_protocols").0, "TLSv1.2 TLSv1.3");
    }

    #[test]
    fn bad_units_are_errors_with_the_line() {
        let err = |t: &str| {
            let mut acc = Acc::default();
            collect(&parse(t, "lb.conf").unwrap(), &mut acc)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("server {\n client_max_body_size 50MB;\n}"),
            "lb.conf:2: `client_max_body_size`: unknown size unit `MB` in `50MB` (nginx accepts k, m or g)"
        );
        assert_eq!(
            err("limit_req_zone $a zone=z:1m rate=5r/h;"),
            "lb.conf:1: `limit_req_zone`: unknown rate unit `r/h` in `5r/h` (nginx accepts r/s or r/m)"
        );
        assert!(err("limit_req burst=5;").contains("needs `zone=`"));
    }
}
