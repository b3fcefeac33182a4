//! Boundary voxels, their distances to the other boundary (exact EDT on the bounding box of
//! the two masks), and the surface metrics: Hausdorff distance, its percentiles, NSD.

use super::LabelMaps;
use crate::edt::{Edt, Grid};
use crate::Error;

/// Elements of workspace a [`Surface`] needs on `grid`: the distance map and the two lists
/// of boundary distances (each at most the voxels of the box), and the EDT's scratch.
pub(super) fn workspace_len(grid: &Grid) -> usize {
    grid.len()
        .saturating_mul(3)
        .saturating_add(grid.workspace_len())
}

/// The boundaries of one class in a sample of the prediction and the truth, and the distance
/// of each boundary voxel to the nearest voxel of the other boundary (see the
/// [module](super) docs for the definitions and MONAI's conventions).
#[derive(Debug, PartialEq)]
pub struct Surface<'w> {
    pred_to_truth: &'w [f64],
    truth_to_pred: &'w [f64],
    pred_empty: bool,
    truth_empty: bool,
}

impl Surface<'_> {
    /// Distances from each predicted boundary voxel to the true boundary, ascending (empty
    /// when either mask is empty).
    pub fn pred_to_truth(&self) -> &[f64] {
        self.pred_to_truth
    }

    /// Distances from each true boundary voxel to the predicted boundary, ascending (empty
    /// when either mask is empty).
    pub fn truth_to_pred(&self) -> &[f64] {
        self.truth_to_pred
    }

    /// True when the class is absent from the prediction.
    pub fn pred_empty(&self) -> bool {
        self.pred_empty
    }

    /// True when the class is absent from the truth.
    pub fn truth_empty(&self) -> bool {
        self.truth_empty
    }

    /// The symmetric Hausdorff distance (`None`) or the larger of the two directed
    /// `percentile`s (`Some(95.0)`: HD95), as MONAI's `compute_hausdorff_distance`.
    ///
    /// Both masks empty: NaN. One empty: `+∞` for `None`, NaN with a percentile (MONAI's
    /// `torch.quantile` of infinities). As in MONAI, a percentile of 0 (falsy in Python)
    /// gives the maximum. `percentile` must lie in `[0, 100]` ([`Error::Parameter`]).
    pub fn hausdorff(&self, percentile: Option<f64>) -> Result<f64, Error> {
        if let Some(p) = percentile {
            if !(0.0..=100.0).contains(&p) {
                return Err(Error::Parameter {
                    name: "percentile",
                    allowed: "between 0 and 100",
                });
            }
        }
        let q = percentile.filter(|&p| p != 0.0).map(|p| p / 100.0);
        Ok(match (self.pred_empty, self.truth_empty) {
            (true, true) => f64::NAN,
            (false, false) => quantile(self.pred_to_truth, q).max(quantile(self.truth_to_pred, q)),
            _ if q.is_some() => f64::NAN,
            _ => f64::INFINITY,
        })
    }

    /// HD95: [`Surface::hausdorff`] at the 95th percentile.
    pub fn hd95(&self) -> f64 {
        self.hausdorff(Some(95.0)).unwrap_or(f64::NAN)
    }

    /// The normalised surface Dice at tolerance `tau` (in the spacing's unit), as MONAI's
    /// `compute_surface_dice`: the boundary voxels of both masks within `tau` of the other
    /// boundary, over all boundary voxels. Both masks empty: NaN; one empty: 0. `tau` must be
    /// finite and `≥ 0` ([`Error::Parameter`]).
    pub fn nsd(&self, tau: f64) -> Result<f64, Error> {
        if !(tau.is_finite() && tau >= 0.0) {
            return Err(Error::Parameter {
                name: "tau",
                allowed: "finite and >= 0",
            });
        }
        Ok(match (self.pred_empty, self.truth_empty) {
            (true, true) => f64::NAN,
            (false, false) => {
                let within = |d: &[f64]| d.partition_point(|&x| x <= tau);
                let good = within(self.pred_to_truth) + within(self.truth_to_pred);
                let all = self.pred_to_truth.len() + self.truth_to_pred.len();
                good as f64 / all as f64
            }
            _ => 0.0,
        })
    }
}

