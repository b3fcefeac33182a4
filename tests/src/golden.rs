//! The golden vectors (`tests/golden/*.json`, written by `scripts/golden/*.py` from PyTorch,
//! MONAI, scipy and the reference code): every case checked, in `f64` and `f32`, through
//! the run-time spec the generator wrote next to it (`"spec"`) and, for a leaf, through the
//! typed loss its `"params"` configure. No code per loss: a new loss needs its generator
//! case only.

use crate::close;
use crate::eval::Eval;
use crate::losses::{build_f32, build_f64, typed_leaf_f32, typed_leaf_f64};
use segloss::catalogue::{self, Value};
use segloss::{Activation, Input, Labels, Layout, Real, Shape, Target};
use segloss_std::spec::{BuildContext, Spec};
use serde_json::Value as Json;

/// Class-index labels in the case's integer type.
#[derive(Clone, Debug)]
pub enum OwnedLabels {
    /// `u8` labels.
    U8(Vec<u8>),
    /// `u16` labels.
    U16(Vec<u16>),
    /// `u32` labels.
    U32(Vec<u32>),
    /// `i32` labels.
    I32(Vec<i32>),
    /// `i64` labels.
    I64(Vec<i64>),
}

impl OwnedLabels {
    fn new(dtype: &str, v: &[i64]) -> Self {
        match dtype {
            "u8" => OwnedLabels::U8(v.iter().map(|&x| x as u8).collect()),
            "u16" => OwnedLabels::U16(v.iter().map(|&x| x as u16).collect()),
            "u32" => OwnedLabels::U32(v.iter().map(|&x| x as u32).collect()),
            "i32" => OwnedLabels::I32(v.iter().map(|&x| x as i32).collect()),
            _ => OwnedLabels::I64(v.to_vec()),
        }
    }

    /// The labels as the core reads them.
    pub fn view(&self) -> Labels<'_> {
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
#[derive(Clone, Debug)]
pub struct Case {
    /// Its name.
    pub name: String,
    /// The generator's loss name (a catalogue name or alias).
    pub loss: String,
    /// The segloss spec of the reference's options (`None`: the case needs the Rust API,
    /// precomputed boundary maps).
    pub spec: Option<String>,
    /// The reference's options in the generator's words.
    pub params: serde_json::Map<String, Json>,
    /// The batch shape.
    pub shape: Shape,
    /// The prediction's layout.
    pub layout: Layout,
    /// The activation.
    pub activation: Activation,
    /// The prediction.
    pub pred: Vec<f64>,
    /// Class-index labels and their ignore index.
    pub labels: Option<(OwnedLabels, Option<i64>)>,
    /// A dense target.
    pub dense: Option<Vec<f64>>,
    /// A mask.
    pub mask: Option<Vec<bool>>,
    /// The DPCE penalty map.
    pub penalty: Option<Vec<f64>>,
    /// Precomputed boundary maps.
    pub maps: Option<Vec<f64>>,
    /// The reference value.
    pub value: f64,
    /// The reference gradient.
    pub grad: Vec<f64>,
}

fn floats(v: &Json) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(Json::as_f64).collect()
}

fn ints(v: &Json) -> Option<Vec<i64>> {
    v.as_array()?.iter().map(Json::as_i64).collect()
}

