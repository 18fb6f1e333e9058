//! NumPy's numeric element types and the arithmetic and casts the numeric filters (`delta`,
//! `fixedscaleoffset`, `quantize`, `astype`; see numeric.rs) need, bit for bit as numpy 2.4 on x86-64
//! computes them.
//!
//! Kernels are generic over an [`Element`] and monomorphised per type (the [`with_element!`] macro picks the
//! type from a runtime [`Kind`]), so each loop is a plain `chunks_exact` + `from_le_bytes` loop that the
//! compiler vectorises. They work on little-endian bytes only: big-endian data is byte-swapped before and
//! after (see [`to_little_endian`], [`swap_in_place`], [`swap_copy`]; AVX2 in `crate::simd::bswap`).
//!
//! What numpy does that plain Rust does not:
//! - float16 (`F16`) arithmetic goes through float32 and rounds back (numpy's `npy_half` loops), and the
//!   float16 conversions are numpy's own software routines (`npy_floatbits_to_halfbits`,
//!   `npy_doublebits_to_halfbits`, ...), which keep a NaN's payload instead of quieting it.
//! - float -> integer casts are C casts compiled for x86-64, so out-of-range values and NaN give the
//!   SSE "integer indefinite" value (`cvttsd2si`) and whatever the compiler built on it, not Rust's
//!   saturation: to `int8`/`int16`/`uint8`/`uint16` via a 32-bit conversion then truncation, `uint64`
//!   via GCC's `x >= 2^63` split. float32/float64 -> `uint32` is vectorised by the compiler in groups of
//!   4 elements with a different out-of-range result than the scalar remainder (`n % 4` last elements);
//!   [`Element::from_wide`]'s `vector_lane` selects which. The fixtures pin all of this.
//! - Integer arithmetic wraps; bool `-` does not exist (numpy raises) and np.diff of bools is `!=`.

use std::borrow::Cow;

pub use crate::simd::cast::F32Step;
use crate::simd::cast::{f32_to_int, IntTarget};

/// The numeric dtypes the filters handle (numpy kind + itemsize); byte order is kept separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F16,
    F32,
    F64,
}

impl Kind {
    /// The kind of a numpy dtype kind character and itemsize, if it is one of ours.
    pub fn from_numpy(kind: char, itemsize: usize) -> Option<Kind> {
        Some(match (kind, itemsize) {
            ('b', 1) => Kind::Bool,
            ('i', 1) => Kind::I8,
            ('u', 1) => Kind::U8,
            ('i', 2) => Kind::I16,
            ('u', 2) => Kind::U16,
            ('i', 4) => Kind::I32,
            ('u', 4) => Kind::U32,
            ('i', 8) => Kind::I64,
            ('u', 8) => Kind::U64,
            ('f', 2) => Kind::F16,
            ('f', 4) => Kind::F32,
            ('f', 8) => Kind::F64,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Kind::Bool | Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 | Kind::F16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Kind::F16 | Kind::F32 | Kind::F64)
    }

    pub fn is_signed_int(self) -> bool {
        matches!(self, Kind::I8 | Kind::I16 | Kind::I32 | Kind::I64)
    }

    /// The range of an integer kind (bool: 0..=1), for numpy's "Python integer out of bounds" check.
    pub fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Kind::Bool => (0, 1),
            Kind::I8 => (i8::MIN as i128, i8::MAX as i128),
            Kind::U8 => (0, u8::MAX as i128),
            Kind::I16 => (i16::MIN as i128, i16::MAX as i128),
            Kind::U16 => (0, u16::MAX as i128),
            Kind::I32 => (i32::MIN as i128, i32::MAX as i128),
            Kind::U32 => (0, u32::MAX as i128),
            Kind::I64 => (i64::MIN as i128, i64::MAX as i128),
            Kind::U64 => (0, u64::MAX as i128),
            Kind::F16 | Kind::F32 | Kind::F64 => return None,
        })
    }

    /// numpy's type promotion (`np.result_type`) of two of our kinds.
    pub fn promote(a: Kind, b: Kind) -> Kind {
        use Kind::*;
        if a == b {
            return a;
        }
        match (a, b) {
            (Bool, other) | (other, Bool) => other,
            (x, y) if x.is_float() && y.is_float() => if x.size() >= y.size() { x } else { y },
            (f, i) | (i, f) if f.is_float() => {
                // An integer needs a float with more mantissa bits than it has bits: (u)int8 -> f2,
                // (u)int16 -> f4, wider -> f8; the wider of that and the float wins.
                let needed = match i.size() {
                    1 => F16,
                    2 => F32,
                    _ => F64,
                };
                if needed.size() >= f.size() { needed } else { f }
            }
            (x, y) if x.is_signed_int() == y.is_signed_int() => if x.size() >= y.size() { x } else { y },
            (s, u) | (u, s) if s.is_signed_int() => {
                if s.size() > u.size() {
                    s
                } else {
                    match u.size() {
                        1 => I16,
                        2 => I32,
                        4 => I64,
                        _ => F64,
                    }
                }
            }
            _ => unreachable!("every pair of kinds is covered"),
        }
    }
}

