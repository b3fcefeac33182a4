//! Regression tests of what fuzzing and the property tests found in the core and the std
//! adapter. Each open finding is `#[ignore]`d with the finding's id and a one-line summary
//! until the core is fixed (then drop the `#[ignore]`); the crash inputs are under
//! `fuzz/regressions/` and `docs/validation.md` describes each finding.

use segloss::losses::{ClassWeights, WeightedCrossEntropy};
use segloss::{engine, Input, Real, Shape, Target};

fn finite_run<T: Real>(pred: &[T], shape: Shape, target: Target<'_, T>) -> (f64, Vec<T>) {
    let input = Input::new(pred, shape, target).unwrap();
    let loss = WeightedCrossEntropy::new(ClassWeights::InverseFrequency);
    let mut grad = vec![T::zero(); pred.len()];
    let v = engine::forward_backward(&loss, &input, &mut [], &mut grad).unwrap();
    (v, grad)
}

/// F1 (fuzz `typed_losses`, `fuzz/regressions/typed_losses-F1-wce-inverse-tiny-mass`):
/// `WeightedCrossEntropy::new(ClassWeights::InverseFrequency)` on a soft (dense) target
/// whose class mass is subnormal. The weight `N / (C · mass)` overflows: in `f32` the
/// scaled weight is converted with `T::of` (not the saturating `T::of_grad`) in pass 2, so
/// it becomes `+∞` and `∞ · 0 = NaN` on the class's other pixels; in `f64` the weight
/// itself is `+∞` and the value is NaN. Expected: a finite value and gradient (saturate,
/// or cap the weight), as every other loss does.
#[test]
#[ignore = "F1: WCE inverse-frequency weight overflows on a subnormal soft class mass (core fix pending)"]
fn wce_inverse_tiny_class_mass() {
    let shape = Shape::new(1, 2, &[2]).unwrap();
    // channel-first: class 0 = [tiny, 0], class 1 = [1 - tiny, 1]
    let tiny32 = f32::from_bits(1);
    let dense32 = [tiny32, 0.0, 1.0, 1.0];
    let (v, g) = finite_run(&[0.0f32; 4], shape, Target::dense(&dense32[..]));
    assert!(v.is_finite(), "f32 value {v}");
    assert!(g.iter().all(|x| x.is_finite()), "f32 gradient {g:?}");

    let tiny64 = f64::from_bits(1);
    let dense64 = [tiny64, 0.0, 1.0, 1.0];
    let (v, g) = finite_run(&[0.0f64; 4], shape, Target::dense(&dense64[..]));
    assert!(v.is_finite(), "f64 value {v}");
    assert!(g.iter().all(|x| x.is_finite()), "f64 gradient {g:?}");
}

/// F2 (fuzz `typed_losses`, `fuzz/regressions/typed_losses-F2-topk-threshold-tiny-mass`):
/// `TopKThreshold` on a soft target whose selected mass is subnormal: the mean's scale
/// `1 / mass` is converted with `T::of` in pass 2 and overflows `f32` to `+∞`, so the
/// gradient is `∞ · 0 = NaN` (value finite). Same family as F1.
#[test]
#[ignore = "F2: TopKThreshold scale 1/mass overflows f32 on a subnormal soft target (core fix pending)"]
fn topk_threshold_tiny_target_mass() {
    use segloss::losses::TopKThreshold;
    let shape = Shape::new(1, 2, &[2]).unwrap();
    let tiny = f32::from_bits(1);
    let dense = [tiny; 4];
    let input = Input::new(&[0.0f32; 4], shape, Target::dense(&dense[..])).unwrap();
    let mut grad = [0.0f32; 4];
    let v = engine::forward_backward(&TopKThreshold::new(0.7), &input, &mut [], &mut grad).unwrap();
    assert!(v.is_finite(), "value {v}");
    assert!(grad.iter().all(|x| x.is_finite()), "gradient {grad:?}");
}

/// F3 (property `thread_count_independence`): `segloss_std::threads::forward_backward`
/// splits the batch into one-sample views, but a loss holding a per-pixel map of the whole
/// batch (`Dpce::new(&penalty)`, `Boundary::with_maps(&maps)`) then checks the map's length
/// against the one-sample view and refuses it (`Error::Length { what: PixelMap, .. }`),
/// while the sequential engine accepts the same call. The documented claim is
/// "bit-identical to `engine::forward_backward` whatever the pool's size". Expected: run
/// such losses sequentially (as for losses with a workspace) or slice their maps per view.
#[test]
#[ignore = "F3: threads::forward_backward refuses DPCE / Boundary::with_maps on batches > 1 (std-adapter fix pending)"]
fn threads_accept_losses_with_pixel_maps() {
    use segloss::losses::{Boundary, Dpce};
    use segloss_std::{simd::Isa, threads};
    let shape = Shape::new(3, 2, &[4]).unwrap();
    let logits: Vec<f64> = (0..24).map(|i| f64::from(i % 5) - 2.0).collect();
    let labels: Vec<u8> = (0..12).map(|i| (i % 2) as u8).collect();
    let penalty = [0.5f64; 12];
    let maps = [0.25f64; 24];
    let input = Input::new(&logits, shape, Target::labels(&labels[..])).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let mut seq = vec![0.0; 24];
    let mut par = vec![0.0; 24];
    let dpce = Dpce::new(&penalty[..]);
    let want = engine::forward_backward(&dpce, &input, &mut [], &mut seq).unwrap();
    let got = threads::forward_backward(&pool, Isa::Portable, &dpce, &input, &mut [], &mut par);
    assert_eq!(got, Ok(want), "dpce");
    assert_eq!(par, seq);
    let boundary = Boundary::with_maps(&maps[..]);
    let want = engine::forward_backward(&boundary, &input, &mut [], &mut seq).unwrap();
    let got = threads::forward_backward(&pool, Isa::Portable, &boundary, &input, &mut [], &mut par);
    assert_eq!(got, Ok(want), "boundary with maps");
}
