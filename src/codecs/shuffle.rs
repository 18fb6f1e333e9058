//! numcodecs 0.16.6's `shuffle` filter (`shuffle.py` + `_shuffle.pyx`): the byte transpose of blosc's
//! shuffle, without blosc.
//!
//! With `n = len / elementsize` elements, encoding writes byte `b` of element `i` to `b * n + i` (all
//! first bytes, then all second bytes, ...), and decoding puts them back. The encoded chunk is a flat
//! `|u1` array of the same length (numcodecs returns its `np.zeros(nbytes, "uint8")` output buffer).
//!
//! What numcodecs does at the edges, and so do we:
//! - `elementsize <= 1` (0, negatives, `true`, floats like `0.5` included) copies the bytes unchanged.
//! - A buffer that is not a whole number of elements raises `ValueError("Shuffle buffer is not an
//!   integer multiple of elementsize")` on encode and on decode: there is no trailing partial element.
//!   We refuse it too (InvalidArgument on encode, CorruptData on decode).
//! - `get_config()` echoes `elementsize` as given (`true` stays `true`).
//! - numcodecs accepts any `elementsize` at construction but then fails on every encode and decode for
//!   `null`, strings and floats above 1 (`'<=' not supported`, or Cython's `'float' object cannot be
//!   interpreted as an integer`); we refuse those at construction.

use serde_json::{Map, Value};

use super::{check_decoded_size, config_map, ArrayInfo, Codec, Constructor, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("shuffle", Shuffle::from_params)];

const ID: &str = "shuffle";
/// numcodecs' default `elementsize`.
const DEFAULT_ELEMENTSIZE: i64 = 4;

/// The `shuffle` codec.
#[derive(Debug, Clone, PartialEq)]
pub struct Shuffle {
    /// Bytes per element; `None` when `elementsize <= 1` (numcodecs copies the bytes unchanged).
    elementsize: Option<u64>,
    /// `elementsize` as given, which `get_config()` echoes.
    given: Value,
}

impl Shuffle {
    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        let given = params.take_raw("elementsize").unwrap_or(Value::from(DEFAULT_ELEMENTSIZE));
        let elementsize = match &given {
            Value::Bool(b) => (*b as u64 > 1).then_some(*b as u64),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => (i > 1).then_some(i as u64),
                (None, Some(u)) => Some(u),
                // A float: numcodecs compares it with 1, then Cython refuses it as a Py_ssize_t.
                _ if n.as_f64().is_some_and(|f| f <= 1.0) => None,
                _ => return Err(Error::invalid_config(format!("{ID}: elementsize must be an integer, got {given}"))),
            },
            _ => return Err(Error::invalid_config(format!("{ID}: elementsize must be an integer, got {given}"))),
        };
        params.finish()?;
        Ok(Box::new(Shuffle { elementsize, given }))
    }

    /// The element size when the buffer of `len` bytes gets transposed, `None` when it is copied
    /// (`elementsize <= 1`, or an empty buffer).
    fn element_size_for(&self, len: usize) -> Result<Option<usize>, String> {
        let Some(size) = self.elementsize else {
            return Ok(None);
        };
        if len == 0 {
            return Ok(None);
        }
        if len as u64 % size != 0 {
            return Err(format!("{ID}: buffer of {len} bytes is not an integer multiple of elementsize {size}"));
        }
        // `size` divides the non-zero `len`, so it fits a usize.
        Ok(Some(size as usize))
    }
}

impl Codec for Shuffle {
    fn codec_id(&self) -> &str {
        ID
    }

    fn config(&self) -> Map<String, Value> {
        config_map(ID, [("elementsize", self.given.clone())])
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Ok(src_len)
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = vec![0u8; src.len()];
        self.encode_into(src, info, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        info.check_len(src.len())?;
        let size = self.element_size_for(src.len()).map_err(Error::invalid_argument)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..src.len()).ok_or_else(|| Error::buffer_too_small(src.len(), capacity))?;
        match size {
            None => dst.copy_from_slice(src),
            Some(size) => shuffle(src, dst, size),
        }
        Ok(src.len())
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        self.element_size_for(src.len()).map_err(Error::corrupt)?;
        check_decoded_size(ID, src.len() as u64)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.decoded_size(src)?];
        self.decode_into(src, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let len = self.decoded_size(src)?;
        let size = self.element_size_for(len).map_err(Error::corrupt)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..len).ok_or_else(|| Error::buffer_too_small(len, capacity))?;
        match size {
            None => dst.copy_from_slice(src),
            Some(size) => unshuffle(src, dst, size),
        }
        Ok(len)
    }
}

