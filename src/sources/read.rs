//! Opening and reading one file without trusting it: only regular files are read (a FIFO, a
//! socket or a device can block forever or never end), opened without blocking, and read
//! through a bounded reader (a device reports length 0 whatever it holds).

use std::fs::{File, FileType};
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// What a file that is not a regular file is, to name it in the error.
pub fn special_kind(file_type: FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("is a directory, expected a file");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("is a named pipe (FIFO), not a regular file; not read");
        }
        if file_type.is_socket() {
            return Some("is a socket, not a regular file; not read");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some("is a device, not a regular file; not read");
        }
    }
    Some("is not a regular file; not read")
}

/// The bytes of the regular file at `path` (`name` in errors), at most `max` of them.
pub fn read_bounded(path: &Path, name: &str, max: u64) -> Result<Vec<u8>> {
    let cannot = |e: std::io::Error| Error::in_file(name, format!("cannot read: {e}"));
    // Refused before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if let Some(kind) = special_kind(meta.file_type()) {
        return Err(Error::in_file(name, kind));
    }
    if meta.len() > max {
        return Err(too_large(name, Some(meta.len()), max));
    }
    let file = open_nonblocking(path).map_err(cannot)?;
    // The path may have been replaced between the check and the open: check what was opened.
    let meta = file.metadata().map_err(cannot)?;
    if let Some(kind) = special_kind(meta.file_type()) {
        return Err(Error::in_file(name, kind));
    }
    let capacity = meta.len().min(max);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(too_large(name, None, max));
    }
    Ok(bytes)
}

fn too_large(name: &str, size: Option<u64>, max: u64) -> Error {
    let size = size.map_or_else(String::new, |s| format!("{s} bytes, "));
    Error::in_file(
        name,
        format!("is {size}over the {max} byte limit for one file (raise it with --max-file-size)"),
    )
}

/// Opens for reading with `O_NONBLOCK` on Unix: if a FIFO slips in after the type check, the
/// open returns at once instead of waiting for a writer (reads of a regular file never block).
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read_bounded(&path, "a", 5).unwrap(), b"12345");
        assert_eq!(
            read_bounded(&path, "a", 4).unwrap_err().to_string(),
            "a: is 5 bytes, over the 4 byte limit for one file (raise it with --max-file-size)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        let e = read_bounded(Path::new("/dev/zero"), "z", 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "z: is a device, not a regular file; not read"
        );
        let e = read_bounded(Path::new("/"), "d", 10).unwrap_err();
        assert_eq!(e.to_string(), "d: is a directory, expected a file");
    }
}
