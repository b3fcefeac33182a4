//! The `segloss` command: evaluate a loss and its gradient on `.npy` files, list the losses,
//! and time a loss against the machine's read bandwidth.
//!
//! [`run`] is the whole program (the binary only forwards its arguments and exit code), so
//! it is testable in-process. Exit codes: 0 success, 1 bad input data (files, shapes, values),
//! 2 bad usage (arguments, loss spec). Every error is one line on stderr, except spec
//! errors, which add the spec with a caret under the mistake and what is allowed there.

mod distmap;

use crate::npy::{self, Array, Data};
use crate::simd::Isa;
use crate::spec::{BuildContext, Spec, SpecError};
use rayon::prelude::*;
use segloss::{engine, Activation, Error, Input, Layout, Loss, Real, Shape, Target};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A failure of the command, with its exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments (exit code 2).
    Usage(String),
    /// A bad loss spec (exit code 2).
    Spec(SpecError),
    /// Bad input data or an I/O failure (exit code 1).
    Input(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Spec(_) => 2,
            CliError::Input(_) => 1,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "segloss: {m}"),
            CliError::Spec(e) => write!(f, "segloss: error in --loss {e}"),
            CliError::Input(m) => write!(f, "segloss: {m}"),
        }
    }
}

type Result<T> = std::result::Result<T, CliError>;

fn usage<T>(msg: impl Into<String>) -> Result<T> {
    Err(CliError::Usage(msg.into()))
}

fn input_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(CliError::Input(msg.into()))
}

const MAIN_HELP: &str = "\
segloss: segmentation losses and their gradients on .npy files

Usage:
  segloss eval --input PRED.npy --target TARGET.npy --loss SPEC [options]
  segloss distmap --target TARGET.npy --out OUT.npy [--kind edt|signed] [--spacing ...]
  segloss bench loss --loss SPEC --shape B,C,S... [options]
  segloss bench edt --input MASK.npy [--spacing ...] [--iters K]
  segloss losses            list every loss, its parameters and defaults
  segloss help [eval|distmap|bench|losses]

Exit codes: 0 success, 1 bad input data, 2 bad usage or loss spec.
";

const EVAL_HELP: &str = "\
segloss eval: the value of a loss on PRED and TARGET, and optionally its gradient

Usage: segloss eval --input PRED.npy --target TARGET.npy --loss SPEC [options]

  --input PRED.npy      float32 or float64, C order, (B, C, spatial...) with 1-3 spatial
                        dims; channel-last: (B, spatial..., C)
  --target TARGET.npy   class indices (any integer or bool dtype) of shape (B, spatial...)
                        or (B, 1, spatial...); or a float one-hot/soft map of PRED's shape
  --loss SPEC           e.g. 'dice', '0.7*dice(include_background=false) + 0.3*ce',
                        'dice_ce(lambda_ce=0.5)', 'focal(gamma=2)'; see `segloss losses`
  --activation A        softmax | sigmoid | none (PRED holds probabilities); default
                        softmax, sigmoid when C = 1
  --layout L            channel-first (default) | channel-last
  --ignore-index I      label value to ignore (also `ignore_index=I` in the spec)
  --mask MASK.npy       bool or integer (non-zero = counts), shape (B, spatial...)
  --penalty PEN.npy     float, shape (B, spatial...): the distance penalty map of `dpce`
  --spacing S0,S1[,S2]  voxel spacing, one positive value per spatial axis, for the
                        distance-based losses (none of the current losses reads it; it is
                        validated and reported)
  --grad-out GRAD.npy   write d loss / d PRED (w.r.t. the logits when an activation is
                        fused) in PRED's dtype, shape and layout; written to a temporary
                        file next to it and renamed on success only
  --threads N           accepted and validated (N >= 1); `eval` runs its passes on one
                        thread (with the processor's SIMD level) and reports
                        \"threads_used\": 1; `bench loss` uses the threads

Prints one JSON object on stdout: {\"loss\": ..., \"members\": [{\"name\", \"weight\",
\"value\"}, ...], ...}, where loss = sum of weight * value.
";

const BENCH_HELP: &str = "\
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

/// Runs the command with `args` (without the program name); returns the exit code.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match dispatch(args, out) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            e.code()
        }
    }
}

