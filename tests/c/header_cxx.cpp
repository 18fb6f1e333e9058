// numcodecs.h is valid C++: it compiles under strict warnings, declares its functions extern "C" (so this
// program links against the C library) and its enum and structs are usable from C++.
#include "numcodecs.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

static_assert(NUMCODECS_OK == 0, "NUMCODECS_OK is 0");
static_assert(std::is_enum<numcodecs_status>::value, "numcodecs_status is an enum");
static_assert(std::is_standard_layout<numcodecs_array_info>::value, "numcodecs_array_info is a C struct");

int main() {
    int failed = 0;
    if (std::strcmp(numcodecs_version(), NUMCODECS_VERSION_STRING) != 0) {
        std::fprintf(stderr, "library %s, header %s\n", numcodecs_version(), NUMCODECS_VERSION_STRING);
        failed++;
    }
    if (std::strcmp(numcodecs_status_name(NUMCODECS_CORRUPT_DATA), "NUMCODECS_CORRUPT_DATA") != 0) failed++;

    numcodecs_codec *codec = nullptr;
    const char json[] = "{\"id\":\"no-such-codec\"}";
    numcodecs_status status = numcodecs_codec_from_json(json, sizeof json - 1, &codec);
    if (status != NUMCODECS_UNKNOWN_CODEC || codec != nullptr || numcodecs_last_error()[0] == '\0') failed++;
    numcodecs_codec_free(codec);

    const size_t shape[1] = {4};
    numcodecs_array_info info = {"<u2", shape, 1};
    (void)info;

    std::printf("%d passed, %d failed\n", 4 - failed, failed);
    return failed == 0 ? 0 : 1;
}
