#include "client_registry.hpp"

#include <algorithm>

namespace aip::plugin {

Client* ClientRegistry::find(const std::string& client_id) {
    auto it = clients_.find(client_id);
    return it == clients_.end() ? nullptr : &it->second;
}

const Client* ClientRegistry::find(const std::string& client_id) const {
    auto it = clients_.find(client_id);
    return it == clients_.end() ? nullptr : &it->second;
}

Client& ClientRegistry::get_or_insert(const std::string& client_id) {
    auto [it, inserted] = clients_.try_emplace(client_id);
    if (inserted) {
        it->second.id = client_id;
    }
    return it->second;
}

void ClientRegistry::erase(const std::string& client_id) {
    clients_.erase(client_id);
}

std::uint64_t ClientRegistry::count(PeerState state) const noexcept {
    return static_cast<std::uint64_t>(std::count_if(
        clients_.begin(), clients_.end(),
        [state](const auto& entry) { return entry.second.state == state; }));
}

}  // namespace aip::plugin
