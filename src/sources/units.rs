//! Units as the configuration formats write them, turned into the model's numbers.
//!
//! Each parser returns `Err(message)` naming what was expected; the caller adds file and line.
//! Every parser rejects negative, non-finite and overflowing values instead of wrapping.

use crate::model::Quantity;

/// Compose byte values (`2b`, `1024kb`, `300m`, `1.5G`, `536870912`): binary multiples, with an
/// optional `b` after the prefix, case-insensitive (Docker's RAMInBytes).
pub fn compose_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, unit) = split_number(t);
    let value = parse_non_negative(number)
        .ok_or_else(|| format!("`{}` is not a byte size (use e.g. 512M, 1.5G)", clip(t)))?;
    let unit = unit.trim().to_ascii_lowercase();
    let multiplier: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        "p" | "pb" | "pib" => 1 << 50,
        _ => {
            return Err(format!(
                "unknown byte unit `{}` in `{}` (use b, k, m, g, t or p)",
                clip(&unit),
                clip(t)
            ))
        }
    };
    to_u64(value * multiplier as f64).ok_or_else(|| format!("`{}` is too large", clip(t)))
}

/// Compose CPU counts (`'1.0'`, `0.5`, `2`) in millicores.
pub fn compose_cpus(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let value = parse_non_negative(t)
        .ok_or_else(|| format!("`{}` is not a CPU count (use e.g. '0.5' or '2')", clip(t)))?;
    to_u64((value * 1000.0).round()).ok_or_else(|| format!("`{}` is too large", clip(t)))
}

/// Go-style durations as Compose and Prometheus write them (`1m30s`, `300ms`, `7d`, `2w`, `1y`),
/// in seconds. A bare number is seconds.
pub fn duration_seconds(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if let Some(v) = parse_non_negative(t) {
        return Ok(v);
    }
    let mut rest = t;
    let mut total = 0.0;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        let value =
            parse_non_negative(number).ok_or_else(|| format!("`{}` is not a duration", clip(t)))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let factor = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "y" => 31_536_000.0,
            _ => return Err(format!("unknown duration unit in `{}`", clip(t))),
        };
        total += value * factor;
        rest = &after[unit_len..];
    }
    Ok(total)
}

/// Guess the quantity behind a server setting's value, knowing which server reads it. Returns
/// `None` for text that is not a number in that server's units (names, paths, booleans).
pub fn server_quantity(server: &str, value: &str) -> Option<Quantity> {
    let v = value.trim();
    if let Some(n) = parse_number(v) {
        return Some(Quantity::Number(n));
    }
    match server {
        "postgres" => postgres_quantity(v),
        "redis" => redis_bytes(v).map(Quantity::Bytes),
        _ => duration_seconds(v)
            .ok()
            .filter(|_| v.chars().any(|c| c.is_ascii_alphabetic()))
            .map(Quantity::Seconds),
    }
}

/// postgresql.conf units: memory in kB/MB/GB/TB (binary), time in us/ms/s/min/h/d.
fn postgres_quantity(v: &str) -> Option<Quantity> {
    let (number, unit) = split_number(v);
    let n = parse_non_negative(number)?;
    let bytes = |m: u64| to_u64(n * m as f64).map(Quantity::Bytes);
    match unit.trim() {
        "B" => bytes(1),
        "kB" => bytes(1 << 10),
        "MB" => bytes(1 << 20),
        "GB" => bytes(1 << 30),
        "TB" => bytes(1 << 40),
        "us" => Some(Quantity::Seconds(n / 1e6)),
        "ms" => Some(Quantity::Seconds(n / 1e3)),
        "s" => Some(Quantity::Seconds(n)),
        "min" => Some(Quantity::Seconds(n * 60.0)),
        "h" => Some(Quantity::Seconds(n * 3600.0)),
        "d" => Some(Quantity::Seconds(n * 86_400.0)),
        _ => None,
    }
}

/// redis.conf memory units: `1k` = 1000, `1kb` = 1024, and so on, case-insensitive.
fn redis_bytes(v: &str) -> Option<u64> {
    let (number, unit) = split_number(v);
    let n = parse_non_negative(number)?;
    let m: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1_000,
        "kb" => 1 << 10,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    to_u64(n * m as f64)
}

