//! The registry a spec reads: the core's catalogue ([`segloss::catalogue`]) as `segloss
//! losses` lists it, with each loss's signature.

use segloss::catalogue::{self, Descriptor, Family, Kind, Param, ParamDefault, IGNORE_INDEX};

/// The losses a spec can name (hidden preset formulas left out), in the order `segloss
/// losses` lists them.
pub fn registry() -> impl Iterator<Item = &'static Descriptor> {
    catalogue::CATALOGUE.iter().copied().filter(|d| !d.hidden)
}

/// A parameter as a signature shows it: `name=default`, `name (kind)` when unset,
/// `name (required: kind)`.
pub fn describe_param(p: &Param) -> String {
    let short = match p.kind {
        Kind::Number => "number".to_string(),
        Kind::Integer => "integer".to_string(),
        Kind::Bool => "true|false".to_string(),
        Kind::Choice(c) => c.join("|"),
        Kind::List => "[list]".to_string(),
        Kind::NumberOrList => "number|[list]".to_string(),
        Kind::ListOr(c) => format!("[list]|{}", c.join("|")),
        Kind::Map => "map, given with the data".to_string(),
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

/// True for the aggregation options every region loss shares (listed once, in the heading).
fn shared_aggregation(p: &Param) -> bool {
    segloss::region::aggregation_params::ALL.contains(p)
}

/// A one-line signature of a loss: `name(param=default, ..., member=loss(..))`, without the
/// aggregation options every region loss shares.
pub fn signature(def: &Descriptor) -> String {
    let own = def
        .params
        .iter()
        .filter(|p| !(def.is_region() && shared_aggregation(p)));
    let mut parts: Vec<String> = own.map(describe_param).collect();
    if def.family == Family::Compound {
        parts.extend(
            def.members
                .iter()
                .map(|m| format!("{}={}(..)", m.field, m.loss)),
        );
    }
    format!("{}({})", def.name, parts.join(", "))
}

/// The families in the order `segloss losses` lists them, with their headings.
pub const SECTIONS: [(Family, &str); 5] = [
    (Family::Distribution, "Distribution losses"),
    (
        Family::Region,
        "Region losses (also: include_background, batch, weight, reduction, empty)",
    ),
    (
        Family::Boundary,
        "Boundary losses (distance maps with the voxel spacing)",
    ),
    (
        Family::Compound,
        "Compounds (members by field name, or any parameter of exactly one member)",
    ),
    (Family::Preset, "Presets (other libraries' conventions)"),
];

/// The listing `segloss losses` prints: per family, each loss's signature, its Rust item
/// and aliases, and (with `verbose`) its summary and each parameter's doc.
pub fn describe(verbose: bool) -> String {
    let mut out = String::new();
    for (family, title) in SECTIONS {
        out.push_str(title);
        out.push_str(":\n");
        let of_family = |d: &&Descriptor| {
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
                signature(d),
                d.rust
            ));
            if verbose {
                out.push_str(&format!("      {}\n", d.summary));
                for p in d.params {
                    out.push_str(&format!("        {}: {}\n", p.name, p.doc));
                }
                for r in d.requires {
                    out.push_str(&format!("        requires {r}\n"));
                }
            }
        }
    }
    out.push_str(&format!(
        "Every call also takes {} (applied to the target, shared by all members).\n",
        describe_param(&IGNORE_INDEX).replace(" (integer)", "=I")
    ));
    out
}