/// Calls `$body` with `$T` bound to the element type of the runtime [`Kind`] `$kind`.
macro_rules! with_element {
    ($kind:expr, $T:ident => $body:expr) => {{
        use $crate::codecs::elements::{Bool, Kind, F16};
        match $kind {
            Kind::Bool => {
                type $T = Bool;
                $body
            }
            Kind::I8 => {
                type $T = i8;
                $body
            }
            Kind::U8 => {
                type $T = u8;
                $body
            }
            Kind::I16 => {
                type $T = i16;
                $body
            }
            Kind::U16 => {
                type $T = u16;
                $body
            }
            Kind::I32 => {
                type $T = i32;
                $body
            }
            Kind::U32 => {
                type $T = u32;
                $body
            }
            Kind::I64 => {
                type $T = i64;
                $body
            }
            Kind::U64 => {
                type $T = u64;
                $body
            }
            Kind::F16 => {
                type $T = F16;
                $body
            }
            Kind::F32 => {
                type $T = f32;
                $body
            }
            Kind::F64 => {
                type $T = f64;
                $body
            }
        }
    }};
}
pub(crate) use with_element;

/// [`with_element!`] for the float kinds only (`quantize`); other kinds are refused at construction.
macro_rules! with_float_element {
    ($kind:expr, $T:ident => $body:expr) => {{
        use $crate::codecs::elements::{Kind, F16};
        match $kind {
            Kind::F16 => {
                type $T = F16;
                $body
            }
            Kind::F32 => {
                type $T = f32;
                $body
            }
            _ => {
                type $T = f64;
                $body
            }
        }
    }};
}
pub(crate) use with_float_element;

/// A value on its way from one element type to another: what a numpy cast reads from the source.
#[derive(Debug, Clone, Copy)]
pub enum Wide {
    /// bool and every integer type but uint64.
    Int(i64),
    UInt(u64),
    /// float16 bits (numpy converts them to other floats keeping the NaN payload).
    Half(u16),
    Single(f32),
    Double(f64),
}

impl Wide {
    /// The value as a float64 (exact for everything but large 64-bit integers, which round).
    #[inline(always)]
    pub fn to_f64(self) -> f64 {
        match self {
            Wide::Int(v) => v as f64,
            Wide::UInt(v) => v as f64,
            Wide::Half(h) => f64::from_bits(half_to_double_bits(h)),
            Wide::Single(x) => x as f64,
            Wide::Double(x) => x,
        }
    }
}

/// numpy's bool: one byte; any non-zero byte is true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bool(pub bool);

/// numpy's float16, as its bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct F16(pub u16);

impl F16 {
    #[inline(always)]
    pub fn to_f32(self) -> f32 {
        f32::from_bits(half_to_float_bits(self.0))
    }
    #[inline(always)]
    pub fn from_f32(x: f32) -> F16 {
        F16(float_to_half_bits(x.to_bits()))
    }
    #[inline(always)]
    pub fn from_f64(x: f64) -> F16 {
        F16(double_to_half_bits(x.to_bits()))
    }
}

/// One numpy element type: little-endian load/store, numpy's casts and the arithmetic of its ufunc loops.
pub trait Element: Copy + Default + 'static {
    const KIND: Kind;
    const SIZE: usize;
    /// Reads one element from exactly `SIZE` little-endian bytes.
    fn load(bytes: &[u8]) -> Self;
    /// Writes one element to exactly `SIZE` bytes, little-endian.
    fn store(self, bytes: &mut [u8]);
    fn to_wide(self) -> Wide;
    /// numpy's `astype` of `value` to this type. `vector_lane`: the element is in the part of the array
    /// numpy's compiled loop handles 4 at a time (it matters only for float -> uint32, see the module doc).
    fn from_wide(value: Wide, vector_lane: bool) -> Self;
    /// numpy's `a - b` (wrapping for integers). Bool has no subtraction; np.diff uses `!=` for it.
    fn sub(self, other: Self) -> Self;
    /// numpy's `a + b` (wrapping for integers, logical or for bool).
    fn add(self, other: Self) -> Self;
    /// numpy's `a * b` (wrapping for integers, logical and for bool).
    fn mul(self, other: Self) -> Self;
    /// numpy's `a / b` for floats (integers never divide here: numpy's true_divide gives float64).
    fn div(self, other: Self) -> Self;
    /// `np.rint` (round half to even); the identity for integers.
    fn rint(self) -> Self;
    /// A Python float converted to this float type (numpy's weak-scalar conversion); integers: unused.
    fn from_py_float(x: f64) -> Self;
}

