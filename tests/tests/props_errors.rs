//! Every bad input tried, and what it gets: the table in `docs/validation.md` (between the
//! `errors:begin` / `errors:end` markers) is generated here and checked, so it cannot drift.
//! Regenerate it with `SEGLOSS_BLESS=1 cargo test -p segloss-tests --test props_errors`.
//!
//! Every row is a call that must be refused; an input that is accepted shows up as
//! `accepted` in the table (and fails the test), and every refusal leaves the gradient
//! untouched (checked where there is a gradient).

use segloss::edt::{two_sided, Edt, Grid};
use segloss::losses::{
    Alpha, Boundary, ClassWeights, CrossEntropy, Dice, DiceCe, Dpce, ExpLogCe, Focal,
    GeneralizedDice, Hausdorff, Mcc, Schedule, TopK, TopKThreshold, Tversky, WeightedCrossEntropy,
};
use segloss::{engine, Activation, Error, Input, Loss, Shape, Target};
use segloss_std::npy;
use segloss_std::spec::{BuildContext, Spec};
use std::fmt::Debug;

struct Table(Vec<[String; 3]>);

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

impl Table {
    fn row<T: Debug, E: Debug + std::fmt::Display>(&mut self, input: &str, r: Result<T, E>) {
        let (variant, message) = match r {
            Ok(v) => (format!("accepted: {v:?}"), String::new()),
            Err(e) => (format!("`{e:?}`"), e.to_string()),
        };
        self.0
            .push([format!("`{}`", cell(input)), cell(&variant), cell(&message)]);
    }

    fn spec(&mut self, text: &str) {
        let r =
            Spec::parse(text).and_then(|s| s.build::<f64>(&BuildContext::default()).map(|_| ()));
        let (variant, message) = match r {
            Ok(()) => ("accepted".to_string(), String::new()),
            Err(e) => (
                format!("`SpecError` at column {}", e.column()),
                match &e.allowed {
                    Some(a) => format!("{} (allowed: {a})", e.message),
                    None => e.message.clone(),
                },
            ),
        };
        self.0.push([
            format!("spec `{}`", cell(text)),
            cell(&variant),
            cell(&message),
        ]);
    }

    fn markdown(&self) -> String {
        let mut out = String::from("| bad input | error | message |\n|---|---|---|\n");
        for [a, b, c] in &self.0 {
            out.push_str(&format!("| {a} | {b} | {c} |\n"));
        }
        out
    }
}

/// Runs `loss` on `input` with a workspace of `ws` elements and a sentinel gradient; checks
/// the gradient is untouched on error.
fn run<L: Loss<f64>>(loss: &L, input: &Input<'_, f64>, ws: usize) -> Result<f64, Error> {
    let mut grad = vec![7.0; input.shape().elements()];
    let r = engine::forward_backward(loss, input, &mut vec![0.0; ws], &mut grad);
    if r.is_err() {
        assert!(grad.iter().all(|&g| g == 7.0), "gradient written on error");
    }
    r
}

