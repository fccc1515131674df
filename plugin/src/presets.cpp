#include "aip/plugin/presets.hpp"

#include <array>
#include <stdexcept>

namespace aip::plugin {
namespace {

using namespace std::chrono_literals;

ReconnectionPolicy make_policy(BackoffPolicy policy, std::uint32_t max_retries, Duration initial,
                               Duration max, Jitter jitter) {
    ReconnectionPolicy result;
    result.policy = policy;
    result.max_retries = max_retries;
    result.initial_backoff = initial;
    result.max_backoff = max;
    result.multiplier = 2.0;
    result.jitter = jitter;
    return result;
}

// local: one machine or a LAN, where a broker restart takes seconds and few peers reconnect at
// once, so short linear steps without jitter keep recovery quick and predictable.
// internet: the defaults; equal jitter spreads a fleet's reconnections after a broker restart
// while keeping at least half of each delay.
// unreliable: lossy or metered links, where slow heartbeats and long backoff save traffic.
const std::array<ResiliencePreset, 3> kPresets{{
    {"local", make_policy(BackoffPolicy::Linear, 3, 1s, 10s, Jitter::None), 20s, 60s},
    {"internet", make_policy(BackoffPolicy::Exponential, 5, 2s, 60s, Jitter::Equal), 30s, 120s},
    {"unreliable", make_policy(BackoffPolicy::Exponential, 10, 5s, 300s, Jitter::Equal), 60s,
     180s},
}};

}  // namespace

std::span<const ResiliencePreset> presets() noexcept { return kPresets; }

const ResiliencePreset& find_preset(std::string_view name) {
    for (const auto& preset : kPresets) {
        if (preset.name == name) {
            return preset;
        }
    }
    throw std::invalid_argument("unknown resilience preset '" + std::string(name) +
                                "'; valid names: " + preset_names());
}

std::string preset_names() {
    std::string names;
    for (const auto& preset : kPresets) {
        if (!names.empty()) {
            names += ", ";
        }
        names += preset.name;
    }
    return names;
}

}  // namespace aip::plugin
