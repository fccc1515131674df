// Conversion between the JSON that people type and the MessagePack that task payloads carry.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace aip::peer {

// Encodes a JSON value as MessagePack bytes.
[[nodiscard]] std::string json_to_msgpack(const nlohmann::json& value);

// Parses JSON text and encodes it as MessagePack. Returns nullopt when the text is not JSON.
[[nodiscard]] std::optional<std::string> json_text_to_msgpack(std::string_view text);

// Decodes exactly one MessagePack value. Returns nullopt when the bytes are not one complete
// value. MessagePack binaries become nlohmann binary values.
[[nodiscard]] std::optional<nlohmann::json> msgpack_to_json(std::string_view bytes);

// Serializes JSON on one line; invalid UTF-8 in strings is replaced by U+FFFD instead of throwing.
[[nodiscard]] std::string dump_json_line(const nlohmann::json& value);

}  // namespace aip::peer
