//! Tiles: a few pixels with all their classes, activated once and shared by every loss.

use crate::error::Buffer;
use crate::target::{IGNORED, OUT_OF_RANGE};
use crate::{Activation, Error, Input, Layout, Real, Shape, Target};

/// Elements (pixels × classes) one tile holds; a tile's pixel count is at most this over C
/// (32 with the `small` feature, `docs/edge.md`).
pub const TILE_ELEMENTS: usize = if cfg!(feature = "small") { 32 } else { 1024 };

/// The smallest dense target value that counts (`f32::MIN_POSITIVE`, 2⁻¹²⁶): below it a
/// soft target is 0 in both element types.
pub const SMALLEST_TARGET: f64 = f32::MIN_POSITIVE as f64;

/// The clamp PyTorch's `BCELoss` applies to logarithms of probabilities.
const LOG_FLOOR: f64 = -100.0;

/// What [`TileBuf::load`] does besides activating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Load {
    /// Check element values (finite, label range, probability range).
    pub(crate) check: bool,
    /// Compute `1 − s` under softmax (see [`Loss::reads_complement`](crate::Loss)).
    pub(crate) complement: bool,
}

impl Load {
    /// Checked, with every row computed.
    pub(crate) const CHECKED: Load = Load {
        check: true,
        complement: true,
    };
}

/// The activated pixels of one tile, class-major: element `(c, k)` sits at `c · len + k`.
pub(crate) struct TileBuf<T> {
    prob: [T; TILE_ELEMENTS],
    log_prob: [T; TILE_ELEMENTS],
    comp: [T; TILE_ELEMENTS],
    log_comp: [T; TILE_ELEMENTS],
    target: [T; TILE_ELEMENTS],
    valid: [T; TILE_ELEMENTS],
    labels: [i32; TILE_ELEMENTS],
    pixel_max: [T; TILE_ELEMENTS],
    pixel_sum: [T; TILE_ELEMENTS],
    pixel_rest: [T; TILE_ELEMENTS],
    pixel_ones: [T; TILE_ELEMENTS],
    len: usize,
    classes: usize,
    first_pixel: usize,
    sample: usize,
    shape: Shape,
    activation: Activation,
    dense: bool,
}

/// One class's row of a tile: per-pixel slices of equal length.
#[derive(Clone, Copy, Debug)]
pub struct ClassRow<'t, T> {
    /// The class index.
    pub class: usize,
    /// Probability `s` after the activation.
    pub prob: &'t [T],
    /// `ln s` (clamped at -100 under [`Activation::Identity`], as PyTorch's `BCELoss`).
    pub log_prob: &'t [T],
    /// `1 − s`; under a sigmoid computed as `σ(−z)`, exact for saturated logits.
    pub comp: &'t [T],
    /// `ln(1 − s)`, filled under [`Activation::Sigmoid`] only (zero otherwise).
    pub log_comp: &'t [T],
    /// Ground truth `g`, zero on ignored or masked pixels.
    pub target: &'t [T],
}

/// A read-only view of one activated tile, handed to every loss in both passes.
pub struct Tile<'t, T> {
    buf: &'t TileBuf<T>,
}

