//! `json2` and `msgpack2`: numcodecs' JSON and MsgPack codecs (numcodecs/json.py, numcodecs/msgpacks.py).
//!
//! Both write a whole NumPy array as one document: `buf.tolist()` (nested lists, one level per
//! dimension, of Python scalars or, for object arrays, of the objects), then `buf.dtype.str` and
//! `list(buf.shape)` appended as the last two elements:
//!
//! ```text
//! json2     [[1.5,2.0],[3.0,1e+16],"<f8",[2,2]]        ["a","\u00e9","|O",[2]]
//! msgpack2  fixarray(4) [..] [..] str("<f8") [2, 2]      (msgpack-python's packb)
//! ```
//!
//! Decoding reads the trailer, builds an array of that dtype and shape and fills it from the elements.
//! So the codecs have two sides here:
//! - object codecs ([`ObjectCodec`]): string arrays as UTF-8 items (`dtype` `|O`, 1-D), and general
//!   object arrays (numbers, `None`, strings, nested lists, dicts, bytes for msgpack2) through the JSON
//!   bridge. Decoding flattens an array of any shape in C order.
//! - byte codecs ([`Codec::encode`] with the array's dtype and shape) for bool, integer and float arrays,
//!   written exactly as numcodecs writes them (Python's float repr, msgpack's smallest int forms); decode
//!   gives the raw array and [`Codec::decoded_info`] its dtype and shape from the trailer.
//!
//! The two formats share everything but the syntax: an [`Emitter`] writes Python values the way
//! `json.JSONEncoder` or `msgpack.Packer` does, a [`Reader`] reads them back as a token stream the way
//! `json.JSONDecoder` or `msgpack.unpackb` does. Decoding makes two passes over the input without building
//! a tree: the first checks the whole document and finds the trailer, the second walks the elements
//! against the trailer's shape, writing each leaf straight to its destination. Memory is therefore the
//! output plus a stack bounded by [`MAX_DEPTH`], and nothing is allocated from a claimed size before
//! the input proved it (a shape must have at most one element per input byte).

mod json;
mod msgpack;

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Number, Value};

use super::elements::{double_to_half_bits, half_to_double_bits, Kind};
use super::object::{bytes_to_json, copy_short, is_utf8, json_to_bytes, DecodedItems, FlatItemsOut, ItemKind, ItemSink, Items, ObjectCodec};
use super::{check_decoded_size, copy_into, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};

use json::Json;
/// Python's `repr` of a finite float, which pickle's protocol 0 writes too.
pub(crate) use json::write_python_float;
use msgpack::MsgPack;

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[
    ("json2", |params| Ok(Box::new(Structured(Json::from_params(params)?)))),
    ("msgpack2", |params| Ok(Box::new(Structured(MsgPack::from_params(params)?)))),
];

/// Deepest nesting of lists and dicts a decoder follows (Python's json stops near 1000 with a
/// RecursionError, msgpack-python at 1024); an array of NumPy's 64 dimensions needs 65.
pub const MAX_DEPTH: usize = 512;

/// Most dimensions of a decoded array (NumPy's limit).
const MAX_NDIM: usize = 64;

/// The dtype numcodecs writes for the item APIs' arrays.
const OBJECT_DTYPE: &str = "|O";

// ---- output -----------------------------------------------------------------------------------------

/// Where encoded bytes go: a growing vector, or a caller's slice that counts what does not fit.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
    fn put_byte(&mut self, byte: u8);
    /// `head`, `body` and `tail` one after the other: a short item with its framing (separator and
    /// quotes, or a msgpack header), which a slice sink bounds-checks once.
    #[inline]
    fn put_parts(&mut self, head: &[u8], body: &[u8], tail: &[u8]) {
        self.put(head);
        self.put(body);
        self.put(tail);
    }
}

impl Sink for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        self.push(byte);
    }
}

/// Writes into `dst` while the output fits and counts all of it, so one pass gives the bytes or the size a
/// larger buffer needs; an empty `dst` only counts.
pub(crate) struct SliceSink<'a> {
    dst: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    pub(crate) fn new(dst: &'a mut [u8]) -> Self {
        SliceSink { dst, len: 0 }
    }
    pub(crate) fn counter() -> SliceSink<'static> {
        SliceSink { dst: &mut [], len: 0 }
    }
    /// The bytes written, or [`ErrorKind::BufferTooSmall`] with the size needed.
    fn finish(self) -> Result<usize> {
        if self.len > self.dst.len() {
            return Err(Error::buffer_too_small(self.len, self.dst.len()));
        }
        Ok(self.len)
    }
}

impl Sink for SliceSink<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(room) = self.dst.get_mut(self.len..end) {
            copy_short(room, bytes);
        }
        self.len = end;
    }
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        if let Some(slot) = self.dst.get_mut(self.len) {
            *slot = byte;
        }
        self.len += 1;
    }
    #[inline]
    fn put_parts(&mut self, head: &[u8], body: &[u8], tail: &[u8]) {
        let end = self.len + head.len() + body.len() + tail.len();
        if let Some(room) = self.dst.get_mut(self.len..end) {
            let (head_room, rest) = room.split_at_mut(head.len());
            let (body_room, tail_room) = rest.split_at_mut(body.len());
            copy_short(head_room, head);
            copy_short(body_room, body);
            copy_short(tail_room, tail);
        }
        self.len = end;
    }
}

