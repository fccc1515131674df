// restart: N simulated devices, each a raw DEALER socket with the project's Reconnector (the
// same attempt loop as the peer library), all driven by one thread. The broker is killed with
// SIGKILL and started again on the same endpoint. The benchmark records when each device has
// registered again, once with full jitter and once with none.
#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "aip/plugin/reconnector.hpp"
#include "bench.hpp"
#include "child_process.hpp"
#include "options.hpp"
#include "raw_peer.hpp"
#include "statistics.hpp"

namespace aip::bench {

namespace {

using namespace std::chrono_literals;
using Milliseconds = std::chrono::duration<double, std::milli>;

struct RestartOptions {
    std::size_t devices{200};
    long long heartbeat_ms{1000};
    unsigned liveness{3};
    long long initial_backoff_ms{1000};
    long long register_timeout_ms{2000};
    std::uint64_t seed{1};
};

// Converts between the steady clock and the Reconnector's time type, which is the same clock.
plugin::TimePoint to_plugin(Clock::time_point time) { return time; }

struct SimulatedDevice {
    std::string id;
    std::unique_ptr<RawPeer> peer;
    plugin::Reconnector reconnector;
    bool registered{false};
    std::optional<Clock::time_point> attempt_started;
    std::optional<Clock::time_point> registered_at;
};

class DeviceSimulation {
public:
    DeviceSimulation(const std::string& endpoint, const RestartOptions& options, plugin::Jitter jitter)
        : endpoint_(endpoint), options_(options) {
        context_.set(zmq::ctxopt::max_sockets, static_cast<int>(options.devices * 2 + 64));
        plugin::ReconnectionPolicy policy;
        policy.initial_backoff = std::chrono::milliseconds{options.initial_backoff_ms};
        policy.max_retries = 20;
        policy.jitter = jitter;
        for (std::size_t index = 0; index < options.devices; ++index) {
            devices_.push_back(SimulatedDevice{
                .id = "restart-" + std::to_string(index),
                .peer = nullptr,
                .reconnector = plugin::Reconnector(policy, plugin::seeded_random_source(options.seed * 7919 + index))});
            (void)devices_.back().reconnector.begin(to_plugin(Clock::now()));
        }
    }

    // Runs the devices until `done` returns true or the deadline passes; returns whether `done`.
    template <typename Predicate>
    bool run_until(Predicate done, Clock::time_point deadline) {
        while (!done()) {
            if (Clock::now() > deadline) {
                return false;
            }
            step();
        }
        return true;
    }

    [[nodiscard]] std::size_t registered_count() const {
        return static_cast<std::size_t>(std::count_if(devices_.begin(), devices_.end(),
                                                      [](const SimulatedDevice& device) { return device.registered; }));
    }

    // Forgets the registration times, so that the next registrations are the ones measured.
    void clear_registration_times() {
        for (auto& device : devices_) {
            device.registered_at.reset();
        }
    }

    [[nodiscard]] std::size_t reregistered_count() const {
        return static_cast<std::size_t>(std::count_if(devices_.begin(), devices_.end(), [](const SimulatedDevice& device) {
            return device.registered && device.registered_at.has_value();
        }));
    }

