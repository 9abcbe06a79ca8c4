//! Rendering: values and evaluations in, the contract's JSON and a readable
//! text tree out.

use crate::eval::trace::{NodeKind, Status, TraceNode};
use crate::eval::{Evaluation, Program};
use crate::program::Schema;
use crate::value::{MoneyText, Type, Value};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;

/// The contract's JSON object: statute, version, outcomes, missing, trace.
pub fn evaluation_json(e: &Evaluation) -> serde_json::Value {
    let outcomes: serde_json::Map<String, serde_json::Value> = e
        .outcomes()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    let mut out = json!({
        "statute": e.statute(),
        "version": e.version.map(|d| d.to_string()),
        "outcomes": outcomes,
        "missing": e.missing,
    });
    if let (Some(trace), Some(map)) = (e.trace(), out.as_object_mut()) {
        map.insert(
            "trace".into(),
            serde_json::to_value(trace).unwrap_or(serde_json::Value::Null),
        );
    }
    out
}

/// A JSON value as a table cell: texts without quotes, everything else as JSON (`null`, `true`).
pub fn plain_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Appends [`evaluation_json`] as compact JSON (one line, no newline) to `out`, byte for byte
/// what `serde_json::to_writer(out, &evaluation_json(e))` writes, without building the
/// intermediate `serde_json::Value` (batch evaluation writes millions of these).
pub fn write_evaluation_json(out: &mut Vec<u8>, e: &Evaluation) {
    // Keys in sorted order, as `serde_json::Map` (without `preserve_order`) keeps them; the
    // outcome names and the statute were quoted and escaped once, when the program was checked.
    // Writing into a Vec cannot fail, and these types always serialize.
    let shape = e.shape();
    out.extend_from_slice(b"{\"missing\":");
    let _ = serde_json::to_writer(&mut *out, &e.missing);
    out.extend_from_slice(b",\"outcomes\":{");
    let mut first = true;
    for &i in &shape.sorted {
        let (Some(name), Some(ty), Some(value)) = (
            shape.names_json.get(i),
            shape.types.get(i),
            e.typed_outcome(i),
        ) else {
            continue;
        };
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let typed = TypedJson {
            schema: &shape.schema,
            ty,
            value,
        };
        let _ = serde_json::to_writer(&mut *out, &typed);
    }
    out.extend_from_slice(b"},\"statute\":");
    out.extend_from_slice(shape.statute_json.as_bytes());
    if let Some(trace) = e.trace() {
        out.extend_from_slice(b",\"trace\":");
        let _ = serde_json::to_writer(&mut *out, &SortedNodes(trace));
    }
    out.extend_from_slice(b",\"version\":");
    match e.version {
        // A date is digits and dashes: nothing to escape.
        Some(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

/// A value written as [`Schema::value_json`] would render it. Booleans, money and `null` (every
/// outcome of most statutes) are written straight from the typed value, without allocating;
/// anything else goes through `Schema::value_json`.
struct TypedJson<'a> {
    schema: &'a Schema,
    ty: &'a Type,
    value: &'a Value,
}

impl Serialize for TypedJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.ty, self.value) {
            (_, Value::Absent) => s.serialize_unit(),
            (_, Value::Bool(b)) => s.serialize_bool(*b),
            (Type::Money, Value::Number(d)) => s.collect_str(&MoneyText(*d)),
            (ty, v) => self.schema.value_json(ty, v).serialize(s),
        }
    }
}

struct SortedNodes<'a>(&'a [TraceNode]);

impl Serialize for SortedNodes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(SortedNode))
    }
}

struct SortedNode<'a>(&'a TraceNode);

impl Serialize for SortedNode<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        let mut map = s.serialize_map(None)?;
        if !n.children.is_empty() {
            map.serialize_entry("children", &SortedNodes(&n.children))?;
        }
        map.serialize_entry("citation", &n.citation)?;
        if let Some(detail) = &n.detail {
            map.serialize_entry("detail", detail)?;
        }
        map.serialize_entry("kind", &n.kind)?;
        map.serialize_entry("name", &n.name)?;
        if !n.notes.is_empty() {
            map.serialize_entry("notes", &n.notes)?;
        }
        if let Some(status) = &n.status {
            map.serialize_entry("status", status)?;
        }
        map.serialize_entry("value", &n.value)?;
        map.end()
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "undecided".to_string(),
        other => plain_value(other),
    }
}

