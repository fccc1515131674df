// Task life cycle: submission, dispatch, attempts, outcomes, cancellation and deadlines.
#include <algorithm>
#include <utility>

#include "engine_impl.hpp"

namespace aip::plugin {

namespace {

constexpr auto kStartedByte = static_cast<std::uint8_t>(proto::Command::Started);
constexpr auto kResultByte = static_cast<std::uint8_t>(proto::Command::Result);
constexpr auto kCancelByte = static_cast<std::uint8_t>(proto::Command::Cancel);

}  // namespace

void Engine::Impl::handle_submit(const Session& session, const std::string& routing_id,
                                 const proto::Submit& submit, TimePoint now) {
    if (const Task* existing = tasks.find(submit.task_id)) {
        if (existing->client_id != session.peer_id) {
            reject(routing_id, "task_id_in_use",
                   "task id '" + submit.task_id + "' belongs to another client; choose another id",
                   static_cast<std::uint8_t>(proto::Command::Submit), submit.task_id, now);
            return;
        }
        send(routing_id, proto::Accepted{.task_id = submit.task_id, .duplicate = true}, now);
        // A client that lost the final update (for example across a reconnection) gets it again.
        if (is_final(existing->state)) {
            resend_final(*existing, routing_id, now);
        }
        return;
    }

    const Duration timeout = submit.timeout > Duration{0} ? submit.timeout
                                                          : config.default_task_timeout;
    Task& task = tasks.insert(Task{.id = submit.task_id,
                                   .client_id = session.peer_id,
                                   .target_device = submit.device_id,
                                   .target_capability = submit.capability,
                                   .payload = submit.payload,
                                   .deadline = now + timeout,
                                   .max_attempts = std::max<std::uint32_t>(1, submit.max_attempts),
                                   .reassign = submit.reassign});
    if (!task.target_device && !task.target_capability) {
        // NOTE: the codec is expected to reject a SUBMIT without a target; this keeps the
        // scheduler's invariant (exactly one target) if it does not.
        task.target_capability = "";
    }
    task.deadline_timer = start_timer(OperationKind::CommandExecution, "deadline of task " + task.id,
                                      now, timeout,
                                      TimerTarget{TimerTarget::Kind::TaskDeadline, task.id});
    if (Client* client = clients.find(session.peer_id)) {
        client->tasks.insert(task.id);
    }

    send(routing_id, proto::Accepted{.task_id = task.id, .duplicate = false}, now);
    emit(EngineEvent{.kind = EngineEvent::Kind::TaskState,
                     .subject = task.id,
                     .from = "NEW",
                     .to = "PENDING",
                     .reason = "queued",
                     .device_id = task.target_device.value_or(""),
                     .client_id = task.client_id});
    publish(proto::Event{.kind = "task",
                         .id = task.id,
                         .state = "PENDING",
                         .reason = "queued",
                         .client_id = task.client_id},
            now);

    scheduler.enqueue(task);
    schedule_for_target(task, now);
}

void Engine::Impl::handle_cancel(const Session& session, const std::string& routing_id,
                                 const proto::Cancel& cancel, TimePoint now) {
    Task* task = tasks.find(cancel.task_id);
    if (task == nullptr || task->client_id != session.peer_id) {
        reject(routing_id, "unknown_task", "no task '" + cancel.task_id + "' owned by this client",
               kCancelByte, cancel.task_id, now);
        return;
    }

    // A CANCEL for a task that already ended changes nothing; the client gets its final update
    // again, so that it learns the outcome.
    if (is_final(task->state)) {
        resend_final(*task, routing_id, now);
        return;
    }
    abort_attempt(*task, "client_cancelled", now);
    finish_task(*task, TaskState::Cancelled, "client_cancelled", now);
}

Task* Engine::Impl::current_attempt(const std::string& routing_id, const std::string& device_id,
                                    const std::string& task_id, std::uint32_t attempt,
                                    std::uint8_t command, TimePoint now) {
    Task* task = tasks.find(task_id);
    if (task == nullptr || !task->ran_on(device_id)) {
        reject(routing_id, "unknown_task", "no task '" + task_id + "' was assigned to this device",
               command, task_id, now);
        return nullptr;
    }

    const bool current = !is_final(task->state) && task->dispatched &&
                         task->device_id == device_id && task->attempts == attempt;
    if (current) {
        return task;
    }

    ++counters.results_dropped;
    emit(EngineEvent{.kind = EngineEvent::Kind::ResultDropped,
                     .subject = task_id,
                     .reason = "attempt_ended",
                     .detail = std::string(proto::command_name(command)) + " for attempt " +
                               std::to_string(attempt) + ", task is " +
                               std::string(to_string(task->state)) + " at attempt " +
                               std::to_string(task->attempts),
                     .routing_id = routing_id,
                     .device_id = device_id,
                     .client_id = task->client_id,
                     .attempt = attempt});
    return nullptr;
}

void Engine::Impl::handle_started(const Session& session, const std::string& routing_id,
                                  const proto::Started& started, TimePoint now) {
    Task* task = current_attempt(routing_id, session.peer_id, started.task_id, started.attempt,
                                 kStartedByte, now);
    if (task == nullptr || task->state == TaskState::Running) {
        return;
    }

    cancel_timer(task->dispatch_timer);
    change_task_state(*task, TaskState::Running, "", "", now);
    notify_owner(*task,
                 proto::TaskUpdate{.task_id = task->id,
                                   .state = "RUNNING",
                                   .final = false,
                                   .attempts = task->attempts,
                                   .device_id = task->device_id},
                 now);
}

void Engine::Impl::handle_result(const Session& session, const std::string& routing_id,
                                 proto::Result result, TimePoint now) {
    // A RESULT before STARTED is accepted: STARTED may have been lost or overtaken.
    Task* task = current_attempt(routing_id, session.peer_id, result.task_id, result.attempt,
                                 kResultByte, now);
    if (task == nullptr) {
        return;
    }

    if (result.ok) {
        finish_task(*task, TaskState::Completed, "", now, "", std::move(result.payload));
    } else {
        finish_task(*task, TaskState::Failed, "task_error", now, std::move(result.error),
                    std::move(result.payload));
    }
}

void Engine::Impl::handle_query(const std::string& routing_id, const proto::Query& query,
                                TimePoint now) {
    proto::QueryReply reply{.request_id = query.request_id};
    if (query.what == "devices") {
        reply.devices = device_infos(now);
    } else if (query.what == "tasks") {
        reply.tasks = task_infos();
    } else {
        reject(routing_id, "invalid_value",
               "QUERY what must be \"devices\" or \"tasks\", not \"" + query.what + "\"",
               static_cast<std::uint8_t>(proto::Command::Query), std::nullopt, now);
        return;
    }
    fit_reply(reply);
    send(routing_id, std::move(reply), now);
}

void Engine::Impl::fit_reply(proto::QueryReply& reply) const {
    const auto size = [](const proto::QueryReply& candidate) {
        std::size_t total = 0;
        for (const auto& frame : proto::encode(candidate)) {
            total += frame.size();
        }
        return total;
    };
    if (size(reply) <= config.max_message_bytes) {
        return;
    }

    // Keep as many entries as fit, found by bisection; tasks not yet ended come first, so they
    // are the ones kept.
    std::stable_partition(reply.tasks.begin(), reply.tasks.end(),
                          [](const proto::TaskInfo& info) { return info.state == "PENDING" || info.state == "RUNNING"; });
    reply.truncated = true;
    const auto keep_fitting = [&](auto& entries) {
        auto all = std::move(entries);
        std::size_t fits = 0;
        std::size_t too_many = all.size() + 1;
        while (too_many - fits > 1) {
            const std::size_t middle = fits + (too_many - fits) / 2;
            entries.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(middle));
            (size(reply) <= config.max_message_bytes ? fits : too_many) = middle;
        }
        entries.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(fits));
    };
    keep_fitting(reply.tasks);
    keep_fitting(reply.devices);
}

