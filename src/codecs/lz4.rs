//! `lz4`: numcodecs' `LZ4(acceleration=1)`: a 4-byte little-endian decoded size, then one LZ4 block.
//!
//! Encoding is numcodecs' `compress()`: `LZ4_compress_fast` with the configured acceleration (values
//! <= 0 are replaced by 1, as numcodecs does; LZ4 itself caps large values at 65537) into a buffer of
//! `LZ4_compressBound` bytes. numcodecs bundles LZ4 1.10.0 and so does lz4-sys, hence identical bytes.
//! numcodecs refuses buffers over `max_buffer_size` = 0x7E000000 bytes (LZ4's own input limit).
//!
//! Decoding checks the header before allocating: the size must be within LZ4's limit and
//! [`DEFAULT_MAX_DECODED_SIZE`](super::DEFAULT_MAX_DECODED_SIZE), and no larger than the block can
//! expand to (LZ4 writes at most 255 bytes per input byte). numcodecs encodes an empty chunk as a
//! zero size plus the one-byte empty block but refuses to decode it; we decode it.

use lz4::block::{self, CompressionMode};
use serde_json::{Map, Value};

use super::{check_decoded_size, compress_to_vec, compress_with_bound_room, config_map, echo_given, ArrayInfo, Codec, Constructor, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("lz4", Lz4::from_params)];

// Public as `Lz4::NAME` (module-level public constants would land in the C header).
const DEFAULT_ACCELERATION: i32 = 1;
const MAX_BUFFER_SIZE: usize = 0x7E00_0000;

/// Bytes of the size header in front of the LZ4 block.
const HEADER_LEN: usize = 4;

/// The most bytes one byte of an LZ4 block can decode to: a match length grows by 255 per extra
/// length byte, and every other byte of a sequence yields less than that.
const MAX_EXPANSION: usize = 255;

/// The `lz4` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lz4 {
    acceleration: i32,
    /// Options given as non-integer JSON (e.g. `7.9`), echoed by `config()` like numcodecs does.
    echo: Map<String, Value>,
}

impl Default for Lz4 {
    fn default() -> Self {
        Lz4::new(DEFAULT_ACCELERATION)
    }
}

// The C header is generated from every public item of the crate; these are Rust-only.
#[doc = "cbindgen:ignore"]
impl Lz4 {
    /// numcodecs' `DEFAULT_ACCELERATION`.
    pub const DEFAULT_ACCELERATION: i32 = DEFAULT_ACCELERATION;
    /// numcodecs' `LZ4.max_buffer_size`, which is also `LZ4_MAX_INPUT_SIZE`: the largest buffer encoded or decoded.
    pub const MAX_BUFFER_SIZE: usize = MAX_BUFFER_SIZE;
}

impl Lz4 {
    /// `acceleration` is kept as given (numcodecs' `get_config()` echoes it, even when it is <= 0).
    pub fn new(acceleration: i32) -> Self {
        Lz4 { acceleration, echo: Map::new() }
    }

    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        // numcodecs accepts any int and converts it to a C int when encoding.
        // (floats are truncated toward zero, as Cython does).
        let mut echo = Map::new();
        let acceleration = params.c_int_or("acceleration", DEFAULT_ACCELERATION, &mut echo)?;
        params.finish()?;
        Ok(Box::new(Lz4 { echo, ..Lz4::new(acceleration) }))
    }

    /// The acceleration numcodecs actually passes to LZ4.
    fn effective_acceleration(&self) -> i32 {
        if self.acceleration <= 0 {
            DEFAULT_ACCELERATION
        } else {
            self.acceleration
        }
    }

    /// Block bound for `src_len` bytes (`LZ4_compressBound`), refusing what numcodecs refuses.
    fn block_bound(src_len: usize) -> Result<usize> {
        if src_len > MAX_BUFFER_SIZE {
            return Err(Error::limit(format!("lz4: cannot encode {src_len} bytes: numcodecs' limit is {MAX_BUFFER_SIZE}")));
        }
        block::compress_bound(src_len).map_err(|e| Error::limit(format!("lz4: {e}")))
    }

    /// Compresses into `dst`, which must hold exactly the header plus `LZ4_compressBound` bytes.
    fn compress_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let (header, body) = dst.split_at_mut(HEADER_LEN);
        // src.len() <= MAX_BUFFER_SIZE < 2^32 (checked by block_bound).
        header.copy_from_slice(&(src.len() as u32).to_le_bytes());
        let written = block::compress_to_buffer(src, Some(CompressionMode::FAST(self.effective_acceleration())), false, body)
            .map_err(|e| Error::internal(format!("lz4: compression failed: {e}")))?;
        Ok(HEADER_LEN + written)
    }
}

