//! The distance penalty map `D` of distance-penalised cross entropy (Caliva et al.), as the
//! paper's code computes it, for [`Dpce`](super::Dpce).

use crate::edt::Grid;
use crate::{Error, Labels, Real};

/// The penalty map `D` of [`Dpce`](super::Dpce) from labels, per sample, following
/// `compute_edts_forPenalizedLoss` of the paper's code (JunMa11/SegLossOdyssey,
/// `losses_pytorch/boundary_loss.py`), which its `DisPenalizedCE` weights by `1 + D`:
/// with `fg = label > 0` (the code's `target > 0.5`), `d` every voxel's distance to the
/// nearest voxel of the other side, and per side `M = max d`, `m = min d` over the side,
/// `D = (M − d) / (M − m)`: 1 on the voxels nearest the boundary, falling to 0 on the
/// deepest ones, on both sides.
///
/// Where the code divides by zero this returns: `D = 0` for a sample with no boundary (all
/// foreground or all background; the code gives NaN), and `D = 1` on a side whose voxels are
/// all at the same distance (`M = m`, every voxel of the side touches the boundary; NaN in
/// the code). Labels equal to the ignore index count as background.
///
/// Labels have shape `(B, spatial…)`; so has the map.
///
/// ```
/// use segloss::losses::DpcePenalty;
/// let labels = [0u8, 0, 0, 1, 1, 1, 1, 1];
/// let mut d = [0.0f64; 8];
/// DpcePenalty::new(1, &[8], &[])?.run(&labels, &mut d, &mut [])?;
/// // background distances 3, 2, 1 → (3 − d)/2; foreground 1..5 → (5 − d)/4
/// assert_eq!(d, [0.0, 0.5, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0]);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DpcePenalty {
    batch: usize,
    grid: Grid,
    ignore_index: Option<i64>,
}

impl DpcePenalty {
    /// The map of `batch` samples of sizes `spatial` with per-axis `spacing` (empty: 1).
    pub fn new(batch: usize, spatial: &[usize], spacing: &[f64]) -> Result<Self, Error> {
        if batch == 0 {
            return Err(Error::EmptyShape);
        }
        let grid = Grid::new(spatial, spacing)?;
        batch.checked_mul(grid.len()).ok_or(Error::ShapeOverflow)?;
        Ok(DpcePenalty {
            batch,
            grid,
            ignore_index: None,
        })
    }

    /// Pixels with this label count as background.
    pub fn with_ignore_index(mut self, index: i64) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Elements of workspace [`DpcePenalty::run`] needs.
    pub fn workspace_len(&self) -> usize {
        self.grid.workspace_len()
    }

    /// Writes the map of `labels` into `out`, both of shape `(B, spatial…)`.
    pub fn run<'l, T: Real>(
        &self,
        labels: impl Into<Labels<'l>>,
        out: &mut [T],
        ws: &mut [T],
    ) -> Result<(), Error> {
        let labels = labels.into();
        let n = self.grid.len();
        let expected = self.batch * n;
        if labels.len() != expected {
            return Err(Error::Length {
                what: crate::Buffer::Target,
                expected,
                got: labels.len(),
            });
        }
        if out.len() != expected {
            return Err(Error::Length {
                what: crate::Buffer::PixelMap,
                expected,
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
        for (b, map) in out.chunks_exact_mut(n).enumerate() {
            let seen = crate::edt::two_sided_raw(&self.grid, map, ws, |at, row| {
                for (k, x) in row.iter_mut().enumerate() {
                    let l = crate::edt::label_at(labels, b * n + at + k);
                    let fg = matches!(l, Some(l) if l > 0 && Some(l) != self.ignore_index);
                    *x = if fg { T::one() } else { T::zero() };
                }
            });
            if !(seen.first && seen.second) {
                map.fill(T::zero());
                continue;
            }
            normalise(map);
        }
        Ok(())
    }
}

/// Turns a two-sided map (`±d²`, signed by side) into `(M − d)/(M − m)` per side.
fn normalise<T: Real>(map: &mut [T]) {
    let inf = T::infinity();
    // (min, max) of d² on the foreground (positive) and background (negative) sides
    let (mut fg, mut bg) = ((inf, T::zero()), (inf, T::zero()));
    for &x in map.iter() {
        let side = if x > T::zero() { &mut fg } else { &mut bg };
        let d2 = x.abs();
        side.0 = side.0.min(d2);
        side.1 = side.1.max(d2);
    }
    let scale = |(lo, hi): (T, T)| (hi.sqrt(), hi.sqrt() - lo.sqrt());
    let (fg_max, fg_range) = scale(fg);
    let (bg_max, bg_range) = scale(bg);
    for x in map.iter_mut() {
        let (max, range) = if *x > T::zero() {
            (fg_max, fg_range)
        } else {
            (bg_max, bg_range)
        };
        *x = if range > T::zero() {
            (max - x.abs().sqrt()) / range
        } else {
            T::one()
        };
    }
}

/// The penalty map of `labels` (`(B, spatial…)`) on samples of sizes `spatial`:
/// shorthand for [`DpcePenalty::new`] then [`DpcePenalty::run`].
pub fn dpce_penalty<'l, T: Real>(
    labels: impl Into<Labels<'l>>,
    spatial: &[usize],
    spacing: &[f64],
    out: &mut [T],
    ws: &mut [T],
) -> Result<(), Error> {
    let labels = labels.into();
    let n = Grid::new(spatial, spacing)?.len();
    let batch = labels.len() / n;
    if batch * n != labels.len() {
        return Err(Error::Length {
            what: crate::Buffer::Target,
            expected: batch.max(1) * n,
            got: labels.len(),
        });
    }
    DpcePenalty::new(batch, spatial, spacing)?.run(labels, out, ws)
}
