//! `gzip`: numcodecs' `GZip`, i.e. CPython 3.11's `gzip.GzipFile` writing to and reading from memory.
//!
//! Encoding writes what `GzipFile(fileobj=BytesIO(), mode='wb', compresslevel=level)` writes: a 10-byte
//! header, raw deflate from `zlib.compressobj(level, DEFLATED, -MAX_WBITS, DEF_MEM_LEVEL, 0)` driven
//! exactly as CPython drives it (`compress(data)` then `flush()`, see [`super::zlib`]), CRC-32 and the
//! size modulo 2^32. The only difference: numcodecs writes the current time as MTIME, which makes its
//! output irreproducible; we write 0 ("no time stamp", RFC 1952) so ours is deterministic. XFL is 2 at
//! level 9, 4 at level 1 and 0 otherwise, as `gzip.py` writes it; OS is 255 (unknown), no file name.
//!
//! Decoding accepts what `GzipFile.read()` accepts: empty input, any number of members, optional FEXTRA,
//! FNAME, FCOMMENT and FHCRC header fields (the header CRC is skipped unchecked, as Python does), zero
//! bytes after a member's trailer. Each member's CRC-32 and size are checked.

use flate2::{Compress, Crc, Decompress};
use serde_json::{Map, Value};

use super::error::{Error, Result};
use super::sink::OutputSink;
use super::zlib::{self, CpythonOutput, SinkOutput};
use super::{config_map, copy_into, ArrayInfo, Codec, Constructor, Params};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("gzip", new_boxed)];

const CODEC_ID: &str = "gzip";

const MAGIC: [u8; 2] = [0x1f, 0x8b];
const METHOD_DEFLATE: u8 = 8;
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
/// Header (10) and trailer (8) bytes that we write around the deflate data.
const FRAMING: usize = 18;
/// Deflate cannot expand more than 1032:1, so no honest member decodes to more than this per input byte.
const MAX_DEFLATE_RATIO: usize = 1032;

/// The gzip codec of numcodecs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GZip {
    level: i32,
}

impl GZip {
    /// `level` is a zlib level: 0-9, or -1 for zlib's default (6), as `zlib.compressobj` accepts.
    pub fn new(level: i32) -> Result<Self> {
        Ok(GZip { level: zlib::check_level(CODEC_ID, level.into())? })
    }

    pub fn from_params(mut params: Params) -> Result<Self> {
        let level = zlib::read_level(&mut params)?;
        params.finish()?;
        Ok(GZip { level })
    }

    pub fn level(&self) -> i32 {
        self.level
    }

    /// The 10-byte header `gzip.py` writes for this level, with MTIME 0.
    fn header(&self) -> [u8; 10] {
        let xfl = match self.level {
            9 => 2,
            1 => 4,
            _ => 0,
        };
        [MAGIC[0], MAGIC[1], METHOD_DEFLATE, 0, 0, 0, 0, 0, xfl, 0xff]
    }
}

fn new_boxed(params: Params) -> Result<Box<dyn Codec>> {
    Ok(Box::new(GZip::from_params(params)?))
}

fn trailer(src: &[u8]) -> [u8; 8] {
    let mut crc = Crc::new();
    crc.update(src);
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the size modulo 2^32 (gzip.py: `self.size & 0xffffffff`).
    out[4..].copy_from_slice(&((src.len() as u64 & 0xffff_ffff) as u32).to_le_bytes());
    out
}

impl Codec for GZip {
    fn codec_id(&self) -> &str {
        CODEC_ID
    }

    fn config(&self) -> Map<String, Value> {
        config_map(CODEC_ID, [("level", Value::from(self.level))])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        zlib::raw_deflate_bound(src_len)?
            .checked_add(FRAMING)
            .ok_or_else(|| Error::limit(format!("{CODEC_ID}: input of {src_len} bytes is too large")))
    }

