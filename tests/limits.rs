//! The decoded-size limit of a codec handle (`numcodecs_codec_set_max_decoded_size`), through the C ABI:
//! every decoding path of every compressor honours it, before allocating, whether or not the stream
//! records its decoded size.

use std::ffi::c_void;
use std::ptr;

use numcodecs::ffi::numcodecs_status::{self, *};
use numcodecs::ffi::*;

const DECODED_LEN: usize = 1 << 20;

fn create(json: &str) -> *mut numcodecs_codec {
    let mut codec = ptr::null_mut();
    // SAFETY: valid pointers.
    let status = unsafe { numcodecs_codec_from_json(json.as_ptr().cast(), json.len(), &mut codec) };
    assert_eq!(status, NUMCODECS_OK, "{json}");
    codec
}

fn encode(codec: *const numcodecs_codec, src: &[u8]) -> Vec<u8> {
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    // SAFETY: valid pointers; the result is copied and freed.
    unsafe {
        assert_eq!(numcodecs_encode_alloc(codec, src.as_ptr().cast(), src.len(), ptr::null(), &mut out, &mut out_len), NUMCODECS_OK);
        let encoded = std::slice::from_raw_parts(out, out_len).to_vec();
        numcodecs_bytes_free(out, out_len);
        encoded
    }
}

fn decode_alloc(codec: *const numcodecs_codec, src: &[u8]) -> Result<Vec<u8>, numcodecs_status> {
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    // SAFETY: valid pointers; the result is copied and freed.
    unsafe {
        match numcodecs_decode_alloc(codec, src.as_ptr().cast(), src.len(), &mut out, &mut out_len) {
            NUMCODECS_OK => {
                let decoded = std::slice::from_raw_parts(out, out_len).to_vec();
                numcodecs_bytes_free(out, out_len);
                Ok(decoded)
            }
            status => Err(status),
        }
    }
}

fn decode_into(codec: *const numcodecs_codec, src: &[u8], cap: usize) -> Result<usize, numcodecs_status> {
    let mut dst = vec![0u8; cap];
    let mut len = 0usize;
    // SAFETY: valid pointers.
    match unsafe { numcodecs_decode(codec, src.as_ptr().cast::<c_void>(), src.len(), dst.as_mut_ptr().cast(), cap, &mut len) } {
        NUMCODECS_OK => Ok(len),
        status => Err(status),
    }
}

fn set_limit(codec: *mut numcodecs_codec, limit: usize) {
    // SAFETY: a live handle.
    assert_eq!(unsafe { numcodecs_codec_set_max_decoded_size(codec, limit) }, NUMCODECS_OK);
    let mut read_back = 0usize;
    // SAFETY: a live handle, a valid out pointer.
    assert_eq!(unsafe { numcodecs_codec_max_decoded_size(codec, &mut read_back) }, NUMCODECS_OK);
    assert_eq!(read_back, limit.min(isize::MAX as usize));
}

fn last_error() -> String {
    // SAFETY: always a valid NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(numcodecs_last_error()) }.to_string_lossy().into_owned()
}

/// Configurations of every compressor family, including streams with and without a recorded size.
const CONFIGS: &[&str] = &[
    r#"{"id":"zlib","level":1}"#,
    r#"{"id":"gzip","level":1}"#,
    r#"{"id":"bz2","level":1}"#,
    r#"{"id":"lzma","preset":0}"#,
    r#"{"id":"lzma","format":2,"preset":0}"#,
    r#"{"id":"zstd","level":1}"#,
    r#"{"id":"lz4"}"#,
    r#"{"id":"blosc","cname":"lz4","clevel":1,"shuffle":0}"#,
    r#"{"id":"crc32"}"#,
    r#"{"id":"fletcher32"}"#,
    r#"{"id":"base64"}"#,
    r#"{"id":"json2"}"#,
    r#"{"id":"msgpack2"}"#,
];

