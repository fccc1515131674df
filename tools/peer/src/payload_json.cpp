#include "aip/peer/payload_json.hpp"

#include <cstdint>
#include <vector>

namespace aip::peer {

std::string json_to_msgpack(const nlohmann::json& value) {
    std::string bytes;
    nlohmann::json::to_msgpack(value, nlohmann::detail::output_adapter<char>(bytes));
    return bytes;
}

std::optional<std::string> json_text_to_msgpack(std::string_view text) {
    auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        return std::nullopt;
    }
    return json_to_msgpack(value);
}

std::optional<nlohmann::json> msgpack_to_json(std::string_view bytes) {
    auto value = nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), /*strict=*/true,
                                              /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        return std::nullopt;
    }
    return value;
}

std::string dump_json_line(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace aip::peer
