//! Every region loss, compound and preset against MONAI / PyTorch golden vectors
//! (tests/golden/region.json, written by scripts/golden/gen_region.py): f64 to 1e-9
//! relative, f32 to 1e-5.

mod common;

use common::golden::{check_file, Case, CaseData};
use common::Eval;
use segloss::losses::{
    Alpha, Asym, Combo, CrossEntropy, Dice, DiceCe, DiceFocal, DiceTopK, Ell, Focal, FocalTversky,
    FocalTverskyMean, GeneralizedDice, GeneralizedDiceWType, Iou, Mcc, PenaltyGeneralizedDice,
    PenaltyGeneralizedDiceWType, Reduction, SensitivitySpecificity, TopK, Tversky,
};
use segloss::presets::{nnunet, paper, smp, NnunetDiceCe, SmpDice, SoftDice};
use segloss::Real;

fn reduction(case: &Case) -> Reduction {
    match case.text("reduction") {
        "mean" => Reduction::Mean,
        _ => Reduction::Sum,
    }
}

/// Applies the aggregation options every region loss shares.
macro_rules! aggregated {
    ($case:expr, $loss:expr) => {{
        let case: &Case = $case;
        let loss = $loss
            .with_include_background(case.flag("include_background"))
            .with_batch(case.flag("batch"))
            .with_reduction(reduction(case));
        match case.list("weight") {
            Some(w) => loss.with_weight(w),
            None => loss,
        }
    }};
}

fn dice<'a>(case: &'a Case) -> Dice<'a> {
    let dice = Dice::new()
        .with_smooth_nr(case.num("smooth_nr"))
        .with_smooth_dr(case.num("smooth_dr"))
        .with_squared_pred(case.flag("squared_pred"))
        .with_jaccard(case.flag("jaccard"));
    let dice = match case.params["log_dice"].as_bool() {
        Some(l) => dice.with_log_dice(l),
        None => dice,
    };
    aggregated!(case, dice)
}

fn gdice_weight(case: &Case) -> GeneralizedDiceWType {
    match case.text("w_type") {
        "square" => GeneralizedDiceWType::Square,
        "simple" => GeneralizedDiceWType::Simple,
        _ => GeneralizedDiceWType::Uniform,
    }
}

