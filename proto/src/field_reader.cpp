#include "field_reader.hpp"

#include <algorithm>
#include <cstdio>

namespace aip::proto::detail {

namespace {

std::string_view as_view(const msgpack::object& object) {
    return {object.via.str.ptr, object.via.str.size};
}

std::string join(std::initializer_list<std::string_view> words) {
    std::string joined;
    for (const auto word : words) {
        if (!joined.empty()) {
            joined += ", ";
        }
        joined += word;
    }
    return joined;
}

}  // namespace

void fail(ErrorCode code, std::string message) {
    throw DecodeFailure{code, std::move(message)};
}

std::string quote(std::string_view bytes) {
    std::string text = "\"";
    for (const char c : bytes.substr(0, kQuotedBytes)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte <= 0x7E && c != '"' && c != '\\') {
            text += c;
        } else {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
            text += escaped;
        }
    }
    text += '"';
    if (bytes.size() > kQuotedBytes) {
        text += "... (" + std::to_string(bytes.size()) + " bytes)";
    }
    return text;
}

std::string_view type_name(const msgpack::object& object) {
    switch (object.type) {
        case msgpack::type::NIL: return "nil";
        case msgpack::type::BOOLEAN: return "bool";
        case msgpack::type::POSITIVE_INTEGER: return "uint";
        case msgpack::type::NEGATIVE_INTEGER: return "int";
        case msgpack::type::FLOAT32: return "float32";
        case msgpack::type::FLOAT64: return "float64";
        case msgpack::type::STR: return "str";
        case msgpack::type::BIN: return "bin";
        case msgpack::type::ARRAY: return "array";
        case msgpack::type::MAP: return "map";
        case msgpack::type::EXT: return "ext";
    }
    return "unknown";
}

FieldReader::FieldReader(const msgpack::object& map, std::string context, std::string path)
    : context_(std::move(context)), path_(std::move(path)) {
    // The map's name in messages: "body" at the top, else the path without its final dot.
    const std::string where = path_.empty() ? "body" : path_.substr(0, path_.size() - 1);
    if (map.type != msgpack::type::MAP) {
        fail(ErrorCode::MalformedBody,
             context_ + ": " + where + " must be a map, got " + std::string(type_name(map)));
    }

    fields_.reserve(map.via.map.size);
    for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
        const msgpack::object_kv& entry = map.via.map.ptr[i];
        if (entry.key.type != msgpack::type::STR) {
            fail(ErrorCode::MalformedBody, context_ + ": key #" + std::to_string(i) + " of " +
                                               where + " is " +
                                               std::string(type_name(entry.key)) +
                                               "; keys must be str");
        }
        const auto [position, inserted] = fields_.emplace(as_view(entry.key), &entry.val);
        if (!inserted) {
            fail(ErrorCode::MalformedBody, context_ + ": duplicate key " + label(position->first));
        }
    }
}

std::string FieldReader::label(std::string_view key) const {
    return quote(path_ + std::string(key));
}

const msgpack::object* FieldReader::find(std::string_view key) const {
    const auto position = fields_.find(key);
    if (position == fields_.end() || position->second->type == msgpack::type::NIL) {
        return nullptr;
    }
    return position->second;
}

const msgpack::object& FieldReader::require(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        fail(ErrorCode::MissingKey, context_ + ": missing required key " + label(key));
    }
    return *value;
}

void FieldReader::fail_type(std::string_view key, std::string_view expected,
                            const msgpack::object& actual) const {
    fail(ErrorCode::WrongType, context_ + ": key " + label(key) + " must be " +
                                   std::string(expected) + ", got " +
                                   std::string(type_name(actual)));
}

void FieldReader::fail_value(std::string_view key, std::string_view problem) const {
    fail(ErrorCode::InvalidValue, context_ + ": key " + label(key) + " " + std::string(problem));
}

std::optional<std::string> FieldReader::optional_str(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (value->type != msgpack::type::STR) {
        fail_type(key, "str", *value);
    }
    return std::string(as_view(*value));
}

std::string FieldReader::required_str(std::string_view key) const {
    const msgpack::object& value = require(key);
    if (value.type != msgpack::type::STR) {
        fail_type(key, "str", value);
    }
    return std::string(as_view(value));
}

std::string FieldReader::str_or_empty(std::string_view key) const {
    return optional_str(key).value_or(std::string{});
}

std::string FieldReader::read_id(std::string_view key, const msgpack::object& value) const {
    if (value.type != msgpack::type::STR) {
        fail_type(key, "str", value);
    }
    const std::string_view id = as_view(value);
    if (!is_valid_id(id)) {
        const std::string size_note =
            id.size() > kQuotedBytes ? "" : " (" + std::to_string(id.size()) + " bytes)";
        fail_value(key, "has invalid id " + quote(id) + size_note +
                            "; an id is 1 to 128 bytes of printable ASCII 0x21-0x7E");
    }
    return std::string(id);
}

std::optional<std::string> FieldReader::optional_id(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    return read_id(key, *value);
}

std::string FieldReader::required_id(std::string_view key) const {
    return read_id(key, require(key));
}

std::string FieldReader::id_or_empty(std::string_view key) const {
    return optional_id(key).value_or(std::string{});
}

