//! The catalogue: every loss of the library described as data, and built from named values.
//!
//! A [`Descriptor`] tells a loss's run-time name and aliases, its [`Family`], the Rust item
//! it is, its parameters ([`Param`]: name, [`Kind`], default, one line of doc) and, for
//! compounds and presets, its members ([`Member`]: the loss each field holds, its weight and
//! what the compound sets on it). [`Configure`] builds a loss from named [`Value`]s checked
//! against its descriptor by [`Args`].
//!
//! `region_loss!` writes the descriptor and [`Configure`] of every region loss from its
//! declaration; the other losses write theirs next to their type. [`with_catalogue!`]
//! (crate::with_catalogue) lists every loss once, and [`CATALOGUE`] holds their descriptors:
//! the std adapter's run-time registry, `segloss losses`, the tests, the fuzz targets and
//! the no-std canary all read that one list.
//!
//! ```
//! use segloss::catalogue::{self, Configure, Value};
//! use segloss::losses::Tversky;
//! let d = catalogue::find("tversky").unwrap();
//! assert_eq!(d.param("beta").unwrap().doc, "The weight of false negatives.");
//! let t = Tversky::from_params(&[("alpha", Value::<f32>::Number(0.3)), ("beta", Value::Number(0.7))])?;
//! assert_eq!((t.alpha(), t.beta()), (0.3, 0.7));
//! # Ok::<(), segloss::Error>(())
//! ```

use crate::losses::{Reduction, Schedule};
use crate::{Error, Real};
use core::fmt;

/// The family of a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A sum of per-pixel terms (cross entropy, focal, TopK, ...).
    Distribution,
    /// A function of per-class soft confusion statistics, one term per class.
    Region,
    /// A region loss that aggregates the classes itself (one value per sample): it takes no
    /// per-class weight.
    CoupledRegion,
    /// A loss that measures distances (boundary, Hausdorff): it takes a voxel spacing.
    Boundary,
    /// A weighted sum of other losses (its [`Member`]s).
    Compound,
    /// Another library's convention, built from the library's own losses.
    Preset,
}

/// What a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A number.
    Number,
    /// An integer (a number with no fractional part).
    Integer,
    /// `true` or `false`.
    Bool,
    /// One of these names.
    Choice(&'static [&'static str]),
    /// A non-empty list of numbers.
    List,
    /// A number or a non-empty list of numbers.
    NumberOrList,
    /// A non-empty list of numbers or one of these names.
    ListOr(&'static [&'static str]),
    /// A per-pixel map of the prediction's element type, given with the data (the DPCE
    /// penalty); a text spec cannot write one.
    Map,
}

impl Kind {
    /// What the kind takes, as a phrase ("a number", "one of a|b").
    pub fn describe(self) -> Described {
        Described(self)
    }
}

/// [`Kind::describe`]'s phrase.
#[derive(Clone, Copy, Debug)]
pub struct Described(Kind);

impl fmt::Display for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, names: &[&str]| {
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    f.write_str("|")?;
                }
                f.write_str(n)?;
            }
            Ok(())
        };
        match self.0 {
            Kind::Number => f.write_str("a number"),
            Kind::Integer => f.write_str("an integer"),
            Kind::Bool => f.write_str("true or false"),
            Kind::Choice(c) => {
                f.write_str("one of ")?;
                join(f, c)
            }
            Kind::List => f.write_str("a list of numbers [a, b, ...]"),
            Kind::NumberOrList => f.write_str("a number or a list of numbers"),
            Kind::ListOr(c) => {
                f.write_str("a list of numbers or ")?;
                join(f, c)
            }
            Kind::Map => f.write_str("a per-pixel map given with the data"),
        }
    }
}

/// A constant a parameter defaults to, or a compound sets on a member.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constant {
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A choice.
    Word(&'static str),
}

