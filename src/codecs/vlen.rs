//! `vlen-utf8`, `vlen-bytes` and `vlen-array`: numcodecs' `vlen.pyx` (parquet-style byte arrays).
//!
//! Wire format, the same for all three: a 4-byte little-endian item count, then for each item a 4-byte
//! little-endian byte length followed by that many bytes: UTF-8 text, raw bytes, or the elements of a 1-D
//! array of the codec's `dtype` in that dtype's byte order.
//!
//! numcodecs' behaviour we follow:
//! - encoding `None` (and, for utf8 and bytes, anything `== 0`: `0`, `0.0`, `False`) writes an empty
//!   item; only the JSON bridge can express these, the byte-item APIs pass empty items directly;
//! - decoding ignores bytes after the last item (numcodecs reads `count` items and stops);
//! - decoding refuses a truncated header or item (`corrupt buffer, data seem truncated`), an item that is
//!   not UTF-8 (vlen-utf8: `PyUnicode_FromStringAndSize` raises), and an item whose length is not a
//!   multiple of the itemsize (vlen-array: NumPy's `view` raises). We refuse all of them with
//!   [`ErrorKind::CorruptData`](super::ErrorKind), and a count larger than the bytes could hold before
//!   allocating anything (numcodecs would first allocate an object array of that many entries).
//! - `vlen-array`'s `dtype` is any NumPy dtype (`np.dtype(dtype)`; `null` means float64); `get_config()`
//!   prints `dtype.str`. Encoding refuses items that are not a whole number of elements.
//!
//! Limits: the count and each length are 32-bit fields, so more than 2³²−1 items or an item over 2³²−1
//! bytes is [`ErrorKind::LimitExceeded`](super::ErrorKind) (numcodecs silently truncates the count and
//! breaks on items of 2 GiB and more, whose lengths it keeps in a C `int`).

use serde_json::{Map, Value};

use super::object::{bytes_to_json, check_utf8, copy_short, json_to_bytes, not_a_byte_codec, DecodedItems, FlatItemsOut, ItemKind, ItemSink, Items, ObjectCodec};
use super::{check_decoded_size, config_map, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[
    ("vlen-utf8", |params| VLen::from_params(ItemKind::Utf8, params)),
    ("vlen-bytes", |params| VLen::from_params(ItemKind::Bytes, params)),
    ("vlen-array", |params| VLen::from_params(ItemKind::Array(DType::bytes()), params)),
];

/// Bytes of the item count and of each item's length.
const HEADER_LEN: usize = 4;

/// What the items are, without the dtype (see [`VLen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Utf8,
    Bytes,
    Array,
}

/// One of the three vlen codecs.
///
/// The item kind is kept as a field-less [`Shape`] plus a `dtype` that is always set (`|u1` unless
/// vlen-array), not as an [`ItemKind`]: the unused dtype bytes inside `ItemKind::Utf8` made release
/// builds branch on uninitialised memory in the encode loop, as valgrind reported through the C API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VLen {
    shape: Shape,
    dtype: DType,
}

impl VLen {
    fn from_params(kind: ItemKind, mut params: Params) -> Result<Box<dyn Codec>> {
        let kind = match kind {
            ItemKind::Array(_) => {
                // VLenArray.__init__(self, dtype): a required argument; np.dtype(None) is float64.
                let dtype = match params.take_raw("dtype") {
                    None => return Err(Error::invalid_config("vlen-array: dtype is required")),
                    Some(Value::Null) => DType::parse("<f8")?,
                    Some(Value::String(text)) => {
                        DType::parse(&text).map_err(|e| Error::invalid_config(format!("vlen-array: {}", e.message())))?
                    }
                    Some(other) => return Err(Error::invalid_config(format!("vlen-array: cannot interpret {other} as a data type"))),
                };
                ItemKind::Array(dtype)
            }
            other => other,
        };
        params.finish()?;
        Ok(Box::new(VLen::new(kind)))
    }

