//! Read a running PostgreSQL server: version, `pg_settings`, extensions and the schema of the
//! database the URL names. Through `tokio-postgres` (TLS by rustls, `sslmode` honoured), in a
//! read-only session (`default_transaction_read_only`, then a `READ ONLY` transaction), with a
//! connect timeout, a statement timeout and a deadline on every round trip, so a server that
//! accepts and never answers ends in an error, not a hang.
//!
//! Catalog rows are streamed (`query_raw`) into the schema model; at most `MAX_RELATIONS`
//! relations are read, so memory stays bounded whatever the database holds.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{pin_mut, TryStreamExt};
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use super::schema::{self, Column, Database, Relation};
use super::target::Target;
use super::values::LiveValue;
use super::Options;

/// Most tables, views and indexes read from one database.
pub const MAX_RELATIONS: usize = 200_000;

/// What was read from one server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostgresServer {
    /// `15.18`.
    pub version: String,
    pub database: String,
    /// Every parameter of `pg_settings`, by name.
    pub settings: BTreeMap<String, LiveValue>,
    /// Installed extensions: name -> version.
    pub extensions: BTreeMap<String, String>,
    pub schema: Database,
}

/// The parameters shown by default (`--all-settings` shows every one).
pub const KEY_SETTINGS: &[&str] = &[
    "autovacuum",
    "checkpoint_completion_target",
    "checkpoint_timeout",
    "default_transaction_isolation",
    "effective_cache_size",
    "effective_io_concurrency",
    "fsync",
    "full_page_writes",
    "idle_in_transaction_session_timeout",
    "lock_timeout",
    "log_min_duration_statement",
    "maintenance_work_mem",
    "max_connections",
    "max_parallel_workers",
    "max_parallel_workers_per_gather",
    "max_replication_slots",
    "max_wal_senders",
    "max_wal_size",
    "max_worker_processes",
    "min_wal_size",
    "password_encryption",
    "random_page_cost",
    "server_encoding",
    "shared_buffers",
    "shared_preload_libraries",
    "ssl",
    "statement_timeout",
    "synchronous_commit",
    "temp_buffers",
    "timezone",
    "wal_buffers",
    "wal_level",
    "work_mem",
];

/// `host:port` (or the socket directory) the URL points at, for messages; `None` when the URL
/// does not parse.
pub fn host_of(target: &Target) -> Option<String> {
    let config: tokio_postgres::Config = target.url().parse().ok()?;
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Some(match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => format!("{h}:{port}"),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => format!("{}:{port}", p.display()),
        None => format!("localhost:{port}"),
    })
}

/// Read the server. The error is one line, without the password.
pub fn read(target: &Target, options: &Options) -> Result<PostgresServer, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the client: {e}"))?;
    runtime
        .block_on(read_async(target, options))
        .map_err(|e| target.redact(&e))
}

async fn read_async(target: &Target, options: &Options) -> Result<PostgresServer, String> {
    let mut config: tokio_postgres::Config = target
        .url()
        .parse()
        .map_err(|e| format!("invalid connection URL: {}", error_text(&e)))?;
    // The session is read-only from its first statement: `options` reach the server in the
    // startup packet, before anything could run.
    config
        .connect_timeout(options.timeout)
        .application_name("envparity")
        .options("-c default_transaction_read_only=on");
    let tls = tokio_postgres_rustls::MakeRustlsConnect::with_webpki_roots();
    let connect = config.connect(tls);
    let not_postgres = "is it a PostgreSQL server?";
    let (client, connection) = deadline(options.timeout, "connecting", connect)
        .await
        .map_err(|e| format!("{e} (nothing answered, or the server there speaks another protocol: {not_postgres})"))?
        .map_err(|e| {
            let text = error_text(&e);
            // What the driver says when the bytes are not PostgreSQL's protocol.
            if text.contains("unexpected message") || text.contains("invalid message") || text.contains("unexpected EOF") {
                format!("{text} ({not_postgres})")
            } else {
                text
            }
        })?;
    let driver = tokio::spawn(connection);
    let result = read_session(&client, options).await;
    drop(client);
    driver.abort();
    result
}

