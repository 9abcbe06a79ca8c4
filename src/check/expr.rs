use super::version::VersionChecker;
use super::{Reporter, UnknownName, codes};
use crate::citation::{Citation, CitationRange, ProvisionRef};
use crate::diagnostic::nearest;
use crate::program::{Aggregate, Arith, Compare, Expr, ExprKind};
use crate::source::Span;
use crate::syntax::ast::{self, BinaryOp, ExprKind as A, ListItem, RangeEnd, UnaryOp};
use crate::value::{Type, Value};
use std::sync::Arc;

/// A variable bound by a list expression.
pub(super) struct Local {
    name: String,
    ty: Type,
    /// The fact path the bound elements come from, for the `disregard` check.
    origin: Option<Vec<usize>>,
}

impl<'c, 's, 'a> VersionChecker<'c, 's, 'a> {
    pub(super) fn mismatch(
        &mut self,
        span: Span,
        message: String,
        label: String,
        help: &str,
    ) -> Option<Expr> {
        let p = self
            .cx
            .err(codes::TYPE_MISMATCH, span, message, label)
            .with_help(help.to_string());
        self.report(p);
        None
    }

    pub(super) fn mk(&mut self, kind: ExprKind, ty: Type, span: Span) -> Option<Expr> {
        let id = self.cx.next_expr_id;
        self.cx.next_expr_id = id.saturating_add(1);
        Some(Expr { kind, ty, span, id })
    }

    /// The fact path an expression reads, when it is a chain of fields on a fact.
    pub(super) fn path_of(&self, e: &Expr, locals: &[Local]) -> Option<Vec<usize>> {
        match &e.kind {
            ExprKind::Fact(i) => Some(vec![*i]),
            ExprKind::Local(d) => locals.get(*d).and_then(|l| l.origin.clone()),
            ExprKind::Field(inner, f) => {
                let mut p = self.path_of(inner, locals)?;
                p.push(*f);
                Some(p)
            }
            _ => None,
        }
    }

