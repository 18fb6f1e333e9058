//! numcodecs 0.16.6's numeric filters: `delta` (delta.py), `fixedscaleoffset` (fixedscaleoffset.py),
//! `quantize` (quantize.py) and `astype` (astype.py).
//!
//! Each views its input as one numeric dtype (`dtype`, or AsType's `decode_dtype`) and writes another
//! (`astype`, or `encode_dtype`); both may be any of bool, (u)int8..64, float16/32/64 in either byte order.
//! The output is numpy's, bit for bit, including numpy's quirks (see elements.rs for casts and float16):
//!
//! | id | encode | decode |
//! | --- | --- | --- |
//! | `delta` | `enc[0] = arr[0]; enc[1:] = np.diff(arr)` (wrapping for integers, `!=` for bool) | `np.cumsum(enc, out=dec)`: numpy accumulates in the promoted type of `astype` and `dtype` |
//! | `fixedscaleoffset` | `np.around((arr - offset) * scale).astype(astype)`, with NEP 50 weak Python scalars: an integer array stays integer for int offset/scale, a float offset/scale makes it float64 | `((enc / scale) + offset).astype(dtype)` (float64 for integer `astype`) |
//! | `quantize` | `np.around(2**bits * arr) / 2**bits` in `dtype`, `bits` from `digits` as numcodecs computes it; then `.astype(astype)` | `enc.astype(dtype)` |
//! | `astype` | `arr.astype(encode_dtype)` | `enc.astype(decode_dtype)` |
//!
//! What numcodecs refuses we refuse: the object dtype, non-float `quantize` dtypes (construction), and at
//! encode time what numpy raises on: a Python int offset or scale out of the integer array's range
//! (OverflowError; refused at construction here), a NaN or out-of-range float first element that
//! `delta` assigns into a signed integer `astype` (ValueError / OverflowError; refused when encoding),
//! `digits` whose scale overflows Python's float. numcodecs cannot encode an empty chunk with `delta`
//! (`arr[0]` raises IndexError); we encode it to nothing.
//!
//! Not supported (numcodecs accepts them): complex, datetime/timedelta, string and void dtypes and
//! float128; they are refused with [`ErrorKind::Unsupported`](super::ErrorKind::Unsupported).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::elements::{cast, f32_step_fast, F32Step, swap_copy, swap_in_place, to_little_endian, vector_lanes, with_element, with_float_element, Element, Kind, Wide};
use super::{check_decoded_size, config_map, python_json, ArrayInfo, ByteOrder, Codec, Constructor, DType, Error, Params, Result};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[
    ("delta", NumericFilter::delta),
    ("fixedscaleoffset", NumericFilter::fixed_scale_offset),
    ("quantize", NumericFilter::quantize),
    ("astype", NumericFilter::astype),
];

/// One numeric dtype: element kind, byte order and the numpy dtype it came from.
#[derive(Debug, Clone, PartialEq)]
struct NumType {
    kind: Kind,
    big_endian: bool,
    dtype: DType,
}

impl NumType {
    fn size(&self) -> usize {
        self.kind.size()
    }
}

/// A Python number from the configuration, as numpy's NEP 50 sees it next to an array.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PyScalar {
    /// A Python int (or bool, which numcodecs passes on as an int-like).
    Int(i128),
    Float(f64),
}

impl PyScalar {
    fn to_f64(self) -> f64 {
        match self {
            PyScalar::Int(v) => v as f64,
            PyScalar::Float(x) => x,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Delta,
    FixedScaleOffset { offset: PyScalar, scale: PyScalar },
    /// `scale` is numcodecs' `2.0**bits`.
    Quantize { scale: f64 },
    AsType,
}

/// One of the four numeric filters.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericFilter {
    id: &'static str,
    op: Op,
    /// The array type on the decoded side (`dtype`, AsType's `decode_dtype`).
    decoded: NumType,
    /// The array type on the encoded side (`astype`, AsType's `encode_dtype`).
    encoded: NumType,
    config: Map<String, Value>,
}

// ---- configuration ---------------------------------------------------------------------------------

/// numpy's one-character and named spellings that `DType::parse` does not know.
fn numpy_alias(text: &str) -> Option<&'static str> {
    Some(match text {
        "?" | "bool_" => "|b1",
        "b" | "byte" => "|i1",
        "B" | "ubyte" => "|u1",
        "h" | "short" => "=i2",
        "H" | "ushort" => "=u2",
        "i" | "intc" => "=i4",
        "I" | "uintc" => "=u4",
        "l" | "q" | "int" | "long" | "longlong" | "intp" => "=i8",
        "L" | "Q" | "uint" | "ulong" | "ulonglong" | "uintp" => "=u8",
        "e" | "half" => "=f2",
        "f" | "single" => "=f4",
        "d" | "float" | "double" => "=f8",
        _ => return None,
    })
}

