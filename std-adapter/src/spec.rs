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
//! - Names are the Rust types' in snake case (`dice` is `losses::Dice`, `gdice`
//!   `GeneralizedDice`, ...), presets are `<module>_<function>` (`nnunet_dc_and_ce` is
//!   `presets::nnunet::dc_and_ce`). [`registry`] lists them; `segloss losses` prints it.
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
//! ```

use crate::runtime::{AnyLoss, Compound, MAX_MEMBERS};
use segloss::losses::{
    Alpha, Asym, BalancedBce, ClassWeights, CrossEntropy, Dice, Dpce, ExpLogCe, ExpLogDice, Focal,
    FocalTversky, FocalTverskyMean, GeneralizedDice, GeneralizedDiceWType, Iou, Mcc,
    PenaltyGeneralizedDice, PenaltyGeneralizedDiceWType, Reduction, SensitivitySpecificity, TopK,
    TopKThreshold, Tversky, WeightedCrossEntropy,
};
use segloss::presets::{SmpDice, SoftDice};
use segloss::region::EmptyClass;
use segloss::Real;
use std::fmt;

// ---------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------

/// What a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A finite number.
    Number,
    /// An integer.
    Integer,
    /// `true` or `false`.
    Bool,
    /// One of these names.
    Choice(&'static [&'static str]),
    /// A list of numbers, `[a, b, ...]`.
    List,
    /// A number or a list of numbers.
    NumberOrList,
    /// A list of numbers or one of these names.
    ListOr(&'static [&'static str]),
    /// A call of this loss (a compound's member).
    Member(&'static str),
}

/// A parameter's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamDefault {
    /// Must be given (a Rust constructor argument without a default).
    Required,
    /// Not set unless given (an optional setter: `with_weight`, `with_alpha`).
    Unset,
    /// The Rust default, as written in the API.
    Value(&'static str),
}

/// One parameter of a loss.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Its name (the Rust setter's, without `with_`).
    pub name: &'static str,
    /// What it takes.
    pub kind: Kind,
    /// Its default.
    pub default: ParamDefault,
    /// True for a constructor argument, which may be given by position.
    pub positional: bool,
}

const fn p(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        kind,
        default: ParamDefault::Value(default),
        positional: false,
    }
}

const fn unset(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        default: ParamDefault::Unset,
        positional: false,
    }
}

/// A constructor argument (positional), with or without a default.
const fn arg(name: &'static str, kind: Kind, default: Option<&'static str>) -> Param {
    Param {
        name,
        kind,
        default: match default {
            Some(d) => ParamDefault::Value(d),
            None => ParamDefault::Required,
        },
        positional: true,
    }
}

const NUM: Kind = Kind::Number;
const BOOL: Kind = Kind::Bool;
const REDUCTIONS: &[&str] = &["mean", "sum", "element_mean"];
const REDUCTION: Param = p("reduction", Kind::Choice(REDUCTIONS), "mean");
const SMOOTH_NR: Param = p("smooth_nr", NUM, "1e-5");
const SMOOTH_DR: Param = p("smooth_dr", NUM, "1e-5");
const W_TYPES: &[&str] = &["square", "simple", "uniform"];

/// The aggregation options every region loss takes (`weight` only the per-class ones).
pub const AGGREGATION: [Param; 5] = [
    p("include_background", BOOL, "true"),
    p("batch", BOOL, "false"),
    unset("weight", Kind::List),
    REDUCTION,
    p("empty", Kind::Choice(&["zero", "exclude"]), "zero"),
];

/// The parameter every loss accepts: the target's ignore index.
pub const IGNORE_INDEX: Param = unset("ignore_index", Kind::Integer);

/// The family of a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A per-pixel (distribution) loss.
    Pixel,
    /// A region (overlap) loss, per class.
    Region,
    /// A region loss that couples the classes (one value per sample): no per-class weight.
    CoupledRegion,
    /// A compound of weighted members.
    Compound,
    /// Another library's convention.
    Preset,
}

/// The losses a leaf of a spec builds (one [`AnyLoss`] each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaf {
    Ce,
    Wce,
    TopK,
    TopKThreshold,
    Focal,
    Dpce,
    BalancedBce,
    ExpLogCe,
    Dice,
    Iou,
    Tversky,
    FocalTversky,
    FocalTverskyMean,
    Asym,
    GDice,
    PgDice,
    Ss,
    Mcc,
    ExpLogDice,
    SoftDice,
    SmpDice,
}

/// A member field of a compound: its Rust field name and the loss it holds.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The field name.
    pub name: &'static str,
    /// The loss name (a leaf of the registry, or an internal one for presets).
    pub loss: &'static str,
}

/// One named loss of the registry.
#[derive(Clone, Copy, Debug)]
pub struct LossDef {
    /// Its name in a spec.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// Its family.
    pub family: Family,
    /// The Rust item it mirrors.
    pub rust: &'static str,
    /// Its own parameters (region losses also take [`AGGREGATION`]).
    pub params: &'static [Param],
    /// A compound's (or preset's) members.
    pub fields: &'static [Field],
    leaf: Option<Leaf>,
    /// True for internal leaves (preset formulas) that are not spec names.
    hidden: bool,
}

impl LossDef {
    /// Every parameter it accepts besides `ignore_index`, in order.
    pub fn all_params(&self) -> impl Iterator<Item = &'static Param> + '_ {
        let agg: &'static [Param] = match self.family {
            Family::Region => &AGGREGATION,
            Family::CoupledRegion => &COUPLED_AGGREGATION,
            _ => &[],
        };
        self.params.iter().chain(agg.iter())
    }

    fn param(&self, name: &str) -> Option<&'static Param> {
        self.all_params().find(|p| p.name == name)
    }

    fn field(&self, name: &str) -> Option<(usize, &'static Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }
}

const COUPLED_AGGREGATION: [Param; 4] = [
    AGGREGATION[0],
    AGGREGATION[1],
    AGGREGATION[3],
    AGGREGATION[4],
];

macro_rules! def {
    ($name:literal, $family:ident, $rust:literal, [$($param:expr),* $(,)?] $(, leaf = $leaf:ident)? $(, fields = [$($f:literal : $fl:literal),*])? $(, aliases = [$($alias:literal),*])? $(, hidden = $hidden:literal)?) => {
        LossDef {
            name: $name,
            aliases: &[$($($alias),*)?],
            family: Family::$family,
            rust: $rust,
            params: &[$($param),*],
            fields: &[$($(Field { name: $f, loss: $fl }),*)?],
            leaf: def!(@leaf $($leaf)?),
            hidden: def!(@hidden $($hidden)?),
        }
    };
    (@leaf) => { None };
    (@leaf $leaf:ident) => { Some(Leaf::$leaf) };
    (@hidden) => { false };
    (@hidden $h:literal) => { $h };
}

