//! A small safe API over zfp (the C library zfp-sys-cc compiles from its bundled zfp 1.0.0 sources and
//! links statically; zfpy 1.0.1's zfp 1.0.1 writes the same bits, see Cargo.toml): what zfpy's `compress_numpy(arr, write_header=True, ...)` and
//! `decompress_numpy` do, for contiguous C-order arrays of 1 to 4 dimensions.
//!
//! All unsafe code for zfp lives here. zfp's bit stream reads and writes whole 64-bit words without
//! bounds checks, and its field data are typed arrays, so every buffer handed to zfp is a `Vec<u64>`
//! (aligned for any scalar type) and large enough for the worst case zfp can touch:
//! - compression writes at most `zfp_stream_maximum_size` bytes (zfp's own bound, which zfpy allocates);
//! - decompression of a hostile stream reads at most what the bit-plane decoder can consume for the
//!   header's field and mode (`Header::max_stream_bits`; more than the encoder's bound), so the input is
//!   copied into a zero-padded buffer of that size (plus a few words of slack) and zfp never reads past it.
//!
//! zfp objects (`zfp_stream`, `zfp_field`, `bitstream`) are owned by guards that free them exactly once.

use std::ffi::{c_int, c_uint, c_void};

#[allow(non_camel_case_types)]
mod ffi {
    use super::*;

    /// `zfp_type`.
    pub type zfp_type = c_uint;
    pub const ZFP_TYPE_INT32: zfp_type = 1;
    pub const ZFP_TYPE_INT64: zfp_type = 2;
    pub const ZFP_TYPE_FLOAT: zfp_type = 3;
    pub const ZFP_TYPE_DOUBLE: zfp_type = 4;
    /// `zfp_mode_null`: what `zfp_stream_compression_mode` and `zfp_stream_set_mode` return for nonsense.
    pub const ZFP_MODE_NULL: c_uint = 0;
    /// `ZFP_HEADER_FULL`: magic, field metadata and compression mode.
    pub const ZFP_HEADER_FULL: c_uint = 0x7;

    #[repr(C)]
    pub struct zfp_stream {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct zfp_field {
        _opaque: [u8; 0],
    }
    #[repr(C)]
    pub struct bitstream {
        _opaque: [u8; 0],
    }

    // The zfp library itself comes from zfp-sys-cc; these declarations are the part we call.
    use zfp_sys_cc as _;

    extern "C" {
        pub fn stream_open(buffer: *mut c_void, bytes: usize) -> *mut bitstream;
        pub fn stream_close(stream: *mut bitstream);

        pub fn zfp_stream_open(stream: *mut bitstream) -> *mut zfp_stream;
        pub fn zfp_stream_close(zfp: *mut zfp_stream);
        pub fn zfp_stream_rewind(zfp: *mut zfp_stream);
        pub fn zfp_stream_set_reversible(zfp: *mut zfp_stream);
        pub fn zfp_stream_set_rate(zfp: *mut zfp_stream, rate: f64, type_: zfp_type, dims: c_uint, align: c_int) -> f64;
        pub fn zfp_stream_set_precision(zfp: *mut zfp_stream, precision: c_uint) -> c_uint;
        pub fn zfp_stream_set_accuracy(zfp: *mut zfp_stream, tolerance: f64) -> f64;
        pub fn zfp_stream_compression_mode(zfp: *const zfp_stream) -> c_uint;
        pub fn zfp_stream_maximum_size(zfp: *const zfp_stream, field: *const zfp_field) -> usize;
        pub fn zfp_stream_params(zfp: *const zfp_stream, minbits: *mut c_uint, maxbits: *mut c_uint, maxprec: *mut c_uint, minexp: *mut c_int);

        pub fn zfp_field_alloc() -> *mut zfp_field;
        pub fn zfp_field_1d(pointer: *mut c_void, type_: zfp_type, nx: usize) -> *mut zfp_field;
        pub fn zfp_field_2d(pointer: *mut c_void, type_: zfp_type, nx: usize, ny: usize) -> *mut zfp_field;
        pub fn zfp_field_3d(pointer: *mut c_void, type_: zfp_type, nx: usize, ny: usize, nz: usize) -> *mut zfp_field;
        pub fn zfp_field_4d(pointer: *mut c_void, type_: zfp_type, nx: usize, ny: usize, nz: usize, nw: usize) -> *mut zfp_field;
        pub fn zfp_field_free(field: *mut zfp_field);
        pub fn zfp_field_set_pointer(field: *mut zfp_field, pointer: *mut c_void);
        pub fn zfp_field_type(field: *const zfp_field) -> zfp_type;
        pub fn zfp_field_dimensionality(field: *const zfp_field) -> c_uint;
        pub fn zfp_field_size(field: *const zfp_field, size: *mut usize) -> usize;

        pub fn zfp_write_header(zfp: *mut zfp_stream, field: *const zfp_field, mask: c_uint) -> usize;
        pub fn zfp_read_header(zfp: *mut zfp_stream, field: *mut zfp_field, mask: c_uint) -> usize;
        pub fn zfp_compress(zfp: *mut zfp_stream, field: *const zfp_field) -> usize;
        pub fn zfp_decompress(zfp: *mut zfp_stream, field: *mut zfp_field) -> usize;
    }
}

/// The scalar types zfp compresses (zfpy: int32, int64, float32, float64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    Int32,
    Int64,
    Float,
    Double,
}

