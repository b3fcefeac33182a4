//! Ground truth: class-index labels or a dense one-hot / soft map.

/// A borrowed buffer of class indices, shape `(B, spatial…)`, in any supported integer type.
#[derive(Clone, Copy, Debug)]
pub enum Labels<'a> {
    /// `u8` labels.
    U8(&'a [u8]),
    /// `u16` labels.
    U16(&'a [u16]),
    /// `u32` labels.
    U32(&'a [u32]),
    /// `i32` labels.
    I32(&'a [i32]),
    /// `i64` labels.
    I64(&'a [i64]),
}

impl Labels<'_> {
    /// Number of labels.
    pub fn len(&self) -> usize {
        match self {
            Labels::U8(x) => x.len(),
            Labels::U16(x) => x.len(),
            Labels::U32(x) => x.len(),
            Labels::I32(x) => x.len(),
            Labels::I64(x) => x.len(),
        }
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `out.len()` labels starting at `start`, widened to `i64`.
    ///
    /// Returns false (and copies nothing) when the range is out of bounds.
    #[inline(always)]
    pub(crate) fn read(&self, start: usize, out: &mut [i64]) -> bool {
        #[inline(always)]
        fn copy<L: Copy + Into<i64>>(src: &[L], start: usize, out: &mut [i64]) -> bool {
            match start
                .checked_add(out.len())
                .and_then(|end| src.get(start..end))
            {
                Some(s) => {
                    for (o, &l) in out.iter_mut().zip(s) {
                        *o = l.into();
                    }
                    true
                }
                None => false,
            }
        }
        match self {
            Labels::U8(x) => copy(x, start, out),
            Labels::U16(x) => copy(x, start, out),
            Labels::U32(x) => copy(x, start, out),
            Labels::I32(x) => copy(x, start, out),
            Labels::I64(x) => copy(x, start, out),
        }
    }
}

/// The integer labels are compared in: `i32` for the types that fit, `i64` otherwise.
trait Wide: Copy + Default + PartialOrd {
    /// The low 32 bits (exact for a label in a class range).
    fn low(self) -> i32;
}

impl Wide for i32 {
    #[inline(always)]
    fn low(self) -> i32 {
        self
    }
}

impl Wide for i64 {
    #[inline(always)]
    fn low(self) -> i32 {
        self as i32
    }
}

/// The class code of an ignored label (see [`Labels::codes`]).
pub(crate) const IGNORED: i32 = -1;
/// The class code of a label outside `0..limit` (see [`Labels::codes`]).
pub(crate) const OUT_OF_RANGE: i32 = -2;

impl Labels<'_> {
    /// Class codes of `out.len()` labels from `start`, in 32 bits so that the one-hot
    /// comparisons vectorise at the width of `f32`: the label where it lies in `0..limit`,
    /// [`IGNORED`] where it equals `ignore`, [`OUT_OF_RANGE`] elsewhere.
    ///
    /// Returns `None` when the range is out of bounds, else whether some label was out of
    /// range. `limit` must fit in `i32` (it is a class count).
    #[inline(always)]
    pub(crate) fn codes(
        &self,
        start: usize,
        out: &mut [i32],
        ignore: Option<i64>,
        limit: i64,
    ) -> Option<bool> {
        #[inline(always)]
        fn code<L: Copy + Into<W>, W: Wide>(
            src: &[L],
            start: usize,
            out: &mut [i32],
            ignore: Option<W>,
            limit: W,
        ) -> Option<bool> {
            let src = src.get(start..start.checked_add(out.len())?)?;
            let (has_ignore, ignore) = (ignore.is_some(), ignore.unwrap_or_default());
            let mut bad = false;
            for (o, &l) in out.iter_mut().zip(src) {
                let l: W = l.into();
                let skip = has_ignore & (l == ignore);
                let in_range = (l >= W::default()) & (l < limit);
                *o = if skip {
                    IGNORED
                } else if in_range {
                    l.low()
                } else {
                    OUT_OF_RANGE
                };
                bad |= !skip & !in_range;
            }
            Some(bad)
        }
        // Types that fit in `i32` compare in 32 bits, twice as many lanes per vector; an
        // ignore index outside `i32` can match none of their labels.
        let narrow = ignore.map(i32::try_from);
        let narrow = match narrow {
            Some(Ok(i)) => Some(i),
            _ => None,
        };
        let limit32 = i32::try_from(limit).unwrap_or(i32::MAX);
        match self {
            Labels::U8(x) => code(x, start, out, narrow, limit32),
            Labels::U16(x) => code(x, start, out, narrow, limit32),
            Labels::I32(x) => code(x, start, out, narrow, limit32),
            Labels::U32(x) => code(x, start, out, ignore, limit),
            Labels::I64(x) => code(x, start, out, ignore, limit),
        }
    }
}

macro_rules! labels_from {
    ($($t:ty => $v:ident),*) => {$(
        impl<'a> From<&'a [$t]> for Labels<'a> {
            fn from(x: &'a [$t]) -> Self {
                Labels::$v(x)
            }
        }
        impl<'a, const N: usize> From<&'a [$t; N]> for Labels<'a> {
            fn from(x: &'a [$t; N]) -> Self {
                Labels::$v(x)
            }
        }
    )*};
}
labels_from!(u8 => U8, u16 => U16, u32 => U32, i32 => I32, i64 => I64);

/// The ground truth of a batch.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a, T> {
    /// Class indices of shape `(B, spatial…)`; pixels whose label equals `ignore_index` are
    /// left out of every sum and denominator.
    Labels {
        /// The labels.
        labels: Labels<'a>,
        /// A label value that marks pixels to ignore (for example 255 or -100).
        ignore_index: Option<i64>,
    },
    /// A one-hot or soft map in `[0, 1]` with the prediction's shape and layout.
    Dense(&'a [T]),
}

impl<'a, T> Target<'a, T> {
    /// Class-index labels with no ignore index.
    ///
    /// ```
    /// let t = segloss::Target::<f32>::labels(&[0u8, 1, 2]);
    /// assert!(matches!(t, segloss::Target::Labels { ignore_index: None, .. }));
    /// ```
    pub fn labels(labels: impl Into<Labels<'a>>) -> Self {
        Target::Labels {
            labels: labels.into(),
            ignore_index: None,
        }
    }

    /// Sets the label value whose pixels are ignored (no effect on a dense target).
    pub fn with_ignore_index(self, index: i64) -> Self {
        match self {
            Target::Labels { labels, .. } => Target::Labels {
                labels,
                ignore_index: Some(index),
            },
            dense => dense,
        }
    }

    /// A dense one-hot or soft target with the prediction's shape and layout. Values in
    /// `[0, 1]`; those below [`SMALLEST_TARGET`](crate::SMALLEST_TARGET) (`f32`'s smallest
    /// normal) count as 0.
    pub fn dense(map: &'a [T]) -> Self {
        Target::Dense(map)
    }

    /// True for a dense target.
    pub fn is_dense(&self) -> bool {
        matches!(self, Target::Dense(_))
    }
}
