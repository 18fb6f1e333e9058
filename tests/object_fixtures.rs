//! Object codecs (vlen-utf8, vlen-bytes, vlen-array, categorize of `|O`, pickle, json2, msgpack2, and
//! chains that start with one) against the real numcodecs 0.16.6: every case in
//! tests/fixtures/object_cases.json (written by the object families of tests/fixtures/generate.py:
//! `vlen_cases`, `categorize_object_cases`, `pickle_cases`, the json2/msgpack2 families and
//! `object_pipeline_cases`) goes through
//! the exported C item APIs in all their shapes:
//!
//! - decode: `numcodecs_decode_items` (handle: count, get, flat view), `numcodecs_decoded_items_size` +
//!   `numcodecs_decode_flat` into exact buffers (and one too small), `numcodecs_decode_json_items`;
//! - encode (numcodecs-written cases): `numcodecs_encode_items` (exact buffer, size query, one byte short),
//!   `numcodecs_encode_items_alloc`, `numcodecs_encode_flat`, `numcodecs_encode_flat_alloc`,
//!   `numcodecs_encode_json_items`, each giving numcodecs' bytes exactly.
//!
//! json2 and msgpack2 cases of objects other than strings (`"item_api": false`) go through the JSON bridge
//! only; the item APIs must refuse them with NUMCODECS_UNSUPPORTED. Their shaped arrays (`decode_only`)
//! decode in C order.
//!
//! Streams numcodecs refuses to decode must be refused by every decode path, and configurations numcodecs
//! refuses with NUMCODECS_INVALID_CONFIG.

use std::ffi::{c_char, CStr};
use std::path::{Path, PathBuf};
use std::ptr;

use numcodecs::codecs::base64::Base64;
use numcodecs::ffi::numcodecs_status::{self, *};
use numcodecs::ffi::*;
use numcodecs::Codec as _;
use serde_json::Value;

/// An emptied or truncated manifest must not pass.
const MIN_CASES: &[(&str, usize)] = &[("vlen-utf8", 8), ("vlen-bytes", 7), ("vlen-array", 12), ("categorize", 25), ("pickle", 115), ("pipeline", 6), ("json2", 50), ("msgpack2", 40)];
const MIN_CORRUPT: &[(&str, usize)] = &[("vlen-utf8", 8), ("vlen-bytes", 6), ("vlen-array", 7), ("categorize", 3), ("pickle", 17), ("pipeline", 1), ("json2", 10), ("msgpack2", 7)];
const MIN_INVALID_CONFIGS: usize = 21;
const HUNDRED_K_CASES: &[&str] = &["vlen-utf8-100k", "vlen-bytes-100k", "categorize-object-100k", "pickle-p5-100k", "pickle-p2-100k", "pickle-p0-100k", "json2-100k", "msgpack2-100k"];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join("object_cases.json")).expect("object_cases.json: run tests/fixtures/generate.py");
    serde_json::from_str(&text).expect("object_cases.json parses")
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(numcodecs_last_error()) }.to_string_lossy().into_owned()
}

struct Codec(*mut numcodecs_codec);

impl Codec {
    fn new(config: &str) -> Result<Codec, numcodecs_status> {
        let mut codec = ptr::null_mut();
        match unsafe { numcodecs_codec_from_json(config.as_ptr().cast(), config.len(), &mut codec) } {
            NUMCODECS_OK => Ok(Codec(codec)),
            status => Err(status),
        }
    }

    fn config(&self) -> String {
        let mut buf = vec![0u8; 1 << 20];
        let mut len = 0;
        assert_eq!(unsafe { numcodecs_codec_config(self.0, buf.as_mut_ptr().cast(), buf.len(), &mut len) }, NUMCODECS_OK);
        String::from_utf8(buf[..len].to_vec()).unwrap()
    }
}

impl Drop for Codec {
    fn drop(&mut self) {
        unsafe { numcodecs_codec_free(self.0) }
    }
}

