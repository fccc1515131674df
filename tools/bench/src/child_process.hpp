// ChildProcess: a program started by the benchmark and killed with SIGKILL when the handle dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aip::bench {

class ChildProcess {
public:
    // Starts `program` with `arguments`. Its stdout is a pipe read by wait_for_line(); its stderr
    // goes to `stderr_path`. Throws std::runtime_error when the fork or the pipe fails.
    ChildProcess(const std::string& program, const std::vector<std::string>& arguments,
                 const std::string& stderr_path = "/dev/null");
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Returns the rest of the first stdout line that contains `marker`, after the marker, or
    // nullopt when the timeout passes or the process closes its stdout first.
    [[nodiscard]] std::optional<std::string> wait_for_line(std::string_view marker,
                                                           std::chrono::milliseconds timeout);

    // Sends SIGKILL and reaps the process; does nothing when it has already been reaped.
    void kill_now() noexcept;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_{-1};
    int stdout_fd_{-1};
    std::string buffer_;
};

// Starts a program that prints "<marker><endpoint>" on stdout once bound, and returns the endpoint.
// Throws std::runtime_error naming the program when no such line arrives within `timeout`.
[[nodiscard]] std::string wait_for_endpoint(ChildProcess& process, std::string_view program,
                                            std::string_view marker,
                                            std::chrono::milliseconds timeout);

}  // namespace aip::bench