impl fmt::Display for Constant {
    /// Numbers as written in a spec: integers without a fraction, others in the shortest
    /// form that reads back the same (`1e-5`, `0.3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Constant::Number(x) if x == libm::trunc(x) && x.abs() < 1e15 => {
                write!(f, "{}", x as i64)
            }
            Constant::Number(x) => write!(f, "{x:?}"),
            Constant::Bool(b) => write!(f, "{b}"),
            Constant::Word(w) => f.write_str(w),
        }
    }
}

/// A parameter's default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamDefault {
    /// Must be given: a Rust constructor argument without a default.
    Required,
    /// Left unset unless given (an optional setter such as `with_weight`).
    Unset,
    /// The Rust default.
    Value(Constant),
}

/// One parameter of a loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    /// Its name: the Rust setter's without `with_` (or the constructor argument's).
    pub name: &'static str,
    /// What it takes.
    pub kind: Kind,
    /// Its default.
    pub default: ParamDefault,
    /// True for a constructor argument, which a spec may give by position.
    pub positional: bool,
    /// One line on what it does.
    pub doc: &'static str,
}

impl Param {
    /// A named parameter with a default.
    pub const fn new(name: &'static str, kind: Kind, default: Constant, doc: &'static str) -> Self {
        Param {
            name,
            kind,
            default: ParamDefault::Value(default),
            positional: false,
            doc,
        }
    }

    /// A named parameter left unset unless given.
    pub const fn unset(name: &'static str, kind: Kind, doc: &'static str) -> Self {
        Param {
            name,
            kind,
            default: ParamDefault::Unset,
            positional: false,
            doc,
        }
    }

    /// A constructor argument (positional), with a default or required.
    pub const fn argument(
        name: &'static str,
        kind: Kind,
        default: Option<Constant>,
        doc: &'static str,
    ) -> Self {
        Param {
            name,
            kind,
            default: match default {
                Some(d) => ParamDefault::Value(d),
                None => ParamDefault::Required,
            },
            positional: true,
            doc,
        }
    }
}

/// The reductions a spec names.
pub const REDUCTIONS: &[&str] = &["mean", "sum", "element_mean"];

/// The `reduction` parameter of most losses (default `mean`).
pub const REDUCTION: Param = Param::new(
    "reduction",
    Kind::Choice(REDUCTIONS),
    Constant::Word("mean"),
    "How the terms become one number: mean, sum or element_mean (over pixels x classes).",
);

/// The `spacing` parameter of the losses that measure distances (unit spacing unless set).
pub const SPACING: Param = Param::unset(
    "spacing",
    Kind::List,
    "The voxel spacing, one positive number per spatial axis (unit spacing if unset).",
);

/// The parameter every loss of a run-time spec accepts: the target's ignore index. It is
/// not a parameter of a loss type (the [`Target`](crate::Target) holds it), so no
/// descriptor lists it.
pub const IGNORE_INDEX: Param = Param::unset(
    "ignore_index",
    Kind::Integer,
    "Labels with this value are left out of every sum (the target's ignore index).",
);

/// How a compound weights one member.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Weight {
    /// Weight 1.
    One,
    /// The compound's numeric parameter of this name.
    Param(&'static str),
    /// One minus the compound's numeric parameter of this name.
    OneMinus(&'static str),
    /// The region (`boundary: false`) or boundary part of the compound's [`Schedule`] at its
    /// `epoch` (parameters `schedule` and `epoch`), unless its parameter `lambda` is given.
    Schedule {
        /// The boundary part of the weights rather than the region part.
        boundary: bool,
        /// The parameter that overrides the scheduled weight.
        lambda: &'static str,
    },
}

/// What a compound sets on a member it holds by default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Setting {
    /// The member's parameter `.0` takes the constant `.1`.
    Fixed(&'static str, Constant),
    /// The member's parameter `member` takes the compound's parameter `compound` (when
    /// given, or its default when it has one).
    Renamed {
        /// The member's parameter.
        member: &'static str,
        /// The compound's parameter.
        compound: &'static str,
    },
}

/// One member of a compound or preset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Member {
    /// The Rust field that holds it.
    pub field: &'static str,
    /// The run-time name of its loss (a [`Descriptor::name`]).
    pub loss: &'static str,
    /// Its weight in the sum.
    pub weight: Weight,
    /// What the compound sets on its default member.
    pub settings: &'static [Setting],
}

