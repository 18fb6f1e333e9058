//! The C ABI. The only module with `extern "C"` functions and raw-pointer handling.
//!
//! House rules, enforced here once so every exported function follows them:
//! - every body runs under `guard`: panics are caught and become `NUMCODECS_INTERNAL`, and the
//!   thread-local message behind `numcodecs_last_error()` is set on failure and cleared on success;
//! - raw pointers go through the helpers below (NULL checks, alignment, `isize::MAX` lengths,
//!   no aliasing between input and output);
//! - outputs are written only on success (the one exception, documented per function: on
//!   `NUMCODECS_BUFFER_TOO_SMALL` the length out-parameter receives the needed size when it is known).
#![allow(non_camel_case_types)]
// The safety contract of each exported function is its @param documentation (pointer validity, lengths,
// lifetimes), which cbindgen copies into the C header where C callers read it.
#![allow(clippy::missing_safety_doc)]

mod alloc;
mod blosc;
mod codec;
mod hdf5;
mod items;

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::codecs::{Error, ErrorKind};

pub use alloc::numcodecs_bytes_free;
pub use blosc::*;
pub use codec::*;
pub use hdf5::*;
pub use items::*;

/// Major version of this library (and of its ABI: the SONAME is `libnumcodecs.so.<major>`).
pub const NUMCODECS_VERSION_MAJOR: u32 = 0;
/// Minor version: new functions and codecs, ABI-compatible with earlier minors.
pub const NUMCODECS_VERSION_MINOR: u32 = 1;
/// Patch version: fixes only.
pub const NUMCODECS_VERSION_PATCH: u32 = 0;

/// Result of every fallible function. Values are stable: new codes are only ever appended.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum numcodecs_status {
    /// Success.
    NUMCODECS_OK = 0,
    /// A NULL pointer where one is required, a length over `PTRDIFF_MAX`, overlapping buffers, a bad dtype
    /// string, or a shape that does not match the buffer length.
    NUMCODECS_INVALID_ARGUMENT = 1,
    /// The configuration JSON is malformed, has an unknown key, or a value out of range.
    NUMCODECS_INVALID_CONFIG = 2,
    /// No codec is registered under the configuration's id.
    NUMCODECS_UNKNOWN_CODEC = 3,
    /// The destination buffer is too small; the length out-parameter holds the needed size when known.
    NUMCODECS_BUFFER_TOO_SMALL = 4,
    /// The input is not a valid encoding for this codec (corrupt, truncated, checksum mismatch).
    NUMCODECS_CORRUPT_DATA = 5,
    /// Valid request that this codec or build does not support.
    NUMCODECS_UNSUPPORTED = 6,
    /// The stream does not record its decoded size (use `numcodecs_decode_alloc`).
    NUMCODECS_SIZE_UNKNOWN = 7,
    /// A size limit was exceeded (e.g. the decoded size is over the library's maximum).
    NUMCODECS_LIMIT_EXCEEDED = 8,
    /// A bug in libnumcodecs (a caught panic or broken invariant); please report it.
    NUMCODECS_INTERNAL = 9,
}

impl From<ErrorKind> for numcodecs_status {
    fn from(kind: ErrorKind) -> Self {
        use numcodecs_status::*;
        match kind {
            ErrorKind::InvalidArgument => NUMCODECS_INVALID_ARGUMENT,
            ErrorKind::InvalidConfig => NUMCODECS_INVALID_CONFIG,
            ErrorKind::UnknownCodec => NUMCODECS_UNKNOWN_CODEC,
            ErrorKind::BufferTooSmall => NUMCODECS_BUFFER_TOO_SMALL,
            ErrorKind::CorruptData => NUMCODECS_CORRUPT_DATA,
            ErrorKind::Unsupported => NUMCODECS_UNSUPPORTED,
            ErrorKind::SizeUnknown => NUMCODECS_SIZE_UNKNOWN,
            ErrorKind::LimitExceeded => NUMCODECS_LIMIT_EXCEEDED,
            ErrorKind::Internal => NUMCODECS_INTERNAL,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    let message = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = message);
}

/// Runs the body of an exported function: catches panics, maps errors to a status and records the
/// thread-local error message (cleared on success).
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Error>) -> numcodecs_status {
    let outcome = catch_unwind(AssertUnwindSafe(body));
    match outcome {
        Ok(Ok(())) => {
            set_last_error("");
            numcodecs_status::NUMCODECS_OK
        }
        Ok(Err(error)) => {
            set_last_error(error.message());
            error.kind().into()
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("internal error (please report): {what}"));
            numcodecs_status::NUMCODECS_INTERNAL
        }
    }
}

/// Like [`guard`] for functions that return a value instead of a status; `fallback` on panic.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The message of the most recent failed call on this thread.
///
/// Every fallible function sets it when it returns a status other than `NUMCODECS_OK` and clears it
/// (to `""`) when it succeeds. Never NULL.
///
/// @return A NUL-terminated string owned by the library, valid until the next libnumcodecs call on the
///         same thread. Copy it if you need to keep it.
///
/// Thread safety: each thread has its own message.
#[no_mangle]
pub extern "C" fn numcodecs_last_error() -> *const c_char {
    static EMPTY: &[u8] = b"\0";
    guard_value(EMPTY.as_ptr().cast(), || LAST_ERROR.with(|slot| slot.borrow().as_ptr()))
}

