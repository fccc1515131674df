#include "aip/plugin/reconnector.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart{std::chrono::hours(1)};

RandomSource half() {
    return [] { return 0.5; };
}

ReconnectionPolicy exponential(std::uint32_t max_retries) {
    ReconnectionPolicy policy;
    policy.max_retries = max_retries;
    return policy;
}

TEST(Reconnector, FirstAttemptIsDueAtOnce) {
    Reconnector reconnector(exponential(4), half());
    EXPECT_EQ(reconnector.state(), Reconnector::State::Idle);
    EXPECT_EQ(reconnector.begin(kStart), Reconnector::Event::Connecting);
    EXPECT_EQ(reconnector.next_attempt_at(), kStart);
    EXPECT_TRUE(reconnector.attempt_due(kStart));
}

TEST(Reconnector, FailuresFollowThePolicy) {
    Reconnector reconnector(exponential(4), half());
    reconnector.begin(kStart);

    TimePoint now = kStart;
    for (const Duration expected : {1s, 2s, 4s, 8s}) {
        EXPECT_EQ(reconnector.on_attempt_failed(now), Reconnector::Event::RetryScheduled);
        EXPECT_EQ(reconnector.last_delay(), expected);
        EXPECT_EQ(reconnector.next_attempt_at(), now + expected);
        EXPECT_FALSE(reconnector.attempt_due(now + expected - 1ms));
        now += expected;
    }

    EXPECT_EQ(reconnector.on_attempt_failed(now), Reconnector::Event::GaveUp);
    EXPECT_EQ(reconnector.state(), Reconnector::State::GaveUp);
    EXPECT_FALSE(reconnector.next_attempt_at().has_value());
    EXPECT_EQ(reconnector.failed_attempts(), 5U);
    EXPECT_EQ(reconnector.retries(), 4U);
    EXPECT_EQ(reconnector.give_up_message(), "gave up after 4 retries (policy exponential)");
}

TEST(Reconnector, NonePolicyGivesUpAfterFirstAttempt) {
    ReconnectionPolicy policy;
    policy.policy = BackoffPolicy::None;
    Reconnector reconnector(policy, half());
    reconnector.begin(kStart);
    EXPECT_EQ(reconnector.on_attempt_failed(kStart), Reconnector::Event::GaveUp);
    EXPECT_EQ(reconnector.give_up_message(), "gave up after 0 retries (policy none)");
}

TEST(Reconnector, SingleRetryMessageIsSingular) {
    Reconnector reconnector(exponential(1), half());
    reconnector.begin(kStart);
    (void)reconnector.on_attempt_failed(kStart);
    (void)reconnector.on_attempt_failed(kStart + 1s);
    EXPECT_EQ(reconnector.give_up_message(), "gave up after 1 retry (policy exponential)");
}

TEST(Reconnector, SuccessThenLossReportsReconnection) {
    Reconnector reconnector(exponential(4), half());
    reconnector.begin(kStart);
    EXPECT_EQ(reconnector.on_success(), Reconnector::Event::Connected);
    EXPECT_EQ(reconnector.state(), Reconnector::State::Connected);

    EXPECT_EQ(reconnector.begin(kStart + 1min), Reconnector::Event::Disconnected);
    (void)reconnector.on_attempt_failed(kStart + 1min);
    EXPECT_EQ(reconnector.on_success(), Reconnector::Event::Reconnected);
}

TEST(Reconnector, SuccessResetsTheBackoff) {
    Reconnector reconnector(exponential(4), half());
    reconnector.begin(kStart);
    (void)reconnector.on_attempt_failed(kStart);
    (void)reconnector.on_attempt_failed(kStart + 1s);
    (void)reconnector.on_success();

    reconnector.begin(kStart + 1min);
    EXPECT_EQ(reconnector.failed_attempts(), 0U);
    (void)reconnector.on_attempt_failed(kStart + 1min);
    EXPECT_EQ(reconnector.last_delay(), 1s);
}

TEST(Reconnector, NewPolicyAppliesAtNextEpisode) {
    Reconnector reconnector(exponential(4), half());
    reconnector.begin(kStart);

    ReconnectionPolicy linear;
    linear.policy = BackoffPolicy::Linear;
    linear.initial_backoff = 3s;
    linear.max_backoff = 30s;
    reconnector.set_policy(linear);

    (void)reconnector.on_attempt_failed(kStart);
    EXPECT_EQ(reconnector.last_delay(), 1s);

    reconnector.begin(kStart + 1min);
    (void)reconnector.on_attempt_failed(kStart + 1min);
    EXPECT_EQ(reconnector.last_delay(), 3s);
    EXPECT_EQ(reconnector.policy().policy, BackoffPolicy::Linear);
}

TEST(Reconnector, InvalidNewPolicyThrows) {
    Reconnector reconnector(exponential(4), half());
    ReconnectionPolicy bad;
    bad.multiplier = 0.0;
    EXPECT_THROW(reconnector.set_policy(bad), std::invalid_argument);
}

TEST(Reconnector, FailureBeforeBeginThrows) {
    Reconnector reconnector(exponential(4), half());
    EXPECT_THROW((void)reconnector.on_attempt_failed(kStart), std::logic_error);
}

TEST(Reconnector, BeginAfterGiveUpStartsOver) {
    ReconnectionPolicy policy;
    policy.policy = BackoffPolicy::None;
    Reconnector reconnector(policy, half());
    reconnector.begin(kStart);
    (void)reconnector.on_attempt_failed(kStart);
    EXPECT_EQ(reconnector.begin(kStart + 1s), Reconnector::Event::Connecting);
    EXPECT_EQ(reconnector.state(), Reconnector::State::Waiting);
}

TEST(Reconnector, FirstConnectionIsNotDelayed) {
    ReconnectionPolicy policy = exponential(4);
    policy.jitter = Jitter::Full;
    Reconnector reconnector(policy, half());

    reconnector.begin(kStart);
    EXPECT_EQ(reconnector.first_delay(), 0s);
    EXPECT_EQ(reconnector.next_attempt_at(), kStart);
}

TEST(Reconnector, LostConnectionSpreadsFirstAttempt) {
    ReconnectionPolicy policy = exponential(4);
    policy.jitter = Jitter::Full;
    Reconnector reconnector(policy, half());
    reconnector.begin(kStart);
    (void)reconnector.on_success();

    reconnector.begin(kStart + 1min);
    EXPECT_EQ(reconnector.first_delay(), 500ms);
    EXPECT_EQ(reconnector.next_attempt_at(), kStart + 1min + 500ms);
    EXPECT_FALSE(reconnector.attempt_due(kStart + 1min));
}

TEST(Reconnector, EqualJitterSpreadsOverUpperHalf) {
    ReconnectionPolicy policy = exponential(4);
    policy.jitter = Jitter::Equal;
    Reconnector reconnector(policy, [] { return 0.0; });
    reconnector.begin(kStart);
    (void)reconnector.on_success();

    reconnector.begin(kStart + 1min);
    EXPECT_EQ(reconnector.first_delay(), 500ms);
}

TEST(Reconnector, NoJitterReconnectsAtOnce) {
    Reconnector reconnector(exponential(4), half());
    reconnector.begin(kStart);
    (void)reconnector.on_success();

    reconnector.begin(kStart + 1min);
    EXPECT_EQ(reconnector.first_delay(), 0s);
    EXPECT_TRUE(reconnector.attempt_due(kStart + 1min));
}

}  // namespace
}  // namespace aip::plugin
