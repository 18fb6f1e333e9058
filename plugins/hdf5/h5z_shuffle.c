/*
 * HDF5 filter 2 (shuffle) as numcodecs' `shuffle`, for netCDF's NCZarr.
 *
 * HDF5's shuffle filter and numcodecs' shuffle are the same byte transposition: with n whole elements
 * of `size` bytes, byte b of element i goes to b * n + i. HDF5's cd_values are [element size] (its
 * set_local fills in the datatype's size); a chunk whose length is not a multiple of the element size
 * keeps its trailing bytes in place, as HDF5 does (numcodecs refuses such buffers, and Zarr chunks never
 * are). HDF5 itself never loads this plugin (shuffle is built into HDF5); netCDF's NCZarr calls it for
 * Zarr chunks, so netCDF's `shuffle=True` and numcodecs' shuffle filter read each other's stores.
 *
 * NCZarr codec: numcodecs' {"id":"shuffle","elementsize":N} <-> cd_values [N] (an elementsize <= 1,
 * which numcodecs treats as "copy", becomes 1). netCDF defines shuffle without cd_values
 * (nc_def_var_deflate, nc_def_var_filter(..., 2, 0, NULL)); NCZ_modify_parameters then fills in the
 * variable's type size, in the visible parameters too, so that the .zarray records the real
 * elementsize. (netCDF-C's own shuffle codec, plugins/NCZhdf5filters.c, writes "elementsize" as a
 * JSON string, which numcodecs cannot use; this one writes the integer numcodecs writes.)
 */
#include <stdlib.h>
#include <string.h>

#include "h5z_numcodecs.h"

#define FILTER_ID 2
#define CODEC_ID "shuffle"

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    size_t size, whole, written = 0;
    numcodecs_codec *codec;
    numcodecs_status status;
    void *out;
    if (cd_nelmts < 1)
        return h5z_numcodecs_fail("shuffle needs the element size in cd_values[0]");
    size = cd_values[0];
    whole = size > 1 ? nbytes - nbytes % size : 0;
    /* Fewer than two whole elements (or one-byte elements): the transposition changes nothing. */
    if (size <= 1 || whole < 2 * size)
        return nbytes;
    codec = h5z_numcodecs_codec("{\"id\":\"%s\",\"elementsize\":%zu}", CODEC_ID, size);
    if (!codec)
        return 0;
    out = malloc(nbytes);
    if (!out) {
        numcodecs_codec_free(codec);
        return h5z_numcodecs_fail("out of memory");
    }
    if (flags & H5Z_FLAG_REVERSE)
        status = numcodecs_decode(codec, *buf, whole, out, whole, &written);
    else
        status = numcodecs_encode(codec, *buf, whole, NULL, out, whole, &written);
    numcodecs_codec_free(codec);
    if (status != NUMCODECS_OK || written != whole) {
        free(out);
        return status != NUMCODECS_OK ? 0 : h5z_numcodecs_fail("shuffle changed the chunk's length");
    }
    memcpy((char *)out + whole, (const char *)*buf + whole, nbytes - whole);
    free(*buf);
    *buf = out;
    *buf_size = nbytes;
    return nbytes;
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "shuffle as numcodecs shuffle (libnumcodecs)", NULL, NULL, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    char *config = h5z_numcodecs_canonical_config(codec, CODEC_ID);
    long elementsize = 0;
    unsigned value;
    /* The canonical configuration echoes elementsize as given; only integers are usable (numcodecs
     * fails every encode and decode with anything else). */
    int found = config && h5z_numcodecs_config_int(config, "elementsize", &elementsize) == 0;
    free(config);
    if (!found || elementsize > 0xffffffffL)
        return NC_EFILTER;
    value = elementsize < 1 ? 1u : (unsigned)elementsize;
    return h5z_numcodecs_nc_params(1, &value, nparamsp, paramsp);
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    /* Without cd_values the element size is unknown here (NCZ_modify_parameters supplies it first). */
    if (nparams < 1)
        return NC_EFILTER;
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"%s\",\"elementsize\":%u}", CODEC_ID, params[0]);
}

/* netCDF's functions, declared as netcdf.h has them (nc_type is an int). */
typedef int (*nc_inq_var_t)(int ncid, int varid, char *name, int *xtypep, int *ndimsp, int *dimidsp, int *nattsp);
typedef int (*nc_inq_type_t)(int ncid, int xtype, char *name, size_t *sizep);

static int modify_parameters(int ncid, int varid, size_t *vnparamsp, unsigned **vparamsp, size_t *wnparamsp,
                             unsigned **wparamsp) {
    const void *caller = H5Z_NUMCODECS_CALLER();
    nc_inq_var_t inq_var;
    nc_inq_type_t inq_type;
    unsigned value;
    size_t typesize = 0;
    int xtype = 0, status;
    if (!vnparamsp || !vparamsp || !wnparamsp || !wparamsp)
        return NC_EFILTER;
    if (*vnparamsp >= 1 && *vparamsp) {
        /* A Zarr store's elementsize (or a netCDF user's explicit one) stands. */
        value = (*vparamsp)[0];
    } else {
        *(void **)&inq_var = h5z_numcodecs_caller_symbol(caller, "nc_inq_var");
        *(void **)&inq_type = h5z_numcodecs_caller_symbol(caller, "nc_inq_type");
        if (!inq_var || !inq_type || inq_var(ncid, varid, NULL, &xtype, NULL, NULL, NULL) != NC_NOERR ||
            inq_type(ncid, xtype, NULL, &typesize) != NC_NOERR || typesize == 0 || typesize > 0xffffffffu)
            return NC_EFILTER;
        value = (unsigned)typesize;
        free(*vparamsp);
        *vparamsp = NULL;
        *vnparamsp = 0;
        if ((status = h5z_numcodecs_nc_params(1, &value, vnparamsp, vparamsp)) != NC_NOERR)
            return status;
    }
    free(*wparamsp);
    *wparamsp = NULL;
    *wnparamsp = 0;
    return h5z_numcodecs_nc_params(1, &value, wnparamsp, wparamsp);
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, CODEC_ID, FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, modify_parameters,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
