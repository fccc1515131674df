// Saturating time arithmetic shared by the timer classes (private to aip_engine).
#pragma once

#include <chrono>

#include "aip/plugin/time.hpp"

namespace aip::plugin::detail {

// Returns `at` + `delta` for delta >= 0, or the latest TimePoint when the sum would not fit.
// Compares in milliseconds because Duration::max() does not fit in TimePoint's nanoseconds.
[[nodiscard]] inline TimePoint saturating_add(TimePoint at, Duration delta) noexcept {
    const auto room = std::chrono::duration_cast<Duration>(TimePoint::max() - at);
    if (room <= delta) {
        return TimePoint::max();
    }
    return at + delta;
}

}  // namespace aip::plugin::detail
