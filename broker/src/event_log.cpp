#include "event_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace aip::broker {

std::string format_routing_id(std::string_view routing_id) {
    const bool printable = !routing_id.empty() &&
                           std::all_of(routing_id.begin(), routing_id.end(),
                                       [](char c) { return c > 0x20 && c < 0x7f; });
    if (printable) {
        return std::string(routing_id);
    }

    static constexpr char kHex[] = "0123456789abcdef";
    std::string text = "0x";
    for (const char c : routing_id) {
        const auto byte = static_cast<unsigned char>(c);
        text.push_back(kHex[byte >> 4]);
        text.push_back(kHex[byte & 0x0f]);
    }
    return text;
}

namespace {

std::string suffix(const aip_event& event) {
    const std::string_view reason = event.reason;
    const std::string_view device_id = event.device_id;
    const std::string_view client_id = event.client_id;
    const std::string_view detail = event.detail;
    const std::string_view routing_id(reinterpret_cast<const char*>(event.routing_id), event.routing_id_size);

    std::string text;
    if (!reason.empty()) {
        text += " reason=" + std::string(reason);
    }
    if (!device_id.empty()) {
        text += " device=" + std::string(device_id);
    }
    if (!client_id.empty()) {
        text += " client=" + std::string(client_id);
    }
    if (event.attempt != 0) {
        text += " attempt=" + std::to_string(event.attempt);
    }
    if (!routing_id.empty()) {
        text += " routing_id=" + format_routing_id(routing_id);
    }
    if (!detail.empty()) {
        text += " detail=\"" + std::string(detail) + "\"";
    }
    return text;
}

}  // namespace

namespace {

std::string_view or_new(const char* state) {
    return state[0] == '\0' ? std::string_view("NEW") : std::string_view(state);
}

}  // namespace

void EventLog::log(const aip_event& event, plugin::TimePoint now) {
    if (event.kind == AIP_EVENT_PROTOCOL_ERROR || event.kind == AIP_EVENT_RESULT_DROPPED) {
        if (now - window_start_ >= std::chrono::seconds(1)) {
            if (suppressed_ > 0) {
                spdlog::warn("suppressed {} further rejected-message lines in the last second", suppressed_);
            }
            window_start_ = now;
            rejections_in_window_ = 0;
            suppressed_ = 0;
        }
        if (rejections_in_window_ >= kMaxRejectionsPerSecond) {
            ++suppressed_;
            return;
        }
        ++rejections_in_window_;
    }

    switch (event.kind) {
    case AIP_EVENT_DEVICE_STATE:
        spdlog::info("device {} {} -> {}{}", event.subject, or_new(event.from_state), event.to_state, suffix(event));
        break;
    case AIP_EVENT_CLIENT_STATE:
        spdlog::info("client {} {} -> {}{}", event.subject, or_new(event.from_state), event.to_state, suffix(event));
        break;
    case AIP_EVENT_TASK_STATE:
        spdlog::info("task {} {} -> {}{}", event.subject, or_new(event.from_state), event.to_state, suffix(event));
        break;
    case AIP_EVENT_PROTOCOL_ERROR:
        spdlog::warn("rejected message{}", suffix(event));
        break;
    case AIP_EVENT_RESULT_DROPPED:
        spdlog::warn("dropped late message for task {}{}", event.subject, suffix(event));
        break;
    default:
        spdlog::warn("engine event of unknown kind {} for {}", event.kind, event.subject);
        break;
    }
}

}  // namespace aip::broker
