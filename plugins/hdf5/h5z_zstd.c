/*
 * HDF5 filter 32015 (zstd), compatible with H5Z-ZSTD and hdf5plugin.Zstd.
 *
 * cd_values: [0] compression level as a C int (default 3; 0 means zstd's default; clamped to zstd's
 * range as H5Z-ZSTD does). A chunk is one bare zstd frame with its content size.
 *
 * NCZarr codec: numcodecs' {"id":"zstd","level":N} <-> cd_values [N].
 */
#include <stdlib.h>

#include "h5z_numcodecs.h"

#define FILTER_ID 32015
#define DEFAULT_LEVEL 3
#define MIN_LEVEL (-131072) /* ZSTD_minCLevel() */
#define MAX_LEVEL 22        /* ZSTD_maxCLevel() */

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    numcodecs_codec *codec;
    size_t result;
    if (flags & H5Z_FLAG_REVERSE) {
        codec = h5z_numcodecs_codec("{\"id\":\"zstd\"}");
        if (!codec)
            return 0;
        result = h5z_numcodecs_decode(codec, nbytes, buf_size, buf);
    } else {
        /* Negative levels arrive as unsigned values; convert back as H5Z-ZSTD does. */
        int level = cd_nelmts > 0 ? (int)cd_values[0] : DEFAULT_LEVEL;
        if (level < MIN_LEVEL)
            level = MIN_LEVEL;
        if (level > MAX_LEVEL)
            level = MAX_LEVEL;
        codec = h5z_numcodecs_codec("{\"id\":\"zstd\",\"level\":%d}", level);
        if (!codec)
            return 0;
        result = h5z_numcodecs_encode(codec, NULL, nbytes, buf_size, buf);
    }
    numcodecs_codec_free(codec);
    return result;
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "zstd (libnumcodecs)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    char *config = h5z_numcodecs_canonical_config(codec, "zstd");
    long level = 0;
    unsigned value;
    int found = config && h5z_numcodecs_config_int(config, "level", &level) == 0;
    free(config);
    if (!found)
        return NC_EFILTER;
    /* numcodecs' level 0 is zstd's default, as it is for ZSTD_compress; negative levels keep their bits. */
    value = (unsigned)(int)level;
    return h5z_numcodecs_nc_params(1, &value, nparamsp, paramsp);
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"zstd\",\"level\":%d}", nparams > 0 ? (int)params[0] : DEFAULT_LEVEL);
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, "zstd", FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, NULL,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
