//! Weighted cross entropy, the paper's eq. (3).

use super::{check, xent, Reduction};
use crate::catalogue::{Args, Configure, Describe, Descriptor, Family, Kind, Param, REDUCTION};
use crate::{Error, Finalized, Input, Loss, Real, Stats, Tile, MAX_CLASSES};

/// Where the class weights of [`WeightedCrossEntropy`] come from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClassWeights<'w> {
    /// Given weights, one per class.
    Given(&'w [f64]),
    /// The inverse class frequency of the batch: `w_c = N / (C · n_c)` with
    /// `n_c = Σ_i g_ic` over valid pixels, at most [`MAX_INVERSE_FREQUENCY`]; 0 for a class
    /// with `n_c = 0`.
    InverseFrequency,
}

/// The largest inverse-frequency weight: a class whose mass is below `N / (C · 1e30)`
/// (a soft target of subnormal mass) gets this weight instead of one that overflows (finding
/// F1). The same in `f32` and `f64`, so both types give the same weights.
pub const MAX_INVERSE_FREQUENCY: f64 = 1e30;

/// Weighted cross entropy as the paper's eq. (3), averaged over pixels:
/// `L = −(1/N) Σ_i Σ_c w_c g_ic ln s_ic` (binary form under a sigmoid:
/// `−(1/N) Σ_i Σ_c w_c [g ln s + (1 − g) ln(1 − s)]`).
///
/// Unlike PyTorch's weighted [`CrossEntropy`](super::CrossEntropy), which divides by
/// `Σ_i w_{y_i}`, this divides by the valid-pixel count `N`. The weights are constants of
/// the gradient, also when computed from the batch.
///
/// ```
/// use segloss::{engine, losses::{ClassWeights, WeightedCrossEntropy}, Input, Shape, Target};
/// let logits = [0.0f64; 2 * 4]; // (B=1, C=2, 4 pixels), uniform prediction
/// let labels = [0u8, 0, 0, 1];
/// let input = Input::new(&logits, Shape::new(1, 2, &[4])?, Target::labels(&labels))?;
/// let wce = WeightedCrossEntropy::new(ClassWeights::InverseFrequency);
/// // w = [4/(2·3), 4/(2·1)]: (3 · 2/3 + 1 · 2) · ln 2 / 4
/// let value = engine::forward(&wce, &input, &mut [])?;
/// assert!((value - 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightedCrossEntropy<'w> {
    weights: ClassWeights<'w>,
    reduction: Reduction,
}

impl<'w> WeightedCrossEntropy<'w> {
    /// Weighted cross entropy with these weights and mean reduction.
    pub fn new(weights: ClassWeights<'w>) -> Self {
        WeightedCrossEntropy {
            weights,
            reduction: Reduction::Mean,
        }
    }

    /// The reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

/// What [`WeightedCrossEntropy`] accumulates: per-class sums, so that batch-derived weights
/// apply after one pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WceStats {
    /// `Σ_i ce_ic` per class over valid pixels.
    pub loss: [f64; MAX_CLASSES],
    /// `n_c = Σ_i g_ic` per class over valid pixels.
    pub count: [f64; MAX_CLASSES],
    /// Valid pixels.
    pub pixels: f64,
    /// Classes seen.
    pub classes: usize,
}

impl Default for WceStats {
    fn default() -> Self {
        WceStats {
            loss: [0.0; MAX_CLASSES],
            count: [0.0; MAX_CLASSES],
            pixels: 0.0,
            classes: 0,
        }
    }
}

impl Stats for WceStats {
    fn merge(&mut self, o: &Self) {
        let c = o.classes.min(MAX_CLASSES);
        for (a, b) in self.loss.iter_mut().zip(&o.loss).take(c) {
            *a += b;
        }
        for (a, b) in self.count.iter_mut().zip(&o.count).take(c) {
            *a += b;
        }
        self.pixels += o.pixels;
        self.classes = self.classes.max(o.classes);
    }
}

/// The weights and the scale the gradient pass applies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WceCoef {
    /// `w_c · scale` per class.
    pub scaled_weight: [f64; MAX_CLASSES],
}

impl WeightedCrossEntropy<'_> {
    fn weight(&self, s: &WceStats, class: usize) -> f64 {
        match self.weights {
            ClassWeights::Given(w) => w.get(class).copied().unwrap_or(0.0),
            ClassWeights::InverseFrequency => {
                let n = s.count.get(class).copied().unwrap_or(0.0);
                if n > 0.0 {
                    (s.pixels / (s.classes as f64 * n)).min(MAX_INVERSE_FREQUENCY)
                } else {
                    0.0
                }
            }
        }
    }
}

impl<T: Real> Loss<T> for WeightedCrossEntropy<'_> {
    type Stats = WceStats;
    type Coef = WceCoef;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        match self.weights {
            ClassWeights::Given(w) => check::class_weights(w, input.shape().classes()),
            ClassWeights::InverseFrequency => Ok(()),
        }
    }

    fn reads_complement(&self) -> bool {
        false
    }

    #[inline(always)]
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut WceStats, _: &mut [T]) {
        let act = tile.activation();
        let valid = tile.valid();
        let sums = stats.loss.iter_mut().zip(stats.count.iter_mut());
        for (row, (loss, count)) in tile.rows().zip(sums) {
            *loss += xent::row_sum(&row, valid, act, T::zero(), T::one());
            *count += crate::lanes::sum(row.target);
        }
        stats.pixels += crate::lanes::sum(valid);
        stats.classes = tile.classes();
    }

    fn finalize(&self, s: &WceStats, _: &mut [T]) -> Finalized<WceCoef> {
        let scale = super::pixel_scale(self.reduction, s.pixels, s.classes);
        let mut coef = WceCoef {
            scaled_weight: [0.0; MAX_CLASSES],
        };
        let mut value = 0.0;
        let per_class = coef.scaled_weight.iter_mut().zip(&s.loss).take(s.classes);
        for (class, (sw, loss)) in per_class.enumerate() {
            *sw = self.weight(s, class) * scale;
            value += *sw * loss;
        }
        Finalized { value, coef }
    }

    fn scale(&self, coef: &mut WceCoef, factor: f64) {
        coef.scaled_weight.iter_mut().for_each(|w| *w *= factor);
    }

    #[inline(always)]
    fn backward(&self, coef: &WceCoef, tile: &Tile<'_, T>, grad: &mut [T]) {
        let act = tile.activation();
        let valid = tile.valid();
        let rows = grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows());
        for ((out, row), &w) in rows.zip(&coef.scaled_weight) {
            xent::row_grad_saturating(&row, valid, act, w, out);
        }
    }
}

impl Describe for WeightedCrossEntropy<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "wce",
        &["weighted_ce", "weighted_cross_entropy"],
        Family::Distribution,
        "losses::WeightedCrossEntropy",
        "Weighted cross entropy (the paper's eq. 3), averaged over the valid pixels.",
        &[
            Param::argument(
                "weight",
                Kind::ListOr(&["inverse_frequency"]),
                None,
                "Per-class weights, or inverse_frequency (computed from the batch).",
            ),
            REDUCTION,
        ],
    );
}

impl<'w, T: Real> Configure<'w, T> for WeightedCrossEntropy<'w> {
    fn configure(args: &Args<'_, 'w, T>) -> Result<Self, Error> {
        let weights = match args.list("weight") {
            Some(w) => ClassWeights::Given(w),
            None => ClassWeights::InverseFrequency,
        };
        let mut loss = WeightedCrossEntropy::new(weights);
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
