//! The std adapter's instruction-set levels and thread counts compute the same bits as the
//! core's portable engine, for every loss of the catalogue (run-time, each entry and the
//! option spread of `segloss_tests::losses`) and the typed losses of the fused kernel, on
//! shapes that are not multiples of any vector width or tile.

use segloss::rng::SplitMix64;
use segloss::{Activation, Input, Layout, Real, Shape, Target};
use segloss_tests::losses::{
    runtime_f32, runtime_f64, specs_for, typed_dispatch_f32, typed_dispatch_f64,
};
use segloss_tests::{isa_levels, pools, Dispatch, LossData};

/// Runs `loss` at every level and thread count and asserts the portable engine's bits.
fn agree<T: Real>(name: &str, loss: &dyn Dispatch<T>, input: &Input<'_, T>) {
    let n = input.shape().elements();
    let mut want = vec![T::zero(); n];
    let Ok(value) = loss.value_grad(input, &mut want) else {
        // Refused (a spacing of another rank, a target kind): refused alike everywhere.
        for isa in isa_levels() {
            assert!(
                loss.value_grad_at(isa, input, &mut want).is_err(),
                "{name} {isa:?}"
            );
        }
        return;
    };
    for isa in isa_levels() {
        let mut grad = vec![T::zero(); n];
        let v = loss.value_grad_at(isa, input, &mut grad).unwrap();
        assert_eq!(
            v.to_bits(),
            value.to_bits(),
            "{name} {isa:?}: {v} vs {value}"
        );
        assert!(grad == want, "{name} {isa:?}: gradients differ");
        for pool in pools() {
            let t = pool.current_num_threads();
            let v = loss.value_grad_on(pool, isa, input, &mut grad).unwrap();
            assert_eq!(
                v.to_bits(),
                value.to_bits(),
                "{name} {isa:?} x{t}: {v} vs {value}"
            );
            assert!(grad == want, "{name} {isa:?} x{t}: gradients differ");
        }
    }
}

macro_rules! run_in {
    ($name:ident, $t:ty, $typed:ident, $runtime:ident) => {
        fn $name(seed: u64) {
            let mut rng = SplitMix64::new(seed);
            // The last: one sample of two reduction blocks, which the threaded adapter
            // splits by block for losses that take the fused kernel.
            let shapes: [(usize, usize, &[usize]); 5] = [
                (3, 4, &[13, 17]),
                (2, 3, &[7, 5, 9]),
                (1, 5, &[1031]),
                (4, 1, &[33, 3]),
                (1, 3, &[130, 131]),
            ];
            for (b, c, sp) in shapes {
                let shape = Shape::new(b, c, sp).unwrap();
                let pred: Vec<$t> = (0..shape.elements())
                    .map(|_| <$t>::of(3.0 * rng.normal()))
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
                let data = LossData::<$t>::new(c, shape.pixels(), &mut rng);
                let specs = specs_for(shape);
                let typed = $typed(&data);
                let runtime = $runtime(&specs, &data);
                for layout in [Layout::ChannelFirst, Layout::ChannelLast] {
                    for activation in [Activation::Softmax, Activation::Sigmoid] {
                        let target = Target::labels(&labels[..]).with_ignore_index(255);
                        let input = Input::new(&pred, shape, target)
                            .unwrap()
                            .with_layout(layout)
                            .with_activation(activation);
                        for (name, loss) in &typed {
                            agree(name, loss.as_ref(), &input);
                        }
                        for (name, loss) in &runtime {
                            agree(name, loss.as_ref(), &input);
                        }
                    }
                }
            }
        }
    };
}

run_in!(run_f32, f32, typed_dispatch_f32, runtime_f32);
run_in!(run_f64, f64, typed_dispatch_f64, runtime_f64);

#[test]
fn every_isa_and_thread_count_gives_the_portable_bits_f32() {
    run_f32(1);
}

#[test]
fn every_isa_and_thread_count_gives_the_portable_bits_f64() {
    run_f64(2);
}
