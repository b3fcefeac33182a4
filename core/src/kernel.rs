//! The fused softmax-over-labels kernel: both passes of a loss that is a function of
//! per-class sums, computed sixteen pixels at a time in registers instead of through tiles.
//!
//! Most training runs feed channel-first logits, a softmax and integer labels to Dice + CE,
//! Dice, CE, IoU, Tversky or generalised Dice (without squared predictions). All of them
//! read, per class `c` of a reduction block, only
//!
//! - `tp_c = Σ s_c·[y = c]`, `sum_s_c = Σ s_c`, `count_c = Σ [y = c]` over valid pixels
//!   ([`LabelSums`]), and
//! - `nll_c = Σ −ln s_c·[y = c]` (the cross entropy of the pixels labelled `c`),
//!
//! and write a gradient that is, in the softmax's input space,
//! `u_c = s_c·(a_c·[y = c] + b_c)·valid + k_c·[y = c]`, `∂L/∂z_c = u_c − s_c·Σ_j u_j`
//! ([`LabelGradient`]). The focal loss with `γ = 2` (MONAI's default) fits too, with one
//! per-pixel term at the labelled class that a loss asks for through [`LabelTerms`]: its
//! sum `−(1 − s_y)²·ln s_y` per class in pass 1, and `f_y·(2q·s_y·ln s_y − q²)` added to
//! `u_y` in pass 2 (`q = 1 − s_y`, taken from the other classes' sum where `y` is the
//! largest class). A loss that has this form says so ([`Loss::fused_labels`]) and
//! converts: [`Loss::add_label_sums`] turns a block's sums into its statistics and
//! [`Loss::label_gradient`] its finalized coefficients into `(a, b, k)`. The engine then
//! runs such inputs here whenever [`fits`] holds, and through the tile pipeline otherwise;
//! the tile pipeline stays the general path and this kernel's oracle
//! ([`Tiled`](crate::engine::Tiled) forces it).
//!
//! Per group of [`WIDTH`] pixels, pass 1 loads the `C` logit vectors, takes the stable
//! softmax (with `ln Σe` from the sum of the other classes, as the tile path does for
//! finding F13), and adds into per-lane accumulators: `T` for the bounded sums, flushed into
//! `f64` every [`SEGMENT`] pixels (the cross entropy scaled by `2⁻⁷` so that no lane can
//! overflow). Pass 2 recomputes the softmax and writes the gradient. Nothing else touches
//! memory: 1.7× the tile pipeline on Dice+CE (`docs/design.md`).
//!
//! The kernel checks what pass 1 of the tile path checks (finite logits, labels in range);
//! when a check fails it reports failure and the engine reruns the tile path, which finds
//! and reports the error as before.
//!
//! ```
//! use segloss::{engine, losses::DiceCe, Input, Shape, Target};
//! let logits = [0.3f32, -1.0, 2.0, 0.5, 1.5, 0.0, -0.5, 0.2, -2.0, 1.0, 0.0, 0.7];
//! let input = Input::new(&logits, Shape::new(1, 3, &[4])?, Target::labels(&[0u8, 1, 2, 1]))?;
//! assert!(segloss::kernel::fits(&input));
//! let (mut fused, mut tiled) = ([0.0f32; 12], [0.0f32; 12]);
//! let a = engine::forward_backward(&DiceCe::new(), &input, &mut [], &mut fused)?;
//! let b = engine::forward_backward(&engine::Tiled(DiceCe::new()), &input, &mut [], &mut tiled)?;
//! assert!((a - b).abs() < 1e-6);
//! assert!(fused.iter().zip(&tiled).all(|(x, y)| (x - y).abs() < 1e-6));
//! # Ok::<(), segloss::Error>(())
//! ```

use crate::target::IGNORED;

/// The class code [`class_codes`] gives an ignored (or masked-out) pixel.
pub const IGNORED_CODE: i32 = IGNORED;
use crate::{Activation, Input, Layout, Real, Shape, Target};

/// The most classes the kernel takes (it is compiled for each count from 2 to this).
pub const MAX_KERNEL_CLASSES: usize = 8;

/// Pixels the kernel handles at once: one AVX-512 register of `f32` per class.
pub const WIDTH: usize = 16;

