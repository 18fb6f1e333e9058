//! The functions of numcodecs' `numcodecs.blosc` module for C: reading blosc headers, partial
//! decompression, the compressor list and the decompression thread count.

use std::ffi::{c_char, c_int, c_void};

use crate::codecs::blosc;
use crate::codecs::{Error, ErrorKind};

use super::codec::write_c_string;
use super::{check_no_overlap, check_out, guard, guard_value, input_bytes, numcodecs_status, output_bytes, write_out};

/// Blosc shuffle mode: no shuffle (numcodecs' `Blosc.NOSHUFFLE`).
pub const NUMCODECS_BLOSC_NOSHUFFLE: c_int = 0;
/// Blosc shuffle mode: byte shuffle (`Blosc.SHUFFLE`, the default).
pub const NUMCODECS_BLOSC_SHUFFLE: c_int = 1;
/// Blosc shuffle mode: bit shuffle (`Blosc.BITSHUFFLE`).
pub const NUMCODECS_BLOSC_BITSHUFFLE: c_int = 2;
/// Size of the blosc header, and the most blosc adds to its input (`numcodecs.blosc.MAX_OVERHEAD`).
pub const NUMCODECS_BLOSC_MAX_OVERHEAD: usize = 16;
/// Most decompression threads `numcodecs_blosc_set_nthreads` accepts (`numcodecs.blosc.MAX_THREADS`).
pub const NUMCODECS_BLOSC_MAX_THREADS: c_int = 256;

// cbindgen only exports literal constants; these keep them equal to the codec's. (AUTOSHUFFLE, -1, is
// left out: it only appears in JSON configurations, and cbindgen would emit an unparenthesized `-1` macro.)
const _: () = assert!(
    NUMCODECS_BLOSC_NOSHUFFLE == blosc::Blosc::NOSHUFFLE
        && NUMCODECS_BLOSC_SHUFFLE == blosc::Blosc::SHUFFLE
        && NUMCODECS_BLOSC_BITSHUFFLE == blosc::Blosc::BITSHUFFLE
        && NUMCODECS_BLOSC_MAX_OVERHEAD == blosc::Blosc::MAX_OVERHEAD
        && NUMCODECS_BLOSC_MAX_THREADS == blosc::Blosc::MAX_THREADS
);

/// Reads the sizes recorded in a blosc header (numcodecs' `blosc.cbuffer_sizes`).
///
/// Only the first 16 bytes are read, so `src` may be just the start of a chunk.
///
/// @param src       The blosc buffer (or its first 16 bytes or more).
/// @param src_len   Length of `src` in bytes.
/// @param nbytes    Receives the decompressed size.
/// @param cbytes    Receives the compressed size, header included.
/// @param blocksize Receives blosc's block size.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (NULL pointers) or `NUMCODECS_CORRUPT_DATA`
///         (shorter than 16 bytes, not a blosc 1.x header, negative sizes).
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_blosc_cbuffer_sizes(src: *const c_void, src_len: usize, nbytes: *mut usize, cbytes: *mut usize, blocksize: *mut usize) -> numcodecs_status {
    guard(|| {
        check_out(nbytes, "nbytes")?;
        check_out(cbytes, "cbytes")?;
        check_out(blocksize, "blocksize")?;
        // SAFETY: src points to src_len readable bytes (caller's contract), checked for NULL.
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let (n, c, b) = blosc::cbuffer_sizes(src)?;
        // SAFETY: all three passed check_out.
        unsafe {
            write_out(nbytes, n);
            write_out(cbytes, c);
            write_out(blocksize, b);
        }
        Ok(())
    })
}

