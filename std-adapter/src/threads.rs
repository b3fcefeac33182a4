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
//!
//! A call sends the pool one job and works inside it. What the passes need between the
//! tasks (block sums, per-sample statistics, row buffers) lives in a [`Scratch`]; the free
//! functions make one per call, [`crate::Buffers`] keeps one, and then a call allocates
//! nothing after the first of its shape and loss (`tests/tests/alloc_threads.rs`). The
//! block split of pass 2 halves the block range with `rayon::join`, whose jobs live on the
//! stack, rather than collecting tasks.

use crate::simd::{self, Isa, IsaKernel};
use rayon::prelude::*;
use segloss::engine::{self, kernel_block, kernel_block_count, merge_blocks};
use segloss::kernel::{Kernel, LabelGradient, LabelSums, MAX_KERNEL_CLASSES};
use segloss::{Buffer, Error, Input, Loss, Real, Stats};
use std::any::Any;
use std::sync::{Mutex, PoisonError};

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

/// What the threaded passes keep from one call to the next, so that a caller that keeps it
/// (as [`crate::Buffers`] does) allocates nothing after the first call of a shape and loss.
#[derive(Debug)]
pub struct Scratch<T> {
    /// Kernel pass 1: each block's sums, blocks of all samples in order (`None`: refused).
    sums: Vec<Option<LabelSums>>,
    /// Kernel pass 2: each sample's gradient coefficients.
    affine: Vec<LabelGradient>,
    /// Kernel pass 2: a row buffer per pool thread, for blocks the kernel cannot write in
    /// place.
    rows: Vec<Mutex<Vec<T>>>,
    /// Pass 1 by sample: a `Vec<Result<L::Stats, Error>>` for the last loss type seen.
    partials: Option<Box<dyn Any + Send>>,
}

impl<T> Default for Scratch<T> {
    fn default() -> Self {
        Scratch {
            sums: Vec::new(),
            affine: Vec::new(),
            rows: Vec::new(),
            partials: None,
        }
    }
}

impl<T: Real> Scratch<T> {
    /// Empty scratch; the first call sizes it.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`forward_backward`] with this scratch: one job enters `pool` per call, and nothing
    /// is allocated once the scratch has seen the shape and the loss (rayon itself
    /// allocates a block of its injection queue every 63 jobs sent from outside the pool;
    /// a call made on one of the pool's threads sends none).
    pub fn forward_backward<L>(
        &mut self,
        pool: &rayon::ThreadPool,
        isa: Isa,
        loss: &L,
        input: &Input<'_, T>,
        workspace: &mut [T],
        grad: &mut [T],
    ) -> Result<f64, Error>
    where
        L: Loss<T> + Sync + ?Sized,
    {
        pool.install(|| self.both_passes(isa, loss, input, workspace, grad))
    }

    /// [`forward`] with this scratch (see [`Scratch::forward_backward`]).
    pub fn forward<L>(
        &mut self,
        pool: &rayon::ThreadPool,
        isa: Isa,
        loss: &L,
        input: &Input<'_, T>,
        workspace: &mut [T],
    ) -> Result<f64, Error>
    where
        L: Loss<T> + Sync + ?Sized,
    {
        pool.install(|| self.value(isa, loss, input, workspace))
    }

