//! The two-pass streaming engine: accumulate → merge → finalize → backward.
//!
//! Pass 1 walks the batch tile by tile, activates each tile once and hands it to the loss,
//! which adds to the partial [`Stats`] of the current reduction block ([`BLOCK_PIXELS`]
//! pixels of one sample). Block partials are merged in order into the sample's partial,
//! and sample partials in order into the total: the order does not depend on how the work
//! is split, so one sample per thread gives the sequential bits. Finalize turns the merged statistics into the value and the coefficients of the
//! gradient. Pass 2 walks the tiles again, lets the loss add its per-element gradient and
//! writes `∂L/∂prediction` once per element.
//!
//! The `_on` functions take the fused kernel's implementation and are `#[inline(always)]`,
//! so that a caller compiles the whole pass inside its own `#[target_feature]` function
//! (the std adapter, once per instruction-set level). The plain entry points ([`accumulate`],
//! [`backward_accepted`], and [`forward`], [`forward_backward`], [`backward_with`] built on
//! them) are ordinary functions: one copy of each pass per loss type, however many places
//! call them.

use crate::error::Buffer;
use crate::kernel::{self, Baseline, Kernel, LabelBlock, LabelGradient, LabelSums, LabelTerms};
use crate::tile::{tile_pixels, Load, TileBuf, TILE_ELEMENTS};
use crate::{Error, Input, Real, Shape, Tile};

/// Statistics a loss accumulates in pass 1. They are additive: the statistics of a batch
/// are the merge of those of any split of it, so devices can all-reduce them.
pub trait Stats: Copy + Default + Send + Sync + 'static {
    /// Adds `other` into `self`.
    fn merge(&mut self, other: &Self);
}

/// A finalized loss: its value and what the gradient pass needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finalized<C> {
    /// The loss value.
    pub value: f64,
    /// The coefficients of the gradient (per-class or global scales).
    pub coef: C,
}

/// A loss as the engine drives it. Every loss and every compound implements it.
pub trait Loss<T: Real> {
    /// What pass 1 accumulates.
    type Stats: Stats;
    /// What finalize hands to pass 2.
    type Coef: Copy + Send + Sync;

    /// Checks the loss's parameters against the batch (class counts, weights, maps).
    fn check(&self, input: &Input<'_, T>) -> Result<(), Error>;

    /// Elements of scratch the loss needs for a batch of this shape (most need none).
    fn workspace_len(&self, shape: &Shape) -> usize {
        let _ = shape;
        0
    }

    /// Runs before pass 1 with the whole batch and the workspace, for losses that need a
    /// global view first (distance maps of the target or of the thresholded prediction).
    fn prepare(&self, input: &Input<'_, T>, workspace: &mut [T]) -> Result<(), Error> {
        let _ = (input, workspace);
        Ok(())
    }

    /// True when the loss reads [`ClassRow::comp`](crate::ClassRow::comp) under softmax.
    /// Computing `1 − s` there costs a division per element, so the engine skips it for
    /// losses that answer false (the row then holds zeros); the default is true.
    fn reads_complement(&self) -> bool {
        true
    }

    /// Pass 1: adds the tile's contribution to `stats`.
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut Self::Stats, workspace: &mut [T]);

    /// Turns the merged statistics into the value and the gradient coefficients.
    fn finalize(&self, stats: &Self::Stats, workspace: &mut [T]) -> Finalized<Self::Coef>;

    /// Multiplies the gradient that `coef` describes by `factor` (compounds weight their
    /// members this way).
    fn scale(&self, coef: &mut Self::Coef, factor: f64);

