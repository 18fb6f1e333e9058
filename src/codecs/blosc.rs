//! `blosc`: numcodecs' `Blosc(cname='lz4', clevel=5, shuffle=SHUFFLE, blocksize=AUTOBLOCKS, typesize=None)`
//! with c-blosc 1.21 (numcodecs 0.16.6 bundles 1.21.7.dev, whose compressor code is the same as the
//! 1.21.6 in blosc-src, built on the same LZ4 1.10.0, zlib 1.3.1 and zstd 1.5.6), plus the functions of
//! the `numcodecs.blosc` module ([`cbuffer_sizes`], [`cbuffer_metainfo`], [`cbuffer_complib`],
//! [`list_compressors`], [`set_nthreads`]/[`get_nthreads`]) and [`decompress_partial`] (`blosc_getitem`).
//!
//! Encoding is numcodecs' `compress()` on its thread-free path (`use_threads = False`):
//! `blosc_compress_ctx` with one internal thread into a buffer of exactly `len + 16` bytes. numcodecs'
//! threaded path uses blosc's global context, whose worker threads may finish blocks in any order; that
//! output is valid but not reproducible, so we always compress single-threaded (deterministic, and
//! identical to numcodecs whenever numcodecs does not use threads).
//!
//! Typesize: numcodecs compresses with the `typesize` constructor argument when one is given, else with
//! the buffer's itemsize. We do the same: an explicit `typesize` (numcodecs key, or Zarr v3's
//! `configuration.typesize`) always wins, and otherwise the typesize is the itemsize of the array's dtype
//! ([`ArrayInfo`]; 1 for plain bytes). An explicit typesize is not a mere fallback for a missing dtype
//! because zarr-python hands blosc a flat byte buffer together with the configured typesize, so the
//! configured value is what produced (and reproduces) the bytes of a Zarr v3 chunk. As in numcodecs,
//! `get_config()` does not list `typesize` (numcodecs stores it in a private attribute).
//!
//! `shuffle = -1` (AUTOSHUFFLE) means bit-shuffle when the typesize is 1, byte-shuffle otherwise.
//!
//! Decoding validates the 16-byte header before blosc sees the buffer: the recorded compressed size must
//! lie within the input (trailing bytes are ignored, as numcodecs ignores them) and the decompressed size
//! within [`DEFAULT_MAX_DECODED_SIZE`](super::DEFAULT_MAX_DECODED_SIZE). numcodecs encodes an empty chunk
//! (a bare header) but fails to decode it; we decode it. Decompression may use several threads
//! ([`set_nthreads`]); its output does not depend on them.

use std::ffi::CString;
use std::sync::atomic::{AtomicI32, Ordering};

use serde_json::{Map, Value};

use super::{check_decoded_size, compress_to_vec, compress_with_bound_room, config_map, echo_given, ArrayInfo, Codec, Constructor, Error, Params, Result};
use crate::sys::blosc::{self as sys, Header};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("blosc", Blosc::from_params)];

// Public as `Blosc::NAME` (module-level public constants would land in the C header).
const NOSHUFFLE: i32 = 0;
const SHUFFLE: i32 = 1;
const BITSHUFFLE: i32 = 2;
const AUTOSHUFFLE: i32 = -1;
const AUTOBLOCKS: i32 = 0;
const DEFAULT_CNAME: &str = "lz4";
const DEFAULT_CLEVEL: i32 = 5;
const MAX_BUFFER_SIZE: usize = (1 << 31) - 1;
const MAX_OVERHEAD: usize = sys::MAX_OVERHEAD;
const MAX_THREADS: i32 = sys::MAX_THREADS;

// blosc records at most MAX_BUFFERSIZE bytes, so only the header checks can refuse a blosc size.
const _: () = assert!(super::DEFAULT_MAX_DECODED_SIZE >= sys::MAX_BUFFERSIZE);

/// Threads blosc uses to decompress; see [`set_nthreads`].
static DECOMPRESSION_THREADS: AtomicI32 = AtomicI32::new(1);

/// The `blosc` codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blosc {
    cname: CString,
    clevel: i32,
    shuffle: i32,
    blocksize: i32,
    typesize: Option<usize>,
    /// Options given as non-integer JSON (e.g. `5.0`), echoed by `config()` like numcodecs does.
    echo: Map<String, Value>,
}