async fn read_session(client: &Client, options: &Options) -> Result<PostgresServer, String> {
    let t = options.timeout;
    deadline(
        t,
        "starting a read-only transaction",
        client.batch_execute("SET default_transaction_read_only = on; START TRANSACTION READ ONLY"),
    )
    .await?
    .map_err(|e| error_text(&e))?;
    let row = one(
        client,
        t,
        "reading the version",
        "SELECT current_setting('server_version'), current_database()",
    )
    .await?;
    let version = text(&row, 0)?;
    let version = version.split_whitespace().next().unwrap_or("").to_string();
    let database = text(&row, 1)?;
    // The settings are read before this session changes any (the statement timeout below):
    // what the server runs, not what this connection asked for.
    let mut settings = BTreeMap::new();
    stream(client, t, "reading pg_settings", SETTINGS, |row| {
        let value = LiveValue::postgres(&text(row, 1)?, &text(row, 2)?, &text(row, 3)?);
        // Names are case-insensitive (`TimeZone`), as in postgresql.conf.
        settings.insert(text(row, 0)?.to_ascii_lowercase(), value);
        Ok(())
    })
    .await?;
    let statement_ms = t.as_millis().max(1);
    deadline(
        t,
        "setting the statement timeout",
        client.batch_execute(&format!("SET LOCAL statement_timeout = {statement_ms}")),
    )
    .await?
    .map_err(|e| error_text(&e))?;
    let mut extensions = BTreeMap::new();
    stream(client, t, "reading extensions", EXTENSIONS, |row| {
        extensions.insert(text(row, 0)?, text(row, 1)?);
        Ok(())
    })
    .await?;
    let schema = read_schema(client, t, database.clone()).await?;
    // Nothing was written; ending the transaction either way changes nothing.
    let _ = deadline(
        t,
        "ending the transaction",
        client.batch_execute("ROLLBACK"),
    )
    .await;
    Ok(PostgresServer {
        version,
        database,
        settings,
        extensions,
        schema,
    })
}

/// Parameters the client set for this connection (`client`, `session`: the read-only default,
/// `application_name`, `client_encoding`) describe the connection, not the server.
const SETTINGS: &str = "SELECT name, COALESCE(setting, ''), COALESCE(unit, ''), vartype \
     FROM pg_catalog.pg_settings WHERE source NOT IN ('client', 'session') \
     AND name NOT IN ('transaction_read_only', 'transaction_isolation', 'transaction_deferrable')";

const EXTENSIONS: &str = "SELECT extname::text, extversion FROM pg_catalog.pg_extension";

/// Schemas that belong to the server, not the application.
const USER_NAMESPACES: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// Objects an extension created are the extension's, compared by its version instead.
const NOT_FROM_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
     WHERE d.objid = {oid} AND d.deptype = 'e')";

fn not_from_extension(oid: &str) -> String {
    NOT_FROM_EXTENSION.replace("{oid}", oid)
}

