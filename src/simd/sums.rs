//! The sums behind Adler-32 and Fletcher-32 over a block of 32-byte chunks, with AVX2 when the CPU has
//! it (about 2 cycles per chunk), else with a lane-wise loop the compiler vectorises with SSE2.
//!
//! Both checksums run two sums over a stream of symbols, `s1 += v` and `s2 += s1` (Adler-32 over bytes,
//! Fletcher-32 over big-endian 16-bit words). For a block of `n` chunks of `m` symbols `v[k][p]`, starting
//! from `(s1, s2)`, the block adds `total` to `s1` and `n * m * s1 + m * before + weighted` to `s2` with
//! - `total = sum_k sum_p v[k][p]`,
//! - `before = sum_k (the total of the chunks before chunk k)`,
//! - `weighted = sum_k sum_p (m - p) * v[k][p]`,
//!
//! all three of which vectorise: per chunk, add the total so far to `before`, then the chunk's sums.

/// What the 32 bytes of a chunk hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbols {
    /// 32 bytes (Adler-32).
    Bytes,
    /// 16 big-endian 16-bit words (Fletcher-32).
    BigEndianWords,
}

impl Symbols {
    /// Symbols per 32-byte chunk.
    pub fn per_chunk(self) -> u64 {
        match self {
            Symbols::Bytes => 32,
            Symbols::BigEndianWords => 16,
        }
    }
}

/// Bytes per chunk.
pub const CHUNK: usize = 32;
/// The longest block [`block_sums`] takes: zlib's NMAX, 5552 bytes, keeps every partial sum of both
/// versions within its 16- or 32-bit lane.
pub const MAX_BLOCK: usize = 5552;

/// The module doc's sums of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSums {
    pub total: u64,
    pub before: u64,
    pub weighted: u64,
}

/// The sums of `block`: whole chunks of [`CHUNK`] bytes, at most [`MAX_BLOCK`] bytes (panics otherwise).
pub fn block_sums(block: &[u8], symbols: Symbols) -> BlockSums {
    assert!(block.len() % CHUNK == 0 && block.len() <= MAX_BLOCK, "{} bytes", block.len());
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if super::has_avx2() {
        // SAFETY: AVX2 is available (checked at run time just above).
        return unsafe { avx2::block_sums(block, symbols) };
    }
    lane_sums(block, symbols)
}

/// Chunks summed in 16-bit lanes before widening: a lane's sum stays <= 255 * 16 and its running total
/// <= 255 * 16 * 17 / 2 = 34680, both below 65536. 16-bit lanes take half the SIMD work of 32-bit ones.
const RUN: usize = 16;

