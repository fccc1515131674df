// Named bundles of reconnection policy, heartbeat interval and operation timeout.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "aip/plugin/reconnection.hpp"
#include "aip/plugin/time.hpp"

namespace aip::plugin {

struct ResiliencePreset {
    std::string_view name;
    ReconnectionPolicy reconnect;
    Duration heartbeat_interval;
    // Default timeout of an operation that waits on the other side (a request and its reply).
    Duration operation_timeout;
};

// Returns every preset: local, internet, unreliable (in that order).
[[nodiscard]] std::span<const ResiliencePreset> presets() noexcept;

// Returns the preset called `name`. Throws std::invalid_argument naming the valid names when
// there is none.
[[nodiscard]] const ResiliencePreset& find_preset(std::string_view name);

// Returns the valid preset names, comma-separated ("local, internet, unreliable").
[[nodiscard]] std::string preset_names();

}  // namespace aip::plugin
