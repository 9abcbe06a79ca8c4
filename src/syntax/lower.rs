//! Lowering: pest's pairs to the AST, one function per grammar rule. Expressions go through a
//! Pratt parser (the precedence table, loosest first); every node gets its [`Span`] here.

use super::ast::{self, Expr, ExprKind, Ident, Item, ListItem, ProvisionItem, RangeEnd, Spanned};
use super::error::describe_rule;
use super::grammar::Rule;
use super::{MAX_CHAIN_LEN, MAX_EXPR_DEPTH, ParseError};
use crate::citation::Citation;
use crate::source::{FileId, Span};
use miette::NamedSource;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use rust_decimal::Decimal;
use std::sync::LazyLock;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left)
            | Op::infix(Rule::within_op, Assoc::Left)
            | Op::infix(Rule::in_op, Assoc::Left)
            | Op::infix(Rule::not_in_op, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
});

/// Lowering: one function per grammar rule, from pest pairs to AST nodes.
pub(super) struct Lower<'a> {
    pub(super) file: FileId,
    pub(super) name: &'a str,
    pub(super) text: &'a str,
}

type Result<T, E = ParseError> = std::result::Result<T, E>;

impl Lower<'_> {
    /// The span of `pair`, ending at its last token: a pair whose grammar rule ends in an
    /// optional part (`rule x = 1` then no `when`) also holds the spaces and comments pest
    /// skipped while looking for it, and an underline must not run on to the next line.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(
            self.file,
            s.start(),
            token_end(self.text, s.start(), s.end()),
        )
    }

    fn literal_error(&self, span: Span, message: String, help: &str) -> ParseError {
        ParseError::Literal {
            message,
            help: help.to_string(),
            src: NamedSource::new(self.name, self.text.to_string()),
            at: span.into(),
        }
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(&pair))
    }

    fn string(&self, pair: Pair<Rule>) -> String {
        string_value(pair.into_inner().next().map(|p| p.as_str()).unwrap_or(""))
    }

    pub(super) fn item(&self, pair: Pair<Rule>) -> Result<Item> {
        let span = self.span(&pair);
        let grammar_rule = pair.as_rule();
        let mut inner = pair.into_inner();
        Ok(match grammar_rule {
            Rule::import => {
                let s = inner.next().map(|p| (self.span(&p), self.string(p)));
                let (sp, path) = s.unwrap_or((span, String::new()));
                Item::Import(Spanned::new(path, sp))
            }
            Rule::statute => {
                let citation = inner
                    .next()
                    .map(|p| Spanned::new(self.string(p.clone()), self.span(&p)))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                let title = inner.next().map(|p| self.string(p));
                Item::Statute(ast::Statute {
                    citation,
                    title,
                    span,
                })
            }
            Rule::version => {
                let mut name = None;
                let mut effective = None;
                let mut enacted_by = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::date_lit => {
                            effective = Some(Spanned::new(self.date(&p)?, self.span(&p)))
                        }
                        Rule::string => enacted_by = Some(self.string(p)),
                        _ => {}
                    }
                }
                match (name, effective) {
                    (Some(name), Some(effective)) => Item::Version(ast::Version {
                        name,
                        effective,
                        enacted_by,
                    }),
                    _ => {
                        return Err(self.literal_error(
                            span,
                            "incomplete version".into(),
                            "write `version name from YYYY-MM-DD`",
                        ));
                    }
                }
            }
            Rule::version_selector => {
                let mut fact = None;
                let mut notes = Vec::new();
                let mut refuse_earlier = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => fact = Some(self.ident(p)),
                        Rule::refuse_earlier => {
                            refuse_earlier = p
                                .into_inner()
                                .find(|q| q.as_rule() == Rule::string)
                                .map(|s| self.string(s))
                        }
                        Rule::note => notes.extend(p.into_inner().next().map(|s| self.string(s))),
                        _ => {}
                    }
                }
                Item::VersionSelector(ast::VersionSelector {
                    fact: fact.unwrap_or_else(|| Spanned::new(String::new(), span)),
                    refuse_earlier,
                    notes,
                    span,
                })
            }
            Rule::facts_block => Item::Facts(inner.map(|p| self.field(p)).collect::<Result<_>>()?),
            Rule::outcomes_block => Item::Outcomes(
                inner
                    .map(|p| {
                        let mut parts = p.into_inner();
                        let name = self.next_ident(&mut parts, span);
                        let ty = self.type_expr(parts.next(), span);
                        let description = parts.next().map(|s| self.string(s));
                        Ok(ast::Outcome {
                            name,
                            ty,
                            description,
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
            Rule::enum_decl => {
                let name = self.next_ident(&mut inner, span);
                let members = inner.map(|p| self.ident(p)).collect();
                Item::Enum(ast::EnumDecl { name, members })
            }
            Rule::record_decl => {
                let name = self.next_ident(&mut inner, span);
                let fields = inner.map(|p| self.field(p)).collect::<Result<_>>()?;
                Item::Record(ast::RecordDecl { name, fields })
            }
            Rule::table_decl => {
                let name = self.next_ident(&mut inner, span);
                let from = inner
                    .peek()
                    .is_some_and(|p| p.as_rule() == Rule::table_from);
                if from {
                    inner.next();
                }
                let key_ty = self.type_expr(inner.next(), span);
                let value_ty = self.type_expr(inner.next(), span);
                let mut description = None;
                let mut source = String::new();
                let mut rows = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::string => description = Some(self.string(p)),
                        Rule::source => {
                            source = p
                                .into_inner()
                                .next()
                                .map(|s| self.string(s))
                                .unwrap_or_default()
                        }
                        Rule::table_row => {
                            let row_span = self.span(&p);
                            let mut kv = p.into_inner();
                            let (Some(k), Some(v)) = (kv.next(), kv.next()) else {
                                return Err(self.literal_error(
                                    row_span,
                                    "incomplete table row".into(),
                                    "write `key => value`",
                                ));
                            };
                            let cites = kv.next().and_then(|c| {
                                let s = c.into_inner().find(|q| q.as_rule() == Rule::string)?;
                                let span = self.span(&s);
                                Some(ast::Spanned {
                                    node: self.string(s),
                                    span,
                                })
                            });
                            rows.push(ast::TableRow {
                                key: self.top_expr(k)?,
                                value: self.top_expr(v)?,
                                cites,
                            });
                        }
                        _ => {}
                    }
                }
                Item::Table(ast::TableDecl {
                    name,
                    key_ty,
                    value_ty,
                    description,
                    source,
                    from,
                    rows,
                })
            }
            Rule::function_decl => {
                let mut name = None;
                let mut params = Vec::new();
                let mut ty = None;
                let mut description = None;
                let mut body = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::param => {
                            let pspan = self.span(&p);
                            let mut parts = p.into_inner();
                            let pname = self.next_ident(&mut parts, pspan);
                            let pty = self.type_expr(parts.next(), pspan);
                            params.push((pname, pty));
                        }
                        Rule::string => description = Some(self.string(p)),
                        Rule::expr => body = Some(self.top_expr(p)?),
                        Rule::kw_function => {}
                        _ => ty = Some(self.type_expr(Some(p), span)),
                    }
                }
                let (Some(name), Some(ty), Some(body)) = (name, ty, body) else {
                    return Err(self.literal_error(
                        span,
                        "incomplete function".into(),
                        "write `function name(param: type): type = expression`",
                    ));
                };
                Item::Function(ast::FunctionDecl {
                    name,
                    params,
                    ty,
                    description,
                    body,
                    span,
                })
            }
            Rule::provision => Item::Provision(self.provision(span, inner)?),
            other => {
                return Err(self.literal_error(
                    span,
                    format!("unexpected {}", describe_rule(other)),
                    "check the syntax against the tour in README.md",
                ));
            }
        })
    }

    fn next_ident(&self, inner: &mut Pairs<Rule>, fallback: Span) -> Ident {
        inner
            .next()
            .map(|p| self.ident(p))
            .unwrap_or_else(|| Spanned::new(String::new(), fallback))
    }

    /// The function name inside a `call_open` pair (`min(`).
    fn call_name(&self, open: Option<Pair<Rule>>, fallback: Span) -> Ident {
        match open {
            Some(p) => self.next_ident(&mut p.into_inner(), fallback),
            None => Spanned::new(String::new(), fallback),
        }
    }

    fn type_expr(&self, pair: Option<Pair<Rule>>, fallback: Span) -> Spanned<ast::TypeExpr> {
        let Some(pair) = pair else {
            return Spanned::new(
                ast::TypeExpr::Named(Spanned::new(String::new(), fallback)),
                fallback,
            );
        };
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::list_type => {
                let inner = self.type_expr(pair.into_inner().next(), span);
                Spanned::new(ast::TypeExpr::List(Box::new(inner)), span)
            }
            _ => {
                let name = pair
                    .into_inner()
                    .next()
                    .map(|p| self.ident(p))
                    .unwrap_or_else(|| Spanned::new(String::new(), span));
                Spanned::new(ast::TypeExpr::Named(name), span)
            }
        }
    }

    fn field(&self, pair: Pair<Rule>) -> Result<ast::Field> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.next_ident(&mut inner, span);
        let ty = self.type_expr(inner.next(), span);
        let mut field = ast::Field {
            name,
            ty,
            optional: false,
            default: None,
            nonempty: false,
            unique: None,
            limits: Vec::new(),
            description: None,
        };
        for p in inner {
            match p.as_rule() {
                Rule::optional_mark => field.optional = true,
                Rule::nonempty_mark => field.nonempty = true,
                Rule::unique_mark => {
                    let span = self.span(&p);
                    let by = p
                        .into_inner()
                        .find(|q| q.as_rule() == Rule::ident)
                        .map(|q| ast::Spanned {
                            node: q.as_str().to_string(),
                            span: self.span(&q),
                        });
                    field.unique = Some(ast::Unique { by, span });
                }
                Rule::default_value => {
                    if let Some(e) = p.into_inner().next() {
                        field.default = Some(self.top_expr(e)?);
                    }
                }
                Rule::at_least | Rule::at_most => {
                    let span = self.span(&p);
                    let least = p.as_rule() == Rule::at_least;
                    if let Some(e) = p.into_inner().find(|q| q.as_rule() != Rule::kw_at) {
                        let e = self.top_expr(e)?;
                        let kind = if least {
                            ast::LimitKind::AtLeast(e)
                        } else {
                            ast::LimitKind::AtMost(e)
                        };
                        field.limits.push(ast::Limit { kind, span });
                    }
                }
                Rule::decimals_mark => {
                    let span = self.span(&p);
                    let n = p
                        .into_inner()
                        .find(|q| q.as_rule() == Rule::integer_lit)
                        .and_then(|q| q.as_str().parse::<u32>().ok());
                    field.limits.push(ast::Limit {
                        kind: ast::LimitKind::Decimals(n),
                        span,
                    });
                }
                Rule::string => field.description = Some(self.string(p)),
                _ => {}
            }
        }
        Ok(field)
    }

    fn label(&self, pair: Pair<Rule>) -> Spanned<Vec<String>> {
        let span = self.span(&pair);
        Spanned::new(
            pair.into_inner().map(|p| p.as_str().to_string()).collect(),
            span,
        )
    }

    fn provision(&self, span: Span, inner: Pairs<Rule>) -> Result<ast::Provision> {
        let mut provision = ast::Provision {
            label: Spanned::new(Vec::new(), span),
            heading: None,
            in_version: None,
            body: Vec::new(),
            span,
        };
        for p in inner {
            match p.as_rule() {
                Rule::provision_label => provision.label = self.label(p),
                Rule::string => provision.heading = Some(self.string(p)),
                Rule::in_version => {
                    provision.in_version = p.into_inner().next().map(|i| self.ident(i))
                }
                Rule::text => provision.body.push(ProvisionItem::Text(
                    p.into_inner()
                        .next()
                        .map(|s| self.string(s))
                        .unwrap_or_default(),
                )),
                Rule::not_computed => {
                    let sp = self.span(&p);
                    let reason = p
                        .into_inner()
                        .next()
                        .map(|s| self.string(s))
                        .unwrap_or_default();
                    provision
                        .body
                        .push(ProvisionItem::NotComputed(Spanned::new(reason, sp)));
                }
                Rule::disregard => {
                    let mut parts = p.into_inner();
                    let fact = parts
                        .next()
                        .map(|fp| {
                            let sp = self.span(&fp);
                            Spanned::new(
                                fp.into_inner().map(|i| i.as_str().to_string()).collect(),
                                sp,
                            )
                        })
                        .unwrap_or_else(|| Spanned::new(Vec::new(), span));
                    let reason = parts.next().map(|s| self.string(s)).unwrap_or_default();
                    provision
                        .body
                        .push(ProvisionItem::Disregard { fact, reason });
                }
                Rule::rule | Rule::exception => {
                    provision.body.push(ProvisionItem::Rule(self.rule(p)?))
                }
                Rule::provision => {
                    let sp = self.span(&p);
                    provision.body.push(ProvisionItem::Provision(
                        self.provision(sp, p.into_inner())?,
                    ));
                }
                _ => {}
            }
        }
        Ok(provision)
    }

    fn rule(&self, pair: Pair<Rule>) -> Result<ast::Rule> {
        let span = self.span(&pair);
        let mut name = None;
        let mut exception_to = None;
        let mut declared_type = None;
        let mut value = None;
        let mut condition = None;
        let mut notes = Vec::new();
        let mut cites = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::rule_cites => {
                    let mut citation = None;
                    let mut version = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::string => {
                                let span = self.span(&q);
                                citation = Some(Spanned::new(self.string(q), span));
                            }
                            Rule::ident => version = Some(self.ident(q)),
                            _ => {}
                        }
                    }
                    if let Some(citation) = citation {
                        cites.push(ast::RuleCites { citation, version });
                    }
                }
                Rule::provision_label => exception_to = Some(self.label(p)),
                Rule::ident => name = Some(self.ident(p)),
                Rule::type_annotation => {
                    declared_type = Some(self.type_expr(p.into_inner().next(), span))
                }
                Rule::expr => value = Some(self.top_expr(p)?),
                Rule::condition => {
                    if let Some(e) = p.into_inner().next() {
                        condition = Some(self.top_expr(e)?);
                    }
                }
                Rule::note => notes.extend(p.into_inner().next().map(|s| self.string(s))),
                _ => {}
            }
        }
        match (name, value) {
            (Some(name), Some(value)) => Ok(ast::Rule {
                name,
                exception_to,
                declared_type,
                value,
                condition,
                cites,
                notes,
                span,
            }),
            _ => Err(self.literal_error(
                span,
                "incomplete rule".into(),
                "write `rule name = expression`",
            )),
        }
    }

    fn date(&self, pair: &Pair<Rule>) -> Result<jiff::civil::Date> {
        let span = self.span(pair);
        pair.as_str().parse::<jiff::civil::Date>().map_err(|_| {
            self.literal_error(
                span,
                format!("`{}` is not a date in the calendar", pair.as_str()),
                "write a real date as YYYY-MM-DD, like `2018-12-07`",
            )
        })
    }

    fn decimal(&self, span: Span, digits: &str, what: &str) -> Result<Decimal> {
        Decimal::from_str_exact(digits).map_err(|_| {
            self.literal_error(
                span,
                format!("{what} `{digits}` is out of the supported range"),
                "numbers may have at most 28 significant digits",
            )
        })
    }

    /// A whole expression (a rule's value or condition, a default, a table cell), refused
    /// when its tree is deeper than [`MAX_EXPR_DEPTH`]: checking and evaluation recurse on it.
    fn top_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let e = self.expr(pair)?;
        if let Some(span) = deeper_than(&e, MAX_EXPR_DEPTH) {
            return Err(ParseError::TooDeep {
                src: NamedSource::new(self.name, self.text.to_string()),
                at: span.into(),
            });
        }
        if let Some(span) = chain_longer_than(&e, MAX_CHAIN_LEN) {
            return Err(ParseError::TooLong {
                src: NamedSource::new(self.name, self.text.to_string()),
                at: span.into(),
            });
        }
        Ok(e)
    }

    /// Lowers an expression; recursive along its nesting, on more stack when it runs low (a
    /// rule file may nest 128 brackets, and pest's pairs are lowered a few calls per level).
    fn expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        stacker::maybe_grow(64 << 10, 1 << 20, || self.expr_here(pair))
    }

    /// [`Self::expr`] on the stack it has.
    fn expr_here(&self, pair: Pair<Rule>) -> Result<Expr> {
        PRATT
            .map_primary(|p| self.postfix_expr(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::not_op {
                    ast::UnaryOp::Not
                } else {
                    ast::UnaryOp::Neg
                };
                Ok(Spanned::new(ExprKind::Unary(op, Box::new(rhs)), span))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::or_op => ast::BinaryOp::Or,
                    Rule::and_op => ast::BinaryOp::And,
                    Rule::eq => ast::BinaryOp::Eq,
                    Rule::ne => ast::BinaryOp::Ne,
                    Rule::lt => ast::BinaryOp::Lt,
                    Rule::le => ast::BinaryOp::Le,
                    Rule::gt => ast::BinaryOp::Gt,
                    Rule::ge => ast::BinaryOp::Ge,
                    Rule::within_op => ast::BinaryOp::Within,
                    Rule::in_op => ast::BinaryOp::In,
                    Rule::not_in_op => ast::BinaryOp::NotIn,
                    Rule::add => ast::BinaryOp::Add,
                    Rule::sub => ast::BinaryOp::Sub,
                    Rule::mul => ast::BinaryOp::Mul,
                    _ => ast::BinaryOp::Div,
                };
                Ok(Spanned::new(
                    ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                ))
            })
            .parse(pair.into_inner())
    }

    fn postfix_expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let outer = self.span(&pair);
        let mut inner = pair.into_inner().peekable();
        let Some(first) = inner.next() else {
            return Err(self.literal_error(
                Span::default(),
                "empty expression".into(),
                "write an expression",
            ));
        };
        let parenthesised = first.as_rule() == Rule::expr;
        let mut expr = self.primary(first)?;
        if parenthesised {
            // `(a or b)`: the expression's span takes in its brackets, so that a condition
            // quoted from the source (`(a or b) and c`) keeps them.
            let end = inner.peek().map_or(outer.end, |p| self.span(p).start);
            expr.span = Span {
                start: outer.start,
                end: end.max(expr.span.end),
                ..expr.span
            };
        }
        for post in inner {
            let span = expr.span.to(self.span(&post));
            let grammar_rule = post.as_rule();
            let Some(arg) = post.into_inner().next() else {
                continue;
            };
            expr = match grammar_rule {
                Rule::field_access => {
                    Spanned::new(ExprKind::Field(Box::new(expr), self.ident(arg)), span)
                }
                _ => Spanned::new(
                    ExprKind::Index(Box::new(expr), Box::new(self.expr(arg)?)),
                    span,
                ),
            };
        }
        Ok(expr)
    }

    fn primary(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::expr => return self.expr(pair),
            Rule::bool_lit => ExprKind::Bool(pair.as_str() == "true"),
            Rule::integer_lit => ExprKind::Integer(self.decimal(span, pair.as_str(), "number")?),
            Rule::decimal_lit => ExprKind::Decimal(self.decimal(span, pair.as_str(), "number")?),
            Rule::percent_lit => {
                let number = pair.as_str().trim_end_matches('%');
                let d = self.decimal(span, number, "percentage")?;
                // Exact: dividing by 100 only moves the decimal point.
                match d.checked_div(rust_decimal::Decimal::ONE_HUNDRED) {
                    Some(fraction) => ExprKind::Decimal(fraction),
                    None => {
                        return Err(self.literal_error(
                            span,
                            format!("percentage `{}` cannot be read", pair.as_str()),
                            "write a percentage like `65%` or `12.5%`",
                        ));
                    }
                }
            }
            Rule::money_lit => {
                let digits: String = pair
                    .as_str()
                    .chars()
                    .filter(|c| *c != '$' && *c != ',')
                    .collect();
                let amount = self.decimal(span, &digits, "money amount")?;
                if amount.scale() > 2 {
                    return Err(self.literal_error(
                        span,
                        format!(
                            "money amount `{}` has more than two decimals",
                            pair.as_str()
                        ),
                        "money is written in dollars and cents, like `$3,000` or `$3000.00`",
                    ));
                }
                ExprKind::Money(amount)
            }
            Rule::date_lit => ExprKind::Date(self.date(&pair)?),
            Rule::citation_lit => {
                let body = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
                self.citation(span, body)?;
                ExprKind::Citation(body.to_string())
            }
            Rule::string => ExprKind::Text(self.string(pair)),
            Rule::ident => ExprKind::Name(self.ident(pair)),
            Rule::if_expr => {
                let mut parts = pair.into_inner();
                let mut next = || -> Result<Box<Expr>> {
                    match parts.next() {
                        Some(p) => Ok(Box::new(self.expr(p)?)),
                        None => Err(self.literal_error(
                            span,
                            "incomplete `if`".into(),
                            "write `if condition then a else b`",
                        )),
                    }
                };
                let (c, t, e) = (next()?, next()?, next()?);
                ExprKind::If(c, t, e)
            }
            Rule::call => {
                let mut parts = pair.into_inner();
                let name = self.call_name(parts.next(), span);
                let mut args = Vec::new();
                let mut tail = None;
                for p in parts {
                    if p.as_rule() == Rule::comprehension {
                        tail = Some(p);
                    } else {
                        args.push(self.expr(p)?);
                    }
                }
                match (tail, args.pop()) {
                    (Some(tail), Some(element)) => {
                        let mut parts = tail.into_inner();
                        let var = self.next_ident(&mut parts, span);
                        let source = parts.next().map(|p| self.expr(p)).transpose()?;
                        let filter = parts.next().map(|p| self.expr(p)).transpose()?;
                        let Some(source) = source else {
                            return Err(self.literal_error(
                                span,
                                "incomplete list expression".into(),
                                "write `sum(x.amount for x in list if condition)`",
                            ));
                        };
                        ExprKind::Comprehension {
                            aggregate: name,
                            element: Box::new(element),
                            var,
                            source: Box::new(source),
                            filter: filter.map(Box::new),
                        }
                    }
                    (_, last) => {
                        args.extend(last);
                        ExprKind::Call(name, args)
                    }
                }
            }
            Rule::list_lit => {
                let mut items = Vec::new();
                for item in pair.into_inner() {
                    let mut parts = item.into_inner();
                    let Some(first) = parts.next() else { continue };
                    let start = self.expr(first)?;
                    match parts.next() {
                        None => items.push(ListItem::Single(start)),
                        Some(end) => {
                            let end_span = self.span(&end);
                            let end = match end.as_rule() {
                                Rule::provision_label => RangeEnd::Relative(
                                    end.into_inner().map(|p| p.as_str().to_string()).collect(),
                                ),
                                _ => {
                                    let body =
                                        end.into_inner().next().map(|p| p.as_str()).unwrap_or("");
                                    self.citation(end_span, body)?;
                                    RangeEnd::Citation(body.to_string())
                                }
                            };
                            items.push(ListItem::Range {
                                start,
                                end: Spanned::new(end, end_span),
                            });
                        }
                    }
                }
                ExprKind::List(items)
            }
            other => {
                return Err(self.literal_error(
                    span,
                    format!("unexpected {}", describe_rule(other)),
                    "write an expression",
                ));
            }
        };
        Ok(Spanned::new(kind, span))
    }

    fn citation(&self, span: Span, body: &str) -> Result<Citation> {
        Citation::parse(body).map_err(|e| {
            self.literal_error(
                span,
                format!("`{body}` is not a provision citation"),
                e.reason,
            )
        })
    }
}

