#include "aip/plugin/timeout_manager.hpp"

#include <limits>
#include <stdexcept>

#include "aip/plugin/duration.hpp"
#include "saturating_time.hpp"

namespace aip::plugin {

using namespace std::chrono_literals;

std::string_view to_string(OperationKind kind) noexcept {
    switch (kind) {
        case OperationKind::Registration: return "registration";
        case OperationKind::TaskDispatch: return "task_dispatch";
        case OperationKind::CommandExecution: return "command_execution";
        case OperationKind::Heartbeat: return "heartbeat";
        case OperationKind::Disconnection: return "disconnection";
        case OperationKind::DeviceInfoQuery: return "device_info_query";
    }
    return "unknown";
}

Duration default_timeout(OperationKind kind) noexcept {
    switch (kind) {
        // REGISTER to REGISTERED is one round trip plus a registry insert; 5 s is the peers'
        // registration timeout, far above a loaded broker's latency.
        case OperationKind::Registration: return 5s;
        // ASSIGN to STARTED: the device only has to acknowledge, not to run the task.
        case OperationKind::TaskDispatch: return 5s;
        // A whole task run; the broker's default task timeout, overridden per task.
        case OperationKind::CommandExecution: return 10min;
        // One default heartbeat interval: a heartbeat exchange that takes longer has missed it.
        case OperationKind::Heartbeat: return 1s;
        // DISCONNECT is fire-and-forget; 2 s bounds the flush of queued frames at shutdown.
        case OperationKind::Disconnection: return 2s;
        // A query answered from the broker's registry: one round trip.
        case OperationKind::DeviceInfoQuery: return 5s;
    }
    return 5s;
}

TimeoutManager::OperationId TimeoutManager::start(OperationKind kind, std::string name,
                                                  TimePoint now, std::optional<Duration> timeout) {
    const Duration chosen = timeout.value_or(default_timeout(kind));
    if (chosen <= Duration{0}) {
        throw std::invalid_argument("timeout of operation '" + name + "' (" +
                                    format_duration(chosen) + ") must be positive");
    }

    const TimePoint deadline = detail::saturating_add(now, chosen);

    const OperationId id = next_id_++;
    operations_.emplace(id, Operation{kind, std::move(name), chosen, deadline});
    deadlines_.emplace(deadline, id);
    return id;
}

bool TimeoutManager::finish(OperationId id) {
    const auto operation = operations_.find(id);
    if (operation == operations_.end()) {
        return false;
    }
    deadlines_.erase({operation->second.deadline, id});
    operations_.erase(operation);
    return true;
}

std::vector<TimeoutManager::Expired> TimeoutManager::poll(TimePoint now) {
    std::vector<Expired> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        const OperationId id = deadlines_.begin()->second;
        deadlines_.erase(deadlines_.begin());

        auto operation = operations_.extract(id);
        Operation& state = operation.mapped();
        expired.push_back(Expired{id, state.kind, std::move(state.name), state.timeout});
    }
    return expired;
}

std::optional<TimePoint> TimeoutManager::next_deadline() const {
    if (deadlines_.empty()) {
        return std::nullopt;
    }
    return deadlines_.begin()->first;
}

std::size_t TimeoutManager::size() const noexcept { return operations_.size(); }

std::string timeout_message(const TimeoutManager::Expired& expired) {
    return "operation '" + expired.name + "' timed out after " + format_duration(expired.timeout);
}

}  // namespace aip::plugin
