// Sessions: configuration, registration, superseding, session checks and malformed input.
#include <stdexcept>

#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using Kind = EngineEvent::Kind;

std::string construction_error(const EngineConfig& config) {
    try {
        Engine engine(config, TimePoint{});
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

TEST(EngineConfig, RejectsZeroHeartbeatInterval) {
    auto config = EngineHarness::default_config();
    config.heartbeat_interval = 0ms;
    EXPECT_NE(construction_error(config).find("heartbeat_interval"), std::string::npos);
}

TEST(EngineConfig, RejectsZeroLiveness) {
    auto config = EngineHarness::default_config();
    config.liveness = 0;
    EXPECT_NE(construction_error(config).find("liveness"), std::string::npos);
}

TEST(EngineConfig, RejectsNegativeGrace) {
    auto config = EngineHarness::default_config();
    config.device_grace = -1ms;
    const auto message = construction_error(config);
    EXPECT_NE(message.find("device_grace"), std::string::npos);
    EXPECT_NE(message.find("-1ms"), std::string::npos);
}

TEST(EngineConfig, RejectsInvalidReconnectAdvice) {
    auto config = EngineHarness::default_config();
    config.advised_reconnect.multiplier = 0.5;
    EXPECT_NE(construction_error(config).find("advised_reconnect"), std::string::npos);
}

TEST(EngineSession, RegisteredCarriesConfiguration) {
    auto config = EngineHarness::default_config();
    config.advised_reconnect.policy = BackoffPolicy::Linear;
    EngineHarness h(config);

    const auto registered = h.register_device("r-d1", "d1");

    EXPECT_EQ(registered.heartbeat, 1000ms);
    EXPECT_EQ(registered.liveness, 3u);
    EXPECT_EQ(registered.max_message_bytes, config.max_message_bytes);
    EXPECT_EQ(registered.reconnect.policy, "linear");
    EXPECT_EQ(registered.session_token.size(), 32u);
    EXPECT_EQ(h.device("d1")->state, "CONNECTED");
    EXPECT_EQ(h.engine().stats().devices_connected, 1u);
}

TEST(EngineSession, RegistrationFloodIsRateLimited) {
    auto config = EngineHarness::default_config();
    config.max_registrations_per_second = 3;
    EngineHarness h(config);

    for (int i = 0; i < 5; ++i) {
        h.register_device("r-loop", "looper");
    }

    const auto errors = h.all_of<proto::Error>("r-loop");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].code, "rate_limited");
    EXPECT_EQ(h.all_of<proto::Registered>("r-loop").size(), 3u);
}

TEST(EngineSession, RegistrationLimitResetsAfterOneSecond) {
    auto config = EngineHarness::default_config();
    config.max_registrations_per_second = 1;
    EngineHarness h(config);
    h.register_device("r-slow", "slow");
    h.register_device("r-slow", "slow");
    ASSERT_EQ(h.all_of<proto::Error>("r-slow").size(), 1u);

    h.advance(1000ms, {"r-slow"});
    h.register_device("r-slow", "slow");

    EXPECT_EQ(h.all_of<proto::Error>("r-slow").size(), 1u);
    EXPECT_EQ(h.all_of<proto::Registered>("r-slow").size(), 2u);
}

TEST(EngineSession, UnknownRoutingIdGetsDisconnect) {
    EngineHarness h;

    h.send("r-stranger", proto::Heartbeat{});

    const auto disconnect = h.last_of<proto::Disconnect>("r-stranger");
    ASSERT_TRUE(disconnect.has_value());
    EXPECT_EQ(disconnect->reason, "not_registered");
    ASSERT_EQ(h.events().size(), 1u);
    EXPECT_EQ(h.events()[0].reason, "not_registered");
}