    /// Pass 2: adds the tile's per-element gradient into `grad` (class-major, `c · len + k`).
    ///
    /// The quantity depends on the activation: `s · ∂L/∂s` under softmax, `∂L/∂z` under a
    /// sigmoid, `∂L/∂p` without activation.
    fn backward(&self, coef: &Self::Coef, tile: &Tile<'_, T>, grad: &mut [T]);

    /// True when the loss, as configured, is a function of the fused kernel's per-class
    /// sums and its gradient has the kernel's affine form ([`crate::kernel`]); the engine
    /// then runs inputs the kernel [`fits`](kernel::fits) through it. The default is false.
    /// A loss that answers true implements [`Loss::add_label_sums`] and
    /// [`Loss::label_gradient`].
    fn fused_labels(&self) -> bool {
        false
    }

    /// The per-pixel terms the kernel must compute for this loss besides its per-class
    /// sums (the focal term); none by default.
    fn label_terms(&self) -> LabelTerms {
        LabelTerms::default()
    }

    /// Kernel pass 1: adds one reduction block's sums to `stats`, as
    /// [`Loss::accumulate`] would add the block's tiles.
    fn add_label_sums(&self, block: &LabelBlock, stats: &mut Self::Stats) {
        let _ = (block, stats);
    }

    /// Kernel pass 2: adds the gradient that `coef` describes for sample `sample` (its index
    /// in the whole batch) into `out`.
    fn label_gradient(&self, coef: &Self::Coef, sample: usize, out: &mut LabelGradient) {
        let _ = (coef, sample, out);
    }

    /// Elements at the start of the workspace that pass 2 reads (maps that
    /// [`Loss::prepare`] wrote there); most losses read none.
    fn gradient_workspace_len(&self, shape: &Shape) -> usize {
        let _ = shape;
        0
    }

    /// Pass 2 with the workspace as [`Loss::prepare`] and pass 1 left it. The engine calls
    /// this; the default calls [`Loss::backward`]. Losses whose gradient reads maps from the
    /// workspace (the boundary-based ones) override it.
    #[inline(always)]
    fn backward_with(
        &self,
        coef: &Self::Coef,
        tile: &Tile<'_, T>,
        grad: &mut [T],
        workspace: &[T],
    ) {
        let _ = workspace;
        self.backward(coef, tile, grad);
    }
}

/// Checks the loss against the batch and the workspace length.
#[inline(always)]
fn prepare<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    workspace: &[T],
) -> Result<(), Error> {
    loss.check(input)?;
    let needed = loss.workspace_len(&input.shape);
    if workspace.len() < needed {
        return Err(Error::Workspace {
            needed,
            got: workspace.len(),
        });
    }
    Ok(())
}

/// Pixels of one reduction block: pass 1 sums each block into a fresh partial and merges the
/// partials in block order, so a threaded walk over blocks gives the same bits.
pub const BLOCK_PIXELS: usize = 16 * 1024;

/// What a [`Walk`] reaches next.
enum Step {
    /// The tile of `len` pixels from pixel `start` of sample `sample`.
    Tile {
        sample: usize,
        start: usize,
        len: usize,
    },
    /// The end of a reduction block.
    BlockEnd,
    /// The end of a sample (after its last block).
    SampleEnd,
    /// Past the last sample.
    Done,
}

/// The tiles of a batch in order, with the ends of reduction blocks and samples: a cursor
/// rather than a visitor, so each pass is one loop the compiler inlines whole.
struct Walk {
    tile: usize,
    per_sample: usize,
    batch: usize,
    sample: usize,
    start: usize,
    block_stop: usize,
    block_closed: bool,
}

impl Walk {
    #[inline(always)]
    fn new<T>(input: &Input<'_, T>) -> Self {
        let per_sample = input.shape.pixels_per_sample();
        Walk {
            tile: tile_pixels(input),
            per_sample,
            batch: input.shape.batch(),
            sample: 0,
            start: 0,
            block_stop: per_sample.min(BLOCK_PIXELS),
            block_closed: false,
        }
    }

    #[inline(always)]
    fn next(&mut self) -> Step {
        if self.sample >= self.batch {
            return Step::Done;
        }
        if self.start >= self.block_stop {
            if !self.block_closed {
                self.block_closed = true;
                return Step::BlockEnd;
            }
            if self.start >= self.per_sample {
                self.sample += 1;
                self.start = 0;
                self.block_stop = self.per_sample.min(BLOCK_PIXELS);
                self.block_closed = false;
                return Step::SampleEnd;
            }
            self.block_stop = self.per_sample.min(self.start + BLOCK_PIXELS);
            self.block_closed = false;
        }
        let len = self.tile.min(self.block_stop - self.start);
        let tile = Step::Tile {
            sample: self.sample,
            start: self.start,
            len,
        };
        self.start += len;
        tile
    }
}

