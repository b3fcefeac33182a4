//! Other libraries' conventions, so that their users reproduce their numbers exactly.
//!
//! MONAI's are the defaults of the loss types themselves ([`Dice::new`](crate::losses::Dice),
//! [`DiceCe::new`](crate::losses::DiceCe), ...); this module holds the others.

use crate::catalogue::{Constant, Kind, Param, Setting};
use crate::losses::{CrossEntropy, Reduction};
use crate::Loss;

/// nnU-Net's two constructor arguments.
const BATCH_DICE: Param = Param::argument(
    "batch_dice",
    Kind::Bool,
    None,
    "Pools the Dice statistics over the batch (nnU-Net's batch_dice).",
);
const DO_BG: Param = Param::argument(
    "do_bg",
    Kind::Bool,
    None,
    "Includes the background class (nnU-Net's do_bg).",
);

/// How nnU-Net's soft Dice member is set: smooth 1e-5, its arguments renamed.
const NNUNET_DICE_SETTINGS: &[Setting] = &[
    Setting::Fixed("smooth", Constant::Number(1e-5)),
    Setting::Renamed {
        member: "batch",
        compound: "batch_dice",
    },
    Setting::Renamed {
        member: "include_background",
        compound: "do_bg",
    },
];

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
    #[catalogue(name = "soft_dice", rust = "presets::SoftDice", hidden)]
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
    #[catalogue(name = "smp_dice_formula", rust = "presets::SmpDice", hidden)]
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
    use super::{NnunetDiceCe, SoftDice, BATCH_DICE, DO_BG, NNUNET_DICE_SETTINGS};
    use crate::catalogue::{Constant, Descriptor, Family, Kind, Member, Param, Weight};
    use crate::losses::CrossEntropy;

    /// The catalogue entry of [`soft_dice`].
    pub const SOFT_DICE: Descriptor = Descriptor::of_members(
        "nnunet_soft_dice",
        &["nnunet_dice"],
        Family::Preset,
        "presets::nnunet::soft_dice(batch_dice, do_bg)",
        "nnU-Net's SoftDiceLoss after a softmax: the negative soft Dice, smooth 1e-5.",
        &[BATCH_DICE, DO_BG],
        &[Member {
            field: "dice",
            loss: "soft_dice",
            weight: Weight::One,
            settings: NNUNET_DICE_SETTINGS,
        }],
    );

    /// The catalogue entry of [`dc_and_ce`] (the type [`NnunetDiceCe`]).
    pub const DC_AND_CE: Descriptor = Descriptor::of_members(
        "nnunet_dc_and_ce",
        &["nnunet_dice_ce"],
        Family::Preset,
        "presets::nnunet::dc_and_ce(batch_dice, do_bg) (presets::NnunetDiceCe)",
        "nnU-Net's DC_and_CE_loss: weight_ce * CE + weight_dice * SoftDice.",
        &[
            BATCH_DICE,
            DO_BG,
            Param::new(
                "weight_dice",
                Kind::Number,
                Constant::Number(1.0),
                "The weight of the Dice part.",
            ),
            Param::new(
                "weight_ce",
                Kind::Number,
                Constant::Number(1.0),
                "The weight of the cross entropy.",
            ),
        ],
        &[
            Member {
                field: "dice",
                loss: "soft_dice",
                weight: Weight::Param("weight_dice"),
                settings: NNUNET_DICE_SETTINGS,
            },
            Member {
                field: "ce",
                loss: "ce",
                weight: Weight::Param("weight_ce"),
                settings: &[],
            },
        ],
    );

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
    use crate::catalogue::{Constant, Descriptor, Family, Member, Setting, Weight};

    /// The catalogue entry of [`dice`].
    pub const DICE: Descriptor = Descriptor::of_members(
        "smp_dice",
        &[],
        Family::Preset,
        "presets::smp::dice()",
        "segmentation_models_pytorch's multiclass DiceLoss (from logits, smooth 0), pooled over the batch.",
        &[],
        &[Member {
            field: "dice",
            loss: "smp_dice_formula",
            weight: Weight::One,
            settings: &[Setting::Fixed("batch", Constant::Bool(true))],
        }],
    );

    /// `DiceLoss(mode = "multiclass", from_logits = True, smooth = 0)` after a softmax.
    pub fn dice() -> SmpDice<'static> {
        SmpDice::new().with_batch(true)
    }
}

