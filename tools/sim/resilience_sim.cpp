// Seeded simulations behind the figures of docs/resilience.md, on a virtual clock.
//
//   aip-resilience-sim detectors [hours] [trials] [seed]
//       Compares the Fixed and Phi failure detectors of HeartbeatManager on simulated heartbeat
//       arrivals: false suspicions per hour of a live peer, and detection latency of a dead one.
//   aip-resilience-sim backoff [seed]
//       Prints the delay of every retry for each jitter kind as CSV, for tools/plot_backoff.py.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "aip/plugin/failure_detector.hpp"
#include "aip/plugin/heartbeat_manager.hpp"
#include "aip/plugin/reconnection.hpp"

namespace {

using namespace std::chrono_literals;
using aip::plugin::DetectorConfig;
using aip::plugin::DetectorKind;
using aip::plugin::Duration;
using aip::plugin::HeartbeatManager;
using aip::plugin::TimePoint;

// The network and sender model. The sender sends a heartbeat every `interval`, each send
// shifted by normal jitter. Each message takes `base_delay` plus an exponential extra delay, and
// with probability `spike_probability` a spike of uniform [spike_min, spike_max] more. Messages
// stay in order as on TCP, so a message never arrives before the previous one.
struct NetworkModel {
    Duration interval{1000};
    double send_jitter_ms{50.0};
    double base_delay_ms{20.0};
    double extra_delay_mean_ms{30.0};
    double spike_probability{0.002};
    double spike_min_ms{500.0};
    double spike_max_ms{2500.0};
};

class ArrivalStream {
public:
    ArrivalStream(const NetworkModel& model, std::uint64_t seed, TimePoint start)
        : model_(model), random_(seed), next_send_(start) {}

    // Returns the next arrival time, and the time it was sent.
    std::pair<TimePoint, TimePoint> next() {
        next_send_ += model_.interval;
        const double jitter = std::normal_distribution<double>(0.0, model_.send_jitter_ms)(random_);
        const TimePoint sent = next_send_ + to_duration(jitter);

        double delay = model_.base_delay_ms +
                       std::exponential_distribution<double>(1.0 / model_.extra_delay_mean_ms)(random_);
        if (std::uniform_real_distribution<double>(0.0, 1.0)(random_) < model_.spike_probability) {
            delay += std::uniform_real_distribution<double>(model_.spike_min_ms, model_.spike_max_ms)(random_);
        }
        last_arrival_ = std::max(last_arrival_, sent + to_duration(delay));
        return {last_arrival_, sent};
    }

private:
    static Duration to_duration(double ms) { return Duration{static_cast<Duration::rep>(ms)}; }

