//! Differential fuzzing on small batches, for every loss of the runtime registry (a spec
//! generated from the registry, built into one fused `runtime::Compound`) and for the typed
//! losses the registry does not reach (boundary, Hausdorff, their compounds with Dice, the
//! derived compounds DiceCe and Ell, TopK):
//!
//! - `f32`: the scalar engine, the SIMD levels (`segloss_std::simd`: Portable, AVX2,
//!   AVX-512, each where the processor has it) and the threaded adapter (pools of 1 and 2
//!   threads, with a fresh `threads::Scratch` per call and with one kept across inputs)
//!   give bit-identical values and gradients (or the same error);
//! - `f32` agrees with `f64` (on the same data, widened exactly) within a bound scaled by the
//!   input's conditioning: `K·ε₃₂·(1 + |L| + Σ_i |∂L/∂x_i|·(1 + |x_i|))`, `K = 1024`,
//!   summed over a spec's members weighted by `|w|` (members round before they are summed);
//! - for smooth losses under softmax or sigmoid, the `f64` gradient agrees with central
//!   finite differences where those are themselves consistent (two step sizes agree), to
//!   `1e-4` relative with an absolute floor of `1e-6·(1 + |L|)`.
//!
//! (The SIMD levels are compared in `f32` only: every engine instantiation is inlined whole,
//! and one per level, type and loss makes the build take too long; `f64` has no
//! vectorised `exp`/`ln` of its own, it calls `libm`.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use rayon::ThreadPool;
use segloss::losses::{
    Boundary, CrossEntropy, DiceBoundary, DiceCe, DiceHausdorff, Ell, Hausdorff, Schedule, TopK,
};
use segloss::{engine, Activation, Error, Input, Loss, Real};
use segloss_fuzz::{specgen, Bytes, Case, Limits};
use segloss_std::runtime::Compound;
use segloss_std::simd::{self, Isa};
use segloss_std::spec::{BuildContext, Spec};
use segloss_std::threads;
use std::sync::{Mutex, OnceLock};

const SMALL: Limits = Limits {
    batch: 3,
    classes: 4,
    side: 5,
};

/// What a loss is to the target's visitors.
struct Info {
    name: &'static str,
    smooth: bool,
}

trait Visit<T: Real> {
    fn visit<L: Loss<T> + Sync>(&mut self, loss: &L, info: Info);
}

/// The loss an input selects.
enum Which {
    /// A spec of registry losses, fused.
    Spec(Spec, bool),
    /// One of the typed losses the registry does not reach.
    Typed(u8),
}

fn with_loss<T: Real, V: Visit<T>>(which: &Which, case: &Case<T>, v: &mut V) {
    let p = &case.params;
    let sp = &p.spacing[..];
    match which {
        Which::Spec(spec, smooth) => {
            let ctx = BuildContext {
                penalty: Some(&case.penalty[..]),
                spacing: Some(sp),
            };
            if let Ok(loss) = spec.build(&ctx) {
                let info = Info {
                    name: "spec",
                    smooth: *smooth,
                };
                v.visit(&loss, info);
            }
        }
        Which::Typed(i) => {
            let info = |name, smooth| Info { name, smooth };
            let inc = p.flags & 64 != 0;
            match i % 8 {
                0 => v.visit(
                    &Boundary::<T>::new()
                        .with_spacing(sp)
                        .with_include_background(inc),
                    info("boundary", true),
                ),
                1 => v.visit(
                    &Boundary::with_maps(&case.maps[..]),
                    info("boundary_maps", true),
                ),
                2 => v.visit(
                    &Hausdorff::new()
                        .with_alpha(p.gamma)
                        .with_spacing(sp)
                        .with_log(inc),
                    info("hausdorff", false),
                ),
                3 => v.visit(
                    &DiceBoundary::<T>::new().at_epoch(&Schedule::kervadec(), p.epoch),
                    info("dice_boundary", true),
                ),
                4 => v.visit(
                    &DiceHausdorff::new().at_epoch(&Schedule::hausdorff(), p.epoch),
                    info("dice_hausdorff", false),
                ),
                5 => v.visit(
                    &DiceCe {
                        ce: CrossEntropy::new().with_weight(&p.weights[..]),
                        lambda_ce: p.param,
                        ..DiceCe::new()
                    },
                    info("dice_ce", true),
                ),
                6 => v.visit(&Ell::new().with_gammas(p.gamma, p.param), info("ell", true)),
                _ => v.visit(&TopK::new(100.0 * p.param), info("topk", false)),
            }
        }
    }
}

