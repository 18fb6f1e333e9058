/*
 * libnumcodecs demo: round-trips 4 MiB of smooth float32 data (generated below) through every registered
 * codec and prints the compression ratio, the encode and decode speeds, and whether the bytes came back.
 *
 *   cc demo.c -o demo $(pkg-config --cflags --libs numcodecs) -lm && ./demo
 *
 * Exit status: 0 if every round trip reproduced the input exactly (lossy codecs: came back stable), 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <numcodecs.h>

#define ROWS 1024
#define COLS 1024
#define MIN_SECONDS 0.2 /* repeat each measurement at least this long (and at least once) */

/* Configurations to show for the codecs we know; any other registered codec runs with its defaults.
 * The numeric filters need a dtype; these settings are lossless on the sample (delta and fixedscaleoffset
 * on the float32 bits as int32, quantize with a scale fine enough to keep every bit). */
static const char *const known_configs[][2] = {
    {"bitround", "{\"id\":\"bitround\",\"keepbits\":10}"},
    {"astype", "{\"id\":\"astype\",\"encode_dtype\":\"<f8\",\"decode_dtype\":\"<f4\"}"},
    {"blosc", "{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":1}"},
    {"blosc", "{\"id\":\"blosc\",\"cname\":\"zstd\",\"clevel\":5,\"shuffle\":2}"},
    {"bz2", "{\"id\":\"bz2\",\"level\":9}"},
    {"delta", "{\"id\":\"delta\",\"dtype\":\"<i4\"}"},
    {"fixedscaleoffset", "{\"id\":\"fixedscaleoffset\",\"offset\":0,\"scale\":1,\"dtype\":\"<i4\"}"},
    {"gzip", "{\"id\":\"gzip\",\"level\":5}"},
    {"lz4", "{\"id\":\"lz4\",\"acceleration\":1}"},
    {"lzma", "{\"id\":\"lzma\",\"preset\":1}"},
    {"quantize", "{\"id\":\"quantize\",\"digits\":10,\"dtype\":\"<f4\"}"},
    {"zlib", "{\"id\":\"zlib\",\"level\":5}"},
    {"zstd", "{\"id\":\"zstd\",\"level\":3}"},
};

/* Lossy codecs: their decoded data is not the input (bitround drops mantissa bits, packbits keeps one bit
 * per byte), so their round trip is checked for stability instead: encoding the decoded data again must give
 * the same bytes. */
static const char *const lossy_codecs[] = {"bitround", "packbits"};

