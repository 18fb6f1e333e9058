//! The C ABI's house rules, checked through the exported functions with codecs registered by this test
//! (so the rules are tested independently of any real codec): argument checks, outputs written only on
//! success, BUFFER_TOO_SMALL size reporting, the thread-local error message, and that a panic inside a
//! codec becomes NUMCODECS_INTERNAL instead of crossing the boundary.

use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::Once;

use numcodecs::codecs::{config_map, register_codec, ArrayInfo, Codec, DType, Error, Params, Result};
use numcodecs::ffi::numcodecs_status::{self, *};
use numcodecs::ffi::*;
use serde_json::{Map, Value};

/// Encodes by appending a 4-byte little-endian length and reversing the bytes; keeps `flag` in its config.
#[derive(Debug)]
struct Reverse {
    flag: bool,
}

impl Codec for Reverse {
    fn codec_id(&self) -> &str {
        "test.reverse"
    }
    fn config(&self) -> Map<String, Value> {
        config_map("test.reverse", [("flag", Value::from(self.flag))])
    }
    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Ok(src_len + 4)
    }
    fn encode(&self, src: &[u8], _info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = (src.len() as u32).to_le_bytes().to_vec();
        out.extend(src.iter().rev());
        Ok(out)
    }
    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        let header: [u8; 4] = src.get(..4).and_then(|h| h.try_into().ok()).ok_or_else(|| Error::corrupt("test.reverse: short header"))?;
        let size = u32::from_le_bytes(header) as usize;
        if size != src.len() - 4 {
            return Err(Error::corrupt("test.reverse: length mismatch"));
        }
        Ok(size)
    }
    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        self.decoded_size(src)?;
        Ok(src[4..].iter().rev().copied().collect())
    }
    fn decoded_info(&self, src: &[u8]) -> Result<Option<ArrayInfo>> {
        let size = self.decoded_size(src)?;
        Ok(Some(ArrayInfo::new(DType::bytes(), Some(vec![size]))))
    }
}

#[derive(Debug)]
struct Panics;

impl Codec for Panics {
    fn codec_id(&self) -> &str {
        "test.panics"
    }
    fn config(&self) -> Map<String, Value> {
        config_map("test.panics", [])
    }
    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        Ok(src_len)
    }
    fn encode(&self, _src: &[u8], _info: &ArrayInfo) -> Result<Vec<u8>> {
        panic!("deliberate panic in encode")
    }
    fn decode(&self, _src: &[u8]) -> Result<Vec<u8>> {
        panic!("{}", String::from("deliberate panic in decode"))
    }
    fn decoded_info(&self, _src: &[u8]) -> Result<Option<ArrayInfo>> {
        panic!("deliberate panic in decoded_info")
    }
}

fn register_test_codecs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        register_codec("test.reverse", |mut params: Params| {
            let flag = params.take_bool("flag")?.unwrap_or(false);
            params.finish()?;
            Ok(Box::new(Reverse { flag }))
        });
        register_codec("test.panics", |params: Params| {
            params.finish()?;
            Ok(Box::new(Panics))
        });
    });
}

fn create(json: &str) -> std::result::Result<*mut numcodecs_codec, numcodecs_status> {
    register_test_codecs();
    let mut codec = ptr::null_mut();
    let status = unsafe { numcodecs_codec_from_json(json.as_ptr().cast(), json.len(), &mut codec) };
    if status == NUMCODECS_OK {
        assert!(!codec.is_null());
        Ok(codec)
    } else {
        assert!(codec.is_null(), "out written on failure");
        Err(status)
    }
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(numcodecs_last_error()) }.to_string_lossy().into_owned()
}

fn config_of(codec: *const numcodecs_codec) -> String {
    let mut len = 0usize;
    let status = unsafe { numcodecs_codec_config(codec, ptr::null_mut(), 0, &mut len) };
    assert_eq!(status, NUMCODECS_BUFFER_TOO_SMALL);
    let mut buf = vec![0x55u8; len + 1];
    let mut written = 0usize;
    assert_eq!(unsafe { numcodecs_codec_config(codec, buf.as_mut_ptr().cast(), buf.len(), &mut written) }, NUMCODECS_OK);
    assert_eq!(written, len);
    assert_eq!(buf[len], 0, "config is NUL-terminated");
    String::from_utf8(buf[..len].to_vec()).unwrap()
}

