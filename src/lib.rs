//! libnumcodecs: the numcodecs codec family (compressors and filters used by Zarr) in Rust, byte-compatible
//! with Python's numcodecs 0.16.6, with a C ABI (see `include/numcodecs.h`).
//!
//! Layout:
//! - [`codecs`]: the pure, safe Rust core. One module per codec family, the [`codecs::Codec`] trait and the
//!   registry that maps numcodecs' `codec_id`s (and Zarr v3 names) to constructors.
//! - `sys`: thin safe wrappers over the C libraries we link (blosc, liblzma, zfp); with `simd` and
//!   `item_pointers` (items given as C's pointer and length arrays), the only unsafe outside the FFI.
//! - `simd`: x86-64 SIMD kernels (numpy's float -> integer casts, byte swaps) behind safe slice functions,
//!   each with a scalar fallback; the codecs call them where they pay.
//! - `ffi`: the exported `extern "C"` functions; the only place that handles raw pointers from C.
//!
//! Rust users start with [`codecs::codec_from_json`]:
//! ```
//! use numcodecs::codecs::{codec_from_json, ArrayInfo};
//! let codec = codec_from_json(r#"{"id":"zlib","level":1}"#).unwrap();
//! let data = vec![7u8; 1000];
//! let encoded = codec.encode(&data, &ArrayInfo::default()).unwrap();
//! assert_eq!(codec.decode(&encoded).unwrap(), data);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]

/// cbindgen:ignore
/// (The C header is generated from `ffi` alone; the Rust core's public items are not C API.)
pub mod codecs;
pub mod ffi;
/// cbindgen:ignore
/// (C's item lists as the codecs read them: the one promise about raw pointers the safe core relies on.)
mod item_pointers;
/// cbindgen:ignore
mod sys;
/// cbindgen:ignore
/// (x86-64 SIMD kernels behind safe functions, for the filters in `codecs`, which forbid unsafe.)
mod simd;

pub use codecs::{codec_from_config, codec_from_json, register_codec, ArrayInfo, Codec, DType, Error, ErrorKind, Result};
