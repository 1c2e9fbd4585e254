//! nginx configuration files: parsed with nginx's grammar (`parser`), `include`s followed inside
//! the scanned root (`include`), and the directives that differ between environments turned into
//! `nginx.*` settings (`settings`).
//!
//! When Compose mounts the file into a service, the settings belong to that service (see
//! `sources::attach`); otherwise they are environment-wide.

mod include;
pub mod parser;
mod settings;

use std::collections::BTreeMap;

use crate::error::Result;
use crate::model::{Note, Setting};
use crate::sources::mounts::Mounts;
use crate::sources::Workspace;

/// What reading nginx files gave: settings, and every file read (includes too).
#[derive(Debug, Default)]
pub struct Loaded {
    pub settings: BTreeMap<String, Setting>,
    pub files: Vec<String>,
}

/// Read nginx configuration files into one set of settings. `tops` are the files nginx loads
/// first (a mounted `nginx.conf`, or the `conf.d/*.conf` files the image's own `nginx.conf`
/// includes). `mounts` maps container paths back to the repository for absolute `include`s.
pub fn load(
    workspace: &Workspace,
    tops: &[String],
    mounts: Option<&Mounts>,
    notes: &mut Vec<Note>,
) -> Result<Loaded> {
    let mut files = Vec::new();
    let mut acc = settings::Acc::default();
    for top in tops {
        let directives = include::read_tree(workspace, top, mounts, &mut files, notes)?;
        settings::collect(&directives, &mut acc)?;
    }
    Ok(Loaded {
        settings: acc.finish(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_repo(files: &[(&str, &str)], top: &str) -> Result<Loaded> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let ws = Workspace::open(dir.path()).unwrap();
        load(&ws, &[top.to_string()], None, &mut Vec::new())
    }

    #[test]
    fn includes_inside_the_root_are_followed_with_their_own_lines() {
        let loaded = load_repo(
            &[
                (
                    "nginx/nginx.conf",
                    "events { worker_connections 1024; }\nhttp {\n  include conf.d/*.conf;\n}\n",
                ),
                (
                    "nginx/conf.d/a.conf",
                    "# a\nserver {\n  listen 8080;\n  client_max_body_size 10m;\n}\n",
                ),
                (
                    "nginx/conf.d/b.conf",
                    "upstream app {\n  server app:1;\n}\n",
                ),
                ("nginx/conf.d/readme.txt", "not nginx"),
            ],
            "nginx/nginx.conf",
        )
        .unwrap();
        let s = &loaded.settings;
        assert_eq!(s["nginx.listen"].display(), "8080");
        assert_eq!(
            s["nginx.listen"].origin.to_string(),
            "nginx/conf.d/a.conf:3"
        );
        assert_eq!(s["nginx.client_max_body_size"].origin.line, 4);
        assert_eq!(s["nginx.upstream.app.server_count"].display(), "1");
        assert_eq!(s["nginx.worker_connections"].display(), "1024");
        assert_eq!(
            loaded.files,
            [
                "nginx/nginx.conf",
                "nginx/conf.d/a.conf",
                "nginx/conf.d/b.conf"
            ]
        );
    }

    #[test]
    fn include_cycles_and_escapes_are_errors() {
        let e = load_repo(
            &[
                ("n/a.conf", "include b.conf;\n"),
                ("n/b.conf", "\n\ninclude a.conf;\n"),
            ],
            "n/a.conf",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "n/b.conf:3: `include` cycle: n/a.conf -> n/b.conf -> n/a.conf"
        );
        let e = load_repo(
            &[(
                "n/a.conf",
                "http {\n include ../../../etc/nginx/x.conf;\n}\n",
            )],
            "n/a.conf",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "n/a.conf:2: `include ../../../etc/nginx/x.conf` points outside the scanned directory"
        );
    }

    #[test]
    fn missing_and_container_only_includes_are_noted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("nginx.conf"),
            "http {\n include /etc/nginx/mime.types;\n include missing.conf;\n listen 80;\n}\n",
        )
        .unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let mut notes = Vec::new();
        let loaded = load(&ws, &["nginx.conf".into()], None, &mut notes).unwrap();
        assert_eq!(loaded.settings["nginx.listen"].display(), "80");
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].message.contains("/etc/nginx/mime.types"));
    }
}
