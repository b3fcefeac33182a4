//! Every loss of the catalogue as a test subject: each entry with its required parameters
//! (canonical values) and a spread of options, as spec text, built both ways the library
//! offers: the typed loss of its [`Configure`] (leaves), and the run-time fused
//! [`Compound`](segloss_std::runtime::Compound) of its spec (every entry).
//!
//! The list comes from `segloss::catalogue::CATALOGUE`, so a loss the core adds is a test
//! subject of every test that walks the catalogue, with no edit here.

use crate::eval::{Dispatch, Eval};
use segloss::catalogue::{self, Configure, Describe, Descriptor, Kind, Param, ParamDefault, Value};
use segloss::losses::{
    Alpha, CrossEntropy, Dice, DiceCe, DiceFocal, Dpce, Focal, GeneralizedDice, Reduction, TopK,
    Tversky,
};
use segloss::rng::SplitMix64;
use segloss::{Error, Real};
use segloss_std::spec::{BuildContext, Spec, SpecError};

/// Borrowed data some losses take: per-class weights and a per-pixel penalty map.
#[derive(Clone, Debug)]
pub struct LossData<T> {
    /// One weight per class, `0.5 + 0.75 c`.
    pub weights: Vec<f64>,
    /// A penalty map of `pixels` entries in `[0, 3)`.
    pub penalty: Vec<T>,
}

impl<T: Real> LossData<T> {
    /// Weights for `classes` classes and a penalty map of `pixels` random entries.
    pub fn new(classes: usize, pixels: usize, rng: &mut SplitMix64) -> Self {
        LossData {
            weights: (0..classes).map(|c| 0.5 + c as f64 * 0.75).collect(),
            penalty: (0..pixels).map(|_| T::of(3.0 * rng.uniform())).collect(),
        }
    }

    /// What building a spec takes from the data: the penalty map.
    pub fn context(&self) -> BuildContext<'_, T> {
        BuildContext {
            penalty: Some(&self.penalty),
            spacing: None,
        }
    }
}

/// A loss under test.
pub struct Subject<'a, T> {
    /// What it is: its spec, or `typed <spec>` for the typed loss of a one-leaf spec.
    pub name: String,
    /// The loss.
    pub loss: Box<dyn Eval<T> + 'a>,
    /// True when the loss has steps or kinks ([`Descriptor::piecewise`]).
    pub piecewise: bool,
}

/// A spread of options over the catalogue, as spec templates: `W` stands for one weight per
/// class. Every catalogue entry is a subject besides these, with its defaults.
pub const VARIANTS: &[&str] = &[
    "ce(weight=W)",
    "ce(label_smoothing=0.1)",
    "ce(weight=W, label_smoothing=0.2, reduction=sum)",
    "wce(inverse_frequency)",
    "wce(weight=W, reduction=sum)",
    "topk(37)",
    "topk(100, reduction=sum)",
    "topk_threshold(0.7, reduction=sum)",
    "focal(0)",
    "focal(0.5)",
    "focal(2, alpha=0.25)",
    "focal(1.5, alpha=W, reduction=sum)",
    "focal(2, include_background=false, weight=W, reduction=element_mean)",
    "dpce(reduction=sum)",
    "exp_log_ce(0.3, weight=W)",
    "exp_log_ce(2)",
    "dice(squared_pred=true, include_background=false)",
    "dice(jaccard=true, batch=true)",
    "dice(log_dice=true, weight=W, reduction=sum)",
    "dice(empty=exclude, smooth_nr=0, smooth_dr=0)",
    "tversky(alpha=0.3, beta=0.7)",
    "focal_tversky(batch=true)",
    "focal_tversky_mean(include_background=false)",
    "gdice(w_type=simple, batch=true)",
    "gdice(w_type=uniform, include_background=false)",
    "pgdice(w_type=simple)",
    "boundary(include_background=true, spacing=SP)",
    "hausdorff(alpha=1, spacing=SP)",
    "hausdorff(log=true, include_background=true)",
    "dice_ce(lambda_ce=0.7, ce=ce(weight=W))",
    "dice_focal(dice=dice(batch=true))",
    "dice_topk(lambda_topk=2)",
    "combo(0.6, 0.3)",
    "dice_boundary(epoch=40)",
    "dice_hausdorff(schedule=kervadec, epoch=3)",
    "0.5*dice + 0.5*focal(gamma=1)",
];

