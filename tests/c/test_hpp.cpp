// numcodecs.hpp: RAII codec handles, exceptions carrying status and message, round trips.
#include "numcodecs.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (cond) {                                                                     \
            passed++;                                                                   \
        } else {                                                                        \
            failed++;                                                                   \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                               \
    } while (0)

// Runs `body`, which must throw numcodecs::error with status `want`; returns the error's message.
template <typename Body>
static std::string expect_error(Body body, numcodecs_status want, std::size_t *needed = nullptr) {
    try {
        body();
    } catch (const numcodecs::error &e) {
        if (e.status() != want)
            std::fprintf(stderr, "threw %s, expected %s: %s\n", numcodecs_status_name(e.status()),
                         numcodecs_status_name(want), e.what());
        CHECK(e.status() == want);
        if (needed != nullptr) *needed = e.needed();
        return e.what();
    }
    std::fprintf(stderr, "no exception, expected %s\n", numcodecs_status_name(want));
    CHECK(false);
    return "";
}

static std::vector<float> make_sample(std::size_t rows, std::size_t cols) {
    std::vector<float> data(rows * cols);
    for (std::size_t r = 0; r < rows; r++)
        for (std::size_t c = 0; c < cols; c++)
            data[r * cols + c] = static_cast<float>(std::sin(static_cast<double>(r) * 0.1) * static_cast<double>(c));
    return data;
}

