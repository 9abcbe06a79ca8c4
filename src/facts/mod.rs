//! Facts: a case's JSON in, values checked against the rule file's schema out.
//!
//! Validation is strict and reports every problem at once, each naming the
//! fact by its path (`victim.losses[2].amount`): unknown keys (with the
//! nearest valid name), wrong types, negative money, fractions of a cent,
//! impossible dates, unknown enumeration members, malformed citations, empty
//! lists that must not be empty, and missing required facts. Money is read
//! from the JSON text exactly, never through a float.

mod direct;
mod limits;
mod locate;
pub mod set;
mod unique;
mod validate;

use crate::diagnostic::{Problem, Problems};
use crate::program::Schema;
use crate::value::Value;
use miette::NamedSource;
use std::path::Path;
use std::sync::Arc;
use validate::{Place, validate_places};

crate::diagnostic::stage_kinds! {
    /// What is wrong with a facts document: one kind per stable code (`lawcode::facts::…`), each
    /// problem naming the fact by its path.
    pub enum FactsKind;

    /// The facts are not valid JSON (line and column given), or nest deeper than 128 levels.
    JSON_SYNTAX, JsonSyntax = "lawcode::facts::json_syntax";
    /// The facts document is not one JSON object.
    NOT_AN_OBJECT, NotAnObject = "lawcode::facts::not_an_object";
    /// A key is not a fact of the rule set; the help suggests the nearest valid name.
    UNKNOWN_KEY, UnknownKey = "lawcode::facts::unknown_key";
    /// A fact has the wrong JSON type or format (money as `true`, a date not written YYYY-MM-DD).
    WRONG_TYPE, WrongType = "lawcode::facts::wrong_type";
    /// A required fact is absent.
    MISSING_REQUIRED, MissingRequired = "lawcode::facts::missing_required";
    /// A money fact is negative.
    NEGATIVE_MONEY, NegativeMoney = "lawcode::facts::negative_money";
    /// A money fact has more than two decimals.
    FRACTIONAL_CENTS, FractionalCents = "lawcode::facts::fractional_cents";
    /// A money fact is beyond the supported range (28 significant digits).
    OUT_OF_RANGE, OutOfRange = "lawcode::facts::out_of_range";
    /// A date is not a day in the calendar (2019-02-30).
    IMPOSSIBLE_DATE, ImpossibleDate = "lawcode::facts::impossible_date";
    /// A value is not a member of its enumeration; the allowed values are listed.
    UNKNOWN_MEMBER, UnknownMember = "lawcode::facts::unknown_member";
    /// A provision citation in the facts cannot be read (`22x52(a`).
    MALFORMED_CITATION, MalformedCitation = "lawcode::facts::malformed_citation";
    /// A list that must not be empty (`convictions`) is empty.
    EMPTY_LIST, EmptyList = "lawcode::facts::empty_list";
    /// Two items of a `unique` list are the same (or have the same `unique by` field): the
    /// message names both (`victims[0].id` and `victims[2].id`).
    DUPLICATE_ITEM, DuplicateItem = "lawcode::facts::duplicate_item";
    /// A number, an amount or a date is outside its fact's declared limits (`at least`,
    /// `at most`): the message names the fact, its value and the limit.
    BEYOND_LIMIT, BeyondLimit = "lawcode::facts::beyond_limit";
    /// A decimal fact has more digits after the point than its `decimals N` allows.
    TOO_MANY_DECIMALS, TooManyDecimals = "lawcode::facts::too_many_decimals";
    /// The facts are over `MAX_FACTS_BYTES` (16 MiB), or a list holds over
    /// `MAX_LIST_LEN` (100,000) items.
    TOO_LARGE, TooLarge = "lawcode::facts::too_large";
    /// A fact is given twice in one object (JSON would silently keep the last).
    DUPLICATE_KEY, DuplicateKey = "lawcode::facts::duplicate_key";
    /// The facts file is empty or holds only white space; the help lists the rule set's first facts.
    EMPTY, Empty = "lawcode::facts::empty";
    /// The facts (a file or a `--batch` line) are not UTF-8; gives the first bad byte and its offset.
    NOT_UTF8, NotUtf8 = "lawcode::facts::not_utf8";
    /// `eval --facts` was given a test file (`{"facts": …, "expect": …}`); the help says to run
    /// it with `lawcode test`.
    TEST_FILE, TestFile = "lawcode::facts::test_file";
    /// The facts file cannot be read.
    UNREADABLE, Unreadable = "lawcode::facts::unreadable";
    /// A `--set PATH=VALUE` cannot be read, or its path cannot be followed in the facts (an
    /// index past the end of a list, a field of something that is not an object).
    BAD_ASSIGNMENT, BadAssignment = "lawcode::facts::bad_assignment";
}