    fn encode(&self, src: &[u8], _info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(FRAMING + (32 << 10));
        out.extend_from_slice(&self.header());
        let mut compressor = Compress::new(zlib::compression(self.level), false);
        let mut buffer = CpythonOutput::new(&mut out);
        zlib::compressobj_calls(&mut compressor, src, &mut buffer)?;
        buffer.finish();
        out.extend_from_slice(&trailer(src));
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        if self.level == 0 {
            // Stored blocks follow the output space; only CPython's buffer growth gives CPython's bytes.
            let encoded = self.encode(src, info)?;
            return copy_into(&encoded, dst);
        }
        let mut sink = OutputSink::fixed_encoded(CODEC_ID, dst);
        sink.write_all(&self.header())?;
        let mut compressor = Compress::new(zlib::compression(self.level), false);
        zlib::compressobj_calls(&mut compressor, src, &mut SinkOutput(&mut sink))?;
        sink.write_all(&trailer(src))?;
        sink.finish_fixed()
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut sink = OutputSink::growing_decoded(CODEC_ID, decode_size_hint(src));
        gzip_decompress(src, &mut sink)?;
        Ok(sink.into_vec())
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let mut sink = OutputSink::fixed_decoded(CODEC_ID, dst);
        gzip_decompress(src, &mut sink)?;
        sink.finish_fixed()
    }
}

/// The last member's ISIZE is the decoded size of single-member streams under 4 GiB; a hostile value is
/// capped by what deflate can expand `src` to, so the first allocation stays proportional to the input.
fn decode_size_hint(src: &[u8]) -> usize {
    let claimed = match src.len().checked_sub(4).and_then(|at| src.get(at..)) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
        _ => 0,
    };
    claimed.min(src.len().saturating_mul(MAX_DEFLATE_RATIO))
}

fn truncated() -> Error {
    Error::corrupt(format!("{CODEC_ID}: compressed data ended before the end-of-stream marker was reached"))
}

/// `n` bytes at `*pos`, advancing `*pos`; a truncated stream otherwise (gzip.py's `_read_exact`).
fn take<'s>(src: &'s [u8], pos: &mut usize, n: usize) -> Result<&'s [u8]> {
    let end = pos.checked_add(n).ok_or_else(truncated)?;
    let bytes = src.get(*pos..end).ok_or_else(truncated)?;
    *pos = end;
    Ok(bytes)
}

/// Skips a zero-terminated header string; like gzip.py, the end of the input also ends it.
fn skip_zero_terminated(src: &[u8], pos: &mut usize) {
    let rest = src.get(*pos..).unwrap_or_default();
    *pos += rest.iter().position(|&b| b == 0).map_or(rest.len(), |i| i + 1);
}

/// Reads a member header at `*pos` (gzip.py's `_read_gzip_header`), leaving `*pos` at the deflate data.
fn read_header(src: &[u8], pos: &mut usize) -> Result<()> {
    let magic = src.get(*pos..(*pos + 2).min(src.len())).unwrap_or_default();
    if magic != MAGIC {
        return Err(Error::corrupt(format!(
            "{CODEC_ID}: not a gzip member at byte {} (bad magic bytes {magic:02x?})",
            *pos
        )));
    }
    *pos += 2;
    // method, flags, mtime (4), extra flags, OS.
    let fixed = take(src, pos, 8)?;
    let (method, flags) = (fixed[0], fixed[1]);
    if method != METHOD_DEFLATE {
        return Err(Error::corrupt(format!("{CODEC_ID}: unknown compression method {method}")));
    }
    if flags & FEXTRA != 0 {
        let len = take(src, pos, 2)?;
        let len = u16::from_le_bytes([len[0], len[1]]);
        take(src, pos, len.into())?;
    }
    if flags & FNAME != 0 {
        skip_zero_terminated(src, pos);
    }
    if flags & FCOMMENT != 0 {
        skip_zero_terminated(src, pos);
    }
    if flags & FHCRC != 0 {
        take(src, pos, 2)?;
    }
    Ok(())
}

