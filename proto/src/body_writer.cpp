#include "body_writer.hpp"

namespace aip::proto::detail {

void BodyWriter::key(std::string_view name) {
    packer().pack_str(static_cast<std::uint32_t>(name.size()));
    packer().pack_str_body(name.data(), static_cast<std::uint32_t>(name.size()));
    ++count_;
}

BodyWriter& BodyWriter::str(std::string_view key_name, std::string_view value) {
    key(key_name);
    packer().pack_str(static_cast<std::uint32_t>(value.size()));
    packer().pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
    return *this;
}

BodyWriter& BodyWriter::uint(std::string_view key_name, std::uint64_t value) {
    key(key_name);
    packer().pack_uint64(value);
    return *this;
}

BodyWriter& BodyWriter::boolean(std::string_view key_name, bool value) {
    key(key_name);
    if (value) {
        packer().pack_true();
    } else {
        packer().pack_false();
    }
    return *this;
}

BodyWriter& BodyWriter::float64(std::string_view key_name, double value) {
    key(key_name);
    packer().pack_double(value);
    return *this;
}

BodyWriter& BodyWriter::str_list(std::string_view key_name, const std::vector<std::string>& values) {
    key(key_name);
    packer().pack_array(static_cast<std::uint32_t>(values.size()));
    for (const auto& value : values) {
        packer().pack_str(static_cast<std::uint32_t>(value.size()));
        packer().pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
    }
    return *this;
}

BodyWriter& BodyWriter::uint_list(std::string_view key_name,
                                  const std::vector<std::uint64_t>& values) {
    key(key_name);
    packer().pack_array(static_cast<std::uint32_t>(values.size()));
    for (const auto value : values) {
        packer().pack_uint64(value);
    }
    return *this;
}

BodyWriter& BodyWriter::map(std::string_view key_name, const BodyWriter& value) {
    key(key_name);
    const std::string nested = value.finish();
    entries_.write(nested.data(), nested.size());
    return *this;
}

BodyWriter& BodyWriter::map_list(std::string_view key_name, const std::vector<BodyWriter>& values) {
    key(key_name);
    packer().pack_array(static_cast<std::uint32_t>(values.size()));
    for (const auto& value : values) {
        const std::string nested = value.finish();
        entries_.write(nested.data(), nested.size());
    }
    return *this;
}

std::string BodyWriter::finish() const {
    msgpack::sbuffer header;
    msgpack::packer<msgpack::sbuffer> header_packer{header};
    header_packer.pack_map(count_);

    std::string body(header.data(), header.size());
    body.append(entries_.data(), entries_.size());
    return body;
}

}  // namespace aip::proto::detail
