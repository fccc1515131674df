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
};

struct Register {
    Role role{Role::Device};
    std::string peer_id;  // device_id or client_id on the wire, by role
    std::vector<std::string> capabilities;
    std::uint32_t slots{1};
    std::optional<std::string> session_token;
};

struct Registered {
    std::string session_token;
    std::chrono::milliseconds heartbeat{1000};
    std::uint32_t liveness{3};
    std::uint64_t max_message_bytes{kDefaultMaxMessageBytes};
    ReconnectAdvice reconnect;
};

struct Heartbeat {};

struct Disconnect {
    std::string reason;
};

struct Error {
    std::string code;
    std::string message;
    std::optional<std::uint8_t> command;
    std::optional<std::string> task_id;
    std::vector<std::uint64_t> supported_versions;
};

struct Submit {
    std::string task_id;
    std::optional<std::string> device_id;
    std::optional<std::string> capability;
    std::chrono::milliseconds timeout{0};  // 0: the broker's default task timeout
    std::uint32_t max_attempts{1};
    bool reassign{true};
    std::string payload;
};

struct Accepted {
    std::string task_id;
    bool duplicate{false};
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
};

struct Cancel {
    std::string task_id;
};

struct Query {
    std::uint64_t request_id{0};
    std::string what;  // "devices" or "tasks"
};

struct DeviceInfo {
    std::string device_id;
    std::string state;
    std::vector<std::string> capabilities;
    std::uint32_t slots{0};
    std::uint32_t running{0};
    std::chrono::milliseconds last_seen{0};
};

struct TaskInfo {
    std::string task_id;
    std::string client_id;
    std::string state;
    std::string reason;
    std::string device_id;
    std::uint32_t attempts{0};
};

struct QueryReply {
    std::uint64_t request_id{0};
    std::vector<DeviceInfo> devices;
    std::vector<TaskInfo> tasks;
};

struct Subscribe {
    bool enabled{true};
};

struct Event {
    std::string kind;  // "device" or "task"
    std::string id;
    std::string state;
    std::string reason;
    std::string device_id;
    std::string client_id;
    std::uint32_t attempts{0};
};

struct Assign {
    std::string task_id;
    std::uint32_t attempt{1};
    std::chrono::milliseconds timeout{0};
    std::string payload;
};

struct Started {
    std::string task_id;
    std::uint32_t attempt{1};
};

struct Result {
    std::string task_id;
    std::uint32_t attempt{1};
    bool ok{true};
    std::string error;
    std::optional<std::string> payload;
};

struct Abort {
    std::string task_id;
    std::uint32_t attempt{1};
    std::string reason;
};

using Message = std::variant<Register, Registered, Heartbeat, Disconnect, Error, Submit, Accepted,
                             TaskUpdate, Cancel, Query, QueryReply, Subscribe, Event, Assign,
                             Started, Result, Abort>;

// Returns the command byte of a message.
[[nodiscard]] Command command_of(const Message& message) noexcept;

// Returns the upper-case command name ("REGISTER"), or "UNKNOWN" for an unlisted byte.
[[nodiscard]] std::string_view command_name(std::uint8_t command) noexcept;

}  // namespace aip::proto