TEST(EngineSession, MalformedInputChangesNothing) {
    EngineHarness h;
    h.register_client("r-c", "c");
    h.register_device("r-d1", "d1");
    const auto tasks_before = h.engine().tasks().size();
    const auto events_before = h.events().size();

    auto frames = proto::encode(proto::Heartbeat{});
    frames[0] = "XYZ\x01";
    h.send_frames("r-d1", frames);

    const auto error = h.last_of<proto::Error>("r-d1");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "bad_signature");
    EXPECT_EQ(h.engine().stats().protocol_errors, 1u);
    ASSERT_EQ(h.events().size(), events_before + 1);
    EXPECT_EQ(h.events().back().kind, Kind::ProtocolError);
    EXPECT_EQ(h.engine().tasks().size(), tasks_before);
    EXPECT_EQ(h.device("d1")->state, "CONNECTED");
}

TEST(EngineSession, MalformedBodyNamesCommand) {
    EngineHarness h;
    h.register_client("r-c", "c");

    auto frames = proto::encode(proto::Cancel{"t1"});
    frames[2] = "\x80";  // an empty map: task_id is missing
    h.send_frames("r-c", frames);

    const auto error = h.last_of<proto::Error>("r-c");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "missing_key");
    EXPECT_EQ(error->command, static_cast<std::uint8_t>(proto::Command::Cancel));
}

TEST(EngineSession, BrokerCommandIsUnknownCommand) {
    EngineHarness h;
    h.register_device("r-d1", "d1");

    h.send("r-d1", proto::Accepted{"t1", false});

    const auto error = h.last_of<proto::Error>("r-d1");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "unknown_command");
}

TEST(EngineSession, DeviceMayNotSubmit) {
    EngineHarness h;
    h.register_device("r-d1", "d1");

    h.submit("r-d1", "t1");

    const auto error = h.last_of<proto::Error>("r-d1");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "wrong_role");
    EXPECT_FALSE(h.task("t1").has_value());
}

TEST(EngineSession, ClientMayNotSendResult) {
    EngineHarness h;
    h.register_client("r-c", "c");

    h.send("r-c", proto::Result{.task_id = "t1", .attempt = 1, .ok = true, .error = {},
                                .payload = std::nullopt});

    EXPECT_EQ(h.last_of<proto::Error>("r-c")->code, "wrong_role");
}

TEST(EngineSession, SupersedeWithToken) {
    EngineHarness h;
    const auto first = h.register_device("r-old", "d1");

    h.register_device("r-new", "d1", {"gpu"}, 1, first.session_token);

    EXPECT_TRUE(h.last_of<proto::Registered>("r-new").has_value());
    EXPECT_EQ(h.last_of<proto::Disconnect>("r-old")->reason, "superseded");
    EXPECT_EQ(h.events_about(Kind::DeviceState, "d1").at(1).reason, "superseded");
    EXPECT_EQ(h.device("d1")->state, "CONNECTED");
}

TEST(EngineSession, SupersedeSilentOldSession) {
    EngineHarness h;
    h.register_device("r-old", "d1");
    h.advance(1000ms);

    h.register_device("r-new", "d1");

    EXPECT_TRUE(h.last_of<proto::Registered>("r-new").has_value());
}

TEST(EngineSession, LiveSessionRejectsIdInUse) {
    EngineHarness h;
    h.register_device("r-old", "d1");
    h.advance(500ms);

    h.register_device("r-new", "d1", {"gpu"}, 1, std::string("wrong-token"));

    const auto error = h.last_of<proto::Error>("r-new");
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, "id_in_use");
    EXPECT_FALSE(h.last_of<proto::Registered>("r-new").has_value());
    h.send("r-old", proto::Heartbeat{});
    EXPECT_FALSE(h.last_of<proto::Disconnect>("r-old").has_value());
}

TEST(EngineSession, OldSessionTimerNeverTouchesNewOne) {
    EngineHarness h;
    const auto first = h.register_device("r-old", "d1");
    h.advance(2500ms);  // the old session is close to its liveness deadline

    h.register_device("r-new", "d1", {"gpu"}, 1, first.session_token);
    h.advance(2000ms, {"r-new"});

    EXPECT_EQ(h.device("d1")->state, "CONNECTED");
    EXPECT_EQ(h.events_about(Kind::DeviceState, "d1").size(), 3u);
    h.send("r-old", proto::Heartbeat{});
    EXPECT_EQ(h.last_of<proto::Disconnect>("r-old")->reason, "not_registered");
}

