//! `#[derive(Reset)]` refuses what it cannot do with a clear message at the
//! right place: each `tests/ui/*.rs` must fail to compile with the error in
//! the `.stderr` file beside it.

#[test]
fn misuse_is_a_clear_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
