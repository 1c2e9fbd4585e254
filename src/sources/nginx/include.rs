//! Following nginx's `include` inside the scanned root.
//!
//! nginx resolves a relative `include` against its configuration prefix (the directory of the
//! main `nginx.conf`, `/etc/nginx` in the official image). In a repository that is the directory
//! of the file read first; when Compose mounts the files, container paths are mapped back through
//! the service's mounts. A path the repository does not hold (`/etc/nginx/mime.types`, shipped
//! with the image) is noted and skipped; a path that leaves the root is an error. Cycles and
//! chains deeper than `MAX_INCLUDE_DEPTH` are errors.

use super::parser::{self, Directive};
use crate::error::{Error, Result};
use crate::model::{Note, Origin};
use crate::sources::mounts::{glob_match, Mounts};
use crate::sources::{join_relative, Workspace};

/// Longest chain of nested includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// nginx's configuration prefix in the official image.
const CONTAINER_PREFIX: &str = "/etc/nginx";

/// Parse `top` and splice every `include` in place. `files` collects each file read.
pub fn read_tree(
    workspace: &Workspace,
    top: &str,
    mounts: Option<&Mounts>,
    files: &mut Vec<String>,
    notes: &mut Vec<Note>,
) -> Result<Vec<Directive>> {
    let mut stack = vec![top.to_string()];
    let text = workspace.read_text(top)?;
    if !files.iter().any(|f| f == top) {
        files.push(top.to_string());
    }
    let directives = parser::parse(&text, top)?;
    let ctx = Ctx {
        workspace,
        top,
        mounts,
    };
    expand(&ctx, directives, &mut stack, files, notes, 0)
}

struct Ctx<'a> {
    workspace: &'a Workspace,
    top: &'a str,
    mounts: Option<&'a Mounts>,
}

fn expand(
    ctx: &Ctx,
    directives: Vec<Directive>,
    stack: &mut Vec<String>,
    files: &mut Vec<String>,
    notes: &mut Vec<Note>,
    nesting: usize,
) -> Result<Vec<Directive>> {
    let mut out = Vec::with_capacity(directives.len());
    for mut d in directives {
        if d.name == "include" && d.block.is_none() {
            let [pattern] = d.args.as_slice() else {
                return Err(Error::at(
                    &d.file,
                    d.line,
                    "`include` takes exactly one path",
                ));
            };
            for file in resolve(ctx, &d, pattern, notes)? {
                if let Some(pos) = stack.iter().position(|f| *f == file) {
                    let mut chain: Vec<&str> = stack[pos..].iter().map(String::as_str).collect();
                    chain.push(&file);
                    return Err(Error::at(
                        &d.file,
                        d.line,
                        format!("`include` cycle: {}", chain.join(" -> ")),
                    ));
                }
                if stack.len() >= MAX_INCLUDE_DEPTH {
                    return Err(Error::at(
                        &d.file,
                        d.line,
                        format!("`include`s nest deeper than {MAX_INCLUDE_DEPTH} files"),
                    ));
                }
                let text = ctx.workspace.read_text(&file).map_err(|e| {
                    let named = if file.is_empty() { "." } else { file.as_str() };
                    Error::at(
                        &d.file,
                        d.line,
                        format!("include `{pattern}`: {named}: {}", e.message),
                    )
                })?;
                if !files.contains(&file) {
                    files.push(file.clone());
                }
                let included = parser::parse(&text, &file)?;
                // Depth is capped, fan-out is not: a file included twice at every level is
                // spliced 2^depth times, so every spliced directive counts against the run.
                ctx.workspace
                    .charge_rendered(&file, included.len() as u64 + 1)?;
                stack.push(file);
                let included = expand(ctx, included, stack, files, notes, nesting)?;
                stack.pop();
                out.extend(included);
            }
            continue;
        }
        if let Some(children) = d.block.take() {
            if nesting >= parser::MAX_DEPTH {
                return Err(Error::at(
                    &d.file,
                    d.line,
                    format!("blocks nest deeper than {} levels", parser::MAX_DEPTH),
                ));
            }
            d.block = Some(expand(ctx, children, stack, files, notes, nesting + 1)?);
        }
        out.push(d);
    }
    Ok(out)
}

/// The repository files an `include` names, in nginx's order (sorted, for globs).
fn resolve(ctx: &Ctx, d: &Directive, pattern: &str, notes: &mut Vec<Note>) -> Result<Vec<String>> {
    let at = Origin::new(&d.file, d.line);
    let container_path = if pattern.starts_with('/') {
        Some(pattern.to_string())
    } else if ctx.mounts.and_then(|m| m.target_of(ctx.top)).is_some() {
        Some(format!("{CONTAINER_PREFIX}/{pattern}"))
    } else {
        None
    };
    let has_glob = pattern.contains(['*', '?']);
    // Through the mounts first: that is what the container sees.
    if let (Some(path), Some(mounts)) = (&container_path, ctx.mounts) {
        let found = if has_glob {
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            let mut found: Vec<(String, String)> = mounts
                .files_in(dir)
                .into_iter()
                .filter(|m| glob_match(name, m.target.rsplit('/').next().unwrap_or("")))
                .map(|m| (m.target.clone(), m.source.clone()))
                .collect();
            if let Some(repo_dir) = mounts.to_repo(dir) {
                for file in ctx.workspace.list_dir(&repo_dir).unwrap_or_default() {
                    if glob_match(name, &file) {
                        found.push((format!("{dir}/{file}"), format!("{repo_dir}/{file}")));
                    }
                }
            }
            found.sort();
            found.dedup_by(|a, b| a.0 == b.0);
            found.into_iter().map(|(_, repo)| repo).collect()
        } else {
            mounts.to_repo(path).into_iter().collect::<Vec<_>>()
        };
        if !found.is_empty() {
            return Ok(found);
        }
    }
    if pattern.starts_with('/') {
        notes.push(Note::at(
            at,
            format!(
                "`include {pattern}` names a path inside the container that the repository does not provide; its directives are not read"
            ),
        ));
        return Ok(Vec::new());
    }
    let Some(rel) = join_relative(ctx.top, pattern) else {
        return Err(Error::at(
            &d.file,
            d.line,
            format!("`include {pattern}` points outside the scanned directory"),
        ));
    };
    if has_glob {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
        if dir.contains(['*', '?']) {
            return Err(Error::at(
                &d.file,
                d.line,
                "`include`: wildcards are only read in the file name",
            ));
        }
        let listed = match ctx.workspace.list_dir(dir) {
            Ok(files) => files,
            Err(e) if e.message.contains("outside") => {
                return Err(Error::at(
                    &d.file,
                    d.line,
                    format!("`include {pattern}`: {}", e.message),
                ))
            }
            Err(_) => Vec::new(),
        };
        return Ok(listed
            .into_iter()
            .filter(|f| glob_match(name, f))
            .map(|f| {
                if dir.is_empty() {
                    f
                } else {
                    format!("{dir}/{f}")
                }
            })
            .collect());
    }
    match ctx.workspace.resolve(&rel) {
        Ok(_) => Ok(vec![rel]),
        Err(e) if e.message.contains("outside") => Err(Error::at(
            &d.file,
            d.line,
            format!("`include {pattern}` points outside the scanned directory"),
        )),
        Err(_) => {
            notes.push(Note::at(
                at,
                format!("`include {pattern}`: `{rel}` is not in the repository; its directives are not read"),
            ));
            Ok(Vec::new())
        }
    }
}
