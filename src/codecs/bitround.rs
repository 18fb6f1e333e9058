//! numcodecs 0.16.6's `bitround` filter (`bitround.py`): rounds floats to `keepbits` mantissa bits
//! (round half to even on the bit pattern), zeroing the rest so that a compressor after it does better.
//!
//! Encoding views each float as the signed integer of the same width and computes, in wrapping
//! integer arithmetic, with `m = mantissa_bits - keepbits` dropped bits:
//!
//! ```text
//! b += ((b >> m) & 1) + (1 << (m - 1)) - 1;   b &= !0 << m
//! ```
//!
//! (mantissa bits: 10 for `f2`, 23 for `f4`, 52 for `f8`). NaN payloads and values near the largest
//! float round like any other bit pattern, so a NaN can become infinity and the largest values can carry
//! into the exponent, as in numcodecs. The encoded chunk is the integer array (`<i4` for `<f4` input),
//! same shape; decoding views it back as floats, i.e. copies the bytes.
//!
//! What numcodecs does at the edges, and so do we:
//! - Only `f2`, `f4` and `f8` input (`TypeError: Only float arrays (16-64bit) can be bit-rounded`).
//! - `keepbits` equal to the mantissa bits returns the input unchanged (still a float array);
//!   more than that raises `ValueError: Keepbits too large for given dtype` at encode; negative values
//!   raise at construction. A float `keepbits` is kept (and printed) as given and works only where it
//!   equals the mantissa bits (numpy refuses float shift counts); `true`/`false` count as 1/0.
//!
//! Where numcodecs fails we do the right thing: its encode looks up the mantissa bits by `str(dtype)`,
//! which is `'>f4'` rather than `'float32'` for big-endian input, and raises `KeyError`. We round
//! big-endian floats like little-endian ones (the same values, stored big-endian): the output numcodecs
//! would write without that lookup bug, as `a.view(">i4")` arithmetic works on values.

use serde_json::{Map, Value};

use super::{config_map, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("bitround", BitRound::from_params)];

const ID: &str = "bitround";

/// `keepbits` as numcodecs holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum KeepBits {
    Int(u64),
    /// A float: only a value equal to the mantissa bits can encode (as a no-op).
    Float(f64),
}

/// The `bitround` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct BitRound {
    keepbits: KeepBits,
    /// `keepbits` as given, which `get_config()` echoes.
    given: Value,
}

/// What encoding does to one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// `keepbits` equals the mantissa bits: the input unchanged.
    Copy,
    /// Round `itemsize`-byte floats of this byte order, dropping `maskbits` (1..=mantissa bits) bits.
    Round { itemsize: usize, big_endian: bool, maskbits: u32 },
}

impl BitRound {
    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        let given = params
            .take_raw("keepbits")
            .ok_or_else(|| Error::invalid_config(format!("{ID}: keepbits is required (BitRound.__init__() missing 1 required positional argument)")))?;
        let negative = || Error::invalid_config(format!("{ID}: keepbits must be zero or positive, got {given}"));
        let keepbits = match &given {
            Value::Bool(b) => KeepBits::Int(u64::from(*b)),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => KeepBits::Int(u),
                (None, Some(_), _) => return Err(negative()),
                (None, None, Some(f)) if f < 0.0 => return Err(negative()),
                (None, None, Some(f)) => KeepBits::Float(f),
                _ => return Err(params.wrong_type("keepbits", "a number")),
            },
            _ => return Err(params.wrong_type("keepbits", "an integer")),
        };
        params.finish()?;
        Ok(Box::new(BitRound { keepbits, given }))
    }

    /// What encoding an array of `dtype` does, or why it cannot.
    fn plan(&self, dtype: &DType) -> Result<Plan> {
        let mantissa_bits: u32 = match (dtype.kind(), dtype.itemsize()) {
            ('f', 2) => 10,
            ('f', 4) => 23,
            ('f', 8) => 52,
            _ => {
                return Err(Error::invalid_argument(format!(
                    "{ID}: only float arrays (16-64bit) can be bit-rounded, got dtype {}",
                    dtype.typestr()
                )))
            }
        };
        let maskbits = match self.keepbits {
            KeepBits::Int(k) if k == u64::from(mantissa_bits) => return Ok(Plan::Copy),
            KeepBits::Float(k) if k == f64::from(mantissa_bits) => return Ok(Plan::Copy),
            KeepBits::Int(k) if k < u64::from(mantissa_bits) => mantissa_bits - k as u32,
            KeepBits::Int(_) => {
                return Err(Error::invalid_config(format!(
                    "{ID}: keepbits {} too large for dtype {} ({mantissa_bits} mantissa bits)",
                    self.given,
                    dtype.typestr()
                )))
            }
            KeepBits::Float(_) => {
                return Err(Error::invalid_config(format!(
                    "{ID}: keepbits {} is not an integer (numcodecs can only use it when it equals the {mantissa_bits} mantissa bits of {})",
                    self.given,
                    dtype.typestr()
                )))
            }
        };
        Ok(Plan::Round { itemsize: dtype.itemsize(), big_endian: dtype.byte_order() == ByteOrder::Big, maskbits })
    }
}

