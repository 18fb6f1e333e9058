/*
 * libnumcodecs for C++ (C++11 or later): a header-only convenience layer over numcodecs.h.
 *
 *   numcodecs::codec zstd(R"({"id":"zstd","level":3})");
 *   std::vector<float> data = ...;
 *   numcodecs::array_info info = numcodecs::array_info::of<float>({rows, cols});
 *   std::vector<uint8_t> chunk = zstd.encode(data.data(), data.size() * sizeof(float), info);
 *   std::vector<uint8_t> bytes = zstd.decode(chunk.data(), chunk.size());
 *
 * - numcodecs::codec owns a numcodecs_codec handle (RAII, movable, not copyable). Like the handle it is
 *   immutable, so one codec may be used from many threads at once.
 * - Every failure throws numcodecs::error, which carries the numcodecs_status, the library's message
 *   (numcodecs_last_error()) and, for NUMCODECS_BUFFER_TOO_SMALL, the needed size when it is known.
 * - Object codecs (vlen-utf8, vlen-bytes, vlen-array, and chains starting with one, such as a Zarr v2
 *   string array's {"filters": [{"id": "vlen-utf8"}], "compressor": ...}) take items instead of an array:
 *
 *     numcodecs::codec strings(R"({"filters":[{"id":"vlen-utf8"}],"compressor":{"id":"zstd"}})");
 *     std::vector<uint8_t> chunk = strings.encode_items(std::vector<std::string>{"foo", "", "b\u00e4r"});
 *     std::vector<std::string> back = strings.decode_items(chunk.data(), chunk.size()).strings();
 *
 * Hand-written (not generated); it uses only the C API, so it works with the shared and the static library.
 */
#ifndef NUMCODECS_HPP
#define NUMCODECS_HPP

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "numcodecs.h"

namespace numcodecs {

/** A failed libnumcodecs call: its status, its message and (for buffer-too-small) the needed size. */
class error : public std::runtime_error {
public:
    error(numcodecs_status status, const std::string &message, std::size_t needed = 0)
        : std::runtime_error(std::string(numcodecs_status_name(static_cast<int>(status))) + ": " + message),
          status_(status), needed_(needed) {}

    /** The status the C function returned (never NUMCODECS_OK). */
    numcodecs_status status() const noexcept { return status_; }
    /** For NUMCODECS_BUFFER_TOO_SMALL: the size that would fit, or 0 when the library does not know it. */
    std::size_t needed() const noexcept { return needed_; }

private:
    numcodecs_status status_;
    std::size_t needed_;
};

namespace detail {

/* Throws for any status but NUMCODECS_OK; the message must be read before any other library call. */
inline void check(numcodecs_status status, std::size_t needed = 0) {
    if (status != NUMCODECS_OK) throw error(status, numcodecs_last_error(), needed);
}

/* Deletes a buffer from an _alloc function when it goes out of scope. */
struct owned_bytes {
    std::uint8_t *ptr = nullptr;
    std::size_t len = 0;
    owned_bytes() = default;
    owned_bytes(const owned_bytes &) = delete;
    owned_bytes &operator=(const owned_bytes &) = delete;
    ~owned_bytes() { numcodecs_bytes_free(ptr, len); }
    std::vector<std::uint8_t> to_vector() const { return std::vector<std::uint8_t>(ptr, ptr + len); }
};

/* Owns a library handle: movable, not copyable, freed with Free (which takes NULL) when it goes out of
 * scope. Converts to the raw pointer, so the C functions take it directly. */
template <typename T, void (*Free)(T *)>
class owned_handle {
public:
    owned_handle() = default;
    explicit owned_handle(T *handle) noexcept : handle_(handle) {}
    owned_handle(owned_handle &&other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
    owned_handle &operator=(owned_handle &&other) noexcept {
        if (this != &other) {
            Free(handle_);
            handle_ = other.handle_;
            other.handle_ = nullptr;
        }
        return *this;
    }
    owned_handle(const owned_handle &) = delete;
    owned_handle &operator=(const owned_handle &) = delete;
    ~owned_handle() { Free(handle_); }

    operator T *() const noexcept { return handle_; }
    /* For a C function's out-parameter; only while empty. */
    T **out() noexcept { return &handle_; }

private:
    T *handle_ = nullptr;
};

/* A string from a (dst, cap, len) function: size query, then exact fit. */
template <typename Query>
std::string query_string(Query query) {
    std::size_t len = 0;
    numcodecs_status status = query(nullptr, 0, &len);
    if (status != NUMCODECS_BUFFER_TOO_SMALL) check(status);
    std::string text(len + 1, '\0');
    check(query(&text[0], text.size(), &len));
    text.resize(len);
    return text;
}

/* NumPy's typestr for an arithmetic type in native byte order ("=f4", "|u1", "|b1"). */
template <typename T>
std::string native_typestr() {
    static_assert(std::is_arithmetic<T>::value, "array_info::of<T> needs an arithmetic element type");
    const char kind = std::is_same<T, bool>::value        ? 'b'
                      : std::is_floating_point<T>::value  ? 'f'
                      : std::is_signed<T>::value          ? 'i'
                                                          : 'u';
    const char order = sizeof(T) == 1 ? '|' : '=';
    return std::string(1, order) + kind + std::to_string(sizeof(T));
}

}  // namespace detail

/** An owning description of a chunk's array: NumPy typestr and C-order shape (empty: 1-D, whole buffer). */
class array_info {
public:
    array_info() : dtype_("|u1") {}
    explicit array_info(std::string dtype, std::vector<std::size_t> shape = {})
        : dtype_(std::move(dtype)), shape_(std::move(shape)) {}

