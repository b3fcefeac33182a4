// A mistake in a #[derive(Loss)] attribute is one error: the struct still implements
// `Loss` (a stand-in), so using it as a loss adds none.
use segloss::losses::CrossEntropy;
use segloss::{engine, Input, Loss, Shape, Target};

#[derive(Loss)]
struct Mine<'w> {
    #[loss(wieght = 0.5)]
    ce: CrossEntropy<'w>,
}

fn main() {
    let logits = [0.0f32; 2];
    let shape = Shape::new(1, 2, &[1]).unwrap();
    let input = Input::new(&logits, shape, Target::labels(&[0u8])).unwrap();
    let loss = Mine { ce: CrossEntropy::new() };
    let _ = engine::forward(&loss, &input, &mut []);
}
