//! Losses chosen at run time: [`AnyLoss`], the closed set of the built-in losses, and
//! [`Compound`], a weighted sum of up to [`MAX_MEMBERS`] of them that runs as **one** fused
//! loss (one accumulate pass, one gradient pass), like a `#[derive(Loss)]` compound.
//!
//! The [`Loss`] trait needs `Stats: Copy + Default`, so the compound's statistics are a
//! fixed array of per-member enums ([`MemberStats`]: default = empty, a merge adopts the
//! other side's variant when empty). Two things keep it small and fast:
//!
//! - **Shared region statistics.** Every region loss accumulates the same soft confusion
//!   statistics; they differ only in grouping (per sample, or pooled with `batch`). The
//!   compound accumulates them **once** (per sample if any region member is per sample,
//!   else pooled) and finalizes each region member from them, pooling the per-sample
//!   statistics for its `batch` members. One [`RegionStats`] (~28 KB) instead of one per
//!   member; the per-member enum only holds the small pixel-loss statistics (≤ 4 KB).
//! - **Summed region coefficients.** The region gradient is affine per element with four
//!   coefficients per (group, class), so the weighted coefficients of all region members are
//!   added into one [`RegionCoef`] and pass 2 runs the affine map once for all of them.
//!
//! The results equal the Rust compound's up to floating-point rounding of the reordered
//! sums (within 1e-12 relative in `f64`; see `tests/tests/cli_spec.rs`).
//!
//! ```
//! use segloss::{engine, losses::{CrossEntropy, Dice}, Input, Shape, Target};
//! use segloss_std::runtime::{AnyLoss, Compound};
//! let logits = [1.0f64, -1.0, 0.0, 2.0, -2.0, 1.0]; // (B=1, C=2, 3 pixels)
//! let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
//! let mut loss = Compound::new();
//! loss.push(0.7, AnyLoss::Dice(Dice::new()))?;
//! loss.push(0.3, AnyLoss::Ce(CrossEntropy::new()))?;
//! let fused = engine::forward(&loss, &input, &mut [])?;
//! let apart = 0.7 * engine::forward(&Dice::new(), &input, &mut [])?
//!     + 0.3 * engine::forward(&CrossEntropy::new(), &input, &mut [])?;
//! assert!((fused - apart).abs() < 1e-12);
//! # Ok::<(), segloss::Error>(())
//! ```

use segloss::catalogue::{Configure, Value};
use segloss::kernel::{LabelBlock, LabelGradient, LabelTerms};
use segloss::region::{self, RegionCoef, RegionFormula, RegionStats, MAX_REGION_ENTRIES};
use segloss::{Error, Finalized, Input, Loss, Real, Shape, Stats, Tile};

/// The most members a [`Compound`] holds.
pub const MAX_MEMBERS: usize = 8;

