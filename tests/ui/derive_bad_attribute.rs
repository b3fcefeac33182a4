#[derive(segloss::Loss)]
struct Odd<'w> {
    #[loss(scale = 2.0)]
    dice: segloss::losses::Dice<'w>,
}

fn main() {}
