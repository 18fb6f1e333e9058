//! `pickle`: numcodecs' `pickles.py`, `pickle.dumps(array, protocol)` of the chunk, and a restricted
//! unpickler for what that writes.
//!
//! Encoding writes, byte for byte, what CPython 3.11's C pickler writes for a 1-D NumPy object array
//! (numpy 2.x `ndarray.__reduce__`: `numpy._core.multiarray._reconstruct(ndarray, (0,), b'b')`, then
//! `BUILD` with `(1, shape, dtype('O8'), False, [items])`), protocols 0 to 5: its opcodes, its memo
//! (`MEMOIZE` / `BINPUT`, `BINGET` for an object seen before), batches of 1000 list items, and from
//! protocol 4 its 64 KiB frames (a string or bytes item of 64 KiB or more goes outside the frames).
//! Protocol 0 is text: no `PROTO` header, `INT`/`LONG` in decimal (`L` suffix), `FLOAT` as `repr`
//! (`nan`, `inf`), `UNICODE` lines in raw-unicode-escape (NUL, newline, CR, `\x1a`, backslash and
//! characters above U+00FF as `\uXXXX`/`\UXXXXXXXX`), memo `PUT`/`GET` with decimal indices, tuples as
//! `MARK ... TUPLE`, lists as `MARK LIST` with one `APPEND` per item. Protocol 1 is protocol 2 without
//! its additions: no header, no `TUPLE1..3`, bools as `INT 00`/`01`, integers beyond 32 bits as `LONG`
//! text. Before protocol 3 bytes are `_codecs.encode(latin-1 text, 'latin1')` (`bytes()` when empty).
//!
//! The pickler memoizes by object identity, which items given as bytes do not have. We pickle each
//! item as a distinct object, except the objects CPython itself shares: the empty `str` and `bytes`,
//! one-character `str` below U+0100 and one-byte `bytes` (CPython's singletons), which a repeated
//! occurrence refers back to (`BINGET`). That is what numcodecs writes for an array whose items were
//! made separately (decoded, read, computed); an array that holds the same `str` object twice (e.g.
//! `np.array(["abc", "abc"], dtype=object)` from literals) pickles with a `BINGET` we do not write.
//!
//! Decoding interprets only the opcodes and globals that NumPy array pickles use (protocols 0 to 5):
//! `numpy._core.multiarray._reconstruct` (also `numpy.core`), `numpy.ndarray`, `numpy.dtype`,
//! `numpy._core.numeric._frombuffer` (numeric arrays at protocol 5), `_codecs.encode` with `'latin1'`
//! and `bytes()` (bytes before protocol 3). Any other global (`os.system`, `builtins.eval`, ...), any
//! other opcode, a call of an allowed global with other arguments, a memo reference that was never
//! stored, a length past the end of the input, frames that do not nest as CPython's unpickler requires,
//! or a result that is not an array, is refused with [`ErrorKind::CorruptData`](super::ErrorKind). The
//! text opcodes are read more strictly than Python reads them, as exactly what its pickler writes: a
//! line must end in a newline; `INT`/`LONG` are `0` or an optional `-` and decimal digits without a
//! leading zero, within 128 bits (Python reads `010` as octal, `+1` as `True`, and takes hex, spaces and
//! underscores); `FLOAT` text past the float range (`1e999`) is refused, as Python refuses it; memo
//! indices are decimal digits below 2**32; a `\u` escape of a surrogate (which UTF-8 cannot hold) is
//! refused. Memory stays within the decode limit ([`super::decode_limit`]); nesting deeper than
//! [`MAX_DEPTH`] is refused.
//! numcodecs itself refuses to decode pickles unless the process opts in, because Python's unpickler
//! runs arbitrary code; this one cannot.
//!
//! Items: through the byte-item API an item is a `str` (UTF-8) when encoding, and a `str` or `bytes`
//! when decoding (the API cannot tell them apart); other items (numbers, `None`, lists) travel through
//! the JSON bridge: `null`, `true`/`false`, integers, floats (`{"float": "NaN"}`, `"Infinity"`,
//! `"-Infinity"` for the non-finite ones), strings, `{"b64": ...}` for bytes and lists (nested).
//! Decoding a numeric array pickle (numpy pickles its raw bytes) works through the byte API
//! (`numcodecs_decode`, with dtype and shape from `numcodecs_decoded_info`).

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Map, Number, Value};

use super::object::{bytes_to_json, json_to_bytes, DecodedItems, ItemKind, Items, ObjectCodec};
use super::structured::write_python_float;
use super::{config_map, copy_into, decode_limit, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("pickle", Pickle::from_params)];

const ID: &str = "pickle";

/// `pickle.HIGHEST_PROTOCOL` of CPython 3.11, numcodecs' default.
const HIGHEST_PROTOCOL: u8 = 5;

/// Nested lists (and tuples) deeper than this are refused, decoding and encoding.
pub const MAX_DEPTH: usize = 200;

// ---- opcodes (CPython's Lib/pickle.py names) -------------------------------------------------------

const MARK: u8 = b'(';
// Text opcodes (protocol 0; protocol 1 keeps INT for bools and LONG for wide integers), each ending in a newline.
const INT: u8 = b'I';
const LONG: u8 = b'L';
const FLOAT: u8 = b'F';
const UNICODE: u8 = b'V';
const PUT: u8 = b'p';
const GET: u8 = b'g';
const POP: u8 = b'0';
const STOP: u8 = b'.';
const BININT: u8 = b'J';
const BININT1: u8 = b'K';
const BININT2: u8 = b'M';
const NONE: u8 = b'N';
const REDUCE: u8 = b'R';
const BINUNICODE: u8 = b'X';
const APPEND: u8 = b'a';
const BUILD: u8 = b'b';
const GLOBAL: u8 = b'c';
const APPENDS: u8 = b'e';
const BINGET: u8 = b'h';
const LONG_BINGET: u8 = b'j';
const LIST: u8 = b'l';
const BINPUT: u8 = b'q';
const LONG_BINPUT: u8 = b'r';
const TUPLE: u8 = b't';
const EMPTY_LIST: u8 = b']';
const EMPTY_TUPLE: u8 = b')';
const BINFLOAT: u8 = b'G';
const BINBYTES: u8 = b'B';
const SHORT_BINBYTES: u8 = b'C';
const PROTO: u8 = 0x80;
const TUPLE1: u8 = 0x85;
const TUPLE2: u8 = 0x86;
const TUPLE3: u8 = 0x87;
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const LONG1: u8 = 0x8a;
const LONG4: u8 = 0x8b;
const SHORT_BINUNICODE: u8 = 0x8c;
const BINUNICODE8: u8 = 0x8d;
const BINBYTES8: u8 = 0x8e;
const STACK_GLOBAL: u8 = 0x93;
const MEMOIZE: u8 = 0x94;
const FRAME: u8 = 0x95;
const BYTEARRAY8: u8 = 0x96;

/// CPython's `_pickle.c` constants.
const FRAME_SIZE_TARGET: usize = 64 * 1024;
const FRAME_SIZE_MIN: usize = 4;
const FRAME_HEADER_SIZE: usize = 9;
const BATCHSIZE: usize = 1000;

/// numpy's module of `_reconstruct` (numpy 2.x; numpy 1.x wrote `numpy.core.multiarray`).
const MULTIARRAY: &str = "numpy._core.multiarray";

/// One item of an object array, as the pickler sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<PyValue>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pickle {
    /// As given (numcodecs prints it back unchanged; negative means the highest protocol).
    protocol: i64,
}

