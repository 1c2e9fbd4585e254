//! The command-line side of the live comparison: the `--pg`, `--redis`, `--all-settings` and
//! `--timeout` flags shared by `live`, `report` and `check`, merged with `[live]` in
//! envparity.toml (a flag wins for the same environment and kind of server).

use std::time::Duration;

use clap::Args;

use super::compare::{self, LiveComparison};
use super::{collect, Options, ServerKind, Target};
use crate::error::{Error, Result};
use crate::model::Scan;
use crate::policy::{LiveServer, Policy};

#[derive(Args, Debug, Clone, Default)]
pub struct LiveArgs {
    /// A running PostgreSQL server to read (read-only), ENV=URL; the URL may be `env:NAME` to
    /// read it from the environment variable NAME. Repeat per environment.
    #[arg(long = "pg", value_name = "ENV=URL")]
    pub pg: Vec<String>,
    /// A running Redis server to read, ENV=URL (`redis://`, `rediss://` for TLS, or `env:NAME`).
    #[arg(long = "redis", value_name = "ENV=URL")]
    pub redis: Vec<String>,
    /// Show every server parameter, not only those that matter most.
    #[arg(long)]
    pub all_settings: bool,
    /// Seconds allowed for connecting and for each query (default 10).
    #[arg(long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<f64>,
}

/// The servers to read: the flags, then `[live]` entries for other environments.
pub fn targets(args: &LiveArgs, policy: &Policy) -> Result<Vec<Target>> {
    let mut out: Vec<Target> = Vec::new();
    for (kind, specs, flag) in [
        (ServerKind::Postgres, &args.pg, "--pg"),
        (ServerKind::Redis, &args.redis, "--redis"),
    ] {
        for spec in specs {
            let t = Target::parse(kind, spec, flag).map_err(Error::msg)?;
            add(&mut out, t)?;
        }
    }
    let file = policy.file.clone().unwrap_or_default();
    for (kind, entries) in [
        (ServerKind::Postgres, &policy.live.postgres),
        (ServerKind::Redis, &policy.live.redis),
    ] {
        for LiveServer {
            environment,
            url,
            service,
            line,
        } in entries
        {
            if out
                .iter()
                .any(|t| t.kind == kind && t.environment == *environment)
            {
                continue;
            }
            let origin = format!("{file}:{line}");
            let t = Target::new(kind, environment, url, service.clone(), &origin)
                .map_err(|m| Error::at(&file, *line, strip_origin(&m, &origin)))?;
            add(&mut out, t)?;
        }
    }
    Ok(out)
}

fn strip_origin(message: &str, origin: &str) -> String {
    message
        .strip_prefix(origin)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message)
        .to_string()
}

fn add(out: &mut Vec<Target>, t: Target) -> Result<()> {
    if out
        .iter()
        .any(|o| o.kind == t.kind && o.environment == t.environment)
    {
        return Err(Error::msg(format!(
            "{}: environment `{}` has two {} servers; give one per environment",
            t.source,
            t.environment,
            t.kind.label()
        )));
    }
    out.push(t);
    Ok(())
}

pub fn options(args: &LiveArgs, policy: &Policy) -> Result<Options> {
    let seconds = args
        .timeout
        .or(policy.live.timeout_seconds)
        .unwrap_or(super::DEFAULT_TIMEOUT.as_secs_f64());
    if !(seconds > 0.0 && seconds <= 600.0) {
        return Err(Error::msg(format!(
            "--timeout must be above 0 and at most 600 seconds, found {seconds}"
        )));
    }
    Ok(Options {
        timeout: Duration::from_secs_f64(seconds),
        all_settings: args.all_settings || policy.live.all_settings,
    })
}

/// Read the servers and compare them, or `None` when no server is given. Servers that could
/// not be read are in the comparison with their error (and on standard error).
pub fn read(
    args: &LiveArgs,
    policy: &Policy,
    scan: Option<&Scan>,
) -> Result<Option<LiveComparison>> {
    let targets = targets(args, policy)?;
    if targets.is_empty() {
        return Ok(None);
    }
    let options = options(args, policy)?;
    let reports = collect(&targets, &options);
    let order: Vec<String> = scan
        .map(|s| s.environments.iter().map(|e| e.name.clone()).collect())
        .unwrap_or_default();
    Ok(Some(compare::compare(&reports, &order, scan, &options)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        crate::policy::parse(text, "envparity.toml", &crate::rules::ids()).unwrap()
    }

    #[test]
    fn flags_win_over_the_policy_and_duplicates_are_errors() {
        let p = policy(
            "[[live.postgres]]\nenvironment = \"prod\"\nurl = \"postgres://a@db-from-file/app\"\n\n[[live.postgres]]\nenvironment = \"staging\"\nurl = \"postgres://a@stg/app\"\nservice = \"db\"\n",
        );
        let args = LiveArgs {
            pg: vec!["production=postgres://a@db-from-flag/app".into()],
            ..LiveArgs::default()
        };
        let t = targets(&args, &p).unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = t
            .iter()
            .map(|t| {
                (
                    t.environment.as_str(),
                    t.source.as_str(),
                    t.service.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("production", "--pg", None),
                ("staging", "envparity.toml:5", Some("db"))
            ]
        );
        assert!(t[0].url().contains("db-from-flag"));
        let twice = LiveArgs {
            pg: vec![
                "prod=postgres://a@x/app".into(),
                "production=postgres://a@y/app".into(),
            ],
            ..LiveArgs::default()
        };
        let e = targets(&twice, &Policy::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--pg: environment `production` has two PostgreSQL servers; give one per environment"
        );
    }

    #[test]
    fn an_unset_variable_in_the_policy_names_its_line() {
        let p = policy(
            "[[live.redis]]\nenvironment = \"staging\"\nurl = \"env:ENVPARITY_TEST_UNSET_REDIS\"\n",
        );
        let e = targets(&LiveArgs::default(), &p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "envparity.toml:1: environment `staging`: the variable `ENVPARITY_TEST_UNSET_REDIS` is not set"
        );
        let bad = LiveArgs {
            timeout: Some(0.0),
            ..LiveArgs::default()
        };
        assert!(options(&bad, &p).is_err());
        assert_eq!(
            options(&LiveArgs::default(), &p).unwrap().timeout,
            super::super::DEFAULT_TIMEOUT
        );
    }
}
