// The task ledger in memory: every task the engine accepted, with its attempts and timers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aip/plugin/time.hpp"
#include "aip/plugin/timeout_manager.hpp"
#include "aip/proto/messages.hpp"

namespace aip::plugin {

// Task states of proto/SPEC.md section 5. PENDING covers both "queued" and "assigned, STARTED
// not yet received", and Task::dispatched distinguishes the two.
enum class TaskState : std::uint8_t { Pending, Running, Completed, Failed, Cancelled, TimedOut };

// Returns the wire spelling ("TIMED_OUT").
[[nodiscard]] std::string_view to_string(TaskState state) noexcept;
[[nodiscard]] bool is_final(TaskState state) noexcept;

struct Task {
    std::string id;
    std::string client_id;

    // Exactly one of the two is set.
    std::optional<std::string> target_device;
    std::optional<std::string> target_capability;

    std::string payload;  // forwarded to the device unchanged
    TimePoint deadline;
    std::uint32_t max_attempts{1};
    bool reassign{true};

    TaskState state{TaskState::Pending};
    std::string reason{"queued"};

    // Number of dispatches so far; attempt n ran on attempt_devices[n - 1].
    std::uint32_t attempts{0};
    std::vector<std::string> attempt_devices;
    // Devices on which an attempt failed for a device reason; the scheduler avoids them.
    std::vector<std::string> failed_on;

    // True between ASSIGN and the end of that attempt, while the device in device_id uses a slot.
    bool dispatched{false};
    std::string device_id;

    // The final TASK_UPDATE, kept so that a repeated SUBMIT or CANCEL can receive it again.
    std::optional<proto::TaskUpdate> final_update;

    std::optional<TimeoutManager::OperationId> deadline_timer;
    std::optional<TimeoutManager::OperationId> dispatch_timer;

    // Position in the pending queue; 0 when the task is not queued.
    std::uint64_t queue_sequence{0};

    [[nodiscard]] bool has_failed_on(std::string_view device) const;
    // Returns true when `device` ran any attempt of this task.
    [[nodiscard]] bool ran_on(std::string_view device) const;
};

// Tasks by id, with the per-state counts that EngineStats reports.
class TaskTable {
public:
    // Returns nullptr when the id is unknown.
    [[nodiscard]] Task* find(const std::string& task_id);
    [[nodiscard]] const Task* find(const std::string& task_id) const;

    // Inserts a new PENDING task. The id must not be present.
    Task& insert(Task task);

    // Moves a task to another state and keeps the counts current.
    void set_state(Task& task, TaskState state, std::string reason);

    // Removes a task that has ended; its state stays counted in finished_total().
    void erase(const std::string& task_id);

    // Returns the tasks in `state` now.
    [[nodiscard]] std::uint64_t count(TaskState state) const noexcept;
    // Returns the tasks that ever reached the final `state`, erased ones included.
    [[nodiscard]] std::uint64_t finished_total(TaskState state) const noexcept;
    [[nodiscard]] const std::unordered_map<std::string, Task>& all() const noexcept { return tasks_; }

private:
    std::unordered_map<std::string, Task> tasks_;
    std::uint64_t counts_[6]{};
    std::uint64_t finished_totals_[6]{};
};

}  // namespace aip::plugin
