#include "options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>

#include "aip/plugin/duration.hpp"
#include "aip/plugin/presets.hpp"
#include "aip/plugin/reconnection.hpp"
#include "metrics.hpp"

namespace aip::broker {

namespace po = boost::program_options;

namespace {

constexpr const char* kDefaultEndpoint = "tcp://127.0.0.1:5555";

// Thrown for an invalid value; caught in parse_options and printed as a usage error.
struct OptionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

plugin::Duration duration_option(const po::variables_map& values, const char* name,
                                 bool allow_zero) {
    const auto& text = values[name].as<std::string>();
    const auto parsed = plugin::parse_duration(text);
    if (!parsed) {
        throw OptionError("invalid value '" + text + "' for --" + name +
                          ": expected a number followed by ms, s, m or h, such as 250ms or 2s");
    }
    if (!allow_zero && parsed->count() == 0) {
        throw OptionError("invalid value '" + text + "' for --" + name + ": must be above zero");
    }
    return *parsed;
}

po::options_description describe_options() {
    po::options_description general("General");
    general.add_options()
        ("help,h", "print this help and exit")
        ("config", po::value<std::string>(),
         "read options from this file (INI style: one 'name = value' per line, names as the "
         "long options without dashes); command-line values take precedence")
        ("log-level", po::value<std::string>()->default_value("info"),
         "trace, debug, info, warn, error or off")
        ("preset", po::value<std::string>(),
         "start from the settings of a deployment preset: local, internet or unreliable (heartbeat "
         "interval, dispatch timeout and the reconnect policy recommended to peers); each of those "
         "options given explicitly overrides the preset")
        ("plugin", po::value<std::string>(),
         "load the engine from this shared object (built against aip_plugin.h) instead of the "
         "built-in one")
        ("observer", po::value<std::vector<std::string>>()->composing(),
         "load an observer plugin that receives every device and task event; repeatable")
        ("observer-config", po::value<std::string>()->default_value(""),
         "configuration string passed to each observer (for the JSON-lines observer: the output file)");

    po::options_description network("Network");
    network.add_options()
        ("bind", po::value<std::vector<std::string>>()->composing(),
         "endpoint to bind the ROUTER socket to; repeatable; tcp://HOST:PORT or ipc://PATH; "
         "a port of * picks a free port (default tcp://127.0.0.1:5555)")
        ("metrics-bind", po::value<std::string>()->default_value(""),
         "serve Prometheus metrics at http://HOST:PORT/metrics, for example 127.0.0.1:9464 (port 0 "
         "picks a free port); off when empty")
        ("max-message-size", po::value<std::size_t>()->default_value(proto::kDefaultMaxMessageBytes),
         "largest accepted message in bytes, all frames together (1024 to 268435456)")
        ("max-registrations-per-second", po::value<unsigned>()->default_value(5),
         "REGISTER messages accepted per connection per second; more get ERROR rate_limited "
         "(0 turns the limit off)");

    po::options_description liveness("Liveness and timeouts (durations: 250ms, 2s, 1m, 1h)");
    liveness.add_options()
        ("heartbeat-interval", po::value<std::string>()->default_value("1s"),
         "heartbeat interval announced to peers")
        ("heartbeat-liveness", po::value<unsigned>()->default_value(3),
         "silent intervals after which a peer is declared lost (1 to 100)")
        ("device-grace", po::value<std::string>()->default_value("30s"),
         "how long a DISCONNECTED device may re-register before it is REMOVED")
        ("client-grace", po::value<std::string>()->default_value("0ms"),
         "how long a silent orchestrator may resume before its running tasks are cancelled")
        ("task-timeout", po::value<std::string>()->default_value("10m"),
         "deadline of a task that was submitted without one")
        ("task-retention", po::value<std::string>()->default_value("10m"),
         "how long an ended task and its result stay queryable; a repeated SUBMIT or CANCEL of it "
         "gets its final update again")
        ("max-finished-tasks", po::value<std::size_t>()->default_value(100000),
         "ended tasks kept at most; beyond it the oldest are forgotten first")
        ("dispatch-timeout", po::value<std::string>()->default_value("5s"),
         "how long a device may take to acknowledge an assigned task")
        ("shutdown-timeout", po::value<std::string>()->default_value("2s"),
         "how long to try delivering DISCONNECT to peers when stopping")
        ("failure-detector", po::value<std::string>()->default_value("fixed"),
         "fixed: a peer is lost after --heartbeat-liveness silent intervals; phi: phi-accrual, "
         "adapts to each peer's observed heartbeat gaps (see docs/resilience.md)")
        ("phi-threshold", po::value<double>()->default_value(8.0),
         "phi level at which a peer is lost (0.5 to 30; higher waits longer)")
        ("phi-min-std-dev", po::value<std::string>()->default_value("100ms"),
         "floor of the standard deviation of heartbeat gaps used by phi")
        ("phi-acceptable-pause", po::value<std::string>()->default_value("500ms"),
         "extra silence phi tolerates on top of its model")
        ("phi-uncapped", po::bool_switch(),
         "let phi wait longer than --heartbeat-liveness silent intervals; by default phi also "
         "convicts at that bound, so it can only detect earlier than the fixed detector");

    po::options_description reconnect("Reconnect policy recommended to peers in REGISTERED");
    reconnect.add_options()
        ("reconnect-policy", po::value<std::string>()->default_value("exponential"),
         "exponential, linear, immediate or none")
        ("max-retries", po::value<unsigned>()->default_value(5), "retries before a peer gives up")
        ("initial-backoff", po::value<std::string>()->default_value("1s"), "first retry delay")
        ("max-backoff", po::value<std::string>()->default_value("60s"), "cap on every delay")
        ("backoff-multiplier", po::value<double>()->default_value(2.0),
         "growth factor of exponential backoff (at least 1)")
        ("jitter", po::value<std::string>()->default_value("full"),
         "none, full, equal, decorrelated or proportional");

    po::options_description all(
        "Usage: aip-broker [options]\n\n"
        "The broker between orchestrators (aip-client) and device agents (aip-device): one ZeroMQ\n"
        "ROUTER socket, heartbeats both ways, scheduling, retries and cancellation. Prints\n"
        "'aip-broker listening on ENDPOINT' on stdout for each bound endpoint; logs go to stderr.\n"
        "Exit status: 0 after SIGINT or SIGTERM, 1 when the start or the run failed (endpoint in\n"
        "use, plugin not loadable), 2 for an invalid option or value.\n\nOptions");
    all.add(general).add(network).add(liveness).add(reconnect);
    return all;
}

void fill_reconnect_advice(const po::variables_map& values, plugin::ReconnectionPolicy& policy) {
    const auto& policy_name = values["reconnect-policy"].as<std::string>();
    const auto parsed_policy = plugin::parse_backoff_policy(policy_name);
    if (!parsed_policy) {
        throw OptionError("invalid value '" + policy_name +
                          "' for --reconnect-policy: expected exponential, linear, immediate or none");
    }
    policy.policy = *parsed_policy;

    const auto& jitter_name = values["jitter"].as<std::string>();
    const auto parsed_jitter = plugin::parse_jitter(jitter_name);
    if (!parsed_jitter) {
        throw OptionError("invalid value '" + jitter_name +
                          "' for --jitter: expected none, full, equal, decorrelated or proportional");
    }
    policy.jitter = *parsed_jitter;

    policy.max_retries = values["max-retries"].as<unsigned>();
    policy.initial_backoff = duration_option(values, "initial-backoff", true);
    policy.max_backoff = duration_option(values, "max-backoff", true);
    policy.multiplier = values["backoff-multiplier"].as<double>();

    if (const auto problem = policy.validate()) {
        throw OptionError("invalid reconnect policy (--initial-backoff, --max-backoff, --backoff-multiplier): " +
                          *problem);
    }
}

// Rejects a tcp endpoint whose port is neither * nor 0 to 65535: libzmq would take a larger
// number modulo 65536 and bind an unexpected port.
void check_tcp_port(const std::string& endpoint) {
    if (endpoint.rfind("tcp://", 0) != 0) {
        return;
    }
    const auto colon = endpoint.rfind(':');
    const std::string port = colon == std::string::npos ? "" : endpoint.substr(colon + 1);
    if (port == "*") {
        return;
    }
    const bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port) > 65535) {
        throw OptionError("invalid port in --bind '" + endpoint + "': expected * or a number from 0 to 65535");
    }
}

