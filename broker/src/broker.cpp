#include "broker.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <iostream>
#include <memory>
#include <zmq.hpp>

#include "aip/plugin/duration.hpp"
#include "engine_handle.hpp"
#include "event_log.hpp"
#include "metrics.hpp"
#include "signals.hpp"

namespace aip::broker {

namespace {

using Clock = std::chrono::steady_clock;

// Messages taken in per loop turn before timers run, so that a flood cannot starve detection.
constexpr int kMaxMessagesPerTurn = 10000;
// Upper bound on one poll wait; the engine normally requests an earlier wake-up.
constexpr plugin::Duration kMaxPollWait{1000};
// Frames beyond this are read and dropped, so that a hostile message cannot exhaust memory.
constexpr std::size_t kMaxFramesRead = 8;

class Host {
public:
    Host(const BrokerOptions& options, const aip_plugin_descriptor& descriptor)
        : options_(options),
          engine_(descriptor, options.engine, now_ms()),
          router_(context_, zmq::socket_type::router) {
        // Metrics first: a start that fails must not have announced "listening on" already.
        if (!options.metrics_bind.empty()) {
            metrics_ = std::make_unique<MetricsServer>(options.metrics_bind);
            spdlog::info("serving metrics on http://{}:{}/metrics",
                         options.metrics_bind.substr(0, options.metrics_bind.rfind(':')), metrics_->port());
        }
        configure_socket();
        bind_endpoints();
        if (metrics_) {
            std::cout << "aip-broker metrics on port " << metrics_->port() << std::endl;
        }
    }

    EngineHandle& engine() { return engine_; }

    int run() {
        StopSignals signals;
        const auto& engine = options_.engine;
        const auto& advice = engine.advised_reconnect;
        spdlog::info("broker running: heartbeat {} x {} ({} detector), device grace {}, client grace {}, "
                     "dispatch timeout {}, task timeout {}",
                     plugin::format_duration(engine.heartbeat_interval), engine.liveness,
                     plugin::to_string(engine.detector.kind), plugin::format_duration(engine.device_grace),
                     plugin::format_duration(engine.client_grace), plugin::format_duration(engine.dispatch_timeout),
                     plugin::format_duration(engine.default_task_timeout));
        spdlog::info("reconnect policy recommended to peers: {}, {} retries, {} to {}, multiplier {}, jitter {}",
                     plugin::to_string(advice.policy), advice.max_retries,
                     plugin::format_duration(advice.initial_backoff), plugin::format_duration(advice.max_backoff),
                     advice.multiplier, plugin::to_string(advice.jitter));

        while (true) {
            const int signal_number = wait_for_work(signals);
            if (signal_number != 0) {
                spdlog::info("received signal {}, shutting down", signal_number);
                break;
            }

            // Take in everything that arrived before running timers: after a stall of this loop,
            // peers whose messages are queued must not be convicted for the stall.
            receive_messages();
            engine_.on_tick(now_ms());
            flush();
            publish_metrics();
        }

        shut_down();
        return 0;
    }

private:
    void configure_socket() {
        router_.set(zmq::sockopt::router_mandatory, 1);
        router_.set(zmq::sockopt::linger, static_cast<int>(options_.shutdown_timeout.count()));
        // libzmq drops a connection that sends a single frame above this; the engine rejects
        // smaller oversize messages with an ERROR naming the limit.
        const auto frame_limit = static_cast<std::int64_t>(options_.engine.max_message_bytes) * 2 + 4096;
        router_.set(zmq::sockopt::maxmsgsize, frame_limit);
        router_.set(zmq::sockopt::sndhwm, 100000);
        router_.set(zmq::sockopt::rcvhwm, 100000);
        // Close dead TCP connections too, in addition to the protocol's own heartbeats.
        const auto interval_ms = static_cast<int>(options_.engine.heartbeat_interval.count());
        router_.set(zmq::sockopt::heartbeat_ivl, interval_ms);
        router_.set(zmq::sockopt::heartbeat_timeout,
                    interval_ms * static_cast<int>(options_.engine.liveness));
    }

    void bind_endpoints() {
        for (const auto& endpoint : options_.bind_endpoints) {
            reject_live_ipc_endpoint(endpoint);
            try {
                router_.bind(endpoint);
            } catch (const zmq::error_t& error) {
                throw std::runtime_error("cannot bind " + endpoint + ": " + error.what() +
                                         " (is another broker using it?)");
            }
            const auto bound = router_.get(zmq::sockopt::last_endpoint);
            spdlog::info("listening on {}", bound);
            // Machine-readable line on stdout: tests and scripts that bind port * read it.
            std::cout << "aip-broker listening on " << bound << std::endl;
        }
    }

    // libzmq replaces the file of an ipc endpoint when it binds, which would silently steal the
    // endpoint from a running broker. A file that still accepts connections is in use.
    static void reject_live_ipc_endpoint(const std::string& endpoint) {
        constexpr std::string_view kScheme = "ipc://";
        if (endpoint.rfind(kScheme, 0) != 0) {
            return;
        }
        const std::string path = endpoint.substr(kScheme.size());
        sockaddr_un address{};
        if (path.empty() || path[0] == '@' || path.size() >= sizeof(address.sun_path)) {
            return;
        }

        address.sun_family = AF_UNIX;
        std::memcpy(address.sun_path, path.data(), path.size());
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            return;
        }
        const bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
        ::close(probe);
        if (live) {
            throw std::runtime_error("cannot bind " + endpoint +
                                     ": another process is listening on it (is another broker using it?)");
        }
    }

