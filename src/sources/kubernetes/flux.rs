//! Flux: the `Kustomization`s (kustomize.toolkit.fluxcd.io) of a cluster's directory name the
//! directories deployed to that cluster. Each one whose source is this repository is rendered
//! for the cluster's environment with its `patches` and `targetNamespace`, so shared
//! directories (`infrastructure/controllers`) are read for every cluster that deploys them.
//!
//! A Kustomization's source is this repository when it is the bootstrap `GitRepository`
//! (`flux-system`), or an `ExternalArtifact` an `ArtifactGenerator` copies from it
//! (`@monorepo/infrastructure/**` to `@artifact/`). Other sources (another repository, an OCI
//! artifact, a bucket) are optional gaps.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::model::GapExtent;
use crate::sources::{join_relative, Workspace};

use super::kustomize::{self, patches, transform, Rendered};
use super::manifest::{self, Object};
use super::tree::Val;

/// Most Kustomizations followed from one environment (each may lead to others).
const MAX_FOLLOWED: usize = 256;

/// Deepest directory walked for a path without a kustomization.
const MAX_WALK_DEPTH: usize = 16;

/// The bootstrap GitRepository: the repository Flux was installed from, this one.
const OWN_REPOSITORY: &str = "flux-system";

fn is_flux_kustomization(obj: &Object) -> bool {
    obj.kind() == "Kustomization" && obj.group() == "kustomize.toolkit.fluxcd.io"
}

/// Render, in order, every directory the Flux Kustomizations among `objects` deploy (and those
/// the rendered objects deploy in turn). `read_dirs` are the directories already read for the
/// environment: a Kustomization pointing at one (the cluster's own directory) adds nothing.
pub fn follow(workspace: &Workspace, objects: &[Object], read_dirs: &[String]) -> Rendered {
    let mut out = Rendered::default();
    let mut visited: Vec<String> = read_dirs.to_vec();
    let mut queue: VecDeque<Object> = objects
        .iter()
        .filter(|o| is_flux_kustomization(o))
        .cloned()
        .collect();
    let mut followed = 0;
    while let Some(ks) = queue.pop_front() {
        let dir = match source_dir(&ks, objects.iter().chain(&out.objects)) {
            Ok(Some(dir)) => dir,
            Ok(None) => continue,
            Err((extent, e)) => {
                out.gaps.push((extent, e));
                continue;
            }
        };
        if visited.contains(&dir) {
            continue;
        }
        followed += 1;
        if followed > MAX_FOLLOWED {
            out.gaps.push((
                GapExtent::Source,
                ks.val.error(format!(
                    "more than {MAX_FOLLOWED} Flux Kustomizations to follow; the rest are not read"
                )),
            ));
            break;
        }
        visited.push(dir.clone());
        let mut rendered = render_dir(workspace, &dir, &ks);
        apply_spec(workspace, &ks, &mut rendered);
        queue.extend(
            rendered
                .objects
                .iter()
                .filter(|o| is_flux_kustomization(o))
                .cloned(),
        );
        out.objects.extend(rendered.objects);
        out.gaps.extend(rendered.gaps);
        out.notes.extend(rendered.notes);
    }
    out
}

type Gap = (GapExtent, Error);

/// The repository directory a Kustomization deploys; `None` when it names no path at all.
fn source_dir<'a>(
    ks: &Object,
    known: impl Iterator<Item = &'a Object> + Clone,
) -> Result<Option<String>, Gap> {
    let spec = ks.val.get("spec");
    let path = spec.and_then(|s| s.text(&["path"])).unwrap_or("./");
    let source = spec.and_then(|s| s.get("sourceRef"));
    let kind = source.and_then(|s| s.text(&["kind"])).unwrap_or("");
    let name = source.and_then(|s| s.text(&["name"])).unwrap_or("");
    let at = source.unwrap_or(&ks.val);
    let not_here = |what: &str| {
        (
            GapExtent::Optional,
            at.error(format!(
                "Flux Kustomization `{}` deploys `{path}` from {what}, not from this repository; it is not read",
                ks.name()
            )),
        )
    };
    match kind {
        "GitRepository" if name == OWN_REPOSITORY => repo_path("", path, at).map(Some),
        "ExternalArtifact" => {
            let Some(base) = artifact_dir(known, name, path) else {
                return Err(not_here(&format!("ExternalArtifact `{name}`")));
            };
            repo_path(&base, "", at).map(Some)
        }
        "" => Ok(None),
        _ => Err(not_here(&format!("{kind} `{name}`"))),
    }
}

/// `path` (written relative to the source's root, `./apps/staging`) under `base`.
fn repo_path(base: &str, path: &str, at: &Val) -> Result<String, Gap> {
    let anchor = if base.is_empty() {
        "x".to_string()
    } else {
        format!("{base}/x")
    };
    let joined = join_relative(&anchor, path.trim_start_matches('/')).ok_or_else(|| {
        (
            GapExtent::Source,
            at.error(format!("Flux path `{path}` is outside the repository")),
        )
    })?;
    Ok(joined.trim_end_matches('/').to_string())
}

