/*
 * The C API of libnumcodecs as a C program sees it, built against the installed header and library
 * (once linked with the shared library, once with the static one). Every exported function is called,
 * every status a C caller can provoke is provoked, and every failing call is checked to leave its
 * out-parameters untouched (outputs are written only on success; the documented exception is the length
 * reported with NUMCODECS_BUFFER_TOO_SMALL).
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numcodecs.h"
#include "check.h"

/* Values an out-parameter holds before a call that must not write it. */
#define SIZE_SENTINEL ((size_t)0x5e5e5e5eu)
static uint8_t byte_sentinel_storage;
#define BYTES_SENTINEL (&byte_sentinel_storage)
static int codec_sentinel_storage;
#define CODEC_SENTINEL ((numcodecs_codec *)(void *)&codec_sentinel_storage)

/* The sample chunk: a ROWS x COLS C-order float32 array, little-endian ("<f4"). */
#define ROWS 64
#define COLS 256
static float sample[ROWS * COLS];
static const size_t sample_shape[2] = {ROWS, COLS};

static numcodecs_array_info sample_info(void) {
    numcodecs_array_info info;
    info.dtype = "<f4";
    info.shape = sample_shape;
    info.ndim = 2;
    return info;
}

static void fill_sample(void) {
    int r, c;
    for (r = 0; r < ROWS; r++)
        for (c = 0; c < COLS; c++)
            sample[r * COLS + c] = (float)(sin(r * 0.05) * cos(c * 0.02) * 1000.0 + r);
}

/* Creates a codec from a NUL-terminated JSON string; NULL (and a recorded failure) if that fails. */
static numcodecs_codec *codec_new(const char *json) {
    numcodecs_codec *codec = NULL;
    numcodecs_status status = numcodecs_codec_from_json(json, strlen(json), &codec);
    if (status != NUMCODECS_OK) {
        check_failed++;
        fprintf(stderr, "codec_from_json(%s) failed: %s: %s\n", json, numcodecs_status_name((int)status),
                numcodecs_last_error());
        return NULL;
    }
    return codec;
}

/* The codec's configuration JSON in a malloc'ed string (NULL on failure). */
static char *codec_config_string(const numcodecs_codec *codec) {
    size_t len = 0;
    char *text;
    if (numcodecs_codec_config(codec, NULL, 0, &len) != NUMCODECS_BUFFER_TOO_SMALL) return NULL;
    text = (char *)malloc(len + 1);
    if (text == NULL) return NULL;
    if (numcodecs_codec_config(codec, text, len + 1, &len) != NUMCODECS_OK) {
        free(text);
        return NULL;
    }
    return text;
}

static int last_error_is_empty(void) { return numcodecs_last_error()[0] == '\0'; }

/* ---- version, status names, last_error ------------------------------------------------------- */

static void test_version(void) {
    char from_macros[64];
    CHECK(strcmp(numcodecs_version(), NUMCODECS_VERSION_STRING) == 0);
    snprintf(from_macros, sizeof from_macros, "%d.%d.%d", NUMCODECS_VERSION_MAJOR, NUMCODECS_VERSION_MINOR,
             NUMCODECS_VERSION_PATCH);
    CHECK(strcmp(from_macros, NUMCODECS_VERSION_STRING) == 0);
}

static void test_status_names(void) {
    static const char *const names[] = {
        "NUMCODECS_OK", "NUMCODECS_INVALID_ARGUMENT", "NUMCODECS_INVALID_CONFIG", "NUMCODECS_UNKNOWN_CODEC",
        "NUMCODECS_BUFFER_TOO_SMALL", "NUMCODECS_CORRUPT_DATA", "NUMCODECS_UNSUPPORTED",
        "NUMCODECS_SIZE_UNKNOWN", "NUMCODECS_LIMIT_EXCEEDED", "NUMCODECS_INTERNAL",
    };
    static const numcodecs_status values[] = {
        NUMCODECS_OK, NUMCODECS_INVALID_ARGUMENT, NUMCODECS_INVALID_CONFIG, NUMCODECS_UNKNOWN_CODEC,
        NUMCODECS_BUFFER_TOO_SMALL, NUMCODECS_CORRUPT_DATA, NUMCODECS_UNSUPPORTED,
        NUMCODECS_SIZE_UNKNOWN, NUMCODECS_LIMIT_EXCEEDED, NUMCODECS_INTERNAL,
    };
    int i;
    for (i = 0; i < 10; i++) {
        CHECK((int)values[i] == i); /* the values are part of the ABI */
        CHECK(strcmp(numcodecs_status_name(i), names[i]) == 0);
    }
    CHECK(strcmp(numcodecs_status_name(10), "NUMCODECS_UNKNOWN_STATUS") == 0);
    CHECK(strcmp(numcodecs_status_name(-1), "NUMCODECS_UNKNOWN_STATUS") == 0);
}

static void test_last_error(void) {
    numcodecs_codec *codec = NULL;
    const char *bad = "{\"id\":\"zlib\",\"level\":1,\"no_such_key\":0}";
    const char *good = "{\"id\":\"zlib\"}";
    CHECK_STATUS(numcodecs_codec_from_json(bad, strlen(bad), &codec), NUMCODECS_INVALID_CONFIG);
    CHECK(numcodecs_last_error() != NULL);
    /* The message names the offending key. */
    CHECK(strstr(numcodecs_last_error(), "no_such_key") != NULL);
    CHECK_STATUS(numcodecs_codec_from_json(good, strlen(good), &codec), NUMCODECS_OK);
    CHECK(last_error_is_empty()); /* cleared by a successful call */
    numcodecs_codec_free(codec);
}

/* ---- registry, creation, id, config -------------------------------------------------------- */

static void test_registered_codecs(void) {
    static const char *const expected[] = {
        "\"adler32\"", "\"astype\"", "\"base64\"", "\"bitround\"", "\"blosc\"", "\"bz2\"",
        "\"crc32\"", "\"crc32c\"", "\"delta\"", "\"fixedscaleoffset\"", "\"fletcher32\"", "\"gzip\"",
        "\"jenkins_lookup3\"", "\"lz4\"", "\"lzma\"", "\"packbits\"", "\"pcodec\"", "\"quantize\"",
        "\"shuffle\"", "\"zfpy\"", "\"zlib\"", "\"zstd\""};
    size_t len = SIZE_SENTINEL, len2 = SIZE_SENTINEL;
    char *json;
    size_t i;

    CHECK_STATUS(numcodecs_registered_codecs(NULL, 0, &len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len != SIZE_SENTINEL && len > 2);
    json = (char *)malloc(len + 1);
    memset(json, '#', len + 1);
    /* One byte short (no room for the NUL): nothing written but the needed length. */
    CHECK_STATUS(numcodecs_registered_codecs(json, len, &len2), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len2 == len);
    CHECK(json[0] == '#' && json[len - 1] == '#');
    /* Exact fit. */
    CHECK_STATUS(numcodecs_registered_codecs(json, len + 1, &len2), NUMCODECS_OK);
    CHECK(len2 == len && strlen(json) == len);
    CHECK(json[0] == '[' && json[len - 1] == ']');
    for (i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (strstr(json, expected[i]) == NULL) fprintf(stderr, "registered codecs %s lack %s\n", json, expected[i]);
        CHECK(strstr(json, expected[i]) != NULL);
    }
    CHECK_STATUS(numcodecs_registered_codecs(json, len + 1, NULL), NUMCODECS_INVALID_ARGUMENT);
    len2 = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_registered_codecs(NULL, 10, &len2), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len2 == SIZE_SENTINEL);
    free(json);
}

/* numcodecs 0.16.6's get_config() for each codec created with no options, as Python prints it with
 * json.dumps(codec.get_config(), separators=(",", ":")). */
static void test_default_configs(void) {
    static const char *const cases[][2] = {
        {"{\"id\":\"zlib\"}", "{\"id\":\"zlib\",\"level\":1}"},
        {"{\"id\":\"gzip\"}", "{\"id\":\"gzip\",\"level\":1}"},
        {"{\"id\":\"bz2\"}", "{\"id\":\"bz2\",\"level\":1}"},
        {"{\"id\":\"lzma\"}", "{\"id\":\"lzma\",\"format\":1,\"check\":-1,\"preset\":null,\"filters\":null}"},
        {"{\"id\":\"zstd\"}", "{\"id\":\"zstd\",\"level\":0,\"checksum\":false}"},
        {"{\"id\":\"lz4\"}", "{\"id\":\"lz4\",\"acceleration\":1}"},
        {"{\"id\":\"blosc\"}", "{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":1,\"blocksize\":0}"},
        {"{\"id\":\"pcodec\"}", "{\"id\":\"pcodec\",\"level\":8,\"mode_spec\":\"auto\",\"delta_spec\":\"auto\","
                                "\"paging_spec\":\"equal_pages_up_to\",\"delta_encoding_order\":null,\"equal_pages_up_to\":262144}"},
        {"{\"id\":\"zfpy\"}", "{\"id\":\"zfpy\",\"mode\":4,\"compression_kwargs\":{\"tolerance\":-1},\"tolerance\":-1,"
                              "\"rate\":-1,\"precision\":-1}"},
        {"{\"id\":\"zfpy\",\"mode\":4,\"tolerance\":1e-6}", "{\"id\":\"zfpy\",\"mode\":4,\"compression_kwargs\":"
                              "{\"tolerance\":1e-06},\"tolerance\":1e-06,\"rate\":-1,\"precision\":-1}"},
        /* The Zarr v3 form, also with the "numcodecs." prefix. */
        {"{\"name\":\"zstd\",\"configuration\":{\"level\":3}}", "{\"id\":\"zstd\",\"level\":3,\"checksum\":false}"},
        {"{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":7}}", "{\"id\":\"zlib\",\"level\":7}"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        numcodecs_codec *codec = codec_new(cases[i][0]);
        char *config;
        if (codec == NULL) continue;
        config = codec_config_string(codec);
        CHECK(config != NULL);
        if (config != NULL && strcmp(config, cases[i][1]) != 0)
            fprintf(stderr, "config of %s is %s, numcodecs writes %s\n", cases[i][0], config, cases[i][1]);
        CHECK(config != NULL && strcmp(config, cases[i][1]) == 0);
        /* A configuration read back creates an identical codec. */
        if (config != NULL) {
            numcodecs_codec *again = codec_new(config);
            char *config2 = again ? codec_config_string(again) : NULL;
            CHECK(config2 != NULL && strcmp(config, config2) == 0);
            free(config2);
            numcodecs_codec_free(again);
        }
        free(config);
        numcodecs_codec_free(codec);
    }
}

