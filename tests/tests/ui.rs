//! Malformed `region_loss!` specs and `#[derive(Loss)]` structs fail to compile with a
//! message on the offending token (snapshots in tests/ui/*.stderr; refresh them with
//! `TRYBUILD=overwrite cargo test -p segloss-tests --test ui` and review the diff).

#[test]
fn malformed_specs_are_spanned_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
