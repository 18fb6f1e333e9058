//! The properties the fuzz targets check, one function per target, each taking the fuzzer's raw bytes.
//!
//! Everything goes through the exported `extern "C"` functions of `numcodecs::ffi`, the way a C caller
//! uses them. A violated property panics. Under libFuzzer that panic aborts (libfuzzer-sys installs an
//! aborting panic hook, so even a panic the FFI guard would catch inside the library is a crash); in
//! tests/fuzz_regressions.rs, which includes this file with `#[path]`, it fails the test. This file
//! therefore depends on nothing but `numcodecs` and std.
//!
//! Input layouts (fuzz/seed.sh builds seed corpora in exactly these layouts):
//! - decode:        [config selector] [encoded bytes...]
//! - roundtrip:     [config selector] [dtype selector] [shape selector] [array bytes...]
//! - config:        [JSON text...]
//! - blosc_helpers: [start] [nitems] [capacity selector] [blosc buffer...]
//! - items:         [object config selector] [mode: odd also encodes the payload split into items] [bytes...]
//!
//! A config selector is an index (modulo the list length) into fuzz/configs.txt.

use std::ffi::{c_char, CStr};
use std::ptr;

use numcodecs::ffi::numcodecs_status::{self, *};
use numcodecs::ffi::*;

/// One configuration per codec family the decoders distinguish (every compressor; lzma's formats and
/// every raw filter chain the fixtures use; zstd with and without checksum; blosc's cnames x shuffles).
pub const CONFIGS: &str = include_str!("../configs.txt");

/// Bytes written after every destination buffer's capacity; they must be intact after each call.
const CANARY: u8 = 0xA5;
const CANARY_LEN: usize = 64;

/// Buffers larger than this are not allocated by the harness itself (the library may still allocate up
/// to its own limit in the `_alloc` calls).
const HARNESS_MAX_BUFFER: usize = 64 << 20;

/// The decoded-size limit of every handle the targets create. Far below the 4 GiB default, so that
/// fuzz.sh can run libFuzzer with -malloc_limit_mb=512: any allocation the limit does not bound (the
/// lzma dictionary included: at most this plus 64 MiB) is reported as a finding. Small enough too that
/// a decompression bomb that expands to just under it, decoded six times per input by the decode target
/// under AddressSanitizer, stays far inside libFuzzer's 30 s timeout (at 64 MiB, one CI run's decode
/// target timed out; a 60 MiB pcodec bomb takes about 10 s there, bz2 7 s, zlib and lzma 4 s).
pub const FUZZ_MAX_DECODED_SIZE: usize = 16 << 20;

pub fn configs() -> Vec<&'static str> {
    CONFIGS.lines().filter(|line| !line.trim().is_empty()).collect()
}

/// The configuration a selector byte picks.
pub fn select_config(selector: u8) -> &'static str {
    let list = configs();
    list[selector as usize % list.len()]
}

pub fn last_error() -> String {
    // SAFETY: numcodecs_last_error never returns NULL and the string lives until the next call.
    unsafe { CStr::from_ptr(numcodecs_last_error()) }.to_string_lossy().into_owned()
}

/// Asserts that `status` is one of `allowed` and that the thread's error message matches it (empty on
/// success, non-empty on failure).
fn expect_status(status: numcodecs_status, allowed: &[numcodecs_status], what: &str) {
    let message = last_error();
    assert!(allowed.contains(&status), "{what}: status {status:?} is not one of {allowed:?}: {message}");
    if status == NUMCODECS_OK {
        assert!(message.is_empty(), "{what}: OK but last_error is {message:?}");
    } else {
        assert!(!message.is_empty(), "{what}: {status:?} without a message");
    }
}

/// A codec handle that frees itself.
pub struct Handle(*mut numcodecs_codec);

impl Handle {
    pub fn from_json(json: &[u8]) -> Result<Handle, numcodecs_status> {
        let mut out = ptr::null_mut();
        // SAFETY: json is a live slice; out is a valid out-parameter.
        let status = unsafe { numcodecs_codec_from_json(json.as_ptr().cast(), json.len(), &mut out) };
        if status == NUMCODECS_OK {
            assert!(!out.is_null(), "from_json: OK with a NULL handle");
            // SAFETY: a live handle.
            let status = unsafe { numcodecs_codec_set_max_decoded_size(out, FUZZ_MAX_DECODED_SIZE) };
            assert_eq!(status, NUMCODECS_OK, "set_max_decoded_size");
            Ok(Handle(out))
        } else {
            assert!(out.is_null(), "from_json: {status:?} but the handle was written");
            Err(status)
        }
    }

    pub fn new(json: &str) -> Handle {
        Handle::from_json(json.as_bytes()).unwrap_or_else(|status| panic!("{json}: {status:?}: {}", last_error()))
    }

    /// The configuration JSON, read with the size query first (NULL, 0) as the header documents.
    pub fn config(&self) -> String {
        let mut len = usize::MAX;
        // SAFETY: NULL with cap 0 is the documented size query.
        let status = unsafe { numcodecs_codec_config(self.0, ptr::null_mut(), 0, &mut len) };
        expect_status(status, &[NUMCODECS_BUFFER_TOO_SMALL], "config size query");
        let mut buffer = vec![CANARY; len + 1 + CANARY_LEN];
        let mut written = usize::MAX;
        // SAFETY: buffer has len + 1 writable bytes.
        let status = unsafe { numcodecs_codec_config(self.0, buffer.as_mut_ptr().cast::<c_char>(), len + 1, &mut written) };
        expect_status(status, &[NUMCODECS_OK], "config");
        assert_eq!(written, len, "config: the size query and the real call disagree");
        assert_eq!(buffer[len], 0, "config: no NUL terminator");
        assert!(buffer[len + 1..].iter().all(|&b| b == CANARY), "config: wrote past cap");
        String::from_utf8(buffer[..len].to_vec()).expect("config is not UTF-8")
    }

