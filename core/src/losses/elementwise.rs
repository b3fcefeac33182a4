//! Losses that are sums of independent per-element terms (focal, balanced BCE, exp-log CE):
//! one driver for both passes, so each loss only states its element's value and gradient.

use super::{PixelSum, Reduction};
use crate::{Activation, Real, Tile};

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
    /// Per-class constants, computed once per class row.
    fn row_params<T: Real>(&self, class: usize, act: Activation) -> [T; 4];
    /// The element's loss (in `f64`: a large logit times a weight overflows `f32`) and its
    /// engine gradient (see `Loss::backward`).
    fn element<T: Real>(&self, act: Activation, params: &[T; 4], e: Element<T>) -> (f64, T);
    /// The reduction.
    fn reduction(&self) -> Reduction;
    /// The first class with a term (1 when the background is left out).
    fn first_class(&self) -> usize {
        0
    }
}

/// Calls `f(class, index, loss, grad)` for every valid-weighted element of a tile.
#[inline(always)]
fn visit<T: Real, L: Elementwise>(
    loss: &L,
    tile: &Tile<'_, T>,
    mut f: impl FnMut(usize, usize, f64, T),
) {
    let act = tile.activation();
    let first = loss.first_class().min(tile.classes().saturating_sub(1));
    for row in tile.rows().skip(first) {
        let params = loss.row_params::<T>(row.class, act);
        let items = row
            .target
            .iter()
            .zip(row.prob)
            .zip(row.comp)
            .zip(row.log_prob);
        let items = items.zip(row.log_comp).zip(tile.valid());
        for (k, (((((&g, &s), &q), &ls), &lq), &v)) in items.enumerate() {
            let (l, d) = loss.element(act, &params, Element { g, s, q, ls, lq });
            f(row.class, k, l * v.wide(), d * v);
        }
    }
}

/// Pass 1 of an elementwise loss.
#[inline(always)]
pub(crate) fn accumulate<T: Real, L: Elementwise>(
    loss: &L,
    tile: &Tile<'_, T>,
    stats: &mut PixelSum,
) {
    visit(loss, tile, |_, _, l, _| stats.loss += l);
    stats.count(tile);
    stats.classes -= loss.first_class().min(tile.classes().saturating_sub(1));
}

/// Pass 2 of an elementwise loss; terms saturate at [`Real::GRAD_LIMIT`].
#[inline(always)]
pub(crate) fn backward<T: Real, L: Elementwise>(
    loss: &L,
    scale: f64,
    tile: &Tile<'_, T>,
    grad: &mut [T],
) {
    let len = tile.len();
    visit(loss, tile, |c, k, _, d| {
        if let Some(x) = grad.get_mut(c * len + k) {
            *x = *x + T::of_grad(scale * d.wide());
        }
    });
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

            #[inline(always)]
            fn backward(&self, scale: &f64, tile: &$crate::Tile<'_, T>, grad: &mut [T]) {
                $crate::losses::elementwise::backward(self, *scale, tile, grad)
            }
        }
    };
}
pub(crate) use elementwise_loss;
