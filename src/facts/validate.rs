//! The full way of reading facts: a parsed JSON document checked against the schema, every
//! problem found and named by its fact's path.

use super::{Facts, MAX_LIST_LEN, codes};
use crate::citation::{Citation, CitationError};
use crate::diagnostic::{Problem, nearest};
use crate::program::{FieldDecl, Schema, Unique};
use crate::value::{Type, Value};
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Reads a parsed document against the schema. With `partial`, a fact that is not given
/// (required ones and ones with a default too) is held as unknown (`Value::Absent`, its path in
/// [`Facts::unknown`]) rather than reported or defaulted, and a record that is not given
/// (unless optional) as a record of unknown fields: the interview's view of what it has been
/// told so far (see [`Validator::absent`]).
pub(super) fn validate_places(
    schema: &Schema,
    doc: &serde_json::Value,
    partial: bool,
) -> Result<Facts, Vec<(Problem, Place)>> {
    let mut v = Validator {
        schema,
        problems: Vec::new(),
        partial,
        unknown: Vec::new(),
    };
    let values = match doc {
        serde_json::Value::Object(map) => v.fields(&schema.facts, map, &FactPath::Root),
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
        let mut unknown = v.unknown;
        unknown.sort();
        Ok(Facts { values, unknown })
    } else {
        Err(v.problems)
    }
}

pub(super) fn json_kind(v: &serde_json::Value) -> &'static str {
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
pub(super) enum FactPath<'a> {
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

pub(super) struct Validator<'p> {
    pub(super) schema: &'p Schema,
    pub(super) problems: Vec<(Problem, Place)>,
    /// Facts not given are unknown, not missing or defaulted (see [`validate_places`]).
    pub(super) partial: bool,
    /// Reading partial facts: the paths of the facts not given, in the order of the schema.
    pub(super) unknown: Vec<String>,
}

/// Where in the facts document a problem lies.
pub(super) enum Place {
    /// The value at this path (`victim.losses[2].amount`; `""` is the whole document).
    Value(String),
    /// The key itself, for a key that should not be there.
    Key { parent: String, key: String },
}

impl<'p> Validator<'p> {
    pub(super) fn problem(&mut self, at: Place, mut p: Problem) {
        p.fact_path = p.fact_path.take().or_else(|| match &at {
            Place::Value(path) if path.is_empty() => None,
            Place::Value(path) => Some(path.clone()),
            Place::Key { parent, key } if parent.is_empty() => Some(key.clone()),
            Place::Key { parent, key } => Some(format!("{parent}.{key}")),
        });
        self.problems.push((p, at));
    }

    /// A problem with the value at `path` (underlined in the JSON), with its help.
    pub(super) fn value_problem(
        &mut self,
        path: &FactPath<'_>,
        code: &'static str,
        message: String,
        help: impl Into<String>,
    ) {
        self.problem(
            Place::Value(path.to_string()),
            Problem::error(code, message).with_help(help),
        );
    }

    /// Each repeat in a `unique` list, reported at the later item, naming both.
    fn unique(&mut self, ty: &Type, unique: &Unique, v: &Value, path: &FactPath<'_>) {
        let (Value::List(items), Type::List(item_ty)) = (v, ty) else {
            return;
        };
        for (a, b) in super::unique::repeats(unique, items) {
            let shown = items
                .get(b)
                .and_then(|item| super::unique::compared(unique, item))
                .map(|x| super::unique::shown(self.schema, item_ty, unique, x))
                .unwrap_or_default();
            let (first, later, what) = match unique {
                Unique::Items => (
                    FactPath::Index(path, a).to_string(),
                    FactPath::Index(path, b).to_string(),
                    format!("the items of `{path}` must all differ"),
                ),
                Unique::By(_, field) => (
                    format!("{}.{field}", FactPath::Index(path, a)),
                    format!("{}.{field}", FactPath::Index(path, b)),
                    format!("each item of `{path}` needs a different `{field}`"),
                ),
            };
            self.problem(
                Place::Value(later.clone()),
                Problem::error(
                    codes::DUPLICATE_ITEM,
                    format!("`{first}` and `{later}` are both {shown}"),
                )
                .with_help(format!("{what}; remove the repeat or correct it")),
            );
        }
    }

    pub(super) fn wrong(&mut self, path: &FactPath<'_>, expected: &str, got: &str) {
        self.value_problem(
            path,
            codes::WRONG_TYPE,
            format!("`{path}` must be {expected}, but it is {got}"),
            format!("write `{path}` as {expected}"),
        );
    }

