#include "aip/proto/codec.hpp"

namespace aip::proto {

std::string_view error_code_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::UnsupportedVersion: return "unsupported_version";
        case ErrorCode::BadSignature: return "bad_signature";
        case ErrorCode::TooFewFrames: return "too_few_frames";
        case ErrorCode::TooManyFrames: return "too_many_frames";
        case ErrorCode::MessageTooLarge: return "message_too_large";
        case ErrorCode::UnknownCommand: return "unknown_command";
        case ErrorCode::MalformedBody: return "malformed_body";
        case ErrorCode::MissingKey: return "missing_key";
        case ErrorCode::WrongType: return "wrong_type";
        case ErrorCode::InvalidValue: return "invalid_value";
        case ErrorCode::UnexpectedPayload: return "unexpected_payload";
    }
    return "malformed_body";
}

bool is_valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > kMaxIdBytes) {
        return false;
    }
    for (const char c : id) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x21 || byte > 0x7E) {
            return false;
        }
    }
    return true;
}

}  // namespace aip::proto