void Engine::Impl::dispatch(Task& task, Device& device, TimePoint now) {
    ++task.attempts;
    task.attempt_devices.push_back(device.id);
    task.dispatched = true;
    task.device_id = device.id;
    device.tasks.insert(task.id);
    device.idle_since = now;

    // The device gets what is left of the task's life; at least 1 ms when a tick is late.
    const auto remaining =
        std::max(Duration{1}, std::chrono::duration_cast<Duration>(task.deadline - now));
    send(device.routing_id,
         proto::Assign{.task_id = task.id,
                       .attempt = task.attempts,
                       .timeout = remaining,
                       .payload = task.payload},
         now);

    emit(EngineEvent{.kind = EngineEvent::Kind::TaskState,
                     .subject = task.id,
                     .from = "PENDING",
                     .to = "PENDING",
                     .reason = "dispatched",
                     .device_id = device.id,
                     .client_id = task.client_id,
                     .attempt = task.attempts});

    task.dispatch_timer = start_timer(
        OperationKind::TaskDispatch,
        "dispatch of task " + task.id + " attempt " + std::to_string(task.attempts) +
            " to device " + device.id,
        now, config.dispatch_timeout,
        TimerTarget{TimerTarget::Kind::TaskDispatch, task.id, task.attempts});
}

