//! Codec handles: creation from JSON, configuration, encode and decode (caller buffers and allocating).

use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::codecs::{self, ArrayInfo, Codec, DType, Error, ErrorKind};

use super::alloc::OwnedBytes;
use super::{bounded_c_str, check_no_overlap, check_out, guard, guard_value, input_bytes, numcodecs_status, output_bytes, write_out};

/// An opaque codec handle, created by `numcodecs_codec_from_json` and freed by `numcodecs_codec_free`.
///
/// Immutable after creation: one handle may be used from any number of threads at once.
pub struct numcodecs_codec {
    codec: Box<dyn Codec>,
    id: CString,
    /// The decoded-size limit of this handle's decodes (`numcodecs_codec_set_max_decoded_size`). Atomic
    /// because handles are shared between threads; a decode reads it once when it starts.
    max_decoded_size: AtomicUsize,
}

impl numcodecs_codec {
    pub(crate) fn new(codec: Box<dyn Codec>) -> Result<Self, Error> {
        let id = CString::new(codec.codec_id()).map_err(|_| Error::internal("codec id contains NUL"))?;
        Ok(numcodecs_codec { codec, id, max_decoded_size: AtomicUsize::new(codecs::DEFAULT_MAX_DECODED_SIZE) })
    }

    /// The codec, for encoding and for reading its configuration.
    pub(crate) fn codec(&self) -> &dyn Codec {
        &*self.codec
    }

    /// Runs a decode (or a decoded-size query) under this handle's decoded-size limit. Every path that
    /// decodes through a handle goes through here, so the limit holds for all of them.
    pub(crate) fn decoding<T>(&self, decode: impl FnOnce(&dyn Codec) -> T) -> T {
        codecs::with_decode_limit(self.max_decoded_size.load(Ordering::Relaxed), || decode(&*self.codec))
    }
}

/// The decoded-size limit a new handle starts with: 4 GiB on 64-bit targets. Decodes that would produce
/// more fail with `NUMCODECS_LIMIT_EXCEEDED` before allocating; see `numcodecs_codec_set_max_decoded_size`.
pub const NUMCODECS_DEFAULT_MAX_DECODED_SIZE: u64 = 4294967296;
// A literal for cbindgen, which cannot evaluate the core's constant; this keeps the two equal.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(NUMCODECS_DEFAULT_MAX_DECODED_SIZE == codecs::DEFAULT_MAX_DECODED_SIZE as u64);

/// Description of the array in a chunk, as numcodecs sees it: dtype and C-order shape.
#[repr(C)]
pub struct numcodecs_array_info {
    /// NumPy typestr, NUL-terminated, e.g. `"<f4"`, `"|u1"`, `"|b1"`, `">i8"`; NULL means `"|u1"`.
    pub dtype: *const c_char,
    /// `ndim` extents in C order, or NULL for a 1-D array spanning the whole buffer.
    pub shape: *const usize,
    /// Number of entries in `shape` (ignored when `shape` is NULL).
    pub ndim: usize,
}

/// Longest dtype string accepted (NumPy's are far shorter; this only bounds the scan for the NUL).
const MAX_DTYPE_LEN: usize = 64;
/// NumPy's maximum number of dimensions.
const MAX_NDIM: usize = 64;

/// # Safety
/// `codec` must be NULL or a live handle from `numcodecs_codec_from_json`.
pub(super) unsafe fn codec_ref<'a>(codec: *const numcodecs_codec) -> Result<&'a numcodecs_codec, Error> {
    // SAFETY: the caller's contract: NULL or a live handle.
    unsafe { codec.as_ref() }.ok_or_else(|| Error::invalid_argument("codec is NULL"))
}