/// Every loss a spec can name (and the internal preset formulas, marked hidden).
static REGISTRY: &[LossDef] = &[
    // Distribution losses.
    def!(
        "ce",
        Pixel,
        "losses::CrossEntropy",
        [
            unset("weight", Kind::List),
            p("label_smoothing", NUM, "0"),
            REDUCTION
        ],
        leaf = Ce
    ),
    def!(
        "wce",
        Pixel,
        "losses::WeightedCrossEntropy",
        [
            arg("weight", Kind::ListOr(&["inverse_frequency"]), None),
            REDUCTION
        ],
        leaf = Wce
    ),
    def!(
        "topk",
        Pixel,
        "losses::TopK",
        [arg("k", NUM, Some("10")), REDUCTION],
        leaf = TopK
    ),
    def!(
        "topk_threshold",
        Pixel,
        "losses::TopKThreshold",
        [arg("t", NUM, None), REDUCTION],
        leaf = TopKThreshold
    ),
    def!(
        "focal",
        Pixel,
        "losses::Focal",
        [
            arg("gamma", NUM, Some("2")),
            unset("alpha", Kind::NumberOrList),
            REDUCTION
        ],
        leaf = Focal
    ),
    def!(
        "dpce",
        Pixel,
        "losses::Dpce (penalty map: --penalty)",
        [REDUCTION],
        leaf = Dpce
    ),
    def!(
        "balanced_bce",
        Pixel,
        "losses::BalancedBce",
        [arg("beta", NUM, None), REDUCTION],
        leaf = BalancedBce
    ),
    def!(
        "exp_log_ce",
        Pixel,
        "losses::ExpLogCe",
        [
            arg("gamma", NUM, None),
            unset("weight", Kind::List),
            REDUCTION
        ],
        leaf = ExpLogCe
    ),
    // Region losses.
    def!(
        "dice",
        Region,
        "losses::Dice",
        [
            SMOOTH_NR,
            SMOOTH_DR,
            p("squared_pred", BOOL, "false"),
            p("jaccard", BOOL, "false"),
            p("log_dice", BOOL, "false")
        ],
        leaf = Dice
    ),
    def!(
        "iou",
        Region,
        "losses::Iou",
        [SMOOTH_NR, SMOOTH_DR],
        leaf = Iou
    ),
    def!(
        "tversky",
        Region,
        "losses::Tversky",
        [
            p("alpha", NUM, "0.5"),
            p("beta", NUM, "0.5"),
            SMOOTH_NR,
            SMOOTH_DR
        ],
        leaf = Tversky
    ),
    def!(
        "focal_tversky",
        Region,
        "losses::FocalTversky",
        [
            p("alpha", NUM, "0.5"),
            p("beta", NUM, "0.5"),
            p("gamma", NUM, "1.3333333333333333"),
            SMOOTH_NR,
            SMOOTH_DR
        ],
        leaf = FocalTversky
    ),
    def!(
        "focal_tversky_mean",
        CoupledRegion,
        "losses::FocalTverskyMean",
        [
            p("alpha", NUM, "0.5"),
            p("beta", NUM, "0.5"),
            p("gamma", NUM, "1.3333333333333333"),
            SMOOTH_NR,
            SMOOTH_DR
        ],
        leaf = FocalTverskyMean
    ),
    def!(
        "asym",
        Region,
        "losses::Asym",
        [p("beta", NUM, "1.5"), SMOOTH_NR, SMOOTH_DR],
        leaf = Asym
    ),
    def!(
        "gdice",
        CoupledRegion,
        "losses::GeneralizedDice",
        [
            p("w_type", Kind::Choice(W_TYPES), "square"),
            SMOOTH_NR,
            SMOOTH_DR
        ],
        leaf = GDice
    ),
    def!(
        "pgdice",
        CoupledRegion,
        "losses::PenaltyGeneralizedDice",
        [
            p("w_type", Kind::Choice(W_TYPES), "square"),
            SMOOTH_NR,
            SMOOTH_DR,
            p("k", NUM, "2.5")
        ],
        leaf = PgDice
    ),
    def!(
        "ss",
        Region,
        "losses::SensitivitySpecificity",
        [p("w", NUM, "0.1"), SMOOTH_DR],
        leaf = Ss
    ),
    def!("mcc", Region, "losses::Mcc", [SMOOTH_DR], leaf = Mcc),
    def!(
        "exp_log_dice",
        Region,
        "losses::ExpLogDice",
        [p("gamma", NUM, "0.3"), SMOOTH_NR, SMOOTH_DR],
        leaf = ExpLogDice
    ),
    // Compounds.
    def!("dice_ce", Compound, "losses::DiceCe",
        [p("lambda_dice", NUM, "1"), p("lambda_ce", NUM, "1")],
        fields = ["dice": "dice", "ce": "ce"]),
    def!("dice_focal", Compound, "losses::DiceFocal (focal: element_mean)",
        [p("lambda_dice", NUM, "1"), p("lambda_focal", NUM, "1")],
        fields = ["dice": "dice", "focal": "focal"]),
    def!("dice_topk", Compound, "losses::DiceTopK",
        [p("lambda_dice", NUM, "1"), p("lambda_topk", NUM, "1")],
        fields = ["dice": "dice", "topk": "topk"]),
    def!("combo", Compound, "losses::Combo::new(alpha, beta)",
        [arg("alpha", NUM, None), arg("beta", NUM, None)],
        fields = ["bce": "balanced_bce", "dice": "dice"]),
    def!("ell", Compound, "losses::Ell (with_gammas(gamma_dice, gamma_ce))",
        [p("w_dice", NUM, "0.8"), p("w_ce", NUM, "0.2"), p("gamma_dice", NUM, "0.3"),
         p("gamma_ce", NUM, "0.3")],
        fields = ["dice": "exp_log_dice", "ce": "exp_log_ce"]),
    // Presets.
    def!("nnunet_soft_dice", Preset, "presets::nnunet::soft_dice(batch_dice, do_bg)",
        [arg("batch_dice", BOOL, None), arg("do_bg", BOOL, None)],
        fields = ["dice": "soft_dice"], aliases = ["nnunet_dice"]),
    def!("nnunet_dc_and_ce", Preset, "presets::nnunet::dc_and_ce(batch_dice, do_bg)",
        [arg("batch_dice", BOOL, None), arg("do_bg", BOOL, None), p("weight_dice", NUM, "1"),
         p("weight_ce", NUM, "1")],
        fields = ["dice": "soft_dice", "ce": "ce"]),
    def!("smp_dice", Preset, "presets::smp::dice()", [], fields = ["dice": "smp_dice_formula"]),
    def!("paper_soft_dice", Preset, "presets::paper::soft_dice()", [],
        fields = ["dice": "soft_dice"], aliases = ["paper_dice"]),
    def!("paper_focal_tversky", Preset, "presets::paper::focal_tversky()", [],
        fields = ["loss": "focal_tversky_mean"]),
    def!("monai_focal", Preset, "presets::monai::focal(gamma)", [arg("gamma", NUM, None)],
        fields = ["focal": "focal"]),
    // Internal formulas of the presets.
    def!(
        "soft_dice",
        Region,
        "presets::SoftDice",
        [p("smooth", NUM, "1e-5")],
        leaf = SoftDice,
        hidden = true
    ),
    def!(
        "smp_dice_formula",
        Region,
        "presets::SmpDice",
        [p("smooth", NUM, "0")],
        leaf = SmpDice,
        hidden = true
    ),
];

/// The losses a spec can name, in the order `segloss losses` lists them.
pub fn registry() -> impl Iterator<Item = &'static LossDef> {
    REGISTRY.iter().filter(|d| !d.hidden)
}

fn lookup(name: &str) -> Option<&'static LossDef> {
    registry().find(|d| d.name == name || d.aliases.contains(&name))
}

