// SIGINT/SIGTERM delivered as a readable file descriptor, so that the poll loop can wait on it.
#pragma once

namespace aip::broker {

// Installs handlers for SIGINT and SIGTERM that write to a self-pipe; restores the previous
// handlers and closes the pipe on destruction. One instance per process.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // File descriptor that becomes readable when a stop signal arrived.
    [[nodiscard]] int fd() const noexcept;
    // Returns the signal number received, or 0; drains the pipe.
    [[nodiscard]] int take() noexcept;
};

}  // namespace aip::broker
