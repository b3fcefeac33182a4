//! Procedural macros of `segloss` (use them through the `segloss` crate's re-exports).
//!
//! - `region_loss!`: compiles a declarative formula over a class's soft confusion statistics
//!   into a loss type with its value and its gradient coefficients, differentiated at
//!   compile time (reverse mode over the formula's expression graph).
//! - `#[derive(Loss)]`: fuses the losses held in a struct's fields into one compound that
//!   runs one accumulate pass and one gradient pass.
//!
//! The pipeline follows `spec` (parse) → `graph` (resolve names, check, build the expression
//! graph) → `region` (generate code); `compound` is the derive.

mod compound;
mod graph;
mod region;
mod spec;

use proc_macro::TokenStream;

/// Declares a region loss from a formula; see the `segloss` crate's `region_loss!` docs.
#[proc_macro]
pub fn region_loss(input: TokenStream) -> TokenStream {
    region::expand(input.into()).into()
}

/// Fuses the losses in a struct's fields into one compound loss; see `segloss::Loss`.
#[proc_macro_derive(Loss, attributes(loss))]
pub fn derive_loss(input: TokenStream) -> TokenStream {
    compound::expand(input.into()).into()
}
