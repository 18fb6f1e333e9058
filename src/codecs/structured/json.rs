//! `json2`: Python's `json` module as numcodecs configures it, byte for byte.
//!
//! Encoding follows `json.JSONEncoder` (the C encoder when `indent` is None, the pure-Python one
//! otherwise; both write the same tokens): floats as `float.__repr__` (`1e+16`, `1e-05`, `0.0001`),
//! `NaN`/`Infinity`/`-Infinity` when `allow_nan`, strings escaped as `encode_basestring(_ascii)` does
//! (`\uXXXX` in lower-case hex, surrogate pairs above U+FFFF, `\u007f` when `ensure_ascii`), empty
//! containers as `[]`/`{}`, and with `indent` a newline plus the indent string per level after each
//! separator (so the default `", "` leaves a space at the end of each line, as numcodecs writes it).
//! Decoding follows `json.JSONDecoder`: whitespace is `[ \t\n\r]`, `NaN` and `Infinity` are accepted,
//! `strict` refuses control characters inside strings, `\u` escapes pair surrogates.
//!
//! The text encoding (`encoding`) may be UTF-8, ASCII or Latin-1 under any name Python's codec registry
//! gives them; other codecs are refused (the fixtures prove these three).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{checked_str_item, corrupt, unsupported, Dialect, Emitter, Flag, Reader, Scalar, Sink, Token, MAX_DEPTH};
use crate::codecs::object::{end_words, short_word};
use crate::codecs::{Error, Params, Result};

/// The text encodings json2 supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Ascii,
    Latin1,
}

impl TextEncoding {
    /// Python's `codecs.lookup(name)` for the three codecs: lower-case, runs of characters other than
    /// letters, digits and `.` become `_` (encodings.normalize_encoding), then the alias table.
    fn lookup(name: &str) -> Option<TextEncoding> {
        let mut normal = String::new();
        let mut punctuation = false;
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() || c == '.' {
                if punctuation && !normal.is_empty() {
                    normal.push('_');
                }
                if c.is_ascii() {
                    normal.push(c);
                }
                punctuation = false;
            } else {
                punctuation = true;
            }
        }
        let module = |name: &str| match name {
            "utf_8" | "cp65001" | "u8" | "utf" | "utf8" | "utf8_ucs2" | "utf8_ucs4" => Some(TextEncoding::Utf8),
            "ascii" | "646" | "ansi_x3.4_1968" | "ansi_x3.4_1986" | "ansi_x3_4_1968" | "cp367" | "csascii" | "ibm367" | "iso646_us"
            | "iso_646.irv_1991" | "iso_ir_6" | "us" | "us_ascii" => Some(TextEncoding::Ascii),
            "latin_1" | "8859" | "cp819" | "csisolatin1" | "ibm819" | "iso8859" | "iso8859_1" | "iso_8859_1" | "iso_8859_1_1987"
            | "iso_ir_100" | "l1" | "latin" | "latin1" => Some(TextEncoding::Latin1),
            _ => None,
        };
        module(&normal).or_else(|| module(&normal.replace('.', "_")))
    }

    /// Appends `c`, a character outside ASCII, in this encoding; None if the encoding has no byte for it.
    fn put_char<S: Sink>(self, out: &mut S, c: char) -> Option<()> {
        match self {
            TextEncoding::Utf8 => out.put(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
            TextEncoding::Latin1 => out.put_byte(u8::try_from(c as u32).ok()?),
            TextEncoding::Ascii => return None,
        }
        Some(())
    }

    /// `text` in this encoding (for the option strings, encoded once).
    fn encode(self, text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for c in text.chars() {
            if c.is_ascii() {
                out.push(c as u8);
            } else {
                self.put_char(&mut out, c)?;
            }
        }
        Some(out)
    }
}

