// The sans-I/O resilience engine: feed it frames and time, carry out the frames it returns.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aip/plugin/failure_detector.hpp"
#include "aip/plugin/reconnection.hpp"
#include "aip/plugin/time.hpp"
#include "aip/proto/codec.hpp"
#include "aip/proto/messages.hpp"

namespace aip::plugin {

struct EngineConfig {
    Duration heartbeat_interval{1000};
    std::uint32_t liveness{3};
    Duration device_grace{30000};        // DISCONNECTED device kept this long, then REMOVED
    Duration client_grace{0};            // silent client's tasks cancelled after this
    Duration default_task_timeout{600000};
    Duration dispatch_timeout{5000};     // ASSIGN to STARTED
    std::size_t max_message_bytes{proto::kDefaultMaxMessageBytes};
    std::size_t max_queued_updates_per_client{10000};
    std::uint32_t max_registrations_per_second{5};  // per routing id; 0: no limit
    Duration finished_task_retention{600000};  // an ended task (and its result) is kept this long
    std::size_t max_finished_tasks{100000};   // beyond this many ended tasks, the oldest go first
    ReconnectionPolicy advised_reconnect{};  // sent to peers in REGISTERED
    DetectorConfig detector{};           // how a silent peer is judged lost (fixed count or phi)
    std::uint64_t seed{0};               // session tokens; the host passes a random seed
};

// Reason a peer left CONNECTED. Every path to DISCONNECTED goes through one funnel with one of these.
enum class DisconnectReason : std::uint8_t {
    HeartbeatTimeout,  // missing heartbeats
    PeerDisconnect,    // the peer sent DISCONNECT
    Superseded,        // a newer registration of the same id took over
    Shutdown,          // the host is stopping
};

[[nodiscard]] std::string_view to_string(DisconnectReason reason) noexcept;

// Something that happened inside the engine, for logs, metrics and observers.
struct EngineEvent {
    enum class Kind : std::uint8_t {
        DeviceState,     // subject = device id; from/to = CONNECTED, DISCONNECTED, REMOVED
        ClientState,     // subject = client id; from/to = CONNECTED, DISCONNECTED, REMOVED
        TaskState,       // subject = task id; from/to = task states; a dispatch to device_id is
                         // PENDING -> PENDING with reason "dispatched"
        ProtocolError,   // a message was rejected; reason = error code, detail = message
        ResultDropped,   // a RESULT for an attempt already ended
    };
    Kind kind{Kind::ProtocolError};
    std::string subject;
    std::string from;
    std::string to;
    std::string reason;
    std::string detail;
    std::string routing_id;
    std::string device_id;
    std::string client_id;
    std::uint32_t attempt{0};
};

// A message the host must send: routing id then the frames.
struct Outgoing {
    std::string routing_id;
    proto::Frames frames;
};

struct EngineStats {
    std::uint64_t messages_in{0};
    std::uint64_t messages_out{0};
    std::uint64_t protocol_errors{0};
    std::uint64_t results_dropped{0};
    std::uint64_t devices_connected{0};
    std::uint64_t devices_disconnected{0};
    std::uint64_t clients_connected{0};
    std::uint64_t tasks_pending{0};
    std::uint64_t tasks_running{0};
    // Tasks that ever ended in each final state (ended tasks later forgotten included).
    std::uint64_t tasks_completed{0};
    std::uint64_t tasks_failed{0};
    std::uint64_t tasks_cancelled{0};
    std::uint64_t tasks_timed_out{0};
    std::uint64_t devices_lost{0};       // transitions CONNECTED -> DISCONNECTED
    std::uint64_t tasks_reassigned{0};
};

class Engine {
public:
    // Throws std::invalid_argument naming the option when the configuration is invalid.
    Engine(EngineConfig config, TimePoint now);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Takes in one message from a peer (frames without the routing id).
    void on_message(const std::string& routing_id, const proto::Frames& frames, TimePoint now);

    // Advances time: heartbeats, detection, grace periods, deadlines.
    void on_tick(TimePoint now);

    // Tells every peer that the broker is going away (DISCONNECT) and stops tracking them.
    void shutdown(TimePoint now);

    // Returns the time by which on_tick must be called next.
    [[nodiscard]] std::optional<TimePoint> next_wakeup() const;

    [[nodiscard]] std::vector<Outgoing> take_outgoing();
    [[nodiscard]] std::vector<EngineEvent> take_events();
    [[nodiscard]] EngineStats stats() const;

    [[nodiscard]] std::vector<proto::DeviceInfo> devices(TimePoint now) const;
    [[nodiscard]] std::vector<proto::TaskInfo> tasks() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace aip::plugin