/// Pixels whose labels are decoded at once and whose `T` sums are flushed into `f64`: 64
/// terms per lane, as many as a lane of the tile path's confusion sums takes.
pub const SEGMENT: usize = 1024;

/// The power of two the per-pixel cross entropies are scaled by in the `T` lanes: a term is
/// at most `T::MAX` (logits that far apart), so `SEGMENT / WIDTH` scaled terms cannot
/// overflow a lane; the scale is exact and undone in `f64`.
pub const NLL_SCALE: f64 = 1.0 / 128.0;

/// What a loss asks of the kernel beyond the sums every fused loss gets: per-pixel terms
/// that are not functions of per-class sums. A compound asks for the union of its
/// members' terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LabelTerms {
    /// The focal term with `γ = 2` at each pixel's labelled class: pass 1 fills
    /// [`LabelSums::focal`], and pass 2 adds [`LabelGradient::focal`]'s term.
    pub focal: bool,
}

impl LabelTerms {
    /// The terms either side asks for.
    pub fn union(self, other: LabelTerms) -> LabelTerms {
        LabelTerms {
            focal: self.focal | other.focal,
        }
    }
}

/// One reduction block's sums, per class (entries past `classes` stay 0).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LabelSums {
    /// `Σ s_c·[y = c]` over valid pixels.
    pub tp: [f64; MAX_KERNEL_CLASSES],
    /// `Σ s_c` over valid pixels.
    pub sum_s: [f64; MAX_KERNEL_CLASSES],
    /// Valid pixels labelled `c` (`Σ g_c`).
    pub count: [f64; MAX_KERNEL_CLASSES],
    /// `Σ −ln s_c·[y = c]`: the cross entropy of the pixels labelled `c`.
    pub nll: [f64; MAX_KERNEL_CLASSES],
    /// `Σ −(1 − s_c)²·ln s_c·[y = c]`: the focal term (`γ = 2`) of the pixels labelled `c`
    /// (0 unless [`LabelTerms::focal`] was asked for).
    pub focal: [f64; MAX_KERNEL_CLASSES],
}

impl LabelSums {
    /// Valid pixels (every valid pixel carries exactly one label).
    pub fn pixels(&self) -> f64 {
        self.count.iter().sum()
    }
}

/// One reduction block as a loss receives it in [`Loss::add_label_sums`].
#[derive(Clone, Copy, Debug)]
pub struct LabelBlock {
    /// The block's sums.
    pub sums: LabelSums,
    /// The index in the whole batch of the block's sample (as [`Tile::sample`]).
    ///
    /// [`Tile::sample`]: crate::Tile::sample
    pub sample: usize,
    /// The shape of the input being walked.
    pub shape: Shape,
}

/// The gradient of a sample as `(a, b, k)` per class: `u_c = s_c·(a_c·[y = c] + b_c)` on
/// valid pixels `+ k_c·[y = c]`. Losses add into it, so a compound's is the sum of its
/// members'.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LabelGradient {
    /// `∂L/∂s_c` per labelled pixel of class `c` (besides `b_c`).
    pub a: [f64; MAX_KERNEL_CLASSES],
    /// `∂L/∂s_c` per valid pixel.
    pub b: [f64; MAX_KERNEL_CLASSES],
    /// `s_c·∂L/∂s_c` per pixel labelled `c` that does not scale with `s_c` (the cross
    /// entropy's `−w_c / D`).
    pub k: [f64; MAX_KERNEL_CLASSES],
    /// The factor of the focal term's `s_c·∂/∂s_c`, `2q·s_c·ln s_c − q²` with
    /// `q = 1 − s_c`, per pixel labelled `c` (the focal loss's weight over its divisor).
    /// Pass 2 computes the term only when some factor is not 0.
    pub focal: [f64; MAX_KERNEL_CLASSES],
}

impl LabelGradient {
    /// True when every coefficient is finite and small enough that no gradient term can
    /// pass [`Real::GRAD_LIMIT`] in `T` (otherwise the tile path maps it in `f64`).
    pub fn fits<T: Real>(&self) -> bool {
        let limit = T::GRAD_LIMIT / 8.0;
        let all = self.a.iter().chain(&self.b).chain(&self.k);
        // The focal term's factor multiplies a per-pixel term of magnitude at most 3.
        let focal = self.focal.iter().map(|f| f * 4.0);
        all.copied()
            .chain(focal)
            .fold(true, |ok, x| ok & (x.abs() <= limit))
    }