static void test_codec_from_json(void) {
    numcodecs_codec *codec = CODEC_SENTINEL;
    /* The JSON need not be NUL-terminated: only json_len bytes are read. */
    const char padded[] = "{\"id\":\"zstd\",\"level\":5}garbage after the object";
    size_t padded_len = strlen("{\"id\":\"zstd\",\"level\":5}");
    const char *text;

    CHECK_STATUS(numcodecs_codec_from_json(padded, padded_len, &codec), NUMCODECS_OK);
    CHECK(codec != CODEC_SENTINEL && codec != NULL);
    if (codec != CODEC_SENTINEL && codec != NULL) {
        CHECK(strcmp(numcodecs_codec_id(codec), "zstd") == 0);
        numcodecs_codec_free(codec);
    }

    /* Failures leave *out untouched. */
#define EXPECT_CREATE_FAILS(json_text, want)                                                      \
    do {                                                                                          \
        codec = CODEC_SENTINEL;                                                                   \
        text = (json_text);                                                                       \
        CHECK_STATUS(numcodecs_codec_from_json(text, strlen(text), &codec), want);                \
        CHECK(codec == CODEC_SENTINEL);                                                           \
        CHECK(!last_error_is_empty());                                                            \
    } while (0)

    EXPECT_CREATE_FAILS("{\"id\":\"zlib\"", NUMCODECS_INVALID_CONFIG);                 /* malformed JSON */
    EXPECT_CREATE_FAILS("[\"zlib\"]", NUMCODECS_INVALID_CONFIG);            /* a chain of a non-object */
    EXPECT_CREATE_FAILS("{\"level\":1}", NUMCODECS_INVALID_CONFIG);                     /* no id */
    EXPECT_CREATE_FAILS("{\"id\":7}", NUMCODECS_INVALID_CONFIG);                        /* id not a string */
    EXPECT_CREATE_FAILS("{\"id\":\"zlib\",\"levle\":1}", NUMCODECS_INVALID_CONFIG);     /* unknown key */
    EXPECT_CREATE_FAILS("{\"id\":\"zstd\",\"level\":\"high\"}", NUMCODECS_INVALID_CONFIG); /* wrong type */
    EXPECT_CREATE_FAILS("{\"id\":\"zlib\",\"level\":10}", NUMCODECS_INVALID_CONFIG);    /* out of range */
    EXPECT_CREATE_FAILS("{\"id\":\"bz2\",\"level\":0}", NUMCODECS_INVALID_CONFIG);      /* out of range */
    EXPECT_CREATE_FAILS("{\"id\":\"blosc\",\"clevel\":10}", NUMCODECS_INVALID_CONFIG);  /* out of range */
    EXPECT_CREATE_FAILS("{\"id\":\"blosc\",\"cname\":\"snappy\"}", NUMCODECS_INVALID_CONFIG); /* not built */
    EXPECT_CREATE_FAILS("{\"id\":\"lzma\",\"format\":3}", NUMCODECS_INVALID_CONFIG);  /* raw needs filters */
    /* Every BCJ filter numcodecs accepts is built in: an ARM + LZMA2 chain is a valid configuration. */
    codec = NULL;
    text = "{\"id\":\"lzma\",\"filters\":[{\"id\":7},{\"id\":33}]}";
    CHECK_STATUS(numcodecs_codec_from_json(text, strlen(text), &codec), NUMCODECS_OK);
    numcodecs_codec_free(codec);
    EXPECT_CREATE_FAILS("{\"id\":\"no-such-codec\"}", NUMCODECS_UNKNOWN_CODEC);
    EXPECT_CREATE_FAILS("{\"name\":\"no-such-codec\",\"configuration\":{}}", NUMCODECS_UNKNOWN_CODEC);

    /* Not UTF-8. */
    codec = CODEC_SENTINEL;
    text = "{\"id\":\"zl\xff\"}";
    CHECK_STATUS(numcodecs_codec_from_json(text, strlen(text), &codec), NUMCODECS_INVALID_CONFIG);
    CHECK(codec == CODEC_SENTINEL);

    /* NULL pointers. */
    text = "{\"id\":\"zlib\"}";
    CHECK_STATUS(numcodecs_codec_from_json(text, strlen(text), NULL), NUMCODECS_INVALID_ARGUMENT);
    codec = CODEC_SENTINEL;
    CHECK_STATUS(numcodecs_codec_from_json(NULL, 5, &codec), NUMCODECS_INVALID_ARGUMENT);
    CHECK(codec == CODEC_SENTINEL);
    /* NULL with length 0 is an empty (hence malformed) document, not a NULL-pointer error. */
    CHECK_STATUS(numcodecs_codec_from_json(NULL, 0, &codec), NUMCODECS_INVALID_CONFIG);
    CHECK(codec == CODEC_SENTINEL);
#undef EXPECT_CREATE_FAILS

    numcodecs_codec_free(NULL); /* a no-op */
    CHECK(numcodecs_codec_id(NULL) == NULL);
}

/* A configuration that can only decode (lzma FORMAT_AUTO, as in numcodecs) is created, decodes, and is
 * refused with NUMCODECS_INVALID_CONFIG when asked to encode, leaving the outputs alone. */
static void test_decode_only_config(void) {
    numcodecs_codec *xz = codec_new("{\"id\":\"lzma\"}");
    numcodecs_codec *automatic = codec_new("{\"id\":\"lzma\",\"format\":0}");
    uint8_t *encoded = BYTES_SENTINEL, *decoded = BYTES_SENTINEL, *out = BYTES_SENTINEL;
    size_t enc_len = 0, dec_len = 0, len = SIZE_SENTINEL;
    uint8_t dst[64];
    if (xz == NULL || automatic == NULL) goto done;
    CHECK_STATUS(numcodecs_encode_alloc(automatic, sample, sizeof sample, NULL, &out, &len), NUMCODECS_INVALID_CONFIG);
    CHECK_STATUS(numcodecs_encode(automatic, sample, 16, NULL, dst, sizeof dst, &len), NUMCODECS_INVALID_CONFIG);
    CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
    CHECK_STATUS(numcodecs_encode_alloc(xz, sample, sizeof sample, NULL, &encoded, &enc_len), NUMCODECS_OK);
    if (encoded == BYTES_SENTINEL) goto done;
    CHECK_STATUS(numcodecs_decode_alloc(automatic, encoded, enc_len, &decoded, &dec_len), NUMCODECS_OK);
    CHECK(decoded != BYTES_SENTINEL && dec_len == sizeof sample);
    if (decoded != BYTES_SENTINEL) {
        CHECK(memcmp(decoded, sample, sizeof sample) == 0);
        numcodecs_bytes_free(decoded, dec_len);
    }
    numcodecs_bytes_free(encoded, enc_len);
done:
    numcodecs_codec_free(xz);
    numcodecs_codec_free(automatic);
}