/// Declares [`AnyLoss`], the per-member statistics and coefficients, their dispatch and
/// [`build_leaf`], from the core's list of losses (`segloss::with_catalogue!`): a loss the
/// core adds there is a run-time loss with no edit here.
///
/// Distribution and boundary losses keep statistics of their own per member ("pixel"
/// members); region losses share the compound's soft confusion statistics.
macro_rules! any_loss {
    (
        distribution { $($dv:ident($dt:ty, $ds:ty)),* $(,)? }
        region { $($rv:ident($rt:ty, $rs:ty)),* $(,)? }
        boundary { $($bv:ident($bt:ty, $bs:ty)),* $(,)? }
        compound { $($ct:ty),* $(,)? }
        preset { $($p:path),* $(,)? }
    ) => {
        any_loss! {
            @declare
            pixel { $($dv($dt, $ds),)* $($bv($bt, $bs),)* }
            region { $($rv($rt)),* }
        }
    };
    (
        @declare
        pixel { $($pv:ident($pt:ty, $ps:ty)),* $(,)? }
        region { $($rv:ident($rt:ty)),* $(,)? }
    ) => {
        /// One built-in loss, chosen at run time.
        #[derive(Clone, Copy, Debug)]
        #[non_exhaustive]
        pub enum AnyLoss<'a, T: Real> {
            $(
                #[doc = concat!("`", stringify!($pt), "`.")]
                $pv($pt),
            )*
            $(
                #[doc = concat!("`", stringify!($rt), "` (a region loss).")]
                $rv($rt),
            )*
        }

        /// The statistics of one non-region member of a [`Compound`].
        // WCE's per-class sums (4 KB) make the largest variant; `Stats` must be `Copy`, so
        // no box: the compound holds MAX_MEMBERS of these (32 KB).
        #[derive(Clone, Copy, Debug, Default)]
        #[allow(missing_docs, clippy::large_enum_variant)]
        pub enum MemberStats {
            /// Nothing accumulated yet (a merge adopts the other side).
            #[default]
            Empty,
            $( $pv(<$ps as Loss<f64>>::Stats), )*
        }

        /// The gradient coefficients of one non-region member of a [`Compound`].
        #[derive(Clone, Copy, Debug, Default)]
        #[allow(missing_docs, clippy::large_enum_variant)]
        pub enum MemberCoef {
            /// No coefficients (region members: theirs are summed into the compound's).
            #[default]
            None,
            $( $pv(<$ps as Loss<f64>>::Coef), )*
        }

        impl Stats for MemberStats {
            fn merge(&mut self, other: &Self) {
                match (&mut *self, other) {
                    (_, MemberStats::Empty) => {}
                    (MemberStats::Empty, o) => *self = *o,
                    $( (MemberStats::$pv(a), MemberStats::$pv(b)) => a.merge(b), )*
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }
        }

        impl<'a, T: Real> AnyLoss<'a, T> {
            /// The loss as the [`Loss`] trait, for the calls every loss answers.
            fn dyn_check(&self, input: &Input<'_, T>) -> Result<(), Error> {
                match self {
                    $( AnyLoss::$pv(l) => Loss::<T>::check(l, input), )*
                    $( AnyLoss::$rv(l) => Loss::<T>::check(l, input), )*
                }
            }

            fn dyn_workspace_len(&self, shape: &Shape) -> usize {
                match self {
                    $( AnyLoss::$pv(l) => Loss::<T>::workspace_len(l, shape), )*
                    $( AnyLoss::$rv(l) => Loss::<T>::workspace_len(l, shape), )*
                }
            }

            fn dyn_reads_complement(&self) -> bool {
                match self {
                    $( AnyLoss::$pv(l) => Loss::<T>::reads_complement(l), )*
                    $( AnyLoss::$rv(l) => Loss::<T>::reads_complement(l), )*
                }
            }

            fn dyn_prepare(&self, input: &Input<'_, T>, ws: &mut [T]) -> Result<(), Error> {
                match self {
                    $( AnyLoss::$pv(l) => Loss::<T>::prepare(l, input, ws), )*
                    $( AnyLoss::$rv(l) => Loss::<T>::prepare(l, input, ws), )*
                }
            }

            fn dyn_gradient_workspace_len(&self, shape: &Shape) -> usize {
                match self {
                    $( AnyLoss::$pv(l) => Loss::<T>::gradient_workspace_len(l, shape), )*
                    $( AnyLoss::$rv(l) => Loss::<T>::gradient_workspace_len(l, shape), )*
                }
            }

            /// `Some(batch)` for a region loss: whether it pools its statistics.
            fn region_batch(&self) -> Option<bool> {
                match self {
                    $( AnyLoss::$rv(l) => Some(RegionFormula::aggregation(l).batch), )*
                    _ => None,
                }
            }

            /// True for a region loss that reads a quadratic statistic.
            fn region_quadratic(&self) -> bool {
                match self {
                    $( AnyLoss::$rv(l) => RegionFormula::quadratic(l), )*
                    _ => false,
                }
            }

            fn region_finalize(&self, stats: &RegionStats) -> Option<Finalized<RegionCoef>> {
                match self {
                    $( AnyLoss::$rv(l) => Some(region::finalize(l, stats)), )*
                    _ => None,
                }
            }

            #[inline(always)]
            fn pixel_accumulate(&self, tile: &Tile<'_, T>, slot: &mut MemberStats, ws: &mut [T]) {
                match self {
                    $(
                        AnyLoss::$pv(l) => {
                            if !matches!(slot, MemberStats::$pv(_)) {
                                *slot = MemberStats::$pv(Default::default());
                            }
                            if let MemberStats::$pv(s) = slot {
                                Loss::<T>::accumulate(l, tile, s, ws);
                            }
                        }
                    )*
                    _ => {}
                }
            }

            /// True for a non-region member that takes the fused kernel (region members are
            /// decided for the shared statistics, by [`Compound::region_quadratic`]).
            fn pixel_fused_labels(&self) -> bool {
                match self {
                    $( AnyLoss::$pv(l) => Loss::<T>::fused_labels(l), )*
                    _ => true,
                }
            }

            /// The kernel terms of a non-region member (none for region members).
            fn pixel_label_terms(&self) -> LabelTerms {
                match self {
                    $( AnyLoss::$pv(l) => Loss::<T>::label_terms(l), )*
                    _ => LabelTerms::default(),
                }
            }

            fn pixel_add_label_sums(&self, block: &LabelBlock, slot: &mut MemberStats) {
                match self {
                    $(
                        AnyLoss::$pv(l) => {
                            if !matches!(slot, MemberStats::$pv(_)) {
                                *slot = MemberStats::$pv(Default::default());
                            }
                            if let MemberStats::$pv(s) = slot {
                                Loss::<T>::add_label_sums(l, block, s);
                            }
                        }
                    )*
                    _ => {}
                }
            }

            fn pixel_label_gradient(&self, coef: &MemberCoef, sample: usize, out: &mut LabelGradient) {
                match (self, coef) {
                    $( (AnyLoss::$pv(l), MemberCoef::$pv(c)) => Loss::<T>::label_gradient(l, c, sample, out), )*
                    _ => {}
                }
            }

            fn pixel_finalize(&self, slot: &MemberStats, ws: &mut [T]) -> (f64, MemberCoef) {
                match self {
                    $(
                        AnyLoss::$pv(l) => {
                            let stats = match slot {
                                MemberStats::$pv(s) => *s,
                                _ => Default::default(),
                            };
                            let f = Loss::<T>::finalize(l, &stats, ws);
                            (f.value, MemberCoef::$pv(f.coef))
                        }
                    )*
                    _ => (0.0, MemberCoef::None),
                }
            }

            fn pixel_scale(&self, coef: &mut MemberCoef, factor: f64) {
                match (self, coef) {
                    $( (AnyLoss::$pv(l), MemberCoef::$pv(c)) => Loss::<T>::scale(l, c, factor), )*
                    _ => {}
                }
            }

            #[inline(always)]
            fn pixel_backward(&self, coef: &MemberCoef, tile: &Tile<'_, T>, grad: &mut [T], ws: &[T]) {
                match (self, coef) {
                    $( (AnyLoss::$pv(l), MemberCoef::$pv(c)) => Loss::<T>::backward_with(l, c, tile, grad, ws), )*
                    _ => {}
                }
            }

            /// The run-time name of the loss (its catalogue entry's).
            pub fn name(&self) -> &'static str {
                use segloss::catalogue::Describe;
                match self {
                    $( AnyLoss::$pv(_) => <$pt as Describe>::DESCRIPTOR.name, )*
                    $( AnyLoss::$rv(_) => <$rt as Describe>::DESCRIPTOR.name, )*
                }
            }
        }

        /// Builds the leaf loss named exactly `name` (a [`Descriptor::name`](segloss::catalogue::Descriptor),
        /// hidden formulas included) from `given` ([`Configure::from_params`]); `None` for a
        /// name that is no leaf.
        pub fn build_leaf<'a, T: Real>(
            name: &str,
            given: &[(&str, Value<'a, T>)],
        ) -> Option<Result<AnyLoss<'a, T>, Error>> {
            use segloss::catalogue::Describe;
            $(
                if name == <$pt as Describe>::DESCRIPTOR.name {
                    return Some(<$pt as Configure<'a, T>>::from_params(given).map(AnyLoss::$pv));
                }
            )*
            $(
                if name == <$rt as Describe>::DESCRIPTOR.name {
                    return Some(<$rt as Configure<'a, T>>::from_params(given).map(AnyLoss::$rv));
                }
            )*
            None
        }
    };
}

segloss::with_catalogue!(any_loss);

impl<T: Real> AnyLoss<'_, T> {
    /// True for a region (overlap) loss.
    pub fn is_region(&self) -> bool {
        self.region_batch().is_some()
    }
}

