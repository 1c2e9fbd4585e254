//! `configMapGenerator` and `secretGenerator`: literals, files and env files into a ConfigMap or
//! Secret, and the content hash Kustomize appends to their names.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::Origin;
use crate::sources::{join_relative, Workspace};

use super::super::base64;
use super::super::manifest::Object;
use super::super::tree::{Kind, Val};

/// Run one generator entry of kind `ConfigMap` or `Secret` and add its result to `objects`
/// (created, or merged into / replacing an existing one as `behavior` says).
pub fn generate(
    workspace: &Workspace,
    kfile: &str,
    kind: &str,
    entry: &Val,
    options: Option<&Val>,
    objects: &mut Vec<Object>,
) -> Result<()> {
    let name = entry
        .get("name")
        .ok_or_else(|| entry.error(format!("a {kind} generator needs a `name`")))?
        .expect_str("name")?
        .to_string();
    let origin = entry.origin.clone();
    let mut data: Vec<(String, Val)> = Vec::new();
    let put = |key: String, value: String, at: Origin, data: &mut Vec<(String, Val)>| {
        data.retain(|(k, _)| *k != key);
        data.push((key, Val::str_at(value, at)));
    };
    for lit in entry.list_at("literals")? {
        let text = lit.expect_str("literals")?;
        let (k, v) = text.split_once('=').ok_or_else(|| {
            // A Secret's literal is not quoted: without its `=` it may be the secret itself.
            lit.error(if kind == "Secret" {
                "a secretGenerator literal must be KEY=VALUE (not quoted: it may be a secret)"
                    .to_string()
            } else {
                format!("literal `{}` must be KEY=VALUE", clip(text))
            })
        })?;
        put(
            k.trim().to_string(),
            unquote(v).to_string(),
            lit.origin.clone(),
            &mut data,
        );
    }
    for file in entry.list_at("files")? {
        let text = file.expect_str("files")?;
        let (key, path) = match text.split_once('=') {
            Some((k, p)) => (k.to_string(), p),
            None => (text.rsplit('/').next().unwrap_or(text).to_string(), text),
        };
        let rel = inside(kfile, path, file)?;
        let content = workspace.read_text(&rel).map_err(|e| at_entry(e, file))?;
        put(key, content, Origin::new(&rel, 1), &mut data);
    }
    let mut env_files: Vec<&Val> = entry.list_at("envs")?.iter().collect();
    if let Some(env) = entry.get("env") {
        env_files.push(env);
    }
    for file in env_files {
        let path = file.expect_str("envs")?;
        let rel = inside(kfile, path, file)?;
        let content = workspace.read_text(&rel).map_err(|e| at_entry(e, file))?;
        for (i, line) in content.lines().enumerate() {
            let line_no = i as u32 + 1;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (k, v) = t.split_once('=').ok_or_else(|| {
                Error::at(
                    &rel,
                    line_no,
                    "an env file line must be KEY=VALUE (values from the shell are not read)",
                )
            })?;
            put(
                k.trim().to_string(),
                v.to_string(),
                Origin::new(&rel, line_no),
                &mut data,
            );
        }
    }

    let mut val = Val::empty_map(origin.clone());
    val.set("apiVersion", Val::str_at("v1", origin.clone()));
    val.set("kind", Val::str_at(kind, origin.clone()));
    let mut meta = Val::empty_map(origin.clone());
    meta.set("name", Val::str_at(name.clone(), origin.clone()));
    if let Some(ns) = entry.get("namespace") {
        meta.set("namespace", ns.clone());
    }
    for opts in [options, entry.get("options")].into_iter().flatten() {
        for field in ["labels", "annotations"] {
            for (k, v) in opts.get(field).and_then(Val::map).unwrap_or_default() {
                if let Some(m) = meta.ensure_map(field) {
                    m.set(k, v.clone());
                }
            }
        }
    }
    val.set("metadata", meta);
    if kind == "Secret" {
        let t = entry
            .get("type")
            .cloned()
            .unwrap_or_else(|| Val::str_at("Opaque", origin.clone()));
        val.set("type", t);
        for (_, v) in data.iter_mut() {
            let encoded = base64::encode(v.str().unwrap_or("").as_bytes());
            v.kind = Kind::Str(encoded);
        }
    }
    // Like Kustomize, a ConfigMap generated from nothing has no `data` (a Secret has `data: {}`).
    if kind == "Secret" || !data.is_empty() {
        val.set("data", Val::new(Kind::Map(data), origin.clone()));
    }
    let disable =
        |o: Option<&Val>| o.and_then(|o| o.text(&["disableNameSuffixHash"])) == Some("true");
    let hashed = !(disable(entry.get("options"))
        || (disable(options) && entry.at(&["options", "disableNameSuffixHash"]).is_none()));

    let behavior = entry.text(&["behavior"]).unwrap_or("create");
    let existing = objects
        .iter()
        .position(|o| o.kind() == kind && o.answers_to(&name));
    match (behavior, existing) {
        ("create", None) => {
            let mut obj = Object::new(val);
            obj.needs_hash = hashed;
            objects.push(obj);
        }
        ("create", Some(_)) => {
            return Err(entry.error(format!(
                "{kind} `{name}` already exists; use `behavior: merge` or `replace`"
            )))
        }
        ("merge" | "replace", Some(i)) => {
            let target = &mut objects[i];
            let new_data = val
                .get("data")
                .cloned()
                .unwrap_or_else(|| Val::empty_map(origin));
            if behavior == "replace" {
                target.val.set("data", new_data);
            } else if let Some(d) = target.val.ensure_map("data") {
                for (k, v) in new_data.map().unwrap_or_default() {
                    d.set(k, v.clone());
                }
            }
            target.needs_hash = target.needs_hash && hashed;
        }
        ("merge" | "replace", None) => {
            return Err(entry.error(format!(
                "{kind} `{name}` to {behavior} is not among the resources"
            )))
        }
        (other, _) => {
            return Err(entry.error(format!(
                "`behavior` must be create, merge or replace, found `{}`",
                clip(other)
            )))
        }
    }
    Ok(())
}