fn lookup_any(name: &str) -> Option<&'static LossDef> {
    REGISTRY.iter().find(|d| d.name == name)
}

fn describe_kind(kind: Kind) -> String {
    match kind {
        Kind::Number => "a number".into(),
        Kind::Integer => "an integer".into(),
        Kind::Bool => "true or false".into(),
        Kind::Choice(c) => format!("one of {}", c.join("|")),
        Kind::List => "a list of numbers [a, b, ...]".into(),
        Kind::NumberOrList => "a number or a list of numbers".into(),
        Kind::ListOr(c) => format!("a list of numbers or {}", c.join("|")),
        Kind::Member(l) => format!("a `{l}(...)` call"),
    }
}

fn describe_param(p: &Param) -> String {
    let short = match p.kind {
        Kind::Number => "number".to_string(),
        Kind::Integer => "integer".to_string(),
        Kind::Bool => "true|false".to_string(),
        Kind::Choice(c) => c.join("|"),
        Kind::List => "[list]".to_string(),
        Kind::NumberOrList => "number|[list]".to_string(),
        Kind::ListOr(c) => format!("[list]|{}", c.join("|")),
        Kind::Member(l) => format!("{l}(..)"),
    };
    match p.default {
        ParamDefault::Required => format!("{} (required: {short})", p.name),
        ParamDefault::Unset => format!("{} ({short})", p.name),
        ParamDefault::Value(v) => match p.kind {
            Kind::Choice(_) => format!("{}={v} ({short})", p.name),
            _ => format!("{}={v}", p.name),
        },
    }
}

/// A one-line signature of a loss: `name(param=default, ...)`, with or without the
/// aggregation options of region losses.
pub fn signature(def: &LossDef, aggregation: bool) -> String {
    let params: Vec<&Param> = if aggregation {
        def.all_params().collect()
    } else {
        def.params.iter().collect()
    };
    let mut parts: Vec<String> = params.into_iter().map(describe_param).collect();
    parts.extend(def.fields.iter().filter_map(|f| {
        let member = lookup(f.loss)?;
        (def.family == Family::Compound).then(|| format!("{}={}(..)", f.name, member.name))
    }));
    format!("{}({})", def.name, parts.join(", "))
}

/// The listing `segloss losses` prints.
pub fn describe() -> String {
    let mut out = String::new();
    for (family, title) in [
        (Family::Pixel, "Distribution losses"),
        (
            Family::Region,
            "Region losses (also: include_background, batch, weight, reduction, empty)",
        ),
        (
            Family::Compound,
            "Compounds (members by field name, or any parameter of exactly one member)",
        ),
        (Family::Preset, "Presets"),
    ] {
        out.push_str(title);
        out.push_str(":\n");
        let of_family = |d: &&LossDef| {
            d.family == family || (family == Family::Region && d.family == Family::CoupledRegion)
        };
        for d in registry().filter(of_family) {
            let aliases = if d.aliases.is_empty() {
                String::new()
            } else {
                format!(" (also {})", d.aliases.join(", "))
            };
            let coupled = if d.family == Family::CoupledRegion {
                "; couples the classes: no weight"
            } else {
                ""
            };
            out.push_str(&format!(
                "  {}\n      = {}{aliases}{coupled}\n",
                signature(d, false),
                d.rust
            ));
        }
    }
    out.push_str(
        "Every call also takes ignore_index=I (applied to the target, shared by all members).\n",
    );
    out
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// A byte range of the spec text.
pub type Span = (usize, usize);

/// A mistake in a spec, with where it is and what is allowed.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    /// What is wrong.
    pub message: String,
    /// Where (byte range in the spec text).
    pub span: Span,
    /// What is allowed there, if that helps.
    pub allowed: Option<String>,
    text: String,
}

impl SpecError {
    fn new(text: &str, span: Span, message: impl Into<String>) -> Self {
        SpecError {
            message: message.into(),
            span,
            allowed: None,
            text: text.to_string(),
        }
    }

    fn allowed(mut self, allowed: impl Into<String>) -> Self {
        self.allowed = Some(allowed.into());
        self
    }

    /// The 1-based column (in characters) where the mistake starts.
    pub fn column(&self) -> usize {
        self.text
            .get(..self.span.0)
            .map_or(0, |s| s.chars().count())
            + 1
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let col = self.column();
        let width = self
            .text
            .get(self.span.0..self.span.1)
            .map_or(1, |s| s.chars().count())
            .max(1);
        writeln!(f, "at column {col}: {}", self.message)?;
        writeln!(f, "  {}", self.text)?;
        write!(f, "  {}{}", " ".repeat(col - 1), "^".repeat(width))?;
        if let Some(a) = &self.allowed {
            write!(f, "\n  allowed: {a}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

fn suggest<'n>(word: &str, names: impl Iterator<Item = &'n str>) -> String {
    let best = names
        .map(|n| (distance(word, n), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min_by_key(|(d, _)| *d);
    best.map_or(String::new(), |(_, n)| format!("; did you mean `{n}`?"))
}

// ---------------------------------------------------------------------------------------
// Lexer and parser
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Open,
    Close,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Star,
    Plus,
    Minus,
    End,
}

fn tok_name(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Num(_) => "a number".into(),
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Eq => "`=`".into(),
        Tok::Star => "`*`".into(),
        Tok::Plus => "`+`".into(),
        Tok::Minus => "`-`".into(),
        Tok::End => "the end of the spec".into(),
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, Span)>, SpecError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let single = match c {
            b'(' => Some(Tok::Open),
            b')' => Some(Tok::Close),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b',' => Some(Tok::Comma),
            b'=' => Some(Tok::Eq),
            b'*' => Some(Tok::Star),
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            _ => None,
        };
        if let Some(t) = single {
            out.push((t, (i, i + 1)));
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_string()), (start, i)));
        } else if c.is_ascii_digit() || c == b'.' {
            let digits = |i: &mut usize| {
                let s = *i;
                while *i < bytes.len() && bytes[*i].is_ascii_digit() {
                    *i += 1;
                }
                *i > s
            };
            let mut any = digits(&mut i);
            if i < bytes.len() && bytes[i] == b'.' {
                i += 1;
                any |= digits(&mut i);
            }
            if any && i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if digits(&mut j) {
                    i = j;
                }
            }
            let word = &text[start..i];
            let bad = || {
                SpecError::new(
                    text,
                    (start, i.max(start + 1)),
                    format!("`{word}` is not a number"),
                )
            };
            if !any || (i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_')) {
                let mut end = i;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric()
                        || bytes[end] == b'_'
                        || bytes[end] == b'.')
                {
                    end += 1;
                }
                return Err(SpecError::new(
                    text,
                    (start, end.max(start + 1)),
                    format!("`{}` is not a number", &text[start..end.max(start + 1)]),
                ));
            }
            let value: f64 = word.parse().map_err(|_| bad())?;
            if !value.is_finite() {
                return Err(SpecError::new(
                    text,
                    (start, i),
                    format!("`{word}` is out of range"),
                ));
            }
            out.push((Tok::Num(value), (start, i)));
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            let end = i + ch.len_utf8();
            return Err(
                SpecError::new(text, (start, end), format!("unexpected character `{ch}`"))
                    .allowed("names, numbers, true/false, [lists], ( ) , = * + -"),
            );
        }
    }
    out.push((Tok::End, (text.len(), text.len())));
    Ok(out)
}

