//! Typing expressions: each expression of a rule checked against the declarations and
//! compiled to a typed [`Expr`]. A name is a bound name, a definition (typed first, by
//! recursion) or a fact.

use super::version::VersionChecker;
use super::{Reporter, UnknownName, codes};
use crate::citation::{Citation, CitationRange, ProvisionRef};
use crate::diagnostic::nearest;
use crate::program::{Aggregate, Arith, Compare, DateCalc, Expr, ExprKind};
use crate::source::Span;
use crate::syntax::ast::{self, BinaryOp, ListItem, RangeEnd, UnaryOp};
use crate::value::{Type, Value};
use std::sync::Arc;

/// A name bound by a list expression: `x` in `sum(x.amount for x in losses)`. An
/// [`ExprKind::Local`] is an index into the names bound where it is read, innermost last.
#[derive(Clone)]
pub(super) struct BoundName {
    name: String,
    ty: Type,
    /// The fact path the bound elements come from, for the `disregard` check.
    origin: Option<Vec<usize>>,
    /// Bound inside a function's body, and so invisible to the argument of its call that is
    /// being read (it keeps its depth).
    hidden: bool,
}

impl BoundName {
    /// A visible name of type `ty` whose elements come from `origin`.
    pub(super) fn new(name: String, ty: Type, origin: Option<Vec<usize>>) -> Self {
        BoundName {
            name,
            ty,
            origin,
            hidden: false,
        }
    }

    /// Hides the name from the expressions checked with it (see [`BoundName::hidden`]).
    pub(super) fn hide(&mut self) {
        self.hidden = true;
    }
}

impl<'c, 's, 'a> VersionChecker<'c, 's, 'a> {
    /// Reports a type mismatch. Always `None`, so that a caller can return it.
    pub(super) fn mismatch(
        &mut self,
        span: Span,
        message: String,
        label: String,
        help: &str,
    ) -> Option<Expr> {
        let p = self
            .err(codes::TYPE_MISMATCH, span, message, label)
            .with_help(help.to_string());
        self.report(p);
        None
    }

    /// An expression of type `ty`, numbered with the next [`Expr::id`].
    pub(super) fn typed_expr(&mut self, kind: ExprKind, ty: Type, span: Span) -> Option<Expr> {
        let id = self.checker.next_expr_id;
        self.checker.next_expr_id = id.saturating_add(1);
        Some(Expr { kind, ty, span, id })
    }

    /// The fact path an expression reads, when it is a chain of fields on a fact.
    pub(super) fn path_of(&self, e: &Expr, bound: &[BoundName]) -> Option<Vec<usize>> {
        match &e.kind {
            ExprKind::Fact(i) => Some(vec![*i]),
            ExprKind::Local(d) => bound.get(*d).and_then(|l| l.origin.clone()),
            ExprKind::Field(inner, f) => {
                let mut p = self.path_of(inner, bound)?;
                p.push(*f);
                Some(p)
            }
            _ => None,
        }
    }

