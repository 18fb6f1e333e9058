/*
 * HDF5 filter 307 (bzip2), compatible with PyTables', netCDF's and hdf5plugin's bzip2 filters.
 *
 * cd_values: [0] bzip2 block size in units of 100 kB, 1-9 (default 9). A chunk is one bzip2 stream:
 * numcodecs' `bz2` codec with that level.
 *
 * NCZarr codec: numcodecs' {"id":"bz2","level":N} <-> cd_values [N].
 */
#include <stdlib.h>

#include "h5z_numcodecs.h"

#define FILTER_ID 307
#define DEFAULT_BLOCK_SIZE 9

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    numcodecs_codec *codec;
    size_t result;
    if (flags & H5Z_FLAG_REVERSE) {
        codec = h5z_numcodecs_codec("{\"id\":\"bz2\"}");
        if (!codec)
            return 0;
        result = h5z_numcodecs_decode(codec, nbytes, buf_size, buf);
    } else {
        unsigned block_size = cd_nelmts > 0 ? cd_values[0] : DEFAULT_BLOCK_SIZE;
        if (block_size < 1 || block_size > 9) /* the reference filters refuse these too */
            return h5z_numcodecs_fail("bzip2 block size (cd_values[0]) must be 1 to 9");
        codec = h5z_numcodecs_codec("{\"id\":\"bz2\",\"level\":%u}", block_size);
        if (!codec)
            return 0;
        result = h5z_numcodecs_encode(codec, NULL, nbytes, buf_size, buf);
    }
    numcodecs_codec_free(codec);
    return result;
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "bzip2 (libnumcodecs)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    char *config = h5z_numcodecs_canonical_config(codec, "bz2");
    long level = 0;
    unsigned value;
    int found = config && h5z_numcodecs_config_int(config, "level", &level) == 0;
    free(config);
    if (!found || level < 1 || level > 9)
        return NC_EFILTER;
    value = (unsigned)level;
    return h5z_numcodecs_nc_params(1, &value, nparamsp, paramsp);
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    unsigned level = nparams > 0 ? params[0] : DEFAULT_BLOCK_SIZE;
    if (level < 1 || level > 9)
        return NC_EFILTER;
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"bz2\",\"level\":%u}", level);
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, "bz2", FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, NULL,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
