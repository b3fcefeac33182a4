//! Loss specifications: the run-time form of the library's losses, with the same names,
//! parameters and defaults as the Rust API.
//!
//! ```text
//! spec    := [sign] term (sign term)*            sign := '+' | '-'
//! term    := [number '*'] call | call '*' number
//! call    := name [ '(' [arg (',' arg)* [',']] ')' ]
//! arg     := value | name '=' value              (positional arguments come first)
//! value   := number | true | false | name | call | '[' [number (',' number)*] ']'
//! number  := ['-'|'+'] digits ['.' digits] [('e'|'E') ['-'|'+'] digits]
//! ```
//!
//! Examples: `dice`, `0.7*dice(include_background=false, batch=true) + 0.3*ce(ignore_index=255)`,
//! `focal(gamma=2)`, `topk(10)`, `wce(weight=[0.2, 1.0, 3.5])`, `dice_ce(lambda_ce=0.5)`,
//! `combo(0.5, 0.3)`, `nnunet_dc_and_ce(true, false)`.
//!
//! - The names, parameters, defaults, aliases and members are the core's catalogue
//!   ([`segloss::catalogue`]): `dice` is `losses::Dice`, `gdice` (also `gdl`)
//!   `GeneralizedDice`, `hd` `Hausdorff`, presets are `<library>_<function>`
//!   (`nnunet_dc_and_ce` is `presets::nnunet::dc_and_ce`). [`registry()`] lists them;
//!   `segloss losses` prints it.
//! - Parameters are the Rust setters' names (`with_smooth_nr` → `smooth_nr`), constructor
//!   arguments may be positional (`topk(10)` is `TopK::new(10.0)`), and a parameter not given
//!   keeps the Rust default. A constructor argument without a Rust default is required
//!   (`wce(weight=...)`, `topk_threshold(t=...)`, `balanced_bce(beta=...)`,
//!   `exp_log_ce(gamma=...)`, `combo(alpha, beta)`, the presets' arguments).
//! - Region losses also take the aggregation options `include_background`, `batch`,
//!   `weight` (per-class losses only), `reduction` (`mean|sum|element_mean`) and `empty`
//!   (`zero|exclude`).
//! - Compounds take their weights (`lambda_dice`, ...), their members as calls with the
//!   Rust field names (`dice_ce(ce=ce(weight=[1, 2]))` replaces the member, as the struct
//!   update `DiceCe { ce: ..., ..DiceCe::new() }` does), and any parameter of exactly one
//!   member, which configures the compound's default member (`dice_focal(gamma=1)` keeps
//!   the focal member's `element_mean` reduction). A parameter two members take is
//!   ambiguous and refused.
//! - `ignore_index=I` is accepted on every call and applies to the target, which every
//!   member then shares; two different ignore indices are an error.
//! - Boundary losses (`boundary`, `hausdorff`, `log_hausdorff`, and the compounds
//!   `dice_boundary`, `dice_hausdorff` with their weight schedules) take `spacing=[...]`;
//!   [`BuildContext::spacing`] (the command line's `--spacing`) sets it on every member that
//!   takes one and was not given one.
//! - A compound spec is flattened into up to [`MAX_MEMBERS`] weighted losses and runs as
//!   one fused [`Compound`].
//!
//! Mistakes are reported with the column, a caret line and what is allowed.
//!
//! ```
//! use segloss_std::spec::{BuildContext, Spec};
//! let spec = Spec::parse("0.7*dice(include_background=false) + 0.3*ce(ignore_index=255)").unwrap();
//! assert_eq!(spec.ignore_index(), Some(255));
//! let loss = spec.build::<f32>(&BuildContext::default()).unwrap();
//! assert_eq!(loss.members().len(), 2);
//! let err = Spec::parse("focal(gama=2)").unwrap_err().to_string();
//! assert!(err.contains("unknown parameter `gama`") && err.contains("did you mean `gamma`"));

mod build;
mod error;
mod parse;
mod registry;
mod resolve;

pub use build::BuildContext;
pub use error::{Span, SpecError};
pub use registry::{describe, describe_param, registry, signature, SECTIONS};

