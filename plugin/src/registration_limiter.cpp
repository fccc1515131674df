#include "registration_limiter.hpp"

#include <chrono>

namespace aip::plugin {

namespace {

constexpr std::chrono::seconds kWindow{1};

}  // namespace

bool RegistrationLimiter::allow(const std::string& routing_id, TimePoint now) {
    if (limit_ == 0) {
        return true;
    }

    auto [it, inserted] = windows_.try_emplace(routing_id, Window{now, 0});
    Window& window = it->second;
    if (now - window.start >= kWindow) {
        window = Window{now, 0};
    }
    ++window.count;
    return window.count <= limit_;
}

void RegistrationLimiter::prune(TimePoint now) {
    if (now - last_prune_ < kWindow) {
        return;
    }
    last_prune_ = now;
    std::erase_if(windows_, [now](const auto& entry) { return now - entry.second.start >= kWindow; });
}

}  // namespace aip::plugin
