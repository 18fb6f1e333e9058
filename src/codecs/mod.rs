//! The codec core: pure, safe Rust, no FFI types.
//!
//! A [`Codec`] is created from its numcodecs configuration (`{"id": "zstd", "level": 3}`) through the
//! registry ([`codec_from_json`], [`codec_from_config`]); [`register_codec`] adds codecs at run time, like
//! numcodecs' `register_codec`. A JSON array of configurations or a Zarr v2 `{"filters", "compressor"}`
//! object builds a chain of codecs ([`Pipeline`]). Codecs are immutable after construction and shared
//! freely across threads.
#![forbid(unsafe_code)]

mod dtype;
pub(crate) mod elements;
mod error;
mod params;
mod registry;
mod sink;

pub mod base64;
pub mod bitround;
pub mod blosc;
pub mod bz2;
pub mod categorize;
pub mod checksum;
pub mod gzip;
pub mod hdf5_lz4;
pub mod lz4;
pub mod lzma;
pub mod pipeline;
pub mod packbits;
pub mod pickle;
pub mod shuffle;
pub mod structured;
pub mod pcodec;
pub mod numeric;
pub mod object;
pub mod vlen;
pub mod zlib;
pub mod zfpy;
pub mod zstd;

use std::cell::Cell;
use std::fmt;

use serde_json::{Map, Value};

pub use dtype::{ArrayInfo, ByteOrder, DType};
pub use error::{Error, ErrorKind, Result};
pub use object::{BadItemList, DecodedItems, FlatItems, FlatItemsOut, ItemKind, ItemPointers, ItemPointersIter, ItemSink, Items, ItemsIter, ObjectCodec};
pub use params::{echo_given, python_json, Params};
pub use pipeline::{Pipeline, PIPELINE_ID};
pub use registry::{codec_from_config, codec_from_json, register_codec, registered_codecs, Constructor};

/// Decoders refuse to produce more than this many bytes unless told otherwise ([`with_decode_limit`]), so a small hostile stream
/// that claims (or expands to) terabytes fails with [`ErrorKind::LimitExceeded`] instead of exhausting memory.
pub const DEFAULT_MAX_DECODED_SIZE: usize = if usize::BITS >= 64 { 1 << 32 } else { isize::MAX as usize };

/// One numcodecs codec: a configuration plus the encode/decode functions of its wire format.
///
/// Implementations must be deterministic (same input and config, same bytes) and must never panic on
/// any input to `decode*`; hostile bytes give [`ErrorKind::CorruptData`] or [`ErrorKind::LimitExceeded`].
pub trait Codec: Send + Sync + fmt::Debug {
    /// numcodecs' `codec_id`, e.g. `"zstd"`.
    fn codec_id(&self) -> &str;

    /// numcodecs' `get_config()`: `"id"` first, then every option with its (default-filled) value, in
    /// numcodecs' key order.
    fn config(&self) -> Map<String, Value>;

    /// An upper bound of the encoded size of `src_len` bytes of the array `info`.
    fn encode_bound(&self, src_len: usize, info: &ArrayInfo) -> Result<usize>;

    /// Encodes `src`, an array described by `info` (compressors other than blosc ignore it).
    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>>;

    /// Encodes into `dst`, returning the encoded length. Fails with [`ErrorKind::BufferTooSmall`] (and the
    /// needed size when known) if `dst` is too small; `dst` of [`Codec::encode_bound`] bytes always fits.
    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let encoded = self.encode(src, info)?;
        copy_into(&encoded, dst)
    }

    /// The decoded size of `src` if the stream records it, else [`ErrorKind::SizeUnknown`].
    fn decoded_size(&self, _src: &[u8]) -> Result<usize> {
        Err(Error::size_unknown(format!("{}: the stream does not record its decoded size", self.codec_id())))
    }

    /// Decodes a whole chunk.
    fn decode(&self, src: &[u8]) -> Result<Vec<u8>>;

    /// Decodes into `dst`, returning the decoded length. Fails with [`ErrorKind::BufferTooSmall`] (and the
    /// needed size when known) when `dst` is too small; nothing beyond `dst` is ever written.
    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let decoded = self.decode(src)?;
        copy_into(&decoded, dst)
    }

    /// The array the encoded chunk is, when `info` describes the input: what the next codec of a pipeline
    /// sees (numcodecs hands each codec the previous codec's output, and blosc takes its typesize from
    /// that array's itemsize). Compressors, checksums and base64 return bytes (`|u1`, 1-D), the default;
    /// filters override it (`delta` with `astype` `<i2` gives a flat `<i2` array).
    fn encoded_info(&self, _src_len: usize, _info: &ArrayInfo) -> Result<ArrayInfo> {
        Ok(ArrayInfo::new(DType::bytes(), None))
    }

    /// The array `src` decodes to, when the stream or the configuration says (zfpy and pcodec streams
    /// record dtype and shape; filters know their decoded dtype but not the shape), else `None`.
    fn decoded_info(&self, _src: &[u8]) -> Result<Option<ArrayInfo>> {
        Ok(None)
    }

    /// The item-oriented side of an object codec (`vlen-utf8`, ...), whose chunks hold items rather than
    /// an array of numbers; `None` for byte codecs. Object codecs refuse the byte-oriented calls above
    /// with [`ErrorKind::Unsupported`].
    fn as_object(&self) -> Option<&dyn ObjectCodec> {
        None
    }

    /// The configuration as compact JSON, e.g. `{"id":"zstd","level":3,"checksum":false}`.
    fn config_json(&self) -> String {
        Value::Object(self.config()).to_string()
    }
}

