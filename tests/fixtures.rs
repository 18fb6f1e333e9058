//! libnumcodecs against the real numcodecs 0.16.6: every case in tests/fixtures/manifest.json (written by
//! tests/fixtures/generate.py) is run through the exported C functions, the way a C program calls them.
//!
//! Per case: the configuration prints exactly as numcodecs' get_config(); numcodecs' encoded bytes decode
//! to the expected bytes (into an exact-size buffer guarded by canary bytes, allocated, and refused with
//! NUMCODECS_BUFFER_TOO_SMALL one byte short); our encoding is numcodecs' bytes (gzip: except MTIME) and
//! decodes back. Configurations numcodecs refuses must be refused too. Every failure is collected; a
//! per-codec table is printed (`cargo test --test fixtures -- --nocapture` shows it on success too):
//! cases, cases whose config / decode / encode checks all passed, refused invalid configs, and "failing"
//! (cases with any failed check plus invalid configs we accepted).
//!
//! Codec chains (codec "pipeline") run the same way: their `config_in` is a JSON list of codec
//! configurations or a Zarr v2 `{"filters", "compressor"}` object, handed to numcodecs_codec_from_json as is.
//!
//! Regenerating the fixtures: see tests/fixtures/README.md.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::ptr;

use numcodecs::ffi::numcodecs_status::{self, *};
use numcodecs::ffi::{
    numcodecs_array_info, numcodecs_bytes_free, numcodecs_codec, numcodecs_codec_config, numcodecs_codec_free,
    numcodecs_codec_from_json, numcodecs_codec_id, numcodecs_decode, numcodecs_decode_alloc, numcodecs_decoded_size,
    numcodecs_decoded_array, numcodecs_decoded_info, numcodecs_encode, numcodecs_encode_alloc, numcodecs_encode_bound, numcodecs_last_error,
};
use serde_json::Value;

/// An emptied or truncated manifest must not pass: each codec needs at least this many cases (the
/// generator writes more) and a few refused configurations.
const MIN_CASES: &[(&str, usize)] = &[
    ("zlib", 40),
    ("gzip", 40),
    ("bz2", 35),
    ("lzma", 60),
    ("zstd", 50),
    ("lz4", 35),
    ("blosc", 80),
    ("crc32", 45),
    ("adler32", 45),
    ("crc32c", 45),
    ("fletcher32", 30),
    ("jenkins_lookup3", 45),
    ("base64", 25),
    // Codec chains: a list or Zarr v2 {"filters", "compressor"} object as config (generate.py's Chain).
    ("pipeline", 25),
    ("bitround", 50),
    ("packbits", 25),
    ("shuffle", 70),
    ("pcodec", 75),
    ("zfpy", 75),
    ("delta", 200),
    ("fixedscaleoffset", 220),
    ("quantize", 200),
    ("astype", 320),
    ("categorize", 25),
    ("json2", 120),
    ("msgpack2", 80),
];
/// Codecs whose streams record the array (json2 and msgpack2 write dtype and shape after the elements):
/// numcodecs_decoded_info must give the input's dtype and shape.
const TRAILER_CODECS: &[&str] = &["json2", "msgpack2"];
const MIN_INVALID_CONFIGS_PER_CODEC: usize = 3;
/// Codecs that write nothing for an empty chunk: base64 and the numeric filters (an empty array).
const EMPTY_OUTPUT_CODECS: &[&str] = &["base64", "delta", "fixedscaleoffset", "quantize", "astype", "categorize", "bitround", "shuffle", "pipeline"];
/// numcodecs 0.16.6 cannot decode the empty chunk these codecs write; we must (the cases say so).
const EMPTY_CHUNK_BUG_CODECS: &[&str] = &["zstd", "lz4", "blosc"];

/// Bytes after the part of a buffer we hand to the library; they must survive every call.
const CANARY: u8 = 0xA5;
const CANARY_LEN: usize = 64;
/// Above this input size the extra encode checks (exact-size and one-byte-short buffers) are skipped to
/// keep the test fast in debug builds; the large inputs still get the full decode and encode checks.
const EXTRA_ENCODE_CHECKS_MAX_INPUT: usize = 64 * 1024;
/// A failing test's panic message shows this many failures per codec (all of them go to stdout).
const FAILURES_PER_CODEC_IN_PANIC_MESSAGE: usize = 5;

