//! A Compose file as a tree whose every value knows its file and line, after interpolation.
//!
//! Converted from the YAML tree so that values from the base file and from an override file keep
//! their own provenance through merging.

use crate::error::{Error, Result};
use crate::model::Origin;
use crate::yaml::{Node, Value};

use super::interpolate::interpolate;

#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub kind: Kind,
    pub origin: Origin,
    /// Some `${VAR}` was substituted in this scalar.
    pub interpolated: bool,
    /// YAML tag, for Compose's `!reset` and `!override`.
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Str(String),
    Seq(Vec<Val>),
    /// Keys in source order; keys are unique (the YAML reader rejects duplicates).
    Map(Vec<(String, Val)>),
}

impl Val {
    pub fn new(kind: Kind, origin: Origin) -> Self {
        Val {
            kind,
            origin,
            interpolated: false,
            tag: None,
        }
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

    pub fn get(&self, key: &str) -> Option<&Val> {
        self.map()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag.as_deref() == Some(tag)
    }

    /// An error at this value's position.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::at(self.origin.file.clone(), self.origin.line, message)
    }
}

/// Variables referenced but unset, for a warning note.
pub type Unset = Vec<(String, Origin)>;

/// Convert a YAML document, interpolating every scalar value (never keys, as Compose does).
pub fn from_yaml(
    node: &Node,
    file: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Unset,
) -> Result<Val> {
    let origin = Origin::new(file, node.line);
    let tag = node.tag.clone();
    let mut interpolated = false;
    let kind = match &node.value {
        Value::Null => Kind::Null,
        Value::Scalar(s) => {
            let done = interpolate(&s.text, lookup)
                .map_err(|m| Error::at(file, node.line, m).with_column(node.column))?;
            interpolated = done.substituted;
            for name in done.unset {
                unset.push((name, origin.clone()));
            }
            Kind::Str(done.text)
        }
        Value::Seq(items) => Kind::Seq(
            items
                .iter()
                .map(|n| from_yaml(n, file, lookup, unset))
                .collect::<Result<_>>()?,
        ),
        Value::Map(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, key_node, value) in map.iter() {
                let mut v = from_yaml(value, file, lookup, unset)?;
                if !matches!(v.kind, Kind::Str(_)) {
                    // `KEY:` with nothing after it, or a block below it: the key's line is
                    // where a reader looks for it.
                    v.origin.line = key_node.line;
                }
                entries.push((key.to_string(), v));
            }
            Kind::Map(entries)
        }
    };
    Ok(Val {
        kind,
        origin,
        interpolated,
        tag,
    })
}
