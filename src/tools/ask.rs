//! The interview (`lawcode ask`): the facts of a case asked for one at a time, only those still
//! needed to decide the outcomes, in the order the statute needs them.
//!
//! An [`Interview`] is a state machine without I/O: [`Interview::next_step`] gives the next
//! [`Question`] (or, when nothing more can change an outcome, the [`Evaluation`] of the facts
//! gathered), and [`Interview::answer`] takes the answer to it, or refuses it with the facts
//! reader's own diagnostic (then the same question is next again). The command line puts a
//! terminal's prompts or a JSON line protocol around it.
//!
//! What it knows is a partial facts document ([`crate::facts::read_partial_facts`]): a fact not
//! given is unknown, required ones and ones with a default too; a fact answered with "skip" is
//! written `null`, which leaves an optional fact out and gives a fact with a default its
//! default. Each step evaluates that document with the trace, and asks for the first fact the
//! trace reads without a value that the evaluation names in `missing` (so a fact whose value
//! cannot change an outcome, given the answers so far, is never asked): the trees of the
//! undecided outcomes are walked depth first, which is the order in which the evaluator read
//! them. When the rule set picks its text by a date fact, that date is asked first. Lists are
//! asked item by item ("add a loss?"), the fields of each item as they are needed; a list may
//! also be answered whole. Last, a required fact that no rule needed is asked, so that the
//! facts gathered are a complete case that `lawcode eval` accepts as it is.

use crate::diagnostic::Problem;
use crate::eval::trace::{NodeKind, TraceNode};
use crate::eval::{EvalOptions, Evaluation, Program};
use crate::facts::set::{self, Step};
use crate::program::{FieldDecl, Schema};
use crate::value::Type;
use serde::Serialize;
use serde_json::Value as J;

/// The interview's own diagnostics; a value the rules refuse is the facts reader's
/// (`lawcode::facts::…`).
pub mod codes {
    /// An answer that is not `{"answer": VALUE}` or `{"skip": true}`, or not one the question
    /// takes (a list's "add an item?" takes `true`, `false` or the whole list).
    pub const BAD_ANSWER: &str = "lawcode::ask::bad_answer";
    /// "Skip" for a required fact that has no default: the case cannot be decided without it.
    pub const REQUIRED: &str = "lawcode::ask::required";
    /// The input ended (or the prompt was cancelled) before the interview did.
    pub const END_OF_INPUT: &str = "lawcode::ask::end_of_input";
}

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// A value of the fact's type.
    Value,
    /// A list fact, item by item: `true` adds an item (its fields are asked next, as they are
    /// needed), `false` ends the list; or the whole list as a JSON array.
    List,
    /// An optional record that is not given: `true` gives it (its fields are asked next),
    /// `false` leaves it out; or the whole record as a JSON object.
    Record,
}

/// One question: a fact, what it is, and the provision that needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// The fact's path, as diagnostics write it (`victim.losses[0].amount`).
    #[serde(rename = "ask")]
    pub path: String,
    /// Its type as the rule file names it: `money`, `date`, `loss_category`, `list of loss`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The rule file's description of the fact (for a list's item, of the list).
    pub description: Option<String>,
    /// The full citation of the provision whose rule needs it (`18 U.S.C. § 2259(c)(3)`); for
    /// the date that selects the text, the statute's.
    pub provision: Option<String>,
    /// Its default in the contract's JSON form (what "skip" gives it); `null` when it has none.
    pub default: J,
    /// The members of its enumeration (or of its list's items'), in declared order.
    pub members: Vec<String>,
    /// What the answer is.
    pub kind: QuestionKind,
    /// A required fact without a default: it cannot be skipped.
    pub required: bool,
    /// For a list: the items given so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<usize>,
    /// The question in words, for a person: `add a loss to victim.losses?`.
    pub prompt: String,
}

/// An answer to the question last asked.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A value (for a list: `true`, `false` or the whole array; for a record: `true`, `false`
    /// or the whole object).
    Value(J),
    /// Not known: an optional fact stays absent, a fact with a default takes its default, a
    /// list item is not added.
    Skip,
}

impl Answer {
    /// One line of the JSON protocol: `{"answer": VALUE}` or `{"skip": true}`.
    pub fn from_line(line: &str) -> Result<Answer, Problem> {
        let help = "answer with one JSON object on one line: {\"answer\": VALUE}, or {\"skip\": true} for a fact that is not known";
        let v: J = serde_json::from_str(line.trim()).map_err(|e| {
            Problem::error(codes::BAD_ANSWER, format!("the answer is not JSON: {e}"))
                .with_help(help)
        })?;
        let J::Object(map) = &v else {
            return Err(Problem::error(
                codes::BAD_ANSWER,
                format!("the answer is {v}, not an object"),
            )
            .with_help(help));
        };
        match (map.len(), map.get("answer"), map.get("skip")) {
            (1, Some(a), _) => Ok(Answer::Value(a.clone())),
            (1, _, Some(J::Bool(true))) => Ok(Answer::Skip),
            _ => {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                Err(Problem::error(
                    codes::BAD_ANSWER,
                    format!(
                        "the answer has the keys [{}]; it takes `answer` or `skip` alone",
                        keys.join(", ")
                    ),
                )
                .with_help(help))
            }
        }
    }
}

