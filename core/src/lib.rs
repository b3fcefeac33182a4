//! Segmentation losses with their gradients, for training without Python and without a heap.
//!
//! Every loss is a streaming reduction over tiles of pixels: pass 1 activates each tile once
//! (softmax, sigmoid, or none) and accumulates additive [`Stats`]; [`Loss::finalize`] turns
//! them into the value and the gradient's coefficients; pass 2 writes `∂L/∂prediction` once
//! per element into the caller's buffer. See [`engine`] for the phases and `docs/design.md`
//! in the repository for the conventions. [`edt`] holds the exact distance transforms and
//! distance maps of the boundary-based losses (`docs/edt.md`).
//!
//! ```
//! use segloss::{engine, losses::Focal, Input, Shape, Target};
//! // (B=1, C=3, 2×2 pixels), channel-first logits
//! let logits = [0.2f32, 1.0, -0.3, 0.0, 0.5, -1.0, 2.0, 0.1, -0.7, 0.3, 0.0, 1.5];
//! let labels = [0u8, 1, 2, 2];
//! let input = Input::new(&logits, Shape::new(1, 3, &[2, 2])?, Target::labels(&labels))?;
//! let mut grad = [0.0f32; 12];
//! let loss = engine::forward_backward(&Focal::new(2.0), &input, &mut [], &mut grad)?;
//! assert!(loss.is_finite() && grad.iter().all(|g| g.is_finite()));
//! # Ok::<(), segloss::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

extern crate self as segloss;

/// Evaluates `$body` with `$act` bound to the activation `$value` as a constant, once per
/// activation, so the loops in `$body` compile without a per-element branch on it.
macro_rules! for_activation {
    ($value:expr, |$act:ident| $body:expr) => {
        match $value {
            $crate::Activation::Softmax => {
                let $act = $crate::Activation::Softmax;
                $body
            }
            $crate::Activation::Sigmoid => {
                let $act = $crate::Activation::Sigmoid;
                $body
            }
            $crate::Activation::Identity => {
                let $act = $crate::Activation::Identity;
                $body
            }
        }
    };
}
pub(crate) use for_activation;

pub mod catalogue;
pub mod compound;
pub mod edt;
pub mod engine;
mod error;
pub mod fastmath;
mod input;
pub mod kernel;
mod lanes;
pub mod losses;
pub mod metrics;
pub mod presets;
mod real;
mod select;
mod shape;
mod target;
mod tile;

pub use engine::{Finalized, Loss, Stats};
pub use error::{Buffer, Error};
pub use input::{Activation, Input, DEFAULT_TILE_PIXELS};
pub use real::Real;

/// The largest weight, `λ`, smoothing term or exponent a loss accepts (finding F10): with
/// two such factors and the `1e12` floor of `1/p`, a gradient term stays below `f32`'s range
/// (`1e8 · 1e8 · 1e12 = 1e28`), and a value below `f64`'s.
pub const MAX_WEIGHT: f64 = 1e8;

/// The smallest nonzero class weight a loss accepts, `1 / MAX_WEIGHT` (finding F16): a
/// weighted mean divides by the weights' sum, whose reciprocal overflows for subnormal
/// weights. A weight of exactly 0 (a class left out) is always accepted.
pub const MIN_WEIGHT: f64 = 1.0 / MAX_WEIGHT;
pub use shape::{Layout, Shape, MAX_CLASSES};
pub use target::{Labels, Target};
pub use tile::{ClassRow, Tile, SMALLEST_TARGET, TILE_ELEMENTS};

pub use segloss_macros::{region_loss, Loss};
pub mod region;
pub mod rng;
