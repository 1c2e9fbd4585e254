//! Sets `ENVPARITY_VERSION`: the package version, followed by the git revision when built from a
//! git checkout (`0.1.0 (git 6fe3576a1b2c)`). The revision is read from the files under `.git`
//! (HEAD, the ref it names, or packed-refs), so no git process is needed; anything missing or
//! odd leaves the plain version, silently.

use std::path::{Path, PathBuf};

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let full = match revision(&dir) {
        Some(rev) => format!("{version} (git {rev})"),
        None => version,
    };
    println!("cargo:rustc-env=ENVPARITY_VERSION={full}");
    println!("cargo:rerun-if-changed=build.rs");
}

/// The first 12 hex digits of the checked-out commit.
fn revision(manifest_dir: &Path) -> Option<String> {
    let git_dir = git_dir(&manifest_dir.join(".git"))?;
    // A worktree's refs live in the main repository, named by its `commondir` file.
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|| git_dir.clone());
    let head_path = git_dir.join("HEAD");
    watch(&head_path);
    let head = std::fs::read_to_string(&head_path).ok()?;
    let head = head.trim();
    let hash = match head.strip_prefix("ref: ") {
        Some(name) => resolve(&[&git_dir, &common], name.trim())?,
        None => head.to_string(),
    };
    let valid = hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| hash[..12].to_string())
}

/// `.git` is the directory itself, or (worktree, submodule) a file `gitdir: PATH`.
fn git_dir(dot_git: &Path) -> Option<PathBuf> {
    let meta = std::fs::metadata(dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    let text = std::fs::read_to_string(dot_git).ok()?;
    let target = PathBuf::from(text.trim().strip_prefix("gitdir:")?.trim());
    Some(if target.is_absolute() {
        target
    } else {
        dot_git.parent()?.join(target)
    })
}

/// A ref's hash: its loose file in either directory, else its line in `packed-refs`.
fn resolve(dirs: &[&Path], name: &str) -> Option<String> {
    for dir in dirs {
        let loose = dir.join(name);
        watch(&loose);
        if let Ok(text) = std::fs::read_to_string(&loose) {
            return Some(text.trim().to_string());
        }
    }
    for dir in dirs {
        let packed = dir.join("packed-refs");
        watch(&packed);
        let Ok(text) = std::fs::read_to_string(&packed) else {
            continue;
        };
        let found = text.lines().find_map(|line| {
            let (hash, refname) = line.split_once(' ')?;
            (refname == name).then(|| hash.to_string())
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Rebuild when the file changes: a new commit changes the version. A missing file is not
/// watched (cargo would rerun the script on every build).
fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
