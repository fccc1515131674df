#include "aip/peer/client_endpoint.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "aip/plugin/duration.hpp"

namespace aip::peer {
namespace {

using Clock = std::chrono::steady_clock;

SessionOptions as_client(SessionOptions options) {
    options.role = proto::Role::Client;
    return options;
}

// Removes and returns the first inbox message that `match` accepts.
template <typename Match>
std::optional<proto::Message> take_first(std::deque<proto::Message>& inbox, Match match) {
    const auto found = std::find_if(inbox.begin(), inbox.end(), match);
    if (found == inbox.end()) {
        return std::nullopt;
    }
    auto message = std::move(*found);
    inbox.erase(found);
    return message;
}

}  // namespace

ClientEndpoint::ClientEndpoint(SessionOptions options, EndpointCallbacks callbacks)
    : callbacks_(std::move(callbacks)) {
    SessionCallbacks session_callbacks;
    session_callbacks.on_connected = [this] {
        if (callbacks_.on_connected) {
            callbacks_.on_connected();
        }
    };
    session_callbacks.on_reconnected = [this] {
        resubmit_unfinished();
        if (subscription_) {
            [[maybe_unused]] const bool sent = session_->send(proto::Subscribe{*subscription_});
        }
        if (callbacks_.on_reconnected) {
            callbacks_.on_reconnected();
        }
    };
    session_callbacks.on_disconnected = [this](const std::string& reason) {
        if (callbacks_.on_disconnected) {
            callbacks_.on_disconnected(reason);
        }
    };
    session_callbacks.on_gave_up = [this](const std::string& description) {
        give_up_description_ = description;
        if (callbacks_.on_gave_up) {
            callbacks_.on_gave_up(description);
        }
    };
    session_callbacks.on_message = [this](proto::Message&& message) {
        track_message(message);
        inbox_.push_back(std::move(message));
    };

    session_ = std::make_unique<Session>(context_, as_client(std::move(options)),
                                         std::move(session_callbacks));
}

ClientEndpoint::~ClientEndpoint() = default;

bool ClientEndpoint::connect() {
    session_->start();
    while (!session_->connected()) {
        if (!pump(Clock::time_point::max())) {
            return false;
        }
    }
    return true;
}

RequestResult<proto::Accepted> ClientEndpoint::submit(const proto::Submit& submit,
                                                      plugin::Duration timeout) {
    const auto deadline = Clock::now() + timeout;
    unfinished_.insert_or_assign(submit.task_id, Submission{submit, 0});

    while (true) {
        // A reconnection while waiting sends the SUBMIT again through resubmit_unfinished().
        send_submit(submit.task_id);

        auto answer = take_first(inbox_, [&](const proto::Message& message) {
            if (const auto* accepted = std::get_if<proto::Accepted>(&message)) {
                return accepted->task_id == submit.task_id;
            }
            const auto* error = std::get_if<proto::Error>(&message);
            return error && error->task_id == submit.task_id;
        });
        if (answer) {
            if (auto* accepted = std::get_if<proto::Accepted>(&*answer)) {
                return std::move(*accepted);
            }
            unfinished_.erase(submit.task_id);
            const auto& error = std::get<proto::Error>(*answer);
            return RequestFailure{RequestFailure::Kind::Rejected,
                                  "SUBMIT of task " + submit.task_id + " rejected: " + error.code +
                                      ": " + error.message};
        }

        if (Clock::now() >= deadline) {
            unfinished_.erase(submit.task_id);
            return RequestFailure{RequestFailure::Kind::TimedOut,
                                  "no ACCEPTED for task " + submit.task_id + " within " +
                                      plugin::format_duration(timeout)};
        }
        if (!pump(deadline)) {
            unfinished_.erase(submit.task_id);
            return ended_failure("SUBMIT of task " + submit.task_id);
        }
    }
}

bool ClientEndpoint::cancel(const std::string& task_id) {
    return session_->send(proto::Cancel{task_id});
}

RequestResult<std::vector<proto::DeviceInfo>> ClientEndpoint::query_devices(plugin::Duration timeout) {
    auto reply = query("devices", timeout);
    if (auto* failure = std::get_if<RequestFailure>(&reply)) {
        return std::move(*failure);
    }
    return std::move(std::get<proto::QueryReply>(reply).devices);
}

RequestResult<std::vector<proto::TaskInfo>> ClientEndpoint::query_tasks(plugin::Duration timeout) {
    auto reply = query("tasks", timeout);
    if (auto* failure = std::get_if<RequestFailure>(&reply)) {
        return std::move(*failure);
    }
    return std::move(std::get<proto::QueryReply>(reply).tasks);
}

RequestResult<proto::QueryReply> ClientEndpoint::query(const std::string& what,
                                                       plugin::Duration timeout) {
    const auto deadline = Clock::now() + timeout;
    const auto request_id = next_request_id_++;
    std::optional<std::uint64_t> sent_in;

    while (true) {
        if (!sent_in || (session_->connected() && *sent_in != session_->generation())) {
            if (session_->send(proto::Query{request_id, what})) {
                sent_in = session_->generation();
            }
        }

        // An ERROR about a QUERY carries no request id; with one query in flight it is this one.
        auto answer = take_first(inbox_, [&](const proto::Message& message) {
            if (const auto* reply = std::get_if<proto::QueryReply>(&message)) {
                return reply->request_id == request_id;
            }
            const auto* error = std::get_if<proto::Error>(&message);
            return error && error->command == static_cast<std::uint8_t>(proto::Command::Query);
        });
        if (answer) {
            if (auto* reply = std::get_if<proto::QueryReply>(&*answer)) {
                return std::move(*reply);
            }
            const auto& error = std::get<proto::Error>(*answer);
            return RequestFailure{RequestFailure::Kind::Rejected,
                                  "QUERY " + what + " rejected: " + error.code + ": " + error.message};
        }

        if (Clock::now() >= deadline) {
            return RequestFailure{RequestFailure::Kind::TimedOut,
                                  "no QUERY_REPLY for " + what + " within " +
                                      plugin::format_duration(timeout)};
        }
        if (!pump(deadline)) {
            return ended_failure("QUERY " + what);
        }
    }
}

bool ClientEndpoint::subscribe(bool enabled) {
    subscription_ = enabled;
    return session_->send(proto::Subscribe{enabled});
}

std::optional<ClientUpdate> ClientEndpoint::next_update(plugin::TimePoint deadline) {
    while (true) {
        while (!inbox_.empty()) {
            auto message = std::move(inbox_.front());
            inbox_.pop_front();
            if (auto* update = std::get_if<proto::TaskUpdate>(&message)) {
                return std::move(*update);
            }
            if (auto* event = std::get_if<proto::Event>(&message)) {
                return std::move(*event);
            }
            if (auto* error = std::get_if<proto::Error>(&message)) {
                return std::move(*error);
            }
            // A late ACCEPTED or QUERY_REPLY of a request that already timed out.
            spdlog::debug("client {}: dropped a late {}", session_->options().peer_id,
                          proto::command_name(static_cast<std::uint8_t>(proto::command_of(message))));
        }

        if (Clock::now() >= deadline || !pump(deadline)) {
            return std::nullopt;
        }
    }
}

void ClientEndpoint::close(std::string_view reason) {
    session_->close(reason);
}

void ClientEndpoint::request_stop() noexcept {
    stop_requested_.store(true);
    session_->waker()->wake();
}

bool ClientEndpoint::stop_requested() const noexcept {
    return stop_requested_.load();
}

bool ClientEndpoint::gave_up() const noexcept {
    return session_->state() == SessionState::GaveUp;
}

const std::string& ClientEndpoint::give_up_description() const noexcept {
    return give_up_description_;
}

const std::string& ClientEndpoint::last_rejection() const noexcept {
    return session_->last_rejection();
}

const Session& ClientEndpoint::session() const noexcept {
    return *session_;
}

bool ClientEndpoint::pump(plugin::TimePoint deadline) {
    if (stop_requested_.load()) {
        return false;
    }
    const bool alive = session_->poll_once(deadline);
    return alive && !stop_requested_.load();
}

void ClientEndpoint::resubmit_unfinished() {
    std::size_t resent = 0;
    for (auto& [task_id, submission] : unfinished_) {
        if (submission.sent_in == 0) {
            continue;  // submit() sends it for the first time
        }
        send_submit(task_id);
        ++resent;
        spdlog::debug("client {}: task {}: sent SUBMIT again after reconnecting",
                      session_->options().peer_id, task_id);
    }
    // One line for all of them: a client waiting on thousands of tasks would flood its log.
    if (resent > 0) {
        spdlog::warn("client {}: sent SUBMIT again for {} unfinished task(s) after reconnecting, "
                     "because a restarted broker would not know them",
                     session_->options().peer_id, resent);
    }
}

void ClientEndpoint::send_submit(const std::string& task_id) {
    const auto found = unfinished_.find(task_id);
    if (found == unfinished_.end() || !session_->connected() ||
        found->second.sent_in == session_->generation()) {
        return;
    }
    if (session_->send(found->second.submit)) {
        found->second.sent_in = session_->generation();
    }
}

void ClientEndpoint::track_message(const proto::Message& message) {
    if (const auto* update = std::get_if<proto::TaskUpdate>(&message)) {
        if (update->final) {
            unfinished_.erase(update->task_id);
        }
        return;
    }
    const auto* error = std::get_if<proto::Error>(&message);
    if (error && error->task_id &&
        error->command == static_cast<std::uint8_t>(proto::Command::Submit)) {
        unfinished_.erase(*error->task_id);
    }
}

RequestFailure ClientEndpoint::ended_failure(const std::string& request) const {
    if (stop_requested_.load()) {
        return RequestFailure{RequestFailure::Kind::GaveUp, request + " interrupted by a stop request"};
    }
    if (gave_up()) {
        return RequestFailure{RequestFailure::Kind::GaveUp, request + " failed: " + give_up_description_};
    }
    return RequestFailure{RequestFailure::Kind::GaveUp, request + " failed: the session is closed"};
}

}  // namespace aip::peer
