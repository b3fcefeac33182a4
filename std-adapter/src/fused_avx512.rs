//! The fused kernel's two passes ([`segloss::kernel`]) for `f32`, written with AVX-512
//! intrinsics.
//!
//! The core's kernel is scalar code that LLVM vectorises; at AVX-512 it keeps part of its
//! per-class arrays on the stack. Here each class's sixteen pixels are one `__m512` held in
//! a register, and every operation is the core's own, in the core's order, with the core's
//! constants ([`segloss::fastmath`]): no FMA contraction, no reassociation. So the sums and
//! the gradient are bit-identical to [`segloss::kernel::Baseline`]
//! (`tests/tests/fused_avx512.rs` checks it), and the engine, its fallbacks and its error
//! reports are unchanged.
//!
//! Where the core adds `if hot { x } else { 0 }` into an accumulator, this adds `x` under a
//! mask: the same bits, since no accumulator is ever `−0` (they start at `+0` and add terms
//! `≥ 0`, or `±0`, or, for the labelled class's shifted logit, one term per lane).
//!
//! The focal term ([`segloss::kernel::LabelTerms`]) is compiled in only where asked for
//! (pass 1 by the terms, pass 2 by a nonzero focal factor), as in the core.
//!
//! Only the dispatcher ([`crate::simd::IsaKernel`]) calls in, after it has checked that the
//! processor has AVX-512.

use core::arch::x86_64::*;

use segloss::fastmath::{
    EXP_SOFTMAX_LOWEST, EXP_SOFTMAX_POLY, LN2_HI, LN2_LO, LN_SERIES, ROUND, SQRT_HALF_BITS,
};
use segloss::kernel::{
    class_rows, count_labels, lane_sum, LabelGradient, LabelSums, LabelTerms,
    IGNORED_CODE as IGNORED, MAX_KERNEL_CLASSES, NLL_SCALE, WIDTH,
};
use segloss::{Input, Real};

/// Pass 1 ([`segloss::kernel::Kernel::sums`]) for `f32` logits `pred` (the input's own),
/// with the per-pixel `terms`.
///
/// # Safety
///
/// The processor must support AVX-512 F, BW, DQ and VL.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub unsafe fn sums<T: Real>(
    input: &Input<'_, T>,
    pred: &[f32],
    at: (usize, usize, usize),
    terms: LabelTerms,
    sums: &mut LabelSums,
) -> bool {
    let classes = input.shape().classes();
    if terms.focal {
        segloss::by_classes!(classes, sums_for, T, [true], (input, pred, at, sums))
    } else {
        segloss::by_classes!(classes, sums_for, T, [false], (input, pred, at, sums))
    }
}

/// Pass 2 ([`segloss::kernel::Kernel::write`]) for `f32` logits `pred` (the input's own)
/// into the `f32` gradient `dst`.
///
/// # Safety
///
/// The processor must support AVX-512 F, BW, DQ and VL.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub unsafe fn write<T: Real>(
    input: &Input<'_, T>,
    pred: &[f32],
    at: (usize, usize, usize),
    coef: &LabelGradient,
    dst: &mut [f32],
) -> bool {
    let classes = input.shape().classes();
    if coef.has_focal() {
        segloss::by_classes!(classes, write_for, T, [true], (input, pred, at, coef, dst))
    } else {
        segloss::by_classes!(classes, write_for, T, [false], (input, pred, at, coef, dst))
    }
}

/// Pass 2 like [`write`], but into one row per class (`rows[c]` gets class `c`'s `at.2`
/// pixels): for a block whose class rows are not contiguous in the gradient. False as
/// [`write`], and when `rows` does not hold one row of at least `at.2` per class.
///
/// # Safety
///
/// The processor must support AVX-512 F, BW, DQ and VL.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub unsafe fn write_rows<T: Real>(
    input: &Input<'_, T>,
    pred: &[f32],
    at: (usize, usize, usize),
    coef: &LabelGradient,
    rows: &mut [&mut [f32]],
) -> bool {
    let classes = input.shape().classes();
    if coef.has_focal() {
        segloss::by_classes!(classes, rows_for, T, [true], (input, pred, at, coef, rows))
    } else {
        segloss::by_classes!(classes, rows_for, T, [false], (input, pred, at, coef, rows))
    }
}

