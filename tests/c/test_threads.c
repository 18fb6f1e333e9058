/*
 * Thread stress test: one handle of every registered codec (byte codecs, object codecs through the item
 * calls, chains) is shared by many threads that encode and decode through it at the same time, while
 * another thread keeps changing blosc's process-wide decompression thread count.
 *
 * Before the threads start, one thread records what it sees for every (configuration, input): the
 * status, bytes and error message of each call (encode, decode of that encoding, decode of a truncated
 * encoding, ...), whatever they are. Every worker must then see exactly the same (libnumcodecs promises
 * deterministic output for any thread count, immutable handles and a per-thread error message), so lossy
 * codecs and inputs a codec refuses need no special case: a refusal must just be the same refusal.
 * main() fails if a registered codec has no configuration here, or a configuration encodes nothing.
 *
 *   test_threads [THREADS [ROUNDS]]     defaults: 8 threads, 2 rounds
 *   NUMCODECS_TEST_VERBOSE=1 test_threads   also prints what one thread saw, per configuration and input
 *
 * scripts/sanitize.sh also builds and runs it under ThreadSanitizer, and ctest runs it under valgrind
 * with fewer threads and rounds.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numcodecs.h"
#include "check.h"

/* ---- configurations ------------------------------------------------------------------------------ */

/* Byte codecs take arrays (numcodecs_encode*, numcodecs_decode*); object codecs take item lists
 * (numcodecs_encode_items*, numcodecs_decode_items, the JSON bridge). */
enum form { BYTES, ITEMS };

struct config {
    const char *json;
    enum form form;
    int decode_only; /* numcodecs can only decode these chunks here: pickles of numeric arrays */
};

/* Every registered codec at least once (main() checks this against numcodecs_registered_codecs), the
 * compressors in several configurations each, blosc with each of its compressors and shuffles. */
static const struct config configs[] = {
    {"{\"id\":\"zlib\",\"level\":1}", BYTES, 0},
    {"{\"id\":\"zlib\",\"level\":9}", BYTES, 0},
    {"{\"id\":\"gzip\",\"level\":5}", BYTES, 0},
    {"{\"id\":\"bz2\",\"level\":1}", BYTES, 0},
    {"{\"id\":\"bz2\",\"level\":9}", BYTES, 0},
    {"{\"id\":\"lzma\",\"preset\":1}", BYTES, 0},
    {"{\"id\":\"lzma\",\"format\":2,\"preset\":0}", BYTES, 0},
    {"{\"id\":\"lzma\",\"format\":1,\"check\":4,\"filters\":[{\"id\":3,\"dist\":4},{\"id\":33,\"preset\":1}]}", BYTES, 0},
    {"{\"id\":\"zstd\"}", BYTES, 0},
    {"{\"id\":\"zstd\",\"level\":-5}", BYTES, 0},
    {"{\"id\":\"zstd\",\"level\":19,\"checksum\":true}", BYTES, 0},
    {"{\"id\":\"lz4\"}", BYTES, 0},
    {"{\"id\":\"lz4\",\"acceleration\":20}", BYTES, 0},
    {"{\"id\":\"blosc\"}", BYTES, 0},
    {"{\"id\":\"blosc\",\"cname\":\"blosclz\",\"clevel\":9,\"shuffle\":0}", BYTES, 0},
    {"{\"id\":\"blosc\",\"cname\":\"lz4hc\",\"clevel\":5,\"shuffle\":2}", BYTES, 0},
    {"{\"id\":\"blosc\",\"cname\":\"zlib\",\"clevel\":3,\"shuffle\":1,\"blocksize\":4096}", BYTES, 0},
    {"{\"id\":\"blosc\",\"cname\":\"zstd\",\"clevel\":5,\"shuffle\":-1,\"blocksize\":8192}", BYTES, 0},
    {"{\"id\":\"crc32\"}", BYTES, 0},
    {"{\"id\":\"crc32\",\"location\":\"end\"}", BYTES, 0},
    {"{\"id\":\"adler32\"}", BYTES, 0},
    {"{\"id\":\"crc32c\"}", BYTES, 0},
    {"{\"id\":\"fletcher32\"}", BYTES, 0},
    {"{\"id\":\"jenkins_lookup3\",\"initval\":7}", BYTES, 0},
    {"{\"id\":\"base64\"}", BYTES, 0},
    {"{\"id\":\"shuffle\",\"elementsize\":4}", BYTES, 0},
    {"{\"id\":\"shuffle\",\"elementsize\":8}", BYTES, 0},
    {"{\"id\":\"bitround\",\"keepbits\":10}", BYTES, 0},
    {"{\"id\":\"packbits\"}", BYTES, 0},
    {"{\"id\":\"delta\",\"dtype\":\"<i4\"}", BYTES, 0},
    {"{\"id\":\"delta\",\"dtype\":\"<i4\",\"astype\":\"<i8\"}", BYTES, 0},
    {"{\"id\":\"fixedscaleoffset\",\"offset\":1000,\"scale\":10,\"dtype\":\"<f8\",\"astype\":\"<i4\"}", BYTES, 0},
    {"{\"id\":\"quantize\",\"digits\":3,\"dtype\":\"<f8\"}", BYTES, 0},
    {"{\"id\":\"quantize\",\"digits\":2,\"dtype\":\"<f4\"}", BYTES, 0},
    {"{\"id\":\"astype\",\"encode_dtype\":\"<f4\",\"decode_dtype\":\"<f8\"}", BYTES, 0},
    {"{\"id\":\"astype\",\"encode_dtype\":\">i8\",\"decode_dtype\":\"<i4\"}", BYTES, 0},
    {"{\"id\":\"pcodec\"}", BYTES, 0},
    {"{\"id\":\"pcodec\",\"level\":0,\"mode_spec\":\"classic\",\"delta_spec\":\"none\",\"equal_pages_up_to\":300}", BYTES, 0},
    {"{\"id\":\"zfpy\"}", BYTES, 0},
    {"{\"id\":\"zfpy\",\"mode\":2,\"rate\":8}", BYTES, 0},
    {"{\"id\":\"zfpy\",\"mode\":3,\"precision\":12}", BYTES, 0},
    {"{\"id\":\"zfpy\",\"mode\":4,\"tolerance\":0.01}", BYTES, 0},
    {"{\"id\":\"categorize\",\"labels\":[\"a\",\"bb\",\"ccc\"],\"dtype\":\"<U3\",\"astype\":\"|u1\"}", BYTES, 0},
    {"{\"id\":\"pickle\",\"protocol\":5}", BYTES, 1},
    {"{\"id\":\"json2\"}", BYTES, 0},
    {"{\"id\":\"msgpack2\",\"use_single_float\":true}", BYTES, 0},
    /* Chains: Zarr v2's {"filters", "compressor"} (blosc then shuffles the 4-byte items astype writes)
     * and a list. */
    {"{\"filters\":[{\"id\":\"quantize\",\"digits\":3,\"dtype\":\"<f8\"},{\"id\":\"astype\",\"encode_dtype\":\"<f4\",\"decode_dtype\":\"<f8\"}],"
     "\"compressor\":{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":2}}", BYTES, 0},
    {"[{\"id\":\"shuffle\",\"elementsize\":4},{\"id\":\"zstd\",\"level\":3},{\"id\":\"crc32c\"}]", BYTES, 0},
    /* Object codecs and chains that start with one. */
    {"{\"id\":\"vlen-utf8\"}", ITEMS, 0},
    {"{\"id\":\"vlen-bytes\"}", ITEMS, 0},
    {"{\"id\":\"vlen-array\",\"dtype\":\"<i2\"}", ITEMS, 0},
    {"{\"id\":\"categorize\",\"labels\":[\"a\",\"bb\",\"\\u00e9t\\u00e9\"],\"dtype\":\"|O\",\"astype\":\"<i2\"}", ITEMS, 0},
    {"{\"id\":\"pickle\",\"protocol\":5}", ITEMS, 0},
    {"{\"id\":\"pickle\",\"protocol\":2}", ITEMS, 0},
    {"{\"id\":\"pickle\",\"protocol\":0}", ITEMS, 0},
    {"{\"id\":\"json2\",\"indent\":2}", ITEMS, 0},
    {"{\"id\":\"msgpack2\"}", ITEMS, 0},
    {"{\"filters\":[{\"id\":\"vlen-utf8\"}],\"compressor\":{\"id\":\"zstd\"}}", ITEMS, 0},
    {"[{\"id\":\"vlen-bytes\"},{\"id\":\"lz4\"}]", ITEMS, 0},
};
#define NCONFIGS (sizeof configs / sizeof configs[0])

