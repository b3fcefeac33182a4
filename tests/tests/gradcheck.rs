//! Central finite differences in f64 against the analytic gradient of every loss, under
//! every activation, target kind and layout.

mod common;

use common::{catalogue, LossData, Rng};
use segloss::{Activation, Input, Layout, Shape, Target};

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
    let mut rng = Rng(7);
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

#[test]
fn every_loss_matches_central_differences() {
    let h = 1e-6;
    let mut checked = 0;
    for case in cases() {
        let mut rng = Rng(11);
        let data = LossData::<f64>::new(case.shape.classes(), case.shape.pixels(), &mut rng);
        for (name, loss) in catalogue(&data) {
            let mut grad = vec![0.0; case.pred.len()];
            let base = loss.value_grad(&case.input(&case.pred), &mut grad).unwrap();
            assert!(base.is_finite(), "{name} {}", case.name);
            let mut x = case.pred.clone();
            for j in 0..x.len() {
                let x0 = x[j];
                x[j] = x0 + h;
                let up = loss.value(&case.input(&x)).unwrap();
                x[j] = x0 - h;
                let down = loss.value(&case.input(&x)).unwrap();
                x[j] = x0;
                let fd = (up - down) / (2.0 * h);
                assert!(
                    common::close(grad[j], fd, 1e-5, 1e-7),
                    "{name} on {}: element {j}: analytic {} vs finite difference {fd}",
                    case.name,
                    grad[j]
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} elements checked");
}