/// The JSON protocol's line for a refused answer: `{"error": {"code", "message", "path",
/// "help"}}`.
pub fn error_line(p: &Problem) -> J {
    serde_json::json!({
        "error": {
            "code": p.code,
            "message": p.message,
            "path": p.fact_path,
            "help": p.help,
        }
    })
}

/// The problem of an interview whose input ended (or whose prompt was cancelled) while
/// `question` was unanswered.
pub fn end_of_input(question: &Question, what: &str) -> Problem {
    Problem {
        fact_path: Some(question.path.clone()),
        ..Problem::error(
            codes::END_OF_INPUT,
            format!(
                "{what} before the interview ended: `{}` was not answered",
                question.path
            ),
        )
        .with_help(
            "answer every question (with {\"skip\": true} for a fact that is not known); the facts given so far are not saved",
        )
    }
}

/// What comes next.
#[derive(Debug, Clone)]
pub enum Next {
    /// This question; answer it with [`Interview::answer`].
    Ask(Question),
    /// Nothing more can change an outcome: the evaluation of the facts gathered, as
    /// `lawcode eval` gives it for [`Interview::facts`].
    Done(Box<Evaluation>),
}

/// A list being answered item by item.
#[derive(Debug, Clone)]
struct Open {
    path: Vec<Step>,
    text: String,
    /// The provision that first needed it, cited by its "add another?" questions.
    provision: Option<String>,
    /// "Add" was answered; the item's value is the next question.
    awaiting_item: bool,
}

/// A fact to ask for: its path, and the citation of the provision that needs it.
type Found = (Vec<Step>, Option<String>);

/// An interview in progress: what it has been told, and the question it last asked.
#[derive(Debug, Clone)]
pub struct Interview {
    program: Program,
    options: EvalOptions,
    outcomes: Vec<String>,
    doc: J,
    open: Vec<Open>,
    pending: Option<(Question, Vec<Step>)>,
    asked: usize,
}

/// Any failure of the interview: facts the rules refuse, or an evaluation that fails.
pub type Error = crate::pipeline::Error;

impl Interview {
    /// An interview that starts from `doc`, a partial facts document (`{}` for none), read as
    /// [`Program::partial_facts_from_value`] reads it (its problems are the facts reader's).
    /// `outcomes` limits the questions to those these outcomes need (all when empty); `options`
    /// are the evaluation's (`as_of` pins the text, `trace` is kept for the result).
    pub fn new(
        program: &Program,
        name: &str,
        doc: J,
        outcomes: Vec<String>,
        options: EvalOptions,
    ) -> Result<Interview, Error> {
        program.partial_facts_from_value(name, &doc)?;
        crate::render::View::new(program, outcomes.clone(), false)?;
        Ok(Interview {
            program: program.clone(),
            options,
            outcomes,
            doc,
            open: Vec::new(),
            pending: None,
            asked: 0,
        })
    }

    /// [`Interview::new`] from JSON text (a `--facts PARTIAL.json`), its problems shown in the
    /// text as the facts reader shows them.
    pub fn from_text(
        program: &Program,
        name: &str,
        text: &str,
        outcomes: Vec<String>,
        options: EvalOptions,
    ) -> Result<Interview, Error> {
        program.read_partial_facts(name, text)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let doc = serde_json::from_str(text).unwrap_or(J::Object(serde_json::Map::new()));
        Interview::new(program, name, doc, outcomes, options)
    }

    /// The facts gathered so far: the document given at the start with every answer put in
    /// (`null` for a skipped fact). Once [`Next::Done`], a complete case.
    pub fn facts(&self) -> &J {
        &self.doc
    }

    /// How many answers have been taken.
    pub fn answered(&self) -> usize {
        self.asked
    }

    /// The next question, or the result. Asking again before answering gives the same question.
    pub fn next_step(&mut self) -> Result<Next, Error> {
        if let Some((q, _)) = &self.pending {
            return Ok(Next::Ask(q.clone()));
        }
        let found = self.find()?;
        Ok(match found {
            Some((steps, provision)) => {
                let q = self.question(&steps, provision);
                self.pending = Some((q.clone(), steps));
                Next::Ask(q)
            }
            None => {
                let name = "the answers";
                let facts = self.program.facts_from_value(name, &self.doc)?;
                let evaluation = self.program.evaluate(&facts, self.options)?;
                Next::Done(Box::new(evaluation))
            }
        })
    }

