//! Sums over a tile with a fixed set of interleaved `f64` accumulators, so the compiler can
//! vectorise them without reassociating: element `k` always adds into lane `k % LANES`, and
//! the lanes are combined in order. The result is the same on every instruction set.

use crate::Real;

/// Interleaved partial sums.
pub(crate) const LANES: usize = 8;

/// The elements past the last whole group of `LANES`.
#[inline(always)]
fn tail<T>(x: &[T]) -> &[T] {
    x.chunks_exact(LANES).remainder()
}

/// `Σ_k f(a_k, b_k, c_k, d_k)` over the common length of four slices.
///
/// One accumulator array per call: LLVM's SLP vectoriser turns it into one vector register,
/// which it does not do for several arrays updated in the same loop (so a sum of several
/// statistics is several calls, each over data that sits in L1).
#[inline(always)]
pub(crate) fn sum4<T: Real>(
    a: &[T],
    b: &[T],
    c: &[T],
    d: &[T],
    f: impl Fn(T, T, T, T) -> f64,
) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = a
        .chunks_exact(LANES)
        .zip(b.chunks_exact(LANES))
        .zip(c.chunks_exact(LANES))
        .zip(d.chunks_exact(LANES));
    for (((ca, cb), cc), cd) in chunks {
        let arrays = (
            <&[T; LANES]>::try_from(ca),
            <&[T; LANES]>::try_from(cb),
            <&[T; LANES]>::try_from(cc),
            <&[T; LANES]>::try_from(cd),
        );
        if let (Ok(ca), Ok(cb), Ok(cc), Ok(cd)) = arrays {
            let items = acc.iter_mut().zip(ca).zip(cb).zip(cc).zip(cd);
            for ((((s, &x), &y), &z), &w) in items {
                *s += f(x, y, z, w);
            }
        }
    }
    let items = acc
        .iter_mut()
        .zip(tail(a))
        .zip(tail(b))
        .zip(tail(c))
        .zip(tail(d));
    for ((((s, &x), &y), &z), &w) in items {
        *s += f(x, y, z, w);
    }
    acc.iter().sum()
}

/// `Σ_k x_k` in `f64`.
#[inline(always)]
pub(crate) fn sum<T: Real>(x: &[T]) -> f64 {
    sum4(x, x, x, x, |v, _, _, _| v.wide())
}

/// `[Σ g·s, Σ s, Σ g, Σ s², Σ g², Σ g·s²]` over the valid elements of a class row; the
/// last three (the quadratic statistics) stay zero unless `quadratic`.
///
/// `g` must be zero wherever `valid` is (the tile's target is).
#[inline(always)]
pub(crate) fn confusion<T: Real>(g: &[T], s: &[T], valid: &[T], quadratic: bool) -> [f64; 6] {
    let by = |f: fn(f64, f64, f64) -> f64| {
        sum4(g, s, valid, valid, |g, s, v, _| {
            f(g.wide(), s.wide(), v.wide())
        })
    };
    let tp = by(|g, s, v| g * (v * s));
    let sum_s = by(|_, s, v| v * s);
    let sum_g = by(|g, _, _| g);
    if !quadratic {
        return [tp, sum_s, sum_g, 0.0, 0.0, 0.0];
    }
    let sum_ss = by(|_, s, v| (v * s) * s);
    let sum_gg = by(|g, _, _| g * g);
    let sum_gss = by(|g, s, v| (g * (v * s)) * s);
    [tp, sum_s, sum_g, sum_ss, sum_gg, sum_gss]
}