/// Reads the cases of `tests/golden/<file>` (`"cases"`, or `"losses"` in boundary.json).
pub fn load(file: &str) -> Vec<Case> {
    let path = format!("{}/golden/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = doc
        .get("cases")
        .or_else(|| doc.get("losses"))
        .and_then(Json::as_array)
        .unwrap_or_else(|| panic!("{path}: no cases"));
    cases.iter().map(parse).collect()
}

fn parse(c: &Json) -> Case {
    let name = c["name"].as_str().unwrap_or("?").to_string();
    let dims: Vec<usize> = ints(&c["shape"])
        .unwrap_or_default()
        .into_iter()
        .map(|d| d as usize)
        .collect();
    let params = c["params"].as_object().cloned().unwrap_or_default();
    let (labels, dense) = match c.get("target") {
        Some(t) if t["kind"] == "labels" => {
            let v = ints(&t["values"]).unwrap_or_default();
            let owned = OwnedLabels::new(t["dtype"].as_str().unwrap_or("i64"), &v);
            (Some((owned, t["ignore_index"].as_i64())), None)
        }
        Some(t) => (None, floats(&t["values"])),
        // boundary.json: labels at the top, the ignore index among the params
        None => {
            let v = ints(&c["labels"]).unwrap_or_default();
            let ignore = params.get("ignore_index").and_then(Json::as_i64);
            (Some((OwnedLabels::I64(v), ignore)), None)
        }
    };
    Case {
        loss: c["loss"].as_str().unwrap_or("?").to_string(),
        spec: c["spec"].as_str().map(str::to_string),
        shape: Shape::new(dims[0], dims[1], &dims[2..])
            .unwrap_or_else(|e| panic!("{name}: shape {dims:?}: {e}")),
        layout: match c["layout"].as_str() {
            Some("channel_last") => Layout::ChannelLast,
            _ => Layout::ChannelFirst,
        },
        activation: match c["activation"].as_str() {
            Some("softmax") => Activation::Softmax,
            Some("sigmoid") => Activation::Sigmoid,
            _ => Activation::Identity,
        },
        pred: floats(&c["pred"]).unwrap_or_default(),
        labels,
        dense,
        mask: ints(&c["mask"]).map(|m| m.into_iter().map(|x| x != 0).collect()),
        penalty: floats(&c["penalty"]),
        maps: floats(&c["maps"]),
        value: c["value"].as_f64().unwrap_or(f64::NAN),
        grad: floats(&c["grad"]).unwrap_or_default(),
        params,
        name,
    }
}

/// A case's buffers in `T`.
struct Data<T> {
    pred: Vec<T>,
    dense: Option<Vec<T>>,
    penalty: Option<Vec<T>>,
    maps: Option<Vec<T>>,
    lists: Vec<(String, Vec<f64>)>,
}

impl Case {
    fn data<T: Real>(&self) -> Data<T> {
        let convert = |v: &[f64]| v.iter().map(|&x| T::of(x)).collect::<Vec<T>>();
        Data {
            pred: convert(&self.pred),
            dense: self.dense.as_deref().map(convert),
            penalty: self.penalty.as_deref().map(convert),
            maps: self.maps.as_deref().map(convert),
            lists: self
                .params
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), floats(v)?)))
                .collect(),
        }
    }

    fn input<'a, T: Real>(&'a self, data: &'a Data<T>) -> Input<'a, T> {
        let target = match (&self.labels, &data.dense) {
            (Some((l, ignore)), _) => {
                let t = Target::labels(l.view());
                match ignore {
                    Some(i) => t.with_ignore_index(*i),
                    None => t,
                }
            }
            (None, Some(d)) => Target::dense(&d[..]),
            (None, None) => panic!("{}: no target", self.name),
        };
        let input = Input::new(&data.pred, self.shape, target)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
            .with_layout(self.layout)
            .with_activation(self.activation);
        match &self.mask {
            Some(m) => input
                .with_mask(m)
                .unwrap_or_else(|e| panic!("{}: {e}", self.name)),
            None => input,
        }
    }

    /// The typed leaf's parameters: the case's params that are parameters of the leaf
    /// (`null`: unset), and its maps.
    fn typed_params<'a, T>(&self, data: &'a Data<T>) -> Option<Vec<(&'a str, Value<'a, T>)>> {
        let d = catalogue::find(&self.loss).filter(|d| d.is_leaf())?;
        let mut given = Vec::new();
        for (key, v) in &self.params {
            let Some(p) = d.param(key) else { continue };
            let value = match v {
                Json::Bool(b) => Value::Bool(*b),
                Json::Number(n) => Value::Number(n.as_f64()?),
                Json::String(s) => Value::Word(p.name_of_choice(s)?),
                Json::Array(_) => Value::List(&data.lists.iter().find(|(k, _)| k == key)?.1),
                _ => continue,
            };
            given.push((p.name, value));
        }
        if let (Some(m), Some(_)) = (&data.penalty, d.param("penalty")) {
            given.push(("penalty", Value::Map(m)));
        }
        if let (Some(m), Some(_)) = (&data.maps, d.param("maps")) {
            given.push(("maps", Value::Map(m)));
        }
        Some(given)
    }
}