/* ---- inputs -------------------------------------------------------------------------------------- */

struct byte_input {
    const char *name;
    const void *data;
    size_t len;
    numcodecs_array_info info;
};

struct item_input {
    const char *name;
    const uint8_t *const *items;
    const size_t *lens;
    size_t n;
};

/* A smooth float32 array (compresses well, blosc shuffles it by 4), pseudo-random bytes (barely
 * compress; blosc tends to store their blocks), the empty chunk, the arrays the numeric filters are
 * configured for (a smooth 3-D float64 array, zfp's 3-D path; an int32 random walk), numpy unicode
 * strings for categorize, and two pickles numcodecs 0.16.6 wrote of numeric arrays (pickle decodes
 * them; tests/fixtures/cases/pickle/pickle-numeric-p5-f4.bin and -p2-i8be-2d.bin). */
#define ROWS 32
#define COLS 128
static float smooth_f4[ROWS * COLS];
static const size_t smooth_f4_shape[2] = {ROWS, COLS};
static uint8_t noisy[12 * 1024 + 7];
#define SIDE 12
static double smooth_f8[SIDE * SIDE * SIDE];
static const size_t smooth_f8_shape[3] = {SIDE, SIDE, SIDE};
static int32_t walk_i4[3000];
#define LABEL_CHARS 3
static uint8_t labels_u3[1000 * LABEL_CHARS * 4];
static const uint8_t pickle_p5_f4[] = {
    0x80, 0x05, 0x95, 0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x13, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x2e, 0x5f,
    0x63, 0x6f, 0x72, 0x65, 0x2e, 0x6e, 0x75, 0x6d, 0x65, 0x72, 0x69, 0x63, 0x94, 0x8c, 0x0b, 0x5f, 0x66, 0x72, 0x6f, 0x6d,
    0x62, 0x75, 0x66, 0x66, 0x65, 0x72, 0x94, 0x93, 0x94, 0x28, 0x96, 0x94, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd8,
    0x08, 0x4c, 0x3f, 0xd8, 0xa0, 0x59, 0x3f, 0xd5, 0x40, 0xe8, 0x3e, 0xaf, 0xb1, 0x7f, 0x3f, 0x81, 0xb2, 0xa2, 0x3d, 0xfd,
    0xa1, 0xae, 0x3e, 0x94, 0x53, 0x6b, 0x3f, 0x03, 0xcc, 0x58, 0x3f, 0x68, 0xcf, 0x25, 0x3f, 0x77, 0x2b, 0x2a, 0x3d, 0x3e,
    0xc7, 0x53, 0x3f, 0x0b, 0xbc, 0xc5, 0x3e, 0xeb, 0xe2, 0xcd, 0x3e, 0x4f, 0xb0, 0x3b, 0x3f, 0xfe, 0x72, 0xd3, 0x3d, 0x7b,
    0xf8, 0x49, 0x3f, 0xfc, 0x4d, 0x59, 0x3f, 0x2b, 0x69, 0x3d, 0x3f, 0x06, 0xc1, 0xb9, 0x3c, 0x43, 0x47, 0x03, 0x3c, 0xfc,
    0x0e, 0x25, 0x3f, 0xc1, 0xbf, 0xb3, 0x3d, 0x61, 0x9e, 0x44, 0x3e, 0x6e, 0xe6, 0xcf, 0x3c, 0xbf, 0x27, 0x14, 0x3f, 0xe4,
    0x67, 0x0f, 0x3f, 0x81, 0xb2, 0x40, 0x3f, 0x59, 0x69, 0xdc, 0x3c, 0x1d, 0xaa, 0x53, 0x3f, 0xe4, 0xeb, 0x58, 0x3f, 0x6c,
    0xf0, 0x82, 0x3d, 0xec, 0x4c, 0xde, 0x3e, 0xf9, 0xd6, 0x3d, 0x3e, 0xe8, 0xaa, 0x99, 0x3e, 0xf9, 0x88, 0x35, 0x3f, 0x37,
    0xdb, 0x7a, 0x3f, 0xbe, 0x86, 0x78, 0x3f, 0x94, 0x8c, 0x05, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x94, 0x8c, 0x05, 0x64, 0x74,
    0x79, 0x70, 0x65, 0x94, 0x93, 0x94, 0x8c, 0x02, 0x66, 0x34, 0x94, 0x89, 0x88, 0x87, 0x94, 0x52, 0x94, 0x28, 0x4b, 0x03,
    0x8c, 0x01, 0x3c, 0x94, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74,
    0x94, 0x62, 0x4b, 0x25, 0x85, 0x94, 0x8c, 0x01, 0x43, 0x94, 0x74, 0x94, 0x52, 0x94, 0x2e
};
static const uint8_t pickle_p2_i8be_2d[] = {
    0x80, 0x02, 0x63, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x2e, 0x5f, 0x63, 0x6f, 0x72, 0x65, 0x2e, 0x6d, 0x75, 0x6c, 0x74, 0x69,
    0x61, 0x72, 0x72, 0x61, 0x79, 0x0a, 0x5f, 0x72, 0x65, 0x63, 0x6f, 0x6e, 0x73, 0x74, 0x72, 0x75, 0x63, 0x74, 0x0a, 0x71,
    0x00, 0x63, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x0a, 0x6e, 0x64, 0x61, 0x72, 0x72, 0x61, 0x79, 0x0a, 0x71, 0x01, 0x4b, 0x00,
    0x85, 0x71, 0x02, 0x63, 0x5f, 0x63, 0x6f, 0x64, 0x65, 0x63, 0x73, 0x0a, 0x65, 0x6e, 0x63, 0x6f, 0x64, 0x65, 0x0a, 0x71,
    0x03, 0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x71, 0x04, 0x58, 0x06, 0x00, 0x00, 0x00, 0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31,
    0x71, 0x05, 0x86, 0x71, 0x06, 0x52, 0x71, 0x07, 0x87, 0x71, 0x08, 0x52, 0x71, 0x09, 0x28, 0x4b, 0x01, 0x4b, 0x03, 0x4b,
    0x05, 0x86, 0x71, 0x0a, 0x63, 0x6e, 0x75, 0x6d, 0x70, 0x79, 0x0a, 0x64, 0x74, 0x79, 0x70, 0x65, 0x0a, 0x71, 0x0b, 0x58,
    0x02, 0x00, 0x00, 0x00, 0x69, 0x38, 0x71, 0x0c, 0x89, 0x88, 0x87, 0x71, 0x0d, 0x52, 0x71, 0x0e, 0x28, 0x4b, 0x03, 0x58,
    0x01, 0x00, 0x00, 0x00, 0x3e, 0x71, 0x0f, 0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff,
    0x4b, 0x00, 0x74, 0x71, 0x10, 0x62, 0x89, 0x68, 0x03, 0x58, 0xab, 0x00, 0x00, 0x00, 0xc3, 0xbf, 0xc3, 0xbf, 0xc3, 0xbf,
    0xc3, 0x92, 0xc2, 0x97, 0x42, 0xc2, 0x9b, 0x72, 0x00, 0x00, 0x00, 0xc2, 0xa6, 0x49, 0x15, 0x00, 0xc2, 0xb1, 0xc3, 0xbf,
    0xc3, 0xbf, 0xc3, 0xbf, 0xc2, 0x9d, 0x59, 0x45, 0x6c, 0x67, 0x00, 0x00, 0x00, 0x25, 0xc3, 0x96, 0x04, 0x20, 0xc2, 0xa1,
    0x00, 0x00, 0x00, 0xc2, 0xba, 0xc2, 0x94, 0x7a, 0xc3, 0xa3, 0x56, 0xc3, 0xbf, 0xc3, 0xbf, 0xc3, 0xbf, 0x58, 0xc2, 0x98,
    0xc3, 0xba, 0xc3, 0x9e, 0xc3, 0xaf, 0xc3, 0xbf, 0xc3, 0xbf, 0xc3, 0xbf, 0x6a, 0xc3, 0x95, 0xc2, 0xb6, 0xc3, 0xb0, 0x39,
    0x00, 0x00, 0x00, 0x42, 0xc2, 0x94, 0xc2, 0xb6, 0x2c, 0xc3, 0xa6, 0x00, 0x00, 0x00, 0x4c, 0x1c, 0x13, 0xc2, 0xa4, 0x1d,
    0x00, 0x00, 0x00, 0x1c, 0x18, 0x2a, 0xc3, 0x9c, 0xc2, 0xb7, 0x00, 0x00, 0x00, 0xc3, 0xa7, 0xc3, 0xbd, 0x3a, 0xc3, 0xa3,
    0x0a, 0x00, 0x00, 0x00, 0xc2, 0xaf, 0xc3, 0xae, 0xc2, 0xa6, 0xc2, 0x9a, 0xc3, 0xbc, 0x00, 0x00, 0x00, 0xc3, 0x99, 0x7a,
    0x08, 0xc2, 0xb0, 0x04, 0x00, 0x00, 0x00, 0x27, 0xc2, 0x98, 0xc3, 0x8d, 0x2d, 0x6e, 0x00, 0x00, 0x00, 0x52, 0xc3, 0xab,
    0x70, 0xc2, 0x80, 0xc3, 0x83, 0x71, 0x11, 0x68, 0x05, 0x86, 0x71, 0x12, 0x52, 0x71, 0x13, 0x74, 0x71, 0x14, 0x62, 0x2e
};
#define NBYTE_INPUTS 8
static struct byte_input byte_inputs[NBYTE_INPUTS];

