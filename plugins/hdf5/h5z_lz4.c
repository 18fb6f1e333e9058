/*
 * HDF5 filter 32004 (lz4), compatible with the HDF Group's H5Zlz4.c and hdf5plugin.LZ4.
 *
 * cd_values: [0] block size in bytes (0 or absent: 1 GiB). A chunk is an 8-byte big-endian decoded
 * size, a 4-byte big-endian block size, then per block a 4-byte big-endian length and an LZ4 block
 * (stored as is when LZ4 does not shrink it). This is not numcodecs' lz4 framing; libnumcodecs has
 * it as numcodecs_hdf5_lz4_encode_alloc / numcodecs_hdf5_lz4_decode_alloc.
 */
#include "h5z_numcodecs.h"

#define FILTER_ID 32004

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    uint8_t *out = NULL;
    size_t out_len = 0;
    numcodecs_status status;
    if (flags & H5Z_FLAG_REVERSE)
        status = numcodecs_hdf5_lz4_decode_alloc(*buf, nbytes, &out, &out_len);
    else
        status = numcodecs_hdf5_lz4_encode_alloc(*buf, nbytes, cd_nelmts > 0 ? cd_values[0] : 0, &out, &out_len);
    if (status != NUMCODECS_OK)
        return 0;
    return h5z_numcodecs_replace(out, out_len, buf_size, buf);
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "lz4 (libnumcodecs)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }
