//! A Kubernetes object as a tree whose every value knows its file and line.
//!
//! Kustomize patches, generators and transformers mix values from several files into one object;
//! keeping an `Origin` per value lets every setting still point at the line that decided it.

use crate::error::{Error, Result};
use crate::model::Origin;
use crate::yaml::{Node, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub kind: Kind,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Str(String),
    Seq(Vec<Val>),
    /// Keys in source order, unique (the YAML reader rejects duplicates).
    Map(Vec<(String, Val)>),
}

impl Val {
    pub fn new(kind: Kind, origin: Origin) -> Self {
        Val { kind, origin }
    }

    pub fn str_at(text: impl Into<String>, origin: Origin) -> Self {
        Val::new(Kind::Str(text.into()), origin)
    }

    pub fn empty_map(origin: Origin) -> Self {
        Val::new(Kind::Map(Vec::new()), origin)
    }

    pub fn str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn map(&self) -> Option<&[(String, Val)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn seq(&self) -> Option<&[Val]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn seq_mut(&mut self) -> Option<&mut Vec<Val>> {
        match &mut self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn map_mut(&mut self) -> Option<&mut Vec<(String, Val)>> {
        match &mut self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        self.map()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Val> {
        self.map_mut()?
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Follow a path of mapping keys.
    pub fn at(&self, path: &[&str]) -> Option<&Val> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }

    pub fn at_mut(&mut self, path: &[&str]) -> Option<&mut Val> {
        let mut v = self;
        for k in path {
            v = v.get_mut(k)?;
        }
        Some(v)
    }

    /// The text at a path, if it is a scalar.
    pub fn text(&self, path: &[&str]) -> Option<&str> {
        self.at(path).and_then(Val::str)
    }

    /// Set `key` in a mapping (replacing in place, else appending). No-op on non-mappings.
    pub fn set(&mut self, key: &str, value: Val) {
        if let Some(entries) = self.map_mut() {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key.to_string(), value)),
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Val> {
        let entries = self.map_mut()?;
        let i = entries.iter().position(|(k, _)| k == key)?;
        Some(entries.remove(i).1)
    }

    /// The mapping at `key`, created (at this value's origin) when missing or null.
    pub fn ensure_map(&mut self, key: &str) -> Option<&mut Val> {
        let origin = self.origin.clone();
        let missing = self.get(key).is_none_or(Val::is_null);
        if missing {
            self.set(key, Val::empty_map(origin));
        }
        self.get_mut(key).filter(|v| v.map().is_some())
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    /// An error at this value's position.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::at(self.origin.file.clone(), self.origin.line, message)
    }

    /// A scalar's text, or an error naming `what` was expected.
    pub fn expect_str(&self, what: &str) -> Result<&str> {
        self.str().ok_or_else(|| {
            self.error(format!(
                "`{what}` must be a single value, found {}",
                self.kind_name()
            ))
        })
    }
}

/// Convert a YAML node read from `file`.
pub fn from_yaml(node: &Node, file: &str) -> Val {
    let origin = Origin::new(file, node.line);
    let kind = match &node.value {
        Value::Null => Kind::Null,
        Value::Scalar(s) => Kind::Str(s.text.clone()),
        Value::Seq(items) => Kind::Seq(items.iter().map(|n| from_yaml(n, file)).collect()),
        Value::Map(map) => Kind::Map(
            map.iter()
                .map(|(key, key_node, value)| {
                    let mut v = from_yaml(value, file);
                    if v.is_null() {
                        // `key:` with nothing after it: the key's line is where it was written.
                        v.origin.line = key_node.line;
                    }
                    (key.to_string(), v)
                })
                .collect(),
        ),
    };
    Val { kind, origin }
}

/// Deep merge as Helm merges values files: mappings merge key by key, anything else (lists
/// included) is replaced, and a null in the override deletes the key.
pub fn deep_merge(base: &mut Val, over: Val) {
    match (&mut base.kind, over.kind) {
        (Kind::Map(entries), Kind::Map(over_entries)) => {
            for (key, value) in over_entries {
                if value.is_null() {
                    entries.retain(|(k, _)| *k != key);
                    continue;
                }
                match entries.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, existing)) => deep_merge(existing, value),
                    None => entries.push((key, value)),
                }
            }
        }
        (_, kind) => {
            *base = Val {
                kind,
                origin: over.origin,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_document, Limits};

    pub fn val(text: &str) -> Val {
        from_yaml(
            &parse_document(text, "t.yaml", Limits::default()).unwrap(),
            "t.yaml",
        )
    }

    #[test]
    fn paths_and_edits() {
        let mut v = val("a:\n  b: 1\n  c:\nlist: [x]\n");
        assert_eq!(v.text(&["a", "b"]), Some("1"));
        assert_eq!(v.at(&["a", "c"]).unwrap().origin.line, 3);
        v.set("d", Val::str_at("2", Origin::new("o.yaml", 9)));
        assert_eq!(v.text(&["d"]), Some("2"));
        v.ensure_map("e")
            .unwrap()
            .set("f", Val::str_at("3", v_origin()));
        assert_eq!(v.text(&["e", "f"]), Some("3"));
        assert!(v.remove("d").is_some());
        assert!(v.get("d").is_none());
        assert!(v.ensure_map("list").is_none(), "a list is not replaced");
    }

    fn v_origin() -> Origin {
        Origin::new("x.yaml", 1)
    }

    #[test]
    fn helm_style_deep_merge() {
        let mut base = val("a: {b: 1, c: 2}\nl: [1, 2]\ngone: x\n");
        let over = from_yaml(
            &parse_document(
                "a: {c: 3}\nl: [9]\ngone: null\n",
                "o.yaml",
                Limits::default(),
            )
            .unwrap(),
            "o.yaml",
        );
        deep_merge(&mut base, over);
        assert_eq!(base.text(&["a", "b"]), Some("1"));
        assert_eq!(base.text(&["a", "c"]), Some("3"));
        assert_eq!(base.at(&["a", "c"]).unwrap().origin.file, "o.yaml");
        assert_eq!(base.get("l").unwrap().seq().unwrap().len(), 1);
        assert!(base.get("gone").is_none());
    }
}
