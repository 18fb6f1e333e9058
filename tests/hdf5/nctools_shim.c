/*
 * Lets Debian's ncdump and nccopy (netcdf-bin 4.9.0) run on the libnetcdf 4.10.1 that the netCDF4
 * wheel bundles, which, unlike Debian's libnetcdf, applies NCZarr filters. tests/hdf5/run.sh links
 * the wheel's library under the soname the tools want (libnetcdf.so.19) and preloads this file.
 *
 * The tools use three functions that libnetcdf 4.9.0 exports and the wheel's 4.10.1 does not (found
 * with nm -D: everything else they call is public netCDF API present in both):
 *   ncsetlogging   netCDF's internal log switch (ncdump -L); a no-op here.
 *   nc__testurl    whether a path is a URL, and its base name, which ncdump prints as the dataset name.
 *   strlcat        BSD's, which netCDF 4.9.0 exported for its tools and glibc 2.36 lacks.
 */
#include <stdlib.h>
#include <string.h>

int ncsetlogging(int level) {
    (void)level;
    return 0;
}

int nc__testurl(const char *path, char **basenamep) {
    const char *scheme = path ? strstr(path, "://") : NULL, *start, *end;
    char *name;
    if (!scheme)
        return 0;
    /* file:///dir/name.zarr#mode=zarr,file -> name */
    end = strchr(scheme + 3, '#');
    if (!end)
        end = path + strlen(path);
    start = end;
    while (start > scheme + 3 && start[-1] != '/')
        start--;
    if (basenamep) {
        const char *dot = memchr(start, '.', (size_t)(end - start));
        size_t len = (size_t)((dot ? dot : end) - start);
        if (!(name = malloc(len + 1)))
            return 0;
        memcpy(name, start, len);
        name[len] = '\0';
        *basenamep = name;
    }
    return 1;
}

size_t strlcat(char *dst, const char *src, size_t size) {
    size_t used = strnlen(dst, size), len = strlen(src);
    if (used < size) {
        size_t copy = len < size - used - 1 ? len : size - used - 1;
        memcpy(dst + used, src, copy);
        dst[used + copy] = '\0';
    }
    return used + len;
}