/// The value of a string literal's inside (between its quotes) as the tree keeps it: escapes
/// resolved, and a text written over several lines (indented, as rule files write long texts)
/// folded, each line break and its indentation one space.
pub fn string_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out.split('\n')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

/// Where the text `start..end` ends once trailing spaces and comments are dropped.
pub(super) fn token_end(text: &str, start: usize, end: usize) -> usize {
    let Some(s) = text.get(start..end) else {
        return end;
    };
    let blank = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let trimmed = s.trim_end_matches(blank);
    // A comment is skipped together with the line break after it, so a span that ends in
    // neither spaces nor the end of the file ends at a token.
    if trimmed.len() == s.len() && end != text.len() {
        return end;
    }
    let last_line = trimmed.rfind('\n').map_or(0, |i| i + 1);
    if !trimmed.get(last_line..).is_some_and(|l| l.contains("//")) {
        return start + trimmed.len();
    }
    // The last line may end in a comment: find the last byte outside comments, reading texts
    // (which may hold `//`) as they are.
    let (mut last, mut in_string, mut escaped, mut in_comment) = (0, false, false, false);
    let bytes = trimmed.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_comment {
            in_comment = b != b'\n';
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            in_comment = true;
            continue;
        }
        if !blank(char::from(b)) {
            last = i + 1;
        }
    }
    start + last
}