fn loss_for<'a, T: Real>(case: &'a Case, _: &'a CaseData<T>) -> Box<dyn Eval<T> + 'a> {
    let smooth = |l: &str| case.num(l);
    match case.loss.as_str() {
        "dice" => Box::new(dice(case)),
        "iou" => Box::new(aggregated!(
            case,
            Iou::new()
                .with_smooth_nr(smooth("smooth_nr"))
                .with_smooth_dr(smooth("smooth_dr"))
        )),
        "tversky" => Box::new(aggregated!(
            case,
            Tversky::new()
                .with_alpha(case.num("alpha"))
                .with_beta(case.num("beta"))
                .with_smooth_nr(smooth("smooth_nr"))
                .with_smooth_dr(smooth("smooth_dr"))
        )),
        "focal_tversky" => Box::new(aggregated!(
            case,
            FocalTversky::new()
                .with_alpha(case.num("alpha"))
                .with_beta(case.num("beta"))
                .with_gamma(case.num("gamma"))
                .with_smooth_nr(smooth("smooth_nr"))
                .with_smooth_dr(smooth("smooth_dr"))
        )),
        "focal_tversky_mean" => Box::new(aggregated!(
            case,
            FocalTverskyMean::new()
                .with_alpha(case.num("alpha"))
                .with_beta(case.num("beta"))
                .with_gamma(case.num("gamma"))
                .with_smooth_nr(smooth("smooth_nr"))
                .with_smooth_dr(smooth("smooth_dr"))
        )),
        "asym" => Box::new(aggregated!(
            case,
            Asym::new()
                .with_beta(case.num("beta"))
                .with_smooth_nr(smooth("smooth_nr"))
                .with_smooth_dr(smooth("smooth_dr"))
        )),
        "gdice" => Box::new(aggregated!(
            case,
            GeneralizedDice::new()
                .with_w_type(gdice_weight(case))
                .with_smooth_nr(smooth("smooth_nr"))
                .with_smooth_dr(smooth("smooth_dr"))
        )),
        "pgdice" => {
            let w = match gdice_weight(case) {
                GeneralizedDiceWType::Square => PenaltyGeneralizedDiceWType::Square,
                GeneralizedDiceWType::Simple => PenaltyGeneralizedDiceWType::Simple,
                GeneralizedDiceWType::Uniform => PenaltyGeneralizedDiceWType::Uniform,
            };
            Box::new(aggregated!(
                case,
                PenaltyGeneralizedDice::new()
                    .with_w_type(w)
                    .with_k(case.num("k"))
                    .with_smooth_nr(smooth("smooth_nr"))
                    .with_smooth_dr(smooth("smooth_dr"))
            ))
        }
        "ss" => Box::new(aggregated!(
            case,
            SensitivitySpecificity::new()
                .with_w(case.num("w"))
                .with_smooth_dr(smooth("smooth_dr"))
        )),
        "mcc" => Box::new(aggregated!(
            case,
            Mcc::new().with_smooth_dr(smooth("smooth_dr"))
        )),
        "dice_ce" => {
            let ce = match case.list("ce_weight") {
                Some(w) => CrossEntropy::new().with_weight(w),
                None => CrossEntropy::new(),
            };
            Box::new(DiceCe {
                dice: dice(case),
                ce,
                lambda_dice: case.num("lambda_dice"),
                lambda_ce: case.num("lambda_ce"),
            })
        }
        "dice_focal" => {
            let alpha = match (case.list("alpha"), case.params["alpha"].as_f64()) {
                (Some(a), _) => Alpha::PerClass(a),
                (None, Some(a)) => Alpha::Scalar(a),
                (None, None) => Alpha::None,
            };
            let focal = Focal::new(case.num("gamma"))
                .with_alpha(alpha)
                .with_reduction(Reduction::ElementMean)
                .with_include_background(case.flag("include_background"));
            Box::new(DiceFocal {
                dice: dice(case),
                focal: match case.list("weight") {
                    Some(w) => focal.with_weight(w),
                    None => focal,
                },
                lambda_dice: case.num("lambda_dice"),
                lambda_focal: case.num("lambda_focal"),
            })
        }
        "dice_topk" => Box::new(DiceTopK {
            dice: dice(case),
            topk: TopK::new(case.num("k")),
            lambda_dice: case.num("lambda_dice"),
            lambda_topk: case.num("lambda_topk"),
        }),
        "combo" => Box::new(Combo {
            dice: dice(case),
            ..Combo::new(case.num("alpha"), case.num("beta"))
        }),
        "ell" => {
            let ell = Ell::new().with_gammas(case.num("gamma_dice"), case.num("gamma_ce"));
            Box::new(Ell {
                dice: aggregated!(
                    case,
                    ell.dice
                        .with_smooth_nr(smooth("smooth_nr"))
                        .with_smooth_dr(smooth("smooth_dr"))
                ),
                w_dice: case.num("w_dice"),
                w_ce: case.num("w_ce"),
                ..ell
            })
        }
        "nnunet_dice" => Box::new(
            nnunet::soft_dice(case.flag("batch"), case.flag("include_background"))
                .with_smooth(case.num("smooth")),
        ),
        "nnunet_dice_ce" => Box::new(NnunetDiceCe {
            dice: nnunet::soft_dice(case.flag("batch"), case.flag("include_background"))
                .with_smooth(case.num("smooth")),
            weight_dice: case.num("weight_dice"),
            weight_ce: case.num("weight_ce"),
            ..nnunet::dc_and_ce(false, true)
        }),
        "smp_dice" => Box::new(smp::dice().with_smooth(case.num("smooth"))),
        "paper_dice" => Box::new(paper::soft_dice().with_smooth(case.num("smooth"))),
        other => panic!("unknown loss {other}"),
    }
}

#[test]
fn region_losses_match_monai_and_reference_formulas() {
    check_file("region.json", 100, loss_for::<f64>, loss_for::<f32>);
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