/// Choices as `'static` words of their parameter.
trait ChoiceName {
    fn name_of_choice(&self, word: &str) -> Option<&'static str>;
}

impl ChoiceName for catalogue::Param {
    fn name_of_choice(&self, word: &str) -> Option<&'static str> {
        match self.kind {
            catalogue::Kind::Choice(c) | catalogue::Kind::ListOr(c) => {
                c.iter().copied().find(|c| *c == word)
            }
            _ => None,
        }
    }
}

/// Asserts a result matches the case to `rtol` (gradient elements relative to the largest).
fn compare(case: &Case, value: f64, grad: &[f64], rtol: f64, what: &str) {
    assert!(
        close(value, case.value, rtol, rtol * 1e-3),
        "{} ({what}): value {value} vs golden {}",
        case.name,
        case.value
    );
    let scale = case.grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    assert_eq!(
        grad.len(),
        case.grad.len(),
        "{} ({what}): gradient length",
        case.name
    );
    for (i, (a, b)) in grad.iter().zip(&case.grad).enumerate() {
        assert!(
            close(*a, *b, rtol, rtol * scale),
            "{} ({what}): grad[{i}] {a} vs golden {b}",
            case.name
        );
    }
}

/// Runs `loss` on the case in `T`: the value and the gradient as `f64`.
fn run<T: Real>(case: &Case, data: &Data<T>, loss: &dyn Eval<T>) -> (f64, Vec<f64>) {
    let input = case.input(data);
    let mut grad = vec![T::zero(); data.pred.len()];
    let value = loss
        .value_grad(&input, &mut grad)
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    (value, grad.iter().map(|g| g.wide()).collect())
}

/// How many of a file's cases each path checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Cases run through their spec (the run-time fused loss).
    pub spec: usize,
    /// Cases run through the typed leaf.
    pub typed: usize,
}

macro_rules! check_in {
    ($name:ident, $t:ty, $build:ident, $typed:ident) => {
        fn $name(case: &Case, rtol: f64, checked: &mut Checked) {
            let data = case.data::<$t>();
            let what = stringify!($t);
            if let Some(text) = &case.spec {
                let spec = Spec::parse(text).unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let ctx = BuildContext {
                    penalty: data.penalty.as_deref(),
                    spacing: None,
                };
                let loss = $build(&spec, &ctx).unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let (v, g) = run(case, &data, loss.as_ref());
                compare(case, v, &g, rtol, &format!("{what}, spec `{text}`"));
                checked.spec += 1;
            }
            if let Some(given) = case.typed_params(&data) {
                let d = catalogue::find(&case.loss).map_or("?", |d| d.name);
                let loss = $typed(d, &given)
                    .unwrap_or_else(|| panic!("{}: no typed leaf `{d}`", case.name))
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                let (v, g) = run(case, &data, loss.as_ref());
                compare(case, v, &g, rtol, &format!("{what}, typed `{d}`"));
                checked.typed += 1;
            }
        }
    };
}

check_in!(check_f64, f64, build_f64, typed_leaf_f64);
check_in!(check_f32, f32, build_f32, typed_leaf_f32);

/// Checks every case of `file`: `f64` to `rtol64`, `f32` to `rtol32`, every path the case
/// has; asserts at least `min_cases` cases and that each was checked some way.
pub fn check_file(file: &str, min_cases: usize, rtol64: f64, rtol32: f64) -> Checked {
    let cases = load(file);
    assert!(cases.len() >= min_cases, "{file} has {} cases", cases.len());
    let mut checked = Checked::default();
    for case in &cases {
        let before = checked;
        check_f64(case, rtol64, &mut checked);
        assert_ne!(before, checked, "{}: checked no way", case.name);
        check_f32(case, rtol32, &mut Checked::default());
    }
    checked
}

/// The catalogue names (canonical) the cases of the golden files name, directly or as a
/// member of a compound or preset they name.
pub fn covered_losses(files: &[&str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for file in files {
        for case in load(file) {
            let Some(d) = catalogue::find(&case.loss).or_else(|| catalogue::find_exact(&case.loss))
            else {
                continue;
            };
            out.push(d.name);
            out.extend(d.members.iter().map(|m| m.loss));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
