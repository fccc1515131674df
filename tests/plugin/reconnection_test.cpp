#include "aip/plugin/reconnection.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A random source that returns the given values in turn, then repeats the last one.
RandomSource fixed_source(std::vector<double> values) {
    auto index = std::make_shared<std::size_t>(0);
    return [values = std::move(values), index]() {
        const double value = values[std::min(*index, values.size() - 1)];
        ++*index;
        return value;
    };
}

std::vector<Duration> drain(ReconnectionStrategy& strategy) {
    std::vector<Duration> delays;
    while (auto delay = strategy.next_delay()) {
        delays.push_back(*delay);
    }
    return delays;
}

ReconnectionPolicy policy_of(BackoffPolicy kind, Jitter jitter = Jitter::None) {
    ReconnectionPolicy policy;
    policy.policy = kind;
    policy.jitter = jitter;
    return policy;
}

TEST(ReconnectionPolicy, DefaultsMatchDocumentation) {
    const ReconnectionPolicy policy;
    EXPECT_EQ(policy.policy, BackoffPolicy::Exponential);
    EXPECT_EQ(policy.max_retries, 5U);
    EXPECT_EQ(policy.initial_backoff, 1s);
    EXPECT_EQ(policy.max_backoff, 60s);
    EXPECT_EQ(policy.multiplier, 2.0);
    EXPECT_EQ(policy.jitter, Jitter::None);
    EXPECT_FALSE(policy.validate().has_value());
}

TEST(ReconnectionStrategy, ExponentialDoublesFromInitial) {
    ReconnectionStrategy strategy(policy_of(BackoffPolicy::Exponential), fixed_source({0.5}));
    EXPECT_EQ(drain(strategy), (std::vector<Duration>{1s, 2s, 4s, 8s, 16s}));
}

TEST(ReconnectionStrategy, LinearGrowsByInitial) {
    ReconnectionStrategy strategy(policy_of(BackoffPolicy::Linear), fixed_source({0.5}));
    EXPECT_EQ(drain(strategy), (std::vector<Duration>{1s, 2s, 3s, 4s, 5s}));
}

TEST(ReconnectionStrategy, ImmediateIsAlwaysZero) {
    auto policy = policy_of(BackoffPolicy::Immediate, Jitter::Full);
    policy.max_retries = 3;
    ReconnectionStrategy strategy(policy, fixed_source({0.5}));
    EXPECT_EQ(drain(strategy), (std::vector<Duration>{0ms, 0ms, 0ms}));
}

TEST(ReconnectionStrategy, NoneNeverRetries) {
    ReconnectionStrategy strategy(policy_of(BackoffPolicy::None), fixed_source({0.5}));
    EXPECT_FALSE(strategy.next_delay().has_value());
    EXPECT_EQ(strategy.retries(), 0U);
}

TEST(ReconnectionStrategy, ExponentialCapsAtMaxBackoff) {
    auto policy = policy_of(BackoffPolicy::Exponential);
    policy.max_retries = 8;
    policy.max_backoff = 10s;
    ReconnectionStrategy strategy(policy, fixed_source({0.5}));
    EXPECT_EQ(drain(strategy), (std::vector<Duration>{1s, 2s, 4s, 8s, 10s, 10s, 10s, 10s}));
}

TEST(ReconnectionStrategy, HugeMultiplierSaturatesAtCap) {
    auto policy = policy_of(BackoffPolicy::Exponential);
    policy.max_retries = 100;
    policy.multiplier = 10.0;
    ReconnectionStrategy strategy(policy, fixed_source({0.5}));
    const auto delays = drain(strategy);
    ASSERT_EQ(delays.size(), 100U);
    for (const auto delay : delays) {
        EXPECT_GE(delay, 0ms);
        EXPECT_LE(delay, 60s);
    }
    EXPECT_EQ(delays.back(), 60s);
}

TEST(ReconnectionStrategy, LinearWithHugeInitialSaturates) {
    auto policy = policy_of(BackoffPolicy::Linear);
    policy.max_retries = 1000;
    policy.initial_backoff = Duration{std::numeric_limits<Duration::rep>::max() / 2};
    policy.max_backoff = Duration{std::numeric_limits<Duration::rep>::max()};
    ReconnectionStrategy strategy(policy, fixed_source({0.5}));
    for (const auto delay : drain(strategy)) {
        EXPECT_GE(delay, 0ms);
    }
}

