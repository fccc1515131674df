// One log line per engine event: every state change and every rejected message, with ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aip/plugin/time.hpp"
#include "aip_plugin.h"

namespace aip::broker {

// Formats a ZeroMQ routing id for logs: printable ids as they are, others as 0x-prefixed hex.
[[nodiscard]] std::string format_routing_id(std::string_view routing_id);

// Logs engine events. Rejected messages are rate-limited, because a hostile or broken peer can
// send them as fast as the network allows: at most kMaxRejectionsPerSecond lines per second,
// then one line with the number suppressed.
class EventLog {
public:
    static constexpr int kMaxRejectionsPerSecond = 20;

    void log(const aip_event& event, plugin::TimePoint now);

private:
    plugin::TimePoint window_start_{};
    int rejections_in_window_{0};
    std::uint64_t suppressed_{0};
};

}  // namespace aip::broker