/// Copies `bytes` to the front of `dst`, or reports the size `dst` would need.
pub fn copy_into(bytes: &[u8], dst: &mut [u8]) -> Result<usize> {
    let capacity = dst.len();
    let target = dst.get_mut(..bytes.len()).ok_or_else(|| Error::buffer_too_small(bytes.len(), capacity))?;
    target.copy_from_slice(bytes);
    Ok(bytes.len())
}

/// Encoding for codecs whose output depends on the destination size (zstd, lz4, blosc take other paths
/// with less room): numcodecs always compresses into `bound` bytes, so `compress` gets exactly that
/// much room: the front of `dst` when it is large enough (no copy), else a scratch buffer whose result
/// is copied, or whose size is reported through [`ErrorKind::BufferTooSmall`].
pub fn compress_with_bound_room(bound: usize, dst: &mut [u8], compress: impl FnOnce(&mut [u8]) -> Result<usize>) -> Result<usize> {
    match dst.get_mut(..bound) {
        Some(room) => compress(room),
        None => copy_into(&compress_to_vec(bound, compress)?, dst),
    }
}

/// [`compress_with_bound_room`] into a new vector.
pub fn compress_to_vec(bound: usize, compress: impl FnOnce(&mut [u8]) -> Result<usize>) -> Result<Vec<u8>> {
    let mut out = vec![0u8; bound];
    let len = compress(&mut out)?;
    out.truncate(len);
    Ok(out)
}

/// Builds a `get_config()` map: `"id"` first, then `entries` in order.
pub fn config_map<const N: usize>(id: &str, entries: [(&str, Value); N]) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("id".into(), Value::from(id));
    for (key, value) in entries {
        map.insert(key.into(), value);
    }
    map
}

thread_local! {
    /// The decoded-size limit of decodes running on this thread; see [`with_decode_limit`].
    static DECODE_LIMIT: Cell<usize> = const { Cell::new(DEFAULT_MAX_DECODED_SIZE) };
}

/// The most bytes a decode on this thread may produce: [`DEFAULT_MAX_DECODED_SIZE`] unless a
/// [`with_decode_limit`] call on this thread is running.
pub fn decode_limit() -> usize {
    DECODE_LIMIT.with(Cell::get)
}

/// Runs `f` with the decoded-size limit set to `limit` bytes on this thread, then restores the previous
/// limit (also when `f` panics). Every decoder checks sizes against [`decode_limit`], so
/// `with_decode_limit(1 << 20, || codec.decode(src))` refuses with [`ErrorKind::LimitExceeded`], before
/// allocating, a stream that claims or expands to more than 1 MiB.
///
/// The limit is scoped to the call instead of being a `decode` argument so that every codec, including
/// pipelines of codecs and codecs registered at run time, honours it through the same check.
/// Values above `isize::MAX` (no allocation can be larger) are clamped to it.
pub fn with_decode_limit<T>(limit: usize, f: impl FnOnce() -> T) -> T {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            DECODE_LIMIT.with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(DECODE_LIMIT.with(|cell| cell.replace(limit.min(isize::MAX as usize))));
    f()
}

/// Fails with [`ErrorKind::LimitExceeded`] when a decoded size is over [`decode_limit`].
pub fn check_decoded_size(codec_id: &str, size: u64) -> Result<usize> {
    let limit = decode_limit();
    match usize::try_from(size) {
        Ok(size) if size <= limit => Ok(size),
        _ => Err(Error::limit(format!("{codec_id}: decoded size {size} exceeds the limit of {limit} bytes"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_limit_is_scoped_nested_and_restored_after_a_panic() {
        assert_eq!(decode_limit(), DEFAULT_MAX_DECODED_SIZE);
        with_decode_limit(100, || {
            assert_eq!(decode_limit(), 100);
            assert!(check_decoded_size("test", 100).is_ok());
            assert_eq!(check_decoded_size("test", 101).unwrap_err().kind(), ErrorKind::LimitExceeded);
            with_decode_limit(5, || assert_eq!(decode_limit(), 5));
            assert_eq!(decode_limit(), 100);
            let panicked = std::panic::catch_unwind(|| with_decode_limit(7, || panic!("codec bug")));
            assert!(panicked.is_err());
            assert_eq!(decode_limit(), 100);
        });
        assert_eq!(decode_limit(), DEFAULT_MAX_DECODED_SIZE);
        with_decode_limit(usize::MAX, || assert_eq!(decode_limit(), isize::MAX as usize));
        // Other threads keep their own limit.
        with_decode_limit(1, || std::thread::spawn(|| assert_eq!(decode_limit(), DEFAULT_MAX_DECODED_SIZE)).join().unwrap());
    }
}