impl<'t, T: Real> Tile<'t, T> {
    /// Pixels in this tile.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.buf.len
    }

    /// True for a tile with no pixel (never handed to a loss).
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.buf.len == 0
    }

    /// Classes per pixel.
    #[inline(always)]
    pub fn classes(&self) -> usize {
        self.buf.classes
    }

    /// The index in the whole batch of the sample the tile belongs to (tiles never span
    /// samples); it counts from the [`Input::first_sample`] of a view.
    #[inline(always)]
    pub fn sample(&self) -> usize {
        self.buf.sample
    }

    /// The shape of the input being walked.
    #[inline(always)]
    pub fn shape(&self) -> Shape {
        self.buf.shape
    }

    /// Index of the tile's first pixel in the input's `(B, spatial…)` pixel order (the
    /// position in the input's own label, mask and per-pixel buffers).
    #[inline(always)]
    pub fn first_pixel(&self) -> usize {
        self.buf.first_pixel
    }

    /// Pixels in one sample.
    #[inline(always)]
    pub fn pixels_per_sample(&self) -> usize {
        self.buf.shape.pixels_per_sample()
    }

    /// The index of the tile's sample within the input being walked (0 for the first
    /// sample of a view), for indexing the input's own per-sample buffers.
    #[inline(always)]
    pub fn input_sample(&self) -> usize {
        self.buf.first_pixel / self.pixels_per_sample().max(1)
    }

    /// The index of the tile's first pixel within its sample.
    #[inline(always)]
    pub fn pixel_in_sample(&self) -> usize {
        self.buf.first_pixel % self.pixels_per_sample().max(1)
    }

    /// The activation that produced the probabilities.
    #[inline(always)]
    pub fn activation(&self) -> Activation {
        self.buf.activation
    }

    /// True when the target is a dense map (PyTorch then normalises CE by the pixel count).
    #[inline(always)]
    pub fn dense_target(&self) -> bool {
        self.buf.dense
    }

    /// 1 for a pixel that counts, 0 for an ignored or masked one.
    #[inline(always)]
    pub fn valid(&self) -> &'t [T] {
        self.buf.valid.get(..self.buf.len).unwrap_or(&[])
    }

    /// The rows of the tile, one per class, in class order.
    #[inline(always)]
    pub fn rows(&self) -> impl Iterator<Item = ClassRow<'t, T>> + 't {
        let b: &'t TileBuf<T> = self.buf;
        let len = b.len;
        (0..b.classes).map(move |class| ClassRow {
            class,
            prob: row(&b.prob, class, len),
            log_prob: row(&b.log_prob, class, len),
            comp: row(&b.comp, class, len),
            log_comp: row(&b.log_comp, class, len),
            target: row(&b.target, class, len),
        })
    }
}

/// Pixels a tile of `input` holds.
#[inline(always)]
pub(crate) fn tile_pixels<T>(input: &Input<'_, T>) -> usize {
    let fit = TILE_ELEMENTS / input.shape.classes().max(1);
    input.tile_pixels.min(fit).max(1)
}

#[inline(always)]
fn slice<X>(x: &[X], start: usize, len: usize) -> Result<&[X], Error> {
    start
        .checked_add(len)
        .and_then(|end| x.get(start..end))
        .ok_or(Error::ShapeOverflow)
}

impl<T: Real> TileBuf<T> {
    /// An empty tile buffer (lives on the caller's stack).
    #[inline(always)]
    pub(crate) fn new() -> Self {
        let z = T::zero();
        TileBuf {
            prob: [z; TILE_ELEMENTS],
            log_prob: [z; TILE_ELEMENTS],
            comp: [z; TILE_ELEMENTS],
            log_comp: [z; TILE_ELEMENTS],
            target: [z; TILE_ELEMENTS],
            valid: [z; TILE_ELEMENTS],
            labels: [0; TILE_ELEMENTS],
            pixel_max: [z; TILE_ELEMENTS],
            pixel_sum: [z; TILE_ELEMENTS],
            pixel_rest: [z; TILE_ELEMENTS],
            pixel_ones: [z; TILE_ELEMENTS],
            len: 0,
            classes: 0,
            first_pixel: 0,
            sample: 0,
            shape: Shape::UNIT,
            activation: Activation::Softmax,
            dense: false,
        }
    }

