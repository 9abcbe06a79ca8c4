//! The native half of the `lawcode` Python package (`lawcode._lawcode`): a thin layer over the
//! library's facade. It loads a rule set, evaluates cases as JSON text (the answer is what
//! `lawcode eval --format json` prints, byte for byte), runs JSON Lines through the library's
//! batch engine, and evaluates Arrow tables. No rule logic lives here, and the Python half
//! (`python/lawcode/__init__.py`) only converts values and shapes the API.
//!
//! Errors cross as `NativeError(stage, diagnostics_json, rendered)`: the stage (`load`,
//! `check`, `facts`, `eval`, `options`), the diagnostics as `lawcode check --format json`
//! writes them, and the report as the command line renders it. The Python half raises the
//! stage's `LawcodeError` subclass from it.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "tests may panic"
    )
)]

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use lawcode::batch::{BatchOptions, run};
use lawcode::diagnostic::json::diagnostics_json;
use lawcode::rule_source::{check_as_of, parse_date};
use lawcode::value::Type;
use lawcode::{EvalOptions, Program, render};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3_arrow::PyTable;
use serde_json::{Value as J, json};
use std::path::Path;
use std::sync::Arc;

pyo3::create_exception!(
    _lawcode,
    NativeError,
    PyException,
    "A failure of the library: (stage, diagnostics JSON, rendered report)."
);

/// The report as the command line shows it (no colours), bounded as its reports are.
fn rendered(e: &dyn Diagnostic) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
    let mut out = String::new();
    match handler.render_report(&mut out, &lawcode::diagnostic::Bounded::new(e)) {
        Ok(()) => out,
        Err(_) => e.to_string(),
    }
}

fn native_error(stage: &str, e: &dyn Diagnostic) -> PyErr {
    let diagnostics = serde_json::to_string(&diagnostics_json(e, &|_, _| None)).unwrap_or_default();
    NativeError::new_err((stage.to_string(), diagnostics, rendered(e)))
}

/// The stage a pipeline error comes from.
fn stage_of(e: &lawcode::Error) -> &'static str {
    match e {
        lawcode::Error::Load(_) => "load",
        lawcode::Error::Check(_) => "check",
        lawcode::Error::Facts(_) => "facts",
        lawcode::Error::Eval(_) => "eval",
    }
}

/// A loaded, checked rule set and the date it is pinned to, if any.
#[pyclass(frozen)]
struct NativeProgram {
    program: Arc<Program>,
    as_of: Option<jiff::civil::Date>,
    /// The checker's warnings, as diagnostics JSON.
    warnings: String,
}

#[pymethods]
impl NativeProgram {
    /// Loads `path` and the files it imports, checks them, and pins the evaluation date to
    /// `as_of` (`YYYY-MM-DD`) when given.
    #[staticmethod]
    #[pyo3(signature = (path, as_of=None))]
    fn load(py: Python<'_>, path: &str, as_of: Option<&str>) -> PyResult<NativeProgram> {
        let path = path.to_string();
        let loaded = py.detach(|| lawcode::load_program(Path::new(&path)));
        let (program, report) = loaded.map_err(|e| native_error(stage_of(&e), &e))?;
        let as_of = match as_of {
            None => None,
            Some(text) => {
                let date = parse_date(text).map_err(|e| native_error("options", &e))?;
                check_as_of(&program, date).map_err(|e| native_error("options", &e))?;
                Some(date)
            }
        };
        let warnings: Vec<_> = report
            .warnings
            .iter()
            .flat_map(|w| diagnostics_json(w, &|_, _| None))
            .collect();
        Ok(NativeProgram {
            program: Arc::new(program),
            as_of,
            warnings: serde_json::to_string(&warnings).unwrap_or_default(),
        })
    }

    /// The rule set as JSON: statute, versions, outcomes and the checker's warnings.
    fn info(&self) -> String {
        let p = &self.program;
        let statute = p.statute();
        let versions: Vec<J> = p
            .versions()
            .iter()
            .map(|v| json!({ "name": v.name, "from": v.effective.to_string(), "enacted_by": v.enacted_by }))
            .collect();
        let outcomes: Vec<J> = p
            .outcomes()
            .iter()
            .map(|o| json!({ "name": o.name, "type": o.ty.to_string(), "description": o.description }))
            .collect();
        let warnings: J = serde_json::from_str(&self.warnings).unwrap_or(J::Null);
        json!({
            "statute": { "citation": statute.citation, "title": statute.title },
            "versions": versions,
            "outcomes": outcomes,
            "warnings": warnings,
            "as_of": self.as_of.map(|d| d.to_string()),
        })
        .to_string()
    }