/// A weighted member of a [`Compound`].
#[derive(Clone, Copy, Debug)]
pub struct Member<'a, T: Real> {
    /// Its weight in the sum.
    pub weight: f64,
    /// The loss.
    pub loss: AnyLoss<'a, T>,
}

/// A weighted sum of up to [`MAX_MEMBERS`] built-in losses, fused into one [`Loss`].
#[derive(Clone, Debug)]
pub struct Compound<'a, T: Real> {
    members: Vec<Member<'a, T>>,
}

impl<T: Real> Default for Compound<'_, T> {
    fn default() -> Self {
        Compound {
            members: Vec::new(),
        }
    }
}

impl<'a, T: Real> Compound<'a, T> {
    /// A compound with no member (its loss is 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `weight · loss`; refused beyond [`MAX_MEMBERS`] members.
    pub fn push(&mut self, weight: f64, loss: AnyLoss<'a, T>) -> Result<(), Error> {
        if self.members.len() >= MAX_MEMBERS {
            return Err(Error::Parameter {
                name: "members",
                allowed: "at most 8 members in one compound",
            });
        }
        self.members.push(Member { weight, loss });
        Ok(())
    }

    /// The members, in order.
    pub fn members(&self) -> &[Member<'a, T>] {
        &self.members
    }

