// Writer of one MessagePack map whose entries keep the order in which they are added.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

namespace aip::proto::detail {

// Collects key/value entries and writes the map header last, so callers need not count keys
// in advance. The entry order is the call order, which keeps encoded bodies byte-stable.
class BodyWriter {
public:
    BodyWriter& str(std::string_view key, std::string_view value);
    BodyWriter& uint(std::string_view key, std::uint64_t value);
    BodyWriter& boolean(std::string_view key, bool value);
    BodyWriter& float64(std::string_view key, double value);
    BodyWriter& str_list(std::string_view key, const std::vector<std::string>& values);
    BodyWriter& uint_list(std::string_view key, const std::vector<std::uint64_t>& values);
    BodyWriter& map(std::string_view key, const BodyWriter& value);
    BodyWriter& map_list(std::string_view key, const std::vector<BodyWriter>& values);

    // Returns the complete map: header followed by the entries.
    [[nodiscard]] std::string finish() const;

private:
    void key(std::string_view name);

    // A packer is made per call rather than stored, so a moved BodyWriter never refers to the
    // buffer of its source.
    [[nodiscard]] msgpack::packer<msgpack::sbuffer> packer() { return msgpack::packer{entries_}; }

    msgpack::sbuffer entries_;
    std::uint32_t count_{0};
};

}  // namespace aip::proto::detail
