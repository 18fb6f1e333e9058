//! Object codecs (`vlen-utf8`, `vlen-bytes`, `vlen-array`, `categorize` of `"|O"`, `pickle`) through the C ABI. numcodecs encodes NumPy
//! object arrays; C has none, so the items come in one of three shapes:
//!
//! - an item list: `n` pointers and `n` lengths (`numcodecs_encode_items`), decoded into a
//!   `numcodecs_items` handle that holds all items in one data allocation (`numcodecs_decode_items`);
//! - the flat form, Arrow's layout: one data buffer and `n + 1` offsets (`numcodecs_encode_flat`,
//!   `numcodecs_decode_flat`);
//! - JSON, for general object arrays (`numcodecs_encode_json_items`, `numcodecs_decode_json_items`).
//!
//! A codec chain whose first codec is an object codec (Zarr v2 string arrays: `{"filters": [{"id":
//! "vlen-utf8"}], "compressor": {...}}`) takes the same calls: the items are encoded, then compressed.
//!
//! The byte-oriented `numcodecs_encode`/`numcodecs_decode` refuse object codecs with
//! `NUMCODECS_UNSUPPORTED` and a message naming these functions; these refuse byte codecs the same way.

use std::ffi::{c_char, c_void};

use serde_json::Value;

use crate::codecs::object::encode_items_with;
use crate::codecs::{BadItemList, DecodedItems, Error, ErrorKind, FlatItems, ItemPointers, Items, ObjectCodec};

use super::alloc::OwnedBytes;
use super::codec::{codec_ref, numcodecs_codec};
use super::{check_no_overlap, check_out, guard, guard_value, input_bytes, numcodecs_status, output_bytes, write_out};

/// Decoded items, created by `numcodecs_decode_items` and freed by `numcodecs_items_free`: the items'
/// bytes back to back in one allocation, plus `count + 1` offsets into it.
///
/// Immutable: one handle may be read from any number of threads at once.
pub struct numcodecs_items {
    items: DecodedItems,
}

/// The object side of a codec handle, or `NUMCODECS_UNSUPPORTED` for byte codecs.
///
/// # Safety
/// `codec` must be NULL or a live handle.
unsafe fn object_codec<'a>(codec: *const numcodecs_codec) -> Result<&'a dyn ObjectCodec, Error> {
    // SAFETY: the caller's contract.
    let handle = unsafe { codec_ref(codec)? };
    handle.codec().as_object().ok_or_else(|| {
        Error::unsupported(format!(
            "{} is neither an object codec nor a chain starting with one: use numcodecs_encode / numcodecs_decode for its chunks",
            handle.codec().codec_id()
        ))
    })
}

/// Runs an item decode under the handle's decoded-size limit (`numcodecs_codec_set_max_decoded_size`),
/// as the byte decodes do.
///
/// # Safety
/// `codec` must be NULL or a live handle (the callers have checked it through `object_codec`).
unsafe fn decoding<T>(codec: *const numcodecs_codec, decode: impl FnOnce() -> T) -> T {
    // SAFETY: the caller's contract.
    match unsafe { codec.as_ref() } {
        Some(handle) => handle.decoding(|_| decode()),
        None => decode(),
    }
}

/// A C array of `count` elements: NULL is allowed only when `count` is 0.
///
/// # Safety
/// If `ptr` is non-NULL it must point to `count` readable, initialised `T`s valid for `'a`.
unsafe fn input_array<'a, T>(ptr: *const T, count: usize, what: &str) -> Result<&'a [T], Error> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL but the item count is {count}")));
    }
    if !ptr.is_aligned() {
        return Err(Error::invalid_argument(format!("{what} is misaligned")));
    }
    if count.checked_mul(size_of::<T>()).map_or(true, |bytes| bytes > isize::MAX as usize) {
        return Err(Error::invalid_argument(format!("{what} with {count} entries exceeds PTRDIFF_MAX bytes")));
    }
    // SAFETY: non-NULL, aligned, size bounded; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// The `n` items of an item list, read in place, with the smallest address range holding all non-empty
