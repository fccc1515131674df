// aip-device: a device agent that runs the built-in actions (sleep, echo, fail, exec) for tasks
// assigned by an aip-broker.
#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "aip/peer/actions.hpp"
#include "aip/peer/cli_support.hpp"
#include "aip/peer/device_endpoint.hpp"
#include "aip/peer/reconnect_options.hpp"
#include "aip/proto/codec.hpp"

namespace po = boost::program_options;
using aip::peer::invalid_option;

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitGaveUp = 3;

constexpr const char* kUsage = R"(Usage: aip-device --connect ENDPOINT --id ID [options]

Registers with an aip-broker as device ID and runs the tasks it assigns. The task payload is a
MessagePack map whose "action" key selects a built-in action:
  {"action":"sleep","ms":N}        wait N ms (stopped by ABORT); result {"slept_ms":N}
  {"action":"echo","data":ANY}     result: data
  {"action":"fail","message":S}    failed result with error S
  {"action":"exec","argv":[S,...]} run a program (only with --allow-exec) in its own process
                                   group; result {"exit_code" or "signal", "stdout", "stderr",
                                   "stdout_truncated", "stderr_truncated"}; a non-zero exit
                                   status fails the task; ABORT kills the process group.
                                   If the device itself is killed (SIGKILL), the program
                                   dies with it, but programs it started in turn may survive
Any other action fails the task with an error naming it.

Durations are an integer with a unit: 250ms, 2s, 1m, 1h.

During a broker outage the device retries registration without limit by default (--max-retries
unlimited), with exponential backoff capped at --max-backoff. Without any reconnect option the
broker's reconnect advice sets the other policy fields after the first registration, but never
the retry limit. Give --max-retries N to give up after N retries.

Exit status: 0 after SIGINT or SIGTERM (DISCONNECT sent, running tasks aborted), 2 on an
invalid option, 3 when the reconnect policy gave up.
)";

std::atomic<aip::peer::DeviceEndpoint*> running_device{nullptr};

void stop_device() noexcept {
    if (auto* device = running_device.load()) {
        device->request_stop();
    }
}

int usage_error(const std::string& message) {
    std::cerr << "aip-device: error: " << message << "\nRun 'aip-device --help' for usage.\n";
    return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    aip::peer::ReconnectDefaults defaults;
    defaults.policy.policy = aip::plugin::BackoffPolicy::Exponential;
    defaults.policy.max_retries = aip::peer::kUnlimitedRetries;
    defaults.policy.initial_backoff = std::chrono::seconds(1);
    defaults.policy.max_backoff = std::chrono::seconds(60);
    defaults.policy.multiplier = 2.0;
    defaults.policy.jitter = aip::plugin::Jitter::Full;

    po::options_description description("Options");
    description.add_options()
        ("help,h", "print this help and exit")
        ("connect", po::value<std::string>()->value_name("ENDPOINT"),
         "broker endpoint, for example tcp://127.0.0.1:5555 (required)")
        ("id", po::value<std::string>()->value_name("ID"),
         "device id: 1 to 128 printable ASCII characters, no spaces (required)")
        ("capability", po::value<std::vector<std::string>>()->value_name("NAME")->composing(),
         "a capability to register; repeat for several")
        ("slots", po::value<std::string>()->value_name("N"),
         "tasks run at the same time, 1 to 1024 (default 1)")
        ("allow-exec", po::bool_switch(), "allow the exec action to run programs")
        ("log-level", po::value<std::string>()->value_name("LEVEL"),
         "trace, debug, info, warn, error or off (default info); logs go to standard error");
    aip::peer::add_reconnect_options(description, defaults);

    // Positional arguments are collected only to be rejected by name.
    po::options_description hidden;
    hidden.add_options()("positional", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(description).add(hidden);
    po::positional_options_description positional;
    positional.add("positional", -1);

    po::variables_map values;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  values);
        po::notify(values);
    } catch (const po::error& error) {
        return usage_error(error.what());
    }
    if (values.count("help")) {
        std::cout << kUsage << '\n' << description << '\n';
        return 0;
    }
    if (values.count("positional")) {
        const auto& stray = values["positional"].as<std::vector<std::string>>();
        return usage_error("unexpected argument '" + stray.front() +
                           "': aip-device takes only options");
    }

    if (!values.count("connect")) {
        return usage_error("missing --connect ENDPOINT");
    }
    if (!values.count("id")) {
        return usage_error("missing --id ID");
    }

    aip::peer::SessionOptions options;
    options.role = aip::proto::Role::Device;
    options.endpoint = values["connect"].as<std::string>();
    if (auto error = aip::peer::check_connect_endpoint(options.endpoint)) {
        return usage_error(*error);
    }
    options.peer_id = values["id"].as<std::string>();
    if (!aip::proto::is_valid_id(options.peer_id)) {
        return usage_error(invalid_option("id", options.peer_id,
                                          "expected 1 to 128 printable ASCII characters, no spaces"));
    }
    if (values.count("capability")) {
        options.capabilities = values["capability"].as<std::vector<std::string>>();
        for (const auto& capability : options.capabilities) {
            if (!aip::proto::is_valid_id(capability)) {
                return usage_error(invalid_option(
                    "capability", capability, "expected 1 to 128 printable ASCII characters"));
            }
        }
    }
    if (values.count("slots")) {
        const auto text = values["slots"].as<std::string>();
        const auto slots = aip::peer::parse_unsigned(text);
        if (!slots || *slots < 1 || *slots > 1024) {
            return usage_error(invalid_option("slots", text, "expected an integer from 1 to 1024"));
        }
        options.slots = static_cast<std::uint32_t>(*slots);
    }
    if (auto error = aip::peer::read_reconnect_options(values, defaults, options)) {
        return usage_error(*error);
    }
    options.keep_max_retries = true;
    const auto level = values.count("log-level") ? values["log-level"].as<std::string>() : "info";
    if (!aip::peer::configure_logging("aip-device", level)) {
        return usage_error(invalid_option("log-level", level,
                                          "expected trace, debug, info, warn, error or off"));
    }

    aip::peer::ActionSettings settings;
    settings.allow_exec = values["allow-exec"].as<bool>();

    std::string give_up_description;
    aip::peer::EndpointCallbacks callbacks;
    callbacks.on_gave_up = [&](const std::string& description) { give_up_description = description; };

    try {
        aip::peer::DeviceEndpoint device(options, aip::peer::make_builtin_handler(settings),
                                         std::move(callbacks));
        running_device.store(&device);
        aip::peer::install_stop_signals(stop_device);
        spdlog::info("device {}: starting; broker {}, {} slot(s), exec {}, max retries {}",
                     options.peer_id, options.endpoint, options.slots,
                     settings.allow_exec ? "allowed" : "disabled",
                     aip::peer::format_max_retries(options.reconnection.max_retries));

        const auto result = device.run();
        running_device.store(nullptr);
        if (result == aip::peer::DeviceEndpoint::RunResult::GaveUp) {
            spdlog::error("device {}: {}", options.peer_id, give_up_description);
            return kExitGaveUp;
        }
    } catch (const std::invalid_argument& error) {
        return usage_error(error.what());
    }

    spdlog::info("device {}: stopped", options.peer_id);
    return 0;
}
