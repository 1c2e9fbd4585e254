//! A database schema as the catalogs describe it, a checksum per table and per schema (seed
//! 003's idea: compare checksums first, details only where they differ), and a readable diff
//! in the manner of migra and pg-schema-diff: missing table, extra column, different type,
//! missing index.
//!
//! Objects are kept by name in sorted maps, so two servers' schemas compare name by name and
//! the checksums do not depend on catalog order.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Longest definition kept as text (a view's or a check's); longer ones are kept as a digest,
/// so one huge view cannot take the memory of thousands of tables.
pub const MAX_DEFINITION_CHARS: usize = 2_000;

/// Every schema of one database, by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Database {
    pub name: String,
    pub schemas: BTreeMap<String, Schema>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    /// Tables, views, materialized views and foreign tables, by name.
    pub relations: BTreeMap<String, Relation>,
    /// Sequences: name -> `bigint +1 from 1`.
    pub sequences: BTreeMap<String, String>,
    /// Functions and procedures: `name(args)` -> result type and a digest of the body.
    pub functions: BTreeMap<String, String>,
    /// Enums: name -> labels in order.
    pub enums: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Relation {
    /// `table`, `view`, `materialized view`, `partitioned table`, `foreign table`.
    pub kind: &'static str,
    /// In column order.
    pub columns: Vec<Column>,
    /// Index name -> definition (`CREATE UNIQUE INDEX ... USING btree (email)`).
    pub indexes: BTreeMap<String, String>,
    /// Constraint name -> `primary key (id)`, `foreign key ...`, `check (...)`.
    pub constraints: BTreeMap<String, String>,
    /// A view's definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub not_null: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

impl Column {
    fn describe(&self) -> String {
        let mut s = self.data_type.clone();
        if self.not_null {
            s.push_str(" not null");
        }
        if let Some(d) = &self.default {
            s.push_str(" default ");
            s.push_str(d);
        }
        s
    }
}

pub fn relation_kind(relkind: &str) -> &'static str {
    match relkind {
        "r" => "table",
        "p" => "partitioned table",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        _ => "relation",
    }
}

/// A definition as kept: the text, or its digest when too long.
pub fn keep_definition(text: &str) -> String {
    if text.chars().count() <= MAX_DEFINITION_CHARS {
        text.trim().to_string()
    } else {
        format!(
            "(long definition, sha256 {})",
            short_digest(text.as_bytes())
        )
    }
}

/// The first 16 hex digits of a SHA-256.
pub fn short_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl Relation {
    /// The checksum of everything compared: kind, columns (name, type, nullability, default)
    /// in order, indexes, constraints, definition.
    pub fn checksum(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.kind);
        for c in &self.columns {
            h.update(format!("\0c{}\0{}", c.name, c.describe()));
        }
        for (k, v) in &self.indexes {
            h.update(format!("\0i{k}\0{v}"));
        }
        for (k, v) in &self.constraints {
            h.update(format!("\0k{k}\0{v}"));
        }
        if let Some(d) = &self.definition {
            h.update(format!("\0d{d}"));
        }
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl Schema {
    /// The checksum of the whole schema: every relation's checksum, sequences, functions,
    /// enums.
    pub fn checksum(&self) -> String {
        let mut h = Sha256::new();
        for (name, r) in &self.relations {
            h.update(format!("\0r{name}\0{}", r.checksum()));
        }
        for (tag, map) in [
            ("s", &self.sequences),
            ("f", &self.functions),
            ("e", &self.enums),
        ] {
            for (k, v) in map {
                h.update(format!("\0{tag}{k}\0{v}"));
            }
        }
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn object_count(&self) -> usize {
        self.relations.len() + self.sequences.len() + self.functions.len() + self.enums.len()
    }
}

/// `1 object`, `12 objects`.
pub fn objects(n: usize) -> String {
    if n == 1 {
        "1 object".into()
    } else {
        format!("{n} objects")
    }
}

/// How an object differs between the reference server and another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In the reference, not in the other server.
    Missing,
    /// In the other server, not in the reference.
    Extra,
    /// In both, different.
    Different,
}

/// One difference: `public.users` column `email`, type `text` vs `varchar(255)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaDifference {
    pub schema: String,
    /// `table`, `column`, `index`, `constraint`, `view`, `sequence`, `function`, `enum`,
    /// `schema`.
    pub object: &'static str,
    /// `users`, `users.email`, `users_email_idx`.
    pub name: String,
    pub change: Change,
    /// What differs for `different`: `type`, `nullability`, `default`, `definition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect: Option<&'static str>,
    /// The reference's value, when it has the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The other server's value, when it has the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
}