/// Elements per tile: a tile's source, its intermediate halves and its slice of every plane stay in
/// L1/L2 while it is transposed.
const TILE: usize = 2048;
/// Scratch bytes for the halves of one tile: `TILE * size` for the first split, half that for the next...
const SCRATCH: usize = 2 * TILE * MAX_SPLIT_SIZE;
/// Element sizes up to this are split in halves recursively (above, the halving would need more scratch).
const MAX_SPLIT_SIZE: usize = 16;

/// Writes byte `b` of element `i` of `src` to `dst[b * n + i]`; `src.len()` is a non-zero multiple of
/// `size` and equals `dst.len()`.
///
/// Even sizes up to [`MAX_SPLIT_SIZE`] are transposed by halving: the elements are split into their low
/// and high halves (two arrays of `size / 2`-byte units), each of which is again an array of elements
/// to split, down to single bytes. Splitting 2-, 4-, 8- and 16-byte units is a straight loop of integer
/// shifts and truncations that the compiler vectorises, so a 4-byte shuffle is two fast passes over the
/// data instead of one pass of scattered byte stores. Other sizes take the direct byte loop.
///
/// For 8- and 16-byte elements the halving takes 3-4 passes through scratch memory; the SIMD kernel
/// (`crate::simd::shuffle`) transposes blocks of 16 elements in registers instead, and the halving
/// does the elements it leaves (the last `n % 16`, or all of them where it does not exist).
fn shuffle(src: &[u8], dst: &mut [u8], size: usize) {
    let n = src.len() / size;
    let done = crate::simd::shuffle::shuffle_blocks(src, dst, size);
    let rest = &src[done * size..];
    let mut planes: Vec<&mut [u8]> = dst.chunks_exact_mut(n).collect();
    let mut scratch = vec![0u8; SCRATCH.min(2 * rest.len())];
    for (tile_index, tile) in rest.chunks(TILE.saturating_mul(size)).enumerate() {
        split_planes(tile, size, &mut planes, done + tile_index * TILE, &mut scratch);
    }
}

/// The inverse of [`shuffle`].
fn unshuffle(src: &[u8], dst: &mut [u8], size: usize) {
    let n = src.len() / size;
    let done = crate::simd::shuffle::unshuffle_blocks(src, dst, size);
    let planes: Vec<&[u8]> = src.chunks_exact(n).collect();
    let rest = &mut dst[done * size..];
    let mut scratch = vec![0u8; SCRATCH.min(2 * rest.len())];
    for (tile_index, tile) in rest.chunks_mut(TILE.saturating_mul(size)).enumerate() {
        merge_planes(&planes, done + tile_index * TILE, tile, size, &mut scratch);
    }
}

/// Writes the byte planes of `tile` (whole elements of `size` bytes) to `planes[b][first..]`.
fn split_planes(tile: &[u8], size: usize, planes: &mut [&mut [u8]], first: usize, scratch: &mut [u8]) {
    let count = tile.len() / size;
    let range = first..first + count;
    match size {
        1 => planes[0][range].copy_from_slice(tile),
        2 => {
            let (low, high) = planes.split_at_mut(1);
            split_units(tile, 1, &mut low[0][range.clone()], &mut high[0][range]);
        }
        _ if size % 2 == 0 && size <= MAX_SPLIT_SIZE => {
            let (halves, rest) = scratch.split_at_mut(tile.len());
            let (low, high) = halves.split_at_mut(tile.len() / 2);
            split_units(tile, size / 2, low, high);
            let (low_planes, high_planes) = planes.split_at_mut(size / 2);
            split_planes(low, size / 2, low_planes, first, rest);
            split_planes(high, size / 2, high_planes, first, rest);
        }
        _ => {
            for (b, plane) in planes.iter_mut().enumerate() {
                for (out, element) in plane[range.clone()].iter_mut().zip(tile.chunks_exact(size)) {
                    *out = element[b];
                }
            }
        }
    }
}

/// The inverse of [`split_planes`]: fills `tile` (whole elements of `size` bytes) from `planes[b][first..]`.
fn merge_planes(planes: &[&[u8]], first: usize, tile: &mut [u8], size: usize, scratch: &mut [u8]) {
    let count = tile.len() / size;
    let range = first..first + count;
    match size {
        1 => tile.copy_from_slice(&planes[0][range]),
        2 => merge_units(&planes[0][range.clone()], &planes[1][range], 1, tile),
        _ if size % 2 == 0 && size <= MAX_SPLIT_SIZE => {
            let (halves, rest) = scratch.split_at_mut(tile.len());
            let (low, high) = halves.split_at_mut(tile.len() / 2);
            merge_planes(&planes[..size / 2], first, low, size / 2, rest);
            merge_planes(&planes[size / 2..], first, high, size / 2, rest);
            merge_units(low, high, size / 2, tile);
        }
        _ => {
            for (element, i) in tile.chunks_exact_mut(size).zip(range) {
                for (out, plane) in element.iter_mut().zip(planes) {
                    *out = plane[i];
                }
            }
        }
    }
}

