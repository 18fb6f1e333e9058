//! `categorize`: numcodecs' `categorize.py`, a filter that stores strings as their 1-based position in a
//! list of labels (0 for a string that is not a label), as integers of `astype`.
//!
//! numcodecs' encode is `enc[arr == label] = i + 1` for each label in order, so a repeated label takes
//! its last position; decode is `dec[enc == i + 1] = label`, every other code giving the empty string.
//! The encoded chunk is the flat `astype` array (numcodecs reshapes to 1-D), in its byte order.
//!
//! The `dtype` decides what the chunks hold:
//! - `|O` (object arrays of `str`): an object codec ([`ObjectCodec`]) whose items are UTF-8 strings;
//!   anything else in an object array (None, numbers, bytes, through the JSON bridge) equals no label
//!   and encodes to 0.
//! - `<U<n>` / `>U<n>` (numpy's fixed-width unicode, `n` UCS-4 code units per element in the dtype's
//!   byte order): a byte codec. numpy compares such strings without their trailing NULs, so a label
//!   matches an element when both agree after stripping them; decoding writes each label cut to `n`
//!   code points and NUL-padded, as numpy's assignment does.
//!
//! `astype` may be any bool, integer or float type. Integers: numpy refuses to assign a code the type
//! cannot hold (`OverflowError` for the 256th label of `u1`), at every encode, whatever the data, and
//! so do we ([`ErrorKind::InvalidArgument`](super::ErrorKind)); decoding just never sees those codes.
//! Bool: every code is `True`, which decodes to the first label. Floats: only as many labels as the
//! type holds consecutive integers exactly (2048 for `f2`, 2²⁴ for `f4`, 2⁵³ for `f8`); beyond that
//! numpy's rounding makes codes collide, which we do not reproduce ([`ErrorKind::Unsupported`](super::ErrorKind)).
//! Complex, string and datetime `astype`s (which numcodecs accepts but cannot decode) are unsupported too.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::elements::{double_to_half_bits, half_to_double_bits, Kind};
use super::object::{not_a_byte_codec, DecodedItems, ItemKind, Items, ObjectCodec};
use super::{check_decoded_size, python_json, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("categorize", Categorize::from_params)];

const ID: &str = "categorize";

/// The integer type codes are stored as (`astype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CodeType {
    kind: Kind,
    big_endian: bool,
}

impl CodeType {
    fn from_dtype(dtype: &DType) -> Result<Self> {
        let kind = Kind::from_numpy(dtype.kind(), dtype.itemsize()).ok_or_else(|| {
            Error::unsupported(format!("{ID}: astype {} is not supported (bool, integer and float types are)", dtype.typestr()))
        })?;
        Ok(CodeType { kind, big_endian: dtype.byte_order() == ByteOrder::Big })
    }

    fn size(self) -> usize {
        self.kind.size()
    }

    /// The most labels whose codes this type stores exactly, if there is such a limit.
    fn max_code(self) -> Option<u64> {
        match self.kind {
            Kind::Bool => None,
            Kind::F16 => Some(1 << 11),
            Kind::F32 => Some(1 << 24),
            Kind::F64 => Some(1 << 53),
            other => other.int_range().map(|(_, max)| max as u64),
        }
    }

    /// Writes `code` (within [`CodeType::max_code`]) into `out` (`size()` bytes).
    fn write(self, code: u64, out: &mut [u8]) {
        let mut bytes = [0u8; 8];
        let little = match self.kind {
            Kind::Bool => {
                bytes[0] = u8::from(code != 0);
                &bytes[..1]
            }
            Kind::F16 => {
                bytes[..2].copy_from_slice(&double_to_half_bits((code as f64).to_bits()).to_le_bytes());
                &bytes[..2]
            }
            Kind::F32 => {
                bytes[..4].copy_from_slice(&(code as f32).to_le_bytes());
                &bytes[..4]
            }
            Kind::F64 => {
                bytes.copy_from_slice(&(code as f64).to_le_bytes());
                &bytes[..]
            }
            // Two's complement of a non-negative code: the low bytes of its u64.
            integer => {
                bytes.copy_from_slice(&code.to_le_bytes());
                &bytes[..integer.size()]
            }
        };
        out.copy_from_slice(little);
        if self.big_endian {
            out.reverse();
        }
    }

