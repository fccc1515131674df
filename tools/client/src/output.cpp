#include "output.hpp"

#include <algorithm>
#include <cstdio>

#include "aip/peer/payload_json.hpp"

namespace aip::client {
namespace {

using Json = nlohmann::json;

Json string_or_null(const std::string& text) {
    return text.empty() ? Json(nullptr) : Json(text);
}

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string joined;
    for (const auto& item : items) {
        if (!joined.empty()) {
            joined += separator;
        }
        joined += item;
    }
    return joined;
}

// Prints rows with each column padded to its widest cell; the last column is not padded.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t column = 0; column < row.size(); ++column) {
            widths[column] = std::max(widths[column], row[column].size());
        }
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column];
            if (column + 1 < row.size()) {
                line.append(widths[column] - row[column].size() + 2, ' ');
            }
        }
        out << line << '\n';
    }
}

std::string dash_if_empty(const std::string& text) {
    return text.empty() ? "-" : text;
}

}  // namespace

Json payload_json(const std::string& payload) {
    if (auto decoded = peer::msgpack_to_json(payload)) {
        return *decoded;
    }
    std::string hex;
    hex.reserve(payload.size() * 2);
    for (const unsigned char byte : payload) {
        char digits[3];
        std::snprintf(digits, sizeof digits, "%02x", byte);
        hex += digits;
    }
    return Json{{"bytes_hex", hex}};
}

Json task_update_json(const proto::TaskUpdate& update) {
    Json line;
    line["task_id"] = update.task_id;
    line["state"] = update.state;
    if (update.state != "COMPLETED" && !update.reason.empty()) {
        line["reason"] = update.reason;
    }
    line["device_id"] = string_or_null(update.device_id);
    line["attempts"] = update.attempts;
    if (!update.error.empty()) {
        line["error"] = update.error;
    }
    line["result"] = update.payload ? payload_json(*update.payload) : Json(nullptr);
    return line;
}

Json device_json(const proto::DeviceInfo& device) {
    return Json{
        {"device_id", device.device_id},
        {"state", device.state},
        {"capabilities", device.capabilities},
        {"slots", device.slots},
        {"running", device.running},
        {"last_seen_ms", device.last_seen.count()},
    };
}

Json task_json(const proto::TaskInfo& task) {
    return Json{
        {"task_id", task.task_id},
        {"client_id", task.client_id},
        {"state", task.state},
        {"reason", string_or_null(task.reason)},
        {"device_id", string_or_null(task.device_id)},
        {"attempts", task.attempts},
    };
}

Json event_json(const proto::Event& event) {
    return Json{
        {"kind", event.kind},
        {"id", event.id},
        {"state", event.state},
        {"reason", string_or_null(event.reason)},
        {"device_id", string_or_null(event.device_id)},
        {"client_id", string_or_null(event.client_id)},
        {"attempts", event.attempts},
    };
}

void print_device_table(std::ostream& out, const std::vector<proto::DeviceInfo>& devices) {
    std::vector<std::vector<std::string>> rows{
        {"DEVICE", "STATE", "SLOTS", "RUNNING", "LAST_SEEN_MS", "CAPABILITIES"}};
    for (const auto& device : devices) {
        rows.push_back({device.device_id, device.state, std::to_string(device.slots),
                        std::to_string(device.running), std::to_string(device.last_seen.count()),
                        dash_if_empty(join(device.capabilities, ","))});
    }
    print_table(out, rows);
}

void print_task_table(std::ostream& out, const std::vector<proto::TaskInfo>& tasks) {
    std::vector<std::vector<std::string>> rows{
        {"TASK", "CLIENT", "STATE", "REASON", "DEVICE", "ATTEMPTS"}};
    for (const auto& task : tasks) {
        rows.push_back({task.task_id, task.client_id, task.state, dash_if_empty(task.reason),
                        dash_if_empty(task.device_id), std::to_string(task.attempts)});
    }
    print_table(out, rows);
}

std::string event_line(const proto::Event& event) {
    std::string line = event.kind + " " + event.id + " " + event.state;
    if (!event.reason.empty()) {
        line += " reason=" + event.reason;
    }
    if (!event.device_id.empty()) {
        line += " device=" + event.device_id;
    }
    if (!event.client_id.empty()) {
        line += " client=" + event.client_id;
    }
    if (event.kind == "task") {
        line += " attempts=" + std::to_string(event.attempts);
    }
    return line;
}

}  // namespace aip::client