    /// Each member's value (unweighted), in member order, from a finalized coefficient.
    pub fn member_values<'c>(&self, coef: &'c CompoundCoef) -> &'c [f64] {
        &coef.values[..self.members.len().min(MAX_MEMBERS)]
    }

    /// Checks every member against the batch; on error, the failing member's index.
    pub fn check_members(&self, input: &Input<'_, T>) -> Result<(), (usize, Error)> {
        for (i, m) in self.members.iter().enumerate() {
            if m.weight.is_nan() || m.weight.abs() > segloss::MAX_WEIGHT {
                return Err((
                    i,
                    Error::Parameter {
                        name: "weight",
                        allowed: "finite, |x| <= 1e8",
                    },
                ));
            }
            m.loss.dyn_check(input).map_err(|e| (i, e))?;
        }
        Ok(())
    }

    /// Whether the shared region statistics are per sample (`Some(false)`), pooled
    /// (`Some(true)`), or absent.
    fn region_pooled(&self) -> Option<bool> {
        let mut batches = self.members.iter().filter_map(|m| m.loss.region_batch());
        let first = batches.next()?;
        Some(first && batches.all(|b| b))
    }

    /// True when some region member reads a quadratic statistic (`sum_ss`, `sum_gg`,
    /// `sum_gss`), so the shared statistics must include them.
    fn region_quadratic(&self) -> bool {
        self.members.iter().any(|m| m.loss.region_quadratic())
    }

    /// Calls `f(member, workspace slice)` for every member, splitting `ws` in member order.
    fn split(&self, shape: &Shape, ws: &mut [T], mut f: impl FnMut(usize, &mut [T])) {
        for (i, (_, mine)) in self.with_workspace(shape, ws).enumerate() {
            f(i, mine);
        }
    }

    /// Each member with its slice of `ws`, in member order (a loop, not a closure, so the
    /// per-tile calls inline into the SIMD-dispatched passes).
    #[inline(always)]
    fn with_workspace<'s, 'w>(
        &'s self,
        shape: &'s Shape,
        ws: &'w mut [T],
    ) -> impl Iterator<Item = (&'s Member<'a, T>, &'w mut [T])> + use<'s, 'w, 'a, T> {
        let mut rest = ws;
        self.members.iter().map(move |m| {
            let len = m.loss.dyn_workspace_len(shape).min(rest.len());
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            (m, mine)
        })
    }
}

/// What a [`Compound`] accumulates.
#[derive(Clone, Copy, Debug)]
pub struct CompoundStats {
    /// The region statistics all region members share.
    pub region: RegionStats,
    /// Each non-region member's statistics, in member order.
    pub members: [MemberStats; MAX_MEMBERS],
    /// The batch shape pass 1 saw (finalize splits the workspace by it).
    pub shape: Option<Shape>,
}

impl Default for CompoundStats {
    fn default() -> Self {
        CompoundStats {
            region: RegionStats::default(),
            members: [MemberStats::Empty; MAX_MEMBERS],
            shape: None,
        }
    }
}

