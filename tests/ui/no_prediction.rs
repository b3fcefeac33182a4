segloss::region_loss! {
    /// The foreground fraction: a constant of the ground truth.
    pub struct Fraction {}
    loss = sum_g / n;
}

fn main() {}
