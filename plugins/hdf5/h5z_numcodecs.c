/* Shared code of the libnumcodecs HDF5 filter plugins: finding HDF5's functions, and moving chunks
 * between HDF5's malloc'ed buffers and libnumcodecs. */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT, RTLD_NOLOAD */
#include "h5z_numcodecs.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *h5z_numcodecs_caller_symbol(const void *caller, const char *name) {
    /* HDF5 calls set_local, and netCDF calls NCZ_modify_parameters, from inside its own library, so the
     * return address names the library whose objects we were given. h5py and netCDF4-python load theirs
     * privately (RTLD_LOCAL), so RTLD_DEFAULT alone would not see them; in Debian's tools it would,
     * which is why it remains the fallback. */
    void *library = NULL, *symbol = NULL;
    Dl_info where;
    if (caller && dladdr(caller, &where) && where.dli_fname)
        library = dlopen(where.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (library) {
        symbol = dlsym(library, name);
        /* The library stays loaded (it is calling us); drop only the reference RTLD_NOLOAD took. */
        dlclose(library);
    }
    return symbol ? symbol : dlsym(RTLD_DEFAULT, name);
}

int h5z_numcodecs_resolve_hdf5(const void *caller, h5z_numcodecs_hdf5_api *api) {
    /* Plain casts from void * to function pointers: POSIX guarantees dlsym results convert. */
    *(void **)&api->pget_filter_by_id2 = h5z_numcodecs_caller_symbol(caller, "H5Pget_filter_by_id2");
    *(void **)&api->pmodify_filter = h5z_numcodecs_caller_symbol(caller, "H5Pmodify_filter");
    *(void **)&api->pget_chunk = h5z_numcodecs_caller_symbol(caller, "H5Pget_chunk");
    *(void **)&api->tget_size = h5z_numcodecs_caller_symbol(caller, "H5Tget_size");
    *(void **)&api->tget_class = h5z_numcodecs_caller_symbol(caller, "H5Tget_class");
    *(void **)&api->tget_super = h5z_numcodecs_caller_symbol(caller, "H5Tget_super");
    *(void **)&api->tclose = h5z_numcodecs_caller_symbol(caller, "H5Tclose");
    return api->pget_filter_by_id2 && api->pmodify_filter && api->pget_chunk && api->tget_size && api->tget_class &&
                   api->tget_super && api->tclose
               ? 0
               : -1;
}

/* ---- error reports ------------------------------------------------------------------------------- */

/* The running filter's own failure message (static strings only), per thread like HDF5's error stacks
 * and numcodecs_last_error(). */
static __thread const char *filter_failure;

size_t h5z_numcodecs_fail(const char *message) {
    filter_failure = message;
    return 0;
}

void h5z_numcodecs_begin_filter(void) { filter_failure = NULL; }

/* H5Epush2's signature (H5Epublic.h, HDF5 1.8 to 2.0); `msg` is a printf format. */
typedef herr_t (*h5e_push2_t)(hid_t err_stack, const char *file, const char *func, unsigned line, hid_t cls_id,
                              hid_t maj_id, hid_t min_id, const char *msg, ...);
/* H5E_DEFAULT: the calling thread's current error stack. */
#define H5E_DEFAULT_STACK ((hid_t)0)

size_t h5z_numcodecs_report(const void *caller, int filter_id, unsigned flags, size_t result) {
    h5e_push2_t push;
    const hid_t *error_class, *major, *minor;
    const char *why;
    if (result != 0)
        return result;
    why = filter_failure ? filter_failure : numcodecs_last_error();
    *(void **)&push = h5z_numcodecs_caller_symbol(caller, "H5Epush2");
    /* The error class and codes are hid_t variables of libhdf5 (what the H5E_ERR_CLS, H5E_PLINE and
     * H5E_CANTFILTER macros read); they are set once the library is open, which it is while it filters. */
    error_class = h5z_numcodecs_caller_symbol(caller, "H5E_ERR_CLS_g");
    major = h5z_numcodecs_caller_symbol(caller, "H5E_PLINE_g");
    minor = h5z_numcodecs_caller_symbol(caller, "H5E_CANTFILTER_g");
    /* Without them (not called by HDF5, or an HDF5 without these symbols) the failure is still
     * reported by the caller, only without the reason. */
    if (push && error_class && major && minor)
        push(H5E_DEFAULT_STACK, __FILE__, "h5z_numcodecs_filter", __LINE__, *error_class, *major, *minor,
             "libnumcodecs filter %d cannot %s the chunk: %s", filter_id,
             (flags & H5Z_FLAG_REVERSE) ? "decode" : "encode", why && *why ? why : "unknown error");
    return 0;
}