    /// The view losses see.
    #[inline(always)]
    pub(crate) fn view(&self) -> Tile<'_, T> {
        Tile { buf: self }
    }

    /// Loads, checks (if asked) and activates pixels `start..start + len` of sample
    /// `sample` (`at` is `(sample, start, len)`).
    #[inline(always)]
    pub(crate) fn load(
        &mut self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        how: Load,
    ) -> Result<(), Error> {
        let (sample, start, len) = at;
        let classes = input.shape.classes();
        let per_sample = input.shape.pixels_per_sample();
        let first_pixel = sample * per_sample + start;
        self.len = len;
        self.classes = classes;
        self.first_pixel = first_pixel;
        self.sample = input.first_sample + sample;
        self.shape = input.shape;
        self.activation = input.activation;
        self.dense = input.target.is_dense();
        let used = len * classes;

        // Raw prediction into `log_prob` (class-major), checked.
        gather(input, input.pred, sample, start, len, &mut self.log_prob)?;
        if how.check {
            let raw = self.log_prob.get(..used).unwrap_or(&[]);
            let unit = input.activation == Activation::Identity;
            check_values(input, Buffer::Prediction, raw, unit, at)?;
        }
        self.load_valid(input, first_pixel, len, how.check)?;
        self.load_target(input, at, how.check)?;
        self.activate(how.complement);
        Ok(())
    }

    /// Marks each pixel valid (1) or not (0) from the mask and the ignore index.
    #[inline(always)]
    fn load_valid(
        &mut self,
        input: &Input<'_, T>,
        first: usize,
        len: usize,
        check: bool,
    ) -> Result<(), Error> {
        let valid = self.valid.get_mut(..len).unwrap_or(&mut []);
        match input.mask {
            Some(mask) => {
                for (v, &m) in valid.iter_mut().zip(slice(mask, first, len)?) {
                    *v = if m { T::one() } else { T::zero() };
                }
            }
            None => valid.fill(T::one()),
        }
        if let Target::Labels {
            labels,
            ignore_index,
        } = input.target
        {
            let lab = self.labels.get_mut(..len).unwrap_or(&mut []);
            let binary = self.classes == 1;
            let limit = if binary { 2 } else { self.classes as i64 };
            let bad = labels
                .codes(first, lab, ignore_index, limit)
                .ok_or(Error::ShapeOverflow)?;
            // Branch-free: ignored pixels do not count.
            for (v, &code) in valid.iter_mut().zip(lab.iter()) {
                *v = if code == IGNORED { T::zero() } else { *v };
            }
            if check && bad {
                let k = lab.iter().position(|&c| c == OUT_OF_RANGE).unwrap_or(0);
                let index = first + k;
                let mut label = [0i64];
                labels.read(index, &mut label);
                let [label] = label;
                return Err(if binary {
                    Error::BinaryLabel { index, label }
                } else {
                    Error::LabelOutOfRange {
                        index,
                        label,
                        classes: self.classes,
                    }
                });
            }
        }
        Ok(())
    }

    /// Fills the class-major target `g`, zero on invalid pixels.
    #[inline(always)]
    fn load_target(
        &mut self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        check: bool,
    ) -> Result<(), Error> {
        let (sample, start, len) = at;
        let used = len * self.classes;
        match input.target {
            Target::Dense(map) => {
                gather(input, map, sample, start, len, &mut self.target)?;
                let g = self.target.get_mut(..used).unwrap_or(&mut []);
                if check {
                    check_values(input, Buffer::Target, g, true, at)?;
                }
                // Values below `f32`'s normal range count as 0, in `f32` and `f64` alike:
                // their products underflow in `f32` (findings F1, F15), and a log-form
                // loss would turn that into an O(1) difference between the two types.
                let tiny = T::of(SMALLEST_TARGET);
                for row in g.chunks_exact_mut(len.max(1)) {
                    for (x, &v) in row.iter_mut().zip(self.valid.iter()) {
                        *x = if *x < tiny { T::zero() } else { *x * v };
                    }
                }
            }
            Target::Labels { .. } => {
                // One-hot, branch-free, one class row at a time (binary: the label itself).
                let g = self.target.get_mut(..used).unwrap_or(&mut []);
                let binary = self.classes == 1;
                let labels = self.labels.get(..len).unwrap_or(&[]);
                for (c, row) in g.chunks_exact_mut(len.max(1)).enumerate() {
                    let hot = if binary { 1 } else { c as i32 };
                    for ((x, &l), &v) in row.iter_mut().zip(labels).zip(self.valid.iter()) {
                        *x = if l == hot { v } else { T::zero() };
                    }
                }
            }
        }
        Ok(())
    }

    /// Turns the raw prediction (in `log_prob`) into `prob`, `log_prob`, `comp`, `log_comp`
    /// (`comp` under softmax only with `complement`). The rows an activation does not
    /// compute keep the zeros of [`TileBuf::new`]: a buffer serves one pass of one input, so
    /// the activation never changes under it.
    #[inline(always)]
    fn activate(&mut self, complement: bool) {
        let len = self.len;
        let used = len * self.classes;
        let prob = self.prob.get_mut(..used).unwrap_or(&mut []);
        let logp = self.log_prob.get_mut(..used).unwrap_or(&mut []);
        let comp = self.comp.get_mut(..used).unwrap_or(&mut []);
        match self.activation {
            Activation::Softmax => {
                let mx = self.pixel_max.get_mut(..len).unwrap_or(&mut []);
                let sum = self.pixel_sum.get_mut(..len).unwrap_or(&mut []);
                let rest = self.pixel_rest.get_mut(..len).unwrap_or(&mut []);
                let ones = self.pixel_ones.get_mut(..len).unwrap_or(&mut []);
                let comp = if complement { Some(comp) } else { None };
                softmax_rows(logp, prob, comp, [mx, sum, rest, ones], len);
            }
            Activation::Sigmoid => {
                let logc = self.log_comp.get_mut(..used).unwrap_or(&mut []);
                for (((z, s), c), lc) in logp.iter_mut().zip(prob).zip(comp).zip(logc) {
                    let e = (-z.abs()).vexp();
                    let a = T::one() / (T::one() + e);
                    let b = e * a;
                    let l = e.vln_1p();
                    let pos = *z >= T::zero();
                    *s = if pos { a } else { b };
                    *c = if pos { b } else { a };
                    *lc = -(z.max(T::zero()) + l);
                    *z = -((-*z).max(T::zero()) + l);
                }
            }
            Activation::Identity => {
                let floor = T::of(LOG_FLOOR);
                for ((p, s), c) in logp.iter_mut().zip(prob).zip(comp) {
                    *s = *p;
                    *c = T::one() - *p;
                    *p = p.vln().max(floor);
                }
            }
        }
    }
}

