//! `zfpy`: numcodecs' `ZFPY(mode=4, tolerance=-1, rate=-1, precision=-1)`, zfpy 1.0.1's
//! `compress_numpy(arr, write_header=True, ...)`: a zfp 1.0.1 stream with the full header (magic,
//! scalar type, shape, compression mode), so decoding needs nothing but the bytes and yields the array's
//! dtype and C-order shape ([`Codec::decoded_info`]).
//!
//! numcodecs passes zfpy one keyword chosen by `mode`: 4 (fixed accuracy) `tolerance`, 2 (fixed rate)
//! `rate`, 3 (fixed precision) `precision`. zfpy uses it when it is >= 0 and otherwise compresses
//! reversibly (lossless), so `{"id":"zfpy","mode":4}` (the default, tolerance -1) is zfp's reversible
//! mode. Any other mode constructs (numcodecs only stores it) but cannot encode: numcodecs then has no
//! `compression_kwargs` and raises AttributeError. `get_config()` prints `compression_kwargs`, the
//! chosen keyword and its value, for modes 2, 3 and 4; a `compression_kwargs` given in the configuration
//! is accepted and ignored, as numcodecs' constructor does.
//!
//! zfpy takes int32, int64, float32 and float64 arrays of 1 to 4 dimensions (native byte order, here
//! little-endian); the last C axis is zfp's x. It cannot represent an empty array: numcodecs crashes on
//! an empty 1-D array and writes a header claiming 2^24 rows for an empty 2-D one; we refuse both.
//!
//! Decoding reads the header, checks the decoded size against the limit before allocating, and never
//! lets zfp read past the stream (see `crate::sys::zfp`): a stream shorter than what its header promises
//! is corrupt (zfpy would read past the end of the buffer).

use serde_json::{Map, Value};

use super::{check_decoded_size, python_json, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};
use crate::sys::zfp::{self, Header, Mode, Scalar, ZfpError};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[("zfpy", Zfpy::from_params)];

const ID: &str = "zfpy";
/// zfpy's `mode_fixed_rate`, `mode_fixed_precision`, `mode_fixed_accuracy`.
const MODE_FIXED_RATE: f64 = 2.0;
const MODE_FIXED_PRECISION: f64 = 3.0;
const MODE_FIXED_ACCURACY: f64 = 4.0;

/// The `zfpy` codec.
#[derive(Debug, Clone)]
pub struct Zfpy {
    mode: Value,
    tolerance: Value,
    rate: Value,
    precision: Value,
    /// The zfp mode numcodecs' encode would use, or why it raises.
    plan: std::result::Result<Mode, String>,
}

impl Zfpy {
    fn from_params(mut params: Params) -> Result<Box<dyn Codec>> {
        let mut take = |key: &str, default: Value| params.take_raw(key).unwrap_or(default);
        let mode = take("mode", Value::from(4));
        let tolerance = take("tolerance", Value::from(-1));
        let rate = take("rate", Value::from(-1));
        let precision = take("precision", Value::from(-1));
        // numcodecs' __init__ takes compression_kwargs and overwrites it (or, for other modes, never sets it).
        let _ignored = params.take_raw("compression_kwargs");
        params.finish()?;
        let plan = plan(&mode, &tolerance, &rate, &precision);
        Ok(Box::new(Zfpy { mode, tolerance, rate, precision, plan }))
    }

    /// The keyword numcodecs passes to zfpy for this mode (Python's `mode == 4` is numeric equality, so
    /// 4.0 counts and `true` is 1).
    fn keyword(&self) -> Option<(&'static str, &Value)> {
        match python_number(&self.mode)? {
            m if m == MODE_FIXED_ACCURACY => Some(("tolerance", &self.tolerance)),
            m if m == MODE_FIXED_RATE => Some(("rate", &self.rate)),
            m if m == MODE_FIXED_PRECISION => Some(("precision", &self.precision)),
            _ => None,
        }
    }

