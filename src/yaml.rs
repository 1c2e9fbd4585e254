//! A span-annotated YAML tree, built on the `saphyr-parser` event stream.
//!
//! We build our own tree (rather than using a serde-style loader) because every finding must point
//! at a line, scalars must keep their exact source text (`1.0`, `yes` and `0800` are the consumer's
//! to interpret), and custom tags such as Docker Compose's `!reset` / `!override` must survive.
//!
//! The builder is hardened against hostile input:
//! - it is iterative (an explicit stack of open collections), so deep nesting cannot overflow the
//!   call stack, and nesting is capped at [`Limits::max_depth`] so that the derived recursive
//!   `Clone`, `Drop` and `PartialEq` of [`Node`] stay shallow;
//! - alias expansion is budgeted *before* any clone is made (every anchored node records its
//!   subtree size), so a "billion laughs" document fails fast instead of exhausting memory.

use crate::hash::{HashMap, HashSet};

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span, Tag};

use crate::error::{Error, Result};

/// Resource limits applied while building the tree.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum number of nested collections (mappings/sequences). Keep this modest: it also bounds
    /// the recursion depth of `Clone`, `Drop` and `PartialEq` on the resulting tree.
    pub max_depth: usize,
    /// Maximum number of nodes created for a whole stream, counting every copy made by alias
    /// expansion. Copied scalar text is also capped, at [`ALIAS_BYTES_PER_NODE`] bytes per node.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_nodes: 1_000_000,
        }
    }
}

/// Source bytes per node a file may hold within its byte limit: the default 16 MiB allows about
/// the default million nodes.
const BYTES_PER_NODE: u64 = 16;

impl Limits {
    /// The limits for a file of at most `max_file_bytes`: a larger byte limit (`--max-file-size`)
    /// allows proportionally more nodes, so that raising it is enough to read a large file.
    pub fn for_file_size(max_file_bytes: u64) -> Self {
        let default = Limits::default();
        let nodes = usize::try_from(max_file_bytes / BYTES_PER_NODE).unwrap_or(usize::MAX);
        Limits {
            max_nodes: default.max_nodes.max(nodes),
            ..default
        }
    }
}

/// Bytes of scalar text that alias expansion may copy, per allowed node. A node count alone does
/// not stop a small number of aliases to one huge scalar from exhausting memory.
pub const ALIAS_BYTES_PER_NODE: usize = 64;

/// One node of the tree, with the position where it starts in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
    /// The node's tag, rendered as written for the common forms: `!reset`, `!!str`, `!Ref`.
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Map),
}

/// A scalar with its source text untouched: the consumer decides what `yes` or `010` means.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// True for single/double quoted and literal (`|`) / folded (`>`) block scalars.
    pub quoted: bool,
}

/// A mapping in source order. Keys are always scalar nodes; merge keys (`<<`) are already applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    pub entries: Vec<(Node, Node)>,
}

impl Map {
    /// The value for `key`, comparing key text.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The (key node, value node) pair for `key`.
    pub fn get_entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.entries.iter().find(|(k, _)| k.as_str() == Some(key))
    }

    /// Mutable access to the value for `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Whether an entry with this key text exists.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_entry(key).is_some()
    }

    /// `(key text, key node, value node)` in source order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node, &Node)> {
        self.entries
            .iter()
            .map(|(k, v)| (k.as_str().unwrap_or(""), k, v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Replaces the value of an existing entry with the same key text (keeping the original key
    /// node and position in the order), else appends the entry.
    pub fn insert(&mut self, key: Node, value: Node) {
        let existing = key.as_str().and_then(|text| {
            self.entries
                .iter()
                .position(|(k, _)| k.as_str() == Some(text))
        });
        match existing {
            Some(i) => self.entries[i].1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Removes and returns the entry with this key text.
    pub fn remove(&mut self, key: &str) -> Option<(Node, Node)> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_str() == Some(key))?;
        Some(self.entries.remove(i))
    }
}

impl Node {
    /// A node without a tag.
    pub fn new(value: Value, line: u32, column: u32) -> Node {
        Node {
            value,
            line,
            column,
            tag: None,
        }
    }

    /// A null node at a position.
    pub fn null(line: u32, column: u32) -> Node {
        Node::new(Value::Null, line, column)
    }

    /// A plain (unquoted) string scalar at a position.
    pub fn string(text: impl Into<String>, line: u32, column: u32) -> Node {
        Node::new(
            Value::Scalar(Scalar {
                text: text.into(),
                quoted: false,
            }),
            line,
            column,
        )
    }

    /// The scalar's text (not for null: `~` has no text worth keeping).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Map lookup; `None` if this node is not a mapping or lacks the key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    /// A word for error messages: "expected a mapping, found a sequence".
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Scalar(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag.as_deref() == Some(tag)
    }
}

/// All documents of a stream. `file` is only used in error messages.
pub fn parse_documents(text: &str, file: &str, limits: Limits) -> Result<Vec<Node>> {
    parse_documents_with_usage(text, file, limits).map(|(docs, _)| docs)
}

/// What building a stream cost, charged to the run budget (`sources::Workspace::yaml_documents`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Nodes created, alias copies included.
    pub nodes: u64,
    /// Scalar bytes copied by alias expansion.
    pub copied_bytes: u64,
}

/// `parse_documents`, and what it cost.
pub fn parse_documents_with_usage(
    text: &str,
    file: &str,
    limits: Limits,
) -> Result<(Vec<Node>, Usage)> {
    // Only anchors that some alias refers to need a saved copy; a cheap first pass finds them so
    // unreferenced anchors cost nothing (nested anchors would otherwise cost quadratic memory).
    let referenced = referenced_anchors(text);
    let mut builder = Builder::new(file, limits, referenced);
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| scan_error(file, &e))?;
        builder.event(event, span)?;
    }
    let usage = Usage {
        nodes: builder.nodes as u64,
        copied_bytes: builder.copied_bytes as u64,
    };
    Ok((builder.documents, usage))
}

