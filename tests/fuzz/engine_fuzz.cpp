// Fuzz target: arbitrary sequences of peer messages and clock advances fed to the engine.
//
// The input is read as a program of small operations (register, submit, started, result,
// cancel, heartbeat, disconnect, query, time passing, raw garbage). After each step the target
// checks the engine's invariants and aborts on a violation, so that libFuzzer, or the replay
// driver in CI, reports the input:
//   - no call throws;
//   - a task never gets two different final outcomes (the same final update may be sent again
//     when the owner repeats a SUBMIT or a CANCEL);
//   - ASSIGN goes only to a routing id whose device is CONNECTED;
//   - no device runs more tasks than it has slots.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "aip/plugin/engine.hpp"
#include "aip/proto/codec.hpp"

namespace {

using namespace std::chrono_literals;
using aip::plugin::Duration;
using aip::plugin::Engine;
using aip::plugin::EngineConfig;
using aip::plugin::EngineEvent;
using aip::plugin::TimePoint;
namespace proto = aip::proto;

[[noreturn]] void violation(const char* what, const std::string& detail) {
    std::fprintf(stderr, "engine invariant violated: %s: %s\n", what, detail.c_str());
    std::abort();
}

// Reads the input byte by byte; past the end it returns zeros, so every input is a program.
class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    [[nodiscard]] bool done() const { return position_ >= size_; }

    std::uint8_t byte() { return position_ < size_ ? data_[position_++] : 0; }

    std::string bytes(std::size_t count) {
        std::string text;
        for (std::size_t i = 0; i < count && position_ < size_; ++i) {
            text.push_back(static_cast<char>(data_[position_++]));
        }
        return text;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t position_{0};
};

class Run {
public:
    Run() : engine_(config(), now_) {}

    void step(Reader& input) {
        const std::uint8_t op = input.byte() % 12;
        const std::string routing_id = "r" + std::to_string(input.byte() % 6);
        const std::uint8_t a = input.byte();
        const std::uint8_t b = input.byte();

        switch (op) {
        case 0: {
            proto::Register request{.role = proto::Role::Device, .peer_id = "d" + std::to_string(a % 4)};
            if ((b & 1) != 0) {
                request.capabilities.push_back("gpu");
            }
            if ((b & 2) != 0) {
                request.capabilities.push_back("cpu");
            }
            request.slots = 1 + b % 3;
            // Presenting the last token issued to anyone exercises both the matching and the
            // mismatching case of superseding.
            if ((b & 8) != 0 && !last_token_.empty()) {
                request.session_token = last_token_;
            }
            deliver(routing_id, request);
            break;
        }
        case 1:
            deliver(routing_id, proto::Register{.role = proto::Role::Client, .peer_id = "c" + std::to_string(a % 3)});
            break;
        case 2: {
            proto::Submit submit{.task_id = "t" + std::to_string(a % 16)};
            if ((b & 1) != 0) {
                submit.device_id = "d" + std::to_string(b % 4);
            } else {
                submit.capability = (b & 2) != 0 ? "gpu" : "cpu";
            }
            submit.max_attempts = 1 + b % 3;
            submit.reassign = (b & 4) == 0;
            submit.timeout = Duration{(b % 8) * 400};
            submit.payload = "input";
            deliver(routing_id, submit);
            break;
        }
        case 3:
            deliver(routing_id, proto::Started{.task_id = "t" + std::to_string(a % 16), .attempt = 1u + b % 3});
            break;
        case 4:
            deliver(routing_id, proto::Result{.task_id = "t" + std::to_string(a % 16),
                                              .attempt = 1u + b % 3,
                                              .ok = (b & 4) == 0,
                                              .error = (b & 4) == 0 ? "" : "failed",
                                              .payload = std::string("output")});
            break;
        case 5:
            deliver(routing_id, proto::Cancel{.task_id = "t" + std::to_string(a % 16)});
            break;
        case 6:
            deliver(routing_id, proto::Heartbeat{});
            break;
        case 7:
            deliver(routing_id, proto::Disconnect{.reason = "leaving"});
            break;
        case 8:
            deliver(routing_id, proto::Query{.request_id = a, .what = (b & 1) != 0 ? "devices" : "tasks"});
            break;
        case 9:
            deliver(routing_id, proto::Subscribe{.enabled = (b & 1) == 0});
            break;
        case 10:
            advance(Duration{(a + 1) * 50});
            break;
        default: {
            proto::Frames frames;
            const std::size_t count = b % 5;
            for (std::size_t i = 0; i < count; ++i) {
                frames.push_back(input.bytes(a % 24));
            }
            call([&] { engine_.on_message(routing_id, frames, now_); });
            break;
        }
        }
        check_devices();
    }

private:
    static EngineConfig config() {
        EngineConfig config;
        config.heartbeat_interval = 1000ms;
        config.liveness = 3;
        config.device_grace = 5000ms;
        config.client_grace = 1000ms;
        config.dispatch_timeout = 2000ms;
        config.default_task_timeout = 20000ms;
        config.max_registrations_per_second = 0;
        config.seed = 1;
        return config;
    }

