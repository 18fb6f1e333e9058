//! `zstd`: numcodecs' `Zstd(level=0, checksum=False)`, Zstandard frames as numcodecs 0.16.6 writes them.
//!
//! Encoding is numcodecs' `compress()`: a fresh compression context with `ZSTD_c_compressionLevel` (levels
//! above `ZSTD_maxCLevel()` = 22 lowered to 22 first; zstd itself raises levels below -131072, and
//! level 0 means zstd's default, 3) and `ZSTD_c_checksumFlag`, then one `ZSTD_compress2` call, which
//! records the content size in the frame header. numcodecs bundles zstd 1.5.6 and so does our pinned
//! zstd-sys, so the bytes are identical.
//!
//! Decoding accepts what numcodecs' `decompress()` accepts: one or more concatenated frames (skippable
//! frames included), decoded in one shot when every frame records its content size, streamed otherwise.
//! Unlike numcodecs, we decode a total content size of 0 (numcodecs encodes `b""` but refuses to decode
//! it).

use serde_json::{Map, Value};
use zstd::zstd_safe::{self, CCtx, CParameter, DCtx, InBuffer, OutBuffer, WriteBuf};

use super::{check_decoded_size, compress_to_vec, compress_with_bound_room, config_map, echo_given, ArrayInfo, Codec, Constructor, Error, Params, Result};
use super::decode_limit;
#[cfg(test)]
use super::DEFAULT_MAX_DECODED_SIZE;

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("zstd", Zstd::from_params)];

// Public as `Zstd::DEFAULT_LEVEL` (module-level public constants would land in the C header).
const DEFAULT_LEVEL: i32 = 0;

/// The `zstd` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zstd {
    level: i32,
    checksum: bool,
    /// Options given as non-integer JSON (e.g. `3.5`), echoed by `config()` like numcodecs does.
    echo: Map<String, Value>,
}

impl Default for Zstd {
    fn default() -> Self {
        Zstd::new(DEFAULT_LEVEL, false)
    }
}

// The C header is generated from every public item of the crate; these are Rust-only.
#[doc = "cbindgen:ignore"]
impl Zstd {
    /// numcodecs' `DEFAULT_CLEVEL` (zstd maps 0 to its own default level, 3).
    pub const DEFAULT_LEVEL: i32 = DEFAULT_LEVEL;
}

impl Zstd {
    /// `level` is kept as given (numcodecs' `get_config()` echoes it); it is clamped only when encoding.
    pub fn new(level: i32, checksum: bool) -> Self {
        Zstd { level, checksum, echo: Map::new() }
    }

    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        // numcodecs accepts any int here and converts it to a C int when encoding.
        // (floats are truncated toward zero, as Cython does).
        let mut echo = Map::new();
        let level = params.c_int_or("level", DEFAULT_LEVEL, &mut echo)?;
        let checksum = params.take_bool("checksum")?.unwrap_or(false);
        params.finish()?;
        Ok(Box::new(Zstd { echo, ..Zstd::new(level, checksum) }))
    }

    fn compress_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let mut cctx = CCtx::create();
        // As numcodecs: lower levels above the maximum; zstd clamps the rest itself.
        let level = self.level.min(zstd_safe::max_c_level());
        cctx.set_parameter(CParameter::CompressionLevel(level)).map_err(|code| zstd_error("setting the compression level", code))?;
        cctx.set_parameter(CParameter::ChecksumFlag(self.checksum)).map_err(|code| zstd_error("setting the checksum flag", code))?;
        cctx.compress2(dst, src).map_err(|code| zstd_error("compression", code))
    }
}

fn zstd_error(what: &str, code: usize) -> Error {
    Error::internal(format!("zstd: {what} failed: {}", zstd_safe::get_error_name(code)))
}

fn corrupt(code: usize) -> Error {
    Error::corrupt(format!("zstd: invalid input data: {}", zstd_safe::get_error_name(code)))
}

