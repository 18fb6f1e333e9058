/*
 * HDF5 filter 32001 (blosc), compatible with hdf5-blosc and hdf5plugin.Blosc.
 *
 * cd_values: [0] filter revision (2), [1] blosc format version (2), [2] element size, [3] chunk size in
 * bytes (slots 0-3 are filled by set_local), [4] clevel (default 5), [5] shuffle: 0 none, 1 byte, 2 bit
 * (default 1), [6] compressor: 0 blosclz (the default), 1 lz4, 2 lz4hc, 3 snappy (not supported by
 * numcodecs, so not here either), 4 zlib, 5 zstd. A chunk is one blosc1 frame.
 *
 * NCZarr codec: numcodecs' {"id":"blosc","cname":C,"clevel":L,"shuffle":S,"blocksize":B} <-> cd_values
 * [0, 0, 0, 0, L, S, code of C]. HDF5's blosc filter has no block size slot (B is always automatic when
 * writing; reading needs none), and numcodecs' AUTOSHUFFLE (-1) becomes byte shuffle. NCZarr calls no
 * set_local; NCZ_modify_parameters fills slots 0-3 instead, from the variable's type and chunking
 * (nc_inq_var, nc_inq_type and nc_inq_var_chunking, found in the libnetcdf that calls it).
 */
#include <stdlib.h>
#include <string.h>

#include "h5z_numcodecs.h"

#define FILTER_ID 32001
#define FILTER_REVISION 2
#define BLOSC_FORMAT_VERSION 2
#define MAX_TYPESIZE 255
#define MAX_RANK 32

static const char *const compressor_names[] = {"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};

static herr_t set_local(hid_t dcpl, hid_t type, hid_t space) {
    h5z_numcodecs_hdf5_api api;
    unsigned flags = 0, values[8] = {0};
    size_t nelements = 8, typesize, basetypesize, chunk_bytes;
    hsize_t dims[MAX_RANK];
    int rank, i;
    (void)space;
    if (h5z_numcodecs_resolve_hdf5(H5Z_NUMCODECS_CALLER(), &api) < 0)
        return -1;
    if (api.pget_filter_by_id2(dcpl, FILTER_ID, &flags, &nelements, values, 0, NULL, NULL) < 0)
        return -1;
    if (nelements < 4)
        nelements = 4;
    if (nelements > 8)
        nelements = 8; /* hdf5-blosc reads at most 8 values too */
    rank = api.pget_chunk(dcpl, MAX_RANK, dims);
    if (rank < 0 || rank > MAX_RANK)
        return -1;
    typesize = api.tget_size(type);
    if (typesize == 0)
        return -1;
    /* Shuffle by the element of an array type (hdf5-blosc does the same). */
    basetypesize = typesize;
    if (api.tget_class(type) == H5T_ARRAY_CLASS) {
        hid_t super = api.tget_super(type);
        if (super < 0)
            return -1;
        basetypesize = api.tget_size(super);
        api.tclose(super);
    }
    if (basetypesize == 0 || basetypesize > MAX_TYPESIZE)
        basetypesize = 1;
    chunk_bytes = typesize;
    for (i = 0; i < rank; i++)
        chunk_bytes *= (size_t)dims[i];
    values[0] = FILTER_REVISION;
    values[1] = BLOSC_FORMAT_VERSION;
    values[2] = (unsigned)basetypesize;
    values[3] = (unsigned)chunk_bytes; /* informational: readers take the size from the blosc header */
    return api.pmodify_filter(dcpl, FILTER_ID, flags, nelements, values) < 0 ? -1 : 1;
}

static size_t run_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    numcodecs_codec *codec;
    size_t result;
    if (flags & H5Z_FLAG_REVERSE) {
        /* The blosc header records everything decoding needs. */
        codec = h5z_numcodecs_codec("{\"id\":\"blosc\"}");
        if (!codec)
            return 0;
        result = h5z_numcodecs_decode(codec, nbytes, buf_size, buf);
    } else {
        unsigned typesize = cd_nelmts >= 3 && cd_values[2] > 0 && cd_values[2] <= MAX_TYPESIZE ? cd_values[2] : 1;
        unsigned clevel = cd_nelmts >= 5 ? cd_values[4] : 5;
        unsigned shuffle = cd_nelmts >= 6 ? cd_values[5] : 1;
        unsigned compressor = cd_nelmts >= 7 ? cd_values[6] : 0;
        if (compressor >= sizeof compressor_names / sizeof compressor_names[0])
            return h5z_numcodecs_fail("unknown blosc compressor code (cd_values[6])");
        if (shuffle > 2)
            return h5z_numcodecs_fail("blosc shuffle (cd_values[5]) must be 0, 1 or 2");
        /* numcodecs refuses snappy and clevel > 9, so the codec is not created and the chunk fails. */
        codec = h5z_numcodecs_codec("{\"id\":\"blosc\",\"cname\":\"%s\",\"clevel\":%u,\"shuffle\":%u,\"blocksize\":0,"
                                    "\"typesize\":%u}",
                                    compressor_names[compressor], clevel, shuffle, typesize);
        if (!codec)
            return 0;
        result = h5z_numcodecs_encode(codec, NULL, nbytes, buf_size, buf);
    }
    numcodecs_codec_free(codec);
    return result;
}

