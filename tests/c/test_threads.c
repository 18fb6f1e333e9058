/*
 * Thread stress test: every codec handle is shared by many threads that encode and decode through it at
 * the same time, while another thread keeps changing blosc's process-wide decompression thread count.
 * Every result must be byte-identical to what the same handle produced on one thread before the threads
 * started (libnumcodecs promises deterministic output for any thread count, and immutable handles).
 *
 *   test_threads [THREADS [ROUNDS]]     defaults: 8 threads, 6 rounds
 *
 * scripts/sanitize.sh also builds and runs it under ThreadSanitizer, and ctest runs it under valgrind
 * with fewer rounds.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numcodecs.h"
#include "check.h"

/* Every compressor, several configurations each; blosc with each of its compressors and shuffles. */
static const char *const configs[] = {
    "{\"id\":\"zlib\",\"level\":1}",
    "{\"id\":\"zlib\",\"level\":9}",
    "{\"id\":\"gzip\",\"level\":5}",
    "{\"id\":\"bz2\",\"level\":1}",
    "{\"id\":\"bz2\",\"level\":9}",
    "{\"id\":\"lzma\",\"preset\":1}",
    "{\"id\":\"lzma\",\"format\":2,\"preset\":0}",
    "{\"id\":\"lzma\",\"format\":1,\"check\":4,\"filters\":[{\"id\":3,\"dist\":4},{\"id\":33,\"preset\":1}]}",
    "{\"id\":\"zstd\"}",
    "{\"id\":\"zstd\",\"level\":-5}",
    "{\"id\":\"zstd\",\"level\":19,\"checksum\":true}",
    "{\"id\":\"lz4\"}",
    "{\"id\":\"lz4\",\"acceleration\":20}",
    "{\"id\":\"blosc\"}",
    "{\"id\":\"blosc\",\"cname\":\"blosclz\",\"clevel\":9,\"shuffle\":0}",
    "{\"id\":\"blosc\",\"cname\":\"lz4hc\",\"clevel\":5,\"shuffle\":2}",
    "{\"id\":\"blosc\",\"cname\":\"zlib\",\"clevel\":3,\"shuffle\":1,\"blocksize\":4096}",
    "{\"id\":\"blosc\",\"cname\":\"zstd\",\"clevel\":5,\"shuffle\":-1,\"blocksize\":8192}",
};
#define NCONFIGS (sizeof configs / sizeof configs[0])

/* The inputs: a smooth float32 array (compresses well, and blosc shuffles it by 4), a pseudo-random
 * byte string (barely compresses; blosc tends to store its blocks) and the empty chunk. */
#define ROWS 64
#define COLS 128
static float smooth[ROWS * COLS];
static const size_t smooth_shape[2] = {ROWS, COLS};
static uint8_t noisy[24 * 1024 + 7];
#define NINPUTS 3

struct input {
    const void *data;
    size_t len;
    numcodecs_array_info info;
};
static struct input inputs[NINPUTS];

static void fill_inputs(void) {
    uint32_t state = 12345u;
    size_t i;
    for (i = 0; i < ROWS * COLS; i++) smooth[i] = (float)(i % COLS) * 0.25f + (float)(i / COLS);
    for (i = 0; i < sizeof noisy; i++) {
        state = state * 1103515245u + 12345u; /* any fixed sequence will do */
        noisy[i] = (uint8_t)(state >> 16);
    }
    inputs[0].data = smooth;
    inputs[0].len = sizeof smooth;
    inputs[0].info.dtype = "<f4";
    inputs[0].info.shape = smooth_shape;
    inputs[0].info.ndim = 2;
    inputs[1].data = noisy;
    inputs[1].len = sizeof noisy;
    inputs[1].info.dtype = "|u1";
    inputs[1].info.shape = NULL;
    inputs[1].info.ndim = 0;
    inputs[2].data = NULL;
    inputs[2].len = 0;
    inputs[2].info.dtype = "<f4";
    inputs[2].info.shape = NULL;
    inputs[2].info.ndim = 0;
}

