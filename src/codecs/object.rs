//! Object codecs: codecs whose chunks hold a list of items (Python objects in numcodecs: `str`, `bytes`,
//! 1-D arrays) instead of a flat buffer of numbers. numcodecs gets an object array; we get the items in
//! one of three shapes and give them back in one:
//!
//! - [`Items`]: borrowed byte strings, either a list of slices ([`Items::List`]), C's parallel arrays of
//!   pointers and lengths ([`ItemPointers`]), or one data buffer with `n + 1` offsets, Arrow's layout
//!   ([`FlatItems`]);
//! - [`DecodedItems`]: the decoded items in that flat layout, one data allocation for all of them.
//!
//! What an item's bytes mean depends on the codec ([`ItemKind`]): UTF-8 text (`vlen-utf8`), arbitrary
//! bytes (`vlen-bytes`), or the raw element bytes of a 1-D array of the codec's dtype (`vlen-array`).
//! General object arrays (numbers, `None`, nested lists) travel as JSON ([`ObjectCodec::encode_json_items`]):
//! a string is a JSON string, a bytes item is `{"b64": "<base64>"}`, an array item a JSON list of numbers.

use std::fmt;

use serde_json::{Map, Value};

pub use crate::item_pointers::{BadItemList, ItemPointers, ItemPointersIter};

use super::base64::Base64;
use super::{ArrayInfo, Codec, DType, Error, Result};

/// What the bytes of one item are for a codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// UTF-8 text (numcodecs: `str`). Encoding refuses invalid UTF-8; decoding refuses it as corrupt.
    Utf8,
    /// Any bytes (numcodecs: `bytes`).
    Bytes,
    /// The elements of a 1-D array of this dtype, in the dtype's byte order (numcodecs: `ndarray`); an
    /// item's length is a multiple of the itemsize.
    Array(DType),
}

/// One data buffer and `n + 1` non-decreasing offsets into it: item `i` is `data[offsets[i]..offsets[i + 1]]`
/// (Arrow's variable-size binary layout; `offsets[0]` need not be 0).
#[derive(Debug, Clone, Copy)]
pub struct FlatItems<'a> {
    data: &'a [u8],
    offsets: &'a [usize],
}

impl<'a> FlatItems<'a> {
    /// Checks the layout: at least one offset, non-decreasing, the last within `data`.
    pub fn new(data: &'a [u8], offsets: &'a [usize]) -> Result<Self> {
        let Some(&last) = offsets.last() else {
            return Err(Error::invalid_argument("offsets must have n + 1 entries, at least one"));
        };
        if let Some(i) = offsets.windows(2).position(|pair| pair[0] > pair[1]) {
            return Err(Error::invalid_argument(format!(
                "offsets must not decrease, but offsets[{}] = {} > offsets[{}] = {}",
                i,
                offsets[i],
                i + 1,
                offsets[i + 1]
            )));
        }
        if last > data.len() {
            return Err(Error::invalid_argument(format!("the last offset {last} is past the end of the {}-byte data", data.len())));
        }
        Ok(FlatItems { data, offsets })
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `i` (`i < len()`).
    pub fn get(&self, i: usize) -> &'a [u8] {
        &self.data[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// Items to encode, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub enum Items<'a> {
    List(&'a [&'a [u8]]),
    Flat(FlatItems<'a>),
    /// Parallel arrays of pointers and lengths, read where they are (C's item lists).
    Pointers(ItemPointers<'a>),
}

impl<'a> Items<'a> {
    pub fn len(&self) -> usize {
        match self {
            Items::List(list) => list.len(),
            Items::Flat(flat) => flat.len(),
            Items::Pointers(list) => list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `i` (`i < len()`).
    pub fn get(&self, i: usize) -> &'a [u8] {
        match self {
            Items::List(list) => list[i],
            Items::Flat(flat) => flat.get(i),
            Items::Pointers(list) => list.get(i),
        }
    }

    /// The bytes of all items together.
    pub fn total_len(&self) -> usize {
        match self {
            Items::List(list) => list.iter().map(|item| item.len()).sum(),
            Items::Flat(flat) => flat.offsets[flat.len()] - flat.offsets[0],
            Items::Pointers(list) => list.total_len(),
        }
    }

    /// The items in order, without a bounds-checked lookup per item.
    pub fn iter(&self) -> ItemsIter<'a> {
        match *self {
            Items::List(list) => ItemsIter::List(list.iter()),
            Items::Flat(flat) => ItemsIter::Flat { data: flat.data, bounds: flat.offsets.windows(2) },
            Items::Pointers(list) => ItemsIter::Pointers(list.iter()),
        }
    }
}

/// [`Items::iter`]: one match per item, where a chain of the two shapes' iterators cost more than the
/// encoders' work on a short string.
#[derive(Debug, Clone)]
pub enum ItemsIter<'a> {
    List(std::slice::Iter<'a, &'a [u8]>),
    Flat { data: &'a [u8], bounds: std::slice::Windows<'a, usize> },
    Pointers(ItemPointersIter<'a>),
}

impl<'a> Iterator for ItemsIter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            ItemsIter::List(list) => list.next().copied(),
            ItemsIter::Flat { data, bounds } => bounds.next().map(|pair| &data[pair[0]..pair[1]]),
            ItemsIter::Pointers(list) => list.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            ItemsIter::List(list) => list.size_hint(),
            ItemsIter::Flat { bounds, .. } => bounds.size_hint(),
            ItemsIter::Pointers(list) => list.size_hint(),
        }
    }
}

