#include "aip/plugin/presets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(Presets, LocalValues) {
    const auto& preset = find_preset("local");
    EXPECT_EQ(preset.reconnect.max_retries, 3U);
    EXPECT_EQ(preset.reconnect.initial_backoff, 1s);
    EXPECT_EQ(preset.reconnect.max_backoff, 10s);
    EXPECT_EQ(preset.reconnect.policy, BackoffPolicy::Linear);
    EXPECT_EQ(preset.heartbeat_interval, 20s);
    EXPECT_EQ(preset.operation_timeout, 60s);
}

TEST(Presets, InternetValues) {
    const auto& preset = find_preset("internet");
    EXPECT_EQ(preset.reconnect.max_retries, 5U);
    EXPECT_EQ(preset.reconnect.initial_backoff, 2s);
    EXPECT_EQ(preset.reconnect.max_backoff, 60s);
    EXPECT_EQ(preset.reconnect.policy, BackoffPolicy::Exponential);
    EXPECT_EQ(preset.heartbeat_interval, 30s);
    EXPECT_EQ(preset.operation_timeout, 120s);
}

TEST(Presets, UnreliableValues) {
    const auto& preset = find_preset("unreliable");
    EXPECT_EQ(preset.reconnect.max_retries, 10U);
    EXPECT_EQ(preset.reconnect.initial_backoff, 5s);
    EXPECT_EQ(preset.reconnect.max_backoff, 300s);
    EXPECT_EQ(preset.reconnect.policy, BackoffPolicy::Exponential);
    EXPECT_EQ(preset.heartbeat_interval, 60s);
    EXPECT_EQ(preset.operation_timeout, 180s);
}

TEST(Presets, AllPoliciesAreValid) {
    ASSERT_EQ(presets().size(), 3U);
    for (const auto& preset : presets()) {
        EXPECT_FALSE(preset.reconnect.validate().has_value()) << preset.name;
    }
}

TEST(Presets, UnknownNameListsValidNames) {
    try {
        (void)find_preset("lan");
        FAIL() << "find_preset(\"lan\") did not throw";
    } catch (const std::invalid_argument& error) {
        EXPECT_THAT(error.what(), HasSubstr("'lan'"));
        EXPECT_THAT(error.what(), HasSubstr("local, internet, unreliable"));
    }
}

}  // namespace
}  // namespace aip::plugin
