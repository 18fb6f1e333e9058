//! Corrupt, truncated, bit-flipped and empty inputs through the C ABI for every compressor: decode must
//! return OK or an error status with a message — never crash, hang, or write past `dst_cap`.
//! (Issue 6 extends this into the full hostile-input suite and fuzzing.)

use std::ffi::CStr;
use std::ptr;

use numcodecs::ffi::numcodecs_status::*;
use numcodecs::ffi::*;

const CONFIGS: &[&str] = &[
    r#"{"id":"zlib","level":1}"#,
    r#"{"id":"gzip","level":1}"#,
    r#"{"id":"bz2","level":1}"#,
    r#"{"id":"lzma"}"#,
    r#"{"id":"lzma","format":2}"#,
    r#"{"id":"lzma","format":3,"filters":[{"id":33,"preset":1}]}"#,
    r#"{"id":"zstd","level":1,"checksum":true}"#,
    r#"{"id":"zstd","level":1}"#,
    r#"{"id":"lz4"}"#,
    r#"{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1}"#,
    r#"{"id":"blosc","cname":"zstd","clevel":5,"shuffle":2}"#,
    r#"{"id":"blosc","cname":"zlib","clevel":1,"shuffle":0,"blocksize":256}"#,
    r#"{"id":"blosc","cname":"blosclz","clevel":0}"#,
    r#"{"id":"crc32"}"#,
    r#"{"id":"crc32","location":"end"}"#,
    r#"{"id":"adler32"}"#,
    r#"{"id":"crc32c"}"#,
    r#"{"id":"crc32c","location":"start"}"#,
    r#"{"id":"fletcher32"}"#,
    r#"{"id":"jenkins_lookup3","initval":7}"#,
    r#"{"id":"base64"}"#,
    // Filters whose stream is the data itself: every whole number of elements decodes.
    r#"{"id":"shuffle","elementsize":4}"#,
    r#"{"id":"shuffle","elementsize":8}"#,
    r#"{"id":"bitround","keepbits":23}"#,
    r#"{"id":"bitround","keepbits":5}"#,
    r#"{"id":"packbits"}"#,
    r#"{"id":"delta","dtype":"<i4"}"#,
    r#"{"id":"delta","dtype":"<i4","astype":"<i8"}"#,
    r#"{"id":"fixedscaleoffset","offset":1000,"scale":3,"dtype":"<i4","astype":"<i8"}"#,
    r#"{"id":"quantize","digits":2,"dtype":"<f4"}"#,
    r#"{"id":"astype","encode_dtype":">i8","decode_dtype":"<i4"}"#,
    r#"{"id":"pcodec"}"#,
    r#"{"id":"pcodec","level":0,"mode_spec":"classic","delta_spec":"none","equal_pages_up_to":300}"#,
    r#"{"id":"zfpy"}"#,
    r#"{"id":"zfpy","mode":2,"rate":8}"#,
    r#"{"id":"zfpy","mode":3,"precision":12}"#,
    r#"{"id":"zfpy","mode":4,"tolerance":0.5}"#,
    // Strings of numpy's fixed-width unicode: any bytes are code units, any code decodes.
    r#"{"id":"categorize","labels":["a","bb"],"dtype":"<U2","astype":"<i2"}"#,
    // The numeric side of the object codecs: the array as JSON or msgpack text, dtype and shape after it.
    r#"{"id":"json2"}"#,
    r#"{"id":"json2","indent":2,"encoding":"latin-1","strict":false}"#,
    r#"{"id":"msgpack2"}"#,
    r#"{"id":"msgpack2","use_single_float":true,"raw":true}"#,
];

