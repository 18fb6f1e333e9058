/*
 * The C side of the HDF5 interop tests, built against Debian's libhdf5 (tests/hdf5/run.sh). The filters
 * come from whatever HDF5_PLUGIN_PATH names: our plugins, in these tests.
 *
 *   h5check read FILE FILTER_ID [REFERENCE]
 *       Every /filtered/<name> dataset of FILE must use FILTER_ID, have every chunk stored filtered
 *       (filter mask 0), and read back exactly the values of /expected/<name> (in REFERENCE if given).
 *   h5check write FILE LABEL FILTER_ID [CD_VALUE...]
 *       Adds /filtered/LABEL__<type> datasets (six types, one an array type, and chunk shapes) through FILTER_ID with
 *       these cd_values, and their uncompressed /expected copies; creates FILE if needed.
 *   h5check corrupt FILE FILTER_ID [CD_VALUE...]
 *       Writes a dataset through the filter, then replaces its first chunk with truncated and garbage
 *       bytes (direct chunk writes): every read must fail with an HDF5 error whose stack holds the
 *       plugin's message (naming libnumcodecs), and none may crash.
 *
 * Exits 0 on success, 1 with a message otherwise.
 */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CD_VALUES 16

static int failures = 0;

#define FAIL(...)                                                                                                  \
    do {                                                                                                           \
        fprintf(stderr, "h5check: " __VA_ARGS__);                                                                  \
        fputc('\n', stderr);                                                                                       \
        failures++;                                                                                                \
    } while (0)

/* ---- read ---------------------------------------------------------------------------------------- */

typedef struct {
    hid_t file, reference;
    H5Z_filter_t filter;
    int datasets;
} read_context;

/* Reads a whole dataset in its native type; returns a malloc'ed buffer and its size, or NULL. */
static void *read_all(hid_t dataset, size_t *size) {
    hid_t type = H5Dget_type(dataset), native = H5Tget_native_type(type, H5T_DIR_ASCEND);
    hid_t space = H5Dget_space(dataset);
    hssize_t points = H5Sget_simple_extent_npoints(space);
    void *data = NULL;
    *size = (size_t)points * H5Tget_size(native);
    if (points >= 0) {
        data = malloc(*size ? *size : 1);
        if (data && H5Dread(dataset, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
            free(data);
            data = NULL;
        }
    }
    H5Sclose(space);
    H5Tclose(native);
    H5Tclose(type);
    return data;
}

static int uses_filter(hid_t dataset, H5Z_filter_t wanted) {
    hid_t dcpl = H5Dget_create_plist(dataset);
    int n = H5Pget_nfilters(dcpl), i, found = 0;
    for (i = 0; i < n; i++) {
        unsigned flags, config;
        size_t nelmts = 0;
        char name[64];
        if (H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelmts, NULL, sizeof name, name, &config) == wanted)
            found = 1;
    }
    H5Pclose(dcpl);
    return found;
}

/* Whether every chunk went through the filter pipeline (HDF5 skips a failing optional filter and
 * records that in the chunk's filter mask, which would leave the decoder untested). */
static int all_chunks_filtered(hid_t dataset, hsize_t *chunks) {
    hid_t space = H5Dget_space(dataset);
    hsize_t n = 0, i;
    int ok = H5Dget_num_chunks(dataset, space, &n) >= 0 && n > 0;
    for (i = 0; ok && i < n; i++) {
        hsize_t offset[H5S_MAX_RANK], size;
        unsigned mask = 1;
        haddr_t address;
        ok = H5Dget_chunk_info(dataset, space, i, offset, &mask, &address, &size) >= 0 && mask == 0;
    }
    H5Sclose(space);
    *chunks = n;
    return ok;
}

static herr_t check_dataset(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    read_context *context = data;
    char expected_path[512];
    hid_t filtered, expected;
    void *got, *want;
    size_t got_size = 0, want_size = 0;
    hsize_t chunks = 0;
    (void)info;
    snprintf(expected_path, sizeof expected_path, "/expected/%s", name);
    filtered = H5Dopen2(group, name, H5P_DEFAULT);
    expected = H5Dopen2(context->reference, expected_path, H5P_DEFAULT);
    if (filtered < 0 || expected < 0) {
        FAIL("cannot open /filtered/%s or %s", name, expected_path);
        return 0;
    }
    if (!uses_filter(filtered, context->filter))
        FAIL("/filtered/%s does not use filter %d", name, (int)context->filter);
    if (!all_chunks_filtered(filtered, &chunks))
        FAIL("/filtered/%s: a chunk was stored without the filter (or has no chunks)", name);
    got = read_all(filtered, &got_size);
    want = read_all(expected, &want_size);
    if (!got)
        FAIL("/filtered/%s: H5Dread failed (is the filter plugin on HDF5_PLUGIN_PATH?)", name);
    else if (!want)
        FAIL("%s: H5Dread failed", expected_path);
    else if (got_size != want_size || memcmp(got, want, got_size) != 0)
        FAIL("/filtered/%s differs from %s", name, expected_path);
    free(got);
    free(want);
    H5Dclose(filtered);
    H5Dclose(expected);
    context->datasets++;
    return 0;
}