    /// True when pass 2 computes the focal term (some factor is not 0).
    pub fn has_focal(&self) -> bool {
        self.focal.iter().any(|&f| f != 0.0)
    }
}

/// True when the kernel can run `input`: channel-first logits under a softmax, integer
/// labels, 2 to [`MAX_KERNEL_CLASSES`] classes and at least one pixel per sample. Always
/// false with the `small` feature: the tile path alone is a fraction of the flash.
pub fn fits<T>(input: &Input<'_, T>) -> bool {
    let classes = input.shape.classes();
    !cfg!(feature = "small")
        && input.activation == Activation::Softmax
        && input.layout == Layout::ChannelFirst
        && matches!(input.target, Target::Labels { .. })
        && (2..=MAX_KERNEL_CLASSES).contains(&classes)
        && input.shape.pixels_per_sample() > 0
}

/// Runs the kernel's two passes, at the build's instruction set ([`Baseline`]) or, in the
/// std adapter, at the processor's best.
pub trait Kernel {
    /// Pass 1 over pixels `start..start + len` of sample `sample` of `input` (`at`): adds the
    /// sums, and those of `terms`, into `sums`. False when a logit is not finite, a label is
    /// out of range or the range lies outside the buffers (the caller then runs the tile
    /// path).
    fn sums<T: Real>(
        &self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        terms: LabelTerms,
        sums: &mut LabelSums,
    ) -> bool;

    /// Pass 2: writes `∂L/∂z` of the `len` pixels `at` into `dst`, class-major (class
    /// `c`'s at `c · len`: for a whole sample, the sample's part of the gradient). False
    /// when a range lies outside the buffers.
    fn write<T: Real>(
        &self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        coef: &LabelGradient,
        dst: &mut [T],
    ) -> bool;
}

/// The kernel compiled for the build's baseline instruction set.
#[derive(Clone, Copy, Debug, Default)]
pub struct Baseline;

impl Kernel for Baseline {
    fn sums<T: Real>(
        &self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        terms: LabelTerms,
        sums: &mut LabelSums,
    ) -> bool {
        accumulate(input, at, terms, sums)
    }

    fn write<T: Real>(
        &self,
        input: &Input<'_, T>,
        at: (usize, usize, usize),
        coef: &LabelGradient,
        dst: &mut [T],
    ) -> bool {
        write(input, at, coef, dst)
    }
}

/// Calls `$f::<$t, C>($args)` for a class count `C` from 2 to [`MAX_KERNEL_CLASSES`]
/// (false for other counts): how a kernel reaches its instantiation for a class count.
///
/// ```
/// fn is<T, const C: usize>(x: usize) -> bool {
///     C == x
/// }
/// assert!(segloss::by_classes!(5, is, f32, (5)));
/// assert!(!segloss::by_classes!(9, is, f32, (9)));
/// ```
///
/// [`MAX_KERNEL_CLASSES`]: crate::kernel::MAX_KERNEL_CLASSES
#[macro_export]
macro_rules! by_classes {
    ($classes:expr, $f:ident, $t:ty, ($($arg:expr),*)) => {
        match $classes {
            2 => $f::<$t, 2>($($arg),*),
            3 => $f::<$t, 3>($($arg),*),
            4 => $f::<$t, 4>($($arg),*),
            5 => $f::<$t, 5>($($arg),*),
            6 => $f::<$t, 6>($($arg),*),
            7 => $f::<$t, 7>($($arg),*),
            8 => $f::<$t, 8>($($arg),*),
            _ => false,
        }
    };
    // The same with one more const argument after the class count.
    ($classes:expr, $f:ident, $t:ty, [$flag:expr], ($($arg:expr),*)) => {
        match $classes {
            2 => $f::<$t, 2, { $flag }>($($arg),*),
            3 => $f::<$t, 3, { $flag }>($($arg),*),
            4 => $f::<$t, 4, { $flag }>($($arg),*),
            5 => $f::<$t, 5, { $flag }>($($arg),*),
            6 => $f::<$t, 6, { $flag }>($($arg),*),
            7 => $f::<$t, 7, { $flag }>($($arg),*),
            8 => $f::<$t, 8, { $flag }>($($arg),*),
            _ => false,
        }
    };
}

