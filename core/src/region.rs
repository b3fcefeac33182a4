//! The runtime of region losses: soft confusion statistics per class, their aggregation
//! over classes and samples, and the affine per-element gradient.
//!
//! A region loss is a formula over a class's statistics ([`ClassStats`]): `tp = Σ g·s`,
//! `sum_s = Σ s`, `sum_g = Σ g`, `sum_ss = Σ s²`, `sum_gg = Σ g²`, `sum_gss = Σ g·s²` and
//! `n` (valid pixels), from which `fp = sum_s − tp`, `fn = sum_g − tp` and
//! `tn = n − sum_s − sum_g + tp` follow. Only `tp`, `sum_s`, `sum_ss` and `sum_gss` depend on
//! the prediction, so with the four partial derivatives `(A, B, D, E)` of the loss with
//! respect to them, `∂L/∂s = A·g + B + 2(D + E·g)·s` for every element: pass 2 is an affine
//! map per element.
//!
//! # Declaring a region loss: `region_loss!`
//!
//! ```text
//! /// docs
//! pub struct Name { param: default, ... }
//! let name = expr;          // any number of bindings
//! require condition;        // parameter checks, run before any work
//! loss = expr;
//! ```
//!
//! - A parameter's default is a number (an `f64` parameter), `true`/`false` (a `bool`), or
//!   choices `a | b | c` (an enum `NameParam` with variants `A`, `B`, `C`; the first is the
//!   default). Each gets a `with_param` setter and a `param()` getter; doc comments on a
//!   parameter document its setter. `f64` parameters must be finite.
//! - Expressions: numbers, statistics (`tp fp fn tn sum_s sum_g sum_ss sum_gg sum_gss n`),
//!   parameters, earlier `let`s, `+ - * /`, `pow(x, y)`, `ln`, `exp`, `sqrt`,
//!   `if cond { a } else { b }` and `match choice { a => x, b => y, _ => z }`. Conditions are
//!   comparisons, boolean parameters, `!`, `&&`, `||`, and may not depend on the prediction.
//! - A formula that reads a class's statistics directly is per-class: it is evaluated per
//!   class (and per sample, or pooled with `batch`) and averaged by the [`Aggregation`]. A
//!   formula whose statistics all sit inside class aggregations (`sum_c`, `mean_c`, `max_c`,
//!   `min_c`, over the included classes) couples the classes and gives one value per sample
//!   (generalised Dice). `max_c`/`min_c` take ground-truth quantities only.
//! - Mistakes are compile errors on the offending token: an unknown statistic, parameter or
//!   function (listing what is allowed), a loss that does not depend on the prediction, a
//!   condition that does, or a mix of per-class and prediction-dependent aggregate terms.
//!
//! The macro differentiates the formula at compile time (reverse mode over its expression
//! graph) and generates the type, its setters and checks, a [`RegionFormula`] and a
//! [`Loss`](crate::Loss) implementation that call this module.
//!
//! A custom region loss and a custom compound, evaluated with their gradient:
//!
//! ```
//! use segloss::{engine, losses::CrossEntropy, region_loss, Input, Loss, Shape, Target};
//!
//! region_loss! {
//!     /// A Tversky loss whose false-negative weight is one minus the false-positive one.
//!     pub struct Balanced { alpha: 0.3, smooth: 1e-5 }
//!     require alpha >= 0 && alpha <= 1;
//!     loss = 1 - (tp + smooth) / (tp + alpha * fp + (1 - alpha) * fn + smooth);
//! }
//!
//! #[derive(Loss)]
//! struct Mine<'w> {
//!     #[loss(weight = 0.7)] region: Balanced<'w>,
//!     #[loss(weight = 0.3)] ce: CrossEntropy<'w>,
//! }
//!
//! let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0]; // (B=1, C=2, 3 pixels)
//! let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
//! let loss = Mine { region: Balanced::new().with_alpha(0.2), ce: CrossEntropy::new() };
//! let mut grad = [0.0f32; 6];
//! let value = engine::forward_backward(&loss, &input, &mut [], &mut grad)?;
//! assert!(value > 0.0 && grad.iter().any(|g| *g != 0.0));
//! # Ok::<(), segloss::Error>(())
//! ```

use crate::catalogue::Args;
use crate::kernel::{LabelBlock, LabelGradient};
use crate::losses::Reduction;
use crate::{Activation, Error, Finalized, Input, Real, Stats, Tile, MAX_CLASSES};

/// Samples × classes a region loss holds statistics for (per-sample statistics; 32 with the
/// `small` feature, `docs/edge.md`).
pub const MAX_REGION_ENTRIES: usize = if cfg!(feature = "small") { 16 } else { 512 };

/// The soft confusion statistics of one class (of one sample, or pooled over the batch).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClassStats {
    /// `Σ g·s`.
    pub tp: f64,
    /// `Σ s`.
    pub sum_s: f64,
    /// `Σ g`.
    pub sum_g: f64,
    /// `Σ s²`.
    pub sum_ss: f64,
    /// `Σ g²`.
    pub sum_gg: f64,
    /// `Σ g·s²`.
    pub sum_gss: f64,
    /// Valid pixels.
    pub n: f64,
}

impl ClassStats {
    fn add(&mut self, o: &ClassStats) {
        self.tp += o.tp;
        self.sum_s += o.sum_s;
        self.sum_g += o.sum_g;
        self.sum_ss += o.sum_ss;
        self.sum_gg += o.sum_gg;
        self.sum_gss += o.sum_gss;
        self.n += o.n;
    }
}

/// Partial derivatives of a loss with respect to `(tp, sum_s, sum_ss, sum_gss)`.
pub type Partials = [f64; 4];

/// What a region loss does with a class term that is undefined: not finite (an empty class
/// without smoothing: `0 / 0`), or taken over no valid pixel (all ignored or masked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmptyClass {
    /// The term counts as a perfect score: loss 0, no gradient (MONAI's result with
    /// smoothing).
    #[default]
    Zero,
    /// The term is left out of the mean.
    Exclude,
}

/// How class terms become one loss: MONAI's options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Aggregation<'w> {
    /// Include class 0 (ignored with a single class, as MONAI).
    pub include_background: bool,
    /// Pool the statistics over the batch instead of one set per sample.
    pub batch: bool,
    /// Per-class weights multiplying the class terms (per-class losses only).
    pub weight: Option<&'w [f64]>,
    /// The mean over terms (samples × classes) or their sum.
    pub reduction: Reduction,
    /// What a non-finite class term counts as.
    pub empty: EmptyClass,
}

impl Default for Aggregation<'_> {
    fn default() -> Self {
        Aggregation {
            include_background: true,
            batch: false,
            weight: None,
            reduction: Reduction::Mean,
            empty: EmptyClass::Zero,
        }
    }
}

/// The descriptions of the aggregation options every region loss takes (`WEIGHT` only the
/// per-class ones), as `region_loss!` lists them in its [`Descriptor`](crate::catalogue::Descriptor).
pub mod aggregation_params {
    use crate::catalogue::{Constant, Kind, Param, REDUCTIONS};

    /// `include_background` (default true).
    pub const INCLUDE_BACKGROUND: Param = Param::new(
        "include_background",
        Kind::Bool,
        Constant::Bool(true),
        "Includes class 0 in the mean (ignored with one class).",
    );
    /// `batch` (default false).
    pub const BATCH: Param = Param::new(
        "batch",
        Kind::Bool,
        Constant::Bool(false),
        "Pools the statistics over the batch instead of one set per sample.",
    );
    /// `weight` (unset).
    pub const WEIGHT: Param = Param::unset(
        "weight",
        Kind::List,
        "Per-class weights of the class terms.",
    );
    /// `reduction` (default mean).
    pub const REDUCTION: Param = Param::new(
        "reduction",
        Kind::Choice(REDUCTIONS),
        Constant::Word("mean"),
        "The mean over samples x classes, or their sum (element_mean is the mean).",
    );
    /// All five, in the order a per-class loss lists them.
    pub const ALL: [Param; 5] = [INCLUDE_BACKGROUND, BATCH, WEIGHT, REDUCTION, EMPTY];
    /// `empty` (default zero).
    pub const EMPTY: Param = Param::new(
        "empty",
        Kind::Choice(&["zero", "exclude"]),
        Constant::Word("zero"),
        "What an undefined class term (0/0, no valid pixel) counts as: zero, or excluded from the mean.",
    );
}

/// Applies the aggregation options among `args` (generated [`Configure`](crate::catalogue::Configure)
/// implementations call it).
pub fn configure_aggregation<'w, T>(agg: &mut Aggregation<'w>, args: &Args<'_, 'w, T>) {
    if let Some(b) = args.boolean("include_background") {
        agg.include_background = b;
    }
    if let Some(b) = args.boolean("batch") {
        agg.batch = b;
    }
    if let Some(w) = args.list("weight") {
        agg.weight = Some(w);
    }
    if let Some(r) = args.reduction() {
        agg.reduction = r;
    }
    match args.word("empty") {
        Some("exclude") => agg.empty = EmptyClass::Exclude,
        Some(_) => agg.empty = EmptyClass::Zero,
        None => {}
    }
}

