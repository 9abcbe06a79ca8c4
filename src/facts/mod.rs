//! Facts: a case's JSON in, values checked against the rule file's schema out.
//!
//! Validation is strict and reports every problem at once, each naming the
//! fact by its path (`victim.losses[2].amount`): unknown keys (with the
//! nearest valid name), wrong types, negative money, fractions of a cent,
//! impossible dates, unknown enumeration members, malformed citations, empty
//! lists that must not be empty, and missing required facts. Money is read
//! from the JSON text exactly, never through a float.

use crate::citation::{Citation, CitationError};
use crate::diagnostic::{Problem, Problems, nearest};
use crate::program::{FieldDecl, Program};
use crate::value::{Type, Value};
use miette::NamedSource;
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Stable codes of facts diagnostics.
pub mod codes {
    pub const JSON_SYNTAX: &str = "lawcode::facts::json_syntax";
    pub const NOT_AN_OBJECT: &str = "lawcode::facts::not_an_object";
    pub const UNKNOWN_KEY: &str = "lawcode::facts::unknown_key";
    pub const WRONG_TYPE: &str = "lawcode::facts::wrong_type";
    pub const MISSING_REQUIRED: &str = "lawcode::facts::missing_required";
    pub const NEGATIVE_MONEY: &str = "lawcode::facts::negative_money";
    pub const FRACTIONAL_CENTS: &str = "lawcode::facts::fractional_cents";
    pub const OUT_OF_RANGE: &str = "lawcode::facts::out_of_range";
    pub const IMPOSSIBLE_DATE: &str = "lawcode::facts::impossible_date";
    pub const UNKNOWN_MEMBER: &str = "lawcode::facts::unknown_member";
    pub const MALFORMED_CITATION: &str = "lawcode::facts::malformed_citation";
    pub const EMPTY_LIST: &str = "lawcode::facts::empty_list";
    pub const TOO_LARGE: &str = "lawcode::facts::too_large";
    pub const DUPLICATE_KEY: &str = "lawcode::facts::duplicate_key";
}

/// Most items a list fact may hold.
pub const MAX_LIST_LEN: usize = 100_000;
/// Largest facts document accepted, in bytes.
pub const MAX_FACTS_BYTES: usize = 16 * 1024 * 1024;

/// The facts could not be used; every problem found is listed.
pub type FactsError = Problems;

/// Validated facts: one value per top-level fact of the schema, in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub values: Vec<Value>,
}

/// Parses and validates a facts document. `name` is what diagnostics call the file.
pub fn read_facts(program: &Program, name: &str, json: &str) -> Result<Facts, FactsError> {
    let fail = |p: Problem| Problems {
        summary: format!("the facts in {name} cannot be used"),
        problems: vec![p],
    };
    if json.len() > MAX_FACTS_BYTES {
        return Err(fail(
            Problem::error(
                codes::TOO_LARGE,
                format!(
                    "the facts file is {} bytes; the limit is {MAX_FACTS_BYTES}",
                    json.len()
                ),
            )
            .with_help("split the case, or use `--batch` with one case per line"),
        ));
    }
    // Valid facts, the common case, are read in one pass; anything else is read again below,
    // which finds and reports every problem.
    if let Some(facts) = direct::read(program, json) {
        return Ok(facts);
    }
    let doc: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            let offset = crate::diagnostic::line_col_offset(json, e.line(), e.column());
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            return Err(fail(
                Problem::error(codes::JSON_SYNTAX, format!("the facts are not valid JSON: {message} (line {}, column {})", e.line(), e.column()))
                    .with_help("fix the JSON syntax at the marked place; money may be written as `\"3000.00\"` or `3000`")
                    .in_source(NamedSource::new(name, json.to_string()))
                    .at_offset(offset, 1, "here"),
            ));
        }
    };
    // serde_json keeps the last of two equal keys; a fact given twice must not be silently dropped.
    let duplicates = locate::duplicate_keys(json);
    let validated = match (validate_places(program, &doc), duplicates.is_empty()) {
        (Ok(facts), true) => Ok(facts),
        (Ok(_), false) => Err(Vec::new()),
        (Err(problems), _) => Err(problems),
    };
    validated.map_err(|mut problems| {
        let dups = duplicates.into_iter().map(|(path, start, len)| {
            let p = Problem::error(codes::DUPLICATE_KEY, format!("`{path}` is given twice"))
                .with_help("give each fact once; a JSON object keeps only one value per key")
                .in_source(NamedSource::new(name, json.to_string()))
                .at_offset(start, len, "given again here");
            (p, None)
        });
        let located: Vec<(Problem, Option<Place>)> = problems
            .drain(..)
            .map(|(p, place)| (p, Some(place)))
            .collect();
        let problems = dups.chain(located);
        // The document parsed, so the locator can find every place the validator names.
        let source = NamedSource::new(name, json.to_string());
        let problems = problems
            .map(|(p, place)| {
                let Some(place) = place else { return p };
                let p = p.in_source(source.clone());
                match locate::span(json, &place) {
                    // A missing fact is shown at the opening brace of the object it belongs in.
                    Some((start, _)) if p.code == codes::MISSING_REQUIRED => {
                        p.at_offset(start, 1, "add it here")
                    }
                    Some((start, len)) => {
                        let label = match place {
                            Place::Key { .. } => "not a fact of this rule set",
                            Place::Value(_) => "this value",
                        };
                        p.at_offset(start, len, label)
                    }
                    None => p,
                }
            })
            .collect();
        summarize(name, problems)
    })
}