impl Pickle {
    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        let protocol = params.take_i64("protocol")?.unwrap_or(HIGHEST_PROTOCOL as i64);
        params.finish()?;
        Ok(Box::new(Pickle { protocol }))
    }

    /// The protocol `pickle.dumps` uses, or the error it raises.
    fn effective_protocol(&self) -> Result<u8> {
        match self.protocol {
            p if p < 0 => Ok(HIGHEST_PROTOCOL),
            p @ 0..=5 => Ok(p as u8),
            p => Err(Error::invalid_argument(format!("{ID}: pickle protocol must be <= {HIGHEST_PROTOCOL}, got {p}"))),
        }
    }

    /// `pickle.dumps` of a 1-D object array holding `items`.
    pub fn encode_values(&self, items: &[PyValue]) -> Result<Vec<u8>> {
        let mut pickler = Pickler::new(self.effective_protocol()?);
        pickler.object_array(items)?;
        Ok(pickler.finish())
    }

    /// The items of a pickled object array.
    pub fn decode_values(&self, src: &[u8]) -> Result<Vec<PyValue>> {
        match Unpickler::run(src)? {
            Decoded::Objects(items) => Ok(items),
            Decoded::Numeric { dtype, .. } => Err(Error::unsupported(format!(
                "{ID}: the pickle holds a numeric array ({}), not objects: use numcodecs_decode",
                dtype.typestr()
            ))),
        }
    }

    fn decode_numeric(&self, src: &[u8]) -> Result<(ArrayInfo, Vec<u8>)> {
        match Unpickler::run(src)? {
            Decoded::Numeric { dtype, shape, data } => Ok((ArrayInfo::new(dtype, Some(shape)), data)),
            Decoded::Objects(_) => Err(Error::unsupported(format!(
                "{ID}: the pickle holds an object array: use numcodecs_decode_items (or the _flat and _json_items forms)"
            ))),
        }
    }
}

// ---- the pickler ---------------------------------------------------------------------------------

/// Objects the C pickler may meet more than once, so that its memo refers back to them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shared {
    /// CPython's singletons: `''` and one-character `str` below U+0100.
    Str(String),
    /// `b''` and one-byte `bytes`.
    Bytes(Vec<u8>),
    /// A module or attribute name (interned), e.g. `numpy`, shared by `ndarray` and `dtype`.
    Name(&'static str),
    Global(&'static str, &'static str),
}

fn shared_str(text: &str) -> Option<Shared> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Some(Shared::Str(String::new())),
        (Some(c), None) if (c as u32) < 256 => Some(Shared::Str(text.to_string())),
        _ => None,
    }
}

fn shared_bytes(bytes: &[u8]) -> Option<Shared> {
    (bytes.len() <= 1).then(|| Shared::Bytes(bytes.to_vec()))
}

/// The opcode and little-endian length that start a str or bytes payload, as CPython's pickler picks
/// them: `ops[0]` with a 1-byte length when `short_allowed` and it fits, else `ops[1]` with 4 bytes, else
/// (protocol 4 and later) `ops[2]` with 8. A stack array and its used length: this runs once per item.
fn length_header(ops: [u8; 3], short_allowed: bool, proto: u8, len: usize, what: &str) -> Result<([u8; 9], usize)> {
    let mut header = [0u8; 9];
    let width = if short_allowed && len <= 0xff {
        header[0] = ops[0];
        1
    } else if len <= u32::MAX as usize {
        header[0] = ops[1];
        4
    } else if proto >= 4 {
        header[0] = ops[2];
        8
    } else {
        return Err(Error::limit(format!("{ID}: protocol {proto} cannot pickle {what} over 4 GiB")));
    };
    header[1..=width].copy_from_slice(&(len as u64).to_le_bytes()[..width]);
    Ok((header, 1 + width))
}

/// The width of the length field of a string or bytes opcode.
fn length_width(op: u8) -> u64 {
    match op {
        SHORT_BINUNICODE | SHORT_BINBYTES => 1,
        BINUNICODE | BINBYTES => 4,
        _ => 8,
    }
}

/// `save_float` at protocol 0: `repr(x)` (`nan`, `inf` and `-inf` for the non-finite; exact ties between
/// two shortest digit strings to even, as json2's floats).
fn float_repr(x: f64) -> Vec<u8> {
    if x.is_nan() {
        b"nan".to_vec()
    } else if x.is_infinite() {
        if x > 0.0 { b"inf".to_vec() } else { b"-inf".to_vec() }
    } else {
        let mut text = Vec::new();
        write_python_float(&mut text, x);
        text
    }
}

/// `_pickle.c`'s `raw_unicode_escape`: latin-1 bytes below U+0100, `\uXXXX` / `\UXXXXXXXX` (lowercase
/// hex) above, and also for the newline (which would end the line), the backslash (which would start
/// an escape when read back) and NUL, `\r`, `\x1a` (which CPython escapes too).
fn raw_unicode_escape(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for c in text.chars() {
        let code = c as u32;
        let digits = match code {
            0x10000.. => 8,
            0x100.. | 0 | 0x0a | 0x0d | 0x1a | 0x5c => 4,
            _ => {
                out.push(code as u8);
                continue;
            }
        };
        out.extend_from_slice(if digits == 8 { b"\\U" } else { b"\\u" });
        out.extend((0..digits).rev().map(|nibble| HEX[(code >> (4 * nibble)) as usize & 0xf]));
    }
}

/// CPython 3.11's `_pickle.c` Pickler writing into memory (`pickle.dumps`).
struct Pickler {
    out: Vec<u8>,
    proto: u8,
    framing: bool,
    frame_start: Option<usize>,
    memo_len: u32,
    shared: HashMap<Shared, u32>,
}

impl Pickler {
    fn new(proto: u8) -> Self {
        let mut pickler = Pickler { out: Vec::new(), proto, framing: false, frame_start: None, memo_len: 0, shared: HashMap::new() };
        if proto >= 2 {
            pickler.write(&[PROTO, proto]);
        }
        pickler.framing = proto >= 4;
        pickler
    }

    fn finish(mut self) -> Vec<u8> {
        self.write(&[STOP]);
        self.commit_frame();
        self.out
    }

    /// `_Pickler_Write`: opens a frame (its header filled in by `commit_frame`) when framing and none is open.
    fn write(&mut self, bytes: &[u8]) {
        if self.framing && self.frame_start.is_none() {
            self.frame_start = Some(self.out.len());
            self.out.extend_from_slice(&[0xFE; FRAME_HEADER_SIZE]);
        }
        self.out.extend_from_slice(bytes);
    }

    /// `_Pickler_CommitFrame`: frames under 4 bytes lose their header.
    fn commit_frame(&mut self) {
        let Some(start) = self.frame_start.take() else { return };
        let frame_len = self.out.len() - start - FRAME_HEADER_SIZE;
        if frame_len >= FRAME_SIZE_MIN {
            self.out[start] = FRAME;
            self.out[start + 1..start + FRAME_HEADER_SIZE].copy_from_slice(&(frame_len as u64).to_le_bytes());
        } else {
            self.out.drain(start..start + FRAME_HEADER_SIZE);
        }
    }

    /// `_Pickler_OpcodeBoundary`, which `save()` calls first: a frame of 64 KiB or more is closed.
    fn boundary(&mut self) {
        if let Some(start) = self.frame_start {
            if self.out.len() - start - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET {
                self.commit_frame();
            }
        }
    }

    /// `_Pickler_write_bytes`: a payload of 64 KiB or more is written outside any frame.
    fn write_payload(&mut self, header: &[u8], data: &[u8]) {
        let framing = self.framing;
        if data.len() >= FRAME_SIZE_TARGET {
            self.commit_frame();
            self.framing = false;
        }
        self.write(header);
        self.write(data);
        self.framing = framing;
    }

    fn memo_put(&mut self, shared: Option<Shared>) {
        let index = self.memo_len;
        self.memo_len += 1;
        if self.proto >= 4 {
            self.write(&[MEMOIZE]);
        } else if self.proto == 0 {
            self.text_line(PUT, index.to_string());
        } else if index < 256 {
            self.write(&[BINPUT, index as u8]);
        } else {
            let mut op = vec![LONG_BINPUT];
            op.extend_from_slice(&index.to_le_bytes());
            self.write(&op);
        }
        if let Some(key) = shared {
            self.shared.insert(key, index);
        }
    }

    /// Writes a memo reference when `shared` was memoized before.
    fn memo_get(&mut self, shared: &Option<Shared>) -> bool {
        let Some(&index) = shared.as_ref().and_then(|key| self.shared.get(key)) else { return false };
        if self.proto == 0 {
            self.text_line(GET, index.to_string());
        } else if index < 256 {
            self.write(&[BINGET, index as u8]);
        } else {
            let mut op = vec![LONG_BINGET];
            op.extend_from_slice(&index.to_le_bytes());
            self.write(&op);
        }
        true
    }

