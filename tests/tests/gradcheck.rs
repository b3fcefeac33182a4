//! Central finite differences in f64 against the analytic gradient of every loss of the
//! catalogue (typed and run-time, each entry and a spread of options:
//! `segloss_tests::losses`), under every activation, target kind and layout. A loss with
//! steps or kinks (TopK's selection, Hausdorff's thresholded prediction) is checked where
//! two step sizes agree, that is away from them.

use segloss::catalogue::CATALOGUE;
use segloss::rng::SplitMix64;
use segloss::{Activation, Input, Layout, Shape, Target};
use segloss_tests::losses::{specs, subjects_f64};
use segloss_tests::{close, LossData};
use std::collections::BTreeSet;

struct Case {
    name: String,
    shape: Shape,
    layout: Layout,
    activation: Activation,
    pred: Vec<f64>,
    labels: Option<Vec<i64>>,
    dense: Option<Vec<f64>>,
    mask: Option<Vec<bool>>,
}

impl Case {
    fn input<'a>(&'a self, pred: &'a [f64]) -> Input<'a, f64> {
        let target = match (&self.labels, &self.dense) {
            (Some(l), _) => Target::labels(&l[..]).with_ignore_index(-1),
            (None, Some(d)) => Target::dense(&d[..]),
            (None, None) => unreachable!("a case has a target"),
        };
        let input = Input::new(pred, self.shape, target)
            .unwrap()
            .with_layout(self.layout)
            .with_activation(self.activation)
            .with_tile_pixels(16);
        match &self.mask {
            Some(m) => input.with_mask(m).unwrap(),
            None => input,
        }
    }
}

fn cases() -> Vec<Case> {
    let mut rng = SplitMix64::new(7);
    let mut out = Vec::new();
    let shapes: [(usize, usize, &[usize]); 3] =
        [(2, 3, &[11]), (1, 4, &[3, 5]), (2, 1, &[2, 2, 3])];
    for (b, c, sp) in shapes {
        let shape = Shape::new(b, c, sp).unwrap();
        let acts: &[Activation] = if c == 1 {
            &[Activation::Sigmoid]
        } else {
            &[
                Activation::Softmax,
                Activation::Sigmoid,
                Activation::Identity,
            ]
        };
        for &activation in acts {
            for layout in [Layout::ChannelFirst, Layout::ChannelLast] {
                for dense in [false, true] {
                    let n = shape.elements();
                    let mut pred: Vec<f64> = (0..n).map(|_| 1.5 * rng.normal()).collect();
                    if activation == Activation::Identity {
                        // probabilities strictly inside (0, 1)
                        pred.iter_mut()
                            .for_each(|x| *x = 0.05 + 0.9 * rng.uniform());
                    }
                    let px = shape.pixels();
                    let classes = if activation == Activation::Sigmoid && c == 1 {
                        2
                    } else {
                        c
                    };
                    let labels: Vec<i64> = (0..px)
                        .map(|i| {
                            if i % 7 == 3 {
                                -1
                            } else {
                                rng.below(classes) as i64
                            }
                        })
                        .collect();
                    let mask: Vec<bool> = (0..px).map(|i| i % 5 != 1).collect();
                    let dense_map: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
                    out.push(Case {
                        name: format!("{b}x{c}x{sp:?} {activation:?} {layout:?} dense={dense}"),
                        shape,
                        layout,
                        activation,
                        pred,
                        labels: (!dense).then_some(labels),
                        dense: dense.then_some(dense_map),
                        mask: dense.then_some(mask),
                    });
                }
            }
        }
    }
    out
}

/// The central difference of `value` at element `j` with step `h`.
fn central(value: &dyn Fn(&[f64]) -> f64, x: &mut [f64], j: usize, h: f64) -> f64 {
    let x0 = x[j];
    x[j] = x0 + h;
    let up = value(x);
    x[j] = x0 - h;
    let down = value(x);
    x[j] = x0;
    (up - down) / (2.0 * h)
}

#[test]
fn every_loss_of_the_catalogue_matches_central_differences() {
    let h = 1e-6;
    let mut checked = 0usize;
    let mut skipped_kinks = 0usize;
    let mut names: BTreeSet<String> = BTreeSet::new();
    for case in cases() {
        let data = LossData::<f64>::new(
            case.shape.classes(),
            case.shape.pixels(),
            &mut SplitMix64::new(11),
        );
        let specs = specs(case.shape.classes(), case.shape.spatial().len());
        for s in subjects_f64(&specs, &data) {
            let mut grad = vec![0.0; case.pred.len()];
            let Ok(base) = s.loss.value_grad(&case.input(&case.pred), &mut grad) else {
                continue; // a loss that refuses this target kind or activation
            };
            assert!(base.is_finite(), "{} on {}", s.name, case.name);
            let value = |x: &[f64]| s.loss.value(&case.input(x)).unwrap();
            let mut x = case.pred.clone();
            for (j, &g) in grad.iter().enumerate() {
                let fd = central(&value, &mut x, j, h);
                if s.piecewise {
                    let finer = central(&value, &mut x, j, h / 4.0);
                    if !close(finer, fd, 1e-6, 1e-9) {
                        skipped_kinks += 1;
                        continue;
                    }
                }
                assert!(
                    close(g, fd, 1e-5, 1e-7),
                    "{} on {}: element {j}: analytic {g} vs finite difference {fd}",
                    s.name,
                    case.name
                );
                checked += 1;
            }
            let name = s
                .name
                .split(['(', ' '])
                .find(|w| *w != "typed")
                .unwrap_or("");
            names.insert(name.to_string());
        }
    }
    assert!(checked > 100_000, "only {checked} elements checked");
    assert!(
        skipped_kinks * 100 < checked,
        "{skipped_kinks} elements at kinks"
    );
    // Every entry of the catalogue was checked (the coverage test relies on it).
    for d in CATALOGUE.iter().filter(|d| !d.hidden) {
        assert!(
            names.contains(d.name),
            "{} was not finite-difference checked",
            d.name
        );
    }
}