/// The first document; an empty stream gives a Null node at line 1.
pub fn parse_document(text: &str, file: &str, limits: Limits) -> Result<Node> {
    Ok(parse_documents(text, file, limits)?
        .into_iter()
        .next()
        .unwrap_or_else(|| Node::null(1, 1)))
}

/// Anchor ids that at least one alias refers to. Stops at the first scan error: the real pass
/// reports it, and never gets past it.
fn referenced_anchors(text: &str) -> HashSet<usize> {
    let mut ids = HashSet::default();
    // Without `&` there is no anchor, so nothing an alias could refer to: skip the pass (most
    // files; the pass costs a third of the parse).
    if !text.contains('&') {
        return ids;
    }
    for event in Parser::new_from_str(text) {
        match event {
            Ok((Event::Alias(id), _)) => {
                ids.insert(id);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    ids
}

fn scan_error(file: &str, e: &ScanError) -> Error {
    let (line, column) = position(*e.marker());
    // The scanner caps flow nesting (`[[[...`) at 255 levels with a cryptic message; say it the
    // way our own depth limit does.
    let message = match e.info() {
        "recursion limit exceeded" => format!("nesting deeper than {} levels", u8::MAX),
        info => info.to_owned(),
    };
    Error::at(file, line, message).with_column(column)
}

/// 1-based (line, column) of a marker. Saphyr lines are already 1-based, columns 0-based.
fn position(mark: Marker) -> (u32, u32) {
    let line = u32::try_from(mark.line()).unwrap_or(u32::MAX).max(1);
    let column = u32::try_from(mark.col())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    (line, column)
}

/// Renders a resolved tag back to the short form people write.
fn render_tag(tag: &Tag) -> String {
    const CORE: &str = "tag:yaml.org,2002:";
    match tag.handle.as_str() {
        CORE => format!("!!{}", tag.suffix),
        "!" => format!("!{}", tag.suffix),
        // Verbatim tags (`!<...>`) and the non-specific `!` come with an empty handle.
        "" => {
            if let Some(core) = tag.suffix.strip_prefix(CORE) {
                format!("!!{core}")
            } else if tag.suffix.starts_with('!') {
                tag.suffix.clone()
            } else {
                format!("!<{}>", tag.suffix)
            }
        }
        // A `%TAG` prefix: the original shorthand is gone, so give the full tag.
        prefix => format!("!<{prefix}{}>", tag.suffix),
    }
}

/// Plain scalars that mean null in the YAML core schema.
fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Whether a key node is a YAML 1.1 merge key: a plain `<<` (optionally tagged `!!merge`).
fn is_merge_key(key: &Node) -> bool {
    matches!(&key.value, Value::Scalar(s) if s.text == "<<" && !s.quoted)
        && key.tag.as_deref().is_none_or(|t| t == "!!merge")
}

/// Size facts about a finished subtree, kept for anchored nodes so that an alias can be refused
/// before it is cloned.
#[derive(Debug, Clone, Copy)]
struct Stats {
    /// Nodes in the subtree, map keys included.
    nodes: usize,
    /// Collections on the longest path down (0 for a scalar).
    height: usize,
    /// Scalar text and tag bytes.
    bytes: usize,
}

impl Stats {
    fn leaf(node: &Node) -> Stats {
        let text = node.as_str().map_or(0, str::len);
        Stats {
            nodes: 1,
            height: 0,
            bytes: text + node.tag.as_ref().map_or(0, String::len),
        }
    }

    fn add_child(&mut self, child: Stats) {
        self.nodes += child.nodes;
        self.height = self.height.max(child.height + 1);
        self.bytes += child.bytes;
    }
}

/// A mapping member as written; merges are resolved when the mapping ends, because explicit keys
/// win even when they come after the `<<`.
enum MapItem {
    Entry(Node, Node),
    /// The maps of one `<<` value, in priority order.
    Merge(Vec<Map>),
}

enum Body {
    Seq(Vec<Node>),
    Map {
        items: Vec<MapItem>,
        /// A key waiting for its value, with the line it was written on.
        key: Option<(Node, u32)>,
        /// Explicit keys seen so far and their lines, for the duplicate check.
        seen: HashMap<String, u32>,
    },
}

/// An open collection on the builder's stack.
struct Frame {
    body: Body,
    line: u32,
    column: u32,
    tag: Option<String>,
    anchor: usize,
    stats: Stats,
}

struct Builder<'f> {
    file: &'f str,
    limits: Limits,
    /// Anchor ids some alias uses (see [`referenced_anchors`]).
    referenced: HashSet<usize>,
    /// Finished anchored nodes of the current document, by parser anchor id.
    anchors: HashMap<usize, (Node, Stats)>,
    stack: Vec<Frame>,
    /// The current document's root, once complete.
    root: Option<Node>,
    documents: Vec<Node>,
    /// Every node created so far in the stream, copies included.
    nodes: usize,
    /// Scalar bytes copied by alias expansion so far.
    copied_bytes: usize,
    /// Whether any alias was expanded, to word the node-limit error.
    expanded: bool,
}

impl<'f> Builder<'f> {
    fn new(file: &'f str, limits: Limits, referenced: HashSet<usize>) -> Self {
        Builder {
            file,
            limits,
            referenced,
            anchors: HashMap::default(),
            stack: Vec::new(),
            root: None,
            documents: Vec::new(),
            nodes: 0,
            copied_bytes: 0,
            expanded: false,
        }
    }

    fn error(&self, (line, column): (u32, u32), message: impl Into<String>) -> Error {
        Error::at(self.file, line, message).with_column(column)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<()> {
        let pos = position(span.start);
        match event {
            Event::DocumentStart(_) => {
                // Anchors are local to their document.
                self.anchors.clear();
                self.root = None;
            }
            Event::DocumentEnd => {
                let root = self.root.take().unwrap_or_else(|| Node::null(pos.0, pos.1));
                self.documents.push(root);
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count_new(pos)?;
                let tag = tag.map(|t| render_tag(&t));
                let node = scalar_node(text.into_owned(), style, tag, pos);
                let stats = Stats::leaf(&node);
                self.finish(node, stats, anchor, pos)?;
            }
            Event::Alias(id) => self.alias(id, pos)?,
            Event::SequenceStart(anchor, tag) => {
                self.open(Body::Seq(Vec::new()), anchor, tag, pos)?
            }
            Event::MappingStart(anchor, tag) => {
                let body = Body::Map {
                    items: Vec::new(),
                    key: None,
                    seen: HashMap::default(),
                };
                self.open(body, anchor, tag, pos)?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self
                    .stack
                    .pop()
                    .ok_or_else(|| self.error(pos, "unbalanced YAML collection end"))?;
                let value = match frame.body {
                    Body::Seq(items) => Value::Seq(items),
                    Body::Map { items, seen, .. } => Value::Map(resolve_merges(items, &seen)),
                };
                let node = Node {
                    value,
                    line: frame.line,
                    column: frame.column,
                    tag: frame.tag,
                };
                self.finish(node, frame.stats, frame.anchor, pos)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Counts one newly created node against the budget.
    fn count_new(&mut self, pos: (u32, u32)) -> Result<()> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(self.node_limit_error(pos));
        }
        Ok(())
    }

    fn node_limit_error(&self, pos: (u32, u32)) -> Error {
        let max = self.limits.max_nodes;
        if self.expanded {
            self.error(
                pos,
                format!("YAML alias expansion exceeds {max} nodes (possible alias bomb)"),
            )
        } else {
            self.error(
                pos,
                format!("YAML document exceeds {max} nodes (raise it with --max-file-size)"),
            )
        }
    }

    /// Charges a copy of a subtree to the budget. Called before cloning, so a refused copy costs
    /// nothing.
    fn charge_copy(&mut self, stats: Stats, pos: (u32, u32)) -> Result<()> {
        self.expanded = true;
        let nodes = self.nodes.saturating_add(stats.nodes);
        if nodes > self.limits.max_nodes {
            return Err(self.node_limit_error(pos));
        }
        let max_bytes = self.limits.max_nodes.saturating_mul(ALIAS_BYTES_PER_NODE);
        let bytes = self.copied_bytes.saturating_add(stats.bytes);
        if bytes > max_bytes {
            return Err(self.error(
                pos,
                format!("YAML alias expansion exceeds {max_bytes} bytes (possible alias bomb)"),
            ));
        }
        self.nodes = nodes;
        self.copied_bytes = bytes;
        Ok(())
    }

    fn depth_error(&self, pos: (u32, u32)) -> Error {
        let max = self.limits.max_depth;
        self.error(pos, format!("nesting deeper than {max} levels"))
    }

    /// Whether the innermost open collection is a mapping waiting for a key.
    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                body: Body::Map { key: None, .. },
                ..
            })
        )
    }

    fn open(
        &mut self,
        body: Body,
        anchor: usize,
        tag: Option<std::borrow::Cow<'_, Tag>>,
        pos: (u32, u32),
    ) -> Result<()> {
        // Refuse early: the collection's events would otherwise be built for nothing.
        if self.expecting_key() {
            let kind = match body {
                Body::Seq(_) => "sequence",
                Body::Map { .. } => "mapping",
            };
            return Err(self.error(
                pos,
                format!("a mapping key must be a scalar, found a {kind} (complex keys are not supported)"),
            ));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.depth_error(pos));
        }
        self.count_new(pos)?;
        let tag = tag.map(|t| render_tag(&t));
        let stats = Stats {
            nodes: 1,
            height: 1,
            bytes: tag.as_ref().map_or(0, String::len),
        };
        self.stack.push(Frame {
            body,
            line: pos.0,
            column: pos.1,
            tag,
            anchor,
            stats,
        });
        Ok(())
    }

    /// Replaces an alias by a copy of its anchored node, after checking the copy fits the limits.
    fn alias(&mut self, id: usize, pos: (u32, u32)) -> Result<()> {
        let Some((_, stats)) = self.anchors.get(&id) else {
            // The parser rejects unknown anchor names, so an id without a finished node is either
            // an alias inside its own anchored collection or one to an earlier document's anchor.
            let message = if self.stack.iter().any(|f| f.anchor == id) {
                "alias refers to the collection that contains it (recursive alias)"
            } else {
                "undefined alias (anchors are local to their document)"
            };
            return Err(self.error(pos, message));
        };
        let stats = *stats;
        if self.stack.len() + stats.height > self.limits.max_depth {
            return Err(self.depth_error(pos));
        }
        self.charge_copy(stats, pos)?;
        let node = self.anchors[&id].0.clone();
        self.attach(node, stats, pos)
    }

    /// A node is complete: remember it if an alias will want a copy, then hand it to its parent.
    fn finish(&mut self, node: Node, stats: Stats, anchor: usize, pos: (u32, u32)) -> Result<()> {
        if anchor != 0 && self.referenced.contains(&anchor) {
            self.charge_copy(stats, pos)?;
            self.anchors.insert(anchor, (node.clone(), stats));
        }
        self.attach(node, stats, pos)
    }

    fn attach(&mut self, node: Node, stats: Stats, pos: (u32, u32)) -> Result<()> {
        let file = self.file;
        let err = |message: String| Error::at(file, pos.0, message).with_column(pos.1);
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.stats.add_child(stats);
        match &mut frame.body {
            Body::Seq(items) => items.push(node),
            Body::Map { items, key, seen } => match key.take() {
                None => {
                    let Some(text) = node.as_str() else {
                        return Err(err(format!(
                            "a mapping key must be a scalar, found {}",
                            article(node.kind_name())
                        )));
                    };
                    // Merge keys may repeat and are not subject to the duplicate check.
                    if !is_merge_key(&node) {
                        if let Some(first) = seen.get(text) {
                            return Err(err(format!(
                                "duplicate key `{text}` (first defined at line {first})"
                            )));
                        }
                        seen.insert(text.to_owned(), pos.0);
                    }
                    *key = Some((node, pos.0));
                }
                Some((k, key_line)) if is_merge_key(&k) => {
                    let maps = merge_sources(node).map_err(|found| {
                        Error::at(
                            file,
                            key_line,
                            format!(
                                "merge key `<<` expects a mapping or a sequence of mappings, found {}",
                                article(found)
                            ),
                        )
                        .with_column(k.column)
                    })?;
                    items.push(MapItem::Merge(maps));
                }
                Some((k, _)) => items.push(MapItem::Entry(k, node)),
            },
        }
        Ok(())
    }
}