/// Validates an already parsed JSON value (batch input parses lines itself). The
/// problems name each fact by its path but carry no source location.
pub fn validate(
    program: &Program,
    name: &str,
    doc: &serde_json::Value,
) -> Result<Facts, FactsError> {
    validate_places(program, doc)
        .map_err(|problems| summarize(name, problems.into_iter().map(|(p, _)| p).collect()))
}

fn summarize(name: &str, problems: Vec<Problem>) -> Problems {
    let n = problems.len();
    Problems {
        summary: format!(
            "the facts in {name} have {n} problem{}",
            if n == 1 { "" } else { "s" }
        ),
        problems,
    }
}

fn validate_places(
    program: &Program,
    doc: &serde_json::Value,
) -> Result<Facts, Vec<(Problem, Place)>> {
    let mut v = Validator {
        program,
        problems: Vec::new(),
    };
    let values = match doc {
        serde_json::Value::Object(map) => v.fields(&program.schema.facts, map, &FactPath::Root),
        other => {
            v.problem(
                Place::Value(String::new()),
                Problem::error(
                    codes::NOT_AN_OBJECT,
                    format!(
                        "the facts must be one JSON object, not {}",
                        json_kind(other)
                    ),
                )
                .with_help("write the facts as `{ \"offense_date\": \"2019-05-01\", … }`"),
            );
            Vec::new()
        }
    };
    if v.problems.is_empty() {
        Ok(Facts { values })
    } else {
        Err(v.problems)
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "true/false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A fact's path (`victim.losses[2].amount`), spelled out only when a message needs it: valid
/// facts, the common case, never pay for formatting it.
#[derive(Clone, Copy)]
enum FactPath<'a> {
    Root,
    Field(&'a FactPath<'a>, &'a str),
    Index(&'a FactPath<'a>, usize),
}

impl std::fmt::Display for FactPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactPath::Root => Ok(()),
            FactPath::Field(FactPath::Root, name) => f.write_str(name),
            FactPath::Field(parent, name) => write!(f, "{parent}.{name}"),
            FactPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

struct Validator<'p> {
    program: &'p Program,
    problems: Vec<(Problem, Place)>,
}

/// Where in the facts document a problem lies.
enum Place {
    /// The value at this path (`victim.losses[2].amount`; `""` is the whole document).
    Value(String),
    /// The key itself, for a key that should not be there.
    Key { parent: String, key: String },
}

impl<'p> Validator<'p> {
    fn problem(&mut self, at: Place, p: Problem) {
        self.problems.push((p, at));
    }

    fn wrong(&mut self, path: &FactPath<'_>, expected: &str, got: &str) {
        self.problem(
            Place::Value(path.to_string()),
            Problem::error(
                codes::WRONG_TYPE,
                format!("`{path}` must be {expected}, but it is {got}"),
            )
            .with_help(format!("write `{path}` as {expected}")),
        );
    }

    fn fields(
        &mut self,
        decls: &[FieldDecl],
        map: &serde_json::Map<String, serde_json::Value>,
        prefix: &FactPath<'_>,
    ) -> Vec<Value> {
        let join = |name| FactPath::Field(prefix, name);
        for key in map.keys() {
            if !decls.iter().any(|d| &d.name == key) {
                let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
                let help = match nearest(key, names.iter().copied()) {
                    Some(n) => format!("did you mean `{}`?", join(n)),
                    None => format!("the facts here are: {}", names.join(", ")),
                };
                self.problem(
                    Place::Key {
                        parent: prefix.to_string(),
                        key: key.clone(),
                    },
                    Problem::error(codes::UNKNOWN_KEY, format!("unknown fact `{}`", join(key)))
                        .with_help(help),
                );
            }
        }
        decls
            .iter()
            .map(|d| {
                let path = join(d.name.as_str());
                match map.get(&d.name) {
                    Some(serde_json::Value::Null) | None => self.absent(d, &path),
                    Some(v) => self.value(&d.ty, v, &path, d.nonempty),
                }
            })
            .collect()
    }

    /// A fact that is not given: its default, `Absent` if optional, an empty record if
    /// every field of the record may be left out, else an error.
    fn absent(&mut self, d: &FieldDecl, path: &FactPath<'_>) -> Value {
        if let Some(default) = &d.default {
            return default.clone();
        }
        if d.optional {
            return Value::Absent;
        }
        if let Type::Record(r) = &d.ty {
            let program: &'p Program = self.program;
            if let Some(rec) = program.schema.records.get(*r) {
                if rec.fields.iter().all(FieldDecl::may_be_absent) {
                    let empty = serde_json::Map::new();
                    return Value::Record(self.fields(&rec.fields, &empty, path).into());
                }
            }
        }
        let what = d
            .description
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let parent = match path {
            FactPath::Field(parent, _) => parent.to_string(),
            _ => String::new(),
        };
        self.problem(
            Place::Value(parent),
            Problem::error(
                codes::MISSING_REQUIRED,
                format!("required fact `{path}` is missing{what}"),
            )
            .with_help(format!(
                "add `{path}` ({}) to the facts",
                type_words(self.program, &d.ty)
            )),
        );
        Value::Absent
    }

    fn value(
        &mut self,
        ty: &Type,
        v: &serde_json::Value,
        path: &FactPath<'_>,
        nonempty: bool,
    ) -> Value {
        use serde_json::Value as J;
        match (ty, v) {
            (Type::Bool, J::Bool(b)) => Value::Bool(*b),
            (_, J::String(s)) if takes_text(ty) => self.text_value(ty, s, path),
            (Type::Money | Type::Integer | Type::Decimal, J::Number(n)) => {
                self.number(ty, &n.to_string(), path)
            }
            (Type::List(inner), J::Array(items)) => {
                if items.len() > MAX_LIST_LEN {
                    self.problem(
                        Place::Value(path.to_string()),
                        Problem::error(
                            codes::TOO_LARGE,
                            format!(
                                "`{path}` has {} items; the limit is {MAX_LIST_LEN}",
                                items.len()
                            ),
                        )
                        .with_help("split the case"),
                    );
                    return Value::Absent;
                }
                if nonempty && items.is_empty() {
                    self.problem(
                        Place::Value(path.to_string()),
                        Problem::error(
                            codes::EMPTY_LIST,
                            format!("`{path}` must list at least one item"),
                        )
                        .with_help(format!("add at least one item to `{path}`")),
                    );
                }
                let values: Vec<Value> = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.value(inner, x, &FactPath::Index(path, i), false))
                    .collect();
                Value::List(values.into())
            }
            (Type::Record(r), J::Object(map)) => {
                let program: &'p Program = self.program;
                let Some(rec) = program.schema.records.get(*r) else {
                    return Value::Absent;
                };
                Value::Record(self.fields(&rec.fields, map, path).into())
            }
            (ty, v) => {
                let expected = type_words(self.program, ty);
                self.wrong(path, &expected, json_kind(v));
                Value::Absent
            }
        }
    }

    /// A JSON string as a value of `ty`, one of the types [`takes_text`] accepts (the one-pass
    /// reader calls this with the string still in the JSON text).
    fn text_value(&mut self, ty: &Type, s: &str, path: &FactPath<'_>) -> Value {
        match ty {
            Type::Text => Value::Text(s.into()),
            Type::Money => self.money_text(s, false, path),
            Type::Decimal => self.decimal(s, path),
            Type::Date => self.date(s, path),
            Type::Citation => match citation(s) {
                Ok(c) => Value::Citation(c),
                Err(e) => {
                    self.problem(
                        Place::Value(path.to_string()),
                        Problem::error(
                            codes::MALFORMED_CITATION,
                            format!("`{path}` is `{s}`, which is not a provision citation"),
                        )
                        .with_help(format!("{}; write it like `2252A(a)(5)(B)`", e.reason)),
                    );
                    Value::Absent
                }
            },
            Type::Enum(e) => {
                let Some(decl) = self.program.schema.enums.get(*e) else {
                    return Value::Absent;
                };
                match decl.members.iter().position(|m| m == s) {
                    Some(i) => Value::Enum(u32::try_from(i).unwrap_or(u32::MAX)),
                    None => {
                        let members: Vec<&str> = decl.members.iter().map(String::as_str).collect();
                        let guess = nearest(s, members.iter().copied())
                            .map(|n| format!("did you mean `{n}`? "))
                            .unwrap_or_default();
                        self.problem(
                            Place::Value(path.to_string()),
                            Problem::error(
                                codes::UNKNOWN_MEMBER,
                                format!(
                                    "`{path}` is `{s}`, which is not one of the allowed values"
                                ),
                            )
                            .with_help(format!(
                                "{guess}the allowed values are: {}",
                                members.join(", ")
                            )),
                        );
                        Value::Absent
                    }
                }
            }
            _ => Value::Absent,
        }
    }

    /// A JSON number, spelled as written (serde_json's `arbitrary_precision` keeps its text), as
    /// a value of `ty`: money, an integer or a decimal.
    fn number(&mut self, ty: &Type, text: &str, path: &FactPath<'_>) -> Value {
        match ty {
            Type::Money => self.money_text(text, true, path),
            Type::Integer => match Decimal::from_str_exact(text) {
                Ok(d) if d.fract().is_zero() => Value::Number(d.trunc()),
                _ => {
                    self.wrong(path, "a whole number", "a number");
                    Value::Absent
                }
            },
            Type::Decimal => self.decimal(text, path),
            _ => Value::Absent,
        }
    }

    /// Money written as a JSON string, or (`number`) as a JSON number, spelled `text`.
    fn money_text(&mut self, text: &str, number: bool, path: &FactPath<'_>) -> Value {
        // Amounts as written almost always begin and end with a digit: nothing to trim then.
        let bytes = text.as_bytes();
        let t = match (bytes.first(), bytes.last()) {
            (Some(a), Some(z)) if a.is_ascii_digit() && z.is_ascii_digit() => text,
            _ => text.trim(),
        };
        // Digits, `.` and `-` only (all ASCII, so looking at bytes is enough), with one `.` at most.
        let mut dots = 0usize;
        let plain = !t.is_empty()
            && t.bytes().all(|b| match b {
                b'0'..=b'9' | b'-' => true,
                b'.' => {
                    dots += 1;
                    true
                }
                _ => false,
            })
            && dots <= 1;
        let parsed = if plain {
            Decimal::from_str_exact(t).ok()
        } else if number {
            Decimal::from_scientific(t).ok()
        } else {
            None
        };
        let Some(d) = parsed else {
            let too_big = plain && t.trim_start_matches('-').replace('.', "").len() > 28;
            if too_big {
                self.problem(
                    Place::Value(path.to_string()),
                    Problem::error(
                        codes::OUT_OF_RANGE,
                        format!("`{path}` is {t}, beyond the supported range of money"),
                    )
                    .with_help("amounts are exact to 28 significant digits"),
                );
            } else {
                self.problem(
                    Place::Value(path.to_string()),
                    Problem::error(
                        codes::WRONG_TYPE,
                        format!("`{path}` must be a money amount, but it is `{t}`"),
                    )
                    .with_help("write money as `\"3000.00\"` or `3000`, without `$` or commas"),
                );
            }
            return Value::Absent;
        };
        if d.is_sign_negative() && !d.is_zero() {
            self.problem(
                Place::Value(path.to_string()),
                Problem::error(
                    codes::NEGATIVE_MONEY,
                    format!("`{path}` is {t}, but money here cannot be negative"),
                )
                .with_help(format!("write `{path}` as 0 or more")),
            );
            return Value::Absent;
        }
        // Normalizing only lowers the scale, so two decimals or fewer as written need no check.
        if d.scale() > 2 && d.normalize().scale() > 2 {
            self.problem(
                Place::Value(path.to_string()),
                Problem::error(
                    codes::FRACTIONAL_CENTS,
                    format!("`{path}` is {t}, which has more than two decimals"),
                )
                .with_help("money is in dollars and cents, like `1234.56`"),
            );
            return Value::Absent;
        }
        // Rebuilding with two decimals cannot fail below 2^96 / 100; larger values are refused.
        let mut cents = d.abs();
        if cents.scale() != 2 {
            cents.rescale(2);
        }
        if cents.scale() != 2 {
            self.problem(
                Place::Value(path.to_string()),
                Problem::error(
                    codes::OUT_OF_RANGE,
                    format!("`{path}` is {t}, beyond the supported range of money"),
                )
                .with_help("amounts are exact to 28 significant digits"),
            );
            return Value::Absent;
        }
        Value::Number(cents)
    }

    fn decimal(&mut self, s: &str, path: &FactPath<'_>) -> Value {
        match Decimal::from_str_exact(s).or_else(|_| Decimal::from_scientific(s)) {
            Ok(d) => Value::Number(d),
            Err(_) => {
                self.problem(
                    Place::Value(path.to_string()),
                    Problem::error(
                        codes::WRONG_TYPE,
                        format!("`{path}` must be a decimal number, but it is `{s}`"),
                    )
                    .with_help("write a number like `245.120`"),
                );
                Value::Absent
            }
        }
    }

    fn date(&mut self, s: &str, path: &FactPath<'_>) -> Value {
        // Every character is ASCII in this shape, so looking at bytes is enough.
        let bytes = s.as_bytes();
        let shaped = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, &b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shaped {
            self.problem(
                Place::Value(path.to_string()),
                Problem::error(
                    codes::WRONG_TYPE,
                    format!("`{path}` must be a date written YYYY-MM-DD, but it is `{s}`"),
                )
                .with_help("write dates like `2019-05-01`"),
            );
            return Value::Absent;
        }
        // The text is `YYYY-MM-DD` in digits, so jiff's parser would only read these three
        // numbers and check them with `Date::new` (a four-digit year is always in its range).
        let number = |from: usize, to: usize| {
            bytes
                .get(from..to)
                .unwrap_or_default()
                .iter()
                .fold(0i16, |n, &b| n * 10 + i16::from(b.wrapping_sub(b'0')))
        };
        let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
        let date = match (i8::try_from(month), i8::try_from(day)) {
            (Ok(month), Ok(day)) => jiff::civil::Date::new(year, month, day),
            _ => jiff::civil::Date::new(year, 0, 0),
        };
        match date {
            Ok(d) => Value::Date(d),
            Err(_) => {
                self.problem(
                    Place::Value(path.to_string()),
                    Problem::error(
                        codes::IMPOSSIBLE_DATE,
                        format!("`{path}` is `{s}`, which is not a day in the calendar"),
                    )
                    .with_help("check the month and day"),
                );
                Value::Absent
            }
        }
    }
}