static void test_codec_config_buffers(void) {
    numcodecs_codec *codec = codec_new("{\"id\":\"zlib\",\"level\":9}");
    const char *expected = "{\"id\":\"zlib\",\"level\":9}";
    size_t n = strlen(expected);
    char buffer[64];
    size_t len;
    if (codec == NULL) return;

    /* Size query. */
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_codec_config(codec, NULL, 0, &len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len == n);
    /* Exact fit: the JSON plus its NUL. */
    memset(buffer, '#', sizeof buffer);
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_codec_config(codec, buffer, n + 1, &len), NUMCODECS_OK);
    CHECK(len == n && strcmp(buffer, expected) == 0 && buffer[n + 1] == '#');
    /* Too small (no room for the NUL): the needed length is reported, the buffer left alone. */
    memset(buffer, '#', sizeof buffer);
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_codec_config(codec, buffer, n, &len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len == n && buffer[0] == '#');
    /* Bad arguments. */
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_codec_config(NULL, buffer, sizeof buffer, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    CHECK_STATUS(numcodecs_codec_config(codec, buffer, sizeof buffer, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_codec_config(codec, NULL, 10, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    CHECK(strcmp(numcodecs_codec_id(codec), "zlib") == 0);
    numcodecs_codec_free(codec);
}

/* ---- round trips --------------------------------------------------------------------------- */

struct codec_case {
    const char *json;
    int records_size; /* whether the stream records its decoded size (numcodecs_decoded_size works) */
};

static const struct codec_case round_trip_cases[] = {
    {"{\"id\":\"zlib\",\"level\":5}", 0},
    {"{\"id\":\"gzip\",\"level\":5}", 0},
    {"{\"id\":\"bz2\",\"level\":9}", 0},
    {"{\"id\":\"lzma\"}", 0},
    {"{\"id\":\"lzma\",\"preset\":1}", 0},
    {"{\"id\":\"lzma\",\"format\":1,\"check\":0,\"filters\":[{\"id\":3,\"dist\":4},{\"id\":33,\"preset\":1}]}", 0},
    {"{\"id\":\"zstd\",\"level\":3,\"checksum\":true}", 1},
    {"{\"id\":\"zstd\"}", 1},
    {"{\"id\":\"lz4\",\"acceleration\":1}", 1},
    {"{\"id\":\"blosc\"}", 1},
    {"{\"id\":\"blosc\",\"cname\":\"zstd\",\"clevel\":3,\"shuffle\":2,\"blocksize\":0}", 1},
};

static void round_trip(const struct codec_case *c) {
    numcodecs_codec *codec = codec_new(c->json);
    numcodecs_array_info info = sample_info();
    size_t nbytes = sizeof sample;
    size_t bound = SIZE_SENTINEL, enc_len = SIZE_SENTINEL, alloc_len = SIZE_SENTINEL, size = SIZE_SENTINEL;
    size_t dec_len = SIZE_SENTINEL;
    uint8_t *encoded, *alloc_out = BYTES_SENTINEL, *decoded_alloc = BYTES_SENTINEL;
    float *decoded;
    int failed_before = check_failed;
    if (codec == NULL) return;

    CHECK_STATUS(numcodecs_encode_bound(codec, nbytes, &info, &bound), NUMCODECS_OK);
    CHECK(bound != SIZE_SENTINEL && bound >= 16);
    encoded = (uint8_t *)malloc(bound);
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, &info, encoded, bound, &enc_len), NUMCODECS_OK);
    CHECK(enc_len > 0 && enc_len <= bound);
    CHECK(enc_len < nbytes); /* smooth data compresses */

    /* encode_alloc gives the same bytes (encoding is deterministic). */
    CHECK_STATUS(numcodecs_encode_alloc(codec, sample, nbytes, &info, &alloc_out, &alloc_len), NUMCODECS_OK);
    CHECK(alloc_out != BYTES_SENTINEL && alloc_out != NULL && alloc_len == enc_len);
    if (alloc_out != BYTES_SENTINEL && alloc_out != NULL && alloc_len == enc_len)
        CHECK(memcmp(alloc_out, encoded, enc_len) == 0);
    if (alloc_out != BYTES_SENTINEL) numcodecs_bytes_free(alloc_out, alloc_len);

    if (c->records_size) {
        CHECK_STATUS(numcodecs_decoded_size(codec, encoded, enc_len, &size), NUMCODECS_OK);
        CHECK(size == nbytes);
    } else {
        CHECK_STATUS(numcodecs_decoded_size(codec, encoded, enc_len, &size), NUMCODECS_SIZE_UNKNOWN);
        CHECK(size == SIZE_SENTINEL);
    }

    /* Decode into an exactly-sized buffer. */
    decoded = (float *)malloc(nbytes);
    CHECK_STATUS(numcodecs_decode(codec, encoded, enc_len, decoded, nbytes, &dec_len), NUMCODECS_OK);
    CHECK(dec_len == nbytes && memcmp(decoded, sample, nbytes) == 0);

    /* decode_alloc: same bytes, 16-byte aligned. */
    CHECK_STATUS(numcodecs_decode_alloc(codec, encoded, enc_len, &decoded_alloc, &dec_len), NUMCODECS_OK);
    CHECK(decoded_alloc != BYTES_SENTINEL && decoded_alloc != NULL && dec_len == nbytes);
    if (decoded_alloc != BYTES_SENTINEL && decoded_alloc != NULL && dec_len == nbytes) {
        CHECK(memcmp(decoded_alloc, sample, nbytes) == 0);
        CHECK(((uintptr_t)decoded_alloc) % 16 == 0);
    }
    if (decoded_alloc != BYTES_SENTINEL) numcodecs_bytes_free(decoded_alloc, dec_len);

    /* The same chunk described as plain bytes (info NULL) decodes to the same bytes for every codec but
     * blosc, whose shuffle depends on the typesize; it still round-trips. */
    {
        size_t plain_len = SIZE_SENTINEL, back_len = SIZE_SENTINEL;
        uint8_t *plain = BYTES_SENTINEL, *back = BYTES_SENTINEL;
        CHECK_STATUS(numcodecs_encode_alloc(codec, sample, nbytes, NULL, &plain, &plain_len), NUMCODECS_OK);
        if (plain != BYTES_SENTINEL) {
            if (strcmp(numcodecs_codec_id(codec), "blosc") != 0)
                CHECK(plain_len == enc_len && memcmp(plain, encoded, enc_len) == 0);
            CHECK_STATUS(numcodecs_decode_alloc(codec, plain, plain_len, &back, &back_len), NUMCODECS_OK);
            if (back != BYTES_SENTINEL) {
                CHECK(back_len == nbytes && memcmp(back, sample, nbytes) == 0);
                numcodecs_bytes_free(back, back_len);
            }
            numcodecs_bytes_free(plain, plain_len);
        }
    }

    if (check_failed != failed_before) fprintf(stderr, "  (in the round trip of %s)\n", c->json);
    free(decoded);
    free(encoded);
    numcodecs_codec_free(codec);
}

static void test_round_trips(void) {
    size_t i;
    for (i = 0; i < sizeof round_trip_cases / sizeof round_trip_cases[0]; i++) round_trip(&round_trip_cases[i]);
}

/* numcodecs encodes an empty chunk with every codec; zstd, lz4 and blosc cannot decode theirs (a bug in
 * numcodecs 0.16.6). libnumcodecs writes the same bytes and decodes them. */
static void test_empty_chunks(void) {
    size_t i;
    for (i = 0; i < sizeof round_trip_cases / sizeof round_trip_cases[0]; i++) {
        numcodecs_codec *codec = codec_new(round_trip_cases[i].json);
        uint8_t *encoded = BYTES_SENTINEL, *decoded = BYTES_SENTINEL;
        size_t enc_len = SIZE_SENTINEL, dec_len = SIZE_SENTINEL, size = SIZE_SENTINEL;
        uint8_t small[1];
        if (codec == NULL) continue;
        CHECK_STATUS(numcodecs_encode_alloc(codec, NULL, 0, NULL, &encoded, &enc_len), NUMCODECS_OK);
        CHECK(encoded != BYTES_SENTINEL && encoded != NULL && enc_len > 0 && enc_len != SIZE_SENTINEL);
        if (encoded == BYTES_SENTINEL) {
            numcodecs_codec_free(codec);
            continue;
        }
        CHECK_STATUS(numcodecs_decode_alloc(codec, encoded, enc_len, &decoded, &dec_len), NUMCODECS_OK);
        /* Never NULL on success, even for zero bytes. */
        CHECK(decoded != BYTES_SENTINEL && decoded != NULL && dec_len == 0);
        if (decoded != BYTES_SENTINEL) numcodecs_bytes_free(decoded, dec_len);
        /* Decoding into a zero-capacity (NULL) buffer works too. */
        dec_len = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decode(codec, encoded, enc_len, NULL, 0, &dec_len), NUMCODECS_OK);
        CHECK(dec_len == 0);
        dec_len = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decode(codec, encoded, enc_len, small, sizeof small, &dec_len), NUMCODECS_OK);
        CHECK(dec_len == 0);
        if (round_trip_cases[i].records_size) {
            CHECK_STATUS(numcodecs_decoded_size(codec, encoded, enc_len, &size), NUMCODECS_OK);
            CHECK(size == 0);
        }
        numcodecs_bytes_free(encoded, enc_len);
        numcodecs_codec_free(codec);
    }
}

/* ---- BUFFER_TOO_SMALL ---------------------------------------------------------------------- */

static void test_buffer_too_small(void) {
    size_t i;
    numcodecs_array_info info = sample_info();
    for (i = 0; i < sizeof round_trip_cases / sizeof round_trip_cases[0]; i++) {
        const struct codec_case *c = &round_trip_cases[i];
        numcodecs_codec *codec = codec_new(c->json);
        uint8_t *encoded = BYTES_SENTINEL, *small;
        size_t enc_len = 0, needed, len;
        int failed_before = check_failed;
        if (codec == NULL) continue;
        CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, &info, &encoded, &enc_len), NUMCODECS_OK);
        if (encoded == BYTES_SENTINEL) {
            numcodecs_codec_free(codec);
            continue;
        }

        /* Encoding into a buffer one byte short of the encoded size fails; if the needed size is
         * reported, it is exactly the encoded size and that much space succeeds. */
        small = (uint8_t *)malloc(sizeof sample);
        needed = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_encode(codec, sample, sizeof sample, &info, small, enc_len - 1, &needed),
                     NUMCODECS_BUFFER_TOO_SMALL);
        CHECK(needed == SIZE_SENTINEL || needed == enc_len);
        len = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_encode(codec, sample, sizeof sample, &info, small, enc_len, &len), NUMCODECS_OK);
        CHECK(len == enc_len && memcmp(small, encoded, enc_len) == 0);

        /* Decoding into a buffer one byte short: codecs that record the size report it. */
        needed = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decode(codec, encoded, enc_len, small, sizeof sample - 1, &needed),
                     NUMCODECS_BUFFER_TOO_SMALL);
        if (c->records_size)
            CHECK(needed == sizeof sample);
        else
            CHECK(needed == SIZE_SENTINEL || needed == sizeof sample);
        /* A zero-capacity destination (NULL) is too small as well. */
        needed = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decode(codec, encoded, enc_len, NULL, 0, &needed), NUMCODECS_BUFFER_TOO_SMALL);
        if (c->records_size) CHECK(needed == sizeof sample);

        if (check_failed != failed_before) fprintf(stderr, "  (in the BUFFER_TOO_SMALL checks of %s)\n", c->json);
        free(small);
        numcodecs_bytes_free(encoded, enc_len);
        numcodecs_codec_free(codec);
    }
}

