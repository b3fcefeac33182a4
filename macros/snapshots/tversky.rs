/// Tversky loss.
///
///Parameters (defaults): `alpha` = 0.5, `beta` = 0.5, `smooth_nr` = 0.00001, `smooth_dr` = 0.00001.
///
///Formula: `require alpha >= 0 && beta >= 0; loss = 1 - (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr);`
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tversky<'w> {
    alpha: f64,
    beta: f64,
    smooth_nr: f64,
    smooth_dr: f64,
    aggregation: ::segloss::region::Aggregation<'w>,
}
impl ::core::default::Default for Tversky<'_> {
    fn default() -> Self {
        Tversky {
            alpha: 0.5f64,
            beta: 0.5f64,
            smooth_nr: 0.00001f64,
            smooth_dr: 0.00001f64,
            aggregation: ::segloss::region::Aggregation::default(),
        }
    }
}
impl<'w> Tversky<'w> {
    ///`Tversky` with its default parameters and MONAI's aggregation.
    pub fn new() -> Self {
        Self::default()
    }
    ///Sets `alpha` (default 0.5).
    pub fn with_alpha(mut self, value: f64) -> Self {
        self.alpha = value;
        self
    }
    ///The value of `alpha`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    ///Sets `beta` (default 0.5).
    pub fn with_beta(mut self, value: f64) -> Self {
        self.beta = value;
        self
    }
    ///The value of `beta`.
    pub fn beta(&self) -> f64 {
        self.beta
    }
    ///Sets `smooth_nr` (default 0.00001).
    pub fn with_smooth_nr(mut self, value: f64) -> Self {
        self.smooth_nr = value;
        self
    }
    ///The value of `smooth_nr`.
    pub fn smooth_nr(&self) -> f64 {
        self.smooth_nr
    }
    ///Sets `smooth_dr` (default 0.00001).
    pub fn with_smooth_dr(mut self, value: f64) -> Self {
        self.smooth_dr = value;
        self
    }
    ///The value of `smooth_dr`.
    pub fn smooth_dr(&self) -> f64 {
        self.smooth_dr
    }
    /// Includes class 0 in the mean (default true; ignored with one class).
    pub fn with_include_background(mut self, include: bool) -> Self {
        self.aggregation.include_background = include;
        self
    }
    /// Pools the statistics over the batch (default false: one set per sample).
    pub fn with_batch(mut self, batch: bool) -> Self {
        self.aggregation.batch = batch;
        self
    }
    /// Per-class weights of the class terms.
    pub fn with_weight(mut self, weight: &'w [f64]) -> Self {
        self.aggregation.weight = Some(weight);
        self
    }
    /// The reduction over samples × classes.
    pub fn with_reduction(mut self, reduction: ::segloss::losses::Reduction) -> Self {
        self.aggregation.reduction = reduction;
        self
    }
    /// What a non-finite class term (an empty class without smoothing) counts as.
    pub fn with_empty(mut self, empty: ::segloss::region::EmptyClass) -> Self {
        self.aggregation.empty = empty;
        self
    }
}
impl ::segloss::catalogue::Describe for Tversky<'_> {
    const DESCRIPTOR: &'static ::segloss::catalogue::Descriptor = &::segloss::catalogue::Descriptor {
        name: "tversky",
        aliases: &[],
        family: ::segloss::catalogue::Family::Region,
        rust: ::core::concat!(::core::module_path!(), "::", "Tversky"),
        summary: "Tversky loss.",
        params: &[
            ::segloss::catalogue::Param::new(
                "alpha",
                ::segloss::catalogue::Kind::Number,
                ::segloss::catalogue::Constant::Number(0.5f64),
                "Sets `alpha`.",
            ),
            ::segloss::catalogue::Param::new(
                "beta",
                ::segloss::catalogue::Kind::Number,
                ::segloss::catalogue::Constant::Number(0.5f64),
                "Sets `beta`.",
            ),
            ::segloss::catalogue::Param::new(
                "smooth_nr",
                ::segloss::catalogue::Kind::Number,
                ::segloss::catalogue::Constant::Number(0.00001f64),
                "Sets `smooth_nr`.",
            ),
            ::segloss::catalogue::Param::new(
                "smooth_dr",
                ::segloss::catalogue::Kind::Number,
                ::segloss::catalogue::Constant::Number(0.00001f64),
                "Sets `smooth_dr`.",
            ),
            ::segloss::region::aggregation_params::INCLUDE_BACKGROUND,
            ::segloss::region::aggregation_params::BATCH,
            ::segloss::region::aggregation_params::WEIGHT,
            ::segloss::region::aggregation_params::REDUCTION,
            ::segloss::region::aggregation_params::EMPTY,
        ],
        members: &[],
        requires: &["alpha >= 0", "beta >= 0"],
        hidden: false,
        piecewise: false,
    };
}
impl<
    'w,
    __SeglossReal: ::segloss::Real,
