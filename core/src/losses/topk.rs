//! TopK cross entropy: the paper's code (k % hardest pixels) and its eq. (4) (threshold).

use super::{check, xent, Reduction};
use crate::catalogue::{
    Args, Configure, Constant, Describe, Descriptor, Family, Kind, Param, REDUCTION,
};
use crate::{Activation, Error, Finalized, Input, Loss, Real, Shape, Stats, Tile};

/// The mean cross entropy of the `k` % hardest valid pixels of the batch.
///
/// A pixel's loss is its cross entropy summed over classes (binary form under a sigmoid).
/// The count is `max(1, ⌊N·k/100⌋)` over the `N` valid pixels (the paper's code counts all
/// pixels, ignored ones included). Pixels tied with the last selected loss share the
/// remaining places equally in the gradient, which keeps the gradient independent of the
/// pixel order. Needs a workspace of [`Shape::pixels`](crate::Shape::pixels) elements.
/// Its statistics are exact within one workspace; they do not merge across devices.
///
/// ```
/// use segloss::{engine, losses::TopK, Input, Shape, Target};
/// let logits = [3.0f32, 1.0, 0.0, -2.0, 0.0, 0.0, 1.0, 2.0]; // (B=1, C=2, 4 pixels)
/// let input = Input::new(&logits, Shape::new(1, 2, &[4])?, Target::labels(&[0u8, 0, 0, 0]))?;
/// let topk = TopK::new(50.0);
/// let mut ws = [0.0f32; 4];
/// let mut grad = [0.0f32; 8];
/// let value = engine::forward_backward(&topk, &input, &mut ws, &mut grad)?;
/// // the two hardest pixels are the last two (margins 0 − 1 and −2 − 2)
/// let ce = |m: f32| (1.0 + (-m).exp()).ln();
/// assert!((value as f32 - (ce(-1.0) + ce(-4.0)) / 2.0).abs() < 1e-6);
/// assert_eq!(grad[0], 0.0);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopK {
    k: f64,
    reduction: Reduction,
}

impl TopK {
    /// The `k` % hardest pixels, `k` in `(0, 100]` (the paper uses 10).
    pub fn new(k: f64) -> Self {
        TopK {
            k,
            reduction: Reduction::Mean,
        }
    }

    /// The reduction: the mean of the selected losses, or their sum.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

impl Default for TopK {
    fn default() -> Self {
        TopK::new(10.0)
    }
}

/// Valid pixels seen by pass 1 (their losses sit in the workspace).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PixelCount {
    /// Valid pixels.
    pub pixels: f64,
    /// Workspace elements written (all pixels, valid or not).
    pub written: usize,
}

impl Stats for PixelCount {
    fn merge(&mut self, o: &Self) {
        self.pixels += o.pixels;
        self.written = self.written.max(o.written);
    }
}

/// The selection pass 2 applies: the threshold loss and the share of its ties.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selection {
    /// The smallest selected loss.
    pub threshold: f64,
    /// The fraction of pixels tied at `threshold` that count as selected.
    pub tie_share: f64,
    /// `1 / count` (mean) or 1 (sum).
    pub scale: f64,
}

/// Writes each pixel's cross entropy of a tile into `out` (zeros first).
fn pixel_losses<T: Real>(tile: &Tile<'_, T>, out: &mut [T]) {
    out.fill(T::zero());
    let act = tile.activation();
    for row in tile.rows() {
        xent::row_pixels(&row, tile.valid(), act, out);
    }
}

impl<T: Real> Loss<T> for TopK {
    type Stats = PixelCount;
    type Coef = Selection;

    fn check(&self, _: &Input<'_, T>) -> Result<(), Error> {
        if self.k > 0.0 && self.k <= 100.0 {
            Ok(())
        } else {
            Err(Error::Parameter {
                name: "k",
                allowed: "in (0, 100]",
            })
        }
    }

    fn workspace_len(&self, shape: &Shape) -> usize {
        shape.pixels()
    }

