// Round trips of every message type, each codec error code, and the id and size boundaries.

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include "aip/proto/codec.hpp"

namespace aip::proto {
namespace {

using namespace std::chrono_literals;

// Returns a MessagePack map built by the given packing steps.
template <typename Fill>
std::string pack_map(std::uint32_t entries, Fill fill) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> packer{buffer};
    packer.pack_map(entries);
    fill(packer);
    return {buffer.data(), buffer.size()};
}

std::string command_frame(Command command) {
    return std::string(1, static_cast<char>(command));
}

const std::string kEmptyMap{"\x80", 1};

ErrorCode error_code_of(const std::variant<Message, DecodeError>& result) {
    EXPECT_TRUE(std::holds_alternative<DecodeError>(result)) << "the frames decoded successfully";
    if (const auto* error = std::get_if<DecodeError>(&result)) {
        return error->code;
    }
    return ErrorCode::MalformedBody;
}

Frames cancel_frames(const std::string& body) {
    return {std::string(kSignature), command_frame(Command::Cancel), body};
}

std::string cancel_body(std::string_view task_id) {
    return pack_map(1, [&](auto& packer) {
        packer.pack(std::string("task_id"));
        packer.pack(std::string(task_id));
    });
}

std::vector<Message> sample_messages() {
    Registered registered;
    registered.session_token = "token-1";
    registered.heartbeat = 250ms;
    registered.liveness = 4;
    registered.max_message_bytes = 65536;
    registered.reconnect = ReconnectAdvice{"linear", 7, 100ms, 5000ms, 1.5, "equal"};

    QueryReply reply;
    reply.request_id = 42;
    reply.devices.push_back(DeviceInfo{"dev-1", "CONNECTED", {"gpu", "cpu"}, 4, 2, 120ms});
    reply.devices.push_back(DeviceInfo{"dev-2", "DISCONNECTED", {}, 1, 0, 0ms});
    reply.tasks.push_back(TaskInfo{"t-1", "cli-1", "RUNNING", "", "dev-1", 1});
    reply.tasks.push_back(TaskInfo{"t-2", "cli-1", "PENDING", "queued", "", 0});

    return {
        Register{Role::Device, "dev-1", {"gpu", "camera"}, 8, std::nullopt},
        Register{Role::Client, "cli-1", {}, 1, std::string("token-9")},
        registered,
        Heartbeat{},
        Disconnect{"shutting down"},
        Disconnect{""},
        Error{"unknown_task", "task t-9 is not yours", std::uint8_t{0x13}, std::string("t-9"), {}},
        Error{"unsupported_version", "version 2", std::nullopt, std::nullopt, {1}},
        Submit{"t-1", std::string("dev-1"), std::nullopt, 30s, 3, false, std::string("\x00\x01\xFF", 3)},
        Submit{"t-2", std::nullopt, std::string("gpu"), 0ms, 1, true, ""},
        Accepted{"t-1", true},
        TaskUpdate{"t-1", "COMPLETED", true, 1, "", "dev-1", "", std::string("output")},
        TaskUpdate{"t-1", "PENDING", false, 1, "retrying", "", "device_disconnected", std::nullopt},
        Cancel{"t-1"},
        Query{7, "tasks"},
        reply,
        Subscribe{false},
        Subscribe{true},
        Event{"device", "dev-1", "REMOVED", "grace_expired", "", "", 0},
        Event{"task", "t-1", "FAILED", "task_error", "dev-1", "cli-1", 2},
        Assign{"t-1", 2, 10s, std::string("input")},
        Started{"t-1", 2},
        Result{"t-1", 2, false, "division by zero", std::nullopt},
        Result{"t-1", 2, true, "", std::string("")},
        Abort{"t-1", 2, "deadline_exceeded"},
    };
}

TEST(Codec, RoundTripsEveryMessageType) {
    for (const Message& message : sample_messages()) {
        const auto name = command_name(static_cast<std::uint8_t>(command_of(message)));
        const auto decoded = decode(encode(message));
        ASSERT_TRUE(std::holds_alternative<Message>(decoded))
            << name << ": " << std::get<DecodeError>(decoded).message;
        EXPECT_EQ(std::get<Message>(decoded), message) << name;
    }
}

TEST(Codec, EncodesSignatureAndCommandFrames) {
    const Frames frames = encode(Cancel{"t-1"});
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0], std::string("AIP\x01", 4));
    EXPECT_EQ(frames[1], std::string("\x13", 1));
}

