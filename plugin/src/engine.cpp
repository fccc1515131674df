#include "aip/plugin/engine.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "aip/plugin/duration.hpp"
#include "engine_impl.hpp"

namespace aip::plugin {

namespace {

void require(bool valid, std::string_view option, const std::string& value,
             std::string_view expectation) {
    if (!valid) {
        throw std::invalid_argument("invalid engine option " + std::string(option) + " = " +
                                    value + ": " + std::string(expectation));
    }
}

const EngineConfig& validated(const EngineConfig& config) {
    const auto ms = [](Duration duration) { return std::to_string(duration.count()) + "ms"; };
    require(config.heartbeat_interval > Duration{0}, "heartbeat_interval",
            ms(config.heartbeat_interval), "must be greater than zero");
    require(config.liveness >= 1, "liveness", std::to_string(config.liveness),
            "must be at least 1");
    require(config.device_grace >= Duration{0}, "device_grace", ms(config.device_grace),
            "must not be negative");
    require(config.client_grace >= Duration{0}, "client_grace", ms(config.client_grace),
            "must not be negative");
    // A task or a dispatch with no time at all could never succeed, so zero is rejected too.
    require(config.default_task_timeout > Duration{0}, "default_task_timeout",
            ms(config.default_task_timeout), "must be greater than zero");
    require(config.dispatch_timeout > Duration{0}, "dispatch_timeout", ms(config.dispatch_timeout),
            "must be greater than zero");
    require(config.finished_task_retention >= Duration{0}, "finished_task_retention",
            ms(config.finished_task_retention), "must not be negative");
    require(config.max_message_bytes > 0, "max_message_bytes",
            std::to_string(config.max_message_bytes), "must be greater than zero");
    if (auto error = config.advised_reconnect.validate()) {
        throw std::invalid_argument("invalid engine option advised_reconnect: " + *error);
    }
    if (auto error = config.detector.validate()) {
        throw std::invalid_argument("invalid engine option detector: " + *error);
    }
    return config;
}

// Commands that only the broker sends; a peer sending one gets ERROR unknown_command.
bool is_broker_command(proto::Command command) {
    switch (command) {
        case proto::Command::Registered:
        case proto::Command::Error:
        case proto::Command::Accepted:
        case proto::Command::TaskUpdate:
        case proto::Command::QueryReply:
        case proto::Command::Event:
        case proto::Command::Assign:
        case proto::Command::Abort:
            return true;
        default:
            return false;
    }
}

bool role_may_send(proto::Role role, proto::Command command) {
    switch (command) {
        case proto::Command::Register:
        case proto::Command::Heartbeat:
        case proto::Command::Disconnect:
            return true;
        case proto::Command::Started:
        case proto::Command::Result:
            return role == proto::Role::Device;
        case proto::Command::Submit:
        case proto::Command::Cancel:
        case proto::Command::Query:
        case proto::Command::Subscribe:
            return role == proto::Role::Client;
        default:
            return false;
    }
}

std::string_view role_name(proto::Role role) {
    return role == proto::Role::Device ? "device" : "client";
}

}  // namespace

std::string_view to_string(DisconnectReason reason) noexcept {
    switch (reason) {
        case DisconnectReason::HeartbeatTimeout: return "heartbeat_timeout";
        case DisconnectReason::PeerDisconnect: return "peer_disconnect";
        case DisconnectReason::Superseded: return "superseded";
        case DisconnectReason::Shutdown: return "shutdown";
    }
    return "unknown";
}

Engine::Impl::Impl(EngineConfig engine_config, TimePoint now)
    : config(validated(engine_config)),
      heartbeats(config.heartbeat_interval, config.liveness, config.detector),
      registrations(config.max_registrations_per_second),
      random(config.seed),
      last_now(now) {}

void Engine::Impl::handle_message(const std::string& routing_id, const proto::Frames& frames,
                                  TimePoint now) {
    process_message(routing_id, frames, now);
    if (!shut_down) {
        run_scheduler(now);
    }
}

void Engine::Impl::process_message(const std::string& routing_id, const proto::Frames& frames,
                                   TimePoint now) {
    last_now = std::max(last_now, now);
    ++counters.messages_in;

    if (shut_down) {
        send(routing_id, proto::Disconnect{"broker shutting down"}, now);
        return;
    }

    auto decoded = proto::decode(frames, proto::DecodeOptions{config.max_message_bytes});
    if (auto* error = std::get_if<proto::DecodeError>(&decoded)) {
        reject(routing_id, std::string(proto::error_code_name(error->code)), error->message,
               error->command, std::nullopt, now);
        return;
    }
    auto& message = std::get<proto::Message>(decoded);
    const auto command = proto::command_of(message);
    const auto command_byte = static_cast<std::uint8_t>(command);

    // Copied: handlers below may end this session.
    std::optional<Session> session;
    if (auto it = sessions.find(routing_id); it != sessions.end()) {
        session = it->second;
        note_received(routing_id, *session, now);
    }

    if (is_broker_command(command)) {
        reject(routing_id, "unknown_command",
               std::string(proto::command_name(command_byte)) + " is sent by the broker only",
               command_byte, std::nullopt, now);
        return;
    }

    if (auto* request = std::get_if<proto::Register>(&message)) {
        handle_register(routing_id, *request, now);
        return;
    }

    if (!session) {
        // A DISCONNECT from a peer without a session gets no reply, because a reply could loop.
        if (command == proto::Command::Disconnect) {
            return;
        }
        ++counters.protocol_errors;
        emit(EngineEvent{.kind = EngineEvent::Kind::ProtocolError,
                         .reason = "not_registered",
                         .detail = std::string(proto::command_name(command_byte)) +
                                   " from a routing id without a session",
                         .routing_id = routing_id});
        send(routing_id, proto::Disconnect{"not_registered"}, now);
        return;
    }

    if (!role_may_send(session->role, command)) {
        reject(routing_id, "wrong_role",
               "a " + std::string(role_name(session->role)) + " may not send " +
                   std::string(proto::command_name(command_byte)),
               command_byte, std::nullopt, now);
        return;
    }

    std::visit(
        [&](auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, proto::Disconnect>) {
                disconnect_session(routing_id, DisconnectReason::PeerDisconnect, now);
            } else if constexpr (std::is_same_v<T, proto::Submit>) {
                handle_submit(*session, routing_id, body, now);
            } else if constexpr (std::is_same_v<T, proto::Cancel>) {
                handle_cancel(*session, routing_id, body, now);
            } else if constexpr (std::is_same_v<T, proto::Query>) {
                handle_query(routing_id, body, now);
            } else if constexpr (std::is_same_v<T, proto::Subscribe>) {
                if (body.enabled) {
                    subscribers.insert(session->peer_id);
                } else {
                    subscribers.erase(session->peer_id);
                }
            } else if constexpr (std::is_same_v<T, proto::Started>) {
                handle_started(*session, routing_id, body, now);
            } else if constexpr (std::is_same_v<T, proto::Result>) {
                handle_result(*session, routing_id, std::move(body), now);
            }
            // HEARTBEAT carries nothing beyond the proof of life noted above.
        },
        message);
}

