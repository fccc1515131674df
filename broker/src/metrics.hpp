// The /metrics endpoint: the engine's counters in the Prometheus text format, served by
// cpp-httplib on its own thread from a snapshot that the broker loop publishes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "aip_plugin.h"

namespace httplib {
class Server;
}

namespace aip::broker {

// Counters that the host keeps on top of the engine's statistics.
struct HostCounters {
    std::map<std::string, std::uint64_t> protocol_errors_by_code;
    std::uint64_t sends_dropped{0};
};

struct MetricsAddress {
    std::string host;
    int port{0};
};

// Parses HOST:PORT (port 0 to 65535). Returns an error naming the value, or the address.
[[nodiscard]] std::variant<MetricsAddress, std::string> parse_metrics_address(const std::string& text);

// Returns the Prometheus text exposition of the counters.
[[nodiscard]] std::string format_metrics(const aip_stats& stats, const HostCounters& counters);

class MetricsServer {
public:
    // Binds HOST:PORT (port 0 picks a free one) and starts serving. Throws std::runtime_error
    // naming the address when it cannot bind.
    explicit MetricsServer(const std::string& address);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Replaces the snapshot that the next scrape returns; called by the broker loop.
    void publish(const aip_stats& stats, const HostCounters& counters);

    [[nodiscard]] int port() const noexcept { return port_; }

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_{0};
    std::mutex mutex_;
    std::string body_;
};

}  // namespace aip::broker