/// The `json2` options, as numcodecs' `JSON.__init__` takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    encoding: String,
    text: TextEncoding,
    skipkeys: Flag,
    ensure_ascii: Flag,
    check_circular: Flag,
    allow_nan: Flag,
    sort_keys: Flag,
    strict: Flag,
    /// `indent` as given (None, an int or a str).
    indent_given: Value,
    /// The indent string in the text encoding; None for no indentation.
    indent: Option<Vec<u8>>,
    separators: [String; 2],
    /// The separators in the text encoding.
    item_separator: Vec<u8>,
    key_separator: Vec<u8>,
    /// The item separator and an opening quote: what comes before every str of an object array but the
    /// first.
    item_separator_quote: Vec<u8>,
}

/// The longest indent accepted: numcodecs takes any int, but a million spaces per level is no layout.
const MAX_INDENT: i64 = 1 << 16;

impl Json {
    pub(super) fn from_params(mut params: Params) -> Result<Json> {
        let encoding = match params.take_raw("encoding") {
            None => "utf-8".to_string(),
            Some(Value::String(name)) => name,
            Some(other) => return Err(Error::invalid_config(format!("json2: encoding must be a codec name, got {other}"))),
        };
        let text = TextEncoding::lookup(&encoding).ok_or_else(|| {
            Error::invalid_config(format!("json2: encoding {encoding:?} is not supported (utf-8, ascii and latin-1 under any of Python's names are)"))
        })?;
        let skipkeys = Flag::take(&mut params, "skipkeys", false);
        let ensure_ascii = Flag::take(&mut params, "ensure_ascii", true);
        let check_circular = Flag::take(&mut params, "check_circular", true);
        let allow_nan = Flag::take(&mut params, "allow_nan", true);
        let sort_keys = Flag::take(&mut params, "sort_keys", true);
        let strict = Flag::take(&mut params, "strict", true);
        let indent_given = params.take_raw("indent").unwrap_or(Value::Null);
        // json: a non-str indent is `' ' * indent` (so True is one space, negative counts none).
        let indent = match &indent_given {
            Value::Null => None,
            Value::String(text) => Some(text.clone()),
            Value::Bool(b) => Some(" ".repeat(*b as usize)),
            Value::Number(n) => match n.as_i64() {
                Some(count) if count <= MAX_INDENT => Some(" ".repeat(count.max(0) as usize)),
                Some(_) => return Err(Error::unsupported(format!("json2: indent {n} is over the {MAX_INDENT} spaces supported"))),
                None => return Err(Error::invalid_config(format!("json2: indent must be None, an int or a str, got {n}"))),
            },
            other => return Err(Error::invalid_config(format!("json2: indent must be None, an int or a str, got {other}"))),
        };
        // numcodecs fills in the separators: compact without indent, Python's old default with it.
        let separators = match params.take_raw("separators") {
            None | Some(Value::Null) if indent.is_none() => [",".to_string(), ":".to_string()],
            None | Some(Value::Null) => [", ".to_string(), ": ".to_string()],
            Some(Value::Array(pair)) => match pair.as_slice() {
                [Value::String(item), Value::String(key)] => [item.clone(), key.clone()],
                _ => return Err(Error::invalid_config("json2: separators must be two strings (item_separator, key_separator)")),
            },
            // tuple("ab") is ('a', 'b'): a two-character string is a pair too.
            Some(Value::String(text)) if text.chars().count() == 2 => {
                let mut chars = text.chars().map(String::from);
                [chars.next().unwrap_or_default(), chars.next().unwrap_or_default()]
            }
            Some(other) => return Err(Error::invalid_config(format!("json2: separators must be two strings, got {other}"))),
        };
        params.finish()?;
        let encoded = |what: &str, option: &str| {
            text.encode(option).ok_or_else(|| Error::invalid_config(format!("json2: the {what} {option:?} cannot be written in {encoding:?}")))
        };
        let indent = indent.map(|option| encoded("indent", &option)).transpose()?;
        let item_separator = encoded("item separator", &separators[0])?;
        let key_separator = encoded("key separator", &separators[1])?;
        let item_separator_quote = [&item_separator[..], b"\""].concat();
        Ok(Json {
            encoding,
            text,
            skipkeys,
            ensure_ascii,
            check_circular,
            allow_nan,
            sort_keys,
            strict,
            indent_given,
            indent,
            separators,
            item_separator,
            key_separator,
            item_separator_quote,
        })
    }

