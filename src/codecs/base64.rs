//! `base64`: numcodecs' `Base64()`, Python's `base64.standard_b64encode` / `standard_b64decode`.
//!
//! Encoding is RFC 4648 base64 with the standard alphabet and `=` padding, no line breaks.
//!
//! Decoding accepts exactly what numcodecs' decode accepts, which is CPython's non-strict
//! `binascii.a2b_base64`:
//! - bytes outside the alphabet (newlines, spaces, `-`, `_`, non-ASCII) are skipped;
//! - `=` after fewer than two characters of a quantum is skipped; otherwise it counts as padding, and once
//!   the quantum is complete (two characters and `==`, or three and `=`) decoding stops and everything
//!   after it is ignored (`QQ==garbage` is `A`). A data character between `=` signs resets the count
//!   (`AB=C=` is two bytes);
//! - unused low bits of the last character need not be zero (`QR==` is `A`);
//! - input ending inside a quantum is refused: one character left over is an invalid length, two or three
//!   are "incorrect padding". We refuse these with [`ErrorKind::CorruptData`](super::ErrorKind).

use serde_json::{Map, Value};

use super::{check_decoded_size, config_map, ArrayInfo, Codec, Constructor, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("base64", Base64::from_params)];

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD: u8 = b'=';
/// Marks bytes outside the alphabet in [`DECODE_TABLE`].
const NOT_BASE64: u8 = 0xFF;

const DECODE_TABLE: [u8; 256] = {
    let mut table = [NOT_BASE64; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The `base64` codec (no options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base64;

impl Base64 {
    fn from_params(params: Params) -> Result<Box<dyn Codec>> {
        params.finish()?;
        Ok(Box::new(Base64))
    }
}

/// `4 * ceil(len / 3)`, or None on overflow.
fn encoded_len(len: usize) -> Option<usize> {
    len.div_ceil(3).checked_mul(4).filter(|&n| n <= isize::MAX as usize)
}

/// Where decoded bytes go: written while they fit `dst`, counted always, so one pass gives the bytes or
/// the size a larger buffer needs (an empty `dst` only counts).
struct Sink<'a> {
    dst: &'a mut [u8],
    len: usize,
}

impl Sink<'_> {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.dst.get_mut(self.len) {
            *slot = byte;
        }
        self.len += 1;
    }

    fn push3(&mut self, bytes: [u8; 3]) {
        if let Some(slots) = self.dst.get_mut(self.len..self.len + 3) {
            slots.copy_from_slice(&bytes);
        } else {
            bytes.iter().for_each(|&byte| self.push(byte));
            return;
        }
        self.len += 3;
    }
}

/// CPython's non-strict `a2b_base64` (see the module documentation), emitting into `out`.
fn a2b_base64(src: &[u8], out: &mut Sink) -> Result<()> {
    let mut quad_pos = 0u8;
    let mut left = 0u8;
    let mut pads = 0u8;
    let mut i = 0;
    while i < src.len() {
        // Fast path: a whole quantum of four alphabet characters.
        if quad_pos == 0 {
            if let Some(quad) = src.get(i..i + 4) {
                let [a, b, c, d] = [0, 1, 2, 3].map(|k| DECODE_TABLE[quad[k] as usize]);
                // NOT_BASE64 has the high bits set, so the OR is below 64 only if all four are.
                if (a | b | c | d) < 64 {
                    out.push3([a << 2 | b >> 4, b << 4 | c >> 2, c << 6 | d]);
                    pads = 0;
                    i += 4;
                    continue;
                }
            }
        }
        let byte = src[i];
        i += 1;
        if byte == PAD {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(());
                }
            }
            continue;
        }
        let value = DECODE_TABLE[byte as usize];
        if value == NOT_BASE64 {
            continue;
        }
        pads = 0;
        match quad_pos {
            0 => {
                left = value;
                quad_pos = 1;
            }
            1 => {
                out.push(left << 2 | value >> 4);
                left = value & 0x0F;
                quad_pos = 2;
            }
            2 => {
                out.push(left << 4 | value >> 2);
                left = value & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push(left << 6 | value);
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(()),
        1 => Err(Error::corrupt("base64: invalid input, the number of data characters is 1 more than a multiple of 4")),
        _ => Err(Error::corrupt("base64: invalid input, incorrect padding")),
    }
}

impl Codec for Base64 {
    fn codec_id(&self) -> &str {
        "base64"
    }

    fn config(&self) -> Map<String, Value> {
        config_map("base64", [])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        encoded_len(src_len).ok_or_else(|| Error::limit(format!("base64: the encoding of {src_len} bytes overflows")))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.encode_bound(src.len(), info)?];
        self.encode_into(src, info, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let len = self.encode_bound(src.len(), info)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..len).ok_or_else(|| Error::buffer_too_small(len, capacity))?;
        let mut groups = src.chunks_exact(3);
        let mut quads = dst.chunks_exact_mut(4);
        for (group, quad) in (&mut groups).zip(&mut quads) {
            let bits = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
            for (k, slot) in quad.iter_mut().enumerate() {
                *slot = ALPHABET[(bits >> (18 - 6 * k) & 0x3F) as usize];
            }
        }
        let rest = groups.remainder();
        if let Some(quad) = quads.next() {
            // One or two bytes left: two or three characters, then padding.
            let bits = u32::from(rest[0]) << 16 | u32::from(rest.get(1).copied().unwrap_or(0)) << 8;
            for (k, slot) in quad.iter_mut().enumerate() {
                *slot = if k <= rest.len() { ALPHABET[(bits >> (18 - 6 * k) & 0x3F) as usize] } else { PAD };
            }
        }
        Ok(len)
    }

    /// Known only after a pass over the input (skipped characters and padding decide it).
    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        let mut count = Sink { dst: &mut [], len: 0 };
        a2b_base64(src, &mut count)?;
        check_decoded_size("base64", count.len as u64)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; check_decoded_size("base64", max_decoded_len(src.len()) as u64)?];
        let len = self.decode_into(src, &mut out)?;
        out.truncate(len);
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let capacity = dst.len();
        let mut sink = Sink { dst, len: 0 };
        a2b_base64(src, &mut sink)?;
        let size = check_decoded_size("base64", sink.len as u64)?;
        if size > capacity {
            return Err(Error::buffer_too_small(size, capacity));
        }
        Ok(size)
    }
}

