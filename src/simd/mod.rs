//! Hand-written x86-64 SIMD kernels for the filters' hot loops, behind safe slice-in, slice-out functions.
//!
//! `codecs/` forbids `unsafe`, and some of its loops do not vectorise well on their own: numpy's x86
//! float -> integer casts (out-of-range values and NaN give `cvttps2dq`'s `0x80000000`, which Rust's
//! saturating `as` does not), and byte permutations that need `pshufb`, which the x86-64 baseline (SSE2)
//! lacks. The kernels here do exactly what the scalar code in `codecs/elements.rs` specifies, bit for bit;
//! the unit tests compare each against a scalar version on random inputs that include NaN, infinities,
//! out-of-range values and lengths that are not a multiple of the vector width.
//!
//! Every public function works on any target: on x86-64 it uses SSE2 (always present) or AVX2 (detected
//! at run time; `is_x86_feature_detected!` caches its answer), elsewhere, and under miri (which cannot
//! interpret these intrinsics), it runs its scalar version.

pub(crate) mod bswap;
pub(crate) mod cast;
pub(crate) mod half;
pub(crate) mod packbits;
pub(crate) mod shuffle;
pub(crate) mod sums;

/// Whether AVX2 is there (x86-64 only; std caches the answer of the first call).
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline]
fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2")
}

/// Whether AVX2 and F16C (the float16 conversions) are there.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline]
fn has_avx2_f16c() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("f16c")
}

#[cfg(test)]
pub(crate) mod testing {
    /// A small deterministic generator (xorshift64*), so that failing inputs can be reproduced.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        pub fn bytes(&mut self, len: usize) -> Vec<u8> {
            (0..len).map(|_| self.next() as u8).collect()
        }
        /// float32s that exercise a cast: small values around ties, values near the int8/16/32 and
        /// uint32 bounds, huge values, infinities, NaNs (quiet, signalling, negative) and random bits.
        pub fn f32_value(&mut self) -> f32 {
            const SPECIAL: &[f32] = &[
                0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 127.5, 128.0, -129.0, 255.5, 256.0, 32767.5, 32768.0,
                -32769.0, 65535.0, 65536.0, 2147483520.0, 2147483648.0, -2147483648.0, -2147483904.0,
                4294967040.0, 4294967296.0, 8388607.5, 8388608.0, -8388609.0, 1e20, -1e20, 3.4e38,
                f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MIN_POSITIVE, 1e-40,
            ];
            match self.next() % 8 {
                0 => SPECIAL[(self.next() % SPECIAL.len() as u64) as usize],
                1 => f32::from_bits(self.next() as u32),
                2 => f32::from_bits(0x7f80_0001 | (self.next() as u32 & 0x807f_ffff)), // NaNs, signalling too
                3 => (self.next() % 20001) as f32 / 4.0 - 2500.0, // quarters: exact ties
                4 => (self.next() as i64 >> (self.next() % 64)) as f32,
                _ => (self.next() as i32 >> (self.next() % 32)) as f32 * 1.25,
            }
        }
    }
}
