//! Focal loss, the paper's eq. (5) (Lin et al.), in MONAI's softmax and sigmoid forms.

use super::{check, xent, PixelSum, Reduction};
use crate::{Activation, ClassRow, Error, Finalized, Input, Loss, Real, Tile};

/// The class balance factor `α` of [`Focal`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Alpha<'a> {
    /// No balance factor.
    #[default]
    None,
    /// A scalar, as MONAI: `1 − α` for class 0 and `α` for the others (categorical form);
    /// `α` for positives and `1 − α` for negatives (binary form).
    Scalar(f64),
    /// One factor per class, `α_c` (binary form: `α_c` positives, `1 − α_c` negatives).
    PerClass(&'a [f64]),
}

/// Focal loss: cross entropy scaled down on well-classified elements.
///
/// Categorical form (softmax, or no activation):
/// `L = −(1/N) Σ_i Σ_c α_c (1 − s_ic)^γ g_ic ln s_ic`.
/// Binary form (sigmoid), MONAI's: `L = (1/N) Σ_i Σ_c a · bce(z, g) · σ(−z(2g − 1))^γ`, with
/// `a = α g + (1 − α)(1 − g)` when `α` is given, which for hard labels is
/// `(1 − s)^γ` on positives and `s^γ` on negatives.
/// `N` is the number of valid pixels: the sum over classes averaged over pixels, `C` times
/// MONAI's `FocalLoss` mean.
///
/// ```
/// use segloss::{engine, losses::Focal, Input, Shape, Target};
/// let logits = [0.0f64; 2 * 2]; // (B=1, C=2, 2 pixels): s = 1/2 everywhere
/// let input = Input::new(&logits, Shape::new(1, 2, &[2])?, Target::labels(&[0u8, 1]))?;
/// let value = engine::forward(&Focal::new(2.0), &input, &mut [])?;
/// assert!((value - 0.25 * 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Focal<'a> {
    gamma: f64,
    alpha: Alpha<'a>,
    reduction: Reduction,
}

impl Default for Focal<'_> {
    fn default() -> Self {
        Focal::new(2.0)
    }
}

impl<'a> Focal<'a> {
    /// Focal loss with focusing parameter `gamma ≥ 0` (2 in the paper), no `α`.
    pub fn new(gamma: f64) -> Self {
        Focal {
            gamma,
            alpha: Alpha::None,
            reduction: Reduction::Mean,
        }
    }

    /// The balance factor.
    pub fn with_alpha(mut self, alpha: Alpha<'a>) -> Self {
        self.alpha = alpha;
        self
    }

    /// The reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// `α` of a class in the categorical form; in the binary form the positives' factor.
    fn alpha_of(&self, class: usize, binary: bool) -> Option<f64> {
        match self.alpha {
            Alpha::None => None,
            Alpha::Scalar(a) if binary || class > 0 => Some(a),
            Alpha::Scalar(a) => Some(1.0 - a),
            Alpha::PerClass(list) => list.get(class).copied(),
        }
    }

    /// Calls `f(loss, grad)` for each element of a row: the element's loss and the
    /// engine's per-element gradient of it.
    fn row<T: Real>(
        &self,
        row: &ClassRow<'_, T>,
        valid: &[T],
        act: Activation,
        mut f: impl FnMut(T, T),
    ) {
        let gamma = T::of(self.gamma);
        let binary = act == Activation::Sigmoid;
        let alpha = self.alpha_of(row.class, binary);
        let items = row.target.iter().zip(row.prob).zip(row.comp);
        let items = items.zip(row.log_prob).zip(row.log_comp).zip(valid);
        for (((((&g, &s), &q), &ls), &lq), &v) in items {
            let (loss, grad) = if binary {
                binary_elem(g, s, ls, lq, gamma, alpha.map(T::of))
            } else {
                let a = alpha.map_or(T::one(), T::of) * g;
                categorical_elem(act, s, q, ls, gamma, a)
            };
            f(loss * v, grad * v);
        }
    }
}

