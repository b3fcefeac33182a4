//! The EDT, the signed maps, the DPCE penalty maps and the boundary-based losses against the
//! golden vectors of scripts/golden/gen_boundary.py (scipy, the authors' `one_hot2dist` and
//! `SurfaceLoss`, MONAI's `HausdorffDTLoss`, the paper's code): f64 to 1e-9, f32 to 1e-6
//! (distances) or 1e-5 (losses), relative.

use segloss::edt::{Edt, SignedMaps};
use segloss::losses::{Boundary, DpcePenalty, Hausdorff, Schedule};
use segloss::{engine, Activation, Input, Loss, Real, Shape, Target};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    ints(v).into_iter().map(|x| x as usize).collect()
}

/// `|got − want| ≤ rel · max(1, |want|)` elementwise.
fn assert_close<T: Real>(got: &[T], want: &[f64], rel: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let g = g.wide();
        assert!(
            (g - w).abs() <= rel * w.abs().max(1.0),
            "{what}: element {i}: {g} vs {w}"
        );
    }
}

fn edt_cases<T: Real>(rel: f64) -> usize {
    let data = load("edt.json");
    let cases = data["edt"].as_array().unwrap();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let dims = usizes(&c["dims"]);
        let edt = Edt::new(&dims, &floats(&c["spacing"])).unwrap();
        let mask: Vec<bool> = ints(&c["mask"]).iter().map(|&m| m != 0).collect();
        let mut out = vec![T::zero(); mask.len()];
        let mut ws = vec![T::zero(); edt.workspace_len()];
        edt.run(&mask, &mut out, &mut ws).unwrap();
        assert_close(&out, &floats(&c["dist"]), rel, name);
    }
    cases.len()
}

#[test]
fn edt_matches_scipy() {
    assert!(edt_cases::<f64>(1e-12) >= 13);
    edt_cases::<f32>(1e-6);
}

fn signed_cases<T: Real>(rel: f64) {
    let data = load("edt.json");
    for c in data["signed"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let shape = usizes(&c["shape"]);
        let shape = Shape::new(shape[0], shape[1], &shape[2..]).unwrap();
        let maps = SignedMaps::new(shape, &floats(&c["spacing"])).unwrap();
        let labels = ints(&c["labels"]);
        let mut out = vec![T::zero(); shape.elements()];
        let mut ws = vec![T::zero(); maps.workspace_len()];
        maps.run(&labels[..], &mut out, &mut ws).unwrap();
        assert_close(&out, &floats(&c["maps"]), rel, name);
    }
}

#[test]
fn signed_maps_match_one_hot2dist() {
    signed_cases::<f64>(1e-12);
    signed_cases::<f32>(1e-6);
}

fn penalty_cases<T: Real>(rel: f64) {
    let data = load("edt.json");
    for c in data["penalty"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let spatial = usizes(&c["spatial"]);
        let labels = ints(&c["labels"]);
        let n: usize = spatial.iter().product();
        let map = DpcePenalty::new(labels.len() / n, &spatial, &floats(&c["spacing"])).unwrap();
        let mut out = vec![T::zero(); labels.len()];
        let mut ws = vec![T::zero(); map.workspace_len()];
        map.run(&labels[..], &mut out, &mut ws).unwrap();
        assert_close(&out, &floats(&c["penalty"]), rel, name);
    }
}

#[test]
fn dpce_penalty_matches_the_papers_code() {
    penalty_cases::<f64>(1e-12);
    penalty_cases::<f32>(1e-5);
}

/// Runs one loss case in `T`; returns (value, gradient).
fn run_loss<T: Real>(c: &Value) -> (f64, Vec<T>) {
    let shape = usizes(&c["shape"]);
    let shape = Shape::new(shape[0], shape[1], &shape[2..]).unwrap();
    let p = &c["params"];
    let pred: Vec<T> = floats(&c["pred"]).into_iter().map(T::of).collect();
    let labels = ints(&c["labels"]);
    let mut target = Target::labels(&labels[..]);
    if let Some(ii) = p["ignore_index"].as_i64() {
        target = target.with_ignore_index(ii);
    }
    let act = match c["activation"].as_str().unwrap() {
        "softmax" => Activation::Softmax,
        "sigmoid" => Activation::Sigmoid,
        _ => Activation::Identity,
    };
    let input = Input::new(&pred, shape, target)
        .unwrap()
        .with_activation(act);
    let spacing = floats(&p["spacing"]);
    let include_bg = p["include_background"].as_bool().unwrap();
    let mut grad = vec![T::zero(); shape.elements()];
    let value = match c["loss"].as_str().unwrap() {
        "boundary" => {
            let maps: Vec<T> = match &c["maps"] {
                Value::Null => Vec::new(),
                m => floats(m).into_iter().map(T::of).collect(),
            };
            let loss = if maps.is_empty() {
                Boundary::new().with_spacing(&spacing)
            } else {
                Boundary::with_maps(&maps)
            }
            .with_include_background(include_bg);
            let mut ws = vec![T::zero(); loss.workspace_len(&input.shape())];
            engine::forward_backward(&loss, &input, &mut ws, &mut grad).unwrap()
        }
        _ => {
            let loss = Hausdorff::new()
                .with_spacing(&spacing)
                .with_include_background(include_bg)
                .with_alpha(p["alpha"].as_f64().unwrap())
                .with_log(p["log"].as_bool().unwrap());
            let mut ws = vec![T::zero(); Loss::<T>::workspace_len(&loss, &input.shape())];
            engine::forward_backward(&loss, &input, &mut ws, &mut grad).unwrap()
        }
    };
    (value, grad)
}

fn loss_cases<T: Real>(rel: f64) -> usize {
    let data = load("boundary.json");
    let cases = data["losses"].as_array().unwrap();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (value, grad) = run_loss::<T>(c);
        let want = c["value"].as_f64().unwrap();
        assert!(
            (value - want).abs() <= rel * want.abs().max(1e-3),
            "{name}: value {value} vs {want}"
        );
        let want_grad = floats(&c["grad"]);
        let scale = want_grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        for (i, (g, w)) in grad.iter().zip(&want_grad).enumerate() {
            let g = g.wide();
            assert!(
                (g - w).abs() <= rel * scale,
                "{name}: gradient element {i}: {g} vs {w} (scale {scale})"
            );
        }
    }
    cases.len()
}

#[test]
fn boundary_and_hausdorff_match_the_references() {
    assert!(loss_cases::<f64>(1e-9) >= 21);
    loss_cases::<f32>(1e-5);
}

#[test]
fn schedules_replay_the_reference_loops() {
    let data = load("boundary.json");
    for (key, schedule) in [
        ("boundary", Schedule::boundary()),
        ("hausdorff", Schedule::hausdorff()),
        ("kervadec", Schedule::kervadec()),
    ] {
        for row in data["schedule"][key].as_array().unwrap() {
            let r = floats(row);
            let w = schedule.at(r[0] as u64);
            // the same floats as the Python loops
            assert_eq!((w.region, w.boundary), (r[1], r[2]), "{key} epoch {}", r[0]);
        }
    }
}