numcodecs_codec *h5z_numcodecs_codec(const char *format, ...) {
    char json[256];
    va_list args;
    int len;
    numcodecs_codec *codec = NULL;
    va_start(args, format);
    len = vsnprintf(json, sizeof json, format, args);
    va_end(args);
    if (len < 0 || (size_t)len >= sizeof json) {
        h5z_numcodecs_fail("codec configuration too long");
        return NULL;
    }
    if (numcodecs_codec_from_json(json, (size_t)len, &codec) != NUMCODECS_OK)
        return NULL;
    return codec;
}

size_t h5z_numcodecs_replace(uint8_t *bytes, size_t len, size_t *buf_size, void **buf) {
    /* HDF5 frees chunk buffers with free(), so they must come from malloc (at least 1 byte, so that an
     * empty result is not mistaken for an allocation failure). */
    void *out = malloc(len ? len : 1);
    if (!out) {
        numcodecs_bytes_free(bytes, len);
        return h5z_numcodecs_fail("out of memory");
    }
    if (len)
        memcpy(out, bytes, len);
    numcodecs_bytes_free(bytes, len);
    free(*buf);
    *buf = out;
    *buf_size = len ? len : 1;
    return len;
}

size_t h5z_numcodecs_encode(const numcodecs_codec *codec, const numcodecs_array_info *info, size_t nbytes,
                            size_t *buf_size, void **buf) {
    size_t bound = 0, written = 0;
    void *out;
    if (numcodecs_encode_bound(codec, nbytes, info, &bound) != NUMCODECS_OK)
        return 0;
    out = malloc(bound ? bound : 1);
    if (!out)
        return h5z_numcodecs_fail("out of memory");
    if (numcodecs_encode(codec, *buf, nbytes, info, out, bound, &written) != NUMCODECS_OK) {
        free(out);
        return 0;
    }
    free(*buf);
    *buf = out;
    *buf_size = bound ? bound : 1;
    return written;
}

size_t h5z_numcodecs_decode(const numcodecs_codec *codec, size_t nbytes, size_t *buf_size, void **buf) {
    size_t size = 0, written = 0;
    numcodecs_status status = numcodecs_decoded_size(codec, *buf, nbytes, &size);
    if (status == NUMCODECS_OK) {
        /* The stream records its size (zstd, blosc): decode straight into HDF5's new buffer. */
        void *out = malloc(size ? size : 1);
        if (!out)
            return h5z_numcodecs_fail("out of memory");
        if (numcodecs_decode(codec, *buf, nbytes, out, size, &written) != NUMCODECS_OK) {
            free(out);
            return 0;
        }
        if (written != size) {
            free(out);
            return h5z_numcodecs_fail("the stream decoded to another size than its header records");
        }
        free(*buf);
        *buf = out;
        *buf_size = size ? size : 1;
        return written;
    }
    if (status == NUMCODECS_SIZE_UNKNOWN) {
        uint8_t *decoded = NULL;
        if (numcodecs_decode_alloc(codec, *buf, nbytes, &decoded, &written) != NUMCODECS_OK)
            return 0;
        return h5z_numcodecs_replace(decoded, written, buf_size, buf);
    }
    return 0;
}

/* ---- NCZarr codec helpers ------------------------------------------------------------------------ */

