#include "aip/peer/reconnect_options.hpp"

#include <gtest/gtest.h>

namespace aip::peer {
namespace {

namespace po = boost::program_options;

// Parses `arguments` with the shared reconnect options. Returns the error, or an empty string when valid.
std::string read(std::vector<std::string> arguments, SessionOptions& options) {
    ReconnectDefaults defaults;
    po::options_description description;
    add_reconnect_options(description, defaults);
    po::variables_map values;
    po::store(po::command_line_parser(arguments).options(description).run(), values);
    po::notify(values);
    return read_reconnect_options(values, defaults, options).value_or("");
}

TEST(ReconnectOptions, ValidValuesAreStored) {
    SessionOptions options;
    const auto error = read({"--reconnect-policy", "linear", "--max-retries", "4", "--initial-backoff",
                             "250ms", "--max-backoff", "2s", "--jitter", "equal",
                             "--register-timeout", "1m"},
                            options);
    ASSERT_EQ(error, "");
    EXPECT_EQ(options.reconnection.policy, plugin::BackoffPolicy::Linear);
    EXPECT_EQ(options.reconnection.max_retries, 4U);
    EXPECT_EQ(options.reconnection.initial_backoff, std::chrono::milliseconds(250));
    EXPECT_EQ(options.reconnection.max_backoff, std::chrono::seconds(2));
    EXPECT_EQ(options.reconnection.jitter, plugin::Jitter::Equal);
    EXPECT_EQ(options.register_timeout, std::chrono::minutes(1));
    EXPECT_FALSE(options.follow_broker_advice);
}

TEST(ReconnectOptions, NoReconnectOptionFollowsBrokerAdvice) {
    SessionOptions options;
    ASSERT_EQ(read({"--register-timeout", "2s"}, options), "");
    EXPECT_TRUE(options.follow_broker_advice);
}

TEST(ReconnectOptions, UnlimitedMaxRetriesIsMaximum) {
    SessionOptions options;
    ASSERT_EQ(read({"--max-retries", "unlimited"}, options), "");
    EXPECT_EQ(options.reconnection.max_retries, kUnlimitedRetries);
}

TEST(ReconnectOptions, InvalidMaxRetriesNamesUnlimited) {
    SessionOptions options;
    EXPECT_EQ(read({"--max-retries", "forever"}, options),
              "invalid value 'forever' for --max-retries: expected a non-negative integer or "
              "'unlimited'");
}

TEST(ReconnectOptions, FormatMaxRetriesShowsUnlimited) {
    EXPECT_EQ(format_max_retries(kUnlimitedRetries), "unlimited");
    EXPECT_EQ(format_max_retries(7), "7");
}

TEST(ConnectEndpoint, TcpAndIpcAreAccepted) {
    EXPECT_EQ(check_connect_endpoint("tcp://127.0.0.1:5555"), std::nullopt);
    EXPECT_EQ(check_connect_endpoint("tcp://[::1]:5555"), std::nullopt);
    EXPECT_EQ(check_connect_endpoint("tcp://broker.local:1"), std::nullopt);
    EXPECT_EQ(check_connect_endpoint("ipc:///tmp/aip.sock"), std::nullopt);
}

TEST(ConnectEndpoint, MissingSchemeIsRejected) {
    EXPECT_EQ(check_connect_endpoint("127.0.0.1:5555"),
              "invalid value '127.0.0.1:5555' for --connect: expected tcp://HOST:PORT or "
              "ipc://PATH");
}

TEST(ConnectEndpoint, InvalidHostOrPortIsRejected) {
    for (const auto* endpoint : {"tcp://127.0.0.1", "tcp://:5555", "tcp://host:0", "tcp://host:65536",
                                 "tcp://host:*", "tcp://host:", "ipc://", "udp://host:5555", ""}) {
        EXPECT_NE(check_connect_endpoint(endpoint), std::nullopt) << endpoint;
    }
}

TEST(ReconnectOptions, InvalidPolicyNamesOptionAndValue) {
    SessionOptions options;
    EXPECT_EQ(read({"--reconnect-policy", "sometimes"}, options),
              "invalid value 'sometimes' for --reconnect-policy: expected exponential, linear, "
              "immediate or none");
}

TEST(ReconnectOptions, BareNumberDurationIsRejected) {
    SessionOptions options;
    EXPECT_NE(read({"--initial-backoff", "250"}, options).find("'250' for --initial-backoff"),
              std::string::npos);
}

TEST(ReconnectOptions, MultiplierBelowOneIsRejected) {
    SessionOptions options;
    EXPECT_NE(read({"--backoff-multiplier", "0.5"}, options).find("--backoff-multiplier"),
              std::string::npos);
}

TEST(ReconnectOptions, NegativeRetriesAreRejected) {
    SessionOptions options;
    EXPECT_NE(read({"--max-retries", "-1"}, options).find("'-1' for --max-retries"),
              std::string::npos);
}

TEST(ReconnectOptions, ZeroRegisterTimeoutIsRejected) {
    SessionOptions options;
    EXPECT_NE(read({"--register-timeout", "0ms"}, options).find("--register-timeout"),
              std::string::npos);
}

TEST(ReconnectOptions, UnknownJitterIsRejected) {
    SessionOptions options;
    EXPECT_NE(read({"--jitter", "lots"}, options).find("'lots' for --jitter"), std::string::npos);
}

TEST(ReconnectOptions, PresetSetsPolicyAndTimeout) {
    SessionOptions options;
    ASSERT_EQ(read({"--preset", "local"}, options), "");
    EXPECT_EQ(options.reconnection.policy, plugin::BackoffPolicy::Linear);
    EXPECT_EQ(options.reconnection.max_retries, 3U);
    EXPECT_EQ(options.reconnection.initial_backoff, std::chrono::seconds(1));
    EXPECT_EQ(options.reconnection.max_backoff, std::chrono::seconds(10));
    EXPECT_EQ(options.register_timeout, std::chrono::seconds(60));
    EXPECT_FALSE(options.follow_broker_advice);
}

TEST(ReconnectOptions, ExplicitOptionOverridesPreset) {
    SessionOptions options;
    ASSERT_EQ(read({"--preset", "unreliable", "--max-retries", "2", "--register-timeout", "3s"}, options), "");
    EXPECT_EQ(options.reconnection.policy, plugin::BackoffPolicy::Exponential);
    EXPECT_EQ(options.reconnection.max_retries, 2U);
    EXPECT_EQ(options.reconnection.max_backoff, std::chrono::seconds(300));
    EXPECT_EQ(options.register_timeout, std::chrono::seconds(3));
}

TEST(ReconnectOptions, UnknownPresetNamesValidOnes) {
    SessionOptions options;
    const auto error = read({"--preset", "lunar"}, options);
    EXPECT_NE(error.find("'lunar'"), std::string::npos) << error;
    EXPECT_NE(error.find("internet"), std::string::npos) << error;
}

}  // namespace
}  // namespace aip::peer
