//! `envparity live` (and `report` / `check` with `--pg` / `--redis`) against real PostgreSQL and
//! Redis servers started by the tests (tests/live_support/servers.rs): the planted differences
//! are reported exactly, declared-vs-running is flagged with the declared file:line, and every
//! bad input is a clear error naming the environment and host, never the password, while the
//! other environments are still reported.

mod common;
#[path = "live_support/servers.rs"]
mod servers;

use common::{envparity_in, repo};
use serde_json::Value;
use servers::{Postgres, Redis, Silent, SUPERUSER_PASSWORD};

/// The staging schema: `orders.note` missing, an extra index on `users.email`, `users.age` an
/// integer where production has a bigint.
const STAGING_SCHEMA: &[&str] = &[
    "CREATE TYPE status AS ENUM ('new', 'paid')",
    "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, age integer)",
    "CREATE INDEX users_email_lower_idx ON users (lower(email))",
    "CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id), total numeric(10,2) NOT NULL CHECK (total >= 0), state status NOT NULL DEFAULT 'new')",
    "CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE state = 'paid'",
    "CREATE FUNCTION order_total(bigint) RETURNS numeric LANGUAGE sql AS 'SELECT total FROM orders WHERE id = $1'",
];

const PRODUCTION_SCHEMA: &[&str] = &[
    "CREATE TYPE status AS ENUM ('new', 'paid')",
    "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, age bigint)",
    "CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id), total numeric(10,2) NOT NULL CHECK (total >= 0), state status NOT NULL DEFAULT 'new', note text)",
    "CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE state = 'paid'",
    "CREATE FUNCTION order_total(bigint) RETURNS numeric LANGUAGE sql AS 'SELECT total FROM orders WHERE id = $1'",
];

/// A repository whose Compose files declare other values than the servers run: staging
/// declares `max_connections=100` (runs 50), production `--maxmemory 256mb` (runs 128mb).
const STAGING_COMPOSE: &str = "services:
  db:
    image: postgres:15
    command: postgres -c max_connections=100 -c shared_buffers=16MB
  cache:
    image: redis:7
    command: redis-server --maxmemory 64mb --maxmemory-policy allkeys-lru
";
const PRODUCTION_COMPOSE: &str = "services:
  db:
    image: postgres:15
    command: postgres -c max_connections=80 -c shared_buffers=32MB
  cache:
    image: redis:7
    command: redis-server --maxmemory 256mb --maxmemory-policy allkeys-lru
";

fn rows<'a>(doc: &'a Value, kind: &str) -> &'a Vec<Value> {
    doc["live"]["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} comparison in {doc}"))["rows"]
        .as_array()
        .unwrap()
}

