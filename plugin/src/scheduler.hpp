// Pending-task queues and the choice of a device for a task.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "device_registry.hpp"
#include "task_table.hpp"

namespace aip::plugin {

// Keeps one FIFO queue per target (a device id or a capability), so that a freed slot looks only
// at the queues its device can serve instead of rescanning every pending task. Entries of tasks
// that left the queue (cancelled, timed out) are skipped lazily: an entry is live only while the
// task's queue_sequence still equals the entry's sequence number.
class Scheduler {
public:
    // Appends a PENDING task to the queue of its target.
    void enqueue(Task& task);

    // Marks a task as no longer queued; its entry is discarded when it reaches the front.
    static void dequeue(Task& task) noexcept { task.queue_sequence = 0; }

    // Returns the oldest live task queued for the task's target, or nullptr.
    [[nodiscard]] Task* front_for_target(const Task& task, TaskTable& tasks);

    // Returns the oldest live task that `device` could run, across the queue of its id and
    // those of its capabilities, or nullptr.
    [[nodiscard]] Task* oldest_for_device(const Device& device, TaskTable& tasks);

    // Removes and returns the ids of the live tasks queued for a device id.
    [[nodiscard]] std::vector<std::string> take_queued_for_device(const std::string& device_id,
                                                                  TaskTable& tasks);

    // Removes a task returned by front_for_target or oldest_for_device from its queue.
    void pop(Task& task);

    // Returns the CONNECTED device with a free slot that matches the task's target and has the
    // fewest tasks, preferring devices the task has not failed on, then the longest idle, then
    // the smallest id. Returns nullptr when no device qualifies.
    [[nodiscard]] static Device* choose_device(const Task& task, DeviceRegistry& devices);

    // Returns the number of queue entries, live or stale.
    [[nodiscard]] std::size_t entries() const noexcept;

private:
    using Entry = std::pair<std::uint64_t, std::string>;  // sequence number, task id

    [[nodiscard]] Task* live_front(const std::string& key, TaskTable& tasks);

    std::unordered_map<std::string, std::deque<Entry>> queues_;
    std::uint64_t next_sequence_{1};
};

}  // namespace aip::plugin
