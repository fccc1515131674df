// The throughput baseline: a ROUTER loop that forwards AIP frames without decoding them and
// keeps no per-task state. Per round trip it receives and sends as many messages as aip-broker
// does (3 in: SUBMIT, STARTED, RESULT; 4 out: an acknowledgement, the forwarded SUBMIT, STARTED
// and RESULT), so the throughput ratio isolates the broker's bookkeeping.
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "aip/proto/codec.hpp"
#include "bench.hpp"

namespace aip::bench {

namespace {

void send_frames(zmq::socket_t& socket, const std::string& routing_id, const std::vector<zmq::message_t>& frames,
                 std::size_t first) {
    (void)socket.send(zmq::buffer(routing_id), zmq::send_flags::sndmore);
    for (std::size_t index = first; index < frames.size(); ++index) {
        const auto flags = index + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        (void)socket.send(zmq::buffer(frames[index].data(), frames[index].size()), flags);
    }
}

void send_encoded(zmq::socket_t& socket, const std::string& routing_id, const proto::Frames& frames) {
    (void)socket.send(zmq::buffer(routing_id), zmq::send_flags::sndmore);
    for (std::size_t index = 0; index < frames.size(); ++index) {
        const auto flags = index + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        (void)socket.send(zmq::buffer(frames[index]), flags);
    }
}

}  // namespace

int run_baseline_router(const std::vector<std::string>& arguments) {
    const std::string bind = arguments.empty() ? "tcp://127.0.0.1:*" : arguments.front();
    zmq::context_t context{1};
    zmq::socket_t router(context, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.bind(bind);
    std::cout << "aip-bench baseline listening on " << router.get(zmq::sockopt::last_endpoint) << std::endl;

    // Canned replies, encoded once: the loop never encodes.
    const proto::Frames registered = proto::encode(proto::Registered{.session_token = "baseline"});
    const proto::Frames accepted = proto::encode(proto::Accepted{.task_id = "baseline"});

    std::vector<std::string> devices;
    std::size_t next_device = 0;
    std::string client;
    std::vector<zmq::message_t> frames;
    while (true) {
        frames.clear();
        if (!zmq::recv_multipart(router, std::back_inserter(frames))) {
            continue;
        }
        if (frames.size() < 3 || frames[2].size() != 1) {
            continue;
        }
        const std::string routing_id = frames[0].to_string();
        const auto command = static_cast<proto::Command>(*frames[2].data<std::uint8_t>());

        switch (command) {
        case proto::Command::Register: {
            // Setup only, outside the measured loop: learn which routing ids are devices.
            proto::Frames body;
            for (std::size_t index = 1; index < frames.size(); ++index) {
                body.emplace_back(frames[index].to_string());
            }
            const auto decoded = proto::decode(body);
            const auto* message = std::get_if<proto::Message>(&decoded);
            if (message != nullptr && std::get<proto::Register>(*message).role == proto::Role::Device) {
                devices.push_back(routing_id);
            }
            send_encoded(router, routing_id, registered);
            break;
        }
        case proto::Command::Submit:
            if (devices.empty()) {
                break;
            }
            client = routing_id;
            send_encoded(router, routing_id, accepted);
            send_frames(router, devices[next_device], frames, 1);
            next_device = (next_device + 1) % devices.size();
            break;
        case proto::Command::Started:
        case proto::Command::Result:
            if (!client.empty()) {
                send_frames(router, client, frames, 1);
            }
            break;
        default:
            break;  // HEARTBEAT and anything else: dropped
        }
    }
}

}  // namespace aip::bench