// Returns true when the option was given on the command line or in the config file.
bool explicitly_set(const po::variables_map& values, const char* name) {
    return values.count(name) != 0 && !values[name].defaulted();
}

// Applies a preset to the options that were not set explicitly.
void apply_preset(const po::variables_map& values, BrokerOptions& options) {
    const auto& name = values["preset"].as<std::string>();
    const plugin::ResiliencePreset* preset = nullptr;
    try {
        preset = &plugin::find_preset(name);
    } catch (const std::invalid_argument& error) {
        throw OptionError("invalid value '" + name + "' for --preset: " + error.what());
    }

    auto& engine = options.engine;
    if (!explicitly_set(values, "heartbeat-interval")) {
        engine.heartbeat_interval = preset->heartbeat_interval;
    }
    if (!explicitly_set(values, "dispatch-timeout")) {
        engine.dispatch_timeout = preset->operation_timeout;
    }

    auto& advice = engine.advised_reconnect;
    const auto& preset_policy = preset->reconnect;
    if (!explicitly_set(values, "reconnect-policy")) {
        advice.policy = preset_policy.policy;
    }
    if (!explicitly_set(values, "max-retries")) {
        advice.max_retries = preset_policy.max_retries;
    }
    if (!explicitly_set(values, "initial-backoff")) {
        advice.initial_backoff = preset_policy.initial_backoff;
    }
    if (!explicitly_set(values, "max-backoff")) {
        advice.max_backoff = preset_policy.max_backoff;
    }
    if (!explicitly_set(values, "backoff-multiplier")) {
        advice.multiplier = preset_policy.multiplier;
    }
    if (!explicitly_set(values, "jitter")) {
        advice.jitter = preset_policy.jitter;
    }
    if (const auto problem = advice.validate()) {
        throw OptionError("invalid reconnect policy after applying --preset " + name + ": " + *problem);
    }
}

