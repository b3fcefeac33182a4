//! Evaluation metrics of hard label maps, per sample and class: Dice, IoU, the Hausdorff
//! distance (HD, HD95) and the normalised surface Dice (NSD), with voxel spacing and without
//! allocation.
//!
//! The inputs are two label maps of shape `(B, spatial…)` (1 to 3 spatial axes): the
//! prediction (for example the arg-max of the logits) and the ground truth, with labels in
//! `0..C`. [`LabelMaps`] validates them once; then
//!
//! - [`LabelMaps::overlap`] counts, in one pass over a sample, every class's true positives,
//!   predicted and true pixels ([`Overlap`]), from which [`ClassCounts::dice`] and
//!   [`ClassCounts::iou`] follow;
//! - [`LabelMaps::surface`] finds the boundary voxels of one class in the prediction and in the
//!   truth and the distance of each to the nearest boundary voxel of the other
//!   ([`Surface`]), with the core's exact EDT on the bounding box of the two masks, in a
//!   caller workspace of [`LabelMaps::workspace_len`] elements. [`Surface::hausdorff`] and
//!   [`Surface::nsd`] read them.
//!
//! # Definitions and MONAI's conventions
//!
//! The numbers are those of MONAI 1.6's functions (`monai.metrics`), empty cases included;
//! `tests/golden/metrics.json` holds MONAI's values (`scripts/golden/gen_metrics.py`).
//! Write `P` and `G` for the voxels of class `c` in the prediction and the truth of a sample.
//!
//! | metric | definition | `G` empty, `P` empty | only one empty | MONAI |
//! |---|---|---|---|---|
//! | Dice | `2·|P∩G| / (|P| + |G|)` | NaN (`ignore_empty`), else 1 | `G` empty: NaN (`ignore_empty`), else 0; `P` empty: 0 | `compute_dice` |
//! | IoU | `|P∩G| / |P∪G|` | NaN (`ignore_empty`), else 1 | as Dice | `compute_iou` |
//! | HD | `max(max_{p∈∂P} d(p, ∂G), max_{g∈∂G} d(g, ∂P))` | NaN | `+∞` | `compute_hausdorff_distance` |
//! | HD95 | the same with the 95th percentile of each direction | NaN | NaN (see below) | `compute_hausdorff_distance(percentile=95)` |
//! | NSD at `τ` | `(|{p∈∂P: d(p,∂G) ≤ τ}| + |{g∈∂G: d(g,∂P) ≤ τ}|) / (|∂P| + |∂G|)` | NaN | 0 | `compute_surface_dice` |
//!
//! - **Boundary** `∂M`: the voxels of `M` with a face neighbour (4-connectivity in 2D,
//!   6 in 3D, 2 in 1D) outside `M` or outside the image: MONAI's `get_mask_edges`, which is
//!   `M xor binary_erosion(M)` with scipy's default cross-shaped structure and border 0. A
//!   boundary is a set of voxels (MONAI's default `use_subvoxels=False`): NSD counts voxels,
//!   not surface areas.
//! - **Distances** are Euclidean between voxel centres, scaled by the spacing
//!   (`√Σ_a ((i_a − j_a)·s_a)²`); `d(p, ∂G)` is the distance from `p` to the nearest voxel of
//!   `∂G` (MONAI's `get_surface_distance` between the two edge sets; a KD-tree there, the
//!   exact EDT of the other boundary here).
//! - **Percentiles** interpolate linearly between order statistics as `torch.quantile`:
//!   rank `q·(n − 1)` for `q = percentile / 100`, and `torch.lerp`'s form of the
//!   interpolation. The HD95 of MONAI is the larger of the two directed percentiles
//!   (`directed=False`).
//! - **Empty masks.** When one of `P`, `G` is empty MONAI measures the distances to an empty
//!   set as `+∞`: HD is `+∞`, NSD is 0, and HD95 comes out **NaN**, because
//!   `torch.quantile` interpolates `∞ + w·(∞ − ∞)`. That last value is an artefact of MONAI's
//!   code rather than a convention, but it is what a MONAI pipeline reports (and its
//!   `HausdorffDistanceMetric` then leaves the case out of its mean, as every NaN); this
//!   module returns the same. When both are empty all surface metrics are NaN (the class is
//!   absent: MONAI's metrics skip it in their means).
//! - **Dice and IoU**: MONAI's default `ignore_empty=True` gives NaN whenever `G` is empty;
//!   `ignore_empty=False` scores an empty `G` 1 if `P` is empty too, else 0.
//! - NaN here means *undefined, leave it out of the mean*, as in MONAI; nothing else returns
//!   NaN, and every input is validated first (lengths, label ranges, spacing, the percentile
//!   and `τ`).
//!
//! Not supported: an ignore index or a mask (MONAI's metrics treat `ignore_index`
//! differently from one function to the next), sub-voxel surfaces (`use_subvoxels=True`),
//! and the chessboard and taxicab distances.
//!
//! ```
//! use segloss::metrics::LabelMaps;
//! use segloss::Shape;
//! // one 4×6 sample, two classes; the prediction is the truth shifted right by one column
//! let truth = [0u8, 0, 0, 0, 0, 0,
//!              0, 1, 1, 0, 0, 0,
//!              0, 1, 1, 0, 0, 0,
//!              0, 0, 0, 0, 0, 0];
//! let pred =  [0u8, 0, 0, 0, 0, 0,
//!              0, 0, 1, 1, 0, 0,
//!              0, 0, 1, 1, 0, 0,
//!              0, 0, 0, 0, 0, 0];
//! let maps = LabelMaps::new(&pred, &truth, Shape::new(1, 2, &[4, 6])?, &[])?;
//! let counts = maps.overlap(0)?.class(1);
//! assert_eq!(counts.dice(true), 0.5); // 2·2 / (4 + 4)
//! assert_eq!(counts.iou(true), 2.0 / 6.0);
//! let mut ws = vec![0.0; maps.workspace_len()];
//! let surface = maps.surface(0, 1, &mut ws)?;
//! assert_eq!(surface.hausdorff(None)?, 1.0);
//! assert_eq!(surface.nsd(0.5)?, 0.5); // the shared column is within 0.5, the others are not
//! # Ok::<(), segloss::Error>(())
//! ```

