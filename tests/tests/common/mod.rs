//! Helpers shared by the integration tests: a seeded generator, a loss catalogue, and a
//! type-erased evaluator.
#![allow(dead_code)]

pub mod golden;

use segloss::losses::{
    Alpha, Asym, BalancedBce, ClassWeights, Combo, CrossEntropy, Dice, DiceBoundary, DiceCe,
    DiceFocal, DiceTopK, Dpce, Ell, ExpLogCe, ExpLogDice, Focal, FocalTversky, FocalTverskyMean,
    GeneralizedDice, GeneralizedDiceWType, Iou, Mcc, PenaltyGeneralizedDice,
    PenaltyGeneralizedDiceWType, Reduction, Schedule, SensitivitySpecificity, TopK, TopKThreshold,
    Tversky, WeightedCrossEntropy,
};
use segloss::presets::{nnunet, paper, smp};
use segloss::{Error, Input, Loss, Real};

/// A small deterministic generator (SplitMix64).
pub struct Rng(pub u64);

/// Rayon pools of 1, 2 and 3 threads.
pub fn pools() -> Vec<rayon::ThreadPool> {
    [1, 2, 3]
        .iter()
        .map(|&n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        })
        .collect()
}

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Approximately standard normal (sum of uniforms).
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A loss with its workspace handled, usable behind `dyn`.
pub trait Eval<T: Real> {
    fn value(&self, input: &Input<'_, T>) -> Result<f64, Error>;
    fn value_grad(&self, input: &Input<'_, T>, grad: &mut [T]) -> Result<f64, Error>;
}

impl<T: Real, L: Loss<T>> Eval<T> for L {
    fn value(&self, input: &Input<'_, T>) -> Result<f64, Error> {
        let mut ws = vec![T::zero(); self.workspace_len(&input.shape())];
        segloss::engine::forward(self, input, &mut ws)
    }
    fn value_grad(&self, input: &Input<'_, T>, grad: &mut [T]) -> Result<f64, Error> {
        let mut ws = vec![T::zero(); self.workspace_len(&input.shape())];
        segloss::engine::forward_backward(self, input, &mut ws, grad)
    }
}

/// Borrowed data some losses take.
pub struct LossData<T> {
    pub weights: Vec<f64>,
    pub penalty: Vec<T>,
}

impl<T: Real> LossData<T> {
    pub fn new(classes: usize, pixels: usize, rng: &mut Rng) -> Self {
        LossData {
            weights: (0..classes).map(|c| 0.5 + c as f64 * 0.75).collect(),
            penalty: (0..pixels).map(|_| T::of(3.0 * rng.uniform())).collect(),
        }
    }
}

/// Every distribution loss with a spread of options: `(name, loss)`.
pub fn catalogue<'a, T: Real>(data: &'a LossData<T>) -> Vec<(String, Box<dyn Eval<T> + 'a>)> {
    let w = &data.weights[..];
    let mut out: Vec<(String, Box<dyn Eval<T> + 'a>)> = Vec::new();
    let mut add = |name: &str, l: Box<dyn Eval<T> + 'a>| out.push((name.to_string(), l));
    add("ce", Box::new(CrossEntropy::new()));
    add("ce_weight", Box::new(CrossEntropy::new().with_weight(w)));
    add(
        "ce_smooth",
        Box::new(CrossEntropy::new().with_label_smoothing(0.1)),
    );
    add(
        "ce_weight_smooth_sum",
        Box::new(
            CrossEntropy::new()
                .with_weight(w)
                .with_label_smoothing(0.2)
                .with_reduction(Reduction::Sum),
        ),
    );
    add(
        "wce_given",
        Box::new(WeightedCrossEntropy::new(ClassWeights::Given(w))),
    );
    add(
        "wce_inverse",
        Box::new(WeightedCrossEntropy::new(ClassWeights::InverseFrequency)),
    );
    add(
        "wce_sum",
        Box::new(WeightedCrossEntropy::new(ClassWeights::Given(w)).with_reduction(Reduction::Sum)),
    );
    add("topk10", Box::new(TopK::new(10.0)));
    add("topk37", Box::new(TopK::new(37.0)));
    add(
        "topk100_sum",
        Box::new(TopK::new(100.0).with_reduction(Reduction::Sum)),
    );
    add("topk_t03", Box::new(TopKThreshold::new(0.3)));
    add(
        "topk_t07_sum",
        Box::new(TopKThreshold::new(0.7).with_reduction(Reduction::Sum)),
    );
    add("focal2", Box::new(Focal::new(2.0)));
    add("focal0", Box::new(Focal::new(0.0)));
    add("focal05", Box::new(Focal::new(0.5)));
    add(
        "focal_a025",
        Box::new(Focal::new(2.0).with_alpha(Alpha::Scalar(0.25))),
    );
    add(
        "focal_alist_sum",
        Box::new(
            Focal::new(1.5)
                .with_alpha(Alpha::PerClass(w))
                .with_reduction(Reduction::Sum),
        ),
    );
    add("dpce", Box::new(Dpce::new(&data.penalty[..])));
    add(
        "dpce_sum",
        Box::new(Dpce::new(&data.penalty[..]).with_reduction(Reduction::Sum)),
    );
    add("balanced_bce", Box::new(BalancedBce::new(0.3)));
    add("exp_log_ce", Box::new(ExpLogCe::new(0.3).with_weight(w)));
    add("exp_log_ce_g2", Box::new(ExpLogCe::new(2.0)));
    out.extend(region_catalogue(data));
    out.extend(compound_catalogue(data));
    out
}

/// The compounds and presets: `(name, loss)`.
pub fn compound_catalogue<'a, T: Real>(
    data: &'a LossData<T>,
) -> Vec<(String, Box<dyn Eval<T> + 'a>)> {
    let w = &data.weights[..];
    let mut out: Vec<(String, Box<dyn Eval<T> + 'a>)> = Vec::new();
    let mut add = |name: &str, l: Box<dyn Eval<T> + 'a>| out.push((name.to_string(), l));
    add(
        "dice_ce",
        Box::new(DiceCe {
            lambda_ce: 0.7,
            ce: CrossEntropy::new().with_weight(w),
            ..DiceCe::new()
        }),
    );
    add(
        "dice_focal",
        Box::new(DiceFocal {
            dice: Dice::new().with_batch(true),
            ..DiceFocal::new()
        }),
    );
    add(
        "dice_topk",
        Box::new(DiceTopK {
            lambda_topk: 2.0,
            ..DiceTopK::new()
        }),
    );
    add("combo", Box::new(Combo::new(0.6, 0.3)));
    add("ell", Box::new(Ell::new()));
    add(
        "dice_boundary",
        Box::new(DiceBoundary::<T>::new().at_epoch(&Schedule::boundary(), 40)),
    );
    add("nnunet_dc_and_ce", Box::new(nnunet::dc_and_ce(true, false)));
    add("smp_dice", Box::new(smp::dice()));
    add("paper_soft_dice", Box::new(paper::soft_dice()));
    add("paper_focal_tversky", Box::new(paper::focal_tversky()));
    out
}

/// Every region loss with a spread of options: `(name, loss)`.
pub fn region_catalogue<'a, T: Real>(
    data: &'a LossData<T>,
) -> Vec<(String, Box<dyn Eval<T> + 'a>)> {
    let w = &data.weights[..];
    let mut out: Vec<(String, Box<dyn Eval<T> + 'a>)> = Vec::new();
    let mut add = |name: &str, l: Box<dyn Eval<T> + 'a>| out.push((name.to_string(), l));
    add("dice", Box::new(Dice::new()));
    add(
        "dice_sq_nobg",
        Box::new(
            Dice::new()
                .with_squared_pred(true)
                .with_include_background(false),
        ),
    );
    add(
        "dice_jaccard_batch",
        Box::new(Dice::new().with_jaccard(true).with_batch(true)),
    );
    add(
        "dice_log_weight_sum",
        Box::new(
            Dice::new()
                .with_log_dice(true)
                .with_weight(w)
                .with_reduction(Reduction::Sum),
        ),
    );
    add("iou", Box::new(Iou::new()));
    add(
        "tversky",
        Box::new(Tversky::new().with_alpha(0.3).with_beta(0.7)),
    );
    add(
        "focal_tversky",
        Box::new(FocalTversky::new().with_batch(true)),
    );
    add(
        "focal_tversky_mean",
        Box::new(FocalTverskyMean::new().with_include_background(false)),
    );
    add("asym", Box::new(Asym::new()));
    add("gdice_square", Box::new(GeneralizedDice::new()));
    add(
        "gdice_simple_batch",
        Box::new(
            GeneralizedDice::new()
                .with_w_type(GeneralizedDiceWType::Simple)
                .with_batch(true),
        ),
    );
    add(
        "gdice_uniform_nobg",
        Box::new(
            GeneralizedDice::new()
                .with_w_type(GeneralizedDiceWType::Uniform)
                .with_include_background(false),
        ),
    );
    add(
        "pgdice",
        Box::new(PenaltyGeneralizedDice::new().with_w_type(PenaltyGeneralizedDiceWType::Simple)),
    );
    add("ss", Box::new(SensitivitySpecificity::new()));
    add("mcc", Box::new(Mcc::new()));
    add("exp_log_dice", Box::new(ExpLogDice::new()));
    out
}

/// Asserts `got` is within `rtol · |want| + atol` of `want`.
pub fn close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
    (got - want).abs() <= rtol * want.abs() + atol
}
