// Session events that device and client endpoints report to the program that owns them.
#pragma once

#include <functional>
#include <string>

namespace aip::peer {

// Callbacks run on the endpoint's socket thread; they must not block.
struct EndpointCallbacks {
    std::function<void()> on_connected;
    std::function<void(const std::string& reason)> on_disconnected;
    std::function<void()> on_reconnected;
    // The reconnect policy allowed no more retries; the description names the policy and the
    // number of attempts.
    std::function<void(const std::string& description)> on_gave_up;
};

}  // namespace aip::peer