/// # Safety
/// `info` must be NULL or point to a valid `numcodecs_array_info` whose pointers follow its field docs.
unsafe fn array_info(info: *const numcodecs_array_info) -> Result<ArrayInfo, Error> {
    // SAFETY: the caller's contract.
    let Some(info) = (unsafe { info.as_ref() }) else {
        return Ok(ArrayInfo::default());
    };
    let dtype = if info.dtype.is_null() {
        DType::bytes()
    } else {
        // SAFETY: non-NULL and NUL-terminated per the field's contract; the scan is bounded.
        DType::parse(unsafe { bounded_c_str(info.dtype, MAX_DTYPE_LEN, "array_info.dtype")? })?
    };
    let shape = if info.shape.is_null() {
        None
    } else {
        if info.ndim > MAX_NDIM {
            return Err(Error::invalid_argument(format!("array_info.ndim {} exceeds {MAX_NDIM}", info.ndim)));
        }
        if !info.shape.is_aligned() {
            return Err(Error::invalid_argument("array_info.shape is misaligned"));
        }
        // SAFETY: non-NULL, aligned, ndim bounded; the caller guarantees ndim readable entries.
        Some(unsafe { std::slice::from_raw_parts(info.shape, info.ndim) }.to_vec())
    };
    Ok(ArrayInfo::new(dtype, shape))
}

/// Runs `op`; on `BufferTooSmall` with a known size, reports that size through `len_out` before failing.
///
/// # Safety
/// `len_out` must have passed `check_out`.
unsafe fn with_needed_size(len_out: *mut usize, result: Result<usize, Error>) -> Result<(), Error> {
    match result {
        Ok(len) => {
            // SAFETY: checked by the caller.
            unsafe { write_out(len_out, len) };
            Ok(())
        }
        Err(error) => {
            if let (ErrorKind::BufferTooSmall, Some(needed)) = (error.kind(), error.needed()) {
                // SAFETY: checked by the caller.
                unsafe { write_out(len_out, needed) };
            }
            Err(error)
        }
    }
}

/// Creates a codec, or a chain of codecs, from its JSON configuration.
///
/// Accepts numcodecs' `get_config()` form, e.g. `{"id":"zstd","level":3}` (missing options take numcodecs'
/// defaults; unknown keys are refused), and the Zarr v3 form `{"name":"zstd","configuration":{...}}`
/// (`"numcodecs.<id>"` names too).
///
/// A chain (id `"pipeline"`) is either a JSON array of such configurations, e.g.
/// `[{"id":"crc32"},{"name":"numcodecs.zstd","configuration":{"level":3}}]`, or a Zarr v2 object with
/// the keys `"filters"` (a list of numcodecs configurations, or null) and `"compressor"` (one, or null),
/// e.g. `{"filters":null,"compressor":{"id":"blosc"}}`; an absent key means null, other keys (a whole
/// `.zarray`) are refused. Encoding applies the codecs in order
/// (filters, then the compressor), each seeing the array the previous one produced, as zarr-python 2
/// does (blosc after a filter that writes `<i2` shuffles 2-byte items); decoding applies them in
/// reverse. An empty chain stores chunks unchanged. `numcodecs_codec_config` prints the chain in the
/// form it was given (entries given in Zarr v3 form as `{"name":"numcodecs.<id>","configuration":{...}}`),
/// and error messages name the failing step: `pipeline step 2 (zstd): ...`. `numcodecs_decoded_size` of
/// a chain of more than one codec returns `NUMCODECS_SIZE_UNKNOWN` (only decoding would tell).
///
/// @param json     UTF-8 JSON text; need not be NUL-terminated.
/// @param json_len Length of `json` in bytes.
/// @param out      Receives the new handle on success; free it with `numcodecs_codec_free`.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (NULL pointers), `NUMCODECS_INVALID_CONFIG`
///         (bad JSON, unknown key, value out of range) or `NUMCODECS_UNKNOWN_CODEC`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_codec_from_json(json: *const c_char, json_len: usize, out: *mut *mut numcodecs_codec) -> numcodecs_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: json points to json_len readable bytes (caller's contract), checked for NULL.
        let bytes = unsafe { input_bytes(json.cast(), json_len, "json")? };
        let text = std::str::from_utf8(bytes).map_err(|e| Error::invalid_config(format!("configuration is not UTF-8: {e}")))?;
        let handle = Box::new(numcodecs_codec::new(codecs::codec_from_json(text)?)?);
        // SAFETY: out passed check_out.
        unsafe { write_out(out, Box::into_raw(handle)) };
        Ok(())
    })
}

