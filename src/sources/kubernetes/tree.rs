//! Kubernetes objects as provenance trees (`crate::sources::tree`): conversion from YAML and
//! deep merging.

use crate::model::Origin;
use crate::yaml::{Node, Value};

pub use crate::sources::tree::{Kind, Val};

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
    Val::new(kind, origin)
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
            *base = Val::new(kind, over.origin);
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
        assert_eq!(&*base.at(&["a", "c"]).unwrap().origin.file, "o.yaml");
        assert_eq!(base.get("l").unwrap().seq().unwrap().len(), 1);
        assert!(base.get("gone").is_none());
    }
}