/// The hash Kustomize appends to a generated ConfigMap or Secret name: SHA-256 of the object's
/// JSON encoding (kind, name, data; type for Secrets), as Go encodes it, first 10 hex digits
/// with some letters swapped so the suffix is never all digits or a bad word.
///
/// Kustomize 4 and 5 (`kubectl kustomize`, Flux) look the name up with a path their lookup does
/// not follow, so the name they encode is always empty: two generators with the same data get
/// the same suffix, and a prefix does not change it. A ConfigMap without `data` encodes it as an
/// empty string. Checked against `kubectl kustomize` (Kustomize v5.5.0).
pub fn name_hash(obj: &Object) -> String {
    let string_map = |field: &str| -> serde_json::Value {
        let mut entries: Vec<(String, String)> = obj
            .val
            .get(field)
            .and_then(Val::map)
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (k.clone(), v.str().unwrap_or("").to_string()))
            .collect();
        entries.sort();
        let mut m = serde_json::Map::new();
        for (k, v) in entries {
            m.insert(k, serde_json::Value::String(v));
        }
        serde_json::Value::Object(m)
    };
    // Go's json.Marshal sorts keys; build the object in that order.
    let mut m = serde_json::Map::new();
    let binary = string_map("binaryData");
    if binary.as_object().is_some_and(|b| !b.is_empty()) {
        m.insert("binaryData".into(), binary);
    }
    let data = match obj.val.get("data") {
        Some(d) if d.map().is_some() => string_map("data"),
        _ => serde_json::Value::String(String::new()),
    };
    m.insert("data".into(), data);
    m.insert("kind".into(), obj.kind().into());
    m.insert("name".into(), "".into());
    if obj.kind() == "Secret" {
        m.insert(
            "type".into(),
            obj.val.text(&["type"]).unwrap_or("Opaque").into(),
        );
    }
    let json = serde_json::Value::Object(m).to_string();
    // Go escapes HTML characters and two line separators in JSON strings.
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex[..10]
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// A path written in the kustomization, checked to stay inside the scanned root.
fn inside(kfile: &str, path: &str, at: &Val) -> Result<String> {
    join_relative(kfile, path).ok_or_else(|| {
        at.error(format!(
            "`{}` {}",
            clip(path),
            crate::sources::outside(path)
        ))
    })
}

/// Point a file error at the kustomization line that named the file.
fn at_entry(e: Error, at: &Val) -> Error {
    at.error(format!("{}: {}", e.file.unwrap_or_default(), e.message))
}

fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

