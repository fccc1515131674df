// The aip-client subcommands. Each parses its own options and returns the process exit status.
#pragma once

#include <string>
#include <vector>

#include "aip/peer/client_endpoint.hpp"

namespace aip::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

// Values from the global options that every subcommand uses.
struct CommandContext {
    peer::ClientEndpoint& endpoint;
    std::string client_id;
    plugin::Duration request_timeout;  // bound on ACCEPTED, QUERY_REPLY and cancel confirmation
};

// Prints "aip-client: error: MESSAGE" and a hint to standard error; returns kExitUsage.
int usage_error(const std::string& message);

// Parses the subcommand's options. Returns kExitOk when they are valid, else the exit status.
using Arguments = std::vector<std::string>;

int run_submit(CommandContext& context, const Arguments& arguments);
int run_devices(CommandContext& context, const Arguments& arguments);
int run_tasks(CommandContext& context, const Arguments& arguments);
int run_watch(CommandContext& context, const Arguments& arguments);
int run_cancel(CommandContext& context, const Arguments& arguments);

// Checks a subcommand's options without contacting the broker, so that usage errors exit 2
// before any registration attempt. Returns an error message, or an empty string when valid.
std::string check_arguments(const std::string& command, const Arguments& arguments);

}  // namespace aip::client
