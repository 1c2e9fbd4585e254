//! A service's bind mounts, read back from its `volumes.<container path>` settings, so that a
//! path the container sees (`/usr/local/etc/redis/redis.conf`) can be mapped to the file in the
//! repository that Compose mounts there (`redis/redis.conf`).

use crate::model::{Origin, Service};
use crate::sources::join_relative;

/// One bind mount whose source is inside the scanned root.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    /// Path inside the container, without a trailing `/`.
    pub target: String,
    /// Path relative to the scanned root.
    pub source: String,
    /// Where the mount was written.
    pub origin: Origin,
}

/// The bind mounts of one service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mounts {
    pub entries: Vec<Mount>,
}

impl Mounts {
    /// Bind mounts of a service. Named volumes and host paths outside the root are left out:
    /// there is nothing in the repository to read for them.
    pub fn of_service(service: &Service) -> Mounts {
        let mut entries = Vec::new();
        for (key, setting) in &service.settings {
            let Some(target) = key.strip_prefix("volumes.") else {
                continue;
            };
            if !target.starts_with('/') || setting.is_secret() {
                continue;
            }
            let written = setting.display();
            // `./nginx/a.conf:ro` -> `./nginx/a.conf`: options follow the first `:`.
            let source = written.split(':').next().unwrap_or("");
            if !(source.starts_with("./") || source.starts_with("../") || source == ".") {
                continue;
            }
            let Some(source) = join_relative(&setting.origin.file, source) else {
                continue;
            };
            entries.push(Mount {
                target: target.trim_end_matches('/').to_string(),
                source,
                origin: setting.origin.clone(),
            });
        }
        Mounts { entries }
    }

    /// The repository path behind a container path, through the mount that covers it most
    /// closely (a file mount, or a directory mount and the rest of the path).
    pub fn to_repo(&self, container_path: &str) -> Option<String> {
        let path = container_path.trim_end_matches('/');
        self.entries
            .iter()
            .filter_map(|m| {
                if path == m.target {
                    Some((m.target.len(), m.source.clone()))
                } else {
                    let rest = path.strip_prefix(&m.target)?.strip_prefix('/')?;
                    join_relative(&format!("{}/x", m.source), rest).map(|p| (m.target.len(), p))
                }
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, p)| p)
    }

    /// The container path a repository file is mounted at, if it is.
    pub fn target_of(&self, repo_path: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|m| m.source == repo_path)
            .map(|m| m.target.as_str())
    }

    /// Mounts of single files directly inside a container directory.
    pub fn files_in(&self, container_dir: &str) -> Vec<&Mount> {
        let dir = container_dir.trim_end_matches('/');
        self.entries
            .iter()
            .filter(|m| {
                m.target
                    .rsplit_once('/')
                    .is_some_and(|(parent, _)| parent == dir)
            })
            .collect()
    }
}

/// Whether a file name matches a glob with `*` and `?` (as nginx's and redis's `include` use).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with backtracking to the last `*`: linear in practice, never recursive.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Setting;

    fn service(mounts: &[(&str, &str)]) -> Service {
        let mut s = Service::new("svc", Origin::new("deploy/compose.yml", 1));
        for (target, source) in mounts {
            s.settings.insert(
                format!("volumes.{target}"),
                Setting::new("volumes", *source, Origin::new("deploy/compose.yml", 7)),
            );
        }
        s
    }

    #[test]
    fn container_paths_map_back_to_repository_files() {
        let m = Mounts::of_service(&service(&[
            ("/etc/nginx/conf.d/default.conf", "./nginx/lb.conf:ro"),
            ("/usr/local/etc/redis", "../redis/sentinel-1"),
            ("/data", "redis_data"),
            ("/var/run/docker.sock", "/var/run/docker.sock"),
        ]));
        assert_eq!(m.entries.len(), 2);
        assert_eq!(
            m.to_repo("/etc/nginx/conf.d/default.conf").as_deref(),
            Some("deploy/nginx/lb.conf")
        );
        assert_eq!(
            m.to_repo("/usr/local/etc/redis/sentinel.conf").as_deref(),
            Some("redis/sentinel-1/sentinel.conf")
        );
        assert_eq!(m.to_repo("/usr/local/etc/redisx/a.conf"), None);
        assert_eq!(m.to_repo("/data/x"), None);
        assert_eq!(m.files_in("/etc/nginx/conf.d").len(), 1);
        assert_eq!(
            m.target_of("deploy/nginx/lb.conf"),
            Some("/etc/nginx/conf.d/default.conf")
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("*.conf", "default.conf"));
        assert!(glob_match("site-?.conf", "site-a.conf"));
        assert!(!glob_match("*.conf", "default.conf.bak"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("a*b*c", "aXbYbc"));
        assert!(!glob_match("a*b", "a"));
    }
}
