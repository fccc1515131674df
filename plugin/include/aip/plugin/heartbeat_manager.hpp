// HeartbeatManager: when to send a heartbeat to each peer and when a silent peer is lost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aip/plugin/time.hpp"

namespace aip::plugin {

class HeartbeatManager {
public:
    // Throws std::invalid_argument when default_interval <= 0 or liveness == 0.
    HeartbeatManager(Duration default_interval, std::uint32_t liveness);

    // Starts tracking a peer, as if it had just sent and received. Throws std::invalid_argument
    // when the interval is zero or negative. Restarting a running peer resets its timers.
    void start_heartbeat(const std::string& id, TimePoint now,
                         std::optional<Duration> interval = std::nullopt);
    void stop_heartbeat(const std::string& id);
    void stop_all();
    [[nodiscard]] bool is_running(const std::string& id) const;
    [[nodiscard]] std::optional<Duration> get_interval(const std::string& id) const;

    // Any traffic from the peer proves it alive.
    void on_received(const std::string& id, TimePoint now);
    // Any traffic to the peer postpones the next heartbeat.
    void on_sent(const std::string& id, TimePoint now);

    struct Due {
        std::vector<std::string> send_heartbeat;  // silent towards them for one interval
        std::vector<std::string> lost;            // silent for liveness intervals; now stopped
    };

    // Returns the peers due at `now`. A lost peer is reported once and stops being tracked.
    [[nodiscard]] Due poll(TimePoint now);

    // Returns the earliest time at which poll() has something to report.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;

    [[nodiscard]] std::size_t size() const noexcept;
};

}  // namespace aip::plugin
