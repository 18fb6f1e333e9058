//! `bz2`: numcodecs' `BZ2`, i.e. CPython 3.11's `bz2.compress(data, level)` and `bz2.decompress(data)`.
//!
//! Encoding is one bzip2 stream with block size `level` × 100 kB and the default work factor, as
//! `BZ2Compressor(level)` writes it (libbzip2's output depends neither on how the input is split nor on
//! the output space, so `encode_into` writes straight into the caller's buffer).
//!
//! Decoding follows `bz2.decompress`: empty input decodes to nothing; streams are decoded one after the
//! other; after at least one complete stream, data that is not a valid stream is ignored (and whatever
//! that garbage decoded to is dropped), but a stream that simply ends early is an error.

use bzip2::{Action, Compress, Compression, Decompress, Status};
use serde_json::{Map, Value};

use super::error::{Error, Result};
use super::sink::OutputSink;
use super::{config_map, ArrayInfo, Codec, Constructor, Params};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("bz2", new_boxed)];

const CODEC_ID: &str = "bz2";

/// numcodecs' default level.
const DEFAULT_LEVEL: i32 = 1;

/// `BZ2Compressor` uses libbzip2's default work factor (0 means the default, 30).
const WORK_FACTOR: u32 = 0;

/// The bzip2 codec of numcodecs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bz2 {
    level: i32,
}

impl Bz2 {
    /// `level` is the block size in units of 100 kB, 1-9 (`bz2.compress` refuses anything else).
    pub fn new(level: i32) -> Result<Self> {
        check_level(level.into())?;
        Ok(Bz2 { level })
    }

    pub fn from_params(mut params: Params) -> Result<Self> {
        let level = check_level(params.take_i64("level")?.unwrap_or(DEFAULT_LEVEL.into()))?;
        params.finish()?;
        Ok(Bz2 { level })
    }

    pub fn level(&self) -> i32 {
        self.level
    }

    fn compress(&self, src: &[u8], sink: &mut OutputSink<'_>) -> Result<()> {
        let mut compressor = Compress::new(Compression::new(self.level.unsigned_abs()), WORK_FACTOR);
        let mut pos = 0usize;
        let mut action = Action::Run;
        loop {
            if pos == src.len() {
                action = Action::Finish;
            }
            let space = sink.space(usize::MAX)?;
            let (in_before, out_before) = (compressor.total_in(), compressor.total_out());
            let status = compressor
                .compress(src.get(pos..).unwrap_or_default(), space, action)
                .map_err(|e| Error::internal(format!("{CODEC_ID}: compression failed: {e}")))?;
            let consumed = usize::try_from(compressor.total_in() - in_before).unwrap_or(usize::MAX);
            let produced = usize::try_from(compressor.total_out() - out_before).unwrap_or(usize::MAX);
            sink.commit(produced)?;
            pos = pos.saturating_add(consumed);
            if status == Status::StreamEnd {
                return Ok(());
            }
            if consumed == 0 && produced == 0 && action == Action::Run {
                return Err(Error::internal(format!("{CODEC_ID}: compressor made no progress")));
            }
        }
    }
}

fn new_boxed(params: Params) -> Result<Box<dyn Codec>> {
    Ok(Box::new(Bz2::from_params(params)?))
}

fn check_level(level: i64) -> Result<i32> {
    match i32::try_from(level) {
        Ok(level) if (1..=9).contains(&level) => Ok(level),
        _ => Err(Error::invalid_config(format!("{CODEC_ID}: level must be between 1 and 9, got {level}"))),
    }
}

impl Codec for Bz2 {
    fn codec_id(&self) -> &str {
        CODEC_ID
    }

    fn config(&self) -> Map<String, Value> {
        config_map(CODEC_ID, [("level", Value::from(self.level))])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        // libbzip2's documented bound for one stream: 1% more than the input plus 600 bytes.
        src_len
            .checked_add(src_len / 100)
            .and_then(|n| n.checked_add(600))
            .ok_or_else(|| Error::limit(format!("{CODEC_ID}: input of {src_len} bytes is too large")))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut sink = OutputSink::growing_encoded(CODEC_ID, self.encode_bound(src.len(), info)?);
        self.compress(src, &mut sink)?;
        Ok(sink.into_vec())
    }