TEST(Codec, EncodesEmptyBodyAsEmptyMap) {
    const Frames frames = encode(Heartbeat{});
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[2], kEmptyMap);
}

TEST(Codec, EncodesPayloadAsFourthFrame) {
    const Frames frames = encode(Assign{"t-1", 1, 1s, "abc"});
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_EQ(frames[3], "abc");
}

TEST(Codec, EncodesResultWithoutPayloadAsThreeFrames) {
    EXPECT_EQ(encode(Result{"t-1", 1, true, "", std::nullopt}).size(), 3u);
}

TEST(Codec, EncodingIsDeterministic) {
    for (const Message& message : sample_messages()) {
        EXPECT_EQ(encode(message), encode(message));
    }
}

TEST(Codec, CommandNameOfUnknownByte) {
    EXPECT_EQ(command_name(0x7F), "UNKNOWN");
    EXPECT_EQ(command_name(0x12), "TASK_UPDATE");
}

TEST(Codec, ErrorCodeNames) {
    EXPECT_EQ(error_code_name(ErrorCode::UnsupportedVersion), "unsupported_version");
    EXPECT_EQ(error_code_name(ErrorCode::BadSignature), "bad_signature");
    EXPECT_EQ(error_code_name(ErrorCode::TooFewFrames), "too_few_frames");
    EXPECT_EQ(error_code_name(ErrorCode::TooManyFrames), "too_many_frames");
    EXPECT_EQ(error_code_name(ErrorCode::MessageTooLarge), "message_too_large");
    EXPECT_EQ(error_code_name(ErrorCode::UnknownCommand), "unknown_command");
    EXPECT_EQ(error_code_name(ErrorCode::MalformedBody), "malformed_body");
    EXPECT_EQ(error_code_name(ErrorCode::MissingKey), "missing_key");
    EXPECT_EQ(error_code_name(ErrorCode::WrongType), "wrong_type");
    EXPECT_EQ(error_code_name(ErrorCode::InvalidValue), "invalid_value");
    EXPECT_EQ(error_code_name(ErrorCode::UnexpectedPayload), "unexpected_payload");
}

TEST(CodecErrors, OtherVersionIsUnsupportedVersion) {
    const Frames frames{std::string("AIP\x02", 4), command_frame(Command::Heartbeat), kEmptyMap};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::UnsupportedVersion);
}

TEST(CodecErrors, ForeignSignatureIsBadSignature) {
    const Frames frames{"HTTP", command_frame(Command::Heartbeat), kEmptyMap};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::BadSignature);
}

TEST(CodecErrors, LongerSignatureIsBadSignature) {
    const Frames frames{std::string("AIP\x01\x00", 5), command_frame(Command::Heartbeat), kEmptyMap};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::BadSignature);
}

TEST(CodecErrors, TwoFramesAreTooFew) {
    const Frames frames{std::string(kSignature), command_frame(Command::Heartbeat)};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::TooFewFrames);
}

TEST(CodecErrors, NoFramesAreTooFew) {
    EXPECT_EQ(error_code_of(decode(Frames{})), ErrorCode::TooFewFrames);
}

TEST(CodecErrors, FiveFramesAreTooMany) {
    const Frames frames{std::string(kSignature), command_frame(Command::Submit), kEmptyMap, "a", "b"};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::TooManyFrames);
}

TEST(CodecErrors, UnknownCommandByte) {
    const Frames frames{std::string(kSignature), std::string("\x7F", 1), kEmptyMap};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::UnknownCommand);
}

TEST(CodecErrors, TwoByteCommandFrameIsUnknownCommand) {
    const Frames frames{std::string(kSignature), std::string("\x03\x03", 2), kEmptyMap};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::UnknownCommand);
}