void Engine::Impl::handle_tick(TimePoint now) {
    last_now = std::max(last_now, now);
    if (shut_down) {
        return;
    }

    // Lost peers first, so that no heartbeat goes to a peer that is being dropped.
    auto due = heartbeats.poll(now);
    for (const auto& routing_id : due.lost) {
        disconnect_session(routing_id, DisconnectReason::HeartbeatTimeout, now);
    }
    for (const auto& routing_id : due.send_heartbeat) {
        if (sessions.contains(routing_id)) {
            send(routing_id, proto::Heartbeat{}, now);
        }
    }

    for (const auto& expired : timeouts.poll(now)) {
        handle_timer(expired, now);
    }
    registrations.prune(now);
    forget_finished(now);
    run_scheduler(now);
}

void Engine::Impl::handle_timer(const TimeoutManager::Expired& expired, TimePoint now) {
    // A timer cancelled by an earlier expiry of the same poll() is no longer in `timers`.
    auto it = timers.find(expired.id);
    if (it == timers.end()) {
        return;
    }
    const TimerTarget target = std::move(it->second);
    timers.erase(it);

    switch (target.kind) {
        case TimerTarget::Kind::TaskDeadline:
            expire_deadline(target.id, now);
            break;
        case TimerTarget::Kind::TaskDispatch:
            expire_dispatch(target.id, target.attempt, now);
            break;
        case TimerTarget::Kind::DeviceGrace:
            if (Device* device = devices.find(target.id);
                device != nullptr && device->grace_timer == expired.id) {
                device->grace_timer.reset();
                remove_device(target.id, now);
            }
            break;
        case TimerTarget::Kind::ClientGrace:
            if (Client* client = clients.find(target.id);
                client != nullptr && client->grace_timer == expired.id) {
                client->grace_timer.reset();
                remove_client(target.id, now);
            }
            break;
    }
}