    /** The array of elements of type T (native byte order), e.g. array_info::of<float>({64, 256}). */
    template <typename T>
    static array_info of(std::vector<std::size_t> shape = {}) {
        return array_info(detail::native_typestr<T>(), std::move(shape));
    }
    template <typename T>
    static array_info of(std::initializer_list<std::size_t> shape) {
        return of<T>(std::vector<std::size_t>(shape));
    }

    const std::string &dtype() const noexcept { return dtype_; }
    const std::vector<std::size_t> &shape() const noexcept { return shape_; }

    /** The C view; valid while this object lives and is not modified. */
    numcodecs_array_info c_info() const noexcept {
        numcodecs_array_info info;
        info.dtype = dtype_.c_str();
        info.shape = shape_.empty() ? nullptr : shape_.data();
        info.ndim = shape_.size();
        return info;
    }

private:
    std::string dtype_;
    std::vector<std::size_t> shape_;
};

/** The items an object codec decoded (numcodecs_decode_items): all items' bytes in one allocation plus
 *  size() + 1 offsets. Owns the C handle (RAII, movable, not copyable); immutable, so readable from many
 *  threads at once. */
class items {
public:
    items() = default;
    explicit items(numcodecs_items *handle) : handle_(handle) {}

    /** The number of items (0 for an empty or moved-from object). */
    std::size_t size() const noexcept { return numcodecs_items_count(handle_); }

    /** Item i as (pointer, length), valid while this object lives; throws for i >= size(). */
    std::pair<const std::uint8_t *, std::size_t> operator[](std::size_t i) const {
        const std::uint8_t *data = nullptr;
        std::size_t len = 0;
        detail::check(numcodecs_items_get(handle_, i, &data, &len));
        return std::make_pair(data, len);
    }

    /** Item i copied into a string (text for vlen-utf8; any bytes, NULs included, otherwise). */
    std::string str(std::size_t i) const {
        std::pair<const std::uint8_t *, std::size_t> item = (*this)[i];
        return std::string(reinterpret_cast<const char *>(item.first), item.second);
    }

    /** Every item copied into a string. */
    std::vector<std::string> strings() const {
        std::vector<std::string> out;
        out.reserve(size());
        for (std::size_t i = 0; i < size(); i++) out.push_back(str(i));
        return out;
    }

    /** Arrow's layout without copying: item i is data()[offsets()[i]] .. data()[offsets()[i + 1]]. */
    const std::uint8_t *data() const { return flat().data; }
    const std::size_t *offsets() const { return flat().offsets; }
    std::size_t data_size() const { return flat().data_len; }

    /** The C handle (owned by this object). */
    const numcodecs_items *get() const noexcept { return handle_; }

private:
    struct flat_view {
        const std::uint8_t *data = nullptr;
        std::size_t data_len = 0;
        const std::size_t *offsets = nullptr;
    };
    flat_view flat() const {
        flat_view view;
        detail::check(numcodecs_items_flat(handle_, &view.data, &view.data_len, &view.offsets));
        return view;
    }

