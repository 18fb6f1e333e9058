//! Codec chains: what a Zarr array applies to each chunk, as one [`Codec`].
//!
//! [`codec_from_config`](super::codec_from_config) builds a [`Pipeline`] from
//!
//! - a JSON array of codec configurations, each in numcodecs form (`{"id": "zstd", ...}`) or Zarr v3 form
//!   (`{"name": "numcodecs.zstd", "configuration": {...}}`), applied in array order on encode;
//! - a Zarr v2 object `{"filters": [...] | null, "compressor": {...} | null}`: the filters in order, then
//!   the compressor. Exactly these two keys are read (an absent key counts as `null`); anything else, a
//!   whole `.zarray` included, is refused, because the array's dtype and shape come with each chunk
//!   ([`ArrayInfo`]), not from the configuration. Entries must be numcodecs configurations (`"id"`), as
//!   in a `.zarray`.
//!
//! Encoding runs the steps in order and decoding in reverse, as zarr-python 2 does (`for f in filters:
//! chunk = f.encode(chunk)`, then `compressor.encode(chunk)`). numcodecs hands each codec the previous
//! codec's output array, so step `i` encodes with the [`ArrayInfo`] that step `i - 1`'s
//! [`Codec::encoded_info`] gives: after a `delta` with `astype` `<i2`, blosc shuffles 2-byte items; after
//! a checksum or compressor (bytes), 1-byte items. An empty chain stores the chunk's bytes unchanged, as
//! zarr does with no filters and no compressor.
//!
//! `config_json()` prints the form the pipeline was made from: an array of `get_config()` objects, each
//! entry given in Zarr v3 form printed as `{"name": "numcodecs.<id>", "configuration": {...}}` (what
//! zarr-python 3 writes into `zarr.json` for numcodecs codecs: the configuration without `"id"`; we print
//! numcodecs' default-filled `get_config()` there, and the `numcodecs.` name also for bare names such as
//! `"zstd"`, since the configuration is numcodecs'; keys given there that `get_config()` omits, such as
//! blosc's `typesize`, follow it, as zarr-python 3 keeps them), or the Zarr v2 object with `"filters"` as given
//! (`null` or a list, `[]` included) and the compressor's `get_config()` or `null`. The id of every
//! pipeline, one step or none included, is [`PIPELINE_ID`].
//!
//! The dtype flow is zarr-python 2's for every entry form. zarr-python 3 hands bytes-to-bytes codecs
//! (blosc among them) a flat byte buffer, so its `numcodecs.blosc` without a `typesize` shuffles bytes.
//!
//! Errors name the failing step, numbered from 1 in encode order: `pipeline step 2 (zstd): ...`.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::registry::codec_from_object;
use super::{check_decoded_size, copy_into, ArrayInfo, Codec, DType, DecodedItems, Error, ItemKind, Items, ObjectCodec, Result};

/// The `codec_id()` of every pipeline (no numcodecs codec has this id).
pub const PIPELINE_ID: &str = "pipeline";

/// How one step's configuration was written, so that `config_json()` writes it back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryForm {
    Numcodecs,
    ZarrV3,
}

#[derive(Debug)]
struct Step {
    codec: Box<dyn Codec>,
    form: EntryForm,
    /// Zarr v3 entries: given configuration keys that `get_config()` leaves out (blosc's `typesize`),
    /// printed after it, since zarr-python 3 keeps a numcodecs codec's configuration as given.
    kept_keys: Map<String, Value>,
}

/// The JSON form the pipeline was created from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    List,
    /// `filters_listed`: `"filters"` was a list (possibly empty) rather than `null`/absent;
    /// `has_compressor`: the last step is the compressor.
    ZarrV2 { filters_listed: bool, has_compressor: bool },
}

/// A chain of codecs applied in order on encode and in reverse on decode.
#[derive(Debug)]
pub struct Pipeline {
    steps: Vec<Step>,
    layout: Layout,
}

/// Prefixes an error with the step it comes from: `pipeline step 2 (zstd)`.
fn in_step(index: usize, codec: &dyn Codec) -> impl Fn(Error) -> Error + '_ {
    move |error| error.context(&format!("pipeline step {} ({})", index + 1, codec.codec_id()))
}

/// Prefixes a construction error with the step number (the codec may not exist yet).
fn at_step(index: usize) -> impl Fn(Error) -> Error {
    move |error| error.context(&format!("pipeline step {}", index + 1))
}

fn build_step(index: usize, entry: &Value, numcodecs_only: bool) -> Result<Step> {
    let Value::Object(object) = entry else {
        return Err(at_step(index)(Error::invalid_config(format!("a codec configuration must be a JSON object, got {entry}"))));
    };
    let form = if object.contains_key("id") { EntryForm::Numcodecs } else { EntryForm::ZarrV3 };
    if numcodecs_only && form == EntryForm::ZarrV3 {
        return Err(at_step(index)(Error::invalid_config(
            "a Zarr v2 filter or compressor must be a numcodecs configuration with an \"id\" key",
        )));
    }
    let codec = codec_from_object(object).map_err(at_step(index))?;
    let mut kept_keys = Map::new();
    if let (EntryForm::ZarrV3, Some(Value::Object(given))) = (form, object.get("configuration")) {
        let printed = codec.config();
        kept_keys = given.iter().filter(|(key, _)| !printed.contains_key(*key)).map(|(k, v)| (k.clone(), v.clone())).collect();
    }
    Ok(Step { codec, form, kept_keys })
}