    /// Takes the answer to the question [`Interview::next_step`] gave. A refused answer is a
    /// problem naming the fact (the facts reader's diagnostic for a value the rules refuse);
    /// the question stays the next one.
    pub fn answer(&mut self, answer: Answer) -> Result<(), Problem> {
        let Some((q, steps)) = self.pending.clone() else {
            return Err(
                Problem::error(codes::BAD_ANSWER, "there is no question to answer")
                    .with_help("ask for the next question first"),
            );
        };
        let mut doc = self.doc.clone();
        let mut open = self.open.clone();
        let item_of_open = open.last().is_some_and(|o| {
            o.awaiting_item && q.kind == QuestionKind::Value && item_of(&o.path, &steps)
        });
        match (q.kind, answer) {
            (QuestionKind::Value, Answer::Skip) if item_of_open => {
                // The item is not added after all.
                if let Some(o) = open.last_mut() {
                    o.awaiting_item = false;
                }
            }
            (_, Answer::Skip) if q.required && q.items.unwrap_or(0) == 0 => {
                return Err(Problem {
                    fact_path: Some(q.path.clone()),
                    ..Problem::error(
                        codes::REQUIRED,
                        format!("`{}` is required; it cannot be skipped", q.path),
                    )
                    .with_help(format!(
                        "answer with {}; the case cannot be decided without it",
                        q.ty
                    ))
                });
            }
            (QuestionKind::List, a @ (Answer::Skip | Answer::Value(J::Bool(false)))) => {
                // The list ends with the items given so far; none given, it is empty (`false`)
                // or left to its default (skipped).
                if !at(&doc, &steps).is_some_and(J::is_array) {
                    let value = if a == Answer::Skip {
                        J::Null
                    } else {
                        J::Array(Vec::new())
                    };
                    put(&mut doc, &steps, value)?;
                }
                close(&mut open, &steps);
            }
            (QuestionKind::List, Answer::Value(J::Bool(true))) => {
                let scalar_items = !matches!(self.item_type(&steps), Some(Type::Record(_)));
                if open.last().is_none_or(|o| o.path != steps) {
                    open.push(Open {
                        path: steps.clone(),
                        text: q.path.clone(),
                        provision: q.provision.clone(),
                        awaiting_item: false,
                    });
                }
                if scalar_items {
                    if let Some(o) = open.last_mut() {
                        o.awaiting_item = true;
                    }
                } else {
                    let len = at(&doc, &steps).and_then(J::as_array).map_or(0, Vec::len);
                    let mut item = steps.clone();
                    item.push(Step::Index(len));
                    put(&mut doc, &item, J::Object(serde_json::Map::new()))?;
                }
            }
            (QuestionKind::Record, Answer::Value(J::Bool(true))) => {
                put(&mut doc, &steps, J::Object(serde_json::Map::new()))?;
            }
            (QuestionKind::Record, Answer::Skip | Answer::Value(J::Bool(false)))
            | (QuestionKind::Value, Answer::Skip) => {
                put(&mut doc, &steps, J::Null)?;
            }
            (QuestionKind::List, Answer::Value(v @ J::Array(_)))
            | (QuestionKind::Record, Answer::Value(v @ J::Object(_))) => {
                put(&mut doc, &steps, v)?;
                close(&mut open, &steps);
            }
            (QuestionKind::List | QuestionKind::Record, Answer::Value(v)) => {
                let whole = if q.kind == QuestionKind::List {
                    "the whole list as a JSON array"
                } else {
                    "the whole record as a JSON object"
                };
                return Err(Problem {
                    fact_path: Some(q.path.clone()),
                    ..Problem::error(
                        codes::BAD_ANSWER,
                        format!(
                            "`{}` is answered with true, false or {whole}, not {v}",
                            q.path
                        ),
                    )
                    .with_help(format!("{}: true adds one, false ends the list", q.prompt))
                });
            }
            (QuestionKind::Value, Answer::Value(v)) => {
                if v.is_null() {
                    return Err(Problem {
                        fact_path: Some(q.path.clone()),
                        ..Problem::error(
                            codes::BAD_ANSWER,
                            format!("`{}` is answered with null", q.path),
                        )
                        .with_help("answer with a value, or skip the question ({\"skip\": true})")
                    });
                }
                put(&mut doc, &steps, v)?;
                if item_of_open {
                    if let Some(o) = open.last_mut() {
                        o.awaiting_item = false;
                    }
                }
            }
        }
        // The facts reader judges the changed document, as it judges a file.
        if let Err(e) = self.program.partial_facts_from_value("the answer", &doc) {
            let mut problems = e.0.problems;
            let mine = problems
                .iter()
                .position(|p| p.fact_path.as_deref().is_some_and(|f| under(f, &q.path)))
                .unwrap_or(0);
            if mine < problems.len() {
                let mut p = problems.swap_remove(mine);
                p.fact_path = p.fact_path.or(Some(q.path.clone()));
                return Err(p);
            }
        }
        self.doc = doc;
        self.open = open;
        self.pending = None;
        self.asked += 1;
        Ok(())
    }

