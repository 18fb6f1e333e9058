//! Items given as two parallel arrays, one of pointers and one of lengths: the shape of C's
//! `numcodecs_encode_items(codec, items, lens, n, ...)`.
//!
//! The codecs read these arrays as they are. Turning a million (pointer, length) pairs into a
//! `Vec<&[u8]>` first cost about 30% of a json2 or msgpack2 item encode: a 16 MB allocation that is
//! page-faulted in on every call and then read back. The unsafe part is the promise, made once at
//! construction, that every pointer is readable for its length; after that, items come out as ordinary
//! slices. This module lives outside `codecs`, which forbids unsafe code, and the codecs see it only
//! through [`crate::codecs::Items::Pointers`].

use std::iter::Zip;
use std::slice;

/// `n` items, item `i` being `lens[i]` bytes at `pointers[i]`. A zero-length item's pointer may be
/// anything, NULL included.
#[derive(Debug, Clone, Copy)]
pub struct ItemPointers<'a> {
    pointers: &'a [*const u8],
    lens: &'a [usize],
    total_len: usize,
}

// SAFETY: an ItemPointers is a list of shared byte slices (`&'a [&'a [u8]]` in another layout), which
// may be sent and shared between threads; `new`'s contract forbids writes to them during 'a.
unsafe impl Send for ItemPointers<'_> {}
// SAFETY: as for Send.
unsafe impl Sync for ItemPointers<'_> {}

/// Why [`ItemPointers::new`] refused an item list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadItemList {
    /// The two arrays differ in length.
    LengthMismatch,
    /// Item `index` has a NULL pointer and a non-zero length, or a length over `isize::MAX`, or it ends
    /// past the end of the address space.
    BadItem { index: usize },
    /// The lengths add up to more than `usize::MAX` (only possible with overlapping items).
    TotalOverflow,
}

impl<'a> ItemPointers<'a> {
    /// Checks every item (non-NULL unless empty, a length that fits a slice) and returns the list with
    /// the smallest address range `(start, len)` holding every non-empty item, `(usize::MAX, 0)` if there is none. The range lets a caller refuse an overlapping output
    /// buffer with one comparison in the common case.
    ///
    /// # Safety
    /// For every `i` with `lens[i] > 0`, `pointers[i]` must point to `lens[i]` bytes that are readable
    /// and not written to for as long as `'a` lasts.
    pub unsafe fn new(pointers: &'a [*const u8], lens: &'a [usize]) -> Result<(Self, (usize, usize)), BadItemList> {
        if pointers.len() != lens.len() {
            return Err(BadItemList::LengthMismatch);
        }
        let (mut low, mut high, mut total) = (usize::MAX, 0usize, 0usize);
        let mut overflow = false;
        for (index, (&pointer, &len)) in pointers.iter().zip(lens).enumerate() {
            if len == 0 {
                continue;
            }
            let start = pointer as usize;
            let end = start.wrapping_add(len);
            // One branch for all three checks: NULL, a length past isize::MAX, wrapping past the end.
            if pointer.is_null() | (len > isize::MAX as usize) | (end < start) {
                return Err(BadItemList::BadItem { index });
            }
            low = low.min(start);
            high = high.max(end);
            let (sum, carried) = total.overflowing_add(len);
            total = sum;
            overflow |= carried;
        }
        if overflow {
            return Err(BadItemList::TotalOverflow);
        }
        Ok((ItemPointers { pointers, lens, total_len: total }, (low, high.saturating_sub(low))))
    }

    pub fn len(&self) -> usize {
        self.pointers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pointers.is_empty()
    }

    /// The lengths added up.
    pub fn total_len(&self) -> usize {
        self.total_len
    }

    /// Item `i`. Panics when `i >= len()`.
    pub fn get(&self, i: usize) -> &'a [u8] {
        // SAFETY: `new` checked the pointer and length, and its caller promised the bytes.
        unsafe { item(self.pointers[i], self.lens[i]) }
    }

    pub fn iter(&self) -> ItemPointersIter<'a> {
        ItemPointersIter { pairs: self.pointers.iter().zip(self.lens.iter()) }
    }
}

/// # Safety
/// `len == 0`, or `pointer` non-NULL with `len` readable bytes for 'a (what `ItemPointers::new` checks
/// and its caller promises).
#[inline(always)]
unsafe fn item<'a>(pointer: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        // A zero-length item's pointer may be NULL, which from_raw_parts does not allow.
        &[]
    } else {
        // SAFETY: the function's contract.
        unsafe { slice::from_raw_parts(pointer, len) }
    }
}

/// [`ItemPointers::iter`].
#[derive(Debug, Clone)]
pub struct ItemPointersIter<'a> {
    pairs: Zip<slice::Iter<'a, *const u8>, slice::Iter<'a, usize>>,
}

impl<'a> Iterator for ItemPointersIter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&pointer, &len) = self.pairs.next()?;
        // SAFETY: the pair comes from an ItemPointers, which `new` checked.
        Some(unsafe { item(pointer, len) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl ExactSizeIterator for ItemPointersIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_come_back_as_slices_and_empty_items_may_be_null() {
        let (a, b) = (b"abc".to_vec(), b"defgh".to_vec());
        let pointers = [a.as_ptr(), std::ptr::null(), b.as_ptr(), a.as_ptr()];
        let lens = [3, 0, 5, 0];
        // SAFETY: a and b outlive the list and are not written to.
        let (list, (start, len)) = unsafe { ItemPointers::new(&pointers, &lens) }.unwrap();
        assert_eq!(list.total_len(), 8);
        let (lo, hi) = ((a.as_ptr() as usize).min(b.as_ptr() as usize), (a.as_ptr() as usize + 3).max(b.as_ptr() as usize + 5));
        assert_eq!((start, len), (lo, hi - lo));
        let items: Vec<&[u8]> = list.iter().collect();
        assert_eq!(items, [&b"abc"[..], b"", b"defgh", b""]);
        assert_eq!(list.get(2), b"defgh");
        assert_eq!(list.len(), 4);
    }

    #[test]
    fn refuses_null_items_huge_lengths_and_mismatched_arrays() {
        let data = [1u8; 4];
        let check = |pointers: &[*const u8], lens: &[usize]| unsafe { ItemPointers::new(pointers, lens) }.map(|_| ()).unwrap_err();
        assert_eq!(check(&[data.as_ptr(), std::ptr::null()], &[4, 1]), BadItemList::BadItem { index: 1 });
        assert_eq!(check(&[data.as_ptr()], &[isize::MAX as usize + 1]), BadItemList::BadItem { index: 0 });
        assert_eq!(check(&[data.as_ptr()], &[4, 4]), BadItemList::LengthMismatch);
        let near_end = std::ptr::without_provenance::<u8>(usize::MAX - 2);
        assert_eq!(check(&[near_end], &[4]), BadItemList::BadItem { index: 0 });
    }

    #[test]
    fn no_items_has_an_empty_range() {
        let (list, span) = unsafe { ItemPointers::new(&[], &[]) }.unwrap();
        assert!(list.is_empty());
        assert_eq!((list.total_len(), span), (0, (usize::MAX, 0)));
    }
}