impl Pipeline {
    /// A pipeline from a JSON array of codec configurations (numcodecs or Zarr v3 form each).
    pub fn from_list(entries: &[Value]) -> Result<Self> {
        let steps = entries.iter().enumerate().map(|(i, entry)| build_step(i, entry, false)).collect::<Result<_>>()?;
        Ok(Pipeline { steps, layout: Layout::List })
    }

    /// A pipeline from a Zarr v2 `{"filters": [...] | null, "compressor": {...} | null}` object.
    pub fn from_zarr_v2(object: &Map<String, Value>) -> Result<Self> {
        if let Some(key) = object.keys().find(|k| *k != "filters" && *k != "compressor") {
            return Err(Error::invalid_config(format!(
                "Zarr v2 codec chain: unexpected key {key:?}; only \"filters\" and \"compressor\" are read \
                 (pass those two keys of the .zarray, not the whole .zarray)"
            )));
        }
        let (filters, filters_listed) = match object.get("filters") {
            None | Some(Value::Null) => (&[][..], false),
            Some(Value::Array(list)) => (&list[..], true),
            Some(other) => {
                return Err(Error::invalid_config(format!("Zarr v2 codec chain: \"filters\" must be a list of codec configurations or null, got {other}")))
            }
        };
        let compressor = match object.get("compressor") {
            None | Some(Value::Null) => None,
            Some(config @ Value::Object(_)) => Some(config),
            Some(other) => {
                return Err(Error::invalid_config(format!("Zarr v2 codec chain: \"compressor\" must be a codec configuration or null, got {other}")))
            }
        };
        let steps = filters.iter().chain(compressor).enumerate().map(|(i, entry)| build_step(i, entry, true)).collect::<Result<_>>()?;
        Ok(Pipeline { steps, layout: Layout::ZarrV2 { filters_listed, has_compressor: compressor.is_some() } })
    }

    /// The number of codecs in the chain.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True for the empty chain, which stores chunks unchanged.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The codecs in encode order.
    pub fn codecs(&self) -> impl Iterator<Item = &dyn Codec> {
        self.steps.iter().map(|step| step.codec.as_ref())
    }

    /// One step's configuration in the form it was given.
    fn entry_json(step: &Step) -> Value {
        let mut config = step.codec.config();
        match step.form {
            EntryForm::Numcodecs => Value::Object(config),
            EntryForm::ZarrV3 => {
                config.shift_remove("id");
                config.extend(step.kept_keys.clone());
                let mut entry = Map::new();
                entry.insert("name".into(), Value::from(format!("numcodecs.{}", step.codec.codec_id())));
                entry.insert("configuration".into(), Value::Object(config));
                Value::Object(entry)
            }
        }
    }

    fn entries_json(steps: &[Step]) -> Value {
        Value::Array(steps.iter().map(Self::entry_json).collect())
    }

    /// Runs `steps` (consecutive steps of the chain, `offset` being the index of the first of them) over
    /// `src`: their output and the array the next step sees.
    fn encode_steps<'a>(steps: &[Step], offset: usize, src: &'a [u8], info: &ArrayInfo) -> Result<(Cow<'a, [u8]>, ArrayInfo)> {
        let mut data = Cow::Borrowed(src);
        let mut info = info.clone();
        for (index, step) in steps.iter().enumerate() {
            let context = in_step(offset + index, step.codec.as_ref());
            let next_info = step.codec.encoded_info(data.len(), &info).map_err(&context)?;
            let encoded = step.codec.encode(&data, &info).map_err(&context)?;
            // A filter that describes its output wrongly would make the next codec misread it.
            next_info
                .check_len(encoded.len())
                .map_err(|e| context(Error::internal(format!("the encoded array does not match its own description: {}", e.message()))))?;
            data = Cow::Owned(encoded);
            info = next_info;
        }
        Ok((data, info))
    }

    /// The encode bound of `src_len` bytes of `info` through `steps` (consecutive steps of the chain from
    /// index `offset`), and the array the last of them writes.
    fn bound_steps(steps: &[Step], offset: usize, src_len: usize, info: &ArrayInfo) -> Result<(usize, ArrayInfo)> {
        let mut len = src_len;
        let mut info = info.clone();
        for (index, step) in steps.iter().enumerate() {
            let context = in_step(offset + index, step.codec.as_ref());
            // Lengths after a compressor are bounds, not exact; the arrays compressors describe (bytes)
            // do not depend on them, and filters, whose descriptions do, have exact lengths.
            let next_info = step.codec.encoded_info(len, &info).map_err(&context)?;
            len = step.codec.encode_bound(len, &info).map_err(&context)?;
            info = next_info;
        }
        Ok((len, info))
    }

    /// Decodes `src` through `steps` (the last `steps.len()` steps of the chain, `offset` being the
    /// index of the first of them), last step first.
    fn decode_steps<'a>(steps: &[Step], offset: usize, src: &'a [u8]) -> Result<Cow<'a, [u8]>> {
        let mut data = Cow::Borrowed(src);
        for (index, step) in steps.iter().enumerate().rev() {
            let decoded = step.codec.decode(&data).map_err(in_step(offset + index, step.codec.as_ref()))?;
            data = Cow::Owned(decoded);
        }
        Ok(data)
    }
}

