#include "engine_handle.hpp"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <vector>

#include "aip/plugin/reconnection.hpp"

namespace aip::broker {

SharedLibrary::SharedLibrary(const std::string& path) : path_(path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
        const char* reason = dlerror();
        throw std::runtime_error("cannot load '" + path + "': " + (reason != nullptr ? reason : "unknown error"));
    }
}

SharedLibrary::~SharedLibrary() {
    if (handle_ != nullptr) {
        dlclose(handle_);
    }
}

void* SharedLibrary::symbol(const char* name) const {
    dlerror();
    void* address = dlsym(handle_, name);
    if (address == nullptr) {
        throw std::runtime_error("'" + path_ + "' does not export the symbol '" + name +
                                 "': is it an aip plugin built against aip_plugin.h?");
    }
    return address;
}

const aip_plugin_descriptor& builtin_descriptor() {
    return *aip_plugin_descriptor_get();
}

const aip_plugin_descriptor& load_descriptor(const SharedLibrary& library) {
    const auto get = reinterpret_cast<aip_plugin_descriptor_get_fn>(library.symbol("aip_plugin_descriptor_get"));
    const aip_plugin_descriptor* descriptor = get();
    if (descriptor == nullptr) {
        throw std::runtime_error("'" + library.path() + "': aip_plugin_descriptor_get() returned NULL");
    }
    if (descriptor->abi_version != AIP_PLUGIN_ABI_VERSION) {
        throw std::runtime_error("'" + library.path() + "' has plugin ABI version " +
                                 std::to_string(descriptor->abi_version) + ", expected " +
                                 std::to_string(AIP_PLUGIN_ABI_VERSION) + ": rebuild it against this aip_plugin.h");
    }
    if (descriptor->struct_size < sizeof(aip_plugin_descriptor)) {
        throw std::runtime_error("'" + library.path() + "' has a descriptor of " +
                                 std::to_string(descriptor->struct_size) + " bytes, expected at least " +
                                 std::to_string(sizeof(aip_plugin_descriptor)));
    }
    return *descriptor;
}

namespace {

aip_engine_config to_abi_config(const aip_plugin_descriptor& descriptor, const plugin::EngineConfig& config) {
    aip_engine_config abi{};
    descriptor.config_init(&abi);
    abi.heartbeat_interval_ms = config.heartbeat_interval.count();
    abi.heartbeat_liveness = config.liveness;
    abi.device_grace_ms = config.device_grace.count();
    abi.client_grace_ms = config.client_grace.count();
    abi.default_task_timeout_ms = config.default_task_timeout.count();
    abi.dispatch_timeout_ms = config.dispatch_timeout.count();
    abi.max_message_bytes = config.max_message_bytes;
    abi.seed = config.seed;
    // The names are string literals with static storage, so the pointers outlive the call.
    abi.reconnect_policy = plugin::to_string(config.advised_reconnect.policy).data();
    abi.reconnect_jitter = plugin::to_string(config.advised_reconnect.jitter).data();
    abi.reconnect_max_retries = config.advised_reconnect.max_retries;
    abi.reconnect_initial_backoff_ms = config.advised_reconnect.initial_backoff.count();
    abi.reconnect_max_backoff_ms = config.advised_reconnect.max_backoff.count();
    abi.reconnect_multiplier = config.advised_reconnect.multiplier;
    abi.failure_detector = plugin::to_string(config.detector.kind).data();
    abi.phi_threshold = config.detector.threshold;
    abi.phi_min_std_dev_ms = config.detector.min_std_dev.count();
    abi.phi_acceptable_pause_ms = config.detector.acceptable_pause.count();
    abi.max_registrations_per_second = config.max_registrations_per_second;
    abi.phi_capped = config.detector.capped ? 1 : 0;
    abi.finished_task_retention_ms = config.finished_task_retention.count();
    abi.max_finished_tasks = config.max_finished_tasks;
    return abi;
}

}  // namespace

