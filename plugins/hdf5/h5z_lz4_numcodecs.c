/*
 * numcodecs' `lz4` on the private HDF5 filter id 65001, for netCDF's NCZarr.
 *
 * numcodecs frames LZ4 as a 4-byte little-endian size plus one block, which is not HDF5's LZ4
 * filter (32004), so this codec has an unregistered id, private to libnumcodecs: files using it are
 * readable only with this plugin. Zarr stores never record HDF5 ids, so NCZarr stores written through
 * it are ordinary numcodecs lz4. cd_values: [acceleration] (numcodecs' default 1).
 */
#include "h5z_numcodecs.h"

#define FILTER_ID 65001
#define CODEC_ID "lz4"
#define OPTION "acceleration"
#define DEFAULT_VALUE 1

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    long value = cd_nelmts > 0 ? (long)(int)cd_values[0] : DEFAULT_VALUE;
    return h5z_numcodecs_int_option_filter(CODEC_ID, OPTION, value, flags, nbytes, buf_size, buf);
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "numcodecs lz4 (libnumcodecs, private id)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    return h5z_numcodecs_int_option_to_hdf5(codec, CODEC_ID, OPTION, nparamsp, paramsp);
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"%s\",\"%s\":%d}", CODEC_ID, OPTION,
                                  nparams > 0 ? (int)params[0] : DEFAULT_VALUE);
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, CODEC_ID, FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, NULL,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
