//! Losses that are sums of independent per-element terms (focal, balanced BCE, exp-log CE):
//! one driver for both passes, so each loss only states its element's value and gradient.

use super::{PixelSum, Reduction};
use crate::kernel::{LabelBlock, LabelGradient, MAX_KERNEL_CLASSES};
use crate::lanes::LANES;
use crate::{Activation, Real, Tile, TILE_ELEMENTS};

/// One element as an elementwise loss sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Element<T> {
    /// Target.
    pub g: T,
    /// Probability.
    pub s: T,
    /// `1 − s`.
    pub q: T,
    /// `ln s`.
    pub ls: T,
    /// `ln(1 − s)` (sigmoid only).
    pub lq: T,
}

/// A loss that sums a term per element.
pub(crate) trait Elementwise {
    /// How many element variants [`Elementwise::mode`] chooses among (at most 4).
    const MODES: u8 = 1;
    /// Per-class constants, computed once per class row.
    fn row_params<T: Real>(&self, class: usize, act: Activation) -> [T; 4];
    /// The variant of the element for this loss's parameters, below [`Elementwise::MODES`]:
    /// a loop-invariant choice (such as γ = 2) the driver hoists out of the element loop
    /// by instantiating the loop once per variant.
    fn mode(&self) -> u8 {
        0
    }
    /// The element's loss (in `f64`: a large logit times a weight overflows `f32`) and its
    /// engine gradient (see `Loss::backward`), in variant `M` of [`Elementwise::mode`].
    fn element<T: Real, const M: u8>(
        &self,
        act: Activation,
        params: &[T; 4],
        e: Element<T>,
    ) -> (f64, T);
    /// The reduction.
    fn reduction(&self) -> Reduction;
    /// The first class with a term (1 when the background is left out).
    fn first_class(&self) -> usize {
        0
    }
    /// True when the engine gradient `u = s·∂L/∂s` can be large at a confident class under
    /// softmax (a `1/(1 − s)` term), so pass 2 hands the engine the shifted form of
    /// [`backward_shifted`] instead.
    fn softmax_shift(&self) -> bool {
        false
    }
    /// The per-class factors of the fused kernel's focal term (`γ = 2`, see
    /// [`crate::kernel::LabelTerms`]) when the loss, as configured, is that term times a
    /// factor per class (0 for classes without a term); `None` otherwise, and then the loss
    /// takes the tile path.
    fn focal_factors(&self) -> Option<[f64; MAX_KERNEL_CLASSES]> {
        None
    }
}

/// Kernel pass 1 of an elementwise loss with [`Elementwise::focal_factors`]: a block's
/// focal sums, weighted per class, and its pixels and classes, as [`accumulate`] counts
/// them.
pub(crate) fn add_label_sums<L: Elementwise>(loss: &L, block: &LabelBlock, stats: &mut PixelSum) {
    let factors = loss.focal_factors().unwrap_or_default();
    for (f, &sum) in factors.iter().zip(&block.sums.focal) {
        stats.loss += f * sum;
    }
    stats.pixels += block.sums.pixels();
    let classes = block.shape.classes();
    stats.classes = classes - loss.first_class().min(classes.saturating_sub(1));
}

/// Kernel pass 2 of an elementwise loss with [`Elementwise::focal_factors`]: its factors
/// times the reduction's `scale`, into the focal term's.
pub(crate) fn label_gradient<L: Elementwise>(loss: &L, scale: f64, out: &mut LabelGradient) {
    let factors = loss.focal_factors().unwrap_or_default();
    for (o, f) in out.focal.iter_mut().zip(factors) {
        *o += f * scale;
    }
}

/// Calls `$run!(act, M)` with the activation and the loss's mode as constants, so each
/// element loop is compiled without a branch on either.
macro_rules! specialised {
    ($loss:expr, $act:expr, $run:ident) => {{
        let mode = $loss.mode();
        let modes = <L as Elementwise>::MODES;
        match ($act, mode) {
            (Activation::Softmax, 1) if modes > 1 => $run!(Activation::Softmax, 1),
            (Activation::Softmax, 2) if modes > 2 => $run!(Activation::Softmax, 2),
            (Activation::Softmax, 3) if modes > 3 => $run!(Activation::Softmax, 3),
            (Activation::Softmax, _) => $run!(Activation::Softmax, 0),
            (Activation::Sigmoid, 1) if modes > 1 => $run!(Activation::Sigmoid, 1),
            (Activation::Sigmoid, 2) if modes > 2 => $run!(Activation::Sigmoid, 2),
            (Activation::Sigmoid, 3) if modes > 3 => $run!(Activation::Sigmoid, 3),
            (Activation::Sigmoid, _) => $run!(Activation::Sigmoid, 0),
            (Activation::Identity, 1) if modes > 1 => $run!(Activation::Identity, 1),
            (Activation::Identity, 2) if modes > 2 => $run!(Activation::Identity, 2),
            (Activation::Identity, 3) if modes > 3 => $run!(Activation::Identity, 3),
            (Activation::Identity, _) => $run!(Activation::Identity, 0),
        }
    }};
}

