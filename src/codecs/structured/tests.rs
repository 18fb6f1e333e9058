use serde_json::json;

use super::json::write_python_float;
use super::*;
use crate::codecs::ErrorKind;
use crate::codecs::codec_from_json;

fn codec(config: &str) -> Box<dyn Codec> {
    codec_from_json(config).unwrap()
}

fn info(dtype: &str, shape: &[usize]) -> ArrayInfo {
    ArrayInfo::new(DType::parse(dtype).unwrap(), Some(shape.to_vec()))
}

fn f8(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn floats_print_as_python_repr() {
    for (x, repr) in [
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123456789012345680.0, "1.2345678901234568e+17"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (-0.0, "-0.0"),
        (0.1, "0.1"),
        (2.0 / 3.0, "0.6666666666666666"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-2.2250738585072014e-308, "-2.2250738585072014e-308"),
        (0.1f32 as f64, "0.10000000149011612"),
        (12.5, "12.5"),
        (100.0, "100.0"),
        // Exact ties between two shortest candidates round half to even, as Python's dtoa does.
        (1500000000000000.25, "1500000000000000.2"),
        (1500000000000000.75, "1500000000000000.8"),
        (0.001, "0.001"),
        (1234.5678, "1234.5678"),
    ] {
        let mut out = Vec::new();
        write_python_float(&mut out, x);
        assert_eq!(String::from_utf8(out).unwrap(), repr, "{x:e}");
    }
}

#[test]
fn numeric_arrays_encode_as_numcodecs_and_decode_back() {
    let json2 = codec(r#"{"id":"json2"}"#);
    let src = f8(&[1.5, 2.0, 3.0, 1e16]);
    let array = info("<f8", &[2, 2]);
    let encoded = json2.encode(&src, &array).unwrap();
    assert_eq!(encoded, br#"[[1.5,2.0],[3.0,1e+16],"<f8",[2,2]]"#);
    assert_eq!(json2.decode(&encoded).unwrap(), src);
    assert_eq!(json2.decoded_info(&encoded).unwrap(), Some(array.clone()));
    let bound = json2.encode_bound(src.len(), &array).unwrap();
    assert!(bound >= encoded.len());
    let mut dst = vec![0u8; encoded.len()];
    assert_eq!(json2.encode_into(&src, &array, &mut dst).unwrap(), encoded.len());
    let error = json2.encode_into(&src, &array, &mut dst[..10]).unwrap_err();
    assert_eq!((error.kind(), error.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));

    let indented = codec(r#"{"id":"json2","indent":2}"#);
    assert_eq!(
        indented.encode(&src, &array).unwrap(),
        b"[\n  [\n    1.5, \n    2.0\n  ], \n  [\n    3.0, \n    1e+16\n  ], \n  \"<f8\", \n  [\n    2, \n    2\n  ]\n]"
    );
    assert_eq!(json2.encode(&f8(&[3.0]), &info("<f8", &[])).unwrap(), br#"[3.0,"<f8",[]]"#);
    assert_eq!(json2.encode(&[], &info("<f8", &[2, 0])).unwrap(), br#"[[],[],"<f8",[2,0]]"#);
    let nan = json2.encode(&f8(&[f64::NAN, f64::NEG_INFINITY]), &info("<f8", &[2])).unwrap();
    assert_eq!(nan, br#"[NaN,-Infinity,"<f8",[2]]"#);
    let strict = codec(r#"{"id":"json2","allow_nan":false}"#);
    assert_eq!(strict.encode(&f8(&[f64::NAN]), &info("<f8", &[1])).unwrap_err().kind(), ErrorKind::InvalidArgument);

    let msgpack = codec(r#"{"id":"msgpack2"}"#);
    let f4: Vec<u8> = [1.5f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let encoded = msgpack.encode(&f4, &info("<f4", &[2])).unwrap();
    assert_eq!(encoded, b"\x94\xcb\x3f\xf8\0\0\0\0\0\0\xcb\x40\0\0\0\0\0\0\0\xa3<f4\x91\x02");
    assert_eq!(msgpack.decode(&encoded).unwrap(), f4);
    let single = codec(r#"{"id":"msgpack2","use_single_float":true}"#);
    assert_eq!(single.encode(&f4, &info("<f4", &[2])).unwrap(), b"\x94\xca\x3f\xc0\0\0\xca\x40\0\0\0\xa3<f4\x91\x02");
    assert_eq!(msgpack.encode(&f8(&[1.0]), &info("<f8", &[])).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn msgpack_ints_take_their_smallest_form() {
    let msgpack = codec(r#"{"id":"msgpack2","use_bin_type":false}"#);
    let ints: [i64; 9] = [1, -1, -33, 128, 255, 256, -129, i64::MIN, 0];
    let src: Vec<u8> = ints.iter().flat_map(|v| v.to_le_bytes()).collect();
    let encoded = msgpack.encode(&src, &info("<i8", &[9])).unwrap();
    let mut expected = b"\x9b\x01\xff\xd0\xdf\xcc\x80\xcc\xff\xcd\x01\x00\xd1\xff\x7f\xd3\x80\0\0\0\0\0\0\0\x00".to_vec();
    expected.extend_from_slice(b"\xa3<i8\x91\x09");
    assert_eq!(encoded, expected);
    assert_eq!(msgpack.decode(&encoded).unwrap(), src);
    let big = msgpack.encode(&u64::MAX.to_le_bytes(), &info("<u8", &[1])).unwrap();
    assert_eq!(big, b"\x93\xcf\xff\xff\xff\xff\xff\xff\xff\xff\xa3<u8\x91\x01");
}

#[test]
fn string_items_round_trip_with_python_escapes() {
    let json2 = codec(r#"{"id":"json2"}"#);
    let object = json2.as_object().unwrap();
    let items: [&[u8]; 4] = [b"a", "\u{e9}\u{1f600}".as_bytes(), b"q\"\\\n\x7f", b""];
    let encoded = object.encode_items(Items::List(&items)).unwrap();
    assert_eq!(encoded, br#"["a","\u00e9\ud83d\ude00","q\"\\\n\u007f","","|O",[4]]"#);
    assert_eq!(object.encoded_items_len(Items::List(&items)).unwrap(), encoded.len());
    let decoded = object.decode_items(&encoded).unwrap();
    assert_eq!(decoded.iter().collect::<Vec<_>>(), items);
    assert_eq!(object.decoded_items_size(&encoded).unwrap(), (4, decoded.data().len()));

    let raw = codec(r#"{"id":"json2","ensure_ascii":false}"#);
    let encoded = raw.as_object().unwrap().encode_items(Items::List(&items)).unwrap();
    assert_eq!(encoded, "[\"a\",\"\u{e9}\u{1f600}\",\"q\\\"\\\\\\n\u{7f}\",\"\",\"|O\",[4]]".as_bytes());

    let msgpack = codec(r#"{"id":"msgpack2"}"#);
    let object = msgpack.as_object().unwrap();
    let encoded = object.encode_items(Items::List(&items[..2])).unwrap();
    assert_eq!(encoded, b"\x94\xa1a\xa6\xc3\xa9\xf0\x9f\x98\x80\xa2|O\x91\x02");
    assert_eq!(object.decode_items(&encoded).unwrap().iter().collect::<Vec<_>>(), &items[..2]);
    assert_eq!(object.encode_items(Items::List(&[b"\xff"])).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn multi_dimensional_object_arrays_flatten_in_c_order() {
    let json2 = codec(r#"{"id":"json2"}"#);
    let object = json2.as_object().unwrap();
    let decoded = object.decode_items(br#"[["a","b","c"],["d","e","f"],"|O",[2,3]]"#).unwrap();
    assert_eq!(decoded.iter().collect::<Vec<_>>(), [b"a", b"b", b"c", b"d", b"e", b"f"]);
    assert_eq!(object.decode_items(br#"["x","<U1",[]]"#).unwrap().len(), 1);
    // The JSON bridge carries any object; the item API only strings.
    let src = br#"[1,null,"s",[1,2],{"k":1.5},"|O",[5]]"#;
    assert_eq!(object.decode_json_items(src).unwrap(), [json!(1), json!(null), json!("s"), json!([1, 2]), json!({"k": 1.5})]);
    assert_eq!(object.decode_items(src).unwrap_err().kind(), ErrorKind::Unsupported);
    assert_eq!(object.encode_json_items(&object.decode_json_items(src).unwrap()).unwrap(), src);
    for bad in [
        &br#"[["a","b"],["c"],"|O",[2,2]]"#[..],
        br#"[["a","b"],["c","d","e"],"|O",[2,2]]"#,
        br#"["a","b","|O",[3]]"#,
        br#"["a","|O",[999999999999]]"#,
        br#"["a","|O"]"#,
        br#"["a","|O",[1]] x"#,
        br#"["a","|Q",[1]]"#,
        br#"["a","|O",[-1]]"#,
        br#"{"a":1}"#,
        b"",
    ] {
        let error = object.decode_items(bad).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CorruptData, "{}: {}", String::from_utf8_lossy(bad), error.message());
    }
}

#[test]
fn the_json_bridge_sorts_keys_and_carries_bytes_for_msgpack() {
    let json2 = codec(r#"{"id":"json2"}"#);
    let items = [json!({"b": 1, "a": [true, null]}), json!(-0.5), json!(18446744073709551615u64)];
    assert_eq!(json2.as_object().unwrap().encode_json_items(&items).unwrap(), br#"[{"a":[true,null],"b":1},-0.5,18446744073709551615,"|O",[3]]"#);
    let msgpack = codec(r#"{"id":"msgpack2"}"#);
    let object = msgpack.as_object().unwrap();
    let encoded = object.encode_json_items(&[json!({"b64": "AGE="}), json!({"z": 1, "a": 2})]).unwrap();
    assert_eq!(encoded, b"\x94\xc4\x02\x00a\x82\xa1z\x01\xa1a\x02\xa2|O\x91\x02");
    assert_eq!(object.decode_json_items(&encoded).unwrap(), [json!({"b64": "AGE="}), json!({"z": 1, "a": 2})]);
    assert_eq!(object.decode_items(&encoded).unwrap_err().kind(), ErrorKind::Unsupported);
    // raw=True: strings come back as bytes, and still serve the item API.
    let raw = codec(r#"{"id":"msgpack2","raw":true}"#);
    let strings = raw.as_object().unwrap().encode_items(Items::List(&[b"hi"])).unwrap();
    assert_eq!(raw.as_object().unwrap().decode_json_items(&strings).unwrap(), [json!({"b64": "aGk="})]);
    assert_eq!(raw.as_object().unwrap().decode_items(&strings).unwrap().get(0), Some(&b"hi"[..]));
}

#[test]
fn configs_print_as_numcodecs_get_config() {
    assert_eq!(
        codec(r#"{"id":"json2"}"#).config_json(),
        r#"{"id":"json2","encoding":"utf-8","skipkeys":false,"ensure_ascii":true,"check_circular":true,"allow_nan":true,"indent":null,"separators":[",",":"],"sort_keys":true,"strict":true}"#
    );
    assert_eq!(
        codec(r#"{"id":"json2","indent":"\u00e9","sort_keys":0,"encoding":"Latin-1"}"#).config_json(),
        r#"{"id":"json2","encoding":"Latin-1","skipkeys":false,"ensure_ascii":true,"check_circular":true,"allow_nan":true,"indent":"\u00e9","separators":[", ",": "],"sort_keys":0,"strict":true}"#
    );
    assert_eq!(codec(r#"{"id":"msgpack2"}"#).config_json(), r#"{"id":"msgpack2","raw":false,"use_single_float":false,"use_bin_type":true}"#);
    for bad in [
        r#"{"id":"json2","encoding":"utf-16"}"#,
        r#"{"id":"json2","encoding":5}"#,
        r#"{"id":"json2","indent":1.5}"#,
        r#"{"id":"json2","separators":[","]}"#,
        r#"{"id":"json2","encoding":"ascii","indent":"\u00e9"}"#,
        r#"{"id":"json2","cls":null}"#,
        r#"{"id":"msgpack2","strict_map_key":false}"#,
    ] {
        assert_eq!(codec_from_json(bad).unwrap_err().kind(), ErrorKind::InvalidConfig, "{bad}");
    }
}

#[test]
fn decoding_refuses_what_numcodecs_refuses() {
    let json2 = codec(r#"{"id":"json2"}"#);
    for bad in [
        &br#"[1.5,"<i4",[1]]"#[..],
        br#"[300,"|u1",[1]]"#,
        br#"["1","<f8",[1]]"#,
        b"[\"a\x01\",\"|O\",[1]]",
        br#"[1,"<f8",[1],]"#,
        br#"[01,"<f8",[1]]"#,
        b"[\"\xff\",\"|O\",[1]]",
    ] {
        let error = json2.decode(bad).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CorruptData, "{}: {}", String::from_utf8_lossy(bad), error.message());
    }
    assert_eq!(json2.decode(br#"["a","|O",[1]]"#).unwrap_err().kind(), ErrorKind::Unsupported);
    assert_eq!(json2.decode(br#"[[1,2],"<c16",[1]]"#).unwrap_err().kind(), ErrorKind::Unsupported);
    assert_eq!(json2.as_object().unwrap().decode_items(br#"["\ud800","|O",[1]]"#).unwrap_err().kind(), ErrorKind::Unsupported);
    // strict=False lets control characters through, as Python's decoder does.
    let lenient = codec(r#"{"id":"json2","strict":false}"#);
    assert_eq!(lenient.as_object().unwrap().decode_items(b"[\"a\x01\",\"|O\",[1]]").unwrap().get(0), Some(&b"a\x01"[..]));
    // Deep nesting stops at MAX_DEPTH instead of the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(json2.as_object().unwrap().decode_json_items(deep.as_bytes()).unwrap_err().kind(), ErrorKind::CorruptData);
    let msgpack = codec(r#"{"id":"msgpack2"}"#);
    for bad in [&b"\x93\xc7\x01\x00\x00\xa3<f8\x91\x01"[..], b"\x93\x01\xa3<i8\x91\x01\x00", b"\x93\x01\xa3<i8\x91", b"\xdd\xff\xff\xff\xff"] {
        assert_eq!(msgpack.decode(bad).unwrap_err().kind(), ErrorKind::CorruptData, "{bad:?}");
    }
    let deep = vec![0x91u8; 100_000];
    assert_eq!(msgpack.as_object().unwrap().decode_json_items(&deep).unwrap_err().kind(), ErrorKind::CorruptData);
}

#[test]
fn decode_limit_applies_before_allocation() {
    let json2 = codec(r#"{"id":"json2"}"#);
    let encoded = json2.encode(&f8(&[1.0; 100]), &info("<f8", &[100])).unwrap();
    let error = crate::codecs::with_decode_limit(799, || json2.decode(&encoded)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert!(crate::codecs::with_decode_limit(800, || json2.decode(&encoded)).is_ok());
}

#[test]
fn the_word_at_a_time_escape_scan_agrees_with_the_byte_table() {
    // Bytes next to each boundary the scan tests (controls, quote, backslash, DEL, the high bit) and
    // plain ones, in pseudo-random strings of every length up to three words, from every start.
    let alphabet = [0x00u8, 0x01, 0x1f, 0x20, 0x21, b'"', 0x23, 0x5b, b'\\', 0x5d, b'a', 0x7e, 0x7f, 0x80, 0xc3, 0xff];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for case in 0..20_000 {
        let len = case % 25;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly plain text, so that the special bytes land anywhere in a word.
                if state % 4 == 0 { alphabet[(state >> 8) as usize % alphabet.len()] } else { b'a' + (state >> 8) as u8 % 26 }
            })
            .collect();
        for ascii in [false, true] {
            let table = json::escape_table(ascii);
            for start in 0..=len {
                let expected = (start..len).find(|&i| table[bytes[i] as usize]).unwrap_or(len);
                assert_eq!(json::find_escape(&bytes, start, ascii), expected, "{bytes:?} from {start}, ascii {ascii}");
            }
            if ascii {
                assert_eq!(json::is_plain_ascii(&bytes), !bytes.iter().any(|&b| table[b as usize]), "{bytes:?}");
            }
        }
    }
}

#[test]
fn string_items_decode_straight_into_exact_and_short_buffers() {
    for config in [r#"{"id":"json2"}"#, r#"{"id":"msgpack2"}"#] {
        let object = codec(config);
        let object = object.as_object().unwrap();
        let items: Vec<&[u8]> = vec![b"abc", b"", "\u{e9}t\u{e9}".as_bytes(), b"a \"quoted\" \\ word\n"];
        let encoded = object.encode_items(Items::List(&items)).unwrap();
        let data_len: usize = items.iter().map(|item| item.len()).sum();
        // Exactly the decoded size: the dtype string read last has no room in it and must not matter.
        let (mut data, mut offsets) = (vec![0u8; data_len], vec![0usize; items.len() + 1]);
        assert_eq!(object.decode_items_into(&encoded, &mut data, &mut offsets).unwrap(), (items.len(), data_len), "{config}");
        assert_eq!(data, items.concat(), "{config}");
        assert_eq!(offsets, [0, 3, 3, 8, 26], "{config}");
        // One byte or one offset short: too small, with both sizes.
        for (data_cap, offsets_cap) in [(data_len - 1, items.len() + 1), (data_len, items.len())] {
            let (mut data, mut offsets) = (vec![0u8; data_cap], vec![0usize; offsets_cap]);
            let error = object.decode_items_into(&encoded, &mut data, &mut offsets).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::BufferTooSmall, "{config}");
            assert!(error.message().contains("4 decoded items need 26 data bytes and 5 offsets"), "{config}: {}", error.message());
        }
    }
}
