//! The one error type of every entry point.

use core::fmt;

/// Why a call was refused. Every check runs before anything is written to a caller buffer.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Error {
    /// The shape has no batch, no class, or a zero-sized spatial axis.
    EmptyShape,
    /// The shape has fewer than 1 or more than 3 spatial dimensions.
    SpatialRank {
        /// Spatial dimensions given.
        got: usize,
    },
    /// More classes than [`MAX_CLASSES`](crate::MAX_CLASSES).
    TooManyClasses {
        /// Classes given.
        got: usize,
    },
    /// The element count of the shape overflows `usize`.
    ShapeOverflow,
    /// A buffer's length does not match what the shape requires.
    Length {
        /// Which buffer.
        what: Buffer,
        /// Elements required.
        expected: usize,
        /// Elements given.
        got: usize,
    },
    /// A label lies outside `0..classes` and is not the ignore index.
    LabelOutOfRange {
        /// Flat index into the label buffer.
        index: usize,
        /// The label found.
        label: i64,
        /// The number of classes.
        classes: usize,
    },
    /// With a single channel (binary segmentation), labels must be 0 or 1.
    BinaryLabel {
        /// Flat index into the label buffer.
        index: usize,
        /// The label found.
        label: i64,
    },
    /// A NaN or infinity in an input buffer.
    NonFinite {
        /// Which buffer.
        what: Buffer,
        /// Flat index of the first offending element.
        index: usize,
    },
    /// A probability (activation `None`) or soft target outside `[0, 1]`.
    NotProbability {
        /// Which buffer.
        what: Buffer,
        /// Flat index of the first offending element.
        index: usize,
    },
    /// A per-class weight list whose length is not the class count.
    WeightCount {
        /// The number of classes.
        expected: usize,
        /// Weights given.
        got: usize,
    },
    /// A class weight that is neither 0 nor in [[`MIN_WEIGHT`](crate::MIN_WEIGHT),
    /// [`MAX_WEIGHT`](crate::MAX_WEIGHT)] (negative, not finite, too large or too small).
    BadWeight {
        /// The class of the weight.
        class: usize,
    },
    /// A penalty map entry that is negative.
    NegativePenalty {
        /// Flat index of the offending element.
        index: usize,
    },
    /// A hyper-parameter outside its domain.
    Parameter {
        /// The parameter's name, as in the API.
        name: &'static str,
        /// The domain it must lie in.
        allowed: &'static str,
    },
    /// A named parameter value whose name the loss's
    /// [`Descriptor`](crate::catalogue::Descriptor) does not list.
    UnknownParameter {
        /// Its position among the values given.
        index: usize,
    },
    /// A named parameter value of the wrong kind (a list for a number, an unknown choice).
    ParameterKind {
        /// The parameter.
        name: &'static str,
        /// What it takes.
        kind: crate::catalogue::Kind,
    },
    /// A named parameter given twice.
    DuplicateParameter {
        /// The parameter.
        name: &'static str,
    },
    /// A required parameter (a constructor argument without a default) not given.
    MissingParameter {
        /// The parameter.
        name: &'static str,
    },
    /// Per-sample region statistics (`batch = false`) need more entries than a region loss
    /// holds; pool over the batch (`batch = true`) or evaluate fewer samples per call.
    RegionCapacity {
        /// Samples × classes required.
        needed: usize,
        /// Entries available ([`MAX_REGION_ENTRIES`](crate::region::MAX_REGION_ENTRIES)).
        capacity: usize,
    },
    /// A class-coupled region loss (one value per sample) was given per-class weights.
    CoupledWeight,
    /// The caller's workspace is shorter than the loss needs.
    Workspace {
        /// Elements required.
        needed: usize,
        /// Elements given.
        got: usize,
    },
    /// A voxel spacing that is not finite or not positive.
    Spacing {
        /// The axis of the spacing.
        axis: usize,
    },
    /// A spacing list whose length is not the number of spatial axes.
    SpacingCount {
        /// Spatial axes.
        expected: usize,
        /// Spacings given.
        got: usize,
    },
}

/// Names the caller buffer an [`Error`] speaks of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buffer {
    /// The prediction (logits or probabilities).
    Prediction,
    /// The target (labels or dense map).
    Target,
    /// The per-pixel mask.
    Mask,
    /// The gradient output.
    Gradient,
    /// A per-pixel map a loss takes (for example the DPCE penalty).
    PixelMap,
}

impl fmt::Display for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Buffer::Prediction => "prediction",
            Buffer::Target => "target",
            Buffer::Mask => "mask",
            Buffer::Gradient => "gradient",
            Buffer::PixelMap => "pixel map",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::EmptyShape => f.write_str("shape has a zero batch, class or spatial size"),
            Error::SpatialRank { got } => {
                write!(
                    f,
                    "shape has {got} spatial dimensions; 1 to 3 are supported"
                )
            }
            Error::TooManyClasses { got } => write!(
                f,
                "{got} classes exceed the supported maximum of {}",
                crate::MAX_CLASSES
            ),
            Error::ShapeOverflow => f.write_str("shape's element count overflows usize"),
            Error::Length {
                what,
                expected,
                got,
            } => write!(f, "{what} has {got} elements; the shape needs {expected}"),
            Error::LabelOutOfRange {
                index,
                label,
                classes,
            } => write!(
                f,
                "label {label} at index {index} is outside 0..{classes} and is not the ignore index"
            ),
            Error::BinaryLabel { index, label } => write!(
                f,
                "label {label} at index {index}: a single channel takes labels 0 or 1"
            ),
            Error::NonFinite { what, index } => {
                write!(f, "{what} element {index} is NaN or infinite")
            }
            Error::NotProbability { what, index } => {
                write!(f, "{what} element {index} is outside [0, 1]")
            }
            Error::WeightCount { expected, got } => {
                write!(f, "{got} class weights given for {expected} classes")
            }
            Error::BadWeight { class } => {
                write!(
                    f,
                    "weight of class {class} is neither 0 nor in [{:e}, {:e}]",
                    crate::MIN_WEIGHT,
                    crate::MAX_WEIGHT
                )
            }
            Error::NegativePenalty { index } => {
                write!(f, "penalty map element {index} is negative")
            }
            Error::Parameter { name, allowed } => {
                write!(f, "parameter `{name}` must be {allowed}")
            }
            Error::UnknownParameter { index } => {
                write!(f, "named value {index} is not a parameter of this loss")
            }
            Error::ParameterKind { name, kind } => {
                write!(f, "parameter `{name}` takes {}", kind.describe())
            }
            Error::DuplicateParameter { name } => write!(f, "parameter `{name}` is given twice"),
            Error::MissingParameter { name } => {
                write!(f, "parameter `{name}` is required (it has no default)")
            }
            Error::RegionCapacity { needed, capacity } => write!(
                f,
                "per-sample region statistics need {needed} entries, more than {capacity}: \
                 set batch = true or evaluate fewer samples per call"
            ),
            Error::CoupledWeight => f.write_str(
                "this loss couples the classes into one value per sample and takes no per-class weight",
            ),
            Error::Workspace { needed, got } => {
                write!(f, "workspace has {got} elements; this loss needs {needed}")
            }
            Error::Spacing { axis } => {
                write!(f, "spacing of axis {axis} is not finite and positive")
            }
            Error::SpacingCount { expected, got } => {
                write!(f, "{got} spacings given for {expected} spatial axes")
            }
        }
    }
}
