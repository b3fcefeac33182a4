segloss::region_loss! {
    /// A string is not a default.
    pub struct Strange { alpha: "half" }
    loss = 1 - tp / (tp + alpha * fp);
}

fn main() {}