static int command_read(const char *path, H5Z_filter_t filter, const char *reference_path) {
    read_context context = {-1, -1, filter, 0};
    hid_t group;
    context.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    context.reference = reference_path ? H5Fopen(reference_path, H5F_ACC_RDONLY, H5P_DEFAULT) : context.file;
    if (context.file < 0 || context.reference < 0) {
        FAIL("cannot open %s", context.file < 0 ? path : reference_path);
        return 1;
    }
    if (H5Zfilter_avail(filter) <= 0)
        FAIL("filter %d is not available: no plugin for it on HDF5_PLUGIN_PATH", (int)filter);
    group = H5Gopen2(context.file, "/filtered", H5P_DEFAULT);
    if (group < 0) {
        FAIL("%s has no /filtered group", path);
        return 1;
    }
    H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, NULL, check_dataset, &context);
    H5Gclose(group);
    if (context.datasets == 0)
        FAIL("%s: no datasets in /filtered", path);
    if (context.reference != context.file)
        H5Fclose(context.reference);
    H5Fclose(context.file);
    if (failures == 0)
        printf("%s: %d datasets through filter %d equal their expected values\n", path, context.datasets, (int)filter);
    return failures ? 1 : 0;
}

/* ---- write --------------------------------------------------------------------------------------- */

typedef struct {
    const char *label;
    hid_t file_type; /* stored type (byte order included) */
    int rank;
    hsize_t dims[3], chunks[3];
    hsize_t array_length; /* > 0: elements are arrays of this many file_type values */
} array_case;

/* Deterministic values that every filter compresses: a repeating ramp with sparse +1 bumps. */
static void fill_values(double *values, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        values[i] = (double)((i / 4) % 50) + ((((uint32_t)i * 2654435761u) >> 28) == 0 ? 1.0 : 0.0);
}

static hid_t open_or_create(const char *path) {
    hid_t file;
    H5E_BEGIN_TRY { file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT); }
    H5E_END_TRY;
    return file >= 0 ? file : H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
}