/// The sum of the content sizes recorded in the frames of `src`, `None` when a frame does not record
/// its size. Walks the frames as numcodecs' `findTotalContentSize` does (skippable frames count 0).
fn total_content_size(src: &[u8]) -> Result<Option<u64>> {
    if src.is_empty() {
        return Err(Error::corrupt("zstd: empty input is not a zstd frame"));
    }
    let mut total: u64 = 0;
    let mut rest = src;
    while !rest.is_empty() {
        let frame_len = zstd_safe::find_frame_compressed_size(rest).map_err(corrupt)?;
        let frame = rest.get(..frame_len).ok_or_else(|| Error::corrupt("zstd: frame runs past the end of the input"))?;
        match zstd_safe::get_frame_content_size(frame) {
            Ok(Some(size)) => {
                total = total.checked_add(size).ok_or_else(|| Error::limit("zstd: total content size overflows"))?;
            }
            Ok(None) => return Ok(None),
            Err(_) => return Err(Error::corrupt("zstd: invalid frame header")),
        }
        rest = &rest[frame_len..];
    }
    Ok(Some(total))
}

/// Decodes frames whose total content size `size` is known, in one shot, into `dst` (exactly `size` bytes).
fn decode_known(src: &[u8], dst: &mut [u8]) -> Result<usize> {
    let size = dst.len();
    let written = DCtx::create().decompress(dst, src).map_err(corrupt)?;
    if written != size {
        return Err(Error::corrupt(format!("zstd: expected to decompress {size} bytes, got {written}")));
    }
    Ok(written)
}

/// Streams frames of unknown size into `out`, calling `grow` when it is full (it returns false when it
/// may not grow); `full` is the error for more output than `out` may hold. Callers have walked the frames
/// with `ZSTD_findFrameCompressedSize` (which refuses incomplete frames), so the no-progress checks
/// below are a second line of defence against a decoder that stalls on input it cannot finish.
fn decode_stream<C: WriteBuf + ?Sized>(src: &[u8], out: &mut C, mut grow: impl FnMut(&mut C) -> bool, full: impl Fn() -> Error) -> Result<usize> {
    let truncated = || Error::corrupt("zstd: truncated input: the last frame is incomplete");
    let mut dctx = DCtx::create();
    let mut input = InBuffer::around(src);
    let mut written = 0;
    loop {
        let (in_before, out_before) = (input.pos(), written);
        let (status, is_full) = {
            let mut output = OutBuffer::around_pos(out, written);
            let status = dctx.decompress_stream(&mut output, &mut input).map_err(corrupt)?;
            written = output.pos();
            (status, written == output.capacity())
        };
        if status == 0 && input.pos() == src.len() {
            return Ok(written);
        }
        if is_full {
            if grow(out) {
                continue;
            }
            // Out of room: decode into one spare byte to tell "finished" from "needs more room".
            let mut spare = [0u8; 1];
            let mut probe = OutBuffer::around(&mut spare[..]);
            let in_before = input.pos();
            let status = dctx.decompress_stream(&mut probe, &mut input).map_err(corrupt)?;
            if probe.pos() > 0 {
                return Err(full());
            }
            if status == 0 && input.pos() == src.len() {
                return Ok(written);
            }
            if input.pos() == in_before {
                return Err(truncated());
            }
        } else if input.pos() == in_before && written == out_before {
            // Room to write and input left, yet no progress: zstd wants input we do not have.
            return Err(truncated());
        }
    }
}