impl Scalar {
    fn zfp_type(self) -> ffi::zfp_type {
        match self {
            Scalar::Int32 => ffi::ZFP_TYPE_INT32,
            Scalar::Int64 => ffi::ZFP_TYPE_INT64,
            Scalar::Float => ffi::ZFP_TYPE_FLOAT,
            Scalar::Double => ffi::ZFP_TYPE_DOUBLE,
        }
    }

    fn from_zfp_type(zfp_type: ffi::zfp_type) -> Option<Self> {
        Some(match zfp_type {
            ffi::ZFP_TYPE_INT32 => Scalar::Int32,
            ffi::ZFP_TYPE_INT64 => Scalar::Int64,
            ffi::ZFP_TYPE_FLOAT => Scalar::Float,
            ffi::ZFP_TYPE_DOUBLE => Scalar::Double,
            _ => return None,
        })
    }

    pub(crate) fn size(self) -> usize {
        match self {
            Scalar::Int32 | Scalar::Float => 4,
            Scalar::Int64 | Scalar::Double => 8,
        }
    }
}

/// How zfpy's `_set_compression_mode` configures the stream: the first of tolerance, rate, precision
/// that is >= 0, else reversible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    FixedAccuracy(f64),
    /// zfpy passes `zfp_type_none` and `align = 0` to `zfp_stream_set_rate` (the type only sets a
    /// minimum block size for floats, which zfpy thereby skips); we do the same for the same bytes.
    FixedRate(f64),
    FixedPrecision(u32),
    Reversible,
}

/// The array a zfp stream holds, from its full header: scalar type and C-order shape (zfpy's
/// `(nw, nz, ny, nx)` without the unused dimensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub scalar: Scalar,
    pub shape: Vec<usize>,
    /// The fewest bits a valid stream with this header has: the header, then each 4^d block takes at
    /// least the mode's `minbits` (the decoder skips to it) and a float block at least its 1-bit
    /// "block is non-zero" flag. A shorter stream cannot be decoded without reading past its end.
    pub min_stream_bits: u64,
    /// The most bits zfp's decoder can read for this header, whatever the block bits say: the header,
    /// then per block the larger of `minbits` (the decoder skips to it) and what its bit-plane decoder
    /// can consume: per bit plane the bits of the values already significant plus group-test bits
    /// (`intprec * (values + 1) + values` over a block of up to `intprec` planes) and a few bits of block
    /// header (flag, exponent, precision), less when `maxbits` binds. This is more than
    /// `zfp_stream_maximum_size`, which bounds what the *encoder* writes: a hostile stream makes the
    /// decoder read up to `intprec + 1` bits per block beyond that, and with a `maxbits` smaller than
    /// the block header, whole planes.
    pub max_stream_bits: u64,
}

impl Header {
    pub(crate) fn element_count(&self) -> Option<usize> {
        self.shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n))
    }
}

struct Field(*mut ffi::zfp_field);

impl Drop for Field {
    fn drop(&mut self) {
        // SAFETY: the pointer came from zfp_field_alloc/zfp_field_Nd and is freed only here.
        unsafe { ffi::zfp_field_free(self.0) }
    }
}

struct Stream {
    zfp: *mut ffi::zfp_stream,
    bits: *mut ffi::bitstream,
}

