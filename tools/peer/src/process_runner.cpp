#include "aip/peer/process_runner.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace aip::peer {
namespace {

// Closes a descriptor on scope exit.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd = -1) noexcept : fd_(fd) {}
    ~FileDescriptor() { reset(); }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

struct Capture {
    int fd{-1};
    std::string* text{nullptr};
    bool* truncated{nullptr};
    bool open{true};
};

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// Reads what is available without blocking. Returns false at end of file.
bool read_available(Capture& capture, std::size_t max_bytes) {
    std::array<char, 4096> buffer{};
    while (true) {
        const auto count = ::read(capture.fd, buffer.data(), buffer.size());
        if (count > 0) {
            const auto room = max_bytes - std::min(max_bytes, capture.text->size());
            const auto kept = std::min(room, static_cast<std::size_t>(count));
            capture.text->append(buffer.data(), kept);
            if (kept < static_cast<std::size_t>(count)) {
                *capture.truncated = true;
            }
            continue;
        }
        if (count == 0) {
            return false;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd,
                             int error_fd, pid_t parent_pid) {
    // Die with the device: the kernel sends SIGKILL when the thread that forked exits, which
    // also covers a device killed with SIGKILL. A parent that died before this call is caught
    // by the getppid() check, because the child was then already reparented.
    // NOTE: only this process gets the signal; programs it starts in turn may outlive the device.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        const int error = errno;
        [[maybe_unused]] const auto written = ::write(error_fd, &error, sizeof error);
        ::_exit(127);
    }
    if (::getppid() != parent_pid) {
        ::_exit(127);
    }
    ::setpgid(0, 0);

    // The parent may ignore or block signals; the program starts with the defaults.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);

    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        ::dup2(null_fd, STDIN_FILENO);
    }
    ::dup2(stdout_fd, STDOUT_FILENO);
    ::dup2(stderr_fd, STDERR_FILENO);

    std::vector<char*> pointers;
    pointers.reserve(argv.size() + 1);
    for (const auto& argument : argv) {
        pointers.push_back(const_cast<char*>(argument.c_str()));
    }
    pointers.push_back(nullptr);
    ::execvp(pointers[0], pointers.data());

    // Only reached when exec failed: report errno through the close-on-exec pipe.
    const int error = errno;
    [[maybe_unused]] const auto written = ::write(error_fd, &error, sizeof error);
    ::_exit(127);
}

void record_status(int status, ProcessOutcome& outcome) {
    if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        outcome.signal = WTERMSIG(status);
    }
}

}  // namespace

ProcessOutcome run_process(const std::vector<std::string>& argv,
                           const CancellationToken& cancellation, const ProcessLimits& limits) {
    ProcessOutcome outcome;
    if (argv.empty()) {
        outcome.error = "argv is empty";
        return outcome;
    }

    int out_pipe[2];
    int err_pipe[2];
    int exec_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        outcome.error = errno_text("pipe for standard output failed");
        return outcome;
    }
    FileDescriptor out_read(out_pipe[0]);
    FileDescriptor out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        outcome.error = errno_text("pipe for standard error failed");
        return outcome;
    }
    FileDescriptor err_read(err_pipe[0]);
    FileDescriptor err_write(err_pipe[1]);
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        outcome.error = errno_text("pipe for exec status failed");
        return outcome;
    }
    FileDescriptor exec_read(exec_pipe[0]);
    FileDescriptor exec_write(exec_pipe[1]);

    // PR_SET_PDEATHSIG fires when the forking THREAD exits, not the process. This function
    // blocks until the child is reaped, so the calling thread outlives the child it forked.
    const pid_t parent_pid = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        outcome.error = errno_text("fork failed");
        return outcome;
    }
    if (pid == 0) {
        exec_child(argv, out_write.get(), err_write.get(), exec_write.get(), parent_pid);
    }

    // Set the group from both sides so that a kill right after fork cannot miss the child.
    ::setpgid(pid, pid);
    out_write.reset();
    err_write.reset();
    exec_write.reset();

    // The exec pipe closes on a successful exec, or carries errno when exec failed.
    int exec_errno = 0;
    ssize_t exec_bytes;
    do {
        exec_bytes = ::read(exec_read.get(), &exec_errno, sizeof exec_errno);
    } while (exec_bytes < 0 && errno == EINTR);
    if (exec_bytes == sizeof exec_errno) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        outcome.error = "cannot execute '" + argv[0] + "': " + std::strerror(exec_errno);
        return outcome;
    }
    outcome.started = true;

    // Debian 12's <sys/pidfd.h> declares pidfd_open without C linkage, so use the system call.
    FileDescriptor process_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    std::array<Capture, 2> captures{
        Capture{out_read.get(), &outcome.stdout_text, &outcome.stdout_truncated},
        Capture{err_read.get(), &outcome.stderr_text, &outcome.stderr_truncated},
    };
    for (auto& capture : captures) {
        ::fcntl(capture.fd, F_SETFL, O_NONBLOCK);
    }

    // NOTE: without a pidfd (kernels before 5.3) the loop wakes every 50 ms to check for exit.
    const int poll_timeout_ms = process_fd.get() >= 0 ? -1 : 50;
    bool exited = false;
    bool terminating = false;
    std::chrono::steady_clock::time_point kill_at{};
    int status = 0;

    while (!exited) {
        std::array<pollfd, 4> fds{};
        nfds_t count = 0;
        std::array<Capture*, 2> polled{};
        for (auto& capture : captures) {
            if (capture.open) {
                polled[count] = &capture;
                fds[count++] = pollfd{capture.fd, POLLIN, 0};
            }
        }
        const nfds_t first_extra = count;
        if (!terminating) {
            fds[count++] = pollfd{cancellation.fd(), POLLIN, 0};
        }
        if (process_fd.get() >= 0) {
            fds[count++] = pollfd{process_fd.get(), POLLIN, 0};
        }

        int timeout_ms = poll_timeout_ms;
        if (terminating) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                kill_at - std::chrono::steady_clock::now());
            timeout_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
            if (poll_timeout_ms >= 0) {
                timeout_ms = std::min(timeout_ms, poll_timeout_ms);
            }
        }
        const int ready = ::poll(fds.data(), count, timeout_ms);
        if (ready < 0 && errno != EINTR) {
            break;
        }

        for (nfds_t i = 0; i < first_extra; ++i) {
            if (fds[i].revents != 0 && !read_available(*polled[i], limits.max_output_bytes)) {
                polled[i]->open = false;
            }
        }

        if (!terminating && cancellation.cancelled()) {
            outcome.cancelled = true;
            terminating = true;
            kill_at = std::chrono::steady_clock::now() + limits.kill_grace;
            ::kill(-pid, SIGTERM);
        } else if (terminating && std::chrono::steady_clock::now() >= kill_at) {
            ::kill(-pid, SIGKILL);
            kill_at = std::chrono::steady_clock::time_point::max();
        }

        const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
        if (reaped == pid) {
            exited = true;
        }
    }

    if (!exited) {
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    record_status(status, outcome);

    // Collect what the program wrote before it exited, then stop any process it left behind
    // (which may still hold the pipes open).
    for (auto& capture : captures) {
        if (capture.open) {
            read_available(capture, limits.max_output_bytes);
        }
    }
    ::kill(-pid, SIGKILL);
    return outcome;
}

}  // namespace aip::peer
