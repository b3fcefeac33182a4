//! Exact Euclidean distance transforms on 1D, 2D and 3D grids with per-axis spacing.
//!
//! [`Edt`] has the semantics of `scipy.ndimage.distance_transform_edt(mask, sampling)`:
//! every nonzero voxel gets its distance to the nearest zero voxel, zero voxels get 0.
//! It runs in linear time: the contiguous axis by two scans per row, every other axis by the
//! lower envelope of parabolas of Felzenszwalb and Huttenlocher (2012) on lines transposed
//! into a contiguous buffer of the caller's workspace ([`Edt::workspace_len`] elements).
//! Squared distances are carried in the output type; they are exact integers for unit
//! spacing (up to 2²⁴ in `f32`), and with other spacings stay within a few ulps.
//!
//! A mask with no zero voxel has no distance to speak of; [`NoZero`] says what to return.
//!
//! The distance maps of the boundary-based losses are built on the same passes:
//! [`signed_maps`] (the signed maps of Kervadec et al.'s `one_hot2dist`) and
//! [`two_sided`] (MONAI's `HausdorffDTLoss.distance_field`).
//!
//! ```
//! use segloss::edt::Edt;
//! // a 3×4 grid, 2 mm between rows and 1 mm between columns, one zero voxel
//! let mask = [true, true, true, true, true, false, true, true, true, true, true, true];
//! let edt = Edt::new(&[3, 4], &[2.0, 1.0])?;
//! let mut ws = vec![0.0f64; edt.workspace_len()];
//! let mut out = [0.0f64; 12];
//! edt.run(&mask, &mut out, &mut ws)?;
//! assert_eq!(out[5], 0.0); // the zero voxel
//! assert_eq!(out[4], 1.0); // one column away
//! assert_eq!(out[1], 2.0); // one row away
//! assert!((out[11] - (4.0f64 + 4.0).sqrt()).abs() < 1e-12); // one row and two columns
//! # Ok::<(), segloss::Error>(())
//! ```

mod line;
mod separable;
mod signed;

pub(crate) use signed::{field, label_at, signed_map, two_sided_raw};

pub use signed::{signed_maps, two_sided, SignedMaps};

use crate::{Error, Real};
use separable::{columns_pass, first_pass, other_passes, Sides};

/// The largest extent `(size + 1) · spacing` of a grid axis: three axes' squared extents
/// (`3e36`) stay below `f32::MAX`, so the transform's sums of squares never overflow.
pub const MAX_EXTENT: f64 = 1e18;

/// What a transform returns when its mask has no zero voxel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoZero {
    /// scipy's answer: the distance to a virtual zero voxel just before the first voxel of
    /// the first axis, at index `(−1, 0, …, 0)`: `√(((i₀+1)·s₀)² + Σ_{a>0} (iₐ·sₐ)²)`.
    /// (`scipy.ndimage.distance_transform_edt` reports feature index `(−1, 0, …)` there.)
    #[default]
    Scipy,
    /// `+∞` everywhere: the infimum over no zero voxel (what the `edt` package returns).
    Infinity,
    /// 0 everywhere.
    Zero,
}

/// A validated grid: 1 to 3 sizes and their spacings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    dims: [usize; 3],
    spacing: [f64; 3],
    rank: usize,
    len: usize,
}

