segloss::region_loss! {
    /// A branch on the prediction is not differentiable.
    pub struct Branchy {}
    loss = if tp > 0.5 { 1 - tp / sum_g } else { 1 };
}

fn main() {}