static int is_lossy(const char *id) {
    size_t i;
    for (i = 0; i < sizeof lossy_codecs / sizeof lossy_codecs[0]; i++)
        if (strcmp(lossy_codecs[i], id) == 0) return 1;
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A smooth field with a little deterministic texture, like a simulation or satellite variable. */
static float *make_sample(void) {
    float *data = (float *)malloc(sizeof(float) * ROWS * COLS);
    uint32_t noise = 12345;
    int r, c;
    if (data == NULL) return NULL;
    for (r = 0; r < ROWS; r++) {
        for (c = 0; c < COLS; c++) {
            noise = noise * 1664525u + 1013904223u; /* LCG: same data on every run */
            data[(size_t)r * COLS + c] = (float)(280.0 + 15.0 * sin(r * 0.006) * cos(c * 0.004) + 0.001 * (double)(noise >> 29));
        }
    }
    return data;
}

static void report_error(const char *what, numcodecs_status status) {
    printf("  %-12s %s: %s\n", what, numcodecs_status_name((int)status), numcodecs_last_error());
}

/* Runs one configuration; returns 0 on a verified round trip, 1 otherwise. */
static int run_codec(const char *config, int lossy, const float *sample, size_t nbytes) {
    static const size_t shape[2] = {ROWS, COLS};
    numcodecs_array_info info;
    numcodecs_codec *codec = NULL;
    numcodecs_status status;
    uint8_t *encoded = NULL, *again = NULL;
    float *decoded = NULL;
    size_t bound = 0, encoded_len = 0, decoded_len = 0, again_len = 0, config_len = 0;
    char full_config[512];
    double start, encode_seconds, decode_seconds;
    int runs, ok = 0;

    info.dtype = "<f4";
    info.shape = shape;
    info.ndim = 2;

    status = numcodecs_codec_from_json(config, strlen(config), &codec);
    if (status != NUMCODECS_OK) {
        printf("%-72s ", config);
        report_error("skipped:", status);
        return 0; /* e.g. a filter that needs options: not a failure of the demo */
    }
    /* Show the configuration as numcodecs writes it, defaults filled in. */
    if (numcodecs_codec_config(codec, full_config, sizeof full_config, &config_len) != NUMCODECS_OK)
        snprintf(full_config, sizeof full_config, "%s", config);

    status = numcodecs_encode_bound(codec, nbytes, &info, &bound);
    if (status == NUMCODECS_UNSUPPORTED) {
        /* An object codec (vlen-utf8, ...): its chunks hold strings or bytes items, not float32 data; it is
           used through numcodecs_encode_items / numcodecs_decode_items (see the README). */
        printf("%-72s   skipped: an object codec, see the item API\n", full_config);
        ok = 1;
        goto done;
    }
    if (status != NUMCODECS_OK) {
        printf("%-72s ", full_config);
        report_error("encode_bound", status);
        goto done;
    }
    encoded = (uint8_t *)malloc(bound);
    decoded = (float *)malloc(nbytes);
    if (encoded == NULL || decoded == NULL) {
        printf("%-72s out of memory\n", full_config);
        goto done;
    }

    start = now_seconds();
    runs = 0;
    do {
        status = numcodecs_encode(codec, sample, nbytes, &info, encoded, bound, &encoded_len);
        runs++;
    } while (status == NUMCODECS_OK && now_seconds() - start < MIN_SECONDS);
    encode_seconds = (now_seconds() - start) / runs;
    if (status != NUMCODECS_OK) {
        printf("%-72s ", full_config);
        report_error("encode", status);
        goto done;
    }

    start = now_seconds();
    runs = 0;
    do {
        memset(decoded, 0, nbytes); /* so a stale buffer cannot pass the check below */
        status = numcodecs_decode(codec, encoded, encoded_len, decoded, nbytes, &decoded_len);
        runs++;
    } while (status == NUMCODECS_OK && now_seconds() - start < MIN_SECONDS);
    decode_seconds = (now_seconds() - start) / runs;
    if (status != NUMCODECS_OK) {
        printf("%-72s ", full_config);
        report_error("decode", status);
        goto done;
    }

    if (lossy) {
        again = (uint8_t *)malloc(bound);
        ok = decoded_len == nbytes && again != NULL &&
             numcodecs_encode(codec, decoded, nbytes, &info, again, bound, &again_len) == NUMCODECS_OK &&
             again_len == encoded_len && memcmp(again, encoded, encoded_len) == 0;
    } else {
        ok = decoded_len == nbytes && memcmp(decoded, sample, nbytes) == 0;
    }
    printf("%-72s %7.2f %9.1f %9.1f   %s\n", full_config, (double)nbytes / (double)encoded_len,
           (double)nbytes / 1e6 / encode_seconds, (double)nbytes / 1e6 / decode_seconds,
           ok ? (lossy ? "ok (lossy, stable)" : "ok") : "MISMATCH");

done:
    free(encoded);
    free(again);
    free(decoded);
    numcodecs_codec_free(codec);
    return ok ? 0 : 1;
}

int main(void) {
    const size_t nbytes = sizeof(float) * ROWS * COLS;
    float *sample = make_sample();
    char *ids = NULL, *cursor;
    size_t ids_len = 0;
    int failures = 0, configurations = 0;

    if (sample == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (strcmp(numcodecs_version(), NUMCODECS_VERSION_STRING) != 0)
        printf("warning: header %s, library %s\n", NUMCODECS_VERSION_STRING, numcodecs_version());

    /* The registered codec ids, as a JSON array of strings: ["blosc","bz2",...]. */
    if (numcodecs_registered_codecs(NULL, 0, &ids_len) != NUMCODECS_BUFFER_TOO_SMALL ||
        (ids = (char *)malloc(ids_len + 1)) == NULL ||
        numcodecs_registered_codecs(ids, ids_len + 1, &ids_len) != NUMCODECS_OK) {
        fprintf(stderr, "cannot list the registered codecs: %s\n", numcodecs_last_error());
        return 1;
    }

    printf("libnumcodecs %s: %zu x %zu float32 (\"<f4\"), %.1f MiB; registered codecs %s\n\n", numcodecs_version(),
           (size_t)ROWS, (size_t)COLS, (double)nbytes / (1024.0 * 1024.0), ids);
    printf("%-72s %7s %9s %9s   %s\n", "codec configuration", "ratio", "enc MB/s", "dec MB/s", "round trip");

    /* Codec ids contain no quotes or escapes, so splitting on '"' is enough: every second piece is an id. */
    cursor = ids;
    for (;;) {
        char *open_quote = strchr(cursor, '"'), *close_quote;
        size_t i;
        int known = 0;
        if (open_quote == NULL) break;
        close_quote = strchr(open_quote + 1, '"');
        if (close_quote == NULL) break;
        *close_quote = '\0';
        for (i = 0; i < sizeof known_configs / sizeof known_configs[0]; i++) {
            if (strcmp(known_configs[i][0], open_quote + 1) == 0) {
                failures += run_codec(known_configs[i][1], is_lossy(known_configs[i][0]), sample, nbytes);
                configurations++;
                known = 1;
            }
        }
        if (!known) {
            char config[256];
            snprintf(config, sizeof config, "{\"id\":\"%s\"}", open_quote + 1);
            failures += run_codec(config, is_lossy(open_quote + 1), sample, nbytes);
            configurations++;
        }
        cursor = close_quote + 1;
    }

    if (configurations == 0) {
        printf("no codecs are registered: this build of libnumcodecs cannot encode anything\n");
        failures = 1;
    } else {
        printf("\n%s\n", failures == 0 ? "every round trip reproduced the input exactly (lossy codecs: stable)" : "SOME ROUND TRIPS FAILED");
    }
    free(ids);
    free(sample);
    return failures == 0 ? 0 : 1;
}