macro_rules! int_element {
    ($t:ty, $kind:ident, $wide:ident) => {
        impl Element for $t {
            const KIND: Kind = Kind::$kind;
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline(always)]
            fn load(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("SIZE bytes"))
            }
            #[inline(always)]
            fn store(self, bytes: &mut [u8]) {
                bytes.copy_from_slice(&self.to_le_bytes());
            }
            #[inline(always)]
            fn to_wide(self) -> Wide {
                Wide::$wide(self as _)
            }
            #[inline(always)]
            fn from_wide(value: Wide, vector_lane: bool) -> Self {
                match value {
                    Wide::Int(v) => v as $t,
                    Wide::UInt(v) => v as $t,
                    Wide::Half(h) => float_to_int::<$t>(F16(h).to_f32() as f64, false),
                    Wide::Single(x) => <$t as FloatToInt>::from_single(x, vector_lane),
                    Wide::Double(x) => float_to_int::<$t>(x, vector_lane),
                }
            }
            #[inline(always)]
            fn sub(self, other: Self) -> Self {
                self.wrapping_sub(other)
            }
            #[inline(always)]
            fn add(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
            #[inline(always)]
            fn mul(self, other: Self) -> Self {
                self.wrapping_mul(other)
            }
            #[inline(always)]
            fn div(self, other: Self) -> Self {
                // Not reached: integer true division happens in float64. Wrapping, so it cannot panic.
                if other == 0 { 0 } else { self.wrapping_div(other) }
            }
            #[inline(always)]
            fn rint(self) -> Self {
                self
            }
            #[inline(always)]
            fn from_py_float(x: f64) -> Self {
                float_to_int::<$t>(x, false)
            }
        }
    };
}

int_element!(i8, I8, Int);
int_element!(u8, U8, Int);
int_element!(i16, I16, Int);
int_element!(u16, U16, Int);
int_element!(i32, I32, Int);
int_element!(u32, U32, Int);
int_element!(i64, I64, Int);
int_element!(u64, U64, UInt);

/// The integer types a float can be cast to, with numpy's x86-64 C-cast semantics.
pub trait FloatToInt: Sized {
    fn from_float(x: f64, vector_lane: bool) -> Self;
    /// The same from a float32, compared in float32 so that the loop vectorises at float32 width (every
    /// bound is a power of two, exact in float32, so the results are those of `from_float`).
    fn from_single(x: f32, vector_lane: bool) -> Self;
}

/// [`cvtt32`] for a float32.
#[inline(always)]
fn cvtt32_single(x: f32) -> i32 {
    if x >= -2147483648.0 && x < 2147483648.0 {
        x as i32
    } else {
        i32::MIN
    }
}

/// [`cvtt64`] for a float32.
#[inline(always)]
fn cvtt64_single(x: f32) -> i64 {
    if x >= -9223372036854775808.0 && x < 9223372036854775808.0 {
        x as i64
    } else {
        i64::MIN
    }
}

/// `cvttsd2si` with a 32-bit destination: truncation, or `i32::MIN` for NaN and out-of-range values.
#[inline(always)]
fn cvtt32(x: f64) -> i32 {
    if x > -2147483649.0 && x < 2147483648.0 {
        x as i32
    } else {
        i32::MIN
    }
}

/// `cvttsd2si` with a 64-bit destination: truncation, or `i64::MIN` for NaN and out-of-range values.
#[inline(always)]
fn cvtt64(x: f64) -> i64 {
    if x >= -9223372036854775808.0 && x < 9223372036854775808.0 {
        x as i64
    } else {
        i64::MIN
    }
}

macro_rules! narrow_float_to_int {
    ($($t:ty),*) => {$(
        impl FloatToInt for $t {
            /// GCC converts to a 32-bit int and keeps the low bits.
            #[inline(always)]
            fn from_float(x: f64, _vector_lane: bool) -> Self {
                cvtt32(x) as $t
            }
            #[inline(always)]
            fn from_single(x: f32, _vector_lane: bool) -> Self {
                cvtt32_single(x) as $t
            }
        }
    )*};
}
narrow_float_to_int!(i8, u8, i16, u16, i32);