use crate::runtime::{Compound, MAX_MEMBERS};
use resolve::{LeafSpec, Resolver};
use segloss::catalogue::{Descriptor, Kind, ParamDefault, Value};
use segloss::Real;

/// A parsed and checked loss specification.
#[derive(Clone, Debug)]
pub struct Spec {
    text: String,
    leaves: Vec<LeafSpec>,
    ignore_index: Option<i64>,
    scheduled: bool,
}

/// A member's catalogue entry and the parameter values a spec gives it.
pub type MemberParams<'s, T> = (&'static Descriptor, Vec<(&'static str, Value<'s, T>)>);

/// A member of a parsed spec, as reported.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberInfo {
    /// `name` for a top-level loss, `compound.field` for a compound's member.
    pub label: String,
    /// Its weight in the sum (the term's weight times the compound's).
    pub weight: f64,
    /// The Rust item it builds.
    pub rust: &'static str,
}

impl Spec {
    /// Parses and checks `text` against the catalogue.
    pub fn parse(text: &str) -> Result<Spec, SpecError> {
        Spec::parse_at_epoch(text, 0)
    }

    /// [`Spec::parse`], with the compounds whose weights follow a schedule (`dice_boundary`,
    /// `dice_hausdorff`) weighted at `epoch` unless the spec gives them one: a training
    /// loop parses its spec once per epoch ([`Spec::follows_schedule`] tells when to).
    pub fn parse_at_epoch(text: &str, epoch: u64) -> Result<Spec, SpecError> {
        let terms = parse::terms(text)?;
        let mut resolver = Resolver::new(text, epoch);
        let mut leaves = Vec::new();
        for term in &terms {
            resolver.term(term, &mut leaves)?;
        }
        // Every leaf needs its required constructor arguments (from its call or its
        // compound); maps come with the data, when the loss is built.
        for leaf in &leaves {
            let required = leaf
                .def
                .params
                .iter()
                .filter(|p| p.default == ParamDefault::Required);
            for p in required.filter(|p| p.kind != Kind::Map) {
                if !leaf.args.iter().any(|a| a.name == p.name) {
                    return Err(resolver.missing(leaf.def, p, leaf.span));
                }
            }
        }
        if leaves.len() > MAX_MEMBERS {
            let last = leaves.last().map_or((0, text.len()), |l| l.span);
            return Err(SpecError::new(
                text,
                last,
                format!(
                    "the spec has {} member losses (compounds count each member); at most {MAX_MEMBERS} run fused",
                    leaves.len()
                ),
            ));
        }
        Ok(Spec {
            text: text.to_string(),
            leaves,
            ignore_index: resolver.ignore.map(|(i, _)| i),
            scheduled: resolver.scheduled,
        })
    }

    /// True when some compound's weights follow its schedule from the epoch it was parsed at
    /// (the spec gives it no `epoch`).
    pub fn follows_schedule(&self) -> bool {
        self.scheduled
    }

    /// The spec text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The ignore index some call set, if any.
    pub fn ignore_index(&self) -> Option<i64> {
        self.ignore_index
    }

    /// The flattened members, in order.
    pub fn members(&self) -> Vec<MemberInfo> {
        self.leaves
            .iter()
            .map(|l| MemberInfo {
                label: l.label.clone(),
                weight: l.weight,
                rust: l.def.rust,
            })
            .collect()
    }