    /// The code an element holds, when it is a non-negative whole number (others match no label).
    fn read(self, element: &[u8]) -> Option<u64> {
        let mut bytes = [0u8; 8];
        bytes[..element.len()].copy_from_slice(element);
        if self.big_endian {
            bytes[..element.len()].reverse();
        }
        let raw = u64::from_le_bytes(bytes);
        let float = |x: f64| (x >= 0.0 && x.fract() == 0.0 && x < u64::MAX as f64).then_some(x as u64);
        match self.kind {
            // numpy reads any non-zero byte as True, and True == 1.
            Kind::Bool => Some(u64::from(raw & 0xff != 0)),
            Kind::F16 => float(f64::from_bits(half_to_double_bits(raw as u16))),
            Kind::F32 => float(f32::from_bits(raw as u32) as f64),
            Kind::F64 => float(f64::from_bits(raw)),
            integer if integer.is_signed_int() => {
                let shift = 64 - 8 * integer.size() as u32;
                u64::try_from(((raw << shift) as i64) >> shift).ok()
            }
            _ => Some(raw),
        }
    }
}

/// The strings of the chunk and how labels are found among them.
#[derive(Debug, Clone)]
enum Strings {
    /// `|O`: Python `str` objects, compared exactly; keyed by UTF-8.
    Object { codes: HashMap<Vec<u8>, u64> },
    /// `<U<n>` / `>U<n>`: keyed by the UCS-4 bytes without trailing NUL code units; `decoded` holds each
    /// label as one element (cut to `n` code points, NUL-padded), back to back.
    Unicode { dtype: DType, codes: HashMap<Vec<u8>, u64>, decoded: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct Categorize {
    labels: Vec<String>,
    dtype: DType,
    astype: DType,
    code_type: CodeType,
    strings: Strings,
}

impl Categorize {
    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        let labels = match params.take_raw("labels") {
            None => return Err(Error::invalid_config(format!("{ID}: labels is required"))),
            Some(Value::Array(values)) => values
                .into_iter()
                .map(|value| match value {
                    Value::String(text) => Ok(text),
                    other => Err(Error::invalid_config(format!("{ID}: every label must be a string, got {other}"))),
                })
                .collect::<Result<Vec<_>>>()?,
            // `[ensure_text(label) for label in labels]` iterates a string's characters.
            Some(Value::String(text)) => text.chars().map(String::from).collect(),
            Some(other) => return Err(Error::invalid_config(format!("{ID}: labels must be a list of strings, got {other}"))),
        };
        let dtype = match params.take_raw("dtype") {
            None => return Err(Error::invalid_config(format!("{ID}: dtype is required"))),
            Some(value) => parse_dtype("dtype", Some(value))?,
        };
        let astype = parse_dtype("astype", params.take_raw("astype").or(Some(Value::from("|u1"))))?;
        params.finish()?;
        if !matches!(dtype.kind(), 'U' | 'O') {
            return Err(Error::invalid_config(format!("{ID}: only unicode ('U') and object ('O') dtypes are supported, got {}", dtype.typestr())));
        }
        if astype.is_object() {
            return Err(Error::invalid_config(format!("{ID}: encoding as object array not supported")));
        }
        Ok(Box::new(Categorize::new(labels, dtype, astype)?))
    }

    /// A codec for `labels`, strings of `dtype` (`|O` or `<U<n>`/`>U<n>`) and codes of `astype`.
    pub fn new(labels: Vec<String>, dtype: DType, astype: DType) -> Result<Self> {
        let code_type = CodeType::from_dtype(&astype)?;
        if code_type.kind.is_float() && code_type.max_code().is_some_and(|max| labels.len() as u64 > max) {
            return Err(Error::unsupported(format!(
                "{ID}: {} labels are more than {} holds exactly; numpy's rounded codes collide",
                labels.len(),
                astype.typestr()
            )));
        }
        let code = |index: usize| index as u64 + 1;
        let strings = match dtype.kind() {
            'O' => Strings::Object { codes: labels.iter().enumerate().map(|(i, label)| (label.as_bytes().to_vec(), code(i))).collect() },
            'U' if dtype.itemsize() == 0 => {
                return Err(Error::unsupported(format!("{ID}: dtype {} holds no characters (numpy cannot view data as it)", dtype.typestr())))
            }
            'U' => {
                let big = dtype.byte_order() == ByteOrder::Big;
                let chars = dtype.itemsize() / 4;
                let mut codes = HashMap::new();
                let mut decoded = Vec::with_capacity(labels.len() * dtype.itemsize());
                for (i, label) in labels.iter().enumerate() {
                    let ucs4: Vec<u8> = label.chars().flat_map(|c| if big { (c as u32).to_be_bytes() } else { (c as u32).to_le_bytes() }).collect();
                    let key = strip_trailing_nuls(&ucs4);
                    // A label longer than an element equals no element.
                    if key.len() <= dtype.itemsize() {
                        codes.insert(key.to_vec(), code(i));
                    }
                    let kept = &ucs4[..ucs4.len().min(chars * 4)];
                    decoded.extend_from_slice(kept);
                    decoded.resize(decoded.len() + dtype.itemsize() - kept.len(), 0);
                }
                Strings::Unicode { dtype: dtype.clone(), codes, decoded }
            }
            _ => return Err(Error::invalid_config(format!("{ID}: only unicode ('U') and object ('O') dtypes are supported"))),
        };
        Ok(Categorize { labels, dtype, astype, code_type, strings })
    }

    /// numpy raises `OverflowError` assigning a code `astype` cannot hold, at every encode.
    fn check_codes_fit(&self) -> Result<()> {
        match self.code_type.max_code() {
            Some(max) if self.labels.len() as u64 > max => Err(Error::invalid_argument(format!(
                "{ID}: {} labels need codes up to {}, out of bounds for {}",
                self.labels.len(),
                self.labels.len(),
                self.astype.typestr()
            ))),
            _ => Ok(()),
        }
    }

    /// Encodes one code per string, `codes` giving each string's code (0: not a label).
    fn encode_codes(&self, count: usize, dst: &mut [u8], mut code_of: impl FnMut(usize) -> Result<u64>) -> Result<usize> {
        self.check_codes_fit()?;
        let size = self.code_type.size();
        let len = count.checked_mul(size).ok_or_else(|| Error::limit(format!("{ID}: the encoded size overflows")))?;
        let capacity = dst.len();
        let dst = dst.get_mut(..len).ok_or_else(|| Error::buffer_too_small(len, capacity))?;
        for (index, out) in dst.chunks_exact_mut(size).enumerate() {
            self.code_type.write(code_of(index)?, out);
        }
        Ok(len)
    }

    /// The label index (0-based) of each encoded element, or `None` for the empty string.
    fn decoded_labels<'a>(&'a self, src: &'a [u8]) -> Result<impl ExactSizeIterator<Item = Option<usize>> + 'a> {
        let size = self.code_type.size();
        if src.len() % size != 0 {
            return Err(Error::corrupt(format!(
                "{ID}: {} bytes is not a whole number of {} codes ({size} bytes each)",
                src.len(),
                self.astype.typestr()
            )));
        }
        let labels = self.labels.len() as u64;
        Ok(src.chunks_exact(size).map(move |element| match self.code_type.read(element) {
            Some(code) if (1..=labels).contains(&code) => Some(code as usize - 1),
            _ => None,
        }))
    }

    fn object_codes(&self) -> &HashMap<Vec<u8>, u64> {
        match &self.strings {
            Strings::Object { codes } | Strings::Unicode { codes, .. } => codes,
        }
    }

    fn label_bytes(&self, index: Option<usize>) -> &[u8] {
        index.map_or(&b""[..], |i| self.labels[i].as_bytes())
    }
}

fn parse_dtype(key: &str, value: Option<Value>) -> Result<DType> {
    match value {
        // np.dtype(None) is float64.
        None | Some(Value::Null) => DType::parse("<f8"),
        Some(Value::String(text)) => {
            let text = if text == "object" { "|O" } else { text.as_str() };
            DType::parse(text).map_err(|e| Error::invalid_config(format!("{ID}: {key}: {}", e.message())))
        }
        Some(other) => Err(Error::invalid_config(format!("{ID}: {key}: cannot interpret {other} as a data type"))),
    }
}

/// `bytes` (whole UCS-4 code units) without its trailing NUL code units.
fn strip_trailing_nuls(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len();
    while end >= 4 && bytes[end - 4..end] == [0, 0, 0, 0] {
        end -= 4;
    }
    &bytes[..end]
}

impl Codec for Categorize {
    fn codec_id(&self) -> &str {
        ID
    }

