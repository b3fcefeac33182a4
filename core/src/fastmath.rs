//! Branch-free `exp` and `ln` for `f32` that compile to vector code: no calls, no table
//! look-ups, selects instead of branches. `f64` uses `libm` (the reference precision).
//!
//! Accuracy (checked against `f64` over dense sweeps in `tests/tests/fastmath.rs`):
//! `exp` within a few ulp where the result is normal, 0 below −104, `+inf` above 88.72;
//! `ln` within a few ulp on positive inputs, `-inf` at 0.

/// `ln 2` split in a high part exact in `f32` and a low correction (Cody-Waite): the
/// argument reduction `r = (x − n·LN2_HI) − n·LN2_LO` of every `exp` here.
pub const LN2_HI: f32 = 0.693_145_75;
/// The low part of `ln 2` (see [`LN2_HI`]).
pub const LN2_LO: f32 = 1.428_606_8e-6;
/// `1.5 · 2^23`: adding it to an `f32` of magnitude below `2^22` rounds it to an integer
/// held in the low mantissa bits.
pub const ROUND: f32 = 12_582_912.0;
/// [`exp_softmax_f32`]'s lowest argument (`ln 2^−125`): from here up, `n ≥ −125` and
/// `p ≥ 2^−½` keep `p·2^n` normal; below it the result is 0.
pub const EXP_SOFTMAX_LOWEST: f32 = -86.64;
/// [`exp_softmax_f32`]'s polynomial `q`, highest degree first: `e^r ≈ 1 + r·q(r)` on
/// `[−ln2/2, ln2/2]` (fitted with Lawson's iteration to the relative error).
pub const EXP_SOFTMAX_POLY: [f32; 5] = [
    0.008_290_314,
    0.041_897_93,
    0.166_676_36,
    0.499_991_5,
    0.999_999_7,
];
/// The bits of `sqrt(1/2)`: [`ln_f32`] splits `x = m·2^e` with `m` in `[sqrt(1/2), sqrt(2))`.
pub const SQRT_HALF_BITS: i32 = 0x3f35_04f3;
/// [`ln_f32`]'s series for `ln m = 2t·q(t²)`, `t = (m − 1)/(m + 1)`, highest degree first.
pub const LN_SERIES: [f32; 6] = [1.0 / 11.0, 1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0, 1.0];

/// `e^x = 2^n · p` for an `x` already clamped to `f32`'s exponent range: `n` (an integer)
/// and `p = e^r`, `r = x − n ln 2` in `[−ln2/2, ln2/2]`.
#[inline(always)]
fn exp_parts(x: f32) -> (i32, f32) {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r, degree-6 Taylor polynomial in Horner form.
    let p = 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // The integer sits in `shifted`'s low bits.
    let bits = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    (bits, p)
}

/// `2^n` for `n` in `−126..=127`.
#[inline(always)]
fn pow2(n: i32) -> f32 {
    f32::from_bits(((n + 127) << 23) as u32)
}

/// `e^x` for `f32`.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let (n, p) = exp_parts(x.clamp(-103.9, 88.72));
    // 2^n in two factors, so that n = 128 and n = -126..-149 stay exact.
    let half = n >> 1;
    let y = p * pow2(half) * pow2(n - half);
    let y = if x < -104.0 { 0.0 } else { y };
    if x > 88.72 {
        f32::INFINITY
    } else {
        y
    }
}

/// `e^x` for `f32` and `x ≤ 0` (softmax's `z − max`), cheaper than [`exp_f32`]: one
/// scale factor, and results below `f32::MIN_POSITIVE` (`x < −87.33`) flush to 0.
#[inline(always)]
pub fn exp_nonpositive_f32(x: f32) -> f32 {
    // Below this, 2^n would leave the normal range (n < −126).
    const LOWEST: f32 = -87.33;
    let (n, p) = exp_parts(x.clamp(LOWEST, 0.0));
    let y = p * pow2(n);
    if x < LOWEST {
        0.0
    } else {
        y
    }
}

/// `e^x` for `f32` and `x ≤ 0`, the fused kernel's softmax: cheaper than
/// [`exp_nonpositive_f32`] (a degree-5 polynomial with near-minimax coefficients for the
/// relative error, and the scale added to the exponent bits instead of multiplied). Within
/// 2 ulp, exactly 1 at 0; results below `2^−125` (`x < −86.64`) flush to 0, so the scaled
/// value never leaves the normal range. A NaN gives an unspecified value (the kernel
/// discards a group whose logits are not finite).
#[inline(always)]
pub fn exp_softmax_f32(x: f32) -> f32 {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    let low = x < EXP_SOFTMAX_LOWEST;
    let x = if low { EXP_SOFTMAX_LOWEST } else { x };
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // 1 + r·q(r), fitted (Lawson's iteration) to the relative error on [−ln2/2, ln2/2].
    let [mut q, rest @ ..] = EXP_SOFTMAX_POLY;
    for c in rest {
        q = q * r + c;
    }
    let p = q * r + 1.0;
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let y = f32::from_bits(p.to_bits().wrapping_add(n_bits << 23));
    if low {
        0.0
    } else {
        y
    }
}

/// `ln x` for `f32` (`x ≥ 0`; `-inf` at 0, NaN below 0 and for NaN).
#[inline(always)]
pub fn ln_f32(x: f32) -> f32 {
    const LN2: f32 = core::f32::consts::LN_2;
    // Scale subnormals up by 2^23 first.
    let sub = x < f32::MIN_POSITIVE;
    let xs = if sub { x * 8_388_608.0 } else { x };
    let bits = xs.to_bits() as i32;
    // Split x = m · 2^e with m in [sqrt(1/2), sqrt(2)).
    // Wrapping: a negative or sign-bit NaN `x` has negative `bits` (its result is NaN below).
    let offset = bits.wrapping_sub(SQRT_HALF_BITS);
    let e = offset >> 23;
    let m = f32::from_bits((offset & 0x007f_ffff).wrapping_add(SQRT_HALF_BITS) as u32);
    let e = e as f32 - if sub { 23.0 } else { 0.0 };
    // ln m = 2 atanh(t), t = (m − 1)/(m + 1) in [-0.172, 0.172]: odd series to t^11.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let [mut q, rest @ ..] = LN_SERIES;
    for c in rest {
        q = q * t2 + c;
    }
    let y = e * LN2 + 2.0 * t * q;
    let y = if x == 0.0 { f32::NEG_INFINITY } else { y };
    let y = if x < 0.0 || x.is_nan() { f32::NAN } else { y };
    if x == f32::INFINITY {
        f32::INFINITY
    } else {
        y
    }
}

/// `ln(1 + x)` for `f32`, `-1 < x` and `x` finite, accurate for small `x`
/// (`ln u · x / (u − 1)`, `u = 1 + x`).
#[inline(always)]
pub fn ln_1p_f32(x: f32) -> f32 {
    let u = 1.0 + x;
    let d = u - 1.0;
    if d == 0.0 {
        x
    } else {
        ln_f32(u) * (x / d)
    }
}