impl SchemaDifference {
    /// `missing column public.users.email (text not null)`, `different type of column
    /// public.users.age: integer here, bigint in the reference`.
    pub fn describe(&self, reference_env: &str, env: &str) -> String {
        let qualified = if self.object == "schema" {
            self.schema.clone()
        } else {
            format!("{}.{}", self.schema, self.name)
        };
        let paren = |v: &Option<String>| match v {
            Some(v) if !v.is_empty() => format!(" ({v})"),
            _ => String::new(),
        };
        match self.change {
            Change::Missing => format!(
                "missing {} {qualified}{}: in {reference_env}, not in {env}",
                self.object,
                paren(&self.reference)
            ),
            Change::Extra => format!(
                "extra {} {qualified}{}: in {env}, not in {reference_env}",
                self.object,
                paren(&self.other)
            ),
            Change::Different => format!(
                "different {} of {} {qualified}: `{}` in {reference_env}, `{}` in {env}",
                self.aspect.unwrap_or("definition"),
                self.object,
                self.reference.as_deref().unwrap_or(""),
                self.other.as_deref().unwrap_or("")
            ),
        }
    }
}

/// Differences of `other` against `reference`, schema by schema, in name order. Only the
/// relations whose checksums differ are compared in detail.
pub fn diff(reference: &Database, other: &Database) -> Vec<SchemaDifference> {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> = reference
        .schemas
        .keys()
        .chain(other.schemas.keys())
        .collect();
    for name in names {
        match (reference.schemas.get(name), other.schemas.get(name)) {
            (Some(r), Some(o)) => diff_schema(name, r, o, &mut out),
            (Some(r), None) => out.push(whole_schema(name, Change::Missing, r)),
            (None, Some(o)) => out.push(whole_schema(name, Change::Extra, o)),
            (None, None) => {}
        }
    }
    out
}

fn whole_schema(name: &str, change: Change, s: &Schema) -> SchemaDifference {
    let summary = Some(objects(s.object_count()));
    SchemaDifference {
        schema: name.to_string(),
        object: "schema",
        name: name.to_string(),
        change,
        aspect: None,
        reference: if change == Change::Missing {
            summary.clone()
        } else {
            None
        },
        other: if change == Change::Extra {
            summary
        } else {
            None
        },
    }
}

fn diff_schema(schema: &str, r: &Schema, o: &Schema, out: &mut Vec<SchemaDifference>) {
    let push = |out: &mut Vec<SchemaDifference>,
                object: &'static str,
                name: String,
                change: Change,
                aspect: Option<&'static str>,
                reference: Option<String>,
                other: Option<String>| {
        out.push(SchemaDifference {
            schema: schema.to_string(),
            object,
            name,
            change,
            aspect,
            reference,
            other,
        })
    };
    for_each_pair(&r.relations, &o.relations, |name, a, b| match (a, b) {
        (Some(a), None) => push(
            out,
            a.kind_word(),
            name.into(),
            Change::Missing,
            None,
            Some(a.summary()),
            None,
        ),
        (None, Some(b)) => push(
            out,
            b.kind_word(),
            name.into(),
            Change::Extra,
            None,
            None,
            Some(b.summary()),
        ),
        (Some(a), Some(b)) if a.checksum() != b.checksum() => {
            diff_relation(name, a, b, &mut |object, n, change, aspect, x, y| {
                push(out, object, n, change, aspect, x, y)
            })
        }
        _ => {}
    });
    for (object, a, b) in [
        ("sequence", &r.sequences, &o.sequences),
        ("function", &r.functions, &o.functions),
        ("enum", &r.enums, &o.enums),
    ] {
        diff_map(
            object,
            a,
            b,
            None,
            &mut |object, n, change, aspect, x, y| push(out, object, n, change, aspect, x, y),
        );
    }
}

