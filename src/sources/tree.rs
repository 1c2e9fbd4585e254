//! A configuration tree whose every value knows its file and line, shared by the sources that
//! merge values from several files (Compose overrides, Kustomize patches and generators): keeping
//! an `Origin` per value lets every setting still point at the line that decided it.

use crate::error::{Error, Result};
use crate::model::Origin;

#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub kind: Kind,
    pub origin: Origin,
    /// Some `${VAR}` was substituted in this scalar (Compose).
    pub interpolated: bool,
    /// A value from a secret source was substituted in this scalar: it is masked wherever it
    /// lands, and errors about it do not quote it.
    pub secret: bool,
    /// The scalar's text took in the default of a `${VAR:-default}` whose variable is unset
    /// (Compose): a fallback, not a value of its own.
    pub defaulted: bool,
    /// YAML tag, for Compose's `!reset` and `!override`.
    pub tag: Option<String>,
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
        Val {
            kind,
            origin,
            interpolated: false,
            secret: false,
            defaulted: false,
            tag: None,
        }
    }

    /// Nodes in this tree, itself included: what a copy of it costs (run budget, JSON-patch
    /// `copy`). Iterative, so a deep tree cannot overflow the stack.
    pub fn node_count(&self) -> u64 {
        let mut count = 0;
        let mut pending = vec![self];
        while let Some(val) = pending.pop() {
            count += 1;
            match &val.kind {
                Kind::Seq(items) => pending.extend(items),
                Kind::Map(entries) => pending.extend(entries.iter().map(|(_, v)| v)),
                Kind::Null | Kind::Str(_) => {}
            }
        }
        count
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag.as_deref() == Some(tag)
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

    /// The list under `key`: empty when absent or null, an error naming the key when it is
    /// something else.
    pub fn list_at(&self, key: &str) -> Result<&[Val]> {
        match self.get(key) {
            None => Ok(&[]),
            Some(v) if v.is_null() => Ok(&[]),
            Some(v) => v
                .seq()
                .ok_or_else(|| v.error(format!("`{key}` must be a list, found {}", v.kind_name()))),
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
