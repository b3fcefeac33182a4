//! The engine's contracts: additive statistics (data-parallel merge), independence from the
//! tile size, precise errors with no write, defined edge cases, extreme logits.

use segloss::losses::{
    Alpha, ClassWeights, CrossEntropy, Dice, Dpce, Focal, GeneralizedDice, TopK, TopKThreshold,
    WeightedCrossEntropy,
};
use segloss::{engine, Activation, Buffer, Error, Input, Layout, Loss, Shape, Stats, Target};
use segloss_tests::losses::{specs_for, subjects_f32, subjects_f64};
use segloss_tests::{close, Eval, LossData, SplitMix64 as Rng, Subject};

fn random_batch(shape: Shape, seed: u64) -> (Vec<f64>, Vec<u8>) {
    let mut rng = Rng::new(seed);
    let pred = (0..shape.elements()).map(|_| 2.0 * rng.normal()).collect();
    let labels = (0..shape.pixels())
        .map(|i| {
            if i % 9 == 4 {
                255
            } else {
                rng.below(shape.classes()) as u8
            }
        })
        .collect();
    (pred, labels)
}

/// Splits the batch across simulated workers, merges their statistics (the all-reduce),
/// finalizes once, lets each worker write its part of the gradient, and compares with one
/// worker holding the whole batch.
fn data_parallel<L: Loss<f64>>(make: impl Fn(std::ops::Range<usize>) -> L, name: &str) {
    let shape = Shape::new(5, 3, &[6, 7]).unwrap();
    let (pred, labels) = random_batch(shape, 3);
    let target = Target::labels(&labels[..]).with_ignore_index(255);
    let all = Input::new(&pred, shape, target).unwrap();
    let whole = make(0..5);
    let mut grad = vec![0.0; pred.len()];
    let value = engine::forward_backward(&whole, &all, &mut [], &mut grad).unwrap();

    let workers = [0..1, 1..3, 3..5];
    let mut reduced = L::Stats::default();
    for w in workers.clone() {
        let mut local = L::Stats::default();
        engine::accumulate(
            &make(w.clone()),
            &all.samples(w).unwrap(),
            &mut local,
            &mut [],
        )
        .unwrap();
        reduced.merge(&local);
    }
    let done = whole.finalize(&reduced, &mut []);
    assert!(
        close(done.value, value, 1e-13, 0.0),
        "{name}: {} vs {value}",
        done.value
    );
    let per = shape.classes() * shape.pixels_per_sample();
    let mut split_grad = vec![0.0; pred.len()];
    for w in workers {
        let part = &mut split_grad[w.start * per..w.end * per];
        let input = all.samples(w.clone()).unwrap();
        engine::backward(&make(w), &input, &done.coef, part).unwrap();
    }
    for (a, b) in split_grad.iter().zip(&grad) {
        assert!(close(*a, *b, 1e-13, 1e-18), "{name}: {a} vs {b}");
    }
}

#[test]
fn data_parallel_merge_equals_one_worker() {
    let weights = [0.3, 1.0, 2.5];
    let mut rng = Rng::new(5);
    let penalty: Vec<f64> = (0..5 * 42).map(|_| rng.uniform() * 4.0).collect();
    data_parallel(|_| CrossEntropy::new(), "ce");
    data_parallel(
        |_| {
            CrossEntropy::new()
                .with_weight(&weights)
                .with_label_smoothing(0.1)
        },
        "ce weighted",
    );
    data_parallel(
        |_| WeightedCrossEntropy::new(ClassWeights::InverseFrequency),
        "wce",
    );
    data_parallel(|_| TopKThreshold::new(0.6), "topk threshold");
    data_parallel(|_| Focal::new(2.0).with_alpha(Alpha::Scalar(0.25)), "focal");
    data_parallel(|r| Dpce::new(&penalty[r.start * 42..r.end * 42]), "dpce");
    data_parallel(
        |_| Dice::new().with_include_background(false),
        "dice per sample",
    );
    data_parallel(|_| Dice::new().with_batch(true), "dice pooled");
    data_parallel(|_| GeneralizedDice::new(), "generalised dice");
}