/// ones (for the overlap check: one comparison when the destination lies outside it, the common case).
///
/// # Safety
/// `items` and `lens` must follow `numcodecs_encode_items`' contract.
unsafe fn item_list<'a>(items: *const *const u8, lens: *const usize, n: usize) -> Result<ItemList<'a>, Error> {
    // SAFETY (all three): the caller's contract.
    let pointers = unsafe { input_array(items, n, "items")? };
    let lens = unsafe { input_array(lens, n, "lens")? };
    match unsafe { ItemPointers::new(pointers, lens) } {
        Ok((items, span)) => Ok(ItemList { items, span }),
        Err(BadItemList::BadItem { index }) => Err(bad_item(index, pointers[index], lens[index])),
        Err(BadItemList::TotalOverflow) => Err(Error::invalid_argument("the item lengths add up to more than SIZE_MAX")),
        Err(BadItemList::LengthMismatch) => Err(Error::internal("items and lens were read with different counts")),
    }
}

/// The error `input_bytes` gives for item `index`, named only on failure: formatting the name per item
/// would cost more than encoding.
#[cold]
fn bad_item(index: usize, ptr: *const u8, len: usize) -> Error {
    if !ptr.is_null() && len <= isize::MAX as usize {
        // The one refusal input_bytes does not make (and must not be asked about: it would build the slice).
        return Error::invalid_argument(format!("items[{index}]: {len} bytes at {ptr:p} run past the end of the address space"));
    }
    // SAFETY: input_bytes refuses this pointer and length before making a slice of them.
    match unsafe { input_bytes(ptr, len, "an item") } {
        Err(error) => error.context(&format!("items[{index}]")),
        Ok(_) => Error::internal("an item that input_bytes accepts was refused"),
    }
}

/// An item list from C and the address range (start, length) that holds all of its bytes.
struct ItemList<'a> {
    items: ItemPointers<'a>,
    span: (usize, usize),
}

impl ItemList<'_> {
    /// Refuses a destination that overlaps any item: checked against the span first, and only when the
    /// destination falls inside it (items scattered around it) item by item.
    fn check_no_overlap_with(&self, dst: *const u8, dst_cap: usize) -> Result<(), Error> {
        let (start, len) = self.span;
        if check_no_overlap(std::ptr::without_provenance(start), len, dst, dst_cap).is_ok() {
            return Ok(());
        }
        for item in self.items.iter() {
            check_no_overlap(item.as_ptr(), item.len(), dst, dst_cap)?;
        }
        Ok(())
    }
}

/// Encodes `items` into `dst` (with the needed size on BUFFER_TOO_SMALL).
///
/// # Safety
/// `dst_len` must have passed `check_out`; `dst` must hold `dst_cap` writable bytes, overlapping no item
/// (the callers check).
unsafe fn encode_into_dst(object: &dyn ObjectCodec, items: Items, dst: *mut u8, dst_cap: usize, dst_len: *mut usize) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    let dst = unsafe { output_bytes(dst, dst_cap, "dst")? };
    match object.encode_items_into(items, dst) {
        Ok(len) => {
            // SAFETY: checked by the caller.
            unsafe { write_out(dst_len, len) };
            Ok(())
        }
        Err(error) => {
            if let (ErrorKind::BufferTooSmall, Some(needed)) = (error.kind(), error.needed()) {
                // SAFETY: checked by the caller.
                unsafe { write_out(dst_len, needed) };
            }
            Err(error)
        }
    }
}

/// # Safety
/// `out` and `out_len` must have passed `check_out`.
unsafe fn encode_alloc(object: &dyn ObjectCodec, items: Items, out: *mut *mut u8, out_len: *mut usize) -> Result<(), Error> {
    let (mut buffer, written) = encode_items_with(object, items, OwnedBytes::zeroed)?;
    buffer.truncate(written)?;
    let (ptr, len) = buffer.into_raw();
    // SAFETY: both passed check_out.
    unsafe {
        write_out(out, ptr);
        write_out(out_len, len);
    }
    Ok(())
}

