#include "aip/peer/device_endpoint.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "aip/plugin/duration.hpp"

namespace aip::peer {

// Hands finished attempts from worker threads to the socket thread. Shared with the workers so
// that a worker detached at shutdown never writes into freed memory.
class CompletionQueue {
public:
    struct Completion {
        std::string task_id;
        std::uint32_t attempt{0};
        TaskOutcome outcome;
    };

    explicit CompletionQueue(std::shared_ptr<Waker> waker) : waker_(std::move(waker)) {}

    void push(Completion completion) {
        {
            std::lock_guard lock(mutex_);
            items_.push_back(std::move(completion));
        }
        changed_.notify_all();
        waker_->wake();
    }

    [[nodiscard]] std::deque<Completion> take_all() {
        std::lock_guard lock(mutex_);
        return std::exchange(items_, {});
    }

    // Waits until at least one completion is queued or the deadline passes.
    void wait_until(std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        changed_.wait_until(lock, deadline, [this] { return !items_.empty(); });
    }

private:
    std::shared_ptr<Waker> waker_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Completion> items_;
};

struct DeviceEndpoint::RunningTask {
    std::shared_ptr<CancellationToken> cancellation = std::make_shared<CancellationToken>();
    std::thread worker;
    std::uint64_t generation{0};  // the session generation that received the ASSIGN
    bool aborted{false};          // no RESULT may be sent for this attempt any more
    // The task's deadline from ASSIGN's timeout_ms. The broker ends the task then and sends
    // ABORT; the device also stops it itself in case that ABORT is lost.
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

namespace {

SessionOptions as_device(SessionOptions options) {
    options.role = proto::Role::Device;
    return options;
}

}  // namespace

DeviceEndpoint::DeviceEndpoint(SessionOptions options, TaskHandler handler,
                               EndpointCallbacks callbacks)
    : handler_(std::move(handler)), callbacks_(std::move(callbacks)) {
    SessionCallbacks session_callbacks;
    session_callbacks.on_connected = [this] {
        if (callbacks_.on_connected) {
            callbacks_.on_connected();
        }
    };
    session_callbacks.on_reconnected = [this] {
        if (callbacks_.on_reconnected) {
            callbacks_.on_reconnected();
        }
    };
    session_callbacks.on_disconnected = [this](const std::string& reason) {
        abort_all("session lost: " + reason);
        if (callbacks_.on_disconnected) {
            callbacks_.on_disconnected(reason);
        }
    };
    session_callbacks.on_gave_up = [this](const std::string& description) {
        if (callbacks_.on_gave_up) {
            callbacks_.on_gave_up(description);
        }
    };
    session_callbacks.on_message = [this](proto::Message&& message) {
        handle_message(std::move(message));
    };

    session_ = std::make_unique<Session>(context_, as_device(std::move(options)),
                                         std::move(session_callbacks));
    completions_ = std::make_shared<CompletionQueue>(session_->waker());
}

DeviceEndpoint::~DeviceEndpoint() {
    abort_all("device endpoint destroyed");
    wait_for_workers();
}

DeviceEndpoint::RunResult DeviceEndpoint::run() {
    session_->start();

    auto result = RunResult::Stopped;
    while (!stop_requested_.load()) {
        const bool alive = session_->poll_once();
        collect_completions();
        abort_overdue();
        if (!alive) {
            result = RunResult::GaveUp;
            break;
        }
    }

    if (result == RunResult::Stopped) {
        session_->close("device stopping");
    }
    abort_all(result == RunResult::Stopped ? "device stopping" : "reconnect policy gave up");
    wait_for_workers();
    return result;
}

void DeviceEndpoint::request_stop() noexcept {
    stop_requested_.store(true);
    session_->waker()->wake();
}

void DeviceEndpoint::set_shutdown_timeout(plugin::Duration timeout) noexcept {
    shutdown_timeout_ = timeout;
}

std::size_t DeviceEndpoint::running_tasks() const noexcept {
    return running_.size();
}

void DeviceEndpoint::handle_message(proto::Message&& message) {
    if (auto* assign = std::get_if<proto::Assign>(&message)) {
        handle_assign(std::move(*assign));
        return;
    }
    if (const auto* abort = std::get_if<proto::Abort>(&message)) {
        handle_abort(*abort);
        return;
    }
    if (const auto* error = std::get_if<proto::Error>(&message)) {
        // An ERROR about one task ends nothing here, so logging it is all there is to do.
        spdlog::warn("device {}: broker sent ERROR {}{}: {}", session_->options().peer_id,
                     error->code, error->task_id ? " about task " + *error->task_id : "",
                     error->message);
        return;
    }
    spdlog::debug("device {}: ignored {}", session_->options().peer_id,
                  proto::command_name(static_cast<std::uint8_t>(proto::command_of(message))));
}

void DeviceEndpoint::handle_assign(proto::Assign&& assign) {
    const auto& device_id = session_->options().peer_id;
    TaskKey key{assign.task_id, assign.attempt};

    // A repeated ASSIGN (the broker did not see STARTED) gets STARTED again, not a second run.
    if (running_.contains(key)) {
        [[maybe_unused]] const bool sent = session_->send(proto::Started{assign.task_id, assign.attempt});
        return;
    }
    if (running_.size() >= session_->options().slots) {
        spdlog::warn("device {}: task {} attempt {} assigned while all {} slots are busy; running it anyway",
                     device_id, assign.task_id, assign.attempt, session_->options().slots);
    }

    [[maybe_unused]] const bool sent = session_->send(proto::Started{assign.task_id, assign.attempt});
    spdlog::info("device {}: task {} attempt {} started (timeout {})", device_id, assign.task_id,
                 assign.attempt, plugin::format_duration(assign.timeout));

    auto task = std::make_unique<RunningTask>();
    task->generation = session_->generation();
    if (assign.timeout > plugin::Duration::zero()) {
        task->deadline = std::chrono::steady_clock::now() + assign.timeout;
    }
    TaskRequest request{assign.task_id, assign.attempt, assign.timeout, std::move(assign.payload)};
    task->worker = std::thread(
        [handler = handler_, cancellation = task->cancellation, completions = completions_,
         request = std::move(request)]() mutable {
            TaskOutcome outcome;
            try {
                outcome = handler(request, *cancellation);
            } catch (const std::exception& error) {
                outcome = TaskOutcome{false, std::string("task handler failed: ") + error.what(),
                                      std::nullopt};
            } catch (...) {
                outcome = TaskOutcome{false, "task handler failed with an unknown exception",
                                      std::nullopt};
            }
            completions->push({request.task_id, request.attempt, std::move(outcome)});
        });
    running_.emplace(std::move(key), std::move(task));
}

void DeviceEndpoint::handle_abort(const proto::Abort& abort) {
    const auto found = running_.find(TaskKey{abort.task_id, abort.attempt});
    if (found == running_.end()) {
        spdlog::info("device {}: ABORT for task {} attempt {} which is not running ({})",
                     session_->options().peer_id, abort.task_id, abort.attempt, abort.reason);
        return;
    }
    found->second->aborted = true;
    found->second->cancellation->cancel();
    spdlog::info("device {}: task {} attempt {} aborted ({})", session_->options().peer_id,
                 abort.task_id, abort.attempt, abort.reason);
}

void DeviceEndpoint::abort_all(const std::string& reason) {
    for (auto& [key, task] : running_) {
        if (task->aborted) {
            continue;
        }
        task->aborted = true;
        task->cancellation->cancel();
        spdlog::info("device {}: task {} attempt {} aborted ({})", session_->options().peer_id,
                     key.first, key.second, reason);
    }
}

// NOTE: checked after each poll of the session, which wakes at least once per heartbeat
// interval, so a task may outlive its deadline by up to one interval.
void DeviceEndpoint::abort_overdue() {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [key, task] : running_) {
        if (task->aborted || !task->deadline || now < *task->deadline) {
            continue;
        }
        task->aborted = true;
        task->cancellation->cancel();
        spdlog::warn("device {}: task {} attempt {} passed its deadline without an ABORT from the "
                     "broker; stopped it", session_->options().peer_id, key.first, key.second);
    }
}

void DeviceEndpoint::collect_completions() {
    for (auto& completion : completions_->take_all()) {
        const auto found = running_.find(TaskKey{completion.task_id, completion.attempt});
        if (found == running_.end()) {
            continue;
        }
        auto task = std::move(found->second);
        running_.erase(found);
        task->worker.join();

        const auto& outcome = completion.outcome;
        const auto& device_id = session_->options().peer_id;
        if (task->aborted || task->generation != session_->generation() || !session_->connected()) {
            spdlog::info("device {}: task {} attempt {} ended after abort; no result sent",
                         device_id, completion.task_id, completion.attempt);
            continue;
        }

        proto::Result result{completion.task_id, completion.attempt, outcome.ok, outcome.error,
                             outcome.payload};
        const bool sent = session_->send(result);
        if (outcome.ok) {
            spdlog::info("device {}: task {} attempt {} completed ({} result bytes){}", device_id,
                         completion.task_id, completion.attempt,
                         outcome.payload ? outcome.payload->size() : 0,
                         sent ? "" : "; RESULT not sent");
        } else {
            spdlog::info("device {}: task {} attempt {} failed: {}{}", device_id,
                         completion.task_id, completion.attempt, outcome.error,
                         sent ? "" : "; RESULT not sent");
        }
    }
}

void DeviceEndpoint::wait_for_workers() {
    const auto deadline = std::chrono::steady_clock::now() + shutdown_timeout_;
    while (!running_.empty() && std::chrono::steady_clock::now() < deadline) {
        completions_->wait_until(deadline);
        for (auto& completion : completions_->take_all()) {
            const auto found = running_.find(TaskKey{completion.task_id, completion.attempt});
            if (found != running_.end()) {
                found->second->worker.join();
                running_.erase(found);
            }
        }
    }

    // A handler that ignores cancellation cannot be joined in bounded time. Its thread only
    // references shared state, so detaching it is safe, but it keeps running until it returns.
    for (auto& [key, task] : running_) {
        spdlog::warn("device {}: task {} attempt {} did not stop within {}; detaching its worker",
                     session_->options().peer_id, key.first, key.second,
                     plugin::format_duration(shutdown_timeout_));
        task->worker.detach();
    }
    running_.clear();
}

}  // namespace aip::peer
