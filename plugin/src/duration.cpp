#include "aip/plugin/duration.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace aip::plugin {

std::optional<Duration> parse_duration(std::string_view text) noexcept {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
        ++digits;
    }
    if (digits == 0 || digits > 18) {
        return std::nullopt;
    }

    std::int64_t value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        value = value * 10 + (text[i] - '0');
    }

    const std::string_view unit = text.substr(digits);
    std::int64_t unit_ms = 0;
    if (unit == "ms") {
        unit_ms = 1;
    } else if (unit == "s") {
        unit_ms = 1000;
    } else if (unit == "m") {
        unit_ms = 60 * 1000;
    } else if (unit == "h") {
        unit_ms = 60 * 60 * 1000;
    } else {
        return std::nullopt;
    }

    if (value > std::numeric_limits<std::int64_t>::max() / unit_ms) {
        return std::nullopt;
    }
    return Duration{value * unit_ms};
}

std::string format_duration(Duration duration) {
    const std::int64_t ms = duration.count();
    if (ms != 0 && ms % (60 * 60 * 1000) == 0) {
        return std::to_string(ms / (60 * 60 * 1000)) + "h";
    }
    if (ms != 0 && ms % (60 * 1000) == 0) {
        return std::to_string(ms / (60 * 1000)) + "m";
    }
    if (ms != 0 && ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return std::to_string(ms) + "ms";
}

}  // namespace aip::plugin
