//! Resolution: parsed calls checked against the catalogue and flattened into weighted leaves.
//!
//! A call names a loss of [`segloss::catalogue`]; its arguments are the loss's parameters
//! (positional ones first), a compound's members as calls, or a parameter of exactly one
//! member. A compound or preset becomes one leaf per member, weighted as its descriptor's
//! [`Member::weight`](segloss::catalogue::Member) says and configured by its settings.

use super::error::{suggest, Span, SpecError};
use super::parse::{Call, Term, Value, ValueKind};
use super::registry::describe_param;
use segloss::catalogue::{
    self, Args, Constant, Descriptor, Family, Kind, Member, Param, ParamDefault, Setting, Weight,
    IGNORE_INDEX,
};

/// A checked parameter value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Val {
    Num(f64),
    Bool(bool),
    Word(&'static str),
    List(Vec<f64>),
}

impl Val {
    /// The value as the catalogue takes it, borrowing lists from `self`.
    pub(super) fn value<T>(&self) -> catalogue::Value<'_, T> {
        match self {
            Val::Num(x) => catalogue::Value::Number(*x),
            Val::Bool(b) => catalogue::Value::Bool(*b),
            Val::Word(w) => catalogue::Value::Word(w),
            Val::List(l) => catalogue::Value::List(l),
        }
    }
}

impl From<Constant> for Val {
    fn from(c: Constant) -> Self {
        match c {
            Constant::Number(x) => Val::Num(x),
            Constant::Bool(b) => Val::Bool(b),
            Constant::Word(w) => Val::Word(w),
        }
    }
}

/// A parameter set on a leaf; `span` is `None` for values a compound or preset implies.
#[derive(Clone, Debug)]
pub(super) struct Given {
    pub name: &'static str,
    pub val: Val,
    pub span: Option<Span>,
}

/// One weighted loss of a flattened spec.
#[derive(Clone, Debug)]
pub(super) struct LeafSpec {
    /// `name` for a top-level loss, `compound.field` for a member.
    pub label: String,
    pub weight: f64,
    pub def: &'static Descriptor,
    pub args: Vec<Given>,
    pub span: Span,
}

/// A call checked against the catalogue.
#[derive(Clone, Debug)]
struct Resolved {
    def: &'static Descriptor,
    /// The call's own parameters.
    own: Vec<Given>,
    /// Parameters forwarded to a member: `(member index, parameter)`.
    forwarded: Vec<(usize, Given)>,
    /// Members given as calls: `(member index, call)`.
    members: Vec<(usize, Resolved)>,
    span: Span,
}

impl Resolved {
    fn given(&self, name: &str) -> Option<&Given> {
        self.own.iter().find(|g| g.name == name)
    }
}

/// Resolves the terms of one spec text, collecting the ignore index the calls set.
pub(super) struct Resolver<'t> {
    text: &'t str,
    pub ignore: Option<(i64, Span)>,
    /// The epoch a scheduled compound not given one is weighted at.
    epoch: u64,
    /// True once a scheduled compound took `epoch` (it was not given one).
    pub scheduled: bool,
}

/// Every parameter a call of `def` may set, described, for the "allowed" line.
fn allowed_params(def: &Descriptor) -> String {
    let mut names: Vec<String> = def
        .params
        .iter()
        .filter(|p| p.kind != Kind::Map)
        .map(describe_param)
        .collect();
    if def.family == Family::Compound {
        names.extend(
            def.members
                .iter()
                .map(|m| format!("{}={}(..)", m.field, m.loss)),
        );
    }
    if !def.is_leaf() {
        names.push("any parameter of exactly one member".into());
    }
    names.push(describe_param(&IGNORE_INDEX));
    names.join(", ")
}

impl<'t> Resolver<'t> {
    /// A resolver of `text` whose scheduled compounds take `epoch` unless given one.
    pub(super) fn new(text: &'t str, epoch: u64) -> Self {
        Resolver {
            text,
            ignore: None,
            epoch,
            scheduled: false,
        }
    }

    fn err(&self, span: Span, msg: impl Into<String>) -> SpecError {
        SpecError::new(self.text, span, msg)
    }

    /// Resolves `term` and appends its leaves to `out`.
    pub(super) fn term(&mut self, term: &Term, out: &mut Vec<LeafSpec>) -> Result<(), SpecError> {
        let r = self.call(&term.call)?;
        self.expand(&r, term.weight, out)
    }