impl Codec for Pipeline {
    fn codec_id(&self) -> &str {
        PIPELINE_ID
    }

    /// The Zarr v2 object for that form; for a list, `{"codecs": [...]}` (`config_json()` prints the bare
    /// array, which is what [`codec_from_json`](super::codec_from_json) takes back).
    fn config(&self) -> Map<String, Value> {
        let mut map = Map::new();
        match self.layout {
            Layout::List => {
                map.insert("codecs".into(), Self::entries_json(&self.steps));
            }
            Layout::ZarrV2 { filters_listed, has_compressor } => {
                let filter_count = self.steps.len() - usize::from(has_compressor);
                let (filters, compressor) = self.steps.split_at(filter_count);
                let filters = if filters_listed { Self::entries_json(filters) } else { Value::Null };
                map.insert("filters".into(), filters);
                map.insert("compressor".into(), compressor.first().map_or(Value::Null, Self::entry_json));
            }
        }
        map
    }

    fn config_json(&self) -> String {
        match self.layout {
            Layout::List => Self::entries_json(&self.steps).to_string(),
            Layout::ZarrV2 { .. } => Value::Object(self.config()).to_string(),
        }
    }

    fn encode_bound(&self, src_len: usize, info: &ArrayInfo) -> Result<usize> {
        Ok(Self::bound_steps(&self.steps, 0, src_len, info)?.0)
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        Ok(Self::encode_steps(&self.steps, 0, src, info)?.0.into_owned())
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let Some((last, before)) = self.steps.split_last() else {
            return copy_into(src, dst);
        };
        let (data, info) = Self::encode_steps(before, 0, src, info)?;
        last.codec.encode_into(&data, &info, dst).map_err(in_step(before.len(), last.codec.as_ref()))
    }

    /// Known when the first codec records it in what the later codecs decode to; finding that out means
    /// decoding every step but the first (free for a one-step chain).
    /// Answers without decoding, as the trait promises: the empty chain and a single codec know; a longer
    /// chain would have to decode all its steps but the first to learn it.
    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        match self.steps.as_slice() {
            [] => check_decoded_size(PIPELINE_ID, src.len() as u64),
            [only] => only.codec.decoded_size(src).map_err(in_step(0, only.codec.as_ref())),
            _ => Err(Error::size_unknown(format!(
                "{PIPELINE_ID}: a chain of {} codecs learns its decoded size only by decoding",
                self.steps.len()
            ))),
        }
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        if self.steps.is_empty() {
            check_decoded_size(PIPELINE_ID, src.len() as u64)?;
        }
        Ok(Self::decode_steps(&self.steps, 0, src)?.into_owned())
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let Some((first, rest)) = self.steps.split_first() else {
            check_decoded_size(PIPELINE_ID, src.len() as u64)?;
            return copy_into(src, dst);
        };
        let data = Self::decode_steps(rest, 1, src)?;
        first.codec.decode_into(&data, dst).map_err(in_step(0, first.codec.as_ref()))
    }

    fn encoded_info(&self, src_len: usize, info: &ArrayInfo) -> Result<ArrayInfo> {
        Ok(Self::bound_steps(&self.steps, 0, src_len, info)?.1)
    }

    /// The first codec's answer for what the later codecs decode to (decoding them when there are any).
    fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
        let Some((first, rest)) = self.steps.split_first() else {
            return Ok(None);
        };
        let data = Self::decode_steps(rest, 1, src)?;
        first.codec.decoded_info(&data).map_err(in_step(0, first.codec.as_ref()))
    }

    /// A chain that starts with an object codec is one: Zarr v2 stores string arrays with
    /// `"filters": [{"id": "vlen-utf8"}]` and a compressor, which then compresses the item codec's bytes.
    fn as_object(&self) -> Option<&dyn ObjectCodec> {
        self.object_parts().ok().map(|_| self as &dyn ObjectCodec)
    }
}

/// The array a byte codec after an object codec sees: numcodecs' object codecs return `bytes`.
fn bytes_info() -> ArrayInfo {
    ArrayInfo::new(DType::bytes(), None)
}

impl Pipeline {
    /// The first step's item side and the byte-codec steps after it; an error for a chain that does not
    /// start with an object codec.
    fn object_parts(&self) -> Result<(&dyn ObjectCodec, &Step, &[Step])> {
        let not_object = || Error::unsupported(format!("{PIPELINE_ID}: the chain does not start with an object codec (vlen-utf8, ...)"));
        let (first, rest) = self.steps.split_first().ok_or_else(not_object)?;
        let object = first.codec.as_object().ok_or_else(not_object)?;
        Ok((object, first, rest))
    }

