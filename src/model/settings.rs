//! A service's settings by dotted key, shared instead of copied.
//!
//! The comparison views a service through its settings, and most logical services have one
//! member per environment: the view then holds the very map the source built (a reference
//! count), not a copy of every key and value. Writing through a shared map copies it first
//! (`Arc::make_mut`), so a source that builds its map alone never pays for the sharing, and a
//! view that adjusts its map never changes the model's.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::Setting;

/// Settings by dotted key: `env.DEBUG`, `postgres.max_connections`. Reads as a
/// `BTreeMap<String, Setting>`; cloning shares it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings(Arc<BTreeMap<String, Setting>>);

impl Settings {
    pub fn new() -> Self {
        Settings::default()
    }

    /// Whether both hold the same map (not merely equal ones).
    pub fn shares_with(&self, other: &Settings) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Settings {
    type Target = BTreeMap<String, Setting>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Copy on write: the map is copied only if another holder shares it.
impl DerefMut for Settings {
    fn deref_mut(&mut self) -> &mut Self::Target {
        Arc::make_mut(&mut self.0)
    }
}

impl From<BTreeMap<String, Setting>> for Settings {
    fn from(map: BTreeMap<String, Setting>) -> Self {
        Settings(Arc::new(map))
    }
}

impl FromIterator<(String, Setting)> for Settings {
    fn from_iter<I: IntoIterator<Item = (String, Setting)>>(iter: I) -> Self {
        Settings::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

impl<'a> IntoIterator for &'a Settings {
    type Item = (&'a String, &'a Setting);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Setting>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for Settings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn one(key: &str, value: &str) -> Settings {
        let mut s = Settings::new();
        s.insert(
            key.into(),
            Setting::new(key, value, Origin::new("a.yml", 1)),
        );
        s
    }

    #[test]
    fn a_clone_shares_the_map() {
        let a = one("env.DEBUG", "false");
        let b = a.clone();
        assert!(a.shares_with(&b));
        assert_eq!(b["env.DEBUG"].display(), "false");
    }

    #[test]
    fn writing_through_a_clone_leaves_the_original_alone() {
        let a = one("env.DEBUG", "false");
        let mut b = a.clone();
        b.insert(
            "env.DEBUG".into(),
            Setting::new("env.DEBUG", "true", Origin::new("b.yml", 2)),
        );
        assert!(!a.shares_with(&b));
        assert_eq!(a["env.DEBUG"].display(), "false");
        assert_eq!(b["env.DEBUG"].display(), "true");
    }

    #[test]
    fn serialises_as_the_map() {
        let a = one("env.DEBUG", "false");
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["env.DEBUG"]["value"], "false");
        assert_eq!(json["env.DEBUG"]["origin"]["line"], 1);
    }
}