/// Writes Python values the way one format's encoder does. Lists and dicts are written as `open`,
/// then per entry `item`/`key` (which write the separators) and the value, then `close`.
pub(crate) trait Emitter {
    fn open_list<S: Sink>(&mut self, out: &mut S, len: usize) -> Result<()>;
    /// Before the list entry `index` (separators, indentation).
    fn item<S: Sink>(&mut self, out: &mut S, index: usize);
    fn close_list<S: Sink>(&mut self, out: &mut S, len: usize);
    fn open_dict<S: Sink>(&mut self, out: &mut S, len: usize) -> Result<()>;
    /// Dict entry `index`'s key, up to where its value starts.
    fn key<S: Sink>(&mut self, out: &mut S, index: usize, key: &str) -> Result<()>;
    fn close_dict<S: Sink>(&mut self, out: &mut S, len: usize);
    fn none<S: Sink>(&mut self, out: &mut S);
    fn boolean<S: Sink>(&mut self, out: &mut S, value: bool);
    /// A Python int (NumPy's integers and the JSON bridge's fit `i128`).
    fn int<S: Sink>(&mut self, out: &mut S, value: i128) -> Result<()>;
    fn float<S: Sink>(&mut self, out: &mut S, value: f64) -> Result<()>;
    /// A str; `value` is UTF-8 (the callers check).
    fn string<S: Sink>(&mut self, out: &mut S, value: &[u8]) -> Result<()>;
    /// List entry `index`, separators included, holding the str `value`, which nobody has checked yet:
    /// `Ok(false)`, with nothing written, when it is not UTF-8. The emitters' fast paths for the short
    /// ASCII strings of an object array start here.
    #[inline]
    fn str_item<S: Sink>(&mut self, out: &mut S, index: usize, value: &[u8]) -> Result<bool> {
        checked_str_item(self, out, index, value)
    }
    fn bytes<S: Sink>(&mut self, out: &mut S, value: &[u8]) -> Result<()>;
    /// json's `sort_keys`.
    fn sorts_keys(&self) -> bool;
    /// Whether the JSON bridge's `{"b64": ...}` stands for Python bytes (msgpack has them, JSON does not:
    /// there it is a dict like any other).
    fn has_bytes(&self) -> bool;
}

// ---- input ------------------------------------------------------------------------------------------

/// One step of a [`Reader`]: a list or dict opens, the innermost open one ends, or a scalar (read it
/// with [`Reader::scalar`]). A dict yields its key and value alternately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    List,
    Dict,
    End,
    Scalar,
}

/// A decoded Python scalar, borrowed from the input or the reader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'s> {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    /// A str's UTF-8 (the readers check it).
    Str(&'s [u8]),
    Bytes(&'s [u8]),
    /// A msgpack string read with `raw=True`: Python bytes, but written as text.
    RawStr(&'s [u8]),
}

/// Reads one document as tokens, checking its syntax as the Python decoder does.
pub(crate) trait Reader: Sized {
    fn next(&mut self) -> Result<Token>;
    /// The last [`Token::Scalar`]'s value.
    fn scalar(&self) -> Scalar<'_>;
    /// Where the last token's value starts in the input.
    fn offset(&self) -> usize;
    /// A reader of the single value at `offset` of the same input.
    fn at(&self, offset: usize) -> Self;
    /// After the top-level value: only what the decoder allows after it (JSON: whitespace) may follow.
    fn finish(&mut self) -> Result<()>;
}

/// One format: its options, encoder and decoder.
pub(crate) trait Dialect: fmt::Debug + Send + Sync + 'static {
    const ID: &'static str;
    type Emitter<'e>: Emitter
    where
        Self: 'e;
    type Reader<'a>: Reader
    where
        Self: 'a;
    fn config(&self) -> Map<String, Value>;
    fn emitter(&self) -> Self::Emitter<'_>;
    /// The input as the reader takes it (json2: text decoded from its encoding).
    fn prepare<'a>(&self, src: &'a [u8]) -> Result<Cow<'a, [u8]>>;
    /// A reader of `input` (json2: checks that it is UTF-8, once for the whole decode).
    fn reader<'a>(&'a self, input: &'a [u8]) -> Result<Self::Reader<'a>>;
    /// An upper bound of the encoded size of `units` values, each a scalar, a list bracket or trailer
    /// entry, in lists nested `depth` deep.
    fn bound(&self, units: usize, depth: usize) -> Option<usize>;
    /// numcodecs' json2 encodes a 0-d array (`np.atleast_1d`), msgpack2 cannot (`tolist()` gives a scalar).
    fn encodes_zero_dim(&self) -> bool;
}

fn corrupt<D: Dialect>(message: impl fmt::Display) -> Error {
    Error::corrupt(format!("{}: {message}", D::ID))
}

fn unsupported<D: Dialect>(message: impl fmt::Display) -> Error {
    Error::unsupported(format!("{}: {message}", D::ID))
}