/// A loss described as data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Descriptor {
    /// Its name in a run-time spec.
    pub name: &'static str,
    /// Other names a spec may use.
    pub aliases: &'static [&'static str],
    /// Its family.
    pub family: Family,
    /// The Rust item it is, from the crate root (`losses::Dice`, `presets::nnunet::dc_and_ce`).
    pub rust: &'static str,
    /// One line on what it is.
    pub summary: &'static str,
    /// Its parameters (for region losses, the aggregation options too).
    pub params: &'static [Param],
    /// A compound's or preset's members, in field order.
    pub members: &'static [Member],
    /// The conditions on its parameters, one clause each, as its `check` tests them (region
    /// losses; the others state theirs in their parameters' docs).
    pub requires: &'static [&'static str],
    /// True for a formula only presets use: no spec names it directly.
    pub hidden: bool,
    /// True when the value has steps or kinks where the gradient jumps (a selection, a
    /// threshold of the prediction): finite differences apply only away from them.
    pub piecewise: bool,
}

impl Descriptor {
    /// A visible leaf (no members) whose parameters state their own conditions in their docs.
    pub const fn leaf(
        name: &'static str,
        aliases: &'static [&'static str],
        family: Family,
        rust: &'static str,
        summary: &'static str,
        params: &'static [Param],
    ) -> Self {
        Descriptor::of_members(name, aliases, family, rust, summary, params, &[])
    }

    /// The same descriptor with [`Descriptor::piecewise`] set.
    pub const fn piecewise(self) -> Self {
        Descriptor {
            piecewise: true,
            ..self
        }
    }

    /// A compound or preset of `members`.
    pub const fn of_members(
        name: &'static str,
        aliases: &'static [&'static str],
        family: Family,
        rust: &'static str,
        summary: &'static str,
        params: &'static [Param],
        members: &'static [Member],
    ) -> Self {
        Descriptor {
            name,
            aliases,
            family,
            rust,
            summary,
            params,
            members,
            requires: &[],
            hidden: false,
            piecewise: false,
        }
    }

    /// The parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The member held in field `field`, with its index.
    pub fn member(&self, field: &str) -> Option<(usize, &'static Member)> {
        self.members
            .iter()
            .enumerate()
            .find(|(_, m)| m.field == field)
    }

    /// True when a spec may call it `name` (its name or an alias; never when hidden).
    pub fn answers_to(&self, name: &str) -> bool {
        !self.hidden && (self.name == name || self.aliases.contains(&name))
    }

    /// True for the families whose statistics are the shared soft confusion statistics.
    pub fn is_region(&self) -> bool {
        matches!(self.family, Family::Region | Family::CoupledRegion)
    }

    /// True for a leaf (a loss type of its own rather than a weighted sum of members).
    pub fn is_leaf(&self) -> bool {
        self.members.is_empty()
    }

    /// The default of numeric parameter `name` (`None` when it has none).
    pub fn default_number(&self, name: &str) -> Option<f64> {
        match self.param(name)?.default {
            ParamDefault::Value(Constant::Number(x)) => Some(x),
            _ => None,
        }
    }
}

/// A loss type's descriptor.
pub trait Describe {
    /// The descriptor.
    const DESCRIPTOR: &'static Descriptor;
}

