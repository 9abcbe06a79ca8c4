//! `at least X`, `at most X` and `decimals N` as the facts readers apply them: the one-pass
//! reader gives up on a value outside its fact's limits ([`crate::program::Limits::broken`]),
//! and the full validator reports it here, naming the fact, its value and the limit.

use super::codes;
use super::validate::{FactPath, Validator};
use crate::program::{FieldDecl, LimitBroken};
use crate::value::Value;

/// A bound or a value as a message shows it: `168`, `40.5`, `1997-09-01`.
fn shown(v: &Value) -> String {
    match v {
        Value::Number(d) => d.normalize().to_string(),
        Value::Date(d) => d.to_string(),
        _ => String::new(),
    }
}

impl Validator<'_> {
    /// Reports `v` if it is outside the limits of `d`.
    pub(super) fn limits(&mut self, d: &FieldDecl, v: &Value, path: &FactPath<'_>) {
        let Some(b) = d.limits.broken(v) else {
            return;
        };
        let what = d
            .description
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let value = shown(v);
        let (code, message, help) = match b {
            LimitBroken::Below(low) => (
                codes::BEYOND_LIMIT,
                format!(
                    "`{path}` is {value}, less than {}, the least it may be{what}",
                    shown(low)
                ),
                format!("write `{path}` as {} or more", shown(low)),
            ),
            LimitBroken::Above(high) => (
                codes::BEYOND_LIMIT,
                format!(
                    "`{path}` is {value}, more than {}, the most it may be{what}",
                    shown(high)
                ),
                format!("write `{path}` as {} or less", shown(high)),
            ),
            LimitBroken::Decimals(n) => (
                codes::TOO_MANY_DECIMALS,
                format!("`{path}` is {value}, which has more than {n} decimals"),
                format!("write `{path}` with at most {n} digits after the point"),
            ),
        };
        self.value_problem(path, code, message, help);
    }
}