/// `np.dtype(value)` for a dtype option: a typestr or name, or `null` (numpy's float64 default).
fn take_dtype(params: &mut Params, key: &str, required: bool) -> Result<Option<NumType>> {
    let id = params.id().to_string();
    let value = match params.take_raw(key) {
        None if required => return Err(Error::invalid_config(format!("{id}: missing required option {key:?}"))),
        None => return Ok(None),
        Some(value) => value,
    };
    let text = match &value {
        Value::Null => "<f8",
        Value::String(s) => s.as_str(),
        _ => return Err(Error::invalid_config(format!("{id}: {key} must be a dtype string such as \"<f4\", got {value}"))),
    };
    let dtype = DType::parse(numpy_alias(text).unwrap_or(text))
        .map_err(|_| Error::invalid_config(format!("{id}: {key} {text:?} is not a numpy dtype")))?;
    if dtype.is_object() {
        return Err(Error::invalid_config(format!("{id}: object arrays are not supported")));
    }
    let kind = Kind::from_numpy(dtype.kind(), dtype.itemsize())
        .ok_or_else(|| Error::unsupported(format!("{id}: {key} {} is not supported (only bool, integer and float16/32/64 dtypes)", dtype.typestr())))?;
    // numpy prints '|f4' back as '<f4': byte order applies to every multi-byte number.
    let big_endian = dtype.byte_order() == ByteOrder::Big;
    let order = match (kind.size(), big_endian) {
        (1, _) => '|',
        (_, true) => '>',
        (_, false) => '<',
    };
    let canonical = DType::parse(&format!("{order}{}{}", dtype.kind(), dtype.itemsize()))?;
    Ok(Some(NumType { kind, big_endian, dtype: canonical }))
}

/// A number option that numcodecs keeps as given (a Python int, float or bool); `null` or text make
/// numpy raise TypeError at encode time, so they are refused here.
fn take_number(params: &mut Params, key: &str) -> Result<(PyScalar, Value)> {
    let id = params.id().to_string();
    let value = params.take_raw(key).ok_or_else(|| Error::invalid_config(format!("{id}: missing required option {key:?}")))?;
    let scalar = match &value {
        Value::Bool(b) => PyScalar::Int(*b as i128),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => PyScalar::Int(i as i128),
            (None, Some(u), _) => PyScalar::Int(u as i128),
            (None, None, Some(x)) => PyScalar::Float(x),
            _ => return Err(params.wrong_type(key, "a number")),
        },
        _ => return Err(params.wrong_type(key, "a number")),
    };
    Ok((scalar, value))
}

impl NumericFilter {
    fn delta(mut params: Params) -> Result<Box<dyn Codec>> {
        let decoded = take_dtype(&mut params, "dtype", true)?.expect("required");
        let encoded = take_dtype(&mut params, "astype", false)?.unwrap_or_else(|| decoded.clone());
        params.finish()?;
        let config = config_map("delta", [("dtype", decoded.dtype.typestr().into()), ("astype", encoded.dtype.typestr().into())]);
        Ok(Box::new(NumericFilter { id: "delta", op: Op::Delta, decoded, encoded, config }))
    }

    fn fixed_scale_offset(mut params: Params) -> Result<Box<dyn Codec>> {
        let (offset, offset_json) = take_number(&mut params, "offset")?;
        let (scale, scale_json) = take_number(&mut params, "scale")?;
        let decoded = take_dtype(&mut params, "dtype", true)?.expect("required");
        let encoded = take_dtype(&mut params, "astype", false)?.unwrap_or_else(|| decoded.clone());
        params.finish()?;
        check_integer_operands(&decoded, offset, &offset_json, scale, &scale_json)?;
        let config = config_map(
            "fixedscaleoffset",
            [
                ("scale", scale_json),
                ("offset", offset_json),
                ("dtype", decoded.dtype.typestr().into()),
                ("astype", encoded.dtype.typestr().into()),
            ],
        );
        Ok(Box::new(NumericFilter { id: "fixedscaleoffset", op: Op::FixedScaleOffset { offset, scale }, decoded, encoded, config }))
    }

    fn quantize(mut params: Params) -> Result<Box<dyn Codec>> {
        let (digits, digits_json) = take_number(&mut params, "digits")?;
        let decoded = take_dtype(&mut params, "dtype", true)?.expect("required");
        let encoded = take_dtype(&mut params, "astype", false)?.unwrap_or_else(|| decoded.clone());
        params.finish()?;
        if !decoded.kind.is_float() || !encoded.kind.is_float() {
            return Err(Error::invalid_config("quantize: only floating point data types are supported"));
        }
        let scale = quantize_scale(digits.to_f64())?;
        let config = config_map(
            "quantize",
            [("digits", digits_json), ("dtype", decoded.dtype.typestr().into()), ("astype", encoded.dtype.typestr().into())],
        );
        Ok(Box::new(NumericFilter { id: "quantize", op: Op::Quantize { scale }, decoded, encoded, config }))
    }

