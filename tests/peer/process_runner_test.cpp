#include "aip/peer/process_runner.hpp"

#include <fstream>
#include <future>
#include <signal.h>
#include <string>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

namespace aip::peer {
namespace {

// kill(pid, 0) also succeeds for a zombie, so liveness is read from /proc instead.
bool process_alive(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return false;
    }
    const auto state = line.find(") ");
    return state != std::string::npos && line.at(state + 2) != 'Z';
}

TEST(ProcessRunner, CapturesOutputAndExitCode) {
    CancellationToken token;
    const auto outcome = run_process({"sh", "-c", "echo out; echo err >&2; exit 7"}, token);
    ASSERT_TRUE(outcome.started) << outcome.error;
    EXPECT_EQ(outcome.exit_code, 7);
    EXPECT_EQ(outcome.stdout_text, "out\n");
    EXPECT_EQ(outcome.stderr_text, "err\n");
}

TEST(ProcessRunner, BoundsCapturedOutput) {
    CancellationToken token;
    ProcessLimits limits;
    limits.max_output_bytes = 1000;
    const auto outcome = run_process({"sh", "-c", "head -c 200000 /dev/zero"}, token, limits);
    ASSERT_TRUE(outcome.started) << outcome.error;
    EXPECT_EQ(outcome.exit_code, 0);
    EXPECT_EQ(outcome.stdout_text.size(), 1000U);
    EXPECT_TRUE(outcome.stdout_truncated);
    EXPECT_FALSE(outcome.stderr_truncated);
}

TEST(ProcessRunner, MissingProgramIsNotStarted) {
    CancellationToken token;
    const auto outcome = run_process({"aip-no-such-program-for-tests"}, token);
    EXPECT_FALSE(outcome.started);
    EXPECT_NE(outcome.error.find("aip-no-such-program-for-tests"), std::string::npos);
}

// Returns true when `pid` is gone or a zombie within `timeout`: a signalled process needs a
// moment to die after its parent has been reaped.
bool process_ends_within(int pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (process_alive(pid)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

TEST(ProcessRunner, CancelKillsProcessGroupAndReaps) {
    CancellationToken token;
    // The shell starts a second sleep in the background so that the whole group must be killed.
    // The sleep length is unique to this process, so that parallel test runs find only their own.
    const std::string foreground = "sleep 38." + std::to_string(::getpid());
    auto running = std::async(std::launch::async, [&token, &foreground] {
        return run_process({"sh", "-c", "sleep 37 & echo $!; " + foreground}, token);
    });

    // Wait until the program runs, bounded by a deadline rather than a fixed sleep.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    const std::string probe = "pgrep -f '^" + foreground + "$' > /dev/null";
    while (std::chrono::steady_clock::now() < deadline &&
           running.wait_for(std::chrono::milliseconds(20)) == std::future_status::timeout &&
           ::system(probe.c_str()) != 0) {
    }
    const auto cancelled_at = std::chrono::steady_clock::now();
    token.cancel();

    ASSERT_EQ(running.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const auto outcome = running.get();
    EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, std::chrono::seconds(5));
    EXPECT_TRUE(outcome.cancelled);
    EXPECT_EQ(outcome.signal, SIGTERM);

    const auto background_pid = std::stoi(outcome.stdout_text);
    EXPECT_TRUE(process_ends_within(background_pid, std::chrono::milliseconds(2000)))
        << "background sleep " << background_pid << " still runs";
}

}  // namespace
}  // namespace aip::peer
