//! The `segloss` binary end to end: generated `.npy` files in, its JSON and gradient file
//! compared with the library's numbers; every bad-input case gives a non-zero exit code,
//! one line on stderr and no output file.

use segloss::losses::{CrossEntropy, Dice, DiceCe, DiceFocal, Focal, Reduction};
use segloss::rng::SplitMix64;
use segloss::{engine, Activation, Input, Layout, Loss, Shape, Target};
use segloss_std::npy::{self, Data};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_segloss");

/// A scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("segloss-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_string_lossy().into_owned()
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn segloss(args: &[&str]) -> Output {
    let out = Command::new(BIN).args(args).output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The number after `"key": ` in a JSON text (the first occurrence).
fn json_number(json: &str, key: &str) -> f64 {
    let pat = format!("\"{key}\": ");
    let at = json
        .find(&pat)
        .unwrap_or_else(|| panic!("no {key} in {json}"))
        + pat.len();
    let end = json[at..].find([',', '}', ']']).unwrap() + at;
    json[at..end].trim().parse().unwrap()
}

/// Every `"value": x` of the members, in order.
fn member_values(json: &str) -> Vec<f64> {
    json.match_indices("\"value\": ")
        .map(|(at, pat)| {
            let s = &json[at + pat.len()..];
            s[..s.find([',', '}']).unwrap()].parse().unwrap()
        })
        .collect()
}

/// The workspace's generator, with the draws these tests use.
struct Rng(SplitMix64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0.uniform()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0.below(n as usize) as u64
    }
}

fn read_f32(path: &str) -> (Vec<usize>, Vec<f32>) {
    let a = npy::read(path).unwrap();
    match a.data {
        Data::F32(v) => (a.shape, v),
        other => panic!("gradient dtype {:?}", other.dtype()),
    }
}

fn read_f64(path: &str) -> (Vec<usize>, Vec<f64>) {
    let a = npy::read(path).unwrap();
    match a.data {
        Data::F64(v) => (a.shape, v),
        other => panic!("gradient dtype {:?}", other.dtype()),
    }
}

#[derive(Loss)]
struct Mixed<'w> {
    #[loss(weight = 0.7)]
    dice: Dice<'w>,
    #[loss(weight = 0.3)]
    ce: CrossEntropy<'w>,
}

#[test]
fn eval_matches_the_library_value_and_gradient_f32() {
    let dir = Scratch::new("f32");
    let mut rng = Rng(SplitMix64::new(1));
    let shape = Shape::new(2, 3, &[6, 7]).unwrap();
    let pred: Vec<f32> = (0..shape.elements())
        .map(|_| (rng.uniform() * 6.0 - 3.0) as f32)
        .collect();
    let labels: Vec<i64> = (0..shape.pixels())
        .map(|_| {
            if rng.below(10) == 0 {
                255
            } else {
                rng.below(3) as i64
            }
        })
        .collect();
    let mask: Vec<bool> = (0..shape.pixels()).map(|_| rng.below(7) != 0).collect();
    npy::write(dir.path("pred.npy"), &[2, 3, 6, 7], &pred).unwrap();
    npy::write(dir.path("labels.npy"), &[2, 6, 7], &labels).unwrap();
    npy::write(dir.path("mask.npy"), &[2, 6, 7], &mask).unwrap();
    let grad_path = dir.path("grad.npy");
    let out = segloss(&[
        "eval",
        "--input",
        &dir.path("pred.npy"),
        "--target",
        &dir.path("labels.npy"),
        "--mask",
        &dir.path("mask.npy"),
        "--loss",
        "0.7*dice(include_background=false, batch=true) + 0.3*ce(ignore_index=255)",
        "--grad-out",
        &grad_path,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1);

    let input = Input::new(
        &pred,
        shape,
        Target::labels(&labels[..]).with_ignore_index(255),
    )
    .unwrap()
    .with_mask(&mask)
    .unwrap();
    let rust = Mixed {
        dice: Dice::new().with_include_background(false).with_batch(true),
        ce: CrossEntropy::new(),
    };
    let mut want = vec![0.0f32; pred.len()];
    let value = engine::forward_backward(&rust, &input, &mut [], &mut want).unwrap();
    let got = json_number(&out.stdout, "loss");
    assert!(
        (got - value).abs() < 1e-9 * value.abs().max(1.0),
        "{got} vs {value}"
    );
    let members = member_values(&out.stdout);
    let dice = engine::forward(&rust.dice, &input, &mut []).unwrap();
    let ce = engine::forward(&rust.ce, &input, &mut []).unwrap();
    assert!((members[0] - dice).abs() < 1e-9 && (members[1] - ce).abs() < 1e-9);
    assert!(out.stdout.contains("\"ignore_index\": 255"));

    let (gshape, grad) = read_f32(&grad_path);
    assert_eq!(gshape, [2, 3, 6, 7]);
    let scale = want.iter().fold(1e-30f32, |m, x| m.max(x.abs()));
    for (a, b) in grad.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-6 * scale, "{a} vs {b}");
    }
    assert_eq!(
        dir.files(),
        ["grad.npy", "labels.npy", "mask.npy", "pred.npy"]
    );
}

