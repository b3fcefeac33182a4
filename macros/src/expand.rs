//! Code generation for `region_loss!`: the loss type, its setters and checks, and its
//! `evaluate` function — forward values, then reverse-mode adjoints down to the four
//! prediction-dependent statistics, as straight-line code.

use crate::ast::{rename_fn, ParamKind, Spec};
use crate::valid::{self, Agg, Graph, Id, Kind, Op1, Op2, Require, Stat};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeSet;

/// Entry point: tokens in, tokens out (errors become `compile_error!`).
pub fn expand(input: TokenStream) -> TokenStream {
    let spec: Spec = match syn::parse2(rename_fn(input)) {
        Ok(s) => s,
        Err(e) => return e.to_compile_error(),
    };
    match valid::build(&spec) {
        Ok(g) => generate(&spec, &g),
        Err(e) => fallback(&spec, e),
    }
}

/// A stand-in type so that one mistake in a formula does not cascade into errors at every
/// use of the type.
fn fallback(spec: &Spec, e: syn::Error) -> TokenStream {
    let err = e.to_compile_error();
    let (vis, name) = (&spec.vis, &spec.name);
    quote! {
        #err
        #[allow(dead_code)]
        #vis struct #name<'w>(::core::marker::PhantomData<&'w ()>);
    }
}

fn camel(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `GeneralizedDice` → `generalized_dice`.
fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn choice_enum(spec: &Spec, param: &Ident) -> Ident {
    format_ident!("{}{}", spec.name, camel(&param.to_string()))
}

struct Gen<'g> {
    spec: &'g Spec,
    g: &'g Graph,
}