/* ---- INVALID_ARGUMENT ---------------------------------------------------------------------- */

static void test_invalid_arguments(void) {
    numcodecs_codec *codec = codec_new("{\"id\":\"zstd\",\"level\":1}");
    numcodecs_array_info info = sample_info(), bad;
    static const size_t wrong_shape[2] = {ROWS, COLS + 1};
    static const size_t flat_shape[1] = {ROWS * COLS};
    uint8_t *buffer, *out;
    size_t cap, len, bound;
    const size_t nbytes = sizeof sample;
    if (codec == NULL) return;
    CHECK_STATUS(numcodecs_encode_bound(codec, nbytes, &info, &bound), NUMCODECS_OK);
    cap = bound + nbytes;
    buffer = (uint8_t *)malloc(cap);

    /* NULL codec, NULL out-parameters, NULL buffers with non-zero lengths. */
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_encode(NULL, sample, nbytes, &info, buffer, cap, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, &info, buffer, cap, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode(codec, NULL, nbytes, &info, buffer, cap, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, &info, NULL, cap, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    out = BYTES_SENTINEL;
    CHECK_STATUS(numcodecs_encode_alloc(NULL, sample, nbytes, &info, &out, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_alloc(codec, sample, nbytes, &info, NULL, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_alloc(codec, sample, nbytes, &info, &out, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
    CHECK_STATUS(numcodecs_encode_bound(NULL, nbytes, &info, &bound), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_bound(codec, nbytes, &info, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decoded_size(NULL, buffer, 16, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decoded_size(codec, buffer, 16, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decoded_size(codec, NULL, 16, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode(NULL, buffer, 16, buffer + 16, 16, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode(codec, buffer, 16, buffer + 16, 16, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode(codec, NULL, 16, buffer + 16, 16, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode(codec, buffer, 16, NULL, 16, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode_alloc(NULL, buffer, 16, &out, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode_alloc(codec, buffer, 16, NULL, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode_alloc(codec, buffer, 16, &out, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decode_alloc(codec, NULL, 16, &out, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
    CHECK(!last_error_is_empty());

    /* Bad dtype strings. */
    bad = info;
    bad.dtype = "<f3x";
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, &bad, buffer, cap, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(strstr(numcodecs_last_error(), "dtype") != NULL);
    bad.dtype = "";
    CHECK_STATUS(numcodecs_encode_alloc(codec, sample, nbytes, &bad, &out, &len), NUMCODECS_INVALID_ARGUMENT);
    bad.dtype = "float33";
    CHECK_STATUS(numcodecs_encode_bound(codec, nbytes, &bad, &bound), NUMCODECS_INVALID_ARGUMENT);
    CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);

    /* Shapes that do not match the buffer length. */
    bad = info;
    bad.shape = wrong_shape;
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, &bad, buffer, cap, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_encode_bound(codec, nbytes, &bad, &bound), NUMCODECS_INVALID_ARGUMENT);
    bad = info;
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes - 4, &bad, buffer, cap, &len), NUMCODECS_INVALID_ARGUMENT);
    /* No shape: the buffer must hold whole items of the dtype. */
    bad.shape = NULL;
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes - 2, &bad, buffer, cap, &len), NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    /* ...but the same elements as a 1-D shape, or with no shape at all, are fine. */
    bad.shape = flat_shape;
    bad.ndim = 1;
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, &bad, buffer, cap, &len), NUMCODECS_OK);
    bad.shape = NULL;
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, &bad, buffer, cap, &len), NUMCODECS_OK);
    bad.dtype = NULL; /* NULL dtype means bytes ("|u1") */
    CHECK_STATUS(numcodecs_encode(codec, sample, nbytes - 1, &bad, buffer, cap, &len), NUMCODECS_OK);

    /* Overlapping source and destination. */
    memcpy(buffer, sample, nbytes);
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_encode(codec, buffer, nbytes, NULL, buffer + nbytes / 2, cap - nbytes / 2, &len),
                 NUMCODECS_INVALID_ARGUMENT);
    CHECK(strstr(numcodecs_last_error(), "overlap") != NULL);
    CHECK(len == SIZE_SENTINEL);
    {
        size_t enc_len = 0;
        CHECK_STATUS(numcodecs_encode(codec, sample, nbytes, NULL, buffer, cap, &enc_len), NUMCODECS_OK);
        /* decode reading buffer[0..enc_len) and writing over its own tail */
        CHECK_STATUS(numcodecs_decode(codec, buffer, enc_len, buffer + enc_len - 1, nbytes, &len),
                     NUMCODECS_INVALID_ARGUMENT);
        CHECK(len == SIZE_SENTINEL);
        /* adjacent, not overlapping: fine */
        CHECK_STATUS(numcodecs_decode(codec, buffer, enc_len, buffer + enc_len, nbytes, &len), NUMCODECS_OK);
        CHECK(len == nbytes && memcmp(buffer + enc_len, sample, nbytes) == 0);
    }

    numcodecs_bytes_free(NULL, 0); /* a no-op */
    free(buffer);
    numcodecs_codec_free(codec);
}

/* ---- CORRUPT_DATA, SIZE_UNKNOWN, LIMIT_EXCEEDED -------------------------------------------- */

static void test_corrupt_data(void) {
    static const char *const configs[] = {
        "{\"id\":\"zlib\"}", "{\"id\":\"gzip\"}", "{\"id\":\"bz2\"}", "{\"id\":\"lzma\"}",
        "{\"id\":\"zstd\"}", "{\"id\":\"lz4\"}", "{\"id\":\"blosc\"}",
    };
    /* Not a valid stream for any codec; for lz4 the 4-byte header claims 64 bytes, a plausible size, so the
     * failure comes from the block itself. */
    static const uint8_t garbage[48] = {
        0x40, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x13, 0x37, 0xc0, 0xde, 0xff, 0xff, 0xff, 0xff,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
        0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
    };
    uint8_t dst[4096];
    size_t i;
    for (i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        numcodecs_codec *codec = codec_new(configs[i]);
        uint8_t *out = BYTES_SENTINEL, *encoded = BYTES_SENTINEL;
        size_t len = SIZE_SENTINEL, enc_len = 0;
        int failed_before = check_failed;
        if (codec == NULL) continue;
        CHECK_STATUS(numcodecs_decode(codec, garbage, sizeof garbage, dst, sizeof dst, &len), NUMCODECS_CORRUPT_DATA);
        CHECK_STATUS(numcodecs_decode_alloc(codec, garbage, sizeof garbage, &out, &len), NUMCODECS_CORRUPT_DATA);
        CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
        CHECK(!last_error_is_empty());

        /* A valid chunk cut short. */
        CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, NULL, &encoded, &enc_len), NUMCODECS_OK);
        if (encoded != BYTES_SENTINEL) {
            CHECK_STATUS(numcodecs_decode_alloc(codec, encoded, enc_len / 2, &out, &len), NUMCODECS_CORRUPT_DATA);
            CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
            numcodecs_bytes_free(encoded, enc_len);
        }
        if (check_failed != failed_before) fprintf(stderr, "  (in the CORRUPT_DATA checks of %s)\n", configs[i]);
        numcodecs_codec_free(codec);
    }
}

/* An lz4 chunk whose 4-byte header claims 0xFFFFFFFF bytes: more than an LZ4 block can ever hold, so the
 * header alone marks it corrupt (no 4 GiB allocation is attempted). */
static void test_lz4_impossible_size(void) {
    static const uint8_t claims_4gib[] = {0xff, 0xff, 0xff, 0xff, 0x10, 0x41};
    numcodecs_codec *lz4 = codec_new("{\"id\":\"lz4\"}");
    uint8_t *out = BYTES_SENTINEL;
    size_t len = SIZE_SENTINEL;
    if (lz4 == NULL) return;
    CHECK_STATUS(numcodecs_decoded_size(lz4, claims_4gib, sizeof claims_4gib, &len), NUMCODECS_CORRUPT_DATA);
    CHECK_STATUS(numcodecs_decode_alloc(lz4, claims_4gib, sizeof claims_4gib, &out, &len), NUMCODECS_CORRUPT_DATA);
    CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
    numcodecs_codec_free(lz4);
}

/* An lz4 chunk whose header claims 0 bytes, followed by a block long enough for LZ4's literal shortcut
 * (16+ bytes after a short literal run). It is corrupt. The library once handed LZ4 a dangling pointer
 * for the empty output, which LZ4's shortcut test wraps around (UBSan reports it in scripts/sanitize.sh). */
static void test_lz4_zero_size_long_block(void) {
    uint8_t chunk[4 + 32] = {0, 0, 0, 0, 0x10, 'a', 1, 0};
    uint8_t dst[1];
    numcodecs_codec *lz4 = codec_new("{\"id\":\"lz4\"}");
    uint8_t *out = BYTES_SENTINEL;
    size_t len = SIZE_SENTINEL;
    if (lz4 == NULL) return;
    CHECK_STATUS(numcodecs_decode_alloc(lz4, chunk, sizeof chunk, &out, &len), NUMCODECS_CORRUPT_DATA);
    CHECK_STATUS(numcodecs_decode(lz4, chunk, sizeof chunk, dst, 0, &len), NUMCODECS_CORRUPT_DATA);
    CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
    numcodecs_codec_free(lz4);
}

static void test_size_unknown(void) {
    static const char *const configs[] = {"{\"id\":\"zlib\"}", "{\"id\":\"gzip\"}", "{\"id\":\"bz2\"}", "{\"id\":\"lzma\"}"};
    size_t i;
    for (i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        numcodecs_codec *codec = codec_new(configs[i]);
        uint8_t *encoded = BYTES_SENTINEL;
        size_t enc_len = 0, size = SIZE_SENTINEL;
        if (codec == NULL) continue;
        CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, NULL, &encoded, &enc_len), NUMCODECS_OK);
        if (encoded != BYTES_SENTINEL) {
            CHECK_STATUS(numcodecs_decoded_size(codec, encoded, enc_len, &size), NUMCODECS_SIZE_UNKNOWN);
            CHECK(size == SIZE_SENTINEL);
            numcodecs_bytes_free(encoded, enc_len);
        }
        numcodecs_codec_free(codec);
    }
}

static void test_limit_exceeded(void) {
    /* A zstd frame whose header claims 2^40 bytes (1 TiB): single-segment, 8-byte content size, then a
     * last raw block of one byte. The library refuses before allocating anything. */
    static const uint8_t zstd_tib[] = {
        0x28, 0xb5, 0x2f, 0xfd,                         /* magic */
        0xe0,                                           /* FCS 8 bytes, single segment */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, /* content size 2^40, little-endian */
        0x09, 0x00, 0x00,                               /* last block, raw, size 1 */
        0x41,
    };
    numcodecs_codec *zstd = codec_new("{\"id\":\"zstd\"}");
    numcodecs_codec *zlib = codec_new("{\"id\":\"zlib\"}");
    uint8_t *out = BYTES_SENTINEL;
    uint8_t dst[64];
    size_t len = SIZE_SENTINEL, bound = SIZE_SENTINEL;
    if (zstd != NULL) {
        CHECK_STATUS(numcodecs_decoded_size(zstd, zstd_tib, sizeof zstd_tib, &len), NUMCODECS_LIMIT_EXCEEDED);
        CHECK_STATUS(numcodecs_decode_alloc(zstd, zstd_tib, sizeof zstd_tib, &out, &len), NUMCODECS_LIMIT_EXCEEDED);
        CHECK_STATUS(numcodecs_decode(zstd, zstd_tib, sizeof zstd_tib, dst, sizeof dst, &len), NUMCODECS_LIMIT_EXCEEDED);
        CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
        /* An encode bound that does not fit in size_t. */
        CHECK_STATUS(numcodecs_encode_bound(zstd, SIZE_MAX, NULL, &bound), NUMCODECS_LIMIT_EXCEEDED);
        CHECK(bound == SIZE_SENTINEL);
    }
    if (zlib != NULL) {
        CHECK_STATUS(numcodecs_encode_bound(zlib, SIZE_MAX, NULL, &bound), NUMCODECS_LIMIT_EXCEEDED);
        CHECK(bound == SIZE_SENTINEL);
    }
    /* Inputs over what the format can record: lz4 (LZ4_MAX_INPUT_SIZE, 0x7E000000) and blosc (2^31 - 1
     * minus its header). Only the bound is asked for, so nothing that large is allocated. */
    {
        numcodecs_codec *lz4 = codec_new("{\"id\":\"lz4\"}");
        numcodecs_codec *blosc = codec_new("{\"id\":\"blosc\"}");
        if (lz4 != NULL) {
            CHECK_STATUS(numcodecs_encode_bound(lz4, 0x7E000000u, NULL, &bound), NUMCODECS_OK);
            CHECK(bound > 0x7E000000u);
            bound = SIZE_SENTINEL;
            CHECK_STATUS(numcodecs_encode_bound(lz4, (size_t)0x7E000000u + 1, NULL, &bound), NUMCODECS_LIMIT_EXCEEDED);
            CHECK(bound == SIZE_SENTINEL);
        }
        if (blosc != NULL) {
            CHECK_STATUS(numcodecs_encode_bound(blosc, (size_t)1 << 31, NULL, &bound), NUMCODECS_LIMIT_EXCEEDED);
            CHECK(bound == SIZE_SENTINEL);
        }
        numcodecs_codec_free(lz4);
        numcodecs_codec_free(blosc);
    }
    numcodecs_codec_free(zstd);
    numcodecs_codec_free(zlib);
}

static void test_max_decoded_size(void) {
    /* A zlib bomb in miniature: 64 KiB of zeros. Under a 1000-byte limit it is refused, whichever decode
     * function is used; the limit is per handle and can be raised again. */
    static uint8_t zeros[65536];
    numcodecs_codec *zlib = codec_new("{\"id\":\"zlib\",\"level\":9}");
    uint8_t *encoded = NULL, *out = BYTES_SENTINEL;
    size_t encoded_len = 0, len = SIZE_SENTINEL, limit = SIZE_SENTINEL;
    static uint8_t dst[2 * sizeof zeros];
    if (zlib == NULL) return;
    CHECK_STATUS(numcodecs_codec_max_decoded_size(zlib, &limit), NUMCODECS_OK);
    CHECK(limit == (size_t)NUMCODECS_DEFAULT_MAX_DECODED_SIZE);
    CHECK_STATUS(numcodecs_encode_alloc(zlib, zeros, sizeof zeros, NULL, &encoded, &encoded_len), NUMCODECS_OK);
    CHECK_STATUS(numcodecs_codec_set_max_decoded_size(zlib, 1000), NUMCODECS_OK);
    CHECK_STATUS(numcodecs_codec_max_decoded_size(zlib, &limit), NUMCODECS_OK);
    CHECK(limit == 1000);
    CHECK_STATUS(numcodecs_decode_alloc(zlib, encoded, encoded_len, &out, &len), NUMCODECS_LIMIT_EXCEEDED);
    CHECK(out == BYTES_SENTINEL && len == SIZE_SENTINEL);
    CHECK(strstr(numcodecs_last_error(), "limit") != NULL);
    CHECK_STATUS(numcodecs_decode(zlib, encoded, encoded_len, dst, sizeof dst, &len), NUMCODECS_LIMIT_EXCEEDED);
    CHECK_STATUS(numcodecs_codec_set_max_decoded_size(zlib, sizeof zeros), NUMCODECS_OK);
    CHECK_STATUS(numcodecs_decode_alloc(zlib, encoded, encoded_len, &out, &len), NUMCODECS_OK);
    CHECK(len == sizeof zeros && memcmp(out, zeros, len) == 0);
    numcodecs_bytes_free(out, len);
    CHECK_STATUS(numcodecs_codec_set_max_decoded_size(NULL, 1), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_codec_max_decoded_size(zlib, NULL), NUMCODECS_INVALID_ARGUMENT);
    numcodecs_bytes_free(encoded, encoded_len);
    numcodecs_codec_free(zlib);
}

/* ---- the numcodecs.blosc helpers ----------------------------------------------------------- */

static void test_blosc_header_helpers(void) {
    numcodecs_codec *codec = codec_new("{\"id\":\"blosc\",\"cname\":\"zstd\",\"clevel\":3,\"shuffle\":2}");
    numcodecs_codec *stored = codec_new("{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":0}");
    numcodecs_array_info info = sample_info();
    uint8_t *encoded = BYTES_SENTINEL, *raw = BYTES_SENTINEL;
    size_t enc_len = 0, raw_len = 0;
    size_t nbytes = SIZE_SENTINEL, cbytes = SIZE_SENTINEL, blocksize = SIZE_SENTINEL, typesize = SIZE_SENTINEL;
    int shuffle = -7, memcpyed = -7;
    const char *complib = "sentinel";
    uint8_t bad_header[16];
    if (codec == NULL || stored == NULL) goto done;
    CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, &info, &encoded, &enc_len), NUMCODECS_OK);
    if (encoded == BYTES_SENTINEL) goto done;

    CHECK_STATUS(numcodecs_blosc_cbuffer_sizes(encoded, enc_len, &nbytes, &cbytes, &blocksize), NUMCODECS_OK);
    CHECK(nbytes == sizeof sample && cbytes == enc_len && blocksize > 0 && blocksize <= sizeof sample);
    /* Only the 16-byte header is needed. */
    nbytes = cbytes = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_blosc_cbuffer_sizes(encoded, NUMCODECS_BLOSC_MAX_OVERHEAD, &nbytes, &cbytes, &blocksize),
                 NUMCODECS_OK);
    CHECK(nbytes == sizeof sample && cbytes == enc_len);
    /* Typesize from the array's dtype, the shuffle from the config, compressed (not stored). */
    CHECK_STATUS(numcodecs_blosc_cbuffer_metainfo(encoded, enc_len, &typesize, &shuffle, &memcpyed), NUMCODECS_OK);
    CHECK(typesize == 4 && shuffle == NUMCODECS_BLOSC_BITSHUFFLE && memcpyed == 0);
    CHECK_STATUS(numcodecs_blosc_cbuffer_complib(encoded, enc_len, &complib), NUMCODECS_OK);
    CHECK(strcmp(complib, "Zstd") == 0);

    /* clevel 0 stores the data (memcpyed), here as bytes: typesize 1. */
    CHECK_STATUS(numcodecs_encode_alloc(stored, sample, sizeof sample, NULL, &raw, &raw_len), NUMCODECS_OK);
    if (raw != BYTES_SENTINEL) {
        CHECK(raw_len == sizeof sample + NUMCODECS_BLOSC_MAX_OVERHEAD);
        CHECK_STATUS(numcodecs_blosc_cbuffer_metainfo(raw, raw_len, &typesize, &shuffle, &memcpyed), NUMCODECS_OK);
        CHECK(typesize == 1 && shuffle == NUMCODECS_BLOSC_SHUFFLE && memcpyed == 1);
        CHECK_STATUS(numcodecs_blosc_cbuffer_complib(raw, raw_len, &complib), NUMCODECS_OK);
        CHECK(strcmp(complib, "LZ4") == 0);
        numcodecs_bytes_free(raw, raw_len);
    }

    /* Short or foreign headers are corrupt; outputs stay untouched. */
    nbytes = cbytes = blocksize = typesize = SIZE_SENTINEL;
    shuffle = memcpyed = -7;
    complib = "sentinel";
    CHECK_STATUS(numcodecs_blosc_cbuffer_sizes(encoded, NUMCODECS_BLOSC_MAX_OVERHEAD - 1, &nbytes, &cbytes, &blocksize),
                 NUMCODECS_CORRUPT_DATA);
    memset(bad_header, 0xff, sizeof bad_header); /* version 255, sizes negative */
    CHECK_STATUS(numcodecs_blosc_cbuffer_sizes(bad_header, sizeof bad_header, &nbytes, &cbytes, &blocksize),
                 NUMCODECS_CORRUPT_DATA);
    CHECK_STATUS(numcodecs_blosc_cbuffer_metainfo(bad_header, sizeof bad_header, &typesize, &shuffle, &memcpyed),
                 NUMCODECS_CORRUPT_DATA);
    CHECK_STATUS(numcodecs_blosc_cbuffer_complib(bad_header, sizeof bad_header, &complib), NUMCODECS_CORRUPT_DATA);
    CHECK(nbytes == SIZE_SENTINEL && cbytes == SIZE_SENTINEL && blocksize == SIZE_SENTINEL);
    CHECK(typesize == SIZE_SENTINEL && shuffle == -7 && memcpyed == -7 && strcmp(complib, "sentinel") == 0);
    CHECK_STATUS(numcodecs_blosc_cbuffer_sizes(NULL, 16, &nbytes, &cbytes, &blocksize), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_blosc_cbuffer_sizes(encoded, enc_len, NULL, &cbytes, &blocksize), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_blosc_cbuffer_metainfo(encoded, enc_len, &typesize, NULL, &memcpyed),
                 NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_blosc_cbuffer_complib(encoded, enc_len, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK(nbytes == SIZE_SENTINEL && typesize == SIZE_SENTINEL);

done:
    if (encoded != BYTES_SENTINEL) numcodecs_bytes_free(encoded, enc_len);
    numcodecs_codec_free(codec);
    numcodecs_codec_free(stored);
}

static void test_blosc_decompress_partial(void) {
    numcodecs_codec *codec = codec_new("{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":1}");
    numcodecs_array_info info = sample_info();
    uint8_t *encoded = BYTES_SENTINEL;
    size_t enc_len = 0, len;
    float items[50];
    if (codec == NULL) return;
    CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, &info, &encoded, &enc_len), NUMCODECS_OK);
    if (encoded == BYTES_SENTINEL) {
        numcodecs_codec_free(codec);
        return;
    }
    /* Items are typesize (4) bytes: floats 1000..1049. */
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_blosc_decompress_partial(encoded, enc_len, 1000, 50, items, sizeof items, &len), NUMCODECS_OK);
    CHECK(len == sizeof items && memcmp(items, sample + 1000, sizeof items) == 0);
    /* The last items of the chunk. */
    CHECK_STATUS(numcodecs_blosc_decompress_partial(encoded, enc_len, ROWS * COLS - 50, 50, items, sizeof items, &len),
                 NUMCODECS_OK);
    CHECK(len == sizeof items && memcmp(items, sample + ROWS * COLS - 50, sizeof items) == 0);
    /* Zero items. */
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_blosc_decompress_partial(encoded, enc_len, 0, 0, NULL, 0, &len), NUMCODECS_OK);
    CHECK(len == 0);
    /* Too small: the needed size is reported. */
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_blosc_decompress_partial(encoded, enc_len, 0, 50, items, sizeof items - 1, &len),
                 NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len == sizeof items);
    /* Past the end of the chunk. */
    len = SIZE_SENTINEL;
    CHECK_STATUS(numcodecs_blosc_decompress_partial(encoded, enc_len, ROWS * COLS - 10, 20, items, sizeof items, &len),
                 NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_blosc_decompress_partial(encoded, enc_len, SIZE_MAX, 2, items, sizeof items, &len),
                 NUMCODECS_INVALID_ARGUMENT);
    CHECK(len == SIZE_SENTINEL);
    /* Truncated chunk: an error, never a read past the buffer. */
    CHECK_STATUS(numcodecs_blosc_decompress_partial(encoded, enc_len / 2, ROWS * COLS - 50, 50, items, sizeof items, &len),
                 NUMCODECS_CORRUPT_DATA);
    CHECK(len == SIZE_SENTINEL);
    numcodecs_bytes_free(encoded, enc_len);
    numcodecs_codec_free(codec);
}