/// The portable version: per byte lane `j` of the chunks, `sum[j] = sum_k x[k][j]` and
/// `prefix[j] = sum_k (n - k) * x[k][j]` (the running total of `sum[j]` after each chunk), plain
/// lane-wise adds that the compiler turns into SIMD; the symbols' sums follow from those.
fn lane_sums(block: &[u8], symbols: Symbols) -> BlockSums {
    let mut sum = [0u32; CHUNK];
    let mut prefix = [0u32; CHUNK];
    let mut runs = block.chunks_exact(CHUNK * RUN);
    for run in &mut runs {
        let mut run_sum = [0u16; CHUNK];
        let mut run_prefix = [0u16; CHUNK];
        for chunk in run.chunks_exact(CHUNK) {
            let chunk: &[u8; CHUNK] = chunk.try_into().expect("CHUNK bytes");
            for j in 0..CHUNK {
                run_sum[j] += u16::from(chunk[j]);
                run_prefix[j] += run_sum[j];
            }
        }
        // Each chunk of the run also adds the lane's sum before the run to the running total.
        for j in 0..CHUNK {
            prefix[j] += RUN as u32 * sum[j] + u32::from(run_prefix[j]);
            sum[j] += u32::from(run_sum[j]);
        }
    }
    for chunk in runs.remainder().chunks_exact(CHUNK) {
        for j in 0..CHUNK {
            sum[j] += u32::from(chunk[j]);
            prefix[j] += sum[j];
        }
    }
    // Lane j holds symbol p of each chunk with the factor `scale` (a word's high byte counts 256 times).
    let lane = |j: usize| match symbols {
        Symbols::Bytes => (j as u64, 1),
        Symbols::BigEndianWords => ((j / 2) as u64, if j % 2 == 0 { 256 } else { 1 }),
    };
    let m = symbols.per_chunk();
    let mut sums = BlockSums { total: 0, before: 0, weighted: 0 };
    for j in 0..CHUNK {
        let (p, scale) = lane(j);
        let (s, prefix) = (u64::from(sum[j]), u64::from(prefix[j]));
        sums.total += scale * s;
        sums.before += scale * (prefix - s);
        sums.weighted += scale * (m - p) * s;
    }
    sums
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod avx2 {
    use super::{BlockSums, Symbols, CHUNK};
    use std::arch::x86_64::*;

    /// Words enter `vpmaddwd` as signed 16-bit values, so they are biased by -32768 (the top bit flipped).
    const BIAS: i64 = 32768;

    /// Per chunk: `before += total; total += sums(x); weighted += weights . x`, in 8 lanes of 32 bits
    /// (see [`super::MAX_BLOCK`] for why they do not overflow), added up at the end.
    #[target_feature(enable = "avx2")]
    pub(super) fn block_sums(block: &[u8], symbols: Symbols) -> BlockSums {
        let ones = _mm256_set1_epi16(1);
        let zero = _mm256_setzero_si256();
        // vpmaddubsw weights 32..1 of the bytes; vpmaddwd weights 16..1 of the words.
        let byte_weights = _mm256_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        let word_weights = _mm256_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        // Big-endian words to little-endian (vpshufb works within each 16-byte half).
        let swap = _mm256_setr_epi8(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
        let flip = _mm256_set1_epi16(i16::MIN);
        let (mut total, mut before, mut weighted) = (zero, zero, zero);
        for chunk in block.chunks_exact(CHUNK) {
            assert!(chunk.len() == CHUNK);
            // SAFETY: `chunk` has 32 readable bytes (checked above); the load is unaligned.
            let x = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
            before = _mm256_add_epi32(before, total);
            match symbols {
                Symbols::Bytes => {
                    total = _mm256_add_epi32(total, _mm256_sad_epu8(x, zero));
                    weighted = _mm256_add_epi32(weighted, _mm256_madd_epi16(_mm256_maddubs_epi16(x, byte_weights), ones));
                }
                Symbols::BigEndianWords => {
                    let words = _mm256_xor_si256(_mm256_shuffle_epi8(x, swap), flip);
                    total = _mm256_add_epi32(total, _mm256_madd_epi16(words, ones));
                    weighted = _mm256_add_epi32(weighted, _mm256_madd_epi16(words, word_weights));
                }
            }
        }
        let (total, before, weighted) = (add_lanes(total), add_lanes(before), add_lanes(weighted));
        match symbols {
            Symbols::Bytes => BlockSums { total: total as u64, before: before as u64, weighted: weighted as u64 },
            Symbols::BigEndianWords => {
                // Undo the bias: each word counted 32768 short, in the totals of every chunk before too.
                let n = (block.len() / CHUNK) as i64;
                BlockSums {
                    total: (total + BIAS * 16 * n) as u64,
                    before: (before + BIAS * 16 * (n * (n - 1) / 2)) as u64,
                    weighted: (weighted + BIAS * (16 * 17 / 2) * n) as u64,
                }
            }
        }
    }

    /// The sum of the 8 signed 32-bit lanes (vpsadbw's 64-bit lanes hold values below 2^32, so their
    /// high halves are 0 and add nothing).
    #[target_feature(enable = "avx2")]
    fn add_lanes(v: __m256i) -> i64 {
        let mut lanes = [0i32; 8];
        // SAFETY: `lanes` is 32 writable bytes; the store is unaligned.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), v) };
        lanes.iter().map(|&lane| i64::from(lane)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::Rng;

    /// The module doc's definitions, symbol by symbol.
    fn definition(block: &[u8], symbols: Symbols) -> BlockSums {
        let values: Vec<u64> = match symbols {
            Symbols::Bytes => block.iter().map(|&b| u64::from(b)).collect(),
            Symbols::BigEndianWords => block.chunks_exact(2).map(|w| u64::from(u16::from_be_bytes([w[0], w[1]]))).collect(),
        };
        let m = symbols.per_chunk() as usize;
        let mut sums = BlockSums { total: 0, before: 0, weighted: 0 };
        for chunk in values.chunks_exact(m) {
            sums.before += sums.total;
            for (p, &v) in chunk.iter().enumerate() {
                sums.total += v;
                sums.weighted += (m - p) as u64 * v;
            }
        }
        sums
    }

    #[test]
    fn both_versions_follow_the_definition() {
        let mut rng = Rng(31);
        let noise = rng.bytes(MAX_BLOCK + 64);
        let ones = vec![0xffu8; MAX_BLOCK + 64];
        let lengths = (0..=MAX_BLOCK / CHUNK).map(|n| n * CHUNK);
        for len in lengths {
            // At every alignment of the block, for the largest sums (all 0xff) too.
            for (source, offset) in [(&noise, 0), (&noise, 1), (&noise, 7), (&noise, 31), (&ones, 0), (&ones, 3)] {
                let block = &source[offset..offset + len];
                for symbols in [Symbols::Bytes, Symbols::BigEndianWords] {
                    let expected = definition(block, symbols);
                    assert_eq!(block_sums(block, symbols), expected, "{len} bytes from {offset}, {symbols:?}");
                    assert_eq!(lane_sums(block, symbols), expected, "lane_sums, {len} bytes from {offset}, {symbols:?}");
                }
            }
        }
    }
}
