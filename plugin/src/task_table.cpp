#include "task_table.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace aip::plugin {

std::string_view to_string(TaskState state) noexcept {
    switch (state) {
        case TaskState::Pending: return "PENDING";
        case TaskState::Running: return "RUNNING";
        case TaskState::Completed: return "COMPLETED";
        case TaskState::Failed: return "FAILED";
        case TaskState::Cancelled: return "CANCELLED";
        case TaskState::TimedOut: return "TIMED_OUT";
    }
    return "UNKNOWN";
}

bool is_final(TaskState state) noexcept {
    return state != TaskState::Pending && state != TaskState::Running;
}

bool Task::has_failed_on(std::string_view device) const {
    return std::find(failed_on.begin(), failed_on.end(), device) != failed_on.end();
}

bool Task::ran_on(std::string_view device) const {
    return std::find(attempt_devices.begin(), attempt_devices.end(), device) !=
           attempt_devices.end();
}

Task* TaskTable::find(const std::string& task_id) {
    auto it = tasks_.find(task_id);
    return it == tasks_.end() ? nullptr : &it->second;
}

const Task* TaskTable::find(const std::string& task_id) const {
    auto it = tasks_.find(task_id);
    return it == tasks_.end() ? nullptr : &it->second;
}

Task& TaskTable::insert(Task task) {
    const auto state = task.state;
    auto [it, inserted] = tasks_.emplace(task.id, std::move(task));
    if (!inserted) {
        throw std::logic_error("task id already in the table: " + it->first);
    }
    ++counts_[static_cast<std::size_t>(state)];
    return it->second;
}

void TaskTable::set_state(Task& task, TaskState state, std::string reason) {
    --counts_[static_cast<std::size_t>(task.state)];
    ++counts_[static_cast<std::size_t>(state)];
    if (is_final(state) && !is_final(task.state)) {
        ++finished_totals_[static_cast<std::size_t>(state)];
    }
    task.state = state;
    task.reason = std::move(reason);
}

void TaskTable::erase(const std::string& task_id) {
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) {
        return;
    }
    --counts_[static_cast<std::size_t>(it->second.state)];
    tasks_.erase(it);
}

std::uint64_t TaskTable::count(TaskState state) const noexcept {
    return counts_[static_cast<std::size_t>(state)];
}

std::uint64_t TaskTable::finished_total(TaskState state) const noexcept {
    return finished_totals_[static_cast<std::size_t>(state)];
}

}  // namespace aip::plugin
