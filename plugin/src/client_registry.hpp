// Registered clients (orchestrators): session, subscription and the updates held while away.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "aip/plugin/time.hpp"
#include "aip/plugin/timeout_manager.hpp"
#include "aip/proto/messages.hpp"
#include "device_registry.hpp"

namespace aip::plugin {

struct Client {
    std::string id;
    PeerState state{PeerState::Connected};
    std::string routing_id;  // current session; empty while DISCONNECTED
    TimePoint last_received;
    std::string session_token;  // the last one issued
    bool subscribed{false};
    // Non-final tasks the client owns; cancelled when its grace period ends.
    std::set<std::string> tasks;
    // TASK_UPDATEs produced while DISCONNECTED, delivered after the next REGISTERED.
    std::deque<proto::TaskUpdate> queued_updates;
    std::optional<TimeoutManager::OperationId> grace_timer;
};

class ClientRegistry {
public:
    // Returns nullptr when the id is unknown.
    [[nodiscard]] Client* find(const std::string& client_id);
    [[nodiscard]] const Client* find(const std::string& client_id) const;

    // Returns the client, inserting it when the id is new.
    Client& get_or_insert(const std::string& client_id);
    void erase(const std::string& client_id);

    [[nodiscard]] std::map<std::string, Client>& all() noexcept { return clients_; }
    [[nodiscard]] std::uint64_t count(PeerState state) const noexcept;

private:
    std::map<std::string, Client> clients_;
};

}  // namespace aip::plugin