    fn config(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("id".into(), Value::from(ID));
        map.insert("labels".into(), Value::Array(self.labels.iter().map(|label| Value::from(label.as_str())).collect()));
        map.insert("dtype".into(), Value::from(self.dtype.typestr()));
        map.insert("astype".into(), Value::from(self.astype.typestr()));
        map
    }

    /// numcodecs' `json.dumps` escapes non-ASCII labels.
    fn config_json(&self) -> String {
        python_json(&self.config())
    }

    fn encode_bound(&self, src_len: usize, info: &ArrayInfo) -> Result<usize> {
        let Strings::Unicode { dtype, .. } = &self.strings else {
            return Err(not_a_byte_codec(ID));
        };
        let count = info.view_count(ID, src_len, dtype)?;
        count.checked_mul(self.code_type.size()).ok_or_else(|| Error::limit(format!("{ID}: the encoded size overflows")))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.encode_bound(src.len(), info)?];
        let len = self.encode_into(src, info, &mut out)?;
        out.truncate(len);
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let Strings::Unicode { dtype, codes, .. } = &self.strings else {
            return Err(not_a_byte_codec(ID));
        };
        let count = info.view_count(ID, src.len(), dtype)?;
        let size = dtype.itemsize();
        self.encode_codes(count, dst, |i| Ok(codes.get(strip_trailing_nuls(&src[i * size..(i + 1) * size])).copied().unwrap_or(0)))
    }

