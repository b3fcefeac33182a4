//! The losses of the paper, each a [`Loss`](crate::Loss) with value and gradient.
//!
//! Distribution-based: [`CrossEntropy`], [`WeightedCrossEntropy`], [`TopK`],
//! [`TopKThreshold`], [`Focal`], [`Dpce`] (its penalty map: [`dpce_penalty`]),
//! [`BalancedBce`] (Combo's), [`ExpLogCe`] (ELL's).
//! Region-based (declared with [`region_loss!`](crate::region_loss)): [`Dice`], [`Iou`],
//! [`Tversky`], [`FocalTversky`], [`FocalTverskyMean`], [`Asym`], [`GeneralizedDice`],
//! [`PenaltyGeneralizedDice`], [`SensitivitySpecificity`], [`Mcc`], [`ExpLogDice`] (ELL's),
//! [`LogCoshDice`].
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
    Asym, Dice, FocalTversky, FocalTverskyMean, GeneralizedDice, GeneralizedDiceWType, Iou,
    LogCoshDice, Mcc, PenaltyGeneralizedDice, PenaltyGeneralizedDiceWType, SensitivitySpecificity,
    Tversky,
};
pub use schedule::{Schedule, Weights};
pub use topk::{TopK, TopKThreshold};
pub use wce::{ClassWeights, WeightedCrossEntropy, MAX_INVERSE_FREQUENCY};

/// Calls `$callback! { ... }` with every loss of the library, once: the one list the
/// [`catalogue`](crate::catalogue), the std adapter's run-time losses, the tests, the fuzz
/// targets and the no-std canary expand from.
///
/// Leaves come as `Variant(Type<'a, ...>, Type<'static, ...>)`, the type as a run-time loss
/// borrowing for `'a` over the element type `T`, and its `'static` (`f64`) form for where
/// no lifetime or element type is in scope; compounds as their `'static` type; presets as
/// the path of their [`Descriptor`](crate::catalogue::Descriptor).
///
/// ```
/// macro_rules! count {
///     (distribution { $($d:ident($($dt:tt)*)),* $(,)? } region { $($r:ident($($rt:tt)*)),* $(,)? }
///      boundary { $($b:ident($($bt:tt)*)),* $(,)? } compound { $($c:ty),* $(,)? }
///      preset { $($p:path),* $(,)? }) => {
///         [$(stringify!($d)),*].len() + [$(stringify!($r)),*].len() + [$(stringify!($b)),*].len()
///     };
/// }
/// assert_eq!(segloss::with_catalogue!(count), segloss::catalogue::CATALOGUE.iter().filter(|d| d.is_leaf()).count());
/// ```
#[macro_export]
macro_rules! with_catalogue {
    ($callback:ident) => {
        $callback! {
            distribution {
                Ce($crate::losses::CrossEntropy<'a>, $crate::losses::CrossEntropy<'static>),
                Wce($crate::losses::WeightedCrossEntropy<'a>, $crate::losses::WeightedCrossEntropy<'static>),
                TopK($crate::losses::TopK, $crate::losses::TopK),
                TopKThreshold($crate::losses::TopKThreshold, $crate::losses::TopKThreshold),
                Focal($crate::losses::Focal<'a>, $crate::losses::Focal<'static>),
                Dpce($crate::losses::Dpce<'a, T>, $crate::losses::Dpce<'static, f64>),
                BalancedBce($crate::losses::BalancedBce, $crate::losses::BalancedBce),
                ExpLogCe($crate::losses::ExpLogCe<'a>, $crate::losses::ExpLogCe<'static>),
            }
            region {
                Dice($crate::losses::Dice<'a>, $crate::losses::Dice<'static>),
                Iou($crate::losses::Iou<'a>, $crate::losses::Iou<'static>),
                Tversky($crate::losses::Tversky<'a>, $crate::losses::Tversky<'static>),
                FocalTversky($crate::losses::FocalTversky<'a>, $crate::losses::FocalTversky<'static>),
                FocalTverskyMean($crate::losses::FocalTverskyMean<'a>, $crate::losses::FocalTverskyMean<'static>),
                Asym($crate::losses::Asym<'a>, $crate::losses::Asym<'static>),
                GeneralizedDice($crate::losses::GeneralizedDice<'a>, $crate::losses::GeneralizedDice<'static>),
                PenaltyGeneralizedDice($crate::losses::PenaltyGeneralizedDice<'a>, $crate::losses::PenaltyGeneralizedDice<'static>),
                SensitivitySpecificity($crate::losses::SensitivitySpecificity<'a>, $crate::losses::SensitivitySpecificity<'static>),
                Mcc($crate::losses::Mcc<'a>, $crate::losses::Mcc<'static>),
                ExpLogDice($crate::losses::ExpLogDice<'a>, $crate::losses::ExpLogDice<'static>),
                LogCoshDice($crate::losses::LogCoshDice<'a>, $crate::losses::LogCoshDice<'static>),
                SoftDice($crate::presets::SoftDice<'a>, $crate::presets::SoftDice<'static>),
                SmpDice($crate::presets::SmpDice<'a>, $crate::presets::SmpDice<'static>),
            }
            boundary {
                Boundary($crate::losses::Boundary<'a, T>, $crate::losses::Boundary<'static, f64>),
                Hausdorff($crate::losses::Hausdorff, $crate::losses::Hausdorff),
            }
            compound {
                $crate::losses::DiceCe<'static>,
                $crate::losses::DiceFocal<'static>,
                $crate::losses::DiceTopK<'static>,
                $crate::losses::Combo<'static>,
                $crate::losses::Ell<'static>,
                $crate::losses::DiceBoundary<'static, 'static, f64>,
                $crate::losses::DiceHausdorff<'static>,
            }
            preset {
                $crate::presets::nnunet::SOFT_DICE,
                $crate::presets::nnunet::DC_AND_CE,
                $crate::presets::smp::DICE,
                $crate::presets::paper::SOFT_DICE,
                $crate::presets::paper::FOCAL_TVERSKY,
                $crate::presets::monai::FOCAL,
                $crate::presets::monai::LOG_HAUSDORFF,
            }
        }
    };
}

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
