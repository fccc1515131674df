// Registered devices, their state and load, indexed by id and by capability.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aip/plugin/time.hpp"
#include "aip/plugin/timeout_manager.hpp"

namespace aip::plugin {

// REMOVED is not stored: a removed device is erased from the registry.
enum class PeerState : std::uint8_t { Connected, Disconnected };

[[nodiscard]] std::string_view to_string(PeerState state) noexcept;

struct Device {
    std::string id;
    PeerState state{PeerState::Connected};
    std::string routing_id;  // current session; empty while DISCONNECTED
    std::vector<std::string> capabilities;
    std::uint32_t slots{1};
    // Tasks assigned to the device whose attempt has not ended (dispatched or running).
    std::set<std::string> tasks;
    TimePoint last_received;
    // Last time a task was assigned to or ended on the device, or the device registered. The
    // scheduler prefers the device whose load changed longest ago.
    TimePoint idle_since;
    std::string session_token;  // the last one issued
    std::optional<TimeoutManager::OperationId> grace_timer;

    [[nodiscard]] std::uint32_t free_slots() const noexcept;
    [[nodiscard]] bool has_capability(std::string_view capability) const;
};

class DeviceRegistry {
public:
    // Returns nullptr when the id is unknown.
    [[nodiscard]] Device* find(const std::string& device_id);
    [[nodiscard]] const Device* find(const std::string& device_id) const;

    // Inserts a device or replaces its capabilities, keeping the capability index current.
    Device& upsert(const std::string& device_id, std::vector<std::string> capabilities);
    void erase(const std::string& device_id);

    // Returns the ids of devices that registered a capability (any state).
    [[nodiscard]] const std::set<std::string>* with_capability(const std::string& capability) const;

    [[nodiscard]] const std::map<std::string, Device>& all() const noexcept { return devices_; }
    [[nodiscard]] std::uint64_t count(PeerState state) const noexcept;

private:
    void unindex(const Device& device);

    std::map<std::string, Device> devices_;
    std::unordered_map<std::string, std::set<std::string>> by_capability_;
};

}  // namespace aip::plugin
