//! Writing an output file (`-o FILE`, `init`) without following symlinks.
//!
//! A scanned repository may hold a symlink where the output goes (`ENVIRONMENTS.md ->
//! ~/.bashrc`, dangling or not). Opening the path would write through it, outside the tree. So
//! a symlink at the target is refused, and the text is written to a new temporary file in the
//! target's real directory (created exclusively: never an existing file or link) and renamed
//! over the target, which replaces a directory entry and never writes through one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes what `write` produces to `target`, replacing a regular file there.
pub fn replace_file(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let name = target.display().to_string();
    let fail = |message: String| Error::in_file(name.clone(), message);
    refuse_existing_non_file(target).map_err(fail)?;
    let (dir, file_name) = real_location(target).map_err(fail)?;
    let temp = dir.join(format!(".{}.{}.tmp", file_name, std::process::id()));
    let written =
        write_new(&temp, write).and_then(|()| std::fs::rename(&temp, dir.join(&file_name)));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(format!("cannot write: {e}")));
    }
    Ok(())
}

/// A symlink (dangling or not), a directory, a FIFO or a device at the target is not replaced.
fn refuse_existing_non_file(target: &Path) -> std::result::Result<(), String> {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => Err(
            "is a symbolic link; envparity does not write through links (remove it or give another path)"
                .into(),
        ),
        Ok(m) if !m.is_file() => Err("exists and is not a regular file; not replaced".into()),
        _ => Ok(()),
    }
}

/// The target's directory, with symlinks resolved, and its file name.
fn real_location(target: &Path) -> std::result::Result<(PathBuf, String), String> {
    let file_name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            "is not a file name envparity can write (empty, `..` or not UTF-8)".to_string()
        })?
        .to_string();
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = parent
        .canonicalize()
        .map_err(|e| format!("cannot write: {}: {e}", parent.display()))?;
    Ok((dir, file_name))
}

/// Creates `path`, which must not exist, and writes to it.
fn write_new(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    write(&mut out)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &'static str) -> impl FnOnce(&mut dyn Write) -> std::io::Result<()> {
        move |w| w.write_all(t.as_bytes())
    }

    #[test]
    fn writes_and_replaces_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.md");
        replace_file(&target, text("one")).unwrap();
        replace_file(&target, text("two")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "two");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_at_the_target_are_refused_dangling_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let live = dir.path().join("live.md");
        std::os::unix::fs::symlink(&victim, &live).unwrap();
        let dangling = dir.path().join("dangling.md");
        std::os::unix::fs::symlink(outside.path().join("new"), &dangling).unwrap();
        for link in [&live, &dangling] {
            let e = replace_file(link, text("x")).unwrap_err();
            assert!(e.message.contains("symbolic link"), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!outside.path().join("new").exists());
    }
}