fn row(doc: &Value, kind: &str, section: &str, item: &str) -> Vec<Value> {
    rows(doc, kind)
        .iter()
        .find(|r| r["section"] == section && r["item"] == item)
        .unwrap_or_else(|| panic!("no {kind} {section} {item}"))["values"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn two_postgres_and_two_redis_servers_compared_with_each_other_and_the_repository() {
    if !servers::available() {
        return;
    }
    let staging = Postgres::start(&[("max_connections", "50"), ("shared_buffers", "16MB")]);
    let production = Postgres::start(&[("max_connections", "80"), ("shared_buffers", "32MB")]);
    staging.sql("app", STAGING_SCHEMA);
    production.sql("app", PRODUCTION_SCHEMA);
    // A role that can read settings and catalogs and nothing else: the proof that reading
    // needs no more (and so writes nothing).
    for pg in [&staging, &production] {
        pg.sql(
            "app",
            &[
                "CREATE ROLE reader LOGIN PASSWORD 'R3ader-pw'",
                "GRANT pg_read_all_settings TO reader",
            ],
        );
    }
    let cache_staging = Redis::start(&[("maxmemory", "64mb"), ("maxmemory-policy", "allkeys-lru")]);
    let cache_production =
        Redis::start(&[("maxmemory", "128mb"), ("maxmemory-policy", "allkeys-lru")]);
    cache_production.cli(&["SET", "k1", "secret-value-1"]);
    cache_production.cli(&["SET", "k2", "secret-value-2"]);

    let dir = repo(&[
        ("docker-compose.staging.yml", STAGING_COMPOSE),
        ("docker-compose.production.yml", PRODUCTION_COMPOSE),
        (
            "envparity.toml",
            "[[live.redis]]\nenvironment = \"staging\"\nurl = \"env:STAGING_REDIS_URL\"\nservice = \"cache\"\n",
        ),
    ]);
    let before: Vec<String> = [&staging, &production]
        .iter()
        .map(|pg| writes(pg))
        .collect();
    let out = envparity_in(dir.path())
        .env(
            "PROD_DATABASE_URL",
            production.url("reader", "R3ader-pw", "app"),
        )
        .env("STAGING_REDIS_URL", cache_staging.url())
        .args([
            "live",
            ".",
            "--pg",
            &format!("staging={}", staging.url("reader", "R3ader-pw", "app")),
            "--pg",
            "production=env:PROD_DATABASE_URL",
            "--redis",
            &format!("production={}", cache_production.url()),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains("R3ader-pw") && !text.contains("secret-value"),
            "{text}"
        );
    }
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let live = &doc["live"];
    assert!(
        live["servers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["error"].is_null()),
        "{live}"
    );

    // Settings, units normalised.
    assert_eq!(
        row(&doc, "postgres", "setting", "max_connections"),
        ["50", "80"]
    );
    assert_eq!(
        row(&doc, "postgres", "setting", "shared_buffers"),
        ["16MB", "32MB"]
    );
    assert_eq!(
        row(&doc, "postgres", "setting", "wal_level"),
        ["replica", "replica"]
    );
    assert_eq!(
        row(&doc, "redis", "setting", "maxmemory"),
        ["64MB", "128MB"]
    );
    assert_eq!(
        row(&doc, "redis", "setting", "maxmemory-policy"),
        ["allkeys-lru", "allkeys-lru"]
    );
    assert_eq!(
        row(&doc, "redis", "keyspace", "db0 keys"),
        [Value::Null, Value::from("2")]
    );
    assert_eq!(row(&doc, "redis", "server", "role"), ["master", "master"]);

    // The planted schema differences, exactly.
    let pg = live["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "postgres")
        .unwrap();
    assert_eq!(pg["reference"], "production");
    let diffs = &pg["schema_differences"][0];
    assert_eq!(diffs["environment"], "staging");
    let messages: Vec<&str> = diffs["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "missing column public.orders.note (text): in production, not in staging",
            "different type of column public.users.age: `bigint` in production, `integer` in staging",
            "extra index public.users_email_lower_idx (CREATE INDEX users_email_lower_idx ON public.users USING btree (lower(email))): in staging, not in production",
        ]
    );
    let schema = row(&doc, "postgres", "schema", "public");
    assert_ne!(schema[0], schema[1], "the checksums differ");

    // Declared vs running, with the declared line.
    let declared: Vec<(String, String, String, String)> = live["declared_vs_running"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["environment"].as_str().unwrap().to_string(),
                m["setting"].as_str().unwrap().to_string(),
                format!(
                    "{}:{}",
                    m["origin"]["file"].as_str().unwrap(),
                    m["origin"]["line"]
                ),
                format!(
                    "{} -> {}",
                    m["declared"].as_str().unwrap(),
                    m["running"].as_str().unwrap()
                ),
            )
        })
        .collect();
    assert_eq!(
        declared,
        [
            (
                "staging".to_string(),
                "postgres.max_connections".to_string(),
                "docker-compose.staging.yml:4".to_string(),
                "100 -> 50".to_string()
            ),
            (
                "production".to_string(),
                "redis.maxmemory".to_string(),
                "docker-compose.production.yml:7".to_string(),
                "256mb -> 128MB".to_string()
            ),
        ]
    );

    // Nothing was written.
    let after: Vec<String> = [&staging, &production]
        .iter()
        .map(|pg| writes(pg))
        .collect();
    assert_eq!(before, after);

    // The same servers in the full pipeline: a live section, score items, EP022 in `check`.
    let pg_args = [
        "--pg".to_string(),
        format!("staging={}", staging.superuser_url("app")),
        "--pg".to_string(),
        format!("production={}", production.superuser_url("app")),
        "--redis".to_string(),
        format!("production={}", cache_production.url()),
    ];
    let run = |args: &[&str]| {
        let out = envparity_in(dir.path())
            .env("STAGING_REDIS_URL", cache_staging.url())
            .args(args)
            .args(&pg_args)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains(SUPERUSER_PASSWORD));
        (out.status.code(), stdout)
    };
    let (code, report) = run(&["report", ".", "--format", "json"]);
    assert_eq!(code, Some(0));
    let report: Value = serde_json::from_str(&report).unwrap();
    let category = report["score"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Running servers")
        .expect("a Running servers score category");
    assert!(category["items"].as_u64().unwrap() > 40, "{category}");
    assert!(category["in_parity"].as_u64() < category["items"].as_u64());
    assert!(report["score"]["lost"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["item"] == "postgres.setting.max_connections"
            && l["category"] == "running_servers"));
    let (_, md) = run(&["report", ".", "--format", "md"]);
    assert!(md.contains("## Running servers"), "{md}");
    assert!(
        md.contains("- missing column public.orders.note (text): in production, not in staging")
    );
    let (_, text) = run(&["compare", "."]);
    assert!(!text.contains("Running servers"), "compare reads no server");
    let (code, check) = run(&["check", ".", "--format", "json"]);
    assert_eq!(code, Some(0), "EP022 is a warning: the gate passes");
    let check: Value = serde_json::from_str(&check).unwrap();
    let ep022: Vec<(&str, &str, u64)> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "EP022")
        .map(|f| {
            (
                f["environment"].as_str().unwrap(),
                f["setting"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ep022,
        [
            ("production", "redis.maxmemory", 7),
            ("staging", "postgres.max_connections", 4)
        ]
    );

    // Text, as a user reads it.
    let (code, text) = {
        let out = envparity_in(dir.path())
            .env("STAGING_REDIS_URL", cache_staging.url())
            .args(["live", "."])
            .args(&pg_args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    assert_eq!(code, Some(0));
    assert!(
        text.contains("PostgreSQL (reference: production)"),
        "{text}"
    );
    assert!(
        text.contains("staging db: `postgres.max_connections` declared `100` (docker-compose.staging.yml:4), running `50` at 127.0.0.1:"),
        "{text}"
    );
    let line = |item: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(item))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(
        line("setting max_connections"),
        "setting max_connections 50 80 ≠"
    );
    assert_eq!(line("setting maxmemory "), "setting maxmemory 64MB 128MB ≠");
    assert_eq!(
        line("setting statement_timeout"),
        "setting statement_timeout 0 0",
        "the server's value, not the session's"
    );
    assert!(text.contains("Schema of staging against production: 3 differences"));
    insta::assert_snapshot!("live_text", stable(&text));
}

/// The output without what changes from run to run: ports, and the servers' exact versions.
fn stable(text: &str) -> String {
    let ports = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let versions = regex::Regex::new(r"\b(1[0-9]\.[0-9]+|7\.[0-9]+\.[0-9]+)\b").unwrap();
    let text = ports.replace_all(text, "127.0.0.1:PORT");
    let text = versions.replace_all(&text, "VERSION");
    // Column widths follow the port numbers' lengths.
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Counters that any write would move: rows inserted, updated or deleted, and the number of
/// relations.
fn writes(pg: &Postgres) -> String {
    pg.sql(
        "app",
        &["SELECT COALESCE(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) || '/' || (SELECT count(*) FROM pg_class) FROM pg_stat_user_tables"],
    )
}

#[test]
fn bad_inputs_are_clear_errors_naming_environment_and_host_and_the_rest_is_reported() {
    if !servers::available() {
        return;
    }
    let pg = Postgres::start(&[]);
    let cache = Redis::start(&[]);
    // A database whose function catalog the reader may not read.
    pg.sql("postgres", &["CREATE DATABASE restricted"]);
    pg.sql(
        "restricted",
        &[
            "CREATE ROLE limited LOGIN PASSWORD 'L1mited-pw'",
            "REVOKE SELECT ON pg_catalog.pg_proc FROM PUBLIC",
        ],
    );
    let silent = Silent::start();
    let web = Silent::answering(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    let closed = servers::free_port();
    let dir = repo(&[]);
    let started = std::time::Instant::now();
    let out = envparity_in(dir.path())
        .args([
            "live",
            ".",
            "--timeout",
            "2",
            "--format",
            "json",
            "--pg",
            &format!("staging={}", pg.superuser_url("app")),
            "--pg",
            &format!("refused=postgres://app:Refused-pw@127.0.0.1:{closed}/app"),
            "--pg",
            &format!(
                "hanging=postgres://app:Hanging-pw@127.0.0.1:{}/app?sslmode=disable",
                silent.port
            ),
            "--pg",
            &format!("wrongpass={}", pg.url("postgres", "Wrong-pw-123", "app")),
            "--pg",
            &format!(
                "tls=postgres://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{}/app?sslmode=require",
                pg.port
            ),
            "--pg",
            &format!(
                "notpg=postgres://app:Notpg-pw@127.0.0.1:{}/app?sslmode=disable",
                cache.port
            ),
            "--pg",
            &format!(
                "web=postgres://app:Web-pw@127.0.0.1:{}/app?sslmode=disable",
                web.port
            ),
            "--pg",
            &format!("denied={}", pg.url("limited", "L1mited-pw", "restricted")),
            "--pg",
            "unreachable=postgres://app:Unreach-pw@192.0.2.1:5432/app?sslmode=disable",
            "--redis",
            &format!("staging={}", cache.url()),
            "--redis",
            &format!("hanging=redis://:Redis-hang-pw@127.0.0.1:{}/0", silent.port),
            "--redis",
            &format!("refused=redis://:Redis-refused-pw@127.0.0.1:{closed}/0"),
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        elapsed < std::time::Duration::from_secs(15),
        "took {elapsed:?}"
    );
    for secret in [
        "Refused-pw",
        "Hanging-pw",
        "Wrong-pw-123",
        SUPERUSER_PASSWORD,
        "Notpg-pw",
        "Web-pw",
        "L1mited-pw",
        "Unreach-pw",
        "Redis-hang-pw",
        "Redis-refused-pw",
    ] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} printed:\n{stdout}\n{stderr}"
        );
    }
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let error = |env: &str, kind: &str| -> String {
        doc["live"]["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["environment"] == env && s["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} {env}"))["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let pg_at = |env: &str, port: u16| format!("{env}: PostgreSQL at 127.0.0.1:{port}: ");
    assert_eq!(error("staging", "postgres"), "");
    assert_eq!(error("staging", "redis"), "");
    let e = error("refused", "postgres");
    assert!(
        e.starts_with(&pg_at("refused", closed)) && e.contains("Connection refused"),
        "{e}"
    );
    let e = error("hanging", "postgres");
    assert!(
        e.starts_with(&pg_at("hanging", silent.port)) && e.contains("no answer within 2s"),
        "{e}"
    );
    let e = error("wrongpass", "postgres");
    assert!(
        e.starts_with(&pg_at("wrongpass", pg.port))
            && e.contains("password authentication failed for user \"postgres\""),
        "{e}"
    );
    let e = error("tls", "postgres");
    assert!(
        e.starts_with(&pg_at("tls", pg.port)) && e.contains("TLS"),
        "{e}"
    );
    let e = error("notpg", "postgres");
    assert!(
        e.starts_with(&pg_at("notpg", cache.port)) && e.contains("is it a PostgreSQL server?"),
        "{e}"
    );
    let e = error("web", "postgres");
    assert!(
        e.starts_with(&pg_at("web", web.port)) && e.contains("is it a PostgreSQL server?"),
        "{e}"
    );
    let e = error("denied", "postgres");
    assert!(
        e.starts_with(&pg_at("denied", pg.port))
            && e.contains("reading functions: permission denied for table pg_proc"),
        "{e}"
    );
    let e = error("unreachable", "postgres");
    assert!(
        e.starts_with("unreachable: PostgreSQL at 192.0.2.1:5432: "),
        "{e}"
    );
    let e = error("hanging", "redis");
    assert!(
        e.starts_with(&format!("hanging: Redis at 127.0.0.1:{}: ", silent.port))
            && e.contains("no answer"),
        "{e}"
    );
    let e = error("refused", "redis");
    assert!(
        e.starts_with(&format!("refused: Redis at 127.0.0.1:{closed}: ")),
        "{e}"
    );
    // Each error is on standard error too, and the servers that answered are compared.
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error: ")).count(),
        10,
        "{stderr}"
    );
    assert_eq!(row(&doc, "postgres", "server", "version").len(), 1);
    assert_eq!(row(&doc, "redis", "setting", "maxmemory"), ["0"]);
}

#[test]
fn a_schema_of_ten_thousand_tables_is_read_within_seconds() {
    if !servers::available() {
        return;
    }
    let pg = Postgres::start(&[]);
    let batches: Vec<String> = (0..10)
        .map(|b| {
            format!(
                "DO $$ BEGIN FOR i IN {}..{} LOOP EXECUTE format('CREATE TABLE t%s (id int, v text)', i); END LOOP; END $$",
                b * 1000 + 1,
                b * 1000 + 1000
            )
        })
        .collect();
    let refs: Vec<&str> = batches.iter().map(String::as_str).collect();
    pg.sql("app", &refs);
    let dir = repo(&[]);
    let started = std::time::Instant::now();
    let out = envparity_in(dir.path())
        .args([
            "live",
            ".",
            "--format",
            "json",
            "--pg",
            &format!("production={}", pg.superuser_url("app")),
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let schema = row(&doc, "postgres", "schema", "public");
    assert!(
        schema[0].as_str().unwrap().ends_with(" (10000 objects)"),
        "{schema:?}"
    );
    assert!(
        elapsed < std::time::Duration::from_secs(20),
        "took {elapsed:?}"
    );
}

#[test]
fn check_and_report_carry_on_when_a_server_cannot_be_read() {
    // No server binaries needed: nothing listens on the port.
    let closed = servers::free_port();
    let dir = repo(&[
        ("docker-compose.staging.yml", STAGING_COMPOSE),
        ("docker-compose.production.yml", PRODUCTION_COMPOSE),
    ]);
    let url = format!("production=postgres://app:Closed-pw@127.0.0.1:{closed}/app?sslmode=disable");
    let out = envparity_in(dir.path())
        .args([
            "check",
            ".",
            "--format",
            "json",
            "--timeout",
            "2",
            "--pg",
            &url,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a named server that cannot be read: {stderr}"
    );
    assert!(!stdout.contains("Closed-pw") && !stderr.contains("Closed-pw"));
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        !doc["findings"].as_array().unwrap().is_empty(),
        "the repository is still judged"
    );
    let error = doc["live"]["servers"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!("production: PostgreSQL at 127.0.0.1:{closed}: ")),
        "{error}"
    );
    assert!(stderr.contains(&format!("warning: {error}")), "{stderr}");

    let out = envparity_in(dir.path())
        .args(["report", ".", "--format", "text", "--pg", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Running servers\n  production PostgreSQL 127.0.0.1:"),
        "{text}"
    );

    let out = envparity_in(dir.path())
        .args(["live", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: no servers to read: give --pg ENV=URL or --redis ENV=URL, or list them in envparity.toml [live]\n"
    );
}