/// Walks the activated tiles of `input` in order (for [`Loss::prepare`] hooks and tools),
/// checking every element as pass 1 does.
#[inline(always)]
pub fn scan<T: Real>(
    input: &Input<'_, T>,
    mut visit: impl FnMut(&Tile<'_, T>),
) -> Result<(), Error> {
    let mut buf = TileBuf::new();
    let mut walk = Walk::new(input);
    loop {
        match walk.next() {
            Step::Tile { sample, start, len } => {
                buf.load(input, (sample, start, len), Load::CHECKED)?;
                visit(&buf.view());
            }
            Step::Done => return Ok(()),
            _ => {}
        }
    }
}

/// Pass 1 over `input`: merges its statistics into `stats`.
///
/// Checks every element as it streams; on error `stats` is left as it was.
// With `small`, its frame (a tile, three copies of the statistics) is not added to pass 2's.
#[cfg_attr(feature = "small", inline(never))]
pub fn accumulate<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    stats: &mut L::Stats,
    workspace: &mut [T],
) -> Result<(), Error> {
    accumulate_on(&Baseline, loss, input, stats, workspace)
}

/// True when `loss` on `input` runs through the fused kernel ([`kernel::fits`] and
/// [`Loss::fused_labels`]).
#[inline(always)]
pub fn fused<T: Real, L: Loss<T> + ?Sized>(loss: &L, input: &Input<'_, T>) -> bool {
    kernel::fits(input) && loss.fused_labels()
}

/// [`accumulate`] with the fused kernel run by `kernel` (the std adapter's at the
/// processor's instruction set).
#[inline(always)]
pub fn accumulate_on<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    stats: &mut L::Stats,
    workspace: &mut [T],
) -> Result<(), Error> {
    let mut total = *stats;
    merge_pass1(kernel, loss, input, &mut total, workspace)?;
    *stats = total;
    Ok(())
}

/// Pass 1 into fresh statistics, for [`forward`] and [`forward_backward`]: [`accumulate`]
/// without its copy of the statistics, as nothing is kept when it fails.
#[cfg_attr(feature = "small", inline(never))]
fn accumulate_fresh<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    stats: &mut L::Stats,
    workspace: &mut [T],
) -> Result<(), Error> {
    merge_pass1(&Baseline, loss, input, stats, workspace)
}

/// Pass 1 merged into `total`: on error `total` holds part of the batch.
#[inline(always)]
fn merge_pass1<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    total: &mut L::Stats,
    workspace: &mut [T],
) -> Result<(), Error> {
    prepare(loss, input, workspace)?;
    loss.prepare(input, workspace)?;
    if fused(loss, input) {
        if let Some(merged) = kernel_accumulate(kernel, loss, input, *total) {
            *total = merged;
            return Ok(());
        }
    }
    let mut buf = TileBuf::new();
    let mut walk = Walk::new(input);
    let load = Load {
        check: true,
        complement: loss.reads_complement(),
    };
    // Each partial is a fresh local per sample and per block (not a reset of one), which
    // keeps the frame at one copy of each: it matters on a microcontroller's stack.
    'samples: loop {
        let mut sample = L::Stats::default();
        loop {
            let mut part = L::Stats::default();
            let end = loop {
                match walk.next() {
                    Step::Tile {
                        sample: b,
                        start,
                        len,
                    } => {
                        buf.load(input, (b, start, len), load)?;
                        loss.accumulate(&buf.view(), &mut part, workspace);
                    }
                    end => break end,
                }
            };
            match end {
                Step::SampleEnd => {
                    total.merge(&sample);
                    continue 'samples;
                }
                Step::Done => break 'samples,
                _ => sample.merge(&part),
            }
        }
    }
    Ok(())
}

/// Pass 1 through the fused kernel, block by block as the tile walk goes. `None` when the
/// kernel refuses a block: a value failed a check, and the tile path will report it.
#[inline(always)]
fn kernel_accumulate<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    mut total: L::Stats,
) -> Option<L::Stats> {
    let terms = loss.label_terms();
    for sample in 0..input.shape.batch() {
        let mut refused = false;
        let merged = merge_blocks(loss, input, sample, |at| {
            let mut sums = LabelSums::default();
            refused |= !kernel.sums(input, at, terms, &mut sums);
            sums
        });
        if refused {
            return None;
        }
        total.merge(&merged);
    }
    Some(total)
}

/// The reduction blocks of one sample of `input`, in order, as `(sample, start, len)`:
/// the fused kernel's unit of pass 1 (and of the threaded adapter's split of one sample).
pub fn kernel_blocks<T>(
    input: &Input<'_, T>,
    sample: usize,
) -> impl Iterator<Item = (usize, usize, usize)> {
    let per_sample = input.shape.pixels_per_sample();
    (0..kernel_block_count(input)).map(move |k| block_of(per_sample, sample, k))
}