/// Reads the element size and filter flags recorded in a blosc header (numcodecs' `blosc.cbuffer_metainfo`).
///
/// Only the first 16 bytes are read.
///
/// @param src      The blosc buffer (or its first 16 bytes or more).
/// @param src_len  Length of `src` in bytes.
/// @param typesize Receives the element size blosc shuffled by.
/// @param shuffle  Receives `NUMCODECS_BLOSC_NOSHUFFLE`, `NUMCODECS_BLOSC_SHUFFLE` or `NUMCODECS_BLOSC_BITSHUFFLE`.
/// @param memcpyed Receives 1 if blosc stored the data uncompressed, else 0 (numcodecs returns the raw
///                 flag bit, 2, for true).
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` or `NUMCODECS_CORRUPT_DATA`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_blosc_cbuffer_metainfo(src: *const c_void, src_len: usize, typesize: *mut usize, shuffle: *mut c_int, memcpyed: *mut c_int) -> numcodecs_status {
    guard(|| {
        check_out(typesize, "typesize")?;
        check_out(shuffle, "shuffle")?;
        check_out(memcpyed, "memcpyed")?;
        // SAFETY: src points to src_len readable bytes (caller's contract), checked for NULL.
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let (t, s, m) = blosc::cbuffer_metainfo(src)?;
        // SAFETY: all three passed check_out.
        unsafe {
            write_out(typesize, t);
            write_out(shuffle, s);
            write_out(memcpyed, c_int::from(m));
        }
        Ok(())
    })
}

/// The compression library recorded in a blosc header (numcodecs' `blosc.cbuffer_complib`).
///
/// @param src     The blosc buffer (or its first 16 bytes or more).
/// @param src_len Length of `src` in bytes.
/// @param complib Receives a static NUL-terminated name: `"BloscLZ"`, `"LZ4"` (also for lz4hc),
///                `"Snappy"`, `"Zlib"` or `"Zstd"`. Never free it.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` or `NUMCODECS_CORRUPT_DATA`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_blosc_cbuffer_complib(src: *const c_void, src_len: usize, complib: *mut *const c_char) -> numcodecs_status {
    guard(|| {
        check_out(complib, "complib")?;
        // SAFETY: src points to src_len readable bytes (caller's contract), checked for NULL.
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let name: &'static str = match blosc::cbuffer_complib(src)? {
            "BloscLZ" => "BloscLZ\0",
            "LZ4" => "LZ4\0",
            "Snappy" => "Snappy\0",
            "Zlib" => "Zlib\0",
            "Zstd" => "Zstd\0",
            other => return Err(Error::internal(format!("unexpected blosc library name {other}"))),
        };
        // SAFETY: passed check_out.
        unsafe { write_out(complib, name.as_ptr().cast()) };
        Ok(())
    })
}

/// Decompresses only items `start .. start + nitems` of a blosc buffer (`blosc_getitem`; numcodecs'
/// `blosc.decompress_partial` before 0.16). An item is the buffer's typesize in bytes (see
/// `numcodecs_blosc_cbuffer_metainfo`); `nitems * typesize` bytes are written. The header is validated
/// first, so corrupt input gives an error, never an out-of-bounds access.
///
/// @param src     The whole blosc buffer.
/// @param src_len Length of `src` in bytes.
/// @param start   Index of the first item.
/// @param nitems  Number of items (0 is allowed).
/// @param dst     Destination of `dst_cap` bytes; must not overlap `src`.
/// @param dst_cap Capacity of `dst`.
/// @param dst_len Receives the number of bytes written on success; on `NUMCODECS_BUFFER_TOO_SMALL`, the
///                needed size.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (NULL pointers, overlap, items out of range),
///         `NUMCODECS_BUFFER_TOO_SMALL` or `NUMCODECS_CORRUPT_DATA`. On failure the contents of `dst` are
///         unspecified.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_blosc_decompress_partial(
    src: *const c_void,
    src_len: usize,
    start: usize,
    nitems: usize,
    dst: *mut c_void,
    dst_cap: usize,
    dst_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        check_out(dst_len, "dst_len")?;
        check_no_overlap(src.cast(), src_len, dst.cast_const().cast(), dst_cap)?;
        // SAFETY (both): the caller's contract; NULL checked by the helpers.
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let dst = unsafe { output_bytes(dst.cast(), dst_cap, "dst")? };
        match blosc::decompress_partial_into(src, start, nitems, dst) {
            Ok(written) => {
                // SAFETY: passed check_out.
                unsafe { write_out(dst_len, written) };
                Ok(())
            }
            Err(error) => {
                if let (ErrorKind::BufferTooSmall, Some(needed)) = (error.kind(), error.needed()) {
                    // SAFETY: passed check_out.
                    unsafe { write_out(dst_len, needed) };
                }
                Err(error)
            }
        }
    })
}