// ---- the codec --------------------------------------------------------------------------------------

/// `json2` or `msgpack2` (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Structured<D: Dialect>(pub D);

/// The numeric dtypes the byte side handles: what `tolist()` turns into Python bools, ints and floats
/// and NumPy turns back without loss.
fn numeric_kind(dtype: &DType) -> Option<Kind> {
    Kind::from_numpy(dtype.kind(), dtype.itemsize())
}

/// The element kind of an array to encode: strings, bytes and datetimes, which numcodecs writes (as str,
/// bytes, ints), are unsupported here; complex, void and float128 arrays, which it cannot write faithfully
/// either (complex is no JSON or msgpack type, float128 loses digits in `tolist()`), are invalid.
fn kind_to_encode<D: Dialect>(dtype: &DType) -> Result<Kind> {
    if dtype.is_object() {
        return Err(Error::invalid_argument(format!(
            "{}: an object array (dtype \"|O\") is encoded with numcodecs_encode_items or numcodecs_encode_json_items",
            D::ID
        )));
    }
    numeric_kind(dtype).ok_or_else(|| {
        let message = format!("{}: encodes bool, integer and float16/32/64 arrays as raw bytes, not {}", D::ID, dtype.typestr());
        match dtype.kind() {
            'S' | 'U' | 'M' | 'm' => Error::unsupported(message),
            _ => Error::invalid_argument(message),
        }
    })
}

/// The element kind of a decoded array: what the trailer names must be one of ours.
fn kind_to_decode<D: Dialect>(dtype: &DType) -> Result<Kind> {
    if dtype.is_object() {
        return Err(unsupported::<D>("the document holds an object array: use numcodecs_decode_items or numcodecs_decode_json_items"));
    }
    numeric_kind(dtype).ok_or_else(|| unsupported::<D>(format!("decodes bool, integer and float16/32/64 arrays to raw bytes, not {}", dtype.typestr())))
}

/// The shape an encode writes: the given one, else 1-D over all elements.
fn shape_of(info: &ArrayInfo, elements: usize) -> Vec<usize> {
    info.shape.clone().unwrap_or_else(|| vec![elements])
}

/// How many lists `tolist()` makes inside the outer one: one per index prefix of every inner dimension.
fn inner_lists(shape: &[usize]) -> Option<usize> {
    let mut total = 0usize;
    let mut prefix = 1usize;
    for &extent in shape.iter().take(shape.len().saturating_sub(1)) {
        prefix = prefix.checked_mul(extent)?;
        total = total.checked_add(prefix)?;
    }
    Some(total)
}

/// A NumPy element as the Python scalar `tolist()` gives.
#[derive(Debug, Clone, Copy)]
enum Number_ {
    Bool(bool),
    Int(i128),
    Float(f64),
}

fn read_element(kind: Kind, big: bool, bytes: &[u8]) -> Number_ {
    macro_rules! get {
        ($t:ty) => {{
            let mut array = [0u8; std::mem::size_of::<$t>()];
            array.copy_from_slice(bytes);
            if big {
                <$t>::from_be_bytes(array)
            } else {
                <$t>::from_le_bytes(array)
            }
        }};
    }
    match kind {
        Kind::Bool => Number_::Bool(bytes[0] != 0),
        Kind::I8 => Number_::Int(bytes[0] as i8 as i128),
        Kind::U8 => Number_::Int(bytes[0] as i128),
        Kind::I16 => Number_::Int(get!(i16) as i128),
        Kind::U16 => Number_::Int(get!(u16) as i128),
        Kind::I32 => Number_::Int(get!(i32) as i128),
        Kind::U32 => Number_::Int(get!(u32) as i128),
        Kind::I64 => Number_::Int(get!(i64) as i128),
        Kind::U64 => Number_::Int(get!(u64) as i128),
        // NumPy widens to a Python float exactly, NaN payloads included (numpy's half conversion
        // shifts them without quieting; float32 -> double is the C cast).
        Kind::F16 => Number_::Float(f64::from_bits(half_to_double_bits(get!(u16)))),
        Kind::F32 => Number_::Float(get!(f32) as f64),
        Kind::F64 => Number_::Float(get!(f64)),
    }
}

fn emit_number<E: Emitter, S: Sink>(e: &mut E, out: &mut S, value: Number_) -> Result<()> {
    match value {
        Number_::Bool(b) => {
            e.boolean(out, b);
            Ok(())
        }
        Number_::Int(i) => e.int(out, i),
        Number_::Float(f) => e.float(out, f),
    }
}

/// The entries `dims[0]` of the currently open list: leaves, or lists of `dims[1..]`.
fn emit_dims<E: Emitter, S: Sink>(e: &mut E, out: &mut S, dims: &[usize], leaves: &mut impl FnMut(&mut E, &mut S) -> Result<()>) -> Result<()> {
    let Some((&extent, rest)) = dims.split_first() else {
        return Ok(());
    };
    for index in 0..extent {
        e.item(out, index);
        match rest.first() {
            None => leaves(e, out)?,
            Some(&len) => {
                e.open_list(out, len)?;
                emit_dims(e, out, rest, leaves)?;
                e.close_list(out, len);
            }
        }
    }
    Ok(())
}

