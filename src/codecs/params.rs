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

    /// Removes and returns a raw value; `null` counts as absent, as `None` does for a Python default.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key).filter(|v| !v.is_null())
    }

    /// An integer option. Whole floats (`3.0`) are refused: numcodecs' C codecs would raise on them too.
    pub fn take_i64(&mut self, key: &str) -> Result<Option<i64>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| self.wrong_type(key, "an integer")),
            // Python's bool is an int; numcodecs accepts True/False where an int is expected.
            Some(Value::Bool(b)) => Ok(Some(b as i64)),
            Some(_) => Err(self.wrong_type(key, "an integer")),
        }
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
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(Value::Number(n)) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ok(Some(n.as_i64() == Some(1))),
            Some(_) => Err(self.wrong_type(key, "a boolean")),
        }
    }

    pub fn take_string(&mut self, key: &str) -> Result<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong_type(key, "a string")),
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