    // Waits until a message or a signal arrives or the engine's next wake-up; returns the signal.
    int wait_for_work(StopSignals& signals) {
        auto wait = kMaxPollWait;
        if (const auto wakeup = engine_.next_wakeup()) {
            const auto until = plugin::Duration{*wakeup - now_ms()};
            // Round up so that the loop does not wake a millisecond early and spin.
            wait = std::clamp(until + plugin::Duration{1}, plugin::Duration{0}, kMaxPollWait);
        }

        zmq::pollitem_t items[] = {
            {router_.handle(), 0, ZMQ_POLLIN, 0},
            {nullptr, signals.fd(), ZMQ_POLLIN, 0},
        };
        try {
            zmq::poll(items, 2, wait);
        } catch (const zmq::error_t& error) {
            // A signal interrupts the wait; the signal number is then read from the pipe.
            if (error.num() != EINTR) {
                throw;
            }
        }
        if ((items[1].revents & ZMQ_POLLIN) != 0) {
            return signals.take();
        }
        return 0;
    }

    void receive_messages() {
        for (int count = 0; count < kMaxMessagesPerTurn; ++count) {
            zmq::message_t identity;
            if (!router_.recv(identity, zmq::recv_flags::dontwait)) {
                return;
            }

            proto::Frames frames;
            std::size_t extra_frames = 0;
            while (router_.get(zmq::sockopt::rcvmore) != 0) {
                zmq::message_t part;
                (void)router_.recv(part, zmq::recv_flags::none);
                if (frames.size() < kMaxFramesRead) {
                    frames.emplace_back(part.to_string());
                } else {
                    ++extra_frames;
                }
            }
            if (extra_frames > 0) {
                // Keep the count visible to the codec: it rejects the message as too_many_frames.
                frames.emplace_back();
            }

            engine_.on_message(identity.to_string(), frames, now_ms());
            flush();
        }
    }

    void flush() {
        const auto now = Clock::now();
        engine_.drain_actions([this](const aip_action& action) { send(action); });
        engine_.drain_events([this, now](const aip_event& event) {
            if (event.kind == AIP_EVENT_PROTOCOL_ERROR) {
                ++counters_.protocol_errors_by_code[event.reason];
            }
            event_log_.log(event, now);
        });
    }

    void send(const aip_action& action) {
        const std::string_view routing_id(reinterpret_cast<const char*>(action.routing_id), action.routing_id_size);
        try {
            if (!router_.send(zmq::buffer(routing_id.data(), routing_id.size()),
                              zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
                ++counters_.sends_dropped;
                spdlog::warn("send queue full for routing_id={}, message dropped", format_routing_id(routing_id));
                return;
            }
            for (std::size_t i = 0; i < action.frame_count; ++i) {
                const auto& frame = action.frames[i];
                const auto more = i + 1 < action.frame_count ? zmq::send_flags::sndmore : zmq::send_flags::none;
                (void)router_.send(zmq::buffer(frame.data, frame.size), more);
            }
        } catch (const zmq::error_t& error) {
            if (error.num() == EHOSTUNREACH) {
                // The peer's connection is gone; its silence will be detected by heartbeats.
                spdlog::debug("peer routing_id={} is unreachable, message dropped",
                              format_routing_id(routing_id));
                return;
            }
            spdlog::error("sending to routing_id={} failed: {}", format_routing_id(routing_id),
                          error.what());
        }
    }

    // Refreshes the /metrics snapshot at most twice a second: formatting it on every turn would
    // cost more than the turn itself under load.
    void publish_metrics() {
        if (!metrics_) {
            return;
        }
        const auto now = Clock::now();
        if (now - last_metrics_ < std::chrono::milliseconds(500)) {
            return;
        }
        last_metrics_ = now;
        metrics_->publish(engine_.stats(), counters_);
    }

    void shut_down() {
        engine_.shutdown(now_ms());
        flush();
        const auto stats = engine_.stats();
        spdlog::info("broker stopped: {} messages in, {} out, {} rejected, {} tasks completed, {} failed",
                     stats.messages_in, stats.messages_out, stats.protocol_errors, stats.tasks_completed,
                     stats.tasks_failed);
    }

    static std::int64_t now_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
    }

    const BrokerOptions& options_;
    EngineHandle engine_;
    zmq::context_t context_;
    zmq::socket_t router_;
    EventLog event_log_;
    HostCounters counters_;
    std::unique_ptr<MetricsServer> metrics_;
    Clock::time_point last_metrics_{};
};

}  // namespace

int run_broker(const BrokerOptions& options) {
    for (const auto& warning : options.engine.advised_reconnect.warnings()) {
        spdlog::warn("recommended reconnect policy: {}", warning);
    }

    std::unique_ptr<SharedLibrary> plugin_library;
    const aip_plugin_descriptor* descriptor = &builtin_descriptor();
    if (!options.plugin_path.empty()) {
        plugin_library = std::make_unique<SharedLibrary>(options.plugin_path);
        descriptor = &load_descriptor(*plugin_library);
        spdlog::info("loaded engine plugin '{}' version {} from {}", descriptor->name, descriptor->version,
                     options.plugin_path);
    }

    std::vector<std::unique_ptr<Observer>> observers;
    for (const auto& path : options.observer_paths) {
        observers.push_back(std::make_unique<Observer>(path, options.observer_config));
        spdlog::info("loaded observer plugin {}", path);
    }

    // The host, and with it the engine, ends before the observers and the plugin it came from.
    Host host(options, *descriptor);
    for (auto& observer : observers) {
        observer->attach(host.engine());
    }
    return host.run();
}

}  // namespace aip::broker