impl Default for Blosc {
    fn default() -> Self {
        Blosc::new(DEFAULT_CNAME, DEFAULT_CLEVEL, SHUFFLE, AUTOBLOCKS, None).expect("the defaults are valid")
    }
}

// The C header is generated from every public item of the crate; these are Rust-only.
#[doc = "cbindgen:ignore"]
impl Blosc {
    /// No shuffle (`numcodecs.blosc.NOSHUFFLE`).
    pub const NOSHUFFLE: i32 = NOSHUFFLE;
    /// Byte shuffle (`SHUFFLE`), the default.
    pub const SHUFFLE: i32 = SHUFFLE;
    /// Bit shuffle (`BITSHUFFLE`).
    pub const BITSHUFFLE: i32 = BITSHUFFLE;
    /// Bit shuffle for 1-byte items, byte shuffle otherwise (`AUTOSHUFFLE`).
    pub const AUTOSHUFFLE: i32 = AUTOSHUFFLE;
    /// Let blosc choose the block size (`AUTOBLOCKS`).
    pub const AUTOBLOCKS: i32 = AUTOBLOCKS;
    /// numcodecs' default compressor.
    pub const DEFAULT_CNAME: &'static str = DEFAULT_CNAME;
    /// numcodecs' default compression level.
    pub const DEFAULT_CLEVEL: i32 = DEFAULT_CLEVEL;
    /// numcodecs' `Blosc.max_buffer_size`: larger buffers are refused.
    pub const MAX_BUFFER_SIZE: usize = MAX_BUFFER_SIZE;
    /// blosc's header size, which is also the most it adds to its input (`MAX_OVERHEAD`).
    pub const MAX_OVERHEAD: usize = MAX_OVERHEAD;
    /// The most threads [`set_nthreads`] accepts (`MAX_THREADS`).
    pub const MAX_THREADS: i32 = MAX_THREADS;
}

impl Blosc {
    /// Checks the options up front (numcodecs checks `cname`, `clevel` and `shuffle` only when encoding,
    /// so a codec that could never encode is refused here instead).
    pub fn new(cname: &str, clevel: i32, shuffle: i32, blocksize: i32, typesize: Option<usize>) -> Result<Self> {
        if !list_compressors().contains(&cname) {
            return Err(Error::invalid_config(format!(
                "blosc: bad compressor or compressor not supported: {cname:?}; expected one of {:?}",
                list_compressors()
            )));
        }
        if !(0..=9).contains(&clevel) {
            return Err(Error::invalid_config(format!("blosc: clevel must be between 0 and 9, got {clevel}")));
        }
        if !(AUTOSHUFFLE..=BITSHUFFLE).contains(&shuffle) {
            return Err(Error::invalid_config(format!("blosc: invalid shuffle argument; expected -1, 0, 1 or 2, found {shuffle}")));
        }
        if typesize == Some(0) {
            return Err(Error::invalid_config("blosc: cannot use typesize 0 less than 1"));
        }
        let cname = CString::new(cname).map_err(|_| Error::invalid_config("blosc: cname contains NUL"))?;
        Ok(Blosc { cname, clevel, shuffle, blocksize, typesize, echo: Map::new() })
    }

    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        let mut echo = Map::new();
        let cname = params.take_string("cname")?.unwrap_or_else(|| DEFAULT_CNAME.to_string());
        // C ints in numcodecs: floats are truncated toward zero (as Cython does) and echoed as given.
        let clevel = params.c_int_or("clevel", DEFAULT_CLEVEL, &mut echo)?;
        let shuffle = match params.peek("shuffle") {
            // Zarr v3 spells the shuffle as a string; "numcodecs.blosc" configurations use numbers.
            Some(Value::String(name)) if params.is_zarr_v3() => {
                let shuffle = match name.as_str() {
                    "noshuffle" => NOSHUFFLE,
                    "shuffle" => SHUFFLE,
                    "bitshuffle" => BITSHUFFLE,
                    _ => return Err(Error::invalid_config(format!("blosc: shuffle must be \"noshuffle\", \"shuffle\" or \"bitshuffle\", got {name:?}"))),
                };
                params.take_raw("shuffle");
                shuffle
            }
            _ => params.c_int_or("shuffle", SHUFFLE, &mut echo)?,
        };
        // Values outside blosc's block size range are clamped by blosc itself.
        let blocksize = params.c_int_or("blocksize", AUTOBLOCKS, &mut echo)?;
        // typesize defaults to None in numcodecs, so null means "from the dtype".
        let typesize = match params.take("typesize") {
            None => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(t) if t >= 1 => Some(usize::try_from(t).map_err(|_| params.wrong_type("typesize", "a positive integer"))?),
                _ => return Err(Error::invalid_config(format!("blosc: cannot use typesize {n} less than 1"))),
            },
            Some(_) => return Err(params.wrong_type("typesize", "a positive integer")),
        };
        params.finish()?;
        Ok(Box::new(Blosc { echo, ..Blosc::new(&cname, clevel, shuffle, blocksize, typesize)? }))
    }

    /// The compressor name, e.g. `"lz4"`.
    pub fn cname(&self) -> &str {
        self.cname.to_str().unwrap_or_default()
    }

    /// The typesize and shuffle numcodecs' `compress()` would use for an array of `info`.
    fn typesize_and_shuffle(&self, info: &ArrayInfo) -> (usize, i32) {
        let typesize = self.typesize.unwrap_or_else(|| info.dtype.itemsize());
        let shuffle = match self.shuffle {
            AUTOSHUFFLE if typesize == 1 => BITSHUFFLE,
            AUTOSHUFFLE => SHUFFLE,
            other => other,
        };
        (typesize, shuffle)
    }

    /// Compresses into `dst`, which must be exactly `src.len() + MAX_OVERHEAD` bytes (blosc's output
    /// depends on the destination size; numcodecs uses exactly that).
    fn compress_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        if info.dtype.is_object() {
            return Err(Error::invalid_argument("blosc: object arrays cannot be compressed"));
        }
        let (typesize, shuffle) = self.typesize_and_shuffle(info);
        // numcodecs passes its C int blocksize to a size_t parameter: negative values wrap, as here.
        let blocksize = self.blocksize as isize as usize;
        sys::compress(self.clevel, shuffle, typesize, src, dst, &self.cname, blocksize)
    }
}

