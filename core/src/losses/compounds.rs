//! The compound losses of the paper, each a struct of weighted members fused by
//! `#[derive(Loss)]`: one accumulate pass and one gradient pass whatever the members.
//! Their fields are public: configure a member by replacing it.

use super::{BalancedBce, CrossEntropy, Dice, ExpLogCe, ExpLogDice, Focal, Reduction, TopK};
use crate::catalogue::{
    Constant, Describe, Descriptor, Family, Kind, Member, Param, Setting, Weight, SCHEDULES,
};
use crate::Loss;

/// A compound's weight parameter `name` (default 1).
const fn lambda(name: &'static str, doc: &'static str) -> Param {
    Param::new(name, Kind::Number, Constant::Number(1.0), doc)
}

/// A member with no settings.
const fn member(field: &'static str, loss: &'static str, weight: Weight) -> Member {
    Member {
        field,
        loss,
        weight,
        settings: &[],
    }
}

/// Dice + cross entropy, as MONAI's `DiceCELoss` (`λ_dice · Dice + λ_ce · CE`); nnU-Net's
/// `DC_and_CE_loss` is [`presets::nnunet::dc_and_ce`](crate::presets::nnunet::dc_and_ce).
///
/// ```
/// use segloss::{engine, losses::{Dice, DiceCe}, Input, Shape, Target};
/// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0]; // (B=1, C=2, 3 pixels)
/// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
/// let loss = DiceCe { dice: Dice::new().with_include_background(false), ..DiceCe::new() };
/// let mut grad = [0.0f32; 6];
/// assert!(engine::forward_backward(&loss, &input, &mut [], &mut grad)? > 0.0);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct DiceCe<'w> {
    /// The Dice member.
    #[loss(weight = self.lambda_dice)]
    pub dice: Dice<'w>,
    /// The cross-entropy member.
    #[loss(weight = self.lambda_ce)]
    pub ce: CrossEntropy<'w>,
    /// Weight of the Dice member (1).
    pub lambda_dice: f64,
    /// Weight of the cross-entropy member (1).
    pub lambda_ce: f64,
}

impl DiceCe<'_> {
    /// MONAI's defaults: both members with their defaults, weights 1.
    pub fn new() -> Self {
        DiceCe {
            dice: Dice::new(),
            ce: CrossEntropy::new(),
            lambda_dice: 1.0,
            lambda_ce: 1.0,
        }
    }
}

impl Default for DiceCe<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Dice + focal, as MONAI's `DiceFocalLoss`: the focal member averages over pixels ×
/// classes ([`Reduction::ElementMean`]), as MONAI's `FocalLoss` does.
///
/// ```
/// use segloss::{engine, losses::DiceFocal, Input, Shape, Target};
/// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
/// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
/// assert!(engine::forward(&DiceFocal::new(), &input, &mut [])? > 0.0);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct DiceFocal<'w> {
    /// The Dice member.
    #[loss(weight = self.lambda_dice)]
    pub dice: Dice<'w>,
    /// The focal member.
    #[loss(weight = self.lambda_focal)]
    pub focal: Focal<'w>,
    /// Weight of the Dice member (1).
    pub lambda_dice: f64,
    /// Weight of the focal member (1).
    pub lambda_focal: f64,
}

impl DiceFocal<'_> {
    /// MONAI's defaults: γ = 2, no α, weights 1.
    pub fn new() -> Self {
        DiceFocal {
            dice: Dice::new(),
            focal: Focal::new(2.0).with_reduction(Reduction::ElementMean),
            lambda_dice: 1.0,
            lambda_focal: 1.0,
        }
    }
}

impl Default for DiceFocal<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Dice + TopK cross entropy (nnU-Net's `DC_and_topk_loss`; the paper's Dice + TopK).
///
/// ```
/// use segloss::{engine, losses::DiceTopK, Input, Loss, Shape, Target};
/// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
/// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
/// let loss = DiceTopK::new();
/// let mut ws = vec![0.0f32; Loss::<f32>::workspace_len(&loss, &input.shape())];
/// assert!(engine::forward(&loss, &input, &mut ws)? > 0.0);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct DiceTopK<'w> {
    /// The Dice member.
    #[loss(weight = self.lambda_dice)]
    pub dice: Dice<'w>,
    /// The TopK member (k = 10 %).
    #[loss(weight = self.lambda_topk)]
    pub topk: TopK,
    /// Weight of the Dice member (1).
    pub lambda_dice: f64,
    /// Weight of the TopK member (1).
    pub lambda_topk: f64,
}

