//! What the boundary-based losses share: voxel spacing, the classes they cover, the target
//! masks their distance maps start from, and where a tile's map sits in a map buffer.

use crate::edt::Grid;
use crate::{Activation, Error, Input, Layout, Real, Shape, Target, Tile};

/// Per-axis voxel spacing as given (empty: unit spacing); checked against the batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spacing {
    values: [f64; 3],
    len: usize,
}

impl Spacing {
    /// Unit spacing.
    pub(crate) const UNIT: Spacing = Spacing {
        values: [1.0; 3],
        len: 0,
    };

    /// Copies a spacing list (more than 3 entries are refused by [`Spacing::grid`]).
    pub(crate) fn new(spacing: &[f64]) -> Self {
        let mut values = [1.0; 3];
        for (v, &s) in values.iter_mut().zip(spacing) {
            *v = s;
        }
        Spacing {
            values,
            len: spacing.len(),
        }
    }

    /// The grid of one sample of `shape` with this spacing.
    pub(crate) fn grid(&self, shape: Shape) -> Result<Grid, Error> {
        let rank = shape.spatial().len();
        if self.len > 3 {
            return Err(Error::SpacingCount {
                expected: rank,
                got: self.len,
            });
        }
        Grid::new(shape.spatial(), self.values.get(..self.len).unwrap_or(&[]))
    }
}

/// The first class a loss covers: 1 without the background, 0 with it or with one channel
/// (MONAI ignores `include_background=False` for a single channel).
pub(crate) fn first_class(classes: usize, include_background: bool) -> usize {
    if include_background || classes == 1 {
        0
    } else {
        1
    }
}

/// Loads the markers (1: the voxel belongs to `class`, 0: it does not) of rows of sample
/// `sample` for `class`: `g > 0.5` with the tile's target `g` (labels one-hot, a binary label
/// under a single sigmoid channel, or the dense map), before any mask — ignored labels belong
/// to no class; the input's mask does not change the ground truth.
pub(crate) fn fill_target<'a, T: Real>(
    input: &'a Input<'a, T>,
    sample: usize,
    class: usize,
) -> impl FnMut(usize, &mut [T]) + 'a {
    let shape = input.shape();
    let n = shape.pixels_per_sample();
    let classes = shape.classes();
    let binary = input.activation() == Activation::Sigmoid && classes == 1;
    let want = if binary { 1 } else { class as i64 };
    let half = T::of(0.5);
    let layout = input.layout();
    let target = input.target();
    move |at: usize, row: &mut [T]| {
        let first = sample * n + at;
        match target {
            Target::Labels {
                labels,
                ignore_index,
            } => {
                for (k, x) in row.iter_mut().enumerate() {
                    let l = crate::edt::label_at(labels, first + k);
                    let hit = l == Some(want) && l != ignore_index;
                    *x = if hit { T::one() } else { T::zero() };
                }
            }
            Target::Dense(map) => {
                for (k, x) in row.iter_mut().enumerate() {
                    let i = match layout {
                        Layout::ChannelFirst => (sample * classes + class) * n + at + k,
                        Layout::ChannelLast => (first + k) * classes + class,
                    };
                    let g = map.get(i).copied().unwrap_or(T::zero());
                    *x = if g > half { T::one() } else { T::zero() };
                }
            }
        }
    }
}

/// The elements of map `(sample, class − first)` in a `(B, covered, N)` map buffer.
pub(crate) fn slot(
    sample: usize,
    class: usize,
    first: usize,
    covered: usize,
    n: usize,
) -> (usize, usize) {
    let start = (sample * covered + class - first) * n;
    (start, start + n)
}

/// The part of a `(B, covered, N)` map buffer under a tile's row of class `class`.
pub(crate) fn tile_part<'m, T: Real>(
    maps: &'m [T],
    tile: &Tile<'_, T>,
    class: usize,
    first: usize,
    covered: usize,
) -> Option<&'m [T]> {
    if class < first {
        return None;
    }
    let n = tile.pixels_per_sample();
    let k0 = tile.pixel_in_sample();
    let (start, _) = slot(tile.input_sample(), class, first, covered, n);
    maps.get(start + k0..start + k0 + tile.len())
}

/// The engine's per-element gradient from `∂L/∂s`: `s · ∂L/∂s` under softmax, `∂L/∂z` under
/// a sigmoid, `∂L/∂p` without activation.
#[inline]
pub(crate) fn chain<T: Real>(act: Activation, s: T, comp: T, dlds: T) -> T {
    match act {
        Activation::Softmax => s * dlds,
        Activation::Sigmoid => s * comp * dlds,
        Activation::Identity => dlds,
    }
}
