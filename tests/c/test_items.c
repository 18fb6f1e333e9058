/*
 * The object-codec (item) API of libnumcodecs as a C program uses it: vlen-utf8, vlen-bytes and vlen-array
 * through item lists, the flat (Arrow-style) form, the decoded-items handle and the JSON bridge, plus the
 * error paths (corrupt streams, invalid UTF-8, too-small buffers, byte calls on object codecs and item
 * calls on byte codecs). Failing calls must leave their out-parameters untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numcodecs.h"
#include "check.h"

#define SIZE_SENTINEL ((size_t)0x5e5e5e5eu)

static numcodecs_codec *make_codec(const char *config) {
    numcodecs_codec *codec = NULL;
    CHECK_STATUS(numcodecs_codec_from_json(config, strlen(config), &codec), NUMCODECS_OK);
    return codec;
}

/* numcodecs.VLenUTF8().encode(np.array(["foo", "", "h\u00e9", "a\0b"], dtype=object)) */
static const uint8_t utf8_encoded[] = {4, 0, 0, 0, 3, 0, 0, 0, 'f', 'o', 'o', 0, 0, 0, 0, 3, 0,  0,   0,
                                       'h', 0xc3, 0xa9, 3, 0, 0, 0, 'a', 0, 'b'};
static const char *const utf8_items[4] = {"foo", "", "h\xc3\xa9", "a\0b"};
static const size_t utf8_lens[4] = {3, 0, 3, 3};

