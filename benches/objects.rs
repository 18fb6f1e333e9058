//! Items per second of the object codecs (vlen-utf8, vlen-bytes, json2, msgpack2) through the C item API,
//! on 1 million short strings ("lorem17", "consectetur942", ...), and elements per second of json2 and
//! msgpack2 on 1 million float64 values through the byte API. Run: `cargo bench --bench objects`
//! (release build). The same tables from Python's numcodecs: `python benches/numcodecs_objects_reference.py`
//! in a venv with numcodecs 0.16.6 and msgpack. Issue 4's target: at least 5x numcodecs' items/s.

use std::ffi::c_char;
use std::ptr;
use std::time::Duration;

use numcodecs::ffi::numcodecs_status::{NUMCODECS_BUFFER_TOO_SMALL, NUMCODECS_OK};
use numcodecs::ffi::*;

// Only the timing loop, the hash and the word list: the byte datasets are for the other benches.
#[allow(dead_code)]
mod common;

use common::{best_time, WORDS};

pub const N_ITEMS: usize = 1_000_000;

/// Item `i`: a word and a number, 4 to 14 bytes (numcodecs_objects_reference.py builds the same list).
fn items() -> Vec<String> {
    (0..N_ITEMS as u64).map(|i| format!("{}{}", WORDS[(common::h(i) % 16) as usize], i % 1000)).collect()
}

/// Element `i` of the float64 array: a smooth wave plus hashed noise, so the floats print with many digits
/// (numcodecs_objects_reference.py builds the same array).
fn floats() -> Vec<f64> {
    (0..N_ITEMS as u64).map(|i| (i as f64 / 1000.0).sin() * 100.0 + common::h(i) as f64 / 7.0).collect()
}

fn per_s(time: Duration) -> f64 {
    N_ITEMS as f64 / time.as_secs_f64()
}

fn codec(config: &str) -> *mut numcodecs_codec {
    let mut codec = ptr::null_mut();
    assert_eq!(unsafe { numcodecs_codec_from_json(config.as_ptr().cast(), config.len(), &mut codec) }, NUMCODECS_OK);
    codec
}