static hid_t group_of(hid_t file, const char *name) {
    hid_t group;
    H5E_BEGIN_TRY { group = H5Gopen2(file, name, H5P_DEFAULT); }
    H5E_END_TRY;
    return group >= 0 ? group : H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

static int command_write(const char *path, const char *label, H5Z_filter_t filter, const unsigned *cd_values,
                         size_t cd_nelmts) {
    const array_case cases[] = {
        {"f4", H5T_IEEE_F32LE, 2, {30, 40}, {16, 16}, 0},
        {"le_i2", H5T_STD_I16LE, 1, {1000}, {300}, 0},
        {"u1", H5T_STD_U8LE, 3, {12, 20, 30}, {6, 20, 15}, 0},
        {"f8", H5T_IEEE_F64LE, 2, {24, 24}, {24, 24}, 0},
        {"be_i4", H5T_STD_I32BE, 1, {500}, {128}, 0},
        /* An array type: blosc's set_local shuffles by the base type (4), not the element (12). */
        {"f4x3", H5T_IEEE_F32LE, 1, {100}, {32}, 3},
    };
    hid_t file = open_or_create(path), filtered_group, expected_group;
    size_t c;
    if (file < 0) {
        FAIL("cannot create %s", path);
        return 1;
    }
    filtered_group = group_of(file, "filtered");
    expected_group = group_of(file, "expected");
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const array_case *a = &cases[c];
        char name[256];
        size_t n = 1;
        int d;
        double *values;
        hid_t space, dcpl, filtered, expected, file_type = a->file_type, memory_type = H5T_NATIVE_DOUBLE;
        for (d = 0; d < a->rank; d++)
            n *= (size_t)a->dims[d];
        if (a->array_length > 0) {
            n *= (size_t)a->array_length;
            file_type = H5Tarray_create2(a->file_type, 1, &a->array_length);
            memory_type = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, &a->array_length);
        }
        values = malloc(n * sizeof *values);
        fill_values(values, n);
        snprintf(name, sizeof name, "%s__%s", label, a->label);
        space = H5Screate_simple(a->rank, a->dims, NULL);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, a->rank, a->chunks);
        /* Mandatory, so a failing filter fails the write instead of storing the chunk raw. */
        if (H5Pset_filter(dcpl, filter, H5Z_FLAG_MANDATORY, cd_nelmts, cd_values) < 0)
            FAIL("H5Pset_filter(%d) failed", (int)filter);
        filtered = H5Dcreate2(filtered_group, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        expected = H5Dcreate2(expected_group, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (filtered < 0 || expected < 0)
            FAIL("cannot create dataset %s (filter %d)", name, (int)filter);
        else if (H5Dwrite(filtered, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0 ||
                 H5Dwrite(expected, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
            FAIL("writing %s through filter %d failed", name, (int)filter);
        if (filtered >= 0)
            H5Dclose(filtered);
        if (expected >= 0)
            H5Dclose(expected);
        if (a->array_length > 0) {
            H5Tclose(file_type);
            H5Tclose(memory_type);
        }
        H5Pclose(dcpl);
        H5Sclose(space);
        free(values);
    }
    H5Gclose(filtered_group);
    H5Gclose(expected_group);
    H5Fclose(file);
    if (failures == 0)
        printf("%s: wrote %s datasets through filter %d\n", path, label, (int)filter);
    return failures ? 1 : 0;
}

/* ---- corrupt ------------------------------------------------------------------------------------- */

/* H5Ewalk2 callback: keeps the first error description that names libnumcodecs. */
static herr_t find_plugin_message(unsigned n, const H5E_error2_t *error, void *found) {
    (void)n;
    if (error->desc && strstr(error->desc, "libnumcodecs") && !*(char *)found)
        snprintf((char *)found, 512, "%s", error->desc);
    return 0;
}

static int command_corrupt(const char *path, H5Z_filter_t filter, const unsigned *cd_values, size_t cd_nelmts) {
    hsize_t dims[1] = {4096}, chunk[1] = {1024}, offset[1] = {0};
    double values[4096], back[4096];
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Screate_simple(1, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), dataset;
    hsize_t stored_size = 0;
    unsigned char *stored, *bad;
    uint32_t mask = 0;
    int variant, refused = 0;
    fill_values(values, 4096);
    H5Pset_chunk(dcpl, 1, chunk);
    H5Pset_filter(dcpl, filter, H5Z_FLAG_MANDATORY, cd_nelmts, cd_values);
    dataset = H5Dcreate2(file, "data", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dataset < 0 || H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0 ||
        H5Dget_chunk_storage_size(dataset, offset, &stored_size) < 0 || stored_size < 8) {
        FAIL("cannot write the dataset through filter %d", (int)filter);
        return 1;
    }
    stored = malloc(stored_size);
    bad = malloc(stored_size);
    if (H5Dread_chunk(dataset, H5P_DEFAULT, offset, &mask, stored) < 0) {
        FAIL("H5Dread_chunk failed");
        return 1;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the failures below are expected; keep stderr quiet */
    for (variant = 0; variant < 4; variant++) {
        size_t size = (size_t)stored_size;
        const char *what;
        memcpy(bad, stored, size);
        switch (variant) {
        case 0: what = "truncated to half"; size /= 2; break;
        case 1: what = "all bytes 0xff"; memset(bad, 0xff, size); break;
        case 2: what = "last byte dropped"; size -= 1; break;
        default: what = "header zeroed"; memset(bad, 0, size < 16 ? size : 16); break;
        }
        if (H5Dwrite_chunk(dataset, H5P_DEFAULT, 0, offset, size, bad) < 0) {
            FAIL("H5Dwrite_chunk failed");
            continue;
        }
        /* Reopen, so the chunk cache cannot serve the old chunk. */
        H5Dclose(dataset);
        dataset = H5Dopen2(file, "data", H5P_DEFAULT);
        if (H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0) {
            FAIL("filter %d: a chunk %s read without error", (int)filter, what);
        } else {
            /* The plugin pushed why onto HDF5's error stack (H5Epush2), under HDF5's own messages. */
            char found[512] = "";
            H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_plugin_message, found);
            if (!*found)
                FAIL("filter %d: a chunk %s failed without libnumcodecs' message on the error stack", (int)filter, what);
            else if (variant == 0)
                printf("filter %d, chunk %s: %s\n", (int)filter, what, found);
            refused++;
        }
    }
    free(stored);
    free(bad);
    H5Dclose(dataset);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(file);
    if (failures == 0)
        printf("filter %d: %d corrupt chunks refused with an HDF5 error\n", (int)filter, refused);
    return failures ? 1 : 0;
}

static size_t parse_cd_values(int argc, char **argv, unsigned *cd_values) {
    size_t n = 0;
    for (; n < (size_t)argc && n < MAX_CD_VALUES; n++)
        cd_values[n] = (unsigned)strtoul(argv[n], NULL, 0);
    return n;
}

int main(int argc, char **argv) {
    unsigned cd_values[MAX_CD_VALUES];
    if (argc >= 4 && strcmp(argv[1], "read") == 0)
        return command_read(argv[2], (H5Z_filter_t)atoi(argv[3]), argc > 4 ? argv[4] : NULL);
    if (argc >= 5 && strcmp(argv[1], "write") == 0)
        return command_write(argv[2], argv[3], (H5Z_filter_t)atoi(argv[4]), cd_values,
                             parse_cd_values(argc - 5, argv + 5, cd_values));
    if (argc >= 4 && strcmp(argv[1], "corrupt") == 0)
        return command_corrupt(argv[2], (H5Z_filter_t)atoi(argv[3]), cd_values,
                               parse_cd_values(argc - 4, argv + 4, cd_values));
    fprintf(stderr, "usage: h5check read FILE FILTER_ID [REFERENCE] | write FILE LABEL FILTER_ID [CD...] | "
                    "corrupt FILE FILTER_ID [CD...]\n");
    return 2;
}