fn clip(t: &str) -> String {
    t.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::kubernetes::tree::from_yaml;
    use crate::yaml::{parse_document, Limits};

    fn entry(text: &str) -> Val {
        from_yaml(
            &parse_document(text, "kustomization.yaml", Limits::default()).unwrap(),
            "kustomization.yaml",
        )
    }

    fn generate_in(
        dir: &std::path::Path,
        kind: &str,
        text: &str,
        objects: &mut Vec<Object>,
    ) -> Result<()> {
        let ws = Workspace::open(dir).unwrap();
        generate(&ws, "kustomization.yaml", kind, &entry(text), None, objects)
    }

    /// The name and hash of what each (kind, generator entry) generates.
    fn hashes(dir: &std::path::Path, items: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut objects = Vec::new();
        for (kind, text) in items {
            generate_in(dir, kind, text, &mut objects).unwrap();
        }
        objects
            .iter()
            .map(|o| (o.name().to_string(), name_hash(o)))
            .collect()
    }

    #[test]
    fn hashes_match_kubectl_kustomize() {
        // Every expected suffix here was printed by `kubectl kustomize` (Kustomize v5.5.0) for
        // the same generators.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("application.properties"), "FOO=Bar\n").unwrap();
        let got = hashes(
            dir.path(),
            &[
                (
                    "ConfigMap",
                    "name: example-configmap-1\nfiles: [application.properties]\n",
                ),
                // Go escapes `&`, `<` and `>` in JSON strings; other text is UTF-8 as is.
                (
                    "ConfigMap",
                    "name: html\nliterals: ['URL=http://a/?x=1&y=<2>', UNI=é]\n",
                ),
                // No data: no `data` field, hashed as an empty string.
                ("ConfigMap", "name: empty\n"),
                // The name is not part of the hash: same data, same suffix.
                ("ConfigMap", "name: x\nliterals: [A=B]\n"),
                ("ConfigMap", "name: z\nliterals: [A=B]\n"),
                // A Secret's hash covers its type and base64 data.
                (
                    "Secret",
                    "name: my-secret\nliterals: [baz=whatever, foo=bar, initial=whatever]\n",
                ),
                (
                    "Secret",
                    "name: other-secret\nliterals: [baz=whatever, foo=bar, initial=whatever]\n",
                ),
                (
                    "Secret",
                    "name: tls\ntype: kubernetes.io/tls\nliterals: [baz=whatever, foo=bar, initial=whatever]\n",
                ),
                ("Secret", "name: sempty\n"),
            ],
        );
        let want = [
            ("example-configmap-1", "g4hk9g2ff8"),
            ("html", "k2c9c48848"),
            ("empty", "6ct58987ht"),
            ("x", "mh97k977cd"),
            ("z", "mh97k977cd"),
            ("my-secret", "hbdt4bm55c"),
            ("other-secret", "hbdt4bm55c"),
            ("tls", "77m6664mfd"),
            ("sempty", "46f8b28mk5"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(n, h)| (n.to_string(), h.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn generated_objects_look_like_kustomize_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut objects = Vec::new();
        generate_in(
            dir.path(),
            "Secret",
            "name: my-secret\nliterals: [foo=bar]\n",
            &mut objects,
        )
        .unwrap();
        generate_in(dir.path(), "Secret", "name: sempty\n", &mut objects).unwrap();
        generate_in(dir.path(), "ConfigMap", "name: empty\n", &mut objects).unwrap();
        assert_eq!(objects[0].val.text(&["data", "foo"]), Some("YmFy"));
        assert_eq!(objects[0].val.text(&["type"]), Some("Opaque"));
        assert!(objects[0].needs_hash);
        // An empty Secret keeps `data: {}`; an empty ConfigMap has no `data`, as with Kustomize.
        assert_eq!(objects[1].val.get("data").and_then(Val::map), Some(&[][..]));
        assert!(objects[2].val.get("data").is_none());
    }

    #[test]
    fn literals_env_files_behaviors_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app.env"),
            "# comment\nLOG_LEVEL=debug\n\nWORKERS=2\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("bad.env"), "JUSTAKEY\n").unwrap();
        let mut objects = Vec::new();
        generate_in(dir.path(), "ConfigMap", "name: app\nliterals: ['A=\"quoted\"']\nenvs: [app.env]\noptions: {disableNameSuffixHash: true}\n", &mut objects).unwrap();
        let o = &objects[0];
        assert_eq!(o.val.text(&["data", "A"]), Some("quoted"));
        assert_eq!(o.val.text(&["data", "WORKERS"]), Some("2"));
        assert_eq!(
            o.val.at(&["data", "WORKERS"]).unwrap().origin,
            Origin::new("app.env", 4)
        );
        assert!(!o.needs_hash);

        generate_in(
            dir.path(),
            "ConfigMap",
            "name: app\nbehavior: merge\nliterals: [LOG_LEVEL=info]\n",
            &mut objects,
        )
        .unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].val.text(&["data", "LOG_LEVEL"]), Some("info"));
        assert_eq!(objects[0].val.text(&["data", "WORKERS"]), Some("2"));

        let e = generate_in(
            dir.path(),
            "ConfigMap",
            "name: app\nliterals: [X=1]\n",
            &mut objects,
        )
        .unwrap_err();
        assert!(e.message.contains("already exists"));
        let e = generate_in(
            dir.path(),
            "ConfigMap",
            "name: other\nbehavior: merge\n",
            &mut objects,
        )
        .unwrap_err();
        assert!(e.message.contains("not among the resources"));
        let e = generate_in(
            dir.path(),
            "ConfigMap",
            "name: x\nliterals: [novalue]\n",
            &mut objects,
        )
        .unwrap_err();
        assert!(e.message.contains("KEY=VALUE"));
        let e = generate_in(
            dir.path(),
            "ConfigMap",
            "name: y\nenvs: [bad.env]\n",
            &mut objects,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad.env:1: an env file line must be KEY=VALUE (values from the shell are not read)"
        );
        let e = generate_in(
            dir.path(),
            "ConfigMap",
            "name: z\nfiles: [../../etc/passwd]\n",
            &mut objects,
        )
        .unwrap_err();
        assert!(e.message.contains("outside the scanned directory"), "{e}");
    }
}
