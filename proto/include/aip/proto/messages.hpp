// Typed messages of the AIP wire protocol, version 1 (proto/SPEC.md is the normative text).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aip::proto {

// Frame 0 of every message: "AIP" followed by the protocol major version.
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::string_view kSignature{"AIP\x01", 4};
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kDefaultMaxMessageBytes = 1024 * 1024;

enum class Command : std::uint8_t {
    Register = 0x01,
    Registered = 0x02,
    Heartbeat = 0x03,
    Disconnect = 0x04,
    Error = 0x05,
    Submit = 0x10,
    Accepted = 0x11,
    TaskUpdate = 0x12,
    Cancel = 0x13,
    Query = 0x14,
    QueryReply = 0x15,
    Subscribe = 0x16,
    Event = 0x17,
    Assign = 0x20,
    Started = 0x21,
    Result = 0x22,
    Abort = 0x23,
};

enum class Role : std::uint8_t { Device, Client };

// Recommended reconnect policy sent in REGISTERED; names as in SPEC.md section 4.
struct ReconnectAdvice {
    std::string policy{"exponential"};
    std::uint32_t max_retries{5};
    std::chrono::milliseconds initial_backoff{1000};
    std::chrono::milliseconds max_backoff{60000};
    double multiplier{2.0};
    std::string jitter{"full"};

    friend bool operator==(const ReconnectAdvice&, const ReconnectAdvice&) = default;
};

struct Register {
    Role role{Role::Device};
    std::string peer_id;  // device_id or client_id on the wire, by role
    std::vector<std::string> capabilities;
    std::uint32_t slots{1};
    std::optional<std::string> session_token;

    friend bool operator==(const Register&, const Register&) = default;
};

struct Registered {
    std::string session_token;
    std::chrono::milliseconds heartbeat{1000};
    std::uint32_t liveness{3};
    std::uint64_t max_message_bytes{kDefaultMaxMessageBytes};
    ReconnectAdvice reconnect;

    friend bool operator==(const Registered&, const Registered&) = default;
};

struct Heartbeat {
    friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

struct Disconnect {
    std::string reason;

    friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

struct Error {
    std::string code;
    std::string message;
    std::optional<std::uint8_t> command;
    std::optional<std::string> task_id;
    std::vector<std::uint64_t> supported_versions;

    friend bool operator==(const Error&, const Error&) = default;
};

struct Submit {
    std::string task_id;
    std::optional<std::string> device_id;
    std::optional<std::string> capability;
    std::chrono::milliseconds timeout{0};  // 0: the broker's default task timeout
    std::uint32_t max_attempts{1};
    bool reassign{true};
    std::string payload;

    friend bool operator==(const Submit&, const Submit&) = default;
};

struct Accepted {
    std::string task_id;
    bool duplicate{false};

    friend bool operator==(const Accepted&, const Accepted&) = default;
};

struct TaskUpdate {
    std::string task_id;
    std::string state;
    bool final{false};
    std::uint32_t attempts{0};
    std::string reason;
    std::string device_id;
    std::string error;
    std::optional<std::string> payload;

    friend bool operator==(const TaskUpdate&, const TaskUpdate&) = default;
};

struct Cancel {
    std::string task_id;

    friend bool operator==(const Cancel&, const Cancel&) = default;
};

struct Query {
    std::uint64_t request_id{0};
    std::string what;  // "devices" or "tasks"

    friend bool operator==(const Query&, const Query&) = default;
};

struct DeviceInfo {
    std::string device_id;
    std::string state;
    std::vector<std::string> capabilities;
    std::uint32_t slots{0};
    std::uint32_t running{0};
    std::chrono::milliseconds last_seen{0};

    friend bool operator==(const DeviceInfo&, const DeviceInfo&) = default;
};

struct TaskInfo {
    std::string task_id;
    std::string client_id;
    std::string state;
    std::string reason;
    std::string device_id;
    std::uint32_t attempts{0};

    friend bool operator==(const TaskInfo&, const TaskInfo&) = default;
};

struct QueryReply {
    std::uint64_t request_id{0};
    std::vector<DeviceInfo> devices;
    std::vector<TaskInfo> tasks;
    bool truncated{false};  // entries were left out to keep the reply within max_message_bytes

    friend bool operator==(const QueryReply&, const QueryReply&) = default;
};

struct Subscribe {
    bool enabled{true};

    friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

struct Event {
    std::string kind;  // "device" or "task"
    std::string id;
    std::string state;
    std::string reason;
    std::string device_id;
    std::string client_id;
    std::uint32_t attempts{0};

    friend bool operator==(const Event&, const Event&) = default;
};

struct Assign {
    std::string task_id;
    std::uint32_t attempt{1};
    std::chrono::milliseconds timeout{0};
    std::string payload;

    friend bool operator==(const Assign&, const Assign&) = default;
};

struct Started {
    std::string task_id;
    std::uint32_t attempt{1};

    friend bool operator==(const Started&, const Started&) = default;
};

struct Result {
    std::string task_id;
    std::uint32_t attempt{1};
    bool ok{true};
    std::string error;
    std::optional<std::string> payload;

    friend bool operator==(const Result&, const Result&) = default;
};

struct Abort {
    std::string task_id;
    std::uint32_t attempt{1};
    std::string reason;

    friend bool operator==(const Abort&, const Abort&) = default;
};

using Message = std::variant<Register, Registered, Heartbeat, Disconnect, Error, Submit, Accepted,
                             TaskUpdate, Cancel, Query, QueryReply, Subscribe, Event, Assign,
                             Started, Result, Abort>;

// Returns the command byte of a message.
[[nodiscard]] Command command_of(const Message& message) noexcept;

// Returns the upper-case command name ("REGISTER"), or "UNKNOWN" for an unlisted byte.
[[nodiscard]] std::string_view command_name(std::uint8_t command) noexcept;

}  // namespace aip::proto
