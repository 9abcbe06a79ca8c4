//! Rendering: values and evaluations in, the contract's JSON and a readable
//! text tree out.

pub mod memo;
pub mod why_not;

use crate::diagnostic::{Problem, outcome_help};
use crate::eval::trace::{NodeKind, Shown, Status, TraceNode};
use crate::eval::{Evaluation, Program};
use crate::program::{ProgramData, Provision, Schema};
use crate::value::{MoneyText, Type, Value};
use rust_decimal::Decimal;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;

/// What to show of an evaluation, beyond the outcomes (which are always all shown).
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Only these outcomes' trees in the trace (every outcome's, and the provisions that
    /// compute nothing, when empty).
    pub outcomes: Vec<String>,
    /// The text tree quotes each provision's heading and `text` under the first line that
    /// cites it. (The JSON always carries them, in its `provisions` map.)
    pub with_text: bool,
}

/// Diagnostic codes of this stage.
pub mod codes {
    /// `--outcome NAME` names no outcome of the rules.
    pub const UNKNOWN_OUTCOME: &str = "lawcode::render::unknown_outcome";
    /// `--why-not` is not `NAME=VALUE`.
    pub const BAD_QUESTION: &str = "lawcode::render::bad_question";
}

impl View {
    /// A view of `outcomes` (all when empty), each checked to be one of the program's.
    pub fn new(program: &Program, outcomes: Vec<String>, with_text: bool) -> Result<View, Problem> {
        let names: Vec<&str> = program.outcomes().iter().map(|o| o.name.as_str()).collect();
        if let Some(unknown) = outcomes.iter().find(|o| !names.contains(&o.as_str())) {
            let help = outcome_help(unknown, &names);
            return Err(Problem::error(
                codes::UNKNOWN_OUTCOME,
                format!(
                    "`{unknown}` is not an outcome of {}",
                    program.statute().citation
                ),
            )
            .with_help(help));
        }
        Ok(View {
            outcomes,
            with_text,
        })
    }

    /// The trace's top-level nodes this view shows: the version node, the trees of the chosen
    /// outcomes, and (when no outcome is chosen) the provisions that compute nothing.
    pub fn select<'t>(&self, trace: &'t [TraceNode]) -> Vec<&'t TraceNode> {
        if self.outcomes.is_empty() {
            return trace.iter().collect();
        }
        trace
            .iter()
            .filter(|n| match n.kind {
                NodeKind::Version => true,
                // Each outcome's tree is a top-level definition (or undefined) node.
                NodeKind::Definition | NodeKind::Undefined => {
                    self.outcomes.iter().any(|o| **o == *n.name)
                }
                _ => false,
            })
            .collect()
    }
}

/// The contract's JSON object: `statute`, `version`, `outcomes` (in declared order),
/// `missing`, and, when traced, `trace` and `provisions` (see [`write_evaluation_json`]).
pub fn evaluation_json(e: &Evaluation) -> serde_json::Value {
    evaluation_json_with(e, &View::default())
}

/// [`evaluation_json`] with the trace limited as `view` says.
pub fn evaluation_json_with(e: &Evaluation, view: &View) -> serde_json::Value {
    let outcomes: serde_json::Map<String, serde_json::Value> = e
        .outcomes()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    // serde_json keeps keys in insertion order (`preserve_order`): the contract's order.
    let mut out = serde_json::Map::new();
    out.insert("statute".into(), json!(e.statute()));
    out.insert("version".into(), json!(e.version.map(|d| d.to_string())));
    out.insert("outcomes".into(), serde_json::Value::Object(outcomes));
    out.insert("missing".into(), json!(e.missing));
    if let Some(trace) = e.trace() {
        let shown = view.select(trace);
        out.insert(
            "trace".into(),
            serde_json::to_value(&shown).unwrap_or(serde_json::Value::Null),
        );
        out.insert(
            "provisions".into(),
            serde_json::to_value(ProvisionTexts::of(e, &shown)).unwrap_or_default(),
        );
    }
    serde_json::Value::Object(out)
}

/// The heading and text of each provision a trace cites, and of the provisions that enclose
/// it (a subparagraph reads on from its paragraph's lead-in), keyed by citation in the
/// statute's order. Each is written once here rather than on every node that cites it.
struct ProvisionTexts<'a>(Vec<&'a Provision>);

impl<'a> ProvisionTexts<'a> {
    fn of(e: &'a Evaluation, shown: &[&TraceNode]) -> Self {
        let Some(program) = e.program() else {
            return ProvisionTexts(Vec::new());
        };
        ProvisionTexts(
            cited(program, e, shown)
                .into_iter()
                .filter_map(|i| program.provisions().get(i))
                .collect(),
        )
    }
}