    fn save(&mut self, value: &PyValue, depth: usize) -> Result<()> {
        match value {
            PyValue::None => self.atom(&[NONE]),
            PyValue::Bool(b) if self.proto >= 2 => self.atom(&[if *b { NEWTRUE } else { NEWFALSE }]),
            // Before NEWTRUE/NEWFALSE a bool is an INT with the two digits Python 2 wrote for it.
            PyValue::Bool(b) => {
                self.boundary();
                self.text_line(INT, if *b { "01" } else { "00" })
            }
            PyValue::Int(n) => self.save_int(*n),
            PyValue::Float(x) if self.proto >= 1 => {
                let mut op = vec![BINFLOAT];
                op.extend_from_slice(&x.to_be_bytes());
                self.atom(&op)
            }
            PyValue::Float(x) => {
                self.boundary();
                self.text_line(FLOAT, float_repr(*x))
            }
            PyValue::Str(text) => self.save_str(text, shared_str(text))?,
            PyValue::Bytes(bytes) => self.save_bytes(bytes)?,
            PyValue::List(items) => {
                if depth >= MAX_DEPTH {
                    return Err(Error::invalid_argument(format!("{ID}: lists nested deeper than {MAX_DEPTH}")));
                }
                self.save_list(items, depth + 1)?
            }
        }
        Ok(())
    }

    fn atom(&mut self, op: &[u8]) {
        self.boundary();
        self.write(op);
    }

    /// A text opcode (protocols 0 and 1): the opcode, its argument and a newline.
    fn text_line(&mut self, op: u8, argument: impl AsRef<[u8]>) {
        self.write(&[op]);
        self.write(argument.as_ref());
        self.write(b"\n");
    }

    /// `save_long`: 32-bit values as BININT1/BININT2/BININT (protocol 1 on) or decimal INT (protocol 0);
    /// larger ones as LONG1 (little-endian two's complement, as short as the sign allows) from protocol 2,
    /// before that as the decimal LONG with Python 2's `L` suffix.
    fn save_int(&mut self, n: i128) {
        self.boundary();
        if let Ok(small) = i32::try_from(n) {
            if self.proto == 0 {
                self.text_line(INT, small.to_string());
                return;
            }
            let bytes = small.to_le_bytes();
            if bytes[2] != 0 || bytes[3] != 0 {
                self.write(&[BININT, bytes[0], bytes[1], bytes[2], bytes[3]]);
            } else if bytes[1] != 0 {
                self.write(&[BININT2, bytes[0], bytes[1]]);
            } else {
                self.write(&[BININT1, bytes[0]]);
            }
            return;
        }
        if self.proto < 2 {
            self.text_line(LONG, format!("{n}L"));
            return;
        }
        let bits = 128 - n.unsigned_abs().leading_zeros() as usize;
        let mut len = bits / 8 + 1;
        let bytes = n.to_le_bytes();
        if n < 0 && len > 1 && bytes[len - 1] == 0xff && bytes[len - 2] & 0x80 != 0 {
            len -= 1;
        }
        let mut op = vec![LONG1, len as u8];
        op.extend_from_slice(&bytes[..len]);
        self.write(&op);
    }

    /// `save_unicode`: protocol 0 writes raw-unicode-escape text, the others UTF-8 with its length.
    fn save_str(&mut self, text: &str, shared: Option<Shared>) -> Result<()> {
        self.boundary();
        if self.memo_get(&shared) {
            return Ok(());
        }
        if self.proto == 0 {
            let mut line = Vec::with_capacity(text.len() + 2);
            line.push(UNICODE);
            raw_unicode_escape(text, &mut line);
            line.push(b'\n');
            self.write(&line);
            self.memo_put(shared);
            return Ok(());
        }
        let (header, header_len) = length_header([SHORT_BINUNICODE, BINUNICODE, BINUNICODE8], self.proto >= 4, self.proto, text.len(), "a str")?;
        self.write_payload(&header[..header_len], text.as_bytes());
        self.memo_put(shared);
        Ok(())
    }

    fn save_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.boundary();
        let shared = shared_bytes(bytes);
        if self.memo_get(&shared) {
            return Ok(());
        }
        if self.proto < 3 {
            // No bytes opcode before protocol 3: `save_reduce` of `bytes, ()` or of
            // `_codecs.encode, (bytes.decode('latin1'), 'latin1')`, which memoizes the bytes object.
            if bytes.is_empty() {
                self.save_global("__builtin__", "bytes")?;
                self.save_tuple(0, |_| Ok(()))?;
            } else {
                self.save_global("_codecs", "encode")?;
                let text: String = bytes.iter().map(|&b| b as char).collect();
                self.save_tuple(2, |p| {
                    p.save_str(&text, shared_str(&text))?;
                    p.save_str("latin1", Some(Shared::Name("latin1")))
                })?;
            }
            self.write(&[REDUCE]);
            self.memo_put(shared);
            return Ok(());
        }
        let (header, header_len) = length_header([SHORT_BINBYTES, BINBYTES, BINBYTES8], true, self.proto, bytes.len(), "bytes")?;
        self.write_payload(&header[..header_len], bytes);
        self.memo_put(shared);
        Ok(())
    }

    /// `save_list` + `batch_list_exact` (protocol 0: `batch_list`, which has no APPENDS).
    fn save_list(&mut self, items: &[PyValue], depth: usize) -> Result<()> {
        self.boundary();
        if self.proto == 0 {
            self.write(&[MARK, LIST]);
            self.memo_put(None);
            for item in items {
                self.save(item, depth)?;
                self.write(&[APPEND]);
            }
            return Ok(());
        }
        self.write(&[EMPTY_LIST]);
        self.memo_put(None);
        if let [item] = items {
            self.save(item, depth)?;
            self.write(&[APPEND]);
            return Ok(());
        }
        for batch in items.chunks(BATCHSIZE) {
            self.write(&[MARK]);
            for item in batch {
                self.save(item, depth)?;
            }
            self.write(&[APPENDS]);
        }
        Ok(())
    }

    /// `save_global`: `GLOBAL` before protocol 4, else the two names and `STACK_GLOBAL`.
    fn save_global(&mut self, module: &'static str, name: &'static str) -> Result<()> {
        self.boundary();
        let shared = Some(Shared::Global(module, name));
        if self.memo_get(&shared) {
            return Ok(());
        }
        if self.proto >= 4 {
            self.save_str(module, Some(Shared::Name(module)))?;
            self.save_str(name, Some(Shared::Name(name)))?;
            self.write(&[STACK_GLOBAL]);
        } else {
            self.write(format!("{}{module}\n{name}\n", GLOBAL as char).as_bytes());
        }
        self.memo_put(shared);
        Ok(())
    }

    /// `save_tuple` of `arity` elements written by `write_elements` (fresh objects, so never a memo
    /// reference): `TUPLE1..3` from protocol 2, else `MARK ... TUPLE`. The empty tuple is a singleton
    /// that is not memoized: `EMPTY_TUPLE`, or `MARK TUPLE` at protocol 0.
    fn save_tuple(&mut self, arity: u8, write_elements: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        self.boundary();
        if arity == 0 {
            self.write(if self.proto == 0 { &[MARK, TUPLE] } else { &[EMPTY_TUPLE] });
            return Ok(());
        }
        if self.proto >= 2 && arity <= 3 {
            write_elements(self)?;
            self.write(&[TUPLE1 + arity - 1]);
        } else {
            self.write(&[MARK]);
            write_elements(self)?;
            self.write(&[TUPLE]);
        }
        self.memo_put(None);
        Ok(())
    }

    /// numpy's `ndarray.__reduce__` of a 1-D object array, saved by `save_reduce`.
    fn object_array(&mut self, items: &[PyValue]) -> Result<()> {
        self.boundary();
        self.save_global(MULTIARRAY, "_reconstruct")?;
        self.save_tuple(3, |p| {
            p.save_global("numpy", "ndarray")?;
            p.save_tuple(1, |p| {
                p.save_int(0);
                Ok(())
            })?;
            p.save_bytes(b"b")
        })?;
        self.write(&[REDUCE]);
        self.memo_put(None);
        self.save_tuple(5, |p| {
            p.save_int(1);
            p.save_tuple(1, |p| {
                p.save_int(items.len() as i128);
                Ok(())
            })?;
            p.object_dtype()?;
            p.save(&PyValue::Bool(false), 0)?;
            p.save_list(items, 1)
        })?;
        self.write(&[BUILD]);
        Ok(())
    }

    /// `dtype('O').__reduce__()`: `(numpy.dtype, ('O8', False, True), (3, '|', None, None, None, -1, -1, 63))`.
    fn object_dtype(&mut self) -> Result<()> {
        self.boundary();
        self.save_global("numpy", "dtype")?;
        self.save_tuple(3, |p| {
            p.save_str("O8", None)?;
            p.save(&PyValue::Bool(false), 0)?;
            p.save(&PyValue::Bool(true), 0)
        })?;
        self.write(&[REDUCE]);
        self.memo_put(None);
        self.save_tuple(8, |p| {
            p.save_int(3);
            p.save_str("|", shared_str("|"))?;
            for _ in 0..3 {
                p.save(&PyValue::None, 0)?;
            }
            p.save_int(-1);
            p.save_int(-1);
            p.save_int(63);
            Ok(())
        })?;
        self.write(&[BUILD]);
        Ok(())
    }
}

