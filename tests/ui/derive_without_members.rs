#[derive(segloss::Loss)]
struct Empty {
    weight: f64,
}

fn main() {}