fn dispatch(args: &[String], out: &mut dyn Write) -> Result<()> {
    let print = |out: &mut dyn Write, text: &str| {
        out.write_all(text.as_bytes())
            .map_err(|e| CliError::Input(format!("cannot write to stdout: {e}")))
    };
    match args.first().map(String::as_str) {
        None | Some("help" | "-h" | "--help") => match args.get(1).map(String::as_str) {
            Some("eval") => print(out, EVAL_HELP),
            Some("bench") => print(out, BENCH_HELP),
            Some("distmap") => print(out, distmap::DISTMAP_HELP),
            Some("losses") => print(out, &crate::spec::describe()),
            _ => print(out, MAIN_HELP),
        },
        Some("-V" | "--version") => print(out, &format!("segloss {}\n", env!("CARGO_PKG_VERSION"))),
        Some("losses") => print(out, &crate::spec::describe()),
        Some("eval") => {
            let rest = &args[1..];
            if wants_help(rest) {
                return print(out, EVAL_HELP);
            }
            eval(&Flags::parse(rest, EVAL_FLAGS, "eval")?, out)
        }
        Some("distmap") => {
            let rest = &args[1..];
            if wants_help(rest) {
                return print(out, distmap::DISTMAP_HELP);
            }
            distmap::distmap(&Flags::parse(rest, distmap::DISTMAP_FLAGS, "distmap")?, out)
        }
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("edt") => {
                let rest = &args[2..];
                if wants_help(rest) {
                    return print(out, BENCH_HELP);
                }
                distmap::bench_edt(
                    &Flags::parse(rest, distmap::BENCH_EDT_FLAGS, "bench edt")?,
                    out,
                )
            }
            Some("loss") => {
                let rest = &args[2..];
                if wants_help(rest) {
                    return print(out, BENCH_HELP);
                }
                bench_loss(&Flags::parse(rest, BENCH_FLAGS, "bench loss")?, out)
            }
            Some("-h" | "--help") | None => print(out, BENCH_HELP),
            Some(other) => usage(format!(
                "unknown bench target `{other}`; available: loss, edt (see `segloss help bench`)"
            )),
        },
        Some(other) => usage(format!(
            "unknown command `{other}`; available: eval, distmap, bench, losses, help"
        )),
    }
}

fn wants_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "-h" || a == "--help")
}

// ---------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------

const EVAL_FLAGS: &[&str] = &[
    "input",
    "target",
    "loss",
    "activation",
    "layout",
    "ignore-index",
    "mask",
    "penalty",
    "spacing",
    "grad-out",
    "threads",
];

const BENCH_FLAGS: &[&str] = &[
    "loss",
    "shape",
    "activation",
    "dtype",
    "iters",
    "threads",
    "seed",
    "isa",
];

/// `--name value` or `--name=value` pairs, each known and given once.
struct Flags {
    values: Vec<(&'static str, String)>,
    command: &'static str,
}

impl Flags {
    fn parse(args: &[String], known: &[&'static str], command: &'static str) -> Result<Flags> {
        let mut values: Vec<(&'static str, String)> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            let Some(body) = a.strip_prefix("--") else {
                return usage(format!(
                    "unexpected argument `{a}` (flags start with --; see `segloss help {command}`)"
                ));
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(&flag) = known.iter().find(|k| **k == name) else {
                let close = known
                    .iter()
                    .find(|k| {
                        k.starts_with(name)
                            || name.starts_with(**k)
                            || k.replace('-', "_") == name.replace('-', "_")
                    })
                    .map(|k| format!(" (did you mean --{k}?)"))
                    .unwrap_or_default();
                let list: Vec<String> = known.iter().map(|k| format!("--{k}")).collect();
                return usage(format!(
                    "unknown flag `--{name}` for `segloss {command}`{close}; allowed: {}",
                    list.join(", ")
                ));
            };
            let value = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    match args.get(i) {
                        Some(v) => v.clone(),
                        None => return usage(format!("--{flag} needs a value")),
                    }
                }
            };
            if values.iter().any(|(k, _)| *k == flag) {
                return usage(format!("--{flag} is given twice"));
            }
            values.push((flag, value));
            i += 1;
        }
        Ok(Flags { values, command })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> Result<&str> {
        self.get(name).ok_or_else(|| {
            CliError::Usage(format!(
                "--{name} is required (see `segloss help {}`)",
                self.command
            ))
        })
    }
}

fn parse_activation(text: Option<&str>, classes: usize) -> Result<Activation> {
    Ok(match text {
        None if classes == 1 => Activation::Sigmoid,
        None | Some("softmax") => Activation::Softmax,
        Some("sigmoid") => Activation::Sigmoid,
        Some("none" | "identity") => Activation::Identity,
        Some(other) => {
            return usage(format!(
                "--activation `{other}` is not one of softmax, sigmoid, none"
            ))
        }
    })
}

fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Softmax => "softmax",
        Activation::Sigmoid => "sigmoid",
        Activation::Identity => "none",
    }
}