TEST(EngineSession, SupersededDeviceStartsWithoutTasks) {
    EngineHarness h;
    h.register_client("r-c", "c");
    const auto first = h.register_device("r-old", "d1");
    h.submit("r-c", "t1");

    h.register_device("r-new", "d1", {"gpu"}, 1, first.session_token);

    const auto finals = h.final_updates("r-c", "t1");
    ASSERT_EQ(finals.size(), 1u);
    EXPECT_EQ(finals[0].reason, "device_disconnected");
    EXPECT_EQ(h.device("d1")->running, 0u);
}

TEST(EngineSession, SameRoutingIdRegisteringAgainIsNewSession) {
    EngineHarness h;
    const auto first = h.register_device("r-d1", "d1");

    const auto second = h.register_device("r-d1", "d1");

    EXPECT_NE(first.session_token, second.session_token);
    EXPECT_EQ(h.events_about(Kind::DeviceState, "d1").size(), 3u);
    EXPECT_EQ(h.device("d1")->state, "CONNECTED");
}

TEST(EngineSession, HeartbeatSentAfterOneSilentInterval) {
    EngineHarness h;
    h.register_device("r-d1", "d1");

    // The first heartbeat comes between half an interval and one interval after REGISTERED.
    h.advance(450ms, {"r-d1"});
    EXPECT_TRUE(h.all_of<proto::Heartbeat>("r-d1").empty());
    h.advance(650ms, {"r-d1"});
    EXPECT_EQ(h.all_of<proto::Heartbeat>("r-d1").size(), 1u);

    // Then one per silent interval.
    h.advance(1000ms, {"r-d1"});
    EXPECT_EQ(h.all_of<proto::Heartbeat>("r-d1").size(), 2u);
}

TEST(EngineSession, HeartbeatsOfSimultaneousPeersAreSpread) {
    EngineHarness h;
    for (int i = 0; i < 100; ++i) {
        h.register_device("r-" + std::to_string(i), "d" + std::to_string(i));
    }

    // Count the heartbeats sent in each 50 ms step of the first interval.
    std::size_t seen = 0;
    std::size_t steps_with_heartbeats = 0;
    std::size_t largest_step = 0;
    for (int step = 0; step < 22; ++step) {
        h.advance(50ms);
        std::size_t total = 0;
        for (const auto& sent : h.sent()) {
            total += std::holds_alternative<proto::Heartbeat>(sent.message) ? 1 : 0;
        }
        const std::size_t in_step = total - seen;
        seen = total;
        steps_with_heartbeats += in_step > 0 ? 1 : 0;
        largest_step = std::max(largest_step, in_step);
    }

    EXPECT_EQ(seen, 100u);
    EXPECT_GE(steps_with_heartbeats, 5u);
    EXPECT_LE(largest_step, 50u);
}

TEST(EngineSession, NextWakeupWithinQuarterInterval) {
    EngineHarness h;
    h.register_device("r-d1", "d1");

    const auto wakeup = h.engine().next_wakeup();

    ASSERT_TRUE(wakeup.has_value());
    EXPECT_LE(*wakeup - h.now(), 250ms);
}

TEST(EngineSession, ShutdownDisconnectsEveryPeer) {
    EngineHarness h;
    h.register_device("r-d1", "d1");
    h.register_client("r-c", "c");

    h.engine().shutdown(h.now());
    h.send("r-c", proto::Heartbeat{});  // collects the shutdown output too

    EXPECT_EQ(h.all_of<proto::Disconnect>("r-d1").at(0).reason, "broker shutting down");
    EXPECT_EQ(h.all_of<proto::Disconnect>("r-c").at(0).reason, "broker shutting down");
    EXPECT_FALSE(h.engine().next_wakeup().has_value());
}

}  // namespace
}  // namespace aip::plugin
