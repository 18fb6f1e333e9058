//! Reading a codec's JSON configuration the way numcodecs' constructors read their keyword arguments:
//! every key is consumed by name, defaults are filled in, and a key the codec does not know is an error
//! (Python raises `TypeError: unexpected keyword argument`).

use serde_json::{Map, Value};

use super::error::{Error, Result};

/// The configuration of one codec, minus `"id"`, consumed key by key by its constructor.
#[derive(Debug, Clone)]
pub struct Params {
    id: String,
    zarr_v3: bool,
    map: Map<String, Value>,
}

impl Params {
    /// `map` must not contain the `id`/`name` key; `zarr_v3` tells the constructor the keys follow the
    /// Zarr v3 spelling of the codec (e.g. blosc's `"shuffle": "bitshuffle"`).
    pub fn new(id: impl Into<String>, map: Map<String, Value>, zarr_v3: bool) -> Self {
        Params { id: id.into(), zarr_v3, map }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// True when the configuration came in Zarr v3 form (`{"name": ..., "configuration": {...}}`).
    pub fn is_zarr_v3(&self) -> bool {
        self.zarr_v3
    }

    /// The value of `key`, without consuming it.
    pub fn peek(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// Removes and returns a value as given, `null` included.
    pub fn take_raw(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    /// Removes and returns a value whose Python default is `None`: `null` counts as absent.
    /// Only for options where numcodecs accepts `None` (e.g. lzma's `preset` and `filters`); the typed
    /// `take_*` methods refuse `null`, as numcodecs does when it later needs a number or string.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key).filter(|v| !v.is_null())
    }

    /// An integer option. Floats are refused: the pure-Python codecs (zlib, bz2, ...) hand them to
    /// CPython, which refuses them too. For the Cython codecs use [`Params::take_c_int`].
    pub fn take_i64(&mut self, key: &str) -> Result<Option<i64>> {
        match self.take_raw(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| self.wrong_type(key, "an integer")),
            // Python's bool is an int; numcodecs accepts True/False where an int is expected.
            Some(Value::Bool(b)) => Ok(Some(b as i64)),
            Some(_) => Err(self.wrong_type(key, "an integer")),
        }
    }

    /// An integer option that numcodecs' Cython codecs (zstd, lz4, blosc) convert to a C `int`: integers,
    /// and floats truncated toward zero as Cython does (`3.9` -> 3, `-1.7` -> -1), within the C `int`
    /// range. Returns the value and the JSON as given, which `get_config()` echoes unchanged (numcodecs
    /// keeps the attribute as passed, so `Blosc(clevel=5.0)` writes `"clevel":5.0`).
    pub fn take_c_int(&mut self, key: &str) -> Result<Option<(i32, Value)>> {
        let Some(value) = self.take_raw(key) else {
            return Ok(None);
        };
        let truncated = match &value {
            Value::Bool(b) => Some(*b as i64 as f64),
            Value::Number(n) => n.as_i64().map(|i| i as f64).or_else(|| n.as_f64().map(f64::trunc)),
            _ => None,
        };
        let Some(truncated) = truncated else {
            return Err(self.wrong_type(key, "a number"));
        };
        if !(i32::MIN as f64..=i32::MAX as f64).contains(&truncated) {
            return Err(Error::invalid_config(format!("{}: {key} {value} does not fit a C int", self.id)));
        }
        Ok(Some((truncated as i32, value)))
    }

    /// An integer option within `range`, or `default` when absent.
    pub fn int_in(&mut self, key: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64> {
        let value = self.take_i64(key)?.unwrap_or(default);
        if !range.contains(&value) {
            return Err(Error::invalid_config(format!(
                "{}: {key} must be between {} and {}, got {value}",
                self.id,
                range.start(),
                range.end()
            )));
        }
        Ok(value)
    }

    pub fn take_bool(&mut self, key: &str) -> Result<Option<bool>> {
        match self.take_raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::Number(n)) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ok(Some(n.as_i64() == Some(1))),
            Some(_) => Err(self.wrong_type(key, "a boolean")),
        }
    }

