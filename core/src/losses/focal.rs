//! Focal loss, the paper's eq. (5) (Lin et al.), in MONAI's softmax and sigmoid forms.

use super::elementwise::{elementwise_loss, Element, Elementwise};
use super::{check, xent, Reduction};
use crate::catalogue::{
    Args, Configure, Constant, Describe, Descriptor, Family, Kind, Param, Value, REDUCTION,
};
use crate::kernel::MAX_KERNEL_CLASSES;
use crate::Error;
use crate::{Activation, Real};

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
    include_background: bool,
    weight: Option<&'a [f64]>,
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
            include_background: true,
            weight: None,
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

    /// Includes class 0's terms (default true; MONAI's `include_background`). Left out, the
    /// softmax still runs over every class, and `ElementMean` divides by the included
    /// classes.
    pub fn with_include_background(mut self, include: bool) -> Self {
        self.include_background = include;
        self
    }

    /// Per-class weights multiplying the class terms (MONAI's `weight`).
    pub fn with_weight(mut self, weight: &'a [f64]) -> Self {
        self.weight = Some(weight);
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
}

/// `x^γ` for `x ≥ 0` with `0^0 = 1` and `0^γ = 0` for `γ > 0`; exponents 1 and 2 (the
/// usual focal γ and γ − 1) are exact products. Selects, no branches on the data.
#[inline(always)]
fn pow<T: Real>(x: T, gamma: T) -> T {
    let general = if gamma == T::of(2.0) {
        x * x
    } else if gamma == T::one() {
        x
    } else {
        x.max(T::min_positive_value()).vpow(gamma)
    };
    let p = if x <= T::zero() { T::zero() } else { general };
    if gamma == T::zero() {
        T::one()
    } else {
        p
    }
}

/// The element variants [`Focal`] hoists out of its loops (see `Elementwise::mode`).
const GENERAL: u8 = 0;
/// γ = 0.
const GAMMA_0: u8 = 1;
/// γ = 1.
const GAMMA_1: u8 = 2;
/// γ = 2 (the usual one).
const GAMMA_2: u8 = 3;

/// The focal factor `q^γ` and its slope `γ q^(γ − 1)` (0 where `q ≤ 0` or `γ = 0`: it
/// multiplies a term that tends to 0 as `s → 1` for every `γ > 0`), in variant `M`; the
/// special variants give the general one's bits with products instead of `pow`.
#[inline(always)]
fn focal_factor<T: Real, const M: u8>(q: T, gamma: T) -> (T, T) {
    let positive = q > T::zero();
    match M {
        GAMMA_0 => (T::one(), T::zero()),
        GAMMA_1 if positive => (q, gamma),
        GAMMA_2 if positive => (q * q, gamma * q),
        GAMMA_1 | GAMMA_2 => (T::zero(), T::zero()),
        _ => {
            let slope = if gamma == T::zero() || !positive {
                T::zero()
            } else {
                gamma * pow(q, gamma - T::one())
            };
            (pow(q, gamma), slope)
        }
    }
}

/// Categorical element `−a (1 − s)^γ ln s` and its engine gradient.
#[inline(always)]
fn categorical_elem<T: Real, const M: u8>(
    act: Activation,
    s: T,
    q: T,
    ls: T,
    gamma: T,
    a: T,
) -> (f64, T) {
    let (w, slope) = focal_factor::<T, M>(q, gamma);
    let dw = |x: T| slope * x;
    let loss = -(a * w).wide() * ls.wide();
    let grad = match act {
        // ∂L/∂s = −a [(1 − s)^γ / s − γ (1 − s)^(γ−1) ln s], with PyTorch BCELoss's floor
        // on the `1/s` of the logarithm's derivative (`ln s ≥ −100` here).
        Activation::Identity => -a * (w / s.max(T::of(xent::PROB_EPS)) - dw(ls)),
        // s ∂L/∂s = −a [(1 − s)^γ − γ (1 − s)^(γ−1) s ln s]; `s ln s` first, so that an
        // underflowed `s` with a huge `ln s` gives 0, not `0 · ∞`.
        _ => -a * (w - dw(s * ls)),
    };
    (loss, grad)
}

/// MONAI's binary element `a · bce · σ(m z)^γ`, `m = 1 − 2g`, and its `∂/∂z`.
#[inline]
fn binary_elem<T: Real, const M: u8>(
    g: T,
    s: T,
    ls: T,
    lq: T,
    gamma: T,
    alpha: Option<T>,
) -> (f64, T) {
    let one = T::one();
    let bce = -(g * ls + (one - g) * lq);
    let z = ls - lq;
    let m = one - (g + g);
    let y = m * z;
    // 1 − σ(y) and ln σ(y), stable for any y.
    let e = (-y.abs()).vexp();
    let sig_c = if y >= T::zero() {
        e / (one + e)
    } else {
        one / (one + e)
    };
    let ln_sig = -((-y).max(T::zero()) + e.vln_1p());
    let w = if M == GAMMA_0 || gamma == T::zero() {
        one
    } else {
        (gamma * ln_sig).vexp()
    };
    let a = alpha.map_or(one, |a| a * g + (one - a) * (one - g));
    let loss = (a * w).wide() * bce.wide();
    let grad = a * w * ((s - g) + bce * gamma * sig_c * m);
    (loss, grad)
}