/// Splits `src`, units of `2 * width` bytes, into the low and the high `width` bytes of each unit.
fn split_units(src: &[u8], width: usize, low: &mut [u8], high: &mut [u8]) {
    match width {
        1 => split_u16(src, low, high),
        2 => split_u32(src, low, high),
        4 => split_u64(src, low, high),
        8 => split_u128(src, low, high),
        _ => {
            let units = src.chunks_exact(2 * width).zip(low.chunks_exact_mut(width)).zip(high.chunks_exact_mut(width));
            for ((unit, low), high) in units {
                low.copy_from_slice(&unit[..width]);
                high.copy_from_slice(&unit[width..]);
            }
        }
    }
}

/// The inverse of [`split_units`].
fn merge_units(low: &[u8], high: &[u8], width: usize, dst: &mut [u8]) {
    match width {
        1 => merge_u16(low, high, dst),
        2 => merge_u32(low, high, dst),
        4 => merge_u64(low, high, dst),
        8 => merge_u128(low, high, dst),
        _ => {
            let units = dst.chunks_exact_mut(2 * width).zip(low.chunks_exact(width)).zip(high.chunks_exact(width));
            for ((unit, low), high) in units {
                unit[..width].copy_from_slice(low);
                unit[width..].copy_from_slice(high);
            }
        }
    }
}

/// Split and merge kernels for units of one integer type: little-endian words cut into (or joined from)
/// their low and high halves, in loops the compiler vectorises.
macro_rules! split_merge_kernels {
    ($split:ident, $merge:ident, $whole:ty, $half:ty) => {
        fn $split(src: &[u8], low: &mut [u8], high: &mut [u8]) {
            const WIDTH: usize = std::mem::size_of::<$half>();
            let units = src.chunks_exact(2 * WIDTH).zip(low.chunks_exact_mut(WIDTH)).zip(high.chunks_exact_mut(WIDTH));
            for ((unit, low), high) in units {
                let word = <$whole>::from_le_bytes(unit.try_into().expect("whole units"));
                low.copy_from_slice(&(word as $half).to_le_bytes());
                high.copy_from_slice(&((word >> (8 * WIDTH)) as $half).to_le_bytes());
            }
        }

        fn $merge(low: &[u8], high: &[u8], dst: &mut [u8]) {
            const WIDTH: usize = std::mem::size_of::<$half>();
            let units = dst.chunks_exact_mut(2 * WIDTH).zip(low.chunks_exact(WIDTH)).zip(high.chunks_exact(WIDTH));
            for ((unit, low), high) in units {
                let low = <$half>::from_le_bytes(low.try_into().expect("whole units"));
                let high = <$half>::from_le_bytes(high.try_into().expect("whole units"));
                unit.copy_from_slice(&(<$whole>::from(low) | <$whole>::from(high) << (8 * WIDTH)).to_le_bytes());
            }
        }
    };
}

