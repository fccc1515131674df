// Time types of the engine. The engine never reads a clock: callers pass the time in.
#pragma once

#include <chrono>

namespace aip::plugin {

using Duration = std::chrono::milliseconds;
// A point on the host's monotonic clock (std::chrono::steady_clock in aip-broker, a virtual clock
// in tests).
using TimePoint = std::chrono::steady_clock::time_point;

}  // namespace aip::plugin
