//! The spec parser alone, on arbitrary text (half of the inputs are specs generated from
//! the registry so the fuzzer starts from deep, well-formed calls).
//!
//! Oracles: no panic; an error has a span inside the text, a column within it, and
//! displays; an accepted spec re-parses from its own text to the same members.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segloss_fuzz::{specgen, Bytes};
use segloss_std::spec::Spec;

fuzz_target!(|data: &[u8]| {
    let text = match data.split_first() {
        Some((&b, rest)) if b & 1 == 1 => specgen::spec(&mut Bytes(rest)),
        _ => String::from_utf8_lossy(data).into_owned(),
    };
    match Spec::parse(&text) {
        Ok(spec) => {
            let members = spec.members();
            assert!(!members.is_empty() && members.len() <= 8);
            let again = Spec::parse(spec.text()).expect("an accepted spec re-parses");
            assert_eq!(format!("{:?}", again.members()), format!("{members:?}"));
            let _ = (spec.needs_penalty(), spec.ignore_index());
        }
        Err(e) => {
            assert!(
                e.span.0 <= e.span.1 && e.span.1 <= text.len(),
                "span {:?}",
                e.span
            );
            assert!(e.column() <= text.chars().count() + 1);
            let shown = e.to_string();
            assert!(!shown.is_empty());
        }
    }
});
