/* The smallest useful libnumcodecs program: compress a chunk with zstd and get it back. Built by the
 * downstream CMake project and with pkg-config, against the shared and the static library. */
#include <stdio.h>
#include <string.h>

#include <numcodecs.h>

int main(void) {
    static const char config[] = "{\"id\":\"zstd\",\"level\":3}";
    char text[4096];
    numcodecs_codec *codec = NULL;
    uint8_t *encoded = NULL, *decoded = NULL;
    size_t encoded_len = 0, decoded_len = 0, i;
    numcodecs_status status;
    int ok;

    for (i = 0; i < sizeof text; i++) text[i] = "numcodecs "[i % 10];
    if (strcmp(numcodecs_version(), NUMCODECS_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s but library %s\n", NUMCODECS_VERSION_STRING, numcodecs_version());
        return 1;
    }
    status = numcodecs_codec_from_json(config, strlen(config), &codec);
    if (status == NUMCODECS_OK) status = numcodecs_encode_alloc(codec, text, sizeof text, NULL, &encoded, &encoded_len);
    if (status == NUMCODECS_OK) status = numcodecs_decode_alloc(codec, encoded, encoded_len, &decoded, &decoded_len);
    if (status != NUMCODECS_OK) {
        fprintf(stderr, "%s: %s\n", numcodecs_status_name(status), numcodecs_last_error());
        numcodecs_codec_free(codec);
        return 1;
    }
    ok = decoded_len == sizeof text && memcmp(decoded, text, sizeof text) == 0;
    printf("libnumcodecs %s: %zu bytes -> %zu bytes with %s -> %s\n", numcodecs_version(), sizeof text, encoded_len,
           config, ok ? "round trip OK" : "ROUND TRIP MISMATCH");
    numcodecs_bytes_free(encoded, encoded_len);
    numcodecs_bytes_free(decoded, decoded_len);
    numcodecs_codec_free(codec);
    return ok ? 0 : 1;
}
