// The engine from the host's side: an aip_plugin_descriptor (built in or loaded with dlopen) plus
// one engine created through it. Everything the broker does with the engine goes through the C
// ABI, so the built-in engine and a loaded plugin take exactly the same path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "aip/plugin/engine.hpp"
#include "aip_plugin.h"

namespace aip::broker {

// A shared object opened with dlopen; closed on destruction.
class SharedLibrary {
public:
    // Throws std::runtime_error naming the path and dlerror() when the file cannot be loaded.
    explicit SharedLibrary(const std::string& path);
    ~SharedLibrary();
    SharedLibrary(const SharedLibrary&) = delete;
    SharedLibrary& operator=(const SharedLibrary&) = delete;

    // Returns the symbol's address; throws std::runtime_error naming the path and the symbol.
    [[nodiscard]] void* symbol(const char* name) const;
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    void* handle_{nullptr};
};

// Returns the descriptor of the engine linked into aip-broker.
[[nodiscard]] const aip_plugin_descriptor& builtin_descriptor();

// Loads a plugin and checks its ABI version. Throws std::runtime_error naming the path, the
// expected and the found version.
[[nodiscard]] const aip_plugin_descriptor& load_descriptor(const SharedLibrary& library);

class EngineHandle {
public:
    // Creates an engine through the descriptor; throws std::runtime_error with the engine's message.
    EngineHandle(const aip_plugin_descriptor& descriptor, const plugin::EngineConfig& config, std::int64_t now_ms);
    ~EngineHandle();
    EngineHandle(const EngineHandle&) = delete;
    EngineHandle& operator=(const EngineHandle&) = delete;

    // Each call logs and returns false when the engine reports an error.
    bool on_message(const std::string& routing_id, const std::vector<std::string>& frames, std::int64_t now_ms);
    bool on_tick(std::int64_t now_ms);
    bool shutdown(std::int64_t now_ms);
    [[nodiscard]] std::optional<std::int64_t> next_wakeup() const;

    // Calls send for each pending action; the action's memory is valid only during the call.
    void drain_actions(const std::function<void(const aip_action&)>& send);
    void drain_events(const std::function<void(const aip_event&)>& handle);
    [[nodiscard]] aip_stats stats() const;

    void add_observer(aip_observer_fn observer, void* user_data);

private:
    bool check(aip_status status, const char* operation);

    const aip_plugin_descriptor& descriptor_;
    aip_engine* engine_{nullptr};
};

// An observer plugin loaded with --observer; its state is destroyed with it.
class Observer {
public:
    Observer(const std::string& path, const std::string& config);
    ~Observer();
    Observer(const Observer&) = delete;
    Observer& operator=(const Observer&) = delete;

    void attach(EngineHandle& engine);

private:
    SharedLibrary library_;
    const aip_observer_descriptor* descriptor_{nullptr};
    void* state_{nullptr};
};

}  // namespace aip::broker
