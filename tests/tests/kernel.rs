//! The fused softmax-over-labels kernel against its oracle, the tile pipeline
//! (`engine::Tiled`), on shapes that are not multiples of the kernel's width, segment or
//! block, with ignore indices, masks, several label types and class counts 2 to 8; and the
//! errors it leaves to the tile path.

use segloss::engine::{self, Tiled};
use segloss::kernel::{self, MAX_KERNEL_CLASSES};
use segloss::losses::{
    Alpha, CrossEntropy, Dice, DiceCe, DiceFocal, Focal, GeneralizedDice, Iou, Mcc, Reduction,
    Tversky,
};
use segloss::presets::{nnunet, smp};
use segloss::{Buffer, Error, Input, Labels, Loss, Real, Shape, Target};
use segloss_tests::SplitMix64 as Rng;

/// Value and gradient through the kernel and through tiles agree within `tol` (relative to
/// the value, and to the largest gradient magnitude).
fn agree<T: Real, L: Loss<T> + Copy>(name: &str, loss: L, input: &Input<'_, T>, tol: f64) {
    assert!(loss.fused_labels(), "{name} should take the kernel");
    assert!(kernel::fits(input));
    let n = input.shape().elements();
    let (mut fused, mut tiled) = (vec![T::zero(); n], vec![T::zero(); n]);
    let a = engine::forward_backward(&loss, input, &mut [], &mut fused).unwrap();
    let b = engine::forward_backward(&Tiled(loss), input, &mut [], &mut tiled).unwrap();
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{name}: value {a} (kernel) vs {b} (tiles)"
    );
    let scale = tiled.iter().fold(0.0f64, |m, g| m.max(g.wide().abs()));
    for (i, (x, y)) in fused.iter().zip(&tiled).enumerate() {
        let (x, y) = (x.wide(), y.wide());
        assert!(
            (x - y).abs() <= tol * scale.max(1e-30),
            "{name}: gradient {i}: {x} (kernel) vs {y} (tiles), scale {scale}"
        );
    }
    // Pass 2 alone, from the same statistics, takes the kernel too.
    let mut stats = L::Stats::default();
    engine::accumulate(&loss, input, &mut stats, &mut []).unwrap();
    let done = loss.finalize(&stats, &mut []);
    assert_eq!(done.value.to_bits(), a.to_bits(), "{name}: forward");
    let mut again = vec![T::zero(); n];
    engine::backward(&loss, input, &done.coef, &mut again).unwrap();
    assert!(
        again == fused,
        "{name}: backward differs from forward_backward"
    );
}

fn run<T: Real>(seed: u64, tol: f64) {
    let mut rng = Rng::new(seed);
    let cases: [(usize, usize, &[usize]); 7] = [
        (2, 4, &[13, 17]),
        (1, 2, &[1]),
        (3, 3, &[7, 5, 9]),
        (1, 5, &[1031]),
        (2, 8, &[15]),
        (1, 6, &[257, 3]),
        (2, 7, &[130, 131]),
    ];
    let weights = [0.5, 1.0, 2.0, 0.25, 1.5, 3.0, 0.75, 1.25];
    for (case, (b, c, sp)) in cases.into_iter().enumerate() {
        let shape = Shape::new(b, c, sp).unwrap();
        let pred: Vec<T> = (0..shape.elements())
            .map(|_| T::of(4.0 * rng.normal()))
            .collect();
        let labels: Vec<i64> = (0..shape.pixels())
            .map(|i| {
                if i % 13 == 4 {
                    -100
                } else {
                    rng.below(c) as i64
                }
            })
            .collect();
        let narrow: Vec<u8> = labels.iter().map(|&l| l.max(0) as u8).collect();
        let mask: Vec<bool> = (0..shape.pixels()).map(|i| i % 7 != 3).collect();
        let with_ignore = Target::labels(&labels[..]).with_ignore_index(-100);
        let inputs = [
            Input::new(&pred, shape, with_ignore).unwrap(),
            Input::new(&pred, shape, Target::labels(&narrow[..])).unwrap(),
            Input::new(&pred, shape, with_ignore)
                .unwrap()
                .with_mask(&mask)
                .unwrap(),
        ];
        let w = &weights[..c];
        for (k, input) in inputs.iter().enumerate() {
            let at = |name: &str| format!("case {case} input {k} {name}");
            agree(&at("dice_ce"), DiceCe::new(), input, tol);
            let dice_ce = DiceCe {
                dice: Dice::new().with_include_background(false).with_batch(true),
                ce: CrossEntropy::new().with_weight(w),
                lambda_dice: 0.7,
                lambda_ce: 1.3,
            };
            agree(&at("dice_ce weighted"), dice_ce, input, tol);
            agree(&at("ce"), CrossEntropy::new(), input, tol);
            let ce_sum = CrossEntropy::new().with_reduction(Reduction::Sum);
            agree(&at("ce sum"), ce_sum, input, tol);
            agree(&at("dice"), Dice::new().with_weight(w), input, tol);
            agree(&at("iou"), Iou::new(), input, tol);
            agree(&at("tversky"), Tversky::new().with_batch(true), input, tol);
            agree(&at("gdice"), GeneralizedDice::new(), input, tol);
            agree(&at("mcc"), Mcc::new(), input, tol);
            agree(&at("nnunet"), nnunet::dc_and_ce(false, false), input, tol);
            agree(&at("smp"), smp::dice(), input, tol);
            agree(&at("focal"), Focal::new(2.0), input, tol);
            let monai = Focal::new(2.0).with_reduction(Reduction::ElementMean);
            agree(&at("focal element mean"), monai, input, tol);
            let focal = Focal::new(2.0)
                .with_alpha(Alpha::Scalar(0.25))
                .with_weight(w)
                .with_include_background(false)
                .with_reduction(Reduction::Sum);
            agree(&at("focal alpha, weights, sum"), focal, input, tol);
            let per_class = Focal::new(2.0).with_alpha(Alpha::PerClass(w));
            agree(&at("focal per-class alpha"), per_class, input, tol);
            agree(&at("dice_focal"), DiceFocal::new(), input, tol);
        }
    }
}