/// Sixteen copies of `x`.
#[inline]
#[target_feature(enable = "avx512f")]
fn splat(x: f32) -> __m512 {
    _mm512_set1_ps(x)
}

/// Sixteen `f32` as a vector.
#[inline]
#[target_feature(enable = "avx512f")]
fn load(x: &[f32; WIDTH]) -> __m512 {
    // SAFETY: `x` is sixteen readable `f32`; `loadu` takes any alignment.
    unsafe { _mm512_loadu_ps(x.as_ptr()) }
}

/// Sixteen label codes as a vector.
#[inline]
#[target_feature(enable = "avx512f")]
fn load_codes(x: &[i32; WIDTH]) -> __m512i {
    // SAFETY: `x` is sixteen readable `i32` (64 bytes); `loadu` takes any alignment.
    unsafe { _mm512_loadu_si512(x.as_ptr().cast()) }
}

/// A vector as sixteen `f32`.
#[inline]
#[target_feature(enable = "avx512f")]
fn store(dst: &mut [f32; WIDTH], v: __m512) {
    // SAFETY: `dst` is sixteen writable `f32`; `storeu` takes any alignment.
    unsafe { _mm512_storeu_ps(dst.as_mut_ptr(), v) }
}

/// Pixels ahead of the current group whose logits each group asks the cache for.
const PREFETCH: usize = 1024;

/// Asks the cache for the logits `PREFETCH` pixels after `from` in each of `rows` (a hint:
/// an address past the buffer is never read).
#[inline]
#[target_feature(enable = "avx512f")]
fn prefetch<const C: usize>(rows: &[&[f32]; C], from: usize) {
    for row in rows {
        let ahead = row.as_ptr().wrapping_add(from + PREFETCH);
        // A safe function in newer Rust; the block keeps the declared minimum (1.89) building.
        #[allow(unused_unsafe)]
        // SAFETY: a prefetch reads nothing architecturally and does not fault.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(ahead.cast())
        };
    }
}

/// A vector into sixteen 64-byte aligned `f32`, past the cache (the caller fences).
#[inline]
#[target_feature(enable = "avx512f")]
fn store_stream(dst: &mut [f32; WIDTH], v: __m512) {
    assert!(
        (dst.as_ptr() as usize).is_multiple_of(64),
        "a streamed group is aligned"
    );
    // SAFETY: `dst` is sixteen writable `f32` at a 64-byte boundary (checked above).
    unsafe { _mm512_stream_ps(dst.as_mut_ptr(), v) }
}

/// [`segloss::fastmath::exp_softmax_f32`] on sixteen lanes of `x ≤ 0`, with the same bits.
///
/// Two steps are shortened without changing a result: the scale `2^n` is applied with
/// `vscalefps` (exact here, since `p·2^n` is normal for every `x` the core does not flush),
/// not by adding `n` to the exponent bits; and `x` is not clamped to the lowest argument
/// first, since the lanes below it are zeroed whatever they computed.
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn exp_softmax(x: __m512) -> __m512 {
    let low = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, splat(EXP_SOFTMAX_LOWEST));
    let shifted = _mm512_add_ps(
        _mm512_mul_ps(x, splat(core::f32::consts::LOG2_E)),
        splat(ROUND),
    );
    let n = _mm512_sub_ps(shifted, splat(ROUND));
    let r = _mm512_sub_ps(
        _mm512_sub_ps(x, _mm512_mul_ps(n, splat(LN2_HI))),
        _mm512_mul_ps(n, splat(LN2_LO)),
    );
    let [q0, rest @ ..] = EXP_SOFTMAX_POLY;
    let mut q = splat(q0);
    for c in rest {
        q = _mm512_add_ps(_mm512_mul_ps(q, r), splat(c));
    }
    let p = _mm512_add_ps(_mm512_mul_ps(q, r), splat(1.0));
    _mm512_maskz_scalef_ps(!low, p, n)
}

