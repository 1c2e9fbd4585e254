//! Readers of configuration formats, each turning files into the model.
//!
//! Sources only read: every file goes through `Workspace`, which keeps reads inside the scanned
//! root, bounds their size and names the file in every error. Sources know nothing of reports.

pub mod appconfig;
pub mod attach;
pub mod command;
pub mod compose;
pub mod dotenv;
pub mod envfiles;
pub mod kubernetes;
pub mod mounts;
pub mod nginx;
pub mod serverconf;
pub mod terraform;
pub mod tree;
pub mod units;

use std::path::{Component, Path, PathBuf};

use crate::discover::{Plan, SourceKind};
use crate::error::{Error, Result};
use crate::model::{Environment, Note, Scan};

/// Default largest file read: configuration files are small; anything bigger is a mistake or an
/// attack on the CI runner.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The scanned repository, read-only.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    canonical_root: PathBuf,
    pub max_file_bytes: u64,
}

impl Workspace {
    pub fn open(root: &Path) -> Result<Self> {
        let canonical_root = root.canonicalize().map_err(|e| {
            Error::in_file(
                root.display().to_string(),
                format!("cannot open directory: {e}"),
            )
        })?;
        if !canonical_root.is_dir() {
            return Err(Error::in_file(
                root.display().to_string(),
                "is not a directory (give the repository's root directory)",
            ));
        }
        Ok(Workspace {
            root: root.to_path_buf(),
            canonical_root,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolve `relative` (a path relative to the root, `/`-separated) to a file inside the
    /// root. Rejects absolute paths, `..` escapes and symlinks pointing outside.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf> {
        self.locate(relative)?
            .ok_or_else(|| Error::in_file(relative, "file not found"))
    }

    /// Like `resolve`, but a path that does not exist is `Ok(None)`: absent is not refused.
    pub fn locate(&self, relative: &str) -> Result<Option<PathBuf>> {
        let rel = Path::new(relative);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        {
            return Err(Error::in_file(
                relative,
                "absolute paths are not read; give a path inside the scanned directory",
            ));
        }
        let joined = self.canonical_root.join(rel);
        let canonical = match joined.canonicalize() {
            Ok(c) => c,
            // A dangling symlink is absent too, unless it points outside the root.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return match std::fs::read_link(&joined) {
                    Ok(target) if !joined.parent().unwrap_or(&joined).join(&target).starts_with(&self.canonical_root) => Err(
                        Error::in_file(relative, "points outside the scanned directory; envparity reads nothing outside it"),
                    ),
                    _ => Ok(None),
                };
            }
            Err(e) => return Err(Error::in_file(relative, format!("cannot read: {e}"))),
        };
        if !canonical.starts_with(&self.canonical_root) {
            return Err(Error::in_file(
                relative,
                "points outside the scanned directory; envparity reads nothing outside it",
            ));
        }
        Ok(Some(canonical))
    }

