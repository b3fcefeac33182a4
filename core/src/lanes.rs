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
        let items = acc.iter_mut().zip(ca).zip(cb).zip(cc).zip(cd);
        for ((((s, &x), &y), &z), &w) in items {
            *s += f(x, y, z, w);
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

/// `[Σ g·s, Σ s, Σ g, Σ s², Σ g², Σ g·s²]` over the valid elements of a class row.
#[inline(always)]
pub(crate) fn confusion<T: Real>(g: &[T], s: &[T], valid: &[T]) -> [f64; 6] {
    let mut acc = [[0.0f64; LANES]; 6];
    let mut add = |lane: usize, g: T, s: T, v: T| {
        let (g, s, v) = (g.wide(), s.wide(), v.wide());
        let vs = v * s;
        let terms = [g * vs, vs, g, vs * s, g * g, g * vs * s];
        for (a, t) in acc.iter_mut().zip(terms) {
            if let Some(x) = a.get_mut(lane) {
                *x += t;
            }
        }
    };
    let chunks = g
        .chunks_exact(LANES)
        .zip(s.chunks_exact(LANES))
        .zip(valid.chunks_exact(LANES));
    for ((cg, cs), cv) in chunks {
        for (lane, ((&g, &s), &v)) in cg.iter().zip(cs).zip(cv).enumerate() {
            add(lane, g, s, v);
        }
    }
    for (lane, ((&g, &s), &v)) in tail(g).iter().zip(tail(s)).zip(tail(valid)).enumerate() {
        add(lane, g, s, v);
    }
    acc.map(|lanes| lanes.iter().sum())
}