    template <typename Call>
    void call(Call&& body) {
        try {
            body();
        } catch (const std::exception& error) {
            violation("an engine call threw", error.what());
        }
        collect();
    }

    void deliver(const std::string& routing_id, const proto::Message& message) {
        const auto frames = proto::encode(message);
        call([&] { engine_.on_message(routing_id, frames, now_); });
    }

    void advance(Duration duration) {
        const TimePoint target = now_ + duration;
        while (now_ < target) {
            TimePoint next = engine_.next_wakeup().value_or(target);
            if (next <= now_) {
                next = now_ + 1ms;
            }
            now_ = std::min(next, target);
            call([&] { engine_.on_tick(now_); });
        }
    }

    void collect() {
        for (const auto& event : engine_.take_events()) {
            if (event.kind != EngineEvent::Kind::DeviceState) {
                continue;
            }
            if (event.to == "CONNECTED") {
                connected_.insert(event.routing_id);
            } else if (event.from == "CONNECTED") {
                connected_.erase(event.routing_id);
            }
        }

        for (const auto& outgoing : engine_.take_outgoing()) {
            const auto decoded = proto::decode(outgoing.frames);
            const auto* message = std::get_if<proto::Message>(&decoded);
            if (message == nullptr) {
                violation("the engine sent a message its own codec rejects", outgoing.routing_id);
            }
            check_outgoing(outgoing.routing_id, *message);
        }
    }

    void check_outgoing(const std::string& routing_id, const proto::Message& message) {
        if (const auto* registered = std::get_if<proto::Registered>(&message)) {
            last_token_ = registered->session_token;
        }
        if (const auto* assign = std::get_if<proto::Assign>(&message)) {
            if (!connected_.contains(routing_id)) {
                violation("ASSIGN to a routing id without a CONNECTED device", routing_id + " " + assign->task_id);
            }
        }
        if (const auto* update = std::get_if<proto::TaskUpdate>(&message); update != nullptr && update->final) {
            const auto [it, first] = outcomes_.emplace(update->task_id, update->state);
            if (!first && it->second != update->state) {
                violation("a second, different final outcome", update->task_id + ": " + it->second + " then " +
                                                                     update->state);
            }
        }
    }

    void check_devices() {
        for (const auto& info : engine_.devices(now_)) {
            if (info.running > info.slots) {
                violation("a device runs more tasks than its slots", info.device_id);
            }
            if (info.state != "CONNECTED" && info.state != "DISCONNECTED") {
                violation("a device in an unknown state", info.device_id + " " + info.state);
            }
        }
    }

    TimePoint now_{std::chrono::hours(1)};
    Engine engine_;
    std::set<std::string> connected_;
    std::map<std::string, std::string> outcomes_;  // task id -> final state
    std::string last_token_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader input(data, size);
    Run run;
    for (int steps = 0; !input.done() && steps < 2000; ++steps) {
        run.step(input);
    }
    return 0;
}
