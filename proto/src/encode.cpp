// Encoding of typed messages into frames. The encoder does not validate: decode() is the check.
//
// Body keys are written in the order of SPEC.md section 3, so equal messages encode to equal
// bytes. Required keys are always written. An optional key is left out when its value equals
// what decode() returns for an absent key: an empty string, an empty list or the listed default.

#include <algorithm>

#include "aip/proto/codec.hpp"
#include "body_writer.hpp"

namespace aip::proto {

namespace {

using detail::BodyWriter;

// NOTE: a negative duration cannot be written as uint, so it is sent as 0.
std::uint64_t to_wire_ms(std::chrono::milliseconds duration) {
    return static_cast<std::uint64_t>(std::max<std::chrono::milliseconds::rep>(0, duration.count()));
}

void write_if_not_empty(BodyWriter& body, std::string_view key, const std::string& value) {
    if (!value.empty()) {
        body.str(key, value);
    }
}

BodyWriter write_body(const Register& message) {
    BodyWriter body;
    const bool device = message.role == Role::Device;
    body.str("role", device ? "device" : "client");
    body.str(device ? "device_id" : "client_id", message.peer_id);
    if (!message.capabilities.empty()) {
        body.str_list("capabilities", message.capabilities);
    }
    if (message.slots != 1) {
        body.uint("slots", message.slots);
    }
    if (message.session_token) {
        body.str("session_token", *message.session_token);
    }
    return body;
}

BodyWriter write_body(const Registered& message) {
    const ReconnectAdvice& advice = message.reconnect;
    BodyWriter reconnect;
    reconnect.str("policy", advice.policy)
        .uint("max_retries", advice.max_retries)
        .uint("initial_backoff_ms", to_wire_ms(advice.initial_backoff))
        .uint("max_backoff_ms", to_wire_ms(advice.max_backoff))
        .float64("multiplier", advice.multiplier)
        .str("jitter", advice.jitter);

    BodyWriter body;
    body.str("session_token", message.session_token)
        .uint("heartbeat_ms", to_wire_ms(message.heartbeat))
        .uint("liveness", message.liveness)
        .uint("max_message_bytes", message.max_message_bytes)
        .map("reconnect", reconnect);
    return body;
}

BodyWriter write_body(const Heartbeat&) {
    return BodyWriter{};
}

BodyWriter write_body(const Disconnect& message) {
    BodyWriter body;
    write_if_not_empty(body, "reason", message.reason);
    return body;
}

BodyWriter write_body(const Error& message) {
    BodyWriter body;
    body.str("code", message.code).str("message", message.message);
    if (message.command) {
        body.uint("command", *message.command);
    }
    if (message.task_id) {
        body.str("task_id", *message.task_id);
    }
    if (!message.supported_versions.empty()) {
        body.uint_list("supported_versions", message.supported_versions);
    }
    return body;
}

BodyWriter write_body(const Submit& message) {
    BodyWriter body;
    body.str("task_id", message.task_id);
    if (message.device_id) {
        body.str("device_id", *message.device_id);
    }
    if (message.capability) {
        body.str("capability", *message.capability);
    }
    if (message.timeout.count() != 0) {
        body.uint("timeout_ms", to_wire_ms(message.timeout));
    }
    if (message.max_attempts != 1) {
        body.uint("max_attempts", message.max_attempts);
    }
    if (!message.reassign) {
        body.boolean("reassign", false);
    }
    return body;
}

BodyWriter write_body(const Accepted& message) {
    BodyWriter body;
    body.str("task_id", message.task_id).boolean("duplicate", message.duplicate);
    return body;
}

BodyWriter write_body(const TaskUpdate& message) {
    BodyWriter body;
    body.str("task_id", message.task_id)
        .str("state", message.state)
        .boolean("final", message.final)
        .uint("attempts", message.attempts);
    write_if_not_empty(body, "reason", message.reason);
    write_if_not_empty(body, "device_id", message.device_id);
    write_if_not_empty(body, "error", message.error);
    return body;
}

BodyWriter write_body(const Cancel& message) {
    BodyWriter body;
    body.str("task_id", message.task_id);
    return body;
}

BodyWriter write_body(const Query& message) {
    BodyWriter body;
    body.uint("request_id", message.request_id).str("what", message.what);
    return body;
}

BodyWriter write_device_info(const DeviceInfo& device) {
    BodyWriter entry;
    entry.str("device_id", device.device_id).str("state", device.state);
    if (!device.capabilities.empty()) {
        entry.str_list("capabilities", device.capabilities);
    }
    if (device.slots != 0) {
        entry.uint("slots", device.slots);
    }
    if (device.running != 0) {
        entry.uint("running", device.running);
    }
    if (device.last_seen.count() != 0) {
        entry.uint("last_seen_ms", to_wire_ms(device.last_seen));
    }
    return entry;
}

BodyWriter write_task_info(const TaskInfo& task) {
    BodyWriter entry;
    entry.str("task_id", task.task_id);
    write_if_not_empty(entry, "client_id", task.client_id);
    entry.str("state", task.state);
    write_if_not_empty(entry, "reason", task.reason);
    write_if_not_empty(entry, "device_id", task.device_id);
    if (task.attempts != 0) {
        entry.uint("attempts", task.attempts);
    }
    return entry;
}

BodyWriter write_body(const QueryReply& message) {
    BodyWriter body;
    body.uint("request_id", message.request_id);

    if (!message.devices.empty()) {
        std::vector<BodyWriter> entries;
        entries.reserve(message.devices.size());
        for (const auto& device : message.devices) {
            entries.push_back(write_device_info(device));
        }
        body.map_list("devices", entries);
    }

    if (!message.tasks.empty()) {
        std::vector<BodyWriter> entries;
        entries.reserve(message.tasks.size());
        for (const auto& task : message.tasks) {
            entries.push_back(write_task_info(task));
        }
        body.map_list("tasks", entries);
    }
    if (message.truncated) {
        body.boolean("truncated", true);
    }
    return body;
}

BodyWriter write_body(const Subscribe& message) {
    BodyWriter body;
    if (!message.enabled) {
        body.boolean("enabled", false);
    }
    return body;
}

BodyWriter write_body(const Event& message) {
    BodyWriter body;
    body.str("kind", message.kind).str("id", message.id).str("state", message.state);
    write_if_not_empty(body, "reason", message.reason);
    write_if_not_empty(body, "device_id", message.device_id);
    write_if_not_empty(body, "client_id", message.client_id);
    if (message.attempts != 0) {
        body.uint("attempts", message.attempts);
    }
    return body;
}

BodyWriter write_body(const Assign& message) {
    BodyWriter body;
    body.str("task_id", message.task_id)
        .uint("attempt", message.attempt)
        .uint("timeout_ms", to_wire_ms(message.timeout));
    return body;
}

BodyWriter write_body(const Started& message) {
    BodyWriter body;
    body.str("task_id", message.task_id).uint("attempt", message.attempt);
    return body;
}

BodyWriter write_body(const Result& message) {
    BodyWriter body;
    body.str("task_id", message.task_id).uint("attempt", message.attempt).boolean("ok", message.ok);
    write_if_not_empty(body, "error", message.error);
    return body;
}

BodyWriter write_body(const Abort& message) {
    BodyWriter body;
    body.str("task_id", message.task_id)
        .uint("attempt", message.attempt)
        .str("reason", message.reason);
    return body;
}

// Returns the payload frame, if the message has one. SUBMIT and ASSIGN always carry their task
// input (possibly empty); TASK_UPDATE and RESULT carry one only when it is set.
std::optional<std::string> payload_of(const Message& message) {
    if (const auto* submit = std::get_if<Submit>(&message)) {
        return submit->payload;
    }
    if (const auto* assign = std::get_if<Assign>(&message)) {
        return assign->payload;
    }
    if (const auto* update = std::get_if<TaskUpdate>(&message)) {
        return update->payload;
    }
    if (const auto* result = std::get_if<Result>(&message)) {
        return result->payload;
    }
    return std::nullopt;
}

}  // namespace

Frames encode(const Message& message) {
    Frames frames;
    frames.reserve(4);
    frames.emplace_back(kSignature);
    frames.emplace_back(1, static_cast<char>(command_of(message)));
    frames.push_back(std::visit([](const auto& typed) { return write_body(typed).finish(); }, message));

    if (auto payload = payload_of(message)) {
        frames.push_back(std::move(*payload));
    }
    return frames;
}

}  // namespace aip::proto
