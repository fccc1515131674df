// heartbeats: the engine alone on a virtual clock, N registered devices each sending one
// HEARTBEAT per interval, spread evenly over the interval. Measures thread CPU time per
// heartbeat handled (decoding included), per on_tick, and the rate one core sustains.
#include <sstream>
#include <stdexcept>

#include "aip/plugin/engine.hpp"
#include "bench.hpp"
#include "options.hpp"
#include "process_stats.hpp"

namespace aip::bench {

namespace {

using namespace std::chrono_literals;
using plugin::Engine;
using plugin::TimePoint;

struct HeartbeatOptions {
    std::string device_counts{"1000,10000,20000,50000"};
    std::size_t intervals{5};
};

// Takes the engine's outgoing messages and events, as a host would after each batch.
void drain(Engine& engine) {
    (void)engine.take_outgoing();
    (void)engine.take_events();
}

nlohmann::json measure(std::size_t devices, std::size_t intervals) {
    const plugin::EngineConfig config{.heartbeat_interval = 1000ms, .liveness = 3};
    const TimePoint start = TimePoint{} + 1h;
    Engine engine(config, start);

    std::vector<std::string> routing_ids;
    routing_ids.reserve(devices);
    for (std::size_t index = 0; index < devices; ++index) {
        routing_ids.push_back("r" + std::to_string(index));
    }

    // Registration, all at the start time.
    const auto registration_begin = thread_cpu_time();
    for (std::size_t index = 0; index < devices; ++index) {
        proto::Register registration;
        registration.peer_id = "device-" + std::to_string(index);
        registration.capabilities = {"echo"};
        engine.on_message(routing_ids[index], proto::encode(registration), start);
        if (index % 256 == 255) {
            drain(engine);
        }
    }
    drain(engine);
    const auto registration_cpu = thread_cpu_time() - registration_begin;

    // Heartbeats: device i sends at start + k x interval + i x interval / N, for k = 1..intervals.
    const proto::Frames heartbeat = proto::encode(proto::Heartbeat{});
    const auto spacing = std::chrono::nanoseconds{config.heartbeat_interval} / static_cast<std::int64_t>(devices);
    std::chrono::nanoseconds tick_cpu{0};
    std::chrono::nanoseconds tick_cpu_max{0};
    std::size_t ticks = 0;
    std::size_t outgoing = 0;
    TimePoint now = start;
    const auto loop_begin = thread_cpu_time();
    for (std::size_t round = 1; round <= intervals; ++round) {
        const TimePoint round_start = start + config.heartbeat_interval * static_cast<std::int64_t>(round);
        for (std::size_t index = 0; index < devices; ++index) {
            now = round_start + spacing * static_cast<std::int64_t>(index);
            const auto wakeup = engine.next_wakeup();
            if (wakeup && *wakeup <= now) {
                const auto tick_begin = thread_cpu_time();
                engine.on_tick(now);
                outgoing += engine.take_outgoing().size();
                const auto tick_time = thread_cpu_time() - tick_begin;
                tick_cpu += tick_time;
                tick_cpu_max = std::max(tick_cpu_max, tick_time);
                ++ticks;
            }
            engine.on_message(routing_ids[index], heartbeat, now);
            if (index % 256 == 255) {
                outgoing += engine.take_outgoing().size();
                (void)engine.take_events();
            }
        }
    }
    drain(engine);
    const auto loop_cpu = thread_cpu_time() - loop_begin;

    // A tick when nothing is due: the fixed cost the host pays on every wake-up.
    constexpr int kIdleTicks = 1000;
    const auto idle_begin = thread_cpu_time();
    for (int call = 0; call < kIdleTicks; ++call) {
        engine.on_tick(now);
    }
    const auto idle_tick_cpu = (thread_cpu_time() - idle_begin) / kIdleTicks;

    const auto stats = engine.stats();
    if (stats.devices_connected != devices) {
        throw std::runtime_error("heartbeats: " + std::to_string(stats.devices_connected) + " of " +
                                 std::to_string(devices) + " devices still connected; expected all");
    }

    const double heartbeats = static_cast<double>(devices * intervals);
    const double message_ns = static_cast<double>((loop_cpu - tick_cpu).count()) / heartbeats;
    const double total_ns = static_cast<double>(loop_cpu.count()) / heartbeats;
    return {{"devices", devices},
            {"heartbeats", devices * intervals},
            {"registration_ns_per_device", static_cast<double>(registration_cpu.count()) / static_cast<double>(devices)},
            {"message_ns_per_heartbeat", message_ns},
            {"total_ns_per_heartbeat", total_ns},
            {"heartbeats_per_cpu_second", 1e9 / total_ns},
            {"ticks", ticks},
            {"tick_us_mean", ticks == 0 ? 0.0 : static_cast<double>(tick_cpu.count()) / 1e3 / static_cast<double>(ticks)},
            {"tick_us_max", static_cast<double>(tick_cpu_max.count()) / 1e3},
            {"idle_tick_ns", static_cast<double>(idle_tick_cpu.count())},
            {"heartbeats_sent_by_engine", outgoing},
            {"cpu_share_of_one_core", heartbeats / std::chrono::duration<double>(config.heartbeat_interval * static_cast<std::int64_t>(intervals)).count() * total_ns / 1e9}};
}

}  // namespace

Report run_heartbeats(const CommonOptions&, const std::vector<std::string>& arguments) {
    namespace po = boost::program_options;
    HeartbeatOptions options;
    po::options_description description("Usage: aip-bench heartbeats [options]\n\nOptions");
    description.add_options()
        ("devices", po::value(&options.device_counts)->default_value(options.device_counts),
         "device counts to measure, separated by commas")
        ("intervals", po::value(&options.intervals)->default_value(options.intervals),
         "heartbeat intervals simulated per count (each device sends one HEARTBEAT per interval)");
    std::string help;
    if (!parse_arguments(description, arguments, help)) {
        return {nullptr, help};
    }
    if (options.intervals == 0) {
        throw std::invalid_argument("invalid value '0' for --intervals: must be above zero");
    }

    nlohmann::json runs = nlohmann::json::array();
    for (const std::size_t devices : parse_counts(options.device_counts, "devices")) {
        runs.push_back(measure(devices, options.intervals));
    }
    nlohmann::json data{{"benchmark", "heartbeats"},
                        {"heartbeat_interval_ms", 1000},
                        {"intervals", options.intervals},
                        {"runs", runs}};

    std::ostringstream text;
    text << "heartbeats: engine on a virtual clock, heartbeat 1 s, " << options.intervals
         << " intervals, thread CPU time\n";
    text << "devices  ns/heartbeat  ns/hb+ticks  heartbeats/cpu-s  ticks  tick us mean  tick us max  idle tick ns  "
            "register ns/dev  core share\n";
    for (const auto& run : runs) {
        char line[240];
        std::snprintf(line, sizeof line, "%7zu %13.0f %12.0f %17.0f %6zu %13.1f %12.1f %13.0f %16.0f %11.3f\n",
                      run["devices"].get<std::size_t>(), run["message_ns_per_heartbeat"].get<double>(),
                      run["total_ns_per_heartbeat"].get<double>(), run["heartbeats_per_cpu_second"].get<double>(),
                      run["ticks"].get<std::size_t>(), run["tick_us_mean"].get<double>(),
                      run["tick_us_max"].get<double>(), run["idle_tick_ns"].get<double>(),
                      run["registration_ns_per_device"].get<double>(), run["cpu_share_of_one_core"].get<double>());
        text << line;
    }
    return {data, text.str()};
}

}  // namespace aip::bench