/// Streams frames of unknown size into a vector that grows up to `limit` bytes
/// ([`decode_limit`] outside tests).
fn decode_stream_vec(src: &[u8], limit: usize) -> Result<Vec<u8>> {
    // numcodecs starts at twice the input (at least ZSTD_DStreamOutSize()) and grows by that much each
    // time; we grow geometrically.
    let initial = src.len().saturating_mul(2).max(DCtx::out_size()).min(limit);
    let mut out = Vec::with_capacity(initial);
    let grow = |out: &mut Vec<u8>| {
        let room = out.capacity().min(limit.saturating_sub(out.len()));
        if room == 0 {
            return false;
        }
        out.reserve_exact(room);
        true
    };
    let over_limit = || Error::limit(format!("zstd: decoded size exceeds the limit of {limit} bytes"));
    decode_stream(src, &mut out, grow, over_limit)?;
    Ok(out)
}

impl Codec for Zstd {
    fn codec_id(&self) -> &str {
        "zstd"
    }

    fn config(&self) -> Map<String, Value> {
        echo_given(config_map("zstd", [("level", Value::from(self.level)), ("checksum", Value::from(self.checksum))]), &self.echo)
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        let bound = zstd_safe::compress_bound(src_len);
        // ZSTD_compressBound returns an error code (a huge value) past ZSTD_MAX_INPUT_SIZE.
        if bound < src_len {
            return Err(Error::limit(format!("zstd: cannot compress {src_len} bytes")));
        }
        Ok(bound)
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        compress_to_vec(self.encode_bound(src.len(), info)?, |out| self.compress_into(src, out))
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        // numcodecs compresses into exactly encode_bound bytes; fewer could change the output.
        compress_with_bound_room(self.encode_bound(src.len(), info)?, dst, |out| self.compress_into(src, out))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        match total_content_size(src)? {
            Some(size) => check_decoded_size("zstd", size),
            None => Err(Error::size_unknown("zstd: a frame does not record its content size")),
        }
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        match total_content_size(src)? {
            Some(size) => {
                let size = check_decoded_size("zstd", size)?;
                let mut out = vec![0u8; size];
                decode_known(src, &mut out)?;
                Ok(out)
            }
            None => decode_stream_vec(src, decode_limit()),
        }
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        match total_content_size(src)? {
            Some(size) => {
                let size = check_decoded_size("zstd", size)?;
                let capacity = dst.len();
                let room = dst.get_mut(..size).ok_or_else(|| Error::buffer_too_small(size, capacity))?;
                decode_known(src, room)
            }
            None => {
                let capacity = dst.len();
                decode_stream(src, dst, |_| false, || Error::buffer_too_small_unknown(capacity))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    fn sample(len: usize) -> Vec<u8> {
        // Compressible but not trivial: a slow ramp with a little noise.
        let mut state = 0x2545_f491_u32;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                ((i / 7) as u8).wrapping_add((state & 3) as u8)
            })
            .collect()
    }

    /// A frame without a content size, as the streaming encoder writes it (numcodecs decodes those too).
    fn frame_without_size(data: &[u8], level: i32) -> Vec<u8> {
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), level).unwrap();
        encoder.include_contentsize(false).unwrap();
        std::io::Write::write_all(&mut encoder, data).unwrap();
        encoder.finish().unwrap()
    }

    fn skippable_frame(payload: &[u8]) -> Vec<u8> {
        let mut frame = 0x184D_2A50_u32.to_le_bytes().to_vec();
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn config_json_has_numcodecs_defaults_and_key_order() {
        let codec = codec_from_json(r#"{"id":"zstd"}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zstd","level":0,"checksum":false}"#);
        let codec = codec_from_json(r#"{"id":"zstd","checksum":true,"level":-5}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zstd","level":-5,"checksum":true}"#);
        // numcodecs keeps an out-of-range level in its config and only clamps when compressing.
        let codec = codec_from_json(r#"{"id":"zstd","level":100}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zstd","level":100,"checksum":false}"#);
        let codec = codec_from_json(r#"{"name":"zstd","configuration":{"level":3,"checksum":false}}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zstd","level":3,"checksum":false}"#);
    }

    #[test]
    fn invalid_configs_are_refused() {
        for json in [
            r#"{"id":"zstd","level":"3"}"#,
            r#"{"id":"zstd","level":null}"#,
            r#"{"id":"zstd","level":4294967296}"#,
            r#"{"id":"zstd","checksum":"yes"}"#,
            r#"{"id":"zstd","clevel":3}"#,
        ] {
            assert_eq!(codec_from_json(json).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
    }

    #[test]
    fn float_levels_are_truncated_and_echoed_like_numcodecs() {
        let codec = codec_from_json(r#"{"id":"zstd","level":3.5}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zstd","level":3.5,"checksum":false}"#);
        let same = codec_from_json(r#"{"id":"zstd","level":3}"#).unwrap();
        let data = vec![42u8; 1000];
        assert_eq!(codec.encode(&data, &ArrayInfo::default()).unwrap(), same.encode(&data, &ArrayInfo::default()).unwrap());
    }

    #[test]
    fn round_trips_at_every_kind_of_level() {
        let info = ArrayInfo::default();
        for level in [-131072, -1000, -5, -1, 0, 1, 3, 9, 19, 22, 100] {
            for checksum in [false, true] {
                let codec = Zstd::new(level, checksum);
                for len in [0, 1, 100, 70_000] {
                    let data = sample(len);
                    let encoded = codec.encode(&data, &info).unwrap();
                    assert_eq!(codec.decoded_size(&encoded).unwrap(), len);
                    assert_eq!(codec.decode(&encoded).unwrap(), data, "level {level} checksum {checksum} len {len}");
                }
            }
        }
    }

    #[test]
    fn levels_above_the_maximum_compress_like_the_maximum() {
        let data = sample(50_000);
        let info = ArrayInfo::default();
        assert_eq!(Zstd::new(100, false).encode(&data, &info).unwrap(), Zstd::new(22, false).encode(&data, &info).unwrap());
        assert_ne!(Zstd::new(1, false).encode(&data, &info).unwrap(), Zstd::new(22, false).encode(&data, &info).unwrap());
    }

    #[test]
    fn frames_record_content_size_and_checksum_flag() {
        let data = sample(1000);
        let plain = Zstd::new(1, false).encode(&data, &ArrayInfo::default()).unwrap();
        let checked = Zstd::new(1, true).encode(&data, &ArrayInfo::default()).unwrap();
        assert_eq!(zstd_safe::get_frame_content_size(&plain).unwrap(), Some(1000));
        // Frame header descriptor bit 2 is the checksum flag; the checksum adds 4 bytes.
        assert_eq!(plain[4] & 0x04, 0);
        assert_eq!(checked[4] & 0x04, 0x04);
        assert_eq!(checked.len(), plain.len() + 4);
    }

    #[test]
    fn empty_chunk_decodes_although_numcodecs_cannot() {
        // numcodecs 0.16.6 encodes b"" to this 9-byte frame and then fails to decode it ("invalid input
        // data", because it treats a content size of 0 as an error). We keep the bytes and decode them.
        let codec = Zstd::default();
        let encoded = codec.encode(&[], &ArrayInfo::default()).unwrap();
        assert_eq!(encoded, [0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x00, 0x01, 0x00, 0x00]);
        assert_eq!(codec.decoded_size(&encoded).unwrap(), 0);
        assert_eq!(codec.decode(&encoded).unwrap(), Vec::<u8>::new());
        assert_eq!(codec.decode_into(&encoded, &mut []).unwrap(), 0);
    }

    #[test]
    fn decodes_frames_without_content_size() {
        let codec = Zstd::default();
        let data = sample(300_000);
        let frame = frame_without_size(&data, 3);
        assert_eq!(zstd_safe::get_frame_content_size(&frame).unwrap(), None);
        assert_eq!(codec.decoded_size(&frame).unwrap_err().kind(), ErrorKind::SizeUnknown);
        assert_eq!(codec.decode(&frame).unwrap(), data);
        let mut exact = vec![0u8; data.len()];
        assert_eq!(codec.decode_into(&frame, &mut exact).unwrap(), data.len());
        assert_eq!(exact, data);
        let mut roomy = vec![0u8; data.len() + 10];
        assert_eq!(codec.decode_into(&frame, &mut roomy).unwrap(), data.len());
        let mut short = vec![0u8; data.len() - 1];
        let err = codec.decode_into(&frame, &mut short).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
        assert_eq!(err.needed(), None);
        // An empty frame without a size decodes too.
        assert_eq!(codec.decode(&frame_without_size(&[], 3)).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn decodes_concatenated_and_skippable_frames() {
        let codec = Zstd::new(5, true);
        let (a, b) = (sample(5000), sample(20_000));
        let info = ArrayInfo::default();
        let mut known = codec.encode(&a, &info).unwrap();
        known.extend(skippable_frame(b"metadata"));
        known.extend(codec.encode(&b, &info).unwrap());
        let joined: Vec<u8> = a.iter().chain(&b).copied().collect();
        assert_eq!(codec.decoded_size(&known).unwrap(), joined.len());
        assert_eq!(codec.decode(&known).unwrap(), joined);

        // One frame of unknown size makes the whole input stream-decoded.
        let mut mixed = frame_without_size(&a, 1);
        mixed.extend(skippable_frame(&[]));
        mixed.extend(codec.encode(&b, &info).unwrap());
        assert_eq!(codec.decoded_size(&mixed).unwrap_err().kind(), ErrorKind::SizeUnknown);
        assert_eq!(codec.decode(&mixed).unwrap(), joined);
        let mut dst = vec![0u8; joined.len()];
        assert_eq!(codec.decode_into(&mixed, &mut dst).unwrap(), joined.len());
        assert_eq!(dst, joined);

        // Only a skippable frame: nothing to decode.
        assert_eq!(codec.decode(&skippable_frame(b"abc")).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn corrupt_and_truncated_input_is_refused() {
        let codec = Zstd::new(3, true);
        let data = sample(100_000);
        let encoded = codec.encode(&data, &ArrayInfo::default()).unwrap();
        assert_eq!(codec.decode(&[]).unwrap_err().kind(), ErrorKind::CorruptData);
        assert_eq!(codec.decode(b"not zstd at all").unwrap_err().kind(), ErrorKind::CorruptData);
        for cut in [1, 4, 5, 10, encoded.len() / 2, encoded.len() - 1] {
            assert_eq!(codec.decode(&encoded[..cut]).unwrap_err().kind(), ErrorKind::CorruptData, "cut at {cut}");
        }
        // Trailing garbage after a valid frame.
        let mut trailing = encoded.clone();
        trailing.extend_from_slice(b"junk");
        assert_eq!(codec.decode(&trailing).unwrap_err().kind(), ErrorKind::CorruptData);
        // A flipped bit inside the compressed data is caught (here by the checksum at the latest).
        let mut flipped = encoded.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x10;
        assert_eq!(codec.decode(&flipped).unwrap_err().kind(), ErrorKind::CorruptData);

        // Truncated frames without a content size fail too (numcodecs refuses them as well).
        let sizeless = frame_without_size(&data, 3);
        for cut in [5, 10, sizeless.len() / 2, sizeless.len() - 1] {
            assert_eq!(codec.decode(&sizeless[..cut]).unwrap_err().kind(), ErrorKind::CorruptData, "cut at {cut}");
            let mut dst = vec![0u8; data.len()];
            assert_eq!(codec.decode_into(&sizeless[..cut], &mut dst).unwrap_err().kind(), ErrorKind::CorruptData, "cut at {cut}");
        }
    }

    #[test]
    fn streaming_enforces_the_size_limit() {
        let data = sample(300_000);
        let frame = frame_without_size(&data, 3);
        assert_eq!(decode_stream_vec(&frame, data.len()).unwrap(), data);
        assert_eq!(decode_stream_vec(&frame, data.len() + 1).unwrap(), data);
        let err = decode_stream_vec(&frame, data.len() - 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        // A small limit below the initial capacity is respected too.
        assert_eq!(decode_stream_vec(&frame, 1000).unwrap_err().kind(), ErrorKind::LimitExceeded);
    }

    #[test]
    fn streaming_stops_on_input_that_ends_mid_frame() {
        // decode() walks the frames first and refuses these already; the streaming loop must not spin on
        // them either.
        let data = sample(100_000);
        let frame = frame_without_size(&data, 3);
        for cut in [3, 5, 6, frame.len() / 2, frame.len() - 1] {
            let err = decode_stream_vec(&frame[..cut], DEFAULT_MAX_DECODED_SIZE).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "cut at {cut}");
            let mut dst = vec![0u8; data.len()];
            let err = decode_stream(&frame[..cut], &mut dst[..], |_| false, || Error::buffer_too_small_unknown(0)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "cut at {cut}");
        }
    }

    #[test]
    fn huge_content_size_is_refused_before_allocating() {
        // A frame header claiming 2^40 bytes: single-segment flag with an 8-byte content size field.
        let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        frame.extend_from_slice(&(1u64 << 40).to_le_bytes());
        frame.extend_from_slice(&[0x01, 0x00, 0x00]); // one empty raw block, last
        let codec = Zstd::default();
        assert_eq!(codec.decoded_size(&frame).unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert_eq!(codec.decode(&frame).unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert_eq!(codec.decode_into(&frame, &mut [0u8; 16]).unwrap_err().kind(), ErrorKind::LimitExceeded);
        // Two frames whose sizes only together exceed the limit.
        let mut half = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        half.extend_from_slice(&((DEFAULT_MAX_DECODED_SIZE as u64 / 2) + 1).to_le_bytes());
        half.extend_from_slice(&[0x01, 0x00, 0x00]);
        let twice: Vec<u8> = half.iter().chain(&half).copied().collect();
        assert_eq!(codec.decoded_size(&twice).unwrap_err().kind(), ErrorKind::LimitExceeded);
        // A size that lies (claims 1000, holds 0) fails during decoding.
        let mut liar = vec![0x28, 0xb5, 0x2f, 0xfd, 0x20, 0xe8];
        liar.extend_from_slice(&[0x01, 0x00, 0x00]);
        assert_eq!(codec.decoded_size(&liar).unwrap(), 0xe8);
        assert_eq!(codec.decode(&liar).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn buffer_too_small_reports_the_needed_size() {
        let codec = Zstd::new(1, false);
        let data = sample(10_000);
        let encoded = codec.encode(&data, &ArrayInfo::default()).unwrap();
        let mut small = vec![0u8; data.len() - 1];
        let err = codec.decode_into(&encoded, &mut small).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(data.len())));
        let mut tiny = vec![0u8; encoded.len() - 1];
        let err = codec.encode_into(&data, &ArrayInfo::default(), &mut tiny).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
    }

    #[test]
    fn encode_into_matches_encode_for_any_room() {
        let codec = Zstd::new(19, true);
        let info = ArrayInfo::default();
        let data = sample(200_000);
        let expected = codec.encode(&data, &info).unwrap();
        let bound = codec.encode_bound(data.len(), &info).unwrap();
        for room in [expected.len(), expected.len() + 1, bound, bound + 100] {
            let mut dst = vec![0u8; room];
            let len = codec.encode_into(&data, &info, &mut dst).unwrap();
            assert_eq!(&dst[..len], &expected[..], "room {room}");
        }
        let incompressible: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let encoded = codec.encode(&incompressible, &info).unwrap();
        assert!(encoded.len() <= codec.encode_bound(incompressible.len(), &info).unwrap());
        assert_eq!(codec.decode(&encoded).unwrap(), incompressible);
    }
}
