//! Every loss of the catalogue against the golden vectors of `scripts/golden/*.py`
//! (PyTorch, MONAI, scipy, the authors' `one_hot2dist` and `SurfaceLoss`, MONAI's
//! `HausdorffDTLoss`, nnU-Net's, segmentation_models_pytorch's and the paper's code): each
//! case through the spec its generator wrote and, for a leaf, through the typed loss its
//! parameters configure (`segloss_tests::golden`, no code per loss); `f64` to 1e-9 and `f32`
//! to 1e-5, relative. Then the EDT, the signed maps, the DPCE penalty maps and the weight
//! schedules: `f64` to 1e-12, `f32` to 1e-6 (distances).

use segloss::edt::{Edt, SignedMaps};
use segloss::losses::{DpcePenalty, Schedule};
use segloss::presets::{nnunet, paper, smp, SmpDice, SoftDice};
use segloss::{Real, Shape};
use segloss_tests::golden::check_file;
use serde_json::Value;

#[test]
fn distribution_losses_match_pytorch_and_monai() {
    let checked = check_file("distribution.json", 80, 1e-9, 1e-5);
    assert!(checked.spec >= 80 && checked.typed >= 80, "{checked:?}");
}

#[test]
fn region_losses_compounds_and_presets_match_monai_and_the_reference_code() {
    let checked = check_file("region.json", 100, 1e-9, 1e-5);
    assert!(checked.spec >= 100 && checked.typed >= 60, "{checked:?}");
}

#[test]
fn boundary_losses_match_scipy_the_authors_and_monai() {
    let checked = check_file("boundary.json", 21, 1e-9, 1e-5);
    assert!(checked.spec >= 20 && checked.typed >= 21, "{checked:?}");
}

#[test]
fn presets_are_the_documented_configurations() {
    assert_eq!(
        nnunet::soft_dice(true, false),
        SoftDice::new()
            .with_batch(true)
            .with_include_background(false)
    );
    assert_eq!(smp::dice(), SmpDice::new().with_batch(true));
    assert_eq!(paper::soft_dice().smooth(), 1.0);
}

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