/// nginx sizes (`client_max_body_size 50M`): bytes, or `k`/`m`/`g` (either case) in steps of 1024.
pub fn nginx_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, unit) = split_number(t);
    let n = parse_non_negative(number)
        .filter(|_| !number.contains('.'))
        .ok_or_else(|| {
            format!(
                "`{}` is not an nginx size (use e.g. 512k, 50m, 1g)",
                clip(t)
            )
        })?;
    let m: u64 = match unit {
        "" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        _ => {
            return Err(format!(
                "unknown size unit `{}` in `{}` (nginx accepts k, m or g)",
                clip(unit),
                clip(t)
            ))
        }
    };
    to_u64(n * m as f64).ok_or_else(|| format!("`{}` is too large", clip(t)))
}

/// nginx times (`proxy_read_timeout 120s`, `1h 30m`), in seconds: `ms`, `s`, `m`, `h`, `d`, `w`,
/// `M` (30 days), `y` (365 days); a bare number is seconds.
pub fn nginx_seconds(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty time".into());
    }
    let mut rest = t;
    let mut total = 0.0;
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        let n = parse_non_negative(number)
            .ok_or_else(|| format!("`{}` is not an nginx time (use e.g. 30s, 5m)", clip(t)))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == ' ')
            .unwrap_or(after.len());
        let factor = match &after[..unit_len] {
            "ms" => 1e-3,
            "" | "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "M" => 2_592_000.0,
            "y" => 31_536_000.0,
            unit => {
                return Err(format!(
                    "unknown time unit `{}` in `{}` (nginx accepts ms, s, m, h, d, w, M, y)",
                    clip(unit),
                    clip(t)
                ))
            }
        };
        total += n * factor;
        rest = after[unit_len..].trim_start();
    }
    Ok(total)
}

/// nginx request rates (`rate=100r/m`, `10r/s`) in requests per minute.
pub fn nginx_rate_per_minute(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, unit) = split_number(t);
    let n = parse_non_negative(number).ok_or_else(|| {
        format!(
            "`{}` is not a request rate (use e.g. 10r/s, 100r/m)",
            clip(t)
        )
    })?;
    match unit {
        "r/s" => Ok(n * 60.0),
        "r/m" => Ok(n),
        _ => Err(format!(
            "unknown rate unit `{}` in `{}` (nginx accepts r/s or r/m)",
            clip(unit),
            clip(t)
        )),
    }
}

/// Like [`server_quantity`], for values read from a server's own configuration file: a value
/// written as a number followed by letters must use a unit that server knows, else it is an
/// error (the server itself would refuse to start).
pub fn server_quantity_checked(server: &str, value: &str) -> Result<Option<Quantity>, String> {
    let v = value.trim();
    let quantity = server_quantity(server, v);
    let (number, unit) = split_number(v);
    let looks_like_amount = !number.is_empty()
        && !unit.trim().is_empty()
        && unit.trim().chars().all(|c| c.is_ascii_alphabetic());
    if quantity.is_none() && looks_like_amount && matches!(server, "postgres" | "redis") {
        let known = if server == "postgres" {
            "B, kB, MB, GB, TB, us, ms, s, min, h or d (case-sensitive)"
        } else {
            "k, kb, m, mb, g or gb"
        };
        return Err(format!(
            "unknown unit `{}` in `{}` ({server} accepts {known})",
            clip(unit.trim()),
            clip(v)
        ));
    }
    Ok(quantity)
}

/// A Kubernetes resource quantity (`500m`, `1`, `256Mi`, `1Gi`, `1G`, `1e3`, `0.5`) in base
/// units (cores, bytes, or a plain count). Binary suffixes Ki..Ei, decimal n, u, m, k, M..E, or a
/// decimal exponent, as the API server's `resource.Quantity` accepts them.
pub fn k8s_quantity(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "`{}` is not a Kubernetes quantity (use e.g. 500m, 2, 256Mi, 1Gi, 1e3)",
            clip(t)
        )
    };
    let t_unsigned = t.strip_prefix('+').unwrap_or(t);
    let (number, suffix) = split_number(t_unsigned);
    let value = parse_non_negative(number).ok_or_else(bad)?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().map_err(|_| bad())?;
            if !(-30..=30).contains(&exp) {
                return Err(bad());
            }
            10f64.powi(exp)
        }
        _ => return Err(bad()),
    };
    let v = value * factor;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(bad())
    }
}