    #[inline(always)]
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut PixelCount, ws: &mut [T]) {
        let start = tile.first_pixel();
        let end = start + tile.len();
        if let Some(out) = ws.get_mut(start..end) {
            pixel_losses(tile, out);
            for (o, &v) in out.iter_mut().zip(tile.valid()) {
                if v == T::zero() {
                    *o = T::neg_infinity();
                }
            }
        }
        stats.pixels += crate::lanes::sum(tile.valid());
        stats.written = end;
    }

    fn finalize(&self, s: &PixelCount, ws: &mut [T]) -> Finalized<Selection> {
        let losses = ws.get_mut(..s.written).unwrap_or(&mut []);
        let valid = s.pixels as usize;
        let count = (libm::floor(s.pixels * self.k / 100.0) as usize).clamp(1, valid.max(1));
        let top = if valid == 0 {
            None
        } else {
            crate::select::top(losses, count.min(losses.len()))
        };
        let Some(top) = top else {
            let none = Selection {
                threshold: f64::INFINITY,
                tie_share: 0.0,
                scale: 0.0,
            };
            return Finalized {
                value: 0.0,
                coef: none,
            };
        };
        let scale = match self.reduction {
            Reduction::Sum => 1.0,
            Reduction::Mean | Reduction::ElementMean => 1.0 / count as f64,
        };
        // The ties fill the places the values above leave (at least one).
        let from_ties = count.saturating_sub(top.above);
        let threshold = top.threshold.wide();
        Finalized {
            value: (top.above_sum + from_ties as f64 * threshold) * scale,
            coef: Selection {
                threshold,
                tie_share: from_ties as f64 / top.ties as f64,
                scale,
            },
        }
    }

    fn scale(&self, coef: &mut Selection, factor: f64) {
        coef.scale *= factor;
    }

    #[inline(always)]
    fn backward(&self, sel: &Selection, tile: &Tile<'_, T>, grad: &mut [T]) {
        let mut share = [T::zero(); crate::TILE_ELEMENTS];
        let len = tile.len();
        let Some(share) = share.get_mut(..len) else {
            return;
        };
        pixel_losses(tile, share);
        let threshold = T::of(sel.threshold);
        for (w, &v) in share.iter_mut().zip(tile.valid()) {
            let pick = if *w > threshold {
                1.0
            } else if *w == threshold {
                sel.tie_share
            } else {
                0.0
            };
            *w = T::of(pick * sel.scale) * v;
        }
        let act = tile.activation();
        for (out, row) in grad.chunks_exact_mut(len.max(1)).zip(tile.rows()) {
            xent::row_grad(&row, share, act, T::zero(), T::one(), T::one(), out);
        }
    }
}

/// The paper's eq. (4): cross entropy over the elements whose true-class probability is
/// below `t`, averaged over them.
///
/// Categorical form: the elements with `g_ic > 0` and `s_ic < t`; the loss is
/// `−Σ g ln s / Σ g` over them. Binary form (sigmoid): positives with `s < t` and negatives
/// with `1 − s < t`, each weighted by its target share. The selection is held constant in
/// the gradient; with nothing selected the loss is 0.
///
/// ```
/// use segloss::{engine, losses::TopKThreshold, Input, Shape, Target};
/// let logits = [2.0f64, -1.0, 0.0, 0.0]; // (B=1, C=2, 2 pixels)
/// let input = Input::new(&logits, Shape::new(1, 2, &[2])?, Target::labels(&[0u8, 0]))?;
/// // pixel 0 is confident (s = 0.88 > 0.7), pixel 1 is not (s = 0.27)
/// let value = engine::forward(&TopKThreshold::new(0.7), &input, &mut [])?;
/// assert!((value - (1.0 + 1f64.exp()).ln()).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopKThreshold {
    t: f64,
    reduction: Reduction,
}

impl TopKThreshold {
    /// Selects elements whose true-class probability is below `t`, in `(0, 1]`.
    pub fn new(t: f64) -> Self {
        TopKThreshold {
            t,
            reduction: Reduction::Mean,
        }
    }

