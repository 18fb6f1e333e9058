/*
 * HDF5 filter 3 (Fletcher-32) as numcodecs' `fletcher32`, for netCDF's NCZarr.
 *
 * numcodecs' fletcher32 is HDF5's Fletcher-32 checksum (4 bytes at the end of the chunk), so NCZarr
 * maps {"id":"fletcher32"} to filter 3, without cd_values. HDF5 itself never loads this plugin (the
 * filter is built into HDF5); netCDF's NCZarr calls it for Zarr chunks.
 */
#include <stdlib.h>
#include <string.h>

#include "h5z_numcodecs.h"

#define FILTER_ID 3
#define CODEC_ID "fletcher32"

/* The codec's configuration from cd_values (encoding; decoding the same configuration checks the
 * checksum where it was put). */
static numcodecs_codec *codec_for(size_t nparams, const unsigned *params) {
    (void)nparams;
    (void)params;
    return h5z_numcodecs_codec("{\"id\":\"%s\"}", CODEC_ID);
}

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    numcodecs_codec *codec = codec_for(cd_nelmts, cd_values);
    size_t result;
    (void)flags;
    if (!codec)
        return 0;
    result = (flags & H5Z_FLAG_REVERSE) ? h5z_numcodecs_decode(codec, nbytes, buf_size, buf)
                                        : h5z_numcodecs_encode(codec, NULL, nbytes, buf_size, buf);
    numcodecs_codec_free(codec);
    return result;
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "fletcher32 as numcodecs fletcher32 (libnumcodecs)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    char *config = h5z_numcodecs_canonical_config(codec, CODEC_ID);
    if (!config)
        return NC_EFILTER;
    free(config);
    return h5z_numcodecs_nc_params(0, NULL, nparamsp, paramsp);
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    (void)nparams;
    (void)params;
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"%s\"}", CODEC_ID);
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, CODEC_ID, FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, NULL,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