/// Checks a tile's worth of prediction or target values: finite, and in `[0, 1]` when
/// `unit`. `at` is `(sample, first pixel, pixels)` of the tile, for the error's index.
#[inline(always)]
fn check_values<T: Real>(
    input: &Input<'_, T>,
    what: Buffer,
    x: &[T],
    unit: bool,
    at: (usize, usize, usize),
) -> Result<(), Error> {
    let (sample, start, len) = at;
    let index = |i: usize| element_index(input, sample, start, len, i);
    if !all_finite(x) {
        let i = x.iter().position(|v| !v.is_finite()).unwrap_or(0);
        return Err(Error::NonFinite {
            what,
            index: index(i),
        });
    }
    if unit && !all_unit(x) {
        let i = x
            .iter()
            .position(|&v| !(v >= T::zero() && v <= T::one()))
            .unwrap_or(0);
        return Err(Error::NotProbability {
            what,
            index: index(i),
        });
    }
    Ok(())
}

/// True when every element is finite (a branch-free fold the compiler vectorises; the
/// offending index is looked for only on failure).
#[inline(always)]
fn all_finite<T: Real>(x: &[T]) -> bool {
    x.iter()
        .fold(true, |ok, v| ok & (v.abs() <= T::max_value()))
}

/// True when every element lies in `[0, 1]` (NaN fails).
#[inline(always)]
fn all_unit<T: Real>(x: &[T]) -> bool {
    x.iter()
        .fold(true, |ok, &v| ok & (v >= T::zero()) & (v <= T::one()))
}

