// throughput: echo-task round trips per second through aip-broker, against the bare ROUTER
// forwarding loop of baseline_router.cpp, with the same raw DEALER peers and message sizes.
#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "bench.hpp"
#include "child_process.hpp"
#include "options.hpp"
#include "process_stats.hpp"
#include "raw_peer.hpp"

namespace aip::bench {

namespace {

using namespace std::chrono_literals;

struct ThroughputOptions {
    std::size_t devices{4};
    std::size_t tasks{100000};
    std::size_t window{64};
    std::size_t payload_bytes{64};
    std::chrono::milliseconds deadline{120000};
};

struct LoadResult {
    std::size_t completed{0};
    std::size_t failed{0};
    Clock::duration elapsed{};
    std::chrono::nanoseconds server_cpu{};
};

// The peers send HEARTBEAT after this much silence; the broker under test runs with 1 s.
constexpr auto kPeerHeartbeat = 500ms;

class LoadGenerator {
public:
    LoadGenerator(const std::string& endpoint, const ThroughputOptions& options, bool through_broker)
        : options_(options), through_broker_(through_broker), payload_(options.payload_bytes, 'x') {
        std::vector<proto::Register> registrations;
        for (std::size_t index = 0; index < options.devices; ++index) {
            peers_.push_back(std::make_unique<RawPeer>(context_, endpoint));
            registrations.push_back(device_registration(
                "bench-device-" + std::to_string(index),
                static_cast<std::uint32_t>(std::clamp<std::size_t>(options.window, 1, 1024))));
        }
        peers_.push_back(std::make_unique<RawPeer>(context_, endpoint));
        registrations.push_back(proto::Register{.role = proto::Role::Client, .peer_id = "bench-client"});

        for (auto& peer : peers_) {
            raw_.push_back(peer.get());
        }
        if (!register_all(raw_, registrations, 10s)) {
            throw std::runtime_error("throughput: the peers did not all register within 10 s");
        }
    }

    // Runs `options.tasks` round trips with at most `options.window` in flight.
    LoadResult run(pid_t server) {
        LoadResult result;
        const auto cpu_before = process_cpu_time(server);
        const auto start = Clock::now();
        const auto deadline = start + options_.deadline;

        while (submitted_ < std::min(options_.window, options_.tasks)) {
            submit_next();
        }
        auto next_heartbeat_check = start + 100ms;
        while (result.completed + result.failed < options_.tasks) {
            if (Clock::now() > deadline) {
                throw std::runtime_error("throughput: " + std::to_string(result.completed) + " of " +
                                         std::to_string(options_.tasks) + " round trips done before the deadline");
            }
            for (const std::size_t index : poll_readable(raw_, 100ms)) {
                while (auto message = raw_[index]->try_receive()) {
                    if (index + 1 == raw_.size()) {
                        handle_client(*message, result);
                    } else {
                        handle_device(*raw_[index], *message);
                    }
                }
            }
            if (Clock::now() >= next_heartbeat_check) {
                send_due_heartbeats();
                next_heartbeat_check = Clock::now() + 100ms;
            }
        }

        result.elapsed = Clock::now() - start;
        result.server_cpu = process_cpu_time(server) - cpu_before;
        return result;
    }

private:
    RawPeer& client() { return *peers_.back(); }

    void submit_next() {
        proto::Submit submit;
        submit.task_id = "t" + std::to_string(submitted_++);
        submit.capability = "echo";
        submit.payload = payload_;
        client().send(submit);
    }

    void handle_client(const proto::Message& message, LoadResult& result) {
        bool done = false;
        if (through_broker_) {
            if (const auto* update = std::get_if<proto::TaskUpdate>(&message); update != nullptr && update->final) {
                done = true;
                (update->state == "COMPLETED" ? result.completed : result.failed) += 1;
            }
        } else if (std::holds_alternative<proto::Result>(message)) {
            done = true;
            result.completed += 1;
        }
        if (done && submitted_ < options_.tasks) {
            submit_next();
        }
    }

    static void handle_device(RawPeer& device, const proto::Message& message) {
        std::string task_id;
        std::uint32_t attempt = 1;
        const std::string* payload = nullptr;
        if (const auto* assign = std::get_if<proto::Assign>(&message)) {
            task_id = assign->task_id;
            attempt = assign->attempt;
            payload = &assign->payload;
        } else if (const auto* submit = std::get_if<proto::Submit>(&message)) {
            task_id = submit->task_id;  // the baseline forwards the SUBMIT itself
            payload = &submit->payload;
        } else {
            return;
        }
        device.send(proto::Started{.task_id = task_id, .attempt = attempt});
        device.send(proto::Result{.task_id = task_id, .attempt = attempt, .ok = true, .payload = *payload});
    }

