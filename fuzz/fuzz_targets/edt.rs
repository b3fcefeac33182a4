//! The exact distance transform (`segloss::edt`) and the maps built on it (`two_sided`,
//! `SignedMaps`, `DpcePenalty`) on arbitrary 1–3D masks and spacings (some invalid or
//! extreme), in `f32` and `f64`.
//!
//! Oracles: no panic; a valid grid gives no NaN; `f64` equals a brute-force transform to
//! 1e-12 relative and `f32` to 1e-5 relative (for spacings in [1e-3, 1e3]); a refused grid
//! or buffer leaves the output untouched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segloss::edt::{two_sided, Edt, Grid, NoZero, SignedMaps};
use segloss::losses::DpcePenalty;
use segloss::{Real, Shape};
use segloss_fuzz::Bytes;

/// Squared distance of every voxel to the nearest voxel where `mask` is false.
fn brute(dims: &[usize], sp: &[f64], mask: &[bool], no_zero: NoZero) -> Vec<f64> {
    let n = mask.len();
    let coords = |mut i: usize| {
        let mut c = [0usize; 3];
        for (a, &d) in dims.iter().enumerate().rev() {
            c[a] = i % d;
            i /= d;
        }
        c
    };
    let zeros: Vec<[usize; 3]> = (0..n).filter(|&i| !mask[i]).map(coords).collect();
    (0..n)
        .map(|i| {
            if !mask[i] {
                return 0.0;
            }
            let p = coords(i);
            if zeros.is_empty() {
                return match no_zero {
                    NoZero::Infinity => f64::INFINITY,
                    NoZero::Zero => 0.0,
                    _ => (0..dims.len())
                        .map(|a| {
                            let k = if a == 0 { p[a] + 1 } else { p[a] } as f64 * sp[a];
                            k * k
                        })
                        .sum(),
                };
            }
            zeros
                .iter()
                .map(|q| {
                    (0..dims.len())
                        .map(|a| {
                            let d = (p[a] as f64 - q[a] as f64) * sp[a];
                            d * d
                        })
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}

fn transform<T: Real>(
    dims: &[usize],
    spacing: &[f64],
    mask: &[bool],
    no_zero: NoZero,
    squared: bool,
) -> Option<Vec<f64>> {
    let sentinel = T::of(-3.0);
    let mut out = vec![sentinel; mask.len()];
    let Ok(mut edt) = Edt::new(dims, spacing) else {
        return None;
    };
    edt = edt.with_no_zero(no_zero);
    if squared {
        edt = edt.squared();
    }
    // a workspace one element short is refused without a write
    let need = edt.workspace_len();
    if need > 0 {
        let mut short = vec![T::zero(); need - 1];
        assert!(edt.run(mask, &mut out, &mut short).is_err());
        assert!(out.iter().all(|&x| x == sentinel), "written on error");
    }
    let mut ws = vec![T::zero(); need];
    edt.run(mask, &mut out, &mut ws).expect("a valid grid runs");
    assert!(out.iter().all(|x| !x.is_nan()), "NaN in the transform");
    Some(out.iter().map(|x| x.wide()).collect())
}

fn close(got: &[f64], want: &[f64], squared: bool, rtol: f64, what: &str) {
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let w = if squared { w } else { w.sqrt() };
        let ok = (g == w) || (g - w).abs() <= rtol * w.abs();
        assert!(ok, "{what}: voxel {i}: {g} vs brute force {w}");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let rank = 1 + usize::from(b.byte() % 3);
    let dims: Vec<usize> = (0..rank).map(|_| 1 + usize::from(b.byte() % 20)).collect();
    let flags = b.byte();
    let spacing: Vec<f64> = if flags & 1 != 0 {
        let n = if flags & 2 != 0 { rank + 1 } else { rank };
        (0..n).map(|_| b.spacing()).collect()
    } else {
        Vec::new()
    };
    let no_zero = match (flags >> 2) % 3 {
        0 => NoZero::Scipy,
        1 => NoZero::Infinity,
        _ => NoZero::Zero,
    };
    let squared = flags & 16 != 0;
    let n: usize = dims.iter().product();
    let density = b.byte();
    let mask: Vec<bool> = (0..n).map(|_| b.byte() <= density).collect();

    let single = transform::<f32>(&dims, &spacing, &mask, no_zero, squared);
    let double = transform::<f64>(&dims, &spacing, &mask, no_zero, squared);
    assert_eq!(single.is_some(), double.is_some());
    let (Some(single), Some(double)) = (single, double) else {
        return;
    };
    let sp: Vec<f64> = if spacing.is_empty() {
        vec![1.0; rank]
    } else {
        spacing.clone()
    };
    if n <= 2000 && sp.iter().all(|s| (1e-3..=1e3).contains(s)) {
        let want = brute(&dims, &sp, &mask, no_zero);
        close(&double, &want, squared, 1e-12, "f64");
        close(&single, &want, squared, 1e-5, "f32");
    }

    // The maps built on the transform: no panic, no NaN.
    let grid = Grid::new(&dims, &spacing).expect("valid grid");
    let mut out = vec![0.0f64; n];
    let mut ws = vec![0.0f64; grid.workspace_len()];
    let power = f64::from(b.byte()) / 32.0;
    if two_sided(&grid, |i| mask[i], power, &mut out, &mut ws).is_ok() {
        assert!(out.iter().all(|x| !x.is_nan()), "NaN in two_sided");
    }
    let classes = 1 + usize::from(b.byte() % 3);
    let labels: Vec<i64> = (0..n).map(|_| i64::from(b.byte() % 4) - 1).collect();
    if let Ok(shape) = Shape::new(1, classes, &dims) {
        if let Ok(maps) = SignedMaps::new(shape, &spacing) {
            let maps = maps.with_no_zero(no_zero).with_ignore_index(-1);
            let mut out = vec![0.0f32; shape.elements()];
            let mut ws = vec![0.0f32; maps.workspace_len()];
            if maps.run(&labels[..], &mut out, &mut ws).is_ok() {
                assert!(out.iter().all(|x| !x.is_nan()), "NaN in SignedMaps");
            }
        }
    }
    if let Ok(pen) = DpcePenalty::new(1, &dims, &spacing) {
        let pen = pen.with_ignore_index(-1);
        let mut out = vec![0.0f64; n];
        let mut ws = vec![0.0f64; pen.workspace_len()];
        if pen.run(&labels[..], &mut out, &mut ws).is_ok() {
            assert!(
                out.iter().all(|x| x.is_finite() && *x >= 0.0),
                "bad DPCE penalty"
            );
        }
    }
});