    /// A codec for items of `kind`, for Rust callers (same as the registry's constructors).
    pub fn new(kind: ItemKind) -> Self {
        match kind {
            ItemKind::Utf8 => VLen { shape: Shape::Utf8, dtype: DType::bytes() },
            ItemKind::Bytes => VLen { shape: Shape::Bytes, dtype: DType::bytes() },
            ItemKind::Array(dtype) => VLen { shape: Shape::Array, dtype },
        }
    }

    fn id(&self) -> &'static str {
        match self.shape {
            Shape::Utf8 => "vlen-utf8",
            Shape::Bytes => "vlen-bytes",
            Shape::Array => "vlen-array",
        }
    }

    /// The itemsize of vlen-array's dtype, refusing dtypes whose items cannot be cut into elements.
    fn element_size(&self, dtype: &DType) -> Result<usize> {
        if dtype.itemsize() == 0 || dtype.is_object() {
            return Err(Error::unsupported(format!("vlen-array: dtype {} has no fixed-size elements to store", dtype.typestr())));
        }
        Ok(dtype.itemsize())
    }

    /// Checks one item to encode (`index` for the message).
    fn check_item_to_encode(&self, index: usize, item: &[u8]) -> Result<()> {
        match self.shape {
            Shape::Bytes => Ok(()),
            Shape::Utf8 => check_utf8(item)
                .map_err(|e| Error::invalid_argument(format!("vlen-utf8: item {index} is not valid UTF-8: {e}"))),
            Shape::Array => {
                let dtype = &self.dtype;
                let size = self.element_size(dtype)?;
                if item.len() % size != 0 {
                    return Err(Error::invalid_argument(format!(
                        "vlen-array: item {index} has {} bytes, not a whole number of {} elements ({size} bytes each)",
                        item.len(),
                        dtype.typestr()
                    )));
                }
                Ok(())
            }
        }
    }

    /// Checks one decoded item: the errors numcodecs raises when it builds the Python object.
    fn check_decoded_item(&self, index: usize, item: &[u8]) -> Result<()> {
        match self.shape {
            Shape::Bytes => Ok(()),
            Shape::Utf8 => check_utf8(item)
                .map_err(|e| Error::corrupt(format!("vlen-utf8: item {index} is not valid UTF-8: {e}"))),
            Shape::Array => {
                let dtype = &self.dtype;
                let size = self.element_size(dtype)?;
                if item.len() % size != 0 {
                    return Err(Error::corrupt(format!(
                        "vlen-array: item {index} has {} bytes, not a whole number of {} elements",
                        item.len(),
                        dtype.typestr()
                    )));
                }
                Ok(())
            }
        }
    }

    /// Walks the framing of `src`, calling `visit(index, item)` for each item; returns (count, data_len).
    fn walk<'a>(&self, src: &'a [u8], mut visit: impl FnMut(usize, &'a [u8]) -> Result<()>) -> Result<(usize, usize)> {
        let id = self.id();
        let Some((count, mut rest)) = split_u32(src) else {
            return Err(Error::corrupt(format!("{id}: corrupt buffer, missing or truncated header ({} bytes)", src.len())));
        };
        let count = count as usize;
        // Each item takes at least its 4-byte length, so a count beyond this cannot be real; refusing it
        // here bounds every allocation by the input size.
        let room = rest.len() / HEADER_LEN;
        if count > room {
            return Err(Error::corrupt(format!(
                "{id}: corrupt buffer, the header claims {count} items but {} bytes hold at most {room}",
                src.len()
            )));
        }
        let mut data_len = 0usize;
        for index in 0..count {
            let Some((len, after)) = split_u32(rest) else {
                return Err(Error::corrupt(format!("{id}: corrupt buffer, data seem truncated (the length of item {index} is missing)")));
            };
            let len = len as usize;
            if len > after.len() {
                return Err(Error::corrupt(format!(
                    "{id}: corrupt buffer, data seem truncated (item {index} claims {len} bytes, {} are left)",
                    after.len()
                )));
            }
            let (item, next) = after.split_at(len);
            visit(index, item)?;
            data_len += len;
            rest = next;
        }
        check_decoded_size(id, data_len as u64)?;
        Ok((count, data_len))
    }

    /// One JSON value as item bytes (see the module documentation of [`super::object`]).
    fn json_to_item(&self, index: usize, value: &Value) -> Result<Vec<u8>> {
        let id = self.id();
        let bad = |expected: &str| Error::invalid_argument(format!("{id}: item {index} must be {expected}, got {}", short_json(value)));
        // numcodecs: `"" if o is None or o == 0 else o` (utf8, bytes); `None` only for arrays.
        let is_missing = match (self.shape, value) {
            (_, Value::Null) => true,
            (Shape::Array, _) => false,
            (_, Value::Bool(false)) => true,
            (_, Value::Number(n)) => n.as_f64() == Some(0.0),
            _ => false,
        };
        if is_missing {
            return Ok(Vec::new());
        }
        match (self.shape, value) {
            (Shape::Utf8, Value::String(text)) => Ok(text.as_bytes().to_vec()),
            (Shape::Utf8, _) => Err(bad("a string or null")),
            (Shape::Bytes, _) => match json_to_bytes(value) {
                Some(bytes) => bytes.map_err(|why| Error::invalid_argument(format!("{id}: item {index}: {why}"))),
                None => Err(bad("{\"b64\": \"<base64>\"} or null")),
            },
            (Shape::Array, Value::Array(elements)) => {
                let dtype = &self.dtype;
                let mut out = Vec::with_capacity(elements.len() * dtype.itemsize());
                for (position, element) in elements.iter().enumerate() {
                    push_element(dtype, element, &mut out).map_err(|e| e.context(&format!("{id}: item {index}, element {position}")))?;
                }
                Ok(out)
            }
            (Shape::Array, _) => Err(bad("a list of numbers or null")),
        }
    }

    /// One decoded item as JSON.
    fn item_to_json(&self, item: &[u8]) -> Result<Value> {
        Ok(match self.shape {
            // Checked by `check_decoded_item` before.
            Shape::Utf8 => Value::String(String::from_utf8_lossy(item).into_owned()),
            Shape::Bytes => bytes_to_json(item),
            Shape::Array => {
                let dtype = &self.dtype;
                let size = self.element_size(dtype)?;
                Value::Array(item.chunks_exact(size).map(|element| element_to_json(dtype, element)).collect::<Result<_>>()?)
            }
        })
    }
}

