// Wakes a zmq::poll loop from another thread or from a signal handler.
#pragma once

namespace aip::peer {

// A non-blocking pipe whose read end sits in the poll set of the socket thread.
class Waker {
public:
    // Throws std::system_error when the pipe cannot be created.
    Waker();
    ~Waker();
    Waker(const Waker&) = delete;
    Waker& operator=(const Waker&) = delete;

    // Makes fd() readable. Async-signal-safe and callable from any thread; wake-ups that arrive
    // before the next drain() collapse into one.
    void wake() noexcept;

    // Empties the pipe; called by the polling thread after fd() was readable.
    void drain() noexcept;

    [[nodiscard]] int fd() const noexcept;

private:
    int read_fd_{-1};
    int write_fd_{-1};
};

}  // namespace aip::peer