    fn astype(mut params: Params) -> Result<Box<dyn Codec>> {
        // AsType(encode_dtype, decode_dtype): both required, None means float64 as for np.dtype(None).
        let encoded = take_dtype(&mut params, "encode_dtype", true)?.expect("required");
        let decoded = take_dtype(&mut params, "decode_dtype", true)?.expect("required");
        params.finish()?;
        let config = config_map("astype", [("encode_dtype", encoded.dtype.typestr().into()), ("decode_dtype", decoded.dtype.typestr().into())]);
        Ok(Box::new(NumericFilter { id: "astype", op: Op::AsType, decoded, encoded, config }))
    }
}

/// numpy refuses (OverflowError: Python integer out of bounds) a Python int operand that does not fit the
/// integer array it meets: `arr - offset` with an integer `dtype`, then `* scale` if that is still integer.
/// A bool array minus an int is int64; a bool minus a bool raises TypeError.
fn check_integer_operands(dtype: &NumType, offset: PyScalar, offset_json: &Value, scale: PyScalar, scale_json: &Value) -> Result<()> {
    if dtype.kind.is_float() {
        return Ok(());
    }
    let PyScalar::Int(offset_value) = offset else {
        return Ok(());
    };
    if dtype.kind == Kind::Bool && offset_json.is_boolean() {
        return Err(Error::invalid_config("fixedscaleoffset: numpy cannot subtract a boolean offset from a bool array"));
    }
    let arithmetic = if dtype.kind == Kind::Bool { Kind::I64 } else { dtype.kind };
    let (min, max) = arithmetic.int_range().expect("an integer kind");
    let fits = |v: i128| (min..=max).contains(&v);
    if !fits(offset_value) {
        return Err(Error::invalid_config(format!("fixedscaleoffset: offset {offset_json} is out of bounds for {}", dtype.dtype.typestr())));
    }
    if let PyScalar::Int(scale_value) = scale {
        if !fits(scale_value) {
            return Err(Error::invalid_config(format!("fixedscaleoffset: scale {scale_json} is out of bounds for {}", dtype.dtype.typestr())));
        }
    }
    Ok(())
}

/// numcodecs' Quantize.encode: `precision = 10.0**-digits`, `exp = floor/ceil(log10(precision))`,
/// `bits = ceil(log2(10.0**-exp))`, `scale = 2.0**bits`, refusing where Python raises.
fn quantize_scale(digits: f64) -> Result<f64> {
    let refuse = |why: &str| Error::invalid_config(format!("quantize: digits {digits} cannot be used ({why})"));
    let precision = python_pow(10.0, -digits).ok_or_else(|| refuse("10.0 ** -digits overflows"))?;
    if precision <= 0.0 {
        return Err(refuse("math domain error: log10 of 0"));
    }
    let exp = precision.log10();
    let exp = if exp < 0.0 { exp.floor() } else { exp.ceil() };
    let bits = python_pow(10.0, -exp).ok_or_else(|| refuse("10.0 ** -exp overflows"))?.log2().ceil();
    python_pow(2.0, bits).ok_or_else(|| refuse("2.0 ** bits overflows"))
}

/// Python's `float ** float` for finite operands: C `pow`, OverflowError when a finite base gives inf.
fn python_pow(base: f64, exponent: f64) -> Option<f64> {
    let result = base.powf(exponent);
    result.is_finite().then_some(result)
}

// ---- the codec ---------------------------------------------------------------------------------------

impl NumericFilter {
    /// The element count of an encode input (see [`ArrayInfo::view_count`]).
    fn encode_count(&self, src_len: usize, info: &ArrayInfo) -> Result<usize> {
        info.view_count(self.id, src_len, &self.decoded.dtype)
    }

    /// The element count of an encoded chunk; a stream that is not whole elements is corrupt (the
    /// caller's arguments are fine: the bytes are wrong).
    fn decode_count(&self, src_len: usize) -> Result<usize> {
        let size = self.encoded.size();
        if src_len % size != 0 {
            return Err(Error::corrupt(format!(
                "{}: {src_len} bytes is not a whole number of {} elements ({size} bytes each)",
                self.id,
                self.encoded.dtype.typestr()
            )));
        }
        Ok(src_len / size)
    }

    /// Runs `kernel` from `src` (elements of `from`) into the front of `dst` (elements of `to`), handling
    /// byte order around it; returns the output length.
    fn run(&self, src: &[u8], count: usize, from: &NumType, to: &NumType, dst: &mut [u8], kernel: impl FnOnce(&[u8], &mut [u8]) -> Result<()>) -> Result<usize> {
        let out_len = count * to.size();
        let capacity = dst.len();
        let out = dst.get_mut(..out_len).ok_or_else(|| Error::buffer_too_small(out_len, capacity))?;
        if from.kind == to.kind && self.is_plain_cast(from) {
            // Same element type: a copy, byte-swapped when the byte orders differ (one pass).
            if from.big_endian != to.big_endian {
                swap_copy(src, out, to.size());
            } else {
                out.copy_from_slice(src);
            }
            return Ok(out_len);
        }
        let src: Cow<[u8]> = to_little_endian(src, from.size(), from.big_endian);
        kernel(&src, out)?;
        if to.big_endian {
            swap_in_place(out, to.size());
        }
        Ok(out_len)
    }

