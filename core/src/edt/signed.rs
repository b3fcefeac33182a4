//! Two-sided distance maps: every voxel's distance to the nearest voxel of the other side,
//! and from it the signed maps of the boundary loss and the field of the Hausdorff loss.

use super::separable::{first_pass, other_passes, Seen, Sides};
use super::{check_buffers, Grid, NoZero};
use crate::{Error, Labels, Real, Shape};

/// Runs the two-sided passes: `out` ends with `+d²` on foreground voxels and `−d²` on
/// background ones, `d` the distance to the nearest voxel of the other side. When one side is
/// empty the lower-envelope passes are skipped and `out` holds `±∞`.
///
/// `fill(offset, row)` loads the markers of a row (positive: foreground); it may read the
/// row's current content, which lets a probability map be thresholded in place.
pub(crate) fn two_sided_raw<T: Real>(
    grid: &Grid,
    out: &mut [T],
    ws: &mut [T],
    fill: impl FnMut(usize, &mut [T]),
) -> Seen {
    let seen = first_pass(grid, out, Sides::Two, fill);
    if seen.first && seen.second {
        other_passes(grid, out, ws, Sides::Two, |x| x);
    }
    seen
}

/// MONAI's `HausdorffDTLoss.distance_field` of one mask: every voxel's distance to the
/// nearest voxel of the other side (`edt(fg) + edt(bg)`), raised to `power`; all zeros when
/// the mask is all foreground or all background. Returns whether the mask had both sides.
///
/// `foreground(i)` tells the side of voxel `i` (C order). `power` 2 is exact (no square
/// root is taken). Values saturate at [`Real::GRAD_LIMIT`] (a large spacing or `power`
/// overflows `f32`: finding F8).
///
/// ```
/// use segloss::edt::{two_sided, Grid};
/// let grid = Grid::new(&[6], &[])?;
/// let fg = [false, false, true, true, false, false];
/// let mut out = [0.0f64; 6];
/// assert!(two_sided(&grid, |i| fg[i], 1.0, &mut out, &mut [])?);
/// assert_eq!(out, [2.0, 1.0, 1.0, 1.0, 1.0, 2.0]);
/// # Ok::<(), segloss::Error>(())
/// ```
pub fn two_sided<T: Real>(
    grid: &Grid,
    foreground: impl Fn(usize) -> bool,
    power: f64,
    out: &mut [T],
    ws: &mut [T],
) -> Result<bool, Error> {
    check_buffers(grid, out, ws)?;
    if !(power.is_finite() && power > 0.0) {
        return Err(Error::Parameter {
            name: "power",
            allowed: "finite and > 0",
        });
    }
    Ok(field(grid, power, out, ws, |at, row| {
        for (k, x) in row.iter_mut().enumerate() {
            *x = if foreground(at + k) {
                T::one()
            } else {
                T::zero()
            };
        }
    }))
}

/// [`two_sided`] with the markers loaded by `fill` (see [`two_sided_raw`]).
pub(crate) fn field<T: Real>(
    grid: &Grid,
    power: f64,
    out: &mut [T],
    ws: &mut [T],
    fill: impl FnMut(usize, &mut [T]),
) -> bool {
    let seen = two_sided_raw(grid, out, ws, fill);
    if !(seen.first && seen.second) {
        out.fill(T::zero());
        return false;
    }
    if power == 2.0 {
        let limit = T::of(T::GRAD_LIMIT);
        out.iter_mut().for_each(|x| *x = x.abs().min(limit));
    } else {
        // `d^power` in `f64`: it overflows `f32` long before the distance does
        let half = power / 2.0;
        out.iter_mut()
            .for_each(|x| *x = T::of_grad(libm::pow(x.wide().abs(), half)));
    }
    true
}

/// The signed map of one class (`one_hot2dist` of Kervadec et al.) from markers loaded by
/// `fill` (positive: the class): `d` outside the class, `−(d − 1)` inside, `d` the distance to
/// the nearest voxel on the other side; 0 everywhere when the class is absent. A class that
/// fills the grid follows `no_zero` (see [`SignedMaps::with_no_zero`]).
pub(crate) fn signed_map<T: Real>(
    grid: &Grid,
    no_zero: NoZero,
    out: &mut [T],
    ws: &mut [T],
    fill: impl FnMut(usize, &mut [T]),
) {
    let seen = two_sided_raw(grid, out, ws, fill);
    let one = T::one();
    if !seen.first {
        out.fill(T::zero());
    } else if !seen.second {
        match no_zero {
            NoZero::Zero => out.fill(T::zero()),
            NoZero::Infinity => out.fill(T::neg_infinity()),
            NoZero::Scipy => {
                super::fill_no_zero(grid, NoZero::Scipy, false, out);
                out.iter_mut().for_each(|x| *x = one - *x);
            }
        }
    } else {
        for x in out.iter_mut() {
            *x = if *x > T::zero() {
                one - x.sqrt()
            } else {
                (-*x).sqrt()
            };
        }
    }
}

