// Task life cycle: submission, outcomes, late results, cancellation, deadlines, dispatch timeouts.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using Kind = EngineEvent::Kind;

proto::Result result(const std::string& task_id, std::uint32_t attempt, bool ok,
                     std::optional<std::string> payload = std::nullopt, std::string error = {}) {
    proto::Result message;
    message.task_id = task_id;
    message.attempt = attempt;
    message.ok = ok;
    message.error = std::move(error);
    message.payload = std::move(payload);
    return message;
}

TEST(EngineTask, SubmitIsIdempotent) {
    EngineHarness h;
    h.register_client("r-c", "c");

    h.submit("r-c", "t1");
    h.submit("r-c", "t1");

    const auto accepted = h.all_of<proto::Accepted>("r-c");
    ASSERT_EQ(accepted.size(), 2u);
    EXPECT_FALSE(accepted[0].duplicate);
    EXPECT_TRUE(accepted[1].duplicate);
    EXPECT_EQ(h.engine().tasks().size(), 1u);
}

TEST(EngineTask, OtherClientsTaskIdInUse) {
    EngineHarness h;
    h.register_client("r-a", "a");
    h.register_client("r-b", "b");
    h.submit("r-a", "t1");

    h.submit("r-b", "t1");

    const auto error = h.last_of<proto::Error>("r-b");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "task_id_in_use");
    EXPECT_EQ(error->task_id, "t1");
    EXPECT_EQ(h.task("t1")->client_id, "a");
}

TEST(EngineTask, AssignCarriesRemainingDeadline) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.submit("r-c", "t1", "gpu", 1, 10000ms, "the input");
    h.advance(4000ms, {"r-c"});

    h.register_device("r-d1", "d1");

    const auto assign = h.last_of<proto::Assign>("r-d1");
    ASSERT_TRUE(assign.has_value());
    EXPECT_EQ(assign->timeout, 6000ms);
    EXPECT_EQ(assign->attempt, 1u);
    EXPECT_EQ(assign->payload, "the input");
}

TEST(EngineTask, ResultForwardsPayloadUnchanged) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-d1", proto::Started{"t1", 1});
    const std::string output("\x00\xff binary", 9);

    h.send("r-d1", result("t1", 1, true, output));

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].state, "COMPLETED");
    EXPECT_EQ(finals[0].payload, output);
    EXPECT_EQ(h.device("d1")->running, 0u);
    EXPECT_EQ(h.engine().stats().tasks_completed, 1u);
}

TEST(EngineTask, ResultBeforeStartedAccepted) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");

    h.send("r-d1", result("t1", 1, true));

    EXPECT_EQ(h.task("t1")->state, "COMPLETED");
}

TEST(EngineTask, FailedResultIsFinal) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1", "gpu", /*max_attempts=*/3);

    h.send("r-d1", result("t1", 1, false, std::nullopt, "exit code 2"));

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].state, "FAILED");
    EXPECT_EQ(finals[0].reason, "task_error");
    EXPECT_EQ(finals[0].error, "exit code 2");
    EXPECT_EQ(h.all_of<proto::Assign>("r-d1").size(), 1u);
}

TEST(EngineTask, LateResultDroppedWithoutSecondOutcome) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1", "gpu", 1, 1000ms);
    h.send("r-d1", proto::Started{"t1", 1});
    h.advance(1100ms, {"r-c", "r-d1"});
    ASSERT_EQ(h.task("t1")->state, "TIMED_OUT");

    h.send("r-d1", result("t1", 1, true));

    EXPECT_EQ(h.final_updates("r-c", "t1").size(), 1u);
    EXPECT_EQ(h.task("t1")->state, "TIMED_OUT");
    EXPECT_EQ(h.engine().stats().results_dropped, 1u);
    EXPECT_EQ(h.events_about(Kind::ResultDropped, "t1").size(), 1u);
    EXPECT_FALSE(h.last_of<proto::Error>("r-d1").has_value());
}

TEST(EngineTask, ResultFromOldAttemptDropped) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1", "gpu", /*max_attempts=*/2);
    h.advance(2100ms, {"r-c", "r-d1"});  // attempt 1 misses its dispatch timeout
    ASSERT_EQ(h.all_of<proto::Assign>("r-d1").size(), 2u);

    h.send("r-d1", result("t1", 1, true));

    EXPECT_EQ(h.engine().stats().results_dropped, 1u);
    EXPECT_EQ(h.task("t1")->state, "PENDING");
    h.send("r-d1", result("t1", 2, true));
    EXPECT_EQ(h.task("t1")->state, "COMPLETED");
}