// ---- the restricted unpickler --------------------------------------------------------------------

/// The globals a NumPy array pickle may name; nothing else resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Callable {
    Reconstruct,
    NdarrayType,
    DtypeType,
    FromBuffer,
    CodecsEncode,
    BytesType,
}

fn resolve_global(module: &str, name: &str) -> Result<Callable> {
    Ok(match (module, name) {
        ("numpy._core.multiarray" | "numpy.core.multiarray", "_reconstruct") => Callable::Reconstruct,
        ("numpy", "ndarray") => Callable::NdarrayType,
        ("numpy", "dtype") => Callable::DtypeType,
        ("numpy._core.numeric" | "numpy.core.numeric", "_frombuffer") => Callable::FromBuffer,
        ("_codecs", "encode") => Callable::CodecsEncode,
        ("__builtin__" | "builtins", "bytes") => Callable::BytesType,
        _ => {
            return Err(Error::corrupt(format!(
                "{ID}: refusing the global {}.{}: only numpy array pickles are decoded",
                short(module),
                short(name)
            )))
        }
    })
}

/// The argument of INT or LONG as Python's pickler writes it (`%ld`, `repr`): `0`, or an optional `-`
/// and decimal digits without a leading zero, within 128 bits. Python's reader takes more and reads it
/// differently (`010` is octal 8, `+1` and `-0` are bools, also hex, spaces, underscores): refused.
fn parse_decimal(text: &str) -> Result<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = text == "0" || digits.bytes().next().is_some_and(|b| b != b'0') && digits.bytes().all(|b| b.is_ascii_digit());
    if !canonical {
        return Err(corrupt(format!("the integer {:?} is not decimal digits as Python writes them", short(text))));
    }
    text.parse().map_err(|_| corrupt(format!("an integer of {} digits: only integers of up to 128 bits are decoded", digits.len())))
}

/// The argument of FLOAT, as Python's `float()` of a pickle reads it: `repr` text, also `nan`, `inf`,
/// `infinity` in any case. Rust reads the same forms; text past the float range is inf to Rust but an
/// OverflowError to Python, so it is refused.
fn parse_float(text: &str) -> Result<f64> {
    let value: f64 = text.parse().map_err(|_| corrupt(format!("FLOAT {:?} is not a number", short(text))))?;
    let named = text.trim_start_matches(['-', '+']).starts_with(|c: char| c.is_ascii_alphabetic());
    if value.is_infinite() && !named {
        return Err(corrupt(format!("FLOAT {:?} is out of the float range", short(text))));
    }
    Ok(value)
}

/// `raw_unicode_escape` decoding of a UNICODE line: bytes are latin-1 characters, `\uXXXX` and
/// `\UXXXXXXXX` (hex in either case) are code points, and a backslash before anything else stays, with
/// the byte after it. A surrogate, which Python would keep, cannot be UTF-8 and is refused.
fn raw_unicode_unescape(line: &[u8]) -> Result<String> {
    let mut text = String::with_capacity(line.len());
    let mut rest = line;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        let digits = match (byte, rest.first()) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            (b'\\', Some(&next)) => {
                text.push('\\');
                text.push(next as char);
                rest = &rest[1..];
                continue;
            }
            _ => {
                text.push(byte as char);
                continue;
            }
        };
        let hex = rest.get(1..1 + digits).ok_or_else(|| corrupt(format!("a truncated \\{} escape in a UNICODE string", rest[0] as char)))?;
        let code = hex
            .iter()
            .try_fold(0u32, |code, &h| (h as char).to_digit(16).map(|d| code << 4 | d))
            .ok_or_else(|| corrupt(format!("a \\{} escape with other than {digits} hex digits in a UNICODE string", rest[0] as char)))?;
        let c = char::from_u32(code).ok_or_else(|| corrupt(format!("the escape of U+{code:X} in a UNICODE string is a surrogate or beyond U+10FFFF")))?;
        text.push(c);
        rest = &rest[1 + digits..];
    }
    Ok(text)
}

fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// A value on the unpickler's stack. Lists, dtypes and arrays are mutable (APPEND, BUILD), so they live
/// in arenas and the stack and memo hold their indices, as Python holds references.
#[derive(Debug, Clone)]
enum Val {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    List(usize),
    Tuple(Rc<[Val]>),
    Callable(Callable),
    Dtype(usize),
    Array(usize),
}

impl Val {
    fn kind(&self) -> &'static str {
        match self {
            Val::None => "None",
            Val::Bool(_) => "a bool",
            Val::Int(_) => "an int",
            Val::Float(_) => "a float",
            Val::Str(_) => "a str",
            Val::Bytes(_) => "bytes",
            Val::List(_) => "a list",
            Val::Tuple(_) => "a tuple",
            Val::Callable(_) => "a global",
            Val::Dtype(_) => "a dtype",
            Val::Array(_) => "an array",
        }
    }
}

#[derive(Debug, Clone)]
struct DtypeVal {
    /// `dtype.__reduce__`'s first argument, e.g. `O8`, `f4`, `U5`.
    spec: Rc<str>,
    /// The byte order of the `BUILD` state (`<`, `>`, `|`, `=`); native until then.
    order: Option<char>,
}

#[derive(Debug, Clone)]
enum ArrayVal {
    /// `_reconstruct(ndarray, ...)` before its `BUILD`.
    Empty,
    /// `from_state`: built by `BUILD` (`ndarray.__setstate__`, which gives non-native byte orders back
    /// in native order) rather than by `_frombuffer` (which keeps the dtype).
    Built { shape: Vec<usize>, dtype: usize, fortran: bool, data: Val, from_state: bool },
}

/// What a pickle decodes to.
#[derive(Debug)]
enum Decoded {
    Objects(Vec<PyValue>),
    Numeric { dtype: DType, shape: Vec<usize>, data: Vec<u8> },
}

struct Unpickler<'a> {
    src: &'a [u8],
    pos: usize,
    stack: Vec<Val>,
    marks: Vec<usize>,
    memo: HashMap<u32, Val>,
    lists: Vec<Vec<Val>>,
    dtypes: Vec<DtypeVal>,
    arrays: Vec<ArrayVal>,
    /// Bytes of memory charged so far, against [`decode_limit`].
    used: usize,
    limit: usize,
}

fn corrupt(message: impl std::fmt::Display) -> Error {
    Error::corrupt(format!("{ID}: {message}"))
}

impl<'a> Unpickler<'a> {
    fn run(src: &'a [u8]) -> Result<Decoded> {
        let mut unpickler = Unpickler {
            src,
            pos: 0,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            lists: Vec::new(),
            dtypes: Vec::new(),
            arrays: Vec::new(),
            used: 0,
            limit: decode_limit(),
        };
        let result = unpickler.interpret()?;
        unpickler.finish(result)
    }