/// Pass 1 of the kernel (see [`Kernel::sums`]), inlined into its caller so that an
/// instruction-set wrapper compiles it for its level.
#[inline(always)]
pub fn accumulate<T: Real>(
    input: &Input<'_, T>,
    at: (usize, usize, usize),
    terms: LabelTerms,
    sums: &mut LabelSums,
) -> bool {
    let classes = input.shape.classes();
    if terms.focal {
        by_classes!(classes, accumulate_for, T, [true], (input, at, sums))
    } else {
        by_classes!(classes, accumulate_for, T, [false], (input, at, sums))
    }
}

/// Pass 2 of the kernel (see [`Kernel::write`]), inlined like [`accumulate`].
#[inline(always)]
pub fn write<T: Real>(
    input: &Input<'_, T>,
    at: (usize, usize, usize),
    coef: &LabelGradient,
    dst: &mut [T],
) -> bool {
    let classes = input.shape.classes();
    if coef.has_focal() {
        by_classes!(classes, write_for, T, [true], (input, at, coef, dst))
    } else {
        by_classes!(classes, write_for, T, [false], (input, at, coef, dst))
    }
}

/// The `C` class rows of logits of the pixels `at` (`(sample, start, len)`) of a
/// channel-first `pred` with `per_sample` pixels per sample, or `None` outside the buffer.
#[inline(always)]
pub fn class_rows<T, const C: usize>(
    pred: &[T],
    per_sample: usize,
    at: (usize, usize, usize),
) -> Option<[&[T]; C]> {
    let (sample, start, len) = at;
    let mut out: [&[T]; C] = [&[]; C];
    for (c, row) in out.iter_mut().enumerate() {
        let from = (sample * C + c)
            .checked_mul(per_sample)?
            .checked_add(start)?;
        *row = pred.get(from..from.checked_add(len)?)?;
    }
    Some(out)
}

/// The class codes of `out.len()` pixels from pixel `first` of the input (labels, ignore
/// index and mask): `0..C`, or [`IGNORED`]. `None` when a label is out of range or the
/// range lies outside the buffers.
#[inline(always)]
pub fn class_codes<T>(
    input: &Input<'_, T>,
    first: usize,
    out: &mut [i32],
    classes: usize,
) -> Option<()> {
    let Target::Labels {
        labels,
        ignore_index,
    } = input.target
    else {
        return None;
    };
    if labels.codes(first, out, ignore_index, classes as i64)? {
        return None;
    }
    if let Some(mask) = input.mask {
        let mask = mask.get(first..first.checked_add(out.len())?)?;
        for (c, &m) in out.iter_mut().zip(mask) {
            *c = if m { *c } else { IGNORED };
        }
    }
    Some(())
}

/// One group's logits (`[class][lane]`) and class codes, borrowed from the input (or from
/// a padded copy for a segment's last, partial group).
struct Group<'a, T, const C: usize> {
    z: [&'a [T; WIDTH]; C],
    code: &'a [i32; WIDTH],
}

/// Pixels `from..from + WIDTH` of `src`, when they are all there.
#[inline(always)]
fn whole<X>(src: &[X], from: usize) -> Option<&[X; WIDTH]> {
    let end = from.checked_add(WIDTH)?;
    <&[X; WIDTH]>::try_from(src.get(from..end)?).ok()
}

/// Runs `$body` for each segment ([`SEGMENT`] pixels) of the `len` pixels from pixel
/// `first` of the input (`$at` is `(first, len)`; `$rows` are their `C` logit rows):
/// `$seg_rows` bound to the segment's part of the rows, `$codes` to its class codes
/// ([`class_codes`]), `$n` to its pixels and `$done` to its offset. Returns false from the
/// enclosing function when a label is out of range or a range lies outside the buffers.
///
/// A macro, not a function taking a closure: a closure would compile outside the caller's
/// `#[target_feature]` level. The core's kernel and the std adapter's intrinsics both walk
/// their pixels with it.
///
/// [`SEGMENT`]: crate::kernel::SEGMENT
/// [`class_codes`]: crate::kernel::class_codes
#[macro_export]
macro_rules! for_segments {
    ($input:expr, $rows:expr, $at:expr, $c:expr, |$seg_rows:ident, $codes:ident, $n:ident, $done:ident| $body:block) => {{
        let (first, len) = $at;
        let mut code = [0i32; $crate::kernel::SEGMENT];
        let mut $done = 0;
        while $done < len {
            let $n = $crate::kernel::SEGMENT.min(len - $done);
            let Some($codes) = code.get_mut(..$n) else {
                return false;
            };
            if $crate::kernel::class_codes($input, first + $done, $codes, $c).is_none() {
                return false;
            }
            let $seg_rows = $rows.map(|r| r.get($done..$done + $n).unwrap_or(&[]));
            $body
            $done += $n;
        }
    }};
}

