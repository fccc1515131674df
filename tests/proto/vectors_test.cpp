// Checks the codec against the shared vectors in proto/vectors/ (format in its README.md).

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "aip/proto/codec.hpp"

namespace aip::proto {
namespace {

using nlohmann::json;

json load_vectors(const std::string& file_name) {
    const std::string path = std::string(AIP_SOURCE_DIR) + "/proto/vectors/" + file_name;
    std::ifstream input(path);
    if (!input) {
        ADD_FAILURE() << "cannot open " << path;
        return json::array();
    }
    return json::parse(input);
}

std::string to_hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        hex += kDigits[byte >> 4];
        hex += kDigits[byte & 0x0F];
    }
    return hex;
}

std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return bytes;
}

Frames frames_of(const json& vector) {
    Frames frames;
    for (const auto& hex : vector.at("frames")) {
        frames.push_back(from_hex(hex.get<std::string>()));
    }
    return frames;
}

// Converts a decoded message into the "body" form of valid.json.
json fields_of(const Register& message) {
    json body{{"role", message.role == Role::Device ? "device" : "client"},
              {message.role == Role::Device ? "device_id" : "client_id", message.peer_id},
              {"capabilities", message.capabilities},
              {"slots", message.slots}};
    if (message.session_token) {
        body["session_token"] = *message.session_token;
    }
    return body;
}

json fields_of(const Registered& message) {
    const ReconnectAdvice& advice = message.reconnect;
    return {{"session_token", message.session_token},
            {"heartbeat_ms", message.heartbeat.count()},
            {"liveness", message.liveness},
            {"max_message_bytes", message.max_message_bytes},
            {"reconnect",
             {{"policy", advice.policy},
              {"max_retries", advice.max_retries},
              {"initial_backoff_ms", advice.initial_backoff.count()},
              {"max_backoff_ms", advice.max_backoff.count()},
              {"multiplier", advice.multiplier},
              {"jitter", advice.jitter}}}};
}

json fields_of(const Heartbeat&) {
    return json::object();
}

json fields_of(const Disconnect& message) {
    return {{"reason", message.reason}};
}

json fields_of(const Error& message) {
    json body{{"code", message.code},
              {"message", message.message},
              {"supported_versions", message.supported_versions}};
    if (message.command) {
        body["command"] = *message.command;
    }
    if (message.task_id) {
        body["task_id"] = *message.task_id;
    }
    return body;
}

json fields_of(const Submit& message) {
    json body{{"task_id", message.task_id},
              {"timeout_ms", message.timeout.count()},
              {"max_attempts", message.max_attempts},
              {"reassign", message.reassign},
              {"payload_hex", to_hex(message.payload)}};
    if (message.device_id) {
        body["device_id"] = *message.device_id;
    }
    if (message.capability) {
        body["capability"] = *message.capability;
    }
    return body;
}

json fields_of(const Accepted& message) {
    return {{"task_id", message.task_id}, {"duplicate", message.duplicate}};
}

json fields_of(const TaskUpdate& message) {
    json body{{"task_id", message.task_id}, {"state", message.state},
              {"final", message.final},     {"attempts", message.attempts},
              {"reason", message.reason},   {"device_id", message.device_id},
              {"error", message.error}};
    if (message.payload) {
        body["payload_hex"] = to_hex(*message.payload);
    }
    return body;
}

json fields_of(const Cancel& message) {
    return {{"task_id", message.task_id}};
}

json fields_of(const Query& message) {
    return {{"request_id", message.request_id}, {"what", message.what}};
}

json fields_of(const QueryReply& message) {
    json devices = json::array();
    for (const auto& device : message.devices) {
        devices.push_back({{"device_id", device.device_id},
                           {"state", device.state},
                           {"capabilities", device.capabilities},
                           {"slots", device.slots},
                           {"running", device.running},
                           {"last_seen_ms", device.last_seen.count()}});
    }
    json tasks = json::array();
    for (const auto& task : message.tasks) {
        tasks.push_back({{"task_id", task.task_id},
                         {"client_id", task.client_id},
                         {"state", task.state},
                         {"reason", task.reason},
                         {"device_id", task.device_id},
                         {"attempts", task.attempts}});
    }
    return {{"request_id", message.request_id},
            {"devices", devices},
            {"tasks", tasks},
            {"truncated", message.truncated}};
}

json fields_of(const Subscribe& message) {
    return {{"enabled", message.enabled}};
}

json fields_of(const Event& message) {
    return {{"kind", message.kind},           {"id", message.id},
            {"state", message.state},         {"reason", message.reason},
            {"device_id", message.device_id}, {"client_id", message.client_id},
            {"attempts", message.attempts}};
}