/// Copies `src` into `dst` (of the same length). Items are mostly a few bytes, for which a call to
/// `memcpy` costs more than the copy: up to 16 bytes move as two overlapping fixed-size words or (below
/// 4) byte by byte.
#[inline(always)]
pub(crate) fn copy_short(dst: &mut [u8], src: &[u8]) {
    let len = src.len();
    if len >= 8 && len <= 16 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[len - 8..len].copy_from_slice(&src[len - 8..]);
    } else if len >= 4 && len < 8 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[len - 4..len].copy_from_slice(&src[len - 4..]);
    } else if len > 0 && len < 4 {
        // 1 to 3 bytes: first, middle and last (some the same byte).
        dst[0] = src[0];
        dst[len / 2] = src[len / 2];
        dst[len - 1] = src[len - 1];
    } else {
        dst.copy_from_slice(src);
    }
}

/// Checks that `bytes` are UTF-8 text, with the common all-ASCII case first (a word at a time, where
/// `from_utf8` walks short strings byte by byte).
#[inline]
pub fn is_utf8(bytes: &[u8]) -> bool {
    check_utf8(bytes).is_ok()
}

/// [`is_utf8`] with `from_utf8`'s error, which says where the text goes wrong.
#[inline]
pub fn check_utf8(bytes: &[u8]) -> std::result::Result<(), std::str::Utf8Error> {
    if is_ascii(bytes) {
        return Ok(());
    }
    check_non_ascii_utf8(bytes)
}

/// The rest of [`check_utf8`], out of line: the ASCII test above is what gets inlined into item loops.
#[inline(never)]
fn check_non_ascii_utf8(bytes: &[u8]) -> std::result::Result<(), std::str::Utf8Error> {
    std::str::from_utf8(bytes).map(|_| ())
}

/// The first and the last eight of `bytes` (8 to 16 of them) as little-endian words, which overlap when
/// there are fewer than 16: together they cover a short string without a loop.
#[inline(always)]
pub(crate) fn end_words(bytes: &[u8]) -> (u64, u64) {
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    (word(0), word(bytes.len() - 8))
}

/// `bytes` (1 to 7 of them) as one little-endian word, with spaces above them: ASCII, and never escaped
/// in JSON, so the padding changes no answer. Overlapping loads replace a byte loop, whose exit after a
/// string's length the branch predictor cannot guess.
#[inline(always)]
pub(crate) fn short_word(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let word = if len >= 4 {
        let low = u32::from_le_bytes(bytes[..4].try_into().unwrap_or_default()) as u64;
        let high = u32::from_le_bytes(bytes[len - 4..].try_into().unwrap_or_default()) as u64;
        low | high << (8 * (len - 4))
    } else {
        bytes[0] as u64 | (bytes[len / 2] as u64) << (8 * (len / 2)) | (bytes[len - 1] as u64) << (8 * (len - 1))
    };
    word | 0x2020_2020_2020_2020 << (8 * len)
}

/// `<[u8]>::is_ascii`, with strings of up to 16 bytes read as one or two words ([`short_word`],
/// [`end_words`]) instead of std's byte loop over the last `len % 8`, whose exit the branch predictor
/// cannot guess.
#[inline]
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if (8..=16).contains(&len) {
        let (first, last) = end_words(bytes);
        (first | last) & 0x8080_8080_8080_8080 == 0
    } else if len > 0 && len < 8 {
        short_word(bytes) & 0x8080_8080_8080_8080 == 0
    } else {
        bytes.is_ascii()
    }
}