/// [`segloss::fastmath::ln_f32`] on sixteen lanes for normal, finite, positive `x` (the
/// softmax's `Σe`, in `[1, C]`), where it takes none of its special cases.
#[inline]
#[target_feature(enable = "avx512f")]
fn ln_normal(x: __m512) -> __m512 {
    let half = _mm512_set1_epi32(SQRT_HALF_BITS);
    let offset = _mm512_sub_epi32(_mm512_castps_si512(x), half);
    let e = _mm512_cvtepi32_ps(_mm512_srai_epi32::<23>(offset));
    let m = _mm512_and_si512(offset, _mm512_set1_epi32(0x007f_ffff));
    let m = _mm512_castsi512_ps(_mm512_add_epi32(m, half));
    let one = splat(1.0);
    let t = _mm512_div_ps(_mm512_sub_ps(m, one), _mm512_add_ps(m, one));
    let t2 = _mm512_mul_ps(t, t);
    let [q0, rest @ ..] = LN_SERIES;
    let mut q = splat(q0);
    for c in rest {
        q = _mm512_add_ps(_mm512_mul_ps(q, t2), splat(c));
    }
    let e_ln2 = _mm512_mul_ps(e, splat(core::f32::consts::LN_2));
    _mm512_add_ps(e_ln2, _mm512_mul_ps(_mm512_mul_ps(splat(2.0), t), q))
}

/// One group's softmax, as the core's: `s` per class (0 on ignored pixels) and, when `LOG`,
/// the labelled class's cross entropy per lane.
#[derive(Clone, Copy)]
struct Softmax<const C: usize> {
    s: [__m512; C],
    ce: __m512,
    /// With `FOCAL`: the labelled class's `s` and `1 − s` (as the core computes them).
    s_label: __m512,
    q_label: __m512,
}

/// One group's softmax, as the core's (`segloss::kernel`'s `softmax::<LOG, FOCAL>`).
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn softmax<const C: usize, const LOG: bool, const FOCAL: bool>(
    z: &[__m512; C],
    hot: &[__mmask16; C],
    valid: __mmask16,
) -> Softmax<C> {
    let floor = splat(-f32::MAX);
    let one = splat(1.0);
    let zero = _mm512_setzero_ps();
    // `larger(a, b)` of the core is `b > a ? b : a`, which is `max_ps(b, a)` bit for bit.
    let mut m = z[0];
    for &v in &z[1..] {
        m = _mm512_max_ps(v, m);
    }
    let mut e = [zero; C];
    let (mut sum, mut rest, mut ones, mut d_label) = (zero, zero, zero, zero);
    let mut e_label = zero;
    for c in 0..C {
        let d = _mm512_max_ps(floor, _mm512_sub_ps(z[c], m));
        e[c] = exp_softmax(d);
        sum = _mm512_add_ps(sum, e[c]);
        if LOG {
            let top = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(e[c], one);
            rest = _mm512_mask_add_ps(rest, !top, rest, e[c]);
            ones = _mm512_mask_add_ps(ones, top, ones, one);
            d_label = _mm512_mask_add_ps(d_label, hot[c], d_label, d);
        }
        if FOCAL {
            e_label = _mm512_mask_add_ps(e_label, hot[c], e_label, e[c]);
        }
    }
    let inv = _mm512_div_ps(one, sum);
    let (mut ce, mut s_label, mut q_label) = (zero, zero, zero);
    if LOG {
        let x = _mm512_add_ps(rest, _mm512_sub_ps(ones, one));
        let fix = _mm512_mul_ps(_mm512_sub_ps(x, _mm512_sub_ps(sum, one)), inv);
        let lse = _mm512_add_ps(ln_normal(sum), fix);
        let neg = _mm512_max_ps(floor, _mm512_sub_ps(d_label, lse));
        ce = _mm512_xor_ps(neg, splat(-0.0));
        if FOCAL {
            s_label = _mm512_mul_ps(e_label, inv);
            let top = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(e_label, one);
            let below = _mm512_sub_ps(one, s_label);
            q_label = _mm512_mask_blend_ps(top, below, _mm512_mul_ps(x, inv));
        }
    }
    let inv = _mm512_maskz_mov_ps(valid, inv);
    let mut s = e;
    for x in &mut s {
        *x = _mm512_mul_ps(*x, inv);
    }
    Softmax {
        s,
        ce,
        s_label,
        q_label,
    }
}

