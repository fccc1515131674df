// Typed, validating access to the keys of one decoded MessagePack map.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <msgpack.hpp>

#include "aip/proto/codec.hpp"

namespace aip::proto::detail {

// Failure raised inside body decoding and caught by decode(), which returns it as a
// DecodeError. It never leaves the codec.
struct DecodeFailure {
    ErrorCode code;
    std::string message;
};

[[noreturn]] void fail(ErrorCode code, std::string message);

inline constexpr std::size_t kQuotedBytes = 40;

// Renders wire bytes for an error message: printable ASCII as is, other bytes as \xNN. Input
// longer than kQuotedBytes is cut and its size appended.
[[nodiscard]] std::string quote(std::string_view bytes);

// Returns the MessagePack type name of an object ("str", "uint", "map").
[[nodiscard]] std::string_view type_name(const msgpack::object& object);

// Reads the keys of a map; every accessor raises DecodeFailure with missing_key, wrong_type or
// invalid_value. A nil value is treated as an absent key. The reader refers to the object it
// was built from, which must outlive it.
class FieldReader {
public:
    // Raises malformed_body when a key is not a string or appears twice. `context` starts every
    // error message (the command name); `path` prefixes key names ("devices[2].").
    FieldReader(const msgpack::object& map, std::string context, std::string path = {});

    [[nodiscard]] std::optional<std::string> optional_str(std::string_view key) const;
    [[nodiscard]] std::string required_str(std::string_view key) const;
    [[nodiscard]] std::string str_or_empty(std::string_view key) const;

    // Ids must satisfy is_valid_id().
    [[nodiscard]] std::optional<std::string> optional_id(std::string_view key) const;
    [[nodiscard]] std::string required_id(std::string_view key) const;
    [[nodiscard]] std::string id_or_empty(std::string_view key) const;

    // A string that must be one of `allowed`.
    [[nodiscard]] std::string required_choice(std::string_view key,
                                              std::initializer_list<std::string_view> allowed) const;
    [[nodiscard]] std::optional<std::string> optional_choice(
        std::string_view key, std::initializer_list<std::string_view> allowed) const;

    // Unsigned integers within [min, max]; a negative integer is an invalid value.
    [[nodiscard]] std::optional<std::uint64_t> optional_uint(
        std::string_view key, std::uint64_t min = 0,
        std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) const;
    [[nodiscard]] std::uint64_t required_uint(
        std::string_view key, std::uint64_t min = 0,
        std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) const;

    // Durations are uint milliseconds up to the int64 range of std::chrono::milliseconds.
    [[nodiscard]] std::optional<std::chrono::milliseconds> optional_ms(std::string_view key) const;
    [[nodiscard]] std::chrono::milliseconds required_ms(std::string_view key) const;

    [[nodiscard]] std::optional<bool> optional_bool(std::string_view key) const;
    [[nodiscard]] bool required_bool(std::string_view key) const;

    // A float64, float32 or integer.
    [[nodiscard]] std::optional<double> optional_float(std::string_view key) const;

    // Lists; an absent key gives an empty list.
    [[nodiscard]] std::vector<std::string> str_list(std::string_view key) const;
    [[nodiscard]] std::vector<std::uint64_t> uint_list(std::string_view key) const;
    [[nodiscard]] std::vector<FieldReader> map_list(std::string_view key) const;

    [[nodiscard]] std::optional<FieldReader> optional_map(std::string_view key) const;
    [[nodiscard]] FieldReader required_map(std::string_view key) const;

    [[nodiscard]] const std::string& context() const noexcept { return context_; }

private:
    // Returns the value of a key, or nullptr when the key is absent or nil.
    [[nodiscard]] const msgpack::object* find(std::string_view key) const;
    [[nodiscard]] const msgpack::object& require(std::string_view key) const;
    [[nodiscard]] std::string label(std::string_view key) const;
    [[noreturn]] void fail_type(std::string_view key, std::string_view expected,
                                const msgpack::object& actual) const;
    [[noreturn]] void fail_value(std::string_view key, std::string_view problem) const;
    [[nodiscard]] std::uint64_t read_uint(std::string_view key, const msgpack::object& value,
                                          std::uint64_t min, std::uint64_t max) const;
    [[nodiscard]] std::string read_id(std::string_view key, const msgpack::object& value) const;
    [[nodiscard]] std::string read_choice(std::string_view key, const msgpack::object& value,
                                          std::initializer_list<std::string_view> allowed) const;

    std::string context_;
    std::string path_;
    std::unordered_map<std::string_view, const msgpack::object*> fields_;
};

}  // namespace aip::proto::detail
