//! numcodecs 0.16.6's `packbits` filter (`packbits.py`): eight booleans per byte.
//!
//! Encoding views the input as booleans, one per byte (`ensure_ndarray(buf).view(bool)`, so any dtype
//! is accepted and each of its bytes is one element), and writes a leading byte with the number of
//! padding bits (0..=7) followed by `np.packbits` of the elements: the first element in the most
//! significant bit, a non-zero byte counting as `True`, the last byte padded with zero bits. The encoded
//! chunk is a flat `|u1` array.
//!
//! Decoding (`np.unpackbits`, minus the padding) gives a flat `|b1` array of 0/1 bytes, so only boolean
//! input round-trips exactly; other bytes come back as 1 where they were non-zero.
//!
//! Streams numcodecs never writes: an empty stream (numcodecs raises `IndexError`), a padding byte above
//! 7 and padding without data bytes (numcodecs silently drops that many elements, or returns nothing);
//! we refuse all three as corrupt. Non-zero padding bits are ignored, as numcodecs ignores them.

use serde_json::{Map, Value};

use super::{check_decoded_size, config_map, ArrayInfo, Codec, Constructor, DType, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("packbits", PackBits::from_params)];

const ID: &str = "packbits";

/// The `packbits` codec (no options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackBits;

impl PackBits {
    fn from_params(params: Params) -> Result<Box<dyn Codec>> {
        params.finish()?;
        Ok(Box::new(PackBits))
    }

    /// The element count and packed bytes of an encoded chunk.
    fn parse(src: &[u8]) -> Result<(usize, &[u8])> {
        let (&padding, packed) = src.split_first().ok_or_else(|| Error::corrupt(format!("{ID}: empty stream, expected a padding byte")))?;
        if padding > 7 {
            return Err(Error::corrupt(format!("{ID}: padding byte is {padding}, expected 0 to 7")));
        }
        if packed.is_empty() && padding != 0 {
            return Err(Error::corrupt(format!("{ID}: {padding} padding bits but no data bytes")));
        }
        let count = (packed.len() as u64) * 8 - u64::from(padding);
        Ok((check_decoded_size(ID, count)?, packed))
    }
}

/// The encoded size of `len` elements: the padding byte plus one byte per 8 elements, rounded up.
fn encoded_len(len: usize) -> usize {
    1 + len.div_ceil(8)
}

impl Codec for PackBits {
    fn codec_id(&self) -> &str {
        ID
    }

    fn config(&self) -> Map<String, Value> {
        config_map(ID, [])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Ok(encoded_len(src_len))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = vec![0u8; encoded_len(src.len())];
        self.encode_into(src, info, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        info.check_len(src.len())?;
        let len = encoded_len(src.len());
        let capacity = dst.len();
        let dst = dst.get_mut(..len).ok_or_else(|| Error::buffer_too_small(len, capacity))?;
        let (padding, packed) = dst.split_first_mut().expect("at least the padding byte");
        *padding = ((8 - src.len() % 8) % 8) as u8;
        // AVX2 where there is: 32 elements per compare and movemask. Then per tile: the elements as 0/1
        // bytes (a vectorised min), then 8 of them per multiplication.
        let done = crate::simd::packbits::pack_bits(src, packed);
        let whole = src.len() / 8 * 8;
        let mut ones = [0u8; PACK_TILE];
        for (out, tile) in packed[done / 8..].chunks_mut(PACK_TILE / 8).zip(src[done..whole].chunks(PACK_TILE)) {
            let ones = &mut ones[..tile.len()];
            for (one, &element) in ones.iter_mut().zip(tile) {
                *one = element.min(1);
            }
            for (out, eight) in out.iter_mut().zip(ones.chunks_exact(8)) {
                *out = pack_ones(u64::from_le_bytes(eight.try_into().expect("8 bytes")));
            }
        }
        let tail = &src[whole..];
        if !tail.is_empty() {
            let mut padded = [0u8; 8];
            padded[..tail.len()].copy_from_slice(tail);
            packed[packed.len() - 1] = pack8(padded);
        }
        Ok(len)
    }

    fn encoded_info(&self, src_len: usize, _info: &ArrayInfo) -> Result<ArrayInfo> {
        Ok(ArrayInfo::new(DType::bytes(), Some(vec![encoded_len(src_len)])))
    }

    fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
        let (count, _) = Self::parse(src)?;
        Ok(Some(ArrayInfo::new(DType::parse("|b1")?, Some(vec![count]))))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        Ok(Self::parse(src)?.0)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.decoded_size(src)?];
        self.decode_into(src, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let (count, packed) = Self::parse(src)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..count).ok_or_else(|| Error::buffer_too_small(count, capacity))?;
        let done = crate::simd::packbits::unpack_bits(packed, dst);
        let mut chunks = dst[done..].chunks_exact_mut(8);
        for (chunk, &byte) in (&mut chunks).zip(&packed[done / 8..]) {
            chunk.copy_from_slice(&UNPACKED[usize::from(byte)].to_le_bytes());
        }
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            let last = UNPACKED[usize::from(packed[packed.len() - 1])].to_le_bytes();
            tail.copy_from_slice(&last[..tail.len()]);
        }
        Ok(count)
    }
}