H5Z_NUMCODECS_REPORTING_FILTER(filter, run_filter, FILTER_ID)

static const H5Z_class2_t filter_class = {
    H5Z_CLASS_T_VERS, FILTER_ID, 1, 1, "blosc (libnumcodecs)", NULL, set_local, filter,
};

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_FILTER; }
const void *H5PLget_plugin_info(void) { return &filter_class; }

static int codec_to_hdf5(const char *codec, size_t *nparamsp, unsigned **paramsp) {
    char *config = h5z_numcodecs_canonical_config(codec, "blosc");
    char cname[16];
    long clevel = 0, shuffle = 0;
    unsigned values[7] = {0}, code;
    int found = config && h5z_numcodecs_config_string(config, "cname", cname, sizeof cname) == 0 &&
                h5z_numcodecs_config_int(config, "clevel", &clevel) == 0 &&
                h5z_numcodecs_config_int(config, "shuffle", &shuffle) == 0;
    free(config);
    if (!found)
        return NC_EFILTER;
    for (code = 0; code < sizeof compressor_names / sizeof compressor_names[0]; code++)
        if (strcmp(cname, compressor_names[code]) == 0)
            break;
    if (code == sizeof compressor_names / sizeof compressor_names[0])
        return NC_EFILTER;
    values[4] = (unsigned)clevel;
    values[5] = shuffle < 0 ? 1u : (unsigned)shuffle;
    values[6] = code;
    return h5z_numcodecs_nc_params(7, values, nparamsp, paramsp);
}

static int hdf5_to_codec(size_t nparams, const unsigned *params, char **codecp) {
    unsigned clevel = nparams >= 5 ? params[4] : 5;
    unsigned shuffle = nparams >= 6 ? params[5] : 1;
    unsigned code = nparams >= 7 ? params[6] : 0;
    if (code >= sizeof compressor_names / sizeof compressor_names[0] || shuffle > 2 || clevel > 9)
        return NC_EFILTER;
    return h5z_numcodecs_nc_codec(codecp, "{\"id\":\"blosc\",\"cname\":\"%s\",\"clevel\":%u,\"shuffle\":%u,\"blocksize\":0}",
                                  compressor_names[code], clevel, shuffle);
}

/* netCDF's functions, declared as netcdf.h has them (nc_type is an int). */
typedef int (*nc_inq_var_t)(int ncid, int varid, char *name, int *xtypep, int *ndimsp, int *dimidsp, int *nattsp);
typedef int (*nc_inq_type_t)(int ncid, int xtype, char *name, size_t *sizep);
typedef int (*nc_inq_var_chunking_t)(int ncid, int varid, int *storagep, size_t *chunksizesp);
#define NC_CHUNKED 0

static int modify_parameters(int ncid, int varid, size_t *vnparamsp, unsigned **vparamsp, size_t *wnparamsp,
                             unsigned **wparamsp) {
    const void *caller = H5Z_NUMCODECS_CALLER();
    nc_inq_var_t inq_var;
    nc_inq_type_t inq_type;
    nc_inq_var_chunking_t inq_chunking;
    unsigned values[7] = {0};
    size_t visible = vnparamsp && vparamsp && *vparamsp ? *vnparamsp : 0, typesize = 0, chunk_bytes, chunks[MAX_RANK];
    int xtype = 0, rank = 0, storage = -1, i, status;
    if (!wnparamsp || !wparamsp)
        return NC_EFILTER;
    memcpy(values, *vparamsp, (visible < 7 ? visible : 7) * sizeof values[0]);
    if (visible < 5)
        values[4] = 5;
    if (visible < 6)
        values[5] = 1;
    *(void **)&inq_var = h5z_numcodecs_caller_symbol(caller, "nc_inq_var");
    *(void **)&inq_type = h5z_numcodecs_caller_symbol(caller, "nc_inq_type");
    *(void **)&inq_chunking = h5z_numcodecs_caller_symbol(caller, "nc_inq_var_chunking");
    if (!inq_var || !inq_type || !inq_chunking)
        return NC_EFILTER;
    if (inq_var(ncid, varid, NULL, &xtype, &rank, NULL, NULL) != NC_NOERR || rank < 0 || rank > MAX_RANK ||
        inq_type(ncid, xtype, NULL, &typesize) != NC_NOERR || typesize == 0 ||
        inq_chunking(ncid, varid, &storage, chunks) != NC_NOERR)
        return NC_EFILTER;
    chunk_bytes = typesize;
    for (i = 0; i < rank && storage == NC_CHUNKED; i++)
        chunk_bytes *= chunks[i];
    values[0] = FILTER_REVISION;
    values[1] = BLOSC_FORMAT_VERSION;
    values[2] = typesize <= MAX_TYPESIZE ? (unsigned)typesize : 1;
    values[3] = (unsigned)chunk_bytes;
    free(*wparamsp); /* netCDF's own blosc codec replaces the working parameters the same way */
    *wparamsp = NULL;
    status = h5z_numcodecs_nc_params(7, values, wnparamsp, wparamsp);
    return status;
}

static const NCZ_codec_t codec_class = {
    NCZ_CODEC_CLASS_VER, NCZ_CODEC_HDF5, "blosc", FILTER_ID, NULL, NULL, codec_to_hdf5, hdf5_to_codec, modify_parameters,
};

const void *NCZ_get_codec_info(void) { return &codec_class; }
