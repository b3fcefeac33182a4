//! The cross-entropy kernel shared by CE, WCE, TopK and DPCE.
//!
//! Categorical form (softmax, or probabilities): `−t ln s` per element.
//! Binary form (sigmoid): `−[t ln s + (1 − t) ln(1 − s)]` per element.

use crate::{Activation, ClassRow, Real};

/// The floor of a probability in the denominator of `∂ ln p / ∂p`: PyTorch `BCELoss`'s
/// `EPSILON`, which keeps the gradient finite where the logarithm is clamped at −100.
pub(crate) const PROB_EPS: f64 = 1e-12;

/// Label smoothing `eps` of one element's target `g`, for `classes` classes.
///
/// Categorical: `(1 − eps) g + eps / C` (PyTorch); binary: `g (1 − eps) + (1 − g) eps`
/// (segmentation_models_pytorch's `SoftBCEWithLogitsLoss`).
#[inline]
pub(crate) fn smooth<T: Real>(binary: bool, g: T, eps: T, classes: T) -> T {
    if binary {
        g * (T::one() - eps) + (T::one() - g) * eps
    } else {
        (T::one() - eps) * g + eps / classes
    }
}

/// The cross entropy of one element with target `t`.
#[inline]
pub(crate) fn elem<T: Real>(binary: bool, t: T, log_s: T, log_c: T) -> T {
    if binary {
        -(t * log_s + (T::one() - t) * log_c)
    } else {
        -(t * log_s)
    }
}

/// The engine's per-element gradient (see [`Loss::backward`](crate::Loss::backward)) of
/// [`elem`] under `act`.
#[inline]
pub(crate) fn grad<T: Real>(act: Activation, t: T, s: T) -> T {
    match act {
        Activation::Softmax => -t,
        Activation::Sigmoid => s - t,
        Activation::Identity => -t / s.max(T::of(PROB_EPS)),
    }
}

/// `Σ_k pw_k · ce(k)` over one class row, in `f64`, with label smoothing `eps`.
#[inline(always)]
pub(crate) fn row_sum<T: Real>(
    row: &ClassRow<'_, T>,
    pw: &[T],
    act: Activation,
    eps: T,
    classes: T,
) -> f64 {
    crate::for_activation!(act, |act| {
        let binary = act == Activation::Sigmoid;
        crate::lanes::sum4(
            row.target,
            row.log_prob,
            row.log_comp,
            pw,
            |g, ls, lc, w| w.wide() * elem(binary, smooth(binary, g, eps, classes), ls, lc).wide(),
        )
    })
}

/// Adds `scale · pw_k · ∂ce(k)` over one class row into `out`.
#[inline(always)]
pub(crate) fn row_grad<T: Real>(
    row: &ClassRow<'_, T>,
    pw: &[T],
    act: Activation,
    eps: T,
    classes: T,
    scale: T,
    out: &mut [T],
) {
    crate::for_activation!(act, |act| {
        let binary = act == Activation::Sigmoid;
        let items = out.iter_mut().zip(row.target).zip(row.prob).zip(pw);
        for (((o, &g), &s), &w) in items {
            *o = *o + scale * w * grad(act, smooth(binary, g, eps, classes), s);
        }
    })
}

/// Adds `scale · pw_k · ∂ce(k)` (no label smoothing) over one class row into `out`, formed
/// in `f64` and saturated at [`Real::GRAD_LIMIT`]: for losses whose per-pixel or per-class
/// weights are not bounded (a DPCE penalty up to `T::MAX`, an inverse-frequency weight), so
/// the product overflows `T` under `Identity` (`1 / max(p, 1e-12)`).
#[inline(always)]
pub(crate) fn row_grad_saturating<T: Real>(
    row: &ClassRow<'_, T>,
    pw: &[T],
    act: Activation,
    scale: f64,
    out: &mut [T],
) {
    let items = out.iter_mut().zip(row.target).zip(row.prob).zip(pw);
    for (((o, &g), &s), &w) in items {
        let d = match act {
            Activation::Softmax => -g.wide(),
            Activation::Sigmoid => s.wide() - g.wide(),
            Activation::Identity => -g.wide() / s.wide().max(PROB_EPS),
        };
        *o = *o + T::of_grad(scale * w.wide() * d);
    }
}

/// Adds each pixel's unweighted cross entropy (summed over classes) into `out`, saturating
/// at `T`'s largest value.
#[inline(always)]
pub(crate) fn row_pixels<T: Real>(
    row: &ClassRow<'_, T>,
    valid: &[T],
    act: Activation,
    out: &mut [T],
) {
    let binary = act == Activation::Sigmoid;
    let items = out
        .iter_mut()
        .zip(row.target)
        .zip(row.log_prob)
        .zip(row.log_comp);
    for ((((o, &g), &ls), &lc), &v) in items.zip(valid) {
        // Saturating: a pixel's summed loss can exceed `T`'s range at extreme logits.
        *o = (*o + v * elem(binary, g, ls, lc)).min(T::max_value());
    }
}
