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

/// Lanes of the in-tile sums of bounded terms ([`confusion`]): sixteen, one AVX-512
/// register of `f32`.
const NARROW_LANES: usize = 16;

/// `Σ_k f(a_k, b_k, c_k)` for terms in `[0, 1]`: summed in `T` over [`NARROW_LANES`]
/// interleaved lanes (a tile row has at most [`TILE_ELEMENTS`](crate::tile::TILE_ELEMENTS)
/// elements, so no lane can lose more than a few ulp), the lanes then combined in `f64`.
#[inline(always)]
fn narrow_sum<T: Real>(a: &[T], b: &[T], c: &[T], f: impl Fn(T, T, T) -> T) -> f64 {
    let mut acc = [T::zero(); NARROW_LANES];
    let chunks = a
        .chunks_exact(NARROW_LANES)
        .zip(b.chunks_exact(NARROW_LANES))
        .zip(c.chunks_exact(NARROW_LANES));
    for ((ca, cb), cc) in chunks {
        let arrays = (
            <&[T; NARROW_LANES]>::try_from(ca),
            <&[T; NARROW_LANES]>::try_from(cb),
            <&[T; NARROW_LANES]>::try_from(cc),
        );
        if let (Ok(ca), Ok(cb), Ok(cc)) = arrays {
            for (((s, &x), &y), &z) in acc.iter_mut().zip(ca).zip(cb).zip(cc) {
                *s = *s + f(x, y, z);
            }
        }
    }
    let (ra, rb, rc) = (narrow_tail(a), narrow_tail(b), narrow_tail(c));
    for (((s, &x), &y), &z) in acc.iter_mut().zip(ra).zip(rb).zip(rc) {
        *s = *s + f(x, y, z);
    }
    acc.iter().map(|x| x.wide()).sum()
}

/// The elements past the last whole group of [`NARROW_LANES`].
#[inline(always)]
fn narrow_tail<T>(x: &[T]) -> &[T] {
    x.chunks_exact(NARROW_LANES).remainder()
}

/// `[Σ g·s, Σ s, Σ g, Σ s², Σ g², Σ g·s²]` over the valid elements of a class row; the
/// last three (the quadratic statistics) stay zero unless `quadratic`.
///
/// `g` must be zero wherever `valid` is (the tile's target is), and all three lie in
/// `[0, 1]`.
#[inline(always)]
pub(crate) fn confusion<T: Real>(g: &[T], s: &[T], valid: &[T], quadratic: bool) -> [f64; 6] {
    let tp = narrow_sum(g, s, valid, |g, s, v| g * (v * s));
    let sum_s = narrow_sum(g, s, valid, |_, s, v| v * s);
    let sum_g = narrow_sum(g, s, valid, |g, _, _| g);
    if !quadratic {
        return [tp, sum_s, sum_g, 0.0, 0.0, 0.0];
    }
    let sum_ss = narrow_sum(g, s, valid, |_, s, v| (v * s) * s);
    let sum_gg = narrow_sum(g, s, valid, |g, _, _| g * g);
    let sum_gss = narrow_sum(g, s, valid, |g, s, v| (g * (v * s)) * s);
    [tp, sum_s, sum_g, sum_ss, sum_gg, sum_gss]
}
