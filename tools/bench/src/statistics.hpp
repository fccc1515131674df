// Summary statistics of measured samples.
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace aip::bench {

struct Distribution {
    std::size_t count{0};
    double min{0};
    double p50{0};
    double p90{0};
    double p99{0};
    double max{0};
    double mean{0};
};

// Summarizes the samples; percentiles use the nearest rank. All zero when `samples` is empty.
[[nodiscard]] Distribution summarize(std::vector<double> samples);

[[nodiscard]] nlohmann::json to_json(const Distribution& distribution);

}  // namespace aip::bench
