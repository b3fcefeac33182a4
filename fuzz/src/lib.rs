//! What the fuzz targets share: a byte reader, a batch decoded from bytes (shape, layout,
//! activation, logits, labels or a dense map, mask, ignore index, the maps some losses
//! take), and the catalogue of every typed loss behind a generic visitor.
//!
//! Byte format of a batch (every target that takes one): the first bytes are those of the
//! original `distribution_losses` target (so its past crash inputs decode the same way),
//! then extension bytes; bytes that run out read as zero.

use segloss::catalogue::{Configure, Describe, Descriptor, Family, Kind, ParamDefault, Value};
use segloss::edt::NoZero;
use segloss::losses::{
    Alpha, Asym, BalancedBce, Boundary, ClassWeights, Combo, CrossEntropy, Dice, DiceBoundary,
    DiceCe, DiceFocal, DiceHausdorff, DiceTopK, Dpce, Ell, ExpLogCe, ExpLogDice, Focal,
    FocalTversky, FocalTverskyMean, GeneralizedDice, GeneralizedDiceWType, Hausdorff, Iou, Mcc,
    PenaltyGeneralizedDice, Reduction, Schedule, SensitivitySpecificity, TopK, TopKThreshold,
    Tversky, WeightedCrossEntropy,
};
use segloss::presets::{nnunet, paper, smp};
use segloss::region::EmptyClass;
use segloss::{Activation, Input, Layout, Loss, Real, Shape, Target};

/// Reads bytes front to back, yielding zeros when they run out.
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// A float: mostly ordinary magnitudes, sometimes raw bit patterns (NaN, inf,
    /// subnormals, 1e38).
    pub fn float(&mut self) -> f32 {
        let raw = u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()]);
        if raw & 7 == 0 {
            f32::from_bits(raw)
        } else {
            (raw as i32 as f32) / (1u32 << (raw & 31)) as f32
        }
    }

    /// A spacing: mostly in `[0.25, 8.2]`, sometimes invalid (0, negative, NaN, infinite)
    /// or extreme.
    pub fn spacing(&mut self) -> f64 {
        match self.byte() {
            0 => 0.0,
            1 => -1.0,
            2 => f64::NAN,
            3 => f64::INFINITY,
            4 => 1e-300,
            5 => 1e300,
            6 => 1e-7,
            7 => 3e7,
            b => 0.25 + f64::from(b) / 32.0,
        }
    }

    /// What is left.
    pub fn rest(&self) -> &'a [u8] {
        self.0
    }
}

/// The loss parameters decoded from bytes.
#[derive(Clone, Debug)]
pub struct Params {
    /// The original target's selector byte (`% 12`) when `ext` is 0.
    pub sel: u8,
    /// 0: the original target's twelve losses; else `sel` indexes the whole catalogue.
    pub ext: u8,
    /// The original flags byte.
    pub flags: u8,
    /// More option bits.
    pub flags2: u8,
    /// A focal-like exponent in `[0, 8)`.
    pub gamma: f64,
    /// A parameter in `[0, 1]`.
    pub param: f64,
    /// Per-class weights in `[0, 16)`.
    pub weights: Vec<f64>,
    /// A spacing per spatial axis (some invalid).
    pub spacing: Vec<f64>,
    /// An epoch for the schedules.
    pub epoch: u64,
}

/// A batch decoded from bytes, in `f32` (widened exactly to `f64` by [`Case::widen`]).
#[derive(Clone, Debug)]
pub struct Case<T> {
    /// The shape.
    pub shape: Shape,
    /// The layout.
    pub layout: Layout,
    /// The activation.
    pub activation: Activation,
    /// The prediction.
    pub pred: Vec<T>,
    /// Labels (`i64`, some out of range).
    pub labels: Vec<i64>,
    /// A dense target instead of the labels.
    pub dense: Option<Vec<T>>,
    /// A mask.
    pub mask: Option<Vec<bool>>,
    /// The ignore index.
    pub ignore: Option<i64>,
    /// A DPCE penalty map `(B, spatial…)` (some entries negative or not finite).
    pub penalty: Vec<T>,
    /// Boundary maps `(B, C, spatial…)`.
    pub maps: Vec<T>,
    /// The loss parameters.
    pub params: Params,
}

/// Limits of a decoded case.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest batch.
    pub batch: u8,
    /// Largest class count.
    pub classes: u8,
    /// Largest spatial size per axis.
    pub side: u8,
}