    /// Runs the byte codecs after the object codec over its encoded items.
    fn encode_item_bytes(rest: &[Step], encoded: &[u8]) -> Result<Vec<u8>> {
        Ok(Self::encode_steps(rest, 1, encoded, &bytes_info())?.0.into_owned())
    }
}

/// The item calls of a chain `[object codec, byte codecs...]`: the object codec encodes the items, the byte
/// codecs encode its bytes in order; decoding undoes the byte codecs, last first, and hands the result to
/// the object codec.
impl ObjectCodec for Pipeline {
    /// The first codec's kind; `Bytes` for a chain without an object codec, whose item calls all fail.
    fn item_kind(&self) -> ItemKind {
        self.object_parts().map_or(ItemKind::Bytes, |(object, _, _)| object.item_kind())
    }

    /// An upper bound, not the exact size, when byte codecs follow the object codec: exactly what a
    /// compressor writes is known only by compressing.
    fn encoded_items_len(&self, items: Items) -> Result<usize> {
        let (object, first, rest) = self.object_parts()?;
        let len = object.encoded_items_len(items).map_err(in_step(0, first.codec.as_ref()))?;
        Ok(Self::bound_steps(rest, 1, len, &bytes_info())?.0)
    }

    /// The item codec's guess through the byte codecs' bounds: a chain starting with json2 then sizes
    /// its buffer without encoding the items twice.
    fn encoded_items_len_guess(&self, items: Items) -> Result<usize> {
        let (object, first, rest) = self.object_parts()?;
        let len = object.encoded_items_len_guess(items).map_err(in_step(0, first.codec.as_ref()))?;
        Ok(Self::bound_steps(rest, 1, len, &bytes_info())?.0)
    }

    fn encode_items_into(&self, items: Items, dst: &mut [u8]) -> Result<usize> {
        let (object, first, rest) = self.object_parts()?;
        let Some((last, middle)) = rest.split_last() else {
            return object.encode_items_into(items, dst).map_err(in_step(0, first.codec.as_ref()));
        };
        let encoded = object.encode_items(items).map_err(in_step(0, first.codec.as_ref()))?;
        let (data, info) = Self::encode_steps(middle, 1, &encoded, &bytes_info())?;
        last.codec.encode_into(&data, &info, dst).map_err(in_step(rest.len(), last.codec.as_ref()))
    }

    fn encode_items(&self, items: Items) -> Result<Vec<u8>> {
        let (object, first, rest) = self.object_parts()?;
        let encoded = object.encode_items(items).map_err(in_step(0, first.codec.as_ref()))?;
        Self::encode_item_bytes(rest, &encoded)
    }

    fn decoded_items_size(&self, src: &[u8]) -> Result<(usize, usize)> {
        let (object, first, rest) = self.object_parts()?;
        let data = Self::decode_steps(rest, 1, src)?;
        object.decoded_items_size(&data).map_err(in_step(0, first.codec.as_ref()))
    }

    fn decode_items(&self, src: &[u8]) -> Result<DecodedItems> {
        let (object, first, rest) = self.object_parts()?;
        let data = Self::decode_steps(rest, 1, src)?;
        object.decode_items(&data).map_err(in_step(0, first.codec.as_ref()))
    }

    fn decode_items_into(&self, src: &[u8], data: &mut [u8], offsets: &mut [usize]) -> Result<(usize, usize)> {
        let (object, first, rest) = self.object_parts()?;
        let bytes = Self::decode_steps(rest, 1, src)?;
        object.decode_items_into(&bytes, data, offsets).map_err(in_step(0, first.codec.as_ref()))
    }

    fn encode_json_items(&self, items: &[serde_json::Value]) -> Result<Vec<u8>> {
        let (object, first, rest) = self.object_parts()?;
        let encoded = object.encode_json_items(items).map_err(in_step(0, first.codec.as_ref()))?;
        Self::encode_item_bytes(rest, &encoded)
    }

