#include "device_registry.hpp"

#include <algorithm>
#include <utility>

namespace aip::plugin {

std::string_view to_string(PeerState state) noexcept {
    switch (state) {
        case PeerState::Connected: return "CONNECTED";
        case PeerState::Disconnected: return "DISCONNECTED";
    }
    return "UNKNOWN";
}

std::uint32_t Device::free_slots() const noexcept {
    const auto used = static_cast<std::uint32_t>(tasks.size());
    return used >= slots ? 0 : slots - used;
}

bool Device::has_capability(std::string_view capability) const {
    return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

Device* DeviceRegistry::find(const std::string& device_id) {
    auto it = devices_.find(device_id);
    return it == devices_.end() ? nullptr : &it->second;
}

const Device* DeviceRegistry::find(const std::string& device_id) const {
    auto it = devices_.find(device_id);
    return it == devices_.end() ? nullptr : &it->second;
}

Device& DeviceRegistry::upsert(const std::string& device_id,
                               std::vector<std::string> capabilities) {
    auto [it, inserted] = devices_.try_emplace(device_id);
    Device& device = it->second;
    if (inserted) {
        device.id = device_id;
    } else {
        unindex(device);
    }

    device.capabilities = std::move(capabilities);
    for (const auto& capability : device.capabilities) {
        by_capability_[capability].insert(device_id);
    }
    return device;
}

void DeviceRegistry::erase(const std::string& device_id) {
    auto it = devices_.find(device_id);
    if (it == devices_.end()) {
        return;
    }
    unindex(it->second);
    devices_.erase(it);
}

const std::set<std::string>* DeviceRegistry::with_capability(const std::string& capability) const {
    auto it = by_capability_.find(capability);
    return it == by_capability_.end() ? nullptr : &it->second;
}

std::uint64_t DeviceRegistry::count(PeerState state) const noexcept {
    return static_cast<std::uint64_t>(std::count_if(
        devices_.begin(), devices_.end(),
        [state](const auto& entry) { return entry.second.state == state; }));
}

void DeviceRegistry::unindex(const Device& device) {
    for (const auto& capability : device.capabilities) {
        auto it = by_capability_.find(capability);
        if (it == by_capability_.end()) {
            continue;
        }
        it->second.erase(device.id);
        if (it->second.empty()) {
            by_capability_.erase(it);
        }
    }
}

}  // namespace aip::plugin
