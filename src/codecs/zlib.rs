//! `zlib`: numcodecs' `Zlib`, i.e. CPython 3.11's `zlib.compress(data, level)` and `zlib.decompress(data)`.
//!
//! Wire format: a zlib stream (RFC 1950) from the real zlib with CPython's parameters (window bits 15,
//! memory level 8, default strategy). At level 0 the stored-block boundaries depend on how much output
//! space each `deflate()` call gets, so encoding replays CPython's exact call sequence: the output grows
//! in CPython's `_BlocksOutputBuffer` blocks (32 KiB, 64 KiB, 256 KiB, 1 MiB, ...) and input is passed in
//! pieces of at most `UINT_MAX` bytes. At levels 1-9 zlib's output does not depend on the output space,
//! which lets `encode_into` write straight into the caller's buffer.
//!
//! Decoding follows `zlib.decompress`: bytes after the end of the zlib stream are ignored, a stream that
//! ends early is an error.
//!
//! This module also holds the deflate/inflate drivers that `gzip` shares.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use serde_json::{Map, Value};

use super::error::{Error, Result};
use super::sink::OutputSink;
use super::{config_map, copy_into, ArrayInfo, Codec, Constructor, Params};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("zlib", new_boxed)];

const CODEC_ID: &str = "zlib";

/// numcodecs' default level.
const DEFAULT_LEVEL: i32 = 1;

/// CPython's `_BlocksOutputBuffer` block sizes (Include/internal/pycore_blocks_output_buffer.h); after
/// the last entry every further block has the last size.
const CPYTHON_BLOCK_SIZES: [usize; 17] = [
    32 << 10,
    64 << 10,
    256 << 10,
    1 << 20,
    4 << 20,
    8 << 20,
    16 << 20,
    16 << 20,
    32 << 20,
    32 << 20,
    32 << 20,
    32 << 20,
    64 << 20,
    64 << 20,
    128 << 20,
    128 << 20,
    256 << 20,
];

/// CPython hands zlib at most `UINT_MAX` input bytes per call (`arrange_input_buffer`).
const MAX_INPUT_PER_CALL: usize = u32::MAX as usize;

/// The zlib codec of numcodecs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zlib {
    level: i32,
}

impl Zlib {
    /// `level` is a zlib level: 0-9, or -1 for zlib's default (6), as `zlib.compress` accepts.
    pub fn new(level: i32) -> Result<Self> {
        check_level(CODEC_ID, level.into())?;
        Ok(Zlib { level })
    }

    pub fn from_params(mut params: Params) -> Result<Self> {
        let level = read_level(&mut params)?;
        params.finish()?;
        Ok(Zlib { level })
    }

    pub fn level(&self) -> i32 {
        self.level
    }
}

fn new_boxed(params: Params) -> Result<Box<dyn Codec>> {
    Ok(Box::new(Zlib::from_params(params)?))
}

/// Reads numcodecs' `level` (default 1). zlib (and so `zlib.compress` and `zlib.compressobj`) accepts
/// -1..=9 and refuses the rest.
pub(super) fn read_level(params: &mut Params) -> Result<i32> {
    let level = params.take_i64("level")?.unwrap_or(DEFAULT_LEVEL.into());
    check_level(params.id(), level)
}

pub(super) fn check_level(codec_id: &str, level: i64) -> Result<i32> {
    match i32::try_from(level) {
        Ok(level) if (-1..=9).contains(&level) => Ok(level),
        _ => Err(Error::invalid_config(format!("{codec_id}: level must be between -1 and 9, got {level}"))),
    }
}

/// The flate2 compression level for a zlib level; zlib itself maps -1 (`Z_DEFAULT_COMPRESSION`) to 6.
pub(super) fn compression(level: i32) -> Compression {
    Compression::new(if level < 0 { 6 } else { level.unsigned_abs() })
}

