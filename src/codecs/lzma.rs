//! `lzma`: numcodecs' `LZMA`, i.e. CPython 3.11's `lzma.compress(data, format, check, preset, filters)`
//! and `lzma.decompress(data, format, filters=filters)`.
//!
//! Formats: 1 `FORMAT_XZ` (default; check -1 means CRC64), 2 `FORMAT_ALONE` (legacy .lzma), 3
//! `FORMAT_RAW` (needs `filters`), and 0 `FORMAT_AUTO`, which decodes .xz or .lzma but cannot encode
//! (numcodecs raises "Invalid container format: 0" on encode; so do we). Filter chains are given as
//! Python's lzma module takes them: a list of up to four objects with an `"id"` and that filter's
//! options, parsed (defaults, types, allowed keys) as `_lzma` parses them; `get_config()` echoes the
//! configuration exactly as given.
//!
//! numcodecs checks nothing at construction; Python raises on encode or decode. We refuse at
//! construction what can neither encode nor decode (unknown format, RAW without filters, malformed or
//! undecodable filter chains), and report problems that only concern encoding (bad `check` or `preset`,
//! `preset` together with `filters`, ...) as [`ErrorKind::InvalidConfig`] from `encode`, because such a
//! codec still decodes.
//!
//! numcodecs bug kept compatible: it passes `filters` to `lzma.decompress` for every format, and Python
//! refuses filters except with `FORMAT_RAW`, so numcodecs cannot decode the .xz/.lzma data it encodes
//! with a custom filter chain. Those streams record their filters, so we decode them (ignoring `filters`).
//!
//! Decoding follows `lzma.decompress`: streams are decoded one after another; after at least one
//! complete stream, data that fails to decode is ignored (with whatever it decoded to), but data that
//! merely ends early is an error, and empty input is an error.

use serde_json::{Map, Value};

use super::error::{Error, ErrorKind, Result};
use super::sink::OutputSink;
use super::{config_map, decode_limit, ArrayInfo, Codec, Constructor, Params};
use crate::sys::lzma::{self as xz, Action, Filter, LzmaOptions, Ret, Stream};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("lzma", new_boxed)];

const CODEC_ID: &str = "lzma";

const FORMAT_AUTO: i32 = 0;
const FORMAT_XZ: i32 = 1;
const FORMAT_ALONE: i32 = 2;
const FORMAT_RAW: i32 = 3;

/// Python's `check=-1`: the format's default (CRC64 for .xz, none otherwise).
const CHECK_DEFAULT: i64 = -1;

/// The largest dictionary any xz/lzma encoder writes (liblzma's and Python's `LZMA_DICT_SIZE_MAX`,
/// 1.5 GiB). Decoders accept up to 4 GiB, but only a hand-made header claims more than this.
const ENCODER_DICT_SIZE_MAX: u64 = 1536 << 20;

/// liblzma's memory besides the dictionary is a few hundred KiB; this leaves ample room.
const DECODER_MEMORY_OVERHEAD: u64 = 64 << 20;

/// The most memory liblzma may use to decode (Python sets no limit). Only the dictionary is large, and
/// liblzma allocates it whole from the header, before any output: a 13-byte .lzma header claiming a
/// 4 GiB dictionary would get a 4 GiB allocation. The dictionary a real stream needs is at most
/// [`ENCODER_DICT_SIZE_MAX`], and a stream whose dictionary exceeds the decoded-size limit is refused
/// (with the default 4 GiB limit that refuses nothing an encoder writes).
fn decoder_memlimit() -> u64 {
    (decode_limit() as u64).min(ENCODER_DICT_SIZE_MAX) + DECODER_MEMORY_OVERHEAD
}

/// The lzma codec of numcodecs.
#[derive(Debug, Clone, PartialEq)]
pub struct Lzma {
    format: i32,
    check: i64,
    preset: Option<i64>,
    filters: Option<Vec<Filter>>,
    /// The configuration values as given, for `get_config()`.
    echo: [Value; 4],
}

impl Default for Lzma {
    /// numcodecs' `LZMA()`: .xz, CRC64, preset 6.
    fn default() -> Self {
        Lzma {
            format: FORMAT_XZ,
            check: CHECK_DEFAULT,
            preset: None,
            filters: None,
            echo: [Value::from(FORMAT_XZ), Value::from(CHECK_DEFAULT), Value::Null, Value::Null],
        }
    }
}

fn new_boxed(params: Params) -> Result<Box<dyn Codec>> {
    Ok(Box::new(Lzma::from_params(params)?))
}

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::invalid_config(format!("{CODEC_ID}: {message}"))
}