#[test]
fn results_do_not_depend_on_the_tile_size() {
    let shape = Shape::new(2, 4, &[9, 13]).unwrap();
    let (pred, labels) = random_batch(shape, 8);
    let mut rng = Rng::new(1);
    let data = LossData::new(4, shape.pixels(), &mut rng);
    for layout in [Layout::ChannelFirst, Layout::ChannelLast] {
        for activation in [Activation::Softmax, Activation::Sigmoid] {
            for Subject { name, loss, .. } in subjects_f64(&specs_for(shape), &data) {
                let run = |tile: usize| {
                    let target = Target::labels(&labels[..]).with_ignore_index(255);
                    let input = Input::new(&pred, shape, target)
                        .unwrap()
                        .with_layout(layout)
                        .with_activation(activation)
                        .with_tile_pixels(tile);
                    let mut grad = vec![0.0; pred.len()];
                    let v = loss.value_grad(&input, &mut grad).unwrap();
                    (v, grad)
                };
                let (v0, g0) = run(1024);
                for tile in [1, 5, 64, 117] {
                    let (v, g) = run(tile);
                    assert!(close(v, v0, 1e-13, 0.0), "{name} tile {tile}: {v} vs {v0}");
                    let scale = g0.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                    let worst = g
                        .iter()
                        .zip(&g0)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    assert!(
                        worst <= 1e-12 * scale,
                        "{name} tile {tile}: gradients differ by {worst}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_bad_input_gets_its_own_error_and_no_write() {
    let shape = Shape::new(1, 3, &[4]).unwrap();
    let pred = vec![0.5f64; 12];
    let labels = [0u8, 1, 2, 1];
    let ok = Input::new(&pred, shape, Target::labels(&labels)).unwrap();
    let sentinel = 7.0;
    let run = |loss: &dyn segloss_tests::Eval<f64>, input: &Input<'_, f64>| {
        let mut grad = vec![sentinel; 12];
        let r = loss.value_grad(input, &mut grad);
        assert!(
            grad.iter().all(|&g| g == sentinel),
            "gradient written on error"
        );
        r.unwrap_err()
    };

    assert_eq!(Shape::new(0, 3, &[4]), Err(Error::EmptyShape));
    assert_eq!(Shape::new(1, 0, &[4]), Err(Error::EmptyShape));
    assert_eq!(Shape::new(1, 3, &[4, 0]), Err(Error::EmptyShape));
    assert_eq!(
        Shape::new(1, 3, &[1, 1, 1, 1]),
        Err(Error::SpatialRank { got: 4 })
    );
    assert_eq!(
        Shape::new(1, 300, &[4]),
        Err(Error::TooManyClasses { got: 300 })
    );
    assert_eq!(Shape::new(usize::MAX, 2, &[2]), Err(Error::ShapeOverflow));
    let short = Input::new(&pred[..11], shape, Target::labels(&labels)).unwrap_err();
    assert_eq!(
        short,
        Error::Length {
            what: Buffer::Prediction,
            expected: 12,
            got: 11
        }
    );
    let few = Input::new(&pred, shape, Target::labels(&labels[..3])).unwrap_err();
    assert_eq!(
        few,
        Error::Length {
            what: Buffer::Target,
            expected: 4,
            got: 3
        }
    );
    assert_eq!(
        ok.with_mask(&[true; 3]).unwrap_err(),
        Error::Length {
            what: Buffer::Mask,
            expected: 4,
            got: 3
        }
    );

    let ce = CrossEntropy::new();
    let mut grad = vec![sentinel; 11];
    assert_eq!(
        engine::forward_backward(&ce, &ok, &mut [], &mut grad).unwrap_err(),
        Error::Length {
            what: Buffer::Gradient,
            expected: 12,
            got: 11
        }
    );
    assert!(grad.iter().all(|&g| g == sentinel));

    let bad_label = [0u8, 3, 2, 1];
    let input = Input::new(&pred, shape, Target::labels(&bad_label)).unwrap();
    assert_eq!(
        run(&ce, &input),
        Error::LabelOutOfRange {
            index: 1,
            label: 3,
            classes: 3
        }
    );
    let negative = [0i64, 1, -100, 1];
    let input = Input::new(&pred, shape, Target::labels(&negative)).unwrap();
    assert_eq!(
        run(&ce, &input),
        Error::LabelOutOfRange {
            index: 2,
            label: -100,
            classes: 3
        }
    );
    let ignored = Input::new(
        &pred,
        shape,
        Target::labels(&negative).with_ignore_index(-100),
    )
    .unwrap();
    assert!(ce.value(&ignored).is_ok());

    let one = Shape::new(1, 1, &[4]).unwrap();
    let input = Input::new(&pred[..4], one, Target::labels(&[0u8, 1, 2, 0])).unwrap();
    let mut g4 = vec![sentinel; 4];
    assert_eq!(
        ce.value_grad(&input, &mut g4).unwrap_err(),
        Error::BinaryLabel { index: 2, label: 2 }
    );
    assert!(g4.iter().all(|&g| g == sentinel));

    let mut nan = pred.clone();
    nan[9] = f64::NAN;
    let input = Input::new(&nan, shape, Target::labels(&labels)).unwrap();
    assert_eq!(
        run(&ce, &input),
        Error::NonFinite {
            what: Buffer::Prediction,
            index: 9
        }
    );
    let input = input.with_layout(Layout::ChannelLast);
    assert_eq!(
        run(&ce, &input),
        Error::NonFinite {
            what: Buffer::Prediction,
            index: 9
        }
    );
    let mut inf = pred.clone();
    inf[0] = f64::INFINITY;
    let input = Input::new(&inf, shape, Target::labels(&labels)).unwrap();
    assert_eq!(
        run(&ce, &input),
        Error::NonFinite {
            what: Buffer::Prediction,
            index: 0
        }
    );

    let mut over = pred.clone();
    over[5] = 1.5;
    let input = Input::new(&over, shape, Target::labels(&labels))
        .unwrap()
        .with_activation(Activation::Identity);
    assert_eq!(
        run(&ce, &input),
        Error::NotProbability {
            what: Buffer::Prediction,
            index: 5
        }
    );
    let mut soft = vec![0.2f64; 12];
    soft[4] = -0.1;
    let input = Input::new(&pred, shape, Target::dense(&soft)).unwrap();
    assert_eq!(
        run(&ce, &input),
        Error::NotProbability {
            what: Buffer::Target,
            index: 4
        }
    );
    soft[4] = f64::NAN;
    let input = Input::new(&pred, shape, Target::dense(&soft)).unwrap();
    assert_eq!(
        run(&ce, &input),
        Error::NonFinite {
            what: Buffer::Target,
            index: 4
        }
    );

    assert_eq!(
        run(&CrossEntropy::new().with_weight(&[1.0, 2.0]), &ok),
        Error::WeightCount {
            expected: 3,
            got: 2
        }
    );
    assert_eq!(
        run(&CrossEntropy::new().with_weight(&[1.0, -2.0, 1.0]), &ok),
        Error::BadWeight { class: 1 }
    );
    assert_eq!(
        run(
            &WeightedCrossEntropy::new(ClassWeights::Given(&[1.0, f64::NAN, 1.0])),
            &ok
        ),
        Error::BadWeight { class: 1 }
    );
    let param = |name| Error::Parameter { name, allowed: "" };
    let same = |a: Error, b: Error| match (a, b) {
        (Error::Parameter { name: x, .. }, Error::Parameter { name: y, .. }) => x == y,
        _ => false,
    };
    assert!(same(run(&Focal::new(-1.0), &ok), param("gamma")));
    assert!(same(run(&Focal::new(f64::NAN), &ok), param("gamma")));
    assert!(same(
        run(&Focal::new(2.0).with_alpha(Alpha::Scalar(1.5)), &ok),
        param("alpha")
    ));
    assert!(same(run(&TopK::new(0.0), &ok), param("k")));
    assert!(same(run(&TopK::new(100.5), &ok), param("k")));
    assert!(same(run(&TopKThreshold::new(0.0), &ok), param("t")));
    assert!(same(run(&TopKThreshold::new(1.2), &ok), param("t")));
    assert!(same(
        run(&CrossEntropy::new().with_label_smoothing(-0.1), &ok),
        param("label_smoothing")
    ));
    assert_eq!(
        run(&Dpce::new(&[1.0, 2.0, 3.0]), &ok),
        Error::Length {
            what: Buffer::PixelMap,
            expected: 4,
            got: 3
        }
    );
    assert_eq!(
        run(&Dpce::new(&[1.0, 2.0, -3.0, 0.0]), &ok),
        Error::NegativePenalty { index: 2 }
    );
    assert_eq!(
        run(&Dpce::new(&[1.0, f64::INFINITY, 3.0, 0.0]), &ok),
        Error::NonFinite {
            what: Buffer::PixelMap,
            index: 1
        }
    );
    let mut small_ws = [0.0f64; 3];
    let mut g = vec![sentinel; 12];
    assert_eq!(
        engine::forward_backward(&TopK::new(10.0), &ok, &mut small_ws, &mut g).unwrap_err(),
        Error::Workspace { needed: 4, got: 3 }
    );
    assert!(g.iter().all(|&x| x == sentinel));
    assert!(ok.samples(0..2).is_err() && ok.samples(1..1).is_err());
    // Every error has a message.
    assert!(Error::LabelOutOfRange {
        index: 1,
        label: 3,
        classes: 3
    }
    .to_string()
    .contains("label 3"));
}

#[test]
fn all_pixels_ignored_gives_zero_loss_and_gradient() {
    let shape = Shape::new(2, 3, &[5]).unwrap();
    let (pred, _) = random_batch(shape, 2);
    let labels = [255u8; 10];
    let mut rng = Rng::new(4);
    let data = LossData::new(3, 10, &mut rng);
    for activation in [Activation::Softmax, Activation::Sigmoid] {
        let target = Target::labels(&labels[..]).with_ignore_index(255);
        let input = Input::new(&pred, shape, target)
            .unwrap()
            .with_activation(activation);
        for Subject { name, loss, .. } in subjects_f64(&specs_for(shape), &data) {
            let mut grad = vec![1.0; pred.len()];
            assert_eq!(loss.value_grad(&input, &mut grad).unwrap(), 0.0, "{name}");
            assert!(grad.iter().all(|&g| g == 0.0), "{name}");
        }
    }
}

#[test]
fn extreme_logits_give_finite_losses_and_gradients() {
    let shape = Shape::new(2, 3, &[7, 3]).unwrap();
    let mut rng = Rng::new(9);
    let pred: Vec<f32> = (0..shape.elements())
        .map(|_| (1e4 * rng.normal()) as f32)
        .collect();
    let labels: Vec<u8> = (0..shape.pixels()).map(|_| rng.below(3) as u8).collect();
    let data = LossData::new(3, shape.pixels(), &mut rng);
    for activation in [Activation::Softmax, Activation::Sigmoid] {
        for layout in [Layout::ChannelFirst, Layout::ChannelLast] {
            let input = Input::new(&pred, shape, Target::labels(&labels[..]))
                .unwrap()
                .with_activation(activation)
                .with_layout(layout);
            for Subject { name, loss, .. } in subjects_f32(&specs_for(shape), &data) {
                let mut grad = vec![0.0f32; pred.len()];
                let v = loss.value_grad(&input, &mut grad).unwrap();
                assert!(v.is_finite(), "{name} {activation:?}: {v}");
                assert!(grad.iter().all(|g| g.is_finite()), "{name} {activation:?}");
            }
        }
    }
}

#[test]
fn f32_agrees_with_f64() {
    let shape = Shape::new(2, 4, &[5, 6, 7]).unwrap();
    let (pred64, labels) = random_batch(shape, 12);
    let pred32: Vec<f32> = pred64.iter().map(|&x| x as f32).collect();
    let pred64: Vec<f64> = pred32.iter().map(|&x| f64::from(x)).collect();
    let mut rng = Rng::new(2);
    let d64 = LossData::<f64>::new(4, shape.pixels(), &mut rng);
    let d32 = LossData::<f32> {
        weights: d64.weights.clone(),
        penalty: d64.penalty.iter().map(|&x| x as f32).collect(),
    };
    let target64 = Target::labels(&labels[..]).with_ignore_index(255);
    let target32 = Target::labels(&labels[..]).with_ignore_index(255);
    for activation in [Activation::Softmax, Activation::Sigmoid] {
        let in64 = Input::new(&pred64, shape, target64)
            .unwrap()
            .with_activation(activation);
        let in32 = Input::new(&pred32, shape, target32)
            .unwrap()
            .with_activation(activation);
        for (s64, s32) in subjects_f64(&specs_for(shape), &d64)
            .into_iter()
            .zip(subjects_f32(&specs_for(shape), &d32))
        {
            let (name, l64, l32) = (s64.name, s64.loss, s32.loss);
            let mut g64 = vec![0.0; pred64.len()];
            let mut g32 = vec![0.0f32; pred32.len()];
            let v64 = l64.value_grad(&in64, &mut g64).unwrap();
            let v32 = l32.value_grad(&in32, &mut g32).unwrap();
            assert!(
                close(v32, v64, 1e-5, 1e-7),
                "{name} {activation:?}: {v32} vs {v64}"
            );
            let scale = g64.iter().fold(0.0f64, |m, g: &f64| m.max(g.abs()));
            for (a, b) in g32.iter().zip(&g64) {
                assert!(
                    close(f64::from(*a), *b, 1e-4, 1e-5 * scale),
                    "{name}: {a} vs {b}"
                );
            }
        }
    }
}

/// Regression (fuzz finding): a subnormal probability without activation made `1/p`
/// overflow f32. The logarithm's derivative now uses PyTorch BCELoss's floor `max(p, 1e-12)`.
#[test]
fn tiny_probabilities_give_finite_gradients() {
    let shape = Shape::new(1, 2, &[4]).unwrap();
    let probs = [0.0f32, 1e-45, 2.6e-43, 1e-30, 1.0, 1.0, 1.0 - 1e-7, 0.5];
    let labels = [0u8, 0, 0, 1];
    let mut rng = Rng::new(3);
    let data = LossData::new(2, 4, &mut rng);
    let input = Input::new(&probs, shape, Target::labels(&labels))
        .unwrap()
        .with_activation(Activation::Identity);
    for Subject { name, loss, .. } in subjects_f32(&specs_for(shape), &data) {
        let mut grad = [0.0f32; 8];
        let v = loss.value_grad(&input, &mut grad).unwrap();
        assert!(v.is_finite(), "{name}: {v}");
        assert!(grad.iter().all(|g| g.is_finite()), "{name}: {grad:?}");
    }
    // The fuzzer's input: one channel, one foreground pixel, p = 2.6e-43.
    let one = Shape::new(1, 1, &[1]).unwrap();
    let p = [f32::from_bits(184)];
    let input = Input::new(&p, one, Target::labels(&[1u8]))
        .unwrap()
        .with_activation(Activation::Identity);
    let mut grad = [0.0f32];
    assert!(CrossEntropy::new().value_grad(&input, &mut grad).is_ok());
    assert!(grad[0].is_finite() && grad[0] < 0.0);
}

/// Regression (fuzz finding): an unsmoothed Dice at a class whose probability is subnormal
/// has gradient coefficients beyond f32's range; they saturate instead of becoming NaN.
#[test]
fn unsmoothed_dice_of_an_almost_empty_class_has_a_finite_gradient() {
    let shape = Shape::new(1, 3, &[1]).unwrap();
    let probs = [2.3326216e-38f32, 0.0, 3.67342e-40];
    let input = Input::new(&probs, shape, Target::labels(&[0u8]))
        .unwrap()
        .with_activation(Activation::Identity);
    let dice = Dice::new().with_smooth_nr(0.0).with_smooth_dr(0.0);
    let mut grad = [0.0f32; 3];
    let v = dice.value_grad(&input, &mut grad).unwrap();
    assert!(v.is_finite(), "{v}");
    assert!(grad.iter().all(|g| g.is_finite()), "{grad:?}");
    assert!(
        grad[0] < 0.0,
        "raising the true class's probability lowers the loss"
    );
}

/// Regression (fuzz finding): a logit of −4e37 made DPCE's `(1 + D)·(−ln s)` overflow f32
/// before it reached the f64 sum. Per-element losses now widen before they are weighted.
#[test]
fn huge_finite_logits_give_finite_losses_and_gradients() {
    let shape = Shape::new(1, 3, &[1]).unwrap();
    let pred = [-4.253789e37f32, 31.346573, 2.3326216e-38];
    let penalty = [191.86523f32];
    let input = Input::new(&pred, shape, Target::labels(&[0u8])).unwrap();
    let mut grad = [0.0f32; 3];
    let v = Dpce::new(&penalty).value_grad(&input, &mut grad).unwrap();
    assert!(v.is_finite() && v > 1e39, "{v}");
    // Regression (fuzz finding): logits whose difference overflows f32 (TopK's per-pixel
    // loss became +inf).
    let apart = [-2.1267648e38f32, 2.3013915e38];
    let two = Shape::new(1, 2, &[1]).unwrap();
    let mut rng = Rng::new(7);
    let data = LossData::new(2, 1, &mut rng);
    let input = Input::new(&apart, two, Target::labels(&[0u8])).unwrap();
    for Subject { name, loss, .. } in subjects_f32(&specs_for(two), &data) {
        let mut grad = [0.0f32; 2];
        let v = loss.value_grad(&input, &mut grad).unwrap();
        assert!(v.is_finite(), "{name}: {v}");
        assert!(grad.iter().all(|g| g.is_finite()), "{name}: {grad:?}");
    }
    let big: Vec<f32> = [3e38f32, -3e38, 1e37, -2e37, 0.0, 5.0].to_vec();
    let shape = Shape::new(1, 3, &[2]).unwrap();
    let mut rng = Rng::new(6);
    let data = LossData::new(3, 2, &mut rng);
    for activation in [Activation::Softmax, Activation::Sigmoid] {
        let input = Input::new(&big, shape, Target::labels(&[0u8, 2]))
            .unwrap()
            .with_activation(activation);
        for Subject { name, loss, .. } in subjects_f32(&specs_for(shape), &data) {
            let mut grad = [0.0f32; 6];
            let v = loss.value_grad(&input, &mut grad).unwrap();
            assert!(v.is_finite(), "{name} {activation:?}: {v}");
            assert!(
                grad.iter().all(|g| g.is_finite()),
                "{name} {activation:?}: {grad:?}"
            );
        }
    }
}

/// The softmax case of the training benchmark's finding: BalancedBce on a confident class.
fn confident_balanced_bce() -> ((f64, [f32; 4]), (f64, [f64; 4])) {
    use segloss::losses::BalancedBce;
    let shape = Shape::new(1, 4, &[1]).unwrap();
    let z64 = [17.0f64, 0.0, 0.0, 0.0];
    let z32 = [17.0f32, 0.0, 0.0, 0.0];
    let loss = BalancedBce::new(0.5);
    let mut g64 = [0.0f64; 4];
    let mut g32 = [0.0f32; 4];
    let in64 = Input::new(&z64, shape, Target::labels(&[1u8])).unwrap();
    let in32 = Input::new(&z32, shape, Target::labels(&[1u8])).unwrap();
    let v64 = loss.value_grad(&in64, &mut g64).unwrap();
    let v32 = loss.value_grad(&in32, &mut g32).unwrap();
    ((v32, g32), (v64, g64))
}

/// Regression (found by the training benchmark): under softmax `1 − s` of a confident
/// class cancelled in f32, so Combo's `ln(1 − s)` was 58.5 instead of 16.45. `1 − s` is now
/// the sum of the other classes' probabilities.
#[test]
fn balanced_bce_of_a_confident_softmax_has_the_f64_value_in_f32() {
    let ((v32, _), (v64, _)) = confident_balanced_bce();
    assert!(close(v32, v64, 1e-5, 0.0), "{v32} vs {v64}");
}

/// Regression: the gradient of that confident class was off in f32 (0.5 instead of 1.0):
/// the term's `s/(1 − s)` in log space is ~1e7 and the softmax Jacobian `u − s Σu`
/// cancelled. The term now hands the engine `u − α s` (the same logit gradient), with `α`
/// chosen so the confident class adds 0.
#[test]
fn balanced_bce_of_a_confident_softmax_has_the_f64_gradient_in_f32() {
    let ((_, g32), (_, g64)) = confident_balanced_bce();
    for (a, b) in g32.iter().zip(&g64) {
        assert!(close(f64::from(*a), *b, 1e-4, 1e-6), "{g32:?} vs {g64:?}");
    }
}

#[test]
fn region_losses_read_the_quadratic_statistics_only_when_their_parameters_say_so() {
    use segloss::losses::{Dice, Tversky};
    use segloss::region::RegionFormula;
    assert!(!Dice::new().quadratic());
    assert!(Dice::new().with_squared_pred(true).quadratic());
    assert!(!Tversky::new().quadratic());
}
