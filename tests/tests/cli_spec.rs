//! The runtime form of the losses (`segloss_std::spec`, what the `segloss` command runs)
//! against the Rust API: every spec below builds one fused runtime compound whose value and
//! gradient must equal the Rust loss's to 1e-12 (f64) on random inputs, under every
//! activation, both layouts, labels with an ignore index and a mask, and dense targets.

use segloss::losses::{
    Alpha, Asym, BalancedBce, ClassWeights, Combo, CrossEntropy, Dice, DiceCe, DiceFocal, DiceTopK,
    Dpce, Ell, ExpLogCe, ExpLogDice, Focal, FocalTversky, FocalTverskyMean, GeneralizedDice,
    GeneralizedDiceWType, Iou, Mcc, PenaltyGeneralizedDice, PenaltyGeneralizedDiceWType, Reduction,
    SensitivitySpecificity, TopK, TopKThreshold, Tversky, WeightedCrossEntropy,
};
use segloss::presets::{monai, nnunet, paper, smp};
use segloss::region::EmptyClass;
use segloss::{engine, Activation, Input, Layout, Loss, Real, Shape, Stats, Target};
use segloss_std::spec::{BuildContext, Spec};
use segloss_tests::{Eval, LossData, SplitMix64 as Rng};

#[derive(Loss)]
struct Mixed<'w> {
    #[loss(weight = 0.7)]
    dice: Dice<'w>,
    #[loss(weight = 0.3)]
    ce: CrossEntropy<'w>,
}

#[derive(Loss)]
struct Everything<'w> {
    #[loss(weight = 0.5)]
    dice_ce: DiceCe<'w>,
    #[loss(weight = 0.25)]
    ft: FocalTversky<'w>,
    #[loss(weight = 2.0)]
    topk: TopK,
    #[loss(weight = -0.1)]
    iou: Iou<'w>,
    #[loss(weight = 0.2)]
    gdice: GeneralizedDice<'w>,
}

type Case<'a, T> = (String, Box<dyn Eval<T> + 'a>);