/// The compressors this build of blosc supports as a JSON array, NUL-terminated:
/// `["blosclz","lz4","lz4hc","zlib","zstd"]` (numcodecs' `blosc.list_compressors()`).
///
/// @param dst Destination, or NULL with `cap == 0` to query the size.
/// @param cap Capacity of `dst` in bytes; must be at least the JSON length + 1.
/// @param len Receives the JSON length (without the NUL) on success and on `NUMCODECS_BUFFER_TOO_SMALL`.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` or `NUMCODECS_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_blosc_list_compressors(dst: *mut c_char, cap: usize, len: *mut usize) -> numcodecs_status {
    guard(|| {
        check_out(len, "len")?;
        // SAFETY: dst has cap writable bytes (caller's contract).
        let dst = unsafe { output_bytes(dst.cast(), cap, "dst")? };
        let json = serde_json::Value::from(blosc::list_compressors()).to_string();
        // SAFETY: len passed check_out.
        unsafe { write_c_string(&json, dst, len) }
    })
}

/// Sets the number of threads blosc uses to decompress (numcodecs' `blosc.set_nthreads`); the default is 1.
///
/// Compression always runs on one thread whatever this says: blosc's multi-threaded compression writes
/// blocks in a nondeterministic order, and libnumcodecs promises the same bytes for the same input.
/// Decompressed bytes do not depend on the thread count.
///
/// @param nthreads Number of threads, 1 to `NUMCODECS_BLOSC_MAX_THREADS`.
/// @param previous Receives the previous setting on success; may be NULL.
/// @return `NUMCODECS_OK` or `NUMCODECS_INVALID_ARGUMENT` (out of range or misaligned `previous`).
///
/// Thread safety: safe from any thread; the setting is process-wide and applies to decompressions that
/// start after the call.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_blosc_set_nthreads(nthreads: c_int, previous: *mut c_int) -> numcodecs_status {
    guard(|| {
        if !previous.is_null() {
            check_out(previous, "previous")?;
        }
        let old = blosc::set_nthreads(nthreads)?;
        if !previous.is_null() {
            // SAFETY: non-NULL and passed check_out.
            unsafe { write_out(previous, old) };
        }
        Ok(())
    })
}

