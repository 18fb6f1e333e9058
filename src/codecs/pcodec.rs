//! `pcodec`: numcodecs' `PCodec(level=8, mode_spec="auto", delta_spec="auto",
//! paging_spec="equal_pages_up_to", delta_encoding_order=None, equal_pages_up_to=262144)`, a pco
//! standalone file of the flattened array.
//!
//! numcodecs calls the Python `pcodec` 0.3.6 package, which is pco 0.4.8 behind `standalone.simple_compress`
//! and `standalone.simple_decompress`; this module calls the same functions of the same pco. The
//! stream records the number type (pco's type byte) but not the shape: numcodecs flattens the array
//! before encoding and decodes to a 1-D array, so [`Codec::decoded_info`] reports the dtype and a 1-D
//! shape whose length is only known after decoding.
//!
//! Like numcodecs, construction validates nothing but the keys: `PCodec.__init__` stores its arguments,
//! `get_config()` echoes them, and `_get_chunk_config()` only refuses bad values when encoding (an
//! unknown `mode_spec`, a `delta_encoding_order` with a `delta_spec` other than `auto` or
//! `try_consecutive`, a level that is not a non-negative integer, pco's own limits: level <= 12, order
//! <= 7). Decoding never looks at the configuration, so such a codec still decodes.
//!
//! Supported dtypes are pcodec's: little-endian `u2 u4 u8 i2 i4 i8 f2 f4 f8` (pcodec refuses byte-swapped
//! arrays and 8-bit types with a `TypeError`).

use pco::data_types::{Number, NumberType};
use pco::metadata::{ChunkMeta, DeltaEncoding};
use pco::standalone::{self, FileDecompressor, MaybeChunkDecompressor, NumberTypeOrTermination};
use pco::{ChunkConfig, DeltaSpec, ModeSpec, PagingSpec};
use serde_json::{Map, Value};

use super::{check_decoded_size, python_json, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("pcodec", PCodec::from_params)];

const ID: &str = "pcodec";
/// numcodecs' defaults, in `__init__` order (which is `get_config()`'s key order).
const DEFAULT_LEVEL: u64 = 8;
const DEFAULT_MAX_PAGE_N: u64 = 262_144;

/// The `pcodec` codec.
#[derive(Debug, Clone)]
pub struct PCodec {
    /// `get_config()` as numcodecs prints it: every option as given, defaults filled in.
    config: Map<String, Value>,
    /// What `_get_chunk_config()` (and pyo3's argument conversion) makes of the options, or the error
    /// numcodecs raises at encode time.
    chunk_config: std::result::Result<ChunkConfig, String>,
}

impl PCodec {
    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        let mut config = Map::new();
        config.insert("id".into(), Value::from(ID));
        let defaults = [
            ("level", Value::from(DEFAULT_LEVEL)),
            ("mode_spec", Value::from("auto")),
            ("delta_spec", Value::from("auto")),
            ("paging_spec", Value::from("equal_pages_up_to")),
            ("delta_encoding_order", Value::Null),
            ("equal_pages_up_to", Value::from(DEFAULT_MAX_PAGE_N)),
        ];
        for (key, default) in defaults {
            let value = params.take_raw(key).unwrap_or(default);
            config.insert(key.into(), value);
        }
        params.finish()?;
        let chunk_config = chunk_config(&config);
        Ok(Box::new(PCodec { config, chunk_config }))
    }

    /// The chunk configuration, or numcodecs' encode-time refusal of the options.
    fn chunk_config(&self) -> Result<&ChunkConfig> {
        self.chunk_config.as_ref().map_err(|message| Error::invalid_config(format!("{ID}: {message}")))
    }
}