impl Grid {
    /// Checks and builds a grid; `spacing` has one finite, positive entry per axis, or is
    /// empty for unit spacing, and each axis's extent `(size + 1) · spacing` is at most
    /// [`MAX_EXTENT`], so that squared distances fit `f32` (finding F12: a spacing whose
    /// square overflows gave NaN distances).
    ///
    /// ```
    /// let g = segloss::edt::Grid::new(&[4, 5], &[])?;
    /// assert_eq!((g.len(), g.spacing()), (20, &[1.0, 1.0][..]));
    /// assert!(segloss::edt::Grid::new(&[4, 5], &[1.0, 0.0]).is_err());
    /// # Ok::<(), segloss::Error>(())
    /// ```
    pub fn new(dims: &[usize], spacing: &[f64]) -> Result<Self, Error> {
        let rank = dims.len();
        if !(1..=3).contains(&rank) {
            return Err(Error::SpatialRank { got: rank });
        }
        if dims.contains(&0) {
            return Err(Error::EmptyShape);
        }
        if !spacing.is_empty() && spacing.len() != rank {
            return Err(Error::SpacingCount {
                expected: rank,
                got: spacing.len(),
            });
        }
        if let Some(axis) = spacing.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::Spacing { axis });
        }
        // `+ 1`: scipy's virtual zero voxel sits one step before the first (`NoZero::Scipy`)
        let extent = |(&n, &s): (&usize, &f64)| (n as f64 + 1.0) * s;
        if dims.iter().zip(spacing).map(extent).any(|e| e > MAX_EXTENT) {
            return Err(Error::Parameter {
                name: "spacing",
                allowed: "(axis size + 1) x spacing <= 1e18 on every axis",
            });
        }
        let mut g = Grid {
            dims: [1; 3],
            spacing: [1.0; 3],
            rank,
            len: 1,
        };
        for (d, &n) in g.dims.iter_mut().zip(dims) {
            *d = n;
            g.len = g.len.checked_mul(n).ok_or(Error::ShapeOverflow)?;
        }
        for (d, &s) in g.spacing.iter_mut().zip(spacing) {
            *d = s;
        }
        Ok(g)
    }

    /// The sizes, slowest axis first (C order).
    pub fn dims(&self) -> &[usize] {
        self.dims.get(..self.rank).unwrap_or(&[])
    }

    /// The spacing of each axis.
    pub fn spacing(&self) -> &[f64] {
        self.spacing.get(..self.rank).unwrap_or(&[])
    }

    /// Voxels in the grid.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a grid has at least one voxel.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Elements of workspace a transform on this grid needs.
    pub fn workspace_len(&self) -> usize {
        separable::workspace_len(self)
    }
}

/// Elements of workspace [`Edt`] needs for a grid of sizes `dims` (0 for invalid sizes).
///
/// ```
/// assert_eq!(segloss::edt::workspace_len(&[100]), 0); // 1D needs none
/// assert!(segloss::edt::workspace_len(&[64, 64, 64]) > 0);
/// ```
pub fn workspace_len(dims: &[usize]) -> usize {
    Grid::new(dims, &[]).map_or(0, |g| g.workspace_len())
}

/// An exact Euclidean distance transform on one grid (see the [module](self) docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edt {
    grid: Grid,
    no_zero: NoZero,
    squared: bool,
}

impl Edt {
    /// A transform on a grid of sizes `dims` (slowest axis first) with per-axis `spacing`
    /// (empty: unit spacing).
    pub fn new(dims: &[usize], spacing: &[f64]) -> Result<Self, Error> {
        Ok(Edt::on(Grid::new(dims, spacing)?))
    }

    /// A transform on a validated grid.
    pub fn on(grid: Grid) -> Self {
        Edt {
            grid,
            no_zero: NoZero::Scipy,
            squared: false,
        }
    }

    /// What to return for a mask with no zero voxel (default [`NoZero::Scipy`]).
    pub fn with_no_zero(mut self, no_zero: NoZero) -> Self {
        self.no_zero = no_zero;
        self
    }