/// The number of threads blosc uses to decompress (numcodecs' `blosc.get_nthreads`); see
/// `numcodecs_blosc_set_nthreads`.
///
/// @return The current setting, at least 1.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn numcodecs_blosc_get_nthreads() -> c_int {
    guard_value(1, blosc::get_nthreads)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{ArrayInfo, Codec, DType};
    use numcodecs_status::*;

    fn encoded_floats() -> (Vec<u8>, Vec<u8>) {
        let data: Vec<u8> = (0..10_000).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let codec = blosc::Blosc::new("zstd", 5, blosc::Blosc::SHUFFLE, 0, None).unwrap();
        let encoded = codec.encode(&data, &ArrayInfo::new(DType::parse("<f4").unwrap(), None)).unwrap();
        (data, encoded)
    }

    #[test]
    fn header_readers_write_outputs_only_on_success() {
        let (data, encoded) = encoded_floats();
        let (mut nbytes, mut cbytes, mut blocksize) = (0usize, 0usize, 0usize);
        let status = unsafe { numcodecs_blosc_cbuffer_sizes(encoded.as_ptr().cast(), encoded.len(), &mut nbytes, &mut cbytes, &mut blocksize) };
        assert_eq!(status, NUMCODECS_OK);
        assert_eq!((nbytes, cbytes), (data.len(), encoded.len()));
        assert!(blocksize > 0);

        let (mut typesize, mut shuffle, mut memcpyed) = (0usize, -7, -7);
        let status = unsafe { numcodecs_blosc_cbuffer_metainfo(encoded.as_ptr().cast(), encoded.len(), &mut typesize, &mut shuffle, &mut memcpyed) };
        assert_eq!(status, NUMCODECS_OK);
        assert_eq!((typesize, shuffle, memcpyed), (4, NUMCODECS_BLOSC_SHUFFLE, 0));

        let mut complib: *const c_char = std::ptr::null();
        assert_eq!(unsafe { numcodecs_blosc_cbuffer_complib(encoded.as_ptr().cast(), encoded.len(), &mut complib) }, NUMCODECS_OK);
        assert_eq!(unsafe { std::ffi::CStr::from_ptr(complib) }.to_str().unwrap(), "Zstd");

        // Too short: an error, and the outputs keep their values.
        let mut untouched = 12345usize;
        let status = unsafe { numcodecs_blosc_cbuffer_sizes(encoded.as_ptr().cast(), 15, &mut untouched, &mut cbytes, &mut blocksize) };
        assert_eq!(status, NUMCODECS_CORRUPT_DATA);
        assert_eq!(untouched, 12345);
        let status = unsafe { numcodecs_blosc_cbuffer_sizes(std::ptr::null(), 16, &mut nbytes, &mut cbytes, &mut blocksize) };
        assert_eq!(status, NUMCODECS_INVALID_ARGUMENT);
        let status = unsafe { numcodecs_blosc_cbuffer_metainfo(encoded.as_ptr().cast(), encoded.len(), &mut typesize, std::ptr::null_mut(), &mut memcpyed) };
        assert_eq!(status, NUMCODECS_INVALID_ARGUMENT);
    }

    #[test]
    fn decompress_partial_reports_the_needed_size() {
        let (data, encoded) = encoded_floats();
        let mut dst = vec![0u8; 400];
        let mut len = 0usize;
        let status = unsafe { numcodecs_blosc_decompress_partial(encoded.as_ptr().cast(), encoded.len(), 10, 100, dst.as_mut_ptr().cast(), dst.len(), &mut len) };
        assert_eq!(status, NUMCODECS_OK);
        assert_eq!(len, 400);
        assert_eq!(dst, &data[40..440]);
        let status = unsafe { numcodecs_blosc_decompress_partial(encoded.as_ptr().cast(), encoded.len(), 10, 101, dst.as_mut_ptr().cast(), dst.len(), &mut len) };
        assert_eq!(status, NUMCODECS_BUFFER_TOO_SMALL);
        assert_eq!(len, 404);
        let status = unsafe { numcodecs_blosc_decompress_partial(encoded.as_ptr().cast(), encoded.len(), 9_999, 2, dst.as_mut_ptr().cast(), dst.len(), &mut len) };
        assert_eq!(status, NUMCODECS_INVALID_ARGUMENT);
        let status = unsafe { numcodecs_blosc_decompress_partial(encoded.as_ptr().cast(), encoded.len() - 1, 0, 1, dst.as_mut_ptr().cast(), dst.len(), &mut len) };
        assert_eq!(status, NUMCODECS_CORRUPT_DATA);
    }

    #[test]
    fn list_compressors_follows_the_size_query_convention() {
        let mut len = 0usize;
        assert_eq!(unsafe { numcodecs_blosc_list_compressors(std::ptr::null_mut(), 0, &mut len) }, NUMCODECS_BUFFER_TOO_SMALL);
        let expected = r#"["blosclz","lz4","lz4hc","zlib","zstd"]"#;
        assert_eq!(len, expected.len());
        let mut buffer = vec![0u8; len + 1];
        assert_eq!(unsafe { numcodecs_blosc_list_compressors(buffer.as_mut_ptr().cast(), buffer.len(), &mut len) }, NUMCODECS_OK);
        assert_eq!(&buffer[..len], expected.as_bytes());
        assert_eq!(buffer[len], 0);
    }

    #[test]
    fn thread_count_is_validated_and_returned() {
        let _lock = blosc::TEST_THREADS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let before = numcodecs_blosc_get_nthreads();
        let mut previous = -1;
        assert_eq!(unsafe { numcodecs_blosc_set_nthreads(0, &mut previous) }, NUMCODECS_INVALID_ARGUMENT);
        assert_eq!(unsafe { numcodecs_blosc_set_nthreads(NUMCODECS_BLOSC_MAX_THREADS + 1, std::ptr::null_mut()) }, NUMCODECS_INVALID_ARGUMENT);
        assert_eq!(previous, -1);
        assert_eq!(numcodecs_blosc_get_nthreads(), before);
        assert_eq!(unsafe { numcodecs_blosc_set_nthreads(3, &mut previous) }, NUMCODECS_OK);
        assert_eq!((previous, numcodecs_blosc_get_nthreads()), (before, 3));
        assert_eq!(unsafe { numcodecs_blosc_set_nthreads(before, std::ptr::null_mut()) }, NUMCODECS_OK);
        assert_eq!(numcodecs_blosc_get_nthreads(), before);
    }
}
