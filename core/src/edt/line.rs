//! One line at a time: the first pass along the contiguous axis (two scans) and the
//! Felzenszwalb–Huttenlocher lower envelope of parabolas for every other axis.
//!
//! Values are squared distances in the element type; `+∞` means "no zero voxel seen yet".
//! In two-sided mode the sign of a value tells the side of its voxel (positive: foreground,
//! negative: background) and its magnitude is the squared distance to the other side.

use crate::Real;

/// The first pass over one row of markers (`0` = zero voxel, anything else = nonzero voxel):
/// writes `w · d²`, where `d` counts the steps to the nearest zero voxel of the row, or `+∞`
/// when the row has none. Returns true when the row holds a zero voxel.
pub(crate) fn row_one_sided<T: Real>(row: &mut [T], w: T) -> bool {
    // Integer step counters keep the scans' loop-carried chains short; `NONE` stands for
    // "no zero voxel yet" (rows longer than 2³² voxels would see far distances as `+∞`).
    const NONE: u32 = u32::MAX;
    let zero = T::zero();
    let steps = |d: u32| {
        if d == NONE {
            T::infinity()
        } else {
            T::of(f64::from(d))
        }
    };
    // Forward: steps since the last zero voxel.
    let mut d = NONE;
    for x in row.iter_mut() {
        d = if *x == zero { 0 } else { d.saturating_add(1) };
        *x = steps(d);
    }
    if d == NONE {
        // no zero voxel: the row is all `+∞` already
        return false;
    }
    // Backward: the nearer of the two sides, squared and scaled.
    let mut e = NONE;
    for x in row.iter_mut().rev() {
        e = if *x == zero { 0 } else { e.saturating_add(1) };
        let m = steps(e).min(*x);
        *x = w * m * m;
    }
    true
}

/// The first pass of the two-sided transform over one row of markers (positive: foreground,
/// otherwise background): writes `±w · d²`, signed by the voxel's side, where `d` counts the
/// steps to the nearest voxel of the other side in the row (`±∞` when there is none).
/// Returns `(any foreground, any background)`.
pub(crate) fn row_two_sided<T: Real>(row: &mut [T], w: T) -> (bool, bool) {
    let zero = T::zero();
    let one = T::one();
    let inf = T::infinity();
    // Forward: `a` steps since the last background voxel, `b` since the last foreground one.
    let (mut a, mut b) = (inf, inf);
    let (mut fg, mut bg) = (false, false);
    for x in row.iter_mut() {
        if *x > zero {
            fg = true;
            b = zero;
            a = a + one;
            *x = a;
        } else {
            bg = true;
            a = zero;
            b = b + one;
            *x = -b;
        }
    }
    if !(fg && bg) {
        return (fg, bg);
    }
    let (mut a, mut b) = (inf, inf);
    for x in row.iter_mut().rev() {
        if *x > zero {
            b = zero;
            a = a + one;
            let m = if a < *x { a } else { *x };
            *x = w * m * m;
        } else {
            a = zero;
            b = b + one;
            let m = if b < -*x { b } else { -*x };
            *x = -(w * m * m);
        }
    }
    (fg, bg)
}

/// Scratch of one lower envelope: site positions, site values and interval starts.
pub(crate) struct Envelope<'s, T> {
    pos: &'s mut [T],
    val: &'s mut [T],
    start: &'s mut [T],
}

impl<'s, T: Real> Envelope<'s, T> {
    /// Elements of scratch for lines of up to `n` voxels.
    pub(crate) const fn len(n: usize) -> usize {
        n.saturating_mul(3)
    }

    /// Splits `scratch` (at least [`Envelope::len`] elements) into the three stacks.
    pub(crate) fn new(scratch: &'s mut [T], n: usize) -> Option<Self> {
        let scratch = scratch.get_mut(..3 * n)?;
        let (pos, rest) = scratch.split_at_mut(n.min(scratch.len()));
        let (val, start) = rest.split_at_mut(n.min(rest.len()));
        Some(Envelope { pos, val, start })
    }

    /// Replaces every value `f` of `line` selected by `get` with
    /// `min_q f(q) + w·(p − q)²` (the lower envelope of the parabolas rooted at the sites).
    ///
    /// `get` maps a stored value to the site value it stands for (`+∞`: no site); `put`
    /// stores a result into a voxel (and may decline to, as the two-sided runs do).
    /// A line with no site is left untouched.
    #[inline]
    pub(crate) fn run(
        &mut self,
        line: &mut [T],
        w: T,
        get: impl Fn(T) -> T,
        put: impl Fn(&mut T, T),
    ) {
        let inf = T::infinity();
        let half = T::of(0.5);
        let half_inv_w = half / w;
        // `top` is the index of the last site of the envelope; `count` the number of sites.
        let mut count = 0usize;
        let (mut top_pos, mut top_val, mut top_start) = (T::zero(), T::zero(), -inf);
        let mut q = T::zero();
        for &x in line.iter() {
            let fq = get(x);
            if fq < inf {
                if count == 0 {
                    top_pos = q;
                    top_val = fq;
                    top_start = -inf;
                    count = 1;
                } else {
                    // Pop the sites the new parabola hides, then push it.
                    let mut s = (fq - top_val) * half_inv_w / (q - top_pos) + (q + top_pos) * half;
                    while s <= top_start && count > 1 {
                        count -= 1;
                        let k = count - 1;
                        top_pos = self.pos.get(k).copied().unwrap_or(top_pos);
                        top_val = self.val.get(k).copied().unwrap_or(top_val);
                        top_start = self.start.get(k).copied().unwrap_or(-inf);
                        s = (fq - top_val) * half_inv_w / (q - top_pos) + (q + top_pos) * half;
                    }
                    // Store the old top, make the new parabola the top.
                    let k = count - 1;
                    if let (Some(p), Some(v), Some(z)) = (
                        self.pos.get_mut(k),
                        self.val.get_mut(k),
                        self.start.get_mut(k),
                    ) {
                        *p = top_pos;
                        *v = top_val;
                        *z = top_start;
                    }
                    top_pos = q;
                    top_val = fq;
                    top_start = s;
                    count += 1;
                }
            }
            q = q + T::one();
        }
        if count == 0 {
            return;
        }
        let k = count - 1;
        if let (Some(p), Some(v), Some(z)) = (
            self.pos.get_mut(k),
            self.val.get_mut(k),
            self.start.get_mut(k),
        ) {
            *p = top_pos;
            *v = top_val;
            *z = top_start;
        }
        // Read the envelope off at every voxel.
        let sites = self.pos.iter().zip(self.val.iter()).take(count);
        let mut starts = self.start.iter().take(count).skip(1);
        let mut next = starts.next().copied().unwrap_or(inf);
        let mut sites = sites.map(|(&p, &v)| (p, v));
        let (mut p, mut v) = sites.next().unwrap_or((T::zero(), inf));
        let mut q = T::zero();
        for x in line.iter_mut() {
            while next < q {
                if let Some((np, nv)) = sites.next() {
                    p = np;
                    v = nv;
                }
                next = starts.next().copied().unwrap_or(inf);
            }
            let d = q - p;
            put(x, v + w * d * d);
            q = q + T::one();
        }
    }
}
