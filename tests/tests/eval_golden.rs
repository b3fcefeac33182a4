//! `segloss eval` (the whole command, in process) on the golden cases of the boundary family
//! (boundary, Hausdorff DT, log-Hausdorff, Dice + boundary, Dice + HD): the case's inputs
//! written as `.npy` files, its spec given with the spacing taken out and passed as
//! `--spacing` instead, the printed value and the written gradient against the references
//! (scipy's EDT with the authors' formula, MONAI's `HausdorffDTLoss`), anisotropic spacings
//! and an empty foreground among them.

use segloss_std::npy::{self, Data};
use segloss_tests::close;
use segloss_tests::golden::{load, Case, OwnedLabels};
use std::path::PathBuf;

/// A scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("segloss-eval-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `spec` without its `spacing=[...]` arguments, and the (one) spacing they gave.
fn take_spacing(spec: &str) -> (String, Option<String>) {
    let mut out = String::new();
    let mut spacing = None;
    let mut rest = spec;
    while let Some(at) = rest.find("spacing=[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + "spacing=[".len()..];
        let end = tail.find(']').expect("a closed list");
        spacing = Some(tail[..end].replace(' ', ""));
        rest = &tail[end + 1..];
        rest = rest.strip_prefix(", ").unwrap_or(rest);
    }
    out.push_str(rest);
    (out.replace(", )", ")").replace("()", ""), spacing)
}

fn run(args: &[String]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = segloss_std::cli::run(args, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// The number after `"loss": ` in the JSON the command printed.
fn loss_of(json: &str) -> f64 {
    let at = json.find("\"loss\": ").expect("a loss") + "\"loss\": ".len();
    let end = json[at..].find([',', '}']).expect("a number") + at;
    json[at..end].trim().parse().expect("a number")
}

fn eval_case(case: &Case, dir: &Scratch) -> usize {
    let Some(spec) = &case.spec else { return 0 };
    let (spec, spacing) = take_spacing(spec);
    let dims: Vec<usize> = [case.shape.batch(), case.shape.classes()]
        .into_iter()
        .chain(case.shape.spatial().iter().copied())
        .collect();
    npy::write(dir.path("pred.npy"), &dims, &case.pred).unwrap();
    let label_dims: Vec<usize> = std::iter::once(case.shape.batch())
        .chain(case.shape.spatial().iter().copied())
        .collect();
    let Some((OwnedLabels::I64(labels), ignore)) = &case.labels else {
        panic!("{}: boundary cases have i64 labels", case.name)
    };
    npy::write(dir.path("labels.npy"), &label_dims, labels).unwrap();
    let activation = match case.activation {
        segloss::Activation::Softmax => "softmax",
        segloss::Activation::Sigmoid => "sigmoid",
        segloss::Activation::Identity => "none",
    };
    let mut args: Vec<String> = [
        "eval",
        "--input",
        &dir.path("pred.npy"),
        "--target",
        &dir.path("labels.npy"),
        "--loss",
        &spec,
        "--activation",
        activation,
        "--grad-out",
        &dir.path("grad.npy"),
    ]
    .map(String::from)
    .to_vec();
    if let Some(s) = &spacing {
        args.extend(["--spacing".to_string(), s.clone()]);
    }
    if let Some(i) = ignore {
        args.extend(["--ignore-index".to_string(), i.to_string()]);
    }
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{}: {args:?}: {err}", case.name);
    let value = loss_of(&out);
    assert!(
        close(value, case.value, 1e-9, 1e-12),
        "{} (`{spec}` --spacing {spacing:?}): {value} vs golden {}",
        case.name,
        case.value
    );
    let grad = npy::read(dir.path("grad.npy")).unwrap();
    assert_eq!(grad.shape, dims, "{}", case.name);
    let Data::F64(grad) = grad.data else {
        panic!("{}: the gradient has the prediction's dtype", case.name)
    };
    let scale = case.grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    for (i, (a, b)) in grad.iter().zip(&case.grad).enumerate() {
        assert!(
            close(*a, *b, 1e-9, 1e-9 * scale),
            "{}: grad[{i}] {a} vs golden {b}",
            case.name
        );
    }
    usize::from(spacing.is_some())
}

#[test]
fn segloss_eval_gives_the_boundary_familys_golden_numbers_with_spacing() {
    let dir = Scratch::new("boundary");
    let cases = load("boundary.json");
    let mut with_spacing = 0;
    let mut families = std::collections::BTreeSet::new();
    for case in &cases {
        with_spacing += eval_case(case, &dir);
        if case.spec.is_some() {
            families.insert(case.loss.clone());
        }
    }
    assert!(
        with_spacing >= 20,
        "only {with_spacing} cases with --spacing"
    );
    for loss in ["boundary", "hausdorff"] {
        assert!(families.contains(loss), "no `{loss}` case");
    }
}

#[test]
fn spacing_comes_out_of_the_spec_and_back_through_the_flag() {
    assert_eq!(
        take_spacing("dice_boundary(epoch=3, boundary=boundary(spacing=[1.5, 0.5]))"),
        (
            "dice_boundary(epoch=3, boundary=boundary)".to_string(),
            Some("1.5,0.5".to_string())
        )
    );
    assert_eq!(
        take_spacing("hausdorff(spacing=[1.0, 1.0], include_background=false)"),
        (
            "hausdorff(include_background=false)".to_string(),
            Some("1.0,1.0".to_string())
        )
    );
}
