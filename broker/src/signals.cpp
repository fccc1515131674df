#include "signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>

namespace aip::broker {

namespace {

int g_pipe[2] = {-1, -1};
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

void on_signal(int signal_number) {
    const int saved_errno = errno;
    const unsigned char byte = static_cast<unsigned char>(signal_number);
    // A full pipe already contains a pending stop, so losing this byte changes nothing.
    [[maybe_unused]] const auto written = write(g_pipe[1], &byte, 1);
    errno = saved_errno;
}

}  // namespace

StopSignals::StopSignals() {
    if (pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("cannot create the signal pipe: ") + std::strerror(errno));
    }

    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, &g_previous_int);
    sigaction(SIGTERM, &action, &g_previous_term);
}

StopSignals::~StopSignals() {
    sigaction(SIGINT, &g_previous_int, nullptr);
    sigaction(SIGTERM, &g_previous_term, nullptr);
    close(g_pipe[0]);
    close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
}

int StopSignals::fd() const noexcept {
    return g_pipe[0];
}

int StopSignals::take() noexcept {
    int received = 0;
    unsigned char byte = 0;
    while (read(g_pipe[0], &byte, 1) == 1) {
        received = byte;
    }
    return received;
}

}  // namespace aip::broker
