// The C ABI (aip_plugin.h) over aip::plugin::Engine. Every entry point catches everything: no
// exception crosses the boundary.
#include "aip_plugin.h"

#include <chrono>
#include <cstring>
#include <deque>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "aip/plugin/engine.hpp"

namespace {

using aip::plugin::Duration;
using aip::plugin::TimePoint;

constexpr std::size_t kMaxQueuedEvents = 100000;
constexpr std::size_t kMaxObservers = 16;

TimePoint to_time_point(std::int64_t now_ms) {
    return TimePoint{std::chrono::milliseconds{now_ms}};
}

thread_local std::string g_create_error;

// Copies of an event's strings, kept alive for the aip_event that points into them.
struct HeldEvent {
    aip::plugin::EngineEvent event;
    aip_event view{};

    void fill_view() {
        view.struct_size = sizeof(aip_event);
        view.kind = static_cast<std::uint32_t>(event.kind) + 1;
        view.subject = event.subject.c_str();
        view.from_state = event.from.c_str();
        view.to_state = event.to.c_str();
        view.reason = event.reason.c_str();
        view.detail = event.detail.c_str();
        view.device_id = event.device_id.c_str();
        view.client_id = event.client_id.c_str();
        view.routing_id = reinterpret_cast<const std::uint8_t*>(event.routing_id.data());
        view.routing_id_size = event.routing_id.size();
        view.attempt = event.attempt;
    }
};

static_assert(static_cast<int>(aip::plugin::EngineEvent::Kind::DeviceState) + 1 == AIP_EVENT_DEVICE_STATE);
static_assert(static_cast<int>(aip::plugin::EngineEvent::Kind::ClientState) + 1 == AIP_EVENT_CLIENT_STATE);
static_assert(static_cast<int>(aip::plugin::EngineEvent::Kind::TaskState) + 1 == AIP_EVENT_TASK_STATE);
static_assert(static_cast<int>(aip::plugin::EngineEvent::Kind::ProtocolError) + 1 == AIP_EVENT_PROTOCOL_ERROR);
static_assert(static_cast<int>(aip::plugin::EngineEvent::Kind::ResultDropped) + 1 == AIP_EVENT_RESULT_DROPPED);

}  // namespace

struct aip_engine {
    explicit aip_engine(aip::plugin::EngineConfig config, TimePoint now) : engine(std::move(config), now) {}

    aip::plugin::Engine engine;
    std::deque<aip::plugin::Outgoing> actions;
    std::deque<aip::plugin::EngineEvent> events;
    std::uint64_t events_dropped{0};
    std::vector<std::pair<aip_observer_fn, void*>> observers;

    // Storage behind the last aip_action / aip_event handed out.
    aip::plugin::Outgoing current_action;
    std::vector<aip_frame> current_frames;
    HeldEvent current_event;
    std::string last_error;

    // Moves what the engine produced into the queues and notifies the observers.
    void collect() {
        for (auto& outgoing : engine.take_outgoing()) {
            actions.push_back(std::move(outgoing));
        }
        for (auto& event : engine.take_events()) {
            notify(event);
            if (events.size() >= kMaxQueuedEvents) {
                events.pop_front();
                ++events_dropped;
            }
            events.push_back(std::move(event));
        }
    }

    void notify(const aip::plugin::EngineEvent& event) {
        if (observers.empty()) {
            return;
        }
        HeldEvent held{event, {}};
        held.fill_view();
        for (const auto& [observer, user_data] : observers) {
            observer(user_data, &held.view);
        }
    }
};