/// The canonical value of a required parameter: what a test gives a loss that has no
/// default for it.
fn canonical(p: &Param, weights: &[f64]) -> String {
    match p.kind {
        Kind::Number => match p.name {
            "t" => "0.5".into(),
            "beta" => "0.3".into(),
            "alpha" => "0.4".into(),
            _ => "0.5".into(),
        },
        Kind::Integer => "0".into(),
        Kind::Bool => "false".into(),
        Kind::Choice(c) => c.first().map_or_else(String::new, |w| (*w).into()),
        Kind::List | Kind::NumberOrList | Kind::ListOr(_) => list(weights),
        Kind::Map => String::new(),
    }
}

fn list(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|w| format!("{w:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// The spec of catalogue entry `d` with its required parameters given canonical values.
pub fn canonical_spec(d: &Descriptor, weights: &[f64]) -> String {
    let required: Vec<String> = d
        .params
        .iter()
        .filter(|p| p.default == ParamDefault::Required && p.kind != Kind::Map)
        .map(|p| format!("{}={}", p.name, canonical(p, weights)))
        .collect();
    if required.is_empty() {
        d.name.to_string()
    } else {
        format!("{}({})", d.name, required.join(", "))
    }
}

/// Every visible catalogue entry (canonical) and every variant, for `classes` classes and
/// `rank` spatial axes (the variants' `SP` is a spacing of that rank).
pub fn spec_texts(classes: usize, rank: usize) -> Vec<String> {
    let weights: Vec<f64> = (0..classes).map(|c| 0.5 + c as f64 * 0.75).collect();
    let spacing: Vec<f64> = (0..rank).map(|a| 0.75 + 0.5 * a as f64).collect();
    let visible = catalogue::CATALOGUE.iter().filter(|d| !d.hidden);
    let mut out: Vec<String> = visible.map(|d| canonical_spec(d, &weights)).collect();
    out.extend(VARIANTS.iter().map(|v| {
        v.replace('W', &list(&weights))
            .replace("SP", &list(&spacing))
    }));
    out
}

/// [`spec_texts`] parsed.
pub fn specs(classes: usize, rank: usize) -> Vec<Spec> {
    spec_texts(classes, rank)
        .iter()
        .map(|t| Spec::parse(t).unwrap_or_else(|e| panic!("{t}: {e}")))
        .collect()
}

/// [`specs`] for batches of `shape`.
pub fn specs_for(shape: segloss::Shape) -> Vec<Spec> {
    specs(shape.classes(), shape.spatial().len())
}

/// True when a member of `spec` is [`Descriptor::piecewise`].
pub fn piecewise(spec: &Spec) -> bool {
    (0..spec.members().len())
        .filter_map(|i| spec.member_params::<f64>(i))
        .any(|(d, _)| d.piecewise)
}

/// Declares the typed leaf builder from the catalogue's list.
macro_rules! typed_leaf {
    (
        distribution { $($dv:ident($dt:ty, $ds:ty)),* $(,)? }
        region { $($rv:ident($rt:ty, $rs:ty)),* $(,)? }
        boundary { $($bv:ident($bt:ty, $bs:ty)),* $(,)? }
        compound { $($ct:ty),* $(,)? }
        preset { $($p:path),* $(,)? }
    ) => {
        /// The typed loss of leaf `name` built from `given`; `None` for a name that is no
        /// leaf.
        fn typed_leaf<'a, T: Real>(
            name: &str,
            given: &[(&str, Value<'a, T>)],
        ) -> Option<Result<Box<dyn Eval<T> + 'a>, Error>> {
            $(
                if name == <$ds as Describe>::DESCRIPTOR.name {
                    return Some(<$dt as Configure<'a, T>>::from_params(given).map(|l| Box::new(l) as Box<dyn Eval<T> + 'a>));
                }
            )*
            $(
                if name == <$rs as Describe>::DESCRIPTOR.name {
                    return Some(<$rt as Configure<'a, T>>::from_params(given).map(|l| Box::new(l) as Box<dyn Eval<T> + 'a>));
                }
            )*
            $(
                if name == <$bs as Describe>::DESCRIPTOR.name {
                    return Some(<$bt as Configure<'a, T>>::from_params(given).map(|l| Box::new(l) as Box<dyn Eval<T> + 'a>));
                }
            )*
            None
        }

        /// Every compound of the catalogue as its Rust type with its defaults, with the
        /// catalogue name of each.
        pub fn typed_compounds_f64() -> Vec<(&'static str, Box<dyn Eval<f64>>)> {
            vec![$((
                <$ct as Describe>::DESCRIPTOR.name,
                Box::new(<$ct>::default()) as Box<dyn Eval<f64>>,
            )),*]
        }
    };
}
segloss::with_catalogue!(typed_leaf);