/// numcodecs' `PCodec._get_chunk_config()` followed by pcodec's `ChunkConfig(...)` conversion.
fn chunk_config(config: &Map<String, Value>) -> std::result::Result<ChunkConfig, String> {
    let get = |key: &str| config.get(key).unwrap_or(&Value::Null);
    let mode_spec = match get("mode_spec").as_str() {
        Some("auto") => ModeSpec::Auto,
        Some("classic") => ModeSpec::Classic,
        _ => return Err(format!("mode_spec {} is not supported", get("mode_spec"))),
    };
    let order = get("delta_encoding_order");
    let delta_spec_name = get("delta_spec").as_str();
    let delta_spec = if !order.is_null() && delta_spec_name == Some("auto") {
        // numcodecs' backwards compatibility: an order with the default delta_spec means try_consecutive.
        DeltaSpec::TryConsecutive(as_usize(order, "delta_encoding_order")?)
    } else if !order.is_null() && delta_spec_name != Some("try_consecutive") {
        return Err("delta_encoding_order can only be set for delta_spec='try_consecutive'".into());
    } else {
        match delta_spec_name {
            Some("auto") => DeltaSpec::Auto,
            Some("none") => DeltaSpec::None,
            // With no order, pcodec's DeltaSpec.try_consecutive(None) raises a TypeError.
            Some("try_consecutive") => DeltaSpec::TryConsecutive(as_usize(order, "delta_encoding_order")?),
            Some("try_lookback") => DeltaSpec::TryLookback,
            _ => return Err(format!("delta_spec {} is not supported", get("delta_spec"))),
        }
    };
    let paging_spec = match get("paging_spec").as_str() {
        Some("equal_pages_up_to") => PagingSpec::EqualPagesUpTo(as_usize(get("equal_pages_up_to"), "equal_pages_up_to")?),
        _ => return Err(format!("paging_spec {} is not supported", get("paging_spec"))),
    };
    let compression_level = as_usize(get("level"), "level")?;
    Ok(ChunkConfig::default()
        .with_compression_level(compression_level)
        .with_delta_spec(delta_spec)
        .with_mode_spec(mode_spec)
        .with_paging_spec(paging_spec))
}

/// pyo3's conversion to a Rust `usize`: Python ints (bools included) from 0 up; floats, None and
/// strings raise TypeError, negative numbers OverflowError.
fn as_usize(value: &Value, key: &str) -> std::result::Result<usize, String> {
    match value {
        Value::Bool(b) => Ok(usize::from(*b)),
        Value::Number(n) if n.is_u64() => n.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or_else(|| format!("{key} {n} is too large")),
        Value::Number(n) if n.is_i64() => Err(format!("{key} {n} is negative")),
        other => Err(format!("{key} must be an integer, got {other}")),
    }
}

/// The numbers pco compresses, read from and written to the chunk's little-endian bytes.
trait LeNumber: Number {
    const SIZE: usize;
    fn read_le(bytes: &[u8]) -> Self;
    /// Into `out`, exactly `SIZE` bytes.
    fn write_le(self, out: &mut [u8]);
}

