// The engine's private state and the steps that on_message and on_tick are made of. The
// definitions are split by concept: engine.cpp (entry points, output, config), engine_sessions.cpp
// (registration and the failure funnel), engine_tasks.cpp (task life cycle).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "aip/plugin/engine.hpp"
#include "aip/plugin/heartbeat_manager.hpp"
#include "aip/plugin/timeout_manager.hpp"
#include "client_registry.hpp"
#include "device_registry.hpp"
#include "registration_limiter.hpp"
#include "scheduler.hpp"
#include "task_table.hpp"

namespace aip::plugin {

// The peer behind one routing id. A routing id maps to at most one session, and a session is
// erased the moment it ends, so a late timer or message of an old session finds nothing.
struct Session {
    proto::Role role{proto::Role::Device};
    std::string peer_id;
};

// The task, device or client that a TimeoutManager operation belongs to.
struct TimerTarget {
    enum class Kind : std::uint8_t { TaskDeadline, TaskDispatch, DeviceGrace, ClientGrace };
    Kind kind{Kind::TaskDeadline};
    std::string id;             // task, device or client id
    std::uint32_t attempt{0};   // TaskDispatch only
};

struct Engine::Impl {
    Impl(EngineConfig engine_config, TimePoint now);

    // --- engine.cpp: input, output, time ---
    void handle_message(const std::string& routing_id, const proto::Frames& frames, TimePoint now);
    void process_message(const std::string& routing_id, const proto::Frames& frames,
                         TimePoint now);
    void handle_tick(TimePoint now);
    void handle_shutdown(TimePoint now);
    void handle_timer(const TimeoutManager::Expired& expired, TimePoint now);

    void send(const std::string& routing_id, proto::Message message, TimePoint now);
    void reject(const std::string& routing_id, std::string code, std::string message,
                std::optional<std::uint8_t> command, std::optional<std::string> task_id,
                TimePoint now);
    void emit(EngineEvent event);
    void publish(proto::Event event, TimePoint now);
    void note_received(const std::string& routing_id, const Session& session, TimePoint now);
    [[nodiscard]] std::string new_session_token();
    [[nodiscard]] proto::ReconnectAdvice reconnect_advice() const;
    TimeoutManager::OperationId start_timer(OperationKind kind, std::string name, TimePoint now,
                                            Duration timeout, TimerTarget target);
    void cancel_timer(std::optional<TimeoutManager::OperationId>& timer);

    // --- engine_sessions.cpp: registration and the failure funnel ---
    void handle_register(const std::string& routing_id, const proto::Register& request,
                         TimePoint now);
    void register_device(const std::string& routing_id, const proto::Register& request,
                         TimePoint now);
    void register_client(const std::string& routing_id, const proto::Register& request,
                         TimePoint now);
    // Returns true when a REGISTER may take over a live session (section 4 of SPEC.md).
    [[nodiscard]] bool may_supersede(const std::optional<std::string>& presented_token,
                                     const std::string& issued_token, TimePoint last_received,
                                     TimePoint now) const;
    void send_registered(const std::string& routing_id, const std::string& token, TimePoint now);

    // The failure funnel: every path out of CONNECTED for the session on `routing_id`.
    // Idempotent: a routing id without a session is ignored.
    void disconnect_session(const std::string& routing_id, DisconnectReason reason, TimePoint now);
    void disconnect_device(Device& device, DisconnectReason reason, TimePoint now);
    void disconnect_client(Client& client, DisconnectReason reason, TimePoint now);
    void remove_device(const std::string& device_id, TimePoint now);
    void remove_client(const std::string& client_id, TimePoint now);