/// Writes `[<tolist() of the leaves>, dtype, shape]`; `leaves` writes the next leaf each call.
fn emit_document<E: Emitter, S: Sink>(
    e: &mut E,
    out: &mut S,
    dtype: &str,
    shape: &[usize],
    mut leaves: impl FnMut(&mut E, &mut S) -> Result<()>,
) -> Result<()> {
    // np.atleast_1d: a 0-d array is written as a list of its one value.
    let top = shape.first().copied().unwrap_or(1);
    e.open_list(out, top + 2)?;
    if shape.is_empty() {
        e.item(out, 0);
        leaves(e, out)?;
    } else {
        emit_dims(e, out, shape, &mut leaves)?;
    }
    emit_trailer(e, out, dtype, shape)
}

/// [`Emitter::str_item`] without a fast path: checks the text, then writes the separator and the str.
pub(crate) fn checked_str_item<E: Emitter + ?Sized, S: Sink>(e: &mut E, out: &mut S, index: usize, value: &[u8]) -> Result<bool> {
    if !is_utf8(value) {
        return Ok(false);
    }
    e.item(out, index);
    e.string(out, value)?;
    Ok(true)
}

/// The end of a document whose leaves `emit_document` (or a caller doing its work) has written: `, dtype,
/// shape]`.
fn emit_trailer<E: Emitter, S: Sink>(e: &mut E, out: &mut S, dtype: &str, shape: &[usize]) -> Result<()> {
    let top = shape.first().copied().unwrap_or(1);
    e.item(out, top);
    e.string(out, dtype.as_bytes())?;
    e.item(out, top + 1);
    e.open_list(out, shape.len())?;
    for (index, &extent) in shape.iter().enumerate() {
        e.item(out, index);
        e.int(out, extent as i128)?;
    }
    e.close_list(out, shape.len());
    e.close_list(out, top + 2);
    Ok(())
}

/// Writes one JSON-bridge value as the Python object it stands for.
fn emit_json<E: Emitter, S: Sink>(e: &mut E, out: &mut S, value: &Value) -> Result<()> {
    match value {
        Value::Null => e.none(out),
        Value::Bool(b) => e.boolean(out, *b),
        Value::Number(n) => {
            return match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => e.int(out, i as i128),
                (_, Some(u)) => e.int(out, u as i128),
                _ => e.float(out, n.as_f64().unwrap_or(f64::NAN)),
            }
        }
        Value::String(text) => return e.string(out, text.as_bytes()),
        Value::Array(items) => {
            e.open_list(out, items.len())?;
            for (index, item) in items.iter().enumerate() {
                e.item(out, index);
                emit_json(e, out, item)?;
            }
            e.close_list(out, items.len());
        }
        Value::Object(map) => {
            if e.has_bytes() {
                if let Some(bytes) = json_to_bytes(value) {
                    return e.bytes(out, &bytes.map_err(Error::invalid_argument)?);
                }
            }
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if e.sorts_keys() {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            e.open_dict(out, entries.len())?;
            for (index, (key, item)) in entries.into_iter().enumerate() {
                e.key(out, index, key)?;
                emit_json(e, out, item)?;
            }
            e.close_dict(out, map.len());
        }
    }
    Ok(())
}

// ---- decoding ---------------------------------------------------------------------------------------

/// What the first pass found: the trailer's dtype and shape, and how many leaves the shape holds.
#[derive(Debug)]
struct Layout {
    dtype: DType,
    shape: Vec<usize>,
    leaves: usize,
}

/// Consumes the rest of a list or dict whose opening token was `token`.
fn skip<R: Reader>(r: &mut R, token: Token) -> Result<()> {
    if !matches!(token, Token::List | Token::Dict) {
        return Ok(());
    }
    let mut depth = 1usize;
    while depth > 0 {
        match r.next()? {
            Token::List | Token::Dict => depth += 1,
            Token::End => depth -= 1,
            Token::Scalar => {}
        }
    }
    Ok(())
}

/// The first pass: checks the whole document, reads the trailer and checks the element count.
fn layout<D: Dialect>(input: &[u8], r: &mut D::Reader<'_>) -> Result<Layout> {
    if r.next()? != Token::List {
        return Err(corrupt::<D>("the document is not a list (numcodecs writes [elements..., dtype, shape])"));
    }
    let mut count = 0usize;
    let mut last = [0usize; 2];
    loop {
        let token = r.next()?;
        if token == Token::End {
            break;
        }
        last = [last[1], r.offset()];
        skip(r, token)?;
        count += 1;
    }
    r.finish()?;
    if count < 2 {
        return Err(corrupt::<D>(format!("the list has {count} elements, too few for the dtype and shape numcodecs appends")));
    }
    let dtype = read_dtype::<D>(&mut r.at(last[0]))?;
    let shape = read_shape::<D>(&mut r.at(last[1]))?;
    let top = shape.first().copied().unwrap_or(1);
    if count - 2 != top {
        return Err(corrupt::<D>(format!("shape {shape:?} needs {top} top-level elements before dtype and shape, the list has {}", count - 2)));
    }
    let leaves = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    // Every leaf takes at least one input byte: a larger shape is a lie, refused before anything is
    // allocated for it.
    let leaves = leaves.filter(|&n| n <= input.len()).ok_or_else(|| corrupt::<D>(format!("shape {shape:?} holds more elements than the input has bytes")))?;
    Ok(Layout { dtype, shape, leaves })
}

