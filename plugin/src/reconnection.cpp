#include "aip/plugin/reconnection.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <utility>

#include "aip/plugin/duration.hpp"

namespace aip::plugin {
namespace {

// Formats a double in its shortest round-trip form ("2", "0.5", "nan").
std::string format_number(double value) {
    if (std::isnan(value)) {
        return "nan";
    }
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    return std::string(buffer, result.ptr);
}

// Converts a non-negative millisecond count to a Duration, saturating at `cap`. Every delay goes
// through here, so no arithmetic on durations can overflow or turn negative.
Duration clamp_to(double milliseconds, Duration cap) {
    if (!(milliseconds > 0.0)) {
        return Duration{0};
    }
    if (milliseconds >= static_cast<double>(cap.count())) {
        return cap;
    }
    return Duration{static_cast<Duration::rep>(std::llround(milliseconds))};
}

// Returns a uniform value in [low, high) from a [0, 1) random number; tolerates a source that
// strays outside [0, 1) by clamping it.
double uniform(double low, double high, double random01) {
    const double unit = std::clamp(random01, 0.0, 1.0);
    return low + (high - low) * unit;
}

}  // namespace

std::string_view to_string(BackoffPolicy policy) noexcept {
    switch (policy) {
        case BackoffPolicy::Exponential: return "exponential";
        case BackoffPolicy::Linear: return "linear";
        case BackoffPolicy::Immediate: return "immediate";
        case BackoffPolicy::None: return "none";
    }
    return "unknown";
}

std::string_view to_string(Jitter jitter) noexcept {
    switch (jitter) {
        case Jitter::None: return "none";
        case Jitter::Full: return "full";
        case Jitter::Equal: return "equal";
        case Jitter::Decorrelated: return "decorrelated";
        case Jitter::Proportional: return "proportional";
    }
    return "unknown";
}

std::optional<BackoffPolicy> parse_backoff_policy(std::string_view name) noexcept {
    for (const auto policy : {BackoffPolicy::Exponential, BackoffPolicy::Linear,
                              BackoffPolicy::Immediate, BackoffPolicy::None}) {
        if (name == to_string(policy)) {
            return policy;
        }
    }
    return std::nullopt;
}

std::optional<Jitter> parse_jitter(std::string_view name) noexcept {
    for (const auto jitter : {Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated,
                              Jitter::Proportional}) {
        if (name == to_string(jitter)) {
            return jitter;
        }
    }
    return std::nullopt;
}

std::optional<std::string> ReconnectionPolicy::validate() const {
    if (initial_backoff < Duration{0}) {
        return "initial_backoff (" + format_duration(initial_backoff) +
               ") is negative; use 0 or more";
    }
    if (max_backoff < Duration{0}) {
        return "max_backoff (" + format_duration(max_backoff) + ") is negative; use 0 or more";
    }
    if (max_backoff < initial_backoff) {
        return "max_backoff (" + format_duration(max_backoff) + ") is below initial_backoff (" +
               format_duration(initial_backoff) + ")";
    }
    if (std::isnan(multiplier)) {
        return std::string("multiplier (nan) is not a number; use 1 or more");
    }
    if (multiplier < 1.0) {
        return "multiplier (" + format_number(multiplier) + ") is below 1; use 1 or more";
    }
    if (std::isnan(proportional_jitter) || proportional_jitter < 0.0 ||
        proportional_jitter > 1.0) {
        return "proportional_jitter (" + format_number(proportional_jitter) +
               ") is outside [0, 1]";
    }
    return std::nullopt;
}

std::vector<std::string> ReconnectionPolicy::warnings() const {
    std::vector<std::string> result;
    if (policy == BackoffPolicy::Immediate) {
        result.emplace_back(kImmediateWarning);
    }
    return result;
}

RandomSource seeded_random_source(std::uint64_t seed) {
    auto engine = std::make_shared<std::mt19937_64>(seed);
    return [engine]() {
        return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
}

ReconnectionStrategy::ReconnectionStrategy(ReconnectionPolicy policy, RandomSource random)
    : policy_(std::move(policy)), random_(std::move(random)) {
    if (auto error = policy_.validate()) {
        throw std::invalid_argument("invalid reconnection policy: " + *error);
    }
    if (!random_) {
        throw std::invalid_argument("invalid reconnection policy: the random source is empty");
    }
}

std::optional<Duration> ReconnectionStrategy::next_delay() {
    if (policy_.policy == BackoffPolicy::None || retries_ >= policy_.max_retries) {
        return std::nullopt;
    }
    ++retries_;

    // Immediate means no delay at all, so jitter has nothing to spread.
    if (policy_.policy == BackoffPolicy::Immediate) {
        previous_ = Duration{0};
        return previous_;
    }

    const auto cap = policy_.max_backoff;
    const auto initial = static_cast<double>(policy_.initial_backoff.count());
    const auto n = static_cast<double>(retries_);

    // The unjittered delay of retry n, capped. pow() of a large exponent gives +inf, which
    // clamp_to() turns into the cap.
    const double raw = policy_.policy == BackoffPolicy::Linear
                           ? initial * n
                           : initial * std::pow(policy_.multiplier, n - 1.0);
    const Duration capped = clamp_to(raw, cap);
    const auto d = static_cast<double>(capped.count());

    Duration delay = capped;
    switch (policy_.jitter) {
        case Jitter::None:
            break;
        case Jitter::Full:
            delay = clamp_to(uniform(0.0, d, random_()), cap);
            break;
        case Jitter::Equal:
            delay = clamp_to(d / 2.0 + uniform(0.0, d / 2.0, random_()), cap);
            break;
        case Jitter::Decorrelated: {
            // Each delay grows from the previous one, not from n; the first uses initial.
            const double previous =
                retries_ == 1 ? initial : static_cast<double>(previous_.count());
            delay = clamp_to(uniform(initial, std::max(initial, previous * 3.0), random_()), cap);
            break;
        }
        case Jitter::Proportional: {
            const double f = policy_.proportional_jitter;
            delay = clamp_to(d * uniform(1.0 - f, 1.0 + f, random_()), cap);
            break;
        }
    }
    previous_ = delay;
    return delay;
}

void ReconnectionStrategy::reset() noexcept {
    retries_ = 0;
    previous_ = Duration{0};
}

std::uint32_t ReconnectionStrategy::retries() const noexcept { return retries_; }

const ReconnectionPolicy& ReconnectionStrategy::policy() const noexcept { return policy_; }

}  // namespace aip::plugin
