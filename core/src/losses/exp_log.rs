//! The exponential logarithmic loss's parts (Wong et al., the paper's eq. 16).

use super::elementwise::{elementwise_loss, Element, Elementwise};
use super::{check, xent, Reduction};
use crate::catalogue::{Args, Configure, Describe, Descriptor, Family, Kind, Param, REDUCTION};
use crate::Error;
use crate::{Activation, Real};

crate::region_loss! {
    /// The Dice part of the exponential logarithmic loss: `(−ln Dice_c)^γ` per class, then
    /// averaged (`Dice_c = (2tp + smooth_nr)/(Σs + Σg + smooth_dr)`; the logarithm takes
    /// `Dice_c + 10⁻³⁰⁰`).
    ///
    /// ```
    /// use segloss::{engine, losses::ExpLogDice, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// assert!(engine::forward(&ExpLogDice::new(), &input, &mut [])? > 0.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "exp_log_dice", rust = "losses::ExpLogDice")]
    pub struct ExpLogDice { gamma: 0.3, smooth_nr: 1e-5, smooth_dr: 1e-5 }
    require gamma > 0 && smooth_nr >= 0 && smooth_dr >= 0;
    let dice = (2 * tp + smooth_nr) / (sum_s + sum_g + smooth_dr);
    // Plus 1e-300, as Dice's `log_dice` (finding F15): no overlap without smoothing is a
    // large finite term, not an infinite one counted as perfect.
    loss = pow(-ln(dice + 1e-300), gamma);
}

/// The cross-entropy part of the exponential logarithmic loss:
/// `(1/N) Σ_i Σ_c w_c g_ic (−ln s_ic)^γ` (binary form under a sigmoid:
/// `w_c [g (−ln s)^γ + (1 − g)(−ln(1 − s))^γ]`).
///
/// ```
/// use segloss::{engine, losses::ExpLogCe, Input, Shape, Target};
/// let logits = [0.0f64; 2 * 2]; // s = 1/2 everywhere
/// let input = Input::new(&logits, Shape::new(1, 2, &[2])?, Target::labels(&[0u8, 1]))?;
/// let value = engine::forward(&ExpLogCe::new(0.5), &input, &mut [])?;
/// assert!((value - 2f64.ln().sqrt()).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExpLogCe<'w> {
    gamma: f64,
    weight: Option<&'w [f64]>,
    reduction: Reduction,
}

/// Where `(−ln p)^γ` and its derivative saturate (finding F11: `100^300` overflows `f64`):
/// a sum of 10⁸ such terms times two factors of [`MAX_WEIGHT`](crate::MAX_WEIGHT) stays
/// finite. The same in `f32` and `f64`.
const POWER_LIMIT: f64 = 1e250;

/// `(−ln p)^γ` and its derivative with respect to `ln p` (0 where `ln p = 0` and `γ < 1`),
/// in `f64` (they overflow `f32` for large logits) and saturated at [`POWER_LIMIT`].
#[inline]
fn power_of_log<T: Real>(log_p: T, gamma: T) -> (f64, f64) {
    let x = (-log_p).max(T::zero());
    if x == T::zero() {
        return (0.0, 0.0);
    }
    let (x, g) = (x.wide(), gamma.wide());
    let d = -g * libm::pow(x, g - 1.0);
    (libm::pow(x, g).min(POWER_LIMIT), d.max(-POWER_LIMIT))
}

impl<'w> ExpLogCe<'w> {
    /// The exponent `γ > 0` (0.3 in Wong et al.).
    pub fn new(gamma: f64) -> Self {
        ExpLogCe {
            gamma,
            weight: None,
            reduction: Reduction::Mean,
        }
    }

    /// Sets the exponent `γ`.
    pub fn with_gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }

    /// Per-class weights `w_c` (Wong et al. use `(Σ_k f_k / f_c)^0.5` from class frequencies).
    pub fn with_weight(mut self, weight: &'w [f64]) -> Self {
        self.weight = Some(weight);
        self
    }

    /// The reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

impl Elementwise for ExpLogCe<'_> {
    fn row_params<T: Real>(&self, class: usize, _: Activation) -> [T; 4] {
        let w = self
            .weight
            .and_then(|w| w.get(class).copied())
            .unwrap_or(1.0);
        [T::of(self.gamma), T::of(w), T::zero(), T::zero()]
    }

    #[inline(always)]
    fn element<T: Real, const M: u8>(
        &self,
        act: Activation,
        p: &[T; 4],
        e: Element<T>,
    ) -> (f64, T) {
        let [gamma, w, _, _] = *p;
        let (pos, dpos) = power_of_log(e.ls, gamma);
        let (g, s, q) = (e.g.wide(), e.s.wide(), e.q.wide());
        let (loss, grad) = match act {
            Activation::Sigmoid => {
                let (neg, dneg) = power_of_log(e.lq, gamma);
                // ∂ ln s/∂z = 1 − s, ∂ ln(1 − s)/∂z = −s
                let d = g * dpos * q - (1.0 - g) * dneg * s;
                (g * pos + (1.0 - g) * neg, d)
            }
            Activation::Softmax => (g * pos, g * dpos),
            Activation::Identity => (g * pos, g * dpos / s.max(xent::PROB_EPS)),
        };
        // formed in `f64` and saturated once: `γ (−ln p)^(γ−1) / p` overflows `f32`
        (w.wide() * loss, T::of_grad(w.wide() * grad))
    }

    fn reduction(&self) -> Reduction {
        self.reduction
    }
}

elementwise_loss!(ExpLogCe<'_>, |ell, input| {
    check::exponent(ell.gamma, false, "gamma", "in (0, 1e8]")?;
    match ell.weight {
        Some(w) => check::class_weights(w, input.shape().classes()),
        None => Ok(()),
    }
});

impl Describe for ExpLogCe<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "exp_log_ce",
        &[],
        Family::Distribution,
        "losses::ExpLogCe",
        "The cross-entropy part of the exponential logarithmic loss: (-ln s)^gamma at the true class.",
        &[
            Param::argument("gamma", Kind::Number, None, "The exponent, > 0 (0.3 in Wong et al.)."),
            Param::unset("weight", Kind::List, "Per-class weights."),
            REDUCTION,
        ],
    );
}

impl<'w, T: Real> Configure<'w, T> for ExpLogCe<'w> {
    fn configure(args: &Args<'_, 'w, T>) -> Result<Self, Error> {
        let mut loss = ExpLogCe::new(args.number_or_default("gamma"));
        if let Some(w) = args.list("weight") {
            loss = loss.with_weight(w);
        }
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
