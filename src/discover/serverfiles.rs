//! nginx, postgresql.conf and redis.conf files whose name or directory names an environment:
//! `nginx/load_balancer_staging.conf`, `postgresql.prod.conf`, `deploy/staging/redis.conf`.
//! Files without an environment in their name are read only where Compose mounts them (see
//! `sources::attach`) or where `envparity.toml` binds them.

use std::collections::BTreeMap;

use super::{env_word_in, Candidate, SourceKind};

/// Whether a `.conf` file is an nginx file: named so, or under a directory named so.
fn is_nginx(path: &str) -> bool {
    path.ends_with(".conf") && path.to_ascii_lowercase().contains("nginx")
}

pub fn find(files: &[String]) -> Vec<Candidate> {
    let mut groups: BTreeMap<(String, SourceKind), Vec<&String>> = BTreeMap::new();
    for f in files {
        let (dir, name) = f.rsplit_once('/').unwrap_or(("", f.as_str()));
        let kind = SourceKind::of_file(name);
        let kind = match kind {
            SourceKind::PostgresConf | SourceKind::RedisConf => kind,
            SourceKind::Nginx if is_nginx(f) => kind,
            _ => continue,
        };
        let stem = name.strip_suffix(".conf").unwrap_or(name);
        let env = env_word_in(stem).or_else(|| dir.rsplit('/').next().and_then(env_word_in));
        if let Some(env) = env {
            groups.entry((env.to_string(), kind)).or_default().push(f);
        }
    }
    groups
        .into_iter()
        .map(|((env, kind), found)| {
            // Several nginx files for one environment: its `nginx.conf` includes the others.
            let files: Vec<String> = match found
                .iter()
                .find(|f| f.ends_with("/nginx.conf") || f.as_str() == "nginx.conf")
            {
                Some(main) if kind == SourceKind::Nginx => vec![(*main).clone()],
                _ => found.iter().map(|f| (*f).clone()).collect(),
            };
            let reason = format!("`{}` is named after the environment", files.join("`, `"));
            Candidate::for_env(env, kind, files, reason)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_directories() {
        let files: Vec<String> = [
            "nginx/load_balancer.conf",
            "nginx/load_balancer_staging.conf",
            "postgres/postgresql.prod.conf",
            "deploy/staging/redis.conf",
            "redis/sentinel-1/sentinel.conf",
            "app/logging.staging.conf",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c: Vec<(String, SourceKind, Vec<String>)> = find(&files)
            .into_iter()
            .map(|c| (c.env, c.source.kind, c.source.files))
            .collect();
        assert_eq!(
            c,
            vec![
                (
                    "prod".into(),
                    SourceKind::PostgresConf,
                    vec!["postgres/postgresql.prod.conf".into()]
                ),
                (
                    "staging".into(),
                    SourceKind::Nginx,
                    vec!["nginx/load_balancer_staging.conf".into()]
                ),
                (
                    "staging".into(),
                    SourceKind::RedisConf,
                    vec!["deploy/staging/redis.conf".into()]
                ),
            ]
        );
    }
}
