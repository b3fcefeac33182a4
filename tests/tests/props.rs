//! Property tests (proptest, few cases each so the file runs in seconds): loss ranges,
//! perfect-prediction minima, invariance under a permutation of pixels, associativity of
//! the statistics' merge, thread-count independence, and the EDT against brute force.

use proptest::prelude::*;
use segloss::edt::{Edt, NoZero};
use segloss::losses::{CrossEntropy, Dice, Dpce, Iou, Tversky};
use segloss::{engine, Activation, Input, Loss, Shape, Stats, Target};
use segloss_std::simd::Isa;
use segloss_tests::losses::{
    runtime_f32, runtime_f64, specs_for, subjects_f64, typed_dispatch_f32, typed_dispatch_f64,
};
use segloss_tests::{isa_levels, pools, LossData, SplitMix64 as Rng};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A batch `(B, C, N)` with 1-D spatial size `N`: logits in `[-8, 8]` and labels.
#[derive(Clone, Debug)]
struct Batch {
    b: usize,
    c: usize,
    n: usize,
    logits: Vec<f64>,
    labels: Vec<u8>,
}

impl Batch {
    fn shape(&self) -> Shape {
        Shape::new(self.b, self.c, &[self.n]).unwrap()
    }
}

fn batch(max_b: usize, max_c: usize, max_n: usize) -> impl Strategy<Value = Batch> {
    (1..=max_b, 1..=max_c, 1..=max_n).prop_flat_map(|(b, c, n)| {
        (
            prop::collection::vec(-8.0f64..8.0, b * c * n),
            prop::collection::vec(0..c as u8, b * n),
        )
            .prop_map(move |(logits, labels)| Batch {
                b,
                c,
                n,
                logits,
                labels,
            })
    })
}

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Softmax),
        Just(Activation::Sigmoid),
        Just(Activation::Identity)
    ]
}

/// Probabilities for `Identity`: each pixel's softmax of the logits (sums to 1).
fn probabilities(bt: &Batch) -> Vec<f64> {
    let (c, n) = (bt.c, bt.n);
    let mut p = bt.logits.clone();
    for s in 0..bt.b {
        for k in 0..n {
            let at = |j: usize| s * c * n + j * n + k;
            let m = (0..c).map(|j| bt.logits[at(j)]).fold(f64::MIN, f64::max);
            let z: f64 = (0..c).map(|j| (bt.logits[at(j)] - m).exp()).sum();
            for j in 0..c {
                p[at(j)] = (bt.logits[at(j)] - m).exp() / z;
            }
        }
    }
    p
}

fn value<L: Loss<f64>>(loss: &L, input: &Input<'_, f64>) -> f64 {
    let mut ws = vec![0.0; loss.workspace_len(&input.shape())];
    engine::forward(loss, input, &mut ws).unwrap()
}