static void test_item_list_encode(void) {
    numcodecs_codec *codec = make_codec("{\"id\":\"vlen-utf8\"}");
    const uint8_t *items[4];
    uint8_t dst[64], *out = NULL;
    size_t i, len = SIZE_SENTINEL, out_len = 0;
    for (i = 0; i < 4; i++) items[i] = (const uint8_t *)utf8_items[i];

    /* Size query, exact buffer, one byte short, allocating form. */
    CHECK_STATUS(numcodecs_encode_items(codec, items, utf8_lens, 4, NULL, 0, &len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len == sizeof utf8_encoded);
    CHECK_STATUS(numcodecs_encode_items(codec, items, utf8_lens, 4, dst, sizeof utf8_encoded, &len), NUMCODECS_OK);
    CHECK(len == sizeof utf8_encoded && memcmp(dst, utf8_encoded, len) == 0);
    len = 0;
    CHECK_STATUS(numcodecs_encode_items(codec, items, utf8_lens, 4, dst, sizeof utf8_encoded - 1, &len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len == sizeof utf8_encoded);
    CHECK_STATUS(numcodecs_encode_items_alloc(codec, items, utf8_lens, 4, &out, &out_len), NUMCODECS_OK);
    CHECK(out != NULL && out_len == sizeof utf8_encoded && memcmp(out, utf8_encoded, out_len) == 0);
    numcodecs_bytes_free(out, out_len);

    /* Zero items. */
    CHECK_STATUS(numcodecs_encode_items_alloc(codec, NULL, NULL, 0, &out, &out_len), NUMCODECS_OK);
    CHECK(out_len == 4 && memcmp(out, "\0\0\0\0", 4) == 0);
    numcodecs_bytes_free(out, out_len);

    /* Invalid UTF-8 is refused; outputs stay untouched. */
    {
        const uint8_t *bad[1] = {(const uint8_t *)"\xff"};
        const size_t bad_len[1] = {1};
        out = NULL;
        out_len = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_encode_items_alloc(codec, bad, bad_len, 1, &out, &out_len), NUMCODECS_INVALID_ARGUMENT);
        CHECK(out == NULL && out_len == SIZE_SENTINEL);
        CHECK(strstr(numcodecs_last_error(), "UTF-8") != NULL);
    }
    /* NULL item arrays with a count, NULL out-parameters, NULL codec. */
    CHECK_STATUS(numcodecs_encode_items_alloc(codec, NULL, utf8_lens, 1, &out, &out_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_items(codec, items, utf8_lens, 4, dst, sizeof dst, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_items(NULL, items, utf8_lens, 4, dst, sizeof dst, &len), NUMCODECS_INVALID_ARGUMENT);
    numcodecs_codec_free(codec);
}

static void test_flat_encode(void) {
    numcodecs_codec *codec = make_codec("{\"id\":\"vlen-utf8\"}");
    /* The same four items as one buffer and five offsets. */
    static const char data[] = "foo" "h\xc3\xa9" "a\0b";
    const size_t offsets[5] = {0, 3, 3, 6, 9};
    const size_t bad_offsets[5] = {0, 3, 2, 6, 9};
    uint8_t dst[64], *out = NULL;
    size_t len = 0, out_len = 0;

    CHECK_STATUS(numcodecs_encode_flat(codec, (const uint8_t *)data, 9, offsets, 4, dst, sizeof dst, &len), NUMCODECS_OK);
    CHECK(len == sizeof utf8_encoded && memcmp(dst, utf8_encoded, len) == 0);
    CHECK_STATUS(numcodecs_encode_flat_alloc(codec, (const uint8_t *)data, 9, offsets, 4, &out, &out_len), NUMCODECS_OK);
    CHECK(out_len == sizeof utf8_encoded && memcmp(out, utf8_encoded, out_len) == 0);
    numcodecs_bytes_free(out, out_len);
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_encode_flat(codec, (const uint8_t *)data, 9, bad_offsets, 4, dst, sizeof dst, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    CHECK_STATUS(numcodecs_encode_flat(codec, (const uint8_t *)data, 8, offsets, 4, dst, sizeof dst, &len), NUMCODECS_INVALID_ARGUMENT);
    numcodecs_codec_free(codec);
}

static void test_decode_items_handle(void) {
    numcodecs_codec *codec = make_codec("{\"id\":\"vlen-utf8\"}");
    numcodecs_items *items = NULL;
    const uint8_t *item = NULL, *data = NULL;
    const size_t *offsets = NULL;
    size_t i, len = 0, data_len = 0;

    CHECK_STATUS(numcodecs_decode_items(codec, utf8_encoded, sizeof utf8_encoded, &items), NUMCODECS_OK);
    CHECK(numcodecs_items_count(items) == 4);
    for (i = 0; i < 4; i++) {
        CHECK_STATUS(numcodecs_items_get(items, i, &item, &len), NUMCODECS_OK);
        CHECK(item != NULL && len == utf8_lens[i] && memcmp(item, utf8_items[i], len) == 0);
    }
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_items_get(items, 4, &item, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    CHECK_STATUS(numcodecs_items_flat(items, &data, &data_len, &offsets), NUMCODECS_OK);
    CHECK(data_len == 9 && memcmp(data, "foo" "h\xc3\xa9" "a\0b", 9) == 0);
    CHECK(offsets[0] == 0 && offsets[1] == 3 && offsets[2] == 3 && offsets[3] == 6 && offsets[4] == 9);
    CHECK_STATUS(numcodecs_items_flat(items, NULL, &data_len, &offsets), NUMCODECS_INVALID_ARGUMENT);
    numcodecs_items_free(items);
    numcodecs_items_free(NULL);
    CHECK(numcodecs_items_count(NULL) == 0);

    /* Corrupt streams: truncated item, a count the bytes cannot hold, invalid UTF-8. */
    {
        static const uint8_t truncated[] = {1, 0, 0, 0, 5, 0, 0, 0, 'a', 'b'};
        static const uint8_t huge_count[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
        static const uint8_t not_utf8[] = {1, 0, 0, 0, 1, 0, 0, 0, 0xff};
        items = NULL;
        CHECK_STATUS(numcodecs_decode_items(codec, truncated, sizeof truncated, &items), NUMCODECS_CORRUPT_DATA);
        CHECK_STATUS(numcodecs_decode_items(codec, huge_count, sizeof huge_count, &items), NUMCODECS_CORRUPT_DATA);
        CHECK_STATUS(numcodecs_decode_items(codec, not_utf8, sizeof not_utf8, &items), NUMCODECS_CORRUPT_DATA);
        CHECK_STATUS(numcodecs_decode_items(codec, NULL, 0, &items), NUMCODECS_CORRUPT_DATA);
        CHECK(items == NULL);
    }
    numcodecs_codec_free(codec);
}

static void test_decode_flat(void) {
    numcodecs_codec *codec = make_codec("{\"id\":\"vlen-utf8\"}");
    uint8_t data[16];
    size_t offsets[8], n = 0, data_len = 0;

    CHECK_STATUS(numcodecs_decoded_items_size(codec, utf8_encoded, sizeof utf8_encoded, &n, &data_len), NUMCODECS_OK);
    CHECK(n == 4 && data_len == 9);
    /* Query both sizes with empty buffers, then decode into exact ones. */
    n = data_len = 0;
    CHECK_STATUS(numcodecs_decode_flat(codec, utf8_encoded, sizeof utf8_encoded, NULL, 0, NULL, 0, &n, &data_len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(n == 4 && data_len == 9);
    CHECK_STATUS(numcodecs_decode_flat(codec, utf8_encoded, sizeof utf8_encoded, data, 9, offsets, 5, &n, &data_len), NUMCODECS_OK);
    CHECK(n == 4 && data_len == 9 && memcmp(data, "foo" "h\xc3\xa9" "a\0b", 9) == 0);
    CHECK(offsets[0] == 0 && offsets[2] == 3 && offsets[4] == 9);
    CHECK_STATUS(numcodecs_decode_flat(codec, utf8_encoded, sizeof utf8_encoded, data, 8, offsets, 5, &n, &data_len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK_STATUS(numcodecs_decode_flat(codec, utf8_encoded, sizeof utf8_encoded, data, 9, offsets, 4, &n, &data_len), NUMCODECS_BUFFER_TOO_SMALL);
    n = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_decoded_items_size(codec, utf8_encoded, 3, &n, &data_len), NUMCODECS_CORRUPT_DATA);
    CHECK(n == SIZE_SENTINEL);
    numcodecs_codec_free(codec);
}

static void test_vlen_bytes_and_array(void) {
    numcodecs_codec *bytes = make_codec("{\"id\":\"vlen-bytes\"}");
    numcodecs_codec *array = make_codec("{\"id\":\"vlen-array\",\"dtype\":\"<i2\"}");
    /* Bytes items may hold NULs and anything else. */
    const uint8_t nuls[3] = {0, 0xff, 0};
    const uint8_t *bytes_items[2] = {nuls, NULL};
    const size_t bytes_lens[2] = {3, 0};
    static const uint8_t bytes_encoded[] = {2, 0, 0, 0, 3, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0};
    /* vlen-array items are the elements' bytes: [1, -2] and [] as little-endian int16. */
    const int16_t elements[2] = {1, -2};
    const size_t array_offsets[3] = {0, 4, 4};
    static const uint8_t array_encoded[] = {2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0xfe, 0xff, 0, 0, 0, 0};
    uint8_t *out = NULL;
    size_t out_len = 0;
    char config[128];

    CHECK_STATUS(numcodecs_encode_items_alloc(bytes, bytes_items, bytes_lens, 2, &out, &out_len), NUMCODECS_OK);
    CHECK(out_len == sizeof bytes_encoded && memcmp(out, bytes_encoded, out_len) == 0);
    numcodecs_bytes_free(out, out_len);
    CHECK_STATUS(numcodecs_encode_flat_alloc(array, (const uint8_t *)elements, sizeof elements, array_offsets, 2, &out, &out_len), NUMCODECS_OK);
    CHECK(out_len == sizeof array_encoded && memcmp(out, array_encoded, out_len) == 0);
    numcodecs_bytes_free(out, out_len);
    /* Three bytes are not a whole number of int16 elements. */
    CHECK_STATUS(numcodecs_encode_flat_alloc(array, (const uint8_t *)elements, 3, array_offsets, 1, &out, &out_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_codec_config(array, config, sizeof config, &out_len), NUMCODECS_OK);
    CHECK(strcmp(config, "{\"id\":\"vlen-array\",\"dtype\":\"<i2\"}") == 0);
    numcodecs_codec_free(bytes);
    numcodecs_codec_free(array);
}

static void test_json_bridge(void) {
    numcodecs_codec *utf8 = make_codec("{\"id\":\"vlen-utf8\"}");
    numcodecs_codec *bytes = make_codec("{\"id\":\"vlen-bytes\"}");
    numcodecs_codec *array = make_codec("{\"id\":\"vlen-array\",\"dtype\":\"<f8\"}");
    const char *strings = "[\"foo\",\"\",\"h\\u00e9\",\"a\\u0000b\"]";
    const char *blobs = "[{\"b64\":\"AP8A\"},null]";
    const char *arrays = "[[1.5,\"NaN\"],null,[]]";
    uint8_t *out = NULL;
    char *json = NULL;
    size_t out_len = 0, json_len = 0;

    CHECK_STATUS(numcodecs_encode_json_items(utf8, strings, strlen(strings), &out, &out_len), NUMCODECS_OK);
    CHECK(out_len == sizeof utf8_encoded && memcmp(out, utf8_encoded, out_len) == 0);
    CHECK_STATUS(numcodecs_decode_json_items(utf8, out, out_len, &json, &json_len), NUMCODECS_OK);
    CHECK(json != NULL && json[json_len] == '\0' && strcmp(json, "[\"foo\",\"\",\"h\xc3\xa9\",\"a\\u0000b\"]") == 0);
    numcodecs_bytes_free((uint8_t *)json, json_len);
    numcodecs_bytes_free(out, out_len);

    CHECK_STATUS(numcodecs_encode_json_items(bytes, blobs, strlen(blobs), &out, &out_len), NUMCODECS_OK);
    CHECK_STATUS(numcodecs_decode_json_items(bytes, out, out_len, &json, &json_len), NUMCODECS_OK);
    CHECK(strcmp(json, "[{\"b64\":\"AP8A\"},{\"b64\":\"\"}]") == 0);
    numcodecs_bytes_free((uint8_t *)json, json_len);
    numcodecs_bytes_free(out, out_len);

    CHECK_STATUS(numcodecs_encode_json_items(array, arrays, strlen(arrays), &out, &out_len), NUMCODECS_OK);
    CHECK(out_len == 4 + 4 + 16 + 4 + 4);
    CHECK_STATUS(numcodecs_decode_json_items(array, out, out_len, &json, &json_len), NUMCODECS_OK);
    CHECK(strcmp(json, "[[1.5,\"NaN\"],[],[]]") == 0);
    numcodecs_bytes_free((uint8_t *)json, json_len);
    numcodecs_bytes_free(out, out_len);

    /* Not JSON, not an array, items of the wrong kind. */
    out = NULL;
    CHECK_STATUS(numcodecs_encode_json_items(utf8, "[", 1, &out, &out_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_json_items(utf8, "{}", 2, &out, &out_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_json_items(utf8, "[1]", 3, &out, &out_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_json_items(bytes, "[\"x\"]", 5, &out, &out_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(out == NULL);
    json = NULL;
    CHECK_STATUS(numcodecs_decode_json_items(utf8, "\x01\0\0", 3, &json, &json_len), NUMCODECS_CORRUPT_DATA);
    CHECK(json == NULL);
    numcodecs_codec_free(utf8);
    numcodecs_codec_free(bytes);
    numcodecs_codec_free(array);
}

static void test_wrong_api_for_the_codec(void) {
    numcodecs_codec *vlen = make_codec("{\"id\":\"vlen-utf8\"}");
    numcodecs_codec *zlib = make_codec("{\"id\":\"zlib\"}");
    numcodecs_items *items = NULL;
    uint8_t dst[64];
    size_t len = SIZE_SENTINEL;

    /* Object codecs hold items, not numbers: the byte calls refuse them and name the item API. */
    CHECK_STATUS(numcodecs_encode(vlen, "abcd", 4, NULL, dst, sizeof dst, &len), NUMCODECS_UNSUPPORTED);
    CHECK(strstr(numcodecs_last_error(), "numcodecs_encode_items") != NULL);
    CHECK_STATUS(numcodecs_decode(vlen, utf8_encoded, sizeof utf8_encoded, dst, sizeof dst, &len), NUMCODECS_UNSUPPORTED);
    CHECK(len == SIZE_SENTINEL);
    /* And the item calls refuse byte codecs. */
    CHECK_STATUS(numcodecs_decode_items(zlib, utf8_encoded, sizeof utf8_encoded, &items), NUMCODECS_UNSUPPORTED);
    CHECK(items == NULL);
    CHECK(strstr(numcodecs_last_error(), "neither an object codec") != NULL);
    numcodecs_codec_free(vlen);
    numcodecs_codec_free(zlib);
}

int main(void) {
    test_item_list_encode();
    test_flat_encode();
    test_decode_items_handle();
    test_decode_flat();
    test_vlen_bytes_and_array();
    test_json_bridge();
    test_wrong_api_for_the_codec();
    return check_summary();
}
