//! Command-line splitting, server flags, units and secret classification.
#![no_main]
use libfuzzer_sys::fuzz_target;

use envparity::sources::{command, units};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let words = command::split_words(text);
        for flag in command::parse_flags(&words) {
            let _ = units::server_quantity(&flag.server, &flag.value);
        }
        let _ = units::compose_bytes(text);
        let _ = units::compose_cpus(text);
        let _ = units::duration_seconds(text);
        let value = envparity::model::SettingValue::classify("env.DATABASE_URL", text.to_string());
        // The mask must hide the clear text, unless the text already is what masking shows
        // (a value containing the mask itself: found by this target, kept as a unit test).
        if value.is_secret() && text.len() > 12 && !text.contains(envparity::model::secret::MASK) {
            assert!(!value.display().contains(text));
        }
        let _ = envparity::model::ImageRef::parse(text);
        let _ = envparity::model::secret::weakness(text);
    }
});
