//! Compile-fail tests: each rejected combination has its own file and the
//! compiler message the user sees, committed next to it (`*.stderr`).
//! Regenerate after an intended change with `TRYBUILD=overwrite`.

#[test]
fn markers_reject_what_cannot_be_honored() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/markers/*.rs");
}

#[test]
fn runtime_builders_offer_optimized_only_where_honored() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/runtime/*.rs");
    t.pass("tests/ui/runtime_ok/*.rs");
}

#[test]
fn agent_builders_offer_optimized_only_where_honored() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/agent/*.rs");
}