fn split_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<HEADER_LEN>()?;
    Some((u32::from_le_bytes(*head), rest))
}

fn short_json(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// The JSON strings that stand for the non-finite floats, which JSON numbers cannot express.
const NAN: &str = "NaN";
const INFINITY: &str = "Infinity";
const NEG_INFINITY: &str = "-Infinity";

/// Appends one JSON number as an element of `dtype` (bool, integers, float32/float64).
fn push_element(dtype: &DType, value: &Value, out: &mut Vec<u8>) -> Result<()> {
    let big = dtype.byte_order() == ByteOrder::Big;
    macro_rules! put {
        ($v:expr) => {{
            let v = $v;
            out.extend_from_slice(&if big { v.to_be_bytes() } else { v.to_le_bytes() });
        }};
    }
    let integer = |min: i128, max: i128| -> Result<i128> {
        let n = match value {
            Value::Number(n) => n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(n) => Err(Error::invalid_argument(format!("{n} is out of range for {}", dtype.typestr()))),
            None => Err(Error::invalid_argument(format!("expected an integer for {}, got {}", dtype.typestr(), short_json(value)))),
        }
    };
    match (dtype.kind(), dtype.itemsize()) {
        ('b', 1) => match value {
            Value::Bool(b) => out.push(*b as u8),
            _ => out.push(integer(0, 1)? as u8),
        },
        ('i', 1) => put!(integer(i8::MIN.into(), i8::MAX.into())? as i8),
        ('i', 2) => put!(integer(i16::MIN.into(), i16::MAX.into())? as i16),
        ('i', 4) => put!(integer(i32::MIN.into(), i32::MAX.into())? as i32),
        ('i', 8) => put!(integer(i64::MIN.into(), i64::MAX.into())? as i64),
        ('u', 1) => put!(integer(0, u8::MAX.into())? as u8),
        ('u', 2) => put!(integer(0, u16::MAX.into())? as u16),
        ('u', 4) => put!(integer(0, u32::MAX.into())? as u32),
        ('u', 8) => put!(integer(0, u64::MAX.into())? as u64),
        ('f', 4) => put!(float(dtype, value)? as f32),
        ('f', 8) => put!(float(dtype, value)?),
        _ => return Err(json_unsupported(dtype)),
    }
    Ok(())
}

fn float(dtype: &DType, value: &Value) -> Result<f64> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| Error::invalid_argument(format!("{n} is not a number"))),
        Value::String(s) if s == NAN => Ok(f64::NAN),
        Value::String(s) if s == INFINITY => Ok(f64::INFINITY),
        Value::String(s) if s == NEG_INFINITY => Ok(f64::NEG_INFINITY),
        _ => Err(Error::invalid_argument(format!(
            "expected a number (or \"NaN\", \"Infinity\", \"-Infinity\") for {}, got {}",
            dtype.typestr(),
            short_json(value)
        ))),
    }
}

