//! Building: a flattened leaf and what the data brings (maps, spacing) → a run-time loss,
//! through the catalogue's [`Configure`](segloss::catalogue::Configure).

use super::error::SpecError;
use super::resolve::LeafSpec;
use crate::runtime::{build_leaf, AnyLoss};
use segloss::catalogue::{Kind, Param, ParamDefault, Value};
use segloss::Real;

/// What building a loss may take from outside the spec.
#[derive(Clone, Copy, Debug)]
pub struct BuildContext<'a, T> {
    /// The DPCE penalty map `D`, shape `(B, spatial…)`: every member's `Map` parameter.
    pub penalty: Option<&'a [T]>,
    /// The voxel spacing, one entry per spatial axis: the `spacing` of every member that
    /// takes one and was not given one in the spec.
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

/// True for the parameter [`BuildContext::penalty`] fills: a required per-pixel map (other
/// maps, such as precomputed boundary maps, are for the Rust API).
pub(super) fn is_penalty(p: &Param) -> bool {
    p.kind == Kind::Map && p.default == ParamDefault::Required
}

/// Builds `leaf` of the spec `text`: its arguments, the context's maps and spacing.
pub(super) fn leaf<'a, T: Real>(
    text: &str,
    leaf: &'a LeafSpec,
    ctx: &BuildContext<'a, T>,
) -> Result<AnyLoss<'a, T>, SpecError> {
    let mut given: Vec<(&str, Value<'a, T>)> =
        leaf.args.iter().map(|g| (g.name, g.val.value())).collect();
    for p in leaf.def.params.iter().filter(|p| is_penalty(p)) {
        let Some(map) = ctx.penalty else {
            return Err(SpecError::new(
                text,
                leaf.span,
                format!(
                    "`{}` needs a distance penalty map: give it with --{} PEN.npy (shape (B, spatial...))",
                    leaf.def.name, p.name
                ),
            ));
        };
        given.push((p.name, Value::Map(map)));
    }
    let takes_spacing = leaf.def.param("spacing").is_some();
    if let (true, Some(spacing)) = (takes_spacing, ctx.spacing) {
        match leaf.args.iter().find(|a| a.name == "spacing") {
            Some(own) if own.val.value::<T>() != Value::List(spacing) => {
                return Err(SpecError::new(
                    text,
                    own.span.unwrap_or(leaf.span),
                    format!(
                        "`{}`: spacing={:?} conflicts with the data's spacing {spacing:?} (--spacing)",
                        leaf.label,
                        own.val
                    ),
                ));
            }
            Some(_) => {}
            None => given.push(("spacing", Value::List(spacing))),
        }
    }
    let built = build_leaf(leaf.def.name, &given).ok_or_else(|| {
        SpecError::new(
            text,
            leaf.span,
            format!("internal: `{}` is not a run-time leaf", leaf.def.name),
        )
    })?;
    built.map_err(|e| SpecError::new(text, leaf.span, format!("`{}`: {e}", leaf.label)))
}