/// Decoded items in the flat layout: `offsets` has `len() + 1` entries starting at 0, item `i` is
/// `data[offsets[i]..offsets[i + 1]]`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct DecodedItems {
    data: Vec<u8>,
    offsets: Vec<usize>,
}

impl DecodedItems {
    /// Room for `count` items of `data_len` bytes in all.
    pub fn with_capacity(count: usize, data_len: usize) -> Self {
        let mut offsets = Vec::with_capacity(count + 1);
        offsets.push(0);
        DecodedItems { data: Vec::with_capacity(data_len), offsets }
    }

    pub fn push(&mut self, item: &[u8]) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.data.extend_from_slice(item);
        self.offsets.push(self.data.len());
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes the last item and returns its bytes.
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        if self.len() == 0 {
            return None;
        }
        self.offsets.pop();
        let start = *self.offsets.last()?;
        Some(self.data.split_off(start))
    }

    /// Item `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let start = *self.offsets.get(i)?;
        let end = *self.offsets.get(i + 1)?;
        Some(&self.data[start..end])
    }

    /// All items' bytes, back to back.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// `len() + 1` offsets into [`DecodedItems::data`], the first 0.
    pub fn offsets(&self) -> &[usize] {
        if self.offsets.is_empty() {
            &[0]
        } else {
            &self.offsets
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Where a decode puts items, one after the other: a growing [`DecodedItems`] or the caller's buffers
/// ([`FlatItemsOut`]), so one decoding pass serves both.
pub trait ItemSink {
    fn push(&mut self, item: &[u8]);
    /// Items pushed so far.
    fn count(&self) -> usize;
    /// Takes the last item back and returns its bytes (`None` when there is none).
    fn pop(&mut self) -> Option<Vec<u8>>;
}

impl ItemSink for DecodedItems {
    #[inline]
    fn push(&mut self, item: &[u8]) {
        DecodedItems::push(self, item);
    }
    fn count(&self) -> usize {
        self.len()
    }
    fn pop(&mut self) -> Option<Vec<u8>> {
        DecodedItems::pop(self)
    }
}

/// Decoded items written straight into a caller's `data` and `offsets` (Arrow's layout, `offsets[0]` 0),
/// counting what does not fit: one pass decodes and sizes, and [`FlatItemsOut::finish`] tells which.
pub struct FlatItemsOut<'a> {
    data: &'a mut [u8],
    offsets: &'a mut [usize],
    count: usize,
    len: usize,
    /// Where the last item starts, for `pop`.
    last_start: usize,
    /// The last item that did not fit in `data`, for `pop`: the json2/msgpack2 documents end with their
    /// dtype string, read as an item and taken back, which an exactly sized `data` has no room for.
    spilled: Vec<u8>,
}

impl<'a> FlatItemsOut<'a> {
    pub fn new(data: &'a mut [u8], offsets: &'a mut [usize]) -> Self {
        if let Some(first) = offsets.first_mut() {
            *first = 0;
        }
        FlatItemsOut { data, offsets, count: 0, len: 0, last_start: 0, spilled: Vec::new() }
    }

    /// Whether everything pushed so far was written.
    pub fn fits(&self) -> bool {
        self.len <= self.data.len() && self.count < self.offsets.len()
    }

    /// `(count, data_len)`, or [`ErrorKind::BufferTooSmall`](super::ErrorKind) naming both sizes.
    pub fn finish(self, codec_id: &str) -> Result<(usize, usize)> {
        if !self.fits() {
            return Err(Error::new(
                super::ErrorKind::BufferTooSmall,
                format!(
                    "{codec_id}: {} decoded items need {} data bytes and {} offsets, got room for {} bytes and {} offsets",
                    self.count,
                    self.len,
                    self.count + 1,
                    self.data.len(),
                    self.offsets.len()
                ),
            ));
        }
        Ok((self.count, self.len))
    }
}

impl ItemSink for FlatItemsOut<'_> {
    #[inline]
    fn push(&mut self, item: &[u8]) {
        let end = self.len + item.len();
        match self.data.get_mut(self.len..end) {
            Some(room) => copy_short(room, item),
            None => {
                self.spilled.clear();
                self.spilled.extend_from_slice(item);
            }
        }
        self.last_start = self.len;
        self.len = end;
        self.count += 1;
        if let Some(slot) = self.offsets.get_mut(self.count) {
            *slot = end;
        }
    }
    fn count(&self) -> usize {
        self.count
    }
    fn pop(&mut self) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let item = self.data.get(self.last_start..self.len).map_or_else(|| std::mem::take(&mut self.spilled), <[u8]>::to_vec);
        self.count -= 1;
        self.len = self.last_start;
        self.last_start = match self.count {
            0 => 0,
            // Unknown when the offsets are full, which finish reports anyway (and no decoder pops twice).
            count => self.offsets.get(count - 1).copied().unwrap_or(self.len),
        };
        Some(item)
    }
}

