//! Kustomize, rendered natively: no `kustomize` or `kubectl` binary is run, nothing is fetched.
//!
//! A kustomization's resources (files, directories with their own kustomization, `bases`) are
//! accumulated, its components applied, its generators run, then its transformers in
//! Kustomize's order: strategic merge patches, patches, namespace, name prefix and suffix,
//! labels, annotations, JSON 6902 patches, replicas, images. At the very end generated names get
//! their content hash and references follow every rename. Constructs not supported are errors
//! with their line (docs/kubernetes.md lists them).

pub mod generators;
pub mod jsonpatch;
pub mod patches;
pub mod strategic;
pub mod transform;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::sources::{join_relative, Workspace};
use crate::yaml;

use super::manifest::{self, Object};
use super::tree::{from_yaml, Val};

/// Kustomization file names, in Kustomize's order of preference.
pub const FILE_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Deepest chain of kustomizations followed (cycles are caught before this).
const MAX_DEPTH: usize = 32;

/// Fields understood here.
const SUPPORTED: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "sortOptions",
    "buildMetadata",
];

/// Render the kustomization in `file` (a path relative to the root) into objects.
pub fn build(workspace: &Workspace, file: &str) -> Result<Vec<Object>> {
    let k = read_kustomization(workspace, file)?;
    // A Flux `Kustomization` custom resource in a file of that name is a manifest, not a
    // kustomization.
    if k.text(&["apiVersion"])
        .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io"))
    {
        return manifest::read_file(workspace, file);
    }
    let mut stack = Vec::new();
    let mut objects = render(workspace, file, &k, Vec::new(), &mut stack)?;
    // Hashes come last, over the final names and data, as Kustomize computes them.
    for obj in objects.iter_mut().filter(|o| o.needs_hash) {
        let hash = generators::name_hash(obj);
        let new = format!("{}-{hash}", obj.name());
        obj.rename(new);
        obj.hash_suffix = Some(hash);
        obj.needs_hash = false;
    }
    transform::fix_references(&mut objects);
    Ok(objects)
}

fn read_kustomization(workspace: &Workspace, file: &str) -> Result<Val> {
    let text = workspace.read_text(file)?;
    let node = yaml::parse_document(&text, file, yaml::Limits::default())?;
    let val = from_yaml(&node, file);
    if val.map().is_none() {
        return Err(val.error(format!(
            "a kustomization must be a mapping, found {}",
            val.kind_name()
        )));
    }
    Ok(val)
}

/// The kustomization file in a directory, if any.
pub fn file_in(workspace: &Workspace, dir: &str) -> Option<String> {
    FILE_NAMES
        .iter()
        .map(|n| {
            if dir.is_empty() {
                n.to_string()
            } else {
                format!("{dir}/{n}")
            }
        })
        .find(|p| workspace.is_file(p))
}