    /// Returns squared distances (no square root).
    pub fn squared(mut self) -> Self {
        self.squared = true;
        self
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Elements of workspace [`Edt::run`] needs.
    pub fn workspace_len(&self) -> usize {
        self.grid.workspace_len()
    }

    /// The distance of every voxel of `mask` (C order) to its nearest `false` voxel.
    pub fn run<T: Real>(&self, mask: &[bool], out: &mut [T], ws: &mut [T]) -> Result<(), Error> {
        if mask.len() != self.grid.len {
            return Err(Error::Length {
                what: crate::Buffer::Mask,
                expected: self.grid.len,
                got: mask.len(),
            });
        }
        self.run_by(|i| mask.get(i).copied().unwrap_or(false), out, ws)
    }

    /// The distance of every voxel `i` with `nonzero(i)` to the nearest voxel without.
    pub fn run_by<T: Real>(
        &self,
        nonzero: impl Fn(usize) -> bool,
        out: &mut [T],
        ws: &mut [T],
    ) -> Result<(), Error> {
        self.check(out, ws)?;
        if !self.first_rows(nonzero, 0, out) {
            fill_no_zero(&self.grid, self.no_zero, self.squared, out);
            return Ok(());
        }
        if self.squared {
            other_passes(&self.grid, out, ws, Sides::One, |x| x);
        } else {
            other_passes(&self.grid, out, ws, Sides::One, |x| x.sqrt());
        }
        Ok(())
    }

    fn check<T>(&self, out: &[T], ws: &[T]) -> Result<(), Error> {
        check_buffers(&self.grid, out, ws)
    }

    /// Voxels per row of the contiguous axis: [`Edt::first_rows`] takes whole rows.
    pub fn row_len(&self) -> usize {
        self.grid.dims().last().copied().unwrap_or(1).max(1)
    }

    /// The first of the transform's passes, on the whole rows `rows` of the output that
    /// start at flat index `at` (a multiple of [`Edt::row_len`]): loads the markers of
    /// `nonzero` and scans each row. True when the rows hold a zero voxel.
    ///
    /// With [`Edt::axis_passes`], [`Edt::columns`], [`Edt::root`] and
    /// [`Edt::fill_no_zero`], this is [`Edt::run_by`] in pieces that can run on separate
    /// threads (`segloss_std::edt`): each piece writes only its own voxels, so any split
    /// gives [`Edt::run_by`]'s bits.
    ///
    /// ```
    /// use segloss::edt::Edt;
    /// let edt = Edt::new(&[2, 3], &[])?;
    /// let mask = [true, true, true, true, false, true];
    /// let (mut whole, mut pieces) = ([0.0f32; 6], [0.0f32; 6]);
    /// edt.run(&mask, &mut whole, &mut vec![0.0; edt.workspace_len()])?;
    /// let (top, bottom) = pieces.split_at_mut(3); // one row each
    /// let seen = edt.first_rows(|i| mask[i], 0, top) | edt.first_rows(|i| mask[i], 3, bottom);
    /// assert!(seen);
    /// let mut ws = vec![0.0; edt.workspace_len()];
    /// for pass in edt.axis_passes() {
    ///     let (top, bottom) = pieces.split_at_mut(3);
    ///     let (a, b) = (top.split_at_mut(1), bottom.split_at_mut(1));
    ///     edt.columns(&pass, &mut [a.0, b.0], &mut ws)?; // column 0
    ///     edt.columns(&pass, &mut [a.1, b.1], &mut ws)?; // columns 1 and 2
    /// }
    /// assert_eq!(whole, pieces);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    pub fn first_rows<T: Real>(
        &self,
        nonzero: impl Fn(usize) -> bool,
        at: usize,
        rows: &mut [T],
    ) -> bool {
        let seen = first_pass(&self.grid, rows, Sides::One, |offset, row| {
            for (k, x) in row.iter_mut().enumerate() {
                *x = if nonzero(at + offset + k) {
                    T::one()
                } else {
                    T::zero()
                };
            }
        });
        seen.first
    }

    /// The passes after [`Edt::first_rows`], in the order they run (none for one axis).
    pub fn axis_passes(&self) -> impl Iterator<Item = AxisPass> + '_ {
        separable::axis_passes(&self.grid)
    }

    /// Runs `pass` on the lines that cross `rows`: the pass's [`AxisPass::n`] rows of one of
    /// its blocks, each cut to the same columns (the lines are the columns). The last pass
    /// also takes the square root, unless the transform is [`Edt::squared`]. `ws` holds at
    /// least [`Edt::workspace_len`] elements.
    pub fn columns<T: Real>(
        &self,
        pass: &AxisPass,
        rows: &mut [&mut [T]],
        ws: &mut [T],
    ) -> Result<(), Error> {
        let width = rows.first().map_or(0, |r| r.len());
        if rows.len() != pass.n || rows.iter().any(|r| r.len() != width) {
            return Err(Error::Length {
                what: crate::Buffer::PixelMap,
                expected: pass.n.saturating_mul(width),
                got: rows.iter().map(|r| r.len()).sum(),
            });
        }
        let needed = self.workspace_len();
        if ws.len() < needed {
            return Err(Error::Workspace {
                needed,
                got: ws.len(),
            });
        }
        let w = T::of(pass.weight);
        if pass.last && !self.squared {
            columns_pass(rows, width, ws, pass.n, w, Sides::One, &|x: T| x.sqrt());
        } else {
            columns_pass(rows, width, ws, pass.n, w, Sides::One, &|x| x);
        }
        Ok(())
    }

    /// The last step for a grid of one axis, which has no [`Edt::axis_passes`]: the square
    /// root of every value of `part`, unless the transform is [`Edt::squared`].
    pub fn root<T: Real>(&self, part: &mut [T]) {
        if !self.squared {
            part.iter_mut().for_each(|x| *x = x.sqrt());
        }
    }

    /// Fills `out` (the whole output) with the answer of [`Edt::with_no_zero`]'s policy, for
    /// a mask in which no [`Edt::first_rows`] saw a zero voxel.
    pub fn fill_no_zero<T: Real>(&self, out: &mut [T]) {
        fill_no_zero(&self.grid, self.no_zero, self.squared, out);
    }
}

