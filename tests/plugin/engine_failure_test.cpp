// The failure table of the engine: each row with its detection bound, on a virtual clock.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using Kind = EngineEvent::Kind;

// interval x liveness + one detection tick (interval / 4) with the harness's defaults.
constexpr Duration kDetectionBound = 3000ms + 250ms;

TEST(EngineFailure, SilentDeviceDisconnectedWithinBound) {
    EngineHarness h;
    h.register_device("r-d1", "d1");
    const TimePoint last_heard = h.now();

    h.advance(5000ms);

    const auto at = h.time_of(Kind::DeviceState, "d1", "DISCONNECTED");
    ASSERT_TRUE(at.has_value());
    EXPECT_LE(*at - last_heard, kDetectionBound);
    EXPECT_GE(*at - last_heard, 3000ms);
    EXPECT_EQ(h.events_about(Kind::DeviceState, "d1").back().reason, "heartbeat_timeout");
    EXPECT_EQ(h.device("d1")->state, "DISCONNECTED");
    EXPECT_EQ(h.engine().stats().devices_lost, 1u);
}

TEST(EngineFailure, SilentDeviceTaskRetriedOnAnotherDevice) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1", "gpu", /*max_attempts=*/2);
    ASSERT_EQ(h.all_of<proto::Assign>("r-d1").size(), 1u);
    h.send("r-d1", proto::Started{"t1", 1});
    h.register_device("r-d2", "d2");

    // d2 and the client stay alive; d1 goes silent. 4 s ends before d2's dispatch timeout.
    h.advance(4000ms, {"r-c", "r-d2"});

    // RUNNING on d1, PENDING for the retry, RUNNING again is not sent: d2 never said STARTED.
    const auto updates = h.updates("r-c", "t1");
    ASSERT_EQ(updates.size(), 2u);
    EXPECT_EQ(updates[0].state, "RUNNING");
    EXPECT_EQ(updates[1].state, "PENDING");
    EXPECT_FALSE(updates[1].final);
    EXPECT_EQ(updates[1].reason, "retrying");
    EXPECT_EQ(updates[1].error, "device_disconnected");
    const auto assigns = h.all_of<proto::Assign>("r-d2");
    ASSERT_EQ(assigns.size(), 1u);
    EXPECT_EQ(assigns[0].attempt, 2u);
    EXPECT_EQ(h.task("t1")->device_id, "d2");
    EXPECT_EQ(h.engine().stats().tasks_reassigned, 1u);
}

TEST(EngineFailure, SilentDeviceTaskFailsWhenNoAttemptsLeft) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-d1", proto::Started{"t1", 1});
    const TimePoint last_heard = h.now();

    h.advance(5000ms, {"r-c"});

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].state, "FAILED");
    EXPECT_EQ(finals[0].reason, "device_disconnected");
    const auto failed_at = h.time_of(Kind::TaskState, "t1", "FAILED");
    ASSERT_TRUE(failed_at.has_value());
    EXPECT_LE(*failed_at - last_heard, kDetectionBound);
}

TEST(EngineFailure, DeviceDisconnectFailsTasksImmediately) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    const TimePoint sent_at = h.now();

    h.send("r-d1", proto::Disconnect{"maintenance"});

    EXPECT_EQ(h.time_of(Kind::DeviceState, "d1", "DISCONNECTED"), sent_at);
    EXPECT_EQ(h.events_about(Kind::DeviceState, "d1").back().reason, "peer_disconnect");
    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].reason, "device_disconnected");
}

TEST(EngineFailure, DisconnectFunnelEmitsOneEvent) {
    EngineHarness h;
    h.register_device("r-d1", "d1");

    h.send("r-d1", proto::Disconnect{"bye"});
    h.advance(5000ms);

    const auto events = h.events_about(Kind::DeviceState, "d1");
    ASSERT_EQ(events.size(), 2u);  // NEW -> CONNECTED, CONNECTED -> DISCONNECTED
    EXPECT_EQ(events[1].to, "DISCONNECTED");
    EXPECT_EQ(h.engine().stats().devices_lost, 1u);
}

TEST(EngineFailure, DeviceBackWithinGraceIsScheduledAgain) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.send("r-d1", proto::Disconnect{"restart"});
    h.submit("r-c", "t1");
    EXPECT_EQ(h.task("t1")->state, "PENDING");

    h.advance(2000ms, {"r-c"});
    h.register_device("r-d1b", "d1");

    EXPECT_EQ(h.device("d1")->state, "CONNECTED");
    EXPECT_EQ(h.events_about(Kind::DeviceState, "d1").back().from, "DISCONNECTED");
    ASSERT_EQ(h.all_of<proto::Assign>("r-d1b").size(), 1u);
    EXPECT_EQ(h.all_of<proto::Assign>("r-d1b")[0].task_id, "t1");
}

