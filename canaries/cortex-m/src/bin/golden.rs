//! The golden cases of `cases.rs` (written by `scripts/edge/cases.py`) in f64 and f32 on the
//! device: one line per case and type, `golden NAME TYPE value=BITS grad=CHECKSUM ok|FAIL`,
//! then `golden: K/N agree`. `canaries/cortex-m/host` prints the same lines on the host;
//! `scripts/edge.sh` compares the two.
#![no_std]
#![no_main]

use segloss::Real;
use segloss_canary_cortex_m::{self as fw, golden};

#[rustfmt::skip]
#[path = "../cases.rs"]
mod cases;

/// f64 agrees with the references to 1e-9 and f32 to 1e-5, as in `tests/tests/golden.rs`.
const RTOL64: f64 = 1e-9;
/// See [`RTOL64`].
const RTOL32: f64 = 1e-5;

/// Runs every case in `T`; how many agree.
fn all<T: Real>(label: &str, scratch: &mut golden::Scratch<T>, rtol: f64) -> usize {
    let mut agree = 0;
    for case in cases::CASES {
        fw::put("golden ");
        fw::put(case.name);
        fw::put(" ");
        fw::put(label);
        match golden::run(case, scratch, rtol) {
            Ok(o) => {
                fw::put(" value=");
                fw::put_hex(o.value.to_bits());
                fw::put(" grad=");
                fw::put_hex(o.grad);
                fw::put(if o.agrees { " ok\n" } else { " FAIL\n" });
                agree += usize::from(o.agrees);
            }
            Err(_) => fw::put(" error FAIL\n"),
        }
    }
    agree
}

#[cortex_m_rt::entry]
fn main() -> ! {
    static S64: fw::Once<golden::Scratch<f64>> = fw::Once::new();
    static S32: fw::Once<golden::Scratch<f32>> = fw::Once::new();
    let (Some(s64), Some(s32)) = (
        S64.take(golden::Scratch::new),
        S32.take(golden::Scratch::new),
    ) else {
        fw::exit(false)
    };
    let agree = all("f64", s64, RTOL64) + all("f32", s32, RTOL32);
    let total = 2 * cases::CASES.len();
    fw::put("golden: ");
    fw::put_u64(agree as u64);
    fw::put("/");
    fw::put_u64(total as u64);
    fw::put(" agree\n");
    fw::exit(agree == total)
}
