//! The compile errors a user meets for a session type that lacks what a
//! view needs, exactly as the compiler prints them (`tests/ui/*.stderr`):
//! they name the missing `Default` or `Deserialize`, where the type is used.
//! Refresh them after a compiler upgrade with `TRYBUILD=overwrite cargo test
//! --test compile_errors`, and read the diff.

#[test]
fn session_types_missing_a_trait_are_named() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