    /// The JSON Schema of the facts, as `lawcode schema` prints it (`id` names the rule set).
    fn facts_schema(&self, id: &str) -> String {
        lawcode::tools::schema::facts_schema(&self.program, id).to_string()
    }

    /// Evaluates one case given as JSON text; the answer is the text `lawcode eval --format
    /// json` prints for it (with `--no-trace` when `trace` is false).
    #[pyo3(signature = (facts, trace=true, name="facts.json"))]
    fn evaluate(&self, py: Python<'_>, facts: &str, trace: bool, name: &str) -> PyResult<String> {
        let options = EvalOptions {
            trace,
            as_of: self.as_of,
        };
        let (facts, name) = (facts.to_string(), name.to_string());
        let program = Arc::clone(&self.program);
        py.detach(move || {
            let facts = program
                .read_facts(&name, &facts)
                .map_err(|e| ("facts", lawcode::Error::from(e)))?;
            let result = program
                .evaluate(&facts, options)
                .map_err(|e| ("eval", lawcode::Error::from(e)))?;
            let mut text =
                serde_json::to_string_pretty(&render::evaluation_json(&result)).unwrap_or_default();
            text.push('\n');
            Ok(text)
        })
        .map_err(|(stage, e): (&str, lawcode::Error)| native_error(stage, &e))
    }

    /// JSON Lines in, JSON Lines out, as `lawcode eval --batch` (without the trace unless
    /// asked): one line per case, an error object for a line that fails; on every core, with
    /// the GIL released.
    #[pyo3(signature = (lines, trace=false))]
    fn evaluate_lines(&self, py: Python<'_>, lines: Vec<u8>, trace: bool) -> PyResult<Vec<u8>> {
        let program = Arc::clone(&self.program);
        let options = BatchOptions {
            eval: EvalOptions {
                trace,
                as_of: self.as_of,
            },
            threads: 0,
        };
        py.detach(move || {
            let mut out = Vec::with_capacity(lines.len());
            run(&program, &lines[..], &mut out, options, None).map(|_| out)
        })
        .map_err(|e| PyException::new_err(format!("the batch could not be run: {e}")))
    }

    /// An Arrow table of cases (one row a case, the columns its facts) in; an Arrow table out
    /// with a column per outcome, `missing`, `version` and `error` (null when the row is fine).
    /// Each row goes through the facts reader as JSON (so every facts diagnostic applies, and
    /// an Arrow null is a fact not given) and through the batch engine, on every core.
    fn evaluate_arrow(&self, py: Python<'_>, table: PyTable) -> PyResult<Py<PyAny>> {
        let (batches, _) = table.into_inner();
        let program = Arc::clone(&self.program);
        let as_of = self.as_of;
        let (batch, schema) = py
            .detach(move || arrow_round(&program, as_of, &batches))
            .map_err(PyException::new_err)?;
        let out = PyTable::try_new(vec![batch], schema)?;
        Ok(out.into_pyarrow(py)?.unbind())
    }
}

/// The rows of `batches` as JSON Lines (arrow-json's writer: nulls left out, dates as
/// `YYYY-MM-DD`, decimals as exact numbers), evaluated by the batch engine, and the answers as
/// one record batch.
fn arrow_round(
    program: &Program,
    as_of: Option<jiff::civil::Date>,
    batches: &[RecordBatch],
) -> Result<(RecordBatch, Arc<Schema>), String> {
    let mut lines = Vec::new();
    {
        let mut writer = arrow_json::LineDelimitedWriter::new(&mut lines);
        for b in batches {
            writer
                .write(b)
                .map_err(|e| format!("the table cannot be read as cases: {e}"))?;
        }
        writer
            .finish()
            .map_err(|e| format!("the table cannot be read as cases: {e}"))?;
    }
    // A table with no columns writes `{}` per row; a table with no rows writes nothing.
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut out = Vec::with_capacity(lines.len());
    let options = BatchOptions {
        eval: EvalOptions {
            trace: false,
            as_of,
        },
        threads: 0,
    };
    run(program, &lines[..], &mut out, options, None)
        .map_err(|e| format!("the batch could not be run: {e}"))?;
    let answers: Vec<J> = out
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap_or(J::Null))
        .collect();
    if answers.len() != rows {
        return Err(format!(
            "{rows} rows gave {} answers; this is a bug in lawcode",
            answers.len()
        ));
    }
    outcome_batch(program, &answers)
}