/// A compiled region formula (generated by [`region_loss!`](crate::region_loss)).
pub trait RegionFormula {
    /// True when the formula aggregates over classes itself (one value per sample).
    const COUPLED: bool;

    /// The aggregation options.
    fn aggregation(&self) -> &Aggregation<'_>;

    /// True when the formula, with these parameters, reads a quadratic statistic
    /// (`sum_ss`, `sum_gg`, `sum_gss`); pass 1 computes those only then.
    fn quadratic(&self) -> bool {
        true
    }

    /// Checks the formula's parameters.
    fn check_params(&self) -> Result<(), Error>;

    /// Evaluates one sample (or the pooled batch) over the included classes `stats`.
    ///
    /// Per-class formulas write each class's value into `values` and its partials into
    /// `partials` and return 0; coupled formulas return the sample's value and write
    /// `∂value/∂stats_c` into `partials`.
    fn evaluate(&self, stats: &[ClassStats], values: &mut [f64], partials: &mut [Partials]) -> f64;
}

/// What region losses accumulate: statistics per (sample or pooled batch) and class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionStats {
    /// Entry `group · classes + class`.
    pub entries: [ClassStats; MAX_REGION_ENTRIES],
    /// Groups seen: samples (per-sample) or 1 (pooled).
    pub groups: usize,
    /// Classes.
    pub classes: usize,
}

impl Default for RegionStats {
    fn default() -> Self {
        RegionStats {
            entries: [ClassStats::default(); MAX_REGION_ENTRIES],
            groups: 0,
            classes: 0,
        }
    }
}

impl Stats for RegionStats {
    fn merge(&mut self, o: &Self) {
        let used = (o.groups * o.classes).min(MAX_REGION_ENTRIES);
        for (a, b) in self.entries.iter_mut().zip(&o.entries).take(used) {
            a.add(b);
        }
        self.groups = self.groups.max(o.groups);
        self.classes = self.classes.max(o.classes);
    }
}

/// The gradient coefficients `(A, B, D, E)` of every entry, scaled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionCoef {
    /// Entry `group · classes + class`; zero for excluded classes.
    pub entries: [Partials; MAX_REGION_ENTRIES],
    /// Classes.
    pub classes: usize,
    /// True when statistics are pooled over the batch.
    pub batch: bool,
}

/// Checks a region loss against a batch.
pub fn check<T: Real, F: RegionFormula>(f: &F, input: &Input<'_, T>) -> Result<(), Error> {
    f.check_params()?;
    let agg = f.aggregation();
    let shape = input.shape();
    let classes = shape.classes();
    if let Some(w) = agg.weight {
        if F::COUPLED {
            return Err(Error::CoupledWeight);
        }
        crate::losses::check_class_weights(w, classes)?;
    }
    let groups = if agg.batch {
        1
    } else {
        input.first_sample() + shape.batch()
    };
    let needed = groups * classes;
    if needed > MAX_REGION_ENTRIES {
        return Err(Error::RegionCapacity {
            needed,
            capacity: MAX_REGION_ENTRIES,
        });
    }
    Ok(())
}

/// Pass 1 of a region loss: adds a tile's statistics.
#[inline(always)]
pub fn accumulate<T: Real, F: RegionFormula>(f: &F, tile: &Tile<'_, T>, stats: &mut RegionStats) {
    accumulate_statistics(tile, stats, f.aggregation().batch, f.quadratic());
}

/// Adds a tile's statistics per sample (or pooled with `batch`); the quadratic ones
/// (`sum_ss`, `sum_gg`, `sum_gss`) only when `quadratic`, as they cost as much again.
#[inline(always)]
pub fn accumulate_statistics<T: Real>(
    tile: &Tile<'_, T>,
    stats: &mut RegionStats,
    batch: bool,
    quadratic: bool,
) {
    let group = if batch { 0 } else { tile.sample() };
    let classes = tile.classes();
    stats.classes = classes;
    stats.groups = stats.groups.max(group + 1);
    let valid = tile.valid();
    let n = crate::lanes::sum(valid);
    let entries = stats.entries.iter_mut().skip(group * classes).take(classes);
    for (e, row) in entries.zip(tile.rows()) {
        let [tp, sum_s, sum_g, sum_ss, sum_gg, sum_gss] =
            crate::lanes::confusion(row.target, row.prob, valid, quadratic);
        e.add(&ClassStats {
            tp,
            sum_s,
            sum_g,
            sum_ss,
            sum_gg,
            sum_gss,
            n,
        });
    }
}