int main() {
    CHECK(numcodecs::version() == NUMCODECS_VERSION_STRING);

    std::vector<std::string> ids = numcodecs::registered_codecs();
    for (const char *id : {"blosc", "bz2", "gzip", "lz4", "lzma", "zlib", "zstd"}) {
        bool found = false;
        for (const std::string &have : ids) found = found || have == id;
        if (!found) std::fprintf(stderr, "registered_codecs() lacks %s\n", id);
        CHECK(found);
    }

    const std::size_t rows = 32, cols = 100;
    std::vector<float> sample = make_sample(rows, cols);
    const std::size_t nbytes = sample.size() * sizeof(float);
    numcodecs::array_info info = numcodecs::array_info::of<float>({rows, cols});
    CHECK(info.dtype() == "=f4" && info.shape().size() == 2);
    CHECK(numcodecs::array_info::of<std::uint8_t>().dtype() == "|u1");
    CHECK(numcodecs::array_info::of<std::int64_t>().dtype() == "=i8");
    CHECK(numcodecs::array_info::of<bool>().dtype() == "|b1");

    // Round trips, through both decode paths (recorded size: zstd, blosc; unrecorded: zlib, lzma).
    for (const char *json : {R"({"id":"zstd","level":3})", R"({"id":"blosc","cname":"zstd","shuffle":2})",
                             R"({"id":"zlib","level":6})", R"({"id":"lzma","preset":1})", R"({"id":"lz4"})"}) {
        try {
            numcodecs::codec codec(json);
            std::vector<std::uint8_t> chunk = codec.encode(sample.data(), nbytes, info);
            CHECK(!chunk.empty() && chunk.size() <= codec.encode_bound(nbytes, info));
            std::vector<std::uint8_t> bytes = codec.decode(chunk);
            CHECK(bytes.size() == nbytes && std::memcmp(bytes.data(), sample.data(), nbytes) == 0);
            // Deterministic: the same bytes again.
            CHECK(codec.encode(sample.data(), nbytes, info) == chunk);
            // decode_into with the exact size; one byte short throws BUFFER_TOO_SMALL.
            std::vector<float> back(sample.size());
            CHECK(codec.decode_into(chunk.data(), chunk.size(), back.data(), nbytes) == nbytes);
            CHECK(back == sample);
            std::size_t needed = 0;
            expect_error([&] { codec.decode_into(chunk.data(), chunk.size(), back.data(), nbytes - 1); },
                         NUMCODECS_BUFFER_TOO_SMALL, &needed);
            CHECK(needed == 0 || needed == nbytes);
            if (codec.id() == "zstd" || codec.id() == "blosc" || codec.id() == "lz4") {
                CHECK(codec.decoded_size(chunk.data(), chunk.size()) == nbytes);
                CHECK(needed == nbytes);
            } else {
                expect_error([&] { codec.decoded_size(chunk.data(), chunk.size()); }, NUMCODECS_SIZE_UNKNOWN);
            }
        } catch (const numcodecs::error &e) {
            std::fprintf(stderr, "%s: unexpected %s\n", json, e.what());
            CHECK(false);
        }
    }

    // Configuration, id, RAII moves.
    try {
        numcodecs::codec a(R"({"id":"zstd"})");
        CHECK(a.id() == "zstd");
        CHECK(a.config() == R"({"id":"zstd","level":0,"checksum":false})");
        const numcodecs_codec *handle = a.get();
        numcodecs::codec b(std::move(a));
        CHECK(b.get() == handle && a.get() == nullptr);
        expect_error([&] { a.id(); }, NUMCODECS_INVALID_ARGUMENT);
        numcodecs::codec c(R"({"id":"zlib"})");
        c = std::move(b);  // frees the zlib handle, takes over the zstd one
        CHECK(c.id() == "zstd" && b.get() == nullptr);
    } catch (const numcodecs::error &e) {
        std::fprintf(stderr, "unexpected %s\n", e.what());
        CHECK(false);
    }

    // Errors carry the status and the library's message.
    std::string message = expect_error([] { numcodecs::codec bad(R"({"id":"zstd","levle":3})"); },
                                       NUMCODECS_INVALID_CONFIG);
    CHECK(message.find("NUMCODECS_INVALID_CONFIG") != std::string::npos && message.find("levle") != std::string::npos);
    expect_error([] { numcodecs::codec bad(R"({"id":"no-such-codec"})"); }, NUMCODECS_UNKNOWN_CODEC);
    expect_error([] { numcodecs::codec bad("{"); }, NUMCODECS_INVALID_CONFIG);
    try {
        numcodecs::codec zstd(R"({"id":"zstd"})");
        const std::uint8_t garbage[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        expect_error([&] { zstd.decode(garbage, sizeof garbage); }, NUMCODECS_CORRUPT_DATA);
        numcodecs::array_info mismatched = numcodecs::array_info::of<float>({rows, cols + 1});
        expect_error([&] { zstd.encode(sample.data(), nbytes, mismatched); }, NUMCODECS_INVALID_ARGUMENT);
        expect_error([&] { zstd.encode(sample.data(), nbytes, numcodecs::array_info("<f3x")); },
                     NUMCODECS_INVALID_ARGUMENT);
        std::vector<std::uint8_t> small(4);
        std::size_t needed = 0;
        expect_error([&] { zstd.encode_into(sample.data(), nbytes, small.data(), small.size(), info); },
                     NUMCODECS_BUFFER_TOO_SMALL, &needed);
        numcodecs::codec zlib(R"({"id":"zlib"})");
        std::vector<std::uint8_t> chunk = zlib.encode(sample.data(), nbytes);
        zlib.set_max_decoded_size(nbytes - 1);
        CHECK(zlib.max_decoded_size() == nbytes - 1);
        expect_error([&] { zlib.decode(chunk); }, NUMCODECS_LIMIT_EXCEEDED);
        zlib.set_max_decoded_size(nbytes);
        CHECK(zlib.decode(chunk).size() == nbytes);
    } catch (const numcodecs::error &e) {
        std::fprintf(stderr, "unexpected %s\n", e.what());
        CHECK(false);
    }

    // Object codecs: item lists, the items handle, JSON, and a Zarr v2 string-array chain.
    try {
        const std::vector<std::string> words = {"foo", "", "b\xc3\xa4r", std::string("nul\0inside", 10)};
        numcodecs::codec vlen(R"({"id":"vlen-utf8"})");
        std::vector<std::uint8_t> chunk = vlen.encode_items(words);
        // numcodecs' layout: count, then per item a 4-byte length and the bytes (little-endian).
        CHECK(chunk.size() == 4 + 4 * 4 + 3 + 0 + 4 + 10);
        CHECK(chunk[0] == 4 && chunk[1] == 0 && chunk[4] == 3 && std::memcmp(&chunk[8], "foo", 3) == 0);
        numcodecs::items decoded = vlen.decode_items(chunk);
        CHECK(decoded.size() == words.size());
        CHECK(decoded.strings() == words);
        CHECK(decoded.str(3).size() == 10);
        CHECK(decoded[1].second == 0);
        CHECK(decoded.data_size() == 3 + 0 + 4 + 10);
        CHECK(decoded.offsets()[0] == 0 && decoded.offsets()[4] == decoded.data_size());
        CHECK(std::memcmp(decoded.data() + decoded.offsets()[2], "b\xc3\xa4r", 4) == 0);
        expect_error([&] { decoded[4]; }, NUMCODECS_INVALID_ARGUMENT);
        numcodecs::items moved(std::move(decoded));
        CHECK(moved.size() == 4 && decoded.size() == 0);
        CHECK(vlen.decode_json_items(chunk.data(), chunk.size()) == "[\"foo\",\"\",\"b\xc3\xa4r\",\"nul\\u0000inside\"]");
        CHECK(vlen.encode_json_items("[\"foo\",\"\",\"b\xc3\xa4r\",\"nul\\u0000inside\"]") == chunk);
        CHECK(vlen.encode_items(std::vector<std::string>()).size() == 4);
        expect_error([&] { vlen.encode_items(std::vector<std::string>{"\xff"}); }, NUMCODECS_INVALID_ARGUMENT);
        expect_error([&] { vlen.decode(chunk); }, NUMCODECS_UNSUPPORTED);
        const std::uint8_t short_chunk[3] = {1, 0, 0};
        expect_error([&] { vlen.decode_items(short_chunk, sizeof short_chunk); }, NUMCODECS_CORRUPT_DATA);

        numcodecs::codec zarr_strings(R"({"filters":[{"id":"vlen-utf8"}],"compressor":{"id":"zstd","level":1}})");
        numcodecs::codec zstd(R"({"id":"zstd","level":1})");
        std::vector<std::uint8_t> compressed = zarr_strings.encode_items(words);
        CHECK(compressed == zstd.encode(chunk));
        CHECK(zarr_strings.decode_items(compressed).strings() == words);
        numcodecs::codec arrays(R"({"id":"vlen-array","dtype":"<i4"})");
        const std::vector<std::vector<std::int32_t>> ragged = {{1, 2, 3}, {}, {-7}};
        CHECK(arrays.decode_json_items(arrays.encode_items(ragged).data(), arrays.encode_items(ragged).size()) ==
              "[[1,2,3],[],[-7]]");
        expect_error([&] { zstd.encode_items(words); }, NUMCODECS_UNSUPPORTED);
    } catch (const numcodecs::error &e) {
        std::fprintf(stderr, "unexpected %s\n", e.what());
        CHECK(false);
    }

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
