//! float32 -> integer casts as numpy 2.4's x86-64 loops compute them, optionally after fixedscaleoffset's
//! `np.around((x - offset) * scale)`, and that rounding alone into float32.
//!
//! The semantics are those of `codecs/elements.rs` (its `FloatToInt` and `Rint`): truncation to int32
//! with `0x80000000` for NaN and values outside `[-2^31, 2^31)` (`cvttps2dq`), the low bits of that for
//! the 8- and 16-bit types, and for uint32 the rule of numpy's vectorised loop (values from 2^31 are
//! shifted down by 2^31 first). SSE2 has all of it (groups of 4 elements); AVX2, when the CPU has it,
//! does groups of 8; the scalar version does the rest.

/// What is computed from each float32 `x` before it is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum F32Step {
    /// `x` itself (a plain `astype`).
    Identity,
    /// `rint((x - offset) * scale)` in float32: fixedscaleoffset's encode of a float32 array.
    ShiftScaleRint { offset: f32, scale: f32 },
    /// `rint(scale * x) / scale` in float32: quantize's encode of a float32 array.
    ScaleRintDivide { scale: f32 },
}

/// The integer type of the result, each with numpy's x86-64 conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntTarget {
    /// int8 or uint8: the low byte of the int32 conversion.
    Bits8,
    /// int16 or uint16: the low two bytes of the int32 conversion.
    Bits16,
    /// int32.
    I32,
    /// uint32 in the part of the array numpy's compiled loop handles 4 at a time.
    U32Vector,
}

impl IntTarget {
    pub fn size(self) -> usize {
        match self {
            IntTarget::Bits8 => 1,
            IntTarget::Bits16 => 2,
            IntTarget::I32 | IntTarget::U32Vector => 4,
        }
    }
}

/// Converts the little-endian float32s of `src` into `target` integers in `dst` (little-endian), as many
/// as both hold (`min(src.len() / 4, dst.len() / target.size())` elements).
pub fn f32_to_int(src: &[u8], dst: &mut [u8], step: F32Step, target: IntTarget) {
    let count = (src.len() / 4).min(dst.len() / target.size());
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    let done = {
        let (src, dst) = (&src[..count * 4], &mut dst[..count * target.size()]);
        if super::has_avx2() {
            // SAFETY: AVX2 is available (checked at run time just above).
            unsafe { avx2::f32_to_int(src, dst, step, target) }
        } else {
            // SAFETY: SSE2 is part of the x86-64 baseline, always there.
            unsafe { x86::f32_to_int(src, dst, step, target) }
        }
    };
    scalar_f32_to_int(&src[done * 4..count * 4], &mut dst[done * target.size()..count * target.size()], step, target);
}

/// `step` of each little-endian float32 of `src` into `dst` as float32, as many as both hold.
pub fn f32_map(src: &[u8], dst: &mut [u8], step: F32Step) {
    let count = src.len().min(dst.len()) / 4;
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let done = 0;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    let done = if super::has_avx2() {
        // SAFETY: AVX2 is available (checked at run time just above).
        unsafe { avx2::f32_map(&src[..count * 4], &mut dst[..count * 4], step) }
    } else {
        // SAFETY: SSE2 is part of the x86-64 baseline, always there.
        unsafe { x86::f32_map(&src[..count * 4], &mut dst[..count * 4], step) }
    };
    for (s, d) in src[done * 4..count * 4].chunks_exact(4).zip(dst[done * 4..count * 4].chunks_exact_mut(4)) {
        let x = f32::from_le_bytes(s.try_into().expect("4 bytes"));
        d.copy_from_slice(&apply(step, x).to_le_bytes());
    }
}

// ---- scalar versions (non-x86 targets, miri, the last `len % 4` elements) --------------------------------

/// Round half to even the way `codecs/elements.rs` does it (NaN and large values unchanged).
#[inline(always)]
fn rint(x: f32) -> f32 {
    const TWO_23: f32 = 8388608.0;
    if x.abs() < TWO_23 {
        ((x.abs() + TWO_23) - TWO_23).copysign(x)
    } else {
        x
    }
}

/// `cvttss2si` with a 32-bit destination.
#[inline(always)]
fn cvtt32(x: f32) -> i32 {
    if x >= -2147483648.0 && x < 2147483648.0 {
        x as i32
    } else {
        i32::MIN
    }
}

#[inline(always)]
pub(super) fn apply(step: F32Step, x: f32) -> f32 {
    match step {
        F32Step::Identity => x,
        F32Step::ShiftScaleRint { offset, scale } => rint((x - offset) * scale),
        F32Step::ScaleRintDivide { scale } => rint(scale * x) / scale,
    }
}

