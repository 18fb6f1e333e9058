//! Buffers returned by the `_alloc` functions. Each allocation carries its own length in a 16-byte
//! header, so `numcodecs_bytes_free` never has to trust the length a caller passes back, and the data is
//! 16-byte aligned like `malloc`'s, so callers may read it as any numeric type.

use std::alloc::{alloc_zeroed, dealloc, realloc, Layout};

use crate::codecs::Error;

use super::guard_value;

const HEADER: usize = 16;
const ALIGN: usize = 16;

fn layout(len: usize) -> Result<Layout, Error> {
    len.checked_add(HEADER)
        .and_then(|total| Layout::from_size_align(total, ALIGN).ok())
        .ok_or_else(|| Error::limit(format!("cannot allocate {len} bytes")))
}

/// A zero-filled buffer of `len` bytes owned by us until handed to C (or dropped).
pub(crate) struct OwnedBytes {
    data: *mut u8,
    len: usize,
}

impl OwnedBytes {
    pub(crate) fn zeroed(len: usize) -> Result<Self, Error> {
        let layout = layout(len)?;
        // SAFETY: layout has a non-zero size (HEADER > 0).
        let base = unsafe { alloc_zeroed(layout) };
        if base.is_null() {
            return Err(Error::limit(format!("out of memory allocating {len} bytes")));
        }
        // SAFETY: base is valid for HEADER + len bytes and 16-aligned; the header stores the length.
        unsafe {
            base.cast::<usize>().write(len);
            Ok(OwnedBytes { data: base.add(HEADER), len })
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: data is valid for len initialised (zeroed) bytes, exclusively ours.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }

    /// Shrinks to `new_len` bytes (`new_len <= len`), releasing the unused tail.
    pub(crate) fn truncate(&mut self, new_len: usize) -> Result<(), Error> {
        if new_len >= self.len {
            return Ok(());
        }
        // SAFETY: data - HEADER is the base we allocated with layout(self.len); the new size is smaller.
        unsafe {
            let base = self.data.sub(HEADER);
            let new_base = realloc(base, layout(self.len)?, new_len + HEADER);
            if new_base.is_null() {
                return Err(Error::limit("out of memory while shrinking a buffer"));
            }
            new_base.cast::<usize>().write(new_len);
            self.data = new_base.add(HEADER);
        }
        self.len = new_len;
        Ok(())
    }

    /// Hands the buffer to C; it must come back through `numcodecs_bytes_free`.
    pub(crate) fn into_raw(self) -> (*mut u8, usize) {
        let parts = (self.data, self.len);
        std::mem::forget(self);
        parts
    }
}

impl AsMut<[u8]> for OwnedBytes {
    fn as_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl Drop for OwnedBytes {
    fn drop(&mut self) {
        // SAFETY: we own the allocation made with layout(self.len).
        unsafe { release(self.data) }
    }
}

/// # Safety
/// `data` must come from [`OwnedBytes`] and not have been released yet.
unsafe fn release(data: *mut u8) {
    // SAFETY: the header before `data` holds the length the allocation was made for.
    unsafe {
        let base = data.sub(HEADER);
        let len = base.cast::<usize>().read();
        if let Ok(layout) = layout(len) {
            dealloc(base, layout);
        }
    }
}

/// Frees a buffer returned by `numcodecs_encode_alloc`, `numcodecs_decode_alloc` or another `_alloc`
/// function. NULL is a no-op.
///
/// @param ptr The buffer pointer the `_alloc` call returned.
/// @param len The length the `_alloc` call returned. The library records each buffer's length itself,
///            so this is informational; pass the value you were given.
///
/// Thread safety: any thread may free a buffer, but each buffer exactly once.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_bytes_free(ptr: *mut u8, len: usize) {
    let _ = len;
    if ptr.is_null() {
        return;
    }
    // SAFETY: the caller's contract: ptr came from one of our _alloc functions and is freed once.
    guard_value((), || unsafe { release(ptr) })
}