    // --- engine_tasks.cpp: task life cycle ---
    void handle_submit(const Session& session, const std::string& routing_id,
                       const proto::Submit& submit, TimePoint now);
    void handle_cancel(const Session& session, const std::string& routing_id,
                       const proto::Cancel& cancel, TimePoint now);
    void handle_started(const Session& session, const std::string& routing_id,
                        const proto::Started& started, TimePoint now);
    void handle_result(const Session& session, const std::string& routing_id,
                       proto::Result result, TimePoint now);
    void handle_query(const std::string& routing_id, const proto::Query& query, TimePoint now);
    [[nodiscard]] std::vector<proto::DeviceInfo> device_infos(TimePoint now) const;
    [[nodiscard]] std::vector<proto::TaskInfo> task_infos() const;

    // Returns the task when `device_id` runs `attempt` of it now. Otherwise sends ERROR
    // unknown_task or drops the message as late (counted) and returns nullptr.
    [[nodiscard]] Task* current_attempt(const std::string& routing_id, const std::string& device_id,
                                        const std::string& task_id, std::uint32_t attempt,
                                        std::uint8_t command, TimePoint now);

    void dispatch(Task& task, Device& device, TimePoint now);
    // Ends the running attempt, freeing the device's slot. Returns the device id, if any.
    std::optional<std::string> end_attempt(Task& task, TimePoint now);
    void abort_attempt(const Task& task, const std::string& reason, TimePoint now);
    // Fails the running attempt for a device reason and applies the retry policy.
    void fail_attempt(Task& task, const std::string& error, TimePoint now);
    // Moves a task to a final state and sends its owner the one final TASK_UPDATE.
    // Sends the final TASK_UPDATE of an ended task again, to a client that asks about it again.
    void resend_final(const Task& task, const std::string& routing_id, TimePoint now);
    // Forgets ended tasks past the retention period or beyond max_finished_tasks.
    void forget_finished(TimePoint now);
    // Explains why a task that times out was never dispatched, for its final update.
    [[nodiscard]] std::string never_dispatched_reason(const Task& task) const;
    // Leaves entries out of a query reply until it fits max_message_bytes, and marks it truncated.
    void fit_reply(proto::QueryReply& reply) const;
    void finish_task(Task& task, TaskState state, const std::string& reason, TimePoint now,
                     std::string error = {}, std::optional<std::string> payload = std::nullopt);
    void change_task_state(Task& task, TaskState state, const std::string& reason,
                           const std::string& detail, TimePoint now);
    void notify_owner(const Task& task, proto::TaskUpdate update, TimePoint now);
    void expire_deadline(const std::string& task_id, TimePoint now);
    void expire_dispatch(const std::string& task_id, std::uint32_t attempt, TimePoint now);

    // Dispatches queued tasks while a device that can take them has a free slot.
    void schedule_for_device(const std::string& device_id, TimePoint now);
    void schedule_for_target(const Task& task, TimePoint now);
    // Serves the devices and tasks collected in schedule_devices and schedule_tasks. Runs once a
    // message or tick has been handled completely, so that no dispatch interleaves with a failure
    // in progress (a device being dropped must not receive the tasks it just lost).
    void run_scheduler(TimePoint now);

    EngineConfig config;
    HeartbeatManager heartbeats;  // keyed by routing id
    RegistrationLimiter registrations;
    TimeoutManager timeouts;
    std::unordered_map<TimeoutManager::OperationId, TimerTarget> timers;
    std::mt19937_64 random;

    std::unordered_map<std::string, Session> sessions;  // by routing id
    DeviceRegistry devices;
    ClientRegistry clients;
    std::set<std::string> subscribers;  // client ids
    TaskTable tasks;
    // Ended tasks in the order they ended, for forgetting them after the retention period.
    std::deque<std::pair<TimePoint, std::string>> finished_order;
    Scheduler scheduler;
    std::set<std::string> schedule_devices;  // device ids with a slot freed or newly CONNECTED
    std::set<std::string> schedule_tasks;    // task ids queued again for a retry

    std::vector<Outgoing> outgoing;
    std::vector<EngineEvent> events;
    EngineStats counters;  // the cumulative fields; current counts are computed in stats()
    TimePoint last_now;
    bool shut_down{false};
};

}  // namespace aip::plugin