async fn read_schema(client: &Client, t: Duration, name: String) -> Result<Database, String> {
    let mut db = Database {
        name,
        schemas: BTreeMap::new(),
    };
    let mut relations = 0usize;
    let columns = format!(
        "SELECT n.nspname::text, c.relname::text, c.relkind::text, COALESCE(a.attname::text, ''), \
         COALESCE(pg_catalog.format_type(a.atttypid, a.atttypmod), ''), COALESCE(a.attnotnull, false), \
         pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_NAMESPACES} AND {} \
         ORDER BY 1, 2, a.attnum",
        not_from_extension("c.oid")
    );
    stream(client, t, "reading tables and columns", &columns, |row| {
        let schema = db.schemas.entry(text(row, 0)?).or_default();
        let table = text(row, 1)?;
        if !schema.relations.contains_key(&table) {
            relations += 1;
            if relations > MAX_RELATIONS {
                return Err(format!(
                    "the database holds more than {MAX_RELATIONS} tables and views; its schema is not compared"
                ));
            }
        }
        let relation = schema.relations.entry(table).or_insert_with(|| Relation {
            kind: schema::relation_kind(&text(row, 2).unwrap_or_default()),
            ..Relation::default()
        });
        let column = text(row, 3)?;
        if !column.is_empty() {
            relation.columns.push(Column {
                name: column,
                data_type: text(row, 4)?,
                not_null: row.try_get(5).map_err(|e| error_text(&e))?,
                default: row
                    .try_get::<_, Option<String>>(6)
                    .map_err(|e| error_text(&e))?
                    .map(|d| schema::keep_definition(&d)),
            });
        }
        Ok(())
    })
    .await?;
    let per_relation = |what: &'static str, sql: String| (what, sql);
    for (what, sql) in [
        per_relation(
            "reading indexes",
            format!(
                "SELECT n.nspname::text, t.relname::text, i.relname::text, pg_catalog.pg_get_indexdef(i.oid) \
                 FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
                 JOIN pg_catalog.pg_class t ON t.oid = x.indrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
                 WHERE {USER_NAMESPACES} AND {}",
                not_from_extension("t.oid")
            ),
        ),
        per_relation(
            "reading constraints",
            format!(
                "SELECT n.nspname::text, t.relname::text, k.conname::text, pg_catalog.pg_get_constraintdef(k.oid) \
                 FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class t ON t.oid = k.conrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
                 WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND {USER_NAMESPACES} AND {}",
                not_from_extension("t.oid")
            ),
        ),
        per_relation(
            "reading views",
            format!(
                "SELECT n.nspname::text, c.relname::text, '', pg_catalog.pg_get_viewdef(c.oid) \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('v', 'm') AND {USER_NAMESPACES} AND {}",
                not_from_extension("c.oid")
            ),
        ),
    ] {
        stream(client, t, what, &sql, |row| {
            let (schema_name, table) = (text(row, 0)?, text(row, 1)?);
            let Some(relation) = db
                .schemas
                .get_mut(&schema_name)
                .and_then(|s| s.relations.get_mut(&table))
            else {
                return Ok(());
            };
            let definition = schema::keep_definition(&text(row, 3)?);
            match what {
                "reading indexes" => {
                    relation.indexes.insert(text(row, 2)?, definition);
                }
                "reading constraints" => {
                    relation.constraints.insert(text(row, 2)?, definition);
                }
                _ => relation.definition = Some(definition),
            }
            Ok(())
        })
        .await?;
    }
    let named = [
        (
            "reading sequences",
            format!(
                "SELECT n.nspname::text, c.relname::text, pg_catalog.format_type(s.seqtypid, NULL) \
                 || ' start ' || s.seqstart || ' increment ' || s.seqincrement \
                 FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {USER_NAMESPACES} AND {}",
                not_from_extension("c.oid")
            ),
        ),
        (
            "reading functions",
            format!(
                "SELECT n.nspname::text, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', \
                 'returns ' || COALESCE(pg_catalog.pg_get_function_result(p.oid), 'nothing') || ', body md5 ' || md5(p.prosrc) \
                 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
                 WHERE p.prokind IN ('f', 'p', 'w') AND {USER_NAMESPACES} AND {}",
                not_from_extension("p.oid")
            ),
        ),
        (
            "reading enums",
            format!(
                "SELECT n.nspname::text, t.typname::text, string_agg(e.enumlabel::text, ', ' ORDER BY e.enumsortorder) \
                 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
                 WHERE {USER_NAMESPACES} AND {} GROUP BY 1, 2",
                not_from_extension("t.oid")
            ),
        ),
    ];
    for (what, sql) in named {
        let mut count = 0usize;
        stream(client, t, what, &sql, |row| {
            count += 1;
            if count > MAX_RELATIONS {
                return Err(format!(
                    "{what}: more than {MAX_RELATIONS}; the schema is not compared"
                ));
            }
            let schema = db.schemas.entry(text(row, 0)?).or_default();
            let map = match what {
                "reading sequences" => &mut schema.sequences,
                "reading functions" => &mut schema.functions,
                _ => &mut schema.enums,
            };
            map.insert(text(row, 1)?, schema::keep_definition(&text(row, 2)?));
            Ok(())
        })
        .await?;
    }
    Ok(db)
}

fn no_params() -> impl ExactSizeIterator<Item = &'static (dyn ToSql + Sync)> {
    std::iter::empty()
}

/// Run a query and hand each row to `each` as it arrives.
async fn stream(
    client: &Client,
    t: Duration,
    what: &str,
    sql: &str,
    mut each: impl FnMut(&Row) -> Result<(), String>,
) -> Result<(), String> {
    let rows = deadline(t, what, client.query_raw(sql, no_params()))
        .await?
        .map_err(|e| format!("{what}: {}", error_text(&e)))?;
    pin_mut!(rows);
    loop {
        let next = deadline(t, what, rows.try_next())
            .await?
            .map_err(|e| format!("{what}: {}", error_text(&e)))?;
        match next {
            Some(row) => each(&row)?,
            None => return Ok(()),
        }
    }
}

async fn one(client: &Client, t: Duration, what: &str, sql: &str) -> Result<Row, String> {
    deadline(t, what, client.query_one(sql, &[]))
        .await?
        .map_err(|e| format!("{what}: {}", error_text(&e)))
}

fn text(row: &Row, i: usize) -> Result<String, String> {
    row.try_get::<_, Option<String>>(i)
        .map(Option::unwrap_or_default)
        .map_err(|e| error_text(&e))
}

/// A step that must finish in time: a server that accepted the connection and never answers
/// ends here.
async fn deadline<T>(
    t: Duration,
    what: &str,
    future: impl std::future::Future<Output = T>,
) -> Result<T, String> {
    tokio::time::timeout(t, future)
        .await
        .map_err(|_| format!("{what}: no answer within {}", seconds(t)))
}

fn seconds(t: Duration) -> String {
    let s = t.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s:.1}s")
    }
}

/// The driver's message: the server's own text for a database error, else the error and its
/// causes on one line.
fn error_text(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let s = cause.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = cause.source();
    }
    text
}