impl Codec for Blosc {
    fn codec_id(&self) -> &str {
        "blosc"
    }

    fn config(&self) -> Map<String, Value> {
        let config = config_map(
            "blosc",
            [
                ("cname", Value::from(self.cname())),
                ("clevel", Value::from(self.clevel)),
                ("shuffle", Value::from(self.shuffle)),
                ("blocksize", Value::from(self.blocksize)),
            ],
        );
        echo_given(config, &self.echo)
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        if src_len > MAX_BUFFER_SIZE.min(sys::MAX_BUFFERSIZE) {
            return Err(Error::limit(format!("blosc: cannot compress {src_len} bytes (the maximum is {})", sys::MAX_BUFFERSIZE)));
        }
        Ok(src_len + MAX_OVERHEAD)
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        compress_to_vec(self.encode_bound(src.len(), info)?, |out| self.compress_into(src, info, out))
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        // numcodecs compresses into exactly encode_bound bytes; fewer could change the output.
        compress_with_bound_room(self.encode_bound(src.len(), info)?, dst, |out| self.compress_into(src, info, out))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        let header = Header::validate(src)?;
        check_decoded_size("blosc", header.nbytes() as u64)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.decoded_size(src)?];
        sys::decompress(src, &mut out, get_nthreads())?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let size = self.decoded_size(src)?;
        let capacity = dst.len();
        let room = dst.get_mut(..size).ok_or_else(|| Error::buffer_too_small(size, capacity))?;
        sys::decompress(src, room, get_nthreads())
    }
}

/// Reads a header for the `cbuffer_*` functions: only its 16 bytes are needed (so a caller may pass just
/// the start of a chunk), but it must be a blosc 1.x header with non-negative sizes.
fn read_header(src: &[u8]) -> Result<Header> {
    let header = Header::read(src)?;
    if header.version != 2 {
        return Err(Error::corrupt(format!("blosc: unsupported header format version {}", header.version)));
    }
    if header.nbytes < 0 || header.cbytes < 0 || header.blocksize < 0 {
        return Err(Error::corrupt("blosc: header records a negative size"));
    }
    Ok(header)
}

