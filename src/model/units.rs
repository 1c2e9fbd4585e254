//! How quantities are written for people (`512 MiB`, `0.5 CPU`, `5m`, `87.5%`), the same in a
//! rule's message and in every report.

/// `1000` -> `1 CPU`, `500` -> `0.5 CPU`, `1250` -> `1.25 CPU`.
pub fn cpu(millis: u64) -> String {
    format!("{} CPU", trim_decimals(millis as f64 / 1000.0, 3))
}

/// Binary units, at most two decimals: `512 MiB`, `1.5 GiB`, `3.38 GiB`.
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = b as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", trim_decimals(value, 2), UNITS[unit])
}

/// Seconds as a person writes them: `90s`, `5m`, `7d`.
pub fn seconds(s: f64) -> String {
    for (unit, size) in [("d", 86_400.0), ("h", 3600.0), ("m", 60.0)] {
        if s >= size && (s / size).fract() == 0.0 {
            return format!("{}{unit}", s / size);
        }
    }
    format!("{}s", trim_decimals(s, 3))
}

/// A percentage with at most one decimal: `87.5%`, `50%`.
pub fn percent(p: f64) -> String {
    format!("{}%", trim_decimals(p.abs(), 1))
}

fn trim_decimals(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