// ---- the manifest --------------------------------------------------------------------------------

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read_fixture(relpath: &str) -> Vec<u8> {
    let path = fixtures_dir().join(relpath);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

struct Input {
    bytes: Vec<u8>,
    dtype: CString,
    shape: Vec<usize>,
}

impl Input {
    fn array_info(&self) -> numcodecs_array_info {
        numcodecs_array_info { dtype: self.dtype.as_ptr(), shape: self.shape.as_ptr(), ndim: self.shape.len() }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum EncodeMatch {
    Exact,
    /// gzip: numcodecs writes the current time into bytes 4..8 (MTIME); we write 0 (deterministic output).
    GzipMtime,
    /// A stream numcodecs decodes but does not write with this config: only config and decode are checked.
    DecodeOnly,
}

struct Case {
    codec: String,
    name: String,
    config_in: String,
    config: String,
    input: Option<String>,
    encoded: Vec<u8>,
    encode_match: EncodeMatch,
    /// None: the input's bytes.
    decoded_file: Option<String>,
    numcodecs_decode_error: Option<String>,
}

struct InvalidConfig {
    codec: String,
    config_in: String,
    input: String,
    /// "construct" or "encode": where numcodecs raised.
    stage: String,
    numcodecs_error: String,
}

struct Manifest {
    inputs: BTreeMap<String, Input>,
    cases: Vec<Case>,
    invalid_configs: Vec<InvalidConfig>,
}

fn string_field(value: &Value, key: &str, what: &str) -> String {
    value.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("{what}: missing string field {key:?}")).to_string()
}

fn optional_string_field(value: &Value, key: &str, what: &str) -> Option<String> {
    match value.get(key) {
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        other => panic!("{what}: field {key:?} must be a string or null, found {other:?}"),
    }
}

/// Loads tests/fixtures/manifest.json and checks that it is whole: pinned numcodecs version, every file
/// present and of the right size, enough cases per codec, the empty-chunk cases present.
fn load_manifest() -> Manifest {
    let text = String::from_utf8(read_fixture("manifest.json")).expect("manifest.json is UTF-8");
    let root: Value = serde_json::from_str(&text).expect("manifest.json parses");
    assert_eq!(root["numcodecs"], "0.16.6", "the fixtures must come from numcodecs 0.16.6");
    assert_eq!(root["generator"], "tests/fixtures/generate.py");

    let mut inputs = BTreeMap::new();
    for (name, entry) in root["inputs"].as_object().expect("\"inputs\" is an object") {
        let what = format!("input {name}");
        let bytes = read_fixture(&string_field(entry, "file", &what));
        let dtype = string_field(entry, "dtype", &what);
        let shape: Vec<usize> = entry["shape"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: shape is not an array"))
            .iter()
            .map(|d| d.as_u64().unwrap_or_else(|| panic!("{what}: bad extent {d}")) as usize)
            .collect();
        let itemsize = numcodecs::DType::parse(&dtype).unwrap_or_else(|e| panic!("{what}: dtype {dtype:?}: {e}")).itemsize();
        assert_eq!(bytes.len(), shape.iter().product::<usize>() * itemsize, "{what}: file size does not match dtype and shape");
        inputs.insert(name.clone(), Input { bytes, dtype: CString::new(dtype).unwrap(), shape });
    }

    let mut cases = Vec::new();
    for entry in root["cases"].as_array().expect("\"cases\" is an array") {
        let name = string_field(entry, "name", "case");
        let what = format!("case {name}");
        let input = optional_string_field(entry, "input", &what);
        if let Some(input) = &input {
            assert!(inputs.contains_key(input), "{what}: unknown input {input:?}");
        }
        let encode_match = match string_field(entry, "encode_match", &what).as_str() {
            "exact" => EncodeMatch::Exact,
            "gzip_mtime" => EncodeMatch::GzipMtime,
            "decode_only" => EncodeMatch::DecodeOnly,
            other => panic!("{what}: unknown encode_match {other:?}"),
        };
        assert!(input.is_some() || encode_match == EncodeMatch::DecodeOnly, "{what}: only decode_only cases may lack an input");
        let decoded = string_field(entry, "decoded", &what);
        let decoded_file = (decoded != "input").then_some(decoded);
        assert!(decoded_file.is_some() || input.is_some(), "{what}: \"decoded\": \"input\" without an input");
        if let Some(file) = &decoded_file {
            read_fixture(file);
        }
        cases.push(Case {
            codec: string_field(entry, "codec", &what),
            config_in: serde_json::to_string(&entry["config_in"]).unwrap(),
            config: string_field(entry, "config", &what),
            input,
            encoded: read_fixture(&string_field(entry, "encoded", &what)),
            encode_match,
            decoded_file,
            numcodecs_decode_error: optional_string_field(entry, "numcodecs_decode_error", &what),
            name,
        });
    }

    let mut invalid_configs = Vec::new();
    for entry in root["invalid_configs"].as_array().expect("\"invalid_configs\" is an array") {
        let what = format!("invalid config {}", entry["config_in"]);
        let stage = string_field(entry, "stage", &what);
        assert!(stage == "construct" || stage == "encode", "{what}: unknown stage {stage:?}");
        let input = string_field(entry, "input", &what);
        assert!(inputs.contains_key(&input), "{what}: unknown input {input:?}");
        invalid_configs.push(InvalidConfig {
            codec: string_field(entry, "codec", &what),
            config_in: serde_json::to_string(&entry["config_in"]).unwrap(),
            input,
            stage,
            numcodecs_error: string_field(entry, "numcodecs_error", &what),
        });
    }

    for &(codec, min) in MIN_CASES {
        let count = cases.iter().filter(|c| c.codec == codec).count();
        assert!(count >= min, "manifest has {count} {codec} cases, expected at least {min}: regenerate it");
        let decode_only = cases.iter().filter(|c| c.codec == codec && c.encode_match == EncodeMatch::DecodeOnly).count();
        assert!(decode_only >= 2, "manifest has {decode_only} decode_only {codec} cases, expected at least 2");
        let invalid = invalid_configs.iter().filter(|c| c.codec == codec).count();
        assert!(invalid >= MIN_INVALID_CONFIGS_PER_CODEC, "manifest has {invalid} invalid {codec} configs");
    }
    // pickle's byte side only decodes (numeric array pickles); its configurations are checked with the
    // object cases (tests/object_fixtures.rs).
    let numeric_pickles = cases.iter().filter(|c| c.codec == "pickle").count();
    assert!(numeric_pickles >= 30, "manifest has {numeric_pickles} numeric pickle cases, expected at least 30: regenerate it");
    for &codec in EMPTY_CHUNK_BUG_CODECS {
        assert!(
            cases.iter().any(|c| c.codec == codec
                && c.numcodecs_decode_error.is_some()
                && c.input.as_ref().is_some_and(|i| inputs[i].bytes.is_empty())),
            "manifest lacks the {codec} empty-chunk case that numcodecs 0.16.6 cannot decode"
        );
    }
    Manifest { inputs, cases, invalid_configs }
}

// ---- thin wrappers over the C functions ----------------------------------------------------------

fn status_name(status: numcodecs_status) -> String {
    // SAFETY: numcodecs_status_name returns a static NUL-terminated string for any value.
    unsafe { CStr::from_ptr(numcodecs::ffi::numcodecs_status_name(status as i32)) }.to_string_lossy().into_owned()
}

fn last_error() -> String {
    // SAFETY: never NULL; valid until the next call on this thread, and we copy it at once.
    unsafe { CStr::from_ptr(numcodecs_last_error()) }.to_string_lossy().into_owned()
}

/// A failed call: its status and `numcodecs_last_error()` right after it.
#[derive(Debug)]
struct CallError {
    status: numcodecs_status,
    message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?}", status_name(self.status), self.message)
    }
}

fn call(status: numcodecs_status) -> Result<(), CallError> {
    match status {
        NUMCODECS_OK => Ok(()),
        status => Err(CallError { status, message: last_error() }),
    }
}

struct Codec(*mut numcodecs_codec);

impl Drop for Codec {
    fn drop(&mut self) {
        // SAFETY: a live handle from numcodecs_codec_from_json, freed once.
        unsafe { numcodecs_codec_free(self.0) }
    }
}

/// What a call into a caller-provided buffer did: status, the `*_len` out-parameter (None if the
/// library left it untouched), the bytes written, and whether the canary after the buffer survived.
struct BufferCall {
    status: numcodecs_status,
    message: String,
    len_out: Option<usize>,
    bytes: Vec<u8>,
    canary_intact: bool,
}

impl BufferCall {
    fn ok_bytes(&self) -> Option<&[u8]> {
        (self.status == NUMCODECS_OK).then(|| &self.bytes[..self.len_out.unwrap_or(0).min(self.bytes.len())])
    }
}

/// Calls `f(dst, cap, &mut len_out)` with `cap` usable bytes followed by canary bytes.
fn with_buffer(cap: usize, f: impl FnOnce(*mut c_void, usize, *mut usize) -> numcodecs_status) -> BufferCall {
    const UNTOUCHED: usize = usize::MAX;
    let mut buffer = vec![CANARY; cap + CANARY_LEN];
    let mut len_out = UNTOUCHED;
    let status = f(buffer.as_mut_ptr().cast(), cap, &mut len_out);
    let message = if status == NUMCODECS_OK { String::new() } else { last_error() };
    let canary_intact = buffer[cap..].iter().all(|&b| b == CANARY);
    buffer.truncate(cap);
    BufferCall { status, message, len_out: (len_out != UNTOUCHED).then_some(len_out), bytes: buffer, canary_intact }
}

/// Copies and frees a buffer returned by an `_alloc` function.
fn take_allocated(ptr: *mut u8, len: usize) -> Result<Vec<u8>, String> {
    if ptr.is_null() {
        return Err("returned NUMCODECS_OK with a NULL buffer".into());
    }
    // SAFETY: on success the library returns `len` readable bytes, ours until numcodecs_bytes_free.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    // SAFETY: the pointer and length the _alloc call returned, freed once.
    unsafe { numcodecs_bytes_free(ptr, len) };
    Ok(bytes)
}

impl Codec {
    fn from_json(json: &str) -> Result<Codec, CallError> {
        let mut handle: *mut numcodecs_codec = ptr::null_mut();
        // SAFETY: json is valid for its length; handle is a valid out-pointer.
        call(unsafe { numcodecs_codec_from_json(json.as_ptr().cast::<c_char>(), json.len(), &mut handle) })?;
        assert!(!handle.is_null(), "numcodecs_codec_from_json returned NUMCODECS_OK and a NULL handle for {json}");
        Ok(Codec(handle))
    }

    fn id(&self) -> String {
        // SAFETY: a live handle; the id string lives as long as the handle.
        let id = unsafe { numcodecs_codec_id(self.0) };
        if id.is_null() {
            return "<NULL>".into();
        }
        unsafe { CStr::from_ptr(id) }.to_string_lossy().into_owned()
    }

    /// The configuration JSON, asked for the way the header documents: size query, then the buffer.
    fn config(&self) -> Result<String, String> {
        let mut len = 0usize;
        // SAFETY: NULL with capacity 0 is the documented size query; len is a valid out-pointer.
        let status = unsafe { numcodecs_codec_config(self.0, ptr::null_mut(), 0, &mut len) };
        if status != NUMCODECS_BUFFER_TOO_SMALL {
            return Err(format!("size query returned {} (expected NUMCODECS_BUFFER_TOO_SMALL): {:?}", status_name(status), last_error()));
        }
        let call = with_buffer(len + 1, |dst, cap, out| unsafe { numcodecs_codec_config(self.0, dst.cast(), cap, out) });
        if call.status != NUMCODECS_OK {
            return Err(format!("returned {}: {:?}", status_name(call.status), call.message));
        }
        if call.len_out != Some(len) || call.bytes[len] != 0 || !call.canary_intact {
            return Err(format!("length {:?} (size query said {len}), NUL terminator or canary wrong", call.len_out));
        }
        String::from_utf8(call.bytes[..len].to_vec()).map_err(|e| format!("not UTF-8: {e}"))
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize, CallError> {
        let mut size = 0usize;
        // SAFETY: src is valid for its length; size is a valid out-pointer.
        call(unsafe { numcodecs_decoded_size(self.0, src.as_ptr().cast(), src.len(), &mut size) })?;
        Ok(size)
    }

    fn decode_into(&self, src: &[u8], cap: usize) -> BufferCall {
        // SAFETY: src is valid for its length; dst has cap writable bytes (plus the canary).
        with_buffer(cap, |dst, cap, len| unsafe { numcodecs_decode(self.0, src.as_ptr().cast(), src.len(), dst, cap, len) })
    }

    fn decode_alloc(&self, src: &[u8]) -> Result<Vec<u8>, String> {
        let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
        // SAFETY: src is valid for its length; out and out_len are valid out-pointers.
        let status = unsafe { numcodecs_decode_alloc(self.0, src.as_ptr().cast(), src.len(), &mut out, &mut out_len) };
        call(status).map_err(|e| e.to_string())?;
        take_allocated(out, out_len)
    }

    fn encode_bound(&self, input: &Input) -> Result<usize, CallError> {
        let info = input.array_info();
        let mut bound = 0usize;
        // SAFETY: info points into `input`, alive for the call; bound is a valid out-pointer.
        call(unsafe { numcodecs_encode_bound(self.0, input.bytes.len(), &info, &mut bound) })?;
        Ok(bound)
    }

    fn encode_into(&self, input: &Input, cap: usize) -> BufferCall {
        let info = input.array_info();
        let src = &input.bytes;
        // SAFETY: src and info are valid for the call; dst has cap writable bytes (plus the canary).
        with_buffer(cap, |dst, cap, len| unsafe { numcodecs_encode(self.0, src.as_ptr().cast(), src.len(), &info, dst, cap, len) })
    }

    fn encode_alloc(&self, input: &Input) -> Result<Vec<u8>, CallError> {
        let info = input.array_info();
        let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
        // SAFETY: src and info are valid for the call; out and out_len are valid out-pointers.
        call(unsafe { numcodecs_encode_alloc(self.0, input.bytes.as_ptr().cast(), input.bytes.len(), &info, &mut out, &mut out_len) })?;
        take_allocated(out, out_len).map_err(|message| CallError { status: NUMCODECS_INTERNAL, message })
    }
}

// ---- the checks ----------------------------------------------------------------------------------

/// Failures of one case, each "check: what went wrong".
#[derive(Default)]
struct CaseOutcome {
    config_ok: bool,
    decode_ok: bool,
    /// None for decode_only cases.
    encode_ok: Option<bool>,
    failures: Vec<String>,
}

/// Where two byte strings first differ, for failure messages.
fn describe_difference(ours: &[u8], theirs: &[u8]) -> String {
    let first = ours.iter().zip(theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
    let window = |b: &[u8]| b.iter().skip(first).take(8).map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{} bytes vs numcodecs' {} bytes, first difference at offset {first} ({} vs {})",
        ours.len(),
        theirs.len(),
        window(ours),
        window(theirs)
    )
}

fn encoded_matches(mode: EncodeMatch, ours: &[u8], theirs: &[u8]) -> Result<(), String> {
    match mode {
        EncodeMatch::Exact if ours == theirs => Ok(()),
        EncodeMatch::Exact => Err(describe_difference(ours, theirs)),
        EncodeMatch::GzipMtime => {
            const MTIME: std::ops::Range<usize> = 4..8;
            if ours.get(MTIME).is_some_and(|mtime| mtime != [0, 0, 0, 0]) {
                return Err(format!("MTIME is {:02x?}, expected 0 (deterministic output)", &ours[MTIME]));
            }
            let without_mtime = |bytes: &[u8]| {
                let mut copy = bytes.to_vec();
                if let Some(mtime) = copy.get_mut(MTIME) {
                    mtime.fill(0);
                }
                copy
            };
            let (ours, theirs) = (without_mtime(ours), without_mtime(theirs));
            if ours == theirs {
                Ok(())
            } else {
                Err(format!("{} (MTIME ignored)", describe_difference(&ours, &theirs)))
            }
        }
        EncodeMatch::DecodeOnly => unreachable!("decode_only cases are not encoded"),
    }
}

fn check_config(case: &Case, codec: &Codec, failures: &mut Vec<String>) -> bool {
    let before = failures.len();
    if codec.id() != case.codec {
        failures.push(format!("config: numcodecs_codec_id is {:?}, expected {:?}", codec.id(), case.codec));
    }
    match codec.config() {
        Ok(config) if config == case.config => {}
        Ok(config) => failures.push(format!("config: from {} we print {config}, numcodecs prints {}", case.config_in, case.config)),
        Err(e) => failures.push(format!("config: numcodecs_codec_config {e}")),
    }
    // numcodecs' own get_config() output must be accepted and reproduce itself.
    match Codec::from_json(&case.config).map(|again| again.config()) {
        Ok(Ok(config)) if config == case.config => {}
        Ok(Ok(config)) => failures.push(format!("config: from numcodecs' config {} we print {config}", case.config)),
        Ok(Err(e)) => failures.push(format!("config: numcodecs_codec_config of the re-created codec {e}")),
        Err(e) => failures.push(format!("config: numcodecs_codec_from_json({}) -> {e}", case.config)),
    }
    failures.len() == before
}

fn check_decode(case: &Case, codec: &Codec, expected: &[u8], failures: &mut Vec<String>) -> bool {
    let before = failures.len();
    let src = &case.encoded;
    let bug = match &case.numcodecs_decode_error {
        Some(error) => format!(" (numcodecs 0.16.6 cannot decode this: {error}; we must)"),
        None => String::new(),
    };

    let known_size = match codec.decoded_size(src) {
        Ok(size) if size == expected.len() => Some(size),
        Ok(size) => {
            failures.push(format!("decode: numcodecs_decoded_size says {size}, expected {}", expected.len()));
            None
        }
        Err(e) if e.status == NUMCODECS_SIZE_UNKNOWN => None,
        Err(e) => {
            failures.push(format!("decode: numcodecs_decoded_size -> {e}{bug}"));
            None
        }
    };

    let exact = codec.decode_into(src, expected.len());
    match exact.ok_bytes() {
        None => failures.push(format!("decode: numcodecs_decode into {} bytes -> {}: {:?}{bug}", expected.len(), status_name(exact.status), exact.message)),
        Some(_) if exact.len_out != Some(expected.len()) => {
            failures.push(format!("decode: numcodecs_decode reports {:?} bytes, expected {}", exact.len_out, expected.len()))
        }
        Some(bytes) if bytes != expected => failures.push(format!("decode: numcodecs_decode gives {}", describe_difference(bytes, expected))),
        Some(_) => {}
    }
    if !exact.canary_intact {
        failures.push("decode: numcodecs_decode wrote past the end of the destination buffer".into());
    }

    match codec.decode_alloc(src) {
        Ok(bytes) if bytes == expected => {}
        Ok(bytes) => failures.push(format!("decode: numcodecs_decode_alloc gives {}", describe_difference(&bytes, expected))),
        Err(e) => failures.push(format!("decode: numcodecs_decode_alloc -> {e}{bug}")),
    }

    if !expected.is_empty() {
        let short = codec.decode_into(src, expected.len() - 1);
        if short.status != NUMCODECS_BUFFER_TOO_SMALL {
            failures.push(format!(
                "decode: into {} bytes (one short) returned {} instead of NUMCODECS_BUFFER_TOO_SMALL",
                expected.len() - 1,
                status_name(short.status)
            ));
        } else {
            if short.message.is_empty() {
                failures.push("decode: NUMCODECS_BUFFER_TOO_SMALL with an empty numcodecs_last_error()".into());
            }
            if known_size.is_some() && short.len_out != known_size {
                failures.push(format!("decode: one byte short, dst_len is {:?}, expected the needed size {}", short.len_out, expected.len()));
            }
        }
        if !short.canary_intact {
            failures.push("decode: numcodecs_decode wrote past the end of a too-small destination buffer".into());
        }
    }
    failures.len() == before
}

/// The dtype and shape numcodecs_decoded_info reads from the stream are the input's.
fn check_decoded_info(case: &Case, codec: &Codec, input: &Input, failures: &mut Vec<String>) -> bool {
    let mut info = numcodecs_decoded_array { dtype: [0; 32], ndim: usize::MAX, shape: [0; 32] };
    let status = unsafe { numcodecs_decoded_info(codec.0, case.encoded.as_ptr().cast(), case.encoded.len(), &mut info) };
    let dtype = unsafe { CStr::from_ptr(info.dtype.as_ptr()) }.to_string_lossy().into_owned();
    let expected_dtype = input.dtype.to_string_lossy();
    if status != NUMCODECS_OK || dtype != expected_dtype || info.shape[..info.ndim.min(32)] != input.shape[..] {
        failures.push(format!(
            "decoded_info: {} {dtype:?} {:?}, expected {expected_dtype:?} {:?}",
            status_name(status),
            &info.shape[..info.ndim.min(32)],
            input.shape
        ));
        return false;
    }
    true
}

/// `expected` is what numcodecs decodes its encoding to: the input, or for lossy codecs (bitround,
/// packbits of non-boolean bytes) the recorded decoded bytes.
fn check_encode(case: &Case, codec: &Codec, input: &Input, expected: &[u8], failures: &mut Vec<String>) -> bool {
    let before = failures.len();
    let bound = match codec.encode_bound(input) {
        Ok(bound) => bound,
        Err(e) => {
            failures.push(format!("encode: numcodecs_encode_bound -> {e}"));
            return false;
        }
    };
    let call = codec.encode_into(input, bound);
    if !call.canary_intact {
        failures.push(format!("encode: numcodecs_encode wrote past the end of its {bound}-byte buffer"));
    }
    let Some(ours) = call.ok_bytes().map(<[u8]>::to_vec) else {
        failures.push(format!("encode: numcodecs_encode into {bound} bytes (the bound) -> {}: {:?}", status_name(call.status), call.message));
        return false;
    };
    if call.len_out.map_or(true, |len| len > bound) {
        failures.push(format!("encode: numcodecs_encode reports {:?} bytes for a {bound}-byte buffer", call.len_out));
        return false;
    }
    if let Err(difference) = encoded_matches(case.encode_match, &ours, &case.encoded) {
        failures.push(format!("encode: numcodecs_encode gives {difference}"));
    }

    match codec.encode_alloc(input) {
        Ok(bytes) if bytes == ours => {}
        Ok(bytes) => failures.push(format!("encode: numcodecs_encode_alloc differs from numcodecs_encode: {}", describe_difference(&bytes, &ours))),
        Err(e) => failures.push(format!("encode: numcodecs_encode_alloc -> {e}")),
    }

    match codec.decode_alloc(&ours) {
        Ok(bytes) if bytes == expected => {}
        Ok(bytes) => failures.push(format!("encode: our encoding decodes to {}", describe_difference(&bytes, expected))),
        Err(e) => failures.push(format!("encode: decoding our own encoding -> {e}")),
    }

    if input.bytes.len() <= EXTRA_ENCODE_CHECKS_MAX_INPUT {
        // The encode_into contract: a buffer of exactly the encoded size suffices, one byte less does not.
        let exact = codec.encode_into(input, ours.len());
        if exact.ok_bytes() != Some(&ours[..]) || !exact.canary_intact {
            failures.push(format!(
                "encode: into exactly {} bytes -> {} {:?} (canary intact: {})",
                ours.len(),
                status_name(exact.status),
                exact.message,
                exact.canary_intact
            ));
        }
        if !ours.is_empty() {
            let short = codec.encode_into(input, ours.len() - 1);
            if short.status != NUMCODECS_BUFFER_TOO_SMALL || !short.canary_intact {
                failures.push(format!(
                    "encode: into {} bytes (one short) -> {} instead of NUMCODECS_BUFFER_TOO_SMALL (canary intact: {})",
                    ours.len() - 1,
                    status_name(short.status),
                    short.canary_intact
                ));
            } else if short.len_out.is_some_and(|needed| needed != ours.len()) {
                failures.push(format!("encode: one byte short, dst_len reports {:?} needed, expected {}", short.len_out, ours.len()));
            }
        }
    }
    failures.len() == before
}

fn run_case(manifest: &Manifest, case: &Case) -> CaseOutcome {
    let mut outcome = CaseOutcome::default();
    let codec = match Codec::from_json(&case.config_in) {
        Ok(codec) => codec,
        Err(e) => {
            outcome.failures.push(format!("config: numcodecs_codec_from_json({}) -> {e}", case.config_in));
            outcome.encode_ok = (case.encode_match != EncodeMatch::DecodeOnly).then_some(false);
            return outcome;
        }
    };
    outcome.config_ok = check_config(case, &codec, &mut outcome.failures);

    let input = case.input.as_ref().map(|name| &manifest.inputs[name]);
    let expected = match (&case.decoded_file, input) {
        (Some(file), _) => read_fixture(file),
        (None, Some(input)) => input.bytes.clone(),
        (None, None) => unreachable!("checked by load_manifest"),
    };
    outcome.decode_ok = check_decode(case, &codec, &expected, &mut outcome.failures);
    if let (true, Some(input)) = (TRAILER_CODECS.contains(&case.codec.as_str()), input) {
        outcome.decode_ok &= check_decoded_info(case, &codec, input, &mut outcome.failures);
    }

    if case.encode_match != EncodeMatch::DecodeOnly {
        let input = input.expect("checked by load_manifest");
        outcome.encode_ok = Some(check_encode(case, &codec, input, &expected, &mut outcome.failures));
    }
    outcome
}

/// Statuses that count as refusing a configuration numcodecs refuses at `stage`.
fn refusal_ok(stage: &str, at_construction: bool, status: numcodecs_status) -> bool {
    match (stage, at_construction) {
        (_, true) if status == NUMCODECS_INVALID_CONFIG => true,
        // numcodecs only notices at the first encode; refusing then is as good as refusing earlier.
        ("encode", true) => status == NUMCODECS_UNSUPPORTED,
        ("encode", false) => matches!(status, NUMCODECS_INVALID_CONFIG | NUMCODECS_INVALID_ARGUMENT | NUMCODECS_UNSUPPORTED),
        _ => false,
    }
}

fn check_invalid_config(manifest: &Manifest, invalid: &InvalidConfig) -> Result<(), String> {
    let numcodecs_says = format!("numcodecs refuses it at {}: {}", invalid.stage, invalid.numcodecs_error);
    let codec = match Codec::from_json(&invalid.config_in) {
        Err(e) if !refusal_ok(&invalid.stage, true, e.status) => return Err(format!("refused with {e}, not NUMCODECS_INVALID_CONFIG; {numcodecs_says}")),
        Err(e) if e.message.is_empty() => return Err(format!("refused with {} but an empty numcodecs_last_error()", status_name(e.status))),
        Err(_) => return Ok(()),
        Ok(codec) => codec,
    };
    if invalid.stage == "construct" {
        return Err(format!("accepted at construction; {numcodecs_says}"));
    }
    let input = &manifest.inputs[&invalid.input];
    match codec.encode_alloc(input) {
        Ok(_) => Err(format!("accepted, and encoding {} succeeded; {numcodecs_says}", invalid.input)),
        Err(e) if !refusal_ok(&invalid.stage, false, e.status) => Err(format!("encoding {} failed with {e}; {numcodecs_says}", invalid.input)),
        Err(e) if e.message.is_empty() => Err(format!("encoding failed with {} but an empty numcodecs_last_error()", status_name(e.status))),
        Err(_) => Ok(()),
    }
}

// ---- the tests -----------------------------------------------------------------------------------

#[derive(Default)]
struct CodecRow {
    cases: usize,
    config_ok: usize,
    decode_ok: usize,
    encode_cases: usize,
    encode_ok: usize,
    invalid: usize,
    invalid_refused: usize,
    failing: usize,
}

fn table(rows: &BTreeMap<String, CodecRow>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<15} {:>6} {:>10} {:>10} {:>13} {:>16} {:>8}", "codec", "cases", "config ok", "decode ok", "encode exact", "invalid refused", "failing");
    for (codec, row) in rows {
        let _ = writeln!(
            out,
            "{:<15} {:>6} {:>10} {:>10} {:>13} {:>16} {:>8}",
            codec,
            row.cases,
            row.config_ok,
            row.decode_ok,
            format!("{}/{}", row.encode_ok, row.encode_cases),
            format!("{}/{}", row.invalid_refused, row.invalid),
            row.failing
        );
    }
    out
}

#[test]
fn manifest_is_complete() {
    let manifest = load_manifest();
    // Every case file decodes to something: the decode_only cases name their bytes, the others an input.
    for case in &manifest.cases {
        // base64 and the numeric filters encode an empty chunk to nothing.
        let empty_input = case.input.as_ref().is_some_and(|i| manifest.inputs[i].bytes.is_empty());
        let may_be_empty = EMPTY_OUTPUT_CODECS.contains(&case.codec.as_str()) && (empty_input || case.encode_match == EncodeMatch::DecodeOnly);
        assert!(!case.encoded.is_empty() || may_be_empty, "{}: empty encoded file", case.name);
        let config: Value = serde_json::from_str(&case.config).unwrap_or_else(|e| panic!("{}: config is not JSON: {e}", case.name));
        if case.codec == "pipeline" {
            let is_chain = config.is_array() || (config.get("filters").is_some() && config.get("compressor").is_some());
            assert!(is_chain, "{}: a pipeline's config is a list or a Zarr v2 {{filters, compressor}} object", case.name);
        } else {
            assert_eq!(config["id"], case.codec.as_str(), "{}: config id", case.name);
        }
    }
}

#[test]
fn fixtures_match_numcodecs() {
    let manifest = load_manifest();
    let mut rows: BTreeMap<String, CodecRow> = BTreeMap::new();
    let mut failures = Vec::new();

    for case in &manifest.cases {
        let outcome = run_case(&manifest, case);
        let row = rows.entry(case.codec.clone()).or_default();
        row.cases += 1;
        row.config_ok += usize::from(outcome.config_ok);
        row.decode_ok += usize::from(outcome.decode_ok);
        if let Some(ok) = outcome.encode_ok {
            row.encode_cases += 1;
            row.encode_ok += usize::from(ok);
        }
        if !outcome.failures.is_empty() {
            row.failing += 1;
            failures.extend(outcome.failures.iter().map(|f| format!("{}/{}: {f}", case.codec, case.name)));
        }
    }
    for invalid in &manifest.invalid_configs {
        let row = rows.entry(invalid.codec.clone()).or_default();
        row.invalid += 1;
        match check_invalid_config(&manifest, invalid) {
            Ok(()) => row.invalid_refused += 1,
            Err(e) => {
                row.failing += 1;
                failures.push(format!("{}/invalid {}: {e}", invalid.codec, invalid.config_in));
            }
        }
    }

    let summary = table(&rows);
    println!("libnumcodecs vs numcodecs 0.16.6 fixtures ({} cases, {} invalid configs)\n{summary}", manifest.cases.len(), manifest.invalid_configs.len());
    for failure in &failures {
        println!("FAIL {failure}");
    }
    if !failures.is_empty() {
        let mut shown = Vec::new();
        let mut per_codec: BTreeMap<&str, usize> = BTreeMap::new();
        for failure in &failures {
            let count = per_codec.entry(failure.split('/').next().unwrap_or("")).or_default();
            *count += 1;
            if *count <= FAILURES_PER_CODEC_IN_PANIC_MESSAGE {
                shown.push(failure.as_str());
            }
        }
        panic!(
            "{} fixture checks failed (the first {FAILURES_PER_CODEC_IN_PANIC_MESSAGE} per codec below; all of them on stdout, \
             see `cargo test --test fixtures -- --nocapture`)\n{summary}\n{}",
            failures.len(),
            shown.join("\n")
        );
    }
}

#[test]
fn base64_decodes_what_numcodecs_decodes_and_refuses_the_rest() {
    // tests/fixtures/base64_lenient.json (written by generate.py): short random strings of alphabet
    // characters, '=', whitespace and bytes outside the alphabet, each with numcodecs' decoded bytes (hex)
    // or null where numcodecs raises (binascii.Error: incorrect padding, or an invalid length).
    let cases: Vec<(String, Option<String>)> =
        serde_json::from_slice(&read_fixture("base64_lenient.json")).expect("base64_lenient.json parses");
    assert!(cases.len() >= 1000, "base64_lenient.json has only {} cases: regenerate it", cases.len());
    let hex = |text: &str| (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect::<Vec<u8>>();
    let codec = Codec::from_json(r#"{"id":"base64"}"#).unwrap();
    let (mut accepted, mut refused, mut failures) = (0, 0, Vec::new());
    for (encoded, expected) in &cases {
        let src = hex(encoded);
        // Room for as many bytes as the input has: always enough for base64.
        let ours = codec.decode_into(&src, src.len());
        match (expected, ours.ok_bytes()) {
            (Some(expected), Some(bytes)) if hex(expected) == bytes && ours.canary_intact => accepted += 1,
            (None, None) if ours.status == NUMCODECS_CORRUPT_DATA && !ours.message.is_empty() => refused += 1,
            (expected, bytes) => failures.push(format!("{encoded}: numcodecs gives {expected:?}, we give {} {bytes:02x?} {:?}", status_name(ours.status), ours.message)),
        }
    }
    println!("base64 lenient decoding: {accepted} accepted and {refused} refused as numcodecs does, {} differ", failures.len());
    assert!(accepted > 100 && refused > 100, "the cases must exercise both outcomes");
    assert!(failures.is_empty(), "{} of {} differ from numcodecs:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
