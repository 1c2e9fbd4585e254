//! Patch entries of a kustomization (`patches`, `patchesStrategicMerge`, `patchesJson6902`):
//! where the patch text is, which objects it targets, and which kind of patch it is.

use crate::hash::HashMap;

use regex::{Regex, RegexBuilder};

use crate::error::Result;
use crate::model::Note;
use crate::sources::{join_relative, Workspace};

use super::super::manifest::{shift_lines, Object};
use super::super::tree::{from_yaml, Val};
use super::jsonpatch;
use super::strategic::{self, Patched};

/// Patch documents from `path` (a file next to the kustomization) or inline `patch` text.
pub fn patch_documents(workspace: &Workspace, kfile: &str, entry: &Val) -> Result<Vec<Val>> {
    let (text, file, offset) = if let Some(path) = entry.get("path") {
        let written = path.expect_str("path")?;
        let rel = join_relative(kfile, written).ok_or_else(|| {
            path.error(format!(
                "patch `{written}` {}",
                crate::sources::outside(written)
            ))
        })?;
        (
            workspace
                .read_text(&rel)
                .map_err(|e| path.error(format!("patch `{written}`: {}", e.message)))?,
            rel,
            0,
        )
    } else if let Some(patch) = entry.get("patch") {
        let text = patch.expect_str("patch")?.to_string();
        // The scalar's position is where its text starts (a block scalar's first content line).
        (text, kfile.to_string(), patch.origin.line.saturating_sub(1))
    } else {
        return Err(entry.error("a patch needs `path` or `patch`"));
    };
    let docs = workspace.yaml_documents(&text, &file).map_err(|mut e| {
        e.line = e.line.map(|l| l + offset);
        e
    })?;
    Ok(docs
        .iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            let mut v = from_yaml(d, &file);
            shift_lines(&mut v, offset);
            v
        })
        .collect())
}

/// `patchesStrategicMerge` entry: a file path, or an inline patch document.
pub fn strategic_merge_entry(
    workspace: &Workspace,
    kfile: &str,
    entry: &Val,
    objects: &mut Vec<Object>,
    targets: &mut Targets,
    notes: &mut Vec<Note>,
) -> Result<()> {
    let text = entry.expect_str("patchesStrategicMerge")?;
    let docs = if text.contains('\n') || text.trim_start().starts_with("apiVersion") {
        let mut inline = Val::empty_map(entry.origin.clone());
        inline.set("patch", entry.clone());
        patch_documents(workspace, kfile, &inline)?
    } else {
        let mut by_path = Val::empty_map(entry.origin.clone());
        by_path.set("path", entry.clone());
        patch_documents(workspace, kfile, &by_path)?
    };
    for doc in &docs {
        apply_to_named(doc, objects, targets, notes)?;
    }
    Ok(())
}

/// `patches` entry: `path` or `patch`, optional `target`. A list is a JSON patch, a mapping a
/// strategic merge patch (on the target, or on the object it names). `docs` are the entry's
/// `patch_documents`, read beforehand (an overlay's patch files are read on every core).
pub fn patches_entry(
    entry: &Val,
    docs: Result<Vec<Val>>,
    objects: &mut Vec<Object>,
    targets: &mut Targets,
    notes: &mut Vec<Note>,
) -> Result<()> {
    if let Some(opts) = entry.get("options") {
        return Err(opts.error("patch `options` are not supported (see docs/kubernetes.md)"));
    }
    let docs = docs?;
    let target = entry.get("target");
    for doc in &docs {
        match (doc.seq().is_some(), target) {
            (true, Some(t)) => {
                // A JSON patch may change a kind or a name.
                targets.invalidate();
                for i in matching(t, objects, entry, notes)? {
                    jsonpatch::apply(&mut objects[i].val, doc)?;
                }
            }
            (true, None) => return Err(entry.error("a JSON patch needs a `target`")),
            (false, Some(t)) => {
                let found = matching(t, objects, entry, notes)?;
                strategic_on(doc, &found, objects, targets)?;
            }
            (false, None) => apply_to_named(doc, objects, targets, notes)?,
        }
    }
    Ok(())
}

/// `patchesJson6902` entry: `target` plus `path` or `patch`.
pub fn json6902_entry(
    workspace: &Workspace,
    kfile: &str,
    entry: &Val,
    objects: &mut [Object],
    notes: &mut Vec<Note>,
) -> Result<()> {
    let target = entry
        .get("target")
        .ok_or_else(|| entry.error("a `patchesJson6902` entry needs a `target`"))?;
    let docs = patch_documents(workspace, kfile, entry)?;
    let indices = matching(target, objects, entry, notes)?;
    for doc in &docs {
        for &i in &indices {
            jsonpatch::apply(&mut objects[i].val, doc)?;
        }
    }
    Ok(())
}