/// Kernel pass 1 of a region loss: adds a block's sums ([`crate::kernel`]) as
/// [`accumulate_statistics`] adds tiles (the quadratic statistics stay 0: a loss that reads
/// them does not take the kernel).
pub fn add_label_sums(block: &LabelBlock, stats: &mut RegionStats, batch: bool) {
    let group = if batch { 0 } else { block.sample };
    let classes = block.shape.classes();
    stats.classes = classes;
    stats.groups = stats.groups.max(group + 1);
    let sums = &block.sums;
    let n = sums.pixels();
    let entries = stats.entries.iter_mut().skip(group * classes).take(classes);
    let per_class = sums.tp.iter().zip(&sums.sum_s).zip(&sums.count);
    for (e, ((&tp, &sum_s), &sum_g)) in entries.zip(per_class) {
        e.add(&ClassStats {
            tp,
            sum_s,
            sum_g,
            n,
            ..ClassStats::default()
        });
    }
}

/// Kernel pass 2 of a region loss: adds sample `sample`'s `(A, B)` into `out`'s `(a, b)`
/// (a loss that takes the kernel has `D = E = 0`).
pub fn label_gradient(coef: &RegionCoef, sample: usize, out: &mut LabelGradient) {
    let group = if coef.batch { 0 } else { sample };
    let classes = coef.classes;
    let entries = coef.entries.iter().skip(group * classes).take(classes);
    for ((&[a, b, _, _], oa), ob) in entries.zip(&mut out.a).zip(&mut out.b) {
        *oa += a;
        *ob += b;
    }
}

/// Finalize of a region loss: the value and every entry's scaled coefficients.
// With `small`, its tables stay out of the caller's frame, which pass 1 adds to.
#[cfg_attr(feature = "small", inline(never))]
pub fn finalize<F: RegionFormula>(f: &F, stats: &RegionStats) -> Finalized<RegionCoef> {
    let agg = f.aggregation();
    let classes = stats.classes;
    let first = usize::from(!agg.include_background && classes > 1);
    let mut coef = RegionCoef {
        entries: [[0.0; 4]; MAX_REGION_ENTRIES],
        classes,
        batch: agg.batch,
    };
    let mut values = [0.0f64; MAX_CLASSES];
    let mut partials = [[0.0f64; 4]; MAX_CLASSES];
    let mut total = 0.0;
    let mut terms = 0usize;
    let groups = stats
        .entries
        .chunks_exact(classes.max(1))
        .take(stats.groups);
    let out_groups = coef.entries.chunks_exact_mut(classes.max(1));
    for (group, out) in groups.zip(out_groups) {
        let (Some(included), Some(out)) = (group.get(first..), out.get_mut(first..)) else {
            continue;
        };
        let k = included.len();
        let (Some(vals), Some(parts)) = (values.get_mut(..k), partials.get_mut(..k)) else {
            continue;
        };
        parts.fill([0.0; 4]);
        let group_value = saturate(f.evaluate(included, vals, parts));
        for v in vals.iter_mut() {
            *v = saturate(*v);
        }
        for x in parts.iter_mut().flatten() {
            *x = saturate(*x);
        }
        let seen = included.iter().any(|s| s.n > 0.0);
        if F::COUPLED {
            match usable(group_value, parts).filter(|_| seen) {
                Some(v) => {
                    total += v;
                    terms += 1;
                    out.copy_from_slice(parts);
                }
                None => terms += usize::from(agg.empty == EmptyClass::Zero),
            }
        } else {
            let class_terms = out
                .iter_mut()
                .zip(vals.iter())
                .zip(parts.iter())
                .zip(included);
            for (c, (((o, &v), p), s)) in class_terms.enumerate() {
                let w = agg
                    .weight
                    .and_then(|w| w.get(first + c).copied())
                    .unwrap_or(1.0);
                match usable(v, core::slice::from_ref(p)).filter(|_| s.n > 0.0) {
                    Some(v) => {
                        total += w * v;
                        terms += 1;
                        *o = p.map(|x| w * x);
                    }
                    None => terms += usize::from(agg.empty == EmptyClass::Zero),
                }
            }
        }
    }
    let factor = match agg.reduction {
        Reduction::Sum => 1.0,
        _ if terms > 0 => 1.0 / terms as f64,
        _ => 0.0,
    };
    scale(&mut coef, factor);
    Finalized {
        value: total * factor,
        coef,
    }
}

