//! The boundary loss of Kervadec et al. (the paper's eq. (11)): probabilities weighted by the
//! signed distance map of the target.

use super::distmap::{chain, fill_target, first_class, slot, tile_part, Spacing};
use super::Reduction;
use crate::catalogue::{
    Args, Configure, Constant, Describe, Descriptor, Family, Kind, Param, REDUCTION, SPACING,
};
use crate::edt::NoZero;
use crate::error::Buffer;
use crate::Shape;
use crate::{Error, Finalized, Input, Loss, Real, Stats, Tile};

/// Boundary loss: `L = (1 / (C'·N)) Σ_i Σ_{c ∈ covered} s_ic · φ_c(i)`, with `φ` the signed
/// distance map of the target (negative inside class `c`, positive outside, see
/// [`SignedMaps`](crate::edt::SignedMaps)), `s` the activated prediction, `C'` the covered
/// classes (the foreground `1..C` by default) and `N` the valid pixels.
///
/// The mean runs over exactly the elements the authors' `SurfaceLoss` averages
/// (`einsum("bkwh,bkwh->bkwh", probs[:, idc], dist_maps[:, idc]).mean()`, LIVIAETS/boundary-loss):
/// every sample, covered class and pixel; ignored or masked pixels are left out of the sum
/// and of `N`.
///
/// The maps are either computed from the target in [`Loss::prepare`] ([`Boundary::new`],
/// needing a workspace of `B·C'·N` elements plus the transform's scratch; the gradient pass
/// reads them, so drive it with [`engine::forward_backward`](crate::engine::forward_backward)
/// or [`engine::backward_with`](crate::engine::backward_with)), or given precomputed
/// ([`Boundary::with_maps`], as data pipelines do; no workspace). The target's maps see
/// `g > 0.5` (labels one-hot; ignored labels belong to no class; the input's mask does not
/// change them).
///
/// ```
/// use segloss::{engine, losses::Boundary, Input, Shape, Target};
/// let logits = [0.0f64; 2 * 4]; // (B=1, C=2, 4 pixels): s = 1/2 everywhere
/// let labels = [0u8, 1, 1, 0];
/// let input = Input::new(&logits, Shape::new(1, 2, &[4])?, Target::labels(&labels))?;
/// let loss = Boundary::new();
/// let mut ws = vec![0.0; Loss::<f64>::workspace_len(&loss, &input.shape())];
/// let mut grad = [0.0f64; 8];
/// let value = engine::forward_backward(&loss, &input, &mut ws, &mut grad)?;
/// // φ of class 1 is [1, 0, 0, 1]: L = (0.5·1 + 0.5·1) / 4
/// assert!((value - 0.25).abs() < 1e-12);
/// # use segloss::Loss;
/// # Ok::<(), segloss::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Boundary<'m, T> {
    maps: Option<&'m [T]>,
    spacing: Spacing,
    include_background: bool,
    no_zero: NoZero,
    reduction: Reduction,
}

impl<T: Real> Default for Boundary<'_, T> {
    fn default() -> Self {
        Boundary::new()
    }
}

impl<'m, T: Real> Boundary<'m, T> {
    /// The boundary loss with maps computed from the target, unit spacing, foreground only.
    pub fn new() -> Self {
        Boundary {
            maps: None,
            spacing: Spacing::UNIT,
            include_background: false,
            no_zero: NoZero::Scipy,
            reduction: Reduction::Mean,
        }
    }

    /// The boundary loss with precomputed maps of shape `(B, C, spatial…)`, channel-first
    /// whatever the input's layout (the output of [`SignedMaps`](crate::edt::SignedMaps)).
    pub fn with_maps(maps: &'m [T]) -> Self {
        Boundary {
            maps: Some(maps),
            ..Boundary::new()
        }
    }

    /// The per-axis voxel spacing of the computed maps (the authors' `resolution`).
    pub fn with_spacing(mut self, spacing: &[f64]) -> Self {
        self.spacing = Spacing::new(spacing);
        self
    }

    /// Covers class 0 too (the authors' `idc` with 0); a single channel is always covered.
    pub fn with_include_background(mut self, include: bool) -> Self {
        self.include_background = include;
        self
    }

