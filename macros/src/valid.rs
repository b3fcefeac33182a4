//! Resolving a spec's formula into a checked expression graph.
//!
//! Nodes are created children-first, so the arena order is a topological order. Each node
//! knows whether it depends on the prediction (`pred`) and whether it is a per-class value
//! (`class`: it reads a class's statistics outside any class aggregation).

use crate::ast::{ParamKind, Spec, Stmt};
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Lit, UnOp};

/// Index of a node in the arena.
pub type Id = usize;

/// A statistic of one class.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    Tp,
    SumS,
    SumG,
    SumSs,
    SumGg,
    SumGss,
    N,
}

impl Stat {
    /// The field of `ClassStats` holding it.
    pub fn field(self) -> &'static str {
        match self {
            Stat::Tp => "tp",
            Stat::SumS => "sum_s",
            Stat::SumG => "sum_g",
            Stat::SumSs => "sum_ss",
            Stat::SumGg => "sum_gg",
            Stat::SumGss => "sum_gss",
            Stat::N => "n",
        }
    }

    /// Its slot in `Partials` when it depends on the prediction.
    pub fn partial(self) -> Option<usize> {
        match self {
            Stat::Tp => Some(0),
            Stat::SumS => Some(1),
            Stat::SumSs => Some(2),
            Stat::SumGss => Some(3),
            _ => None,
        }
    }
}

/// One-argument operations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Op1 {
    Neg,
    Ln,
    Exp,
    Sqrt,
    Not,
}

/// Two-argument operations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Op2 {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// Class aggregations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Sum,
    Mean,
    Max,
    Min,
}

/// What a node computes.
#[derive(Clone, Copy)]
pub enum Kind {
    Num(f64),
    Stat(Stat),
    /// A float or boolean parameter, by index in the spec.
    Param(usize),
    /// True when choice parameter `.0` is its variant `.1`.
    ChoiceIs(usize, usize),
    Unary(Op1, Id),
    Binary(Op2, Id, Id),
    Select(Id, Id, Id),
    Agg(Agg, Id),
}

/// A node and its properties.
pub struct Node {
    pub kind: Kind,
    pub boolean: bool,
    pub class: bool,
    pub pred: bool,
}

/// One clause of a `require` condition.
pub struct Require {
    /// Its node.
    pub id: Id,
    /// Its source text (`beta <= 1`).
    pub text: String,
    /// The first parameter it names: the one its error reports.
    pub param: String,
}

/// The clauses of a condition split at its top-level `&&`s, in order (parentheses
/// around a whole clause are looked through).
fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
            split_and(&b.left, out);
            split_and(&b.right, out);
        }
        Expr::Paren(p) if matches!(&*p.expr, Expr::Binary(b) if matches!(b.op, BinOp::And(_))) => {
            split_and(&p.expr, out)
        }
        other => out.push(other),
    }
}

/// A clause as the user wrote it, give or take spaces: `beta <= 1`, `fn` for `fn_`.
fn clause_text(e: &Expr) -> String {
    quote::quote!(#e).to_string().replace("fn_", "fn")
}

/// The checked formula.
pub struct Graph {
    pub nodes: Vec<Node>,
    pub loss: Id,
    /// `require` conditions, one per `&&` clause.
    pub requires: Vec<Require>,
    /// True when the loss aggregates classes itself.
    pub coupled: bool,
}

const FUNCTIONS: &str =
    "pow(x, y), ln(x), exp(x), sqrt(x), sum_c(x), mean_c(x), max_c(x), min_c(x)";
const STATS: &str = "tp, fp, fn, tn, sum_s, sum_g, sum_ss, sum_gg, sum_gss, n";

struct Builder<'s> {
    spec: &'s Spec,
    nodes: Vec<Node>,
    lets: HashMap<String, Id>,
    memo: HashMap<String, Id>,
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new(span, msg))
}