    /// Both passes, on the current pool.
    fn both_passes<L>(
        &mut self,
        isa: Isa,
        loss: &L,
        input: &Input<'_, T>,
        workspace: &mut [T],
        grad: &mut [T],
    ) -> Result<f64, Error>
    where
        L: Loss<T> + Sync + ?Sized,
    {
        let shape = input.shape();
        if block_split(loss, input)
            && rayon::current_num_threads() > 1
            && grad.len() == shape.elements()
        {
            if let Some(stats) = self.kernel_accumulate(isa, loss, input, L::Stats::default())? {
                let done = loss.finalize(&stats, &mut []);
                if !self.kernel_write(isa, loss, input, &done.coef, grad) {
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
        let stats = self.accumulate(isa, loss, input)?;
        let done = loss.finalize(&stats, &mut []);
        let per_sample = shape.classes() * shape.pixels_per_sample();
        grad.par_chunks_mut(per_sample)
            .enumerate()
            .try_for_each(|(b, part)| {
                let view = input.samples(b..b + 1)?;
                simd::backward_accepted(isa, loss, &view, &done.coef, &[], part)
                    .map_err(|e| in_batch(e, b, input))
            })?;
        Ok(done.value)
    }

    /// Pass 1 and the value, on the current pool.
    fn value<L>(
        &mut self,
        isa: Isa,
        loss: &L,
        input: &Input<'_, T>,
        workspace: &mut [T],
    ) -> Result<f64, Error>
    where
        L: Loss<T> + Sync + ?Sized,
    {
        if block_split(loss, input) && rayon::current_num_threads() > 1 {
            if let Some(stats) = self.kernel_accumulate(isa, loss, input, L::Stats::default())? {
                return Ok(loss.finalize(&stats, &mut []).value);
            }
        }
        if !splittable(loss, input) {
            return simd::forward(isa, loss, input, workspace);
        }
        let stats = self.accumulate(isa, loss, input)?;
        Ok(loss.finalize(&stats, &mut []).value)
    }

    /// Kernel pass 1 with every block of every sample a task; the block sums are merged in
    /// order into `total` as the sequential engine merges them. `Ok(None)` when the kernel
    /// refuses a block (a value fails a check: the caller reruns sequentially, which
    /// reports it).
    fn kernel_accumulate<L>(
        &mut self,
        isa: Isa,
        loss: &L,
        input: &Input<'_, T>,
        mut total: L::Stats,
    ) -> Result<Option<L::Stats>, Error>
    where
        L: Loss<T> + Sync + ?Sized,
    {
        loss.check(input)?;
        loss.prepare(input, &mut [])?;
        let terms = loss.label_terms();
        let per_sample = kernel_block_count(input);
        let batch = input.shape().batch();
        self.sums.clear();
        self.sums.resize(batch * per_sample, None);
        self.sums.par_iter_mut().enumerate().for_each(|(i, slot)| {
            let at = kernel_block(input, i / per_sample, i % per_sample);
            let mut sums = LabelSums::default();
            *slot = IsaKernel(isa)
                .sums(input, at, terms, &mut sums)
                .then_some(sums);
        });
        if self.sums.iter().any(Option::is_none) {
            return Ok(None);
        }
        let mut sums = self.sums.iter().flatten();
        for b in 0..batch {
            let merged = merge_blocks(loss, input, b, |_| sums.next().copied().unwrap_or_default());
            total.merge(&merged);
        }
        Ok(Some(total))
    }

    /// Kernel pass 2: the samples split across the pool, and each sample's blocks split in
    /// halves down to one block per task, each writing its pixels' part of every class
    /// row. False, having written nothing, when a sample's coefficients do not fit the
    /// kernel (the caller then runs the sequential pass, which takes the tile path for
    /// such a sample, as it does for each sample of a batch split by sample).
    fn kernel_write<L>(
        &mut self,
        isa: Isa,
        loss: &L,
        input: &Input<'_, T>,
        coef: &L::Coef,
        grad: &mut [T],
    ) -> bool
    where
        L: Loss<T> + Sync + ?Sized,
    {
        let shape = input.shape();
        let first = input.first_sample();
        self.affine.clear();
        self.affine.extend((0..shape.batch()).map(|b| {
            let mut a = LabelGradient::default();
            loss.label_gradient(coef, first + b, &mut a);
            a
        }));
        let classes = shape.classes();
        let per_sample = shape.pixels_per_sample();
        if !self.affine.iter().all(LabelGradient::fits::<T>)
            || classes > MAX_KERNEL_CLASSES
            || per_sample == 0
        {
            return false;
        }
        let threads = rayon::current_num_threads();
        if self.rows.len() < threads {
            self.rows.resize_with(threads, Mutex::default);
        }
        let blocks = kernel_block_count(input);
        let (affine, rows) = (&self.affine, &self.rows[..]);
        grad.par_chunks_mut(classes * per_sample)
            .enumerate()
            .all(|(sample, part)| {
                let mut out: ClassRows<'_, T> = Default::default();
                for (row, class) in out.iter_mut().zip(part.chunks_mut(per_sample)) {
                    *row = class;
                }
                let task = BlockWrite {
                    isa,
                    input,
                    sample,
                    coef: affine.get(sample).copied().unwrap_or_default(),
                    rows,
                };
                task.write(&mut out[..classes], 0, blocks)
            })
    }

    /// Pass 1 by sample, merged in sample order.
    ///
    /// A loss that takes the fused kernel runs it by block; when the kernel refuses any
    /// block, the whole batch goes through the sequential pass 1, as the engine decides for
    /// the whole batch (finding F22: deciding per sample mixed kernel and tile sums, whose
    /// bits differ).
    fn accumulate<L>(&mut self, isa: Isa, loss: &L, input: &Input<'_, T>) -> Result<L::Stats, Error>
    where
        L: Loss<T> + Sync + ?Sized,
    {
        let mut stats = L::Stats::default();
        if engine::fused(loss, input) {
            if let Some(total) = self.kernel_accumulate(isa, loss, input, stats)? {
                return Ok(total);
            }
            simd::accumulate(isa, loss, input, &mut stats, &mut [])?;
            return Ok(stats);
        }
        let mut partials: Box<Vec<Result<L::Stats, Error>>> = self
            .partials
            .take()
            .and_then(|p| p.downcast().ok())
            .unwrap_or_default();
        partials.clear();
        partials.resize_with(input.shape().batch(), || Ok(L::Stats::default()));
        partials.par_iter_mut().enumerate().for_each(|(b, slot)| {
            *slot = input.samples(b..b + 1).and_then(|view| {
                let mut part = L::Stats::default();
                simd::accumulate(isa, loss, &view, &mut part, &mut [])
                    .map_err(|e| in_batch(e, b, input))?;
                Ok(part)
            });
        });
        let merged = partials.iter().try_for_each(|part| {
            stats.merge(part.as_ref().map_err(Clone::clone)?);
            Ok(())
        });
        self.partials = Some(partials);
        merged.map(|()| stats)
    }
}

/// One sample's class rows (the first `classes` used), for the block split of pass 2.
type ClassRows<'g, T> = [&'g mut [T]; MAX_KERNEL_CLASSES];

/// A sample's pass 2 by block.
struct BlockWrite<'a, 'i, T> {
    isa: Isa,
    input: &'a Input<'i, T>,
    sample: usize,
    coef: LabelGradient,
    /// One row buffer per pool thread.
    rows: &'a [Mutex<Vec<T>>],
}

impl<T: Real> BlockWrite<'_, '_, T> {
    /// Writes blocks `first..first + count`, whose pixels' part of each class row is
    /// `out`: halves in parallel down to one block.
    fn write(&self, out: &mut [&mut [T]], first: usize, count: usize) -> bool {
        if count <= 1 {
            let at = kernel_block(self.input, self.sample, first);
            let slot = rayon::current_thread_index().and_then(|i| self.rows.get(i));
            let mut own = Vec::new();
            let mut guard = slot.map(|m| m.lock().unwrap_or_else(PoisonError::into_inner));
            let scratch = guard.as_deref_mut().unwrap_or(&mut own);
            return IsaKernel(self.isa).write_rows(self.input, at, &self.coef, out, scratch);
        }
        let half = count / 2;
        let mid = half * engine::BLOCK_PIXELS;
        let (mut left, mut right): (ClassRows<'_, T>, ClassRows<'_, T>) = Default::default();
        for ((row, l), r) in out.iter_mut().zip(&mut left).zip(&mut right) {
            let (a, b) = std::mem::take(row).split_at_mut(mid.min(row.len()));
            (*l, *r) = (a, b);
        }
        let n = out.len();
        let (a, b) = rayon::join(
            || self.write(&mut left[..n], first, half),
            || self.write(&mut right[..n], first + half, count - half),
        );
        a && b
    }
}

/// The loss value of `input` and its gradient in `grad`, split by sample over `pool`, with
/// scratch of its own (allocated per call; [`Scratch::forward_backward`] reuses one).
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
    Scratch::new().forward_backward(pool, isa, loss, input, workspace, grad)
}

/// The loss value of `input`, pass 1 split by sample over `pool` (scratch as
/// [`forward_backward`]'s).
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
    Scratch::new().forward(pool, isa, loss, input, workspace)
}