    detail::owned_handle<numcodecs_items, numcodecs_items_free> handle_;
};

/** A codec created from its numcodecs JSON configuration; see numcodecs_codec_from_json. */
class codec {
public:
    /** Throws numcodecs::error (NUMCODECS_INVALID_CONFIG, NUMCODECS_UNKNOWN_CODEC, ...). */
    explicit codec(const std::string &json) {
        detail::check(numcodecs_codec_from_json(json.data(), json.size(), handle_.out()));
    }

    /** The C handle (owned by this object; NULL after a move). */
    const numcodecs_codec *get() const noexcept { return handle_; }

    /** numcodecs' codec_id, e.g. "zstd". */
    std::string id() const {
        const char *text = numcodecs_codec_id(handle_);
        if (text == nullptr) throw error(NUMCODECS_INVALID_ARGUMENT, "codec is empty (moved from)");
        return text;
    }

    /** The configuration JSON as numcodecs' get_config() writes it. */
    std::string config() const {
        const numcodecs_codec *handle = handle_;
        return detail::query_string(
            [handle](char *dst, std::size_t cap, std::size_t *len) { return numcodecs_codec_config(handle, dst, cap, len); });
    }

    std::size_t encode_bound(std::size_t src_len, const array_info &info = array_info()) const {
        numcodecs_array_info c_info = info.c_info();
        std::size_t bound = 0;
        detail::check(numcodecs_encode_bound(handle_, src_len, &c_info, &bound));
        return bound;
    }

    /** Encodes a chunk of src_len bytes described by info (blosc takes its typesize from the dtype). */
    std::vector<std::uint8_t> encode(const void *src, std::size_t src_len, const array_info &info = array_info()) const {
        numcodecs_array_info c_info = info.c_info();
        std::size_t bound = 0, len = 0;
        detail::check(numcodecs_encode_bound(handle_, src_len, &c_info, &bound));
        std::vector<std::uint8_t> out(bound);
        detail::check(numcodecs_encode(handle_, src, src_len, &c_info, out.data(), out.size(), &len));
        out.resize(len);
        out.shrink_to_fit();
        return out;
    }

    /** Encodes into dst; returns the encoded length. Too small: error with status BUFFER_TOO_SMALL. */
    std::size_t encode_into(const void *src, std::size_t src_len, void *dst, std::size_t dst_cap,
                            const array_info &info = array_info()) const {
        numcodecs_array_info c_info = info.c_info();
        std::size_t len = 0;
        numcodecs_status status = numcodecs_encode(handle_, src, src_len, &c_info, dst, dst_cap, &len);
        detail::check(status, status == NUMCODECS_BUFFER_TOO_SMALL ? len : 0);
        return len;
    }

    /** Decodes a whole chunk. */
    std::vector<std::uint8_t> decode(const void *src, std::size_t src_len) const {
        std::size_t size = 0;
        numcodecs_status status = numcodecs_decoded_size(handle_, src, src_len, &size);
        if (status == NUMCODECS_OK) {
            std::vector<std::uint8_t> out(size);
            std::size_t len = 0;
            detail::check(numcodecs_decode(handle_, src, src_len, out.data(), out.size(), &len));
            out.resize(len);
            return out;
        }
        if (status != NUMCODECS_SIZE_UNKNOWN) detail::check(status);
        detail::owned_bytes decoded;
        detail::check(numcodecs_decode_alloc(handle_, src, src_len, &decoded.ptr, &decoded.len));
        return decoded.to_vector();
    }

    /** Decodes into dst; returns the decoded length. Too small: error with status BUFFER_TOO_SMALL and
     *  needed() set when the size is known. */
    std::size_t decode_into(const void *src, std::size_t src_len, void *dst, std::size_t dst_cap) const {
        std::size_t len = 0;
        numcodecs_status status = numcodecs_decode(handle_, src, src_len, dst, dst_cap, &len);
        detail::check(status, status == NUMCODECS_BUFFER_TOO_SMALL ? len : 0);
        return len;
    }

    /** The decoded size recorded in the chunk; error NUMCODECS_SIZE_UNKNOWN for zlib, gzip, bz2, lzma. */
    std::size_t decoded_size(const void *src, std::size_t src_len) const {
        std::size_t size = 0;
        detail::check(numcodecs_decoded_size(handle_, src, src_len, &size));
        return size;
    }