#[test]
fn kernel_matches_tiles_f32() {
    run::<f32>(11, 2e-5);
}

#[test]
fn kernel_matches_tiles_f64() {
    run::<f64>(12, 1e-12);
}

/// A batch larger than one reduction block, so block partials merge as the tile walk's do.
#[test]
fn kernel_matches_tiles_across_blocks() {
    let mut rng = Rng::new(13);
    let shape = Shape::new(2, 4, &[41, 23, 19]).unwrap();
    assert!(shape.pixels_per_sample() > engine::BLOCK_PIXELS);
    let pred: Vec<f32> = (0..shape.elements())
        .map(|_| 3.0 * rng.normal() as f32)
        .collect();
    let labels: Vec<u8> = (0..shape.pixels()).map(|_| rng.below(4) as u8).collect();
    let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
    agree("dice_ce", DiceCe::new(), &input, 2e-5);
}

/// What does not take the kernel: losses that read more than its sums, and inputs it does
/// not fit.
#[test]
fn kernel_declines_what_it_cannot_compute() {
    assert!(!Loss::<f32>::fused_labels(
        &Dice::new().with_squared_pred(true)
    ));
    assert!(!Loss::<f32>::fused_labels(
        &CrossEntropy::new().with_label_smoothing(0.1)
    ));
    assert!(!Loss::<f32>::fused_labels(&Tiled(DiceCe::new())));
    // The kernel's focal term is γ = 2's.
    for gamma in [0.0, 1.0, 1.5, 3.0] {
        assert!(
            !Loss::<f32>::fused_labels(&Focal::new(gamma)),
            "γ = {gamma}"
        );
    }
    let labels = [0u8; 4];
    for (classes, fits) in [(MAX_KERNEL_CLASSES, true), (MAX_KERNEL_CLASSES + 1, false)] {
        let pred = vec![0.0f32; classes * 4];
        let shape = Shape::new(1, classes, &[4]).unwrap();
        let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
        assert_eq!(kernel::fits(&input), fits, "{classes} classes");
    }
    let pred = vec![0.0f32; 8];
    let two = Shape::new(1, 2, &[4]).unwrap();
    let dense = Input::new(&pred, two, Target::dense(&pred[..])).unwrap();
    assert!(!kernel::fits(&dense));
    let labeled = Input::new(&pred, two, Target::labels(&labels[..])).unwrap();
    assert!(kernel::fits(&labeled));
    assert!(!kernel::fits(
        &labeled.with_activation(segloss::Activation::Sigmoid)
    ));
    assert!(!kernel::fits(
        &labeled.with_layout(segloss::Layout::ChannelLast)
    ));
}

/// A bad value in a batch the kernel would run is reported exactly as the tile path reports
/// it, and leaves the gradient untouched.
#[test]
fn kernel_leaves_errors_to_the_tile_path() {
    let shape = Shape::new(2, 3, &[40]).unwrap();
    let labels: Vec<u16> = (0..shape.pixels()).map(|i| (i % 3) as u16).collect();
    // One pixel's logits all NaN (with payloads) or all infinite: the kernel's bit-level
    // `exp` turns some payloads into small negative sums, whose `ln` once overflowed an
    // integer (a panic in debug builds; finding F19).
    let bad = [
        0x7fc0_0000u32,
        0x7f80_0001,
        0xff80_0001,
        0x7fbf_ffff,
        0x7f80_0000,
    ];
    for bits in bad {
        let mut pred = vec![0.25f32; shape.elements()];
        for class in 0..3 {
            pred[3 * 40 + class * 40 + 21] = f32::from_bits(bits);
        }
        let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
        let mut grad = vec![7.0f32; shape.elements()];
        let err = engine::forward_backward(&DiceCe::new(), &input, &mut [], &mut grad);
        assert_eq!(
            err.unwrap_err(),
            Error::NonFinite {
                what: Buffer::Prediction,
                index: 3 * 40 + 21
            },
            "logit bits {bits:#x}"
        );
        assert!(grad.iter().all(|&g| g == 7.0));
    }

    let pred = vec![0.25f32; shape.elements()];
    let mut labels = labels;
    labels[57] = 3;
    let input = Input::new(&pred, shape, Target::labels(Labels::U16(&labels))).unwrap();
    let err = engine::forward(&DiceCe::new(), &input, &mut []).unwrap_err();
    assert_eq!(
        err,
        Error::LabelOutOfRange {
            index: 57,
            label: 3,
            classes: 3
        }
    );
}
