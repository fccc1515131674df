#include "aip/peer/waker.hpp"

#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace aip::peer {

Waker::Waker() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        throw std::system_error(errno, std::generic_category(), "cannot create wake-up pipe");
    }
    read_fd_ = fds[0];
    write_fd_ = fds[1];
}

Waker::~Waker() {
    ::close(read_fd_);
    ::close(write_fd_);
}

void Waker::wake() noexcept {
    // A full pipe (EAGAIN) already guarantees a pending wake-up, so the result is not checked.
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(write_fd_, &byte, 1);
}

void Waker::drain() noexcept {
    char buffer[64];
    while (::read(read_fd_, buffer, sizeof buffer) > 0) {
    }
}

int Waker::fd() const noexcept {
    return read_fd_;
}

}  // namespace aip::peer
