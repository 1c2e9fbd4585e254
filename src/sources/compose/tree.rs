//! A Compose file as a provenance tree (`crate::sources::tree`), after interpolation.
//!
//! Converted from the YAML tree so that values from the base file and from an override file keep
//! their own provenance through merging.

use crate::error::{Error, Result};
use crate::model::secret::{is_secret_key, is_secret_variable};
use crate::model::Origin;
use crate::yaml::{Node, Value};

use super::interpolate::{interpolate_vars, ExpansionBudget, Var};

pub use crate::sources::tree::{Kind, Val};

/// Variables referenced but unset, for a warning note: name, where, and for a required one
/// (`${VAR:?message}`) its message.
pub type Unset = Vec<(String, Origin, Option<String>)>;

/// Where interpolation finds variables, and the run's budget for what it produces.
pub struct Interpolation<'a> {
    pub lookup: &'a (dyn Fn(&str) -> Option<Var> + Sync),
    pub budget: &'a ExpansionBudget,
}

/// Convert a YAML document, interpolating every scalar value (never keys, as Compose does).
pub fn from_yaml(node: &Node, file: &str, vars: &Interpolation, unset: &mut Unset) -> Result<Val> {
    convert(node, file, vars, unset, None)
}

/// `key` is the mapping key the node stands under, if any: a value under a secret-named key is
/// never quoted in an error, and neither is its `:?` message.
fn convert(
    node: &Node,
    file: &str,
    vars: &Interpolation,
    unset: &mut Unset,
    key: Option<&str>,
) -> Result<Val> {
    let origin = Origin::new(file, node.line);
    let tag = node.tag.clone();
    let mut interpolated = false;
    let mut secret = false;
    let mut defaulted = false;
    let kind = match &node.value {
        Value::Null => Kind::Null,
        // Only a `$` starts an interpolation.
        Value::Scalar(s) if !s.text.contains('$') => Kind::Str(s.text.clone()),
        Value::Scalar(s) => {
            let at = |m: String| Error::at(file, node.line, m).with_column(node.column);
            // Asked only when a message could quote the value: classifying is not free.
            let may_be_secret = || {
                key.is_some_and(is_secret_key)
                    || is_secret_variable(key.unwrap_or_default(), &s.text)
            };
            let done = interpolate_vars(&s.text, vars.lookup).map_err(|e| {
                at(if may_be_secret() {
                    e.redacted()
                } else {
                    e.message()
                })
            })?;
            if done.substituted {
                vars.budget.charge(done.text.len()).map_err(at)?;
            }
            interpolated = done.substituted;
            secret = done.secret;
            defaulted = done.defaulted;
            for name in done.unset {
                unset.push((name, origin.clone(), None));
            }
            let redact = !done.required.is_empty() && may_be_secret();
            for (name, message) in done.required {
                let message = if redact { String::new() } else { message };
                unset.push((name, origin.clone(), Some(message)));
            }
            Kind::Str(done.text)
        }
        Value::Seq(items) => Kind::Seq(
            items
                .iter()
                .map(|n| convert(n, file, vars, unset, key))
                .collect::<Result<_>>()?,
        ),
        Value::Map(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, key_node, value) in map.iter() {
                let mut v = convert(value, file, vars, unset, Some(key))?;
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
        secret,
        defaulted,
        tag,
    })
}
