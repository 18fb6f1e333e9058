/*
 * The part of HDF5's plugin ABI the libnumcodecs filter plugins need, declared here so that the plugins
 * build without HDF5's headers and never link libhdf5 (h5py bundles its own HDF5; a plugin that pulled
 * Debian's libhdf5 into that process would hand h5py's property lists to the wrong library).
 *
 * The declarations match HDF5 1.10 to 2.0 (hid_t is 64-bit since 1.10), which all use H5Z_class2_t.
 */
#ifndef H5Z_NUMCODECS_H
#define H5Z_NUMCODECS_H

#include <stddef.h>
#include <stdint.h>

#include "numcodecs.h"

typedef int64_t hid_t;
typedef int herr_t;
typedef int htri_t;
typedef unsigned long long hsize_t;
typedef int H5Z_filter_t;

/* H5PL_type_t: the plugins are filters. */
typedef enum { H5PL_TYPE_ERROR = -1, H5PL_TYPE_FILTER = 0 } H5PL_type_t;

typedef htri_t (*H5Z_can_apply_func_t)(hid_t dcpl_id, hid_t type_id, hid_t space_id);
typedef herr_t (*H5Z_set_local_func_t)(hid_t dcpl_id, hid_t type_id, hid_t space_id);
typedef size_t (*H5Z_func_t)(unsigned int flags, size_t cd_nelmts, const unsigned int cd_values[], size_t nbytes,
                             size_t *buf_size, void **buf);

/* H5Z_class2_t, version H5Z_CLASS_T_VERS (1). */
typedef struct {
    int version;
    H5Z_filter_t id;
    unsigned encoder_present;
    unsigned decoder_present;
    const char *name;
    H5Z_can_apply_func_t can_apply;
    H5Z_set_local_func_t set_local;
    H5Z_func_t filter;
} H5Z_class2_t;

#define H5Z_CLASS_T_VERS 1
/* The filter function's flags: set when decoding (reading). */
#define H5Z_FLAG_REVERSE 0x0100u
/* H5T_class_t value of array datatypes. */
#define H5T_ARRAY_CLASS 10

/* The HDF5 functions set_local callbacks call, found at run time in the libhdf5 that called us. */
typedef struct {
    herr_t (*pget_filter_by_id2)(hid_t plist_id, H5Z_filter_t id, unsigned int *flags, size_t *cd_nelmts,
                                 unsigned cd_values[], size_t namelen, char name[], unsigned *filter_config);
    herr_t (*pmodify_filter)(hid_t plist_id, H5Z_filter_t filter, unsigned int flags, size_t cd_nelmts,
                             const unsigned int cd_values[]);
    int (*pget_chunk)(hid_t plist_id, int max_ndims, hsize_t dim[]);
    size_t (*tget_size)(hid_t type_id);
    int (*tget_class)(hid_t type_id);
    hid_t (*tget_super)(hid_t type);
    herr_t (*tclose)(hid_t type_id);
} h5z_numcodecs_hdf5_api;

/* The function `name` of the library containing `caller` (a return address inside it), else from the
 * process's global symbols; NULL if neither has it. */
void *h5z_numcodecs_caller_symbol(const void *caller, const char *name);

/* Resolves the HDF5 functions from the library containing `caller` (a return address inside libhdf5),
 * falling back to the process's global symbols. Returns 0 on success, -1 if any is missing. */
int h5z_numcodecs_resolve_hdf5(const void *caller, h5z_numcodecs_hdf5_api *api);

/* Replaces *buf (HDF5's malloc'ed chunk of nbytes) with its encoding by `codec`; `info` may be NULL.
 * Returns the encoded length, or 0 on failure (HDF5's failure value), leaving *buf untouched. */
size_t h5z_numcodecs_encode(const numcodecs_codec *codec, const numcodecs_array_info *info, size_t nbytes,
                            size_t *buf_size, void **buf);

/* Replaces *buf with its decoding by `codec`. Returns the decoded length, or 0 on failure. */
size_t h5z_numcodecs_decode(const numcodecs_codec *codec, size_t nbytes, size_t *buf_size, void **buf);

/* Hands `len` bytes of a libnumcodecs buffer to HDF5 as malloc'ed memory in place of *buf (freeing both
 * the old chunk and `bytes`). Returns `len`, or 0 (and frees `bytes`) when out of memory. */
size_t h5z_numcodecs_replace(uint8_t *bytes, size_t len, size_t *buf_size, void **buf);

/* Records why the running filter failed, when the failure is the plugin's own (a bad cd_value, no
 * memory) rather than a libnumcodecs call's, whose message numcodecs_last_error() already holds.
 * Returns 0, HDF5's failure value, so that `return h5z_numcodecs_fail("...");` ends a filter. */
size_t h5z_numcodecs_fail(const char *message);

/* Called by the filter wrapper below: forgets a previous chunk's failure. */
void h5z_numcodecs_begin_filter(void);

