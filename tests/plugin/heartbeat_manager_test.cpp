#include "aip/plugin/heartbeat_manager.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const TimePoint kStart{std::chrono::hours(1)};

// Polls every `step` from `from` (exclusive) to `to` (inclusive) and returns all lost peers.
std::vector<std::string> poll_until(HeartbeatManager& manager, TimePoint from, TimePoint to,
                                    Duration step) {
    std::vector<std::string> lost;
    for (TimePoint now = from + step; now <= to; now += step) {
        auto due = manager.poll(now);
        lost.insert(lost.end(), due.lost.begin(), due.lost.end());
    }
    return lost;
}

TEST(HeartbeatManager, RejectsZeroDefaultInterval) {
    try {
        HeartbeatManager manager(0ms, 3);
        FAIL() << "no exception for a zero interval";
    } catch (const std::invalid_argument& error) {
        EXPECT_THAT(error.what(), HasSubstr("(0ms)"));
    }
}

TEST(HeartbeatManager, RejectsZeroLiveness) {
    EXPECT_THROW(HeartbeatManager(1s, 0), std::invalid_argument);
}

TEST(HeartbeatManager, RejectsNegativePeerInterval) {
    HeartbeatManager manager(1s, 3);
    try {
        manager.start_heartbeat("d-1", kStart, -2s);
        FAIL() << "no exception for a negative interval";
    } catch (const std::invalid_argument& error) {
        EXPECT_THAT(error.what(), HasSubstr("(-2s)"));
        EXPECT_THAT(error.what(), HasSubstr("d-1"));
    }
    EXPECT_FALSE(manager.is_running("d-1"));
}

TEST(HeartbeatManager, RejectsInvalidDetector) {
    DetectorConfig detector;
    detector.kind = DetectorKind::Phi;
    detector.window = 1;
    EXPECT_THROW(HeartbeatManager(1s, 3, detector), std::invalid_argument);
}

TEST(HeartbeatManager, TracksStartAndStop) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    manager.start_heartbeat("b", kStart, 5s);
    EXPECT_EQ(manager.size(), 2U);
    EXPECT_EQ(manager.get_interval("a"), 1s);
    EXPECT_EQ(manager.get_interval("b"), 5s);

    manager.stop_heartbeat("a");
    EXPECT_FALSE(manager.is_running("a"));
    EXPECT_FALSE(manager.get_interval("a").has_value());
    EXPECT_EQ(manager.size(), 1U);

    manager.stop_all();
    EXPECT_EQ(manager.size(), 0U);
    EXPECT_FALSE(manager.next_deadline().has_value());
}

TEST(HeartbeatManager, HeartbeatDueAfterOneInterval) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    EXPECT_THAT(manager.poll(kStart + 999ms).send_heartbeat, IsEmpty());
    EXPECT_THAT(manager.poll(kStart + 1s).send_heartbeat, ElementsAre("a"));
}

TEST(HeartbeatManager, ReportedHeartbeatIsRescheduled) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    (void)manager.poll(kStart + 1s);
    EXPECT_THAT(manager.poll(kStart + 1500ms).send_heartbeat, IsEmpty());
    EXPECT_THAT(manager.poll(kStart + 2s).send_heartbeat, ElementsAre("a"));
}

TEST(HeartbeatManager, SentTrafficPostponesHeartbeat) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    manager.on_sent("a", kStart + 800ms);
    EXPECT_THAT(manager.poll(kStart + 1s).send_heartbeat, IsEmpty());
    EXPECT_THAT(manager.poll(kStart + 1800ms).send_heartbeat, ElementsAre("a"));
}

TEST(HeartbeatManager, LostAfterLivenessIntervals) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    EXPECT_THAT(poll_until(manager, kStart, kStart + 2999ms, 1ms), IsEmpty());

    const auto due = manager.poll(kStart + 3s);
    EXPECT_THAT(due.lost, ElementsAre("a"));
    EXPECT_THAT(due.send_heartbeat, IsEmpty());
    EXPECT_FALSE(manager.is_running("a"));
}