impl DiceTopK<'_> {
    /// Dice with its defaults + TopK with k = 10 %, weights 1.
    pub fn new() -> Self {
        DiceTopK {
            dice: Dice::new(),
            topk: TopK::new(10.0),
            lambda_dice: 1.0,
            lambda_topk: 1.0,
        }
    }
}

impl Default for DiceTopK<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Combo loss (Taghanaki et al., the paper's eq. 15):
/// `α · L_mbce(β) + (1 − α) · Dice`, with Dice as the loss `1 − DSC` (the paper's `−DSC`
/// plus the constant `1 − α`: the same gradient).
///
/// ```
/// use segloss::{engine, losses::Combo, Input, Shape, Target};
/// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
/// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
/// assert!(engine::forward(&Combo::new(0.5, 0.5), &input, &mut [])? > 0.0);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct Combo<'w> {
    /// The β-balanced binary cross entropy.
    #[loss(weight = self.alpha)]
    pub bce: BalancedBce,
    /// The Dice member.
    #[loss(weight = 1.0 - self.alpha)]
    pub dice: Dice<'w>,
    /// The share `α` of the cross-entropy term.
    pub alpha: f64,
}

impl Combo<'_> {
    /// Combo with share `alpha` of the cross entropy and its balance `beta`.
    pub fn new(alpha: f64, beta: f64) -> Self {
        Combo {
            bce: BalancedBce::new(beta),
            dice: Dice::new(),
            alpha,
        }
    }
}

impl Default for Combo<'_> {
    /// `α = β = 0.5`: the cross entropy and Dice weighted alike, positives and negatives alike.
    fn default() -> Self {
        Combo::new(0.5, 0.5)
    }
}

/// Exponential logarithmic loss (Wong et al., the paper's eq. 16):
/// `w_dice · mean_c (−ln Dice_c)^γ_dice + w_ce · mean_i w_l (−ln s_il)^γ_ce`.
///
/// ```
/// use segloss::{engine, losses::Ell, Input, Shape, Target};
/// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
/// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
/// assert!(engine::forward(&Ell::new(), &input, &mut [])? > 0.0);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct Ell<'w> {
    /// The Dice part, `(−ln Dice)^γ_dice`.
    #[loss(weight = self.w_dice)]
    pub dice: ExpLogDice<'w>,
    /// The cross-entropy part, `(−ln s)^γ_ce`.
    #[loss(weight = self.w_ce)]
    pub ce: ExpLogCe<'w>,
    /// Weight of the Dice part (0.8).
    pub w_dice: f64,
    /// Weight of the cross-entropy part (0.2).
    pub w_ce: f64,
}

impl Ell<'_> {
    /// Wong et al.'s setting: `w_dice = 0.8`, `w_ce = 0.2`, `γ_dice = γ_ce = 0.3`.
    pub fn new() -> Self {
        Ell {
            dice: ExpLogDice::new().with_gamma(0.3),
            ce: ExpLogCe::new(0.3),
            w_dice: 0.8,
            w_ce: 0.2,
        }
    }

    /// Sets both exponents: `γ_dice` and `γ_ce`.
    pub fn with_gammas(mut self, gamma_dice: f64, gamma_ce: f64) -> Self {
        self.dice = self.dice.with_gamma(gamma_dice);
        self.ce = self.ce.with_gamma(gamma_ce);
        self
    }
}

impl Default for Ell<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// Dice + boundary loss (Kervadec et al.), weighted by a [`Schedule`](super::Schedule)'s
/// [`Weights`](super::Weights) at the current epoch.
///
/// ```
/// use segloss::{engine, losses::{DiceBoundary, Schedule}, Input, Loss, Shape, Target};
/// let logits = [1.0f64, -1.0, 0.0, 2.0, -2.0, 1.0, 0.5, 0.0]; // (B=1, C=2, 4 pixels)
/// let input = Input::new(&logits, Shape::new(1, 2, &[4])?, Target::labels(&[0u8, 1, 1, 0]))?;
/// let loss = DiceBoundary::new().at_epoch(&Schedule::boundary(), 30);
/// let mut ws = vec![0.0; Loss::<f64>::workspace_len(&loss, &input.shape())];
/// let mut grad = [0.0; 8];
/// assert!(engine::forward_backward(&loss, &input, &mut ws, &mut grad)?.is_finite());
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct DiceBoundary<'w, 'm, T> {
    /// The Dice member.
    #[loss(weight = self.weights.region)]
    pub dice: Dice<'w>,
    /// The boundary member.
    #[loss(weight = self.weights.boundary)]
    pub boundary: super::Boundary<'m, T>,
    /// The members' weights (from a schedule).
    pub weights: super::Weights,
}

