// DeviceEndpoint: a device agent's side of the protocol. Registers with capabilities and slots,
// runs each ASSIGN through a TaskHandler on its own worker thread and sends the RESULT.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <zmq.hpp>

#include "aip/peer/endpoint_callbacks.hpp"
#include "aip/peer/session.hpp"
#include "aip/peer/task.hpp"

namespace aip::peer {

class CompletionQueue;

class DeviceEndpoint {
public:
    enum class RunResult : std::uint8_t {
        Stopped,  // request_stop() was called; DISCONNECT was sent when connected
        GaveUp,   // the reconnect policy allowed no more retries
    };

    // Throws std::invalid_argument when the options are invalid. The role is forced to device.
    DeviceEndpoint(SessionOptions options, TaskHandler handler, EndpointCallbacks callbacks = {});
    ~DeviceEndpoint();
    DeviceEndpoint(const DeviceEndpoint&) = delete;
    DeviceEndpoint& operator=(const DeviceEndpoint&) = delete;

    // Registers and serves tasks until stopped or given up. On return every running task has
    // been cancelled and its worker joined, or detached after `shutdown_timeout` (logged).
    [[nodiscard]] RunResult run();

    // Makes run() return soon. Async-signal-safe and callable from any thread.
    void request_stop() noexcept;

    // Bound on the wait for running handlers to return after cancellation at shutdown.
    void set_shutdown_timeout(plugin::Duration timeout) noexcept;

    // Returns the number of attempts whose worker is still running; socket thread only.
    [[nodiscard]] std::size_t running_tasks() const noexcept;

private:
    struct RunningTask;
    using TaskKey = std::pair<std::string, std::uint32_t>;  // task id, attempt

    void handle_message(proto::Message&& message);
    void handle_assign(proto::Assign&& assign);
    void handle_abort(const proto::Abort& abort);
    void abort_all(const std::string& reason);
    void collect_completions();
    void abort_overdue();
    void wait_for_workers();

    zmq::context_t context_{1};
    TaskHandler handler_;
    EndpointCallbacks callbacks_;
    std::unique_ptr<Session> session_;
    std::shared_ptr<CompletionQueue> completions_;
    std::map<TaskKey, std::unique_ptr<RunningTask>> running_;
    std::atomic<bool> stop_requested_{false};
    plugin::Duration shutdown_timeout_{5000};
};

}  // namespace aip::peer
