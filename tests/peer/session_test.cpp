// Session timing against a port where nothing listens: the attempt count and the delays that
// the reconnect policy implies, measured on the real clock with deadlines.
#include "aip/peer/session.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace aip::peer {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Returns a loopback TCP port that was free a moment ago, so nothing listens on it.
int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

SessionOptions options_for(int port, plugin::ReconnectionPolicy policy) {
    SessionOptions options;
    options.endpoint = "tcp://127.0.0.1:" + std::to_string(port);
    options.role = proto::Role::Device;
    options.peer_id = "session-test-device";
    options.reconnection = policy;
    options.register_timeout = milliseconds(100);
    options.random_seed = 1;
    return options;
}

struct Run {
    std::vector<Clock::time_point> attempt_times;
    std::string gave_up;
    Clock::duration elapsed{};
};

// Runs a session until it gives up or the deadline passes.
Run run_until_gave_up(SessionOptions options, Clock::duration limit) {
    zmq::context_t context;
    Run run;
    SessionCallbacks callbacks;
    callbacks.on_gave_up = [&](const std::string& description) { run.gave_up = description; };
    Session session(context, std::move(options), callbacks);

    const auto started = Clock::now();
    const auto deadline = started + limit;
    std::uint32_t seen_attempts = 0;
    session.start();
    while (Clock::now() < deadline) {
        if (session.state() == SessionState::Registering && session.attempts() != seen_attempts) {
            seen_attempts = session.attempts();
            run.attempt_times.push_back(Clock::now());
        }
        if (!session.poll_once(deadline)) {
            break;
        }
    }
    run.elapsed = Clock::now() - started;
    return run;
}

TEST(Session, NonePolicyGivesUpAfterFirstAttempt) {
    plugin::ReconnectionPolicy policy;
    policy.policy = plugin::BackoffPolicy::None;
    const auto run = run_until_gave_up(options_for(unused_port(), policy), std::chrono::seconds(5));

    EXPECT_EQ(run.attempt_times.size(), 1U);
    EXPECT_NE(run.gave_up.find("policy none"), std::string::npos) << run.gave_up;
    EXPECT_NE(run.gave_up.find("failed 1 time"), std::string::npos) << run.gave_up;
}

TEST(Session, ExponentialRetriesWithGrowingDelays) {
    plugin::ReconnectionPolicy policy;
    policy.policy = plugin::BackoffPolicy::Exponential;
    policy.max_retries = 3;
    policy.initial_backoff = milliseconds(50);
    policy.max_backoff = milliseconds(1000);
    policy.multiplier = 2.0;
    policy.jitter = plugin::Jitter::None;
    const auto run = run_until_gave_up(options_for(unused_port(), policy), std::chrono::seconds(10));

    ASSERT_EQ(run.attempt_times.size(), 4U);
    EXPECT_NE(run.gave_up.find("policy exponential"), std::string::npos) << run.gave_up;
    EXPECT_NE(run.gave_up.find("3 retries"), std::string::npos) << run.gave_up;

    // Each gap is the register timeout (100 ms) plus the backoff delay 50, 100, 200 ms.
    const std::vector<milliseconds> expected{milliseconds(150), milliseconds(200), milliseconds(300)};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto gap = std::chrono::duration_cast<milliseconds>(run.attempt_times[i + 1] -
                                                                  run.attempt_times[i]);
        EXPECT_GE(gap, expected[i] - milliseconds(5)) << "gap " << i;
        EXPECT_LT(gap, expected[i] + milliseconds(150)) << "gap " << i;
    }

    // Total: 4 register timeouts and 350 ms of backoff, with no busy waiting beyond it.
    EXPECT_GE(run.elapsed, milliseconds(745));
    EXPECT_LT(run.elapsed, milliseconds(2000));
}

TEST(Session, InvalidPeerIdIsRejected) {
    zmq::context_t context;
    auto options = options_for(unused_port(), {});
    options.peer_id = "has space";
    EXPECT_THROW(Session(context, options, {}), std::invalid_argument);
}

}  // namespace
}  // namespace aip::peer