impl Builder<'_> {
    fn push(&mut self, kind: Kind, span: Span) -> syn::Result<Id> {
        let children: Vec<Id> = match kind {
            Kind::Unary(_, a) | Kind::Agg(_, a) => vec![a],
            Kind::Binary(_, a, b) => vec![a, b],
            Kind::Select(c, a, b) => vec![c, a, b],
            _ => vec![],
        };
        let boolean = match kind {
            Kind::ChoiceIs(..) => true,
            Kind::Param(p) => matches!(self.spec.params[p].kind, ParamKind::Bool(_)),
            Kind::Unary(Op1::Not, _) => true,
            Kind::Binary(op, ..) => {
                !matches!(op, Op2::Add | Op2::Sub | Op2::Mul | Op2::Div | Op2::Pow)
            }
            _ => false,
        };
        let (mut class, mut pred) = match kind {
            Kind::Stat(s) => (true, s.partial().is_some()),
            _ => (false, false),
        };
        for &c in &children {
            pred |= self.nodes[c].pred;
            class |= self.nodes[c].class;
        }
        if let Kind::Agg(agg, a) = kind {
            class = false;
            if matches!(agg, Agg::Max | Agg::Min) && self.nodes[a].pred {
                return err(span, "max_c and min_c take quantities of the ground truth only; their argument depends on the prediction");
            }
        } else if class {
            let mixed = children
                .iter()
                .any(|&c| !self.nodes[c].class && self.nodes[c].pred);
            if mixed {
                return err(span, "this mixes a class's own statistics with a class aggregation that depends on the prediction; aggregate the whole expression (sum_c / mean_c) or make the aggregation depend on the ground truth only");
            }
        }
        self.nodes.push(Node {
            kind,
            boolean,
            class,
            pred,
        });
        Ok(self.nodes.len() - 1)
    }

    fn num(&mut self, id: Id, span: Span) -> syn::Result<Id> {
        if self.nodes[id].boolean {
            return err(span, "expected a number, found a condition");
        }
        Ok(id)
    }

    fn cond(&mut self, id: Id, span: Span) -> syn::Result<Id> {
        if !self.nodes[id].boolean {
            return err(
                span,
                "expected a condition (a boolean parameter, a comparison, `!`, `&&`, `||`)",
            );
        }
        if self.nodes[id].pred {
            return err(span, "a condition cannot depend on the prediction (tp, fp, fn, tn, sum_s, sum_ss, sum_gss): the loss would not be differentiable");
        }
        Ok(id)
    }

    fn stat(&mut self, s: Stat) -> syn::Result<Id> {
        let key = format!("stat:{}", s.field());
        if let Some(&id) = self.memo.get(&key) {
            return Ok(id);
        }
        let id = self.push(Kind::Stat(s), Span::call_site())?;
        self.memo.insert(key, id);
        Ok(id)
    }

    fn name(&mut self, name: &str, span: Span) -> syn::Result<Id> {
        if let Some(&id) = self.lets.get(name) {
            return Ok(id);
        }
        if let Some(p) = self.spec.params.iter().position(|p| p.name == name) {
            if let ParamKind::Choice(_) = self.spec.params[p].kind {
                return err(
                    span,
                    format!("`{name}` is a choice parameter: use it in `match {name} {{ ... }}`"),
                );
            }
            return self.push(Kind::Param(p), span);
        }
        let derived = |b: &mut Self, f: fn(&mut Self) -> syn::Result<Id>| f(b);
        match name {
            "tp" => self.stat(Stat::Tp),
            "sum_s" => self.stat(Stat::SumS),
            "sum_g" => self.stat(Stat::SumG),
            "sum_ss" => self.stat(Stat::SumSs),
            "sum_gg" => self.stat(Stat::SumGg),
            "sum_gss" => self.stat(Stat::SumGss),
            "n" => self.stat(Stat::N),
            // fp = sum_s − tp, fn = sum_g − tp, tn = n − sum_s − sum_g + tp
            "fp" => derived(self, |b| {
                let (s, t) = (b.stat(Stat::SumS)?, b.stat(Stat::Tp)?);
                b.push(Kind::Binary(Op2::Sub, s, t), Span::call_site())
            }),
            "fn_" => derived(self, |b| {
                let (g, t) = (b.stat(Stat::SumG)?, b.stat(Stat::Tp)?);
                b.push(Kind::Binary(Op2::Sub, g, t), Span::call_site())
            }),
            "tn" => derived(self, |b| {
                let (n, s, g, t) = (
                    b.stat(Stat::N)?,
                    b.stat(Stat::SumS)?,
                    b.stat(Stat::SumG)?,
                    b.stat(Stat::Tp)?,
                );
                let a = b.push(Kind::Binary(Op2::Sub, n, s), Span::call_site())?;
                let c = b.push(Kind::Binary(Op2::Sub, a, g), Span::call_site())?;
                b.push(Kind::Binary(Op2::Add, c, t), Span::call_site())
            }),
            _ => {
                let params: Vec<String> = self
                    .spec
                    .params
                    .iter()
                    .map(|p| p.name.to_string())
                    .collect();
                let lets: Vec<&String> = self.lets.keys().collect();
                err(
                    span,
                    format!(
                        "unknown name `{name}`: use a statistic ({STATS}), a declared parameter ({}), or an earlier `let` ({})",
                        if params.is_empty() { "none declared".into() } else { params.join(", ") },
                        if lets.is_empty() { "none yet".into() } else { lets.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ") },
                    ),
                )
            }
        }
    }

    fn expr(&mut self, e: &Expr) -> syn::Result<Id> {
        let span = e.span();
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Float(f) => self.push(Kind::Num(f.base10_parse()?), span),
                Lit::Int(i) => self.push(Kind::Num(i.base10_parse()?), span),
                other => err(other.span(), "only numeric literals are allowed"),
            },
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Path(p) => match p.path.get_ident() {
                Some(i) => self.name(&i.to_string(), i.span()),
                None => err(span, "expected a name"),
            },
            Expr::Unary(u) => {
                let a = self.expr(&u.expr)?;
                match u.op {
                    UnOp::Neg(_) => {
                        let a = self.num(a, u.expr.span())?;
                        self.push(Kind::Unary(Op1::Neg, a), span)
                    }
                    UnOp::Not(_) => {
                        let a = self.cond(a, u.expr.span())?;
                        self.push(Kind::Unary(Op1::Not, a), span)
                    }
                    _ => err(span, "unsupported operator: use + - * / and comparisons"),
                }
            }
            Expr::Binary(b) => {
                let (l, r) = (self.expr(&b.left)?, self.expr(&b.right)?);
                let (op, logic, cmp) = match b.op {
                    BinOp::Add(_) => (Op2::Add, false, false),
                    BinOp::Sub(_) => (Op2::Sub, false, false),
                    BinOp::Mul(_) => (Op2::Mul, false, false),
                    BinOp::Div(_) => (Op2::Div, false, false),
                    BinOp::Lt(_) => (Op2::Lt, false, true),
                    BinOp::Le(_) => (Op2::Le, false, true),
                    BinOp::Gt(_) => (Op2::Gt, false, true),
                    BinOp::Ge(_) => (Op2::Ge, false, true),
                    BinOp::Eq(_) => (Op2::Eq, false, true),
                    BinOp::Ne(_) => (Op2::Ne, false, true),
                    BinOp::And(_) => (Op2::And, true, false),
                    BinOp::Or(_) => (Op2::Or, true, false),
                    _ => return err(b.op.span(), "unsupported operator: use + - * /, comparisons, && and ||"),
                };
                if logic {
                    self.cond(l, b.left.span())?;
                    self.cond(r, b.right.span())?;
                } else {
                    self.num(l, b.left.span())?;
                    self.num(r, b.right.span())?;
                }
                let id = self.push(Kind::Binary(op, l, r), span)?;
                if cmp {
                    self.cond(id, span)?;
                }
                Ok(id)
            }
            Expr::Call(c) => {
                let name = match &*c.func {
                    Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
                    _ => None,
                };
                let Some(name) = name else {
                    return err(c.func.span(), format!("expected a function: {FUNCTIONS}"));
                };
                let arity = if name == "pow" { 2 } else { 1 };
                let known = matches!(name.as_str(), "pow" | "ln" | "exp" | "sqrt" | "sum_c" | "mean_c" | "max_c" | "min_c");
                if !known {
                    return err(c.func.span(), format!("unknown function `{name}`: use {FUNCTIONS}"));
                }
                if c.args.len() != arity {
                    return err(span, format!("`{name}` takes {arity} argument{}", if arity == 1 { "" } else { "s" }));
                }
                let mut args = Vec::new();
                for a in &c.args {
                    let id = self.expr(a)?;
                    args.push(self.num(id, a.span())?);
                }
                let kind = match name.as_str() {
                    "pow" => Kind::Binary(Op2::Pow, args[0], args[1]),
                    "ln" => Kind::Unary(Op1::Ln, args[0]),
                    "exp" => Kind::Unary(Op1::Exp, args[0]),
                    "sqrt" => Kind::Unary(Op1::Sqrt, args[0]),
                    "sum_c" => Kind::Agg(Agg::Sum, args[0]),
                    "mean_c" => Kind::Agg(Agg::Mean, args[0]),
                    "max_c" => Kind::Agg(Agg::Max, args[0]),
                    _ => Kind::Agg(Agg::Min, args[0]),
                };
                self.push(kind, span)
            }
            Expr::If(i) => {
                let c = self.expr(&i.cond)?;
                let c = self.cond(c, i.cond.span())?;
                let then = self.block(&i.then_branch.stmts, i.then_branch.span())?;
                let Some((_, otherwise)) = &i.else_branch else {
                    return err(span, "an `if` needs an `else` branch");
                };
                let other = self.expr(otherwise)?;
                let other = self.num(other, otherwise.span())?;
                self.push(Kind::Select(c, then, other), span)
            }
            Expr::Block(b) => self.block(&b.block.stmts, span),
            Expr::Match(m) => self.choice(m),
            _ => err(span, format!("unsupported expression: use numbers, names, + - * /, {FUNCTIONS}, `if`, `match`")),
        }
    }

    fn block(&mut self, stmts: &[syn::Stmt], span: Span) -> syn::Result<Id> {
        match stmts {
            [syn::Stmt::Expr(e, None)] => {
                let id = self.expr(e)?;
                self.num(id, e.span())
            }
            _ => err(span, "a branch holds one expression"),
        }
    }

    fn choice(&mut self, m: &syn::ExprMatch) -> syn::Result<Id> {
        let span = m.span();
        let param = match &*m.expr {
            Expr::Path(p) => p.path.get_ident().cloned(),
            _ => None,
        };
        let Some(param) = param else {
            return err(m.expr.span(), "`match` takes a choice parameter");
        };
        let Some(p) = self.spec.params.iter().position(|x| x.name == param) else {
            return err(
                param.span(),
                format!("`{param}` is not a declared choice parameter"),
            );
        };
        let ParamKind::Choice(variants) = &self.spec.params[p].kind else {
            return err(param.span(), format!("`{param}` is not a choice parameter"));
        };
        let variants = variants.clone();
        let mut arms: Vec<(Option<usize>, Id)> = Vec::new();
        for arm in &m.arms {
            let which = match &arm.pat {
                syn::Pat::Ident(i) => match variants.iter().position(|v| *v == i.ident) {
                    Some(v) => Some(v),
                    None => {
                        let names: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
                        return err(
                            i.ident.span(),
                            format!(
                                "`{}` is not a choice of `{param}`: {}",
                                i.ident,
                                names.join(", ")
                            ),
                        );
                    }
                },
                syn::Pat::Wild(_) => None,
                other => return err(other.span(), "an arm names one choice, or `_`"),
            };
            let id = self.expr(&arm.body)?;
            arms.push((which, self.num(id, arm.body.span())?));
        }
        let covered = |v: usize| arms.iter().any(|(w, _)| *w == Some(v) || w.is_none());
        if let Some(missing) = (0..variants.len()).find(|&v| !covered(v)) {
            return err(
                span,
                format!("`match {param}` does not cover `{}`", variants[missing]),
            );
        }
        let Some(&(_, mut acc)) = arms.last() else {
            return err(span, "`match` needs arms");
        };
        for &(which, id) in arms.iter().rev().skip(1) {
            if let Some(v) = which {
                let c = self.push(Kind::ChoiceIs(p, v), span)?;
                acc = self.push(Kind::Select(c, id, acc), span)?;
            } else {
                acc = id;
            }
        }
        Ok(acc)
    }
}