/// The rows of a tile that carry terms, with their per-class parameters.
#[inline(always)]
fn rows<'t, T: Real, L: Elementwise>(
    loss: &'t L,
    tile: &'t Tile<'t, T>,
) -> impl Iterator<Item = (crate::ClassRow<'t, T>, [T; 4])> + 't {
    let act = tile.activation();
    let first = loss.first_class().min(tile.classes().saturating_sub(1));
    tile.rows()
        .skip(first)
        .map(move |row| (row, loss.row_params::<T>(row.class, act)))
}

/// Pass 1 of an elementwise loss: lane-interleaved `f64` sums of the element losses.
#[inline(always)]
pub(crate) fn accumulate<T: Real, L: Elementwise>(
    loss: &L,
    tile: &Tile<'_, T>,
    stats: &mut PixelSum,
) {
    macro_rules! run {
        ($act:expr, $mode:literal) => {
            accumulate_rows::<T, L, $mode>(loss, tile, $act, stats)
        };
    }
    specialised!(loss, tile.activation(), run);
    stats.count(tile);
    stats.classes -= loss.first_class().min(tile.classes().saturating_sub(1));
}

/// The element sums of pass 1 for one activation and element variant.
#[inline(always)]
fn accumulate_rows<T: Real, L: Elementwise, const M: u8>(
    loss: &L,
    tile: &Tile<'_, T>,
    act: Activation,
    stats: &mut PixelSum,
) {
    for (row, params) in rows(loss, tile) {
        // Element k adds into lane k % LANES, as in `crate::lanes`.
        let mut acc = [0.0f64; LANES];
        let groups = row.target.chunks(LANES).zip(row.prob.chunks(LANES));
        let groups = groups
            .zip(row.comp.chunks(LANES))
            .zip(row.log_prob.chunks(LANES));
        let groups = groups
            .zip(row.log_comp.chunks(LANES))
            .zip(tile.valid().chunks(LANES));
        for (((((g, s), q), ls), lq), v) in groups {
            let items = acc.iter_mut().zip(g).zip(s).zip(q).zip(ls).zip(lq).zip(v);
            for ((((((a, &g), &s), &q), &ls), &lq), &v) in items {
                let (l, _) = loss.element::<T, M>(act, &params, Element { g, s, q, ls, lq });
                *a += l * v.wide();
            }
        }
        stats.loss += acc.iter().sum::<f64>();
    }
}

/// Pass 2 of an elementwise loss; terms saturate at [`Real::GRAD_LIMIT`].
#[inline(always)]
pub(crate) fn backward<T: Real, L: Elementwise>(
    loss: &L,
    scale: f64,
    tile: &Tile<'_, T>,
    grad: &mut [T],
) {
    if tile.activation() == Activation::Softmax && loss.softmax_shift() {
        macro_rules! run {
            ($act:expr, $mode:literal) => {
                backward_shifted::<T, L, $mode>(loss, scale, tile, grad)
            };
        }
        return specialised!(loss, Activation::Softmax, run);
    }
    macro_rules! run {
        ($act:expr, $mode:literal) => {
            backward_rows::<T, L, $mode>(loss, scale, tile, $act, grad)
        };
    }
    specialised!(loss, tile.activation(), run);
}

/// Pass 2 for one activation and element variant.
#[inline(always)]
fn backward_rows<T: Real, L: Elementwise, const M: u8>(
    loss: &L,
    scale: f64,
    tile: &Tile<'_, T>,
    act: Activation,
    grad: &mut [T],
) {
    let limit = T::of(T::GRAD_LIMIT);
    let scale = T::of(scale);
    let first = loss.first_class().min(tile.classes().saturating_sub(1));
    let len = tile.len().max(1);
    for (out, (row, params)) in grad.chunks_exact_mut(len).skip(first).zip(rows(loss, tile)) {
        let items = out.iter_mut().zip(row.target).zip(row.prob).zip(row.comp);
        let items = items.zip(row.log_prob).zip(row.log_comp).zip(tile.valid());
        for ((((((o, &g), &s), &q), &ls), &lq), &v) in items {
            let (_, d) = loss.element::<T, M>(act, &params, Element { g, s, q, ls, lq });
            *o = *o + (scale * d * v).max(-limit).min(limit);
        }
    }
}

/// Pass 2 under softmax with the engine gradient shifted by a multiple of `s`.
///
/// The engine turns `u` into `∂L/∂z_c = u_c − s_c Σ_j u_j`, so adding `α·s` to `u` changes
/// nothing (`Σ_j s_j = 1`). With `α = −∂L/∂s` of each pixel's most probable class, that
/// class adds 0 and every other class `s_j (∂L/∂s_j − ∂L/∂s_top)`: a loss whose `u` at a
/// confident class is ~`1/(1 − s)` (balanced BCE's negatives) no longer leaves the engine
/// to cancel two numbers of that size, which in `f32` lost the whole gradient.
#[inline(always)]
fn backward_shifted<T: Real, L: Elementwise, const M: u8>(
    loss: &L,
    scale: f64,
    tile: &Tile<'_, T>,
    grad: &mut [T],
) {
    let act = Activation::Softmax;
    let len = tile.len().max(1);
    let first = loss.first_class().min(tile.classes().saturating_sub(1));
    // The most probable class of each pixel.
    let mut top = [T::zero(); TILE_ELEMENTS];
    let mut arg = [usize::MAX; TILE_ELEMENTS];
    for row in tile.rows() {
        for ((t, a), &s) in top.iter_mut().zip(arg.iter_mut()).zip(row.prob) {
            if s > *t {
                *t = s;
                *a = row.class;
            }
        }
    }
    // `∂L/∂s` of that class (0 when it carries no term), in `f64`.
    let mut alpha = [0.0f64; TILE_ELEMENTS];
    for (row, params) in rows(loss, tile) {
        let items = row.target.iter().zip(row.prob).zip(row.comp);
        let items = items.zip(row.log_prob).zip(row.log_comp).zip(tile.valid());
        for ((((((&g, &s), &q), &ls), &lq), &v), (al, &a)) in items.zip(alpha.iter_mut().zip(&arg))
        {
            if a == row.class {
                let (_, d) = loss.element::<T, M>(act, &params, Element { g, s, q, ls, lq });
                *al = (d * v).wide() / s.wide();
            }
        }
    }
    let rows_all = grad.chunks_exact_mut(len).zip(tile.rows());
    let mut terms = rows(loss, tile);
    for (out, row) in rows_all {
        let params = if row.class >= first {
            terms.next().map(|(_, p)| p)
        } else {
            None
        };
        let items = out.iter_mut().zip(row.target).zip(row.prob).zip(row.comp);
        let items = items.zip(row.log_prob).zip(row.log_comp).zip(tile.valid());
        for (((((((o, &g), &s), &q), &ls), &lq), &v), (&al, &a)) in
            items.zip(alpha.iter().zip(&arg))
        {
            if a == row.class {
                continue;
            }
            let d = match &params {
                Some(p) => (loss.element::<T, M>(act, p, Element { g, s, q, ls, lq }).1 * v).wide(),
                None => 0.0,
            };
            *o = *o + T::of_grad(scale * (d - al * s.wide()));
        }
    }
}

/// Implements [`Loss`](crate::Loss) for an [`Elementwise`] type with the given check.
macro_rules! elementwise_loss {
    ($ty:ty, |$me:ident, $input:ident| $check:expr) => {
        impl<T: $crate::Real> $crate::Loss<T> for $ty {
            type Stats = $crate::losses::PixelSum;
            type Coef = f64;

            fn check(&self, $input: &$crate::Input<'_, T>) -> Result<(), $crate::Error> {
                let $me = self;
                $check
            }

            #[inline(always)]
            fn accumulate(&self, tile: &$crate::Tile<'_, T>, stats: &mut Self::Stats, _: &mut [T]) {
                $crate::losses::elementwise::accumulate(self, tile, stats)
            }

            fn finalize(&self, s: &Self::Stats, _: &mut [T]) -> $crate::Finalized<f64> {
                $crate::losses::reduce($crate::losses::elementwise::Elementwise::reduction(self), s)
            }

            fn scale(&self, coef: &mut f64, factor: f64) {
                *coef *= factor;
            }

            fn fused_labels(&self) -> bool {
                $crate::losses::elementwise::Elementwise::focal_factors(self).is_some()
            }

            fn label_terms(&self) -> $crate::kernel::LabelTerms {
                $crate::kernel::LabelTerms {
                    focal: $crate::losses::elementwise::Elementwise::focal_factors(self).is_some(),
                }
            }

            fn add_label_sums(&self, block: &$crate::kernel::LabelBlock, stats: &mut Self::Stats) {
                $crate::losses::elementwise::add_label_sums(self, block, stats)
            }

            fn label_gradient(
                &self,
                scale: &f64,
                _: usize,
                out: &mut $crate::kernel::LabelGradient,
            ) {
                $crate::losses::elementwise::label_gradient(self, *scale, out)
            }

            #[inline(always)]
            fn backward(&self, scale: &f64, tile: &$crate::Tile<'_, T>, grad: &mut [T]) {
                $crate::losses::elementwise::backward(self, *scale, tile, grad)
            }
        }
    };
}
pub(crate) use elementwise_loss;