void Engine::Impl::handle_shutdown(TimePoint now) {
    last_now = std::max(last_now, now);
    if (shut_down) {
        return;
    }

    std::vector<std::string> routing_ids;
    for (const auto& [routing_id, session] : sessions) {
        routing_ids.push_back(routing_id);
    }
    std::sort(routing_ids.begin(), routing_ids.end());
    for (const auto& routing_id : routing_ids) {
        send(routing_id, proto::Disconnect{"broker shutting down"}, now);
    }

    // Clients first, then devices; neither ends any task (see disconnect_device).
    for (const auto& routing_id : routing_ids) {
        if (sessions.at(routing_id).role == proto::Role::Client) {
            disconnect_session(routing_id, DisconnectReason::Shutdown, now);
        }
    }
    for (const auto& routing_id : routing_ids) {
        disconnect_session(routing_id, DisconnectReason::Shutdown, now);
    }

    heartbeats.stop_all();
    shut_down = true;
}

void Engine::Impl::send(const std::string& routing_id, proto::Message message, TimePoint now) {
    outgoing.push_back(Outgoing{routing_id, proto::encode(message)});
    ++counters.messages_out;
    heartbeats.on_sent(routing_id, now);
}

void Engine::Impl::reject(const std::string& routing_id, std::string code, std::string message,
                          std::optional<std::uint8_t> command, std::optional<std::string> task_id,
                          TimePoint now) {
    ++counters.protocol_errors;

    EngineEvent event{.kind = EngineEvent::Kind::ProtocolError,
                      .subject = task_id.value_or(""),
                      .reason = code,
                      .detail = message,
                      .routing_id = routing_id};
    if (auto it = sessions.find(routing_id); it != sessions.end()) {
        auto& peer_field = it->second.role == proto::Role::Device ? event.device_id : event.client_id;
        peer_field = it->second.peer_id;
    }
    emit(std::move(event));

    proto::Error error{.code = std::move(code),
                       .message = std::move(message),
                       .command = command,
                       .task_id = std::move(task_id)};
    if (error.code == "unsupported_version") {
        error.supported_versions = {proto::kProtocolVersion};
    }
    send(routing_id, std::move(error), now);
}

void Engine::Impl::emit(EngineEvent event) { events.push_back(std::move(event)); }

void Engine::Impl::publish(proto::Event event, TimePoint now) {
    for (const auto& client_id : subscribers) {
        const Client* client = clients.find(client_id);
        if (client != nullptr && client->state == PeerState::Connected) {
            send(client->routing_id, event, now);
        }
    }
}

void Engine::Impl::note_received(const std::string& routing_id, const Session& session,
                                 TimePoint now) {
    heartbeats.on_received(routing_id, now);
    if (session.role == proto::Role::Device) {
        if (Device* device = devices.find(session.peer_id)) {
            device->last_received = now;
        }
    } else if (Client* client = clients.find(session.peer_id)) {
        client->last_received = now;
    }
}

std::string Engine::Impl::new_session_token() {
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(random()),
                  static_cast<unsigned long long>(random()));
    return text;
}

proto::ReconnectAdvice Engine::Impl::reconnect_advice() const {
    const auto& policy = config.advised_reconnect;
    return proto::ReconnectAdvice{.policy = std::string(to_string(policy.policy)),
                                  .max_retries = policy.max_retries,
                                  .initial_backoff = policy.initial_backoff,
                                  .max_backoff = policy.max_backoff,
                                  .multiplier = policy.multiplier,
                                  .jitter = std::string(to_string(policy.jitter))};
}