/// An integer option as Python sees it (`True`/`False` are 1/0), with the JSON value to echo.
fn take_int(params: &mut Params, key: &str) -> Result<Option<(i64, Value)>> {
    let Some(value) = params.take(key) else { return Ok(None) };
    let number = match &value {
        Value::Number(n) => n.as_i64(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    match number {
        Some(number) => Ok(Some((number, value))),
        None => Err(invalid(format!("{key} must be an integer, got {value}"))),
    }
}

impl Lzma {
    pub fn from_params(mut params: Params) -> Result<Self> {
        let (format, format_json) = take_int(&mut params, "format")?.unwrap_or((FORMAT_XZ.into(), FORMAT_XZ.into()));
        let (check, check_json) = take_int(&mut params, "check")?.unwrap_or((CHECK_DEFAULT, CHECK_DEFAULT.into()));
        let preset = take_int(&mut params, "preset")?;
        let filters_json = params.take("filters").unwrap_or(Value::Null);
        params.finish()?;

        let format = match i32::try_from(format) {
            Ok(format @ FORMAT_AUTO..=FORMAT_RAW) => format,
            _ => return Err(invalid(format!("invalid container format: {format}"))),
        };
        let filters = match &filters_json {
            Value::Null => None,
            spec => Some(parse_filter_chain(spec)?),
        };
        for filter in filters.iter().flatten() {
            if let Filter::Bcj { id, .. } = *filter {
                if !xz::filter_supported(id) {
                    // Streams made with this chain contain the filter, so we could not decode them either.
                    return Err(Error::unsupported(format!(
                        "{CODEC_ID}: BCJ filter {id:#x} is not available in the linked liblzma"
                    )));
                }
            }
        }
        if format == FORMAT_RAW {
            let chain = filters.as_deref().ok_or_else(|| invalid("must specify filters for FORMAT_RAW"))?;
            check_raw_decoder_chain(chain)?;
        }
        let (preset, preset_json) = match preset {
            Some((preset, json)) => (Some(preset), json),
            None => (None, Value::Null),
        };
        Ok(Lzma { format, check, preset, filters, echo: [format_json, check_json, preset_json, filters_json] })
    }

    pub fn format(&self) -> i32 {
        self.format
    }

    /// A new encoder, set up as `lzma.LZMACompressor(format, check, preset, filters)` sets it up.
    fn encoder(&self) -> Result<Stream> {
        if self.format != FORMAT_XZ && self.check != CHECK_DEFAULT && self.check != i64::from(xz::CHECK_NONE) {
            return Err(invalid("integrity checks are only supported by FORMAT_XZ"));
        }
        if self.preset.is_some() && self.filters.is_some() {
            return Err(invalid("cannot specify both preset and filter chain"));
        }
        let preset = match self.preset {
            None => xz::PRESET_DEFAULT,
            Some(preset) => u32::try_from(preset).map_err(|_| invalid(format!("preset {preset} is not a uint32")))?,
        };
        match (self.format, self.filters.as_deref()) {
            (FORMAT_XZ, filters) => {
                let check = match self.check {
                    CHECK_DEFAULT => xz::CHECK_CRC64,
                    // Python passes the C int to liblzma, which refuses what it does not know.
                    check => i32::try_from(check).map_err(|_| invalid(format!("check {check} is not a C int")))? as u32,
                };
                let init = match filters {
                    None => Stream::easy_encoder(preset, check),
                    Some(chain) => Stream::stream_encoder(chain, check),
                };
                init.map_err(|ret| match ret {
                    Ret::UnsupportedCheck => invalid(format!("unsupported integrity check {}", self.check)),
                    ret => encoder_init_error(ret),
                })
            }
            (FORMAT_ALONE, None) => {
                let options = LzmaOptions::from_preset(preset)
                    .ok_or_else(|| invalid(format!("invalid compression preset: {preset}")))?;
                Stream::alone_encoder(options).map_err(encoder_init_error)
            }
            (FORMAT_ALONE, Some([Filter::Lzma1(options)])) => {
                Stream::alone_encoder(*options).map_err(encoder_init_error)
            }
            (FORMAT_ALONE, Some(_)) => {
                Err(invalid("invalid filter chain for FORMAT_ALONE - must be a single LZMA1 filter"))
            }
            (FORMAT_RAW, Some(chain)) => Stream::raw_encoder(chain).map_err(encoder_init_error),
            (FORMAT_RAW, None) => Err(invalid("must specify filters for FORMAT_RAW")),
            (format, _) => Err(invalid(format!("invalid container format: {format} (it can only decode)"))),
        }
    }

    /// `LZMACompressor.compress(src)` followed by `flush()`.
    fn compress(&self, src: &[u8], sink: &mut OutputSink<'_>) -> Result<()> {
        let mut encoder = self.encoder()?;
        let mut pos = 0usize;
        loop {
            let space = sink.space(usize::MAX)?;
            let space_len = space.len();
            let (consumed, produced, ret) = encoder.code(src.get(pos..).unwrap_or_default(), space, Action::Run);
            sink.commit(produced)?;
            pos = pos.saturating_add(consumed);
            if !(ret == Ret::Ok || ret == Ret::BufError && pos == src.len() && produced < space_len) {
                return Err(coding_error("encoding", ret));
            }
            if pos >= src.len() {
                break;
            }
        }
        loop {
            let space = sink.space(usize::MAX)?;
            let (_, produced, ret) = encoder.code(&[], space, Action::Finish);
            sink.commit(produced)?;
            match ret {
                Ret::StreamEnd => return Ok(()),
                Ret::Ok => {}
                ret => return Err(coding_error("encoding", ret)),
            }
        }
    }

    /// A new decoder, as `lzma.LZMADecompressor(format, None, filters)` (filters only for RAW; see the
    /// module documentation).
    fn decoder(&self) -> Result<Stream> {
        let init = match self.format {
            FORMAT_XZ => Stream::stream_decoder(decoder_memlimit()),
            FORMAT_ALONE => Stream::alone_decoder(decoder_memlimit()),
            FORMAT_AUTO => Stream::auto_decoder(decoder_memlimit()),
            _ => match self.filters.as_deref() {
                Some(chain) => {
                    // The .xz and .lzma decoders check their header's dictionary against the memory
                    // limit; a raw stream's dictionary comes from the configuration (which may come
                    // from an untrusted .zarray), so check it the same way before liblzma allocates it.
                    let usage = xz::raw_decoder_memusage(chain).unwrap_or(0);
                    if usage > decoder_memlimit() {
                        return Err(Error::limit(format!(
                            "{CODEC_ID}: the filter chain needs {usage} bytes of decoder memory, more than the limit of {} (the decoded-size limit, at most 1.5 GiB, plus 64 MiB)",
                            decoder_memlimit()
                        )));
                    }
                    Stream::raw_decoder(chain)
                }
                None => return Err(invalid("must specify filters for FORMAT_RAW")),
            },
        };
        init.map_err(|ret| match ret {
            Ret::MemError => Error::limit(format!("{CODEC_ID}: out of memory")),
            ret => invalid(format!("liblzma refused the decoder options ({ret:?})")),
        })
    }

    /// `lzma.decompress(src, format, filters=...)`.
    fn decompress(&self, src: &[u8], sink: &mut OutputSink<'_>) -> Result<()> {
        let mut pos = 0usize;
        let mut streams = 0usize;
        loop {
            let mark = sink.produced();
            let mut decoder = self.decoder()?;
            let rest = src.get(pos..).unwrap_or_default();
            match decompress_stream(&mut decoder, rest, sink)? {
                StreamEnd::Complete(used) => pos = pos.saturating_add(used),
                StreamEnd::Truncated => {
                    return Err(Error::corrupt(format!(
                        "{CODEC_ID}: compressed data ended before the end-of-stream marker was reached"
                    )))
                }
                StreamEnd::Failed(ret) if streams == 0 || matches!(ret, Ret::MemError | Ret::MemlimitError) => {
                    return Err(coding_error("decoding", ret));
                }
                StreamEnd::Failed(_) => {
                    // Leftover data is not a valid stream: ignored, as lzma.decompress does.
                    sink.rewind(mark);
                    return Ok(());
                }
            }
            streams += 1;
            if pos >= src.len() {
                return Ok(());
            }
        }
    }

    /// Bytes of the last filter's output for `len` input bytes, at most.
    fn payload_bound(&self, len: usize) -> Option<usize> {
        let last = self.filters.as_deref().and_then(|chain| chain.last());
        match (self.format, last) {
            (FORMAT_XZ, _) | (FORMAT_RAW, Some(Filter::Lzma2(_))) => lzma2_bound(len),
            _ => lzma1_bound(len),
        }
    }
}

/// liblzma's LZMA2 encoder ends a chunk at 2 MiB of input or about 64 KiB of output and stores a chunk
/// uncompressed (3 header bytes per 64 KiB) unless LZMA made it smaller (then at most 6 header bytes
/// on fewer output than input bytes). Chunks other than the last cover tens of KiB of input at least,
/// so `len / 4096` pays every chunk header many times over.
fn lzma2_bound(len: usize) -> Option<usize> {
    len.checked_add(len / 4096)?.checked_add(64)
}

/// LZMA1 has no stored fallback: incompressible data grows by the adaptive range coder's overhead
/// (about 1.5% measured on random data) plus 5 bytes of flush and the end marker. A quarter more than
/// the input is far above anything the adaptive probabilities allow.
fn lzma1_bound(len: usize) -> Option<usize> {
    len.checked_add(len / 4)?.checked_add(4096)
}

/// .xz around the payload: stream header and footer (12 + 12), block header (at most 1024), block
/// padding (3), check (at most 64) and an index of one record (at most 64).
const XZ_CONTAINER_MAX: usize = 12 + 12 + 1024 + 3 + 64 + 64;
/// .lzma header: properties (1), dictionary size (4), uncompressed size (8).
const ALONE_HEADER: usize = 13;

fn encoder_init_error(ret: Ret) -> Error {
    match ret {
        Ret::MemError => Error::limit(format!("{CODEC_ID}: out of memory")),
        Ret::OptionsError => invalid("invalid or unsupported options"),
        Ret::ProgError => invalid("liblzma refused the filter chain or check (internal error)"),
        Ret::UnsupportedCheck => invalid("unsupported integrity check"),
        ret => Error::internal(format!("{CODEC_ID}: encoder initialisation failed ({ret:?})")),
    }
}

fn coding_error(what: &str, ret: Ret) -> Error {
    let kind = match ret {
        Ret::MemError | Ret::MemlimitError => ErrorKind::LimitExceeded,
        Ret::OptionsError => ErrorKind::Unsupported,
        _ if what == "encoding" => ErrorKind::Internal,
        _ => ErrorKind::CorruptData,
    };
    let reason = match ret {
        Ret::MemError => "out of memory",
        Ret::MemlimitError => "the stream needs more memory than allowed",
        Ret::FormatError => "input format not recognized",
        Ret::OptionsError => "the stream uses unsupported options",
        Ret::DataError => "corrupt input data",
        Ret::BufError => "compressed data ended before the end-of-stream marker was reached",
        _ => "internal error",
    };
    Error::new(kind, format!("{CODEC_ID}: {reason} while {what} ({ret:?})"))
}

/// How decoding one stream ended.
enum StreamEnd {
    /// The stream ended after this many input bytes.
    Complete(usize),
    /// The input ended first.
    Truncated,
    /// liblzma failed (Python raises `LZMAError`).
    Failed(Ret),
}

/// One `LZMADecompressor().decompress(input)` call.
fn decompress_stream(decoder: &mut Stream, input: &[u8], sink: &mut OutputSink<'_>) -> Result<StreamEnd> {
    let mut pos = 0usize;
    let mut idle_calls = 0;
    loop {
        let space = sink.space(usize::MAX)?;
        let space_len = space.len();
        let (consumed, produced, ret) = decoder.code(input.get(pos..).unwrap_or_default(), space, Action::Run);
        sink.commit(produced)?;
        pos = pos.saturating_add(consumed);
        let input_done = pos >= input.len();
        match ret {
            Ret::StreamEnd => return Ok(StreamEnd::Complete(pos)),
            Ret::Ok | Ret::GetCheck | Ret::NoCheck => {}
            // Python: "That wasn't a real error" when the input is used up and output space is left.
            Ret::BufError if input_done && produced < space_len => {}
            ret => return Ok(StreamEnd::Failed(ret)),
        }
        if produced < space_len && input_done {
            return Ok(StreamEnd::Truncated);
        }
        idle_calls = if consumed == 0 && produced == 0 { idle_calls + 1 } else { 0 };
        if idle_calls > 2 {
            // liblzma reports LZMA_BUF_ERROR long before this; never spin.
            return Ok(StreamEnd::Failed(Ret::BufError));
        }
    }
}

/// The raw decoder must accept the chain (numcodecs can then neither encode nor decode with it).
fn check_raw_decoder_chain(chain: &[Filter]) -> Result<()> {
    if !xz::raw_decoder_accepts(chain) {
        return Err(invalid("the filter chain is not supported by the raw decoder (invalid or unsupported options)"));
    }
    // lzma_raw_decoder_memusage does not look at BCJ options; their start offsets must be aligned.
    for filter in chain {
        if let Filter::Bcj { id, start_offset } = *filter {
            let alignment = match id {
                xz::FILTER_POWERPC | xz::FILTER_ARM | xz::FILTER_SPARC => 4,
                xz::FILTER_IA64 => 16,
                xz::FILTER_ARMTHUMB => 2,
                _ => 1,
            };
            if start_offset % alignment != 0 {
                return Err(invalid(format!(
                    "start_offset {start_offset} of filter {id:#x} must be a multiple of {alignment}"
                )));
            }
        }
    }
    Ok(())
}

/// A uint32 filter option (`_lzma`'s `uint32_converter`: non-negative int, bool allowed, no None).
fn filter_u32(kind: &str, key: &str, value: &Value) -> Result<u32> {
    let number = match value {
        Value::Number(n) => n.as_u64(),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    };
    number.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        invalid(format!("invalid filter specifier for {kind} filter: {key} must be a uint32, got {value}"))
    })
}