    /// The computed map of a class covering a whole sample (see
    /// [`SignedMaps::with_no_zero`](crate::edt::SignedMaps::with_no_zero)); `check` refuses
    /// [`NoZero::Infinity`] for computed maps, whose loss would be infinite.
    pub fn with_no_zero(mut self, no_zero: NoZero) -> Self {
        self.no_zero = no_zero;
        self
    }

    /// The reduction: the mean above, or the plain sum.
    pub fn with_reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// `(first covered class, covered classes)` for `classes`.
    fn covered(&self, classes: usize) -> (usize, usize) {
        let first = first_class(classes, self.include_background);
        (first, classes - first)
    }

    /// The map buffer, the class of its first map and its maps per sample (all classes for
    /// precomputed maps, the covered ones for computed maps).
    fn source<'w>(&'w self, ws: &'w [T], classes: usize) -> (&'w [T], usize, usize) {
        match self.maps {
            Some(m) => (m, 0, classes),
            None => {
                let (first, covered) = self.covered(classes);
                (ws, first, covered)
            }
        }
    }

    fn maps_len(&self, shape: &Shape) -> usize {
        shape.batch() * self.covered(shape.classes()).1 * shape.pixels_per_sample()
    }
}

/// What [`Boundary`] accumulates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BoundaryStats {
    /// `Σ s·φ` over valid pixels and covered classes.
    pub sum: f64,
    /// Valid pixels.
    pub pixels: f64,
    /// Covered classes.
    pub classes: f64,
}

impl Stats for BoundaryStats {
    fn merge(&mut self, o: &Self) {
        self.sum += o.sum;
        self.pixels += o.pixels;
        self.classes = self.classes.max(o.classes);
    }
}

