//! The facts of a rule set as a JSON Schema (draft 2020-12): what `lawcode schema RULES` prints
//! and `GET /v1/statutes/{id}/schema` serves, for forms, validators and other languages.
//!
//! Generated from the rule file's declarations alone: each fact's type, `optional`, `default`,
//! `nonempty` and description; records and enumerations become `$defs`. Each property also
//! carries `x-lawcode`: its lawcode type and the provisions whose rules read it (so a form can
//! say which provision asks for a field).
//!
//! The schema says what the facts reader accepts, as closely as JSON Schema can: money as a
//! string of dollars and at most two decimals or a non-negative number with at most two
//! decimals, dates as `YYYY-MM-DD` (`format: date`), citations by the shape of `2252A(a)(5)`.
//! What it cannot say (a CPI-U year the table does not have yet) is an evaluation error, not a
//! schema one. The facts reader stays the judge: a document the schema accepts may still get a
//! facts diagnostic, never the other way round on the corpus (tests check both).

use crate::eval::Program;
use crate::program::{Expr, ExprKind, FieldDecl, Schema, Unique};
use crate::value::Type;
use serde_json::{Map, Value as J, json};
use std::collections::{BTreeMap, BTreeSet};

/// The pattern of money written as a JSON string: dollars, then at most two decimals.
pub const MONEY_PATTERN: &str = r"^\s*[0-9]+(\.[0-9]{1,2})?\s*$";
/// The pattern of a provision citation: a section number, letters, then `(…)` parts.
pub const CITATION_PATTERN: &str = r"^[0-9]+[A-Za-z]*(\([A-Za-z0-9]+\))*$";
/// The pattern of a decimal written as a JSON string.
pub const DECIMAL_PATTERN: &str = r"^\s*-?[0-9]+(\.[0-9]+)?\s*$";

/// The JSON Schema of `program`'s facts; `id` names the rule set (`usc/18/2259`) in `$id`.
pub fn facts_schema(program: &Program, id: &str) -> J {
    let schema = program.schema();
    let readers = fact_readers(program);
    let mut defs = Map::new();
    for rec in &schema.records {
        defs.insert(
            rec.name.clone(),
            object(schema, &rec.fields, &readers, &format!("{}.", rec.name)),
        );
    }
    for e in &schema.enums {
        defs.insert(
            e.name.clone(),
            json!({ "type": "string", "enum": e.members }),
        );
    }
    let mut root = Map::new();
    root.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    root.insert("$id".into(), json!(format!("lawcode:{id}/facts")));
    root.insert(
        "title".into(),
        json!(format!(
            "The facts of a case under {}",
            program.statute().citation
        )),
    );
    if let J::Object(body) = object(schema, &schema.facts, &readers, "") {
        root.extend(body);
    }
    if !defs.is_empty() {
        root.insert("$defs".into(), J::Object(defs));
    }
    J::Object(root)
}