/* Called by the filter wrapper below with what the filter returned: when that is 0 (failure), pushes
 * why onto the error stack of the libhdf5 that called (H5Epush2 and its error class and codes are
 * found at run time, like set_local's functions), so that h5dump --enable-error-stack, h5py's
 * exceptions and H5Eprint show the reason, not only HDF5's "filter returned failure". Returns `result`. */
size_t h5z_numcodecs_report(const void *caller, int filter_id, unsigned flags, size_t result);

/* Defines the filter function HDF5 calls, `wrapper`, as `body` plus the error report above. The
 * wrapper is what HDF5 (or netCDF) calls directly, so its return address names the calling library. */
#define H5Z_NUMCODECS_REPORTING_FILTER(wrapper, body, filter_id)                                                  \
    static size_t wrapper(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,             \
                          size_t *buf_size, void **buf) {                                                          \
        h5z_numcodecs_begin_filter();                                                                              \
        return h5z_numcodecs_report(H5Z_NUMCODECS_CALLER(), (filter_id), flags,                                   \
                                    body(flags, cd_nelmts, cd_values, nbytes, buf_size, buf));                     \
    }

/* A codec from a JSON configuration printed with printf-style arguments; NULL on failure. */
numcodecs_codec *h5z_numcodecs_codec(const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#if defined(__GNUC__)
#define H5Z_NUMCODECS_EXPORT __attribute__((visibility("default")))
#define H5Z_NUMCODECS_CALLER() __builtin_return_address(0)
#else
#define H5Z_NUMCODECS_EXPORT
#define H5Z_NUMCODECS_CALLER() NULL
#endif

/* The two functions HDF5's plugin loader looks up. */
H5Z_NUMCODECS_EXPORT H5PL_type_t H5PLget_plugin_type(void);
H5Z_NUMCODECS_EXPORT const void *H5PLget_plugin_info(void);

/*
 * netCDF-C's NCZarr codec plugin ABI (netcdf_filter_build.h, the same in netCDF-C 4.9.x and 4.10.x),
 * declared here because Debian does not install that header. NCZarr finds a plugin on
 * HDF5_PLUGIN_PATH, pairs its NCZ_get_codec_info() with its H5PLget_plugin_info() by HDF5 id, maps the
 * Zarr codec JSON to the filter's cd_values with NCZ_codec_to_hdf5 (reading) and back with
 * NCZ_hdf5_to_codec (writing), and calls the HDF5 filter function on the chunks itself.
 */
#define NCZ_CODEC_CLASS_VER 1
#define NCZ_CODEC_HDF5 1
#define NC_NOERR 0
#define NC_EINVAL (-36)
#define NC_ENOMEM (-61)
#define NC_EFILTER (-132)

typedef struct {
    int version; /* NCZ_CODEC_CLASS_VER */
    int sort;    /* NCZ_CODEC_HDF5 */
    const char *codecid;
    unsigned int hdf5id;
    void (*NCZ_codec_initialize)(void);
    void (*NCZ_codec_finalize)(void);
    int (*NCZ_codec_to_hdf5)(const char *codec, size_t *nparamsp, unsigned **paramsp);
    int (*NCZ_hdf5_to_codec)(size_t nparams, const unsigned *params, char **codecp);
    int (*NCZ_modify_parameters)(int ncid, int varid, size_t *vnparamsp, unsigned **vparamsp, size_t *wnparamsp,
                                 unsigned **wparamsp);
} NCZ_codec_t;

H5Z_NUMCODECS_EXPORT const void *NCZ_get_codec_info(void);

/* A numcodecs configuration as libnumcodecs prints it (defaults filled, fixed key order, no spaces),
 * if `json` is a valid configuration of codec `id`; malloc'ed, or NULL. */
char *h5z_numcodecs_canonical_config(const char *json, const char *id);

/* The integer value of "key" in a canonical configuration; 0 on success, -1 if absent. */
int h5z_numcodecs_config_int(const char *config, const char *key, long *value);

/* The string value of "key" in a canonical configuration, into out[cap]; 0 on success, -1 otherwise. */
int h5z_numcodecs_config_string(const char *config, const char *key, char *out, size_t cap);

/* The filter function of a numcodecs codec configured by at most one integer option `key` (set from
 * `value` when encoding; decoding needs no options): zlib, gzip, lz4. Returns what HDF5 expects. */
size_t h5z_numcodecs_int_option_filter(const char *id, const char *key, long value, unsigned flags, size_t nbytes,
                                       size_t *buf_size, void **buf);

/* NCZ_codec_to_hdf5 for such a codec: cd_values [the option as a C int's bits], the option's
 * numcodecs default filled in by libnumcodecs. */
int h5z_numcodecs_int_option_to_hdf5(const char *codec, const char *id, const char *key, size_t *nparamsp,
                                     unsigned **paramsp);

/* Hands `n` cd_values to netCDF in a malloc'ed array (netCDF frees it). Returns an NC_ status. */
int h5z_numcodecs_nc_params(size_t n, const unsigned *values, size_t *nparamsp, unsigned **paramsp);

/* Hands a printf-formatted codec JSON to netCDF as a malloc'ed string. Returns an NC_ status. */
int h5z_numcodecs_nc_codec(char **codecp, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