impl FloatToInt for u32 {
    #[inline(always)]
    fn from_float(x: f64, vector_lane: bool) -> Self {
        if vector_lane {
            // The vectorised loop: values from 2^31 are shifted down by 2^31 into int32 range.
            if x >= 2147483648.0 {
                (cvtt32(x - 2147483648.0) as u32) ^ 0x8000_0000
            } else {
                cvtt32(x) as u32
            }
        } else {
            // The scalar remainder: a 64-bit conversion, low 32 bits kept.
            cvtt64(x) as u32
        }
    }
    #[inline(always)]
    fn from_single(x: f32, vector_lane: bool) -> Self {
        if vector_lane {
            if x >= 2147483648.0 {
                (cvtt32_single(x - 2147483648.0) as u32) ^ 0x8000_0000
            } else {
                cvtt32_single(x) as u32
            }
        } else {
            cvtt64_single(x) as u32
        }
    }
}

impl FloatToInt for i64 {
    #[inline(always)]
    fn from_float(x: f64, _vector_lane: bool) -> Self {
        cvtt64(x)
    }
    #[inline(always)]
    fn from_single(x: f32, _vector_lane: bool) -> Self {
        cvtt64_single(x)
    }
}

impl FloatToInt for u64 {
    /// GCC's sequence: values from 2^63 are shifted down by 2^63 and the top bit set back.
    #[inline(always)]
    fn from_float(x: f64, _vector_lane: bool) -> Self {
        if x >= 9223372036854775808.0 {
            (cvtt64(x - 9223372036854775808.0) as u64) ^ (1 << 63)
        } else {
            cvtt64(x) as u64
        }
    }
    #[inline(always)]
    fn from_single(x: f32, _vector_lane: bool) -> Self {
        if x >= 9223372036854775808.0 {
            (cvtt64_single(x - 9223372036854775808.0) as u64) ^ (1 << 63)
        } else {
            cvtt64_single(x) as u64
        }
    }
}

#[inline(always)]
fn float_to_int<T: FloatToInt>(x: f64, vector_lane: bool) -> T {
    T::from_float(x, vector_lane)
}

impl Element for Bool {
    const KIND: Kind = Kind::Bool;
    const SIZE: usize = 1;
    #[inline(always)]
    fn load(bytes: &[u8]) -> Self {
        Bool(bytes[0] != 0)
    }
    #[inline(always)]
    fn store(self, bytes: &mut [u8]) {
        bytes[0] = self.0 as u8;
    }
    #[inline(always)]
    fn to_wide(self) -> Wide {
        Wide::Int(self.0 as i64)
    }
    #[inline(always)]
    fn from_wide(value: Wide, _vector_lane: bool) -> Self {
        Bool(match value {
            Wide::Int(v) => v != 0,
            Wide::UInt(v) => v != 0,
            Wide::Half(h) => h & 0x7fff != 0,
            // NaN is true (NaN != 0).
            Wide::Single(x) => x != 0.0,
            Wide::Double(x) => x != 0.0,
        })
    }
    /// np.diff of booleans: `a != b`.
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Bool(self.0 != other.0)
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Bool(self.0 | other.0)
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Bool(self.0 & other.0)
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        Bool(self.0 & other.0)
    }
    #[inline(always)]
    fn rint(self) -> Self {
        self
    }
    #[inline(always)]
    fn from_py_float(x: f64) -> Self {
        Bool(x != 0.0)
    }
}

impl Element for F16 {
    const KIND: Kind = Kind::F16;
    const SIZE: usize = 2;
    #[inline(always)]
    fn load(bytes: &[u8]) -> Self {
        F16(u16::from_le_bytes(bytes.try_into().expect("2 bytes")))
    }
    #[inline(always)]
    fn store(self, bytes: &mut [u8]) {
        bytes.copy_from_slice(&self.0.to_le_bytes());
    }
    #[inline(always)]
    fn to_wide(self) -> Wide {
        Wide::Half(self.0)
    }
    #[inline(always)]
    fn from_wide(value: Wide, _vector_lane: bool) -> Self {
        match value {
            Wide::Int(v) => F16::from_f64(v as f64),
            Wide::UInt(v) => F16::from_f64(v as f64),
            Wide::Half(h) => F16(h),
            Wide::Single(x) => F16::from_f32(x),
            Wide::Double(x) => F16::from_f64(x),
        }
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        F16::from_f32(self.to_f32() - other.to_f32())
    }
    /// numpy's compiled float16 add returns the second operand's NaN when both are NaN.
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        F16::from_f32(add_nan_first(other.to_f32(), self.to_f32()))
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        F16::from_f32(self.to_f32() * other.to_f32())
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        F16::from_f32(self.to_f32() / other.to_f32())
    }
    #[inline(always)]
    fn rint(self) -> Self {
        F16::from_f32(Rint::rint(self.to_f32()))
    }
    #[inline(always)]
    fn from_py_float(x: f64) -> Self {
        F16::from_f64(x)
    }
}