/// The most bytes `len` input bytes decode to: 3 per 4 alphabet characters, and 1 or 2 for the 2 or 3
/// characters of a quantum that the end of the input cuts short (written before that is noticed).
fn max_decoded_len(len: usize) -> usize {
    len / 4 * 3 + len % 4 * 3 / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    fn decode(src: &[u8]) -> Result<Vec<u8>> {
        Base64.decode(src)
    }

    #[test]
    fn encodes_like_python() {
        let info = ArrayInfo::default();
        for (plain, encoded) in [(&b""[..], &b""[..]), (b"A", b"QQ=="), (b"AB", b"QUI="), (b"ABC", b"QUJD"), (b"ABCD", b"QUJDRA=="), (b"\xff\xfe\xfd\x00", b"//79AA==")] {
            assert_eq!(Base64.encode(plain, &info).unwrap(), encoded);
            assert_eq!(Base64.encode_bound(plain.len(), &info).unwrap(), encoded.len());
            assert_eq!(decode(encoded).unwrap(), plain);
            // The bound is exact for padding-free input and at most 2 over otherwise.
            assert!((plain.len()..=plain.len() + 2).contains(&max_decoded_len(encoded.len())), "{}", plain.len());
        }
        assert_eq!(codec_from_json(r#"{"id":"base64"}"#).unwrap().config_json(), r#"{"id":"base64"}"#);
        assert_eq!(codec_from_json(r#"{"id":"base64","x":1}"#).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn decodes_what_python_decodes() {
        // Each pair checked with base64.standard_b64decode on CPython 3.11.7 (numcodecs' decoder).
        let accepted: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"QU\nJD", b"ABC"),
            (b"QUJD\n", b"ABC"),
            (b"Q U J D", b"ABC"),
            (b"QQ==QUJD", b"A"),
            (b"QQ==garbage!!", b"A"),
            (b"=QUJD", b"ABC"),
            (b"QUJD=", b"ABC"),
            (b"QUJD====", b"ABC"),
            (b"AB=C=", b"\x00\x10"),
            (b"QR==", b"A"),
            (b"QUJ=", b"AB"),
            (b"QQ=\n=", b"A"),
            (b"\xffQUJD\x00", b"ABC"),
            (b"QUJD-_", b"ABC"),
            (b"QU=JD", b"ABC"),
            (b"QUJ=D", b"AB"),
            (b"QUJD=QQ==", b"ABCA"),
            (b"QQ=x=", b"A\x0c"),
        ];
        for &(src, expected) in accepted {
            assert_eq!(decode(src).unwrap(), expected, "{:?}", String::from_utf8_lossy(src));
            let mut exact = vec![0u8; expected.len()];
            assert_eq!(Base64.decode_into(src, &mut exact).unwrap(), expected.len());
            assert_eq!(exact, expected);
            assert_eq!(Base64.decoded_size(src).unwrap(), expected.len());
        }
        // binascii.Error ("Incorrect padding" or "cannot be 1 more than a multiple of 4") in Python.
        for src in [&b"QQ"[..], b"QQ=", b"Q", b"AB=C", b"Q===", b"QUJDQ", b"QUJDQUI", b"QU\nJ"] {
            let err = decode(src).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptData, "{:?}", String::from_utf8_lossy(src));
            assert!(err.message().starts_with("base64: invalid input"), "{}", err.message());
            let mut exact = vec![0u8; 1];
            assert_eq!(Base64.decode_into(src, &mut exact).unwrap_err().kind(), ErrorKind::CorruptData);
        }
    }

    #[test]
    fn fast_and_slow_paths_agree() {
        // The same data with line breaks every 76 characters (MIME style) and with spaces between
        // quanta decodes through the byte-by-byte path to the same bytes.
        let data: Vec<u8> = (0..10_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
        let encoded = Base64.encode(&data, &ArrayInfo::default()).unwrap();
        let wrapped: Vec<u8> = encoded.chunks(76).flat_map(|line| line.iter().copied().chain(*b"\r\n")).collect();
        let spaced: Vec<u8> = encoded.chunks(3).flat_map(|part| part.iter().copied().chain([b' '])).collect();
        for src in [&encoded, &wrapped, &spaced] {
            assert_eq!(decode(src).unwrap(), data);
            let mut exact = vec![0u8; data.len()];
            assert_eq!(Base64.decode_into(src, &mut exact).unwrap(), data.len());
            assert_eq!(exact, data);
            let mut roomy = vec![0u8; src.len()];
            assert_eq!(Base64.decode_into(src, &mut roomy).unwrap(), data.len());
            assert_eq!(&roomy[..data.len()], &data[..]);
            let err = Base64.decode_into(src, &mut exact[..data.len() - 1]).unwrap_err();
            assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(data.len())));
        }
    }
}