    /// The type of a list's items at `steps`.
    fn item_type(&self, steps: &[Step]) -> Option<Type> {
        match resolve(self.program.schema(), steps)?.ty {
            Type::List(inner) => Some(*inner),
            _ => None,
        }
    }

    /// The next fact to ask for, if any.
    fn find(&self) -> Result<Option<Found>, Error> {
        let program = &self.program;
        let facts = program.partial_facts_from_value("the answers", &self.doc)?;
        // The date that picks the text in force, first.
        if let (Some(selector), None) = (program.version_selector(), self.options.as_of) {
            if facts.unknown.contains(&selector.fact_name) {
                let provision = Some(program.statute().citation.clone());
                return Ok(Some((
                    vec![Step::Key(selector.fact_name.clone())],
                    provision,
                )));
            }
        }
        if let Some(o) = self.open.last() {
            if o.awaiting_item {
                let len = at(&self.doc, &o.path)
                    .and_then(J::as_array)
                    .map_or(0, Vec::len);
                let mut item = o.path.clone();
                item.push(Step::Index(len));
                return Ok(Some((item, o.provision.clone())));
            }
        }
        let prefix = self.open.last().map(|o| format!("{}[", o.text));
        let traced = EvalOptions {
            trace: true,
            ..self.options
        };
        let evaluation = program.evaluate(&facts, traced)?;
        if let Some((path, provision)) = blocker(
            &evaluation,
            &facts.unknown,
            &self.outcomes,
            prefix.as_deref(),
        ) {
            let steps = set::parse_path(&path).map_err(Error::Eval)?;
            return Ok(Some((steps, provision)));
        }
        let gaps = required_gaps(program.schema(), &self.doc);
        let gap = gaps.into_iter().find(|g| {
            prefix
                .as_deref()
                .is_none_or(|p| set::path_text(g).starts_with(p))
        });
        if let Some(g) = gap {
            return Ok(Some((g, None)));
        }
        Ok(self
            .open
            .last()
            .map(|o| (o.path.clone(), o.provision.clone())))
    }