mod overlap;
mod surface;

pub use overlap::{ClassCounts, Overlap};
pub use surface::Surface;

use crate::edt::Grid;
use crate::{Buffer, Error, Labels, Shape};

/// A validated pair of label maps (prediction, truth) of shape `(B, spatial…)` with labels in
/// `0..C`, and the voxel spacing. See the [module](self) docs for the metrics.
#[derive(Clone, Copy, Debug)]
pub struct LabelMaps<'a> {
    pred: Labels<'a>,
    truth: Labels<'a>,
    shape: Shape,
    grid: Grid,
}

impl<'a> LabelMaps<'a> {
    /// Checks and wraps the predicted and true label maps of `shape` (`(B, C, spatial…)`:
    /// the maps hold `B · spatial` labels in `0..C`) with per-axis `spacing` (empty: unit
    /// spacing).
    ///
    /// Errors: a map's length ([`Error::Length`] naming [`Buffer::Prediction`] or
    /// [`Buffer::Target`]), a label outside `0..C` ([`Error::LabelOutOfRange`]; the truth is
    /// checked before the prediction, and the index is into the map being checked), the
    /// spacing ([`Error::SpacingCount`], [`Error::Spacing`]).
    pub fn new(
        pred: impl Into<Labels<'a>>,
        truth: impl Into<Labels<'a>>,
        shape: Shape,
        spacing: &[f64],
    ) -> Result<Self, Error> {
        let (pred, truth) = (pred.into(), truth.into());
        let grid = Grid::new(shape.spatial(), spacing)?;
        for (labels, what) in [(truth, Buffer::Target), (pred, Buffer::Prediction)] {
            if labels.len() != shape.pixels() {
                return Err(Error::Length {
                    what,
                    expected: shape.pixels(),
                    got: labels.len(),
                });
            }
        }
        for labels in [truth, pred] {
            check_range(labels, shape.classes())?;
        }
        Ok(LabelMaps {
            pred,
            truth,
            shape,
            grid,
        })
    }

    /// The shape the maps were checked against.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The grid of one sample (sizes and spacing).
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Elements of `f64` workspace [`LabelMaps::surface`] needs: three times the pixels of a
    /// sample plus the EDT's scratch.
    pub fn workspace_len(&self) -> usize {
        surface::workspace_len(&self.grid)
    }

    /// Every class's counts in sample `sample` (one pass over its pixels).
    pub fn overlap(&self, sample: usize) -> Result<Overlap, Error> {
        self.check_sample(sample)?;
        Ok(overlap::count(self, sample))
    }

    /// The boundaries of class `class` in sample `sample` and their distances to each other.
    ///
    /// `workspace` needs [`LabelMaps::workspace_len`] elements; the result borrows it.
    pub fn surface<'w>(
        &self,
        sample: usize,
        class: usize,
        workspace: &'w mut [f64],
    ) -> Result<Surface<'w>, Error> {
        self.check_sample(sample)?;
        if class >= self.shape.classes() {
            return Err(Error::Parameter {
                name: "class",
                allowed: "less than the number of classes",
            });
        }
        let needed = self.workspace_len();
        if workspace.len() < needed {
            return Err(Error::Workspace {
                needed,
                got: workspace.len(),
            });
        }
        surface::compute(self, sample, class as i64, workspace)
    }

    fn check_sample(&self, sample: usize) -> Result<(), Error> {
        if sample >= self.shape.batch() {
            return Err(Error::Parameter {
                name: "sample",
                allowed: "less than the batch size",
            });
        }
        Ok(())
    }

    /// The predicted label at flat index `i` of the batch.
    #[inline]
    fn pred_at(&self, i: usize) -> i64 {
        crate::edt::label_at(self.pred, i).unwrap_or(-1)
    }

    /// The true label at flat index `i` of the batch.
    #[inline]
    fn truth_at(&self, i: usize) -> i64 {
        crate::edt::label_at(self.truth, i).unwrap_or(-1)
    }
}

/// Checks that every label lies in `0..classes`.
fn check_range(labels: Labels<'_>, classes: usize) -> Result<(), Error> {
    let mut buf = [0i64; 256];
    let mut start = 0;
    while start < labels.len() {
        let len = buf.len().min(labels.len() - start);
        let Some(part) = buf.get_mut(..len) else {
            break;
        };
        if !labels.read(start, part) {
            break;
        }
        if let Some(k) = part.iter().position(|&l| l < 0 || l >= classes as i64) {
            return Err(Error::LabelOutOfRange {
                index: start + k,
                label: part.get(k).copied().unwrap_or(-1),
                classes,
            });
        }
        start += len;
    }
    Ok(())
}