    fn encoded_info(&self, src_len: usize, info: &ArrayInfo) -> Result<ArrayInfo> {
        let count = self.encode_bound(src_len, info)? / self.code_type.size();
        Ok(ArrayInfo::new(self.astype.clone(), Some(vec![count])))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        let Strings::Unicode { dtype, .. } = &self.strings else {
            return Err(not_a_byte_codec(ID));
        };
        let count = self.decoded_labels(src)?.len();
        check_decoded_size(ID, (count as u64).saturating_mul(dtype.itemsize() as u64))
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.decoded_size(src)?];
        self.decode_into(src, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let Strings::Unicode { dtype, decoded, .. } = &self.strings else {
            return Err(not_a_byte_codec(ID));
        };
        let len = self.decoded_size(src)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..len).ok_or_else(|| Error::buffer_too_small(len, capacity))?;
        let size = dtype.itemsize();
        for (out, label) in dst.chunks_exact_mut(size).zip(self.decoded_labels(src)?) {
            match label {
                Some(i) => out.copy_from_slice(&decoded[i * size..(i + 1) * size]),
                None => out.fill(0),
            }
        }
        Ok(len)
    }

    fn decoded_info(&self, _src: &[u8]) -> Result<Option<ArrayInfo>> {
        Ok(Some(ArrayInfo::new(self.dtype.clone(), None)))
    }

    fn as_object(&self) -> Option<&dyn ObjectCodec> {
        matches!(self.strings, Strings::Object { .. }).then_some(self as &dyn ObjectCodec)
    }
}

impl ObjectCodec for Categorize {
    fn item_kind(&self) -> ItemKind {
        ItemKind::Utf8
    }

    fn encoded_items_len(&self, items: Items) -> Result<usize> {
        items.len().checked_mul(self.code_type.size()).ok_or_else(|| Error::limit(format!("{ID}: the encoded size overflows")))
    }

    fn encode_items_into(&self, items: Items, dst: &mut [u8]) -> Result<usize> {
        let codes = self.object_codes();
        self.encode_codes(items.len(), dst, |index| {
            let item = items.get(index);
            std::str::from_utf8(item).map_err(|e| Error::invalid_argument(format!("{ID}: item {index} is not valid UTF-8: {e}")))?;
            Ok(codes.get(item).copied().unwrap_or(0))
        })
    }

    fn decoded_items_size(&self, src: &[u8]) -> Result<(usize, usize)> {
        let (mut count, mut data_len) = (0usize, 0u64);
        for label in self.decoded_labels(src)? {
            count += 1;
            data_len += self.label_bytes(label).len() as u64;
        }
        Ok((count, check_decoded_size(ID, data_len)?))
    }

    fn decode_items(&self, src: &[u8]) -> Result<DecodedItems> {
        let (count, data_len) = self.decoded_items_size(src)?;
        let mut decoded = DecodedItems::with_capacity(count, data_len);
        for label in self.decoded_labels(src)? {
            decoded.push(self.label_bytes(label));
        }
        Ok(decoded)
    }

    fn encode_json_items(&self, items: &[Value]) -> Result<Vec<u8>> {
        let codes = self.object_codes();
        let mut out = vec![0u8; items.len().checked_mul(self.code_type.size()).ok_or_else(|| Error::limit(format!("{ID}: the encoded size overflows")))?];
        // Python compares a str label with anything else (None, numbers, bytes, lists) as unequal.
        let len = self.encode_codes(items.len(), &mut out, |index| match &items[index] {
            Value::String(text) => Ok(codes.get(text.as_bytes()).copied().unwrap_or(0)),
            _ => Ok(0),
        })?;
        out.truncate(len);
        Ok(out)
    }

