//! One validated batch: prediction, target, mask, layout and activation.

use crate::error::Buffer;
use crate::{Error, Layout, Real, Shape, Target};
use core::ops::Range;

/// How the prediction becomes probabilities before the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Softmax over the classes of each pixel (stable: max-subtraction, log-sum-exp).
    Softmax,
    /// An independent sigmoid per element (multi-label, or binary with one channel).
    Sigmoid,
    /// None: the prediction already holds probabilities in `[0, 1]` (categorical form).
    Identity,
}

/// The default number of pixels per tile (fewer when many classes share a tile; 32 with the
/// `small` feature).
pub const DEFAULT_TILE_PIXELS: usize = if cfg!(feature = "small") { 32 } else { 1024 };

/// A borrowed batch with shapes checked against each other.
///
/// Element values (finiteness, label range, probability range) are checked as the
/// engine streams over them, before anything is written into a gradient buffer.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a, T> {
    pub(crate) pred: &'a [T],
    pub(crate) shape: Shape,
    pub(crate) layout: Layout,
    pub(crate) activation: Activation,
    pub(crate) target: Target<'a, T>,
    pub(crate) mask: Option<&'a [bool]>,
    pub(crate) tile_pixels: usize,
    pub(crate) first_sample: usize,
}

impl<'a, T: Real> Input<'a, T> {
    /// A channel-first batch; the activation is softmax, or sigmoid when there is one class.
    ///
    /// ```
    /// use segloss::{Input, Shape, Target};
    /// let logits = [0.5f32, -1.0, 2.0, 0.0, 1.0, -0.5]; // (B=1, C=2, 3 pixels)
    /// let labels = [0u8, 1, 1];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&labels))?;
    /// assert_eq!(input.shape().pixels(), 3);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    pub fn new(pred: &'a [T], shape: Shape, target: Target<'a, T>) -> Result<Self, Error> {
        expect_len(Buffer::Prediction, shape.elements(), pred.len())?;
        match target {
            Target::Labels { labels, .. } => {
                expect_len(Buffer::Target, shape.pixels(), labels.len())?
            }
            Target::Dense(map) => expect_len(Buffer::Target, shape.elements(), map.len())?,
        }
        let activation = if shape.classes() == 1 {
            Activation::Sigmoid
        } else {
            Activation::Softmax
        };
        Ok(Input {
            pred,
            shape,
            layout: Layout::ChannelFirst,
            activation,
            target,
            mask: None,
            tile_pixels: DEFAULT_TILE_PIXELS,
            first_sample: 0,
        })
    }

    /// Sets the memory layout of the prediction (and of a dense target).
    pub fn with_layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// Sets the activation fused into the loss.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Restricts every loss to the pixels where `mask` is true; shape `(B, spatial…)`.
    pub fn with_mask(mut self, mask: &'a [bool]) -> Result<Self, Error> {
        expect_len(Buffer::Mask, self.shape.pixels(), mask.len())?;
        self.mask = Some(mask);
        Ok(self)
    }

    /// Sets how many pixels a tile holds (clamped to what the tile buffers fit).
    ///
    /// Results do not depend on it beyond floating-point rounding of the sums.
    pub fn with_tile_pixels(mut self, pixels: usize) -> Self {
        self.tile_pixels = pixels.max(1);
        self
    }

    /// The view of samples `range` of this batch, for data-parallel accumulation.
    ///
    /// The view remembers where its samples sit in the whole batch, so losses with
    /// per-sample statistics merge the views' statistics into the right samples.
    ///
    /// ```
    /// use segloss::{Input, Shape, Target};
    /// let logits = [0.0f64; 2 * 3 * 4];
    /// let labels = [0u8; 2 * 4];
    /// let all = Input::new(&logits, Shape::new(2, 3, &[4])?, Target::labels(&labels))?;
    /// assert_eq!(all.samples(1..2)?.shape().batch(), 1);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    pub fn samples(&self, range: Range<usize>) -> Result<Self, Error> {
        if range.start >= range.end || range.end > self.shape.batch() {
            return Err(Error::Parameter {
                name: "samples",
                allowed: "a non-empty range within the batch",
            });
        }
        let shape = self.shape.with_batch(range.end - range.start)?;
        let per_pred = self.shape.classes() * self.shape.pixels_per_sample();
        let per_px = self.shape.pixels_per_sample();
        let pred = sub(self.pred, &range, per_pred)?;
        let target = match self.target {
            Target::Labels {
                labels,
                ignore_index,
            } => Target::Labels {
                labels: sub_labels(labels, &range, per_px)?,
                ignore_index,
            },
            Target::Dense(map) => Target::Dense(sub(map, &range, per_pred)?),
        };
        let mask = match self.mask {
            Some(m) => Some(sub(m, &range, per_px)?),
            None => None,
        };
        Ok(Input {
            pred,
            shape,
            target,
            mask,
            first_sample: self.first_sample + range.start,
            ..*self
        })
    }

    /// Index of this view's first sample in the whole batch (0 unless made by `samples`).
    pub fn first_sample(&self) -> usize {
        self.first_sample
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The target.
    pub fn target(&self) -> Target<'a, T> {
        self.target
    }

    /// The prediction buffer.
    pub fn prediction(&self) -> &'a [T] {
        self.pred
    }
}

fn expect_len(what: Buffer, expected: usize, got: usize) -> Result<(), Error> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::Length {
            what,
            expected,
            got,
        })
    }
}

fn sub<'a, X>(x: &'a [X], range: &Range<usize>, per: usize) -> Result<&'a [X], Error> {
    x.get(range.start * per..range.end * per)
        .ok_or(Error::ShapeOverflow)
}

fn sub_labels<'a>(
    l: crate::Labels<'a>,
    range: &Range<usize>,
    per: usize,
) -> Result<crate::Labels<'a>, Error> {
    use crate::Labels::*;
    Ok(match l {
        U8(x) => U8(sub(x, range, per)?),
        U16(x) => U16(sub(x, range, per)?),
        U32(x) => U32(sub(x, range, per)?),
        I32(x) => I32(sub(x, range, per)?),
        I64(x) => I64(sub(x, range, per)?),
    })
}