/// The evaluation as a terminal reader sees it: the outcomes, what is missing,
/// and the trace as an indented tree in which every line cites its provision.
pub fn evaluation_text(program: &Program, e: &Evaluation) -> String {
    let mut out = String::new();
    let title = program
        .statute
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let _ = writeln!(out, "{}{title}", e.statute());
    if let Some(v) = e.version {
        let by = program
            .versions
            .iter()
            .find(|x| x.effective == v)
            .and_then(|x| x.enacted_by.as_deref())
            .map(|b| format!(", {b}"))
            .unwrap_or_default();
        let _ = writeln!(out, "text applied: in force from {v}{by}");
    }
    out.push('\n');
    out.push_str("outcomes\n");
    let width = e.outcomes().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, value) in e.outcomes() {
        let shown = match value {
            serde_json::Value::Null if defined_in_version(program, e, name) => {
                "undecided (see missing)".to_string()
            }
            serde_json::Value::Null => "not defined by this text".to_string(),
            v => value_text(v),
        };
        let _ = writeln!(out, "  {name:<width$}  {shown}");
    }
    out.push('\n');
    if e.missing.is_empty() {
        out.push_str("missing facts: none\n");
    } else {
        let _ = writeln!(out, "missing facts: {}", e.missing.join(", "));
    }
    if let Some(trace) = e.trace() {
        out.push_str("\ntrace\n");
        out.push_str(&trace_text(trace, ""));
    }
    out
}

/// Trace nodes as an indented tree, each line prefixed with `indent`.
pub fn trace_text(nodes: &[TraceNode], indent: &str) -> String {
    let mut out = String::new();
    for node in nodes {
        write_node(&mut out, node, indent, indent);
    }
    out
}

fn defined_in_version(program: &Program, e: &Evaluation, name: &str) -> bool {
    let Some(i) = program.outcomes.iter().position(|o| o.name == name) else {
        return false;
    };
    program
        .versions
        .iter()
        .filter(|v| Some(v.effective) == e.version || e.version.is_none())
        .any(|v| v.outcome_defs.get(i).copied().flatten().is_some())
}

/// One line: `[citation] kind name = value — status: detail`, then notes, then children.
fn node_line(n: &TraceNode) -> String {
    let value = match (&n.value, n.kind) {
        (serde_json::Value::Null, NodeKind::NotComputed | NodeKind::Undefined) => String::new(),
        (serde_json::Value::Null, NodeKind::Rule | NodeKind::Exception) => String::new(),
        (serde_json::Value::Null, NodeKind::Item) if n.status == Some(Status::Excluded) => {
            String::new()
        }
        (serde_json::Value::Null, NodeKind::Fact) => " = absent".to_string(),
        (v, _) => format!(" = {}", value_text(v)),
    };
    let kind = match n.kind {
        NodeKind::Version => "version",
        NodeKind::Definition => "",
        NodeKind::Rule => "rule ",
        NodeKind::Exception => "exception ",
        NodeKind::Fact => "fact ",
        NodeKind::Table => "table ",
        NodeKind::Item => "item ",
        NodeKind::Undefined => "not in this text: ",
        NodeKind::NotComputed => "not computed: ",
        NodeKind::Disregarded => "disregarded: ",
    };
    let name = if n.kind == NodeKind::Version {
        ""
    } else {
        &n.name
    };
    let status = match n.status {
        Some(Status::Applied) => " — applied",
        Some(Status::NotApplicable) => " — not applicable",
        Some(Status::Overridden) => " — overridden",
        Some(Status::Undecided) => " — undecided",
        Some(Status::Included) => " — included",
        Some(Status::Excluded) => " — excluded",
        None => "",
    };
    let detail = match (&n.detail, n.status) {
        (Some(d), Some(_)) => format!(": {d}"),
        (Some(d), None) => format!(" — {d}"),
        (None, _) => String::new(),
    };
    format!("[{}] {kind}{name}{value}{status}{detail}", n.citation)
}

fn write_node(out: &mut String, n: &TraceNode, lead: &str, child_lead: &str) {
    let _ = writeln!(out, "{lead}{}", node_line(n));
    for note in n.notes.iter() {
        let bar = if n.children.is_empty() {
            "   "
        } else {
            "│  "
        };
        let _ = writeln!(out, "{child_lead}{bar}note: {note}");
    }
    let count = n.children.len();
    for (i, c) in n.children.iter().enumerate() {
        let last = i + 1 == count;
        let (branch, cont) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        write_node(
            out,
            c,
            &format!("{child_lead}{branch}"),
            &format!("{child_lead}{cont}"),
        );
    }
}