std::string FieldReader::read_choice(std::string_view key, const msgpack::object& value,
                                     std::initializer_list<std::string_view> allowed) const {
    if (value.type != msgpack::type::STR) {
        fail_type(key, "str", value);
    }
    const std::string_view text = as_view(value);
    if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
        fail_value(key, "has invalid value " + quote(text) + "; expected one of " + join(allowed));
    }
    return std::string(text);
}

std::string FieldReader::required_choice(std::string_view key,
                                         std::initializer_list<std::string_view> allowed) const {
    return read_choice(key, require(key), allowed);
}

std::optional<std::string> FieldReader::optional_choice(
    std::string_view key, std::initializer_list<std::string_view> allowed) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    return read_choice(key, *value, allowed);
}

std::uint64_t FieldReader::read_uint(std::string_view key, const msgpack::object& value,
                                     std::uint64_t min, std::uint64_t max) const {
    if (value.type == msgpack::type::NEGATIVE_INTEGER) {
        fail_value(key, "is negative (" + std::to_string(value.via.i64) +
                            "); expected a uint from " + std::to_string(min) + " to " +
                            std::to_string(max));
    }
    if (value.type != msgpack::type::POSITIVE_INTEGER) {
        fail_type(key, "uint", value);
    }
    const std::uint64_t number = value.via.u64;
    if (number < min || number > max) {
        fail_value(key, "is " + std::to_string(number) + ", out of range " + std::to_string(min) +
                            " to " + std::to_string(max));
    }
    return number;
}

std::optional<std::uint64_t> FieldReader::optional_uint(std::string_view key, std::uint64_t min,
                                                        std::uint64_t max) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    return read_uint(key, *value, min, max);
}

std::uint64_t FieldReader::required_uint(std::string_view key, std::uint64_t min,
                                         std::uint64_t max) const {
    return read_uint(key, require(key), min, max);
}

namespace {

constexpr auto kMaxWireMs =
    static_cast<std::uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max());

}  // namespace

std::optional<std::chrono::milliseconds> FieldReader::optional_ms(std::string_view key) const {
    const auto count = optional_uint(key, 0, kMaxWireMs);
    if (!count) {
        return std::nullopt;
    }
    return std::chrono::milliseconds{static_cast<std::chrono::milliseconds::rep>(*count)};
}

std::chrono::milliseconds FieldReader::required_ms(std::string_view key) const {
    const auto count = required_uint(key, 0, kMaxWireMs);
    return std::chrono::milliseconds{static_cast<std::chrono::milliseconds::rep>(count)};
}

std::optional<bool> FieldReader::optional_bool(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (value->type != msgpack::type::BOOLEAN) {
        fail_type(key, "bool", *value);
    }
    return value->via.boolean;
}

bool FieldReader::required_bool(std::string_view key) const {
    const msgpack::object& value = require(key);
    if (value.type != msgpack::type::BOOLEAN) {
        fail_type(key, "bool", value);
    }
    return value.via.boolean;
}

std::optional<double> FieldReader::optional_float(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    switch (value->type) {
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: return value->via.f64;
        case msgpack::type::POSITIVE_INTEGER: return static_cast<double>(value->via.u64);
        case msgpack::type::NEGATIVE_INTEGER: return static_cast<double>(value->via.i64);
        default: fail_type(key, "float", *value);
    }
}

std::vector<std::string> FieldReader::str_list(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return {};
    }
    if (value->type != msgpack::type::ARRAY) {
        fail_type(key, "[str]", *value);
    }

    std::vector<std::string> items;
    items.reserve(value->via.array.size);
    for (std::uint32_t i = 0; i < value->via.array.size; ++i) {
        const msgpack::object& item = value->via.array.ptr[i];
        const std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
        if (item.type != msgpack::type::STR) {
            fail_type(item_key, "str", item);
        }
        items.emplace_back(as_view(item));
    }
    return items;
}

std::vector<std::uint64_t> FieldReader::uint_list(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return {};
    }
    if (value->type != msgpack::type::ARRAY) {
        fail_type(key, "[uint]", *value);
    }

    std::vector<std::uint64_t> items;
    items.reserve(value->via.array.size);
    for (std::uint32_t i = 0; i < value->via.array.size; ++i) {
        const std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
        items.push_back(read_uint(item_key, value->via.array.ptr[i], 0,
                                  std::numeric_limits<std::uint64_t>::max()));
    }
    return items;
}

std::vector<FieldReader> FieldReader::map_list(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return {};
    }
    if (value->type != msgpack::type::ARRAY) {
        fail_type(key, "[map]", *value);
    }

    std::vector<FieldReader> items;
    items.reserve(value->via.array.size);
    for (std::uint32_t i = 0; i < value->via.array.size; ++i) {
        const msgpack::object& item = value->via.array.ptr[i];
        const std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
        if (item.type != msgpack::type::MAP) {
            fail_type(item_key, "map", item);
        }
        items.emplace_back(item, context_, path_ + item_key + ".");
    }
    return items;
}

std::optional<FieldReader> FieldReader::optional_map(std::string_view key) const {
    const msgpack::object* value = find(key);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (value->type != msgpack::type::MAP) {
        fail_type(key, "map", *value);
    }
    return FieldReader{*value, context_, path_ + std::string(key) + "."};
}

FieldReader FieldReader::required_map(std::string_view key) const {
    const msgpack::object& value = require(key);
    if (value.type != msgpack::type::MAP) {
        fail_type(key, "map", value);
    }
    return FieldReader{value, context_, path_ + std::string(key) + "."};
}

}  // namespace aip::proto::detail
