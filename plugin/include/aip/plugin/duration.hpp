// Parsing and printing of human-written durations ("250ms", "2s", "1m", "1h").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aip/plugin/time.hpp"

namespace aip::plugin {

// Parses a non-negative integer followed by a unit: ms, s, m or h ("1500ms", "2s", "1m").
// A bare number without a unit is rejected because it is ambiguous. Returns nullopt on any
// malformed input or on overflow.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text) noexcept;

// Formats a duration in the largest unit that represents it exactly ("2s", "250ms", "1m").
[[nodiscard]] std::string format_duration(Duration duration);

}  // namespace aip::plugin