/// Frees a codec handle. NULL is a no-op.
///
/// Thread safety: the caller must ensure no other thread is still using the handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_codec_free(codec: *mut numcodecs_codec) {
    if codec.is_null() {
        return;
    }
    // SAFETY: the caller's contract: a live handle from numcodecs_codec_from_json, freed once.
    guard_value((), || drop(unsafe { Box::from_raw(codec) }))
}

/// The codec's id, e.g. `"zstd"`.
///
/// @return A NUL-terminated string owned by the handle (valid until it is freed), or NULL if `codec` is NULL.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_codec_id(codec: *const numcodecs_codec) -> *const c_char {
    // SAFETY: the caller's contract: NULL or a live handle.
    guard_value(std::ptr::null(), || match unsafe { codec.as_ref() } {
        Some(handle) => handle.id.as_ptr(),
        None => std::ptr::null(),
    })
}

/// Sets the most bytes one decode through this handle may produce (the default is
/// `NUMCODECS_DEFAULT_MAX_DECODED_SIZE`, 4 GiB). A chunk whose header claims more, or that expands to
/// more, fails with `NUMCODECS_LIMIT_EXCEEDED` before anything that large is allocated; this is the guard
/// against decompression bombs. `numcodecs_decode` is also bounded by its `dst_cap`; the limit matters
/// most for `numcodecs_decode_alloc` and for formats that do not record their size (zlib, gzip, bz2,
/// lzma). For lzma it also bounds the decoder's dictionary (the limit, at most 1.5 GiB, plus 64 MiB).
///
/// @param max_decoded_size The limit in bytes; `SIZE_MAX` means no limit beyond what can be allocated
///                         (values above `PTRDIFF_MAX` act as `PTRDIFF_MAX`); 0 allows only empty chunks.
/// @return `NUMCODECS_OK`, or `NUMCODECS_INVALID_ARGUMENT` when `codec` is NULL.
///
/// Thread safety: safe from any thread, also while other threads use the handle: decodes that have
/// already started keep the limit they started with.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_codec_set_max_decoded_size(codec: *mut numcodecs_codec, max_decoded_size: usize) -> numcodecs_status {
    guard(|| {
        // SAFETY: see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        handle.max_decoded_size.store(max_decoded_size.min(isize::MAX as usize), Ordering::Relaxed);
        Ok(())
    })
}

/// The handle's decoded-size limit (see `numcodecs_codec_set_max_decoded_size`).
///
/// @param max_decoded_size Receives the limit in bytes on success.
/// @return `NUMCODECS_OK`, or `NUMCODECS_INVALID_ARGUMENT` when a pointer is NULL.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_codec_max_decoded_size(codec: *const numcodecs_codec, max_decoded_size: *mut usize) -> numcodecs_status {
    guard(|| {
        // SAFETY: see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(max_decoded_size, "max_decoded_size")?;
        // SAFETY: passed check_out.
        unsafe { write_out(max_decoded_size, handle.max_decoded_size.load(Ordering::Relaxed)) };
        Ok(())
    })
}

/// Writes the codec's configuration as compact JSON, exactly as numcodecs' `get_config()` has it (every
/// option, defaults filled in), NUL-terminated. A chain prints in the form it was created from (see
/// `numcodecs_codec_from_json`).
///
/// @param dst Destination, or NULL with `cap == 0` to query the size.
/// @param cap Capacity of `dst` in bytes; must be at least the JSON length + 1.
/// @param len Receives the JSON length (without the NUL) on success, and on `NUMCODECS_BUFFER_TOO_SMALL`.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` or `NUMCODECS_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_codec_config(codec: *const numcodecs_codec, dst: *mut c_char, cap: usize, len: *mut usize) -> numcodecs_status {
    guard(|| {
        // SAFETY: see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(len, "len")?;
        // SAFETY: dst has cap writable bytes (caller's contract).
        let dst = unsafe { output_bytes(dst.cast(), cap, "dst")? };
        unsafe { write_c_string(&handle.codec().config_json(), dst, len) }
    })
}

