//! The hash maps and sets of the pipeline, with foldhash instead of the standard library's
//! SipHash: SipHash was the largest single cost of a 10,000-service scan (setting keys, host
//! names and secret fingerprints are hashed millions of times). foldhash is randomly seeded per
//! process, so a repository cannot choose keys that collide on every run.

pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
