//! A repository at a git revision, read from git's object database with gix (no checkout, no
//! git process, nothing written into the repository) into a private temporary directory, which
//! the pipeline then reads like any directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A repository opened for reading its history.
pub struct Repo {
    repo: gix::Repository,
    /// The scanned path relative to the repository's top directory (`""` at the top).
    subpath: PathBuf,
}

/// One commit, as a person reads it in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: gix::ObjectId,
    /// Seconds since the Unix epoch, the committer's time.
    pub time: i64,
    /// The first line of the message.
    pub summary: String,
}

impl CommitInfo {
    /// The first twelve hex digits, as `git log --abbrev=12` shows them.
    pub fn short_id(&self) -> String {
        self.id.to_hex_with_len(12).to_string()
    }
}

/// What a snapshot may write: the largest file, and all files together.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotLimits {
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
}

/// A revision's files in a temporary directory, removed when dropped.
pub struct Snapshot {
    dir: tempfile::TempDir,
    subpath: PathBuf,
}

impl Snapshot {
    /// The scanned path inside the snapshot (the same subdirectory as the scanned PATH).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join(&self.subpath)
    }
}

/// Whether `path` is an `envparity.toml` in a directory at or above `prefix` (both relative to
/// the repository root).
fn policy_above(path: &str, prefix: &str) -> bool {
    let Some(dir) = path.strip_suffix(crate::policy::FILE_NAME) else {
        return false;
    };
    dir.is_empty() || (dir.ends_with('/') && format!("{prefix}/").starts_with(dir))
}

/// File name endings that are never configuration (images, archives, fonts, binaries): left
/// out of a snapshot, which only needs what envparity reads.
const NOT_CONFIGURATION: &[&str] = &[
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".pdf", ".zip", ".gz", ".tgz", ".jar",
    ".war", ".woff", ".woff2", ".ttf", ".eot", ".mp4", ".mp3", ".so", ".dll", ".exe", ".bin",
    ".wasm", ".min.js", ".map",
];

fn git_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::msg(format!("{what}: {e}"))
}

impl Repo {
    /// The repository holding `path` (found upwards from it, as git finds it).
    pub fn discover(path: &Path) -> Result<Repo> {
        let repo = gix::discover(path).map_err(|e| {
            Error::in_file(
                path.display().to_string(),
                format!("not inside a git repository ({e})"),
            )
        })?;
        let top = repo
            .workdir()
            .ok_or_else(|| Error::msg("a bare repository has no work tree to compare with"))?;
        let top = top
            .canonicalize()
            .map_err(|e| git_error("the work tree", e))?;
        let here = path
            .canonicalize()
            .map_err(|e| git_error(&path.display().to_string(), e))?;
        let subpath = here
            .strip_prefix(&top)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        Ok(Repo { repo, subpath })
    }

