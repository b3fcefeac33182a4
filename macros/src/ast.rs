//! Parsing a `region_loss!` spec into its parts.
//!
//! ```text
//! #[doc = ...]*
//! pub struct Name { param: default, ... }
//! (let name = expr; | require cond; )*
//! loss = expr;
//! ```
//! A default is a number (`0.5`, `-1`, `1e-5`), a boolean, or a choice `a | b | c`
//! (the first is the default). `fn` (false negatives) is accepted as a name. An optional
//! `#[catalogue(name = "...", rust = "...", aliases = ["...", ...], hidden)]` among the
//! attributes sets the loss's run-time name (default: the type's name in snake case), the
//! Rust path shown for it (default: `module_path!()` and the name), its aliases, and whether
//! specs may name it.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Expr, Lit, Token, Visibility};

/// The `#[catalogue(...)]` attribute: how the run-time catalogue names the loss.
#[derive(Default)]
pub struct Catalogue {
    pub name: Option<String>,
    pub rust: Option<String>,
    pub aliases: Vec<String>,
    pub hidden: bool,
}

/// A parsed spec.
pub struct Spec {
    /// The attributes to emit (the `#[catalogue]` attribute taken out).
    pub attrs: Vec<Attribute>,
    pub catalogue: Catalogue,
    pub vis: Visibility,
    pub name: Ident,
    pub params: Vec<Param>,
    pub stmts: Vec<Stmt>,
}

/// A declared parameter.
pub struct Param {
    pub docs: Vec<Attribute>,
    pub name: Ident,
    pub kind: ParamKind,
}

/// A parameter's type and default.
pub enum ParamKind {
    Float(f64),
    Bool(bool),
    Choice(Vec<Ident>),
}

/// A statement of the formula.
pub enum Stmt {
    Let(Ident, Expr),
    Require(Expr),
    Loss(Span, Expr),
}

/// Renames the keyword `fn` to the identifier `fn_` so that formulas parse as Rust
/// expressions; spans are kept for error messages.
pub fn rename_fn(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if i == "fn" => TokenTree::Ident(Ident::new("fn_", i.span())),
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), rename_fn(g.stream()));
                ng.set_span(g.span());
                TokenTree::Group(ng)
            }
            other => other,
        })
        .collect()
}

impl Parse for Param {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let docs = input.call(Attribute::parse_outer)?;
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let kind = if input.peek(syn::LitBool) {
            ParamKind::Bool(input.parse::<syn::LitBool>()?.value)
        } else if input.peek(syn::Ident) {
            let mut choices = vec![input.parse::<Ident>()?];
            while input.peek(Token![|]) {
                input.parse::<Token![|]>()?;
                choices.push(input.parse()?);
            }
            ParamKind::Choice(choices)
        } else {
            let negative = input.peek(Token![-]);
            if negative {
                input.parse::<Token![-]>()?;
            }
            let lit: Lit = input.parse()?;
            let value = match &lit {
                Lit::Float(f) => f.base10_parse::<f64>()?,
                Lit::Int(i) => i.base10_parse::<f64>()?,
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "a parameter's default is a number, `true`/`false`, or choices `a | b`",
                    ))
                }
            };
            ParamKind::Float(if negative { -value } else { value })
        };
        Ok(Param { docs, name, kind })
    }
}

impl Parse for Spec {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let mut catalogue = Catalogue::default();
        let mut error: Option<syn::Error> = None;
        attrs.retain(|a| {
            if !a.path().is_ident("catalogue") {
                return true;
            }
            if let Err(e) = parse_catalogue(a, &mut catalogue) {
                error.get_or_insert(e);
            }
            false
        });
        if let Some(e) = error {
            return Err(e);
        }
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let body;
        syn::braced!(body in input);
        let params = body
            .parse_terminated(Param::parse, Token![,])?
            .into_iter()
            .collect();
        let mut stmts = Vec::new();
        while !input.is_empty() {
            if input.peek(Token![let]) {
                input.parse::<Token![let]>()?;
                let name: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                let e: Expr = input.parse()?;
                input.parse::<Token![;]>()?;
                stmts.push(Stmt::Let(name, e));
                continue;
            }
            let kw: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `let name = ...;`, `require ...;` or `loss = ...;`",
                )
            })?;
            if kw == "require" {
                let e: Expr = input.parse()?;
                input.parse::<Token![;]>()?;
                stmts.push(Stmt::Require(e));
            } else if kw == "loss" {
                input.parse::<Token![=]>()?;
                let e: Expr = input.parse()?;
                input.parse::<Token![;]>()?;
                stmts.push(Stmt::Loss(kw.span(), e));
            } else {
                return Err(syn::Error::new(
                    kw.span(),
                    "expected `let name = ...;`, `require ...;` or `loss = ...;`",
                ));
            }
        }
        Ok(Spec {
            attrs,
            catalogue,
            vis,
            name,
            params,
            stmts,
        })
    }
}

/// Reads `#[catalogue(name = "...", aliases = ["..."], hidden)]` into `out`.
fn parse_catalogue(attr: &Attribute, out: &mut Catalogue) -> syn::Result<()> {
    attr.parse_nested_meta(|m| {
        if m.path.is_ident("name") {
            out.name = Some(m.value()?.parse::<syn::LitStr>()?.value());
        } else if m.path.is_ident("rust") {
            out.rust = Some(m.value()?.parse::<syn::LitStr>()?.value());
        } else if m.path.is_ident("aliases") {
            let value = m.value()?;
            let list;
            syn::bracketed!(list in value);
            let names = list.parse_terminated(|p| p.parse::<syn::LitStr>(), Token![,])?;
            out.aliases = names.iter().map(syn::LitStr::value).collect();
        } else if m.path.is_ident("hidden") {
            out.hidden = true;
        } else {
            return Err(m.error(
                "expected `name = \"...\"`, `rust = \"...\"`, `aliases = [\"...\"]` or `hidden`",
            ));
        }
        Ok(())
    })
}

/// The first sentence of the doc comments among `attrs` (empty without any): the lines of
/// the first paragraph joined, up to the first `.` that ends a sentence.
pub fn summary(attrs: &[Attribute]) -> String {
    let mut text = String::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        let syn::Meta::NameValue(syn::MetaNameValue {
            value: Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }),
            ..
        }) = &a.meta
        else {
            continue;
        };
        let line = s.value();
        let line = line.trim();
        if line.is_empty() {
            if text.is_empty() {
                continue;
            }
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(line);
    }
    let abbreviation = |before: &str| {
        ["al", "e.g", "i.e", "cf", "vs"]
            .iter()
            .any(|a| before.ends_with(a))
    };
    let end = text
        .match_indices(". ")
        .map(|(i, _)| i)
        .find(|&i| !abbreviation(&text[..i]))
        .map_or(text.len(), |i| i + 1);
    text.truncate(end);
    text
}
