/*
 * HDF5 filter 1 (deflate) as numcodecs' `zlib`, for netCDF's NCZarr.
 *
 * HDF5's deflate filter writes exactly numcodecs' zlib stream (a zlib-wrapped deflate stream), so
 * NCZarr maps numcodecs' {"id":"zlib","level":L} to filter 1 with cd_values [L]. HDF5 itself never loads
 * this plugin (deflate is built into HDF5); netCDF's NCZarr calls it for Zarr chunks, as it would call
 * its own deflate plugin. numcodecs' level -1 (zlib's default) becomes 6, as HDF5 wants 0-9.
 */
#include "h5z_numcodecs.h"

#define FILTER_ID 1
#define CODEC_ID "zlib"
#define OPTION "level"
#define DEFAULT_VALUE 1

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    long value = cd_nelmts > 0 ? (long)(int)cd_values[0] : DEFAULT_VALUE;
    return h5z_numcodecs_int_option_filter(CODEC_ID, OPTION, value, flags, nbytes, buf_size, buf);
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "deflate as numcodecs zlib (libnumcodecs)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    size_t n = 0;
    unsigned *params = NULL;
    int status = h5z_numcodecs_int_option_to_hdf5(codec, CODEC_ID, OPTION, &n, &params);
    if (status == NC_NOERR && n == 1 && params[0] == (unsigned)-1)
        params[0] = 6;
    if (status == NC_NOERR) {
        *nparamsp = n;
        *paramsp = params;
    }
    return status;
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"%s\",\"%s\":%d}", CODEC_ID, OPTION,
                                  nparams > 0 ? (int)params[0] : DEFAULT_VALUE);
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, CODEC_ID, FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, NULL,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
