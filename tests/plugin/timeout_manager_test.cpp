#include "aip/plugin/timeout_manager.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart{std::chrono::hours(1)};

TEST(TimeoutManager, DefaultTimeouts) {
    EXPECT_EQ(default_timeout(OperationKind::Registration), 5s);
    EXPECT_EQ(default_timeout(OperationKind::TaskDispatch), 5s);
    EXPECT_EQ(default_timeout(OperationKind::CommandExecution), 10min);
    EXPECT_EQ(default_timeout(OperationKind::Heartbeat), 1s);
    EXPECT_EQ(default_timeout(OperationKind::Disconnection), 2s);
    EXPECT_EQ(default_timeout(OperationKind::DeviceInfoQuery), 5s);
}

TEST(TimeoutManager, ExpiresAtDefaultDeadline) {
    TimeoutManager manager;
    const auto id = manager.start(OperationKind::Registration, "registration of d-1", kStart);
    EXPECT_EQ(manager.next_deadline(), kStart + 5s);
    EXPECT_TRUE(manager.poll(kStart + 5s - 1ms).empty());

    const auto expired = manager.poll(kStart + 5s);
    ASSERT_EQ(expired.size(), 1U);
    EXPECT_EQ(expired[0].id, id);
    EXPECT_EQ(expired[0].kind, OperationKind::Registration);
    EXPECT_EQ(expired[0].name, "registration of d-1");
    EXPECT_EQ(expired[0].timeout, 5s);
    EXPECT_EQ(manager.size(), 0U);
}

TEST(TimeoutManager, OverrideReplacesDefault) {
    TimeoutManager manager;
    (void)manager.start(OperationKind::CommandExecution, "task t-1", kStart, 30s);
    EXPECT_EQ(manager.next_deadline(), kStart + 30s);
    EXPECT_EQ(manager.poll(kStart + 30s).size(), 1U);
}

TEST(TimeoutManager, FinishBeforeExpiry) {
    TimeoutManager manager;
    const auto id = manager.start(OperationKind::TaskDispatch, "dispatch", kStart);
    EXPECT_TRUE(manager.finish(id));
    EXPECT_TRUE(manager.poll(kStart + 1h).empty());
    EXPECT_FALSE(manager.next_deadline().has_value());
}

TEST(TimeoutManager, FinishAfterExpiryReturnsFalse) {
    TimeoutManager manager;
    const auto id = manager.start(OperationKind::TaskDispatch, "dispatch", kStart);
    (void)manager.poll(kStart + 5s);
    EXPECT_FALSE(manager.finish(id));
}

TEST(TimeoutManager, FinishUnknownReturnsFalse) {
    TimeoutManager manager;
    EXPECT_FALSE(manager.finish(12345));
}

TEST(TimeoutManager, ExpiresInDeadlineOrder) {
    TimeoutManager manager;
    const auto slow = manager.start(OperationKind::DeviceInfoQuery, "slow", kStart, 3s);
    const auto fast = manager.start(OperationKind::DeviceInfoQuery, "fast", kStart, 1s);
    const auto tie = manager.start(OperationKind::DeviceInfoQuery, "tie", kStart, 3s);

    const auto expired = manager.poll(kStart + 10s);
    ASSERT_EQ(expired.size(), 3U);
    EXPECT_EQ(expired[0].id, fast);
    EXPECT_EQ(expired[1].id, slow);
    EXPECT_EQ(expired[2].id, tie);
}

TEST(TimeoutManager, ExpiredIsReportedOnce) {
    TimeoutManager manager;
    (void)manager.start(OperationKind::Disconnection, "bye", kStart);
    EXPECT_EQ(manager.poll(kStart + 2s).size(), 1U);
    EXPECT_TRUE(manager.poll(kStart + 3s).empty());
}

TEST(TimeoutManager, RejectsNonPositiveTimeout) {
    TimeoutManager manager;
    EXPECT_THROW((void)manager.start(OperationKind::Heartbeat, "hb", kStart, 0ms),
                 std::invalid_argument);
    EXPECT_THROW((void)manager.start(OperationKind::Heartbeat, "hb", kStart, -1s),
                 std::invalid_argument);
    EXPECT_EQ(manager.size(), 0U);
}

TEST(TimeoutManager, HugeTimeoutSaturates) {
    TimeoutManager manager;
    (void)manager.start(OperationKind::CommandExecution, "forever", kStart, Duration::max());
    EXPECT_EQ(manager.next_deadline(), TimePoint::max());
    EXPECT_TRUE(manager.poll(kStart + 24h).empty());
}

TEST(TimeoutManager, MessageNamesOperationAndDuration) {
    const TimeoutManager::Expired expired{1, OperationKind::Registration, "registration", 5s};
    EXPECT_EQ(timeout_message(expired), "operation 'registration' timed out after 5s");
}

TEST(TimeoutManager, KindNamesAreDistinct) {
    EXPECT_EQ(to_string(OperationKind::TaskDispatch), "task_dispatch");
    EXPECT_EQ(to_string(OperationKind::DeviceInfoQuery), "device_info_query");
}

}  // namespace
}  // namespace aip::plugin
