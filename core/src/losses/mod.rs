//! The losses of the paper, each a [`Loss`](crate::Loss) with value and gradient.
//!
//! Distribution-based: [`CrossEntropy`], [`WeightedCrossEntropy`], [`TopK`],
//! [`TopKThreshold`], [`Focal`], [`Dpce`] (its penalty map: [`dpce_penalty`]).
//!
//! Boundary-based: [`Boundary`], [`Hausdorff`]; the weight schedules of their compounds
//! with Dice: [`Schedule`].

mod boundary;
mod ce;
mod check;
mod distmap;
mod dpce;
mod dpce_map;
mod focal;
mod hausdorff;
mod schedule;
mod topk;
mod wce;
mod xent;

pub use boundary::{Boundary, BoundaryStats};
pub use ce::CrossEntropy;
pub use dpce::Dpce;
pub use dpce_map::{dpce_penalty, DpcePenalty};
pub use focal::{Alpha, Focal};
pub use hausdorff::{Hausdorff, HausdorffStats};
pub use schedule::{Schedule, Weights};
pub use topk::{TopK, TopKThreshold};
pub use wce::{ClassWeights, WeightedCrossEntropy};

/// How per-pixel terms are reduced to one number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The paper's default: the sum over classes, averaged over the valid pixels (or over the
    /// loss's own normaliser, as each loss documents).
    #[default]
    Mean,
    /// The plain sum over valid pixels and classes.
    Sum,
}