fn article(kind: &str) -> String {
    match kind {
        "null" => "null".to_owned(),
        _ => format!("a {kind}"),
    }
}

fn scalar_node(text: String, style: ScalarStyle, tag: Option<String>, pos: (u32, u32)) -> Node {
    let plain = style == ScalarStyle::Plain;
    // Only untagged (or `!!null`) plain scalars resolve to null: `!!str null` and `"null"` are
    // strings.
    let value = if plain && tag.as_deref().is_none_or(|t| t == "!!null") && is_null_text(&text) {
        Value::Null
    } else {
        Value::Scalar(Scalar {
            text,
            quoted: !plain,
        })
    };
    Node {
        value,
        line: pos.0,
        column: pos.1,
        tag,
    }
}

/// The maps a `<<` value contributes, in priority order; `Err(kind)` if it is not a mapping or a
/// sequence of mappings.
fn merge_sources(value: Node) -> std::result::Result<Vec<Map>, &'static str> {
    let kind = value.kind_name();
    match value.value {
        Value::Map(map) => Ok(vec![map]),
        Value::Seq(items) => items
            .into_iter()
            .map(|item| {
                let kind = item.kind_name();
                match item.value {
                    Value::Map(map) => Ok(map),
                    _ => Err(kind),
                }
            })
            .collect(),
        _ => Err(kind),
    }
}