macro_rules! le_number {
    ($($t:ty),*) => {$(
        impl LeNumber for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read_le(bytes: &[u8]) -> Self {
                let mut array = [0u8; std::mem::size_of::<$t>()];
                array.copy_from_slice(bytes);
                <$t>::from_le_bytes(array)
            }
            #[inline]
            fn write_le(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
le_number!(u16, u32, u64, i16, i32, i64, half::f16, f32, f64);

/// pcodec's number type of a NumPy dtype: only the native (little-endian) 16-, 32- and 64-bit
/// integers and floats, as pcodec's `number_type_from_numpy` accepts them.
fn number_type(dtype: &DType) -> Result<NumberType> {
    let little = dtype.byte_order() == ByteOrder::Little;
    let number_type = match (dtype.kind(), dtype.itemsize()) {
        ('u', 2) => NumberType::U16,
        ('u', 4) => NumberType::U32,
        ('u', 8) => NumberType::U64,
        ('i', 2) => NumberType::I16,
        ('i', 4) => NumberType::I32,
        ('i', 8) => NumberType::I64,
        ('f', 2) => NumberType::F16,
        ('f', 4) => NumberType::F32,
        ('f', 8) => NumberType::F64,
        _ => return Err(unsupported_dtype(dtype)),
    };
    if !little {
        return Err(unsupported_dtype(dtype));
    }
    Ok(number_type)
}

fn unsupported_dtype(dtype: &DType) -> Error {
    Error::invalid_argument(format!(
        "{ID}: unsupported dtype {}: pcodec takes little-endian uint16/32/64, int16/32/64 and float16/32/64",
        dtype.typestr()
    ))
}

/// The dtype numcodecs' decode returns for a pco number type.
fn dtype_of(number_type: NumberType) -> Result<DType> {
    let typestr = match number_type {
        NumberType::U16 => "<u2",
        NumberType::U32 => "<u4",
        NumberType::U64 => "<u8",
        NumberType::I16 => "<i2",
        NumberType::I32 => "<i4",
        NumberType::I64 => "<i8",
        NumberType::F16 => "<f2",
        NumberType::F32 => "<f4",
        NumberType::F64 => "<f8",
        other => return Err(Error::corrupt(format!("{ID}: number type {other:?} is not one numcodecs decodes"))),
    };
    DType::parse(typestr)
}

fn pco_error(context: &str, error: pco::errors::PcoError) -> Error {
    let message = format!("{ID}: {context}: {error}");
    match error.kind {
        // Compression only fails on its arguments: the level, order or page size of the configuration.
        pco::errors::ErrorKind::InvalidArgument => Error::invalid_config(message),
        pco::errors::ErrorKind::Compatibility => Error::unsupported(message),
        _ => Error::corrupt(message),
    }
}

/// pco divides by the page size before checking it; numcodecs' `equal_pages_up_to=0` crashes pco (a
/// Rust panic, PanicException in Python) on any non-empty chunk. We refuse it instead.
fn check_page_size(config: &ChunkConfig, n: usize) -> Result<()> {
    if n > 0 && matches!(config.paging_spec, PagingSpec::EqualPagesUpTo(0)) {
        return Err(Error::invalid_config(format!("{ID}: equal_pages_up_to must be at least 1")));
    }
    Ok(())
}

fn compress_typed<T: LeNumber>(src: &[u8], config: &ChunkConfig) -> Result<Vec<u8>> {
    let numbers: Vec<T> = src.chunks_exact(T::SIZE).map(T::read_le).collect();
    check_page_size(config, numbers.len())?;
    standalone::simple_compress(&numbers, config).map_err(|e| pco_error("compression failed", e))
}

fn bound_typed<T: LeNumber>(n: usize, config: &ChunkConfig) -> Result<usize> {
    check_page_size(config, n)?;
    standalone::guarantee::file_size::<T::L>(n, &config.paging_spec).map_err(|e| pco_error("encode bound", e))
}

/// Numbers decoded per `ChunkDecompressor::decompress` call: a multiple of 256, as pco requires, and 64 KiB of
/// f64 at most.
const DECODE_BATCH: usize = 8192;

/// pco's `FileDecompressor::simple_decompress`, chunk by chunk, checking the decoded size before each
/// chunk is allocated (a chunk header claims up to 2^24 numbers, whatever the stream's length).
fn decompress_typed<T: LeNumber>(file: &FileDecompressor, mut src: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        match file.chunk_decompressor::<T, &[u8]>(src).map_err(|e| pco_error("invalid chunk", e))? {
            // pco ignores whatever follows the termination byte, so numcodecs does too.
            MaybeChunkDecompressor::EndOfData(_) => return Ok(out),
            MaybeChunkDecompressor::Some(mut chunk) => {
                let n = chunk.n();
                let total = n.checked_mul(T::SIZE).and_then(|bytes| bytes.checked_add(out.len())).unwrap_or(usize::MAX);
                check_decoded_size(ID, total as u64)?;
                check_lookback_window(chunk.meta(), n)?;
                // A batch of numbers at a time (pco takes multiples of 256), turned into bytes while still
                // in cache. A chunk-sized array of numbers beside the bytes doubled the peak memory of a
                // decode (decoding speed did not change measurably either way).
                let start = out.len();
                out.resize(start + n * T::SIZE, 0);
                let mut batch = vec![T::default(); n.min(DECODE_BATCH)];
                let mut slots = out[start..].chunks_exact_mut(T::SIZE);
                let mut done = 0;
                while done < n {
                    let progress = chunk.decompress(&mut batch).map_err(|e| pco_error("invalid page", e))?;
                    let got = progress.n_processed;
                    if got == 0 || done + got > n || (progress.finished != (done + got == n)) {
                        return Err(Error::corrupt(format!("{ID}: chunk of {n} numbers decoded to {}", done + got)));
                    }
                    // The batch first: zip stops at its end without taking a slot too many.
                    for (&number, slot) in batch[..got].iter().zip(slots.by_ref()) {
                        number.write_le(slot);
                    }
                    done += got;
                }
                src = chunk.into_src();
            }
        }
    }
}

/// pco allocates its lookback-delta window (two windows of latents) from the chunk header's window size
/// when it starts a page, up to 2^32 entries whatever the chunk's length: a 60-byte stream asked for
/// 4 GiB (fuzzing). pco's compressor picks a window of at most twice the chunk's numbers (and at least
/// 16), so a window over four times the numbers (or 2^16, for tiny chunks) is refused as corrupt,
/// which bounds the window by the decoded size.
fn check_lookback_window(meta: &ChunkMeta, n: usize) -> Result<()> {
    if let DeltaEncoding::Lookback(config) = meta.delta_encoding {
        let window_n = 1usize.checked_shl(config.window_n_log).unwrap_or(usize::MAX);
        if window_n > n.max(1 << 14).saturating_mul(4) {
            return Err(Error::corrupt(format!(
                "{ID}: a lookback window of 2^{} numbers for a chunk of {n} numbers",
                config.window_n_log
            )));
        }
    }
    Ok(())
}

/// Reads the file header and the first chunk's number type (`None`: a file without chunks, which
/// numcodecs decodes to `None`; we decode it to zero bytes).
fn open(src: &[u8]) -> Result<(FileDecompressor, &[u8], Option<NumberType>)> {
    let (file, rest) = FileDecompressor::new(src).map_err(|e| pco_error("invalid header", e))?;
    let number_type = match file.peek_number_type_or_termination(rest).map_err(|e| pco_error("invalid header", e))? {
        NumberTypeOrTermination::Known(number_type) => Some(number_type),
        NumberTypeOrTermination::Termination => None,
        NumberTypeOrTermination::Unknown(byte) => {
            return Err(Error::corrupt(format!("{ID}: unrecognized number type byte {byte}")));
        }
    };
    Ok((file, rest, number_type))
}

impl Codec for PCodec {
    fn codec_id(&self) -> &str {
        ID
    }

    fn config(&self) -> Map<String, Value> {
        self.config.clone()
    }

    fn config_json(&self) -> String {
        // Float options (tolerance 1e-06) print as Python does.
        python_json(&self.config())
    }

    fn encode_bound(&self, src_len: usize, info: &ArrayInfo) -> Result<usize> {
        let config = self.chunk_config()?;
        let number_type = number_type(&info.dtype)?;
        let n = src_len / info.dtype.itemsize();
        pco::match_number_enum!(number_type, NumberType<T> => { bound_typed::<T>(n, config) })
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let config = self.chunk_config()?;
        let number_type = number_type(&info.dtype)?;
        info.check_len(src.len())?;
        pco::match_number_enum!(number_type, NumberType<T> => { compress_typed::<T>(src, config) })
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        match open(src)? {
            (file, rest, Some(number_type)) => {
                pco::match_number_enum!(number_type, NumberType<T> => { decompress_typed::<T>(&file, rest) })
            }
            (_, _, None) => Ok(Vec::new()),
        }
    }

    fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
        // 1-D (numcodecs flattens before encoding); the length is known only after decoding every page.
        match open(src)?.2 {
            Some(number_type) => Ok(Some(ArrayInfo::new(dtype_of(number_type)?, None))),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    fn info(typestr: &str) -> ArrayInfo {
        ArrayInfo::new(DType::parse(typestr).unwrap(), None)
    }

    fn ramp_f8(n: usize) -> Vec<u8> {
        (0..n).flat_map(|i| (i as f64 * 0.25 + (i % 7) as f64).to_le_bytes()).collect()
    }

    #[test]
    fn config_json_has_numcodecs_defaults_and_echoes_values() {
        let codec = codec_from_json(r#"{"id":"pcodec"}"#).unwrap();
        assert_eq!(
            codec.config_json(),
            r#"{"id":"pcodec","level":8,"mode_spec":"auto","delta_spec":"auto","paging_spec":"equal_pages_up_to","delta_encoding_order":null,"equal_pages_up_to":262144}"#
        );
        let codec = codec_from_json(r#"{"id":"pcodec","equal_pages_up_to":100,"level":3,"delta_encoding_order":2}"#).unwrap();
        assert_eq!(
            codec.config_json(),
            r#"{"id":"pcodec","level":3,"mode_spec":"auto","delta_spec":"auto","paging_spec":"equal_pages_up_to","delta_encoding_order":2,"equal_pages_up_to":100}"#
        );
        assert_eq!(codec_from_json(r#"{"id":"pcodec","compression_level":3}"#).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn bad_options_are_refused_when_encoding_but_still_decode() {
        let good = codec_from_json(r#"{"id":"pcodec"}"#).unwrap();
        let data = ramp_f8(100);
        let encoded = good.encode(&data, &info("<f8")).unwrap();
        for json in [
            r#"{"id":"pcodec","level":13}"#,
            r#"{"id":"pcodec","level":-1}"#,
            r#"{"id":"pcodec","level":8.0}"#,
            r#"{"id":"pcodec","mode_spec":"try_float_mult"}"#,
            r#"{"id":"pcodec","delta_spec":"none","delta_encoding_order":1}"#,
            r#"{"id":"pcodec","delta_spec":"try_consecutive"}"#,
            r#"{"id":"pcodec","delta_encoding_order":8}"#,
            r#"{"id":"pcodec","paging_spec":"exact"}"#,
            r#"{"id":"pcodec","equal_pages_up_to":0}"#,
        ] {
            let codec = codec_from_json(json).unwrap();
            assert_eq!(codec.encode(&data, &info("<f8")).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
            assert_eq!(codec.decode(&encoded).unwrap(), data, "{json}");
        }
    }

    #[test]
    fn every_dtype_round_trips_and_reports_its_dtype() {
        let codec = codec_from_json(r#"{"id":"pcodec","level":4}"#).unwrap();
        for typestr in ["<u2", "<u4", "<u8", "<i2", "<i4", "<i8", "<f2", "<f4", "<f8"] {
            let itemsize = DType::parse(typestr).unwrap().itemsize();
            let data: Vec<u8> = (0..999 * itemsize).map(|i| ((i * 7) % 13) as u8 * (i % itemsize == 0) as u8).collect();
            let encoded = codec.encode(&data, &info(typestr)).unwrap();
            assert!(encoded.len() <= codec.encode_bound(data.len(), &info(typestr)).unwrap(), "{typestr}");
            assert_eq!(codec.decode(&encoded).unwrap(), data, "{typestr}");
            assert_eq!(codec.decoded_info(&encoded).unwrap().unwrap().dtype.typestr(), typestr);
        }
    }

    #[test]
    fn decode_batches_cross_page_and_chunk_boundaries() {
        // Pages of 3000 numbers against batches of DECODE_BATCH (8192): batches end inside pages, pages
        // end inside batches, and the last batch is short.
        let codec = codec_from_json(r#"{"id":"pcodec","equal_pages_up_to":3000}"#).unwrap();
        for n in [DECODE_BATCH - 1, DECODE_BATCH, DECODE_BATCH + 1, 3 * DECODE_BATCH + 257] {
            let data = ramp_f8(n);
            let encoded = codec.encode(&data, &info("<f8")).unwrap();
            assert_eq!(codec.decode(&encoded).unwrap(), data, "{n} numbers");
        }
    }

    #[test]
    fn unsupported_dtypes_are_invalid_arguments() {
        let codec = codec_from_json(r#"{"id":"pcodec"}"#).unwrap();
        for typestr in ["|u1", "|i1", ">f4", ">i8", "<c8", "|b1"] {
            let err = codec.encode(&[0u8; 16], &info(typestr)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{typestr}");
        }
    }

    #[test]
    fn empty_chunk_decodes_to_nothing() {
        let codec = codec_from_json(r#"{"id":"pcodec"}"#).unwrap();
        let encoded = codec.encode(&[], &info("<f4")).unwrap();
        assert_eq!(codec.decode(&encoded).unwrap(), b"");
        assert_eq!(codec.decoded_info(&encoded).unwrap(), None);
    }

    #[test]
    fn several_pages_round_trip() {
        let codec = codec_from_json(r#"{"id":"pcodec","equal_pages_up_to":300}"#).unwrap();
        let data = ramp_f8(1000);
        let encoded = codec.encode(&data, &info("<f8")).unwrap();
        assert_eq!(codec.decode(&encoded).unwrap(), data);
    }

    #[test]
    fn a_huge_lookback_window_is_refused_before_pco_allocates_it() {
        // A fuzzer's stream (tests/fuzz_regressions/decode, selector byte first) whose chunk header asks
        // for a 2^30-number lookback window: 4 GiB allocated before any page was read.
        let input = include_bytes!("../../tests/fuzz_regressions/decode/pcodec-lookback-window-of-2-30-numbers");
        let codec = codec_from_json(r#"{"id":"pcodec"}"#).unwrap();
        let error = codec.decode(&input[1..]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CorruptData);
        assert!(error.message().contains("lookback window of 2^"), "{}", error.message());
        // pco's own lookback windows still decode (delta_spec "try_lookback" picks one).
        let data = ramp_f8(5000);
        let lookback = codec_from_json(r#"{"id":"pcodec","delta_spec":"try_lookback"}"#).unwrap();
        assert_eq!(lookback.decode(&lookback.encode(&data, &info("<f8")).unwrap()).unwrap(), data);
    }

    #[test]
    fn damaged_and_truncated_streams_are_refused() {
        let codec = codec_from_json(r#"{"id":"pcodec"}"#).unwrap();
        let data = ramp_f8(500);
        let encoded = codec.encode(&data, &info("<f8")).unwrap();
        assert_eq!(codec.decode(b"").unwrap_err().kind(), ErrorKind::CorruptData);
        assert_eq!(codec.decode(b"not pco at all").unwrap_err().kind(), ErrorKind::CorruptData);
        for cut in 0..encoded.len() {
            assert!(codec.decode(&encoded[..cut]).is_err(), "cut at {cut}");
        }
    }
}