    pub fn id(&self) -> String {
        // SAFETY: a live handle; the id is NUL-terminated and owned by the handle.
        let id = unsafe { numcodecs_codec_id(self.0) };
        assert!(!id.is_null(), "codec_id: NULL for a live handle");
        // SAFETY: non-NULL, NUL-terminated.
        unsafe { CStr::from_ptr(id) }.to_str().expect("codec id is not UTF-8").to_owned()
    }

    pub fn decoded_size(&self, src: &[u8]) -> Result<usize, numcodecs_status> {
        let mut size = 0xDEAD_BEEF_usize;
        // SAFETY: live slice and out-parameter.
        let status = unsafe { numcodecs_decoded_size(self.0, src.as_ptr().cast(), src.len(), &mut size) };
        // UNSUPPORTED: a stream of a newer format version than the codec's library reads (pcodec).
        expect_status(status, &[NUMCODECS_OK, NUMCODECS_SIZE_UNKNOWN, NUMCODECS_CORRUPT_DATA, NUMCODECS_LIMIT_EXCEEDED, NUMCODECS_UNSUPPORTED], "decoded_size");
        if status == NUMCODECS_OK {
            Ok(size)
        } else {
            assert_eq!(size, 0xDEAD_BEEF, "decoded_size: {status:?} but the size was written");
            Err(status)
        }
    }

    pub fn decode_alloc(&self, src: &[u8]) -> Result<Vec<u8>, numcodecs_status> {
        let (mut out, mut out_len) = (ptr::null_mut(), 0xDEAD_BEEF_usize);
        // SAFETY: live slice and out-parameters.
        let status = unsafe { numcodecs_decode_alloc(self.0, src.as_ptr().cast(), src.len(), &mut out, &mut out_len) };
        expect_status(status, &[NUMCODECS_OK, NUMCODECS_CORRUPT_DATA, NUMCODECS_LIMIT_EXCEEDED, NUMCODECS_UNSUPPORTED], "decode_alloc");
        if status != NUMCODECS_OK {
            assert!(out.is_null() && out_len == 0xDEAD_BEEF, "decode_alloc: {status:?} but outputs were written");
            return Err(status);
        }
        assert!(!out.is_null(), "decode_alloc: OK with a NULL buffer");
        assert_eq!(out as usize % 16, 0, "decode_alloc: buffer not 16-byte aligned");
        // SAFETY: the library returned out_len readable bytes at out.
        let decoded = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
        // SAFETY: returned by an _alloc call, freed once.
        unsafe { numcodecs_bytes_free(out, out_len) };
        Ok(decoded)
    }

    /// `numcodecs_decode` into a buffer of `cap` bytes followed by canaries; the canaries must survive.
    pub fn decode_into(&self, src: &[u8], cap: usize) -> (numcodecs_status, Vec<u8>, usize) {
        let mut dst = vec![CANARY; cap + CANARY_LEN];
        let mut dst_len = 0xDEAD_BEEF_usize;
        // SAFETY: dst has cap writable bytes (plus canaries the library must not touch).
        let status = unsafe { numcodecs_decode(self.0, src.as_ptr().cast(), src.len(), dst.as_mut_ptr().cast(), cap, &mut dst_len) };
        expect_status(
            status,
            &[NUMCODECS_OK, NUMCODECS_BUFFER_TOO_SMALL, NUMCODECS_CORRUPT_DATA, NUMCODECS_LIMIT_EXCEEDED, NUMCODECS_UNSUPPORTED],
            &format!("decode into {cap} bytes"),
        );
        assert!(dst[cap..].iter().all(|&b| b == CANARY), "decode into {cap} bytes ({status:?}) wrote past dst_cap");
        match status {
            NUMCODECS_OK => assert!(dst_len <= cap, "decode: dst_len {dst_len} > cap {cap}"),
            NUMCODECS_BUFFER_TOO_SMALL => {
                assert!(dst_len == 0xDEAD_BEEF || dst_len > cap, "decode: BUFFER_TOO_SMALL reports a needed size {dst_len} <= cap {cap}")
            }
            _ => assert_eq!(dst_len, 0xDEAD_BEEF, "decode: {status:?} but dst_len was written"),
        }
        dst.truncate(cap);
        (status, dst, dst_len)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: a live handle, freed once.
        unsafe { numcodecs_codec_free(self.0) }
    }
}

/// decode: decoded_size, decode into caller buffers of several capacities, and decode_alloc must give
/// documented statuses, never write past the buffer, and agree with each other.
pub fn decode(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else { return };
    let config = select_config(selector);
    let codec = Handle::new(config);
    let size = codec.decoded_size(input);
    let allocated = codec.decode_alloc(input);

    if let Ok(decoded) = &allocated {
        assert!(decoded.len() <= FUZZ_MAX_DECODED_SIZE, "{config}: decoded {} bytes, over the handle's limit", decoded.len());
    }
    if let (Ok(size), Ok(decoded)) = (&size, &allocated) {
        assert_eq!(*size, decoded.len(), "{config}: decoded_size says {size} but decode_alloc gave {} bytes", decoded.len());
    }
    if let (Err(NUMCODECS_CORRUPT_DATA | NUMCODECS_LIMIT_EXCEEDED), Ok(decoded)) = (&size, &allocated) {
        panic!("{config}: decoded_size refused the header ({size:?}) but decode_alloc decoded {} bytes", decoded.len());
    }

    // Capacities: the exact size, one byte short, and a roomy buffer.
    let exact = match (&size, &allocated) {
        (_, Ok(decoded)) => Some(decoded.len()),
        (Ok(size), _) => Some(*size),
        _ => None,
    };
    let mut caps = vec![4096];
    if let Some(exact) = exact.filter(|&n| n <= HARNESS_MAX_BUFFER) {
        caps.push(exact);
        if exact > 0 {
            caps.push(exact - 1);
        }
        caps.push(exact + 100);
    }
    for cap in caps {
        let (status, dst, dst_len) = codec.decode_into(input, cap);
        match (&allocated, status) {
            (Ok(decoded), NUMCODECS_OK) => {
                assert_eq!(&dst[..dst_len], &decoded[..], "{config}: decode into {cap} bytes and decode_alloc disagree")
            }
            (Ok(decoded), NUMCODECS_BUFFER_TOO_SMALL) => {
                assert!(cap < decoded.len(), "{config}: BUFFER_TOO_SMALL with cap {cap} for {} decoded bytes", decoded.len())
            }
            (Ok(decoded), other) => panic!("{config}: decode_alloc gave {} bytes but decode into {cap} bytes gave {other:?}", decoded.len()),
            (Err(alloc_status), NUMCODECS_OK) => panic!("{config}: decode into {cap} bytes succeeded but decode_alloc gave {alloc_status:?}"),
            (Err(_), _) => {}
        }
    }
}