/// Writes `text` plus a NUL into `dst`, its length into `len` (also on BUFFER_TOO_SMALL).
///
/// # Safety
/// `len` must have passed `check_out`.
pub(crate) unsafe fn write_c_string(text: &str, dst: &mut [u8], len: *mut usize) -> Result<(), Error> {
    let needed = text.len();
    if dst.len() <= needed {
        // SAFETY: checked by the caller.
        unsafe { write_out(len, needed) };
        return Err(Error::buffer_too_small(needed + 1, dst.len()));
    }
    dst[..needed].copy_from_slice(text.as_bytes());
    dst[needed] = 0;
    // SAFETY: checked by the caller.
    unsafe { write_out(len, needed) };
    Ok(())
}

/// An upper bound of the encoded size of `src_len` bytes; a `dst` of this size always suffices for
/// `numcodecs_encode`.
///
/// @param info The array description (may be NULL: bytes); validated against `src_len`.
/// @param bound Receives the bound on success.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` or `NUMCODECS_LIMIT_EXCEEDED` (overflow).
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode_bound(codec: *const numcodecs_codec, src_len: usize, info: *const numcodecs_array_info, bound: *mut usize) -> numcodecs_status {
    guard(|| {
        // SAFETY: see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(bound, "bound")?;
        // SAFETY: see the function's contract.
        let info = unsafe { array_info(info)? };
        info.check_len(src_len)?;
        let value = handle.codec().encode_bound(src_len, &info)?;
        // SAFETY: checked above.
        unsafe { write_out(bound, value) };
        Ok(())
    })
}

