//! The AVX-512 intrinsics kernel (`segloss_std::fused_avx512`, what `IsaKernel` runs at
//! AVX-512 on `f32`) gives the core kernel's bits, pass 1 and pass 2, on every class
//! count, on lengths around the group and segment sizes, on logits that reach the
//! softmax's edges (ties, signed zeros, the exp's flush to 0, the `−T::MAX` floor), with
//! ignored and masked pixels, on a block inside a later sample, and on the streamed
//! (non-temporal) path at every alignment; and it refuses what the core kernel refuses.
//!
//! On a processor without AVX-512 the two kernels are the same code: the tests that compare
//! them are reported as ignored ("needs AVX-512", `cfg(segloss_avx512)` from tests/build.rs).

use segloss::kernel::{Baseline, Kernel, LabelGradient, LabelSums, LabelTerms, MAX_KERNEL_CLASSES};
use segloss::{Input, Shape, Target};
use segloss_std::fused_avx512::STREAM_BYTES;
use segloss_std::simd::{Isa, IsaKernel};
use segloss_tests::SplitMix64 as Rng;

/// The kernel under test.
const FAST: IsaKernel = IsaKernel(Isa::Avx512);

/// Asserts that this processor runs the intrinsics (the tests that call it are ignored
/// where the build machine has no AVX-512; a binary moved to such a machine fails here).
fn assert_avx512() {
    assert_eq!(
        Isa::detect(),
        Isa::Avx512,
        "built on a processor with AVX-512, run on one without"
    );
}

/// Channel-first logits of `batch × classes × pixels`, from one of several distributions.
fn logits(rng: &mut Rng, batch: usize, classes: usize, pixels: usize, kind: usize) -> Vec<f32> {
    let mut z = vec![0.0f32; batch * classes * pixels];
    for b in 0..batch {
        for i in 0..pixels {
            for c in 0..classes {
                z[(b * classes + c) * pixels + i] = match kind {
                    0 => (3.0 * rng.normal()) as f32,
                    // Far apart: exps below the flush (−86.64) and near it.
                    1 => (60.0 * rng.normal()) as f32,
                    // Ties and signed zeros.
                    2 => [0.0, -0.0, 1.0, -1.0][rng.below(4)],
                    // One class at 3e38, the next at −3e38: the difference overflows to
                    // −inf and meets the `−T::MAX` floor, while the pixel's sum stays finite.
                    3 if c == i % classes => 3e38,
                    3 if c == (i + 1) % classes => -3e38,
                    3 => 0.0,
                    // The exp's boundary: every other class 86 to 87.5 below the first.
                    4 if c == 0 => 0.0,
                    4 => -(86.0 + 1.5 * rng.uniform()) as f32,
                    _ => (0.01 * rng.normal()) as f32,
                };
            }
        }
    }
    z
}

/// No per-pixel terms: what Dice, CE and their compounds ask of the kernel.
const PLAIN: LabelTerms = LabelTerms { focal: false };

fn bits(s: &LabelSums) -> Vec<u64> {
    let all = s.tp.iter().chain(&s.sum_s).chain(&s.count).chain(&s.nll);
    let all = all.chain(&s.focal);
    all.map(|x| x.to_bits()).collect()
}

/// A vector of `n` zeros whose element `head` sits at a 64-byte boundary, and that index.
fn aligned(n: usize, head: usize) -> (Vec<f32>, usize) {
    let v = vec![0.0f32; n + 32];
    let mis = (v.as_ptr() as usize / 4) % 16;
    let start = (16 - mis) % 16 + (16 - head % 16) % 16;
    (v, start)
}

/// What one comparison runs on.
struct Case {
    batch: usize,
    classes: usize,
    pixels: usize,
    /// `(sample, start, len)` of the kernel calls.
    at: (usize, usize, usize),
    kind: usize,
    /// Pixels from the destination's first element to the next 64-byte boundary.
    head: usize,
}