TEST(CodecErrors, ErrorCarriesReadableCommandByte) {
    const auto result = decode(cancel_frames(kEmptyMap));
    ASSERT_TRUE(std::holds_alternative<DecodeError>(result));
    EXPECT_EQ(std::get<DecodeError>(result).command, std::optional<std::uint8_t>{0x13});
}

TEST(CodecErrors, ErrorMessageNamesMissingKey) {
    const auto result = decode(cancel_frames(kEmptyMap));
    ASSERT_TRUE(std::holds_alternative<DecodeError>(result));
    EXPECT_NE(std::get<DecodeError>(result).message.find("task_id"), std::string::npos);
}

TEST(CodecErrors, BodyThatIsNotMapIsMalformed) {
    EXPECT_EQ(error_code_of(decode(cancel_frames(std::string("\x91\x01", 2)))),
              ErrorCode::MalformedBody);
}

TEST(CodecErrors, EmptyBodyIsMalformed) {
    EXPECT_EQ(error_code_of(decode(cancel_frames(""))), ErrorCode::MalformedBody);
}

TEST(CodecErrors, TruncatedBodyIsMalformed) {
    std::string body = cancel_body("t-1");
    body.pop_back();
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::MalformedBody);
}

TEST(CodecErrors, TrailingBytesAreMalformed) {
    EXPECT_EQ(error_code_of(decode(cancel_frames(cancel_body("t-1") + kEmptyMap))),
              ErrorCode::MalformedBody);
}

TEST(CodecErrors, IntegerKeyIsMalformed) {
    const std::string body = pack_map(1, [](auto& packer) {
        packer.pack(1);
        packer.pack(std::string("t-1"));
    });
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::MalformedBody);
}

TEST(CodecErrors, DuplicateKeyIsMalformed) {
    const std::string body = pack_map(2, [](auto& packer) {
        packer.pack(std::string("task_id"));
        packer.pack(std::string("t-1"));
        packer.pack(std::string("task_id"));
        packer.pack(std::string("t-2"));
    });
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::MalformedBody);
}

TEST(CodecErrors, ForgedHugeArrayHeaderIsMalformed) {
    // A map of one key whose value claims 2^32-1 array elements but has none.
    const std::string body = std::string("\x81\xA1k\xDD\xFF\xFF\xFF\xFF", 8);
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::MalformedBody);
}

TEST(CodecErrors, DeepNestingIsMalformed) {
    std::string body = "\x81\xA1k";
    body += std::string(100, '\x91');
    body += '\x01';
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::MalformedBody);
}

TEST(CodecErrors, MissingRequiredKey) {
    EXPECT_EQ(error_code_of(decode(cancel_frames(kEmptyMap))), ErrorCode::MissingKey);
}

TEST(CodecErrors, NilCountsAsAbsent) {
    const std::string body = pack_map(1, [](auto& packer) {
        packer.pack(std::string("task_id"));
        packer.pack_nil();
    });
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::MissingKey);
}

TEST(CodecErrors, IntegerIdIsWrongType) {
    const std::string body = pack_map(1, [](auto& packer) {
        packer.pack(std::string("task_id"));
        packer.pack(17);
    });
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::WrongType);
}

TEST(CodecErrors, BinaryIdIsWrongType) {
    const std::string body = pack_map(1, [](auto& packer) {
        packer.pack(std::string("task_id"));
        packer.pack_bin(3);
        packer.pack_bin_body("t-1", 3);
    });
    EXPECT_EQ(error_code_of(decode(cancel_frames(body))), ErrorCode::WrongType);
}

TEST(CodecErrors, IdWithSpaceIsInvalidValue) {
    EXPECT_EQ(error_code_of(decode(cancel_frames(cancel_body("t 1")))), ErrorCode::InvalidValue);
}

TEST(CodecErrors, EmptyIdIsInvalidValue) {
    EXPECT_EQ(error_code_of(decode(cancel_frames(cancel_body("")))), ErrorCode::InvalidValue);
}

TEST(CodecErrors, PayloadOnCancelIsUnexpected) {
    Frames frames = encode(Cancel{"t-1"});
    frames.push_back("input");
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::UnexpectedPayload);
}