    /// `json.dumps(value, separators=(",", ":"))`: how numcodecs prints configurations.
    fn dumps_style() -> Json {
        let mut map = Map::new();
        map.insert("sort_keys".into(), Value::Bool(false));
        Json::from_params(Params::new("json2", map, false)).unwrap_or_else(|_| unreachable!("the default options are valid"))
    }
}

/// `json.dumps(value, separators=(",", ":"))`, e.g. for get_config(): non-ASCII text as `\uXXXX`, floats
/// as Python's repr.
pub(super) fn python_dumps(value: &Value) -> String {
    let options = Json::dumps_style();
    let mut out = Vec::new();
    // Without bytes or non-finite floats (serde_json has neither), nothing here can fail.
    let _ = super::emit_json(&mut options.emitter(), &mut out, value);
    String::from_utf8_lossy(&out).into_owned()
}

impl Dialect for Json {
    const ID: &'static str = "json2";
    type Emitter<'e> = JsonEmitter<'e>;
    type Reader<'a> = JsonReader<'a>;

    fn config(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("id".into(), Value::from(Self::ID));
        map.insert("encoding".into(), Value::from(self.encoding.as_str()));
        map.insert("skipkeys".into(), self.skipkeys.given.clone());
        map.insert("ensure_ascii".into(), self.ensure_ascii.given.clone());
        map.insert("check_circular".into(), self.check_circular.given.clone());
        map.insert("allow_nan".into(), self.allow_nan.given.clone());
        map.insert("indent".into(), self.indent_given.clone());
        map.insert("separators".into(), Value::from(self.separators.to_vec()));
        map.insert("sort_keys".into(), self.sort_keys.given.clone());
        map.insert("strict".into(), self.strict.given.clone());
        map
    }

    fn emitter(&self) -> JsonEmitter<'_> {
        JsonEmitter { o: self, depth: 0 }
    }

    fn prepare<'a>(&self, src: &'a [u8]) -> Result<Cow<'a, [u8]>> {
        match self.text {
            // UTF-8 is checked by the reader, once for the whole text (Python decodes all of it first too).
            TextEncoding::Utf8 => Ok(Cow::Borrowed(src)),
            TextEncoding::Ascii if src.is_ascii() => Ok(Cow::Borrowed(src)),
            TextEncoding::Ascii => Err(corrupt::<Json>("the input has a non-ASCII byte, which the ascii codec cannot decode")),
            TextEncoding::Latin1 if src.is_ascii() => Ok(Cow::Borrowed(src)),
            TextEncoding::Latin1 => Ok(Cow::Owned(src.iter().map(|&b| b as char).collect::<String>().into_bytes())),
        }
    }

    fn reader<'a>(&'a self, input: &'a [u8]) -> Result<JsonReader<'a>> {
        let text = std::str::from_utf8(input)
            .map_err(|e| corrupt::<Json>(format!("the text is not valid UTF-8 at byte {} ({e})", e.valid_up_to())))?;
        Ok(JsonReader::new(text, 0, self.strict.on))
    }

    fn bound(&self, units: usize, depth: usize) -> Option<usize> {
        // The longest scalar is a float repr (24 bytes, e.g. -2.2250738585072014e-308); a dtype string is
        // shorter than 40. Each unit may bring a separator and a newline with its indentation.
        let indent = match &self.indent {
            Some(indent) => indent.len().checked_mul(depth)?.checked_add(1)?,
            None => 0,
        };
        units.checked_mul(40usize.checked_add(self.item_separator.len())?.checked_add(self.key_separator.len())?.checked_add(indent)?)
    }

    fn encodes_zero_dim(&self) -> bool {
        true
    }
}

// ---- encoding ---------------------------------------------------------------------------------------

