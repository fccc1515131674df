// aip-broker: the standalone broker for orchestrators and device agents.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

#include "broker.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
    const auto parsed = aip::broker::parse_options(argc, argv);
    if (!parsed.options) {
        return parsed.exit_code;
    }
    const auto& options = *parsed.options;

    auto logger = spdlog::stderr_color_mt("aip-broker");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    logger->set_level(spdlog::level::from_str(options.log_level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);

    try {
        return aip::broker::run_broker(options);
    } catch (const std::exception& error) {
        spdlog::critical("{}", error.what());
        return 1;
    }
}
