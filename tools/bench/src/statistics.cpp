#include "statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace aip::bench {

namespace {

double nearest_rank(const std::vector<double>& sorted, double fraction) {
    const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

Distribution summarize(std::vector<double> samples) {
    Distribution result;
    if (samples.empty()) {
        return result;
    }
    std::sort(samples.begin(), samples.end());
    result.count = samples.size();
    result.min = samples.front();
    result.p50 = nearest_rank(samples, 0.50);
    result.p90 = nearest_rank(samples, 0.90);
    result.p99 = nearest_rank(samples, 0.99);
    result.max = samples.back();
    result.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
    return result;
}

nlohmann::json to_json(const Distribution& distribution) {
    return {{"count", distribution.count}, {"min", distribution.min}, {"p50", distribution.p50},
            {"p90", distribution.p90},     {"p99", distribution.p99}, {"max", distribution.max},
            {"mean", distribution.mean}};
}

}  // namespace aip::bench