    /// Compiles an expression. `expected` only guides literals (`"defendant"` as an enumeration member).
    ///
    /// Recursive, on more stack when it runs low: a chain of one operator
    /// ([`MAX_CHAIN_LEN`](crate::syntax::MAX_CHAIN_LEN) terms) is that many operands deep.
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr,
        expected: Option<&Type>,
        bound: &mut Vec<BoundName>,
    ) -> Option<Expr> {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.expr_here(e, expected, bound))
    }

    /// [`Self::expr`] on the stack it has.
    fn expr_here(
        &mut self,
        e: &ast::Expr,
        expected: Option<&Type>,
        bound: &mut Vec<BoundName>,
    ) -> Option<Expr> {
        let span = e.span;
        match &e.node {
            ast::ExprKind::Bool(b) => {
                self.typed_expr(ExprKind::Literal(Value::Bool(*b)), Type::Bool, span)
            }
            ast::ExprKind::Integer(d) => {
                let ty = if expected == Some(&Type::Decimal) {
                    Type::Decimal
                } else {
                    Type::Integer
                };
                self.typed_expr(ExprKind::Literal(Value::Number(*d)), ty, span)
            }
            ast::ExprKind::Decimal(d) => {
                self.typed_expr(ExprKind::Literal(Value::Number(*d)), Type::Decimal, span)
            }
            ast::ExprKind::Money(d) => {
                self.typed_expr(ExprKind::Literal(Value::Number(*d)), Type::Money, span)
            }
            ast::ExprKind::Date(d) => {
                self.typed_expr(ExprKind::Literal(Value::Date(*d)), Type::Date, span)
            }
            ast::ExprKind::Text(t) => {
                if let Some(Type::Enum(id)) = expected {
                    let enumeration = self.decls.schema.enums.get(*id)?;
                    return match enumeration.members.iter().position(|m| m == t) {
                        Some(i) => self.typed_expr(
                            ExprKind::Literal(Value::Enum(u32::try_from(i).ok()?)),
                            Type::Enum(*id),
                            span,
                        ),
                        None => {
                            let members: Vec<&str> =
                                enumeration.members.iter().map(String::as_str).collect();
                            let p = self
                                .err(
                                    codes::TYPE_MISMATCH,
                                    span,
                                    format!("`{t}` is not a member of `{}`", enumeration.name),
                                    "not a member",
                                )
                                .with_help(format!(
                                    "{}the members are: {}",
                                    nearest(t, members.iter().copied())
                                        .map(|n| format!("did you mean `{n}`? "))
                                        .unwrap_or_default(),
                                    members.join(", ")
                                ));
                            self.report(p);
                            None
                        }
                    };
                }
                self.typed_expr(
                    ExprKind::Literal(Value::Text(t.as_str().into())),
                    Type::Text,
                    span,
                )
            }
            ast::ExprKind::Citation(c) => match Citation::parse(c) {
                Ok(c) => self.typed_expr(
                    ExprKind::Literal(Value::Citation(Arc::new(c))),
                    Type::Citation,
                    span,
                ),
                Err(err) => {
                    let p = self
                        .err(
                            codes::CITATION,
                            span,
                            format!("`{c}` is not a provision citation"),
                            "malformed",
                        )
                        .with_help(err.reason);
                    self.report(p);
                    None
                }
            },
            ast::ExprKind::List(items) => self.list(items, expected, span, bound),
            ast::ExprKind::Name(n) => self.name(n, expected, bound),
            ast::ExprKind::Field(inner, field) => {
                let inner = self.expr(inner, None, bound)?;
                let Type::Record(record_id) = inner.ty else {
                    let ty = inner.ty.clone();
                    return self.mismatch(
                        field.span,
                        format!(
                            "`.{}` reads a field, but this is a {ty}, not a record",
                            field.node
                        ),
                        format!("{ty} has no fields"),
                        "only records have fields",
                    );
                };
                let rec = self.decls.schema.records.get(record_id)?;
                match rec.fields.iter().position(|f| f.name == field.node) {
                    Some(i) => {
                        let ty = rec.fields.get(i)?.ty.clone();
                        let out = self.typed_expr(ExprKind::Field(Box::new(inner), i), ty, span)?;
                        if let Some(p) = self.path_of(&out, bound) {
                            self.reads.insert(p);
                        }
                        Some(out)
                    }
                    None => {
                        let names: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                        self.unknown(UnknownName {
                            code: codes::UNKNOWN_NAME,
                            what: "field",
                            name: &field.node,
                            span: field.span,
                            message: format!("`{}` has no field `{}`", rec.name, field.node),
                            candidates: &names,
                            fallback: &format!("its fields are: {}", names.join(", ")),
                        })
                    }
                }
            }
            ast::ExprKind::Index(target, key) => {
                let ast::ExprKind::Name(n) = &target.node else {
                    return self.mismatch(
                        span,
                        "only data tables can be looked up with `[…]`".into(),
                        "not a table".into(),
                        "write `table_name[key]`; the items of a list are read by going through it, `any(c.section within s for c in convictions)`, so that the trace shows each item",
                    );
                };
                // A list fact or a bound item, indexed as if it were a table.
                if !self.decls.table_ids.contains_key(&n.node)
                    && (self.decls.fact_ids.contains_key(&n.node)
                        || bound.iter().any(|b| b.name == n.node))
                {
                    return self.mismatch(
                        span,
                        format!("`{}` is not a data table, and a list has no `[…]`", n.node),
                        "not a table".into(),
                        "the items of a list are read by going through it, `any(c.section within s for c in convictions)`, so that the trace shows each item",
                    );
                }
                let Some(&table_id) = self.decls.table_ids.get(&n.node) else {
                    let names: Vec<&str> =
                        self.decls.table_ids.keys().map(String::as_str).collect();
                    return self.unknown(UnknownName {
                        code: codes::UNKNOWN_NAME,
                        what: "table",
                        name: &n.node,
                        span: n.span,
                        message: format!("no data table is named `{}`", n.node),
                        candidates: &names,
                        fallback: "declare it with `table name: key -> value`",
                    });
                };
                let table = self.decls.tables.get(table_id)?;
                let (key_ty, value_ty) = (table.key_ty.clone(), table.value_ty.clone());
                let key = self.expr(key, Some(&key_ty), bound)?;
                if !fits(&key.ty, &key_ty) {
                    let kt = key.ty.clone();
                    return self.mismatch(
                        key.span,
                        format!("table `{}` is keyed by {key_ty}, not {kt}", n.node),
                        format!("this is a {kt}"),
                        "look the table up by a key of its key type",
                    );
                }
                self.typed_expr(ExprKind::Table(table_id, Box::new(key)), value_ty, span)
            }
            ast::ExprKind::Unary(op, inner) => {
                let inner = self.expr(inner, None, bound)?;
                match op {
                    UnaryOp::Not => {
                        if inner.ty != Type::Bool {
                            let t = inner.ty.clone();
                            return self.mismatch(
                                inner.span,
                                format!("`not` needs true or false, but this is a {t}"),
                                format!("this is a {t}"),
                                "apply `not` to a condition",
                            );
                        }
                        self.typed_expr(ExprKind::Not(Box::new(inner)), Type::Bool, span)
                    }
                    UnaryOp::Neg => {
                        if !inner.ty.is_numeric() {
                            let t = inner.ty.clone();
                            return self.mismatch(
                                inner.span,
                                format!("`-` needs a number, but this is a {t}"),
                                format!("this is a {t}"),
                                "negate a number or money amount",
                            );
                        }
                        let ty = inner.ty.clone();
                        self.typed_expr(ExprKind::Neg(Box::new(inner)), ty, span)
                    }
                }
            }
            ast::ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span, bound),
            ast::ExprKind::If(c, t, f) => {
                let c = self.expr(c, Some(&Type::Bool), bound)?;
                if c.ty != Type::Bool {
                    let ty = c.ty.clone();
                    return self.mismatch(
                        c.span,
                        format!("`if` needs a condition, but this is a {ty}"),
                        format!("this is a {ty}"),
                        "write a comparison or a true/false value after `if`",
                    );
                }
                let t = self.expr(t, expected, bound)?;
                let f = self.expr(f, Some(&t.ty.clone()), bound)?;
                let Some(ty) = unify(&t.ty, &f.ty) else {
                    let (a, b) = (t.ty.clone(), f.ty.clone());
                    return self.mismatch(
                        f.span,
                        format!("the branches of `if` give different types: {a} and {b}"),
                        format!("this is a {b}"),
                        "both branches must give the same type",
                    );
                };
                self.typed_expr(
                    ExprKind::If(Box::new(c), Box::new(t), Box::new(f)),
                    ty,
                    span,
                )
            }
            ast::ExprKind::Call(name, args) => self.call(name, args, expected, span, bound),
            ast::ExprKind::Comprehension {
                aggregate,
                element,
                var,
                source,
                filter,
            } => {
                let agg = match aggregate.node.as_str() {
                    "sum" => Aggregate::Sum,
                    "count" => Aggregate::Count,
                    "any" => Aggregate::Any,
                    "all" => Aggregate::All,
                    "min" => Aggregate::Min,
                    "max" => Aggregate::Max,
                    "filter" => Aggregate::Filter,
                    other => {
                        return self.unknown(UnknownName {
                            code: codes::UNKNOWN_NAME,
                            what: "aggregate",
                            name: other,
                            span: aggregate.span,
                            message: format!("`{other}` cannot aggregate a list"),
                            candidates: &["sum", "count", "any", "all", "min", "max", "filter"],
                            fallback: "use sum, count, any, all, min, max or filter",
                        });
                    }
                };
                let source = self.expr(source, None, bound)?;
                let Type::List(elem_ty) = source.ty.clone() else {
                    let t = source.ty.clone();
                    return self.mismatch(
                        source.span,
                        format!("`for … in` needs a list, but this is a {t}"),
                        format!("this is a {t}"),
                        "iterate over a list fact like `victim.losses`",
                    );
                };
                let origin = self.path_of(&source, bound);
                let depth = bound.len();
                bound.push(BoundName::new(var.node.clone(), (*elem_ty).clone(), origin));
                let element = self.expr(element, None, bound);
                let filter = filter
                    .as_ref()
                    .map(|f| self.expr(f, Some(&Type::Bool), bound));
                bound.pop();
                let element = element?;
                let filter = match filter {
                    Some(None) => return None,
                    Some(Some(f)) => {
                        if f.ty != Type::Bool {
                            let t = f.ty.clone();
                            return self.mismatch(f.span, format!("the `if` of a list expression needs a condition, but this is a {t}"), format!("this is a {t}"), "write a condition after `if`");
                        }
                        Some(Box::new(f))
                    }
                    None => None,
                };
                let ty = self.aggregate_type(agg, &element.ty, element.span)?;
                self.typed_expr(
                    ExprKind::Comprehension {
                        aggregate: agg,
                        element: Box::new(element),
                        local: depth,
                        var_name: var.node.clone(),
                        source: Box::new(source),
                        filter,
                    },
                    ty,
                    span,
                )
            }
        }
    }

    /// The type of aggregating items of type `elem`; `None` (reported) when they cannot be.
    pub(super) fn aggregate_type(
        &mut self,
        agg: Aggregate,
        elem: &Type,
        span: Span,
    ) -> Option<Type> {
        let ok = match agg {
            Aggregate::Sum | Aggregate::Min | Aggregate::Max => {
                elem.is_numeric() || (agg != Aggregate::Sum && *elem == Type::Date)
            }
            Aggregate::Any | Aggregate::All => *elem == Type::Bool,
            Aggregate::Count | Aggregate::Filter => true,
        };
        if !ok {
            let what = match agg {
                Aggregate::Sum => "`sum` adds numbers or money",
                Aggregate::Min | Aggregate::Max => {
                    "`min` and `max` compare numbers, money or dates"
                }
                _ => "`any` and `all` combine conditions",
            };
            self.mismatch(
                span,
                format!("{what}, but the items are {elem}"),
                format!("each item is a {elem}"),
                "aggregate items of the right type",
            )?;
        }
        Some(match agg {
            Aggregate::Sum | Aggregate::Min | Aggregate::Max => elem.clone(),
            Aggregate::Count => Type::Integer,
            Aggregate::Any | Aggregate::All => Type::Bool,
            Aggregate::Filter => Type::List(Box::new(elem.clone())),
        })
    }

    /// A list literal: a list of provisions when it holds citations or ranges (or one is
    /// expected), otherwise a list of values of one type.
    fn list(
        &mut self,
        items: &[ListItem],
        expected: Option<&Type>,
        span: Span,
        bound: &mut Vec<BoundName>,
    ) -> Option<Expr> {
        let is_provisions = items.iter().any(|i| {
            matches!(i, ListItem::Range { .. })
                || matches!(i, ListItem::Single(e) if matches!(e.node, ast::ExprKind::Citation(_)))
        }) || expected == Some(&Type::Provisions);
        if is_provisions {
            let mut refs = Vec::new();
            for item in items {
                match item {
                    ListItem::Single(e) => match &e.node {
                        ast::ExprKind::Citation(c) => {
                            refs.push(ProvisionRef::One(self.citation(c, e.span)?))
                        }
                        _ => {
                            return self.mismatch(
                                e.span,
                                "a list of provisions holds only citations like `§2252` and ranges"
                                    .into(),
                                "not a citation".into(),
                                "write each provision as `§2252A(a)(5)` or `§2251 through §2260A`",
                            );
                        }
                    },
                    ListItem::Range { start, end } => {
                        let ast::ExprKind::Citation(s) = &start.node else {
                            return self.mismatch(
                                start.span,
                                "a range starts with a citation like `§2251`".into(),
                                "not a citation".into(),
                                "write `§2251 through §2260A`",
                            );
                        };
                        let s = self.citation(s, start.span)?;
                        let e = match &end.node {
                            RangeEnd::Citation(c) => self.citation(c, end.span)?,
                            RangeEnd::Relative(parts) => s.with_last_parts(parts),
                        };
                        match CitationRange::new(s, e) {
                            Ok(r) => refs.push(ProvisionRef::Range(r)),
                            Err(err) => {
                                let p = self
                                    .err(
                                        codes::CITATION,
                                        start.span.to(end.span),
                                        "this range of provisions is malformed",
                                        "malformed range",
                                    )
                                    .with_help(err.reason);
                                self.report(p);
                                return None;
                            }
                        }
                    }
                }
            }
            return self.typed_expr(ExprKind::Provisions(refs.into()), Type::Provisions, span);
        }
        let want_elem = match expected {
            Some(Type::List(t)) => Some((**t).clone()),
            _ => None,
        };
        let mut out = Vec::new();
        let mut ty = want_elem.clone().unwrap_or(Type::Empty);
        for item in items {
            let ListItem::Single(e) = item else { continue };
            let guide = if ty == Type::Empty {
                want_elem.as_ref()
            } else {
                Some(&ty)
            };
            let guide = guide.cloned();
            let x = self.expr(e, guide.as_ref(), bound)?;
            match unify(&ty, &x.ty) {
                Some(t) => ty = t,
                None => {
                    let (a, b) = (ty.clone(), x.ty.clone());
                    return self.mismatch(
                        x.span,
                        format!("a list holds one type, but this item is a {b} among {a}s"),
                        format!("this is a {b}"),
                        "make every item the same type",
                    );
                }
            }
            out.push(x);
        }
        let all_literal = out.iter().all(|x| matches!(x.kind, ExprKind::Literal(_)));
        if all_literal {
            let values: Vec<Value> = out
                .into_iter()
                .filter_map(|x| {
                    if let ExprKind::Literal(v) = x.kind {
                        Some(v)
                    } else {
                        None
                    }
                })
                .collect();
            return self.typed_expr(
                ExprKind::Literal(Value::List(values.into())),
                Type::List(Box::new(ty)),
                span,
            );
        }
        self.typed_expr(ExprKind::List(out), Type::List(Box::new(ty)), span)
    }

    /// A citation written in a list of provisions; `None` (reported) when malformed.
    fn citation(&mut self, text: &str, span: Span) -> Option<Citation> {
        match Citation::parse(text) {
            Ok(c) => Some(c),
            Err(err) => {
                let p = self
                    .err(
                        codes::CITATION,
                        span,
                        format!("`{text}` is not a provision citation"),
                        "malformed",
                    )
                    .with_help(err.reason);
                self.report(p);
                None
            }
        }
    }

    /// A name: the innermost bound name, else a definition, else a fact. Inside a function's
    /// body: a name bound in the body, else a parameter, and nothing else.
    fn name(
        &mut self,
        n: &ast::Ident,
        expected: Option<&Type>,
        bound: &[BoundName],
    ) -> Option<Expr> {
        let floor = self.frames.last().map_or(0, |f| f.floor);
        if let Some((depth, l)) = bound
            .iter()
            .enumerate()
            .skip(floor)
            .rev()
            .find(|(_, l)| l.name == n.node && !l.hidden)
        {
            return self.typed_expr(ExprKind::Local(depth), l.ty.clone(), n.span);
        }
        if let Some(arg) = self.parameter(&n.node, expected, bound) {
            return arg;
        }
        if let Some(frame) = self.frames.last() {
            let visible: Vec<&str> = bound
                .iter()
                .skip(floor)
                .filter(|l| !l.hidden)
                .map(|l| l.name.as_str())
                .collect();
            let message = format!(
                "`{}` is not a parameter of function `{}`",
                n.node,
                frame.name()
            );
            return self.unknown(UnknownName {
                code: codes::UNKNOWN_NAME,
                what: "name",
                name: &n.node,
                span: n.span,
                message,
                candidates: &visible,
                fallback: "a function reads only its parameters: pass the fact or definition as an argument",
            });
        }
        if let Some(&id) = self.def_ids.get(&n.node) {
            let ty = self.define(id, Some(n.span))?;
            return self.typed_expr(ExprKind::Def(id), ty, n.span);
        }
        if let Some(&i) = self.decls.fact_ids.get(&n.node) {
            let ty = self.decls.schema.facts.get(i)?.ty.clone();
            self.reads.insert(vec![i]);
            return self.typed_expr(ExprKind::Fact(i), ty, n.span);
        }
        if self.decls.table_ids.contains_key(&n.node) {
            let p = self
                .err(
                    codes::TYPE_MISMATCH,
                    n.span,
                    format!(
                        "`{}` is a data table; look a row up with `{}[key]`",
                        n.node, n.node
                    ),
                    "a table, not a value",
                )
                .with_help(format!("write `{}[key]`", n.node));
            self.report(p);
            return None;
        }
        // The definitions' names are copied out: reporting needs `self` whole.
        let definitions: Vec<String> = self.def_ids.keys().cloned().collect();
        let mut names: Vec<&str> = bound.iter().map(|l| l.name.as_str()).collect();
        names.extend(definitions.iter().map(String::as_str));
        names.extend(self.decls.fact_ids.keys().map(String::as_str));
        // A name defined only in another version is a common slip; say so.
        let elsewhere = if self.version_name.is_empty() {
            String::new()
        } else {
            format!(" in version `{}`", self.version_name)
        };
        self.unknown(UnknownName {
            code: codes::UNKNOWN_NAME,
            what: "name",
            name: &n.node,
            span: n.span,
            message: format!("`{}` is not defined{elsewhere}", n.node),
            candidates: &names,
            fallback: "define it with `rule name = …`, or declare it as a fact",
        })
    }

    /// How to fix a comparison of `l` (a `lt`) with `r` (a `rt`), which do not compare: a
    /// literal written as the wrong kind of number is rewritten as the other side's kind.
    fn compare_help(
        &self,
        l: &ast::Expr,
        r: &ast::Expr,
        lt: &Type,
        rt: &Type,
        ordered: bool,
    ) -> String {
        let name = |e: &ast::Expr| {
            let text = self.sources().snippet(e.span);
            if text.is_empty() || text.len() > 40 || text.contains('\n') {
                "the other side".to_string()
            } else {
                format!("`{text}`")
            }
        };
        for (side, other, other_ty) in [(l, r, rt), (r, l, lt)] {
            match (&side.node, other_ty) {
                (ast::ExprKind::Integer(d) | ast::ExprKind::Decimal(d), Type::Money) => {
                    return format!(
                        "{} is money; write money with a dollar sign: `${d}`",
                        name(other)
                    );
                }
                (ast::ExprKind::Money(d), Type::Integer | Type::Decimal) => {
                    return format!(
                        "{} is a number, not money; compare it with a number, e.g. `{d}`",
                        name(other)
                    );
                }
                _ => {}
            }
        }
        let kind = |t: &Type| match t {
            Type::Money => "money".to_string(),
            Type::Integer | Type::Decimal => "a number".to_string(),
            t => a_or_an(t),
        };
        if lt.is_numeric() && rt.is_numeric() {
            format!(
                "{} is {} and {} is {}; compare money with money and numbers with numbers",
                name(l),
                kind(lt),
                name(r),
                kind(rt)
            )
        } else if ordered {
            "`<`, `<=`, `>`, `>=` compare two numbers, two money amounts or two dates".to_string()
        } else {
            "compare values of the same type".to_string()
        }
    }

    /// A binary operation, typed by its operator.
    fn binary(
        &mut self,
        op: BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        bound: &mut Vec<BoundName>,
    ) -> Option<Expr> {
        // Infer the side that is not a bare text literal first, so `"defendant"` can be read as an enumeration member.
        let (lhs, rhs) = if matches!(l.node, ast::ExprKind::Text(_))
            && !matches!(r.node, ast::ExprKind::Text(_))
        {
            let rhs = self.expr(r, None, bound);
            // `"medical" in categories`: the literal is an item of the list.
            let guide = rhs.as_ref().map(|x| match (op, &x.ty) {
                (BinaryOp::In | BinaryOp::NotIn, Type::List(item)) => (**item).clone(),
                (_, t) => t.clone(),
            });
            let lhs = self.expr(l, guide.as_ref(), bound);
            (lhs?, rhs?)
        } else {
            let lhs = self.expr(l, None, bound);
            let guide = match (op, lhs.as_ref().map(|x| &x.ty)) {
                (BinaryOp::In | BinaryOp::NotIn, Some(t)) => Some(Type::List(Box::new(t.clone()))),
                (BinaryOp::And | BinaryOp::Or, _) => Some(Type::Bool),
                (_, Some(t)) => Some(t.clone()),
                _ => None,
            };
            let rhs = self.expr(r, guide.as_ref(), bound);
            (lhs?, rhs?)
        };
        let (lt, rt) = (lhs.ty.clone(), rhs.ty.clone());
        let sym = op.symbol();
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for side in [&lhs, &rhs] {
                    if side.ty != Type::Bool {
                        let t = side.ty.clone();
                        return self.mismatch(
                            side.span,
                            format!("`{sym}` joins conditions, but this is a {t}"),
                            format!("this is a {t}"),
                            "both sides must be true/false conditions",
                        );
                    }
                }
                let kind = if op == BinaryOp::And {
                    ExprKind::And(Box::new(lhs), Box::new(rhs))
                } else {
                    ExprKind::Or(Box::new(lhs), Box::new(rhs))
                };
                self.typed_expr(kind, Type::Bool, span)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                let comparable =
                    unify(&lt, &rt).is_some_and(|t| !ordered || t.is_numeric() || t == Type::Date);
                if !comparable {
                    let help = self.compare_help(l, r, &lt, &rt, ordered);
                    return self.mismatch(
                        span,
                        format!("cannot compare {lt} with {rt} using `{sym}`"),
                        format!("{lt} {sym} {rt}"),
                        &help,
                    );
                }
                let c = match op {
                    BinaryOp::Eq => Compare::Eq,
                    BinaryOp::Ne => Compare::Ne,
                    BinaryOp::Lt => Compare::Lt,
                    BinaryOp::Le => Compare::Le,
                    BinaryOp::Gt => Compare::Gt,
                    _ => Compare::Ge,
                };
                self.typed_expr(
                    ExprKind::Compare(c, Box::new(lhs), Box::new(rhs)),
                    Type::Bool,
                    span,
                )
            }
            BinaryOp::Within => {
                if lt != Type::Citation || !matches!(rt, Type::Citation | Type::Provisions) {
                    return self.mismatch(span, format!("`within` asks whether a citation lies in a provision or list of provisions, not {lt} within {rt}"), format!("{lt} within {rt}"), "write `conviction.section within §2252A(a)` or `… within [§2251 through §2260A]`");
                }
                self.typed_expr(
                    ExprKind::Within(Box::new(lhs), Box::new(rhs)),
                    Type::Bool,
                    span,
                )
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let ok = matches!(&rt, Type::List(inner) if unify(inner, &lt).is_some());
                if !ok {
                    return self.mismatch(span, format!("`{sym}` asks whether a value is in a list, not {lt} {sym} {rt}"), format!("{lt} {sym} {rt}"), "the right side must be a list of the left side's type; for citations use `within`");
                }
                self.typed_expr(
                    ExprKind::In {
                        item: Box::new(lhs),
                        list: Box::new(rhs),
                        negated: op == BinaryOp::NotIn,
                    },
                    Type::Bool,
                    span,
                )
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let a = match op {
                    BinaryOp::Add => Arith::Add,
                    BinaryOp::Sub => Arith::Sub,
                    BinaryOp::Mul => Arith::Mul,
                    _ => Arith::Div,
                };
                // The days between two dates; a date and a number have no sum (days, months or
                // years?), so `add_days` and its kin say which.
                if (a, &lt, &rt) == (Arith::Sub, &Type::Date, &Type::Date) {
                    return self.typed_expr(
                        ExprKind::Dates(DateCalc::Difference, vec![lhs, rhs]),
                        Type::Integer,
                        span,
                    );
                }
                let Some(ty) = arith_type(a, &lt, &rt) else {
                    let help = match (a, &lt, &rt) {
                        (Arith::Add | Arith::Sub, Type::Money, t)
                        | (Arith::Add | Arith::Sub, t, Type::Money)
                            if t.is_numeric() =>
                        {
                            "money adds only to money: write the number as money, like `$3,000`"
                        }
                        (Arith::Mul, Type::Money, Type::Money) => {
                            "money times money has no meaning; multiply money by a number or ratio"
                        }
                        (_, Type::List(_), _) | (_, _, Type::List(_)) => {
                            "lists do not add or join: aggregate each one, `sum(l.amount for l in a) + sum(l.amount for l in b)`, or `any(…)` over each"
                        }
                        (_, Type::Date, _) | (_, _, Type::Date) => {
                            "a date minus a date is the days between them; to move a date, write `add_days(d, n)`, `add_months(d, n)` or `add_years(d, n)`"
                        }
                        _ => {
                            "arithmetic works on numbers and money: money ± money, money × number, money ÷ number, money ÷ money"
                        }
                    };
                    return self.mismatch(
                        span,
                        format!("cannot compute {lt} {sym} {rt}"),
                        format!("{lt} {sym} {rt}"),
                        help,
                    );
                };
                self.typed_expr(ExprKind::Arith(a, Box::new(lhs), Box::new(rhs)), ty, span)
            }
        }
    }
}