EngineHandle::EngineHandle(const aip_plugin_descriptor& descriptor, const plugin::EngineConfig& config,
                           std::int64_t now_ms)
    : descriptor_(descriptor) {
    const auto abi = to_abi_config(descriptor, config);
    if (descriptor_.create(&abi, now_ms, &engine_) != AIP_OK) {
        throw std::runtime_error(std::string("cannot create the engine: ") + descriptor_.last_create_error());
    }
}

EngineHandle::~EngineHandle() {
    descriptor_.destroy(engine_);
}

bool EngineHandle::check(aip_status status, const char* operation) {
    if (status == AIP_OK) {
        return true;
    }
    spdlog::error("engine {} failed with status {}: {}", operation, static_cast<int>(status),
                  descriptor_.last_error(engine_));
    return false;
}

bool EngineHandle::on_message(const std::string& routing_id, const std::vector<std::string>& frames,
                              std::int64_t now_ms) {
    std::vector<aip_frame> views;
    views.reserve(frames.size());
    for (const auto& frame : frames) {
        views.push_back({reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()});
    }
    return check(descriptor_.on_message(engine_, reinterpret_cast<const std::uint8_t*>(routing_id.data()),
                                        routing_id.size(), views.data(), views.size(), now_ms),
                 "on_message");
}

bool EngineHandle::on_tick(std::int64_t now_ms) {
    return check(descriptor_.on_tick(engine_, now_ms), "on_tick");
}

bool EngineHandle::shutdown(std::int64_t now_ms) {
    return check(descriptor_.shutdown(engine_, now_ms), "shutdown");
}

std::optional<std::int64_t> EngineHandle::next_wakeup() const {
    std::int64_t wakeup_ms = 0;
    if (descriptor_.next_wakeup(engine_, &wakeup_ms) == 0) {
        return std::nullopt;
    }
    return wakeup_ms;
}

void EngineHandle::drain_actions(const std::function<void(const aip_action&)>& send) {
    aip_action action{};
    while (descriptor_.next_action(engine_, &action) == AIP_OK) {
        send(action);
    }
}

void EngineHandle::drain_events(const std::function<void(const aip_event&)>& handle) {
    aip_event event{};
    while (descriptor_.next_event(engine_, &event) == AIP_OK) {
        handle(event);
    }
}

aip_stats EngineHandle::stats() const {
    aip_stats values{};
    values.struct_size = sizeof(values);
    descriptor_.stats(engine_, &values);
    return values;
}

void EngineHandle::add_observer(aip_observer_fn observer, void* user_data) {
    if (!check(descriptor_.add_observer(engine_, observer, user_data), "add_observer")) {
        throw std::runtime_error(std::string("cannot add an observer: ") + descriptor_.last_error(engine_));
    }
}

Observer::Observer(const std::string& path, const std::string& config) : library_(path) {
    const auto get = reinterpret_cast<aip_observer_descriptor_get_fn>(library_.symbol("aip_observer_descriptor_get"));
    descriptor_ = get();
    if (descriptor_ == nullptr) {
        throw std::runtime_error("'" + path + "': aip_observer_descriptor_get() returned NULL");
    }
    if (descriptor_->abi_version != AIP_OBSERVER_ABI_VERSION) {
        throw std::runtime_error("'" + path + "' has observer ABI version " + std::to_string(descriptor_->abi_version) +
                                 ", expected " + std::to_string(AIP_OBSERVER_ABI_VERSION));
    }

    char error[512] = {0};
    state_ = descriptor_->create(config.c_str(), error, sizeof(error));
    if (state_ == nullptr) {
        throw std::runtime_error("observer '" + path + "' failed to start: " + error);
    }
}

Observer::~Observer() {
    descriptor_->destroy(state_);
}

void Observer::attach(EngineHandle& engine) {
    engine.add_observer(descriptor_->on_event, state_);
}

}  // namespace aip::broker