impl Gen<'_> {
    fn var(&self, id: Id) -> TokenStream {
        if self.g.nodes[id].class {
            let v = format_ident!("c{}", id);
            quote!(#v)
        } else {
            let v = format_ident!("g{}", id);
            quote!(#v)
        }
    }

    fn adj(id: Id, group: bool) -> Ident {
        if group {
            format_ident!("e{}", id)
        } else {
            format_ident!("d{}", id)
        }
    }

    fn children(&self, id: Id) -> Vec<Id> {
        match self.g.nodes[id].kind {
            Kind::Unary(_, a) | Kind::Agg(_, a) => vec![a],
            Kind::Binary(_, a, b) => vec![a, b],
            Kind::Select(c, a, b) => vec![c, a, b],
            _ => vec![],
        }
    }

    /// Nodes reachable from `roots`; `through_class` restricts the walk to per-class nodes.
    fn reach(&self, roots: &[Id], class_only: bool) -> BTreeSet<Id> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<Id> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if class_only && !self.g.nodes[id].class {
                continue;
            }
            if !seen.insert(id) {
                continue;
            }
            if !class_only || !matches!(self.g.nodes[id].kind, Kind::Agg(..)) {
                stack.extend(self.children(id));
            }
        }
        seen
    }

    /// The forward expression of a node (not an aggregation).
    fn forward(&self, id: Id) -> TokenStream {
        let v = |c: Id| self.var(c);
        match self.g.nodes[id].kind {
            Kind::Num(x) => quote!(#x),
            Kind::Stat(s) => {
                let f = format_ident!("{}", s.field());
                quote!(__s.#f)
            }
            Kind::Param(p) => {
                let n = &self.spec.params[p].name;
                quote!(self.#n)
            }
            Kind::ChoiceIs(p, variant) => {
                let param = &self.spec.params[p];
                let ParamKind::Choice(vs) = &param.kind else {
                    return quote!(false);
                };
                let e = choice_enum(self.spec, &param.name);
                let var = format_ident!("{}", camel(&vs[variant].to_string()));
                let n = &param.name;
                quote!(::core::matches!(self.#n, #e::#var))
            }
            Kind::Unary(op, a) => {
                let a = v(a);
                match op {
                    Op1::Neg => quote!(-#a),
                    Op1::Not => quote!(!#a),
                    Op1::Ln => quote!(::segloss::region::math::ln(#a)),
                    Op1::Exp => quote!(::segloss::region::math::exp(#a)),
                    Op1::Sqrt => quote!(::segloss::region::math::sqrt(#a)),
                }
            }
            Kind::Binary(op, a, b) => {
                let (a, b) = (v(a), v(b));
                match op {
                    Op2::Add => quote!(#a + #b),
                    Op2::Sub => quote!(#a - #b),
                    Op2::Mul => quote!(#a * #b),
                    Op2::Div => quote!(#a / #b),
                    Op2::Pow => quote!(::segloss::region::math::pow(#a, #b)),
                    Op2::Lt => quote!(#a < #b),
                    Op2::Le => quote!(#a <= #b),
                    Op2::Gt => quote!(#a > #b),
                    Op2::Ge => quote!(#a >= #b),
                    Op2::Eq => quote!(#a == #b),
                    Op2::Ne => quote!(#a != #b),
                    Op2::And => quote!(#a && #b),
                    Op2::Or => quote!(#a || #b),
                }
            }
            Kind::Select(c, a, b) => {
                let (c, a, b) = (v(c), v(a), v(b));
                quote!(if #c { #a } else { #b })
            }
            Kind::Agg(..) => quote!(0.0),
        }
    }

    fn let_node(&self, id: Id) -> TokenStream {
        let name = self.var(id);
        let e = self.forward(id);
        if self.g.nodes[id].boolean {
            quote!(let #name: bool = #e;)
        } else {
            quote!(let #name: f64 = #e;)
        }
    }

    /// Forward code of the per-class nodes `roots` need, inside a loop binding `__s`.
    fn class_forward(&self, roots: &[Id]) -> TokenStream {
        self.reach(roots, true)
            .into_iter()
            .map(|id| self.let_node(id))
            .collect()
    }

    /// Adjoint propagation of one node: adds its contribution to its children's adjoints.
    fn propagate(&self, id: Id, group: bool, live: &BTreeSet<Id>) -> TokenStream {
        let d = Self::adj(id, group);
        let me = self.var(id);
        let add = |c: Id, term: TokenStream| -> TokenStream {
            if live.contains(&c) {
                let dc = Self::adj(c, group);
                quote!(#dc += #term;)
            } else {
                quote!()
            }
        };
        let v = |c: Id| self.var(c);
        let body = match self.g.nodes[id].kind {
            Kind::Stat(s) => match s.partial() {
                Some(k) => quote!(__p[#k] += #d;),
                None => quote!(),
            },
            Kind::Unary(op, a) => {
                let va = v(a);
                match op {
                    Op1::Neg => add(a, quote!(-#d)),
                    Op1::Ln => add(a, quote!(#d / #va)),
                    Op1::Exp => add(a, quote!(#d * #me)),
                    Op1::Sqrt => add(a, quote!(#d * 0.5 / #me)),
                    Op1::Not => quote!(),
                }
            }
            Kind::Binary(op, a, b) => {
                let (va, vb) = (v(a), v(b));
                match op {
                    Op2::Add => [add(a, quote!(#d)), add(b, quote!(#d))]
                        .into_iter()
                        .collect(),
                    Op2::Sub => [add(a, quote!(#d)), add(b, quote!(-#d))]
                        .into_iter()
                        .collect(),
                    Op2::Mul => [add(a, quote!(#d * #vb)), add(b, quote!(#d * #va))]
                        .into_iter()
                        .collect(),
                    Op2::Div => [add(a, quote!(#d / #vb)), add(b, quote!(-#d * #me / #vb))]
                        .into_iter()
                        .collect(),
                    Op2::Pow => [
                        add(
                            a,
                            quote!(#d * #vb * ::segloss::region::math::pow(#va, #vb - 1.0)),
                        ),
                        add(b, quote!(#d * #me * ::segloss::region::math::ln(#va))),
                    ]
                    .into_iter()
                    .collect(),
                    _ => quote!(),
                }
            }
            Kind::Select(c, a, b) => {
                let vc = v(c);
                let (ta, tb) = (add(a, quote!(#d)), add(b, quote!(#d)));
                quote!(if #vc { #ta } else { #tb })
            }
            _ => quote!(),
        };
        if body.is_empty() {
            return body;
        }
        quote!(if #d != 0.0 { #body })
    }

    /// Reverse pass over per-class nodes from `root`, seeded with `seed`, into `__p`.
    fn class_reverse(&self, root: Id, seed: TokenStream) -> TokenStream {
        let live: BTreeSet<Id> = self
            .reach(&[root], true)
            .into_iter()
            .filter(|&i| self.g.nodes[i].pred)
            .collect();
        let decls = live.iter().map(|&i| {
            let d = Self::adj(i, false);
            quote!(let mut #d: f64 = 0.0;)
        });
        let droot = Self::adj(root, false);
        let steps = live.iter().rev().map(|&i| self.propagate(i, false, &live));
        quote! {
            #(#decls)*
            #droot += #seed;
            #(#steps)*
        }
    }

    /// Forward code of the group-level nodes `roots` need, aggregations as loops.
    fn group_forward(&self, roots: &[Id]) -> TokenStream {
        let all = self.reach(roots, false);
        let mut out = TokenStream::new();
        for &id in &all {
            let node = &self.g.nodes[id];
            if node.class {
                continue;
            }
            if let Kind::Agg(agg, arg) = node.kind {
                let g = format_ident!("g{}", id);
                let fwd = self.class_forward(&[arg]);
                let va = self.var(arg);
                let (init, step) = match agg {
                    Agg::Sum | Agg::Mean => (quote!(0.0), quote!(#g += #va;)),
                    Agg::Max => (quote!(f64::NEG_INFINITY), quote!(if #va > #g { #g = #va; })),
                    Agg::Min => (quote!(f64::INFINITY), quote!(if #va < #g { #g = #va; })),
                };
                let mean = if agg == Agg::Mean {
                    quote!(#g /= __k;)
                } else {
                    quote!()
                };
                out.extend(quote! {
                    let mut #g: f64 = #init;
                    for __s in __stats.iter() {
                        #fwd
                        #step
                    }
                    #mean
                });
            } else {
                out.extend(self.let_node(id));
            }
        }
        out
    }

    fn evaluate(&self) -> TokenStream {
        let loss = self.g.loss;
        let head = self.group_forward(&[loss]);
        if !self.g.coupled {
            let fwd = self.class_forward(&[loss]);
            let v = self.var(loss);
            let rev = self.class_reverse(loss, quote!(1.0));
            return quote! {
                let __k = __stats.len() as f64;
                #head
                for ((__s, __v), __p) in __stats.iter().zip(__values.iter_mut()).zip(__partials.iter_mut()) {
                    #fwd
                    *__v = #v;
                    #rev
                }
                0.0
            };
        }
        // Group-level reverse: from the loss down to the aggregations.
        let live: BTreeSet<Id> = self
            .reach(&[loss], false)
            .into_iter()
            .filter(|&i| !self.g.nodes[i].class && self.g.nodes[i].pred)
            .collect();
        let decls = live.iter().map(|&i| {
            let e = Self::adj(i, true);
            quote!(let mut #e: f64 = 0.0;)
        });
        let eroot = Self::adj(loss, true);
        let steps = live
            .iter()
            .rev()
            .filter(|&&i| !matches!(self.g.nodes[i].kind, Kind::Agg(..)))
            .map(|&i| self.propagate(i, true, &live));
        let per_class = live.iter().filter_map(|&i| match self.g.nodes[i].kind {
            Kind::Agg(agg, arg) if self.g.nodes[arg].class => {
                let e = Self::adj(i, true);
                let seed = if agg == Agg::Mean {
                    quote!(#e / __k)
                } else {
                    quote!(#e)
                };
                let fwd = self.class_forward(&[arg]);
                let rev = self.class_reverse(arg, seed);
                Some(quote!({ #fwd #rev }))
            }
            _ => None,
        });
        let v = self.var(loss);
        quote! {
            let __k = __stats.len() as f64;
            #head
            #(#decls)*
            #eroot = 1.0;
            #(#steps)*
            for (__s, __p) in __stats.iter().zip(__partials.iter_mut()) {
                #(#per_class)*
            }
            #v
        }
    }

    /// True when no statistic or aggregation feeds `id` (it depends on parameters only).
    fn param_only(&self, id: Id) -> bool {
        self.reach(&[id], false)
            .iter()
            .all(|&n| !matches!(self.g.nodes[n].kind, Kind::Stat(_) | Kind::Agg(..)))
    }

    /// The body of `RegionFormula::quadratic`: whether the loss, with these parameters,
    /// reads `sum_ss`, `sum_gg` or `sum_gss`. A branch whose condition depends on parameters
    /// only counts for the side it takes; any other node counts for all its operands.
    fn quadratic(&self) -> TokenStream {
        let nodes = self.reach(&[self.g.loss], false);
        let conditions: Vec<Id> = nodes
            .iter()
            .filter_map(|&id| match self.g.nodes[id].kind {
                Kind::Select(c, _, _) if self.param_only(c) => Some(c),
                _ => None,
            })
            .collect();
        let fwd = self.group_forward(&conditions);
        let q = |id: Id| format_ident!("q{}", id);
        let lets = nodes.iter().map(|&id| {
            let name = q(id);
            let e = match self.g.nodes[id].kind {
                Kind::Stat(s) => {
                    let quad = matches!(s, Stat::SumSs | Stat::SumGg | Stat::SumGss);
                    quote!(#quad)
                }
                Kind::Num(_) | Kind::Param(_) | Kind::ChoiceIs(..) => quote!(false),
                Kind::Unary(_, a) | Kind::Agg(_, a) => {
                    let a = q(a);
                    quote!(#a)
                }
                Kind::Binary(_, a, b) => {
                    let (a, b) = (q(a), q(b));
                    quote!(#a || #b)
                }
                Kind::Select(c, a, b) if self.param_only(c) => {
                    let (cv, a, b) = (self.var(c), q(a), q(b));
                    quote!(if #cv { #a } else { #b })
                }
                Kind::Select(c, a, b) => {
                    let (c, a, b) = (q(c), q(a), q(b));
                    quote!(#c || #a || #b)
                }
            };
            quote!(let #name: bool = #e;)
        });
        let root = q(self.g.loss);
        quote! {
            #fwd
            #(#lets)*
            #root
        }
    }

    fn checks(&self) -> TokenStream {
        let finite = self.spec.params.iter().filter_map(|p| match p.kind {
            ParamKind::Float(_) => {
                let n = &p.name;
                let s = n.to_string();
                Some(quote! {
                    if self.#n.is_nan() || self.#n.abs() > ::segloss::MAX_WEIGHT {
                        return Err(::segloss::Error::Parameter { name: #s, allowed: "finite, |x| <= 1e8" });
                    }
                })
            }
            _ => None,
        });
        let roots: Vec<Id> = self.g.requires.iter().map(|r| r.id).collect();
        let fwd = self.group_forward(&roots);
        let reqs = self.g.requires.iter().map(|r| {
            let v = self.var(r.id);
            let (name, allowed) = (&r.param, allowed_text(r));
            quote! {
                if !#v {
                    return Err(::segloss::Error::Parameter { name: #name, allowed: #allowed });
                }
            }
        });
        quote! {
            #(#finite)*
            #fwd
            #(#reqs)*
            Ok(())
        }
    }
}

/// What a clause's error says the parameter must be: `<= 1` for `beta <= 1` (the clause
/// without its leading parameter), else `such that <clause>`.
fn allowed_text(r: &Require) -> String {
    match r.text.strip_prefix(&format!("{} ", r.param)) {
        Some(rest) if rest.starts_with(['<', '>', '=', '!']) => rest.to_string(),
        _ => format!("such that {}", r.text),
    }
}

fn generate(spec: &Spec, g: &Graph) -> TokenStream {
    let gen = Gen { spec, g };
    let (attrs, vis, name) = (&spec.attrs, &spec.vis, &spec.name);
    let mut fields = Vec::new();
    let mut defaults = Vec::new();
    let mut methods = Vec::new();
    let mut enums = Vec::new();
    let mut summary = Vec::new();
    let mut described = Vec::new();
    let mut configured = Vec::new();
    let cat = quote!(::segloss::catalogue);
    for p in &spec.params {
        let (n, docs) = (&p.name, &p.docs);
        let text = n.to_string();
        let doc = match crate::ast::summary(docs) {
            d if d.is_empty() => format!("Sets `{n}`."),
            d => d,
        };
        let (kind, constant) = match &p.kind {
            ParamKind::Float(x) => (
                quote!(#cat::Kind::Number),
                quote!(#cat::Constant::Number(#x)),
            ),
            ParamKind::Bool(b) => (quote!(#cat::Kind::Bool), quote!(#cat::Constant::Bool(#b))),
            ParamKind::Choice(vs) => {
                let words: Vec<String> = vs.iter().map(Ident::to_string).collect();
                let first = &words[0];
                (
                    quote!(#cat::Kind::Choice(&[#(#words),*])),
                    quote!(#cat::Constant::Word(#first)),
                )
            }
        };
        described.push(quote!(#cat::Param::new(#text, #kind, #constant, #doc)));
        configured.push(match &p.kind {
            ParamKind::Float(_) => quote! {
                if let Some(x) = args.number(#text) { loss.#n = x; }
            },
            ParamKind::Bool(_) => quote! {
                if let Some(b) = args.boolean(#text) { loss.#n = b; }
            },
            ParamKind::Choice(vs) => {
                let e = choice_enum(spec, n);
                let arms = vs.iter().map(|v| {
                    let word = v.to_string();
                    let var = Ident::new(&camel(&word), v.span());
                    quote!(Some(#word) => loss.#n = #e::#var,)
                });
                quote! {
                    match args.word(#text) { #(#arms)* _ => {} }
                }
            }
        });
        let setter = format_ident!("with_{}", n);
        let (ty, default, shown) = match &p.kind {
            ParamKind::Float(x) => (quote!(f64), quote!(#x), format!("{x}")),
            ParamKind::Bool(b) => (quote!(bool), quote!(#b), format!("{b}")),
            ParamKind::Choice(vs) => {
                let e = choice_enum(spec, n);
                let variants: Vec<Ident> = vs
                    .iter()
                    .map(|v| Ident::new(&camel(&v.to_string()), v.span()))
                    .collect();
                let first = &variants[0];
                let vdocs = vs.iter().map(|v| format!("`{v}`."));
                let edoc = format!("The choices of [`{name}`]'s `{n}`.");
                enums.push(quote! {
                    #[doc = #edoc]
                    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
                    #vis enum #e {
                        #[default]
                        #(#[doc = #vdocs] #variants,)*
                    }
                });
                (quote!(#e), quote!(#e::#first), vs[0].to_string())
            }
        };
        summary.push(format!("`{n}` = {shown}"));
        fields.push(quote!(#n: #ty));
        defaults.push(quote!(#n: #default));
        let getter_doc = format!("The value of `{n}`.");
        let setter_doc = if docs.is_empty() {
            format!("Sets `{n}` (default {shown}).")
        } else {
            String::new()
        };
        let setter_attr = if docs.is_empty() {
            quote!(#[doc = #setter_doc])
        } else {
            quote!(#(#docs)*)
        };
        methods.push(quote! {
            #setter_attr
            pub fn #setter(mut self, value: #ty) -> Self {
                self.#n = value;
                self
            }
            #[doc = #getter_doc]
            pub fn #n(&self) -> #ty {
                self.#n
            }
        });
    }
    let params_doc = if summary.is_empty() {
        "Parameters: none.".to_string()
    } else {
        format!("Parameters (defaults): {}.", summary.join(", "))
    };
    let loss_text = spec
        .stmts
        .iter()
        .map(|s| match s {
            crate::ast::Stmt::Let(n, e) => format!("let {n} = {};", quote!(#e)),
            crate::ast::Stmt::Require(e) => format!("require {};", quote!(#e)),
            crate::ast::Stmt::Loss(_, e) => format!("loss = {};", quote!(#e)),
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace("fn_", "fn");
    let formula_doc = format!("Formula: `{loss_text}`");
    let coupled = g.coupled;
    let quadratic = gen.quadratic();
    let body = gen.evaluate();
    let checks = gen.checks();
    let new_doc = format!("`{name}` with its default parameters and MONAI's aggregation.");
    let catalogue = &spec.catalogue;
    let runtime_name = catalogue
        .name
        .clone()
        .unwrap_or_else(|| snake(&name.to_string()));
    let aliases = &catalogue.aliases;
    let hidden = catalogue.hidden;
    let rust = match &catalogue.rust {
        Some(r) => quote!(#r),
        None => {
            let n = name.to_string();
            quote!(::core::concat!(::core::module_path!(), "::", #n))
        }
    };
    let loss_summary = crate::ast::summary(attrs);
    let agg = quote!(::segloss::region::aggregation_params);
    let (family, aggregation) = if coupled {
        (
            quote!(CoupledRegion),
            quote!(#agg::INCLUDE_BACKGROUND, #agg::BATCH, #agg::REDUCTION, #agg::EMPTY),
        )
    } else {
        (
            quote!(Region),
            quote!(#agg::INCLUDE_BACKGROUND, #agg::BATCH, #agg::WEIGHT, #agg::REDUCTION, #agg::EMPTY),
        )
    };
    let clauses = g.requires.iter().map(|r| &r.text);
    let span = Span::call_site();
    let lt = syn::Lifetime::new("'w", span);
    quote! {
        #(#attrs)*
        ///
        #[doc = #params_doc]
        ///
        #[doc = #formula_doc]
        #[derive(Clone, Copy, Debug, PartialEq)]
        #vis struct #name<#lt> {
            #(#fields,)*
            aggregation: ::segloss::region::Aggregation<#lt>,
        }

        #(#enums)*

        impl ::core::default::Default for #name<'_> {
            fn default() -> Self {
                #name { #(#defaults,)* aggregation: ::segloss::region::Aggregation::default() }
            }
        }

        impl<#lt> #name<#lt> {
            #[doc = #new_doc]
            pub fn new() -> Self {
                Self::default()
            }
            #(#methods)*
            /// Includes class 0 in the mean (default true; ignored with one class).
            pub fn with_include_background(mut self, include: bool) -> Self {
                self.aggregation.include_background = include;
                self
            }
            /// Pools the statistics over the batch (default false: one set per sample).
            pub fn with_batch(mut self, batch: bool) -> Self {
                self.aggregation.batch = batch;
                self
            }
            /// Per-class weights of the class terms.
            pub fn with_weight(mut self, weight: &#lt [f64]) -> Self {
                self.aggregation.weight = Some(weight);
                self
            }
            /// The reduction over samples × classes.
            pub fn with_reduction(mut self, reduction: ::segloss::losses::Reduction) -> Self {
                self.aggregation.reduction = reduction;
                self
            }
            /// What a non-finite class term (an empty class without smoothing) counts as.
            pub fn with_empty(mut self, empty: ::segloss::region::EmptyClass) -> Self {
                self.aggregation.empty = empty;
                self
            }
        }

        impl ::segloss::catalogue::Describe for #name<'_> {
            const DESCRIPTOR: &'static ::segloss::catalogue::Descriptor = &::segloss::catalogue::Descriptor {
                name: #runtime_name,
                aliases: &[#(#aliases),*],
                family: ::segloss::catalogue::Family::#family,
                rust: #rust,
                summary: #loss_summary,
                params: &[#(#described,)* #aggregation],
                members: &[],
                requires: &[#(#clauses),*],
                hidden: #hidden,
                piecewise: false,
            };
        }

        impl<#lt, __SeglossReal: ::segloss::Real> ::segloss::catalogue::Configure<#lt, __SeglossReal> for #name<#lt> {
            fn configure(
                args: &::segloss::catalogue::Args<'_, #lt, __SeglossReal>,
            ) -> ::core::result::Result<Self, ::segloss::Error> {
                let mut loss = Self::new();
                #(#configured)*
                ::segloss::region::configure_aggregation(&mut loss.aggregation, args);
                Ok(loss)
            }
        }

        impl ::segloss::region::RegionFormula for #name<'_> {
            const COUPLED: bool = #coupled;

            fn aggregation(&self) -> &::segloss::region::Aggregation<'_> {
                &self.aggregation
            }

            #[allow(unused_variables, clippy::all)]
            fn quadratic(&self) -> bool {
                #quadratic
            }

            #[allow(unused_variables, clippy::all)]
            fn check_params(&self) -> ::core::result::Result<(), ::segloss::Error> {
                #checks
            }

            #[allow(unused_variables, unused_mut, unused_assignments, clippy::all)]
            fn evaluate(
                &self,
                __stats: &[::segloss::region::ClassStats],
                __values: &mut [f64],
                __partials: &mut [::segloss::region::Partials],
            ) -> f64 {
                #body
            }
        }

        impl<T: ::segloss::Real> ::segloss::Loss<T> for #name<'_> {
            type Stats = ::segloss::region::RegionStats;
            type Coef = ::segloss::region::RegionCoef;

            fn check(&self, input: &::segloss::Input<'_, T>) -> ::core::result::Result<(), ::segloss::Error> {
                ::segloss::region::check(self, input)
            }

            fn reads_complement(&self) -> bool {
                false
            }

            #[inline(always)]
            fn fused_labels(&self) -> bool {
                !::segloss::region::RegionFormula::quadratic(self)
            }

            fn add_label_sums(&self, block: &::segloss::kernel::LabelBlock, stats: &mut Self::Stats) {
                let batch = ::segloss::region::RegionFormula::aggregation(self).batch;
                ::segloss::region::add_label_sums(block, stats, batch)
            }

            fn label_gradient(&self, coef: &Self::Coef, sample: usize, out: &mut ::segloss::kernel::LabelGradient) {
                ::segloss::region::label_gradient(coef, sample, out)
            }

            fn accumulate(&self, tile: &::segloss::Tile<'_, T>, stats: &mut Self::Stats, _: &mut [T]) {
                ::segloss::region::accumulate(self, tile, stats)
            }

            fn finalize(&self, stats: &Self::Stats, _: &mut [T]) -> ::segloss::Finalized<Self::Coef> {
                ::segloss::region::finalize(self, stats)
            }

            fn scale(&self, coef: &mut Self::Coef, factor: f64) {
                ::segloss::region::scale(coef, factor)
            }

            #[inline(always)]
            fn backward(&self, coef: &Self::Coef, tile: &::segloss::Tile<'_, T>, grad: &mut [T]) {
                ::segloss::region::backward(coef, tile, grad)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Expansion snapshots: a change to the generator shows in review as a diff of
    //! `macros/snapshots/*.rs`. Refresh with `SEGLOSS_BLESS=1 cargo test -p segloss-macros`.

    use super::expand;
    use quote::quote;

    fn check(name: &str, input: proc_macro2::TokenStream) {
        let file = syn::parse2::<syn::File>(expand(input)).expect("the expansion parses");
        let pretty = prettyplease::unparse(&file);
        let path = format!("{}/snapshots/{name}.rs", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("SEGLOSS_BLESS").is_some() {
            std::fs::write(&path, &pretty).expect("snapshot written");
        }
        let want = std::fs::read_to_string(&path).expect("snapshot exists (SEGLOSS_BLESS=1)");
        assert!(
            pretty == want,
            "expansion of {name} changed; review and bless:\n{pretty}"
        );
    }

    #[test]
    fn per_class_loss_expansion() {
        check(
            "tversky",
            quote! {
                /// Tversky loss.
                pub struct Tversky { alpha: 0.5, beta: 0.5, smooth_nr: 1e-5, smooth_dr: 1e-5 }
                require alpha >= 0 && beta >= 0;
                loss = 1 - (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr);
            },
        );
    }

    #[test]
    fn coupled_loss_expansion() {
        check(
            "generalized_dice",
            quote! {
                /// Generalised Dice loss.
                pub struct GeneralizedDice { w_type: square | simple | uniform, smooth_nr: 1e-5, smooth_dr: 1e-5 }
                let raw = match w_type {
                    square => if sum_g > 0 { 1 / (sum_g * sum_g) } else { 0 },
                    simple => if sum_g > 0 { 1 / sum_g } else { 0 },
                    uniform => 1,
                };
                let largest = max_c(raw);
                let w = if sum_g > 0 { raw } else { largest };
                loss = 1 - (2 * sum_c(w * tp) + smooth_nr) / (sum_c(w * (sum_s + sum_g)) + smooth_dr);
            },
        );
    }
}