    fn mode(&self) -> Result<Mode> {
        self.plan.clone().map_err(|message| Error::invalid_config(format!("{ID}: {message}")))
    }
}

/// A JSON value as a Python number (bools are ints), if it is one.
fn python_number(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// What numcodecs' encode does with the options: `compress_numpy(buf, **{keyword: value})`, where zfpy's
/// Cython signature converts tolerance and rate to C doubles and precision to a C int (floats truncated
/// toward zero).
fn plan(mode: &Value, tolerance: &Value, rate: &Value, precision: &Value) -> std::result::Result<Mode, String> {
    let as_double = |value: &Value, key: &str| python_number(value).ok_or_else(|| format!("{key} must be a real number, not {value}"));
    match python_number(mode) {
        Some(m) if m == MODE_FIXED_ACCURACY => {
            let tolerance = as_double(tolerance, "tolerance")?;
            Ok(if tolerance >= 0.0 { Mode::FixedAccuracy(tolerance) } else { Mode::Reversible })
        }
        Some(m) if m == MODE_FIXED_RATE => {
            let rate = as_double(rate, "rate")?;
            Ok(if rate >= 0.0 { Mode::FixedRate(rate) } else { Mode::Reversible })
        }
        Some(m) if m == MODE_FIXED_PRECISION => {
            let value = python_number(precision).ok_or_else(|| format!("precision must be an integer, not {precision}"))?.trunc();
            if !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&value) {
                return Err(format!("precision {precision} does not fit a C int"));
            }
            Ok(if value >= 0.0 { Mode::FixedPrecision(value as u32) } else { Mode::Reversible })
        }
        _ => Err(format!(
            "mode {mode} cannot encode: numcodecs' ZFPY encodes with mode 2 (fixed rate), 3 (fixed precision) or 4 (fixed accuracy)"
        )),
    }
}

/// zfpy's scalar type of a dtype (`dtype_to_ztype`): int32, int64, float32, float64 in native order.
fn scalar_of(dtype: &DType) -> Result<Scalar> {
    let scalar = match (dtype.kind(), dtype.itemsize()) {
        ('i', 4) => Scalar::Int32,
        ('i', 8) => Scalar::Int64,
        ('f', 4) => Scalar::Float,
        ('f', 8) => Scalar::Double,
        _ => return Err(unsupported_dtype(dtype)),
    };
    if dtype.byte_order() != ByteOrder::Little {
        return Err(unsupported_dtype(dtype));
    }
    Ok(scalar)
}

fn unsupported_dtype(dtype: &DType) -> Error {
    Error::invalid_argument(format!("{ID}: unsupported dtype {}: zfpy takes little-endian int32, int64, float32 and float64", dtype.typestr()))
}

fn dtype_of(scalar: Scalar) -> Result<DType> {
    DType::parse(match scalar {
        Scalar::Int32 => "<i4",
        Scalar::Int64 => "<i8",
        Scalar::Float => "<f4",
        Scalar::Double => "<f8",
    })
}

/// The C-order shape zfpy compresses: 1 to 4 non-empty extents (a missing shape is 1-D).
fn shape_of(src_len: usize, info: &ArrayInfo) -> Result<Vec<usize>> {
    let count = info.check_len(src_len)?;
    let shape = info.shape.clone().unwrap_or_else(|| vec![count]);
    if shape.is_empty() || shape.len() > 4 {
        return Err(Error::invalid_argument(format!("{ID}: zfp compresses arrays of 1 to 4 dimensions, not {}", shape.len())));
    }
    if count == 0 {
        return Err(Error::invalid_argument(format!("{ID}: zfp cannot encode an empty array (shape {shape:?})")));
    }
    Ok(shape)
}