    /// Compiles an expression. `expected` only guides literals (`"defendant"` as an enumeration member).
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr,
        expected: Option<&Type>,
        locals: &mut Vec<Local>,
    ) -> Option<Expr> {
        let span = e.span;
        match &e.node {
            A::Bool(b) => self.mk(ExprKind::Literal(Value::Bool(*b)), Type::Bool, span),
            A::Integer(d) => {
                let ty = if expected == Some(&Type::Decimal) {
                    Type::Decimal
                } else {
                    Type::Integer
                };
                self.mk(ExprKind::Literal(Value::Number(*d)), ty, span)
            }
            A::Decimal(d) => self.mk(ExprKind::Literal(Value::Number(*d)), Type::Decimal, span),
            A::Money(d) => self.mk(ExprKind::Literal(Value::Number(*d)), Type::Money, span),
            A::Date(d) => self.mk(ExprKind::Literal(Value::Date(*d)), Type::Date, span),
            A::Text(t) => {
                if let Some(Type::Enum(id)) = expected {
                    let en = self.decls.schema.enums.get(*id)?;
                    return match en.members.iter().position(|m| m == t) {
                        Some(i) => self.mk(
                            ExprKind::Literal(Value::Enum(u32::try_from(i).ok()?)),
                            Type::Enum(*id),
                            span,
                        ),
                        None => {
                            let members: Vec<&str> =
                                en.members.iter().map(String::as_str).collect();
                            let p = self
                                .cx
                                .err(
                                    codes::TYPE_MISMATCH,
                                    span,
                                    format!("`{t}` is not a member of `{}`", en.name),
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
                self.mk(
                    ExprKind::Literal(Value::Text(t.as_str().into())),
                    Type::Text,
                    span,
                )
            }
            A::Citation(c) => match Citation::parse(c) {
                Ok(c) => self.mk(
                    ExprKind::Literal(Value::Citation(Arc::new(c))),
                    Type::Citation,
                    span,
                ),
                Err(err) => {
                    let p = self
                        .cx
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
            A::List(items) => self.list(items, expected, span, locals),
            A::Name(n) => self.name(n, locals),
            A::Field(inner, field) => {
                let inner = self.expr(inner, None, locals)?;
                let Type::Record(rid) = inner.ty else {
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
                let rec = self.decls.schema.records.get(rid)?;
                match rec.fields.iter().position(|f| f.name == field.node) {
                    Some(i) => {
                        let ty = rec.fields.get(i)?.ty.clone();
                        let out = self.mk(ExprKind::Field(Box::new(inner), i), ty, span)?;
                        if let Some(p) = self.path_of(&out, locals) {
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
            A::Index(target, key) => {
                let A::Name(n) = &target.node else {
                    return self.mismatch(
                        span,
                        "only data tables can be looked up with `[…]`".into(),
                        "not a table".into(),
                        "write `table_name[key]`",
                    );
                };
                let Some(&tid) = self.decls.table_ids.get(&n.node) else {
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
                let table = self.decls.tables.get(tid)?;
                let (key_ty, value_ty) = (table.key_ty.clone(), table.value_ty.clone());
                let key = self.expr(key, Some(&key_ty), locals)?;
                if !fits(&key.ty, &key_ty) {
                    let kt = key.ty.clone();
                    return self.mismatch(
                        key.span,
                        format!("table `{}` is keyed by {key_ty}, not {kt}", n.node),
                        format!("this is a {kt}"),
                        "look the table up by a key of its key type",
                    );
                }
                self.mk(ExprKind::Table(tid, Box::new(key)), value_ty, span)
            }
            A::Unary(op, inner) => {
                let inner = self.expr(inner, None, locals)?;
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
                        self.mk(ExprKind::Not(Box::new(inner)), Type::Bool, span)
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
                        self.mk(ExprKind::Neg(Box::new(inner)), ty, span)
                    }
                }
            }
            A::Binary(op, l, r) => self.binary(*op, l, r, span, locals),
            A::If(c, t, f) => {
                let c = self.expr(c, Some(&Type::Bool), locals)?;
                if c.ty != Type::Bool {
                    let ty = c.ty.clone();
                    return self.mismatch(
                        c.span,
                        format!("`if` needs a condition, but this is a {ty}"),
                        format!("this is a {ty}"),
                        "write a comparison or a true/false value after `if`",
                    );
                }
                let t = self.expr(t, expected, locals)?;
                let f = self.expr(f, Some(&t.ty.clone()), locals)?;
                let Some(ty) = unify(&t.ty, &f.ty) else {
                    let (a, b) = (t.ty.clone(), f.ty.clone());
                    return self.mismatch(
                        f.span,
                        format!("the branches of `if` give different types: {a} and {b}"),
                        format!("this is a {b}"),
                        "both branches must give the same type",
                    );
                };
                self.mk(
                    ExprKind::If(Box::new(c), Box::new(t), Box::new(f)),
                    ty,
                    span,
                )
            }
            A::Call(name, args) => self.call(name, args, expected, span, locals),
            A::Comprehension {
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
                let source = self.expr(source, None, locals)?;
                let Type::List(elem_ty) = source.ty.clone() else {
                    let t = source.ty.clone();
                    return self.mismatch(
                        source.span,
                        format!("`for … in` needs a list, but this is a {t}"),
                        format!("this is a {t}"),
                        "iterate over a list fact like `victim.losses`",
                    );
                };
                let origin = self.path_of(&source, locals);
                let depth = locals.len();
                locals.push(Local {
                    name: var.node.clone(),
                    ty: (*elem_ty).clone(),
                    origin,
                });
                let element = self.expr(element, None, locals);
                let filter = filter
                    .as_ref()
                    .map(|f| self.expr(f, Some(&Type::Bool), locals));
                locals.pop();
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
                self.mk(
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

    fn list(
        &mut self,
        items: &[ListItem],
        expected: Option<&Type>,
        span: Span,
        locals: &mut Vec<Local>,
    ) -> Option<Expr> {
        let is_provisions = items.iter().any(|i| {
            matches!(i, ListItem::Range { .. })
                || matches!(i, ListItem::Single(e) if matches!(e.node, A::Citation(_)))
        }) || expected == Some(&Type::Provisions);
        if is_provisions {
            let mut refs = Vec::new();
            for item in items {
                match item {
                    ListItem::Single(e) => match &e.node {
                        A::Citation(c) => refs.push(ProvisionRef::One(self.citation(c, e.span)?)),
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
                        let A::Citation(s) = &start.node else {
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
                                    .cx
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
            return self.mk(ExprKind::Provisions(refs.into()), Type::Provisions, span);
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
            let x = self.expr(e, guide.as_ref(), locals)?;
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
            return self.mk(
                ExprKind::Literal(Value::List(values.into())),
                Type::List(Box::new(ty)),
                span,
            );
        }
        self.mk(ExprKind::List(out), Type::List(Box::new(ty)), span)
    }

    fn citation(&mut self, text: &str, span: Span) -> Option<Citation> {
        match Citation::parse(text) {
            Ok(c) => Some(c),
            Err(err) => {
                let p = self
                    .cx
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

    fn name(&mut self, n: &ast::Ident, locals: &[Local]) -> Option<Expr> {
        if let Some((depth, l)) = locals
            .iter()
            .enumerate()
            .rev()
            .find(|(_, l)| l.name == n.node)
        {
            return self.mk(ExprKind::Local(depth), l.ty.clone(), n.span);
        }
        if let Some(&id) = self.def_ids.get(&n.node) {
            let ty = self.define(id, Some(n.span))?;
            return self.mk(ExprKind::Def(id), ty, n.span);
        }
        if let Some(&i) = self.decls.fact_ids.get(&n.node) {
            let ty = self.decls.schema.facts.get(i)?.ty.clone();
            self.reads.insert(vec![i]);
            return self.mk(ExprKind::Fact(i), ty, n.span);
        }
        if self.decls.table_ids.contains_key(&n.node) {
            let p = self
                .cx
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
        let mut names: Vec<&str> = locals.iter().map(|l| l.name.as_str()).collect();
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

    fn binary(
        &mut self,
        op: BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        locals: &mut Vec<Local>,
    ) -> Option<Expr> {
        // Infer the side that is not a bare text literal first, so `"defendant"` can be read as an enumeration member.
        let (lhs, rhs) = if matches!(l.node, A::Text(_)) && !matches!(r.node, A::Text(_)) {
            let rhs = self.expr(r, None, locals);
            let guide = rhs.as_ref().map(|x| x.ty.clone());
            let lhs = self.expr(l, guide.as_ref(), locals);
            (lhs?, rhs?)
        } else {
            let lhs = self.expr(l, None, locals);
            let guide = match (op, lhs.as_ref().map(|x| &x.ty)) {
                (BinaryOp::In | BinaryOp::NotIn, Some(t)) => Some(Type::List(Box::new(t.clone()))),
                (BinaryOp::And | BinaryOp::Or, _) => Some(Type::Bool),
                (_, Some(t)) => Some(t.clone()),
                _ => None,
            };
            let rhs = self.expr(r, guide.as_ref(), locals);
            (lhs?, rhs?)
        };
        let (lt, rt) = (lhs.ty.clone(), rhs.ty.clone());
        let sym = op.symbol();
        let bx = Box::new;
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
                    ExprKind::And(bx(lhs), bx(rhs))
                } else {
                    ExprKind::Or(bx(lhs), bx(rhs))
                };
                self.mk(kind, Type::Bool, span)
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
                    let help = if (lt == Type::Money && rt.is_numeric())
                        || (rt == Type::Money && lt.is_numeric())
                    {
                        "write money with a dollar sign, like `$0` or `$3,000`"
                    } else if ordered {
                        "`<`, `<=`, `>`, `>=` compare two numbers, two money amounts or two dates"
                    } else {
                        "compare values of the same type"
                    };
                    return self.mismatch(
                        span,
                        format!("cannot compare {lt} with {rt} using `{sym}`"),
                        format!("{lt} {sym} {rt}"),
                        help,
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
                self.mk(ExprKind::Compare(c, bx(lhs), bx(rhs)), Type::Bool, span)
            }
            BinaryOp::Within => {
                if lt != Type::Citation || !matches!(rt, Type::Citation | Type::Provisions) {
                    return self.mismatch(span, format!("`within` asks whether a citation lies in a provision or list of provisions, not {lt} within {rt}"), format!("{lt} within {rt}"), "write `conviction.section within §2252A(a)` or `… within [§2251 through §2260A]`");
                }
                self.mk(ExprKind::Within(bx(lhs), bx(rhs)), Type::Bool, span)
            }
            BinaryOp::In | BinaryOp::NotIn => {
                let ok = matches!(&rt, Type::List(inner) if unify(inner, &lt).is_some());
                if !ok {
                    return self.mismatch(span, format!("`{sym}` asks whether a value is in a list, not {lt} {sym} {rt}"), format!("{lt} {sym} {rt}"), "the right side must be a list of the left side's type; for citations use `within`");
                }
                self.mk(
                    ExprKind::In {
                        item: bx(lhs),
                        list: bx(rhs),
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
                self.mk(ExprKind::Arith(a, bx(lhs), bx(rhs)), ty, span)
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
    use Type::*;
    match (op, l, r) {
        (Arith::Add | Arith::Sub, Money, Money) => Some(Money),
        (Arith::Mul, Money, Integer | Decimal) | (Arith::Mul, Integer | Decimal, Money) => {
            Some(Money)
        }
        (Arith::Div, Money, Integer | Decimal) => Some(Money),
        (Arith::Div, Money, Money) => Some(Decimal),
        (Arith::Div, Integer | Decimal, Integer | Decimal) => Some(Decimal),
        (_, Integer, Integer) => Some(Integer),
        (_, Integer | Decimal, Integer | Decimal) => Some(Decimal),
        _ => None,
    }
}
