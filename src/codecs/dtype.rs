//! NumPy dtypes as typestrs (`"<f4"`, `"|u1"`, `">i8"`, `"<M8[ns]"`) and the array description that
//! travels with a chunk on encode (dtype + shape), as numcodecs sees it after `ensure_contiguous_ndarray`.

use super::error::{Error, Result};

/// Byte order of a dtype, as the first character of a NumPy typestr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    Little,
    Big,
    /// `|`: byte order does not apply (1-byte types, bytes, void, object).
    NotApplicable,
}

/// A NumPy dtype described by its typestr. Only the parts codecs need: kind, itemsize, byte order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DType {
    kind: char,
    itemsize: usize,
    byte_order: ByteOrder,
    /// Datetime/timedelta unit, e.g. `ns` in `<M8[ns]`.
    unit: Option<String>,
}

const KINDS: &str = "biufcmMOSUV";

impl DType {
    /// `|u1`, what numcodecs sees for a plain bytes buffer.
    pub fn bytes() -> Self {
        DType { kind: 'u', itemsize: 1, byte_order: ByteOrder::NotApplicable, unit: None }
    }

    /// Parses a NumPy typestr (`"<f4"`, `"|b1"`, `">i8"`, `"f8"` meaning native order, `"<U5"`, `"|S10"`,
    /// `"<M8[ns]"`) or a NumPy type name (`"float32"`, `"uint8"`, `"bool"`, ...).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || Error::invalid_argument(format!("invalid dtype {text:?}: expected a NumPy typestr such as \"<f4\", \"|u1\" or \">i8\""));
        if let Some(typestr) = named_dtype(text) {
            return Self::parse(typestr);
        }
        let mut chars = text.chars();
        let first = chars.next().ok_or_else(bad)?;
        let (order_char, rest) = if "<>|=".contains(first) { (Some(first), chars.as_str()) } else { (None, text) };
        let mut rest_chars = rest.chars();
        let kind = rest_chars.next().filter(|c| KINDS.contains(*c)).ok_or_else(bad)?;
        let rest = rest_chars.as_str();
        let (digits, unit) = match rest.find('[') {
            Some(pos) => {
                let unit = rest[pos + 1..].strip_suffix(']').ok_or_else(bad)?;
                if !(kind == 'M' || kind == 'm') || unit.is_empty() || !unit.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(bad());
                }
                (&rest[..pos], Some(unit.to_string()))
            }
            None => (rest, None),
        };
        // NumPy writes the object dtype as "|O" (no size); its items are pointers.
        let digits = if kind == 'O' && digits.is_empty() { "8" } else { digits };
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 9 {
            return Err(bad());
        }
        let count: usize = digits.parse().map_err(|_| bad())?;
        // For 'U' the number counts UCS-4 characters, not bytes.
        let itemsize = if kind == 'U' { count.checked_mul(4).ok_or_else(bad)? } else { count };
        let valid_size = match kind {
            'b' => itemsize == 1,
            'i' | 'u' => matches!(itemsize, 1 | 2 | 4 | 8),
            'f' => matches!(itemsize, 2 | 4 | 8 | 16),
            'c' => matches!(itemsize, 8 | 16 | 32),
            'm' | 'M' => itemsize == 8,
            'O' => itemsize == 8,
            _ => true, // S, U, V: any size, including 0 like NumPy
        };
        if !valid_size {
            return Err(bad());
        }
        let byte_order = match order_char {
            _ if itemsize <= 1 || matches!(kind, 'S' | 'V' | 'O' | 'b') => ByteOrder::NotApplicable,
            Some('<') => ByteOrder::Little,
            Some('>') => ByteOrder::Big,
            Some('|') => ByteOrder::NotApplicable,
            _ => native_order(),
        };
        Ok(DType { kind, itemsize, byte_order, unit })
    }

    /// NumPy's kind character: `b i u f c m M O S U V`.
    pub fn kind(&self) -> char {
        self.kind
    }
    /// Bytes per element (NumPy's `itemsize`).
    pub fn itemsize(&self) -> usize {
        self.itemsize
    }
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }
    /// The canonical NumPy typestr (`dtype.str`), e.g. `"<f4"`, `"|u1"`, `"<U5"`.
    pub fn typestr(&self) -> String {
        let order = match self.byte_order {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
            ByteOrder::NotApplicable => '|',
        };
        if self.kind == 'O' {
            return "|O".into();
        }
        let count = if self.kind == 'U' { self.itemsize / 4 } else { self.itemsize };
        match &self.unit {
            Some(unit) => format!("{order}{}{count}[{unit}]", self.kind),
            None => format!("{order}{}{count}", self.kind),
        }
    }
    /// Object arrays hold Python object pointers; byte codecs cannot encode them.
    pub fn is_object(&self) -> bool {
        self.kind == 'O'
    }
}

impl Default for DType {
    fn default() -> Self {
        Self::bytes()
    }
}

fn native_order() -> ByteOrder {
    if cfg!(target_endian = "little") {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    }
}

