//! Text-level parsers of the other formats: nginx, app config (JSON, TOML, YAML), Kubernetes
//! manifests. The first byte picks the parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

use envparity::sources::{appconfig, kubernetes, nginx};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(body) else { return };
    match selector % 5 {
        0 => drop(nginx::parser::parse(text, "nginx.conf")),
        1 => drop(appconfig::parse(text, "config.json")),
        2 => drop(appconfig::parse(text, "config.toml")),
        3 => drop(appconfig::parse(text, "config.yaml")),
        _ => drop(kubernetes::manifest::parse_objects(text, "manifest.yaml", 0)),
    }
});