#[test]
fn config_json_round_trips_and_fills_defaults() {
    let codec = create(r#"{"id":"test.reverse"}"#).unwrap();
    assert_eq!(config_of(codec), r#"{"id":"test.reverse","flag":false}"#);
    assert_eq!(unsafe { CStr::from_ptr(numcodecs_codec_id(codec)) }.to_str().unwrap(), "test.reverse");
    // One byte short of the NUL: refused, with the JSON length reported.
    let mut small = [0u8; 34];
    let mut len = 0usize;
    assert_eq!(unsafe { numcodecs_codec_config(codec, small.as_mut_ptr().cast(), small.len(), &mut len) }, NUMCODECS_BUFFER_TOO_SMALL);
    assert_eq!(len, 34);
    unsafe { numcodecs_codec_free(codec) };

    let v3 = create(r#"{"name":"test.reverse","configuration":{"flag":true}}"#).unwrap();
    assert_eq!(config_of(v3), r#"{"id":"test.reverse","flag":true}"#);
    unsafe { numcodecs_codec_free(v3) };
    let prefixed = create(r#"{"name":"numcodecs.test.reverse"}"#).unwrap();
    unsafe { numcodecs_codec_free(prefixed) };
}

#[test]
fn bad_configs_are_refused_with_a_message() {
    for (json, expected) in [
        ("{", NUMCODECS_INVALID_CONFIG),
        // A list is a codec chain ("[]" is the empty one); its entries must be codec objects.
        ("[7]", NUMCODECS_INVALID_CONFIG),
        (r#"{"filters":5}"#, NUMCODECS_INVALID_CONFIG),
        (r#"{"level":1}"#, NUMCODECS_INVALID_CONFIG),
        (r#"{"id":5}"#, NUMCODECS_INVALID_CONFIG),
        (r#"{"id":"test.reverse","bogus":1}"#, NUMCODECS_INVALID_CONFIG),
        (r#"{"id":"test.reverse","flag":"yes"}"#, NUMCODECS_INVALID_CONFIG),
        (r#"{"name":"test.reverse","configuration":3}"#, NUMCODECS_INVALID_CONFIG),
        (r#"{"name":"test.reverse","extra":{}}"#, NUMCODECS_INVALID_CONFIG),
        (r#"{"id":"no-such-codec"}"#, NUMCODECS_UNKNOWN_CODEC),
    ] {
        assert_eq!(create(json).unwrap_err(), expected, "{json}");
        assert!(!last_error().is_empty(), "no message for {json}");
    }
    assert!(last_error().contains("no-such-codec"));
    // Invalid UTF-8 and NULL with a length.
    let mut out = ptr::null_mut();
    let bytes = [b'{', 0xff, b'}'];
    assert_eq!(unsafe { numcodecs_codec_from_json(bytes.as_ptr().cast(), 3, &mut out) }, NUMCODECS_INVALID_CONFIG);
    assert_eq!(unsafe { numcodecs_codec_from_json(ptr::null(), 3, &mut out) }, NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(unsafe { numcodecs_codec_from_json(b"{}".as_ptr().cast(), 2, ptr::null_mut()) }, NUMCODECS_INVALID_ARGUMENT);
    assert!(out.is_null());
}

#[test]
fn encode_decode_through_caller_buffers_and_allocations() {
    let codec = create(r#"{"id":"test.reverse"}"#).unwrap();
    let src: Vec<u8> = (0..100u8).collect();
    let mut bound = 0usize;
    assert_eq!(unsafe { numcodecs_encode_bound(codec, src.len(), ptr::null(), &mut bound) }, NUMCODECS_OK);
    assert_eq!(bound, 104);

    // Too small: needed size reported, nothing else written.
    let mut dst = vec![0xAAu8; 50];
    let mut dst_len = 7usize;
    let status = unsafe { numcodecs_encode(codec, src.as_ptr().cast(), src.len(), ptr::null(), dst.as_mut_ptr().cast(), dst.len(), &mut dst_len) };
    assert_eq!(status, NUMCODECS_BUFFER_TOO_SMALL);
    assert_eq!(dst_len, 104);

    let mut dst = vec![0u8; bound + 8];
    dst[bound..].fill(0xEE);
    let status = unsafe { numcodecs_encode(codec, src.as_ptr().cast(), src.len(), ptr::null(), dst.as_mut_ptr().cast(), bound, &mut dst_len) };
    assert_eq!(status, NUMCODECS_OK, "{}", last_error());
    assert_eq!(dst_len, 104);
    assert!(dst[bound..].iter().all(|&b| b == 0xEE), "wrote past dst_cap");
    assert_eq!(last_error(), "", "success clears the message");

    let mut size = 0usize;
    assert_eq!(unsafe { numcodecs_decoded_size(codec, dst.as_ptr().cast(), dst_len, &mut size) }, NUMCODECS_OK);
    assert_eq!(size, 100);
    let mut decoded = vec![0u8; 99];
    let mut decoded_len = 0usize;
    let status = unsafe { numcodecs_decode(codec, dst.as_ptr().cast(), dst_len, decoded.as_mut_ptr().cast(), decoded.len(), &mut decoded_len) };
    assert_eq!(status, NUMCODECS_BUFFER_TOO_SMALL);
    assert_eq!(decoded_len, 100, "needed size reported");
    let mut decoded = vec![0u8; 100];
    let status = unsafe { numcodecs_decode(codec, dst.as_ptr().cast(), dst_len, decoded.as_mut_ptr().cast(), decoded.len(), &mut decoded_len) };
    assert_eq!(status, NUMCODECS_OK);
    assert_eq!(decoded, src);

    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    assert_eq!(unsafe { numcodecs_encode_alloc(codec, src.as_ptr().cast(), src.len(), ptr::null(), &mut out, &mut out_len) }, NUMCODECS_OK);
    assert_eq!(unsafe { std::slice::from_raw_parts(out, out_len) }, &dst[..dst_len]);
    let (mut back, mut back_len) = (ptr::null_mut(), 0usize);
    assert_eq!(unsafe { numcodecs_decode_alloc(codec, out.cast(), out_len, &mut back, &mut back_len) }, NUMCODECS_OK);
    assert_eq!(back as usize % 16, 0, "allocations are 16-byte aligned");
    assert_eq!(unsafe { std::slice::from_raw_parts(back, back_len) }, &src[..]);
    unsafe {
        numcodecs_bytes_free(out, out_len);
        numcodecs_bytes_free(back, back_len);
        numcodecs_bytes_free(ptr::null_mut(), 0);
    }

    // Corrupt input: status + message, outputs untouched.
    let (mut out, mut out_len) = (ptr::null_mut::<u8>(), 12345usize);
    assert_eq!(unsafe { numcodecs_decode_alloc(codec, src.as_ptr().cast(), 3, &mut out, &mut out_len) }, NUMCODECS_CORRUPT_DATA);
    assert!(out.is_null() && out_len == 12345);
    assert!(last_error().contains("short header"));

    // Empty input encodes and allocations of length 0 are still freeable non-NULL pointers.
    assert_eq!(unsafe { numcodecs_encode_alloc(codec, ptr::null(), 0, ptr::null(), &mut out, &mut out_len) }, NUMCODECS_OK);
    assert!(!out.is_null());
    assert_eq!(out_len, 4);
    unsafe { numcodecs_bytes_free(out, out_len) };
    unsafe { numcodecs_codec_free(codec) };
    unsafe { numcodecs_codec_free(ptr::null_mut()) };
}

#[test]
fn arguments_are_checked() {
    let codec = create(r#"{"id":"test.reverse"}"#).unwrap();
    let src = [1u8; 24];
    let mut dst = [0u8; 64];
    let mut len = 99usize;
    let encode = |src: *const u8, src_len: usize, info: *const numcodecs_array_info, dst: *mut u8, cap: usize, len: *mut usize| unsafe {
        numcodecs_encode(codec, src.cast(), src_len, info, dst.cast(), cap, len)
    };
    assert_eq!(encode(ptr::null(), 24, ptr::null(), dst.as_mut_ptr(), 64, &mut len), NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(encode(src.as_ptr(), 24, ptr::null(), ptr::null_mut(), 64, &mut len), NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(encode(src.as_ptr(), 24, ptr::null(), dst.as_mut_ptr(), 64, ptr::null_mut()), NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(encode(src.as_ptr(), usize::MAX, ptr::null(), dst.as_mut_ptr(), 64, &mut len), NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(unsafe { numcodecs_encode(ptr::null(), src.as_ptr().cast(), 24, ptr::null(), dst.as_mut_ptr().cast(), 64, &mut len) }, NUMCODECS_INVALID_ARGUMENT);
    assert!(last_error().contains("codec is NULL"));
    // Overlapping source and destination.
    let base = dst.as_mut_ptr(); // one raw pointer for both, as a C caller would have
    assert_eq!(encode(base, 24, ptr::null(), base.wrapping_add(8), 40, &mut len), NUMCODECS_INVALID_ARGUMENT);
    assert!(last_error().contains("overlap"));

    let shape = [2usize, 3];
    let info = |dtype: &'static [u8], shape: *const usize, ndim: usize| numcodecs_array_info { dtype: dtype.as_ptr() as *const c_char, shape, ndim };
    let good = info(b"<f4\0", shape.as_ptr(), 2);
    assert_eq!(encode(src.as_ptr(), 24, &good, dst.as_mut_ptr(), 64, &mut len), NUMCODECS_OK);
    for (bad, what) in [
        (info(b"<f4\0", shape.as_ptr(), 1), "shape"),       // [2] of f4 = 8 bytes, not 24
        (info(b"<q9\0", shape.as_ptr(), 2), "dtype"),
        (info(b"|O\0", ptr::null(), 0), "object"),
        (info(b"<f4\0", shape.as_ptr(), 65), "ndim"),
        (info(&[b'<'; 100], ptr::null(), 0), "longer than"),
    ] {
        len = 99;
        assert_eq!(encode(src.as_ptr(), 24, &bad, dst.as_mut_ptr(), 64, &mut len), NUMCODECS_INVALID_ARGUMENT, "{what}");
        assert_eq!(len, 99, "dst_len written on failure ({what})");
        assert!(last_error().contains(what), "{what}: {}", last_error());
    }
    // 24 bytes are not a whole number of <f8 items... they are (3); 20 bytes are not.
    let f8 = info(b"<f8\0", ptr::null(), 0);
    assert_eq!(encode(src.as_ptr(), 20, &f8, dst.as_mut_ptr(), 64, &mut len), NUMCODECS_INVALID_ARGUMENT);
    let mut bound = 0usize;
    assert_eq!(unsafe { numcodecs_encode_bound(codec, 20, &f8, &mut bound) }, NUMCODECS_INVALID_ARGUMENT);
    unsafe { numcodecs_codec_free(codec) };
}

#[test]
fn panics_become_internal_errors() {
    let codec = create(r#"{"id":"test.panics"}"#).unwrap();
    let src = [0u8; 8];
    let mut dst = [0u8; 8];
    let mut len = 5usize;
    let status = unsafe { numcodecs_encode(codec, src.as_ptr().cast(), 8, ptr::null(), dst.as_mut_ptr().cast(), 8, &mut len) };
    assert_eq!(status, NUMCODECS_INTERNAL);
    assert_eq!(len, 5);
    assert!(last_error().contains("deliberate panic in encode"), "{}", last_error());
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    assert_eq!(unsafe { numcodecs_decode_alloc(codec, src.as_ptr().cast(), 8, &mut out, &mut out_len) }, NUMCODECS_INTERNAL);
    assert!(last_error().contains("deliberate panic in decode"));
    assert!(out.is_null());
    unsafe { numcodecs_codec_free(codec) };
}

#[test]
fn last_error_is_per_thread() {
    assert_eq!(create(r#"{"id":"no-such-codec"}"#).unwrap_err(), NUMCODECS_UNKNOWN_CODEC);
    let other = std::thread::spawn(|| {
        let fresh = last_error();
        assert_eq!(create(r#"{"id":"test.reverse","bogus":1}"#).unwrap_err(), NUMCODECS_INVALID_CONFIG);
        (fresh, last_error())
    })
    .join()
    .unwrap();
    assert_eq!(other.0, "");
    assert!(other.1.contains("bogus"));
    assert!(last_error().contains("no-such-codec"), "other thread's failure leaked here");
}

#[test]
fn version_status_names_and_registry() {
    assert_eq!(unsafe { CStr::from_ptr(numcodecs_version()) }.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    let expected = [
        "NUMCODECS_OK",
        "NUMCODECS_INVALID_ARGUMENT",
        "NUMCODECS_INVALID_CONFIG",
        "NUMCODECS_UNKNOWN_CODEC",
        "NUMCODECS_BUFFER_TOO_SMALL",
        "NUMCODECS_CORRUPT_DATA",
        "NUMCODECS_UNSUPPORTED",
        "NUMCODECS_SIZE_UNKNOWN",
        "NUMCODECS_LIMIT_EXCEEDED",
        "NUMCODECS_INTERNAL",
    ];
    for (value, name) in expected.iter().enumerate() {
        assert_eq!(unsafe { CStr::from_ptr(numcodecs_status_name(value as i32)) }.to_str().unwrap(), *name);
    }
    for value in [-1, 10, i32::MAX] {
        assert_eq!(unsafe { CStr::from_ptr(numcodecs_status_name(value)) }.to_str().unwrap(), "NUMCODECS_UNKNOWN_STATUS");
    }
    assert_eq!(NUMCODECS_INTERNAL as i32, 9, "status values are stable");

    register_test_codecs();
    let mut len = 0usize;
    assert_eq!(unsafe { numcodecs_registered_codecs(ptr::null_mut(), 0, &mut len) }, NUMCODECS_BUFFER_TOO_SMALL);
    let mut buf = vec![0u8; len + 1];
    assert_eq!(unsafe { numcodecs_registered_codecs(buf.as_mut_ptr().cast(), buf.len(), &mut len) }, NUMCODECS_OK);
    let ids: Vec<String> = serde_json::from_slice(&buf[..len]).unwrap();
    assert!(ids.contains(&"test.reverse".to_string()) && ids.contains(&"test.panics".to_string()), "{ids:?}");
}

/// A description no successful call would write, to show that failures leave it untouched.
fn sentinel_array() -> numcodecs_decoded_array {
    numcodecs_decoded_array { dtype: [0x5e; NUMCODECS_DTYPE_CAPACITY], ndim: 77, shape: [77; NUMCODECS_DECODED_MAX_NDIM] }
}

fn is_sentinel(info: &numcodecs_decoded_array) -> bool {
    info.dtype.iter().all(|&c| c == 0x5e) && info.ndim == 77 && info.shape.iter().all(|&n| n == 77)
}

#[test]
fn decoded_info_is_written_only_on_success() {
    let codec = create(r#"{"id":"test.reverse"}"#).unwrap();
    let encoded = [3u8, 0, 0, 0, 7, 8, 9];
    let mut info = sentinel_array();
    assert_eq!(unsafe { numcodecs_decoded_info(codec, encoded.as_ptr().cast(), encoded.len(), &mut info) }, NUMCODECS_OK);
    let dtype = unsafe { CStr::from_ptr(info.dtype.as_ptr()) };
    assert_eq!((dtype.to_str().unwrap(), info.ndim, info.shape[0]), ("|u1", 1, 3));
    assert_eq!(last_error(), "");

    let mut info = sentinel_array();
    assert_eq!(unsafe { numcodecs_decoded_info(codec, encoded.as_ptr().cast(), 5, &mut info) }, NUMCODECS_CORRUPT_DATA);
    assert!(is_sentinel(&info) && last_error().contains("length mismatch"), "{}", last_error());
    assert_eq!(unsafe { numcodecs_decoded_info(codec, ptr::null(), 5, &mut info) }, NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(unsafe { numcodecs_decoded_info(codec, encoded.as_ptr().cast(), encoded.len(), ptr::null_mut()) }, NUMCODECS_INVALID_ARGUMENT);
    assert_eq!(unsafe { numcodecs_decoded_info(ptr::null(), encoded.as_ptr().cast(), encoded.len(), &mut info) }, NUMCODECS_INVALID_ARGUMENT);
    assert!(is_sentinel(&info));
    unsafe { numcodecs_codec_free(codec) };

    // A codec whose streams record no array.
    let codec = create(r#"{"id":"zlib"}"#).unwrap();
    assert_eq!(unsafe { numcodecs_decoded_info(codec, encoded.as_ptr().cast(), encoded.len(), &mut info) }, NUMCODECS_SIZE_UNKNOWN);
    assert!(is_sentinel(&info));
    unsafe { numcodecs_codec_free(codec) };

    let codec = create(r#"{"id":"test.panics"}"#).unwrap();
    assert_eq!(unsafe { numcodecs_decoded_info(codec, encoded.as_ptr().cast(), encoded.len(), &mut info) }, NUMCODECS_INTERNAL);
    assert!(is_sentinel(&info) && last_error().contains("deliberate panic in decoded_info"), "{}", last_error());
    unsafe { numcodecs_codec_free(codec) };
}
