//! Calls of the built-in functions: `min`, `max`, `year`, `round`, `given`, `count`, `sum`,
//! `any`, `all`.

use super::expr::{BoundName, unify};
use super::version::VersionChecker;
use super::{Reporter, UnknownName, codes};
use crate::program::{Aggregate, DateCalc, DayRounding, Expr, ExprKind, Rounding};
use crate::source::Span;
use crate::syntax::ast;
use crate::value::Type;

impl<'c, 's, 'a> VersionChecker<'c, 's, 'a> {
    /// A call of a built-in function; each has its own arity and argument types.
    pub(super) fn call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        expected: Option<&Type>,
        span: Span,
        bound: &mut Vec<BoundName>,
    ) -> Option<Expr> {
        let arity = |this: &mut Self, want: &str| {
            let p = this
                .err(
                    codes::ARITY,
                    span,
                    format!("`{}` takes {want}, but {} given", name.node, args.len()),
                    "wrong number of arguments",
                )
                .with_help(format!(
                    "call it as {}",
                    match name.node.as_str() {
                        "min" | "max" => "`min(a, b, …)`",
                        "year" => "`year(date)`",
                        "month" => "`month(date)`",
                        "day" => "`day(date)`",
                        "add_days" => "`add_days(date, days)`",
                        "add_months" | "add_years" =>
                            "`add_years(date, years)` or `add_years(date, years, round_up)`",
                        "round" => "`round(amount, cents, half_away_from_zero)`",
                        "given" => "`given(fact)`",
                        _ => "`count(list)`",
                    }
                ));
            // Unlike the rule's other problems, a wrong number of arguments is reported
            // without the citation of the rule's provision.
            this.checker.report(p);
            None
        };
        match name.node.as_str() {
            "min" | "max" => {
                if args.len() < 2 {
                    return arity(self, "two or more arguments");
                }
                let mut out = Vec::new();
                let mut ty: Option<Type> = None;
                for a in args {
                    let x = self.expr(a, ty.as_ref().or(expected), bound)?;
                    let t = x.ty.clone();
                    let joined = match &ty {
                        None => Some(t.clone()),
                        Some(prev) => unify(prev, &t),
                    };
                    match joined {
                        Some(j) if j.is_numeric() || j == Type::Date => ty = Some(j),
                        _ => {
                            let prev = ty.clone().unwrap_or(t.clone());
                            return self.mismatch(x.span, format!("`{}` compares numbers, money or dates of one kind, but got {prev} and {t}", name.node), format!("this is a {t}"), "write every argument as the same kind, e.g. all money: `max($0, x)`");
                        }
                    }
                    out.push(x);
                }
                let ty = ty?;
                let kind = if name.node == "min" {
                    ExprKind::Min(out)
                } else {
                    ExprKind::Max(out)
                };
                self.typed_expr(kind, ty, span)
            }
            "year" => {
                let [arg] = args else {
                    return arity(self, "one argument");
                };
                let x = self.expr(arg, None, bound)?;
                if x.ty != Type::Date {
                    let t = x.ty.clone();
                    return self.mismatch(
                        x.span,
                        format!("`year` needs a date, but this is a {t}"),
                        format!("this is a {t}"),
                        "pass a date fact like `order_date`",
                    );
                }
                self.typed_expr(ExprKind::Year(Box::new(x)), Type::Integer, span)
            }
            "month" | "day" => {
                let [arg] = args else {
                    return arity(self, "one argument");
                };
                let x = self.date_argument(name, arg, bound)?;
                let calc = if name.node == "month" {
                    DateCalc::Month
                } else {
                    DateCalc::Day
                };
                self.typed_expr(ExprKind::Dates(calc, vec![x]), Type::Integer, span)
            }
            "add_days" | "add_months" | "add_years" => {
                let (date, n, rounding) = match args {
                    [d, n] => (d, n, None),
                    [d, n, r] if name.node != "add_days" => (d, n, Some(r)),
                    _ if name.node == "add_days" => return arity(self, "two arguments"),
                    _ => return arity(self, "two or three arguments"),
                };
                let d = self.date_argument(name, date, bound)?;
                let n = self.expr(n, Some(&Type::Integer), bound)?;
                if n.ty != Type::Integer {
                    let t = n.ty.clone();
                    return self.mismatch(
                        n.span,
                        format!("`{}` adds a whole number, but this is a {t}", name.node),
                        format!("this is a {t}"),
                        "write an integer, like `90` or `-1`",
                    );
                }
                let rounding = match rounding {
                    None => None,
                    Some(r) => Some(match &r.node {
                        ast::ExprKind::Name(x) if x.node == "round_down" => DayRounding::Down,
                        ast::ExprKind::Name(x) if x.node == "round_up" => DayRounding::Up,
                        other => {
                            let written = if let ast::ExprKind::Name(x) = other {
                                x.node.clone()
                            } else {
                                String::new()
                            };
                            return self.unknown(UnknownName {
                                code: codes::UNKNOWN_NAME,
                                what: "rounding",
                                name: &written,
                                span: r.span,
                                message: "unknown rounding of a day the month does not have".into(),
                                candidates: &["round_down", "round_up"],
                                fallback: "write `round_down` (the last day of the month) or `round_up` (the first day of the next)",
                            });
                        }
                    }),
                };
                let calc = match name.node.as_str() {
                    "add_days" => DateCalc::AddDays,
                    "add_months" => DateCalc::AddMonths(rounding),
                    _ => DateCalc::AddYears(rounding),
                };
                self.typed_expr(ExprKind::Dates(calc, vec![d, n]), Type::Date, span)
            }
            "round" => {
                let [value, unit, mode] = args else {
                    return arity(self, "three arguments");
                };
                let x = self.expr(value, None, bound)?;
                if !matches!(x.ty, Type::Money | Type::Decimal) {
                    let t = x.ty.clone();
                    return self.mismatch(
                        x.span,
                        format!("`round` needs money or a decimal, but this is a {t}"),
                        format!("this is a {t}"),
                        "round an amount",
                    );
                }
                let places = match &unit.node {
                    ast::ExprKind::Name(n) if n.node == "cents" => 2,
                    ast::ExprKind::Name(n) if n.node == "dollars" => 0,
                    _ => {
                        let p = self
                            .err(
                                codes::UNKNOWN_NAME,
                                unit.span,
                                "`round` rounds to `cents` or `dollars`",
                                "unknown unit",
                            )
                            .with_help("write `round(amount, cents, half_away_from_zero)`");
                        self.report(p);
                        return None;
                    }
                };
                let modes = [
                    "half_away_from_zero",
                    "half_even",
                    "toward_zero",
                    "away_from_zero",
                ];
                let mode = match &mode.node {
                    ast::ExprKind::Name(n) if n.node == "half_away_from_zero" => {
                        Rounding::HalfAwayFromZero
                    }
                    ast::ExprKind::Name(n) if n.node == "half_even" => Rounding::HalfEven,
                    ast::ExprKind::Name(n) if n.node == "toward_zero" => Rounding::TowardZero,
                    ast::ExprKind::Name(n) if n.node == "away_from_zero" => Rounding::AwayFromZero,
                    other => {
                        let written = if let ast::ExprKind::Name(n) = other {
                            n.node.clone()
                        } else {
                            String::new()
                        };
                        return self.unknown(UnknownName {
                            code: codes::UNKNOWN_NAME,
                            what: "mode",
                            name: &written,
                            span: mode.span,
                            message: "unknown rounding mode".into(),
                            candidates: &modes,
                            fallback: &format!("the modes are: {}", modes.join(", ")),
                        });
                    }
                };
                let ty = x.ty.clone();
                self.typed_expr(
                    ExprKind::Round {
                        value: Box::new(x),
                        places,
                        mode,
                    },
                    ty,
                    span,
                )
            }
            "given" => {
                let [arg] = args else {
                    return arity(self, "one argument");
                };
                let x = self.expr(arg, None, bound)?;
                if self.path_of(&x, bound).is_none() {
                    return self.mismatch(
                        x.span,
                        "`given` asks whether a fact was given, so it takes a fact".into(),
                        "not a fact".into(),
                        "write `given(court.relative_role_amount)`",
                    );
                }
                self.typed_expr(ExprKind::Given(Box::new(x)), Type::Bool, span)
            }
            "count" | "sum" | "any" | "all" => {
                let [arg] = args else {
                    return arity(self, "one argument");
                };
                let x = self.expr(arg, None, bound)?;
                let Type::List(elem) = x.ty.clone() else {
                    let t = x.ty.clone();
                    return self.mismatch(
                        x.span,
                        format!("`{}` needs a list, but this is a {t}", name.node),
                        format!("this is a {t}"),
                        "pass a list, or write `sum(x.amount for x in list)`",
                    );
                };
                let agg = match name.node.as_str() {
                    "count" => Aggregate::Count,
                    "sum" => Aggregate::Sum,
                    "any" => Aggregate::Any,
                    _ => Aggregate::All,
                };
                let ty = self.aggregate_type(agg, &elem, x.span)?;
                self.typed_expr(ExprKind::AggregateList(agg, Box::new(x)), ty, span)
            }
            other if self.decls.functions.contains_key(other) => {
                self.call_function(name, args, expected, span, bound)
            }
            other => self.unknown(UnknownName {
                code: codes::UNKNOWN_NAME,
                what: "function",
                name: other,
                span: name.span,
                message: format!("there is no function `{other}`"),
                candidates: &super::functions::BUILT_INS,
                fallback: "the functions are min, max, year, month, day, add_days, add_months, add_years, round, given, count, sum, any, all",
            }),
        }
    }

    /// An argument that must be a date.
    fn date_argument(
        &mut self,
        name: &ast::Ident,
        arg: &ast::Expr,
        bound: &mut Vec<BoundName>,
    ) -> Option<Expr> {
        let x = self.expr(arg, Some(&Type::Date), bound)?;
        if x.ty != Type::Date {
            let t = x.ty.clone();
            return self.mismatch(
                x.span,
                format!("`{}` needs a date, but this is a {t}", name.node),
                format!("this is a {t}"),
                "pass a date, like a date fact `offense_date` or `2018-12-07`",
            );
        }
        Some(x)
    }
}