    /// The reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

/// What [`TopKThreshold`] accumulates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ThresholdStats {
    /// Cross entropy of the selected elements.
    pub loss: f64,
    /// Their target mass.
    pub mass: f64,
}

impl Stats for ThresholdStats {
    fn merge(&mut self, o: &Self) {
        self.loss += o.loss;
        self.mass += o.mass;
    }
}

/// The selection weights of one element: `(weight of ln s, weight of ln(1 − s))`.
#[inline]
fn select<T: Real>(t: T, binary: bool, g: T, s: T, comp: T, valid: T) -> (T, T) {
    let pos = if s < t { g * valid } else { T::zero() };
    let neg = if binary && comp < t {
        (T::one() - g) * valid
    } else {
        T::zero()
    };
    (pos, neg)
}

impl<T: Real> Loss<T> for TopKThreshold {
    type Stats = ThresholdStats;
    type Coef = f64;

    fn check(&self, _: &Input<'_, T>) -> Result<(), Error> {
        if self.t > 0.0 {
            check::in_range(self.t, 0.0, 1.0, "t", "in (0, 1]")
        } else {
            Err(Error::Parameter {
                name: "t",
                allowed: "in (0, 1]",
            })
        }
    }

    #[inline(always)]
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut ThresholdStats, _: &mut [T]) {
        let t = T::of(self.t);
        let binary = tile.activation() == Activation::Sigmoid;
        for row in tile.rows() {
            let items = row.target.iter().zip(row.prob).zip(row.comp);
            let items = items.zip(row.log_prob).zip(row.log_comp).zip(tile.valid());
            for (((((&g, &s), &c), &ls), &lc), &v) in items {
                let (pos, neg) = select(t, binary, g, s, c, v);
                stats.loss -= (pos * ls + neg * lc).wide();
                stats.mass += (pos + neg).wide();
            }
        }
    }

    fn finalize(&self, s: &ThresholdStats, _: &mut [T]) -> Finalized<f64> {
        let scale = match self.reduction {
            Reduction::Sum => 1.0,
            _ if s.mass > 0.0 => 1.0 / s.mass,
            _ => 0.0,
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
        let t = T::of(self.t);
        let act = tile.activation();
        let binary = act == Activation::Sigmoid;
        let scale = T::of_grad(*scale);
        for (out, row) in grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows()) {
            let items = out.iter_mut().zip(row.target).zip(row.prob).zip(row.comp);
            for ((((o, &g), &s), &c), &v) in items.zip(tile.valid()) {
                let (pos, neg) = select(t, binary, g, s, c, v);
                let d = if binary {
                    // −pos ln s − neg ln(1 − s): ∂/∂z = −pos (1 − s) + neg s
                    neg * s - pos * c
                } else {
                    xent::grad(act, pos, s)
                };
                *o = *o + scale * d;
            }
        }
    }
}

impl Describe for TopK {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "topk",
        &["topk_ce"],
        Family::Distribution,
        "losses::TopK",
        "The mean cross entropy of the k % hardest valid pixels of the batch.",
        &[
            Param::argument(
                "k",
                Kind::Number,
                Some(Constant::Number(10.0)),
                "The percentage of pixels kept, in (0, 100].",
            ),
            REDUCTION,
        ],
    )
    .piecewise();
}

impl<T: Real> Configure<'_, T> for TopK {
    fn configure(args: &Args<'_, '_, T>) -> Result<Self, Error> {
        let mut loss = TopK::new(args.number_or_default("k"));
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}

impl Describe for TopKThreshold {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "topk_threshold",
        &[],
        Family::Distribution,
        "losses::TopKThreshold",
        "Cross entropy of the elements whose true-class probability is below a threshold (the paper's eq. 4).",
        &[
            Param::argument("t", Kind::Number, None, "The probability threshold, in (0, 1]."),
            REDUCTION,
        ],
    )
    .piecewise();
}

impl<T: Real> Configure<'_, T> for TopKThreshold {
    fn configure(args: &Args<'_, '_, T>) -> Result<Self, Error> {
        let mut loss = TopKThreshold::new(args.number_or_default("t"));
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