namespace {

// Runs one entry point's body, turning every exception into a status and a message.
template <typename Body>
aip_status guarded(aip_engine* engine, Body&& body) noexcept {
    try {
        engine->last_error.clear();
        body();
        return AIP_OK;
    } catch (const std::bad_alloc&) {
        engine->last_error = "out of memory";
        return AIP_ERR_NO_MEMORY;
    } catch (const std::invalid_argument& error) {
        engine->last_error = error.what();
        return AIP_ERR_INVALID_ARGUMENT;
    } catch (const std::exception& error) {
        engine->last_error = error.what();
        return AIP_ERR_INTERNAL;
    } catch (...) {
        engine->last_error = "unknown exception inside the engine";
        return AIP_ERR_INTERNAL;
    }
}

aip::plugin::EngineConfig to_engine_config(const aip_engine_config& config) {
    if (config.struct_size < sizeof(aip_engine_config)) {
        throw std::invalid_argument("aip_engine_config.struct_size is " + std::to_string(config.struct_size) +
                                    ", expected at least " + std::to_string(sizeof(aip_engine_config)) +
                                    ": initialise it with aip_engine_config_init()");
    }

    aip::plugin::EngineConfig result;
    result.heartbeat_interval = Duration{config.heartbeat_interval_ms};
    result.liveness = config.heartbeat_liveness;
    result.device_grace = Duration{config.device_grace_ms};
    result.client_grace = Duration{config.client_grace_ms};
    result.default_task_timeout = Duration{config.default_task_timeout_ms};
    result.dispatch_timeout = Duration{config.dispatch_timeout_ms};
    result.max_message_bytes = config.max_message_bytes;
    result.seed = config.seed;

    const char* policy_name = config.reconnect_policy != nullptr ? config.reconnect_policy : "";
    const auto policy = aip::plugin::parse_backoff_policy(policy_name);
    if (!policy) {
        throw std::invalid_argument(std::string("invalid reconnect_policy '") + policy_name +
                                    "': expected exponential, linear, immediate or none");
    }
    const char* jitter_name = config.reconnect_jitter != nullptr ? config.reconnect_jitter : "";
    const auto jitter = aip::plugin::parse_jitter(jitter_name);
    if (!jitter) {
        throw std::invalid_argument(std::string("invalid reconnect_jitter '") + jitter_name +
                                    "': expected none, full, equal, decorrelated or proportional");
    }
    result.advised_reconnect.policy = *policy;
    result.advised_reconnect.jitter = *jitter;
    result.advised_reconnect.max_retries = config.reconnect_max_retries;
    result.advised_reconnect.initial_backoff = Duration{config.reconnect_initial_backoff_ms};
    result.advised_reconnect.max_backoff = Duration{config.reconnect_max_backoff_ms};
    result.advised_reconnect.multiplier = config.reconnect_multiplier;

    const char* detector_name = config.failure_detector != nullptr ? config.failure_detector : "";
    const auto detector = aip::plugin::parse_detector_kind(detector_name);
    if (!detector) {
        throw std::invalid_argument(std::string("invalid failure_detector '") + detector_name +
                                    "': expected fixed or phi");
    }
    result.detector.kind = *detector;
    result.detector.threshold = config.phi_threshold;
    result.detector.min_std_dev = Duration{config.phi_min_std_dev_ms};
    result.detector.acceptable_pause = Duration{config.phi_acceptable_pause_ms};
    result.max_registrations_per_second = config.max_registrations_per_second;
    result.detector.capped = config.phi_capped != 0;
    result.finished_task_retention = Duration{config.finished_task_retention_ms};
    result.max_finished_tasks = static_cast<std::size_t>(config.max_finished_tasks);
    return result;
}

}  // namespace

