//! `segloss losses --resolve SPEC`: a spec flattened into the leaves it sums, as JSON, for
//! tools that build the same loss elsewhere (the Cortex-M golden cases of `docs/edge.md`).

use super::json::{json_num, json_str};
use super::{CliError, Result};
use crate::spec::Spec;
use segloss::catalogue::Value;

/// The JSON of `text`'s leaves: label, catalogue name, weight and the parameters the spec
/// gives (the defaults of the others are the loss's own).
pub fn resolve(text: &str) -> Result<String> {
    let spec = Spec::parse(text).map_err(CliError::Spec)?;
    let mut members = Vec::new();
    for (index, info) in spec.members().iter().enumerate() {
        let Some((def, given)) = spec.member_params::<f64>(index) else {
            continue;
        };
        let params: Vec<String> = given
            .iter()
            .map(|(name, value)| format!("{}: {}", json_str(name), value_json(value)))
            .collect();
        members.push(format!(
            "    {{\"label\": {}, \"loss\": {}, \"weight\": {}, \"params\": {{{}}}}}",
            json_str(&info.label),
            json_str(def.name),
            json_num(info.weight),
            params.join(", ")
        ));
    }
    Ok(format!(
        "{{\n  \"spec\": {},\n  \"members\": [\n{}\n  ]\n}}\n",
        json_str(spec.text()),
        members.join(",\n")
    ))
}

/// A parameter value as JSON: number, boolean, string or array (a map is given with the
/// data, never in a spec, and prints as null).
fn value_json(value: &Value<'_, f64>) -> String {
    match value {
        Value::Number(x) => json_num(*x),
        Value::Bool(b) => b.to_string(),
        Value::Word(w) => json_str(w),
        Value::List(xs) => {
            let parts: Vec<String> = xs.iter().map(|x| json_num(*x)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(_) => "null".into(),
    }
}