TEST(CodecErrors, UnknownRoleIsInvalidValue) {
    const std::string body = pack_map(2, [](auto& packer) {
        packer.pack(std::string("role"));
        packer.pack(std::string("admin"));
        packer.pack(std::string("device_id"));
        packer.pack(std::string("dev-1"));
    });
    const Frames frames{std::string(kSignature), command_frame(Command::Register), body};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::InvalidValue);
}

TEST(CodecErrors, ClientRegisterWithDeviceIdIsMissingClientId) {
    const std::string body = pack_map(2, [](auto& packer) {
        packer.pack(std::string("role"));
        packer.pack(std::string("client"));
        packer.pack(std::string("device_id"));
        packer.pack(std::string("dev-1"));
    });
    const Frames frames{std::string(kSignature), command_frame(Command::Register), body};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::MissingKey);
}

TEST(CodecErrors, SlotsBounds) {
    for (const auto& [slots, expect_ok] :
         std::vector<std::pair<std::uint64_t, bool>>{{0, false}, {1, true}, {1024, true}, {1025, false}}) {
        Frames frames = encode(Register{Role::Device, "dev-1", {}, 2, std::nullopt});
        frames[2] = pack_map(3, [&](auto& packer) {
            packer.pack(std::string("role"));
            packer.pack(std::string("device"));
            packer.pack(std::string("device_id"));
            packer.pack(std::string("dev-1"));
            packer.pack(std::string("slots"));
            packer.pack(slots);
        });
        const auto result = decode(frames);
        EXPECT_EQ(std::holds_alternative<Message>(result), expect_ok) << "slots " << slots;
    }
}

TEST(CodecErrors, MaxAttemptsBounds) {
    for (const auto& [attempts, expect_ok] :
         std::vector<std::pair<std::uint32_t, bool>>{{0, false}, {1, true}, {100, true}, {101, false}}) {
        const Frames frames = encode(Submit{"t-1", std::nullopt, std::string("gpu"), 0ms, attempts, true, ""});
        const auto result = decode(frames);
        EXPECT_EQ(std::holds_alternative<Message>(result), expect_ok) << "max_attempts " << attempts;
    }
}

TEST(CodecErrors, SubmitWithBothTargetsIsInvalidValue) {
    const Frames frames = encode(Submit{"t-1", std::string("dev-1"), std::string("gpu"), 0ms, 1, true, ""});
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::InvalidValue);
}

TEST(CodecErrors, SubmitWithoutTargetIsMissingKey) {
    const Frames frames = encode(Submit{"t-1", std::nullopt, std::nullopt, 0ms, 1, true, ""});
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::MissingKey);
}

TEST(CodecErrors, QueryOfUnknownKindIsInvalidValue) {
    EXPECT_EQ(error_code_of(decode(encode(Query{1, "users"}))), ErrorCode::InvalidValue);
}

TEST(CodecErrors, UnknownTaskStateIsInvalidValue) {
    const Frames frames = encode(TaskUpdate{"t-1", "DONE", true, 1, "", "", "", std::nullopt});
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::InvalidValue);
}

TEST(CodecErrors, NegativeUintIsInvalidValue) {
    const std::string body = pack_map(2, [](auto& packer) {
        packer.pack(std::string("request_id"));
        packer.pack(-1);
        packer.pack(std::string("what"));
        packer.pack(std::string("tasks"));
    });
    const Frames frames{std::string(kSignature), command_frame(Command::Query), body};
    EXPECT_EQ(error_code_of(decode(frames)), ErrorCode::InvalidValue);
}

TEST(CodecErrors, IntegerMultiplierIsAccepted) {
    Registered registered;
    registered.session_token = "s";
    Frames frames = encode(registered);
    const std::string reconnect = pack_map(1, [](auto& packer) {
        packer.pack(std::string("multiplier"));
        packer.pack(3);
    });
    frames[2] = pack_map(5, [&](auto& packer) {
        packer.pack(std::string("session_token"));
        packer.pack(std::string("s"));
        packer.pack(std::string("heartbeat_ms"));
        packer.pack(1000);
        packer.pack(std::string("liveness"));
        packer.pack(3);
        packer.pack(std::string("max_message_bytes"));
        packer.pack(1048576);
        packer.pack(std::string("reconnect"));
    });
    frames[2] += reconnect;
    const auto result = decode(frames);
    ASSERT_TRUE(std::holds_alternative<Message>(result)) << std::get<DecodeError>(result).message;
    EXPECT_EQ(std::get<Registered>(std::get<Message>(result)).reconnect.multiplier, 3.0);
}

