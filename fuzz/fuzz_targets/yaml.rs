//! The span-annotated YAML reader: any text parses or errors, within its limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = envparity::yaml::parse_documents(text, "fuzz.yml", envparity::yaml::Limits::default());
    }
});