/// Builds the final mapping: explicit entries in source order, merged entries at the place of
/// their `<<`, each merged key only if not written explicitly and not merged earlier.
fn resolve_merges(items: Vec<MapItem>, explicit: &HashMap<String, u32>) -> Map {
    let mut entries = Vec::with_capacity(items.len());
    let mut merged: HashSet<String> = HashSet::default();
    for item in items {
        match item {
            MapItem::Entry(k, v) => entries.push((k, v)),
            MapItem::Merge(maps) => {
                for (k, v) in maps.into_iter().flat_map(|m| m.entries) {
                    let text = k.as_str().unwrap_or_default();
                    if !explicit.contains_key(text) && merged.insert(text.to_owned()) {
                        entries.push((k, v));
                    }
                }
            }
        }
    }
    Map { entries }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_document(text, "t.yml", Limits::default()).unwrap()
    }

    fn parse_err(text: &str) -> Error {
        parse_document(text, "t.yml", Limits::default()).unwrap_err()
    }

    fn keys(node: &Node) -> Vec<&str> {
        node.as_map().unwrap().iter().map(|(k, _, _)| k).collect()
    }

    #[test]
    fn positions_of_nested_values() {
        let doc = parse("a: 1\nb:\n  c: d\n  e:\n    - f\n    - {x: [1, 2]}\n");
        assert_eq!((doc.line, doc.column), (1, 1));
        let a = doc.get("a").unwrap();
        assert_eq!((a.as_str(), a.line, a.column), (Some("1"), 1, 4));
        let b = doc.get("b").unwrap();
        assert_eq!((b.line, b.column), (3, 3));
        let (ck, cv) = b.as_map().unwrap().get_entry("c").unwrap();
        assert_eq!((ck.line, ck.column, cv.line, cv.column), (3, 3, 3, 6));
        let e = b.get("e").unwrap();
        assert_eq!((e.line, e.column), (5, 5));
        let items = e.as_seq().unwrap();
        assert_eq!((items[0].line, items[0].column), (5, 7));
        let flow = &items[1];
        assert_eq!((flow.line, flow.column), (6, 7));
        let x = flow.get("x").unwrap();
        assert_eq!((x.line, x.column), (6, 11));
        assert_eq!(
            (x.as_seq().unwrap()[1].line, x.as_seq().unwrap()[1].column),
            (6, 15)
        );
    }

    #[test]
    fn null_forms_and_plain_text_kept_exactly() {
        let doc = parse(
            "a: null\nb: Null\nc: NULL\nd: ~\ne:\nf: nUll\ng: 1.0\nh: yes\ni: 0800\nj: ''\nk: \"null\"\n",
        );
        for key in ["a", "b", "c", "d", "e"] {
            assert!(doc.get(key).unwrap().is_null(), "{key}");
        }
        assert_eq!(doc.get("f").unwrap().as_str(), Some("nUll"));
        assert_eq!(doc.get("g").unwrap().as_str(), Some("1.0"));
        assert_eq!(doc.get("h").unwrap().as_str(), Some("yes"));
        assert_eq!(doc.get("i").unwrap().as_str(), Some("0800"));
        assert_eq!(doc.get("j").unwrap().as_str(), Some(""));
        assert_eq!(doc.get("k").unwrap().as_str(), Some("null"));
        assert_eq!(doc.get("a").unwrap().kind_name(), "null");
        assert_eq!(doc.get("a").unwrap().as_str(), None);
    }

    #[test]
    fn quoted_versus_plain() {
        let doc = parse("p: x\ns: 'x'\nd: \"x\"\nl: |\n  x\nf: >\n  x\n");
        let quoted = |k: &str| doc.get(k).unwrap().as_scalar().unwrap().quoted;
        assert!(!quoted("p"));
        assert!(quoted("s"));
        assert!(quoted("d"));
        assert!(quoted("l"));
        assert!(quoted("f"));
        assert_eq!(doc.get("l").unwrap().as_str(), Some("x\n"));
    }

    #[test]
    fn flow_and_block_styles_give_the_same_tree_shape() {
        let block = parse("a:\n  - 1\n  - b: c\n");
        let flow = parse("{a: [1, {b: c}]}");
        let shape = |n: &Node| {
            let a = n.get("a").unwrap().as_seq().unwrap();
            (
                a.len(),
                a[0].as_str().map(str::to_owned),
                a[1].get("b").unwrap().as_str().map(str::to_owned),
            )
        };
        assert_eq!(shape(&block), shape(&flow));
        assert_eq!(block.kind_name(), "mapping");
        assert_eq!(block.get("a").unwrap().kind_name(), "sequence");
        assert_eq!(
            block.get("a").unwrap().as_seq().unwrap()[0].kind_name(),
            "string"
        );
    }

    #[test]
    fn aliases_are_deep_copies_with_the_anchor_lines() {
        let doc = parse("base: &b\n  x: 1\n  y: [2]\nuse: *b\nscalar: &s hi\nagain: *s\n");
        let base = doc.get("base").unwrap();
        let copy = doc.get("use").unwrap();
        assert_eq!(base, copy);
        // A node starts at its properties: the anchor `&b` on line 1.
        assert_eq!((copy.line, copy.column), (1, 7));
        assert_eq!(copy.get("x").unwrap().line, 2);
        assert_eq!(doc.get("again").unwrap().as_str(), Some("hi"));
        assert_eq!(doc.get("again").unwrap().line, 5);
    }

    #[test]
    fn alias_problems_are_errors() {
        let e = parse_err("a: *nope\n");
        assert_eq!(e.line, Some(1));
        let e = parse_err("a: &x [1, *x]\n");
        assert!(e.message.contains("recursive alias"), "{}", e.message);
        // Anchors do not cross documents.
        let e = parse_documents("a: &x 1\n---\nb: *x\n", "t.yml", Limits::default()).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("undefined alias"), "{}", e.message);
    }

    #[test]
    fn merge_key_single_map() {
        let doc = parse(
            "x-base: &base\n  image: app\n  restart: always\nsvc:\n  <<: *base\n  restart: never\n",
        );
        let svc = doc.get("svc").unwrap();
        assert_eq!(keys(svc), ["image", "restart"]);
        assert_eq!(svc.get("image").unwrap().as_str(), Some("app"));
        assert_eq!(svc.get("image").unwrap().line, 2);
        assert_eq!(svc.get("restart").unwrap().as_str(), Some("never"));
        assert!(svc.get("<<").is_none());
    }

    #[test]
    fn merge_explicit_keys_win_even_before_the_merge() {
        let doc = parse("b: &b {k: merged, m: 1}\nsvc:\n  k: explicit\n  <<: *b\n");
        let svc = doc.get("svc").unwrap();
        assert_eq!(keys(svc), ["k", "m"]);
        assert_eq!(svc.get("k").unwrap().as_str(), Some("explicit"));
    }

    #[test]
    fn merge_list_earlier_maps_win() {
        let doc = parse(
            "a: &a {k: from-a, only_a: 1}\nb: &b {k: from-b, only_b: 2}\nc:\n  <<: [*a, *b]\n  own: 3\n",
        );
        let c = doc.get("c").unwrap();
        assert_eq!(keys(c), ["k", "only_a", "only_b", "own"]);
        assert_eq!(c.get("k").unwrap().as_str(), Some("from-a"));
        // A merged map that itself merged is already resolved.
        let doc = parse("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\n");
        assert_eq!(keys(doc.get("c").unwrap()), ["x", "y"]);
    }

    #[test]
    fn merge_of_a_non_mapping_is_an_error() {
        let e = parse_err("a: 1\nb:\n  <<: [1]\n");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("merge key"), "{}", e.message);
        let e = parse_err("b:\n  <<: text\n");
        assert_eq!(e.line, Some(2));
        // A quoted "<<" is an ordinary key.
        let doc = parse("\"<<\": text\n");
        assert_eq!(doc.get("<<").unwrap().as_str(), Some("text"));
    }

    #[test]
    fn duplicate_keys_report_both_lines() {
        let e = parse_err("a: 1\nb: 2\na: 3\n");
        assert_eq!(e.message, "duplicate key `a` (first defined at line 1)");
        assert_eq!((e.line, e.column), (Some(3), Some(1)));
        assert_eq!(e.file.as_deref(), Some("t.yml"));
        let e = parse_err("x:\n  k: 1\n  'k': 2\n");
        assert_eq!(e.message, "duplicate key `k` (first defined at line 2)");
        assert_eq!(e.line, Some(3));
        // Merged keys do not count as duplicates.
        parse("b: &b {k: 1}\nm:\n  k: 2\n  <<: *b\n");
    }

    #[test]
    fn keys_must_be_scalars() {
        let e = parse_err("a: 1\n? [x, y]\n: 2\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("found a sequence"), "{}", e.message);
        let e = parse_err("{a: 1}: 2\n");
        assert!(e.message.contains("found a mapping"), "{}", e.message);
        let e = parse_err("a: 1\n~: 2\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("found null"), "{}", e.message);
        let e = parse_err("s: &s [1]\nm:\n  *s : 2\n");
        assert!(e.message.contains("found a sequence"), "{}", e.message);
        // Numbers and quoted words are fine keys.
        let doc = parse("8080: web\n'null': x\n");
        assert_eq!(keys(&doc), ["8080", "null"]);
    }

    const BILLION_LAUGHS: &str = r#"a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"#;

    #[test]
    fn billion_laughs_fails_fast() {
        let start = std::time::Instant::now();
        let e = parse_err(BILLION_LAUGHS);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(
            e.message,
            "YAML alias expansion exceeds 1000000 nodes (possible alias bomb)"
        );
        assert!(e.line.is_some());
        // The same shape within a small budget: the limit is about copies, not the text size.
        let small = Limits {
            max_nodes: 50,
            ..Limits::default()
        };
        let e = parse_document(BILLION_LAUGHS, "t.yml", small).unwrap_err();
        assert_eq!(
            e.message,
            "YAML alias expansion exceeds 50 nodes (possible alias bomb)"
        );
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn node_limit_without_aliases_is_worded_plainly() {
        let limits = Limits {
            max_nodes: 5,
            ..Limits::default()
        };
        let e = parse_document("[1, 2, 3, 4, 5]", "t.yml", limits).unwrap_err();
        assert_eq!(
            e.message,
            "YAML document exceeds 5 nodes (raise it with --max-file-size)"
        );
        // Exactly at the limit is fine: the sequence plus four items.
        parse_document("[1, 2, 3, 4]", "t.yml", limits).unwrap();
    }

    #[test]
    fn a_larger_file_size_limit_allows_more_nodes() {
        // The default file limit (16 MiB) allows about the default node limit; it never drops
        // below that.
        assert_eq!(Limits::for_file_size(16 * 1024 * 1024).max_nodes, 1_048_576);
        assert_eq!(Limits::for_file_size(1024).max_nodes, 1_000_000);
        assert_eq!(Limits::for_file_size(64 * 1024 * 1024).max_nodes, 4_194_304);
        assert_eq!(Limits::for_file_size(64 * 1024 * 1024).max_depth, 256);
    }

    #[test]
    fn huge_scalar_aliases_are_capped_by_bytes() {
        let big = "x".repeat(100_000);
        let mut text = format!("a: &a {big}\nb: [");
        text.push_str(&"*a, ".repeat(1_000));
        text.push_str("]\n");
        let e = parse_err(&text);
        assert!(
            e.message.contains("bytes (possible alias bomb)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unreferenced_nested_anchors_cost_nothing_extra() {
        // Each anchor would need a saved copy of everything below it if it were referenced.
        let limits = Limits {
            max_nodes: 2_000,
            ..Limits::default()
        };
        let mut text = String::new();
        for level in 0..50 {
            text.push_str(&format!("{}- &a{level}\n", "  ".repeat(level)));
        }
        text.push_str(&format!("{}- [{}]\n", "  ".repeat(50), "x, ".repeat(1_000)));
        parse_document(&text, "t.yml", limits).unwrap();
    }

    #[test]
    fn nesting_limit_is_an_error_not_a_crash() {
        let limits = Limits::default();
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        parse_document(&ok, "t.yml", limits).unwrap();

        // 100,000 levels of flow nesting.
        let flow = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse_document(&flow, "t.yml", limits).unwrap_err();
        assert_eq!(e.message, "nesting deeper than 255 levels");
        assert_eq!((e.line, e.column), (Some(1), Some(256)));

        // Flow nesting within the scanner's own limit reaches ours.
        let tight = Limits {
            max_depth: 10,
            ..Limits::default()
        };
        let e = parse_document(&flow[..100], "t.yml", tight).unwrap_err();
        assert_eq!(e.message, "nesting deeper than 10 levels");
        assert_eq!((e.line, e.column), (Some(1), Some(11)));

        // 100,000 levels of compact block sequences on one line.
        let block_line = format!("{}x\n", "- ".repeat(100_000));
        let e = parse_document(&block_line, "t.yml", limits).unwrap_err();
        assert_eq!(e.message, "nesting deeper than 256 levels");

        // 2,000 levels of indented block sequences.
        let mut block = String::new();
        for level in 0..2_000 {
            block.push_str(&"  ".repeat(level));
            block.push_str("-\n");
        }
        let e = parse_document(&block, "t.yml", limits).unwrap_err();
        assert_eq!(e.message, "nesting deeper than 256 levels");
        assert_eq!(e.line, Some(257));

        // Mappings count too.
        let mut maps = String::new();
        for level in 0..300 {
            maps.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
        }
        let e = parse_document(&maps, "t.yml", limits).unwrap_err();
        assert_eq!(e.message, "nesting deeper than 256 levels");
    }

    #[test]
    fn exactly_max_depth_is_allowed_and_the_tree_is_usable() {
        let limits = Limits {
            max_depth: 256,
            ..Limits::default()
        };
        let mut block = String::new();
        for level in 0..256 {
            block.push_str(&"  ".repeat(level));
            block.push_str("-\n");
        }
        let doc = parse_document(&block, "t.yml", limits).unwrap();
        let copy = doc.clone();
        assert_eq!(doc, copy);
        let mut block = String::new();
        for level in 0..257 {
            block.push_str(&"  ".repeat(level));
            block.push_str("-\n");
        }
        parse_document(&block, "t.yml", limits).unwrap_err();
    }

    #[test]
    fn aliases_cannot_exceed_the_depth_limit() {
        let limits = Limits {
            max_depth: 4,
            ..Limits::default()
        };
        // Each alias nests the anchor's three levels one level deeper.
        let text = "a: &a [[1]]\nb: [*a]\nc: [[*a]]\n";
        let e = parse_document(text, "t.yml", limits).unwrap_err();
        assert_eq!(e.message, "nesting deeper than 4 levels");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn scanner_errors_keep_line_and_column() {
        let e = parse_err("a:\n\tb: 1\n");
        assert_eq!(e.line, Some(2));
        assert!(e.column.is_some());
        assert!(e.message.to_lowercase().contains("tab"), "{}", e.message);

        let e = parse_err("a: 1\nb: \"open\n");
        assert!(e.line.is_some());
        assert!(!e.message.is_empty());

        let e = parse_err("a:\n  b: 1\n c: 2\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(e.file.as_deref(), Some("t.yml"));
    }

    #[test]
    fn multiple_documents_and_empty_ones() {
        let docs = parse_documents("a: 1\n---\nb: 2\n---\n", "t.yml", Limits::default()).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].get("a").unwrap().as_str(), Some("1"));
        assert_eq!(docs[1].get("b").unwrap().as_str(), Some("2"));
        assert_eq!(docs[1].line, 3);
        assert!(docs[2].is_null());

        assert!(parse_documents("", "t.yml", Limits::default())
            .unwrap()
            .is_empty());
        let empty = parse("# only a comment\n");
        assert!(empty.is_null());
        assert_eq!(empty.line, 1);
        // Anchors may be reused per document.
        let docs = parse_documents(
            "a: &x 1\nb: *x\n---\na: &x 2\nb: *x\n",
            "t.yml",
            Limits::default(),
        )
        .unwrap();
        assert_eq!(docs[1].get("b").unwrap().as_str(), Some("2"));
    }

    #[test]
    fn tags_are_kept() {
        let doc = parse(
            "a: !reset []\nb: !override {x: 1}\nc: !!str null\nd: !Ref Name\ne: !reset\nf: !!int 3\ng: !<tag:yaml.org,2002:str> v\n",
        );
        assert!(doc.get("a").unwrap().has_tag("!reset"));
        assert_eq!(doc.get("a").unwrap().as_seq().map(<[Node]>::len), Some(0));
        assert!(doc.get("b").unwrap().has_tag("!override"));
        let c = doc.get("c").unwrap();
        assert!(c.has_tag("!!str"));
        assert_eq!(c.as_str(), Some("null"));
        assert_eq!(doc.get("d").unwrap().tag.as_deref(), Some("!Ref"));
        let e = doc.get("e").unwrap();
        assert!(e.has_tag("!reset"));
        assert_eq!(e.as_str(), Some(""));
        assert!(doc.get("f").unwrap().has_tag("!!int"));
        assert!(doc.get("g").unwrap().has_tag("!!str"));
        assert!(!doc.get("d").unwrap().has_tag("!reset"));
        assert!(parse("a: !!null ~\n").get("a").unwrap().is_null());
    }

    #[test]
    fn map_helpers() {
        let mut doc = parse("a: 1\nb: 2\n");
        let map = doc.as_map_mut().unwrap();
        assert_eq!(map.len(), 2);
        assert!(!map.is_empty());
        map.insert(Node::string("a", 9, 1), Node::string("new", 9, 4));
        assert_eq!(map.len(), 2);
        let (k, v) = map.get_entry("a").unwrap();
        assert_eq!((k.line, v.as_str()), (1, Some("new")));
        map.insert(Node::string("c", 9, 1), Node::null(9, 4));
        assert_eq!(keys(&doc), ["a", "b", "c"]);
        let map = doc.as_map_mut().unwrap();
        let (k, _) = map.remove("b").unwrap();
        assert_eq!(k.as_str(), Some("b"));
        assert!(map.remove("b").is_none());
        assert!(map.contains_key("c"));
        assert!(doc.get("missing").is_none());
        assert!(doc.get("a").unwrap().get("x").is_none());
        assert!(Map::default().is_empty());
    }
}
