// Task reports beyond their states: dispatch events, and why a task that timed out never ran.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

TEST(EngineDiagnostics, TimeoutNamesMissingCapability) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.submit("r-c", "t1", "quantum", 1, 2000ms);

    h.advance(2500ms, {"r-c"});

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].state, "TIMED_OUT");
    EXPECT_EQ(finals[0].error, "never dispatched: no registered device has capability 'quantum'");
}

TEST(EngineDiagnostics, TimeoutNamesUnregisteredDevice) {
    EngineHarness h;
    h.register_client("r-c", "c");
    proto::Submit submit;
    submit.task_id = "t1";
    submit.device_id = "ghost";
    submit.timeout = 1000ms;
    h.send("r-c", submit);

    h.advance(1500ms, {"r-c"});

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].error, "never dispatched: device 'ghost' is not registered");
}

TEST(EngineDiagnostics, TimeoutAfterDispatchHasNoSuchNote) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1", "gpu", 1, 1000ms);
    h.send("r-d1", proto::Started{"t1", 1});

    h.advance(1500ms, {"r-c", "r-d1"});

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].state, "TIMED_OUT");
    EXPECT_EQ(finals[0].error, "");
}

TEST(EngineDiagnostics, DispatchEmitsEventWithDevice) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");

    h.submit("r-c", "t1");

    const auto events = h.events_about(EngineEvent::Kind::TaskState, "t1");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].reason, "dispatched");
    EXPECT_EQ(events[1].device_id, "d1");
    EXPECT_EQ(events[1].attempt, 1u);
}

}  // namespace
}  // namespace aip::plugin