    /// Counts `bytes` of memory against the decode limit.
    fn charge(&mut self, bytes: usize) -> Result<()> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            return Err(Error::limit(format!("{ID}: decoding needs more than the limit of {} bytes", self.limit)));
        }
        Ok(())
    }

    fn read(&mut self, n: u64) -> Result<&'a [u8]> {
        let left = self.src.len() - self.pos;
        if n > left as u64 {
            return Err(corrupt(format!("truncated: {n} bytes needed at offset {}, {left} left", self.pos)));
        }
        let bytes = &self.src[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.read(1)?[0])
    }

    fn le(&mut self, n: u64) -> Result<u64> {
        let mut bytes = [0u8; 8];
        bytes[..n as usize].copy_from_slice(self.read(n)?);
        Ok(u64::from_le_bytes(bytes))
    }

    /// The argument of a text opcode: the bytes up to the next newline, which is consumed.
    fn line(&mut self, what: &str) -> Result<&'a [u8]> {
        let rest = &self.src[self.pos..];
        let end = rest.iter().position(|&b| b == b'\n').ok_or_else(|| corrupt(format!("truncated {what}: no newline after offset {}", self.pos)))?;
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    fn utf8_line(&mut self, what: &str) -> Result<&'a str> {
        std::str::from_utf8(self.line(what)?).map_err(|_| corrupt(format!("{what} is not UTF-8")))
    }

    /// A memo index of PUT or GET (protocol 0): decimal digits of a `u32`, as the binary opcodes have.
    fn memo_index(&mut self, what: &str) -> Result<u32> {
        let text = self.line(what)?;
        std::str::from_utf8(text)
            .ok()
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| corrupt(format!("{what} index {} is not a decimal memo index below 2**32", short(&String::from_utf8_lossy(text)))))
    }

    fn push(&mut self, value: Val) -> Result<()> {
        self.charge(size_of::<Val>())?;
        self.stack.push(value);
        Ok(())
    }

    fn pop(&mut self) -> Result<Val> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(corrupt("stack underflow (an opcode takes more values than there are)"));
        }
        Ok(self.stack.pop().expect("checked above"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Val>> {
        let mark = self.marks.pop().ok_or_else(|| corrupt("MARK expected"))?;
        Ok(self.stack.split_off(mark))
    }

    fn top(&self) -> Result<&Val> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(corrupt("stack underflow"));
        }
        Ok(self.stack.last().expect("checked above"))
    }

    fn text(&mut self, len: u64) -> Result<Val> {
        let bytes = self.read(len)?;
        self.charge(bytes.len())?;
        let text = std::str::from_utf8(bytes).map_err(|e| corrupt(format!("a string is not UTF-8: {e}")))?;
        Ok(Val::Str(Rc::from(text)))
    }

    fn bytes(&mut self, len: u64) -> Result<Val> {
        let bytes = self.read(len)?;
        self.charge(bytes.len())?;
        Ok(Val::Bytes(Rc::from(bytes)))
    }

    fn tuple(&mut self, items: Vec<Val>) -> Result<Val> {
        self.charge(items.len() * size_of::<Val>())?;
        Ok(Val::Tuple(Rc::from(items)))
    }

    fn memo_put(&mut self, index: u32) -> Result<()> {
        let value = self.top()?.clone();
        self.charge(size_of::<Val>() + 16)?;
        self.memo.insert(index, value);
        Ok(())
    }

    fn memo_get(&mut self, index: u32) -> Result<()> {
        let value = self.memo.get(&index).cloned().ok_or_else(|| corrupt(format!("memo entry {index} was never stored")))?;
        self.push(value)
    }

    fn list_mut(&mut self) -> Result<&mut Vec<Val>> {
        match self.top()? {
            &Val::List(index) => Ok(&mut self.lists[index]),
            other => Err(corrupt(format!("APPEND to {}, not a list", other.kind()))),
        }
    }

    /// Runs the opcodes up to `STOP`; returns the value it leaves.
    fn interpret(&mut self) -> Result<Val> {
        loop {
            let at = self.pos;
            match self.byte()? {
                PROTO => {
                    let protocol = self.byte()?;
                    if protocol > HIGHEST_PROTOCOL {
                        return Err(corrupt(format!("unsupported pickle protocol {protocol}")));
                    }
                }
                // CPython's unpickler only checks that a frame lies within the input.
                FRAME => {
                    let len = self.le(8)?;
                    if len > (self.src.len() - self.pos) as u64 {
                        return Err(corrupt(format!("a FRAME of {len} bytes at offset {at} runs past the end")));
                    }
                }
                STOP => return self.pop(),
                MARK => {
                    self.charge(size_of::<usize>())?;
                    self.marks.push(self.stack.len());
                }
                // The C pickler writes POP when a reduced object turns out to be recursive.
                POP => {
                    self.pop()?;
                }
                NONE => self.push(Val::None)?,
                NEWTRUE => self.push(Val::Bool(true))?,
                NEWFALSE => self.push(Val::Bool(false))?,
                BININT => {
                    let value = self.le(4)? as u32 as i32;
                    self.push(Val::Int(value.into()))?
                }
                BININT1 => {
                    let value = self.byte()?;
                    self.push(Val::Int(value.into()))?
                }
                BININT2 => {
                    let value = self.le(2)?;
                    self.push(Val::Int(value.into()))?
                }
                op @ (LONG1 | LONG4) => {
                    let len = if op == LONG1 { self.le(1)? } else { self.le(4)? as u32 as i32 as i64 as u64 };
                    if len > 16 {
                        return Err(corrupt(format!("an integer of {} bytes at offset {at}: only integers of up to 128 bits are decoded", len as i64)));
                    }
                    let bytes = self.read(len)?;
                    let mut wide = [if bytes.last().is_some_and(|&b| b & 0x80 != 0) { 0xff } else { 0 }; 16];
                    wide[..bytes.len()].copy_from_slice(bytes);
                    self.push(Val::Int(i128::from_le_bytes(wide)))?
                }
                INT => {
                    // Python 2 wrote bools as INT 00 / 01, which protocols 0 and 1 keep.
                    let value = match self.utf8_line("an INT")? {
                        "00" => Val::Bool(false),
                        "01" => Val::Bool(true),
                        text => Val::Int(parse_decimal(text)?),
                    };
                    self.push(value)?
                }
                LONG => {
                    let text = self.utf8_line("a LONG")?;
                    let value = parse_decimal(text.strip_suffix('L').unwrap_or(text))?;
                    self.push(Val::Int(value))?
                }
                FLOAT => {
                    let value = parse_float(self.utf8_line("a FLOAT")?)?;
                    self.push(Val::Float(value))?
                }
                UNICODE => {
                    let line = self.line("a UNICODE string")?;
                    let text = raw_unicode_unescape(line)?;
                    self.charge(text.len())?;
                    self.push(Val::Str(Rc::from(text)))?
                }
                PUT => {
                    let index = self.memo_index("a PUT")?;
                    self.memo_put(index)?
                }
                GET => {
                    let index = self.memo_index("a GET")?;
                    self.memo_get(index)?
                }
                BINFLOAT => {
                    let bytes: [u8; 8] = self.read(8)?.try_into().expect("8 bytes");
                    self.push(Val::Float(f64::from_be_bytes(bytes)))?
                }
                // Strings and bytes: a little-endian length of 1, 4 or 8 bytes, then the payload.
                op @ (SHORT_BINUNICODE | BINUNICODE | BINUNICODE8) => {
                    let len = self.le(length_width(op))?;
                    let value = self.text(len)?;
                    self.push(value)?
                }
                op @ (SHORT_BINBYTES | BINBYTES | BINBYTES8 | BYTEARRAY8) => {
                    let len = self.le(length_width(op))?;
                    let value = self.bytes(len)?;
                    self.push(value)?
                }
                EMPTY_LIST => {
                    self.lists.push(Vec::new());
                    self.push(Val::List(self.lists.len() - 1))?
                }
                LIST => {
                    let items = self.pop_mark()?;
                    self.lists.push(items);
                    self.push(Val::List(self.lists.len() - 1))?
                }
                APPEND => {
                    let value = self.pop()?;
                    self.charge(size_of::<Val>())?;
                    self.list_mut()?.push(value);
                }
                APPENDS => {
                    let items = self.pop_mark()?;
                    self.charge(items.len() * size_of::<Val>())?;
                    self.list_mut()?.extend(items);
                }
                EMPTY_TUPLE => {
                    let value = self.tuple(Vec::new())?;
                    self.push(value)?
                }
                op @ (TUPLE1 | TUPLE2 | TUPLE3) => {
                    let arity = (op - TUPLE1 + 1) as usize;
                    let mut items = Vec::with_capacity(arity);
                    for _ in 0..arity {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    let value = self.tuple(items)?;
                    self.push(value)?
                }
                TUPLE => {
                    let items = self.pop_mark()?;
                    let value = self.tuple(items)?;
                    self.push(value)?
                }
                MEMOIZE => {
                    let index = u32::try_from(self.memo.len()).map_err(|_| corrupt("memo overflow"))?;
                    self.memo_put(index)?
                }
                BINPUT => {
                    let index = self.le(1)? as u32;
                    self.memo_put(index)?
                }
                LONG_BINPUT => {
                    let index = self.le(4)? as u32;
                    self.memo_put(index)?
                }
                BINGET => {
                    let index = self.le(1)? as u32;
                    self.memo_get(index)?
                }
                LONG_BINGET => {
                    let index = self.le(4)? as u32;
                    self.memo_get(index)?
                }
                GLOBAL => {
                    let module = self.utf8_line("a GLOBAL module")?;
                    let name = self.utf8_line("a GLOBAL name")?;
                    let callable = resolve_global(module, name)?;
                    self.push(Val::Callable(callable))?
                }
                STACK_GLOBAL => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Val::Str(module), Val::Str(name)) = (&module, &name) else {
                        return Err(corrupt("STACK_GLOBAL needs two strings"));
                    };
                    let callable = resolve_global(module, name)?;
                    self.push(Val::Callable(callable))?
                }
                REDUCE => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let value = self.call(callable, args)?;
                    self.push(value)?
                }
                BUILD => {
                    let state = self.pop()?;
                    let target = self.top()?.clone();
                    self.build(target, state)?
                }
                op => {
                    return Err(corrupt(format!(
                        "opcode 0x{op:02x} at offset {at} is not one that numpy array pickles use (protocols 0 to 5)"
                    )))
                }
            }
        }
    }

    /// `REDUCE` of an allowed global with the arguments numpy's pickles give it.
    fn call(&mut self, callable: Val, args: Val) -> Result<Val> {
        let Val::Callable(callable) = callable else {
            return Err(corrupt(format!("REDUCE calls {}, not a global", callable.kind())));
        };
        let Val::Tuple(args) = args else {
            return Err(corrupt("REDUCE needs an argument tuple"));
        };
        match (callable, &args[..]) {
            (Callable::Reconstruct, [Val::Callable(Callable::NdarrayType), Val::Tuple(_), Val::Bytes(_) | Val::Str(_)]) => {
                self.arrays.push(ArrayVal::Empty);
                Ok(Val::Array(self.arrays.len() - 1))
            }
            (Callable::DtypeType, [Val::Str(spec), Val::Bool(_) | Val::Int(_), Val::Bool(_) | Val::Int(_)]) => {
                self.dtypes.push(DtypeVal { spec: spec.clone(), order: None });
                Ok(Val::Dtype(self.dtypes.len() - 1))
            }
            (Callable::CodecsEncode, [Val::Str(text), Val::Str(encoding)]) if &**encoding == "latin1" => {
                let bytes = text
                    .chars()
                    .map(|c| u8::try_from(c as u32).map_err(|_| corrupt("_codecs.encode of a character beyond latin-1")))
                    .collect::<Result<Vec<u8>>>()?;
                Ok(Val::Bytes(Rc::from(bytes)))
            }
            (Callable::BytesType, []) => Ok(Val::Bytes(Rc::from(&[][..]))),
            (Callable::FromBuffer, [data @ Val::Bytes(_), Val::Dtype(dtype), Val::Tuple(shape), Val::Str(order)]) => {
                let shape = shape_of(shape)?;
                let fortran = match &**order {
                    "C" => false,
                    "F" => true,
                    _ => return Err(corrupt("_frombuffer's order must be 'C' or 'F'")),
                };
                self.arrays.push(ArrayVal::Built { shape, dtype: *dtype, fortran, data: data.clone(), from_state: false });
                Ok(Val::Array(self.arrays.len() - 1))
            }
            (callable, _) => Err(corrupt(format!("refusing to call {callable:?} with these arguments"))),
        }
    }

    /// `BUILD`: `dtype.__setstate__` and `ndarray.__setstate__` with the states numpy writes.
    fn build(&mut self, target: Val, state: Val) -> Result<()> {
        let Val::Tuple(state) = state else {
            return Err(corrupt(format!("BUILD with {} as state", state.kind())));
        };
        match target {
            Val::Dtype(index) => {
                let (Some(Val::Int(version)), Some(Val::Str(order))) = (state.first(), state.get(1)) else {
                    return Err(corrupt("a dtype state starts with its version and byte order"));
                };
                if *version != 3 || state.len() != 8 {
                    return Err(corrupt(format!("dtype state version {version} (with {} entries): only plain dtypes (version 3) are decoded", state.len())));
                }
                let order = match &**order {
                    "<" => '<',
                    ">" => '>',
                    "|" => '|',
                    "=" => '=',
                    _ => return Err(corrupt("a dtype byte order must be <, >, | or =")),
                };
                self.dtypes[index].order = Some(order);
                Ok(())
            }
            Val::Array(index) => {
                if !matches!(self.arrays[index], ArrayVal::Empty) {
                    return Err(corrupt("BUILD of an array that is already built"));
                }
                let [Val::Int(1), Val::Tuple(shape), Val::Dtype(dtype), Val::Bool(fortran), data] = &state[..] else {
                    return Err(corrupt("an array state is (1, shape, dtype, is_fortran, data)"));
                };
                self.arrays[index] = ArrayVal::Built { shape: shape_of(shape)?, dtype: *dtype, fortran: *fortran, data: data.clone(), from_state: true };
                Ok(())
            }
            other => Err(corrupt(format!("BUILD of {}", other.kind()))),
        }
    }

    fn dtype(&self, index: usize) -> Result<DType> {
        let dtype = &self.dtypes[index];
        let spec = &*dtype.spec;
        let order = match dtype.order {
            Some('=') | None => "",
            Some(order) => if order == '<' { "<" } else if order == '>' { ">" } else { "|" },
        };
        let known = spec.starts_with(['b', 'i', 'u', 'f', 'c', 'U', 'S', 'O']) && spec[1..].bytes().all(|b| b.is_ascii_digit());
        if !known {
            return Err(corrupt(format!("dtype {}: only bool, number, string and object dtypes are decoded", short(spec))));
        }
        DType::parse(&format!("{order}{spec}")).map_err(|e| corrupt(e.message()))
    }

    fn finish(&mut self, result: Val) -> Result<Decoded> {
        let Val::Array(index) = result else {
            return Err(corrupt(format!("the pickle holds {}, not a numpy array", result.kind())));
        };
        let ArrayVal::Built { shape, dtype, fortran, data, from_state } = self.arrays[index].clone() else {
            return Err(corrupt("the array was never given its state (BUILD)"));
        };
        let dtype = self.dtype(dtype)?;
        let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| corrupt("the shape's size overflows"))?;
        match (dtype.is_object(), data) {
            (true, Val::List(list)) => {
                if self.lists[list].len() != count {
                    return Err(corrupt(format!("the shape {shape:?} has {count} items, the list {}", self.lists[list].len())));
                }
                let mut budget = Budget { used: 0, limit: self.limit };
                let items = self.lists[list].clone();
                Ok(Decoded::Objects(items.iter().map(|item| self.to_value(item, 0, &mut budget)).collect::<Result<_>>()?))
            }
            (false, Val::Bytes(bytes)) => {
                let expected = count.checked_mul(dtype.itemsize()).ok_or_else(|| corrupt("the array's size overflows"))?;
                if bytes.len() != expected {
                    return Err(corrupt(format!("the shape {shape:?} of {} needs {expected} bytes, the data has {}", dtype.typestr(), bytes.len())));
                }
                if fortran && shape.iter().filter(|&&d| d > 1).count() > 1 {
                    return Err(Error::unsupported(format!("{ID}: Fortran-ordered arrays of more than one dimension are not decoded")));
                }
                let mut data = bytes.to_vec();
                let dtype = if from_state { to_native_order(dtype, &mut data)? } else { dtype };
                Ok(Decoded::Numeric { dtype, shape, data })
            }
            (_, data) => Err(corrupt(format!("a {} array with {} as its data", dtype.typestr(), data.kind()))),
        }
    }

    /// An item of an object array; shared lists (memo references) are copied, within the decode limit.
    fn to_value(&self, value: &Val, depth: usize, budget: &mut Budget) -> Result<PyValue> {
        budget.charge(size_of::<PyValue>())?;
        Ok(match value {
            Val::None => PyValue::None,
            Val::Bool(b) => PyValue::Bool(*b),
            Val::Int(n) => PyValue::Int(*n),
            Val::Float(x) => PyValue::Float(*x),
            Val::Str(text) => {
                budget.charge(text.len())?;
                PyValue::Str(text.to_string())
            }
            Val::Bytes(bytes) => {
                budget.charge(bytes.len())?;
                PyValue::Bytes(bytes.to_vec())
            }
            Val::List(index) => {
                if depth >= MAX_DEPTH {
                    return Err(corrupt(format!("lists nested deeper than {MAX_DEPTH} (or a list that contains itself)")));
                }
                PyValue::List(self.lists[*index].iter().map(|item| self.to_value(item, depth + 1, budget)).collect::<Result<_>>()?)
            }
            other => return Err(Error::unsupported(format!("{ID}: an item is {}; only None, bool, int, float, str, bytes and lists are decoded", other.kind()))),
        })
    }
}