/// How many reduction blocks one sample of `input` has.
pub fn kernel_block_count<T>(input: &Input<'_, T>) -> usize {
    input.shape.pixels_per_sample().div_ceil(BLOCK_PIXELS)
}

/// Block `k` of sample `sample` of `input`, as [`kernel_blocks`] gives it (empty past the
/// last block).
pub fn kernel_block<T>(input: &Input<'_, T>, sample: usize, k: usize) -> (usize, usize, usize) {
    block_of(input.shape.pixels_per_sample(), sample, k)
}

/// Block `k` of a sample of `per_sample` pixels.
#[inline(always)]
fn block_of(per_sample: usize, sample: usize, k: usize) -> (usize, usize, usize) {
    let start = k.saturating_mul(BLOCK_PIXELS).min(per_sample);
    (sample, start, BLOCK_PIXELS.min(per_sample - start))
}

/// Sample `sample`'s statistics from its blocks' kernel sums (`block_sums` called once per
/// block of [`kernel_blocks`], in order): block partials merged in order, as pass 1 merges
/// them, so a caller that computed the sums in parallel gets the sequential bits.
#[inline(always)]
pub fn merge_blocks<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    sample: usize,
    mut block_sums: impl FnMut((usize, usize, usize)) -> LabelSums,
) -> L::Stats {
    let mut merged = L::Stats::default();
    for at in kernel_blocks(input, sample) {
        let block = LabelBlock {
            sums: block_sums(at),
            sample: input.first_sample + sample,
            shape: input.shape,
        };
        let mut part = L::Stats::default();
        loss.add_label_sums(&block, &mut part);
        merged.merge(&part);
    }
    merged
}

/// Pass 2 through the fused kernel, sample by sample. A sample whose coefficients do not fit
/// the kernel's `T` arithmetic takes the tile path on its own (so the choice, and the bits,
/// of a sample do not depend on the other samples of the batch, as the threaded adapter's
/// split by sample needs). False when the kernel refuses a range; the caller then runs the
/// tile path, which rewrites every element.
#[inline(always)]
fn kernel_write<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    grad: &mut [T],
    workspace: &[T],
) -> Result<bool, Error> {
    let per_sample = input.shape.pixels_per_sample();
    for sample in 0..input.shape.batch() {
        let mut affine = LabelGradient::default();
        loss.label_gradient(coef, input.first_sample + sample, &mut affine);
        let at = (sample, 0, per_sample);
        let part = sample * input.shape.classes() * per_sample;
        let Some(dst) = grad.get_mut(part..part + input.shape.classes() * per_sample) else {
            return Ok(false);
        };
        if !affine.fits::<T>() {
            tile_write(
                loss,
                &input.samples(sample..sample + 1)?,
                coef,
                dst,
                workspace,
            )?;
        } else if !kernel.write(input, at, &affine, dst) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Pass 2 over `input`: writes `∂L/∂prediction` for `coef` into `grad`.
///
/// Validates the whole batch before the first write, so an error leaves `grad` untouched.
/// Losses that read maps from the workspace in pass 2 ([`Loss::gradient_workspace_len`],
/// the boundary-based losses) need [`backward_with`] instead; here they return
/// [`Error::Workspace`].
pub fn backward<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    grad: &mut [T],
) -> Result<(), Error> {
    backward_with(loss, input, coef, &[], grad)
}

/// Pass 2 over `input` with the workspace that [`accumulate`] filled for this batch.
///
/// Validates the whole batch before the first write, so an error leaves `grad` untouched.
pub fn backward_with<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    workspace: &[T],
    grad: &mut [T],
) -> Result<(), Error> {
    check_backward(loss, input, workspace, grad)?;
    backward_accepted(loss, input, coef, workspace, grad)
}

/// [`backward_with`] with the fused kernel run by `kernel`.
#[inline(always)]
pub fn backward_with_on<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    workspace: &[T],
    grad: &mut [T],
) -> Result<(), Error> {
    check_backward(loss, input, workspace, grad)?;
    write_pass(kernel, loss, input, coef, grad, workspace)
}

/// The checks [`backward_with`] runs before it writes: the gradient's length, the loss
/// against the batch, the workspace pass 2 reads, and every element of the batch. After
/// them, [`backward_accepted`] writes what [`backward_with`] would (the std adapter runs
/// the two apart, the write at the processor's instruction set).
#[inline(always)]
pub fn check_backward<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    workspace: &[T],
    grad: &[T],
) -> Result<(), Error> {
    check_grad(input, grad)?;
    loss.check(input)?;
    let needed = loss.gradient_workspace_len(&input.shape);
    if workspace.len() < needed {
        return Err(Error::Workspace {
            needed,
            got: workspace.len(),
        });
    }
    scan(input, |_| {})
}