/// The original target's limits: up to 3 samples, 5 classes, 9 per axis.
pub const WIDE: Limits = Limits {
    batch: 3,
    classes: 5,
    side: 9,
};

impl Case<f32> {
    /// Decodes a case; `None` when the shape is invalid.
    pub fn decode(b: &mut Bytes<'_>, lim: Limits) -> Option<Self> {
        let batch = 1 + usize::from(b.byte() % lim.batch);
        let classes = 1 + usize::from(b.byte() % lim.classes);
        let rank = 1 + usize::from(b.byte() % 3);
        let spatial: Vec<usize> = (0..rank)
            .map(|_| 1 + usize::from(b.byte() % lim.side))
            .collect();
        let shape = Shape::new(batch, classes, &spatial).ok()?;
        let flags = b.byte();
        let activation = match flags % 3 {
            0 => Activation::Softmax,
            1 => Activation::Sigmoid,
            _ => Activation::Identity,
        };
        let layout = if flags & 4 == 0 {
            Layout::ChannelFirst
        } else {
            Layout::ChannelLast
        };
        let pred: Vec<f32> = (0..shape.elements())
            .map(|_| {
                let x = b.float();
                if activation == Activation::Identity {
                    x.abs().fract()
                } else {
                    x
                }
            })
            .collect();
        let labels: Vec<i64> = (0..shape.pixels())
            .map(|_| i64::from(b.byte() as i8) % 8)
            .collect();
        let mask: Vec<bool> = (0..shape.pixels()).map(|_| b.byte() & 3 != 0).collect();
        let penalty: Vec<f32> = (0..shape.pixels()).map(|_| b.float().abs()).collect();
        let weights: Vec<f64> = (0..classes).map(|_| f64::from(b.byte()) / 16.0).collect();
        let ignore = (flags & 8 != 0).then_some(-1);
        let gamma = f64::from(b.byte()) / 32.0;
        let param = f64::from(b.byte()) / 255.0;
        let sel = b.byte();
        // Extension bytes (absent in the original target's inputs: zeros).
        let ext = b.byte();
        let flags2 = b.byte();
        let spacing = (0..rank).map(|_| b.spacing()).collect::<Vec<_>>();
        let spacing = if flags2 & 1 != 0 { spacing } else { Vec::new() };
        let epoch = u64::from(b.byte()) * 2;
        let dense = (flags2 & 2 != 0).then(|| {
            (0..shape.elements())
                .map(|i| {
                    let v = b.byte();
                    match v {
                        0..=199 => {
                            // one-hot of the labels (in the prediction's layout)
                            let (p, c) = pixel_class(&shape, layout, i);
                            let l = labels.get(p).copied().unwrap_or(0);
                            f32::from(u8::from(l == c as i64))
                        }
                        200..=250 => f32::from(v - 200) / 50.0,
                        251 => -0.5,
                        252 => 1.5,
                        253 => f32::NAN,
                        _ => f32::from_bits(1),
                    }
                })
                .collect()
        });
        let maps = (0..shape.elements())
            .map(|_| {
                let x = b.float();
                if flags2 & 4 != 0 {
                    x
                } else {
                    x.clamp(-1e4, 1e4)
                }
            })
            .collect();
        let mask = (flags & 16 != 0).then_some(mask);
        Some(Case {
            shape,
            layout,
            activation,
            pred,
            labels,
            dense,
            mask,
            ignore,
            penalty,
            maps,
            params: Params {
                sel,
                ext,
                flags,
                flags2,
                gamma,
                param,
                weights,
                spacing,
                epoch,
            },
        })
    }

    /// The same case in `f64` (every value widened exactly).
    pub fn widen(&self) -> Case<f64> {
        let w = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        Case {
            shape: self.shape,
            layout: self.layout,
            activation: self.activation,
            pred: w(&self.pred),
            labels: self.labels.clone(),
            dense: self.dense.as_deref().map(w),
            mask: self.mask.clone(),
            ignore: self.ignore,
            penalty: w(&self.penalty),
            maps: w(&self.maps),
            params: self.params.clone(),
        }
    }
}