/// The maximum (`None`) or the `q`-quantile of ascending `d`, as `torch.quantile` with linear
/// interpolation; NaN for no value.
fn quantile(d: &[f64], q: Option<f64>) -> f64 {
    let Some(q) = q else {
        return d.last().copied().unwrap_or(f64::NAN);
    };
    let Some(last) = d.len().checked_sub(1) else {
        return f64::NAN;
    };
    let rank = q * last as f64;
    let lo = (rank as usize).min(last);
    let hi = (lo + 1).min(last);
    let w = rank - lo as f64;
    let (a, b) = (
        d.get(lo).copied().unwrap_or(f64::NAN),
        d.get(hi).copied().unwrap_or(f64::NAN),
    );
    // torch.lerp's two forms
    if w < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

/// A sample's grid padded to three axes (leading axes of size 1 are not real: they have no
/// border).
#[derive(Clone, Copy)]
struct Geo {
    n: [usize; 3],
    rank: usize,
}

impl Geo {
    fn coords(&self, i: usize) -> [usize; 3] {
        let [_, n1, n2] = self.n;
        [i / (n1 * n2), (i / n2) % n1, i % n2]
    }

    fn index(&self, [p0, p1, p2]: [usize; 3]) -> usize {
        let [_, n1, n2] = self.n;
        (p0 * n1 + p1) * n2 + p2
    }

    /// True when voxel `p` is inside the mask and has a face neighbour outside it or outside
    /// the image (on a real axis).
    fn is_edge(&self, inside: &impl Fn(usize) -> bool, p: [usize; 3]) -> bool {
        if !inside(self.index(p)) {
            return false;
        }
        let axes = p.iter().zip(self.n.iter()).enumerate();
        for (a, (&c, &len)) in axes.skip(3 - self.rank) {
            if c == 0 || c + 1 >= len {
                return true;
            }
            for nb in [c - 1, c + 1] {
                let mut q = p;
                if let Some(x) = q.get_mut(a) {
                    *x = nb;
                }
                if !inside(self.index(q)) {
                    return true;
                }
            }
        }
        false
    }
}

/// The surface of class `class` in sample `sample`; `ws` is at least [`workspace_len`] long.
pub(super) fn compute<'w>(
    maps: &LabelMaps<'_>,
    sample: usize,
    class: i64,
    ws: &'w mut [f64],
) -> Result<Surface<'w>, Error> {
    let grid = maps.grid;
    let rank = grid.dims().len();
    let mut n = [1usize; 3];
    let mut spacing = [1.0f64; 3];
    let pad = 3 - rank;
    for ((d, s), (&dim, &sp)) in n
        .iter_mut()
        .zip(spacing.iter_mut())
        .skip(pad)
        .zip(grid.dims().iter().zip(grid.spacing()))
    {
        *d = dim;
        *s = sp;
    }
    let geo = Geo { n, rank };
    let base = sample * grid.len();
    let pred = |i: usize| maps.pred_at(base + i) == class;
    let truth = |i: usize| maps.truth_at(base + i) == class;

    // The bounding box of both masks: the nearest boundary voxel of either lies inside it.
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    let (mut has_pred, mut has_truth) = (false, false);
    for i in 0..grid.len() {
        let (p, t) = (pred(i), truth(i));
        has_pred |= p;
        has_truth |= t;
        if p || t {
            let c = geo.coords(i);
            for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(c.iter()) {
                *l = (*l).min(x);
                *h = (*h).max(x + 1);
            }
        }
    }
    if !(has_pred && has_truth) {
        return Ok(Surface {
            pred_to_truth: &[],
            truth_to_pred: &[],
            pred_empty: !has_pred,
            truth_empty: !has_truth,
        });
    }

    let mut dims = [1usize; 3];
    for ((d, &l), &h) in dims.iter_mut().zip(lo.iter()).zip(hi.iter()) {
        *d = h - l;
    }
    let boxed = Geo { n: dims, rank };
    let full = |k: usize| {
        let [a, b, c] = boxed.coords(k);
        let [l0, l1, l2] = lo;
        [a + l0, b + l1, c + l2]
    };
    let pred_edge = |k: usize| geo.is_edge(&pred, full(k));
    let truth_edge = |k: usize| geo.is_edge(&truth, full(k));

    let box_grid = Grid::new(
        dims.get(pad..).unwrap_or(&[]),
        spacing.get(pad..).unwrap_or(&[]),
    )?;
    let edt = Edt::on(box_grid);
    let len = box_grid.len();
    let (map, rest) = ws.split_at_mut(len.min(ws.len()));
    let scratch_len = grid.workspace_len().min(rest.len());
    let (scratch, lists) = rest.split_at_mut(scratch_len);

    // Distances of the predicted boundary to the true one, then the other way.
    edt.run_by(|k| !truth_edge(k), map, scratch)?;
    let np = gather(map, &pred_edge, lists);
    let (to_truth, lists) = lists.split_at_mut(np.min(lists.len()));
    edt.run_by(|k| !pred_edge(k), map, scratch)?;
    let nt = gather(map, &truth_edge, lists);
    let (to_pred, _) = lists.split_at_mut(nt.min(lists.len()));
    to_truth.sort_unstable_by(f64::total_cmp);
    to_pred.sort_unstable_by(f64::total_cmp);
    Ok(Surface {
        pred_to_truth: to_truth,
        truth_to_pred: to_pred,
        pred_empty: false,
        truth_empty: false,
    })
}

/// Copies `map` at the voxels where `keep` holds into the front of `out`; returns how many.
fn gather(map: &[f64], keep: &impl Fn(usize) -> bool, out: &mut [f64]) -> usize {
    let mut slots = out.iter_mut();
    let mut count = 0;
    for (k, &d) in map.iter().enumerate() {
        if keep(k) {
            if let Some(o) = slots.next() {
                *o = d;
                count += 1;
            }
        }
    }
    count
}