/// Encodes `src` into the caller's buffer, producing exactly the bytes numcodecs writes.
///
/// @param src     The chunk's bytes (may be NULL if `src_len` is 0).
/// @param info    The array description (may be NULL: `"|u1"`, 1-D). Blosc takes its typesize from the
///                dtype; `shape` (if given) must match `src_len`.
/// @param dst     Destination of `dst_cap` bytes; must not overlap `src`. `numcodecs_encode_bound` bytes always fit.
/// @param dst_len Receives the encoded length on success; on `NUMCODECS_BUFFER_TOO_SMALL`, the needed size
///                when known (otherwise left untouched).
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT`, `NUMCODECS_BUFFER_TOO_SMALL`, `NUMCODECS_LIMIT_EXCEEDED`,
///         `NUMCODECS_UNSUPPORTED`, or `NUMCODECS_INVALID_CONFIG` for a configuration numcodecs accepts but
///         can only decode with (e.g. lzma `format` 0, or a `check` liblzma does not know).
///         Object codecs (`vlen-utf8`, `vlen-bytes`, `vlen-array`, `categorize` of `"|O"`, `pickle`) encode
///         items, not arrays of numbers (`pickle` decodes numeric array pickles through the byte calls):
///         for them this and every other byte-oriented call (`numcodecs_encode_bound`, `_alloc`,
///         `numcodecs_decode*`, `numcodecs_decoded_size`) returns `NUMCODECS_UNSUPPORTED`; use
///         `numcodecs_encode_items`, `numcodecs_decode_items` and their `_flat` and `_json_items` forms.
///         `json2` and `msgpack2` are both: they encode bool, integer and float arrays here (the shape in
///         `info` is written into the document) and object arrays through the item calls.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode(
    codec: *const numcodecs_codec,
    src: *const c_void,
    src_len: usize,
    info: *const numcodecs_array_info,
    dst: *mut c_void,
    dst_cap: usize,
    dst_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all four): see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(dst_len, "dst_len")?;
        check_no_overlap(src.cast(), src_len, dst.cast_const().cast(), dst_cap)?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let dst = unsafe { output_bytes(dst.cast(), dst_cap, "dst")? };
        let info = unsafe { array_info(info)? };
        info.check_len(src.len())?;
        let result = handle.codec().encode_into(src, &info, dst);
        // SAFETY: dst_len passed check_out.
        unsafe { with_needed_size(dst_len, result) }
    })
}

/// Like `numcodecs_encode`, but allocates the output.
///
/// @param out     Receives the encoded bytes on success (never NULL then, even when `*out_len` is 0); free
///                with `numcodecs_bytes_free`.
/// @param out_len Receives the encoded length on success.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode_alloc(
    codec: *const numcodecs_codec,
    src: *const c_void,
    src_len: usize,
    info: *const numcodecs_array_info,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all three): see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(out, "out")?;
        check_out(out_len, "out_len")?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let info = unsafe { array_info(info)? };
        info.check_len(src.len())?;
        let bound = handle.codec().encode_bound(src.len(), &info)?;
        let mut buffer = OwnedBytes::zeroed(bound)?;
        let written = handle.codec().encode_into(src, &info, buffer.as_mut_slice())?;
        buffer.truncate(written)?;
        let (ptr, len) = buffer.into_raw();
        // SAFETY: both passed check_out.
        unsafe {
            write_out(out, ptr);
            write_out(out_len, len);
        }
        Ok(())
    })
}

/// The decoded size of an encoded chunk, read from its header without decoding.
///
/// @param size Receives the decoded size on success.
/// @return `NUMCODECS_OK`, `NUMCODECS_SIZE_UNKNOWN` (zlib, gzip, bz2, lzma streams do not record it: use
///         `numcodecs_decode_alloc`), `NUMCODECS_CORRUPT_DATA` or `NUMCODECS_LIMIT_EXCEEDED`.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decoded_size(codec: *const numcodecs_codec, src: *const c_void, src_len: usize, size: *mut usize) -> numcodecs_status {
    guard(|| {
        // SAFETY (both): see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(size, "size")?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let value = handle.decoding(|codec| codec.decoded_size(src))?;
        // SAFETY: checked above.
        unsafe { write_out(size, value) };
        Ok(())
    })
}

/// Most dimensions `numcodecs_decoded_info` reports (NumPy's own maximum is 64; zfp streams have 1 to 4).
pub const NUMCODECS_DECODED_MAX_NDIM: usize = 32;
/// Bytes of `numcodecs_decoded_array.dtype`, the terminating NUL included.
pub const NUMCODECS_DTYPE_CAPACITY: usize = 32;

/// The array an encoded chunk decodes to, as its stream records it (see `numcodecs_decoded_info`).
#[repr(C)]
pub struct numcodecs_decoded_array {
    /// NumPy typestr of the decoded array, NUL-terminated, e.g. `"<f4"`, `"<i8"`.
    pub dtype: [c_char; NUMCODECS_DTYPE_CAPACITY],
    /// Number of valid entries in `shape`; 0 when the stream records the dtype but not the shape (pcodec:
    /// the array is 1-D and its length is the decoded size divided by the itemsize).
    pub ndim: usize,
    /// The C-order extents of the decoded array (`ndim` of them).
    pub shape: [usize; NUMCODECS_DECODED_MAX_NDIM],
}

/// The dtype and shape an encoded chunk decodes to, read from its header without decoding. zfpy streams
/// record both (zfp's full header); pcodec streams the dtype only (the array is 1-D).
///
/// @param info Receives the description on success (left untouched otherwise).
/// @return `NUMCODECS_OK`, `NUMCODECS_SIZE_UNKNOWN` (this codec's streams do not record their array, e.g.
///         the byte compressors; also a pcodec stream without values), `NUMCODECS_INVALID_ARGUMENT` (NULL
///         pointers), `NUMCODECS_CORRUPT_DATA` (bad header) or `NUMCODECS_LIMIT_EXCEEDED` (the header
///         describes an array over the library's maximum decoded size).
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decoded_info(codec: *const numcodecs_codec, src: *const c_void, src_len: usize, info: *mut numcodecs_decoded_array) -> numcodecs_status {
    guard(|| {
        // SAFETY (both): see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(info, "info")?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let Some(decoded) = handle.codec.decoded_info(src)? else {
            return Err(Error::size_unknown(format!("{}: the stream does not record the array it decodes to", handle.codec.codec_id())));
        };
        let typestr = decoded.dtype.typestr();
        let shape = decoded.shape.unwrap_or_default();
        if typestr.len() >= NUMCODECS_DTYPE_CAPACITY || shape.len() > NUMCODECS_DECODED_MAX_NDIM {
            return Err(Error::unsupported(format!("decoded array {typestr} {shape:?} does not fit numcodecs_decoded_array")));
        }
        let mut out = numcodecs_decoded_array { dtype: [0; NUMCODECS_DTYPE_CAPACITY], ndim: shape.len(), shape: [0; NUMCODECS_DECODED_MAX_NDIM] };
        for (slot, byte) in out.dtype.iter_mut().zip(typestr.bytes()) {
            *slot = byte as c_char;
        }
        out.shape[..shape.len()].copy_from_slice(&shape);
        // SAFETY: checked above.
        unsafe { write_out(info, out) };
        Ok(())
    })
}

/// Decodes an encoded chunk into the caller's buffer. Nothing is written past `dst_cap`.
///
/// @param dst     Destination of `dst_cap` bytes; must not overlap `src`.
/// @param dst_len Receives the decoded length on success; on `NUMCODECS_BUFFER_TOO_SMALL`, the needed size
///                when known (otherwise left untouched).
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT`, `NUMCODECS_BUFFER_TOO_SMALL`,
///         `NUMCODECS_CORRUPT_DATA`, `NUMCODECS_LIMIT_EXCEEDED`, or `NUMCODECS_UNSUPPORTED` for an object
///         codec (use `numcodecs_decode_items`). On failure the contents of `dst` are unspecified.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decode(
    codec: *const numcodecs_codec,
    src: *const c_void,
    src_len: usize,
    dst: *mut c_void,
    dst_cap: usize,
    dst_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all three): see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(dst_len, "dst_len")?;
        check_no_overlap(src.cast(), src_len, dst.cast_const().cast(), dst_cap)?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let dst = unsafe { output_bytes(dst.cast(), dst_cap, "dst")? };
        let result = handle.decoding(|codec| codec.decode_into(src, dst));
        // SAFETY: dst_len passed check_out.
        unsafe { with_needed_size(dst_len, result) }
    })
}