/// The largest lzma dictionary the config target encodes with (preset 9's): its encoder takes about
/// 700 MiB, within fuzz.sh's -malloc_limit_mb for this target.
const ENCODER_DICT_SIZE_PROBED: u64 = 64 << 20;

/// The largest `"dict_size":N` in a printed configuration (0 if none).
fn largest_dict_size(config: &str) -> u64 {
    config
        .split(r#""dict_size":"#)
        .skip(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(u64::MAX))
        .max()
        .unwrap_or(0)
}

/// The dtypes the roundtrip target picks from: every kind, both byte orders, item sizes from 1 to 300.
pub const DTYPES: &[&str] = &["|u1", "|b1", "|i1", "<i2", ">i2", "<u4", ">i8", "<f2", "<f4", ">f8", "<c16", "|S3", "<U2", "<M8[ns]", "|V300"];

/// roundtrip: encode_bound + encode and encode_alloc agree byte for byte, a buffer of exactly the
/// encoded size suffices and one byte less does not, and decoding gives the input back exactly.
pub fn roundtrip(data: &[u8]) {
    let [selector, dtype_selector, shape_selector, payload @ ..] = data else { return };
    // lzma format 0 (auto) only decodes, and pickle decodes numeric arrays but encodes only object arrays
    // (the item calls); every other configuration must encode.
    let encoders: Vec<&str> = configs().into_iter().filter(|c| !c.contains(r#""format":0"#) && !c.contains(r#""id":"pickle""#)).collect();
    let config = encoders[*selector as usize % encoders.len()];
    let dtype = DTYPES[*dtype_selector as usize % DTYPES.len()];
    let dtype_c = format!("{dtype}\0");
    let itemsize = match dtype {
        "<U2" => 8, // U counts 4-byte characters
        "<M8[ns]" => 8,
        _ => dtype[2..].parse::<usize>().expect("DTYPES entries end in their item size"),
    };
    let items = payload.len() / itemsize;
    let payload = &payload[..items * itemsize];
    // Shape: none (1-D over the buffer), 1-D, or 2-D with a divisor of the item count as first extent.
    let shape: Option<Vec<usize>> = match shape_selector % 3 {
        0 => None,
        1 => Some(vec![items]),
        _ if items == 0 => Some(vec![0, usize::from(*shape_selector)]),
        _ => {
            let mut rows = 1 + usize::from(shape_selector / 3) % items;
            while items % rows != 0 {
                rows -= 1;
            }
            Some(vec![rows, items / rows])
        }
    };
    let info = numcodecs_array_info {
        dtype: dtype_c.as_ptr().cast(),
        shape: shape.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        ndim: shape.as_ref().map_or(0, |s| s.len()),
    };
    let what = format!("{config} {dtype} shape {shape:?} ({} bytes)", payload.len());
    let codec = Handle::new(config);

    // Filters that need particular arrays (bitround: floats; shuffle: whole elements) refuse others,
    // with a status and a message, and consistently through both encode paths. UNSUPPORTED: arrays
    // numcodecs takes and we do not (json2/msgpack2 on string and datetime arrays), or values it refuses
    // too (json2 with allow_nan false on NaN, msgpack2's float32 overflow) as INVALID_ARGUMENT.
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    // SAFETY: live slices and out-parameters.
    let status = unsafe { numcodecs_encode_alloc(codec.0, payload.as_ptr().cast(), payload.len(), &info, &mut out, &mut out_len) };
    if status == NUMCODECS_INVALID_ARGUMENT || status == NUMCODECS_UNSUPPORTED {
        let refused = status;
        assert!(!last_error().is_empty(), "{what}: refused without a message");
        assert!(out.is_null(), "{what}: refused but wrote the output");
        let mut dst = vec![0u8; 1 << 16];
        let mut dst_len = 0usize;
        // SAFETY: live slices; dst has its length of writable bytes.
        let status = unsafe { numcodecs_encode(codec.0, payload.as_ptr().cast(), payload.len(), &info, dst.as_mut_ptr().cast(), dst.len(), &mut dst_len) };
        assert_eq!(status, refused, "{what}: encode_alloc refused the array but encode did not");
        return;
    }
    expect_status(status, &[NUMCODECS_OK], &format!("{what}: first encode_alloc"));
    // SAFETY: returned by an _alloc call, freed once.
    unsafe { numcodecs_bytes_free(out, out_len) };

    let mut bound = 0usize;
    // SAFETY: live handle, info and out-parameter.
    let status = unsafe { numcodecs_encode_bound(codec.0, payload.len(), &info, &mut bound) };
    expect_status(status, &[NUMCODECS_OK], &format!("{what}: encode_bound"));
    assert!(bound <= HARNESS_MAX_BUFFER, "{what}: encode bound {bound} for {} bytes", payload.len());

    let encode_into = |cap: usize| -> (numcodecs_status, Vec<u8>, usize) {
        let mut dst = vec![CANARY; cap + CANARY_LEN];
        let mut dst_len = 0xDEAD_BEEF_usize;
        // SAFETY: live slices; dst has cap writable bytes.
        let status = unsafe { numcodecs_encode(codec.0, payload.as_ptr().cast(), payload.len(), &info, dst.as_mut_ptr().cast(), cap, &mut dst_len) };
        expect_status(status, &[NUMCODECS_OK, NUMCODECS_BUFFER_TOO_SMALL], &format!("{what}: encode into {cap} bytes"));
        assert!(dst[cap..].iter().all(|&b| b == CANARY), "{what}: encode into {cap} bytes wrote past dst_cap");
        dst.truncate(cap);
        (status, dst, dst_len)
    };
    let (status, dst, encoded_len) = encode_into(bound);
    assert_eq!(status, NUMCODECS_OK, "{what}: encode into encode_bound bytes: {}", last_error());
    assert!(encoded_len <= bound, "{what}: encoded {encoded_len} bytes > bound {bound}");
    let encoded = dst[..encoded_len].to_vec();

    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    // SAFETY: live slices and out-parameters.
    let status = unsafe { numcodecs_encode_alloc(codec.0, payload.as_ptr().cast(), payload.len(), &info, &mut out, &mut out_len) };
    expect_status(status, &[NUMCODECS_OK], &format!("{what}: encode_alloc"));
    assert!(!out.is_null(), "{what}: encode_alloc OK with a NULL buffer");
    // SAFETY: the library returned out_len bytes at out.
    let allocated = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
    // SAFETY: returned by an _alloc call, freed once.
    unsafe { numcodecs_bytes_free(out, out_len) };
    assert_eq!(allocated, encoded, "{what}: encode and encode_alloc differ");

    let (status, dst, len) = encode_into(encoded_len);
    assert_eq!(status, NUMCODECS_OK, "{what}: encode into exactly {encoded_len} bytes: {}", last_error());
    assert_eq!(&dst[..len], &encoded[..], "{what}: encode into an exact buffer gave other bytes");
    if encoded_len > 0 {
        let (status, _, needed) = encode_into(encoded_len - 1);
        assert_eq!(status, NUMCODECS_BUFFER_TOO_SMALL, "{what}: encode into {} bytes (one short)", encoded_len - 1);
        assert!(needed == 0xDEAD_BEEF || needed >= encoded_len, "{what}: one short reports needed {needed}");
    }

    match codec.decoded_size(&encoded) {
        Ok(size) => assert_eq!(size, payload.len(), "{what}: decoded_size of our own encoding"),
        Err(status) => assert_eq!(status, NUMCODECS_SIZE_UNKNOWN, "{what}: decoded_size of our own encoding: {}", last_error()),
    }
    let decoded = codec.decode_alloc(&encoded).unwrap_or_else(|s| panic!("{what}: decode_alloc of our own encoding: {s:?}: {}", last_error()));
    let (status, dst, len) = codec.decode_into(&encoded, payload.len());
    assert_eq!(status, NUMCODECS_OK, "{what}: decode into exactly {} bytes: {}", payload.len(), last_error());
    assert_eq!(&dst[..len], &decoded[..], "{what}: decode and decode_alloc disagree");
    if LOSSY_IDS.iter().any(|id| config.contains(&format!(r#"{{"id":"{id}""#))) {
        // Lossy filters give an approximation of the input; it must be a fixed point: encoding what
        // they decoded gives the same encoding. Not for fixedscaleoffset of integers: NumPy computes
        // `(x - offset) * scale` in the integer dtype, which wraps for large x, and numcodecs' own
        // encode(decode(encode(x))) then differs from encode(x) too (checked with numcodecs 0.16.6 on
        // tests/fuzz_regressions/roundtrip/fixedscaleoffset-i4-wraps-so-no-fixed-point).
        assert_eq!(decoded.len(), payload.len(), "{what}: a lossy decode changed the length");
        if config.contains(r#""id":"fixedscaleoffset""#) && !config.contains(r#""dtype":"<f"#) && !config.contains(r#""dtype":">f"#) {
            return;
        }
        let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
        // SAFETY: live slices and out-parameters.
        let status = unsafe { numcodecs_encode_alloc(codec.0, decoded.as_ptr().cast(), decoded.len(), &info, &mut out, &mut out_len) };
        expect_status(status, &[NUMCODECS_OK], &format!("{what}: encoding the decoded array"));
        // SAFETY: the library returned out_len bytes at out; freed once.
        let again = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
        unsafe { numcodecs_bytes_free(out, out_len) };
        assert_eq!(again, encoded, "{what}: encoding the decoded array gave other bytes");
    } else {
        assert_eq!(decoded, payload, "{what}: decode_alloc did not give the input back");
    }
}

/// Codecs that give any bytes back exactly, whatever their configuration (the config target).
const LOSSLESS_IDS: &[&str] = &[
    "zlib", "gzip", "bz2", "lzma", "zstd", "lz4", "blosc", "crc32", "adler32", "crc32c", "fletcher32", "jenkins_lookup3", "base64", "shuffle",
];

/// The codec ids a printed configuration (one codec or a chain) names: `"id":"x"` and `"name":"numcodecs.x"`.
fn codec_ids(printed: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for marker in [r#""id":""#, r#""name":"numcodecs."#] {
        for rest in printed.split(marker).skip(1) {
            ids.push(rest.split('"').next().unwrap_or_default().to_string());
        }
    }
    ids
}

/// Codecs whose decode gives an approximation of the input (see the roundtrip target).
/// json2 and msgpack2 are lossless but for NaN payloads, which JSON's `NaN` and Python's float32 -> float
/// conversion do not keep; the fixed-point property holds for them.
const LOSSY_IDS: &[&str] = &["bitround", "packbits", "fixedscaleoffset", "quantize", "astype", "json2", "msgpack2", "categorize"];

/// A small, compressible and not entirely regular buffer that codecs created by the config target encode.
fn probe_data() -> Vec<u8> {
    (0..1024u32).map(|i| (i / 7 ^ i.wrapping_mul(2654435761) >> 28) as u8).collect()
}

/// config: any bytes as a configuration; when accepted, the printed configuration is accepted again and
/// prints identically, the id matches, and the codec round-trips a small buffer.
pub fn config(data: &[u8]) {
    let codec = match Handle::from_json(data) {
        Ok(codec) => codec,
        Err(status) => {
            // UNSUPPORTED: configurations numcodecs accepts that we do not (e.g. datetime dtypes in the filters).
            expect_status(status, &[NUMCODECS_INVALID_CONFIG, NUMCODECS_UNKNOWN_CODEC, NUMCODECS_UNSUPPORTED], "from_json");
            return;
        }
    };
    let printed = codec.config();
    let id = codec.id();
    if id == "pipeline" {
        // A codec chain prints as a list or as a Zarr v2 {"filters", "compressor"} object.
        assert!(printed.starts_with('[') || printed.starts_with(r#"{"filters":"#), "chain config {printed} is neither a list nor a Zarr v2 object");
    } else {
        assert!(printed.starts_with(&format!(r#"{{"id":"{id}""#)), "config {printed} does not start with its id {id:?}");
    }
    let again = Handle::from_json(printed.as_bytes())
        .unwrap_or_else(|status| panic!("the printed config {printed} is refused: {status:?}: {}", last_error()));
    assert_eq!(again.config(), printed, "config does not round-trip (input {:?})", String::from_utf8_lossy(data));
    assert_eq!(again.id(), id);

    // lzma format 0 decodes only; everything else must encode the probe and decode it back.
    if printed.contains(r#""format":0"#) {
        return;
    }
    // An lzma encoder's memory grows with the dictionary the configuration asks for (about 10x it: up
    // to 16 GiB for the 1.5 GiB numcodecs accepts). That is the caller's own choice, as in numcodecs,
    // not a property of hostile input, so such configurations are not encoded here.
    if largest_dict_size(&printed) > ENCODER_DICT_SIZE_PROBED {
        return;
    }
    let probe = probe_data();
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    // SAFETY: live slices and out-parameters; NULL info means bytes.
    let status = unsafe { numcodecs_encode_alloc(codec.0, probe.as_ptr().cast(), probe.len(), ptr::null(), &mut out, &mut out_len) };
    // INVALID_CONFIG although numcodecs_encode_alloc does not document it: numcodecs accepts some
    // configurations and refuses them only when encoding (lzma "check":5), and so do we.
    // INVALID_ARGUMENT: codecs that need particular arrays (zfpy, pcodec, bitround: numbers, not the
    // probe's bytes; delta, shuffle: whole elements) refuse the probe.
    expect_status(
        status,
        &[NUMCODECS_OK, NUMCODECS_UNSUPPORTED, NUMCODECS_LIMIT_EXCEEDED, NUMCODECS_INVALID_CONFIG, NUMCODECS_INVALID_ARGUMENT],
        &format!("{printed}: encode_alloc"),
    );
    if status != NUMCODECS_OK {
        return;
    }
    // SAFETY: the library returned out_len bytes at out.
    let encoded = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
    // SAFETY: returned by an _alloc call, freed once.
    unsafe { numcodecs_bytes_free(out, out_len) };
    let decoded = match codec.decode_alloc(&encoded) {
        Ok(decoded) => decoded,
        Err(NUMCODECS_CORRUPT_DATA) if json2_may_write_unreadable_text(&printed) => return,
        Err(s) => panic!("{printed}: decoding its own encoding: {s:?}: {}", last_error()),
    };
    // Only chains of lossless codecs must give the probe back: filters with dtypes (delta, astype,
    // fixedscaleoffset, quantize, bitround, packbits, ...) narrow, round or normalise arbitrary bytes.
    let lossy = !codec_ids(&printed).iter().all(|id| LOSSLESS_IDS.contains(&id.as_str()));
    if !lossy {
        assert!(decoded == probe, "{printed}: round trip changed the data");
    }
}

/// json2 writes the separators and indent it is given, as Python's json does; with other characters than
/// JSON whitespace around "," and ":" (e.g. separators ["a","b"], indent "--") neither numcodecs nor we
/// can read the text back. Conservatively: anything but the two standard separator pairs, or a string
/// indent.
fn json2_may_write_unreadable_text(printed: &str) -> bool {
    let standard_separators = printed.contains(r#""separators":[",",":"]"#) || printed.contains(r#""separators":[", ",": "]"#);
    printed.contains(r#""id":"json2""#) && (!standard_separators || printed.contains(r#""indent":""#))
}

const COMPLIBS: &[&str] = &["BloscLZ", "LZ4", "Snappy", "Zlib", "Zstd"];

/// blosc_helpers: the header readers agree with each other; decompress_partial gives documented statuses,
/// stays within its buffer, writes `nitems * typesize` bytes, and those equal the same items of a full
/// decode whenever that succeeds.
pub fn blosc_helpers(data: &[u8]) {
    let [start, nitems, cap_selector, src @ ..] = data else { return };
    let (start, nitems) = (usize::from(*start), usize::from(*nitems));
    let header_statuses = [NUMCODECS_OK, NUMCODECS_CORRUPT_DATA];

    let (mut nbytes, mut cbytes, mut blocksize) = (0usize, 0usize, 0usize);
    // SAFETY: live slice and out-parameters.
    let sizes = unsafe { numcodecs_blosc_cbuffer_sizes(src.as_ptr().cast(), src.len(), &mut nbytes, &mut cbytes, &mut blocksize) };
    expect_status(sizes, &header_statuses, "cbuffer_sizes");
    let (mut typesize, mut shuffle, mut memcpyed) = (0usize, -1, -1);
    // SAFETY: as above.
    let meta = unsafe { numcodecs_blosc_cbuffer_metainfo(src.as_ptr().cast(), src.len(), &mut typesize, &mut shuffle, &mut memcpyed) };
    expect_status(meta, &header_statuses, "cbuffer_metainfo");
    let mut complib: *const c_char = ptr::null();
    // SAFETY: as above.
    let lib = unsafe { numcodecs_blosc_cbuffer_complib(src.as_ptr().cast(), src.len(), &mut complib) };
    expect_status(lib, &header_statuses, "cbuffer_complib");
    // Like numcodecs, the readers only check that a blosc 1.x header is there and report its fields as
    // they are (cbytes 0 included); complib also refuses an unknown library code.
    assert!(sizes == meta, "header readers disagree: sizes {sizes:?}, metainfo {meta:?}");
    if sizes != NUMCODECS_OK {
        assert_ne!(lib, NUMCODECS_OK, "complib accepted a header cbuffer_sizes refused");
        return;
    }
    assert!(matches!(shuffle, 0..=2) && matches!(memcpyed, 0 | 1), "metainfo: shuffle {shuffle}, memcpyed {memcpyed}");
    if lib == NUMCODECS_OK {
        // SAFETY: a static NUL-terminated string on success.
        let name = unsafe { CStr::from_ptr(complib) }.to_str().unwrap();
        assert!(COMPLIBS.contains(&name), "complib {name:?}");
    }

    let cap = match cap_selector % 4 {
        0 => nitems.saturating_mul(typesize),
        1 => nitems.saturating_mul(typesize).saturating_sub(1),
        2 => usize::from(*cap_selector) * 16,
        _ => 0,
    }
    .min(HARNESS_MAX_BUFFER);
    let mut dst = vec![CANARY; cap + CANARY_LEN];
    let mut dst_len = 0xDEAD_BEEF_usize;
    // SAFETY: live slices; dst has cap writable bytes.
    let status = unsafe { numcodecs_blosc_decompress_partial(src.as_ptr().cast(), src.len(), start, nitems, dst.as_mut_ptr().cast(), cap, &mut dst_len) };
    let what = format!("decompress_partial(start {start}, nitems {nitems}, cap {cap}; nbytes {nbytes}, typesize {typesize})");
    expect_status(status, &[NUMCODECS_OK, NUMCODECS_INVALID_ARGUMENT, NUMCODECS_BUFFER_TOO_SMALL, NUMCODECS_CORRUPT_DATA], &what);
    assert!(dst[cap..].iter().all(|&b| b == CANARY), "{what}: wrote past dst_cap");
    if status != NUMCODECS_OK {
        return;
    }
    assert_eq!(dst_len, nitems * typesize, "{what}: wrote {dst_len} bytes");
    let codec = Handle::new(r#"{"id":"blosc"}"#);
    if let Ok(full) = codec.decode_alloc(src) {
        let range = start * typesize..(start + nitems) * typesize;
        assert!(range.end <= full.len(), "{what}: items beyond the {} decoded bytes were returned", full.len());
        assert!(dst[..dst_len] == full[range], "{what}: differs from the same items of a full decode");
    }
}

// ---- items: the object codecs' C APIs ---------------------------------------------------------------

/// The object codecs the items target drives (selector byte modulo the list length).
pub const OBJECT_CONFIGS: &[&str] = &[
    r#"{"id":"vlen-utf8"}"#,
    r#"{"id":"vlen-bytes"}"#,
    r#"{"id":"vlen-array","dtype":"<i2"}"#,
    r#"{"id":"vlen-array","dtype":">f8"}"#,
    r#"{"id":"vlen-array","dtype":"|u1"}"#,
    r#"{"id":"categorize","labels":["a","zarr","\u00e9t\u00e9",""],"dtype":"|O","astype":"<i2"}"#,
    // Not pickle: its item calls take str items only and give str or bytes, so decoded items do not all
    // re-encode, which the properties below need; the decode target drives its unpickler instead.
    r#"{"id":"json2"}"#,
    r#"{"id":"msgpack2","raw":true}"#,
    // Chains that start with an object codec (Zarr v2 string arrays) take the same calls.
    r#"{"filters":[{"id":"vlen-utf8"}],"compressor":{"id":"zstd","level":1}}"#,
    r#"[{"id":"vlen-bytes"},{"id":"zlib","level":1}]"#,
];

/// The labels of the categorize entry of OBJECT_CONFIGS (this file uses no JSON parser).
const CATEGORIZE_LABELS: &[&str] = &["a", "zarr", "\u{e9}t\u{e9}", ""];

/// What an item encoded with `config` decodes to: itself, but for categorize, which keeps labels only
/// (any other string decodes to the empty string, as in numcodecs).
fn expected_item(config: &str, item: &[u8]) -> Vec<u8> {
    if config.contains(r#""id":"categorize""#) && !CATEGORIZE_LABELS.iter().any(|label| label.as_bytes() == item) {
        return Vec::new();
    }
    item.to_vec()
}

/// json2 and msgpack2 documents may hold objects the item calls cannot (numbers, None, lists, dicts,
/// bytes): those calls refuse them as UNSUPPORTED while the JSON bridge may carry them.
fn holds_any_object(config: &str) -> bool {
    config.contains("json2") || config.contains("msgpack2")
}

/// Copies out and frees an `_alloc` result.
fn take_bytes(out: *mut u8, out_len: usize) -> Vec<u8> {
    // SAFETY: the library returned out_len readable bytes at out (NULL only with 0).
    let bytes = if out.is_null() { Vec::new() } else { unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec() };
    // SAFETY: returned by an _alloc call, freed once.
    unsafe { numcodecs_bytes_free(out, out_len) };
    bytes
}

/// Decodes `src` through the items handle; the items on success.
fn decode_item_list(codec: &Handle, src: &[u8], what: &str) -> Result<Vec<Vec<u8>>, numcodecs_status> {
    let mut handle = ptr::null_mut();
    // SAFETY: live slices and out-parameter.
    let status = unsafe { numcodecs_decode_items(codec.0, src.as_ptr().cast(), src.len(), &mut handle) };
    let unsupported = if holds_any_object(what) { NUMCODECS_UNSUPPORTED } else { NUMCODECS_CORRUPT_DATA };
    expect_status(status, &[NUMCODECS_OK, NUMCODECS_CORRUPT_DATA, NUMCODECS_LIMIT_EXCEEDED, unsupported], &format!("{what}: decode_items"));
    if status != NUMCODECS_OK {
        assert!(handle.is_null(), "{what}: decode_items failed but wrote the handle");
        return Err(status);
    }
    // SAFETY: a live items handle; get() results are valid until it is freed, and are copied before.
    let items = unsafe {
        let count = numcodecs_items_count(handle);
        let items = (0..count)
            .map(|index| {
                let (mut data, mut len) = (ptr::null(), 0usize);
                assert_eq!(numcodecs_items_get(handle, index, &mut data, &mut len), NUMCODECS_OK, "{what}: items_get {index}");
                if len == 0 { Vec::new() } else { std::slice::from_raw_parts(data, len).to_vec() }
            })
            .collect::<Vec<_>>();
        let (mut data, mut data_len, mut offsets) = (ptr::null(), 0usize, ptr::null());
        assert_eq!(numcodecs_items_get(handle, count, &mut data, &mut data_len), NUMCODECS_INVALID_ARGUMENT, "{what}: items_get past the end");
        assert_eq!(numcodecs_items_flat(handle, &mut data, &mut data_len, &mut offsets), NUMCODECS_OK, "{what}: items_flat");
        let offsets = std::slice::from_raw_parts(offsets, count + 1);
        assert_eq!(offsets[0], 0, "{what}: first offset");
        assert_eq!(offsets[count], data_len, "{what}: last offset");
        for (index, item) in items.iter().enumerate() {
            assert_eq!(offsets[index + 1] - offsets[index], item.len(), "{what}: flat and get disagree on item {index}");
        }
        numcodecs_items_free(handle);
        items
    };
    Ok(items)
}

/// items: arbitrary bytes through every decoding shape of an object codec (items handle, flat form into
/// caller buffers with canaries, JSON bridge), which must agree; what decodes re-encodes through the item
/// list and the flat form to the same bytes, and decodes to the same items. Arbitrary items (split from
/// the input) encode through both shapes identically or are refused with a status, never a crash.
pub fn items(data: &[u8]) {
    let [selector, mode, payload @ ..] = data else { return };
    let config = OBJECT_CONFIGS[*selector as usize % OBJECT_CONFIGS.len()];
    let codec = Handle::new(config);
    let what = format!("{config} ({} bytes)", payload.len());

    // Decoding the payload as a stream.
    let decoded = decode_item_list(&codec, payload, &what);
    let (mut n_items, mut data_len) = (usize::MAX, usize::MAX);
    // SAFETY: live slices and out-parameters.
    let status = unsafe { numcodecs_decoded_items_size(codec.0, payload.as_ptr().cast(), payload.len(), &mut n_items, &mut data_len) };
    match &decoded {
        Ok(items) => {
            assert_eq!(status, NUMCODECS_OK, "{what}: decoded_items_size refused what decode_items took: {}", last_error());
            assert_eq!((n_items, data_len), (items.len(), items.iter().map(Vec::len).sum()), "{what}: decoded_items_size");
            // The flat form into exact buffers, with canaries after both.
            let mut flat_data = vec![CANARY; data_len + CANARY_LEN];
            let mut offsets = vec![usize::MAX; n_items + 1 + 4];
            let (mut got_items, mut got_len) = (0usize, 0usize);
            // SAFETY: flat_data has data_len writable bytes, offsets n_items + 1 entries.
            let status = unsafe {
                numcodecs_decode_flat(codec.0, payload.as_ptr().cast(), payload.len(), flat_data.as_mut_ptr(), data_len, offsets.as_mut_ptr(), n_items + 1, &mut got_items, &mut got_len)
            };
            assert_eq!(status, NUMCODECS_OK, "{what}: decode_flat into exact buffers: {}", last_error());
            assert!(flat_data[data_len..].iter().all(|&b| b == CANARY), "{what}: decode_flat wrote past data_cap");
            assert!(offsets[n_items + 1..].iter().all(|&o| o == usize::MAX), "{what}: decode_flat wrote past offsets_cap");
            let joined: Vec<u8> = items.concat();
            assert_eq!(&flat_data[..data_len], &joined[..], "{what}: decode_flat and decode_items disagree");
            // Re-encoding: both shapes give the same bytes, which decode to the same items.
            let pointers: Vec<*const u8> = items.iter().map(|item| item.as_ptr()).collect();
            let lens: Vec<usize> = items.iter().map(Vec::len).collect();
            let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
            // SAFETY: n pointers to lens[i] readable bytes each.
            let status = unsafe { numcodecs_encode_items_alloc(codec.0, pointers.as_ptr(), lens.as_ptr(), items.len(), &mut out, &mut out_len) };
            assert_eq!(status, NUMCODECS_OK, "{what}: re-encoding decoded items: {}", last_error());
            let from_list = take_bytes(out, out_len);
            // SAFETY: joined holds offsets[n] bytes.
            let status = unsafe { numcodecs_encode_flat_alloc(codec.0, joined.as_ptr(), joined.len(), offsets.as_ptr(), n_items, &mut out, &mut out_len) };
            assert_eq!(status, NUMCODECS_OK, "{what}: re-encoding the flat form: {}", last_error());
            assert_eq!(take_bytes(out, out_len), from_list, "{what}: item list and flat form encode differently");
            assert_eq!(decode_item_list(&codec, &from_list, &what).as_ref(), Ok(items), "{what}: re-encoded items decode differently");
        }
        Err(_) => assert_ne!(status, NUMCODECS_OK, "{what}: decoded_items_size accepted what decode_items refused"),
    }
    // The JSON bridge agrees with decode_items on success, and its JSON encodes back to the same items.
    let (mut json, mut json_len) = (ptr::null_mut(), 0usize);
    // SAFETY: live slices and out-parameters.
    let status = unsafe { numcodecs_decode_json_items(codec.0, payload.as_ptr().cast(), payload.len(), &mut json, &mut json_len) };
    match &decoded {
        Ok(items) => {
            // vlen-array's JSON bridge takes fewer dtypes than the byte items (documented UNSUPPORTED).
            expect_status(status, &[NUMCODECS_OK, NUMCODECS_UNSUPPORTED], &format!("{what}: decode_json_items"));
            if status == NUMCODECS_OK {
                let text = take_bytes(json.cast(), json_len);
                let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
                // SAFETY: text is a live slice.
                let status = unsafe { numcodecs_encode_json_items(codec.0, text.as_ptr().cast(), text.len(), &mut out, &mut out_len) };
                assert_eq!(status, NUMCODECS_OK, "{what}: the bridge's own JSON is refused: {}", last_error());
                let encoded = take_bytes(out, out_len);
                // JSON cannot carry NaN payloads ("NaN" is one value), so the property is on the JSON:
                // bytes written from it decode to the same JSON text, and to as many items of the same sizes.
                match decode_item_list(&codec, &encoded, &what) {
                    Ok(again) => {
                        assert_eq!(again.iter().map(Vec::len).collect::<Vec<_>>(), items.iter().map(Vec::len).collect::<Vec<_>>(), "{what}: JSON round trip changed the item sizes")
                    }
                    // msgpack2 with raw=true decodes strings as bytes ({"b64"} in JSON, as numcodecs gives
                    // bytes objects), which encode back as msgpack bin items: bytes the item calls do not hold.
                    Err(NUMCODECS_UNSUPPORTED) if holds_any_object(config) => {}
                    Err(s) => panic!("{what}: bytes from the bridge's JSON do not decode: {s:?}"),
                }
                let (mut json2, mut json2_len) = (ptr::null_mut(), 0usize);
                // SAFETY: live slices and out-parameters.
                let status = unsafe { numcodecs_decode_json_items(codec.0, encoded.as_ptr().cast(), encoded.len(), &mut json2, &mut json2_len) };
                assert_eq!(status, NUMCODECS_OK, "{what}: decoding the bridge's own bytes to JSON: {}", last_error());
                assert_eq!(take_bytes(json2.cast(), json2_len), text, "{what}: JSON -> bytes -> JSON changed the text");
            }
        }
        // A json2/msgpack2 document of other objects than strings is the bridge's to decode.
        Err(NUMCODECS_UNSUPPORTED) => {
            if status == NUMCODECS_OK {
                take_bytes(json.cast(), json_len);
            }
        }
        Err(_) => assert_ne!(status, NUMCODECS_OK, "{what}: the JSON bridge decoded what decode_items refused"),
    }

    // Arbitrary items: the payload split by its own bytes (each length byte, then that many bytes).
    if mode % 2 == 1 {
        let mut items: Vec<&[u8]> = Vec::new();
        let mut rest = payload;
        while let [len, tail @ ..] = rest {
            let take = (*len as usize).min(tail.len());
            items.push(&tail[..take]);
            rest = &tail[take..];
        }
        let pointers: Vec<*const u8> = items.iter().map(|item| item.as_ptr()).collect();
        let lens: Vec<usize> = items.iter().map(|item| item.len()).collect();
        let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
        // SAFETY: n pointers to lens[i] readable bytes each.
        let status = unsafe { numcodecs_encode_items_alloc(codec.0, pointers.as_ptr(), lens.as_ptr(), items.len(), &mut out, &mut out_len) };
        // Invalid UTF-8 (vlen-utf8) and partial elements (vlen-array) are refused.
        expect_status(status, &[NUMCODECS_OK, NUMCODECS_INVALID_ARGUMENT], &format!("{what}: encode_items_alloc of split items"));
        if status == NUMCODECS_OK {
            let encoded = take_bytes(out, out_len);
            let owned: Vec<Vec<u8>> = items.iter().map(|item| expected_item(config, item)).collect();
            assert_eq!(decode_item_list(&codec, &encoded, &what), Ok(owned), "{what}: split items do not round-trip");
            let mut len = usize::MAX;
            // SAFETY: capacity 0 with a NULL destination asks for the size.
            let status = unsafe { numcodecs_encode_items(codec.0, pointers.as_ptr(), lens.as_ptr(), items.len(), ptr::null_mut(), 0, &mut len) };
            assert!(status == NUMCODECS_BUFFER_TOO_SMALL || (status == NUMCODECS_OK && encoded.is_empty()), "{what}: size query gave {status:?}");
            assert_eq!(len, encoded.len(), "{what}: encode_items size query");
        }
    }
}
