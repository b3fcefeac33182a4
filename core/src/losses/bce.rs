//! The β-balanced binary cross entropy of the Combo loss (Taghanaki et al.).

use super::elementwise::{elementwise_loss, Element, Elementwise};
use super::{xent, Reduction};
use crate::catalogue::{Args, Configure, Describe, Descriptor, Family, Kind, Param, REDUCTION};
use crate::Error;
use crate::{Activation, Real};

/// `−(1/N) Σ_i Σ_c [β g ln s + (1 − β)(1 − g) ln(1 − s)]`, every class channel a binary
/// problem (the `L_mbce` of the paper's eq. 15). Under softmax `ln(1 − s)` is taken of the
/// softmax probability; logarithms are clamped at −100.
///
/// ```
/// use segloss::{engine, losses::BalancedBce, Input, Shape, Target};
/// let logits = [0.0f64; 2 * 2]; // (B=1, C=2, 2 pixels): s = 1/2 everywhere
/// let input = Input::new(&logits, Shape::new(1, 2, &[2])?, Target::labels(&[0u8, 1]))?;
/// // each pixel: β ln 2 (its class) + (1 − β) ln 2 (the other class)
/// let value = engine::forward(&BalancedBce::new(0.7), &input, &mut [])?;
/// assert!((value - 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BalancedBce {
    beta: f64,
    reduction: Reduction,
}

impl BalancedBce {
    /// β weights the positives, `1 − β` the negatives; β in `[0, 1]`.
    pub fn new(beta: f64) -> Self {
        BalancedBce {
            beta,
            reduction: Reduction::Mean,
        }
    }

    /// The reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }
}

impl Elementwise for BalancedBce {
    fn row_params<T: Real>(&self, _: usize, _: Activation) -> [T; 4] {
        [T::of(self.beta), T::zero(), T::zero(), T::zero()]
    }

    #[inline(always)]
    fn element<T: Real, const M: u8>(
        &self,
        act: Activation,
        p: &[T; 4],
        e: Element<T>,
    ) -> (f64, T) {
        let one = T::one();
        let eps = T::of(xent::PROB_EPS);
        let (pos, neg) = (p[0] * e.g, (one - p[0]) * (one - e.g));
        let log_q = match act {
            Activation::Sigmoid => e.lq,
            _ => e.q.vln().max(T::of(-100.0)),
        };
        let grad = match act {
            Activation::Sigmoid => neg * e.s - pos * e.q,
            Activation::Softmax => neg * e.s / e.q.max(eps) - pos,
            Activation::Identity => neg / e.q.max(eps) - pos / e.s.max(eps),
        };
        (
            -(pos.wide() * e.ls.wide() + neg.wide() * log_q.wide()),
            grad,
        )
    }

    fn reduction(&self) -> Reduction {
        self.reduction
    }

    fn softmax_shift(&self) -> bool {
        true
    }
}

elementwise_loss!(BalancedBce, |bce, _input| {
    super::check::in_range(bce.beta, 0.0, 1.0, "beta", "in [0, 1]")
});

impl Describe for BalancedBce {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "balanced_bce",
        &["bbce"],
        Family::Distribution,
        "losses::BalancedBce",
        "The beta-balanced binary cross entropy of the Combo loss, every class channel a binary problem.",
        &[
            Param::argument("beta", Kind::Number, None, "The weight of the positives (1 - beta the negatives), in [0, 1]."),
            REDUCTION,
        ],
    );
}

impl<T: Real> Configure<'_, T> for BalancedBce {
    fn configure(args: &Args<'_, '_, T>) -> Result<Self, Error> {
        let mut loss = BalancedBce::new(args.number_or_default("beta"));
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
