//! `msgpack2`: msgpack-python 1.x's `packb(..., use_bin_type, use_single_float)` and
//! `unpackb(..., raw)`, written here (no msgpack crate writes exactly these bytes for Python's types).
//!
//! Packing: ints in the smallest form, unsigned families for positive values and signed ones for
//! negative (`0xcc`-`0xcf`, `0xd0`-`0xd3`, fixints); floats as float64 (`0xcb`), or float32 (`0xca`,
//! the C cast of the double, refused when that overflows) with `use_single_float`; str as fixstr/str8/str16/str32, except that without
//! `use_bin_type` there is no str8 and bytes are written as str too (msgpack's old raw type); lists and
//! tuples as arrays, dicts as maps in insertion order. Unpacking: `raw` gives str-family payloads as
//! bytes, otherwise they must be UTF-8; map keys must be str or bytes (`strict_map_key`); ext types,
//! which numcodecs never writes, and trailing bytes (`ExtraData`) are refused.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{corrupt, Dialect, Emitter, Flag, Reader, Scalar, Sink, Token, MAX_DEPTH};
use crate::codecs::object::is_utf8;
use crate::codecs::{Error, Params, Result};

/// The `msgpack2` options, as numcodecs' `MsgPack.__init__` takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct MsgPack {
    raw: Flag,
    use_single_float: Flag,
    use_bin_type: Flag,
}

impl MsgPack {
    pub(super) fn from_params(mut params: Params) -> Result<MsgPack> {
        let use_single_float = Flag::take(&mut params, "use_single_float", false);
        let use_bin_type = Flag::take(&mut params, "use_bin_type", true);
        let raw = Flag::take(&mut params, "raw", false);
        params.finish()?;
        Ok(MsgPack { raw, use_single_float, use_bin_type })
    }
}

impl Dialect for MsgPack {
    const ID: &'static str = "msgpack2";
    type Emitter<'e> = MsgPackEmitter<'e>;
    type Reader<'a> = MsgPackReader<'a>;

    fn config(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("id".into(), Value::from(Self::ID));
        map.insert("raw".into(), self.raw.given.clone());
        map.insert("use_single_float".into(), self.use_single_float.given.clone());
        map.insert("use_bin_type".into(), self.use_bin_type.given.clone());
        map
    }

    fn emitter(&self) -> MsgPackEmitter<'_> {
        MsgPackEmitter { o: self }
    }

    fn prepare<'a>(&self, src: &'a [u8]) -> Result<Cow<'a, [u8]>> {
        Ok(Cow::Borrowed(src))
    }

    fn reader<'a>(&'a self, input: &'a [u8]) -> Result<MsgPackReader<'a>> {
        Ok(MsgPackReader::new(input, 0, self.raw.on))
    }

    fn bound(&self, units: usize, _depth: usize) -> Option<usize> {
        // At most 9 bytes a scalar or container header, plus the dtype string.
        units.checked_mul(9)?.checked_add(64)
    }

    fn encodes_zero_dim(&self) -> bool {
        false
    }
}

// ---- packing ----------------------------------------------------------------------------------------

pub(crate) struct MsgPackEmitter<'o> {
    o: &'o MsgPack,
}

/// A container or str/bin length as msgpack's 32-bit length fields hold it.
fn length(len: usize, what: &str) -> Result<u32> {
    u32::try_from(len).map_err(|_| Error::limit(format!("msgpack2: a {what} of {len} entries or bytes is over msgpack's 2^32 - 1")))
}

impl MsgPackEmitter<'_> {
    /// A header in its smallest form: the fix form for lengths below `fix_limit`, else 8 (if
    /// `code8` is given), 16 or 32 bits.
    fn header<S: Sink>(out: &mut S, len: u32, fix: u8, fix_limit: u32, code8: Option<u8>, code16: u8, code32: u8) {
        match (len, code8) {
            (len, _) if len < fix_limit => out.put_byte(fix | len as u8),
            (len, Some(code)) if len < 256 => out.put(&[code, len as u8]),
            (len, _) if len < 65536 => {
                out.put_byte(code16);
                out.put(&(len as u16).to_be_bytes());
            }
            (len, _) => {
                out.put_byte(code32);
                out.put(&len.to_be_bytes());
            }
        }
    }

    /// msgpack's raw (str) header; str8 exists only with use_bin_type.
    fn raw_header<S: Sink>(&self, out: &mut S, len: usize) -> Result<()> {
        let str8 = self.o.use_bin_type.on.then_some(0xd9);
        Self::header(out, length(len, "str")?, 0xa0, 32, str8, 0xda, 0xdb);
        Ok(())
    }
}

