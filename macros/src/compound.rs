//! `#[derive(Loss)]`: a struct whose `#[loss]` fields are losses becomes one compound loss.
//!
//! ```text
//! #[derive(Loss)]
//! struct DiceCe<'w> {
//!     #[loss(weight = self.lambda_dice)] dice: Dice<'w>,
//!     #[loss(weight = self.lambda_ce)]   ce: CrossEntropy<'w>,
//!     lambda_dice: f64,
//!     lambda_ce: f64,
//! }
//! ```
//! The compound's statistics are the tuple of its members'; every pass hands each tile to
//! every member, so the data is read once per pass whatever the number of members.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Expr, Fields, GenericParam};

struct Member {
    access: TokenStream,
    ty: syn::Type,
    weight: Expr,
}

/// Entry point: tokens in, tokens out (errors become `compile_error!`, with a stand-in
/// implementation so that uses of the struct as a loss do not add errors of their own).
pub fn expand(input: TokenStream) -> TokenStream {
    let parsed: DeriveInput = match syn::parse2(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    match derive(&parsed) {
        Ok(t) => t,
        Err(e) => fallback(&parsed, e),
    }
}

/// The struct's generics with the element type `real: segloss::Real` added (the impl's).
fn with_real(input: &DeriveInput, real: &syn::Ident) -> syn::Generics {
    let mut generics = input.generics.clone();
    generics.params.push(GenericParam::Type(
        syn::parse_quote!(#real: ::segloss::Real),
    ));
    generics
}

/// The error and an implementation of `Loss` that compiles whatever the fields are: a loss
/// of value 0 with no gradient, never run (the crate does not build).
fn fallback(input: &DeriveInput, e: syn::Error) -> TokenStream {
    let err = e.to_compile_error();
    let name = &input.ident;
    let real = format_ident!("__SeglossReal");
    let generics = with_real(input, &real);
    let (impl_generics, _, _) = generics.split_for_impl();
    let (_, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #err
        impl #impl_generics ::segloss::Loss<#real> for #name #ty_generics #where_clause {
            type Stats = ::segloss::losses::PixelSum;
            type Coef = f64;
            fn check(&self, _: &::segloss::Input<'_, #real>) -> ::core::result::Result<(), ::segloss::Error> {
                Ok(())
            }
            fn accumulate(&self, _: &::segloss::Tile<'_, #real>, _: &mut Self::Stats, _: &mut [#real]) {}
            fn finalize(&self, _: &Self::Stats, _: &mut [#real]) -> ::segloss::Finalized<f64> {
                ::segloss::Finalized { value: 0.0, coef: 0.0 }
            }
            fn scale(&self, _: &mut f64, _: f64) {}
            fn backward(&self, _: &f64, _: &::segloss::Tile<'_, #real>, _: &mut [#real]) {}
        }
    }
}

fn members(input: &DeriveInput) -> syn::Result<Vec<Member>> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(Loss)] takes a struct whose #[loss] fields are losses",
        ));
    };
    let fields: Vec<&syn::Field> = match &data.fields {
        Fields::Named(f) => f.named.iter().collect(),
        Fields::Unnamed(f) => f.unnamed.iter().collect(),
        Fields::Unit => vec![],
    };
    let mut out = Vec::new();
    for (i, f) in fields.into_iter().enumerate() {
        let Some(attr) = f.attrs.iter().find(|a| a.path().is_ident("loss")) else {
            continue;
        };
        let mut weight: Expr = syn::parse_quote!(1.0);
        if let syn::Meta::List(_) = &attr.meta {
            attr.parse_nested_meta(|m| {
                if m.path.is_ident("weight") {
                    weight = m.value()?.parse()?;
                    Ok(())
                } else {
                    Err(m.error("expected `weight = <f64 expression>` (it may read `self`)"))
                }
            })?;
        }
        let access = match &f.ident {
            Some(id) => quote!(#id),
            None => {
                let idx = syn::Index::from(i);
                quote!(#idx)
            }
        };
        out.push(Member {
            access,
            ty: f.ty.clone(),
            weight,
        });
    }
    if out.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(Loss)] needs at least one field marked #[loss] or #[loss(weight = ...)]",
        ));
    }
    Ok(out)
}

fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let members = members(input)?;
    let name = &input.ident;
    let real = format_ident!("__SeglossReal");
    let generics = with_real(input, &real);
    let (impl_generics, _, _) = generics.split_for_impl();
    let (_, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut where_preds: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    for m in &members {
        let ty = &m.ty;
        where_preds.push(quote!(#ty: ::segloss::Loss<#real>));
    }

    let n = members.len();
    let idx: Vec<syn::Index> = (0..n).map(syn::Index::from).collect();
    let access: Vec<&TokenStream> = members.iter().map(|m| &m.access).collect();
    let tys: Vec<&syn::Type> = members.iter().map(|m| &m.ty).collect();
    let weights: Vec<&Expr> = members.iter().map(|m| &m.weight).collect();
    let weight_names: Vec<String> = members
        .iter()
        .map(|m| format!("weight of `{}`", m.access))
        .collect();
    let ws: Vec<syn::Ident> = (0..n).map(|i| format_ident!("__ws{}", i)).collect();
    let span = input.ident.span();

    // Splits the workspace into one slice per member, in field order.
    let split = |shape: TokenStream| {
        let steps = ws.iter().zip(&access).map(|(w, a)| {
            quote! {
                let __len = ::segloss::Loss::<#real>::workspace_len(&self.#a, #shape).min(__rest.len());
                let (#w, __tail) = ::core::mem::take(&mut __rest).split_at_mut(__len);
                __rest = __tail;
            }
        });
        quote!(#(#steps)*)
    };
    let split_input = split(quote!(&input.shape()));
    let split_tile = split(quote!(&tile.shape()));
    let split_shape = split(quote!(&__shape));

    Ok(quote::quote_spanned! {span=>
        impl #impl_generics ::segloss::Loss<#real> for #name #ty_generics
        where #(#where_preds,)*
        {
            type Stats = ::segloss::compound::CompoundStats<(#(<#tys as ::segloss::Loss<#real>>::Stats,)*)>;
            type Coef = (#(<#tys as ::segloss::Loss<#real>>::Coef,)*);

            fn check(&self, input: &::segloss::Input<'_, #real>) -> ::core::result::Result<(), ::segloss::Error> {
                #(
                    let __w: f64 = #weights;
                    if __w.is_nan() || __w.abs() > ::segloss::MAX_WEIGHT {
                        return Err(::segloss::Error::Parameter { name: #weight_names, allowed: "finite, |x| <= 1e8" });
                    }
                    ::segloss::Loss::<#real>::check(&self.#access, input)?;
                )*
                Ok(())
            }

            fn workspace_len(&self, shape: &::segloss::Shape) -> usize {
                [#(::segloss::Loss::<#real>::workspace_len(&self.#access, shape)),*].iter().sum()
            }

            fn prepare(&self, input: &::segloss::Input<'_, #real>, workspace: &mut [#real]) -> ::core::result::Result<(), ::segloss::Error> {
                let mut __rest = workspace;
                #split_input
                #( ::segloss::Loss::<#real>::prepare(&self.#access, input, #ws)?; )*
                Ok(())
            }

            fn reads_complement(&self) -> bool {
                [#(::segloss::Loss::<#real>::reads_complement(&self.#access)),*].contains(&true)
            }

            fn fused_labels(&self) -> bool {
                #( ::segloss::Loss::<#real>::fused_labels(&self.#access) )&&*
            }

            fn label_terms(&self) -> ::segloss::kernel::LabelTerms {
                ::segloss::kernel::LabelTerms::default()
                    #( .union(::segloss::Loss::<#real>::label_terms(&self.#access)) )*
            }

            fn add_label_sums(&self, block: &::segloss::kernel::LabelBlock, stats: &mut Self::Stats) {
                stats.shape = Some(block.shape);
                #( ::segloss::Loss::<#real>::add_label_sums(&self.#access, block, &mut stats.members.#idx); )*
            }

            fn label_gradient(&self, coef: &Self::Coef, sample: usize, out: &mut ::segloss::kernel::LabelGradient) {
                #( ::segloss::Loss::<#real>::label_gradient(&self.#access, &coef.#idx, sample, out); )*
            }

            #[inline(always)]
            fn accumulate(&self, tile: &::segloss::Tile<'_, #real>, stats: &mut Self::Stats, workspace: &mut [#real]) {
                stats.shape = Some(tile.shape());
                let mut __rest = workspace;
                #split_tile
                #( ::segloss::Loss::<#real>::accumulate(&self.#access, tile, &mut stats.members.#idx, #ws); )*
            }

            fn finalize(&self, stats: &Self::Stats, workspace: &mut [#real]) -> ::segloss::Finalized<Self::Coef> {
                let __shape = stats.shape.unwrap_or(::segloss::Shape::UNIT);
                let mut __rest = workspace;
                #split_shape
                let mut __value = 0.0f64;
                let __coefs = (#({
                    let __w: f64 = #weights;
                    let mut __f = ::segloss::Loss::<#real>::finalize(&self.#access, &stats.members.#idx, #ws);
                    __value += __w * __f.value;
                    ::segloss::Loss::<#real>::scale(&self.#access, &mut __f.coef, __w);
                    __f.coef
                },)*);
                ::segloss::Finalized { value: __value, coef: __coefs }
            }

            fn scale(&self, coef: &mut Self::Coef, factor: f64) {
                #( ::segloss::Loss::<#real>::scale(&self.#access, &mut coef.#idx, factor); )*
            }

            fn gradient_workspace_len(&self, shape: &::segloss::Shape) -> usize {
                let mut __offset = 0usize;
                let mut __needed = 0usize;
                #(
                    let __own = ::segloss::Loss::<#real>::gradient_workspace_len(&self.#access, shape);
                    if __own > 0 {
                        __needed = __offset + __own;
                    }
                    __offset += ::segloss::Loss::<#real>::workspace_len(&self.#access, shape);
                )*
                __needed
            }

            #[inline(always)]
            fn backward(&self, coef: &Self::Coef, tile: &::segloss::Tile<'_, #real>, grad: &mut [#real]) {
                #( ::segloss::Loss::<#real>::backward(&self.#access, &coef.#idx, tile, grad); )*
            }

            #[inline(always)]
            fn backward_with(
                &self,
                coef: &Self::Coef,
                tile: &::segloss::Tile<'_, #real>,
                grad: &mut [#real],
                workspace: &[#real],
            ) {
                let mut __rest: &[#real] = workspace;
                #(
                    let __len = ::segloss::Loss::<#real>::workspace_len(&self.#access, &tile.shape()).min(__rest.len());
                    let (__mine, __tail) = __rest.split_at(__len);
                    __rest = __tail;
                    ::segloss::Loss::<#real>::backward_with(&self.#access, &coef.#idx, tile, grad, __mine);
                )*
            }
        }
    })
}