/// A Kubernetes CPU quantity in millicores, rounded up as the API server does (`0.1m` is `1m`).
pub fn k8s_millicores(text: &str) -> Result<u64, String> {
    let cores = k8s_quantity(text)?;
    // Round away float noise before rounding up: 0.1 * 1000 is 100.00000000000001.
    let millis = (cores * 1000.0 * 1e6).round() / 1e6;
    to_u64(millis.ceil()).ok_or_else(|| format!("`{}` is too large", clip(text.trim())))
}

/// A Kubernetes memory or storage quantity in bytes, rounded up (`1.5Ki` is 1536).
pub fn k8s_bytes(text: &str) -> Result<u64, String> {
    let bytes = k8s_quantity(text)?;
    let exact = (bytes * 1e6).round() / 1e6;
    to_u64(exact.ceil()).ok_or_else(|| format!("`{}` is too large", clip(text.trim())))
}

/// A plain integer or decimal number (no unit), as settings write counts and limits.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Split `1.5G` into (`1.5`, `G`).
fn split_number(t: &str) -> (&str, &str) {
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    (&t[..end], &t[end..])
}

fn parse_non_negative(t: &str) -> Option<f64> {
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn to_u64(v: f64) -> Option<u64> {
    (v.is_finite() && v >= 0.0 && v < u64::MAX as f64).then(|| v.round() as u64)
}

/// Keep user text short in messages.
fn clip(t: &str) -> String {
    if t.chars().count() > 40 {
        let s: String = t.chars().take(40).collect();
        format!("{s}...")
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_bytes_use_binary_multiples() {
        assert_eq!(compose_bytes("512M"), Ok(536_870_912));
        assert_eq!(compose_bytes("1.5G"), Ok(1_610_612_736));
        assert_eq!(compose_bytes("1gb"), Ok(1 << 30));
        assert_eq!(compose_bytes("1024kb"), Ok(1 << 20));
        assert_eq!(compose_bytes("2b"), Ok(2));
        assert_eq!(compose_bytes("536870912"), Ok(536_870_912));
    }

    #[test]
    fn compose_bytes_reject_unknown_units_and_garbage() {
        let e = compose_bytes("5 parsecs").unwrap_err();
        assert!(e.contains("unknown byte unit `parsecs`"), "{e}");
        assert!(compose_bytes("-1G").is_err());
        assert!(compose_bytes("").is_err());
        assert!(compose_bytes("99999999999999999999P").is_err());
        assert!(compose_bytes("1.2.3M").is_err());
    }

    #[test]
    fn compose_cpus_are_millicores() {
        assert_eq!(compose_cpus("1.0"), Ok(1000));
        assert_eq!(compose_cpus("0.5"), Ok(500));
        assert_eq!(compose_cpus(" 2 "), Ok(2000));
        assert_eq!(compose_cpus("0.25"), Ok(250));
        assert!(compose_cpus("two").is_err());
        assert!(compose_cpus("NaN").is_err());
    }

    #[test]
    fn durations_in_go_and_prometheus_style() {
        assert_eq!(duration_seconds("1m30s"), Ok(90.0));
        assert_eq!(duration_seconds("5m"), Ok(300.0));
        assert_eq!(duration_seconds("300ms"), Ok(0.3));
        assert_eq!(duration_seconds("7d"), Ok(604_800.0));
        assert_eq!(duration_seconds("30"), Ok(30.0));
        assert!(duration_seconds("soon").is_err());
        assert!(duration_seconds("5x").is_err());
    }

    #[test]
    fn kubernetes_quantities() {
        assert_eq!(k8s_millicores("500m"), Ok(500));
        assert_eq!(k8s_millicores("1"), Ok(1000));
        assert_eq!(k8s_millicores("0.25"), Ok(250));
        assert_eq!(k8s_millicores("2.5"), Ok(2500));
        assert_eq!(k8s_millicores("0.1m"), Ok(1), "rounded up");
        assert_eq!(k8s_millicores("1e3"), Ok(1_000_000));
        assert_eq!(k8s_bytes("256Mi"), Ok(256 << 20));
        assert_eq!(k8s_bytes("1Gi"), Ok(1 << 30));
        assert_eq!(k8s_bytes("1G"), Ok(1_000_000_000));
        assert_eq!(k8s_bytes("1e3"), Ok(1000));
        assert_eq!(k8s_bytes("1E3"), Ok(1000));
        assert_eq!(k8s_bytes("5Gi"), Ok(5 << 30));
        assert_eq!(k8s_bytes("128974848"), Ok(128_974_848));
        assert_eq!(k8s_bytes("129M"), Ok(129_000_000));
        assert_eq!(k8s_bytes("1.5Ki"), Ok(1536));
        assert_eq!(k8s_bytes("1k"), Ok(1000));
        assert_eq!(k8s_bytes("2E"), Ok(2_000_000_000_000_000_000));
        assert_eq!(k8s_quantity("+1"), Ok(1.0));
    }

    #[test]
    fn kubernetes_quantities_reject_garbage() {
        for bad in [
            "", "-1", "1GB", "1gi", "abc", "1.2.3", "1e", "1ex", "Mi", "1e400",
        ] {
            let e = k8s_quantity(bad).unwrap_err();
            assert!(e.contains("not a Kubernetes quantity"), "{bad}: {e}");
        }
        assert!(k8s_bytes("99999E").is_err());
    }

    #[test]
    fn server_quantities_follow_each_server_units() {
        assert_eq!(
            server_quantity("postgres", "512MB"),
            Some(Quantity::Bytes(512 << 20))
        );
        assert_eq!(
            server_quantity("postgres", "4GB"),
            Some(Quantity::Bytes(4 << 30))
        );
        assert_eq!(
            server_quantity("postgres", "100"),
            Some(Quantity::Number(100.0))
        );
        assert_eq!(
            server_quantity("postgres", "5min"),
            Some(Quantity::Seconds(300.0))
        );
        assert_eq!(server_quantity("postgres", "on"), None);
        assert_eq!(
            server_quantity("redis", "256mb"),
            Some(Quantity::Bytes(256 << 20))
        );
        assert_eq!(
            server_quantity("redis", "1m"),
            Some(Quantity::Bytes(1_000_000))
        );
        assert_eq!(server_quantity("redis", "allkeys-lru"), None);
        assert_eq!(
            server_quantity("prometheus", "30d"),
            Some(Quantity::Seconds(2_592_000.0))
        );
        assert_eq!(server_quantity("gunicorn", "0.0.0.0:8000"), None);
    }

    #[test]
    fn nginx_sizes_times_and_rates() {
        assert_eq!(nginx_bytes("50M"), Ok(50 << 20));
        assert_eq!(nginx_bytes("100m"), Ok(100 << 20));
        assert_eq!(nginx_bytes("512k"), Ok(512 << 10));
        assert_eq!(nginx_bytes("1g"), Ok(1 << 30));
        assert_eq!(nginx_bytes("0"), Ok(0));
        assert!(nginx_bytes("50MB")
            .unwrap_err()
            .contains("unknown size unit `MB`"));
        assert!(nginx_bytes("1.5m").is_err());
        assert_eq!(nginx_seconds("120s"), Ok(120.0));
        assert_eq!(nginx_seconds("60"), Ok(60.0));
        assert_eq!(nginx_seconds("1h 30m"), Ok(5400.0));
        assert_eq!(nginx_seconds("500ms"), Ok(0.5));
        assert!(nginx_seconds("5x")
            .unwrap_err()
            .contains("unknown time unit `x`"));
        assert_eq!(nginx_rate_per_minute("100r/m"), Ok(100.0));
        assert_eq!(nginx_rate_per_minute("10r/s"), Ok(600.0));
        assert!(nginx_rate_per_minute("10r/h")
            .unwrap_err()
            .contains("unknown rate unit `r/h`"));
    }

    #[test]
    fn config_file_values_with_unknown_units_are_errors() {
        assert_eq!(
            server_quantity_checked("postgres", "512MB"),
            Ok(Some(Quantity::Bytes(512 << 20)))
        );
        assert_eq!(server_quantity_checked("postgres", "on"), Ok(None));
        assert_eq!(server_quantity_checked("postgres", "en_US.UTF-8"), Ok(None));
        assert!(server_quantity_checked("postgres", "512mb")
            .unwrap_err()
            .contains("unknown unit `mb`"));
        assert_eq!(
            server_quantity_checked("redis", "256mb"),
            Ok(Some(Quantity::Bytes(256 << 20)))
        );
        assert!(server_quantity_checked("redis", "256mib").is_err());
        assert_eq!(server_quantity_checked("redis", "0.0.0.0"), Ok(None));
        assert_eq!(server_quantity_checked("redis", "900 1"), Ok(None));
    }
}
