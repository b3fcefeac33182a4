//! The boundary-based losses: central finite differences in f64 (every activation, layout,
//! option, with masks and ignored labels), and their contracts: precomputed maps equal
//! computed ones, layouts agree, data-parallel phases give the single-device result, the
//! workspace is needed in pass 2, perfect predictions, bad parameters.

use segloss::edt::SignedMaps;
use segloss::losses::{dpce_penalty, Boundary, Dpce, Hausdorff, Reduction};
use segloss::{engine, Activation, Error, Input, Layout, Loss, Shape, Stats, Target};
use segloss_tests::SplitMix64 as Rng;

struct Case {
    name: String,
    shape: Shape,
    act: Activation,
    layout: Layout,
    pred: Vec<f64>,
    labels: Vec<i64>,
    mask: Option<Vec<bool>>,
}

impl Case {
    fn input<'a>(&'a self, pred: &'a [f64]) -> Input<'a, f64> {
        let input = Input::new(
            pred,
            self.shape,
            Target::labels(&self.labels[..]).with_ignore_index(-1),
        )
        .unwrap()
        .with_activation(self.act)
        .with_layout(self.layout)
        .with_tile_pixels(16);
        match &self.mask {
            Some(m) => input.with_mask(m).unwrap(),
            None => input,
        }
    }
}

/// Index in the stored layout of element (b, c, k).
fn at(shape: Shape, layout: Layout, b: usize, c: usize, k: usize) -> usize {
    let (cl, n) = (shape.classes(), shape.pixels_per_sample());
    match layout {
        Layout::ChannelFirst => (b * cl + c) * n + k,
        Layout::ChannelLast => (b * n + k) * cl + c,
    }
}

/// Blobby labels and predictions that agree with them, every probability more than 0.02
/// away from 0.5 (finite-difference steps never flip the thresholded prediction).
fn make_case(name: &str, seed: u64, b: usize, c: usize, sp: &[usize], act: Activation) -> Case {
    let mut rng = Rng::new(seed);
    let shape = Shape::new(b, c, sp).unwrap();
    let n = shape.pixels_per_sample();
    let classes = if c == 1 { 2 } else { c };
    // labels: nearest of a few random centres per sample, a few ignored
    let mut labels = vec![0i64; b * n];
    for s in 0..b {
        let centres: Vec<(Vec<f64>, i64)> = (0..4)
            .map(|_| {
                let p = sp.iter().map(|&d| rng.uniform() * d as f64).collect();
                (p, rng.below(classes) as i64)
            })
            .collect();
        for k in 0..n {
            let mut r = k;
            let mut coord = vec![0.0; sp.len()];
            for a in (0..sp.len()).rev() {
                coord[a] = (r % sp[a]) as f64;
                r /= sp[a];
            }
            let best = centres
                .iter()
                .min_by(|x, y| {
                    let dx: f64 = x.0.iter().zip(&coord).map(|(p, q)| (p - q).powi(2)).sum();
                    let dy: f64 = y.0.iter().zip(&coord).map(|(p, q)| (p - q).powi(2)).sum();
                    dx.partial_cmp(&dy).unwrap()
                })
                .unwrap();
            labels[s * n + k] = if rng.uniform() < 0.06 { -1 } else { best.1 };
        }
    }
    let mut pred = vec![0.0; shape.elements()];
    loop {
        for s in 0..b {
            for k in 0..n {
                let l = labels[s * n + k];
                for j in 0..c {
                    let g = if c == 1 { l == 1 } else { l == j as i64 } as i32 as f64;
                    let x = 1.5 * (2.0 * g - 1.0) + 1.2 * rng.normal();
                    pred[at(shape, Layout::ChannelFirst, s, j, k)] = x;
                }
            }
        }
        if act == Activation::Identity {
            // softmax rows, given as probabilities
            for s in 0..b {
                for k in 0..n {
                    let idx: Vec<usize> = (0..c)
                        .map(|j| at(shape, Layout::ChannelFirst, s, j, k))
                        .collect();
                    let m = idx.iter().map(|&i| pred[i]).fold(f64::MIN, f64::max);
                    let z: f64 = idx.iter().map(|&i| (pred[i] - m).exp()).sum();
                    for &i in &idx {
                        pred[i] = (pred[i] - m).exp() / z;
                    }
                }
            }
        }
        let probs = probabilities(shape, act, &pred);
        if probs.iter().all(|p| (p - 0.5).abs() > 0.02) {
            break;
        }
    }
    Case {
        name: name.to_string(),
        shape,
        act,
        layout: Layout::ChannelFirst,
        pred,
        labels,
        mask: None,
    }
}