/* Items: words (with categorize's labels; odd lengths, which vlen-array refuses as <i2 elements), no
 * items, many items of even lengths with repeats, and bytes that are not UTF-8 (vlen-utf8, categorize and
 * pickle refuse them). */
static const uint8_t *const words[] = {
    (const uint8_t *)"a", (const uint8_t *)"bb",           (const uint8_t *)"\xc3\xa9t\xc3\xa9", (const uint8_t *)"",
    (const uint8_t *)"a", (const uint8_t *)"hello, world", (const uint8_t *)"bb",                (const uint8_t *)"zz"};
static const size_t word_lens[] = {1, 2, 5, 0, 1, 12, 2, 2};
#define MANY 300
static char many_text[MANY][12];
static const uint8_t *many[MANY];
static size_t many_lens[MANY];
static const uint8_t *const binary[] = {(const uint8_t *)"\xff\xfe", (const uint8_t *)"\0\x01\x02\x03", (const uint8_t *)"ok"};
static const size_t binary_lens[] = {2, 4, 2};
#define NITEM_INPUTS 4
static struct item_input item_inputs[NITEM_INPUTS];

#define MAX_INPUTS (NBYTE_INPUTS > NITEM_INPUTS ? NBYTE_INPUTS : NITEM_INPUTS)