json fields_of(const Assign& message) {
    return {{"task_id", message.task_id},
            {"attempt", message.attempt},
            {"timeout_ms", message.timeout.count()},
            {"payload_hex", to_hex(message.payload)}};
}

json fields_of(const Started& message) {
    return {{"task_id", message.task_id}, {"attempt", message.attempt}};
}

json fields_of(const Result& message) {
    json body{{"task_id", message.task_id},
              {"attempt", message.attempt},
              {"ok", message.ok},
              {"error", message.error}};
    if (message.payload) {
        body["payload_hex"] = to_hex(*message.payload);
    }
    return body;
}

json fields_of(const Abort& message) {
    return {{"task_id", message.task_id}, {"attempt", message.attempt}, {"reason", message.reason}};
}

TEST(Vectors, FilesAreNotEmpty) {
    EXPECT_GE(load_vectors("valid.json").size(), 17u);
    EXPECT_GE(load_vectors("invalid.json").size(), 11u);
}

TEST(Vectors, ValidVectorsDecodeToTheirFields) {
    for (const json& vector : load_vectors("valid.json")) {
        const std::string name = vector.at("name");
        const auto result = decode(frames_of(vector));
        ASSERT_TRUE(std::holds_alternative<Message>(result))
            << name << ": " << std::get<DecodeError>(result).message;
        const Message& message = std::get<Message>(result);

        EXPECT_EQ(command_name(static_cast<std::uint8_t>(command_of(message))),
                  vector.at("command").get<std::string>())
            << name;
        const json fields = std::visit([](const auto& typed) { return fields_of(typed); }, message);
        EXPECT_EQ(fields, vector.at("body")) << name << "\n decoded: " << fields.dump()
                                             << "\n expected: " << vector.at("body").dump();
    }
}

TEST(Vectors, ValidVectorsSurviveReencoding) {
    for (const json& vector : load_vectors("valid.json")) {
        const std::string name = vector.at("name");
        const auto first = decode(frames_of(vector));
        ASSERT_TRUE(std::holds_alternative<Message>(first)) << name;

        const auto second = decode(encode(std::get<Message>(first)));
        ASSERT_TRUE(std::holds_alternative<Message>(second))
            << name << ": " << std::get<DecodeError>(second).message;
        EXPECT_EQ(std::get<Message>(second), std::get<Message>(first)) << name;
    }
}

TEST(Vectors, InvalidVectorsYieldTheirErrorCode) {
    for (const json& vector : load_vectors("invalid.json")) {
        const std::string name = vector.at("name");
        DecodeOptions options;
        if (vector.contains("max_message_bytes")) {
            options.max_message_bytes = vector.at("max_message_bytes").get<std::size_t>();
        }
        const auto result = decode(frames_of(vector), options);
        ASSERT_TRUE(std::holds_alternative<DecodeError>(result)) << name << " decoded successfully";
        const DecodeError& error = std::get<DecodeError>(result);
        EXPECT_EQ(error_code_name(error.code), vector.at("error").get<std::string>())
            << name << ": " << error.message;
        EXPECT_FALSE(error.message.empty()) << name;
    }
}

TEST(Vectors, EveryCommandHasAValidVector) {
    std::set<std::string> covered;
    for (const json& vector : load_vectors("valid.json")) {
        covered.insert(vector.at("command").get<std::string>());
    }
    for (int byte = 0; byte < 256; ++byte) {
        const auto name = command_name(static_cast<std::uint8_t>(byte));
        if (name != "UNKNOWN") {
            EXPECT_TRUE(covered.contains(std::string(name))) << name;
        }
    }
}

TEST(Vectors, EveryErrorCodeHasAnInvalidVector) {
    std::set<std::string> covered;
    for (const json& vector : load_vectors("invalid.json")) {
        covered.insert(vector.at("error").get<std::string>());
    }
    for (const ErrorCode code :
         {ErrorCode::UnsupportedVersion, ErrorCode::BadSignature, ErrorCode::TooFewFrames,
          ErrorCode::TooManyFrames, ErrorCode::MessageTooLarge, ErrorCode::UnknownCommand,
          ErrorCode::MalformedBody, ErrorCode::MissingKey, ErrorCode::WrongType,
          ErrorCode::InvalidValue, ErrorCode::UnexpectedPayload}) {
        EXPECT_TRUE(covered.contains(std::string(error_code_name(code))))
            << error_code_name(code);
    }
}

}  // namespace
}  // namespace aip::proto