impl<T: crate::Real> DiceBoundary<'_, '_, T> {
    /// Dice and boundary with their defaults, weighted as at the first epoch of
    /// [`Schedule::boundary`](super::Schedule::boundary) (Dice only).
    pub fn new() -> Self {
        DiceBoundary {
            dice: Dice::new(),
            boundary: super::Boundary::new(),
            weights: super::Schedule::boundary().at(0),
        }
    }

    /// The weights of `schedule` at `epoch`.
    pub fn at_epoch(mut self, schedule: &super::Schedule, epoch: u64) -> Self {
        self.weights = schedule.at(epoch);
        self
    }
}

impl<T: crate::Real> Default for DiceBoundary<'_, '_, T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Dice + Hausdorff distance-transform loss (Karimi and Salcudean), weighted by a
/// [`Schedule`](super::Schedule)'s [`Weights`](super::Weights).
///
/// ```
/// use segloss::{engine, losses::{DiceHausdorff, Schedule}, Input, Loss, Shape, Target};
/// let logits = [1.0f64, -1.0, 0.0, 2.0, -2.0, 1.0, 0.5, 0.0];
/// let input = Input::new(&logits, Shape::new(1, 2, &[4])?, Target::labels(&[0u8, 1, 1, 0]))?;
/// let loss = DiceHausdorff::new().at_epoch(&Schedule::hausdorff(), 100);
/// let mut ws = vec![0.0; Loss::<f64>::workspace_len(&loss, &input.shape())];
/// assert!(engine::forward(&loss, &input, &mut ws)?.is_finite());
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Loss)]
pub struct DiceHausdorff<'w> {
    /// The Dice member.
    #[loss(weight = self.weights.region)]
    pub dice: Dice<'w>,
    /// The Hausdorff member.
    #[loss(weight = self.weights.boundary)]
    pub hd: super::Hausdorff,
    /// The members' weights (from a schedule).
    pub weights: super::Weights,
}

impl DiceHausdorff<'_> {
    /// Dice and Hausdorff with their defaults, weighted as at the first epoch of
    /// [`Schedule::hausdorff`](super::Schedule::hausdorff).
    pub fn new() -> Self {
        DiceHausdorff {
            dice: Dice::new(),
            hd: super::Hausdorff::new(),
            weights: super::Schedule::hausdorff().at(0),
        }
    }

    /// The weights of `schedule` at `epoch`.
    pub fn at_epoch(mut self, schedule: &super::Schedule, epoch: u64) -> Self {
        self.weights = schedule.at(epoch);
        self
    }
}

impl Default for DiceHausdorff<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl Describe for DiceCe<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::of_members(
        "dice_ce",
        &["dicece", "dice_ce_loss"],
        Family::Compound,
        "losses::DiceCe",
        "Dice + cross entropy, as MONAI's DiceCELoss.",
        &[
            lambda("lambda_dice", "The weight of the Dice member."),
            lambda("lambda_ce", "The weight of the cross-entropy member."),
        ],
        &[
            member("dice", "dice", Weight::Param("lambda_dice")),
            member("ce", "ce", Weight::Param("lambda_ce")),
        ],
    );
}

impl Describe for DiceFocal<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::of_members(
        "dice_focal",
        &["dicefocal"],
        Family::Compound,
        "losses::DiceFocal",
        "Dice + focal, as MONAI's DiceFocalLoss (the focal member's mean over pixels x classes).",
        &[
            lambda("lambda_dice", "The weight of the Dice member."),
            lambda("lambda_focal", "The weight of the focal member."),
        ],
        &[
            member("dice", "dice", Weight::Param("lambda_dice")),
            Member {
                field: "focal",
                loss: "focal",
                weight: Weight::Param("lambda_focal"),
                settings: &[Setting::Fixed("reduction", Constant::Word("element_mean"))],
            },
        ],
    );
}

impl Describe for DiceTopK<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::of_members(
        "dice_topk",
        &["dicetopk"],
        Family::Compound,
        "losses::DiceTopK",
        "Dice + TopK cross entropy (nnU-Net's DC_and_topk_loss).",
        &[
            lambda("lambda_dice", "The weight of the Dice member."),
            lambda("lambda_topk", "The weight of the TopK member."),
        ],
        &[
            member("dice", "dice", Weight::Param("lambda_dice")),
            member("topk", "topk", Weight::Param("lambda_topk")),
        ],
    );
}

