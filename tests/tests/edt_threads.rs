//! `segloss_std::edt::run` (rows and lines split across threads) against the core's
//! `Edt::run`: the same bits for 1, 2 and 3 threads, on grids whose rows and column counts
//! are not multiples of the task sizes, with spacings, the no-zero policies and squared
//! distances.

use segloss::edt::{Edt, NoZero};
use segloss::{Buffer, Error, Real};
use segloss_tests::{pools, SplitMix64 as Rng};

fn agree<T: Real>(edt: &Edt, mask: &[bool], pools: &[rayon::ThreadPool]) {
    let mut want = vec![T::zero(); mask.len()];
    edt.run(mask, &mut want, &mut vec![T::zero(); edt.workspace_len()])
        .unwrap();
    for pool in pools {
        let mut got = vec![T::from(-1.0).unwrap(); mask.len()];
        pool.install(|| segloss_std::edt::run(edt, mask, &mut got))
            .unwrap();
        // widening is exact, so equal bits in f64 are equal bits in T
        let same = (got.iter().zip(&want)).all(|(a, b)| a.wide().to_bits() == b.wide().to_bits());
        assert!(
            same,
            "{:?} on {} threads differs from the core",
            edt.grid(),
            pool.current_num_threads()
        );
    }
}

#[test]
fn threaded_edt_has_the_cores_bits() {
    let pools = pools();
    let mut rng = Rng::new(31);
    let grids: [&[usize]; 9] = [
        &[1],
        &[1000],
        &[5, 300],
        &[300, 7],
        &[3, 17, 260],
        &[40, 1, 1],
        &[2, 300, 3],
        &[9, 20, 130],
        &[1, 1, 1],
    ];
    for dims in grids {
        let spacing: Vec<f64> = dims.iter().map(|_| 0.25 + 2.0 * rng.uniform()).collect();
        let len: usize = dims.iter().product();
        let density = [0.5, 0.05, 0.999];
        for (d, p) in density.into_iter().enumerate() {
            let mask: Vec<bool> = (0..len).map(|_| rng.uniform() < p).collect();
            let edt = Edt::new(dims, &spacing).unwrap();
            agree::<f32>(&edt, &mask, pools);
            agree::<f64>(&edt, &mask, pools);
            if d == 0 {
                agree::<f32>(&edt.squared(), &mask, pools);
            }
        }
        // no zero voxel, under every policy; no nonzero voxel
        let all = vec![true; len];
        for policy in [NoZero::Scipy, NoZero::Infinity, NoZero::Zero] {
            let edt = Edt::new(dims, &spacing).unwrap().with_no_zero(policy);
            agree::<f32>(&edt, &all, pools);
        }
        agree::<f32>(&Edt::new(dims, &spacing).unwrap(), &vec![false; len], pools);
    }
}

#[test]
fn threaded_edt_refuses_buffers_of_another_length() {
    let edt = Edt::new(&[4, 5], &[]).unwrap();
    let mut out = vec![0.0f32; 20];
    let err = segloss_std::edt::run(&edt, &[true; 19], &mut out).unwrap_err();
    assert_eq!(
        err,
        Error::Length {
            what: Buffer::Mask,
            expected: 20,
            got: 19
        }
    );
    let err = segloss_std::edt::run(&edt, &[true; 20], &mut out[..18]).unwrap_err();
    assert_eq!(
        err,
        Error::Length {
            what: Buffer::PixelMap,
            expected: 20,
            got: 18
        }
    );
}