split_merge_kernels!(split_u16, merge_u16, u16, u8);
split_merge_kernels!(split_u32, merge_u32, u32, u16);
split_merge_kernels!(split_u64, merge_u64, u64, u32);
split_merge_kernels!(split_u128, merge_u128, u128, u64);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, DType, ErrorKind};

    fn codec(json: &str) -> Box<dyn Codec> {
        codec_from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn bytes_info() -> ArrayInfo {
        ArrayInfo::default()
    }

    /// numcodecs' `_doShuffle`, loop for loop.
    fn reference_shuffle(src: &[u8], size: usize) -> Vec<u8> {
        let mut des = vec![0u8; src.len()];
        let count = src.len() / size;
        for i in 0..count {
            for byte_index in 0..size {
                des[byte_index * count + i] = src[i * size + byte_index];
            }
        }
        des
    }

    #[test]
    fn numcodecs_examples() {
        // numcodecs 0.16.6: Shuffle(es).decode(bytes(range(24))) and Shuffle(4).encode(np.arange(6, dtype="<f4")).
        let counting: Vec<u8> = (0..24).collect();
        let cases: [(usize, &str); 4] = [
            (4, "00060c1201070d1302080e1403090f15040a1016050b1117"),
            (2, "000c010d020e030f0410051106120713081409150a160b17"),
            (3, "000810010911020a12030b13040c14050d15060e16070f17"),
            (8, "000306090c0f12150104070a0d1013160205080b0e111417"),
        ];
        for (size, hex) in cases {
            let expected: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
            let codec = codec(&format!(r#"{{"id":"shuffle","elementsize":{size}}}"#));
            assert_eq!(codec.decode(&counting).unwrap(), expected, "elementsize {size}");
            assert_eq!(codec.encode(&expected, &bytes_info()).unwrap(), counting, "elementsize {size}");
        }
        let floats: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let shuffled = codec(r#"{"id":"shuffle"}"#).encode(&floats, &ArrayInfo::new(DType::parse("<f4").unwrap(), Some(vec![6]))).unwrap();
        assert_eq!(shuffled, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0x40, 0x80, 0xa0, 0, 0x3f, 0x40, 0x40, 0x40, 0x40]);
    }

    #[test]
    fn every_size_matches_the_reference_and_round_trips() {
        let data: Vec<u8> = (0..(40 * 2 * TILE as u32)).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        for size in 2..=40usize {
            let codec = codec(&format!(r#"{{"id":"shuffle","elementsize":{size}}}"#));
            // Lengths that are multiples of size, around the tile boundaries too.
            for count in [0, 1, 2, 3, 7, TILE - 1, TILE, TILE + 1, 3 * TILE / 2, data.len() / size] {
                let src = &data[..count * size];
                let encoded = codec.encode(src, &bytes_info()).unwrap();
                assert_eq!(encoded, reference_shuffle(src, size), "size {size} count {count}");
                assert_eq!(codec.decode(&encoded).unwrap(), src, "size {size} count {count}");
            }
        }
    }

    #[test]
    fn small_element_sizes_copy() {
        let data: Vec<u8> = (0..25).collect();
        for size in ["1", "0", "-3", "true", "false", "0.5", "1.0", "-2.5"] {
            let codec = codec(&format!(r#"{{"id":"shuffle","elementsize":{size}}}"#));
            assert_eq!(codec.encode(&data, &bytes_info()).unwrap(), data, "{size}");
            assert_eq!(codec.decode(&data).unwrap(), data, "{size}");
            assert_eq!(codec.config_json(), format!(r#"{{"id":"shuffle","elementsize":{size}}}"#));
        }
    }

    #[test]
    fn configs() {
        assert_eq!(codec(r#"{"id":"shuffle"}"#).config_json(), r#"{"id":"shuffle","elementsize":4}"#);
        assert_eq!(codec(r#"{"id":"shuffle","elementsize":1099511627776}"#).config_json(), r#"{"id":"shuffle","elementsize":1099511627776}"#);
        for bad in [
            r#"{"id":"shuffle","elementsize":null}"#,
            r#"{"id":"shuffle","elementsize":"4"}"#,
            r#"{"id":"shuffle","elementsize":4.0}"#,
            r#"{"id":"shuffle","elementsize":2.5}"#,
            r#"{"id":"shuffle","elementsize":[4]}"#,
            r#"{"id":"shuffle","typesize":4}"#,
        ] {
            assert_eq!(codec_from_json(bad).unwrap_err().kind(), ErrorKind::InvalidConfig, "{bad}");
        }
    }

    #[test]
    fn partial_elements_are_refused() {
        let codec = codec(r#"{"id":"shuffle","elementsize":4}"#);
        assert_eq!(codec.encode(&[0; 7], &bytes_info()).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(codec.decode(&[0; 7]).unwrap_err().kind(), ErrorKind::CorruptData);
        assert_eq!(codec.decoded_size(&[0; 7]).unwrap_err().kind(), ErrorKind::CorruptData);
        assert_eq!(codec.decode_into(&[0; 7], &mut [0; 8]).unwrap_err().kind(), ErrorKind::CorruptData);
        // An element size larger than any buffer: only the empty one is whole.
        let huge = codec_from_json(r#"{"id":"shuffle","elementsize":18446744073709551615}"#).unwrap();
        assert_eq!(huge.encode(&[], &bytes_info()).unwrap(), Vec::<u8>::new());
        assert_eq!(huge.decode(&[1, 2]).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn into_buffers() {
        let codec = codec(r#"{"id":"shuffle","elementsize":8}"#);
        let data: Vec<u8> = (0..64).collect();
        let mut short = [0u8; 63];
        let err = codec.encode_into(&data, &bytes_info(), &mut short).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(64)));
        let err = codec.decode_into(&data, &mut short).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(64)));
        let mut roomy = [0xAAu8; 70];
        assert_eq!(codec.encode_into(&data, &bytes_info(), &mut roomy).unwrap(), 64);
        assert_eq!(&roomy[64..], &[0xAA; 6]);
        assert_eq!(codec.encoded_info(64, &ArrayInfo::new(DType::parse("<f8").unwrap(), Some(vec![2, 4]))).unwrap(), bytes_info());
    }
}
