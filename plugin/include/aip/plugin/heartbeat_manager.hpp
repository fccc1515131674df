// HeartbeatManager: when to send a heartbeat to each peer and when a silent peer is lost.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "aip/plugin/failure_detector.hpp"
#include "aip/plugin/time.hpp"

namespace aip::plugin {

// Outcome of one heartbeat send, as the send function reports it.
enum class SendResult : std::uint8_t {
    Sent,          // the heartbeat left; the next one is due one interval later
    NotConnected,  // no connection to the peer right now; skipped, retried one interval later
    Failed,        // the send failed; retried one interval later
};

[[nodiscard]] std::string_view to_string(SendResult result) noexcept;

// One timer structure for all peers: a std::set ordered by deadline contains each peer's send
// deadline and receive deadline, so every operation costs O(log n) in the number of peers.
//
// Stall tolerance: when poll() runs more than a peer's interval after the previous poll(), the
// host loop is taken to have stalled for that whole gap. A peer whose receive deadline has passed
// is then not reported lost at this poll: its receive deadline moves later by the gap, once per
// silence (on_received re-arms it). The host must take in every message that arrived during the
// stall (calling on_received) before it calls poll().
class HeartbeatManager {
public:
    // Throws std::invalid_argument when default_interval <= 0 or liveness == 0.
    HeartbeatManager(Duration default_interval, std::uint32_t liveness);
    // Same, with the failure detector that decides when a silent peer is lost (Fixed by
    // default). Also throws std::invalid_argument when `detector` is invalid.
    HeartbeatManager(Duration default_interval, std::uint32_t liveness, DetectorConfig detector);

    // Starts tracking a peer, as if it had just sent and received. Throws std::invalid_argument
    // when the interval is zero or negative. Restarting a running peer resets its timers.
    void start_heartbeat(const std::string& id, TimePoint now,
                         std::optional<Duration> interval = std::nullopt);
    void stop_heartbeat(const std::string& id);
    void stop_all();
    [[nodiscard]] bool is_running(const std::string& id) const;
    [[nodiscard]] std::optional<Duration> get_interval(const std::string& id) const;

    // Returns the peer's current phi (0 under the Fixed rule), or nullopt for an unknown peer.
    [[nodiscard]] std::optional<double> phi(const std::string& id, TimePoint now) const;
    [[nodiscard]] const DetectorConfig& detector() const noexcept;

    // Any traffic from the peer proves it alive.
    void on_received(const std::string& id, TimePoint now);
    // Any traffic to the peer postpones the next heartbeat.
    void on_sent(const std::string& id, TimePoint now);

    struct Due {
        std::vector<std::string> send_heartbeat;  // silent towards them for one interval
        std::vector<std::string> lost;            // silent for liveness intervals; now stopped
        // Filled only by poll(now, send): heartbeats skipped because the peer had no connection,
        // and heartbeats whose send failed. Both are retried one interval later.
        std::vector<std::string> not_connected;
        std::vector<std::string> send_failed;
        // The gap since the previous poll() when it counted as a stall, else zero.
        Duration stall{0};
        // Peers whose receive deadline this poll() moved later because of the stall.
        std::size_t stall_extended{0};
    };

    // Returns the peers due at `now`. A lost peer is reported once and stops being tracked.
    // The heartbeats it reports count as sent at `now`: the next one is due one interval later.
    [[nodiscard]] Due poll(TimePoint now);

    // Sends one heartbeat to `id`; called by poll(now, send) for each heartbeat due.
    using SendFunction = std::function<SendResult(const std::string& id)>;

    // Like poll(now), but calls `send` for each heartbeat due, except to peers lost at this poll.
    // `send` must not call back into this HeartbeatManager. Sent heartbeats are listed in send_heartbeat, the others in not_connected or send_failed;
    // a failure (a Failed result or a std::exception from `send`) never stops the loop.
    [[nodiscard]] Due poll(TimePoint now, const SendFunction& send);

    // Returns the earliest time at which poll() has something to report.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const;

    [[nodiscard]] std::size_t size() const noexcept;

private:
    enum class TimerKind : std::uint8_t { Receive, Send };

    // One deadline in the timer set. `serial` breaks ties in start order so that poll() reports
    // peers deterministically; `id` points at the key of peers_, whose nodes never move.
    struct Timer {
        TimePoint at;
        std::uint64_t serial;
        TimerKind kind;
        const std::string* id;

        friend bool operator<(const Timer& a, const Timer& b) noexcept {
            if (a.at != b.at) {
                return a.at < b.at;
            }
            if (a.serial != b.serial) {
                return a.serial < b.serial;
            }
            return a.kind < b.kind;
        }
    };

    struct Peer {
        FailureDetector detector;
        std::uint64_t serial{0};
        Duration interval{0};
        TimePoint send_at{};
        TimePoint receive_deadline{};
        bool stall_extended{false};  // the receive deadline was moved once for this silence
        bool lost{false};            // reported lost by the running poll(), erased at its end
    };

    using PeerMap = std::unordered_map<std::string, Peer>;

    void schedule_send(PeerMap::iterator peer, TimePoint at);
    void schedule_receive(PeerMap::iterator peer, TimePoint at);
    void erase_timers(PeerMap::iterator peer);
    [[nodiscard]] Due collect(TimePoint now, const SendFunction* send);

    Duration default_interval_;
    std::uint32_t liveness_;
    DetectorConfig detector_;
    PeerMap peers_;
    std::set<Timer> timers_;
    std::uint64_t next_serial_{0};
    std::optional<TimePoint> last_poll_;
};

}  // namespace aip::plugin
