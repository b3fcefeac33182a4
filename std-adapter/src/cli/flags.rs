//! Command-line flags: `--name value` pairs, and the values shared by the commands
//! (activation, threads, spacing, number lists).

use super::{usage, CliError, Result};
use segloss::Activation;

/// `--name value` or `--name=value` pairs, each known and given once.
pub(super) struct Flags {
    values: Vec<(&'static str, String)>,
    command: &'static str,
}

impl Flags {
    pub(super) fn parse(
        args: &[String],
        known: &[&'static str],
        command: &'static str,
    ) -> Result<Flags> {
        let mut values: Vec<(&'static str, String)> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            let Some(body) = a.strip_prefix("--") else {
                return usage(format!(
                    "unexpected argument `{a}` (flags start with --; see `segloss help {command}`)"
                ));
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(&flag) = known.iter().find(|k| **k == name) else {
                let close = known
                    .iter()
                    .find(|k| {
                        k.starts_with(name)
                            || name.starts_with(**k)
                            || k.replace('-', "_") == name.replace('-', "_")
                    })
                    .map(|k| format!(" (did you mean --{k}?)"))
                    .unwrap_or_default();
                let list: Vec<String> = known.iter().map(|k| format!("--{k}")).collect();
                return usage(format!(
                    "unknown flag `--{name}` for `segloss {command}`{close}; allowed: {}",
                    list.join(", ")
                ));
            };
            let value = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    match args.get(i) {
                        Some(v) => v.clone(),
                        None => return usage(format!("--{flag} needs a value")),
                    }
                }
            };
            if values.iter().any(|(k, _)| *k == flag) {
                return usage(format!("--{flag} is given twice"));
            }
            values.push((flag, value));
            i += 1;
        }
        Ok(Flags { values, command })
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn required(&self, name: &str) -> Result<&str> {
        self.get(name).ok_or_else(|| {
            CliError::Usage(format!(
                "--{name} is required (see `segloss help {}`)",
                self.command
            ))
        })
    }
}

pub(super) fn parse_activation(text: Option<&str>, classes: usize) -> Result<Activation> {
    Ok(match text {
        None if classes == 1 => Activation::Sigmoid,
        None | Some("softmax") => Activation::Softmax,
        Some("sigmoid") => Activation::Sigmoid,
        Some("none" | "identity") => Activation::Identity,
        Some(other) => {
            return usage(format!(
                "--activation `{other}` is not one of softmax, sigmoid, none"
            ))
        }
    })
}

pub(super) fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Softmax => "softmax",
        Activation::Sigmoid => "sigmoid",
        Activation::Identity => "none",
    }
}

pub(super) fn parse_threads(text: Option<&str>) -> Result<usize> {
    match text {
        None => Ok(1),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=4096).contains(&n) => Ok(n),
            _ => usage(format!(
                "--threads `{t}` is not a thread count (an integer from 1 to 4096)"
            )),
        },
    }
}

/// `--iters`: a positive integer (default 10).
pub(super) fn parse_iters(text: Option<&str>) -> Result<usize> {
    match text {
        None => Ok(10),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => usage(format!("--iters `{t}` is not a positive integer")),
        },
    }
}

/// `--spacing`: comma-separated positive finite numbers.
pub(super) fn parse_spacing(text: &str) -> Result<Vec<f64>> {
    let s: Vec<f64> = parse_list("spacing", text)?;
    if let Some(bad) = s.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        return usage(format!(
            "--spacing `{text}`: {bad} is not a positive finite spacing"
        ));
    }
    Ok(s)
}

pub(super) fn parse_list<X: std::str::FromStr>(flag: &str, text: &str) -> Result<Vec<X>> {
    text.split(',')
        .map(|p| {
            p.trim().parse::<X>().map_err(|_| {
                CliError::Usage(format!(
                    "--{flag} `{text}`: `{}` is not a valid number",
                    p.trim()
                ))
            })
        })
        .collect()
}