/// Whether a value of type `have` may stand where `want` is expected.
pub(super) fn fits(have: &Type, want: &Type) -> bool {
    unify(have, want).as_ref() == Some(want)
}

/// The common type of two values that meet (branches, list items, comparisons).
pub(super) fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        _ if a == b => Some(a.clone()),
        (Type::Empty, t) | (t, Type::Empty) => Some(t.clone()),
        (Type::Integer, Type::Decimal) | (Type::Decimal, Type::Integer) => Some(Type::Decimal),
        (Type::List(x), Type::List(y)) => unify(x, y).map(|t| Type::List(Box::new(t))),
        _ => None,
    }
}

/// The type of `l op r`, or `None` when the arithmetic has no meaning.
fn arith_type(op: Arith, l: &Type, r: &Type) -> Option<Type> {
    match (op, l, r) {
        (Arith::Add | Arith::Sub, Type::Money, Type::Money) => Some(Type::Money),
        (Arith::Mul, Type::Money, Type::Integer | Type::Decimal)
        | (Arith::Mul, Type::Integer | Type::Decimal, Type::Money) => Some(Type::Money),
        (Arith::Div, Type::Money, Type::Integer | Type::Decimal) => Some(Type::Money),
        (Arith::Div, Type::Money, Type::Money) => Some(Type::Decimal),
        (Arith::Div, Type::Integer | Type::Decimal, Type::Integer | Type::Decimal) => {
            Some(Type::Decimal)
        }
        (_, Type::Integer, Type::Integer) => Some(Type::Integer),
        (_, Type::Integer | Type::Decimal, Type::Integer | Type::Decimal) => Some(Type::Decimal),
        _ => None,
    }
}

/// A type's name with its article: "a date", "an integer", "money".
pub(super) fn a_or_an(t: &Type) -> String {
    let name = t.to_string();
    if *t == Type::Money {
        name
    } else if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}
