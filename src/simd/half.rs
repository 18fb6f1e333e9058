//! float32 <-> float16 conversions as numpy computes them (`npy_floatbits_to_halfbits`,
//! `npy_halfbits_to_floatbits`; scalar versions in `codecs/elements.rs`), with F16C's `vcvtps2ph` /
//! `vcvtph2ps` 8 at a time.
//!
//! numpy's routines round to nearest even, produce subnormals and overflow to infinity exactly as IEEE
//! (and so F16C) does; they differ from the hardware only on NaNs: numpy keeps a signalling NaN's
//! payload as it is, F16C quiets it. So a group of 8 that holds a NaN is redone by the scalar routine,
//! which costs nothing on data without NaNs. The float32 side may first go through a [`F32Step`]
//! (quantize's `rint(scale * x) / scale` before its cast to float16).

use super::cast::F32Step;
use crate::codecs::elements::{float_to_half_bits, half_to_float_bits};

/// `float_to_half_bits(step(x))` of each little-endian float32 of `src` into `dst` (little-endian
/// float16 bits), as many as both hold.
pub fn f32_to_f16(src: &[u8], dst: &mut [u8], step: F32Step) {
    let count = (src.len() / 4).min(dst.len() / 2);
    let (src, dst) = (&src[..count * 4], &mut dst[..count * 2]);
    #[allow(unused_mut)]
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if super::has_avx2_f16c() {
        // SAFETY: AVX2 and F16C are available (checked at run time just above).
        done = unsafe { x86::f32_to_f16(src, dst, step) };
    }
    for (s, d) in src[done * 4..].chunks_exact(4).zip(dst[done * 2..].chunks_exact_mut(2)) {
        let x = super::cast::apply(step, f32::from_le_bytes(s.try_into().expect("4 bytes")));
        d.copy_from_slice(&float_to_half_bits(x.to_bits()).to_le_bytes());
    }
}

/// `half_to_float_bits` of each little-endian float16 of `src` into `dst` (little-endian float32), as
/// many as both hold.
pub fn f16_to_f32(src: &[u8], dst: &mut [u8]) {
    let count = (src.len() / 2).min(dst.len() / 4);
    let (src, dst) = (&src[..count * 2], &mut dst[..count * 4]);
    #[allow(unused_mut)]
    let mut done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    if super::has_avx2_f16c() {
        // SAFETY: AVX2 and F16C are available (checked at run time just above).
        done = unsafe { x86::f16_to_f32(src, dst) };
    }
    scalar_f16_to_f32(&src[done * 2..], &mut dst[done * 4..]);
}