impl Describe for Combo<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::of_members(
        "combo",
        &["combo_loss"],
        Family::Compound,
        "losses::Combo::new(alpha, beta)",
        "Combo loss (Taghanaki et al.): alpha * balanced BCE(beta) + (1 - alpha) * Dice.",
        &[
            Param::argument(
                "alpha",
                Kind::Number,
                None,
                "The share of the cross-entropy term.",
            ),
            Param::argument(
                "beta",
                Kind::Number,
                None,
                "The cross entropy's weight of the positives.",
            ),
        ],
        &[
            Member {
                field: "bce",
                loss: "balanced_bce",
                weight: Weight::Param("alpha"),
                settings: &[Setting::Renamed {
                    member: "beta",
                    compound: "beta",
                }],
            },
            member("dice", "dice", Weight::OneMinus("alpha")),
        ],
    );
}

impl Describe for Ell<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::of_members(
        "ell",
        &["exp_log", "exponential_logarithmic"],
        Family::Compound,
        "losses::Ell (with_gammas(gamma_dice, gamma_ce))",
        "Exponential logarithmic loss (Wong et al.): w_dice * (-ln Dice)^gamma_dice + w_ce * (-ln s)^gamma_ce.",
        &[
            Param::new("w_dice", Kind::Number, Constant::Number(0.8), "The weight of the Dice part."),
            Param::new("w_ce", Kind::Number, Constant::Number(0.2), "The weight of the cross-entropy part."),
            Param::new("gamma_dice", Kind::Number, Constant::Number(0.3), "The Dice part's exponent."),
            Param::new("gamma_ce", Kind::Number, Constant::Number(0.3), "The cross-entropy part's exponent."),
        ],
        &[
            Member {
                field: "dice",
                loss: "exp_log_dice",
                weight: Weight::Param("w_dice"),
                settings: &[Setting::Renamed {
                    member: "gamma",
                    compound: "gamma_dice",
                }],
            },
            Member {
                field: "ce",
                loss: "exp_log_ce",
                weight: Weight::Param("w_ce"),
                settings: &[Setting::Renamed {
                    member: "gamma",
                    compound: "gamma_ce",
                }],
            },
        ],
    );
}

/// The parameters of a Dice + boundary-based compound: its schedule, the epoch, and
/// weights that override the schedule's.
const fn scheduled(default: &'static str, boundary: &'static str) -> [Param; 4] {
    [
        Param::new(
            "schedule",
            Kind::Choice(SCHEDULES),
            Constant::Word(default),
            "The weight schedule: boundary (paper, -0.01 per epoch), hausdorff (-0.001) or kervadec.",
        ),
        Param::new("epoch", Kind::Integer, Constant::Number(0.0), "The epoch the schedule's weights are taken at (0 is the first)."),
        Param::unset(
            "lambda_dice",
            Kind::Number,
            "The Dice member's weight instead of the schedule's.",
        ),
        Param::unset(
            boundary,
            Kind::Number,
            "The boundary-based member's weight instead of the schedule's.",
        ),
    ]
}

impl<T> Describe for DiceBoundary<'_, '_, T> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::of_members(
        "dice_boundary",
        &["dice_bd", "dice_boundary_loss"],
        Family::Compound,
        "losses::DiceBoundary",
        "Dice + boundary loss (Kervadec et al.), weighted by a schedule at an epoch.",
        &scheduled("boundary", "lambda_boundary"),
        &[
            member(
                "dice",
                "dice",
                Weight::Schedule {
                    boundary: false,
                    lambda: "lambda_dice",
                },
            ),
            member(
                "boundary",
                "boundary",
                Weight::Schedule {
                    boundary: true,
                    lambda: "lambda_boundary",
                },
            ),
        ],
    );
}

impl Describe for DiceHausdorff<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::of_members(
        "dice_hausdorff",
        &["dice_hd", "dice_hausdorff_dt"],
        Family::Compound,
        "losses::DiceHausdorff",
        "Dice + Hausdorff distance-transform loss (Karimi and Salcudean), weighted by a schedule at an epoch.",
        &scheduled("hausdorff", "lambda_hd"),
        &[
            member(
                "dice",
                "dice",
                Weight::Schedule {
                    boundary: false,
                    lambda: "lambda_dice",
                },
            ),
            member(
                "hd",
                "hausdorff",
                Weight::Schedule {
                    boundary: true,
                    lambda: "lambda_hd",
                },
            ),
        ],
    );
}
