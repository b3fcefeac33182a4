//! Every distribution loss against PyTorch/MONAI golden vectors (tests/golden/distribution.json,
//! written by scripts/golden/gen_distribution.py): f64 to 1e-9 relative, f32 to 1e-5.

mod common;

use common::{close, Eval};
use segloss::losses::{
    Alpha, ClassWeights, CrossEntropy, Dpce, Focal, Reduction, TopK, TopKThreshold,
    WeightedCrossEntropy,
};
use segloss::{Activation, Input, Labels, Layout, Real, Shape, Target};
use serde_json::Value;

/// Class-index labels in the case's integer type.
enum OwnedLabels {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl OwnedLabels {
    fn new(dtype: &str, v: &[i64]) -> Self {
        match dtype {
            "u8" => OwnedLabels::U8(v.iter().map(|&x| x as u8).collect()),
            "u16" => OwnedLabels::U16(v.iter().map(|&x| x as u16).collect()),
            "u32" => OwnedLabels::U32(v.iter().map(|&x| x as u32).collect()),
            "i32" => OwnedLabels::I32(v.iter().map(|&x| x as i32).collect()),
            "i64" => OwnedLabels::I64(v.to_vec()),
            other => panic!("unknown label dtype {other}"),
        }
    }
    fn view(&self) -> Labels<'_> {
        match self {
            OwnedLabels::U8(x) => x[..].into(),
            OwnedLabels::U16(x) => x[..].into(),
            OwnedLabels::U32(x) => x[..].into(),
            OwnedLabels::I32(x) => x[..].into(),
            OwnedLabels::I64(x) => x[..].into(),
        }
    }
}

struct Case {
    name: String,
    loss: String,
    params: Value,
    shape: Shape,
    layout: Layout,
    activation: Activation,
    pred: Vec<f64>,
    labels: Option<(OwnedLabels, Option<i64>)>,
    dense: Option<Vec<f64>>,
    mask: Option<Vec<bool>>,
    penalty: Option<Vec<f64>>,
    value: f64,
    grad: Vec<f64>,
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn load() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/distribution.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let dims: Vec<usize> = c["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            let t = &c["target"];
            let (labels, dense) = match t["kind"].as_str().unwrap() {
                "labels" => {
                    let v: Vec<i64> = t["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_i64().unwrap())
                        .collect();
                    let owned = OwnedLabels::new(t["dtype"].as_str().unwrap(), &v);
                    (Some((owned, t["ignore_index"].as_i64())), None)
                }
                _ => (None, Some(floats(&t["values"]))),
            };
            Case {
                name: c["name"].as_str().unwrap().to_string(),
                loss: c["loss"].as_str().unwrap().to_string(),
                params: c["params"].clone(),
                shape: Shape::new(dims[0], dims[1], &dims[2..]).unwrap(),
                layout: match c["layout"].as_str().unwrap() {
                    "channel_first" => Layout::ChannelFirst,
                    _ => Layout::ChannelLast,
                },
                activation: match c["activation"].as_str().unwrap() {
                    "softmax" => Activation::Softmax,
                    "sigmoid" => Activation::Sigmoid,
                    _ => Activation::Identity,
                },
                pred: floats(&c["pred"]),
                labels,
                dense,
                mask: c["mask"]
                    .as_array()
                    .map(|m| m.iter().map(|x| x.as_i64().unwrap() != 0).collect()),
                penalty: c["penalty"].as_array().map(|_| floats(&c["penalty"])),
                value: c["value"].as_f64().unwrap(),
                grad: floats(&c["grad"]),
            }
        })
        .collect()
}

/// Evaluates a case in `T` and returns the value and the gradient as f64.
fn run<T: Real>(case: &Case) -> (f64, Vec<f64>) {
    let pred: Vec<T> = case.pred.iter().map(|&x| T::of(x)).collect();
    let dense: Option<Vec<T>> = case
        .dense
        .as_ref()
        .map(|d| d.iter().map(|&x| T::of(x)).collect());
    let penalty: Vec<T> = case
        .penalty
        .as_ref()
        .map_or(Vec::new(), |d| d.iter().map(|&x| T::of(x)).collect());
    let target = match (&case.labels, &dense) {
        (Some((l, ignore)), _) => {
            let t = Target::labels(l.view());
            match ignore {
                Some(i) => t.with_ignore_index(*i),
                None => t,
            }
        }
        (None, Some(d)) => Target::dense(&d[..]),
        _ => unreachable!(),
    };
    let mut input = Input::new(&pred, case.shape, target)
        .unwrap()
        .with_layout(case.layout)
        .with_activation(case.activation);
    if let Some(m) = &case.mask {
        input = input.with_mask(m).unwrap();
    }
    let p = &case.params;
    let reduction = match p["reduction"].as_str().unwrap() {
        "mean" => Reduction::Mean,
        _ => Reduction::Sum,
    };
    let list = |v: &Value| v.as_array().map(|_| floats(v));
    let weight = list(&p["weight"]);
    let alpha_list = list(&p["alpha"]);
    let loss: Box<dyn Eval<T> + '_> = match case.loss.as_str() {
        "ce" => {
            let mut ce = CrossEntropy::new()
                .with_label_smoothing(p["label_smoothing"].as_f64().unwrap())
                .with_reduction(reduction);
            if let Some(w) = &weight {
                ce = ce.with_weight(w);
            }
            Box::new(ce)
        }
        "wce" => Box::new(
            WeightedCrossEntropy::new(match &weight {
                Some(w) => ClassWeights::Given(w),
                None => ClassWeights::InverseFrequency,
            })
            .with_reduction(reduction),
        ),
        "topk" => Box::new(TopK::new(p["k"].as_f64().unwrap()).with_reduction(reduction)),
        "topk_threshold" => {
            Box::new(TopKThreshold::new(p["t"].as_f64().unwrap()).with_reduction(reduction))
        }
        "focal" => {
            let alpha = match (&p["alpha"], &alpha_list) {
                (_, Some(a)) => Alpha::PerClass(a),
                (Value::Null, None) => Alpha::None,
                (a, None) => Alpha::Scalar(a.as_f64().unwrap()),
            };
            Box::new(
                Focal::new(p["gamma"].as_f64().unwrap())
                    .with_alpha(alpha)
                    .with_reduction(reduction),
            )
        }
        "dpce" => Box::new(Dpce::new(&penalty[..]).with_reduction(reduction)),
        other => panic!("unknown loss {other}"),
    };
    let mut grad = vec![T::zero(); pred.len()];
    let value = loss.value_grad(&input, &mut grad).unwrap();
    (value, grad.iter().map(|g| g.wide()).collect())
}

fn compare(case: &Case, got: (f64, Vec<f64>), rtol: f64, what: &str) {
    let (value, grad) = got;
    assert!(
        close(value, case.value, rtol, rtol * 1e-3),
        "{} ({what}): value {value} vs golden {}",
        case.name,
        case.value
    );
    let scale = case.grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    for (i, (a, b)) in grad.iter().zip(&case.grad).enumerate() {
        assert!(
            close(*a, *b, rtol, rtol * scale),
            "{} ({what}): grad[{i}] {a} vs golden {b}",
            case.name
        );
    }
}

#[test]
fn distribution_losses_match_pytorch_and_monai() {
    let cases = load();
    assert!(cases.len() >= 80, "golden file has {} cases", cases.len());
    for case in &cases {
        compare(case, run::<f64>(case), 1e-9, "f64");
        compare(case, run::<f32>(case), 1e-5, "f32");
    }
}
