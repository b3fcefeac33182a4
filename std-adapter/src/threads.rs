//! The engine across threads, one sample per task, with results that do not depend on the
//! thread count.
//!
//! The core merges block partials in order into a sample's partial and sample partials in
//! order into the total, so pass 1 run on each sample separately and merged in sample order
//! gives exactly the sequential bits. Pass 2 writes each sample's gradient, a contiguous
//! part of the buffer, from its own task.
//!
//! A one-sample batch of a loss that takes the fused kernel ([`segloss::kernel`]) splits
//! finer, by reduction block: each block's sums are computed as a task and merged in block
//! order, and each block's gradient is written by a task.
//!
//! Otherwise, batches of one sample, losses that need a workspace (TopK, the boundary-based losses)
//! and losses that hold a map of the whole batch (`Dpce`'s penalty, `Boundary::with_maps`:
//! their `check` refuses a one-sample view) run sequentially. An error found in a sample's
//! view is reported with its index in the whole batch, as the engine reports it.

use crate::simd::{self, Isa, IsaKernel};
use rayon::prelude::*;
use segloss::engine::{self, kernel_blocks, merge_blocks};
use segloss::kernel::{Kernel, LabelGradient, LabelSums};
use segloss::{Buffer, Error, Input, Loss, Real, Stats};

/// True when `loss` on `input` can be split by sample: more than one sample, no workspace,
/// and the loss accepts a one-sample view (a loss holding a per-pixel map of the whole
/// batch checks the map's length against the view and refuses it).
fn splittable<T: Real, L: Loss<T> + ?Sized>(loss: &L, input: &Input<'_, T>) -> bool {
    input.shape().batch() > 1
        && loss.workspace_len(&input.shape()) == 0
        && input
            .samples(0..1)
            .is_ok_and(|view| loss.check(&view).is_ok())
}

/// `e`, found in the one-sample view of sample `b` of `input`, with its indices moved into
/// the whole batch (element indices by `b` samples of elements, pixel indices by `b`
/// samples of pixels).
fn in_batch<T: Real>(e: Error, b: usize, input: &Input<'_, T>) -> Error {
    let pixels = b * input.shape().pixels_per_sample();
    let elements = pixels * input.shape().classes();
    let dense = matches!(input.target(), segloss::Target::Dense(_));
    let offset = |what: Buffer| match what {
        Buffer::Prediction | Buffer::Gradient => elements,
        Buffer::Target if dense => elements,
        Buffer::Target | Buffer::Mask | Buffer::PixelMap => pixels,
    };
    match e {
        Error::NonFinite { what, index } => Error::NonFinite {
            what,
            index: index + offset(what),
        },
        Error::NotProbability { what, index } => Error::NotProbability {
            what,
            index: index + offset(what),
        },
        Error::LabelOutOfRange {
            index,
            label,
            classes,
        } => Error::LabelOutOfRange {
            index: index + pixels,
            label,
            classes,
        },
        Error::BinaryLabel { index, label } => Error::BinaryLabel {
            index: index + pixels,
            label,
        },
        Error::NegativePenalty { index } => Error::NegativePenalty {
            index: index + pixels,
        },
        other => other,
    }
}

/// True when `input` is one sample and `loss` runs through the fused kernel
/// ([`segloss::kernel`]): then both passes split by reduction block. (Larger batches split
/// by sample, which measured faster: the block split copies each block's gradient from a
/// scratch buffer into its class rows.)
fn block_split<T: Real, L: Loss<T> + ?Sized>(loss: &L, input: &Input<'_, T>) -> bool {
    input.shape().batch() == 1 && engine::fused(loss, input)
}

/// Kernel pass 1 with every block of every sample a task; the block sums are merged in
/// order into `total` as the sequential engine merges them. `Ok(None)` when the kernel
/// refuses a block (a value fails a check: the caller reruns sequentially, which reports
/// it).
fn kernel_accumulate<T, L>(
    pool: &rayon::ThreadPool,
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    mut total: L::Stats,
) -> Result<Option<L::Stats>, Error>
where
    T: Real,
    L: Loss<T> + Sync + ?Sized,
{
    loss.check(input)?;
    loss.prepare(input, &mut [])?;
    let batch = input.shape().batch();
    let terms = loss.label_terms();
    let blocks: Vec<(usize, usize, usize)> =
        (0..batch).flat_map(|b| kernel_blocks(input, b)).collect();
    let sums: Vec<Option<LabelSums>> = pool.install(|| {
        blocks
            .par_iter()
            .map(|&at| {
                let mut sums = LabelSums::default();
                IsaKernel(isa)
                    .sums(input, at, terms, &mut sums)
                    .then_some(sums)
            })
            .collect()
    });
    if sums.iter().any(Option::is_none) {
        return Ok(None);
    }
    let mut sums = sums.into_iter().flatten();
    for b in 0..batch {
        let merged = merge_blocks(loss, input, b, |_| sums.next().unwrap_or_default());
        total.merge(&merged);
    }
    Ok(Some(total))
}