    /// The commit a revision names (`origin/main`, `HEAD~3`, a hash, a tag).
    pub fn commit(&self, rev: &str) -> Result<CommitInfo> {
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| git_error(&format!("revision `{rev}`"), e))?;
        let object = id
            .object()
            .map_err(|e| git_error(&format!("revision `{rev}`"), e))?;
        let commit = object
            .peel_to_commit()
            .map_err(|e| git_error(&format!("revision `{rev}` is not a commit"), e))?;
        info(&commit)
    }

    /// The first parent of a commit, if it has one.
    pub fn first_parent(&self, id: gix::ObjectId) -> Result<Option<CommitInfo>> {
        let commit = self.find_commit(id)?;
        let parent = commit.parent_ids().next().map(|p| p.detach());
        match parent {
            Some(parent) => Ok(Some(info(&self.find_commit(parent)?)?)),
            None => Ok(None),
        }
    }

    fn find_commit(&self, id: gix::ObjectId) -> Result<gix::Commit<'_>> {
        self.repo
            .find_commit(id)
            .map_err(|e| git_error(&format!("commit {id}"), e))
    }

    /// Every regular file of a commit's tree under the scanned path, and the policy files in
    /// the directories above it (a project inherits the root's), with its blob id.
    fn files(&self, id: gix::ObjectId) -> Result<BTreeMap<String, gix::ObjectId>> {
        let tree = self
            .find_commit(id)?
            .tree()
            .map_err(|e| git_error(&format!("the tree of commit {id}"), e))?;
        let entries = tree
            .traverse()
            .breadthfirst
            .files()
            .map_err(|e| git_error(&format!("the tree of commit {id}"), e))?;
        let prefix = self.subpath.to_string_lossy().replace('\\', "/");
        Ok(entries
            .into_iter()
            .filter(|e| e.mode.is_blob())
            .filter_map(|e| {
                let path = String::from_utf8(e.filepath.to_vec()).ok()?;
                let inside = prefix.is_empty()
                    || path
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/'));
                (inside || policy_above(&path, &prefix)).then_some((path, e.oid))
            })
            .collect())
    }

    /// The configuration files of a commit (as discovery recognises them) and their blob ids:
    /// equal maps mean the commit changed no configuration.
    pub fn configuration(&self, id: gix::ObjectId) -> Result<BTreeMap<String, gix::ObjectId>> {
        let mut files = self.files(id)?;
        files.retain(|path, _| crate::discover::looks_like_configuration(path));
        Ok(files)
    }

    /// Write a commit's files (all but images, archives and the like, each at most
    /// `max_file_bytes`, together at most `max_total_bytes`) into a new temporary directory.
    pub fn snapshot(&self, id: gix::ObjectId, limits: SnapshotLimits) -> Result<Snapshot> {
        let dir = tempfile::Builder::new()
            .prefix("envparity-rev-")
            .tempdir()
            .map_err(|e| git_error("a temporary directory", e))?;
        let mut written = 0u64;
        for (path, blob) in self.files(id)? {
            let lower = path.to_ascii_lowercase();
            if NOT_CONFIGURATION.iter().any(|end| lower.ends_with(end)) {
                continue;
            }
            let Some(target) = safe_join(dir.path(), &path) else {
                continue;
            };
            let size = self
                .repo
                .find_header(blob)
                .map_err(|e| git_error(&path, e))?
                .size();
            if size > limits.max_file_bytes {
                continue;
            }
            written += size;
            if written > limits.max_total_bytes {
                return Err(Error::msg(format!(
                    "commit {}: its files exceed {} bytes (--max-total-size)",
                    id.to_hex_with_len(12),
                    limits.max_total_bytes
                )));
            }
            let data = self
                .repo
                .find_blob(blob)
                .map_err(|e| git_error(&path, e))?
                .detach()
                .data;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| git_error(&path, e))?;
            }
            std::fs::write(&target, data).map_err(|e| git_error(&path, e))?;
        }
        Ok(Snapshot {
            dir,
            subpath: self.subpath.clone(),
        })
    }
}

fn info(commit: &gix::Commit<'_>) -> Result<CommitInfo> {
    let time = commit
        .time()
        .map_err(|e| git_error(&format!("commit {}", commit.id), e))?;
    let summary = commit
        .message()
        .map(|m| m.summary().to_string())
        .unwrap_or_default();
    Ok(CommitInfo {
        id: commit.id,
        time: time.seconds,
        summary,
    })
}

/// `root/a/b` for a tree path `a/b`; `None` for a path a hostile tree could use to escape the
/// directory (`..`, an absolute path, a `.git` component, a NUL or backslash).
fn safe_join(root: &Path, path: &str) -> Option<PathBuf> {
    let mut out = root.to_path_buf();
    for part in path.split('/') {
        let bad = part.is_empty()
            || part == "."
            || part == ".."
            || part.eq_ignore_ascii_case(".git")
            || part.contains(['\0', '\\', ':']);
        if bad {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policies_above_the_scanned_path_are_kept() {
        assert!(policy_above("envparity.toml", "apps/api"));
        assert!(policy_above("apps/envparity.toml", "apps/api"));
        assert!(policy_above("apps/api/envparity.toml", "apps/api"));
        assert!(!policy_above("apps/web/envparity.toml", "apps/api"));
        assert!(!policy_above("ap/envparity.toml", "apps/api"));
        assert!(!policy_above("apps/myenvparity.toml", "apps/api"));
        assert!(!policy_above("apps/api/values.yaml", "apps/api"));
    }

    #[test]
    fn tree_paths_cannot_leave_the_snapshot() {
        let root = Path::new("/tmp/snap");
        assert_eq!(
            safe_join(root, "deploy/values.yaml"),
            Some(PathBuf::from("/tmp/snap/deploy/values.yaml"))
        );
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            ".git/config",
            "a//b",
            "C:x",
            "a\\..\\b",
        ] {
            assert_eq!(safe_join(root, bad), None, "{bad}");
        }
    }
}