TEST(ReconnectionStrategy, ResetStartsANewEpisode) {
    ReconnectionStrategy strategy(policy_of(BackoffPolicy::Exponential), fixed_source({0.5}));
    (void)strategy.next_delay();
    (void)strategy.next_delay();
    strategy.reset();
    EXPECT_EQ(strategy.retries(), 0U);
    EXPECT_EQ(strategy.next_delay(), 1s);
}

TEST(ReconnectionStrategy, FullJitterScalesTheDelay) {
    ReconnectionStrategy strategy(policy_of(BackoffPolicy::Exponential, Jitter::Full),
                                  fixed_source({0.25, 0.5, 0.0}));
    EXPECT_EQ(strategy.next_delay(), 250ms);  // rand(0, 1s)
    EXPECT_EQ(strategy.next_delay(), 1s);     // rand(0, 2s)
    EXPECT_EQ(strategy.next_delay(), 0ms);    // rand(0, 4s)
}

TEST(ReconnectionStrategy, EqualJitterKeepsHalf) {
    ReconnectionStrategy strategy(policy_of(BackoffPolicy::Exponential, Jitter::Equal),
                                  fixed_source({0.0, 0.5, 0.999}));
    EXPECT_EQ(strategy.next_delay(), 500ms);   // 0.5s + rand(0, 0.5s)
    EXPECT_EQ(strategy.next_delay(), 1500ms);  // 1s + rand(0, 1s)
    EXPECT_EQ(strategy.next_delay(), 3998ms);  // 2s + rand(0, 2s), rounded
}

TEST(ReconnectionStrategy, DecorrelatedGrowsFromPrevious) {
    auto policy = policy_of(BackoffPolicy::Exponential, Jitter::Decorrelated);
    policy.max_backoff = 10s;
    ReconnectionStrategy strategy(policy, fixed_source({0.5, 0.5, 1.0, 0.0}));
    EXPECT_EQ(strategy.next_delay(), 2s);    // rand(1s, 3s)
    EXPECT_EQ(strategy.next_delay(), 3500ms);  // rand(1s, 6s)
    EXPECT_EQ(strategy.next_delay(), 10s);   // rand(1s, 10.5s) capped at 10s
    EXPECT_EQ(strategy.next_delay(), 1s);    // rand(1s, 30s)
}

TEST(ReconnectionStrategy, ProportionalSpreadsAroundTheDelay) {
    auto policy = policy_of(BackoffPolicy::Linear, Jitter::Proportional);
    policy.proportional_jitter = 0.2;
    ReconnectionStrategy strategy(policy, fixed_source({0.0, 1.0, 0.5}));
    EXPECT_EQ(strategy.next_delay(), 800ms);   // 1s x 0.8
    EXPECT_EQ(strategy.next_delay(), 2400ms);  // 2s x 1.2
    EXPECT_EQ(strategy.next_delay(), 3s);      // 3s x 1.0
}

TEST(ReconnectionStrategy, ProportionalJitterNeverExceedsCap) {
    auto policy = policy_of(BackoffPolicy::Exponential, Jitter::Proportional);
    policy.max_backoff = 4s;
    policy.max_retries = 6;
    ReconnectionStrategy strategy(policy, fixed_source({1.0}));
    for (const auto delay : drain(strategy)) {
        EXPECT_LE(delay, 4s);
    }
}

TEST(ReconnectionStrategy, SeededJitterStaysInRange) {
    auto policy = policy_of(BackoffPolicy::Exponential, Jitter::Equal);
    policy.max_retries = 50;
    ReconnectionStrategy strategy(policy, seeded_random_source(42));
    for (std::uint32_t n = 1; n <= 50; ++n) {
        const auto delay = strategy.next_delay();
        ASSERT_TRUE(delay.has_value());
        const auto d = std::min<Duration>(Duration{1000LL << std::min(n - 1, 20U)}, 60s);
        EXPECT_GE(*delay, d / 2) << "retry " << n;
        EXPECT_LE(*delay, d) << "retry " << n;
    }
}

TEST(ReconnectionStrategy, SeededSourceIsReproducible) {
    auto first = seeded_random_source(7);
    auto second = seeded_random_source(7);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(first(), second());
    }
}