static void test_blosc_compressors_and_threads(void) {
    static const char *const names[] = {"\"blosclz\"", "\"lz4\"", "\"lz4hc\"", "\"zlib\"", "\"zstd\""};
    numcodecs_codec *codec = codec_new("{\"id\":\"blosc\",\"cname\":\"blosclz\",\"clevel\":9}");
    numcodecs_array_info info = sample_info();
    char *json;
    size_t len = SIZE_SENTINEL, len2 = SIZE_SENTINEL, i;
    int previous = -7;
    uint8_t *single = BYTES_SENTINEL, *multi = BYTES_SENTINEL, *decoded = BYTES_SENTINEL;
    size_t single_len = 0, multi_len = 0, dec_len = 0;

    CHECK_STATUS(numcodecs_blosc_list_compressors(NULL, 0, &len), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len != SIZE_SENTINEL);
    json = (char *)malloc(len + 1);
    CHECK_STATUS(numcodecs_blosc_list_compressors(json, len, &len2), NUMCODECS_BUFFER_TOO_SMALL);
    CHECK(len2 == len);
    CHECK_STATUS(numcodecs_blosc_list_compressors(json, len + 1, &len2), NUMCODECS_OK);
    CHECK(len2 == len && strlen(json) == len);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) CHECK(strstr(json, names[i]) != NULL);
    CHECK_STATUS(numcodecs_blosc_list_compressors(json, len + 1, NULL), NUMCODECS_INVALID_ARGUMENT);
    free(json);

    /* Decompression threads: default 1; the output does not depend on them, nor does compression. */
    CHECK(numcodecs_blosc_get_nthreads() == 1);
    if (codec != NULL)
        CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, &info, &single, &single_len), NUMCODECS_OK);
    CHECK_STATUS(numcodecs_blosc_set_nthreads(2, &previous), NUMCODECS_OK);
    CHECK(previous == 1);
    CHECK(numcodecs_blosc_get_nthreads() == 2);
    if (codec != NULL && single != BYTES_SENTINEL) {
        CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, &info, &multi, &multi_len), NUMCODECS_OK);
        if (multi != BYTES_SENTINEL) {
            CHECK(multi_len == single_len && memcmp(multi, single, single_len) == 0);
            numcodecs_bytes_free(multi, multi_len);
        }
        CHECK_STATUS(numcodecs_decode_alloc(codec, single, single_len, &decoded, &dec_len), NUMCODECS_OK);
        if (decoded != BYTES_SENTINEL) {
            CHECK(dec_len == sizeof sample && memcmp(decoded, sample, sizeof sample) == 0);
            numcodecs_bytes_free(decoded, dec_len);
        }
        numcodecs_bytes_free(single, single_len);
    }
    previous = -7;
    CHECK_STATUS(numcodecs_blosc_set_nthreads(0, &previous), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_blosc_set_nthreads(NUMCODECS_BLOSC_MAX_THREADS + 1, &previous), NUMCODECS_INVALID_ARGUMENT);
    CHECK(previous == -7 && numcodecs_blosc_get_nthreads() == 2);
    CHECK_STATUS(numcodecs_blosc_set_nthreads(1, NULL), NUMCODECS_OK); /* previous may be NULL */
    CHECK(numcodecs_blosc_get_nthreads() == 1);
    numcodecs_codec_free(codec);
}

