// ClientEndpoint: an orchestrator's side of the protocol, as blocking calls with timeouts. Every
// call keeps the session alive (heartbeats, reconnection) while it waits.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <zmq.hpp>

#include "aip/peer/endpoint_callbacks.hpp"
#include "aip/peer/session.hpp"

namespace aip::peer {

// The reason a request failed.
struct RequestFailure {
    enum class Kind : std::uint8_t {
        TimedOut,  // no reply before the deadline
        Rejected,  // the broker replied with ERROR
        GaveUp,    // the session gave up reconnecting, or was closed or stopped
    };
    Kind kind{Kind::TimedOut};
    std::string message;
};

template <typename T>
using RequestResult = std::variant<T, RequestFailure>;

// Something the broker sent that no request was waiting for: a task update, a subscribed event,
// or an ERROR (for example about a CANCEL).
using ClientUpdate = std::variant<proto::TaskUpdate, proto::Event, proto::Error>;

class ClientEndpoint {
public:
    // Throws std::invalid_argument when the options are invalid. The role is forced to client.
    explicit ClientEndpoint(SessionOptions options, EndpointCallbacks callbacks = {});
    ~ClientEndpoint();
    ClientEndpoint(const ClientEndpoint&) = delete;
    ClientEndpoint& operator=(const ClientEndpoint&) = delete;

    // Registers, following the reconnect policy. Returns true once registered, false when the
    // policy gave up or a stop was requested.
    [[nodiscard]] bool connect();

    // Sends SUBMIT and waits for ACCEPTED. The task stays tracked until its final TaskUpdate
    // arrives (or the SUBMIT is rejected or times out): after every reconnection its SUBMIT is
    // sent again, so that a restarted broker that lost it runs it. This is safe because task ids
    // make SUBMIT idempotent for a client: a broker that still stores the task changes nothing.
    [[nodiscard]] RequestResult<proto::Accepted> submit(const proto::Submit& submit,
                                                        plugin::Duration timeout);

    // Sends CANCEL. The outcome arrives later as a TaskUpdate, or an ERROR update. Returns false
    // when not connected.
    [[nodiscard]] bool cancel(const std::string& task_id);

    [[nodiscard]] RequestResult<std::vector<proto::DeviceInfo>> query_devices(plugin::Duration timeout);
    [[nodiscard]] RequestResult<std::vector<proto::TaskInfo>> query_tasks(plugin::Duration timeout);
    // Sends QUERY for "devices" or "tasks" and returns the whole reply, including its
    // `truncated` mark.
    [[nodiscard]] RequestResult<proto::QueryReply> query(const std::string& what,
                                                         plugin::Duration timeout);

    // Turns EVENT delivery on or off; the choice is sent again after each reconnection. Returns
    // false when not connected.
    [[nodiscard]] bool subscribe(bool enabled = true);

    // Returns the next update, waiting until `deadline`. Returns nullopt on timeout, after the
    // session gave up, or once a stop was requested.
    [[nodiscard]] std::optional<ClientUpdate> next_update(plugin::TimePoint deadline);

    // Sends DISCONNECT when connected and closes the session.
    void close(std::string_view reason = "client leaving");

    // Makes every waiting call return soon. Async-signal-safe and callable from any thread.
    void request_stop() noexcept;
    [[nodiscard]] bool stop_requested() const noexcept;

    [[nodiscard]] bool gave_up() const noexcept;
    // The description passed to on_gave_up, empty before.
    [[nodiscard]] const std::string& give_up_description() const noexcept;
    // Error code of the broker's last ERROR reply to REGISTER, or "" (see Session).
    [[nodiscard]] const std::string& last_rejection() const noexcept;
    [[nodiscard]] const Session& session() const noexcept;

private:

    // Polls once; returns false when waiting cannot succeed any more (gave up, closed, stopped).
    bool pump(plugin::TimePoint deadline);
    [[nodiscard]] RequestFailure ended_failure(const std::string& request) const;
    // Sends SUBMIT again for every tracked task not yet sent in the current session.
    void resubmit_unfinished();
    // Sends the SUBMIT of `task_id` when connected and not yet sent in this session.
    void send_submit(const std::string& task_id);
    // Stops tracking a task whose final update arrived or whose SUBMIT was rejected.
    void track_message(const proto::Message& message);

    // A submitted task without a final update, and the session generation that last carried its
    // SUBMIT (0: not sent yet).
    struct Submission {
        proto::Submit submit;
        std::uint64_t sent_in{0};
    };

    zmq::context_t context_{1};
    EndpointCallbacks callbacks_;
    std::unique_ptr<Session> session_;
    std::deque<proto::Message> inbox_;  // broker messages not yet taken by a call
    std::map<std::string, Submission> unfinished_;  // by task id
    std::atomic<bool> stop_requested_{false};
    std::optional<bool> subscription_;
    std::uint64_t next_request_id_{1};
    std::string give_up_description_;
};

}  // namespace aip::peer