/// Most items a list fact may hold.
pub const MAX_LIST_LEN: usize = 100_000;
/// Largest facts document accepted, in bytes.
pub const MAX_FACTS_BYTES: usize = 16 * 1024 * 1024;

/// Why a facts document was refused: every problem found at once, each naming the fact by its
/// path and underlining it in the JSON. Its problems' kinds are [`FactsKind`]s.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error(transparent)]
#[diagnostic(transparent)]
pub struct FactsError(#[from] pub Problems);

impl std::ops::Deref for FactsError {
    type Target = Problems;
    fn deref(&self) -> &Problems {
        &self.0
    }
}

/// Validated facts: one value per top-level fact of the schema, in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// One value per top-level fact, indexed as the schema declares them (a fact's slot); an absent
    /// optional fact is held as its "absent" value, not left out.
    pub values: Vec<Value>,
    /// Partial facts ([`read_partial_facts`]): the paths of the facts not given, which are
    /// unknown rather than left out (`given(fact)` is then undecided, not false), sorted. Empty
    /// for facts read in full.
    pub unknown: Vec<String>,
}

/// Problems located in the text, at most: each is found by walking the document from its
/// start, so a flood of problems is located only as far as anyone will read. The problems
/// after these still name their fact by its path, without a span.
pub const MAX_LOCATED: usize = 1_000;

/// The keys of a test file (`lawcode test`), which `eval --facts` is sometimes given by mistake.
const TEST_FILE_KEYS: [&str; 3] = ["description", "facts", "expect"];

/// Parses and validates a facts document. `name` is what diagnostics call the file.
///
/// A UTF-8 byte order mark before the document is ignored (RFC 8259 § 8.1); spans, lines and
/// columns are then counted from the text after it, as an editor shows it.
pub fn read_facts(schema: &Schema, name: &str, json: &str) -> Result<Facts, FactsError> {
    read_facts_as(schema, name, json, false)
}

/// Parses and validates a partial facts document, as [`read_facts`] does, except that a fact
/// whose key is not there is unknown rather than missing or defaulted: required facts and facts
/// with a default too are held as `Value::Absent` (which the evaluator treats as it treats an
/// absent optional fact: what needs it is undecided, and `Evaluation::missing` names it) with
/// their paths in [`Facts::unknown`], and a record that is not given (unless it is optional) as
/// a record of unknown fields. A fact given as `null` is known to be left out: its default, or
/// absent if it is optional (a required one stays unknown). What is given is checked as
/// strictly as ever. The interview (`lawcode ask`) reads what it has been told so.
pub fn read_partial_facts(schema: &Schema, name: &str, json: &str) -> Result<Facts, FactsError> {
    read_facts_as(schema, name, json, true)
}

