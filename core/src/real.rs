//! The floating-point element types the losses accept.

use core::fmt::Debug;
use num_traits::Float;

/// A prediction element type: `f32` or `f64`.
///
/// Per-element arithmetic runs in `Self`; every sum over pixels is carried in `f64`.
pub trait Real: Float + Debug + Default + Send + Sync + 'static {
    /// The largest gradient magnitude a loss writes: far enough below the type's maximum
    /// that summing the terms of every class and compound member cannot overflow.
    const GRAD_LIMIT: f64;

    /// The width of [`Real::order_key`] in bits.
    const ORDER_BITS: u32;

    /// Converts from `f64`, rounding to nearest.
    fn of(x: f64) -> Self;

    /// Converts a gradient term from `f64`, saturating at `±GRAD_LIMIT` (an unsmoothed Dice
    /// at an almost empty class has gradients beyond `f32`'s range).
    #[inline]
    fn of_grad(x: f64) -> Self {
        Self::of(x.clamp(-Self::GRAD_LIMIT, Self::GRAD_LIMIT))
    }
    /// Widens to `f64` (exact).
    fn wide(self) -> f64;

    /// `e^x` in a form the compiler vectorises (`f32`: [`crate::fastmath`]; `f64`: `libm`).
    fn vexp(self) -> Self;

    /// `e^x` for `x ≤ 0`, where a cheaper form exists (`f32`: results below the normal
    /// range flush to 0, [`crate::fastmath::exp_nonpositive_f32`]); [`Real::vexp`] otherwise.
    #[inline(always)]
    fn vexp_nonpositive(self) -> Self {
        self.vexp()
    }

    /// `e^x` for `x ≤ 0` in the fused kernel's softmax (`f32`:
    /// [`crate::fastmath::exp_softmax_f32`], within 2 ulp, 0 below `2^−125`);
    /// [`Real::vexp_nonpositive`] otherwise.
    #[inline(always)]
    fn vexp_softmax(self) -> Self {
        self.vexp_nonpositive()
    }

    /// `ln x` in a form the compiler vectorises.
    fn vln(self) -> Self;

    /// `ln(1 + x)` in a form the compiler vectorises.
    fn vln_1p(self) -> Self;

    /// An unsigned key in the low [`Real::ORDER_BITS`] bits whose order is the numeric order
    /// (`−0` counts as `+0`; NaN sorts above `+∞`): flip every bit of a negative, the sign
    /// bit of a positive.
    fn order_key(self) -> u64;

    /// The slice as `f32`, when `Self` is `f32` (for kernels written for one type).
    fn as_f32(x: &[Self]) -> Option<&[f32]>;

    /// The slice as mutable `f32`, when `Self` is `f32`.
    fn as_f32_mut(x: &mut [Self]) -> Option<&mut [f32]>;

    /// `x^y` for `x > 0` as `e^(y ln x)`, vectorisable.
    #[inline(always)]
    fn vpow(self, y: Self) -> Self {
        (y * self.vln()).vexp()
    }
}

impl Real for f32 {
    const GRAD_LIMIT: f64 = 1e30;
    const ORDER_BITS: u32 = 32;

    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn wide(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn vexp(self) -> Self {
        crate::fastmath::exp_f32(self)
    }
    #[inline(always)]
    fn vexp_nonpositive(self) -> Self {
        crate::fastmath::exp_nonpositive_f32(self)
    }
    #[inline(always)]
    fn vexp_softmax(self) -> Self {
        crate::fastmath::exp_softmax_f32(self)
    }
    #[inline(always)]
    fn vln(self) -> Self {
        crate::fastmath::ln_f32(self)
    }
    #[inline(always)]
    fn vln_1p(self) -> Self {
        crate::fastmath::ln_1p_f32(self)
    }
    #[inline(always)]
    fn order_key(self) -> u64 {
        let bits = (self + 0.0).to_bits();
        let flip = ((bits as i32) >> 31) as u32 | 1 << 31;
        u64::from(bits ^ flip)
    }
    #[inline]
    fn as_f32(x: &[Self]) -> Option<&[f32]> {
        Some(x)
    }
    #[inline]
    fn as_f32_mut(x: &mut [Self]) -> Option<&mut [f32]> {
        Some(x)
    }
}

impl Real for f64 {
    const GRAD_LIMIT: f64 = 1e300;
    const ORDER_BITS: u32 = 64;

    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn wide(self) -> f64 {
        self
    }
    #[inline]
    fn vexp(self) -> Self {
        libm::exp(self)
    }
    #[inline]
    fn vln(self) -> Self {
        libm::log(self)
    }
    #[inline]
    fn vln_1p(self) -> Self {
        libm::log1p(self)
    }
    #[inline(always)]
    fn order_key(self) -> u64 {
        let bits = (self + 0.0).to_bits();
        let flip = ((bits as i64) >> 63) as u64 | 1 << 63;
        bits ^ flip
    }
    #[inline]
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }
    #[inline]
    fn as_f32_mut(_: &mut [Self]) -> Option<&mut [f32]> {
        None
    }
}
