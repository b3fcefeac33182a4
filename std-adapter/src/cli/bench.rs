//! `segloss bench loss`: a fused loss's time against the machine's read bandwidth and the
//! two-pass floor, measured in the same run.

use super::flags::{
    activation_name, parse_activation, parse_iters, parse_list, parse_threads, Flags,
};
use super::json::{json_dims, json_num, json_str};
use super::{input_err, usage, CliError, Result};
use crate::simd::Isa;
use crate::spec::{BuildContext, Spec};
use rayon::prelude::*;
use segloss::rng::SplitMix64;
use segloss::{Activation, Input, Loss, Real, Shape, Target};
use std::io::Write;
use std::time::Instant;

pub(super) const BENCH_HELP: &str = "\
segloss bench edt --input MASK.npy [--spacing S0,S1[,S2]] [--iters K] [--threads N]:
time the exact EDT of a mask (f32; with N > 1 threads its rows and lines are split across
them, with the same bits; the last stdout line is JSON with median_s)

segloss bench loss: time a fused loss (value + gradient) on random inputs

Usage: segloss bench loss --loss SPEC --shape B,C,S... [options]

  --loss SPEC         the loss, as for `segloss eval`
  --shape B,C,S...    batch, classes and 1-3 spatial sizes, e.g. 2,4,96,96,96
  --activation A      softmax | sigmoid | none (default softmax, sigmoid when C = 1)
  --dtype D           f32 (default) | f64
  --iters K           timed iterations after one warm-up (default 10); the median counts
  --threads N         worker threads (default 1); the batch is split by sample (a
                      batch of one sample by reduction block, for the losses of the
                      fused kernel); a loss with a workspace (topk, boundary, hd) runs
                      on one thread
  --seed S            seed of the random inputs (default 1)
  --isa I             auto (default: the best supported) | portable | avx2 | avx512

The last line on stdout is one JSON object: median_s, elements_per_s, bytes_per_s (the
loss's one-pass traffic: logits read + labels read + gradient written, over median_s),
read_bandwidth_bytes_per_s (the median of a streaming sum over a buffer of the logits'
size, measured in the same run) and fraction_of_bandwidth (bytes_per_s over it);
two_pass_floor_s is the median time of the memory traffic of the fused kernel's two
passes without their arithmetic (read logits and labels; read them again and write the
gradient), and floor_fraction_of_bandwidth the fraction_of_bandwidth that it reaches.
Progress goes to stderr.
";

pub(super) const BENCH_FLAGS: &[&str] = &[
    "loss",
    "shape",
    "activation",
    "dtype",
    "iters",
    "threads",
    "seed",
    "isa",
];

/// A random logit, uniform in [-2, 2).
fn logit(rng: &mut SplitMix64) -> f64 {
    rng.uniform() * 4.0 - 2.0
}

pub(super) fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        0.5 * (times[n / 2 - 1] + times[n / 2])
    }
}

/// A streaming read of `x`: sixteen independent lanes, so it is bound by memory, not by the
/// latency of one running sum.
pub(super) fn stream_sum<T: Real>(x: &[T]) -> T {
    let mut lanes = [T::zero(); 16];
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = *l + v;
        }
    }
    let tail = chunks.remainder().iter().fold(T::zero(), |a, &v| a + v);
    lanes.iter().fold(tail, |a, &v| a + v)
}

/// A streaming read of `x` split in one contiguous part per thread of `pool`.
pub(super) fn parallel_sum<T: Real>(pool: &rayon::ThreadPool, x: &[T]) -> T {
    let part = x.len().div_ceil(pool.current_num_threads()).max(1);
    pool.install(|| {
        x.par_chunks(part)
            .map(stream_sum)
            .collect::<Vec<T>>()
            .into_iter()
            .fold(T::zero(), |a, v| a + v)
    })
}

/// The memory traffic of the fused kernel's two passes without their arithmetic, each
/// split in one contiguous part per thread of `pool`: pass 1 reads the logits and the
/// labels, pass 2 reads them again and writes the gradient (here a copy of the logits).
/// Returns a sum of what was read, for `black_box`.
pub(super) fn two_pass_traffic<T: Real, L: Copy + Into<u64> + Sync>(
    pool: &rayon::ThreadPool,
    pred: &[T],
    labels: &[L],
    grad: &mut [T],
) -> f64 {
    let threads = pool.current_num_threads();
    let part = pred.len().div_ceil(threads).max(1);
    let label_part = labels.len().div_ceil(threads).max(1);
    let label_sum = || -> u64 {
        labels
            .par_chunks(label_part)
            .map(|c| c.iter().map(|&l| l.into()).sum::<u64>())
            .sum()
    };
    let mut total = parallel_sum(pool, pred).wide();
    pool.install(|| {
        total += label_sum() as f64;
        grad.par_chunks_mut(part)
            .zip(pred.par_chunks(part))
            .for_each(|(g, x)| g.copy_from_slice(x));
        total += label_sum() as f64;
        total
    })
}