/// Encodes a list of items into the caller's buffer, producing exactly the bytes numcodecs writes for
/// the object array of these items.
///
/// Items are: UTF-8 text for `vlen-utf8` (invalid UTF-8 is refused), any bytes for `vlen-bytes`
/// (embedded NULs included), the raw elements of a 1-D array of the codec's dtype for `vlen-array`
/// (a whole number of elements each). An empty item is what numcodecs writes for `None`.
///
/// @param codec   An object codec, or a chain that starts with one (its other codecs then encode the
///                object codec's bytes); `numcodecs_encode` refuses them, this refuses byte codecs with
///                `NUMCODECS_UNSUPPORTED`.
/// @param items   `n` pointers to the items' bytes (NULL if `n` is 0); an item pointer may be NULL when its
///                length is 0.
/// @param lens    `n` item lengths in bytes (NULL if `n` is 0).
/// @param n       The number of items (at most 2^32 - 1; each item at most 2^32 - 1 bytes).
/// @param dst     Destination of `dst_cap` bytes; must not overlap any item.
/// @param dst_len Receives the encoded length on success, and the size needed on
///                `NUMCODECS_BUFFER_TOO_SMALL` (so a call with `dst_cap` 0 queries it; exact for an object
///                codec, and for a chain, which must compress to find out).
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (NULL pointers, invalid items, overlap),
///         `NUMCODECS_BUFFER_TOO_SMALL`, `NUMCODECS_LIMIT_EXCEEDED` or `NUMCODECS_UNSUPPORTED`.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode_items(
    codec: *const numcodecs_codec,
    items: *const *const u8,
    lens: *const usize,
    n: usize,
    dst: *mut u8,
    dst_cap: usize,
    dst_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(dst_len, "dst_len")?;
        let list = unsafe { item_list(items, lens, n)? };
        list.check_no_overlap_with(dst, dst_cap)?;
        unsafe { encode_into_dst(object, Items::Pointers(list.items), dst, dst_cap, dst_len) }
    })
}

/// Like `numcodecs_encode_items`, but allocates the output.
///
/// @param out     Receives the encoded bytes on success (never NULL then); free with `numcodecs_bytes_free`.
/// @param out_len Receives the encoded length on success.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode_items_alloc(
    codec: *const numcodecs_codec,
    items: *const *const u8,
    lens: *const usize,
    n: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(out, "out")?;
        check_out(out_len, "out_len")?;
        let list = unsafe { item_list(items, lens, n)? };
        unsafe { encode_alloc(object, Items::Pointers(list.items), out, out_len) }
    })
}

/// # Safety
/// As `numcodecs_encode_flat`'s contract for `data`, `data_len`, `offsets`, `n`.
unsafe fn flat_items<'a>(data: *const u8, data_len: usize, offsets: *const usize, n: usize) -> Result<FlatItems<'a>, Error> {
    let count = n.checked_add(1).ok_or_else(|| Error::invalid_argument("n is too large"))?;
    // SAFETY (both): the caller's contract.
    let data = unsafe { input_bytes(data, data_len, "data")? };
    let offsets = unsafe { input_array(offsets, count, "offsets")? };
    FlatItems::new(data, offsets)
}

/// Encodes items in the flat form (Arrow's layout): item `i` is `data[offsets[i]] .. data[offsets[i+1]]`.
/// Otherwise as `numcodecs_encode_items`.
///
/// @param data     The items' bytes (may be NULL if `data_len` is 0).
/// @param data_len Length of `data`.
/// @param offsets  `n + 1` non-decreasing byte offsets into `data`, the last at most `data_len` (the first
///                 need not be 0). Never NULL.
/// @param n        The number of items.
/// @param dst      Destination of `dst_cap` bytes; must not overlap `data`.
/// @param dst_len  Receives the encoded length on success, and the size needed on
///                 `NUMCODECS_BUFFER_TOO_SMALL` (as for `numcodecs_encode_items`).
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (also for decreasing or out-of-range offsets),
///         `NUMCODECS_BUFFER_TOO_SMALL`, `NUMCODECS_LIMIT_EXCEEDED` or `NUMCODECS_UNSUPPORTED`.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode_flat(
    codec: *const numcodecs_codec,
    data: *const u8,
    data_len: usize,
    offsets: *const usize,
    n: usize,
    dst: *mut u8,
    dst_cap: usize,
    dst_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(dst_len, "dst_len")?;
        check_no_overlap(data, data_len, dst, dst_cap)?;
        check_no_overlap(offsets.cast(), n.saturating_add(1).saturating_mul(size_of::<usize>()), dst, dst_cap)?;
        let flat = unsafe { flat_items(data, data_len, offsets, n)? };
        unsafe { encode_into_dst(object, Items::Flat(flat), dst, dst_cap, dst_len) }
    })
}