/// numpy's `ndarray.__setstate__` keeps data in native order: a non-native array is swapped (per
/// number, per complex component, per UCS-4 code unit).
fn to_native_order(dtype: DType, data: &mut [u8]) -> Result<DType> {
    let native = if cfg!(target_endian = "little") { ByteOrder::Little } else { ByteOrder::Big };
    if dtype.byte_order() == ByteOrder::NotApplicable || dtype.byte_order() == native {
        return Ok(dtype);
    }
    let unit = match dtype.kind() {
        'c' => dtype.itemsize() / 2,
        'U' => 4,
        _ => dtype.itemsize(),
    };
    for chunk in data.chunks_exact_mut(unit) {
        chunk.reverse();
    }
    let typestr = dtype.typestr();
    let order = if native == ByteOrder::Little { "<" } else { ">" };
    DType::parse(&format!("{order}{}", &typestr[1..])).map_err(|e| corrupt(e.message()))
}

struct Budget {
    used: usize,
    limit: usize,
}

impl Budget {
    fn charge(&mut self, bytes: usize) -> Result<()> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            return Err(Error::limit(format!("{ID}: the decoded items exceed the limit of {} bytes", self.limit)));
        }
        Ok(())
    }
}

fn shape_of(shape: &[Val]) -> Result<Vec<usize>> {
    shape
        .iter()
        .map(|d| match d {
            Val::Int(n) => usize::try_from(*n).map_err(|_| corrupt(format!("a shape entry {n} is out of range"))),
            _ => Err(corrupt("a shape entry is not an integer")),
        })
        .collect()
}

