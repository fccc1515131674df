#include "aip/peer/session.hpp"

#include <algorithm>
#include <cerrno>
#include <random>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include "aip/plugin/duration.hpp"
#include "aip/proto/codec.hpp"

namespace aip::peer {
namespace {

using Clock = std::chrono::steady_clock;

// The HeartbeatManager tracks peers by name; a session has exactly one: the broker.
const std::string kBrokerKey = "broker";

plugin::RandomSource make_random_source(const std::optional<std::uint64_t>& seed) {
    return plugin::seeded_random_source(seed ? *seed : std::random_device{}());
}

std::optional<plugin::ReconnectionPolicy> policy_from_advice(const proto::ReconnectAdvice& advice,
                                                             const plugin::ReconnectionPolicy& base) {
    const auto policy = plugin::parse_backoff_policy(advice.policy);
    const auto jitter = plugin::parse_jitter(advice.jitter);
    if (!policy || !jitter) {
        return std::nullopt;
    }

    plugin::ReconnectionPolicy result = base;
    result.policy = *policy;
    result.max_retries = advice.max_retries;
    result.initial_backoff = advice.initial_backoff;
    result.max_backoff = advice.max_backoff;
    result.multiplier = advice.multiplier;
    result.jitter = *jitter;
    if (result.validate()) {
        return std::nullopt;
    }
    return result;
}

void validate_options(const SessionOptions& options) {
    if (options.endpoint.empty()) {
        throw std::invalid_argument("missing broker endpoint");
    }
    if (!proto::is_valid_id(options.peer_id)) {
        throw std::invalid_argument("invalid peer id '" + options.peer_id +
                                    "': expected 1 to 128 printable ASCII characters, no spaces");
    }
    if (options.role == proto::Role::Device && (options.slots < 1 || options.slots > 1024)) {
        throw std::invalid_argument("invalid slots " + std::to_string(options.slots) +
                                    ": expected 1 to 1024");
    }
    if (options.register_timeout <= plugin::Duration::zero()) {
        throw std::invalid_argument("invalid register timeout " +
                                    plugin::format_duration(options.register_timeout) +
                                    ": expected a positive duration");
    }
    if (auto error = options.reconnection.validate()) {
        throw std::invalid_argument(*error);
    }
}

}  // namespace

std::string_view to_string(SessionState state) noexcept {
    switch (state) {
    case SessionState::Idle: return "idle";
    case SessionState::Registering: return "registering";
    case SessionState::Connected: return "connected";
    case SessionState::WaitingToRetry: return "waiting_to_retry";
    case SessionState::GaveUp: return "gave_up";
    case SessionState::Closed: return "closed";
    }
    return "unknown";
}

Session::Session(zmq::context_t& context, SessionOptions options, SessionCallbacks callbacks)
    : context_(context),
      options_((validate_options(options), std::move(options))),
      callbacks_(std::move(callbacks)),
      policy_(options_.reconnection),
      reconnector_(policy_, make_random_source(options_.random_seed)),
      waker_(std::make_shared<Waker>()) {}

Session::~Session() {
    close_socket();
}

void Session::start() {
    if (state_ != SessionState::Idle) {
        return;
    }
    for (const auto& warning : policy_.warnings()) {
        spdlog::warn("{}: reconnect policy: {}", label(), warning);
    }
    start_episode(Clock::now());
}

bool Session::poll_once(std::optional<plugin::TimePoint> until) {
    handle_timers(Clock::now());
    if (state_ == SessionState::GaveUp || state_ == SessionState::Closed) {
        return false;
    }

    // Sleep until the earliest deadline; rounding up keeps the loop from waking a little early
    // and spinning until the deadline.
    auto deadline = next_deadline();
    if (until && (!deadline || *until < *deadline)) {
        deadline = until;
    }
    std::chrono::milliseconds timeout{-1};
    if (deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
        timeout = std::max(left, std::chrono::milliseconds{0});
    }

    std::vector<zmq_pollitem_t> items;
    items.push_back(zmq_pollitem_t{nullptr, waker_->fd(), ZMQ_POLLIN, 0});
    if (socket_) {
        items.push_back(zmq_pollitem_t{socket_->handle(), 0, ZMQ_POLLIN, 0});
    }
    try {
        zmq::poll(items, timeout);
    } catch (const zmq::error_t& error) {
        if (error.num() != EINTR) {
            throw;
        }
    }

    if (items[0].revents & ZMQ_POLLIN) {
        waker_->drain();
    }
    if (items.size() > 1 && (items[1].revents & ZMQ_POLLIN)) {
        receive_all(Clock::now());
    }
    handle_timers(Clock::now());
    return state_ != SessionState::GaveUp && state_ != SessionState::Closed;
}

bool Session::send(const proto::Message& message) {
    if (state_ != SessionState::Connected) {
        return false;
    }
    return send_now(message, Clock::now());
}

void Session::close(std::string_view reason) {
    if (state_ == SessionState::Closed) {
        return;
    }
    if (state_ == SessionState::Connected) {
        [[maybe_unused]] const bool sent =
            send_now(proto::Disconnect{std::string(reason)}, Clock::now());
    }
    close_socket();
    heartbeats_.reset();
    state_ = SessionState::Closed;
    spdlog::info("{}: session closed ({})", label(), reason);
}

SessionState Session::state() const noexcept { return state_; }
bool Session::connected() const noexcept { return state_ == SessionState::Connected; }
std::uint64_t Session::generation() const noexcept { return generation_; }
std::uint32_t Session::attempts() const noexcept { return attempts_; }
const std::string& Session::last_rejection() const noexcept { return last_rejection_; }
const std::optional<proto::Registered>& Session::registered() const noexcept { return registered_; }
const plugin::ReconnectionPolicy& Session::reconnection_policy() const noexcept {
    return reconnector_.policy();
}
const SessionOptions& Session::options() const noexcept { return options_; }
const std::shared_ptr<Waker>& Session::waker() const noexcept { return waker_; }

void Session::attempt_registration(plugin::TimePoint now) {
    close_socket();
    socket_.emplace(context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::linger, 0);
    try {
        socket_->connect(options_.endpoint);
    } catch (const zmq::error_t& error) {
        close_socket();
        throw std::invalid_argument("invalid endpoint '" + options_.endpoint + "': " + error.what());
    }

    attempts_ = reconnector_.failed_attempts() + 1;
    last_rejection_.clear();
    state_ = SessionState::Registering;

    proto::Register request;
    request.role = options_.role;
    request.peer_id = options_.peer_id;
    if (options_.role == proto::Role::Device) {
        request.capabilities = options_.capabilities;
        request.slots = options_.slots;
    }
    if (registered_) {
        request.session_token = registered_->session_token;
    }
    [[maybe_unused]] const bool sent = send_now(request, now);

    registration_ = timeouts_.start(plugin::OperationKind::Registration,
                                    "registration of " + options_.peer_id, now,
                                    options_.register_timeout);
    spdlog::info("{}: registering with {} (attempt {}, timeout {})", label(), options_.endpoint,
                 attempts_, plugin::format_duration(options_.register_timeout));
}

void Session::receive_all(plugin::TimePoint now) {
    const proto::DecodeOptions decode_options{
        registered_ ? static_cast<std::size_t>(registered_->max_message_bytes)
                    : proto::kDefaultMaxMessageBytes};

    // The socket may be closed by a callback in the middle of the batch.
    while (socket_) {
        std::vector<zmq::message_t> parts;
        const auto received = zmq::recv_multipart(*socket_, std::back_inserter(parts),
                                                  zmq::recv_flags::dontwait);
        if (!received) {
            return;
        }

        proto::Frames frames;
        frames.reserve(parts.size());
        for (const auto& part : parts) {
            frames.push_back(part.to_string());
        }

        auto decoded = proto::decode(frames, decode_options);
        if (auto* error = std::get_if<proto::DecodeError>(&decoded)) {
            spdlog::warn("{}: dropped a malformed message from the broker: {}: {}", label(),
                         proto::error_code_name(error->code), error->message);
            continue;
        }
        if (heartbeats_) {
            heartbeats_->on_received(kBrokerKey, now);
        }
        handle(std::get<proto::Message>(std::move(decoded)), now);
    }
}

void Session::handle(proto::Message&& message, plugin::TimePoint now) {
    if (auto* registered = std::get_if<proto::Registered>(&message)) {
        if (state_ == SessionState::Registering) {
            handle_registered(std::move(*registered), now);
        } else {
            spdlog::warn("{}: ignored REGISTERED received while {}", label(), to_string(state_));
        }
        return;
    }
    if (std::holds_alternative<proto::Heartbeat>(message)) {
        return;
    }
    if (auto* disconnect = std::get_if<proto::Disconnect>(&message)) {
        const auto reason = "broker sent DISCONNECT (" + disconnect->reason + ")";
        if (state_ == SessionState::Registering) {
            fail_registration(reason, now);
        } else if (state_ == SessionState::Connected) {
            lose_session(reason, now);
        }
        return;
    }
    if (auto* error = std::get_if<proto::Error>(&message); error && state_ == SessionState::Registering) {
        last_rejection_ = error->code;
        fail_registration("broker rejected REGISTER: " + error->code + ": " + error->message, now);
        return;
    }

    if (state_ != SessionState::Connected) {
        spdlog::debug("{}: ignored {} received while {}", label(),
                      proto::command_name(static_cast<std::uint8_t>(proto::command_of(message))),
                      to_string(state_));
        return;
    }
    // The owner handles and reports an ERROR, so that it reaches the user once.
    if (auto* error = std::get_if<proto::Error>(&message)) {
        spdlog::debug("{}: broker sent ERROR {}: {}", label(), error->code, error->message);
    }
    if (callbacks_.on_message) {
        callbacks_.on_message(std::move(message));
    }
}

void Session::handle_registered(proto::Registered&& registered, plugin::TimePoint now) {
    if (registration_) {
        [[maybe_unused]] const bool finished = timeouts_.finish(*registration_);
        registration_.reset();
    }

    // A broker announcing nonsense must not stop liveness tracking, so fall back to defaults.
    const auto interval = registered.heartbeat > plugin::Duration::zero() ? registered.heartbeat
                                                                          : plugin::Duration{1000};
    const auto liveness = registered.liveness > 0 ? registered.liveness : 3U;
    heartbeats_.emplace(interval, liveness);
    silence_limit_ = interval * liveness;
    heartbeats_->start_heartbeat(kBrokerKey, now, interval);

    // The advice applies from the next reconnection episode on.
    if (options_.follow_broker_advice) {
        if (auto advised = policy_from_advice(registered.reconnect, policy_)) {
            if (options_.keep_max_retries) {
                advised->max_retries = options_.reconnection.max_retries;
            }
            policy_ = *advised;
            reconnector_.set_policy(policy_);
        } else {
            spdlog::warn("{}: ignored the broker's invalid reconnect advice (policy '{}', jitter '{}')",
                         label(), registered.reconnect.policy, registered.reconnect.jitter);
        }
    }
    const bool first = reconnector_.on_success() == plugin::Reconnector::Event::Connected;
    ++generation_;
    const auto attempts = attempts_;
    state_ = SessionState::Connected;
    registered_ = std::move(registered);
    spdlog::info("{}: registered with {} after {} attempt(s): heartbeat {}, liveness {}", label(),
                 options_.endpoint, attempts, plugin::format_duration(interval), liveness);

    if (first) {
        if (callbacks_.on_connected) {
            callbacks_.on_connected();
        }
    } else if (callbacks_.on_reconnected) {
        callbacks_.on_reconnected();
    }
}

void Session::handle_timers(plugin::TimePoint now) {
    if (state_ == SessionState::Registering) {
        for (const auto& expired : timeouts_.poll(now)) {
            if (registration_ && expired.id == *registration_) {
                registration_.reset();
                fail_registration("no REGISTERED within " + plugin::format_duration(expired.timeout),
                                  now);
                return;
            }
        }
        return;
    }

    if (state_ == SessionState::Connected && heartbeats_) {
        const auto due = heartbeats_->poll(now);
        if (!due.lost.empty()) {
            lose_session("broker silent for " + plugin::format_duration(silence_limit_), now);
            return;
        }
        if (!due.send_heartbeat.empty()) {
            [[maybe_unused]] const bool sent = send_now(proto::Heartbeat{}, now);
        }
        return;
    }

    if (state_ == SessionState::WaitingToRetry && reconnector_.attempt_due(now)) {
        attempt_registration(now);
    }
}

void Session::fail_registration(const std::string& reason, plugin::TimePoint now) {
    close_socket();
    if (registration_) {
        [[maybe_unused]] const bool finished = timeouts_.finish(*registration_);
        registration_.reset();
    }
    spdlog::warn("{}: registration attempt {} failed: {}", label(), attempts_, reason);

    if (reconnector_.on_attempt_failed(now) == plugin::Reconnector::Event::GaveUp) {
        state_ = SessionState::GaveUp;
        const auto description = "registration with " + options_.endpoint + " failed " +
                                 std::to_string(reconnector_.failed_attempts()) + " time(s): " +
                                 reconnector_.give_up_message() + "; last failure: " + reason;
        // The owner reports the description, so that the error reaches the user once.
        spdlog::debug("{}: {}", label(), description);
        if (callbacks_.on_gave_up) {
            callbacks_.on_gave_up(description);
        }
        return;
    }

    state_ = SessionState::WaitingToRetry;
    spdlog::info("{}: retry {} in {} (policy {})", label(), reconnector_.retries(),
                 plugin::format_duration(reconnector_.last_delay()),
                 plugin::to_string(reconnector_.policy().policy));
}

void Session::lose_session(const std::string& reason, plugin::TimePoint now) {
    close_socket();
    heartbeats_.reset();
    state_ = SessionState::WaitingToRetry;
    spdlog::warn("{}: session lost: {}", label(), reason);

    if (callbacks_.on_disconnected) {
        callbacks_.on_disconnected(reason);
    }
    if (state_ == SessionState::Closed) {
        return;
    }
    start_episode(now);
}

void Session::start_episode(plugin::TimePoint now) {
    // A first connection tries at once; after a loss the Reconnector spreads the first attempt
    // over a jittered share of the initial backoff. Failures then follow the policy.
    [[maybe_unused]] const auto event = reconnector_.begin(now);
    attempts_ = 0;
    state_ = SessionState::WaitingToRetry;
    if (reconnector_.first_delay() > plugin::Duration::zero()) {
        spdlog::info("{}: reconnecting in {} (jitter {})", label(),
                     plugin::format_duration(reconnector_.first_delay()),
                     plugin::to_string(reconnector_.policy().jitter));
    }
    handle_timers(now);
}

void Session::close_socket() noexcept {
    socket_.reset();
}

bool Session::send_now(const proto::Message& message, plugin::TimePoint now) {
    if (!socket_) {
        return false;
    }

    const auto frames = proto::encode(message);
    std::vector<zmq::const_buffer> buffers;
    buffers.reserve(frames.size());
    for (const auto& frame : frames) {
        buffers.emplace_back(frame.data(), frame.size());
    }

    try {
        if (!zmq::send_multipart(*socket_, buffers, zmq::send_flags::dontwait)) {
            ++dropped_sends_;
            spdlog::warn("{}: dropped an outgoing {} because the socket queue is full ({} dropped)",
                         label(), proto::command_name(static_cast<std::uint8_t>(proto::command_of(message))),
                         dropped_sends_);
            return false;
        }
    } catch (const zmq::error_t& error) {
        ++dropped_sends_;
        spdlog::warn("{}: sending {} failed: {}", label(),
                     proto::command_name(static_cast<std::uint8_t>(proto::command_of(message))),
                     error.what());
        return false;
    }

    if (heartbeats_) {
        heartbeats_->on_sent(kBrokerKey, now);
    }
    return true;
}

std::optional<plugin::TimePoint> Session::next_deadline() const {
    switch (state_) {
    case SessionState::Registering: return timeouts_.next_deadline();
    case SessionState::Connected: return heartbeats_ ? heartbeats_->next_deadline() : std::nullopt;
    case SessionState::WaitingToRetry: return reconnector_.next_attempt_at();
    default: return std::nullopt;
    }
}

std::string Session::label() const {
    return (options_.role == proto::Role::Device ? "device " : "client ") + options_.peer_id;
}

}  // namespace aip::peer