/// The ids of the provisions in force that `shown` cites or that enclose one it cites, and
/// that have a heading or a text, in the statute's order.
fn cited(program: &Program, e: &Evaluation, shown: &[&TraceNode]) -> Vec<usize> {
    let mut wanted: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for node in shown.iter().flat_map(|n| n.walk()) {
        let mut c: &str = &node.citation;
        // `… § 2259(b)(2)(B)`, then `(b)(2)`, `(b)`: stop at the first already wanted, whose
        // enclosing provisions are wanted too.
        while wanted.insert(c) {
            match c.strip_suffix(')').and_then(|x| x.rfind('(')) {
                Some(open) => c = c.get(..open).unwrap_or(""),
                None => break,
            }
        }
    }
    let vid = version_id(program, e);
    program
        .provisions()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.version.is_none() || p.version == vid)
        .filter(|(_, p)| p.heading.is_some() || !p.text.is_empty())
        .filter(|(_, p)| wanted.contains(p.citation.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// `"citation":{"heading":…,"text":…}` for each provision, as the map writes it.
fn provision_entries(program: &ProgramData) -> Vec<String> {
    program
        .provisions
        .iter()
        .map(|p| {
            let mut entry = serde_json::Value::from(p.citation.as_str()).to_string();
            entry.push(':');
            entry.push_str(&serde_json::to_string(&ProvisionText(p)).unwrap_or_default());
            entry
        })
        .collect()
}

impl Serialize for ProvisionTexts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for p in &self.0 {
            map.serialize_entry(&p.citation, &ProvisionText(p))?;
        }
        map.end()
    }
}

struct ProvisionText<'a>(&'a Provision);

impl Serialize for ProvisionText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(h) = &p.heading {
            map.serialize_entry("heading", h)?;
        }
        if !p.text.is_empty() {
            map.serialize_entry("text", &p.text.join("\n"))?;
        }
        map.end()
    }
}

fn version_id(program: &Program, e: &Evaluation) -> Option<usize> {
    program
        .versions()
        .iter()
        .position(|v| Some(v.effective) == e.version)
}

/// The provisions of the text `e` applied (those of every text, and those of its version),
/// in the statute's order.
fn in_force<'p>(program: &'p Program, e: &Evaluation) -> impl Iterator<Item = &'p Provision> {
    let vid = version_id(program, e);
    program
        .provisions()
        .iter()
        .filter(move |p| p.version.is_none() || p.version == vid)
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
    // Keys in the contract's order, as `evaluation_json` inserts them; the outcome names and
    // the statute were quoted and escaped once, when the program was checked. Writing into a
    // Vec cannot fail, and these types always serialize.
    let shape = e.shape();
    out.extend_from_slice(b"{\"statute\":");
    out.extend_from_slice(shape.statute_json.as_bytes());
    out.extend_from_slice(b",\"version\":");
    match e.version {
        // A date is digits and dashes: nothing to escape.
        Some(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"outcomes\":{");
    for (k, &i) in shape.order.iter().enumerate() {
        let (Some(name), Some(ty), Some(value)) = (
            shape.names_json.get(i),
            shape.types.get(i),
            e.typed_outcome(i),
        ) else {
            continue;
        };
        if k > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let typed = TypedJson {
            schema: &shape.schema,
            ty,
            value,
        };
        let _ = serde_json::to_writer(&mut *out, &typed);
    }
    out.extend_from_slice(b"},\"missing\":");
    let _ = serde_json::to_writer(&mut *out, &e.missing);
    if let Some(trace) = e.trace() {
        out.extend_from_slice(b",\"trace\":");
        let _ = serde_json::to_writer(&mut *out, trace);
        out.extend_from_slice(b",\"provisions\":{");
        if let Some(program) = e.program() {
            let all: Vec<&TraceNode> = trace.iter().collect();
            let entries = program.provisions_json(provision_entries);
            for (k, i) in cited(program, e, &all).into_iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(entries.get(i).map_or(&b""[..], |x| x.as_bytes()));
            }
        }
        out.push(b'}');
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

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "undecided".to_string(),
        // `[2251(d), 2252]`: the items as the other values read, without JSON's quotes.
        serde_json::Value::Array(items) => list_text(items, value_text),
        other => plain_value(other),
    }
}

