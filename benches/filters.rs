//! Throughput of the checksum codecs, base64 and the numeric filters (delta, fixedscaleoffset, quantize,
//! astype) on a 4 MiB buffer of float32, next to memcpy of the same buffer.
//! Run: `cargo bench --bench filters` (release build). The same table from the Python reference:
//! `python benches/numcodecs_filters_reference.py` in a venv with numcodecs 0.16.6.
//! Issue 3's target: at least 3x numcodecs and at least half of memcpy.

use std::time::Duration;

use numcodecs::codecs::{codec_from_json, ArrayInfo, DType};

mod common;

use common::{best_time, datasets, mb_per_s, N_BYTES};

pub const CONFIGS: &[&str] = &[
    r#"{"id":"crc32"}"#,
    r#"{"id":"crc32","location":"end"}"#,
    r#"{"id":"adler32"}"#,
    r#"{"id":"crc32c"}"#,
    r#"{"id":"fletcher32"}"#,
    r#"{"id":"jenkins_lookup3"}"#,
    r#"{"id":"base64"}"#,
    r#"{"id":"delta","dtype":"<i4"}"#,
    r#"{"id":"delta","dtype":"<f4"}"#,
    r#"{"id":"fixedscaleoffset","offset":0,"scale":2,"dtype":"<f4","astype":"<i2"}"#,
    r#"{"id":"fixedscaleoffset","offset":1.5,"scale":1000,"dtype":"<f4","astype":"<i4"}"#,
    r#"{"id":"quantize","digits":3,"dtype":"<f4"}"#,
    r#"{"id":"quantize","digits":3,"dtype":"<f4","astype":"<f2"}"#,
    r#"{"id":"astype","encode_dtype":"<f2","decode_dtype":"<f4"}"#,
    r#"{"id":"astype","encode_dtype":"<f8","decode_dtype":"<f4"}"#,
    r#"{"id":"astype","encode_dtype":">f4","decode_dtype":"<f4"}"#,
    r#"{"id":"astype","encode_dtype":"<i2","decode_dtype":"<f4"}"#,
];

/// Configs whose decode does not give the input back (numcodecs' lossy filters and narrowing casts).
fn lossy(config: &str) -> bool {
    ["fixedscaleoffset", "quantize", "<i2\"", "<f2\""].iter().any(|marker| config.contains(marker)) && !config.contains("\"delta\"")
}

/// benches/compressors.rs' "f4-smooth" dataset (checksums do not care about the content; the numeric
/// filters' speed hardly does).
fn dataset() -> Vec<u8> {
    datasets().swap_remove(0).2
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let min_time = Duration::from_millis(300);
    let data = dataset();
    let info = ArrayInfo::new(DType::parse("<f4").unwrap(), None);
    println!("libnumcodecs {} (Rust core, 1 thread), {} MiB of float32", env!("CARGO_PKG_VERSION"), N_BYTES >> 20);
    println!("{:<40} {:>10} {:>10} {:>12} {:>12}", "config", "enc MB/s", "dec MB/s", "enc/memcpy", "dec/memcpy");
    let mut copy = vec![0u8; data.len()];
    let memcpy = mb_per_s(data.len(), best_time(min_time, || copy.copy_from_slice(std::hint::black_box(&data))));
    println!("{:<40} {:>10.0} {:>10}", "memcpy", memcpy, "");
    for config in CONFIGS {
        if filter.as_deref().is_some_and(|f| !config.contains(f)) {
            continue;
        }
        let codec = codec_from_json(config).unwrap();
        let mut encoded = vec![0u8; codec.encode_bound(data.len(), &info).unwrap()];
        let mut encoded_len = 0;
        let enc = mb_per_s(data.len(), best_time(min_time, || encoded_len = codec.encode_into(&data, &info, &mut encoded).unwrap()));
        let encoded = &encoded[..encoded_len];
        let mut decoded = vec![0u8; data.len()];
        let dec = mb_per_s(data.len(), best_time(min_time, || {
            codec.decode_into(encoded, &mut decoded).unwrap();
        }));
        // assert! rather than assert_eq!: a failure should not print 4 MiB.
        if lossy(config) {
            assert!(decoded == codec.decode(encoded).unwrap(), "{config}: decode_into and decode disagree");
        } else {
            assert!(decoded == data, "{config}: the round trip changed the data");
        }
        println!("{:<40} {:>10.0} {:>10.0} {:>12.2} {:>12.2}", config, enc, dec, enc / memcpy, dec / memcpy);
    }
}