/// Pass 2 over an input that [`accumulate`] has already accepted (the same data, or a
/// view of part of it): writes `∂L/∂prediction` without first re-validating the batch.
///
/// Element values are not checked again (no input makes it panic, but on data that pass 1
/// did not accept the gradient is meaningless, and a shape mismatch may stop it with an
/// error after writing part of `grad`). [`forward_backward`] and the threaded adapter use it after their own pass 1.
#[cfg_attr(feature = "small", inline(never))]
pub fn backward_accepted<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    workspace: &[T],
    grad: &mut [T],
) -> Result<(), Error> {
    backward_accepted_on(&Baseline, loss, input, coef, workspace, grad)
}

/// [`backward_accepted`] with the fused kernel run by `kernel`.
#[inline(always)]
pub fn backward_accepted_on<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    workspace: &[T],
    grad: &mut [T],
) -> Result<(), Error> {
    check_grad(input, grad)?;
    write_pass(kernel, loss, input, coef, grad, workspace)
}

#[inline(always)]
fn check_grad<T: Real>(input: &Input<'_, T>, grad: &[T]) -> Result<(), Error> {
    let expected = input.shape.elements();
    if grad.len() != expected {
        return Err(Error::Length {
            what: Buffer::Gradient,
            expected,
            got: grad.len(),
        });
    }
    Ok(())
}

#[inline(always)]
fn write_pass<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    grad: &mut [T],
    workspace: &[T],
) -> Result<(), Error> {
    if fused(loss, input) && kernel_write(kernel, loss, input, coef, grad, workspace)? {
        return Ok(());
    }
    tile_write(loss, input, coef, grad, workspace)
}

/// Pass 2 through the tile pipeline.
#[inline(always)]
fn tile_write<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    coef: &L::Coef,
    grad: &mut [T],
    workspace: &[T],
) -> Result<(), Error> {
    let mut buf = TileBuf::new();
    let mut u = [T::zero(); TILE_ELEMENTS];
    let mut walk = Walk::new(input);
    // Every caller has validated the batch (pass 1 or a scan), so values are not re-checked.
    let load = Load {
        check: false,
        complement: loss.reads_complement(),
    };
    loop {
        match walk.next() {
            Step::Tile { sample, start, len } => {
                buf.load(input, (sample, start, len), load)?;
                let used = len * input.shape.classes();
                if let Some(part) = u.get_mut(..used) {
                    part.fill(T::zero());
                    loss.backward_with(coef, &buf.view(), part, workspace);
                }
                buf.write_gradient(input, sample, start, &u, grad)?;
            }
            Step::Done => return Ok(()),
            _ => {}
        }
    }
}

/// The loss value of `input` (one pass).
///
/// ```
/// use segloss::{engine, losses::CrossEntropy, Input, Shape, Target};
/// let logits = [2.0f64, 0.0, 0.0, 2.0]; // (B=1, C=2, 2 pixels)
/// let input = Input::new(&logits, Shape::new(1, 2, &[2])?, Target::labels(&[0u8, 0]))?;
/// let ce = engine::forward(&CrossEntropy::new(), &input, &mut [])?;
/// let expected = (-(2f64.exp() / (2f64.exp() + 1.0)).ln() - (1.0 / (1.0 + 2f64.exp())).ln()) / 2.0;
/// assert!((ce - expected).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
pub fn forward<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
) -> Result<f64, Error> {
    let mut stats = L::Stats::default();
    accumulate_fresh(loss, input, &mut stats, workspace)?;
    Ok(finalize(loss, &stats, workspace).value)
}

/// [`forward`] with the fused kernel run by `kernel`.
#[inline(always)]
pub fn forward_on<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
) -> Result<f64, Error> {
    let mut stats = L::Stats::default();
    accumulate_on(kernel, loss, input, &mut stats, workspace)?;
    Ok(loss.finalize(&stats, workspace).value)
}

/// The loss value of `input`, and its gradient written into `grad` (two passes).
///
/// Nothing is written into `grad` unless the whole call succeeds up to the write pass.
pub fn forward_backward<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
    grad: &mut [T],
) -> Result<f64, Error> {
    forward_backward_by(
        loss,
        input,
        workspace,
        grad,
        accumulate_fresh,
        backward_accepted,
    )
}

