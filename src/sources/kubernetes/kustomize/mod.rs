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
use crate::model::{GapExtent, Note};
use crate::sources::{join_relative, Workspace};

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

/// A rendered kustomization: its objects, what could not be read, and what was ignored.
#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<Object>,
    /// Pieces not read (a remote base, a broken patch), each with its file and line: one bad
    /// entry leaves the rest rendered.
    pub gaps: Vec<(GapExtent, Error)>,
    pub notes: Vec<Note>,
}

/// Render the kustomization in `file` (a path relative to the root) into objects. Only a
/// kustomization that cannot be read at all is an error; a bad entry in it is a gap.
pub fn build(workspace: &Workspace, file: &str) -> Result<Rendered> {
    let k = read_kustomization(workspace, file)?;
    // A Flux `Kustomization` custom resource in a file of that name is a manifest, not a
    // kustomization.
    if k.text(&["apiVersion"])
        .is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io"))
    {
        return Ok(Rendered {
            objects: manifest::read_file(workspace, file)?,
            ..Rendered::default()
        });
    }
    let mut build = Build {
        workspace,
        stack: Vec::new(),
        gaps: Vec::new(),
        notes: Vec::new(),
    };
    let mut objects = Vec::new();
    build.render(file, &k, &mut objects)?;
    // Hashes come last, over the final names and data, as Kustomize computes them.
    for obj in objects.iter_mut().filter(|o| o.needs_hash) {
        let hash = generators::name_hash(obj);
        let new = format!("{}-{hash}", obj.name());
        obj.rename(new);
        obj.hash_suffix = Some(hash);
        obj.needs_hash = false;
    }
    transform::fix_references(&mut objects);
    Ok(Rendered {
        objects,
        gaps: build.gaps,
        notes: build.notes,
    })
}

fn read_kustomization(workspace: &Workspace, file: &str) -> Result<Val> {
    let text = workspace.read_text(file)?;
    let node = workspace.yaml_document(&text, file)?;
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

/// One build in progress: the kustomization directories being rendered (to catch cycles) and
/// what could not be read so far.
struct Build<'a> {
    workspace: &'a Workspace,
    stack: Vec<String>,
    gaps: Vec<(GapExtent, Error)>,
    notes: Vec<Note>,
}