/// A pool of `threads` workers.
pub(super) fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .or_else(|e| usage(format!("cannot start {threads} threads: {e}")))
}

pub(super) fn bench_loss(flags: &Flags, out: &mut dyn Write) -> Result<()> {
    let spec = Spec::parse(flags.required("loss")?).map_err(CliError::Spec)?;
    let shape_flag = flags.required("shape")?;
    let dims: Vec<usize> = parse_list("shape", shape_flag)?;
    if !(3..=5).contains(&dims.len()) || dims.contains(&0) {
        return usage(format!(
            "--shape `{shape_flag}`: expected B,C,S... with 1 to 3 positive spatial sizes"
        ));
    }
    let threads = parse_threads(flags.get("threads"))?;
    let iters = parse_iters(flags.get("iters"))?;
    let seed = match flags.get("seed") {
        None => 1,
        Some(t) => t
            .parse::<u64>()
            .map_err(|_| CliError::Usage(format!("--seed `{t}` is not an integer")))?,
    };
    let activation = parse_activation(flags.get("activation"), dims[1])?;
    let isa = match flags.get("isa") {
        None | Some("auto") => Isa::detect(),
        Some("portable") => Isa::Portable,
        Some("avx2") => Isa::Avx2.or_supported(),
        Some("avx512") => Isa::Avx512.or_supported(),
        Some(other) => {
            return usage(format!(
                "--isa `{other}` is not one of auto, portable, avx2, avx512"
            ))
        }
    };
    let bench = Bench {
        spec: &spec,
        dims: &dims,
        activation,
        iters,
        threads,
        seed,
        isa,
    };
    match flags.get("dtype") {
        None | Some("f32" | "float32") => bench.run::<f32>("float32", out),
        Some("f64" | "float64") => bench.run::<f64>("float64", out),
        Some(other) => usage(format!("--dtype `{other}` is not one of f32, f64")),
    }
}

pub(super) struct Bench<'a> {
    spec: &'a Spec,
    dims: &'a [usize],
    activation: Activation,
    iters: usize,
    threads: usize,
    seed: u64,
    isa: Isa,
}

