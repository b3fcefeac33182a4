//! Times the exact EDT of segloss on one 3D mask and prints JSON.
//!
//! ```sh
//! cargo run --release -p segloss-std --example bench_edt -- [options]
//!   --mask FILE       raw mask: one byte per voxel (0 = zero voxel), C order
//!   --dims Z,Y,X      grid sizes (default 128,128,128)
//!   --spacing a,b,c   per-axis spacing (default 1,1,1)
//!   --runs K          timed runs; the median is reported (default 11)
//!   --type f32|f64    output type (default f32)
//!   --threads N       threads (default 1: the core's `Edt::run`; more: `segloss_std::edt::run`)
//!   --out FILE        write the distances (raw little-endian floats) for checking
//! ```
//! Without `--mask`, a mask of random balls is generated (seeded).

use segloss::edt::Edt;
use segloss::Real;
use std::time::Instant;

fn parse_list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).collect()
}

/// Random balls covering about a fifth of the grid (the workspace's SplitMix64, fixed seed).
fn generated(dims: &[usize]) -> Vec<bool> {
    let mut rng = segloss::rng::SplitMix64::new(0x5EED);
    let mut next = || rng.uniform();
    let (nz, ny, nx) = (dims[0], dims[1], dims[2]);
    let mut mask = vec![false; nz * ny * nx];
    let m = nz.min(ny).min(nx) as f64;
    for _ in 0..20 {
        let c = [next() * nz as f64, next() * ny as f64, next() * nx as f64];
        let r = m * (0.04 + 0.2 * next());
        for z in 0..nz {
            for y in 0..ny {
                for x in 0..nx {
                    let d = (z as f64 - c[0]).powi(2)
                        + (y as f64 - c[1]).powi(2)
                        + (x as f64 - c[2]).powi(2);
                    if d < r * r {
                        mask[(z * ny + y) * nx + x] = true;
                    }
                }
            }
        }
    }
    mask
}

fn time<T: Real>(edt: &Edt, mask: &[bool], runs: usize, threads: usize) -> (Vec<f64>, Vec<T>) {
    let mut out = vec![T::zero(); mask.len()];
    let mut ws = vec![T::zero(); edt.workspace_len()];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let mut secs = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        if threads == 1 {
            edt.run(mask, &mut out, &mut ws)
        } else {
            pool.install(|| segloss_std::edt::run(edt, mask, &mut out))
        }
        .expect("valid mask");
        secs.push(t.elapsed().as_secs_f64());
    }
    secs.sort_by(|a, b| a.partial_cmp(b).expect("finite times"));
    (secs, out)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let dims: Vec<usize> = opt("--dims").map_or(vec![128, 128, 128], |s| parse_list(&s));
    let spacing: Vec<f64> = opt("--spacing").map_or(vec![1.0; dims.len()], |s| parse_list(&s));
    let runs: usize = opt("--runs").and_then(|s| s.parse().ok()).unwrap_or(11);
    let ty = opt("--type").unwrap_or_else(|| "f32".into());
    let threads: usize = opt("--threads").and_then(|s| s.parse().ok()).unwrap_or(1);
    let mask: Vec<bool> = match opt("--mask") {
        Some(path) => std::fs::read(&path)
            .expect("readable mask file")
            .iter()
            .map(|&b| b != 0)
            .collect(),
        None => generated(&dims),
    };
    assert_eq!(
        mask.len(),
        dims.iter().product::<usize>(),
        "mask size != dims"
    );
    let edt = Edt::new(&dims, &spacing).expect("valid grid");
    let (secs, bytes) = if ty == "f64" {
        let (s, out) = time::<f64>(&edt, &mask, runs, threads);
        (
            s,
            out.iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>(),
        )
    } else {
        let (s, out) = time::<f32>(&edt, &mask, runs, threads);
        (
            s,
            out.iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<u8>>(),
        )
    };
    if let Some(path) = opt("--out") {
        std::fs::write(path, bytes).expect("writable output");
    }
    let median = secs[secs.len() / 2];
    println!(
        "{{\"impl\": \"segloss\", \"type\": \"{ty}\", \"dims\": {dims:?}, \"spacing\": {spacing:?}, \
         \"runs\": {runs}, \"threads\": {threads}, \"median_s\": {median:.6}, \"min_s\": {:.6}, \"foreground\": {:.4}}}",
        secs[0],
        mask.iter().filter(|&&m| m).count() as f64 / mask.len() as f64
    );
}