/* ---- threads ------------------------------------------------------------------------------- */

#define THREADS 4

struct thread_job {
    const numcodecs_codec *codec;
    const uint8_t *expected;
    size_t expected_len;
    int ok;
};

static void *encode_decode_in_thread(void *arg) {
    struct thread_job *job = (struct thread_job *)arg;
    numcodecs_array_info info = sample_info();
    uint8_t *encoded = NULL, *decoded = NULL;
    size_t enc_len = 0, dec_len = 0;
    numcodecs_codec *missing = NULL;
    int round;
    job->ok = 1;
    for (round = 0; round < 8 && job->ok; round++) {
        if (numcodecs_encode_alloc(job->codec, sample, sizeof sample, &info, &encoded, &enc_len) != NUMCODECS_OK) {
            job->ok = 0;
            break;
        }
        job->ok = enc_len == job->expected_len && memcmp(encoded, job->expected, enc_len) == 0;
        if (numcodecs_decode_alloc(job->codec, encoded, enc_len, &decoded, &dec_len) != NUMCODECS_OK) job->ok = 0;
        else {
            job->ok = job->ok && dec_len == sizeof sample && memcmp(decoded, sample, sizeof sample) == 0;
            numcodecs_bytes_free(decoded, dec_len);
        }
        numcodecs_bytes_free(encoded, enc_len);
        /* Each thread has its own last error: this thread's failure mentions its own id. */
        const char *bad = "{\"id\":\"thread-only\"}";
        if (numcodecs_codec_from_json(bad, strlen(bad), &missing) != NUMCODECS_UNKNOWN_CODEC ||
            strstr(numcodecs_last_error(), "thread-only") == NULL)
            job->ok = 0;
    }
    return NULL;
}