/// An upper bound of zlib's raw deflate output for `len` input bytes with CPython's parameters, whichever
/// way the output space is handed out.
///
/// For window bits 15 and memory level 8, zlib's own `deflateBound` is
/// `len + len/4096 + len/16384 + len/2^25 + 7` for the raw deflate data. That covers levels 1-9 (which
/// fall back to stored blocks when compression does not pay). At level 0 every stored block costs 5 bytes
/// and zlib emits blocks of at least 32 KiB except where a `deflate()` call ends early, which CPython's
/// growing output buffer makes happen at most once per buffer block (and once at the end); the extra
/// term pays 5 bytes for each of those.
pub(super) fn raw_deflate_bound(len: usize) -> Result<usize> {
    let blocks = len / (32 << 10) + CPYTHON_BLOCK_SIZES.len() + len / (256 << 20) + 2;
    len.checked_add(len >> 12)
        .and_then(|n| n.checked_add(len >> 14))
        .and_then(|n| n.checked_add(len >> 25))
        .and_then(|n| n.checked_add(7))
        .and_then(|n| n.checked_add(blocks.checked_mul(5)?))
        .ok_or_else(|| Error::limit(format!("deflate: input of {len} bytes is too large to bound its output")))
}

impl Codec for Zlib {
    fn codec_id(&self) -> &str {
        CODEC_ID
    }

    fn config(&self) -> Map<String, Value> {
        config_map(CODEC_ID, [("level", Value::from(self.level))])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        // 2 bytes of zlib header, 4 of Adler-32 trailer.
        raw_deflate_bound(src_len)?
            .checked_add(6)
            .ok_or_else(|| Error::limit(format!("{CODEC_ID}: input of {src_len} bytes is too large")))
    }

    fn encode(&self, src: &[u8], _info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut compressor = Compress::new(compression(self.level), true);
        let mut out = Vec::new();
        let mut buffer = CpythonOutput::new(&mut out);
        zlib_compress_calls(&mut compressor, src, &mut buffer)?;
        buffer.finish();
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        if self.level == 0 {
            // Stored blocks follow the output space; only CPython's buffer growth gives CPython's bytes.
            let encoded = self.encode(src, info)?;
            return copy_into(&encoded, dst);
        }
        let mut compressor = Compress::new(compression(self.level), true);
        let mut sink = OutputSink::fixed_encoded(CODEC_ID, dst);
        zlib_compress_calls(&mut compressor, src, &mut SinkOutput(&mut sink))?;
        sink.finish_fixed()
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut sink = OutputSink::growing_decoded(CODEC_ID, decode_size_hint(src.len()));
        zlib_decompress(src, &mut sink)?;
        Ok(sink.into_vec())
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let mut sink = OutputSink::fixed_decoded(CODEC_ID, dst);
        zlib_decompress(src, &mut sink)?;
        sink.finish_fixed()
    }
}

/// A first guess of the decoded size of `len` compressed bytes (the sink grows from there).
pub(super) fn decode_size_hint(len: usize) -> usize {
    len.saturating_mul(4)
}

/// Output space for `deflate()` calls.
pub(super) trait DeflateOutput {
    /// Called where CPython starts a fresh output buffer (each `compress()`/`flush()` call).
    fn start_buffer(&mut self);
    /// Space for the next `deflate()` call, never empty.
    fn space(&mut self) -> Result<&mut [u8]>;
    /// `deflate()` wrote `count` bytes to the front of the last space.
    fn commit(&mut self, count: usize) -> Result<()>;
}

/// CPython's `_BlocksOutputBuffer`, appended to a `Vec`: every `deflate()` call gets exactly the rest of
/// the current block as `avail_out`, and a new block is added only when the current one is full.
pub(super) struct CpythonOutput<'v> {
    out: &'v mut Vec<u8>,
    filled: usize,
    block_end: usize,
    blocks: usize,
}

impl<'v> CpythonOutput<'v> {
    pub(super) fn new(out: &'v mut Vec<u8>) -> Self {
        let filled = out.len();
        CpythonOutput { out, filled, block_end: filled, blocks: 0 }
    }

    /// Drops the unused rest of the last block.
    pub(super) fn finish(self) {
        self.out.truncate(self.filled);
    }

    fn add_block(&mut self) {
        let size = CPYTHON_BLOCK_SIZES[self.blocks.min(CPYTHON_BLOCK_SIZES.len() - 1)];
        self.blocks += 1;
        self.block_end = self.filled + size;
        self.out.resize(self.block_end, 0);
    }
}

impl DeflateOutput for CpythonOutput<'_> {
    fn start_buffer(&mut self) {
        // Bytes of the previous buffer beyond `filled` were never written; the new buffer starts here.
        self.out.truncate(self.filled);
        self.blocks = 0;
        self.add_block();
    }

    fn space(&mut self) -> Result<&mut [u8]> {
        if self.filled >= self.block_end {
            self.add_block();
        }
        Ok(&mut self.out[self.filled..self.block_end])
    }

    fn commit(&mut self, count: usize) -> Result<()> {
        self.filled = self.filled.saturating_add(count).min(self.block_end);
        Ok(())
    }
}