TEST(HeartbeatManager, LostIsReportedOnce) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    EXPECT_THAT(poll_until(manager, kStart, kStart + 10s, 250ms), ElementsAre("a"));
    EXPECT_FALSE(manager.next_deadline().has_value());
}

TEST(HeartbeatManager, ReceivedTrafficResetsLiveness) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    (void)poll_until(manager, kStart, kStart + 2500ms, 250ms);
    manager.on_received("a", kStart + 2500ms);

    EXPECT_THAT(poll_until(manager, kStart + 2500ms, kStart + 5250ms, 250ms), IsEmpty());
    EXPECT_THAT(manager.poll(kStart + 5500ms).lost, ElementsAre("a"));
}

TEST(HeartbeatManager, UnknownPeerTrafficIsIgnored) {
    HeartbeatManager manager(1s, 3);
    manager.on_received("ghost", kStart);
    manager.on_sent("ghost", kStart);
    EXPECT_EQ(manager.size(), 0U);
    EXPECT_FALSE(manager.phi("ghost", kStart).has_value());
}

TEST(HeartbeatManager, NextDeadlineIsEarliestOfBoth) {
    HeartbeatManager manager(10s, 2);
    EXPECT_FALSE(manager.next_deadline().has_value());

    manager.start_heartbeat("slow", kStart);
    EXPECT_EQ(manager.next_deadline(), kStart + 10s);

    // A peer we keep talking to: only its receive deadline remains early.
    manager.start_heartbeat("fast", kStart, 1s);
    EXPECT_EQ(manager.next_deadline(), kStart + 1s);
    manager.on_sent("fast", kStart + 1500ms);
    EXPECT_EQ(manager.next_deadline(), kStart + 2s);  // fast's receive deadline: 2 x 1s
}

TEST(HeartbeatManager, RestartResetsTimers) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    manager.start_heartbeat("a", kStart + 2s, 4s);
    EXPECT_EQ(manager.size(), 1U);
    EXPECT_EQ(manager.get_interval("a"), 4s);
    EXPECT_EQ(manager.next_deadline(), kStart + 6s);
}

TEST(HeartbeatManager, ReportsPeersInStartOrderOnTies) {
    HeartbeatManager manager(1s, 3);
    for (const char* id : {"c", "a", "b"}) {
        manager.start_heartbeat(id, kStart);
    }
    EXPECT_THAT(manager.poll(kStart + 1s).send_heartbeat, ElementsAre("c", "a", "b"));
}

TEST(HeartbeatManager, StallExtendsReceiveDeadline) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    (void)manager.poll(kStart + 1s);
    (void)manager.poll(kStart + 2s);

    // The host stalls 8 s: the receive deadline (3 s) moves by the gap to 11 s.
    const auto due = manager.poll(kStart + 10s);
    EXPECT_THAT(due.lost, IsEmpty());
    EXPECT_EQ(due.stall, 8s);
    EXPECT_EQ(due.stall_extended, 1U);
    EXPECT_TRUE(manager.is_running("a"));

    EXPECT_THAT(manager.poll(kStart + 10500ms).lost, IsEmpty());
    EXPECT_THAT(manager.poll(kStart + 11s).lost, ElementsAre("a"));
}

TEST(HeartbeatManager, StallExtendsOncePerSilence) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    (void)manager.poll(kStart + 1s);
    EXPECT_THAT(manager.poll(kStart + 10s).lost, IsEmpty());
    EXPECT_THAT(manager.poll(kStart + 20s).lost, ElementsAre("a"));
}

TEST(HeartbeatManager, TrafficAfterStallReArmsExtension) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    (void)manager.poll(kStart + 1s);
    (void)manager.poll(kStart + 10s);   // extended once
    manager.on_received("a", kStart + 10s);
    (void)manager.poll(kStart + 11s);
    EXPECT_THAT(manager.poll(kStart + 20s).lost, IsEmpty());  // a new silence, a new stall
}

TEST(HeartbeatManager, GapOfOneIntervalIsNoStall) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    (void)manager.poll(kStart + 2s);
    const auto due = manager.poll(kStart + 3s);
    EXPECT_EQ(due.stall, 0ms);
    EXPECT_THAT(due.lost, ElementsAre("a"));
}

