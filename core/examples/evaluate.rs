//! Evaluates every distribution loss of segloss, value and gradient, on a generated 3D batch
//! with small foreground objects, and prints a table.
//!
//! Run: `cargo run --release -p segloss --example evaluate`

use segloss::losses::{
    Alpha, ClassWeights, CrossEntropy, Dpce, Focal, TopK, TopKThreshold, WeightedCrossEntropy,
};
use segloss::rng::SplitMix64;
use segloss::{engine, Input, Loss, Shape, Target};

const B: usize = 2;
const C: usize = 4;
const S: usize = 24;

/// Labels: background with a ball of each foreground class; logits: a noisy, partly wrong
/// prediction of them.
fn make_batch(rng: &mut SplitMix64) -> (Vec<f32>, Vec<u8>) {
    let px = S * S * S;
    let mut labels = vec![0u8; B * px];
    for (b, sample) in labels.chunks_exact_mut(px).enumerate() {
        for class in 1..C {
            let centre = [4 + (b * 5 + class * 6) % 16, 6 + class * 4, 12];
            let radius = 2 + class;
            for (i, l) in sample.iter_mut().enumerate() {
                let p = [i / (S * S), (i / S) % S, i % S];
                let d2: usize = p
                    .iter()
                    .zip(centre)
                    .map(|(&a, c)| a.abs_diff(c).pow(2))
                    .sum();
                if d2 <= radius * radius {
                    *l = class as u8;
                }
            }
        }
    }
    let mut logits = vec![0.0f32; B * C * px];
    for b in 0..B {
        for c in 0..C {
            for i in 0..px {
                let hit = labels[b * px + i] as usize == c;
                let signal = if hit { 2.0 } else { 0.0 };
                logits[(b * C + c) * px + i] = signal + 1.5 * (rng.uniform_f32() - 0.5) * 2.0;
            }
        }
    }
    (logits, labels)
}

fn report<L: Loss<f32>>(name: &str, loss: &L, input: &Input<'_, f32>, workspace: &mut [f32]) {
    let mut grad = vec![0.0f32; input.shape().elements()];
    match engine::forward_backward(loss, input, workspace, &mut grad) {
        Ok(value) => {
            let norm = grad
                .iter()
                .map(|g| f64::from(*g).powi(2))
                .sum::<f64>()
                .sqrt();
            println!("{name:<28} {value:>12.6} {norm:>14.6e}");
        }
        Err(e) => println!("{name:<28} error: {e}"),
    }
}

fn main() -> Result<(), segloss::Error> {
    let mut rng = SplitMix64::new(2026);
    let (logits, labels) = make_batch(&mut rng);
    let shape = Shape::new(B, C, &[S, S, S])?;
    let input = Input::new(&logits, shape, Target::labels(&labels[..]))?;
    let penalty: Vec<f32> = labels
        .iter()
        .map(|&l| if l > 0 { 2.0 } else { 0.0 })
        .collect();
    let mut workspace = vec![0.0f32; shape.pixels()];
    let weights = [0.1, 1.0, 2.0, 4.0];

    println!("segloss: distribution losses on a {B}x{C}x{S}^3 batch (softmax, u8 labels)");
    println!("{:<28} {:>12} {:>14}", "loss", "value", "|grad|");
    report("ce", &CrossEntropy::new(), &input, &mut []);
    report(
        "ce(weight, smoothing=0.1)",
        &CrossEntropy::new()
            .with_weight(&weights)
            .with_label_smoothing(0.1),
        &input,
        &mut [],
    );
    report(
        "wce(inverse frequency)",
        &WeightedCrossEntropy::new(ClassWeights::InverseFrequency),
        &input,
        &mut [],
    );
    report("topk(k=10)", &TopK::new(10.0), &input, &mut workspace);
    report(
        "topk threshold(t=0.7)",
        &TopKThreshold::new(0.7),
        &input,
        &mut [],
    );
    report("focal(gamma=2)", &Focal::new(2.0), &input, &mut []);
    report(
        "focal(gamma=2, alpha=0.25)",
        &Focal::new(2.0).with_alpha(Alpha::Scalar(0.25)),
        &input,
        &mut [],
    );
    report(
        "dpce(D = 2 inside objects)",
        &Dpce::new(&penalty),
        &input,
        &mut [],
    );
    Ok(())
}