/// Stable softmax over classes, rows of `len` pixels: `z` in, `ln s` out in place, `s` in
/// `prob`, and, when asked, `1 − s` in `comp` computed without cancellation (for the largest
/// class as the sum of the others). `scratch` holds four per-pixel rows.
#[inline(always)]
fn softmax_rows<T: Real>(
    z: &mut [T],
    prob: &mut [T],
    comp: Option<&mut [T]>,
    scratch: [&mut [T]; 4],
    len: usize,
) {
    let [mx, sum, rest, ones] = scratch;
    let mut rows = z.chunks_exact(len.max(1));
    if let Some(first) = rows.next() {
        copy(mx, first);
    }
    for row in rows {
        for (m, &v) in mx.iter_mut().zip(row) {
            *m = m.max(v);
        }
    }
    sum.fill(T::zero());
    // `z − max`, floored at `−T::MAX`: the difference of two finite logits can overflow.
    // The largest class's `e` is exactly 1.
    let floor = -T::max_value();
    for (c, zr) in z.chunks_exact_mut(len.max(1)).enumerate() {
        let pr = row_mut(prob, c, len);
        for (((p, v), &m), s) in pr.iter_mut().zip(zr).zip(mx.iter()).zip(sum.iter_mut()) {
            *v = (*v - m).max(floor);
            *p = v.vexp_nonpositive();
            *s = *s + *p;
        }
    }
    other_classes(prob, [rest, ones], len);
    if let Some(comp) = comp {
        complement_rows(prob, comp, sum, rest, len);
    }
    // `mx` becomes `ln Σ e^(z − max) = ln(1 + rest)` (in `[0, ln C]`), from `rest` so that a
    // confident pixel keeps its tiny `−ln s` (`ln` of a `Σ e` rounded to 1 would give 0);
    // `sum` becomes `1 / Σ e`.
    for ((m, s), &r) in mx.iter_mut().zip(sum.iter_mut()).zip(rest.iter()) {
        *m = r.vln_1p();
        *s = T::one() / *s;
    }
    for (c, zr) in z.chunks_exact_mut(len.max(1)).enumerate() {
        let pr = row_mut(prob, c, len);
        for (((v, p), &lse), &inv) in zr.iter_mut().zip(pr).zip(mx.iter()).zip(sum.iter()) {
            *v = (*v - lse).max(floor);
            *p = *p * inv;
        }
    }
}

/// `Σ e − 1` per pixel from the unnormalised `e = prob` (whose largest is exactly 1),
/// without cancellation: the sum of the other classes' `e` (ties at the largest count once
/// less). Written into the first scratch row; the second is workspace.
#[inline(always)]
fn other_classes<T: Real>(prob: &[T], scratch: [&mut [T]; 2], len: usize) {
    let [rest, ones] = scratch;
    rest.fill(T::zero());
    ones.fill(T::zero());
    for pr in prob.chunks_exact(len.max(1)) {
        for ((&p, r), o) in pr.iter().zip(rest.iter_mut()).zip(ones.iter_mut()) {
            let top = p >= T::one();
            *r = *r + if top { T::zero() } else { p };
            *o = *o + if top { T::one() } else { T::zero() };
        }
    }
    for (r, &o) in rest.iter_mut().zip(ones.iter()) {
        *r = *r + (o - T::one());
    }
}

/// `1 − s = (Σ e − e_c) / Σ e` from the unnormalised `e = prob`, their sum and
/// [`other_classes`]; for the largest class (`e = 1`) the numerator is `rest`, without
/// cancellation.
#[inline(always)]
fn complement_rows<T: Real>(prob: &[T], comp: &mut [T], sum: &[T], rest: &[T], len: usize) {
    for (c, cr) in comp.chunks_exact_mut(len.max(1)).enumerate() {
        let pr = prob.get(c * len..(c + 1) * len).unwrap_or(&[]);
        let items = cr.iter_mut().zip(pr).zip(sum.iter()).zip(rest.iter());
        for (((c, &e), &s), &r) in items {
            *c = if e >= T::one() { r } else { s - e } / s;
        }
    }
}

/// Row `c` of a class-major buffer of rows of `len` elements (empty past its end). Used
/// instead of `chunks_exact`, whose non-zero-size assert, or the division by the row length
/// when two of its iterators are zipped, LLVM does not always prove away (a panic path).
#[inline(always)]
fn row<T>(x: &[T], c: usize, len: usize) -> &[T] {
    x.get(c * len..(c + 1) * len).unwrap_or(&[])
}

/// Row `c` of `len` elements of `x`, writable (empty if out of range).
#[inline(always)]
fn row_mut<T>(x: &mut [T], c: usize, len: usize) -> &mut [T] {
    x.get_mut(c * len..(c + 1) * len).unwrap_or(&mut [])
}

/// Copies the common length of `src` into `dst` (no length check to fail).
#[inline(always)]
fn copy<T: Copy>(dst: &mut [T], src: &[T]) {
    for (d, &x) in dst.iter_mut().zip(src) {
        *d = x;
    }
}