impl fmt::Debug for DecodedItems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedItems").field("len", &self.len()).field("data_len", &self.data.len()).finish()
    }
}

/// The item-oriented side of an object codec (see the module documentation). A codec that has it returns
/// it from [`Codec::as_object`](super::Codec::as_object); its byte-oriented `encode`/`decode` refuse with
/// [`ErrorKind::Unsupported`](super::ErrorKind) and point here.
pub trait ObjectCodec: Send + Sync + fmt::Debug {
    /// What each item's bytes are.
    fn item_kind(&self) -> ItemKind;

    /// The encoded size of `items`: exact for an item codec; an upper bound for a chain whose item codec
    /// is followed by a compressor (what a compressor writes is known only by compressing).
    fn encoded_items_len(&self, items: Items) -> Result<usize>;

    /// A likely encoded size of `items`, found without encoding them: an allocating encode tries this
    /// size first and encodes again into the exact one only when it was short. Defaults to
    /// [`ObjectCodec::encoded_items_len`], for codecs that know the size cheaply.
    fn encoded_items_len_guess(&self, items: Items) -> Result<usize> {
        self.encoded_items_len(items)
    }

    /// Encodes `items` into `dst`, returning the encoded length; [`ErrorKind::BufferTooSmall`](super::ErrorKind)
    /// with the exact size when `dst` is too small.
    fn encode_items_into(&self, items: Items, dst: &mut [u8]) -> Result<usize>;

    /// Encodes `items` into a new vector (see [`encode_items_with`]).
    fn encode_items(&self, items: Items) -> Result<Vec<u8>> {
        let (mut out, len) = encode_items_with(self, items, |size| Ok(vec![0u8; size]))?;
        out.truncate(len);
        Ok(out)
    }

    /// The number of items in `src` and the total bytes of their data, after checking the framing (a
    /// later decode may still find an item invalid, e.g. not UTF-8).
    fn decoded_items_size(&self, src: &[u8]) -> Result<(usize, usize)>;

    /// Decodes every item of `src`.
    fn decode_items(&self, src: &[u8]) -> Result<DecodedItems>;

    /// Decodes into the caller's `data` and `offsets` (which receives `count + 1` entries starting at 0),
    /// returning `(count, data_len)`. [`ErrorKind::BufferTooSmall`](super::ErrorKind) when either is too
    /// small (nothing is decoded then; [`ObjectCodec::decoded_items_size`] tells the sizes).
    fn decode_items_into(&self, src: &[u8], data: &mut [u8], offsets: &mut [usize]) -> Result<(usize, usize)> {
        let (count, data_len) = self.decoded_items_size(src)?;
        if data.len() < data_len || offsets.len() < count + 1 {
            return Err(Error::new(
                super::ErrorKind::BufferTooSmall,
                format!(
                    "{count} decoded items need {data_len} data bytes and {} offsets, got room for {} bytes and {} offsets",
                    count + 1,
                    data.len(),
                    offsets.len()
                ),
            ));
        }
        let decoded = self.decode_items(src)?;
        data[..data_len].copy_from_slice(decoded.data());
        offsets[..count + 1].copy_from_slice(decoded.offsets());
        Ok((count, data_len))
    }

    /// Encodes items given as JSON values (see the module documentation for each kind's form).
    fn encode_json_items(&self, items: &[Value]) -> Result<Vec<u8>>;

    /// Decodes `src` into JSON values, the form [`ObjectCodec::encode_json_items`] takes.
    fn decode_json_items(&self, src: &[u8]) -> Result<Vec<Value>>;
}

/// A bytes item in the JSON bridge: `{"b64": "<base64>"}`, standard alphabet, padded.
pub fn bytes_to_json(bytes: &[u8]) -> Value {
    let mut map = Map::new();
    // Base64 output is ASCII and encoding bytes cannot fail below isize::MAX bytes.
    let text = Base64.encode(bytes, &ArrayInfo::default()).unwrap_or_default();
    map.insert("b64".into(), Value::String(String::from_utf8_lossy(&text).into_owned()));
    Value::Object(map)
}