static size_t inputs_of(size_t config) {
    return configs[config].form == BYTES ? NBYTE_INPUTS : NITEM_INPUTS;
}

static const char *input_name(size_t config, size_t input) {
    return configs[config].form == BYTES ? byte_inputs[input].name : item_inputs[input].name;
}

static void set_byte_input(size_t index, const char *name, const void *data, size_t len, const char *dtype,
                           const size_t *shape, size_t ndim) {
    struct byte_input *in = &byte_inputs[index];
    in->name = name;
    in->data = data;
    in->len = len;
    in->info.dtype = dtype;
    in->info.shape = shape;
    in->info.ndim = ndim;
}

static void set_item_input(size_t index, const char *name, const uint8_t *const *items, const size_t *lens, size_t n) {
    item_inputs[index].name = name;
    item_inputs[index].items = items;
    item_inputs[index].lens = lens;
    item_inputs[index].n = n;
}

/* numpy "<U3": each string as 3 little-endian UCS-4 code units, NUL-padded. */
static void put_ucs4(uint8_t *element, const char *ascii) {
    size_t k;
    memset(element, 0, LABEL_CHARS * 4);
    for (k = 0; k < LABEL_CHARS && ascii[k] != '\0'; k++) element[4 * k] = (uint8_t)ascii[k];
}

/* Any fixed pseudo-random sequence will do. */
static uint32_t next_random(uint32_t *state) {
    *state = *state * 1103515245u + 12345u;
    return *state >> 16;
}