type Sink<'a> = dyn FnMut(&'static str, String, Change, Option<&'static str>, Option<String>, Option<String>)
    + 'a;

impl Relation {
    fn kind_word(&self) -> &'static str {
        match self.kind {
            "view" => "view",
            "materialized view" => "materialized view",
            _ => "table",
        }
    }

    fn summary(&self) -> String {
        let mut parts = vec![format!("{} columns", self.columns.len())];
        if !self.indexes.is_empty() {
            parts.push(format!("{} indexes", self.indexes.len()));
        }
        parts.join(", ")
    }
}

fn diff_relation(table: &str, a: &Relation, b: &Relation, sink: &mut Sink) {
    let object = a.kind_word();
    if a.kind != b.kind {
        sink(
            object,
            table.into(),
            Change::Different,
            Some("kind"),
            Some(a.kind.into()),
            Some(b.kind.into()),
        );
    }
    let find = |cols: &[Column], n: &str| cols.iter().position(|c| c.name == n);
    for c in &a.columns {
        let name = format!("{table}.{}", c.name);
        match find(&b.columns, &c.name).map(|i| &b.columns[i]) {
            None => sink(
                "column",
                name,
                Change::Missing,
                None,
                Some(c.describe()),
                None,
            ),
            Some(d) => {
                if c.data_type != d.data_type {
                    sink(
                        "column",
                        name.clone(),
                        Change::Different,
                        Some("type"),
                        Some(c.data_type.clone()),
                        Some(d.data_type.clone()),
                    );
                }
                if c.not_null != d.not_null {
                    let n = |x: bool| if x { "not null" } else { "null" }.to_string();
                    sink(
                        "column",
                        name.clone(),
                        Change::Different,
                        Some("nullability"),
                        Some(n(c.not_null)),
                        Some(n(d.not_null)),
                    );
                }
                if c.default != d.default {
                    let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "no default".into());
                    sink(
                        "column",
                        name,
                        Change::Different,
                        Some("default"),
                        Some(v(&c.default)),
                        Some(v(&d.default)),
                    );
                }
            }
        }
    }
    for d in &b.columns {
        if find(&a.columns, &d.name).is_none() {
            sink(
                "column",
                format!("{table}.{}", d.name),
                Change::Extra,
                None,
                None,
                Some(d.describe()),
            );
        }
    }
    diff_map("index", &a.indexes, &b.indexes, None, sink);
    diff_map(
        "constraint",
        &a.constraints,
        &b.constraints,
        Some(table),
        sink,
    );
    if a.definition != b.definition {
        sink(
            object,
            table.into(),
            Change::Different,
            Some("definition"),
            a.definition.clone(),
            b.definition.clone(),
        );
    }
}

/// Named objects with a definition each: missing, extra, or a different definition.
/// `owner` prefixes names that are only unique per table (constraints).
fn diff_map(
    object: &'static str,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    owner: Option<&str>,
    sink: &mut Sink,
) {
    let name = |n: &str| match owner {
        Some(t) => format!("{t}.{n}"),
        None => n.to_string(),
    };
    for_each_pair(a, b, |n, x, y| match (x, y) {
        (Some(x), None) => sink(
            object,
            name(n),
            Change::Missing,
            None,
            Some(x.clone()),
            None,
        ),
        (None, Some(y)) => sink(object, name(n), Change::Extra, None, None, Some(y.clone())),
        (Some(x), Some(y)) if x != y => sink(
            object,
            name(n),
            Change::Different,
            Some("definition"),
            Some(x.clone()),
            Some(y.clone()),
        ),
        _ => {}
    });
}