fn read_facts_as(
    schema: &Schema,
    name: &str,
    json: &str,
    partial: bool,
) -> Result<Facts, FactsError> {
    let json = json.strip_prefix('\u{feff}').unwrap_or(json);
    let fail = |p: Problem| {
        FactsError(Problems {
            summary: format!("the facts in {name} cannot be used"),
            problems: vec![p],
        })
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
    if json.trim().is_empty() {
        return Err(fail(empty(schema, name, json)));
    }
    // Valid facts, the common case, are read in one pass; anything else is read again below,
    // which finds and reports every problem. (Partial facts are not the common case, and the
    // one-pass reader gives facts not given their defaults.)
    if !partial {
        if let Some(facts) = direct::read(schema, json) {
            return Ok(facts);
        }
    }
    // One copy of the text, shared by every problem shown against it.
    let source = NamedSource::new(name, Arc::<str>::from(json));
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
                    .in_source(source)
                    .at_offset(offset, 1, "here"),
            ));
        }
    };
    if let Some(p) = test_file(schema, name, json, &doc) {
        return Err(fail(p.in_source(source)));
    }
    // serde_json keeps the last of two equal keys; a fact given twice must not be silently dropped.
    let duplicates = locate::duplicate_keys(json);
    let validated = match (
        validate_places(schema, &doc, partial),
        duplicates.is_empty(),
    ) {
        (Ok(facts), true) => Ok(facts),
        (Ok(_), false) => Err(Vec::new()),
        (Err(problems), _) => Err(problems),
    };
    validated.map_err(|mut problems| {
        let dups = duplicates.into_iter().map(|(path, start, len)| {
            let p = Problem::error(codes::DUPLICATE_KEY, format!("`{path}` is given twice"))
                .with_help("give each fact once; a JSON object keeps only one value per key")
                .in_source(source.clone())
                .at_offset(start, len, "given again here");
            (p, None)
        });
        let located: Vec<(Problem, Option<Place>)> = problems
            .drain(..)
            .map(|(p, place)| (p, Some(place)))
            .collect();
        let problems = dups.chain(located);
        // The document parsed, so the locator can find every place the validator names.
        let problems = problems
            .enumerate()
            .map(|(i, (p, place))| {
                let Some(place) = place.filter(|_| i < MAX_LOCATED) else {
                    return p;
                };
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

/// The problem of a facts file that holds nothing but white space.
fn empty(schema: &Schema, name: &str, json: &str) -> Problem {
    let what = if json.is_empty() {
        "empty"
    } else {
        "empty (only white space)"
    };
    let names: Vec<String> = schema
        .facts
        .iter()
        .take(4)
        .map(|f| format!("`{}`", f.name))
        .collect();
    let mut help =
        "write the case's facts as one JSON object, `{ \"fact\": value, … }`".to_string();
    if !names.is_empty() {
        let more = if schema.facts.len() > names.len() {
            ", …"
        } else {
            ""
        };
        help.push_str(&format!(
            "; this rule set's facts are {}{more}",
            names.join(", ")
        ));
    }
    Problem::error(codes::EMPTY, format!("the facts file {name} is {what}")).with_help(help)
}

/// A test file given as facts: an object whose keys are only those of a test file, with
/// `facts` an object, when the rule set has no facts of those names.
fn test_file(schema: &Schema, name: &str, json: &str, doc: &serde_json::Value) -> Option<Problem> {
    let map = doc.as_object()?;
    let is_test_file = map.get("facts").is_some_and(serde_json::Value::is_object)
        && map.keys().all(|k| TEST_FILE_KEYS.contains(&k.as_str()))
        && !schema
            .facts
            .iter()
            .any(|f| TEST_FILE_KEYS.contains(&f.name.as_str()));
    if !is_test_file {
        return None;
    }
    let key = if map.contains_key("expect") {
        "expect"
    } else {
        "facts"
    };
    let place = Place::Key {
        parent: String::new(),
        key: key.to_string(),
    };
    let p = Problem::error(
        codes::TEST_FILE,
        format!("{name} is a test file (facts and what to expect of them), not a facts file"),
    )
    .with_help(
        "run test files with `lawcode test RULES DIR` (DIR holding this file); \
         `lawcode eval --facts` takes only the object under `facts`",
    );
    Some(match locate::span(json, &place) {
        Some((start, len)) => p.at_offset(start, len, "a test file's key"),
        None => p,
    })
}

/// Reads a facts file, `-` for standard input: its text, and the name diagnostics call it.
/// A file that is not UTF-8 text is refused with the offset of the first bad byte; no more
/// than [`MAX_FACTS_BYTES`] (and one byte) is read, so that `/dev/zero` is refused too.
pub fn read_file(path: &Path) -> Result<(String, String), FactsError> {
    use std::io::Read as _;
    let limit = MAX_FACTS_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    let (name, read) = if path == Path::new("-") {
        let read = std::io::stdin().lock().take(limit).read_to_end(&mut bytes);
        ("<stdin>".to_string(), read)
    } else {
        let read = std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes));
        (path.display().to_string(), read)
    };
    let fail = |p: Problem| {
        FactsError(Problems {
            summary: format!("the facts in {name} cannot be used"),
            problems: vec![p],
        })
    };
    read.map_err(|e| {
        fail(
            Problem::error(codes::UNREADABLE, format!("cannot read `{name}`: {e}"))
                .with_help("check the path to the facts file (`-` reads standard input)"),
        )
    })?;
    if bytes.len() > MAX_FACTS_BYTES {
        return Err(fail(
            Problem::error(
                codes::TOO_LARGE,
                format!(
                    "the facts file is larger than the limit of {} bytes (16 MiB)",
                    crate::diagnostic::thousands(MAX_FACTS_BYTES)
                ),
            )
            .with_help("split the case, or use `--batch` with one case per line"),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((name, text)),
        Err(e) => Err(fail(not_utf8(&name, e.as_bytes(), e.utf8_error()))),
    }
}

/// The problem of facts that are not UTF-8 text: where, and which byte.
pub fn not_utf8(name: &str, bytes: &[u8], e: std::str::Utf8Error) -> Problem {
    let at = e.valid_up_to();
    let byte = bytes.get(at).copied().unwrap_or_default();
    let hint = match bytes {
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => "; it looks like UTF-16",
        _ => "",
    };
    Problem::error(
        codes::NOT_UTF8,
        format!("{name} is not UTF-8 text (invalid byte 0x{byte:02x} at offset {at}{hint})"),
    )
    .with_help("save the facts as UTF-8 (JSON text is UTF-8); check that this is the facts file")
}

/// Validates an already parsed JSON value (batch input parses lines itself). The
/// problems name each fact by its path but carry no source location.
pub fn validate(schema: &Schema, name: &str, doc: &serde_json::Value) -> Result<Facts, FactsError> {
    validate_places(schema, doc, false)
        .map_err(|problems| summarize(name, problems.into_iter().map(|(p, _)| p).collect()))
}

/// [`validate`] of a partial document: facts not given are unknown, as [`read_partial_facts`]
/// reads them.
pub fn validate_partial(
    schema: &Schema,
    name: &str,
    doc: &serde_json::Value,
) -> Result<Facts, FactsError> {
    validate_places(schema, doc, true)
        .map_err(|problems| summarize(name, problems.into_iter().map(|(p, _)| p).collect()))
}

fn summarize(name: &str, problems: Vec<Problem>) -> FactsError {
    let n = problems.len();
    FactsError(Problems {
        summary: format!(
            "the facts in {name} have {} problem{}",
            crate::diagnostic::thousands(n),
            if n == 1 { "" } else { "s" }
        ),
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Schema;
    use std::path::Path;

    fn schema_2259() -> Schema {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/usc/18/2259.law");
        (*crate::load_program(&path).unwrap().0.schema()).clone()
    }

    /// The full way: a `serde_json::Value`, every check, and no key given twice.
    fn full_way(schema: &Schema, json: &str) -> Option<Facts> {
        let doc: serde_json::Value = serde_json::from_str(json).ok()?;
        if !locate::duplicate_keys(json).is_empty() {
            return None;
        }
        validate_places(schema, &doc, false).ok()
    }

    /// Partial facts: nothing not given is missing or defaulted, records not given are records of
    /// unknown fields, and what is given is checked as strictly as by `read_facts`.
    #[test]
    fn partial_facts_hold_what_is_not_given_as_unknown() {
        use crate::value::Value;
        let schema = schema_2259();
        let facts = read_partial_facts(&schema, "case", "{}").unwrap();
        let at = |name: &str| {
            let i = schema.facts.iter().position(|f| f.name == name).unwrap();
            facts.values[i].clone()
        };
        assert_eq!(at("offense_date"), Value::Absent);
        assert_eq!(at("convictions"), Value::Absent);
        // `victim` is a record of unknown fields: `losses` and `prior_recovery` have defaults,
        // which a partial reading does not apply.
        let Value::Record(victim) = at("victim") else {
            panic!("victim is {:?}", at("victim"));
        };
        assert!(victim.iter().all(|v| *v == Value::Absent), "{victim:?}");
        assert!(facts.unknown.contains(&"victim.losses".to_string()));
        assert!(
            facts
                .unknown
                .contains(&"court.relative_role_amount".to_string())
        );
        assert!(facts.unknown.is_sorted());
        // `null` is a fact known to be left out: its default, or absent when optional.
        let skipped = r#"{"order_date": null, "victim": {"prior_recovery": null}, "court": null}"#;
        let facts = read_partial_facts(&schema, "case", skipped).unwrap();
        let Value::Record(victim) = &facts.values[3] else {
            panic!("{:?}", facts.values[3]);
        };
        assert_eq!(victim[2], Value::Number(rust_decimal::Decimal::ZERO));
        for known in [
            "order_date",
            "victim.prior_recovery",
            "court.relative_role_amount",
        ] {
            assert!(!facts.unknown.contains(&known.to_string()), "{known}");
        }
        assert!(facts.unknown.contains(&"offense_date".to_string()));
        let given = r#"{"convictions": [{"section": "2252(a)(2)"}], "victim": {"losses": [{}]}}"#;
        let facts = read_partial_facts(&schema, "case", given).unwrap();
        assert!(matches!(&facts.values[2], Value::List(l) if l.len() == 1));
        // The full reading of the same documents reports the facts that are missing.
        let e = read_facts(&schema, "case", "{}").unwrap_err();
        assert!(e.problems.iter().all(|p| p.code == codes::MISSING_REQUIRED));
        for (bad, code) in [
            (r#"{"offense_date": "May 1"}"#, codes::WRONG_TYPE),
            (r#"{"convictions": []}"#, codes::EMPTY_LIST),
            (
                r#"{"victim": {"losses": [{"category": "rent"}]}}"#,
                codes::UNKNOWN_MEMBER,
            ),
            (r#"{"victm": {}}"#, codes::UNKNOWN_KEY),
        ] {
            let e = read_partial_facts(&schema, "case", bad).unwrap_err();
            let doc: serde_json::Value = serde_json::from_str(bad).unwrap();
            let v = validate_partial(&schema, "case", &doc).unwrap_err();
            assert_eq!(e.problems[0].code, code, "{bad}");
            assert_eq!(v.problems[0].code, code, "{bad}");
        }
    }

    /// What the one-pass reader accepts, the full way accepts too, with the same values; and it
    /// does accept the valid cases of the corpus, so that the fast path is the common one. (The
    /// same agreement on 3,000 generated cases is `tests/lawcode/facts.rs`.)
    #[test]
    fn direct_reading_agrees_with_the_full_way() {
        let schema = schema_2259();
        let mut valid = 0;
        let mut accepted = 0;
        for dir in ["tests/cases/errors", "tests/cases/usc-18-2259"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
                // A corpus file holds the facts under "facts"; an error case may be bare facts.
                let json = doc.get("facts").cloned().unwrap_or(doc).to_string();
                let full = full_way(&schema, &json);
                valid += usize::from(full.is_some());
                if let Some(f) = direct::read(&schema, &json) {
                    accepted += 1;
                    assert_eq!(Some(&f), full.as_ref(), "{json}");
                }
                assert_eq!(read_facts(&schema, "case", &json).ok(), full, "{json}");
            }
        }
        assert!(valid >= 60, "only {valid} valid cases in the corpus");
        assert_eq!(
            accepted, valid,
            "the one-pass reader gave up on valid cases"
        );
        // Money given as a JSON number is read directly too (serde_json hands it over as a map).
        let number = r#"{"offense_date": "2019-05-01", "convictions": [{"section": "2251(a)"}], "victim": {"prior_recovery": 1250.5}}"#;
        assert!(direct::read(&schema, number).is_some());
    }
}