fn is_lossy(config: &str) -> bool {
    // categorize decodes the strings that are no label to "".
    (config.contains("zfpy") && config.contains("\"mode\"")) || config.contains(r#""id":"quantize""#) || config.contains(r#""id":"categorize""#)
}

/// zfp cannot describe an empty array, so zfpy refuses to encode one.
fn encodes_empty_chunk(config: &str) -> bool {
    !config.contains("zfpy")
}

/// Codecs that decode zero bytes to an empty chunk: Python's gzip and bz2 readers, and so numcodecs,
/// do; base64 and the filters that keep the length (shuffle, bitround) encode the empty chunk to zero bytes.
fn decodes_empty_input(config: &str) -> bool {
    ["gzip", "bz2", "base64", "shuffle", "bitround", "delta", "fixedscaleoffset", "quantize", "astype", "categorize"].iter().any(|id| config.contains(&format!(r#""id":"{id}""#)))
}

const CANARY: u8 = 0xC5;
const SLACK: usize = 64;

struct Codec(*mut numcodecs_codec);

impl Drop for Codec {
    fn drop(&mut self) {
        unsafe { numcodecs_codec_free(self.0) }
    }
}

fn codec(json: &str) -> Codec {
    let mut out = ptr::null_mut();
    let status = unsafe { numcodecs_codec_from_json(json.as_ptr().cast(), json.len(), &mut out) };
    assert_eq!(status, NUMCODECS_OK, "{json}: {}", last_error());
    Codec(out)
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(numcodecs_last_error()) }.to_string_lossy().into_owned()
}

/// The dtype a configuration encodes the samples as: most codecs take any, bitround only floats.
fn dtype_of(config: &str) -> &'static [u8] {
    if config.contains("bitround") || config.contains("quantize") {
        b"<f4\0"
    } else if config.contains("categorize") {
        b"<U2\0"
    } else {
        b"<i4\0"
    }
}

/// What decoding the encoding of `src` must give: `src` for lossless codecs.
fn expected_decoding(config: &str, src: &[u8]) -> Vec<u8> {
    if config.contains("packbits") {
        // Each byte is a boolean: non-zero decodes to 1.
        return src.iter().map(|&b| u8::from(b != 0)).collect();
    }
    if let Some(keepbits) = config.strip_prefix(r#"{"id":"bitround","keepbits":"#).and_then(|rest| rest.trim_end_matches('}').parse::<u32>().ok()) {
        // numcodecs' rounding of f4 mantissas to `keepbits` bits (23 keeps them all).
        let drop = 23 - keepbits;
        if drop == 0 {
            return src.to_vec();
        }
        let half = (1u32 << (drop - 1)) - 1;
        let mask = !((1u32 << drop) - 1);
        return src
            .chunks_exact(4)
            .flat_map(|b| {
                let bits = u32::from_le_bytes(b.try_into().unwrap());
                (bits.wrapping_add(half + ((bits >> drop) & 1)) & mask).to_le_bytes()
            })
            .collect();
    }
    src.to_vec()
}

fn encode(codec: &Codec, config: &str, src: &[u8]) -> Vec<u8> {
    let (mut out, mut len) = (ptr::null_mut(), 0usize);
    let dtype = dtype_of(config);
    let info = numcodecs_array_info { dtype: dtype.as_ptr().cast(), shape: ptr::null(), ndim: 0 };
    let status = unsafe { numcodecs_encode_alloc(codec.0, src.as_ptr().cast(), src.len(), &info, &mut out, &mut len) };
    assert_eq!(status, NUMCODECS_OK, "{}", last_error());
    let encoded = unsafe { std::slice::from_raw_parts(out, len) }.to_vec();
    unsafe { numcodecs_bytes_free(out, len) };
    encoded
}

/// Decodes `input` into a buffer of `cap` bytes followed by canaries and through the allocating call;
/// returns the decoded bytes if both succeeded (they must agree) or None if both failed with a message.
fn decode_checked(codec: &Codec, input: &[u8], cap: usize, what: &str) -> Option<Vec<u8>> {
    let mut dst = vec![CANARY; cap + SLACK];
    let mut dst_len = usize::MAX;
    let status = unsafe { numcodecs_decode(codec.0, input.as_ptr().cast(), input.len(), dst.as_mut_ptr().cast(), cap, &mut dst_len) };
    assert!(dst[cap..].iter().all(|&b| b == CANARY), "{what}: decode wrote past dst_cap");
    let message = last_error();
    match status {
        NUMCODECS_OK => assert!(dst_len <= cap, "{what}: dst_len {dst_len} > cap {cap}"),
        NUMCODECS_CORRUPT_DATA | NUMCODECS_LIMIT_EXCEEDED | NUMCODECS_BUFFER_TOO_SMALL => {
            assert!(!message.is_empty(), "{what}: {status:?} without a message")
        }
        other => panic!("{what}: unexpected status {other:?}: {message}"),
    }
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    let alloc_status = unsafe { numcodecs_decode_alloc(codec.0, input.as_ptr().cast(), input.len(), &mut out, &mut out_len) };
    if alloc_status != NUMCODECS_OK {
        assert!(out.is_null(), "{what}: out written on failure");
        assert!(matches!(alloc_status, NUMCODECS_CORRUPT_DATA | NUMCODECS_LIMIT_EXCEEDED), "{what}: {alloc_status:?}: {}", last_error());
        assert!(!last_error().is_empty());
        return None;
    }
    let decoded = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
    unsafe { numcodecs_bytes_free(out, out_len) };
    if status == NUMCODECS_OK {
        assert_eq!(&dst[..dst_len], &decoded[..], "{what}: decode and decode_alloc disagree");
    }
    Some(decoded)
}

fn sample(n: usize) -> Vec<u8> {
    (0..n as u32 / 4).flat_map(|i| (i / 3 + (i.wrapping_mul(2654435761) >> 29)).to_le_bytes()).collect()
}

#[test]
fn empty_and_garbage_inputs_give_a_status() {
    for config in CONFIGS {
        let codec = codec(config);
        let garbage: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        for input in [&b""[..], &[0u8][..], &[0xFFu8; 16][..], &[0u8; 64][..], &garbage[..]] {
            // An empty input is not a valid encoding (even an empty chunk encodes to a header or a
            // checksum), except for the codecs of `decodes_empty_input`.
            let what = format!("{config} on {} bytes", input.len());
            if let Some(decoded) = decode_checked(&codec, input, 4096, &what) {
                let lenient = decodes_empty_input(config);
                assert!(!input.is_empty() || (lenient && decoded.is_empty()), "{what}: empty input decoded to {} bytes", decoded.len());
            }
        }
    }
}

#[test]
fn truncated_encodings_are_refused() {
    for config in CONFIGS {
        let codec = codec(config);
        for size in [0usize, 40, 4000] {
            if size == 0 && !encodes_empty_chunk(config) {
                continue;
            }
            let src = sample(size);
            let encoded = encode(&codec, config, &src);
            let full = decode_checked(&codec, &encoded, src.len(), config).unwrap_or_else(|| panic!("{config}: decoding failed"));
            // zfpy's lossy modes give back an approximation; the other codecs the chunk or its known rounding.
            if !is_lossy(config) {
                assert_eq!(full, expected_decoding(config, &src), "{config}: round trip");
            }
            // Every proper prefix must fail or decode to less (base64: a prefix that ends on a quantum is
            // valid base64 of fewer bytes).
            let step = if encoded.len() > 600 { encoded.len() / 150 } else { 1 };
            // Zero bytes are an empty chunk to some codecs (see above), so their cuts start at 1.
            let first = usize::from(decodes_empty_input(config));
            for cut in (first..encoded.len()).step_by(step) {
                let what = format!("{config}: {size}-byte chunk cut to {cut} of {} bytes", encoded.len());
                if let Some(decoded) = decode_checked(&codec, &encoded[..cut], src.len(), &what) {
                    assert_ne!(decoded, full, "{what}: truncated stream decoded to the full chunk");
                }
            }
        }
    }
}

#[test]
fn bit_flips_never_crash() {
    for config in CONFIGS {
        let codec = codec(config);
        let src = sample(3000);
        let encoded = encode(&codec, config, &src);
        let mut state = 0x9E3779B97F4A7C15u64;
        for round in 0..300 {
            let mut damaged = encoded.clone();
            for _ in 0..1 + round % 3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let bit = (state % (damaged.len() as u64 * 8)) as usize;
                damaged[bit / 8] ^= 1 << (bit % 8);
            }
            // Decode into the true size, a smaller and a larger buffer.
            for cap in [src.len(), src.len() / 2, src.len() + 100] {
                decode_checked(&codec, &damaged, cap, &format!("{config}: flip round {round}, cap {cap}"));
            }
        }
    }
}

#[test]
fn checksummed_streams_never_return_wrong_data() {
    // zstd with checksum, gzip (CRC32), bz2 (block CRCs), xz (CRC64) and the checksum codecs verify what
    // they decode: a damaged stream either fails or still decodes to the original bytes (a flip in bits
    // the decoder never uses), never to different data.
    let checksummed = [r#"{"id":"zstd","level":1,"checksum":true}"#, r#"{"id":"gzip"}"#, r#"{"id":"bz2"}"#, r#"{"id":"lzma"}"#];
    let checksum_codecs = CONFIGS.iter().copied().filter(|c| ["crc32", "adler32", "fletcher32", "jenkins"].iter().any(|id| c.contains(id)));
    for config in checksummed.into_iter().chain(checksum_codecs) {
        let codec = codec(config);
        let src = sample(4000);
        let encoded = encode(&codec, config, &src);
        let mut failures = 0;
        for bit in (0..encoded.len() * 8).step_by(7) {
            let mut damaged = encoded.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            match decode_checked(&codec, &damaged, src.len(), config) {
                None => failures += 1,
                Some(decoded) => assert_eq!(decoded, src, "{config}: bit {bit} flipped decoded to different data"),
            }
        }
        assert!(failures > encoded.len() * 8 / 7 / 2, "{config}: only {failures} damaged streams were refused");
    }
}

#[test]
fn damaged_checksum_codecs_report_corrupt_data_with_a_message() {
    // numcodecs raises RuntimeError("... checksum do not match ..."); through the C ABI that is
    // NUMCODECS_CORRUPT_DATA and a message naming the codec and the mismatch.
    for config in CONFIGS.iter().filter(|c| ["crc32", "adler32", "fletcher32", "jenkins"].iter().any(|id| c.contains(id))) {
        let codec = codec(config);
        let src = sample(1000);
        let encoded = encode(&codec, config, &src);
        let id = config.split('"').nth(3).unwrap();
        for position in [0, 3, 4, 500, encoded.len() - 5, encoded.len() - 1] {
            let mut damaged = encoded.clone();
            damaged[position] ^= 0x01;
            let mut dst = vec![0u8; src.len()];
            let mut dst_len = usize::MAX;
            let status = unsafe { numcodecs_decode(codec.0, damaged.as_ptr().cast(), damaged.len(), dst.as_mut_ptr().cast(), dst.len(), &mut dst_len) };
            let message = last_error();
            assert_eq!(status, NUMCODECS_CORRUPT_DATA, "{config}: byte {position} flipped: {message}");
            assert!(message.starts_with(&format!("{id}: checksum mismatch")), "{config}: {message}");
            assert_eq!(dst_len, usize::MAX, "{config}: dst_len written on failure");
        }
    }
}

/// A codec added to the registry must be added to CONFIGS (or OBJECT_CONFIGS), so the hostile suite covers it.
#[test]
fn every_registered_codec_is_covered() {
    let mut len = 0usize;
    // SAFETY: size query with a NULL destination and zero capacity.
    let status = unsafe { numcodecs_registered_codecs(ptr::null_mut(), 0, &mut len) };
    assert!(status == NUMCODECS_BUFFER_TOO_SMALL || status == NUMCODECS_OK, "{status:?}");
    let mut buf = vec![0u8; len + 1];
    // SAFETY: buf has len + 1 writable bytes.
    let status = unsafe { numcodecs_registered_codecs(buf.as_mut_ptr().cast(), buf.len(), &mut len) };
    assert_eq!(status, NUMCODECS_OK);
    let ids: Vec<String> = serde_json::from_slice(&buf[..len]).unwrap();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !CONFIGS.iter().chain(OBJECT_CONFIGS).any(|config| config.contains(&format!(r#""id":"{id}""#))))
        .collect();
    assert!(missing.is_empty(), "tests/hostile.rs CONFIGS has no configuration for {missing:?}");
}

// ---- object codecs (vlen-*) through the item APIs ----------------------------------------------------

const OBJECT_CONFIGS: &[&str] = &[
    r#"{"id":"vlen-utf8"}"#,
    r#"{"id":"vlen-bytes"}"#,
    r#"{"id":"vlen-array","dtype":"<i2"}"#,
    r#"{"id":"categorize","labels":["a","bb","\u00e9t\u00e9"],"dtype":"|O","astype":"<i2"}"#,
    r#"{"id":"pickle","protocol":5}"#,
    r#"{"id":"pickle","protocol":2}"#,
    r#"{"id":"pickle","protocol":0}"#,
    r#"{"id":"json2"}"#,
    r#"{"id":"json2","indent":1,"ensure_ascii":false}"#,
    r#"{"id":"msgpack2"}"#,
    r#"{"id":"msgpack2","raw":true,"use_bin_type":false}"#,
];

fn is_pickle(config: &str) -> bool {
    config.contains(r#""id":"pickle""#)
}

/// The vlen codecs' framing (count, lengths) is what most object tests attack; categorize has none.
fn is_vlen(config: &str) -> bool {
    config.contains(r#""id":"vlen-"#)
}

/// The most data bytes and items `input` can decode to: vlen items are slices of the input (at least 4
/// bytes each); categorize's 2-byte codes each give a label of at most 5 bytes.
fn decoded_bounds(config: &str, input_len: usize) -> (usize, usize) {
    if is_vlen(config) {
        (input_len, input_len / 4)
    } else if holds_any_object(config) {
        // json2, msgpack2: a string takes at least its own bytes (msgpack: one for an empty one).
        (input_len, input_len)
    } else if is_pickle(config) {
        // Memo references repeat a stored string for two bytes each.
        (input_len * 1000, input_len)
    } else {
        (input_len / 2 * 5, input_len / 2)
    }
}


/// json2 and msgpack2 documents may hold objects other than strings, which the item calls refuse as
/// NUMCODECS_UNSUPPORTED (the JSON bridge may still carry them); vlen streams hold items only.
fn holds_any_object(config: &str) -> bool {
    config.contains("json2") || config.contains("msgpack2")
}

/// Decodes `input` through the items handle, the flat form (buffers of the input's size, canaries after)
/// and the JSON bridge; all three must agree (the bridge may succeed where the item calls find a
/// non-string object). Returns the item count on success.
fn decode_items_checked(codec: &Codec, config: &str, input: &[u8], what: &str) -> Option<usize> {
    let mut handle = ptr::null_mut();
    let status = unsafe { numcodecs_decode_items(codec.0, input.as_ptr().cast(), input.len(), &mut handle) };
    let mut decoded_data_len = 0;
    let count = match status {
        NUMCODECS_OK => {
            let count = unsafe { numcodecs_items_count(handle) };
            let (mut data, mut offsets) = (ptr::null(), ptr::null());
            assert_eq!(unsafe { numcodecs_items_flat(handle, &mut data, &mut decoded_data_len, &mut offsets) }, NUMCODECS_OK);
            unsafe { numcodecs_items_free(handle) };
            Some(count)
        }
        NUMCODECS_CORRUPT_DATA | NUMCODECS_LIMIT_EXCEEDED => {
            assert!(handle.is_null() && !last_error().is_empty(), "{what}: {status:?}");
            None
        }
        // A damaged pickle can hold numbers where strings were, and json2/msgpack2 documents hold any
        // object: only the JSON bridge gives those.
        NUMCODECS_UNSUPPORTED if is_pickle(config) || holds_any_object(config) => {
            assert!(handle.is_null() && !last_error().is_empty(), "{what}: {status:?}");
            None
        }
        other => panic!("{what}: unexpected status {other:?}: {}", last_error()),
    };
    // A chain's compressor expands: the buffers also fit what decode_items gave.
    let (max_data, max_items) = decoded_bounds(config, input.len());
    let data_cap = max_data.max(decoded_data_len);
    let offsets_cap = (max_items + 1).max(count.unwrap_or(0) + 1);
    let mut data = vec![CANARY; data_cap + SLACK];
    let mut offsets = vec![usize::MAX; offsets_cap + SLACK];
    let (mut n, mut len) = (usize::MAX, usize::MAX);
    let flat = unsafe {
        numcodecs_decode_flat(codec.0, input.as_ptr().cast(), input.len(), data.as_mut_ptr(), data_cap, offsets.as_mut_ptr(), offsets_cap, &mut n, &mut len)
    };
    assert!(data[data_cap..].iter().all(|&b| b == CANARY), "{what}: decode_flat wrote past data_cap");
    assert!(offsets[offsets_cap..].iter().all(|&o| o == usize::MAX), "{what}: decode_flat wrote past offsets_cap");
    assert_eq!(flat, status, "{what}: decode_flat {flat:?} disagrees with decode_items {status:?}");
    if let Some(count) = count {
        assert_eq!(n, count, "{what}");
    }
    let (mut json, mut json_len) = (ptr::null_mut(), 0usize);
    let json_status = unsafe { numcodecs_decode_json_items(codec.0, input.as_ptr().cast(), input.len(), &mut json, &mut json_len) };
    if status == NUMCODECS_UNSUPPORTED {
        let allowed = [NUMCODECS_OK, NUMCODECS_UNSUPPORTED, NUMCODECS_CORRUPT_DATA, NUMCODECS_LIMIT_EXCEEDED];
        assert!(allowed.contains(&json_status), "{what}: decode_json_items {json_status:?}");
    } else {
        assert_eq!(json_status, status, "{what}: decode_json_items {json_status:?} disagrees with decode_items {status:?}");
    }
    if json_status == NUMCODECS_OK {
        unsafe { numcodecs_bytes_free(json.cast(), json_len) };
    }
    count
}

fn encode_items(codec: &Codec, items: &[&[u8]]) -> Vec<u8> {
    let pointers: Vec<*const u8> = items.iter().map(|item| item.as_ptr()).collect();
    let lens: Vec<usize> = items.iter().map(|item| item.len()).collect();
    let (mut out, mut len) = (ptr::null_mut(), 0usize);
    let status = unsafe { numcodecs_encode_items_alloc(codec.0, pointers.as_ptr(), lens.as_ptr(), items.len(), &mut out, &mut len) };
    assert_eq!(status, NUMCODECS_OK, "{}", last_error());
    let encoded = unsafe { std::slice::from_raw_parts(out, len) }.to_vec();
    unsafe { numcodecs_bytes_free(out, len) };
    encoded
}

#[test]
fn object_codecs_refuse_bad_counts_lengths_and_utf8() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "empty"),
        (b"\x01\0\0", "short header"),
        (b"\xff\xff\xff\xff", "count 2^32-1 with no items"),
        (b"\x00\x00\x00\x40\0\0\0\0\0\0\0\0", "count 2^30 in 12 bytes"),
        (b"\x02\0\0\0\0\0\0\0", "second item missing"),
        (b"\x01\0\0\0\xff\xff\xff\xff", "length 2^32-1 past the end"),
        (b"\x01\0\0\0\x03\0\0\0ab", "length one past the end"),
    ];
    for config in OBJECT_CONFIGS.iter().filter(|c| is_vlen(c)) {
        let codec = codec(config);
        for (input, what) in cases {
            assert_eq!(decode_items_checked(&codec, config, input, &format!("{config}: {what}")), None, "{config}: {what} decoded");
        }
        // Zero items is valid, with or without trailing bytes.
        assert_eq!(decode_items_checked(&codec, config, b"\0\0\0\0", config), Some(0));
        assert_eq!(decode_items_checked(&codec, config, b"\0\0\0\0trailing", config), Some(0));
    }
    let utf8 = codec(OBJECT_CONFIGS[0]);
    for bad in [&b"\xff"[..], b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"a\xc0\xafb"] {
        let mut input = 1u32.to_le_bytes().to_vec();
        input.extend_from_slice(&(bad.len() as u32).to_le_bytes());
        input.extend_from_slice(bad);
        assert_eq!(decode_items_checked(&utf8, OBJECT_CONFIGS[0], &input, &format!("utf8 {bad:?}")), None);
        // Encoding refuses it too, as an invalid argument.
        let (pointer, len) = (bad.as_ptr(), bad.len());
        let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
        let status = unsafe { numcodecs_encode_items_alloc(utf8.0, &pointer, &len, 1, &mut out, &mut out_len) };
        assert_eq!(status, NUMCODECS_INVALID_ARGUMENT, "{bad:?}");
        assert!(out.is_null());
    }
}

#[test]
fn object_codec_arguments_are_checked() {
    let codec = codec(OBJECT_CONFIGS[1]);
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    // NULL item arrays with a non-zero count, a NULL item with a length, decreasing or out-of-range offsets.
    assert_eq!(unsafe { numcodecs_encode_items_alloc(codec.0, ptr::null(), ptr::null(), 1, &mut out, &mut out_len) }, NUMCODECS_INVALID_ARGUMENT);
    let (null_item, len) = (ptr::null::<u8>(), 3usize);
    assert_eq!(unsafe { numcodecs_encode_items_alloc(codec.0, &null_item, &len, 1, &mut out, &mut out_len) }, NUMCODECS_INVALID_ARGUMENT);
    let data = b"abcdef";
    for offsets in [[0usize, 4, 2], [0, 2, 7], [5, 6, 6]] {
        let status = unsafe { numcodecs_encode_flat_alloc(codec.0, data.as_ptr(), data.len(), offsets.as_ptr(), 2, &mut out, &mut out_len) };
        let ok = offsets == [5, 6, 6];
        assert_eq!(status == NUMCODECS_OK, ok, "{offsets:?}: {status:?}");
        if ok {
            unsafe { numcodecs_bytes_free(out, out_len) };
        } else {
            assert_eq!(status, NUMCODECS_INVALID_ARGUMENT);
        }
    }
    assert_eq!(unsafe { numcodecs_encode_flat_alloc(codec.0, data.as_ptr(), data.len(), ptr::null(), 0, &mut out, &mut out_len) }, NUMCODECS_INVALID_ARGUMENT);
    // Malformed JSON and items of the wrong form.
    for json in ["", "[", "{}", "[1]", r#"["text"]"#, r#"[{"b64":"!!"}]"#, r#"[{"b64":"AA==","x":1}]"#] {
        let status = unsafe { numcodecs_encode_json_items(codec.0, json.as_ptr().cast(), json.len(), &mut out, &mut out_len) };
        assert_eq!(status, NUMCODECS_INVALID_ARGUMENT, "{json}: {}", last_error());
    }
    // The items handle: NULL and out-of-range accessors.
    assert_eq!(unsafe { numcodecs_items_count(ptr::null()) }, 0);
    let (mut item, mut item_len) = (ptr::null(), 0usize);
    assert_eq!(unsafe { numcodecs_items_get(ptr::null(), 0, &mut item, &mut item_len) }, NUMCODECS_INVALID_ARGUMENT);
    unsafe { numcodecs_items_free(ptr::null_mut()) };
    // Encoding into a buffer that overlaps an item.
    let mut buffer = vec![0u8; 64];
    let (item_ptr, item_len) = (buffer.as_ptr(), 4usize);
    let mut written = 0usize;
    let status = unsafe { numcodecs_encode_items(codec.0, &item_ptr, &item_len, 1, buffer.as_mut_ptr(), buffer.len(), &mut written) };
    assert_eq!(status, NUMCODECS_INVALID_ARGUMENT);
    // Items on both sides of the destination (their address range holds it, no item touches it) are
    // fine; one more item inside it is not, wherever it comes in the list.
    // All pointers from one base, so none invalidates another.
    let base = buffer.as_mut_ptr();
    let (dst_ptr, dst_len) = (unsafe { base.add(8) }, 48usize);
    let around = [base.cast_const(), unsafe { base.add(56) }.cast_const()];
    let around_lens = [8usize, 8];
    let status = unsafe { numcodecs_encode_items(codec.0, around.as_ptr(), around_lens.as_ptr(), 2, dst_ptr, dst_len, &mut written) };
    assert_eq!(status, NUMCODECS_OK, "{}", last_error());
    let inside = [around[0], unsafe { base.add(40) }.cast_const(), around[1]];
    let inside_lens = [8usize, 4, 8];
    let status = unsafe { numcodecs_encode_items(codec.0, inside.as_ptr(), inside_lens.as_ptr(), 3, dst_ptr, dst_len, &mut written) };
    assert_eq!(status, NUMCODECS_INVALID_ARGUMENT);
    assert!(last_error().contains("overlap"), "{}", last_error());
}

/// Chains that start with an object codec (Zarr v2 string arrays) take the item calls too.
const OBJECT_CHAIN_CONFIGS: &[&str] = &[
    r#"{"filters":[{"id":"vlen-utf8"}],"compressor":{"id":"zstd","level":1}}"#,
    r#"[{"id":"vlen-bytes"},{"id":"crc32"},{"id":"zlib","level":1}]"#,
];

#[test]
fn object_codec_bit_flips_and_truncations_never_crash() {
    for config in OBJECT_CONFIGS.iter().chain(OBJECT_CHAIN_CONFIGS) {
        let codec = codec(config);
        let owned: Vec<Vec<u8>> = (0..40u8).map(|i| (0..(i % 7) * 2).map(|j| b'a' + (i + j) % 26).collect()).collect();
        let items: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let encoded = encode_items(&codec, &items);
        assert_eq!(decode_items_checked(&codec, config, &encoded, config), Some(items.len()));
        for cut in 0..encoded.len() {
            let decoded = decode_items_checked(&codec, config, &encoded[..cut], &format!("{config}: cut {cut}"));
            if is_vlen(config) || is_pickle(config) || holds_any_object(config) {
                // A prefix either fails or, when it ends exactly after an item... it cannot: the count says
                // 40 (vlen; a chain's compressor refuses a truncated stream), the STOP opcode is missing (pickle), the document is not closed (json2, msgpack2).
                assert_eq!(decoded, None);
            } else {
                // categorize's 2-byte codes: a whole number of them decodes, half a code does not.
                assert_eq!(decoded, (cut % 2 == 0).then_some(cut / 2), "{config}: cut {cut}");
            }
        }
        for bit in 0..encoded.len() * 8 {
            let mut damaged = encoded.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            decode_items_checked(&codec, config, &damaged, &format!("{config}: bit {bit}"));
        }
    }
}

#[test]
fn categorize_expands_only_within_the_decode_limit() {
    // One code byte decodes to a whole label: 2 000 codes of a 60 000-byte label (object) or of a
    // 4 000-character element (unicode) are 120 MB and 32 MB, refused under a 1 MB limit before allocating.
    let label = "x".repeat(60_000);
    let object = codec(&format!(r#"{{"id":"categorize","labels":["{label}"],"dtype":"|O"}}"#));
    let unicode = codec(r#"{"id":"categorize","labels":["y"],"dtype":"<U4000"}"#);
    let codes = vec![1u8; 2000];
    for handle in [&object, &unicode] {
        assert_eq!(unsafe { numcodecs_codec_set_max_decoded_size(handle.0, 1 << 20) }, NUMCODECS_OK);
    }
    let mut items = ptr::null_mut();
    assert_eq!(unsafe { numcodecs_decode_items(object.0, codes.as_ptr().cast(), codes.len(), &mut items) }, NUMCODECS_LIMIT_EXCEEDED);
    assert!(items.is_null());
    let (mut n, mut len) = (0usize, 0usize);
    assert_eq!(unsafe { numcodecs_decoded_items_size(object.0, codes.as_ptr().cast(), codes.len(), &mut n, &mut len) }, NUMCODECS_LIMIT_EXCEEDED);
    let (mut json, mut json_len) = (ptr::null_mut(), 0usize);
    assert_eq!(unsafe { numcodecs_decode_json_items(object.0, codes.as_ptr().cast(), codes.len(), &mut json, &mut json_len) }, NUMCODECS_LIMIT_EXCEEDED);
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    assert_eq!(unsafe { numcodecs_decode_alloc(unicode.0, codes.as_ptr().cast(), codes.len(), &mut out, &mut out_len) }, NUMCODECS_LIMIT_EXCEEDED);
    assert!(out.is_null());
    assert_eq!(unsafe { numcodecs_decoded_size(unicode.0, codes.as_ptr().cast(), codes.len(), &mut out_len) }, NUMCODECS_LIMIT_EXCEEDED);
    // A few codes fit.
    assert_eq!(unsafe { numcodecs_decoded_items_size(object.0, codes.as_ptr().cast(), 10, &mut n, &mut len) }, NUMCODECS_OK);
    assert_eq!((n, len), (10, 600_000));
}

// ---- pickle: a restricted unpickler ------------------------------------------------------------------

/// Every decode path refuses `input` with an error status and writes no output.
fn assert_pickle_refused(codec: &Codec, input: &[u8], what: &str) -> numcodecs_status {
    let mut handle = ptr::null_mut();
    let status = unsafe { numcodecs_decode_items(codec.0, input.as_ptr().cast(), input.len(), &mut handle) };
    assert!(matches!(status, NUMCODECS_CORRUPT_DATA | NUMCODECS_LIMIT_EXCEEDED | NUMCODECS_UNSUPPORTED), "{what}: {status:?} {}", last_error());
    assert!(handle.is_null() && !last_error().is_empty(), "{what}");
    let (mut json, mut json_len) = (ptr::null_mut(), 0usize);
    let json_status = unsafe { numcodecs_decode_json_items(codec.0, input.as_ptr().cast(), input.len(), &mut json, &mut json_len) };
    assert!(matches!(json_status, NUMCODECS_CORRUPT_DATA | NUMCODECS_LIMIT_EXCEEDED), "{what}: JSON {json_status:?} {}", last_error());
    assert!(json.is_null(), "{what}");
    let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
    let byte_status = unsafe { numcodecs_decode_alloc(codec.0, input.as_ptr().cast(), input.len(), &mut out, &mut out_len) };
    assert!(byte_status != NUMCODECS_OK && out.is_null(), "{what}: byte decode {byte_status:?}");
    json_status
}

/// Our own pickle of `items` at protocol 2 or 0 (no frames, so opcodes can be spliced in).
fn pickle_of(protocol: u8, items: &[&str]) -> Vec<u8> {
    let codec = codec(&format!(r#"{{"id":"pickle","protocol":{protocol}}}"#));
    let items: Vec<&[u8]> = items.iter().map(|item| item.as_bytes()).collect();
    encode_items(&codec, &items)
}

/// `pickle_of(protocol, ["PLACEHOLDER"])` with the item's opcodes replaced by `item`: BINUNICODE, the
/// payload and BINPUT 18 at protocol 2; UNICODE, the text and PUT 18 (`p18\n`) at protocol 0.
fn pickle_with_item(protocol: u8, item: &[u8]) -> Vec<u8> {
    let template = pickle_of(protocol, &["PLACEHOLDER"]);
    let at = template.windows(11).position(|w| w == b"PLACEHOLDER").unwrap();
    let (start, end) = if protocol == 0 { (at - 1, at + 11 + 5) } else { (at - 5, at + 11 + 2) };
    assert_eq!(template[start], if protocol == 0 { b'V' } else { b'X' });
    let mut out = template[..start].to_vec();
    out.extend_from_slice(item);
    out.extend_from_slice(&template[end..]);
    out
}

#[test]
fn pickle_splicing_keeps_a_valid_pickle() {
    let binary = codec(OBJECT_CONFIGS[5]);
    assert_eq!(decode_items_checked(&binary, OBJECT_CONFIGS[5], &pickle_with_item(2, b"X\x02\0\0\0ok"), "splice"), Some(1));
    let text = codec(OBJECT_CONFIGS[6]);
    assert_eq!(decode_items_checked(&text, OBJECT_CONFIGS[6], &pickle_with_item(0, b"Vok\n"), "splice"), Some(1));
}

#[test]
fn pickle_refuses_code_execution_and_foreign_globals() {
    let codec = codec(r#"{"id":"pickle"}"#);
    let hostile: &[(&[u8], &str)] = &[
        (b"\x80\x02cos\nsystem\nX\x02\0\0\0id\x85R.", "os.system via GLOBAL"),
        (b"cposix\nsystem\n(S'id'\ntR.", "protocol 0 posix.system"),
        (b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93X\x0a\0\0\0__import__\x85R.", "builtins.eval via STACK_GLOBAL"),
        (b"\x80\x04\x8c\nsubprocess\x8c\x05Popen\x93.", "subprocess.Popen"),
        (b"\x80\x04\x8c\x05numpy\x8c\x04load\x93.", "numpy.load"),
        (b"\x80\x02c__builtin__\ngetattr\n.", "getattr"),
        (b"\x80\x02cnumpy\nndarray\n.", "an allowed global as the result"),
        (b"\x80\x02cnumpy\ndtype\nX\x02\0\0\0O8\x85R.", "numpy.dtype with other arguments"),
        (b"\x80\x02c_codecs\nencode\nX\x01\0\0\0aX\x05\0\0\0utf-8\x86R.", "_codecs.encode with another encoding"),
        (b"\x80\x02cnumpy._core.multiarray\n_reconstruct\ncos\nsystem\n).", "_reconstruct of a foreign type"),
        (b"\x80\x02cnumpy._core.multiarray\n_reconstruct\nX\x01\0\0\0a)\x86R.", "_reconstruct with a str as type"),
        (b"\x80\x02N)R.", "REDUCE of None"),
        (b"\x80\x02]\x94.", "a list, not an array"),
        (b"\x80\x02(N.", "no array"),
        (b"\x80\x05\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.", "BINBYTES8 of 2^63 bytes"),
        (b"\x80\x05\x8d\xff\xff\xff\xff\xff\xff\xff\xff.", "BINUNICODE8 of 2^64 bytes"),
        (b"\x80\x05\x96\0\0\0\0\0\0\0\x01.", "BYTEARRAY8 past the end"),
        (b"\x80\x05\x8b\xff\xff\xff\x7f.", "LONG4 of 2 GiB"),
        (b"\x80\x05\x8b\xff\xff\xff\xff.", "LONG4 of negative length"),
        (b"\x80\x05\x95\xff\xff\xff\xff\xff\xff\xff\xff.", "FRAME of 2^64 bytes"),
        (b"\x80\x05j\xff\xff\xff\xff.", "LONG_BINGET 2^32-1"),
        (b"\x80\x05Nr\xff\xff\xff\xffj\xff\xff\xff\xff.", "LONG_BINPUT 2^32-1 of None"),
        (b"\x80\x05h\0.", "BINGET of nothing"),
        (b"\x80\x05e.", "APPENDS without MARK"),
        (b"\x80\x05Na.", "APPEND to None"),
        (b"\x80\x05t.", "TUPLE without MARK"),
        (b"\x80\x05(\x87.", "TUPLE3 across a MARK"),
        (b"\x80\x05.", "STOP on an empty stack"),
        (b"\x80\x05N)b.", "BUILD of None"),
        (b"\x80\x06N.", "protocol 6"),
        (b"\x80\x05N\x00.", "an unknown opcode"),
        (b"\x80\x05I1\n.", "an INT, not an array"),
        (b"cos\nsystem\np0\n(Vid\np1\ntp2\nRp3\n.", "protocol 0 os.system"),
        (b"cnumpy\ndtype\np0\n(VO8\np1\nI00\nI01\ntp2\nRp3\n.", "protocol 0 dtype, not an array"),
        (b"", "nothing"),
    ];
    for (input, what) in hostile {
        assert_pickle_refused(&codec, input, what);
    }
    // A numpy pickle that lies about its length: shape (3,) with 2 items.
    let good = pickle_of(2, &["ab", "cd"]);
    let shape = good.windows(4).position(|w| w == b"K\x01K\x02").unwrap();
    let mut lying = good.clone();
    lying[shape + 3] = 3;
    assert_eq!(assert_pickle_refused(&codec, &lying, "shape 3, list of 2"), NUMCODECS_CORRUPT_DATA);
}

#[test]
fn pickle_refuses_deep_nesting_cycles_and_expansion() {
    let codec = codec(r#"{"id":"pickle","protocol":2}"#);
    // 100 000 nested lists: refused at the depth limit, without a stack overflow.
    let depth = 100_000;
    let mut nested = vec![b']'; depth];
    nested.extend(std::iter::repeat(b'a').take(depth - 1));
    assert_eq!(assert_pickle_refused(&codec, &pickle_with_item(2, &nested), "deep nesting"), NUMCODECS_CORRUPT_DATA);
    // A list that contains itself.
    assert_eq!(assert_pickle_refused(&codec, &pickle_with_item(2, b"]r\x00\xff\xff\x00j\x00\xff\xff\x00a"), "a cycle"), NUMCODECS_CORRUPT_DATA);
    // A billion laughs: a 1000-byte string, lists of 1000 references to the level below, five levels deep
    // (10^15 bytes once expanded), refused under a 1 MB limit after a bounded amount of work.
    let mut laughs = b"X\xe8\x03\0\0".to_vec();
    laughs.extend(std::iter::repeat(b'x').take(1000));
    laughs.extend_from_slice(b"r\0\0\x01\x000");
    for level in 1..=5u32 {
        laughs.extend_from_slice(b"](");
        for _ in 0..1000 {
            laughs.push(b'j');
            laughs.extend_from_slice(&(0x10000 + level - 1).to_le_bytes());
        }
        laughs.push(b'e');
        laughs.push(b'r');
        laughs.extend_from_slice(&(0x10000 + level).to_le_bytes());
        if level < 5 {
            laughs.push(b'0');
        }
    }
    assert_eq!(unsafe { numcodecs_codec_set_max_decoded_size(codec.0, 1 << 20) }, NUMCODECS_OK);
    let started = std::time::Instant::now();
    assert_eq!(assert_pickle_refused(&codec, &pickle_with_item(2, &laughs), "billion laughs"), NUMCODECS_LIMIT_EXCEEDED, "{}", last_error());
    assert!(started.elapsed().as_secs() < 10, "the expansion stops at the limit");
}

/// `input` decoded through the JSON bridge, or its status.
fn decode_json_items(codec: &Codec, input: &[u8]) -> Result<serde_json::Value, numcodecs_status> {
    let (mut json, mut json_len) = (ptr::null_mut(), 0usize);
    match unsafe { numcodecs_decode_json_items(codec.0, input.as_ptr().cast(), input.len(), &mut json, &mut json_len) } {
        NUMCODECS_OK => {
            let text = unsafe { std::slice::from_raw_parts(json.cast::<u8>(), json_len) }.to_vec();
            unsafe { numcodecs_bytes_free(json.cast(), json_len) };
            Ok(serde_json::from_slice(&text).unwrap())
        }
        status => Err(status),
    }
}

/// Protocol 0's text lines (numbers, strings, memo indices) from a hostile writer: numbers of 100 000
/// digits, integers Python would read otherwise (octal, `+1` as True), float text Python refuses,
/// unterminated lines, bad escapes and memo indices are refused quickly; `nan`, `inf` and long float
/// text are read as Python reads them.
#[test]
fn pickle_text_lines_are_read_strictly_and_quickly() {
    let config = r#"{"id":"pickle","protocol":0}"#;
    let codec = codec(config);
    let digits = |digit: &str, count: usize| digit.repeat(count);
    let refused: Vec<(Vec<u8>, &str)> = vec![
        (format!("I{}\n", digits("9", 5000)).into_bytes(), "an INT of 5000 digits"),
        (format!("L{}L\n", digits("9", 100_000)).into_bytes(), "a LONG of 100 000 digits"),
        (format!("L-{}\n", digits("1", 40)).into_bytes(), "a LONG beyond 128 bits"),
        (b"I0x10\n".to_vec(), "an INT in hex"),
        (b"I010\n".to_vec(), "an INT with a leading zero (octal 8 to Python)"),
        (format!("I{}1\n", digits("0", 5000)).into_bytes(), "an INT of 5000 leading zeros"),
        (b"I+1\n".to_vec(), "an INT with a plus (True to Python)"),
        (b"I1_000\n".to_vec(), "an INT with an underscore"),
        (b"I 1\n".to_vec(), "an INT with a space"),
        (b"I\n".to_vec(), "an empty INT"),
        (b"LL\n".to_vec(), "a LONG of no digits"),
        (format!("F1{}\n", digits("0", 100_000)).into_bytes(), "a FLOAT of 100 000 digits past the float range"),
        (b"F1e309\n".to_vec(), "a FLOAT past the float range"),
        (b"Fnan(1)\n".to_vec(), "a FLOAT nan with a payload"),
        (b"Finfinityx\n".to_vec(), "a FLOAT inf with junk"),
        (b"F\n".to_vec(), "an empty FLOAT"),
        (b"F1,5\n".to_vec(), "a FLOAT with a comma"),
        (b"V\\ud800\n".to_vec(), "a UNICODE surrogate"),
        (b"V\\U00110000\n".to_vec(), "a UNICODE escape beyond U+10FFFF"),
        (b"V\\u12\n".to_vec(), "a truncated UNICODE escape"),
        (b"V\\U0001f60\n".to_vec(), "a short \\U escape"),
        (b"NpX\n".to_vec(), "a PUT index of letters"),
        (b"Np-1\n".to_vec(), "a negative PUT index"),
        (b"Np4294967296\n".to_vec(), "a PUT index of 2^32"),
        (format!("Np{}\n", digits("9", 100_000)).into_bytes(), "a PUT index of 100 000 digits"),
        (b"Np\n".to_vec(), "an empty PUT index"),
        (b"Np0\ng1\n".to_vec(), "a GET of an index never stored"),
        (b"Np0\ng+0\n".to_vec(), "a GET index with a sign"),
    ];
    for (item, what) in &refused {
        let started = std::time::Instant::now();
        assert_eq!(assert_pickle_refused(&codec, &pickle_with_item(0, item), what), NUMCODECS_CORRUPT_DATA, "{what}: {}", last_error());
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{what}: too slow");
    }
    // Lines without their newline, up to the end of the input: nothing is read past it.
    let template = pickle_of(0, &["PLACEHOLDER"]);
    let at = template.windows(11).position(|w| w == b"PLACEHOLDER").unwrap();
    let long_line = format!("V{}", digits("x", 1 << 20));
    for (tail, what) in [(&b"I12"[..], "INT"), (b"L12L", "LONG"), (b"F1.5", "FLOAT"), (long_line.as_bytes(), "UNICODE"), (b"Np1", "PUT"), (b"g0", "GET"), (b"cnumpy\nndarray", "GLOBAL")] {
        let mut input = template[..at - 1].to_vec();
        input.extend_from_slice(tail);
        assert_eq!(assert_pickle_refused(&codec, &input, what), NUMCODECS_CORRUPT_DATA, "unterminated {what}");
        assert!(last_error().contains("newline"), "{what}: {}", last_error());
    }
    // What Python reads the same: the widest values, nan and inf text, long float text that rounds.
    let accepted: Vec<(Vec<u8>, serde_json::Value)> = vec![
        (b"I-2147483648\n".to_vec(), serde_json::json!(-2147483648i64)),
        (b"I01\n".to_vec(), serde_json::json!(true)),
        (b"L-170141183460469231731687303715884105728L\n".to_vec(), serde_json::Value::Null),
        (b"Fnan\n".to_vec(), serde_json::json!({"float": "NaN"})),
        (b"F-inf\n".to_vec(), serde_json::json!({"float": "-Infinity"})),
        (b"FInfinity\n".to_vec(), serde_json::json!({"float": "Infinity"})),
        (format!("F0.{}1\n", digits("0", 100_000)).into_bytes(), serde_json::json!(0.0)),
        (format!("F1.{}1\n", digits("0", 100_000)).into_bytes(), serde_json::json!(1.0)),
        (b"V\\\\u0041\\x\\\n".to_vec(), serde_json::json!("\\\\u0041\\x\\")),
    ];
    for (item, value) in accepted {
        let what = String::from_utf8_lossy(&item[..item.len().min(40)]).into_owned();
        let started = std::time::Instant::now();
        let decoded = decode_json_items(&codec, &pickle_with_item(0, &item));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{what}: too slow");
        if value.is_null() {
            // i128::MIN is read, but is beyond the JSON bridge's 64-bit numbers.
            assert_eq!(decoded, Err(NUMCODECS_UNSUPPORTED), "{what}: {}", last_error());
        } else {
            assert_eq!(decoded, Ok(serde_json::json!([value])), "{what}: {}", last_error());
        }
    }
    // Memo indices need not be dense (PUT 4294967295 is an index like any other), but each entry is
    // memory charged against the decode limit: 200 000 PUTs of one None under a 1 MB limit are refused.
    assert_eq!(decode_json_items(&codec, &pickle_with_item(0, b"Np4294967295\n0g4294967295\n")), Ok(serde_json::json!([null])));
    let mut many_puts = b"N".to_vec();
    for index in 0..200_000u32 {
        many_puts.extend_from_slice(format!("p{}\n", u32::MAX - index).as_bytes());
    }
    assert_eq!(unsafe { numcodecs_codec_set_max_decoded_size(codec.0, 1 << 20) }, NUMCODECS_OK);
    assert_eq!(assert_pickle_refused(&codec, &pickle_with_item(0, &many_puts), "200 000 PUTs"), NUMCODECS_LIMIT_EXCEEDED, "{}", last_error());
}

/// json2 and msgpack2 documents that are not what numcodecs writes: every decode path refuses them with
/// NUMCODECS_CORRUPT_DATA, quickly and without allocating for what they claim.
#[test]
fn malformed_structured_documents_are_refused() {
    let deep_json = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let many_empty_lists = format!("[{}\"<f8\",[100000,1]]", "[],".repeat(100_000));
    let json_cases: Vec<(&[u8], &str)> = vec![
        (b"", "empty"),
        (b"not json", "not JSON"),
        (b"{\"a\":[1]}", "a dict, not a list"),
        (b"[1.0,2.0]", "no dtype and shape trailer"),
        (b"[1.0,2.0,[2]]", "no dtype"),
        (b"[1.0,2.0,\"<f8\"]", "no shape"),
        (b"[1.0,2.0,\"<f8\",[3]]", "fewer elements than the shape"),
        (b"[1.0,\"<f8\",[18446744073709551615]]", "an absurd shape"),
        (b"[[1.0],\"<f8\",[1,4294967296,4294967296]]", "a shape whose product overflows"),
        (b"[[1.0],\"<f8\",[1,1000000000000]]", "a shape larger than the input"),
        (b"[1.0,\"<f8\",[1]] trailing", "data after the document"),
        (b"[1.0,\"<x9\",[1]]", "an unknown dtype"),
        (deep_json.as_bytes(), "nesting 200000 levels deep"),
    ];
    // numcodecs_decoded_info reads the trailer without walking the elements, so only decoding sees these.
    let inner_lies: Vec<(&[u8], &str)> = vec![
        (many_empty_lists.as_bytes(), "a shape that lies about the inner lists"),
        (b"[[1.0,2.0],[3.0],\"<f8\",[2,2]]", "an inner list shorter than the shape"),
        (b"[[1.0,2.0],3.0,\"<f8\",[2,2]]", "a scalar where the shape needs a list"),
    ];
    let msgpack_cases: Vec<(&[u8], &str)> = vec![
        (b"", "empty"),
        (b"\xdd\xff\xff\xff\xff", "an array header claiming 2^32-1 elements"),
        (b"\xdf\xff\xff\xff\xff", "a map header claiming 2^32-1 entries"),
        (b"\x93\xdb\xff\xff\xff\xff", "a str header claiming 4 GiB"),
        (b"\x92\xa3<f8\x91\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "an absurd shape"),
        (b"\x93\x01\xa3<f8\x91\x01\xc0", "data after the document"),
        (b"\x93\xd4\x01\x00\xa3<f8\x91\x01", "an ext type"),
        (b"\x93\xc1\xa3<f8\x91\x01", "the unused byte 0xc1"),
        (&[0x91u8; 100_000][..], "nesting 100000 levels deep"),
    ];
    for (config, cases) in [(r#"{"id":"json2"}"#, &json_cases), (r#"{"id":"msgpack2"}"#, &msgpack_cases), (r#"{"id":"json2"}"#, &inner_lies)] {
        let codec = codec(config);
        for (input, what) in cases.iter() {
            let what = format!("{config}: {what}");
            let started = std::time::Instant::now();
            assert_eq!(decode_checked(&codec, input, 4096, &what), None, "{what} decoded");
            assert_eq!(decode_items_checked(&codec, config, input, &what), None, "{what} decoded as items");
            assert!(started.elapsed() < std::time::Duration::from_secs(20), "{what}: too slow");
            let mut info = numcodecs_decoded_array { dtype: [0; 32], ndim: 0, shape: [0; 32] };
            let status = unsafe { numcodecs_decoded_info(codec.0, input.as_ptr().cast(), input.len(), &mut info) };
            assert!(status != NUMCODECS_OK || std::ptr::eq(cases, &inner_lies), "{what}: decoded_info");
        }
    }
    // Well-formed documents whose values do not fit the trailer's dtype: the array decode refuses them
    // (the item calls read strings whatever the dtype says).
    let json2 = codec(r#"{"id":"json2"}"#);
    for (input, what) in [(&b"[\"a\",\"<f8\",[1]]"[..], "a string in a float array"), (b"[70000,\"<i2\",[1]]", "an int out of range"), (b"[1.5,\"<i4\",[1]]", "a float in an int array")] {
        assert_eq!(decode_checked(&json2, input, 4096, what), None, "{what} decoded");
    }
}
