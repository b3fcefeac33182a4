//! The Hausdorff distance-transform loss of Karimi and Salcudean (the paper's eq. (12)), in
//! MONAI's `HausdorffDTLoss` / `LogHausdorffDTLoss` form.

use super::distmap::{chain, fill_target, first_class, slot, tile_part, Spacing};
use super::Reduction;
use crate::catalogue::{
    Args, Configure, Constant, Describe, Descriptor, Family, Kind, Param, REDUCTION, SPACING,
};
use crate::Shape;
use crate::{engine, Error, Finalized, Input, Loss, Real, Stats, Tile};

/// Hausdorff DT loss: `L = (1 / (C'·N)) Σ_i Σ_{c ∈ covered} (s_ic − g_ic)² · (d_G(i)^α + d_S(i)^α)`.
///
/// `d_G` and `d_S` are MONAI's distance fields (`HausdorffDTLoss.distance_field`) of the
/// target and of the activated prediction, both thresholded at `> 0.5`, per sample and class:
/// every voxel's distance to the nearest voxel on the other side of the mask
/// (`edt(fg) + edt(bg)`), and 0 everywhere when the mask is all foreground or all
/// background. `d_S` is held constant in the gradient (MONAI computes it under
/// `torch.no_grad`). The mean runs over samples, covered classes and pixels, as MONAI's
/// `reduction="mean"` (with `batch` true or false: every sample has the same size);
/// ignored or masked pixels are left out of the sum and of `N` (MONAI has no mask; the
/// distance fields do not see it, and ignored labels belong to no class). MONAI's
/// `reduction="sum"` is `Σ_b Σ_c mean_pixels`, that is [`Reduction::Sum`] divided by the
/// pixels per sample.
///
/// Defaults as MONAI: `α = 2`, background excluded (a single channel is always covered),
/// unit spacing ([`Hausdorff::with_spacing`] extends MONAI, which has none).
/// [`Hausdorff::log`] gives `LogHausdorffDTLoss`: `ln(1 + L)`.
///
/// The prediction's fields need the activated prediction before pass 1: [`Loss::prepare`]
/// computes both fields into the workspace (`B·C'·N` elements for the summed fields, `N`
/// more and the transform's scratch). The gradient pass reads them: drive the loss with
/// [`engine::forward_backward`] or [`engine::backward_with`].
///
/// ```
/// use segloss::{engine, losses::Hausdorff, Input, Loss, Shape, Target};
/// // (B=1, C=2, 4 pixels): probabilities given directly
/// let probs = [0.9f64, 0.8, 0.3, 0.4, /* class 1: */ 0.1, 0.2, 0.7, 0.6];
/// let labels = [0u8, 1, 1, 1];
/// let input = Input::new(&probs, Shape::new(1, 2, &[4])?, Target::labels(&labels))?
///     .with_activation(segloss::Activation::Identity);
/// let hd = Hausdorff::new();
/// let mut ws = vec![0.0; Loss::<f64>::workspace_len(&hd, &input.shape())];
/// let mut grad = [0.0f64; 8];
/// let value = engine::forward_backward(&hd, &input, &mut ws, &mut grad)?;
/// // class 1: d_G = [1, 1, 2, 3], prediction fg {2, 3} so d_S = [2, 1, 1, 2]
/// let want = (0.01 * (1.0 + 4.0) + 0.64 * (1.0 + 1.0) + 0.09 * (4.0 + 1.0) + 0.16 * (9.0 + 4.0)) / 4.0;
/// assert!((value - want).abs() < 1e-12);
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hausdorff {
    alpha: f64,
    include_background: bool,
    log: bool,
    reduction: Reduction,
    spacing: Spacing,
}

impl Default for Hausdorff {
    fn default() -> Self {
        Hausdorff::new()
    }
}

impl Hausdorff {
    /// MONAI's defaults: `α = 2`, background excluded, mean, unit spacing.
    pub fn new() -> Self {
        Hausdorff {
            alpha: 2.0,
            include_background: false,
            log: false,
            reduction: Reduction::Mean,
            spacing: Spacing::UNIT,
        }
    }

