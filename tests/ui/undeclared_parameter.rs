segloss::region_loss! {
    /// `beta` is used but not declared.
    pub struct Tv { alpha: 0.5 }
    loss = 1 - tp / (tp + alpha * fp + beta * fn);
}

fn main() {}