/// Runs `$body` with `$g` bound to each group of the `$n` pixels of a segment (`$rows` and
/// `$codes` hold at least `$n`), `$from` to its first pixel and `$count` to its pixels:
/// whole groups straight from the rows, which the compiler loads as vectors, and the last
/// partial one padded with ignored pixels of logit 0. A macro, not a closure: a closure
/// would compile outside the caller's `#[target_feature]` level.
macro_rules! for_groups {
    ($t:ty, $c:expr, $rows:expr, $codes:expr, $n:expr, |$g:ident, $from:ident, $count:ident| $body:block) => {{
        let zero = [<$t>::zero(); WIDTH];
        let mut next = 0;
        'whole: while next + WIDTH <= $n {
            let mut z = [&zero; $c];
            for (dst, row) in z.iter_mut().zip($rows) {
                match whole(row, next) {
                    Some(x) => *dst = x,
                    None => break 'whole,
                }
            }
            let Some(code) = whole($codes, next) else {
                break;
            };
            let $g = Group { z, code };
            let ($from, $count) = (next, WIDTH);
            $body
            next += WIDTH;
        }
        if next < $n {
            let mut z = [zero; $c];
            let mut code = [IGNORED; WIDTH];
            for (dst, row) in z.iter_mut().zip($rows) {
                for (d, &x) in dst.iter_mut().zip(row.get(next..$n).unwrap_or(&[])) {
                    *d = x;
                }
            }
            for (d, &x) in code.iter_mut().zip($codes.get(next..$n).unwrap_or(&[])) {
                *d = x;
            }
            let $g = Group { z: z.each_ref(), code: &code };
            let ($from, $count) = (next, $n - next);
            $body
        }
    }};
}

/// A group's softmax: `s` per class and lane (0 where the pixel is ignored), (with `LOG`)
/// the labelled class's cross entropy `−ln s_y` per lane, and (with `FOCAL`) its `s_y` and
/// `q_y = 1 − s_y`.
struct Softmax<T, const C: usize> {
    s: [[T; WIDTH]; C],
    ce: [T; WIDTH],
    s_label: [T; WIDTH],
    q_label: [T; WIDTH],
}

/// The larger of `a` and `b` as one compare-and-select (one `maxps`), without `max`'s NaN
/// handling: a NaN logit fails the group's finiteness check, which discards the results.
#[inline(always)]
fn larger<T: Real>(a: T, b: T) -> T {
    if b > a {
        b
    } else {
        a
    }
}

