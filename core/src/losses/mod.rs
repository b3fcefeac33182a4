//! The losses of the paper, each a [`Loss`](crate::Loss) with value and gradient.
//!
//! Distribution-based: [`CrossEntropy`], [`WeightedCrossEntropy`], [`TopK`],
//! [`TopKThreshold`], [`Focal`], [`Dpce`] (its penalty map: [`dpce_penalty`]),
//! [`BalancedBce`] (Combo's), [`ExpLogCe`] (ELL's).
//! Region-based (declared with [`region_loss!`](crate::region_loss)): [`Dice`], [`Iou`],
//! [`Tversky`], [`FocalTversky`], [`FocalTverskyMean`], [`Asym`], [`GeneralizedDice`],
//! [`PenaltyGeneralizedDice`], [`SensitivitySpecificity`], [`Mcc`], [`ExpLogDice`] (ELL's).
//! Boundary-based: [`Boundary`], [`Hausdorff`]; the weight schedules of their compounds
//! with Dice: [`Schedule`].
//! Compound (fused with `#[derive(Loss)]`): [`DiceCe`], [`DiceFocal`], [`DiceTopK`], [`Combo`],
//! [`Ell`], [`DiceBoundary`], [`DiceHausdorff`].

mod bce;
mod boundary;
mod ce;
mod check;
mod compounds;
mod distmap;
mod dpce;
mod dpce_map;
pub(crate) mod elementwise;
mod exp_log;
mod focal;
mod hausdorff;
mod overlap;
mod schedule;
mod topk;
mod wce;
mod xent;

pub use bce::BalancedBce;
pub use boundary::{Boundary, BoundaryStats};
pub use ce::CrossEntropy;
pub(crate) use check::class_weights as check_class_weights;
pub use compounds::{Combo, DiceBoundary, DiceCe, DiceFocal, DiceHausdorff, DiceTopK, Ell};
pub use dpce::Dpce;
pub use dpce_map::{dpce_penalty, DpcePenalty};
pub use exp_log::{ExpLogCe, ExpLogDice};
pub use focal::{Alpha, Focal};
pub use hausdorff::{Hausdorff, HausdorffStats};
pub use overlap::{
    Asym, Dice, FocalTversky, FocalTverskyMean, GeneralizedDice, GeneralizedDiceWType, Iou, Mcc,
    PenaltyGeneralizedDice, PenaltyGeneralizedDiceWType, SensitivitySpecificity, Tversky,
};
pub use schedule::{Schedule, Weights};
pub use topk::{TopK, TopKThreshold};
pub use wce::{ClassWeights, WeightedCrossEntropy, MAX_INVERSE_FREQUENCY};

/// How per-pixel terms are reduced to one number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The paper's default: the sum over classes, averaged over the valid pixels (or over the
    /// loss's own normaliser, as each loss documents).
    #[default]
    Mean,
    /// The plain sum over valid pixels and classes.
    Sum,
    /// The mean over valid pixels × classes: PyTorch's `BCEWithLogitsLoss` and MONAI's
    /// `FocalLoss` mean. Pixel losses only; the TopK and region losses treat it as `Mean`.
    ElementMean,
}

/// Summed per-pixel terms and what they are averaged over.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PixelSum {
    /// The summed terms over valid pixels and classes.
    pub loss: f64,
    /// Valid pixels.
    pub pixels: f64,
    /// Classes.
    pub classes: usize,
}

impl crate::Stats for PixelSum {
    fn merge(&mut self, o: &Self) {
        self.loss += o.loss;
        self.pixels += o.pixels;
        self.classes = self.classes.max(o.classes);
    }
}

impl PixelSum {
    /// Counts a tile's valid pixels and classes.
    pub(crate) fn count<T: crate::Real>(&mut self, tile: &crate::Tile<'_, T>) {
        self.pixels += crate::lanes::sum(tile.valid());
        self.classes = tile.classes();
    }
}

/// The factor a pixel loss's sum is multiplied by: `1/N`, `1/(N·C)` or 1 (0 when nothing
/// counts, so the loss and its gradient are 0).
pub(crate) fn pixel_scale(reduction: Reduction, pixels: f64, classes: usize) -> f64 {
    let count = match reduction {
        Reduction::Sum => return 1.0,
        Reduction::Mean => pixels,
        Reduction::ElementMean => pixels * classes as f64,
    };
    if count > 0.0 {
        1.0 / count
    } else {
        0.0
    }
}

/// Value and gradient scale of a pixel loss.
pub(crate) fn reduce(reduction: Reduction, s: &PixelSum) -> crate::Finalized<f64> {
    let scale = pixel_scale(reduction, s.pixels, s.classes);
    crate::Finalized {
        value: s.loss * scale,
        coef: scale,
    }
}