/// Parses a filter chain as `_lzma`'s `parse_filter_chain_spec` does.
fn parse_filter_chain(spec: &Value) -> Result<Vec<Filter>> {
    let Value::Array(items) = spec else {
        return Err(invalid(format!("filters must be a list of filter specifiers, got {spec}")));
    };
    if items.len() > xz::FILTERS_MAX {
        return Err(invalid(format!("too many filters - liblzma supports a maximum of {}", xz::FILTERS_MAX)));
    }
    items.iter().map(parse_filter).collect()
}

fn parse_filter(spec: &Value) -> Result<Filter> {
    let Value::Object(spec) = spec else {
        return Err(invalid(format!("filter specifier must be a dict, got {spec}")));
    };
    let id = spec.get("id").ok_or_else(|| invalid("filter specifier must have an \"id\" entry"))?;
    let id = match id {
        Value::Number(n) => n.as_u64(),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
    .ok_or_else(|| invalid(format!("filter id must be a non-negative integer, got {id}")))?;
    let allowed: &[&str] = match id {
        xz::FILTER_LZMA1 | xz::FILTER_LZMA2 => {
            &["id", "preset", "dict_size", "lc", "lp", "pb", "mode", "nice_len", "mf", "depth"]
        }
        xz::FILTER_DELTA => &["id", "dist"],
        xz::FILTER_X86
        | xz::FILTER_POWERPC
        | xz::FILTER_IA64
        | xz::FILTER_ARM
        | xz::FILTER_ARMTHUMB
        | xz::FILTER_SPARC => &["id", "start_offset"],
        _ => return Err(invalid(format!("invalid filter ID: {id}"))),
    };
    let kind = match id {
        xz::FILTER_LZMA1 | xz::FILTER_LZMA2 => "LZMA",
        xz::FILTER_DELTA => "delta",
        _ => "BCJ",
    };
    if let Some(key) = spec.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(invalid(format!("invalid filter specifier for {kind} filter: unexpected key {key:?}")));
    }
    let get = |key: &str| spec.get(key).map(|value| filter_u32(kind, key, value)).transpose();
    Ok(match id {
        xz::FILTER_LZMA1 | xz::FILTER_LZMA2 => {
            // Defaults come from the preset; the other keys override them.
            let preset = get("preset")?.unwrap_or(xz::PRESET_DEFAULT);
            let mut options = LzmaOptions::from_preset(preset)
                .ok_or_else(|| invalid(format!("invalid compression preset: {preset}")))?;
            let fields: [(&str, &mut u32); 8] = [
                ("dict_size", &mut options.dict_size),
                ("lc", &mut options.lc),
                ("lp", &mut options.lp),
                ("pb", &mut options.pb),
                ("mode", &mut options.mode),
                ("nice_len", &mut options.nice_len),
                ("mf", &mut options.mf),
                ("depth", &mut options.depth),
            ];
            for (key, field) in fields {
                if let Some(value) = get(key)? {
                    *field = value;
                }
            }
            if id == xz::FILTER_LZMA1 {
                Filter::Lzma1(options)
            } else {
                Filter::Lzma2(options)
            }
        }
        xz::FILTER_DELTA => Filter::Delta { dist: get("dist")?.unwrap_or(1) },
        _ => Filter::Bcj { id, start_offset: get("start_offset")?.unwrap_or(0) },
    })
}