/// Walk two sorted maps together, in name order.
fn for_each_pair<'a, V>(
    a: &'a BTreeMap<String, V>,
    b: &'a BTreeMap<String, V>,
    mut f: impl FnMut(&'a str, Option<&'a V>, Option<&'a V>),
) {
    let mut ia = a.iter().peekable();
    let mut ib = b.iter().peekable();
    loop {
        match (ia.peek(), ib.peek()) {
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                std::cmp::Ordering::Less => {
                    f(ka, Some(va), None);
                    ia.next();
                }
                std::cmp::Ordering::Greater => {
                    f(kb, None, Some(vb));
                    ib.next();
                }
                std::cmp::Ordering::Equal => {
                    f(ka, Some(va), Some(vb));
                    ia.next();
                    ib.next();
                }
            },
            (Some((ka, va)), None) => {
                f(ka, Some(va), None);
                ia.next();
            }
            (None, Some((kb, vb))) => {
                f(kb, None, Some(vb));
                ib.next();
            }
            (None, None) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, t: &str, not_null: bool) -> Column {
        Column {
            name: name.into(),
            data_type: t.into(),
            not_null,
            default: None,
        }
    }

    fn db(tables: Vec<(&str, Relation)>) -> Database {
        let mut s = Schema::default();
        for (n, r) in tables {
            s.relations.insert(n.into(), r);
        }
        Database {
            name: "app".into(),
            schemas: [("public".to_string(), s)].into(),
        }
    }

    fn users(extra_index: bool, email_type: &str) -> Relation {
        let mut r = Relation {
            kind: "table",
            columns: vec![col("id", "bigint", true), col("email", email_type, false)],
            ..Relation::default()
        };
        r.constraints
            .insert("users_pkey".into(), "PRIMARY KEY (id)".into());
        if extra_index {
            r.indexes.insert(
                "users_email_idx".into(),
                "CREATE INDEX users_email_idx ON public.users USING btree (email)".into(),
            );
        }
        r
    }

    #[test]
    fn checksums_are_stable_and_detect_changes() {
        let a = db(vec![("users", users(false, "text"))]);
        let b = db(vec![("users", users(false, "text"))]);
        assert_eq!(
            a.schemas["public"].checksum(),
            b.schemas["public"].checksum()
        );
        assert_eq!(a.schemas["public"].checksum().len(), 16);
        let c = db(vec![("users", users(true, "text"))]);
        assert_ne!(
            a.schemas["public"].checksum(),
            c.schemas["public"].checksum()
        );
        assert!(diff(&a, &b).is_empty());
    }

    #[test]
    fn readable_differences() {
        let mut orders = Relation {
            kind: "table",
            columns: vec![
                col("id", "bigint", true),
                col("total", "numeric(10,2)", true),
            ],
            ..Relation::default()
        };
        let reference = db(vec![
            ("users", users(false, "text")),
            ("orders", orders.clone()),
        ]);
        orders.columns.pop();
        let other = db(vec![
            ("users", users(true, "character varying(255)")),
            ("orders", orders),
        ]);
        let lines: Vec<String> = diff(&reference, &other)
            .iter()
            .map(|d| d.describe("staging", "production"))
            .collect();
        assert_eq!(
            lines,
            [
                "missing column public.orders.total (numeric(10,2) not null): in staging, not in production",
                "different type of column public.users.email: `text` in staging, `character varying(255)` in production",
                "extra index public.users_email_idx (CREATE INDEX users_email_idx ON public.users USING btree (email)): in production, not in staging",
            ]
        );
        let empty = Database::default();
        let d = diff(&reference, &empty);
        assert_eq!(
            d[0].describe("a", "b"),
            "missing schema public (2 objects): in a, not in b"
        );
    }

    #[test]
    fn long_definitions_are_kept_as_digests() {
        let long = "x".repeat(MAX_DEFINITION_CHARS + 1);
        assert!(keep_definition(&long).starts_with("(long definition, sha256 "));
        assert_eq!(keep_definition(" SELECT 1 "), "SELECT 1");
    }
}