/// The library version, e.g. `"0.1.0"`, matching the `NUMCODECS_VERSION_*` macros of the header the
/// library was built with. Compare it with the macros to detect a header/library mismatch.
///
/// @return A static NUL-terminated string. Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn numcodecs_version() -> *const c_char {
    // Nothing here can panic; the guard is the house rule for every exported body.
    guard_value(std::ptr::null(), || concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast())
}

/// A static name for a status value, e.g. `"NUMCODECS_CORRUPT_DATA"`; `"NUMCODECS_UNKNOWN_STATUS"` for
/// values this version does not define. Takes an `int` so that any value is safe to pass.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn numcodecs_status_name(status: c_int) -> *const c_char {
    guard_value(std::ptr::null(), || status_name(status).as_ptr().cast())
}

fn status_name(status: c_int) -> &'static str {
    match status {
        0 => "NUMCODECS_OK\0",
        1 => "NUMCODECS_INVALID_ARGUMENT\0",
        2 => "NUMCODECS_INVALID_CONFIG\0",
        3 => "NUMCODECS_UNKNOWN_CODEC\0",
        4 => "NUMCODECS_BUFFER_TOO_SMALL\0",
        5 => "NUMCODECS_CORRUPT_DATA\0",
        6 => "NUMCODECS_UNSUPPORTED\0",
        7 => "NUMCODECS_SIZE_UNKNOWN\0",
        8 => "NUMCODECS_LIMIT_EXCEEDED\0",
        9 => "NUMCODECS_INTERNAL\0",
        _ => "NUMCODECS_UNKNOWN_STATUS\0",
    }
}

// ---- raw pointer helpers -------------------------------------------------------------------------

/// An input byte range from C: NULL is allowed only with length 0.
///
/// # Safety
/// If `ptr` is non-NULL it must point to `len` readable bytes that stay valid and unmodified for `'a`.
pub(crate) unsafe fn input_bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL but its length is {len}")));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid_argument(format!("{what} length {len} exceeds PTRDIFF_MAX")));
    }
    // SAFETY: non-NULL, length checked against isize::MAX; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An output byte range from C: NULL is allowed only with capacity 0.
///
/// # Safety
/// If `ptr` is non-NULL it must point to `cap` writable bytes, not aliased by anything else for `'a`.
pub(crate) unsafe fn output_bytes<'a>(ptr: *mut u8, cap: usize, what: &str) -> Result<&'a mut [u8], Error> {
    if cap == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL but its capacity is {cap}")));
    }
    if cap > isize::MAX as usize {
        return Err(Error::invalid_argument(format!("{what} capacity {cap} exceeds PTRDIFF_MAX")));
    }
    // SAFETY: non-NULL, length checked against isize::MAX; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, cap) })
}

/// Refuses an output range that overlaps an input range. Checked on the raw pointers, before any slice
/// exists: Rust may not even create a `&[u8]` and a `&mut [u8]` over the same bytes (miri reported it
/// when this check ran on the slices). NULL pointers are left to [`input_bytes`]/[`output_bytes`].
pub(crate) fn check_no_overlap(input: *const u8, input_len: usize, output: *const u8, output_len: usize) -> Result<(), Error> {
    if input_len == 0 || output_len == 0 || input.is_null() || output.is_null() {
        return Ok(());
    }
    let (a, b) = (input as usize, output as usize);
    if a < b.saturating_add(output_len) && b < a.saturating_add(input_len) {
        return Err(Error::invalid_argument("source and destination buffers overlap"));
    }
    Ok(())
}

/// Checks an out-parameter pointer (non-NULL, aligned) before any work is done.
pub(crate) fn check_out<T>(ptr: *mut T, what: &str) -> Result<(), Error> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    if !ptr.is_aligned() {
        return Err(Error::invalid_argument(format!("{what} is misaligned")));
    }
    Ok(())
}

/// Writes an out-parameter checked by [`check_out`].
///
/// # Safety
/// `ptr` must have passed [`check_out`] and point to writable memory for a `T`.
pub(crate) unsafe fn write_out<T>(ptr: *mut T, value: T) {
    // SAFETY: checked non-NULL and aligned by check_out; writability is the caller's contract.
    unsafe { ptr.write(value) }
}

/// Reads a NUL-terminated string of at most `max` bytes without trusting that a NUL exists beyond it.
///
/// # Safety
/// `ptr` must be non-NULL and point to a NUL-terminated string or to at least `max + 1` readable bytes.
pub(crate) unsafe fn bounded_c_str<'a>(ptr: *const c_char, max: usize, what: &str) -> Result<&'a str, Error> {
    let mut len = 0;
    // SAFETY: we read byte by byte and stop at the first NUL or after max bytes (caller's contract).
    while unsafe { *ptr.add(len) } != 0 {
        len += 1;
        if len > max {
            return Err(Error::invalid_argument(format!("{what} is longer than {max} bytes or not NUL-terminated")));
        }
    }
    // SAFETY: the len bytes before the NUL are readable.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|_| Error::invalid_argument(format!("{what} is not valid UTF-8")))
}