/// Reads and checks the size header; returns the decoded size and the LZ4 block.
fn parse(src: &[u8]) -> Result<(usize, &[u8])> {
    if src.len() > HEADER_LEN + block::compress_bound(MAX_BUFFER_SIZE).unwrap_or(usize::MAX) {
        return Err(Error::limit(format!("lz4: {} bytes is more than numcodecs' LZ4 decodes", src.len())));
    }
    let (header, body) = src.split_first_chunk::<HEADER_LEN>().ok_or_else(|| Error::corrupt("lz4: input shorter than the 4-byte size header"))?;
    let size = u32::from_le_bytes(*header);
    if size as usize > MAX_BUFFER_SIZE {
        return Err(Error::corrupt(format!("lz4: header records {size} bytes, more than LZ4 can encode")));
    }
    let size = check_decoded_size("lz4", size as u64)?;
    if size > body.len().saturating_mul(MAX_EXPANSION) {
        return Err(Error::corrupt(format!("lz4: header records {size} bytes but a {}-byte block cannot hold that many", body.len())));
    }
    Ok((size, body))
}

/// Decodes `block` into exactly `dst.len()` bytes.
pub(super) fn decompress_block(block: &[u8], dst: &mut [u8]) -> Result<usize> {
    let size = dst.len();
    // An empty slice's pointer may be dangling (0x1 for an empty Vec or `&mut []`), and LZ4 computes
    // `dst + capacity - 32` from it, which wraps (undefined behaviour in C; it let LZ4's shortcut copy
    // to address 0x1). Give LZ4 a real address even when there is no room.
    let mut no_room = [0u8; 1];
    let dst = if dst.is_empty() { &mut no_room[..0] } else { dst };
    // size <= MAX_BUFFER_SIZE fits the i32 lz4 takes.
    let written = block::decompress_to_buffer(block, Some(size as i32), dst).map_err(|_| Error::corrupt("lz4: invalid or truncated block"))?;
    if written != size {
        return Err(Error::corrupt(format!("lz4: expected to decompress {size} bytes, got {written}")));
    }
    Ok(written)
}

impl Codec for Lz4 {
    fn codec_id(&self) -> &str {
        "lz4"
    }

