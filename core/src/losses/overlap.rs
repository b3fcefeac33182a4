//! The region (overlap) losses of the paper, each declared as a formula with
//! [`region_loss!`](crate::region_loss): value and gradient are generated at compile time.
//!
//! Aggregation options on all of them (MONAI's): `include_background`, `batch`, per-class
//! `weight` (per-class losses), `reduction`, and what an empty class counts as.

crate::region_loss! {
    /// Dice loss, as MONAI's `DiceLoss`: `1 − (2·tp + smooth_nr) / (den + smooth_dr)` per
    /// class, `den = Σs + Σg` (`Σs² + Σg²` with `squared_pred`, Milletari et al.),
    /// `2(den − tp)` with `jaccard`; `log_dice` gives `−ln(Dice + 10⁻³⁰⁰)` instead (so
    /// a present class with no overlap and no smoothing costs about 690.8, not an infinite
    /// term).
    ///
    /// ```
    /// use segloss::{engine, losses::Dice, Input, Shape, Target};
    /// let logits = [4.0f64, -4.0, -4.0, 4.0]; // (B=1, C=2, 2 pixels), nearly perfect
    /// let input = Input::new(&logits, Shape::new(1, 2, &[2])?, Target::labels(&[0u8, 1]))?;
    /// let mut grad = [0.0; 4];
    /// let loss = engine::forward_backward(&Dice::new(), &input, &mut [], &mut grad)?;
    /// assert!(loss > 0.0 && loss < 0.02);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "dice", rust = "losses::Dice", aliases = ["dice_loss"])]
    pub struct Dice {
        /// Sets the numerator's smoothing (default 1e-5).
        smooth_nr: 1e-5,
        /// Sets the denominator's smoothing (default 1e-5).
        smooth_dr: 1e-5,
        /// Squares the prediction and target in the denominator (Milletari's V-Net Dice).
        squared_pred: false,
        /// MONAI's Jaccard form of the denominator, `2(den − tp)`.
        jaccard: false,
        /// The loss is `−ln(Dice)` instead of `1 − Dice`.
        log_dice: false
    }
    require smooth_nr >= 0 && smooth_dr >= 0;
    let den = if squared_pred { sum_ss + sum_gg } else { sum_s + sum_g };
    let den = if jaccard { 2 * (den - tp) } else { den };
    let dice = (2 * tp + smooth_nr) / (den + smooth_dr);
    // −ln takes the score plus 1e-300 (finding F15): a present class with no overlap and
    // no numerator smoothing costs −ln 1e-300 ≈ 690.8 instead of an infinite term (which
    // counted as a perfect one); 0/0, an empty class, stays undefined.
    loss = if log_dice { -ln(dice + 1e-300) } else { 1 - dice };
}

crate::region_loss! {
    /// Log-cosh Dice loss (Jadon, *A survey of loss functions for semantic segmentation*,
    /// 2020): `ln cosh(1 − Dice)` per class, with Dice as [`Dice`] defines it; quadratic near
    /// a perfect prediction and linear far from it.
    ///
    /// ```
    /// use segloss::{engine, losses::LogCoshDice, Input, Shape, Target};
    /// let probs = [0.75f64, 0.25]; // (B=1, C=1, 2 pixels), probabilities
    /// let input = Input::new(&probs, Shape::new(1, 1, &[2])?, Target::labels(&[1u8, 0]))?
    ///     .with_activation(segloss::Activation::Identity);
    /// let loss = LogCoshDice::new().with_smooth_nr(0.0).with_smooth_dr(0.0);
    /// let d: f64 = 1.0 - 2.0 * 0.75 / (1.0 + 1.0); // tp 0.75, Σs 1, Σg 1
    /// assert!((engine::forward(&loss, &input, &mut [])? - d.cosh().ln()).abs() < 1e-12);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "log_cosh_dice", rust = "losses::LogCoshDice", aliases = ["lcdice"])]
    pub struct LogCoshDice {
        /// The numerator's smoothing.
        smooth_nr: 1e-5,
        /// The denominator's smoothing.
        smooth_dr: 1e-5
    }
    require smooth_nr >= 0 && smooth_dr >= 0;
    let d = 1 - (2 * tp + smooth_nr) / (sum_s + sum_g + smooth_dr);
    loss = ln((exp(d) + exp(-d)) / 2);
}