/// `(spec, the Rust loss it must equal)`; `W` in a spec stands for the class weights.
fn pairs<'a, T: Real>(data: &'a LossData<T>) -> Vec<Case<'a, T>> {
    let w = &data.weights[..];
    let p = &data.penalty[..];
    let mut out: Vec<Case<'a, T>> = Vec::new();
    let mut add = |spec: &str, l: Box<dyn Eval<T> + 'a>| out.push((spec.to_string(), l));
    // Distribution losses.
    add("ce", Box::new(CrossEntropy::new()));
    add("ce(weight=W)", Box::new(CrossEntropy::new().with_weight(w)));
    add(
        "ce(label_smoothing=0.1)",
        Box::new(CrossEntropy::new().with_label_smoothing(0.1)),
    );
    add(
        "ce(weight=W, label_smoothing=0.2, reduction=sum)",
        Box::new(
            CrossEntropy::new()
                .with_weight(w)
                .with_label_smoothing(0.2)
                .with_reduction(Reduction::Sum),
        ),
    );
    add(
        "wce(weight=W)",
        Box::new(WeightedCrossEntropy::new(ClassWeights::Given(w))),
    );
    add(
        "wce(inverse_frequency)",
        Box::new(WeightedCrossEntropy::new(ClassWeights::InverseFrequency)),
    );
    add(
        "wce(W, reduction=element_mean)",
        Box::new(
            WeightedCrossEntropy::new(ClassWeights::Given(w))
                .with_reduction(Reduction::ElementMean),
        ),
    );
    add("topk", Box::new(TopK::new(10.0)));
    add("topk(37)", Box::new(TopK::new(37.0)));
    add(
        "topk(k=100, reduction=sum)",
        Box::new(TopK::new(100.0).with_reduction(Reduction::Sum)),
    );
    add("topk_threshold(0.3)", Box::new(TopKThreshold::new(0.3)));
    add(
        "topk_threshold(t=0.7, reduction=sum)",
        Box::new(TopKThreshold::new(0.7).with_reduction(Reduction::Sum)),
    );
    add("focal", Box::new(Focal::new(2.0)));
    add("focal(0)", Box::new(Focal::new(0.0)));
    add("focal(gamma=0.5)", Box::new(Focal::new(0.5)));
    add(
        "focal(alpha=0.25)",
        Box::new(Focal::new(2.0).with_alpha(Alpha::Scalar(0.25))),
    );
    add(
        "focal(1.5, alpha=W, reduction=sum)",
        Box::new(
            Focal::new(1.5)
                .with_alpha(Alpha::PerClass(w))
                .with_reduction(Reduction::Sum),
        ),
    );
    add("dpce", Box::new(Dpce::new(p)));
    add(
        "dpce(reduction=sum)",
        Box::new(Dpce::new(p).with_reduction(Reduction::Sum)),
    );
    add("balanced_bce(0.3)", Box::new(BalancedBce::new(0.3)));
    add(
        "exp_log_ce(0.3, weight=W)",
        Box::new(ExpLogCe::new(0.3).with_weight(w)),
    );
    add("exp_log_ce(gamma=2)", Box::new(ExpLogCe::new(2.0)));
    // Region losses.
    add("dice", Box::new(Dice::new()));
    add(
        "dice(squared_pred=true, include_background=false)",
        Box::new(
            Dice::new()
                .with_squared_pred(true)
                .with_include_background(false),
        ),
    );
    add(
        "dice(jaccard=true, batch=true)",
        Box::new(Dice::new().with_jaccard(true).with_batch(true)),
    );
    add(
        "dice(log_dice=true, weight=W, reduction=sum)",
        Box::new(
            Dice::new()
                .with_log_dice(true)
                .with_weight(w)
                .with_reduction(Reduction::Sum),
        ),
    );
    add(
        "dice(smooth_nr=0, smooth_dr=0, empty=exclude)",
        Box::new(
            Dice::new()
                .with_smooth_nr(0.0)
                .with_smooth_dr(0.0)
                .with_empty(EmptyClass::Exclude),
        ),
    );
    add("iou", Box::new(Iou::new()));
    add(
        "tversky(alpha=0.3, beta=0.7)",
        Box::new(Tversky::new().with_alpha(0.3).with_beta(0.7)),
    );
    add(
        "focal_tversky(batch=true, gamma=1.33)",
        Box::new(FocalTversky::new().with_batch(true).with_gamma(1.33)),
    );
    add(
        "focal_tversky_mean(include_background=false)",
        Box::new(FocalTverskyMean::new().with_include_background(false)),
    );
    add("asym", Box::new(Asym::new()));
    add("gdice", Box::new(GeneralizedDice::new()));
    add(
        "gdice(w_type=simple, batch=true)",
        Box::new(
            GeneralizedDice::new()
                .with_w_type(GeneralizedDiceWType::Simple)
                .with_batch(true),
        ),
    );
    add(
        "gdice(w_type=uniform, include_background=false)",
        Box::new(
            GeneralizedDice::new()
                .with_w_type(GeneralizedDiceWType::Uniform)
                .with_include_background(false),
        ),
    );
    add(
        "pgdice(w_type=simple, k=3)",
        Box::new(
            PenaltyGeneralizedDice::new()
                .with_w_type(PenaltyGeneralizedDiceWType::Simple)
                .with_k(3.0),
        ),
    );
    add("ss", Box::new(SensitivitySpecificity::new()));
    add("mcc", Box::new(Mcc::new()));
    add("exp_log_dice", Box::new(ExpLogDice::new()));
    // Compounds and presets.
    add("dice_ce", Box::new(DiceCe::new()));
    add(
        "dice_ce(lambda_ce=0.7, ce=ce(weight=W))",
        Box::new(DiceCe {
            lambda_ce: 0.7,
            ce: CrossEntropy::new().with_weight(w),
            ..DiceCe::new()
        }),
    );
    add(
        "dice_ce(include_background=false, label_smoothing=0.1)",
        Box::new(DiceCe {
            dice: Dice::new().with_include_background(false),
            ce: CrossEntropy::new().with_label_smoothing(0.1),
            ..DiceCe::new()
        }),
    );
    add(
        "dice_focal(batch=true)",
        Box::new(DiceFocal {
            dice: Dice::new().with_batch(true),
            ..DiceFocal::new()
        }),
    );
    add(
        "dice_focal(gamma=1)",
        Box::new(DiceFocal {
            focal: Focal::new(1.0).with_reduction(Reduction::ElementMean),
            ..DiceFocal::new()
        }),
    );
    add(
        "dice_focal(focal=focal(gamma=1))",
        Box::new(DiceFocal {
            focal: Focal::new(1.0),
            ..DiceFocal::new()
        }),
    );
    add(
        "dice_topk(lambda_topk=2)",
        Box::new(DiceTopK {
            lambda_topk: 2.0,
            ..DiceTopK::new()
        }),
    );
    add("combo(0.6, 0.3)", Box::new(Combo::new(0.6, 0.3)));
    add("ell", Box::new(Ell::new()));
    add(
        "ell(gamma_dice=0.5, gamma_ce=0.7, w_ce=0.4)",
        Box::new(Ell {
            w_ce: 0.4,
            ..Ell::new().with_gammas(0.5, 0.7)
        }),
    );
    add(
        "nnunet_dc_and_ce(true, false)",
        Box::new(nnunet::dc_and_ce(true, false)),
    );
    add(
        "nnunet_dice(batch_dice=false, do_bg=true)",
        Box::new(nnunet::soft_dice(false, true)),
    );
    add("smp_dice", Box::new(smp::dice()));
    add("paper_dice", Box::new(paper::soft_dice()));
    add("paper_focal_tversky", Box::new(paper::focal_tversky()));
    add("monai_focal(2)", Box::new(monai::focal(2.0)));
    add(
        "0.7*dice + 0.3*ce",
        Box::new(Mixed {
            dice: Dice::new(),
            ce: CrossEntropy::new(),
        }),
    );
    add(
        "0.7*dice(include_background=false, batch=true) + 0.3*ce(weight=W)",
        Box::new(Mixed {
            dice: Dice::new().with_include_background(false).with_batch(true),
            ce: CrossEntropy::new().with_weight(w),
        }),
    );
    add(
        "0.5*dice_ce + 0.25*focal_tversky(batch=true) + 2*topk(20) - 0.1*iou + 0.2*gdice",
        Box::new(Everything {
            dice_ce: DiceCe::new(),
            ft: FocalTversky::new().with_batch(true),
            topk: TopK::new(20.0),
            iou: Iou::new(),
            gdice: GeneralizedDice::new(),
        }),
    );
    out
}

