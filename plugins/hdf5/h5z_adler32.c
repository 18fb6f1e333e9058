/*
 * numcodecs' `adler32` on the private HDF5 filter id 65004, for netCDF's NCZarr.
 *
 * numcodecs' `adler32` checksum (4 bytes, little-endian) on an unregistered HDF5 filter id, private to
 * libnumcodecs, for netCDF's NCZarr; through HDF5 only these plugins read it.
 * cd_values: [location]: 0 start, 1 end (numcodecs' default: start).
 */
#include <stdlib.h>
#include <string.h>

#include "h5z_numcodecs.h"

#define FILTER_ID 65004
#define DEFAULT_END 0u
#define CODEC_ID "adler32"

/* The codec's configuration from cd_values (encoding; decoding the same configuration checks the
 * checksum where it was put). */
static numcodecs_codec *codec_for(size_t nparams, const unsigned *params) {
    unsigned end = nparams > 0 ? params[0] : DEFAULT_END;
    return h5z_numcodecs_codec("{\"id\":\"%s\",\"location\":\"%s\"}", CODEC_ID, end ? "end" : "start");
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
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "numcodecs adler32 (libnumcodecs, private id)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    char *config = h5z_numcodecs_canonical_config(codec, CODEC_ID);
    char where[8] = "";
    unsigned end;
    if (!config)
        return NC_EFILTER;
    /* numcodecs prints the location only when it was given. */
    if (h5z_numcodecs_config_string(config, "location", where, sizeof where) == 0)
        end = strcmp(where, "end") == 0;
    else
        end = DEFAULT_END;
    free(config);
    return h5z_numcodecs_nc_params(1, &end, nparamsp, paramsp);
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    unsigned end = nparams > 0 ? params[0] : DEFAULT_END;
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"%s\",\"location\":\"%s\"}", CODEC_ID, end ? "end" : "start");
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, CODEC_ID, FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, NULL,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
