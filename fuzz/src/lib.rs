//! The fuzz targets' checks live in checks.rs so that tests/fuzz_regressions.rs can replay reproducers
//! through exactly the same code without depending on this crate.
pub mod checks;