    /// Member `index`'s catalogue entry and the parameter values the spec gives it (the
    /// data's maps and spacing join them when the loss is built).
    pub fn member_params<T>(&self, index: usize) -> Option<MemberParams<'_, T>> {
        let leaf = self.leaves.get(index)?;
        let given = leaf.args.iter().map(|g| (g.name, g.val.value())).collect();
        Some((leaf.def, given))
    }

    /// True when some member needs a per-pixel map given with the data (the DPCE penalty).
    pub fn needs_penalty(&self) -> bool {
        self.leaves
            .iter()
            .any(|l| l.def.params.iter().any(build::is_penalty))
    }

    /// True when some member measures distances (it takes a `spacing`).
    pub fn uses_spacing(&self) -> bool {
        self.leaves.iter().any(|l| l.def.param("spacing").is_some())
    }

    /// Builds the fused loss; it borrows the spec's lists and the context's maps.
    pub fn build<'a, T: Real>(
        &'a self,
        ctx: &BuildContext<'a, T>,
    ) -> Result<Compound<'a, T>, SpecError> {
        let mut compound = Compound::new();
        for leaf in &self.leaves {
            let loss = build::leaf(&self.text, leaf, ctx)?;
            compound
                .push(leaf.weight, loss)
                .map_err(|e| SpecError::new(&self.text, leaf.span, e.to_string()))?;
        }
        Ok(compound)
    }

    /// Turns a check error of member `index` (from [`Compound::check_members`]) into a
    /// [`SpecError`] pointing at the member's call or the offending argument.
    pub fn explain(&self, index: usize, error: &segloss::Error) -> SpecError {
        let Some(leaf) = self.leaves.get(index) else {
            return SpecError::new(&self.text, (0, self.text.len()), error.to_string());
        };
        let param = match error {
            segloss::Error::Parameter { name, .. } => Some(*name),
            segloss::Error::WeightCount { .. } | segloss::Error::BadWeight { .. } => {
                ["weight", "alpha"]
                    .into_iter()
                    .find(|n| leaf.args.iter().any(|a| a.name == *n))
            }
            segloss::Error::Spacing { .. } | segloss::Error::SpacingCount { .. } => Some("spacing"),
            _ => None,
        };
        let span = param
            .and_then(|p| leaf.args.iter().find(|a| a.name == p))
            .and_then(|a| a.span)
            .unwrap_or(leaf.span);
        // A region loss's clause error: `allowed` is the clause without its parameter.
        let note = match error {
            segloss::Error::Parameter { name, allowed }
                if allowed.starts_with(['<', '>', '=', '!']) =>
            {
                format!(" (`{name} {allowed}` fails)")
            }
            _ => String::new(),
        };
        SpecError::new(&self.text, span, format!("`{}`: {error}{note}", leaf.label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> SpecError {
        match Spec::parse(text) {
            Ok(s) => panic!("{text:?} parsed: {:?}", s.members()),
            Err(e) => e,
        }
    }

    fn labels(text: &str) -> Vec<(String, f64)> {
        Spec::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .members()
            .into_iter()
            .map(|m| (m.label, m.weight))
            .collect()
    }

    #[test]
    fn parses_weighted_sums_and_flattens_compounds() {
        assert_eq!(labels("dice"), [("dice".into(), 1.0)]);
        assert_eq!(
            labels("0.7*dice(include_background=false, batch=true) + 0.3*ce(ignore_index=255)"),
            [("dice".into(), 0.7), ("ce".into(), 0.3)]
        );
        assert_eq!(
            labels("ce*2 - 0.5*iou"),
            [("ce".into(), 2.0), ("iou".into(), -0.5)]
        );
        assert_eq!(labels("-dice"), [("dice".into(), -1.0)]);
        assert_eq!(
            labels("0.5*dice_ce(lambda_ce=0.4)"),
            [("dice_ce.dice".into(), 0.5), ("dice_ce.ce".into(), 0.2)]
        );
        assert_eq!(
            labels("combo(0.6, 0.3)"),
            [("combo.bce".into(), 0.6), ("combo.dice".into(), 1.0 - 0.6)]
        );
        assert_eq!(
            labels("nnunet_dice(true, false)"),
            [("nnunet_soft_dice".into(), 1.0)]
        );
        assert_eq!(labels("ell").len(), 2);
        let w = segloss::losses::Schedule::boundary().at(10);
        assert_eq!(
            labels("dice_boundary(epoch=10)"),
            [
                ("dice_boundary.dice".into(), w.region),
                ("dice_boundary.boundary".into(), w.boundary)
            ]
        );
        assert_eq!(
            labels("dice_hd(lambda_hd=0.25)"),
            [
                ("dice_hausdorff.dice".into(), 1.0),
                ("dice_hausdorff.hd".into(), 0.25)
            ]
        );
        assert_eq!(labels("log_hd"), [("log_hausdorff".into(), 1.0)]);
        let at = Spec::parse_at_epoch("dice_boundary", 10).unwrap();
        assert!(at.follows_schedule() && !Spec::parse("dice_ce").unwrap().follows_schedule());
        assert_eq!(at.members()[1].weight, w.boundary);
        let fixed = Spec::parse_at_epoch("dice_boundary(epoch=10)", 50).unwrap();
        assert!(!fixed.follows_schedule());
        assert_eq!(fixed.members()[1].weight, w.boundary);
        for text in [
            "focal(gamma=2)",
            "focal(2)",
            "focal(alpha=[0.1, 0.2])",
            "focal(alpha=0.25)",
            "tversky(alpha=0.3, beta=0.7)",
            "focal_tversky(alpha=0.3, beta=0.7, gamma=1.33)",
            "gdice(w_type=square)",
            "wce(weight=[0.2, 1.0, 3.5])",
            "wce(inverse_frequency)",
            "topk(k=10)",
            "topk",
            "topk_threshold(t=0.5)",
            "iou",
            "dpce",
            "balanced_bce(0.3)",
            "exp_log_ce(gamma=0.3)",
            "dice(smooth_nr=0, smooth_dr=1e-5, squared_pred=true, jaccard=true, log_dice=false)",
            "focal_tversky_mean",
            "asym",
            "pgdice(k=2.5, w_type=simple)",
            "ss(w=0.2)",
            "mcc",
            "exp_log_dice",
            "dice_focal(gamma=1)",
            "dice_topk(k=5)",
            "dice_ce(ce=ce(weight=[1,2]), dice=dice(batch=true))",
            "nnunet_dc_and_ce(batch_dice=true, do_bg=false)",
            "smp_dice",
            "paper_dice",
            "paper_soft_dice",
            "paper_focal_tversky",
            "monai_focal(2)",
            "dice(reduction=sum, empty=exclude, weight=[1, 2])",
            "dice(ignore_index=-100) + ce(ignore_index=-100)",
            "ell(gamma_dice=0.5, dice=exp_log_dice(smooth_nr=1))",
            " dice ( ) ",
            "dice(batch=true,)",
            "1.5e-1*dice + .5*ce",
            "boundary",
            "bd(spacing=[1, 1, 2.5], include_background=true)",
            "hd(alpha=1)",
            "hausdorff_dt(log=true)",
            "log_hausdorff(alpha=3)",
            "dice_boundary(epoch=30)",
            "dice_hausdorff(schedule=kervadec, epoch=3, alpha=1)",
            "dice_hd(lambda_dice=0.7, lambda_hd=0.3)",
            "dicece",
            "gdl",
            "focal(include_background=false, weight=[1, 2])",
        ] {
            assert!(
                Spec::parse(text).is_ok(),
                "{text}: {}",
                Spec::parse(text).unwrap_err()
            );
        }
    }

    #[test]
    fn ignore_index_is_shared() {
        let s = Spec::parse("dice_ce(ce=ce(ignore_index=255)) + dice(ignore_index=255)").unwrap();
        assert_eq!(s.ignore_index(), Some(255));
        let e = err("dice(ignore_index=255) + ce(ignore_index=0)");
        assert!(
            e.message
                .contains("conflicts with ignore_index=255 at column 19"),
            "{e}"
        );
        assert_eq!(e.column(), 42);
        assert!(err("ce(ignore_index=2.5)")
            .message
            .contains("takes an integer"));
    }

    #[test]
    fn mistakes_point_at_the_offending_part() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "dice + focal(gama=2)",
                14,
                "unknown parameter `gama` of `focal`; did you mean `gamma`?",
            ),
            ("dcie", 1, "unknown loss `dcie`; did you mean `dice`?"),
            (
                "0.7*dice + 0.3*cee(ignore_index=255)",
                16,
                "unknown loss `cee`; did you mean `ce`?",
            ),
            ("focal(gamma=true)", 13, "`gamma` of `focal` takes a number"),
            (
                "gdice(w_type=cube)",
                14,
                "`cube` is not a value of `w_type`",
            ),
            (
                "gdice(weight=[1, 2])",
                7,
                "unknown parameter `weight` of `gdice`",
            ),
            ("dice(batch=1)", 12, "takes true or false"),
            ("dice(", 6, "expected a value"),
            ("dice(batch=true", 16, "expected `,` or `)`"),
            ("dice +", 7, "expected a loss name or a weight"),
            ("0.5 dice", 5, "expected `*` after the weight"),
            ("dice ce", 6, "expected `+`, `-` or the end"),
            (
                "dice(batch=true, batch=false)",
                18,
                "`batch` is given twice (first at column 6)",
            ),
            (
                "dice(1)",
                6,
                "too many positional arguments: `dice` takes no positional argument",
            ),
            ("topk(10, 20)", 10, "too many positional arguments"),
            (
                "topk(k=10, 20)",
                12,
                "a positional argument after a named one",
            ),
            ("wce", 1, "`wce` needs `weight`"),
            ("topk_threshold()", 1, "`topk_threshold` needs `t`"),
            ("combo(0.5)", 1, "`combo` needs `beta`"),
            (
                "nnunet_dc_and_ce",
                1,
                "`nnunet_dc_and_ce` needs `batch_dice`",
            ),
            (
                "dice_ce(reduction=sum)",
                9,
                "`reduction` of `dice_ce` is ambiguous",
            ),
            ("dice_ce(ce=dice)", 12, "`ce` of `dice_ce` holds a `ce`"),
            ("dice_ce(ce=3)", 12, "takes a `ce(...)` call"),
            ("ell(dice=exp_log_dice, gamma=1)", 24, "ambiguous"),
            (
                "dice_focal(focal=focal(gamma=1), gamma=2)",
                40,
                "`gamma` is set twice",
            ),
            ("wce(weight=[])", 12, "non-empty list"),
            ("dice(smooth_nr=1e999)", 16, "out of range"),
            ("dice(smooth_nr=1x)", 16, "`1x` is not a number"),
            ("dice & ce", 6, "unexpected character `&`"),
            ("", 1, "the spec is empty"),
            ("ce+ce+ce+ce+ce+ce+ce+ce+dice_ce", 25, "10 member losses"),
            ("focal(alpha=[0.1, x])", 19, "expected a number"),
        ];
        for (text, column, needle) in cases {
            let e = err(text);
            assert!(e.message.contains(needle), "{text}: {e}");
            assert_eq!(e.column(), *column, "{text}: {e}");
        }
    }

    #[test]
    fn errors_show_a_caret_line_and_what_is_allowed() {
        let shown = err("0.7*dice + focal(gama=2)").to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[0],
            "at column 18: unknown parameter `gama` of `focal`; did you mean `gamma`?"
        );
        assert_eq!(lines[1], "  0.7*dice + focal(gama=2)");
        assert_eq!(lines[2], format!("  {}^^^^", " ".repeat(17)));
        assert_eq!(
            lines[3],
            "  allowed: gamma=2, alpha (number|[list]), include_background=true, weight ([list]), reduction=mean (mean|sum|element_mean), ignore_index (integer)"
        );
        let unknown = err("iuo").to_string();
        assert!(unknown.contains("allowed: ce, wce, topk"), "{unknown}");
    }

    #[test]
    fn the_listing_shows_every_visible_loss() {
        let listing = describe(false);
        for d in registry() {
            assert!(listing.contains(&signature(d)), "{}", d.name);
        }
        assert!(
            !listing.contains("smp_dice_formula"),
            "hidden formulas stay out"
        );
        let verbose = describe(true);
        assert!(verbose.contains("beta: The weight of false negatives."));
        assert!(verbose.contains("requires beta >= 0"));
    }

    #[test]
    fn spacing_comes_from_the_spec_or_the_data() {
        let s = Spec::parse("dice_hd(spacing=[1, 2])").unwrap();
        assert!(s.uses_spacing());
        let same = [1.0, 2.0];
        let ctx = BuildContext::<f64> {
            spacing: Some(&same),
            ..BuildContext::default()
        };
        assert!(s.build(&ctx).is_ok());
        let other = [1.0, 3.0];
        let ctx = BuildContext::<f64> {
            spacing: Some(&other),
            ..BuildContext::default()
        };
        let e = s.build(&ctx).unwrap_err();
        assert!(
            e.message.contains("conflicts with the data's spacing"),
            "{e}"
        );
        assert!(!Spec::parse("dice_ce").unwrap().uses_spacing());
    }
}
