//! Validated shapes `(B, C, spatial…)` and memory layouts.

use crate::Error;

/// The largest class count a call accepts; tiles and per-class statistics are sized by it
/// (16 with the `small` feature, `docs/edge.md`).
pub const MAX_CLASSES: usize = if cfg!(feature = "small") { 16 } else { 256 };

/// Where the class axis sits in memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// `(B, C, spatial…)`, PyTorch's layout: the pixels of one class are contiguous.
    #[default]
    ChannelFirst,
    /// `(B, spatial…, C)`: the classes of one pixel are contiguous.
    ChannelLast,
}

/// The logical shape of a prediction: batch, classes and 1 to 3 spatial sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    batch: usize,
    classes: usize,
    spatial: [usize; 3],
    rank: usize,
    pixels: usize,
}

impl Shape {
    /// One sample, one class, one pixel.
    pub const UNIT: Shape = Shape {
        batch: 1,
        classes: 1,
        spatial: [1; 3],
        rank: 1,
        pixels: 1,
    };

    /// Checks and builds a shape `(batch, classes, spatial…)`.
    ///
    /// ```
    /// let s = segloss::Shape::new(2, 4, &[96, 96, 96]).unwrap();
    /// assert_eq!(s.pixels_per_sample(), 96 * 96 * 96);
    /// assert!(segloss::Shape::new(2, 4, &[]).is_err());
    /// ```
    pub fn new(batch: usize, classes: usize, spatial: &[usize]) -> Result<Self, Error> {
        let rank = spatial.len();
        if !(1..=3).contains(&rank) {
            return Err(Error::SpatialRank { got: rank });
        }
        if batch == 0 || classes == 0 || spatial.contains(&0) {
            return Err(Error::EmptyShape);
        }
        if classes > MAX_CLASSES {
            return Err(Error::TooManyClasses { got: classes });
        }
        let mut dims = [1usize; 3];
        let mut pixels = 1usize;
        for (d, &n) in dims.iter_mut().zip(spatial) {
            *d = n;
            pixels = pixels.checked_mul(n).ok_or(Error::ShapeOverflow)?;
        }
        batch
            .checked_mul(classes)
            .and_then(|bc| bc.checked_mul(pixels))
            .ok_or(Error::ShapeOverflow)?;
        Ok(Shape {
            batch,
            classes,
            spatial: dims,
            rank,
            pixels,
        })
    }

    /// Samples in the batch.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Classes (channels).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The spatial sizes (1 to 3 of them).
    pub fn spatial(&self) -> &[usize] {
        self.spatial.get(..self.rank).unwrap_or(&[])
    }

    /// Pixels (voxels) in one sample.
    pub fn pixels_per_sample(&self) -> usize {
        self.pixels
    }

    /// Pixels in the whole batch: the length of a label or mask buffer.
    pub fn pixels(&self) -> usize {
        self.batch * self.pixels
    }

    /// Elements of the prediction: `batch · classes · pixels_per_sample`.
    pub fn elements(&self) -> usize {
        self.batch * self.classes * self.pixels
    }

    /// The same shape with another batch size (used to view a slice of the batch).
    pub fn with_batch(&self, batch: usize) -> Result<Self, Error> {
        Shape::new(batch, self.classes, self.spatial())
    }
}
