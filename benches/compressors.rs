//! Throughput and ratio of every compressor on the datasets of benches/datasets.txt, printed as a table.
//! Run: `cargo bench --bench compressors` (release build). Compare with the same table from the Python
//! reference: `python benches/numcodecs_reference.py` in a venv with numcodecs 0.16.6.
//! Speed targets live here, never in timed tests.

use std::time::Duration;

use numcodecs::codecs::{codec_from_json, ArrayInfo, DType};

mod common;

use common::{best_time, datasets, mb_per_s, N_BYTES};

pub const CONFIGS: &[&str] = &[
    r#"{"id":"zlib","level":1}"#,
    r#"{"id":"zlib","level":6}"#,
    r#"{"id":"gzip","level":1}"#,
    r#"{"id":"bz2","level":1}"#,
    r#"{"id":"lzma","preset":1}"#,
    r#"{"id":"zstd","level":1}"#,
    r#"{"id":"zstd","level":3}"#,
    r#"{"id":"zstd","level":-1}"#,
    r#"{"id":"lz4","acceleration":1}"#,
    r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1}"#,
    r#"{"id":"blosc","cname":"zstd","clevel":5,"shuffle":2}"#,
    r#"{"id":"blosc","cname":"blosclz","clevel":9,"shuffle":1}"#,
    r#"{"id":"pcodec"}"#,
    r#"{"id":"pcodec","level":3}"#,
    r#"{"id":"zfpy"}"#,
    r#"{"id":"zfpy","mode":4,"tolerance":0.01}"#,
    r#"{"id":"zfpy","mode":2,"rate":8}"#,
];

/// zfpy's fixed-accuracy and fixed-rate modes give back an approximation, not the data.
fn is_lossy(config: &str) -> bool {
    config.contains("tolerance") || config.contains("rate")
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let min_time = Duration::from_millis(300);
    println!("libnumcodecs {} (Rust core, 1 thread), {} MiB per dataset", env!("CARGO_PKG_VERSION"), N_BYTES >> 20);
    println!("{:<10} {:<58} {:>7} {:>10} {:>10}", "dataset", "config", "ratio", "enc MB/s", "dec MB/s");
    for (name, dtype, data) in datasets() {
        let info = ArrayInfo::new(DType::parse(dtype).unwrap(), None);
        let mut copy = vec![0u8; data.len()];
        let memcpy = best_time(min_time, || copy.copy_from_slice(std::hint::black_box(&data)));
        println!("{:<10} {:<58} {:>7} {:>10.0} {:>10}", name, "memcpy", "", mb_per_s(data.len(), memcpy), "");
        for config in CONFIGS {
            if filter.as_deref().is_some_and(|f| !config.contains(f)) {
                continue;
            }
            let codec = match codec_from_json(config) {
                Ok(codec) => codec,
                Err(e) => {
                    println!("{name:<10} {config:<58} unavailable: {e}");
                    continue;
                }
            };
            // pcodec and zfpy take numeric arrays only (not the text bytes).
            let bound = match codec.encode_bound(data.len(), &info) {
                Ok(bound) => bound,
                Err(e) => {
                    println!("{name:<10} {config:<58} {:>7} ({:?})", "n/a", e.kind());
                    continue;
                }
            };
            let mut encoded = vec![0u8; bound];
            let mut encoded_len = 0;
            let enc = best_time(min_time, || encoded_len = codec.encode_into(&data, &info, &mut encoded).unwrap());
            let encoded = &encoded[..encoded_len];
            let mut decoded = vec![0u8; data.len()];
            let dec = best_time(min_time, || {
                codec.decode_into(encoded, &mut decoded).unwrap();
            });
            if !is_lossy(config) {
                assert_eq!(decoded, data, "{config} round trip");
            }
            let ratio = data.len() as f64 / encoded.len() as f64;
            println!("{:<10} {:<58} {:>7.2} {:>10.0} {:>10.0}", name, config, ratio, mb_per_s(data.len(), enc), mb_per_s(data.len(), dec));
        }
    }
}
