// The aip-broker host: one ROUTER socket, a poll loop, the clock, and the engine.
#pragma once

#include <string>
#include <vector>

#include "options.hpp"

namespace aip::broker {

// Binds the endpoints, runs until SIGINT or SIGTERM, then disconnects the peers and returns the
// process exit code. Throws zmq::error_t when an endpoint cannot be bound.
int run_broker(const BrokerOptions& options);

}  // namespace aip::broker
