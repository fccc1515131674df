// detection: M raw DEALER devices heartbeat a real aip-broker. One at a time is silenced: it
// stops sending and reading but keeps its socket open, like a hung process. The benchmark
// measures the time until the broker publishes its DISCONNECTED event, K times.
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include "bench.hpp"
#include "child_process.hpp"
#include "options.hpp"
#include "raw_peer.hpp"
#include "statistics.hpp"

namespace aip::bench {

namespace {

using namespace std::chrono_literals;
using Milliseconds = std::chrono::duration<double, std::milli>;

struct DetectionOptions {
    std::size_t devices{20};
    std::size_t trials{20};
    long long heartbeat_ms{200};
    unsigned liveness{3};
    std::uint64_t seed{1};
};

class Fleet {
public:
    Fleet(const std::string& endpoint, const DetectionOptions& options)
        : endpoint_(endpoint), interval_(options.heartbeat_ms) {
        std::vector<proto::Register> registrations;
        for (std::size_t index = 0; index < options.devices; ++index) {
            devices_.push_back(std::make_unique<RawPeer>(context_, endpoint));
            registrations.push_back(device_registration(device_id(index), 1));
        }
        client_ = std::make_unique<RawPeer>(context_, endpoint);
        registrations.push_back(proto::Register{.role = proto::Role::Client, .peer_id = "bench-watcher"});

        std::vector<RawPeer*> peers = active_peers();
        if (!register_all(peers, registrations, 10s)) {
            throw std::runtime_error("detection: the peers did not all register within 10 s");
        }
        client_->send(proto::Subscribe{.enabled = true});
    }

    static std::string device_id(std::size_t index) { return "detect-" + std::to_string(index); }

    // Keeps the active peers heartbeating until `until`; returns the arrival time of the first
    // DISCONNECTED event for `watched_id`, or nullopt when `until` comes first.
    std::optional<Clock::time_point> pump(Clock::time_point until, const std::string& watched_id = "") {
        while (Clock::now() < until) {
            std::vector<RawPeer*> peers = active_peers();
            for (const std::size_t index : poll_readable(peers, 2ms)) {
                while (auto message = peers[index]->try_receive()) {
                    const auto* event = std::get_if<proto::Event>(&*message);
                    if (peers[index] == client_.get() && event != nullptr && event->kind == "device" &&
                        event->id == watched_id && event->state == "DISCONNECTED") {
                        return Clock::now();
                    }
                }
            }
            const auto now = Clock::now();
            for (RawPeer* peer : peers) {
                if (now - peer->last_sent() >= interval_) {
                    peer->send(proto::Heartbeat{});
                }
            }
        }
        return std::nullopt;
    }

    // Stops all traffic of device `index`; returns the time it last sent.
    Clock::time_point silence(std::size_t index) {
        silenced_ = index;
        return devices_[index]->last_sent();
    }

    // Replaces the silenced device by a new socket that registers the same id again.
    void revive() {
        const std::size_t index = *silenced_;
        devices_[index] = std::make_unique<RawPeer>(context_, endpoint_);
        silenced_.reset();
        if (!register_all({devices_[index].get()}, {device_registration(device_id(index), 1)}, 5s)) {
            throw std::runtime_error("detection: device " + device_id(index) + " did not register again within 5 s");
        }
    }

private:
    std::vector<RawPeer*> active_peers() {
        std::vector<RawPeer*> peers;
        for (std::size_t index = 0; index < devices_.size(); ++index) {
            if (index != silenced_) {
                peers.push_back(devices_[index].get());
            }
        }
        peers.push_back(client_.get());
        return peers;
    }

