// Rate limit of REGISTER messages per routing id, so that a looping or hostile peer cannot make
// the engine rebuild sessions (and fail tasks) as fast as it can send.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "aip/plugin/time.hpp"

namespace aip::plugin {

class RegistrationLimiter {
public:
    // At most `limit` REGISTER messages per routing id in any fixed one-second window; 0 turns
    // the limit off.
    explicit RegistrationLimiter(std::uint32_t limit) : limit_(limit) {}

    // Counts one REGISTER and returns false when it is over the limit.
    [[nodiscard]] bool allow(const std::string& routing_id, TimePoint now);

    // Forgets windows that ended, so that memory follows the peers of the last second.
    void prune(TimePoint now);

    [[nodiscard]] std::size_t size() const noexcept { return windows_.size(); }

private:
    struct Window {
        TimePoint start;
        std::uint32_t count{0};
    };

    std::uint32_t limit_;
    std::unordered_map<std::string, Window> windows_;
    TimePoint last_prune_{};
};

}  // namespace aip::plugin
