//! The engine across threads, one sample per task, with results that do not depend on the
//! thread count.
//!
//! The core merges block partials in order into a sample's partial and sample partials in
//! order into the total, so pass 1 run on each sample separately and merged in sample order
//! gives exactly the sequential bits. Pass 2 writes each sample's gradient, a contiguous
//! part of the buffer, from its own task.
//!
//! Losses that need a workspace (TopK, the boundary-based losses) and batches of one sample
//! run sequentially.

use crate::simd::{self, Isa};
use rayon::prelude::*;
use segloss::{Error, Input, Loss, Real, Stats};

/// True when `loss` on `input` can be split by sample.
fn splittable<T: Real, L: Loss<T> + ?Sized>(loss: &L, input: &Input<'_, T>) -> bool {
    input.shape().batch() > 1 && loss.workspace_len(&input.shape()) == 0
}

/// Pass 1 by sample in `pool`, merged in sample order into `stats`.
fn accumulate<T, L>(
    pool: &rayon::ThreadPool,
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    stats: &mut L::Stats,
) -> Result<(), Error>
where
    T: Real,
    L: Loss<T> + Sync + ?Sized,
{
    let partials: Vec<Result<L::Stats, Error>> = pool.install(|| {
        (0..input.shape().batch())
            .into_par_iter()
            .map(|b| {
                let view = input.samples(b..b + 1)?;
                let mut part = L::Stats::default();
                simd::accumulate(isa, loss, &view, &mut part, &mut [])?;
                Ok(part)
            })
            .collect()
    });
    let mut total = *stats;
    for part in partials {
        total.merge(&part?);
    }
    *stats = total;
    Ok(())
}

/// The loss value of `input` and its gradient in `grad`, split by sample over `pool`.
///
/// Bit-identical to [`segloss::engine::forward_backward`] at the same `isa`, whatever the
/// pool's size.
pub fn forward_backward<T, L>(
    pool: &rayon::ThreadPool,
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
    grad: &mut [T],
) -> Result<f64, Error>
where
    T: Real,
    L: Loss<T> + Sync + ?Sized,
{
    if !splittable(loss, input) {
        return simd::forward_backward(isa, loss, input, workspace, grad);
    }
    let shape = input.shape();
    if grad.len() != shape.elements() {
        return Err(Error::Length {
            what: segloss::Buffer::Gradient,
            expected: shape.elements(),
            got: grad.len(),
        });
    }
    let mut stats = L::Stats::default();
    accumulate(pool, isa, loss, input, &mut stats)?;
    let done = loss.finalize(&stats, &mut []);
    let per_sample = shape.classes() * shape.pixels_per_sample();
    pool.install(|| {
        grad.par_chunks_mut(per_sample)
            .enumerate()
            .try_for_each(|(b, part)| {
                let view = input.samples(b..b + 1)?;
                simd::backward_accepted(isa, loss, &view, &done.coef, &[], part)
            })
    })?;
    Ok(done.value)
}

/// The loss value of `input`, pass 1 split by sample over `pool`.
pub fn forward<T, L>(
    pool: &rayon::ThreadPool,
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
) -> Result<f64, Error>
where
    T: Real,
    L: Loss<T> + Sync + ?Sized,
{
    if !splittable(loss, input) {
        return simd::forward(isa, loss, input, workspace);
    }
    let mut stats = L::Stats::default();
    accumulate(pool, isa, loss, input, &mut stats)?;
    Ok(loss.finalize(&stats, &mut []).value)
}
