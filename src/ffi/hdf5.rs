//! Chunk formats of HDF5 filters that are not numcodecs codecs, for the HDF5 filter plugins
//! (plugins/hdf5): HDF5's LZ4 filter (id 32004) frames LZ4 blocks differently from numcodecs' `lz4`.

use std::ffi::c_void;

use crate::codecs::hdf5_lz4;

use super::alloc::OwnedBytes;
use super::{check_out, guard, input_bytes, numcodecs_status, write_out};

/// Hands `bytes` to C as a buffer for `numcodecs_bytes_free`.
///
/// # Safety
/// `out` and `out_len` must have passed `check_out`.
unsafe fn hand_out(bytes: &[u8], out: *mut *mut u8, out_len: *mut usize) -> Result<(), crate::codecs::Error> {
    let mut buffer = OwnedBytes::zeroed(bytes.len())?;
    buffer.as_mut_slice().copy_from_slice(bytes);
    let (ptr, len) = buffer.into_raw();
    // SAFETY: the caller checked both pointers.
    unsafe {
        write_out(out, ptr);
        write_out(out_len, len);
    }
    Ok(())
}

/// Encodes a chunk in the format of HDF5's LZ4 filter (registered id 32004, `H5Zlz4.c`): an 8-byte
/// big-endian decoded size, a 4-byte big-endian block size, then per block a 4-byte big-endian length
/// and the LZ4 block (or the block's bytes, when LZ4 does not make it smaller).
///
/// @param src        The chunk (may be NULL when `src_len` is 0).
/// @param src_len    Length of `src` in bytes.
/// @param block_size The filter's `cd_values[0]`: bytes per LZ4 block, 0 for the filter's default (1 GiB).
///                   Blocks are never larger than the chunk.
/// @param out        Receives the encoded chunk on success; free with `numcodecs_bytes_free`.
/// @param out_len    Receives its length on success.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (NULL pointers, a block over LZ4's limit of
///         0x7E000000 bytes) or `NUMCODECS_LIMIT_EXCEEDED` (out of memory).
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_hdf5_lz4_encode_alloc(src: *const c_void, src_len: usize, block_size: usize, out: *mut *mut u8, out_len: *mut usize) -> numcodecs_status {
    guard(|| {
        check_out(out, "out")?;
        check_out(out_len, "out_len")?;
        // SAFETY: src points to src_len readable bytes (caller's contract), checked for NULL.
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let encoded = hdf5_lz4::encode(src, block_size)?;
        // SAFETY: both passed check_out.
        unsafe { hand_out(&encoded, out, out_len) }
    })
}

/// Decodes a chunk written by HDF5's LZ4 filter (id 32004: `H5Zlz4.c`, hdf5plugin, or
/// `numcodecs_hdf5_lz4_encode_alloc`).
///
/// @param src     The encoded chunk.
/// @param src_len Length of `src` in bytes.
/// @param out     Receives the decoded chunk on success; free with `numcodecs_bytes_free`.
/// @param out_len Receives its length on success.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (NULL pointers), `NUMCODECS_CORRUPT_DATA` or
///         `NUMCODECS_LIMIT_EXCEEDED` (a decoded size over the library's limit).
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_hdf5_lz4_decode_alloc(src: *const c_void, src_len: usize, out: *mut *mut u8, out_len: *mut usize) -> numcodecs_status {
    guard(|| {
        check_out(out, "out")?;
        check_out(out_len, "out_len")?;
        // SAFETY: src points to src_len readable bytes (caller's contract), checked for NULL.
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let decoded = hdf5_lz4::decode(src)?;
        // SAFETY: both passed check_out.
        unsafe { hand_out(&decoded, out, out_len) }
    })
}