/// Signed distance maps per class, in the convention of the boundary loss's authors
/// (Kervadec et al., `utils.one_hot2dist` of LIVIAETS/boundary-loss): for each sample and
/// class `c`, with `pos = (label == c)` and `neg = !pos`,
/// `φ = edt(neg, spacing)·neg − (edt(pos, spacing) − 1)·pos`, and `φ = 0` for a class absent
/// from the sample. The `− 1` is not scaled by the spacing, as in the authors' code.
///
/// Labels have shape `(B, spatial…)`, the maps `(B, C, spatial…)`.
///
/// ```
/// use segloss::{edt::SignedMaps, Shape};
/// let labels = [0u8, 1, 1, 1, 0, 0];
/// let maps = SignedMaps::new(Shape::new(1, 2, &[6])?, &[])?;
/// let mut out = [0.0f32; 12];
/// maps.run(&labels, &mut out, &mut [])?;
/// assert_eq!(out[6..], [1.0, 0.0, -1.0, 0.0, 1.0, 2.0]); // class 1
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignedMaps {
    shape: Shape,
    grid: Grid,
    no_zero: NoZero,
    ignore_index: Option<i64>,
}

impl SignedMaps {
    /// Maps for a batch of `shape` `(B, C, spatial…)` with per-axis `spacing` (empty: 1).
    pub fn new(shape: Shape, spacing: &[f64]) -> Result<Self, Error> {
        Ok(SignedMaps {
            shape,
            grid: Grid::new(shape.spatial(), spacing)?,
            no_zero: NoZero::Scipy,
            ignore_index: None,
        })
    }

    /// What a class covering a whole sample gets (no voxel outside it): the authors'
    /// `−(edt(pos) − 1)` with scipy's distances ([`NoZero::Scipy`], the default),
    /// `−∞` ([`NoZero::Infinity`]) or 0 like an absent class ([`NoZero::Zero`]).
    pub fn with_no_zero(mut self, no_zero: NoZero) -> Self {
        self.no_zero = no_zero;
        self
    }

    /// Pixels with this label belong to no class (they are outside every class).
    pub fn with_ignore_index(mut self, index: i64) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// The grid of one sample.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Elements of workspace [`SignedMaps::run`] needs.
    pub fn workspace_len(&self) -> usize {
        self.grid.workspace_len()
    }

    /// Writes the maps of `labels` (`(B, spatial…)`) into `out` (`(B, C, spatial…)`).
    pub fn run<'l, T: Real>(
        &self,
        labels: impl Into<Labels<'l>>,
        out: &mut [T],
        ws: &mut [T],
    ) -> Result<(), Error> {
        let labels = labels.into();
        let n = self.grid.len();
        let classes = self.shape.classes();
        check_labels(labels, self.shape, self.ignore_index)?;
        if out.len() != self.shape.elements() {
            return Err(Error::Length {
                what: crate::Buffer::PixelMap,
                expected: self.shape.elements(),
                got: out.len(),
            });
        }
        let needed = self.workspace_len();
        if ws.len() < needed {
            return Err(Error::Workspace {
                needed,
                got: ws.len(),
            });
        }
        for (slot, bc) in out.chunks_exact_mut(n.max(1)).zip(0..) {
            let (b, c) = (bc / classes, (bc % classes) as i64);
            signed_map(&self.grid, self.no_zero, slot, ws, |at, row| {
                for (k, x) in row.iter_mut().enumerate() {
                    let l = label_at(labels, b * n + at + k);
                    *x = if l == Some(c) { T::one() } else { T::zero() };
                }
            });
        }
        Ok(())
    }
}

/// The signed maps of `labels`: shorthand for [`SignedMaps::new`] then [`SignedMaps::run`].
pub fn signed_maps<'l, T: Real>(
    labels: impl Into<Labels<'l>>,
    shape: Shape,
    spacing: &[f64],
    out: &mut [T],
    ws: &mut [T],
) -> Result<(), Error> {
    SignedMaps::new(shape, spacing)?.run(labels, out, ws)
}

/// The label at flat index `i`, widened.
#[inline]
pub(crate) fn label_at(labels: Labels<'_>, i: usize) -> Option<i64> {
    match labels {
        Labels::U8(x) => x.get(i).map(|&l| i64::from(l)),
        Labels::U16(x) => x.get(i).map(|&l| i64::from(l)),
        Labels::U32(x) => x.get(i).map(|&l| i64::from(l)),
        Labels::I32(x) => x.get(i).map(|&l| i64::from(l)),
        Labels::I64(x) => x.get(i).copied(),
    }
}

/// Checks the length and range of a label buffer of `shape`.
pub(crate) fn check_labels(
    labels: Labels<'_>,
    shape: Shape,
    ignore_index: Option<i64>,
) -> Result<(), Error> {
    if labels.len() != shape.pixels() {
        return Err(Error::Length {
            what: crate::Buffer::Target,
            expected: shape.pixels(),
            got: labels.len(),
        });
    }
    let classes = shape.classes();
    for index in 0..labels.len() {
        if let Some(label) = label_at(labels, index) {
            if Some(label) != ignore_index && !(0..classes as i64).contains(&label) {
                return Err(Error::LabelOutOfRange {
                    index,
                    label,
                    classes,
                });
            }
        }
    }
    Ok(())
}