    /// Whether the step from `from` is numpy's `astype` alone: AsType both ways, Quantize's decode.
    fn is_plain_cast(&self, from: &NumType) -> bool {
        match self.op {
            Op::AsType => true,
            Op::Quantize { .. } => std::ptr::eq(from, &self.encoded),
            Op::Delta | Op::FixedScaleOffset { .. } => false,
        }
    }

    fn encode_kernel(&self, src: &[u8], dst: &mut [u8]) -> Result<()> {
        let (d, a) = (self.decoded.kind, self.encoded.kind);
        match &self.op {
            Op::AsType => with_element!(d, D => with_element!(a, A => cast::<D, A>(src, dst))),
            Op::Quantize { scale } => with_float_element!(d, D => with_float_element!(a, A => quantize_encode::<D, A>(src, dst, *scale))),
            Op::Delta => with_element!(d, D => with_element!(a, A => delta_encode::<D, A>(src, dst)))?,
            Op::FixedScaleOffset { offset, scale } => {
                with_element!(d, D => with_element!(a, A => fso_encode::<D, A>(src, dst, *offset, *scale)))
            }
        }
        Ok(())
    }

    fn decode_kernel(&self, src: &[u8], dst: &mut [u8]) {
        let (d, a) = (self.decoded.kind, self.encoded.kind);
        match &self.op {
            Op::AsType => with_element!(a, A => with_element!(d, D => cast::<A, D>(src, dst))),
            Op::Quantize { .. } => with_float_element!(a, A => with_float_element!(d, D => cast::<A, D>(src, dst))),
            Op::Delta => with_element!(a, A => with_element!(d, D => delta_decode::<A, D>(src, dst))),
            Op::FixedScaleOffset { offset, scale } => {
                with_element!(a, A => with_element!(d, D => fso_decode::<A, D>(src, dst, *offset, *scale)))
            }
        }
    }
}

impl Codec for NumericFilter {
    fn codec_id(&self) -> &str {
        self.id
    }

    fn config(&self) -> Map<String, Value> {
        self.config.clone()
    }

    fn config_json(&self) -> String {
        python_json(&self.config)
    }

    fn encode_bound(&self, src_len: usize, info: &ArrayInfo) -> Result<usize> {
        let count = self.encode_count(src_len, info)?;
        count.checked_mul(self.encoded.size()).ok_or_else(|| Error::limit(format!("{}: encoded size overflows", self.id)))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.encode_bound(src.len(), info)?];
        self.encode_into(src, info, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let count = self.encode_count(src.len(), info)?;
        self.encode_bound(src.len(), info)?;
        self.run(src, count, &self.decoded, &self.encoded, dst, |src, out| self.encode_kernel(src, out))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        let count = self.decode_count(src.len())?;
        let size = (count as u64).checked_mul(self.decoded.size() as u64).unwrap_or(u64::MAX);
        check_decoded_size(self.id, size)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.decoded_size(src)?];
        self.decode_into(src, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        self.decoded_size(src)?;
        let count = self.decode_count(src.len())?;
        self.run(src, count, &self.encoded, &self.decoded, dst, |src, out| {
            self.decode_kernel(src, out);
            Ok(())
        })
    }

    /// numcodecs returns a flat array of `astype` from delta and fixedscaleoffset (they reshape to 1-D),
    /// and keeps the input's shape in quantize and astype.
    fn encoded_info(&self, src_len: usize, info: &ArrayInfo) -> Result<ArrayInfo> {
        let count = self.encode_count(src_len, info)?;
        let shape = match self.op {
            Op::Delta | Op::FixedScaleOffset { .. } => Some(vec![count]),
            Op::Quantize { .. } | Op::AsType => {
                // The view to `dtype` rescales the last axis when the itemsize changes.
                match &info.shape {
                    Some(shape) if !shape.is_empty() => {
                        let mut shape = shape.clone();
                        let last = shape.len() - 1;
                        shape[last] = shape[last].checked_mul(info.dtype.itemsize()).map_or(0, |bytes| bytes / self.decoded.size());
                        Some(shape)
                    }
                    _ => Some(vec![count]),
                }
            }
        };
        Ok(ArrayInfo::new(self.encoded.dtype.clone(), shape))
    }

    fn decoded_info(&self, _src: &[u8]) -> Result<Option<ArrayInfo>> {
        Ok(Some(ArrayInfo::new(self.decoded.dtype.clone(), None)))
    }
}

// ---- kernels (little-endian bytes in and out; `dst` holds exactly the output) -------------------------

