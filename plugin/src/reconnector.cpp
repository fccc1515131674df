#include "aip/plugin/reconnector.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "saturating_time.hpp"

namespace aip::plugin {

Reconnector::Reconnector(ReconnectionPolicy policy, RandomSource random)
    : strategy_(std::move(policy), random), random_(random) {}

Reconnector::Event Reconnector::begin(TimePoint now) {
    if (pending_policy_) {
        strategy_ = ReconnectionStrategy(*pending_policy_, random_);
        pending_policy_.reset();
    }

    reconnecting_ = state_ == State::Connected;
    strategy_.reset();
    failed_attempts_ = 0;
    last_delay_ = Duration{0};
    first_delay_ = reconnecting_ ? spread_first_attempt() : Duration{0};
    next_attempt_at_ = detail::saturating_add(now, first_delay_);
    state_ = State::Waiting;
    return reconnecting_ ? Event::Disconnected : Event::Connecting;
}

Reconnector::Event Reconnector::on_attempt_failed(TimePoint now) {
    if (state_ != State::Waiting) {
        throw std::logic_error("Reconnector::on_attempt_failed() called in state " +
                               std::string(to_string(state_)) + "; call begin() first");
    }
    ++failed_attempts_;

    const auto delay = strategy_.next_delay();
    if (!delay) {
        state_ = State::GaveUp;
        next_attempt_at_.reset();
        return Event::GaveUp;
    }

    last_delay_ = *delay;
    next_attempt_at_ = detail::saturating_add(now, *delay);
    return Event::RetryScheduled;
}

Reconnector::Event Reconnector::on_success() {
    const bool reconnected = reconnecting_;
    state_ = State::Connected;
    next_attempt_at_.reset();
    reconnecting_ = false;
    return reconnected ? Event::Reconnected : Event::Connected;
}

std::optional<TimePoint> Reconnector::next_attempt_at() const noexcept { return next_attempt_at_; }

Duration Reconnector::first_delay() const noexcept { return first_delay_; }

Duration Reconnector::spread_first_attempt() {
    const auto& policy = strategy_.policy();
    if (policy.policy == BackoffPolicy::Immediate || policy.policy == BackoffPolicy::None) {
        return Duration{0};
    }

    const double initial = static_cast<double>(policy.initial_backoff.count());
    const double sample = std::clamp(random_(), 0.0, 1.0);
    double delay = 0.0;
    switch (policy.jitter) {
        case Jitter::None:
            return Duration{0};
        case Jitter::Full:
        case Jitter::Decorrelated:
            delay = initial * sample;
            break;
        case Jitter::Equal:
            delay = initial / 2.0 + initial / 2.0 * sample;
            break;
        case Jitter::Proportional:
            delay = 2.0 * policy.proportional_jitter * initial * sample;
            break;
    }
    return Duration{static_cast<Duration::rep>(delay)};
}

bool Reconnector::attempt_due(TimePoint now) const noexcept {
    return next_attempt_at_ && *next_attempt_at_ <= now;
}

void Reconnector::set_policy(const ReconnectionPolicy& policy) {
    if (auto error = policy.validate()) {
        throw std::invalid_argument("invalid reconnection policy: " + *error);
    }
    pending_policy_ = policy;
}

Reconnector::State Reconnector::state() const noexcept { return state_; }

std::uint32_t Reconnector::failed_attempts() const noexcept { return failed_attempts_; }

std::uint32_t Reconnector::retries() const noexcept { return strategy_.retries(); }

Duration Reconnector::last_delay() const noexcept { return last_delay_; }

const ReconnectionPolicy& Reconnector::policy() const noexcept { return strategy_.policy(); }

std::string Reconnector::give_up_message() const {
    const std::uint32_t count = strategy_.retries();
    return "gave up after " + std::to_string(count) + (count == 1 ? " retry" : " retries") +
           " (policy " + std::string(to_string(strategy_.policy().policy)) + ")";
}

std::string_view to_string(Reconnector::State state) noexcept {
    switch (state) {
        case Reconnector::State::Idle: return "idle";
        case Reconnector::State::Waiting: return "waiting";
        case Reconnector::State::Connected: return "connected";
        case Reconnector::State::GaveUp: return "gave_up";
    }
    return "unknown";
}

std::string_view to_string(Reconnector::Event event) noexcept {
    switch (event) {
        case Reconnector::Event::Connecting: return "connecting";
        case Reconnector::Event::Disconnected: return "disconnected";
        case Reconnector::Event::RetryScheduled: return "retry_scheduled";
        case Reconnector::Event::GaveUp: return "gave_up";
        case Reconnector::Event::Connected: return "connected";
        case Reconnector::Event::Reconnected: return "reconnected";
    }
    return "unknown";
}

}  // namespace aip::plugin
