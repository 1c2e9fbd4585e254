//! JSON patches (RFC 6902) as `patchesJson6902` and `patches` write them: add, remove, replace,
//! move, copy and test, on paths written as JSON pointers.

use crate::error::{Error, Result};

use super::super::tree::{Kind, Val};

/// Largest object a JSON patch may build, in nodes: as large as one YAML file may be. `copy`
/// doubles what it copies, so a few dozen operations would otherwise reach billions of nodes.
pub const MAX_PATCHED_NODES: u64 = 1_000_000;

/// Apply a list of operations to `target`, in order.
pub fn apply(target: &mut Val, ops: &Val) -> Result<()> {
    let Some(items) = ops.seq() else {
        return Err(ops.error(format!(
            "a JSON patch must be a list of operations, found {}",
            ops.kind_name()
        )));
    };
    // Atomic, as RFC 6902 has it: a patch that fails leaves the object as it was (not, say,
    // half-way to the size limit).
    let mut patched = target.clone();
    // An upper bound of the object's size: operations that remove are not subtracted.
    let mut size = patched.node_count();
    for op in items {
        size = size.saturating_add(apply_one(
            &mut patched,
            op,
            MAX_PATCHED_NODES.saturating_sub(size),
        )?);
    }
    *target = patched;
    Ok(())
}

/// Applies one operation that may add at most `room` nodes (checked before anything is
/// copied); returns how many it may have added.
fn apply_one(target: &mut Val, op: &Val, room: u64) -> Result<u64> {
    let name = op
        .get("op")
        .ok_or_else(|| op.error("a JSON patch operation needs `op`"))?
        .expect_str("op")?;
    let path = pointer(op, "path")?;
    let value = || {
        op.get("value")
            .cloned()
            .ok_or_else(|| op.error(format!("JSON patch `{name}` needs a `value`")))
    };
    let err = |m: String| Error::at(op.origin.file.clone(), op.origin.line, m);
    let fits = |added: u64| {
        if added > room {
            Err(err(format!(
                "JSON patch makes the object larger than {MAX_PATCHED_NODES} nodes"
            )))
        } else {
            Ok(added)
        }
    };
    match name {
        "add" => {
            let value = value()?;
            let added = fits(value.node_count())?;
            add(target, &path, value).map_err(err)?;
            Ok(added)
        }
        "remove" => remove(target, &path).map(|_| 0).map_err(err),
        "replace" => {
            let value = value()?;
            let added = fits(value.node_count())?;
            let slot = lookup_mut(target, &path).map_err(err)?;
            *slot = value;
            Ok(added)
        }
        "move" => {
            let from = pointer(op, "from")?;
            let moved = remove(target, &from).map_err(err)?;
            add(target, &path, moved).map_err(err)?;
            Ok(0)
        }
        "copy" => {
            let from = pointer(op, "from")?;
            let source = lookup_mut(target, &from).map_err(err)?;
            let added = fits(source.node_count())?;
            let copied = source.clone();
            add(target, &path, copied).map_err(err)?;
            Ok(added)
        }
        "test" => {
            let expected = value()?;
            let found = lookup_mut(target, &path).map_err(err)?;
            if same(found, &expected) {
                Ok(0)
            } else {
                Err(err(format!(
                    "JSON patch test failed at `{}`",
                    path.join("/")
                )))
            }
        }
        other => Err(err(format!("unknown JSON patch operation `{other}`"))),
    }
}

/// A JSON pointer's tokens (`/spec/containers/0/image`), unescaped.
fn pointer(op: &Val, field: &str) -> Result<Vec<String>> {
    let v = op
        .get(field)
        .ok_or_else(|| op.error(format!("a JSON patch operation needs `{field}`")))?;
    let text = v.expect_str(field)?;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(v.error(format!("`{field}` must start with `/`")));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn same(a: &Val, b: &Val) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Null, Kind::Null) => true,
        (Kind::Str(x), Kind::Str(y)) => x == y,
        (Kind::Seq(x), Kind::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Kind::Map(x), Kind::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

fn lookup_mut<'a>(target: &'a mut Val, path: &[String]) -> Result<&'a mut Val, String> {
    let mut v = target;
    for (i, token) in path.iter().enumerate() {
        let here = || format!("/{}", path[..=i].join("/"));
        v = match &mut v.kind {
            Kind::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k == token)
                .map(|(_, v)| v)
                .ok_or_else(|| format!("JSON patch path `{}` does not exist", here()))?,
            Kind::Seq(items) => {
                let index: usize = token
                    .parse()
                    .map_err(|_| format!("`{}`: `{token}` is not a list index", here()))?;
                let len = items.len();
                items.get_mut(index).ok_or_else(|| {
                    format!(
                        "JSON patch path `{}`: index {index} is past the end ({len} items)",
                        here()
                    )
                })?
            }
            _ => return Err(format!("JSON patch path `{}` goes into a scalar", here())),
        };
    }
    Ok(v)
}

