//! A YAML document as a tree of nodes that remember where they are (line and column), read
//! with `serde-saphyr`. The scenario parser walks this tree so every error it reports can
//! name the exact place in the file.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

/// A place in a file: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One YAML node and its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What it holds.
    pub kind: NodeKind,
}

/// The shapes a node can take.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar (null, bool, number or string).
    Scalar(Value),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order; keys are strings with their positions.
    Map(Vec<(Key, Node)>),
}

/// A mapping key and its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// Where the key is.
    pub pos: Pos,
    /// The key.
    pub name: String,
}

impl Node {
    /// The node as plain JSON (positions dropped).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Scalar(v) => v.clone(),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The string, if the node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The entries, if the node is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A short description of the node's shape, for error messages.
    pub fn shape(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(Value::Null) => "nothing",
            NodeKind::Scalar(Value::String(_)) => "a string",
            NodeKind::Scalar(Value::Bool(_)) => "a boolean",
            NodeKind::Scalar(_) => "a number",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// What it expected or found.
    pub message: String,
}

/// Deepest nesting of sequences and mappings a scenario file may have. serde-saphyr's default
/// budget (64) is too deep for a debug build's 2 MB thread stack (deserializing `Spanned<Raw>`
/// overflowed at about 70 levels); scenario files need fewer than 10.
const MAX_DEPTH: usize = 32;

/// Parses a YAML document into a [`Node`] tree; nesting beyond [`MAX_DEPTH`] is a syntax
/// error, so neither the parser nor the walkers of the tree recurse deeper.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    let spanned: Spanned<Raw> =
        serde_saphyr::from_str_with_options(text, options).map_err(|e| {
            let pos = e
                .location()
                .map(|l| Pos {
                    line: l.line(),
                    column: l.column(),
                })
                .unwrap_or_default();
            // The first line without the "error: line L column C:" prefix.
            let first = e.to_string().lines().next().unwrap_or_default().to_string();
            let message = first
                .split_once(": ")
                .map(|(_, rest)| rest)
                .unwrap_or(&first)
                .to_string();
            let message = match message.split_once(": ") {
                Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
                _ => message,
            };
            SyntaxError { pos, message }
        })?;
    Ok(node(spanned))
}

fn pos_of<T>(s: &Spanned<T>) -> Pos {
    Pos {
        line: s.referenced.line(),
        column: s.referenced.column(),
    }
}

fn node(s: Spanned<Raw>) -> Node {
    let pos = pos_of(&s);
    let kind = match s.value {
        Raw::Scalar(v) => NodeKind::Scalar(v),
        Raw::Seq(items) => NodeKind::Seq(items.into_iter().map(node).collect()),
        Raw::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        Key {
                            pos: pos_of(&k),
                            name: k.value,
                        },
                        node(v),
                    )
                })
                .collect(),
        ),
    };
    Node { pos, kind }
}

/// What serde hands us before positions are flattened into [`Node`].
enum Raw {
    Scalar(Value),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::Null))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::from(n)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::from(n)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::from(n)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::String(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Raw, E> {
        Ok(Raw::Scalar(Value::String(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Raw::Map(entries))
    }
}
