//! numpy's `packbits`/`unpackbits` (big bit order) over booleans, 32 elements per AVX2 step.
//!
//! Packing: reverse each 8-byte group (`vpshufb`), compare with zero, `vpmovmskb`: the mask's byte `j`
//! is then output byte `j`, element `8j` in its most significant bit. Unpacking: spread each packed byte
//! over its 8 output bytes (`vpshufb`), keep bit `7 - i` in byte `i`, compare, and turn 0xff into 1.
//!
//! These do the leading multiple of 32 elements and return how many they did; the caller does the rest
//! (all of it without AVX2, on other targets and under miri).

/// Packs the first elements of `src` (non-zero = 1) 8 to a byte of `dst`, element `8j` in the most
/// significant bit of `dst[j]`; returns how many elements it packed (a multiple of 32).
pub fn pack_bits(src: &[u8], dst: &mut [u8]) -> usize {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if super::has_avx2() {
        // SAFETY: AVX2 is available (checked at run time just above).
        return unsafe { x86::pack_bits(src, dst) };
    }
    let _ = (src, dst);
    0
}

/// Unpacks the first bytes of `src` into 0/1 bytes of `dst`, most significant bit first; returns how
/// many elements it wrote (a multiple of 32).
pub fn unpack_bits(src: &[u8], dst: &mut [u8]) -> usize {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if super::has_avx2() {
        // SAFETY: AVX2 is available (checked at run time just above).
        return unsafe { x86::unpack_bits(src, dst) };
    }
    let _ = (src, dst);
    0
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn pack_bits(src: &[u8], dst: &mut [u8]) -> usize {
        let steps = (src.len() / 32).min(dst.len() / 4);
        let reverse = _mm256_setr_epi8(
            7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8,
        );
        for (s, d) in src.chunks_exact(32).zip(dst.chunks_exact_mut(4)).take(steps) {
            // SAFETY: `s` is 32 bytes (chunks_exact); the load is unaligned.
            let v = unsafe { _mm256_loadu_si256(s.as_ptr().cast()) };
            let zero = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(v, reverse), _mm256_setzero_si256());
            let bits = !(_mm256_movemask_epi8(zero) as u32);
            d.copy_from_slice(&bits.to_le_bytes());
        }
        steps * 32
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn unpack_bits(src: &[u8], dst: &mut [u8]) -> usize {
        let steps = (src.len() / 4).min(dst.len() / 32);
        // Output byte i takes packed byte i / 8 (vpshufb works per 128-bit lane: the high lane's indices
        // point at its own copy of the 4 bytes).
        let spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        let bit = _mm256_set1_epi64x(0x0102_0408_1020_4080);
        let one = _mm256_set1_epi8(1);
        for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(32)).take(steps) {
            let word = i32::from_le_bytes(s.try_into().expect("4 bytes"));
            let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(word), spread);
            let set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
            // SAFETY: `d` is 32 bytes (chunks_exact); the store is unaligned.
            unsafe { _mm256_storeu_si256(d.as_mut_ptr().cast(), _mm256_and_si256(set, one)) }
        }
        steps * 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::Rng;

    #[test]
    fn pack_and_unpack_equal_the_bit_loop() {
        let mut rng = Rng(11);
        for len in [0usize, 1, 8, 31, 32, 33, 64, 100, 1000, 4096 + 40] {
            // Booleans, and arbitrary non-zero bytes (numpy packs any non-zero as 1).
            let src: Vec<u8> = (0..len).map(|_| if rng.next() % 3 == 0 { 0 } else { rng.next() as u8 | 1 }).collect();
            let mut packed = vec![0u8; len.div_ceil(8)];
            let done = pack_bits(&src, &mut packed);
            assert!(done <= len && done % 32 == 0);
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            if std::is_x86_feature_detected!("avx2") {
                assert_eq!(done, len / 32 * 32);
            }
            for (j, &byte) in packed[..done / 8].iter().enumerate() {
                let expected = (0..8).fold(0u8, |acc, i| acc << 1 | u8::from(src[8 * j + i] != 0));
                assert_eq!(byte, expected, "{len} elements, byte {j}");
            }
            let mut unpacked = vec![0xeeu8; len];
            let undone = unpack_bits(&packed, &mut unpacked);
            assert_eq!(undone, done);
            for i in 0..len {
                let expected = if i < done { u8::from(src[i] != 0) } else { 0xee };
                assert_eq!(unpacked[i], expected, "{len} elements, element {i}");
            }
        }
    }
}
