//! Other libraries' conventions, so that their users reproduce their numbers exactly.
//!
//! MONAI's are the defaults of the loss types themselves ([`Dice::new`](crate::losses::Dice),
//! [`DiceCe::new`](crate::losses::DiceCe), ...); this module holds the others.

use crate::losses::{CrossEntropy, Reduction};
use crate::Loss;

crate::region_loss! {
    /// nnU-Net's `SoftDiceLoss` (also the paper's code's): the *negative* soft Dice
    /// `−(2tp + smooth) / (2tp + fp + fn + smooth)` per class, averaged (nnU-Net clips the
    /// denominator at 1e-8, which a positive `smooth` never reaches).
    ///
    /// ```
    /// use segloss::{engine, presets::nnunet, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// let loss = engine::forward(&nnunet::soft_dice(false, true), &input, &mut [])?;
    /// assert!(loss < 0.0 && loss > -1.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    pub struct SoftDice { smooth: 1e-5 }
    require smooth >= 0;
    loss = -(2 * tp + smooth) / (2 * tp + fp + fn + smooth);
}

crate::region_loss! {
    /// segmentation_models_pytorch's `DiceLoss` (multiclass): `1 − (2tp + smooth) /
    /// (Σs + Σg + smooth)` per class pooled over the batch, 0 for a class absent from the
    /// target, averaged over all classes (smp clamps the denominator at `eps = 1e-7`, which a
    /// present class never reaches).
    ///
    /// ```
    /// use segloss::{engine, presets::smp, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// assert!(engine::forward(&smp::dice(), &input, &mut [])? > 0.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    pub struct SmpDice { smooth: 0.0 }
    require smooth >= 0;
    loss = if sum_g > 0 { 1 - (2 * tp + smooth) / (sum_s + sum_g + smooth) } else { 0 };
}

/// nnU-Net's Dice + cross entropy (`DC_and_CE_loss`): `weight_ce · CE + weight_dice ·
/// SoftDice`, the Dice part negative as in nnU-Net.
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct NnunetDiceCe<'w> {
    /// nnU-Net's soft Dice.
    #[loss(weight = self.weight_dice)]
    pub dice: SoftDice<'w>,
    /// The cross entropy (nnU-Net's `RobustCrossEntropyLoss`: PyTorch's, mean).
    #[loss(weight = self.weight_ce)]
    pub ce: CrossEntropy<'w>,
    /// Weight of the Dice part (1).
    pub weight_dice: f64,
    /// Weight of the cross entropy (1).
    pub weight_ce: f64,
}

/// nnU-Net v2 (`nnunetv2/training/loss`).
pub mod nnunet {
    use super::{NnunetDiceCe, SoftDice};
    use crate::losses::CrossEntropy;

    /// `SoftDiceLoss(batch_dice, do_bg, smooth = 1e-5)` after a softmax.
    pub fn soft_dice(batch_dice: bool, do_bg: bool) -> SoftDice<'static> {
        SoftDice::new()
            .with_smooth(1e-5)
            .with_batch(batch_dice)
            .with_include_background(do_bg)
    }

    /// `DC_and_CE_loss` with `weight_ce = weight_dice = 1` (ignore label: the target's
    /// ignore index).
    ///
    /// ```
    /// use segloss::{engine, presets::nnunet, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// assert!(engine::forward(&nnunet::dc_and_ce(false, false), &input, &mut [])?.is_finite());
    /// # Ok::<(), segloss::Error>(())
    /// ```
    pub fn dc_and_ce(batch_dice: bool, do_bg: bool) -> NnunetDiceCe<'static> {
        NnunetDiceCe {
            dice: soft_dice(batch_dice, do_bg),
            ce: CrossEntropy::new(),
            weight_dice: 1.0,
            weight_ce: 1.0,
        }
    }
}

/// segmentation_models_pytorch (`segmentation_models_pytorch.losses`).
pub mod smp {
    use super::SmpDice;

    /// `DiceLoss(mode = "multiclass", from_logits = True, smooth = 0)` after a softmax.
    pub fn dice() -> SmpDice<'static> {
        SmpDice::new().with_batch(true)
    }
}

/// The paper's PyTorch code (`losses_pytorch` of *Segmentation Loss Odyssey*).
pub mod paper {
    use super::SoftDice;
    use crate::losses::FocalTverskyMean;

    /// `SoftDiceLoss(batch_dice = False, do_bg = True, smooth = 1)`: `−mean (2tp + 1) /
    /// (2tp + fp + fn + 1)`.
    pub fn soft_dice() -> SoftDice<'static> {
        SoftDice::new().with_smooth(1.0)
    }

    /// `FocalTversky_loss`: `(1 + TverskyLoss)^0.75` with the code's Tversky
    /// (`α = 0.3` on fp, `β = 0.7` on fn, smooth 1, `−mean T`): `(1 − mean_c T_c)^(3/4)`.
    pub fn focal_tversky() -> FocalTverskyMean<'static> {
        FocalTverskyMean::new()
            .with_alpha(0.3)
            .with_beta(0.7)
            .with_gamma(4.0 / 3.0)
            .with_smooth_nr(1.0)
            .with_smooth_dr(1.0)
    }
}

/// MONAI's conventions where they are not the types' defaults.
pub mod monai {
    use super::Reduction;
    use crate::losses::Focal;

    /// `FocalLoss(gamma)`: the mean over pixels × classes.
    pub fn focal(gamma: f64) -> Focal<'static> {
        Focal::new(gamma).with_reduction(Reduction::ElementMean)
    }
}