TEST(ReconnectionStrategy, InvalidPolicyThrows) {
    auto policy = policy_of(BackoffPolicy::Exponential);
    policy.multiplier = 0.5;
    EXPECT_THROW(ReconnectionStrategy(policy, fixed_source({0.5})), std::invalid_argument);
}

TEST(ReconnectionPolicy, RejectsNegativeInitialBackoff) {
    ReconnectionPolicy policy;
    policy.initial_backoff = -5ms;
    const auto error = policy.validate();
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("initial_backoff (-5ms)"));
}

TEST(ReconnectionPolicy, RejectsNegativeMaxBackoff) {
    ReconnectionPolicy policy;
    policy.initial_backoff = 0ms;
    policy.max_backoff = -1s;
    const auto error = policy.validate();
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("max_backoff (-1s)"));
}

TEST(ReconnectionPolicy, RejectsMaxBelowInitial) {
    ReconnectionPolicy policy;
    policy.initial_backoff = 2s;
    policy.max_backoff = 500ms;
    EXPECT_EQ(policy.validate(), "max_backoff (500ms) is below initial_backoff (2s)");
}

TEST(ReconnectionPolicy, RejectsMultiplierBelowOne) {
    ReconnectionPolicy policy;
    policy.multiplier = 0.5;
    const auto error = policy.validate();
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("multiplier (0.5)"));
}

TEST(ReconnectionPolicy, RejectsNanMultiplier) {
    ReconnectionPolicy policy;
    policy.multiplier = std::nan("");
    const auto error = policy.validate();
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("multiplier (nan)"));
}

TEST(ReconnectionPolicy, RejectsProportionalJitterOutsideUnit) {
    ReconnectionPolicy policy;
    policy.proportional_jitter = 1.5;
    const auto error = policy.validate();
    ASSERT_TRUE(error.has_value());
    EXPECT_THAT(*error, HasSubstr("proportional_jitter (1.5)"));

    policy.proportional_jitter = -0.1;
    EXPECT_TRUE(policy.validate().has_value());
}

TEST(ReconnectionPolicy, AcceptsZeroBackoffs) {
    ReconnectionPolicy policy;
    policy.initial_backoff = 0ms;
    policy.max_backoff = 0ms;
    EXPECT_FALSE(policy.validate().has_value());
}

TEST(ReconnectionPolicy, ImmediateWarns) {
    ReconnectionPolicy policy;
    policy.policy = BackoffPolicy::Immediate;
    EXPECT_EQ(policy.warnings(), (std::vector<std::string>{
                                     "immediate reconnection can overwhelm a server; use it "
                                     "for tests only"}));
}

TEST(ReconnectionPolicy, ExponentialHasNoWarning) {
    EXPECT_TRUE(ReconnectionPolicy{}.warnings().empty());
}

TEST(ReconnectionPolicy, ParsesLowerCaseNames) {
    EXPECT_EQ(parse_backoff_policy("exponential"), BackoffPolicy::Exponential);
    EXPECT_EQ(parse_backoff_policy("linear"), BackoffPolicy::Linear);
    EXPECT_EQ(parse_backoff_policy("immediate"), BackoffPolicy::Immediate);
    EXPECT_EQ(parse_backoff_policy("none"), BackoffPolicy::None);
    EXPECT_FALSE(parse_backoff_policy("Exponential").has_value());
    EXPECT_FALSE(parse_backoff_policy("").has_value());

    EXPECT_EQ(parse_jitter("none"), Jitter::None);
    EXPECT_EQ(parse_jitter("full"), Jitter::Full);
    EXPECT_EQ(parse_jitter("equal"), Jitter::Equal);
    EXPECT_EQ(parse_jitter("decorrelated"), Jitter::Decorrelated);
    EXPECT_EQ(parse_jitter("proportional"), Jitter::Proportional);
    EXPECT_FALSE(parse_jitter("random").has_value());
}

TEST(ReconnectionPolicy, NamesRoundTrip) {
    for (const auto kind : {BackoffPolicy::Exponential, BackoffPolicy::Linear,
                            BackoffPolicy::Immediate, BackoffPolicy::None}) {
        EXPECT_EQ(parse_backoff_policy(to_string(kind)), kind);
    }
    for (const auto jitter : {Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated,
                              Jitter::Proportional}) {
        EXPECT_EQ(parse_jitter(to_string(jitter)), jitter);
    }
}

}  // namespace
}  // namespace aip::plugin
