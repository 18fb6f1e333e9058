//! The committed C header must be exactly what cbindgen 0.29.4 generates from the current sources, and
//! its version macros must match Cargo.toml. Run with NUMCODECS_BLESS=1 to rewrite the header.

use std::path::Path;

fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn committed_header_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/numcodecs.h");
    let generated = generate();
    if std::env::var_os("NUMCODECS_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).expect("include/numcodecs.h exists");
    assert!(
        committed == generated,
        "include/numcodecs.h is stale: run scripts/regen-header.sh (or NUMCODECS_BLESS=1 cargo test --test header) and commit it"
    );
}

#[test]
fn header_versions_match_cargo() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/numcodecs.h")).unwrap();
    let expect = [
        format!("#define NUMCODECS_VERSION_MAJOR {}", env!("CARGO_PKG_VERSION_MAJOR")),
        format!("#define NUMCODECS_VERSION_MINOR {}", env!("CARGO_PKG_VERSION_MINOR")),
        format!("#define NUMCODECS_VERSION_PATCH {}", env!("CARGO_PKG_VERSION_PATCH")),
        format!("#define NUMCODECS_VERSION_STRING \"{}\"", env!("CARGO_PKG_VERSION")),
    ];
    for line in expect {
        assert!(header.contains(&line), "header lacks `{line}`: update src/ffi/mod.rs and cbindgen.toml with Cargo.toml's version");
    }
}

#[test]
fn every_exported_function_is_documented() {
    let header = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/numcodecs.h")).unwrap();
    let lines: Vec<&str> = header.lines().collect();
    let mut functions = 0;
    for (i, line) in lines.iter().enumerate() {
        let is_decl = line.contains("numcodecs_") && line.contains('(') && !line.starts_with([' ', '#', '*', '/']);
        if is_decl {
            functions += 1;
            let prev = lines[..i].iter().rev().find(|l| !l.trim().is_empty()).unwrap();
            assert!(prev.trim_start().starts_with("*/"), "{line} has no doc comment");
            let doc_start = lines[..i].iter().rposition(|l| l.trim_start().starts_with("/**")).unwrap();
            let doc = lines[doc_start..i].join("\n");
            assert!(doc.contains("Thread safety"), "{line}: its doc comment does not state thread safety");
        }
    }
    assert!(functions >= 14, "only {functions} functions found in the header");
}
