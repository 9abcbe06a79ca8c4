//! Functions: `function NAME(PARAM: TYPE, …): TYPE = BODY`, a computation over its parameters
//! that several rule files share by import (the loss sum of §§ 2248, 2259 and 1593).
//!
//! A call is checked as if the body were written where the call stands, each parameter read as
//! the argument written at the call. So the value it computes belongs to the calling rule: it is
//! cited as that rule's provision, and the facts the arguments read are traced as the rule's
//! own. The body reads only its parameters (no fact, no definition), which keeps a library free
//! of any one statute's facts; its own list variables never capture a name of the call's, and the
//! call's never see the body's.

use super::declarations::Declarations;
use super::expr::{BoundName, fits};
use super::version::VersionChecker;
use super::{Checker, Reporter, codes};
use crate::program::Expr;
use crate::source::Span;
use crate::syntax::ast;
use crate::value::Type;

/// Calls nested deeper than this (a function calling a function …) are refused.
const MAX_CALL_DEPTH: usize = 32;

/// The names of the built-in functions, which a `function` may not take.
pub(super) const BUILT_INS: [&str; 14] = [
    "min",
    "max",
    "year",
    "month",
    "day",
    "add_days",
    "add_months",
    "add_years",
    "round",
    "given",
    "count",
    "sum",
    "any",
    "all",
];

/// A declared function, its types resolved.
pub(super) struct Function {
    pub(super) decl: ast::FunctionDecl,
    /// Each parameter's name and type; `None` where the type did not resolve.
    pub(super) params: Vec<(String, Option<Type>)>,
    /// The type of its value; `None` where it did not resolve.
    pub(super) ty: Option<Type>,
}

/// A function body being checked: at a call (its arguments) or alone (its parameters bound as
/// list variables of their declared types, to find the body's own mistakes once).
pub(super) struct Frame {
    /// The function's name, for the circle check and messages.
    name: String,
    /// The arguments written at the call, by parameter; empty when the body is checked alone.
    args: Vec<(String, ast::Expr)>,
    /// How many list variables were bound where the call stands: the body sees only those bound
    /// above, and an argument only those below.
    pub(super) floor: usize,
}

impl Frame {
    /// The function whose body this is.
    pub(super) fn name(&self) -> &str {
        &self.name
    }
}

impl Checker<'_> {
    /// Every `function` of every file, by name; a name declared twice or taken by a built-in
    /// function is reported and the later declaration dropped.
    pub(super) fn functions(&mut self, files: &[ast::File], decls: &mut Declarations) {
        for f in files {
            for item in &f.items {
                let ast::Item::Function(decl) = item else {
                    continue;
                };
                let name = &decl.name;
                if BUILT_INS.contains(&name.node.as_str()) {
                    let p = self
                        .err(
                            codes::DUPLICATE,
                            name.span,
                            format!("`{}` is a built-in function", name.node),
                            "taken by the language",
                        )
                        .with_help("give the function another name");
                    self.report(p);
                    continue;
                }
                if decls.functions.contains_key(&name.node) {
                    let p = self
                        .err(
                            codes::DUPLICATE,
                            name.span,
                            format!("function `{}` is declared twice", name.node),
                            "declared again",
                        )
                        .with_help("give each function its own name, or import the file that declares it once");
                    self.report(p);
                    continue;
                }
                let mut params: Vec<(String, Option<Type>)> = Vec::new();
                for (pname, pty) in &decl.params {
                    if params.iter().any(|(n, _)| *n == pname.node) {
                        let p = self
                            .err(
                                codes::DUPLICATE,
                                pname.span,
                                format!(
                                    "function `{}` has two parameters named `{}`",
                                    name.node, pname.node
                                ),
                                "named again",
                            )
                            .with_help("give each parameter its own name");
                        self.report(p);
                    }
                    let ty = self.resolve_type(pty, decls);
                    params.push((pname.node.clone(), ty));
                }
                let ty = self.resolve_type(&decl.ty, decls);
                decls.functions.insert(
                    name.node.clone(),
                    Function {
                        decl: decl.clone(),
                        params,
                        ty,
                    },
                );
            }
        }
    }
}

impl<'c, 's, 'a> VersionChecker<'c, 's, 'a> {
    /// Checks each function's body once on its own, its parameters bound to their declared
    /// types, so that a mistake in a function no rule calls yet is still reported.
    pub(super) fn check_functions_alone(&mut self) {
        let decls = self.decls;
        let mut names: Vec<&String> = decls.functions.keys().collect();
        names.sort();
        for name in names {
            let Some(f) = decls.functions.get(name) else {
                continue;
            };
            let mut bound: Vec<BoundName> = Vec::new();
            let mut complete = true;
            for (pname, ty) in &f.params {
                match ty {
                    Some(ty) => bound.push(BoundName::new(pname.clone(), ty.clone(), None)),
                    None => complete = false,
                }
            }
            if !complete {
                continue;
            }
            self.frames.push(Frame {
                name: name.clone(),
                args: Vec::new(),
                floor: 0,
            });
            let body = self.expr(&f.decl.body, f.ty.as_ref(), &mut bound);
            self.frames.pop();
            if let (Some(body), Some(want)) = (body, &f.ty) {
                self.body_fits(f, &body, want);
            }
        }
    }