TEST(HeartbeatManager, SendHookSortsResults) {
    HeartbeatManager manager(1s, 3);
    for (const char* id : {"ok", "offline", "broken", "throws", "ok2"}) {
        manager.start_heartbeat(id, kStart);
    }
    std::vector<std::string> called;
    const auto due = manager.poll(kStart + 1s, [&](const std::string& id) {
        called.push_back(id);
        if (id == "offline") {
            return SendResult::NotConnected;
        }
        if (id == "broken") {
            return SendResult::Failed;
        }
        if (id == "throws") {
            throw std::runtime_error("socket closed");
        }
        return SendResult::Sent;
    });

    EXPECT_THAT(called, ElementsAre("ok", "offline", "broken", "throws", "ok2"));
    EXPECT_THAT(due.send_heartbeat, ElementsAre("ok", "ok2"));
    EXPECT_THAT(due.not_connected, ElementsAre("offline"));
    EXPECT_THAT(due.send_failed, ElementsAre("broken", "throws"));
}

TEST(HeartbeatManager, SkippedHeartbeatIsRetriedNextInterval) {
    HeartbeatManager manager(1s, 3);
    manager.start_heartbeat("a", kStart);
    (void)manager.poll(kStart + 1s, [](const std::string&) { return SendResult::NotConnected; });
    EXPECT_THAT(manager.poll(kStart + 1500ms).send_heartbeat, IsEmpty());
    EXPECT_THAT(manager.poll(kStart + 2s).send_heartbeat, ElementsAre("a"));
}

TEST(HeartbeatManager, SendHookSkipsLostPeers) {
    HeartbeatManager manager(1s, 1);
    manager.start_heartbeat("a", kStart);
    int calls = 0;
    const auto due = manager.poll(kStart + 1s, [&](const std::string&) {
        ++calls;
        return SendResult::Sent;
    });
    EXPECT_EQ(calls, 0);
    EXPECT_THAT(due.lost, ElementsAre("a"));
}

TEST(HeartbeatManager, TensOfThousandsOfPeers) {
    constexpr int kPeers = 20000;
    HeartbeatManager manager(1s, 3);
    for (int i = 0; i < kPeers; ++i) {
        manager.start_heartbeat("p-" + std::to_string(i), kStart + Duration{i % 1000});
    }
    // Even-numbered peers keep talking and odd-numbered ones go silent.
    for (int i = 0; i < kPeers; i += 2) {
        manager.on_received("p-" + std::to_string(i), kStart + 2s);
    }

    std::size_t heartbeats = 0;
    std::size_t lost = 0;
    for (TimePoint now = kStart + 100ms; now <= kStart + 4s; now += 100ms) {
        const auto due = manager.poll(now);
        heartbeats += due.send_heartbeat.size();
        lost += due.lost.size();
    }
    EXPECT_EQ(lost, static_cast<std::size_t>(kPeers / 2));
    EXPECT_EQ(manager.size(), static_cast<std::size_t>(kPeers / 2));
    EXPECT_GE(heartbeats, static_cast<std::size_t>(kPeers * 2));
}

TEST(HeartbeatManager, PhiDetectorConvictsRegularPeerEarly) {
    DetectorConfig detector;
    detector.kind = DetectorKind::Phi;
    HeartbeatManager manager(1s, 5, detector);
    manager.start_heartbeat("a", kStart);

    TimePoint now = kStart;
    for (int i = 0; i < 20; ++i) {
        now += 1s;
        manager.on_received("a", now);
        EXPECT_THAT(manager.poll(now).lost, IsEmpty());
    }
    EXPECT_GT(manager.phi("a", now + 1500ms).value(), 0.0);

    // mean 1 s, sd 100 ms (the floor), z(8) = 5.61, pause 500 ms: lost 2.062 s after the
    // last arrival, where the Fixed rule would wait 5 s.
    EXPECT_THAT(manager.poll(now + 2061ms).lost, IsEmpty());
    EXPECT_THAT(manager.poll(now + 2062ms).lost, ElementsAre("a"));
}

}  // namespace
}  // namespace aip::plugin
