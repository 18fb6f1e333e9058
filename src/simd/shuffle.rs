//! The byte transpose of blosc's shuffle (numcodecs' `shuffle` filter) for 8- and 16-byte elements, in
//! blocks of 16 elements (in groups of 256), with SSE2, or AVX2 (two blocks at once) when the CPU has it.
//!
//! A block is `size` registers of 16 bytes. Number its bytes by a label `(register, position)`: a
//! `log2(size) + 4`-bit number whose high bits are the register. One round of byte unpacks,
//! `new[2i] = unpacklo(r[i], r[i + size/2])` and `new[2i + 1] = unpackhi(r[i], r[i + size/2])`, moves the
//! byte labelled `x` to the label `x` rotated left by one bit. In the loaded block the label is
//! `(element, byte)` with 4 bits of element; in the shuffled block it is `(byte, element)`: 4 rounds
//! shuffle, and `log2(size)` rounds (the rest of a full turn) unshuffle.
//!
//! These functions do the leading whole blocks and return how many elements they did; the caller
//! transposes the rest (on non-x86 targets and under miri, all of it).

/// Writes byte `b` of element `i` of `src` to `dst[b * n + i]` (`n = src.len() / size`) for the first
/// elements, a multiple of 256, and returns how many it did: none when `size` is not 8 or 16, when
/// `dst.len() != src.len()`, or where the kernels do not exist.
pub fn shuffle_blocks(src: &[u8], dst: &mut [u8], size: usize) -> usize {
    if !matches!(size, 8 | 16) || src.len() != dst.len() {
        return 0;
    }
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: SSE2 is part of the x86-64 baseline, always there.
    unsafe {
        x86::shuffle_blocks(src, dst, size)
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    {
        0
    }
}

/// The inverse of [`shuffle_blocks`]: `dst[i * size + b] = src[b * n + i]` for the first elements.
pub fn unshuffle_blocks(src: &[u8], dst: &mut [u8], size: usize) -> usize {
    if !matches!(size, 8 | 16) || src.len() != dst.len() {
        return 0;
    }
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: SSE2 is part of the x86-64 baseline, always there.
    unsafe {
        x86::unshuffle_blocks(src, dst, size)
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    {
        0
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use std::arch::x86_64::*;

    /// One round of unpacks over `N` registers (see the module doc).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn round<const N: usize>(r: &[__m128i; N]) -> [__m128i; N] {
        let mut out = [_mm_setzero_si128(); N];
        for i in 0..N / 2 {
            out[2 * i] = _mm_unpacklo_epi8(r[i], r[i + N / 2]);
            out[2 * i + 1] = _mm_unpackhi_epi8(r[i], r[i + N / 2]);
        }
        out
    }

    #[inline(always)]
    fn load(bytes: &[u8]) -> __m128i {
        assert!(bytes.len() >= 16);
        // SAFETY: at least 16 readable bytes (checked above); the load is unaligned.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    #[inline(always)]
    fn store(bytes: &mut [u8], v: __m128i) {
        assert!(bytes.len() >= 16);
        // SAFETY: at least 16 writable bytes (checked above); the store is unaligned.
        unsafe { _mm_storeu_si128(bytes.as_mut_ptr().cast(), v) }
    }

    /// Elements per group: the kernel goes through its planes 256 bytes (4 cache lines) at a time, through
    /// a staging buffer. The planes of a chunk are a large power of two apart, so they share cache sets;
    /// 16-byte accesses to 8 or 16 of them at once evict each line before it is finished (measured on
    /// 4 MiB: 64-element groups gave 9 GB/s for 16-byte elements, 256 gave 15).
    pub(super) const GROUP: usize = 256;

    #[target_feature(enable = "sse2")]
    fn shuffle_n<const N: usize>(src: &[u8], dst: &mut [u8]) -> usize {
        let n = src.len() / N;
        let groups = n / GROUP;
        // staging[b]: plane b of the group; the transposed blocks gather here, then go out in one copy.
        let mut staging = [[0u8; GROUP]; N];
        for (g, group) in src.chunks_exact(GROUP * N).take(groups).enumerate() {
            for (q, block) in group.chunks_exact(16 * N).enumerate() {
                let mut r: [__m128i; N] = std::array::from_fn(|k| load(&block[16 * k..]));
                for _ in 0..4 {
                    r = round(&r);
                }
                for (b, v) in r.into_iter().enumerate() {
                    store(&mut staging[b][16 * q..], v);
                }
            }
            for (b, line) in staging.iter().enumerate() {
                dst[b * n + GROUP * g..][..GROUP].copy_from_slice(line);
            }
        }
        groups * GROUP
    }

    #[target_feature(enable = "sse2")]
    fn unshuffle_n<const N: usize>(src: &[u8], dst: &mut [u8]) -> usize {
        let n = src.len() / N;
        let groups = n / GROUP;
        let mut staging = [[0u8; GROUP]; N];
        for (g, group) in dst.chunks_exact_mut(GROUP * N).take(groups).enumerate() {
            for (b, line) in staging.iter_mut().enumerate() {
                line.copy_from_slice(&src[b * n + GROUP * g..][..GROUP]);
            }
            for (q, block) in group.chunks_exact_mut(16 * N).enumerate() {
                let mut r: [__m128i; N] = std::array::from_fn(|b| load(&staging[b][16 * q..]));
                for _ in 0..N.trailing_zeros() {
                    r = round(&r);
                }
                for (k, v) in r.into_iter().enumerate() {
                    store(&mut block[16 * k..], v);
                }
            }
        }
        groups * GROUP
    }

    /// [`round`] on two blocks at once, one in each 128-bit lane (the byte unpacks stay within lanes).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn round2<const N: usize>(r: &[__m256i; N]) -> [__m256i; N] {
        let mut out = [_mm256_setzero_si256(); N];
        for i in 0..N / 2 {
            out[2 * i] = _mm256_unpacklo_epi8(r[i], r[i + N / 2]);
            out[2 * i + 1] = _mm256_unpackhi_epi8(r[i], r[i + N / 2]);
        }
        out
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn load2(low: &[u8], high: &[u8]) -> __m256i {
        _mm256_set_m128i(load(high), load(low))
    }

    #[inline(always)]
    fn load256(bytes: &[u8]) -> __m256i {
        assert!(bytes.len() >= 32);
        // SAFETY: at least 32 readable bytes (checked above); the load is unaligned.
        unsafe { _mm256_loadu_si256(bytes.as_ptr().cast()) }
    }

    #[inline(always)]
    fn store256(bytes: &mut [u8], v: __m256i) {
        assert!(bytes.len() >= 32);
        // SAFETY: at least 32 writable bytes (checked above); the store is unaligned.
        unsafe { _mm256_storeu_si256(bytes.as_mut_ptr().cast(), v) }
    }

    /// [`shuffle_n`] with AVX2: blocks `q` and `q + 1` of a group in the two lanes.
    #[target_feature(enable = "avx2")]
    fn shuffle_n_avx2<const N: usize>(src: &[u8], dst: &mut [u8]) -> usize {
        let n = src.len() / N;
        let groups = n / GROUP;
        let mut staging = [[0u8; GROUP]; N];
        for (g, group) in src.chunks_exact(GROUP * N).take(groups).enumerate() {
            for q in (0..GROUP / 16).step_by(2) {
                let (a, b) = (&group[16 * N * q..], &group[16 * N * (q + 1)..]);
                let mut r: [__m256i; N] = std::array::from_fn(|k| load2(&a[16 * k..], &b[16 * k..]));
                for _ in 0..4 {
                    r = round2(&r);
                }
                for (b, v) in r.into_iter().enumerate() {
                    store256(&mut staging[b][16 * q..], v);
                }
            }
            for (b, line) in staging.iter().enumerate() {
                dst[b * n + GROUP * g..][..GROUP].copy_from_slice(line);
            }
        }
        groups * GROUP
    }

    /// [`unshuffle_n`] with AVX2.
    #[target_feature(enable = "avx2")]
    fn unshuffle_n_avx2<const N: usize>(src: &[u8], dst: &mut [u8]) -> usize {
        let n = src.len() / N;
        let groups = n / GROUP;
        let mut staging = [[0u8; GROUP]; N];
        for (g, group) in dst.chunks_exact_mut(GROUP * N).take(groups).enumerate() {
            for (b, line) in staging.iter_mut().enumerate() {
                line.copy_from_slice(&src[b * n + GROUP * g..][..GROUP]);
            }
            for q in (0..GROUP / 16).step_by(2) {
                let mut r: [__m256i; N] = std::array::from_fn(|b| load256(&staging[b][16 * q..]));
                for _ in 0..N.trailing_zeros() {
                    r = round2(&r);
                }
                for (k, v) in r.into_iter().enumerate() {
                    store(&mut group[16 * N * q + 16 * k..], _mm256_castsi256_si128(v));
                    store(&mut group[16 * N * (q + 1) + 16 * k..], _mm256_extracti128_si256::<1>(v));
                }
            }
        }
        groups * GROUP
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn shuffle_blocks(src: &[u8], dst: &mut [u8], size: usize) -> usize {
        match (size, crate::simd::has_avx2()) {
            // SAFETY (both AVX2 calls): AVX2 is available, checked at run time in the match.
            (8, true) => unsafe { shuffle_n_avx2::<8>(src, dst) },
            (16, true) => unsafe { shuffle_n_avx2::<16>(src, dst) },
            (8, false) => shuffle_n::<8>(src, dst),
            (16, false) => shuffle_n::<16>(src, dst),
            _ => 0,
        }
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn unshuffle_blocks(src: &[u8], dst: &mut [u8], size: usize) -> usize {
        match (size, crate::simd::has_avx2()) {
            // SAFETY (both AVX2 calls): AVX2 is available, checked at run time in the match.
            (8, true) => unsafe { unshuffle_n_avx2::<8>(src, dst) },
            (16, true) => unsafe { unshuffle_n_avx2::<16>(src, dst) },
            (8, false) => unshuffle_n::<8>(src, dst),
            (16, false) => unshuffle_n::<16>(src, dst),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::Rng;

    #[test]
    fn blocks_equal_the_byte_loop_and_leave_the_rest() {
        let mut rng = Rng(3);
        for size in [2, 8, 16] {
            for count in [0, 1, 15, 16, 17, 33, 100, 255, 256, 257, 512 + 16, 1024 + 5] {
                let src = rng.bytes(count * size);
                let mut shuffled = vec![0xeeu8; src.len()];
                let done = shuffle_blocks(&src, &mut shuffled, size);
                assert!(done <= count && done % 16 == 0);
                #[cfg(all(target_arch = "x86_64", not(miri)))]
                if size != 2 {
                    assert_eq!(done, count / x86::GROUP * x86::GROUP);
                }
                for i in 0..count {
                    for b in 0..size {
                        let expected = if i < done { src[i * size + b] } else { 0xee };
                        assert_eq!(shuffled[b * count + i], expected, "size {size}, {count} elements, element {i} byte {b}");
                    }
                }
                // Unshuffle a fully shuffled buffer (the byte loop does what the kernel left).
                for i in done..count {
                    for b in 0..size {
                        shuffled[b * count + i] = src[i * size + b];
                    }
                }
                let mut back = vec![0xeeu8; src.len()];
                let undone = unshuffle_blocks(&shuffled, &mut back, size);
                assert_eq!(undone, done);
                assert_eq!(&back[..done * size], &src[..done * size], "size {size}, {count} elements");
                assert!(back[done * size..].iter().all(|&x| x == 0xee));
            }
        }
    }
}