/// `enc[0] = arr[0]`: numpy assigns a numpy scalar. Floats into signed integers go through Python's
/// int() and are range-checked (ValueError for NaN, OverflowError when out of range); everything else is
/// the ordinary cast (a 1-element array: the scalar path).
fn assign_first<D: Element, A: Element>(value: D) -> Result<A> {
    let wide = value.to_wide();
    if D::KIND.is_float() && A::KIND.is_signed_int() {
        let x = wide.to_f64();
        let (min, max) = A::KIND.int_range().expect("an integer kind");
        let truncated = x.trunc();
        if x.is_nan() || !(truncated >= min as f64 && truncated <= max as f64) {
            return Err(Error::invalid_argument(format!(
                "delta: the first element {x} does not fit {:?} (numpy raises ValueError/OverflowError)",
                A::KIND
            )));
        }
        // Within range, int() then the store give exactly the truncation.
        return Ok(A::from_wide(Wide::Int(truncated as i64), false));
    }
    Ok(A::from_wide(wide, false))
}

fn delta_encode<D: Element, A: Element>(src: &[u8], dst: &mut [u8]) -> Result<()> {
    let count = src.len() / D::SIZE;
    if count == 0 {
        return Ok(());
    }
    let (first_out, rest_out) = dst.split_at_mut(A::SIZE);
    assign_first::<D, A>(D::load(&src[..D::SIZE]))?.store(first_out);
    // `enc[1:] = np.diff(arr)`: the cast runs over count - 1 differences, the first `split` vectorised.
    let diffs = count - 1;
    let split = vector_lanes(diffs);
    let (vec_out, tail_out) = rest_out.split_at_mut(split * A::SIZE);
    let diff = |i: usize| D::load(&src[(i + 1) * D::SIZE..(i + 2) * D::SIZE]).sub(D::load(&src[i * D::SIZE..(i + 1) * D::SIZE]));
    let (previous, current) = (&src[..diffs * D::SIZE], &src[D::SIZE..]);
    for ((p, c), o) in previous[..split * D::SIZE].chunks_exact(D::SIZE).zip(current.chunks_exact(D::SIZE)).zip(vec_out.chunks_exact_mut(A::SIZE)) {
        A::from_wide(D::load(c).sub(D::load(p)).to_wide(), true).store(o);
    }
    for (i, o) in (split..diffs).zip(tail_out.chunks_exact_mut(A::SIZE)) {
        A::from_wide(diff(i).to_wide(), false).store(o);
    }
    Ok(())
}

/// `np.cumsum(enc, out=dec)`: numpy's accumulate copies the first element, then runs in the promoted type
/// of `dec` and `enc` and casts each partial sum to `dec` (with the vectorised-cast rule over the whole
/// output). Integer sums wrap, so any integer accumulator at least as wide as the output gives the output
/// type's wrapping sum; bool sums are logical or.
///
/// Float sums stay one addition after the other on purpose: a SIMD prefix sum adds in another order,
/// and float addition is not associative, so it would round differently from numpy's sequential
/// accumulate. That chain of dependent adds (one add latency per element) bounds float decode at about
/// 6 GB/s for float32 on the benchmark machine (0.4 of memcpy, 3x numcodecs). Integer sums run at
/// about 0.8 of memcpy as they are (one-cycle adds).
fn delta_decode<I: Element, O: Element>(src: &[u8], dst: &mut [u8]) {
    let count = src.len() / I::SIZE;
    if count == 0 {
        return;
    }
    let split = vector_lanes(count);
    let acc_kind = Kind::promote(O::KIND, I::KIND);
    let both_integer = !O::KIND.is_float() && !I::KIND.is_float() && !acc_kind.is_float();
    let (first_in, rest_in) = src.split_at(I::SIZE);
    let (first_out, rest_out) = dst.split_at_mut(O::SIZE);
    let first = I::load(first_in);
    let steps = rest_in.chunks_exact(I::SIZE).zip(rest_out.chunks_exact_mut(O::SIZE)).enumerate().map(|(i, pair)| (i + 1 < split, pair));
    if acc_kind == O::KIND || (both_integer && O::KIND != Kind::Bool) {
        if I::KIND == O::KIND {
            first_out.copy_from_slice(first_in);
        } else {
            O::from_wide(first.to_wide(), split > 0).store(first_out);
        }
        let mut acc = O::load(first_out);
        for (_, (s, d)) in steps {
            acc = acc.add(O::from_wide(I::load(s).to_wide(), false));
            acc.store(d);
        }
    } else if acc_kind == I::KIND {
        let mut acc = first;
        O::from_wide(acc.to_wide(), split > 0).store(first_out);
        for (vector_lane, (s, d)) in steps {
            acc = acc.add(I::load(s));
            O::from_wide(acc.to_wide(), vector_lane).store(d);
        }
    } else if acc_kind == Kind::F32 {
        let mut acc = first.to_wide().to_f64() as f32;
        O::from_wide(Wide::Single(acc), split > 0).store(first_out);
        for (vector_lane, (s, d)) in steps {
            acc = acc.add(I::load(s).to_wide().to_f64() as f32);
            O::from_wide(Wide::Single(acc), vector_lane).store(d);
        }
    } else {
        let mut acc = first.to_wide().to_f64();
        O::from_wide(Wide::Double(acc), split > 0).store(first_out);
        for (vector_lane, (s, d)) in steps {
            acc = acc.add(I::load(s).to_wide().to_f64());
            O::from_wide(Wide::Double(acc), vector_lane).store(d);
        }
    }
}