/// `(pixel, class)` of flat element `i` of a prediction of `shape` in `layout`.
pub fn pixel_class(shape: &Shape, layout: Layout, i: usize) -> (usize, usize) {
    let n = shape.pixels_per_sample();
    let c = shape.classes();
    match layout {
        Layout::ChannelFirst => {
            let (b, rest) = (i / (c * n), i % (c * n));
            (b * n + rest % n, rest / n)
        }
        Layout::ChannelLast => (i / c, i % c),
    }
}

impl<T: Real> Case<T> {
    /// The input, or `None` when `Input::new` refuses it.
    pub fn input(&self) -> Option<Input<'_, T>> {
        self.input_with(&self.pred)
    }

    /// The input with another prediction buffer (finite differences).
    pub fn input_with<'a>(&'a self, pred: &'a [T]) -> Option<Input<'a, T>> {
        let target = match &self.dense {
            Some(d) => Target::dense(&d[..]),
            None => {
                let t = Target::labels(&self.labels[..]);
                match self.ignore {
                    Some(i) => t.with_ignore_index(i),
                    None => t,
                }
            }
        };
        let mut input = Input::new(pred, self.shape, target)
            .ok()?
            .with_activation(self.activation)
            .with_layout(self.layout);
        if let Some(m) = &self.mask {
            input = input.with_mask(m).ok()?;
        }
        Some(input)
    }
}

/// What the catalogue tells about a loss besides the loss itself.
#[derive(Clone, Copy, Debug)]
pub struct Info {
    /// A short name.
    pub name: &'static str,
    /// True when the value is continuously differentiable in the logits under softmax or
    /// sigmoid and the gradient is its exact derivative (finite differences apply).
    pub smooth: bool,
}

/// Receives one loss of the catalogue.
pub trait Visit<T: Real> {
    /// Called with the loss.
    fn visit<L: Loss<T> + Sync>(&mut self, loss: &L, info: Info);
}

/// Number of entries of the catalogue.
pub const LOSSES: usize = 36;