/// A parsed call `name(args)`.
#[derive(Clone, Debug)]
struct Call {
    name: String,
    name_span: Span,
    args: Vec<Arg>,
    span: Span,
}

#[derive(Clone, Debug)]
struct Arg {
    key: Option<(String, Span)>,
    value: Value,
}

#[derive(Clone, Debug)]
enum ValueKind {
    Num(f64),
    Bool(bool),
    Name(String),
    List(Vec<f64>),
    Call(Call),
}

#[derive(Clone, Debug)]
struct Value {
    kind: ValueKind,
    span: Span,
}

#[derive(Clone, Debug)]
struct Term {
    weight: f64,
    call: Call,
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<(Tok, Span)>,
    at: usize,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> &(Tok, Span) {
        let last = self.toks.len() - 1;
        &self.toks[self.at.min(last)]
    }

    fn bump(&mut self) -> (Tok, Span) {
        let t = self.peek().clone();
        self.at += 1;
        t
    }

    fn err(&self, span: Span, msg: impl Into<String>) -> SpecError {
        SpecError::new(self.text, span, msg)
    }

    fn expected(&self, what: &str) -> SpecError {
        let (t, span) = self.peek();
        self.err(*span, format!("expected {what}, found {}", tok_name(t)))
    }

    fn spec(&mut self) -> Result<Vec<Term>, SpecError> {
        let mut terms = Vec::new();
        let mut sign = 1.0;
        if matches!(self.peek().0, Tok::Plus | Tok::Minus) && self.bump().0 == Tok::Minus {
            sign = -1.0;
        }
        loop {
            terms.push(self.term(sign)?);
            sign = match self.peek().0 {
                Tok::Plus => 1.0,
                Tok::Minus => -1.0,
                Tok::End => return Ok(terms),
                _ => return Err(self.expected("`+`, `-` or the end of the spec")),
            };
            self.bump();
        }
    }

    fn term(&mut self, sign: f64) -> Result<Term, SpecError> {
        match self.peek().0.clone() {
            Tok::Num(w) => {
                self.bump();
                if self.peek().0 != Tok::Star {
                    return Err(self.expected("`*` after the weight (e.g. `0.5*dice`)"));
                }
                self.bump();
                let call = self.call()?;
                Ok(Term {
                    weight: sign * w,
                    call,
                })
            }
            Tok::Ident(_) => {
                let call = self.call()?;
                let mut weight = sign;
                if self.peek().0 == Tok::Star {
                    self.bump();
                    match self.bump() {
                        (Tok::Num(w), _) => weight *= w,
                        (t, span) => {
                            return Err(self.err(
                                span,
                                format!("expected a weight after `*`, found {}", tok_name(&t)),
                            ))
                        }
                    }
                }
                Ok(Term { weight, call })
            }
            _ => Err(self.expected("a loss name or a weight")),
        }
    }

    fn call(&mut self) -> Result<Call, SpecError> {
        let (name, name_span) = match self.bump() {
            (Tok::Ident(n), span) => (n, span),
            (t, span) => {
                return Err(self.err(
                    span,
                    format!("expected a loss name, found {}", tok_name(&t)),
                ))
            }
        };
        let mut call = Call {
            name,
            name_span,
            args: Vec::new(),
            span: name_span,
        };
        if self.peek().0 != Tok::Open {
            return Ok(call);
        }
        self.bump();
        loop {
            if self.peek().0 == Tok::Close {
                break;
            }
            call.args.push(self.arg()?);
            match self.peek().0 {
                Tok::Comma => {
                    self.bump();
                }
                Tok::Close => break,
                _ => return Err(self.expected("`,` or `)`")),
            }
        }
        let (_, close) = self.bump();
        call.span = (name_span.0, close.1);
        Ok(call)
    }

    fn arg(&mut self) -> Result<Arg, SpecError> {
        if let (Tok::Ident(name), span) = self.peek().clone() {
            if self.toks.get(self.at + 1).map(|t| &t.0) == Some(&Tok::Eq) {
                self.at += 2;
                let value = self.value()?;
                return Ok(Arg {
                    key: Some((name, span)),
                    value,
                });
            }
        }
        Ok(Arg {
            key: None,
            value: self.value()?,
        })
    }

    fn number(&mut self) -> Result<(f64, Span), SpecError> {
        let (first, span) = self.peek().clone();
        let sign = match first {
            Tok::Minus => -1.0,
            Tok::Plus => 1.0,
            _ => 0.0,
        };
        if sign != 0.0 {
            self.bump();
        }
        match self.bump() {
            (Tok::Num(x), s) => Ok((if sign < 0.0 { -x } else { x }, (span.0, s.1))),
            (t, s) => Err(self.err(s, format!("expected a number, found {}", tok_name(&t)))),
        }
    }

    fn value(&mut self) -> Result<Value, SpecError> {
        let (t, span) = self.peek().clone();
        match t {
            Tok::Num(_) | Tok::Minus | Tok::Plus => {
                let (x, span) = self.number()?;
                Ok(Value {
                    kind: ValueKind::Num(x),
                    span,
                })
            }
            Tok::LBracket => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    if self.peek().0 == Tok::RBracket {
                        break;
                    }
                    items.push(self.number()?.0);
                    match self.peek().0 {
                        Tok::Comma => {
                            self.bump();
                        }
                        Tok::RBracket => break,
                        _ => return Err(self.expected("`,` or `]` in the list")),
                    }
                }
                let (_, close) = self.bump();
                Ok(Value {
                    kind: ValueKind::List(items),
                    span: (span.0, close.1),
                })
            }
            Tok::Ident(name) => {
                if self.toks.get(self.at + 1).map(|t| &t.0) == Some(&Tok::Open) {
                    let call = self.call()?;
                    let span = call.span;
                    return Ok(Value {
                        kind: ValueKind::Call(call),
                        span,
                    });
                }
                self.bump();
                let kind = match name.as_str() {
                    "true" => ValueKind::Bool(true),
                    "false" => ValueKind::Bool(false),
                    _ => ValueKind::Name(name),
                };
                Ok(Value { kind, span })
            }
            _ => Err(self.expected("a value (number, true/false, name, [list] or call)")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Resolution: calls → flat list of weighted leaves
// ---------------------------------------------------------------------------------------

/// A checked parameter value.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Num(f64),
    Bool(bool),
    Word(&'static str),
    List(Vec<f64>),
}

/// A parameter set on a leaf; `span` is `None` for values a compound or preset implies.
#[derive(Clone, Debug)]
struct Given {
    name: &'static str,
    val: Val,
    span: Option<Span>,
}

/// A call checked against the registry.
#[derive(Clone, Debug)]
struct Resolved {
    def: &'static LossDef,
    /// The call's own parameters.
    own: Vec<Given>,
    /// Parameters forwarded to a member field (compounds): `(field index, parameter)`.
    forwarded: Vec<(usize, Given)>,
    /// Members given as calls: `(field index, call)`.
    members: Vec<(usize, Resolved)>,
    span: Span,
}

impl Resolved {
    fn num(&self, name: &str) -> Option<f64> {
        self.own
            .iter()
            .find(|g| g.name == name)
            .and_then(|g| match g.val {
                Val::Num(x) => Some(x),
                _ => None,
            })
    }

    fn boolean(&self, name: &str) -> Option<bool> {
        self.own
            .iter()
            .find(|g| g.name == name)
            .and_then(|g| match g.val {
                Val::Bool(b) => Some(b),
                _ => None,
            })
    }

    fn given(&self, name: &str) -> Option<&Given> {
        self.own.iter().find(|g| g.name == name)
    }
}

/// One weighted loss of a flattened spec.
#[derive(Clone, Debug)]
struct LeafSpec {
    label: String,
    weight: f64,
    def: &'static LossDef,
    leaf: Leaf,
    args: Vec<Given>,
    span: Span,
}

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

struct Resolver<'t> {
    text: &'t str,
    ignore: Option<(i64, Span)>,
}

impl Resolver<'_> {
    fn err(&self, span: Span, msg: impl Into<String>) -> SpecError {
        SpecError::new(self.text, span, msg)
    }