/// Like `numcodecs_decode`, but allocates the output (16-byte aligned, so it may be read as any numeric
/// type).
///
/// @param out     Receives the decoded bytes on success (never NULL then); free with `numcodecs_bytes_free`.
/// @param out_len Receives the decoded length on success.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decode_alloc(codec: *const numcodecs_codec, src: *const c_void, src_len: usize, out: *mut *mut u8, out_len: *mut usize) -> numcodecs_status {
    guard(|| {
        // SAFETY (both): see the function's contract.
        let handle = unsafe { codec_ref(codec)? };
        check_out(out, "out")?;
        check_out(out_len, "out_len")?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let buffer = handle.decoding(|codec| match codec.decoded_size(src) {
            Ok(size) => {
                let mut buffer = OwnedBytes::zeroed(size)?;
                let written = codec.decode_into(src, buffer.as_mut_slice())?;
                buffer.truncate(written)?;
                Ok(buffer)
            }
            Err(e) if e.kind() == ErrorKind::SizeUnknown => {
                let decoded = codec.decode(src)?;
                let mut buffer = OwnedBytes::zeroed(decoded.len())?;
                buffer.as_mut_slice().copy_from_slice(&decoded);
                Ok(buffer)
            }
            Err(e) => Err(e),
        })?;
        let (ptr, len) = buffer.into_raw();
        // SAFETY: both passed check_out.
        unsafe {
            write_out(out, ptr);
            write_out(out_len, len);
        }
        Ok(())
    })
}

/// The ids of all registered codecs as a JSON array, e.g. `["blosc","bz2",...]`, NUL-terminated.
///
/// @param dst Destination, or NULL with `cap == 0` to query the size.
/// @param len Receives the JSON length (without the NUL) on success and on `NUMCODECS_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_registered_codecs(dst: *mut c_char, cap: usize, len: *mut usize) -> numcodecs_status {
    guard(|| {
        check_out(len, "len")?;
        // SAFETY: dst has cap writable bytes (caller's contract).
        let dst = unsafe { output_bytes(dst.cast(), cap, "dst")? };
        let json = serde_json::Value::from(codecs::registered_codecs()).to_string();
        // SAFETY: len passed check_out.
        unsafe { write_c_string(&json, dst, len) }
    })
}
