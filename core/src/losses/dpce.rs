//! Distance-penalised cross entropy, the paper's eq. (6) (Caliva et al.).

use super::{xent, PixelSum, Reduction};
use crate::catalogue::{Args, Configure, Describe, Descriptor, Family, Kind, Param, REDUCTION};
use crate::error::Buffer;
use crate::{Error, Finalized, Input, Loss, Real, Tile};

/// Cross entropy weighted per pixel by `1 + D_i`:
/// `L = −(1/N) Σ_i (1 + D_i) Σ_c g_ic ln s_ic` (binary form under a sigmoid).
///
/// `D` is a non-negative distance penalty map of shape `(B, spatial…)` given by the caller;
/// [`DpcePenalty`](super::DpcePenalty) computes the paper code's map from labels.
///
/// ```
/// use segloss::{engine, losses::Dpce, Input, Shape, Target};
/// let logits = [0.0f64; 2 * 2]; // (B=1, C=2, 2 pixels), uniform prediction
/// let input = Input::new(&logits, Shape::new(1, 2, &[2])?, Target::labels(&[0u8, 1]))?;
/// let penalty = [0.0, 3.0];
/// let value = engine::forward(&Dpce::new(&penalty), &input, &mut [])?;
/// assert!((value - (1.0 + 4.0) * 2f64.ln() / 2.0).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dpce<'m, T> {
    penalty: &'m [T],
    reduction: Reduction,
}

impl<'m, T: Real> Dpce<'m, T> {
    /// DPCE with the penalty map `D`, shape `(B, spatial…)`.
    pub fn new(penalty: &'m [T]) -> Self {
        Dpce {
            penalty,
            reduction: Reduction::Mean,
        }
    }

    /// The reduction.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Per-pixel weights `valid · (1 + D)` of a tile.
    fn pixel_weights<'b>(&self, tile: &Tile<'_, T>, out: &'b mut [T]) -> &'b [T] {
        let start = tile.first_pixel();
        let d = self.penalty.get(start..start + tile.len()).unwrap_or(&[]);
        for ((o, &v), &d) in out.iter_mut().zip(tile.valid()).zip(d) {
            *o = v * (T::one() + d);
        }
        out.get(..tile.len()).unwrap_or(&[])
    }
}

impl<T: Real> Loss<T> for Dpce<'_, T> {
    type Stats = PixelSum;
    type Coef = f64;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        let expected = input.shape().pixels();
        if self.penalty.len() != expected {
            return Err(Error::Length {
                what: Buffer::PixelMap,
                expected,
                got: self.penalty.len(),
            });
        }
        if let Some(index) = self.penalty.iter().position(|d| !d.is_finite()) {
            return Err(Error::NonFinite {
                what: Buffer::PixelMap,
                index,
            });
        }
        match self.penalty.iter().position(|&d| d < T::zero()) {
            Some(index) => Err(Error::NegativePenalty { index }),
            None => Ok(()),
        }
    }

    fn reads_complement(&self) -> bool {
        false
    }

    #[inline(always)]
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut PixelSum, _: &mut [T]) {
        let mut buf = [T::zero(); crate::TILE_ELEMENTS];
        let pw = self.pixel_weights(tile, &mut buf);
        let act = tile.activation();
        for row in tile.rows() {
            stats.loss += xent::row_sum(&row, pw, act, T::zero(), T::one());
        }
        stats.count(tile);
    }

    fn finalize(&self, s: &PixelSum, _: &mut [T]) -> Finalized<f64> {
        super::reduce(self.reduction, s)
    }

    fn scale(&self, coef: &mut f64, factor: f64) {
        *coef *= factor;
    }

    #[inline(always)]
    fn backward(&self, scale: &f64, tile: &Tile<'_, T>, grad: &mut [T]) {
        let mut buf = [T::zero(); crate::TILE_ELEMENTS];
        let pw = self.pixel_weights(tile, &mut buf);
        let act = tile.activation();
        for (out, row) in grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows()) {
            xent::row_grad_saturating(&row, pw, act, *scale, out);
        }
    }
}

impl<T> Describe for Dpce<'_, T> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "dpce",
        &["distance_penalized_ce"],
        Family::Distribution,
        "losses::Dpce",
        "Cross entropy weighted per pixel by 1 + D, D a distance penalty map (the paper's eq. 6).",
        &[
            Param::argument(
                "penalty",
                Kind::Map,
                None,
                "The penalty map D, shape (B, spatial...): --penalty PEN.npy on the command line.",
            ),
            REDUCTION,
        ],
    );
}

impl<'m, T: Real> Configure<'m, T> for Dpce<'m, T> {
    fn configure(args: &Args<'_, 'm, T>) -> Result<Self, Error> {
        let penalty = args
            .map("penalty")
            .ok_or(Error::MissingParameter { name: "penalty" })?;
        let mut loss = Dpce::new(penalty);
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