    fn allowed_params(def: &LossDef) -> String {
        let mut names: Vec<String> = def.all_params().map(describe_param).collect();
        for f in def.fields {
            if def.family == Family::Compound {
                names.push(format!("{}={}(..)", f.name, f.loss));
            }
        }
        if def.family == Family::Compound {
            names.push("any parameter of exactly one member".into());
        }
        names.push(describe_param(&IGNORE_INDEX));
        names.join(", ")
    }

    fn call(&mut self, call: &Call) -> Result<Resolved, SpecError> {
        let Some(def) = lookup(&call.name) else {
            let names =
                registry().flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()));
            let hint = suggest(&call.name, names);
            return Err(self
                .err(
                    call.name_span,
                    format!("unknown loss `{}`{hint}", call.name),
                )
                .allowed(registry().map(|d| d.name).collect::<Vec<_>>().join(", ")));
        };
        let mut r = Resolved {
            def,
            own: Vec::new(),
            forwarded: Vec::new(),
            members: Vec::new(),
            span: call.span,
        };
        let positional: Vec<&Param> = def.params.iter().filter(|p| p.positional).collect();
        let mut seen: Vec<(String, Span)> = Vec::new();
        let mut named = false;
        for (i, a) in call.args.iter().enumerate() {
            let (name, name_span) = match &a.key {
                Some((n, s)) => {
                    named = true;
                    (n.clone(), *s)
                }
                None => {
                    if named {
                        return Err(
                            self.err(a.value.span, "a positional argument after a named one")
                        );
                    }
                    let Some(p) = positional.get(i) else {
                        let takes = if positional.is_empty() {
                            format!("`{}` takes no positional argument", def.name)
                        } else {
                            format!(
                                "`{}` takes {} positional argument(s): {}",
                                def.name,
                                positional.len(),
                                positional
                                    .iter()
                                    .map(|p| p.name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        };
                        return Err(self
                            .err(
                                a.value.span,
                                format!("too many positional arguments: {takes}"),
                            )
                            .allowed(Self::allowed_params(def)));
                    };
                    (p.name.to_string(), a.value.span)
                }
            };
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                let col = self.text.get(..first.0).map_or(0, |s| s.chars().count()) + 1;
                return Err(self.err(
                    name_span,
                    format!("`{name}` is given twice (first at column {col})"),
                ));
            }
            seen.push((name.clone(), name_span));
            if name == IGNORE_INDEX.name {
                if let Val::Num(x) = self.value(&IGNORE_INDEX, def, &a.value)? {
                    self.set_ignore(x as i64, a.value.span)?;
                }
                continue;
            }
            if let Some(param) = def.param(&name) {
                let val = self.value(param, def, &a.value)?;
                r.own.push(Given {
                    name: param.name,
                    val,
                    span: Some(a.value.span),
                });
                continue;
            }
            if let Some((field, f)) = def.field(&name) {
                if def.family == Family::Compound {
                    let member = self.member_call(f, def, &a.value)?;
                    r.members.push((field, member));
                    continue;
                }
            }
            if def.family == Family::Compound {
                if let Some((field, param)) = self.forward(def, &name, name_span)? {
                    let val = self.value(param, def, &a.value)?;
                    r.forwarded.push((
                        field,
                        Given {
                            name: param.name,
                            val,
                            span: Some(a.value.span),
                        },
                    ));
                    continue;
                }
            }
            let names = def
                .all_params()
                .map(|p| p.name)
                .chain(def.fields.iter().map(|f| f.name))
                .chain(std::iter::once("ignore_index"));
            let hint = suggest(&name, names);
            return Err(self
                .err(
                    name_span,
                    format!("unknown parameter `{name}` of `{}`{hint}", def.name),
                )
                .allowed(Self::allowed_params(def)));
        }
        Ok(r)
    }

    /// Finds the one member of compound `def` that takes parameter `name`.
    fn forward(
        &self,
        def: &LossDef,
        name: &str,
        span: Span,
    ) -> Result<Option<(usize, &'static Param)>, SpecError> {
        let takers: Vec<(usize, &'static Param, &'static str)> = def
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i, lookup_any(f.loss)?.param(name)?, f.name)))
            .collect();
        match takers.as_slice() {
            [] => Ok(None),
            [(i, p, _)] => Ok(Some((*i, *p))),
            many => {
                let fields: Vec<String> = many.iter().map(|(_, _, f)| format!("`{f}`")).collect();
                let example = many
                    .first()
                    .map(|(i, _, f)| format!("{f}={}({name}=...)", def.fields[*i].loss))
                    .unwrap_or_default();
                Err(self.err(
                    span,
                    format!(
                        "`{name}` of `{}` is ambiguous: members {} both take it; set it on one member, e.g. `{example}`",
                        def.name,
                        fields.join(" and ")
                    ),
                ))
            }
        }
    }

    fn member_call(
        &mut self,
        field: &Field,
        def: &LossDef,
        value: &Value,
    ) -> Result<Resolved, SpecError> {
        let call = match &value.kind {
            ValueKind::Call(c) => c.clone(),
            ValueKind::Name(n) => Call {
                name: n.clone(),
                name_span: value.span,
                args: Vec::new(),
                span: value.span,
            },
            _ => {
                return Err(self.err(
                    value.span,
                    format!(
                        "`{}` of `{}` takes {}",
                        field.name,
                        def.name,
                        describe_kind(Kind::Member(field.loss))
                    ),
                ))
            }
        };
        let member = self.call(&call)?;
        if member.def.name != field.loss {
            return Err(self.err(
                call.name_span,
                format!(
                    "`{}` of `{}` holds a `{}` (the Rust field's type); found `{}`",
                    field.name, def.name, field.loss, call.name
                ),
            ));
        }
        Ok(member)
    }

    fn set_ignore(&mut self, index: i64, span: Span) -> Result<(), SpecError> {
        match self.ignore {
            Some((i, first)) if i != index => {
                let col = self.text.get(..first.0).map_or(0, |s| s.chars().count()) + 1;
                Err(self.err(
                    span,
                    format!(
                        "ignore_index={index} conflicts with ignore_index={i} at column {col}: the \
                         ignore index belongs to the target, which all members share"
                    ),
                ))
            }
            _ => {
                self.ignore = Some((index, span));
                Ok(())
            }
        }
    }

    fn value(&self, param: &Param, def: &LossDef, value: &Value) -> Result<Val, SpecError> {
        let bad = || {
            self.err(
                value.span,
                format!(
                    "`{}` of `{}` takes {}",
                    param.name,
                    def.name,
                    describe_kind(param.kind)
                ),
            )
        };
        let choice = |choices: &'static [&'static str], name: &str| {
            choices
                .iter()
                .find(|c| **c == name)
                .map(|c| Val::Word(c))
                .ok_or_else(|| {
                    self.err(
                        value.span,
                        format!(
                            "`{name}` is not a value of `{}`{}",
                            param.name,
                            suggest(name, choices.iter().copied())
                        ),
                    )
                    .allowed(choices.join(", "))
                })
        };
        match (&param.kind, &value.kind) {
            (Kind::Number, ValueKind::Num(x)) => Ok(Val::Num(*x)),
            (Kind::Integer, ValueKind::Num(x)) => {
                if x.fract() == 0.0 && x.abs() < 9.0e15 {
                    Ok(Val::Num(*x))
                } else {
                    Err(bad())
                }
            }
            (Kind::Bool, ValueKind::Bool(b)) => Ok(Val::Bool(*b)),
            (Kind::Choice(c), ValueKind::Name(n)) => choice(c, n),
            (Kind::List | Kind::NumberOrList | Kind::ListOr(_), ValueKind::List(items)) => {
                if items.is_empty() {
                    Err(self.err(
                        value.span,
                        format!("`{}` takes a non-empty list", param.name),
                    ))
                } else {
                    Ok(Val::List(items.clone()))
                }
            }
            (Kind::NumberOrList, ValueKind::Num(x)) => Ok(Val::Num(*x)),
            (Kind::ListOr(c), ValueKind::Name(n)) => choice(c, n),
            _ => Err(bad()),
        }
    }

    /// Flattens a resolved top-level call into leaves.
    fn expand(&self, r: &Resolved, weight: f64, out: &mut Vec<LeafSpec>) -> Result<(), SpecError> {
        let def = r.def;
        if let Some(leaf) = def.leaf {
            out.push(LeafSpec {
                label: def.name.to_string(),
                weight,
                def,
                leaf,
                args: r.own.clone(),
                span: r.span,
            });
            return Ok(());
        }
        let implied = |name: &'static str, val: Val| Given {
            name,
            val,
            span: None,
        };
        let num = |name: &str, default: f64| r.num(name).unwrap_or(default);
        // Per field: its weight and the arguments its default member gets from the compound.
        let plan: Vec<(f64, Vec<Given>)> = match def.name {
            "dice_ce" => vec![
                (num("lambda_dice", 1.0), vec![]),
                (num("lambda_ce", 1.0), vec![]),
            ],
            "dice_focal" => vec![
                (num("lambda_dice", 1.0), vec![]),
                (
                    num("lambda_focal", 1.0),
                    vec![implied("reduction", Val::Word("element_mean"))],
                ),
            ],
            "dice_topk" => vec![
                (num("lambda_dice", 1.0), vec![]),
                (num("lambda_topk", 1.0), vec![implied("k", Val::Num(10.0))]),
            ],
            "combo" => {
                let alpha = num("alpha", 0.0);
                let beta = r.given("beta").map(|g| Given {
                    span: g.span,
                    ..g.clone()
                });
                vec![(alpha, beta.into_iter().collect()), (1.0 - alpha, vec![])]
            }
            "ell" => {
                let gamma = |name: &str| {
                    let g = r.given(name).cloned().map(|g| Given { name: "gamma", ..g });
                    g.unwrap_or_else(|| implied("gamma", Val::Num(0.3)))
                };
                vec![
                    (num("w_dice", 0.8), vec![gamma("gamma_dice")]),
                    (num("w_ce", 0.2), vec![gamma("gamma_ce")]),
                ]
            }
            "nnunet_soft_dice" | "nnunet_dc_and_ce" => {
                let b = r.boolean("batch_dice").unwrap_or(false);
                let bg = r.boolean("do_bg").unwrap_or(true);
                let dice = vec![
                    implied("smooth", Val::Num(1e-5)),
                    implied("batch", Val::Bool(b)),
                    implied("include_background", Val::Bool(bg)),
                ];
                if def.name == "nnunet_soft_dice" {
                    vec![(1.0, dice)]
                } else {
                    vec![
                        (num("weight_dice", 1.0), dice),
                        (num("weight_ce", 1.0), vec![]),
                    ]
                }
            }
            "smp_dice" => vec![(1.0, vec![implied("batch", Val::Bool(true))])],
            "paper_soft_dice" => vec![(1.0, vec![implied("smooth", Val::Num(1.0))])],
            "paper_focal_tversky" => vec![(
                1.0,
                vec![
                    implied("alpha", Val::Num(0.3)),
                    implied("beta", Val::Num(0.7)),
                    implied("gamma", Val::Num(4.0 / 3.0)),
                    implied("smooth_nr", Val::Num(1.0)),
                    implied("smooth_dr", Val::Num(1.0)),
                ],
            )],
            "monai_focal" => vec![(
                1.0,
                vec![
                    r.given("gamma")
                        .cloned()
                        .unwrap_or_else(|| implied("gamma", Val::Num(2.0))),
                    implied("reduction", Val::Word("element_mean")),
                ],
            )],
            other => return Err(self.err(r.span, format!("internal: no expansion for `{other}`"))),
        };
        // Required own parameters (constructor arguments without a default).
        for p in def
            .params
            .iter()
            .filter(|p| p.default == ParamDefault::Required)
        {
            if r.given(p.name).is_none() {
                return Err(self.missing(def, p, r.span));
            }
        }
        let single = def.fields.len() == 1;
        for (i, (field, (w, implied_args))) in def.fields.iter().zip(plan).enumerate() {
            let replaced = r.members.iter().find(|(f, _)| *f == i).map(|(_, m)| m);
            let leaf_def = lookup_any(field.loss)
                .ok_or_else(|| self.err(r.span, "internal: unknown member"))?;
            let mut args: Vec<Given> = match replaced {
                // The member call replaces the default member; values the compound's own
                // parameters set explicitly still apply to it.
                Some(m) => {
                    let mut a = m.own.clone();
                    for g in implied_args.into_iter().filter(|g| g.span.is_some()) {
                        Self::put(self, &mut a, g)?;
                    }
                    a
                }
                None => implied_args,
            };
            for (_, g) in r.forwarded.iter().filter(|(f, _)| *f == i) {
                self.put(&mut args, g.clone())?;
            }
            let label = if single && def.family == Family::Preset {
                def.name.to_string()
            } else {
                format!("{}.{}", def.name, field.name)
            };
            let leaf = leaf_def
                .leaf
                .ok_or_else(|| self.err(r.span, "internal: nested compound"))?;
            out.push(LeafSpec {
                label,
                weight: weight * w,
                def: leaf_def,
                leaf,
                args,
                span: replaced.map_or(r.span, |m| m.span),
            });
        }
        Ok(())
    }

    /// Sets `g` in `args`: replaces an implied value, refuses a second explicit one.
    fn put(&self, args: &mut Vec<Given>, g: Given) -> Result<(), SpecError> {
        match args.iter_mut().find(|a| a.name == g.name) {
            Some(a) if a.span.is_some() && g.span.is_some() => {
                let span = g.span.unwrap_or((0, 0));
                Err(self.err(
                    span,
                    format!("`{}` is set twice for the same member", g.name),
                ))
            }
            Some(a) => {
                if g.span.is_some() || a.span.is_none() {
                    *a = g;
                }
                Ok(())
            }
            None => {
                args.push(g);
                Ok(())
            }
        }
    }

    fn missing(&self, def: &LossDef, p: &Param, span: Span) -> SpecError {
        let positional: Vec<&str> = def
            .params
            .iter()
            .filter(|p| p.positional)
            .map(|p| p.name)
            .collect();
        self.err(
            span,
            format!(
                "`{}` needs `{}` ({}): the Rust constructor has no default for it",
                def.name,
                p.name,
                describe_kind(p.kind)
            ),
        )
        .allowed(format!(
            "{}({}) or {}({}=...)",
            def.name,
            positional.join(", "),
            def.name,
            p.name
        ))
    }
}

