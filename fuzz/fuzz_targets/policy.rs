//! The policy file (envparity.toml).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = envparity::policy::parse(text, "envparity.toml", &envparity::rules::ids());
    }
});
