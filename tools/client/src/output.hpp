// Formatting of broker data for aip-client output: JSON objects for tools, aligned tables for
// people.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aip/proto/messages.hpp"

namespace aip::client {

// {"task_id","state","reason" (absent when COMPLETED or empty),"device_id" (null when none),
//  "attempts","error" (only when non-empty),"result" (payload as JSON, null when none)}
[[nodiscard]] nlohmann::json task_update_json(const proto::TaskUpdate& update);

// {"device_id","state","capabilities","slots","running","last_seen_ms"}
[[nodiscard]] nlohmann::json device_json(const proto::DeviceInfo& device);

// {"task_id","client_id","state","reason","device_id","attempts"}; empty strings become null.
[[nodiscard]] nlohmann::json task_json(const proto::TaskInfo& task);

// {"kind","id","state","reason","device_id","client_id","attempts"}; empty strings become null.
[[nodiscard]] nlohmann::json event_json(const proto::Event& event);

// Decodes a result payload: MessagePack to JSON, {"bytes_hex": "..."} when it is not
// MessagePack.
[[nodiscard]] nlohmann::json payload_json(const std::string& payload);

void print_device_table(std::ostream& out, const std::vector<proto::DeviceInfo>& devices);
void print_task_table(std::ostream& out, const std::vector<proto::TaskInfo>& tasks);
[[nodiscard]] std::string event_line(const proto::Event& event);

}  // namespace aip::client