/// The activated prediction, channel-first.
fn probabilities(shape: Shape, act: Activation, pred: &[f64]) -> Vec<f64> {
    let (b, c, n) = (shape.batch(), shape.classes(), shape.pixels_per_sample());
    let mut out = pred.to_vec();
    match act {
        Activation::Identity => {}
        Activation::Sigmoid => out.iter_mut().for_each(|x| *x = 1.0 / (1.0 + (-*x).exp())),
        Activation::Softmax => {
            for s in 0..b {
                for k in 0..n {
                    let idx: Vec<usize> = (0..c).map(|j| (s * c + j) * n + k).collect();
                    let m = idx.iter().map(|&i| pred[i]).fold(f64::MIN, f64::max);
                    let z: f64 = idx.iter().map(|&i| (pred[i] - m).exp()).sum();
                    for &i in &idx {
                        out[i] = (pred[i] - m).exp() / z;
                    }
                }
            }
        }
    }
    out
}

/// The same case stored channel-last.
fn channel_last(case: &Case) -> Case {
    let s = case.shape;
    let mut pred = vec![0.0; case.pred.len()];
    for b in 0..s.batch() {
        for c in 0..s.classes() {
            for k in 0..s.pixels_per_sample() {
                pred[at(s, Layout::ChannelLast, b, c, k)] =
                    case.pred[at(s, Layout::ChannelFirst, b, c, k)];
            }
        }
    }
    Case {
        name: format!("{} channel-last", case.name),
        layout: Layout::ChannelLast,
        pred,
        labels: case.labels.clone(),
        mask: case.mask.clone(),
        ..*case
    }
}

fn cases() -> Vec<Case> {
    let mut out = vec![
        make_case("softmax 2d", 1, 2, 3, &[5, 6], Activation::Softmax),
        make_case("sigmoid 2d binary", 2, 2, 1, &[6, 5], Activation::Sigmoid),
        make_case(
            "sigmoid 3d multilabel",
            3,
            1,
            2,
            &[3, 4, 4],
            Activation::Sigmoid,
        ),
        make_case("identity 2d", 4, 1, 3, &[5, 5], Activation::Identity),
        make_case("softmax 1d", 5, 2, 2, &[17], Activation::Softmax),
        make_case("softmax 3d", 6, 1, 3, &[3, 4, 5], Activation::Softmax),
    ];
    let mut masked = make_case("softmax 2d masked", 7, 2, 3, &[5, 6], Activation::Softmax);
    masked.mask = Some((0..masked.labels.len()).map(|i| i % 7 != 2).collect());
    out.push(masked);
    let cl = channel_last(&out[0]);
    out.push(cl);
    out
}

fn value(loss: &dyn Eval, input: &Input<'_, f64>) -> f64 {
    loss.value_grad(input, None)
}