fn list_text(items: &[serde_json::Value], item: impl Fn(&serde_json::Value) -> String) -> String {
    let items: Vec<String> = items.iter().map(item).collect();
    format!("[{}]", items.join(", "))
}

/// An amount's JSON text (`"3000.00"`) as people write it.
fn money_json_for_people(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => match s.parse::<Decimal>() {
            Ok(d) => money_for_people(d),
            Err(_) => s.clone(),
        },
        other => value_text(other),
    }
}

/// Money as people write it: `$3,000.00`, `-$12.50`.
pub fn money_for_people(amount: Decimal) -> String {
    let digits = MoneyText(amount.abs()).to_string();
    let (whole, cents) = digits.split_once('.').unwrap_or((&digits, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 4);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}${grouped}.{cents}")
}

/// Decimal places a person reads before a long quotient is rounded for the text output.
const READABLE_PLACES: u32 = 6;

/// A decimal as a person reads it, and whether it was rounded to get there (`≈`): the scale
/// the rule file wrote (`245.120`) is kept; a long computed quotient
/// (`1.1939254242819843342036553525`) is rounded to six places. The JSON keeps the exact value.
fn decimal_for_people(d: Decimal) -> (String, bool) {
    if d.scale() <= READABLE_PLACES {
        return (d.to_string(), false);
    }
    let rounded = d.round_dp(READABLE_PLACES);
    if rounded == d {
        (d.normalize().to_string(), false)
    } else {
        (rounded.normalize().to_string(), true)
    }
}

/// The ` = value` part of a line, as a person reads it.
fn shown_value(n: &TraceNode) -> String {
    match n.shown {
        Shown::Money(d) => format!(" = {}", money_for_people(d)),
        Shown::Decimal(d) => match decimal_for_people(d) {
            (text, false) => format!(" = {text}"),
            (text, true) => format!(" ≈ {text}"),
        },
        Shown::MoneyList => match &n.value {
            serde_json::Value::Array(items) => {
                format!(" = {}", list_text(items, money_json_for_people))
            }
            other => format!(" = {}", value_text(other)),
        },
        Shown::Json => format!(" = {}", value_text(&n.value)),
    }
}

/// An outcome's value in the outcomes table.
pub(crate) fn outcome_text(ty: Option<&Type>, value: &serde_json::Value) -> String {
    let decimal = || match value {
        serde_json::Value::String(s) => s.parse::<Decimal>().ok(),
        _ => None,
    };
    match (ty, decimal()) {
        (Some(Type::Money), Some(d)) => money_for_people(d),
        (Some(Type::Decimal), Some(d)) => match decimal_for_people(d) {
            (text, false) => text,
            (text, true) => format!("≈ {text}"),
        },
        _ => value_text(value),
    }
}

/// The evaluation as a terminal reader sees it: the outcomes, what is missing,
/// and the trace as an indented tree in which every line cites its provision.
pub fn evaluation_text(program: &Program, e: &Evaluation) -> String {
    evaluation_text_with(program, e, &View::default())
}