static void test_threads(void) {
    static const char *const configs[] = {"{\"id\":\"zstd\",\"level\":5}", "{\"id\":\"blosc\",\"cname\":\"lz4\"}",
                                          "{\"id\":\"zlib\"}"};
    size_t c;
    for (c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        numcodecs_codec *codec = codec_new(configs[c]);
        numcodecs_array_info info = sample_info();
        uint8_t *expected = NULL;
        size_t expected_len = 0;
        pthread_t threads[THREADS];
        struct thread_job jobs[THREADS];
        int i;
        const char *bad = "{\"id\":\"main-thread-only\"}";
        numcodecs_codec *missing = NULL;
        if (codec == NULL) continue;
        CHECK_STATUS(numcodecs_encode_alloc(codec, sample, sizeof sample, &info, &expected, &expected_len), NUMCODECS_OK);
        CHECK_STATUS(numcodecs_codec_from_json(bad, strlen(bad), &missing), NUMCODECS_UNKNOWN_CODEC);
        for (i = 0; i < THREADS; i++) {
            jobs[i].codec = codec;
            jobs[i].expected = expected;
            jobs[i].expected_len = expected_len;
            jobs[i].ok = 0;
            CHECK(pthread_create(&threads[i], NULL, encode_decode_in_thread, &jobs[i]) == 0);
        }
        for (i = 0; i < THREADS; i++) {
            CHECK(pthread_join(threads[i], NULL) == 0);
            CHECK(jobs[i].ok);
        }
        /* The other threads' failures did not touch this thread's message. */
        CHECK(strstr(numcodecs_last_error(), "main-thread-only") != NULL);
        numcodecs_bytes_free(expected, expected_len);
        numcodecs_codec_free(codec);
    }
}

/* ---- codec chains (pipelines) ------------------------------------------------------------------ */

/* Encodes the sample (described as <f4) with a codec made from `json`; malloc'ed bytes, NULL on failure. */
static uint8_t *encode_sample(const char *json, size_t *len) {
    numcodecs_codec *codec = codec_new(json);
    numcodecs_array_info info = sample_info();
    size_t bound = 0;
    uint8_t *out;
    if (codec == NULL) return NULL;
    CHECK_STATUS(numcodecs_encode_bound(codec, sizeof sample, &info, &bound), NUMCODECS_OK);
    out = (uint8_t *)malloc(bound);
    if (out != NULL && numcodecs_encode(codec, sample, sizeof sample, &info, out, bound, len) != NUMCODECS_OK) {
        check_failed++;
        fprintf(stderr, "encoding the sample with %s failed: %s\n", json, numcodecs_last_error());
        free(out);
        out = NULL;
    }
    numcodecs_codec_free(codec);
    return out;
}

/* The configuration prints back in the form it was given, and that print re-creates the same chain. */
static void check_config_round_trip(const char *json, const char *printed) {
    numcodecs_codec *codec = codec_new(json), *again;
    char *config, *config2;
    if (codec == NULL) return;
    CHECK(strcmp(numcodecs_codec_id(codec), "pipeline") == 0);
    config = codec_config_string(codec);
    CHECK(config != NULL && strcmp(config, printed) == 0);
    if (config != NULL && strcmp(config, printed) != 0) fprintf(stderr, "  %s printed %s\n", json, config);
    again = codec_new(printed);
    if (again != NULL) {
        config2 = codec_config_string(again);
        CHECK(config2 != NULL && strcmp(config2, printed) == 0);
        free(config2);
        numcodecs_codec_free(again);
    }
    free(config);
    numcodecs_codec_free(codec);
}

static void test_pipelines(void) {
    const char *list = "[{\"id\":\"crc32\"},{\"name\":\"numcodecs.zstd\",\"configuration\":{\"level\":3}}]";
    numcodecs_codec *chain = codec_new(list);
    numcodecs_array_info info = sample_info();
    size_t nbytes = sizeof sample, bound = SIZE_SENTINEL, enc_len = SIZE_SENTINEL, dec_len, size, len;
    uint8_t *encoded = NULL, *decoded_alloc = BYTES_SENTINEL, *chunk, *alone;
    float *decoded = (float *)malloc(nbytes);
    numcodecs_codec *codec;
    const char *text;

    /* A list: crc32, then zstd. Encode, decode (exact buffer, allocated, one byte short), size. */
    if (chain != NULL && decoded != NULL) {
        CHECK(strcmp(numcodecs_codec_id(chain), "pipeline") == 0);
        CHECK_STATUS(numcodecs_encode_bound(chain, nbytes, &info, &bound), NUMCODECS_OK);
        encoded = (uint8_t *)malloc(bound);
        CHECK_STATUS(numcodecs_encode(chain, sample, nbytes, &info, encoded, bound, &enc_len), NUMCODECS_OK);
        CHECK(enc_len < nbytes && enc_len <= bound);
        /* The zstd frame's content is the crc32 chunk: 4 bytes more than the sample. */
        CHECK(encoded[0] == 0x28 && encoded[1] == 0xb5 && encoded[2] == 0x2f && encoded[3] == 0xfd);
        /* Two codecs: only decoding would tell the size, and decoded_size never decodes. */
        size = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decoded_size(chain, encoded, enc_len, &size), NUMCODECS_SIZE_UNKNOWN);
        CHECK(size == SIZE_SENTINEL);
        dec_len = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decode(chain, encoded, enc_len, decoded, nbytes, &dec_len), NUMCODECS_OK);
        CHECK(dec_len == nbytes && memcmp(decoded, sample, nbytes) == 0);
        CHECK_STATUS(numcodecs_decode_alloc(chain, encoded, enc_len, &decoded_alloc, &dec_len), NUMCODECS_OK);
        CHECK(decoded_alloc != BYTES_SENTINEL && dec_len == nbytes);
        if (decoded_alloc != BYTES_SENTINEL) {
            CHECK(memcmp(decoded_alloc, sample, nbytes) == 0);
            numcodecs_bytes_free(decoded_alloc, dec_len);
        }
        dec_len = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decode(chain, encoded, enc_len, decoded, nbytes - 1, &dec_len), NUMCODECS_BUFFER_TOO_SMALL);
        CHECK(dec_len == nbytes);
        /* A truncated zstd frame: the message names the step. */
        dec_len = SIZE_SENTINEL;
        CHECK_STATUS(numcodecs_decode(chain, encoded, enc_len / 2, decoded, nbytes, &dec_len), NUMCODECS_CORRUPT_DATA);
        CHECK(dec_len == SIZE_SENTINEL);
        CHECK(strstr(numcodecs_last_error(), "pipeline step 2 (zstd): ") == numcodecs_last_error());
    }
    free(encoded);
    numcodecs_codec_free(chain);

    /* The Zarr v2 form with a compressor only writes what the compressor alone writes. */
    len = 0;
    chunk = encode_sample("{\"filters\":null,\"compressor\":{\"id\":\"zstd\",\"level\":3}}", &len);
    size = 0;
    alone = encode_sample("{\"id\":\"zstd\",\"level\":3}", &size);
    CHECK(chunk != NULL && alone != NULL && len == size && memcmp(chunk, alone, len) == 0);
    free(chunk);
    free(alone);

    /* blosc shuffles the items of the array it is handed (byte 3 of its header is the typesize): the
     * chunk's 4-byte floats when it comes first, bytes after a checksum filter. */
    chunk = encode_sample("{\"filters\":null,\"compressor\":{\"id\":\"blosc\",\"shuffle\":1}}", &len);
    CHECK(chunk != NULL && len > 16 && chunk[3] == 4);
    free(chunk);
    chunk = encode_sample("{\"filters\":[{\"id\":\"adler32\"}],\"compressor\":{\"id\":\"blosc\",\"shuffle\":1}}", &len);
    CHECK(chunk != NULL && len > 16 && chunk[3] == 1);
    if (chunk != NULL) {
        codec = codec_new("{\"filters\":[{\"id\":\"adler32\"}],\"compressor\":{\"id\":\"blosc\",\"shuffle\":1}}");
        decoded_alloc = BYTES_SENTINEL;
        CHECK_STATUS(numcodecs_decode_alloc(codec, chunk, len, &decoded_alloc, &dec_len), NUMCODECS_OK);
        if (decoded_alloc != BYTES_SENTINEL) {
            CHECK(dec_len == nbytes && memcmp(decoded_alloc, sample, nbytes) == 0);
            numcodecs_bytes_free(decoded_alloc, dec_len);
        }
        numcodecs_codec_free(codec);
    }
    free(chunk);

    /* The empty chain stores the chunk unchanged (zarr with no filters and no compressor). */
    chunk = encode_sample("[]", &len);
    CHECK(chunk != NULL && len == nbytes && memcmp(chunk, sample, nbytes) == 0);
    free(chunk);

    check_config_round_trip(list, "[{\"id\":\"crc32\"},{\"name\":\"numcodecs.zstd\",\"configuration\":{\"level\":3,\"checksum\":false}}]");
    check_config_round_trip("{\"filters\":[{\"id\":\"adler32\"}],\"compressor\":{\"id\":\"blosc\"}}",
                            "{\"filters\":[{\"id\":\"adler32\"}],\"compressor\":{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":1,\"blocksize\":0}}");
    check_config_round_trip("{\"compressor\":{\"id\":\"zlib\"}}", "{\"filters\":null,\"compressor\":{\"id\":\"zlib\",\"level\":1}}");
    check_config_round_trip("[]", "[]");

    /* Bad chains are refused naming the step, and leave *out alone. */