    fn config(&self) -> Map<String, Value> {
        echo_given(config_map("lz4", [("acceleration", Value::from(self.acceleration))]), &self.echo)
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Ok(HEADER_LEN + Self::block_bound(src_len)?)
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        compress_to_vec(self.encode_bound(src.len(), info)?, |out| self.compress_into(src, out))
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        // numcodecs compresses into exactly encode_bound bytes; fewer could change the output.
        compress_with_bound_room(self.encode_bound(src.len(), info)?, dst, |out| self.compress_into(src, out))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        Ok(parse(src)?.0)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let (size, body) = parse(src)?;
        let mut out = vec![0u8; size];
        decompress_block(body, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let (size, body) = parse(src)?;
        let capacity = dst.len();
        let room = dst.get_mut(..size).ok_or_else(|| Error::buffer_too_small(size, capacity))?;
        decompress_block(body, room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| ((i / 5) as u8) ^ ((i % 3) as u8)).collect()
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_u32;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    }

    #[test]
    fn config_json_has_numcodecs_defaults() {
        assert_eq!(codec_from_json(r#"{"id":"lz4"}"#).unwrap().config_json(), r#"{"id":"lz4","acceleration":1}"#);
        assert_eq!(codec_from_json(r#"{"id":"lz4","acceleration":-5}"#).unwrap().config_json(), r#"{"id":"lz4","acceleration":-5}"#);
        assert_eq!(codec_from_json(r#"{"name":"lz4","configuration":{"acceleration":10}}"#).unwrap().config_json(), r#"{"id":"lz4","acceleration":10}"#);
        for json in [r#"{"id":"lz4","acceleration":"1"}"#, r#"{"id":"lz4","acceleration":3000000000}"#, r#"{"id":"lz4","level":1}"#] {
            assert_eq!(codec_from_json(json).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
    }

    #[test]
    fn round_trips_with_a_size_header() {
        let info = ArrayInfo::default();
        for acceleration in [i32::MIN, -1, 0, 1, 2, 17, 65537, i32::MAX] {
            let codec = Lz4::new(acceleration);
            for data in [sample(0), sample(1), sample(1000), sample(300_000), noise(100_000)] {
                let encoded = codec.encode(&data, &info).unwrap();
                assert_eq!(&encoded[..4], &(data.len() as u32).to_le_bytes());
                assert!(encoded.len() <= codec.encode_bound(data.len(), &info).unwrap());
                assert_eq!(codec.decoded_size(&encoded).unwrap(), data.len());
                assert_eq!(codec.decode(&encoded).unwrap(), data, "acceleration {acceleration}, {} bytes", data.len());
            }
        }
    }

    #[test]
    fn non_positive_acceleration_compresses_like_the_default() {
        let data = sample(100_000);
        let info = ArrayInfo::default();
        let default = Lz4::default().encode(&data, &info).unwrap();
        assert_eq!(Lz4::new(0).encode(&data, &info).unwrap(), default);
        assert_eq!(Lz4::new(-7).encode(&data, &info).unwrap(), default);
        assert_ne!(Lz4::new(64).encode(&noise(1000).repeat(50), &info).unwrap(), Lz4::default().encode(&noise(1000).repeat(50), &info).unwrap());
    }

    #[test]
    fn empty_chunk_decodes_although_numcodecs_cannot() {
        // numcodecs 0.16.6 writes b"" as a zero size and the one-byte empty block, then refuses to decode
        // it ("invalid input data", a size of 0 is treated as an error). We decode it.
        let codec = Lz4::default();
        let encoded = codec.encode(&[], &ArrayInfo::default()).unwrap();
        assert_eq!(encoded, [0, 0, 0, 0, 0]);
        assert_eq!(codec.decoded_size(&encoded).unwrap(), 0);
        assert_eq!(codec.decode(&encoded).unwrap(), Vec::<u8>::new());
        assert_eq!(codec.decode_into(&encoded, &mut []).unwrap(), 0);
        // A zero size with a block that is not empty is still corrupt.
        assert_eq!(codec.decode(&[0, 0, 0, 0, 0x10, b'a']).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn zero_size_header_with_a_long_block_is_corrupt_not_a_wild_write() {
        // A short literal run with 16+ more input bytes takes LZ4's shortcut, which compares the output
        // position with `dst + capacity - 32`. With an empty Rust slice as dst, the pointer was the
        // dangling 0x1, that subtraction wrapped, and the shortcut then copied 16 bytes to address 0x1
        // (a crash in unoptimised builds; UBSan reports the wrap in any build, see scripts/sanitize.sh).
        let codec = Lz4::default();
        let mut hostile = vec![0, 0, 0, 0, 0x10, b'a', 1, 0];
        hostile.resize(4 + 32, 0);
        assert_eq!(codec.decode(&hostile).unwrap_err().kind(), ErrorKind::CorruptData);
        assert_eq!(codec.decode_into(&hostile, &mut []).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn corrupt_truncated_and_inflated_input_is_refused() {
        let codec = Lz4::default();
        let data = sample(50_000);
        let encoded = codec.encode(&data, &ArrayInfo::default()).unwrap();
        for short in [&[][..], &[1], &[1, 0, 0]] {
            assert_eq!(codec.decode(short).unwrap_err().kind(), ErrorKind::CorruptData);
        }
        for cut in [4, 5, encoded.len() / 2, encoded.len() - 1] {
            assert_eq!(codec.decode(&encoded[..cut]).unwrap_err().kind(), ErrorKind::CorruptData, "cut at {cut}");
        }
        // Header one byte larger or smaller than the block's content.
        for size in [data.len() + 1, data.len() - 1] {
            let mut wrong = encoded.clone();
            wrong[..4].copy_from_slice(&(size as u32).to_le_bytes());
            assert_eq!(codec.decode(&wrong).unwrap_err().kind(), ErrorKind::CorruptData, "size {size}");
        }
        // Sizes a few bytes cannot expand to are refused from the header alone.
        let mut inflated = vec![0u8; 4];
        inflated[..4].copy_from_slice(&0x7000_0000u32.to_le_bytes());
        inflated.extend_from_slice(&[0x1f, b'a', 0xff, 0xff]);
        assert_eq!(codec.decoded_size(&inflated).unwrap_err().kind(), ErrorKind::CorruptData);
        assert_eq!(codec.decode(&inflated).unwrap_err().kind(), ErrorKind::CorruptData);
        // Sizes numcodecs' LZ4 could never have written (>= 2^31 read as negative there).
        let mut negative = encoded.clone();
        negative[..4].copy_from_slice(&0x8000_0000u32.to_le_bytes());
        assert_eq!(codec.decoded_size(&negative).unwrap_err().kind(), ErrorKind::CorruptData);
        // Random garbage behind a plausible header never panics.
        let garbage = noise(4096);
        for start in 0..64 {
            let mut input = (1000u32).to_le_bytes().to_vec();
            input.extend_from_slice(&garbage[start..start + 200]);
            if let Ok(out) = codec.decode(&input) {
                assert_eq!(out.len(), 1000);
            }
        }
    }

    #[test]
    fn buffer_too_small_reports_the_needed_size() {
        let codec = Lz4::default();
        let data = sample(10_000);
        let info = ArrayInfo::default();
        let encoded = codec.encode(&data, &info).unwrap();
        let err = codec.decode_into(&encoded, &mut vec![0u8; data.len() - 1]).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(data.len())));
        let err = codec.encode_into(&data, &info, &mut vec![0u8; encoded.len() - 1]).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
        let mut exact = vec![0u8; encoded.len()];
        assert_eq!(codec.encode_into(&data, &info, &mut exact).unwrap(), encoded.len());
        assert_eq!(exact, encoded);
        let mut roomy = vec![0u8; data.len() + 10];
        assert_eq!(codec.decode_into(&encoded, &mut roomy).unwrap(), data.len());
        assert_eq!(&roomy[..data.len()], &data[..]);
    }

    #[test]
    fn oversized_input_is_refused() {
        let codec = Lz4::default();
        assert_eq!(codec.encode_bound(MAX_BUFFER_SIZE + 1, &ArrayInfo::default()).unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert!(codec.encode_bound(MAX_BUFFER_SIZE, &ArrayInfo::default()).is_ok());
    }
}
