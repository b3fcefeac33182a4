//! Compounds fuse their members: one accumulate pass and one gradient pass over the data,
//! whatever the number of members, and a weighted sum of the members' values and gradients.

use segloss::losses::{CrossEntropy, Dice, Focal, TopK};
use segloss::{engine, Error, Finalized, Input, Loss, Shape, Target, Tile};
use segloss_tests::{close, SplitMix64 as Rng};
use std::cell::RefCell;

/// Which pass visited which tile, as `(member, pass, first pixel)`.
type Log = RefCell<Vec<(usize, u8, usize)>>;

/// A loss that contributes nothing and records every tile it is handed.
#[derive(Clone, Copy)]
struct Counter<'l> {
    id: usize,
    log: &'l Log,
}

impl Loss<f64> for Counter<'_> {
    type Stats = ();
    type Coef = ();
    fn check(&self, _: &Input<'_, f64>) -> Result<(), Error> {
        Ok(())
    }
    fn accumulate(&self, tile: &Tile<'_, f64>, _: &mut (), _: &mut [f64]) {
        self.log.borrow_mut().push((self.id, 1, tile.first_pixel()));
    }
    fn finalize(&self, _: &(), _: &mut [f64]) -> Finalized<()> {
        Finalized {
            value: 0.0,
            coef: (),
        }
    }
    fn scale(&self, _: &mut (), _: f64) {}
    fn backward(&self, _: &(), tile: &Tile<'_, f64>, _: &mut [f64]) {
        self.log.borrow_mut().push((self.id, 2, tile.first_pixel()));
    }
}

#[derive(Loss)]
struct Five<'l> {
    #[loss]
    first: Counter<'l>,
    #[loss(weight = 0.5)]
    dice: Dice<'static>,
    #[loss]
    middle: Counter<'l>,
    #[loss(weight = self.ce_weight)]
    ce: CrossEntropy<'static>,
    #[loss]
    last: Counter<'l>,
    ce_weight: f64,
}

#[test]
fn a_compound_reads_the_data_once_per_pass() {
    let shape = Shape::new(2, 3, &[40, 30]).unwrap();
    let mut rng = Rng::new(1);
    let pred: Vec<f64> = (0..shape.elements()).map(|_| rng.normal()).collect();
    let labels: Vec<u8> = (0..shape.pixels()).map(|_| rng.below(3) as u8).collect();
    let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
    let log = Log::default();
    let five = Five {
        first: Counter { id: 0, log: &log },
        dice: Dice::new(),
        middle: Counter { id: 1, log: &log },
        ce: CrossEntropy::new(),
        last: Counter { id: 2, log: &log },
        ce_weight: 2.0,
    };
    let mut grad = vec![0.0; pred.len()];
    engine::forward_backward(&five, &input, &mut [], &mut grad).unwrap();
    let log = log.into_inner();
    let tiles = shape.pixels().div_ceil(1024 / 3);
    assert!(tiles >= 7, "the batch must span several tiles");
    for pass in [1u8, 2] {
        let visits: Vec<_> = log.iter().filter(|v| v.1 == pass).collect();
        assert_eq!(
            visits.len(),
            3 * tiles,
            "pass {pass}: one visit per member per tile"
        );
        // Members take turns on each tile: the walk over the data is shared.
        for (i, chunk) in visits.chunks(3).enumerate() {
            let ids: Vec<usize> = chunk.iter().map(|v| v.0).collect();
            assert_eq!(ids, [0, 1, 2], "pass {pass}, tile {i}");
            assert!(
                chunk.iter().all(|v| v.2 == chunk[0].2),
                "pass {pass}, tile {i}"
            );
        }
    }
    // Pass 1 ends before pass 2 begins.
    let last_accumulate = log.iter().rposition(|v| v.1 == 1).unwrap();
    let first_backward = log.iter().position(|v| v.1 == 2).unwrap();
    assert!(last_accumulate < first_backward);
}

#[derive(Loss)]
struct Mixed<'w> {
    #[loss(weight = 0.25)]
    dice: Dice<'w>,
    #[loss(weight = 1.5)]
    focal: Focal<'w>,
    #[loss(weight = self.k)]
    topk: TopK,
    k: f64,
}

#[test]
fn a_compound_is_the_weighted_sum_of_its_members() {
    let shape = Shape::new(2, 4, &[9, 11]).unwrap();
    let mut rng = Rng::new(2);
    let pred: Vec<f64> = (0..shape.elements()).map(|_| 2.0 * rng.normal()).collect();
    let labels: Vec<u8> = (0..shape.pixels()).map(|_| rng.below(4) as u8).collect();
    let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
    let mixed = Mixed {
        dice: Dice::new(),
        focal: Focal::new(2.0),
        topk: TopK::new(20.0),
        k: 0.75,
    };
    let run = |loss: &dyn segloss_tests::Eval<f64>| {
        let mut g = vec![0.0; pred.len()];
        (loss.value_grad(&input, &mut g).unwrap(), g)
    };
    let (v, g) = run(&mixed);
    let parts = [
        (0.25, run(&mixed.dice)),
        (1.5, run(&mixed.focal)),
        (0.75, run(&mixed.topk)),
    ];
    let want: f64 = parts.iter().map(|(w, (v, _))| w * v).sum();
    assert!(close(v, want, 1e-13, 0.0), "{v} vs {want}");
    for (i, gi) in g.iter().enumerate() {
        let want: f64 = parts.iter().map(|(w, (_, g))| w * g[i]).sum();
        assert!(
            close(*gi, want, 1e-12, 1e-16),
            "element {i}: {gi} vs {want}"
        );
    }
}