    void send_due_heartbeats() {
        const auto now = Clock::now();
        for (RawPeer* peer : raw_) {
            if (now - peer->last_sent() >= kPeerHeartbeat) {
                peer->send(proto::Heartbeat{});
            }
        }
    }

    ThroughputOptions options_;
    bool through_broker_;
    std::string payload_;
    zmq::context_t context_{1};
    std::vector<std::unique_ptr<RawPeer>> peers_;  // devices, then the client last
    std::vector<RawPeer*> raw_;
    std::size_t submitted_{0};
};

struct Mode {
    std::string name;
    bool through_broker;
    std::string log_level;
};

nlohmann::json measure(const CommonOptions& common, const ThroughputOptions& options, const Mode& mode) {
    std::unique_ptr<ChildProcess> server;
    std::string endpoint;
    if (mode.through_broker) {
        server = std::make_unique<ChildProcess>(
            common.broker_path, std::vector<std::string>{"--bind", "tcp://127.0.0.1:*", "--heartbeat-interval", "1s",
                                                         "--log-level", mode.log_level});
        endpoint = wait_for_endpoint(*server, "aip-broker", "aip-broker listening on ", 10s);
    } else {
        server = std::make_unique<ChildProcess>(common.self_path,
                                                std::vector<std::string>{"baseline-router", "tcp://127.0.0.1:*"});
        endpoint = wait_for_endpoint(*server, "aip-bench baseline-router", "aip-bench baseline listening on ", 10s);
    }

    LoadGenerator load(endpoint, options, mode.through_broker);
    const LoadResult result = load.run(server->pid());
    const double seconds = std::chrono::duration<double>(result.elapsed).count();
    const double server_cpu_seconds = std::chrono::duration<double>(result.server_cpu).count();
    const double round_trips = static_cast<double>(result.completed + result.failed);
    return {{"mode", mode.name},
            {"round_trips", result.completed},
            {"failed", result.failed},
            {"seconds", seconds},
            {"round_trips_per_second", round_trips / seconds},
            {"server_cpu_seconds", server_cpu_seconds},
            {"server_cpu_us_per_round_trip", server_cpu_seconds * 1e6 / round_trips}};
}

}  // namespace

Report run_throughput(const CommonOptions& common, const std::vector<std::string>& arguments) {
    namespace po = boost::program_options;
    ThroughputOptions options;
    po::options_description description("Usage: aip-bench throughput [options]\n\nOptions");
    description.add_options()
        ("devices", po::value(&options.devices)->default_value(options.devices), "raw DEALER devices, each with slots = window")
        ("tasks", po::value(&options.tasks)->default_value(options.tasks), "round trips per mode")
        ("window", po::value(&options.window)->default_value(options.window), "tasks in flight at once")
        ("payload-bytes", po::value(&options.payload_bytes)->default_value(options.payload_bytes),
         "size of the task input, echoed back as the output");
    std::string help;
    if (!parse_arguments(description, arguments, help)) {
        return {nullptr, help};
    }
    if (options.devices == 0 || options.tasks == 0 || options.window == 0) {
        throw std::invalid_argument("--devices, --tasks and --window must be above zero");
    }

    const std::vector<Mode> modes{{"baseline_router", false, ""},
                                  {"broker_log_warn", true, "warn"},
                                  {"broker_log_info", true, "info"}};
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& mode : modes) {
        runs.push_back(measure(common, options, mode));
    }

    const double baseline_rate = runs[0]["round_trips_per_second"];
    const double baseline_cpu = runs[0]["server_cpu_us_per_round_trip"];
    for (auto& run : runs) {
        run["throughput_ratio_to_baseline"] = run["round_trips_per_second"].get<double>() / baseline_rate;
        run["cpu_ratio_to_baseline"] = run["server_cpu_us_per_round_trip"].get<double>() / baseline_cpu;
    }

    nlohmann::json data{{"benchmark", "throughput"},
                        {"devices", options.devices},
                        {"tasks", options.tasks},
                        {"window", options.window},
                        {"payload_bytes", options.payload_bytes},
                        {"runs", runs}};

    std::ostringstream text;
    text << "throughput: " << options.tasks << " echo round trips, " << options.devices << " devices, window "
         << options.window << ", payload " << options.payload_bytes << " B\n";
    text << "mode               rt/s      server us/rt  rt/s ratio  cpu ratio  failed\n";
    for (const auto& run : runs) {
        char line[160];
        std::snprintf(line, sizeof line, "%-16s %9.0f %12.1f %11.3f %10.2f %7zu\n",
                      run["mode"].get<std::string>().c_str(), run["round_trips_per_second"].get<double>(),
                      run["server_cpu_us_per_round_trip"].get<double>(),
                      run["throughput_ratio_to_baseline"].get<double>(), run["cpu_ratio_to_baseline"].get<double>(),
                      run["failed"].get<std::size_t>());
        text << line;
    }
    return {data, text.str()};
}

}  // namespace aip::bench