fn add(target: &mut Val, path: &[String], value: Val) -> Result<(), String> {
    let Some((last, parent_path)) = path.split_last() else {
        *target = value;
        return Ok(());
    };
    let parent = lookup_mut(target, parent_path)?;
    match &mut parent.kind {
        Kind::Map(_) => {
            parent.set(last, value);
            Ok(())
        }
        Kind::Seq(items) => {
            if last == "-" {
                items.push(value);
                return Ok(());
            }
            let index: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not a list index"))?;
            if index > items.len() {
                return Err(format!(
                    "JSON patch add at index {index} is past the end ({} items)",
                    items.len()
                ));
            }
            items.insert(index, value);
            Ok(())
        }
        _ => Err(format!(
            "JSON patch path `/{}` is not a mapping or list",
            parent_path.join("/")
        )),
    }
}

fn remove(target: &mut Val, path: &[String]) -> Result<Val, String> {
    let Some((last, parent_path)) = path.split_last() else {
        return Err("JSON patch cannot remove the whole object".into());
    };
    let parent = lookup_mut(target, parent_path)?;
    let missing = || format!("JSON patch path `/{}` does not exist", path.join("/"));
    match &mut parent.kind {
        Kind::Map(_) => parent.remove(last).ok_or_else(missing),
        Kind::Seq(items) => {
            let index: usize = last.parse().map_err(|_| missing())?;
            (index < items.len())
                .then(|| items.remove(index))
                .ok_or_else(missing)
        }
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::kubernetes::tree::from_yaml;
    use crate::yaml::{parse_document, Limits};

    fn val(text: &str) -> Val {
        from_yaml(
            &parse_document(text, "p.yaml", Limits::default()).unwrap(),
            "p.yaml",
        )
    }

    #[test]
    fn operations() {
        let mut t = val(
            "spec:\n  replicas: 1\n  containers:\n  - {name: a, image: a:1}\n  labels: {x/y: z}\n",
        );
        let ops = val("- {op: replace, path: /spec/replicas, value: 5}\n- {op: add, path: /spec/containers/-, value: {name: b}}\n- {op: add, path: /spec/containers/0/args, value: [--v=2]}\n- {op: remove, path: /spec/labels/x~1y}\n- {op: copy, from: /spec/replicas, path: /spec/copied}\n- {op: move, from: /spec/copied, path: /spec/moved}\n- {op: test, path: /spec/moved, value: 5}\n");
        apply(&mut t, &ops).unwrap();
        assert_eq!(t.text(&["spec", "replicas"]), Some("5"));
        let containers = t.at(&["spec", "containers"]).unwrap().seq().unwrap();
        assert_eq!(containers.len(), 2);
        assert_eq!(
            containers[0].get("args").unwrap().seq().unwrap()[0].str(),
            Some("--v=2")
        );
        assert!(t.at(&["spec", "labels"]).unwrap().map().unwrap().is_empty());
        assert!(t.at(&["spec", "copied"]).is_none());
        assert_eq!(t.text(&["spec", "moved"]), Some("5"));
    }

    #[test]
    fn missing_paths_are_errors_at_the_operation() {
        let mut t = val("spec: {replicas: 1}\n");
        let e = apply(
            &mut t,
            &val("- op: replace\n  path: /spec/nothere\n  value: 1\n"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.yaml:1: JSON patch path `/spec/nothere` does not exist"
        );
        let e = apply(
            &mut t,
            &val("- {op: test, path: /spec/replicas, value: 2}\n"),
        )
        .unwrap_err();
        assert!(e.message.contains("test failed"));
        let e = apply(&mut t, &val("- {op: frobnicate, path: /spec}\n")).unwrap_err();
        assert!(e.message.contains("unknown JSON patch operation"));
        assert!(apply(&mut t, &val("{op: add}\n")).is_err());
    }
}