    [[nodiscard]] std::vector<Clock::time_point> registration_times() const {
        std::vector<Clock::time_point> times;
        for (const auto& device : devices_) {
            if (device.registered_at) {
                times.push_back(*device.registered_at);
            }
        }
        return times;
    }

private:
    void step() {
        std::vector<RawPeer*> peers;
        std::vector<SimulatedDevice*> owners;
        for (auto& device : devices_) {
            if (device.peer) {
                peers.push_back(device.peer.get());
                owners.push_back(&device);
            }
        }
        for (const std::size_t index : poll_readable(peers, 5ms)) {
            SimulatedDevice& device = *owners[index];
            while (device.peer) {
                auto message = device.peer->try_receive();
                if (!message) {
                    break;
                }
                handle(device, *message);
            }
        }

        const auto now = Clock::now();
        const auto interval = std::chrono::milliseconds{options_.heartbeat_ms};
        for (auto& device : devices_) {
            if (device.registered) {
                if (now - device.peer->last_received() >= interval * options_.liveness) {
                    lose_session(device, now);  // the broker went silent
                } else if (now - device.peer->last_sent() >= interval) {
                    device.peer->send(proto::Heartbeat{});
                }
            } else if (device.attempt_started) {
                if (now - *device.attempt_started >= std::chrono::milliseconds{options_.register_timeout_ms}) {
                    device.peer.reset();
                    device.attempt_started.reset();
                    if (device.reconnector.on_attempt_failed(to_plugin(now)) == plugin::Reconnector::Event::GaveUp) {
                        throw std::runtime_error("restart: device " + device.id + " gave up reconnecting");
                    }
                }
            } else if (device.reconnector.attempt_due(to_plugin(now))) {
                device.peer = std::make_unique<RawPeer>(context_, endpoint_);
                device.peer->send(device_registration(device.id, 1));
                device.attempt_started = now;
            }
        }
    }

    void handle(SimulatedDevice& device, const proto::Message& message) {
        if (std::holds_alternative<proto::Registered>(message) && !device.registered) {
            device.registered = true;
            device.attempt_started.reset();
            device.registered_at = Clock::now();
            (void)device.reconnector.on_success();
        } else if (std::holds_alternative<proto::Disconnect>(message) && device.registered) {
            lose_session(device, Clock::now());  // the restarted broker has no session for this device
        }
    }

    void lose_session(SimulatedDevice& device, Clock::time_point now) {
        device.registered = false;
        device.peer.reset();
        (void)device.reconnector.begin(to_plugin(now));
    }