extern "C" {

void aip_engine_config_init(aip_engine_config* config) {
    if (config == nullptr) {
        return;
    }
    const aip::plugin::EngineConfig defaults;
    std::memset(config, 0, sizeof(*config));
    config->struct_size = sizeof(aip_engine_config);
    config->heartbeat_interval_ms = defaults.heartbeat_interval.count();
    config->heartbeat_liveness = defaults.liveness;
    config->device_grace_ms = defaults.device_grace.count();
    config->client_grace_ms = defaults.client_grace.count();
    config->default_task_timeout_ms = defaults.default_task_timeout.count();
    config->dispatch_timeout_ms = defaults.dispatch_timeout.count();
    config->max_message_bytes = defaults.max_message_bytes;
    config->seed = 0;
    config->reconnect_policy = "exponential";
    config->reconnect_max_retries = defaults.advised_reconnect.max_retries;
    config->reconnect_initial_backoff_ms = defaults.advised_reconnect.initial_backoff.count();
    config->reconnect_max_backoff_ms = defaults.advised_reconnect.max_backoff.count();
    config->reconnect_multiplier = defaults.advised_reconnect.multiplier;
    config->reconnect_jitter = "full";
    config->failure_detector = "fixed";
    config->phi_threshold = defaults.detector.threshold;
    config->phi_min_std_dev_ms = defaults.detector.min_std_dev.count();
    config->phi_acceptable_pause_ms = defaults.detector.acceptable_pause.count();
    config->max_registrations_per_second = defaults.max_registrations_per_second;
    config->phi_capped = defaults.detector.capped ? 1 : 0;
    config->finished_task_retention_ms = defaults.finished_task_retention.count();
    config->max_finished_tasks = defaults.max_finished_tasks;
}

aip_status aip_engine_create(const aip_engine_config* config, int64_t now_ms, aip_engine** out) {
    if (out == nullptr) {
        g_create_error = "out is NULL: pass the address of an aip_engine pointer";
        return AIP_ERR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    if (config == nullptr) {
        g_create_error = "config is NULL: initialise one with aip_engine_config_init()";
        return AIP_ERR_INVALID_ARGUMENT;
    }

    try {
        *out = new aip_engine(to_engine_config(*config), to_time_point(now_ms));
        g_create_error.clear();
        return AIP_OK;
    } catch (const std::bad_alloc&) {
        g_create_error = "out of memory";
        return AIP_ERR_NO_MEMORY;
    } catch (const std::invalid_argument& error) {
        g_create_error = error.what();
        return AIP_ERR_INVALID_CONFIG;
    } catch (const std::exception& error) {
        g_create_error = error.what();
        return AIP_ERR_INTERNAL;
    } catch (...) {
        g_create_error = "unknown exception while creating the engine";
        return AIP_ERR_INTERNAL;
    }
}

const char* aip_last_create_error(void) {
    return g_create_error.c_str();
}

void aip_engine_destroy(aip_engine* engine) {
    delete engine;
}

aip_status aip_engine_on_message(aip_engine* engine, const uint8_t* routing_id, size_t routing_id_size,
                                 const aip_frame* frames, size_t frame_count, int64_t now_ms) {
    if (engine == nullptr) {
        return AIP_ERR_INVALID_ARGUMENT;
    }
    if ((routing_id == nullptr && routing_id_size != 0) || (frames == nullptr && frame_count != 0)) {
        engine->last_error = "routing_id or frames is NULL with a non-zero size";
        return AIP_ERR_INVALID_ARGUMENT;
    }

    return guarded(engine, [&] {
        aip::proto::Frames copied;
        copied.reserve(frame_count);
        for (std::size_t i = 0; i < frame_count; ++i) {
            if (frames[i].data == nullptr && frames[i].size != 0) {
                throw std::invalid_argument("frame " + std::to_string(i) + " is NULL with size " +
                                            std::to_string(frames[i].size));
            }
            copied.emplace_back(reinterpret_cast<const char*>(frames[i].data), frames[i].size);
        }
        const std::string routing(reinterpret_cast<const char*>(routing_id), routing_id_size);
        engine->engine.on_message(routing, copied, to_time_point(now_ms));
        engine->collect();
    });
}

aip_status aip_engine_on_tick(aip_engine* engine, int64_t now_ms) {
    if (engine == nullptr) {
        return AIP_ERR_INVALID_ARGUMENT;
    }
    return guarded(engine, [&] {
        engine->engine.on_tick(to_time_point(now_ms));
        engine->collect();
    });
}

aip_status aip_engine_shutdown(aip_engine* engine, int64_t now_ms) {
    if (engine == nullptr) {
        return AIP_ERR_INVALID_ARGUMENT;
    }
    return guarded(engine, [&] {
        engine->engine.shutdown(to_time_point(now_ms));
        engine->collect();
    });
}

int aip_engine_next_wakeup(const aip_engine* engine, int64_t* wakeup_ms) {
    if (engine == nullptr || wakeup_ms == nullptr) {
        return 0;
    }
    try {
        const auto wakeup = engine->engine.next_wakeup();
        if (!wakeup) {
            return 0;
        }
        *wakeup_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wakeup->time_since_epoch()).count();
        return 1;
    } catch (...) {
        return 0;
    }
}

aip_status aip_engine_next_action(aip_engine* engine, aip_action* action) {
    if (engine == nullptr || action == nullptr) {
        return AIP_ERR_INVALID_ARGUMENT;
    }
    if (engine->actions.empty()) {
        return AIP_ERR_EMPTY;
    }

    return guarded(engine, [&] {
        engine->current_action = std::move(engine->actions.front());
        engine->actions.pop_front();

        engine->current_frames.clear();
        for (const auto& frame : engine->current_action.frames) {
            engine->current_frames.push_back({reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()});
        }
        action->routing_id = reinterpret_cast<const std::uint8_t*>(engine->current_action.routing_id.data());
        action->routing_id_size = engine->current_action.routing_id.size();
        action->frames = engine->current_frames.data();
        action->frame_count = engine->current_frames.size();
    });
}

aip_status aip_engine_next_event(aip_engine* engine, aip_event* event) {
    if (engine == nullptr || event == nullptr) {
        return AIP_ERR_INVALID_ARGUMENT;
    }
    if (engine->events.empty()) {
        return AIP_ERR_EMPTY;
    }

    return guarded(engine, [&] {
        engine->current_event.event = std::move(engine->events.front());
        engine->events.pop_front();
        engine->current_event.fill_view();
        *event = engine->current_event.view;
    });
}

aip_status aip_engine_stats(const aip_engine* engine, aip_stats* stats) {
    if (engine == nullptr || stats == nullptr) {
        return AIP_ERR_INVALID_ARGUMENT;
    }
    try {
        const auto values = engine->engine.stats();
        std::memset(stats, 0, sizeof(*stats));
        stats->struct_size = sizeof(aip_stats);
        stats->messages_in = values.messages_in;
        stats->messages_out = values.messages_out;
        stats->protocol_errors = values.protocol_errors;
        stats->results_dropped = values.results_dropped;
        stats->devices_connected = values.devices_connected;
        stats->devices_disconnected = values.devices_disconnected;
        stats->clients_connected = values.clients_connected;
        stats->tasks_pending = values.tasks_pending;
        stats->tasks_running = values.tasks_running;
        stats->tasks_completed = values.tasks_completed;
        stats->tasks_failed = values.tasks_failed;
        stats->tasks_cancelled = values.tasks_cancelled;
        stats->tasks_timed_out = values.tasks_timed_out;
        stats->devices_lost = values.devices_lost;
        stats->tasks_reassigned = values.tasks_reassigned;
        stats->events_dropped = engine->events_dropped;
        return AIP_OK;
    } catch (...) {
        return AIP_ERR_INTERNAL;
    }
}

aip_status aip_engine_add_observer(aip_engine* engine, aip_observer_fn observer, void* user_data) {
    if (engine == nullptr || observer == nullptr) {
        return AIP_ERR_INVALID_ARGUMENT;
    }
    if (engine->observers.size() >= kMaxObservers) {
        engine->last_error = "too many observers: at most " + std::to_string(kMaxObservers) + " per engine";
        return AIP_ERR_INVALID_ARGUMENT;
    }
    return guarded(engine, [&] { engine->observers.emplace_back(observer, user_data); });
}

const char* aip_engine_last_error(const aip_engine* engine) {
    if (engine == nullptr) {
        return "engine is NULL";
    }
    return engine->last_error.c_str();
}

const aip_plugin_descriptor* aip_plugin_descriptor_get(void) {
    static const aip_plugin_descriptor descriptor = {
        AIP_PLUGIN_ABI_VERSION,
        sizeof(aip_plugin_descriptor),
        "aip-engine",
        AIP_VERSION_STRING,
        aip_engine_config_init,
        aip_engine_create,
        aip_last_create_error,
        aip_engine_destroy,
        aip_engine_on_message,
        aip_engine_on_tick,
        aip_engine_shutdown,
        aip_engine_next_wakeup,
        aip_engine_next_action,
        aip_engine_next_event,
        aip_engine_stats,
        aip_engine_add_observer,
        aip_engine_last_error,
    };
    return &descriptor;
}

}  // extern "C"