    fn decode_json_items(&self, src: &[u8]) -> Result<Vec<serde_json::Value>> {
        let (object, first, rest) = self.object_parts()?;
        let data = Self::decode_steps(rest, 1, src)?;
        object.decode_json_items(&data).map_err(in_step(0, first.codec.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_config, codec_from_json, config_map, DType, ErrorKind, Params};

    fn info(dtype: &str) -> ArrayInfo {
        ArrayInfo::new(DType::parse(dtype).unwrap(), None)
    }

    fn smooth_i4(count: usize) -> Vec<u8> {
        (0..count).flat_map(|i| (((i as f64 / 9.0).sin() * 3000.0).round() as i32).to_le_bytes()).collect()
    }

    /// A filter written for these tests only: `<i4` items stored as `<i2` (like `astype`), so the next
    /// codec of a chain must see 2-byte items.
    #[derive(Debug)]
    struct NarrowI4ToI2;

    impl Codec for NarrowI4ToI2 {
        fn codec_id(&self) -> &str {
            "test_narrow"
        }
        fn config(&self) -> Map<String, Value> {
            config_map("test_narrow", [])
        }
        fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
            Ok(src_len / 2)
        }
        fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
            if info.dtype.typestr() != "<i4" {
                return Err(Error::invalid_argument(format!("test_narrow: expects <i4, got {}", info.dtype.typestr())));
            }
            Ok(src.chunks_exact(4).flat_map(|item| (i32::from_le_bytes(item.try_into().unwrap()) as i16).to_le_bytes()).collect())
        }
        fn decoded_size(&self, src: &[u8]) -> Result<usize> {
            Ok(src.len() * 2)
        }
        fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
            if src.len() % 2 != 0 {
                return Err(Error::corrupt("test_narrow: odd length"));
            }
            Ok(src.chunks_exact(2).flat_map(|item| i32::from(i16::from_le_bytes([item[0], item[1]])).to_le_bytes()).collect())
        }
        fn encoded_info(&self, src_len: usize, _info: &ArrayInfo) -> Result<ArrayInfo> {
            Ok(ArrayInfo::new(DType::parse("<i2").unwrap(), Some(vec![src_len / 4])))
        }
        fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
            Ok(Some(ArrayInfo::new(DType::parse("<i4").unwrap(), Some(vec![src.len() / 2]))))
        }
    }

    fn register_test_filter() {
        crate::codecs::register_codec("test_narrow", |params: Params| {
            params.finish()?;
            Ok(Box::new(NarrowI4ToI2))
        });
    }

    #[test]
    fn the_next_codec_sees_the_array_the_filter_writes() {
        register_test_filter();
        let data = smooth_i4(5000);
        let chain = codec_from_json(r#"[{"id":"test_narrow"},{"id":"blosc","cname":"lz4","shuffle":1}]"#).unwrap();
        let encoded = chain.encode(&data, &info("<i4")).unwrap();
        // Byte 3 of a blosc header is the typesize it shuffled with: the filter's 2, not the input's 4.
        assert_eq!(encoded[3], 2);
        // Exactly what blosc alone writes for the narrowed `<i2` array.
        let narrowed = NarrowI4ToI2.encode(&data, &info("<i4")).unwrap();
        let blosc = codec_from_json(r#"{"id":"blosc","cname":"lz4","shuffle":1}"#).unwrap();
        assert_eq!(encoded, blosc.encode(&narrowed, &info("<i2")).unwrap());
        assert_eq!(chain.decode(&encoded).unwrap(), data);
        assert_eq!(chain.decoded_size(&encoded).unwrap_err().kind(), ErrorKind::SizeUnknown);
        assert_eq!(chain.decoded_info(&encoded).unwrap(), Some(ArrayInfo::new(DType::parse("<i4").unwrap(), Some(vec![5000]))));
        assert_eq!(chain.encoded_info(data.len(), &info("<i4")).unwrap(), info("|u1"));
        let bound = chain.encode_bound(data.len(), &info("<i4")).unwrap();
        assert_eq!(bound, data.len() / 2 + 16);
        let mut dst = vec![0u8; bound];
        let len = chain.encode_into(&data, &info("<i4"), &mut dst).unwrap();
        assert_eq!(&dst[..len], &encoded[..]);
        let mut out = vec![0u8; data.len()];
        assert_eq!(chain.decode_into(&encoded, &mut out).unwrap(), data.len());
        assert_eq!(out, data);

        // Without the filter blosc shuffles the 4-byte items; after a checksum (bytes), 1-byte items.
        assert_eq!(codec_from_json(r#"[{"id":"blosc"}]"#).unwrap().encode(&data, &info("<i4")).unwrap()[3], 4);
        assert_eq!(codec_from_json(r#"[{"id":"crc32"},{"id":"blosc"}]"#).unwrap().encode(&data, &info("<i4")).unwrap()[3], 1);
        // The v2 form: the compressor follows the filters the same way.
        let v2 = codec_from_json(r#"{"filters":[{"id":"test_narrow"}],"compressor":{"id":"blosc","cname":"lz4","shuffle":1}}"#).unwrap();
        assert_eq!(v2.encode(&data, &info("<i4")).unwrap(), encoded);
    }

    #[test]
    fn encode_runs_in_order_and_decode_in_reverse() {
        let data = smooth_i4(3000);
        let chain = codec_from_json(r#"[{"id":"crc32"},{"id":"zlib","level":1},{"id":"adler32","location":"end"}]"#).unwrap();
        let crc32 = codec_from_json(r#"{"id":"crc32"}"#).unwrap();
        let zlib = codec_from_json(r#"{"id":"zlib","level":1}"#).unwrap();
        let adler32 = codec_from_json(r#"{"id":"adler32","location":"end"}"#).unwrap();
        let bytes = info("|u1");
        let by_hand = adler32.encode(&zlib.encode(&crc32.encode(&data, &bytes).unwrap(), &bytes).unwrap(), &bytes).unwrap();
        let encoded = chain.encode(&data, &info("<i4")).unwrap();
        assert_eq!(encoded, by_hand);
        assert_eq!(chain.decode(&encoded).unwrap(), data);
        // A chain of several codecs would have to decode to learn its size, which decoded_size never does.
        let err = chain.decoded_size(&encoded).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SizeUnknown);
        assert!(err.message().contains("only by decoding"), "{}", err.message());
        let zlib_only = codec_from_json(r#"[{"id":"zlib"}]"#).unwrap();
        let encoded = zlib_only.encode(&data, &bytes).unwrap();
        let err = zlib_only.decoded_size(&encoded).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SizeUnknown);
        assert!(err.message().starts_with("pipeline step 1 (zlib): "), "{}", err.message());
    }

    #[test]
    fn the_bound_is_enough_and_small_buffers_are_refused() {
        let data = smooth_i4(2000);
        let chain = codec_from_json(r#"[{"id":"zstd","level":1},{"id":"lz4"},{"id":"fletcher32"}]"#).unwrap();
        let bound = chain.encode_bound(data.len(), &info("<i4")).unwrap();
        let encoded = chain.encode(&data, &info("<i4")).unwrap();
        assert!(encoded.len() <= bound);
        let mut dst = vec![0u8; encoded.len() - 1];
        let err = chain.encode_into(&data, &info("<i4"), &mut dst).unwrap_err();
        assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
        let mut out = vec![0u8; data.len() - 1];
        let err = chain.decode_into(&encoded, &mut out).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
        assert!(err.message().starts_with("pipeline step 1 (zstd): "), "{}", err.message());
        assert_eq!(
            chain.encode_bound(usize::MAX - 8, &info("|u1")).unwrap_err().kind(),
            ErrorKind::LimitExceeded,
            "an overflowing bound is an error, not a wrap"
        );
    }

    #[test]
    fn corrupt_data_names_the_failing_step() {
        let data = smooth_i4(500);
        let chain = codec_from_json(r#"{"filters":[{"id":"crc32"}],"compressor":{"id":"zstd","level":3}}"#).unwrap();
        let mut encoded = chain.encode(&data, &info("<i4")).unwrap();
        let last = encoded.len() - 1;
        encoded[last] ^= 0xff;
        let err = chain.decode(&encoded).unwrap_err();
        assert!(err.message().starts_with("pipeline step 2 (zstd): "), "{}", err.message());
        // A valid zstd frame of bytes whose crc32 does not match: step 1 fails.
        let zstd = codec_from_json(r#"{"id":"zstd","level":3}"#).unwrap();
        let forged = zstd.encode(b"not a crc32 chunk", &info("|u1")).unwrap();
        let err = chain.decode(&forged).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptData);
        assert!(err.message().starts_with("pipeline step 1 (crc32): "), "{}", err.message());
        for garbage in [&b""[..], b"\x00", b"\x28\xb5\x2f\xfd\xff\xff\xff\xff", &[0xffu8; 64][..]] {
            assert!(chain.decode(garbage).is_err());
            assert!(chain.decode_into(garbage, &mut [0u8; 16]).is_err());
            assert!(chain.decoded_size(garbage).is_err());
        }
    }

    #[test]
    fn config_json_prints_the_form_it_was_made_from() {
        for (given, printed) in [
            (r#"[{"id":"crc32"},{"id":"zstd"}]"#, r#"[{"id":"crc32"},{"id":"zstd","level":0,"checksum":false}]"#),
            (
                r#"[{"name":"numcodecs.crc32"},{"name":"zstd","configuration":{"level":5}}]"#,
                r#"[{"name":"numcodecs.crc32","configuration":{}},{"name":"numcodecs.zstd","configuration":{"level":5,"checksum":false}}]"#,
            ),
            (
                r#"[{"id":"adler32","location":"end"},{"name":"numcodecs.lz4","configuration":{"acceleration":2}}]"#,
                r#"[{"id":"adler32","location":"end"},{"name":"numcodecs.lz4","configuration":{"acceleration":2}}]"#,
            ),
            (r#"[{"id":"zlib","level":1}]"#, r#"[{"id":"zlib","level":1}]"#),
            (
                r#"[{"name":"blosc","configuration":{"typesize":4,"cname":"zstd","shuffle":"bitshuffle"}}]"#,
                r#"[{"name":"numcodecs.blosc","configuration":{"cname":"zstd","clevel":5,"shuffle":2,"blocksize":0,"typesize":4}}]"#,
            ),
            (r#"[{"id":"blosc","typesize":4}]"#, r#"[{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1,"blocksize":0}]"#),
            ("[]", "[]"),
            (r#"{"filters":null,"compressor":{"id":"zlib"}}"#, r#"{"filters":null,"compressor":{"id":"zlib","level":1}}"#),
            (r#"{"compressor":{"id":"zlib"}}"#, r#"{"filters":null,"compressor":{"id":"zlib","level":1}}"#),
            (r#"{"filters":[],"compressor":null}"#, r#"{"filters":[],"compressor":null}"#),
            (r#"{"filters":null,"compressor":null}"#, r#"{"filters":null,"compressor":null}"#),
            (
                r#"{"filters":[{"id":"fletcher32"},{"id":"base64"}],"compressor":{"id":"lz4"}}"#,
                r#"{"filters":[{"id":"fletcher32"},{"id":"base64"}],"compressor":{"id":"lz4","acceleration":1}}"#,
            ),
            (r#"{"filters":[{"id":"crc32"}]}"#, r#"{"filters":[{"id":"crc32"}],"compressor":null}"#),
        ] {
            let codec = codec_from_json(given).unwrap();
            assert_eq!(codec.codec_id(), PIPELINE_ID);
            assert_eq!(codec.config_json(), printed, "{given}");
            assert_eq!(codec_from_json(printed).unwrap().config_json(), printed, "{printed} must reproduce itself");
        }
        let list = codec_from_json(r#"[{"id":"crc32"}]"#).unwrap();
        assert_eq!(Value::Object(list.config()), serde_json::json!({"codecs": [{"id": "crc32"}]}));
    }

    #[test]
    fn the_empty_chain_stores_chunks_unchanged() {
        let data = smooth_i4(100);
        for json in ["[]", r#"{"filters":null,"compressor":null}"#, r#"{"filters":[]}"#] {
            let codec = codec_from_json(json).unwrap();
            assert_eq!(codec.encode_bound(data.len(), &info("<i4")).unwrap(), data.len());
            assert_eq!(codec.encode(&data, &info("<i4")).unwrap(), data);
            assert_eq!(codec.decode(&data).unwrap(), data);
            assert_eq!(codec.decoded_size(&data).unwrap(), data.len());
            assert_eq!(codec.encoded_info(data.len(), &info("<i4")).unwrap(), info("<i4"));
            let mut small = vec![0u8; data.len() - 1];
            assert_eq!(codec.decode_into(&data, &mut small).unwrap_err().needed(), Some(data.len()));
            assert_eq!(codec.encode_into(&data, &info("<i4"), &mut small).unwrap_err().needed(), Some(data.len()));
        }
    }

    #[test]
    fn a_one_step_chain_encodes_like_its_codec() {
        let data = smooth_i4(700);
        let single = codec_from_json(r#"{"id":"blosc","cname":"zstd","shuffle":2}"#).unwrap();
        let chain = codec_from_json(r#"[{"id":"blosc","cname":"zstd","shuffle":2}]"#).unwrap();
        let encoded = chain.encode(&data, &info("<i4")).unwrap();
        assert_eq!(encoded, single.encode(&data, &info("<i4")).unwrap());
        assert_eq!(chain.decoded_size(&encoded).unwrap(), data.len());
        assert_eq!(chain.encode_bound(data.len(), &info("<i4")).unwrap(), single.encode_bound(data.len(), &info("<i4")).unwrap());
    }

    #[test]
    fn bad_chains_are_refused_naming_the_step() {
        for (json, kind, message) in [
            (r#"[{"id":"crc32"},{"id":"no_such_codec"}]"#, ErrorKind::UnknownCodec, "pipeline step 2: unknown codec id \"no_such_codec\""),
            (r#"[{"id":"zstd","level":"high"}]"#, ErrorKind::InvalidConfig, "pipeline step 1: "),
            (r#"[{"id":"crc32"},{"id":"lz4","speed":1}]"#, ErrorKind::InvalidConfig, "pipeline step 2: "),
            (r#"[{"id":"crc32"},"zstd"]"#, ErrorKind::InvalidConfig, "pipeline step 2: a codec configuration must be a JSON object"),
            (r#"[[{"id":"crc32"}]]"#, ErrorKind::InvalidConfig, "pipeline step 1: "),
            (r#"[{"filters":null,"compressor":null}]"#, ErrorKind::InvalidConfig, "pipeline step 1: "),
            (r#"[{"level":1}]"#, ErrorKind::InvalidConfig, "pipeline step 1: "),
            (r#"{"filters":[{"id":"crc32"}],"compressor":{"id":"nope"}}"#, ErrorKind::UnknownCodec, "pipeline step 2: unknown codec id \"nope\""),
            (r#"{"filters":[{"name":"numcodecs.crc32"}],"compressor":null}"#, ErrorKind::InvalidConfig, "pipeline step 1: a Zarr v2 filter"),
            (r#"{"filters":{"id":"crc32"},"compressor":null}"#, ErrorKind::InvalidConfig, "Zarr v2 codec chain: \"filters\" must be"),
            (r#"{"filters":null,"compressor":[{"id":"zlib"}]}"#, ErrorKind::InvalidConfig, "Zarr v2 codec chain: \"compressor\" must be"),
            (
                r#"{"zarr_format":2,"dtype":"<i4","filters":null,"compressor":null}"#,
                ErrorKind::InvalidConfig,
                "Zarr v2 codec chain: unexpected key \"zarr_format\"",
            ),
            ("5", ErrorKind::InvalidConfig, "a codec configuration must be"),
            ("{}", ErrorKind::InvalidConfig, "a codec configuration needs"),
        ] {
            let err = codec_from_json(json).unwrap_err();
            assert_eq!(err.kind(), kind, "{json}: {}", err.message());
            assert!(err.message().starts_with(message), "{json}: {}", err.message());
        }
        // An object that names a codec is that codec, even with a "filters" key (which it then refuses).
        assert_eq!(codec_from_json(r#"{"id":"zlib","filters":null}"#).unwrap_err().kind(), ErrorKind::InvalidConfig);
        assert!(codec_from_config(&serde_json::json!({"id": "zlib"})).unwrap().codec_id() == "zlib");
    }

    #[test]
    fn a_chain_starting_with_an_object_codec_encodes_items_then_compresses() {
        let strings: Vec<Vec<u8>> = (0..300).map(|i| format!("item {i} \u{e9}").into_bytes()).collect();
        let list: Vec<&[u8]> = strings.iter().map(Vec::as_slice).collect();
        let items = Items::List(&list);
        let vlen = codec_from_json(r#"{"id":"vlen-utf8"}"#).unwrap();
        let zstd = codec_from_json(r#"{"id":"zstd","level":3}"#).unwrap();
        let expected = zstd.encode(&vlen.as_object().unwrap().encode_items(items).unwrap(), &ArrayInfo::new(DType::bytes(), None)).unwrap();
        for json in [r#"{"filters":[{"id":"vlen-utf8"}],"compressor":{"id":"zstd","level":3}}"#, r#"[{"id":"vlen-utf8"},{"name":"zstd","configuration":{"level":3}}]"#] {
            let chain = codec_from_json(json).unwrap();
            let object = chain.as_object().expect("an object chain");
            assert_eq!(object.item_kind(), ItemKind::Utf8);
            assert_eq!(object.encode_items(items).unwrap(), expected, "{json}");
            let bound = object.encoded_items_len(items).unwrap();
            assert!(bound >= expected.len(), "{json}: bound {bound} < {}", expected.len());
            let mut dst = vec![0u8; bound];
            assert_eq!(object.encode_items_into(items, &mut dst).unwrap(), expected.len());
            assert_eq!(dst[..expected.len()], expected[..]);
            let mut small = vec![0u8; expected.len() - 1];
            assert_eq!(object.encode_items_into(items, &mut small).unwrap_err().needed(), Some(expected.len()), "{json}");
            let decoded = object.decode_items(&expected).unwrap();
            assert_eq!(decoded.iter().collect::<Vec<_>>(), list);
            assert_eq!(object.decoded_items_size(&expected).unwrap(), (list.len(), decoded.data().len()));
            let mut data = vec![0u8; decoded.data().len()];
            let mut offsets = vec![0usize; list.len() + 1];
            assert_eq!(object.decode_items_into(&expected, &mut data, &mut offsets).unwrap(), (list.len(), data.len()));
            assert_eq!((&data[..], &offsets[..]), (decoded.data(), decoded.offsets()));
            let json_items = object.decode_json_items(&expected).unwrap();
            assert_eq!(json_items[1], Value::from("item 1 \u{e9}"));
            assert_eq!(object.encode_json_items(&json_items).unwrap(), expected);
            // The byte calls stay the object codec's: refused, naming the step.
            let error = chain.encode(b"abcd", &info("|u1")).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Unsupported);
            assert!(error.message().starts_with("pipeline step 1 (vlen-utf8): "), "{}", error.message());
        }
    }

    #[test]
    fn object_chains_name_the_failing_step_and_byte_chains_have_no_item_side() {
        let chain = codec_from_json(r#"[{"id":"vlen-bytes"},{"id":"crc32"},{"id":"zlib"}]"#).unwrap();
        let object = chain.as_object().unwrap();
        let encoded = object.encode_items(Items::List(&[&b"a\0b"[..], &b""[..]])).unwrap();
        let mut damaged = codec_from_json(r#"{"id":"zlib"}"#).unwrap().decode(&encoded).unwrap();
        damaged[0] ^= 1;
        let damaged = codec_from_json(r#"{"id":"zlib"}"#).unwrap().encode(&damaged, &info("|u1")).unwrap();
        let error = object.decode_items(&damaged).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CorruptData);
        assert!(error.message().starts_with("pipeline step 2 (crc32): "), "{}", error.message());
        let error = object.decode_items(b"not zlib").unwrap_err();
        assert!(error.message().starts_with("pipeline step 3 (zlib): "), "{}", error.message());
        let strings = codec_from_json(r#"[{"id":"vlen-utf8"}]"#).unwrap();
        let error = strings.as_object().unwrap().encode_items(Items::List(&[&[0xff]])).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        assert!(error.message().starts_with("pipeline step 1 (vlen-utf8): "), "{}", error.message());

        for json in ["[]", r#"[{"id":"zstd"},{"id":"vlen-utf8"}]"#, r#"{"filters":[{"id":"crc32"}]}"#] {
            let chain = codec_from_json(json).unwrap();
            assert!(chain.as_object().is_none(), "{json}");
        }
    }
}