impl Stream {
    /// A zfp stream over `buffer`, which must outlive the returned value (the callers keep both in
    /// one scope) and is never read or written past its end by the operations used here.
    fn over(buffer: &mut [u64]) -> Option<Stream> {
        // SAFETY: stream_open stores the pointer and size; zfp_stream_open(NULL-free bitstream) only
        // allocates. Both are freed in Drop.
        unsafe {
            let bits = ffi::stream_open(buffer.as_mut_ptr().cast(), buffer.len() * 8);
            if bits.is_null() {
                return None;
            }
            let zfp = ffi::zfp_stream_open(bits);
            if zfp.is_null() {
                ffi::stream_close(bits);
                return None;
            }
            Some(Stream { zfp, bits })
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: both pointers were returned by zfp and are closed exactly once.
        unsafe {
            ffi::zfp_stream_close(self.zfp);
            ffi::stream_close(self.bits);
        }
    }
}

/// Why zfp refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ZfpError {
    /// zfp could not allocate its small structs.
    OutOfMemory,
    /// The shape does not fit zfp's header (e.g. a 2-D extent over 2^24), or zfp's compressor failed;
    /// zfpy raises RuntimeError("Failed to write header to stream" / "Failed to write to stream").
    CannotEncode(&'static str),
    /// Not a zfp stream with a full header, or one zfp cannot decode.
    BadHeader,
    /// Decompression failed (`zfp_decompress` returned 0).
    DecodeFailed,
}

/// A buffer of `bytes` bytes, rounded up to whole words, zero-filled.
fn words(bytes: usize) -> Vec<u64> {
    vec![0u64; bytes.div_ceil(8)]
}

/// A field over `data` (or no data) with zfpy's dimension order: `nx` is the last (fastest) C axis.
fn field_for(data: *mut c_void, scalar: Scalar, shape: &[usize]) -> Option<Field> {
    let t = scalar.zfp_type();
    // SAFETY: these only allocate a struct that records the pointer; nothing is read here.
    let ptr = unsafe {
        match *shape {
            [nx] => ffi::zfp_field_1d(data, t, nx),
            [ny, nx] => ffi::zfp_field_2d(data, t, nx, ny),
            [nz, ny, nx] => ffi::zfp_field_3d(data, t, nx, ny, nz),
            [nw, nz, ny, nx] => ffi::zfp_field_4d(data, t, nx, ny, nz, nw),
            _ => return None,
        }
    };
    (!ptr.is_null()).then_some(Field(ptr))
}

fn set_mode(stream: &Stream, mode: Mode, dims: usize) {
    // SAFETY: stream.zfp is a live zfp_stream; these only set its parameters.
    unsafe {
        match mode {
            Mode::FixedAccuracy(tolerance) => {
                ffi::zfp_stream_set_accuracy(stream.zfp, tolerance);
            }
            Mode::FixedRate(rate) => {
                ffi::zfp_stream_set_rate(stream.zfp, rate, 0, dims as c_uint, 0);
            }
            Mode::FixedPrecision(precision) => {
                ffi::zfp_stream_set_precision(stream.zfp, precision);
            }
            Mode::Reversible => ffi::zfp_stream_set_reversible(stream.zfp),
        }
    }
}

/// `zfp_stream_maximum_size` for an array of `shape` compressed with `mode`: the bytes zfpy allocates,
/// header included. `shape` must have 1 to 4 non-zero extents.
pub(crate) fn maximum_size(scalar: Scalar, shape: &[usize], mode: Mode) -> Result<usize, ZfpError> {
    let field = field_for(std::ptr::null_mut(), scalar, shape).ok_or(ZfpError::OutOfMemory)?;
    let mut empty = [0u64; 0];
    let stream = Stream::over(&mut empty).ok_or(ZfpError::OutOfMemory)?;
    set_mode(&stream, mode, shape.len());
    // SAFETY: both objects are live; the function only reads their parameters.
    Ok(unsafe { ffi::zfp_stream_maximum_size(stream.zfp, field.0) })
}

/// zfpy's `compress_numpy(arr, write_header=True, ...)`: the full header, then the compressed blocks.
/// `data` holds the C-order array (`shape.iter().product()` scalars, native byte order); `shape` has
/// 1 to 4 extents, none zero (zfp cannot describe an empty array).
pub(crate) fn compress(data: &[u8], scalar: Scalar, shape: &[usize], mode: Mode) -> Result<Vec<u8>, ZfpError> {
    let count = shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
    assert!(count.and_then(|c| c.checked_mul(scalar.size())) == Some(data.len()), "zfp::compress: shape does not match data");
    assert!(!shape.is_empty() && shape.len() <= 4 && !shape.contains(&0), "zfp::compress: 1 to 4 non-zero extents");
    // zfp reads the field as typed scalars: give it an aligned copy when `data` is not aligned.
    let aligned_copy;
    let input: *const u8 = if (data.as_ptr() as usize) % scalar.size() == 0 {
        data.as_ptr()
    } else {
        let mut copy = words(data.len());
        copy_bytes_into_words(data, &mut copy);
        aligned_copy = copy;
        aligned_copy.as_ptr().cast()
    };
    let max = maximum_size(scalar, shape, mode)?;
    let mut out = words(max);
    let written = {
        // zfp only reads the field data when compressing; the pointer is `*mut` in its API.
        let field = field_for(input as *mut c_void, scalar, shape).ok_or(ZfpError::OutOfMemory)?;
        let stream = Stream::over(&mut out).ok_or(ZfpError::OutOfMemory)?;
        set_mode(&stream, mode, shape.len());
        // SAFETY: the field describes exactly `data.len()` readable bytes at `input` (checked above),
        // aligned for the scalar type; the stream's buffer holds zfp_stream_maximum_size bytes, the
        // most zfp writes for this field and mode (header included).
        unsafe {
            ffi::zfp_stream_rewind(stream.zfp);
            if ffi::zfp_write_header(stream.zfp, field.0, ffi::ZFP_HEADER_FULL) == 0 {
                return Err(ZfpError::CannotEncode("the shape does not fit zfp's header"));
            }
            ffi::zfp_compress(stream.zfp, field.0)
        }
    };
    if written == 0 || written > max {
        return Err(ZfpError::CannotEncode("zfp_compress failed"));
    }
    let mut bytes = Vec::with_capacity(written);
    for word in &out {
        bytes.extend_from_slice(&word.to_ne_bytes());
        if bytes.len() >= written {
            break;
        }
    }
    bytes.truncate(written);
    Ok(bytes)
}

fn copy_bytes_into_words(src: &[u8], dst: &mut [u64]) {
    for (word, chunk) in dst.iter_mut().zip(src.chunks(8)) {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        *word = u64::from_ne_bytes(bytes);
    }
}

/// The most bytes of the full header (32 magic + 52 metadata + 64 mode bits), rounded up to words,
/// plus a word: zfp's reader fetches whole words.
const HEADER_BUFFER_BYTES: usize = 32;

/// Reads the header into a live stream and field over `buffer`; `None` if it is not a valid full header.
fn open_header(buffer: &mut [u64]) -> Option<(Stream, Field, Header)> {
    let stream = Stream::over(buffer)?;
    // SAFETY: allocation only.
    let field = Field(unsafe { ffi::zfp_field_alloc() });
    if field.0.is_null() {
        return None;
    }
    // SAFETY: the header is at most 148 bits and `buffer` holds at least HEADER_BUFFER_BYTES (callers
    // guarantee), so zfp's word reads stay inside it; zfp validates magic, metadata and mode.
    let header = unsafe {
        let header_bits = ffi::zfp_read_header(stream.zfp, field.0, ffi::ZFP_HEADER_FULL);
        if header_bits == 0 {
            return None;
        }
        if ffi::zfp_stream_compression_mode(stream.zfp) == ffi::ZFP_MODE_NULL {
            return None;
        }
        let scalar = Scalar::from_zfp_type(ffi::zfp_field_type(field.0))?;
        let dims = ffi::zfp_field_dimensionality(field.0) as usize;
        if !(1..=4).contains(&dims) {
            return None;
        }
        let mut sizes = [0usize; 4];
        ffi::zfp_field_size(field.0, sizes.as_mut_ptr());
        // sizes = [nx, ny, nz, nw][..dims]; C order is the reverse.
        let shape: Vec<usize> = sizes[..dims].iter().rev().copied().collect();
        let (mut minbits, mut maxbits, mut maxprec, mut minexp) = (0, 0, 0, 0);
        ffi::zfp_stream_params(stream.zfp, &mut minbits, &mut maxbits, &mut maxprec, &mut minexp);
        let flag_bits = if matches!(scalar, Scalar::Float | Scalar::Double) { 1 } else { 0 };
        let blocks = shape.iter().fold(1u64, |acc, &n| acc.saturating_mul((n as u64).div_ceil(4)));
        let min_stream_bits = blocks.saturating_mul(u64::from(minbits.max(flag_bits))).saturating_add(header_bits as u64);
        let values = 1u64 << (2 * dims);
        let intprec = 8 * scalar.size() as u64;
        // Block header: float flag + exponent (at most 1 + 11), or reversible flags + exponent + the
        // 6-bit precision: 32 covers every variant.
        let plane_bits = 32 + intprec * (values + 1) + values;
        // `maxbits` binds only when it covers the block header: zfp computes `maxbits - header bits`
        // unsigned, so a smaller one wraps around and the planes alone bound the block. When it binds,
        // zfp's full-precision path (taken when `maxbits` could hold every plane) still reads up to
        // one group-test bit per plane and one more beyond it.
        let decoder_bits = if maxbits >= 32 { plane_bits.min(u64::from(maxbits) + intprec + 1) } else { plane_bits };
        let block_bits = u64::from(minbits).max(decoder_bits);
        let max_stream_bits = blocks.saturating_mul(block_bits).saturating_add(header_bits as u64);
        Header { scalar, shape, min_stream_bits, max_stream_bits }
    };
    Some((stream, field, header))
}

/// The array a zfp stream with a full header (as zfpy writes it) holds; `None` if `src` does not start
/// with a valid zfp header.
pub(crate) fn read_header(src: &[u8]) -> Option<Header> {
    let mut buffer = words(HEADER_BUFFER_BYTES);
    copy_bytes_into_words(&src[..src.len().min(HEADER_BUFFER_BYTES)], &mut buffer);
    // A header cut short reads zeros from the padding; the stream must really contain the header bits,
    // which is checked by the caller through the size of the whole stream (see `decompress`).
    open_header(&mut buffer).map(|(_, _, header)| header)
}

/// zfpy's `decompress_numpy`: decodes the whole array into `dst`, which must have exactly the header's
/// element count times the scalar size in bytes (the caller checks the size against its limits before
/// allocating). Returns the header.
pub(crate) fn decompress(src: &[u8], dst: &mut [u8]) -> Result<Header, ZfpError> {
    let header = read_header(src).ok_or(ZfpError::BadHeader)?;
    let bytes = header.element_count().and_then(|n| n.checked_mul(header.scalar.size())).ok_or(ZfpError::BadHeader)?;
    assert_eq!(bytes, dst.len(), "zfp::decompress: dst must hold exactly the decoded array");
    // The most the decoder can read for this header (see `Header::max_stream_bits`), plus a few words of
    // slack for its word-wise reads (it fetches the word holding the next bit, also after a skip): a
    // short or hostile stream reads zeros from the padding, never past the buffer. The callers checked
    // that the stream holds at least `min_stream_bits`, so with the decoded size bounded, so is this.
    let max = usize::try_from(header.max_stream_bits.div_ceil(8)).map_err(|_| ZfpError::BadHeader)?;
    let padded_len = max.max(src.len()).checked_add(64).ok_or(ZfpError::BadHeader)?;
    let mut input = words(padded_len);
    copy_bytes_into_words(src, &mut input);

    let aligned_out = (dst.as_ptr() as usize) % header.scalar.size() == 0;
    let mut scratch = if aligned_out { Vec::new() } else { words(dst.len()) };
    let out_ptr: *mut c_void = if aligned_out { dst.as_mut_ptr().cast() } else { scratch.as_mut_ptr().cast() };
    let (stream, field, again) = open_header(&mut input).ok_or(ZfpError::BadHeader)?;
    if again != header {
        return Err(ZfpError::BadHeader);
    }
    // SAFETY: the field now points at `bytes` writable bytes aligned for the scalar type (dst or the
    // scratch words), which zfp fills contiguously; the stream's buffer covers everything the decoder
    // can read for this header (see above). `stream` and `field` are dropped before `input`/`scratch`.
    let decoded = unsafe {
        ffi::zfp_field_set_pointer(field.0, out_ptr);
        ffi::zfp_decompress(stream.zfp, field.0)
    };
    drop((stream, field));
    // zfp_decompress returns the stream position it stopped at, even past the buffer: in debug builds
    // (the test suites replay the fuzzers' hostile streams) check that the bound above held.
    debug_assert!(decoded <= padded_len, "zfp read {decoded} bytes of a {padded_len}-byte padded stream");
    if decoded == 0 {
        return Err(ZfpError::DecodeFailed);
    }
    // A stream shorter than what the decoder consumed was read partly from the zero padding: zfpy reads
    // past the end of such a buffer; we refuse it.
    if decoded > src.len() {
        return Err(ZfpError::DecodeFailed);
    }
    if !aligned_out {
        for (chunk, word) in dst.chunks_mut(8).zip(&scratch) {
            chunk.copy_from_slice(&word.to_ne_bytes()[..chunk.len()]);
        }
    }
    Ok(header)
}