/// A loss with its workspace handled.
trait Eval {
    fn value_grad(&self, input: &Input<'_, f64>, grad: Option<&mut [f64]>) -> f64;
}

impl<L: Loss<f64>> Eval for L {
    fn value_grad(&self, input: &Input<'_, f64>, grad: Option<&mut [f64]>) -> f64 {
        let mut ws = vec![0.0; self.workspace_len(&input.shape())];
        match grad {
            Some(g) => engine::forward_backward(self, input, &mut ws, g).unwrap(),
            None => engine::forward(self, input, &mut ws).unwrap(),
        }
    }
}

fn losses() -> Vec<(&'static str, Box<dyn Eval>)> {
    vec![
        ("boundary", Box::new(Boundary::<f64>::new())),
        (
            "boundary bg",
            Box::new(Boundary::<f64>::new().with_include_background(true)),
        ),
        (
            "boundary sum",
            Box::new(Boundary::<f64>::new().with_reduction(Reduction::Sum)),
        ),
        ("hd", Box::new(Hausdorff::new())),
        (
            "hd log bg",
            Box::new(
                Hausdorff::new()
                    .with_log(true)
                    .with_include_background(true),
            ),
        ),
        ("hd alpha 1", Box::new(Hausdorff::new().with_alpha(1.0))),
        (
            "hd alpha 3 sum",
            Box::new(
                Hausdorff::new()
                    .with_alpha(3.0)
                    .with_reduction(Reduction::Sum),
            ),
        ),
    ]
}

#[test]
fn gradients_match_central_differences() {
    let h = 1e-6;
    let mut checked = 0;
    for case in cases() {
        let rank = case.shape.spatial().len();
        let spacing: Vec<f64> = [1.5, 0.75, 1.25][..rank].to_vec();
        let mut all = losses();
        all.push((
            "boundary spaced",
            Box::new(Boundary::<f64>::new().with_spacing(&spacing)),
        ));
        all.push((
            "hd spaced",
            Box::new(Hausdorff::new().with_spacing(&spacing)),
        ));
        for (name, loss) in &all {
            let mut grad = vec![0.0; case.pred.len()];
            let base = loss.value_grad(&case.input(&case.pred), Some(&mut grad));
            assert!(base.is_finite(), "{name} {}", case.name);
            let mut x = case.pred.clone();
            for j in 0..x.len() {
                let x0 = x[j];
                x[j] = x0 + h;
                let up = value(loss.as_ref(), &case.input(&x));
                x[j] = x0 - h;
                let down = value(loss.as_ref(), &case.input(&x));
                x[j] = x0;
                let fd = (up - down) / (2.0 * h);
                assert!(
                    segloss_tests::close(grad[j], fd, 1e-5, 1e-7),
                    "{name} on {}: element {j}: analytic {} vs finite difference {fd}",
                    case.name,
                    grad[j]
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 5_000, "only {checked} elements checked");
}

#[test]
fn precomputed_maps_equal_computed_ones() {
    for case in cases()
        .into_iter()
        .filter(|c| c.layout == Layout::ChannelFirst)
    {
        let input = case.input(&case.pred);
        let sp: Vec<f64> = (0..case.shape.spatial().len())
            .map(|a| 0.5 + a as f64)
            .collect();
        // the maps as a pipeline computes them (ignored labels belong to no class)
        let classes = if case.shape.classes() == 1 {
            // one sigmoid channel: the map of the foreground label
            let fg: Vec<i64> = case.labels.iter().map(|&l| (l == 1) as i64).collect();
            let two = Shape::new(case.shape.batch(), 2, case.shape.spatial()).unwrap();
            let mut m = vec![0.0; two.elements()];
            let maps = SignedMaps::new(two, &sp).unwrap();
            let mut ws = vec![0.0; maps.workspace_len()];
            maps.run(&fg[..], &mut m, &mut ws).unwrap();
            let n = case.shape.pixels_per_sample();
            (0..case.shape.batch())
                .flat_map(|b| m[(2 * b + 1) * n..(2 * b + 2) * n].to_vec())
                .collect::<Vec<f64>>()
        } else {
            let maps = SignedMaps::new(case.shape, &sp)
                .unwrap()
                .with_ignore_index(-1);
            let mut m = vec![0.0; case.shape.elements()];
            let mut ws = vec![0.0; maps.workspace_len()];
            maps.run(&case.labels[..], &mut m, &mut ws).unwrap();
            m
        };
        for bg in [false, true] {
            let computed = Boundary::new()
                .with_spacing(&sp)
                .with_include_background(bg);
            let given = Boundary::with_maps(&classes).with_include_background(bg);
            let mut g1 = vec![0.0; case.pred.len()];
            let mut g2 = vec![0.0; case.pred.len()];
            let v1 = computed.value_grad(&input, Some(&mut g1));
            let v2 = given.value_grad(&input, Some(&mut g2));
            assert!((v1 - v2).abs() < 1e-12, "{}: {v1} vs {v2}", case.name);
            assert!(g1.iter().zip(&g2).all(|(a, b)| (a - b).abs() < 1e-12));
            assert_eq!(Loss::<f64>::workspace_len(&given, &input.shape()), 0);
        }
    }
}

#[test]
fn layouts_agree() {
    let cf = make_case("layout", 11, 2, 3, &[4, 5, 3], Activation::Softmax);
    let cl = channel_last(&cf);
    let s = cf.shape;
    for (name, loss) in losses() {
        let mut g1 = vec![0.0; cf.pred.len()];
        let mut g2 = vec![0.0; cf.pred.len()];
        let v1 = loss.value_grad(&cf.input(&cf.pred), Some(&mut g1));
        let v2 = loss.value_grad(&cl.input(&cl.pred), Some(&mut g2));
        assert!((v1 - v2).abs() <= 1e-12 * v1.abs().max(1.0), "{name}");
        for b in 0..s.batch() {
            for c in 0..s.classes() {
                for k in 0..s.pixels_per_sample() {
                    let x = g1[at(s, Layout::ChannelFirst, b, c, k)];
                    let y = g2[at(s, Layout::ChannelLast, b, c, k)];
                    assert!((x - y).abs() < 1e-14, "{name}");
                }
            }
        }
    }
}

/// Data-parallel: each device runs the phases on its samples with its own workspace; the
/// merged statistics give the single-device value and gradient.
#[test]
fn phases_split_over_samples_give_the_batch_result() {
    let case = make_case("split", 12, 3, 3, &[5, 6], Activation::Softmax);
    let input = case.input(&case.pred);
    fn check<L: Loss<f64>>(loss: &L, input: &Input<'_, f64>) {
        let mut whole = vec![0.0; input.shape().elements()];
        let mut ws = vec![0.0; loss.workspace_len(&input.shape())];
        let v = engine::forward_backward(loss, input, &mut ws, &mut whole).unwrap();
        let parts: Vec<_> = [0..1, 1..3]
            .iter()
            .map(|r| input.samples(r.clone()).unwrap())
            .collect();
        let mut spaces: Vec<Vec<f64>> = parts
            .iter()
            .map(|p| vec![0.0; loss.workspace_len(&p.shape())])
            .collect();
        let mut stats = L::Stats::default();
        for (p, w) in parts.iter().zip(spaces.iter_mut()) {
            let mut s = L::Stats::default();
            engine::accumulate(loss, p, &mut s, w).unwrap();
            stats.merge(&s);
        }
        let done = loss.finalize(&stats, &mut []);
        assert!((done.value - v).abs() < 1e-12, "{} vs {v}", done.value);
        let n = input.shape().classes() * input.shape().pixels_per_sample();
        let mut start = 0;
        for (p, w) in parts.iter().zip(&spaces) {
            let len = p.shape().batch() * n;
            let mut g = vec![0.0; len];
            // pass 2 reads the maps: without the workspace it is refused
            assert!(matches!(
                engine::backward(loss, p, &done.coef, &mut g),
                Err(Error::Workspace { .. })
            ));
            engine::backward_with(loss, p, &done.coef, w, &mut g).unwrap();
            assert!(g
                .iter()
                .zip(&whole[start..start + len])
                .all(|(a, b)| (a - b).abs() < 1e-14));
            start += len;
        }
    }
    check(&Boundary::new(), &input);
    check(&Hausdorff::new(), &input);
    check(&Hausdorff::new().with_log(true), &input);
}

#[test]
fn perfect_predictions() {
    // probabilities equal to the one-hot target
    let shape = Shape::new(1, 3, &[6, 7]).unwrap();
    let case = make_case("perfect", 13, 1, 3, &[6, 7], Activation::Softmax);
    let labels: Vec<i64> = case.labels.iter().map(|&l| l.max(0)).collect();
    let n = shape.pixels_per_sample();
    let mut p = vec![0.0; shape.elements()];
    for k in 0..n {
        p[labels[k] as usize * n + k] = 1.0;
    }
    let input = Input::new(&p, shape, Target::labels(&labels[..]))
        .unwrap()
        .with_activation(Activation::Identity);
    let mut g = vec![0.0; p.len()];
    assert_eq!(Hausdorff::new().value_grad(&input, Some(&mut g)), 0.0);
    assert!(g.iter().all(|x| *x == 0.0));
    // the boundary loss is smallest there: any other probabilities give more
    let best = Boundary::new().value_grad(&input, None);
    let mut rng = Rng::new(3);
    for _ in 0..20 {
        let q: Vec<f64> = p
            .iter()
            .map(|&x| (x + 0.3 * rng.normal()).clamp(0.0, 1.0))
            .collect();
        let input = Input::new(&q, shape, Target::labels(&labels[..]))
            .unwrap()
            .with_activation(Activation::Identity);
        assert!(Boundary::new().value_grad(&input, None) >= best);
    }
}

#[test]
fn bad_parameters_are_refused() {
    let case = make_case("bad", 14, 1, 2, &[4, 4], Activation::Softmax);
    let input = case.input(&case.pred);
    let mut ws = vec![0.0; 4096];
    let mut g = vec![0.0; case.pred.len()];
    let expect = |r: Result<f64, Error>, e: Error| assert_eq!(r, Err(e));
    expect(
        engine::forward(&Hausdorff::new().with_alpha(0.0), &input, &mut ws),
        Error::Parameter {
            name: "alpha",
            allowed: "in (0, 1e8]",
        },
    );
    expect(
        engine::forward(&Boundary::new().with_spacing(&[1.0]), &input, &mut ws),
        Error::SpacingCount {
            expected: 2,
            got: 1,
        },
    );
    expect(
        engine::forward(
            &Hausdorff::new().with_spacing(&[1.0, f64::INFINITY]),
            &input,
            &mut ws,
        ),
        Error::Spacing { axis: 1 },
    );
    let short = [0.0; 31];
    expect(
        engine::forward(&Boundary::with_maps(&short), &input, &mut ws),
        Error::Length {
            what: segloss::Buffer::PixelMap,
            expected: 32,
            got: 31,
        },
    );
    let mut nan = [0.0; 32];
    nan[5] = f64::NAN;
    expect(
        engine::forward(&Boundary::with_maps(&nan), &input, &mut ws),
        Error::NonFinite {
            what: segloss::Buffer::PixelMap,
            index: 5,
        },
    );
    let loss = Hausdorff::new();
    let needed = Loss::<f64>::workspace_len(&loss, &input.shape());
    let r = engine::forward_backward(&loss, &input, &mut ws[..needed - 1], &mut g);
    assert_eq!(
        r,
        Err(Error::Workspace {
            needed,
            got: needed - 1
        })
    );
    assert!(g.iter().all(|x| *x == 0.0), "nothing written on error");
}

#[test]
fn dpce_with_its_penalty_map() {
    let case = make_case("dpce", 15, 2, 3, &[6, 7], Activation::Softmax);
    let labels: Vec<i64> = case.labels.iter().map(|&l| l.max(0)).collect();
    let mut d = vec![0.0; labels.len()];
    let mut ws = vec![0.0; segloss::edt::workspace_len(&[6, 7])];
    dpce_penalty(&labels[..], &[6, 7], &[], &mut d, &mut ws).unwrap();
    assert!(d.iter().all(|x| (0.0..=1.0).contains(x)));
    let input = Input::new(&case.pred, case.shape, Target::labels(&labels[..])).unwrap();
    let mut g = vec![0.0; case.pred.len()];
    let v = Dpce::new(&d).value_grad(&input, Some(&mut g));
    assert!(v.is_finite() && v > 0.0);
}

/// A dense one-hot target gives what its labels give, in both layouts (the maps threshold
/// the dense target at 0.5).
#[test]
fn dense_targets_equal_labels() {
    let case = make_case("dense", 16, 2, 3, &[5, 4, 3], Activation::Softmax);
    let s = case.shape;
    let labels: Vec<i64> = case.labels.iter().map(|&l| l.max(0)).collect();
    for layout in [Layout::ChannelFirst, Layout::ChannelLast] {
        let stored = if layout == Layout::ChannelLast {
            channel_last(&case).pred
        } else {
            case.pred.clone()
        };
        let mut dense = vec![0.0; s.elements()];
        for b in 0..s.batch() {
            for k in 0..s.pixels_per_sample() {
                let l = labels[b * s.pixels_per_sample() + k] as usize;
                dense[at(s, layout, b, l, k)] = 1.0;
            }
        }
        let by_labels = Input::new(&stored, s, Target::labels(&labels[..]))
            .unwrap()
            .with_layout(layout);
        let by_map = Input::new(&stored, s, Target::dense(&dense))
            .unwrap()
            .with_layout(layout);
        for (name, loss) in losses() {
            let mut g1 = vec![0.0; stored.len()];
            let mut g2 = vec![0.0; stored.len()];
            let v1 = loss.value_grad(&by_labels, Some(&mut g1));
            let v2 = loss.value_grad(&by_map, Some(&mut g2));
            assert!(
                (v1 - v2).abs() <= 1e-12 * v1.abs().max(1.0),
                "{name} {layout:?}"
            );
            assert!(
                g1.iter().zip(&g2).all(|(a, b)| (a - b).abs() < 1e-14),
                "{name}"
            );
        }
    }
}
