//! `PATH=VALUE`: one fact of a case changed before it is read (`eval --set`, `what-if`, the
//! interview's answers).
//!
//! A path is written as diagnostics write it: keys joined by dots, list items by index
//! (`victim.losses[2].amount`). A value is a JSON literal (`0`, `"2019-05-01"`, `true`,
//! `[{"section": "2252"}]`) or, when it is not one, a string (`2252A(a)(5)(B)`). An assignment
//! only changes the JSON document: the facts reader then judges the result as it would the file,
//! so an unknown key or a wrong type is the same diagnostic naming the same path.

use super::codes;
use crate::diagnostic::Problem;
use serde_json::Value as J;

/// One step of a path: an object's key or a list's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `.name`
    Key(String),
    /// `[2]`
    Index(usize),
}

/// `PATH=VALUE`, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The path as written.
    pub path_text: String,
    /// The path, step by step.
    pub path: Vec<Step>,
    /// The value.
    pub value: J,
}

/// Deepest path an assignment may name (the facts reader refuses deeper documents anyway).
const MAX_STEPS: usize = 64;

fn bad(message: impl Into<String>, help: &str) -> Problem {
    Problem::error(codes::BAD_ASSIGNMENT, message).with_help(help)
}

const ASSIGNMENT_HELP: &str = "write PATH=VALUE, the path as diagnostics write it: `victim.prior_recovery=0`, `victim.losses[1].amount=\"2500.00\"`, `convictions[0].section=2252A(a)(5)(B)`";

/// Reads `PATH=VALUE`.
pub fn parse_assignment(text: &str) -> Result<Assignment, Problem> {
    let Some((path_text, value_text)) = text.split_once('=') else {
        return Err(bad(
            format!("`{text}` is not PATH=VALUE: it has no `=`"),
            ASSIGNMENT_HELP,
        ));
    };
    let path_text = path_text.trim();
    let path = parse_path(path_text)?;
    let value_text = value_text.trim();
    // A JSON literal when it is one; otherwise the text itself, as a string.
    let value =
        serde_json::from_str::<J>(value_text).unwrap_or_else(|_| J::String(value_text.to_string()));
    Ok(Assignment {
        path_text: path_text.to_string(),
        path,
        value,
    })
}

/// Reads `victim.losses[2].amount` into steps.
pub fn parse_path(text: &str) -> Result<Vec<Step>, Problem> {
    let mut steps = Vec::new();
    if text.is_empty() {
        return Err(bad("the path before `=` is empty", ASSIGNMENT_HELP));
    }
    for part in text.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if key.is_empty() && steps.is_empty() {
            return Err(bad(
                format!("`{text}` does not start with a fact's name"),
                ASSIGNMENT_HELP,
            ));
        }
        if !key.is_empty() {
            if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad(
                    format!("`{key}` in `{text}` is not a fact's name"),
                    ASSIGNMENT_HELP,
                ));
            }
            steps.push(Step::Key(key.to_string()));
        } else if rest.is_empty() {
            return Err(bad(format!("`{text}` has an empty step"), ASSIGNMENT_HELP));
        }
        while !rest.is_empty() {
            let index = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .and_then(|(n, after)| n.parse::<usize>().ok().map(|n| (n, after)));
            let Some((n, after)) = index else {
                return Err(bad(
                    format!("`{text}` has a list index that is not `[N]`"),
                    ASSIGNMENT_HELP,
                ));
            };
            steps.push(Step::Index(n));
            rest = after;
        }
        if steps.len() > MAX_STEPS {
            return Err(bad(
                format!("`{text}` is more than {MAX_STEPS} steps deep"),
                ASSIGNMENT_HELP,
            ));
        }
    }
    Ok(steps)
}