/// Applies a region loss's own numeric setters and the aggregation options.
macro_rules! region_setters {
    ($base:expr, $args:expr, $($param:ident : $setter:ident),* $(,)?) => {{
        let args = &$args;
        let mut l = $base;
        $(
            if let Some(x) = args.num(stringify!($param)) {
                l = l.$setter(x);
            }
        )*
        if let Some(b) = args.boolean("include_background") {
            l = l.with_include_background(b);
        }
        if let Some(b) = args.boolean("batch") {
            l = l.with_batch(b);
        }
        if let Some(w) = args.list("weight") {
            l = l.with_weight(w);
        }
        if args.get("reduction").is_some() {
            l = l.with_reduction(args.reduction());
        }
        if args.get("empty").is_some() {
            l = l.with_empty(args.empty());
        }
        l
    }};
}

// ---------------------------------------------------------------------------------------
// Spec: parse, inspect, build
// ---------------------------------------------------------------------------------------

/// A parsed and checked loss specification.
#[derive(Clone, Debug)]
pub struct Spec {
    text: String,
    leaves: Vec<LeafSpec>,
    ignore_index: Option<i64>,
}

/// What building a loss may take from outside the spec.
#[derive(Clone, Copy, Debug)]
pub struct BuildContext<'a, T> {
    /// The DPCE penalty map `D`, shape `(B, spatial…)`.
    pub penalty: Option<&'a [T]>,
    /// The voxel spacing, one entry per spatial axis (distance-based losses; none of the
    /// current losses reads it).
    pub spacing: Option<&'a [f64]>,
}