fn scalar_f16_to_f32(src: &[u8], dst: &mut [u8]) {
    for (s, d) in src.chunks_exact(2).zip(dst.chunks_exact_mut(4)) {
        d.copy_from_slice(&half_to_float_bits(u16::from_le_bytes([s[0], s[1]])).to_le_bytes());
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use super::super::cast::{avx2_apply, F32Step};
    use crate::codecs::elements::float_to_half_bits;
    use std::arch::x86_64::*;

    /// Whole groups of 8; returns how many elements it did.
    #[target_feature(enable = "avx2,f16c")]
    pub(super) fn f32_to_f16(src: &[u8], dst: &mut [u8], step: F32Step) -> usize {
        let groups = (src.len() / 32).min(dst.len() / 16);
        for (s, d) in src.chunks_exact(32).zip(dst.chunks_exact_mut(16)) {
            assert!(s.len() == 32 && d.len() == 16);
            // SAFETY: `s` has 32 readable bytes (checked above); the load is unaligned.
            let x = avx2_apply(step, unsafe { _mm256_loadu_ps(s.as_ptr().cast()) });
            let halves = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(x);
            // SAFETY: `d` has 16 writable bytes (checked above); the store is unaligned.
            unsafe { _mm_storeu_si128(d.as_mut_ptr().cast(), halves) };
            if _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_UNORD_Q>(x, x)) != 0 {
                let mut values = [0f32; 8];
                // SAFETY: `values` is 32 writable bytes; the store is unaligned.
                unsafe { _mm256_storeu_ps(values.as_mut_ptr(), x) };
                for (value, out) in values.iter().zip(d.chunks_exact_mut(2)) {
                    out.copy_from_slice(&float_to_half_bits(value.to_bits()).to_le_bytes());
                }
            }
        }
        groups * 8
    }

    /// Whole groups of 8; returns how many elements it did.
    #[target_feature(enable = "avx2,f16c")]
    pub(super) fn f16_to_f32(src: &[u8], dst: &mut [u8]) -> usize {
        let groups = (src.len() / 16).min(dst.len() / 32);
        let magnitude = _mm_set1_epi16(0x7fff);
        let infinity = _mm_set1_epi16(0x7c00);
        for (s, d) in src.chunks_exact(16).zip(dst.chunks_exact_mut(32)) {
            assert!(s.len() == 16 && d.len() == 32);
            // SAFETY: `s` has 16 readable bytes (checked above); the load is unaligned.
            let halves = unsafe { _mm_loadu_si128(s.as_ptr().cast()) };
            // NaN: magnitude above infinity's (a signed compare is fine on 15-bit values).
            if _mm_movemask_epi8(_mm_cmpgt_epi16(_mm_and_si128(halves, magnitude), infinity)) != 0 {
                super::scalar_f16_to_f32(s, d);
            } else {
                // SAFETY: `d` has 32 writable bytes (checked above); the store is unaligned.
                unsafe { _mm256_storeu_ps(d.as_mut_ptr().cast(), _mm256_cvtph_ps(halves)) };
            }
        }
        groups * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::Rng;

    #[test]
    fn every_float16_widens_as_numpy_does() {
        // All 65536 bit patterns, at every alignment and with a tail that is not a whole group.
        let all: Vec<u8> = (0..=u16::MAX).flat_map(|h| h.to_le_bytes()).collect();
        for skip in 0..9 {
            let src = &all[skip * 2..];
            let mut fast = vec![0xaa; src.len() * 2 + 1];
            f16_to_f32(src, &mut fast[1..]);
            let mut slow = vec![0x55; src.len() * 2];
            scalar_f16_to_f32(src, &mut slow);
            assert!(fast[1..] == slow[..], "skipping {skip} elements");
        }
    }

    #[test]
    fn float32_narrows_as_numpy_does() {
        // A sweep over the float32 bit patterns (every exponent, sign, NaN kinds, ties: the stride keeps
        // low mantissa bits varied), then random values and lengths.
        let mut rng = Rng(0x5151_f00d);
        let mut values: Vec<u32> = (0..=u32::MAX).step_by(997).collect();
        values.extend([0x7f80_0001, 0xff80_2000, 0x7fc0_0000, 0x3300_0000, 0x3300_0001, 0x477f_f000, 0x477f_efff, 0x3880_1000]);
        values.extend((0..10_000).map(|_| rng.f32_value().to_bits()));
        let src: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let steps = [F32Step::Identity, F32Step::ScaleRintDivide { scale: 1024.0 }, F32Step::ScaleRintDivide { scale: 0.125 }];
        for step in steps {
            for (skip, len) in [(0, values.len()), (1, 7), (3, 8), (5, 9), (2, 17), (7, 1000)] {
                let src = &src[skip * 4..(skip + len) * 4];
                let mut fast = vec![0xaa; len * 2];
                f32_to_f16(src, &mut fast, step);
                let slow: Vec<u8> = src
                    .chunks_exact(4)
                    .flat_map(|c| float_to_half_bits(crate::simd::cast::apply(step, f32::from_le_bytes(c.try_into().unwrap())).to_bits()).to_le_bytes())
                    .collect();
                assert!(fast == slow, "{step:?}, {len} elements from {skip}");
            }
        }
    }
}
