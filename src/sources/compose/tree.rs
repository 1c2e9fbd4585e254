//! A Compose file as a provenance tree (`crate::sources::tree`), after interpolation.
//!
//! Converted from the YAML tree so that values from the base file and from an override file keep
//! their own provenance through merging.

use crate::error::{Error, Result};
use crate::model::Origin;
use crate::yaml::{Node, Value};

use super::interpolate::interpolate;

pub use crate::sources::tree::{Kind, Val};

/// Variables referenced but unset, for a warning note: name, where, and for a required one
/// (`${VAR:?message}`) its message.
pub type Unset = Vec<(String, Origin, Option<String>)>;

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
                unset.push((name, origin.clone(), None));
            }
            for (name, message) in done.required {
                unset.push((name, origin.clone(), Some(message)));
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