macro_rules! float_element {
    ($t:ty, $kind:ident, $wide:ident) => {
        impl Element for $t {
            const KIND: Kind = Kind::$kind;
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline(always)]
            fn load(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("SIZE bytes"))
            }
            #[inline(always)]
            fn store(self, bytes: &mut [u8]) {
                bytes.copy_from_slice(&self.to_le_bytes());
            }
            #[inline(always)]
            fn to_wide(self) -> Wide {
                Wide::$wide(self)
            }
            #[inline(always)]
            fn from_wide(value: Wide, _vector_lane: bool) -> Self {
                match value {
                    Wide::Int(v) => v as $t,
                    Wide::UInt(v) => v as $t,
                    // float16 widens exactly, NaN payload kept (numpy's npy_halfbits_to_*bits).
                    Wide::Half(h) => half_to::<$t>(h),
                    // f64 -> f32 rounds to nearest even (and quiets NaN) like the C cast numpy uses.
                    Wide::Single(x) => x as $t,
                    Wide::Double(x) => x as $t,
                }
            }
            #[inline(always)]
            fn sub(self, other: Self) -> Self {
                self - other
            }
            /// numpy's float32/float64 accumulate returns the first operand's NaN when both are NaN.
            #[inline(always)]
            fn add(self, other: Self) -> Self {
                add_nan_first(self, other)
            }
            #[inline(always)]
            fn mul(self, other: Self) -> Self {
                self * other
            }
            #[inline(always)]
            fn div(self, other: Self) -> Self {
                self / other
            }
            #[inline(always)]
            fn rint(self) -> Self {
                Rint::rint(self)
            }
            #[inline(always)]
            fn from_py_float(x: f64) -> Self {
                x as $t
            }
        }
    };
}
/// `a + b` as x86's `addss`/`addsd` computes it with `a` as the first source: a NaN operand is returned
/// quieted, `a` when both are NaN. Explicit, because LLVM may swap the operands of a commutative add.
#[inline(always)]
fn add_nan_first<T: Float>(a: T, b: T) -> T {
    if a.is_nan_value() {
        a.quieted()
    } else if b.is_nan_value() {
        b.quieted()
    } else {
        a.plus(b)
    }
}

trait Float: Copy {
    fn is_nan_value(self) -> bool;
    fn quieted(self) -> Self;
    fn plus(self, other: Self) -> Self;
}
impl Float for f32 {
    fn is_nan_value(self) -> bool {
        self.is_nan()
    }
    fn quieted(self) -> Self {
        f32::from_bits(self.to_bits() | 0x0040_0000)
    }
    fn plus(self, other: Self) -> Self {
        self + other
    }
}
impl Float for f64 {
    fn is_nan_value(self) -> bool {
        self.is_nan()
    }
    fn quieted(self) -> Self {
        f64::from_bits(self.to_bits() | 0x0008_0000_0000_0000)
    }
    fn plus(self, other: Self) -> Self {
        self + other
    }
}

float_element!(f32, F32, Single);
float_element!(f64, F64, Double);

/// Round half to even, as `np.rint`. `round_ties_even` is a libm call on x86-64 without SSE4.1 (one
/// call per element, no vectorisation); adding and subtracting 2^(mantissa bits) rounds the same way in
/// the default rounding mode, and values that large are integers already (NaN and infinities included).
trait Rint {
    fn rint(self) -> Self;
}
impl Rint for f32 {
    #[inline(always)]
    fn rint(self) -> Self {
        const TWO_23: f32 = 8388608.0;
        if self.abs() < TWO_23 {
            ((self.abs() + TWO_23) - TWO_23).copysign(self)
        } else {
            self
        }
    }
}
impl Rint for f64 {
    #[inline(always)]
    fn rint(self) -> Self {
        const TWO_52: f64 = 4503599627370496.0;
        if self.abs() < TWO_52 {
            ((self.abs() + TWO_52) - TWO_52).copysign(self)
        } else {
            self
        }
    }
}

trait FromHalf {
    fn from_half(h: u16) -> Self;
}
impl FromHalf for f32 {
    fn from_half(h: u16) -> Self {
        f32::from_bits(half_to_float_bits(h))
    }
}
impl FromHalf for f64 {
    fn from_half(h: u16) -> Self {
        f64::from_bits(half_to_double_bits(h))
    }
}
#[inline(always)]
fn half_to<T: FromHalf>(h: u16) -> T {
    T::from_half(h)
}

// ---- numpy's float16 conversions (numpy/_core/src/npymath/halffloat.cpp, round half to even) ------------

