#include "aip/proto/messages.hpp"

#include <type_traits>

namespace aip::proto {

namespace {

// Maps each message type to its command byte at compile time.
template <typename T>
constexpr Command command_for() noexcept {
    if constexpr (std::is_same_v<T, Register>) return Command::Register;
    else if constexpr (std::is_same_v<T, Registered>) return Command::Registered;
    else if constexpr (std::is_same_v<T, Heartbeat>) return Command::Heartbeat;
    else if constexpr (std::is_same_v<T, Disconnect>) return Command::Disconnect;
    else if constexpr (std::is_same_v<T, Error>) return Command::Error;
    else if constexpr (std::is_same_v<T, Submit>) return Command::Submit;
    else if constexpr (std::is_same_v<T, Accepted>) return Command::Accepted;
    else if constexpr (std::is_same_v<T, TaskUpdate>) return Command::TaskUpdate;
    else if constexpr (std::is_same_v<T, Cancel>) return Command::Cancel;
    else if constexpr (std::is_same_v<T, Query>) return Command::Query;
    else if constexpr (std::is_same_v<T, QueryReply>) return Command::QueryReply;
    else if constexpr (std::is_same_v<T, Subscribe>) return Command::Subscribe;
    else if constexpr (std::is_same_v<T, Event>) return Command::Event;
    else if constexpr (std::is_same_v<T, Assign>) return Command::Assign;
    else if constexpr (std::is_same_v<T, Started>) return Command::Started;
    else if constexpr (std::is_same_v<T, Result>) return Command::Result;
    else {
        static_assert(std::is_same_v<T, Abort>, "every Message alternative needs a command byte");
        return Command::Abort;
    }
}

}  // namespace

Command command_of(const Message& message) noexcept {
    return std::visit(
        [](const auto& alternative) {
            return command_for<std::decay_t<decltype(alternative)>>();
        },
        message);
}

std::string_view command_name(std::uint8_t command) noexcept {
    switch (static_cast<Command>(command)) {
        case Command::Register: return "REGISTER";
        case Command::Registered: return "REGISTERED";
        case Command::Heartbeat: return "HEARTBEAT";
        case Command::Disconnect: return "DISCONNECT";
        case Command::Error: return "ERROR";
        case Command::Submit: return "SUBMIT";
        case Command::Accepted: return "ACCEPTED";
        case Command::TaskUpdate: return "TASK_UPDATE";
        case Command::Cancel: return "CANCEL";
        case Command::Query: return "QUERY";
        case Command::QueryReply: return "QUERY_REPLY";
        case Command::Subscribe: return "SUBSCRIBE";
        case Command::Event: return "EVENT";
        case Command::Assign: return "ASSIGN";
        case Command::Started: return "STARTED";
        case Command::Result: return "RESULT";
        case Command::Abort: return "ABORT";
    }
    return "UNKNOWN";
}

}  // namespace aip::proto