/// Both passes of both kernels on `case`, compared bit for bit.
fn compare(rng: &mut Rng, case: &Case) {
    let Case {
        batch,
        classes,
        pixels,
        at,
        kind,
        head,
    } = *case;
    let shape = Shape::new(batch, classes, &[pixels]).unwrap();
    let pred = logits(rng, batch, classes, pixels, kind);
    let labels: Vec<u8> = (0..batch * pixels)
        .map(|i| {
            if i % 13 == 7 {
                200
            } else {
                rng.below(classes) as u8
            }
        })
        .collect();
    let mask: Vec<bool> = (0..batch * pixels).map(|i| i % 29 != 3).collect();
    let target = Target::labels(&labels[..]).with_ignore_index(200);
    let plain = Input::new(&pred, shape, target).unwrap();
    let masked = plain.with_mask(&mask).unwrap();
    let inputs = [("plain", plain), ("masked", masked)];
    let with_focal = inputs.into_iter().flat_map(|x| [(x, false), (x, true)]);
    for ((name, input), focal) in with_focal {
        let what = format!("{name} C={classes} at={at:?} kind={kind} head={head} focal={focal}");
        let terms = LabelTerms { focal };
        let (mut want, mut got) = (LabelSums::default(), LabelSums::default());
        let accepted = Baseline.sums(&input, at, terms, &mut want);
        assert_eq!(
            FAST.sums(&input, at, terms, &mut got),
            accepted,
            "{what}: pass 1 accepted"
        );
        if accepted {
            assert_eq!(bits(&got), bits(&want), "{what}: sums {got:?} vs {want:?}");
        }
        let mut coef = LabelGradient::default();
        for c in 0..MAX_KERNEL_CLASSES {
            coef.a[c] = rng.normal() * 10.0;
            coef.b[c] = rng.normal();
            coef.k[c] = -rng.uniform();
            coef.focal[c] = if focal { 1.0 + rng.uniform() } else { 0.0 };
        }
        let n = classes * at.2;
        let mut want_g = vec![0.0f32; n];
        let (mut buf, start) = aligned(n, head);
        let got_g = &mut buf[start..start + n];
        let accepted = Baseline.write(&input, at, &coef, &mut want_g);
        assert_eq!(
            FAST.write(&input, at, &coef, got_g),
            accepted,
            "{what}: pass 2 accepted"
        );
        let same = want_g
            .iter()
            .zip(got_g.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{what}: gradients differ");
    }
}

#[test]
#[cfg_attr(
    not(segloss_avx512),
    ignore = "needs AVX-512, which this processor lacks"
)]
fn intrinsics_kernel_gives_the_core_kernel_bits() {
    assert_avx512();
    let mut rng = Rng::new(0x5eed_a512);
    for classes in 2..=MAX_KERNEL_CLASSES {
        for len in [1, 15, 16, 17, 100, 1023, 1024, 1025, 2100] {
            for kind in 0..6 {
                let at = (0, 0, len);
                let case = Case {
                    batch: 1,
                    classes,
                    pixels: len,
                    at,
                    kind,
                    head: kind,
                };
                compare(&mut rng, &case);
            }
        }
    }
}

/// A block inside a later sample: the offsets of labels and mask follow `at`.
#[test]
#[cfg_attr(
    not(segloss_avx512),
    ignore = "needs AVX-512, which this processor lacks"
)]
fn intrinsics_kernel_gives_the_core_kernel_bits_inside_a_later_sample() {
    assert_avx512();
    let mut rng = Rng::new(17);
    for classes in [2, 3, 5, 8] {
        for kind in 0..6 {
            let at = (1, 17, 1500);
            compare(
                &mut rng,
                &Case {
                    batch: 3,
                    classes,
                    pixels: 1600,
                    at,
                    kind,
                    head: 3,
                },
            );
        }
    }
}

/// Gradients large enough for non-temporal stores (`STREAM_BYTES`), at each of the 16
/// alignments of the destination; and one just as large whose rows are not a multiple of
/// 16 pixels (ordinary stores, since the class rows then start at different alignments).
#[test]
#[cfg_attr(
    not(segloss_avx512),
    ignore = "needs AVX-512, which this processor lacks"
)]
fn streamed_gradient_gives_the_core_kernel_bits_at_every_alignment() {
    assert_avx512();
    let mut rng = Rng::new(3);
    let classes = 3;
    let len = (STREAM_BYTES / 4 / classes).next_multiple_of(16);
    for head in 0..16 {
        let at = (0, 0, len);
        compare(
            &mut rng,
            &Case {
                batch: 1,
                classes,
                pixels: len,
                at,
                kind: 0,
                head,
            },
        );
    }
    let odd = len + 5;
    compare(
        &mut rng,
        &Case {
            batch: 1,
            classes,
            pixels: odd,
            at: (0, 0, odd),
            kind: 0,
            head: 0,
        },
    );
}