/// `npy_halfbits_to_floatbits`: exact; NaN payloads are shifted, not quieted.
#[inline]
pub fn half_to_float_bits(h: u16) -> u32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    match h & 0x7c00 {
        0 => {
            // Zero or subnormal: exactly representable as a float32 (sig * 2^-24).
            let magnitude = (h & 0x03ff) as f32 * (1.0 / 16777216.0);
            sign | magnitude.to_bits()
        }
        0x7c00 => sign | 0x7f80_0000 | ((h & 0x03ff) << 13),
        _ => sign | (((h & 0x7fff) + 0x1c000) << 13),
    }
}

/// `npy_halfbits_to_doublebits`.
#[inline]
pub fn half_to_double_bits(h: u16) -> u64 {
    let h = h as u64;
    let sign = (h & 0x8000) << 48;
    match h & 0x7c00 {
        0 => sign | ((h & 0x03ff) as f64 * (1.0 / 16777216.0)).to_bits(),
        0x7c00 => sign | 0x7ff0_0000_0000_0000 | ((h & 0x03ff) << 42),
        _ => sign | (((h & 0x7fff) + 0xfc000) << 42),
    }
}

/// `npy_floatbits_to_halfbits`.
#[inline]
pub fn float_to_half_bits(f: u32) -> u16 {
    let h_sgn = ((f & 0x8000_0000) >> 16) as u16;
    let f_exp = f & 0x7f80_0000;
    if f_exp >= 0x4780_0000 {
        if f_exp == 0x7f80_0000 {
            let f_sig = f & 0x007f_ffff;
            if f_sig != 0 {
                // NaN: keep the top of the payload, but make sure it stays a NaN.
                let mut ret = (0x7c00 + (f_sig >> 13)) as u16;
                if ret == 0x7c00 {
                    ret += 1;
                }
                return h_sgn + ret;
            }
        }
        return h_sgn + 0x7c00;
    }
    if f_exp <= 0x3800_0000 {
        if f_exp < 0x3300_0000 {
            return h_sgn;
        }
        let f_exp = f_exp >> 23;
        let mut f_sig = 0x0080_0000 + (f & 0x007f_ffff);
        f_sig >>= 113 - f_exp;
        if (f_sig & 0x3fff) != 0x1000 || (f & 0x7ff) != 0 {
            f_sig += 0x1000;
        }
        return h_sgn + (f_sig >> 13) as u16;
    }
    let h_exp = ((f_exp - 0x3800_0000) >> 13) as u16;
    let mut f_sig = f & 0x007f_ffff;
    if (f_sig & 0x3fff) != 0x1000 {
        f_sig += 0x1000;
    }
    // A carry out of the significand increments the exponent, up to infinity: that is the right result.
    h_sgn + ((f_sig >> 13) as u16 + h_exp)
}

/// `npy_doublebits_to_halfbits` (one rounding, straight from float64).
#[inline]
pub fn double_to_half_bits(d: u64) -> u16 {
    let h_sgn = ((d & 0x8000_0000_0000_0000) >> 48) as u16;
    let d_exp = d & 0x7ff0_0000_0000_0000;
    if d_exp >= 0x40f0_0000_0000_0000 {
        if d_exp == 0x7ff0_0000_0000_0000 {
            let d_sig = d & 0x000f_ffff_ffff_ffff;
            if d_sig != 0 {
                let mut ret = (0x7c00 + (d_sig >> 42)) as u16;
                if ret == 0x7c00 {
                    ret += 1;
                }
                return h_sgn + ret;
            }
        }
        return h_sgn + 0x7c00;
    }
    if d_exp <= 0x3f00_0000_0000_0000 {
        if d_exp < 0x3e60_0000_0000_0000 {
            return h_sgn;
        }
        let d_exp = d_exp >> 52;
        let mut d_sig = 0x0010_0000_0000_0000 + (d & 0x000f_ffff_ffff_ffff);
        d_sig <<= d_exp - 998;
        if (d_sig & 0x003f_ffff_ffff_ffff) != 0x0010_0000_0000_0000 {
            d_sig += 0x0010_0000_0000_0000;
        }
        return h_sgn + (d_sig >> 53) as u16;
    }
    let h_exp = ((d_exp - 0x3f00_0000_0000_0000) >> 42) as u16;
    let mut d_sig = d & 0x000f_ffff_ffff_ffff;
    if (d_sig & 0x0000_07ff_ffff_ffff) != 0x0000_0200_0000_0000 {
        d_sig += 0x0000_0200_0000_0000;
    }
    h_sgn + ((d_sig >> 42) as u16 + h_exp)
}

// ---- byte order ------------------------------------------------------------------------------------