/// The stable softmax of a group, as the tile path takes it: the largest class's `e` is
/// exactly 1 and `ln Σ e` comes from the sum of the others, so a confident pixel keeps its tiny
/// `−ln s` in `f32` (finding F13).
///
/// `LOG` asks for `ce` (pass 1): `ln Σ e^d − d_y` with `d = z − max` (floored at
/// `−T::MAX`) and `y` the lane's label. Without it (pass 2) `ce` stays 0 and the work for it
/// is not compiled, which LLVM does not always find out for itself.
///
/// `FOCAL` (with `LOG`) asks for `s_y` and `q_y`: `q_y` is `Σ_{j≠y} e_j / Σe` from the sum
/// of the other classes when `y` is the largest class (where `1 − s_y` would cancel), else
/// `1 − s_y` (then `s_y ≤ 1/2`, and the subtraction is exact to a rounding).
#[inline(always)]
fn softmax<T: Real, const C: usize, const LOG: bool, const FOCAL: bool>(
    z: &[&[T; WIDTH]; C],
    code: &[i32; WIDTH],
) -> Softmax<T, C> {
    let floor = -T::max_value();
    let mut classes = z.iter();
    let mut m = classes.next().map_or([T::zero(); WIDTH], |&x| *x);
    for row in classes {
        for (m, &v) in m.iter_mut().zip(*row) {
            *m = larger(*m, v);
        }
    }
    let mut e = [[T::zero(); WIDTH]; C];
    let mut sum = [T::zero(); WIDTH];
    let mut rest = [T::zero(); WIDTH];
    let mut ones = [T::zero(); WIDTH];
    let mut d_label = [T::zero(); WIDTH];
    let mut e_label = [T::zero(); WIDTH];
    for (c, (er, &zr)) in e.iter_mut().zip(z).enumerate() {
        let label = c as i32;
        let lanes = er.iter_mut().zip(zr).zip(&m).zip(code);
        let totals = sum
            .iter_mut()
            .zip(rest.iter_mut())
            .zip(ones.iter_mut())
            .zip(d_label.iter_mut().zip(e_label.iter_mut()));
        for ((((ek, &zk), &mk), &ck), (((sk, rk), ok), (dk, el))) in lanes.zip(totals) {
            let d = larger(zk - mk, floor);
            *ek = d.vexp_softmax();
            *sk = *sk + *ek;
            if LOG {
                let top = *ek >= T::one();
                *rk = *rk + if top { T::zero() } else { *ek };
                *ok = *ok + if top { T::one() } else { T::zero() };
                *dk = *dk + if ck == label { d } else { T::zero() };
            }
            if FOCAL {
                *el = *el + if ck == label { *ek } else { T::zero() };
            }
        }
    }
    // `ln Σe = ln(1 + x)` with `x = rest + ones − 1` the sum of the other classes: from
    // the rounded `u = Σe`, `ln u + (x − (u − 1)) / u` (exact when `u` rounds to 1).
    let mut inv = [T::zero(); WIDTH];
    let mut ce = [T::zero(); WIDTH];
    let mut s_label = [T::zero(); WIDTH];
    let mut q_label = [T::zero(); WIDTH];
    let lanes = (inv.iter_mut().zip(ce.iter_mut()))
        .zip(s_label.iter_mut().zip(q_label.iter_mut()))
        .zip(code);
    let totals = sum
        .iter()
        .zip(&rest)
        .zip(&ones)
        .zip(d_label.iter().zip(&e_label));
    for ((((i, ce), (sy, qy)), &ck), (((&u, &r), &o), (&dy, &ey))) in lanes.zip(totals) {
        let inv = T::one() / u;
        if LOG {
            let x = r + (o - T::one());
            let lse = u.vln() + (x - (u - T::one())) * inv;
            *ce = -larger(dy - lse, floor);
            if FOCAL {
                *sy = ey * inv;
                *qy = if ey >= T::one() {
                    x * inv
                } else {
                    T::one() - *sy
                };
            }
        }
        *i = if ck != IGNORED { inv } else { T::zero() };
    }
    let mut s = e;
    for row in s.iter_mut() {
        for (x, &i) in row.iter_mut().zip(&inv) {
            *x = *x * i;
        }
    }
    Softmax {
        s,
        ce,
        s_label,
        q_label,
    }
}

/// Per-lane `T` sums of a segment, flushed into `f64` at its end (the cross entropy and
/// the focal term scaled by [`NLL_SCALE`]; the focal term only with `FOCAL`).
struct Lanes<T, const C: usize, const FOCAL: bool> {
    tp: [[T; WIDTH]; C],
    sum_s: [[T; WIDTH]; C],
    nll: [[T; WIDTH]; C],
    focal: [[T; WIDTH]; C],
    check: [T; WIDTH],
}

impl<T: Real, const C: usize, const FOCAL: bool> Lanes<T, C, FOCAL> {
    #[inline(always)]
    fn new() -> Self {
        Lanes {
            tp: [[T::zero(); WIDTH]; C],
            sum_s: [[T::zero(); WIDTH]; C],
            nll: [[T::zero(); WIDTH]; C],
            focal: [[T::zero(); WIDTH]; C],
            check: [T::zero(); WIDTH],
        }
    }

