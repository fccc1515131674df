// The input of one task attempt given to a device handler, and the outcome it returns.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "aip/peer/cancellation.hpp"
#include "aip/plugin/time.hpp"

namespace aip::peer {

struct TaskRequest {
    std::string task_id;
    std::uint32_t attempt{1};
    plugin::Duration timeout{0};  // from ASSIGN; the broker aborts the attempt when it passes
    std::string payload;          // the task input, MessagePack as sent by the client
};

struct TaskOutcome {
    bool ok{true};
    std::string error;                   // set when ok is false
    std::optional<std::string> payload;  // the task output, sent as the RESULT payload frame
};

// Runs one attempt on a worker thread. It should return soon after the token is cancelled, since
// the device waits for running handlers when it stops. An exception becomes a failed outcome.
using TaskHandler = std::function<TaskOutcome(const TaskRequest&, const CancellationToken&)>;

}  // namespace aip::peer
