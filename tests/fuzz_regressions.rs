//! Replays the inputs the fuzz targets (fuzz/, scripts/fuzz.sh) found interesting through exactly the
//! checks the targets run (fuzz/src/checks.rs, included here), so they stay fixed in the normal suite
//! without nightly or cargo-fuzz. Each file in tests/fuzz_regressions/<target>/ is one raw fuzzer input
//! for that target; its name says what it found.

#[allow(dead_code)]
#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::PathBuf;

/// Runs every file of tests/fuzz_regressions/<target>/ through `check`; fails if there are none (so a
/// renamed directory cannot turn the test into one that passes without checking anything).
fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no reproducers in {}", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        eprintln!("replaying {}", file.display());
        check(&data);
    }
}

#[test]
fn decode_reproducers() {
    replay("decode", checks::decode);
}

#[test]
fn roundtrip_reproducers() {
    replay("roundtrip", checks::roundtrip);
}

#[test]
fn config_reproducers() {
    replay("config", checks::config);
}

#[test]
fn blosc_helpers_reproducers() {
    replay("blosc_helpers", checks::blosc_helpers);
}

#[test]
fn items_reproducers() {
    replay("items", checks::items);
}

/// fuzz/ config found that a float written with many digits was parsed one ULP off (serde_json without
/// `float_roundtrip`), so the printed configuration differed from numcodecs' (the expected string is what
/// numcodecs 0.16.6 prints for this input) and changed again when read back.
#[test]
fn long_float_in_a_config_is_parsed_correctly_rounded() {
    let json = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_regressions/config/long-float-parsed-one-ulp-off")).unwrap();
    let codec = checks::Handle::from_json(&json).unwrap_or_else(|status| panic!("{status:?}: {}", checks::last_error()));
    assert_eq!(codec.config(), r#"{"id":"zstd","level":-0.444444444444444,"checksum":false}"#);
}
