//! The `k` largest of a slice, by radix selection: no comparison sort and no index the
//! optimiser cannot prove in bounds, so no panic path (TopK's selection).

use crate::Real;

/// Bits per radix digit: histograms of 2048 counts and sums, 32 KB of stack (24 KB on a
/// 32-bit target); with the `small` feature 32 of each (under 0.5 KB), for more passes.
const DIGIT_BITS: u32 = if cfg!(feature = "small") { 5 } else { 11 };
const BUCKETS: usize = 1 << DIGIT_BITS;

/// What [`top`] found: the `k`-th largest value and the sum of those above it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Top<T> {
    /// The `k`-th largest value (ties with it fill the last places).
    pub(crate) threshold: T,
    /// How many values are strictly greater than `threshold` (fewer than `k`).
    pub(crate) above: usize,
    /// Their sum, in `f64`.
    pub(crate) above_sum: f64,
    /// How many values equal `threshold` (at least one).
    pub(crate) ties: usize,
}

/// The `k`-th largest of `values` and the sum of those strictly above it; `None` when `k`
/// is 0 or exceeds the length. `values` is scratch: it is reordered and partly overwritten.
///
/// Most-significant-digit radix selection over [`Real::order_key`]: a histogram of the
/// candidates' current digit picks the bucket holding the `k`-th largest; the candidates
/// above it are summed and counted, those below dropped, and the bucket's members move to
/// the front (in their order) for the next digit. Values must not be NaN (pixel losses of
/// an accepted input never are). The sum above is taken per bucket in the values' order,
/// then over buckets from the largest down.
pub(crate) fn top<T: Real>(values: &mut [T], k: usize) -> Option<Top<T>> {
    if k == 0 || k > values.len() {
        return None;
    }
    let mut live = values.len();
    // Candidates above the k-th largest still to be passed over.
    let mut rank = k - 1;
    let mut above = 0usize;
    let mut above_sum = 0.0f64;
    let mut count = [0usize; BUCKETS];
    let mut sum = [0.0f64; BUCKETS];
    let mut high = T::ORDER_BITS;
    while high > 0 {
        let shift = high.saturating_sub(DIGIT_BITS);
        high = shift;
        let digit = |x: T| (x.order_key() >> shift) as usize & (BUCKETS - 1);
        count.fill(0);
        sum.fill(0.0);
        for &x in values.iter().take(live) {
            let d = digit(x);
            if let (Some(c), Some(s)) = (count.get_mut(d), sum.get_mut(d)) {
                *c += 1;
                *s += x.wide();
            }
        }
        // The bucket holding the candidate of rank `rank`, from the largest digit down;
        // the buckets above it are passed over whole.
        let (mut chosen, mut in_chosen) = (0usize, 0usize);
        for (b, (&n, &s)) in count.iter().zip(&sum).enumerate().rev() {
            if rank < n {
                (chosen, in_chosen) = (b, n);
                break;
            }
            rank -= n;
            above += n;
            above_sum += s;
        }
        if in_chosen == live {
            continue; // every candidate shares this digit
        }
        // Keep the bucket's members, in order, at the front.
        let mut kept = 0usize;
        for r in 0..live {
            let Some(&x) = values.get(r) else { break };
            if let Some(slot) = values.get_mut(kept) {
                *slot = x;
            }
            kept += usize::from(digit(x) == chosen);
        }
        live = kept;
    }
    // Every remaining candidate has the same key: the threshold and its ties.
    let threshold = *values.first()?;
    Some(Top {
        threshold,
        above,
        above_sum,
        ties: live.max(1),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The longest input the tests draw (fixed buffers: the core has no heap, even here).
    const MAX: usize = 3000;

    /// The k-th largest, count above, their sum and ties, by sorting a copy (brute force).
    fn sorted(values: &[f64], k: usize) -> (f64, usize, f64, usize) {
        let mut buf = [0.0f64; MAX];
        let v = &mut buf[..values.len()];
        v.copy_from_slice(values);
        v.sort_unstable_by(|a, b| b.partial_cmp(a).unwrap());
        let t = v[k - 1];
        let above = v.iter().filter(|&&x| x > t);
        let ties = v.iter().filter(|&&x| x == t).count();
        (t, above.clone().count(), above.sum(), ties)
    }

    fn check<T: Real>(values: &[f64]) {
        let n = values.len();
        let mut typed = [T::zero(); MAX];
        let mut wide = [0.0f64; MAX];
        for ((t, w), &x) in typed.iter_mut().zip(wide.iter_mut()).zip(values) {
            *t = T::of(x);
            *w = t.wide();
        }
        for k in [1, n.div_ceil(2), n] {
            let mut scratch = typed;
            let got = top(&mut scratch[..n], k).unwrap();
            let (t, above, sum, ties) = sorted(&wide[..n], k);
            assert_eq!(got.threshold.wide(), t, "n {n} k {k}");
            assert_eq!((got.above, got.ties), (above, ties), "n {n} k {k}");
            assert!(
                got.above_sum == sum || (got.above_sum - sum).abs() <= 1e-12 * sum.abs(),
                "n {n} k {k}: {} vs {sum}",
                got.above_sum
            );
        }
    }

    #[test]
    fn matches_a_sort_on_ties_signs_zeros_and_infinities() {
        let mut rng = crate::rng::SplitMix64::new(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.next_u64();
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-300,
            1e-40,
            f64::INFINITY,
            -f64::INFINITY,
        ];
        for n in [1usize, 2, 3, 17, 256, 3000] {
            for _ in 0..20 {
                let mut values = [0.0f64; MAX];
                for v in values.iter_mut().take(n) {
                    *v = match next() % 4 {
                        0 => specials[(next() % 8) as usize],
                        1 => (next() % 5) as f64, // many ties
                        _ => (next() >> 11) as f64 / (1u64 << 53) as f64 * 20.0 - 10.0,
                    };
                }
                check::<f32>(&values[..n]);
                check::<f64>(&values[..n]);
            }
        }
    }

    #[test]
    fn refuses_k_zero_or_past_the_end() {
        assert_eq!(top(&mut [1.0f32, 2.0], 0), None);
        assert_eq!(top(&mut [1.0f32, 2.0], 3), None);
        assert_eq!(top::<f32>(&mut [], 1), None);
    }
}