    /** The most bytes one decode may produce (see numcodecs_codec_set_max_decoded_size). */
    std::size_t max_decoded_size() const {
        std::size_t limit = 0;
        detail::check(numcodecs_codec_max_decoded_size(handle_, &limit));
        return limit;
    }
    /** Sets the decoded-size limit; decodes over it throw numcodecs::error(NUMCODECS_LIMIT_EXCEEDED). */
    void set_max_decoded_size(std::size_t limit) { detail::check(numcodecs_codec_set_max_decoded_size(handle_, limit)); }

    std::vector<std::uint8_t> encode(const std::vector<std::uint8_t> &src, const array_info &info = array_info()) const {
        return encode(src.data(), src.size(), info);
    }
    std::vector<std::uint8_t> decode(const std::vector<std::uint8_t> &src) const { return decode(src.data(), src.size()); }

    /** Object codecs: encodes a container of items, each with data() and size() (std::string,
     *  std::vector<uint8_t>, ...): UTF-8 text for vlen-utf8, any bytes for vlen-bytes, a vlen-array's raw
     *  elements. Byte codecs throw NUMCODECS_UNSUPPORTED. */
    template <typename Container>
    std::vector<std::uint8_t> encode_items(const Container &source) const {
        std::vector<const std::uint8_t *> pointers;
        std::vector<std::size_t> lens;
        pointers.reserve(source.size());
        lens.reserve(source.size());
        for (const auto &item : source) {
            pointers.push_back(reinterpret_cast<const std::uint8_t *>(item.data()));
            lens.push_back(item.size() * sizeof(*item.data()));
        }
        detail::owned_bytes encoded;
        detail::check(numcodecs_encode_items_alloc(handle_, pointers.empty() ? nullptr : pointers.data(),
                                                   lens.empty() ? nullptr : lens.data(), pointers.size(), &encoded.ptr,
                                                   &encoded.len));
        return encoded.to_vector();
    }

    /** Object codecs: decodes a chunk into its items. */
    items decode_items(const void *src, std::size_t src_len) const {
        numcodecs_items *handle = nullptr;
        detail::check(numcodecs_decode_items(handle_, src, src_len, &handle));
        return items(handle);
    }
    items decode_items(const std::vector<std::uint8_t> &src) const { return decode_items(src.data(), src.size()); }

    /** Object codecs: encodes a JSON array of items (strings, null, numbers, {"b64": ...} bytes, lists for
     *  vlen-array); see numcodecs_encode_json_items. */
    std::vector<std::uint8_t> encode_json_items(const std::string &json) const {
        detail::owned_bytes encoded;
        detail::check(numcodecs_encode_json_items(handle_, json.data(), json.size(), &encoded.ptr, &encoded.len));
        return encoded.to_vector();
    }

    /** Object codecs: decodes a chunk into a compact JSON array of its items. */
    std::string decode_json_items(const void *src, std::size_t src_len) const {
        char *text = nullptr;
        std::size_t len = 0;
        detail::check(numcodecs_decode_json_items(handle_, src, src_len, &text, &len));
        std::string json(text, len);
        numcodecs_bytes_free(reinterpret_cast<std::uint8_t *>(text), len);
        return json;
    }

private:
    detail::owned_handle<numcodecs_codec, numcodecs_codec_free> handle_;
};

/** The library's version, e.g. "0.1.0" (compare with NUMCODECS_VERSION_STRING). */
inline std::string version() { return numcodecs_version(); }

/** The ids of the registered codecs, sorted. */
inline std::vector<std::string> registered_codecs() {
    std::string json = detail::query_string(
        [](char *dst, std::size_t cap, std::size_t *len) { return numcodecs_registered_codecs(dst, cap, len); });
    // A JSON array of plain strings (codec ids have no quotes or escapes): every other piece between quotes.
    std::vector<std::string> ids;
    std::size_t pos = 0;
    for (;;) {
        std::size_t open = json.find('"', pos);
        if (open == std::string::npos) break;
        std::size_t close = json.find('"', open + 1);
        if (close == std::string::npos) break;
        ids.push_back(json.substr(open + 1, close - open - 1));
        pos = close + 1;
    }
    return ids;
}

}  // namespace numcodecs

#endif /* NUMCODECS_HPP */
