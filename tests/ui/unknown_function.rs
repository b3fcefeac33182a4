segloss::region_loss! {
    /// `log` is not a function of the language (`ln` is).
    pub struct LogDice { smooth: 1e-5 }
    loss = -log((2 * tp + smooth) / (sum_s + sum_g + smooth));
}

fn main() {}
