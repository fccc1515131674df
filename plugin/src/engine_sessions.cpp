// Registration, superseding and the failure funnel of devices and clients.
#include <utility>

#include "engine_impl.hpp"

namespace aip::plugin {

namespace {

constexpr std::string_view kNew = "NEW";          // "from" of a peer's first registration
constexpr std::string_view kRemoved = "REMOVED";

}  // namespace

void Engine::Impl::handle_register(const std::string& routing_id, const proto::Register& request,
                                   TimePoint now) {
    if (!registrations.allow(routing_id, now)) {
        reject(routing_id, "rate_limited",
               "more than " + std::to_string(config.max_registrations_per_second) +
                   " REGISTER messages from this connection within one second; wait and retry",
               static_cast<std::uint8_t>(proto::Command::Register), std::nullopt, now);
        return;
    }

    // The same socket registering again means the peer restarted its session: the old one ends.
    if (sessions.contains(routing_id)) {
        disconnect_session(routing_id, DisconnectReason::Superseded, now);
    }

    if (request.role == proto::Role::Device) {
        register_device(routing_id, request, now);
    } else {
        register_client(routing_id, request, now);
    }
}

bool Engine::Impl::may_supersede(const std::optional<std::string>& presented_token,
                                 const std::string& issued_token, TimePoint last_received,
                                 TimePoint now) const {
    if (presented_token && *presented_token == issued_token) {
        return true;
    }
    return now - last_received >= config.heartbeat_interval;
}

void Engine::Impl::register_device(const std::string& routing_id, const proto::Register& request,
                                   TimePoint now) {
    const std::string& id = request.peer_id;

    if (Device* existing = devices.find(id); existing != nullptr) {
        if (existing->state == PeerState::Connected) {
            if (!may_supersede(request.session_token, existing->session_token,
                               existing->last_received, now)) {
                reject(routing_id, "id_in_use",
                       "device id '" + id + "' is held by a live session; present its session "
                       "token or retry after the old session has been silent for one heartbeat "
                       "interval",
                       static_cast<std::uint8_t>(proto::Command::Register), std::nullopt, now);
                return;
            }
            send(existing->routing_id, proto::Disconnect{"superseded"}, now);
            disconnect_device(*existing, DisconnectReason::Superseded, now);
        }
        cancel_timer(existing->grace_timer);
    }

    const Device* before = devices.find(id);
    const std::string from = before ? std::string(to_string(before->state)) : std::string(kNew);

    Device& device = devices.upsert(id, request.capabilities);
    device.state = PeerState::Connected;
    device.routing_id = routing_id;
    device.slots = std::max<std::uint32_t>(1, request.slots);
    device.last_received = now;
    device.idle_since = now;
    device.session_token = new_session_token();

    sessions[routing_id] = Session{proto::Role::Device, id};
    heartbeats.start_heartbeat(routing_id, now);
    send_registered(routing_id, device.session_token, now);

    emit(EngineEvent{.kind = EngineEvent::Kind::DeviceState,
                     .subject = id,
                     .from = from,
                     .to = "CONNECTED",
                     .reason = "registered",
                     .routing_id = routing_id,
                     .device_id = id});
    publish(proto::Event{.kind = "device", .id = id, .state = "CONNECTED", .device_id = id}, now);
    schedule_devices.insert(id);
}

void Engine::Impl::register_client(const std::string& routing_id, const proto::Register& request,
                                   TimePoint now) {
    const std::string& id = request.peer_id;

    if (Client* existing = clients.find(id); existing != nullptr) {
        if (existing->state == PeerState::Connected) {
            if (!may_supersede(request.session_token, existing->session_token,
                               existing->last_received, now)) {
                reject(routing_id, "id_in_use",
                       "client id '" + id + "' is held by a live session; present its session "
                       "token or retry after the old session has been silent for one heartbeat "
                       "interval",
                       static_cast<std::uint8_t>(proto::Command::Register), std::nullopt, now);
                return;
            }
            send(existing->routing_id, proto::Disconnect{"superseded"}, now);
            disconnect_client(*existing, DisconnectReason::Superseded, now);
        }
        cancel_timer(existing->grace_timer);
    }

    const Client* before = clients.find(id);
    const std::string from = before ? std::string(to_string(before->state)) : std::string(kNew);

    Client& client = clients.get_or_insert(id);
    client.state = PeerState::Connected;
    client.routing_id = routing_id;
    client.last_received = now;
    client.session_token = new_session_token();

    sessions[routing_id] = Session{proto::Role::Client, id};
    heartbeats.start_heartbeat(routing_id, now);
    send_registered(routing_id, client.session_token, now);

    // Updates produced while the client was away, in the order they happened.
    auto queued = std::exchange(client.queued_updates, {});
    for (auto& update : queued) {
        send(routing_id, std::move(update), now);
    }

    emit(EngineEvent{.kind = EngineEvent::Kind::ClientState,
                     .subject = id,
                     .from = from,
                     .to = "CONNECTED",
                     .reason = "registered",
                     .routing_id = routing_id,
                     .client_id = id});
}

void Engine::Impl::send_registered(const std::string& routing_id, const std::string& token,
                                   TimePoint now) {
    send(routing_id,
         proto::Registered{.session_token = token,
                           .heartbeat = config.heartbeat_interval,
                           .liveness = config.liveness,
                           .max_message_bytes = config.max_message_bytes,
                           .reconnect = reconnect_advice()},
         now);

    // Peers that register at the same moment (after a broker restart, say) would otherwise get
    // their heartbeats in the same tick forever after. Counting the REGISTERED as sent up to half
    // an interval earlier spreads the first heartbeat, and so every later one, over that half
    // interval. A heartbeat that comes early costs nothing: the peer only needs one per interval.
    std::uniform_int_distribution<Duration::rep> offset(0, config.heartbeat_interval.count() / 2);
    heartbeats.on_sent(routing_id, now - Duration{offset(random)});
}

void Engine::Impl::disconnect_session(const std::string& routing_id, DisconnectReason reason,
                                      TimePoint now) {
    auto it = sessions.find(routing_id);
    if (it == sessions.end()) {
        return;
    }
    const Session session = it->second;

    if (session.role == proto::Role::Device) {
        if (Device* device = devices.find(session.peer_id)) {
            disconnect_device(*device, reason, now);
        }
    } else if (Client* client = clients.find(session.peer_id)) {
        disconnect_client(*client, reason, now);
    }

    // Covers a session whose record was already gone; normally the funnel erased it.
    sessions.erase(routing_id);
    heartbeats.stop_heartbeat(routing_id);
}

void Engine::Impl::disconnect_device(Device& device, DisconnectReason reason, TimePoint now) {
    if (device.state != PeerState::Connected) {
        return;
    }

    const std::string routing_id = std::exchange(device.routing_id, {});
    sessions.erase(routing_id);
    heartbeats.stop_heartbeat(routing_id);
    device.state = PeerState::Disconnected;
    ++counters.devices_lost;

    emit(EngineEvent{.kind = EngineEvent::Kind::DeviceState,
                     .subject = device.id,
                     .from = "CONNECTED",
                     .to = "DISCONNECTED",
                     .reason = std::string(to_string(reason)),
                     .routing_id = routing_id,
                     .device_id = device.id});
    publish(proto::Event{.kind = "device",
                         .id = device.id,
                         .state = "DISCONNECTED",
                         .reason = std::string(to_string(reason)),
                         .device_id = device.id},
            now);

    // At shutdown the tasks stay as they are: the task table ends with the engine, and clients
    // submit again to the next broker, so failing them would only produce misleading outcomes.
    if (reason == DisconnectReason::Shutdown) {
        return;
    }

    // Copied: failing an attempt erases the task from device.tasks.
    const std::set<std::string> lost_tasks = device.tasks;
    for (const auto& task_id : lost_tasks) {
        if (Task* task = tasks.find(task_id)) {
            fail_attempt(*task, "device_disconnected", now);
        }
    }

    // A superseded device registers again at once, and a shut-down engine keeps no timers.
    if (reason == DisconnectReason::Superseded || reason == DisconnectReason::Shutdown) {
        return;
    }
    if (config.device_grace == Duration{0}) {
        remove_device(device.id, now);
        return;
    }
    device.grace_timer =
        start_timer(OperationKind::Disconnection, "grace period of device " + device.id, now,
                    config.device_grace, TimerTarget{TimerTarget::Kind::DeviceGrace, device.id});
}

void Engine::Impl::disconnect_client(Client& client, DisconnectReason reason, TimePoint now) {
    if (client.state != PeerState::Connected) {
        return;
    }

    const std::string routing_id = std::exchange(client.routing_id, {});
    sessions.erase(routing_id);
    heartbeats.stop_heartbeat(routing_id);
    client.state = PeerState::Disconnected;

    emit(EngineEvent{.kind = EngineEvent::Kind::ClientState,
                     .subject = client.id,
                     .from = "CONNECTED",
                     .to = "DISCONNECTED",
                     .reason = std::string(to_string(reason)),
                     .routing_id = routing_id,
                     .client_id = client.id});

    if (reason == DisconnectReason::Superseded || reason == DisconnectReason::Shutdown) {
        return;
    }
    if (config.client_grace == Duration{0}) {
        remove_client(client.id, now);
        return;
    }
    client.grace_timer =
        start_timer(OperationKind::Disconnection, "grace period of client " + client.id, now,
                    config.client_grace, TimerTarget{TimerTarget::Kind::ClientGrace, client.id});
}

void Engine::Impl::remove_device(const std::string& device_id, TimePoint now) {
    Device* device = devices.find(device_id);
    if (device == nullptr || device->state != PeerState::Disconnected) {
        return;
    }
    cancel_timer(device->grace_timer);

    emit(EngineEvent{.kind = EngineEvent::Kind::DeviceState,
                     .subject = device_id,
                     .from = "DISCONNECTED",
                     .to = std::string(kRemoved),
                     .reason = "grace_expired",
                     .device_id = device_id});
    publish(proto::Event{.kind = "device",
                         .id = device_id,
                         .state = std::string(kRemoved),
                         .reason = "grace_expired",
                         .device_id = device_id},
            now);
    devices.erase(device_id);

    // Tasks aimed at this device alone can no longer run anywhere.
    for (const auto& task_id : scheduler.take_queued_for_device(device_id, tasks)) {
        if (Task* task = tasks.find(task_id)) {
            finish_task(*task, TaskState::Failed, "device_removed", now);
        }
    }
}

void Engine::Impl::remove_client(const std::string& client_id, TimePoint now) {
    Client* client = clients.find(client_id);
    if (client == nullptr || client->state != PeerState::Disconnected) {
        return;
    }
    cancel_timer(client->grace_timer);

    // Copied: finishing a task erases it from client->tasks.
    const std::set<std::string> owned = client->tasks;
    for (const auto& task_id : owned) {
        Task* task = tasks.find(task_id);
        if (task == nullptr || is_final(task->state)) {
            continue;
        }
        abort_attempt(*task, "client_disconnected", now);
        finish_task(*task, TaskState::Cancelled, "client_disconnected", now);
    }

    emit(EngineEvent{.kind = EngineEvent::Kind::ClientState,
                     .subject = client_id,
                     .from = "DISCONNECTED",
                     .to = std::string(kRemoved),
                     .reason = "grace_expired",
                     .client_id = client_id});
    subscribers.erase(client_id);
    clients.erase(client_id);
}

}  // namespace aip::plugin