static void fill_inputs(void) {
    static const char *const strings[] = {"a", "bb", "ccc", "dd", ""};
    uint32_t state = 12345u;
    int32_t level = 0;
    size_t i, x, y, z;
    for (i = 0; i < ROWS * COLS; i++) smooth_f4[i] = (float)(i % COLS) * 0.25f + (float)(i / COLS);
    for (i = 0; i < sizeof noisy; i++) noisy[i] = (uint8_t)next_random(&state);
    for (z = 0; z < SIDE; z++)
        for (y = 0; y < SIDE; y++)
            for (x = 0; x < SIDE; x++)
                smooth_f8[(z * SIDE + y) * SIDE + x] =
                    ((double)x - 8.0) * 0.375 + (double)(y * y) * 0.0625 - (double)z * 1.5 + 0.001 * (double)((x * y * z) % 7);
    for (i = 0; i < sizeof walk_i4 / sizeof walk_i4[0]; i++) {
        level += (int32_t)(next_random(&state) % 17u) - 8;
        walk_i4[i] = level;
    }
    for (i = 0; i < sizeof labels_u3 / (LABEL_CHARS * 4); i++)
        put_ucs4(&labels_u3[i * LABEL_CHARS * 4], strings[next_random(&state) % 5u]);
    set_byte_input(0, "smooth <f4 32x128", smooth_f4, sizeof smooth_f4, "<f4", smooth_f4_shape, 2);
    set_byte_input(1, "noisy |u1", noisy, sizeof noisy, "|u1", NULL, 0);
    set_byte_input(2, "empty <f4", NULL, 0, "<f4", NULL, 0);
    set_byte_input(3, "smooth <f8 12x12x12", smooth_f8, sizeof smooth_f8, "<f8", smooth_f8_shape, 3);
    set_byte_input(4, "random walk <i4", walk_i4, sizeof walk_i4, "<i4", NULL, 0);
    set_byte_input(5, "labels <U3", labels_u3, sizeof labels_u3, "<U3", NULL, 0);
    set_byte_input(6, "numcodecs' pickle of <f4", pickle_p5_f4, sizeof pickle_p5_f4, "|u1", NULL, 0);
    set_byte_input(7, "numcodecs' pickle of >i8 2-D", pickle_p2_i8be_2d, sizeof pickle_p2_i8be_2d, "|u1", NULL, 0);

    for (i = 0; i < MANY; i++) {
        if (i % 4 == 0) strcpy(many_text[i], "bb");
        else if (i % 4 == 1) many_text[i][0] = '\0';
        else sprintf(many_text[i], "item%04u", (unsigned)(i * 7 % 1000));
        many[i] = (const uint8_t *)many_text[i];
        many_lens[i] = strlen(many_text[i]);
    }
    set_item_input(0, "words", words, word_lens, sizeof word_lens / sizeof word_lens[0]);
    set_item_input(1, "no items", NULL, NULL, 0);
    set_item_input(2, "300 items", many, many_lens, MANY);
    set_item_input(3, "non-UTF-8 bytes", binary, binary_lens, sizeof binary_lens / sizeof binary_lens[0]);
}

/* ---- observations: what one thread sees ---------------------------------------------------------- */

#define NOT_RUN (-1)

/* One call's result: its status and, on success, its output bytes, on failure its error message. */
struct outcome {
    int status;
    uint8_t *bytes;
    size_t len;
    char *message;
};

enum byte_call {
    ENCODE_ALLOC,
    ENCODE_BOUND,
    ENCODE_INTO,
    DECODE_ALLOC,
    DECODED_SIZE,
    DECODED_INFO,
    DECODE_INTO,
    DECODE_TRUNCATED,
    DECODE_INPUT,
    NBYTE_CALLS
};
static const char *const byte_call_names[NBYTE_CALLS] = {
    "encode_alloc", "encode_bound", "encode into encode_bound bytes", "decode_alloc of the encoding",
    "decoded_size", "decoded_info", "decode into the decoded size", "decode_alloc of half the encoding",
    "decode_alloc of the input itself (an encoding or not)",
};

enum item_call { ENCODE_ITEMS, DECODE_ITEMS, DECODE_JSON, ENCODE_JSON, DECODE_ITEMS_TRUNCATED, NITEM_CALLS };
static const char *const item_call_names[NITEM_CALLS] = {
    "encode_items_alloc", "decode_items + items_get of the encoding", "decode_json_items of the encoding",
    "encode_json_items of that JSON", "decode_items of half the encoding",
};

#define MAX_CALLS ((size_t)NBYTE_CALLS > (size_t)NITEM_CALLS ? (size_t)NBYTE_CALLS : (size_t)NITEM_CALLS)

struct observation {
    struct outcome calls[MAX_CALLS];
};

static const char *call_name(size_t config, size_t call) {
    return configs[config].form == BYTES ? byte_call_names[call] : item_call_names[call];
}

static void *copy_of(const void *bytes, size_t len) {
    void *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    if (len) memcpy(copy, bytes, len);
    return copy;
}

/* Records a call's result; must run right after the call, before the thread's error message changes. */
static void record(struct outcome *o, numcodecs_status status, const void *bytes, size_t len) {
    o->status = (int)status;
    if (status == NUMCODECS_OK) {
        o->bytes = (uint8_t *)copy_of(bytes, len);
        o->len = len;
    } else {
        const char *message = numcodecs_last_error();
        o->message = (char *)copy_of(message, strlen(message) + 1);
    }
}

/* Records the result of an _alloc call and frees the library's buffer. */
static void record_alloc(struct outcome *o, numcodecs_status status, uint8_t *out, size_t out_len) {
    record(o, status, out, out_len);
    if (status == NUMCODECS_OK) numcodecs_bytes_free(out, out_len);
}

static int same_outcome(const struct outcome *a, const struct outcome *b) {
    if (a->status != b->status || a->len != b->len) return 0;
    if (a->len != 0 && memcmp(a->bytes, b->bytes, a->len) != 0) return 0;
    if ((a->message == NULL) != (b->message == NULL)) return 0;
    return a->message == NULL || strcmp(a->message, b->message) == 0;
}