/// A block of pass 2: its pixels `(sample, start, len)` and its part of each class row.
type BlockTask<'g, T> = ((usize, usize, usize), Vec<&'g mut [T]>);

/// Kernel pass 2 with every block of every sample a task, each writing its pixels' rows of
/// `grad`. False, having written nothing, when a sample's coefficients do not fit the
/// kernel (the caller then runs the sequential pass, which takes the tile path for such a
/// sample, as it does for each sample of a batch split by sample).
fn kernel_write<T, L>(
    pool: &rayon::ThreadPool,
    isa: Isa,
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    grad: &mut [T],
) -> bool
where
    T: Real,
    L: Loss<T> + Sync + ?Sized,
{
    let shape = input.shape();
    let first = input.first_sample();
    let affine: Vec<LabelGradient> = (0..shape.batch())
        .map(|b| {
            let mut a = LabelGradient::default();
            loss.label_gradient(coef, first + b, &mut a);
            a
        })
        .collect();
    if !affine.iter().all(LabelGradient::fits::<T>) {
        return false;
    }
    let per_sample = shape.pixels_per_sample();
    // One task per block, writing the block's part of each class row (the rows of one
    // block are not contiguous in the gradient; `write_rows` goes through a per-thread
    // scratch where the kernel cannot write them directly).
    let mut tasks: Vec<BlockTask<'_, T>> = Vec::new();
    for (b, sample) in grad.chunks_mut(shape.classes() * per_sample).enumerate() {
        let mut rows: Vec<_> = sample
            .chunks_mut(per_sample)
            .map(|row| row.chunks_mut(engine::BLOCK_PIXELS))
            .collect();
        for at in kernel_blocks(input, b) {
            let out = rows.iter_mut().filter_map(Iterator::next).collect();
            tasks.push((at, out));
        }
    }
    pool.install(|| {
        tasks
            .into_par_iter()
            .map_init(Vec::new, |scratch: &mut Vec<T>, (at, mut out)| {
                let coef = affine.get(at.0).copied().unwrap_or_default();
                IsaKernel(isa).write_rows(input, at, &coef, &mut out, scratch)
            })
            .all(|written| written)
    })
}

/// Pass 1 by sample in `pool`, merged in sample order into `stats`.
///
/// A loss that takes the fused kernel runs it by block; when the kernel refuses any block,
/// the whole batch goes through the sequential pass 1, as the engine decides for the whole
/// batch (finding F22: deciding per sample mixed kernel and tile sums, whose bits differ).
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
    if engine::fused(loss, input) {
        return match kernel_accumulate(pool, isa, loss, input, *stats)? {
            Some(total) => {
                *stats = total;
                Ok(())
            }
            None => simd::accumulate(isa, loss, input, stats, &mut []),
        };
    }
    let partials: Vec<Result<L::Stats, Error>> = pool.install(|| {
        (0..input.shape().batch())
            .into_par_iter()
            .map(|b| {
                let view = input.samples(b..b + 1)?;
                let mut part = L::Stats::default();
                simd::accumulate(isa, loss, &view, &mut part, &mut [])
                    .map_err(|e| in_batch(e, b, input))?;
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
    let shape = input.shape();
    if block_split(loss, input) && pool.current_num_threads() > 1 && grad.len() == shape.elements()
    {
        if let Some(stats) = kernel_accumulate(pool, isa, loss, input, L::Stats::default())? {
            let done = loss.finalize(&stats, &mut []);
            if !kernel_write(pool, isa, loss, input, &done.coef, grad) {
                simd::backward_accepted(isa, loss, input, &done.coef, &[], grad)?;
            }
            return Ok(done.value);
        }
    }
    if !splittable(loss, input) {
        return simd::forward_backward(isa, loss, input, workspace, grad);
    }
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
                    .map_err(|e| in_batch(e, b, input))
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
    if block_split(loss, input) && pool.current_num_threads() > 1 {
        if let Some(stats) = kernel_accumulate(pool, isa, loss, input, L::Stats::default())? {
            return Ok(loss.finalize(&stats, &mut []).value);
        }
    }
    if !splittable(loss, input) {
        return simd::forward(isa, loss, input, workspace);
    }
    let mut stats = L::Stats::default();
    accumulate(pool, isa, loss, input, &mut stats)?;
    Ok(loss.finalize(&stats, &mut []).value)
}