/// The span of a node nested deeper than `limit` in `e`, found without recursion. A chain of
/// one operator (`a + b - c + …`, `x or y or …`) is one level, however long: it is parsed as
/// left operands nested in each other, but nothing about it is nested for the reader.
fn deeper_than(e: &Expr, limit: usize) -> Option<Span> {
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth > limit {
            return Some(e.span);
        }
        match &e.node {
            ExprKind::Binary(op, a, b) => {
                let chained =
                    matches!(&a.node, ExprKind::Binary(inner, ..) if same_chain(*op, *inner));
                stack.push((a, if chained { depth } else { depth + 1 }));
                stack.push((b, depth + 1));
            }
            _ => stack.extend(children(e).into_iter().map(|c| (c, depth + 1))),
        }
    }
    None
}

/// The span of the chain of one operator in `e` with more than `limit` terms, if any, found
/// without recursion.
fn chain_longer_than(e: &Expr, limit: usize) -> Option<Span> {
    // Each node with the number of terms of the chain it continues (0: it starts none).
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 0)];
    while let Some((e, terms)) = stack.pop() {
        match &e.node {
            ExprKind::Binary(op, a, b) => {
                let terms = terms.max(1) + 1;
                if terms > limit {
                    // The first term past the limit.
                    return Some(b.span);
                }
                let chained =
                    matches!(&a.node, ExprKind::Binary(inner, ..) if same_chain(*op, *inner));
                stack.push((a, if chained { terms } else { 0 }));
                stack.push((b, 0));
            }
            _ => stack.extend(children(e).into_iter().map(|c| (c, 0))),
        }
    }
    None
}