proptest! {
    #![proptest_config(config(64))]

    /// Dice, IoU and Tversky lie in [0, 1] with hard labels, whatever the activation.
    #[test]
    fn overlap_losses_lie_in_unit_interval(
        bt in batch(3, 4, 12),
        act in activation(),
        alpha in 0.0f64..1.0,
        smooth in prop_oneof![Just(0.0), Just(1e-5), Just(1.0)],
        batch_dice in any::<bool>(),
    ) {
        let pred = if act == Activation::Identity { probabilities(&bt) } else { bt.logits.clone() };
        let input = Input::new(&pred, bt.shape(), Target::labels(&bt.labels[..]))
            .unwrap()
            .with_activation(act);
        let values = [
            value(&Dice::new().with_smooth_nr(smooth).with_smooth_dr(smooth).with_batch(batch_dice), &input),
            value(&Dice::new().with_squared_pred(true).with_smooth_nr(smooth).with_smooth_dr(smooth), &input),
            value(&Iou::new().with_smooth_nr(smooth).with_smooth_dr(smooth).with_batch(batch_dice), &input),
            value(&Tversky::new().with_alpha(alpha).with_beta(1.0 - alpha).with_smooth_nr(smooth).with_smooth_dr(smooth), &input),
        ];
        for v in values {
            prop_assert!((-1e-12..=1.0 + 1e-12).contains(&v), "value {v}");
        }
    }

    /// One-hot probabilities under `Identity` are Dice's minimum (0) and no other
    /// prediction does better; large correct logits give CE near 0.
    #[test]
    fn perfect_prediction_is_the_minimum(bt in batch(2, 4, 10), margin in 20.0f64..40.0) {
        let (c, n) = (bt.c, bt.n);
        let shape = bt.shape();
        let onehot: Vec<f64> = (0..bt.logits.len())
            .map(|i| {
                let (s, j, k) = (i / (c * n), i / n % c, i % n);
                let label = usize::from(bt.labels[s * n + k]);
                // one channel: the foreground probability (binary segmentation)
                let hot = if c == 1 { label == 1 } else { label == j };
                f64::from(u8::from(hot))
            })
            .collect();
        let target = Target::labels(&bt.labels[..]);
        let perfect = Input::new(&onehot, shape, target).unwrap().with_activation(Activation::Identity);
        let other_p = probabilities(&bt);
        let other = Input::new(&other_p, shape, target).unwrap().with_activation(Activation::Identity);
        for dice in [Dice::new(), Dice::new().with_batch(true), Dice::new().with_squared_pred(true)] {
            let best = value(&dice, &perfect);
            prop_assert!(best.abs() <= 1e-12, "Dice of the perfect prediction: {best}");
            prop_assert!(best <= value(&dice, &other) + 1e-12);
        }
        if c > 1 {
            let logits: Vec<f64> = onehot.iter().map(|&g| g * margin).collect();
            let input = Input::new(&logits, shape, target).unwrap();
            let ce = value(&CrossEntropy::new(), &input);
            // −ln s for s within an ulp of 1 rounds to a multiple of ε
            let bound = c as f64 * (-margin).exp() * 1.01 + 4.0 * f64::EPSILON;
            prop_assert!((0.0..=bound).contains(&ce), "CE {ce}");
            prop_assert!(ce <= value(&CrossEntropy::new(), &Input::new(&bt.logits, shape, target).unwrap()));
        }
    }

    /// Permuting the pixels of every sample (logits, labels and penalty alike) keeps the
    /// value and permutes the gradient, for every loss that does not look at where a pixel
    /// is (all but the boundary-based ones).
    #[test]
    fn pixel_permutation_invariance(bt in batch(2, 3, 12), act in activation(), seed in any::<u64>()) {
        let (b, c, n) = (bt.b, bt.c, bt.n);
        let mut rng = Rng::new(seed);
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            perm.swap(i, rng.below(i + 1));
        }
        let pred = if act == Activation::Identity { probabilities(&bt) } else { bt.logits.clone() };
        let data = LossData::<f64>::new(c, b * n, &mut Rng::new(seed ^ 1));
        let mut pdata = LossData::<f64>::new(c, b * n, &mut Rng::new(seed ^ 1));
        let mut ppred = pred.clone();
        let mut plabels = bt.labels.clone();
        for s in 0..b {
            for (k, &from) in perm.iter().enumerate() {
                plabels[s * n + k] = bt.labels[s * n + from];
                pdata.penalty[s * n + k] = data.penalty[s * n + from];
                for j in 0..c {
                    ppred[s * c * n + j * n + k] = pred[s * c * n + j * n + from];
                }
            }
        }
        let shape = bt.shape();
        let input = Input::new(&pred, shape, Target::labels(&bt.labels[..])).unwrap().with_activation(act);
        let pinput = Input::new(&ppred, shape, Target::labels(&plabels[..])).unwrap().with_activation(act);
        let specs = specs_for(shape);
        for (s, ps) in subjects_f64(&specs, &data).into_iter().zip(subjects_f64(&specs, &pdata)) {
            let (name, loss, ploss) = (s.name, s.loss, ps.loss);
            if name.contains("boundary") || name.contains("hausdorff") || name.contains("hd") {
                continue;
            }
            let mut g = vec![0.0; pred.len()];
            let mut pg = vec![0.0; pred.len()];
            let (Ok(v), Ok(pv)) = (loss.value_grad(&input, &mut g), ploss.value_grad(&pinput, &mut pg)) else {
                continue;
            };
            prop_assert!((v - pv).abs() <= 1e-12 * v.abs().max(1.0), "{name}: {v} vs {pv}");
            let scale = g.iter().fold(1e-300f64, |m, x: &f64| m.max(x.abs()));
            for s in 0..b {
                for (k, &from) in perm.iter().enumerate() {
                    for j in 0..c {
                        let (x, y) = (g[s * c * n + j * n + from], pg[s * c * n + j * n + k]);
                        // reordered sums: rounding, amplified where a loss cancels (MCC)
                        prop_assert!((x - y).abs() <= 1e-10 * scale + 1e-12, "{name}: gradient {x} vs {y}");
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// Statistics merged in different groupings finalize to the same value (1e-12).
    #[test]
    fn merge_is_associative(bt in batch(4, 3, 10), seed in any::<u64>()) {
        prop_assume!(bt.b >= 2);
        let shape = bt.shape();
        let input = Input::new(&bt.logits, shape, Target::labels(&bt.labels[..])).unwrap();
        let mut rng = Rng::new(seed);
        let w: Vec<f64> = (0..bt.c).map(|_| 0.5 + rng.uniform()).collect();
        let penalty: Vec<f64> = (0..shape.pixels()).map(|_| rng.uniform()).collect();
        let whole = |v: f64| move |x: f64| (x - v).abs() <= 1e-12 * v.abs().max(1.0);
        let data = LossData { weights: w.clone(), penalty: penalty.clone() };
        let specs = specs_for(shape);
        for s in subjects_f64(&specs, &data) {
            // TopK's statistics are exact within one workspace only; DPCE's map is per
            // view (checked below).
            if s.name.contains("topk(") || s.name.contains("topk ") || s.name.ends_with("topk") || s.name.contains("dpce") {
                continue;
            }
            let Ok(v) = s.loss.value(&input) else { continue };
            for g in s.loss.merged_values(&input).unwrap() {
                prop_assert!(whole(v)(g), "{}: {} vs {}", s.name, g, v);
            }
        }
        // DPCE's penalty map is per view: check it through views of the map.
        let d = Dpce::new(&penalty[..]);
        let v = value(&d, &input);
        let n = shape.pixels_per_sample();
        let mut left = <Dpce<'_, f64> as Loss<f64>>::Stats::default();
        for s in 0..bt.b {
            let mut st = Default::default();
            let view = input.samples(s..s + 1).unwrap();
            engine::accumulate(&Dpce::new(&penalty[s * n..(s + 1) * n]), &view, &mut st, &mut []).unwrap();
            left.merge(&st);
        }
        let got = Loss::<f64>::finalize(&d, &left, &mut []).value;
        prop_assert!(whole(v)(got), "dpce: {} vs {}", got, v);
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// `threads::forward_backward` gives the same bits with 1, 2 and 3 threads, and the
    /// same bits as the sequential engine, also for a loss holding a whole-batch map (DPCE:
    /// the adapter runs it sequentially, finding F3).
    #[test]
    fn thread_count_independence(bt in batch(5, 3, 20), act in activation(), seed in any::<u64>()) {
        let pred32: Vec<f32> = if act == Activation::Identity { probabilities(&bt) } else { bt.logits.clone() }
            .iter().map(|&x| x as f32).collect();
        let shape = bt.shape();
        let data = LossData::<f32>::new(bt.c, shape.pixels(), &mut Rng::new(seed));
        let input = Input::new(&pred32, shape, Target::labels(&bt.labels[..])).unwrap().with_activation(act);
        let specs = specs_for(shape);
        let typed = typed_dispatch_f32(&data);
        let runtime = runtime_f32(&specs, &data);
        for (name, loss) in typed.iter().map(|(n, l)| (n.to_string(), l)).chain(runtime.iter().map(|(n, l)| (n.clone(), l))) {
            let mut seq = vec![0.0f32; pred32.len()];
            let sv = loss.value_grad(&input, &mut seq).map(f64::to_bits);
            for pool in pools() {
                for isa in [Isa::Portable, Isa::detect()] {
                    let mut g = vec![0.0f32; pred32.len()];
                    let v = loss.value_grad_on(pool, isa, &input, &mut g).map(f64::to_bits);
                    prop_assert_eq!(v, sv, "{} with {} threads", name, pool.current_num_threads());
                    prop_assert!(g.iter().zip(&seq).all(|(a, b)| a.to_bits() == b.to_bits()),
                        "{} gradient with {} threads ({:?})", name, pool.current_num_threads(), isa);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// TopK's value is the mean of the `max(1, ⌊N k / 100⌋)` largest per-pixel cross
    /// entropies, found here by sorting (softmax; logits from a few values, so many pixels
    /// tie at the threshold).
    #[test]
    fn topk_is_the_mean_of_the_largest_pixel_losses(
        bt in batch(3, 4, 40),
        levels in prop::collection::vec(-2i8..=2, 1..60),
        k in 1.0f64..100.0,
    ) {
        let logits: Vec<f64> = (0..bt.logits.len())
            .map(|i| f64::from(levels[i % levels.len()]))
            .collect();
        let (c, n) = (bt.c, bt.n);
        let input = Input::new(&logits, bt.shape(), Target::labels(&bt.labels[..]))
            .unwrap()
            .with_activation(Activation::Softmax);
        let mut losses: Vec<f64> = (0..bt.b * n)
            .map(|p| {
                let (s, k) = (p / n, p % n);
                let z = |j: usize| logits[s * c * n + j * n + k];
                let m = (0..c).map(z).fold(f64::MIN, f64::max);
                let lse = m + (0..c).map(|j| (z(j) - m).exp()).sum::<f64>().ln();
                lse - z(usize::from(bt.labels[p]))
            })
            .collect();
        losses.sort_by(|a, b| b.total_cmp(a));
        let count = ((losses.len() as f64 * k / 100.0).floor() as usize).clamp(1, losses.len());
        let want = losses[..count].iter().sum::<f64>() / count as f64;
        let got = value(&segloss::losses::TopK::new(k), &input);
        prop_assert!((got - want).abs() <= 1e-12 * (1.0 + want.abs()), "{got} vs {want}");
    }
}

/// Squared distances by brute force.
fn brute_edt(dims: &[usize], sp: &[f64], mask: &[bool]) -> Vec<f64> {
    let coords = |mut i: usize| {
        let mut c = [0usize; 3];
        for (a, &d) in dims.iter().enumerate().rev() {
            c[a] = i % d;
            i /= d;
        }
        c
    };
    (0..mask.len())
        .map(|i| {
            if !mask[i] {
                return 0.0;
            }
            let p = coords(i);
            (0..mask.len())
                .filter(|&j| !mask[j])
                .map(|j| {
                    let q = coords(j);
                    (0..dims.len())
                        .map(|a| ((p[a] as f64 - q[a] as f64) * sp[a]).powi(2))
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}

proptest! {
    #![proptest_config(config(96))]

    /// The exact EDT equals a brute-force transform on small random masks and spacings
    /// (f64 to 1e-12 relative, f32 to 1e-6).
    #[test]
    fn edt_matches_brute_force(
        dims in prop::collection::vec(1usize..7, 1..=3),
        spacing in prop::collection::vec(0.2f64..5.0, 3),
        density in 0.0f64..1.0,
        seed in any::<u64>(),
    ) {
        let n: usize = dims.iter().product();
        let mut rng = Rng::new(seed);
        let mask: Vec<bool> = (0..n).map(|_| rng.uniform() < density).collect();
        prop_assume!(mask.iter().any(|m| !m));
        let sp = &spacing[..dims.len()];
        let want = brute_edt(&dims, sp, &mask);
        let edt = Edt::new(&dims, sp).unwrap().with_no_zero(NoZero::Infinity);
        let mut out = vec![0.0f64; n];
        edt.run(&mask, &mut out, &mut vec![0.0; edt.workspace_len()]).unwrap();
        let mut out32 = vec![0.0f32; n];
        edt.run(&mask, &mut out32, &mut vec![0.0; edt.workspace_len()]).unwrap();
        for i in 0..n {
            let w = want[i].sqrt();
            prop_assert!((out[i] - w).abs() <= 1e-12 * w, "f64 voxel {}: {} vs {}", i, out[i], w);
            prop_assert!((f64::from(out32[i]) - w).abs() <= 1e-6 * w, "f32 voxel {}: {} vs {}", i, out32[i], w);
        }
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// The SIMD levels (Portable, AVX2, AVX-512 where present) give the scalar engine's
    /// bits in `f64` too (the `differential` fuzz target covers `f32` for every loss).
    #[test]
    fn simd_levels_are_bit_identical_in_f64(bt in batch(3, 4, 40), act in activation()) {
        let pred = if act == Activation::Identity { probabilities(&bt) } else { bt.logits.clone() };
        let shape = bt.shape();
        let input = Input::new(&pred, shape, Target::labels(&bt.labels[..])).unwrap().with_activation(act);
        let data = LossData::<f64>::new(bt.c, shape.pixels(), &mut Rng::new(5));
        let specs = specs_for(shape);
        let typed = typed_dispatch_f64(&data);
        let runtime = runtime_f64(&specs, &data);
        for (name, loss) in typed.iter().map(|(n, l)| (n.to_string(), l)).chain(runtime.iter().map(|(n, l)| (n.clone(), l))) {
            let mut want = vec![0.0f64; pred.len()];
            let v = loss.value_grad(&input, &mut want).map(f64::to_bits);
            for isa in isa_levels() {
                let mut g = vec![0.0f64; pred.len()];
                let got = loss.value_grad_at(isa, &input, &mut g).map(f64::to_bits);
                prop_assert_eq!(got, v, "{} at {:?}", name, isa);
                prop_assert!(g.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{} gradient at {:?}", name, isa);
            }
        }
    }
}