    /// Read a UTF-8 text file inside the root.
    pub fn read_text(&self, relative: &str) -> Result<String> {
        let path = self.resolve(relative)?;
        let meta = std::fs::metadata(&path)
            .map_err(|e| Error::in_file(relative, format!("cannot read: {e}")))?;
        if meta.is_dir() {
            return Err(Error::in_file(relative, "is a directory, expected a file"));
        }
        if meta.len() > self.max_file_bytes {
            return Err(Error::in_file(
                relative,
                format!(
                    "is {} bytes, over the {} byte limit for one file (raise it with --max-file-size)",
                    meta.len(),
                    self.max_file_bytes
                ),
            ));
        }
        let bytes = std::fs::read(&path)
            .map_err(|e| Error::in_file(relative, format!("cannot read: {e}")))?;
        // The size may have changed since the metadata call; the limit holds either way.
        if bytes.len() as u64 > self.max_file_bytes {
            return Err(Error::in_file(
                relative,
                "grew past the file size limit while read",
            ));
        }
        if bytes.contains(&0) {
            return Err(Error::in_file(
                relative,
                "is a binary file (contains NUL bytes), expected text",
            ));
        }
        String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32;
            Error::at(relative, line, "is not valid UTF-8 text")
        })
    }

    /// The names of the files directly inside a directory of the root, sorted. Used for
    /// `include dir/*.conf`: entries that resolve outside the root are left out.
    pub fn list_dir(&self, relative: &str) -> Result<Vec<String>> {
        let dir = if relative.is_empty() {
            self.canonical_root.clone()
        } else {
            self.resolve(relative)?
        };
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| Error::in_file(relative, format!("cannot list the directory: {e}")))?;
        let mut names = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if relative.is_empty() {
                name.clone()
            } else {
                format!("{}/{name}", relative.trim_end_matches('/'))
            };
            if self.is_file(&rel) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether a relative path names an existing file inside the root.
    pub fn is_file(&self, relative: &str) -> bool {
        self.resolve(relative).map(|p| p.is_file()).unwrap_or(false)
    }
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    let newlines = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    u32::try_from(newlines)
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// Join a file's directory and a path written inside it (`./nginx/a.conf` from
/// `deploy/docker-compose.yml`), normalising `.` and `..` lexically. `None` if it leaves the root.
pub fn join_relative(base_file: &str, written: &str) -> Option<String> {
    let mut parts: Vec<&str> = base_file.split('/').collect();
    parts.pop();
    for part in written.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Read every environment of a plan into the model.
///
/// Environments are read in parallel (each on its own thread when cores allow); results, notes
/// and the first error are taken in plan order, so output never depends on thread scheduling.
pub fn load(workspace: &Workspace, plan: &Plan) -> Result<Scan> {
    use rayon::prelude::*;
    let env_names: Vec<String> = plan.environments.iter().map(|e| e.name.clone()).collect();
    let loaded: Vec<Result<(Environment, Vec<Note>)>> = plan
        .environments
        .par_iter()
        .map(|env| {
            let mut notes = Vec::new();
            let environment = load_environment(workspace, env, &env_names, &mut notes)?;
            Ok((environment, notes))
        })
        .collect();
    let mut notes: Vec<Note> = plan.notes.clone();
    let mut environments = Vec::with_capacity(plan.environments.len());
    for result in loaded {
        let (environment, env_notes) = result?;
        notes.extend(env_notes);
        environments.push(environment);
    }
    notes.sort();
    notes.dedup();
    Ok(Scan {
        environments,
        notes,
    })
}

/// Read one environment of a plan.
fn load_environment(
    workspace: &Workspace,
    env: &crate::discover::EnvPlan,
    env_names: &[String],
    notes: &mut Vec<Note>,
) -> Result<Environment> {
    let mut environment = Environment::new(env.name.clone());
    environment.files = env.files();
    // Files mounted into services are theirs; the same file found by name is not read twice.
    let mut mounted: Vec<String> = Vec::new();
    let mut sources: Vec<_> = env.sources.iter().collect();
    sources.sort_by_key(|s| s.kind);
    // Kubernetes-family sources are read together: a LimitRange or an HPA in one file
    // applies to workloads in another.
    let mut kubernetes_sources = Vec::new();
    for source in sources {
        let unmounted = || -> Vec<String> {
            source
                .files
                .iter()
                .filter(|f| !mounted.contains(f))
                .cloned()
                .collect()
        };
        match source.kind {
            SourceKind::Compose => {
                compose::load(workspace, &source.files, &mut environment, notes)?;
                mounted = attach::attach(workspace, &mut environment, notes)?;
            }
            SourceKind::Terraform => {
                terraform::load(workspace, &source.files, &mut environment, notes)?
            }
            SourceKind::Dotenv => envfiles::load(workspace, &source.files, &mut environment)?,
            SourceKind::AppConfig => appconfig::load(workspace, &source.files, &mut environment)?,
            SourceKind::Nginx => {
                let tops = unmounted();
                if !tops.is_empty() {
                    let loaded = nginx::load(workspace, &tops, None, notes)?;
                    environment.settings.extend(loaded.settings);
                    add_files(&mut environment.files, loaded.files);
                }
            }
            SourceKind::PostgresConf | SourceKind::RedisConf => {
                let server = if source.kind == SourceKind::PostgresConf {
                    serverconf::Server::Postgres
                } else {
                    serverconf::Server::Redis
                };
                for file in unmounted() {
                    let loaded = serverconf::load(workspace, &file, server, None, notes)?;
                    environment.settings.extend(loaded.settings);
                    add_files(&mut environment.files, loaded.files);
                }
            }
            SourceKind::Kubernetes | SourceKind::Kustomize | SourceKind::HelmValues => {
                kubernetes_sources.push(source)
            }
        }
    }
    add_files(&mut environment.files, mounted);
    if !kubernetes_sources.is_empty() {
        kubernetes::load(
            workspace,
            &kubernetes_sources,
            env_names,
            &mut environment,
            notes,
        )?;
    }
    Ok(environment)
}

/// Add files read along the way (mounted, included) to an environment's list, once each.
fn add_files(files: &mut Vec<String>, more: Vec<String>) {
    for f in more {
        if !files.contains(&f) {
            files.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_relative_normalises_and_refuses_escape() {
        assert_eq!(
            join_relative("docker-compose.yml", "./.env").as_deref(),
            Some(".env")
        );
        assert_eq!(
            join_relative("deploy/compose.yml", "../nginx/a.conf").as_deref(),
            Some("nginx/a.conf")
        );
        assert_eq!(join_relative("compose.yml", "../../etc/passwd"), None);
    }

    #[test]
    fn workspace_refuses_paths_outside_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yml"), "x: 1").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        assert_eq!(ws.read_text("a.yml").unwrap(), "x: 1");
        let e = ws.read_text("../outside.yml").unwrap_err();
        assert!(
            e.message.contains("not found") || e.message.contains("outside"),
            "{e}"
        );
        assert!(ws
            .read_text("/etc/passwd")
            .unwrap_err()
            .message
            .contains("absolute"));
        assert_eq!(
            ws.read_text("missing.yml").unwrap_err().to_string(),
            "missing.yml: file not found"
        );
    }

    #[test]
    fn workspace_rejects_binary_invalid_utf8_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bin"), b"a\0b").unwrap();
        std::fs::write(dir.path().join("latin1"), b"ok\n\xff\n").unwrap();
        std::fs::write(dir.path().join("big"), vec![b'a'; 100]).unwrap();
        let mut ws = Workspace::open(dir.path()).unwrap();
        ws.max_file_bytes = 50;
        assert!(ws.read_text("bin").unwrap_err().message.contains("binary"));
        assert_eq!(
            ws.read_text("latin1").unwrap_err().to_string(),
            "latin1:2: is not valid UTF-8 text"
        );
        assert!(ws.read_text("big").unwrap_err().message.contains("limit"));
    }
}