fn pools() -> &'static [ThreadPool; 2] {
    static POOLS: OnceLock<[ThreadPool; 2]> = OnceLock::new();
    POOLS.get_or_init(|| {
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("thread pool")
        };
        [pool(1), pool(2)]
    })
}

/// One scratch per pool of [`pools`], kept from one input to the next.
fn scratches() -> &'static [Mutex<threads::Scratch<f32>>; 2] {
    static SCRATCHES: OnceLock<[Mutex<threads::Scratch<f32>>; 2]> = OnceLock::new();
    SCRATCHES.get_or_init(Default::default)
}

type Outcome<T> = (Result<u64, Error>, Vec<T>);

fn same<T: Real>(name: &str, what: &str, a: &Outcome<T>, b: &Outcome<T>) {
    assert_eq!(a.0, b.0, "{name}: {what}: value or error differs");
    let differ =
        a.1.iter()
            .zip(&b.1)
            .position(|(x, y)| x.wide().to_bits() != y.wide().to_bits());
    assert!(
        differ.is_none(),
        "{name}: {what}: gradient element {differ:?} differs: {:?} vs {:?}",
        differ.and_then(|i| a.1.get(i)),
        differ.and_then(|i| b.1.get(i))
    );
}

/// The scalar engine's value and gradient (and, with `ALL`, every other engine's, checked
/// bit for bit against it).
struct Engines<'a, T: Real, const ALL: bool> {
    input: &'a Input<'a, T>,
    result: Option<(&'static str, bool, Result<f64, Error>, Vec<T>)>,
}

fn scalar<T: Real, L: Loss<T>>(loss: &L, input: &Input<'_, T>) -> Outcome<T> {
    let mut ws = vec![T::zero(); loss.workspace_len(&input.shape())];
    let mut grad = vec![T::zero(); input.shape().elements()];
    let r = engine::forward_backward(loss, input, &mut ws, &mut grad);
    (r.map(f64::to_bits), grad)
}

impl Visit<f32> for Engines<'_, f32, true> {
    fn visit<L: Loss<f32> + Sync>(&mut self, loss: &L, info: Info) {
        let input = self.input;
        let shape = input.shape();
        let ws_len = loss.workspace_len(&shape);
        let run =
            |f: &mut dyn FnMut(&mut [f32], &mut [f32]) -> Result<f64, Error>| -> Outcome<f32> {
                let mut ws = vec![0.0; ws_len];
                let mut grad = vec![0.0; shape.elements()];
                let r = f(&mut ws, &mut grad);
                (r.map(f64::to_bits), grad)
            };
        let base = scalar(loss, input);
        for isa in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
            let got = run(&mut |ws, g| simd::forward_backward(isa, loss, input, ws, g));
            same(info.name, &format!("simd {isa:?} vs scalar"), &got, &base);
        }
        for (pool, n) in pools().iter().zip([1, 2]) {
            for isa in [Isa::Portable, Isa::detect()] {
                let got =
                    run(&mut |ws, g| threads::forward_backward(pool, isa, loss, input, ws, g));
                same(
                    info.name,
                    &format!("threads({n}) {isa:?} vs scalar"),
                    &got,
                    &base,
                );
            }
        }
        // A scratch kept across inputs (as `Buffers` keeps one): whatever shapes and losses
        // it saw before, it gives the bits of a fresh one.
        for ((pool, n), kept) in pools().iter().zip([1, 2]).zip(scratches()) {
            let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
            let isa = Isa::detect();
            let got = run(&mut |ws, g| kept.forward_backward(pool, isa, loss, input, ws, g));
            same(
                info.name,
                &format!("kept scratch({n}) vs scalar"),
                &got,
                &base,
            );
            let mut ws = vec![0.0; ws_len];
            let fwd = kept
                .forward(pool, isa, loss, input, &mut ws)
                .map(f64::to_bits);
            assert_eq!(fwd, base.0, "{}: kept scratch({n}) forward", info.name);
        }
        let mut ws = vec![0.0; ws_len];
        let fwd = engine::forward(loss, input, &mut ws).map(f64::to_bits);
        assert_eq!(fwd, base.0, "{}: forward vs forward_backward", info.name);
        self.result = Some((info.name, info.smooth, base.0.map(f64::from_bits), base.1));
    }
}