impl Elementwise for Focal<'_> {
    const MODES: u8 = 4;

    fn mode(&self) -> u8 {
        match self.gamma {
            0.0 => GAMMA_0,
            1.0 => GAMMA_1,
            2.0 => GAMMA_2,
            _ => GENERAL,
        }
    }

    fn row_params<T: Real>(&self, class: usize, act: Activation) -> [T; 4] {
        let alpha = self.alpha_of(class, act == Activation::Sigmoid);
        let weight = self
            .weight
            .and_then(|w| w.get(class).copied())
            .unwrap_or(1.0);
        let has_alpha = f64::from(u8::from(alpha.is_some()));
        [
            T::of(self.gamma),
            T::of(alpha.unwrap_or(1.0)),
            T::of(has_alpha),
            T::of(weight),
        ]
    }

    #[inline(always)]
    fn element<T: Real, const M: u8>(
        &self,
        act: Activation,
        p: &[T; 4],
        e: Element<T>,
    ) -> (f64, T) {
        let [gamma, alpha, has_alpha, weight] = *p;
        let (loss, grad) = if act == Activation::Sigmoid {
            let alpha = (has_alpha > T::zero()).then_some(alpha);
            binary_elem::<T, M>(e.g, e.s, e.ls, e.lq, gamma, alpha)
        } else {
            categorical_elem::<T, M>(act, e.s, e.q, e.ls, gamma, alpha * e.g)
        };
        (weight.wide() * loss, weight * grad)
    }

    fn reduction(&self) -> Reduction {
        self.reduction
    }

    fn first_class(&self) -> usize {
        usize::from(!self.include_background)
    }

    /// `γ = 2` (MONAI's default) takes the fused kernel: per class, the class weight times
    /// `α` of the class.
    fn focal_factors(&self) -> Option<[f64; MAX_KERNEL_CLASSES]> {
        if self.gamma != 2.0 {
            return None;
        }
        let mut factors = [0.0; MAX_KERNEL_CLASSES];
        for (c, f) in factors.iter_mut().enumerate().skip(self.first_class()) {
            let weight = self.weight.and_then(|w| w.get(c).copied()).unwrap_or(1.0);
            *f = weight * self.alpha_of(c, false).unwrap_or(1.0);
        }
        Some(factors)
    }
}

elementwise_loss!(Focal<'_>, |focal, input| {
    check::exponent(focal.gamma, true, "gamma", "in [0, 1e8]")?;
    if let Some(w) = focal.weight {
        check::class_weights(w, input.shape().classes())?;
    }
    match focal.alpha {
        Alpha::None => Ok(()),
        Alpha::Scalar(a) => check::in_range(a, 0.0, 1.0, "alpha", "in [0, 1]"),
        Alpha::PerClass(list) => check::class_weights(list, input.shape().classes()),
    }
});

impl Describe for Focal<'_> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "focal",
        &["focal_loss"],
        Family::Distribution,
        "losses::Focal",
        "Focal loss (Lin et al.): cross entropy scaled down on well-classified elements.",
        &[
            Param::argument(
                "gamma",
                Kind::Number,
                Some(Constant::Number(2.0)),
                "The focusing exponent, >= 0.",
            ),
            Param::unset(
                "alpha",
                Kind::NumberOrList,
                "The class balance: a scalar as MONAI's, or one factor per class.",
            ),
            Param::new(
                "include_background",
                Kind::Bool,
                Constant::Bool(true),
                "Includes class 0's terms (MONAI's include_background).",
            ),
            Param::unset(
                "weight",
                Kind::List,
                "Per-class weights of the class terms (MONAI's weight).",
            ),
            REDUCTION,
        ],
    );
}

impl<'a, T: Real> Configure<'a, T> for Focal<'a> {
    fn configure(args: &Args<'_, 'a, T>) -> Result<Self, Error> {
        let mut loss = Focal::new(args.number_or_default("gamma"));
        match args.get("alpha") {
            Some(Value::Number(a)) => loss = loss.with_alpha(Alpha::Scalar(a)),
            Some(Value::List(a)) => loss = loss.with_alpha(Alpha::PerClass(a)),
            _ => {}
        }
        if let Some(b) = args.boolean("include_background") {
            loss = loss.with_include_background(b);
        }
        if let Some(w) = args.list("weight") {
            loss = loss.with_weight(w);
        }
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