fn read_dtype<D: Dialect>(r: &mut D::Reader<'_>) -> Result<DType> {
    let text = match (r.next()?, r.scalar()) {
        // msgpack-python's raw=True (and bin): NumPy takes bytes for a dtype too.
        (Token::Scalar, Scalar::Str(bytes) | Scalar::Bytes(bytes) | Scalar::RawStr(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        _ => return Err(corrupt::<D>("the second-to-last element must be the dtype string")),
    };
    DType::parse(&text).map_err(|_| corrupt::<D>(format!("the trailer's dtype {text:?} is not a NumPy dtype")))
}

fn read_shape<D: Dialect>(r: &mut D::Reader<'_>) -> Result<Vec<usize>> {
    let bad = || corrupt::<D>("the last element must be the shape, a list of non-negative integers");
    if r.next()? != Token::List {
        return Err(bad());
    }
    let mut shape = Vec::new();
    loop {
        match r.next()? {
            Token::End => return Ok(shape),
            Token::Scalar => match r.scalar() {
                Scalar::Int(extent) if extent >= 0 && shape.len() < MAX_NDIM => shape.push(usize::try_from(extent).map_err(|_| bad())?),
                Scalar::Int(extent) if extent >= 0 => return Err(corrupt::<D>(format!("the shape has more than {MAX_NDIM} dimensions"))),
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        }
    }
}

/// The second pass: calls `leaf(reader, token, index)` for every leaf in C order, checking each inner
/// list against the shape. `leaf` consumes the leaf (all of it when it is a list or dict).
fn walk<D: Dialect>(r: &mut D::Reader<'_>, layout: &Layout, mut leaf: impl FnMut(&mut D::Reader<'_>, Token, usize) -> Result<()>) -> Result<()> {
    fn walk_dims<D: Dialect, R: Reader>(r: &mut R, dims: &[usize], next: &mut usize, leaf: &mut impl FnMut(&mut R, Token, usize) -> Result<()>) -> Result<()> {
        let Some((&extent, rest)) = dims.split_first() else {
            return Ok(());
        };
        for _ in 0..extent {
            let token = r.next()?;
            if rest.is_empty() {
                leaf(r, token, *next)?;
                *next += 1;
                continue;
            }
            if token != Token::List {
                return Err(corrupt::<D>(format!("expected a list of {} entries (the shape says so), found another value", rest[0])));
            }
            walk_dims::<D, R>(r, rest, next, leaf)?;
            if r.next()? != Token::End {
                return Err(corrupt::<D>(format!("a list is longer than the shape's {} entries", rest[0])));
            }
        }
        Ok(())
    }
    r.next()?; // the outer list, checked by the first pass
    let mut next = 0;
    if layout.shape.is_empty() {
        let token = r.next()?;
        leaf(r, token, 0)?;
    } else {
        walk_dims::<D, _>(r, &layout.shape, &mut next, &mut leaf)?;
    }
    Ok(())
}

/// A leaf where a list or dict ended instead (an inner list shorter than the shape).
fn short_list<D: Dialect>() -> Error {
    corrupt::<D>("a list is shorter than the shape says")
}

fn describe(token: Token, scalar: Scalar) -> &'static str {
    match (token, scalar) {
        (Token::List, _) => "a list",
        (Token::Dict, _) => "a dict",
        (Token::End, _) => "the end of a list",
        (_, Scalar::None) => "None",
        (_, Scalar::Bool(_)) => "a bool",
        (_, Scalar::Int(_)) => "an int",
        (_, Scalar::Float(_)) => "a float",
        (_, Scalar::Str(_)) => "a str",
        (_, Scalar::Bytes(_) | Scalar::RawStr(_)) => "bytes",
    }
}

/// Appends one leaf to a numeric array of `kind`, converting as NumPy's assignment does for the values
/// numcodecs writes (bools, ints in range, floats; ints and bools into float arrays too).
fn push_number<D: Dialect>(kind: Kind, big: bool, token: Token, scalar: Scalar, index: usize, out: &mut Vec<u8>) -> Result<()> {
    macro_rules! put {
        ($v:expr) => {{
            let v = $v;
            out.extend_from_slice(&if big { v.to_be_bytes() } else { v.to_le_bytes() });
        }};
    }
    let wrong = || corrupt::<D>(format!("element {index} is {} in an array of {kind:?}", describe(token, scalar)));
    let value = match (token, scalar) {
        (Token::Scalar, Scalar::Bool(b)) => Number_::Bool(b),
        (Token::Scalar, Scalar::Int(i)) => Number_::Int(i),
        (Token::Scalar, Scalar::Float(f)) => Number_::Float(f),
        _ => return Err(wrong()),
    };
    let int = |min: i128, max: i128| -> Result<i128> {
        match value {
            Number_::Bool(b) => Ok(b as i128),
            Number_::Int(i) if (min..=max).contains(&i) => Ok(i),
            Number_::Int(i) => Err(corrupt::<D>(format!("element {index}, {i}, is out of range for {kind:?}"))),
            Number_::Float(_) => Err(wrong()),
        }
    };
    let float = || match value {
        Number_::Bool(b) => b as u8 as f64,
        // Python's int -> float conversion rounds to nearest, ties to even, as `as` does.
        Number_::Int(i) => i as f64,
        Number_::Float(f) => f,
    };
    match kind {
        Kind::Bool => out.push(match value {
            Number_::Bool(b) => b as u8,
            Number_::Int(i) => (i != 0) as u8,
            Number_::Float(f) => (f != 0.0) as u8,
        }),
        Kind::I8 => put!(int(i8::MIN.into(), i8::MAX.into())? as i8),
        Kind::U8 => put!(int(0, u8::MAX.into())? as u8),
        Kind::I16 => put!(int(i16::MIN.into(), i16::MAX.into())? as i16),
        Kind::U16 => put!(int(0, u16::MAX.into())? as u16),
        Kind::I32 => put!(int(i32::MIN.into(), i32::MAX.into())? as i32),
        Kind::U32 => put!(int(0, u32::MAX.into())? as u32),
        Kind::I64 => put!(int(i64::MIN.into(), i64::MAX.into())? as i64),
        Kind::U64 => put!(int(0, u64::MAX.into())? as u64),
        // numpy's double -> half conversion (one rounding, NaN payloads kept), and the C casts.
        Kind::F16 => put!(double_to_half_bits(float().to_bits())),
        Kind::F32 => put!(float() as f32),
        Kind::F64 => put!(float()),
    }
    Ok(())
}

/// A string leaf's UTF-8 bytes for the item API, which holds text only.
#[inline]
fn text_leaf<'s, D: Dialect>(token: Token, scalar: Scalar<'s>, index: usize) -> Result<&'s [u8]> {
    match (token, scalar) {
        (Token::Scalar, Scalar::Str(text)) => Ok(text),
        _ => other_text_leaf::<D>(token, scalar, index),
    }
}

