#include "aip/peer/cancellation.hpp"

#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace aip::peer {

CancellationToken::CancellationToken() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        throw std::system_error(errno, std::generic_category(), "cannot create cancellation pipe");
    }
    read_fd_ = fds[0];
    write_fd_ = fds[1];
}

CancellationToken::~CancellationToken() {
    ::close(read_fd_);
    ::close(write_fd_);
}

void CancellationToken::cancel() noexcept {
    {
        std::lock_guard lock(mutex_);
        if (cancelled_.exchange(true)) {
            return;
        }
    }
    changed_.notify_all();

    // The byte is never read, so the descriptor stays readable from now on.
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(write_fd_, &byte, 1);
}

bool CancellationToken::cancelled() const noexcept {
    return cancelled_.load();
}

bool CancellationToken::wait_for(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return cancelled_.load(); });
}

int CancellationToken::fd() const noexcept {
    return read_fd_;
}

}  // namespace aip::peer