impl Build<'_> {
    /// Keep what `result` yields; a failure is a gap and yields nothing.
    fn keep<T: Default>(&mut self, result: Result<T>) -> T {
        result.unwrap_or_else(|e| {
            self.gaps.push((GapExtent::Source, e));
            T::default()
        })
    }

    /// Render one kustomization into `objects`: empty, except for components, which transform
    /// what their parent accumulated so far. Only a cycle or too deep a chain is an error, found
    /// before `objects` is touched; anything else is a gap.
    fn render(&mut self, kfile: &str, k: &Val, objects: &mut Vec<Object>) -> Result<()> {
        let dir = kfile.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        if let Some(pos) = self.stack.iter().position(|d| *d == dir) {
            let mut chain: Vec<&str> = self.stack[pos..].iter().map(String::as_str).collect();
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
        if self.stack.len() >= MAX_DEPTH {
            return Err(Error::in_file(
                kfile,
                format!("kustomizations nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        // Every render counts against the run budget, before any work: a base listed twice at
        // every level is rendered 2^levels times even though its copies are refused.
        let before = objects.len();
        self.workspace.charge_rendered(kfile, 1)?;
        self.check_fields(k);
        self.stack.push(dir);
        self.render_fields(kfile, k, objects);
        self.stack.pop();
        let added = objects.len().saturating_sub(before) as u64;
        self.workspace.charge_rendered(kfile, added)
    }

    /// Fields not understood are gaps (what they would add or change is missing); the rest of
    /// the kustomization is still rendered.
    fn check_fields(&mut self, k: &Val) {
        for (key, value) in k.map().unwrap_or_default() {
            if key == "configurations" {
                // Transformer configurations teach Kustomize where custom resources name other
                // objects; the references envparity reads (HelmRelease `valuesFrom`, pods)
                // already follow renames.
                self.notes.push(Note::at(
                    value.origin.clone(),
                    "kustomization `configurations` ignored: envparity's own name references are used",
                ));
            } else if !SUPPORTED.contains(&key.as_str()) {
                self.gaps.push((GapExtent::Source, value.error(format!(
                    "kustomization field `{key}` is not supported by envparity's native Kustomize rendering (see docs/kubernetes.md)"
                ))));
            }
        }
    }

    fn render_fields(&mut self, kfile: &str, k: &Val, objects: &mut Vec<Object>) {
        for field in ["resources", "bases"] {
            let entries = self.keep(k.list_at(field));
            self.resources(kfile, entries, objects);
        }
        for entry in self.keep(k.list_at("components")) {
            match remote(entry) {
                Some(url) => self.remote_gap(entry, url),
                None => {
                    let applied = self.component(kfile, entry, objects);
                    self.keep(applied);
                }
            }
        }
        self.generators(kfile, k, objects);
        self.patches(kfile, k, objects);
        let transformed = transformers(k, objects);
        self.keep(transformed);
    }

    /// `resources` (or `bases`) entries in order: manifest files, kustomization directories;
    /// remote ones are optional gaps.
    fn resources(&mut self, kfile: &str, entries: &[Val], objects: &mut Vec<Object>) {
        let mut ids: crate::hash::HashSet<String> = objects.iter().map(resource_id).collect();
        // A base lists hundreds of manifest files: they are read on every core first, then
        // taken in order with the kustomization directories rendered between them.
        let files: Vec<Option<Result<Vec<Object>>>> = entries
            .par_iter()
            .map(|entry| manifest_resource(self.workspace, kfile, entry).transpose())
            .collect();
        for (entry, file) in entries.iter().zip(files) {
            let read = match file {
                Some(read) => read,
                None => match remote(entry) {
                    Some(url) => {
                        self.remote_gap(entry, url);
                        continue;
                    }
                    None => self.resource(kfile, entry),
                },
            };
            let read = read.and_then(|new| register_ids(&mut ids, new, entry));
            objects.extend(self.keep(read));
        }
    }

    /// A remote base is not fetched (envparity never uses the network): what it would add is
    /// an optional gap, and the local rest is rendered.
    fn remote_gap(&mut self, entry: &Val, url: &str) {
        self.gaps.push((
            GapExtent::Optional,
            entry.error(format!(
                "remote resource `{url}` is not fetched: envparity never uses the network; vendor it into the repository to compare it"
            )),
        ));
    }

    /// One `resources` entry: a manifest file, or a directory holding a kustomization.
    fn resource(&mut self, kfile: &str, entry: &Val) -> Result<Vec<Object>> {
        let written = entry.expect_str("resources")?;
        let rel = local_path(kfile, written, entry)?;
        let path = self
            .workspace
            .resolve(&rel)
            .map_err(|e| entry.error(format!("`{written}`: {}", e.message)))?;
        if path.is_dir() {
            let (sub, sk) = sub_kustomization(self.workspace, kfile, entry)?;
            if sk.text(&["kind"]) == Some("Component") {
                return Err(entry.error(format!(
                    "`{written}` is a Component; list it under `components`"
                )));
            }
            let mut objects = Vec::new();
            self.render(&sub, &sk, &mut objects)?;
            Ok(objects)
        } else {
            manifest::read_file(self.workspace, &rel)
        }
    }

    /// Apply one component to the objects so far.
    fn component(&mut self, kfile: &str, entry: &Val, objects: &mut Vec<Object>) -> Result<()> {
        let (cfile, ck) = sub_kustomization(self.workspace, kfile, entry)?;
        if ck.text(&["kind"]) != Some("Component") {
            return Err(
                entry.error("a `components` entry must be a kustomization of `kind: Component`")
            );
        }
        self.render(&cfile, &ck, objects)
    }

    fn generators(&mut self, kfile: &str, k: &Val, objects: &mut Vec<Object>) {
        let options = k.get("generatorOptions");
        for (field, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            for entry in self.keep(k.list_at(field)) {
                let generated =
                    generators::generate(self.workspace, kfile, kind, entry, options, objects);
                self.keep(generated);
            }
        }
    }

    /// Strategic merge patches, then `patches`: each entry that fails is a gap, the others
    /// still apply.
    fn patches(&mut self, kfile: &str, k: &Val, objects: &mut Vec<Object>) {
        let mut targets = patches::Targets::default();
        for entry in self.keep(k.list_at("patchesStrategicMerge")) {
            let applied = patches::strategic_merge_entry(
                self.workspace,
                kfile,
                entry,
                objects,
                &mut targets,
                &mut self.notes,
            );
            self.keep(applied);
        }
        // An overlay may carry a patch file per application: they are read on every core, then
        // applied in order.
        let entries = self.keep(k.list_at("patches"));
        let documents: Vec<Result<Vec<Val>>> = entries
            .par_iter()
            .map(|entry| patches::patch_documents(self.workspace, kfile, entry))
            .collect();
        for (entry, docs) in entries.iter().zip(documents) {
            let applied =
                patches::patches_entry(entry, docs, objects, &mut targets, &mut self.notes);
            self.keep(applied);
        }
        for entry in self.keep(k.list_at("patchesJson6902")) {
            let applied =
                patches::json6902_entry(self.workspace, kfile, entry, objects, &mut self.notes);
            self.keep(applied);
        }
    }
}

/// Namespace, name prefix and suffix, labels, annotations, replicas, images.
fn transformers(k: &Val, objects: &mut [Object]) -> Result<()> {
    if let Some(ns) = k.get("namespace") {
        transform::namespace(objects, ns)?;
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
        transform::rename(objects, prefix, suffix);
    }
    if let Some(labels) = k.get("commonLabels") {
        transform::labels(objects, labels, true, true)?;
    }
    for entry in k.list_at("labels")? {
        let pairs = entry
            .get("pairs")
            .ok_or_else(|| entry.error("a `labels` entry needs `pairs`"))?;
        let flag = |f: &str| entry.text(&[f]) == Some("true");
        transform::labels(
            objects,
            pairs,
            flag("includeSelectors"),
            flag("includeTemplates"),
        )?;
    }
    if let Some(a) = k.get("commonAnnotations") {
        transform::annotations(objects, a)?;
    }
    if let Some(r) = k.get("replicas") {
        transform::replicas(objects, r)?;
    }
    if let Some(i) = k.get("images") {
        transform::images(objects, i)?;
    }
    Ok(())
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

/// An object's ID as Kustomize registers it: kind, version and group, name, namespace (none is
/// `default`), written as Kustomize writes it in its error.
fn resource_id(obj: &Object) -> String {
    let (group, version) = obj
        .api_version()
        .rsplit_once('/')
        .unwrap_or(("", obj.api_version()));
    let gvk = [obj.kind(), version, group]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(".");
    let namespace = obj
        .namespace()
        .filter(|n| !n.is_empty())
        .unwrap_or("default");
    format!("{gvk}/{}.{namespace}", obj.name())
}

/// The objects one `resources` entry adds, refused when one of them has an ID already added:
/// `kustomize build` fails there ("may not add resource with an already registered id").
fn register_ids(
    ids: &mut crate::hash::HashSet<String>,
    new: Vec<Object>,
    entry: &Val,
) -> Result<Vec<Object>> {
    let mut added = Vec::with_capacity(new.len());
    for obj in &new {
        let id = resource_id(obj);
        if !ids.insert(id.clone()) {
            for id in added {
                ids.remove(&id);
            }
            let written = entry.str().unwrap_or("");
            return Err(entry.error(format!(
                "`{written}`: may not add resource with an already registered id: {id} (as `kustomize build`)"
            )));
        }
        added.push(id);
    }
    Ok(new)
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

/// The URL an entry names, when it is a remote base or resource (a Git repository, an HTTP
/// file), which Kustomize would fetch.
fn remote(entry: &Val) -> Option<&str> {
    entry.str().filter(|w| is_remote(w))
}

fn is_remote(written: &str) -> bool {
    let lower = written.to_ascii_lowercase();
    lower.contains("://")
        || lower.starts_with("git@")
        || lower.starts_with("github.com/")
        || lower.starts_with("gitlab.com/")
        || lower.starts_with("bitbucket.org/")
        || lower.contains("?ref=")
}

/// A path written in a kustomization: remote URLs and escapes from the root are errors.
fn local_path(kfile: &str, written: &str, at: &Val) -> Result<String> {
    if is_remote(written) {
        return Err(at.error(format!(
            "remote resource `{written}` is not fetched: envparity never uses the network; vendor it into the repository"
        )));
    }
    join_relative(kfile, written)
        .ok_or_else(|| at.error(format!("`{written}` {}", crate::sources::outside(written))))
}
