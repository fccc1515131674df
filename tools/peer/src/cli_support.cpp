#include "aip/peer/cli_support.hpp"

#include <csignal>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace aip::peer {
namespace {

void (*stop_function)() noexcept = nullptr;

extern "C" void handle_stop_signal(int) {
    if (stop_function != nullptr) {
        stop_function();
    }
}

}  // namespace

bool configure_logging(std::string_view name, std::string_view level) {
    const auto parsed = spdlog::level::from_str(std::string(level));
    // from_str maps every unknown name to "off", so only the literal "off" may mean off.
    if (parsed == spdlog::level::off && level != "off") {
        return false;
    }

    auto logger = spdlog::stderr_color_mt(std::string(name));
    logger->set_level(parsed);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
    spdlog::set_default_logger(std::move(logger));
    return true;
}

void install_stop_signals(void (*stop)() noexcept) {
    stop_function = stop;

    struct sigaction action {};
    action.sa_handler = handle_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace aip::peer