impl Codec for BitRound {
    fn codec_id(&self) -> &str {
        ID
    }

    fn config(&self) -> Map<String, Value> {
        config_map(ID, [("keepbits", self.given.clone())])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Ok(src_len)
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = vec![0u8; src.len()];
        self.encode_into(src, info, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        info.check_len(src.len())?;
        let plan = self.plan(&info.dtype)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..src.len()).ok_or_else(|| Error::buffer_too_small(src.len(), capacity))?;
        match plan {
            Plan::Copy => dst.copy_from_slice(src),
            Plan::Round { itemsize: 2, big_endian, maskbits } => round_u16(src, dst, big_endian, maskbits),
            Plan::Round { itemsize: 4, big_endian, maskbits } => round_u32(src, dst, big_endian, maskbits),
            Plan::Round { big_endian, maskbits, .. } => round_u64(src, dst, big_endian, maskbits),
        }
        Ok(src.len())
    }

    /// The rounded integers (`<i4` for `<f4`), or the input's own dtype when nothing is rounded.
    fn encoded_info(&self, src_len: usize, info: &ArrayInfo) -> Result<ArrayInfo> {
        info.check_len(src_len)?;
        let dtype = match self.plan(&info.dtype)? {
            Plan::Copy => info.dtype.clone(),
            Plan::Round { .. } => DType::parse(&info.dtype.typestr().replace('f', "i"))?,
        };
        Ok(ArrayInfo::new(dtype, info.shape.clone()))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        super::check_decoded_size(ID, src.len() as u64)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        self.decoded_size(src)?;
        Ok(src.to_vec())
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let len = self.decoded_size(src)?;
        super::copy_into(src, dst)?;
        Ok(len)
    }
}

/// One rounding kernel per float width: a straight loop over whole words that the compiler vectorises
/// (byte swaps included for big-endian data).
macro_rules! round_kernel {
    ($name:ident, $word:ty) => {
        fn $name(src: &[u8], dst: &mut [u8], big_endian: bool, maskbits: u32) {
            const WIDTH: usize = std::mem::size_of::<$word>();
            let half_quantum_minus_one: $word = (1 << (maskbits - 1)) - 1;
            let mask: $word = !0 << maskbits;
            let round = |b: $word| b.wrapping_add(((b >> maskbits) & 1) + half_quantum_minus_one) & mask;
            let pairs = dst.chunks_exact_mut(WIDTH).zip(src.chunks_exact(WIDTH));
            if big_endian {
                for (out, word) in pairs {
                    let b = <$word>::from_be_bytes(word.try_into().expect("whole words"));
                    out.copy_from_slice(&round(b).to_be_bytes());
                }
            } else {
                for (out, word) in pairs {
                    let b = <$word>::from_le_bytes(word.try_into().expect("whole words"));
                    out.copy_from_slice(&round(b).to_le_bytes());
                }
            }
        }
    };
}

