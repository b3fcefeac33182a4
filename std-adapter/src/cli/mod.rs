//! The `segloss` command: evaluate a loss and its gradient on `.npy` files, list the losses,
//! and time a loss against the machine's read bandwidth.
//!
//! [`run`] is the whole program (the binary only forwards its arguments and exit code), so
//! it is testable in-process. Exit codes: 0 success, 1 bad input data (files, shapes, values),
//! 2 bad usage (arguments, loss spec). Every error is one line on stderr, except spec
//! errors, which add the spec with a caret under the mistake and what is allowed there.

mod bench;
mod distmap;
mod eval;
mod files;
mod flags;
pub mod json;
mod resolve;

use crate::spec::SpecError;
use flags::Flags;
use std::io::Write;

/// A failure of the command, with its exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments (exit code 2).
    Usage(String),
    /// A bad loss spec (exit code 2).
    Spec(SpecError),
    /// Bad input data or an I/O failure (exit code 1).
    Input(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Spec(_) => 2,
            CliError::Input(_) => 1,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "segloss: {m}"),
            CliError::Spec(e) => write!(f, "segloss: error in --loss {e}"),
            CliError::Input(m) => write!(f, "segloss: {m}"),
        }
    }
}

pub(super) type Result<T> = std::result::Result<T, CliError>;

pub(super) fn usage<T>(msg: impl Into<String>) -> Result<T> {
    Err(CliError::Usage(msg.into()))
}

pub(super) fn input_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(CliError::Input(msg.into()))
}

const MAIN_HELP: &str = "\
segloss: segmentation losses and their gradients on .npy files

Usage:
  segloss eval --input PRED.npy --target TARGET.npy --loss SPEC [options]
  segloss distmap --target TARGET.npy --out OUT.npy [--kind edt|signed] [--spacing ...]
  segloss bench loss --loss SPEC --shape B,C,S... [options]
  segloss bench edt --input MASK.npy [--spacing ...] [--iters K]
  segloss losses [--verbose]  list every loss, its parameters and defaults (with
                            --verbose, what each is and its parameters' docs)
  segloss losses --resolve SPEC
                            the leaves SPEC sums, their weights and parameters (JSON)
  segloss help [eval|distmap|bench|losses]

Exit codes: 0 success, 1 bad input data, 2 bad usage or loss spec.
";

/// Runs the command with `args` (without the program name); returns the exit code.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match dispatch(args, out) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            e.code()
        }
    }
}

fn dispatch(args: &[String], out: &mut dyn Write) -> Result<()> {
    let print = |out: &mut dyn Write, text: &str| {
        out.write_all(text.as_bytes())
            .map_err(|e| CliError::Input(format!("cannot write to stdout: {e}")))
    };
    match args.first().map(String::as_str) {
        None | Some("help" | "-h" | "--help") => match args.get(1).map(String::as_str) {
            Some("eval") => print(out, &eval::eval_help()),
            Some("bench") => print(out, bench::BENCH_HELP),
            Some("distmap") => print(out, distmap::DISTMAP_HELP),
            Some("losses") => print(out, &crate::spec::describe(false)),
            _ => print(out, MAIN_HELP),
        },
        Some("-V" | "--version") => print(out, &format!("segloss {}\n", env!("CARGO_PKG_VERSION"))),
        Some("losses") => match args.get(1).map(String::as_str) {
            None => print(out, &crate::spec::describe(false)),
            Some("--verbose" | "-v") => print(out, &crate::spec::describe(true)),
            Some("--resolve") => match args.get(2) {
                Some(text) => print(out, &resolve::resolve(text)?),
                None => usage("--resolve needs a loss spec"),
            },
            Some(other) => usage(format!(
                "unexpected argument `{other}` for `segloss losses` (only --verbose or --resolve SPEC)"
            )),
        },
        Some("eval") => {
            let rest = &args[1..];
            if wants_help(rest) {
                return print(out, &eval::eval_help());
            }
            eval::eval(&Flags::parse(rest, eval::EVAL_FLAGS, "eval")?, out)
        }
        Some("distmap") => {
            let rest = &args[1..];
            if wants_help(rest) {
                return print(out, distmap::DISTMAP_HELP);
            }
            distmap::distmap(&Flags::parse(rest, distmap::DISTMAP_FLAGS, "distmap")?, out)
        }
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("edt") => {
                let rest = &args[2..];
                if wants_help(rest) {
                    return print(out, bench::BENCH_HELP);
                }
                distmap::bench_edt(
                    &Flags::parse(rest, distmap::BENCH_EDT_FLAGS, "bench edt")?,
                    out,
                )
            }
            Some("loss") => {
                let rest = &args[2..];
                if wants_help(rest) {
                    return print(out, bench::BENCH_HELP);
                }
                bench::bench_loss(&Flags::parse(rest, bench::BENCH_FLAGS, "bench loss")?, out)
            }
            Some("-h" | "--help") | None => print(out, bench::BENCH_HELP),
            Some(other) => usage(format!(
                "unknown bench target `{other}`; available: loss, edt (see `segloss help bench`)"
            )),
        },
        Some(other) => usage(format!(
            "unknown command `{other}`; available: eval, distmap, bench, losses, help"
        )),
    }
}

fn wants_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "-h" || a == "--help")
}