    pub(super) fn fields(
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
                    Some(serde_json::Value::Null) => self.absent(d, &path, true),
                    None => self.absent(d, &path, false),
                    Some(v) => {
                        let v = self.value(&d.ty, v, &path, d.nonempty);
                        if let Some(u) = &d.unique {
                            self.unique(&d.ty, u, &v, &path);
                        }
                        if !d.limits.is_empty() {
                            self.limits(d, &v, &path);
                        }
                        v
                    }
                }
            })
            .collect()
    }

    /// A fact that is not given: its default, `Absent` if optional, an empty record if
    /// every field of the record may be left out, else an error.
    ///
    /// Reading partial facts, a fact whose key is not there at all (`null`: false) is unknown:
    /// `Absent`, its path kept in `unknown`, or for a record that is not optional a record of
    /// unknown fields; one given as `null` is known to be left out (a skipped question): its
    /// default, `Absent` if optional, a record of its fields so read; a required fact stays
    /// unknown rather than being reported.
    pub(super) fn absent(&mut self, d: &FieldDecl, path: &FactPath<'_>, null: bool) -> Value {
        if self.partial && !null {
            let schema: &'p Schema = self.schema;
            if let (Type::Record(r), false) = (&d.ty, d.optional) {
                if let Some(rec) = schema.records.get(*r) {
                    let empty = serde_json::Map::new();
                    return Value::Record(self.fields(&rec.fields, &empty, path).into());
                }
            }
            self.unknown.push(path.to_string());
            return Value::Absent;
        }
        if let Some(default) = &d.default {
            return default.clone();
        }
        if d.optional {
            return Value::Absent;
        }
        if let Type::Record(r) = &d.ty {
            let schema: &'p Schema = self.schema;
            if let Some(rec) = schema.records.get(*r) {
                if self.partial {
                    // A record given as `null`: each of its fields given as `null`.
                    let nulls = rec
                        .fields
                        .iter()
                        .map(|f| (f.name.clone(), serde_json::Value::Null))
                        .collect();
                    return Value::Record(self.fields(&rec.fields, &nulls, path).into());
                }
                if rec.fields.iter().all(FieldDecl::may_be_absent) {
                    let empty = serde_json::Map::new();
                    return Value::Record(self.fields(&rec.fields, &empty, path).into());
                }
            }
        }
        if self.partial {
            self.unknown.push(path.to_string());
            return Value::Absent;
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
            Problem {
                // The fact that is missing, though the object that lacks it is underlined.
                fact_path: Some(path.to_string()),
                ..Problem::error(
                    codes::MISSING_REQUIRED,
                    format!("required fact `{path}` is missing{what}"),
                )
                .with_help(format!(
                    "add `{path}` ({}) to the facts",
                    type_words(self.schema, &d.ty)
                ))
            },
        );
        Value::Absent
    }

    pub(super) fn value(
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
                    self.value_problem(
                        path,
                        codes::TOO_LARGE,
                        format!(
                            "`{path}` has {} items; the limit is {MAX_LIST_LEN}",
                            items.len()
                        ),
                        "split the case",
                    );
                    return Value::Absent;
                }
                if nonempty && items.is_empty() {
                    self.value_problem(
                        path,
                        codes::EMPTY_LIST,
                        format!("`{path}` must list at least one item"),
                        format!("add at least one item to `{path}`"),
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
                let schema: &'p Schema = self.schema;
                let Some(rec) = schema.records.get(*r) else {
                    return Value::Absent;
                };
                Value::Record(self.fields(&rec.fields, map, path).into())
            }
            (ty, v) => {
                let expected = type_words(self.schema, ty);
                self.wrong(path, &expected, json_kind(v));
                Value::Absent
            }
        }
    }

    /// A JSON string as a value of `ty`, one of the types [`takes_text`] accepts (the one-pass
    /// reader calls this with the string still in the JSON text).
    pub(super) fn text_value(&mut self, ty: &Type, s: &str, path: &FactPath<'_>) -> Value {
        match ty {
            Type::Text => Value::Text(s.into()),
            Type::Money => self.money_text(s, false, path),
            Type::Decimal => self.decimal(s, path),
            Type::Date => self.date(s, path),
            Type::Citation => match citation(s) {
                Ok(c) => Value::Citation(c),
                Err(e) => {
                    self.value_problem(
                        path,
                        codes::MALFORMED_CITATION,
                        format!("`{path}` is `{s}`, which is not a provision citation"),
                        format!("{}; write it like `2252A(a)(5)(B)`", e.reason),
                    );
                    Value::Absent
                }
            },
            Type::Enum(e) => {
                let Some(decl) = self.schema.enums.get(*e) else {
                    return Value::Absent;
                };
                match decl.members.iter().position(|m| m == s) {
                    Some(i) => Value::Enum(u32::try_from(i).unwrap_or(u32::MAX)),
                    None => {
                        let members: Vec<&str> = decl.members.iter().map(String::as_str).collect();
                        let guess = nearest(s, members.iter().copied())
                            .map(|n| format!("did you mean `{n}`? "))
                            .unwrap_or_default();
                        self.value_problem(
                            path,
                            codes::UNKNOWN_MEMBER,
                            format!("`{path}` is `{s}`, which is not one of the allowed values"),
                            format!("{guess}the allowed values are: {}", members.join(", ")),
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
    pub(super) fn number(&mut self, ty: &Type, text: &str, path: &FactPath<'_>) -> Value {
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
    pub(super) fn money_text(&mut self, text: &str, number: bool, path: &FactPath<'_>) -> Value {
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
                self.value_problem(
                    path,
                    codes::OUT_OF_RANGE,
                    format!("`{path}` is {t}, beyond the supported range of money"),
                    "amounts are exact to 28 significant digits",
                );
            } else {
                self.value_problem(
                    path,
                    codes::WRONG_TYPE,
                    format!("`{path}` must be a money amount, but it is `{t}`"),
                    "write money as `\"3000.00\"` or `3000`, without `$` or commas",
                );
            }
            return Value::Absent;
        };
        if d.is_sign_negative() && !d.is_zero() {
            self.value_problem(
                path,
                codes::NEGATIVE_MONEY,
                format!("`{path}` is {t}, but money here cannot be negative"),
                format!("write `{path}` as 0 or more"),
            );
            return Value::Absent;
        }
        // Normalizing only lowers the scale, so two decimals or fewer as written need no check.
        if d.scale() > 2 && d.normalize().scale() > 2 {
            self.value_problem(
                path,
                codes::FRACTIONAL_CENTS,
                format!("`{path}` is {t}, which has more than two decimals"),
                "money is in dollars and cents, like `1234.56`",
            );
            return Value::Absent;
        }
        // Rebuilding with two decimals cannot fail below 2^96 / 100; larger values are refused.
        let mut cents = d.abs();
        if cents.scale() != 2 {
            cents.rescale(2);
        }
        if cents.scale() != 2 {
            self.value_problem(
                path,
                codes::OUT_OF_RANGE,
                format!("`{path}` is {t}, beyond the supported range of money"),
                "amounts are exact to 28 significant digits",
            );
            return Value::Absent;
        }
        Value::Number(cents)
    }

    pub(super) fn decimal(&mut self, s: &str, path: &FactPath<'_>) -> Value {
        match Decimal::from_str_exact(s).or_else(|_| Decimal::from_scientific(s)) {
            Ok(d) => Value::Number(d),
            Err(_) => {
                self.value_problem(
                    path,
                    codes::WRONG_TYPE,
                    format!("`{path}` must be a decimal number, but it is `{s}`"),
                    "write a number like `245.120`",
                );
                Value::Absent
            }
        }
    }

    pub(super) fn date(&mut self, s: &str, path: &FactPath<'_>) -> Value {
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
            self.value_problem(
                path,
                codes::WRONG_TYPE,
                format!("`{path}` must be a date written YYYY-MM-DD, but it is `{s}`"),
                "write dates like `2019-05-01`",
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
                self.value_problem(
                    path,
                    codes::IMPOSSIBLE_DATE,
                    format!("`{path}` is `{s}`, which is not a day in the calendar"),
                    "check the month and day",
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
pub(super) const CITATION_CACHE_LEN: usize = 1024;
pub(super) const CITATION_CACHE_TEXT: usize = 64;

/// `Citation::parse`, remembered per thread.
pub(super) fn citation(text: &str) -> Result<Arc<Citation>, CitationError> {
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
pub(super) fn takes_text(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Text | Type::Money | Type::Decimal | Type::Date | Type::Citation | Type::Enum(_)
    )
}

/// A type in words for messages: "a money amount like \"3000.00\"".
pub(super) fn type_words(schema: &Schema, ty: &Type) -> String {
    match ty {
        Type::Bool => "true or false".into(),
        Type::Integer => "a whole number".into(),
        Type::Decimal => "a decimal number".into(),
        Type::Money => "a money amount like \"3000.00\"".into(),
        Type::Date => "a date like \"2019-05-01\"".into(),
        Type::Text => "a text".into(),
        Type::Citation => "a provision citation like \"2252A(a)(5)(B)\"".into(),
        Type::Provisions => "a list of provision citations".into(),
        Type::Enum(e) => match schema.enums.get(*e) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// Dates are read as jiff's parser reads them, for every month and day a `YYYY-MM-DD` text
    /// can spell, in years at the ends of the range and around leap-year rules.
    #[test]
    fn dates_are_read_as_jiff_reads_them() {
        let schema = Schema::default();
        let mut v = Validator {
            schema: &schema,
            problems: Vec::new(),
            partial: false,
            unknown: Vec::new(),
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
}