    /// Adds a group.
    #[inline(always)]
    fn add(&mut self, g: &Group<'_, T, C>) {
        // `x · 0` is 0 for a finite `x` and NaN otherwise, so a lane stays 0 while every
        // pixel's sum of logits is finite. The sum can overflow for finite logits near
        // `T::MAX`; the caller then takes the tile path, which checks element by element.
        let mut total = [T::zero(); WIDTH];
        for &row in &g.z {
            for (t, &v) in total.iter_mut().zip(row) {
                *t = *t + v;
            }
        }
        for (c, &t) in self.check.iter_mut().zip(&total) {
            *c = *c + t * T::zero();
        }
        let sm = softmax::<T, C, true, FOCAL>(&g.z, g.code);
        let scale = T::of(NLL_SCALE);
        if FOCAL {
            // `(1 − s_y)²·(−ln s_y)`, scaled as the cross entropy (its factor is at most 1).
            let mut term = [T::zero(); WIDTH];
            for ((t, &q), &ce) in term.iter_mut().zip(&sm.q_label).zip(&sm.ce) {
                *t = (q * q) * (ce * scale);
            }
            for (c, acc) in self.focal.iter_mut().enumerate() {
                let label = c as i32;
                for ((a, &t), &code) in acc.iter_mut().zip(&term).zip(g.code) {
                    *a = *a + if code == label { t } else { T::zero() };
                }
            }
        }
        let classes =
            (self.tp.iter_mut().zip(self.sum_s.iter_mut())).zip(self.nll.iter_mut().zip(&sm.s));
        for (c, ((tp, sum_s), (nll, s))) in classes.enumerate() {
            let label = c as i32;
            let lanes = (tp.iter_mut().zip(sum_s.iter_mut()))
                .zip(nll.iter_mut().zip(s))
                .zip(g.code.iter().zip(&sm.ce));
            for (((tp, sum_s), (nll, &s)), (&code, &ce)) in lanes {
                let hot = code == label;
                *sum_s = *sum_s + s;
                *tp = *tp + if hot { s } else { T::zero() };
                *nll = *nll + if hot { ce * scale } else { T::zero() };
            }
        }
    }

    /// True when every logit added so far was finite.
    #[inline(always)]
    fn finite(&self) -> bool {
        self.check.iter().fold(true, |ok, c| ok & (*c == T::zero()))
    }

    /// Adds the lanes, in lane order, into `sums` and clears them.
    #[inline(always)]
    fn flush(&mut self, sums: &mut LabelSums) {
        let wide = lane_sum::<T>;
        let outs = sums.tp.iter_mut().zip(&mut sums.sum_s).zip(&mut sums.nll);
        let rows = self.tp.iter().zip(&self.sum_s).zip(&self.nll);
        for (((tp, s), nll), ((ltp, ls), lnll)) in outs.zip(rows) {
            *tp += wide(ltp);
            *s += wide(ls);
            *nll += wide(lnll) / NLL_SCALE;
        }
        self.tp = [[T::zero(); WIDTH]; C];
        self.sum_s = [[T::zero(); WIDTH]; C];
        self.nll = [[T::zero(); WIDTH]; C];
        if FOCAL {
            for (f, lf) in sums.focal.iter_mut().zip(&self.focal) {
                *f += wide(lf) / NLL_SCALE;
            }
            self.focal = [[T::zero(); WIDTH]; C];
        }
    }
}

/// The `f64` sum of one accumulator's lanes, in lane order: how every per-lane sum of a
/// segment reaches [`LabelSums`].
#[inline(always)]
pub fn lane_sum<T: Real>(row: &[T; WIDTH]) -> f64 {
    row.iter().fold(0.0f64, |a, x| a + x.wide())
}

/// Adds the pixels of each class among a segment's `codes` into `count`: integers, so exact
/// in any order, and counted in a loop of their own, which spends none of the softmax
/// loop's registers on them.
#[inline(always)]
pub fn count_labels<const C: usize>(codes: &[i32], count: &mut [f64; MAX_KERNEL_CLASSES]) {
    for (label, n) in count.iter_mut().take(C).enumerate() {
        let label = label as i32;
        *n += codes.iter().filter(|&&c| c == label).count() as f64;
    }
}