/// zfpy hands `zfp_stream_set_rate` no scalar type, so zfp does not raise the bits per block to the
/// 1 + 8 (float) or 1 + 11 (double) bits of a block's exponent. Below that, zfp's float encoder computes
/// its remaining budget as `maxbits - bits`, which wraps around, and writes past the buffer zfpy
/// allocated (heap corruption in numcodecs, e.g. rate 0.5 on a 2-D float32 array). We refuse those rates,
/// and rates whose bits per block do not fit zfp's `uint`.
fn check_rate(mode: Mode, scalar: Scalar, dims: usize) -> Result<()> {
    let Mode::FixedRate(rate) = mode else {
        return Ok(());
    };
    let values = f64::from(1u32 << (2 * dims));
    let bits = (values * rate + 0.5).floor();
    if bits >= f64::from(u32::MAX) {
        return Err(Error::invalid_config(format!("{ID}: rate {rate} gives more bits per block than zfp can count")));
    }
    let exponent_bits = match scalar {
        Scalar::Float => 1.0 + 8.0,
        Scalar::Double => 1.0 + 11.0,
        Scalar::Int32 | Scalar::Int64 => 0.0,
    };
    if bits < exponent_bits {
        return Err(Error::invalid_argument(format!(
            "{ID}: rate {rate} leaves {bits} bits per {dims}-D block, fewer than the {exponent_bits} bits of a block's exponent \
             (numcodecs' zfpy writes past its buffer there)"
        )));
    }
    Ok(())
}

fn encode_error(error: ZfpError) -> Error {
    match error {
        ZfpError::OutOfMemory => Error::internal(format!("{ID}: zfp could not allocate")),
        ZfpError::CannotEncode(why) => Error::invalid_argument(format!("{ID}: {why}")),
        ZfpError::BadHeader | ZfpError::DecodeFailed => Error::internal(format!("{ID}: unexpected zfp error {error:?}")),
    }
}

fn decode_error(error: ZfpError) -> Error {
    match error {
        ZfpError::OutOfMemory => Error::internal(format!("{ID}: zfp could not allocate")),
        ZfpError::BadHeader => Error::corrupt(format!("{ID}: not a zfp stream with a full header")),
        ZfpError::DecodeFailed | ZfpError::CannotEncode(_) => Error::corrupt(format!("{ID}: truncated or corrupt zfp stream")),
    }
}

/// The stream's header and decoded size in bytes, checked against the limit.
fn parse(src: &[u8]) -> Result<(Header, usize)> {
    let header = zfp::read_header(src).ok_or_else(|| decode_error(ZfpError::BadHeader))?;
    // Before sizing anything by the header: the stream must be long enough for the blocks it claims,
    // which bounds what a small hostile stream can make us allocate.
    if (src.len() as u64).saturating_mul(8) < header.min_stream_bits {
        return Err(Error::corrupt(format!(
            "{ID}: a {}-byte stream cannot hold the {:?} array its header describes (at least {} bits)",
            src.len(),
            header.shape,
            header.min_stream_bits
        )));
    }
    let count = header.element_count().map_or(u64::MAX, |n| n as u64);
    let size = check_decoded_size(ID, count.saturating_mul(header.scalar.size() as u64))?;
    Ok((header, size))
}

impl Codec for Zfpy {
    fn codec_id(&self) -> &str {
        ID
    }

    fn config(&self) -> Map<String, Value> {
        let mut config = Map::new();
        config.insert("id".into(), Value::from(ID));
        config.insert("mode".into(), self.mode.clone());
        if let Some((key, value)) = self.keyword() {
            let mut kwargs = Map::new();
            kwargs.insert(key.into(), value.clone());
            config.insert("compression_kwargs".into(), Value::Object(kwargs));
        }
        config.insert("tolerance".into(), self.tolerance.clone());
        config.insert("rate".into(), self.rate.clone());
        config.insert("precision".into(), self.precision.clone());
        config
    }

    fn config_json(&self) -> String {
        // Float options (tolerance 1e-06) print as Python does.
        python_json(&self.config())
    }