/// Like `numcodecs_encode_flat`, but allocates the output.
///
/// @param out     Receives the encoded bytes on success (never NULL then); free with `numcodecs_bytes_free`.
/// @param out_len Receives the encoded length on success.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode_flat_alloc(
    codec: *const numcodecs_codec,
    data: *const u8,
    data_len: usize,
    offsets: *const usize,
    n: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(out, "out")?;
        check_out(out_len, "out_len")?;
        let flat = unsafe { flat_items(data, data_len, offsets, n)? };
        unsafe { encode_alloc(object, Items::Flat(flat), out, out_len) }
    })
}

/// Decodes an encoded chunk of an object codec into a new items handle (all items in one allocation).
///
/// @param src     The encoded chunk (may be NULL if `src_len` is 0, which is corrupt for vlen codecs).
/// @param out     Receives the handle on success; read it with `numcodecs_items_count`,
///                `numcodecs_items_get` and `numcodecs_items_flat`, free it with `numcodecs_items_free`.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT`, `NUMCODECS_CORRUPT_DATA` (truncated header or item,
///         an item count the chunk cannot hold, invalid UTF-8 in a `vlen-utf8` item, a `vlen-array` item
///         that is not a whole number of elements), `NUMCODECS_LIMIT_EXCEEDED` or `NUMCODECS_UNSUPPORTED`.
///         Bytes after the last item are ignored, as numcodecs does.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decode_items(codec: *const numcodecs_codec, src: *const c_void, src_len: usize, out: *mut *mut numcodecs_items) -> numcodecs_status {
    guard(|| {
        // SAFETY (both): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(out, "out")?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        // SAFETY: object_codec checked the handle.
        let items = unsafe { decoding(codec, || object.decode_items(src)) }?;
        let handle = Box::new(numcodecs_items { items });
        // SAFETY: out passed check_out.
        unsafe { write_out(out, Box::into_raw(handle)) };
        Ok(())
    })
}

/// The number of items in a handle; 0 for NULL.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_items_count(items: *const numcodecs_items) -> usize {
    // SAFETY: the caller's contract: NULL or a live handle.
    guard_value(0, || unsafe { items.as_ref() }.map_or(0, |handle| handle.items.len()))
}

/// One item of a handle.
///
/// @param index Which item, below `numcodecs_items_count`.
/// @param data  Receives a pointer to the item's bytes, owned by the handle (valid until it is freed; not
///              NUL-terminated; non-NULL even for an empty item).
/// @param len   Receives the item's length in bytes.
/// @return `NUMCODECS_OK`, or `NUMCODECS_INVALID_ARGUMENT` for a NULL pointer or an index out of range.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_items_get(items: *const numcodecs_items, index: usize, data: *mut *const u8, len: *mut usize) -> numcodecs_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle.
        let handle = unsafe { items.as_ref() }.ok_or_else(|| Error::invalid_argument("items is NULL"))?;
        check_out(data, "data")?;
        check_out(len, "len")?;
        let item = handle
            .items
            .get(index)
            .ok_or_else(|| Error::invalid_argument(format!("index {index} is out of range for {} items", handle.items.len())))?;
        // SAFETY: both passed check_out.
        unsafe {
            write_out(data, item.as_ptr());
            write_out(len, item.len());
        }
        Ok(())
    })
}

/// All items of a handle in the flat form: item `i` is `data[offsets[i]] .. data[offsets[i+1]]`.
///
/// @param data     Receives the items' bytes, back to back (owned by the handle; non-NULL).
/// @param data_len Receives the total length of `data`.
/// @param offsets  Receives `count + 1` offsets (owned by the handle), the first 0 and the last `data_len`.
/// @return `NUMCODECS_OK` or `NUMCODECS_INVALID_ARGUMENT` (NULL pointers).
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_items_flat(items: *const numcodecs_items, data: *mut *const u8, data_len: *mut usize, offsets: *mut *const usize) -> numcodecs_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle.
        let handle = unsafe { items.as_ref() }.ok_or_else(|| Error::invalid_argument("items is NULL"))?;
        check_out(data, "data")?;
        check_out(data_len, "data_len")?;
        check_out(offsets, "offsets")?;
        // SAFETY: all three passed check_out.
        unsafe {
            write_out(data, handle.items.data().as_ptr());
            write_out(data_len, handle.items.data().len());
            write_out(offsets, handle.items.offsets().as_ptr());
        }
        Ok(())
    })
}