/// The masks of the lanes labelled with each class, and of the valid lanes.
#[inline]
#[target_feature(enable = "avx512f")]
fn masks<const C: usize>(code: __m512i) -> ([__mmask16; C], __mmask16) {
    let mut hot = [0; C];
    for (c, h) in hot.iter_mut().enumerate() {
        *h = _mm512_cmpeq_epi32_mask(code, _mm512_set1_epi32(c as i32));
    }
    (
        hot,
        _mm512_cmpneq_epi32_mask(code, _mm512_set1_epi32(IGNORED)),
    )
}

/// The `C` logit vectors of pixels `from..from + WIDTH` of `rows`, or of the pixels left
/// from `from` padded with logit 0 (with `code`, padded with ignored pixels).
#[inline]
#[target_feature(enable = "avx512f")]
fn group<const C: usize>(rows: &[&[f32]; C], codes: &[i32], from: usize) -> ([__m512; C], __m512i) {
    let mut z = [_mm512_setzero_ps(); C];
    if let Some(code) = codes.get(from..from + WIDTH) {
        for (v, row) in z.iter_mut().zip(rows) {
            if let Some(x) = row.get(from..from + WIDTH).and_then(|x| x.try_into().ok()) {
                *v = load(x);
            }
        }
        let code: &[i32; WIDTH] = code.try_into().unwrap_or(&[IGNORED; WIDTH]);
        return (z, load_codes(code));
    }
    let mut code = [IGNORED; WIDTH];
    for (d, &x) in code.iter_mut().zip(codes.get(from..).unwrap_or(&[])) {
        *d = x;
    }
    for (v, row) in z.iter_mut().zip(rows) {
        let mut x = [0.0f32; WIDTH];
        for (d, &l) in x.iter_mut().zip(row.get(from..).unwrap_or(&[])) {
            *d = l;
        }
        *v = load(&x);
    }
    (z, load_codes(&code))
}

