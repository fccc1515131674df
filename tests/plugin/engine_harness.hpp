// A virtual-clock harness for engine tests: feeds encoded frames, ticks time, decodes the output.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "aip/plugin/engine.hpp"
#include "aip/proto/codec.hpp"

namespace aip::plugin::testing {

using namespace std::chrono_literals;

struct Sent {
    std::string routing_id;
    proto::Message message;
};

class EngineHarness {
public:
    explicit EngineHarness(EngineConfig config = default_config())
        : config_(config), engine_(config, now_) {}

    static EngineConfig default_config() {
        EngineConfig config;
        config.heartbeat_interval = 1000ms;
        config.liveness = 3;
        config.device_grace = 10000ms;
        config.client_grace = 0ms;
        config.dispatch_timeout = 2000ms;
        config.default_task_timeout = 60000ms;
        config.seed = 42;
        return config;
    }

    [[nodiscard]] Engine& engine() { return engine_; }
    [[nodiscard]] TimePoint now() const { return now_; }
    [[nodiscard]] const EngineConfig& config() const { return config_; }

    void send_frames(const std::string& routing_id, const proto::Frames& frames) {
        engine_.on_message(routing_id, frames, now_);
        collect();
    }

    void send(const std::string& routing_id, const proto::Message& message) {
        send_frames(routing_id, proto::encode(message));
    }

    // Advances the virtual clock by `duration`, ticking at every wake-up the engine asks for.
    // Peers in `keep_alive` send a HEARTBEAT at every tick, as a live peer's traffic would.
    void advance(Duration duration, const std::vector<std::string>& keep_alive = {}) {
        const TimePoint target = now_ + duration;
        while (now_ < target) {
            TimePoint next = engine_.next_wakeup().value_or(target);
            next = std::clamp(next, now_ + 1ms, target);
            now_ = next;
            for (const auto& routing_id : keep_alive) {
                engine_.on_message(routing_id, proto::encode(proto::Heartbeat{}), now_);
            }
            engine_.on_tick(now_);
            collect();
        }
    }

    // Registers a device and returns the REGISTERED reply.
    proto::Registered register_device(const std::string& routing_id, const std::string& device_id,
                                      std::vector<std::string> capabilities = {"gpu"},
                                      std::uint32_t slots = 1,
                                      std::optional<std::string> token = std::nullopt) {
        send(routing_id, proto::Register{.role = proto::Role::Device,
                                         .peer_id = device_id,
                                         .capabilities = std::move(capabilities),
                                         .slots = slots,
                                         .session_token = std::move(token)});
        return last_of<proto::Registered>(routing_id).value_or(proto::Registered{});
    }

    proto::Registered register_client(const std::string& routing_id, const std::string& client_id,
                                      std::optional<std::string> token = std::nullopt) {
        send(routing_id, proto::Register{.role = proto::Role::Client,
                                         .peer_id = client_id,
                                         .session_token = std::move(token)});
        return last_of<proto::Registered>(routing_id).value_or(proto::Registered{});
    }

    void submit(const std::string& routing_id, const std::string& task_id,
                const std::string& capability = "gpu", std::uint32_t max_attempts = 1,
                Duration timeout = 0ms, std::string payload = "input") {
        proto::Submit submit;
        submit.task_id = task_id;
        submit.capability = capability;
        submit.max_attempts = max_attempts;
        submit.timeout = timeout;
        submit.payload = std::move(payload);
        send(routing_id, submit);
    }

    void submit_to_device(const std::string& routing_id, const std::string& task_id,
                          const std::string& device_id) {
        proto::Submit submit;
        submit.task_id = task_id;
        submit.device_id = device_id;
        send(routing_id, submit);
    }

    // Returns every message of type T sent to `routing_id` so far, oldest first.
    template <typename T>
    [[nodiscard]] std::vector<T> all_of(const std::string& routing_id) const {
        std::vector<T> found;
        for (const auto& sent : sent_) {
            if (sent.routing_id != routing_id) {
                continue;
            }
            if (const T* message = std::get_if<T>(&sent.message)) {
                found.push_back(*message);
            }
        }
        return found;
    }

    template <typename T>
    [[nodiscard]] std::optional<T> last_of(const std::string& routing_id) const {
        auto found = all_of<T>(routing_id);
        if (found.empty()) {
            return std::nullopt;
        }
        return found.back();
    }

    // Returns the TASK_UPDATEs for one task sent to `routing_id`.
    [[nodiscard]] std::vector<proto::TaskUpdate> updates(const std::string& routing_id,
                                                         const std::string& task_id) const {
        std::vector<proto::TaskUpdate> found;
        for (const auto& update : all_of<proto::TaskUpdate>(routing_id)) {
            if (update.task_id == task_id) {
                found.push_back(update);
            }
        }
        return found;
    }

    [[nodiscard]] std::vector<proto::TaskUpdate> final_updates(const std::string& routing_id,
                                                               const std::string& task_id) const {
        std::vector<proto::TaskUpdate> found;
        for (const auto& update : updates(routing_id, task_id)) {
            if (update.final) {
                found.push_back(update);
            }
        }
        return found;
    }

    [[nodiscard]] const std::vector<Sent>& sent() const { return sent_; }
    [[nodiscard]] const std::vector<EngineEvent>& events() const { return events_; }

    // Returns the events of a kind about one subject, oldest first.
    [[nodiscard]] std::vector<EngineEvent> events_about(EngineEvent::Kind kind,
                                                        const std::string& subject) const {
        std::vector<EngineEvent> found;
        for (const auto& event : events_) {
            if (event.kind == kind && event.subject == subject) {
                found.push_back(event);
            }
        }
        return found;
    }

    // Returns the time of the first event that moved `subject` to `to`.
    [[nodiscard]] std::optional<TimePoint> time_of(EngineEvent::Kind kind,
                                                   const std::string& subject,
                                                   const std::string& to) const {
        for (std::size_t i = 0; i < events_.size(); ++i) {
            if (events_[i].kind == kind && events_[i].subject == subject && events_[i].to == to) {
                return event_times_[i];
            }
        }
        return std::nullopt;
    }

    [[nodiscard]] std::optional<proto::TaskInfo> task(const std::string& task_id) const {
        for (const auto& info : engine_.tasks()) {
            if (info.task_id == task_id) {
                return info;
            }
        }
        return std::nullopt;
    }

    [[nodiscard]] std::optional<proto::DeviceInfo> device(const std::string& device_id) const {
        for (const auto& info : engine_.devices(now_)) {
            if (info.device_id == device_id) {
                return info;
            }
        }
        return std::nullopt;
    }

    void clear_sent() { sent_.clear(); }

private:
    void collect() {
        for (auto& outgoing : engine_.take_outgoing()) {
            auto decoded = proto::decode(outgoing.frames);
            auto* message = std::get_if<proto::Message>(&decoded);
            ASSERT_NE(message, nullptr) << "the engine sent frames its own codec rejects";
            sent_.push_back(Sent{outgoing.routing_id, std::move(*message)});
        }
        for (auto& event : engine_.take_events()) {
            events_.push_back(std::move(event));
            event_times_.push_back(now_);
        }
    }

    EngineConfig config_;
    TimePoint now_{std::chrono::hours(1)};
    Engine engine_;
    std::vector<Sent> sent_;
    std::vector<EngineEvent> events_;
    std::vector<TimePoint> event_times_;
};

}  // namespace aip::plugin::testing
