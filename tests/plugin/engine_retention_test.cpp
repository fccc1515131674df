// Ended tasks: their final update on request, their retention, and bounded query replies.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;

proto::Result ok_result(const std::string& task_id, const std::string& output) {
    proto::Result message;
    message.task_id = task_id;
    message.attempt = 1;
    message.ok = true;
    message.payload = output;
    return message;
}

// Runs one task t1 of client c on device d1 to COMPLETED with output "out".
void complete_one(EngineHarness& h) {
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-d1", proto::Started{"t1", 1});
    h.send("r-d1", ok_result("t1", "out"));
}

TEST(EngineRetention, RepeatedSubmitOfEndedTaskResendsFinalUpdate) {
    EngineHarness h;
    complete_one(h);

    h.submit("r-c", "t1");

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 2u);
    EXPECT_EQ(finals[1].state, "COMPLETED");
    EXPECT_EQ(finals[1].payload, std::optional<std::string>("out"));
    EXPECT_TRUE(h.last_of<proto::Accepted>("r-c")->duplicate);
    EXPECT_EQ(h.engine().stats().tasks_completed, 1u);
}

TEST(EngineRetention, CancelOfEndedTaskResendsFinalUpdate) {
    EngineHarness h;
    complete_one(h);

    h.send("r-c", proto::Cancel{"t1"});

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 2u);
    EXPECT_EQ(finals[1].state, "COMPLETED");
    EXPECT_EQ(h.task("t1")->state, "COMPLETED");
}

TEST(EngineRetention, EndedTaskForgottenAfterRetention) {
    auto config = EngineHarness::default_config();
    config.finished_task_retention = 5000ms;
    EngineHarness h(config);
    complete_one(h);

    h.advance(4000ms, {"r-c", "r-d1"});
    EXPECT_TRUE(h.task("t1").has_value());

    h.advance(1500ms, {"r-c", "r-d1"});
    EXPECT_FALSE(h.task("t1").has_value());
    EXPECT_EQ(h.engine().stats().tasks_completed, 1u);
}

TEST(EngineRetention, OldestEndedTasksForgottenBeyondLimit) {
    auto config = EngineHarness::default_config();
    config.max_finished_tasks = 2;
    EngineHarness h(config);
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    for (const std::string id : {"t1", "t2", "t3"}) {
        h.submit("r-c", id);
        h.send("r-d1", proto::Started{id, 1});
        h.send("r-d1", ok_result(id, "out"));
    }

    h.advance(300ms, {"r-c", "r-d1"});

    EXPECT_FALSE(h.task("t1").has_value());
    EXPECT_TRUE(h.task("t2").has_value());
    EXPECT_TRUE(h.task("t3").has_value());
}

TEST(EngineRetention, ForgottenTaskIdCanBeSubmittedAgain) {
    auto config = EngineHarness::default_config();
    config.finished_task_retention = 1000ms;
    EngineHarness h(config);
    complete_one(h);
    h.advance(1500ms, {"r-c", "r-d1"});

    h.submit("r-c", "t1");

    EXPECT_FALSE(h.last_of<proto::Accepted>("r-c")->duplicate);
    EXPECT_EQ(h.task("t1")->state, "PENDING");
}

TEST(EngineRetention, QueryReplyFitsMessageLimit) {
    auto config = EngineHarness::default_config();
    config.max_message_bytes = 4096;
    EngineHarness h(config);
    h.register_client("r-c", "c");
    for (int i = 0; i < 200; ++i) {
        h.submit("r-c", "task-with-a-long-identifier-" + std::to_string(i));
    }

    h.send("r-c", proto::Query{.request_id = 7, .what = "tasks"});

    const auto reply = h.last_of<proto::QueryReply>("r-c");
    ASSERT_TRUE(reply.has_value());
    EXPECT_TRUE(reply->truncated);
    EXPECT_GT(reply->tasks.size(), 0u);
    EXPECT_LT(reply->tasks.size(), 200u);
    std::size_t bytes = 0;
    for (const auto& frame : proto::encode(*reply)) {
        bytes += frame.size();
    }
    EXPECT_LE(bytes, 4096u);
}

TEST(EngineRetention, ShutdownEndsNoTask) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    h.submit("r-c", "t1");
    h.send("r-d1", proto::Started{"t1", 1});

    h.engine().shutdown(h.now());
    h.send("r-c", proto::Heartbeat{});  // collects the shutdown output

    EXPECT_TRUE(h.final_updates("r-c", "t1").empty());
    EXPECT_EQ(h.task("t1")->state, "RUNNING");
}

}  // namespace
}  // namespace aip::plugin