crate::region_loss! {
    /// Intersection over union (Jaccard) loss: `1 − (tp + smooth_nr) / (tp + fp + fn + smooth_dr)`.
    ///
    /// ```
    /// use segloss::{engine, losses::Iou, Input, Shape, Target};
    /// let probs = [0.5f64, 0.5]; // (B=1, C=1, 2 pixels), probabilities
    /// let input = Input::new(&probs, Shape::new(1, 1, &[2])?, Target::labels(&[1u8, 0]))?
    ///     .with_activation(segloss::Activation::Identity);
    /// let loss = engine::forward(&Iou::new().with_smooth_nr(0.0).with_smooth_dr(0.0), &input, &mut [])?;
    /// assert!((loss - (1.0 - 0.5 / 1.5)).abs() < 1e-12); // tp 0.5, fp 0.5, fn 0.5
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "iou", rust = "losses::Iou", aliases = ["jaccard", "jaccard_loss"])]
    pub struct Iou { smooth_nr: 1e-5, smooth_dr: 1e-5 }
    require smooth_nr >= 0 && smooth_dr >= 0;
    loss = 1 - (tp + smooth_nr) / (tp + fp + fn + smooth_dr);
}

crate::region_loss! {
    /// Tversky loss (Salehi et al.), as MONAI's `TverskyLoss`: `alpha` weights false
    /// positives, `beta` false negatives.
    ///
    /// ```
    /// use segloss::{engine, losses::Tversky, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0]; // (B=1, C=2, 3 pixels)
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// let loss = engine::forward(&Tversky::new().with_alpha(0.3).with_beta(0.7), &input, &mut [])?;
    /// assert!(loss > 0.0 && loss < 1.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "tversky", rust = "losses::Tversky", aliases = ["tversky_loss"])]
    pub struct Tversky {
        /// The weight of false positives.
        alpha: 0.5,
        /// The weight of false negatives.
        beta: 0.5,
        /// The numerator's smoothing.
        smooth_nr: 1e-5,
        /// The denominator's smoothing.
        smooth_dr: 1e-5
    }
    require alpha >= 0 && beta >= 0 && smooth_nr >= 0 && smooth_dr >= 0;
    loss = 1 - (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr);
}

crate::region_loss! {
    /// Focal Tversky loss (Abraham and Khan): `(1 − T_c)^(1/γ)` per class, then averaged.
    ///
    /// ```
    /// use segloss::{engine, losses::FocalTversky, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// let loss = engine::forward(&FocalTversky::new().with_gamma(1.33), &input, &mut [])?;
    /// assert!(loss > 0.0 && loss < 1.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "focal_tversky", rust = "losses::FocalTversky", aliases = ["ftl", "focal_tversky_loss"])]
    pub struct FocalTversky { alpha: 0.5, beta: 0.5, gamma: 1.3333333333333333, smooth_nr: 1e-5, smooth_dr: 1e-5 }
    require alpha >= 0 && beta >= 0 && gamma > 0 && smooth_nr >= 0 && smooth_dr >= 0;
    let t = (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr);
    loss = pow(1 - t, 1 / gamma);
}

crate::region_loss! {
    /// Focal Tversky loss as the paper's code computes it: `(1 − mean_c T_c)^(1/γ)`, the
    /// power taken after the class mean (one value per sample).
    ///
    /// ```
    /// use segloss::{engine, losses::FocalTverskyMean, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// let loss = engine::forward(&FocalTverskyMean::new(), &input, &mut [])?;
    /// assert!(loss > 0.0 && loss < 1.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "focal_tversky_mean", rust = "losses::FocalTverskyMean")]
    pub struct FocalTverskyMean { alpha: 0.5, beta: 0.5, gamma: 1.3333333333333333, smooth_nr: 1e-5, smooth_dr: 1e-5 }
    require alpha >= 0 && beta >= 0 && gamma > 0 && smooth_nr >= 0 && smooth_dr >= 0;
    let t = (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr);
    loss = pow(mean_c(1 - t), 1 / gamma);
}

crate::region_loss! {
    /// Asymmetric similarity loss (Hashemi et al.), the F-β score with β = 1.5:
    /// `1 − (tp + smooth_nr) / (tp + w·fn + (1 − w)·fp + smooth_dr)`, `w = β² / (1 + β²)`.
    ///
    /// ```
    /// use segloss::{engine, losses::Asym, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// assert!(engine::forward(&Asym::new(), &input, &mut [])? > 0.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "asym", rust = "losses::Asym", aliases = ["asymmetric_similarity"])]
    pub struct Asym { beta: 1.5, smooth_nr: 1e-5, smooth_dr: 1e-5 }
    require beta >= 0 && smooth_nr >= 0 && smooth_dr >= 0;
    let w = beta * beta / (1 + beta * beta);
    loss = 1 - (tp + smooth_nr) / (tp + w * fn + (1 - w) * fp + smooth_dr);
}