impl<T> Default for BuildContext<'_, T> {
    fn default() -> Self {
        BuildContext {
            penalty: None,
            spacing: None,
        }
    }
}

impl Spec {
    /// Parses and checks `text` against the registry.
    pub fn parse(text: &str) -> Result<Spec, SpecError> {
        let toks = lex(text)?;
        let mut parser = Parser { text, toks, at: 0 };
        if parser.peek().0 == Tok::End {
            return Err(SpecError::new(text, (0, 0), "the spec is empty")
                .allowed("a loss name, e.g. `dice`, or a weighted sum `0.5*dice + 0.5*ce`"));
        }
        let terms = parser.spec()?;
        let mut resolver = Resolver { text, ignore: None };
        let mut leaves = Vec::new();
        for term in &terms {
            let r = resolver.call(&term.call)?;
            resolver.expand(&r, term.weight, &mut leaves)?;
        }
        // Every leaf needs its required constructor arguments (from its call or its compound).
        for leaf in &leaves {
            for p in leaf
                .def
                .params
                .iter()
                .filter(|p| p.default == ParamDefault::Required)
            {
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
        })
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

    /// True when some member needs the DPCE penalty map.
    pub fn needs_penalty(&self) -> bool {
        self.leaves.iter().any(|l| l.leaf == Leaf::Dpce)
    }

    /// Builds the fused loss; it borrows the spec's lists and the context's maps.
    pub fn build<'a, T: Real>(
        &'a self,
        ctx: &BuildContext<'a, T>,
    ) -> Result<Compound<'a, T>, SpecError> {
        let mut compound = Compound::new();
        for leaf in &self.leaves {
            let loss = self.build_leaf(leaf, ctx)?;
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
            _ => None,
        };
        // A region loss's `require` names the first parameter of its condition; find the
        // clause the given values actually break.
        let broken = match error {
            segloss::Error::Parameter { allowed, .. } => broken_clause(allowed, &leaf.args),
            _ => None,
        };
        let param = broken.as_ref().map(|(p, _)| *p).or(param);
        let span = param
            .and_then(|p| leaf.args.iter().find(|a| a.name == p))
            .and_then(|a| a.span)
            .unwrap_or(leaf.span);
        let note = broken.map_or(String::new(), |(_, clause)| format!(" (`{clause}` fails)"));
        SpecError::new(&self.text, span, format!("`{}`: {error}{note}", leaf.label))
    }

    fn build_leaf<'a, T: Real>(
        &'a self,
        leaf: &'a LeafSpec,
        ctx: &BuildContext<'a, T>,
    ) -> Result<AnyLoss<'a, T>, SpecError> {
        let args = Args { given: &leaf.args };
        let reduction = args.reduction();
        // Spacing is validated by the caller and reaches every builder here; no current loss
        // reads it (the distance-based losses will: `ctx.spacing`).
        let _ = ctx.spacing;
        Ok(match leaf.leaf {
            Leaf::Ce => {
                let mut l = CrossEntropy::new().with_reduction(reduction);
                if let Some(w) = args.list("weight") {
                    l = l.with_weight(w);
                }
                if let Some(e) = args.num("label_smoothing") {
                    l = l.with_label_smoothing(e);
                }
                AnyLoss::Ce(l)
            }
            Leaf::Wce => {
                let weights = match args.get("weight") {
                    Some(Val::List(w)) => ClassWeights::Given(w),
                    _ => ClassWeights::InverseFrequency,
                };
                AnyLoss::Wce(WeightedCrossEntropy::new(weights).with_reduction(reduction))
            }
            Leaf::TopK => {
                AnyLoss::TopK(TopK::new(args.num("k").unwrap_or(10.0)).with_reduction(reduction))
            }
            Leaf::TopKThreshold => AnyLoss::TopKThreshold(
                TopKThreshold::new(args.num("t").unwrap_or(f64::NAN)).with_reduction(reduction),
            ),
            Leaf::Focal => {
                let mut l = Focal::new(args.num("gamma").unwrap_or(2.0)).with_reduction(reduction);
                match args.get("alpha") {
                    Some(Val::Num(a)) => l = l.with_alpha(Alpha::Scalar(*a)),
                    Some(Val::List(a)) => l = l.with_alpha(Alpha::PerClass(a)),
                    _ => {}
                }
                AnyLoss::Focal(l)
            }
            Leaf::Dpce => {
                let Some(penalty) = ctx.penalty else {
                    return Err(SpecError::new(
                        &self.text,
                        leaf.span,
                        "`dpce` needs a distance penalty map: give it with --penalty PEN.npy (shape (B, spatial...))",
                    ));
                };
                AnyLoss::Dpce(Dpce::new(penalty).with_reduction(reduction))
            }
            Leaf::BalancedBce => AnyLoss::BalancedBce(
                BalancedBce::new(args.num("beta").unwrap_or(f64::NAN)).with_reduction(reduction),
            ),
            Leaf::ExpLogCe => {
                let mut l =
                    ExpLogCe::new(args.num("gamma").unwrap_or(f64::NAN)).with_reduction(reduction);
                if let Some(w) = args.list("weight") {
                    l = l.with_weight(w);
                }
                AnyLoss::ExpLogCe(l)
            }
            Leaf::Dice => {
                let mut l = region_setters!(Dice::new(), args, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr);
                if let Some(b) = args.boolean("squared_pred") {
                    l = l.with_squared_pred(b);
                }
                if let Some(b) = args.boolean("jaccard") {
                    l = l.with_jaccard(b);
                }
                if let Some(b) = args.boolean("log_dice") {
                    l = l.with_log_dice(b);
                }
                AnyLoss::Dice(l)
            }
            Leaf::Iou => AnyLoss::Iou(
                region_setters!(Iou::new(), args, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr),
            ),
            Leaf::Tversky => AnyLoss::Tversky(region_setters!(Tversky::new(), args,
                alpha: with_alpha, beta: with_beta, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr)),
            Leaf::FocalTversky => AnyLoss::FocalTversky(region_setters!(FocalTversky::new(), args,
                alpha: with_alpha, beta: with_beta, gamma: with_gamma, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr)),
            Leaf::FocalTverskyMean => {
                AnyLoss::FocalTverskyMean(region_setters!(FocalTverskyMean::new(), args,
                alpha: with_alpha, beta: with_beta, gamma: with_gamma, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr))
            }
            Leaf::Asym => AnyLoss::Asym(region_setters!(Asym::new(), args,
                beta: with_beta, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr)),
            Leaf::GDice => {
                let mut l = region_setters!(GeneralizedDice::new(), args, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr);
                match args.word("w_type") {
                    Some("simple") => l = l.with_w_type(GeneralizedDiceWType::Simple),
                    Some("uniform") => l = l.with_w_type(GeneralizedDiceWType::Uniform),
                    Some("square") => l = l.with_w_type(GeneralizedDiceWType::Square),
                    _ => {}
                }
                AnyLoss::GeneralizedDice(l)
            }
            Leaf::PgDice => {
                let mut l = region_setters!(PenaltyGeneralizedDice::new(), args,
                    smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr, k: with_k);
                match args.word("w_type") {
                    Some("simple") => l = l.with_w_type(PenaltyGeneralizedDiceWType::Simple),
                    Some("uniform") => l = l.with_w_type(PenaltyGeneralizedDiceWType::Uniform),
                    Some("square") => l = l.with_w_type(PenaltyGeneralizedDiceWType::Square),
                    _ => {}
                }
                AnyLoss::PenaltyGeneralizedDice(l)
            }
            Leaf::Ss => AnyLoss::SensitivitySpecificity(
                region_setters!(SensitivitySpecificity::new(), args,
                w: with_w, smooth_dr: with_smooth_dr),
            ),
            Leaf::Mcc => AnyLoss::Mcc(region_setters!(Mcc::new(), args, smooth_dr: with_smooth_dr)),
            Leaf::ExpLogDice => AnyLoss::ExpLogDice(region_setters!(ExpLogDice::new(), args,
                gamma: with_gamma, smooth_nr: with_smooth_nr, smooth_dr: with_smooth_dr)),
            Leaf::SoftDice => {
                AnyLoss::SoftDice(region_setters!(SoftDice::new(), args, smooth: with_smooth))
            }
            Leaf::SmpDice => {
                AnyLoss::SmpDice(region_setters!(SmpDice::new(), args, smooth: with_smooth))
            }
        })
    }
}