/// The paper's PyTorch code (`losses_pytorch` of *Segmentation Loss Odyssey*).
pub mod paper {
    use super::SoftDice;
    use crate::catalogue::{Constant, Descriptor, Family, Member, Setting, Weight};
    use crate::losses::FocalTverskyMean;

    /// The catalogue entry of [`soft_dice`].
    pub const SOFT_DICE: Descriptor = Descriptor::of_members(
        "paper_soft_dice",
        &["paper_dice"],
        Family::Preset,
        "presets::paper::soft_dice()",
        "The paper's code's SoftDiceLoss: the negative soft Dice, smooth 1.",
        &[],
        &[Member {
            field: "dice",
            loss: "soft_dice",
            weight: Weight::One,
            settings: &[Setting::Fixed("smooth", Constant::Number(1.0))],
        }],
    );

    /// The catalogue entry of [`focal_tversky`].
    pub const FOCAL_TVERSKY: Descriptor = Descriptor::of_members(
        "paper_focal_tversky",
        &[],
        Family::Preset,
        "presets::paper::focal_tversky()",
        "The paper's code's FocalTversky_loss: (1 - mean_c T_c)^(3/4), alpha 0.3, beta 0.7, smooth 1.",
        &[],
        &[Member {
            field: "loss",
            loss: "focal_tversky_mean",
            weight: Weight::One,
            settings: &[
                Setting::Fixed("alpha", Constant::Number(0.3)),
                Setting::Fixed("beta", Constant::Number(0.7)),
                Setting::Fixed("gamma", Constant::Number(4.0 / 3.0)),
                Setting::Fixed("smooth_nr", Constant::Number(1.0)),
                Setting::Fixed("smooth_dr", Constant::Number(1.0)),
            ],
        }],
    );

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
    use crate::catalogue::{Constant, Descriptor, Family, Kind, Member, Param, Setting, Weight};
    use crate::losses::{Focal, Hausdorff};

    /// The catalogue entry of [`focal`].
    pub const FOCAL: Descriptor = Descriptor::of_members(
        "monai_focal",
        &[],
        Family::Preset,
        "presets::monai::focal(gamma)",
        "MONAI's FocalLoss(gamma): the focal loss averaged over pixels x classes.",
        &[Param::argument(
            "gamma",
            Kind::Number,
            None,
            "The focusing exponent, >= 0.",
        )],
        &[Member {
            field: "focal",
            loss: "focal",
            weight: Weight::One,
            settings: &[
                Setting::Renamed {
                    member: "gamma",
                    compound: "gamma",
                },
                Setting::Fixed("reduction", Constant::Word("element_mean")),
            ],
        }],
    );

    /// The catalogue entry of [`log_hausdorff`].
    pub const LOG_HAUSDORFF: Descriptor = Descriptor::of_members(
        "log_hausdorff",
        &["log_hd", "log_hausdorff_dt"],
        Family::Preset,
        "presets::monai::log_hausdorff()",
        "MONAI's LogHausdorffDTLoss: ln(1 + L) of the Hausdorff distance-transform loss.",
        &[],
        &[Member {
            field: "hd",
            loss: "hausdorff",
            weight: Weight::One,
            settings: &[Setting::Fixed("log", Constant::Bool(true))],
        }],
    );

    /// `LogHausdorffDTLoss()`: `ln(1 + L)` of [`Hausdorff`]'s value (MONAI's defaults).
    pub fn log_hausdorff() -> Hausdorff {
        Hausdorff::new().with_log(true)
    }

    /// `FocalLoss(gamma)`: the mean over pixels × classes.
    pub fn focal(gamma: f64) -> Focal<'static> {
        Focal::new(gamma).with_reduction(Reduction::ElementMean)
    }
}
