//! EP022 declared-vs-running.

use super::{Context, Finding, Rule};
use crate::policy::Severity;

pub static RULE: Rule = Rule {
    id: "EP022",
    name: "declared-vs-running",
    severity: Severity::Warning,
    summary: "A running PostgreSQL or Redis server runs another value than the repository declares for it",
    doc: r#"# EP022 declared-vs-running

## What it finds
With running servers given (`envparity live`, or `report` / `check` with `--pg ENV=URL`,
`--redis ENV=URL` or `[live]` in envparity.toml): a setting the repository declares for the
environment's database or cache (Compose `postgres -c max_connections=100`, `redis-server
--maxmemory 256mb`, postgresql.conf, redis.conf, CloudNativePG `parameters`, Helm values) that
the server of the same environment runs with another value. Units are normalised first:
a declared `shared_buffers=128MB` equals a running `16384` x 8kB, `maxmemory 256mb` equals
`268435456`. The service is the one `[live]` names, else the one whose role is `database`
(PostgreSQL) or `cache` (Redis) and that declares such settings.

## Why it matters
What is declared is not always what runs: a managed database ignores the `-c` flags of a
Compose file, a parameter was changed by hand with `ALTER SYSTEM` or `CONFIG SET`, a parameter
group overrides the chart. The repository then documents a server that does not exist, and the
differences between environments that envparity reports from it are not the real ones.

## How to fix
Make them agree: change the server (parameter group, `ALTER SYSTEM`, `CONFIG SET` and
`CONFIG REWRITE`) or the declaration. A server that must differ on purpose (a managed service
tunes `shared_buffers` itself) is waived with a reason and an expiry date.

## Example
```yaml
# docker-compose.production.yml
  db:
    image: postgres:16
    command: postgres -c max_connections=100   # EP022: the production server runs 300
```
"#,
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(live) = ctx.live else {
        return;
    };
    for m in &live.declared_vs_running {
        out.push(
            Finding::new(
                &RULE,
                format!(
                    "`{}` is declared `{}` but the running {} at {} runs `{}`",
                    m.setting,
                    m.declared,
                    m.kind.label(),
                    m.host,
                    m.running
                ),
            )
            .env(&m.environment)
            .service(&m.service)
            .setting(&m.setting)
            .at(&m.origin),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::postgres::PostgresServer;
    use crate::live::values::LiveValue;
    use crate::live::{compare, Options, ServerData, ServerKind, ServerReport};
    use crate::policy::{self, Date};

    /// The real pipeline on a small repository, with a server's settings as the reader would
    /// give them (the reading itself is tested against real servers in tests/live.rs).
    fn findings(files: &[(&str, &str)], running: &[(&str, &str, &str)]) -> Vec<Finding> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let ws = crate::sources::Workspace::open(dir.path()).unwrap();
        let plan = crate::discover::discover(&ws).unwrap();
        let scan = crate::sources::load(&ws, &plan).unwrap();
        let policy = policy::load(&ws, None, &crate::rules::ids()).unwrap();
        let aligned = crate::align::align(&scan);
        let comparison = crate::compare::compare(&scan, &aligned);
        let verdicts = crate::verdict::classify(&comparison, &policy);
        let server = PostgresServer {
            version: "16.4".into(),
            database: "app".into(),
            settings: running
                .iter()
                .map(|(k, v, unit)| (k.to_string(), LiveValue::postgres(v, unit, "integer")))
                .collect(),
            extensions: Default::default(),
            schema: Default::default(),
        };
        let reports = vec![ServerReport {
            environment: "production".into(),
            kind: ServerKind::Postgres,
            service: None,
            host: "db.internal:5432".into(),
            data: Ok(ServerData::Postgres(server)),
        }];
        let live = compare::compare(&reports, &[], Some(&scan), &Options::default());
        let today = Date {
            year: 2026,
            month: 11,
            day: 23,
        };
        crate::rules::run(
            &Context::new(&scan, &comparison, &aligned, &verdicts, &policy, today)
                .with_live(Some(&live)),
        )
        .into_iter()
        .filter(|f| f.rule == "EP022")
        .collect()
    }

    const COMPOSE: &str = "services:\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=100 -c shared_buffers=128MB -c work_mem=8MB\n";

    #[test]
    fn flags_what_runs_otherwise_with_the_declared_line() {
        let f = findings(
            &[
                ("docker-compose.production.yml", COMPOSE),
                ("docker-compose.staging.yml", COMPOSE),
            ],
            &[
                ("max_connections", "300", ""),
                ("shared_buffers", "16384", "8kB"),
                ("work_mem", "4096", "kB"),
            ],
        );
        let got: Vec<(String, String, String)> = f
            .iter()
            .map(|f| {
                (
                    f.setting.clone().unwrap(),
                    format!("{}:{}", f.file.clone().unwrap(), f.line.unwrap()),
                    f.message.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "postgres.max_connections".to_string(),
                    "docker-compose.production.yml:4".to_string(),
                    "`postgres.max_connections` is declared `100` but the running PostgreSQL at db.internal:5432 runs `300`".to_string()
                ),
                (
                    "postgres.work_mem".to_string(),
                    "docker-compose.production.yml:4".to_string(),
                    "`postgres.work_mem` is declared `8MB` but the running PostgreSQL at db.internal:5432 runs `4MB`".to_string()
                ),
            ]
        );
        assert_eq!(f[0].environment.as_deref(), Some("production"));
        assert_eq!(f[0].service.as_deref(), Some("db"));
    }

    #[test]
    fn reads_cloudnativepg_parameters() {
        let cluster = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: db}\nspec:\n  instances: 3\n  postgresql:\n    parameters:\n      shared_buffers: 256MB\n      max_connections: \"200\"\n";
        let f = findings(
            &[
                ("k8s/production/cluster.yaml", cluster),
                ("k8s/staging/cluster.yaml", cluster),
            ],
            &[
                ("max_connections", "200", ""),
                ("shared_buffers", "16384", "8kB"),
            ],
        );
        let got: Vec<(String, String, u32)> = f
            .iter()
            .map(|f| {
                (
                    f.setting.clone().unwrap(),
                    f.file.clone().unwrap(),
                    f.line.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(
                "postgres.shared_buffers".to_string(),
                "k8s/production/cluster.yaml".to_string(),
                8
            )],
            "{f:?}"
        );
    }

    #[test]
    fn reads_a_mounted_postgresql_conf() {
        let compose = "services:\n  db:\n    image: postgres:16\n    command: postgres -c config_file=/etc/postgresql/postgresql.conf\n    volumes:\n      - ./pg/postgresql.conf:/etc/postgresql/postgresql.conf:ro\n";
        let f = findings(
            &[
                ("docker-compose.production.yml", compose),
                (
                    "pg/postgresql.conf",
                    "# tuned\nmax_connections = 100\nwork_mem = 8MB\n",
                ),
            ],
            &[("max_connections", "100", ""), ("work_mem", "16384", "kB")],
        );
        let got: Vec<String> = f
            .iter()
            .map(|f| {
                format!(
                    "{} {}:{}",
                    f.setting.clone().unwrap(),
                    f.file.clone().unwrap(),
                    f.line.unwrap()
                )
            })
            .collect();
        assert_eq!(got, ["postgres.work_mem pg/postgresql.conf:3"], "{f:?}");
    }

    #[test]
    fn silent_without_live_servers_or_when_they_agree() {
        let f = findings(
            &[("docker-compose.production.yml", COMPOSE)],
            &[
                ("max_connections", "100", ""),
                ("shared_buffers", "16384", "8kB"),
                ("work_mem", "8192", "kB"),
            ],
        );
        assert!(f.is_empty(), "{f:?}");
        let none =
            crate::rules::testing::hits("EP022", &[("docker-compose.production.yml", COMPOSE)]);
        assert!(none.is_empty());
    }
}