/* What one thread saw, single-threaded, before the stress started. */
static numcodecs_codec *codecs[NCONFIGS];
static uint8_t *reference[NCONFIGS][NINPUTS];
static size_t reference_len[NCONFIGS][NINPUTS];
static char *reference_config[NCONFIGS];

static pthread_barrier_t start_line;
static int workers_done; /* guarded by done_lock */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;

struct worker {
    int index;
    int rounds;
    long operations;
    int failures;
    char first_failure[512];
};

static void fail(struct worker *w, const char *what, size_t config, size_t input, numcodecs_status status) {
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof w->first_failure, "thread %d: %s for %s, input %zu: %s (%s)", w->index, what,
                 configs[config], input, numcodecs_status_name((int)status), numcodecs_last_error());
}

static int same_bytes(const void *a, size_t a_len, const void *b, size_t b_len) {
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* All the ways to encode and decode one input through one shared handle, each checked against the
 * single-threaded reference. */
static void exercise(struct worker *w, size_t c, size_t i) {
    const numcodecs_codec *codec = codecs[c];
    const struct input *in = &inputs[i];
    const uint8_t *expected = reference[c][i];
    size_t expected_len = reference_len[c][i];
    numcodecs_status status;
    uint8_t *out = NULL;
    size_t out_len = 0, bound = 0, size = 0;

    /* encode_alloc */
    status = numcodecs_encode_alloc(codec, in->data, in->len, &in->info, &out, &out_len);
    if (status != NUMCODECS_OK) fail(w, "encode_alloc failed", c, i, status);
    else {
        if (!same_bytes(out, out_len, expected, expected_len)) fail(w, "encode_alloc differs from one thread's", c, i, status);
        numcodecs_bytes_free(out, out_len);
    }

    /* encode into a buffer of encode_bound bytes */
    status = numcodecs_encode_bound(codec, in->len, &in->info, &bound);
    if (status != NUMCODECS_OK) fail(w, "encode_bound failed", c, i, status);
    else {
        uint8_t *dst = (uint8_t *)malloc(bound ? bound : 1);
        status = numcodecs_encode(codec, in->data, in->len, &in->info, dst, bound, &out_len);
        if (status != NUMCODECS_OK) fail(w, "encode failed", c, i, status);
        else if (!same_bytes(dst, out_len, expected, expected_len)) fail(w, "encode differs from one thread's", c, i, status);
        free(dst);
    }

    /* decode_alloc */
    out = NULL;
    status = numcodecs_decode_alloc(codec, expected, expected_len, &out, &out_len);
    if (status != NUMCODECS_OK) fail(w, "decode_alloc failed", c, i, status);
    else {
        if (!same_bytes(out, out_len, in->data, in->len)) fail(w, "decode_alloc does not give the input back", c, i, status);
        numcodecs_bytes_free(out, out_len);
    }

    /* decode into an exactly-sized buffer (decoded_size where the stream records it) */
    status = numcodecs_decoded_size(codec, expected, expected_len, &size);
    if (status == NUMCODECS_SIZE_UNKNOWN) size = in->len;
    else if (status != NUMCODECS_OK) fail(w, "decoded_size failed", c, i, status);
    else if (size != in->len) fail(w, "decoded_size is wrong", c, i, status);
    {
        uint8_t *dst = (uint8_t *)malloc(in->len ? in->len : 1);
        status = numcodecs_decode(codec, expected, expected_len, dst, in->len, &out_len);
        if (status != NUMCODECS_OK) fail(w, "decode failed", c, i, status);
        else if (!same_bytes(dst, out_len, in->data, in->len)) fail(w, "decode does not give the input back", c, i, status);
        free(dst);
    }

    /* A truncated chunk fails on this thread with this thread's message (nothing shared). */
    if (expected_len > 1) {
        out = NULL;
        status = numcodecs_decode_alloc(codec, expected, expected_len / 2, &out, &out_len);
        if (status == NUMCODECS_OK) {
            fail(w, "a truncated chunk decoded", c, i, status);
            numcodecs_bytes_free(out, out_len);
        } else if (numcodecs_last_error()[0] == '\0') {
            fail(w, "a failed decode left no message", c, i, status);
        }
    }
    w->operations += 5;
}

/* Read-only queries and private handles created and freed while others use the shared ones. */
static void exercise_handles(struct worker *w, size_t c) {
    char text[512];
    size_t len = 0;
    numcodecs_codec *own = NULL;
    numcodecs_status status = numcodecs_codec_config(codecs[c], text, sizeof text, &len);
    if (status != NUMCODECS_OK || strcmp(text, reference_config[c]) != 0) fail(w, "codec_config differs", c, 0, status);
    if (strncmp(numcodecs_codec_id(codecs[c]), configs[c] + 7, strlen(numcodecs_codec_id(codecs[c]))) != 0)
        fail(w, "codec_id differs", c, 0, NUMCODECS_OK);
    status = numcodecs_codec_from_json(configs[c], strlen(configs[c]), &own);
    if (status != NUMCODECS_OK) fail(w, "codec_from_json failed", c, 0, status);
    else {
        uint8_t *out = NULL;
        size_t out_len = 0;
        status = numcodecs_encode_alloc(own, inputs[0].data, inputs[0].len, &inputs[0].info, &out, &out_len);
        if (status != NUMCODECS_OK) fail(w, "encode with a private handle failed", c, 0, status);
        else {
            if (!same_bytes(out, out_len, reference[c][0], reference_len[c][0]))
                fail(w, "a private handle encodes differently", c, 0, status);
            numcodecs_bytes_free(out, out_len);
        }
        numcodecs_codec_free(own);
    }
    w->operations += 3;
}

static void *work(void *arg) {
    struct worker *w = (struct worker *)arg;
    int round;
    size_t step, c, i;
    pthread_barrier_wait(&start_line);
    for (round = 0; round < w->rounds; round++) {
        /* Each thread walks the codecs from a different starting point, so that at any moment several
         * threads are inside the same handle and others inside different ones. */
        for (step = 0; step < NCONFIGS; step++) {
            c = (step + (size_t)w->index * 5u + (size_t)round) % NCONFIGS;
            for (i = 0; i < NINPUTS; i++) exercise(w, c, i);
            exercise_handles(w, c);
        }
    }
    pthread_mutex_lock(&done_lock);
    workers_done++;
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

/* Keeps changing the process-wide blosc decompression thread count while the workers run: decoded bytes
 * must not depend on it, and compression must stay single-threaded (deterministic). */
struct toggler {
    int workers;
    long changes;
    int failures;
};

static void *toggle_nthreads(void *arg) {
    struct toggler *t = (struct toggler *)arg;
    static const int counts[] = {1, 2, 4, 3};
    const struct timespec pause = {0, 200000}; /* 0.2 ms: many changes per worker round, no busy loop */
    int done = 0, previous = 0;
    pthread_barrier_wait(&start_line);
    while (!done) {
        int want = counts[t->changes % 4];
        if (numcodecs_blosc_set_nthreads(want, &previous) != NUMCODECS_OK) t->failures++;
        if (previous < 1 || previous > 4) t->failures++;
        t->changes++;
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&done_lock);
        done = workers_done == t->workers;
        pthread_mutex_unlock(&done_lock);
    }
    return NULL;
}

static void make_references(void) {
    size_t c, i, len;
    for (c = 0; c < NCONFIGS; c++) {
        char text[512];
        numcodecs_status status = numcodecs_codec_from_json(configs[c], strlen(configs[c]), &codecs[c]);
        CHECK_STATUS(status, NUMCODECS_OK);
        if (status != NUMCODECS_OK) {
            fprintf(stderr, "cannot create %s\n", configs[c]);
            exit(1);
        }
        CHECK_STATUS(numcodecs_codec_config(codecs[c], text, sizeof text, &len), NUMCODECS_OK);
        reference_config[c] = (char *)malloc(len + 1);
        memcpy(reference_config[c], text, len + 1);
        for (i = 0; i < NINPUTS; i++) {
            uint8_t *decoded = NULL;
            size_t decoded_len = 0;
            CHECK_STATUS(numcodecs_encode_alloc(codecs[c], inputs[i].data, inputs[i].len, &inputs[i].info,
                                                &reference[c][i], &reference_len[c][i]),
                         NUMCODECS_OK);
            CHECK(reference[c][i] != NULL);
            if (reference[c][i] == NULL) exit(1);
            /* The reference itself round-trips (so a worker's mismatch is a threading problem). */
            CHECK_STATUS(numcodecs_decode_alloc(codecs[c], reference[c][i], reference_len[c][i], &decoded, &decoded_len),
                         NUMCODECS_OK);
            CHECK(decoded != NULL && same_bytes(decoded, decoded_len, inputs[i].data, inputs[i].len));
            numcodecs_bytes_free(decoded, decoded_len);
        }
    }
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    int rounds = argc > 2 ? atoi(argv[2]) : 6;
    struct worker *workers;
    pthread_t *ids, toggler_id;
    struct toggler toggler;
    long operations = 0;
    size_t c, i;
    int t;

    if (threads < 1 || rounds < 1) {
        fprintf(stderr, "usage: %s [THREADS [ROUNDS]] (both at least 1)\n", argv[0]);
        return 2;
    }
    fill_inputs();
    CHECK(numcodecs_blosc_get_nthreads() == 1);
    make_references();

    workers = (struct worker *)calloc((size_t)threads, sizeof *workers);
    ids = (pthread_t *)calloc((size_t)threads, sizeof *ids);
    CHECK(pthread_barrier_init(&start_line, NULL, (unsigned)threads + 1) == 0);
    toggler.workers = threads;
    toggler.changes = 0;
    toggler.failures = 0;
    CHECK(pthread_create(&toggler_id, NULL, toggle_nthreads, &toggler) == 0);
    for (t = 0; t < threads; t++) {
        workers[t].index = t;
        workers[t].rounds = rounds;
        CHECK(pthread_create(&ids[t], NULL, work, &workers[t]) == 0);
    }
    for (t = 0; t < threads; t++) {
        CHECK(pthread_join(ids[t], NULL) == 0);
        CHECK(workers[t].failures == 0);
        if (workers[t].failures != 0)
            fprintf(stderr, "%d failures; the first: %s\n", workers[t].failures, workers[t].first_failure);
        operations += workers[t].operations;
    }
    CHECK(pthread_join(toggler_id, NULL) == 0);
    CHECK(toggler.failures == 0);
    CHECK(toggler.changes > 0);
    printf("%d threads x %d rounds: %ld operations on %zu shared handles, blosc nthreads changed %ld times\n",
           threads, rounds, operations, NCONFIGS, toggler.changes);

    /* Back on one thread, the handles still give the reference bytes. */
    CHECK_STATUS(numcodecs_blosc_set_nthreads(1, NULL), NUMCODECS_OK);
    for (c = 0; c < NCONFIGS; c++) {
        for (i = 0; i < NINPUTS; i++) {
            uint8_t *out = NULL;
            size_t out_len = 0;
            CHECK_STATUS(numcodecs_encode_alloc(codecs[c], inputs[i].data, inputs[i].len, &inputs[i].info, &out, &out_len),
                         NUMCODECS_OK);
            CHECK(same_bytes(out, out_len, reference[c][i], reference_len[c][i]));
            numcodecs_bytes_free(out, out_len);
            numcodecs_bytes_free(reference[c][i], reference_len[c][i]);
        }
        free(reference_config[c]);
        numcodecs_codec_free(codecs[c]);
    }
    pthread_barrier_destroy(&start_line);
    free(workers);
    free(ids);
    return check_summary();
}