/// An object of `fields`: properties, `required` (those that may not be absent), no other keys.
/// `prefix` is how reads of these fields are keyed in `readers` (`""` for top-level facts,
/// `record.` for a record's fields).
fn object(
    schema: &Schema,
    fields: &[FieldDecl],
    readers: &BTreeMap<String, BTreeSet<String>>,
    prefix: &str,
) -> J {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in fields {
        let mut p = match type_schema(schema, &f.ty, f.nonempty) {
            J::Object(m) => m,
            other => Map::from_iter([("allOf".to_string(), json!([other]))]),
        };
        if let Some(d) = &f.description {
            p.insert("description".into(), json!(d));
        }
        if let Some(v) = &f.default {
            p.insert("default".into(), schema.value_json(&f.ty, v));
        }
        let provisions: Vec<&String> = readers
            .get(&format!("{prefix}{}", f.name))
            .map(|s| s.iter().collect())
            .unwrap_or_default();
        let mut x = lawcode_type(schema, &f.ty);
        x.insert("provisions".into(), json!(provisions));
        // `unique`: JSON Schema's `uniqueItems` compares JSON text ("5.0" and "5.00" differ), so
        // the reader refuses more than it; `unique by FIELD` has no JSON Schema form at all.
        match &f.unique {
            Some(Unique::Items) => {
                p.insert("uniqueItems".into(), json!(true));
            }
            Some(Unique::By(_, field)) => {
                x.insert("unique_by".into(), json!(field));
            }
            None => {}
        }
        // Limits: JSON Schema's `minimum` and `maximum` would hold for a JSON number only (a
        // decimal may be written as a string) and need a float, so `x-lawcode` says them.
        for (key, bound) in [
            ("at_least", &f.limits.at_least),
            ("at_most", &f.limits.at_most),
        ] {
            if let Some(b) = bound {
                x.insert(key.into(), schema.value_json(&f.ty, b));
            }
        }
        if let Some(n) = f.limits.decimals {
            x.insert("decimals".into(), json!(n));
        }
        p.insert("x-lawcode".into(), J::Object(x));
        if !may_be_left_out(schema, f) {
            required.push(json!(f.name));
        }
        properties.insert(f.name.clone(), J::Object(p));
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// Whether the facts reader lets `f` be absent: optional, defaulted, or a record every field of
/// which may be absent (it is then read as `{}`).
fn may_be_left_out(schema: &Schema, f: &FieldDecl) -> bool {
    f.may_be_absent()
        || matches!(&f.ty, Type::Record(r) if schema
            .records
            .get(*r)
            .is_some_and(|rec| rec.fields.iter().all(FieldDecl::may_be_absent)))
}

fn type_schema(schema: &Schema, ty: &Type, nonempty: bool) -> J {
    match ty {
        Type::Bool => json!({ "type": "boolean" }),
        Type::Integer => json!({ "type": "integer" }),
        Type::Decimal => json!({
            "anyOf": [
                { "type": "number" },
                { "type": "string", "pattern": DECIMAL_PATTERN },
            ]
        }),
        Type::Money => json!({
            "anyOf": [
                { "type": "string", "pattern": MONEY_PATTERN },
                { "type": "number", "minimum": 0, "multipleOf": 0.01 },
            ]
        }),
        Type::Date => json!({
            "type": "string",
            "format": "date",
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        }),
        Type::Text => json!({ "type": "string" }),
        Type::Citation => json!({ "type": "string", "pattern": CITATION_PATTERN }),
        Type::Provisions => json!({
            "type": "array",
            "items": { "type": "string", "pattern": CITATION_PATTERN },
        }),
        Type::Enum(e) => match schema.enums.get(*e) {
            Some(decl) => json!({ "$ref": format!("#/$defs/{}", decl.name) }),
            None => json!({ "type": "string" }),
        },
        Type::Record(r) => match schema.records.get(*r) {
            Some(decl) => json!({ "$ref": format!("#/$defs/{}", decl.name) }),
            None => json!({ "type": "object" }),
        },
        Type::List(item) => {
            let items = type_schema(schema, item, false);
            if nonempty {
                json!({ "type": "array", "items": items, "minItems": 1 })
            } else {
                json!({ "type": "array", "items": items })
            }
        }
        Type::Empty => json!({ "type": "array", "maxItems": 0 }),
    }
}

/// `x-lawcode`'s description of a type: its word, the declared name of an enumeration or a
/// record (`"name": "loss"`), and a list's item type (`"items": {…}`), so a form can label
/// every level without reading `$defs`.
fn lawcode_type(schema: &Schema, ty: &Type) -> Map<String, J> {
    let mut x = Map::new();
    x.insert("type".into(), json!(type_word(ty)));
    match ty {
        Type::Enum(e) => {
            if let Some(decl) = schema.enums.get(*e) {
                x.insert("name".into(), json!(decl.name));
            }
        }
        Type::Record(r) => {
            if let Some(decl) = schema.records.get(*r) {
                x.insert("name".into(), json!(decl.name));
            }
        }
        Type::List(item) => {
            x.insert("items".into(), J::Object(lawcode_type(schema, item)));
        }
        _ => {}
    }
    x
}

/// The lawcode type's word, as the rule file writes it (`money`, `list`, `record`…).
fn type_word(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "bool",
        Type::Integer => "integer",
        Type::Decimal => "decimal",
        Type::Money => "money",
        Type::Date => "date",
        Type::Text => "text",
        Type::Citation => "citation",
        Type::Provisions => "provisions",
        Type::Enum(_) => "enum",
        Type::Record(_) => "record",
        Type::List(_) | Type::Empty => "list",
    }
}

/// For each fact, and each record field (`record.field`), the citations of the provisions whose
/// rules read it, in any version (the statute's own citation for the date that selects the
/// version).
fn fact_readers(program: &Program) -> BTreeMap<String, BTreeSet<String>> {
    let schema = program.schema();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // The date that selects the text in force is read by the statute as a whole.
    if let Some(selector) = program.version_selector() {
        out.entry(selector.fact_name.clone())
            .or_default()
            .insert(program.statute().citation.clone());
    }
    for version in program.versions() {
        for def in &version.defs {
            for rule in &def.rules {
                let Some(provision) = program.provisions().get(rule.provision) else {
                    continue;
                };
                let mut reads = Vec::new();
                for e in rule.condition.iter().chain([&rule.value]) {
                    reads_of(schema, e, &mut reads);
                }
                for r in reads {
                    out.entry(r).or_default().insert(provision.citation.clone());
                }
            }
        }
    }
    out
}

/// The facts (`victim`) and record fields (`victim_facts.prior_recovery`) `e` reads.
fn reads_of(schema: &Schema, e: &Expr, out: &mut Vec<String>) {
    stacker::maybe_grow(64 << 10, 1 << 20, || {
        if let ExprKind::Fact(i) = &e.kind {
            if let Some(f) = schema.facts.get(*i) {
                out.push(f.name.clone());
            }
        }
        if let ExprKind::Field(inner, j) = &e.kind {
            if let Type::Record(r) = &inner.ty {
                if let Some(field) = schema.records.get(*r).and_then(|r| r.fields.get(*j)) {
                    if let Some(rec) = schema.records.get(*r) {
                        out.push(format!("{}.{}", rec.name, field.name));
                    }
                }
            }
        }
        for child in e.sub_exprs() {
            reads_of(schema, child, out);
        }
    });
}