/// `np.around((arr - offset) * scale).astype(astype)` with NEP 50 promotion: a float array computes in its
/// own type; an integer array stays integer (wrapping, in int64 for bool) for int operands and becomes
/// float64 at the first float operand.
fn fso_encode<D: Element, A: Element>(src: &[u8], dst: &mut [u8], offset: PyScalar, scale: PyScalar) {
    let split = vector_lanes(src.len() / D::SIZE);
    if D::KIND.is_float() {
        let offset = D::from_py_float(offset.to_f64());
        let scale = D::from_py_float(scale.to_f64());
        let compute = |x: D| x.sub(offset).mul(scale).rint().to_wide();
        if D::KIND == Kind::F32 {
            // The same computation in float32 by the SIMD kernels, where they handle `A`.
            let (offset, scale) = (offset.to_wide().to_f64() as f32, scale.to_wide().to_f64() as f32);
            f32_fast_or_loop::<D, A>(src, dst, split, F32Step::ShiftScaleRint { offset, scale }, compute);
        } else {
            fso_loop::<D, A>(src, dst, split, compute);
        }
        return;
    }
    // The integer array's value after `- offset` in the array's own integer type (int64 for bool).
    let wrap = |v: i64| -> i64 {
        if D::KIND == Kind::Bool {
            v
        } else {
            match D::from_wide(Wide::Int(v), false).to_wide() {
                Wide::Int(w) => w,
                Wide::UInt(w) => w as i64,
                _ => unreachable!("integer kinds widen to integers"),
            }
        }
    };
    let as_i64 = |x: D| match x.to_wide() {
        Wide::Int(v) => v,
        Wide::UInt(v) => v as i64,
        _ => unreachable!("integer kinds widen to integers"),
    };
    // The final integer value as numpy holds it: D (or int64 for bool).
    let int_result = |v: i64| -> Wide {
        if D::KIND == Kind::Bool {
            Wide::Int(v)
        } else {
            D::from_wide(Wide::Int(v), false).to_wide()
        }
    };
    match (offset, scale) {
        (PyScalar::Int(offset), PyScalar::Int(scale)) => {
            let (offset, scale) = (offset as i64, scale as i64);
            fso_loop::<D, A>(src, dst, split, |x: D| int_result(as_i64(x).wrapping_sub(offset).wrapping_mul(scale)));
        }
        (PyScalar::Int(offset), PyScalar::Float(scale)) => {
            let offset = offset as i64;
            fso_loop::<D, A>(src, dst, split, |x: D| {
                let shifted = wrap(as_i64(x).wrapping_sub(offset));
                let shifted = if D::KIND == Kind::U64 { shifted as u64 as f64 } else { shifted as f64 };
                Wide::Double((shifted * scale).round_ties_even())
            });
        }
        (PyScalar::Float(offset), scale) => {
            let scale = scale.to_f64();
            fso_loop::<D, A>(src, dst, split, |x: D| Wide::Double(((x.to_wide().to_f64() - offset) * scale).round_ties_even()));
        }
    }
}

/// The elementwise loop of [`fso_encode`]: `compute` gives numpy's rounded value, cast to `A` with the
/// vectorised-cast rule for the first `split` elements.
#[inline(always)]
fn fso_loop<D: Element, A: Element>(src: &[u8], dst: &mut [u8], split: usize, compute: impl Fn(D) -> Wide) {
    let (src_vec, src_tail) = src.split_at(split * D::SIZE);
    let (dst_vec, dst_tail) = dst.split_at_mut(split * A::SIZE);
    for (s, d) in src_vec.chunks_exact(D::SIZE).zip(dst_vec.chunks_exact_mut(A::SIZE)) {
        A::from_wide(compute(D::load(s)), true).store(d);
    }
    for (s, d) in src_tail.chunks_exact(D::SIZE).zip(dst_tail.chunks_exact_mut(A::SIZE)) {
        A::from_wide(compute(D::load(s)), false).store(d);
    }
}

