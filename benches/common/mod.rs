//! What the benchmarks share: the datasets of benches/datasets.txt and the timing loop.

use std::time::{Duration, Instant};

pub const N_BYTES: usize = 4 << 20;
pub const WORDS: [&str; 16] = [
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor",
    "incididunt", "ut", "labore", "et",
];

pub fn h(i: u64) -> u64 {
    ((i * 2654435761) & 0xFFFF_FFFF) >> 24
}

pub fn datasets() -> Vec<(&'static str, &'static str, Vec<u8>)> {
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
pub fn best_time(min_time: Duration, mut f: impl FnMut()) -> Duration {
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

pub fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / 1e6
}