thread_local! {
    /// Citations read on this thread, by their text: a batch cites the same few provisions
    /// over and over, and a shared `Arc` is cheaper than parsing the text again (an allocation
    /// for the citation, its parts and its suffix).
    /// Hashed with FxHash: SipHash cost about as much as parsing these short texts. FxHash
    /// does not resist chosen collisions, which at worst slow the lookups in a table of at
    /// most [`CITATION_CACHE_LEN`] entries.
    static CITATIONS: RefCell<HashMap<Box<str>, Arc<Citation>, rustc_hash::FxBuildHasher>> =
        RefCell::new(HashMap::default());
}

/// Most citations [`CITATIONS`] keeps, and the longest text it keeps one for.
const CITATION_CACHE_LEN: usize = 1024;
const CITATION_CACHE_TEXT: usize = 64;

/// `Citation::parse`, remembered per thread.
fn citation(text: &str) -> Result<Arc<Citation>, CitationError> {
    if text.len() > CITATION_CACHE_TEXT {
        return Citation::parse(text).map(Arc::new);
    }
    CITATIONS.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return Citation::parse(text).map(Arc::new);
        };
        if let Some(c) = cache.get(text) {
            return Ok(Arc::clone(c));
        }
        let c = Arc::new(Citation::parse(text)?);
        if cache.len() < CITATION_CACHE_LEN {
            cache.insert(text.into(), Arc::clone(&c));
        }
        Ok(c)
    })
}