    pub fn take_string(&mut self, key: &str) -> Result<Option<String>> {
        match self.take_raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    /// [`Params::take_c_int`] with a default; a value whose JSON is not a plain integer (e.g. `5.0`) is
    /// recorded in `echo` so that `get_config()` can write it back as numcodecs does (see [`echo_given`]).
    pub fn c_int_or(&mut self, key: &str, default: i32, echo: &mut Map<String, Value>) -> Result<i32> {
        match self.take_c_int(key)? {
            None => Ok(default),
            Some((value, given)) => {
                if !(given.is_i64() || given.is_u64()) {
                    echo.insert(key.to_string(), given);
                }
                Ok(value)
            }
        }
    }

    /// Call last: any key left over is one this codec does not accept.
    pub fn finish(self) -> Result<()> {
        if let Some(key) = self.map.keys().next() {
            let mut known_hint = String::new();
            if self.map.len() > 1 {
                known_hint = format!(" (and {} more)", self.map.len() - 1);
            }
            return Err(Error::invalid_config(format!("{}: unknown configuration key {key:?}{known_hint}", self.id)));
        }
        Ok(())
    }

    pub fn wrong_type(&self, key: &str, expected: &str) -> Error {
        Error::invalid_config(format!("{}: {key} must be {expected}", self.id))
    }
}

/// Overwrites the options in `config` that were given in another JSON form (see [`Params::c_int_or`]);
/// keys keep their position.
pub fn echo_given(mut config: Map<String, Value>, echo: &Map<String, Value>) -> Map<String, Value> {
    for (key, value) in echo {
        if let Some(slot) = config.get_mut(key) {
            *slot = value.clone();
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(value: Value) -> Params {
        Params::new("test", value.as_object().unwrap().clone(), false)
    }

    #[test]
    fn c_int_truncates_floats_and_keeps_the_json() {
        let mut p = params(json!({"a": 3.9, "b": -1.7, "c": 5.0, "d": 7, "e": 1e12, "f": "x", "g": null, "h": true}));
        assert_eq!(p.take_c_int("a").unwrap(), Some((3, json!(3.9))));
        assert_eq!(p.take_c_int("b").unwrap(), Some((-1, json!(-1.7))));
        assert_eq!(p.take_c_int("c").unwrap(), Some((5, json!(5.0))));
        assert_eq!(p.take_c_int("d").unwrap(), Some((7, json!(7))));
        assert!(p.take_c_int("e").is_err());
        assert!(p.take_c_int("f").is_err());
        assert!(p.take_c_int("g").is_err(), "null is not a number");
        assert_eq!(p.take_c_int("h").unwrap(), Some((1, json!(true))));
        assert_eq!(p.take_c_int("missing").unwrap(), None);
        p.finish().unwrap();
    }

    #[test]
    fn typed_takes_refuse_null_but_take_treats_it_as_absent() {
        let mut p = params(json!({"level": null, "name": null, "flag": null, "preset": null, "x": 1.5}));
        assert!(p.take_i64("level").is_err());
        assert!(p.take_string("name").is_err());
        assert!(p.take_bool("flag").is_err());
        assert_eq!(p.take("preset"), None);
        assert!(p.take_i64("x").is_err(), "floats are refused by take_i64");
        p.finish().unwrap();
        let mut q = params(json!({"level": 1, "extra": 2}));
        assert_eq!(q.take_i64("level").unwrap(), Some(1));
        assert!(q.finish().unwrap_err().message().contains("extra"));
    }
}

/// A configuration as numcodecs prints it: `json.dumps(config, separators=(",", ":"))`. Floats follow
/// Python's `repr` (`1e-06`, `1e+16`, `0.0001`, `2.5`), which serde_json does not (`1e-6`, `1e16`), and
/// strings are ASCII with `\uXXXX` escapes (`ensure_ascii`, e.g. categorize's non-ASCII labels).
pub fn python_json(config: &Map<String, Value>) -> String {
    let mut out = String::new();
    write_python_json(&Value::Object(config.clone()), &mut out);
    out
}

fn write_python_json(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_python_string(key, out);
                out.push(':');
                write_python_json(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_python_json(item, out);
            }
            out.push(']');
        }
        Value::Number(n) if n.is_f64() => out.push_str(&python_float_repr(n.as_f64().unwrap_or_default())),
        Value::String(text) => write_python_string(text, out),
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string as Python's `json.dumps` writes it with `ensure_ascii=True`: everything outside
/// printable ASCII escaped, characters beyond the BMP as UTF-16 surrogate pairs.
fn write_python_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// Python's `repr(float)` as `json.dumps` prints it: the shortest round-trip digits, exact ties to even,
/// in fixed notation for decimal exponents -4..16 (with `.0` when integral), else `d.ddde±XX`; `NaN`,
/// `Infinity`, `-Infinity` for the non-finite. One implementation for configurations, json2 and pickle.
pub fn python_float_repr(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() { "NaN" } else if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let mut text = Vec::new();
    super::structured::write_python_float(&mut text, x);
    String::from_utf8(text).unwrap_or_default()
}

#[cfg(test)]
mod python_repr_tests {
    use super::python_float_repr;

    #[test]
    fn floats_print_as_python_repr() {
        for (x, repr) in [
            (1e-6, "1e-06"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.5, "0.5"),
            (8.0, "8.0"),
            (-2.0, "-2.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e300, "1.2345e+300"),
            (-3.25e-10, "-3.25e-10"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (123456789.125, "123456789.125"),
            (1234.5678, "1234.5678"),
            // Exact ties between two shortest digit strings go to even, as in Python (Rust's `{}` rounds
            // them up: 1500000000000000.2 is Python's repr, ...0.3 Rust's).
            (1500000000000000.25, "1500000000000000.2"),
            (1059438285926254.25, "1059438285926254.2"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(python_float_repr(x), repr, "{x}");
        }
    }

    #[test]
    fn strings_print_as_python_json_with_ensure_ascii() {
        let config = serde_json::json!({"k\u{e9}": ["a\"b\\", "\u{e9}t\u{e9}", "\u{1f600}", "\n\t\u{1}\u{7f}", "~ "]});
        let printed = super::python_json(config.as_object().unwrap());
        assert_eq!(printed, r#"{"k\u00e9":["a\"b\\","\u00e9t\u00e9","\ud83d\ude00","\n\t\u0001\u007f","~ "]}"#);
    }
}
