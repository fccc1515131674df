// memory: bytes per idle registered device, measured two ways. In the engine alone: the heap in
// use (mallinfo2) before and after N registrations. In aip-broker: its resident set size before
// and after N raw DEALER devices register, which also counts libzmq's per-connection buffers.
#include <memory>
#include <sstream>
#include <stdexcept>

#include "aip/plugin/engine.hpp"
#include "bench.hpp"
#include "child_process.hpp"
#include "options.hpp"
#include "process_stats.hpp"
#include "raw_peer.hpp"

namespace aip::bench {

namespace {

using namespace std::chrono_literals;

struct MemoryOptions {
    std::string engine_counts{"1000,20000,50000"};
    std::size_t broker_devices{1000};
};

nlohmann::json measure_engine(std::size_t devices) {
    const plugin::TimePoint start = plugin::TimePoint{} + 1h;
    plugin::Engine engine(plugin::EngineConfig{}, start);
    std::vector<std::string> routing_ids;
    routing_ids.reserve(devices);
    for (std::size_t index = 0; index < devices; ++index) {
        routing_ids.push_back("r" + std::to_string(index));
    }

    const std::int64_t before = heap_bytes_in_use();
    for (std::size_t index = 0; index < devices; ++index) {
        proto::Register registration = device_registration("device-" + std::to_string(index), 1);
        engine.on_message(routing_ids[index], proto::encode(registration), start);
        (void)engine.take_outgoing();
        (void)engine.take_events();
    }
    const std::int64_t after = heap_bytes_in_use();

    if (engine.stats().devices_connected != devices) {
        throw std::runtime_error("memory: the engine registered " + std::to_string(engine.stats().devices_connected) +
                                 " of " + std::to_string(devices) + " devices");
    }
    return {{"devices", devices},
            {"heap_bytes", after - before},
            {"bytes_per_device", static_cast<double>(after - before) / static_cast<double>(devices)}};
}

nlohmann::json measure_broker(const CommonOptions& common, std::size_t devices) {
    // A long interval keeps every device alive without heartbeats while the batches register.
    ChildProcess broker(common.broker_path, {"--bind", "tcp://127.0.0.1:*", "--heartbeat-interval", "60s",
                                             "--log-level", "warn"});
    const std::string endpoint = wait_for_endpoint(broker, "aip-broker", "aip-broker listening on ", 10s);

    zmq::context_t context{1};
    context.set(zmq::ctxopt::max_sockets, static_cast<int>(devices + 64));

    // One device first, so that the baseline includes libzmq's and the engine's start-up
    // allocations rather than charging them to the N devices.
    RawPeer first(context, endpoint);
    if (!register_all({&first}, {device_registration("memory-first", 1)}, 10s)) {
        throw std::runtime_error("memory: the first device did not register within 10 s");
    }
    const std::int64_t before = resident_bytes(broker.pid());

    constexpr std::size_t kBatch = 100;
    std::vector<std::unique_ptr<RawPeer>> peers;
    for (std::size_t begin = 0; begin < devices; begin += kBatch) {
        std::vector<RawPeer*> batch;
        std::vector<proto::Register> registrations;
        for (std::size_t index = begin; index < std::min(devices, begin + kBatch); ++index) {
            peers.push_back(std::make_unique<RawPeer>(context, endpoint));
            batch.push_back(peers.back().get());
            registrations.push_back(device_registration("memory-" + std::to_string(index), 1));
        }
        if (!register_all(batch, registrations, 20s)) {
            throw std::runtime_error("memory: a batch of devices did not register within 20 s");
        }
    }
    const std::int64_t after = resident_bytes(broker.pid());

    return {{"devices", devices},
            {"rss_before_bytes", before},
            {"rss_after_bytes", after},
            {"bytes_per_device", static_cast<double>(after - before) / static_cast<double>(devices)}};
}

}  // namespace

Report run_memory(const CommonOptions& common, const std::vector<std::string>& arguments) {
    namespace po = boost::program_options;
    MemoryOptions options;
    po::options_description description("Usage: aip-bench memory [options]\n\nOptions");
    description.add_options()
        ("engine-devices", po::value(&options.engine_counts)->default_value(options.engine_counts),
         "device counts registered in an in-process engine, separated by commas")
        ("broker-devices", po::value(&options.broker_devices)->default_value(options.broker_devices),
         "raw DEALER devices registered with a real aip-broker (0 skips that part)");
    std::string help;
    if (!parse_arguments(description, arguments, help)) {
        return {nullptr, help};
    }

    nlohmann::json engine_runs = nlohmann::json::array();
    for (const std::size_t devices : parse_counts(options.engine_counts, "engine-devices")) {
        engine_runs.push_back(measure_engine(devices));
    }
    nlohmann::json broker_run = nullptr;
    if (options.broker_devices > 0) {
        broker_run = measure_broker(common, options.broker_devices);
    }
    nlohmann::json data{{"benchmark", "memory"}, {"engine", engine_runs}, {"broker", broker_run}};

    std::ostringstream text;
    text << "memory: idle registered devices (one capability, one slot)\n";
    text << "engine heap (mallinfo2)\n  devices  heap bytes  bytes/device\n";
    for (const auto& run : engine_runs) {
        char line[120];
        std::snprintf(line, sizeof line, "  %7zu %11lld %13.0f\n", run["devices"].get<std::size_t>(),
                      run["heap_bytes"].get<long long>(), run["bytes_per_device"].get<double>());
        text << line;
    }
    if (!broker_run.is_null()) {
        char line[200];
        std::snprintf(line, sizeof line,
                      "aip-broker RSS\n  devices %zu: %lld -> %lld bytes, %.0f bytes/device\n",
                      broker_run["devices"].get<std::size_t>(), broker_run["rss_before_bytes"].get<long long>(),
                      broker_run["rss_after_bytes"].get<long long>(), broker_run["bytes_per_device"].get<double>());
        text << line;
    }
    return {data, text.str()};
}

}  // namespace aip::bench