/// The bytes of a JSON-bridge bytes item: `None` when `value` is not a one-key `{"b64": "..."}` object,
/// `Some(Err(why))` when its text is not strict base64.
pub fn json_to_bytes(value: &Value) -> Option<std::result::Result<Vec<u8>, String>> {
    let Value::Object(map) = value else {
        return None;
    };
    let (1, Some(Value::String(text))) = (map.len(), map.get("b64")) else {
        return None;
    };
    if !is_strict_base64(text) {
        return Some(Err("{\"b64\": ...} needs standard padded base64 (A-Z a-z 0-9 + /, = padding)".into()));
    }
    Some(Base64.decode(text.as_bytes()).map_err(|e| format!("bad base64: {}", e.message())))
}

/// RFC 4648 base64, standard alphabet, padded, nothing else: the JSON bridge is our own format, so it
/// takes no line breaks or stray characters (numcodecs' base64 codec, which skips them, is lenient).
fn is_strict_base64(text: &str) -> bool {
    let bytes = text.as_bytes();
    let data = bytes.strip_suffix(b"==").or_else(|| bytes.strip_suffix(b"=")).unwrap_or(bytes);
    bytes.len() % 4 == 0 && data.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Encodes `items` into a buffer `allocate` makes: first of [`ObjectCodec::encoded_items_len_guess`]
/// bytes, and only when that was short (escapes, indentation) again, of the exact size the failed attempt
/// reported. Returns the buffer and the encoded length; every allocating encode (the Rust one and the C
/// `_alloc` calls, which allocate memory C frees) goes through here.
pub fn encode_items_with<O, B>(object: &O, items: Items, mut allocate: impl FnMut(usize) -> Result<B>) -> Result<(B, usize)>
where
    O: ObjectCodec + ?Sized,
    B: AsMut<[u8]>,
{
    let mut buffer = allocate(object.encoded_items_len_guess(items)?)?;
    match object.encode_items_into(items, buffer.as_mut()) {
        Err(error) if error.kind() == super::ErrorKind::BufferTooSmall => {
            let needed = match error.needed() {
                Some(needed) => needed,
                None => object.encoded_items_len(items)?,
            };
            let mut buffer = allocate(needed)?;
            let len = object.encode_items_into(items, buffer.as_mut())?;
            Ok((buffer, len))
        }
        result => Ok((buffer, result?)),
    }
}

/// The error of a byte-oriented call on an object codec.
pub fn not_a_byte_codec(codec_id: &str) -> Error {
    Error::unsupported(format!(
        "{codec_id} is an object codec: its chunks hold items, not an array of numbers; use numcodecs_encode_items / \
         numcodecs_decode_items (or the _flat and _json_items forms)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_copies_and_ascii_checks_agree_with_std_at_every_length() {
        for len in 0..40 {
            let src: Vec<u8> = (0..len as u8).map(|i| b'a' + i % 26).collect();
            let mut dst = vec![0u8; len];
            copy_short(&mut dst, &src);
            assert_eq!(dst, src, "copy of {len} bytes");
            assert!(is_ascii(&src), "{len} ASCII bytes");
            for at in 0..len {
                let mut high = src.clone();
                high[at] = 0x80 | at as u8;
                assert!(!is_ascii(&high), "a high byte at {at} of {len}");
            }
        }
    }

    #[test]
    fn flat_items_validate_their_offsets() {
        let data = b"foobarbaz";
        let flat = FlatItems::new(data, &[2, 3, 3, 9]).unwrap();
        assert_eq!(flat.len(), 3);
        assert_eq!([flat.get(0), flat.get(1), flat.get(2)], [&b"o"[..], b"", b"barbaz"]);
        assert!(FlatItems::new(data, &[]).is_err());
        assert!(FlatItems::new(data, &[0, 4, 3]).unwrap_err().message().contains("offsets[1] = 4 > offsets[2] = 3"));
        assert!(FlatItems::new(data, &[0, 10]).unwrap_err().message().contains("past the end"));
        assert!(FlatItems::new(b"", &[0]).unwrap().is_empty());
    }

    #[test]
    fn decoded_items_keep_arrow_offsets() {
        let mut items = DecodedItems::with_capacity(3, 4);
        for item in [&b"ab"[..], b"", b"cd"] {
            items.push(item);
        }
        assert_eq!(items.len(), 3);
        assert_eq!(items.offsets(), &[0, 2, 2, 4]);
        assert_eq!(items.get(2), Some(&b"cd"[..]));
        assert_eq!(items.get(3), None);
        assert_eq!(DecodedItems::default().offsets(), &[0]);
        assert_eq!(DecodedItems::default().len(), 0);
    }
}
