//! Cross entropy (softmax or probabilities) and binary cross entropy (sigmoid).

use super::{check, xent, Reduction};
use crate::catalogue::{
    Args, Configure, Constant, Describe, Descriptor, Family, Kind, Param, REDUCTION,
};
use crate::kernel::{LabelBlock, LabelGradient};
use crate::{Activation, Error, Finalized, Input, Loss, Real, Stats, Tile};

/// Cross entropy with PyTorch's conventions: `weight`, `label_smoothing`, and the ignore
/// index and mask of the [`Input`].
///
/// Categorical form (softmax, or no activation):
/// `L = −Σ_i Σ_c w_c t'_ic ln s_ic / D`, `t' = (1 − ε) g + ε / C`, where `D` is
/// `Σ_i w_{y_i}` for class-index labels (PyTorch's weighted mean; the valid-pixel count
/// without weights) and the valid-pixel count `N` for a dense target.
/// Binary form (sigmoid): `L = −Σ_i Σ_c w_c [t' ln s + (1 − t') ln(1 − s)] / N` with
/// `t' = g (1 − ε) + (1 − g) ε`: the sum over classes averaged over pixels, which is `C`
/// times PyTorch's `BCEWithLogitsLoss` mean (which `Reduction::ElementMean` gives).
/// `Reduction::Sum` drops `D`. With no valid
/// pixel (or `D = 0`) the loss and its gradient are 0.
///
/// ```
/// use segloss::{engine, losses::CrossEntropy, Input, Shape, Target};
/// let logits = [1.0f32, -1.0, 0.5, 0.0, 2.0, 0.5]; // (B=1, C=2, 3 pixels)
/// let labels = [0u8, 1, 255];
/// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&labels).with_ignore_index(255))?;
/// let mut grad = [0.0f32; 6];
/// let loss = engine::forward_backward(&CrossEntropy::new(), &input, &mut [], &mut grad)?;
/// assert!(loss > 0.0);
/// assert_eq!(grad[2], 0.0); // the ignored pixel gets no gradient
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CrossEntropy<'w> {
    weight: Option<&'w [f64]>,
    label_smoothing: f64,
    reduction: Reduction,
}

impl<'w> CrossEntropy<'w> {
    /// Plain cross entropy: no weights, no smoothing, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Per-class weights `w_c` (one finite, non-negative entry per class).
    pub fn with_weight(mut self, weight: &'w [f64]) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Label smoothing `ε` in `[0, 1]`.
    pub fn with_label_smoothing(mut self, eps: f64) -> Self {
        self.label_smoothing = eps;
        self
    }

    /// The reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    fn class_weight(&self, class: usize) -> f64 {
        self.weight
            .and_then(|w| w.get(class).copied())
            .unwrap_or(1.0)
    }
}

/// What [`CrossEntropy`] accumulates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CeStats {
    /// `Σ w_c t' · ce` over valid pixels.
    pub loss: f64,
    /// `Σ_i w_{y_i}` over valid pixels (class-index targets).
    pub label_weight: f64,
    /// Valid pixels.
    pub pixels: f64,
    /// True once a tile with class-index targets under a categorical form was seen.
    pub by_label_weight: bool,
    /// Classes.
    pub classes: usize,
}

impl Stats for CeStats {
    fn merge(&mut self, o: &Self) {
        self.loss += o.loss;
        self.label_weight += o.label_weight;
        self.pixels += o.pixels;
        self.by_label_weight |= o.by_label_weight;
        self.classes = self.classes.max(o.classes);
    }
}

impl<T: Real> Loss<T> for CrossEntropy<'_> {
    type Stats = CeStats;
    type Coef = f64;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        if let Some(w) = self.weight {
            check::class_weights(w, input.shape().classes())?;
        }
        check::in_range(
            self.label_smoothing,
            0.0,
            1.0,
            "label_smoothing",
            "in [0, 1]",
        )
    }

    fn reads_complement(&self) -> bool {
        false
    }

    #[inline(always)]
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut CeStats, _: &mut [T]) {
        let act = tile.activation();
        let eps = T::of(self.label_smoothing);
        let classes = T::of(tile.classes() as f64);
        let valid = tile.valid();
        for row in tile.rows() {
            let w = self.class_weight(row.class);
            stats.loss += w * xent::row_sum(&row, valid, act, eps, classes);
            let present = crate::lanes::sum(row.target);
            stats.label_weight += w * present;
        }
        stats.pixels += crate::lanes::sum(valid);
        stats.by_label_weight |= !tile.dense_target() && act != Activation::Sigmoid;
        stats.classes = tile.classes();
    }

    fn fused_labels(&self) -> bool {
        self.label_smoothing == 0.0
    }

    fn add_label_sums(&self, block: &LabelBlock, stats: &mut CeStats) {
        let sums = &block.sums;
        for (c, (&nll, &count)) in sums.nll.iter().zip(&sums.count).enumerate() {
            let w = self.class_weight(c);
            stats.loss += w * nll;
            stats.label_weight += w * count;
        }
        stats.pixels += sums.pixels();
        stats.by_label_weight = true;
        stats.classes = block.shape.classes();
    }

    fn label_gradient(&self, scale: &f64, _: usize, out: &mut LabelGradient) {
        for (c, k) in out.k.iter_mut().enumerate() {
            *k -= self.class_weight(c) * scale;
        }
    }

    fn finalize(&self, s: &CeStats, _: &mut [T]) -> Finalized<f64> {
        let scale = match self.reduction {
            Reduction::Mean if s.by_label_weight => {
                super::pixel_scale(Reduction::Mean, s.label_weight, 1)
            }
            r => super::pixel_scale(r, s.pixels, s.classes),
        };
        Finalized {
            value: s.loss * scale,
            coef: scale,
        }
    }

    fn scale(&self, coef: &mut f64, factor: f64) {
        *coef *= factor;
    }

    #[inline(always)]
    fn backward(&self, scale: &f64, tile: &Tile<'_, T>, grad: &mut [T]) {
        let act = tile.activation();
        let eps = T::of(self.label_smoothing);
        let classes = T::of(tile.classes() as f64);
        let valid = tile.valid();
        let rows = grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows());
        for (out, row) in rows {
            let s = T::of(self.class_weight(row.class) * scale);
            xent::row_grad(&row, valid, act, eps, classes, s, out);
        }
    }
}

impl Describe for CrossEntropy<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "ce",
        &["cross_entropy"],
        Family::Distribution,
        "losses::CrossEntropy",
        "Cross entropy with PyTorch's conventions (binary cross entropy under a sigmoid).",
        &[
            Param::unset(
                "weight",
                Kind::List,
                "Per-class weights, one finite non-negative entry per class.",
            ),
            Param::new(
                "label_smoothing",
                Kind::Number,
                Constant::Number(0.0),
                "Label smoothing in [0, 1].",
            ),
            REDUCTION,
        ],
    );
}

impl<'w, T: Real> Configure<'w, T> for CrossEntropy<'w> {
    fn configure(args: &Args<'_, 'w, T>) -> Result<Self, Error> {
        let mut loss = CrossEntropy::new();
        if let Some(w) = args.list("weight") {
            loss = loss.with_weight(w);
        }
        if let Some(e) = args.number("label_smoothing") {
            loss = loss.with_label_smoothing(e);
        }
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
