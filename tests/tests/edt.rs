//! The exact EDT against brute force: random masks, dims and spacings in 1D, 2D and 3D, in
//! f64 and f32, including masks with no zero voxel and masks with no nonzero voxel; the
//! two-sided field and the signed maps against their brute-force definitions.

use segloss::edt::{self, Edt, Grid, NoZero, SignedMaps};
use segloss::{Error, Real, Shape};
use segloss_tests::SplitMix64 as Rng;

/// Coordinates of flat index `i` on `dims` (C order).
fn coords(i: usize, dims: &[usize]) -> [usize; 3] {
    let mut c = [0; 3];
    let mut r = i;
    for a in (0..dims.len()).rev() {
        c[a] = r % dims[a];
        r /= dims[a];
    }
    c
}

fn sq_dist(a: [usize; 3], b: [usize; 3], sp: &[f64]) -> f64 {
    sp.iter()
        .enumerate()
        .map(|(k, s)| ((a[k] as f64 - b[k] as f64) * s).powi(2))
        .sum()
}

/// Brute force: squared distance of every voxel to the nearest voxel with `target(j)`.
fn brute(dims: &[usize], sp: &[f64], target: impl Fn(usize) -> bool) -> Vec<f64> {
    let n: usize = dims.iter().product();
    let sites: Vec<[usize; 3]> = (0..n)
        .filter(|&j| target(j))
        .map(|j| coords(j, dims))
        .collect();
    (0..n)
        .map(|i| {
            let c = coords(i, dims);
            sites
                .iter()
                .map(|&s| sq_dist(c, s, sp))
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}

/// scipy's answer for a mask with no zero voxel: distance to voxel (-1, 0, ..., 0).
fn scipy_no_zero(dims: &[usize], sp: &[f64]) -> Vec<f64> {
    let n: usize = dims.iter().product();
    (0..n)
        .map(|i| {
            let c = coords(i, dims);
            let mut d = ((c[0] + 1) as f64 * sp[0]).powi(2);
            for a in 1..dims.len() {
                d += (c[a] as f64 * sp[a]).powi(2);
            }
            d.sqrt()
        })
        .collect()
}

struct Case {
    dims: Vec<usize>,
    spacing: Vec<f64>,
    mask: Vec<bool>,
}

fn cases() -> Vec<Case> {
    let mut rng = Rng::new(2024);
    let mut out = Vec::new();
    for rank in 1..=3 {
        for round in 0..70 {
            let max = [60, 20, 11][rank - 1];
            let dims: Vec<usize> = (0..rank).map(|_| 1 + rng.below(max)).collect();
            let spacing: Vec<f64> = if round % 3 == 0 {
                vec![1.0; rank]
            } else {
                (0..rank).map(|_| 0.25 + 3.0 * rng.uniform()).collect()
            };
            let n: usize = dims.iter().product();
            // densities of nonzero voxels, including all-zero (0) and no-zero (1) masks
            let p = [0.0, 0.05, 0.3, 0.6, 0.9, 0.98, 1.0][round % 7];
            let mask = (0..n).map(|_| rng.uniform() < p || p == 1.0).collect();
            out.push(Case {
                dims,
                spacing,
                mask,
            });
        }
    }
    // a few thin and long shapes
    for dims in [
        vec![1, 1, 30],
        vec![30, 1, 1],
        vec![1, 25],
        vec![25, 1],
        vec![2, 33, 3],
    ] {
        let n: usize = dims.iter().product();
        let mut rng = Rng::new(n as u64);
        let mask = (0..n).map(|_| rng.uniform() < 0.8).collect();
        out.push(Case {
            spacing: vec![1.5; dims.len()],
            dims,
            mask,
        });
    }
    out
}

fn check<T: Real>(rel: f64, abs: f64) -> usize {
    let mut voxels = 0;
    for case in cases() {
        let edt = Edt::new(&case.dims, &case.spacing).unwrap();
        let mut ws = vec![T::zero(); edt.workspace_len()];
        let mut out = vec![T::zero(); case.mask.len()];
        edt.run(&case.mask, &mut out, &mut ws).unwrap();
        let want: Vec<f64> = if case.mask.iter().all(|&m| m) {
            scipy_no_zero(&case.dims, &case.spacing)
        } else {
            brute(&case.dims, &case.spacing, |j| !case.mask[j])
                .iter()
                .map(|d| d.sqrt())
                .collect()
        };
        for (i, (&g, &w)) in out.iter().zip(&want).enumerate() {
            let g = g.wide();
            assert!(
                (g - w).abs() <= rel * w + abs,
                "dims {:?} spacing {:?} voxel {i}: {g} vs {w}",
                case.dims,
                case.spacing
            );
        }
        // squared output
        let mut sq = vec![T::zero(); case.mask.len()];
        edt.squared().run(&case.mask, &mut sq, &mut ws).unwrap();
        for (&s, &w) in sq.iter().zip(&want) {
            let (s, w2) = (s.wide(), w * w);
            assert!(
                (s - w2).abs() <= 2.0 * rel * w2 + abs,
                "squared {s} vs {w2}"
            );
        }
        voxels += out.len();
    }
    voxels
}

#[test]
fn edt_f64_matches_brute_force() {
    assert!(check::<f64>(1e-12, 1e-12) > 20_000);
}

#[test]
fn edt_f32_matches_brute_force() {
    // f32 output: a few ulps relative
    check::<f32>(1e-6, 1e-6);
}

#[test]
fn unit_spacing_f32_is_exact() {
    let mut rng = Rng::new(5);
    let dims = [9, 13, 11];
    let mask: Vec<bool> = (0..9 * 13 * 11).map(|_| rng.uniform() < 0.85).collect();
    let edt = Edt::new(&dims, &[]).unwrap().squared();
    let mut ws = vec![0.0f32; edt.workspace_len()];
    let mut out = vec![0.0f32; mask.len()];
    edt.run(&mask, &mut out, &mut ws).unwrap();
    let want = brute(&dims, &[1.0; 3], |j| !mask[j]);
    for (g, w) in out.iter().zip(&want) {
        assert_eq!(f64::from(*g), *w);
    }
}

#[test]
fn no_zero_policies() {
    let dims = [3, 4, 2];
    let sp = [2.0, 0.5, 1.25];
    let mask = vec![true; 24];
    let mut out = vec![0.0f64; 24];
    let mut ws = vec![0.0; edt::workspace_len(&dims)];
    let edt = Edt::new(&dims, &sp).unwrap();
    edt.run(&mask, &mut out, &mut ws).unwrap();
    let want = scipy_no_zero(&dims, &sp);
    for (g, w) in out.iter().zip(&want) {
        assert!((g - w).abs() < 1e-12);
    }
    // first voxel: one step of axis 0 away from the virtual voxel
    assert_eq!(out[0], 2.0);
    edt.with_no_zero(NoZero::Infinity)
        .run(&mask, &mut out, &mut ws)
        .unwrap();
    assert!(out.iter().all(|x| *x == f64::INFINITY));
    edt.with_no_zero(NoZero::Zero)
        .run(&mask, &mut out, &mut ws)
        .unwrap();
    assert!(out.iter().all(|x| *x == 0.0));
    // all zero voxels: all distances 0
    edt.run(&[false; 24], &mut out, &mut ws).unwrap();
    assert!(out.iter().all(|x| *x == 0.0));
}

#[test]
fn bad_inputs_are_refused() {
    assert_eq!(
        Grid::new(&[3, 3], &[1.0, -1.0]),
        Err(Error::Spacing { axis: 1 })
    );
    assert_eq!(
        Grid::new(&[3, 3], &[1.0, f64::NAN]),
        Err(Error::Spacing { axis: 1 })
    );
    assert_eq!(
        Grid::new(&[3, 3], &[1.0]),
        Err(Error::SpacingCount {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(Grid::new(&[3, 0], &[]), Err(Error::EmptyShape));
    assert_eq!(
        Grid::new(&[1, 2, 3, 4], &[]),
        Err(Error::SpatialRank { got: 4 })
    );
    let edt = Edt::new(&[4, 4], &[]).unwrap();
    let mut out = vec![0.0f32; 16];
    let mut ws = vec![0.0f32; edt.workspace_len()];
    assert!(matches!(
        edt.run(&[true; 15], &mut out, &mut ws),
        Err(Error::Length { .. })
    ));
    assert!(matches!(
        edt.run(&[true; 16], &mut out[..15], &mut ws),
        Err(Error::Length { .. })
    ));
    let short = edt.workspace_len() - 1;
    assert!(matches!(
        edt.run(&[true; 16], &mut out, &mut ws[..short]),
        Err(Error::Workspace { .. })
    ));
    // nothing was written by the refused calls
    assert!(out.iter().all(|x| *x == 0.0));
}

#[test]
fn two_sided_field_matches_brute_force() {
    let mut rng = Rng::new(77);
    for round in 0..30 {
        let rank = 1 + round % 3;
        let dims: Vec<usize> = (0..rank)
            .map(|_| 1 + rng.below([30, 12, 7][rank - 1]))
            .collect();
        let sp: Vec<f64> = (0..rank).map(|_| 0.5 + 2.0 * rng.uniform()).collect();
        let n: usize = dims.iter().product();
        let fg: Vec<bool> = (0..n).map(|_| rng.uniform() < 0.4).collect();
        let grid = Grid::new(&dims, &sp).unwrap();
        let mut ws = vec![0.0f64; grid.workspace_len()];
        let mut out = vec![0.0f64; n];
        for power in [1.0, 2.0, 3.0] {
            let both = edt::two_sided(&grid, |i| fg[i], power, &mut out, &mut ws).unwrap();
            let to_bg = brute(&dims, &sp, |j| !fg[j]);
            let to_fg = brute(&dims, &sp, |j| fg[j]);
            assert_eq!(both, fg.iter().any(|&f| f) && fg.iter().any(|&f| !f));
            for i in 0..n {
                let d2 = if fg[i] { to_bg[i] } else { to_fg[i] };
                let want = if both { d2.powf(power / 2.0) } else { 0.0 };
                assert!(
                    (out[i] - want).abs() <= 1e-10 * want + 1e-12,
                    "{dims:?} {i}"
                );
            }
        }
    }
}

#[test]
fn signed_maps_match_brute_force() {
    let mut rng = Rng::new(99);
    for round in 0..24 {
        let rank = 1 + round % 3;
        let dims: Vec<usize> = (0..rank)
            .map(|_| 1 + rng.below([25, 10, 6][rank - 1]))
            .collect();
        let sp: Vec<f64> = (0..rank).map(|_| 0.5 + 2.0 * rng.uniform()).collect();
        let (b, c) = (2, 3);
        let shape = Shape::new(b, c, &dims).unwrap();
        let n: usize = dims.iter().product();
        // sample 0 random; sample 1 all class 2 on round % 4 == 0 (a class filling the grid)
        let labels: Vec<u8> = (0..b * n)
            .map(|i| {
                if i >= n && round % 4 == 0 {
                    2
                } else {
                    rng.below(c) as u8
                }
            })
            .collect();
        let maps = SignedMaps::new(shape, &sp).unwrap();
        let mut ws = vec![0.0f64; maps.workspace_len()];
        let mut out = vec![0.0f64; shape.elements()];
        maps.run(&labels[..], &mut out, &mut ws).unwrap();
        for s in 0..b {
            let lab = &labels[s * n..(s + 1) * n];
            for k in 0..c {
                let pos: Vec<bool> = lab.iter().map(|&l| l as usize == k).collect();
                let slot = &out[(s * c + k) * n..(s * c + k + 1) * n];
                if !pos.iter().any(|&p| p) {
                    assert!(slot.iter().all(|x| *x == 0.0));
                    continue;
                }
                let full = pos.iter().all(|&p| p);
                let in_d = if full {
                    scipy_no_zero(&dims, &sp)
                } else {
                    brute(&dims, &sp, |j| !pos[j])
                        .iter()
                        .map(|d| d.sqrt())
                        .collect()
                };
                let out_d: Vec<f64> = brute(&dims, &sp, |j| pos[j])
                    .iter()
                    .map(|d| d.sqrt())
                    .collect();
                for i in 0..n {
                    let want = if pos[i] { -(in_d[i] - 1.0) } else { out_d[i] };
                    assert!(
                        (slot[i] - want).abs() < 1e-10,
                        "{dims:?} sample {s} class {k} voxel {i}"
                    );
                }
            }
        }
    }
}
