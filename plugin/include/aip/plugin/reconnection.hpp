// ReconnectionPolicy (what the user configures) and ReconnectionStrategy (the delays it implies).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aip/plugin/time.hpp"

namespace aip::plugin {

enum class BackoffPolicy : std::uint8_t { Exponential, Linear, Immediate, None };
enum class Jitter : std::uint8_t { None, Full, Equal, Decorrelated, Proportional };

[[nodiscard]] std::string_view to_string(BackoffPolicy policy) noexcept;
[[nodiscard]] std::string_view to_string(Jitter jitter) noexcept;
[[nodiscard]] std::optional<BackoffPolicy> parse_backoff_policy(std::string_view name) noexcept;
[[nodiscard]] std::optional<Jitter> parse_jitter(std::string_view name) noexcept;

struct ReconnectionPolicy {
    BackoffPolicy policy{BackoffPolicy::Exponential};
    std::uint32_t max_retries{5};           // retries after the first failure; then give up
    Duration initial_backoff{1000};
    Duration max_backoff{60000};
    double multiplier{2.0};                 // growth factor of Exponential, at least 1
    Jitter jitter{Jitter::None};
    double proportional_jitter{0.2};        // +/- fraction for Jitter::Proportional, 0 to 1

    // Returns an error naming the option and the value, or nullopt when the policy is valid.
    [[nodiscard]] std::optional<std::string> validate() const;

    // Returns advice for a valid but risky policy (Immediate), one sentence each, for the caller
    // to log; empty when there is nothing to say.
    [[nodiscard]] std::vector<std::string> warnings() const;
};

// The warning that warnings() returns for BackoffPolicy::Immediate.
inline constexpr std::string_view kImmediateWarning =
    "immediate reconnection can overwhelm a server; use it for tests only";

// Uniform random numbers in [0, 1); injectable so that tests are exact.
using RandomSource = std::function<double()>;

// Returns a RandomSource backed by a seeded std::mt19937_64.
[[nodiscard]] RandomSource seeded_random_source(std::uint64_t seed);

// The sequence of delays of one reconnection episode. A value object: no clock, no I/O.
class ReconnectionStrategy {
public:
    // Throws std::invalid_argument with the validate() message when the policy is invalid, or
    // when `random` is empty.
    ReconnectionStrategy(ReconnectionPolicy policy, RandomSource random);

    // Returns the delay before the next retry, or nullopt when the policy allows no more retries.
    [[nodiscard]] std::optional<Duration> next_delay();

    // Starts a new episode (after a successful reconnection).
    void reset() noexcept;

    [[nodiscard]] std::uint32_t retries() const noexcept;
    [[nodiscard]] const ReconnectionPolicy& policy() const noexcept;

private:
    ReconnectionPolicy policy_;
    RandomSource random_;
    std::uint32_t retries_{0};
    Duration previous_{0};
};

}  // namespace aip::plugin