TimeoutManager::OperationId Engine::Impl::start_timer(OperationKind kind, std::string name,
                                                      TimePoint now, Duration timeout,
                                                      TimerTarget target) {
    const auto id = timeouts.start(kind, std::move(name), now, std::max(timeout, Duration{1}));
    timers.emplace(id, std::move(target));
    return id;
}

void Engine::Impl::cancel_timer(std::optional<TimeoutManager::OperationId>& timer) {
    if (!timer) {
        return;
    }
    timeouts.finish(*timer);
    timers.erase(*timer);
    timer.reset();
}

Engine::Engine(EngineConfig config, TimePoint now)
    : impl_(std::make_unique<Impl>(std::move(config), now)) {}

Engine::~Engine() = default;

void Engine::on_message(const std::string& routing_id, const proto::Frames& frames,
                        TimePoint now) {
    impl_->handle_message(routing_id, frames, now);
}

void Engine::on_tick(TimePoint now) { impl_->handle_tick(now); }

void Engine::shutdown(TimePoint now) { impl_->handle_shutdown(now); }

std::optional<TimePoint> Engine::next_wakeup() const {
    if (impl_->shut_down) {
        return std::nullopt;
    }

    // The detection tick bounds how late a lost peer is noticed, whatever the timers contain.
    TimePoint wakeup = impl_->last_now + impl_->config.heartbeat_interval / 4;
    if (auto at = impl_->heartbeats.next_deadline()) {
        wakeup = std::min(wakeup, *at);
    }
    if (auto at = impl_->timeouts.next_deadline()) {
        wakeup = std::min(wakeup, *at);
    }
    return wakeup;
}

std::vector<Outgoing> Engine::take_outgoing() { return std::exchange(impl_->outgoing, {}); }

std::vector<EngineEvent> Engine::take_events() { return std::exchange(impl_->events, {}); }

EngineStats Engine::stats() const {
    EngineStats stats = impl_->counters;
    stats.devices_connected = impl_->devices.count(PeerState::Connected);
    stats.devices_disconnected = impl_->devices.count(PeerState::Disconnected);
    stats.clients_connected = impl_->clients.count(PeerState::Connected);
    stats.tasks_pending = impl_->tasks.count(TaskState::Pending);
    stats.tasks_running = impl_->tasks.count(TaskState::Running);
    stats.tasks_completed = impl_->tasks.finished_total(TaskState::Completed);
    stats.tasks_failed = impl_->tasks.finished_total(TaskState::Failed);
    stats.tasks_cancelled = impl_->tasks.finished_total(TaskState::Cancelled);
    stats.tasks_timed_out = impl_->tasks.finished_total(TaskState::TimedOut);
    return stats;
}

std::vector<proto::DeviceInfo> Engine::devices(TimePoint now) const {
    return impl_->device_infos(now);
}

std::vector<proto::TaskInfo> Engine::tasks() const { return impl_->task_infos(); }

std::vector<proto::DeviceInfo> Engine::Impl::device_infos(TimePoint now) const {
    std::vector<proto::DeviceInfo> infos;
    for (const auto& [id, device] : devices.all()) {
        const auto silence = std::max(Duration{0}, std::chrono::duration_cast<Duration>(
                                                       now - device.last_received));
        infos.push_back(proto::DeviceInfo{.device_id = id,
                                          .state = std::string(to_string(device.state)),
                                          .capabilities = device.capabilities,
                                          .slots = device.slots,
                                          .running = static_cast<std::uint32_t>(device.tasks.size()),
                                          .last_seen = silence});
    }
    return infos;
}

std::vector<proto::TaskInfo> Engine::Impl::task_infos() const {
    std::vector<proto::TaskInfo> infos;
    infos.reserve(tasks.all().size());
    for (const auto& [id, task] : tasks.all()) {
        infos.push_back(proto::TaskInfo{.task_id = id,
                                        .client_id = task.client_id,
                                        .state = std::string(to_string(task.state)),
                                        .reason = task.reason,
                                        .device_id = task.device_id,
                                        .attempts = task.attempts});
    }
    std::sort(infos.begin(), infos.end(),
              [](const auto& a, const auto& b) { return a.task_id < b.task_id; });
    return infos;
}

}  // namespace aip::plugin