    std::string endpoint_;
    RestartOptions options_;
    zmq::context_t context_{1};
    std::vector<SimulatedDevice> devices_;
};

std::vector<std::string> broker_arguments(const std::string& bind, const RestartOptions& options) {
    return {"--bind", bind, "--heartbeat-interval", std::to_string(options.heartbeat_ms) + "ms", "--heartbeat-liveness",
            std::to_string(options.liveness), "--log-level", "warn"};
}

nlohmann::json measure(const CommonOptions& common, const RestartOptions& options, plugin::Jitter jitter) {
    auto broker = std::make_unique<ChildProcess>(common.broker_path, broker_arguments("tcp://127.0.0.1:*", options));
    const std::string endpoint = wait_for_endpoint(*broker, "aip-broker", "aip-broker listening on ", 10s);
    DeviceSimulation simulation(endpoint, options, jitter);
    if (!simulation.run_until([&] { return simulation.registered_count() == options.devices; }, Clock::now() + 30s)) {
        throw std::runtime_error("restart: the devices did not all register within 30 s");
    }
    simulation.clear_registration_times();

    // Kill -9 and restart at once on the same endpoint.
    const auto killed_at = Clock::now();
    broker->kill_now();
    broker = std::make_unique<ChildProcess>(common.broker_path, broker_arguments(endpoint, options));
    (void)wait_for_endpoint(*broker, "aip-broker", "aip-broker listening on ", 10s);
    const auto restarted_at = Clock::now();

    const auto deadline = restarted_at + 60s;
    if (!simulation.run_until([&] { return simulation.reregistered_count() == options.devices; }, deadline)) {
        throw std::runtime_error("restart: " + std::to_string(simulation.reregistered_count()) + " of " +
                                 std::to_string(options.devices) + " devices registered again within 60 s");
    }

    std::vector<double> since_restart;
    for (const auto time : simulation.registration_times()) {
        since_restart.push_back(Milliseconds(time - restarted_at).count());
    }
    const Distribution distribution = summarize(since_restart);

    // The herd: the most registrations that arrived within any 100 ms window.
    std::vector<double> sorted = since_restart;
    std::sort(sorted.begin(), sorted.end());
    std::size_t peak = 0;
    for (std::size_t first = 0, last = 0; last < sorted.size(); ++last) {
        while (sorted[last] - sorted[first] >= 100.0) {
            ++first;
        }
        peak = std::max(peak, last - first + 1);
    }
    return {{"jitter", std::string(plugin::to_string(jitter))},
            {"devices", options.devices},
            {"restart_ms_after_kill", Milliseconds(restarted_at - killed_at).count()},
            {"all_registered_ms", distribution.max},
            {"spread_ms", distribution.max - distribution.min},
            {"peak_per_100ms", peak},
            {"since_restart_ms", to_json(distribution)},
            {"samples_since_restart_ms", since_restart}};
}

}  // namespace

Report run_restart(const CommonOptions& common, const std::vector<std::string>& arguments) {
    namespace po = boost::program_options;
    RestartOptions options;
    po::options_description description("Usage: aip-bench restart [options]\n\nOptions");
    description.add_options()
        ("devices", po::value(&options.devices)->default_value(options.devices), "simulated devices")
        ("heartbeat-interval-ms", po::value(&options.heartbeat_ms)->default_value(options.heartbeat_ms),
         "the broker's and the devices' heartbeat interval, in milliseconds")
        ("liveness", po::value(&options.liveness)->default_value(options.liveness), "heartbeat liveness")
        ("initial-backoff-ms", po::value(&options.initial_backoff_ms)->default_value(options.initial_backoff_ms),
         "the devices' initial backoff (exponential policy), in milliseconds")
        ("register-timeout-ms", po::value(&options.register_timeout_ms)->default_value(options.register_timeout_ms),
         "wait for REGISTERED before an attempt counts as failed, in milliseconds")
        ("seed", po::value(&options.seed)->default_value(options.seed), "seed of the devices' jitter");
    std::string help;
    if (!parse_arguments(description, arguments, help)) {
        return {nullptr, help};
    }
    (void)milliseconds_option(options.heartbeat_ms, "heartbeat-interval-ms");
    (void)milliseconds_option(options.initial_backoff_ms, "initial-backoff-ms");
    (void)milliseconds_option(options.register_timeout_ms, "register-timeout-ms");
    if (options.devices == 0 || options.liveness == 0) {
        throw std::invalid_argument("--devices and --liveness must be above zero");
    }

    nlohmann::json runs = nlohmann::json::array();
    for (const auto jitter : {plugin::Jitter::Full, plugin::Jitter::None}) {
        runs.push_back(measure(common, options, jitter));
    }
    nlohmann::json data{{"benchmark", "restart"},
                        {"devices", options.devices},
                        {"heartbeat_interval_ms", options.heartbeat_ms},
                        {"liveness", options.liveness},
                        {"initial_backoff_ms", options.initial_backoff_ms},
                        {"runs", runs}};

    std::ostringstream text;
    text << "restart: " << options.devices << " devices, heartbeat " << options.heartbeat_ms << " ms x "
         << options.liveness << ", exponential backoff from " << options.initial_backoff_ms << " ms\n";
    text << "jitter  all registered  spread    p50     p90   (ms after the new broker listens)  peak per 100 ms\n";
    for (const auto& run : runs) {
        char line[160];
        std::snprintf(line, sizeof line, "%-6s %15.0f %7.0f %7.0f %7.0f %41zu\n", run["jitter"].get<std::string>().c_str(),
                      run["all_registered_ms"].get<double>(), run["spread_ms"].get<double>(),
                      run["since_restart_ms"]["p50"].get<double>(), run["since_restart_ms"]["p90"].get<double>(),
                      run["peak_per_100ms"].get<std::size_t>());
        text << line;
    }
    return {data, text.str()};
}

}  // namespace aip::bench
