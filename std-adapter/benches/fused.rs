//! Criterion benchmarks of fused forward+backward passes on the issue's volume
//! (2×4×96³ `f32` logits, `u8` labels), run by hand:
//!
//! ```text
//! cargo bench -p segloss-std --bench fused
//! ```
//!
//! Throughput is the one-pass traffic (logits read + labels read + gradient written), and
//! `read` times a streaming sum over a buffer of the logits' size in the same run, so the
//! fraction of the bandwidth limit is the ratio of the two throughputs. Groups: the
//! instruction-set levels (scalar core vs SIMD), 1 vs 2 threads, focal, and the cost of
//! each pass (pass 1 alone vs both, one thread) on volumes in cache (2×4×24³) and not,
//! through the fused kernel and through the tile pipeline (`tiled_*`).
// criterion_group! and criterion_main! define undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use segloss::engine::Tiled;
use segloss::losses::{DiceCe, Focal};
use segloss::{Input, Loss, Shape, Target};
use segloss_std::simd::{self, Isa};
use segloss_std::threads;
use std::hint::black_box;
use std::time::Duration;

/// The benchmarked volume: batch, classes and spatial sizes.
const DIMS: [usize; 5] = [2, 4, 96, 96, 96];

/// Random logits in [-4, 4) and labels in 0..C from a fixed-seed generator.
struct Volume {
    shape: Shape,
    logits: Vec<f32>,
    labels: Vec<u8>,
}

impl Volume {
    fn new(dims: [usize; 5]) -> Self {
        let [b, c, spatial @ ..] = dims;
        let shape = Shape::new(b, c, &spatial).expect("a valid shape");
        let mut rng = segloss::rng::SplitMix64::new(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.next_u64();
        let logits = (0..shape.elements())
            .map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32 * 8.0 - 4.0)
            .collect();
        let labels = (0..shape.pixels())
            .map(|_| (next() % c as u64) as u8)
            .collect();
        Volume {
            shape,
            logits,
            labels,
        }
    }

    fn input(&self) -> Input<'_, f32> {
        Input::new(&self.logits, self.shape, Target::labels(&self.labels[..]))
            .expect("a valid input")
    }

    /// Bytes of one fused pass: logits and labels read, gradient written.
    fn traffic(&self) -> u64 {
        (self.logits.len() * 4 * 2 + self.labels.len()) as u64
    }
}

/// The instruction-set levels this processor runs, lowest first.
fn levels() -> Vec<Isa> {
    [Isa::Portable, Isa::Avx2, Isa::Avx512]
        .into_iter()
        .filter(|&isa| isa.or_supported() == isa)
        .collect()
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

/// One fused forward+backward of `loss` over the volume, on `threads` workers at `isa`.
fn run<L: Loss<f32> + Sync>(
    pool: &rayon::ThreadPool,
    isa: Isa,
    loss: &L,
    input: &Input<'_, f32>,
    grad: &mut [f32],
) -> f64 {
    threads::forward_backward(pool, isa, loss, input, &mut [], grad).expect("the loss runs")
}

fn fused(c: &mut Criterion) {
    let volume = Volume::new(DIMS);
    let input = volume.input();
    let mut grad = vec![0.0f32; volume.logits.len()];
    let one = pool(1);
    let two = pool(2);
    let best = Isa::detect();

    let mut group = c.benchmark_group("dice_ce_2x4x96^3");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes(volume.traffic()));
    for isa in levels() {
        group.bench_function(BenchmarkId::new("isa", format!("{isa:?}")), |b| {
            b.iter(|| run(&one, isa, &DiceCe::new(), &input, &mut grad))
        });
    }
    for (threads, pool) in [(1, &one), (2, &two)] {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| run(pool, best, &DiceCe::new(), &input, &mut grad))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("focal_2x4x96^3");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes(volume.traffic()));
    for (threads, pool) in [(1, &one), (2, &two)] {
        group.bench_function(BenchmarkId::new("threads", threads), |b| {
            b.iter(|| run(pool, best, &Focal::new(2.0), &input, &mut grad))
        });
    }
    group.finish();

    // Pass 1 alone and both passes, one thread, in cache and from memory.
    let mut group = c.benchmark_group("dice_ce_passes");
    group.sample_size(10);
    for side in [24, 96] {
        let volume = Volume::new([2, 4, side, side, side]);
        let input = volume.input();
        let mut grad = vec![0.0f32; volume.logits.len()];
        group.throughput(Throughput::Elements(volume.logits.len() as u64));
        group.bench_function(BenchmarkId::new("forward", side), |b| {
            b.iter(|| simd::forward(best, &DiceCe::new(), &input, &mut []))
        });
        group.bench_function(BenchmarkId::new("forward_backward", side), |b| {
            b.iter(|| simd::forward_backward(best, &DiceCe::new(), &input, &mut [], &mut grad))
        });
        // The same loss through the tile pipeline: the fused kernel's speed-up over it.
        let tiled = Tiled(DiceCe::new());
        group.bench_function(BenchmarkId::new("tiled_forward", side), |b| {
            b.iter(|| simd::forward(best, &tiled, &input, &mut []))
        });
        group.bench_function(BenchmarkId::new("tiled_forward_backward", side), |b| {
            b.iter(|| simd::forward_backward(best, &tiled, &input, &mut [], &mut grad))
        });
    }
    group.finish();

    // The bandwidth baseline: a streaming read of a buffer of the logits' size.
    let mut group = c.benchmark_group("read_2x4x96^3");
    group.sample_size(10);
    group.throughput(Throughput::Bytes((volume.logits.len() * 4) as u64));
    group.bench_function("sum", |b| b.iter(|| simd_sum(black_box(&volume.logits))));
    group.finish();
}

/// A streaming sum with eight lane accumulators (vectorised at the build's baseline).
fn simd_sum(x: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for chunk in x.chunks_exact(8) {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    lanes.iter().sum()
}

criterion_group!(benches, fused);
criterion_main!(benches);