BrokerOptions build_options(const po::variables_map& values) {
    BrokerOptions options;

    if (values.count("bind") != 0) {
        options.bind_endpoints = values["bind"].as<std::vector<std::string>>();
    } else {
        options.bind_endpoints = {kDefaultEndpoint};
    }
    for (const auto& endpoint : options.bind_endpoints) {
        if (endpoint.rfind("tcp://", 0) != 0 && endpoint.rfind("ipc://", 0) != 0) {
            throw OptionError("invalid value '" + endpoint +
                              "' for --bind: expected tcp://HOST:PORT or ipc://PATH");
        }
        check_tcp_port(endpoint);
    }

    if (values.count("plugin") != 0) {
        options.plugin_path = values["plugin"].as<std::string>();
    }
    if (values.count("observer") != 0) {
        options.observer_paths = values["observer"].as<std::vector<std::string>>();
    }
    options.observer_config = values["observer-config"].as<std::string>();
    options.metrics_bind = values["metrics-bind"].as<std::string>();
    if (!options.metrics_bind.empty()) {
        const auto parsed = parse_metrics_address(options.metrics_bind);
        if (const auto* error = std::get_if<std::string>(&parsed)) {
            throw OptionError(*error);
        }
    }

    options.log_level = values["log-level"].as<std::string>();
    static const std::vector<std::string> kLevels{"trace", "debug", "info", "warn", "error", "off"};
    if (std::find(kLevels.begin(), kLevels.end(), options.log_level) == kLevels.end()) {
        throw OptionError("invalid value '" + options.log_level +
                          "' for --log-level: expected trace, debug, info, warn, error or off");
    }

    auto& engine = options.engine;
    engine.heartbeat_interval = duration_option(values, "heartbeat-interval", false);
    engine.liveness = values["heartbeat-liveness"].as<unsigned>();
    if (engine.liveness < 1 || engine.liveness > 100) {
        throw OptionError("invalid value '" + std::to_string(engine.liveness) +
                          "' for --heartbeat-liveness: expected 1 to 100");
    }
    engine.device_grace = duration_option(values, "device-grace", true);
    engine.client_grace = duration_option(values, "client-grace", true);
    engine.default_task_timeout = duration_option(values, "task-timeout", false);
    engine.dispatch_timeout = duration_option(values, "dispatch-timeout", false);
    engine.finished_task_retention = duration_option(values, "task-retention", true);
    engine.max_finished_tasks = values["max-finished-tasks"].as<std::size_t>();
    options.shutdown_timeout = duration_option(values, "shutdown-timeout", true);

    const auto& detector_name = values["failure-detector"].as<std::string>();
    const auto detector_kind = plugin::parse_detector_kind(detector_name);
    if (!detector_kind) {
        throw OptionError("invalid value '" + detector_name + "' for --failure-detector: expected fixed or phi");
    }
    engine.detector.kind = *detector_kind;
    engine.detector.threshold = values["phi-threshold"].as<double>();
    engine.detector.min_std_dev = duration_option(values, "phi-min-std-dev", true);
    engine.detector.acceptable_pause = duration_option(values, "phi-acceptable-pause", true);
    engine.detector.capped = !values["phi-uncapped"].as<bool>();
    if (const auto problem = engine.detector.validate()) {
        throw OptionError("invalid failure detector option: " + *problem);
    }

    engine.max_message_bytes = values["max-message-size"].as<std::size_t>();
    if (engine.max_message_bytes < 1024 || engine.max_message_bytes > 268435456) {
        throw OptionError("invalid value '" + std::to_string(engine.max_message_bytes) +
                          "' for --max-message-size: expected 1024 to 268435456 bytes");
    }

    engine.max_registrations_per_second = values["max-registrations-per-second"].as<unsigned>();
    fill_reconnect_advice(values, engine.advised_reconnect);
    if (values.count("preset") != 0) {
        apply_preset(values, options);
    }

    std::random_device entropy;
    engine.seed = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
    return options;
}

}  // namespace