/// numcodecs' `blosc.cbuffer_sizes(source)` (`_cbuffer_sizes` in 0.16): `(nbytes, cbytes, blocksize)`,
/// the decompressed size, the compressed size including the header, and the block size.
///
/// Only the first 16 bytes are read. Unlike blosc, which returns zeros for a header of another format
/// version, this fails with [`ErrorKind::CorruptData`](super::ErrorKind::CorruptData).
pub fn cbuffer_sizes(src: &[u8]) -> Result<(usize, usize, usize)> {
    let header = read_header(src)?;
    Ok((header.nbytes as usize, header.cbytes as usize, header.blocksize as usize))
}

/// numcodecs' `blosc.cbuffer_metainfo(source)` (`_cbuffer_metainfo` in 0.16): `(typesize, shuffle,
/// memcpyed)`, with `shuffle` one of [`Blosc::NOSHUFFLE`], [`Blosc::SHUFFLE`], [`Blosc::BITSHUFFLE`] and `memcpyed` true when
/// blosc stored the data uncompressed (numcodecs returns the raw flag bit, 2, for true).
pub fn cbuffer_metainfo(src: &[u8]) -> Result<(usize, i32, bool)> {
    let header = read_header(src)?;
    let shuffle = if header.flags & sys::FLAG_SHUFFLE != 0 {
        SHUFFLE
    } else if header.flags & sys::FLAG_BITSHUFFLE != 0 {
        BITSHUFFLE
    } else {
        NOSHUFFLE
    };
    Ok((header.typesize as usize, shuffle, header.flags & sys::FLAG_MEMCPYED != 0))
}

/// numcodecs' `blosc.cbuffer_complib(source)`: the library that compressed the buffer, one of
/// `"BloscLZ"`, `"LZ4"` (also for lz4hc), `"Snappy"`, `"Zlib"`, `"Zstd"`.
pub fn cbuffer_complib(src: &[u8]) -> Result<&'static str> {
    let header = read_header(src)?;
    match header.flags >> 5 {
        0 => Ok("BloscLZ"),
        1 => Ok("LZ4"),
        2 => Ok("Snappy"),
        3 => Ok("Zlib"),
        4 => Ok("Zstd"),
        code => Err(Error::corrupt(format!("blosc: unknown compressor library code {code}"))),
    }
}

/// numcodecs' `blosc.list_compressors()`: the compressors this build supports, in blosc's order
/// (`["blosclz", "lz4", "lz4hc", "zlib", "zstd"]`, like numcodecs' wheels; no snappy).
pub fn list_compressors() -> Vec<&'static str> {
    sys::list_compressors().split(',').filter(|name| !name.is_empty()).collect()
}

/// Sets the number of threads blosc uses to decompress (numcodecs' `blosc.set_nthreads`) and returns the
/// previous value. Default 1. Compression always uses one thread, whatever this says, because blosc's
/// multi-threaded compression does not produce reproducible bytes; decompressed bytes never depend on it.
///
/// Fails with [`ErrorKind::InvalidArgument`](super::ErrorKind::InvalidArgument) unless `1 <= nthreads <=`
/// [`Blosc::MAX_THREADS`].
pub fn set_nthreads(nthreads: i32) -> Result<i32> {
    if !(1..=MAX_THREADS).contains(&nthreads) {
        return Err(Error::invalid_argument(format!("blosc: nthreads must be between 1 and {MAX_THREADS}, got {nthreads}")));
    }
    Ok(DECOMPRESSION_THREADS.swap(nthreads, Ordering::Relaxed))
}

/// The number of threads blosc uses to decompress (numcodecs' `blosc.get_nthreads`); see [`set_nthreads`].
pub fn get_nthreads() -> i32 {
    DECOMPRESSION_THREADS.load(Ordering::Relaxed)
}

/// Decompresses only items `start .. start + nitems` of a blosc buffer (`blosc_getitem`, numcodecs'
/// `decompress_partial` before 0.16), items being the buffer's typesize in bytes. Returns
/// `nitems * typesize` bytes.
pub fn decompress_partial(src: &[u8], start: usize, nitems: usize) -> Result<Vec<u8>> {
    let header = Header::validate(src)?;
    let len = nitems
        .checked_mul(header.typesize as usize)
        .filter(|&len| len <= header.nbytes())
        .ok_or_else(|| Error::invalid_argument(format!("blosc: {nitems} items are more than the buffer holds")))?;
    let mut out = vec![0u8; len];
    let written = sys::getitem(src, start, nitems, &mut out)?;
    out.truncate(written);
    Ok(out)
}

