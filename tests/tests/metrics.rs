//! `segloss::metrics` against MONAI's golden values (scripts/golden/gen_metrics.py: Dice, IoU,
//! HD, HD95 and NSD, empty cases included) and against brute force (boundaries by face
//! neighbours, all pairwise distances) on random 1D, 2D and 3D maps with random spacings.

use segloss_tests::SplitMix64 as Rng;

use segloss::metrics::{ClassCounts, LabelMaps};
use segloss::{Buffer, Error, Shape};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A golden number: null is NaN, "inf" is +∞.
fn golden(v: &Value) -> f64 {
    match v {
        Value::Null => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        v => v.as_f64().unwrap(),
    }
}

fn golden_list(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(golden).collect()
}

/// Equal NaN-ness and infinities, else within `rel` relative.
fn same(got: f64, want: f64, rel: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    (got - want).abs() <= rel * want.abs().max(1.0)
}

#[test]
fn monai_golden_values() {
    let doc = load("metrics.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 9);
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let dims: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        let shape = Shape::new(dims[0], dims[1], &dims[2..]).unwrap();
        let spacing: Vec<f64> = case["spacing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let labels = |key: &str| -> Vec<u8> {
            case[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as u8)
                .collect()
        };
        let (pred, truth) = (labels("pred"), labels("truth"));
        let maps = LabelMaps::new(&pred[..], &truth[..], shape, &spacing).unwrap();
        let mut ws = vec![0.0; maps.workspace_len()];
        let (batch, classes) = (shape.batch(), shape.classes());
        let want = |key: &str| golden_list(&case[key]);
        let (dice, dice_keep) = (want("dice"), want("dice_keep_empty"));
        let (iou, iou_keep) = (want("iou"), want("iou_keep_empty"));
        let (hd, hd95) = (want("hd"), want("hd95"));
        for b in 0..batch {
            let overlap = maps.overlap(b).unwrap();
            for c in 0..classes {
                let k = b * classes + c;
                let counts = overlap.class(c);
                let surface = maps.surface(b, c, &mut ws).unwrap();
                let got = [
                    ("dice", counts.dice(true), dice[k]),
                    ("dice_keep_empty", counts.dice(false), dice_keep[k]),
                    ("iou", counts.iou(true), iou[k]),
                    ("iou_keep_empty", counts.iou(false), iou_keep[k]),
                    ("hd", surface.hausdorff(None).unwrap(), hd[k]),
                    ("hd95", surface.hd95(), hd95[k]),
                ];
                for (what, g, w) in got {
                    assert!(
                        same(g, w, 1e-5),
                        "{name} b={b} c={c} {what}: {g} vs MONAI {w}"
                    );
                    checked += 1;
                }
                for nsd in case["nsd"].as_array().unwrap() {
                    let tau = nsd["tau"].as_f64().unwrap();
                    let w = golden(&nsd["values"][k]);
                    let g = surface.nsd(tau).unwrap();
                    assert!(
                        same(g, w, 1e-5),
                        "{name} b={b} c={c} nsd({tau}): {g} vs {w}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "{checked} values checked");
}

fn coords(i: usize, dims: &[usize]) -> Vec<usize> {
    let mut out = vec![0; dims.len()];
    let mut r = i;
    for (o, &n) in out.iter_mut().zip(dims).rev() {
        *o = r % n;
        r /= n;
    }
    out
}

/// Boundary voxels of `mask` by definition: inside, with a face neighbour outside the mask or
/// the image.
fn brute_edges(mask: &[bool], dims: &[usize]) -> Vec<Vec<usize>> {
    let strides: Vec<usize> = (0..dims.len())
        .map(|a| dims[a + 1..].iter().product())
        .collect();
    let mut out = Vec::new();
    for (i, &m) in mask.iter().enumerate() {
        if !m {
            continue;
        }
        let p = coords(i, dims);
        let edge = (0..dims.len()).any(|a| {
            p[a] == 0 || p[a] + 1 == dims[a] || !mask[i - strides[a]] || !mask[i + strides[a]]
        });
        if edge {
            out.push(p);
        }
    }
    out
}

fn brute_directed(a: &[Vec<usize>], b: &[Vec<usize>], spacing: &[f64]) -> Vec<f64> {
    let mut d: Vec<f64> = a
        .iter()
        .map(|p| {
            b.iter()
                .map(|q| {
                    p.iter()
                        .zip(q)
                        .zip(spacing)
                        .map(|((&x, &y), s)| ((x as f64 - y as f64) * s).powi(2))
                        .sum::<f64>()
                        .sqrt()
                })
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    d.sort_by(f64::total_cmp);
    d
}

/// numpy's linear quantile.
fn brute_quantile(d: &[f64], q: f64) -> f64 {
    let rank = q * (d.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(d.len() - 1);
    d[lo] + (rank - lo as f64) * (d[hi] - d[lo])
}

/// Random maps with a few boxes per class, 1 to 3 spatial axes and random spacing.
fn random_case(rng: &mut Rng) -> (Vec<usize>, Vec<f64>, usize, Vec<u8>, Vec<u8>) {
    let rank = 1 + rng.below(3);
    let dims: Vec<usize> = (0..rank)
        .map(|_| 1 + rng.below(if rank == 3 { 7 } else { 14 }))
        .collect();
    let spacing: Vec<f64> = (0..rank).map(|_| 0.25 + 2.0 * rng.uniform()).collect();
    let classes = 2 + rng.below(3);
    let n: usize = dims.iter().product();
    let mut maps = [vec![0u8; n], vec![0u8; n]];
    for map in maps.iter_mut() {
        for _ in 0..rng.below(5) {
            let c = 1 + rng.below(classes - 1);
            let lo: Vec<usize> = dims.iter().map(|&d| rng.below(d)).collect();
            let hi: Vec<usize> = lo
                .iter()
                .zip(&dims)
                .map(|(&l, &d)| (l + 1 + rng.below(4)).min(d))
                .collect();
            for (i, v) in map.iter_mut().enumerate() {
                let p = coords(i, &dims);
                if p.iter()
                    .zip(&lo)
                    .zip(&hi)
                    .all(|((&x, &l), &h)| x >= l && x < h)
                {
                    *v = c as u8;
                }
            }
        }
        for _ in 0..rng.below(4) {
            let i = rng.below(n);
            map[i] = rng.below(classes) as u8;
        }
    }
    let [pred, truth] = maps;
    (dims, spacing, classes, pred, truth)
}

#[test]
fn surfaces_match_brute_force() {
    let mut rng = Rng::new(8);
    let mut both_present = 0;
    for round in 0..400 {
        let (dims, spacing, classes, pred, truth) = random_case(&mut rng);
        let shape = Shape::new(1, classes, &dims).unwrap();
        let maps = LabelMaps::new(&pred[..], &truth[..], shape, &spacing).unwrap();
        let mut ws = vec![0.0; maps.workspace_len()];
        let overlap = maps.overlap(0).unwrap();
        for c in 0..classes {
            let p: Vec<bool> = pred.iter().map(|&l| l as usize == c).collect();
            let t: Vec<bool> = truth.iter().map(|&l| l as usize == c).collect();
            let tp = p.iter().zip(&t).filter(|(a, b)| **a && **b).count() as u64;
            let counts = ClassCounts {
                tp,
                pred: p.iter().filter(|x| **x).count() as u64,
                truth: t.iter().filter(|x| **x).count() as u64,
            };
            assert_eq!(overlap.class(c), counts, "round {round} class {c}");
            let s = maps.surface(0, c, &mut ws).unwrap();
            let (ep, et) = (brute_edges(&p, &dims), brute_edges(&t, &dims));
            assert_eq!(
                (s.pred_empty(), s.truth_empty()),
                (ep.is_empty(), et.is_empty())
            );
            if ep.is_empty() || et.is_empty() {
                assert!(s.pred_to_truth().is_empty() && s.truth_to_pred().is_empty());
                continue;
            }
            both_present += 1;
            let dpt = brute_directed(&ep, &et, &spacing);
            let dtp = brute_directed(&et, &ep, &spacing);
            let ctx = format!("round {round} dims {dims:?} spacing {spacing:?} class {c}");
            assert_eq!(s.pred_to_truth().len(), dpt.len(), "{ctx}");
            assert_eq!(s.truth_to_pred().len(), dtp.len(), "{ctx}");
            for (g, w) in s.pred_to_truth().iter().zip(&dpt) {
                assert!((g - w).abs() <= 1e-12 * w.max(1.0), "{ctx}: {g} vs {w}");
            }
            for (g, w) in s.truth_to_pred().iter().zip(&dtp) {
                assert!((g - w).abs() <= 1e-12 * w.max(1.0), "{ctx}: {g} vs {w}");
            }
            let hd = dpt.last().unwrap().max(*dtp.last().unwrap());
            assert!(same(s.hausdorff(None).unwrap(), hd, 1e-12), "{ctx}");
            for p in [95.0, 50.0, 100.0, 12.5] {
                let want = brute_quantile(&dpt, p / 100.0).max(brute_quantile(&dtp, p / 100.0));
                assert!(
                    same(s.hausdorff(Some(p)).unwrap(), want, 1e-12),
                    "{ctx} p={p}"
                );
            }
            for tau in [0.0, 0.5, 1.0, 1.7, 3.0] {
                let good = dpt.iter().chain(&dtp).filter(|&&d| d <= tau).count();
                let want = good as f64 / (dpt.len() + dtp.len()) as f64;
                assert_eq!(s.nsd(tau).unwrap(), want, "{ctx} tau={tau}");
            }
        }
    }
    assert!(
        both_present > 200,
        "{both_present} classes present in both maps"
    );
}

#[test]
fn empty_conventions() {
    // one 1×5 sample of 3 classes: class 1 only in the truth, class 2 in neither
    let truth = [0u8, 1, 1, 0, 0];
    let pred = [0u8, 0, 0, 0, 0];
    let maps = LabelMaps::new(&pred, &truth, Shape::new(1, 3, &[1, 5]).unwrap(), &[]).unwrap();
    let mut ws = vec![0.0; maps.workspace_len()];
    let overlap = maps.overlap(0).unwrap();
    assert_eq!(overlap.classes().len(), 3);
    let one = maps.surface(0, 1, &mut ws).unwrap();
    assert!(one.pred_empty() && !one.truth_empty());
    assert_eq!(one.hausdorff(None).unwrap(), f64::INFINITY);
    assert!(one.hd95().is_nan()); // MONAI's torch.quantile of infinities
    assert_eq!(one.nsd(1.0).unwrap(), 0.0);
    assert_eq!(overlap.class(1).dice(true), 0.0);
    let none = maps.surface(0, 2, &mut ws).unwrap();
    assert!(none.hausdorff(None).unwrap().is_nan() && none.nsd(1.0).unwrap().is_nan());
    assert!(overlap.class(2).dice(true).is_nan() && overlap.class(2).iou(true).is_nan());
    assert_eq!(overlap.class(2).dice(false), 1.0);
    assert_eq!(overlap.class(2).iou(false), 1.0);
    // a class only predicted: Dice 0 without ignore_empty
    let maps = LabelMaps::new(&truth, &pred, Shape::new(1, 3, &[1, 5]).unwrap(), &[]).unwrap();
    assert_eq!(maps.overlap(0).unwrap().class(1).dice(false), 0.0);
    assert!(maps.overlap(0).unwrap().class(1).dice(true).is_nan());
}

#[test]
fn percentile_zero_is_the_maximum_as_in_monai() {
    let truth = [1u8, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    let pred = [0u8, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    let maps = LabelMaps::new(&pred, &truth, Shape::new(1, 2, &[10]).unwrap(), &[]).unwrap();
    let mut ws = vec![0.0; maps.workspace_len()];
    let s = maps.surface(0, 1, &mut ws).unwrap();
    // edges: truth {0, 3}, prediction {8, 9}
    assert_eq!(s.pred_to_truth(), &[5.0, 6.0]);
    assert_eq!(s.truth_to_pred(), &[5.0, 8.0]);
    assert_eq!(s.hausdorff(Some(0.0)).unwrap(), 8.0);
    assert_eq!(s.hausdorff(Some(100.0)).unwrap(), 8.0);
    assert_eq!(s.hausdorff(Some(50.0)).unwrap(), 6.5);
}

#[test]
fn bad_input_is_refused() {
    let shape = Shape::new(2, 3, &[2, 2]).unwrap();
    let ok = [0u8; 8];
    let short = [0u8; 7];
    assert_eq!(
        LabelMaps::new(&short, &ok, shape, &[]).unwrap_err(),
        Error::Length {
            what: Buffer::Prediction,
            expected: 8,
            got: 7
        }
    );
    assert!(matches!(
        LabelMaps::new(&ok, &short, shape, &[]),
        Err(Error::Length {
            what: Buffer::Target,
            ..
        })
    ));
    let mut bad = ok;
    bad[5] = 3;
    assert_eq!(
        LabelMaps::new(&bad, &ok, shape, &[]).unwrap_err(),
        Error::LabelOutOfRange {
            index: 5,
            label: 3,
            classes: 3
        }
    );
    let negative = [0i32, 0, 0, 0, 0, -1, 0, 0];
    assert!(LabelMaps::new(&negative, &negative, shape, &[]).is_err());
    assert_eq!(
        LabelMaps::new(&ok, &ok, shape, &[1.0]).unwrap_err(),
        Error::SpacingCount {
            expected: 2,
            got: 1
        }
    );
    assert_eq!(
        LabelMaps::new(&ok, &ok, shape, &[1.0, f64::NAN]).unwrap_err(),
        Error::Spacing { axis: 1 }
    );
    let maps = LabelMaps::new(&ok, &ok, shape, &[]).unwrap();
    let mut ws = vec![0.0; maps.workspace_len()];
    assert!(maps.overlap(2).is_err());
    assert!(maps.surface(2, 0, &mut ws).is_err());
    assert!(maps.surface(0, 3, &mut ws).is_err());
    let short_ws = maps.workspace_len() - 1;
    assert!(matches!(
        maps.surface(0, 0, &mut ws[..short_ws]),
        Err(Error::Workspace { .. })
    ));
    let s = maps.surface(0, 0, &mut ws).unwrap();
    assert!(s.hausdorff(Some(100.5)).is_err() && s.hausdorff(Some(-1.0)).is_err());
    assert!(s.nsd(-0.1).is_err() && s.nsd(f64::INFINITY).is_err() && s.nsd(f64::NAN).is_err());
    // a class filling the whole sample: its boundary is the image border, distance 0
    assert_eq!(s.hausdorff(None).unwrap(), 0.0);
    assert_eq!(s.nsd(0.0).unwrap(), 1.0);
}
