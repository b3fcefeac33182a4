//! The separable N-D driver: the contiguous axis first (two scans per row), then every other
//! axis through a lower envelope per line, on blocks of lines transposed into a contiguous
//! buffer of the workspace.

use super::line::{row_one_sided, row_two_sided, Envelope};
use super::{AxisPass, Grid};
use crate::Real;

/// Lines transposed together: one block's column chunk (16 `f32` are one cache line).
pub(crate) const BLOCK_LINES: usize = 16;

/// Elements of workspace the passes need on `grid`.
pub(crate) fn workspace_len(grid: &Grid) -> usize {
    let dims = grid.dims();
    let longest = dims
        .split_last()
        .map_or(0, |(_, rest)| rest.iter().copied().max().unwrap_or(0));
    BLOCK_LINES
        .saturating_mul(longest)
        .saturating_add(Envelope::<f32>::len(longest))
}

/// Which transform the passes compute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sides {
    /// Squared distance of every nonzero voxel to the nearest zero voxel.
    One,
    /// Squared distance of every voxel to the nearest voxel of the other side, signed by side.
    Two,
}

/// What the first pass saw.
#[derive(Clone, Copy, Default)]
pub(crate) struct Seen {
    /// A zero voxel (one-sided) or a foreground voxel (two-sided).
    pub(crate) first: bool,
    /// A background voxel (two-sided only).
    pub(crate) second: bool,
}

/// Runs the first pass over `out`, whose rows `fill` has to load with markers first.
///
/// `fill(offset, row)` writes the markers of the row starting at flat index `offset`:
/// one-sided, `0` for a zero voxel and `1` otherwise; two-sided, a positive value for a
/// foreground voxel and `0` or less for a background one.
pub(crate) fn first_pass<T: Real>(
    grid: &Grid,
    out: &mut [T],
    sides: Sides,
    mut fill: impl FnMut(usize, &mut [T]),
) -> Seen {
    let dims = grid.dims();
    let spacing = grid.spacing();
    let n = dims.last().copied().unwrap_or(1).max(1);
    let s = spacing.last().copied().unwrap_or(1.0);
    let w = T::of(s * s);
    let mut seen = Seen::default();
    for (r, row) in out.chunks_exact_mut(n).enumerate() {
        fill(r * n, row);
        match sides {
            Sides::One => seen.first |= row_one_sided(row, w),
            Sides::Two => {
                let (fg, bg) = row_two_sided(row, w);
                seen.first |= fg;
                seen.second |= bg;
            }
        }
    }
    seen
}

/// The passes after the first on `grid`, last axis first (none for one axis).
pub(crate) fn axis_passes(grid: &Grid) -> impl Iterator<Item = AxisPass> + '_ {
    let dims = grid.dims();
    let mut stride = dims.last().copied().unwrap_or(1).max(1);
    (0..dims.len().saturating_sub(1)).rev().map(move |axis| {
        let n = dims.get(axis).copied().unwrap_or(1);
        let s = grid.spacing().get(axis).copied().unwrap_or(1.0);
        let pass = AxisPass {
            n,
            stride,
            weight: s * s,
            last: axis == 0,
        };
        stride *= n;
        pass
    })
}

/// Runs the lower-envelope passes over every axis but the contiguous one, last axis first.
///
/// `finish` is applied to every value as the final pass writes it back (for instance the
/// square root); with a single spatial axis it is applied in a pass of its own. It must map
/// 0 to 0: chunks of lines holding only zeros are not written back.
pub(crate) fn other_passes<T: Real>(
    grid: &Grid,
    out: &mut [T],
    ws: &mut [T],
    sides: Sides,
    finish: impl Fn(T) -> T,
) {
    if grid.dims().len() < 2 {
        out.iter_mut().for_each(|x| *x = finish(*x));
        return;
    }
    for pass in axis_passes(grid) {
        axis_pass(
            out,
            ws,
            &pass,
            sides,
            |x| if pass.last { finish(x) } else { x },
        );
    }
}

/// The `n` rows of one block of an axis pass: the lines of the pass run across them, one
/// element per row.
pub(crate) trait Rows<T> {
    /// Row `r` (empty past the last).
    fn row(&self, r: usize) -> &[T];
    /// Row `r`, to write (empty past the last).
    fn row_mut(&mut self, r: usize) -> &mut [T];
}

/// A block of `out` cut into rows of `stride` elements.
struct BlockRows<'a, T> {
    block: &'a mut [T],
    stride: usize,
}

