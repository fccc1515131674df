// Command-line options for the session (reconnect policy and register timeout), shared by
// aip-device and aip-client so that both spell and check them the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/program_options.hpp>

#include "aip/peer/session.hpp"

namespace aip::peer {

// The --max-retries value "unlimited": so many retries that the policy never gives up in practice.
inline constexpr std::uint32_t kUnlimitedRetries = UINT32_MAX;

struct ReconnectDefaults {
    plugin::ReconnectionPolicy policy;
    plugin::Duration register_timeout{5000};
};

// Adds --reconnect-policy, --max-retries, --initial-backoff, --max-backoff,
// --backoff-multiplier, --jitter and --register-timeout; the help text shows `defaults`.
void add_reconnect_options(boost::program_options::options_description& description,
                           const ReconnectDefaults& defaults);

// Stores the parsed options in `options`: given values override `defaults`. When no reconnect
// option was given, follow_broker_advice is set so that REGISTERED's advice takes over after the
// first registration. Returns an error naming the option and the value when one is invalid.
[[nodiscard]] std::optional<std::string> read_reconnect_options(
    const boost::program_options::variables_map& values, const ReconnectDefaults& defaults,
    SessionOptions& options);

// Returns "unlimited" for kUnlimitedRetries, else the number in decimal.
[[nodiscard]] std::string format_max_retries(std::uint32_t max_retries);

// Parses a decimal unsigned integer with no sign, spaces or suffix. Returns nullopt otherwise.
[[nodiscard]] std::optional<std::uint64_t> parse_unsigned(std::string_view text) noexcept;

// Checks a --connect value: tcp://HOST:PORT with a port from 1 to 65535, or ipc://PATH.
// Returns the error message naming --connect and the value, or nullopt when valid.
[[nodiscard]] std::optional<std::string> check_connect_endpoint(std::string_view endpoint);

// Returns "invalid value 'VALUE' for --OPTION: EXPECTED".
[[nodiscard]] std::string invalid_option(std::string_view option, std::string_view value,
                                         std::string_view expected);

}  // namespace aip::peer