    fn encode_bound(&self, src_len: usize, info: &ArrayInfo) -> Result<usize> {
        let mode = self.mode()?;
        let scalar = scalar_of(&info.dtype)?;
        let shape = shape_of(src_len, info)?;
        check_rate(mode, scalar, shape.len())?;
        zfp::maximum_size(scalar, &shape, mode).map_err(encode_error)
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mode = self.mode()?;
        let scalar = scalar_of(&info.dtype)?;
        let shape = shape_of(src.len(), info)?;
        check_rate(mode, scalar, shape.len())?;
        zfp::compress(src, scalar, &shape, mode).map_err(encode_error)
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        Ok(parse(src)?.1)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let (_, size) = parse(src)?;
        let mut out = vec![0u8; size];
        zfp::decompress(src, &mut out).map_err(decode_error)?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let (_, size) = parse(src)?;
        let capacity = dst.len();
        let room = dst.get_mut(..size).ok_or_else(|| Error::buffer_too_small(size, capacity))?;
        zfp::decompress(src, room).map_err(decode_error)?;
        Ok(size)
    }

    fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
        let (header, _) = parse(src)?;
        Ok(Some(ArrayInfo::new(dtype_of(header.scalar)?, Some(header.shape))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    fn info(typestr: &str, shape: &[usize]) -> ArrayInfo {
        ArrayInfo::new(DType::parse(typestr).unwrap(), Some(shape.to_vec()))
    }

    fn smooth_f8(n: usize) -> Vec<u8> {
        (0..n).flat_map(|i| ((i as f64 / 9.0).sin() * 100.0).to_le_bytes()).collect()
    }

    #[test]
    fn config_json_is_numcodecs_get_config() {
        let json = |c: &str| codec_from_json(c).unwrap().config_json();
        assert_eq!(json(r#"{"id":"zfpy"}"#), r#"{"id":"zfpy","mode":4,"compression_kwargs":{"tolerance":-1},"tolerance":-1,"rate":-1,"precision":-1}"#);
        assert_eq!(json(r#"{"id":"zfpy","mode":2,"rate":8.5}"#), r#"{"id":"zfpy","mode":2,"compression_kwargs":{"rate":8.5},"tolerance":-1,"rate":8.5,"precision":-1}"#);
        assert_eq!(
            json(r#"{"id":"zfpy","mode":3,"precision":12,"compression_kwargs":{"x":1}}"#),
            r#"{"id":"zfpy","mode":3,"compression_kwargs":{"precision":12},"tolerance":-1,"rate":-1,"precision":12}"#
        );
        assert_eq!(json(r#"{"id":"zfpy","mode":5}"#), r#"{"id":"zfpy","mode":5,"tolerance":-1,"rate":-1,"precision":-1}"#);
        assert_eq!(codec_from_json(r#"{"id":"zfpy","level":1}"#).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }

    #[test]
    fn reversible_mode_round_trips_every_scalar_type_and_shape() {
        let codec = codec_from_json(r#"{"id":"zfpy"}"#).unwrap();
        for (typestr, shape) in [("<f8", &[37][..]), ("<f4", &[5, 7]), ("<i4", &[3, 5, 6]), ("<i8", &[2, 3, 5, 7])] {
            let count: usize = shape.iter().product();
            let itemsize = DType::parse(typestr).unwrap().itemsize();
            let data: Vec<u8> = (0..count * itemsize).map(|i| if i % itemsize == 1 { (i / itemsize) as u8 } else { 0 }).collect();
            let encoded = codec.encode(&data, &info(typestr, shape)).unwrap();
            assert!(encoded.len() <= codec.encode_bound(data.len(), &info(typestr, shape)).unwrap());
            assert_eq!(codec.decode(&encoded).unwrap(), data, "{typestr} {shape:?}");
            assert_eq!(codec.decoded_size(&encoded).unwrap(), data.len());
            let decoded = codec.decoded_info(&encoded).unwrap().unwrap();
            assert_eq!((decoded.dtype.typestr().as_str(), decoded.shape.as_deref()), (typestr, Some(shape)));
        }
    }

    #[test]
    fn lossy_modes_stay_within_their_bounds() {
        let data = smooth_f8(200);
        let values = |bytes: &[u8]| bytes.chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect::<Vec<_>>();
        let codec = codec_from_json(r#"{"id":"zfpy","mode":4,"tolerance":0.01}"#).unwrap();
        let encoded = codec.encode(&data, &info("<f8", &[10, 20])).unwrap();
        for (a, b) in values(&data).iter().zip(values(&codec.decode(&encoded).unwrap())) {
            assert!((a - b).abs() <= 0.01, "{a} vs {b}");
        }
        // Fixed rate 8 bits per value: 2-D blocks of 16 values take exactly 16 bytes each.
        let codec = codec_from_json(r#"{"id":"zfpy","mode":2,"rate":8}"#).unwrap();
        let encoded = codec.encode(&data, &info("<f8", &[10, 20])).unwrap();
        assert!(encoded.len() >= 3 * 5 * 16 && encoded.len() <= 3 * 5 * 16 + 32, "{}", encoded.len());
    }

    #[test]
    fn what_numcodecs_cannot_encode_is_refused() {
        let data = smooth_f8(8);
        for json in [r#"{"id":"zfpy","mode":1}"#, r#"{"id":"zfpy","mode":5}"#, r#"{"id":"zfpy","mode":4,"tolerance":"0.1"}"#, r#"{"id":"zfpy","mode":3,"precision":2147483648}"#] {
            let codec = codec_from_json(json).unwrap();
            assert_eq!(codec.encode(&data, &info("<f8", &[8])).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
        let codec = codec_from_json(r#"{"id":"zfpy"}"#).unwrap();
        for (typestr, shape) in [("<u4", &[16][..]), (">f8", &[8]), ("<f2", &[32]), ("<f8", &[1, 1, 1, 2, 4]), ("<f8", &[])] {
            let err = codec.encode(&data, &info(typestr, shape)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{typestr} {shape:?}");
        }
        assert_eq!(codec.encode(&[], &info("<f8", &[0])).unwrap_err().kind(), ErrorKind::InvalidArgument);
        // Too few bits per block for a float block's exponent: 16 * 0.5 = 8 < 9 in 2-D float32, 4 * 2.5
        // = 10 < 12 in 1-D float64; ints have no exponent.
        let rate = |r: f64| codec_from_json(&format!(r#"{{"id":"zfpy","mode":2,"rate":{r}}}"#)).unwrap();
        let floats = vec![0u8; 64];
        assert_eq!(rate(0.5).encode(&floats, &info("<f4", &[4, 4])).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert!(rate(0.5625).encode(&floats, &info("<f4", &[4, 4])).is_ok());
        assert_eq!(rate(2.5).encode(&floats, &info("<f8", &[8])).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert!(rate(2.875).encode(&floats, &info("<f8", &[8])).is_ok());
        assert!(rate(0.5).encode(&floats, &info("<i4", &[4, 4])).is_ok());
        assert_eq!(rate(1e12).encode(&floats, &info("<f8", &[8])).unwrap_err().kind(), ErrorKind::InvalidConfig);
        assert_eq!(codec.encode(&[], &info("<f4", &[0, 5])).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn hostile_streams_are_refused_before_allocating() {
        let codec = codec_from_json(r#"{"id":"zfpy"}"#).unwrap();
        let data = smooth_f8(100);
        let encoded = codec.encode(&data, &info("<f8", &[100])).unwrap();
        for cut in 0..encoded.len() {
            assert!(codec.decode(&encoded[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(codec.decode(b"zfp").unwrap_err().kind(), ErrorKind::CorruptData);
        // A 1-D double array of 2^48 values: 2 PiB.
        let mut huge = encoded.clone();
        huge[4..10].fill(0xFF);
        let err = codec.decode(&huge).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::LimitExceeded | ErrorKind::CorruptData), "{err:?}");
        assert!(codec.decoded_size(&huge).is_err());
    }
}