/// [`text_leaf`] for every leaf but a str: out of the hot loop, which gets strings.
#[cold]
fn other_text_leaf<'s, D: Dialect>(token: Token, scalar: Scalar<'s>, index: usize) -> Result<&'s [u8]> {
    match (token, scalar) {
        // msgpack2 with raw=True hands strings out as bytes; they are still the text numcodecs wrote.
        (Token::Scalar, Scalar::RawStr(bytes)) if is_utf8(bytes) => Ok(bytes),
        (Token::End, _) => Err(short_list::<D>()),
        _ => Err(unsupported::<D>(format!(
            "item {index} is {}; the item API holds strings only (use numcodecs_decode_json_items for other objects)",
            describe(token, scalar)
        ))),
    }
}

/// A leaf (and, for lists and dicts, everything in it) as a JSON-bridge value.
fn read_json<D: Dialect, R: Reader>(r: &mut R, token: Token) -> Result<Value> {
    match token {
        Token::End => Err(short_list::<D>()),
        Token::Scalar => scalar_to_json::<D>(r.scalar()),
        Token::List => {
            let mut items = Vec::new();
            loop {
                match r.next()? {
                    Token::End => return Ok(Value::Array(items)),
                    token => items.push(read_json::<D, R>(r, token)?),
                }
            }
        }
        Token::Dict => {
            let mut map = Map::new();
            loop {
                let key = match (r.next()?, r.scalar()) {
                    (Token::End, _) => return Ok(Value::Object(map)),
                    (Token::Scalar, Scalar::Str(key)) => String::from_utf8_lossy(key).into_owned(),
                    _ => return Err(unsupported::<D>("a dict key that is not a str cannot be a JSON object key")),
                };
                let token = r.next()?;
                map.insert(key, read_json::<D, R>(r, token)?);
            }
        }
    }
}

fn scalar_to_json<D: Dialect>(scalar: Scalar) -> Result<Value> {
    Ok(match scalar {
        Scalar::None => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => match (i64::try_from(i), u64::try_from(i)) {
            (Ok(i), _) => Value::from(i),
            (_, Ok(u)) => Value::from(u),
            _ => return Err(unsupported::<D>(format!("the int {i} does not fit 64 bits, which the JSON bridge holds"))),
        },
        Scalar::Float(f) => match Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => return Err(unsupported::<D>(format!("the float {f} has no JSON form; decode numeric arrays with numcodecs_decode"))),
        },
        Scalar::Str(text) => Value::String(String::from_utf8_lossy(text).into_owned()),
        Scalar::Bytes(bytes) | Scalar::RawStr(bytes) => bytes_to_json(bytes),
    })
}

