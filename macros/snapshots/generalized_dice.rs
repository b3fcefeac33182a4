/// Generalised Dice loss.
///
///Parameters (defaults): `w_type` = square, `smooth_nr` = 0.00001, `smooth_dr` = 0.00001.
///
///Formula: `let raw = match w_type { square => if sum_g > 0 { 1 / (sum_g * sum_g) } else { 0 } , simple => if sum_g > 0 { 1 / sum_g } else { 0 } , uniform => 1 , }; let largest = max_c (raw); let w = if sum_g > 0 { raw } else { largest }; loss = 1 - (2 * sum_c (w * tp) + smooth_nr) / (sum_c (w * (sum_s + sum_g)) + smooth_dr);`
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeneralizedDice<'w> {
    w_type: GeneralizedDiceWType,
    smooth_nr: f64,
    smooth_dr: f64,
    aggregation: ::segloss::region::Aggregation<'w>,
}
///The choices of [`GeneralizedDice`]'s `w_type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GeneralizedDiceWType {
    #[default]
    ///`square`.
    Square,
    ///`simple`.
    Simple,
    ///`uniform`.
    Uniform,
}
impl ::core::default::Default for GeneralizedDice<'_> {
    fn default() -> Self {
        GeneralizedDice {
            w_type: GeneralizedDiceWType::Square,
            smooth_nr: 0.00001f64,
            smooth_dr: 0.00001f64,
            aggregation: ::segloss::region::Aggregation::default(),
        }
    }
}
impl<'w> GeneralizedDice<'w> {
    ///`GeneralizedDice` with its default parameters and MONAI's aggregation.
    pub fn new() -> Self {
        Self::default()
    }
    ///Sets `w_type` (default square).
    pub fn with_w_type(mut self, value: GeneralizedDiceWType) -> Self {
        self.w_type = value;
        self
    }
    ///The value of `w_type`.
    pub fn w_type(&self) -> GeneralizedDiceWType {
        self.w_type
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
impl ::segloss::catalogue::Describe for GeneralizedDice<'_> {
    const DESCRIPTOR: &'static ::segloss::catalogue::Descriptor = &::segloss::catalogue::Descriptor {
        name: "generalized_dice",
        aliases: &[],
        family: ::segloss::catalogue::Family::CoupledRegion,
        rust: ::core::concat!(::core::module_path!(), "::", "GeneralizedDice"),
        summary: "Generalised Dice loss.",
        params: &[
            ::segloss::catalogue::Param::new(
                "w_type",
                ::segloss::catalogue::Kind::Choice(&["square", "simple", "uniform"]),
                ::segloss::catalogue::Constant::Word("square"),
                "Sets `w_type`.",
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
            ::segloss::region::aggregation_params::REDUCTION,
            ::segloss::region::aggregation_params::EMPTY,
        ],
        members: &[],
        requires: &[],
        hidden: false,
        piecewise: false,
    };
}
impl<
    'w,
    __SeglossReal: ::segloss::Real,
> ::segloss::catalogue::Configure<'w, __SeglossReal> for GeneralizedDice<'w> {
    fn configure(
        args: &::segloss::catalogue::Args<'_, 'w, __SeglossReal>,
    ) -> ::core::result::Result<Self, ::segloss::Error> {
        let mut loss = Self::new();
        match args.word("w_type") {
            Some("square") => loss.w_type = GeneralizedDiceWType::Square,
            Some("simple") => loss.w_type = GeneralizedDiceWType::Simple,
            Some("uniform") => loss.w_type = GeneralizedDiceWType::Uniform,
            _ => {}
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
impl ::segloss::region::RegionFormula for GeneralizedDice<'_> {
    const COUPLED: bool = true;
    fn aggregation(&self) -> &::segloss::region::Aggregation<'_> {
        &self.aggregation
    }
    #[allow(unused_variables, clippy::all)]
    fn quadratic(&self) -> bool {
        let g15: bool = ::core::matches!(self.w_type, GeneralizedDiceWType::Simple);
        let g17: bool = ::core::matches!(self.w_type, GeneralizedDiceWType::Square);
        let q0: bool = false;
        let q1: bool = false;
        let q2: bool = q0 || q1;
        let q3: bool = false;
        let q4: bool = q0 || q0;
        let q5: bool = q3 || q4;
        let q6: bool = false;
        let q7: bool = q2 || q5 || q6;
        let q8: bool = false;
        let q9: bool = q0 || q8;
        let q10: bool = false;
        let q11: bool = q10 || q0;
        let q12: bool = false;
        let q13: bool = q9 || q11 || q12;
        let q14: bool = false;
        let q15: bool = false;
        let q16: bool = if g15 { q13 } else { q14 };
        let q17: bool = false;
        let q18: bool = if g17 { q7 } else { q16 };
        let q19: bool = q18;
        let q20: bool = false;
        let q21: bool = q0 || q20;
        let q22: bool = q21 || q18 || q19;
        let q23: bool = false;
        let q24: bool = false;
        let q25: bool = false;
        let q26: bool = q22 || q25;
        let q27: bool = q26;
        let q28: bool = q24 || q27;
        let q29: bool = false;
        let q30: bool = q28 || q29;
        let q31: bool = false;
        let q32: bool = q31 || q0;
        let q33: bool = q22 || q32;
        let q34: bool = q33;
        let q35: bool = false;
        let q36: bool = q34 || q35;
        let q37: bool = q30 || q36;
        let q38: bool = q23 || q37;
        q38
    }
    #[allow(unused_variables, clippy::all)]
    fn check_params(&self) -> ::core::result::Result<(), ::segloss::Error> {
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
        let g1: f64 = 0f64;
        let g3: f64 = 1f64;
        let g6: f64 = 0f64;
        let g8: f64 = 0f64;
        let g10: f64 = 1f64;
        let g12: f64 = 0f64;
        let g14: f64 = 1f64;
        let g15: bool = ::core::matches!(self.w_type, GeneralizedDiceWType::Simple);
        let g17: bool = ::core::matches!(self.w_type, GeneralizedDiceWType::Square);
        let mut g19: f64 = f64::NEG_INFINITY;
        for __s in __stats.iter() {
            let c0: f64 = __s.sum_g;
            let c2: bool = c0 > g1;
            let c4: f64 = c0 * c0;
            let c5: f64 = g3 / c4;
            let c7: f64 = if c2 { c5 } else { g6 };
            let c9: bool = c0 > g8;
            let c11: f64 = g10 / c0;
            let c13: f64 = if c9 { c11 } else { g12 };
            let c16: f64 = if g15 { c13 } else { g14 };
            let c18: f64 = if g17 { c7 } else { c16 };
            if c18 > g19 {
                g19 = c18;
            }
        }
        let g20: f64 = 0f64;
        let g23: f64 = 1f64;
        let g24: f64 = 2f64;
        let mut g27: f64 = 0.0;
        for __s in __stats.iter() {
            let c0: f64 = __s.sum_g;
            let c2: bool = c0 > g1;
            let c4: f64 = c0 * c0;
            let c5: f64 = g3 / c4;
            let c7: f64 = if c2 { c5 } else { g6 };
            let c9: bool = c0 > g8;
            let c11: f64 = g10 / c0;
            let c13: f64 = if c9 { c11 } else { g12 };
            let c16: f64 = if g15 { c13 } else { g14 };
            let c18: f64 = if g17 { c7 } else { c16 };
            let c21: bool = c0 > g20;
            let c22: f64 = if c21 { c18 } else { g19 };
            let c25: f64 = __s.tp;
            let c26: f64 = c22 * c25;
            g27 += c26;
        }
        let g28: f64 = g24 * g27;
        let g29: f64 = self.smooth_nr;
        let g30: f64 = g28 + g29;
        let mut g34: f64 = 0.0;
        for __s in __stats.iter() {
            let c0: f64 = __s.sum_g;
            let c2: bool = c0 > g1;
            let c4: f64 = c0 * c0;
            let c5: f64 = g3 / c4;
            let c7: f64 = if c2 { c5 } else { g6 };
            let c9: bool = c0 > g8;
            let c11: f64 = g10 / c0;
            let c13: f64 = if c9 { c11 } else { g12 };
            let c16: f64 = if g15 { c13 } else { g14 };
            let c18: f64 = if g17 { c7 } else { c16 };
            let c21: bool = c0 > g20;
            let c22: f64 = if c21 { c18 } else { g19 };
            let c31: f64 = __s.sum_s;
            let c32: f64 = c31 + c0;
            let c33: f64 = c22 * c32;
            g34 += c33;
        }
        let g35: f64 = self.smooth_dr;
        let g36: f64 = g34 + g35;
        let g37: f64 = g30 / g36;
        let g38: f64 = g23 - g37;
        let mut e27: f64 = 0.0;
        let mut e28: f64 = 0.0;
        let mut e30: f64 = 0.0;
        let mut e34: f64 = 0.0;
        let mut e36: f64 = 0.0;
        let mut e37: f64 = 0.0;
        let mut e38: f64 = 0.0;
        e38 = 1.0;
        if e38 != 0.0 {
            e37 += -e38;
        }
        if e37 != 0.0 {
            e30 += e37 / g36;
            e36 += -e37 * g37 / g36;
        }
        if e36 != 0.0 {
            e34 += e36;
        }
        if e30 != 0.0 {
            e28 += e30;
        }
        if e28 != 0.0 {
            e27 += e28 * g24;
        }
        for (__s, __p) in __stats.iter().zip(__partials.iter_mut()) {
            {
                let c0: f64 = __s.sum_g;
                let c2: bool = c0 > g1;
                let c4: f64 = c0 * c0;
                let c5: f64 = g3 / c4;
                let c7: f64 = if c2 { c5 } else { g6 };
                let c9: bool = c0 > g8;
                let c11: f64 = g10 / c0;
                let c13: f64 = if c9 { c11 } else { g12 };
                let c16: f64 = if g15 { c13 } else { g14 };
                let c18: f64 = if g17 { c7 } else { c16 };
                let c21: bool = c0 > g20;
                let c22: f64 = if c21 { c18 } else { g19 };
                let c25: f64 = __s.tp;
                let c26: f64 = c22 * c25;
                let mut d25: f64 = 0.0;
                let mut d26: f64 = 0.0;
                d26 += e27;
                if d26 != 0.0 {
                    d25 += d26 * c22;
                }
                if d25 != 0.0 {
                    __p[0usize] += d25;
                }
            }
            {
                let c0: f64 = __s.sum_g;
                let c2: bool = c0 > g1;
                let c4: f64 = c0 * c0;
                let c5: f64 = g3 / c4;
                let c7: f64 = if c2 { c5 } else { g6 };
                let c9: bool = c0 > g8;
                let c11: f64 = g10 / c0;
                let c13: f64 = if c9 { c11 } else { g12 };
                let c16: f64 = if g15 { c13 } else { g14 };
                let c18: f64 = if g17 { c7 } else { c16 };
                let c21: bool = c0 > g20;
                let c22: f64 = if c21 { c18 } else { g19 };
                let c31: f64 = __s.sum_s;
                let c32: f64 = c31 + c0;
                let c33: f64 = c22 * c32;
                let mut d31: f64 = 0.0;
                let mut d32: f64 = 0.0;
                let mut d33: f64 = 0.0;
                d33 += e34;
                if d33 != 0.0 {
                    d32 += d33 * c22;
                }
                if d32 != 0.0 {
                    d31 += d32;
                }
                if d31 != 0.0 {
                    __p[1usize] += d31;
                }
            }
        }
        g38
    }
}
impl<T: ::segloss::Real> ::segloss::Loss<T> for GeneralizedDice<'_> {
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