#[inline(always)]
fn convert(target: IntTarget, x: f32) -> u32 {
    match target {
        IntTarget::U32Vector if x >= 2147483648.0 => (cvtt32(x - 2147483648.0) as u32) ^ 0x8000_0000,
        _ => cvtt32(x) as u32,
    }
}

fn scalar_f32_to_int(src: &[u8], dst: &mut [u8], step: F32Step, target: IntTarget) {
    let size = target.size();
    for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(size)) {
        let x = f32::from_le_bytes(s.try_into().expect("4 bytes"));
        let bits = convert(target, apply(step, x));
        d.copy_from_slice(&bits.to_le_bytes()[..size]);
    }
}

// ---- SSE2 ---------------------------------------------------------------------------------------------

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use super::{F32Step, IntTarget};
    use std::arch::x86_64::*;

    /// [`super::rint`] on 4 lanes: `(|x| + 2^23) - 2^23` with `x`'s sign where `|x| < 2^23`, else `x`.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn rint(x: __m128) -> __m128 {
        let sign = _mm_set1_ps(-0.0);
        let two_23 = _mm_set1_ps(8388608.0);
        let abs = _mm_andnot_ps(sign, x);
        let small = _mm_cmplt_ps(abs, two_23); // false for NaN
        let rounded = _mm_or_ps(_mm_sub_ps(_mm_add_ps(abs, two_23), two_23), _mm_and_ps(x, sign));
        _mm_or_ps(_mm_and_ps(small, rounded), _mm_andnot_ps(small, x))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn apply(step: F32Step, x: __m128) -> __m128 {
        match step {
            F32Step::Identity => x,
            F32Step::ShiftScaleRint { offset, scale } => rint(_mm_mul_ps(_mm_sub_ps(x, _mm_set1_ps(offset)), _mm_set1_ps(scale))),
            F32Step::ScaleRintDivide { scale } => {
                let scale = _mm_set1_ps(scale);
                _mm_div_ps(rint(_mm_mul_ps(scale, x)), scale)
            }
        }
    }

    /// `cvttps2dq` gives exactly [`super::cvtt32`]; for uint32 the values from 2^31 go through it shifted.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn convert(target: IntTarget, x: __m128) -> __m128i {
        if target == IntTarget::U32Vector {
            let two_31 = _mm_set1_ps(2147483648.0);
            let high = _mm_cmpge_ps(x, two_31); // false for NaN
            let shifted = _mm_sub_ps(x, _mm_and_ps(high, two_31));
            _mm_xor_si128(_mm_cvttps_epi32(shifted), _mm_and_si128(_mm_castps_si128(high), _mm_set1_epi32(i32::MIN)))
        } else {
            _mm_cvttps_epi32(x)
        }
    }

    #[inline(always)]
    fn load(chunk: &[u8]) -> __m128 {
        assert!(chunk.len() >= 16);
        // SAFETY: `chunk` has at least 16 readable bytes (checked above); the load is unaligned.
        unsafe { _mm_loadu_ps(chunk.as_ptr().cast()) }
    }

    /// Converts whole groups of 4 elements; returns how many elements it did.
    #[target_feature(enable = "sse2")]
    pub(super) fn f32_to_int(src: &[u8], dst: &mut [u8], step: F32Step, target: IntTarget) -> usize {
        let out = 4 * target.size();
        let groups = (src.len() / 16).min(dst.len() / out);
        for (s, d) in src.chunks_exact(16).zip(dst.chunks_exact_mut(out)).take(groups) {
            let v = convert(target, apply(step, load(s)));
            match target {
                IntTarget::Bits8 => {
                    // Sign-extend the low byte of each lane, so that the saturating packs keep it as is.
                    let low = _mm_srai_epi32::<24>(_mm_slli_epi32::<24>(v));
                    let packed = _mm_packs_epi16(_mm_packs_epi32(low, low), _mm_setzero_si128());
                    d.copy_from_slice(&_mm_cvtsi128_si32(packed).to_le_bytes());
                }
                IntTarget::Bits16 => {
                    let low = _mm_srai_epi32::<16>(_mm_slli_epi32::<16>(v));
                    let packed = _mm_packs_epi32(low, low);
                    d.copy_from_slice(&_mm_cvtsi128_si64(packed).to_le_bytes());
                }
                IntTarget::I32 | IntTarget::U32Vector => {
                    assert!(d.len() >= 16);
                    // SAFETY: `d` has at least 16 writable bytes (checked above); the store is unaligned.
                    unsafe { _mm_storeu_si128(d.as_mut_ptr().cast(), v) }
                }
            }
        }
        groups * 4
    }

    /// [`super::f32_map`] on whole groups of 4; returns how many elements it did.
    #[target_feature(enable = "sse2")]
    pub(super) fn f32_map(src: &[u8], dst: &mut [u8], step: F32Step) -> usize {
        let groups = src.len().min(dst.len()) / 16;
        for (s, d) in src.chunks_exact(16).zip(dst.chunks_exact_mut(16)) {
            let v = apply(step, load(s));
            assert!(d.len() >= 16);
            // SAFETY: `d` has at least 16 writable bytes (checked above); the store is unaligned.
            unsafe { _mm_storeu_ps(d.as_mut_ptr().cast(), v) }
        }
        groups * 4
    }
}