/// The path of `steps[..n]` as written (`victim.losses[2]`).
pub fn path_text(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Puts `value` at `path` in `doc`. A missing object on the way is created (`court` absent:
/// `court.relative_role_amount=5000` makes it); an index may name an item or the place just
/// past the last one (which appends); anything else on the way is a diagnostic that names the
/// step.
pub fn set(doc: &mut J, path: &[Step], value: J) -> Result<(), Problem> {
    let mut here = doc;
    for (i, step) in path.iter().enumerate() {
        let so_far = path_text(path.get(..i).unwrap_or_default());
        let last = i + 1 == path.len();
        here = match step {
            Step::Key(k) => {
                if here.is_null() {
                    *here = J::Object(serde_json::Map::new());
                }
                let J::Object(map) = here else {
                    return Err(Problem::error(
                        codes::BAD_ASSIGNMENT,
                        format!(
                            "`{}` cannot be set: `{so_far}` is {}, not an object",
                            path_text(path),
                            kind(here)
                        ),
                    )
                    .with_help("name a field of a record (an object of the facts)"));
                };
                map.entry(k.clone()).or_insert(J::Null)
            }
            Step::Index(n) => {
                if here.is_null() {
                    *here = J::Array(Vec::new());
                }
                let J::Array(items) = here else {
                    return Err(Problem::error(
                        codes::BAD_ASSIGNMENT,
                        format!(
                            "`{}` cannot be set: `{so_far}` is {}, not a list",
                            path_text(path),
                            kind(here)
                        ),
                    )
                    .with_help("an index `[N]` follows a list fact"));
                };
                let len = items.len();
                if *n == len {
                    items.push(J::Null);
                }
                match items.get_mut(*n) {
                    Some(item) => item,
                    None => {
                        return Err(Problem::error(
                            codes::BAD_ASSIGNMENT,
                            format!(
                                "`{}` cannot be set: `{so_far}` has {len} item{}, so [{n}] is past its end",
                                path_text(path),
                                if len == 1 { "" } else { "s" }
                            ),
                        )
                        .with_help(format!(
                            "name an item from [0] to [{len}] ([{len}] adds one at the end)"
                        )));
                    }
                }
            }
        };
        if last {
            *here = value;
            return Ok(());
        }
    }
    // An empty path: the whole document.
    *here = value;
    Ok(())
}

fn kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        reason = "tests may panic"
    )]
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_values_are_read_as_diagnostics_write_them() {
        let a = parse_assignment("victim.losses[2].amount=2500.00").unwrap();
        assert_eq!(
            a.path,
            [
                Step::Key("victim".into()),
                Step::Key("losses".into()),
                Step::Index(2),
                Step::Key("amount".into())
            ]
        );
        assert_eq!(a.value.to_string(), "2500.00");
        let a = parse_assignment("convictions[0].section=2252A(a)(5)(B)").unwrap();
        assert_eq!(a.value, json!("2252A(a)(5)(B)"));
        let a = parse_assignment("x=[1, 2]").unwrap();
        assert_eq!(a.value, json!([1, 2]));
        for bad in [
            "novalue", "=1", "a..b=1", "a[x]=1", "a[1=1", "a-b=1", "[0]=1",
        ] {
            assert_eq!(
                parse_assignment(bad).unwrap_err().code,
                codes::BAD_ASSIGNMENT,
                "{bad}"
            );
        }
    }

    #[test]
    fn set_creates_objects_appends_items_and_refuses_the_rest() {
        let mut doc = json!({"victim": {"losses": [{"amount": "1.00"}]}});
        set(
            &mut doc,
            &parse_path("court.relative_role_amount").unwrap(),
            json!("5000"),
        )
        .unwrap();
        assert_eq!(doc["court"]["relative_role_amount"], "5000");
        set(
            &mut doc,
            &parse_path("victim.losses[1].amount").unwrap(),
            json!("2.00"),
        )
        .unwrap();
        assert_eq!(doc["victim"]["losses"][1]["amount"], "2.00");
        let e = set(
            &mut doc,
            &parse_path("victim.losses[5].amount").unwrap(),
            json!(1),
        )
        .unwrap_err();
        assert!(
            e.message.contains("has 2 items, so [5] is past its end"),
            "{}",
            e.message
        );
        let e = set(
            &mut doc,
            &parse_path("victim.losses[0].amount.x").unwrap(),
            json!(1),
        )
        .unwrap_err();
        assert!(
            e.message.contains("is a string, not an object"),
            "{}",
            e.message
        );
    }
}