TEST(EngineTask, ResultForUnknownTaskGetsError) {
    EngineHarness h;
    h.register_device("r-d1", "d1");

    h.send("r-d1", result("never", 1, true));

    const auto error = h.last_of<proto::Error>("r-d1");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "unknown_task");
    EXPECT_EQ(h.engine().stats().results_dropped, 0u);
}

TEST(EngineTask, ResultFromStrangerDeviceRejected) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.register_device("r-d2", "d2", {"cpu"});
    h.submit("r-c", "t1");

    h.send("r-d2", result("t1", 1, true));

    EXPECT_EQ(h.last_of<proto::Error>("r-d2")->code, "unknown_task");
    EXPECT_EQ(h.task("t1")->state, "PENDING");
}

TEST(EngineTask, DeadlineTimesOutAndAborts) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1", "gpu", 1, 1500ms);
    h.send("r-d1", proto::Started{"t1", 1});
    const TimePoint submitted = h.now();

    h.advance(2000ms, {"r-c", "r-d1"});

    const auto timed_out_at = h.time_of(Kind::TaskState, "t1", "TIMED_OUT");
    ASSERT_TRUE(timed_out_at.has_value());
    EXPECT_LE(*timed_out_at - submitted, 1500ms + 250ms);
    EXPECT_EQ(h.task("t1")->reason, "deadline_exceeded");
    const auto aborts = h.all_of<proto::Abort>("r-d1");
    ASSERT_EQ(aborts.size(), 1u);
    EXPECT_EQ(aborts[0].reason, "deadline_exceeded");
    EXPECT_EQ(h.final_updates("r-c", "t1").size(), 1u);
}

TEST(EngineTask, QueuedTaskTimesOutWithoutAbort) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.submit("r-c", "t1", "gpu", 1, 1000ms);

    h.advance(1500ms, {"r-c"});

    EXPECT_EQ(h.task("t1")->state, "TIMED_OUT");
    EXPECT_EQ(h.engine().stats().tasks_timed_out, 1u);
}

TEST(EngineTask, DispatchTimeoutFailsAttempt) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");

    h.advance(2500ms, {"r-c", "r-d1"});

    const auto aborts = h.all_of<proto::Abort>("r-d1");
    ASSERT_EQ(aborts.size(), 1u);
    EXPECT_EQ(aborts[0].reason, "dispatch_timeout");
    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].reason, "dispatch_timeout");
    EXPECT_EQ(h.device("d1")->running, 0u);
}

TEST(EngineTask, DispatchTimeoutRetriesOnOtherDevice) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1", "gpu", /*max_attempts=*/2);
    h.register_device("r-d2", "d2");

    h.advance(2100ms, {"r-c", "r-d1", "r-d2"});

    ASSERT_EQ(h.all_of<proto::Assign>("r-d2").size(), 1u);
    EXPECT_EQ(h.all_of<proto::Assign>("r-d2")[0].attempt, 2u);
}

TEST(EngineTask, StartedMovesToRunning) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");

    h.send("r-d1", proto::Started{"t1", 1});
    h.advance(3000ms, {"r-c", "r-d1"});  // past the dispatch timeout

    EXPECT_EQ(h.task("t1")->state, "RUNNING");
    EXPECT_EQ(h.engine().stats().tasks_running, 1u);
    EXPECT_TRUE(h.all_of<proto::Abort>("r-d1").empty());
}

TEST(EngineTask, CancelByOwnerAborts) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");

    h.send("r-c", proto::Cancel{"t1"});

    EXPECT_EQ(h.task("t1")->state, "CANCELLED");
    EXPECT_EQ(h.task("t1")->reason, "client_cancelled");
    EXPECT_EQ(h.last_of<proto::Abort>("r-d1")->reason, "client_cancelled");
    EXPECT_EQ(h.final_updates("r-c", "t1").size(), 1u);
}

TEST(EngineTask, CancelByOtherClientIsUnknownTask) {
    EngineHarness h;
    h.register_client("r-a", "a");
    h.register_client("r-b", "b");
    h.submit("r-a", "t1");

    h.send("r-b", proto::Cancel{"t1"});

    EXPECT_EQ(h.last_of<proto::Error>("r-b")->code, "unknown_task");
    EXPECT_EQ(h.task("t1")->state, "PENDING");
}

TEST(EngineTask, CancelledTaskLeavesQueue) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.submit("r-c", "t1");
    h.send("r-c", proto::Cancel{"t1"});

    h.register_device("r-d1", "d1");

    EXPECT_TRUE(h.all_of<proto::Assign>("r-d1").empty());
}

}  // namespace
}  // namespace aip::plugin
