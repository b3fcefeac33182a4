//! Losses behind `dyn`: [`Eval`] runs the portable engine, [`Dispatch`] the std adapter's
//! instruction-set levels and thread pools. Both are implemented for every [`Loss`], so a
//! loss boxed in this library carries its engine compiled here.

use segloss::{engine, Error, Input, Loss, Real, Stats};
use segloss_std::simd::{self, Isa};
use segloss_std::threads;

/// A loss with its workspace handled, usable behind `dyn`.
pub trait Eval<T: Real>: Sync {
    /// The loss value.
    fn value(&self, input: &Input<'_, T>) -> Result<f64, Error>;
    /// The value and the gradient (written into `grad`).
    fn value_grad(&self, input: &Input<'_, T>, grad: &mut [T]) -> Result<f64, Error>;
    /// The value from the statistics of each sample merged in three groupings: left to
    /// right, right to left, and two halves (the additivity of [`Stats`]).
    fn merged_values(&self, input: &Input<'_, T>) -> Result<[f64; 3], Error>;
}

impl<T: Real, L: Loss<T> + Sync> Eval<T> for L {
    fn value(&self, input: &Input<'_, T>) -> Result<f64, Error> {
        let mut ws = vec![T::zero(); self.workspace_len(&input.shape())];
        engine::forward(self, input, &mut ws)
    }

    fn value_grad(&self, input: &Input<'_, T>, grad: &mut [T]) -> Result<f64, Error> {
        let mut ws = vec![T::zero(); self.workspace_len(&input.shape())];
        engine::forward_backward(self, input, &mut ws, grad)
    }

    fn merged_values(&self, input: &Input<'_, T>) -> Result<[f64; 3], Error> {
        let b = input.shape().batch();
        let part = |r: std::ops::Range<usize>| -> Result<L::Stats, Error> {
            let view = input.samples(r)?;
            let mut ws = vec![T::zero(); self.workspace_len(&view.shape())];
            let mut s = L::Stats::default();
            engine::accumulate(self, &view, &mut s, &mut ws)?;
            Ok(s)
        };
        let views = (0..b)
            .map(|i| part(i..i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        let mut left = L::Stats::default();
        for v in &views {
            left.merge(v);
        }
        let mut right = L::Stats::default();
        for v in views.iter().rev() {
            let mut t = *v;
            t.merge(&right);
            right = t;
        }
        let half = b / 2 + 1;
        let mut halves = part(0..half.min(b))?;
        if half < b {
            halves.merge(&part(half..b)?);
        }
        let mut ws = vec![T::zero(); self.workspace_len(&input.shape())];
        Ok([left, right, halves].map(|s| self.finalize(&s, &mut ws).value))
    }
}

/// A loss run at an instruction-set level, or on a thread pool.
pub trait Dispatch<T: Real>: Eval<T> {
    /// [`simd::forward_backward`] at `isa`.
    fn value_grad_at(&self, isa: Isa, input: &Input<'_, T>, grad: &mut [T]) -> Result<f64, Error>;
    /// [`threads::forward_backward`] on `pool` at `isa`.
    fn value_grad_on(
        &self,
        pool: &rayon::ThreadPool,
        isa: Isa,
        input: &Input<'_, T>,
        grad: &mut [T],
    ) -> Result<f64, Error>;
}

impl<T: Real, L: Loss<T> + Sync> Dispatch<T> for L {
    fn value_grad_at(&self, isa: Isa, input: &Input<'_, T>, grad: &mut [T]) -> Result<f64, Error> {
        let mut ws = vec![T::zero(); self.workspace_len(&input.shape())];
        simd::forward_backward(isa, self, input, &mut ws, grad)
    }

    fn value_grad_on(
        &self,
        pool: &rayon::ThreadPool,
        isa: Isa,
        input: &Input<'_, T>,
        grad: &mut [T],
    ) -> Result<f64, Error> {
        let mut ws = vec![T::zero(); self.workspace_len(&input.shape())];
        threads::forward_backward(pool, isa, self, input, &mut ws, grad)
    }
}