std::optional<std::string> Engine::Impl::end_attempt(Task& task, TimePoint now) {
    if (!task.dispatched) {
        return std::nullopt;
    }
    task.dispatched = false;
    cancel_timer(task.dispatch_timer);

    Device* device = devices.find(task.device_id);
    if (device == nullptr) {
        return std::nullopt;
    }
    device->tasks.erase(task.id);
    device->idle_since = now;
    if (device->state == PeerState::Connected) {
        schedule_devices.insert(device->id);
    }
    return device->id;
}

void Engine::Impl::abort_attempt(const Task& task, const std::string& reason, TimePoint now) {
    if (!task.dispatched) {
        return;
    }
    const Device* device = devices.find(task.device_id);
    if (device == nullptr || device->state != PeerState::Connected) {
        return;
    }
    send(device->routing_id,
         proto::Abort{.task_id = task.id, .attempt = task.attempts, .reason = reason}, now);
}

void Engine::Impl::fail_attempt(Task& task, const std::string& error, TimePoint now) {
    const auto device_id = end_attempt(task, now);
    if (device_id && !task.has_failed_on(*device_id)) {
        task.failed_on.push_back(*device_id);
    }

    if (!task.reassign || task.attempts >= task.max_attempts) {
        finish_task(task, TaskState::Failed, error, now);
        return;
    }

    ++counters.tasks_reassigned;
    change_task_state(task, TaskState::Pending, "retrying", error, now);
    notify_owner(task,
                 proto::TaskUpdate{.task_id = task.id,
                                   .state = "PENDING",
                                   .final = false,
                                   .attempts = task.attempts,
                                   .reason = "retrying",
                                   .device_id = task.device_id,
                                   .error = error},
                 now);
    scheduler.enqueue(task);
    schedule_tasks.insert(task.id);
}

void Engine::Impl::finish_task(Task& task, TaskState state, const std::string& reason,
                               TimePoint now, std::string error,
                               std::optional<std::string> payload) {
    end_attempt(task, now);
    Scheduler::dequeue(task);
    cancel_timer(task.deadline_timer);
    if (Client* client = clients.find(task.client_id)) {
        client->tasks.erase(task.id);
    }

    change_task_state(task, state, reason, error, now);
    task.final_update = proto::TaskUpdate{.task_id = task.id,
                                          .state = std::string(to_string(state)),
                                          .final = true,
                                          .attempts = task.attempts,
                                          .reason = reason,
                                          .device_id = task.device_id,
                                          .error = std::move(error),
                                          .payload = std::move(payload)};
    finished_order.emplace_back(now, task.id);
    notify_owner(task, *task.final_update, now);
}

void Engine::Impl::resend_final(const Task& task, const std::string& routing_id, TimePoint now) {
    if (task.final_update) {
        send(routing_id, *task.final_update, now);
    }
}

void Engine::Impl::forget_finished(TimePoint now) {
    while (!finished_order.empty()) {
        const auto& [ended_at, task_id] = finished_order.front();
        const bool expired = now - ended_at >= config.finished_task_retention;
        if (!expired && finished_order.size() <= config.max_finished_tasks) {
            return;
        }
        if (const Task* task = tasks.find(task_id); task != nullptr && is_final(task->state)) {
            tasks.erase(task_id);
        }
        finished_order.pop_front();
    }
}

void Engine::Impl::change_task_state(Task& task, TaskState state, const std::string& reason,
                                     const std::string& detail, TimePoint now) {
    const std::string from(to_string(task.state));
    tasks.set_state(task, state, reason);

    emit(EngineEvent{.kind = EngineEvent::Kind::TaskState,
                     .subject = task.id,
                     .from = from,
                     .to = std::string(to_string(state)),
                     .reason = reason,
                     .detail = detail,
                     .device_id = task.device_id,
                     .client_id = task.client_id,
                     .attempt = task.attempts});
    publish(proto::Event{.kind = "task",
                         .id = task.id,
                         .state = std::string(to_string(state)),
                         .reason = reason,
                         .device_id = task.device_id,
                         .client_id = task.client_id,
                         .attempts = task.attempts},
            now);
}