fn parse_threads(text: Option<&str>) -> Result<usize> {
    match text {
        None => Ok(1),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=4096).contains(&n) => Ok(n),
            _ => usage(format!(
                "--threads `{t}` is not a thread count (an integer from 1 to 4096)"
            )),
        },
    }
}

/// `--spacing`: comma-separated positive finite numbers.
fn parse_spacing(text: &str) -> Result<Vec<f64>> {
    let s: Vec<f64> = parse_list("spacing", text)?;
    if let Some(bad) = s.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        return usage(format!(
            "--spacing `{text}`: {bad} is not a positive finite spacing"
        ));
    }
    Ok(s)
}

/// The nonzero elements of any dtype as `true`.
fn nonzero(data: Data) -> Vec<bool> {
    match data {
        Data::Bool(v) => v,
        Data::U8(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I8(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::U16(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I16(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::U32(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I32(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::U64(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::I64(v) => v.into_iter().map(|x| x != 0).collect(),
        Data::F32(v) => v.into_iter().map(|x| x != 0.0).collect(),
        Data::F64(v) => v.into_iter().map(|x| x != 0.0).collect(),
    }
}

fn parse_list<X: std::str::FromStr>(flag: &str, text: &str) -> Result<Vec<X>> {
    text.split(',')
        .map(|p| {
            p.trim().parse::<X>().map_err(|_| {
                CliError::Usage(format!(
                    "--{flag} `{text}`: `{}` is not a valid number",
                    p.trim()
                ))
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A finite number with every digit needed to read it back (`{:?}` of `f64` is the
/// shortest representation that round-trips, and valid JSON when finite).
fn json_num(x: f64) -> String {
    debug_assert!(x.is_finite());
    if x.is_finite() {
        format!("{x:?}")
    } else {
        "null".into()
    }
}

fn json_dims(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

// ---------------------------------------------------------------------------------------
// eval
// ---------------------------------------------------------------------------------------

/// The files of an eval, to name them in errors.
struct Files<'a> {
    input: &'a str,
    target: &'a str,
    mask: Option<&'a str>,
    penalty: Option<&'a str>,
}

fn read_npy(path: &str, what: &str) -> Result<Array> {
    npy::read(path).map_err(|e| match e {
        npy::NpyError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
            CliError::Input(format!("{what} {path}: file not found"))
        }
        e => CliError::Input(format!("{what} {path}: {e}")),
    })
}

fn shape_text(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// The prediction's logical layout: batch, classes, spatial sizes.
struct Geometry {
    dims: Vec<usize>,
    batch: usize,
    classes: usize,
    spatial: Vec<usize>,
    layout: Layout,
}

impl Geometry {
    fn of(dims: &[usize], layout: Layout, path: &str) -> Result<Geometry> {
        if !(3..=5).contains(&dims.len()) {
            return input_err(format!(
                "PRED {path}: shape {} has {} axes; expected (B, C, spatial...) with 1 to 3 spatial axes{}",
                shape_text(dims),
                dims.len(),
                if layout == Layout::ChannelLast { " (channel-last: (B, spatial..., C))" } else { "" }
            ));
        }
        let (classes, spatial) = match layout {
            Layout::ChannelFirst => (dims[1], dims[2..].to_vec()),
            Layout::ChannelLast => (dims[dims.len() - 1], dims[1..dims.len() - 1].to_vec()),
        };
        Ok(Geometry {
            dims: dims.to_vec(),
            batch: dims[0],
            classes,
            spatial,
            layout,
        })
    }

    /// `(B, spatial...)`.
    fn pixel_dims(&self) -> Vec<usize> {
        let mut d = vec![self.batch];
        d.extend(&self.spatial);
        d
    }

    /// `(B, 1, spatial...)` or `(B, spatial..., 1)`.
    fn singleton_dims(&self) -> Vec<usize> {
        let mut d = self.pixel_dims();
        match self.layout {
            Layout::ChannelFirst => d.insert(1, 1),
            Layout::ChannelLast => d.push(1),
        }
        d
    }

    /// True for a per-pixel map's shape: `(B, spatial...)` or with a singleton channel.
    fn is_pixel_shape(&self, dims: &[usize]) -> bool {
        dims == self.pixel_dims().as_slice() || dims == self.singleton_dims().as_slice()
    }

    fn pixel_shape_text(&self) -> String {
        format!(
            "{} or {}",
            shape_text(&self.pixel_dims()),
            shape_text(&self.singleton_dims())
        )
    }
}

/// The multi-index of flat `index` in C order.
fn unravel(mut index: usize, dims: &[usize]) -> String {
    let mut out = vec![0; dims.len()];
    for (o, &d) in out.iter_mut().zip(dims).rev() {
        if d > 0 {
            *o = index % d;
            index /= d;
        }
    }
    shape_text(&out)
}

/// Owned class-index labels in a type the core reads.
enum OwnedLabels {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl OwnedLabels {
    fn from_data(data: Data, path: &str, dims: &[usize]) -> Result<OwnedLabels> {
        Ok(match data {
            Data::Bool(v) => OwnedLabels::U8(v.into_iter().map(u8::from).collect()),
            Data::U8(v) => OwnedLabels::U8(v),
            Data::I8(v) => OwnedLabels::I32(v.into_iter().map(i32::from).collect()),
            Data::U16(v) => OwnedLabels::U16(v),
            Data::I16(v) => OwnedLabels::I32(v.into_iter().map(i32::from).collect()),
            Data::U32(v) => OwnedLabels::U32(v),
            Data::I32(v) => OwnedLabels::I32(v),
            Data::I64(v) => OwnedLabels::I64(v),
            Data::U64(v) => {
                if let Some(i) = v.iter().position(|&x| i64::try_from(x).is_err()) {
                    return input_err(format!(
                        "TARGET {path}: label {} at index {} does not fit int64",
                        v[i],
                        unravel(i, dims)
                    ));
                }
                OwnedLabels::I64(v.into_iter().map(|x| x as i64).collect())
            }
            Data::F32(_) | Data::F64(_) => unreachable!("float targets are dense"),
        })
    }

    /// The largest label.
    fn max_label(&self) -> Option<i64> {
        match self {
            OwnedLabels::U8(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::U16(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::U32(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::I32(v) => v.iter().max().map(|&x| i64::from(x)),
            OwnedLabels::I64(v) => v.iter().max().copied(),
        }
    }

    /// The boundary loss's signed maps of these labels.
    fn signed<T: Real>(
        &self,
        maps: &segloss::edt::SignedMaps,
        out: &mut [T],
        ws: &mut [T],
    ) -> std::result::Result<(), Error> {
        match self {
            OwnedLabels::U8(v) => maps.run(&v[..], out, ws),
            OwnedLabels::U16(v) => maps.run(&v[..], out, ws),
            OwnedLabels::U32(v) => maps.run(&v[..], out, ws),
            OwnedLabels::I32(v) => maps.run(&v[..], out, ws),
            OwnedLabels::I64(v) => maps.run(&v[..], out, ws),
        }
    }

    fn target<T: Real>(&self, ignore: Option<i64>) -> Target<'_, T> {
        let t = match self {
            OwnedLabels::U8(v) => Target::labels(&v[..]),
            OwnedLabels::U16(v) => Target::labels(&v[..]),
            OwnedLabels::U32(v) => Target::labels(&v[..]),
            OwnedLabels::I32(v) => Target::labels(&v[..]),
            OwnedLabels::I64(v) => Target::labels(&v[..]),
        };
        match ignore {
            Some(i) => t.with_ignore_index(i),
            None => t,
        }
    }
}

fn to_real<T: Real>(data: Data) -> Option<Vec<T>> {
    match data {
        Data::F32(v) => Some(v.into_iter().map(|x| T::of(f64::from(x))).collect()),
        Data::F64(v) => Some(v.into_iter().map(T::of).collect()),
        _ => None,
    }
}

/// Validates `--grad-out` before any work: its folder exists and it is not a folder.
fn check_grad_out(path: &str) -> Result<PathBuf> {
    check_out_path(path, "--grad-out")
}

/// Validates an output path before any work: its folder exists and it is not a folder.
fn check_out_path(path: &str, flag: &str) -> Result<PathBuf> {
    let p = PathBuf::from(path);
    if p.file_name().is_none() || p.is_dir() {
        return input_err(format!("{flag} {path}: not a file path"));
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return input_err(format!(
            "{flag} {path}: folder {} does not exist",
            dir.display()
        ));
    }
    Ok(p)
}

/// Writes an output array to a temporary file in the target's folder, then renames it.
fn write_atomically<T: Real + npy::Element>(
    path: &Path,
    shape: &[usize],
    data: &[T],
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.segloss-{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        npy::write_to(&mut file, shape, data)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CliError::Input(format!("{}: {e}", path.display()))
    })
}

fn eval(flags: &Flags, out: &mut dyn Write) -> Result<()> {
    let files = Files {
        input: flags.required("input")?,
        target: flags.required("target")?,
        mask: flags.get("mask"),
        penalty: flags.get("penalty"),
    };
    let spec = Spec::parse(flags.required("loss")?).map_err(CliError::Spec)?;
    let layout = match flags.get("layout") {
        None | Some("channel-first") => Layout::ChannelFirst,
        Some("channel-last") => Layout::ChannelLast,
        Some(other) => {
            return usage(format!(
                "--layout `{other}` is not one of channel-first, channel-last"
            ))
        }
    };
    let threads = parse_threads(flags.get("threads"))?;
    let cli_ignore = match flags.get("ignore-index") {
        None => None,
        Some(t) => Some(
            t.parse::<i64>()
                .map_err(|_| CliError::Usage(format!("--ignore-index `{t}` is not an integer")))?,
        ),
    };
    let ignore = match (spec.ignore_index(), cli_ignore) {
        (Some(a), Some(b)) if a != b => {
            return usage(format!(
                "--ignore-index {b} conflicts with ignore_index={a} in --loss"
            ))
        }
        (a, b) => a.or(b),
    };
    let spacing: Option<Vec<f64>> = match flags.get("spacing") {
        None => None,
        Some(t) => Some(parse_spacing(t)?),
    };
    if spec.needs_penalty() && files.penalty.is_none() {
        return usage(
            "the loss has a `dpce` member, which needs --penalty PEN.npy (shape (B, spatial...))",
        );
    }
    let grad_out = flags.get("grad-out").map(check_grad_out).transpose()?;

    let pred = read_npy(files.input, "PRED")?;
    let geo = Geometry::of(&pred.shape, layout, files.input)?;
    if let Some(s) = &spacing {
        if s.len() != geo.spatial.len() {
            return usage(format!(
                "--spacing has {} values; PRED has {} spatial axes",
                s.len(),
                geo.spatial.len()
            ));
        }
    }
    let activation = parse_activation(flags.get("activation"), geo.classes)?;
    let run = Run {
        spec: &spec,
        files: &files,
        geo: &geo,
        activation,
        ignore,
        spacing: spacing.as_deref(),
        grad_out: grad_out.as_deref(),
        threads,
    };
    match pred.data {
        Data::F32(v) => run.eval_typed(v, "float32", out),
        Data::F64(v) => run.eval_typed(v, "float64", out),
        other => input_err(format!(
            "PRED {}: dtype {} is not supported for the prediction (float32 or float64)",
            files.input,
            other.dtype().name()
        )),
    }
}

struct Run<'a> {
    spec: &'a Spec,
    files: &'a Files<'a>,
    geo: &'a Geometry,
    activation: Activation,
    ignore: Option<i64>,
    spacing: Option<&'a [f64]>,
    grad_out: Option<&'a Path>,
    threads: usize,
}

impl Run<'_> {
    fn eval_typed<T: Real + npy::Element>(
        &self,
        pred: Vec<T>,
        dtype: &str,
        out: &mut dyn Write,
    ) -> Result<()> {
        let (files, geo) = (self.files, self.geo);
        let shape = Shape::new(geo.batch, geo.classes, &geo.spatial)
            .or_else(|e| input_err(format!("PRED {}: {e}", files.input)))?;

        // Target: class indices or a dense map.
        let target = read_npy(files.target, "TARGET")?;
        let dtype_t = target.data.dtype();
        enum Owned<T> {
            Labels(OwnedLabels),
            Dense(Vec<T>),
        }
        let owned = if dtype_t.is_integer() {
            if !geo.is_pixel_shape(&target.shape) {
                return input_err(format!(
                    "TARGET {}: class indices of shape {} do not match PRED {}: expected {}",
                    files.target,
                    shape_text(&target.shape),
                    shape_text(&geo.dims),
                    geo.pixel_shape_text()
                ));
            }
            Owned::Labels(OwnedLabels::from_data(
                target.data,
                files.target,
                &target.shape,
            )?)
        } else {
            if target.shape != geo.dims {
                let hint = if geo.is_pixel_shape(&target.shape) {
                    "; class indices must have an integer dtype"
                } else {
                    ""
                };
                return input_err(format!(
                    "TARGET {}: a {} map of shape {} does not match PRED's shape {}{hint}",
                    files.target,
                    dtype_t.name(),
                    shape_text(&target.shape),
                    shape_text(&geo.dims)
                ));
            }
            if self.ignore.is_some() {
                return usage(format!(
                    "an ignore index applies to class-index targets; TARGET {} is a {} map (use --mask)",
                    files.target,
                    dtype_t.name()
                ));
            }
            Owned::Dense(to_real(target.data).unwrap_or_default())
        };

        // Mask and penalty map.
        let mask: Option<Vec<bool>> = match files.mask {
            None => None,
            Some(path) => {
                let m = read_npy(path, "MASK")?;
                if !geo.is_pixel_shape(&m.shape) {
                    return input_err(format!(
                        "MASK {path}: shape {} does not match PRED {}: expected {}",
                        shape_text(&m.shape),
                        shape_text(&geo.dims),
                        geo.pixel_shape_text()
                    ));
                }
                Some(match m.data {
                    Data::F32(_) | Data::F64(_) => {
                        return input_err(format!(
                            "MASK {path}: dtype {} is not supported for a mask (bool or integer)",
                            m.data.dtype().name()
                        ))
                    }
                    data => nonzero(data),
                })
            }
        };
        let penalty: Option<Vec<T>> = match files.penalty {
            None => None,
            Some(path) => {
                let m = read_npy(path, "PENALTY")?;
                if !geo.is_pixel_shape(&m.shape) {
                    return input_err(format!(
                        "PENALTY {path}: shape {} does not match PRED {}: expected {}",
                        shape_text(&m.shape),
                        shape_text(&geo.dims),
                        geo.pixel_shape_text()
                    ));
                }
                let name = m.data.dtype().name();
                Some(to_real(m.data).ok_or_else(|| {
                    CliError::Input(format!(
                        "PENALTY {path}: dtype {name} is not supported (float32 or float64)"
                    ))
                })?)
            }
        };

        let target = match &owned {
            Owned::Labels(l) => l.target(self.ignore),
            Owned::Dense(d) => Target::dense(&d[..]),
        };
        let input = Input::new(&pred, shape, target)
            .and_then(|i| match &mask {
                Some(m) => i.with_mask(m),
                None => Ok(i),
            })
            .or_else(|e| input_err(format!("{e}")))?
            .with_layout(geo.layout)
            .with_activation(self.activation);

        let ctx = BuildContext {
            penalty: penalty.as_deref(),
            spacing: self.spacing,
        };
        let loss = self.spec.build(&ctx).map_err(CliError::Spec)?;
        loss.check_members(&input).map_err(|(i, e)| match e {
            Error::Length { .. } => self.data_error(&e),
            e => CliError::Spec(self.spec.explain(i, &e)),
        })?;

        let mut workspace = vec![T::zero(); Loss::<T>::workspace_len(&loss, &shape)];
        let mut stats = Default::default();
        engine::accumulate(&loss, &input, &mut stats, &mut workspace)
            .map_err(|e| self.data_error(&e))?;
        let done = loss.finalize(&stats, &mut workspace);
        let values = loss.member_values(&done.coef);
        if !done.value.is_finite() || values.iter().any(|v| !v.is_finite()) {
            return input_err("the loss is not finite on these inputs (no output written)");
        }
        if let Some(path) = self.grad_out {
            let mut grad = vec![T::zero(); pred.len()];
            engine::backward_accepted(&loss, &input, &done.coef, &workspace, &mut grad)
                .map_err(|e| self.data_error(&e))?;
            if let Some(i) = grad.iter().position(|g| !g.is_finite()) {
                return input_err(format!(
                    "the gradient is not finite at {} (no output written)",
                    unravel(i, &geo.dims)
                ));
            }
            write_atomically(path, &geo.dims, &grad)?;
        }

        let mut json = String::new();
        let _ = write!(json, "{{\"loss\": {}, \"members\": [", json_num(done.value));
        for (k, (m, v)) in self.spec.members().iter().zip(values).enumerate() {
            let sep = if k == 0 { "" } else { ", " };
            let _ = write!(
                json,
                "{sep}{{\"name\": {}, \"weight\": {}, \"value\": {}, \"rust\": {}}}",
                json_str(&m.label),
                json_num(m.weight),
                json_num(*v),
                json_str(m.rust)
            );
        }
        let _ = write!(
            json,
            "], \"spec\": {}, \"shape\": {}, \"dtype\": {}, \"layout\": {}, \"activation\": {}, \"target\": {}",
            json_str(self.spec.text()),
            json_dims(&geo.dims),
            json_str(dtype),
            json_str(match geo.layout {
                Layout::ChannelFirst => "channel-first",
                Layout::ChannelLast => "channel-last",
            }),
            json_str(activation_name(self.activation)),
            json_str(match owned {
                Owned::Labels(_) => "labels",
                Owned::Dense(_) => "dense",
            }),
        );
        let _ = write!(
            json,
            ", \"ignore_index\": {}, \"mask\": {}",
            self.ignore.map_or("null".into(), |i| i.to_string()),
            mask.is_some()
        );
        let spacing = self.spacing.map_or("null".to_string(), |s| {
            let parts: Vec<String> = s.iter().map(|x| json_num(*x)).collect();
            format!("[{}]", parts.join(", "))
        });
        let grad = self
            .grad_out
            .map_or("null".to_string(), |p| json_str(&p.display().to_string()));
        let _ = writeln!(
            json,
            ", \"spacing\": {spacing}, \"grad_out\": {grad}, \"threads_requested\": {}, \"threads_used\": 1}}",
            self.threads
        );
        out.write_all(json.as_bytes())
            .map_err(|e| CliError::Input(format!("cannot write to stdout: {e}")))
    }

    /// A data error of the core, naming the file and the multi-index.
    fn data_error(&self, e: &Error) -> CliError {
        let files = self.files;
        let geo = self.geo;
        let pixel_dims = geo.pixel_dims();
        let msg = match *e {
            Error::LabelOutOfRange {
                index,
                label,
                classes,
            } => format!(
                "TARGET {}: label {label} at {} is outside 0..{classes}{}",
                files.target,
                unravel(index, &pixel_dims),
                match self.ignore {
                    Some(i) => format!(" and is not the ignore index {i}"),
                    None => " (no ignore index is set: --ignore-index)".into(),
                }
            ),
            Error::BinaryLabel { index, label } => format!(
                "TARGET {}: label {label} at {}: a single-channel prediction takes labels 0 or 1",
                files.target,
                unravel(index, &pixel_dims)
            ),
            Error::NonFinite { what, index } | Error::NotProbability { what, index } => {
                let (name, path, dims) = match what {
                    segloss::Buffer::Prediction => ("PRED", files.input, &geo.dims),
                    segloss::Buffer::Target => ("TARGET", files.target, &geo.dims),
                    segloss::Buffer::Mask => ("MASK", files.mask.unwrap_or("?"), &pixel_dims),
                    _ => ("PENALTY", files.penalty.unwrap_or("?"), &pixel_dims),
                };
                let problem = if matches!(e, Error::NonFinite { .. }) {
                    "is NaN or infinite".to_string()
                } else if name == "PRED" {
                    "is outside [0, 1] (--activation none takes probabilities)".to_string()
                } else {
                    "is outside [0, 1]".to_string()
                };
                format!(
                    "{name} {path}: element at {} {problem}",
                    unravel(index, dims)
                )
            }
            Error::NegativePenalty { index } => format!(
                "PENALTY {}: element at {} is negative",
                files.penalty.unwrap_or("?"),
                unravel(index, &pixel_dims)
            ),
            ref other => format!("{other}"),
        };
        CliError::Input(msg)
    }
}

// ---------------------------------------------------------------------------------------
// bench loss
// ---------------------------------------------------------------------------------------

/// SplitMix64, so the benchmark needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-2, 2).
    fn logit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    }
}

fn median(times: &mut [f64]) -> f64 {
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
fn stream_sum<T: Real>(x: &[T]) -> T {
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
fn parallel_sum<T: Real>(pool: &rayon::ThreadPool, x: &[T]) -> T {
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
fn two_pass_traffic<T: Real, L: Copy + Into<u64> + Sync>(
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
fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .or_else(|e| usage(format!("cannot start {threads} threads: {e}")))
}

fn bench_loss(flags: &Flags, out: &mut dyn Write) -> Result<()> {
    let spec = Spec::parse(flags.required("loss")?).map_err(CliError::Spec)?;
    let shape_flag = flags.required("shape")?;
    let dims: Vec<usize> = parse_list("shape", shape_flag)?;
    if !(3..=5).contains(&dims.len()) || dims.contains(&0) {
        return usage(format!(
            "--shape `{shape_flag}`: expected B,C,S... with 1 to 3 positive spatial sizes"
        ));
    }
    let threads = parse_threads(flags.get("threads"))?;
    let iters = match flags.get("iters") {
        None => 10,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return usage(format!("--iters `{t}` is not a positive integer")),
        },
    };
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

struct Bench<'a> {
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
        let mut rng = Rng(self.seed);
        let mut progress = Progress::new();
        progress.say(&format!(
            "segloss bench: generating {} random {dtype} logits",
            elements
        ));
        let pred: Vec<T> = match self.activation {
            Activation::Identity => (0..elements)
                .map(|_| T::of(0.5 + 0.25 * rng.logit()))
                .collect(),
            _ => (0..elements).map(|_| T::of(rng.logit())).collect(),
        };
        let limit = if classes == 1 { 2 } else { classes as u64 };
        let (labels_u8, labels_u16): (Vec<u8>, Vec<u16>) = if limit <= 256 {
            (
                (0..pixels).map(|_| (rng.next() % limit) as u8).collect(),
                Vec::new(),
            )
        } else {
            (
                Vec::new(),
                (0..pixels).map(|_| (rng.next() % limit) as u16).collect(),
            )
        };
        let label_bytes = if labels_u8.is_empty() { 2 } else { 1 };
        let penalty: Vec<T> = if self.spec.needs_penalty() {
            (0..pixels).map(|_| T::of(rng.logit().abs())).collect()
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
struct Progress {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run_str(args: &[&str]) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn json_numbers_round_trip() {
        for x in [
            0.1,
            1.0,
            -0.0,
            1e-300,
            123_456_789.123_456_79,
            1.0 / 3.0,
            5e-324,
        ] {
            assert_eq!(json_num(x).parse::<f64>().unwrap().to_bits(), x.to_bits());
        }
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn flags_are_checked() {
        let (code, _, err) = run_str(&["eval", "--inptu", "x.npy"]);
        assert_eq!(code, 2);
        assert!(err.contains("unknown flag `--inptu`"), "{err}");
        let (code, _, err) = run_str(&["eval", "--loss", "dice", "--loss=ce"]);
        assert_eq!(code, 2);
        assert!(err.contains("--loss is given twice"), "{err}");
        let (code, _, err) = run_str(&["eval", "--loss"]);
        assert_eq!((code, err.trim()), (2, "segloss: --loss needs a value"));
        let (code, _, err) = run_str(&["frobnicate"]);
        assert_eq!(code, 2);
        assert!(err.contains("unknown command"));
        let (code, _, err) = run_str(&["bench", "gpu"]);
        assert_eq!(code, 2);
        assert!(err.contains("unknown bench target `gpu`"));
        let (code, _, err) = run_str(&["bench", "edt"]);
        assert_eq!(code, 2);
        assert!(err.contains("missing --input"));
        let (code, out, _) = run_str(&["eval", "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("--threads N"));
        let (code, out, _) = run_str(&["losses"]);
        assert_eq!(code, 0);
        assert!(out.contains("dice_ce(") && out.contains("nnunet_dc_and_ce("));
    }

    #[test]
    fn unravel_is_c_order() {
        assert_eq!(unravel(0, &[2, 3, 4]), "(0, 0, 0)");
        assert_eq!(unravel(23, &[2, 3, 4]), "(1, 2, 3)");
        assert_eq!(unravel(5, &[2, 3, 4]), "(0, 1, 1)");
    }

    #[test]
    fn streaming_sum_is_a_sum() {
        let x: Vec<f64> = (0..1000).map(f64::from).collect();
        assert_eq!(stream_sum(&x), 499500.0);
    }
}