/// Copies pixels `start..start+len` of `sample` from a prediction-shaped buffer, class-major.
#[inline(always)]
fn gather<T: Real>(
    input: &Input<'_, T>,
    src: &[T],
    sample: usize,
    start: usize,
    len: usize,
    dst: &mut [T; TILE_ELEMENTS],
) -> Result<(), Error> {
    let classes = input.shape.classes();
    let per_sample = input.shape.pixels_per_sample();
    let dst = dst.get_mut(..len * classes).unwrap_or(&mut []);
    match input.layout {
        Layout::ChannelFirst => {
            for (c, row) in dst.chunks_exact_mut(len.max(1)).enumerate() {
                copy(
                    row,
                    slice(src, (sample * classes + c) * per_sample + start, len)?,
                );
            }
        }
        Layout::ChannelLast => {
            let block = slice(src, (sample * per_sample + start) * classes, len * classes)?;
            for (c, row) in dst.chunks_exact_mut(len.max(1)).enumerate() {
                for (d, px) in row.iter_mut().zip(block.chunks_exact(classes.max(1))) {
                    *d = px.get(c).copied().unwrap_or_default();
                }
            }
        }
    }
    Ok(())
}

/// The flat index in a prediction-shaped buffer of tile element `i` (class-major).
fn element_index<T>(
    input: &Input<'_, T>,
    sample: usize,
    start: usize,
    len: usize,
    i: usize,
) -> usize {
    let classes = input.shape.classes();
    let per_sample = input.shape.pixels_per_sample();
    let (c, k) = (i / len.max(1), i % len.max(1));
    match input.layout {
        Layout::ChannelFirst => (sample * classes + c) * per_sample + start + k,
        Layout::ChannelLast => (sample * per_sample + start + k) * classes + c,
    }
}

impl<T: Real> TileBuf<T> {
    /// Turns the losses' summed per-element gradients `u` into `∂L/∂prediction` and writes
    /// them into the tile's place in `grad`.
    ///
    /// Under softmax `u` is `s · ∂L/∂s` and the Jacobian is applied here
    /// (`∂L/∂z_c = u_c − s_c Σ_j u_j`); under a sigmoid it already is `∂L/∂z`; without an
    /// activation it is `∂L/∂p`.
    #[inline(always)]
    pub(crate) fn write_gradient(
        &mut self,
        input: &Input<'_, T>,
        sample: usize,
        start: usize,
        u: &[T; TILE_ELEMENTS],
        grad: &mut [T],
    ) -> Result<(), Error> {
        let len = self.len;
        let classes = self.classes;
        let used = len * classes;
        let u = u.get(..used).unwrap_or(&[]);
        let prob = self.prob.get(..used).unwrap_or(&[]);
        // Under softmax `∂L/∂z_c = u_c − s_c · Σ_j u_j`; otherwise `u` as it is (a zero `s`
        // row and a zero dot make the same expression the identity).
        let softmax = self.activation == Activation::Softmax;
        let dot = self.pixel_sum.get_mut(..len).unwrap_or(&mut []);
        dot.fill(T::zero());
        if softmax {
            for row in u.chunks_exact(len.max(1)) {
                for (d, &x) in dot.iter_mut().zip(row) {
                    *d = *d + x;
                }
            }
        }
        let dot: &[T] = dot;
        let per_sample = input.shape.pixels_per_sample();
        let rows = u
            .chunks_exact(len.max(1))
            .zip(prob.chunks_exact(len.max(1)))
            .enumerate();
        match input.layout {
            Layout::ChannelFirst => {
                for (c, (row, p)) in rows {
                    let at = (sample * classes + c) * per_sample + start;
                    let dst = at
                        .checked_add(len)
                        .and_then(|end| grad.get_mut(at..end))
                        .ok_or(Error::ShapeOverflow)?;
                    if softmax {
                        for (((o, &x), &s), &d) in dst.iter_mut().zip(row).zip(p).zip(dot) {
                            *o = x - s * d;
                        }
                    } else {
                        copy(dst, row);
                    }
                }
            }
            Layout::ChannelLast => {
                let at = (sample * per_sample + start) * classes;
                let block = at
                    .checked_add(used)
                    .and_then(|end| grad.get_mut(at..end))
                    .ok_or(Error::ShapeOverflow)?;
                for (c, (row, p)) in rows {
                    let items = block
                        .chunks_exact_mut(classes.max(1))
                        .zip(row)
                        .zip(p)
                        .zip(dot);
                    for (((px, &x), &s), &d) in items {
                        if let Some(o) = px.get_mut(c) {
                            *o = x - s * d;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
