//! The catalogue is the one list of losses (libm's `check_coverage` is the model): every
//! loss type the core defines has a catalogue entry, and every entry has a golden case, a
//! finite-difference check, a fuzz visit and a no-std canary entry.
//!
//! The loss types are read from the core's source (the `region_loss!` declarations, the
//! `elementwise_loss!` ones, the hand-written `impl Loss` and the `#[derive(Loss)]`
//! structs), so a loss added without its catalogue line fails here by name.

use segloss::catalogue::{Descriptor, CATALOGUE};
use segloss_tests::golden::covered_losses;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
        .to_path_buf()
}

fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            out.push((path, text));
        }
    }
}

fn ident_after(text: &str, at: usize) -> String {
    text[at..]
        .chars()
        .skip_while(|c| c.is_whitespace())
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The loss types the core's source defines: `(type, file)`.
fn core_loss_types() -> Vec<(String, String)> {
    let mut files = Vec::new();
    sources(&repo().join("core/src"), &mut files);
    let mut out = Vec::new();
    for (path, text) in &files {
        let file = path
            .strip_prefix(repo())
            .unwrap_or(path)
            .display()
            .to_string();
        let mut found = |name: String| {
            if !name.is_empty() {
                out.push((name, file.clone()));
            }
        };
        // region_loss! { ... pub struct Name { ... } } (not in doc examples)
        let in_comment = |at: usize| {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            text[line_start..at].trim_start().starts_with("//")
        };
        for (at, _) in text
            .match_indices("region_loss! {")
            .filter(|(at, _)| !in_comment(*at))
        {
            if let Some(s) = text[at..].find("pub struct ") {
                found(ident_after(text, at + s + "pub struct ".len()));
            }
        }
        // elementwise_loss!(Name, ...)
        for (at, _) in text.match_indices("\nelementwise_loss!(") {
            found(ident_after(text, at + "\nelementwise_loss!(".len()));
        }
        // impl<T: Real> Loss<T> for Name (loss modules only: the engine has wrappers)
        if file.contains("/losses/") || file.ends_with("presets.rs") {
            for (at, _) in text.match_indices(" Loss<T> for ") {
                found(ident_after(text, at + " Loss<T> for ".len()));
            }
        }
        // #[derive(..., Loss)] pub struct Name
        for (at, _) in text.match_indices(", Loss)]\npub struct ") {
            found(ident_after(text, at + ", Loss)]\npub struct ".len()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// True when descriptor `d` describes the Rust type `name`.
fn describes(d: &Descriptor, name: &str) -> bool {
    d.rust
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == name)
}

#[test]
fn every_loss_type_of_the_core_has_a_catalogue_entry() {
    let types = core_loss_types();
    assert!(types.len() >= 30, "found only {types:?}");
    let missing: Vec<String> = types
        .iter()
        .filter(|(name, _)| !CATALOGUE.iter().any(|d| describes(d, name)))
        .map(|(name, file)| format!("{name} ({file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "loss types without a catalogue entry (add them to `with_catalogue!` in core/src/losses/mod.rs): {missing:?}"
    );
}

#[test]
fn every_catalogue_entry_has_a_golden_case() {
    let covered = covered_losses(&["distribution.json", "region.json", "boundary.json"]);
    let missing: Vec<&str> = CATALOGUE
        .iter()
        .map(|d| d.name)
        .filter(|n| !covered.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "catalogue entries with no golden case (add one to scripts/golden/gen_*.py and regenerate): {missing:?}"
    );
}

/// `needle` occurs in the repository file `path`.
fn mentions(path: &str, needle: &str) -> bool {
    let text = std::fs::read_to_string(repo().join(path)).unwrap_or_default();
    text.contains(needle)
}

#[test]
fn every_catalogue_entry_is_checked_fuzzed_and_built_without_std() {
    // The finite-difference test walks the catalogue and fails for an entry it missed.
    assert!(mentions("tests/tests/gradcheck.rs", "CATALOGUE"));
    assert!(mentions("tests/src/losses.rs", "catalogue::CATALOGUE"));
    // The fuzz targets: every leaf through its descriptor, every name through specs.
    assert!(mentions(
        "fuzz/src/lib.rs",
        "segloss::with_catalogue!(leaf_visitor)"
    ));
    assert!(mentions("fuzz/fuzz_targets/typed_losses.rs", "visit_leaf("));
    assert!(mentions("fuzz/src/lib.rs", "registry().collect()"));
    // The no-std canary builds every leaf of the list.
    assert!(mentions(
        "canaries/no-std/src/lib.rs",
        "segloss::with_catalogue!("
    ));
    assert!(mentions("canaries/no-std/check.sh", "catalogue"));
}

#[test]
fn compounds_members_and_settings_name_parameters_their_losses_take() {
    for d in CATALOGUE.iter() {
        for m in d.members {
            let member = segloss::catalogue::find_exact(m.loss)
                .unwrap_or_else(|| panic!("{}.{}: no loss `{}`", d.name, m.field, m.loss));
            assert!(
                member.is_leaf(),
                "{}.{}: {} is no leaf",
                d.name,
                m.field,
                m.loss
            );
            for s in m.settings {
                let (name, compound) = match *s {
                    segloss::catalogue::Setting::Fixed(name, _) => (name, None),
                    segloss::catalogue::Setting::Renamed { member, compound } => {
                        (member, Some(compound))
                    }
                };
                assert!(
                    member.param(name).is_some(),
                    "{}.{}: `{name}` is no parameter of {}",
                    d.name,
                    m.field,
                    member.name
                );
                if let Some(c) = compound {
                    assert!(d.param(c).is_some(), "{}: no parameter `{c}`", d.name);
                }
            }
        }
        for alias in d.aliases {
            let others = CATALOGUE.iter().filter(|o| o.answers_to(alias)).count();
            assert_eq!(others, 1, "alias `{alias}` of {} is ambiguous", d.name);
        }
    }
}

#[test]
fn the_readme_lists_every_loss_of_the_catalogue_and_no_other() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let start = readme.find("\n## Losses\n").expect("a `## Losses` section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let listed: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("- ") || l.starts_with("  `"))
        .flat_map(|l| l.split('`').skip(1).step_by(2))
        .collect();
    let visible: Vec<&str> = CATALOGUE
        .iter()
        .filter(|d| !d.hidden)
        .map(|d| d.name)
        .collect();
    let missing: Vec<&&str> = visible.iter().filter(|n| !listed.contains(n)).collect();
    let unknown: Vec<&&str> = listed.iter().filter(|n| !visible.contains(n)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README.md's `## Losses` list: missing {missing:?}, not in the catalogue {unknown:?}"
    );
}
