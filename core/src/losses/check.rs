//! Parameter checks shared by the losses.

use crate::Error;

/// Checks a per-class weight list: one entry per class, each 0 or in
/// `[MIN_WEIGHT, MAX_WEIGHT]`.
pub(crate) fn class_weights(weights: &[f64], classes: usize) -> Result<(), Error> {
    if weights.len() != classes {
        return Err(Error::WeightCount {
            expected: classes,
            got: weights.len(),
        });
    }
    match weights
        .iter()
        .position(|&w| !(w == 0.0 || (crate::MIN_WEIGHT..=crate::MAX_WEIGHT).contains(&w)))
    {
        Some(class) => Err(Error::BadWeight { class }),
        None => Ok(()),
    }
}

/// Checks an exponent: finite, above `lo` (or at it when `inclusive`) and at most
/// [`MAX_WEIGHT`](crate::MAX_WEIGHT).
pub(crate) fn exponent(
    value: f64,
    inclusive: bool,
    name: &'static str,
    allowed: &'static str,
) -> Result<(), Error> {
    let above = if inclusive { value >= 0.0 } else { value > 0.0 };
    if above && value <= crate::MAX_WEIGHT {
        Ok(())
    } else {
        Err(Error::Parameter { name, allowed })
    }
}

/// Checks that `value` lies in `[lo, hi]` (and is not NaN).
pub(crate) fn in_range(
    value: f64,
    lo: f64,
    hi: f64,
    name: &'static str,
    allowed: &'static str,
) -> Result<(), Error> {
    if value >= lo && value <= hi {
        Ok(())
    } else {
        Err(Error::Parameter { name, allowed })
    }
}