// ---- AVX2: 8 lanes ---------------------------------------------------------------------------------------

#[cfg(all(target_arch = "x86_64", not(miri)))]
pub(super) use avx2::apply as avx2_apply;

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod avx2 {
    use super::{F32Step, IntTarget};
    use std::arch::x86_64::*;

    /// [`super::apply`]. `vroundps` to nearest even gives what [`super::rint`] gives: the same value for
    /// every number (-0.0 included), and any NaN it sees is quiet already (the subtraction or
    /// multiplication before it quiets a signalling NaN), which it returns unchanged, as `rint` does.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(in crate::simd) fn apply(step: F32Step, x: __m256) -> __m256 {
        match step {
            F32Step::Identity => x,
            F32Step::ShiftScaleRint { offset, scale } => {
                let scaled = _mm256_mul_ps(_mm256_sub_ps(x, _mm256_set1_ps(offset)), _mm256_set1_ps(scale));
                _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(scaled)
            }
            F32Step::ScaleRintDivide { scale } => {
                let scale = _mm256_set1_ps(scale);
                let scaled = _mm256_mul_ps(scale, x);
                _mm256_div_ps(_mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(scaled), scale)
            }
        }
    }

    /// `vcvttps2dq`, as the SSE2 version.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn convert(target: IntTarget, x: __m256) -> __m256i {
        if target == IntTarget::U32Vector {
            let two_31 = _mm256_set1_ps(2147483648.0);
            let high = _mm256_cmp_ps::<_CMP_GE_OQ>(x, two_31); // false for NaN
            let shifted = _mm256_sub_ps(x, _mm256_and_ps(high, two_31));
            _mm256_xor_si256(_mm256_cvttps_epi32(shifted), _mm256_and_si256(_mm256_castps_si256(high), _mm256_set1_epi32(i32::MIN)))
        } else {
            _mm256_cvttps_epi32(x)
        }
    }

    #[inline(always)]
    fn load(chunk: &[u8]) -> __m256 {
        assert!(chunk.len() >= 32);
        // SAFETY: `chunk` has at least 32 readable bytes (checked above); the load is unaligned.
        unsafe { _mm256_loadu_ps(chunk.as_ptr().cast()) }
    }

    /// Converts whole groups of 8 elements; returns how many elements it did.
    #[target_feature(enable = "avx2")]
    pub(super) fn f32_to_int(src: &[u8], dst: &mut [u8], step: F32Step, target: IntTarget) -> usize {
        let out = 8 * target.size();
        let groups = (src.len() / 32).min(dst.len() / out);
        for (s, d) in src.chunks_exact(32).zip(dst.chunks_exact_mut(out)).take(groups) {
            let v = convert(target, apply(step, load(s)));
            match target {
                IntTarget::Bits8 => {
                    // Sign-extend the low byte of each lane, so that the saturating packs keep it as is.
                    let low = _mm256_srai_epi32::<24>(_mm256_slli_epi32::<24>(v));
                    let words = _mm_packs_epi32(_mm256_castsi256_si128(low), _mm256_extracti128_si256::<1>(low));
                    d.copy_from_slice(&_mm_cvtsi128_si64(_mm_packs_epi16(words, words)).to_le_bytes());
                }
                IntTarget::Bits16 => {
                    let low = _mm256_srai_epi32::<16>(_mm256_slli_epi32::<16>(v));
                    let words = _mm_packs_epi32(_mm256_castsi256_si128(low), _mm256_extracti128_si256::<1>(low));
                    assert!(d.len() >= 16);
                    // SAFETY: `d` has at least 16 writable bytes (checked above); the store is unaligned.
                    unsafe { _mm_storeu_si128(d.as_mut_ptr().cast(), words) }
                }
                IntTarget::I32 | IntTarget::U32Vector => {
                    assert!(d.len() >= 32);
                    // SAFETY: `d` has at least 32 writable bytes (checked above); the store is unaligned.
                    unsafe { _mm256_storeu_si256(d.as_mut_ptr().cast(), v) }
                }
            }
        }
        groups * 8
    }

    /// [`super::f32_map`] on whole groups of 8; returns how many elements it did.
    #[target_feature(enable = "avx2")]
    pub(super) fn f32_map(src: &[u8], dst: &mut [u8], step: F32Step) -> usize {
        let groups = src.len().min(dst.len()) / 32;
        for (s, d) in src.chunks_exact(32).zip(dst.chunks_exact_mut(32)) {
            let v = apply(step, load(s));
            assert!(d.len() >= 32);
            // SAFETY: `d` has at least 32 writable bytes (checked above); the store is unaligned.
            unsafe { _mm256_storeu_ps(d.as_mut_ptr().cast(), v) }
        }
        groups * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::testing::Rng;

    fn random_f32s(rng: &mut Rng, count: usize) -> Vec<u8> {
        (0..count).flat_map(|_| rng.f32_value().to_le_bytes()).collect()
    }

    const STEPS: [F32Step; 7] = [
        F32Step::Identity,
        F32Step::ShiftScaleRint { offset: 0.0, scale: 2.0 },
        F32Step::ShiftScaleRint { offset: 1.5, scale: 1000.0 },
        F32Step::ShiftScaleRint { offset: -3.25, scale: 0.1 },
        F32Step::ScaleRintDivide { scale: 1000.0 },
        F32Step::ScaleRintDivide { scale: 0.01 },
        F32Step::ScaleRintDivide { scale: f32::INFINITY },
    ];

    #[test]
    fn casts_equal_the_scalar_version() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for count in [0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 33, 1000, 4099] {
            let src = random_f32s(&mut rng, count);
            for step in STEPS {
                for target in [IntTarget::Bits8, IntTarget::Bits16, IntTarget::I32, IntTarget::U32Vector] {
                    let mut fast = vec![0xaa; count * target.size()];
                    let mut slow = vec![0x55; count * target.size()];
                    f32_to_int(&src, &mut fast, step, target);
                    scalar_f32_to_int(&src, &mut slow, step, target);
                    assert_eq!(fast, slow, "{count} elements, {step:?}, {target:?}");
                }
            }
        }
    }

    #[test]
    fn float_maps_equal_the_scalar_version() {
        let mut rng = Rng(12345);
        for count in [0, 1, 3, 4, 5, 9, 1000, 1027] {
            let src = random_f32s(&mut rng, count);
            for step in STEPS {
                let mut fast = vec![0xaa; count * 4];
                f32_map(&src, &mut fast, step);
                let slow: Vec<u8> = src.chunks_exact(4).flat_map(|c| apply(step, f32::from_le_bytes(c.try_into().unwrap())).to_bits().to_le_bytes()).collect();
                assert_eq!(fast, slow, "{count} elements, {step:?}");
            }
        }
    }

    #[test]
    fn numpy_results_on_the_edges() {
        let src: Vec<u8> = [2.5f32, -2.5, 3.5, 70000.7, f32::NAN, 3e9, -1.0, 5e9].iter().flat_map(|x| x.to_le_bytes()).collect();
        let mut out = vec![0u8; 16];
        f32_to_int(&src, &mut out, F32Step::Identity, IntTarget::Bits16);
        let values: Vec<i16> = out.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        // 70000 = 0x11170 keeps its low 16 bits; NaN and 3e9 give the low half of 0x80000000.
        assert_eq!(values, [2, -2, 3, 0x1170, 0, 0, -1, 0]);
        let mut out = vec![0u8; 32];
        f32_to_int(&src, &mut out, F32Step::Identity, IntTarget::U32Vector);
        let values: Vec<u32> = out.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(values, [2, 0xffff_fffe, 3, 70000, 1 << 31, 3_000_000_000, u32::MAX, 0]);
        let mut out = vec![0u8; 8];
        f32_to_int(&src, &mut out, F32Step::ShiftScaleRint { offset: 0.0, scale: 1.0 }, IntTarget::Bits8);
        assert_eq!(out, [2, 0xfe, 4, 0x71, 0, 0, 0xff, 0], "round half to even before the cast");
    }
}
