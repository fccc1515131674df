// Runs a program as a task: own process group, bounded output capture, killed on cancellation.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "aip/peer/cancellation.hpp"

namespace aip::peer {

inline constexpr std::size_t kDefaultMaxOutputBytes = 64 * 1024;

struct ProcessOutcome {
    bool started{false};          // false when fork or exec failed, with the cause in `error`
    std::optional<int> exit_code; // set when the program exited normally
    std::optional<int> signal;    // set when a signal ended it
    bool cancelled{false};        // the token was cancelled and the process group was killed
    std::string stdout_text;      // the first max_output_bytes bytes of standard output
    std::string stderr_text;      // the first max_output_bytes bytes of standard error
    bool stdout_truncated{false};
    bool stderr_truncated{false};
    std::string error;
};

struct ProcessLimits {
    std::size_t max_output_bytes{kDefaultMaxOutputBytes};  // per stream; the rest is read and dropped
    std::chrono::milliseconds kill_grace{1000};  // SIGTERM to SIGKILL on cancellation
};

// Runs argv[0] (looked up in PATH) with argv, standard input from /dev/null, in a new process
// group. On cancellation the group gets SIGTERM, then SIGKILL after kill_grace. When the program
// exits, any process it left in its group is killed with SIGKILL. The child is always reaped
// before this returns. Blocks the calling thread; never busy-waits. The program gets SIGKILL
// when the calling thread exits, so a device killed with SIGKILL leaves no program running.
[[nodiscard]] ProcessOutcome run_process(const std::vector<std::string>& argv,
                                         const CancellationToken& cancellation,
                                         const ProcessLimits& limits = {});

}  // namespace aip::peer
