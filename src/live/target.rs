//! Which running server to read for which environment: `--pg ENV=URL`, `--redis ENV=URL`, or
//! `[live]` in envparity.toml. A URL may name an environment variable instead (`env:NAME`), so
//! no password needs to be written on a command line or in a file.
//!
//! A target never shows its URL: only the environment, the kind of server and `host:port`.
//! `redact` removes the password (and the URL itself) from any text, such as a driver's error.

use serde::Serialize;

/// The kind of server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    Postgres,
    Redis,
}

impl ServerKind {
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Postgres => "PostgreSQL",
            ServerKind::Redis => "Redis",
        }
    }

    /// The settings namespace the declared configuration uses (`postgres.*`, `redis.*`).
    pub fn namespace(self) -> &'static str {
        match self {
            ServerKind::Postgres => "postgres",
            ServerKind::Redis => "redis",
        }
    }
}

/// One server to read.
#[derive(Clone)]
pub struct Target {
    /// Canonical environment name (`production`, `staging`).
    pub environment: String,
    pub kind: ServerKind,
    /// The declared service the server runs (`[live] service`), when stated; otherwise the
    /// service is found by role.
    pub service: Option<String>,
    /// The connection URL, resolved from `env:NAME`. Never printed.
    url: String,
    /// Where the URL came from, for messages: `--pg`, `envparity.toml:12`, `env:PROD_DB`.
    pub source: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("environment", &self.environment)
            .field("kind", &self.kind)
            .field("service", &self.service)
            .field("url", &"***")
            .field("source", &self.source)
            .finish()
    }
}

impl Target {
    /// A target from `ENV=URL` (the command line). `origin` names where it was written.
    pub fn parse(kind: ServerKind, spec: &str, origin: &str) -> Result<Target, String> {
        let Some((env, url)) = spec.split_once('=') else {
            return Err(format!(
                "{origin}: expected ENV=URL (for example staging=env:STAGING_DATABASE_URL)"
            ));
        };
        let env = env.trim();
        if env.is_empty() {
            return Err(format!("{origin}: the environment name is empty"));
        }
        Target::new(kind, env, url.trim(), None, origin)
    }

    /// A target from its parts; `url` may be `env:NAME`.
    pub fn new(
        kind: ServerKind,
        environment: &str,
        url: &str,
        service: Option<String>,
        origin: &str,
    ) -> Result<Target, String> {
        let environment = crate::discover::canonical_env_name(environment);
        let (url, source) = match url.strip_prefix("env:") {
            Some(name) => {
                let value = std::env::var(name).map_err(|_| {
                    format!(
                        "{origin}: environment `{environment}`: the variable `{name}` is not set"
                    )
                })?;
                (value, format!("env:{name}"))
            }
            None => (url.to_string(), origin.to_string()),
        };
        if url.trim().is_empty() {
            return Err(format!(
                "{origin}: environment `{environment}`: the {} URL is empty",
                kind.label()
            ));
        }
        Ok(Target {
            environment,
            kind,
            service,
            url,
            source,
        })
    }

    /// The URL, for the driver only.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Remove every secret part of the URL from `text`: the password (raw and
    /// percent-decoded) and the URL itself.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.url, "<url>");
        for secret in self.secrets() {
            if secret.len() >= 2 {
                out = out.replace(&secret, "***");
            }
        }
        out
    }

    /// The password as written in the URL, and percent-decoded: `postgres://u:p%40ss@h/db`,
    /// `redis://:pass@h`, or key=value `password=...`.
    fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(rest) = self.url.split_once("://").map(|(_, r)| r) {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            if let Some((userinfo, _)) = authority.rsplit_once('@') {
                if let Some((_, password)) = userinfo.split_once(':') {
                    out.push(password.to_string());
                    out.push(percent_decode(password));
                }
            }
            // `?password=...` in a URL's query.
            for pair in rest.split(['?', '&']).skip(1) {
                if let Some(v) = pair.strip_prefix("password=") {
                    out.push(v.to_string());
                    out.push(percent_decode(v));
                }
            }
        } else {
            // libpq key=value: `host=h password=secret` or `password='se cret'`.
            if let Ok(config) = self.url.parse::<tokio_postgres::Config>() {
                if let Some(p) = config.get_password() {
                    out.push(String::from_utf8_lossy(p).into_owned());
                }
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_equals_url_and_reads_variables() {
        let t = Target::parse(
            ServerKind::Postgres,
            "prod=postgres://app:s3cr%40t@db.internal:5432/app",
            "--pg",
        )
        .unwrap();
        assert_eq!(t.environment, "production");
        assert_eq!(t.source, "--pg");
        assert!(!format!("{t:?}").contains("s3cr"));
        let e = Target::parse(ServerKind::Postgres, "staging", "--pg").unwrap_err();
        assert!(e.contains("expected ENV=URL"), "{e}");
        std::env::set_var(
            "ENVPARITY_TEST_TARGET_URL",
            "redis://:hunter22@cache:6379/0",
        );
        let t = Target::parse(
            ServerKind::Redis,
            "staging=env:ENVPARITY_TEST_TARGET_URL",
            "--redis",
        )
        .unwrap();
        assert_eq!(t.source, "env:ENVPARITY_TEST_TARGET_URL");
        assert_eq!(t.url(), "redis://:hunter22@cache:6379/0");
        let e = Target::parse(
            ServerKind::Redis,
            "staging=env:ENVPARITY_UNSET_X",
            "--redis",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "--redis: environment `staging`: the variable `ENVPARITY_UNSET_X` is not set"
        );
    }

    #[test]
    fn redacts_passwords_in_every_form() {
        let t = Target::parse(
            ServerKind::Postgres,
            "prod=postgres://app:s3cr%40t@db:5432/app",
            "--pg",
        )
        .unwrap();
        assert_eq!(
            t.redact("bad url postgres://app:s3cr%40t@db:5432/app; password s3cr@t rejected"),
            "bad url <url>; password *** rejected"
        );
        let t = Target::parse(
            ServerKind::Postgres,
            "prod=host=db user=app password='se cret'",
            "--pg",
        )
        .unwrap();
        assert_eq!(t.redact("auth with se cret failed"), "auth with *** failed");
        let t = Target::parse(ServerKind::Redis, "prod=rediss://:pw99@cache", "--redis").unwrap();
        assert_eq!(t.redact("NOAUTH pw99"), "NOAUTH ***");
    }
}