/// Like [`decompress_partial`], into `dst`; returns the number of bytes written (`nitems * typesize`).
pub fn decompress_partial_into(src: &[u8], start: usize, nitems: usize, dst: &mut [u8]) -> Result<usize> {
    sys::getitem(src, start, nitems, dst)
}

/// [`set_nthreads`] is process-wide; tests that change it hold this lock.
#[cfg(test)]
pub(crate) static TEST_THREADS_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, DType, ErrorKind};

    fn floats(count: usize) -> Vec<u8> {
        (0..count).flat_map(|i| ((i as f32) * 0.25).sin().to_le_bytes()).collect()
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x1234_5678_u32;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    }

    fn info(dtype: &str) -> ArrayInfo {
        ArrayInfo::new(DType::parse(dtype).unwrap(), None)
    }

    #[test]
    fn config_json_has_numcodecs_defaults_and_omits_typesize() {
        let codec = codec_from_json(r#"{"id":"blosc"}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1,"blocksize":0}"#);
        let codec = codec_from_json(r#"{"id":"blosc","typesize":4,"blocksize":256,"shuffle":-1,"clevel":9,"cname":"zstd"}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"blosc","cname":"zstd","clevel":9,"shuffle":-1,"blocksize":256}"#);
        let v3 = r#"{"name":"blosc","configuration":{"cname":"zstd","clevel":5,"shuffle":"bitshuffle","typesize":4,"blocksize":0}}"#;
        assert_eq!(codec_from_json(v3).unwrap().config_json(), r#"{"id":"blosc","cname":"zstd","clevel":5,"shuffle":2,"blocksize":0}"#);
        let v3_numeric = r#"{"name":"numcodecs.blosc","configuration":{"cname":"lz4","shuffle":0}}"#;
        assert_eq!(codec_from_json(v3_numeric).unwrap().config_json(), r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":0,"blocksize":0}"#);
    }

    #[test]
    fn invalid_configs_are_refused() {
        for json in [
            r#"{"id":"blosc","cname":"foo"}"#,
            r#"{"id":"blosc","cname":"snappy"}"#,
            r#"{"id":"blosc","cname":5}"#,
            r#"{"id":"blosc","clevel":10}"#,
            r#"{"id":"blosc","clevel":-1}"#,
            r#"{"id":"blosc","shuffle":3}"#,
            r#"{"id":"blosc","shuffle":-2}"#,
            r#"{"id":"blosc","shuffle":"shuffle"}"#,
            r#"{"id":"blosc","typesize":0}"#,
            r#"{"id":"blosc","blocksize":4294967296}"#,
            r#"{"id":"blosc","nthreads":2}"#,
            r#"{"name":"blosc","configuration":{"shuffle":"byteshuffle"}}"#,
        ] {
            assert_eq!(codec_from_json(json).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
    }

    #[test]
    fn lists_the_compressors_numcodecs_has() {
        assert_eq!(list_compressors(), ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]);
    }

    #[test]
    fn round_trips_every_compressor_shuffle_and_level() {
        let data = floats(20_000);
        for cname in list_compressors() {
            for shuffle in [AUTOSHUFFLE, NOSHUFFLE, SHUFFLE, BITSHUFFLE] {
                for clevel in [0, 1, 5, 9] {
                    let codec = Blosc::new(cname, clevel, shuffle, AUTOBLOCKS, None).unwrap();
                    for dtype in ["|u1", "<f4", "<f8"] {
                        let encoded = codec.encode(&data, &info(dtype)).unwrap();
                        assert!(encoded.len() <= data.len() + MAX_OVERHEAD);
                        assert_eq!(codec.decoded_size(&encoded).unwrap(), data.len());
                        assert_eq!(codec.decode(&encoded).unwrap(), data, "{cname} shuffle {shuffle} clevel {clevel} {dtype}");
                    }
                }
            }
        }
    }

    #[test]
    fn typesize_comes_from_the_dtype_unless_configured() {
        let data = floats(5000);
        let codec = Blosc::default();
        let as_f4 = codec.encode(&data, &info("<f4")).unwrap();
        assert_eq!(cbuffer_metainfo(&as_f4).unwrap().0, 4);
        let as_bytes = codec.encode(&data, &ArrayInfo::default()).unwrap();
        assert_eq!(cbuffer_metainfo(&as_bytes).unwrap().0, 1);
        // An explicit typesize wins over the dtype, as in numcodecs' compress().
        let configured = Blosc::new("lz4", 5, SHUFFLE, 0, Some(8)).unwrap();
        assert_eq!(cbuffer_metainfo(&configured.encode(&data, &info("<f4")).unwrap()).unwrap().0, 8);
        assert_eq!(cbuffer_metainfo(&configured.encode(&data, &ArrayInfo::default()).unwrap()).unwrap().0, 8);
        // Typesizes above 255 are treated by blosc as 1.
        let wide = Blosc::new("lz4", 5, SHUFFLE, 0, Some(300)).unwrap();
        assert_eq!(cbuffer_metainfo(&wide.encode(&data, &ArrayInfo::default()).unwrap()).unwrap().0, 1);
    }

    #[test]
    fn autoshuffle_picks_bitshuffle_for_single_bytes() {
        let data = floats(5000);
        let codec = Blosc::new("zstd", 5, AUTOSHUFFLE, 0, None).unwrap();
        assert_eq!(cbuffer_metainfo(&codec.encode(&data, &ArrayInfo::default()).unwrap()).unwrap().1, BITSHUFFLE);
        assert_eq!(cbuffer_metainfo(&codec.encode(&data, &info("<f4")).unwrap()).unwrap().1, SHUFFLE);
        let noshuffle = Blosc::new("zstd", 5, NOSHUFFLE, 0, None).unwrap();
        assert_eq!(cbuffer_metainfo(&noshuffle.encode(&data, &info("<f4")).unwrap()).unwrap().1, NOSHUFFLE);
    }

    #[test]
    fn helpers_read_the_header() {
        let data = floats(100_000);
        let codec = Blosc::new("zlib", 5, SHUFFLE, 0, None).unwrap();
        let encoded = codec.encode(&data, &info("<f4")).unwrap();
        let (nbytes, cbytes, blocksize) = cbuffer_sizes(&encoded).unwrap();
        assert_eq!((nbytes, cbytes), (data.len(), encoded.len()));
        assert!(blocksize > 0 && blocksize <= nbytes);
        // Only the first 16 bytes are needed.
        assert_eq!(cbuffer_sizes(&encoded[..16]).unwrap(), (nbytes, cbytes, blocksize));
        assert_eq!(cbuffer_metainfo(&encoded).unwrap(), (4, SHUFFLE, false));
        assert_eq!(cbuffer_complib(&encoded).unwrap(), "Zlib");
        let incompressible = noise(10_000);
        let stored = Blosc::new("lz4", 5, NOSHUFFLE, 0, None).unwrap().encode(&incompressible, &ArrayInfo::default()).unwrap();
        assert_eq!(stored.len(), incompressible.len() + MAX_OVERHEAD);
        assert_eq!(cbuffer_metainfo(&stored).unwrap(), (1, NOSHUFFLE, true));
        assert_eq!(cbuffer_complib(&stored).unwrap(), "LZ4");
        assert_eq!(cbuffer_sizes(&encoded[..15]).unwrap_err().kind(), ErrorKind::CorruptData);
        let mut other_version = encoded.clone();
        other_version[0] = 3;
        assert_eq!(cbuffer_sizes(&other_version).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn empty_chunk_decodes_although_numcodecs_cannot() {
        // numcodecs 0.16.6 encodes b"" as this bare header and then fails to decode it ("error during
        // blosc decompression: 0": blosc returns 0 bytes, which numcodecs takes for an error).
        let codec = Blosc::default();
        let encoded = codec.encode(&[], &ArrayInfo::default()).unwrap();
        assert_eq!(encoded, [2, 1, 0x33, 1, 0, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0]);
        assert_eq!(codec.decoded_size(&encoded).unwrap(), 0);
        assert_eq!(codec.decode(&encoded).unwrap(), Vec::<u8>::new());
        assert_eq!(codec.decode_into(&encoded, &mut []).unwrap(), 0);
    }

    #[test]
    fn encoding_is_deterministic_whatever_the_thread_setting() {
        let _lock = TEST_THREADS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let data: Vec<u8> = floats(400_000).into_iter().zip(noise(1_600_000)).map(|(a, b)| a ^ (b & 1)).collect();
        for cname in ["blosclz", "lz4", "zstd"] {
            let codec = Blosc::new(cname, 5, SHUFFLE, 4096, None).unwrap();
            let first = codec.encode(&data, &info("<f4")).unwrap();
            assert_eq!(codec.encode(&data, &info("<f4")).unwrap(), first);
            let previous = set_nthreads(2).unwrap();
            assert_eq!(get_nthreads(), 2);
            assert_eq!(codec.encode(&data, &info("<f4")).unwrap(), first, "{cname} with 2 threads");
            // Multi-threaded decompression gives the same bytes.
            assert_eq!(codec.decode(&first).unwrap(), data);
            assert_eq!(set_nthreads(previous).unwrap(), 2);
        }
        assert_eq!(set_nthreads(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(set_nthreads(MAX_THREADS + 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn concurrent_use_from_many_threads_gives_the_same_bytes() {
        // The _ctx functions keep their state on the stack; blosc's global context is never used.
        let data = floats(200_000);
        let codec = Blosc::new("zstd", 5, BITSHUFFLE, 16384, None).unwrap();
        let expected = codec.encode(&data, &info("<f4")).unwrap();
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    for _ in 0..10 {
                        let encoded = codec.encode(&data, &info("<f4")).unwrap();
                        assert_eq!(encoded, expected);
                        assert_eq!(codec.decode(&encoded).unwrap(), data);
                    }
                });
            }
        });
    }

    #[test]
    fn corrupt_truncated_and_inflated_headers_are_refused() {
        let codec = Blosc::new("lz4", 5, SHUFFLE, 0, None).unwrap();
        let data = floats(50_000);
        let encoded = codec.encode(&data, &info("<f4")).unwrap();
        for cut in [0, 1, 15, 16, 17, encoded.len() / 2, encoded.len() - 1] {
            assert_eq!(codec.decode(&encoded[..cut]).unwrap_err().kind(), ErrorKind::CorruptData, "cut at {cut}");
        }
        // Trailing bytes after cbytes are ignored, as by numcodecs.
        let mut trailing = encoded.clone();
        trailing.extend_from_slice(b"extra");
        assert_eq!(codec.decode(&trailing).unwrap(), data);

        let with_field = |offset: usize, value: i32| {
            let mut bad = encoded.clone();
            bad[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
            bad
        };
        // nbytes: negative, over blosc's maximum, larger or smaller than what the blocks hold.
        for nbytes in [-1, i32::MAX, data.len() as i32 + 1, data.len() as i32 - 1, 1] {
            let kind = codec.decode(&with_field(4, nbytes)).unwrap_err().kind();
            assert_eq!(kind, ErrorKind::CorruptData, "nbytes {nbytes}");
        }
        // cbytes: past the end of the input, negative, smaller than a header.
        for cbytes in [encoded.len() as i32 + 1, -1, 8] {
            assert_eq!(codec.decode(&with_field(12, cbytes)).unwrap_err().kind(), ErrorKind::CorruptData, "cbytes {cbytes}");
        }
        // blocksize: zero, negative, huge.
        for blocksize in [0, -1, i32::MAX] {
            assert_eq!(codec.decode(&with_field(8, blocksize)).unwrap_err().kind(), ErrorKind::CorruptData, "blocksize {blocksize}");
        }
        let mut version = encoded.clone();
        version[0] = 1;
        assert_eq!(codec.decode(&version).unwrap_err().kind(), ErrorKind::CorruptData);

        // Bare 16-byte headers claiming 2 GB, stored (memcpyed) or in 64 KiB blocks: refused from the
        // header alone, before anything of that size is allocated.
        for flags in [0x13u8, 0x11] {
            let claim = [2, 1, flags, 4, 0, 0, 0xff, 0x7f, 0, 0, 1, 0, 16, 0, 0, 0];
            assert_eq!(cbuffer_sizes(&claim).unwrap().0, 0x7fff_0000);
            assert_eq!(codec.decoded_size(&claim).unwrap_err().kind(), ErrorKind::CorruptData, "flags {flags:#x}");
            assert_eq!(codec.decode(&claim).unwrap_err().kind(), ErrorKind::CorruptData, "flags {flags:#x}");
        }
    }

    #[test]
    fn random_corruption_never_crashes() {
        let codec = Blosc::new("blosclz", 5, BITSHUFFLE, 0, None).unwrap();
        let data = floats(30_000);
        let mut state = 0xdead_beef_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for cname in list_compressors() {
            let encoded = Blosc::new(cname, 5, SHUFFLE, 1024, None).unwrap().encode(&data, &info("<f4")).unwrap();
            for _ in 0..300 {
                let mut bad = encoded.clone();
                for _ in 0..1 + next() % 4 {
                    let at = next() as usize % bad.len();
                    bad[at] = next() as u8;
                }
                if let Ok(out) = codec.decode(&bad) {
                    assert_eq!(out.len(), cbuffer_sizes(&bad).unwrap().0);
                }
                let _ = decompress_partial(&bad, 10, 100);
            }
        }
    }

    #[test]
    fn buffer_too_small_reports_the_needed_size() {
        let codec = Blosc::default();
        let data = floats(10_000);
        let encoded = codec.encode(&data, &info("<f4")).unwrap();
        let err = codec.decode_into(&encoded, &mut vec![0u8; data.len() - 1]).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(data.len())));
        let err = codec.encode_into(&data, &info("<f4"), &mut vec![0u8; encoded.len() - 1]).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
        let mut exact = vec![0u8; encoded.len()];
        assert_eq!(codec.encode_into(&data, &info("<f4"), &mut exact).unwrap(), encoded.len());
        assert_eq!(exact, encoded);
        let mut roomy = vec![0u8; data.len() + 100];
        assert_eq!(codec.decode_into(&encoded, &mut roomy).unwrap(), data.len());
        assert_eq!(&roomy[..data.len()], &data[..]);
    }

    #[test]
    fn decompress_partial_returns_the_requested_items() {
        let data = floats(50_000);
        for cname in list_compressors() {
            for blocksize in [0, 256, 4096] {
                let codec = Blosc::new(cname, 5, SHUFFLE, blocksize, None).unwrap();
                let encoded = codec.encode(&data, &info("<f4")).unwrap();
                for (start, nitems) in [(0, 1), (0, 50_000), (123, 4567), (49_999, 1), (10_000, 0), (50_000, 0)] {
                    let part = decompress_partial(&encoded, start, nitems).unwrap();
                    assert_eq!(part, &data[start * 4..(start + nitems) * 4], "{cname} blocksize {blocksize} {start}+{nitems}");
                }
                for (start, nitems) in [(0, 50_001), (50_000, 1), (usize::MAX, 2), (1, usize::MAX)] {
                    assert_eq!(decompress_partial(&encoded, start, nitems).unwrap_err().kind(), ErrorKind::InvalidArgument);
                }
                let mut small = [0u8; 7];
                let err = decompress_partial_into(&encoded, 0, 2, &mut small).unwrap_err();
                assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(8)));
            }
        }
        // Memcpyed buffers too.
        let raw = noise(4000);
        let stored = Blosc::new("lz4", 5, NOSHUFFLE, 0, Some(2)).unwrap().encode(&raw, &ArrayInfo::default()).unwrap();
        assert!(cbuffer_metainfo(&stored).unwrap().2);
        assert_eq!(decompress_partial(&stored, 100, 50).unwrap(), &raw[200..300]);
        let empty = Blosc::default().encode(&[], &ArrayInfo::default()).unwrap();
        assert_eq!(decompress_partial(&empty, 0, 0).unwrap(), Vec::<u8>::new());
        assert_eq!(decompress_partial(&empty, 0, 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn oversized_input_is_refused() {
        let codec = Blosc::default();
        assert_eq!(codec.encode_bound(sys::MAX_BUFFERSIZE + 1, &ArrayInfo::default()).unwrap_err().kind(), ErrorKind::LimitExceeded);
        assert_eq!(codec.encode_bound(sys::MAX_BUFFERSIZE, &ArrayInfo::default()).unwrap(), sys::MAX_BUFFERSIZE + MAX_OVERHEAD);
    }
}
