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

std::string suffix(const plugin::EngineEvent& event) {
    std::string text;
    if (!event.reason.empty()) {
        text += " reason=" + event.reason;
    }
    if (!event.device_id.empty()) {
        text += " device=" + event.device_id;
    }
    if (!event.client_id.empty()) {
        text += " client=" + event.client_id;
    }
    if (event.attempt != 0) {
        text += " attempt=" + std::to_string(event.attempt);
    }
    if (!event.routing_id.empty()) {
        text += " routing_id=" + format_routing_id(event.routing_id);
    }
    if (!event.detail.empty()) {
        text += " detail=\"" + event.detail + "\"";
    }
    return text;
}

}  // namespace

void EventLog::log(const plugin::EngineEvent& event, plugin::TimePoint now) {
    using Kind = plugin::EngineEvent::Kind;

    if (event.kind == Kind::ProtocolError || event.kind == Kind::ResultDropped) {
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
    case Kind::DeviceState:
        spdlog::info("device {} {} -> {}{}", event.subject, event.from.empty() ? "NEW" : event.from,
                     event.to, suffix(event));
        break;
    case Kind::ClientState:
        spdlog::info("client {} {} -> {}{}", event.subject, event.from.empty() ? "NEW" : event.from,
                     event.to, suffix(event));
        break;
    case Kind::TaskState:
        spdlog::info("task {} {} -> {}{}", event.subject, event.from.empty() ? "NEW" : event.from,
                     event.to, suffix(event));
        break;
    case Kind::ProtocolError:
        spdlog::warn("rejected message{}", suffix(event));
        break;
    case Kind::ResultDropped:
        spdlog::warn("dropped late message for task {}{}", event.subject, suffix(event));
        break;
    }
}

}  // namespace aip::broker