pub(crate) struct JsonEmitter<'o> {
    o: &'o Json,
    depth: usize,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes that `encode_basestring` escapes (`"`, `\`, controls) and, when `ensure_ascii`, also DEL and
/// every byte of a non-ASCII character (`encode_basestring_ascii`).
#[cfg(test)]
pub(super) const fn escape_table(ascii: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize || (ascii && b >= 0x7f);
        b += 1;
    }
    table
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `word` (eight string bytes, little-endian) that `escape_table(ascii)`
/// marks. Exact up to the lowest marked byte; above it a borrow may mark more, so callers read only the
/// lowest mark, or whether there is one.
#[inline(always)]
fn escape_marks(word: u64, ascii: bool) -> u64 {
    let zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    // Bytes below 0x20, '"' and '\\'; with `ascii` also DEL and every byte of 0x80 and above.
    let mut marks = (word.wrapping_sub(ONES * 0x20) & !word & HIGH) | zero(word ^ (ONES * b'"' as u64)) | zero(word ^ (ONES * b'\\' as u64));
    if ascii {
        marks |= (word & HIGH) | zero(word ^ (ONES * 0x7f));
    }
    marks
}

/// The first byte at or after `at` that `escape_table(ascii)` marks, or `bytes.len()`: where a string's
/// plain run ends, when encoding (an escape) and decoding (`ascii` false: the closing quote, an escape,
/// a control character). Eight bytes at a time, as strings are mostly plain text.
/// `tests::the_word_at_a_time_escape_scan_agrees_with_the_byte_table` holds it to `escape_table`.
#[inline]
pub(super) fn find_escape(bytes: &[u8], mut at: usize, ascii: bool) -> usize {
    while let Some(Ok(chunk)) = bytes.get(at..at + 8).map(<[u8; 8]>::try_from) {
        let marks = escape_marks(u64::from_le_bytes(chunk), ascii);
        if marks != 0 {
            return at + (marks.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    if at >= bytes.len() {
        return at;
    }
    match escape_marks(short_word(&bytes[at..]), ascii) {
        0 => bytes.len(),
        marks => at + (marks.trailing_zeros() / 8) as usize,
    }
}

/// Whether `bytes` is printable ASCII without a quote or backslash: a str that `ensure_ascii` JSON
/// writes as it is. Strings of up to 16 bytes, the usual object-array item, take two words at most.
#[inline]
pub(super) fn is_plain_ascii(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if (8..=16).contains(&len) {
        let (first, last) = end_words(bytes);
        escape_marks(first, true) | escape_marks(last, true) == 0
    } else if len > 0 && len < 8 {
        escape_marks(short_word(bytes), true) == 0
    } else {
        find_escape(bytes, 0, true) == len
    }
}

impl JsonEmitter<'_> {
    fn newline<S: Sink>(&self, out: &mut S) {
        if let Some(indent) = &self.o.indent {
            out.put_byte(b'\n');
            for _ in 0..self.depth {
                out.put(indent);
            }
        }
    }

    fn open<S: Sink>(&mut self, out: &mut S, brackets: &[u8; 2], len: usize) {
        out.put_byte(brackets[0]);
        if len == 0 {
            out.put_byte(brackets[1]);
        } else if self.o.indent.is_some() {
            self.depth += 1;
            self.newline(out);
        }
    }

    fn close<S: Sink>(&mut self, out: &mut S, bracket: u8, len: usize) {
        if len == 0 {
            return;
        }
        if self.o.indent.is_some() {
            self.depth -= 1;
            self.newline(out);
        }
        out.put_byte(bracket);
    }

    fn put_u_escape<S: Sink>(out: &mut S, unit: u32) {
        out.put(&[b'\\', b'u', HEX[(unit >> 12) as usize & 15], HEX[(unit >> 8) as usize & 15], HEX[(unit >> 4) as usize & 15], HEX[unit as usize & 15]]);
    }
}

impl Emitter for JsonEmitter<'_> {
    fn open_list<S: Sink>(&mut self, out: &mut S, len: usize) -> Result<()> {
        self.open(out, b"[]", len);
        Ok(())
    }

    #[inline]
    fn item<S: Sink>(&mut self, out: &mut S, index: usize) {
        if index > 0 {
            out.put(&self.o.item_separator);
            self.newline(out);
        }
    }

    fn close_list<S: Sink>(&mut self, out: &mut S, len: usize) {
        self.close(out, b']', len);
    }

    fn open_dict<S: Sink>(&mut self, out: &mut S, len: usize) -> Result<()> {
        self.open(out, b"{}", len);
        Ok(())
    }

    fn key<S: Sink>(&mut self, out: &mut S, index: usize, key: &str) -> Result<()> {
        self.item(out, index);
        self.string(out, key.as_bytes())?;
        out.put(&self.o.key_separator);
        Ok(())
    }

    fn close_dict<S: Sink>(&mut self, out: &mut S, len: usize) {
        self.close(out, b'}', len);
    }

    fn none<S: Sink>(&mut self, out: &mut S) {
        out.put(b"null");
    }

    fn boolean<S: Sink>(&mut self, out: &mut S, value: bool) {
        out.put(if value { b"true" } else { b"false" });
    }

    fn int<S: Sink>(&mut self, out: &mut S, value: i128) -> Result<()> {
        write_int(out, value);
        Ok(())
    }

    fn float<S: Sink>(&mut self, out: &mut S, value: f64) -> Result<()> {
        if value.is_finite() {
            write_python_float(out, value);
            return Ok(());
        }
        if !self.o.allow_nan.on {
            return Err(Error::invalid_argument(format!("json2: out of range float values are not JSON compliant: {value} (allow_nan is false)")));
        }
        out.put(if value.is_nan() {
            b"NaN"
        } else if value > 0.0 {
            b"Infinity"
        } else {
            b"-Infinity"
        });
        Ok(())
    }

    fn string<S: Sink>(&mut self, out: &mut S, bytes: &[u8]) -> Result<()> {
        out.put_byte(b'"');
        let mut start = 0;
        let mut i = 0;
        loop {
            i = find_escape(bytes, i, self.o.ensure_ascii.on);
            let Some(&b) = bytes.get(i) else {
                break;
            };
            out.put(&bytes[start..i]);
            if b < 0x80 {
                match b {
                    b'"' => out.put(b"\\\""),
                    b'\\' => out.put(b"\\\\"),
                    b'\n' => out.put(b"\\n"),
                    b'\r' => out.put(b"\\r"),
                    b'\t' => out.put(b"\\t"),
                    0x08 => out.put(b"\\b"),
                    0x0c => out.put(b"\\f"),
                    _ => Self::put_u_escape(out, b as u32),
                }
                i += 1;
            } else {
                // Only with ensure_ascii (otherwise non-ASCII bytes pass above): one escape per UTF-16 unit.
                let c = utf8_char(&bytes[i..]);
                let mut units = [0u16; 2];
                for &unit in c.encode_utf16(&mut units).iter() {
                    Self::put_u_escape(out, unit as u32);
                }
                i += c.len_utf8();
            }
            start = i;
        }
        let rest = &bytes[start..];
        if self.o.text == TextEncoding::Utf8 || rest.is_ascii() {
            out.put(rest);
        } else {
            for c in String::from_utf8_lossy(rest).chars() {
                if c.is_ascii() {
                    out.put_byte(c as u8);
                } else if self.o.text.put_char(out, c).is_none() {
                    return Err(Error::invalid_argument(format!(
                        "json2: {:?} codec can't encode character {c:?} (ensure_ascii is false)",
                        self.o.encoding
                    )));
                }
            }
        }
        out.put_byte(b'"');
        Ok(())
    }

    /// Printable ASCII, the usual item, needs no UTF-8 check and no escape, and is the same bytes in
    /// every text encoding: it goes out with its separator and quotes in one write.
    #[inline]
    fn str_item<S: Sink>(&mut self, out: &mut S, index: usize, value: &[u8]) -> Result<bool> {
        if self.o.indent.is_none() && is_plain_ascii(value) {
            let head: &[u8] = if index > 0 { &self.o.item_separator_quote } else { b"\"" };
            out.put_parts(head, value, b"\"");
            return Ok(true);
        }
        checked_str_item(self, out, index, value)
    }

    fn bytes<S: Sink>(&mut self, _out: &mut S, _value: &[u8]) -> Result<()> {
        Err(Error::invalid_argument("json2: Object of type bytes is not JSON serializable"))
    }

    fn sorts_keys(&self) -> bool {
        self.o.sort_keys.on
    }

    fn has_bytes(&self) -> bool {
        false
    }
}

/// The character `bytes` (UTF-8) start with.
fn utf8_char(bytes: &[u8]) -> char {
    let len = match bytes.first() {
        Some(0xf0..) => 4,
        Some(0xe0..) => 3,
        Some(0xc0..) => 2,
        _ => 1,
    };
    bytes.get(..len).and_then(|head| std::str::from_utf8(head).ok()).and_then(|text| text.chars().next()).unwrap_or('\u{fffd}')
}

/// A Python int's repr.
fn write_int<S: Sink>(out: &mut S, value: i128) {
    let mut digits = [0u8; 40];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        at -= 1;
        digits[at] = b'-';
    }
    out.put(&digits[at..]);
}

/// Python's `repr(x)` of a finite float: the shortest digits that round-trip, the closest of them, exact
/// ties to even (Python's dtoa mode 0; zmij gives the same digits), in fixed notation when the decimal
/// point falls within -4..16 digits of the first digit (`0.0001`, `1000000000000000.0`), else `d.ddde±XX`
/// (`1e-05`, `1e+16`).
pub(crate) fn write_python_float<S: Sink>(out: &mut S, x: f64) {
    if x == 0.0 {
        out.put(if x.is_sign_negative() { b"-0.0" } else { b"0.0" });
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(x.abs()).as_bytes();
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(e) => (&text[..e], std::str::from_utf8(&text[e + 1..]).ok().and_then(|t| t.parse::<i32>().ok()).unwrap_or(0)),
        None => (text, 0),
    };
    // The significant digits, and where the decimal point goes relative to the first of them.
    let mut digits = [0u8; 32];
    let (mut n, mut integer_digits, mut leading_zeros, mut fraction) = (0usize, 0i32, 0i32, false);
    for &b in mantissa {
        if b == b'.' {
            fraction = true;
            continue;
        }
        integer_digits += i32::from(!fraction);
        if n == 0 && b == b'0' {
            leading_zeros += 1;
        } else if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let digits = &digits[..n];
    let point = integer_digits - leading_zeros + exponent;
    if x < 0.0 {
        out.put_byte(b'-');
    }
    if -4 < point && point <= 16 {
        if point <= 0 {
            out.put(b"0.");
            for _ in 0..-point {
                out.put_byte(b'0');
            }
            out.put(digits);
        } else if point as usize >= n {
            out.put(digits);
            for _ in 0..point as usize - n {
                out.put_byte(b'0');
            }
            out.put(b".0");
        } else {
            out.put(&digits[..point as usize]);
            out.put_byte(b'.');
            out.put(&digits[point as usize..]);
        }
    } else {
        out.put_byte(digits[0]);
        if n > 1 {
            out.put_byte(b'.');
            out.put(&digits[1..]);
        }
        let exponent = point - 1;
        out.put(if exponent < 0 { b"e-" } else { b"e+" });
        if exponent.unsigned_abs() < 10 {
            out.put_byte(b'0');
        }
        write_int(out, exponent.unsigned_abs() as i128);
    }
}

// ---- decoding ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Frame {
    dict: bool,
    entries: usize,
    /// In a dict, a key was read and its value comes next.
    after_key: bool,
}

#[derive(Debug, Clone, Copy)]
enum Held<'a> {
    Plain(Scalar<'a>),
    /// A float's text, converted only when asked for: the first pass of a decode only skips it.
    Float(&'a str),
    /// A string with escapes, in the reader's scratch buffer.
    Unescaped,
}

/// `json.JSONDecoder` as a token stream over UTF-8 text (see the module documentation).
pub(crate) struct JsonReader<'a> {
    text: &'a str,
    src: &'a [u8],
    pos: usize,
    strict: bool,
    stack: Vec<Frame>,
    start: usize,
    held: Held<'a>,
    scratch: String,
}

fn syntax(message: &str, pos: usize) -> Error {
    corrupt::<Json>(format!("invalid JSON: {message} at byte {pos}"))
}

impl<'a> JsonReader<'a> {
    fn new(text: &'a str, pos: usize, strict: bool) -> Self {
        JsonReader { text, src: text.as_bytes(), pos, strict, stack: Vec::new(), start: pos, held: Held::Plain(Scalar::None), scratch: String::new() }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Token> {
        self.start = self.pos;
        let rest = &self.src[self.pos.min(self.src.len())..];
        let constant = |word: &[u8], scalar: Scalar<'a>| if rest.starts_with(word) { Some((word.len(), scalar)) } else { None };
        let found = match self.peek() {
            Some(open @ (b'[' | b'{')) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(syntax(&format!("nesting deeper than {MAX_DEPTH} levels"), self.pos));
                }
                self.pos += 1;
                self.stack.push(Frame { dict: open == b'{', entries: 0, after_key: false });
                return Ok(if open == b'[' { Token::List } else { Token::Dict });
            }
            Some(b'"') => return self.string(),
            Some(b'n') => constant(b"null", Scalar::None),
            Some(b't') => constant(b"true", Scalar::Bool(true)),
            Some(b'f') => constant(b"false", Scalar::Bool(false)),
            Some(b'N') => constant(b"NaN", Scalar::Float(f64::NAN)),
            Some(b'I') => constant(b"Infinity", Scalar::Float(f64::INFINITY)),
            Some(b'-') if rest.starts_with(b"-Infinity") => constant(b"-Infinity", Scalar::Float(f64::NEG_INFINITY)),
            Some(b'-' | b'0'..=b'9') => return self.number(),
            _ => None,
        };
        let (len, scalar) = found.ok_or_else(|| syntax("expecting value", self.pos))?;
        self.pos += len;
        self.held = Held::Plain(scalar);
        Ok(Token::Scalar)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`: an int without fraction and exponent, else a float.
    fn number(&mut self) -> Result<Token> {
        let src = self.src;
        let digits_from = |mut at: usize| {
            while src.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            at
        };
        let start = self.pos;
        let mut at = start + usize::from(src[start] == b'-');
        match src.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => at = digits_from(at),
            _ => return Err(syntax("expecting value", start)),
        }
        let mut float = false;
        if src.get(at) == Some(&b'.') && src.get(at + 1).is_some_and(u8::is_ascii_digit) {
            at = digits_from(at + 1);
            float = true;
        }
        if matches!(src.get(at), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(src.get(at + 1), Some(b'+' | b'-')));
            if src.get(at + 1 + sign).is_some_and(u8::is_ascii_digit) {
                at = digits_from(at + 1 + sign);
                float = true;
            }
        }
        self.pos = at;
        let text = self.slice(start, at)?;
        self.held = if float {
            Held::Float(text)
        } else {
            Held::Plain(Scalar::Int(text.parse().map_err(|_| unsupported::<Json>(format!("the int {text} does not fit 128 bits")))?))
        };
        Ok(Token::Scalar)
    }

    /// The text between two ASCII delimiters (so at character boundaries) of the validated input.
    fn slice(&self, start: usize, end: usize) -> Result<&'a str> {
        self.text.get(start..end).ok_or_else(|| Error::internal("json2: a string slice off a character boundary"))
    }

    /// A string at `self.pos` (the opening quote): borrowed when it has no escapes.
    fn string(&mut self) -> Result<Token> {
        let src = self.src;
        let open = self.pos;
        let mut at = open + 1;
        let mut run = at;
        let mut escaped = false;
        loop {
            at = find_escape(src, at, false);
            let Some(&b) = src.get(at) else {
                return Err(syntax("unterminated string", open));
            };
            match b {
                b'"' => break,
                b'\\' => {
                    if !escaped {
                        escaped = true;
                        self.scratch.clear();
                    }
                    self.scratch.push_str(self.slice(run, at)?);
                    at = self.escape(at)?;
                    run = at;
                }
                _ if self.strict => return Err(syntax("invalid control character in a string (strict is true)", at)),
                _ => at += 1,
            }
        }
        self.pos = at + 1;
        if escaped {
            self.scratch.push_str(self.slice(run, at)?);
            self.held = Held::Unescaped;
        } else {
            self.held = Held::Plain(Scalar::Str(self.slice(run, at)?.as_bytes()));
        }
        Ok(Token::Scalar)
    }

    /// The escape at `at` (the backslash) into the scratch buffer; returns where the string goes on.
    fn escape(&mut self, at: usize) -> Result<usize> {
        let c = match self.src.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = self.hex4(at + 2)?;
                let mut next = at + 6;
                let mut code = unit;
                // A high surrogate followed by an escaped low one is one character (Python's scanstring).
                if (0xd800..0xdc00).contains(&unit) && self.src.get(next..next + 2) == Some(b"\\u") {
                    let low = self.hex4(next + 2)?;
                    if (0xdc00..0xe000).contains(&low) {
                        code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                        next += 6;
                    }
                }
                let c = char::from_u32(code).ok_or_else(|| {
                    unsupported::<Json>(format!("the string at byte {at} has a lone surrogate \\u{unit:04x}, which UTF-8 text cannot hold"))
                })?;
                self.scratch.push(c);
                return Ok(next);
            }
            _ => return Err(syntax("invalid \\escape", at)),
        };
        self.scratch.push(c);
        Ok(at + 2)
    }

    fn hex4(&self, at: usize) -> Result<u32> {
        let digits = self.src.get(at..at + 4).ok_or_else(|| syntax("invalid \\uXXXX escape", at))?;
        digits.iter().try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?)).ok_or_else(|| syntax("invalid \\uXXXX escape", at))
    }
}