/// One of the passes after the first of an [`Edt`]: the lines along one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisPass {
    /// Voxels per line: the axis's size.
    pub n: usize,
    /// Elements between neighbours on a line: the output is a sequence of blocks of
    /// `n · stride` elements, and each block holds `stride` lines, one per column of its
    /// `n` rows.
    pub stride: usize,
    /// The axis's squared spacing.
    weight: f64,
    /// True for the pass that finishes the transform.
    last: bool,
}

/// Checks an output of the grid's size and a long enough workspace.
pub(crate) fn check_buffers<T>(grid: &Grid, out: &[T], ws: &[T]) -> Result<(), Error> {
    if out.len() != grid.len {
        return Err(Error::Length {
            what: crate::Buffer::PixelMap,
            expected: grid.len,
            got: out.len(),
        });
    }
    let needed = grid.workspace_len();
    if ws.len() < needed {
        return Err(Error::Workspace {
            needed,
            got: ws.len(),
        });
    }
    Ok(())
}

/// The distance transform of `mask` on a grid of sizes `dims` with per-axis `spacing`:
/// shorthand for [`Edt::new`] then [`Edt::run`].
///
/// ```
/// let mut out = [0.0f32; 5];
/// segloss::edt::edt(&[true, true, false, true, true], &[5], &[0.5], &mut out, &mut [])?;
/// assert_eq!(out, [1.0, 0.5, 0.0, 0.5, 1.0]);
/// # Ok::<(), segloss::Error>(())
/// ```
pub fn edt<T: Real>(
    mask: &[bool],
    dims: &[usize],
    spacing: &[f64],
    out: &mut [T],
    ws: &mut [T],
) -> Result<(), Error> {
    Edt::new(dims, spacing)?.run(mask, out, ws)
}

/// Fills `out` with the answer of `policy` for a mask with no zero voxel.
fn fill_no_zero<T: Real>(grid: &Grid, policy: NoZero, squared: bool, out: &mut [T]) {
    match policy {
        NoZero::Infinity => out.fill(T::infinity()),
        NoZero::Zero => out.fill(T::zero()),
        NoZero::Scipy => {
            // Squared distance per axis to the virtual voxel (−1, 0, …, 0), summed.
            let dims = grid.dims();
            let sp = grid.spacing();
            let axis_sq = |axis: usize, i: usize| {
                let s = sp.get(axis).copied().unwrap_or(1.0);
                let k = if axis == 0 { i + 1 } else { i } as f64 * s;
                k * k
            };
            let inner: usize = dims.iter().skip(1).product();
            for (i0, slab) in out.chunks_exact_mut(inner.max(1)).enumerate() {
                let a0 = axis_sq(0, i0);
                let n_last = if dims.len() > 1 {
                    dims.last().copied().unwrap_or(1)
                } else {
                    1
                };
                for (rest, row) in slab.chunks_exact_mut(n_last.max(1)).enumerate() {
                    let a1 = if dims.len() == 3 {
                        axis_sq(1, rest)
                    } else {
                        0.0
                    };
                    for (k, x) in row.iter_mut().enumerate() {
                        let a2 = if dims.len() > 1 {
                            axis_sq(dims.len() - 1, k)
                        } else {
                            0.0
                        };
                        let d2 = a0 + a1 + a2;
                        *x = T::of(if squared { d2 } else { libm::sqrt(d2) });
                    }
                }
            }
        }
    }
}
