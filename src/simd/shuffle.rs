//! The byte transpose of blosc's shuffle (numcodecs' `shuffle` filter) for 8- and 16-byte elements, in
//! blocks of 16 elements, with SSE2.
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
/// elements, a multiple of 16, and returns how many it did: none when `size` is not 8 or 16, when
/// `dst.len() != src.len()`, or where the kernels do not exist.
pub fn shuffle_blocks(src: &[u8], dst: &mut [u8], size: usize) -> usize {
    if !matches!(size, 8 | 16) || src.len() != dst.len() {
        return 0;
    }
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
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
    {
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
    #[inline(always)]
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

    fn shuffle_n<const N: usize>(src: &[u8], dst: &mut [u8]) -> usize {
        let n = src.len() / N;
        let blocks = n / 16;
        for (j, block) in src.chunks_exact(16 * N).take(blocks).enumerate() {
            let mut r: [__m128i; N] = std::array::from_fn(|k| load(&block[16 * k..]));
            for _ in 0..4 {
                r = round(&r);
            }
            for (b, v) in r.into_iter().enumerate() {
                store(&mut dst[b * n + 16 * j..], v);
            }
        }
        blocks * 16
    }

    fn unshuffle_n<const N: usize>(src: &[u8], dst: &mut [u8]) -> usize {
        let n = src.len() / N;
        let blocks = n / 16;
        for (j, block) in dst.chunks_exact_mut(16 * N).take(blocks).enumerate() {
            let mut r: [__m128i; N] = std::array::from_fn(|b| load(&src[b * n + 16 * j..]));
            for _ in 0..N.trailing_zeros() {
                r = round(&r);
            }
            for (k, v) in r.into_iter().enumerate() {
                store(&mut block[16 * k..], v);
            }
        }
        blocks * 16
    }

    pub(super) fn shuffle_blocks(src: &[u8], dst: &mut [u8], size: usize) -> usize {
        match size {
            8 => shuffle_n::<8>(src, dst),
            16 => shuffle_n::<16>(src, dst),
            _ => 0,
        }
    }

    pub(super) fn unshuffle_blocks(src: &[u8], dst: &mut [u8], size: usize) -> usize {
        match size {
            8 => unshuffle_n::<8>(src, dst),
            16 => unshuffle_n::<16>(src, dst),
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
            for count in [0, 1, 15, 16, 17, 31, 32, 33, 100, 1024 + 5] {
                let src = rng.bytes(count * size);
                let mut shuffled = vec![0xeeu8; src.len()];
                let done = shuffle_blocks(&src, &mut shuffled, size);
                assert!(done <= count && done % 16 == 0);
                if cfg!(all(target_arch = "x86_64", not(miri))) && size != 2 {
                    assert_eq!(done, count / 16 * 16);
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