#[test]
#[cfg_attr(
    not(segloss_avx512),
    ignore = "needs AVX-512, which this processor lacks"
)]
fn intrinsics_kernel_refuses_what_the_core_kernel_refuses() {
    assert_avx512();
    let mut rng = Rng::new(11);
    let coef = LabelGradient::default();
    // Logits that are not finite: pass 1 refuses.
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut pred = logits(&mut rng, 1, 3, 40, 0);
        pred[2 * 40 + 33] = bad;
        let labels: Vec<u8> = (0..40).map(|i| (i % 3) as u8).collect();
        let shape = Shape::new(1, 3, &[40]).unwrap();
        let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
        let mut sums = LabelSums::default();
        assert!(!Baseline.sums(&input, (0, 0, 40), PLAIN, &mut sums));
        assert!(!FAST.sums(&input, (0, 0, 40), PLAIN, &mut sums), "{bad}");
    }
    // A label out of range, in a sample large enough to stream: both passes refuse.
    let classes = 2;
    let len = STREAM_BYTES / 4 / classes;
    let pred = logits(&mut rng, 1, classes, len, 0);
    let labels: Vec<u8> = (0..len).map(|i| u8::from(i == len - 9) * 2).collect();
    let input = Input::new(
        &pred,
        Shape::new(1, classes, &[len]).unwrap(),
        Target::labels(&labels[..]),
    )
    .unwrap();
    let mut sums = LabelSums::default();
    assert!(!Baseline.sums(&input, (0, 0, len), PLAIN, &mut sums));
    assert!(!FAST.sums(&input, (0, 0, len), PLAIN, &mut sums));
    let mut grad = vec![0.0f32; classes * len];
    assert!(!Baseline.write(&input, (0, 0, len), &coef, &mut grad));
    assert!(!FAST.write(&input, (0, 0, len), &coef, &mut grad));
    // Ranges outside the buffers: a short gradient, a sample past the batch.
    let pred = logits(&mut rng, 2, 3, 50, 0);
    let labels: Vec<u8> = (0..100).map(|i| (i % 3) as u8).collect();
    let input = Input::new(
        &pred,
        Shape::new(2, 3, &[50]).unwrap(),
        Target::labels(&labels[..]),
    )
    .unwrap();
    let mut short = vec![0.0f32; 3 * 50 - 1];
    assert!(!Baseline.write(&input, (0, 0, 50), &coef, &mut short));
    assert!(!FAST.write(&input, (0, 0, 50), &coef, &mut short));
    let mut grad = vec![0.0f32; 3 * 50];
    for at in [(2, 0, 50), (1, 10, 50)] {
        assert!(!Baseline.write(&input, at, &coef, &mut grad), "{at:?}");
        assert!(!FAST.write(&input, at, &coef, &mut grad), "{at:?}");
        assert!(!Baseline.sums(&input, at, PLAIN, &mut sums), "{at:?}");
        assert!(!FAST.sums(&input, at, PLAIN, &mut sums), "{at:?}");
    }
}

/// Asserts that `write_rows` refuses `rows` at the portable and at the detected instruction set.
fn assert_rows_refused(
    input: &Input<'_, f32>,
    at: (usize, usize, usize),
    coef: &LabelGradient,
    rows: &mut [&mut [f32]],
    scratch: &mut Vec<f32>,
    classes: usize,
) {
    for isa in [Isa::Portable, Isa::detect()] {
        let k = IsaKernel(isa);
        assert!(!k.write_rows(input, at, coef, rows, scratch), "C={classes}");
    }
}

/// `IsaKernel::write_rows` (the threaded one-sample split's pass 2) writes each class's
/// pixels into its own row, with the core kernel's bits, whatever the rows' spacing.
#[test]
fn rows_get_the_core_kernel_bits() {
    let mut rng = Rng::new(29);
    let mut scratch = Vec::new();
    for classes in 2..=MAX_KERNEL_CLASSES {
        let (pixels, at) = (1600, (1, 17, 1500));
        let shape = Shape::new(3, classes, &[pixels]).unwrap();
        let pred = logits(&mut rng, 3, classes, pixels, 0);
        let labels: Vec<u8> = (0..3 * pixels).map(|_| rng.below(classes) as u8).collect();
        let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
        let mut coef = LabelGradient::default();
        for c in 0..classes {
            (coef.a[c], coef.b[c], coef.k[c]) = (rng.normal(), rng.normal(), -rng.uniform());
        }
        let mut want = vec![0.0f32; classes * at.2];
        assert!(Baseline.write(&input, at, &coef, &mut want));
        // Rows 7 pixels apart, with a marker in the gaps that must survive.
        let stride = at.2 + 7;
        let mut buf = vec![-9.0f32; classes * stride];
        let mut rows: Vec<&mut [f32]> = buf.chunks_mut(stride).map(|r| &mut r[..at.2]).collect();
        for isa in [Isa::Portable, Isa::detect()] {
            assert!(IsaKernel(isa).write_rows(&input, at, &coef, &mut rows, &mut scratch));
            for (c, row) in rows.iter().enumerate() {
                let part = &want[c * at.2..(c + 1) * at.2];
                let same = row
                    .iter()
                    .zip(part)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "C={classes} {isa:?}: class {c} differs");
            }
        }
        drop(rows);
        assert!(buf
            .chunks(stride)
            .all(|r| r[at.2..].iter().all(|&x| x == -9.0)));
        // One row too few, or one too short: refused.
        let mut rows: Vec<&mut [f32]> = buf.chunks_mut(stride).map(|r| &mut r[..at.2]).collect();
        rows.pop();
        assert_rows_refused(&input, at, &coef, &mut rows, &mut scratch, classes);
        let mut rows: Vec<&mut [f32]> = buf.chunks_mut(stride).map(|r| &mut r[..at.2]).collect();
        let last = rows.pop().unwrap();
        rows.push(&mut last[..at.2 - 1]);
        assert_rows_refused(&input, at, &coef, &mut rows, &mut scratch, classes);
    }
}