impl Visit<f64> for Engines<'_, f64, false> {
    fn visit<L: Loss<f64> + Sync>(&mut self, loss: &L, info: Info) {
        let base = scalar(loss, self.input);
        self.result = Some((info.name, info.smooth, base.0.map(f64::from_bits), base.1));
    }
}

/// The value of one loss at another prediction (finite differences).
struct Value<'a> {
    input: &'a Input<'a, f64>,
    value: Option<Result<f64, Error>>,
}

impl Visit<f64> for Value<'_> {
    fn visit<L: Loss<f64> + Sync>(&mut self, loss: &L, _: Info) {
        let mut ws = vec![0.0; loss.workspace_len(&self.input.shape())];
        self.value = Some(engine::forward(loss, self.input, &mut ws));
    }
}

fn value_at(which: &Which, case: &Case<f64>, pred: &[f64]) -> Option<f64> {
    let input = case.input_with(pred)?;
    let mut v = Value {
        input: &input,
        value: None,
    };
    with_loss(which, case, &mut v);
    v.value?.ok()
}

fn finite_differences(which: &Which, case: &Case<f64>, grad: &[f64]) {
    let gmax = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let mut pred = case.pred.clone();
    let f0 = value_at(which, case, &case.pred).unwrap_or(0.0).abs();
    for i in 0..pred.len() {
        let x = case.pred[i];
        let mut central = |h: f64| -> Option<f64> {
            pred[i] = x + h;
            let up = value_at(which, case, &pred);
            pred[i] = x - h;
            let down = value_at(which, case, &pred);
            pred[i] = x;
            Some((up? - down?) / (2.0 * h))
        };
        let h = 1e-6 * x.abs().max(1.0);
        let (Some(fd), Some(fd2)) = (central(h), central(2.0 * h)) else {
            continue;
        };
        // rounding noise of the differences: the values' ulps over the step
        let noise = 64.0 * f64::EPSILON * (f0 + 1.0) / h;
        // and a floor for formulas that cancel before dividing by a small smoothing term
        // (F17: MCC's `tn = n − Σs − Σg + tp` rounds to ~1e-15 where the true `tn` is 0,
        // and `/ sqrt(smooth_dr)` moves the value by ~1e-12 per step: slopes of ~1e-7
        // where the true gradient is exactly 0)
        let floor = 1e-6 * (1.0 + f0);
        let tol = 1e-4 * (fd.abs() + 1e-3 * gmax) + 1e-9 + noise + floor;
        if (fd - fd2).abs() > 1e-2 * tol {
            continue; // the finite differences disagree with themselves: no verdict
        }
        assert!(
            (grad[i] - fd).abs() <= tol,
            "gradient element {i}: analytic {} vs finite differences {fd} (h {h}, {fd2} at 2h)",
            grad[i]
        );
    }
}

/// `Σ_i |∂L/∂x_i|·(1 + |x_i|)`: how far f32 rounding of the prediction moves the loss.
fn conditioning(grad: &[f64], pred: &[f64]) -> f64 {
    grad.iter()
        .zip(pred)
        .map(|(g, x)| g.abs() * (1.0 + x.abs()))
        .sum()
}

/// The scale of a spec's f32 rounding error: `Σ_m |w_m|·(|L_m| + conditioning_m)` over its
/// members, each evaluated alone in f64. Members are evaluated (and rounded) in the working
/// type before they are weighted and summed, so members that cancel in the sum (F14: `-topk`
/// and `2·ce` on one 3·10⁷ logit) keep the rounding of their own magnitudes.
fn members_scale(spec: &Spec, case: &Case<f64>, input: &Input<'_, f64>) -> f64 {
    let ctx = BuildContext {
        penalty: Some(&case.penalty[..]),
        spacing: Some(&case.params.spacing[..]),
    };
    let Ok(compound) = spec.build(&ctx) else {
        return 0.0;
    };
    compound
        .members()
        .iter()
        .map(|m| {
            let mut alone = Compound::new();
            alone.push(1.0, m.loss).expect("one member");
            let (value, grad) = scalar(&alone, input);
            let value = value.map_or(0.0, f64::from_bits);
            m.weight.abs() * (value.abs() + conditioning(&grad, &case.pred))
        })
        .sum()
}

