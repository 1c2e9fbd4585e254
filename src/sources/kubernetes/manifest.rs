//! Reading manifest files: multi-document YAML or JSON, `List` kinds, each document checked to be
//! a Kubernetes object.

use crate::error::{Error, Result};
use crate::model::Origin;
use crate::sources::Workspace;
use crate::yaml;

use super::tree::{from_yaml, Kind, Val};

/// One Kubernetes object and what Kustomize did to its name.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub val: Val,
    /// Names it had before prefixes, suffixes or hashes were added (oldest first): patches and
    /// references may still use them.
    pub previous_names: Vec<String>,
    /// Made by a Kustomize generator: its name gets a content hash at the end of the build.
    pub needs_hash: bool,
    /// The hash suffix added, so setting keys can leave it out (it changes with the content).
    pub hash_suffix: Option<String>,
}

impl Object {
    pub fn new(val: Val) -> Self {
        Object {
            val,
            previous_names: Vec::new(),
            needs_hash: false,
            hash_suffix: None,
        }
    }

    pub fn kind(&self) -> &str {
        self.val.text(&["kind"]).unwrap_or("")
    }

    pub fn api_version(&self) -> &str {
        self.val.text(&["apiVersion"]).unwrap_or("")
    }

    /// The API group: `apps` for `apps/v1`, empty for the core `v1`.
    pub fn group(&self) -> &str {
        self.api_version()
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    pub fn name(&self) -> &str {
        self.val.text(&["metadata", "name"]).unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.val.text(&["metadata", "namespace"])
    }

    /// The name without a Kustomize hash suffix.
    pub fn stable_name(&self) -> &str {
        let name = self.name();
        match &self.hash_suffix {
            Some(h) => name
                .strip_suffix(h.as_str())
                .and_then(|n| n.strip_suffix('-'))
                .unwrap_or(name),
            None => name,
        }
    }

    /// `Deployment/web` for messages.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }

    /// Whether `name` is this object's name now or was before a rename.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name() == name || self.previous_names.iter().any(|n| n == name)
    }

    /// Rename, remembering the old name.
    pub fn rename(&mut self, new_name: String) {
        let old = self.name().to_string();
        if old == new_name {
            return;
        }
        let origin = self
            .val
            .at(&["metadata", "name"])
            .map_or_else(|| self.val.origin.clone(), |v| v.origin.clone());
        if let Some(meta) = self.val.ensure_map("metadata") {
            meta.set("name", Val::str_at(new_name, origin));
        }
        self.previous_names.push(old);
    }

    pub fn origin(&self) -> &Origin {
        &self.val.origin
    }
}

/// Read every object of a manifest file.
/// Every overlay reads its base's files: they are parsed once per run and copied per environment.
/// Each copy counts against the run budget's rendered objects: a base listed twice at every
/// level of a chain of kustomizations would otherwise be copied 2^levels times.
pub fn read_file(workspace: &Workspace, file: &str) -> Result<Vec<Object>> {
    let objects = workspace.read_parsed(file, |text| {
        objects_of(workspace.yaml_documents(text, file)?, file, 0)
    })?;
    workspace.charge_rendered(file, objects.len() as u64)?;
    Ok(Vec::clone(&objects))
}

/// Parse objects from text written in `file`, its lines shifted by `line_offset` (for documents
/// written inline in a kustomization).
pub fn parse_objects(text: &str, file: &str, line_offset: u32) -> Result<Vec<Object>> {
    let docs = yaml::parse_documents(text, file, yaml::Limits::default()).map_err(|mut e| {
        e.line = e.line.map(|l| l + line_offset);
        e
    })?;
    objects_of(docs, file, line_offset)
}

fn objects_of(docs: Vec<yaml::Node>, file: &str, line_offset: u32) -> Result<Vec<Object>> {
    let mut out = Vec::new();
    for doc in docs {
        if doc.is_null() {
            continue;
        }
        let mut val = from_yaml(&doc, file);
        shift_lines(&mut val, line_offset);
        push_object(val, &mut out)?;
    }
    Ok(out)
}