    NetworkModel model_;
    std::mt19937_64 random_;
    TimePoint next_send_;
    TimePoint last_arrival_{};
};

struct Candidate {
    std::string label;
    std::uint32_t liveness;
    DetectorConfig detector;
};

struct Result {
    double false_suspicions_per_hour{0.0};
    double mean_latency_ms{0.0};
    double p99_latency_ms{0.0};
    double max_latency_ms{0.0};
};

// Feeds `arrivals` into a HeartbeatManager until `end`, polling at every arrival and at every
// deadline as an event loop would. Calls on_lost(now) for each conviction.
template <typename OnLost>
void run(HeartbeatManager& manager, ArrivalStream& arrivals, TimePoint start, TimePoint end,
         TimePoint death, OnLost on_lost) {
    const std::string id = "peer";
    manager.start_heartbeat(id, start);
    auto arrival = arrivals.next();
    TimePoint now = start;

    while (now < end) {
        const bool alive = arrival.second < death;
        const TimePoint next_arrival = alive ? arrival.first : TimePoint::max();
        const TimePoint deadline = manager.next_deadline().value_or(TimePoint::max());
        now = std::min({next_arrival, deadline, end});

        if (alive && now == next_arrival) {
            manager.on_received(id, now);
            arrival = arrivals.next();
        }
        const auto due = manager.poll(now);
        if (!due.lost.empty()) {
            if (on_lost(now)) {
                return;
            }
            manager.start_heartbeat(id, now);  // the peer registers again at once
        }
    }
}

Result evaluate(const Candidate& candidate, const NetworkModel& model, int hours, int trials,
                std::uint64_t seed) {
    const TimePoint start{std::chrono::hours(1)};
    Result result;

    // False suspicions: one live peer for `hours`.
    {
        HeartbeatManager manager(model.interval, candidate.liveness, candidate.detector);
        ArrivalStream arrivals(model, seed, start);
        int suspicions = 0;
        run(manager, arrivals, start, start + std::chrono::hours(hours), TimePoint::max(),
            [&](TimePoint) {
                ++suspicions;
                return false;
            });
        result.false_suspicions_per_hour = static_cast<double>(suspicions) / hours;
    }

    // Detection latency: a peer that lives 2 to 10 minutes, then stops sending. Latency counts
    // from the send time of the first heartbeat it did not send.
    std::vector<double> latencies;
    std::mt19937_64 lifetimes(seed + 1);
    for (int trial = 0; trial < trials; ++trial) {
        HeartbeatManager manager(model.interval, candidate.liveness, candidate.detector);
        ArrivalStream arrivals(model, seed + 1000 + static_cast<std::uint64_t>(trial), start);
        const TimePoint death =
            start + Duration{std::uniform_int_distribution<std::int64_t>(120'000, 600'000)(lifetimes)};
        run(manager, arrivals, start, death + 1h, death, [&](TimePoint now) {
            if (now < death) {
                return false;  // a false suspicion while alive; counted above
            }
            latencies.push_back(std::chrono::duration<double, std::milli>(now - death).count());
            return true;
        });
    }

    std::sort(latencies.begin(), latencies.end());
    double sum = 0.0;
    for (const double latency : latencies) {
        sum += latency;
    }
    if (!latencies.empty()) {
        result.mean_latency_ms = sum / static_cast<double>(latencies.size());
        result.p99_latency_ms = latencies[latencies.size() * 99 / 100];
        result.max_latency_ms = latencies.back();
    }
    return result;
}

int detectors(int hours, int trials, std::uint64_t seed) {
    const NetworkModel model;
    std::vector<Candidate> candidates;
    for (const std::uint32_t liveness : {2U, 3U, 4U, 5U}) {
        candidates.push_back({"fixed liveness " + std::to_string(liveness), liveness, {}});
    }
    for (const double threshold : {1.0, 2.0, 3.0, 5.0, 8.0, 12.0}) {
        for (const Duration pause : {0ms, 500ms, 1000ms, 2000ms}) {
            DetectorConfig detector;
            detector.kind = DetectorKind::Phi;
            detector.threshold = threshold;
            detector.acceptable_pause = pause;
            detector.capped = false;
            std::ostringstream label;
            label << "phi threshold " << threshold << ", pause " << pause.count() << " ms";
            candidates.push_back({label.str(), 3, detector});
        }
    }
    // Phi capped by the Fixed rule at the same liveness: it can only convict earlier.
    for (const std::uint32_t liveness : {3U, 4U, 5U}) {
        DetectorConfig detector;
        detector.kind = DetectorKind::Phi;
        detector.threshold = 8.0;
        detector.acceptable_pause = 2000ms;
        detector.capped = true;
        candidates.push_back({"phi threshold 8, pause 2000 ms, capped at liveness " + std::to_string(liveness),
                              liveness, detector});
    }

    std::cout << "| detector | false suspicions per hour | mean latency (ms) | p99 latency (ms) "
                 "| max latency (ms) |\n|---|---:|---:|---:|---:|\n";
    for (const auto& candidate : candidates) {
        const Result result = evaluate(candidate, model, hours, trials, seed);
        std::cout << "| " << candidate.label << " | " << std::fixed << std::setprecision(2)
                  << result.false_suspicions_per_hour << " | " << std::setprecision(0)
                  << result.mean_latency_ms << " | " << result.p99_latency_ms << " | "
                  << result.max_latency_ms << " |\n";
    }
    return 0;
}

int backoff(std::uint64_t seed) {
    using aip::plugin::BackoffPolicy;
    using aip::plugin::Jitter;
    using aip::plugin::ReconnectionPolicy;
    using aip::plugin::ReconnectionStrategy;

    std::cout << "policy,jitter,run,retry,delay_ms\n";
    for (const auto policy_kind : {BackoffPolicy::Exponential, BackoffPolicy::Linear}) {
        for (const auto jitter : {Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated,
                                  Jitter::Proportional}) {
            // Several runs per jitter kind show the spread; one suffices without jitter.
            const int runs = jitter == Jitter::None ? 1 : 20;
            for (int run = 0; run < runs; ++run) {
                ReconnectionPolicy policy;
                policy.policy = policy_kind;
                policy.max_retries = 10;
                policy.jitter = jitter;
                policy.max_backoff = policy_kind == BackoffPolicy::Linear ? 10s : 60s;
                ReconnectionStrategy strategy(
                    policy, aip::plugin::seeded_random_source(seed + static_cast<std::uint64_t>(run)));
                int retry = 0;
                while (const auto delay = strategy.next_delay()) {
                    std::cout << to_string(policy_kind) << ',' << to_string(jitter) << ',' << run
                              << ',' << ++retry << ',' << delay->count() << '\n';
                }
            }
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "detectors") {
        const int hours = argc > 2 ? std::atoi(argv[2]) : 24;
        const int trials = argc > 3 ? std::atoi(argv[3]) : 500;
        const std::uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
        if (hours <= 0 || trials <= 0) {
            std::cerr << "hours and trials must be positive integers\n";
            return 2;
        }
        return detectors(hours, trials, seed);
    }
    if (command == "backoff") {
        return backoff(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1);
    }
    std::cerr << "usage: aip-resilience-sim detectors [hours] [trials] [seed]\n"
                 "       aip-resilience-sim backoff [seed]\n";
    return 2;
}