/// Builds catalogue entry `index` with the case's parameters and hands it to `v`.
pub fn visit_loss<T: Real, V: Visit<T>>(index: usize, case: &Case<T>, v: &mut V) {
    let p = &case.params;
    let w = &p.weights[..];
    let sp = &p.spacing[..];
    let red = if p.flags & 32 != 0 {
        Reduction::Sum
    } else if p.flags2 & 8 != 0 {
        Reduction::ElementMean
    } else {
        Reduction::Mean
    };
    let f64_bit = |bit: u8| p.flags & bit != 0;
    let f2 = |bit: u8| p.flags2 & bit != 0;
    let empty = if f2(16) {
        EmptyClass::Exclude
    } else {
        EmptyClass::Zero
    };
    let no_zero = match p.flags2 >> 6 {
        0 | 1 => NoZero::Scipy,
        2 => NoZero::Infinity,
        _ => NoZero::Zero,
    };
    let (gamma, param) = (p.gamma, p.param);
    let sched = match p.flags2 & 32 {
        0 => Schedule::boundary(),
        _ => Schedule::kervadec(),
    };
    macro_rules! go {
        ($name:literal, $smooth:expr, $loss:expr) => {
            v.visit(
                &$loss,
                Info {
                    name: $name,
                    smooth: $smooth,
                },
            )
        };
    }
    match index % LOSSES {
        0 => go!("ce", true, CrossEntropy::new().with_reduction(red)),
        1 => go!(
            "ce_weight_smooth",
            true,
            CrossEntropy::new()
                .with_weight(w)
                .with_label_smoothing(param)
        ),
        2 => go!(
            "wce_inverse",
            true,
            WeightedCrossEntropy::new(ClassWeights::InverseFrequency).with_reduction(red)
        ),
        3 => go!(
            "wce_given",
            true,
            WeightedCrossEntropy::new(ClassWeights::Given(w))
        ),
        4 => go!("topk", false, TopK::new(100.0 * param).with_reduction(red)),
        5 => go!("topk_threshold", false, TopKThreshold::new(param)),
        6 => go!(
            "focal_scalar",
            true,
            Focal::new(gamma).with_alpha(Alpha::Scalar(param))
        ),
        7 => go!(
            "focal_list",
            true,
            Focal::new(gamma)
                .with_alpha(Alpha::PerClass(w))
                .with_include_background(f64_bit(64))
                .with_reduction(red)
        ),
        8 => go!(
            "dpce",
            true,
            Dpce::new(&case.penalty[..]).with_reduction(red)
        ),
        9 => go!("balanced_bce", true, BalancedBce::new(param)),
        10 => go!(
            "exp_log_ce",
            true,
            ExpLogCe::new(gamma).with_weight(w).with_reduction(red)
        ),
        11 => go!(
            "dice",
            true,
            Dice::new()
                .with_squared_pred(f64_bit(64))
                .with_batch(f64_bit(128))
                .with_jaccard(f2(32))
                .with_log_dice(f2(128))
                .with_smooth_nr(param)
                .with_smooth_dr(param)
                .with_empty(empty)
        ),
        12 => go!(
            "iou",
            true,
            Iou::new()
                .with_smooth_nr(param)
                .with_include_background(f64_bit(64))
                .with_reduction(red)
        ),
        13 => go!(
            "tversky",
            true,
            Tversky::new()
                .with_alpha(param)
                .with_beta(1.0 - param)
                .with_batch(f64_bit(128))
        ),
        14 => go!(
            "focal_tversky",
            true,
            FocalTversky::new().with_gamma(gamma).with_empty(empty)
        ),
        15 => go!(
            "focal_tversky_mean",
            true,
            FocalTverskyMean::new()
                .with_gamma(gamma)
                .with_include_background(f64_bit(64))
        ),
        16 => go!("asym", true, Asym::new().with_beta(gamma)),
        17 => go!(
            "gdice",
            true,
            GeneralizedDice::new()
                .with_include_background(f64_bit(64))
                .with_w_type(match p.flags2 % 3 {
                    0 => GeneralizedDiceWType::Square,
                    1 => GeneralizedDiceWType::Simple,
                    _ => GeneralizedDiceWType::Uniform,
                })
                .with_batch(f64_bit(128))
        ),
        18 => go!("pgdice", true, PenaltyGeneralizedDice::new().with_k(gamma)),
        19 => go!(
            "sens_spec",
            true,
            SensitivitySpecificity::new().with_w(param)
        ),
        20 => go!("mcc", true, Mcc::new().with_weight(w).with_empty(empty)),
        21 => go!("exp_log_dice", true, ExpLogDice::new().with_gamma(gamma)),
        22 => go!(
            "nnunet_soft_dice",
            true,
            nnunet::soft_dice(f64_bit(128), f64_bit(64))
        ),
        23 => go!("smp_dice", true, smp::dice()),
        24 => go!("paper_focal_tversky", true, paper::focal_tversky()),
        25 => go!(
            "dice_ce",
            true,
            DiceCe {
                ce: CrossEntropy::new().with_weight(w),
                lambda_ce: param,
                ..DiceCe::new()
            }
        ),
        26 => go!("dice_focal", true, DiceFocal::new()),
        27 => go!(
            "dice_topk",
            false,
            DiceTopK {
                topk: TopK::new(100.0 * param),
                ..DiceTopK::new()
            }
        ),
        28 => go!("combo", true, Combo::new(param, 1.0 - param)),
        29 => go!("ell", true, Ell::new().with_gammas(gamma, param)),
        30 => go!(
            "nnunet_dc_and_ce",
            true,
            nnunet::dc_and_ce(f64_bit(128), f64_bit(64))
        ),
        31 => go!(
            "boundary",
            true,
            Boundary::<T>::new()
                .with_spacing(sp)
                .with_include_background(f64_bit(64))
                .with_no_zero(no_zero)
                .with_reduction(red)
        ),
        32 => go!("boundary_maps", true, Boundary::with_maps(&case.maps[..])),
        33 => go!(
            "hausdorff",
            false,
            Hausdorff::new()
                .with_alpha(gamma)
                .with_log(f2(128))
                .with_include_background(f64_bit(64))
                .with_spacing(sp)
        ),
        34 => go!(
            "dice_boundary",
            true,
            DiceBoundary::<T>::new().at_epoch(&sched, p.epoch)
        ),
        _ => go!(
            "dice_hausdorff",
            false,
            DiceHausdorff::new().at_epoch(&Schedule::hausdorff(), p.epoch)
        ),
    }
}

/// The catalogue index a case selects: the original target's twelve losses when its
/// extension byte is 0, any entry otherwise.
pub fn selected(p: &Params) -> usize {
    const ORIGINAL: [usize; 12] = [0, 1, 2, 4, 5, 6, 7, 8, 11, 13, 17, 20];
    if p.ext == 0 {
        ORIGINAL[usize::from(p.sel % 12)]
    } else {
        usize::from(p.sel) % LOSSES
    }
}