impl Reader for JsonReader<'_> {
    fn next(&mut self) -> Result<Token> {
        self.skip_whitespace();
        let Some(frame) = self.stack.last().copied() else {
            return self.value();
        };
        if frame.after_key {
            if self.peek() != Some(b':') {
                return Err(syntax("expecting ':' delimiter", self.pos));
            }
            self.pos += 1;
            self.skip_whitespace();
            if let Some(top) = self.stack.last_mut() {
                top.after_key = false;
            }
            return self.value();
        }
        let close = if frame.dict { b'}' } else { b']' };
        match self.peek() {
            Some(c) if c == close => {
                self.pos += 1;
                self.stack.pop();
                return Ok(Token::End);
            }
            Some(b',') if frame.entries > 0 => {
                self.pos += 1;
                self.skip_whitespace();
            }
            _ if frame.entries > 0 => return Err(syntax("expecting ',' delimiter", self.pos)),
            _ => {}
        }
        if let Some(top) = self.stack.last_mut() {
            top.entries += 1;
            top.after_key = frame.dict;
        }
        if frame.dict {
            if self.peek() != Some(b'"') {
                return Err(syntax("expecting property name enclosed in double quotes", self.pos));
            }
            self.start = self.pos;
            return self.string();
        }
        self.value()
    }

    fn scalar(&self) -> Scalar<'_> {
        match self.held {
            Held::Plain(scalar) => scalar,
            // The grammar was checked, and Rust parses it correctly rounded as Python's float() does.
            Held::Float(text) => Scalar::Float(text.parse().unwrap_or(f64::NAN)),
            Held::Unescaped => Scalar::Str(self.scratch.as_bytes()),
        }
    }

    fn offset(&self) -> usize {
        self.start
    }

    fn at(&self, offset: usize) -> Self {
        JsonReader::new(self.text, offset, self.strict)
    }

    fn finish(&mut self) -> Result<()> {
        self.skip_whitespace();
        if self.pos != self.src.len() {
            return Err(syntax("extra data", self.pos));
        }
        Ok(())
    }
}