/// The typed loss of a one-leaf `spec` (its member's [`Configure`], with the data's maps);
/// `None` for a spec of several members or of a weighted member.
fn typed_of<'a, T: Real>(
    spec: &'a Spec,
    data: &'a LossData<T>,
) -> Option<Result<Box<dyn Eval<T> + 'a>, Error>> {
    let members = spec.members();
    let [member] = &members[..] else { return None };
    if member.weight != 1.0 {
        return None;
    }
    let (d, mut given) = spec.member_params::<T>(0)?;
    if d.params
        .iter()
        .any(|p| p.kind == Kind::Map && p.name == "penalty")
    {
        given.push(("penalty", Value::Map(&data.penalty)));
    }
    typed_leaf(d.name, &given)
}

fn typed<'a, T: Real>(specs: &'a [Spec], data: &'a LossData<T>) -> Vec<Subject<'a, T>> {
    let mut out = Vec::new();
    for spec in specs {
        if let Some(loss) = typed_of(spec, data) {
            let loss = loss.unwrap_or_else(|e| panic!("typed {}: {e}", spec.text()));
            out.push(Subject {
                name: format!("typed {}", spec.text()),
                loss,
                piecewise: piecewise(spec),
            });
        }
    }
    out
}

fn runtime<'a, T: Real>(
    specs: &'a [Spec],
    data: &'a LossData<T>,
) -> Vec<(String, Box<dyn Dispatch<T> + 'a>)> {
    specs
        .iter()
        .map(|spec| {
            let loss = spec
                .build(&data.context())
                .unwrap_or_else(|e| panic!("{}: {e}", spec.text()));
            (
                spec.text().to_string(),
                Box::new(loss) as Box<dyn Dispatch<T> + 'a>,
            )
        })
        .collect()
}

/// The typed loss of every one-leaf spec of `specs`.
pub fn typed_f64<'a>(specs: &'a [Spec], data: &'a LossData<f64>) -> Vec<Subject<'a, f64>> {
    typed(specs, data)
}

/// [`typed_f64`] in `f32`.
pub fn typed_f32<'a>(specs: &'a [Spec], data: &'a LossData<f32>) -> Vec<Subject<'a, f32>> {
    typed(specs, data)
}

/// Every spec of `specs` built into its fused run-time loss.
pub fn runtime_f64<'a>(
    specs: &'a [Spec],
    data: &'a LossData<f64>,
) -> Vec<(String, Box<dyn Dispatch<f64> + 'a>)> {
    runtime(specs, data)
}

/// [`runtime_f64`] in `f32`.
pub fn runtime_f32<'a>(
    specs: &'a [Spec],
    data: &'a LossData<f32>,
) -> Vec<(String, Box<dyn Dispatch<f32> + 'a>)> {
    runtime(specs, data)
}