/// The types a fact given as a JSON string may have.
fn takes_text(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Text | Type::Money | Type::Decimal | Type::Date | Type::Citation | Type::Enum(_)
    )
}

/// A type in words for messages: "a money amount like \"3000.00\"".
fn type_words(program: &Program, ty: &Type) -> String {
    match ty {
        Type::Bool => "true or false".into(),
        Type::Integer => "a whole number".into(),
        Type::Decimal => "a decimal number".into(),
        Type::Money => "a money amount like \"3000.00\"".into(),
        Type::Date => "a date like \"2019-05-01\"".into(),
        Type::Text => "a text".into(),
        Type::Citation => "a provision citation like \"2252A(a)(5)(B)\"".into(),
        Type::Provisions => "a list of provision citations".into(),
        Type::Enum(e) => match program.schema.enums.get(*e) {
            Some(d) => format!(
                "one of {}",
                d.members
                    .iter()
                    .map(|m| format!("\"{m}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "an enumeration member".into(),
        },
        Type::Record(_) => "an object".into(),
        Type::List(_) | Type::Empty => "a list".into(),
    }
}

/// Reading valid facts straight from the JSON text into values, without the intermediate
/// `serde_json::Value` tree (its maps, keys and lists were most of the cost of reading a case).
///
/// It gives up (`None`) at the first thing that is not plainly valid (an unknown or repeated key,
/// a wrong type, a missing required fact, malformed JSON…), and [`read_facts`] then reads the
/// document the full way, which reports every problem. Strings and numbers written with a
/// fraction or an exponent are converted by the same [`Validator`] methods as the full way
/// (`text_value`, `number`), so both give the same values; only the walk over objects, lists and
/// absent facts, and whole numbers (`Decimal::from`, as `Validator::number` reads their text),
/// are done here. The unit tests below compare both ways.
mod direct {
    use super::{FactPath, MAX_LIST_LEN, Validator};
    use crate::program::{FieldDecl, Program};
    use crate::value::{Type, Value};
    use rust_decimal::Decimal;
    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    use std::cell::Cell;
    use std::fmt;

    thread_local! {
        /// The buffer of [`Reader`], kept between documents read on this thread so that it is
        /// not grown again for every case of a batch.
        static BUF: Cell<Vec<Value>> = const { Cell::new(Vec::new()) };
    }

    /// A buffer larger than this (a case with very long lists) is not kept for the next case.
    const KEEP_BUF: usize = 4096;

    pub(super) fn read(program: &Program, json: &str) -> Option<super::Facts> {
        let mut reader = Reader {
            val: Validator {
                program,
                problems: Vec::new(),
            },
            buf: BUF.with(Cell::take),
        };
        let facts = read_with(&mut reader, json);
        let mut buf = reader.buf;
        if buf.capacity() <= KEEP_BUF {
            buf.clear();
            BUF.with(|b| b.set(buf));
        }
        facts
    }

    fn read_with(reader: &mut Reader<'_>, json: &str) -> Option<super::Facts> {
        let program: &Program = reader.val.program;
        let mut de = serde_json::Deserializer::from_str(json);
        let start = Fields {
            r: &mut *reader,
            decls: &program.schema.facts,
        }
        .deserialize(&mut de)
        .ok()?;
        de.end().ok()?;
        let values = reader.buf.drain(start..).collect();
        reader
            .val
            .problems
            .is_empty()
            .then_some(super::Facts { values })
    }

    /// What a fact or field that is not given (or is `null`) stands for, as
    /// [`Validator::absent`] gives it: its default, `Absent` if optional, or a record of its
    /// fields' defaults; `None` for a required one (the full way reports it).
    fn absent(r: &mut Reader<'_>, d: &FieldDecl) -> Option<Value> {
        if let Some(default) = &d.default {
            return Some(default.clone());
        }
        if d.optional {
            return Some(Value::Absent);
        }
        let Type::Record(id) = &d.ty else {
            return None;
        };
        let program: &Program = r.val.program;
        let rec = program.schema.records.get(*id)?;
        if !rec.fields.iter().all(FieldDecl::may_be_absent) {
            return None;
        }
        let start = r.buf.len();
        for f in &rec.fields {
            let v = absent(r, f)?;
            r.buf.push(v);
        }
        Some(Value::Record(r.buf.drain(start..).collect()))
    }

    /// The validator for scalars, and one buffer in which every list and record is assembled
    /// before it is moved into its `Arc<[Value]>` (one allocation each, no intermediate `Vec`).
    /// A list or record being read occupies `buf[start..]`; those nested in it are assembled
    /// after it and taken out before it continues.
    struct Reader<'p> {
        val: Validator<'p>,
        buf: Vec<Value>,
    }

    /// The error that makes the caller read the document the full way; its text is never shown.
    fn give_up<E: Error>() -> E {
        E::custom("not plainly valid")
    }

    /// An object of facts or record fields, in the order of `decls`.
    struct Fields<'a, 'p> {
        r: &'a mut Reader<'p>,
        decls: &'p [FieldDecl],
    }

    /// Leaves the values in `buf`, from the index it returns, in the order of `decls`.
    impl<'de> DeserializeSeed<'de> for Fields<'_, '_> {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Fields<'_, '_> {
        type Value = usize;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let decls = self.decls;
            // Which keys were given, to give up on a repeated one (the full way keeps the last),
            // and which of them had a value other than `null`.
            let (mut seen, mut set): (u64, u64) = (0, 0);
            if decls.len() > 64 {
                return Err(give_up());
            }
            let start = self.r.buf.len();
            self.r.buf.extend(decls.iter().map(|_| Value::Absent));
            while let Some(i) = map.next_key_seed(Key(decls))? {
                let bit = 1u64 << i;
                let Some(decl) = decls.get(i) else {
                    return Err(give_up());
                };
                if seen & bit != 0 {
                    return Err(give_up());
                }
                seen |= bit;
                if let Some(v) = map.next_value_seed(Slot {
                    r: &mut *self.r,
                    ty: &decl.ty,
                    nonempty: decl.nonempty,
                })? {
                    let slot = self.r.buf.get_mut(start + i).ok_or_else(give_up)?;
                    *slot = v;
                    set |= bit;
                }
            }
            for (i, d) in decls.iter().enumerate() {
                if set & (1u64 << i) == 0 {
                    // Not given, or `null`: its default, `Absent`, or an empty record.
                    let v = absent(self.r, d).ok_or_else(give_up)?;
                    let slot = self.r.buf.get_mut(start + i).ok_or_else(give_up)?;
                    *slot = v;
                }
            }
            if self.r.val.problems.is_empty() {
                Ok(start)
            } else {
                Err(give_up())
            }
        }
    }

    /// A key, as the index of its declaration.
    struct Key<'p>(&'p [FieldDecl]);

    impl<'de> DeserializeSeed<'de> for Key<'_> {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for Key<'_> {
        type Value = usize;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a fact's name")
        }

        fn visit_str<E: Error>(self, key: &str) -> Result<usize, E> {
            self.0
                .iter()
                .position(|d| d.name == key)
                .ok_or_else(give_up)
        }
    }

    /// The value of one fact or field; `None` for `null`.
    struct Slot<'a, 'p> {
        r: &'a mut Reader<'p>,
        ty: &'p Type,
        nonempty: bool,
    }

    impl<'de> DeserializeSeed<'de> for Slot<'_, '_> {
        type Value = Option<Value>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
            match self.ty {
                Type::List(_) | Type::Record(_) => d.deserialize_any(self),
                _ => d.deserialize_any(Scalar(self)),
            }
        }
    }

    impl Slot<'_, '_> {
        /// `value` unless converting it reported a problem.
        fn checked<E: Error>(
            self,
            value: impl FnOnce(&mut Validator<'_>) -> Value,
        ) -> Result<Option<Value>, E> {
            let before = self.r.val.problems.len();
            let v = value(&mut self.r.val);
            if self.r.val.problems.len() == before {
                Ok(Some(v))
            } else {
                Err(give_up())
            }
        }
    }

    /// A slot of a type written as a JSON scalar. Strings are converted where they lie in the
    /// text, without copying them into a `serde_json::Value`.
    struct Scalar<'a, 'p>(Slot<'a, 'p>);

    impl<'de> Visitor<'de> for Scalar<'_, '_> {
        type Value = Option<Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a scalar")
        }

        fn visit_unit<E: Error>(self) -> Result<Option<Value>, E> {
            Ok(None)
        }

        fn visit_bool<E: Error>(self, b: bool) -> Result<Option<Value>, E> {
            match self.0.ty {
                Type::Bool => Ok(Some(Value::Bool(b))),
                _ => Err(give_up()),
            }
        }

        fn visit_str<E: Error>(self, s: &str) -> Result<Option<Value>, E> {
            if !super::takes_text(self.0.ty) {
                return Err(give_up());
            }
            let ty = self.0.ty;
            self.0.checked(|val| val.text_value(ty, s, &FactPath::Root))
        }

        /// A whole number that fits a `u64`: serde_json hands it over as such, even with its
        /// `arbitrary_precision` feature. The same value as [`Validator::number`] gives for its
        /// text, without writing it out and reading it again.
        fn visit_u64<E: Error>(self, n: u64) -> Result<Option<Value>, E> {
            let d = Decimal::from(n);
            match self.0.ty {
                Type::Integer | Type::Decimal => Ok(Some(Value::Number(d))),
                Type::Money => {
                    // Below 2^64, two decimals always fit (the limit is 2^96).
                    let mut cents = d;
                    cents.rescale(2);
                    if cents.scale() == 2 {
                        Ok(Some(Value::Number(cents)))
                    } else {
                        Err(give_up())
                    }
                }
                _ => Err(give_up()),
            }
        }

        /// A negative whole number that fits an `i64`: an integer or a decimal; money cannot be
        /// negative, which the full way reports.
        fn visit_i64<E: Error>(self, n: i64) -> Result<Option<Value>, E> {
            match self.0.ty {
                Type::Integer | Type::Decimal => Ok(Some(Value::Number(Decimal::from(n)))),
                _ => Err(give_up()),
            }
        }

        /// Any other number: with serde_json's `arbitrary_precision` it arrives as a one-entry
        /// map that `serde_json::Number` reads back exactly as written.
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
            if !matches!(self.0.ty, Type::Money | Type::Integer | Type::Decimal) {
                return Err(give_up());
            }
            let n = <serde_json::Number as serde::Deserialize>::deserialize(
                serde::de::value::MapAccessDeserializer::new(map),
            )?;
            let ty = self.0.ty;
            self.0
                .checked(|val| val.number(ty, n.as_str(), &FactPath::Root))
        }
    }

    impl<'de> Visitor<'de> for Slot<'_, '_> {
        type Value = Option<Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list or an object")
        }

        fn visit_unit<E: Error>(self) -> Result<Option<Value>, E> {
            Ok(None)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
            let Type::List(inner) = self.ty else {
                return Err(give_up());
            };
            let start = self.r.buf.len();
            while let Some(item) = seq.next_element_seed(Slot {
                r: &mut *self.r,
                ty: inner,
                nonempty: false,
            })? {
                // A `null` item is an error of the full way.
                self.r.buf.push(item.ok_or_else(give_up)?);
                if self.r.buf.len() - start > MAX_LIST_LEN {
                    return Err(give_up());
                }
            }
            if self.nonempty && self.r.buf.len() == start {
                return Err(give_up());
            }
            Ok(Some(Value::List(self.r.buf.drain(start..).collect())))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
            let Type::Record(r) = self.ty else {
                return Err(give_up());
            };
            let program: &Program = self.r.val.program;
            let rec = program.schema.records.get(*r).ok_or_else(give_up)?;
            let start = Fields {
                r: &mut *self.r,
                decls: &rec.fields,
            }
            .visit_map(map)?;
            Ok(Some(Value::Record(self.r.buf.drain(start..).collect())))
        }
    }
}