fn spec_text(spec: &str, weights: &[f64]) -> String {
    let list: Vec<String> = weights.iter().map(|w| format!("{w:?}")).collect();
    spec.replace('W', &format!("[{}]", list.join(", ")))
}

/// One batch configuration.
struct Config {
    name: &'static str,
    classes: usize,
    spatial: &'static [usize],
    activation: Activation,
    layout: Layout,
    dense: bool,
    ignore: bool,
    mask: bool,
}

const CONFIGS: &[Config] = &[
    Config {
        name: "softmax labels ignore mask",
        classes: 3,
        spatial: &[6, 7],
        activation: Activation::Softmax,
        layout: Layout::ChannelFirst,
        dense: false,
        ignore: true,
        mask: true,
    },
    Config {
        name: "softmax channel-last 3d",
        classes: 4,
        spatial: &[3, 4, 5],
        activation: Activation::Softmax,
        layout: Layout::ChannelLast,
        dense: false,
        ignore: false,
        mask: false,
    },
    Config {
        name: "sigmoid dense",
        classes: 3,
        spatial: &[29],
        activation: Activation::Sigmoid,
        layout: Layout::ChannelFirst,
        dense: true,
        ignore: false,
        mask: true,
    },
    Config {
        name: "binary sigmoid",
        classes: 1,
        spatial: &[9, 5],
        activation: Activation::Sigmoid,
        layout: Layout::ChannelFirst,
        dense: false,
        ignore: true,
        mask: false,
    },
    Config {
        name: "probabilities",
        classes: 3,
        spatial: &[4, 6],
        activation: Activation::Identity,
        layout: Layout::ChannelFirst,
        dense: false,
        ignore: false,
        mask: false,
    },
];

struct Batch<T> {
    shape: Shape,
    pred: Vec<T>,
    labels: Vec<i32>,
    dense: Vec<T>,
    mask: Vec<bool>,
}

fn batch<T: Real>(cfg: &Config, rng: &mut Rng) -> Batch<T> {
    let shape = Shape::new(2, cfg.classes, cfg.spatial).unwrap();
    let c = cfg.classes;
    let px = shape.pixels();
    let mut pred: Vec<T> = (0..shape.elements())
        .map(|_| T::of(2.0 * rng.normal()))
        .collect();
    if cfg.activation == Activation::Identity {
        // Softmax over channel-first classes: valid categorical probabilities.
        let per = shape.pixels_per_sample();
        for b in 0..2 {
            for k in 0..per {
                let at = |cl: usize| (b * c + cl) * per + k;
                let e: Vec<f64> = (0..c).map(|cl| pred[at(cl)].wide().exp()).collect();
                let s: f64 = e.iter().sum();
                for (cl, x) in e.iter().enumerate() {
                    pred[at(cl)] = T::of(x / s);
                }
            }
        }
    }
    let limit = if c == 1 { 2 } else { c };
    let labels: Vec<i32> = (0..px)
        .map(|_| {
            if cfg.ignore && rng.uniform() < 0.1 {
                255
            } else {
                rng.below(limit) as i32
            }
        })
        .collect();
    let dense: Vec<T> = (0..shape.elements())
        .map(|_| T::of(rng.uniform()))
        .collect();
    let mask: Vec<bool> = (0..px).map(|_| rng.uniform() > 0.15).collect();
    Batch {
        shape,
        pred,
        labels,
        dense,
        mask,
    }
}

