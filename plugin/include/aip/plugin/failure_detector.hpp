// Failure detectors: when a peer that went silent counts as lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aip/plugin/time.hpp"

namespace aip::plugin {

enum class DetectorKind : std::uint8_t {
    Fixed,  // lost after liveness intervals with nothing received
    Phi,    // phi-accrual: lost when the silence is improbable given the recent arrivals
};

[[nodiscard]] std::string_view to_string(DetectorKind kind) noexcept;
[[nodiscard]] std::optional<DetectorKind> parse_detector_kind(std::string_view name) noexcept;

// Options of the failure detector. Only `kind` applies to Fixed; the rest tune Phi.
struct DetectorConfig {
    DetectorKind kind{DetectorKind::Fixed};
    // Phi level at which a peer is lost: phi = -log10(P(an arrival comes even later)).
    // 8 means a false suspicion chance of 1e-8 per silence if gaps were normally distributed.
    double threshold{8.0};
    // Floor of the standard deviation of the gaps, so that very regular peers are not lost on
    // the first small delay.
    Duration min_std_dev{100};
    // Inter-arrival gaps kept per peer (the oldest is dropped first); 2 to 10000.
    std::size_t window{100};
    // Gaps needed before Phi applies; until then the Fixed rule decides. At least 2.
    std::size_t min_samples{8};
    // Extra silence tolerated on top of the model, for delays the window has not seen.
    Duration acceptable_pause{500};
    // When true, Phi also convicts once the Fixed rule would (liveness silent intervals), so it
    // can only convict earlier than Fixed and the detection bound interval x liveness holds.
    bool capped{true};

    // Returns an error naming the option and the value, or nullopt when the config is valid.
    [[nodiscard]] std::optional<std::string> validate() const;
};

// Returns phi = -log10(P(X > elapsed)) for X normal with the given mean and standard deviation
// (milliseconds). Large silences give +infinity.
[[nodiscard]] double phi_value(double elapsed_ms, double mean_ms, double std_dev_ms) noexcept;

// Returns z such that a standard normal exceeds z with probability 10^-threshold, so that
// phi_value(mean + z x sd, mean, sd) == threshold.
[[nodiscard]] double phi_quantile(double threshold);

// The last `capacity` inter-arrival gaps of one peer, with their running mean and variance.
// Gaps are whole milliseconds clamped to kMaxGap, so the integer sums stay exact for any
// window up to 10000 gaps.
class ArrivalWindow {
public:
    explicit ArrivalWindow(std::size_t capacity);

    void add(Duration gap);
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] double mean_ms() const noexcept;
    [[nodiscard]] double std_dev_ms() const noexcept;

    static constexpr Duration kMaxGap{10'000'000};

private:
    std::vector<std::int64_t> samples_;
    std::size_t capacity_;
    std::size_t next_{0};
    std::int64_t sum_{0};
    std::int64_t sum_of_squares_{0};
};

// The failure detector of one peer. It tracks arrivals and returns the time at which the peer
// is lost if nothing else arrives.
//
// Fixed: lost at last arrival + interval x liveness.
// Phi: lost at last arrival + max(mean + z x sd, interval) + acceptable_pause, where mean and sd
// come from the window (sd at least min_std_dev) and z = phi_quantile(threshold). That is the
// first time at which phi, computed with the mean shifted by acceptable_pause, reaches the
// threshold, but never before one interval plus the pause: a peer that only sends heartbeats
// after one silent interval must not be lost in between, whatever short gaps a burst of
// traffic left in the window.
class FailureDetector {
public:
    // Throws std::invalid_argument when the config is invalid, the interval is not positive or
    // liveness is 0.
    FailureDetector(const DetectorConfig& config, Duration interval, std::uint32_t liveness);

    // Starts over as if something had just arrived at `now`, keeping the window.
    void restart(TimePoint now) noexcept;
    // Records an arrival (any message) at `at`.
    void record_arrival(TimePoint at);

    // Returns the time at which the peer counts as lost if nothing arrives before.
    [[nodiscard]] TimePoint lost_at() const noexcept;
    // Returns phi at `now`; 0 while the Fixed rule decides (Fixed kind or too few samples).
    [[nodiscard]] double phi(TimePoint now) const noexcept;
    [[nodiscard]] bool uses_phi() const noexcept;
    [[nodiscard]] const ArrivalWindow& window() const noexcept;

private:
    DetectorKind kind_;
    Duration interval_;
    std::uint32_t liveness_;
    double z_;
    double min_std_dev_ms_;
    double pause_ms_;
    std::size_t min_samples_;
    bool capped_;
    ArrivalWindow window_;
    TimePoint last_arrival_{};
};

}  // namespace aip::plugin