impl Stats for CompoundStats {
    fn merge(&mut self, other: &Self) {
        self.region.merge(&other.region);
        for (a, b) in self.members.iter_mut().zip(&other.members) {
            a.merge(b);
        }
        self.shape = self.shape.or(other.shape);
    }
}

/// What a [`Compound`] hands to pass 2, and each member's value.
#[derive(Clone, Copy, Debug)]
pub struct CompoundCoef {
    /// The weighted sum of the region members' coefficients.
    pub region: RegionCoef,
    /// True when some member is a region loss.
    pub has_region: bool,
    /// Each non-region member's weighted coefficients.
    pub members: [MemberCoef; MAX_MEMBERS],
    /// Each member's value, unweighted.
    pub values: [f64; MAX_MEMBERS],
}

/// The statistics of every group summed into one (what a `batch` member sees).
fn pool(s: &RegionStats) -> RegionStats {
    let mut out = RegionStats::default();
    let classes = s.classes.max(1);
    out.classes = s.classes;
    out.groups = usize::from(s.groups > 0);
    for group in s.entries.chunks_exact(classes).take(s.groups) {
        for (o, e) in out.entries.iter_mut().zip(group) {
            o.tp += e.tp;
            o.sum_s += e.sum_s;
            o.sum_g += e.sum_g;
            o.sum_ss += e.sum_ss;
            o.sum_gg += e.sum_gg;
            o.sum_gss += e.sum_gss;
            o.n += e.n;
        }
    }
    out
}

/// Adds `w · term` into `dst` over `groups` groups; a pooled term applies to every group of a
/// per-sample `dst`.
fn add_region(dst: &mut RegionCoef, groups: usize, w: f64, term: &RegionCoef) {
    let c = dst.classes.max(1);
    let spread = term.batch && !dst.batch;
    for g in 0..groups {
        let src_group = if spread { 0 } else { g };
        let out = dst.entries.iter_mut().skip(g * c).take(c);
        let src = term.entries.iter().skip(src_group * c).take(c);
        for (d, s) in out.zip(src) {
            for (x, y) in d.iter_mut().zip(s) {
                *x += w * y;
            }
        }
    }
}

