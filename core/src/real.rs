//! The floating-point element types the losses accept.

use core::fmt::Debug;
use num_traits::Float;

/// A prediction element type: `f32` or `f64`.
///
/// Per-element arithmetic runs in `Self`; every sum over pixels is carried in `f64`.
pub trait Real: Float + Debug + Default + Send + Sync + 'static {
    /// Converts from `f64`, rounding to nearest.
    fn of(x: f64) -> Self;
    /// Widens to `f64` (exact).
    fn wide(self) -> f64;
}

impl Real for f32 {
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn wide(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn wide(self) -> f64 {
        self
    }
}