    std::string endpoint_;
    std::chrono::milliseconds interval_;
    zmq::context_t context_{1};
    std::vector<std::unique_ptr<RawPeer>> devices_;
    std::unique_ptr<RawPeer> client_;
    std::optional<std::size_t> silenced_;
};

}  // namespace

Report run_detection(const CommonOptions& common, const std::vector<std::string>& arguments) {
    namespace po = boost::program_options;
    DetectionOptions options;
    po::options_description description("Usage: aip-bench detection [options]\n\nOptions");
    description.add_options()
        ("devices", po::value(&options.devices)->default_value(options.devices), "raw DEALER devices heartbeating")
        ("trials", po::value(&options.trials)->default_value(options.trials), "devices silenced, one after another")
        ("heartbeat-interval-ms", po::value(&options.heartbeat_ms)->default_value(options.heartbeat_ms),
         "the broker's --heartbeat-interval, in milliseconds")
        ("liveness", po::value(&options.liveness)->default_value(options.liveness), "the broker's --heartbeat-liveness")
        ("seed", po::value(&options.seed)->default_value(options.seed), "seed of the random silencing moments");
    std::string help;
    if (!parse_arguments(description, arguments, help)) {
        return {nullptr, help};
    }
    const auto interval = milliseconds_option(options.heartbeat_ms, "heartbeat-interval-ms");
    if (options.devices == 0 || options.trials == 0 || options.liveness == 0) {
        throw std::invalid_argument("--devices, --trials and --liveness must be above zero");
    }

    ChildProcess broker(common.broker_path,
                        {"--bind", "tcp://127.0.0.1:*", "--heartbeat-interval", std::to_string(interval.count()) + "ms",
                         "--heartbeat-liveness", std::to_string(options.liveness), "--device-grace", "10m",
                         "--log-level", "warn"});
    const std::string endpoint = wait_for_endpoint(broker, "aip-broker", "aip-broker listening on ", 10s);
    Fleet fleet(endpoint, options);

    const auto bound = interval * options.liveness + interval / 4;
    const auto wait_limit = bound * 4 + 1s;
    std::mt19937_64 random(options.seed);
    std::uniform_int_distribution<long long> offset_ms(0, interval.count() - 1);
    std::vector<double> from_last_message;
    std::vector<double> from_silence;
    for (std::size_t trial = 0; trial < options.trials; ++trial) {
        // A random moment within the heartbeat cycle, so that the phase is not always the same.
        (void)fleet.pump(Clock::now() + std::chrono::milliseconds{offset_ms(random)});

        const std::size_t index = trial % options.devices;
        const auto silenced_at = Clock::now();
        const auto last_sent = fleet.silence(index);
        const auto detected_at = fleet.pump(silenced_at + wait_limit, Fleet::device_id(index));
        if (!detected_at) {
            throw std::runtime_error("detection: no DISCONNECTED event for " + Fleet::device_id(index) + " within " +
                                     std::to_string(wait_limit.count()) + " ms");
        }
        from_last_message.push_back(Milliseconds(*detected_at - last_sent).count());
        from_silence.push_back(Milliseconds(*detected_at - silenced_at).count());
        fleet.revive();
    }

    const double bound_ms = static_cast<double>(bound.count());
    std::size_t over_bound = 0;
    for (const double sample : from_last_message) {
        over_bound += sample > bound_ms ? 1 : 0;
    }
    const Distribution last = summarize(from_last_message);
    const Distribution silence = summarize(from_silence);
    nlohmann::json data{{"benchmark", "detection"},
                        {"devices", options.devices},
                        {"trials", options.trials},
                        {"heartbeat_interval_ms", interval.count()},
                        {"liveness", options.liveness},
                        {"bound_ms", bound_ms},
                        {"over_bound", over_bound},
                        {"from_last_message_ms", to_json(last)},
                        {"from_silence_ms", to_json(silence)},
                        {"samples_from_last_message_ms", from_last_message},
                        {"samples_from_silence_ms", from_silence}};

    std::ostringstream text;
    char line[200];
    std::snprintf(line, sizeof line,
                  "detection: %zu devices, %zu trials, heartbeat %lld ms x %u, bound %.0f ms "
                  "(interval x liveness + interval / 4)\n",
                  options.devices, options.trials, static_cast<long long>(interval.count()), options.liveness, bound_ms);
    text << line;
    text << "measured from        min     p50     p90     max  (ms)\n";
    for (const auto& [label, stats] : {std::pair{"last message sent", last}, std::pair{"silencing", silence}}) {
        std::snprintf(line, sizeof line, "%-18s %7.1f %7.1f %7.1f %7.1f\n", label, stats.min, stats.p50, stats.p90,
                      stats.max);
        text << line;
    }
    text << "over the bound: " << over_bound << " of " << options.trials << "\n";
    return {data, text.str()};
}

}  // namespace aip::bench