#[inline(always)]
fn accumulate_for<T: Real, const C: usize, const FOCAL: bool>(
    input: &Input<'_, T>,
    at: (usize, usize, usize),
    sums: &mut LabelSums,
) -> bool {
    let (sample, start, len) = at;
    let per_sample = input.shape.pixels_per_sample();
    let Some(rows) = class_rows::<T, C>(input.pred, per_sample, at) else {
        return false;
    };
    let mut lanes = Lanes::<T, C, FOCAL>::new();
    for_segments!(
        input,
        rows,
        (sample * per_sample + start, len),
        C,
        |seg_rows, seg, n, _done| {
            for_groups!(T, C, &seg_rows, &*seg, n, |g, _from, _count| {
                lanes.add(&g);
            });
            lanes.flush(sums);
            count_labels::<C>(seg, &mut sums.count);
        }
    );
    lanes.finite()
}

/// `∂L/∂z = u − s·Σu` into `dst`: a whole group (a fixed-size array, stored as vectors)
/// or the last partial one.
#[inline(always)]
fn store<T: Real, D: AsMut<[T]> + ?Sized>(
    dst: &mut D,
    u: &[T; WIDTH],
    s: &[T; WIDTH],
    dot: &[T; WIDTH],
) {
    for (((o, &u), &s), &d) in dst.as_mut().iter_mut().zip(u).zip(s).zip(dot) {
        *o = u - s * d;
    }
}

#[inline(always)]
fn write_for<T: Real, const C: usize, const FOCAL: bool>(
    input: &Input<'_, T>,
    at: (usize, usize, usize),
    coef: &LabelGradient,
    dst: &mut [T],
) -> bool {
    let (sample, start, len) = at;
    let per_sample = input.shape.pixels_per_sample();
    let Some(rows) = class_rows::<T, C>(input.pred, per_sample, at) else {
        return false;
    };
    let pick = |x: &[f64; MAX_KERNEL_CLASSES]| -> [T; C] {
        core::array::from_fn(|c| T::of(x.get(c).copied().unwrap_or(0.0)))
    };
    let (a, b, k) = (pick(&coef.a), pick(&coef.b), pick(&coef.k));
    let f = pick(&coef.focal);
    for_segments!(
        input,
        rows,
        (sample * per_sample + start, len),
        C,
        |seg_rows, seg, n, done| {
            for_groups!(T, C, &seg_rows, &*seg, n, |g, from, count| {
                let sm = softmax::<T, C, FOCAL, FOCAL>(&g.z, g.code);
                // The focal term's `s_y·∂/∂s_y` per lane: `2q·s·ln s − q²` (`ln s = −ce`).
                let mut phi = [T::zero(); WIDTH];
                if FOCAL {
                    let lanes = phi.iter_mut().zip(&sm.q_label);
                    for ((p, &q), (&sy, &ce)) in lanes.zip(sm.s_label.iter().zip(&sm.ce)) {
                        *p = -(q * q - (q + q) * (sy * -ce));
                    }
                }
                let mut u = [[T::zero(); WIDTH]; C];
                let mut dot = [T::zero(); WIDTH];
                let classes = u.iter_mut().zip(&sm.s).zip(a.iter().zip(&b).zip(&k));
                for (c, ((ur, sr), ((&a, &b), &k))) in classes.enumerate() {
                    let label = c as i32;
                    let f = f.get(c).copied().unwrap_or(T::zero());
                    let lanes = ur.iter_mut().zip(sr).zip(g.code).zip(dot.iter_mut());
                    for ((((u, &s), &code), dot), &phi) in lanes.zip(&phi) {
                        // `s` is 0 on ignored pixels, which makes `u` 0 there.
                        let hot = code == label;
                        *u = s * if hot { a + b } else { b } + if hot { k } else { T::zero() };
                        if FOCAL {
                            *u = *u + if hot { f * phi } else { T::zero() };
                        }
                        *dot = *dot + *u;
                    }
                }
                for (c, (ur, sr)) in u.iter().zip(&sm.s).enumerate() {
                    let at = c * len + done + from;
                    let Some(dst) = dst.get_mut(at..at + count) else {
                        return false;
                    };
                    match <&mut [T; WIDTH]>::try_from(&mut *dst) {
                        Ok(dst) => store(dst, ur, sr, &dot),
                        Err(_) => store(dst, ur, sr, &dot),
                    }
                }
            });
        }
    );
    true
}