/// Builds and checks the graph of a spec.
pub fn build(spec: &Spec) -> syn::Result<Graph> {
    let mut b = Builder {
        spec,
        nodes: Vec::new(),
        lets: HashMap::new(),
        memo: HashMap::new(),
    };
    for (i, p) in spec.params.iter().enumerate() {
        if spec.params[..i].iter().any(|q| q.name == p.name) {
            return err(
                p.name.span(),
                format!("parameter `{}` is declared twice", p.name),
            );
        }
        let reserved = [
            "tp", "fp", "fn_", "tn", "sum_s", "sum_g", "sum_ss", "sum_gg", "sum_gss", "n",
        ];
        if reserved.contains(&p.name.to_string().as_str()) {
            return err(
                p.name.span(),
                format!("`{}` is a statistic and cannot be a parameter", p.name),
            );
        }
    }
    let mut loss = None;
    let mut requires = Vec::new();
    for stmt in &spec.stmts {
        match stmt {
            Stmt::Let(name, e) => {
                if loss.is_some() {
                    return err(name.span(), "`let` after `loss`: the loss comes last");
                }
                let id = b.expr(e)?;
                b.lets.insert(name.to_string(), id);
            }
            Stmt::Require(e) => {
                let mut clauses = Vec::new();
                split_and(e, &mut clauses);
                for clause in clauses {
                    let id = b.expr(clause)?;
                    let id = b.cond(id, clause.span())?;
                    if b.nodes[id].class {
                        return err(clause.span(), "`require` checks parameters only");
                    }
                    let text = clause_text(clause);
                    let named = spec
                        .params
                        .iter()
                        .map(|p| p.name.to_string())
                        .find(|p| {
                            text.split(|c: char| !c.is_alphanumeric() && c != '_')
                                .any(|w| w == p)
                        })
                        .unwrap_or_else(|| "parameters".into());
                    requires.push(Require {
                        id,
                        text,
                        param: named,
                    });
                }
            }
            Stmt::Loss(span, e) => {
                if loss.is_some() {
                    return err(*span, "the loss is defined twice");
                }
                let id = b.expr(e)?;
                let id = b.num(id, e.span())?;
                if !b.nodes[id].pred {
                    return err(e.span(), "the loss does not depend on the prediction: use tp, fp, fn, tn, sum_s, sum_ss or sum_gss");
                }
                loss = Some(id);
            }
        }
    }
    let Some(loss) = loss else {
        return err(spec.name.span(), "missing `loss = ...;`");
    };
    let coupled = !b.nodes[loss].class;
    Ok(Graph {
        nodes: b.nodes,
        loss,
        requires,
        coupled,
    })
}