impl Bench<'_> {
    fn run<T: Real>(&self, dtype: &str, out: &mut dyn Write) -> Result<()> {
        let dims = self.dims;
        let shape =
            Shape::new(dims[0], dims[1], &dims[2..]).or_else(|e| usage(format!("--shape: {e}")))?;
        let (elements, pixels, classes) = (shape.elements(), shape.pixels(), shape.classes());
        let mut rng = SplitMix64::new(self.seed);
        let mut progress = Progress::new();
        progress.say(&format!(
            "segloss bench: generating {} random {dtype} logits",
            elements
        ));
        let pred: Vec<T> = match self.activation {
            Activation::Identity => (0..elements)
                .map(|_| T::of(0.5 + 0.25 * logit(&mut rng)))
                .collect(),
            _ => (0..elements).map(|_| T::of(logit(&mut rng))).collect(),
        };
        let limit = if classes == 1 { 2 } else { classes as u64 };
        let (labels_u8, labels_u16): (Vec<u8>, Vec<u16>) = if limit <= 256 {
            (
                (0..pixels)
                    .map(|_| (rng.next_u64() % limit) as u8)
                    .collect(),
                Vec::new(),
            )
        } else {
            (
                Vec::new(),
                (0..pixels)
                    .map(|_| (rng.next_u64() % limit) as u16)
                    .collect(),
            )
        };
        let label_bytes = if labels_u8.is_empty() { 2 } else { 1 };
        let penalty: Vec<T> = if self.spec.needs_penalty() {
            (0..pixels).map(|_| T::of(logit(&mut rng).abs())).collect()
        } else {
            Vec::new()
        };
        let target = if labels_u8.is_empty() {
            Target::labels(&labels_u16[..])
        } else {
            Target::labels(&labels_u8[..])
        };
        let target = match self.spec.ignore_index() {
            Some(i) => target.with_ignore_index(i),
            None => target,
        };
        let input = Input::new(&pred, shape, target)
            .or_else(|e| usage(format!("{e}")))?
            .with_activation(self.activation);
        let ctx = BuildContext {
            penalty: (!penalty.is_empty()).then_some(&penalty[..]),
            spacing: None,
        };
        let loss = self.spec.build(&ctx).map_err(CliError::Spec)?;
        loss.check_members(&input)
            .map_err(|(i, e)| CliError::Spec(self.spec.explain(i, &e)))?;
        let mut ws = vec![T::zero(); Loss::<T>::workspace_len(&loss, &shape)];
        let mut grad = vec![T::zero(); elements];
        let pool = thread_pool(self.threads)?;
        let isa = self.isa;

        let mut value = 0.0;
        // Reused across the iterations, as a training loop would (no allocation per call).
        let mut scratch = crate::threads::Scratch::new();
        let mut once = |grad: &mut [T]| -> Result<f64> {
            let t = Instant::now();
            value = scratch
                .forward_backward(&pool, isa, &loss, &input, &mut ws, grad)
                .or_else(|e| input_err(format!("{e}")))?;
            Ok(t.elapsed().as_secs_f64())
        };
        let warm = once(&mut grad)?;
        progress.say(&format!(
            "segloss bench: warm-up {warm:.3} s; timing {} iterations",
            self.iters
        ));
        let mut times = Vec::with_capacity(self.iters);
        for i in 0..self.iters {
            times.push(once(&mut grad)?);
            progress.tick(&format!(
                "segloss bench: iteration {}/{}",
                i + 1,
                self.iters
            ));
        }
        let mut read_times = Vec::with_capacity(self.iters);
        let mut sink = T::zero();
        for _ in 0..self.iters.max(3) {
            let t = Instant::now();
            sink = sink + parallel_sum(&pool, std::hint::black_box(&pred[..]));
            read_times.push(t.elapsed().as_secs_f64());
        }
        std::hint::black_box(sink);
        let mut floor_times = Vec::with_capacity(self.iters);
        let mut floor_sink = 0.0;
        for _ in 0..self.iters.max(3) {
            let t = Instant::now();
            floor_sink += if labels_u8.is_empty() {
                two_pass_traffic(&pool, &pred, &labels_u16, &mut grad)
            } else {
                two_pass_traffic(&pool, &pred, &labels_u8, &mut grad)
            };
            floor_times.push(t.elapsed().as_secs_f64());
        }
        std::hint::black_box(floor_sink);
        let floor_s = median(&mut floor_times);
        let (min_s, median_s) = {
            let m = median(&mut times);
            (times[0], m)
        };
        let read_s = median(&mut read_times);
        let size = std::mem::size_of::<T>();
        let read_bw = (elements * size) as f64 / read_s;
        let traffic = (elements * size + pixels * label_bytes + elements * size) as f64;
        let bytes_per_s = traffic / median_s;
        let json = format!(
            "{{\"spec\": {}, \"shape\": {}, \"dtype\": {}, \"activation\": {}, \"iters\": {}, \
             \"threads\": {}, \"isa\": \"{isa:?}\", \"value\": {}, \"median_s\": {}, \
             \"min_s\": {}, \"elements\": {elements}, \"elements_per_s\": {}, \"traffic_bytes\": {}, \
             \"bytes_per_s\": {}, \"read_bandwidth_bytes_per_s\": {}, \"fraction_of_bandwidth\": {}, \
             \"two_pass_floor_s\": {}, \"floor_fraction_of_bandwidth\": {}}}\n",
            json_str(self.spec.text()),
            json_dims(dims),
            json_str(dtype),
            json_str(activation_name(self.activation)),
            self.iters,
            self.threads,
            json_num(if value.is_finite() { value } else { 0.0 }),
            json_num(median_s),
            json_num(min_s),
            json_num(elements as f64 / median_s),
            json_num(traffic),
            json_num(bytes_per_s),
            json_num(read_bw),
            json_num(bytes_per_s / read_bw),
            json_num(floor_s),
            json_num(traffic / floor_s / read_bw),
        );
        out.write_all(json.as_bytes())
            .map_err(|e| CliError::Input(format!("cannot write to stdout: {e}")))
    }
}

/// Progress lines on stderr: the first always, later ones at most once a second.
pub(super) struct Progress {
    last: Instant,
}

impl Progress {
    fn new() -> Self {
        Progress {
            last: Instant::now(),
        }
    }

    fn say(&mut self, msg: &str) {
        eprintln!("{msg}");
        self.last = Instant::now();
    }

    fn tick(&mut self, msg: &str) {
        if self.last.elapsed().as_secs_f64() >= 1.0 {
            self.say(msg);
        }
    }
}