impl Emitter for MsgPackEmitter<'_> {
    fn open_list<S: Sink>(&mut self, out: &mut S, len: usize) -> Result<()> {
        Self::header(out, length(len, "list")?, 0x90, 16, None, 0xdc, 0xdd);
        Ok(())
    }

    #[inline]
    fn item<S: Sink>(&mut self, _out: &mut S, _index: usize) {}

    fn close_list<S: Sink>(&mut self, _out: &mut S, _len: usize) {}

    fn open_dict<S: Sink>(&mut self, out: &mut S, len: usize) -> Result<()> {
        Self::header(out, length(len, "dict")?, 0x80, 16, None, 0xde, 0xdf);
        Ok(())
    }

    fn key<S: Sink>(&mut self, out: &mut S, _index: usize, key: &str) -> Result<()> {
        self.string(out, key.as_bytes())
    }

    fn close_dict<S: Sink>(&mut self, _out: &mut S, _len: usize) {}

    fn none<S: Sink>(&mut self, out: &mut S) {
        out.put_byte(0xc0);
    }

    fn boolean<S: Sink>(&mut self, out: &mut S, value: bool) {
        out.put_byte(if value { 0xc3 } else { 0xc2 });
    }

    fn int<S: Sink>(&mut self, out: &mut S, value: i128) -> Result<()> {
        match value {
            0..=0x7f => out.put_byte(value as u8),
            0x80..=0xff => out.put(&[0xcc, value as u8]),
            0x100..=0xffff => {
                out.put_byte(0xcd);
                out.put(&(value as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.put_byte(0xce);
                out.put(&(value as u32).to_be_bytes());
            }
            0x1_0000_0000.. if value <= u64::MAX as i128 => {
                out.put_byte(0xcf);
                out.put(&(value as u64).to_be_bytes());
            }
            -32..=-1 => out.put_byte(value as i8 as u8),
            -0x80..=-33 => out.put(&[0xd0, value as i8 as u8]),
            -0x8000..=-0x81 => {
                out.put_byte(0xd1);
                out.put(&(value as i16).to_be_bytes());
            }
            -0x8000_0000..=-0x8001 => {
                out.put_byte(0xd2);
                out.put(&(value as i32).to_be_bytes());
            }
            _ if value >= i64::MIN as i128 && value < 0 => {
                out.put_byte(0xd3);
                out.put(&(value as i64).to_be_bytes());
            }
            _ => return Err(Error::invalid_argument(format!("msgpack2: integer {value} is out of msgpack's range"))),
        }
        Ok(())
    }

    fn float<S: Sink>(&mut self, out: &mut S, value: f64) -> Result<()> {
        if self.o.use_single_float.on {
            // msgpack-python packs with PyFloat_Pack4: the C cast, refusing finite values it turns infinite.
            let single = value as f32;
            if single.is_infinite() && value.is_finite() {
                return Err(Error::invalid_argument(format!("msgpack2: float {value} too large to pack with f format (use_single_float)")));
            }
            out.put_byte(0xca);
            out.put(&single.to_be_bytes());
        } else {
            out.put_byte(0xcb);
            out.put(&value.to_be_bytes());
        }
        Ok(())
    }

    fn string<S: Sink>(&mut self, out: &mut S, value: &[u8]) -> Result<()> {
        self.raw_header(out, value.len())?;
        out.put(value);
        Ok(())
    }

    /// A str under 32 bytes is a fixstr: its one-byte header and text go out in one write.
    #[inline]
    fn str_item<S: Sink>(&mut self, out: &mut S, _index: usize, value: &[u8]) -> Result<bool> {
        if !is_utf8(value) {
            return Ok(false);
        }
        if value.len() < 32 {
            out.put_parts(&[0xa0 | value.len() as u8], value, &[]);
        } else {
            self.string(out, value)?;
        }
        Ok(true)
    }

    fn bytes<S: Sink>(&mut self, out: &mut S, value: &[u8]) -> Result<()> {
        if self.o.use_bin_type.on {
            Self::header(out, length(value.len(), "bytes")?, 0, 0, Some(0xc4), 0xc5, 0xc6);
        } else {
            self.raw_header(out, value.len())?;
        }
        out.put(value);
        Ok(())
    }

    fn sorts_keys(&self) -> bool {
        false
    }

    fn has_bytes(&self) -> bool {
        true
    }
}

// ---- unpacking --------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Frame {
    dict: bool,
    /// Values still to come (a dict counts keys and values).
    remaining: usize,
}

/// `msgpack.unpackb` as a token stream (see the module documentation).
pub(crate) struct MsgPackReader<'a> {
    src: &'a [u8],
    pos: usize,
    raw: bool,
    stack: Vec<Frame>,
    /// The top-level value was started.
    started: bool,
    start: usize,
    held: Scalar<'a>,
}