impl<T: Real> Loss<T> for Boundary<'_, T> {
    type Stats = BoundaryStats;
    type Coef = f64;

    fn check(&self, input: &Input<'_, T>) -> Result<(), Error> {
        let shape = input.shape();
        self.spacing.grid(shape)?;
        if self.maps.is_none() && self.no_zero == NoZero::Infinity {
            // a class covering a sample would get the map −∞ (finding F5)
            return Err(Error::Parameter {
                name: "no_zero",
                allowed: "Scipy or Zero for computed maps (Infinity makes a map infinite)",
            });
        }
        if let Some(maps) = self.maps {
            if maps.len() != shape.elements() {
                return Err(Error::Length {
                    what: Buffer::PixelMap,
                    expected: shape.elements(),
                    got: maps.len(),
                });
            }
            if let Some(index) = maps.iter().position(|x| !x.is_finite()) {
                return Err(Error::NonFinite {
                    what: Buffer::PixelMap,
                    index,
                });
            }
        }
        Ok(())
    }

    fn workspace_len(&self, shape: &Shape) -> usize {
        match self.maps {
            Some(_) => 0,
            None => {
                let grid = self.spacing.grid(*shape);
                let scratch = grid.map_or(0, |g| g.workspace_len());
                self.maps_len(shape).saturating_add(scratch)
            }
        }
    }

    fn gradient_workspace_len(&self, shape: &Shape) -> usize {
        match self.maps {
            Some(_) => 0,
            None => self.maps_len(shape),
        }
    }

    fn prepare(&self, input: &Input<'_, T>, ws: &mut [T]) -> Result<(), Error> {
        if self.maps.is_some() {
            return Ok(());
        }
        let shape = input.shape();
        let grid = self.spacing.grid(shape)?;
        let n = shape.pixels_per_sample();
        let (first, covered) = self.covered(shape.classes());
        let (maps, scratch) = ws.split_at_mut(self.maps_len(&input.shape()).min(ws.len()));
        for b in 0..shape.batch() {
            for c in first..shape.classes() {
                let (start, end) = slot(b, c, first, covered, n);
                if let Some(out) = maps.get_mut(start..end) {
                    let fill = fill_target(input, b, c);
                    crate::edt::signed_map(&grid, self.no_zero, out, scratch, fill);
                }
            }
        }
        Ok(())
    }

    fn accumulate(&self, tile: &Tile<'_, T>, stats: &mut BoundaryStats, ws: &mut [T]) {
        let (maps, first, covered) = self.source(ws, tile.classes());
        let lowest = self.covered(tile.classes()).0;
        for row in tile.rows().filter(|r| r.class >= lowest) {
            if let Some(phi) = tile_part(maps, tile, row.class, first, covered) {
                let terms = row.prob.iter().zip(phi).zip(tile.valid());
                stats.sum += terms.map(|((&s, &p), &v)| (s * p * v).wide()).sum::<f64>();
            }
        }
        stats.pixels += crate::lanes::sum(tile.valid());
        stats.classes =
            (tile.classes() - first_class(tile.classes(), self.include_background)) as f64;
    }

    fn scale(&self, coef: &mut f64, factor: f64) {
        *coef *= factor;
    }

    fn finalize(&self, s: &BoundaryStats, _: &mut [T]) -> Finalized<f64> {
        let scale = match self.reduction {
            Reduction::Sum => 1.0,
            _ if s.pixels > 0.0 && s.classes > 0.0 => 1.0 / (s.pixels * s.classes),
            _ => 0.0,
        };
        Finalized {
            value: s.sum * scale,
            coef: scale,
        }
    }

    /// Pass 2 without the workspace: only precomputed maps can be read; with computed maps
    /// this adds nothing (the engine calls [`Loss::backward_with`]).
    fn backward(&self, scale: &f64, tile: &Tile<'_, T>, grad: &mut [T]) {
        self.backward_with(scale, tile, grad, &[]);
    }

    fn backward_with(&self, scale: &f64, tile: &Tile<'_, T>, grad: &mut [T], ws: &[T]) {
        let (maps, first, covered) = self.source(ws, tile.classes());
        let lowest = self.covered(tile.classes()).0;
        let act = tile.activation();
        let scale = T::of(*scale);
        for (out, row) in grad.chunks_exact_mut(tile.len().max(1)).zip(tile.rows()) {
            if row.class < lowest {
                continue;
            }
            if let Some(phi) = tile_part(maps, tile, row.class, first, covered) {
                let items = out.iter_mut().zip(row.prob).zip(row.comp).zip(phi);
                for ((((o, &s), &q), &p), &v) in items.zip(tile.valid()) {
                    *o = *o + chain(act, s, q, scale * p * v);
                }
            }
        }
    }
}

impl<T> Describe for Boundary<'_, T> {
    const DESCRIPTOR: &'static Descriptor = &Descriptor::leaf(
        "boundary",
        &["bd", "boundary_loss", "surface"],
        Family::Boundary,
        "losses::Boundary",
        "Boundary loss (Kervadec et al.): probabilities weighted by the target's signed distance map.",
        &[
            SPACING,
            Param::new("include_background", Kind::Bool, Constant::Bool(false), "Covers class 0 too (a single channel is always covered)."),
            Param::unset(
                "maps",
                Kind::Map,
                "Precomputed signed maps (B, C, spatial...), channel-first, instead of maps of the target.",
            ),
            Param::new(
                "no_zero",
                Kind::Choice(&["scipy", "zero"]),
                Constant::Word("scipy"),
                "The map of a class that covers a whole sample: scipy's (the distance to the border) or zero.",
            ),
            REDUCTION,
        ],
    );
}

impl<'m, T: Real> Configure<'m, T> for Boundary<'m, T> {
    fn configure(args: &Args<'_, 'm, T>) -> Result<Self, Error> {
        let mut loss = match args.map("maps") {
            Some(maps) => Boundary::with_maps(maps),
            None => Boundary::new(),
        };
        if let Some(s) = args.list("spacing") {
            loss = loss.with_spacing(s);
        }
        if let Some(b) = args.boolean("include_background") {
            loss = loss.with_include_background(b);
        }
        if args.word("no_zero") == Some("zero") {
            loss = loss.with_no_zero(NoZero::Zero);
        }
        if let Some(r) = args.reduction() {
            loss = loss.with_reduction(r);
        }
        Ok(loss)
    }
}
