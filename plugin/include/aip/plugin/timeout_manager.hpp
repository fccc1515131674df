// TimeoutManager: deadlines for every operation that waits.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aip/plugin/time.hpp"

namespace aip::plugin {

enum class OperationKind : std::uint8_t {
    Registration,
    TaskDispatch,
    CommandExecution,
    Heartbeat,
    Disconnection,
    DeviceInfoQuery,
};

[[nodiscard]] std::string_view to_string(OperationKind kind) noexcept;
// Returns the documented default timeout of an operation kind.
[[nodiscard]] Duration default_timeout(OperationKind kind) noexcept;

class TimeoutManager {
public:
    using OperationId = std::uint64_t;

    struct Expired {
        OperationId id;
        OperationKind kind;
        std::string name;   // for example "dispatch of task t-1 to device d-2"
        Duration timeout;
    };

    // Starts an operation; its deadline is now + timeout (the kind's default when absent).
    // Throws std::invalid_argument when the timeout is zero or negative.
    OperationId start(OperationKind kind, std::string name, TimePoint now,
                      std::optional<Duration> timeout = std::nullopt);

    // Ends an operation before its deadline. Returns false when it had already expired or was
    // unknown.
    bool finish(OperationId id);

    // Returns the operations whose deadline is at or before `now`, and forgets them.
    [[nodiscard]] std::vector<Expired> poll(TimePoint now);

    [[nodiscard]] std::optional<TimePoint> next_deadline() const;
    [[nodiscard]] std::size_t size() const noexcept;

private:
    struct Operation {
        OperationKind kind;
        std::string name;
        Duration timeout;
        TimePoint deadline;
    };

    std::map<OperationId, Operation> operations_;
    // (deadline, id): ordered by deadline, ties in start order.
    std::set<std::pair<TimePoint, OperationId>> deadlines_;
    OperationId next_id_{1};
};

// Returns the error text for an expired operation: "operation 'X' timed out after 5s".
[[nodiscard]] std::string timeout_message(const TimeoutManager::Expired& expired);

}  // namespace aip::plugin