impl<'a> MsgPackReader<'a> {
    fn new(src: &'a [u8], pos: usize, raw: bool) -> Self {
        MsgPackReader { src, pos, raw, stack: Vec::new(), started: false, start: pos, held: Scalar::None }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(len).filter(|&end| end <= self.src.len());
        let end = end.ok_or_else(|| corrupt::<MsgPack>(format!("truncated input: {len} bytes needed at byte {}, {} left", self.pos, self.src.len() - self.pos)))?;
        let bytes = &self.src[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn uint(&mut self, len: usize) -> Result<u64> {
        Ok(self.take(len)?.iter().fold(0u64, |acc, &b| acc << 8 | b as u64))
    }

    fn open(&mut self, dict: bool, len: u64) -> Result<Token> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(corrupt::<MsgPack>(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let remaining = usize::try_from(len).ok().and_then(|len| len.checked_mul(1 + dict as usize));
        let remaining = remaining.ok_or_else(|| corrupt::<MsgPack>("a container longer than memory"))?;
        self.stack.push(Frame { dict, remaining });
        Ok(if dict { Token::Dict } else { Token::List })
    }

    fn text(&mut self, len: u64) -> Result<Scalar<'a>> {
        let at = self.pos;
        let bytes = self.take(len as usize)?;
        if self.raw {
            return Ok(Scalar::RawStr(bytes));
        }
        if !super::is_utf8(bytes) {
            return Err(corrupt::<MsgPack>(format!("the str at byte {at} is not valid UTF-8; raw=False decodes it as text")));
        }
        Ok(Scalar::Str(bytes))
    }

    fn value(&mut self) -> Result<Token> {
        self.start = self.pos;
        let code = self.take(1)?[0];
        let scalar = match code {
            0x00..=0x7f => Scalar::Int(code as i128),
            0x80..=0x8f => return self.open(true, (code & 0x0f) as u64),
            0x90..=0x9f => return self.open(false, (code & 0x0f) as u64),
            0xa0..=0xbf => self.text((code & 0x1f) as u64)?,
            0xc0 => Scalar::None,
            0xc2 => Scalar::Bool(false),
            0xc3 => Scalar::Bool(true),
            0xc4..=0xc6 => {
                let len = self.uint(1 << (code - 0xc4))?;
                Scalar::Bytes(self.take(len as usize)?)
            }
            // float32 widened to the Python float as C does (NaN payloads kept, quieted).
            0xca => Scalar::Float(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => Scalar::Float(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => Scalar::Int(self.uint(1 << (code - 0xcc))? as i128),
            0xd0 => Scalar::Int(self.uint(1)? as u8 as i8 as i128),
            0xd1 => Scalar::Int(self.uint(2)? as u16 as i16 as i128),
            0xd2 => Scalar::Int(self.uint(4)? as u32 as i32 as i128),
            0xd3 => Scalar::Int(self.uint(8)? as i64 as i128),
            0xd9..=0xdb => {
                let len = self.uint(1 << (code - 0xd9))?;
                self.text(len)?
            }
            0xdc | 0xdd => {
                let len = self.uint(2 << (code - 0xdc))?;
                return self.open(false, len);
            }
            0xde | 0xdf => {
                let len = self.uint(2 << (code - 0xde))?;
                return self.open(true, len);
            }
            0xe0..=0xff => Scalar::Int(code as i8 as i128),
            0xc7..=0xc9 | 0xd4..=0xd8 => return Err(corrupt::<MsgPack>(format!("ext type 0x{code:02x} at byte {} (numcodecs never writes one)", self.start))),
            0xc1 => return Err(corrupt::<MsgPack>(format!("byte 0xc1 at {} is not a msgpack type", self.start))),
        };
        self.held = scalar;
        Ok(Token::Scalar)
    }
}

impl Reader for MsgPackReader<'_> {
    fn next(&mut self) -> Result<Token> {
        let mut key = false;
        if let Some(top) = self.stack.last_mut() {
            if top.remaining == 0 {
                self.stack.pop();
                return Ok(Token::End);
            }
            key = top.dict && top.remaining % 2 == 0;
            top.remaining -= 1;
        } else if self.started {
            return Err(Error::internal("msgpack2: read past the top-level value"));
        }
        self.started = true;
        let token = self.value()?;
        if key && !matches!((token, self.held), (Token::Scalar, Scalar::Str(_) | Scalar::Bytes(_) | Scalar::RawStr(_))) {
            return Err(corrupt::<MsgPack>(format!("the map key at byte {} is not str or bytes (unpackb's strict_map_key)", self.start)));
        }
        Ok(token)
    }

    fn scalar(&self) -> Scalar<'_> {
        self.held
    }

    fn offset(&self) -> usize {
        self.start
    }

    fn at(&self, offset: usize) -> Self {
        MsgPackReader::new(self.src, offset, self.raw)
    }

    fn finish(&mut self) -> Result<()> {
        if self.pos != self.src.len() {
            return Err(corrupt::<MsgPack>(format!("{} bytes of extra data after the document", self.src.len() - self.pos)));
        }
        Ok(())
    }
}
