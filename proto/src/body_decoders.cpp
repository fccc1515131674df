#include "body_decoders.hpp"

#include <cmath>
#include <limits>

namespace aip::proto::detail {

namespace {

constexpr std::uint64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kMinSlots = 1;
constexpr std::uint64_t kMaxSlots = 1024;
constexpr std::uint64_t kMinAttempts = 1;
constexpr std::uint64_t kMaxAttempts = 100;

const std::initializer_list<std::string_view> kTaskStates{
    "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"};
const std::initializer_list<std::string_view> kListedDeviceStates{"CONNECTED", "DISCONNECTED"};
const std::initializer_list<std::string_view> kEventDeviceStates{"CONNECTED", "DISCONNECTED",
                                                                     "REMOVED"};

std::uint32_t narrow(std::uint64_t value) {
    return static_cast<std::uint32_t>(value);
}

// Capabilities follow the id rule (1 to 128 printable ASCII bytes), so that an empty or
// invisible capability cannot match nothing silently.
void require_valid_capabilities(const FieldReader& body, const std::vector<std::string>& capabilities) {
    for (const auto& capability : capabilities) {
        if (!is_valid_id(capability)) {
            fail(ErrorCode::InvalidValue, body.context() + ": capability \"" + capability +
                                              "\" is not 1 to 128 printable ASCII characters");
        }
    }
}

Register decode_register(const FieldReader& body) {
    Register message;
    const std::string role = body.required_choice("role", {"device", "client"});
    message.role = role == "device" ? Role::Device : Role::Client;
    message.peer_id = body.required_id(message.role == Role::Device ? "device_id" : "client_id");
    message.capabilities = body.str_list("capabilities");
    require_valid_capabilities(body, message.capabilities);
    message.slots = narrow(body.optional_uint("slots", kMinSlots, kMaxSlots).value_or(1));
    message.session_token = body.optional_str("session_token");
    return message;
}

ReconnectAdvice decode_reconnect(const FieldReader& map) {
    ReconnectAdvice advice;
    advice.policy = map.optional_choice("policy", {"exponential", "linear", "immediate", "none"})
                        .value_or(advice.policy);
    advice.max_retries = narrow(map.optional_uint("max_retries", 0, kMaxU32).value_or(advice.max_retries));
    advice.initial_backoff = map.optional_ms("initial_backoff_ms").value_or(advice.initial_backoff);
    advice.max_backoff = map.optional_ms("max_backoff_ms").value_or(advice.max_backoff);
    advice.multiplier = map.optional_float("multiplier").value_or(advice.multiplier);
    if (!std::isfinite(advice.multiplier) || advice.multiplier < 1.0) {
        fail(ErrorCode::InvalidValue, map.context() + ": key \"reconnect.multiplier\" is " +
                                          std::to_string(advice.multiplier) +
                                          "; expected a finite number of at least 1");
    }
    advice.jitter =
        map.optional_choice("jitter", {"none", "full", "equal", "decorrelated", "proportional"})
            .value_or(advice.jitter);
    return advice;
}

Registered decode_registered(const FieldReader& body) {
    Registered message;
    message.session_token = body.required_str("session_token");
    message.heartbeat = body.required_ms("heartbeat_ms");
    message.liveness = narrow(body.required_uint("liveness", 0, kMaxU32));
    message.max_message_bytes = body.required_uint("max_message_bytes");
    message.reconnect = decode_reconnect(body.required_map("reconnect"));
    return message;
}

Disconnect decode_disconnect(const FieldReader& body) {
    return Disconnect{body.str_or_empty("reason")};
}

Error decode_error(const FieldReader& body) {
    Error message;
    message.code = body.required_str("code");
    message.message = body.required_str("message");
    if (const auto command = body.optional_uint("command", 0, 0xFF)) {
        message.command = static_cast<std::uint8_t>(*command);
    }
    message.task_id = body.optional_id("task_id");
    message.supported_versions = body.uint_list("supported_versions");
    return message;
}

Submit decode_submit(const FieldReader& body, std::optional<std::string> payload) {
    Submit message;
    message.task_id = body.required_id("task_id");
    message.device_id = body.optional_id("device_id");
    message.capability = body.optional_str("capability");
    if (message.capability) {
        require_valid_capabilities(body, {*message.capability});
    }
    if (message.device_id && message.capability) {
        fail(ErrorCode::InvalidValue, body.context() +
                                          ": keys \"device_id\" and \"capability\" are both set; "
                                          "set exactly one target");
    }
    if (!message.device_id && !message.capability) {
        fail(ErrorCode::MissingKey, body.context() +
                                        ": missing target; set key \"device_id\" or "
                                        "\"capability\"");
    }
    message.timeout = body.optional_ms("timeout_ms").value_or(message.timeout);
    message.max_attempts =
        narrow(body.optional_uint("max_attempts", kMinAttempts, kMaxAttempts).value_or(1));
    message.reassign = body.optional_bool("reassign").value_or(true);
    message.payload = std::move(payload).value_or(std::string{});
    return message;
}

Accepted decode_accepted(const FieldReader& body) {
    Accepted message;
    message.task_id = body.required_id("task_id");
    message.duplicate = body.required_bool("duplicate");
    return message;
}

TaskUpdate decode_task_update(const FieldReader& body, std::optional<std::string> payload) {
    TaskUpdate message;
    message.task_id = body.required_id("task_id");
    message.state = body.required_choice("state", kTaskStates);
    message.final = body.required_bool("final");
    message.attempts = narrow(body.required_uint("attempts", 0, kMaxU32));
    message.reason = body.str_or_empty("reason");
    message.device_id = body.id_or_empty("device_id");
    message.error = body.str_or_empty("error");
    // NOTE: a payload is accepted with any state, although SPEC.md expects one only with
    // COMPLETED or FAILED; peers receive it unchanged.
    message.payload = std::move(payload);
    return message;
}

Cancel decode_cancel(const FieldReader& body) {
    return Cancel{body.required_id("task_id")};
}

Query decode_query(const FieldReader& body) {
    Query message;
    message.request_id = body.required_uint("request_id");
    message.what = body.required_choice("what", {"devices", "tasks"});
    return message;
}

DeviceInfo decode_device_info(const FieldReader& entry) {
    DeviceInfo device;
    device.device_id = entry.required_id("device_id");
    device.state = entry.required_choice("state", kListedDeviceStates);
    device.capabilities = entry.str_list("capabilities");
    device.slots = narrow(entry.optional_uint("slots", 0, kMaxU32).value_or(0));
    device.running = narrow(entry.optional_uint("running", 0, kMaxU32).value_or(0));
    device.last_seen = entry.optional_ms("last_seen_ms").value_or(device.last_seen);
    return device;
}

TaskInfo decode_task_info(const FieldReader& entry) {
    TaskInfo task;
    task.task_id = entry.required_id("task_id");
    task.client_id = entry.id_or_empty("client_id");
    task.state = entry.required_choice("state", kTaskStates);
    task.reason = entry.str_or_empty("reason");
    task.device_id = entry.id_or_empty("device_id");
    task.attempts = narrow(entry.optional_uint("attempts", 0, kMaxU32).value_or(0));
    return task;
}

QueryReply decode_query_reply(const FieldReader& body) {
    QueryReply message;
    message.request_id = body.required_uint("request_id");
    for (const auto& entry : body.map_list("devices")) {
        message.devices.push_back(decode_device_info(entry));
    }
    for (const auto& entry : body.map_list("tasks")) {
        message.tasks.push_back(decode_task_info(entry));
    }
    message.truncated = body.optional_bool("truncated").value_or(false);
    return message;
}

Subscribe decode_subscribe(const FieldReader& body) {
    return Subscribe{body.optional_bool("enabled").value_or(true)};
}

Event decode_event(const FieldReader& body) {
    Event message;
    message.kind = body.required_choice("kind", {"device", "task"});
    message.id = body.required_id("id");
    message.state = message.kind == "device" ? body.required_choice("state", kEventDeviceStates)
                                             : body.required_choice("state", kTaskStates);
    message.reason = body.str_or_empty("reason");
    message.device_id = body.id_or_empty("device_id");
    message.client_id = body.id_or_empty("client_id");
    message.attempts = narrow(body.optional_uint("attempts", 0, kMaxU32).value_or(0));
    return message;
}

Assign decode_assign(const FieldReader& body, std::optional<std::string> payload) {
    Assign message;
    message.task_id = body.required_id("task_id");
    message.attempt = narrow(body.required_uint("attempt", 1, kMaxU32));
    message.timeout = body.required_ms("timeout_ms");
    message.payload = std::move(payload).value_or(std::string{});
    return message;
}

Started decode_started(const FieldReader& body) {
    Started message;
    message.task_id = body.required_id("task_id");
    message.attempt = narrow(body.required_uint("attempt", 1, kMaxU32));
    return message;
}

Result decode_result(const FieldReader& body, std::optional<std::string> payload) {
    Result message;
    message.task_id = body.required_id("task_id");
    message.attempt = narrow(body.required_uint("attempt", 1, kMaxU32));
    message.ok = body.required_bool("ok");
    message.error = body.str_or_empty("error");
    message.payload = std::move(payload);
    return message;
}

Abort decode_abort(const FieldReader& body) {
    Abort message;
    message.task_id = body.required_id("task_id");
    message.attempt = narrow(body.required_uint("attempt", 1, kMaxU32));
    message.reason = body.required_str("reason");
    return message;
}

}  // namespace

bool allows_payload(Command command) noexcept {
    return command == Command::Submit || command == Command::TaskUpdate ||
           command == Command::Assign || command == Command::Result;
}

bool is_known_command(std::uint8_t command) noexcept {
    return command_name(command) != "UNKNOWN";
}

Message decode_body(Command command, const FieldReader& body, std::optional<std::string> payload) {
    switch (command) {
        case Command::Register: return decode_register(body);
        case Command::Registered: return decode_registered(body);
        case Command::Heartbeat: return Heartbeat{};
        case Command::Disconnect: return decode_disconnect(body);
        case Command::Error: return decode_error(body);
        case Command::Submit: return decode_submit(body, std::move(payload));
        case Command::Accepted: return decode_accepted(body);
        case Command::TaskUpdate: return decode_task_update(body, std::move(payload));
        case Command::Cancel: return decode_cancel(body);
        case Command::Query: return decode_query(body);
        case Command::QueryReply: return decode_query_reply(body);
        case Command::Subscribe: return decode_subscribe(body);
        case Command::Event: return decode_event(body);
        case Command::Assign: return decode_assign(body, std::move(payload));
        case Command::Started: return decode_started(body);
        case Command::Result: return decode_result(body, std::move(payload));
        case Command::Abort: return decode_abort(body);
    }
    fail(ErrorCode::UnknownCommand, "command byte is not in the protocol");
}

}  // namespace aip::proto::detail
