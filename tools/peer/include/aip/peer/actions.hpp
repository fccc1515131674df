// The built-in actions of aip-device, chosen by the "action" key of the task payload.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "aip/peer/process_runner.hpp"
#include "aip/peer/task.hpp"

namespace aip::peer {

// {"action":"sleep","ms":N}: waits N milliseconds, interruptible by cancellation.
struct SleepAction {
    std::chrono::milliseconds duration{0};
};

// {"action":"echo","data":ANY}: returns data.
struct EchoAction {
    nlohmann::json data;
};

// {"action":"fail","message":S}: a failed result with error S.
struct FailAction {
    std::string message;
};

// {"action":"exec","argv":[S, ...]}: runs a program; only when the device allows it.
struct ExecAction {
    std::vector<std::string> argv;
};

using Action = std::variant<SleepAction, EchoAction, FailAction, ExecAction>;

// Parses a MessagePack task payload. Returns the action, or an error message naming the missing
// or invalid key.
[[nodiscard]] std::variant<Action, std::string> parse_action(std::string_view payload);

struct ActionSettings {
    bool allow_exec{false};
    ProcessLimits process_limits;
};

// Runs an action. Outputs are MessagePack maps: sleep {"slept_ms"}, echo the data itself, exec
// {"exit_code" or "signal", "stdout", "stderr", "stdout_truncated", "stderr_truncated"}. An exec
// whose program exits with a non-zero status or a signal is a failed outcome that still carries
// the output.
[[nodiscard]] TaskOutcome run_action(const Action& action, const CancellationToken& cancellation,
                                     const ActionSettings& settings);

// Returns a TaskHandler that parses the payload and runs the built-in action. An unparsable
// payload or an unknown action becomes a failed outcome naming the problem.
[[nodiscard]] TaskHandler make_builtin_handler(ActionSettings settings);

}  // namespace aip::peer