/// Takes ownership of a library-allocated buffer.
fn take_bytes(ptr: *mut u8, len: usize) -> Vec<u8> {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    unsafe { numcodecs_bytes_free(ptr, len) };
    bytes
}

/// The raw bytes of each item, as the byte-item API passes them.
fn raw_items(case: &Value, items: &[Value]) -> Vec<Vec<u8>> {
    if let Some(raw) = case["raw_items"].as_array() {
        return raw.iter().map(|hex| decode_hex(hex.as_str().unwrap())).collect();
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(text) => text.as_bytes().to_vec(),
            Value::Object(map) => Base64.decode(map["b64"].as_str().unwrap().as_bytes()).unwrap(),
            other => panic!("unexpected item {other}"),
        })
        .collect()
}

fn decode_hex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

/// The items in the JSON bridge's form, from `key` or the file named by `file_key`.
fn case_json_list(case: &Value, key: &str, file_key: &str) -> Option<Vec<Value>> {
    match case.get(file_key) {
        Some(file) => {
            let text = std::fs::read_to_string(fixtures_dir().join(file.as_str().unwrap())).unwrap();
            Some(serde_json::from_str(&text).unwrap())
        }
        None => case.get(key).map(|items| items.as_array().unwrap_or_else(|| panic!("{key} is a list")).clone()),
    }
}

fn case_items(case: &Value) -> Vec<Value> {
    case_json_list(case, "items", "items_file").expect("items")
}

/// What numcodecs encoded, when it is not what it decodes to (categorize decodes strings that are no
/// label to ""): `Some(None)` when only the JSON bridge can pass it (the input held None or numbers).
fn case_encode_inputs(case: &Value) -> Option<Option<Vec<Vec<u8>>>> {
    if case.get("encode_items").is_some_and(Value::is_null) {
        return Some(None);
    }
    let items = case_json_list(case, "encode_items", "encode_items_file")?;
    Some(Some(items.iter().map(|item| item.as_str().expect("encode_items are strings").as_bytes().to_vec()).collect()))
}