static void observation_free(struct observation *obs) {
    size_t k;
    for (k = 0; k < MAX_CALLS; k++) {
        free(obs->calls[k].bytes);
        free(obs->calls[k].message);
    }
}

/* Bytes appended one piece after another: a decoded item list or array description as one byte string. */
struct builder {
    uint8_t *data;
    size_t len, cap;
};

static void append(struct builder *b, const void *bytes, size_t len) {
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 64;
        b->data = (uint8_t *)realloc(b->data, b->cap);
        if (b->data == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    if (len) memcpy(b->data + b->len, bytes, len);
    b->len += len;
}

static void observe_decoded_info(const numcodecs_codec *codec, const struct outcome *encoded, struct outcome *o) {
    numcodecs_decoded_array array;
    struct builder description = {NULL, 0, 0};
    numcodecs_status status = numcodecs_decoded_info(codec, encoded->bytes, encoded->len, &array);
    if (status == NUMCODECS_OK) {
        append(&description, array.dtype, strlen(array.dtype) + 1);
        append(&description, &array.ndim, sizeof array.ndim);
        append(&description, array.shape, array.ndim * sizeof array.shape[0]);
    }
    record(o, status, description.data, description.len);
    free(description.data);
}

static void observe_bytes(const numcodecs_codec *codec, const struct byte_input *in, struct observation *obs) {
    struct outcome *calls = obs->calls;
    const struct outcome *encoded = &calls[ENCODE_ALLOC];
    numcodecs_status status;
    uint8_t *out = NULL, *dst;
    size_t out_len = 0, size = 0, cap;

    status = numcodecs_encode_alloc(codec, in->data, in->len, &in->info, &out, &out_len);
    record_alloc(&calls[ENCODE_ALLOC], status, out, out_len);

    status = numcodecs_encode_bound(codec, in->len, &in->info, &size);
    record(&calls[ENCODE_BOUND], status, &size, sizeof size);
    if (status == NUMCODECS_OK) {
        dst = (uint8_t *)malloc(size ? size : 1);
        status = numcodecs_encode(codec, in->data, in->len, &in->info, dst, size, &out_len);
        record(&calls[ENCODE_INTO], status, dst, out_len);
        free(dst);
    }

    if (encoded->status == NUMCODECS_OK) {
        status = numcodecs_decode_alloc(codec, encoded->bytes, encoded->len, &out, &out_len);
        record_alloc(&calls[DECODE_ALLOC], status, out, out_len);

        status = numcodecs_decoded_size(codec, encoded->bytes, encoded->len, &size);
        record(&calls[DECODED_SIZE], status, &size, sizeof size);
        observe_decoded_info(codec, encoded, &calls[DECODED_INFO]);

        cap = calls[DECODE_ALLOC].status == NUMCODECS_OK ? calls[DECODE_ALLOC].len : in->len;
        dst = (uint8_t *)malloc(cap ? cap : 1);
        status = numcodecs_decode(codec, encoded->bytes, encoded->len, dst, cap, &out_len);
        record(&calls[DECODE_INTO], status, dst, out_len);
        free(dst);

        status = numcodecs_decode_alloc(codec, encoded->bytes, encoded->len / 2, &out, &out_len);
        record_alloc(&calls[DECODE_TRUNCATED], status, out, out_len);
    }

    /* Foreign bytes: the pickles for pickle (and everything else), other inputs mostly refused. */
    status = numcodecs_decode_alloc(codec, in->data, in->len, &out, &out_len);
    record_alloc(&calls[DECODE_INPUT], status, out, out_len);
}

/* numcodecs_decode_items, then every item through numcodecs_items_get, recorded as (length, bytes)... */
static void observe_decoded_items(const numcodecs_codec *codec, const uint8_t *src, size_t src_len, struct outcome *o) {
    numcodecs_items *items = NULL;
    struct builder flat = {NULL, 0, 0};
    size_t k, count, len = 0;
    const uint8_t *item = NULL;
    numcodecs_status status = numcodecs_decode_items(codec, src, src_len, &items);
    if (status == NUMCODECS_OK) {
        count = numcodecs_items_count(items);
        append(&flat, &count, sizeof count);
        for (k = 0; k < count && status == NUMCODECS_OK; k++) {
            status = numcodecs_items_get(items, k, &item, &len);
            if (status == NUMCODECS_OK) {
                append(&flat, &len, sizeof len);
                append(&flat, item, len);
            }
        }
    }
    record(o, status, flat.data, flat.len);
    free(flat.data);
    numcodecs_items_free(items);
}

static void observe_items(const numcodecs_codec *codec, const struct item_input *in, struct observation *obs) {
    struct outcome *calls = obs->calls;
    const struct outcome *encoded = &calls[ENCODE_ITEMS];
    numcodecs_status status;
    uint8_t *out = NULL;
    char *json = NULL;
    size_t out_len = 0, json_len = 0;

    status = numcodecs_encode_items_alloc(codec, in->items, in->lens, in->n, &out, &out_len);
    record_alloc(&calls[ENCODE_ITEMS], status, out, out_len);
    if (encoded->status != NUMCODECS_OK) return;

    observe_decoded_items(codec, encoded->bytes, encoded->len, &calls[DECODE_ITEMS]);
    status = numcodecs_decode_json_items(codec, encoded->bytes, encoded->len, &json, &json_len);
    record(&calls[DECODE_JSON], status, json, json_len);
    if (status == NUMCODECS_OK) {
        numcodecs_bytes_free((uint8_t *)json, json_len);
        status = numcodecs_encode_json_items(codec, (const char *)calls[DECODE_JSON].bytes, calls[DECODE_JSON].len, &out, &out_len);
        record_alloc(&calls[ENCODE_JSON], status, out, out_len);
    }
    observe_decoded_items(codec, encoded->bytes, encoded->len / 2, &calls[DECODE_ITEMS_TRUNCATED]);
}

static void observe(const numcodecs_codec *codec, size_t config, size_t input, struct observation *obs) {
    size_t k;
    for (k = 0; k < MAX_CALLS; k++) {
        obs->calls[k].status = NOT_RUN;
        obs->calls[k].bytes = NULL;
        obs->calls[k].len = 0;
        obs->calls[k].message = NULL;
    }
    if (configs[config].form == BYTES) observe_bytes(codec, &byte_inputs[input], obs);
    else observe_items(codec, &item_inputs[input], obs);
}

static long calls_made(const struct observation *obs) {
    long made = 0;
    size_t k;
    for (k = 0; k < MAX_CALLS; k++) made += obs->calls[k].status != NOT_RUN;
    return made;
}

/* The first call whose outcome differs, or -1. */
static int first_difference(const struct observation *a, const struct observation *b) {
    size_t k;
    for (k = 0; k < MAX_CALLS; k++)
        if (!same_outcome(&a->calls[k], &b->calls[k])) return (int)k;
    return -1;
}

static const char *status_name(int status) {
    return status == NOT_RUN ? "not run" : numcodecs_status_name(status);
}

static void describe_difference(char *text, size_t cap, size_t config, size_t input, const struct observation *expected,
                                const struct observation *got, int call) {
    const struct outcome *e = &expected->calls[call], *g = &got->calls[call];
    size_t at = 0;
    if (e->status == NUMCODECS_OK && g->status == NUMCODECS_OK && e->len == g->len) {
        while (e->bytes[at] == g->bytes[at]) at++;
        snprintf(text, cap, "%s for %s, input \"%s\": %zu bytes as one thread saw, but differing from byte %zu on",
                 call_name(config, (size_t)call), configs[config].json, input_name(config, input), e->len, at);
        return;
    }
    snprintf(text, cap, "%s for %s, input \"%s\": one thread saw %s (%zu bytes; \"%s\"), this one %s (%zu bytes; \"%s\")",
             call_name(config, (size_t)call), configs[config].json, input_name(config, input), status_name(e->status), e->len,
             e->message ? e->message : "", status_name(g->status), g->len, g->message ? g->message : "");
}

/* ---- the shared handles and the workers ---------------------------------------------------------- */

static numcodecs_codec *codecs[NCONFIGS];
static struct observation reference[NCONFIGS][MAX_INPUTS];
static char *reference_config[NCONFIGS];
static char *reference_id[NCONFIGS];

static pthread_barrier_t start_line;
static int workers_done; /* guarded by done_lock */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;

struct worker {
    int index;
    int rounds;
    long operations;
    int failures;
    char first_failure[1024];
};

/* Counts a failure; keeps the first one's description (printf-style) for the report. */
static void fail(struct worker *w, const char *format, ...) {
    va_list args;
    int used;
    if (w->failures++ != 0) return;
    used = snprintf(w->first_failure, sizeof w->first_failure, "thread %d: ", w->index);
    va_start(args, format);
    vsnprintf(w->first_failure + used, sizeof w->first_failure - (size_t)used, format, args);
    va_end(args);
}

/* Every call on one input through `codec`, compared with what one thread saw through the shared handle. */
static void exercise(struct worker *w, const numcodecs_codec *codec, size_t c, size_t i) {
    struct observation seen;
    int call;
    observe(codec, c, i, &seen);
    call = first_difference(&reference[c][i], &seen);
    if (call >= 0) {
        char what[900];
        describe_difference(what, sizeof what, c, i, &reference[c][i], &seen, call);
        fail(w, "%s", what);
    }
    w->operations += calls_made(&seen);
    observation_free(&seen);
}

/* Read-only queries, and a private handle created, used and freed while others use the shared ones. */
static void exercise_handles(struct worker *w, size_t c) {
    char text[1024];
    size_t len = 0;
    numcodecs_codec *own = NULL;
    numcodecs_status status = numcodecs_codec_config(codecs[c], text, sizeof text, &len);
    if (status != NUMCODECS_OK || strcmp(text, reference_config[c]) != 0) fail(w, "codec_config differs for %s", configs[c].json);
    if (strcmp(numcodecs_codec_id(codecs[c]), reference_id[c]) != 0) fail(w, "codec_id differs for %s", configs[c].json);
    status = numcodecs_codec_from_json(configs[c].json, strlen(configs[c].json), &own);
    if (status != NUMCODECS_OK) fail(w, "codec_from_json of %s: %s", configs[c].json, numcodecs_last_error());
    else {
        exercise(w, own, c, 0);
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
            for (i = 0; i < inputs_of(c); i++) exercise(w, codecs[c], c, i);
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

/* ---- single-threaded checks ---------------------------------------------------------------------- */

/* A test that silently skips a codec proves nothing about it: every registered codec id must appear in
 * some configuration (a codec registered later without one here fails this). */
static void check_every_codec_configured(void) {
    char ids[4096], pattern[128];
    size_t len = 0, c;
    const char *start, *end;
    CHECK_STATUS(numcodecs_registered_codecs(ids, sizeof ids, &len), NUMCODECS_OK);
    for (start = strchr(ids, '"'); start != NULL; start = strchr(end + 1, '"')) {
        int found = 0;
        end = strchr(start + 1, '"');
        if (end == NULL) break;
        snprintf(pattern, sizeof pattern, "\"id\":\"%.*s\"", (int)(end - start - 1), start + 1);
        for (c = 0; c < NCONFIGS && !found; c++) found = strstr(configs[c].json, pattern) != NULL;
        CHECK(found);
        if (!found) fprintf(stderr, "registered codec %.*s has no configuration in test_threads.c\n", (int)(end - start - 1), start + 1);
    }
}

/* Each configuration must really work in the stress: encode (and decode) some non-empty input, or, for
 * decode-only ones, decode some input to something. */
static int really_works(size_t c) {
    size_t i;
    for (i = 0; i < inputs_of(c); i++) {
        const struct observation *r = &reference[c][i];
        if (configs[c].decode_only) {
            if (r->calls[DECODE_INPUT].status == NUMCODECS_OK && r->calls[DECODE_INPUT].len > 0) return 1;
        } else if (configs[c].form == BYTES) {
            if (byte_inputs[i].len > 0 && r->calls[ENCODE_ALLOC].status == NUMCODECS_OK && r->calls[DECODE_ALLOC].status == NUMCODECS_OK)
                return 1;
        } else if (item_inputs[i].n > 0 && r->calls[ENCODE_ITEMS].status == NUMCODECS_OK && r->calls[DECODE_ITEMS].status == NUMCODECS_OK) {
            return 1;
        }
    }
    return 0;
}

static void print_reference(size_t c) {
    size_t i, k;
    printf("%s\n", configs[c].json);
    for (i = 0; i < inputs_of(c); i++) {
        printf("  %-30s", input_name(c, i));
        for (k = 0; k < MAX_CALLS; k++) {
            const struct outcome *o = &reference[c][i].calls[k];
            if (o->status == NOT_RUN) continue;
            if (o->status == NUMCODECS_OK) printf(" %zu", o->len);
            else printf(" %s", numcodecs_status_name(o->status));
        }
        printf("\n");
    }
}

/* What one thread sees, observed twice to be sure it is deterministic (so that a worker's mismatch is a
 * threading problem). */
static void make_references(int verbose) {
    size_t c, i, len;
    char text[1024];
    for (c = 0; c < NCONFIGS; c++) {
        numcodecs_status status = numcodecs_codec_from_json(configs[c].json, strlen(configs[c].json), &codecs[c]);
        CHECK_STATUS(status, NUMCODECS_OK);
        if (status != NUMCODECS_OK) {
            fprintf(stderr, "cannot create %s\n", configs[c].json);
            exit(1);
        }
        CHECK_STATUS(numcodecs_codec_config(codecs[c], text, sizeof text, &len), NUMCODECS_OK);
        reference_config[c] = (char *)copy_of(text, len + 1);
        reference_id[c] = (char *)copy_of(numcodecs_codec_id(codecs[c]), strlen(numcodecs_codec_id(codecs[c])) + 1);
        for (i = 0; i < inputs_of(c); i++) {
            struct observation again;
            int call;
            observe(codecs[c], c, i, &reference[c][i]);
            observe(codecs[c], c, i, &again);
            call = first_difference(&reference[c][i], &again);
            CHECK(call < 0);
            if (call >= 0) {
                char what[900];
                describe_difference(what, sizeof what, c, i, &reference[c][i], &again, call);
                fprintf(stderr, "not deterministic on one thread: %s\n", what);
            }
            observation_free(&again);
        }
        CHECK(really_works(c));
        if (!really_works(c)) fprintf(stderr, "%s encodes or decodes none of the inputs\n", configs[c].json);
        if (verbose || !really_works(c)) print_reference(c);
    }
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    int rounds = argc > 2 ? atoi(argv[2]) : 2;
    const char *verbose = getenv("NUMCODECS_TEST_VERBOSE");
    struct worker *workers;
    pthread_t *ids, toggler_id;
    struct toggler toggler;
    long operations = 0;
    size_t c, i, pairs = 0;
    int t;

    if (threads < 1 || rounds < 1) {
        fprintf(stderr, "usage: %s [THREADS [ROUNDS]] (both at least 1)\n", argv[0]);
        return 2;
    }
    fill_inputs();
    CHECK(numcodecs_blosc_get_nthreads() == 1);
    check_every_codec_configured();
    make_references(verbose != NULL && verbose[0] == '1');

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
    for (c = 0; c < NCONFIGS; c++) pairs += inputs_of(c);
    printf("%d threads x %d rounds: %ld operations on %zu shared handles (%zu configuration-input pairs), "
           "blosc nthreads changed %ld times\n",
           threads, rounds, operations, NCONFIGS, pairs, toggler.changes);

    /* Back on one thread, the handles still give what they gave before. */
    CHECK_STATUS(numcodecs_blosc_set_nthreads(1, NULL), NUMCODECS_OK);
    for (c = 0; c < NCONFIGS; c++) {
        for (i = 0; i < inputs_of(c); i++) {
            struct observation after;
            observe(codecs[c], c, i, &after);
            CHECK(first_difference(&reference[c][i], &after) < 0);
            observation_free(&after);
            observation_free(&reference[c][i]);
        }
        free(reference_config[c]);
        free(reference_id[c]);
        numcodecs_codec_free(codecs[c]);
    }
    pthread_barrier_destroy(&start_line);
    free(workers);
    free(ids);
    return check_summary();
}