/// Operators of one precedence that chain without brackets: `+` and `-`, `*` and `/`, `and`,
/// `or`. (A comparison of a comparison, `a = b = c`, is nesting.)
fn same_chain(a: ast::BinaryOp, b: ast::BinaryOp) -> bool {
    use ast::BinaryOp::*;
    let group = |op| match op {
        Or => Some(0),
        And => Some(1),
        Add | Sub => Some(2),
        Mul | Div => Some(3),
        _ => None,
    };
    group(a).is_some() && group(a) == group(b)
}

/// The direct sub-expressions of `e`.
fn children(e: &Expr) -> Vec<&Expr> {
    match &e.node {
        ExprKind::Field(x, _) | ExprKind::Unary(_, x) => vec![x],
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => vec![a, b],
        ExprKind::If(a, b, c) => vec![a, b, c],
        ExprKind::Call(_, args) => args.iter().collect(),
        ExprKind::Comprehension {
            element,
            source,
            filter,
            ..
        } => {
            let mut v: Vec<&Expr> = vec![element, source];
            v.extend(filter.as_deref());
            v
        }
        ExprKind::List(items) => items
            .iter()
            .map(|i| match i {
                ListItem::Single(x) | ListItem::Range { start: x, .. } => x,
            })
            .collect(),
        _ => Vec::new(),
    }
}
