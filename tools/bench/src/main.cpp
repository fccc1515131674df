// aip-bench: the project's benchmark. See docs/benchmarks.md for what each subcommand measures.
//
//   aip-bench [--broker PATH] [--json] SUBCOMMAND [options]
//
// Every broker it starts listens on 127.0.0.1 with an ephemeral port and is killed on exit.
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>
#include <zmq.hpp>

#include "bench.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: aip-bench [--broker PATH] [--json] SUBCOMMAND [options]\n"
    "\n"
    "Subcommands (each takes --help):\n"
    "  throughput   echo round trips per second through aip-broker and through a bare ROUTER loop\n"
    "  heartbeats   engine CPU time per heartbeat and per tick for several device counts\n"
    "  detection    time for aip-broker to report a silenced device DISCONNECTED\n"
    "  restart      time for N devices to register again after kill -9 of aip-broker\n"
    "  memory       memory per idle registered device, in the engine and in aip-broker\n"
    "\n"
    "Options:\n"
    "  --broker PATH  the aip-broker binary (default: aip-broker next to aip-bench)\n"
    "  --json         print the results as one JSON object instead of a table\n";

std::string executable_path() {
    char buffer[PATH_MAX];
    const ssize_t length = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (length <= 0) {
        return "aip-bench";
    }
    return std::string(buffer, static_cast<std::size_t>(length));
}

}  // namespace

int main(int argc, char** argv) {
    using namespace aip::bench;
    CommonOptions common;
    common.self_path = executable_path();
    common.broker_path = (std::filesystem::path(common.self_path).parent_path() / "aip-broker").string();
    bool json = false;

    std::vector<std::string> arguments(argv + 1, argv + argc);
    std::size_t position = 0;
    for (; position < arguments.size(); ++position) {
        const std::string& argument = arguments[position];
        if (argument == "--json") {
            json = true;
        } else if (argument == "--broker" && position + 1 < arguments.size()) {
            common.broker_path = arguments[++position];
        } else if (argument == "--help" || argument == "-h") {
            std::cout << kUsage;
            return 0;
        } else {
            break;
        }
    }
    if (position == arguments.size()) {
        std::cerr << kUsage;
        return 2;
    }
    const std::string subcommand = arguments[position];
    const std::vector<std::string> rest(arguments.begin() + static_cast<std::ptrdiff_t>(position) + 1, arguments.end());

    if (subcommand == "baseline-router") {
        return run_baseline_router(rest);
    }

    try {
        Report report;
        if (subcommand == "throughput") {
            report = run_throughput(common, rest);
        } else if (subcommand == "heartbeats") {
            report = run_heartbeats(common, rest);
        } else if (subcommand == "detection") {
            report = run_detection(common, rest);
        } else if (subcommand == "restart") {
            report = run_restart(common, rest);
        } else if (subcommand == "memory") {
            report = run_memory(common, rest);
        } else {
            std::cerr << "aip-bench: unknown subcommand '" << subcommand << "'\n\n" << kUsage;
            return 2;
        }

        if (report.data.is_null()) {
            std::cout << report.text;  // --help
        } else if (json) {
            std::cout << report.data.dump(2) << std::endl;
        } else {
            std::cout << report.text;
        }
        return 0;
    } catch (const boost::program_options::error& error) {
        std::cerr << "aip-bench " << subcommand << ": " << error.what() << " (see --help)\n";
        return 2;
    } catch (const std::invalid_argument& error) {
        std::cerr << "aip-bench " << subcommand << ": " << error.what() << " (see --help)\n";
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "aip-bench " << subcommand << " failed: " << error.what() << '\n';
        return 1;
    }
}