/// The sum of `v`'s lanes in `f64`, in lane order (as the core's flush).
#[inline]
#[target_feature(enable = "avx512f")]
fn flush(v: __m512) -> f64 {
    let mut lanes = [0.0f32; WIDTH];
    store(&mut lanes, v);
    lane_sum(&lanes)
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn sums_for<T: Real, const C: usize, const FOCAL: bool>(
    input: &Input<'_, T>,
    pred: &[f32],
    at: (usize, usize, usize),
    sums: &mut LabelSums,
) -> bool {
    let (sample, start, len) = at;
    let per_sample = input.shape().pixels_per_sample();
    let Some(rows) = class_rows::<f32, C>(pred, per_sample, at) else {
        return false;
    };
    let first = sample * per_sample + start;
    let zero = _mm512_setzero_ps();
    let scale = splat(NLL_SCALE as f32);
    let mut check = zero;
    segloss::for_segments!(input, rows, (first, len), C, |seg_rows, seg, n, _done| {
        let (mut tp, mut sum_s, mut nll) = ([zero; C], [zero; C], [zero; C]);
        let mut focal = [zero; C];
        let mut from = 0;
        while from < n {
            prefetch::<C>(&seg_rows, from);
            let (z, code) = group::<C>(&seg_rows, seg, from);
            let mut total = zero;
            for &v in &z {
                total = _mm512_add_ps(total, v);
            }
            check = _mm512_add_ps(check, _mm512_mul_ps(total, zero));
            let (hot, valid) = masks::<C>(code);
            let sm = softmax::<C, true, FOCAL>(&z, &hot, valid);
            let ce = _mm512_mul_ps(sm.ce, scale);
            if FOCAL {
                let q = sm.q_label;
                let term = _mm512_mul_ps(_mm512_mul_ps(q, q), ce);
                for c in 0..C {
                    focal[c] = _mm512_mask_add_ps(focal[c], hot[c], focal[c], term);
                }
            }
            for c in 0..C {
                sum_s[c] = _mm512_add_ps(sum_s[c], sm.s[c]);
                tp[c] = _mm512_mask_add_ps(tp[c], hot[c], tp[c], sm.s[c]);
                nll[c] = _mm512_mask_add_ps(nll[c], hot[c], nll[c], ce);
            }
            from += WIDTH;
        }
        for c in 0..C {
            sums.tp[c] += flush(tp[c]);
            sums.sum_s[c] += flush(sum_s[c]);
            sums.nll[c] += flush(nll[c]) / NLL_SCALE;
            if FOCAL {
                sums.focal[c] += flush(focal[c]) / NLL_SCALE;
            }
        }
        count_labels::<C>(seg, &mut sums.count);
    });
    _mm512_cmpneq_ps_mask(check, zero) == 0
}

/// The smallest gradient (bytes of one kernel call) written with non-temporal stores: one
/// this large would not stay in cache for its reader anyway, and streaming it past the
/// cache saves reading each line before it is overwritten, and keeps the logits that pass
/// 2 reads in cache.
pub const STREAM_BYTES: usize = 8 << 20;

/// The per-class coefficients of pass 2 as vectors: `b`, `a + b` (added in `f32`, as the
/// core adds them), `k` and the focal term's factor `f`.
struct Coefs<const C: usize> {
    b: [__m512; C],
    ab: [__m512; C],
    k: [__m512; C],
    f: [__m512; C],
}

impl<const C: usize> Coefs<C> {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new(coef: &LabelGradient) -> Self {
        let pick =
            |x: &[f64; MAX_KERNEL_CLASSES], c: usize| x.get(c).copied().unwrap_or(0.0) as f32;
        let zero = [_mm512_setzero_ps(); C];
        let mut coefs = Coefs {
            b: zero,
            ab: zero,
            k: zero,
            f: zero,
        };
        for c in 0..C {
            let (a_c, b_c) = (pick(&coef.a, c), pick(&coef.b, c));
            coefs.b[c] = splat(b_c);
            coefs.ab[c] = splat(a_c + b_c);
            coefs.k[c] = splat(pick(&coef.k, c));
            coefs.f[c] = splat(pick(&coef.focal, c));
        }
        coefs
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn write_for<T: Real, const C: usize, const FOCAL: bool>(
    input: &Input<'_, T>,
    pred: &[f32],
    at: (usize, usize, usize),
    coef: &LabelGradient,
    dst: &mut [f32],
) -> bool {
    let len = at.2;
    let Some(dst) = dst.get_mut(..C * len) else {
        return false;
    };
    let mut out = dst.chunks_exact_mut(len.max(1));
    let mut out: [&mut [f32]; C] = core::array::from_fn(|_| out.next().unwrap_or_default());
    write_rows_for::<T, C, FOCAL>(input, pred, at, coef, &mut out)
}

/// [`write_rows_for`] for `rows` given as a slice: false unless it holds `C` rows.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn rows_for<T: Real, const C: usize, const FOCAL: bool>(
    input: &Input<'_, T>,
    pred: &[f32],
    at: (usize, usize, usize),
    coef: &LabelGradient,
    rows: &mut [&mut [f32]],
) -> bool {
    match <&mut [&mut [f32]; C]>::try_from(rows) {
        Ok(rows) => write_rows_for::<T, C, FOCAL>(input, pred, at, coef, rows),
        Err(_) => false,
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn write_rows_for<T: Real, const C: usize, const FOCAL: bool>(
    input: &Input<'_, T>,
    pred: &[f32],
    at: (usize, usize, usize),
    coef: &LabelGradient,
    out: &mut [&mut [f32]; C],
) -> bool {
    let (sample, start, len) = at;
    let per_sample = input.shape().pixels_per_sample();
    let Some(rows) = class_rows::<f32, C>(pred, per_sample, at) else {
        return false;
    };
    if out.iter().any(|r| r.len() < len) {
        return false;
    }
    let coefs = Coefs::<C>::new(coef);
    // Each pixel's gradient depends on that pixel alone, so the pixels can be cut anywhere:
    // when streaming, a first span reaches the next 64-byte boundary, which every class row
    // must share, and the groups after it are aligned.
    let line = |r: &&mut [f32]| r.as_ptr() as usize % 64;
    let shared = out.iter().all(|r| line(r) == line(&out[0]));
    let stream = C * len * 4 >= STREAM_BYTES && shared;
    let head = if stream {
        (64 - line(&out[0])) % 64 / 4
    } else {
        0
    };
    let first = sample * per_sample + start;
    let spans = [(0, head.min(len), false), (head.min(len), len, stream)];
    let mut written = true;
    for (from, to, stream) in spans {
        let part = rows.map(|r| r.get(from..to).unwrap_or(&[]));
        let mut dst = out
            .each_mut()
            .map(|r| r.get_mut(from..to).unwrap_or_default());
        written = written
            && write_span::<T, C, FOCAL>(input, &part, first + from, &coefs, &mut dst, stream);
    }
    if stream {
        // Orders the non-temporal stores before whatever the caller does next, on every
        // exit (a span stops early at a label out of range).
        #[allow(unused_unsafe)]
        // SAFETY: a fence has no operands.
        unsafe {
            _mm_sfence()
        };
    }
    written
}

/// Pass 2 over the pixels of `rows` (from pixel `first` of the input) into the class rows
/// `out`; with `stream`, with non-temporal stores into 64-byte aligned rows.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn write_span<T: Real, const C: usize, const FOCAL: bool>(
    input: &Input<'_, T>,
    rows: &[&[f32]; C],
    first: usize,
    coefs: &Coefs<C>,
    out: &mut [&mut [f32]; C],
    stream: bool,
) -> bool {
    let len = rows[0].len();
    segloss::for_segments!(input, rows, (first, len), C, |seg_rows, seg, n, done| {
        let mut from = 0;
        while from < n {
            prefetch::<C>(&seg_rows, from);
            let (z, code) = group::<C>(&seg_rows, seg, from);
            let (hot, valid) = masks::<C>(code);
            let sm = softmax::<C, FOCAL, FOCAL>(&z, &hot, valid);
            let s = sm.s;
            // The focal term's `2q·s·ln s − q²` at the labelled class (`ln s = −ce`).
            let phi = if FOCAL {
                let (q, minus) = (sm.q_label, splat(-0.0));
                let ls = _mm512_xor_ps(sm.ce, minus);
                let slope = _mm512_mul_ps(_mm512_add_ps(q, q), _mm512_mul_ps(sm.s_label, ls));
                _mm512_xor_ps(_mm512_sub_ps(_mm512_mul_ps(q, q), slope), minus)
            } else {
                _mm512_setzero_ps()
            };
            let mut u = [_mm512_setzero_ps(); C];
            let mut dot = _mm512_setzero_ps();
            for c in 0..C {
                // `s` is 0 on ignored pixels, which makes `u` 0 there.
                let scale = _mm512_mask_blend_ps(hot[c], coefs.b[c], coefs.ab[c]);
                let add = _mm512_maskz_mov_ps(hot[c], coefs.k[c]);
                u[c] = _mm512_add_ps(_mm512_mul_ps(s[c], scale), add);
                if FOCAL {
                    let term = _mm512_mul_ps(coefs.f[c], phi);
                    u[c] = _mm512_mask_add_ps(u[c], hot[c], u[c], term);
                }
                dot = _mm512_add_ps(dot, u[c]);
            }
            let at = done + from;
            for c in 0..C {
                let g = _mm512_sub_ps(u[c], _mm512_mul_ps(s[c], dot));
                let row = &mut out[c];
                match row.get_mut(at..at + WIDTH) {
                    Some(o) => match <&mut [f32; WIDTH]>::try_from(o) {
                        Ok(o) if stream => store_stream(o, g),
                        Ok(o) => store(o, g),
                        Err(_) => return false,
                    },
                    None => {
                        let mut lanes = [0.0f32; WIDTH];
                        store(&mut lanes, g);
                        let tail = row.get_mut(at..).unwrap_or_default();
                        for (o, &x) in tail.iter_mut().zip(&lanes) {
                            *o = x;
                        }
                    }
                }
            }
            from += WIDTH;
        }
    });
    true
}
