//! The codec registry: numcodecs' `codec_id` (or Zarr v3 name) -> constructor, and the entry point that
//! also builds codec chains ([`Pipeline`]).

use std::collections::BTreeMap;
use std::sync::{OnceLock, RwLock};

use serde_json::{Map, Value};

use super::error::{Error, ErrorKind, Result};
use super::pipeline::Pipeline;
use super::{Codec, Params};

/// Builds a codec from its configuration (without the `id` key). Each codec module lists its own.
pub type Constructor = fn(Params) -> Result<Box<dyn Codec>>;

fn registry() -> &'static RwLock<BTreeMap<String, Constructor>> {
    static REGISTRY: OnceLock<RwLock<BTreeMap<String, Constructor>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let builtins = [
            super::zlib::CODECS,
            super::gzip::CODECS,
            super::bz2::CODECS,
            super::lzma::CODECS,
            super::zstd::CODECS,
            super::lz4::CODECS,
            super::blosc::CODECS,
            super::checksum::CODECS,
            super::base64::CODECS,
            super::bitround::CODECS,
            super::packbits::CODECS,
            super::shuffle::CODECS,
            super::pcodec::CODECS,
            super::zfpy::CODECS,
            super::numeric::CODECS,
            super::vlen::CODECS,
            super::categorize::CODECS,
            super::pickle::CODECS,
            super::structured::CODECS,
        ];
        let map = builtins.iter().flat_map(|list| list.iter()).map(|&(id, ctor)| (id.to_string(), ctor)).collect();
        RwLock::new(map)
    })
}

/// Registers (or replaces, like numcodecs' `register_codec`) the constructor for `id`.
pub fn register_codec(id: &str, constructor: Constructor) {
    let mut map = registry().write().unwrap_or_else(|poisoned| poisoned.into_inner());
    map.insert(id.to_string(), constructor);
}

/// The ids of all registered codecs, sorted.
pub fn registered_codecs() -> Vec<String> {
    let map = registry().read().unwrap_or_else(|poisoned| poisoned.into_inner());
    map.keys().cloned().collect()
}

/// Builds a codec from a JSON configuration string; see [`codec_from_config`].
pub fn codec_from_json(json: &str) -> Result<Box<dyn Codec>> {
    let value: Value = serde_json::from_str(json).map_err(|e| Error::invalid_config(format!("configuration is not valid JSON: {e}")))?;
    codec_from_config(&value)
}

/// Builds a codec from its configuration: numcodecs' form `{"id": "zstd", "level": 3}` or Zarr v3's
/// `{"name": "zstd", "configuration": {"level": 3}}` (also `"numcodecs.zstd"`), or a chain of codecs
/// ([`Pipeline`]): a JSON array of such configurations, or a Zarr v2 object
/// `{"filters": [...] | null, "compressor": {...} | null}`.
pub fn codec_from_config(config: &Value) -> Result<Box<dyn Codec>> {
    match config {
        Value::Array(entries) => Ok(Box::new(Pipeline::from_list(entries)?)),
        Value::Object(object) if is_zarr_v2_chain(object) => Ok(Box::new(Pipeline::from_zarr_v2(object)?)),
        Value::Object(object) => codec_from_object(object),
        _ => Err(Error::invalid_config(
            "a codec configuration must be a JSON object with an \"id\" key, or a list of them (a codec chain)",
        )),
    }
}

/// A Zarr v2 `{"filters", "compressor"}` object: it names no codec itself.
fn is_zarr_v2_chain(object: &Map<String, Value>) -> bool {
    !object.contains_key("id") && !object.contains_key("name") && (object.contains_key("filters") || object.contains_key("compressor"))
}

/// Builds one codec (never a chain) from its numcodecs or Zarr v3 configuration object.
pub(super) fn codec_from_object(object: &Map<String, Value>) -> Result<Box<dyn Codec>> {
    let params = split_config(object)?;
    let constructor = {
        let map = registry().read().unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(params.id()).copied()
    };
    let constructor = constructor.ok_or_else(|| Error::new(ErrorKind::UnknownCodec, format!("unknown codec id {:?}", params.id())))?;
    constructor(params)
}

fn split_config(object: &Map<String, Value>) -> Result<Params> {
    if let Some(id) = object.get("id") {
        let id = id.as_str().ok_or_else(|| Error::invalid_config("\"id\" must be a string"))?;
        let mut rest = object.clone();
        rest.remove("id");
        return Ok(Params::new(id, rest, false));
    }
    if let Some(name) = object.get("name") {
        let name = name.as_str().ok_or_else(|| Error::invalid_config("\"name\" must be a string"))?;
        if let Some(key) = object.keys().find(|k| *k != "name" && *k != "configuration") {
            return Err(Error::invalid_config(format!("Zarr v3 codec {name:?}: unexpected key {key:?}")));
        }
        let configuration = match object.get("configuration") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(_) => return Err(Error::invalid_config(format!("Zarr v3 codec {name:?}: \"configuration\" must be an object"))),
        };
        let id = name.strip_prefix("numcodecs.").unwrap_or(name);
        return Ok(Params::new(id, configuration, true));
    }
    Err(Error::invalid_config(
        "a codec configuration needs an \"id\" (numcodecs) or \"name\" (Zarr v3) key; a codec chain is a list of them or a Zarr v2 {\"filters\", \"compressor\"} object",
    ))
}