void Engine::Impl::notify_owner(const Task& task, proto::TaskUpdate update, TimePoint now) {
    Client* client = clients.find(task.client_id);
    if (client == nullptr) {
        return;
    }
    if (client->state == PeerState::Connected) {
        send(client->routing_id, std::move(update), now);
        return;
    }

    // NOTE: past the bound the oldest update is dropped, so a client away that long may miss an
    // update. The task's state stays available through QUERY.
    client->queued_updates.push_back(std::move(update));
    while (client->queued_updates.size() > config.max_queued_updates_per_client) {
        client->queued_updates.pop_front();
    }
}

void Engine::Impl::expire_deadline(const std::string& task_id, TimePoint now) {
    Task* task = tasks.find(task_id);
    if (task == nullptr || is_final(task->state)) {
        return;
    }
    task->deadline_timer.reset();
    abort_attempt(*task, "deadline_exceeded", now);
    const std::string why = task->attempts == 0 ? never_dispatched_reason(*task) : std::string();
    finish_task(*task, TaskState::TimedOut, "deadline_exceeded", now, why);
}

std::string Engine::Impl::never_dispatched_reason(const Task& task) const {
    if (task.target_device) {
        const Device* device = devices.find(*task.target_device);
        if (device == nullptr) {
            return "never dispatched: device '" + *task.target_device + "' is not registered";
        }
        if (device->state != PeerState::Connected) {
            return "never dispatched: device '" + *task.target_device + "' is DISCONNECTED";
        }
        return "never dispatched: device '" + *task.target_device + "' had no free slot";
    }

    const std::string capability = task.target_capability.value_or("");
    const auto* holders = devices.with_capability(capability);
    if (holders == nullptr || holders->empty()) {
        return "never dispatched: no registered device has capability '" + capability + "'";
    }
    return "never dispatched: every device with capability '" + capability +
           "' was busy or DISCONNECTED";
}

void Engine::Impl::expire_dispatch(const std::string& task_id, std::uint32_t attempt,
                                   TimePoint now) {
    Task* task = tasks.find(task_id);
    if (task == nullptr || is_final(task->state) || !task->dispatched ||
        task->attempts != attempt || task->state != TaskState::Pending) {
        return;
    }
    task->dispatch_timer.reset();
    abort_attempt(*task, "dispatch_timeout", now);
    fail_attempt(*task, "dispatch_timeout", now);
}

void Engine::Impl::schedule_for_device(const std::string& device_id, TimePoint now) {
    while (true) {
        Device* device = devices.find(device_id);
        if (device == nullptr || device->state != PeerState::Connected ||
            device->free_slots() == 0) {
            return;
        }
        Task* task = scheduler.oldest_for_device(*device, tasks);
        if (task == nullptr) {
            return;
        }
        // The oldest task goes to the best device for it, which may be another one.
        Device* chosen = Scheduler::choose_device(*task, devices);
        if (chosen == nullptr) {
            return;
        }
        scheduler.pop(*task);
        dispatch(*task, *chosen, now);
    }
}

void Engine::Impl::schedule_for_target(const Task& task, TimePoint now) {
    // Copied: the loop below may pop `task` itself, which leaves its target unchanged.
    const Task target{.target_device = task.target_device,
                      .target_capability = task.target_capability};
    while (Task* head = scheduler.front_for_target(target, tasks)) {
        Device* chosen = Scheduler::choose_device(*head, devices);
        if (chosen == nullptr) {
            return;
        }
        scheduler.pop(*head);
        dispatch(*head, *chosen, now);
    }
}

void Engine::Impl::run_scheduler(TimePoint now) {
    // Dispatching frees nothing, so these sets only shrink while the loops run.
    while (!schedule_tasks.empty() || !schedule_devices.empty()) {
        auto task_ids = std::exchange(schedule_tasks, {});
        for (const auto& task_id : task_ids) {
            if (const Task* task = tasks.find(task_id); task != nullptr && task->queue_sequence != 0) {
                schedule_for_target(*task, now);
            }
        }
        auto device_ids = std::exchange(schedule_devices, {});
        for (const auto& device_id : device_ids) {
            schedule_for_device(device_id, now);
        }
    }
}

}  // namespace aip::plugin