    fn encode_into(&self, src: &[u8], _info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let mut sink = OutputSink::fixed_encoded(CODEC_ID, dst);
        self.compress(src, &mut sink)?;
        sink.finish_fixed()
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut sink = OutputSink::growing_decoded(CODEC_ID, src.len().saturating_mul(4));
        bz2_decompress(src, &mut sink)?;
        Ok(sink.into_vec())
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let mut sink = OutputSink::fixed_decoded(CODEC_ID, dst);
        bz2_decompress(src, &mut sink)?;
        sink.finish_fixed()
    }
}

/// How decoding one stream ended.
enum StreamEnd {
    /// The stream ended after this many input bytes.
    Complete(usize),
    /// The input ended first.
    Truncated,
    /// libbzip2 found invalid data (Python raises `OSError` here).
    Invalid(bzip2::Error),
}

/// Decodes one bzip2 stream from the front of `input` into `sink` (`BZ2Decompressor().decompress`).
fn decompress_stream(input: &[u8], sink: &mut OutputSink<'_>) -> Result<StreamEnd> {
    let mut decompressor = Decompress::new(false);
    let mut pos = 0usize;
    loop {
        let space = sink.space(usize::MAX)?;
        let (in_before, out_before) = (decompressor.total_in(), decompressor.total_out());
        let status = match decompressor.decompress(input.get(pos..).unwrap_or_default(), space) {
            Ok(status) => status,
            Err(e) => return Ok(StreamEnd::Invalid(e)),
        };
        let consumed = usize::try_from(decompressor.total_in() - in_before).unwrap_or(usize::MAX);
        let produced = usize::try_from(decompressor.total_out() - out_before).unwrap_or(usize::MAX);
        sink.commit(produced)?;
        pos = pos.saturating_add(consumed);
        match status {
            Status::StreamEnd => return Ok(StreamEnd::Complete(pos)),
            Status::MemNeeded => return Err(Error::limit(format!("{CODEC_ID}: out of memory while decoding"))),
            _ => {}
        }
        if consumed == 0 && produced == 0 {
            return Ok(StreamEnd::Truncated);
        }
    }
}