impl Codec for Lzma {
    fn codec_id(&self) -> &str {
        CODEC_ID
    }

    fn config(&self) -> Map<String, Value> {
        let [format, check, preset, filters] = self.echo.clone();
        config_map(CODEC_ID, [("format", format), ("check", check), ("preset", preset), ("filters", filters)])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        let framing = match self.format {
            FORMAT_XZ => XZ_CONTAINER_MAX,
            FORMAT_ALONE => ALONE_HEADER,
            FORMAT_RAW => 0,
            format => return Err(invalid(format!("invalid container format: {format} (it can only decode)"))),
        };
        self.payload_bound(src_len)
            .and_then(|n| n.checked_add(framing))
            .ok_or_else(|| Error::limit(format!("{CODEC_ID}: input of {src_len} bytes is too large")))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        // Start small: the output is usually much smaller than the bound.
        let hint = self.encode_bound(src.len(), info)?.min(src.len() / 2 + 4096);
        let mut sink = OutputSink::growing_encoded(CODEC_ID, hint);
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
        self.decompress(src, &mut sink)?;
        Ok(sink.into_vec())
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let mut sink = OutputSink::fixed_decoded(CODEC_ID, dst);
        self.decompress(src, &mut sink)?;
        sink.finish_fixed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::sink::test_data::{noise, text};
    use crate::codecs::{codec_from_json, ErrorKind};

    fn info() -> ArrayInfo {
        ArrayInfo::default()
    }

    fn codec(json: &str) -> Box<dyn Codec> {
        codec_from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    const DELTA_LZMA2: &str = r#"[{"id":3,"dist":4},{"id":33,"preset":1,"lc":0,"lp":2}]"#;

    #[test]
    fn config_echoes_what_was_given() {
        assert_eq!(
            codec(r#"{"id":"lzma"}"#).config_json(),
            r#"{"id":"lzma","format":1,"check":-1,"preset":null,"filters":null}"#
        );
        let json = r#"{"id":"lzma","format":2,"check":0,"preset":2147483657,"filters":null}"#;
        assert_eq!(codec(json).config_json(), json);
        let json = format!(r#"{{"id":"lzma","format":3,"check":-1,"preset":null,"filters":{DELTA_LZMA2}}}"#);
        assert_eq!(codec(&json).config_json(), json);
        // Key order inside filter specifiers is kept; Python's True stays true.
        let json = r#"{"id":"lzma","format":3,"check":true,"preset":null,"filters":[{"preset":1,"id":33}]}"#;
        assert_eq!(codec(json).config_json(), json);
        assert_eq!(
            Lzma::default().config_json(),
            r#"{"id":"lzma","format":1,"check":-1,"preset":null,"filters":null}"#
        );
    }

    #[test]
    fn configs_numcodecs_can_neither_encode_nor_decode_with_are_refused() {
        for json in [
            r#"{"id":"lzma","format":4}"#,
            r#"{"id":"lzma","format":-1}"#,
            r#"{"id":"lzma","format":3}"#,
            r#"{"id":"lzma","format":3,"filters":[]}"#,
            r#"{"id":"lzma","format":1,"filters":{"id":33}}"#,
            r#"{"id":"lzma","format":1,"filters":"ab"}"#,
            r#"{"id":"lzma","filters":[{"preset":1}]}"#,
            r#"{"id":"lzma","filters":[{"id":2}]}"#,
            r#"{"id":"lzma","filters":[{"id":true}]}"#,
            r#"{"id":"lzma","filters":[{"id":33.0}]}"#,
            r#"{"id":"lzma","filters":[{"id":33,"foo":1}]}"#,
            r#"{"id":"lzma","filters":[{"id":33,"dict_size":null}]}"#,
            r#"{"id":"lzma","filters":[{"id":33,"lc":-1}]}"#,
            r#"{"id":"lzma","filters":[{"id":33,"lc":1.0}]}"#,
            r#"{"id":"lzma","filters":[{"id":33,"preset":10}]}"#,
            r#"{"id":"lzma","filters":[{"id":3,"preset":1},{"id":33}]}"#,
            r#"{"id":"lzma","filters":[{"id":3},{"id":3},{"id":3},{"id":3},{"id":33}]}"#,
            r#"{"id":"lzma","format":3,"filters":[{"id":33},{"id":3}]}"#,
            r#"{"id":"lzma","format":3,"filters":[{"id":3,"dist":0},{"id":33}]}"#,
            r#"{"id":"lzma","format":3,"filters":[{"id":4611686018427387905,"lc":3,"lp":2}]}"#,
            r#"{"id":"lzma","format":3,"filters":[{"id":9,"start_offset":1},{"id":33}]}"#,
            r#"{"id":"lzma","preset":"9"}"#,
            r#"{"id":"lzma","level":9}"#,
        ] {
            let err = codec_from_json(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{json}");
        }
    }

    #[test]
    fn every_bcj_filter_python_knows_round_trips() {
        // x86, PowerPC, IA-64, ARM, ARM-Thumb, SPARC: the bundled liblzma (xz 5.8) has them all, as the
        // system liblzma CPython's lzma module uses does.
        let data: Vec<u8> = (0..20_000u32).flat_map(|i| (i / 5).to_le_bytes()).collect();
        for id in [4, 5, 6, 7, 8, 9] {
            for format in [1, 3] {
                let json = format!(r#"{{"id":"lzma","format":{format},"filters":[{{"id":{id},"start_offset":16}},{{"id":33,"preset":1}}]}}"#);
                let codec = codec(&json);
                let encoded = codec.encode(&data, &info()).unwrap();
                assert_eq!(codec.decode(&encoded).unwrap(), data, "{json}");
            }
        }
    }

    #[test]
    fn configs_that_only_decode_fail_on_encode() {
        let xz = codec(r#"{"id":"lzma"}"#).encode(b"hello", &info()).unwrap();
        for json in [
            r#"{"id":"lzma","format":0}"#,
            r#"{"id":"lzma","check":2}"#,
            r#"{"id":"lzma","check":16}"#,
            r#"{"id":"lzma","check":-2}"#,
            r#"{"id":"lzma","preset":10}"#,
            r#"{"id":"lzma","preset":-1}"#,
            r#"{"id":"lzma","preset":4294967296}"#,
            r#"{"id":"lzma","preset":288}"#,
            r#"{"id":"lzma","preset":1,"filters":[{"id":33}]}"#,
            r#"{"id":"lzma","filters":[{"id":4611686018427387905}]}"#,
            r#"{"id":"lzma","filters":[{"id":3}]}"#,
            r#"{"id":"lzma","filters":[{"id":33,"nice_len":1000}]}"#,
            r#"{"id":"lzma","filters":[{"id":33,"mode":3}]}"#,
        ] {
            let codec = codec(json);
            let err = codec.encode(b"hello", &info()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{json}: {err}");
            assert_eq!(codec.decode(&xz).unwrap(), b"hello", "{json} still decodes .xz");
        }
        let alone = codec(r#"{"id":"lzma","format":2}"#);
        for json in [
            r#"{"id":"lzma","format":2,"check":4}"#,
            r#"{"id":"lzma","format":2,"filters":[{"id":33}]}"#,
            r#"{"id":"lzma","format":2,"preset":10}"#,
        ] {
            assert_eq!(codec(json).encode(b"x", &info()).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
        let encoded = alone.encode(b"hello", &info()).unwrap();
        assert_eq!(codec(r#"{"id":"lzma","format":2,"check":4}"#).decode(&encoded).unwrap(), b"hello");
        // RAW with an LZMA2 chain the encoder refuses still decodes (the decoder ignores nice_len).
        let raw = codec(r#"{"id":"lzma","format":3,"filters":[{"id":33}]}"#).encode(b"hi", &info()).unwrap();
        let odd = codec(r#"{"id":"lzma","format":3,"filters":[{"id":33,"nice_len":1000}]}"#);
        assert_eq!(odd.encode(b"hi", &info()).unwrap_err().kind(), ErrorKind::InvalidConfig);
        assert_eq!(odd.decode(&raw).unwrap(), b"hi");
    }

    #[test]
    fn known_bytes_match_cpython() {
        // lzma.compress(b"hi", format=FORMAT_RAW, filters=[{"id": FILTER_X86, "start_offset": 1},
        // {"id": FILTER_LZMA2}]) ... the first 16 bytes; and the full .lzma of b"hi" at preset 1.
        let encoded = codec(r#"{"id":"lzma","format":2,"filters":[{"id":4611686018427387905,"preset":1}]}"#)
            .encode(b"hi", &info())
            .unwrap();
        assert_eq!(&encoded[..16], b"]\x00\x00\x10\x00\xff\xff\xff\xff\xff\xff\xff\xff\x004\x1a");
        let encoded = codec(r#"{"id":"lzma","check":0}"#).encode(b"hi", &info()).unwrap();
        assert_eq!(encoded.len(), 52);
        assert_eq!(&encoded[..10], b"\xfd7zXZ\x00\x00\x00\xff\x12");
    }

    #[test]
    fn round_trips_every_format_and_filter_kind() {
        let inputs = [Vec::new(), vec![7u8], text(10_000), noise(100_000, 5), text(300_000)];
        let configs = [
            r#"{"id":"lzma"}"#.to_string(),
            r#"{"id":"lzma","preset":0}"#.into(),
            r#"{"id":"lzma","preset":2147483657,"check":10}"#.into(),
            r#"{"id":"lzma","check":0}"#.into(),
            r#"{"id":"lzma","check":1,"preset":1}"#.into(),
            r#"{"id":"lzma","format":2,"preset":1}"#.into(),
            r#"{"id":"lzma","format":2,"check":0}"#.into(),
            format!(r#"{{"id":"lzma","format":3,"filters":{DELTA_LZMA2}}}"#),
            format!(r#"{{"id":"lzma","format":1,"filters":{DELTA_LZMA2}}}"#),
            r#"{"id":"lzma","format":3,"filters":[{"id":4611686018427387905,"preset":1,"mode":1}]}"#.into(),
            r#"{"id":"lzma","format":3,"filters":[{"id":4,"start_offset":5},{"id":33,"preset":0}]}"#.into(),
            r#"{"id":"lzma","format":3,"filters":[{"id":9,"start_offset":8},{"id":3},{"id":4},{"id":33,"preset":0}]}"#
                .into(),
            r#"{"id":"lzma","format":1,"filters":[{"id":9},{"id":33,"preset":0,"mf":18,"depth":4}]}"#.into(),
        ];
        for json in &configs {
            let codec = codec(json);
            for data in &inputs {
                let encoded = codec.encode(data, &info()).unwrap();
                let bound = codec.encode_bound(data.len(), &info()).unwrap();
                assert!(encoded.len() <= bound, "{json}: {} > {bound}", encoded.len());
                assert_eq!(&codec.decode(&encoded).unwrap(), data, "{json} len {}", data.len());
                let mut dst = vec![0u8; bound];
                let n = codec.encode_into(data, &info(), &mut dst).unwrap();
                assert_eq!(&dst[..n], &encoded[..], "{json}: encode_into == encode");
                let mut out = vec![0u8; data.len()];
                assert_eq!(codec.decode_into(&encoded, &mut out).unwrap(), data.len());
                assert_eq!(&out, data);
            }
        }
    }

    #[test]
    fn auto_format_decodes_xz_and_alone() {
        let auto = codec(r#"{"id":"lzma","format":0}"#);
        let xz = codec(r#"{"id":"lzma"}"#).encode(b"hi", &info()).unwrap();
        let alone = codec(r#"{"id":"lzma","format":2}"#).encode(b"ho", &info()).unwrap();
        assert_eq!(auto.decode(&[xz.clone(), alone.clone()].concat()).unwrap(), b"hiho");
        assert_eq!(auto.encode_bound(10, &info()).unwrap_err().kind(), ErrorKind::InvalidConfig);
        // XZ refuses .lzma and vice versa.
        assert_eq!(codec(r#"{"id":"lzma"}"#).decode(&alone).unwrap_err().kind(), ErrorKind::CorruptData);
        assert_eq!(codec(r#"{"id":"lzma","format":2}"#).decode(&xz).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn xz_and_alone_with_filters_decode_although_numcodecs_cannot() {
        // numcodecs raises "Cannot specify filters except with FORMAT_RAW" when decoding these; the
        // streams record their filters, so we decode them.
        for json in [
            format!(r#"{{"id":"lzma","format":1,"filters":{DELTA_LZMA2}}}"#),
            r#"{"id":"lzma","format":2,"filters":[{"id":4611686018427387905,"preset":1}]}"#.to_string(),
        ] {
            let codec = codec(&json);
            let data = text(5000);
            assert_eq!(codec.decode(&codec.encode(&data, &info()).unwrap()).unwrap(), data);
        }
    }

    #[test]
    fn concatenated_streams_and_trailing_data_like_lzma_decompress() {
        let xz = codec(r#"{"id":"lzma"}"#);
        let hi = xz.encode(b"hi", &info()).unwrap();
        assert_eq!(xz.decode(&[hi.clone(), hi.clone()].concat()).unwrap(), b"hihi");
        // Garbage after a stream is ignored once liblzma can tell it is not a stream header (12 bytes) ...
        assert_eq!(xz.decode(&[&hi[..], &[0u8; 12]].concat()).unwrap(), b"hi");
        assert_eq!(xz.decode(&[&hi[..], b"garbagegarbage"].concat()).unwrap(), b"hi");
        // ... shorter garbage, even .xz stream padding, is a truncated second stream (as in numcodecs).
        assert_eq!(xz.decode(&[&hi[..], &[0u8; 4]].concat()).unwrap_err().kind(), ErrorKind::CorruptData);
        // ... and so is a second stream that breaks, with what it decoded to.
        let mut broken = xz.encode(&text(100_000), &info()).unwrap();
        let last = broken.len() - 20;
        broken[last] ^= 0xff;
        assert_eq!(xz.decode(&[&hi[..], &broken].concat()).unwrap(), b"hi");
        let mut out = [0u8; 2];
        assert_eq!(xz.decode_into(&[&hi[..], &broken].concat(), &mut out).unwrap(), 2);
        // ... but a second stream that merely ends early is an error.
        let err = xz.decode(&[&hi[..], b"\xfd7z"].concat()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptData);
        // Raw streams concatenate too.
        let raw = codec(r#"{"id":"lzma","format":3,"filters":[{"id":33}]}"#);
        let one = raw.encode(b"hi", &info()).unwrap();
        assert_eq!(raw.decode(&[one.clone(), one.clone()].concat()).unwrap(), b"hihi");
        assert_eq!(raw.decode(&[&one[..], b"garbage"].concat()).unwrap(), b"hi");
    }

    #[test]
    fn buffer_too_small_reports_needed_size() {
        let codec = codec(r#"{"id":"lzma","preset":1}"#);
        let data = text(200_000);
        let encoded = codec.encode(&data, &info()).unwrap();
        let mut dst = vec![0u8; encoded.len() - 1];
        let err = codec.encode_into(&data, &info(), &mut dst).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
        for cap in [0, 1, 199_999] {
            let mut out = vec![0u8; cap];
            let err = codec.decode_into(&encoded, &mut out).unwrap_err();
            assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(200_000)));
        }
    }

    #[test]
    fn corrupt_and_truncated_input_is_refused() {
        for (json, encoder) in [
            (r#"{"id":"lzma"}"#, r#"{"id":"lzma"}"#),
            (r#"{"id":"lzma","format":2}"#, r#"{"id":"lzma","format":2}"#),
            (r#"{"id":"lzma","format":0}"#, r#"{"id":"lzma","format":2}"#),
            (
                r#"{"id":"lzma","format":3,"filters":[{"id":3},{"id":33}]}"#,
                r#"{"id":"lzma","format":3,"filters":[{"id":3},{"id":33}]}"#,
            ),
        ] {
            let codec = codec(json);
            let data = text(50_000);
            let encoded = super::tests::codec(encoder).encode(&data, &info()).unwrap();
            let err = codec.decode(b"").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "{json}: empty input");
            assert!(err.message().starts_with("lzma:"), "{}", err.message());
            for cut in [1, 5, 13, encoded.len() / 2, encoded.len() - 1] {
                assert_eq!(
                    codec.decode(&encoded[..cut]).unwrap_err().kind(),
                    ErrorKind::CorruptData,
                    "{json} cut {cut}"
                );
            }
            for seed in 0..100u64 {
                let mut damaged = encoded.clone();
                let at = (seed as usize * 7919) % damaged.len();
                damaged[at] ^= 1 << (seed % 8);
                let _ = codec.decode(&damaged);
                let _ = codec.decode(&noise(seed as usize * 10, seed));
            }
        }
        // A .xz check mismatch is corrupt data.
        let xz = codec(r#"{"id":"lzma"}"#);
        let mut encoded = xz.encode(&text(1000), &info()).unwrap();
        let check_at = encoded.len() - 12 - 12 - 8; // before index (12 here) and footer (12): CRC64
        encoded[check_at] ^= 1;
        assert_eq!(xz.decode(&encoded).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn decoding_stops_at_the_size_limit() {
        let codec = Lzma::default();
        let encoded = codec.encode(&vec![0u8; 1 << 20], &info()).unwrap();
        let mut sink = OutputSink::growing_with_limit(CODEC_ID, 0, Some((1 << 20) - 1));
        assert_eq!(codec.decompress(&encoded, &mut sink).unwrap_err().kind(), ErrorKind::LimitExceeded);
    }
}
