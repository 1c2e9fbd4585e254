//! Walking the repository: every file under the root, `.gitignore` respected, nothing outside
//! the root read.
//!
//! The `ignore` crate's walker would read ignore files itself: those of parent directories
//! (outside the scanned root), the user's global excludes, `~/.gitconfig` and `/etc/gitconfig`,
//! and in-tree ignore files that are symlinks to anything (`/dev/zero`, a FIFO). What is found
//! would then depend on the machine, and a run could hang. So its filters are off, and each
//! directory's `.gitignore` and `.ignore` are read here through the `Workspace` (inside the
//! root, regular files only, bounded) and matched with the crate's own gitignore matcher.

use crate::hash::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::{DirEntry, Match};

use crate::error::{Error, Result};
use crate::sources::Workspace;

/// Ignore files read in each directory, lowest precedence first (as ripgrep and the `ignore`
/// crate order them).
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore"];

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Every file's path relative to the root, `/`-separated, sorted.
    pub files: Vec<String>,
    /// Files whose names are not UTF-8 (shown lossily): envparity names files in UTF-8
    /// everywhere, so these are not read, and said so.
    pub not_utf8: Vec<String>,
    /// Ignore files not read (outside the root through a symlink, not a regular file, too
    /// large), with why.
    pub unread_ignores: Vec<Error>,
}

/// Walk the repository once. Skips hidden entries (except dotenv files), never follows symlinks.
pub fn walk_tree(workspace: &Workspace) -> Result<Walked> {
    let ignores = Arc::new(Ignores::new(workspace.clone()));
    let filter = Arc::clone(&ignores);
    let walker = ignore::WalkBuilder::new(workspace.root())
        // No ignore file is read by the walker (see the module comment).
        .standard_filters(false)
        .follow_links(false)
        .filter_entry(move |e| e.depth() == 0 || (!hidden(e) && !filter.ignored(e)))
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let mut walked = Walked::default();
    for entry in walker {
        let entry = entry.map_err(|e| Error::msg(format!("cannot walk the directory: {e}")))?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(workspace.root()) else {
            continue;
        };
        match relative_name(rel) {
            Some(name) => walked.files.push(name),
            None => walked.not_utf8.push(rel.to_string_lossy().into_owned()),
        }
    }
    walked.files.sort();
    walked.unread_ignores = ignores.unread();
    Ok(walked)
}

/// Hidden entries are skipped, except dotenv files (`.env.production`).
fn hidden(e: &DirEntry) -> bool {
    let name = e.file_name().to_string_lossy();
    name.starts_with('.')
        && !(e.file_type().is_some_and(|t| t.is_file())
            && (name == ".env" || name.starts_with(".env.")))
}

/// `a/b/c` for a relative path, `None` when a component is not UTF-8.
fn relative_name(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Each directory's ignore rules, read on first use: the walker filters a directory's entries
/// only after its parent's, so every ancestor's rules are read before they are needed.
struct Ignores {
    workspace: Workspace,
    by_dir: Mutex<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
    unread: Mutex<Vec<Error>>,
}

impl Ignores {
    fn new(workspace: Workspace) -> Self {
        Ignores {
            workspace,
            by_dir: Mutex::default(),
            unread: Mutex::default(),
        }
    }

    fn unread(&self) -> Vec<Error> {
        std::mem::take(&mut *self.unread.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether an entry is ignored by the rules of its directory or an ancestor's, the nearest
    /// deciding (a `!pattern` deeper down re-includes what a parent ignores).
    fn ignored(&self, entry: &DirEntry) -> bool {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        let root = self.workspace.root();
        let mut dir = entry.path().parent();
        while let Some(d) = dir {
            if let Some(rules) = self.rules_of(d) {
                match rules.matched(entry.path(), is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            if d == root {
                break;
            }
            dir = d.parent();
        }
        false
    }

    fn rules_of(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        let mut by_dir = self.by_dir.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rules) = by_dir.get(dir) {
            return rules.clone();
        }
        let rules = self.read_rules(dir).map(Arc::new);
        by_dir.insert(dir.to_path_buf(), rules.clone());
        rules
    }

    /// The rules of the ignore files in `dir`, read through the workspace.
    fn read_rules(&self, dir: &Path) -> Option<Gitignore> {
        let rel_dir = relative_name(dir.strip_prefix(self.workspace.root()).ok()?)?;
        let mut builder = GitignoreBuilder::new(dir);
        let mut any = false;
        for name in IGNORE_FILES {
            let rel = if rel_dir.is_empty() {
                name.to_string()
            } else {
                format!("{rel_dir}/{name}")
            };
            match self.read_ignore_file(&rel) {
                Ok(Some(text)) => {
                    for line in text.lines() {
                        // A line that is not a valid glob is skipped, as git does.
                        let _ = builder.add_line(None, line);
                    }
                    any = true;
                }
                Ok(None) => {}
                Err(e) => self
                    .unread
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(e),
            }
        }
        any.then(|| builder.build().ok()).flatten()
    }

    /// An ignore file's text; `None` when there is none. Only an entry that is itself a file or
    /// a symlink is looked at, so a directory named `.gitignore` is no ignore file.
    fn read_ignore_file(&self, rel: &str) -> Result<Option<String>> {
        let path = self.workspace.root().join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => return Ok(None),
            Ok(_) => {}
            Err(_) => return Ok(None),
        }
        self.workspace.read_text(rel).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Vec<String> {
        walk_tree(&Workspace::open(dir).unwrap()).unwrap().files
    }

    #[test]
    fn gitignore_rules_apply_by_directory_nearest_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "a.yml",
            "b.log",
            "sub/c.log",
            "sub/keep.log",
            "build/x.yml",
            ".env.prod",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::fs::write(d.join(".gitignore"), "*.log\nbuild/\n").unwrap();
        std::fs::write(d.join("sub/.gitignore"), "!keep.log\n").unwrap();
        assert_eq!(files(d), [".env.prod", "a.yml", "sub/keep.log"]);
    }

    #[cfg(unix)]
    #[test]
    fn ignore_files_outside_the_root_or_not_regular_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.yml"), "").unwrap();
        std::fs::write(outside.path().join("rules"), "a.yml\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("rules"), d.join(".gitignore")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.join(".ignore")).unwrap();
        let walked = walk_tree(&Workspace::open(d).unwrap()).unwrap();
        assert_eq!(walked.files, ["a.yml"]);
        assert_eq!(
            walked.unread_ignores.len(),
            2,
            "{:?}",
            walked.unread_ignores
        );
    }
}
