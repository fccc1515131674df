// Encoding and validating decoding of AIP v1 messages (proto/SPEC.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aip/proto/messages.hpp"

namespace aip::proto {

// One typed decode failure per SPEC.md section 7 code that the codec can detect by itself.
enum class ErrorCode : std::uint8_t {
    UnsupportedVersion,
    BadSignature,
    TooFewFrames,
    TooManyFrames,
    MessageTooLarge,
    UnknownCommand,
    MalformedBody,
    MissingKey,
    WrongType,
    InvalidValue,
    UnexpectedPayload,
};

// Returns the wire spelling of a code ("bad_signature").
[[nodiscard]] std::string_view error_code_name(ErrorCode code) noexcept;

struct DecodeError {
    ErrorCode code{ErrorCode::MalformedBody};
    std::string message;                 // names the frame, key or value at fault
    std::optional<std::uint8_t> command; // the command byte, when frame 1 was readable
};

// Frames of one message without the ROUTER's routing id.
using Frames = std::vector<std::string>;

struct DecodeOptions {
    std::size_t max_message_bytes{kDefaultMaxMessageBytes};
};

// Encodes a message into 3 or 4 frames.
[[nodiscard]] Frames encode(const Message& message);

// Decodes and validates frames; never throws on any input.
[[nodiscard]] std::variant<Message, DecodeError> decode(const Frames& frames,
                                                        const DecodeOptions& options = {});

// Returns true when the id is 1 to 128 bytes of printable ASCII (0x21 to 0x7E).
[[nodiscard]] bool is_valid_id(std::string_view id) noexcept;

}  // namespace aip::proto