crate::region_loss! {
    /// Generalised Dice loss (Sudre et al.), as MONAI's `GeneralizedDiceLoss`: class weights
    /// `1/Σg²` (`square`), `1/Σg` (`simple`) or 1 (`uniform`), held constant; a class absent
    /// from the target takes the largest finite weight of its sample (MONAI's rule).
    ///
    /// ```
    /// use segloss::{engine, losses::{GeneralizedDice, GeneralizedDiceWType}, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// let gdl = GeneralizedDice::new().with_w_type(GeneralizedDiceWType::Simple);
    /// assert!(engine::forward(&gdl, &input, &mut [])? > 0.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "gdice", rust = "losses::GeneralizedDice", aliases = ["gdl", "generalized_dice", "generalised_dice"])]
    pub struct GeneralizedDice { w_type: square | simple | uniform, smooth_nr: 1e-5, smooth_dr: 1e-5 }
    require smooth_nr >= 0 && smooth_dr >= 0;
    let raw = match w_type {
        square => if sum_g > 0 { 1 / (sum_g * sum_g) } else { 0 },
        simple => if sum_g > 0 { 1 / sum_g } else { 0 },
        uniform => 1,
    };
    let largest = max_c(raw);
    let w = if sum_g > 0 { raw } else { largest };
    loss = 1 - (2 * sum_c(w * tp) + smooth_nr) / (sum_c(w * (sum_s + sum_g)) + smooth_dr);
}

crate::region_loss! {
    /// Penalty generalised Dice loss (Su et al.): `GD / (1 + k (1 − GD))`, `GD` the
    /// generalised Dice loss, `k = 2.5`.
    ///
    /// ```
    /// use segloss::{engine, losses::PenaltyGeneralizedDice, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// assert!(engine::forward(&PenaltyGeneralizedDice::new(), &input, &mut [])? > 0.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "pgdice", rust = "losses::PenaltyGeneralizedDice", aliases = ["pgdl", "penalty_gdl"])]
    pub struct PenaltyGeneralizedDice { w_type: square | simple | uniform, smooth_nr: 1e-5, smooth_dr: 1e-5, k: 2.5 }
    require smooth_nr >= 0 && smooth_dr >= 0 && k >= 0;
    let raw = match w_type {
        square => if sum_g > 0 { 1 / (sum_g * sum_g) } else { 0 },
        simple => if sum_g > 0 { 1 / sum_g } else { 0 },
        uniform => 1,
    };
    let largest = max_c(raw);
    let w = if sum_g > 0 { raw } else { largest };
    let gd = 1 - (2 * sum_c(w * tp) + smooth_nr) / (sum_c(w * (sum_s + sum_g)) + smooth_dr);
    loss = gd / (1 + k * (1 - gd));
}

crate::region_loss! {
    /// Sensitivity-specificity loss (Brosch et al.):
    /// `w Σ(g−s)²g / Σg + (1 − w) Σ(g−s)²(1−g) / Σ(1−g)`, in the statistics' terms (exact
    /// for hard targets, where `g² = g`).
    ///
    /// ```
    /// use segloss::{engine, losses::SensitivitySpecificity, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// assert!(engine::forward(&SensitivitySpecificity::new(), &input, &mut [])? > 0.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    #[catalogue(name = "ss", rust = "losses::SensitivitySpecificity", aliases = ["sensitivity_specificity"])]
    pub struct SensitivitySpecificity { w: 0.1, smooth_dr: 1e-5 }
    require w >= 0 && w <= 1 && smooth_dr >= 0;
    loss = w * (sum_g - 2 * tp + sum_gss) / (sum_g + smooth_dr)
        + (1 - w) * (sum_ss - sum_gss) / (n - sum_g + smooth_dr);
}

crate::region_loss! {
    /// Matthews correlation coefficient loss (Abhishek and Hamarneh):
    /// `1 − (tp·tn − fp·fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn) + smooth_dr)`.
    ///
    /// ```
    /// use segloss::{engine, losses::Mcc, Input, Shape, Target};
    /// let logits = [1.0f32, -1.0, 0.0, 2.0, -2.0, 1.0];
    /// let input = Input::new(&logits, Shape::new(1, 2, &[3])?, Target::labels(&[0u8, 1, 1]))?;
    /// assert!(engine::forward(&Mcc::new(), &input, &mut [])? > 0.0);
    /// # Ok::<(), segloss::Error>(())
    /// ```
    ///
    /// `smooth_dr` must be positive: without it the term is `0/0` wherever a class is
    /// predicted everywhere or nowhere, which `f32` reaches by rounding where `f64` does not
    /// (observation O1).
    #[catalogue(name = "mcc", rust = "losses::Mcc", aliases = ["mcc_loss"])]
    pub struct Mcc { smooth_dr: 1e-5 }
    require smooth_dr > 0;
    loss = 1 - (tp * tn - fp * fn) / sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn) + smooth_dr);
}
