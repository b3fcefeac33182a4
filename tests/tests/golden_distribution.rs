//! Every distribution loss against PyTorch/MONAI golden vectors (tests/golden/distribution.json,
//! written by scripts/golden/gen_distribution.py): f64 to 1e-9 relative, f32 to 1e-5.

mod common;

use common::golden::{check_file, Case, CaseData};
use common::Eval;
use segloss::losses::{
    Alpha, ClassWeights, CrossEntropy, Dpce, Focal, Reduction, TopK, TopKThreshold,
    WeightedCrossEntropy,
};
use segloss::Real;

/// The reduction of a case.
pub fn reduction(case: &Case) -> Reduction {
    match case.text("reduction") {
        "mean" => Reduction::Mean,
        _ => Reduction::Sum,
    }
}

fn loss_for<'a, T: Real>(case: &'a Case, data: &'a CaseData<T>) -> Box<dyn Eval<T> + 'a> {
    let red = reduction(case);
    match case.loss.as_str() {
        "ce" => {
            let mut ce = CrossEntropy::new()
                .with_label_smoothing(case.num("label_smoothing"))
                .with_reduction(red);
            if let Some(w) = case.list("weight") {
                ce = ce.with_weight(w);
            }
            Box::new(ce)
        }
        "wce" => Box::new(
            WeightedCrossEntropy::new(match case.list("weight") {
                Some(w) => ClassWeights::Given(w),
                None => ClassWeights::InverseFrequency,
            })
            .with_reduction(red),
        ),
        "topk" => Box::new(TopK::new(case.num("k")).with_reduction(red)),
        "topk_threshold" => Box::new(TopKThreshold::new(case.num("t")).with_reduction(red)),
        "focal" => {
            let alpha = match (case.list("alpha"), case.params["alpha"].as_f64()) {
                (Some(a), _) => Alpha::PerClass(a),
                (None, Some(a)) => Alpha::Scalar(a),
                (None, None) => Alpha::None,
            };
            Box::new(
                Focal::new(case.num("gamma"))
                    .with_alpha(alpha)
                    .with_reduction(red),
            )
        }
        "dpce" => Box::new(Dpce::new(&data.penalty[..]).with_reduction(red)),
        other => panic!("unknown loss {other}"),
    }
}

#[test]
fn distribution_losses_match_pytorch_and_monai() {
    check_file("distribution.json", 80, loss_for::<f64>, loss_for::<f32>);
}
