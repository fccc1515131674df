#include "metrics.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <sstream>
#include <stdexcept>

namespace aip::broker {

namespace {

void write_metric(std::ostringstream& out, const char* name, const char* type, const char* help,
                  std::uint64_t value) {
    out << "# HELP " << name << ' ' << help << '\n';
    out << "# TYPE " << name << ' ' << type << '\n';
    out << name << ' ' << value << '\n';
}

}  // namespace

std::string format_metrics(const aip_stats& stats, const HostCounters& counters) {
    std::ostringstream out;
    write_metric(out, "aip_messages_received_total", "counter", "Messages received from peers.", stats.messages_in);
    write_metric(out, "aip_messages_sent_total", "counter", "Messages sent to peers.", stats.messages_out);
    write_metric(out, "aip_results_dropped_total", "counter",
                 "Results or acknowledgements for attempts that had already ended.", stats.results_dropped);
    write_metric(out, "aip_devices_connected", "gauge", "Devices in state CONNECTED.", stats.devices_connected);
    write_metric(out, "aip_devices_disconnected", "gauge", "Devices in state DISCONNECTED.",
                 stats.devices_disconnected);
    write_metric(out, "aip_clients_connected", "gauge", "Orchestrators in state CONNECTED.", stats.clients_connected);
    write_metric(out, "aip_devices_lost_total", "counter", "Transitions of devices from CONNECTED to DISCONNECTED.",
                 stats.devices_lost);
    write_metric(out, "aip_tasks_pending", "gauge", "Tasks waiting for a device.", stats.tasks_pending);
    write_metric(out, "aip_tasks_running", "gauge", "Tasks dispatched to a device.", stats.tasks_running);
    write_metric(out, "aip_tasks_reassigned_total", "counter", "Task attempts retried after a device failure.",
                 stats.tasks_reassigned);
    write_metric(out, "aip_sends_dropped_total", "counter",
                 "Messages dropped because a peer's send queue was full.", counters.sends_dropped);

    out << "# HELP aip_tasks_finished_total Tasks that reached a final state.\n";
    out << "# TYPE aip_tasks_finished_total counter\n";
    out << "aip_tasks_finished_total{state=\"COMPLETED\"} " << stats.tasks_completed << '\n';
    out << "aip_tasks_finished_total{state=\"FAILED\"} " << stats.tasks_failed << '\n';
    out << "aip_tasks_finished_total{state=\"CANCELLED\"} " << stats.tasks_cancelled << '\n';
    out << "aip_tasks_finished_total{state=\"TIMED_OUT\"} " << stats.tasks_timed_out << '\n';

    out << "# HELP aip_protocol_errors_total Rejected messages, by error code.\n";
    out << "# TYPE aip_protocol_errors_total counter\n";
    for (const auto& [code, count] : counters.protocol_errors_by_code) {
        out << "aip_protocol_errors_total{code=\"" << code << "\"} " << count << '\n';
    }
    return out.str();
}

std::variant<MetricsAddress, std::string> parse_metrics_address(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return "invalid value '" + text + "' for --metrics-bind: expected HOST:PORT, such as 127.0.0.1:9464";
    }
    const std::string port_text = text.substr(colon + 1);
    const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                        port_text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port_text) > 65535) {
        return "invalid port in --metrics-bind '" + text + "': expected a number from 0 to 65535";
    }
    return MetricsAddress{text.substr(0, colon), std::stoi(port_text)};
}

MetricsServer::MetricsServer(const std::string& address) : server_(std::make_unique<httplib::Server>()) {
    const auto parsed = parse_metrics_address(address);
    if (const auto* error = std::get_if<std::string>(&parsed)) {
        throw std::runtime_error(*error);
    }
    const auto& [host, port] = std::get<MetricsAddress>(parsed);

    // cpp-httplib sets SO_REUSEPORT by default, which lets a second broker bind the same port
    // and share the scrapes; only SO_REUSEADDR is wanted.
    server_->set_socket_options([](int socket) {
        int yes = 1;
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });

    server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
        std::lock_guard lock(mutex_);
        response.set_content(body_, "text/plain; version=0.0.4");
    });

    port_ = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
    if (port_ <= 0) {
        throw std::runtime_error("cannot bind the metrics endpoint to " + address + ": is the port in use?");
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
    server_->stop();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void MetricsServer::publish(const aip_stats& stats, const HostCounters& counters) {
    auto body = format_metrics(stats, counters);
    std::lock_guard lock(mutex_);
    body_ = std::move(body);
}

}  // namespace aip::broker
