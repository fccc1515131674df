// The session core shared by the device and client endpoints: registration, heartbeats, loss
// detection and reconnection over one DEALER socket, driven by a zmq::poll loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "aip/peer/waker.hpp"
#include "aip/plugin/heartbeat_manager.hpp"
#include "aip/plugin/reconnection.hpp"
#include "aip/plugin/reconnector.hpp"
#include "aip/plugin/time.hpp"
#include "aip/plugin/timeout_manager.hpp"
#include "aip/proto/messages.hpp"

namespace aip::peer {

struct SessionOptions {
    std::string endpoint;  // a ZeroMQ endpoint such as "tcp://127.0.0.1:5555"
    proto::Role role{proto::Role::Device};
    std::string peer_id;                     // device_id or client_id
    std::vector<std::string> capabilities;   // devices only
    std::uint32_t slots{1};                  // devices only, 1 to 1024
    plugin::ReconnectionPolicy reconnection; // applies from the first registration on
    // When true, the reconnect map of each REGISTERED replaces `reconnection` for the following
    // reconnections (SPEC.md section 4 lets a configured peer keep its own policy).
    bool follow_broker_advice{false};
    // When true, the broker's advice never replaces reconnection.max_retries, so that a device
    // agent configured to retry without limit keeps retrying through a broker outage.
    bool keep_max_retries{false};
    plugin::Duration register_timeout{5000};  // wait for REGISTERED after sending REGISTER
    std::optional<std::uint64_t> random_seed; // jitter seed; a random one when absent
};

enum class SessionState : std::uint8_t {
    Idle,            // start() not called yet
    Registering,     // REGISTER sent, waiting for REGISTERED
    Connected,       // registered; heartbeats running
    WaitingToRetry,  // socket closed, waiting for the backoff delay to pass
    GaveUp,          // the policy allowed no more retries; terminal
    Closed,          // close() was called; terminal
};

[[nodiscard]] std::string_view to_string(SessionState state) noexcept;

// All callbacks run on the thread that calls poll_once(), and may call send() and close().
struct SessionCallbacks {
    std::function<void()> on_connected;                          // first registration
    std::function<void(const std::string& reason)> on_disconnected;  // a registered session ended
    std::function<void()> on_reconnected;                        // a later registration
    // The session logs the give-up only at debug level: the owner reports `description`.
    std::function<void(const std::string& description)> on_gave_up;
    // Every broker message that is not session traffic (REGISTERED, HEARTBEAT, DISCONNECT), and
    // every ERROR received while connected, which the owner reports (the session logs it only
    // at debug level).
    std::function<void(proto::Message&& message)> on_message;
};

// Owns one DEALER socket at a time. Every socket is opened with ZMQ_LINGER 0, so closing never
// blocks. ZMQ_IMMEDIATE stays off, so a REGISTER sent before the TCP connection completes is
// queued in the socket and leaves once the broker is reachable. A broker that starts during a
// registration attempt therefore still receives it. Each attempt uses a fresh socket (a new routing id),
// so nothing queued for an old session is ever delivered in a new one.
//
// Not thread-safe: one thread calls every member except waker().wake().
class Session {
public:
    // Throws std::invalid_argument when the options are invalid (policy, id, endpoint).
    Session(zmq::context_t& context, SessionOptions options, SessionCallbacks callbacks);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Makes the first registration attempt. Throws std::invalid_argument when ZeroMQ rejects the
    // endpoint.
    void start();

    // Waits for one batch of events: broker messages, a due timer, a wake-up, or `until`. Then
    // handles them, which may run callbacks. The wait is bounded by the earliest pending
    // deadline. Returns false once the session is GaveUp or Closed.
    bool poll_once(std::optional<plugin::TimePoint> until = std::nullopt);

    // Sends a message to the broker. Returns false when not Connected or when the socket
    // cannot take it at once (logged).
    bool send(const proto::Message& message);

    // Sends DISCONNECT with `reason` when connected, closes the socket and enters Closed.
    void close(std::string_view reason);

    [[nodiscard]] SessionState state() const noexcept;
    [[nodiscard]] bool connected() const noexcept;
    // Incremented at each successful registration; 0 before the first.
    [[nodiscard]] std::uint64_t generation() const noexcept;
    // Registration attempts made in the current reconnection episode, the running one included.
    [[nodiscard]] std::uint32_t attempts() const noexcept;
    // Error code of the broker's last ERROR reply to REGISTER ("id_in_use"), or "" when the last
    // failed attempt got no ERROR (timeout, DISCONNECT).
    [[nodiscard]] const std::string& last_rejection() const noexcept;
    // The last REGISTERED received.
    [[nodiscard]] const std::optional<proto::Registered>& registered() const noexcept;
    // The policy that drives the current or next reconnection episode.
    [[nodiscard]] const plugin::ReconnectionPolicy& reconnection_policy() const noexcept;
    [[nodiscard]] const SessionOptions& options() const noexcept;

    // The wake-up pipe polled with the socket; shared so that worker threads may outlive a
    // session without touching freed memory.
    [[nodiscard]] const std::shared_ptr<Waker>& waker() const noexcept;

private:
    void attempt_registration(plugin::TimePoint now);
    void receive_all(plugin::TimePoint now);
    void handle(proto::Message&& message, plugin::TimePoint now);
    void handle_registered(proto::Registered&& registered, plugin::TimePoint now);
    void handle_timers(plugin::TimePoint now);
    void fail_registration(const std::string& reason, plugin::TimePoint now);
    void lose_session(const std::string& reason, plugin::TimePoint now);
    void start_episode(plugin::TimePoint now);
    void close_socket() noexcept;
    bool send_now(const proto::Message& message, plugin::TimePoint now);
    [[nodiscard]] std::optional<plugin::TimePoint> next_deadline() const;
    [[nodiscard]] std::string label() const;

    zmq::context_t& context_;
    SessionOptions options_;
    SessionCallbacks callbacks_;
    plugin::ReconnectionPolicy policy_;  // the policy of the current episode
    plugin::Reconnector reconnector_;
    plugin::TimeoutManager timeouts_;
    std::optional<plugin::HeartbeatManager> heartbeats_;  // present while Connected
    std::optional<plugin::TimeoutManager::OperationId> registration_;
    std::optional<zmq::socket_t> socket_;
    std::shared_ptr<Waker> waker_;
    SessionState state_{SessionState::Idle};
    std::uint64_t generation_{0};
    std::uint32_t attempts_{0};
    std::string last_rejection_;
    plugin::Duration silence_limit_{0};  // heartbeat interval x liveness of the current session
    std::optional<proto::Registered> registered_;
    std::uint64_t dropped_sends_{0};
};

}  // namespace aip::peer
