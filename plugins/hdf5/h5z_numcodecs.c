/* Shared code of the libnumcodecs HDF5 filter plugins: finding HDF5's functions, and moving chunks
 * between HDF5's malloc'ed buffers and libnumcodecs. */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT, RTLD_NOLOAD */
#include "h5z_numcodecs.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *find_symbol(void *library, const char *name) {
    void *symbol = library ? dlsym(library, name) : NULL;
    return symbol ? symbol : dlsym(RTLD_DEFAULT, name);
}

int h5z_numcodecs_resolve_hdf5(const void *caller, h5z_numcodecs_hdf5_api *api) {
    /* HDF5 calls set_local from inside libhdf5, so the return address names the library whose property
     * lists we were given. In h5py that library is loaded privately (RTLD_LOCAL), so RTLD_DEFAULT alone
     * would not see it; in Debian's tools it would, which is why it remains the fallback. */
    void *library = NULL;
    Dl_info where;
    if (caller && dladdr(caller, &where) && where.dli_fname)
        library = dlopen(where.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    /* Plain casts from void * to function pointers: POSIX guarantees dlsym results convert. */
    *(void **)&api->pget_filter_by_id2 = find_symbol(library, "H5Pget_filter_by_id2");
    *(void **)&api->pmodify_filter = find_symbol(library, "H5Pmodify_filter");
    *(void **)&api->pget_chunk = find_symbol(library, "H5Pget_chunk");
    *(void **)&api->tget_size = find_symbol(library, "H5Tget_size");
    *(void **)&api->tget_class = find_symbol(library, "H5Tget_class");
    *(void **)&api->tget_super = find_symbol(library, "H5Tget_super");
    *(void **)&api->tclose = find_symbol(library, "H5Tclose");
    /* The library stays loaded (it is calling us); drop only the reference RTLD_NOLOAD took. */
    if (library)
        dlclose(library);
    return api->pget_filter_by_id2 && api->pmodify_filter && api->pget_chunk && api->tget_size && api->tget_class &&
                   api->tget_super && api->tclose
               ? 0
               : -1;
}

numcodecs_codec *h5z_numcodecs_codec(const char *format, ...) {
    char json[256];
    va_list args;
    int len;
    numcodecs_codec *codec = NULL;
    va_start(args, format);
    len = vsnprintf(json, sizeof json, format, args);
    va_end(args);
    if (len < 0 || (size_t)len >= sizeof json)
        return NULL;
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
        return 0;
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
        return 0;
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
            return 0;
        if (numcodecs_decode(codec, *buf, nbytes, out, size, &written) != NUMCODECS_OK || written != size) {
            free(out);
            return 0;
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