fn input<'a, T: Real>(cfg: &Config, b: &'a Batch<T>) -> Input<'a, T> {
    let target = if cfg.dense {
        Target::dense(&b.dense[..])
    } else if cfg.ignore {
        Target::labels(&b.labels[..]).with_ignore_index(255)
    } else {
        Target::labels(&b.labels[..])
    };
    let mut input = Input::new(&b.pred, b.shape, target)
        .unwrap()
        .with_activation(cfg.activation)
        .with_layout(cfg.layout);
    if cfg.mask {
        input = input.with_mask(&b.mask).unwrap();
    }
    input
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

#[test]
fn every_spec_equals_its_rust_loss_in_value_and_gradient() {
    let mut rng = Rng::new(20240611);
    let mut checked = 0;
    for cfg in CONFIGS {
        let b = batch::<f64>(cfg, &mut rng);
        let input = input(cfg, &b);
        let data = LossData::<f64>::new(cfg.classes, b.shape.pixels(), &mut rng);
        let ctx = BuildContext {
            penalty: Some(&data.penalty[..]),
            spacing: None,
        };
        for (text, rust) in pairs(&data) {
            let text = spec_text(&text, &data.weights);
            let spec = Spec::parse(&text).unwrap_or_else(|e| panic!("{text}:\n{e}"));
            let fused = spec.build(&ctx).unwrap();
            let mut ws = vec![0.0; Loss::<f64>::workspace_len(&fused, &b.shape)];
            let (mut g_rust, mut g_spec) = (vec![0.0; b.pred.len()], vec![0.0; b.pred.len()]);
            let v_rust = rust.value_grad(&input, &mut g_rust).unwrap();
            let v_spec = engine::forward_backward(&fused, &input, &mut ws, &mut g_spec).unwrap();
            let at = format!("{text} [{}]", cfg.name);
            assert!(
                (v_rust - v_spec).abs() <= 1e-12 * v_rust.abs().max(1.0),
                "{at}: value {v_spec} vs Rust {v_rust}"
            );
            let scale = max_abs(&g_rust).max(1.0);
            for (i, (a, s)) in g_rust.iter().zip(&g_spec).enumerate() {
                assert!(
                    (a - s).abs() <= 1e-12 * scale,
                    "{at}: gradient[{i}] {s} vs Rust {a}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 55 * CONFIGS.len(), "{checked}");
}

#[test]
fn member_values_are_the_members_alone() {
    let cfg = &CONFIGS[0];
    let mut rng = Rng::new(7);
    let b = batch::<f64>(cfg, &mut rng);
    let input = input(cfg, &b);
    let spec =
        Spec::parse("0.7*dice(batch=true) + 0.3*ce(ignore_index=255) + 0.5*iou + 2*topk(25)")
            .unwrap();
    let fused = spec.build::<f64>(&BuildContext::default()).unwrap();
    let mut ws = vec![0.0; Loss::<f64>::workspace_len(&fused, &b.shape)];
    let mut stats = Default::default();
    engine::accumulate(&fused, &input, &mut stats, &mut ws).unwrap();
    let done = fused.finalize(&stats, &mut ws);
    let values = fused.member_values(&done.coef);
    let alone = [
        Dice::new().with_batch(true).value(&input).unwrap(),
        CrossEntropy::new().value(&input).unwrap(),
        Iou::new().value(&input).unwrap(),
        TopK::new(25.0).value(&input).unwrap(),
    ];
    for ((v, a), m) in values.iter().zip(alone).zip(spec.members()) {
        assert!((v - a).abs() < 1e-12, "{}: {v} vs {a}", m.label);
    }
    let total: f64 = values
        .iter()
        .zip(spec.members())
        .map(|(v, m)| m.weight * v)
        .sum();
    assert!((total - done.value).abs() < 1e-12);
}

#[test]
fn f32_specs_agree_with_the_rust_losses() {
    let cfg = &CONFIGS[0];
    let mut rng = Rng::new(99);
    let b = batch::<f32>(cfg, &mut rng);
    let input = input(cfg, &b);
    let data = LossData::<f32>::new(cfg.classes, b.shape.pixels(), &mut rng);
    let ctx = BuildContext {
        penalty: Some(&data.penalty[..]),
        spacing: None,
    };
    for (text, rust) in pairs(&data) {
        let text = spec_text(&text, &data.weights);
        let spec = Spec::parse(&text).unwrap();
        let fused = spec.build(&ctx).unwrap();
        let mut ws = vec![0.0f32; Loss::<f32>::workspace_len(&fused, &b.shape)];
        let (mut g_rust, mut g_spec) = (vec![0.0f32; b.pred.len()], vec![0.0f32; b.pred.len()]);
        let v_rust = rust.value_grad(&input, &mut g_rust).unwrap();
        let v_spec = engine::forward_backward(&fused, &input, &mut ws, &mut g_spec).unwrap();
        assert!(
            (v_rust - v_spec).abs() <= 1e-9 * v_rust.abs().max(1.0),
            "{text}: {v_spec} vs {v_rust}"
        );
        let scale = g_rust.iter().fold(1.0f32, |m, x| m.max(x.abs()));
        for (a, s) in g_rust.iter().zip(&g_spec) {
            // Region members' coefficients are summed in f64 before the f32 write.
            assert!((a - s).abs() <= 1e-6 * scale, "{text}: {s} vs {a}");
        }
    }
}

#[test]
fn check_errors_point_at_the_member_and_argument() {
    let cfg = &CONFIGS[0];
    let mut rng = Rng::new(3);
    let b = batch::<f64>(cfg, &mut rng);
    let input = input(cfg, &b);
    for (text, needle, column) in [
        (
            "dice + focal(gamma=-1)",
            "`focal`: parameter `gamma` must be in [0, 1e8]",
            20,
        ),
        (
            "ce(weight=[1, 2])",
            "2 class weights given for 3 classes",
            11,
        ),
        ("0.5*tversky(alpha=-0.5)", "parameter `alpha`", 19),
        ("tversky(alpha=0.3, beta=-1)", "(`beta >= 0` fails)", 25),
        ("ss(w=2)", "(`w <= 1` fails)", 6),
        ("dice_ce(ce=ce(label_smoothing=2))", "`dice_ce.ce`", 31),
        ("topk(0)", "parameter `k` must be in (0, 100]", 6),
    ] {
        let spec = Spec::parse(text).unwrap();
        let fused = spec.build::<f64>(&BuildContext::default()).unwrap();
        let (i, e) = fused.check_members(&input).unwrap_err();
        let err = spec.explain(i, &e);
        assert!(err.message.contains(needle), "{text}: {err}");
        assert_eq!(err.column(), column, "{text}: {err}");
    }
    let spec = Spec::parse("dpce").unwrap();
    let err = spec.build::<f64>(&BuildContext::default()).unwrap_err();
    assert!(err.message.contains("--penalty"), "{err}");
}

#[test]
fn runtime_statistics_merge_across_sample_views() {
    // Data-parallel use: each device accumulates its samples, the statistics are merged
    // (empty member slots adopt the other side), and finalize gives the whole batch's loss.
    let cfg = &CONFIGS[0];
    let mut rng = Rng::new(11);
    let b = batch::<f64>(cfg, &mut rng);
    let input = input(cfg, &b);
    let spec = Spec::parse(
        "0.5*dice_ce + 0.3*focal_tversky(batch=true) + wce(inverse_frequency) + focal(alpha=0.25)",
    )
    .unwrap();
    let fused = spec.build::<f64>(&BuildContext::default()).unwrap();
    let whole = engine::forward(&fused, &input, &mut []).unwrap();
    let (mut first, mut second) = (Default::default(), Default::default());
    engine::accumulate(&fused, &input.samples(0..1).unwrap(), &mut first, &mut []).unwrap();
    engine::accumulate(&fused, &input.samples(1..2).unwrap(), &mut second, &mut []).unwrap();
    let mut merged: segloss_std::runtime::CompoundStats = Default::default();
    merged.merge(&second);
    merged.merge(&first);
    let done = fused.finalize(&merged, &mut []);
    assert!(
        (done.value - whole).abs() < 1e-12,
        "{} vs {whole}",
        done.value
    );
    let (mut g_whole, mut g_merged) = (vec![0.0; b.pred.len()], vec![0.0; b.pred.len()]);
    engine::forward_backward(&fused, &input, &mut [], &mut g_whole).unwrap();
    engine::backward(&fused, &input, &done.coef, &mut g_merged).unwrap();
    for (a, m) in g_whole.iter().zip(&g_merged) {
        assert!((a - m).abs() < 1e-12, "{a} vs {m}");
    }
}