    /// The exponent of the distances, `α > 0` (2 in the paper and MONAI).
    pub fn with_alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Covers class 0 too (MONAI's `include_background`).
    pub fn with_include_background(mut self, include: bool) -> Self {
        self.include_background = include;
        self
    }

    /// `ln(1 + L)` instead of `L` (MONAI's `LogHausdorffDTLoss`).
    pub fn with_log(mut self, log: bool) -> Self {
        self.log = log;
        self
    }

    /// The reduction: the mean above, or the plain sum (before the logarithm).
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The per-axis voxel spacing of the distance fields.
    pub fn with_spacing(mut self, spacing: &[f64]) -> Self {
        self.spacing = Spacing::new(spacing);
        self
    }

    fn covered(&self, classes: usize) -> (usize, usize) {
        let first = first_class(classes, self.include_background);
        (first, classes - first)
    }

    fn maps_len(&self, shape: &Shape) -> usize {
        shape.batch() * self.covered(shape.classes()).1 * shape.pixels_per_sample()
    }
}

/// What [`Hausdorff`] accumulates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HausdorffStats {
    /// `Σ (s − g)² (d_G^α + d_S^α)` over valid pixels and covered classes.
    pub sum: f64,
    /// Valid pixels.
    pub pixels: f64,
    /// Covered classes.
    pub classes: f64,
}

impl Stats for HausdorffStats {
    fn merge(&mut self, o: &Self) {
        self.sum += o.sum;
        self.pixels += o.pixels;
        self.classes = self.classes.max(o.classes);
    }
}