/// `((enc / scale) + offset).astype(dtype)`: a float `astype` computes in its own type, an integer one
/// in float64 (numpy's true_divide of integers).
fn fso_decode<A: Element, D: Element>(src: &[u8], dst: &mut [u8], offset: PyScalar, scale: PyScalar) {
    let split = vector_lanes(src.len() / A::SIZE);
    if A::KIND.is_float() {
        let offset = A::from_py_float(offset.to_f64());
        let scale = A::from_py_float(scale.to_f64());
        match exact_reciprocal(scale) {
            Some(reciprocal) => fso_loop::<A, D>(src, dst, split, |x: A| x.mul(reciprocal).add(offset).to_wide()),
            None => fso_loop::<A, D>(src, dst, split, |x: A| x.div(scale).add(offset).to_wide()),
        }
    } else {
        let (offset, scale) = (offset.to_f64(), scale.to_f64());
        match exact_reciprocal(scale) {
            Some(reciprocal) => fso_loop::<A, D>(src, dst, split, |x: A| Wide::Double(x.to_wide().to_f64() * reciprocal + offset)),
            None => fso_loop::<A, D>(src, dst, split, |x: A| Wide::Double(x.to_wide().to_f64() / scale + offset)),
        }
    }
}

/// `1 / scale` in `T` when that is exact (`scale` a power of two whose reciprocal `T` holds): then
/// `x / scale` and `x * (1 / scale)` are the same real number rounded once, the same bits for every `x`
/// (NaN, infinities, zeros' signs, overflow and subnormal results included), and a multiply costs a
/// fraction of a division, which bounds fixedscaleoffset's decode otherwise.
fn exact_reciprocal<T: Element>(scale: T) -> Option<T> {
    let scale = scale.to_wide().to_f64();
    let power_of_two = scale.is_normal() && scale.to_bits() & 0x000f_ffff_ffff_ffff == 0;
    let reciprocal = 1.0 / scale;
    let in_t = T::from_py_float(reciprocal);
    (power_of_two && in_t.to_wide().to_f64() == reciprocal).then_some(in_t)
}

/// `np.around(scale * arr) / scale` in `dtype`, then `.astype(astype)`.
fn quantize_encode<D: Element, A: Element>(src: &[u8], dst: &mut [u8], scale: f64) {
    let scale = D::from_py_float(scale);
    let split = vector_lanes(src.len() / D::SIZE);
    let compute = |x: D| scale.mul(x).rint().div(scale).to_wide();
    if D::KIND == Kind::F32 {
        let step = F32Step::ScaleRintDivide { scale: scale.to_wide().to_f64() as f32 };
        f32_fast_or_loop::<D, A>(src, dst, split, step, compute);
    } else {
        fso_loop::<D, A>(src, dst, split, compute);
    }
}