/// A strategic merge patch applied to the objects at `indices` (ascending); those it deletes
/// (`$patch: delete`) leave the build.
fn strategic_on(
    doc: &Val,
    indices: &[usize],
    objects: &mut Vec<Object>,
    targets: &mut Targets,
) -> Result<()> {
    let patch = without_identity(doc);
    let mut deleted = Vec::new();
    for &i in indices {
        let builtin = is_builtin(&objects[i]);
        if strategic::apply(&mut objects[i].val, &patch, builtin)? == Patched::Deleted {
            deleted.push(i);
        }
    }
    for &i in deleted.iter().rev() {
        objects.remove(i);
    }
    if !deleted.is_empty() {
        targets.invalidate();
    }
    Ok(())
}

/// A strategic merge patch applied to the object its own kind and name designate. None is a
/// no-op with a note, as `kustomize build` ignores it.
fn apply_to_named(
    doc: &Val,
    objects: &mut Vec<Object>,
    targets: &mut Targets,
    notes: &mut Vec<Note>,
) -> Result<()> {
    if doc.map().is_none() {
        return Err(doc.error(format!(
            "a strategic merge patch must be a mapping, found {}",
            doc.kind_name()
        )));
    }
    let kind = doc
        .text(&["kind"])
        .ok_or_else(|| doc.error("a strategic merge patch needs `kind` (or a `target`)"))?;
    let name = doc.text(&["metadata", "name"]).ok_or_else(|| {
        doc.error("a strategic merge patch needs `metadata.name` (or a `target`)")
    })?;
    let ns = doc.text(&["metadata", "namespace"]);
    let found: Vec<usize> = targets
        .candidates(objects, kind, name)
        .iter()
        .copied()
        .filter(|&i| {
            let o = &objects[i];
            o.kind() == kind && o.answers_to(name) && (ns.is_none() || o.namespace() == ns)
        })
        .collect();
    match found[..] {
        [] => {
            notes.push(Note::at(
                doc.origin.clone(),
                format!("patch target `{kind}/{name}` not found among the resources; the patch changes nothing"),
            ));
            Ok(())
        }
        [_] => strategic_on(doc, &found, objects, targets),
        _ => Err(doc.error(format!(
            "patch target `{kind}/{name}` matches several resources; add `metadata.namespace`"
        ))),
    }
}

/// Objects by kind and every name they answer to, for strategic merge patches that name their
/// target: a search through all objects per patch would make an overlay with one patch per
/// object quadratic. Built on first use; patches that name their target never change a kind or
/// a name (their identity fields are removed), others must `invalidate` it.
#[derive(Debug, Default)]
pub struct Targets {
    index: Option<HashMap<(String, String), Vec<usize>>>,
}

