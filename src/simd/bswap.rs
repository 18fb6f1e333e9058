//! Byte-order reversal of 2-, 4- and 8-byte elements (astype between byte orders, big-endian inputs of the
//! numeric filters). AVX2's `vpshufb` reverses 32 bytes at once; without AVX2, and for other element sizes,
//! the scalar loop runs.

/// `dst` = `src` with the bytes of every `itemsize`-byte element reversed; copies `min(src.len(),
/// dst.len())` bytes. A trailing partial element, and every element when `itemsize` is not 2, 4 or 8, is
/// copied unchanged.
pub fn swap_copy(src: &[u8], dst: &mut [u8], itemsize: usize) {
    let len = src.len().min(dst.len());
    let (src, dst) = (&src[..len], &mut dst[..len]);
    if !matches!(itemsize, 2 | 4 | 8) {
        dst.copy_from_slice(src);
        return;
    }
    #[allow(unused_mut)]
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if super::has_avx2() {
        // SAFETY: AVX2 is available (checked at run time just above).
        done = unsafe { x86::swap_copy_avx2(src, dst, itemsize) };
    }
    scalar_swap_copy(&src[done..], &mut dst[done..], itemsize);
}

/// Reverses the bytes of every `itemsize`-byte element of `bytes` in place (see [`swap_copy`]).
pub fn swap_in_place(bytes: &mut [u8], itemsize: usize) {
    if !matches!(itemsize, 2 | 4 | 8) {
        return;
    }
    #[allow(unused_mut)]
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if super::has_avx2() {
        // SAFETY: AVX2 is available (checked at run time just above).
        done = unsafe { x86::swap_in_place_avx2(bytes, itemsize) };
    }
    scalar_swap_in_place(&mut bytes[done..], itemsize);
}

fn scalar_swap_copy(src: &[u8], dst: &mut [u8], itemsize: usize) {
    let whole = src.len() / itemsize * itemsize;
    for (s, d) in src[..whole].chunks_exact(itemsize).zip(dst[..whole].chunks_exact_mut(itemsize)) {
        for (i, byte) in d.iter_mut().enumerate() {
            *byte = s[itemsize - 1 - i];
        }
    }
    dst[whole..].copy_from_slice(&src[whole..]);
}

fn scalar_swap_in_place(bytes: &mut [u8], itemsize: usize) {
    bytes.chunks_exact_mut(itemsize).for_each(|c| c.reverse());
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use std::arch::x86_64::*;

    /// The `vpshufb` control that reverses each `itemsize`-byte group of a 128-bit lane.
    #[target_feature(enable = "avx2")]
    fn reverse_mask(itemsize: usize) -> __m256i {
        let mut mask = [0i8; 32];
        for (i, m) in mask.iter_mut().enumerate() {
            let within = i % 16;
            let start = within / itemsize * itemsize;
            *m = (start + itemsize - 1 - (within - start)) as i8;
        }
        // SAFETY: `mask` is 32 readable bytes.
        unsafe { _mm256_loadu_si256(mask.as_ptr().cast()) }
    }

    /// Swaps whole 32-byte blocks (`itemsize` divides 32); returns the bytes done.
    #[target_feature(enable = "avx2")]
    pub(super) fn swap_copy_avx2(src: &[u8], dst: &mut [u8], itemsize: usize) -> usize {
        let mask = reverse_mask(itemsize);
        let blocks = src.len().min(dst.len()) / 32;
        for (s, d) in src.chunks_exact(32).zip(dst.chunks_exact_mut(32)) {
            // SAFETY: `s` and `d` are 32 bytes each (chunks_exact); the loads and stores are unaligned.
            unsafe {
                let v = _mm256_loadu_si256(s.as_ptr().cast());
                _mm256_storeu_si256(d.as_mut_ptr().cast(), _mm256_shuffle_epi8(v, mask));
            }
        }
        blocks * 32
    }

    /// [`swap_copy_avx2`] in place.
    #[target_feature(enable = "avx2")]
    pub(super) fn swap_in_place_avx2(bytes: &mut [u8], itemsize: usize) -> usize {
        let mask = reverse_mask(itemsize);
        let blocks = bytes.len() / 32;
        for d in bytes.chunks_exact_mut(32) {
            // SAFETY: `d` is 32 bytes (chunks_exact); the load and store are unaligned.
            unsafe {
                let v = _mm256_loadu_si256(d.as_ptr().cast());
                _mm256_storeu_si256(d.as_mut_ptr().cast(), _mm256_shuffle_epi8(v, mask));
            }
        }
        blocks * 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::Rng;

    #[test]
    fn swaps_equal_the_scalar_version() {
        let mut rng = Rng(7);
        for len in [0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 100, 1001, 4096 + 6] {
            let src = rng.bytes(len);
            for itemsize in [1, 2, 3, 4, 8, 16] {
                let mut expected = src.clone();
                if matches!(itemsize, 2 | 4 | 8) {
                    scalar_swap_in_place(&mut expected, itemsize);
                }
                let mut copied = vec![0u8; len];
                swap_copy(&src, &mut copied, itemsize);
                assert_eq!(copied, expected, "swap_copy, {len} bytes, itemsize {itemsize}");
                let mut in_place = src.clone();
                swap_in_place(&mut in_place, itemsize);
                assert_eq!(in_place, expected, "swap_in_place, {len} bytes, itemsize {itemsize}");
            }
        }
    }

    #[test]
    fn swaps_reverse_each_element() {
        let src: Vec<u8> = (0..40).collect();
        let mut out = vec![0u8; 40];
        swap_copy(&src, &mut out, 8);
        assert_eq!(&out[..9], &[7, 6, 5, 4, 3, 2, 1, 0, 15]);
        assert_eq!(&out[32..], &[39, 38, 37, 36, 35, 34, 33, 32]);
        swap_copy(&src, &mut out, 2);
        assert_eq!(&out[30..36], &[31, 30, 33, 32, 35, 34]);
    }
}
