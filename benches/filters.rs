//! Throughput of the checksum codecs, base64, the bit filters (bitround, packbits, shuffle) and the
//! numeric filters (delta, fixedscaleoffset, quantize, astype) on a 4 MiB buffer, next to memcpy of the
//! same buffer.
//! Run: `cargo bench --bench filters` (release build). The same table from the Python reference:
//! `python benches/numcodecs_filters_reference.py` in a venv with numcodecs 0.16.6.
//! Issue 3's target for these codecs: at least 3x numcodecs and at least half of memcpy.

use std::time::Duration;

use numcodecs::codecs::{codec_from_json, ArrayInfo, DType};

mod common;

use common::{best_time, datasets, h, mb_per_s, N_BYTES};

pub const CONFIGS: &[&str] = &[
    r#"{"id":"crc32"}"#,
    r#"{"id":"crc32","location":"end"}"#,
    r#"{"id":"adler32"}"#,
    r#"{"id":"crc32c"}"#,
    r#"{"id":"fletcher32"}"#,
    r#"{"id":"jenkins_lookup3"}"#,
    r#"{"id":"base64"}"#,
    r#"{"id":"bitround","keepbits":10}"#,
    r#"{"id":"packbits"}"#,
    r#"{"id":"shuffle","elementsize":4}"#,
    r#"{"id":"shuffle","elementsize":2}"#,
    r#"{"id":"shuffle","elementsize":8}"#,
    r#"{"id":"shuffle","elementsize":16}"#,
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

/// The input of `config`: 4 MiB of booleans for packbits (`b[i] = h(i) < 64`, a quarter true), else
/// benches/compressors.rs' "f4-smooth" dataset (the other codecs here do not care about the content).
fn dataset(config: &str) -> (Vec<u8>, ArrayInfo) {
    if config.contains(r#""packbits""#) {
        let bools = (0..N_BYTES as u64).map(|i| u8::from(h(i) < 64)).collect();
        return (bools, ArrayInfo::new(DType::parse("|b1").unwrap(), None));
    }
    (datasets().swap_remove(0).2, ArrayInfo::new(DType::parse("<f4").unwrap(), None))
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let min_time = Duration::from_millis(300);
    let (data, _) = dataset("");
    println!("libnumcodecs {} (Rust core, 1 thread), {} MiB of float32 (of booleans for packbits)", env!("CARGO_PKG_VERSION"), N_BYTES >> 20);
    println!("{:<40} {:>10} {:>10} {:>12} {:>12}", "config", "enc MB/s", "dec MB/s", "enc/memcpy", "dec/memcpy");
    let mut copy = vec![0u8; data.len()];
    let memcpy = mb_per_s(data.len(), best_time(min_time, || copy.copy_from_slice(std::hint::black_box(&data))));
    println!("{:<40} {:>10.0} {:>10}", "memcpy", memcpy, "");
    for config in CONFIGS {
        if filter.as_deref().is_some_and(|f| !config.contains(f)) {
            continue;
        }
        let (data, info) = dataset(config);
        let codec = codec_from_json(config).unwrap();
        let mut encoded = vec![0u8; codec.encode_bound(data.len(), &info).unwrap()];
        let mut encoded_len = 0;
        let enc = mb_per_s(data.len(), best_time(min_time, || encoded_len = codec.encode_into(&data, &info, &mut encoded).unwrap()));
        let encoded = &encoded[..encoded_len];
        let mut decoded = vec![0u8; data.len()];
        let dec = mb_per_s(data.len(), best_time(min_time, || {
            codec.decode_into(encoded, &mut decoded).unwrap();
        }));
        // assert! rather than assert_eq!: a failure should not print 4 MiB. bitround and packbits decode
        // to what they encoded (a copy, and 0/1 bytes of the booleans), the other lossy filters to an
        // approximation.
        if lossy(config) || config.contains(r#""bitround""#) {
            assert!(decoded == codec.decode(encoded).unwrap(), "{config}: decode_into and decode disagree");
        } else {
            assert!(decoded == data, "{config}: the round trip changed the data");
        }
        println!("{:<40} {:>10.0} {:>10.0} {:>12.2} {:>12.2}", config, enc, dec, enc / memcpy, dec / memcpy);
    }
}
