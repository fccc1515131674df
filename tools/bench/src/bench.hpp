// The subcommands of aip-bench. Each parses its own options and returns its results as JSON
// plus a plain-text report.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aip::bench {

struct CommonOptions {
    std::string broker_path;  // the aip-broker binary
    std::string self_path;    // this binary, started again as the baseline router
};

struct Report {
    nlohmann::json data;
    std::string text;
};

// Each throws std::runtime_error when a wait passes its deadline or a child process fails, and
// std::invalid_argument on an invalid option. With `--help`, `data` is null and `text` is the help.
[[nodiscard]] Report run_throughput(const CommonOptions& common, const std::vector<std::string>& arguments);
[[nodiscard]] Report run_heartbeats(const CommonOptions& common, const std::vector<std::string>& arguments);
[[nodiscard]] Report run_detection(const CommonOptions& common, const std::vector<std::string>& arguments);
[[nodiscard]] Report run_restart(const CommonOptions& common, const std::vector<std::string>& arguments);
[[nodiscard]] Report run_memory(const CommonOptions& common, const std::vector<std::string>& arguments);

// The bare ROUTER forwarding loop used as the throughput baseline; runs until killed.
int run_baseline_router(const std::vector<std::string>& arguments);

}  // namespace aip::bench