impl<D: Dialect> Structured<D> {
    /// Runs both passes: `start` makes the decode's state from the trailer, then `leaf` gets the state and
    /// each leaf in C order.
    fn decode_leaves<T>(
        &self,
        src: &[u8],
        start: impl FnOnce(&Layout) -> Result<T>,
        mut leaf: impl FnMut(&mut T, &mut D::Reader<'_>, Token, usize) -> Result<()>,
    ) -> Result<(Layout, T)> {
        let input = self.0.prepare(src)?;
        let mut reader = self.0.reader(&input)?;
        let layout = layout::<D>(&input, &mut reader)?;
        let mut state = start(&layout)?;
        walk::<D>(&mut reader.at(0), &layout, |r, token, index| leaf(&mut state, r, token, index))?;
        Ok((layout, state))
    }

    /// The common document in one pass: a 1-D array of strings, what the item calls and zarr's string arrays
    /// write, its items pushed to `items`. `None` for anything else (other objects, more dimensions, any
    /// error, a dtype `items` did not keep), which the two-pass walk then decodes or refuses with its own
    /// message; `items` holds garbage then.
    fn string_items_in_one_pass(&self, src: &[u8], items: &mut impl ItemSink) -> Option<()> {
        let input = self.0.prepare(src).ok()?;
        let mut r = self.0.reader(&input).ok()?;
        if r.next().ok()? != Token::List {
            return None;
        }
        loop {
            match r.next().ok()? {
                Token::Scalar => items.push(text_leaf::<D>(Token::Scalar, r.scalar(), 0).ok()?),
                Token::List => break,
                _ => return None,
            }
        }
        // The list that ended the strings must be the shape, [n], and the last string the dtype.
        let (Token::Scalar, Scalar::Int(n)) = (r.next().ok()?, r.scalar()) else {
            return None;
        };
        if r.next().ok()? != Token::End || r.next().ok()? != Token::End || r.finish().is_err() {
            return None;
        }
        let dtype = items.pop()?;
        DType::parse(std::str::from_utf8(&dtype).ok()?).ok()?;
        (usize::try_from(n).ok()? == items.count()).then_some(())
    }

    /// Writes the document of an array of `info`'s dtype and shape held in `src`.
    fn encode_array<S: Sink>(&self, src: &[u8], info: &ArrayInfo, out: &mut S) -> Result<()> {
        let kind = kind_to_encode::<D>(&info.dtype)?;
        let elements = info.check_len(src.len())?;
        let shape = shape_of(info, elements);
        if shape.is_empty() && !self.0.encodes_zero_dim() {
            return Err(Error::invalid_argument(format!(
                "{}: numcodecs cannot encode a 0-d array (tolist() gives a scalar, not a list)",
                D::ID
            )));
        }
        let big = info.dtype.byte_order() == ByteOrder::Big;
        let mut chunks = src.chunks_exact(info.dtype.itemsize());
        let mut e = self.0.emitter();
        emit_document(&mut e, out, &info.dtype.typestr(), &shape, |e, out| match chunks.next() {
            Some(bytes) => emit_number(e, out, read_element(kind, big, bytes)),
            None => Err(Error::internal("fewer elements than the shape")),
        })
    }

    /// `emit_document` for a 1-D list of strs, written out: the per-item work is a few bytes, so the
    /// emitter's `str_item` fast path and no closure call per item matter.
    fn encode_items_to<S: Sink>(&self, items: Items, out: &mut S) -> Result<()> {
        let mut e = self.0.emitter();
        let count = items.len();
        e.open_list(out, count + 2)?;
        for (index, item) in items.iter().enumerate() {
            if !e.str_item(out, index, item)? {
                return Err(Error::invalid_argument(format!("{}: item {index} is not valid UTF-8", D::ID)));
            }
        }
        emit_trailer(&mut e, out, OBJECT_DTYPE, &[count])
    }
}

impl<D: Dialect> Codec for Structured<D> {
    fn codec_id(&self) -> &str {
        D::ID
    }

    fn config(&self) -> Map<String, Value> {
        self.0.config()
    }

    /// numcodecs' `json.dumps(get_config())`: Python's escaping of non-ASCII text included.
    fn config_json(&self) -> String {
        json::python_dumps(&Value::Object(self.config()))
    }

    fn encode_bound(&self, src_len: usize, info: &ArrayInfo) -> Result<usize> {
        kind_to_encode::<D>(&info.dtype)?;
        let elements = info.check_len(src_len)?;
        let shape = shape_of(info, elements);
        // Leaves, two brackets per list, the trailer's dtype, shape entries and brackets.
        let units = inner_lists(&shape)
            .and_then(|lists| lists.checked_mul(2))
            .and_then(|brackets| brackets.checked_add(elements.max(1)))
            .and_then(|units| units.checked_add(shape.len() + 6));
        units
            .and_then(|units| self.0.bound(units, shape.len() + 1))
            .filter(|&bound| bound <= isize::MAX as usize)
            .ok_or_else(|| Error::limit(format!("{}: the encoding of shape {shape:?} would not fit in memory", D::ID)))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_array(src, info, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let mut out = SliceSink::new(dst);
        self.encode_array(src, info, &mut out)?;
        out.finish()
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let (_, (_, _, out)) = self.decode_leaves(
            src,
            |layout| {
                let kind = kind_to_decode::<D>(&layout.dtype)?;
                let size = check_decoded_size(D::ID, (layout.leaves as u64).saturating_mul(layout.dtype.itemsize() as u64))?;
                Ok((kind, layout.dtype.byte_order() == ByteOrder::Big, Vec::with_capacity(size)))
            },
            |(kind, big, out), r, token, index| push_number::<D>(*kind, *big, token, r.scalar(), index, out),
        )?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        copy_into(&self.decode(src)?, dst)
    }

    fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
        let input = self.0.prepare(src)?;
        let layout = layout::<D>(&input, &mut self.0.reader(&input)?)?;
        Ok(Some(ArrayInfo::new(layout.dtype, Some(layout.shape))))
    }

