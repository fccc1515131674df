// Frame-level checks of decode(), in the order that SPEC.md section 7 documents: frame count,
// total size, signature, command byte, payload frame, then the body.

#include <new>

#include <msgpack.hpp>

#include "aip/proto/codec.hpp"
#include "body_decoders.hpp"
#include "field_reader.hpp"

namespace aip::proto {

namespace {

using detail::DecodeFailure;
using detail::fail;

constexpr std::size_t kMinFrames = 3;
constexpr std::size_t kMaxFrames = 4;

// Nesting allowed in a body. The deepest valid body (QUERY_REPLY: map, array, map, array) needs
// 4; the cap keeps hostile input from building deep object trees.
constexpr std::size_t kMaxBodyDepth = 16;

void check_frame_count(const Frames& frames) {
    if (frames.size() < kMinFrames) {
        fail(ErrorCode::TooFewFrames, "message has " + std::to_string(frames.size()) +
                                          " frames; expected 3 or 4");
    }
    if (frames.size() > kMaxFrames) {
        fail(ErrorCode::TooManyFrames, "message has " + std::to_string(frames.size()) +
                                           " frames; expected 3 or 4");
    }
}

void check_size(const Frames& frames, std::size_t max_message_bytes) {
    std::size_t total = 0;
    for (const auto& frame : frames) {
        total += frame.size();
    }
    if (total > max_message_bytes) {
        fail(ErrorCode::MessageTooLarge, "message is " + std::to_string(total) +
                                             " bytes; the limit is " +
                                             std::to_string(max_message_bytes));
    }
}

void check_signature(const std::string& signature) {
    if (signature == kSignature) {
        return;
    }
    if (signature.size() == kSignature.size() && signature.starts_with("AIP")) {
        const auto version = static_cast<unsigned char>(signature.back());
        fail(ErrorCode::UnsupportedVersion,
             "frame 0 announces protocol version " + std::to_string(version) +
                 "; supported: " + std::to_string(kProtocolVersion));
    }
    fail(ErrorCode::BadSignature,
         "frame 0 is " + detail::quote(signature) + "; expected \"AIP\\x01\"");
}

Command read_command(const std::string& frame) {
    if (frame.size() != 1) {
        fail(ErrorCode::UnknownCommand,
             "frame 1 is " + std::to_string(frame.size()) + " bytes; expected 1 command byte");
    }
    const auto byte = static_cast<std::uint8_t>(frame[0]);
    if (!detail::is_known_command(byte)) {
        char hex[5];
        std::snprintf(hex, sizeof hex, "0x%02X", byte);
        fail(ErrorCode::UnknownCommand, "unknown command byte " + std::string(hex) + " in frame 1");
    }
    return static_cast<Command>(byte);
}

// Parses frame 2 into exactly one MessagePack object, rejecting trailing bytes.
msgpack::object_handle parse_body(const std::string& body, std::string_view name) {
    // Every element takes at least one byte, so no valid count exceeds the body size. These
    // limits stop a forged array or map header from reserving gigabytes.
    const std::size_t size = body.size();
    const msgpack::unpack_limit limit(size, size / 2, size, size, size, kMaxBodyDepth);

    std::size_t offset = 0;
    msgpack::object_handle handle;
    try {
        handle = msgpack::unpack(body.data(), size, offset, nullptr, nullptr, limit);
    } catch (const msgpack::unpack_error& error) {
        fail(ErrorCode::MalformedBody, std::string(name) + ": frame 2 is not valid MessagePack (" +
                                           error.what() + ")");
    } catch (const std::bad_alloc&) {
        fail(ErrorCode::MalformedBody,
             std::string(name) + ": frame 2 could not be unpacked within memory limits");
    }

    if (offset != size) {
        fail(ErrorCode::MalformedBody, std::string(name) + ": frame 2 has " +
                                           std::to_string(size - offset) +
                                           " trailing bytes after the map");
    }
    return handle;
}

Message decode_checked(const Frames& frames, const DecodeOptions& options) {
    check_frame_count(frames);
    check_size(frames, options.max_message_bytes);
    check_signature(frames[0]);
    const Command command = read_command(frames[1]);
    const std::string name{command_name(static_cast<std::uint8_t>(command))};

    std::optional<std::string> payload;
    if (frames.size() == kMaxFrames) {
        if (!detail::allows_payload(command)) {
            fail(ErrorCode::UnexpectedPayload,
                 name + ": frame 3 (payload, " + std::to_string(frames[3].size()) +
                     " bytes) is not allowed on this command; send 3 frames");
        }
        payload = frames[3];
    }

    const msgpack::object_handle handle = parse_body(frames[2], name);
    const detail::FieldReader body(handle.get(), name);
    return detail::decode_body(command, body, std::move(payload));
}

// Returns the command byte when frame 1 is readable as one byte.
std::optional<std::uint8_t> readable_command(const Frames& frames) {
    if (frames.size() < 2 || frames[1].size() != 1) {
        return std::nullopt;
    }
    return static_cast<std::uint8_t>(frames[1][0]);
}

}  // namespace

std::variant<Message, DecodeError> decode(const Frames& frames, const DecodeOptions& options) {
    try {
        return decode_checked(frames, options);
    } catch (DecodeFailure& failure) {
        return DecodeError{failure.code, std::move(failure.message), readable_command(frames)};
    } catch (const std::exception& error) {
        // msgpack-c may raise other std exceptions (type_error, bad_alloc) on hostile input.
        return DecodeError{ErrorCode::MalformedBody,
                           std::string("frame 2 could not be decoded: ") + error.what(),
                           readable_command(frames)};
    }
}

}  // namespace aip::proto
