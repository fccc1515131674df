#include "scheduler.hpp"

#include <tuple>

namespace aip::plugin {

namespace {

std::string device_key(const std::string& device_id) { return "device:" + device_id; }
std::string capability_key(const std::string& capability) { return "capability:" + capability; }

std::string target_key(const Task& task) {
    return task.target_device ? device_key(*task.target_device)
                              : capability_key(*task.target_capability);
}

bool is_candidate(const Device& device) {
    return device.state == PeerState::Connected && device.free_slots() > 0;
}

// Orders candidates: lower is better.
auto rank(const Task& task, const Device& device) {
    return std::make_tuple(task.has_failed_on(device.id), device.tasks.size(), device.idle_since,
                           std::string_view{device.id});
}

}  // namespace

void Scheduler::enqueue(Task& task) {
    task.queue_sequence = next_sequence_++;
    queues_[target_key(task)].emplace_back(task.queue_sequence, task.id);
}

Task* Scheduler::front_for_target(const Task& task, TaskTable& tasks) {
    return live_front(target_key(task), tasks);
}

Task* Scheduler::oldest_for_device(const Device& device, TaskTable& tasks) {
    Task* oldest = live_front(device_key(device.id), tasks);
    for (const auto& capability : device.capabilities) {
        Task* candidate = live_front(capability_key(capability), tasks);
        if (candidate != nullptr &&
            (oldest == nullptr || candidate->queue_sequence < oldest->queue_sequence)) {
            oldest = candidate;
        }
    }
    return oldest;
}

std::vector<std::string> Scheduler::take_queued_for_device(const std::string& device_id,
                                                           TaskTable& tasks) {
    std::vector<std::string> ids;
    auto it = queues_.find(device_key(device_id));
    if (it == queues_.end()) {
        return ids;
    }
    for (const auto& [sequence, task_id] : it->second) {
        Task* task = tasks.find(task_id);
        if (task != nullptr && task->queue_sequence == sequence) {
            task->queue_sequence = 0;
            ids.push_back(task_id);
        }
    }
    queues_.erase(it);
    return ids;
}

void Scheduler::pop(Task& task) {
    auto it = queues_.find(target_key(task));
    if (it != queues_.end() && !it->second.empty() &&
        it->second.front().first == task.queue_sequence) {
        it->second.pop_front();
        if (it->second.empty()) {
            queues_.erase(it);
        }
    }
    task.queue_sequence = 0;
}

Device* Scheduler::choose_device(const Task& task, DeviceRegistry& devices) {
    if (task.target_device) {
        Device* device = devices.find(*task.target_device);
        return device != nullptr && is_candidate(*device) ? device : nullptr;
    }

    const auto* ids = devices.with_capability(*task.target_capability);
    if (ids == nullptr) {
        return nullptr;
    }
    Device* best = nullptr;
    for (const auto& id : *ids) {
        Device* device = devices.find(id);
        if (device == nullptr || !is_candidate(*device)) {
            continue;
        }
        if (best == nullptr || rank(task, *device) < rank(task, *best)) {
            best = device;
        }
    }
    return best;
}

std::size_t Scheduler::entries() const noexcept {
    std::size_t total = 0;
    for (const auto& [key, queue] : queues_) {
        total += queue.size();
    }
    return total;
}

Task* Scheduler::live_front(const std::string& key, TaskTable& tasks) {
    auto it = queues_.find(key);
    if (it == queues_.end()) {
        return nullptr;
    }

    auto& queue = it->second;
    while (!queue.empty()) {
        const auto& [sequence, task_id] = queue.front();
        Task* task = tasks.find(task_id);
        if (task != nullptr && task->queue_sequence == sequence) {
            return task;
        }
        queue.pop_front();
    }
    queues_.erase(it);
    return nullptr;
}

}  // namespace aip::plugin