/// [`evaluation_text`] with the trace limited, and the provisions' words quoted, as `view`
/// says.
pub fn evaluation_text_with(program: &Program, e: &Evaluation, view: &View) -> String {
    let mut out = String::new();
    let title = program
        .statute()
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let _ = writeln!(out, "{}{title}", e.statute());
    if let Some(v) = e.version {
        let by = program
            .versions()
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
    for (i, (name, value)) in e.outcomes().enumerate() {
        let shown = match value {
            serde_json::Value::Null if defined_in_version(program, e, name) => {
                "undecided (see missing)".to_string()
            }
            serde_json::Value::Null => "not defined by this text".to_string(),
            v => outcome_text(program.outcomes().get(i).map(|o| &o.ty), v),
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
        let texts = if view.with_text {
            in_force(program, e).collect()
        } else {
            Vec::new()
        };
        let mut tree = Tree {
            out: &mut out,
            explained: Vec::new(),
            texts,
            quoted: Vec::new(),
            sources: Vec::new(),
        };
        for node in view.select(trace) {
            tree.node(node, "", "");
        }
    }
    out
}

/// Trace nodes as an indented tree, each line prefixed with `indent`.
pub fn trace_text(nodes: &[TraceNode], indent: &str) -> String {
    let mut out = String::new();
    let mut tree = Tree {
        out: &mut out,
        explained: Vec::new(),
        texts: Vec::new(),
        quoted: Vec::new(),
        sources: Vec::new(),
    };
    for node in nodes {
        tree.node(node, indent, indent);
    }
    out
}

pub(crate) fn defined_in_version(program: &Program, e: &Evaluation, name: &str) -> bool {
    let Some(i) = program.outcomes().iter().position(|o| o.name == name) else {
        return false;
    };
    program
        .versions()
        .iter()
        .filter(|v| Some(v.effective) == e.version || e.version.is_none())
        .any(|v| v.outcome_defs.get(i).copied().flatten().is_some())
}

/// One line: `[citation] kind name = value — status: detail`.
fn node_line(n: &TraceNode) -> String {
    let value = match (&n.value, n.kind) {
        (serde_json::Value::Null, NodeKind::NotComputed | NodeKind::Undefined) => String::new(),
        (serde_json::Value::Null, NodeKind::Rule | NodeKind::Exception) => String::new(),
        (serde_json::Value::Null, NodeKind::Item) if n.status == Some(Status::Excluded) => {
            String::new()
        }
        // The detail says why it is undecided ("undecided: needs …").
        (serde_json::Value::Null, NodeKind::Definition) if n.detail.is_some() => String::new(),
        (serde_json::Value::Null, NodeKind::Fact) => " = absent".to_string(),
        _ => shown_value(n),
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
        NodeKind::Reference => "as defined in that provision: ",
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

/// Width the quoted text of a provision is wrapped to, tree prefix included.
const TEXT_WIDTH: usize = 100;

/// Writes trace nodes as a tree, remembering across the outcomes' trees which definitions
/// it has already explained, so that each is spelled out once per result.
struct Tree<'o, 'p> {
    out: &'o mut String,
    /// Definitions whose reasons have been written.
    explained: Vec<std::sync::Arc<str>>,
    /// The provisions whose words are quoted (`--with-text`), and those already quoted.
    texts: Vec<&'p Provision>,
    quoted: Vec<&'p str>,
    /// The tables' sources already given.
    sources: Vec<String>,
}

impl<'p> Tree<'_, 'p> {
    fn node(&mut self, n: &TraceNode, lead: &str, child_lead: &str) {
        let line = node_line(n);
        // A definition met again, in this outcome's tree or an earlier one.
        let again = n.kind == NodeKind::Definition
            && (n.detail.as_deref() == Some("explained above")
                || self.explained.iter().any(|e| **e == *n.name));
        if again {
            let line = match n.detail.as_deref() {
                Some("explained above") => line,
                _ => format!("{line} — explained above"),
            };
            let _ = writeln!(self.out, "{lead}{line}");
            return;
        }
        let _ = writeln!(self.out, "{lead}{line}");
        if n.kind == NodeKind::Definition && (!n.children.is_empty() || n.formula.is_some()) {
            self.explained.push(n.name.clone());
        }
        let bar = if n.children.is_empty() {
            "   "
        } else {
            "│  "
        };
        if let Some(f) = &n.formula {
            let _ = writeln!(self.out, "{child_lead}{bar}formula: {f}");
        }
        self.quote(&n.citation, &format!("{child_lead}{bar}"));
        for note in n.notes.iter() {
            // A table's source is said once, at its first row.
            if n.kind == NodeKind::Table {
                if self.sources.contains(note) {
                    continue;
                }
                self.sources.push(note.clone());
            }
            let _ = writeln!(self.out, "{child_lead}{bar}note: {note}");
        }
        let count = n.children.len();
        for (i, c) in n.children.iter().enumerate() {
            let last = i + 1 == count;
            let (branch, cont) = if last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            self.node(
                c,
                &format!("{child_lead}{branch}"),
                &format!("{child_lead}{cont}"),
            );
        }
    }

    /// The heading and words of the provision `citation`, the first time it is cited.
    fn quote(&mut self, citation: &str, lead: &str) {
        let Some(p) = self.texts.iter().find(|p| p.citation == citation).copied() else {
            return;
        };
        if self.quoted.contains(&p.citation.as_str()) {
            return;
        }
        self.quoted.push(&p.citation);
        let heading = p
            .heading
            .as_deref()
            .map(|h| format!(" {h}"))
            .unwrap_or_default();
        let words = p.text.join(" ");
        let first = if words.is_empty() {
            format!("text {}{heading}", p.label)
        } else {
            format!("text {}{heading}: “{words}”", p.label)
        };
        let width = TEXT_WIDTH.max(lead.chars().count() + 40);
        let rest = format!("{lead}  ");
        let options = textwrap::Options::new(width)
            .initial_indent(lead)
            .subsequent_indent(&rest);
        for line in textwrap::wrap(&first, options) {
            let _ = writeln!(self.out, "{line}");
        }
    }
}
