// RawPeer: one DEALER socket that speaks AIP through the codec, with no timers and no
// reconnection, so that a single benchmark thread can drive hundreds of them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "aip/proto/codec.hpp"
#include "aip/proto/messages.hpp"

namespace aip::bench {

using Clock = std::chrono::steady_clock;

class RawPeer {
public:
    // Connects a new DEALER socket with linger 0. Throws zmq::error_t when the connect fails.
    RawPeer(zmq::context_t& context, const std::string& endpoint);

    void send(const proto::Message& message);
    void send_frames(const proto::Frames& frames);

    // Receives one waiting message without blocking; nullopt when none is waiting.
    // Throws std::runtime_error when the frames do not decode, since every sender is ours.
    [[nodiscard]] std::optional<proto::Message> try_receive();

    [[nodiscard]] zmq::socket_t& socket() noexcept { return socket_; }
    [[nodiscard]] Clock::time_point last_sent() const noexcept { return last_sent_; }
    [[nodiscard]] Clock::time_point last_received() const noexcept { return last_received_; }

private:
    zmq::socket_t socket_;
    Clock::time_point last_sent_{};
    Clock::time_point last_received_{};
};

// Returns a REGISTER for a device with the "echo" capability.
[[nodiscard]] proto::Register device_registration(const std::string& device_id, std::uint32_t slots);

// Sends REGISTER on every peer, then polls until each has REGISTERED. Returns false when the
// timeout passes first or an ERROR arrives.
[[nodiscard]] bool register_all(const std::vector<RawPeer*>& peers,
                                const std::vector<proto::Register>& registrations,
                                std::chrono::milliseconds timeout);

// Polls the sockets of `peers` for at most `timeout`; returns the indices with input waiting.
[[nodiscard]] std::vector<std::size_t> poll_readable(const std::vector<RawPeer*>& peers,
                                                     std::chrono::milliseconds timeout);

}  // namespace aip::bench