impl<T> Rows<T> for BlockRows<'_, T> {
    fn row(&self, r: usize) -> &[T] {
        let from = r.saturating_mul(self.stride);
        self.block
            .get(from..from.saturating_add(self.stride))
            .unwrap_or(&[])
    }

    fn row_mut(&mut self, r: usize) -> &mut [T] {
        let from = r.saturating_mul(self.stride);
        self.block
            .get_mut(from..from.saturating_add(self.stride))
            .unwrap_or(&mut [])
    }
}

/// Rows given one slice each (the same columns of every row of a block).
impl<T> Rows<T> for [&mut [T]] {
    fn row(&self, r: usize) -> &[T] {
        self.get(r).map_or(&[], |x| &**x)
    }

    fn row_mut(&mut self, r: usize) -> &mut [T] {
        self.get_mut(r).map_or(&mut [], |x| &mut **x)
    }
}

/// One pass along an axis: every block of `out` in turn.
#[inline(never)]
fn axis_pass<T: Real>(
    out: &mut [T],
    ws: &mut [T],
    pass: &AxisPass,
    sides: Sides,
    finish: impl Fn(T) -> T,
) {
    let (n, stride) = (pass.n, pass.stride);
    let w = T::of(pass.weight);
    for block in out.chunks_exact_mut(n.saturating_mul(stride).max(1)) {
        let mut rows = BlockRows { block, stride };
        columns_pass(&mut rows, stride, ws, n, w, sides, &finish);
    }
}

/// The lines across the `n` rows of `rows`, columns `0..width`, `BLOCK_LINES` at a time:
/// each chunk of columns is transposed into `ws`, run through the lower envelope and written
/// back through `finish`.
pub(crate) fn columns_pass<T: Real, R: Rows<T> + ?Sized>(
    rows: &mut R,
    width: usize,
    ws: &mut [T],
    n: usize,
    w: T,
    sides: Sides,
    finish: &impl Fn(T) -> T,
) {
    let (lines, scratch) = ws.split_at_mut((BLOCK_LINES * n).min(ws.len()));
    let Some(mut env) = Envelope::new(scratch, n) else {
        return;
    };
    let mut c0 = 0;
    while c0 < width {
        let chunk = BLOCK_LINES.min(width - c0);
        let lines = lines.get_mut(..chunk * n).unwrap_or(&mut []);
        // Gather: row r of the column chunk becomes element r of each line, and each line
        // notes whether it holds positive and negative values.
        let mut pos = [false; BLOCK_LINES];
        let mut neg = [false; BLOCK_LINES];
        for r in 0..n {
            let seg = rows.row(r).get(c0..c0 + chunk).unwrap_or(&[]);
            let flags = pos.iter_mut().zip(neg.iter_mut());
            for ((line, &x), (p, q)) in lines.chunks_exact_mut(n.max(1)).zip(seg).zip(flags) {
                if let Some(t) = line.get_mut(r) {
                    *t = x;
                }
                *p |= x > T::zero();
                *q |= x < T::zero();
            }
        }
        // A line of zeros (sites only, all at distance 0) stays as it is, and so does a
        // chunk of such lines.
        if !pos.iter().chain(neg.iter()).any(|&f| f) {
            c0 += chunk;
            continue;
        }
        for ((line, &p), &q) in lines.chunks_exact_mut(n.max(1)).zip(&pos).zip(&neg) {
            match sides {
                Sides::One if p => env.run(line, w, |x| x, |x, d| *x = d),
                Sides::One => {}
                Sides::Two => {
                    // Foreground voxels: the background voxels are the sites (value 0).
                    if p {
                        env.run(
                            line,
                            w,
                            |x| if x > T::zero() { x } else { T::zero() },
                            |x, d| {
                                if *x > T::zero() {
                                    *x = d
                                }
                            },
                        );
                    }
                    // Background voxels: the foreground voxels are the sites.
                    if q {
                        env.run(
                            line,
                            w,
                            |x| if x < T::zero() { -x } else { T::zero() },
                            |x, d| {
                                if *x < T::zero() {
                                    *x = -d
                                }
                            },
                        );
                    }
                }
            }
        }
        // Scatter back.
        for r in 0..n {
            let seg = rows.row_mut(r).get_mut(c0..c0 + chunk).unwrap_or(&mut []);
            for (line, x) in lines.chunks_exact(n.max(1)).zip(seg) {
                if let Some(&t) = line.get(r) {
                    *x = finish(t);
                }
            }
        }
        c0 += chunk;
    }
}