/// Input bytes normalised to 0/1 per tile of the encoder (fits L1 with its output).
const PACK_TILE: usize = 4096;

/// Packs 8 elements (non-zero = 1) into one byte, the first element in the most significant bit.
///
/// As a little-endian word, element `j` is byte `j`; `nonzero` sets bit 8j+7 for each non-zero byte
/// (adding 0x7f to its low 7 bits carries into bit 7 unless they are all zero, and `| x` adds bit 7
/// itself), then moved to bit 8j for [`pack_ones`].
fn pack8(chunk: [u8; 8]) -> u8 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = u64::from_le_bytes(chunk);
    let nonzero = ((((x & LOW7) + LOW7) | x) & !LOW7) >> 7;
    pack_ones(nonzero)
}

/// Packs a little-endian word of 8 bytes that are each 0 or 1 (element `j` in bit 8j) into one byte,
/// element 0 in the most significant bit: the multiplication by bits 63-9k moves bit 8j to bit 63-j
/// (the products for j != k land outside the top byte, at distinct positions, so nothing carries), and
/// the top byte is the result.
fn pack_ones(ones: u64) -> u8 {
    (ones.wrapping_mul(0x8040_2010_0804_0201) >> 56) as u8
}

/// For each byte value, its 8 bits as 0/1 bytes (most significant first), as a little-endian word.
static UNPACKED: [u64; 256] = unpack_table();