fn json_unsupported(dtype: &DType) -> Error {
    Error::unsupported(format!(
        "vlen-array: the JSON bridge handles bool, integer, float32 and float64 elements, not {}; use the byte-item API",
        dtype.typestr()
    ))
}

/// One element of `dtype` as JSON (non-finite floats as the strings "NaN", "Infinity", "-Infinity").
fn element_to_json(dtype: &DType, bytes: &[u8]) -> Result<Value> {
    let big = dtype.byte_order() == ByteOrder::Big;
    macro_rules! get {
        ($t:ty) => {{
            let array = bytes.try_into().map_err(|_| Error::internal("element size"))?;
            if big {
                <$t>::from_be_bytes(array)
            } else {
                <$t>::from_le_bytes(array)
            }
        }};
    }
    Ok(match (dtype.kind(), dtype.itemsize()) {
        ('b', 1) => Value::Bool(bytes[0] != 0),
        ('i', 1) => Value::from(bytes[0] as i8),
        ('i', 2) => Value::from(get!(i16)),
        ('i', 4) => Value::from(get!(i32)),
        ('i', 8) => Value::from(get!(i64)),
        ('u', 1) => Value::from(bytes[0]),
        ('u', 2) => Value::from(get!(u16)),
        ('u', 4) => Value::from(get!(u32)),
        ('u', 8) => Value::from(get!(u64)),
        ('f', 4) => float_to_json(get!(f32) as f64),
        ('f', 8) => float_to_json(get!(f64)),
        _ => return Err(json_unsupported(dtype)),
    })
}

fn float_to_json(value: f64) -> Value {
    if value.is_nan() {
        Value::from(NAN)
    } else if value.is_infinite() {
        Value::from(if value > 0.0 { INFINITY } else { NEG_INFINITY })
    } else {
        Value::from(value)
    }
}

impl Codec for VLen {
    fn codec_id(&self) -> &str {
        self.id()
    }

    fn config(&self) -> Map<String, Value> {
        match self.shape {
            Shape::Array => config_map(self.id(), [("dtype", Value::from(self.dtype.typestr()))]),
            _ => config_map(self.id(), []),
        }
    }

    fn encode_bound(&self, _src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Err(not_a_byte_codec(self.id()))
    }

    fn encode(&self, _src: &[u8], _info: &ArrayInfo) -> Result<Vec<u8>> {
        Err(not_a_byte_codec(self.id()))
    }

    fn decoded_size(&self, _src: &[u8]) -> Result<usize> {
        Err(not_a_byte_codec(self.id()))
    }

    fn decode(&self, _src: &[u8]) -> Result<Vec<u8>> {
        Err(not_a_byte_codec(self.id()))
    }