#[test]
fn eval_f64_channel_last_dense_sigmoid() {
    let dir = Scratch::new("f64");
    let mut rng = Rng(SplitMix64::new(2));
    // (B, H, W, C) channel-last, soft dense target of the same shape.
    let dims = [2usize, 5, 4, 3];
    let n: usize = dims.iter().product();
    let pred: Vec<f64> = (0..n).map(|_| rng.uniform() * 8.0 - 4.0).collect();
    let soft: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    npy::write(dir.path("pred.npy"), &dims, &pred).unwrap();
    npy::write(dir.path("soft.npy"), &dims, &soft).unwrap();
    let out = segloss(&[
        "eval",
        "--input",
        &dir.path("pred.npy"),
        "--target",
        &dir.path("soft.npy"),
        "--loss",
        "dice_focal(lambda_focal=0.5, batch=true)",
        "--layout",
        "channel-last",
        "--activation",
        "sigmoid",
        "--grad-out",
        &dir.path("g.npy"),
        "--threads",
        "2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shape = Shape::new(2, 3, &[5, 4]).unwrap();
    let input = Input::new(&pred, shape, Target::dense(&soft[..]))
        .unwrap()
        .with_layout(Layout::ChannelLast)
        .with_activation(Activation::Sigmoid);
    let rust = DiceFocal {
        dice: Dice::new().with_batch(true),
        focal: Focal::new(2.0).with_reduction(Reduction::ElementMean),
        lambda_focal: 0.5,
        ..DiceFocal::new()
    };
    let mut want = vec![0.0; n];
    let value = engine::forward_backward(&rust, &input, &mut [], &mut want).unwrap();
    assert!((json_number(&out.stdout, "loss") - value).abs() < 1e-12);
    let (gshape, grad) = read_f64(&dir.path("g.npy"));
    assert_eq!(gshape, dims);
    for (a, b) in grad.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    assert!(out
        .stdout
        .contains("\"threads_requested\": 2, \"threads_used\": 1"));
    assert!(out.stdout.contains("\"target\": \"dense\""));
}

#[test]
fn eval_takes_singleton_channel_labels_of_any_integer_type() {
    let dir = Scratch::new("labels");
    let mut rng = Rng(SplitMix64::new(3));
    let shape = Shape::new(1, 4, &[3, 4, 5]).unwrap();
    let pred: Vec<f32> = (0..shape.elements())
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let labels: Vec<u8> = (0..shape.pixels()).map(|_| rng.below(4) as u8).collect();
    npy::write(dir.path("pred.npy"), &[1, 4, 3, 4, 5], &pred).unwrap();
    let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
    let want = engine::forward(&DiceCe::new(), &input, &mut []).unwrap();
    let wide: Vec<i16> = labels.iter().map(|&l| i16::from(l)).collect();
    let unsigned: Vec<u64> = labels.iter().map(|&l| u64::from(l)).collect();
    npy::write(dir.path("u8.npy"), &[1, 1, 3, 4, 5], &labels).unwrap();
    npy::write(dir.path("i16.npy"), &[1, 3, 4, 5], &wide).unwrap();
    npy::write(dir.path("u64.npy"), &[1, 1, 3, 4, 5], &unsigned).unwrap();
    for file in ["u8.npy", "i16.npy", "u64.npy"] {
        let out = segloss(&[
            "eval",
            "--input",
            &dir.path("pred.npy"),
            "--target",
            &dir.path(file),
            "--loss",
            "dice_ce",
        ]);
        assert_eq!(out.code, 0, "{file}: {}", out.stderr);
        let got = json_number(&out.stdout, "loss");
        assert!((got - want).abs() < 1e-9, "{file}: {got} vs {want}");
    }
}

/// Runs a failing eval: non-zero exit, one stderr line containing `needle`, no new file.
fn assert_fails(dir: &Scratch, args: &[&str], code: i32, needle: &str) {
    let before = dir.files();
    let out = segloss(args);
    assert_eq!(out.code, code, "{args:?}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{args:?}: stdout {}", out.stdout);
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "{args:?}: stderr must be one line:\n{}",
        out.stderr
    );
    assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    assert_eq!(dir.files(), before, "{args:?} left a file behind");
}

#[test]
fn bad_input_fails_with_one_line_and_no_output_file() {
    let dir = Scratch::new("bad");
    let mut rng = Rng(SplitMix64::new(4));
    let pred: Vec<f32> = (0..2 * 3 * 16).map(|_| rng.uniform() as f32).collect();
    let labels: Vec<i32> = (0..2 * 16).map(|_| rng.below(3) as i32).collect();
    let mut out_of_range = labels.clone();
    out_of_range[21] = 7;
    npy::write(dir.path("pred.npy"), &[2, 3, 4, 4], &pred).unwrap();
    npy::write(dir.path("labels.npy"), &[2, 4, 4], &labels).unwrap();
    npy::write(dir.path("range.npy"), &[2, 4, 4], &out_of_range).unwrap();
    npy::write(dir.path("short.npy"), &[2, 4, 3], &labels[..24]).unwrap();
    npy::write(dir.path("dense_bad.npy"), &[2, 3, 4, 3], &pred[..72]).unwrap();
    npy::write(dir.path("ints.npy"), &[2, 3, 4, 4], &vec![1i32; 96]).unwrap();
    npy::write(dir.path("fmask.npy"), &[2, 4, 4], &[1.0f32; 32]).unwrap();
    let mut nan = pred.clone();
    nan[50] = f32::NAN;
    npy::write(dir.path("nan.npy"), &[2, 3, 4, 4], &nan).unwrap();
    let over: Vec<f32> = pred.iter().map(|x| 3.0 * x).collect();
    npy::write(dir.path("over.npy"), &[2, 3, 4, 4], &over).unwrap();
    std::fs::write(dir.path("garbage.npy"), b"this is not numpy").unwrap();
    let mut truncated = std::fs::read(dir.path("pred.npy")).unwrap();
    truncated.truncate(truncated.len() - 4);
    std::fs::write(dir.path("truncated.npy"), truncated).unwrap();
    let mut f16 = npy::to_bytes(&[2, 3, 4, 4], &[0u16; 96]);
    let at = f16.windows(3).position(|w| w == b"<u2").unwrap();
    f16[at..at + 3].copy_from_slice(b"<f2");
    std::fs::write(dir.path("f16.npy"), f16).unwrap();
    let mut fortran = npy::to_bytes(&[2, 3, 4, 4], &pred);
    let at = fortran.windows(5).position(|w| w == b"False").unwrap();
    fortran[at..at + 5].copy_from_slice(b"True ");
    std::fs::write(dir.path("fortran.npy"), fortran).unwrap();
    let mut big = npy::to_bytes(&[2, 3, 4, 4], &pred);
    let at = big.windows(3).position(|w| w == b"<f4").unwrap();
    big[at] = b'>';
    std::fs::write(dir.path("big.npy"), big).unwrap();

    let grad = dir.path("grad.npy");
    let p = dir.path("pred.npy");
    let l = dir.path("labels.npy");
    let case = |pred: &str, target: &str, extra: &[&str], code: i32, needle: &str| {
        let mut args = vec!["eval", "--input", pred, "--target", target];
        args.extend_from_slice(&["--loss", "dice_ce", "--grad-out", &grad]);
        args.extend_from_slice(extra);
        assert_fails(&dir, &args, code, needle);
    };
    case(
        &dir.path("missing.npy"),
        &l,
        &[],
        1,
        "missing.npy: file not found",
    );
    case(&p, &dir.path("missing.npy"), &[], 1, "TARGET");
    case(
        &dir.path("garbage.npy"),
        &l,
        &[],
        1,
        "not a valid .npy file",
    );
    case(
        &dir.path("truncated.npy"),
        &l,
        &[],
        1,
        "the data has 380 bytes",
    );
    case(
        &dir.path("f16.npy"),
        &l,
        &[],
        1,
        "dtype '<f2' is not supported",
    );
    case(&dir.path("fortran.npy"), &l, &[], 1, "Fortran order");
    case(&dir.path("big.npy"), &l, &[], 1, "big-endian");
    case(
        &l,
        &l,
        &[],
        1,
        "dtype int32 is not supported for the prediction",
    );
    case(
        &p,
        &dir.path("short.npy"),
        &[],
        1,
        "do not match PRED (2, 3, 4, 4)",
    );
    case(
        &p,
        &dir.path("dense_bad.npy"),
        &[],
        1,
        "does not match PRED's shape",
    );
    case(
        &p,
        &dir.path("range.npy"),
        &[],
        1,
        "label 7 at (1, 1, 1) is outside 0..3",
    );
    case(
        &dir.path("nan.npy"),
        &l,
        &[],
        1,
        "element at (1, 0, 0, 2) is NaN",
    );
    case(&p, &dir.path("ints.npy"), &[], 1, "do not match PRED");
    case(
        &p,
        &l,
        &["--mask", &dir.path("fmask.npy")],
        1,
        "not supported for a mask",
    );
    case(&p, &l, &["--mask", &dir.path("short.npy")], 1, "MASK");
    case(
        &dir.path("over.npy"),
        &l,
        &["--activation", "none"],
        1,
        "is outside [0, 1] (--activation none takes probabilities)",
    );
    case(
        &dir.path("nan.npy"),
        &l,
        &["--activation", "sigmoid"],
        1,
        "NaN",
    );
    // Usage errors.
    case(
        &p,
        &l,
        &["--spacing", "1,0"],
        2,
        "not a positive finite spacing",
    );
    case(
        &p,
        &l,
        &["--spacing", "1,1,1"],
        2,
        "PRED has 2 spatial axes",
    );
    case(&p, &l, &["--threads", "0"], 2, "--threads `0`");
    case(
        &p,
        &l,
        &["--activation", "softplus"],
        2,
        "softmax, sigmoid, none",
    );
    case(&p, &l, &["--ignore-index", "x"], 2, "not an integer");
    case(
        &p,
        &dir.path("dense_bad.npy"),
        &["--layout", "diagonal"],
        2,
        "--layout",
    );
    assert_fails(
        &dir,
        &["eval", "--input", &p, "--target", &l, "--loss", "dpce"],
        2,
        "needs --penalty",
    );
    assert_fails(
        &dir,
        &[
            "eval",
            "--input",
            &p,
            "--target",
            &l,
            "--loss",
            "dice",
            "--grad-out",
            "/nonexistent-segloss/g.npy",
        ],
        1,
        "does not exist",
    );
    assert_fails(
        &dir,
        &["eval", "--target", &l, "--loss", "dice"],
        2,
        "--input is required",
    );
}

#[test]
fn a_failed_eval_leaves_an_existing_gradient_file_alone() {
    let dir = Scratch::new("keep");
    npy::write(dir.path("pred.npy"), &[1, 2, 3], &[0.0f32; 6]).unwrap();
    npy::write(dir.path("labels.npy"), &[1, 3], &[0u8, 1, 5]).unwrap();
    std::fs::write(dir.path("grad.npy"), b"previous").unwrap();
    let out = segloss(&[
        "eval",
        "--input",
        &dir.path("pred.npy"),
        "--target",
        &dir.path("labels.npy"),
        "--loss",
        "ce",
        "--grad-out",
        &dir.path("grad.npy"),
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(std::fs::read(dir.path("grad.npy")).unwrap(), b"previous");
    assert_eq!(dir.files(), ["grad.npy", "labels.npy", "pred.npy"]);
}

#[test]
fn spec_errors_show_the_column_and_what_is_allowed() {
    let dir = Scratch::new("spec");
    npy::write(dir.path("pred.npy"), &[1, 3, 4], &[0.0f32; 12]).unwrap();
    npy::write(dir.path("labels.npy"), &[1, 4], &[0u8, 1, 2, 1]).unwrap();
    let (p, l) = (dir.path("pred.npy"), dir.path("labels.npy"));
    let run = |loss: &str| segloss(&["eval", "--input", &p, "--target", &l, "--loss", loss]);
    let out = run("0.7*dice + 0.3*focal(gama=2)");
    assert_eq!(out.code, 2);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "segloss: error in --loss at column 22: unknown parameter `gama` of `focal`; did you mean `gamma`?"
    );
    assert_eq!(lines[1], "  0.7*dice + 0.3*focal(gama=2)");
    assert_eq!(lines[2], format!("  {}^^^^", " ".repeat(21)));
    assert!(lines[3].starts_with("  allowed: gamma=2"));
    let out = run("dice(ignore_index=255) + ce(ignore_index=0)");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("conflicts with ignore_index=255"));
    let out = run("ce(weight=[1, 2])");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("2 class weights given for 3 classes"));
    let out = segloss(&[
        "eval",
        "--input",
        &p,
        "--target",
        &l,
        "--loss",
        "ce(ignore_index=255)",
        "--ignore-index",
        "0",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("conflicts"));
    assert_eq!(dir.files(), ["labels.npy", "pred.npy"]);
}

#[test]
fn bench_loss_prints_a_json_line_last() {
    let out = segloss(&[
        "bench",
        "loss",
        "--loss",
        "dice_ce",
        "--shape",
        "2,3,16,16",
        "--iters",
        "3",
        "--threads",
        "2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let last = out.stdout.lines().last().unwrap();
    for key in [
        "median_s",
        "elements_per_s",
        "bytes_per_s",
        "read_bandwidth_bytes_per_s",
        "fraction_of_bandwidth",
        "two_pass_floor_s",
        "floor_fraction_of_bandwidth",
    ] {
        assert!(json_number(last, key) > 0.0, "{key} in {last}");
    }
    let traffic = json_number(last, "traffic_bytes");
    assert_eq!(traffic, (2 * 1536 * 4 + 512) as f64);
    assert!(last.starts_with("{\"spec\": \"dice_ce\""), "{last}");
    assert!(!out.stderr.is_empty(), "progress goes to stderr");
    let out = segloss(&["bench", "loss", "--loss", "dice", "--shape", "2,3"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--shape"));
}

#[test]
fn help_and_listing() {
    let out = segloss(&["losses"]);
    assert_eq!(out.code, 0);
    for name in [
        "ce(",
        "wce(",
        "focal(",
        "dice(",
        "gdice(",
        "dice_ce(",
        "combo(",
        "nnunet_dc_and_ce(",
        "paper_focal_tversky(",
    ] {
        assert!(out.stdout.contains(name), "{name}");
    }
    let out = segloss(&["help", "eval"]);
    assert!(out.stdout.contains("`eval` runs its passes on one"));
    assert!(Path::new(BIN).exists());
}

#[test]
fn distmap_writes_the_libraries_maps_and_refuses_bad_input() {
    let dir = Scratch::new("distmap");
    let mut rng = Rng(SplitMix64::new(12));
    // A 3D mask with anisotropic spacing: the EDT.
    let dims = [7usize, 6, 5];
    let mask: Vec<u8> = (0..210).map(|_| u8::from(rng.uniform() > 0.3)).collect();
    npy::write(dir.path("m.npy"), &dims, &mask).unwrap();
    let out = segloss(&[
        "distmap",
        "--target",
        &dir.path("m.npy"),
        "--out",
        &dir.path("d.npy"),
        "--spacing",
        "2.5,0.8,1",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (shape, got) = read_f64(&dir.path("d.npy"));
    assert_eq!(shape, dims);
    let edt = segloss::edt::Edt::new(&dims, &[2.5, 0.8, 1.0]).unwrap();
    let bools: Vec<bool> = mask.iter().map(|&m| m != 0).collect();
    let mut want = vec![0.0f64; 210];
    let mut ws = vec![0.0f64; edt.workspace_len()];
    edt.run(&bools, &mut want, &mut ws).unwrap();
    assert_eq!(got, want);
    // Labels (B, H, W): the per-class signed maps, f32.
    let labels: Vec<i64> = (0..2 * 9 * 8).map(|_| rng.below(3) as i64).collect();
    npy::write(dir.path("l.npy"), &[2, 9, 8], &labels).unwrap();
    let out = segloss(&[
        "distmap",
        "--target",
        &dir.path("l.npy"),
        "--out",
        &dir.path("s.npy"),
        "--kind",
        "signed",
        "--dtype",
        "f32",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (shape, got) = read_f32(&dir.path("s.npy"));
    assert_eq!(shape, [2, 3, 9, 8]);
    let maps =
        segloss::edt::SignedMaps::new(Shape::new(2, 3, &[9, 8]).unwrap(), &[1.0, 1.0]).unwrap();
    let mut want = vec![0.0f32; 2 * 3 * 72];
    let mut ws = vec![0.0f32; maps.workspace_len()];
    maps.run(&labels[..], &mut want, &mut ws).unwrap();
    assert_eq!(got, want);

    let four = [2usize, 2, 2, 2];
    npy::write(dir.path("four.npy"), &four, &[1u8; 16]).unwrap();
    let out_file = dir.path("x.npy");
    assert_fails(
        &dir,
        &[
            "distmap",
            "--target",
            &dir.path("nope.npy"),
            "--out",
            &out_file,
        ],
        1,
        "file not found",
    );
    assert_fails(
        &dir,
        &[
            "distmap",
            "--target",
            &dir.path("four.npy"),
            "--out",
            &out_file,
        ],
        1,
        "1 to 3",
    );
    assert_fails(
        &dir,
        &[
            "distmap",
            "--target",
            &dir.path("m.npy"),
            "--out",
            &out_file,
            "--kind",
            "nearest",
        ],
        2,
        "edt, signed",
    );
    assert_fails(
        &dir,
        &[
            "distmap",
            "--target",
            &dir.path("m.npy"),
            "--out",
            &out_file,
            "--spacing",
            "1,1",
        ],
        2,
        "3 axes",
    );
    assert_fails(
        &dir,
        &[
            "distmap",
            "--target",
            &dir.path("m.npy"),
            "--out",
            &out_file,
            "--spacing",
            "1,0,1",
        ],
        2,
        "positive",
    );
}

#[test]
fn bench_edt_prints_a_json_line_last() {
    let dir = Scratch::new("bench-edt");
    let mask: Vec<u8> = (0..12 * 11).map(|i| u8::from(i % 7 != 0)).collect();
    npy::write(dir.path("m.npy"), &[12, 11], &mask).unwrap();
    let out = segloss(&[
        "bench",
        "edt",
        "--input",
        &dir.path("m.npy"),
        "--iters",
        "3",
        "--spacing",
        "1,2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let last = out.stdout.lines().last().unwrap();
    assert!(json_number(last, "median_s") > 0.0, "{last}");
}

#[test]
fn json_numbers_round_trip() {
    use segloss_std::cli::json::{json_num, json_str};
    for x in [
        0.1,
        1.0,
        -0.0,
        1e-300,
        123_456_789.123_456_79,
        1.0 / 3.0,
        5e-324,
    ] {
        assert_eq!(json_num(x).parse::<f64>().unwrap().to_bits(), x.to_bits());
    }
    assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

#[test]
fn flags_are_checked() {
    let out = segloss(&["eval", "--inptu", "x.npy"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown flag `--inptu`"),
        "{}",
        out.stderr
    );
    let out = segloss(&["eval", "--loss", "dice", "--loss=ce"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--loss is given twice"),
        "{}",
        out.stderr
    );
    let out = segloss(&["eval", "--loss"]);
    assert_eq!(
        (out.code, out.stderr.trim()),
        (2, "segloss: --loss needs a value")
    );
    let out = segloss(&["frobnicate"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unknown command"));
    let out = segloss(&["bench", "gpu"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unknown bench target `gpu`"));
    let out = segloss(&["bench", "edt"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing --input"));
    let out = segloss(&["eval", "--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("--threads N") && out.stdout.contains("log_cosh_dice"));
    let out = segloss(&["losses"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("dice_ce(") && out.stdout.contains("nnunet_dc_and_ce("));
    assert!(out.stdout.contains("hausdorff(") && out.stdout.contains("(also hd, hausdorff_dt"));
    let out = segloss(&["losses", "--verbose"]);
    assert!(out.stdout.contains("beta: The weight of false negatives."));
}

#[test]
fn losses_resolve_prints_the_leaves_of_a_compound_with_their_weights() {
    let out = segloss(&[
        "losses",
        "--resolve",
        "dice_ce(lambda_ce=0.5, dice=dice(include_background=false), ce=ce(weight=[1, 2]))",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dice = out
        .stdout
        .find("\"loss\": \"dice\", \"weight\": 1.0")
        .unwrap();
    let ce = out
        .stdout
        .find("\"loss\": \"ce\", \"weight\": 0.5")
        .unwrap();
    assert!(dice < ce, "{}", out.stdout);
    assert!(
        out.stdout.contains("\"include_background\": false"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\"weight\": [1.0, 2.0]"),
        "{}",
        out.stdout
    );
    let out = segloss(&["losses", "--resolve", "dcie"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean"), "{}", out.stderr);
}
