// Per-command decoding of a validated body map into a typed message.
#pragma once

#include <optional>
#include <string>

#include "aip/proto/messages.hpp"
#include "field_reader.hpp"

namespace aip::proto::detail {

// Returns true when the command may carry a payload frame (SPEC.md section 3).
[[nodiscard]] bool allows_payload(Command command) noexcept;

// Returns true when the byte is one of the commands of SPEC.md section 3.
[[nodiscard]] bool is_known_command(std::uint8_t command) noexcept;

// Builds the message of a known command from its body; raises DecodeFailure on a missing key,
// wrong type or invalid value. `payload` is frame 3, if present.
[[nodiscard]] Message decode_body(Command command, const FieldReader& body,
                                  std::optional<std::string> payload);

}  // namespace aip::proto::detail
