//! Any text given to parse + check yields a program or diagnostics, never a panic.
//!
//! A program that checks is then evaluated on facts made from its own schema (every fact given
//! the first value of its type; then the same without the optional facts), with the trace and
//! without it. Neither may panic; the trace must not change the result (outcomes, missing
//! facts, or the error); and the trace must expand and render.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lawcode::program::Schema;
use lawcode::value::Type;
use lawcode::{EvalOptions, Program};

/// A JSON value of type `ty` that the facts reader accepts (lists get one element, so that a
/// `nonempty` list is satisfied). `depth` stops a record type that contains itself.
fn sample(schema: &Schema, ty: &Type, optional_too: bool, depth: usize) -> String {
    match ty {
        Type::Bool => "true".into(),
        Type::Integer => "2".into(),
        Type::Decimal => "1.5".into(),
        Type::Money => "\"12.34\"".into(),
        Type::Date => "\"2020-02-14\"".into(),
        Type::Text => "\"x\"".into(),
        Type::Citation => "\"2252(a)(2)\"".into(),
        Type::Enum(e) => match schema.enums.get(*e).and_then(|e| e.members.first()) {
            Some(m) => format!("{m:?}"),
            None => "null".into(),
        },
        Type::List(t) if depth < 4 => format!("[{}]", sample(schema, t, optional_too, depth + 1)),
        Type::Record(r) if depth < 4 => match schema.records.get(*r) {
            Some(r) => object(schema, &r.fields, optional_too, depth + 1),
            None => "{}".into(),
        },
        Type::List(_) | Type::Empty => "[]".into(),
        Type::Record(_) | Type::Provisions => "{}".into(),
    }
}

fn object(
    schema: &Schema,
    fields: &[lawcode::program::FieldDecl],
    optional_too: bool,
    depth: usize,
) -> String {
    let entries: Vec<String> = fields
        .iter()
        .filter(|f| optional_too || !(f.optional || f.default.is_some()))
        .map(|f| format!("{:?}: {}", f.name, sample(schema, &f.ty, optional_too, depth)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

fn evaluate_both_ways(program: &Program, json: &str) {
    let Ok(facts) = program.read_facts("facts.json", json) else { return };
    let traced = program.evaluate(&facts, EvalOptions { trace: true, ..Default::default() });
    let plain = program.evaluate(&facts, EvalOptions::default());
    match (&traced, &plain) {
        (Ok(t), Ok(p)) => {
            assert!(t.outcomes().eq(p.outcomes()), "the trace changed an outcome");
            assert_eq!(t.missing, p.missing, "the trace changed the missing facts");
            let _ = lawcode::render::evaluation_json(t);
            let _ = lawcode::render::evaluation_text(program, t);
        }
        (Err(a), Err(b)) => {
            assert_eq!((a.code, &a.message), (b.code, &b.message), "the trace changed the error");
        }
        _ => panic!("the trace changed whether the case fails: {traced:?} / {plain:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(program) = lawcode::compile("fuzz.law", text) {
            for optional_too in [true, false] {
                let json = object(program.schema(), &program.schema().facts, optional_too, 0);
                evaluate_both_ways(&program, &json);
            }
        }
    }
});