// ---- items and JSON ------------------------------------------------------------------------------

const FLOAT_TAG: &str = "float";

fn json_to_value(value: &Value, depth: usize) -> Result<PyValue> {
    let bad = || Error::invalid_argument(format!("{ID}: cannot pickle the JSON item {}", short(&value.to_string())));
    Ok(match value {
        Value::Null => PyValue::None,
        Value::Bool(b) => PyValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => PyValue::Int(i.into()),
            (_, Some(u), _) => PyValue::Int(u.into()),
            (_, _, Some(x)) => PyValue::Float(x),
            _ => return Err(bad()),
        },
        Value::String(text) => PyValue::Str(text.clone()),
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(Error::invalid_argument(format!("{ID}: lists nested deeper than {MAX_DEPTH}")));
            }
            PyValue::List(items.iter().map(|item| json_to_value(item, depth + 1)).collect::<Result<_>>()?)
        }
        Value::Object(map) if map.len() == 1 => match map.iter().next() {
            Some((key, _)) if key == "b64" => match json_to_bytes(value) {
                Some(Ok(bytes)) => PyValue::Bytes(bytes),
                Some(Err(why)) => return Err(Error::invalid_argument(format!("{ID}: {why}"))),
                None => return Err(bad()),
            },
            Some((key, Value::String(text))) if key == FLOAT_TAG => PyValue::Float(match text.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                _ => return Err(bad()),
            }),
            _ => return Err(bad()),
        },
        Value::Object(_) => return Err(bad()),
    })
}

fn value_to_json(value: &PyValue) -> Result<Value> {
    let tagged = |key: &str, text: String| {
        let mut map = Map::new();
        map.insert(key.into(), Value::String(text));
        Value::Object(map)
    };
    Ok(match value {
        PyValue::None => Value::Null,
        PyValue::Bool(b) => Value::Bool(*b),
        PyValue::Int(n) => {
            if let Ok(i) = i64::try_from(*n) {
                Value::from(i)
            } else if let Ok(u) = u64::try_from(*n) {
                Value::from(u)
            } else {
                return Err(Error::unsupported(format!("{ID}: the integer {n} does not fit JSON's 64-bit numbers")));
            }
        }
        PyValue::Float(x) if x.is_nan() => tagged(FLOAT_TAG, "NaN".into()),
        PyValue::Float(x) if x.is_infinite() => tagged(FLOAT_TAG, if *x > 0.0 { "Infinity" } else { "-Infinity" }.into()),
        PyValue::Float(x) => Value::Number(Number::from_f64(*x).ok_or_else(|| Error::internal("finite float"))?),
        PyValue::Str(text) => Value::String(text.clone()),
        PyValue::Bytes(bytes) => bytes_to_json(bytes),
        PyValue::List(items) => Value::Array(items.iter().map(value_to_json).collect::<Result<_>>()?),
    })
}

/// The bytes of a `str` or `bytes` item for the byte-item API.
fn item_bytes(index: usize, value: &PyValue) -> Result<&[u8]> {
    match value {
        PyValue::Str(text) => Ok(text.as_bytes()),
        PyValue::Bytes(bytes) => Ok(bytes),
        other => Err(Error::unsupported(format!(
            "{ID}: item {index} is {}, which the byte-item API cannot give; use numcodecs_decode_json_items",
            match other {
                PyValue::None => "None",
                PyValue::Bool(_) => "a bool",
                PyValue::Int(_) => "an int",
                PyValue::Float(_) => "a float",
                _ => "a list",
            }
        ))),
    }
}

impl Pickle {
    fn items_to_values(items: Items) -> Result<Vec<PyValue>> {
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                std::str::from_utf8(item)
                    .map(|text| PyValue::Str(text.to_string()))
                    .map_err(|e| Error::invalid_argument(format!("{ID}: item {index} is not valid UTF-8 (items are pickled as str): {e}")))
            })
            .collect()
    }
}

impl Codec for Pickle {
    fn codec_id(&self) -> &str {
        ID
    }

    fn config(&self) -> Map<String, Value> {
        config_map(ID, [("protocol", Value::from(self.protocol))])
    }

    fn encode_bound(&self, _src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Err(numeric_encode_unsupported())
    }

    fn encode(&self, _src: &[u8], _info: &ArrayInfo) -> Result<Vec<u8>> {
        Err(numeric_encode_unsupported())
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        Ok(self.decode_numeric(src)?.1.len())
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        Ok(self.decode_numeric(src)?.1)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        copy_into(&self.decode(src)?, dst)
    }

    /// The dtype and shape of a numeric array pickle; `None` for an object array.
    fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
        match Unpickler::run(src)? {
            Decoded::Numeric { dtype, shape, .. } => Ok(Some(ArrayInfo::new(dtype, Some(shape)))),
            Decoded::Objects(_) => Ok(None),
        }
    }

    fn as_object(&self) -> Option<&dyn ObjectCodec> {
        Some(self)
    }
}

fn numeric_encode_unsupported() -> Error {
    Error::unsupported(format!(
        "{ID}: encoding numeric arrays is not supported; object arrays encode through numcodecs_encode_items (or the _flat and _json_items forms)"
    ))
}

impl ObjectCodec for Pickle {
    fn item_kind(&self) -> ItemKind {
        ItemKind::Utf8
    }

    fn encoded_items_len(&self, items: Items) -> Result<usize> {
        Ok(self.encode_values(&Self::items_to_values(items)?)?.len())
    }

    fn encode_items_into(&self, items: Items, dst: &mut [u8]) -> Result<usize> {
        copy_into(&self.encode_items(items)?, dst)
    }

    fn encode_items(&self, items: Items) -> Result<Vec<u8>> {
        self.encode_values(&Self::items_to_values(items)?)
    }

    fn decoded_items_size(&self, src: &[u8]) -> Result<(usize, usize)> {
        let values = self.decode_values(src)?;
        let mut data_len = 0;
        for (index, value) in values.iter().enumerate() {
            data_len += item_bytes(index, value)?.len();
        }
        Ok((values.len(), data_len))
    }