fn named_dtype(name: &str) -> Option<&'static str> {
    Some(match name {
        "bool" => "|b1",
        "int8" => "|i1",
        "uint8" => "|u1",
        "int16" => "=i2",
        "uint16" => "=u2",
        "int32" => "=i4",
        "uint32" => "=u4",
        "int64" => "=i8",
        "uint64" => "=u8",
        "float16" => "=f2",
        "float32" => "=f4",
        "float64" => "=f8",
        "complex64" => "=c8",
        "complex128" => "=c16",
        _ => return None,
    })
}

/// The array a chunk holds: dtype and C-order shape. `shape == None` means 1-D over the whole buffer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArrayInfo {
    pub dtype: DType,
    pub shape: Option<Vec<usize>>,
}

impl ArrayInfo {
    pub fn new(dtype: DType, shape: Option<Vec<usize>>) -> Self {
        ArrayInfo { dtype, shape }
    }

    /// The element count of `src_len` bytes of this array viewed as `target` (a filter's `dtype`), checked
    /// the way numpy's `.view(target)` checks it: whole elements, and (when the itemsize changes) a last
    /// axis whose bytes divide into elements. Errors name `codec_id`.
    pub fn view_count(&self, codec_id: &str, src_len: usize, target: &DType) -> Result<usize> {
        let size = target.itemsize();
        let view_error = |why: String| Error::invalid_argument(format!("{codec_id}: cannot view the input as {}: {why}", target.typestr()));
        if size == 0 {
            return Err(view_error("numpy cannot view an array as a zero-sized dtype".into()));
        }
        if src_len % size != 0 {
            return Err(view_error(format!("{src_len} bytes is not a whole number of {size}-byte elements")));
        }
        if self.dtype.itemsize() != size && !self.dtype.is_object() {
            if let Some(shape) = &self.shape {
                self.check_len(src_len)?;
                match shape.last() {
                    None => return Err(view_error("numpy cannot change the itemsize of a 0-d array".into())),
                    // check_len passed, but with a 0 extent elsewhere the last one can be anything.
                    Some(&last) if last.checked_mul(self.dtype.itemsize()).map_or(true, |bytes| bytes % size != 0) => {
                        return Err(view_error(format!("the last axis ({last} x {} bytes) does not divide into {size}-byte elements", self.dtype.itemsize())))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(src_len / size)
    }

    /// Checks that a buffer of `len` bytes holds exactly this array, and returns the element count.
    pub fn check_len(&self, len: usize) -> Result<usize> {
        if self.dtype.is_object() {
            return Err(Error::invalid_argument("object arrays (dtype \"|O\") cannot be encoded as raw bytes"));
        }
        let itemsize = self.dtype.itemsize();
        match &self.shape {
            None => {
                if itemsize == 0 {
                    return if len == 0 { Ok(0) } else { Err(Error::invalid_argument("zero-sized dtype with a non-empty buffer")) };
                }
                if len % itemsize != 0 {
                    return Err(Error::invalid_argument(format!(
                        "buffer of {len} bytes is not a whole number of {} items ({itemsize} bytes each)",
                        self.dtype.typestr()
                    )));
                }
                Ok(len / itemsize)
            }
            Some(shape) => {
                let count = shape
                    .iter()
                    .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                    .ok_or_else(|| Error::invalid_argument("shape product overflows"))?;
                let bytes = count.checked_mul(itemsize).ok_or_else(|| Error::invalid_argument("array size overflows"))?;
                if bytes != len {
                    return Err(Error::invalid_argument(format!(
                        "shape {shape:?} of {} needs {bytes} bytes but the buffer has {len}",
                        self.dtype.typestr()
                    )));
                }
                Ok(count)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typestrs_and_names() {
        assert_eq!(DType::parse("<f4").unwrap().typestr(), "<f4");
        assert_eq!(DType::parse(">i8").unwrap().byte_order(), ByteOrder::Big);
        assert_eq!(DType::parse("<u1").unwrap().typestr(), "|u1");
        assert_eq!(DType::parse("|b1").unwrap().kind(), 'b');
        assert_eq!(DType::parse("<U5").unwrap().itemsize(), 20);
        assert_eq!(DType::parse("<U5").unwrap().typestr(), "<U5");
        assert_eq!(DType::parse("|S10").unwrap().itemsize(), 10);
        assert_eq!(DType::parse("<M8[ns]").unwrap().typestr(), "<M8[ns]");
        assert_eq!(DType::parse("float64").unwrap().itemsize(), 8);
        assert_eq!(DType::parse("bool").unwrap().typestr(), "|b1");
        assert!(DType::parse("|O").unwrap().is_object());
        assert_eq!(DType::parse("|O").unwrap().typestr(), "|O");
        for bad in ["", "<", "<x4", "<i3", "<f", "f4x", "<M8[ns", "<i4[s]", "<S99999999999"] {
            assert!(DType::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn check_len_validates_shape() {
        let info = ArrayInfo::new(DType::parse("<f4").unwrap(), Some(vec![2, 3]));
        assert_eq!(info.check_len(24).unwrap(), 6);
        assert!(info.check_len(20).is_err());
        let flat = ArrayInfo::new(DType::parse("<i2").unwrap(), None);
        assert_eq!(flat.check_len(10).unwrap(), 5);
        assert!(flat.check_len(9).is_err());
        let huge = ArrayInfo::new(DType::parse("<f8").unwrap(), Some(vec![usize::MAX, 2]));
        assert!(huge.check_len(0).is_err());
    }
}
