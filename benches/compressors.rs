//! Throughput and ratio of every compressor on the datasets of benches/datasets.txt, printed as a table.
//! Run: `cargo bench --bench compressors` (release build). Compare with the same table from the Python
//! reference: `python benches/numcodecs_reference.py` in a venv with numcodecs 0.16.6.
//! Speed targets live here, never in timed tests.

use std::time::{Duration, Instant};

use numcodecs::codecs::{codec_from_json, ArrayInfo, DType};

const N_BYTES: usize = 4 << 20;
const WORDS: [&str; 16] = [
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor",
    "incididunt", "ut", "labore", "et",
];

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
];

fn h(i: u64) -> u64 {
    ((i * 2654435761) & 0xFFFF_FFFF) >> 24
}

fn datasets() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let n4 = (N_BYTES / 4) as u64;
    let f4: Vec<u8> = (0..n4).flat_map(|i| ((i / 64) as f32 * 0.5f32 + h(i) as f32 / 256f32).to_le_bytes()).collect();
    let i4: Vec<u8> = (0..n4).flat_map(|i| ((i / 7) as i32 + (h(i) / 16) as i32).to_le_bytes()).collect();
    let mut text = Vec::with_capacity(N_BYTES + 16);
    let mut k = 0u64;
    while text.len() < N_BYTES {
        text.extend_from_slice(WORDS[(h(k) % 16) as usize].as_bytes());
        text.push(b' ');
        k += 1;
    }
    text.truncate(N_BYTES);
    vec![("f4-smooth", "<f4", f4), ("i4-counts", "<i4", i4), ("u1-text", "|u1", text)]
}

/// Runs `f` repeatedly for at least `min_time` (and 3 times) and returns the best time of one run.
fn best_time(min_time: Duration, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut best = Duration::MAX;
    let mut runs = 0;
    while runs < 3 || start.elapsed() < min_time {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        runs += 1;
    }
    best
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / 1e6
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
            let mut encoded = vec![0u8; codec.encode_bound(data.len(), &info).unwrap()];
            let mut encoded_len = 0;
            let enc = best_time(min_time, || encoded_len = codec.encode_into(&data, &info, &mut encoded).unwrap());
            let encoded = &encoded[..encoded_len];
            let mut decoded = vec![0u8; data.len()];
            let dec = best_time(min_time, || {
                codec.decode_into(encoded, &mut decoded).unwrap();
            });
            assert_eq!(decoded, data, "{config} round trip");
            let ratio = data.len() as f64 / encoded.len() as f64;
            println!("{:<10} {:<58} {:>7.2} {:>10.0} {:>10.0}", name, config, ratio, mb_per_s(data.len(), enc), mb_per_s(data.len(), dec));
        }
    }
}