/// `pow` with `0^0 = 1` and `0^γ = 0` for `γ > 0`.
#[inline]
fn pow<T: Real>(x: T, gamma: T) -> T {
    if gamma == T::zero() {
        T::one()
    } else if x <= T::zero() {
        T::zero()
    } else {
        x.powf(gamma)
    }
}

/// Categorical element `−a (1 − s)^γ ln s` and its engine gradient.
#[inline]
fn categorical_elem<T: Real>(act: Activation, s: T, q: T, ls: T, gamma: T, a: T) -> (T, T) {
    if a == T::zero() {
        return (T::zero(), T::zero());
    }
    let w = pow(q, gamma);
    // γ (1 − s)^(γ − 1) ln s, which tends to 0 as s → 1 for every γ > 0.
    let dw_log = if gamma == T::zero() || q <= T::zero() {
        T::zero()
    } else {
        gamma * q.powf(gamma - T::one()) * ls
    };
    let loss = -a * w * ls;
    let grad = match act {
        // ∂L/∂s = −a [(1 − s)^γ / s − γ (1 − s)^(γ−1) ln s], with PyTorch BCELoss's floor
        // on the `1/s` of the logarithm's derivative.
        Activation::Identity => -a * (w / s.max(T::of(xent::PROB_EPS)) - dw_log),
        // s ∂L/∂s = −a [(1 − s)^γ − γ s (1 − s)^(γ−1) ln s]
        _ => -a * (w - s * dw_log),
    };
    (loss, grad)
}

/// MONAI's binary element `a · bce · σ(m z)^γ`, `m = 1 − 2g`, and its `∂/∂z`.
#[inline]
fn binary_elem<T: Real>(g: T, s: T, ls: T, lq: T, gamma: T, alpha: Option<T>) -> (T, T) {
    let one = T::one();
    let bce = -(g * ls + (one - g) * lq);
    let z = ls - lq;
    let m = one - (g + g);
    let y = m * z;
    // 1 − σ(y) and ln σ(y), stable for any y.
    let e = (-y.abs()).exp();
    let sig_c = if y >= T::zero() {
        e / (one + e)
    } else {
        one / (one + e)
    };
    let ln_sig = -((-y).max(T::zero()) + e.ln_1p());
    let w = if gamma == T::zero() {
        one
    } else {
        (gamma * ln_sig).exp()
    };
    let a = alpha.map_or(one, |a| a * g + (one - a) * (one - g));
    let loss = a * bce * w;
    let grad = a * w * ((s - g) + bce * gamma * sig_c * m);
    (loss, grad)
}

impl<T: Real> Loss<T> for Focal<'_> {
    type Stats = PixelSum;
    type Coef = f64;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        if !(self.gamma.is_finite() && self.gamma >= 0.0) {
            return Err(Error::Parameter {
                name: "gamma",
                allowed: "finite and >= 0",
            });
        }
        match self.alpha {
            Alpha::None => Ok(()),
            Alpha::Scalar(a) => check::in_range(a, 0.0, 1.0, "alpha", "in [0, 1]"),
            Alpha::PerClass(list) => check::class_weights(list, input.shape().classes()),
        }
    }

    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut PixelSum, _: &mut [T]) {
        let act = tile.activation();
        for row in tile.rows() {
            self.row(&row, tile.valid(), act, |loss, _| stats.loss += loss.wide());
        }
        stats.count(tile);
    }

    fn finalize(&self, s: &PixelSum, _: &mut [T]) -> Finalized<f64> {
        super::reduce(self.reduction, s)
    }

    fn scale(&self, coef: &mut f64, factor: f64) {
        *coef *= factor;
    }

    fn backward(&self, scale: &f64, tile: &Tile<'_, T>, grad: &mut [T]) {
        let act = tile.activation();
        let scale = T::of(*scale);
        for (out, row) in grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows()) {
            let mut o = out.iter_mut();
            self.row(&row, tile.valid(), act, |_, d| {
                if let Some(x) = o.next() {
                    *x = *x + scale * d;
                }
            });
        }
    }
}