/// Finds the byte range of a path in a JSON text that is known to be valid JSON.
mod locate {
    use super::Place;

    enum Seg {
        Key(String),
        Index(usize),
    }

    /// `victim.losses[2].amount` as segments. Schema names never hold `.` or `[`.
    fn segments(path: &str) -> Vec<Seg> {
        let mut out = Vec::new();
        for part in path.split('.').filter(|p| !p.is_empty()) {
            let mut pieces = part.split('[');
            if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
                out.push(Seg::Key(key.to_string()));
            }
            for idx in pieces {
                if let Ok(i) = idx.trim_end_matches(']').parse() {
                    out.push(Seg::Index(i));
                }
            }
        }
        out
    }

    /// Keys that appear twice in one object: the path of the repeated fact and the span of
    /// its second key. Keys are compared as written, and decoded only when one holds an escape;
    /// nothing is allocated unless a key repeats (batch evaluation runs this on every line).
    pub(super) fn duplicate_keys(json: &str) -> Vec<(String, usize, usize)> {
        let mut found = Vec::new();
        let mut c = Cursor {
            text: json.as_bytes(),
            at: 0,
        };
        let mut path: Vec<Step> = Vec::new();
        c.find_duplicates(&mut path, &mut found);
        found
    }

    /// One step of the path being walked: a key (its span in the text) or an index.
    #[derive(Clone, Copy)]
    enum Step {
        Key(usize, usize),
        Index(usize),
    }

    /// `(start, len)` of the value at `place`, or of the offending key.
    pub(super) fn span(json: &str, place: &Place) -> Option<(usize, usize)> {
        let (path, key) = match place {
            Place::Value(p) => (p.as_str(), None),
            Place::Key { parent, key } => (parent.as_str(), Some(key.as_str())),
        };
        let mut c = Cursor {
            text: json.as_bytes(),
            at: 0,
        };
        c.ws();
        for seg in segments(path) {
            match seg {
                Seg::Key(k) => c.member(&k)?,
                Seg::Index(i) => c.element(i)?,
            }
        }
        match key {
            Some(k) => c.key_span(k),
            None => {
                let start = c.at;
                c.skip_value()?;
                Some((start, c.at.saturating_sub(start).max(1)))
            }
        }
    }

    struct Cursor<'a> {
        text: &'a [u8],
        at: usize,
    }

    impl Cursor<'_> {
        fn peek(&self) -> Option<u8> {
            self.text.get(self.at).copied()
        }

        fn ws(&mut self) {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.at += 1;
            }
        }

        fn eat(&mut self, b: u8) -> Option<()> {
            self.ws();
            (self.peek()? == b).then(|| self.at += 1)
        }

        /// A string token; returns its decoded text.
        fn string(&mut self) -> Option<String> {
            self.ws();
            let start = self.at;
            self.raw_string()?;
            serde_json::from_slice(self.text.get(start..self.at)?).ok()
        }

        fn skip_value(&mut self) -> Option<()> {
            self.ws();
            match self.peek()? {
                b'"' => self.string().map(|_| ()),
                open @ (b'{' | b'[') => {
                    let close = if open == b'{' { b'}' } else { b']' };
                    self.at += 1;
                    self.ws();
                    if self.peek()? == close {
                        self.at += 1;
                        return Some(());
                    }
                    loop {
                        if open == b'{' {
                            self.string()?;
                            self.eat(b':')?;
                        }
                        self.skip_value()?;
                        self.ws();
                        match self.peek()? {
                            b',' => self.at += 1,
                            b if b == close => {
                                self.at += 1;
                                return Some(());
                            }
                            _ => return None,
                        }
                    }
                }
                _ => {
                    while self.peek().is_some_and(|b| {
                        !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace()
                    }) {
                        self.at += 1;
                    }
                    Some(())
                }
            }
        }

        /// The decoded text of the string token at `start..end`.
        fn decode(&self, start: usize, end: usize) -> String {
            self.text
                .get(start..end)
                .and_then(|raw| serde_json::from_slice::<String>(raw).ok())
                .unwrap_or_default()
        }

        /// `victim.losses[2].amount` for a path of steps.
        fn path_text(&self, path: &[Step]) -> String {
            let mut out = String::new();
            for step in path {
                match *step {
                    Step::Key(s, e) => {
                        if !out.is_empty() {
                            out.push('.');
                        }
                        out.push_str(&self.decode(s, e));
                    }
                    Step::Index(i) => out.push_str(&format!("[{i}]")),
                }
            }
            out
        }

        fn same_key(&self, a: (usize, usize), b: (usize, usize)) -> bool {
            let (x, y) = (self.text.get(a.0..a.1), self.text.get(b.0..b.1));
            if x == y {
                return true;
            }
            let escaped = |k: Option<&[u8]>| k.is_some_and(|k| k.contains(&b'\\'));
            (escaped(x) || escaped(y)) && self.decode(a.0, a.1) == self.decode(b.0, b.1)
        }

        /// Walks the value here, recording repeated keys of every object inside it.
        fn find_duplicates(
            &mut self,
            path: &mut Vec<Step>,
            found: &mut Vec<(String, usize, usize)>,
        ) -> Option<()> {
            self.ws();
            match self.peek()? {
                b'{' => {
                    self.at += 1;
                    let mut keys: Vec<(usize, usize)> = Vec::new();
                    loop {
                        self.ws();
                        if self.peek()? == b'}' {
                            self.at += 1;
                            return Some(());
                        }
                        let start = self.at;
                        self.raw_string()?;
                        let key = (start, self.at);
                        path.push(Step::Key(start, self.at));
                        if keys.iter().any(|&k| self.same_key(k, key)) {
                            found.push((self.path_text(path), start, self.at - start));
                        }
                        keys.push(key);
                        self.eat(b':')?;
                        self.find_duplicates(path, found)?;
                        path.pop();
                        self.ws();
                        if self.peek()? == b',' {
                            self.at += 1;
                        }
                    }
                }
                b'[' => {
                    self.at += 1;
                    let mut index = 0usize;
                    loop {
                        self.ws();
                        if self.peek()? == b']' {
                            self.at += 1;
                            return Some(());
                        }
                        path.push(Step::Index(index));
                        self.find_duplicates(path, found)?;
                        path.pop();
                        index += 1;
                        self.ws();
                        if self.peek()? == b',' {
                            self.at += 1;
                        }
                    }
                }
                _ => self.skip_value(),
            }
        }

        /// Skips a string token without decoding it.
        fn raw_string(&mut self) -> Option<()> {
            if self.peek()? != b'"' {
                return None;
            }
            self.at += 1;
            loop {
                match self.peek()? {
                    b'\\' => self.at += 2,
                    b'"' => {
                        self.at += 1;
                        return Some(());
                    }
                    _ => self.at += 1,
                }
            }
        }

        /// Moves to the value of member `key` of the object here.
        fn member(&mut self, key: &str) -> Option<()> {
            self.eat(b'{')?;
            loop {
                let k = self.string()?;
                self.eat(b':')?;
                self.ws();
                if k == key {
                    return Some(());
                }
                self.skip_value()?;
                self.eat(b',')?;
            }
        }

        /// Moves to element `index` of the array here.
        fn element(&mut self, index: usize) -> Option<()> {
            self.eat(b'[')?;
            for _ in 0..index {
                self.skip_value()?;
                self.eat(b',')?;
            }
            self.ws();
            Some(())
        }

        /// The span of member name `key` in the object here.
        fn key_span(&mut self, key: &str) -> Option<(usize, usize)> {
            self.eat(b'{')?;
            loop {
                self.ws();
                let start = self.at;
                let k = self.string()?;
                if k == key {
                    return Some((start, self.at - start));
                }
                self.eat(b':')?;
                self.skip_value()?;
                self.eat(b',')?;
            }
        }
    }
}