> ::segloss::catalogue::Configure<'w, __SeglossReal> for Tversky<'w> {
    fn configure(
        args: &::segloss::catalogue::Args<'_, 'w, __SeglossReal>,
    ) -> ::core::result::Result<Self, ::segloss::Error> {
        let mut loss = Self::new();
        if let Some(x) = args.number("alpha") {
            loss.alpha = x;
        }
        if let Some(x) = args.number("beta") {
            loss.beta = x;
        }
        if let Some(x) = args.number("smooth_nr") {
            loss.smooth_nr = x;
        }
        if let Some(x) = args.number("smooth_dr") {
            loss.smooth_dr = x;
        }
        ::segloss::region::configure_aggregation(&mut loss.aggregation, args);
        Ok(loss)
    }
}
impl ::segloss::region::RegionFormula for Tversky<'_> {
    const COUPLED: bool = false;
    fn aggregation(&self) -> &::segloss::region::Aggregation<'_> {
        &self.aggregation
    }
    #[allow(unused_variables, clippy::all)]
    fn quadratic(&self) -> bool {
        let q6: bool = false;
        let q7: bool = false;
        let q8: bool = false;
        let q9: bool = q7 || q8;
        let q10: bool = false;
        let q11: bool = false;
        let q12: bool = q11 || q7;
        let q13: bool = q10 || q12;
        let q14: bool = q7 || q13;
        let q15: bool = false;
        let q16: bool = false;
        let q17: bool = q16 || q7;
        let q18: bool = q15 || q17;
        let q19: bool = q14 || q18;
        let q20: bool = false;
        let q21: bool = q19 || q20;
        let q22: bool = q9 || q21;
        let q23: bool = q6 || q22;
        q23
    }
    #[allow(unused_variables, clippy::all)]
    fn check_params(&self) -> ::core::result::Result<(), ::segloss::Error> {
        if self.alpha.is_nan() || self.alpha.abs() > ::segloss::MAX_WEIGHT {
            return Err(::segloss::Error::Parameter {
                name: "alpha",
                allowed: "finite, |x| <= 1e8",
            });
        }
        if self.beta.is_nan() || self.beta.abs() > ::segloss::MAX_WEIGHT {
            return Err(::segloss::Error::Parameter {
                name: "beta",
                allowed: "finite, |x| <= 1e8",
            });
        }
        if self.smooth_nr.is_nan() || self.smooth_nr.abs() > ::segloss::MAX_WEIGHT {
            return Err(::segloss::Error::Parameter {
                name: "smooth_nr",
                allowed: "finite, |x| <= 1e8",
            });
        }
        if self.smooth_dr.is_nan() || self.smooth_dr.abs() > ::segloss::MAX_WEIGHT {
            return Err(::segloss::Error::Parameter {
                name: "smooth_dr",
                allowed: "finite, |x| <= 1e8",
            });
        }
        let g0: f64 = self.alpha;
        let g1: f64 = 0f64;
        let g2: bool = g0 >= g1;
        let g3: f64 = self.beta;
        let g4: f64 = 0f64;
        let g5: bool = g3 >= g4;
        if !g2 {
            return Err(::segloss::Error::Parameter {
                name: "alpha",
                allowed: ">= 0",
            });
        }
        if !g5 {
            return Err(::segloss::Error::Parameter {
                name: "beta",
                allowed: ">= 0",
            });
        }
        Ok(())
    }
    #[allow(unused_variables, unused_mut, unused_assignments, clippy::all)]
    fn evaluate(
        &self,
        __stats: &[::segloss::region::ClassStats],
        __values: &mut [f64],
        __partials: &mut [::segloss::region::Partials],
    ) -> f64 {
        let __k = __stats.len() as f64;
        let g6: f64 = 1f64;
        let g8: f64 = self.smooth_nr;
        let g10: f64 = self.alpha;
        let g15: f64 = self.beta;
        let g20: f64 = self.smooth_dr;
        for ((__s, __v), __p) in __stats
            .iter()
            .zip(__values.iter_mut())
            .zip(__partials.iter_mut())
        {
            let c7: f64 = __s.tp;
            let c9: f64 = c7 + g8;
            let c11: f64 = __s.sum_s;
            let c12: f64 = c11 - c7;
            let c13: f64 = g10 * c12;
            let c14: f64 = c7 + c13;
            let c16: f64 = __s.sum_g;
            let c17: f64 = c16 - c7;
            let c18: f64 = g15 * c17;
            let c19: f64 = c14 + c18;
            let c21: f64 = c19 + g20;
            let c22: f64 = c9 / c21;
            let c23: f64 = g6 - c22;
            *__v = c23;
            let mut d7: f64 = 0.0;
            let mut d9: f64 = 0.0;
            let mut d11: f64 = 0.0;
            let mut d12: f64 = 0.0;
            let mut d13: f64 = 0.0;
            let mut d14: f64 = 0.0;
            let mut d17: f64 = 0.0;
            let mut d18: f64 = 0.0;
            let mut d19: f64 = 0.0;
            let mut d21: f64 = 0.0;
            let mut d22: f64 = 0.0;
            let mut d23: f64 = 0.0;
            d23 += 1.0;
            if d23 != 0.0 {
                d22 += -d23;
            }
            if d22 != 0.0 {
                d9 += d22 / c21;
                d21 += -d22 * c22 / c21;
            }
            if d21 != 0.0 {
                d19 += d21;
            }
            if d19 != 0.0 {
                d14 += d19;
                d18 += d19;
            }
            if d18 != 0.0 {
                d17 += d18 * g15;
            }
            if d17 != 0.0 {
                d7 += -d17;
            }
            if d14 != 0.0 {
                d7 += d14;
                d13 += d14;
            }
            if d13 != 0.0 {
                d12 += d13 * g10;
            }
            if d12 != 0.0 {
                d11 += d12;
                d7 += -d12;
            }
            if d11 != 0.0 {
                __p[1usize] += d11;
            }
            if d9 != 0.0 {
                d7 += d9;
            }
            if d7 != 0.0 {
                __p[0usize] += d7;
            }
        }
        0.0
    }
}
impl<T: ::segloss::Real> ::segloss::Loss<T> for Tversky<'_> {
    type Stats = ::segloss::region::RegionStats;
    type Coef = ::segloss::region::RegionCoef;
    fn check(
        &self,
        input: &::segloss::Input<'_, T>,
    ) -> ::core::result::Result<(), ::segloss::Error> {
        ::segloss::region::check(self, input)
    }
    fn reads_complement(&self) -> bool {
        false
    }
    #[inline(always)]
    fn fused_labels(&self) -> bool {
        !::segloss::region::RegionFormula::quadratic(self)
    }
    fn add_label_sums(
        &self,
        block: &::segloss::kernel::LabelBlock,
        stats: &mut Self::Stats,
    ) {
        let batch = ::segloss::region::RegionFormula::aggregation(self).batch;
        ::segloss::region::add_label_sums(block, stats, batch)
    }
    fn label_gradient(
        &self,
        coef: &Self::Coef,
        sample: usize,
        out: &mut ::segloss::kernel::LabelGradient,
    ) {
        ::segloss::region::label_gradient(coef, sample, out)
    }
    fn accumulate(
        &self,
        tile: &::segloss::Tile<'_, T>,
        stats: &mut Self::Stats,
        _: &mut [T],
    ) {
        ::segloss::region::accumulate(self, tile, stats)
    }
    fn finalize(
        &self,
        stats: &Self::Stats,
        _: &mut [T],
    ) -> ::segloss::Finalized<Self::Coef> {
        ::segloss::region::finalize(self, stats)
    }
    fn scale(&self, coef: &mut Self::Coef, factor: f64) {
        ::segloss::region::scale(coef, factor)
    }
    #[inline(always)]
    fn backward(
        &self,
        coef: &Self::Coef,
        tile: &::segloss::Tile<'_, T>,
        grad: &mut [T],
    ) {
        ::segloss::region::backward(coef, tile, grad)
    }
}