    fn as_object(&self) -> Option<&dyn ObjectCodec> {
        Some(self)
    }
}

impl ObjectCodec for VLen {
    fn item_kind(&self) -> ItemKind {
        match self.shape {
            Shape::Utf8 => ItemKind::Utf8,
            Shape::Bytes => ItemKind::Bytes,
            Shape::Array => ItemKind::Array(self.dtype.clone()),
        }
    }

    fn encoded_items_len(&self, items: Items) -> Result<usize> {
        let id = self.id();
        if u32::try_from(items.len()).is_err() {
            return Err(Error::limit(format!("{id}: {} items do not fit the 32-bit item count", items.len())));
        }
        let mut total = HEADER_LEN;
        for (index, item) in items.iter().enumerate() {
            if u32::try_from(item.len()).is_err() {
                return Err(Error::limit(format!("{id}: item {index} has {} bytes, more than a 32-bit length can hold", item.len())));
            }
            total = total
                .checked_add(HEADER_LEN + item.len())
                .filter(|&total| total <= isize::MAX as usize)
                .ok_or_else(|| Error::limit(format!("{id}: the encoded size overflows")))?;
        }
        Ok(total)
    }

    fn encode_items_into(&self, items: Items, dst: &mut [u8]) -> Result<usize> {
        let len = self.encoded_items_len(items)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..len).ok_or_else(|| Error::buffer_too_small(len, capacity))?;
        // Sizes were checked to fit u32 by encoded_items_len.
        dst[..HEADER_LEN].copy_from_slice(&(items.len() as u32).to_le_bytes());
        let mut at = HEADER_LEN;
        for (index, item) in items.iter().enumerate() {
            self.check_item_to_encode(index, item)?;
            dst[at..at + HEADER_LEN].copy_from_slice(&(item.len() as u32).to_le_bytes());
            at += HEADER_LEN;
            copy_short(&mut dst[at..at + item.len()], item);
            at += item.len();
        }
        Ok(len)
    }

    /// Validates the items as decoding does (UTF-8, whole elements), so that a size query and the decode
    /// that follows it agree on whether the stream is corrupt (found by the items fuzz target).
    fn decoded_items_size(&self, src: &[u8]) -> Result<(usize, usize)> {
        self.walk(src, |index, item| self.check_decoded_item(index, item))
    }

    fn decode_items(&self, src: &[u8]) -> Result<DecodedItems> {
        // The data is at most the input, and the count was checked against the input's size by walk.
        let mut decoded = DecodedItems::with_capacity(src.len().saturating_sub(HEADER_LEN) / HEADER_LEN, src.len());
        self.walk(src, |index, item| {
            self.check_decoded_item(index, item)?;
            decoded.push(item);
            Ok(())
        })?;
        Ok(decoded)
    }

    /// One walk straight into the caller's buffers: the framing is checked to the end before the sizes are
    /// compared, so a corrupt stream is reported as such whatever the buffers.
    fn decode_items_into(&self, src: &[u8], data: &mut [u8], offsets: &mut [usize]) -> Result<(usize, usize)> {
        let mut out = FlatItemsOut::new(data, offsets);
        self.walk(src, |index, item| {
            self.check_decoded_item(index, item)?;
            out.push(item);
            Ok(())
        })?;
        out.finish(self.id())
    }

    fn encode_json_items(&self, items: &[Value]) -> Result<Vec<u8>> {
        let owned = items.iter().enumerate().map(|(index, value)| self.json_to_item(index, value)).collect::<Result<Vec<_>>>()?;
        let slices: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        self.encode_items(Items::List(&slices))
    }

    fn decode_json_items(&self, src: &[u8]) -> Result<Vec<Value>> {
        let mut values = Vec::new();
        self.walk(src, |index, item| {
            self.check_decoded_item(index, item)?;
            values.push(self.item_to_json(item)?);
            Ok(())
        })?;
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::ErrorKind;
    use serde_json::json;

    fn codec(config: &str) -> Box<dyn Codec> {
        super::super::codec_from_json(config).unwrap()
    }

    #[test]
    fn encodes_numcodecs_layout_and_decodes_it_back() {
        let utf8 = codec(r#"{"id":"vlen-utf8"}"#);
        let object = utf8.as_object().unwrap();
        let items: [&[u8]; 3] = [b"ab", b"", "\u{e9}".as_bytes()];
        let encoded = object.encode_items(Items::List(&items)).unwrap();
        assert_eq!(encoded, b"\x03\0\0\0\x02\0\0\0ab\0\0\0\0\x02\0\0\0\xc3\xa9");
        let decoded = object.decode_items(&encoded).unwrap();
        assert_eq!(decoded.iter().collect::<Vec<_>>(), items);
        assert_eq!(object.decoded_items_size(&encoded).unwrap(), (3, 4));
        // Trailing bytes after the last item are ignored, as numcodecs does.
        let mut padded = encoded.clone();
        padded.extend_from_slice(b"junk");
        assert_eq!(object.decode_items(&padded).unwrap(), decoded);
    }

    #[test]
    fn byte_oriented_calls_point_at_the_item_api() {
        let utf8 = codec(r#"{"id":"vlen-utf8"}"#);
        for error in [utf8.encode(b"x", &ArrayInfo::default()).unwrap_err(), utf8.decode(b"\0\0\0\0").unwrap_err()] {
            assert_eq!(error.kind(), ErrorKind::Unsupported);
            assert!(error.message().contains("numcodecs_encode_items"), "{}", error.message());
        }
        assert!(codec(r#"{"id":"zlib"}"#).as_object().is_none());
    }

    #[test]
    fn refuses_malformed_streams() {
        let bytes = codec(r#"{"id":"vlen-bytes"}"#);
        let object = bytes.as_object().unwrap();
        let cases: &[(&[u8], &str)] = &[
            (b"", "missing or truncated header"),
            (b"\x01\0\0", "missing or truncated header"),
            (b"\xff\xff\xff\xff\0\0\0\0", "claims 4294967295 items"),
            (b"\x02\0\0\0\x01\0\0\0a\0\0\0", "length of item 1 is missing"),
            (b"\x01\0\0\0\x05\0\0\0abcd", "item 0 claims 5 bytes, 4 are left"),
        ];
        for (src, message) in cases {
            let error = object.decode_items(src).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::CorruptData, "{src:?}");
            assert!(error.message().contains(message), "{src:?}: {}", error.message());
            assert_eq!(object.decode_json_items(src).unwrap_err().kind(), ErrorKind::CorruptData);
        }
        let utf8 = codec(r#"{"id":"vlen-utf8"}"#);
        let error = utf8.as_object().unwrap().decode_items(b"\x01\0\0\0\x01\0\0\0\xff").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CorruptData);
        let array = codec(r#"{"id":"vlen-array","dtype":"<i2"}"#);
        let error = array.as_object().unwrap().decode_items(b"\x01\0\0\0\x03\0\0\0abc").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn refuses_bad_items_to_encode() {
        let utf8 = codec(r#"{"id":"vlen-utf8"}"#);
        let error = utf8.as_object().unwrap().encode_items(Items::List(&[b"ok", b"\xed\xa0\x80"])).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().contains("item 1"));
        let array = codec(r#"{"id":"vlen-array","dtype":"<i4"}"#);
        let error = array.as_object().unwrap().encode_items(Items::List(&[b"abc"])).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn decode_into_reports_both_sizes() {
        let object_codec = codec(r#"{"id":"vlen-bytes"}"#);
        let object = object_codec.as_object().unwrap();
        let encoded = object.encode_items(Items::List(&[b"abc", b"\0", b""])).unwrap();
        let (mut data, mut offsets) = ([0u8; 4], [9usize; 4]);
        assert_eq!(object.decode_items_into(&encoded, &mut data, &mut offsets).unwrap(), (3, 4));
        assert_eq!((&data, offsets), (b"abc\0", [0, 3, 4, 4]));
        assert_eq!(object.decode_items_into(&encoded, &mut data[..3], &mut offsets).unwrap_err().kind(), ErrorKind::BufferTooSmall);
        assert_eq!(object.decode_items_into(&encoded, &mut data, &mut offsets[..3]).unwrap_err().kind(), ErrorKind::BufferTooSmall);
        let mut small = [0u8; 10];
        let error = object.encode_items_into(Items::List(&[b"abc"]), &mut small).unwrap_err();
        assert_eq!((error.kind(), error.needed()), (ErrorKind::BufferTooSmall, Some(11)));
    }

    #[test]
    fn json_bridge_follows_numcodecs_normalisation() {
        let utf8 = codec(r#"{"id":"vlen-utf8"}"#);
        let object = utf8.as_object().unwrap();
        let encoded = object.encode_json_items(&[json!(null), json!(0), json!(false), json!(0.0), json!("a")]).unwrap();
        assert_eq!(encoded, b"\x05\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0a");
        assert_eq!(object.decode_json_items(&encoded).unwrap(), [json!(""), json!(""), json!(""), json!(""), json!("a")]);
        assert!(object.encode_json_items(&[json!(1)]).is_err());

        let bytes = codec(r#"{"id":"vlen-bytes"}"#);
        let object = bytes.as_object().unwrap();
        let encoded = object.encode_json_items(&[json!({"b64": "AGE="}), json!(null)]).unwrap();
        assert_eq!(encoded, b"\x02\0\0\0\x02\0\0\0\0a\0\0\0\0");
        assert_eq!(object.decode_json_items(&encoded).unwrap(), [json!({"b64": "AGE="}), json!({"b64": ""})]);
        assert!(object.encode_json_items(&[json!("text")]).is_err());
        for bad in ["AGE", "AG E=", "AGE=\n", "A===", "!!!!"] {
            assert!(object.encode_json_items(&[json!({"b64": bad})]).is_err(), "{bad}");
        }

        let array = codec(r#"{"id":"vlen-array","dtype":">i2"}"#);
        let object = array.as_object().unwrap();
        let encoded = object.encode_json_items(&[json!([1, -2]), json!(null), json!([])]).unwrap();
        assert_eq!(encoded, b"\x03\0\0\0\x04\0\0\0\0\x01\xff\xfe\0\0\0\0\0\0\0\0");
        assert_eq!(object.decode_json_items(&encoded).unwrap(), [json!([1, -2]), json!([]), json!([])]);
        for bad in [json!([70000]), json!([1.5]), json!(5), json!([[1]])] {
            assert_eq!(object.encode_json_items(&[bad]).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }

        let floats = codec(r#"{"id":"vlen-array","dtype":"<f4"}"#);
        let object = floats.as_object().unwrap();
        let items = [json!([0.5, "NaN", "-Infinity", 1e30])];
        let decoded = object.decode_json_items(&object.encode_json_items(&items).unwrap()).unwrap();
        assert_eq!(decoded, [json!([0.5, "NaN", "-Infinity", 1e30f32 as f64])]);
    }

    #[test]
    fn vlen_array_config_is_numpy_dtype_str() {
        assert_eq!(codec(r#"{"id":"vlen-array","dtype":"int16"}"#).config_json(), r#"{"id":"vlen-array","dtype":"<i2"}"#);
        assert_eq!(codec(r#"{"id":"vlen-array","dtype":null}"#).config_json(), r#"{"id":"vlen-array","dtype":"<f8"}"#);
        assert_eq!(codec(r#"{"id":"vlen-utf8"}"#).config_json(), r#"{"id":"vlen-utf8"}"#);
        for bad in [r#"{"id":"vlen-array"}"#, r#"{"id":"vlen-array","dtype":5}"#, r#"{"id":"vlen-array","dtype":"foo"}"#, r#"{"id":"vlen-bytes","x":1}"#] {
            assert_eq!(super::super::codec_from_json(bad).unwrap_err().kind(), ErrorKind::InvalidConfig, "{bad}");
        }
    }
}