/// True when `text` asks for a log form of Dice (`log_dice=true`, `exp_log_dice`, `ell`)
/// with a numerator smoothing below 1e-30. There `f32`, whose probabilities flush to 0
/// below 2⁻¹⁴⁹, can find `Dice = 0` for a class the prediction misses while `f64` still
/// sees `e^−z`, and the log takes `−ln 1e-300` in one type and `−ln(tiny)` in the other
/// (decided in F15, `log_dice_without_smoothing_penalises_a_missed_class`; F23): the two
/// types are not compared on such specs.
fn log_dice_without_smoothing(text: &str) -> bool {
    let log = ["log_dice=true", "exp_log_dice", "ell("]
        .iter()
        .any(|form| text.contains(form));
    log && text.match_indices("smooth_nr=").any(|(at, key)| {
        let rest = &text[at + key.len()..];
        let end = rest.find([',', ')']).unwrap_or(rest.len());
        rest[..end]
            .trim()
            .parse::<f64>()
            .is_ok_and(|v| v.abs() < 1e-30)
    })
}

/// True when two logits differ by more than `f32::MAX`: `f32` saturates the softmax's
/// shift `z − max` at `−f32::MAX` where `f64` keeps it, so the two types compute different
/// losses, both as designed (F24), and are not compared.
fn saturates(pred: &[f64]) -> bool {
    let (lo, hi) = pred
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    hi - lo > f64::from(f32::MAX)
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let head = bytes.byte();
    let mut incomparable = false;
    let which = if head & 1 == 1 {
        let text = specgen::spec(&mut bytes);
        let Ok(spec) = Spec::parse(&text) else {
            return;
        };
        let smooth = !spec.members().iter().any(|m| m.rust.contains("TopK"));
        incomparable = spec
            .members()
            .iter()
            .any(|m| m.rust.contains("TopKThreshold"))
            || log_dice_without_smoothing(spec.text());
        Which::Spec(spec, smooth)
    } else {
        Which::Typed(head >> 1)
    };
    let Some(single) = Case::decode(&mut bytes, SMALL) else {
        return;
    };
    let double = single.widen();
    let (Some(i32_), Some(i64_)) = (single.input(), double.input()) else {
        return;
    };
    let mut e32 = Engines::<f32, true> {
        input: &i32_,
        result: None,
    };
    with_loss(&which, &single, &mut e32);
    let mut e64 = Engines::<f64, false> {
        input: &i64_,
        result: None,
    };
    with_loss(&which, &double, &mut e64);
    let (Some((name, smooth, v32, _)), Some((_, _, v64, g64))) = (e32.result, e64.result) else {
        return;
    };
    let (Ok(v32), Ok(v64)) = (v32, v64) else {
        return;
    };
    if !(v32.is_finite() && v64.is_finite()) {
        return; // finiteness is the oracle of typed_losses and spec_losses
    }
    if v64.abs() > f64::from(f32::MAX) {
        // An f64 value beyond f32's range has no f32 counterpart to compare with: f32 gives
        // the saturated value instead (finding F21).
        return;
    }
    // f32 against f64 on the same data, for losses continuous in the prediction (the
    // threshold of TopKThreshold and Hausdorff's thresholded prediction jump when f32
    // rounding moves a probability across them), and not where the two types compute
    // different things by design: the log Dice forms without numerator smoothing
    // (`log_dice_without_smoothing`, F23) and logits further apart than f32's range
    // (`saturates`, F24).
    if name != "hausdorff" && name != "dice_hausdorff" && !incomparable && !saturates(&double.pred)
    {
        let scale = match &which {
            Which::Spec(spec, _) => members_scale(spec, &double, &i64_),
            Which::Typed(_) => v64.abs() + conditioning(&g64, &double.pred),
        };
        let bound = 1024.0 * f64::from(f32::EPSILON) * (1.0 + scale);
        assert!(
            (v32 - v64).abs() <= bound,
            "{name}: f32 {v32} vs f64 {v64}: |diff| {} > bound {bound}",
            (v32 - v64).abs()
        );
    }
    // Gradient against finite differences (f64, smooth losses, moderate logits).
    let small = double.pred.len() <= 48 && double.pred.iter().all(|x| x.abs() <= 30.0);
    if smooth && small && double.activation != Activation::Identity {
        finite_differences(&which, &double, &g64);
    }
});