/// Move every origin down by `offset` lines.
pub fn shift_lines(val: &mut Val, offset: u32) {
    if offset == 0 {
        return;
    }
    val.origin.line += offset;
    match &mut val.kind {
        Kind::Seq(items) => items.iter_mut().for_each(|i| shift_lines(i, offset)),
        Kind::Map(entries) => entries.iter_mut().for_each(|(_, v)| shift_lines(v, offset)),
        Kind::Null | Kind::Str(_) => {}
    }
}

/// Check one document and add it (or, for a `List`, its items).
fn push_object(val: Val, out: &mut Vec<Object>) -> Result<()> {
    check_object(&val)?;
    let kind = val.text(&["kind"]).unwrap_or("");
    if kind == "List" || (kind.ends_with("List") && val.get("items").is_some()) {
        let items = val
            .get("items")
            .ok_or_else(|| val.error("a `List` needs `items`"))?;
        match &items.kind {
            Kind::Seq(items) => {
                for item in items {
                    check_object(item)?;
                    require_name(item)?;
                    out.push(Object::new(item.clone()));
                }
            }
            Kind::Null => {}
            _ => {
                return Err(items.error(format!(
                    "`items` of a List must be a list, found {}",
                    items.kind_name()
                )))
            }
        }
        return Ok(());
    }
    require_name(&val)?;
    out.push(Object::new(val));
    Ok(())
}

fn check_object(val: &Val) -> Result<()> {
    if val.map().is_none() {
        return Err(val.error(format!(
            "a Kubernetes manifest document must be a mapping with `apiVersion` and `kind`, found {}",
            val.kind_name()
        )));
    }
    for key in ["apiVersion", "kind"] {
        match val.get(key) {
            Some(v) if v.str().is_some_and(|s| !s.is_empty()) => {}
            Some(v) => return Err(v.error(format!("`{key}` must be a non-empty string"))),
            None => {
                return Err(val.error(format!(
                    "this document is not a Kubernetes object: it has no `{key}`"
                )))
            }
        }
    }
    Ok(())
}

fn require_name(val: &Val) -> Result<()> {
    match val.at(&["metadata", "name"]) {
        Some(v) if v.str().is_some_and(|s| !s.is_empty()) => Ok(()),
        Some(v) => Err(v.error("`metadata.name` must be a non-empty string")),
        None => Err(Error::at(
            val.origin.file.clone(),
            val.origin.line,
            format!(
                "`{}` object has no `metadata.name`",
                val.text(&["kind"]).unwrap_or("?")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_lists_and_json() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# empty\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n";
        let objs = parse_objects(text, "m.yaml", 0).unwrap();
        let ids: Vec<String> = objs.iter().map(Object::id).collect();
        assert_eq!(ids, ["ConfigMap/a", "Secret/b"]);
        assert_eq!(objs[1].origin().line, 10);

        let json =
            r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}"#;
        let objs = parse_objects(json, "m.json", 0).unwrap();
        assert_eq!(objs[0].group(), "apps");
        assert_eq!(objs[0].name(), "web");
    }

    #[test]
    fn documents_that_are_not_objects_are_errors() {
        let e = parse_objects("- a\n- b\n", "m.yaml", 0).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("must be a mapping"), "{e}");
        let e = parse_objects("a: 1\n---\nkind: X\n", "m.yaml", 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.yaml:1: this document is not a Kubernetes object: it has no `apiVersion`"
        );
        let e = parse_objects("apiVersion: v1\nkind: ConfigMap\n", "m.yaml", 0).unwrap_err();
        assert!(e.message.contains("no `metadata.name`"), "{e}");
        let e = parse_objects("a: [\n", "m.yaml", 3).unwrap_err();
        assert!(e.line.unwrap() >= 4, "{e}");
    }

    #[test]
    fn renames_remember_old_names() {
        let mut o = parse_objects(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
            "m",
            0,
        )
        .unwrap()
        .remove(0);
        o.rename("p-a".into());
        o.rename("p-a-h4sh".into());
        o.hash_suffix = Some("h4sh".into());
        assert!(o.answers_to("a") && o.answers_to("p-a") && !o.answers_to("b"));
        assert_eq!(o.stable_name(), "p-a");
    }
}
