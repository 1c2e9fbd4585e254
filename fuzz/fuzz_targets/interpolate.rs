//! Compose interpolation: never panics, never recurses without bound.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let lookup = |name: &str| (name.len() % 3 == 0).then(|| format!("v{}", name.len()));
        let _ = envparity::sources::compose::interpolate::interpolate(text, &lookup);
    }
});
