// Command line and config file options of aip-broker.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aip/plugin/engine.hpp"

namespace aip::broker {

struct BrokerOptions {
    std::vector<std::string> bind_endpoints;
    plugin::EngineConfig engine;
    std::string log_level{"info"};
    plugin::Duration shutdown_timeout{2000};  // bound on flushing DISCONNECTs at exit
    std::string plugin_path;                  // engine shared object; empty: the built-in engine
    std::vector<std::string> observer_paths;  // observer shared objects
    std::string observer_config;              // configuration string passed to every observer
    std::string metrics_bind;                 // HOST:PORT of the /metrics endpoint; empty: off
};

// Outcome of parsing: options to run with, or an exit code (help printed: 0, usage error: 2).
struct ParseResult {
    std::optional<BrokerOptions> options;
    int exit_code{0};
};

// Parses argv and the optional --config file. Help goes to stdout; an invalid option or value
// is reported on stderr, naming the option and the value, and returned as exit code 2.
[[nodiscard]] ParseResult parse_options(int argc, const char* const* argv);

}  // namespace aip::broker