    /// The question about the fact at `steps`.
    fn question(&self, steps: &[Step], provision: Option<String>) -> Question {
        let schema = self.program.schema();
        let path = set::path_text(steps);
        let Some(r) = resolve(schema, steps) else {
            return Question {
                path: path.clone(),
                ty: String::new(),
                description: None,
                provision,
                default: J::Null,
                members: Vec::new(),
                kind: QuestionKind::Value,
                required: false,
                items: None,
                prompt: path,
            };
        };
        let decl = r.decl;
        let is_item = r.item;
        let kind = match (&r.ty, is_item) {
            (Type::List(_), false) => QuestionKind::List,
            (Type::Record(_), false) => QuestionKind::Record,
            _ => QuestionKind::Value,
        };
        let members = match &r.ty {
            Type::Enum(e) => enum_members(schema, *e),
            Type::List(inner) => match &**inner {
                Type::Enum(e) => enum_members(schema, *e),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let default = match (&decl.default, is_item) {
            (Some(d), false) => schema.value_json(&decl.ty, d),
            _ => J::Null,
        };
        let items = (kind == QuestionKind::List).then(|| {
            at(&self.doc, steps)
                .and_then(J::as_array)
                .map_or(0, Vec::len)
        });
        let what = match &r.ty {
            Type::List(inner) => type_name(schema, inner),
            other => type_name(schema, other),
        };
        let prompt = match (kind, items) {
            (QuestionKind::List, Some(0)) => format!("add {} {what} to {path}?", article(&what)),
            (QuestionKind::List, _) => format!("add another {what} to {path}?"),
            (QuestionKind::Record, _) => format!("give {path} ({what})?"),
            (QuestionKind::Value, _) => match &decl.description {
                Some(d) if !is_item => format!("{path}: {d}"),
                _ => path.clone(),
            },
        };
        Question {
            path,
            ty: type_name(schema, &r.ty),
            description: decl.description.clone(),
            provision,
            default,
            members,
            kind,
            required: is_item || (!decl.may_be_absent() && kind != QuestionKind::Record),
            items,
            prompt,
        }
    }
}

/// `steps` name an item of the list at `list` (`list[N]`).
fn item_of(list: &[Step], steps: &[Step]) -> bool {
    steps.len() == list.len() + 1
        && steps.starts_with(list)
        && matches!(steps.last(), Some(Step::Index(_)))
}

/// Ends the list at `steps` being answered item by item (and any inside it).
fn close(open: &mut Vec<Open>, steps: &[Step]) {
    if let Some(i) = open.iter().position(|o| o.path == steps) {
        open.truncate(i);
    }
}

/// `path` is `of` or lies inside it (`of.x`, `of[2]`).
fn under(path: &str, of: &str) -> bool {
    path.strip_prefix(of)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

fn put(doc: &mut J, steps: &[Step], value: J) -> Result<(), Problem> {
    set::set(doc, steps, value)
}

/// The value at `steps` in `doc`, if there is one.
fn at<'a>(doc: &'a J, steps: &[Step]) -> Option<&'a J> {
    let mut here = doc;
    for s in steps {
        here = match s {
            Step::Key(k) => here.get(k)?,
            Step::Index(i) => here.get(i)?,
        };
    }
    Some(here)
}

/// The first fact a selected, undecided outcome's tree reads without a value that the
/// evaluation names in `missing` and that is not given yet (under `prefix` when one is given),
/// in the order the trace shows them: its path and the citation of the provision that read it.
fn blocker(
    evaluation: &Evaluation,
    unknown: &[String],
    outcomes: &[String],
    prefix: Option<&str>,
) -> Option<(String, Option<String>)> {
    let askable = |name: &str| {
        unknown.binary_search_by(|u| u.as_str().cmp(name)).is_ok()
            && evaluation.missing.iter().any(|m| m == name)
            && prefix.is_none_or(|p| name.starts_with(p))
    };
    let declared: Vec<&str> = evaluation.outcomes().map(|(n, _)| n).collect();
    let trees = evaluation.trace().unwrap_or_default().iter().filter(|n| {
        n.kind == NodeKind::Definition
            && n.value.is_null()
            && declared.contains(&&*n.name)
            && (outcomes.is_empty() || outcomes.iter().any(|o| **o == *n.name))
    });
    let mut undecided = false;
    for tree in trees {
        undecided = true;
        let first = tree.walk().find(|n: &&TraceNode| {
            n.kind == NodeKind::Fact && n.value.is_null() && askable(&n.name)
        });
        if let Some(n) = first {
            return Some((n.name.to_string(), Some(n.citation.to_string())));
        }
    }
    // A fact the trace does not show being read (it should show every one): the first missing.
    if undecided && outcomes.is_empty() {
        return evaluation
            .missing
            .iter()
            .find(|m| askable(m))
            .map(|m| (m.clone(), None));
    }
    None
}

/// The required facts (no default, not optional) that `doc` does not give, in schema order,
/// through records and list items given.
fn required_gaps(schema: &Schema, doc: &J) -> Vec<Vec<Step>> {
    let mut gaps = Vec::new();
    let mut path = Vec::new();
    gaps_in(schema, &schema.facts, doc, &mut path, &mut gaps, 0);
    gaps
}

fn gaps_in(
    schema: &Schema,
    decls: &[FieldDecl],
    obj: &J,
    path: &mut Vec<Step>,
    gaps: &mut Vec<Vec<Step>>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for d in decls {
        path.push(Step::Key(d.name.clone()));
        let given = obj.get(&d.name).filter(|v| !v.is_null());
        match (&d.ty, given) {
            (Type::Record(r), Some(v)) => {
                if let Some(rec) = schema.records.get(*r) {
                    gaps_in(schema, &rec.fields, v, path, gaps, depth + 1);
                }
            }
            (Type::Record(r), None) if !d.optional => {
                // A record not given: its required fields (when `null`, it was skipped).
                if let (Some(rec), false) = (schema.records.get(*r), obj.get(&d.name).is_some()) {
                    gaps_in(schema, &rec.fields, &J::Null, path, gaps, depth + 1);
                }
            }
            (Type::List(inner), Some(J::Array(items))) => {
                if let Type::Record(r) = &**inner {
                    if let Some(rec) = schema.records.get(*r) {
                        for (i, item) in items.iter().enumerate() {
                            path.push(Step::Index(i));
                            gaps_in(schema, &rec.fields, item, path, gaps, depth + 1);
                            path.pop();
                        }
                    }
                }
            }
            (_, None) if !d.may_be_absent() => gaps.push(path.clone()),
            _ => {}
        }
        path.pop();
    }
}

/// What a path names in the schema.
struct Resolved<'s> {
    /// The field that declares it (for a list's item, the list).
    decl: &'s FieldDecl,
    /// Its type (for an item, the list's item type).
    ty: Type,
    /// The path ends at a list's item.
    item: bool,
}

fn resolve<'s>(schema: &'s Schema, steps: &[Step]) -> Option<Resolved<'s>> {
    let mut fields: &[FieldDecl] = &schema.facts;
    let mut found: Option<Resolved<'s>> = None;
    for s in steps {
        found = Some(match (s, found) {
            (Step::Key(k), None) => {
                let decl = fields.iter().find(|d| d.name == *k)?;
                Resolved {
                    decl,
                    ty: decl.ty.clone(),
                    item: false,
                }
            }
            (Step::Key(k), Some(r)) => {
                let Type::Record(id) = r.ty else {
                    return None;
                };
                fields = &schema.records.get(id)?.fields;
                let decl = fields.iter().find(|d| d.name == *k)?;
                Resolved {
                    decl,
                    ty: decl.ty.clone(),
                    item: false,
                }
            }
            (Step::Index(_), Some(r)) => {
                let Type::List(inner) = r.ty else {
                    return None;
                };
                Resolved {
                    decl: r.decl,
                    ty: *inner,
                    item: true,
                }
            }
            (Step::Index(_), None) => return None,
        });
        if let Some(Resolved {
            ty: Type::Record(id),
            ..
        }) = &found
        {
            fields = &schema.records.get(*id)?.fields;
        }
    }
    found
}