/// [`fso_loop`] for a float32 array (`D` is `f32`): the SIMD kernels do `step` (the same computation as
/// `compute`) and the cast on the vectorised part where they handle `A`, the loop does the rest.
fn f32_fast_or_loop<D: Element, A: Element>(src: &[u8], dst: &mut [u8], split: usize, step: F32Step, compute: impl Fn(D) -> Wide) {
    debug_assert_eq!(D::KIND, Kind::F32);
    let (src_vec, src_tail) = src.split_at(split * D::SIZE);
    let (dst_vec, dst_tail) = dst.split_at_mut(split * A::SIZE);
    if f32_step_fast::<A>(src_vec, dst_vec, step) {
        fso_loop::<D, A>(src_tail, dst_tail, 0, compute);
    } else {
        fso_loop::<D, A>(src, dst, split, compute);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::codec_from_json;
    use crate::codecs::elements::F16;

    fn flat(dtype: &str) -> ArrayInfo {
        ArrayInfo::new(DType::parse(dtype).unwrap(), None)
    }

    #[test]
    fn configs_print_like_numcodecs() {
        let codec = codec_from_json(r#"{"id":"fixedscaleoffset","offset":1e-5,"scale":10,"dtype":"f8","astype":"u1"}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"fixedscaleoffset","scale":10,"offset":1e-05,"dtype":"<f8","astype":"|u1"}"#);
        let codec = codec_from_json(r#"{"id":"delta","dtype":"?"}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"delta","dtype":"|b1","astype":"|b1"}"#);
        let codec = codec_from_json(r#"{"id":"astype","encode_dtype":">f2","decode_dtype":null}"#).unwrap();
        assert_eq!(codec.config_json(), r#"{"id":"astype","encode_dtype":">f2","decode_dtype":"<f8"}"#);
        assert!(codec_from_json(r#"{"id":"quantize","digits":2,"dtype":"<i4"}"#).is_err());
        assert!(codec_from_json(r#"{"id":"delta","dtype":"|O"}"#).is_err());
        assert!(codec_from_json(r#"{"id":"delta"}"#).is_err());
        assert!(codec_from_json(r#"{"id":"fixedscaleoffset","offset":1000,"scale":1,"dtype":"u1"}"#).is_err());
    }

    #[test]
    fn multiplying_by_an_exact_reciprocal_divides_bit_for_bit() {
        fn check<T: Element>(scale: f64, exact: bool, values: &[f64]) {
            let scale_t = T::from_py_float(scale);
            let Some(reciprocal) = exact_reciprocal(scale_t) else {
                assert!(!exact, "{scale} in {:?} has an exact reciprocal", T::KIND);
                return;
            };
            assert!(exact, "{scale} in {:?} has no exact reciprocal", T::KIND);
            let bits = |x: T| {
                let mut bytes = [0u8; 8];
                x.store(&mut bytes[..T::SIZE]);
                bytes
            };
            for &v in values {
                let x = T::from_py_float(v);
                assert_eq!(bits(x.mul(reciprocal)), bits(x.div(scale_t)), "{v} / {scale} in {:?}", T::KIND);
            }
        }
        let mut rng = crate::simd::testing::Rng(7);
        let mut values = vec![0.0, -0.0, 1.0, -3.0, 65504.0, 1e-7, 5.9e-8, 1e300, 4.9e-324, f64::INFINITY, -f64::INFINITY, f64::NAN];
        values.extend((0..2000).map(|_| f64::from_bits(rng.next())));
        values.extend((0..2000).map(|_| rng.f32_value() as f64));
        for (scale, f16_exact, f32_exact, f64_exact) in [
            (2.0, true, true, true),
            (-0.25, true, true, true),
            (1024.0, true, true, true),
            (65536.0, false, true, true), // float16's 65536 is infinity
            (2f64.powi(-20), false, true, true), // float16 cannot hold 2^20
            (2f64.powi(127), false, true, true), // float32's 2^-127 is subnormal, still exact
            (2f64.powi(1023), false, false, true),
            (1000.0, false, false, false),
            (3.0, false, false, false),
            (0.0, false, false, false),
            (f64::INFINITY, false, false, false),
        ] {
            check::<F16>(scale, f16_exact, &values);
            check::<f32>(scale, f32_exact, &values);
            check::<f64>(scale, f64_exact, &values);
        }
    }

    #[test]
    fn delta_wraps_and_round_trips() {
        let codec = codec_from_json(r#"{"id":"delta","dtype":"<i2","astype":"<i1"}"#).unwrap();
        let data: Vec<u8> = [100i16, 102, 104, 50].iter().flat_map(|v| v.to_le_bytes()).collect();
        let encoded = codec.encode(&data, &flat("<i2")).unwrap();
        assert_eq!(encoded, [100u8, 2, 2, (-54i8) as u8]);
        assert_eq!(codec.decode(&encoded).unwrap(), data);
        assert_eq!(codec.encoded_info(8, &flat("<i2")).unwrap(), ArrayInfo::new(DType::parse("|i1").unwrap(), Some(vec![4])));
        assert_eq!(codec.decoded_info(&encoded).unwrap().unwrap().dtype.typestr(), "<i2");
        assert_eq!(codec.encode(&[], &flat("<i2")).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let codec = codec_from_json(r#"{"id":"astype","encode_dtype":"<f4","decode_dtype":"<f8"}"#).unwrap();
        let kind = |e: Error| e.kind();
        assert_eq!(codec.encode(&[0; 12], &flat("|u1")).map_err(kind).unwrap_err(), crate::codecs::ErrorKind::InvalidArgument);
        // A stream of partial elements is corrupt data, not a bad argument.
        assert_eq!(codec.decode(&[0; 6]).map_err(kind).unwrap_err(), crate::codecs::ErrorKind::CorruptData);
        assert_eq!(codec.decoded_size(&[0; 8]).unwrap(), 16);
        let mut small = [0u8; 15];
        assert_eq!(codec.decode_into(&[0; 8], &mut small).map_err(kind).unwrap_err(), crate::codecs::ErrorKind::BufferTooSmall);
        // numpy's view: a (3, 1) float32 array cannot be viewed as float64 (last axis of 4 bytes).
        let info = ArrayInfo::new(DType::parse("<f4").unwrap(), Some(vec![2, 1]));
        assert!(codec.encode(&[0; 8], &info).is_err());
        // An empty array whose last extent would overflow a byte count: refused, no panic.
        let info = ArrayInfo::new(DType::parse("<f4").unwrap(), Some(vec![0, usize::MAX]));
        assert!(codec.encode(&[], &info).is_err());
        let same_size = codec_from_json(r#"{"id":"astype","encode_dtype":"<f2","decode_dtype":"<f4"}"#).unwrap();
        assert_eq!(same_size.encode(&[], &info).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn quantize_scale_follows_numcodecs() {
        assert_eq!(quantize_scale(1.0).unwrap(), 16.0);
        assert_eq!(quantize_scale(2.0).unwrap(), 128.0);
        assert_eq!(quantize_scale(3.0).unwrap(), 1024.0);
        assert_eq!(quantize_scale(0.0).unwrap(), 1.0);
        assert!(quantize_scale(400.0).is_err());
        assert!(quantize_scale(-400.0).is_err());
    }
}