/// `bz2.decompress(src)`.
fn bz2_decompress(src: &[u8], sink: &mut OutputSink<'_>) -> Result<()> {
    let mut pos = 0usize;
    let mut streams = 0usize;
    while let Some(rest) = src.get(pos..).filter(|rest| !rest.is_empty()) {
        let mark = sink.produced();
        match decompress_stream(rest, sink)? {
            StreamEnd::Complete(used) => pos += used,
            StreamEnd::Truncated => {
                return Err(Error::corrupt(format!(
                    "{CODEC_ID}: compressed data ended before the end-of-stream marker was reached"
                )))
            }
            StreamEnd::Invalid(e) if streams == 0 => {
                return Err(Error::corrupt(format!("{CODEC_ID}: invalid data stream ({e})")));
            }
            StreamEnd::Invalid(_) => {
                // Leftover data is not a valid bzip2 stream: ignored, as bz2.decompress does.
                sink.rewind(mark);
                break;
            }
        }
        streams += 1;
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
        assert_eq!(codec_from_json(r#"{"id":"bz2"}"#).unwrap().config_json(), r#"{"id":"bz2","level":1}"#);
        assert_eq!(codec_from_json(r#"{"id":"bz2","level":9}"#).unwrap().config_json(), r#"{"id":"bz2","level":9}"#);
    }

    #[test]
    fn invalid_configs_are_refused() {
        for json in [
            r#"{"id":"bz2","level":0}"#,
            r#"{"id":"bz2","level":10}"#,
            r#"{"id":"bz2","level":-1}"#,
            r#"{"id":"bz2","level":"9"}"#,
            r#"{"id":"bz2","blocksize":9}"#,
        ] {
            assert_eq!(codec_from_json(json).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
        assert_eq!(Bz2::new(0).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn known_bytes_match_cpython() {
        // bz2.compress(b"abc", 1) in CPython 3.11 (libbzip2 1.0.8).
        let expected: &[u8] =
            b"BZh11AY&SYd\x8c\xbbs\x00\x00\x00\x01\x008\x00 \x00!\x98\x19\x84aw$S\x85\t\x06H\xcb\xb70";
        assert_eq!(Bz2::new(1).unwrap().encode(b"abc", &info()).unwrap(), expected);
        // bz2.compress(b"", 9).
        assert_eq!(Bz2::new(9).unwrap().encode(b"", &info()).unwrap(), b"BZh9\x17rE8P\x90\x00\x00\x00\x00");
    }

    #[test]
    fn round_trips() {
        let inputs = [Vec::new(), vec![0u8], text(1000), noise(150_000, 2), text(250_000), vec![42u8; 1 << 20]];
        for level in [1, 2, 9] {
            let codec = Bz2::new(level).unwrap();
            for data in &inputs {
                let encoded = codec.encode(data, &info()).unwrap();
                let bound = codec.encode_bound(data.len(), &info()).unwrap();
                assert!(encoded.len() <= bound);
                assert_eq!(&codec.decode(&encoded).unwrap(), data, "level {level} len {}", data.len());
                let mut dst = vec![0u8; bound];
                let n = codec.encode_into(data, &info(), &mut dst).unwrap();
                assert_eq!(&dst[..n], &encoded[..]);
                let mut out = vec![0u8; data.len()];
                assert_eq!(codec.decode_into(&encoded, &mut out).unwrap(), data.len());
                assert_eq!(&out, data);
            }
        }
    }

    #[test]
    fn buffer_too_small_reports_needed_size() {
        let codec = Bz2::new(9).unwrap();
        let data = text(300_000);
        let encoded = codec.encode(&data, &info()).unwrap();
        let mut dst = vec![0u8; encoded.len() - 1];
        let err = codec.encode_into(&data, &info(), &mut dst).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
        for cap in [0, 1, 299_999] {
            let mut out = vec![0u8; cap];
            let err = codec.decode_into(&encoded, &mut out).unwrap_err();
            assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(300_000)));
        }
    }

    #[test]
    fn concatenated_streams_and_trailing_garbage_like_bz2_decompress() {
        let codec = Bz2::new(1).unwrap();
        assert_eq!(codec.decode(b"").unwrap(), b"");
        let hi = codec.encode(b"hi", &info()).unwrap();
        let there = Bz2::new(9).unwrap().encode(b" there", &info()).unwrap();
        assert_eq!(codec.decode(&[hi.clone(), there.clone()].concat()).unwrap(), b"hi there");
        // Invalid data after a complete stream is ignored ...
        assert_eq!(codec.decode(&[&hi[..], b"garbage"].concat()).unwrap(), b"hi");
        // ... including a stream that starts well and breaks later: what it decoded to is dropped.
        let mut broken_stream = codec.encode(&text(200_000), &info()).unwrap();
        let middle = broken_stream.len() / 2;
        broken_stream[middle] ^= 0x55;
        let mut out = vec![0u8; 2];
        assert_eq!(codec.decode_into(&[&hi[..], &broken_stream].concat(), &mut out).unwrap(), 2);
        assert_eq!(codec.decode(&[&hi[..], &broken_stream].concat()).unwrap(), b"hi");
        // ... but leftover data that could still become a stream is a truncated stream.
        for tail in [&b"B"[..], b"BZh", b"BZh9"] {
            let err = codec.decode(&[&hi[..], tail].concat()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "{tail:?}");
        }
    }

    #[test]
    fn corrupt_and_truncated_input_is_refused() {
        let codec = Bz2::new(1).unwrap();
        let data = text(100_000);
        let encoded = codec.encode(&data, &info()).unwrap();
        for bad in [&b"x"[..], b"BZh0", b"BZh91AY&SY", b"\x1f\x8b\x08\x00"] {
            let err = codec.decode(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "{bad:?}");
            assert!(err.message().starts_with("bz2:"), "{}", err.message());
        }
        for cut in [1, 4, 10, encoded.len() / 2, encoded.len() - 1] {
            assert_eq!(codec.decode(&encoded[..cut]).unwrap_err().kind(), ErrorKind::CorruptData, "cut {cut}");
        }
        for seed in 0..100u64 {
            let mut damaged = encoded.clone();
            let at = (seed as usize * 7919) % damaged.len();
            damaged[at] ^= 1 << (seed % 8);
            if let Ok(decoded) = codec.decode(&damaged) {
                assert_eq!(decoded, data, "flip at {at} passed the block CRC");
            }
            let _ = codec.decode(&noise(seed as usize * 10, seed));
        }
    }

    #[test]
    fn decoding_stops_at_the_size_limit() {
        let encoded = Bz2::new(9).unwrap().encode(&vec![0u8; 1 << 20], &info()).unwrap();
        let mut sink = OutputSink::growing_with_limit(CODEC_ID, 0, Some((1 << 20) - 1));
        assert_eq!(bz2_decompress(&encoded, &mut sink).unwrap_err().kind(), ErrorKind::LimitExceeded);
    }
}