fn enum_members(schema: &Schema, e: crate::value::EnumId) -> Vec<String> {
    schema
        .enums
        .get(e)
        .map(|d| d.members.clone())
        .unwrap_or_default()
}

/// A type as the rule file names it: `money`, `loss_category`, `list of loss`.
pub fn type_name(schema: &Schema, ty: &Type) -> String {
    match ty {
        Type::Enum(e) => schema
            .enums
            .get(*e)
            .map_or_else(|| ty.to_string(), |d| d.name.clone()),
        Type::Record(r) => schema
            .records
            .get(*r)
            .map_or_else(|| ty.to_string(), |d| d.name.clone()),
        Type::List(inner) => format!("list of {}", type_name(schema, inner)),
        other => other.to_string(),
    }
}

fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn program() -> Program {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/usc/18/2259.law");
        crate::load_program(&path).unwrap().0
    }

    fn traced() -> EvalOptions {
        EvalOptions {
            trace: true,
            ..EvalOptions::default()
        }
    }

    fn example(name: &str) -> J {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn start(program: &Program, outcomes: &[&str]) -> Interview {
        let outcomes = outcomes.iter().map(|o| o.to_string()).collect();
        Interview::new(program, "t", json!({}), outcomes, traced()).unwrap()
    }

    /// Runs the interview to its end, each answer from `respond`; the questions and the result.
    fn drive(
        mut i: Interview,
        mut respond: impl FnMut(&Question) -> Answer,
    ) -> (Vec<Question>, Evaluation, J) {
        let mut asked = Vec::new();
        loop {
            match i.next_step().unwrap() {
                Next::Ask(q) => {
                    let a = respond(&q);
                    i.answer(a)
                        .unwrap_or_else(|p| panic!("{}: {}", q.path, p.message));
                    asked.push(q);
                    assert!(asked.len() < 100, "{asked:#?}");
                }
                Next::Done(e) => return (asked, *e, i.facts().clone()),
            }
        }
    }

    /// Each answer from `facts` (a list whole), skipping what it does not hold.
    fn from_facts(facts: &J) -> impl FnMut(&Question) -> Answer + '_ {
        |q| match at(facts, &set::parse_path(&q.path).unwrap()) {
            Some(v) if !v.is_null() => Answer::Value(v.clone()),
            _ => Answer::Skip,
        }
    }

    fn paths(asked: &[Question]) -> Vec<&str> {
        asked.iter().map(|q| q.path.as_str()).collect()
    }

    fn evaluate(program: &Program, facts: &J) -> Evaluation {
        let facts = program.facts_from_value("f", facts).unwrap();
        program.evaluate(&facts, traced()).unwrap()
    }

    /// The date that picks the text first, then what the statute reads, in its order; the
    /// result is the evaluation of the file's facts.
    #[test]
    fn the_example_is_asked_in_the_order_the_statute_reads_it() {
        let program = program();
        let facts = example("trafficking-floor.json");
        let (asked, result, gathered) = drive(start(&program, &[]), from_facts(&facts));
        assert_eq!(
            paths(&asked)[..4],
            [
                "offense_date",
                "convictions",
                "victim.dma_received",
                "victim.losses"
            ]
        );
        assert_eq!(asked[0].provision.as_deref(), Some("18 U.S.C. § 2259"));
        assert_eq!(asked[1].provision.as_deref(), Some("18 U.S.C. § 2259(a)"));
        assert_eq!(asked[1].kind, QuestionKind::List);
        let expected = evaluate(&program, &facts);
        assert_eq!(result, expected);
        assert_eq!(evaluate(&program, &gathered), expected);
        let rep = asked
            .iter()
            .find(|q| q.path == "victim.representative")
            .unwrap();
        assert_eq!(rep.members.len(), 6);
        assert_eq!(rep.default, json!("self"));
        assert_eq!(rep.ty, "representative_kind");
    }

    /// No chapter 110 conviction: for the amount ordered, nothing but the date and the
    /// convictions is asked; for every outcome, nothing about recoveries or the court's
    /// relative-role amount (the full amount of losses is an outcome of its own, so the losses
    /// are asked).
    #[test]
    fn a_fact_that_cannot_matter_is_not_asked() {
        let program = program();
        let facts = example("not-chapter-110.json");
        let i = start(&program, &["restitution_amount"]);
        let (asked, result, _) = drive(i, from_facts(&facts));
        assert_eq!(paths(&asked), ["offense_date", "convictions"]);
        assert_eq!(result.outcome("restitution_amount"), Some(&json!("0.00")));
        let (asked, result, _) = drive(start(&program, &[]), from_facts(&facts));
        assert!(
            !asked.iter().any(|q| q.path.starts_with("court")
                || q.path == "victim.prior_recovery"
                || q.path == "victim.greatest_losses_found"),
            "{:?}",
            paths(&asked)
        );
        assert_eq!(result.outcome("restitution_required"), Some(&json!(false)));
        assert_eq!(result, evaluate(&program, &facts));
    }

    /// Lists item by item: "add a conviction?", the fields each item needs (and a required one
    /// no rule reads, `category`, so that the case is complete), then "add another?".
    #[test]
    fn lists_are_asked_item_by_item() {
        let program = program();
        let answers = json!({
            "offense_date": "2020-02-14",
            "convictions[0].section": "2252(a)(2)",
            "victim.losses[0].amount": "20000.00",
            "victim.losses[0].category": "therapy",
            "court.relative_role_amount": "1200.00",
            "order_date": "2023-06-15",
        });
        let mut added: std::collections::HashMap<String, usize> = Default::default();
        let (asked, result, gathered) = drive(start(&program, &[]), |q| {
            if q.kind == QuestionKind::List {
                let n = added.entry(q.path.clone()).or_default();
                *n += 1;
                return Answer::Value(J::Bool(*n == 1));
            }
            answers
                .get(&q.path)
                .map_or(Answer::Skip, |v| Answer::Value(v.clone()))
        });
        let asked = paths(&asked);
        let at = |p: &str| asked.iter().position(|a| *a == p).unwrap();
        assert!(at("convictions") < at("convictions[0].section"));
        assert_eq!(asked.iter().filter(|a| **a == "convictions").count(), 2);
        assert!(at("victim.losses[0].proximate") < at("victim.losses[0].amount"));
        assert!(asked.contains(&"victim.losses[0].category"));
        assert!(
            !asked
                .iter()
                .any(|a| a.contains("predicates") || a.contains("projected"))
        );
        assert_eq!(
            gathered["victim"]["losses"],
            json!([{"proximate": null, "amount": "20000.00", "category": "therapy"}])
        );
        assert_eq!(
            result.outcome("restitution_amount"),
            Some(&json!("3000.00"))
        );
        assert_eq!(result, evaluate(&program, &gathered));
    }

    /// A list's items that are not records are asked as values; skipping one adds nothing.
    #[test]
    fn a_list_of_citations_is_asked_item_by_item() {
        let program = program();
        let mut i = start(&program, &["trafficking"]);
        let answer = |i: &mut Interview, path: &str, a: Answer| {
            let Next::Ask(q) = i.next_step().unwrap() else {
                panic!("done before {path}")
            };
            assert_eq!(q.path, path);
            i.answer(a).unwrap();
        };
        answer(&mut i, "offense_date", Answer::Value(json!("2020-01-01")));
        answer(&mut i, "convictions", Answer::Value(json!(true)));
        answer(
            &mut i,
            "convictions[0].section",
            Answer::Value(json!("2252A(g)")),
        );
        answer(
            &mut i,
            "convictions[0].predicates",
            Answer::Value(json!(true)),
        );
        answer(
            &mut i,
            "convictions[0].predicates[0]",
            Answer::Value(json!("2252(a)(2)")),
        );
        answer(
            &mut i,
            "convictions[0].predicates",
            Answer::Value(json!(true)),
        );
        answer(&mut i, "convictions[0].predicates[1]", Answer::Skip);
        answer(
            &mut i,
            "convictions[0].predicates",
            Answer::Value(json!(false)),
        );
        answer(&mut i, "convictions", Answer::Value(json!(false)));
        assert_eq!(
            i.facts()["convictions"],
            json!([{"section": "2252A(g)", "predicates": ["2252(a)(2)"]}])
        );
        let Next::Done(e) = i.next_step().unwrap() else {
            panic!("not done")
        };
        assert_eq!(e.outcome("trafficking"), Some(&json!(true)));
    }

    /// A refused answer is the facts reader's diagnostic (or the interview's), and the same
    /// question is asked again; a required fact cannot be skipped, a nonempty list not ended
    /// empty.
    #[test]
    fn bad_answers_are_refused_and_asked_again() {
        let program = program();
        let mut i = start(&program, &[]);
        let refused = |i: &mut Interview, a: Answer| {
            let Next::Ask(before) = i.next_step().unwrap() else {
                panic!("done")
            };
            let p = i.answer(a).unwrap_err();
            let Next::Ask(after) = i.next_step().unwrap() else {
                panic!("done")
            };
            assert_eq!(before, after);
            assert!(
                under(p.fact_path.as_deref().unwrap(), &before.path),
                "{p:?}"
            );
            p.code
        };
        assert_eq!(
            refused(&mut i, Answer::Value(json!("May 1"))),
            crate::facts::codes::WRONG_TYPE
        );
        assert_eq!(
            refused(&mut i, Answer::Value(json!("2019-02-30"))),
            crate::facts::codes::IMPOSSIBLE_DATE
        );
        assert_eq!(refused(&mut i, Answer::Skip), codes::REQUIRED);
        assert_eq!(refused(&mut i, Answer::Value(J::Null)), codes::BAD_ANSWER);
        i.answer(Answer::Value(json!("2020-01-01"))).unwrap();
        assert_eq!(
            refused(&mut i, Answer::Value(json!(false))),
            crate::facts::codes::EMPTY_LIST
        );
        assert_eq!(
            refused(&mut i, Answer::Value(json!("2252"))),
            codes::BAD_ANSWER
        );
        assert_eq!(
            refused(
                &mut i,
                Answer::Value(json!([{"section": "2252", "sectoin": "x"}]))
            ),
            crate::facts::codes::UNKNOWN_KEY
        );
        i.answer(Answer::Value(json!([{"section": "2252"}])))
            .unwrap();
        // A loss of an unknown category.
        while let Next::Ask(q) = i.next_step().unwrap() {
            if q.path == "victim.losses" {
                let bad = json!([{"category": "rent", "amount": "1.00"}]);
                assert_eq!(
                    refused(&mut i, Answer::Value(bad)),
                    crate::facts::codes::UNKNOWN_MEMBER
                );
                break;
            }
            i.answer(Answer::Skip).unwrap();
        }
        assert!(i.answered() >= 2, "only the answers taken are counted");
    }

    /// The protocol's answer lines.
    #[test]
    fn answer_lines_are_read_strictly() {
        assert_eq!(
            Answer::from_line(r#"{"answer": "2019-05-01"}"#).unwrap(),
            Answer::Value(json!("2019-05-01"))
        );
        assert_eq!(
            Answer::from_line(r#" {"skip": true}"#).unwrap(),
            Answer::Skip
        );
        for bad in [
            "",
            "2019-05-01",
            "[1]",
            r#"{"skip": false}"#,
            r#"{"answer": 1, "skip": true}"#,
            r#"{"value": 1}"#,
        ] {
            assert_eq!(
                Answer::from_line(bad).unwrap_err().code,
                codes::BAD_ANSWER,
                "{bad}"
            );
        }
        let p = Problem::error(codes::REQUIRED, "m");
        assert_eq!(
            error_line(&p)["error"]["code"],
            json!("lawcode::ask::required")
        );
    }

    /// Under the 1996 text the court's relative-role amount is read through `given(…)`: not
    /// given yet, it is undecided, so it is asked, and skipping it gives the full amount.
    #[test]
    fn a_fact_read_through_given_is_asked() {
        let program = program();
        let facts = example("original-1996-paroline.json");
        let (asked, result, _) = drive(start(&program, &[]), from_facts(&facts));
        assert!(paths(&asked).contains(&"court.relative_role_amount"));
        assert_eq!(result, evaluate(&program, &facts));
        let mut without = facts.clone();
        without["court"] = json!({});
        let (_, result, gathered) = drive(start(&program, &[]), from_facts(&without));
        assert_eq!(gathered["court"]["relative_role_amount"], J::Null);
        assert_eq!(result, evaluate(&program, &without));
    }

    /// `--outcome`: only what that outcome needs, then the required facts of a complete case.
    #[test]
    fn questions_for_one_outcome() {
        let program = program();
        let facts = example("trafficking-floor.json");
        let (asked, _, _) = drive(
            start(&program, &["representative_permitted"]),
            from_facts(&facts),
        );
        assert_eq!(
            paths(&asked),
            ["offense_date", "victim.representative", "convictions"]
        );
        assert!(Interview::new(&program, "t", json!({}), vec!["award".into()], traced()).is_err());
    }

    /// A partial document given at the start is not asked again; `null` in it is a skipped fact.
    #[test]
    fn what_is_given_at_the_start_is_not_asked() {
        let program = program();
        let facts = example("trafficking-floor.json");
        let mut partial = facts.clone();
        partial["victim"]["dma_received"] = J::Null;
        let i = Interview::from_text(
            &program,
            "p.json",
            &partial.to_string(),
            Vec::new(),
            traced(),
        )
        .unwrap();
        let (asked, result, _) = drive(i, from_facts(&facts));
        assert_eq!(
            paths(&asked),
            [
                "victim.losses[0].proximate",
                "victim.losses[1].proximate",
                "victim.prior_recovery",
                "victim.greatest_losses_found"
            ]
        );
        assert_eq!(result, evaluate(&program, &facts));
        let bad = Interview::from_text(
            &program,
            "p.json",
            r#"{"offense_date": 1}"#,
            Vec::new(),
            traced(),
        );
        assert!(bad.is_err());
    }
}
