//! `segloss eval`: a loss's value and gradient on `.npy` files, as one JSON object.

use super::files::{
    check_grad_out, nonzero, read_npy, shape_text, to_real, unravel, write_atomically, Geometry,
    OwnedLabels,
};
use super::flags::{activation_name, parse_activation, parse_spacing, parse_threads, Flags};
use super::json::{json_dims, json_num, json_str};
use super::{input_err, usage, CliError, Result};
use crate::npy::{self, Data};
use crate::simd::{self, Isa};
use crate::spec::{BuildContext, Spec};
use segloss::{Activation, Error, Input, Layout, Loss, Real, Shape, Target};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// `segloss eval --help`: the flags, then every loss name of the catalogue.
pub(super) fn eval_help() -> String {
    let names: Vec<&str> = crate::spec::registry().map(|d| d.name).collect();
    let mut text = format!("{EVAL_HELP}\nLosses (`segloss losses` for their parameters):\n");
    let mut line = String::from(" ");
    for name in names {
        if line.len() + name.len() + 1 > 88 {
            text.push_str(&line);
            text.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(name);
    }
    text.push_str(&line);
    text.push('\n');
    text
}

/// `segloss eval --help`, before the list of losses.
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
  --spacing S0,S1[,S2]  voxel spacing, one positive value per spatial axis: the
                        `spacing` of every boundary-family member (boundary, hausdorff,
                        log_hausdorff, dice_boundary, dice_hausdorff) not given one in SPEC
  --grad-out GRAD.npy   write d loss / d PRED (w.r.t. the logits when an activation is
                        fused) in PRED's dtype, shape and layout; written to a temporary
                        file next to it and renamed on success only
  --threads N           accepted and validated (N >= 1); `eval` runs its passes on one
                        thread (with the processor's SIMD level) and reports
                        \"threads_used\": 1; `bench loss` uses the threads

Prints one JSON object on stdout: {\"loss\": ..., \"members\": [{\"name\", \"weight\",
\"value\"}, ...], ...}, where loss = sum of weight * value.
";

pub(super) const EVAL_FLAGS: &[&str] = &[
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

/// The files of an eval, to name them in errors.
pub(super) struct Files<'a> {
    input: &'a str,
    target: &'a str,
    mask: Option<&'a str>,
    penalty: Option<&'a str>,
}

pub(super) fn eval(flags: &Flags, out: &mut dyn Write) -> Result<()> {
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

pub(super) struct Run<'a> {
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
        simd::accumulate(Isa::detect(), &loss, &input, &mut stats, &mut workspace)
            .map_err(|e| self.data_error(&e))?;
        let done = loss.finalize(&stats, &mut workspace);
        let values = loss.member_values(&done.coef);
        if !done.value.is_finite() || values.iter().any(|v| !v.is_finite()) {
            return input_err("the loss is not finite on these inputs (no output written)");
        }
        if let Some(path) = self.grad_out {
            let mut grad = vec![T::zero(); pred.len()];
            simd::backward_accepted(
                Isa::detect(),
                &loss,
                &input,
                &done.coef,
                &workspace,
                &mut grad,
            )
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
