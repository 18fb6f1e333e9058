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