char *h5z_numcodecs_canonical_config(const char *json, const char *id) {
    numcodecs_codec *codec = NULL;
    size_t len = 0;
    char *config = NULL;
    if (!json || numcodecs_codec_from_json(json, strlen(json), &codec) != NUMCODECS_OK)
        return NULL;
    if (strcmp(numcodecs_codec_id(codec), id) == 0 &&
        numcodecs_codec_config(codec, NULL, 0, &len) == NUMCODECS_BUFFER_TOO_SMALL &&
        (config = malloc(len + 1)) != NULL && numcodecs_codec_config(codec, config, len + 1, &len) != NUMCODECS_OK) {
        free(config);
        config = NULL;
    }
    numcodecs_codec_free(codec);
    return config;
}

/* Where the value of "key" starts in a canonical configuration (compact JSON: "key":value). */
static const char *config_value(const char *config, const char *key) {
    char pattern[64];
    const char *at;
    if ((size_t)snprintf(pattern, sizeof pattern, "\"%s\":", key) >= sizeof pattern)
        return NULL;
    at = strstr(config, pattern);
    return at ? at + strlen(pattern) : NULL;
}

int h5z_numcodecs_config_int(const char *config, const char *key, long *value) {
    const char *at = config_value(config, key);
    char *end;
    if (!at)
        return -1;
    *value = strtol(at, &end, 10);
    return end == at ? -1 : 0;
}

int h5z_numcodecs_config_string(const char *config, const char *key, char *out, size_t cap) {
    const char *at = config_value(config, key), *close;
    if (!at || *at != '"' || !(close = strchr(at + 1, '"')) || (size_t)(close - at - 1) >= cap)
        return -1;
    memcpy(out, at + 1, (size_t)(close - at - 1));
    out[close - at - 1] = '\0';
    return 0;
}

int h5z_numcodecs_nc_params(size_t n, const unsigned *values, size_t *nparamsp, unsigned **paramsp) {
    unsigned *params;
    if (!nparamsp || !paramsp)
        return NC_EINVAL;
    if (!(params = malloc((n ? n : 1) * sizeof *params)))
        return NC_ENOMEM;
    if (n)
        memcpy(params, values, n * sizeof *params);
    *nparamsp = n;
    *paramsp = params;
    return NC_NOERR;
}

int h5z_numcodecs_nc_codec(char **codecp, const char *format, ...) {
    char json[256];
    va_list args;
    int len;
    va_start(args, format);
    len = vsnprintf(json, sizeof json, format, args);
    va_end(args);
    if (len < 0 || (size_t)len >= sizeof json)
        return NC_EFILTER;
    if (codecp && !(*codecp = strdup(json)))
        return NC_ENOMEM;
    return NC_NOERR;
}

size_t h5z_numcodecs_int_option_filter(const char *id, const char *key, long value, unsigned flags, size_t nbytes,
                                       size_t *buf_size, void **buf) {
    numcodecs_codec *codec;
    size_t result;
    if (flags & H5Z_FLAG_REVERSE)
        codec = h5z_numcodecs_codec("{\"id\":\"%s\"}", id);
    else
        codec = h5z_numcodecs_codec("{\"id\":\"%s\",\"%s\":%ld}", id, key, value);
    if (!codec)
        return 0;
    if (flags & H5Z_FLAG_REVERSE)
        result = h5z_numcodecs_decode(codec, nbytes, buf_size, buf);
    else
        result = h5z_numcodecs_encode(codec, NULL, nbytes, buf_size, buf);
    numcodecs_codec_free(codec);
    return result;
}

int h5z_numcodecs_int_option_to_hdf5(const char *codec, const char *id, const char *key, size_t *nparamsp,
                                     unsigned **paramsp) {
    char *config = h5z_numcodecs_canonical_config(codec, id);
    long option = 0;
    unsigned value;
    int found = config && h5z_numcodecs_config_int(config, key, &option) == 0;
    free(config);
    if (!found)
        return NC_EFILTER;
    value = (unsigned)(int)option;
    return h5z_numcodecs_nc_params(1, &value, nparamsp, paramsp);
}
