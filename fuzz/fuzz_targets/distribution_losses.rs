//! Arbitrary shapes, layouts, activations, labels, masks and logits through every
//! distribution loss and a spread of region losses. Oracles: no panic; an accepted input gives a finite loss and a finite
//! gradient; a rejected input leaves the gradient untouched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segloss::losses::{
    Alpha, ClassWeights, CrossEntropy, Dice, Dpce, Focal, GeneralizedDice, Mcc, Reduction, TopK,
    TopKThreshold, Tversky, WeightedCrossEntropy,
};
use segloss::{engine, Activation, Input, Layout, Loss, Shape, Target};

/// Reads bytes front to back, yielding zeros when they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn float(&mut self) -> f32 {
        let raw = u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()]);
        // Mostly ordinary magnitudes, sometimes raw bit patterns (NaN, inf, subnormals, 1e38).
        if raw & 7 == 0 {
            f32::from_bits(raw)
        } else {
            (raw as i32 as f32) / (1u32 << (raw & 31)) as f32
        }
    }
}

fn check<L: Loss<f32>>(loss: &L, input: &Input<'_, f32>) {
    let mut ws = vec![0.0f32; loss.workspace_len(&input.shape())];
    let mut grad = vec![7.0f32; input.shape().elements()];
    match engine::forward_backward(loss, input, &mut ws, &mut grad) {
        Ok(v) => {
            assert!(v.is_finite(), "non-finite loss {v}");
            assert!(grad.iter().all(|g| g.is_finite()), "non-finite gradient");
        }
        Err(_) => assert!(grad.iter().all(|&g| g == 7.0), "gradient written on error"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let batch = 1 + usize::from(b.byte() % 3);
    let classes = 1 + usize::from(b.byte() % 5);
    let rank = 1 + usize::from(b.byte() % 3);
    let spatial: Vec<usize> = (0..rank).map(|_| 1 + usize::from(b.byte() % 9)).collect();
    let Ok(shape) = Shape::new(batch, classes, &spatial) else {
        return;
    };
    let flags = b.byte();
    let activation = match flags % 3 {
        0 => Activation::Softmax,
        1 => Activation::Sigmoid,
        _ => Activation::Identity,
    };
    let layout = if flags & 4 == 0 { Layout::ChannelFirst } else { Layout::ChannelLast };
    let pred: Vec<f32> = (0..shape.elements())
        .map(|_| {
            let x = b.float();
            if activation == Activation::Identity { x.abs().fract() } else { x }
        })
        .collect();
    let labels: Vec<i64> = (0..shape.pixels()).map(|_| i64::from(b.byte() as i8) % 8).collect();
    let mask: Vec<bool> = (0..shape.pixels()).map(|_| b.byte() & 3 != 0).collect();
    let penalty: Vec<f32> = (0..shape.pixels()).map(|_| b.float().abs()).collect();
    let weights: Vec<f64> = (0..classes).map(|_| f64::from(b.byte()) / 16.0).collect();
    let mut target = Target::labels(&labels[..]);
    if flags & 8 != 0 {
        target = target.with_ignore_index(-1);
    }
    let Ok(mut input) = Input::new(&pred, shape, target) else {
        return;
    };
    input = input.with_activation(activation).with_layout(layout);
    if flags & 16 != 0 {
        input = input.with_mask(&mask).expect("mask length matches");
    }
    let reduction = if flags & 32 != 0 { Reduction::Sum } else { Reduction::Mean };
    let gamma = f64::from(b.byte()) / 32.0;
    let param = f64::from(b.byte()) / 255.0;
    match b.byte() % 12 {
        0 => check(&CrossEntropy::new().with_reduction(reduction), &input),
        1 => check(
            &CrossEntropy::new().with_weight(&weights).with_label_smoothing(param),
            &input,
        ),
        2 => check(&WeightedCrossEntropy::new(ClassWeights::InverseFrequency), &input),
        3 => check(&TopK::new(100.0 * param).with_reduction(reduction), &input),
        4 => check(&TopKThreshold::new(param), &input),
        5 => check(&Focal::new(gamma).with_alpha(Alpha::Scalar(param)), &input),
        6 => check(&Focal::new(gamma).with_alpha(Alpha::PerClass(&weights)), &input),
        7 => check(&Dpce::new(&penalty).with_reduction(reduction), &input),
        8 => check(
            &Dice::new()
                .with_squared_pred(flags & 64 != 0)
                .with_batch(flags & 128 != 0)
                .with_smooth_nr(param)
                .with_smooth_dr(param),
            &input,
        ),
        9 => check(&Tversky::new().with_alpha(param).with_beta(1.0 - param), &input),
        10 => check(&GeneralizedDice::new().with_include_background(flags & 64 != 0), &input),
        _ => check(&Mcc::new().with_weight(&weights), &input),
    }
});