/// Every leaf loss of the core's catalogue (`segloss::with_catalogue!`), configured from
/// the case's parameter bytes through its descriptor ([`segloss::catalogue::Configure`]):
/// a loss the core adds to its catalogue is fuzzed with no edit here. (The table of
/// [`visit_loss`] stays as it is: it is how the past crash inputs decode.)
macro_rules! leaf_visitor {
    (
        distribution { $($dv:ident($dt:ty, $ds:ty)),* $(,)? }
        region { $($rv:ident($rt:ty, $rs:ty)),* $(,)? }
        boundary { $($bv:ident($bt:ty, $bs:ty)),* $(,)? }
        compound { $($ct:ty),* $(,)? }
        preset { $($p:path),* $(,)? }
    ) => {
        /// The leaves [`visit_leaf`] cycles through, in catalogue order.
        pub const LEAVES: &[&Descriptor] = &[
            $(<$ds as Describe>::DESCRIPTOR,)*
            $(<$rs as Describe>::DESCRIPTOR,)*
            $(<$bs as Describe>::DESCRIPTOR,)*
        ];

        /// Builds leaf `index % LEAVES.len()` with parameters drawn from the case and hands
        /// it to `v` (nothing when the drawn parameters are refused by the descriptor).
        pub fn visit_leaf<'a, T: Real, V: Visit<T>>(index: usize, case: &'a Case<T>, v: &mut V) {
            let at = index % LEAVES.len();
            let Some(d) = LEAVES.get(at) else { return };
            let given = given_for(d, case);
            let info = Info { name: d.name, smooth: !d.piecewise };
            let mut k = 0usize;
            $(
                if k == at {
                    if let Ok(loss) = <$dt as Configure<'a, T>>::from_params(&given) {
                        v.visit(&loss, info);
                    }
                    return;
                }
                k += 1;
            )*
            $(
                if k == at {
                    if let Ok(loss) = <$rt as Configure<'a, T>>::from_params(&given) {
                        v.visit(&loss, info);
                    }
                    return;
                }
                k += 1;
            )*
            $(
                if k == at {
                    if let Ok(loss) = <$bt as Configure<'a, T>>::from_params(&given) {
                        v.visit(&loss, info);
                    }
                    return;
                }
                k += 1;
            )*
            let _ = k;
        }
    };
}
segloss::with_catalogue!(leaf_visitor);

/// Parameter values for leaf `d` drawn from the case: each parameter set or left unset by
/// one option bit, numbers from the case's `gamma`/`param` by the parameter's role.
fn given_for<'a, T: Real>(d: &Descriptor, case: &'a Case<T>) -> Vec<(&'static str, Value<'a, T>)> {
    let p = &case.params;
    let bits = u64::from(p.flags) | u64::from(p.flags2) << 8 | u64::from(p.sel) << 16;
    let mut next = 0u32;
    let mut bit = || {
        next += 1;
        bits.rotate_right(next % 24) & 1 != 0
    };
    let mut out = Vec::new();
    for param in d.params {
        let required = param.default == ParamDefault::Required;
        if !required && !bit() {
            continue;
        }
        let value = match param.kind {
            Kind::Number => Value::Number(match param.name {
                "gamma" | "alpha" | "k" if d.family == Family::Boundary => p.gamma,
                "gamma" => p.gamma,
                "k" => 100.0 * p.param,
                "beta" if d.name == "asym" => p.gamma,
                _ => p.param,
            }),
            Kind::Integer => Value::Number(p.epoch as f64),
            Kind::Bool => Value::Bool(bit()),
            Kind::Choice(c) => match c.get(usize::from(p.flags2) % c.len().max(1)) {
                Some(w) => Value::Word(w),
                None => continue,
            },
            Kind::ListOr(c) if bit() && !c.is_empty() => Value::Word(c[0]),
            Kind::List | Kind::ListOr(_) if param.name == "spacing" => Value::List(&p.spacing),
            Kind::List | Kind::ListOr(_) => Value::List(&p.weights),
            Kind::NumberOrList if bit() => Value::Number(p.param),
            Kind::NumberOrList => Value::List(&p.weights),
            Kind::Map if param.name == "penalty" => Value::Map(&case.penalty),
            Kind::Map => Value::Map(&case.maps),
        };
        out.push((param.name, value));
    }
    out
}