/// The first clause `name op number` of a condition `a && b && ...` that the given
/// arguments break, with the parameter it is about.
fn broken_clause(condition: &str, args: &[Given]) -> Option<(&'static str, String)> {
    for clause in condition.split("&&").map(str::trim) {
        let mut parts = clause.split_whitespace();
        let (Some(name), Some(op), Some(bound), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(bound) = bound.parse::<f64>() else {
            continue;
        };
        let Some(arg) = args.iter().find(|a| a.name == name && a.span.is_some()) else {
            continue;
        };
        let Val::Num(x) = arg.val else {
            continue;
        };
        let holds = match op {
            ">=" => x >= bound,
            ">" => x > bound,
            "<=" => x <= bound,
            "<" => x < bound,
            _ => true,
        };
        if !holds {
            return Some((arg.name, clause.to_string()));
        }
    }
    None
}

/// Read access to a leaf's parameters.
struct Args<'a> {
    given: &'a [Given],
}

impl<'a> Args<'a> {
    fn get(&self, name: &str) -> Option<&'a Val> {
        self.given.iter().find(|g| g.name == name).map(|g| &g.val)
    }

    fn num(&self, name: &str) -> Option<f64> {
        match self.get(name) {
            Some(Val::Num(x)) => Some(*x),
            _ => None,
        }
    }

    fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(Val::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    fn word(&self, name: &str) -> Option<&'static str> {
        match self.get(name) {
            Some(Val::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn list(&self, name: &str) -> Option<&'a [f64]> {
        match self.get(name) {
            Some(Val::List(v)) => Some(v),
            _ => None,
        }
    }

    fn reduction(&self) -> Reduction {
        match self.word("reduction") {
            Some("sum") => Reduction::Sum,
            Some("element_mean") => Reduction::ElementMean,
            _ => Reduction::Mean,
        }
    }

    fn empty(&self) -> EmptyClass {
        match self.word("empty") {
            Some("exclude") => EmptyClass::Exclude,
            _ => EmptyClass::Zero,
        }
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
            "  allowed: gamma=2, alpha (number|[list]), reduction=mean (mean|sum|element_mean), ignore_index (integer)"
        );
        let unknown = err("iuo").to_string();
        assert!(unknown.contains("allowed: ce, wce, topk"), "{unknown}");
    }

    #[test]
    fn registry_defaults_match_the_rust_api() {
        // The registry's printed defaults of region losses against the types' getters.
        let dice = Dice::new();
        let num = |name: &str, loss: &str| -> f64 {
            let def = lookup(loss).unwrap();
            match def.param(name).unwrap().default {
                ParamDefault::Value(v) => v.parse().unwrap(),
                _ => panic!("{loss}.{name} has no default"),
            }
        };
        assert_eq!(num("smooth_nr", "dice"), dice.smooth_nr());
        assert_eq!(num("smooth_dr", "dice"), dice.smooth_dr());
        let ft = FocalTversky::new();
        assert_eq!(num("gamma", "focal_tversky"), ft.gamma());
        assert_eq!(num("alpha", "focal_tversky"), ft.alpha());
        assert_eq!(num("beta", "asym"), Asym::new().beta());
        assert_eq!(num("k", "pgdice"), PenaltyGeneralizedDice::new().k());
        assert_eq!(num("w", "ss"), SensitivitySpecificity::new().w());
        assert_eq!(num("gamma", "exp_log_dice"), ExpLogDice::new().gamma());
        assert_eq!(num("smooth_dr", "mcc"), Mcc::new().smooth_dr());
        // Every listed loss has a signature and a Rust item.
        let listing = describe();
        for d in registry() {
            assert!(listing.contains(&signature(d, false)), "{}", d.name);
        }
    }
}
