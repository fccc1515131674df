#include "aip/plugin/failure_detector.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "aip/plugin/duration.hpp"
#include "saturating_time.hpp"

namespace aip::plugin {
namespace {

constexpr std::size_t kMaxWindow = 10000;

// P(X > x) for a standard normal X.
double upper_tail(double x) noexcept { return 0.5 * std::erfc(x / std::sqrt(2.0)); }

TimePoint later(TimePoint at, Duration delta) noexcept {
    return detail::saturating_add(at, delta);
}

Duration to_duration(double milliseconds) noexcept {
    const double max = static_cast<double>(std::numeric_limits<Duration::rep>::max() / 2);
    return Duration{static_cast<Duration::rep>(std::ceil(std::min(milliseconds, max)))};
}

}  // namespace

std::string_view to_string(DetectorKind kind) noexcept {
    switch (kind) {
        case DetectorKind::Fixed: return "fixed";
        case DetectorKind::Phi: return "phi";
    }
    return "unknown";
}

std::optional<DetectorKind> parse_detector_kind(std::string_view name) noexcept {
    if (name == "fixed") {
        return DetectorKind::Fixed;
    }
    if (name == "phi") {
        return DetectorKind::Phi;
    }
    return std::nullopt;
}

std::optional<std::string> DetectorConfig::validate() const {
    if (!(threshold >= 0.5 && threshold <= 30.0)) {
        return "threshold (" + std::to_string(threshold) + ") is outside [0.5, 30]";
    }
    if (min_std_dev <= Duration{0}) {
        return "min_std_dev (" + format_duration(min_std_dev) + ") must be positive";
    }
    if (window < 2 || window > kMaxWindow) {
        return "window (" + std::to_string(window) + ") is outside [2, 10000]";
    }
    if (min_samples < 2 || min_samples > window) {
        return "min_samples (" + std::to_string(min_samples) + ") is outside [2, window (" +
               std::to_string(window) + ")]";
    }
    if (acceptable_pause < Duration{0}) {
        return "acceptable_pause (" + format_duration(acceptable_pause) + ") is negative";
    }
    return std::nullopt;
}

double phi_value(double elapsed_ms, double mean_ms, double std_dev_ms) noexcept {
    const double tail = upper_tail((elapsed_ms - mean_ms) / std_dev_ms);
    if (tail <= 0.0) {
        return std::numeric_limits<double>::infinity();
    }
    return -std::log10(tail);
}

double phi_quantile(double threshold) {
    // upper_tail() falls monotonically, so bisection on [-10, 40] converges to 1e-12 in about
    // 60 steps; 40 covers thresholds up to 30 with room.
    const double target = std::pow(10.0, -threshold);
    double low = -10.0;
    double high = 40.0;
    while (high - low > 1e-12) {
        const double middle = (low + high) / 2.0;
        if (upper_tail(middle) > target) {
            low = middle;
        } else {
            high = middle;
        }
    }
    return high;
}

ArrivalWindow::ArrivalWindow(std::size_t capacity) : capacity_(capacity) {}

void ArrivalWindow::add(Duration gap) {
    const std::int64_t sample = std::clamp(gap, Duration{0}, kMaxGap).count();
    if (samples_.size() < capacity_) {
        samples_.push_back(sample);
    } else {
        const std::int64_t dropped = samples_[next_];
        sum_ -= dropped;
        sum_of_squares_ -= dropped * dropped;
        samples_[next_] = sample;
        next_ = (next_ + 1) % capacity_;
    }
    sum_ += sample;
    sum_of_squares_ += sample * sample;
}

std::size_t ArrivalWindow::size() const noexcept { return samples_.size(); }

double ArrivalWindow::mean_ms() const noexcept {
    if (samples_.empty()) {
        return 0.0;
    }
    return static_cast<double>(sum_) / static_cast<double>(samples_.size());
}

double ArrivalWindow::std_dev_ms() const noexcept {
    if (samples_.size() < 2) {
        return 0.0;
    }
    // Population variance from exact integer sums: n * sum(x^2) - sum(x)^2 >= 0.
    const auto n = static_cast<double>(samples_.size());
    const double mean = static_cast<double>(sum_) / n;
    const double variance = static_cast<double>(sum_of_squares_) / n - mean * mean;
    return std::sqrt(std::max(variance, 0.0));
}

FailureDetector::FailureDetector(const DetectorConfig& config, Duration interval,
                                 std::uint32_t liveness)
    : kind_(config.kind),
      interval_(interval),
      liveness_(liveness),
      z_(0.0),
      min_std_dev_ms_(static_cast<double>(config.min_std_dev.count())),
      pause_ms_(static_cast<double>(config.acceptable_pause.count())),
      min_samples_(config.min_samples),
      capped_(config.capped),
      window_(config.kind == DetectorKind::Phi ? config.window : 0) {
    if (auto error = config.validate()) {
        throw std::invalid_argument("invalid failure detector: " + *error);
    }
    if (interval <= Duration{0}) {
        throw std::invalid_argument("heartbeat interval (" + format_duration(interval) +
                                    ") must be positive");
    }
    if (liveness == 0) {
        throw std::invalid_argument("heartbeat liveness (0) must be at least 1");
    }
    if (kind_ == DetectorKind::Phi) {
        z_ = phi_quantile(config.threshold);
    }
}

void FailureDetector::restart(TimePoint now) noexcept { last_arrival_ = now; }

void FailureDetector::record_arrival(TimePoint at) {
    if (kind_ == DetectorKind::Phi && at >= last_arrival_) {
        window_.add(std::chrono::duration_cast<Duration>(at - last_arrival_));
    }
    last_arrival_ = std::max(last_arrival_, at);
}

bool FailureDetector::uses_phi() const noexcept {
    return kind_ == DetectorKind::Phi && window_.size() >= min_samples_;
}

TimePoint FailureDetector::lost_at() const noexcept {
    const auto max = std::numeric_limits<Duration::rep>::max();
    const Duration fixed_silence =
        interval_.count() > max / liveness_ ? Duration{max} : interval_ * liveness_;
    const TimePoint fixed_lost_at = later(last_arrival_, fixed_silence);
    if (!uses_phi()) {
        return fixed_lost_at;
    }

    const double sd = std::max(window_.std_dev_ms(), min_std_dev_ms_);
    const double model = window_.mean_ms() + z_ * sd;
    const double silence = std::max(model, static_cast<double>(interval_.count())) + pause_ms_;
    const TimePoint phi_lost_at = later(last_arrival_, to_duration(silence));
    return capped_ ? std::min(phi_lost_at, fixed_lost_at) : phi_lost_at;
}

double FailureDetector::phi(TimePoint now) const noexcept {
    if (!uses_phi()) {
        return 0.0;
    }
    const double elapsed =
        std::chrono::duration<double, std::milli>(now - last_arrival_).count();
    const double sd = std::max(window_.std_dev_ms(), min_std_dev_ms_);
    return phi_value(elapsed, window_.mean_ms() + pause_ms_, sd);
}

const ArrivalWindow& FailureDetector::window() const noexcept { return window_; }

}  // namespace aip::plugin
