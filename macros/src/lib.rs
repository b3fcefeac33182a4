//! Procedural macros of `segloss` (use them through the `segloss` crate's re-exports).
//!
//! - `region_loss!`: compiles a declarative formula over a class's soft confusion statistics
//!   into a loss type with its value and its gradient coefficients, differentiated at
//!   compile time (reverse mode over the formula's expression graph).
//! - `#[derive(Loss)]`: fuses the losses held in a struct's fields into one compound that
//!   runs one accumulate pass and one gradient pass.
//!
//! The pipeline follows `ast` (parse) → `valid` (resolve names, check, build the expression
//! graph) → `expand` (generate code); `compound` is the derive.

mod ast;
mod compound;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Declares a region loss from a formula: the syntax, the rules and an example are in the
/// `segloss` crate's `region` module docs.
#[proc_macro]
pub fn region_loss(input: TokenStream) -> TokenStream {
    expand::expand(input.into()).into()
}

/// Fuses the losses in a struct's `#[loss]` / `#[loss(weight = expr)]` fields (the weight
/// expression may read `self`) into one compound loss: one accumulate pass, one gradient
/// pass. See the `segloss` crate's `region` module docs for an example.
#[proc_macro_derive(Loss, attributes(loss))]
pub fn derive_loss(input: TokenStream) -> TokenStream {
    compound::expand(input.into()).into()
}