/// Where a region loss's class terms and their partial derivatives saturate (finding F18:
/// `ExpLogDice` with `γ = 3` and no smoothing at a missed class has `∂L/∂tp ≈ −10³⁰⁶ / den`,
/// which overflowed once scaled by the compound's weights and met a zero). Two factors of
/// [`MAX_WEIGHT`](crate::MAX_WEIGHT) and a sum over classes stay finite in `f64`; pass 2
/// saturates at [`Real::GRAD_LIMIT`] when it maps to `T`.
const TERM_LIMIT: f64 = 1e250;

/// `x` clamped to `±TERM_LIMIT` (an infinite term is the limit's; NaN, an undefined term,
/// stays NaN).
#[inline]
fn saturate(x: f64) -> f64 {
    x.clamp(-TERM_LIMIT, TERM_LIMIT)
}

/// The value if it and its partials are finite.
fn usable(value: f64, partials: &[Partials]) -> Option<f64> {
    let finite = value.is_finite() && partials.iter().flatten().all(|x| x.is_finite());
    finite.then_some(value)
}

/// Multiplies a region loss's gradient coefficients by `factor`.
pub fn scale(coef: &mut RegionCoef, factor: f64) {
    for e in coef.entries.iter_mut() {
        *e = e.map(|x| x * factor);
    }
}

/// Pass 2 of a region loss: adds `∂L/∂s = A·g + B + 2(D + E·g)·s` in the activation's space.
///
/// A class whose coefficients are small enough that no term can pass [`Real::GRAD_LIMIT`]
/// is mapped in `T`; otherwise the map runs in `f64` and saturates: without smoothing the
/// coefficients of an almost empty class exceed `f32`'s range.
#[inline(always)]
pub fn backward<T: Real>(coef: &RegionCoef, tile: &Tile<'_, T>, grad: &mut [T]) {
    let group = if coef.batch { 0 } else { tile.sample() };
    let classes = coef.classes;
    let entries = coef.entries.iter().skip(group * classes).take(classes);
    let rows = grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows());
    let valid = tile.valid();
    crate::for_activation!(tile.activation(), |act| {
        for ((out, row), &[a, b, d, e]) in rows.zip(entries) {
            let largest = a.abs().max(b.abs()).max(d.abs()).max(e.abs());
            if largest == 0.0 {
                continue;
            }
            // |ds| ≤ |A| + |B| + 2|D| + 2|E| ≤ 6 · largest, and s, 1 − s ≤ 1.
            if largest <= T::GRAD_LIMIT / 8.0 {
                let [a, b, d, e] = [a, b, d, e].map(T::of);
                let two = T::of(2.0);
                let items = out.iter_mut().zip(row.target).zip(row.prob).zip(row.comp);
                for ((((o, &g), &s), &q), &v) in items.zip(valid) {
                    let ds = v * (a * g + b + two * (d + e * g) * s);
                    *o = *o + activation_term(act, s, q, ds);
                }
            } else {
                let items = out.iter_mut().zip(row.target).zip(row.prob).zip(row.comp);
                for ((((o, &g), &s), &q), &v) in items.zip(valid) {
                    let (g, s) = (g.wide(), s.wide());
                    let ds = v.wide() * (a * g + b + 2.0 * (d + e * g) * s);
                    *o = *o + T::of_grad(activation_term(act, s, q.wide(), ds));
                }
            }
        }
    })
}

/// `∂L/∂s` in the engine's gradient space for `act` (see [`Loss::backward`](crate::Loss)).
#[inline(always)]
fn activation_term<R: Real>(act: Activation, s: R, q: R, ds: R) -> R {
    match act {
        Activation::Softmax => s * ds,
        Activation::Sigmoid => s * q * ds,
        Activation::Identity => ds,
    }
}

/// The elementary functions generated formulas call (`libm`, so the core stays `no_std`).
pub mod math {
    /// Natural logarithm.
    #[inline]
    pub fn ln(x: f64) -> f64 {
        libm::log(x)
    }

    /// `e^x`.
    #[inline]
    pub fn exp(x: f64) -> f64 {
        libm::exp(x)
    }

    /// Square root.
    #[inline]
    pub fn sqrt(x: f64) -> f64 {
        libm::sqrt(x)
    }

    /// `x^y`.
    #[inline]
    pub fn pow(x: f64, y: f64) -> f64 {
        libm::pow(x, y)
    }
}
