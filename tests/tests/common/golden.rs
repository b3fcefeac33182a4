//! Loading golden cases (tests/golden/*.json, written by scripts/golden/*.py) and comparing
//! a loss's value and gradient with them, in f64 and in f32.

use super::{close, Eval};
use segloss::{Activation, Input, Labels, Layout, Real, Shape, Target};
use serde_json::Value;
use std::collections::HashMap;

/// Class-index labels in the case's integer type.
pub enum OwnedLabels {
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

/// One golden case.
pub struct Case {
    pub name: String,
    pub loss: String,
    pub params: Value,
    /// The params that are lists of numbers, parsed.
    pub lists: HashMap<String, Vec<f64>>,
    pub shape: Shape,
    pub layout: Layout,
    pub activation: Activation,
    pub pred: Vec<f64>,
    pub labels: Option<(OwnedLabels, Option<i64>)>,
    pub dense: Option<Vec<f64>>,
    pub mask: Option<Vec<bool>>,
    pub penalty: Option<Vec<f64>>,
    pub value: f64,
    pub grad: Vec<f64>,
}

impl Case {
    /// A number parameter.
    pub fn num(&self, key: &str) -> f64 {
        self.params[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{}: no number `{key}`", self.name))
    }

    /// A boolean parameter.
    pub fn flag(&self, key: &str) -> bool {
        self.params[key]
            .as_bool()
            .unwrap_or_else(|| panic!("{}: no bool `{key}`", self.name))
    }

    /// A string parameter.
    pub fn text(&self, key: &str) -> &str {
        self.params[key]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no string `{key}`", self.name))
    }

    /// A list parameter, if present and not null.
    pub fn list(&self, key: &str) -> Option<&[f64]> {
        self.lists.get(key).map(|v| &v[..])
    }
}

/// Case inputs converted to `T`.
pub struct CaseData<T> {
    pub pred: Vec<T>,
    pub dense: Option<Vec<T>>,
    pub penalty: Vec<T>,
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Reads `tests/golden/<file>`.
pub fn load(file: &str) -> Vec<Case> {
    let path = format!("{}/golden/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    cases.iter().map(parse).collect()
}

fn parse(c: &Value) -> Case {
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
    let lists = c["params"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.is_array())
        .map(|(k, v)| (k.clone(), floats(v)))
        .collect();
    Case {
        name: c["name"].as_str().unwrap().to_string(),
        loss: c["loss"].as_str().unwrap().to_string(),
        params: c["params"].clone(),
        lists,
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
}

/// A loss for a case, borrowing the case and its converted inputs.
pub type Maker<T> = for<'a> fn(&'a Case, &'a CaseData<T>) -> Box<dyn Eval<T> + 'a>;

/// Evaluates a case in `T` and returns the value and the gradient as f64.
pub fn run<T: Real>(case: &Case, make: Maker<T>) -> (f64, Vec<f64>) {
    let convert = |v: &[f64]| v.iter().map(|&x| T::of(x)).collect::<Vec<T>>();
    let data = CaseData {
        pred: convert(&case.pred),
        dense: case.dense.as_deref().map(convert),
        penalty: case.penalty.as_deref().map(convert).unwrap_or_default(),
    };
    let target = match (&case.labels, &data.dense) {
        (Some((l, ignore)), _) => {
            let t = Target::labels(l.view());
            match ignore {
                Some(i) => t.with_ignore_index(*i),
                None => t,
            }
        }
        (None, Some(d)) => Target::dense(&d[..]),
        _ => unreachable!("a case has a target"),
    };
    let mut input = Input::new(&data.pred, case.shape, target)
        .unwrap()
        .with_layout(case.layout)
        .with_activation(case.activation);
    if let Some(m) = &case.mask {
        input = input.with_mask(m).unwrap();
    }
    let loss = make(case, &data);
    let mut grad = vec![T::zero(); data.pred.len()];
    let value = loss.value_grad(&input, &mut grad).unwrap();
    (value, grad.iter().map(|g| g.wide()).collect())
}

/// Asserts a result matches the case to `rtol` (gradient elements relative to the largest).
pub fn compare(case: &Case, got: (f64, Vec<f64>), rtol: f64, what: &str) {
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

/// Checks every case of a golden file in f64 (to 1e-9) and f32 (to 1e-5).
pub fn check_file(file: &str, min_cases: usize, f64_loss: Maker<f64>, f32_loss: Maker<f32>) {
    let cases = load(file);
    assert!(cases.len() >= min_cases, "{file} has {} cases", cases.len());
    for case in &cases {
        compare(case, run(case, f64_loss), 1e-9, "f64");
        compare(case, run(case, f32_loss), 1e-5, "f32");
    }
}