    fn as_object(&self) -> Option<&dyn ObjectCodec> {
        Some(self)
    }
}

impl<D: Dialect> ObjectCodec for Structured<D> {
    fn item_kind(&self) -> ItemKind {
        ItemKind::Utf8
    }

    fn encoded_items_len(&self, items: Items) -> Result<usize> {
        let mut counter = SliceSink::counter();
        self.encode_items_to(items, &mut counter)?;
        Ok(counter.len)
    }

    /// The document without escapes or indentation: per item its text, a quote pair or msgpack header and
    /// a separator (5 bytes cover a str32 header), plus the list header and trailer. Counting exactly
    /// would cost a whole encode.
    fn encoded_items_len_guess(&self, items: Items) -> Result<usize> {
        match items.total_len().checked_add(items.len().saturating_mul(5)).and_then(|len| len.checked_add(64)) {
            Some(len) if len <= isize::MAX as usize => Ok(len),
            _ => self.encoded_items_len(items),
        }
    }

    fn encode_items_into(&self, items: Items, dst: &mut [u8]) -> Result<usize> {
        let mut out = SliceSink::new(dst);
        self.encode_items_to(items, &mut out)?;
        out.finish()
    }

    fn encode_items(&self, items: Items) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_items_to(items, &mut out)?;
        Ok(out)
    }

    /// A decode: the documents are not framed, so their sizes are known only by reading them.
    fn decoded_items_size(&self, src: &[u8]) -> Result<(usize, usize)> {
        let items = self.decode_items(src)?;
        Ok((items.len(), items.data().len()))
    }

    fn decode_items(&self, src: &[u8]) -> Result<DecodedItems> {
        let mut items = DecodedItems::with_capacity(0, src.len());
        if self.string_items_in_one_pass(src, &mut items).is_none() {
            items = self.decode_leaves(
                src,
                // Text is never longer than its encoding, and the count was checked against the input.
                |layout| Ok(DecodedItems::with_capacity(layout.leaves, src.len())),
                |items, r, token, index| {
                    items.push(text_leaf::<D>(token, r.scalar(), index)?);
                    Ok(())
                },
            )?
            .1;
        }
        check_decoded_size(D::ID, items.data().len() as u64)?;
        Ok(items)
    }

    /// The common document straight into the caller's buffers; anything else (and a buffer too small)
    /// through `decode_items` and a copy, which gives the two-pass decode's errors and both sizes.
    fn decode_items_into(&self, src: &[u8], data: &mut [u8], offsets: &mut [usize]) -> Result<(usize, usize)> {
        let mut direct = FlatItemsOut::new(data, offsets);
        if self.string_items_in_one_pass(src, &mut direct).is_some() && direct.fits() {
            let (count, data_len) = direct.finish(D::ID)?;
            check_decoded_size(D::ID, data_len as u64)?;
            return Ok((count, data_len));
        }
        let items = self.decode_items(src)?;
        let mut out = FlatItemsOut::new(data, offsets);
        for item in items.iter() {
            out.push(item);
        }
        out.finish(D::ID)
    }

    fn encode_json_items(&self, items: &[Value]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut next = items.iter();
        let mut e = self.0.emitter();
        emit_document(&mut e, &mut out, OBJECT_DTYPE, &[items.len()], |e, out| {
            emit_json(e, out, next.next().ok_or_else(|| Error::internal("fewer items than the shape"))?)
        })?;
        Ok(out)
    }

    fn decode_json_items(&self, src: &[u8]) -> Result<Vec<Value>> {
        let (_, values) = self.decode_leaves(
            src,
            |layout| Ok(Vec::with_capacity(layout.leaves)),
            |values, r, token, _| {
                values.push(read_json::<D, _>(r, token)?);
                Ok(())
            },
        )?;
        Ok(values)
    }
}

/// Python's truthiness of a JSON option value, as numcodecs passes options on unchecked (`bool(x)`).
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A flag option: its truth value and the JSON it was given as (numcodecs' get_config() echoes it).
#[derive(Debug, Clone, PartialEq)]
struct Flag {
    on: bool,
    given: Value,
}

impl Flag {
    fn take(params: &mut Params, key: &str, default: bool) -> Flag {
        let given = params.take_raw(key).unwrap_or(Value::Bool(default));
        Flag { on: truthy(&given), given }
    }
}

#[cfg(test)]
mod tests;