#[test]
fn new_handles_start_with_the_default_limit() {
    let codec = create(r#"{"id":"zlib"}"#);
    let mut limit = 0usize;
    // SAFETY: a live handle, valid out pointer.
    assert_eq!(unsafe { numcodecs_codec_max_decoded_size(codec, &mut limit) }, NUMCODECS_OK);
    assert_eq!(limit as u64, NUMCODECS_DEFAULT_MAX_DECODED_SIZE);
    // SAFETY: NULL handle and NULL out pointer are refused, not dereferenced.
    unsafe {
        assert_eq!(numcodecs_codec_set_max_decoded_size(ptr::null_mut(), 5), NUMCODECS_INVALID_ARGUMENT);
        assert_eq!(numcodecs_codec_max_decoded_size(codec, ptr::null_mut()), NUMCODECS_INVALID_ARGUMENT);
        numcodecs_codec_free(codec);
    }
}

#[test]
fn every_codec_refuses_output_over_the_handle_limit() {
    let data: Vec<u8> = (0..DECODED_LEN).map(|i| (i / 4096) as u8).collect();
    for config in CONFIGS {
        let codec = create(config);
        let encoded = encode(codec, &data);

        set_limit(codec, DECODED_LEN - 1);
        assert_eq!(decode_alloc(codec, &encoded), Err(NUMCODECS_LIMIT_EXCEEDED), "{config}: decode_alloc");
        assert!(last_error().contains("limit"), "{config}: {}", last_error());
        // A destination larger than the limit does not lift it.
        assert_eq!(decode_into(codec, &encoded, 2 * DECODED_LEN), Err(NUMCODECS_LIMIT_EXCEEDED), "{config}: decode");

        set_limit(codec, DECODED_LEN);
        assert_eq!(decode_alloc(codec, &encoded).as_deref(), Ok(&data[..]), "{config}: at the limit");
        assert_eq!(decode_into(codec, &encoded, DECODED_LEN), Ok(DECODED_LEN), "{config}: into, at the limit");

        set_limit(codec, usize::MAX);
        assert_eq!(decode_alloc(codec, &encoded).as_deref(), Ok(&data[..]), "{config}: no limit");

        // Limit 0: empty chunks still decode.
        set_limit(codec, 0);
        let empty = encode(codec, &[]);
        assert_eq!(decode_alloc(codec, &empty), Ok(Vec::new()), "{config}: empty chunk under limit 0");
        assert_eq!(decode_alloc(codec, &encoded), Err(NUMCODECS_LIMIT_EXCEEDED), "{config}: limit 0");
        // SAFETY: a live handle, freed once.
        unsafe { numcodecs_codec_free(codec) };
    }
}

#[test]
fn decoded_size_reports_a_header_over_the_limit() {
    let data = vec![7u8; 4096];
    for config in [r#"{"id":"zstd"}"#, r#"{"id":"lz4"}"#, r#"{"id":"blosc"}"#] {
        let codec = create(config);
        let encoded = encode(codec, &data);
        set_limit(codec, 4095);
        let mut size = 0usize;
        // SAFETY: valid pointers.
        let status = unsafe { numcodecs_decoded_size(codec, encoded.as_ptr().cast(), encoded.len(), &mut size) };
        assert_eq!(status, NUMCODECS_LIMIT_EXCEEDED, "{config}");
        assert_eq!(size, 0, "{config}: output written on failure");
        // SAFETY: a live handle, freed once.
        unsafe { numcodecs_codec_free(codec) };
    }
}

#[test]
fn limits_are_per_handle() {
    let data = vec![1u8; 10_000];
    let small = create(r#"{"id":"zlib"}"#);
    let large = create(r#"{"id":"zlib"}"#);
    let encoded = encode(small, &data);
    set_limit(small, 9_999);
    assert_eq!(decode_alloc(small, &encoded), Err(NUMCODECS_LIMIT_EXCEEDED));
    assert_eq!(decode_alloc(large, &encoded).map(|d| d.len()), Ok(10_000));
    // SAFETY: live handles, freed once.
    unsafe {
        numcodecs_codec_free(small);
        numcodecs_codec_free(large);
    }
}

/// A 13-byte .lzma header may claim a 4 GiB dictionary, which liblzma would allocate whole before
/// producing any output. No encoder writes a dictionary over 1.5 GiB, so the memory limit refuses it.
#[test]
fn lzma_alone_header_claiming_a_4_gib_dictionary_is_refused() {
    let mut stream = vec![0x5D];
    stream.extend_from_slice(&u32::MAX.to_le_bytes());
    stream.extend_from_slice(&u64::MAX.to_le_bytes());
    stream.extend_from_slice(&[0u8; 16]);
    let codec = create(r#"{"id":"lzma","format":2}"#);
    assert_eq!(decode_alloc(codec, &stream), Err(NUMCODECS_LIMIT_EXCEEDED), "{}", last_error());
    // SAFETY: a live handle, freed once.
    unsafe { numcodecs_codec_free(codec) };
}

/// A raw lzma stream's dictionary comes from the configuration, not from a header; the decoder checks
/// it against the handle's limit too, before liblzma allocates it.
#[test]
fn lzma_raw_filter_chain_dictionary_counts_against_the_limit() {
    let config = r#"{"id":"lzma","format":3,"filters":[{"id":33,"preset":1,"dict_size":268435456}]}"#;
    let codec = create(config);
    let data = vec![3u8; 1000];
    let encoded = encode(codec, &data);
    assert_eq!(decode_alloc(codec, &encoded).as_deref(), Ok(&data[..]), "default limit");
    set_limit(codec, 1 << 20);
    assert_eq!(decode_alloc(codec, &encoded), Err(NUMCODECS_LIMIT_EXCEEDED));
    assert!(last_error().contains("decoder memory"), "{}", last_error());
    // SAFETY: a live handle, freed once.
    unsafe { numcodecs_codec_free(codec) };
}

/// The item APIs of the object codecs decode under the same handle limit.
#[test]
fn item_decodes_honour_the_limit() {
    for config in [r#"{"id":"vlen-bytes"}"#, r#"{"id":"json2"}"#, r#"{"id":"msgpack2"}"#] {
        item_decode_honours_the_limit(config);
    }
}

fn item_decode_honours_the_limit(config: &str) {
    let codec = create(config);
    let item = vec![0x5Au8; 100_000];
    let items = [item.as_ptr()];
    let lens = [item.len()];
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    // SAFETY: valid pointers; the result is copied and freed.
    let encoded = unsafe {
        assert_eq!(numcodecs_encode_items_alloc(codec, items.as_ptr(), lens.as_ptr(), 1, &mut out, &mut out_len), NUMCODECS_OK);
        let encoded = std::slice::from_raw_parts(out, out_len).to_vec();
        numcodecs_bytes_free(out, out_len);
        encoded
    };
    let decode = |codec: *const numcodecs_codec| {
        let mut handle = ptr::null_mut();
        // SAFETY: valid pointers; a handle returned on success is freed.
        let status = unsafe { numcodecs_decode_items(codec, encoded.as_ptr().cast(), encoded.len(), &mut handle) };
        // SAFETY: NULL or a live items handle, freed once.
        unsafe { numcodecs_items_free(handle) };
        status
    };
    set_limit(codec, 99_999);
    assert_eq!(decode(codec), NUMCODECS_LIMIT_EXCEEDED, "{config}: {}", last_error());
    set_limit(codec, 100_000);
    assert_eq!(decode(codec), NUMCODECS_OK);
    // SAFETY: a live handle, freed once.
    unsafe { numcodecs_codec_free(codec) };
}