/// Where in this repository `path` of an ExternalArtifact lies: an ArtifactGenerator's `copy`
/// from `@<alias>/<dir>/**` (the alias being this repository) to `@artifact/<to>` maps
/// `<to>/<rest>` to `<dir>/<rest>`.
fn artifact_dir<'a>(
    known: impl Iterator<Item = &'a Object>,
    artifact: &str,
    path: &str,
) -> Option<String> {
    let path = path.trim_start_matches("./").trim_matches('/');
    for generator in known.filter(|o| o.kind() == "ArtifactGenerator") {
        let spec = generator.val.get("spec")?;
        let own_aliases: Vec<&str> = spec
            .list_at("sources")
            .unwrap_or_default()
            .iter()
            .filter(|s| {
                s.text(&["kind"]) == Some("GitRepository")
                    && s.text(&["name"]) == Some(OWN_REPOSITORY)
            })
            .filter_map(|s| s.text(&["alias"]))
            .collect();
        let artifacts = spec.list_at("artifacts").unwrap_or_default();
        let Some(a) = artifacts
            .iter()
            .find(|a| a.text(&["name"]) == Some(artifact))
        else {
            continue;
        };
        for copy in a.list_at("copy").unwrap_or_default() {
            let (Some(from), Some(to)) = (copy.text(&["from"]), copy.text(&["to"])) else {
                continue;
            };
            let Some((alias, from_dir)) = from.strip_prefix('@').and_then(|f| f.split_once('/'))
            else {
                continue;
            };
            let Some(from_dir) = from_dir.strip_suffix("**") else {
                continue;
            };
            let to_dir = to
                .strip_prefix("@artifact/")
                .unwrap_or("")
                .trim_matches('/');
            if !own_aliases.contains(&alias) {
                continue;
            }
            let rest = if to_dir.is_empty() {
                Some(path)
            } else if path == to_dir {
                Some("")
            } else {
                path.strip_prefix(&format!("{to_dir}/"))
            };
            if let Some(rest) = rest {
                let from_dir = from_dir.trim_matches('/');
                return Some(
                    [from_dir, rest]
                        .iter()
                        .filter(|p| !p.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    None
}

/// A directory as Flux's kustomize-controller builds it: its kustomization, else every
/// manifest below it.
fn render_dir(workspace: &Workspace, dir: &str, ks: &Object) -> Rendered {
    if let Some(kfile) = kustomize::file_in(workspace, dir) {
        return kustomize::build(workspace, &kfile).unwrap_or_else(|e| Rendered {
            gaps: vec![(GapExtent::Source, e)],
            ..Rendered::default()
        });
    }
    let mut out = Rendered::default();
    if workspace.resolve(dir).map(|p| p.is_dir()) != Ok(true) {
        out.gaps.push((
            GapExtent::Source,
            ks.val.error(format!(
                "Flux Kustomization `{}` deploys `{dir}`, which is not a directory of the repository",
                ks.name()
            )),
        ));
        return out;
    }
    walk(workspace, dir, 0, &mut out);
    out
}

fn walk(workspace: &Workspace, dir: &str, depth: usize, out: &mut Rendered) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    for name in workspace.list_dir(dir).unwrap_or_default() {
        let file = crate::discover::join(dir, &name);
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
        let is_manifest = yaml
            && workspace
                .read_text(&file)
                .is_ok_and(|t| crate::discover::kubernetes::looks_like_manifest(&t));
        if is_manifest {
            match manifest::read_file(workspace, &file) {
                Ok(objects) => out.objects.extend(objects),
                Err(e) => out.gaps.push((GapExtent::Source, e)),
            }
        }
    }
    for sub in subdirs(workspace, dir) {
        match kustomize::file_in(workspace, &sub) {
            Some(kfile) => match kustomize::build(workspace, &kfile) {
                Ok(r) => {
                    out.objects.extend(r.objects);
                    out.gaps.extend(r.gaps);
                    out.notes.extend(r.notes);
                }
                Err(e) => out.gaps.push((GapExtent::Source, e)),
            },
            None => walk(workspace, &sub, depth + 1, out),
        }
    }
}

/// Subdirectories inside the root, sorted (hidden ones left out).
fn subdirs(workspace: &Workspace, dir: &str) -> Vec<String> {
    let Ok(path) = workspace.resolve(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .map(|n| crate::discover::join(dir, &n))
        .filter(|rel| workspace.resolve(rel).is_ok())
        .collect();
    out.sort();
    out
}

/// The Kustomization's own `patches` and `targetNamespace`, over what its path rendered.
fn apply_spec(workspace: &Workspace, ks: &Object, rendered: &mut Rendered) {
    let Some(spec) = ks.val.get("spec") else {
        return;
    };
    let kfile = ks.origin().file.to_string();
    let mut targets = patches::Targets::default();
    for entry in spec.list_at("patches").unwrap_or_default() {
        let docs = patches::patch_documents(workspace, &kfile, entry);
        let applied = patches::patches_entry(
            entry,
            docs,
            &mut rendered.objects,
            &mut targets,
            &mut rendered.notes,
        );
        if let Err(e) = applied {
            rendered.gaps.push((GapExtent::Source, e));
        }
    }
    if let Some(ns) = spec.get("targetNamespace") {
        if let Err(e) = transform::namespace(&mut rendered.objects, ns) {
            rendered.gaps.push((GapExtent::Source, e));
        }
    }
}