/// [`Loss::finalize`]; with `small`, a call of its own, so that its temporaries are not in
/// the frame of the caller while pass 1 runs.
#[cfg_attr(feature = "small", inline(never))]
fn finalize<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    stats: &L::Stats,
    workspace: &mut [T],
) -> Finalized<L::Coef> {
    loss.finalize(stats, workspace)
}

/// Both passes with the two given as functions: checks the gradient's length (nothing is
/// written into `grad` unless `pass1` succeeds), runs `pass1`, finalizes, runs `pass2` and
/// returns the value. [`forward_backward`] is this with [`accumulate`] and
/// [`backward_accepted`]; the std adapter passes its passes compiled per instruction set.
pub fn forward_backward_by<T: Real, L: Loss<T> + ?Sized>(
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
    grad: &mut [T],
    pass1: impl FnOnce(&L, &Input<'_, T>, &mut L::Stats, &mut [T]) -> Result<(), Error>,
    pass2: impl FnOnce(&L, &Input<'_, T>, &L::Coef, &[T], &mut [T]) -> Result<(), Error>,
) -> Result<f64, Error> {
    check_grad(input, grad)?;
    let mut stats = L::Stats::default();
    pass1(loss, input, &mut stats, workspace)?;
    let done = finalize(loss, &stats, workspace);
    pass2(loss, input, &done.coef, workspace, grad)?;
    Ok(done.value)
}

/// [`forward_backward`] with the fused kernel run by `kernel`.
#[inline(always)]
pub fn forward_backward_on<T: Real, L: Loss<T> + ?Sized, K: Kernel>(
    kernel: &K,
    loss: &L,
    input: &Input<'_, T>,
    workspace: &mut [T],
    grad: &mut [T],
) -> Result<f64, Error> {
    check_grad(input, grad)?;
    let mut stats = L::Stats::default();
    accumulate_on(kernel, loss, input, &mut stats, workspace)?;
    let done = loss.finalize(&stats, workspace);
    write_pass(kernel, loss, input, &done.coef, grad, workspace)?;
    Ok(done.value)
}

/// `L` through the tile pipeline only: every call the loss answers, except that it never
/// takes the fused kernel. The kernel's oracle in tests, and a way to compare the two.
///
/// ```
/// use segloss::{engine::{self, Tiled}, losses::Dice, Input, Shape, Target};
/// let logits = [1.0f64, -1.0, 0.0, 2.0, -2.0, 1.0];
/// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
/// let fused = engine::forward(&Dice::new(), &input, &mut [])?;
/// let tiled = engine::forward(&Tiled(Dice::new()), &input, &mut [])?;
/// assert!((fused - tiled).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tiled<L>(pub L);

impl<T: Real, L: Loss<T>> Loss<T> for Tiled<L> {
    type Stats = L::Stats;
    type Coef = L::Coef;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        self.0.check(input)
    }

    fn workspace_len(&self, shape: &Shape) -> usize {
        self.0.workspace_len(shape)
    }

    fn prepare(&self, input: &Input<'_, T>, workspace: &mut [T]) -> Result<(), Error> {
        self.0.prepare(input, workspace)
    }

    fn reads_complement(&self) -> bool {
        self.0.reads_complement()
    }

    #[inline(always)]
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut Self::Stats, workspace: &mut [T]) {
        self.0.accumulate(tile, stats, workspace)
    }

    fn finalize(&self, stats: &Self::Stats, workspace: &mut [T]) -> Finalized<Self::Coef> {
        self.0.finalize(stats, workspace)
    }

    fn scale(&self, coef: &mut Self::Coef, factor: f64) {
        self.0.scale(coef, factor)
    }

    #[inline(always)]
    fn backward(&self, coef: &Self::Coef, tile: &Tile<'_, T>, grad: &mut [T]) {
        self.0.backward(coef, tile, grad)
    }

    fn gradient_workspace_len(&self, shape: &Shape) -> usize {
        self.0.gradient_workspace_len(shape)
    }

    #[inline(always)]
    fn backward_with(
        &self,
        coef: &Self::Coef,
        tile: &Tile<'_, T>,
        grad: &mut [T],
        workspace: &[T],
    ) {
        self.0.backward_with(coef, tile, grad, workspace)
    }
}