/// Render one kustomization over `inherited` objects (empty, except for components, which
/// transform what their parent accumulated so far).
fn render(
    workspace: &Workspace,
    kfile: &str,
    k: &Val,
    inherited: Vec<Object>,
    stack: &mut Vec<String>,
) -> Result<Vec<Object>> {
    let dir = kfile.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    if let Some(pos) = stack.iter().position(|d| *d == dir) {
        let mut chain: Vec<&str> = stack[pos..].iter().map(String::as_str).collect();
        chain.push(&dir);
        return Err(Error::in_file(
            kfile,
            format!(
                "kustomization cycle: {}",
                chain
                    .iter()
                    .map(|d| if d.is_empty() { "." } else { d })
                    .collect::<Vec<_>>()
                    .join(" -> ")
            ),
        ));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(Error::in_file(
            kfile,
            format!("kustomizations nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    for (key, value) in k.map().unwrap_or_default() {
        if !SUPPORTED.contains(&key.as_str()) {
            return Err(value.error(format!(
                "kustomization field `{key}` is not supported by envparity's native Kustomize rendering (see docs/kubernetes.md)"
            )));
        }
    }
    stack.push(dir);
    let result = render_fields(workspace, kfile, k, inherited, stack);
    stack.pop();
    result
}

fn render_fields(
    workspace: &Workspace,
    kfile: &str,
    k: &Val,
    mut objects: Vec<Object>,
    stack: &mut Vec<String>,
) -> Result<Vec<Object>> {
    for field in ["resources", "bases"] {
        let entries = k.list_at(field)?;
        // A base lists hundreds of manifest files: they are read on every core first, then
        // taken in order with the kustomization directories rendered between them.
        let files: Vec<Option<Result<Vec<Object>>>> = entries
            .par_iter()
            .map(|entry| manifest_resource(workspace, kfile, entry).transpose())
            .collect();
        for (entry, file) in entries.iter().zip(files) {
            match file {
                Some(read) => objects.extend(read?),
                None => objects.extend(resource(workspace, kfile, entry, stack)?),
            }
        }
    }
    for entry in k.list_at("components")? {
        let (cfile, ck) = sub_kustomization(workspace, kfile, entry)?;
        if ck.text(&["kind"]) != Some("Component") {
            return Err(
                entry.error("a `components` entry must be a kustomization of `kind: Component`")
            );
        }
        objects = render(workspace, &cfile, &ck, objects, stack)?;
    }
    let options = k.get("generatorOptions");
    for (field, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for entry in k.list_at(field)? {
            generators::generate(workspace, kfile, kind, entry, options, &mut objects)?;
        }
    }
    // The objects stay put while patches apply (patches change contents, not the list).
    let mut targets = patches::Targets::default();
    for entry in k.list_at("patchesStrategicMerge")? {
        patches::strategic_merge_entry(workspace, kfile, entry, &mut objects, &mut targets)?;
    }
    // An overlay may carry a patch file per application: they are read on every core, then
    // applied in order.
    let entries = k.list_at("patches")?;
    let documents: Vec<Result<Vec<Val>>> = entries
        .par_iter()
        .map(|entry| patches::patch_documents(workspace, kfile, entry))
        .collect();
    for (entry, docs) in entries.iter().zip(documents) {
        patches::patches_entry(entry, docs, &mut objects, &mut targets)?;
    }
    if let Some(ns) = k.get("namespace") {
        transform::namespace(&mut objects, ns)?;
    }
    let prefix = k
        .get("namePrefix")
        .map(|v| v.expect_str("namePrefix"))
        .transpose()?
        .unwrap_or("");
    let suffix = k
        .get("nameSuffix")
        .map(|v| v.expect_str("nameSuffix"))
        .transpose()?
        .unwrap_or("");
    if !prefix.is_empty() || !suffix.is_empty() {
        transform::rename(&mut objects, prefix, suffix);
    }
    if let Some(labels) = k.get("commonLabels") {
        transform::labels(&mut objects, labels, true, true)?;
    }
    for entry in k.list_at("labels")? {
        let pairs = entry
            .get("pairs")
            .ok_or_else(|| entry.error("a `labels` entry needs `pairs`"))?;
        let flag = |f: &str| entry.text(&[f]) == Some("true");
        transform::labels(
            &mut objects,
            pairs,
            flag("includeSelectors"),
            flag("includeTemplates"),
        )?;
    }
    if let Some(a) = k.get("commonAnnotations") {
        transform::annotations(&mut objects, a)?;
    }
    for entry in k.list_at("patchesJson6902")? {
        patches::json6902_entry(workspace, kfile, entry, &mut objects)?;
    }
    if let Some(r) = k.get("replicas") {
        transform::replicas(&mut objects, r)?;
    }
    if let Some(i) = k.get("images") {
        transform::images(&mut objects, i)?;
    }
    Ok(objects)
}

/// One `resources` entry: a manifest file, or a directory holding a kustomization.
fn resource(
    workspace: &Workspace,
    kfile: &str,
    entry: &Val,
    stack: &mut Vec<String>,
) -> Result<Vec<Object>> {
    let written = entry.expect_str("resources")?;
    let rel = local_path(kfile, written, entry)?;
    let path = workspace
        .resolve(&rel)
        .map_err(|e| entry.error(format!("`{written}`: {}", e.message)))?;
    if path.is_dir() {
        let (sub, sk) = sub_kustomization(workspace, kfile, entry)?;
        if sk.text(&["kind"]) == Some("Component") {
            return Err(entry.error(format!(
                "`{written}` is a Component; list it under `components`"
            )));
        }
        render(workspace, &sub, &sk, Vec::new(), stack)
    } else {
        manifest::read_file(workspace, &rel)
    }
}

/// A `resources` entry naming a manifest file: its objects; `None` for anything else (a
/// directory, an error), which `resource` handles in order.
fn manifest_resource(
    workspace: &Workspace,
    kfile: &str,
    entry: &Val,
) -> Result<Option<Vec<Object>>> {
    let Ok(written) = entry.expect_str("resources") else {
        return Ok(None);
    };
    let Ok(rel) = local_path(kfile, written, entry) else {
        return Ok(None);
    };
    match workspace.resolve(&rel) {
        Ok(path) if path.is_file() => manifest::read_file(workspace, &rel).map(Some),
        _ => Ok(None),
    }
}

/// The kustomization in the directory an entry names.
fn sub_kustomization(workspace: &Workspace, kfile: &str, entry: &Val) -> Result<(String, Val)> {
    let written = entry.expect_str("path")?;
    let rel = local_path(kfile, written, entry)?;
    workspace
        .resolve(&rel)
        .map_err(|e| entry.error(format!("`{written}`: {}", e.message)))?;
    let file = file_in(workspace, &rel)
        .ok_or_else(|| entry.error(format!("`{written}` has no kustomization.yaml")))?;
    let k = read_kustomization(workspace, &file)?;
    Ok((file, k))
}

/// A path written in a kustomization: remote URLs and escapes from the root are errors.
fn local_path(kfile: &str, written: &str, at: &Val) -> Result<String> {
    let lower = written.to_ascii_lowercase();
    if lower.contains("://")
        || lower.starts_with("git@")
        || lower.starts_with("github.com/")
        || lower.starts_with("gitlab.com/")
        || lower.starts_with("bitbucket.org/")
    {
        return Err(at.error(format!(
            "remote resource `{written}` is not fetched: envparity never uses the network; vendor it into the repository"
        )));
    }
    if written.starts_with('/') {
        return Err(at.error(format!(
            "absolute path `{written}` is not read; use a path relative to the kustomization"
        )));
    }
    join_relative(kfile, written).ok_or_else(|| {
        at.error(format!(
            "`{written}` is outside the scanned directory; envparity reads nothing outside it"
        ))
    })
}
