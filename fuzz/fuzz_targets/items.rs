#![no_main]
//! See fuzz/src/checks.rs for the input layout and the properties checked.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| numcodecs_fuzz::checks::items(data));