    fn call(&mut self, call: &Call) -> Result<Resolved, SpecError> {
        let Some(def) = catalogue::find(&call.name) else {
            let visible = || catalogue::CATALOGUE.iter().filter(|d| !d.hidden);
            let names =
                visible().flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()));
            let hint = suggest(&call.name, names);
            return Err(self
                .err(
                    call.name_span,
                    format!("unknown loss `{}`{hint}", call.name),
                )
                .allowed(visible().map(|d| d.name).collect::<Vec<_>>().join(", ")));
        };
        let mut r = Resolved {
            def,
            own: Vec::new(),
            forwarded: Vec::new(),
            members: Vec::new(),
            span: call.span,
        };
        let positional: Vec<&Param> = def
            .params
            .iter()
            .filter(|p| p.positional && p.kind != Kind::Map)
            .collect();
        let mut seen: Vec<(String, Span)> = Vec::new();
        let mut named = false;
        for (i, a) in call.args.iter().enumerate() {
            let (name, name_span) = match &a.key {
                Some((n, s)) => {
                    named = true;
                    (n.clone(), *s)
                }
                None => {
                    if named {
                        return Err(
                            self.err(a.value.span, "a positional argument after a named one")
                        );
                    }
                    let Some(p) = positional.get(i) else {
                        let takes = if positional.is_empty() {
                            format!("`{}` takes no positional argument", def.name)
                        } else {
                            format!(
                                "`{}` takes {} positional argument(s): {}",
                                def.name,
                                positional.len(),
                                positional
                                    .iter()
                                    .map(|p| p.name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        };
                        return Err(self
                            .err(
                                a.value.span,
                                format!("too many positional arguments: {takes}"),
                            )
                            .allowed(allowed_params(def)));
                    };
                    (p.name.to_string(), a.value.span)
                }
            };
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                let col = self.text.get(..first.0).map_or(0, |s| s.chars().count()) + 1;
                return Err(self.err(
                    name_span,
                    format!("`{name}` is given twice (first at column {col})"),
                ));
            }
            seen.push((name.clone(), name_span));
            if name == IGNORE_INDEX.name {
                if let Val::Num(x) = self.value(&IGNORE_INDEX, def, &a.value)? {
                    self.set_ignore(x as i64, a.value.span)?;
                }
                continue;
            }
            if let Some(param) = def.param(&name) {
                let val = self.value(param, def, &a.value)?;
                r.own.push(Given {
                    name: param.name,
                    val,
                    span: Some(a.value.span),
                });
                continue;
            }
            if def.family == Family::Compound {
                if let Some((index, m)) = def.member(&name) {
                    let member = self.member_call(m, def, &a.value)?;
                    r.members.push((index, member));
                    continue;
                }
            }
            if !def.is_leaf() {
                if let Some((index, param)) = self.forward(def, &name, name_span)? {
                    let val = self.value(param, def, &a.value)?;
                    r.forwarded.push((
                        index,
                        Given {
                            name: param.name,
                            val,
                            span: Some(a.value.span),
                        },
                    ));
                    continue;
                }
            }
            let names = def
                .params
                .iter()
                .map(|p| p.name)
                .chain(def.members.iter().map(|m| m.field))
                .chain(std::iter::once(IGNORE_INDEX.name));
            let hint = suggest(&name, names);
            return Err(self
                .err(
                    name_span,
                    format!("unknown parameter `{name}` of `{}`{hint}", def.name),
                )
                .allowed(allowed_params(def)));
        }
        Ok(r)
    }

    /// Finds the one member of `def` whose loss takes parameter `name`.
    fn forward(
        &self,
        def: &Descriptor,
        name: &str,
        span: Span,
    ) -> Result<Option<(usize, &'static Param)>, SpecError> {
        let takers: Vec<(usize, &'static Param, &Member)> = def
            .members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| Some((i, catalogue::find_exact(m.loss)?.param(name)?, m)))
            .filter(|(_, p, _)| p.kind != Kind::Map)
            .collect();
        match takers.as_slice() {
            [] => Ok(None),
            [(i, p, _)] => Ok(Some((*i, *p))),
            many => {
                let fields: Vec<String> = many
                    .iter()
                    .map(|(_, _, m)| format!("`{}`", m.field))
                    .collect();
                let example = many
                    .first()
                    .map(|(_, _, m)| format!("{}={}({name}=...)", m.field, m.loss))
                    .unwrap_or_default();
                Err(self.err(
                    span,
                    format!(
                        "`{name}` of `{}` is ambiguous: members {} both take it; set it on one member, e.g. `{example}`",
                        def.name,
                        fields.join(" and ")
                    ),
                ))
            }
        }
    }

    fn member_call(
        &mut self,
        member: &Member,
        def: &Descriptor,
        value: &Value,
    ) -> Result<Resolved, SpecError> {
        let call = match &value.kind {
            ValueKind::Call(c) => c.clone(),
            ValueKind::Name(n) => Call {
                name: n.clone(),
                name_span: value.span,
                args: Vec::new(),
                span: value.span,
            },
            _ => {
                return Err(self.err(
                    value.span,
                    format!(
                        "`{}` of `{}` takes a `{}(...)` call",
                        member.field, def.name, member.loss
                    ),
                ))
            }
        };
        let resolved = self.call(&call)?;
        if resolved.def.name != member.loss {
            return Err(self.err(
                call.name_span,
                format!(
                    "`{}` of `{}` holds a `{}` (the Rust field's type); found `{}`",
                    member.field, def.name, member.loss, call.name
                ),
            ));
        }
        if !resolved.def.is_leaf() {
            return Err(self.err(call.name_span, "a member is a leaf loss, not a compound"));
        }
        Ok(resolved)
    }

    fn set_ignore(&mut self, index: i64, span: Span) -> Result<(), SpecError> {
        match self.ignore {
            Some((i, first)) if i != index => {
                let col = self.text.get(..first.0).map_or(0, |s| s.chars().count()) + 1;
                Err(self.err(
                    span,
                    format!(
                        "ignore_index={index} conflicts with ignore_index={i} at column {col}: the \
                         ignore index belongs to the target, which all members share"
                    ),
                ))
            }
            _ => {
                self.ignore = Some((index, span));
                Ok(())
            }
        }
    }

    fn value(&self, param: &Param, def: &Descriptor, value: &Value) -> Result<Val, SpecError> {
        let bad = || {
            self.err(
                value.span,
                format!(
                    "`{}` of `{}` takes {}",
                    param.name,
                    def.name,
                    param.kind.describe()
                ),
            )
        };
        let choice = |choices: &'static [&'static str], name: &str| {
            choices
                .iter()
                .find(|c| **c == name)
                .map(|c| Val::Word(c))
                .ok_or_else(|| {
                    self.err(
                        value.span,
                        format!(
                            "`{name}` is not a value of `{}`{}",
                            param.name,
                            suggest(name, choices.iter().copied())
                        ),
                    )
                    .allowed(choices.join(", "))
                })
        };
        match (&param.kind, &value.kind) {
            (Kind::Map, _) => Err(self.err(
                value.span,
                format!(
                    "`{}` of `{}` is a per-pixel map given with the data (--{} on the command line), not in the spec",
                    param.name, def.name, param.name
                ),
            )),
            (Kind::Number, ValueKind::Num(x)) => Ok(Val::Num(*x)),
            (Kind::Integer, ValueKind::Num(x)) => {
                if x.fract() == 0.0 && x.abs() < 9.0e15 {
                    Ok(Val::Num(*x))
                } else {
                    Err(bad())
                }
            }
            (Kind::Bool, ValueKind::Bool(b)) => Ok(Val::Bool(*b)),
            (Kind::Choice(c), ValueKind::Name(n)) => choice(c, n),
            (Kind::List | Kind::NumberOrList | Kind::ListOr(_), ValueKind::List(items)) => {
                if items.is_empty() {
                    Err(self.err(
                        value.span,
                        format!("`{}` takes a non-empty list", param.name),
                    ))
                } else {
                    Ok(Val::List(items.clone()))
                }
            }
            (Kind::NumberOrList, ValueKind::Num(x)) => Ok(Val::Num(*x)),
            (Kind::ListOr(c), ValueKind::Name(n)) => choice(c, n),
            _ => Err(bad()),
        }
    }

    /// Flattens a resolved top-level call into leaves.
    fn expand(
        &mut self,
        r: &Resolved,
        weight: f64,
        out: &mut Vec<LeafSpec>,
    ) -> Result<(), SpecError> {
        let def = r.def;
        if def.is_leaf() {
            out.push(LeafSpec {
                label: def.name.to_string(),
                weight,
                def,
                args: r.own.clone(),
                span: r.span,
            });
            return Ok(());
        }
        let mut pairs: Vec<(&str, catalogue::Value<'_, f64>)> =
            r.own.iter().map(|g| (g.name, g.val.value())).collect();
        let scheduled = def
            .members
            .iter()
            .any(|m| matches!(m.weight, Weight::Schedule { .. }));
        if scheduled && r.given("epoch").is_none() && def.param("epoch").is_some() {
            pairs.push(("epoch", catalogue::Value::Number(self.epoch as f64)));
            self.scheduled = true;
        }
        let args = Args::new(def, &pairs).map_err(|e| match e {
            segloss::Error::MissingParameter { name } => match def.param(name) {
                Some(p) => self.missing(def, p, r.span),
                None => self.err(r.span, e.to_string()),
            },
            e => self.err(r.span, format!("`{}`: {e}", def.name)),
        })?;
        let single = def.members.len() == 1;
        for (i, m) in def.members.iter().enumerate() {
            let w = m.weight_in(&args).map_err(|e| {
                let span = match e {
                    segloss::Error::Parameter { name, .. } => r.given(name).and_then(|g| g.span),
                    _ => None,
                };
                self.err(span.unwrap_or(r.span), format!("`{}`: {e}", def.name))
            })?;
            let leaf = catalogue::find_exact(m.loss)
                .filter(|d| d.is_leaf())
                .ok_or_else(|| self.err(r.span, format!("internal: `{}` is no leaf", m.loss)))?;
            let implied = self.settings(m, r);
            let replaced = r.members.iter().find(|(f, _)| *f == i).map(|(_, m)| m);
            let mut args: Vec<Given> = match replaced {
                // The member call replaces the default member; values the compound's own
                // parameters set explicitly still apply to it.
                Some(call) => {
                    let mut a = call.own.clone();
                    for g in implied.into_iter().filter(|g| g.span.is_some()) {
                        self.put(&mut a, g)?;
                    }
                    a
                }
                None => implied,
            };
            for (_, g) in r.forwarded.iter().filter(|(f, _)| *f == i) {
                self.put(&mut args, g.clone())?;
            }
            let label = if single && def.family == Family::Preset {
                def.name.to_string()
            } else {
                format!("{}.{}", def.name, m.field)
            };
            out.push(LeafSpec {
                label,
                weight: weight * w,
                def: leaf,
                args,
                span: replaced.map_or(r.span, |m| m.span),
            });
        }
        Ok(())
    }

    /// What `member`'s settings give its default member, from the compound call `r`.
    fn settings(&self, member: &Member, r: &Resolved) -> Vec<Given> {
        let def = r.def;
        member
            .settings
            .iter()
            .filter_map(|s| match *s {
                Setting::Fixed(name, c) => Some(Given {
                    name,
                    val: c.into(),
                    span: None,
                }),
                Setting::Renamed { member, compound } => match r.given(compound) {
                    Some(g) => Some(Given {
                        name: member,
                        val: g.val.clone(),
                        span: g.span,
                    }),
                    None => match def.param(compound)?.default {
                        ParamDefault::Value(c) => Some(Given {
                            name: member,
                            val: c.into(),
                            span: None,
                        }),
                        _ => None,
                    },
                },
            })
            .collect()
    }

    /// Sets `g` in `args`: replaces an implied value, refuses a second explicit one.
    fn put(&self, args: &mut Vec<Given>, g: Given) -> Result<(), SpecError> {
        match args.iter_mut().find(|a| a.name == g.name) {
            Some(a) if a.span.is_some() && g.span.is_some() => {
                let span = g.span.unwrap_or((0, 0));
                Err(self.err(
                    span,
                    format!("`{}` is set twice for the same member", g.name),
                ))
            }
            Some(a) => {
                if g.span.is_some() || a.span.is_none() {
                    *a = g;
                }
                Ok(())
            }
            None => {
                args.push(g);
                Ok(())
            }
        }
    }

    /// The error for a required parameter `p` of `def` left out.
    pub(super) fn missing(&self, def: &Descriptor, p: &Param, span: Span) -> SpecError {
        let positional: Vec<&str> = def
            .params
            .iter()
            .filter(|p| p.positional)
            .map(|p| p.name)
            .collect();
        self.err(
            span,
            format!(
                "`{}` needs `{}` ({}): the Rust constructor has no default for it",
                def.name,
                p.name,
                p.kind.describe()
            ),
        )
        .allowed(format!(
            "{}({}) or {}({}=...)",
            def.name,
            positional.join(", "),
            def.name,
            p.name
        ))
    }
}