/// The Arrow type of an outcome: money as `decimal128(38, 2)` (never a float), dates as
/// `date32`, booleans and integers as themselves, anything else (decimals of any scale, text,
/// lists) as its JSON text.
fn arrow_type(ty: &Type) -> DataType {
    match ty {
        Type::Money => DataType::Decimal128(38, 2),
        Type::Bool => DataType::Boolean,
        Type::Integer => DataType::Int64,
        Type::Date => DataType::Date32,
        _ => DataType::Utf8,
    }
}

fn outcome_batch(program: &Program, answers: &[J]) -> Result<(RecordBatch, Arc<Schema>), String> {
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for o in program.outcomes() {
        let ty = arrow_type(&o.ty);
        let cell = |a: &J| {
            a.get("outcomes")
                .and_then(|x| x.get(&o.name))
                .filter(|v| !v.is_null())
                .cloned()
        };
        let column: ArrayRef = match &ty {
            DataType::Decimal128(..) => {
                let mut b = Decimal128Builder::with_capacity(answers.len());
                for a in answers {
                    b.append_option(cell(a).and_then(|v| cents(&v)));
                }
                Arc::new(
                    b.finish()
                        .with_precision_and_scale(38, 2)
                        .map_err(|e| e.to_string())?,
                )
            }
            DataType::Boolean => {
                let mut b = BooleanBuilder::with_capacity(answers.len());
                for a in answers {
                    b.append_option(cell(a).and_then(|v| v.as_bool()));
                }
                Arc::new(b.finish())
            }
            DataType::Int64 => {
                let mut b = Int64Builder::with_capacity(answers.len());
                for a in answers {
                    b.append_option(cell(a).and_then(|v| v.as_i64()));
                }
                Arc::new(b.finish())
            }
            DataType::Date32 => {
                let mut b = Date32Builder::with_capacity(answers.len());
                for a in answers {
                    b.append_option(cell(a).and_then(|v| days(&v)));
                }
                Arc::new(b.finish())
            }
            _ => {
                let mut b = StringBuilder::new();
                for a in answers {
                    b.append_option(cell(a).map(|v| match v {
                        J::String(s) => s,
                        other => other.to_string(),
                    }));
                }
                Arc::new(b.finish())
            }
        };
        fields.push(Field::new(&o.name, ty, true));
        columns.push(column);
    }
    let mut missing = ListBuilder::new(StringBuilder::new());
    let mut version = StringBuilder::new();
    let mut error = StringBuilder::new();
    for a in answers {
        match a.get("error") {
            Some(e) => {
                missing.append_null();
                version.append_null();
                let code = e.get("code").and_then(J::as_str).unwrap_or("");
                let message = e.get("message").and_then(J::as_str).unwrap_or("");
                error.append_value(format!("{code}: {message}"));
            }
            None => {
                for m in a.get("missing").and_then(J::as_array).into_iter().flatten() {
                    missing.values().append_option(m.as_str());
                }
                missing.append(true);
                version.append_option(a.get("version").and_then(J::as_str));
                error.append_null();
            }
        }
    }
    fields.push(Field::new(
        "missing",
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    ));
    columns.push(Arc::new(missing.finish()));
    fields.push(Field::new("version", DataType::Utf8, true));
    columns.push(Arc::new(version.finish()));
    fields.push(Field::new("error", DataType::Utf8, true));
    columns.push(Arc::new(error.finish()));
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).map_err(|e| e.to_string())?;
    Ok((batch, schema))
}

/// `"3000.00"` as 300000 cents; the contract writes money with exactly two decimals.
fn cents(v: &J) -> Option<i128> {
    let d: rust_decimal::Decimal = v.as_str()?.parse().ok()?;
    let scaled = d.checked_mul(rust_decimal::Decimal::ONE_HUNDRED)?;
    if !scaled.fract().is_zero() {
        return None;
    }
    scaled.to_string().split('.').next()?.parse().ok()
}

/// `"2020-01-06"` as days since 1970-01-01.
fn days(v: &J) -> Option<i32> {
    let d: jiff::civil::Date = v.as_str()?.parse().ok()?;
    let epoch = jiff::civil::date(1970, 1, 1);
    // A span between civil dates is in days by default.
    Some(epoch.until(d).ok()?.get_days())
}

/// The native module.
#[pymodule]
fn _lawcode(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeProgram>()?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_dates_convert_exactly() {
        assert_eq!(cents(&json!("3000.00")), Some(300_000));
        assert_eq!(cents(&json!("0.07")), Some(7));
        assert_eq!(cents(&json!("1.005")), None);
        assert_eq!(days(&json!("1970-01-02")), Some(1));
        assert_eq!(days(&json!("1969-12-31")), Some(-1));
    }
}