#[cfg(test)]
#[path = "../../tests/support/generate.rs"]
mod generate;

#[cfg(test)]
mod tests {
    use super::generate;
    use super::*;
    use std::str::FromStr;

    /// The full way: a `serde_json::Value`, every check, and no key given twice.
    fn full_way(program: &Program, json: &str) -> Option<Facts> {
        let doc: serde_json::Value = serde_json::from_str(json).ok()?;
        if !locate::duplicate_keys(json).is_empty() {
            return None;
        }
        validate_places(program, &doc).ok()
    }

    /// Dates are read as jiff's parser reads them, for every month and day a `YYYY-MM-DD` text
    /// can spell, in years at the ends of the range and around leap-year rules.
    #[test]
    fn dates_are_read_as_jiff_reads_them() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/usc/18/2259.law");
        let program = crate::load_program(&path).unwrap().0;
        let mut v = Validator {
            program: &program,
            problems: Vec::new(),
        };
        for year in [0, 1, 4, 100, 400, 1900, 1996, 2000, 2019, 2024, 2100, 9999] {
            for month in 0..100 {
                for day in 0..100 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let expected = jiff::civil::Date::from_str(&text).ok().map(Value::Date);
                    let got = v.date(&text, &FactPath::Root);
                    let ok = v.problems.is_empty();
                    v.problems.clear();
                    assert_eq!(ok.then_some(got), expected, "{text}");
                }
            }
        }
    }

    /// What the one-pass reader accepts, the full way accepts too, with the same values. (It may
    /// give up on valid facts: the full way then reads them.)
    #[test]
    fn direct_reading_agrees_with_the_full_way() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/usc/18/2259.law");
        let program = crate::load_program(&path).unwrap().0;
        let mut g = generate::Generator::new(7).with_errors();
        let mut cases: Vec<String> = (0..3_000).map(|_| g.line()).collect();
        for dir in ["tests/cases/errors", "tests/cases/usc-18-2259"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                // A corpus file holds the facts under "facts"; an error case may be bare facts.
                let facts = doc.get("facts").cloned().unwrap_or(doc);
                cases.push(facts.to_string());
            }
        }
        cases.extend(
            [
                "",
                "[]",
                "null",
                r#"{"offense_date": "2019-05-01", "offense_date": "2019-05-02", "convictions": [{"section": "2251(a)"}]}"#,
                r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "court": null, "victim": {"losses": null}}"#,
                r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "victim": {"prior_recovery": 12.5e2}}"#,
                r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "victim": 5}"#,
                r#"{"offense_date": "2019-05-01", "convictions": [null]}"#,
                r#"{"offense_date": "2019-05-01", "convictions": []}"#,
                r#"{"offense_d\u0061te": "2019-05-01", "convictions": [{"section": "2251(a)"}]} "#,
                r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}]} x"#,
            ]
            .map(String::from),
        );
        let mut accepted = 0;
        for json in &cases {
            let direct = direct::read(&program, json);
            if let Some(f) = &direct {
                accepted += 1;
                assert_eq!(Some(f), full_way(&program, json).as_ref(), "{json}");
            }
            assert_eq!(
                read_facts(&program, "case", json).ok(),
                full_way(&program, json),
                "{json}"
            );
        }
        assert!(accepted > 1_000, "only {accepted} cases read directly");
        // Money given as a JSON number is read directly too (serde_json hands it over as a map).
        let number = r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "victim": {"prior_recovery": 1250.5}}"#;
        assert!(direct::read(&program, number).is_some());
    }
}