/// Decode checks through the handle, the flat form and the JSON bridge; returns failures.
fn check_decode(codec: &Codec, encoded: &[u8], raw: &[Vec<u8>], items: &[Value], failures: &mut Vec<String>) {
    // The items handle.
    let mut handle = ptr::null_mut();
    let status = unsafe { numcodecs_decode_items(codec.0, encoded.as_ptr().cast(), encoded.len(), &mut handle) };
    if status != NUMCODECS_OK {
        failures.push(format!("decode_items: {status:?} {}", last_error()));
        return;
    }
    let count = unsafe { numcodecs_items_count(handle) };
    if count != raw.len() {
        failures.push(format!("items_count {count}, expected {}", raw.len()));
    }
    for (i, expected) in raw.iter().enumerate().take(count) {
        let (mut data, mut len) = (ptr::null(), 0usize);
        assert_eq!(unsafe { numcodecs_items_get(handle, i, &mut data, &mut len) }, NUMCODECS_OK);
        assert!(!data.is_null());
        if unsafe { std::slice::from_raw_parts(data, len) } != expected.as_slice() {
            failures.push(format!("items_get({i}) differs"));
            break;
        }
    }
    let (mut data, mut len, mut offsets) = (ptr::null(), 0usize, ptr::null());
    assert_eq!(unsafe { numcodecs_items_get(handle, count, &mut data, &mut len) }, NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(unsafe { numcodecs_items_flat(handle, &mut data, &mut len, &mut offsets) }, NUMCODECS_OK);
    let flat_data = unsafe { std::slice::from_raw_parts(data, len) };
    let flat_offsets = unsafe { std::slice::from_raw_parts(offsets, count + 1) };
    if flat_data != raw.concat().as_slice() || flat_offsets[0] != 0 || flat_offsets[count] != len {
        failures.push("items_flat differs".into());
    }
    unsafe { numcodecs_items_free(handle) };

    // The flat form into caller buffers, sized by numcodecs_decoded_items_size.
    let (mut n, mut data_len) = (0usize, 0usize);
    let status = unsafe { numcodecs_decoded_items_size(codec.0, encoded.as_ptr().cast(), encoded.len(), &mut n, &mut data_len) };
    let expected_data_len: usize = raw.iter().map(Vec::len).sum();
    if status != NUMCODECS_OK || n != raw.len() || data_len != expected_data_len {
        failures.push(format!("decoded_items_size: {status:?} ({n}, {data_len}), expected ({}, {expected_data_len})", raw.len()));
        return;
    }
    let mut data = vec![0xA5u8; data_len + 1];
    let mut offsets = vec![usize::MAX; n + 2];
    let (mut got_n, mut got_len) = (0usize, 0usize);
    let status = unsafe {
        numcodecs_decode_flat(codec.0, encoded.as_ptr().cast(), encoded.len(), data.as_mut_ptr(), data_len, offsets.as_mut_ptr(), n + 1, &mut got_n, &mut got_len)
    };
    if status != NUMCODECS_OK || (got_n, got_len) != (n, data_len) {
        failures.push(format!("decode_flat: {status:?} {}", last_error()));
    } else {
        let rebuilt: Vec<Vec<u8>> = offsets[..=n].windows(2).map(|w| data[w[0]..w[1]].to_vec()).collect();
        if rebuilt != raw || offsets[0] != 0 || data[data_len] != 0xA5 || offsets[n + 1] != usize::MAX {
            failures.push("decode_flat gives other items or writes past the buffers".into());
        }
    }
    // One offset short: BUFFER_TOO_SMALL with both sizes reported.
    let (mut short_n, mut short_len) = (0usize, 0usize);
    let status = unsafe {
        numcodecs_decode_flat(codec.0, encoded.as_ptr().cast(), encoded.len(), data.as_mut_ptr(), data_len, offsets.as_mut_ptr(), n, &mut short_n, &mut short_len)
    };
    if status != NUMCODECS_BUFFER_TOO_SMALL || (short_n, short_len) != (n, data_len) {
        failures.push(format!("decode_flat with {n} offsets: {status:?} ({short_n}, {short_len})"));
    }

    check_decode_json(codec, encoded, items, failures);
}

/// Decoding through the JSON bridge gives `items`.
fn check_decode_json(codec: &Codec, encoded: &[u8], items: &[Value], failures: &mut Vec<String>) {
    let (mut json, mut json_len) = (ptr::null_mut::<c_char>(), 0usize);
    let status = unsafe { numcodecs_decode_json_items(codec.0, encoded.as_ptr().cast(), encoded.len(), &mut json, &mut json_len) };
    if status != NUMCODECS_OK {
        failures.push(format!("decode_json_items: {status:?} {}", last_error()));
        return;
    }
    assert_eq!(unsafe { *json.add(json_len) }, 0, "the JSON is NUL-terminated");
    let text = take_bytes(json.cast(), json_len);
    let decoded: Value = serde_json::from_slice(&text).expect("decode_json_items writes JSON");
    if decoded.as_array().map(Vec::as_slice) != Some(items) {
        failures.push("decode_json_items gives other items".into());
    }
}

/// Encode checks through every shape; each must give `expected` exactly. `raw` is `None` when only the
/// JSON bridge can express the items.
fn check_encode(codec: &Codec, raw: Option<&[Vec<u8>]>, json_in: &Value, expected: &[u8], failures: &mut Vec<String>) {
    if let Some(raw) = raw {
        check_encode_byte_items(codec, raw, expected, failures);
    }
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    let json = json_in.to_string();
    let status = unsafe { numcodecs_encode_json_items(codec.0, json.as_ptr().cast(), json.len(), &mut out, &mut out_len) };
    if status != NUMCODECS_OK || take_bytes(out, out_len) != expected {
        failures.push(format!("encode_json_items: {status:?} {}", last_error()));
    }
}

/// The byte-item shapes: item list (exact buffer, size query, one byte short, allocating) and flat form.
fn check_encode_byte_items(codec: &Codec, raw: &[Vec<u8>], expected: &[u8], failures: &mut Vec<String>) {
    let pointers: Vec<*const u8> = raw.iter().map(|item| if item.is_empty() { ptr::null() } else { item.as_ptr() }).collect();
    let lens: Vec<usize> = raw.iter().map(Vec::len).collect();
    let n = raw.len();

    let mut needed = 0usize;
    let status = unsafe { numcodecs_encode_items(codec.0, pointers.as_ptr(), lens.as_ptr(), n, ptr::null_mut(), 0, &mut needed) };
    // A size query is a zero-byte buffer, which an empty encoding (categorize of no items) fits.
    let query_status = if expected.is_empty() { NUMCODECS_OK } else { NUMCODECS_BUFFER_TOO_SMALL };
    if status != query_status || needed != expected.len() {
        failures.push(format!("encode_items size query: {status:?} {needed}, expected {}", expected.len()));
    }
    let mut dst = vec![0xA5u8; expected.len() + 8];
    let mut len = 0usize;
    let status = unsafe { numcodecs_encode_items(codec.0, pointers.as_ptr(), lens.as_ptr(), n, dst.as_mut_ptr(), expected.len(), &mut len) };
    if status != NUMCODECS_OK || &dst[..len] != expected || dst[expected.len()] != 0xA5 {
        failures.push(format!("encode_items: {status:?} {}", last_error()));
    }
    // categorize encodes zero items to zero bytes: there is no shorter buffer.
    if !expected.is_empty() {
        let status = unsafe { numcodecs_encode_items(codec.0, pointers.as_ptr(), lens.as_ptr(), n, dst.as_mut_ptr(), expected.len() - 1, &mut len) };
        if status != NUMCODECS_BUFFER_TOO_SMALL || len != expected.len() {
            failures.push(format!("encode_items one byte short: {status:?}"));
        }
    }
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    let status = unsafe { numcodecs_encode_items_alloc(codec.0, pointers.as_ptr(), lens.as_ptr(), n, &mut out, &mut out_len) };
    if status != NUMCODECS_OK || take_bytes(out, out_len) != expected {
        failures.push(format!("encode_items_alloc: {status:?} {}", last_error()));
    }

    // The flat form, with a non-zero first offset (Arrow allows slices of a larger buffer).
    let mut data = b"prefix".to_vec();
    let mut offsets = vec![data.len()];
    for item in raw {
        data.extend_from_slice(item);
        offsets.push(data.len());
    }
    let status = unsafe { numcodecs_encode_flat(codec.0, data.as_ptr(), data.len(), offsets.as_ptr(), n, dst.as_mut_ptr(), dst.len(), &mut len) };
    if status != NUMCODECS_OK || &dst[..len] != expected {
        failures.push(format!("encode_flat: {status:?} {}", last_error()));
    }
    let status = unsafe { numcodecs_encode_flat_alloc(codec.0, data.as_ptr(), data.len(), offsets.as_ptr(), n, &mut out, &mut out_len) };
    if status != NUMCODECS_OK || take_bytes(out, out_len) != expected {
        failures.push(format!("encode_flat_alloc: {status:?} {}", last_error()));
    }
}

/// Objects the item API cannot hold (numbers, None, lists, dicts, bytes): the item calls refuse them as
/// unsupported, the JSON bridge gives them.
fn check_bridge_only(codec: &Codec, encoded: &[u8], items: &[Value], failures: &mut Vec<String>) {
    let mut handle = ptr::null_mut();
    let status = unsafe { numcodecs_decode_items(codec.0, encoded.as_ptr().cast(), encoded.len(), &mut handle) };
    if status != NUMCODECS_UNSUPPORTED || !handle.is_null() {
        failures.push(format!("decode_items of non-string objects: {status:?}, expected NUMCODECS_UNSUPPORTED"));
    }
    let (mut n, mut data_len) = (7usize, 7usize);
    let status = unsafe { numcodecs_decoded_items_size(codec.0, encoded.as_ptr().cast(), encoded.len(), &mut n, &mut data_len) };
    if status != NUMCODECS_UNSUPPORTED || (n, data_len) != (7, 7) {
        failures.push(format!("decoded_items_size of non-string objects: {status:?}"));
    }
    check_decode_json(codec, encoded, items, failures);
}

#[test]
fn object_codecs_match_numcodecs_through_every_c_shape() {
    let manifest = manifest();
    let cases = manifest["cases"].as_array().unwrap();
    for &(codec, min) in MIN_CASES {
        let count = cases.iter().filter(|c| c["codec"] == codec).count();
        assert!(count >= min, "object_cases.json has {count} {codec} cases, expected at least {min}: regenerate it");
    }
    for name in HUNDRED_K_CASES {
        let case = cases.iter().find(|c| c["name"] == *name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(case_items(case).len(), 100_000);
    }
    let mut report = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut failures = Vec::new();
        let codec = Codec::new(&case["config_in"].to_string()).unwrap_or_else(|status| panic!("{name}: config refused: {status:?} {}", last_error()));
        if codec.config() != case["config"].as_str().unwrap() {
            failures.push(format!("config {} != numcodecs' {}", codec.config(), case["config"]));
        }
        let encoded = std::fs::read(fixtures_dir().join(case["encoded"].as_str().unwrap())).unwrap();
        let items = case_items(case);
        // pickle ("byte_items") and json2/msgpack2 ("item_api"): items other than strings and bytes
        // (numbers, None, lists, dicts) only travel through the JSON bridge.
        let flag = case.get("byte_items").or_else(|| case.get("item_api"));
        let byte_items = flag.map_or(true, |flag| flag.as_bool().expect("byte_items / item_api is a bool"));
        let raw = if byte_items { raw_items(case, &items) } else { Vec::new() };
        if byte_items {
            check_decode(&codec, &encoded, &raw, &items, &mut failures);
        } else {
            check_bridge_only(&codec, &encoded, &items, &mut failures);
        }
        if case["encode_match"] == "exact" {
            let encode_inputs = case_encode_inputs(case);
            let json_in = match (case.get("json_in"), &encode_inputs) {
                (Some(json_in), _) => json_in.clone(),
                (None, Some(Some(inputs))) => Value::Array(inputs.iter().map(|item| Value::from(String::from_utf8(item.clone()).unwrap())).collect()),
                (None, _) => Value::Array(items.clone()),
            };
            let byte_inputs = match &encode_inputs {
                Some(inputs) => inputs.as_deref(),
                None if byte_items => Some(raw.as_slice()),
                None => None,
            };
            check_encode(&codec, byte_inputs, &json_in, &encoded, &mut failures);
        }
        if !failures.is_empty() {
            report.push(format!("{name}: {}", failures.join("; ")));
        }
    }
    println!("{} object codec cases checked through the C item APIs", cases.len());
    assert!(report.is_empty(), "{} failing cases:\n{}", report.len(), report.join("\n"));
}

#[test]
fn streams_numcodecs_refuses_are_refused_by_every_decode_path() {
    let manifest = manifest();
    let corrupt = manifest["corrupt"].as_array().unwrap();
    for &(codec, min) in MIN_CORRUPT {
        let count = corrupt.iter().filter(|c| c["codec"] == codec).count();
        assert!(count >= min, "{count} corrupt {codec} cases, expected at least {min}");
    }
    for case in corrupt {
        let name = case["name"].as_str().unwrap();
        let codec = Codec::new(&case["config_in"].to_string()).unwrap();
        let src = decode_hex(case["encoded_hex"].as_str().unwrap());
        let mut handle = ptr::null_mut();
        let status = unsafe { numcodecs_decode_items(codec.0, src.as_ptr().cast(), src.len(), &mut handle) };
        assert_eq!(status, NUMCODECS_CORRUPT_DATA, "{name}: decode_items ({})", case["numcodecs_error"]);
        assert!(handle.is_null(), "{name}: no output on failure");
        assert!(!last_error().is_empty());
        let (mut json, mut json_len) = (ptr::null_mut::<c_char>(), 0usize);
        let status = unsafe { numcodecs_decode_json_items(codec.0, src.as_ptr().cast(), src.len(), &mut json, &mut json_len) };
        assert_eq!(status, NUMCODECS_CORRUPT_DATA, "{name}: decode_json_items");
        let mut data = vec![0u8; src.len()];
        let mut offsets = vec![0usize; src.len() + 1];
        let (mut n, mut len) = (7usize, 7usize);
        let status = unsafe {
            numcodecs_decode_flat(codec.0, src.as_ptr().cast(), src.len(), data.as_mut_ptr(), data.len(), offsets.as_mut_ptr(), offsets.len(), &mut n, &mut len)
        };
        assert_eq!(status, NUMCODECS_CORRUPT_DATA, "{name}: decode_flat");
        assert_eq!((n, len), (7, 7), "{name}: outputs untouched on failure");
    }
}

#[test]
fn configurations_numcodecs_refuses_are_refused() {
    let manifest = manifest();
    let invalid = manifest["invalid_configs"].as_array().unwrap();
    assert!(invalid.len() >= MIN_INVALID_CONFIGS);
    for case in invalid {
        let status = Codec::new(&case["config_in"].to_string()).err();
        assert_eq!(status, Some(NUMCODECS_INVALID_CONFIG), "{}: numcodecs says {}", case["config_in"], case["numcodecs_error"]);
    }
}

#[test]
fn byte_calls_refuse_object_codecs_and_item_calls_refuse_byte_codecs() {
    let vlen = Codec::new(r#"{"id":"vlen-utf8"}"#).unwrap();
    let src = [0u8; 8];
    let mut dst = [0u8; 64];
    let mut len = 0usize;
    let status = unsafe { numcodecs_encode(vlen.0, src.as_ptr().cast(), src.len(), ptr::null(), dst.as_mut_ptr().cast(), dst.len(), &mut len) };
    assert_eq!(status, NUMCODECS_UNSUPPORTED);
    assert!(last_error().contains("numcodecs_encode_items"), "{}", last_error());
    let status = unsafe { numcodecs_decode(vlen.0, src.as_ptr().cast(), 4, dst.as_mut_ptr().cast(), dst.len(), &mut len) };
    assert_eq!(status, NUMCODECS_UNSUPPORTED);
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    assert_eq!(unsafe { numcodecs_decode_alloc(vlen.0, src.as_ptr().cast(), 4, &mut out, &mut out_len) }, NUMCODECS_UNSUPPORTED);
    assert_eq!(unsafe { numcodecs_encode_bound(vlen.0, 8, ptr::null(), &mut len) }, NUMCODECS_UNSUPPORTED);
    assert_eq!(unsafe { numcodecs_decoded_size(vlen.0, src.as_ptr().cast(), 4, &mut len) }, NUMCODECS_UNSUPPORTED);

    let zlib = Codec::new(r#"{"id":"zlib"}"#).unwrap();
    let mut handle = ptr::null_mut();
    assert_eq!(unsafe { numcodecs_decode_items(zlib.0, src.as_ptr().cast(), 4, &mut handle) }, NUMCODECS_UNSUPPORTED);
    assert!(last_error().contains("neither an object codec nor a chain starting with one"), "{}", last_error());
    assert_eq!(unsafe { numcodecs_encode_items_alloc(zlib.0, ptr::null(), ptr::null(), 0, &mut out, &mut out_len) }, NUMCODECS_UNSUPPORTED);
}