round_kernel!(round_u16, u16);
round_kernel!(round_u32, u32);
round_kernel!(round_u64, u64);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    fn codec(json: &str) -> Box<dyn Codec> {
        codec_from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn info(dtype: &str, len: usize) -> ArrayInfo {
        ArrayInfo::new(DType::parse(dtype).unwrap(), Some(vec![len]))
    }

    fn f4_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// numcodecs 0.16.6's example array: [1.5, -2.25, 3.14159, nan, inf, 1e-40] as `<f4` (3.14159 is
    /// just a value with a long mantissa, not meant as π).
    #[allow(clippy::approx_constant)]
    const SAMPLE: [f32; 6] = [1.5, -2.25, 3.14159, f32::NAN, f32::INFINITY, 1e-40];

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn numcodecs_examples() {
        // BitRound(k).encode(SAMPLE.astype(dtype)) in numcodecs 0.16.6.
        let src = f4_bytes(&SAMPLE);
        let cases = [
            (r#"{"id":"bitround","keepbits":5}"#, "0000c03f000010c0000048400000c07f0000807f00000000"),
            (r#"{"id":"bitround","keepbits":0}"#, "00000040000000c000008040000000800000807f00000000"),
            (r#"{"id":"bitround","keepbits":true}"#, "0000c03f000000c0000040400000c07f0000807f00000000"),
            (r#"{"id":"bitround","keepbits":23}"#, "0000c03f000010c0d00f49400000c07f0000807fc2160100"),
            (r#"{"id":"bitround","keepbits":23.0}"#, "0000c03f000010c0d00f49400000c07f0000807fc2160100"),
        ];
        for (json, expected) in cases {
            assert_eq!(codec(json).encode(&src, &info("<f4", 6)).unwrap(), hex(expected), "{json}");
        }
        // NaN widened by bits, not by `f64::from`: a float conversion may give NaN any sign and payload
        // (x86 keeps them, Miri picks at random), and numcodecs' input here is the positive quiet NaN.
        let widen = |v: f32| if v.is_nan() { f64::from_bits(0x7ff8_0000_0000_0000) } else { f64::from(v) };
        let f8: Vec<u8> = SAMPLE.iter().flat_map(|&v| widen(v).to_le_bytes()).collect();
        assert_eq!(
            codec(r#"{"id":"bitround","keepbits":5}"#).encode(&f8, &info("<f8", 6)).unwrap()[..32],
            hex("000000000000f83f00000000000002c00000000000000940000000000000f87f")[..]
        );
        let f2 = hex("003e80c04842007e007c0000"); // SAMPLE as <f2
        assert_eq!(codec(r#"{"id":"bitround","keepbits":5}"#).encode(&f2, &info("<f2", 6)).unwrap(), hex("003e80c04042007e007c0000"));
    }

    #[test]
    fn big_endian_rounds_the_same_values() {
        let values: Vec<f64> = (0..200).map(|i| (i as f64 - 100.0) * 1.37e3f64.powi(i % 7 - 3)).collect();
        for keepbits in [0, 1, 3, 9, 10, 22, 23, 51, 52] {
            let codec = codec(&format!(r#"{{"id":"bitround","keepbits":{keepbits}}}"#));
            for (le, be, size) in [("<f2", ">f2", 2), ("<f4", ">f4", 4), ("<f8", ">f8", 8)] {
                let le_bytes: Vec<u8> = match size {
                    2 => values.iter().flat_map(|&v| half_bits(v).to_le_bytes()).collect(),
                    4 => values.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect(),
                    _ => values.iter().flat_map(|&v| v.to_le_bytes()).collect(),
                };
                let swap = |bytes: &[u8]| bytes.chunks(size).flat_map(|w| w.iter().rev().copied()).collect::<Vec<u8>>();
                let le_out = codec.encode(&le_bytes, &info(le, values.len()));
                let be_out = codec.encode(&swap(&le_bytes), &info(be, values.len()));
                match (le_out, be_out) {
                    (Ok(le_out), Ok(be_out)) => assert_eq!(swap(&le_out), be_out, "{le} keepbits {keepbits}"),
                    (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
                    other => panic!("{le} keepbits {keepbits}: {other:?}"),
                }
            }
        }
    }

    /// Some 16-bit pattern for `v`: the test only needs varied half-precision words.
    fn half_bits(v: f64) -> u16 {
        (v.to_bits() >> 48) as u16 ^ (v.to_bits() as u16)
    }

    #[test]
    fn rounding_is_round_half_to_even_and_keeps_zeros() {
        let codec = codec(r#"{"id":"bitround","keepbits":1}"#);
        // Mantissas 1.00, 1.01 (tie, down to even 1.0), 1.10, 1.11 (tie, up to 10.0 = 2.0).
        let values = [1.0f32, 1.25, 1.5, 1.75, 0.0, -0.0];
        let rounded = codec.encode(&f4_bytes(&values), &info("<f4", 6)).unwrap();
        assert_eq!(rounded, f4_bytes(&[1.0, 1.0, 1.5, 2.0, 0.0, -0.0]));
        // Carry into the exponent at the top: the largest f4 rounds to infinity.
        let max = codec.encode(&f4_bytes(&[f32::MAX]), &info("<f4", 1)).unwrap();
        assert_eq!(max, f4_bytes(&[f32::INFINITY]));
    }

    #[test]
    fn configs_and_refusals() {
        for (given, printed) in [
            (r#"{"id":"bitround","keepbits":7}"#, r#"{"id":"bitround","keepbits":7}"#),
            (r#"{"id":"bitround","keepbits":10.5}"#, r#"{"id":"bitround","keepbits":10.5}"#),
            (r#"{"id":"bitround","keepbits":false}"#, r#"{"id":"bitround","keepbits":false}"#),
            (r#"{"id":"bitround","keepbits":100}"#, r#"{"id":"bitround","keepbits":100}"#),
            (r#"{"name":"bitround","configuration":{"keepbits":3}}"#, r#"{"id":"bitround","keepbits":3}"#),
        ] {
            assert_eq!(codec(given).config_json(), printed);
        }
        for bad in [
            r#"{"id":"bitround"}"#,
            r#"{"id":"bitround","keepbits":-1}"#,
            r#"{"id":"bitround","keepbits":-0.5}"#,
            r#"{"id":"bitround","keepbits":null}"#,
            r#"{"id":"bitround","keepbits":"5"}"#,
            r#"{"id":"bitround","keepbits":5,"dtype":"<f4"}"#,
        ] {
            assert_eq!(codec_from_json(bad).unwrap_err().kind(), ErrorKind::InvalidConfig, "{bad}");
        }
        let src = f4_bytes(&SAMPLE);
        for (json, dtype, kind) in [
            (r#"{"id":"bitround","keepbits":24}"#, "<f4", ErrorKind::InvalidConfig),
            (r#"{"id":"bitround","keepbits":11}"#, "<f2", ErrorKind::InvalidConfig),
            (r#"{"id":"bitround","keepbits":10.0}"#, "<f4", ErrorKind::InvalidConfig),
            (r#"{"id":"bitround","keepbits":23.0}"#, "<f8", ErrorKind::InvalidConfig),
            (r#"{"id":"bitround","keepbits":5}"#, "<i4", ErrorKind::InvalidArgument),
            (r#"{"id":"bitround","keepbits":5}"#, "|u1", ErrorKind::InvalidArgument),
            (r#"{"id":"bitround","keepbits":5}"#, "<c8", ErrorKind::InvalidArgument),
            (r#"{"id":"bitround","keepbits":5}"#, "<f16", ErrorKind::InvalidArgument),
        ] {
            let info = ArrayInfo::new(DType::parse(dtype).unwrap(), None);
            let len = src.len() / info.dtype.itemsize() * info.dtype.itemsize();
            assert_eq!(codec(json).encode(&src[..len], &info).unwrap_err().kind(), kind, "{json} {dtype}");
        }
        // Half an element.
        assert_eq!(codec(r#"{"id":"bitround","keepbits":5}"#).encode(&[0; 6], &ArrayInfo::new(DType::parse("<f4").unwrap(), None)).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn infos_and_buffers() {
        let codec = codec(r#"{"id":"bitround","keepbits":5}"#);
        let shaped = ArrayInfo::new(DType::parse(">f8").unwrap(), Some(vec![2, 3]));
        assert_eq!(codec.encoded_info(48, &shaped).unwrap(), ArrayInfo::new(DType::parse(">i8").unwrap(), Some(vec![2, 3])));
        let noop = codec_from_json(r#"{"id":"bitround","keepbits":10}"#).unwrap();
        assert_eq!(noop.encoded_info(4, &info("<f2", 2)).unwrap(), info("<f2", 2));
        assert_eq!(codec.encoded_info(4, &info("<i2", 2)).unwrap_err().kind(), ErrorKind::InvalidArgument);
        let src = f4_bytes(&SAMPLE);
        let encoded = codec.encode(&src, &info("<f4", 6)).unwrap();
        assert_eq!(codec.decode(&encoded).unwrap(), encoded, "decoding views the integers as floats");
        let mut short = vec![0u8; 23];
        let err = codec.encode_into(&src, &info("<f4", 6), &mut short).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(24)));
        let err = codec.decode_into(&encoded, &mut short).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(24)));
        assert_eq!(codec.decoded_size(&encoded).unwrap(), 24);
    }
}