fn subjects<'a, T: Real>(specs: &'a [Spec], data: &'a LossData<T>) -> Vec<Subject<'a, T>> {
    let mut out = typed(specs, data);
    for (spec, (name, loss)) in specs.iter().zip(runtime(specs, data)) {
        out.push(Subject {
            name,
            loss,
            piecewise: piecewise(spec),
        });
    }
    out
}

/// Every subject of `specs` for the portable engine: the typed loss of each one-leaf spec
/// and the run-time loss of every spec.
pub fn subjects_f64<'a>(specs: &'a [Spec], data: &'a LossData<f64>) -> Vec<Subject<'a, f64>> {
    subjects(specs, data)
}

/// [`subjects_f64`] in `f32`.
pub fn subjects_f32<'a>(specs: &'a [Spec], data: &'a LossData<f32>) -> Vec<Subject<'a, f32>> {
    subjects(specs, data)
}

/// The typed leaf `name` from `given` in `f64` (`None`: no such leaf).
pub fn typed_leaf_f64<'a>(
    name: &str,
    given: &[(&str, Value<'a, f64>)],
) -> Option<Result<Box<dyn Eval<f64> + 'a>, Error>> {
    typed_leaf(name, given)
}

/// [`typed_leaf_f64`] in `f32`.
pub fn typed_leaf_f32<'a>(
    name: &str,
    given: &[(&str, Value<'a, f32>)],
) -> Option<Result<Box<dyn Eval<f32> + 'a>, Error>> {
    typed_leaf(name, given)
}

/// A spec built into its run-time loss, in `f64`.
pub fn build_f64<'a>(
    spec: &'a Spec,
    ctx: &BuildContext<'a, f64>,
) -> Result<Box<dyn Dispatch<f64> + 'a>, SpecError> {
    Ok(Box::new(spec.build(ctx)?))
}

/// [`build_f64`] in `f32`.
pub fn build_f32<'a>(
    spec: &'a Spec,
    ctx: &BuildContext<'a, f32>,
) -> Result<Box<dyn Dispatch<f32> + 'a>, SpecError> {
    Ok(Box::new(spec.build(ctx)?))
}

/// The typed losses whose dispatch (instruction-set levels, thread pools) the tests compare
/// with the portable engine, besides every run-time loss: those of the fused kernel, with
/// options, TopK and DPCE (a workspace, a whole-batch map).
fn typed_dispatch<T: Real>(data: &LossData<T>) -> Vec<(&'static str, Box<dyn Dispatch<T> + '_>)> {
    let w = &data.weights[..];
    vec![
        (
            "ce",
            Box::new(CrossEntropy::new().with_weight(w).with_label_smoothing(0.1)),
        ),
        ("plain ce", Box::new(CrossEntropy::new())),
        (
            "focal",
            Box::new(Focal::new(2.0).with_alpha(Alpha::Scalar(0.25))),
        ),
        ("dice", Box::new(Dice::new().with_squared_pred(true))),
        (
            "tversky",
            Box::new(
                Tversky::new()
                    .with_batch(true)
                    .with_reduction(Reduction::Sum),
            ),
        ),
        ("gdice", Box::new(GeneralizedDice::new())),
        ("dice_ce", Box::new(DiceCe::new())),
        ("dice_focal", Box::new(DiceFocal::new())),
        ("topk", Box::new(TopK::new(15.0))),
        ("dpce", Box::new(Dpce::new(&data.penalty[..]))),
    ]
}

/// The typed losses of the dispatch tests, in `f64`.
pub fn typed_dispatch_f64(
    data: &LossData<f64>,
) -> Vec<(&'static str, Box<dyn Dispatch<f64> + '_>)> {
    typed_dispatch(data)
}

/// [`typed_dispatch_f64`] in `f32`.
pub fn typed_dispatch_f32(
    data: &LossData<f32>,
) -> Vec<(&'static str, Box<dyn Dispatch<f32> + '_>)> {
    typed_dispatch(data)
}
