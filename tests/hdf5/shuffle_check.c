/*
 * Calls the shuffle plugin's filter function directly (HDF5 has shuffle built in and never loads the
 * plugin; netCDF's NCZarr does, with Zarr chunks, which are whole elements). Its encoding must equal the
 * chunk Debian's libhdf5 stores with its own shuffle filter (read raw with H5Dread_chunk), and HDF5's
 * layout also holds for chunks with trailing bytes: byte b of element i at b * n + i, the last
 * nbytes % size bytes in place. Decoding must restore the chunk.
 *
 *   shuffle_check PLUGIN.so
 */
#include <hdf5.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef size_t (*filter_t)(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                           size_t *buf_size, void **buf);
typedef struct {
    int version, id;
    unsigned encoder_present, decoder_present;
    const char *name;
    void *can_apply, *set_local;
    filter_t filter;
} filter_class_t;

#define REVERSE 0x0100u

static int failures = 0;

/* The chunk HDF5's built-in shuffle stores for `nbytes` bytes of `size`-byte (opaque) elements, into out. */
static int hdf5_shuffled(const unsigned char *data, unsigned size, size_t nbytes, unsigned char *out) {
    hsize_t dims[1] = {nbytes / size}, offset[1] = {0}, stored = 0;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), file, space, dcpl, type, dataset;
    uint32_t mask = 0;
    int ok;
    H5Pset_fapl_core(fapl, 1 << 16, 0);
    file = H5Fcreate("shuffle_check.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    space = H5Screate_simple(1, dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    type = H5Tcreate(H5T_OPAQUE, size);
    H5Pset_chunk(dcpl, 1, dims);
    H5Pset_shuffle(dcpl);
    dataset = H5Dcreate2(file, "d", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ok = dataset >= 0 && H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0 &&
         H5Dget_chunk_storage_size(dataset, offset, &stored) >= 0 && stored == nbytes &&
         H5Dread_chunk(dataset, H5P_DEFAULT, offset, &mask, out) >= 0 && mask == 0;
    H5Dclose(dataset);
    H5Tclose(type);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(file);
    H5Pclose(fapl);
    return ok;
}

static void check(filter_t filter, unsigned size, size_t nbytes) {
    unsigned char *buf = malloc(nbytes), *want = malloc(nbytes);
    size_t n = nbytes / size, i, b, buf_size = nbytes, got;
    void *chunk = buf;
    for (i = 0; i < nbytes; i++)
        buf[i] = (unsigned char)(i * 7 + 1);
    memcpy(want, buf, nbytes);
    if (size > 1 && n > 1)
        for (i = 0; i < n; i++)
            for (b = 0; b < size; b++)
                want[b * n + i] = buf[i * size + b];
    if (nbytes % size == 0) {
        /* Whole elements: what HDF5 itself stores is the reference. */
        unsigned char *hdf5 = malloc(nbytes);
        if (!hdf5_shuffled(buf, size, nbytes, hdf5) || memcmp(hdf5, want, nbytes) != 0) {
            fprintf(stderr, "shuffle_check: elementsize %u, %zu bytes: HDF5 stores another layout\n", size, nbytes);
            failures++;
        }
        free(hdf5);
    }
    got = filter(0, 1, &size, nbytes, &buf_size, &chunk);
    if (got != nbytes || memcmp(chunk, want, nbytes) != 0) {
        fprintf(stderr, "shuffle_check: elementsize %u, %zu bytes: encoding differs from HDF5's shuffle\n", size, nbytes);
        failures++;
    }
    got = filter(REVERSE, 1, &size, nbytes, &buf_size, &chunk);
    for (i = 0; i < nbytes && got == nbytes; i++)
        if (((unsigned char *)chunk)[i] != (unsigned char)(i * 7 + 1))
            break;
    if (got != nbytes || i != nbytes) {
        fprintf(stderr, "shuffle_check: elementsize %u, %zu bytes: decoding does not restore the chunk\n", size, nbytes);
        failures++;
    }
    free(chunk);
    free(want);
}

int main(int argc, char **argv) {
    void *plugin = argc == 2 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    const filter_class_t *(*info)(void);
    const filter_class_t *cls;
    unsigned sizes[] = {1, 2, 4, 8, 3, 16};
    size_t lengths[] = {1, 5, 48, 64, 67, 1000, 1003}, s, l;
    if (!plugin) {
        fprintf(stderr, "usage: shuffle_check PLUGIN.so (%s)\n", dlerror());
        return 2;
    }
    *(void **)&info = dlsym(plugin, "H5PLget_plugin_info");
    if (!info || !(cls = info()) || cls->id != 2) {
        fprintf(stderr, "shuffle_check: %s is not an HDF5 plugin for filter 2\n", argv[1]);
        return 1;
    }
    for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
            check(cls->filter, sizes[s], lengths[l]);
    if (!failures)
        printf("shuffle plugin: the chunks Debian's HDF5 shuffle stores (element sizes 1-16), HDF5's layout with trailing bytes, both ways\n");
    return failures ? 1 : 0;
}