ParseResult parse_options(int argc, const char* const* argv) {
    const auto description = describe_options();
    po::variables_map values;

    try {
        // No positional options: a stray word is an error, not silently ignored.
        po::store(po::command_line_parser(argc, argv).options(description).positional({}).run(), values);

        if (values.count("config") != 0) {
            const auto& path = values["config"].as<std::string>();
            std::ifstream file(path);
            if (!file) {
                std::cerr << "aip-broker: error: cannot open config file '" << path
                          << "': check the path and its permissions\n";
                return {std::nullopt, 2};
            }
            try {
                const auto parsed = po::parse_config_file(file, description);
                for (const auto& option : parsed.options) {
                    if (option.string_key == "config") {
                        std::cerr << "aip-broker: error in config file '" << path
                                  << "': a config file cannot name another one ('config' line); "
                                     "merge the files or pass options on the command line\n";
                        return {std::nullopt, 2};
                    }
                }
                po::store(parsed, values);
            } catch (const po::error& error) {
                std::cerr << "aip-broker: error in config file '" << path << "': " << error.what() << "\n";
                return {std::nullopt, 2};
            }
        }
        po::notify(values);
    } catch (const po::error& error) {
        std::cerr << "aip-broker: error: " << error.what() << "\nRun 'aip-broker --help' for the options.\n";
        return {std::nullopt, 2};
    }

    if (values.count("help") != 0) {
        std::cout << description << "\n";
        return {std::nullopt, 0};
    }

    try {
        return {build_options(values), 0};
    } catch (const OptionError& error) {
        std::cerr << "aip-broker: error: " << error.what() << "\n";
        return {std::nullopt, 2};
    }
}

}  // namespace aip::broker