/// `GzipFile(fileobj=BytesIO(src)).read()`.
fn gzip_decompress(src: &[u8], sink: &mut OutputSink<'_>) -> Result<()> {
    let mut decompressor = Decompress::new(false);
    let mut pos = 0usize;
    while pos < src.len() {
        read_header(src, &mut pos)?;
        decompressor.reset(false);
        let mut crc = Crc::new();
        let mut size: u64 = 0;
        let used =
            zlib::inflate_stream(CODEC_ID, &mut decompressor, src.get(pos..).unwrap_or_default(), sink, |out| {
                crc.update(out);
                size += out.len() as u64;
            })?
            .ok_or_else(truncated)?;
        pos += used;
        let tail = take(src, &mut pos, 8)?;
        let stored_crc = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        let stored_size = u32::from_le_bytes([tail[4], tail[5], tail[6], tail[7]]);
        if stored_crc != crc.sum() {
            return Err(Error::corrupt(format!("{CODEC_ID}: CRC check failed {stored_crc:#x} != {:#x}", crc.sum())));
        }
        if u64::from(stored_size) != size & 0xffff_ffff {
            return Err(Error::corrupt(format!(
                "{CODEC_ID}: incorrect length of data produced ({size} bytes, trailer says {stored_size})"
            )));
        }
        // Members may be followed by zero padding (gzip.py skips it).
        while src.get(pos) == Some(&0) {
            pos += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::sink::test_data::{noise, text};
    use crate::codecs::{codec_from_json, ErrorKind};

    fn info() -> ArrayInfo {
        ArrayInfo::default()
    }

    #[test]
    fn config_and_defaults() {
        let codec = codec_from_json(r#"{"id":"gzip"}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"gzip","level":1}"#);
        let codec = codec_from_json(r#"{"id":"gzip","level":0}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"gzip","level":0}"#);
        let codec = codec_from_json(r#"{"id":"gzip","level":-1}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"gzip","level":-1}"#);
    }

    #[test]
    fn invalid_configs_are_refused() {
        for json in [
            r#"{"id":"gzip","level":10}"#,
            r#"{"id":"gzip","level":-2}"#,
            r#"{"id":"gzip","level":2.0}"#,
            r#"{"id":"gzip","compresslevel":1}"#,
        ] {
            assert_eq!(codec_from_json(json).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
        assert_eq!(GZip::new(-2).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn header_and_trailer_are_as_gzip_py_writes_them_with_mtime_zero() {
        // GzipFile(..., compresslevel=1).write(b"abc") in CPython 3.11, MTIME replaced by 0.
        let encoded = GZip::new(1).unwrap().encode(b"abc", &info()).unwrap();
        assert_eq!(encoded, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xffKLJ\x06\x00\xc2A$5\x03\x00\x00\x00");
        for (level, xfl) in [(-1, 0), (0, 0), (1, 4), (2, 0), (6, 0), (9, 2)] {
            let encoded = GZip::new(level).unwrap().encode(b"", &info()).unwrap();
            assert_eq!(&encoded[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 0xff], "level {level}");
            assert_eq!(&encoded[encoded.len() - 8..], &[0u8; 8]);
        }
    }

    #[test]
    fn level_zero_uses_cpython_block_boundaries() {
        // gzip.py deflates with compress() (Z_NO_FLUSH) and then flush() (Z_FINISH), each with a fresh
        // 32 KiB output buffer; for 98 304 random bytes that ends in an empty final stored block, where
        // zlib.compress ends with a full one. Lengths as numcodecs' GZip(0) and Zlib(0) write them.
        let data = noise(98_304, 1);
        let encoded = GZip::new(0).unwrap().encode(&data, &info()).unwrap();
        let blocks = crate::codecs::zlib::tests::stored_blocks(&encoded[10..]);
        assert_eq!(blocks, [(0, 65531), (0, 32773), (1, 0)]);
        let zlib_encoded = crate::codecs::zlib::Zlib::new(0).unwrap().encode(&data, &info()).unwrap();
        assert_eq!(crate::codecs::zlib::tests::stored_blocks(&zlib_encoded[2..]), [(0, 65531), (1, 32773)]);
    }

    #[test]
    fn round_trips_all_levels() {
        let inputs = [Vec::new(), vec![0u8], text(1000), noise(70_000, 2), text(300_000), vec![42u8; 1 << 20]];
        for level in -1..=9 {
            let codec = GZip::new(level).unwrap();
            for data in &inputs {
                let encoded = codec.encode(data, &info()).unwrap();
                let bound = codec.encode_bound(data.len(), &info()).unwrap();
                assert!(encoded.len() <= bound);
                assert_eq!(&codec.decode(&encoded).unwrap(), data, "level {level} len {}", data.len());
                let mut dst = vec![0u8; bound];
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
        for level in [0, 1, 9] {
            let codec = GZip::new(level).unwrap();
            for len in [0, 1, 32 << 10, 100_000, 400_000, 1_500_000] {
                let encoded = codec.encode(&noise(len, 3), &info()).unwrap();
                assert!(encoded.len() <= codec.encode_bound(len, &info()).unwrap(), "level {level} len {len}");
            }
        }
    }

    #[test]
    fn buffer_too_small_reports_needed_size() {
        let codec = GZip::new(5).unwrap();
        let data = text(100_000);
        let encoded = codec.encode(&data, &info()).unwrap();
        let mut dst = vec![0u8; encoded.len() - 1];
        let err = codec.encode_into(&data, &info(), &mut dst).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
        let mut dst = vec![0u8; 5];
        let err = GZip::new(0).unwrap().encode_into(&data, &info(), &mut dst).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
        for cap in [0, 10, 99_999] {
            let mut out = vec![0u8; cap];
            let err = codec.decode_into(&encoded, &mut out).unwrap_err();
            assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(100_000)));
        }
    }

    /// A member with every optional header field, as other gzip writers produce it.
    fn member_with_all_fields(data: &[u8]) -> Vec<u8> {
        let plain = GZip::new(6).unwrap().encode(data, &info()).unwrap();
        let mut out = vec![0x1f, 0x8b, 8, FEXTRA | FNAME | FCOMMENT | FHCRC, 1, 2, 3, 4, 0, 3];
        out.extend_from_slice(&[5, 0, b'a', b'b', 0, b'c', b'd']); // XLEN 5 and the extra field
        out.extend_from_slice(b"name.bin\0");
        out.extend_from_slice(b"a comment\0");
        out.extend_from_slice(&[0xde, 0xad]); // header CRC: skipped unchecked, as gzip.py does
        out.extend_from_slice(&plain[10..]);
        out
    }

    #[test]
    fn decodes_what_gzipfile_reads() {
        let codec = GZip::new(1).unwrap();
        assert_eq!(codec.decode(b"").unwrap(), b"", "empty input is an empty file");
        let mut stream = member_with_all_fields(b"hello ");
        stream.extend_from_slice(&[0, 0, 0]);
        stream.extend_from_slice(&codec.encode(b"", &info()).unwrap());
        stream.extend_from_slice(&codec.encode(b"world", &info()).unwrap());
        stream.extend_from_slice(&[0; 7]);
        assert_eq!(codec.decode(&stream).unwrap(), b"hello world");
        let mut out = [0u8; 11];
        assert_eq!(codec.decode_into(&stream, &mut out).unwrap(), 11);
        assert_eq!(&out, b"hello world");
    }

    #[test]
    fn corrupt_and_truncated_input_is_refused() {
        let codec = GZip::new(1).unwrap();
        let data = text(50_000);
        let encoded = codec.encode(&data, &info()).unwrap();
        for bad in [&b"\x00"[..], b"\x1f", b"\x1f\x8b", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00", b"BZh9"] {
            let err = codec.decode(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "{bad:?}");
            assert!(err.message().starts_with("gzip"), "{}", err.message());
        }
        for cut in [1, 9, 10, 11, encoded.len() / 2, encoded.len() - 8, encoded.len() - 1] {
            assert_eq!(codec.decode(&encoded[..cut]).unwrap_err().kind(), ErrorKind::CorruptData, "cut {cut}");
        }
        let mut wrong_method = encoded.clone();
        wrong_method[2] = 7;
        assert_eq!(codec.decode(&wrong_method).unwrap_err().kind(), ErrorKind::CorruptData);
        let crc_at = encoded.len() - 8;
        let mut wrong_crc = encoded.clone();
        wrong_crc[crc_at] ^= 0x80;
        let err = codec.decode(&wrong_crc).unwrap_err();
        assert!(err.message().contains("CRC"), "{}", err.message());
        let mut wrong_size = encoded.clone();
        wrong_size[crc_at + 4] ^= 1;
        let err = codec.decode(&wrong_size).unwrap_err();
        assert!(err.message().contains("length"), "{}", err.message());
        // Trailing bytes that are neither zero padding nor another member.
        let mut trailing = encoded.clone();
        trailing.extend_from_slice(b"\0\0x");
        assert_eq!(codec.decode(&trailing).unwrap_err().kind(), ErrorKind::CorruptData);
        // Damage anywhere never panics, and what still decodes passed the CRC check (flips in MTIME, XFL,
        // OS or unused bits after the last deflate block are harmless).
        for seed in 0..300u64 {
            let mut damaged = encoded.clone();
            let at = (seed as usize * 7919) % damaged.len();
            damaged[at] ^= 1 << (seed % 8);
            if let Ok(decoded) = codec.decode(&damaged) {
                assert_eq!(decoded, data, "flip at {at}");
            }
            let _ = codec.decode(&noise(seed as usize * 10, seed));
        }
    }

    #[test]
    fn decoding_stops_at_the_size_limit() {
        let encoded = GZip::new(9).unwrap().encode(&vec![0u8; 1 << 20], &info()).unwrap();
        let mut sink = OutputSink::growing_with_limit(CODEC_ID, 0, Some((1 << 20) - 1));
        assert_eq!(gzip_decompress(&encoded, &mut sink).unwrap_err().kind(), ErrorKind::LimitExceeded);
    }
}