/// Frees an items handle. NULL is a no-op.
///
/// Thread safety: the caller must ensure no other thread still uses the handle or pointers from it.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_items_free(items: *mut numcodecs_items) {
    if items.is_null() {
        return;
    }
    // SAFETY: the caller's contract: a live handle from numcodecs_decode_items, freed once.
    guard_value((), || drop(unsafe { Box::from_raw(items) }))
}

/// The sizes `numcodecs_decode_flat` needs for a chunk, from one pass over its framing.
///
/// @param n_items  Receives the number of items (`offsets` needs one more entry).
/// @param data_len Receives the total bytes of the items.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT`, `NUMCODECS_CORRUPT_DATA` (bad framing; the item
///         contents, e.g. UTF-8, are checked only by decoding), `NUMCODECS_LIMIT_EXCEEDED` or
///         `NUMCODECS_UNSUPPORTED`.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decoded_items_size(
    codec: *const numcodecs_codec,
    src: *const c_void,
    src_len: usize,
    n_items: *mut usize,
    data_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (both): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(n_items, "n_items")?;
        check_out(data_len, "data_len")?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        // SAFETY: object_codec checked the handle.
        let (count, len) = unsafe { decoding(codec, || object.decoded_items_size(src)) }?;
        // SAFETY: both passed check_out.
        unsafe {
            write_out(n_items, count);
            write_out(data_len, len);
        }
        Ok(())
    })
}

/// Decodes into the caller's buffers in the flat form.
///
/// @param data        Destination of `data_cap` bytes for the items' bytes; must not overlap `src`.
/// @param offsets     Destination of `offsets_cap` entries; receives `n_items + 1` offsets, the first 0.
/// @param n_items     Receives the number of items on success, and on `NUMCODECS_BUFFER_TOO_SMALL`.
/// @param data_len    Receives the bytes written to `data` on success, and the bytes needed on
///                    `NUMCODECS_BUFFER_TOO_SMALL` (so `data_cap` 0 and `offsets_cap` 0 query both sizes).
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT`, `NUMCODECS_BUFFER_TOO_SMALL` (either buffer),
///         `NUMCODECS_CORRUPT_DATA`, `NUMCODECS_LIMIT_EXCEEDED` or `NUMCODECS_UNSUPPORTED`. On failure the
///         contents of `data` and `offsets` are unspecified.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decode_flat(
    codec: *const numcodecs_codec,
    src: *const c_void,
    src_len: usize,
    data: *mut u8,
    data_cap: usize,
    offsets: *mut usize,
    offsets_cap: usize,
    n_items: *mut usize,
    data_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (all): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(n_items, "n_items")?;
        check_out(data_len, "data_len")?;
        let offsets_bytes = offsets_cap.checked_mul(size_of::<usize>()).ok_or_else(|| Error::invalid_argument("offsets_cap is too large"))?;
        check_no_overlap(src.cast(), src_len, data, data_cap)?;
        check_no_overlap(src.cast(), src_len, offsets.cast(), offsets_bytes)?;
        check_no_overlap(data, data_cap, offsets.cast(), offsets_bytes)?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        let data = unsafe { output_bytes(data, data_cap, "data")? };
        let offsets = if offsets_cap == 0 {
            &mut [][..]
        } else {
            if offsets.is_null() {
                return Err(Error::invalid_argument(format!("offsets is NULL but offsets_cap is {offsets_cap}")));
            }
            if !offsets.is_aligned() || offsets_bytes > isize::MAX as usize {
                return Err(Error::invalid_argument("offsets is misaligned or offsets_cap exceeds PTRDIFF_MAX bytes"));
            }
            // SAFETY: non-NULL, aligned, bounded; offsets_cap writable entries is the caller's contract.
            unsafe { std::slice::from_raw_parts_mut(offsets, offsets_cap) }
        };
        // SAFETY: object_codec checked the handle.
        match unsafe { decoding(codec, || object.decode_items_into(src, data, offsets)) } {
            Ok((count, len)) => {
                // SAFETY: both passed check_out.
                unsafe {
                    write_out(n_items, count);
                    write_out(data_len, len);
                }
                Ok(())
            }
            Err(error) => {
                if error.kind() == ErrorKind::BufferTooSmall {
                    // SAFETY: object_codec checked the handle.
                    if let Ok((count, len)) = unsafe { decoding(codec, || object.decoded_items_size(src)) } {
                        // SAFETY: both passed check_out.
                        unsafe {
                            write_out(n_items, count);
                            write_out(data_len, len);
                        }
                    }
                }
                Err(error)
            }
        }
    })
}

/// Longest JSON text accepted by `numcodecs_encode_json_items`, a guard against runaway lengths.
const MAX_JSON_LEN: usize = 1 << 31;

/// Encodes items given as a JSON array, for general object arrays.
///
/// Items: `vlen-utf8` takes strings; `vlen-bytes` takes `{"b64": "<base64>"}` (standard alphabet, padded,
/// no whitespace); `vlen-array` takes lists
/// of numbers (integers in the dtype's range, `true`/`false` for bool; for floats any number or the
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"`; bool, integer, float32 and float64 dtypes only). `null`
/// writes an empty item, as numcodecs does for `None`, and so do `0`, `0.0` and `false` for
/// `vlen-utf8` and `vlen-bytes` (numcodecs' `o == 0`). `json2` and `msgpack2` take any JSON value as the
/// Python object it stands for (`null` is None, a number with a fraction or exponent a float), and
/// `msgpack2` `{"b64": "<base64>"}` as bytes.
///
/// @param json     UTF-8 JSON text holding one array; need not be NUL-terminated.
/// @param json_len Length of `json` in bytes.
/// @param out      Receives the encoded bytes on success; free with `numcodecs_bytes_free`.
/// @param out_len  Receives the encoded length on success.
/// @return `NUMCODECS_OK`, `NUMCODECS_INVALID_ARGUMENT` (malformed JSON, not an array, an item of the
///         wrong form), `NUMCODECS_LIMIT_EXCEEDED` or `NUMCODECS_UNSUPPORTED`.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_encode_json_items(
    codec: *const numcodecs_codec,
    json: *const c_char,
    json_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (both): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(out, "out")?;
        check_out(out_len, "out_len")?;
        if json_len > MAX_JSON_LEN {
            return Err(Error::limit(format!("JSON text of {json_len} bytes is over the limit of {MAX_JSON_LEN}")));
        }
        let text = unsafe { input_bytes(json.cast(), json_len, "json")? };
        let value: Value = serde_json::from_slice(text).map_err(|e| Error::invalid_argument(format!("items are not valid JSON: {e}")))?;
        let Value::Array(items) = value else {
            return Err(Error::invalid_argument("items JSON must be an array"));
        };
        let encoded = object.encode_json_items(&items)?;
        let mut buffer = OwnedBytes::zeroed(encoded.len())?;
        buffer.as_mut_slice().copy_from_slice(&encoded);
        let (ptr, len) = buffer.into_raw();
        // SAFETY: both passed check_out.
        unsafe {
            write_out(out, ptr);
            write_out(out_len, len);
        }
        Ok(())
    })
}