const fn unpack_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut value = 0;
    while value < 256 {
        let mut word = 0u64;
        let mut j = 0;
        while j < 8 {
            word |= (((value >> (7 - j)) & 1) as u64) << (8 * j);
            j += 1;
        }
        table[value] = word;
        value += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    fn codec() -> Box<dyn Codec> {
        codec_from_json(r#"{"id":"packbits"}"#).unwrap()
    }

    fn bool_info(len: usize) -> ArrayInfo {
        ArrayInfo::new(DType::parse("|b1").unwrap(), Some(vec![len]))
    }

    /// `np.packbits` one bit at a time.
    fn reference_pack(src: &[u8]) -> Vec<u8> {
        let mut out = vec![((8 - src.len() % 8) % 8) as u8];
        out.resize(1 + src.len().div_ceil(8), 0);
        for (i, &b) in src.iter().enumerate() {
            if b != 0 {
                out[1 + i / 8] |= 0x80 >> (i % 8);
            }
        }
        out
    }

    #[test]
    fn numcodecs_examples() {
        // numcodecs' docstring, and PackBits().encode of np.array([42, 0, 255, 1, 2], "u1") and of
        // np.array([1.0], "<f4") (bytes 00 00 80 3f).
        let codec = codec();
        assert_eq!(codec.encode(&[1, 0, 0, 1], &bool_info(4)).unwrap(), [4, 0x90]);
        assert_eq!(codec.decode(&[4, 0x90]).unwrap(), [1, 0, 0, 1]);
        assert_eq!(codec.encode(&[42, 0, 255, 1, 2], &ArrayInfo::default()).unwrap(), [3, 0xb8]);
        let one = ArrayInfo::new(DType::parse("<f4").unwrap(), Some(vec![1]));
        assert_eq!(codec.encode(&1f32.to_le_bytes(), &one).unwrap(), [4, 0x30]);
        assert_eq!(codec.encode(&[], &bool_info(0)).unwrap(), [0]);
        assert_eq!(codec.decode(&[0]).unwrap(), Vec::<u8>::new());
        assert_eq!(codec.config_json(), r#"{"id":"packbits"}"#);
    }

    #[test]
    fn every_length_and_byte_value_matches_the_reference() {
        let codec = codec();
        let data: Vec<u8> = (0..(2 * PACK_TILE as u32 + 300)).map(|i| match i.wrapping_mul(2654435761) >> 29 {
            0..=3 => 0,
            4 | 5 => 1,
            k => (i * k) as u8,
        }).collect();
        let lengths = (0..300).chain(PACK_TILE - 20..PACK_TILE + 20).chain([2 * PACK_TILE + 299]);
        for len in lengths {
            let src = &data[..len];
            let encoded = codec.encode(src, &ArrayInfo::default()).unwrap();
            assert_eq!(encoded, reference_pack(src), "{len}");
            let decoded = codec.decode(&encoded).unwrap();
            assert_eq!(decoded, src.iter().map(|&b| u8::from(b != 0)).collect::<Vec<_>>(), "{len}");
            assert_eq!(codec.decoded_size(&encoded).unwrap(), len);
            assert_eq!(codec.decoded_info(&encoded).unwrap(), Some(bool_info(len)));
        }
        // Each single non-zero byte value, in each position.
        for value in 1..=255u8 {
            for pos in 0..8 {
                let mut src = [0u8; 8];
                src[pos] = value;
                assert_eq!(pack8(src), 0x80 >> pos, "value {value} at {pos}");
            }
        }
        assert_eq!(pack8([0xff; 8]), 0xff);
        assert_eq!(pack8([0x80; 8]), 0xff);
    }

    #[test]
    fn hostile_streams_are_refused() {
        let codec = codec();
        for bad in [&[][..], &[8, 0xff], &[255, 0xff, 0xff], &[3], &[1]] {
            assert_eq!(codec.decode(bad).unwrap_err().kind(), ErrorKind::CorruptData, "{bad:?}");
            assert_eq!(codec.decoded_size(bad).unwrap_err().kind(), ErrorKind::CorruptData, "{bad:?}");
            assert_eq!(codec.decode_into(bad, &mut [0; 64]).unwrap_err().kind(), ErrorKind::CorruptData, "{bad:?}");
        }
        // Padding bits that are set are ignored, as numcodecs ignores them.
        assert_eq!(codec.decode(&[7, 0xff]).unwrap(), [1]);
        assert_eq!(codec.decode(&[1, 0xff, 0xff]).unwrap(), [1; 15]);
    }

    #[test]
    fn into_buffers_and_infos() {
        let codec = codec();
        let src = [1u8; 17];
        let mut short = [0u8; 3];
        let err = codec.encode_into(&src, &bool_info(17), &mut short).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(4)));
        let mut roomy = [0xAAu8; 8];
        assert_eq!(codec.encode_into(&src, &bool_info(17), &mut roomy).unwrap(), 4);
        assert_eq!(roomy, [7, 0xff, 0xff, 0x80, 0xAA, 0xAA, 0xAA, 0xAA]);
        let mut dst = [0xAAu8; 17];
        let err = codec.decode_into(&roomy[..4], &mut dst[..16]).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(17)));
        assert_eq!(dst, [0xAA; 17], "nothing written into a too-small buffer");
        assert_eq!(codec.decode_into(&roomy[..4], &mut dst).unwrap(), 17);
        assert_eq!(dst, src);
        assert_eq!(codec.encoded_info(17, &bool_info(17)).unwrap(), ArrayInfo::new(DType::bytes(), Some(vec![4])));
        let object = ArrayInfo::new(DType::parse("|O").unwrap(), None);
        assert_eq!(codec.encode(&[0; 8], &object).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}
