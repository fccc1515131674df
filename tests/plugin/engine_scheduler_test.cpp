// Scheduling: load, slots, FIFO order, disconnected devices, failed-on preference, queries.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

TEST(EngineScheduler, PicksLeastLoadedDevice) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1", {"gpu"}, 4);
    h.register_device("r-d2", "d2", {"gpu"}, 4);

    for (int i = 0; i < 4; ++i) {
        h.submit("r-c", "t" + std::to_string(i));
    }

    EXPECT_EQ(h.device("d1")->running, 2u);
    EXPECT_EQ(h.device("d2")->running, 2u);
}

TEST(EngineScheduler, TieGoesToLongestIdle) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d2", "d2");
    h.advance(100ms, {"r-c", "r-d2"});
    h.register_device("r-d1", "d1");

    h.submit("r-c", "t1");

    EXPECT_EQ(h.task("t1")->device_id, "d2");
}

TEST(EngineScheduler, RespectsSlotsAndServesFifo) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1", {"gpu"}, 2);
    for (int i = 1; i <= 4; ++i) {
        h.submit("r-c", "t" + std::to_string(i));
    }
    EXPECT_EQ(h.device("d1")->running, 2u);
    EXPECT_EQ(h.task("t3")->attempts, 0u);

    h.send("r-d1", proto::Result{.task_id = "t1", .attempt = 1, .ok = true, .error = {},
                                 .payload = std::nullopt});

    EXPECT_EQ(h.task("t3")->device_id, "d1");
    EXPECT_EQ(h.task("t4")->attempts, 0u);
    EXPECT_EQ(h.device("d1")->running, 2u);
}

TEST(EngineScheduler, NeverPicksDisconnectedDevice) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.send("r-d1", proto::Disconnect{"bye"});

    h.submit("r-c", "t1");

    EXPECT_EQ(h.task("t1")->attempts, 0u);
    EXPECT_TRUE(h.all_of<proto::Assign>("r-d1").empty());
}

TEST(EngineScheduler, MatchesCapability) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1", {"cpu"});
    h.register_device("r-d2", "d2", {"cpu", "gpu"});

    h.submit("r-c", "t1", "gpu");

    EXPECT_EQ(h.task("t1")->device_id, "d2");
}

TEST(EngineScheduler, TargetsDeviceById) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.register_device("r-d2", "d2");

    h.submit_to_device("r-c", "t1", "d2");

    EXPECT_EQ(h.task("t1")->device_id, "d2");
}

TEST(EngineScheduler, RetryPrefersDeviceNotFailedOn) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1", {"gpu"}, 2);
    h.register_device("r-d2", "d2", {"gpu"}, 2);
    h.submit("r-c", "busy");  // goes to d1: both idle, d1 wins on id
    h.submit("r-c", "t1", "gpu", /*max_attempts=*/2);  // d2: fewer tasks
    ASSERT_EQ(h.task("t1")->device_id, "d2");
    h.send("r-d1", proto::Started{"busy", 1});
    h.send("r-d2", proto::Started{"t1", 1});

    // d2 leaves and comes back idle: less loaded than d1, but t1 failed there.
    h.send("r-d2", proto::Disconnect{"restart"});
    h.register_device("r-d2b", "d2", {"gpu"}, 2);

    EXPECT_EQ(h.task("t1")->device_id, "d1");
    EXPECT_EQ(h.task("t1")->attempts, 2u);
}

TEST(EngineScheduler, QueryDevicesReportsLastSeen) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1", {"gpu"}, 3);
    h.advance(600ms, {"r-c"});

    h.send("r-c", proto::Query{.request_id = 7, .what = "devices"});

    const auto reply = h.last_of<proto::QueryReply>("r-c");
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->request_id, 7u);
    ASSERT_EQ(reply->devices.size(), 1u);
    EXPECT_EQ(reply->devices[0].device_id, "d1");
    EXPECT_EQ(reply->devices[0].state, "CONNECTED");
    EXPECT_EQ(reply->devices[0].slots, 3u);
    EXPECT_EQ(reply->devices[0].last_seen, 600ms);
}

TEST(EngineScheduler, QueryTasksListsStates) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-d1", proto::Started{"t1", 1});

    h.send("r-c", proto::Query{.request_id = 8, .what = "tasks"});

    const auto reply = h.last_of<proto::QueryReply>("r-c");
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->tasks.size(), 1u);
    EXPECT_EQ(reply->tasks[0].state, "RUNNING");
    EXPECT_EQ(reply->tasks[0].device_id, "d1");
    EXPECT_EQ(reply->tasks[0].attempts, 1u);
}

TEST(EngineScheduler, SubscriberGetsEvents) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.send("r-c", proto::Subscribe{true});

    h.register_device("r-d1", "d1");
    h.send("r-d1", proto::Disconnect{"bye"});

    const auto events = h.all_of<proto::Event>("r-c");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].state, "CONNECTED");
    EXPECT_EQ(events[1].state, "DISCONNECTED");
}

TEST(EngineScheduler, ThousandsOfTasksStayFast) {
    EngineHarness h;
    h.register_client("r-c", "c");
    for (int d = 0; d < 50; ++d) {
        h.register_device("r-d" + std::to_string(d), "d" + std::to_string(d), {"gpu"}, 4);
    }
    const auto started = std::chrono::steady_clock::now();

    for (int i = 0; i < 5000; ++i) {
        h.submit("r-c", "t" + std::to_string(i));
    }
    // EngineHarness::task() copies the whole task list, so only 200 results are fed back.
    for (int i = 0; i < 200; ++i) {
        const auto id = "t" + std::to_string(i);
        const auto info = h.task(id);
        h.send("r-" + info->device_id, proto::Result{.task_id = id, .attempt = 1, .ok = true,
                                                     .error = {}, .payload = std::nullopt});
    }

    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(h.engine().stats().tasks_completed, 200u);
    EXPECT_EQ(h.engine().stats().tasks_pending, 4800u);
    EXPECT_LT(elapsed, std::chrono::seconds(5));
}

}  // namespace
}  // namespace aip::plugin