fn main() {
    let min_time = Duration::from_millis(500);
    let strings = items();
    let pointers: Vec<*const u8> = strings.iter().map(|s| s.as_ptr()).collect();
    let lens: Vec<usize> = strings.iter().map(String::len).collect();
    let mut data = Vec::new();
    let mut offsets = vec![0usize];
    for s in &strings {
        data.extend_from_slice(s.as_bytes());
        offsets.push(data.len());
    }
    let json = serde_json::to_string(&strings).unwrap();
    println!("libnumcodecs {} (C item API, 1 thread), {} items of {} bytes on average", env!("CARGO_PKG_VERSION"), N_ITEMS, data.len() / N_ITEMS);
    println!("{:<16} {:<34} {:>14}", "codec", "call", "M items/s");
    for config in [r#"{"id":"vlen-utf8"}"#, r#"{"id":"vlen-bytes"}"#, r#"{"id":"json2"}"#, r#"{"id":"msgpack2"}"#] {
        let codec = codec(config);
        let id = config.split('"').nth(3).unwrap();
        let row = |call: &str, time: Duration| println!("{:<16} {:<34} {:>14.1}", id, call, per_s(time) / 1e6);

        let mut needed = 0usize;
        let status = unsafe { numcodecs_encode_items(codec, pointers.as_ptr(), lens.as_ptr(), N_ITEMS, ptr::null_mut(), 0, &mut needed) };
        assert_eq!(status, NUMCODECS_BUFFER_TOO_SMALL);
        let mut encoded = vec![0u8; needed];
        let mut len = 0usize;
        row("numcodecs_encode_items", best_time(min_time, || {
            let status = unsafe { numcodecs_encode_items(codec, pointers.as_ptr(), lens.as_ptr(), N_ITEMS, encoded.as_mut_ptr(), encoded.len(), &mut len) };
            assert_eq!(status, NUMCODECS_OK);
        }));
        row("numcodecs_encode_flat", best_time(min_time, || {
            let status = unsafe {
                numcodecs_encode_flat(codec, data.as_ptr(), data.len(), offsets.as_ptr(), N_ITEMS, encoded.as_mut_ptr(), encoded.len(), &mut len)
            };
            assert_eq!(status, NUMCODECS_OK);
        }));
        let encoded = &encoded[..len];
        row("numcodecs_decode_items (+free)", best_time(min_time, || {
            let mut handle = ptr::null_mut();
            assert_eq!(unsafe { numcodecs_decode_items(codec, encoded.as_ptr().cast(), encoded.len(), &mut handle) }, NUMCODECS_OK);
            unsafe { numcodecs_items_free(handle) };
        }));
        let mut out_data = vec![0u8; data.len()];
        let mut out_offsets = vec![0usize; N_ITEMS + 1];
        let (mut n, mut data_len) = (0usize, 0usize);
        row("numcodecs_decode_flat", best_time(min_time, || {
            let status = unsafe {
                numcodecs_decode_flat(codec, encoded.as_ptr().cast(), encoded.len(), out_data.as_mut_ptr(), out_data.len(), out_offsets.as_mut_ptr(), out_offsets.len(), &mut n, &mut data_len)
            };
            assert_eq!(status, NUMCODECS_OK);
        }));
        assert_eq!((out_data.as_slice(), out_offsets.as_slice()), (data.as_slice(), offsets.as_slice()), "{id} round trip");
        if id != "vlen-bytes" {
            row("numcodecs_encode_json_items", best_time(min_time, || {
                let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
                assert_eq!(unsafe { numcodecs_encode_json_items(codec, json.as_ptr().cast(), json.len(), &mut out, &mut out_len) }, NUMCODECS_OK);
                unsafe { numcodecs_bytes_free(out, out_len) };
            }));
            row("numcodecs_decode_json_items", best_time(min_time, || {
                let (mut out, mut out_len) = (ptr::null_mut::<c_char>(), 0usize);
                assert_eq!(unsafe { numcodecs_decode_json_items(codec, encoded.as_ptr().cast(), encoded.len(), &mut out, &mut out_len) }, NUMCODECS_OK);
                unsafe { numcodecs_bytes_free(out.cast(), out_len) };
            }));
        }
        unsafe { numcodecs_codec_free(codec) };
    }

    // json2 and msgpack2 also write numeric arrays: Python's float repr / msgpack float64 per element.
    let values: Vec<u8> = floats().iter().flat_map(|v| v.to_le_bytes()).collect();
    let shape = [N_ITEMS];
    let info = numcodecs_array_info { dtype: c"<f8".as_ptr(), shape: shape.as_ptr(), ndim: 1 };
    println!("\n{} float64 elements through numcodecs_encode_alloc / numcodecs_decode_alloc", N_ITEMS);
    println!("{:<16} {:<34} {:>14}", "codec", "call", "M elements/s");
    for config in [r#"{"id":"json2"}"#, r#"{"id":"msgpack2"}"#] {
        let codec = codec(config);
        let id = config.split('"').nth(3).unwrap();
        let row = |call: &str, time: Duration| println!("{:<16} {:<34} {:>14.1}", id, call, per_s(time) / 1e6);
        let mut encoded = Vec::new();
        row("numcodecs_encode_alloc", best_time(min_time, || {
            let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
            assert_eq!(unsafe { numcodecs_encode_alloc(codec, values.as_ptr().cast(), values.len(), &info, &mut out, &mut out_len) }, NUMCODECS_OK);
            encoded = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
            unsafe { numcodecs_bytes_free(out, out_len) };
        }));
        row("numcodecs_decode_alloc", best_time(min_time, || {
            let (mut out, mut out_len) = (ptr::null_mut(), 0usize);
            assert_eq!(unsafe { numcodecs_decode_alloc(codec, encoded.as_ptr().cast(), encoded.len(), &mut out, &mut out_len) }, NUMCODECS_OK);
            assert_eq!(unsafe { std::slice::from_raw_parts(out, out_len) }, values.as_slice(), "{id} round trip");
            unsafe { numcodecs_bytes_free(out, out_len) };
        }));
        unsafe { numcodecs_codec_free(codec) };
    }
}