/// Deflate output straight into an [`OutputSink`]: right for levels 1-9, whose bytes do not depend on
/// the output space.
pub(super) struct SinkOutput<'s, 'a>(pub(super) &'s mut OutputSink<'a>);

impl DeflateOutput for SinkOutput<'_, '_> {
    fn start_buffer(&mut self) {}

    fn space(&mut self) -> Result<&mut [u8]> {
        self.0.space(usize::MAX)
    }

    fn commit(&mut self, count: usize) -> Result<()> {
        self.0.commit(count)
    }
}

/// One `do { deflate(flush) } while (avail_out == 0)` loop of CPython, with `input` as `next_in`.
fn deflate_until_space_left(
    compressor: &mut Compress,
    input: &[u8],
    flush: FlushCompress,
    output: &mut dyn DeflateOutput,
) -> Result<()> {
    let mut pos = 0;
    loop {
        let space = output.space()?;
        let space_len = space.len();
        let (in_before, out_before) = (compressor.total_in(), compressor.total_out());
        let rest = input.get(pos..).unwrap_or_default();
        compressor.compress(rest, space, flush).map_err(|e| Error::internal(format!("deflate failed: {e}")))?;
        let consumed = usize::try_from(compressor.total_in() - in_before).unwrap_or(usize::MAX);
        let produced = usize::try_from(compressor.total_out() - out_before).unwrap_or(usize::MAX);
        output.commit(produced)?;
        pos = pos.saturating_add(consumed);
        if produced < space_len {
            break;
        }
    }
    if pos != input.len() {
        return Err(Error::internal(format!("deflate left {} of {} input bytes", input.len() - pos, input.len())));
    }
    Ok(())
}

/// The `deflate()` calls of CPython's `zlib.compress(data, level)`: input in pieces of at most
/// `UINT_MAX` bytes, `Z_FINISH` with the last piece, all into one output buffer.
pub(super) fn zlib_compress_calls(
    compressor: &mut Compress,
    input: &[u8],
    output: &mut dyn DeflateOutput,
) -> Result<()> {
    output.start_buffer();
    let mut rest = input;
    loop {
        let (piece, after) = rest.split_at(rest.len().min(MAX_INPUT_PER_CALL));
        let flush = if after.is_empty() { FlushCompress::Finish } else { FlushCompress::None };
        deflate_until_space_left(compressor, piece, flush, output)?;
        if after.is_empty() {
            return Ok(());
        }
        rest = after;
    }
}

/// The `deflate()` calls of CPython's `c = zlib.compressobj(...); c.compress(data); c.flush()` as
/// `gzip.GzipFile.write` + `close` make them (`write` skips `compress` for empty data).
pub(super) fn compressobj_calls(compressor: &mut Compress, input: &[u8], output: &mut dyn DeflateOutput) -> Result<()> {
    if !input.is_empty() {
        output.start_buffer();
        for piece in input.chunks(MAX_INPUT_PER_CALL) {
            deflate_until_space_left(compressor, piece, FlushCompress::None, output)?;
        }
    }
    output.start_buffer();
    deflate_until_space_left(compressor, &[], FlushCompress::Finish, output)
}

/// Inflates one stream from the front of `input` into `sink`, passing each piece of output to
/// `on_output` too. Returns the number of input bytes the stream used, or `None` when the input ended
/// before the stream did.
pub(super) fn inflate_stream(
    codec_id: &str,
    decompressor: &mut Decompress,
    input: &[u8],
    sink: &mut OutputSink<'_>,
    mut on_output: impl FnMut(&[u8]),
) -> Result<Option<usize>> {
    let mut pos = 0usize;
    loop {
        let space = sink.space(usize::MAX)?;
        let (in_before, out_before) = (decompressor.total_in(), decompressor.total_out());
        let rest = input.get(pos..).unwrap_or_default();
        let status = decompressor
            .decompress(rest, space, FlushDecompress::None)
            .map_err(|e| Error::corrupt(format!("{codec_id}: invalid deflate data: {e}")))?;
        let consumed = usize::try_from(decompressor.total_in() - in_before).unwrap_or(usize::MAX);
        let produced = usize::try_from(decompressor.total_out() - out_before).unwrap_or(usize::MAX);
        on_output(space.get(..produced).unwrap_or(space));
        sink.commit(produced)?;
        pos = pos.saturating_add(consumed);
        if status == Status::StreamEnd {
            return Ok(Some(pos));
        }
        if consumed == 0 && produced == 0 {
            // With output space available, no progress means inflate needs input we do not have.
            return Ok(None);
        }
    }
}

