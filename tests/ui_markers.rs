//! Compile-fail tests for the typed-model markers: each rejected combination
//! has its own file and the compiler message the user sees, committed.

#[test]
fn markers_reject_what_cannot_be_honored() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/markers/*.rs");
}