    fn decode_items(&self, src: &[u8]) -> Result<DecodedItems> {
        let values = self.decode_values(src)?;
        let bytes = values.iter().enumerate().map(|(index, value)| item_bytes(index, value)).collect::<Result<Vec<_>>>()?;
        let mut decoded = DecodedItems::with_capacity(bytes.len(), bytes.iter().map(|b| b.len()).sum());
        for item in bytes {
            decoded.push(item);
        }
        Ok(decoded)
    }

    fn encode_json_items(&self, items: &[Value]) -> Result<Vec<u8>> {
        let values = items.iter().map(|item| json_to_value(item, 1)).collect::<Result<Vec<_>>>()?;
        self.encode_values(&values)
    }

    fn decode_json_items(&self, src: &[u8]) -> Result<Vec<Value>> {
        self.decode_values(src)?.iter().map(value_to_json).collect()
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};
    use serde_json::json;

    #[test]
    fn protocols_numcodecs_accepts_and_those_we_encode() {
        let codec = |config: &str| codec_from_json(config).unwrap();
        assert_eq!(codec(r#"{"id":"pickle"}"#).config_json(), r#"{"id":"pickle","protocol":5}"#);
        assert_eq!(codec(r#"{"id":"pickle","protocol":-1}"#).config_json(), r#"{"id":"pickle","protocol":-1}"#);
        let items = [json!("a")];
        assert_eq!(codec(r#"{"id":"pickle","protocol":-1}"#).as_object().unwrap().encode_json_items(&items).unwrap()[..2], [PROTO, 5]);
        // Protocols 0 and 1 have no PROTO header: the pickle starts with its first GLOBAL.
        for protocol in [0, 1] {
            let encoded = codec(&format!(r#"{{"id":"pickle","protocol":{protocol}}}"#)).as_object().unwrap().encode_json_items(&items).unwrap();
            assert!(encoded.starts_with(b"cnumpy._core.multiarray\n_reconstruct\n"), "{protocol}");
        }
        assert_eq!(codec(r#"{"id":"pickle","protocol":6}"#).as_object().unwrap().encode_json_items(&items).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(codec_from_json(r#"{"id":"pickle","level":1}"#).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn json_bridge_round_trips_every_item_kind() {
        let codec = codec_from_json(r#"{"id":"pickle","protocol":3}"#).unwrap();
        let object = codec.as_object().unwrap();
        let items = [
            json!(null),
            json!(true),
            json!(-1),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(2.5),
            json!({"float": "NaN"}),
            json!({"float": "-Infinity"}),
            json!("\u{e9}"),
            json!({"b64": "AP8="}),
            json!([1, ["x", [null]], []]),
        ];
        let encoded = object.encode_json_items(&items).unwrap();
        assert_eq!(object.decode_json_items(&encoded).unwrap(), items);
        // The byte-item API refuses the non-string items, naming the JSON bridge.
        let error = object.decode_items(&encoded).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        assert!(error.message().contains("numcodecs_decode_json_items"), "{}", error.message());
        for bad in [json!({"float": "1"}), json!({"b64": "!"}), json!({"x": 1})] {
            assert_eq!(object.encode_json_items(&[bad]).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
        let mut deep = json!("x");
        for _ in 0..MAX_DEPTH + 1 {
            deep = json!([deep]);
        }
        assert_eq!(object.encode_json_items(&[deep]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn byte_items_are_str_when_encoding_and_str_or_bytes_when_decoding() {
        let codec = codec_from_json(r#"{"id":"pickle"}"#).unwrap();
        let object = codec.as_object().unwrap();
        let encoded = object.encode_items(Items::List(&[b"ab", b""])).unwrap();
        assert_eq!(object.decode_items(&encoded).unwrap().iter().collect::<Vec<_>>(), [&b"ab"[..], b""]);
        assert_eq!(object.encode_items(Items::List(&[b"\xff"])).unwrap_err().kind(), ErrorKind::InvalidArgument);
        let mixed = object.encode_json_items(&[json!("s"), json!({"b64": "/w=="})]).unwrap();
        assert_eq!(object.decode_items(&mixed).unwrap().iter().collect::<Vec<_>>(), [&b"s"[..], b"\xff"]);
        // Object arrays are not numeric arrays: the byte API points at the item API, and encoding numeric
        // arrays is not supported.
        assert_eq!(codec.decode(&encoded).unwrap_err().kind(), ErrorKind::Unsupported);
        assert_eq!(codec.decoded_info(&encoded).unwrap(), None);
        assert_eq!(codec.encode(b"abcd", &ArrayInfo::default()).unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn protocol_0_writes_text_opcodes() {
        let codec = codec_from_json(r#"{"id":"pickle","protocol":0}"#).unwrap();
        let items = [json!(7), json!(-1), json!(1u64 << 40), json!(true), json!(2.5), json!({"float": "-Infinity"}), json!(null), json!("\\\n\u{e9}\u{20ac}\u{1f600}")];
        let encoded = codec.as_object().unwrap().encode_json_items(&items).unwrap();
        let list = &encoded[encoded.windows(6).position(|w| w == b"(lp17\n").unwrap()..];
        assert_eq!(list, &b"(lp17\nI7\naI-1\naL1099511627776L\naI01\naF2.5\naF-inf\naNaV\\u005c\\u000a\xe9\\u20ac\\U0001f600\np18\natp19\nb."[..]);
        assert_eq!(codec.as_object().unwrap().decode_json_items(&encoded).unwrap(), items);
    }

    #[test]
    fn text_arguments_are_read_as_python_writes_them() {
        assert_eq!(parse_decimal("-17").unwrap(), -17);
        assert_eq!(parse_decimal("0").unwrap(), 0);
        assert_eq!(parse_decimal(&i128::MIN.to_string()).unwrap(), i128::MIN);
        for bad in ["", "-", "0x10", "1_000", " 1", "1 ", "\u{661}", &"9".repeat(5000), "010", "+1", "-0", &format!("{}1", "0".repeat(5000))] {
            assert_eq!(parse_decimal(bad).unwrap_err().kind(), ErrorKind::CorruptData, "{bad:?}");
        }
        for (text, value) in [("2.5", 2.5), ("-0.0", -0.0), ("1e-05", 1e-5), ("inf", f64::INFINITY), ("-inf", f64::NEG_INFINITY), ("Infinity", f64::INFINITY)] {
            assert_eq!(parse_float(text).unwrap().to_bits(), f64::to_bits(value), "{text}");
        }
        assert!(parse_float("nan").unwrap().is_nan());
        assert_eq!(parse_float(&format!("0.{}1", "0".repeat(5000))).unwrap(), 0.0);
        for bad in ["", "1e999", &format!("1{}", "0".repeat(5000)), "1.5.", "0x1p3", "1_0", "nan1"] {
            assert_eq!(parse_float(bad).unwrap_err().kind(), ErrorKind::CorruptData, "{bad:?}");
        }
        // Every character survives the escape and the unescape; other backslashes stay as they are.
        let text: String = (0..0x11000).filter_map(char::from_u32).collect();
        let mut escaped = Vec::new();
        raw_unicode_escape(&text, &mut escaped);
        assert!(!escaped.contains(&b'\n'));
        assert_eq!(raw_unicode_unescape(&escaped).unwrap(), text);
        assert_eq!(raw_unicode_unescape(b"\\\\u0041 \\x \\U0010FFFF \\u00E9 \\").unwrap(), "\\\\u0041 \\x \u{10ffff} \u{e9} \\");
        for bad in [&b"\\u12"[..], b"\\u12g4", b"\\U00110000", b"\\ud800", b"\\U"] {
            assert_eq!(raw_unicode_unescape(bad).unwrap_err().kind(), ErrorKind::CorruptData, "{bad:?}");
        }
    }

    #[test]
    fn memory_is_charged_against_the_decode_limit() {
        let codec = codec_from_json(r#"{"id":"pickle","protocol":2}"#).unwrap();
        let items: Vec<String> = (0..1000).map(|i| format!("item {i}")).collect();
        let slices: Vec<&[u8]> = items.iter().map(|s| s.as_bytes()).collect();
        let encoded = codec.as_object().unwrap().encode_items(Items::List(&slices)).unwrap();
        assert!(codec.as_object().unwrap().decode_items(&encoded).is_ok());
        let error = crate::codecs::with_decode_limit(10_000, || codec.as_object().unwrap().decode_items(&encoded)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    }
}
