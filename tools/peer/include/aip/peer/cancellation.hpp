// Cooperative cancellation of one task attempt, shared by the socket thread and a worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace aip::peer {

// Set once by cancel() and never cleared. Every member is safe to call from any thread.
class CancellationToken {
public:
    // Throws std::system_error when the notification pipe cannot be created.
    CancellationToken();
    ~CancellationToken();
    CancellationToken(const CancellationToken&) = delete;
    CancellationToken& operator=(const CancellationToken&) = delete;

    void cancel() noexcept;
    [[nodiscard]] bool cancelled() const noexcept;

    // Blocks until cancelled or until `timeout` has passed. Returns true when cancelled.
    [[nodiscard]] bool wait_for(std::chrono::milliseconds timeout) const;

    // A file descriptor that becomes readable once cancelled, for poll(2) loops. Owned by the
    // token: the caller must not read from or close it.
    [[nodiscard]] int fd() const noexcept;

private:
    std::atomic<bool> cancelled_{false};
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    int read_fd_{-1};
    int write_fd_{-1};
};

}  // namespace aip::peer
