// Reconnector: the attempt loop of one reconnection episode, without sockets or clocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "aip/plugin/reconnection.hpp"
#include "aip/plugin/time.hpp"

namespace aip::plugin {

// Drives connection attempts for one peer. The caller owns the socket and the clock:
//
//   reconnector.begin(now);                      // first connect, or the connection was lost
//   while (reconnector.attempt_due(now)) {       // in the socket loop, at next_attempt_at()
//       if (connect_and_register()) { reconnector.on_success(); break; }
//       if (reconnector.on_attempt_failed(now) == Reconnector::Event::GaveUp) {
//           log(reconnector.give_up_message());  // "gave up after 4 retries (policy exponential)"
//       }
//   }
//
// The first attempt of a first connection is due at once. After a lost connection it waits a
// jittered share of initial_backoff (see first_delay()), so that peers that lost the same broker
// at the same moment do not all register at once. Each failure then takes from the
// ReconnectionStrategy the delay before the next attempt, counted from the failure.
class Reconnector {
public:
    enum class State : std::uint8_t {
        Idle,       // never started
        Waiting,    // an attempt is due at next_attempt_at()
        Connected,  // the last attempt succeeded
        GaveUp,     // the policy allows no more retries; begin() starts over
    };

    // Change made by a call, for the caller's log line and its observers.
    enum class Event : std::uint8_t {
        Connecting,      // begin() from Idle or GaveUp: the first connection of an episode
        Disconnected,    // begin() from Connected: a connection was lost
        RetryScheduled,  // on_attempt_failed(): the next attempt is due at next_attempt_at()
        GaveUp,          // on_attempt_failed(): no retry left
        Connected,       // on_success() after Connecting
        Reconnected,     // on_success() after Disconnected
    };

    // Throws std::invalid_argument when the policy is invalid or `random` is empty.
    Reconnector(ReconnectionPolicy policy, RandomSource random);

    // Starts an episode: resets the retry count and makes the first attempt due at `now`, or at
    // `now + first_delay()` when a connection was lost.
    Event begin(TimePoint now);

    // Records that the attempt failed at `now`. Schedules the next attempt or gives up.
    Event on_attempt_failed(TimePoint now);

    // Records that the attempt succeeded; the next begin() counts as a disconnection.
    Event on_success();

    // Returns the time of the next attempt; set only in State::Waiting.
    [[nodiscard]] std::optional<TimePoint> next_attempt_at() const noexcept;
    [[nodiscard]] bool attempt_due(TimePoint now) const noexcept;

    // Replaces the policy (for example the one the broker recommends); applies from the next
    // begin(). Throws std::invalid_argument when it is invalid.
    void set_policy(const ReconnectionPolicy& policy);

    [[nodiscard]] State state() const noexcept;
    // Failed attempts in this episode, the first attempt included.
    [[nodiscard]] std::uint32_t failed_attempts() const noexcept;
    // Retries scheduled in this episode (failed_attempts() - 1 once it gave up).
    [[nodiscard]] std::uint32_t retries() const noexcept;
    // The delay scheduled by the last on_attempt_failed(), zero before.
    [[nodiscard]] Duration last_delay() const noexcept;
    // The wait before the first attempt of this episode: zero for a first connection, for the
    // policies immediate and none, and for jitter none. After a lost connection: a uniform
    // share of initial_backoff, [0, initial] for full and decorrelated jitter,
    // [initial/2, initial] for equal, [0, 2 x proportional_jitter x initial] for proportional.
    [[nodiscard]] Duration first_delay() const noexcept;
    [[nodiscard]] const ReconnectionPolicy& policy() const noexcept;

    // Returns "gave up after N retries (policy P)" for the current episode.
    [[nodiscard]] std::string give_up_message() const;

private:
    Duration spread_first_attempt();

    ReconnectionStrategy strategy_;
    RandomSource random_;
    std::optional<ReconnectionPolicy> pending_policy_;
    State state_{State::Idle};
    bool reconnecting_{false};
    std::uint32_t failed_attempts_{0};
    Duration last_delay_{0};
    Duration first_delay_{0};
    std::optional<TimePoint> next_attempt_at_;
};

[[nodiscard]] std::string_view to_string(Reconnector::State state) noexcept;
[[nodiscard]] std::string_view to_string(Reconnector::Event event) noexcept;

}  // namespace aip::plugin
