// Logging and signal set-up shared by the aip-device and aip-client programs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace aip::peer {

// Sends spdlog output to standard error under `name` at `level` (trace, debug, info, warn,
// error, critical or off). Returns false when the level name is unknown.
[[nodiscard]] bool configure_logging(std::string_view name, std::string_view level);

// Installs SIGINT and SIGTERM handlers that call `stop` (which must be async-signal-safe) and
// ignores SIGPIPE. The handlers stay installed for the life of the process.
void install_stop_signals(void (*stop)() noexcept);

}  // namespace aip::peer