/// A parameter value handed to [`Configure`].
#[derive(Debug, PartialEq)]
pub enum Value<'a, T> {
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A name (a choice).
    Word(&'a str),
    /// A list of numbers.
    List(&'a [f64]),
    /// A per-pixel map.
    Map(&'a [T]),
}

impl<T> Clone for Value<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Value<'_, T> {}

impl<T> From<Constant> for Value<'static, T> {
    fn from(c: Constant) -> Self {
        match c {
            Constant::Number(x) => Value::Number(x),
            Constant::Bool(b) => Value::Bool(b),
            Constant::Word(w) => Value::Word(w),
        }
    }
}

/// True when `value` is something `kind` takes.
pub fn fits<T>(kind: Kind, value: &Value<'_, T>) -> bool {
    match (kind, value) {
        (Kind::Number | Kind::NumberOrList, Value::Number(_)) => true,
        (Kind::Integer, Value::Number(x)) => *x == libm::trunc(*x) && x.abs() < 9.0e15,
        (Kind::Bool, Value::Bool(_)) => true,
        (Kind::Choice(c) | Kind::ListOr(c), Value::Word(w)) => c.contains(w),
        (Kind::List | Kind::NumberOrList | Kind::ListOr(_), Value::List(l)) => !l.is_empty(),
        (Kind::Map, Value::Map(_)) => true,
        _ => false,
    }
}

/// Named values checked against a descriptor: every name is a parameter, every value fits
/// its kind, no name comes twice and every required parameter is there.
#[derive(Debug)]
pub struct Args<'g, 'a, T> {
    descriptor: &'static Descriptor,
    given: &'g [(&'g str, Value<'a, T>)],
}

impl<'g, 'a, T> Args<'g, 'a, T> {
    /// Checks `given` against `descriptor`.
    pub fn new(
        descriptor: &'static Descriptor,
        given: &'g [(&'g str, Value<'a, T>)],
    ) -> Result<Self, Error> {
        for (index, (name, value)) in given.iter().enumerate() {
            let Some(param) = descriptor.param(name) else {
                return Err(Error::UnknownParameter { index });
            };
            if !fits(param.kind, value) {
                return Err(Error::ParameterKind {
                    name: param.name,
                    kind: param.kind,
                });
            }
            if given.iter().take(index).any(|(n, _)| n == name) {
                return Err(Error::DuplicateParameter { name: param.name });
            }
        }
        let required = descriptor.params.iter();
        let mut required = required.filter(|p| p.default == ParamDefault::Required);
        if let Some(p) = required.find(|p| !given.iter().any(|(n, _)| *n == p.name)) {
            return Err(Error::MissingParameter { name: p.name });
        }
        Ok(Args { descriptor, given })
    }

    /// The descriptor the values were checked against.
    pub fn descriptor(&self) -> &'static Descriptor {
        self.descriptor
    }

    /// The value given for `name`.
    pub fn get(&self, name: &str) -> Option<Value<'a, T>> {
        self.given.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The number given for `name`.
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.get(name)? {
            Value::Number(x) => Some(x),
            _ => None,
        }
    }

    /// The number given for `name`, or its default; NaN (refused by every check) when it
    /// has neither.
    pub fn number_or_default(&self, name: &str) -> f64 {
        self.number(name)
            .or_else(|| self.descriptor.default_number(name))
            .unwrap_or(f64::NAN)
    }

    /// The boolean given for `name`.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The choice given for `name`, as the descriptor spells it.
    pub fn word(&self, name: &str) -> Option<&'static str> {
        let Value::Word(w) = self.get(name)? else {
            return None;
        };
        match self.descriptor.param(name)?.kind {
            Kind::Choice(c) | Kind::ListOr(c) => c.iter().copied().find(|c| *c == w),
            _ => None,
        }
    }

    /// The list given for `name`.
    pub fn list(&self, name: &str) -> Option<&'a [f64]> {
        match self.get(name)? {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The map given for `name`.
    pub fn map(&self, name: &str) -> Option<&'a [T]> {
        match self.get(name)? {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The reduction given as `reduction`.
    pub fn reduction(&self) -> Option<Reduction> {
        Some(match self.word("reduction")? {
            "sum" => Reduction::Sum,
            "element_mean" => Reduction::ElementMean,
            _ => Reduction::Mean,
        })
    }
}

/// A loss built from named parameter values, each one not given keeping its Rust default.
pub trait Configure<'a, T: Real>: Describe + Sized {
    /// Builds the loss from values already checked against its descriptor.
    fn configure(args: &Args<'_, 'a, T>) -> Result<Self, Error>;

    /// Checks `given` against the descriptor ([`Args::new`]) and builds the loss.
    fn from_params(given: &[(&str, Value<'a, T>)]) -> Result<Self, Error> {
        Self::configure(&Args::new(Self::DESCRIPTOR, given)?)
    }
}

/// The epochs a compound's `epoch` parameter may take: a schedule replays its updates one
/// epoch at a time.
pub const MAX_EPOCH: f64 = 1e6;

/// The schedules a Dice + boundary compound names.
pub const SCHEDULES: &[&str] = &["boundary", "hausdorff", "kervadec"];

impl Member {
    /// The member's weight in a compound given `args` (its defaults where not given).
    pub fn weight_in<T>(&self, args: &Args<'_, '_, T>) -> Result<f64, Error> {
        Ok(match self.weight {
            Weight::One => 1.0,
            Weight::Param(name) => args.number_or_default(name),
            Weight::OneMinus(name) => 1.0 - args.number_or_default(name),
            Weight::Schedule { boundary, lambda } => {
                if let Some(w) = args.number(lambda) {
                    return Ok(w);
                }
                let epoch = args.number_or_default("epoch");
                if !(0.0..=MAX_EPOCH).contains(&epoch) {
                    return Err(Error::Parameter {
                        name: "epoch",
                        allowed: "an integer in [0, 1e6]",
                    });
                }
                let schedule = match args.word("schedule") {
                    Some("hausdorff") => Schedule::hausdorff(),
                    Some("kervadec") => Schedule::kervadec(),
                    Some(_) => Schedule::boundary(),
                    None => match args.descriptor().param("schedule").map(|p| p.default) {
                        Some(ParamDefault::Value(Constant::Word("hausdorff"))) => {
                            Schedule::hausdorff()
                        }
                        _ => Schedule::boundary(),
                    },
                };
                let w = schedule.at(epoch as u64);
                if boundary {
                    w.boundary
                } else {
                    w.region
                }
            }
        })
    }
}

/// The descriptor of every entry of a [`with_catalogue!`](crate::with_catalogue) list.
macro_rules! descriptor_table {
    (
        distribution { $($dv:ident($dt:ty, $ds:ty)),* $(,)? }
        region { $($rv:ident($rt:ty, $rs:ty)),* $(,)? }
        boundary { $($bv:ident($bt:ty, $bs:ty)),* $(,)? }
        compound { $($ct:ty),* $(,)? }
        preset { $($p:path),* $(,)? }
    ) => {
        &[
            $(<$ds as Describe>::DESCRIPTOR,)*
            $(<$rs as Describe>::DESCRIPTOR,)*
            $(<$bs as Describe>::DESCRIPTOR,)*
            $(<$ct as Describe>::DESCRIPTOR,)*
            $(&$p,)*
        ]
    };
}

/// Every loss's descriptor, in the order `segloss losses` lists them (hidden formulas
/// included).
pub static CATALOGUE: &[&Descriptor] = crate::with_catalogue!(descriptor_table);

/// The loss a spec may call `name` (its name or an alias).
pub fn find(name: &str) -> Option<&'static Descriptor> {
    CATALOGUE.iter().copied().find(|d| d.answers_to(name))
}

/// The loss named exactly `name`, hidden formulas included (a member's loss).
pub fn find_exact(name: &str) -> Option<&'static Descriptor> {
    CATALOGUE.iter().copied().find(|d| d.name == name)
}
