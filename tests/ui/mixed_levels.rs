segloss::region_loss! {
    /// A class's own statistic over an aggregate that depends on the prediction.
    pub struct Share {}
    loss = 1 - tp / sum_c(sum_s);
}

fn main() {}