impl<T: Real> Loss<T> for Hausdorff {
    type Stats = HausdorffStats;
    type Coef = f64;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        super::check::exponent(self.alpha, false, "alpha", "in (0, 1e8]")?;
        self.spacing.grid(input.shape()).map(|_| ())
    }

    fn workspace_len(&self, shape: &Shape) -> usize {
        let grid = self.spacing.grid(*shape).map_or(0, |g| g.workspace_len());
        self.maps_len(shape)
            .saturating_add(shape.pixels_per_sample())
            .saturating_add(grid)
    }

    fn gradient_workspace_len(&self, shape: &Shape) -> usize {
        self.maps_len(shape)
    }

    fn prepare(&self, input: &Input<'_, T>, ws: &mut [T]) -> Result<(), Error> {
        let shape = input.shape();
        let grid = self.spacing.grid(shape)?;
        let n = shape.pixels_per_sample();
        let classes = shape.classes();
        let (first, covered) = self.covered(classes);
        let (maps, rest) = ws.split_at_mut(self.maps_len(&input.shape()).min(ws.len()));
        let (temp, scratch) = rest.split_at_mut(n.min(rest.len()));
        // The activated prediction of the covered classes into the map slots.
        engine::scan(input, |tile| {
            let k0 = tile.pixel_in_sample();
            for row in tile.rows().filter(|r| r.class >= first) {
                let (start, _) = slot(tile.input_sample(), row.class, first, covered, n);
                if let Some(dst) = maps.get_mut(start + k0..start + k0 + tile.len()) {
                    for (d, &p) in dst.iter_mut().zip(row.prob) {
                        *d = p;
                    }
                }
            }
        })?;
        let half = T::of(0.5);
        for b in 0..shape.batch() {
            for c in first..classes {
                let (start, end) = slot(b, c, first, covered, n);
                let Some(out) = maps.get_mut(start..end) else {
                    continue;
                };
                // d_S^α in place from the thresholded prediction, then + d_G^α.
                crate::edt::field(&grid, self.alpha, out, scratch, |_, row| {
                    for x in row.iter_mut() {
                        *x = if *x > half { T::one() } else { T::zero() };
                    }
                });
                let fill = fill_target(input, b, c);
                if crate::edt::field(&grid, self.alpha, temp, scratch, fill) {
                    for (o, &t) in out.iter_mut().zip(temp.iter()) {
                        *o = *o + t;
                    }
                }
            }
        }
        Ok(())
    }

    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut HausdorffStats, ws: &mut [T]) {
        let (first, covered) = self.covered(tile.classes());
        for row in tile.rows() {
            if let Some(dist) = tile_part(ws, tile, row.class, first, covered) {
                let terms = row.prob.iter().zip(row.target).zip(dist).zip(tile.valid());
                stats.sum += terms
                    .map(|(((&s, &g), &d), &v)| ((s - g) * (s - g) * d * v).wide())
                    .sum::<f64>();
            }
        }
        stats.pixels += crate::lanes::sum(tile.valid());
        stats.classes = covered as f64;
    }

    fn scale(&self, coef: &mut f64, factor: f64) {
        *coef *= factor;
    }

    fn finalize(&self, s: &HausdorffStats, _: &mut [T]) -> Finalized<f64> {
        let scale = match self.reduction {
            Reduction::Sum => 1.0,
            _ if s.pixels > 0.0 && s.classes > 0.0 => 1.0 / (s.pixels * s.classes),
            _ => 0.0,
        };
        let value = s.sum * scale;
        if self.log {
            Finalized {
                value: libm::log1p(value),
                coef: scale / (1.0 + value),
            }
        } else {
            Finalized { value, coef: scale }
        }
    }

    /// Pass 2 without the workspace adds nothing: the fields live in the workspace (the
    /// engine calls [`Loss::backward_with`]).
    fn backward(&self, _: &f64, _: &Tile<'_, T>, _: &mut [T]) {}

    fn backward_with(&self, coef: &f64, tile: &Tile<'_, T>, grad: &mut [T], ws: &[T]) {
        let (first, covered) = self.covered(tile.classes());
        let act = tile.activation();
        let two = 2.0 * *coef;
        for (out, row) in grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows()) {
            if let Some(dist) = tile_part(ws, tile, row.class, first, covered) {
                let items = out.iter_mut().zip(row.prob).zip(row.comp).zip(row.target);
                for ((((o, &s), &q), &g), (&d, &v)) in items.zip(dist.iter().zip(tile.valid())) {
                    // the fields reach `GRAD_LIMIT` (F8): the product saturates in `f64`
                    let dlds = T::of_grad(two * ((s - g) * d * v).wide());
                    *o = *o + chain(act, s, q, dlds);
                }
            }
        }
    }
}

impl Describe for Hausdorff {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "hausdorff",
        &["hd", "hausdorff_dt", "hausdorff_dt_loss"],
        Family::Boundary,
        "losses::Hausdorff",
        "Hausdorff distance-transform loss (Karimi and Salcudean), as MONAI's HausdorffDTLoss.",
        &[
            Param::new(
                "alpha",
                Kind::Number,
                Constant::Number(2.0),
                "The exponent of the distances, > 0 (MONAI's alpha).",
            ),
            Param::new(
                "include_background",
                Kind::Bool,
                Constant::Bool(false),
                "Covers class 0 too (MONAI's include_background).",
            ),
            Param::new(
                "log",
                Kind::Bool,
                Constant::Bool(false),
                "ln(1 + L) instead of L (MONAI's LogHausdorffDTLoss).",
            ),
            REDUCTION,
            SPACING,
        ],
    )
    .piecewise();
}

impl<T: Real> Configure<'_, T> for Hausdorff {
    fn configure(args: &Args<'_, '_, T>) -> Result<Self, Error> {
        let mut loss = Hausdorff::new();
        if let Some(a) = args.number("alpha") {
            loss = loss.with_alpha(a);
        }
        if let Some(b) = args.boolean("include_background") {
            loss = loss.with_include_background(b);
        }
        if let Some(b) = args.boolean("log") {
            loss = loss.with_log(b);
        }
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        if let Some(s) = args.list("spacing") {
            loss = loss.with_spacing(s);
        }
        Ok(loss)
    }
}
