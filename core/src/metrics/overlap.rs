//! Voxel counts per class and the overlap metrics (Dice, IoU) computed from them.

use super::LabelMaps;
use crate::MAX_CLASSES;

/// One class's voxel counts in one sample (or summed over several: [`ClassCounts::add`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassCounts {
    /// Voxels of the class in both maps, `|P ∩ G|`.
    pub tp: u64,
    /// Voxels of the class in the prediction, `|P|`.
    pub pred: u64,
    /// Voxels of the class in the truth, `|G|`.
    pub truth: u64,
}

impl ClassCounts {
    /// Adds `other`'s counts (pooling samples, as MONAI's Dice of a concatenated volume).
    pub fn add(&mut self, other: &ClassCounts) {
        self.tp += other.tp;
        self.pred += other.pred;
        self.truth += other.truth;
    }

    /// Dice `2|P∩G| / (|P| + |G|)`, as MONAI's `compute_dice`: with no true voxel, NaN if
    /// `ignore_empty` (MONAI's default), else 1 when the prediction is empty too and 0
    /// otherwise.
    ///
    /// ```
    /// use segloss::metrics::ClassCounts;
    /// let c = ClassCounts { tp: 3, pred: 4, truth: 5 };
    /// assert_eq!(c.dice(true), 6.0 / 9.0);
    /// let absent = ClassCounts { tp: 0, pred: 0, truth: 0 };
    /// assert!(absent.dice(true).is_nan() && absent.dice(false) == 1.0);
    /// ```
    pub fn dice(&self, ignore_empty: bool) -> f64 {
        if self.truth > 0 {
            return 2.0 * self.tp as f64 / (self.truth + self.pred) as f64;
        }
        empty_score(ignore_empty, self.pred)
    }

    /// IoU (Jaccard) `|P∩G| / |P∪G|`, as MONAI's `compute_iou`, with the empty cases of
    /// [`ClassCounts::dice`].
    pub fn iou(&self, ignore_empty: bool) -> f64 {
        if self.truth > 0 {
            let union = self.truth + self.pred - self.tp;
            return self.tp as f64 / union as f64;
        }
        empty_score(ignore_empty, self.pred)
    }
}

/// The score of a class absent from the truth.
fn empty_score(ignore_empty: bool, pred: u64) -> f64 {
    if ignore_empty {
        f64::NAN
    } else if pred == 0 {
        1.0
    } else {
        0.0
    }
}

/// Every class's [`ClassCounts`] in one sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overlap {
    counts: [ClassCounts; MAX_CLASSES],
    classes: usize,
}

impl Overlap {
    /// The counts of class `class` (zeros beyond the class count).
    pub fn class(&self, class: usize) -> ClassCounts {
        self.counts
            .get(class)
            .filter(|_| class < self.classes)
            .copied()
            .unwrap_or_default()
    }

    /// The counts of classes `0..C`, in order.
    pub fn classes(&self) -> &[ClassCounts] {
        self.counts.get(..self.classes).unwrap_or(&[])
    }
}

/// Counts every class of sample `sample` in one pass.
pub(super) fn count(maps: &LabelMaps<'_>, sample: usize) -> Overlap {
    let mut out = Overlap {
        counts: [ClassCounts::default(); MAX_CLASSES],
        classes: maps.shape.classes(),
    };
    let n = maps.shape.pixels_per_sample();
    let mut pred = [0i64; 256];
    let mut truth = [0i64; 256];
    let mut at = 0;
    while at < n {
        let len = pred.len().min(n - at);
        let (Some(p), Some(t)) = (pred.get_mut(..len), truth.get_mut(..len)) else {
            break;
        };
        let start = sample * n + at;
        if !(maps.pred.read(start, p) && maps.truth.read(start, t)) {
            break;
        }
        for (&p, &t) in p.iter().zip(t.iter()) {
            if let Some(c) = out.counts.get_mut(p as usize) {
                c.pred += 1;
                c.tp += u64::from(p == t);
            }
            if let Some(c) = out.counts.get_mut(t as usize) {
                c.truth += 1;
            }
        }
        at += len;
    }
    out
}
