//! Parameter checks shared by the losses.

use crate::Error;

/// Checks a per-class weight list: one finite, non-negative entry per class.
pub(crate) fn class_weights(weights: &[f64], classes: usize) -> Result<(), Error> {
    if weights.len() != classes {
        return Err(Error::WeightCount {
            expected: classes,
            got: weights.len(),
        });
    }
    match weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        Some(class) => Err(Error::BadWeight { class }),
        None => Ok(()),
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