/// `bytes` as little-endian elements of `itemsize` bytes: borrowed when they already are, else swapped
/// into a copy.
pub fn to_little_endian(bytes: &[u8], itemsize: usize, big_endian: bool) -> Cow<'_, [u8]> {
    if big_endian && itemsize > 1 {
        let mut copy = vec![0u8; bytes.len()];
        swap_copy(bytes, &mut copy, itemsize);
        Cow::Owned(copy)
    } else {
        Cow::Borrowed(bytes)
    }
}

/// Reverses the bytes of every `itemsize`-byte element (2, 4 or 8 bytes) of `bytes`.
pub fn swap_in_place(bytes: &mut [u8], itemsize: usize) {
    crate::simd::bswap::swap_in_place(bytes, itemsize);
}

/// `dst` = `src` with the bytes of every `itemsize`-byte element (2, 4 or 8 bytes) reversed, in one pass.
pub fn swap_copy(src: &[u8], dst: &mut [u8], itemsize: usize) {
    crate::simd::bswap::swap_copy(src, dst, itemsize);
}

// ---- the elementwise kernels ---------------------------------------------------------------------------

/// Number of leading elements numpy's compiled cast loop handles in groups of 4 (see the module doc).
#[inline]
pub fn vector_lanes(count: usize) -> usize {
    count - count % 4
}

/// `dst` = `step` of each float32 of `src`, cast to `D` as numpy's vectorised loop does (the caller passes
/// only elements of that part, see [`vector_lanes`]), by the SIMD kernels of `crate::simd::{cast, half}`;
/// false, with nothing written, when they do not handle `D` (64-bit integers, bool, float64).
pub fn f32_step_fast<D: Element>(src: &[u8], dst: &mut [u8], step: F32Step) -> bool {
    let target = match D::KIND {
        Kind::I8 | Kind::U8 => IntTarget::Bits8,
        Kind::I16 | Kind::U16 => IntTarget::Bits16,
        Kind::I32 => IntTarget::I32,
        Kind::U32 => IntTarget::U32Vector,
        Kind::F16 => {
            crate::simd::half::f32_to_f16(src, dst, step);
            return true;
        }
        Kind::F32 => {
            crate::simd::cast::f32_map(src, dst, step);
            return true;
        }
        _ => return false,
    };
    f32_to_int(src, dst, step, target);
    true
}