    fn decode_json_items(&self, src: &[u8]) -> Result<Vec<Value>> {
        self.decoded_items_size(src)?;
        Ok(self.decoded_labels(src)?.map(|label| Value::from(label.map_or("", |i| self.labels[i].as_str()))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};
    use serde_json::json;

    fn codec(config: &str) -> Box<dyn Codec> {
        codec_from_json(config).unwrap()
    }

    #[test]
    fn object_strings_encode_to_label_positions_and_back() {
        let c = codec(r#"{"id":"categorize","labels":["female","male","a","female"],"dtype":"|O"}"#);
        let object = c.as_object().unwrap();
        let items: [&[u8]; 5] = [b"male", b"female", b"a", b"unexpected", b""];
        let encoded = object.encode_items(Items::List(&items)).unwrap();
        // A repeated label takes its last position.
        assert_eq!(encoded, [2, 4, 3, 0, 0]);
        let decoded = object.decode_items(&[2, 4, 3, 0, 9, 1]).unwrap();
        assert_eq!(decoded.iter().collect::<Vec<_>>(), [&b"male"[..], b"female", b"a", b"", b"", b"female"]);
        assert_eq!(object.decoded_items_size(&[2, 4, 0]).unwrap(), (3, 10));
        assert_eq!(object.decode_json_items(&[1, 0]).unwrap(), [json!("female"), json!("")]);
        assert_eq!(object.encode_json_items(&[json!("male"), json!(null), json!(2), json!({"b64": "YQ=="}), json!(["a"])]).unwrap(), [2, 0, 0, 0, 0]);
        assert_eq!(object.encode_items(Items::List(&[b"\xff"])).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(c.encode(b"ab", &ArrayInfo::default()).unwrap_err().kind(), ErrorKind::Unsupported);
        assert_eq!(c.decode(b"\x01").unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn codes_follow_astype_type_and_byte_order() {
        let config = |astype: &str| codec(&format!(r#"{{"id":"categorize","labels":["x","y"],"dtype":"|O","astype":"{astype}"}}"#));
        let items: [&[u8]; 3] = [b"y", b"x", b"z"];
        for (astype, bytes) in [
            ("<i2", &b"\x02\0\x01\0\0\0"[..]),
            (">u4", b"\0\0\0\x02\0\0\0\x01\0\0\0\0"),
            ("<f4", b"\0\0\0\x40\0\0\x80\x3f\0\0\0\0"),
            (">f2", b"\x40\0\x3c\0\0\0"),
            ("|b1", b"\x01\x01\x00"),
        ] {
            let c = config(astype);
            let object = c.as_object().unwrap();
            assert_eq!(object.encode_items(Items::List(&items)).unwrap(), bytes, "{astype}");
            let back: Vec<Vec<u8>> = object.decode_items(bytes).unwrap().iter().map(<[u8]>::to_vec).collect();
            // bool codes are all True, the first label.
            let expected: &[&[u8]] = if astype == "|b1" { &[b"x", b"x", b""] } else { &[b"y", b"x", b""] };
            assert_eq!(back, expected, "{astype}");
        }
        // Negative, fractional and non-finite codes decode to "".
        let c = config("<f4");
        let codes: Vec<u8> = [1.0f32, 1.5, -1.0, f32::NAN, f32::INFINITY, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(c.as_object().unwrap().decode_json_items(&codes).unwrap(), [json!("x"), json!(""), json!(""), json!(""), json!(""), json!("y")]);
        let c = config("|i1");
        assert_eq!(c.as_object().unwrap().decode_json_items(&[0xff, 0x81, 2]).unwrap(), [json!(""), json!(""), json!("y")]);
        // A partial code is corrupt.
        assert_eq!(config("<i2").as_object().unwrap().decode_items(b"\x01\0\x02").unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn more_labels_than_astype_holds() {
        let labels: Vec<String> = (0..256).map(|i| format!("w{i}")).collect();
        let config = |astype: &str| json!({"id": "categorize", "labels": labels, "dtype": "|O", "astype": astype}).to_string();
        // numpy refuses code 256 for u1 at every encode, even of no items; decoding is fine.
        let c = codec(&config("|u1"));
        assert_eq!(c.as_object().unwrap().encode_items(Items::List(&[])).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(c.as_object().unwrap().decode_json_items(&[255]).unwrap(), [json!("w254")]);
        assert!(codec(&config("<u2")).as_object().unwrap().encode_items(Items::List(&[b"w255"])).is_ok());
        let many: Vec<String> = (0..2049).map(|i| i.to_string()).collect();
        let f2 = json!({"id": "categorize", "labels": many, "dtype": "|O", "astype": "<f2"}).to_string();
        assert_eq!(codec_from_json(&f2).unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn unicode_elements_compare_without_trailing_nuls_and_decode_cut_to_width() {
        let c = codec(r#"{"id":"categorize","labels":["ab","","abc\u0000\u0000","\u00e9\ud83d\ude00x"],"dtype":"<U3"}"#);
        assert!(c.as_object().is_none());
        let ucs4 = |s: &str, width: usize| -> Vec<u8> {
            let mut units: Vec<u32> = s.chars().map(|c| c as u32).collect();
            units.resize(width, 0);
            units.iter().flat_map(|u| u.to_le_bytes()).collect()
        };
        let src: Vec<u8> = ["ab", "", "abc", "a", "\u{e9}\u{1f600}x"].iter().flat_map(|s| ucs4(s, 3)).collect();
        let info = ArrayInfo::new(DType::parse("<U3").unwrap(), Some(vec![5]));
        assert_eq!(c.encode(&src, &info).unwrap(), [1, 2, 3, 0, 4]);
        let decoded = c.decode(&[1, 2, 3, 0, 4, 7]).unwrap();
        let expected: Vec<u8> = ["ab", "", "abc", "", "\u{e9}\u{1f600}x", ""].iter().flat_map(|s| ucs4(s, 3)).collect();
        assert_eq!(decoded, expected);
        assert_eq!(c.decoded_size(&[1, 2]).unwrap(), 24);
        assert_eq!(c.decoded_info(&[]).unwrap(), Some(ArrayInfo::new(DType::parse("<U3").unwrap(), None)));
        assert_eq!(c.encoded_info(60, &info).unwrap(), ArrayInfo::new(DType::parse("|u1").unwrap(), Some(vec![5])));
        // Not a whole number of elements.
        assert_eq!(c.encode(&src[..7], &ArrayInfo::default()).unwrap_err().kind(), ErrorKind::InvalidArgument);
        // Big-endian code units.
        let be = codec(r#"{"id":"categorize","labels":["\u00e9"],"dtype":">U1"}"#);
        assert_eq!(be.encode(b"\0\0\0\xe9\0\0\0\x61", &ArrayInfo::default()).unwrap(), [1, 0]);
        assert_eq!(be.decode(&[1, 0]).unwrap(), b"\0\0\0\xe9\0\0\0\0");
    }

    #[test]
    fn config_is_numcodecs_get_config() {
        assert_eq!(
            codec(r#"{"id":"categorize","labels":["a","\u00e9"],"dtype":"object"}"#).config_json(),
            r#"{"id":"categorize","labels":["a","\u00e9"],"dtype":"|O","astype":"|u1"}"#
        );
        assert_eq!(
            codec(r#"{"id":"categorize","labels":"xy","dtype":"U5","astype":null}"#).config_json(),
            r#"{"id":"categorize","labels":["x","y"],"dtype":"<U5","astype":"<f8"}"#
        );
        for bad in [
            r#"{"id":"categorize","labels":["a"]}"#,
            r#"{"id":"categorize","dtype":"|O"}"#,
            r#"{"id":"categorize","labels":["a"],"dtype":"<i4"}"#,
            r#"{"id":"categorize","labels":[1],"dtype":"|O"}"#,
            r#"{"id":"categorize","labels":null,"dtype":"|O"}"#,
            r#"{"id":"categorize","labels":["a"],"dtype":"|O","astype":"|O"}"#,
            r#"{"id":"categorize","labels":["a"],"dtype":"|O","x":1}"#,
        ] {
            assert_eq!(codec_from_json(bad).unwrap_err().kind(), ErrorKind::InvalidConfig, "{bad}");
        }
        for unsupported in [r#"{"id":"categorize","labels":["a"],"dtype":"|O","astype":"<c8"}"#, r#"{"id":"categorize","labels":["a"],"dtype":"<U0"}"#] {
            assert_eq!(codec_from_json(unsupported).unwrap_err().kind(), ErrorKind::Unsupported, "{unsupported}");
        }
    }
}