    /// Reports a body whose type is not the function's declared type.
    fn body_fits(&mut self, f: &Function, body: &Expr, want: &Type) -> bool {
        if fits(&body.ty, want) {
            return true;
        }
        let have = body.ty.clone();
        let p = self
            .err(
                codes::TYPE_MISMATCH,
                f.decl.body.span,
                format!(
                    "function `{}` is declared to give {want}, but its body is {have}",
                    f.decl.name.node
                ),
                format!("this is {have}"),
            )
            .with_help(format!("declare it as `: {have}`, or change the body"));
        self.checker.report(p);
        false
    }

    /// A call `NAME(args)` of a declared function: the body checked with each parameter read
    /// as its argument. `None` (reported) for an unknown function, wrong arity or types.
    pub(super) fn call_function(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        expected: Option<&Type>,
        span: Span,
        bound: &mut Vec<BoundName>,
    ) -> Option<Expr> {
        let decls = self.decls;
        let f = decls.functions.get(&name.node)?;
        if self.frames.iter().any(|fr| fr.name == name.node) {
            let chain: Vec<&str> = self.frames.iter().map(|fr| fr.name.as_str()).collect();
            let p = self
                .err(
                    codes::CYCLE,
                    name.span,
                    format!(
                        "function `{}` calls itself ({} → {})",
                        name.node,
                        chain.join(" → "),
                        name.node
                    ),
                    "called again here",
                )
                .with_help("a function's value cannot depend on itself; write the computation without the call");
            self.report(p);
            return None;
        }
        if self.frames.len() >= MAX_CALL_DEPTH {
            let p = self
                .err(
                    codes::TOO_DEEP,
                    name.span,
                    format!("functions call each other more than {MAX_CALL_DEPTH} deep"),
                    "too deep",
                )
                .with_help("call fewer functions within functions");
            self.report(p);
            return None;
        }
        if args.len() != f.params.len() {
            let want: Vec<String> = f.decl.params.iter().map(|(n, _)| n.node.clone()).collect();
            let p = self
                .err(
                    codes::ARITY,
                    span,
                    format!(
                        "`{}` takes {} argument{}, but {} given",
                        name.node,
                        f.params.len(),
                        if f.params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                    "wrong number of arguments",
                )
                .with_help(format!("call it as `{}({})`", name.node, want.join(", ")));
            self.checker.report(p);
            return None;
        }
        // Each argument is typed once here, in the caller's scope, against its parameter; the
        // body reads it again where it uses the parameter.
        let mut ok = true;
        for (arg, (pname, pty)) in args.iter().zip(&f.params) {
            let Some(pty) = pty else {
                ok = false;
                continue;
            };
            let Some(x) = self.expr(arg, Some(pty), bound) else {
                ok = false;
                continue;
            };
            if !fits(&x.ty, pty) {
                let have = x.ty.clone();
                let p = self
                    .err(
                        codes::TYPE_MISMATCH,
                        arg.span,
                        format!(
                            "`{}` takes `{pname}` as {pty}, but this is {have}",
                            name.node
                        ),
                        format!("this is {have}"),
                    )
                    .with_help(format!("pass {pty} as `{pname}`"));
                self.report(p);
                ok = false;
            }
        }
        let want = f.ty.clone()?;
        if !ok {
            return None;
        }
        self.frames.push(Frame {
            name: name.node.clone(),
            args: f
                .params
                .iter()
                .map(|(n, _)| n.clone())
                .zip(args.iter().cloned())
                .collect(),
            floor: bound.len(),
        });
        let body = self.expr(&f.decl.body, expected.or(Some(&want)), bound);
        self.frames.pop();
        let mut body = body?;
        if !fits(&body.ty, &want) {
            return None;
        }
        // The call's value is the body's, at the call's place in the rule.
        body.span = span;
        body.ty = want;
        Some(body)
    }

    /// The argument a parameter named `name` of the innermost function stands for, checked in
    /// the caller's scope: the body's list variables are hidden from it, but keep their depth.
    pub(super) fn parameter(
        &mut self,
        name: &str,
        expected: Option<&Type>,
        bound: &[BoundName],
    ) -> Option<Option<Expr>> {
        let frame = self.frames.last()?;
        let at = frame.args.iter().position(|(n, _)| n == name)?;
        let frame = self.frames.pop()?;
        let mut caller: Vec<BoundName> = bound.to_vec();
        for b in caller.iter_mut().skip(frame.floor) {
            b.hide();
        }
        let x = match frame.args.get(at) {
            Some((_, arg)) => self.expr(arg, expected, &mut caller),
            None => None,
        };
        self.frames.push(frame);
        Some(x)
    }
}