/// Decodes an encoded chunk into a JSON array of its items, in the form `numcodecs_encode_json_items`
/// takes (non-finite floats as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`).
///
/// @param out_json Receives the compact JSON text, NUL-terminated, on success; free with
///                 `numcodecs_bytes_free`.
/// @param out_len  Receives the JSON length without the NUL.
/// @return As `numcodecs_decode_items`.
///
/// Thread safety: safe from any thread, also concurrently on the same handle.
#[no_mangle]
pub unsafe extern "C" fn numcodecs_decode_json_items(
    codec: *const numcodecs_codec,
    src: *const c_void,
    src_len: usize,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> numcodecs_status {
    guard(|| {
        // SAFETY (both): see the function's contract.
        let object = unsafe { object_codec(codec)? };
        check_out(out_json, "out_json")?;
        check_out(out_len, "out_len")?;
        let src = unsafe { input_bytes(src.cast(), src_len, "src")? };
        // SAFETY: object_codec checked the handle.
        let text = Value::Array(unsafe { decoding(codec, || object.decode_json_items(src)) }?).to_string();
        let mut buffer = OwnedBytes::zeroed(text.len() + 1)?;
        buffer.as_mut_slice()[..text.len()].copy_from_slice(text.as_bytes());
        // The terminating NUL is the zeroed last byte; numcodecs_bytes_free releases the whole buffer.
        let (ptr, _) = buffer.into_raw();
        // SAFETY: both passed check_out.
        unsafe {
            write_out(out_json, ptr.cast());
            write_out(out_len, text.len());
        }
        Ok(())
    })
}
