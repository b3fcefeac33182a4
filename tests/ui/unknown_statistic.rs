segloss::region_loss! {
    /// A typo in a statistic.
    pub struct Typo { smooth: 1e-5 }
    loss = 1 - (2 * tpp + smooth) / (sum_s + sum_g + smooth);
}

fn main() {}