/// Spec text generated from the registry: calls of registered losses with parameters of
/// the right kinds (and some wrong values), weighted sums, nested compound members.
pub mod specgen {
    use super::Bytes;
    use segloss::catalogue::{self, Descriptor, Family, Kind, IGNORE_INDEX};
    use segloss_std::spec::registry;

    const NUMBERS: [&str; 16] = [
        "0", "1", "0.5", "2", "-1", "1e-5", "0.3", "100", "1e400", "1e-320", "1e308", "7", "0.0",
        "-0", ".5", "3.",
    ];
    const INTEGERS: [&str; 6] = ["-1", "255", "0", "3", "-100", "99999999999999999999"];

    fn pick<'a>(b: &mut Bytes<'_>, from: &[&'a str]) -> &'a str {
        from[usize::from(b.byte()) % from.len()]
    }

    fn list(b: &mut Bytes<'_>) -> String {
        let n = usize::from(b.byte() % 6);
        let items: Vec<&str> = (0..n).map(|_| pick(b, &NUMBERS)).collect();
        format!("[{}]", items.join(", "))
    }

    fn value(b: &mut Bytes<'_>, kind: Kind) -> String {
        if b.byte() == 255 {
            // a value of the wrong kind
            return pick(b, &["true", "[1]", "dice", "1", "x(", ""]).to_string();
        }
        match kind {
            Kind::Number => pick(b, &NUMBERS).to_string(),
            Kind::Integer => pick(b, &INTEGERS).to_string(),
            Kind::Bool => pick(b, &["true", "false"]).to_string(),
            Kind::Choice(names) => {
                if names.is_empty() || b.byte() % 8 == 0 {
                    "bogus".to_string()
                } else {
                    pick(b, names).to_string()
                }
            }
            Kind::List => list(b),
            Kind::NumberOrList => {
                if b.byte() % 2 == 0 {
                    pick(b, &NUMBERS).to_string()
                } else {
                    list(b)
                }
            }
            Kind::ListOr(names) => {
                if b.byte() % 2 == 0 && !names.is_empty() {
                    pick(b, names).to_string()
                } else {
                    list(b)
                }
            }
            Kind::Map => pick(b, &["[1, 2]", "penalty"]).to_string(),
        }
    }

    fn call_of(b: &mut Bytes<'_>, def: &Descriptor, depth: usize) -> String {
        let mut params: Vec<_> = def.params.to_vec();
        params.push(IGNORE_INDEX);
        // nested member parameters (any parameter of a member's loss)
        for m in def.members {
            if let Some(d) = catalogue::find_exact(m.loss) {
                params.extend(d.params.iter().copied());
            }
        }
        let members = def.family == Family::Compound && !def.members.is_empty();
        let n = usize::from(b.byte() % 4);
        let mut args = Vec::new();
        for _ in 0..n {
            let sel = usize::from(b.byte());
            if depth < 2 && members && sel % 5 == 0 {
                let m = def.members[sel / 5 % def.members.len()];
                args.push(format!("{}={}", m.field, call_named(b, m.loss, depth + 1)));
            } else if !params.is_empty() {
                let p = params[sel % params.len()];
                let v = value(b, p.kind);
                if p.positional && b.byte() % 3 == 0 {
                    args.push(v);
                } else {
                    args.push(format!("{}={v}", p.name));
                }
            }
        }
        if args.is_empty() && b.byte() % 2 == 0 {
            def.name.to_string()
        } else {
            format!("{}({})", def.name, args.join(", "))
        }
    }

    fn call_named(b: &mut Bytes<'_>, name: &str, depth: usize) -> String {
        if depth > 3 {
            return name.to_string();
        }
        match registry().find(|d| d.name == name) {
            Some(d) => call_of(b, d, depth),
            None => format!("{name}()"),
        }
    }

    /// A spec of 1 to 3 weighted terms.
    pub fn spec(b: &mut Bytes<'_>) -> String {
        let defs: Vec<&Descriptor> = registry().collect();
        let terms = 1 + usize::from(b.byte() % 3);
        let mut out = Vec::new();
        for _ in 0..terms {
            let def = defs[usize::from(b.byte()) % defs.len()];
            let call = call_of(b, def, 0);
            let w = b.byte();
            out.push(if w % 3 == 0 {
                call
            } else {
                format!("{}*{call}", pick(b, &NUMBERS))
            });
        }
        out.join(" + ")
    }
}