/// `zlib.decompress(src)`: one zlib stream; what follows it is ignored.
fn zlib_decompress(src: &[u8], sink: &mut OutputSink<'_>) -> Result<()> {
    let mut decompressor = Decompress::new(true);
    match inflate_stream(CODEC_ID, &mut decompressor, src, sink, |_| {})? {
        Some(_) => Ok(()),
        None => Err(Error::corrupt(format!("{CODEC_ID}: incomplete or truncated stream ({} bytes)", src.len()))),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codecs::sink::test_data::{noise, text};
    use crate::codecs::{codec_from_json, ErrorKind};

    fn info() -> ArrayInfo {
        ArrayInfo::default()
    }

    #[test]
    fn config_and_defaults() {
        let codec = codec_from_json(r#"{"id":"zlib"}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zlib","level":1}"#);
        let codec = codec_from_json(r#"{"id":"zlib","level":9}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zlib","level":9}"#);
        let codec = codec_from_json(r#"{"id":"zlib","level":-1}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"zlib","level":-1}"#);
    }

    #[test]
    fn invalid_configs_are_refused() {
        for json in [
            r#"{"id":"zlib","level":10}"#,
            r#"{"id":"zlib","level":-2}"#,
            r#"{"id":"zlib","level":4294967297}"#,
            r#"{"id":"zlib","level":1.5}"#,
            r#"{"id":"zlib","level":"1"}"#,
            r#"{"id":"zlib","level":1,"extra":0}"#,
        ] {
            let err = codec_from_json(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{json}");
        }
        assert_eq!(Zlib::new(10).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn known_bytes_match_cpython() {
        // zlib.compress(b"abc", 1) and zlib.compress(b"abc", 0) in CPython 3.11.
        let codec = Zlib::new(1).unwrap();
        assert_eq!(codec.encode(b"abc", &info()).unwrap(), b"x\x01KLJ\x06\x00\x02M\x01'");
        let codec = Zlib::new(0).unwrap();
        assert_eq!(codec.encode(b"abc", &info()).unwrap(), b"x\x01\x01\x03\x00\xfc\xffabc\x02M\x01'");
    }

    /// (BFINAL, LEN) of each stored block of a level-0 raw deflate stream starting at `raw[0]`.
    pub(crate) fn stored_blocks(raw: &[u8]) -> Vec<(u8, usize)> {
        let mut blocks = Vec::new();
        let mut at = 0;
        while at + 5 <= raw.len() {
            let len = u16::from_le_bytes([raw[at + 1], raw[at + 2]]) as usize;
            blocks.push((raw[at] & 1, len));
            if raw[at] & 1 == 1 {
                break;
            }
            at += 5 + len;
        }
        blocks
    }

    #[test]
    fn level_zero_uses_cpython_block_boundaries() {
        // CPython's first deflate() call gets only 32 KiB of output space, which makes zlib emit a short
        // second stored block; one call with ample space would give 65535-byte blocks. The lengths are
        // those of zlib.compress(os.urandom(100_000), 0) in CPython 3.11.
        let data = noise(100_000, 1);
        let encoded = Zlib::new(0).unwrap().encode(&data, &info()).unwrap();
        assert_eq!(stored_blocks(&encoded[2..]), [(0, 65531), (0, 32773), (1, 1696)]);
        assert_eq!(Zlib::new(0).unwrap().decode(&encoded).unwrap(), data);
    }

    #[test]
    fn round_trips_all_levels() {
        let inputs = [Vec::new(), vec![0u8], text(1000), noise(70_000, 2), text(300_000), vec![42u8; 1 << 20]];
        for level in -1..=9 {
            let codec = Zlib::new(level).unwrap();
            for data in &inputs {
                let encoded = codec.encode(data, &info()).unwrap();
                assert!(encoded.len() <= codec.encode_bound(data.len(), &info()).unwrap());
                assert_eq!(&codec.decode(&encoded).unwrap(), data, "level {level} len {}", data.len());
                let mut dst = vec![0u8; codec.encode_bound(data.len(), &info()).unwrap()];
                let n = codec.encode_into(data, &info(), &mut dst).unwrap();
                assert_eq!(&dst[..n], &encoded[..], "encode_into == encode at level {level}");
                let mut out = vec![0u8; data.len()];
                assert_eq!(codec.decode_into(&encoded, &mut out).unwrap(), data.len());
                assert_eq!(&out, data);
            }
        }
    }

    #[test]
    fn encode_bound_holds_for_incompressible_data() {
        for level in [0, 1, 6, 9] {
            let codec = Zlib::new(level).unwrap();
            for len in [0, 1, 100, 32 << 10, (32 << 10) + 1, 100_000, 400_000, 1_500_000] {
                let data = noise(len, len as u64);
                let encoded = codec.encode(&data, &info()).unwrap();
                let bound = codec.encode_bound(len, &info()).unwrap();
                assert!(encoded.len() <= bound, "level {level} len {len}: {} > {bound}", encoded.len());
            }
        }
    }

    #[test]
    fn encode_into_too_small_reports_needed_size() {
        for level in [0, 1, 9] {
            let codec = Zlib::new(level).unwrap();
            let data = text(50_000);
            let encoded = codec.encode(&data, &info()).unwrap();
            let mut dst = vec![0u8; encoded.len() - 1];
            let err = codec.encode_into(&data, &info(), &mut dst).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
            assert_eq!(err.needed(), Some(encoded.len()));
            let mut dst = vec![0u8; encoded.len()];
            assert_eq!(codec.encode_into(&data, &info(), &mut dst).unwrap(), encoded.len());
            assert_eq!(dst, encoded);
        }
    }

    #[test]
    fn decode_into_too_small_reports_needed_size() {
        let codec = Zlib::new(1).unwrap();
        let data = text(200_000);
        let encoded = codec.encode(&data, &info()).unwrap();
        for cap in [0, 1, 1000, 199_999] {
            let mut dst = vec![0u8; cap];
            let err = codec.decode_into(&encoded, &mut dst).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
            assert_eq!(err.needed(), Some(data.len()));
            assert_eq!(&dst[..], &data[..cap], "the part that fits is written");
        }
        let mut dst = vec![0u8; data.len() + 10];
        assert_eq!(codec.decode_into(&encoded, &mut dst).unwrap(), data.len());
    }

    #[test]
    fn trailing_bytes_are_ignored_like_zlib_decompress() {
        let codec = Zlib::new(1).unwrap();
        let mut encoded = codec.encode(b"hello", &info()).unwrap();
        encoded.extend_from_slice(b"garbage");
        assert_eq!(codec.decode(&encoded).unwrap(), b"hello");
    }

    #[test]
    fn corrupt_and_truncated_input_is_refused() {
        let codec = Zlib::new(6).unwrap();
        let data = text(100_000);
        let encoded = codec.encode(&data, &info()).unwrap();
        let err = codec.decode(&[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptData);
        assert!(err.message().starts_with("zlib:"), "{}", err.message());
        for cut in [1, 2, 10, encoded.len() / 2, encoded.len() - 1] {
            let err = codec.decode(&encoded[..cut]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "cut at {cut}");
        }
        // A wrong Adler-32 checksum.
        let mut bad = encoded.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(codec.decode(&bad).unwrap_err().kind(), ErrorKind::CorruptData);
        // Garbage and bit flips never panic.
        for seed in 0..200u64 {
            let mut damaged = encoded.clone();
            let pick = noise(4, seed);
            let at = (u32::from_le_bytes([pick[0], pick[1], pick[2], pick[3]]) as usize) % damaged.len();
            damaged[at] ^= 1 << (seed % 8);
            let _ = codec.decode(&damaged);
            let _ = codec.decode(&noise(seed as usize * 10, seed));
        }
        // A preset dictionary (FDICT) is not something zlib.decompress can supply.
        assert_eq!(codec.decode(b"\x78\xbb\x00\x00\x00\x01\x03\x00").unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn decoding_stops_at_the_size_limit() {
        let codec = Zlib::new(9).unwrap();
        let encoded = codec.encode(&vec![0u8; 1 << 20], &info()).unwrap();
        let mut sink = OutputSink::growing_with_limit(CODEC_ID, 0, Some(100_000));
        let err = zlib_decompress(&encoded, &mut sink).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
        let mut sink = OutputSink::growing_with_limit(CODEC_ID, 0, Some(1 << 20));
        zlib_decompress(&encoded, &mut sink).unwrap();
        assert_eq!(sink.produced(), 1 << 20);
    }
}
