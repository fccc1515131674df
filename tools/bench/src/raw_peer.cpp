#include "raw_peer.hpp"

#include <stdexcept>

namespace aip::bench {

RawPeer::RawPeer(zmq::context_t& context, const std::string& endpoint)
    : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
}

void RawPeer::send(const proto::Message& message) {
    send_frames(proto::encode(message));
}

void RawPeer::send_frames(const proto::Frames& frames) {
    for (std::size_t index = 0; index < frames.size(); ++index) {
        const auto flags = index + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        (void)socket_.send(zmq::buffer(frames[index]), flags);
    }
    last_sent_ = Clock::now();
}

std::optional<proto::Message> RawPeer::try_receive() {
    proto::Frames frames;
    zmq::message_t part;
    if (!socket_.recv(part, zmq::recv_flags::dontwait)) {
        return std::nullopt;
    }
    frames.emplace_back(part.to_string());
    while (part.more()) {
        (void)socket_.recv(part, zmq::recv_flags::none);
        frames.emplace_back(part.to_string());
    }
    last_received_ = Clock::now();

    auto decoded = proto::decode(frames);
    if (auto* error = std::get_if<proto::DecodeError>(&decoded)) {
        throw std::runtime_error("received an invalid message: " + error->message);
    }
    return std::get<proto::Message>(std::move(decoded));
}

proto::Register device_registration(const std::string& device_id, std::uint32_t slots) {
    proto::Register registration;
    registration.role = proto::Role::Device;
    registration.peer_id = device_id;
    registration.capabilities = {"echo"};
    registration.slots = slots;
    return registration;
}

std::vector<std::size_t> poll_readable(const std::vector<RawPeer*>& peers,
                                       std::chrono::milliseconds timeout) {
    std::vector<zmq::pollitem_t> items;
    items.reserve(peers.size());
    for (RawPeer* peer : peers) {
        items.push_back({peer->socket().handle(), 0, ZMQ_POLLIN, 0});
    }
    zmq::poll(items.data(), items.size(), timeout);

    std::vector<std::size_t> readable;
    for (std::size_t index = 0; index < items.size(); ++index) {
        if ((items[index].revents & ZMQ_POLLIN) != 0) {
            readable.push_back(index);
        }
    }
    return readable;
}

bool register_all(const std::vector<RawPeer*>& peers,
                  const std::vector<proto::Register>& registrations,
                  std::chrono::milliseconds timeout) {
    for (std::size_t index = 0; index < peers.size(); ++index) {
        peers[index]->send(registrations[index]);
    }

    const auto deadline = Clock::now() + timeout;
    std::vector<bool> registered(peers.size(), false);
    std::size_t remaining = peers.size();
    while (remaining > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return false;
        }
        for (const std::size_t index : poll_readable(peers, std::min(left, std::chrono::milliseconds{100}))) {
            while (auto message = peers[index]->try_receive()) {
                if (std::holds_alternative<proto::Error>(*message)) {
                    return false;
                }
                if (std::holds_alternative<proto::Registered>(*message) && !registered[index]) {
                    registered[index] = true;
                    --remaining;
                }
            }
        }
    }
    return true;
}

}  // namespace aip::bench
