//! TOML into the config tree, with lines from `toml`'s spanned parser (`DeTable`).

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::Tree;
use crate::error::{Error, Result};
use crate::model::Origin;
use crate::sources::line_of;
use crate::sources::lines::LineIndex;

pub fn parse(text: &str, file: &str) -> Result<Tree> {
    let table = DeTable::parse(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        // The message alone: toml's rendering quotes the source line.
        Error::at(
            file,
            line,
            format!("TOML syntax error: {}", e.message().trim()),
        )
    })?;
    let origin = Origin::new(file, 1);
    Ok(table_tree(
        table.get_ref(),
        &LineIndex::new(text),
        file,
        origin,
    ))
}

fn table_tree(table: &DeTable<'_>, text: &LineIndex, file: &str, origin: Origin) -> Tree {
    let mut entries: Vec<(String, Tree)> = table
        .iter()
        .map(|(k, v)| (k.get_ref().to_string(), value_tree(v, text, file)))
        .collect();
    // `toml` keeps tables in key order; show them in file order like the other formats.
    entries.sort_by_key(|(_, v)| line_key(v));
    Tree::Map(entries, origin)
}

fn line_key(t: &Tree) -> u32 {
    match t {
        Tree::Leaf { origin, .. } | Tree::List(_, origin) | Tree::Map(_, origin) => origin.line,
    }
}

fn value_tree(v: &Spanned<DeValue<'_>>, text: &LineIndex, file: &str) -> Tree {
    let origin = Origin::new(file, text.line(v.span().start));
    let leaf = |text: String, number: bool| Tree::Leaf {
        text,
        number,
        origin: origin.clone(),
    };
    match v.get_ref() {
        DeValue::String(s) => leaf(s.to_string(), false),
        DeValue::Integer(i) => leaf(i.as_str().replace('_', ""), i.radix() == 10),
        DeValue::Float(f) => leaf(f.as_str().replace('_', ""), true),
        DeValue::Boolean(b) => leaf(b.to_string(), false),
        DeValue::Datetime(d) => leaf(d.to_string(), false),
        DeValue::Array(items) => Tree::List(
            items.iter().map(|i| value_tree(i, text, file)).collect(),
            origin.clone(),
        ),
        DeValue::Table(t) => table_tree(t, text, file, origin.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines come from an index built once: a 50,000-element array (about 400 KB) used to
    /// count newlines from the start for each element.
    #[test]
    fn a_long_array_is_read_in_linear_time() {
        let mut text = String::from("values = [\n");
        for i in 0..50_000 {
            text.push_str(&format!("  \"item-{i:05}\",\n"));
        }
        text.push_str("]\n");
        let started = std::time::Instant::now();
        let tree = parse(&text, "big.toml").unwrap();
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        let Tree::Map(entries, _) = tree else {
            panic!("a table")
        };
        let Tree::List(items, _) = &entries[0].1 else {
            panic!("a list")
        };
        assert_eq!(line_key(&items[0]), 2);
        assert_eq!(line_key(&items[49_999]), 50_001);
    }
}
