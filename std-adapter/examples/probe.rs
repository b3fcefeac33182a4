//! Scratch timing of the dispatch levels and thread counts (superseded by the benchmarks).
use segloss::losses::{CrossEntropy, DiceCe, Focal};
use segloss::{Input, Loss, Shape, Target};
use segloss_std::simd::{self, Isa};
use std::time::Instant;

fn best_of<F: FnMut() -> f64>(mut f: F) -> (f64, f64) {
    let mut best = f64::MAX;
    let mut v = 0.0;
    for _ in 0..5 {
        let t = Instant::now();
        v = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, v)
}

fn time<L: Loss<f32> + Sync>(name: &str, loss: &L, input: &Input<'_, f32>, grad: &mut [f32]) {
    let mut reference = None;
    for isa in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
        let (t, v) = best_of(|| simd::forward_backward(isa, loss, input, &mut [], grad).unwrap());
        let sum: f64 = grad.iter().map(|&g| g as f64).sum();
        let same = *reference.get_or_insert((v, sum)) == (v, sum);
        println!("{name} {isa:?}: {:.2} ms value {v} same {same}", t * 1e3);
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (t, v) = best_of(|| {
            segloss_std::threads::forward_backward(&pool, Isa::Avx512, loss, input, &mut [], grad)
                .unwrap()
        });
        let sum: f64 = grad.iter().map(|&g| g as f64).sum();
        println!(
            "{name} Avx512 x{threads}: {:.2} ms same {}",
            t * 1e3,
            reference == Some((v, sum))
        );
    }
}

fn main() {
    let shape = Shape::new(2, 4, &[96, 96, 96]).unwrap();
    let mut x = 1u32;
    let pred: Vec<f32> = (0..shape.elements())
        .map(|_| {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            (x >> 8) as f32 / 16777216.0 * 4.0 - 2.0
        })
        .collect();
    let labels: Vec<u8> = (0..shape.pixels()).map(|i| (i % 4) as u8).collect();
    let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
    let mut grad = vec![0.0f32; pred.len()];
    time("dice_ce", &DiceCe::new(), &input, &mut grad);
    time("ce", &CrossEntropy::new(), &input, &mut grad);
    time("focal", &Focal::new(2.0), &input, &mut grad);
}
