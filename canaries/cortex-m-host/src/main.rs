//! The firmware's `golden` binary on the host: the same cases, the same runner
//! (`../cortex-m/src/golden.rs`), the same core build (`small`), the same output lines, so that
//! `scripts/edge.sh` can compare device and host bit for bit.

#[path = "../../cortex-m/src/golden.rs"]
#[allow(dead_code)]
mod golden;

#[rustfmt::skip]
#[path = "../../cortex-m/src/cases.rs"]
mod cases;

use segloss::Real;

/// As in the firmware (`src/bin/golden.rs`).
const RTOL64: f64 = 1e-9;
/// As in the firmware.
const RTOL32: f64 = 1e-5;

fn all<T: Real>(label: &str, rtol: f64) -> usize {
    let mut scratch = Box::new(golden::Scratch::<T>::new());
    let mut agree = 0;
    for case in cases::CASES {
        match golden::run(case, &mut scratch, rtol) {
            Ok(o) => {
                let verdict = if o.agrees { "ok" } else { "FAIL" };
                println!(
                    "golden {} {label} value={:016x} grad={:016x} {verdict}",
                    case.name,
                    o.value.to_bits(),
                    o.grad
                );
                agree += usize::from(o.agrees);
            }
            Err(_) => println!("golden {} {label} error FAIL", case.name),
        }
    }
    agree
}

fn main() {
    let agree = all::<f64>("f64", RTOL64) + all::<f32>("f32", RTOL32);
    let total = 2 * cases::CASES.len();
    println!("golden: {agree}/{total} agree");
    std::process::exit(if agree == total { 0 } else { 1 });
}