impl Targets {
    /// Indices (ascending) of the objects of this kind answering to this name.
    fn candidates(&mut self, objects: &[Object], kind: &str, name: &str) -> &[usize] {
        let index = self.index.get_or_insert_with(|| {
            let mut index: HashMap<(String, String), Vec<usize>> = HashMap::default();
            for (i, o) in objects.iter().enumerate() {
                let names =
                    std::iter::once(o.name()).chain(o.previous_names.iter().map(String::as_str));
                for n in names {
                    let at = index
                        .entry((o.kind().to_string(), n.to_string()))
                        .or_default();
                    if at.last() != Some(&i) {
                        at.push(i);
                    }
                }
            }
            index
        });
        index
            .get(&(kind.to_string(), name.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// Objects were added, removed, renamed or changed kind.
    pub fn invalidate(&mut self) {
        self.index = None;
    }
}

/// A patch's identity fields are not changes to make.
fn without_identity(doc: &Val) -> Val {
    let mut d = doc.clone();
    d.remove("apiVersion");
    d.remove("kind");
    if let Some(meta) = d.get_mut("metadata") {
        meta.remove("name");
        meta.remove("namespace");
    }
    d
}

/// Whether an object is a built-in kind, whose lists merge by key.
fn is_builtin(obj: &Object) -> bool {
    matches!(
        obj.group(),
        "" | "apps"
            | "batch"
            | "autoscaling"
            | "policy"
            | "networking.k8s.io"
            | "rbac.authorization.k8s.io"
            | "storage.k8s.io"
    )
}

/// Longest pattern accepted in a patch target, and the compiled size allowed: a scanned
/// repository must not make envparity build a huge automaton.
const MAX_PATTERN_LEN: usize = 1024;
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A `target` field as Kustomize reads it: a regular expression matching the whole value.
fn target_regex(target: &Val, field: &str) -> Result<Option<Regex>> {
    let Some(v) = target.get(field) else {
        return Ok(None);
    };
    let pattern = v.expect_str(field)?;
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(v.error(format!(
            "patch target `{field}` is longer than {MAX_PATTERN_LEN} characters"
        )));
    }
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map(Some)
        .map_err(|e| {
            let why = match e {
                regex::Error::CompiledTooBig(_) => "too large".to_string(),
                other => other
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            };
            v.error(format!(
                "patch target `{field}` is not a valid regular expression: {why}"
            ))
        })
}

/// Indices of the objects a `target` selects. None is a no-op with a note, as in
/// `kustomize build`.
fn matching(
    target: &Val,
    objects: &[Object],
    entry: &Val,
    notes: &mut Vec<Note>,
) -> Result<Vec<usize>> {
    if target.map().is_none() {
        return Err(target.error("`target` must be a mapping"));
    }
    for (key, v) in target.map().unwrap_or_default() {
        if !matches!(
            key.as_str(),
            "group"
                | "version"
                | "kind"
                | "name"
                | "namespace"
                | "labelSelector"
                | "annotationSelector"
        ) {
            return Err(v.error(format!("unknown patch target field `{key}`")));
        }
    }
    let [group, version, kind, name, namespace] =
        ["group", "version", "kind", "name", "namespace"].map(|f| target_regex(target, f));
    let (group, version, kind, name, namespace) = (group?, version?, kind?, name?, namespace?);
    let is = |re: &Option<Regex>, value: &str| re.as_ref().is_none_or(|re| re.is_match(value));
    let labels = selector(target.get("labelSelector"))?;
    let annotations = selector(target.get("annotationSelector"))?;
    let found: Vec<usize> = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            is(&kind, o.kind())
                && is(&group, o.group())
                && is(&version, o.api_version().rsplit('/').next().unwrap_or(""))
                && is(&namespace, o.namespace().unwrap_or(""))
                && (is(&name, o.name()) || o.previous_names.iter().any(|p| is(&name, p)))
                && labels
                    .iter()
                    .all(|(k, v)| o.val.text(&["metadata", "labels", k]) == Some(v.as_str()))
                && annotations
                    .iter()
                    .all(|(k, v)| o.val.text(&["metadata", "annotations", k]) == Some(v.as_str()))
        })
        .map(|(i, _)| i)
        .collect();
    if found.is_empty() {
        let described: Vec<String> = target
            .map()
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.str().unwrap_or("?")))
            .collect();
        notes.push(Note::at(
            entry.origin.clone(),
            format!(
                "patch target ({}) matches no resource; the patch changes nothing",
                described.join(", ")
            ),
        ));
    }
    Ok(found)
}

/// `a=b,c=d` equality selectors.
fn selector(v: Option<&Val>) -> Result<Vec<(String, String)>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let text = v.expect_str("selector")?;
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, val)) if !k.ends_with('!') => Ok((
                k.trim().to_string(),
                val.trim_start_matches('=').trim().to_string(),
            )),
            _ => Err(v.error(format!(
                "selector `{}` is not supported: only `key=value` pairs",
                p.trim()
            ))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::sources::kubernetes::manifest::parse_objects;
    use crate::yaml;

    fn target(text: &str) -> Val {
        let node = yaml::parse_document(text, "k.yaml", yaml::Limits::default()).unwrap();
        from_yaml(&node, "k.yaml")
    }

    fn names(pattern: &str) -> Vec<String> {
        let objects = parse_objects(
            "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: api-v1}\n---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {name: web}\n---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {name: webhook}\n",
            "m.yaml",
            0,
        )
        .unwrap();
        let t = target(&format!("name: '{pattern}'\n"));
        let entry = Val::empty_map(Origin::new("k.yaml", 1));
        let found = matching(&t, &objects, &entry, &mut Vec::new()).unwrap();
        found
            .iter()
            .map(|&i| objects[i].name().to_string())
            .collect()
    }

    #[test]
    fn target_names_are_anchored_regular_expressions() {
        assert_eq!(names("web"), ["web"], "anchored: not webhook");
        assert_eq!(names(".*"), ["api-v1", "web", "webhook"]);
        assert_eq!(names("api-.*"), ["api-v1"]);
        assert_eq!(names("(web|api-v1)"), ["api-v1", "web"]);
        assert_eq!(
            names("web|webhook"),
            ["web", "webhook"],
            "alternation stays anchored"
        );
        assert!(names("nothing").is_empty());
    }

    #[test]
    fn invalid_or_huge_target_patterns_are_errors_at_their_line() {
        let t = target("kind: Deployment\nname: '(web'\n");
        let entry = Val::empty_map(Origin::new("k.yaml", 1));
        let e = matching(&t, &[], &entry, &mut Vec::new()).unwrap_err();
        assert_eq!((e.file.as_deref(), e.line), (Some("k.yaml"), Some(2)));
        assert!(e.message.contains("not a valid regular expression"), "{e}");
        let t = target("name: '((a{1000}){1000}){1000}'\n");
        let e = matching(&t, &[], &entry, &mut Vec::new()).unwrap_err();
        assert!(e.message.contains("too large"), "{e}");
    }
}
