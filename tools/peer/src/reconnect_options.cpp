#include "aip/peer/reconnect_options.hpp"

#include <charconv>
#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "aip/plugin/duration.hpp"
#include "aip/plugin/presets.hpp"

namespace aip::peer {
namespace po = boost::program_options;

namespace {

constexpr std::string_view kDurationForm = "expected a duration such as 250ms, 2s or 1m";

std::optional<std::string> given(const po::variables_map& values, const char* name) {
    if (!values.count(name)) {
        return std::nullopt;
    }
    return values[name].as<std::string>();
}

std::optional<double> parse_double(std::string_view text) noexcept {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [last, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || last != end || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<std::uint64_t> parse_unsigned(std::string_view text) noexcept {
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [last, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || last != end) {
        return std::nullopt;
    }
    return value;
}

std::string invalid_option(std::string_view option, std::string_view value,
                           std::string_view expected) {
    return "invalid value '" + std::string(value) + "' for --" + std::string(option) + ": " +
           std::string(expected);
}

std::optional<std::string> check_connect_endpoint(std::string_view endpoint) {
    const auto invalid = invalid_option("connect", endpoint, "expected tcp://HOST:PORT or ipc://PATH");

    if (endpoint.starts_with("ipc://")) {
        if (endpoint.size() == std::string_view("ipc://").size()) {
            return invalid;
        }
        return std::nullopt;
    }
    if (!endpoint.starts_with("tcp://")) {
        return invalid;
    }

    // The last colon separates the port, so an IPv6 host such as [::1] keeps its colons.
    const auto address = endpoint.substr(std::string_view("tcp://").size());
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return invalid;
    }
    const auto port = parse_unsigned(address.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) {
        return invalid;
    }
    return std::nullopt;
}

std::string format_max_retries(std::uint32_t max_retries) {
    return max_retries == kUnlimitedRetries ? "unlimited" : std::to_string(max_retries);
}

void add_reconnect_options(po::options_description& description, const ReconnectDefaults& defaults) {
    const auto& policy = defaults.policy;
    const auto text = [](std::string help) { return help; };
    description.add_options()
        ("preset", po::value<std::string>()->value_name("NAME"),
         text("start from a deployment preset: " + plugin::preset_names() +
              " (reconnect policy and register timeout); the options below override its fields")
             .c_str())
        ("reconnect-policy", po::value<std::string>()->value_name("NAME"),
         text("reconnect policy: exponential, linear, immediate or none (default " +
              std::string(plugin::to_string(policy.policy)) +
              "; without any reconnect option the broker's advice applies after the first "
              "registration)").c_str())
        ("max-retries", po::value<std::string>()->value_name("N"),
         text("registration retries after the first failure before giving up, or 'unlimited' "
              "(default " + format_max_retries(policy.max_retries) + ")").c_str())
        ("initial-backoff", po::value<std::string>()->value_name("DUR"),
         text("delay before the first retry (default " +
              plugin::format_duration(policy.initial_backoff) + ")").c_str())
        ("max-backoff", po::value<std::string>()->value_name("DUR"),
         text("cap on every retry delay (default " + plugin::format_duration(policy.max_backoff) +
              ")").c_str())
        ("backoff-multiplier", po::value<std::string>()->value_name("X"),
         text("growth factor of the exponential policy, at least 1 (default " +
              fmt::format("{}", policy.multiplier) + ")").c_str())
        ("jitter", po::value<std::string>()->value_name("KIND"),
         text("jitter on retry delays: none, full, equal, decorrelated or proportional (default " +
              std::string(plugin::to_string(policy.jitter)) + ")").c_str())
        ("register-timeout", po::value<std::string>()->value_name("DUR"),
         text("wait for REGISTERED before an attempt counts as failed (default " +
              plugin::format_duration(defaults.register_timeout) + ")").c_str());
}

std::optional<std::string> read_reconnect_options(const po::variables_map& values,
                                                  const ReconnectDefaults& defaults,
                                                  SessionOptions& options) {
    auto policy = defaults.policy;
    auto register_timeout = defaults.register_timeout;
    bool any_given = false;

    if (const auto value = given(values, "preset")) {
        const plugin::ResiliencePreset* preset = nullptr;
        try {
            preset = &plugin::find_preset(*value);
        } catch (const std::invalid_argument& error) {
            return invalid_option("preset", *value, error.what());
        }
        policy = preset->reconnect;
        register_timeout = preset->operation_timeout;
        any_given = true;
    }

    if (const auto value = given(values, "reconnect-policy")) {
        const auto parsed = plugin::parse_backoff_policy(*value);
        if (!parsed) {
            return invalid_option("reconnect-policy", *value,
                                  "expected exponential, linear, immediate or none");
        }
        policy.policy = *parsed;
        any_given = true;
    }
    if (const auto value = given(values, "max-retries")) {
        const auto parsed = *value == "unlimited" ? std::optional<std::uint64_t>{kUnlimitedRetries}
                                                  : parse_unsigned(*value);
        if (!parsed || *parsed > kUnlimitedRetries) {
            return invalid_option("max-retries", *value,
                                  "expected a non-negative integer or 'unlimited'");
        }
        policy.max_retries = static_cast<std::uint32_t>(*parsed);
        any_given = true;
    }
    if (const auto value = given(values, "initial-backoff")) {
        const auto parsed = plugin::parse_duration(*value);
        if (!parsed) {
            return invalid_option("initial-backoff", *value, kDurationForm);
        }
        policy.initial_backoff = *parsed;
        any_given = true;
    }
    if (const auto value = given(values, "max-backoff")) {
        const auto parsed = plugin::parse_duration(*value);
        if (!parsed) {
            return invalid_option("max-backoff", *value, kDurationForm);
        }
        policy.max_backoff = *parsed;
        any_given = true;
    }
    if (const auto value = given(values, "backoff-multiplier")) {
        const auto parsed = parse_double(*value);
        if (!parsed || *parsed < 1.0) {
            return invalid_option("backoff-multiplier", *value, "expected a number of at least 1");
        }
        policy.multiplier = *parsed;
        any_given = true;
    }
    if (const auto value = given(values, "jitter")) {
        const auto parsed = plugin::parse_jitter(*value);
        if (!parsed) {
            return invalid_option("jitter", *value,
                                  "expected none, full, equal, decorrelated or proportional");
        }
        policy.jitter = *parsed;
        any_given = true;
    }
    if (auto error = policy.validate()) {
        return "invalid reconnect options: " + *error;
    }

    if (const auto value = given(values, "register-timeout")) {
        const auto parsed = plugin::parse_duration(*value);
        if (!parsed || *parsed <= plugin::Duration::zero()) {
            return invalid_option("register-timeout", *value,
                                  "expected a positive duration such as 250ms, 2s or 1m");
        }
        register_timeout = *parsed;
    }

    options.reconnection = policy;
    options.follow_broker_advice = !any_given;
    options.register_timeout = register_timeout;
    return std::nullopt;
}

}  // namespace aip::peer