#define EXPECT_CHAIN_FAILS(json_text, want, message)                                               \
    do {                                                                                           \
        codec = CODEC_SENTINEL;                                                                    \
        text = (json_text);                                                                        \
        CHECK_STATUS(numcodecs_codec_from_json(text, strlen(text), &codec), want);                 \
        CHECK(codec == CODEC_SENTINEL);                                                            \
        CHECK(strstr(numcodecs_last_error(), message) != NULL);                                    \
    } while (0)
    EXPECT_CHAIN_FAILS("[{\"id\":\"crc32\"},{\"id\":\"no-such-codec\"}]", NUMCODECS_UNKNOWN_CODEC, "pipeline step 2: ");
    EXPECT_CHAIN_FAILS("[{\"id\":\"crc32\"},{\"id\":\"zstd\",\"level\":\"high\"}]", NUMCODECS_INVALID_CONFIG, "pipeline step 2: ");
    EXPECT_CHAIN_FAILS("{\"filters\":[{\"id\":\"zlib\",\"level\":10}],\"compressor\":null}", NUMCODECS_INVALID_CONFIG, "pipeline step 1: ");
    EXPECT_CHAIN_FAILS("{\"filters\":null,\"compressor\":{\"id\":\"nope\"}}", NUMCODECS_UNKNOWN_CODEC, "pipeline step 1: ");
    EXPECT_CHAIN_FAILS("{\"filters\":null,\"compressor\":null,\"dtype\":\"<f4\"}", NUMCODECS_INVALID_CONFIG, "\"dtype\"");
    EXPECT_CHAIN_FAILS("{\"filters\":{\"id\":\"crc32\"},\"compressor\":null}", NUMCODECS_INVALID_CONFIG, "\"filters\" must be");
#undef EXPECT_CHAIN_FAILS
    free(decoded);
}

/* zfpy and pcodec streams record the array they decode to; numcodecs_decoded_info reads it from the header. */
static void test_decoded_info(void) {
    float grid[5][7];
    int64_t ramp[10];
    const size_t grid_shape[2] = {5, 7};
    numcodecs_array_info grid_info = {"<f4", grid_shape, 2};
    numcodecs_array_info ramp_info = {"<i8", NULL, 0};
    numcodecs_codec *zfpy = codec_new("{\"id\":\"zfpy\"}");
    numcodecs_codec *pcodec = codec_new("{\"id\":\"pcodec\"}");
    numcodecs_codec *zstd = codec_new("{\"id\":\"zstd\"}");
    numcodecs_decoded_array out, untouched;
    uint8_t *encoded = NULL;
    size_t encoded_len = 0, i, j;

    for (i = 0; i < 5; i++)
        for (j = 0; j < 7; j++) grid[i][j] = (float)(i * 10 + j) * 0.5f;
    for (i = 0; i < 10; i++) ramp[i] = (int64_t)i * 1000 - 3;
    memset(&untouched, 0x5e, sizeof untouched);
    if (zfpy == NULL || pcodec == NULL || zstd == NULL) return;

    /* zfpy: dtype and C-order shape from zfp's header. */
    CHECK_STATUS(numcodecs_encode_alloc(zfpy, grid, sizeof grid, &grid_info, &encoded, &encoded_len), NUMCODECS_OK);
    out = untouched;
    CHECK_STATUS(numcodecs_decoded_info(zfpy, encoded, encoded_len, &out), NUMCODECS_OK);
    CHECK(strcmp(out.dtype, "<f4") == 0 && out.ndim == 2 && out.shape[0] == 5 && out.shape[1] == 7);
    /* Failures leave the output untouched: a cut header, NULL pointers. */
    out = untouched;
    CHECK_STATUS(numcodecs_decoded_info(zfpy, encoded, 3, &out), NUMCODECS_CORRUPT_DATA);
    CHECK(!last_error_is_empty());
    CHECK(memcmp(&out, &untouched, sizeof out) == 0);
    CHECK_STATUS(numcodecs_decoded_info(zfpy, encoded, encoded_len, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decoded_info(NULL, encoded, encoded_len, &out), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_decoded_info(zfpy, NULL, encoded_len, &out), NUMCODECS_INVALID_ARGUMENT);
    CHECK(memcmp(&out, &untouched, sizeof out) == 0);
    /* A header claiming a 2^48-element array: refused before anything is allocated. */
    memset(encoded + 4, 0xFF, 6);
    CHECK(numcodecs_decoded_info(zfpy, encoded, encoded_len, &out) != NUMCODECS_OK);
    CHECK(memcmp(&out, &untouched, sizeof out) == 0);
    numcodecs_bytes_free(encoded, encoded_len);

    /* pcodec: the dtype only (ndim 0); the array is 1-D. */
    CHECK_STATUS(numcodecs_encode_alloc(pcodec, ramp, sizeof ramp, &ramp_info, &encoded, &encoded_len), NUMCODECS_OK);
    out = untouched;
    CHECK_STATUS(numcodecs_decoded_info(pcodec, encoded, encoded_len, &out), NUMCODECS_OK);
    CHECK(strcmp(out.dtype, "<i8") == 0 && out.ndim == 0);
    numcodecs_bytes_free(encoded, encoded_len);

    /* Byte compressors do not record an array. */
    CHECK_STATUS(numcodecs_encode_alloc(zstd, ramp, sizeof ramp, NULL, &encoded, &encoded_len), NUMCODECS_OK);
    out = untouched;
    CHECK_STATUS(numcodecs_decoded_info(zstd, encoded, encoded_len, &out), NUMCODECS_SIZE_UNKNOWN);
    CHECK(memcmp(&out, &untouched, sizeof out) == 0);
    numcodecs_bytes_free(encoded, encoded_len);

    numcodecs_codec_free(zfpy);
    numcodecs_codec_free(pcodec);
    numcodecs_codec_free(zstd);
}

/* HDF5's LZ4 filter format (id 32004) for the HDF5 plugin: 12-byte big-endian header, framed blocks. */
static void test_hdf5_lz4(void) {
    uint8_t *encoded = BYTES_SENTINEL, *decoded = BYTES_SENTINEL, *untouched = BYTES_SENTINEL;
    size_t enc_len = SIZE_SENTINEL, dec_len = SIZE_SENTINEL, untouched_len = SIZE_SENTINEL;
    const uint8_t *bytes;

    CHECK_STATUS(numcodecs_hdf5_lz4_encode_alloc(sample, sizeof sample, 4096, &encoded, &enc_len), NUMCODECS_OK);
    if (encoded == BYTES_SENTINEL) return;
    bytes = encoded;
    CHECK(enc_len > 12 && enc_len < sizeof sample);
    /* u64 BE total size 65536, u32 BE block size 4096. */
    CHECK(bytes[0] == 0 && bytes[5] == 0x01 && bytes[6] == 0 && bytes[7] == 0);
    CHECK(bytes[8] == 0 && bytes[9] == 0 && bytes[10] == 0x10 && bytes[11] == 0);
    CHECK_STATUS(numcodecs_hdf5_lz4_decode_alloc(encoded, enc_len, &decoded, &dec_len), NUMCODECS_OK);
    CHECK(dec_len == sizeof sample && decoded != BYTES_SENTINEL && memcmp(decoded, sample, sizeof sample) == 0);
    if (decoded != BYTES_SENTINEL) numcodecs_bytes_free(decoded, dec_len);

    /* A truncated chunk is corrupt; NULL outputs are invalid; failures write nothing. */
    CHECK_STATUS(numcodecs_hdf5_lz4_decode_alloc(encoded, enc_len - 1, &untouched, &untouched_len), NUMCODECS_CORRUPT_DATA);
    CHECK_STATUS(numcodecs_hdf5_lz4_decode_alloc(encoded, 11, &untouched, &untouched_len), NUMCODECS_CORRUPT_DATA);
    CHECK_STATUS(numcodecs_hdf5_lz4_decode_alloc(encoded, enc_len, NULL, &untouched_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_hdf5_lz4_encode_alloc(NULL, 10, 0, &untouched, &untouched_len), NUMCODECS_INVALID_ARGUMENT);
    CHECK_STATUS(numcodecs_hdf5_lz4_encode_alloc(sample, sizeof sample, 0, &untouched, NULL), NUMCODECS_INVALID_ARGUMENT);
    CHECK(untouched == BYTES_SENTINEL && untouched_len == SIZE_SENTINEL);
    numcodecs_bytes_free(encoded, enc_len);

    /* An empty chunk is just the header. */
    CHECK_STATUS(numcodecs_hdf5_lz4_encode_alloc(NULL, 0, 0, &encoded, &enc_len), NUMCODECS_OK);
    CHECK(enc_len == 12);
    CHECK_STATUS(numcodecs_hdf5_lz4_decode_alloc(encoded, enc_len, &decoded, &dec_len), NUMCODECS_OK);
    CHECK(dec_len == 0);
    numcodecs_bytes_free(decoded, dec_len);
    numcodecs_bytes_free(encoded, enc_len);
}

int main(void) {
    fill_sample();
    printf("libnumcodecs %s (header %s)\n", numcodecs_version(), NUMCODECS_VERSION_STRING);
    test_version();
    test_status_names();
    test_last_error();
    test_registered_codecs();
    test_default_configs();
    test_codec_from_json();
    test_codec_config_buffers();
    test_decode_only_config();
    test_round_trips();
    test_pipelines();
    test_empty_chunks();
    test_buffer_too_small();
    test_invalid_arguments();
    test_corrupt_data();
    test_lz4_impossible_size();
    test_lz4_zero_size_long_block();
    test_size_unknown();
    test_limit_exceeded();
    test_max_decoded_size();
    test_threads();
    test_blosc_header_helpers();
    test_blosc_decompress_partial();
    test_blosc_compressors_and_threads();
    test_decoded_info();
    test_hdf5_lz4();
    return check_summary();
}