impl<T: Real> Loss<T> for Compound<'_, T> {
    type Stats = CompoundStats;
    type Coef = CompoundCoef;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        self.check_members(input).map_err(|(_, e)| e)
    }

    fn workspace_len(&self, shape: &Shape) -> usize {
        self.members
            .iter()
            .map(|m| m.loss.dyn_workspace_len(shape))
            .sum()
    }

    fn reads_complement(&self) -> bool {
        self.members.iter().any(|m| m.loss.dyn_reads_complement())
    }

    fn prepare(&self, input: &Input<'_, T>, workspace: &mut [T]) -> Result<(), Error> {
        let mut result = Ok(());
        self.split(&input.shape(), workspace, |i, ws| {
            if result.is_ok() {
                result = self.members[i].loss.dyn_prepare(input, ws);
            }
        });
        result
    }

    fn fused_labels(&self) -> bool {
        !self.region_quadratic() && self.members.iter().all(|m| m.loss.pixel_fused_labels())
    }

    fn label_terms(&self) -> LabelTerms {
        let terms = self.members.iter().map(|m| m.loss.pixel_label_terms());
        terms.fold(LabelTerms::default(), LabelTerms::union)
    }

    fn add_label_sums(&self, block: &LabelBlock, stats: &mut CompoundStats) {
        stats.shape = Some(block.shape);
        if let Some(pooled) = self.region_pooled() {
            region::add_label_sums(block, &mut stats.region, pooled);
        }
        for (m, slot) in self.members.iter().zip(stats.members.iter_mut()) {
            m.loss.pixel_add_label_sums(block, slot);
        }
    }

    fn label_gradient(&self, coef: &CompoundCoef, sample: usize, out: &mut LabelGradient) {
        if coef.has_region {
            region::label_gradient(&coef.region, sample, out);
        }
        for (m, c) in self.members.iter().zip(coef.members.iter()) {
            m.loss.pixel_label_gradient(c, sample, out);
        }
    }

    #[inline(always)]
    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut CompoundStats, workspace: &mut [T]) {
        stats.shape = Some(tile.shape());
        if let Some(pooled) = self.region_pooled() {
            let quadratic = self.region_quadratic();
            region::accumulate_statistics(tile, &mut stats.region, pooled, quadratic);
        }
        let shape = tile.shape();
        let members = self.with_workspace(&shape, workspace);
        for ((m, ws), slot) in members.zip(stats.members.iter_mut()) {
            m.loss.pixel_accumulate(tile, slot, ws);
        }
    }

    fn finalize(&self, stats: &CompoundStats, workspace: &mut [T]) -> Finalized<CompoundCoef> {
        let shape = stats.shape.unwrap_or(Shape::UNIT);
        let pooled = self.region_pooled();
        let classes = stats.region.classes;
        let mut coef = CompoundCoef {
            region: RegionCoef {
                entries: [[0.0; 4]; MAX_REGION_ENTRIES],
                classes,
                batch: pooled.unwrap_or(true),
            },
            has_region: pooled.is_some(),
            members: [MemberCoef::None; MAX_MEMBERS],
            values: [0.0; MAX_MEMBERS],
        };
        // The pooled statistics `batch` members need when the shared ones are per sample.
        let needs_pool = pooled == Some(false)
            && self
                .members
                .iter()
                .any(|m| m.loss.region_batch() == Some(true));
        let pooled_stats = needs_pool.then(|| pool(&stats.region));
        let groups = if coef.region.batch {
            1
        } else {
            stats.region.groups
        };
        let mut value = 0.0;
        self.split(&shape, workspace, |i, ws| {
            let m = &self.members[i];
            let w = m.weight;
            let member_value = match m.loss.region_batch() {
                Some(batch) => {
                    let source = match (&pooled_stats, batch) {
                        (Some(p), true) => p,
                        _ => &stats.region,
                    };
                    match m.loss.region_finalize(source) {
                        Some(f) => {
                            add_region(&mut coef.region, groups, w, &f.coef);
                            f.value
                        }
                        None => 0.0,
                    }
                }
                None => {
                    let slot = stats.members.get(i).copied().unwrap_or_default();
                    let (v, mut c) = m.loss.pixel_finalize(&slot, ws);
                    m.loss.pixel_scale(&mut c, w);
                    if let Some(out) = coef.members.get_mut(i) {
                        *out = c;
                    }
                    v
                }
            };
            value += w * member_value;
            if let Some(out) = coef.values.get_mut(i) {
                *out = member_value;
            }
        });
        Finalized { value, coef }
    }

    fn scale(&self, coef: &mut CompoundCoef, factor: f64) {
        region::scale(&mut coef.region, factor);
        for (m, c) in self.members.iter().zip(coef.members.iter_mut()) {
            m.loss.pixel_scale(c, factor);
        }
    }

    /// Pass 2 without the workspace: the members whose gradient reads maps there (the
    /// boundary-based ones) add nothing; the engine calls [`Loss::backward_with`].
    #[inline(always)]
    fn backward(&self, coef: &CompoundCoef, tile: &Tile<'_, T>, grad: &mut [T]) {
        self.backward_with(coef, tile, grad, &[]);
    }

    fn gradient_workspace_len(&self, shape: &Shape) -> usize {
        let mut offset = 0usize;
        let mut needed = 0usize;
        for m in &self.members {
            let own = m.loss.dyn_gradient_workspace_len(shape);
            if own > 0 {
                needed = offset + own;
            }
            offset += m.loss.dyn_workspace_len(shape);
        }
        needed
    }

    #[inline(always)]
    fn backward_with(&self, coef: &CompoundCoef, tile: &Tile<'_, T>, grad: &mut [T], ws: &[T]) {
        if coef.has_region {
            region::backward(&coef.region, tile, grad);
        }
        let shape = tile.shape();
        let mut rest = ws;
        for (m, c) in self.members.iter().zip(coef.members.iter()) {
            let len = m.loss.dyn_workspace_len(&shape).min(rest.len());
            let (mine, tail) = rest.split_at(len);
            rest = tail;
            m.loss.pixel_backward(c, tile, grad, mine);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segloss::losses::{CrossEntropy, Dice, DiceCe, Iou, Reduction};
    use segloss::{engine, Target};

    fn sizes() -> (usize, usize) {
        (
            std::mem::size_of::<CompoundStats>(),
            std::mem::size_of::<CompoundCoef>(),
        )
    }

    #[test]
    fn statistics_stay_small() {
        let (stats, coef) = sizes();
        // One shared RegionStats (~28 KB) and eight small per-member slots (WCE's ~4 KB).
        assert!(stats < 64 * 1024, "CompoundStats is {stats} bytes");
        assert!(coef < 40 * 1024, "CompoundCoef is {coef} bytes");
    }

    #[test]
    fn a_quadratic_member_gets_its_statistics_beside_a_linear_one() {
        // Iou reads tp, sum_s and sum_g only; squared-prediction Dice also reads sum_ss and
        // sum_gg, which the shared statistics must then hold.
        let shape = Shape::new(2, 3, &[4, 5]).unwrap();
        let pred: Vec<f64> = (0..shape.elements())
            .map(|i| ((i * 7919) % 11) as f64 / 3.0 - 1.5)
            .collect();
        let labels: Vec<u8> = (0..shape.pixels()).map(|i| ((i * 17) % 3) as u8).collect();
        let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
        let squared = Dice::new().with_squared_pred(true);
        let mut mine = Compound::new();
        mine.push(0.3, AnyLoss::Iou(Iou::new())).unwrap();
        mine.push(0.7, AnyLoss::Dice(squared)).unwrap();
        let mut expected = vec![0.0; pred.len()];
        let mut value = 0.0;
        for (w, loss) in [
            (0.3, AnyLoss::Iou(Iou::new())),
            (0.7, AnyLoss::Dice(squared)),
        ] {
            let mut alone = Compound::new();
            alone.push(1.0, loss).unwrap();
            let mut g = vec![0.0; pred.len()];
            value += w * engine::forward_backward(&alone, &input, &mut [], &mut g).unwrap();
            for (e, x) in expected.iter_mut().zip(&g) {
                *e += w * x;
            }
        }
        let mut got = vec![0.0; pred.len()];
        let v = engine::forward_backward(&mine, &input, &mut [], &mut got).unwrap();
        assert!((v - value).abs() < 1e-12, "{v} vs {value}");
        let typed = engine::forward(&squared, &input, &mut []).unwrap();
        let iou = engine::forward(&Iou::new(), &input, &mut []).unwrap();
        assert!((v - (0.3 * iou + 0.7 * typed)).abs() < 1e-12);
        for (a, b) in got.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn mixed_pooling_matches_the_rust_compound() {
        let shape = Shape::new(3, 3, &[5, 7]).unwrap();
        let pred: Vec<f64> = (0..shape.elements())
            .map(|i| ((i * 7919) % 13) as f64 / 4.0 - 1.5)
            .collect();
        let labels: Vec<u8> = (0..shape.pixels()).map(|i| ((i * 31) % 3) as u8).collect();
        let input = Input::new(&pred, shape, Target::labels(&labels[..])).unwrap();
        let rust = DiceCe {
            dice: Dice::new().with_batch(true),
            ce: CrossEntropy::new().with_reduction(Reduction::Sum),
            lambda_dice: 0.4,
            lambda_ce: 0.01,
        };
        let mut mine = Compound::new();
        mine.push(0.4, AnyLoss::Dice(Dice::new().with_batch(true)))
            .unwrap();
        mine.push(
            0.01,
            AnyLoss::Ce(CrossEntropy::new().with_reduction(Reduction::Sum)),
        )
        .unwrap();
        // A per-sample region member with zero weight forces per-sample shared statistics.
        mine.push(0.0, AnyLoss::Iou(Iou::new())).unwrap();
        let (mut g1, mut g2) = (vec![0.0; pred.len()], vec![0.0; pred.len()]);
        let v1 = engine::forward_backward(&rust, &input, &mut [], &mut g1).unwrap();
        let v2 = engine::forward_backward(&mine, &input, &mut [], &mut g2).unwrap();
        assert!((v1 - v2).abs() < 1e-12, "{v1} vs {v2}");
        for (a, b) in g1.iter().zip(&g2) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn refuses_a_ninth_member() {
        let mut c = Compound::<f32>::new();
        for _ in 0..MAX_MEMBERS {
            c.push(1.0, AnyLoss::Ce(CrossEntropy::new())).unwrap();
        }
        assert!(c.push(1.0, AnyLoss::Ce(CrossEntropy::new())).is_err());
    }
}
