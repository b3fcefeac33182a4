//! The AVX-512 intrinsics kernel (`segloss_std::fused_avx512`, what `IsaKernel` runs at
//! AVX-512 on `f32`) gives the core kernel's bits, pass 1 and pass 2, on every class
//! count, on lengths around the group and segment sizes, on logits that reach the
//! softmax's edges (ties, signed zeros, the exp's flush to 0, the `−T::MAX` floor), with
//! ignored and masked pixels, and on the streamed (non-temporal) path at any alignment.
//!
//! On a processor without AVX-512 the two kernels are the same code and the test says so.

mod common;

use common::Rng;
use segloss::kernel::{Baseline, Kernel, LabelGradient, LabelSums, MAX_KERNEL_CLASSES};
use segloss::{Input, Shape, Target};
use segloss_std::simd::{Isa, IsaKernel};

/// One of several logit distributions, chosen by `kind`.
fn logit(rng: &mut Rng, kind: usize) -> f32 {
    match kind {
        0 => (3.0 * rng.normal()) as f32,
        // Far apart: exps below the flush (−86.64) and near it.
        1 => (60.0 * rng.normal()) as f32,
        // Ties and signed zeros.
        2 => [0.0, -0.0, 1.0, -1.0][rng.below(4)],
        // At the floor: differences overflow to −inf before `max(−T::MAX, ·)`.
        3 => [f32::MAX, -f32::MAX, 0.0, 1e30][rng.below(4)],
        _ => (0.01 * rng.normal()) as f32,
    }
}

fn bits(s: &LabelSums) -> Vec<u64> {
    let all = s.tp.iter().chain(&s.sum_s).chain(&s.count).chain(&s.nll);
    all.map(|x| x.to_bits()).collect()
}

/// Both passes of both kernels on one sample of `classes × len`, compared bit for bit.
fn compare(rng: &mut Rng, classes: usize, len: usize, kind: usize, offset: usize) {
    let shape = Shape::new(1, classes, &[len]).unwrap();
    let pred: Vec<f32> = (0..classes * len).map(|_| logit(rng, kind)).collect();
    let labels: Vec<u8> = (0..len)
        .map(|i| {
            if i % 13 == 7 {
                200
            } else {
                rng.below(classes) as u8
            }
        })
        .collect();
    let mask: Vec<bool> = (0..len).map(|i| i % 29 != 3).collect();
    let target = Target::labels(&labels[..]).with_ignore_index(200);
    let plain = Input::new(&pred, shape, target).unwrap();
    let masked = plain.with_mask(&mask).unwrap();
    let fast = IsaKernel(Isa::Avx512);
    for (name, input) in [("plain", plain), ("masked", masked)] {
        let what = format!("{name} C={classes} len={len} kind={kind} offset={offset}");
        let at = (0, 0, len);
        let (mut want, mut got) = (LabelSums::default(), LabelSums::default());
        let ok_want = Baseline.sums(&input, at, &mut want);
        let ok_got = fast.sums(&input, at, &mut got);
        assert_eq!(ok_got, ok_want, "{what}: pass 1 accepted");
        if ok_want {
            assert_eq!(bits(&got), bits(&want), "{what}: sums {got:?} vs {want:?}");
        }
        let mut coef = LabelGradient::default();
        for c in 0..MAX_KERNEL_CLASSES {
            coef.a[c] = rng.normal() * 10.0;
            coef.b[c] = rng.normal();
            coef.k[c] = -rng.uniform();
        }
        let n = classes * len;
        let (mut want_g, mut got_g) = (vec![0.0f32; n], vec![7.0f32; n + offset]);
        let ok_want = Baseline.write(&input, at, &coef, &mut want_g);
        let ok_got = fast.write(&input, at, &coef, &mut got_g[offset..]);
        assert_eq!(ok_got, ok_want, "{what}: pass 2 accepted");
        let same = want_g
            .iter()
            .zip(&got_g[offset..])
            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        assert!(same, "{what}: gradients differ");
    }
}

#[test]
fn intrinsics_kernel_gives_the_core_kernel_bits() {
    if Isa::detect() != Isa::Avx512 {
        eprintln!("no AVX-512 here: IsaKernel runs the core kernel, nothing to compare");
        return;
    }
    let mut rng = Rng(0x5eed_a512);
    for classes in 2..=MAX_KERNEL_CLASSES {
        for len in [1, 15, 16, 17, 100, 1023, 1024, 1025, 2100] {
            for kind in 0..5 {
                compare(&mut rng, classes, len, kind, 0);
            }
        }
    }
}

#[test]
fn intrinsics_kernel_rejects_what_the_core_kernel_rejects() {
    let mut rng = Rng(11);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut pred: Vec<f32> = (0..3 * 40).map(|_| logit(&mut rng, 0)).collect();
        pred[2 * 40 + 33] = bad;
        let labels: Vec<u8> = (0..40).map(|i| (i % 3) as u8).collect();
        let input = Input::new(
            &pred,
            Shape::new(1, 3, &[40]).unwrap(),
            Target::labels(&labels[..]),
        )
        .unwrap();
        let mut sums = LabelSums::default();
        assert!(
            !IsaKernel(Isa::Avx512).sums(&input, (0, 0, 40), &mut sums),
            "{bad}"
        );
    }
    // A label out of range.
    let pred = vec![0.5f32; 2 * 20];
    let labels: Vec<u8> = (0..20).map(|i| if i == 17 { 2 } else { 1 }).collect();
    let input = Input::new(
        &pred,
        Shape::new(1, 2, &[20]).unwrap(),
        Target::labels(&labels[..]),
    );
    // The input checks may refuse it up front; when they do not, the kernel must.
    if let Ok(input) = input {
        let mut sums = LabelSums::default();
        assert!(!IsaKernel(Isa::Avx512).sums(&input, (0, 0, 20), &mut sums));
    }
}

/// A gradient large enough for non-temporal stores (`STREAM_BYTES`), at every alignment
/// of the destination that a 4-byte element allows within a 64-byte line.
#[test]
fn streamed_gradient_gives_the_core_kernel_bits_at_any_alignment() {
    if Isa::detect() != Isa::Avx512 {
        eprintln!("no AVX-512 here: IsaKernel runs the core kernel, nothing to compare");
        return;
    }
    let classes = 2;
    let len = segloss_std::fused_avx512::STREAM_BYTES / 4 / classes;
    let mut rng = Rng(3);
    for offset in [0, 1, 5, 15] {
        compare(&mut rng, classes, len, 0, offset);
    }
}
