//! `segloss distmap` and `segloss bench edt`: the core's exact distance transforms on `.npy`
//! files.

use super::bench::{median, thread_pool};
use super::files::{check_out_path, nonzero, read_npy, shape_text, write_atomically, OwnedLabels};
use super::flags::{parse_iters, parse_spacing, parse_threads, Flags};
use super::json::{json_dims, json_num, json_str};
use super::{input_err, usage, CliError, Result};
use crate::npy::Data;
use segloss::edt::{Edt, SignedMaps};
use segloss::{Real, Shape};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// The flags of `segloss distmap`.
pub(super) const DISTMAP_FLAGS: &[&str] = &["target", "out", "kind", "spacing", "classes", "dtype"];

/// The flags of `segloss bench edt`.
pub(super) const BENCH_EDT_FLAGS: &[&str] = &["input", "spacing", "threads", "iters"];

/// `segloss distmap --help`.
pub(super) const DISTMAP_HELP: &str = "\
segloss distmap: distance maps of a target, as the distance-based losses compute them

Usage: segloss distmap --target TARGET.npy --out OUT.npy [options]

  --kind K            edt (default): for a mask of 1 to 3 axes, each nonzero voxel's
                      Euclidean distance to the nearest zero voxel (scipy's
                      distance_transform_edt; a mask with no zero voxel follows scipy);
                      signed: labels (B, spatial...) -> (B, C, spatial...) per-class signed
                      maps of the boundary loss (Kervadec et al.'s one_hot2dist)
  --spacing S0,S1[,S2]  voxel spacing per spatial axis (default 1)
  --classes C         signed only: the class count (default: the largest label + 1)
  --dtype D           f64 (default) | f32: the output's dtype

Writes OUT only on success (a temporary file renamed).
";

/// The `--spacing` of `axes` axes (1 each by default).
fn spacing_for(flags: &Flags, axes: usize) -> Result<Vec<f64>> {
    match flags.get("spacing") {
        None => Ok(vec![1.0; axes]),
        Some(t) => {
            let s = parse_spacing(t)?;
            if s.len() != axes {
                return usage(format!(
                    "--spacing has {} values; the grid has {axes} axes",
                    s.len()
                ));
            }
            Ok(s)
        }
    }
}

/// The checked `--out` path.
fn out_path(flags: &Flags) -> Result<PathBuf> {
    let Some(path) = flags.get("out") else {
        return usage("missing --out OUT.npy (see `segloss help distmap`)");
    };
    check_out_path(path, "--out")
}

/// `segloss distmap`.
pub(super) fn distmap(flags: &Flags, out: &mut dyn Write) -> Result<()> {
    let Some(path) = flags.get("target") else {
        return usage("missing --target TARGET.npy (see `segloss help distmap`)");
    };
    let out_file = out_path(flags)?;
    let target = read_npy(path, "TARGET")?;
    let f64_out = match flags.get("dtype") {
        None | Some("f64" | "float64") => true,
        Some("f32" | "float32") => false,
        Some(other) => return usage(format!("--dtype `{other}` is not one of f32, f64")),
    };
    let dims = target.shape.clone();
    match flags.get("kind") {
        None | Some("edt") => {
            if !(1..=3).contains(&dims.len()) {
                return input_err(format!(
                    "TARGET {path}: shape {} has {} axes; edt takes 1 to 3",
                    shape_text(&dims),
                    dims.len()
                ));
            }
            let spacing = spacing_for(flags, dims.len())?;
            let mask = nonzero(target.data);
            let edt = Edt::new(&dims, &spacing)
                .map_err(|e| CliError::Input(format!("TARGET {path}: {e}")))?;
            if f64_out {
                write_map::<f64>(
                    &out_file,
                    &dims,
                    |o, w| edt.run(&mask, o, w),
                    edt.workspace_len(),
                )?;
            } else {
                write_map::<f32>(
                    &out_file,
                    &dims,
                    |o, w| edt.run(&mask, o, w),
                    edt.workspace_len(),
                )?;
            }
        }
        Some("signed") => {
            if !(2..=4).contains(&dims.len()) {
                return input_err(format!(
                    "TARGET {path}: shape {} is not (B, spatial...) with 1 to 3 spatial axes",
                    shape_text(&dims)
                ));
            }
            let spacing = spacing_for(flags, dims.len() - 1)?;
            if matches!(target.data, Data::F32(_) | Data::F64(_)) {
                return input_err(format!("TARGET {path}: signed maps take integer labels"));
            }
            let labels = OwnedLabels::from_data(target.data, path, &dims)?;
            let classes = match flags.get("classes") {
                Some(t) => t.parse::<usize>().map_err(|_| {
                    CliError::Usage(format!("--classes `{t}` is not a class count"))
                })?,
                None => labels.max_label().map_or(1, |m| (m.max(0) as usize) + 1),
            };
            let shape = Shape::new(dims[0], classes, &dims[1..])
                .map_err(|e| CliError::Input(format!("TARGET {path}: {e}")))?;
            let maps = SignedMaps::new(shape, &spacing)
                .map_err(|e| CliError::Input(format!("TARGET {path}: {e}")))?;
            let mut out_dims = vec![dims[0], classes];
            out_dims.extend_from_slice(&dims[1..]);
            let run = |o: &mut [f64], w: &mut [f64]| labels.signed(&maps, o, w);
            if f64_out {
                write_map::<f64>(&out_file, &out_dims, run, maps.workspace_len())?;
            } else {
                let run = |o: &mut [f32], w: &mut [f32]| labels.signed(&maps, o, w);
                write_map::<f32>(&out_file, &out_dims, run, maps.workspace_len())?;
            }
        }
        Some(other) => return usage(format!("--kind `{other}` is not one of edt, signed")),
    }
    writeln!(
        out,
        "{{\"out\": {}, \"shape\": {}}}",
        json_str(&out_file.to_string_lossy()),
        json_dims(&dims)
    )
    .map_err(|e| CliError::Input(format!("cannot write to stdout: {e}")))
}

/// Runs `fill` into a fresh map of `dims` and writes it atomically.
fn write_map<T: Real + crate::npy::Element>(
    path: &std::path::Path,
    dims: &[usize],
    fill: impl FnOnce(&mut [T], &mut [T]) -> std::result::Result<(), segloss::Error>,
    workspace: usize,
) -> Result<()> {
    let mut map = vec![T::zero(); dims.iter().product()];
    let mut ws = vec![T::zero(); workspace];
    fill(&mut map, &mut ws).map_err(|e| CliError::Input(format!("TARGET: {e}")))?;
    write_atomically(path, dims, &map)
}

/// `segloss bench edt`.
pub(super) fn bench_edt(flags: &Flags, out: &mut dyn Write) -> Result<()> {
    let Some(path) = flags.get("input") else {
        return usage("missing --input MASK.npy (see `segloss help bench`)");
    };
    let threads = parse_threads(flags.get("threads"))?;
    let iters = parse_iters(flags.get("iters"))?;
    let mask_file = read_npy(path, "MASK")?;
    let dims = mask_file.shape.clone();
    if !(1..=3).contains(&dims.len()) {
        return input_err(format!(
            "MASK {path}: shape {} has {} axes; 1 to 3",
            shape_text(&dims),
            dims.len()
        ));
    }
    let spacing = spacing_for(flags, dims.len())?;
    let mask = nonzero(mask_file.data);
    let edt =
        Edt::new(&dims, &spacing).map_err(|e| CliError::Input(format!("MASK {path}: {e}")))?;
    let mut map = vec![0.0f32; mask.len()];
    let mut ws = vec![0.0f32; edt.workspace_len()];
    let pool = thread_pool(threads)?;
    let mut times = Vec::with_capacity(iters);
    for i in 0..=iters {
        let t = Instant::now();
        // One thread: the core's transform; more: its rows and lines split across the pool.
        if threads == 1 {
            edt.run(&mask, &mut map, &mut ws)
        } else {
            pool.install(|| crate::edt::run(&edt, &mask, &mut map))
        }
        .map_err(|e| CliError::Input(format!("MASK {path}: {e}")))?;
        if i > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    let median_s = median(&mut times);
    writeln!(
        out,
        "{{\"shape\": {}, \"spacing\": [{}], \"dtype\": \"float32\", \"iters\": {iters}, \
         \"threads_requested\": {threads}, \"threads_used\": {threads}, \"median_s\": {}, \"voxels_per_s\": {}}}",
        json_dims(&dims),
        spacing.iter().map(|s| json_num(*s)).collect::<Vec<_>>().join(", "),
        json_num(median_s),
        json_num(mask.len() as f64 / median_s)
    )
    .map_err(|e| CliError::Input(format!("cannot write to stdout: {e}")))
}