TEST(CodecBoundaries, IdOf128BytesIsValid) {
    const std::string id(128, 'a');
    EXPECT_TRUE(std::holds_alternative<Message>(decode(encode(Cancel{id}))));
}

TEST(CodecBoundaries, IdOf129BytesIsInvalid) {
    const std::string id(129, 'a');
    EXPECT_EQ(error_code_of(decode(encode(Cancel{id}))), ErrorCode::InvalidValue);
}

TEST(CodecBoundaries, IdCharacterRange) {
    EXPECT_TRUE(is_valid_id("!"));
    EXPECT_TRUE(is_valid_id("~"));
    EXPECT_FALSE(is_valid_id(" "));
    EXPECT_FALSE(is_valid_id("\x7F"));
    EXPECT_FALSE(is_valid_id(std::string("a\0b", 3)));
}

TEST(CodecBoundaries, MessageAtSizeLimitIsAccepted) {
    const Frames frames = encode(Assign{"t-1", 1, 1s, std::string(1000, 'x')});
    std::size_t total = 0;
    for (const auto& frame : frames) {
        total += frame.size();
    }
    EXPECT_TRUE(std::holds_alternative<Message>(decode(frames, DecodeOptions{total})));
}

TEST(CodecBoundaries, MessageOneByteOverLimitIsTooLarge) {
    const Frames frames = encode(Assign{"t-1", 1, 1s, std::string(1000, 'x')});
    std::size_t total = 0;
    for (const auto& frame : frames) {
        total += frame.size();
    }
    EXPECT_EQ(error_code_of(decode(frames, DecodeOptions{total - 1})), ErrorCode::MessageTooLarge);
}

TEST(CodecBoundaries, DefaultLimitAcceptsOneMebibyte) {
    const Frames probe = encode(Assign{"t-1", 1, 1s, ""});
    std::size_t overhead = 0;
    for (const auto& frame : probe) {
        overhead += frame.size();
    }
    const Frames frames = encode(Assign{"t-1", 1, 1s, std::string(kDefaultMaxMessageBytes - overhead, 'x')});
    EXPECT_TRUE(std::holds_alternative<Message>(decode(frames)));
}

TEST(CodecBoundaries, UnknownKeysAreIgnored) {
    const std::string body = pack_map(2, [](auto& packer) {
        packer.pack(std::string("future_key"));
        packer.pack(std::vector<int>{1, 2});
        packer.pack(std::string("task_id"));
        packer.pack(std::string("t-1"));
    });
    const auto result = decode(cancel_frames(body));
    ASSERT_TRUE(std::holds_alternative<Message>(result));
    EXPECT_EQ(std::get<Message>(result), Message{Cancel{"t-1"}});
}

TEST(CodecErrors, EmptyCapabilityInRegisterIsInvalidValue) {
    Register request{.role = Role::Device, .peer_id = "d1", .capabilities = {"gpu", ""}};
    EXPECT_EQ(error_code_of(decode(encode(request))), ErrorCode::InvalidValue);
}

TEST(CodecErrors, EmptyCapabilityInSubmitIsInvalidValue) {
    Submit submit{.task_id = "t1", .capability = std::string()};
    EXPECT_EQ(error_code_of(decode(encode(submit))), ErrorCode::InvalidValue);
}

TEST(Codec, QueryReplyTruncatedFlagRoundTrips) {
    QueryReply reply{.request_id = 3, .truncated = true};
    const auto decoded = decode(encode(reply));
    ASSERT_TRUE(std::holds_alternative<Message>(decoded));
    EXPECT_TRUE(std::get<QueryReply>(std::get<Message>(decoded)).truncated);
}

}  // namespace
}  // namespace aip::proto