/// `dst = src.astype(D)` over little-endian bytes; `dst` holds exactly as many elements as `src`.
pub fn cast<S: Element, D: Element>(src: &[u8], dst: &mut [u8]) {
    if S::KIND == D::KIND {
        // numpy copies: NaN payloads and non-0/1 bool bytes stay as they are.
        dst.copy_from_slice(src);
        return;
    }
    let count = src.len() / S::SIZE;
    let split = vector_lanes(count);
    let (src_vec, src_tail) = src.split_at(split * S::SIZE);
    let (dst_vec, dst_tail) = dst.split_at_mut(split * D::SIZE);
    if S::KIND == Kind::F16 && D::KIND == Kind::F32 {
        // float16 widens exactly: no vectorised-cast rule, the whole array in one go.
        crate::simd::half::f16_to_f32(src, dst);
        return;
    }
    if !(S::KIND == Kind::F32 && f32_step_fast::<D>(src_vec, dst_vec, F32Step::Identity)) {
        for (s, d) in src_vec.chunks_exact(S::SIZE).zip(dst_vec.chunks_exact_mut(D::SIZE)) {
            D::from_wide(S::load(s).to_wide(), true).store(d);
        }
    }
    for (s, d) in src_tail.chunks_exact(S::SIZE).zip(dst_tail.chunks_exact_mut(D::SIZE)) {
        D::from_wide(S::load(s).to_wide(), false).store(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_conversions_round_to_even_and_keep_nan_payloads() {
        assert_eq!(F16::from_f64(1.0).0, 0x3c00);
        assert_eq!(F16::from_f64(65504.0).0, 0x7bff);
        assert_eq!(F16::from_f64(65520.0).0, 0x7c00, "rounds up to infinity");
        assert_eq!(F16::from_f64(65519.99).0, 0x7bff);
        assert_eq!(F16::from_f64(2049.0).0, F16::from_f64(2048.0).0, "tie to even");
        assert_eq!(F16::from_f64(2051.0).0, F16::from_f64(2052.0).0, "tie to even");
        assert_eq!(F16::from_f64(5.960464477539063e-08).0, 0x0001, "smallest subnormal");
        assert_eq!(F16::from_f64(2.9803e-08).0, 0x0001, "just above half the smallest subnormal rounds up");
        assert_eq!(F16::from_f64(2.98e-08).0, 0x0000, "just below half rounds to zero");
        assert_eq!(F16::from_f64(2.9802322387695312e-08).0, 0x0000, "exactly half rounds to even (zero)");
        assert_eq!(F16::from_f64(-0.0).0, 0x8000);
        assert_eq!(F16::from_f32(f32::from_bits(0x7f80_0001)).0, 0x7c01, "signalling NaN stays a NaN");
        assert_eq!(F16::from_f32(f32::from_bits(0xffc0_0000)).0, 0xfe00);
        for h in 0..=u16::MAX {
            let back32 = F16::from_f32(F16(h).to_f32()).0;
            let back64 = F16::from_f64(f64::from_bits(half_to_double_bits(h))).0;
            assert_eq!(back32, h, "{h:#06x} through f32");
            assert_eq!(back64, h, "{h:#06x} through f64");
        }
    }

    #[test]
    fn float_to_int_casts_follow_x86() {
        assert_eq!(i8::from_wide(Wide::Double(300.7), false), 44);
        assert_eq!(i16::from_wide(Wide::Double(f64::NAN), false), 0);
        assert_eq!(i32::from_wide(Wide::Double(3e9), false), i32::MIN);
        assert_eq!(u32::from_wide(Wide::Double(5e9), false), 705032704);
        assert_eq!(u32::from_wide(Wide::Double(5e9), true), 0);
        assert_eq!(u32::from_wide(Wide::Double(f64::NAN), true), 1 << 31);
        assert_eq!(u32::from_wide(Wide::Double(f64::NAN), false), 0);
        assert_eq!(u64::from_wide(Wide::Double(f64::NAN), false), 1 << 63);
        assert_eq!(u64::from_wide(Wide::Double(f64::INFINITY), false), 0);
        assert_eq!(u64::from_wide(Wide::Double(1.8e19), false), 18000000000000000000);
        assert_eq!(u64::from_wide(Wide::Double(-1.5), false), u64::MAX);
        assert_eq!(i64::from_wide(Wide::Double(1e19), false), i64::MIN);
    }

    /// The SIMD casts (crate::simd::cast) against this module's scalar definitions, which the fixtures pin.
    #[test]
    fn simd_float32_casts_equal_the_scalar_casts() {
        fn check<D: Element + std::fmt::Debug>(src: &[u8], step: F32Step) {
            let mut fast = vec![0u8; src.len() / 4 * D::SIZE];
            assert!(f32_step_fast::<D>(src, &mut fast, step));
            for (i, (s, d)) in src.chunks_exact(4).zip(fast.chunks_exact(D::SIZE)).enumerate() {
                let x = f32::load(s);
                let x = match step {
                    F32Step::Identity => x,
                    F32Step::ShiftScaleRint { offset, scale } => Element::rint(x.sub(offset).mul(scale)),
                    F32Step::ScaleRintDivide { scale } => Element::rint(scale.mul(x)).div(scale),
                };
                let mut expected = vec![0u8; D::SIZE];
                D::from_wide(Wide::Single(x), true).store(&mut expected);
                assert_eq!(d, expected, "element {i}: {x:?} ({:#010x}), {step:?} -> {:?}", x.to_bits(), D::KIND);
            }
        }
        let mut rng = crate::simd::testing::Rng(99);
        for count in [0, 1, 4, 5, 13, 2000] {
            let src: Vec<u8> = (0..count).flat_map(|_| rng.f32_value().to_le_bytes()).collect();
            let steps = [
                F32Step::Identity,
                F32Step::ShiftScaleRint { offset: 1.5, scale: 1000.0 },
                F32Step::ShiftScaleRint { offset: 0.0, scale: 0.5 },
                F32Step::ScaleRintDivide { scale: 100.0 },
            ];
            for step in steps {
                check::<i8>(&src, step);
                check::<u8>(&src, step);
                check::<i16>(&src, step);
                check::<u16>(&src, step);
                check::<i32>(&src, step);
                check::<u32>(&src, step);
                check::<F16>(&src, step);
                check::<f32>(&src, step);
            }
            let mut bytes = vec![0u8; count * 8];
            assert!(!f32_step_fast::<i64>(&src, &mut bytes, F32Step::Identity), "64-bit targets stay scalar");
            assert!(bytes.iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn promotion_matches_numpy() {
        use Kind::*;
        let cases = [
            (I8, U8, I16),
            (I64, U64, F64),
            (U32, I32, I64),
            (I16, F16, F32),
            (U8, F16, F16),
            (I32, F32, F64),
            (Bool, I8, I8),
            (F16, F64, F64),
            (U16, U64, U64),
            (I64, U8, I64),
        ];
        for (a, b, expected) in cases {
            assert_eq!(Kind::promote(a, b), expected, "{a:?} + {b:?}");
            assert_eq!(Kind::promote(b, a), expected, "{b:?} + {a:?}");
        }
    }
}
