use segloss::losses::CrossEntropy;
use segloss::{Input, Shape, Target};
use segloss_std::simd::{self, Isa};
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
    for _ in 0..20 {
        simd::forward_backward(
            Isa::Avx512,
            &CrossEntropy::new(),
            &input,
            &mut [],
            &mut grad,
        )
        .unwrap();
    }
}