TEST(EngineFailure, DevicePastGraceIsRemoved) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.send("r-d1", proto::Disconnect{"gone"});
    const TimePoint left_at = h.now();
    h.submit_to_device("r-c", "t1", "d1");

    h.advance(11000ms, {"r-c"});

    const auto removed_at = h.time_of(Kind::DeviceState, "d1", "REMOVED");
    ASSERT_TRUE(removed_at.has_value());
    EXPECT_LE(*removed_at - left_at, h.config().device_grace + 250ms);
    EXPECT_FALSE(h.device("d1").has_value());
    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].state, "FAILED");
    EXPECT_EQ(finals[0].reason, "device_removed");
}

TEST(EngineFailure, SilentClientTasksCancelledAndAborted) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.submit("r-c", "t2");  // queued: d1 has one slot
    h.send("r-d1", proto::Started{"t1", 1});
    const TimePoint last_heard = h.now();

    h.advance(5000ms, {"r-d1"});

    const auto cancelled_at = h.time_of(Kind::TaskState, "t1", "CANCELLED");
    ASSERT_TRUE(cancelled_at.has_value());
    EXPECT_LE(*cancelled_at - last_heard, kDetectionBound);
    EXPECT_EQ(h.task("t1")->reason, "client_disconnected");
    EXPECT_EQ(h.task("t2")->state, "CANCELLED");
    const auto aborts = h.all_of<proto::Abort>("r-d1");
    ASSERT_EQ(aborts.size(), 1u);
    EXPECT_EQ(aborts[0].task_id, "t1");
    EXPECT_EQ(aborts[0].reason, "client_disconnected");
    EXPECT_EQ(h.device("d1")->running, 0u);
    // t2 must not have been dispatched into the slot that t1 freed.
    EXPECT_EQ(h.all_of<proto::Assign>("r-d1").size(), 1u);
}

TEST(EngineFailure, SilentClientCancelledAfterClientGrace) {
    auto config = EngineHarness::default_config();
    config.client_grace = 5000ms;
    EngineHarness h(config);
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-d1", proto::Started{"t1", 1});
    const TimePoint last_heard = h.now();

    h.advance(7000ms, {"r-d1"});
    EXPECT_EQ(h.task("t1")->state, "RUNNING");  // the client is DISCONNECTED but within grace

    h.advance(2000ms, {"r-d1"});
    const auto cancelled_at = h.time_of(Kind::TaskState, "t1", "CANCELLED");
    ASSERT_TRUE(cancelled_at.has_value());
    EXPECT_LE(*cancelled_at - last_heard, kDetectionBound + config.client_grace);
    EXPECT_GE(*cancelled_at - last_heard, 3000ms + config.client_grace);
    EXPECT_EQ(h.all_of<proto::Abort>("r-d1").size(), 1u);
}

TEST(EngineFailure, ClientResumingWithinGraceKeepsTasks) {
    auto config = EngineHarness::default_config();
    config.client_grace = 5000ms;
    EngineHarness h(config);
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-c", proto::Disconnect{"restarting"});

    h.send("r-d1", proto::Result{.task_id = "t1", .attempt = 1, .ok = true, .payload = "out"});
    h.advance(2000ms, {"r-d1"});
    h.register_client("r-c2", "c");

    EXPECT_EQ(h.task("t1")->state, "COMPLETED");
    const auto finals = h.final_updates("r-c2", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].payload, "out");
    EXPECT_TRUE(h.all_of<proto::Abort>("r-d1").empty());
    h.advance(5000ms, {"r-d1", "r-c2"});
    EXPECT_TRUE(h.events_about(Kind::ClientState, "c").back().to == "CONNECTED");
}

TEST(EngineFailure, ClientResumingGetsUpdatesAfterRegistered) {
    auto config = EngineHarness::default_config();
    config.client_grace = 5000ms;
    EngineHarness h(config);
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-c", proto::Disconnect{"restarting"});
    h.send("r-d1", proto::Result{.task_id = "t1", .attempt = 1, .ok = false, .error = "boom"});

    h.register_client("r-c2", "c");

    ASSERT_GE(h.sent().size(), 2u);
    const auto& last = h.sent().back();
    const auto& before_last = h.sent()[h.sent().size() - 2];
    EXPECT_EQ(before_last.routing_id, "r-c2");
    EXPECT_TRUE(std::holds_alternative<proto::Registered>(before_last.message));
    ASSERT_TRUE(std::holds_alternative<proto::TaskUpdate>(last.message));
    EXPECT_EQ(std::get<proto::TaskUpdate>(last.message).reason, "task_error");
}

}  // namespace
}  // namespace aip::plugin
