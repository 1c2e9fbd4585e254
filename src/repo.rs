//! Where the scanned path sits in its git repository.
//!
//! Code-scanning tools resolve SARIF paths against the repository root, so a scan of
//! `examples/hazards` must name `examples/hazards/docker-compose.yml`, not `docker-compose.yml`.
//! Only the presence of a `.git` entry is looked at (no git process is run). The one file read
//! outside PATH is the policy, `envparity.toml`, looked for in the directories between PATH and
//! its repository root (see [`directories_above`]).

use std::path::{Path, PathBuf};

/// The nearest directory at or above `path` holding a `.git` directory or file (a worktree or
/// submodule has a `.git` file).
pub fn root_of(path: &Path) -> Option<PathBuf> {
    let start = path.canonicalize().ok()?;
    start
        .ancestors()
        .find(|dir| dir.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

/// The directories above `path` up to and including its repository root, nearest first, each
/// with its path relative to `path` (`..`, `../..`). Empty outside a repository, or at its root.
pub fn directories_above(path: &Path) -> Vec<(PathBuf, String)> {
    let (Some(root), Ok(start)) = (root_of(path), path.canonicalize()) else {
        return Vec::new();
    };
    start
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(&root))
        .enumerate()
        .map(|(i, dir)| (dir.to_path_buf(), vec![".."; i + 1].join("/")))
        .collect()
}

/// `path` relative to its repository root, with `/` separators and a trailing `/`; empty at the
/// root itself or outside any repository.
pub fn prefix_in_repo(path: &Path) -> String {
    let (Some(root), Ok(full)) = (root_of(path), path.canonicalize()) else {
        return String::new();
    };
    let Ok(relative) = full.strip_prefix(&root) else {
        return String::new();
    };
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("{}/", parts.join("/"))
    }
}

/// A path relative to the scanned path, as a path relative to the repository root: `prefix`
/// (from [`prefix_in_repo`]) joined with `file`, `..` parts resolved (the policy a project
/// inherits is `../../envparity.toml`), so that code-scanning tools find the file.
pub fn in_repo(prefix: &str, file: &str) -> String {
    if !file.contains("..") {
        return format!("{prefix}{file}");
    }
    let mut parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
    let mut outside = 0usize;
    for part in file.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    outside += 1;
                }
            }
            p => parts.push(p),
        }
    }
    let mut out = "../".repeat(outside);
    out.push_str(&parts.join("/"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_above_the_scanned_path_resolve_in_the_repository() {
        assert_eq!(in_repo("apps/api/", "compose.yml"), "apps/api/compose.yml");
        assert_eq!(
            in_repo("apps/api/", "../../envparity.toml"),
            "envparity.toml"
        );
        assert_eq!(
            in_repo("apps/api/", "../envparity.toml"),
            "apps/envparity.toml"
        );
        assert_eq!(in_repo("", "../envparity.toml"), "../envparity.toml");
        assert_eq!(in_repo("", "compose.yml"), "compose.yml");
    }

    #[test]
    fn prefix_of_a_subdirectory_of_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let sub = dir.path().join("examples").join("hazards");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(prefix_in_repo(&sub), "examples/hazards/");
        assert_eq!(prefix_in_repo(dir.path()), "");
        assert_eq!(root_of(&sub).unwrap(), dir.path().canonicalize().unwrap());
    }

    #[test]
    fn directories_above_stop_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let sub = repo.join("apps").join("shop");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir(repo.join(".git")).unwrap();
        let repo = repo.canonicalize().unwrap();
        assert_eq!(
            directories_above(&sub),
            vec![
                (repo.join("apps"), "..".to_string()),
                (repo.clone(), "../..".to_string())
            ]
        );
        assert!(directories_above(&repo).is_empty());
        assert!(
            directories_above(dir.path()).is_empty(),
            "outside a repository"
        );
    }

    #[test]
    fn a_worktree_git_file_marks_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".git"), "gitdir: elsewhere\n").unwrap();
        std::fs::create_dir(dir.path().join("deploy")).unwrap();
        assert_eq!(prefix_in_repo(&dir.path().join("deploy")), "deploy/");
    }
}
