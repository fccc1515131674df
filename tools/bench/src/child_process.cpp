#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace aip::bench {

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& arguments,
                           const std::string& stderr_path) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
    }

    // The argument vector is built before fork so that the child only calls async-signal-safe
    // functions.
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& argument : arguments) {
        argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);

    pid_ = fork();
    if (pid_ < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        const int error_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (error_fd >= 0) {
            dup2(error_fd, STDERR_FILENO);
        }
        close(pipe_fds[0]);
        execv(program.c_str(), argv.data());
        _exit(127);
    }

    close(pipe_fds[1]);
    stdout_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
    kill_now();
    if (stdout_fd_ >= 0) {
        close(stdout_fd_);
    }
}

void ChildProcess::kill_now() noexcept {
    if (pid_ <= 0) {
        return;
    }
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

std::optional<std::string> ChildProcess::wait_for_line(std::string_view marker,
                                                       std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        // Consume complete lines already buffered.
        for (auto end = buffer_.find('\n'); end != std::string::npos; end = buffer_.find('\n')) {
            const std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 1);
            const auto position = line.find(marker);
            if (position != std::string::npos) {
                return line.substr(position + marker.size());
            }
        }

        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (remaining.count() <= 0 || stdout_fd_ < 0) {
            return std::nullopt;
        }
        pollfd item{stdout_fd_, POLLIN, 0};
        const int ready = poll(&item, 1, static_cast<int>(remaining.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return std::nullopt;
        }
        char chunk[4096];
        const ssize_t count = read(stdout_fd_, chunk, sizeof chunk);
        if (count <= 0) {
            return std::nullopt;
        }
        buffer_.append(chunk, static_cast<std::size_t>(count));
    }
}

std::string wait_for_endpoint(ChildProcess& process, std::string_view program,
                              std::string_view marker, std::chrono::milliseconds timeout) {
    auto endpoint = process.wait_for_line(marker, timeout);
    if (!endpoint) {
        throw std::runtime_error(std::string(program) + " did not print '" + std::string(marker) +
                                 "ENDPOINT' within " + std::to_string(timeout.count()) + " ms");
    }
    return *endpoint;
}

}  // namespace aip::bench
