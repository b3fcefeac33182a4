//! The std adapter's instruction-set levels and thread counts compute the same bits as the
//! core's portable engine, on shapes that are not multiples of any vector width or tile.

mod common;

use common::{pools, Rng};
use segloss::losses::{
    Alpha, CrossEntropy, Dice, DiceCe, DiceFocal, Focal, GeneralizedDice, Reduction, TopK, Tversky,
};
use segloss::{engine, Activation, Input, Layout, Loss, Real, Shape, Target};
use segloss_std::simd::{self, Isa};

/// Runs `loss` every way and asserts bit-identical values and gradients.
fn agree<T: Real, L: Loss<T> + Sync>(
    name: &str,
    loss: &L,
    input: &Input<'_, T>,
    pools: &[rayon::ThreadPool],
) {
    let n = input.shape().elements();
    let mut ws = vec![T::zero(); loss.workspace_len(&input.shape())];
    let mut want = vec![T::zero(); n];
    let value = engine::forward_backward(loss, input, &mut ws, &mut want).unwrap();
    for isa in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
        let mut grad = vec![T::zero(); n];
        let v = simd::forward_backward(isa, loss, input, &mut ws, &mut grad).unwrap();
        assert_eq!(
            v.to_bits(),
            value.to_bits(),
            "{name} {isa:?}: {v} vs {value}"
        );
        assert!(grad == want, "{name} {isa:?}: gradients differ");
        for pool in pools {
            let t = pool.current_num_threads();
            let v =
                segloss_std::threads::forward_backward(pool, isa, loss, input, &mut ws, &mut grad)
                    .unwrap();
            assert_eq!(
                v.to_bits(),
                value.to_bits(),
                "{name} {isa:?} x{t}: {v} vs {value}"
            );
            assert!(grad == want, "{name} {isa:?} x{t}: gradients differ");
        }
    }
}

fn run<T: Real>(seed: u64) {
    let pools = pools();
    let mut rng = Rng(seed);
    // The last: one sample of two reduction blocks, which the threaded adapter splits by
    // block for losses that take the fused kernel.
    let shapes: [(usize, usize, &[usize]); 5] = [
        (3, 4, &[13, 17]),
        (2, 3, &[7, 5, 9]),
        (1, 5, &[1031]),
        (4, 1, &[33, 3]),
        (1, 3, &[130, 131]),
    ];
    let weights = [0.5, 1.0, 2.0, 0.25, 1.5];
    for (b, c, sp) in shapes {
        let shape = Shape::new(b, c, sp).unwrap();
        let pred: Vec<T> = (0..shape.elements())
            .map(|_| T::of(3.0 * rng.normal()))
            .collect();
        let labels: Vec<u8> = (0..shape.pixels())
            .map(|i| {
                if i % 11 == 5 {
                    255
                } else {
                    rng.below(c.max(2)) as u8
                }
            })
            .collect();
        for layout in [Layout::ChannelFirst, Layout::ChannelLast] {
            for activation in [Activation::Softmax, Activation::Sigmoid] {
                let target = Target::labels(&labels[..]).with_ignore_index(255);
                let input = Input::new(&pred, shape, target)
                    .unwrap()
                    .with_layout(layout)
                    .with_activation(activation);
                let w = &weights[..c];
                agree(
                    "ce",
                    &CrossEntropy::new().with_weight(w).with_label_smoothing(0.1),
                    &input,
                    &pools,
                );
                agree(
                    "focal",
                    &Focal::new(2.0).with_alpha(Alpha::Scalar(0.25)),
                    &input,
                    &pools,
                );
                agree("dice", &Dice::new().with_squared_pred(true), &input, &pools);
                agree(
                    "tversky",
                    &Tversky::new()
                        .with_batch(true)
                        .with_reduction(Reduction::Sum),
                    &input,
                    &pools,
                );
                agree("gdice", &GeneralizedDice::new(), &input, &pools);
                agree("plain ce", &CrossEntropy::new(), &input, &pools);
                agree("dice_ce", &DiceCe::new(), &input, &pools);
                agree("dice_focal", &DiceFocal::new(), &input, &pools);
                agree("topk", &TopK::new(15.0), &input, &pools);
            }
        }
    }
}

#[test]
fn every_isa_and_thread_count_gives_the_portable_bits_f32() {
    run::<f32>(1);
}

#[test]
fn every_isa_and_thread_count_gives_the_portable_bits_f64() {
    run::<f64>(2);
}