fn table() -> Table {
    let mut t = Table(Vec::new());
    let shape = Shape::new(1, 3, &[4]).unwrap();
    let pred = [0.5f64; 12];
    let labels = [0u8, 1, 2, 1];
    let ok = Input::new(&pred, shape, Target::labels(&labels)).unwrap();
    let ce = CrossEntropy::new();

    // Shapes and buffers.
    t.row("Shape::new(0, 3, &[4])", Shape::new(0, 3, &[4]));
    t.row("Shape::new(1, 3, &[4, 0])", Shape::new(1, 3, &[4, 0]));
    t.row("Shape::new(1, 3, &[])", Shape::new(1, 3, &[]));
    t.row(
        "Shape::new(1, 3, &[1, 1, 1, 1])",
        Shape::new(1, 3, &[1, 1, 1, 1]),
    );
    t.row("Shape::new(1, 300, &[4])", Shape::new(1, 300, &[4]));
    t.row(
        "Shape::new(usize::MAX, 2, &[2])",
        Shape::new(usize::MAX, 2, &[2]),
    );
    t.row(
        "prediction of 11 elements for (1, 3, [4])",
        Input::new(&pred[..11], shape, Target::labels(&labels)).map(|_| ()),
    );
    t.row(
        "3 labels for (1, 3, [4])",
        Input::new(&pred, shape, Target::labels(&labels[..3])).map(|_| ()),
    );
    t.row(
        "dense target of 4 elements for (1, 3, [4])",
        Input::new(&pred, shape, Target::dense(&pred[..4])).map(|_| ()),
    );
    t.row(
        "mask of 3 pixels for 4",
        ok.with_mask(&[true; 3]).map(|_| ()),
    );
    t.row("input.samples(1..1)", ok.samples(1..1).map(|_| ()));
    t.row(
        "input.samples(0..2) of 1 sample",
        ok.samples(0..2).map(|_| ()),
    );
    t.row(
        "gradient of 11 elements",
        engine::forward_backward(&ce, &ok, &mut [], &mut [0.0; 11]),
    );

    // Element values, found while pass 1 streams.
    let with = |i: usize, x: f64| {
        let mut p = pred;
        p[i] = x;
        p
    };
    let nan = with(5, f64::NAN);
    let input = Input::new(&nan, shape, Target::labels(&labels)).unwrap();
    t.row("NaN logit at index 5", run(&ce, &input, 0));
    let inf = with(0, f64::NEG_INFINITY);
    let input = Input::new(&inf, shape, Target::labels(&labels)).unwrap();
    t.row("-inf logit at index 0", run(&ce, &input, 0));
    let input = Input::new(&pred, shape, Target::labels(&[0u8, 1, 3, 1])).unwrap();
    t.row("label 3 with 3 classes", run(&ce, &input, 0));
    let input = Input::new(&pred, shape, Target::labels(&[0i32, -1, 2, 1])).unwrap();
    t.row("label -1 without an ignore index", run(&ce, &input, 0));
    let input = Input::new(
        &pred,
        shape,
        Target::labels(&[0i64, 255, 2, 1]).with_ignore_index(-100),
    )
    .unwrap();
    t.row("label 255 with ignore index -100", run(&ce, &input, 0));
    let one = Shape::new(1, 1, &[4]).unwrap();
    let input = Input::new(&pred[..4], one, Target::labels(&[0u8, 2, 1, 1])).unwrap();
    t.row("label 2 with one channel (binary)", run(&ce, &input, 0));
    let big = with(3, 1.5);
    let input = Input::new(&big, shape, Target::labels(&labels))
        .unwrap()
        .with_activation(Activation::Identity);
    t.row("probability 1.5 (activation Identity)", run(&ce, &input, 0));
    let neg = with(3, -0.25);
    let input = Input::new(&neg, shape, Target::labels(&labels))
        .unwrap()
        .with_activation(Activation::Identity);
    t.row(
        "probability -0.25 (activation Identity)",
        run(&Dice::new(), &input, 0),
    );
    let dense = with(2, 1.5);
    let input = Input::new(&pred, shape, Target::dense(&dense)).unwrap();
    t.row("soft target 1.5", run(&ce, &input, 0));
    let dense = with(7, f64::NAN);
    let input = Input::new(&pred, shape, Target::dense(&dense)).unwrap();
    t.row("soft target NaN", run(&ce, &input, 0));

    // Loss parameters.
    t.row(
        "CrossEntropy weight of 2 classes for 3",
        run(&ce.with_weight(&[1.0, 2.0]), &ok, 0),
    );
    t.row(
        "CrossEntropy weight -1",
        run(&ce.with_weight(&[1.0, -1.0, 1.0]), &ok, 0),
    );
    t.row(
        "CrossEntropy weight NaN",
        run(&ce.with_weight(&[1.0, f64::NAN, 1.0]), &ok, 0),
    );
    t.row(
        "CrossEntropy weight 1e9 (above MAX_WEIGHT)",
        run(&ce.with_weight(&[1.0, 1e9, 1.0]), &ok, 0),
    );
    t.row(
        "CrossEntropy weight 1e-320 (nonzero below MIN_WEIGHT)",
        run(&ce.with_weight(&[1.0, 1e-320, 1.0]), &ok, 0),
    );
    let dice_ce = DiceCe {
        lambda_ce: 1e9,
        ..DiceCe::new()
    };
    t.row("DiceCe lambda_ce 1e9", run(&dice_ce, &ok, 0));
    t.row("ExpLogCe::new(1e9)", run(&ExpLogCe::new(1e9), &ok, 0));
    t.row(
        "CrossEntropy label_smoothing 1.5",
        run(&ce.with_label_smoothing(1.5), &ok, 0),
    );
    let given = WeightedCrossEntropy::new(ClassWeights::Given(&[1.0]));
    t.row(
        "WeightedCrossEntropy Given(&[1.0]) for 3 classes",
        run(&given, &ok, 0),
    );
    t.row("TopK::new(0.0)", run(&TopK::new(0.0), &ok, 4));
    t.row("TopK::new(150.0)", run(&TopK::new(150.0), &ok, 4));
    t.row(
        "TopK::new(10.0) with a workspace of 3 (needs 4)",
        run(&TopK::new(10.0), &ok, 3),
    );
    t.row(
        "TopKThreshold::new(0.0)",
        run(&TopKThreshold::new(0.0), &ok, 0),
    );
    t.row(
        "TopKThreshold::new(1.5)",
        run(&TopKThreshold::new(1.5), &ok, 0),
    );
    t.row("Focal::new(-1.0)", run(&Focal::new(-1.0), &ok, 0));
    t.row("Focal::new(f64::NAN)", run(&Focal::new(f64::NAN), &ok, 0));
    t.row(
        "Focal alpha Scalar(1.5)",
        run(&Focal::new(2.0).with_alpha(Alpha::Scalar(1.5)), &ok, 0),
    );
    t.row(
        "Focal alpha PerClass of 2 for 3 classes",
        run(
            &Focal::new(2.0).with_alpha(Alpha::PerClass(&[0.5, 0.5])),
            &ok,
            0,
        ),
    );
    t.row(
        "Dpce penalty of 3 pixels for 4",
        run(&Dpce::new(&[0.0; 3][..]), &ok, 0),
    );
    t.row(
        "Dpce penalty -1 at pixel 2",
        run(&Dpce::new(&[0.0, 0.0, -1.0, 0.0][..]), &ok, 0),
    );
    t.row(
        "Dpce penalty +inf at pixel 1",
        run(&Dpce::new(&[0.0, f64::INFINITY, 0.0, 0.0][..]), &ok, 0),
    );
    t.row(
        "Dice smooth_nr -1",
        run(&Dice::new().with_smooth_nr(-1.0), &ok, 0),
    );
    t.row(
        "Dice smooth_dr NaN",
        run(&Dice::new().with_smooth_dr(f64::NAN), &ok, 0),
    );
    t.row(
        "Dice smooth_nr 1e9",
        run(&Dice::new().with_smooth_nr(1e9), &ok, 0),
    );
    t.row(
        "Mcc smooth_dr 0",
        run(&Mcc::new().with_smooth_dr(0.0), &ok, 0),
    );
    t.row(
        "Dice weight of 2 classes for 3",
        run(&Dice::new().with_weight(&[1.0, 1.0]), &ok, 0),
    );
    t.row(
        "Tversky alpha -0.5",
        run(&Tversky::new().with_alpha(-0.5), &ok, 0),
    );
    t.row(
        "GeneralizedDice with per-class weights",
        run(
            &GeneralizedDice::new().with_weight(&[1.0, 1.0, 1.0]),
            &ok,
            0,
        ),
    );
    let many = Shape::new(3, 200, &[1]).unwrap();
    let many_pred = vec![0.0f64; many.elements()];
    let many_labels = [0u8; 3];
    let input = Input::new(&many_pred, many, Target::labels(&many_labels)).unwrap();
    t.row(
        "Dice per sample, 3 samples x 200 classes",
        run(&Dice::new(), &input, 0),
    );
    t.row(
        "Boundary::with_maps of 4 elements for 12",
        run(&Boundary::with_maps(&[0.0; 4][..]), &ok, 0),
    );
    let mut maps = [0.0f64; 12];
    maps[4] = f64::NAN;
    t.row(
        "Boundary::with_maps NaN at 4",
        run(&Boundary::with_maps(&maps[..]), &ok, 0),
    );
    let b = Boundary::<f64>::new().with_spacing(&[0.0]);
    t.row("Boundary spacing [0.0]", run(&b, &ok, 1000));
    let b = Boundary::<f64>::new().with_spacing(&[1.0, 1.0]);
    t.row("Boundary spacing [1, 1] on a 1-D batch", run(&b, &ok, 1000));
    let b = Boundary::<f64>::new().with_no_zero(segloss::edt::NoZero::Infinity);
    t.row("Boundary::new() with NoZero::Infinity", run(&b, &ok, 1000));
    let b = Boundary::<f64>::new();
    t.row("Boundary::new() with no workspace", run(&b, &ok, 0));
    let coef = b.finalize(&Default::default(), &mut []).coef;
    t.row(
        "engine::backward (no workspace) with Boundary::new()",
        engine::backward(&b, &ok, &coef, &mut [0.0; 12]),
    );
    t.row(
        "Hausdorff alpha 0",
        run(&Hausdorff::new().with_alpha(0.0), &ok, 1000),
    );
    t.row(
        "Schedule::linear(1.0, 0.0, 0.0)",
        Schedule::linear(1.0, 0.0, 0.0).map(|_| ()),
    );
    t.row(
        "Schedule::linear(0.5, 0.1, 0.7)",
        Schedule::linear(0.5, 0.1, 0.7).map(|_| ()),
    );

    // Distance transforms.
    t.row("Edt::new(&[], &[])", Edt::new(&[], &[]).map(|_| ()));
    t.row("Edt::new(&[4, 0], &[])", Edt::new(&[4, 0], &[]).map(|_| ()));
    t.row(
        "Edt::new(&[4], &[f64::NAN])",
        Edt::new(&[4], &[f64::NAN]).map(|_| ()),
    );
    t.row(
        "Edt::new(&[4], &[-1.0])",
        Edt::new(&[4], &[-1.0]).map(|_| ()),
    );
    t.row(
        "Edt::new(&[9], &[1e300]) (extent above MAX_EXTENT)",
        Edt::new(&[9], &[1e300]).map(|_| ()),
    );
    t.row(
        "Edt::new(&[4, 4], &[1.0])",
        Edt::new(&[4, 4], &[1.0]).map(|_| ()),
    );
    let edt = Edt::new(&[4, 4], &[]).unwrap();
    let mask = [true; 16];
    t.row(
        "Edt run with an output of 15 for 16",
        edt.run(&mask, &mut [0.0f64; 15], &mut [0.0; 100]),
    );
    let need = edt.workspace_len();
    t.row(
        &format!("Edt run with a workspace of {} (needs {need})", need - 1),
        edt.run(&mask, &mut [0.0f64; 16], &mut vec![0.0; need - 1]),
    );
    let grid = Grid::new(&[4], &[]).unwrap();
    t.row(
        "two_sided power 0",
        two_sided(&grid, |i| i > 1, 0.0, &mut [0.0f64; 4], &mut []),
    );

    // Runtime specs (segloss-std): parse, then build.
    for s in [
        "",
        "dcie",
        "dice(",
        "dice)",
        "dice(smooth_nr=)",
        "dice(batch=maybe)",
        "dice(bogus=1)",
        "dice(smooth_nr=1, smooth_nr=2)",
        "1e400*dice",
        "2*",
        "wce",
        "topk_threshold",
        "ce(weight=[1, 2], weight=[1])",
        "dice_ce(weight=[1, 2])",
        "ce(ignore_index=1) + dice(ignore_index=2)",
        "ce(ignore_index=1.5)",
        "dice + ce + iou + mcc + ss + asym + tversky + focal + gdice",
        "dice_ce(lambda_ce=0.5, ce=dice)",
        "ce @ dice",
        "\u{e9}dice",
    ] {
        t.spec(s);
    }

    // .npy reader (segloss-std).
    let header = |h: &str| {
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        let h = format!("{h}\n");
        v.extend_from_slice(&(h.len() as u16).to_le_bytes());
        v.extend_from_slice(h.as_bytes());
        v
    };
    let npy_row = |t: &mut Table, what: &str, bytes: &[u8]| {
        t.row(what, npy::from_bytes(bytes).map(|a| a.shape));
    };
    npy_row(&mut t, ".npy: no magic", b"NUMPY\x01\x00");
    npy_row(&mut t, ".npy: version 4", b"\x93NUMPY\x04\x00\x00\x00");
    npy_row(
        &mut t,
        ".npy: header cut short",
        &header("{'descr': '<f4',")[..20],
    );
    npy_row(
        &mut t,
        ".npy: dtype <c8",
        &header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"),
    );
    npy_row(
        &mut t,
        ".npy: big-endian >f4",
        &header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }"),
    );
    npy_row(
        &mut t,
        ".npy: Fortran order",
        &header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"),
    );
    npy_row(
        &mut t,
        ".npy: 4 elements declared, none stored",
        &header("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }"),
    );
    npy_row(
        &mut t,
        ".npy: shape overflows usize",
        &header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }",
        ),
    );
    npy_row(&mut t, ".npy: header not a dict", &header("[1, 2]"));
    t
}

const BEGIN: &str = "<!-- errors:begin (generated by tests/tests/props_errors.rs) -->\n";
const END: &str = "<!-- errors:end -->";

#[test]
fn every_bad_input_is_refused_and_the_table_is_current() {
    let t = table();
    let accepted: Vec<_> =
        t.0.iter()
            .filter(|r| r[1].starts_with("accepted"))
            .collect();
    let md = t.markdown();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/validation.md");
    let doc = std::fs::read_to_string(path).expect("docs/validation.md");
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/validation.md lacks the error-table markers");
    };
    let current = &doc[b + BEGIN.len()..e];
    if current != md {
        if std::env::var_os("SEGLOSS_BLESS").is_some() {
            let new = format!("{}{BEGIN}{md}{}", &doc[..b], &doc[e..]);
            std::fs::write(path, new).unwrap();
        } else {
            panic!(
                "docs/validation.md's error table is out of date: rerun with SEGLOSS_BLESS=1\n{md}"
            );
        }
    }
    assert!(accepted.is_empty(), "bad inputs accepted: {accepted:?}");
}
