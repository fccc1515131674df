#include "commands.hpp"

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "aip/peer/payload_json.hpp"
#include "aip/peer/reconnect_options.hpp"
#include "aip/plugin/duration.hpp"
#include "aip/proto/codec.hpp"
#include "output.hpp"

namespace aip::client {
namespace po = boost::program_options;
using peer::invalid_option;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kDurationForm = "expected a positive duration such as 250ms, 2s or 1m";
constexpr const char* kIdForm = "expected 1 to 128 printable ASCII characters (0x21 to 0x7E), no spaces";

// Margin added to the task timeout when bounding `submit --wait`, so that the broker's
// TIMED_OUT update arrives before the client stops waiting.
constexpr plugin::Duration kWaitMargin{10000};

struct SubmitOptions {
    std::optional<std::string> device_id;
    std::optional<std::string> capability;
    std::string payload;  // MessagePack
    std::uint32_t count{1};
    plugin::Duration timeout{0};
    std::uint32_t max_attempts{1};
    bool wait{false};
    std::optional<std::string> task_id;
    std::optional<plugin::Duration> wait_timeout;
};

struct ListOptions {
    bool json{false};
};

struct WatchOptions {
    bool json{false};
    std::optional<plugin::Duration> duration;
};

struct CancelOptions {
    std::string task_id;
};

template <typename T>
using Parsed = std::variant<T, std::string>;

// Parses `arguments` against `description`; positional names are bound in order.
std::optional<std::string> parse_into(const Arguments& arguments, const po::options_description& description,
                                      const po::positional_options_description& positional,
                                      po::variables_map& values) {
    try {
        po::store(po::command_line_parser(arguments).options(description).positional(positional).run(),
                  values);
        po::notify(values);
    } catch (const po::error& error) {
        return std::string(error.what());
    }
    return std::nullopt;
}

std::optional<plugin::Duration> read_duration(const po::variables_map& values, const char* name,
                                              std::string& error) {
    if (!values.count(name)) {
        return std::nullopt;
    }
    const auto text = values[name].as<std::string>();
    const auto parsed = plugin::parse_duration(text);
    if (!parsed || *parsed <= plugin::Duration::zero()) {
        error = invalid_option(name, text, kDurationForm);
        return std::nullopt;
    }
    return parsed;
}

Parsed<SubmitOptions> parse_submit(const Arguments& arguments) {
    po::options_description description("submit options");
    description.add_options()
        ("device", po::value<std::string>())
        ("capability", po::value<std::string>())
        ("payload", po::value<std::string>())
        ("count", po::value<std::string>())
        ("timeout", po::value<std::string>())
        ("max-attempts", po::value<std::string>())
        ("task-id", po::value<std::string>())
        ("wait-timeout", po::value<std::string>())
        ("wait", po::bool_switch());
    po::variables_map values;
    if (auto error = parse_into(arguments, description, {}, values)) {
        return *error;
    }

    SubmitOptions options;
    if (values.count("device") == values.count("capability")) {
        return std::string("submit needs exactly one of --device ID or --capability NAME");
    }
    if (values.count("device")) {
        options.device_id = values["device"].as<std::string>();
        if (!proto::is_valid_id(*options.device_id)) {
            return invalid_option("device", *options.device_id, kIdForm);
        }
    } else {
        options.capability = values["capability"].as<std::string>();
        if (!proto::is_valid_id(*options.capability)) {
            return invalid_option("capability", *options.capability, kIdForm);
        }
    }

    if (!values.count("payload")) {
        return std::string("submit needs --payload JSON");
    }
    const auto payload_text = values["payload"].as<std::string>();
    const auto payload = peer::json_text_to_msgpack(payload_text);
    if (!payload) {
        return invalid_option("payload", payload_text, "expected JSON, for example "
                                                       "'{\"action\":\"echo\",\"data\":1}'");
    }
    options.payload = *payload;

    if (values.count("count")) {
        const auto text = values["count"].as<std::string>();
        const auto count = peer::parse_unsigned(text);
        if (!count || *count < 1 || *count > 100000) {
            return invalid_option("count", text, "expected an integer from 1 to 100000");
        }
        options.count = static_cast<std::uint32_t>(*count);
    }
    if (values.count("max-attempts")) {
        const auto text = values["max-attempts"].as<std::string>();
        const auto attempts = peer::parse_unsigned(text);
        if (!attempts || *attempts < 1 || *attempts > 100) {
            return invalid_option("max-attempts", text, "expected an integer from 1 to 100");
        }
        options.max_attempts = static_cast<std::uint32_t>(*attempts);
    }

    std::string error;
    if (const auto timeout = read_duration(values, "timeout", error)) {
        options.timeout = *timeout;
    }
    options.wait_timeout = read_duration(values, "wait-timeout", error);
    if (!error.empty()) {
        return error;
    }

    if (values.count("task-id")) {
        options.task_id = values["task-id"].as<std::string>();
        // The longest generated id is the prefix, '-' and a counter of up to 6 digits.
        if (!proto::is_valid_id(*options.task_id) ||
            (options.count > 1 && options.task_id->size() + 7 > proto::kMaxIdBytes)) {
            return invalid_option("task-id", *options.task_id,
                                  "expected 1 to 121 printable ASCII characters");
        }
    }
    options.wait = values["wait"].as<bool>();
    return options;
}

Parsed<ListOptions> parse_list(const Arguments& arguments) {
    po::options_description description("list options");
    description.add_options()("json", po::bool_switch());
    po::variables_map values;
    if (auto error = parse_into(arguments, description, {}, values)) {
        return *error;
    }
    return ListOptions{values["json"].as<bool>()};
}

Parsed<WatchOptions> parse_watch(const Arguments& arguments) {
    po::options_description description("watch options");
    description.add_options()("json", po::bool_switch())("for", po::value<std::string>());
    po::variables_map values;
    if (auto error = parse_into(arguments, description, {}, values)) {
        return *error;
    }

    WatchOptions options;
    options.json = values["json"].as<bool>();
    std::string error;
    options.duration = read_duration(values, "for", error);
    if (!error.empty()) {
        return error;
    }
    return options;
}

Parsed<CancelOptions> parse_cancel(const Arguments& arguments) {
    po::options_description description("cancel options");
    description.add_options()("task", po::value<std::string>());
    po::positional_options_description positional;
    positional.add("task", 1);
    po::variables_map values;
    if (auto error = parse_into(arguments, description, positional, values)) {
        return *error;
    }
    if (!values.count("task")) {
        return std::string("cancel needs a TASK_ID");
    }
    return CancelOptions{values["task"].as<std::string>()};
}

// Returns the task ids of one submit run: PREFIX (count 1) or PREFIX-1 .. PREFIX-N with
// --task-id, otherwise CLIENT_ID-STAMP-1 .. CLIENT_ID-STAMP-N with a per-run time stamp, so
// that a reused client id does not turn new tasks into duplicates of old ones.
std::vector<std::string> task_ids(const SubmitOptions& options, const std::string& client_id) {
    std::vector<std::string> ids;
    if (options.task_id && options.count == 1) {
        ids.push_back(*options.task_id);
        return ids;
    }

    std::string prefix;
    if (options.task_id) {
        prefix = *options.task_id;
    } else {
        const auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        prefix = client_id + "-" + std::to_string(stamp.count());
        if (prefix.size() + 7 > proto::kMaxIdBytes) {
            prefix = std::to_string(stamp.count());
        }
    }
    for (std::uint32_t index = 1; index <= options.count; ++index) {
        ids.push_back(prefix + "-" + std::to_string(index));
    }
    return ids;
}

int report_failure(const peer::RequestFailure& failure) {
    std::cerr << "aip-client: " << failure.message << '\n';
    return failure.kind == peer::RequestFailure::Kind::GaveUp ? kExitUnreachable : kExitFailed;
}

// Waits for the final update of every task in `pending`, printing each as a JSON line.
int wait_for_tasks(CommandContext& context, std::set<std::string> pending,
                   std::optional<Clock::time_point> deadline) {
    bool all_completed = true;
    while (!pending.empty()) {
        auto update = context.endpoint.next_update(deadline.value_or(Clock::time_point::max()));
        if (!update) {
            if (context.endpoint.gave_up()) {
                std::cerr << "aip-client: lost the broker while waiting for " << pending.size()
                          << " task(s): " << context.endpoint.give_up_description() << '\n';
                return kExitUnreachable;
            }
            if (context.endpoint.stop_requested()) {
                std::cerr << "aip-client: interrupted while waiting for " << pending.size()
                          << " task(s)\n";
                return kExitFailed;
            }
            std::cerr << "aip-client: timed out waiting for " << pending.size() << " task(s)\n";
            return kExitFailed;
        }

        if (const auto* error = std::get_if<proto::Error>(&*update)) {
            std::cerr << "aip-client: broker sent ERROR " << error->code << ": " << error->message
                      << '\n';
            // A SUBMIT sent again after a reconnection can be rejected, and then no final update comes.
            if (error->task_id && pending.contains(*error->task_id) &&
                error->command == static_cast<std::uint8_t>(proto::Command::Submit)) {
                pending.erase(*error->task_id);
                all_completed = false;
            }
            continue;
        }
        const auto* task = std::get_if<proto::TaskUpdate>(&*update);
        if (task == nullptr || !pending.contains(task->task_id)) {
            continue;
        }
        if (!task->final) {
            spdlog::info("task {}: {} ({}) after {} attempt(s){}", task->task_id, task->state,
                         task->reason, task->attempts, task->error.empty() ? "" : ": " + task->error);
            continue;
        }

        std::cout << peer::dump_json_line(task_update_json(*task)) << std::endl;
        pending.erase(task->task_id);
        if (task->state != "COMPLETED") {
            all_completed = false;
        }
    }
    return all_completed ? kExitOk : kExitFailed;
}

}  // namespace

int usage_error(const std::string& message) {
    std::cerr << "aip-client: error: " << message << "\nRun 'aip-client --help' for usage.\n";
    return kExitUsage;
}

std::string check_arguments(const std::string& command, const Arguments& arguments) {
    const auto error_of = [](const auto& parsed) -> std::string {
        if (const auto* error = std::get_if<std::string>(&parsed)) {
            return *error;
        }
        return {};
    };
    if (command == "submit") {
        return error_of(parse_submit(arguments));
    }
    if (command == "devices" || command == "tasks") {
        return error_of(parse_list(arguments));
    }
    if (command == "watch") {
        return error_of(parse_watch(arguments));
    }
    if (command == "cancel") {
        return error_of(parse_cancel(arguments));
    }
    return "unknown command '" + command + "': expected submit, devices, tasks, watch or cancel";
}

int run_submit(CommandContext& context, const Arguments& arguments) {
    const auto options = std::get<SubmitOptions>(parse_submit(arguments));

    std::set<std::string> accepted;
    for (const auto& task_id : task_ids(options, context.client_id)) {
        proto::Submit submit;
        submit.task_id = task_id;
        submit.device_id = options.device_id;
        submit.capability = options.capability;
        submit.timeout = options.timeout;
        submit.max_attempts = options.max_attempts;
        submit.payload = options.payload;

        auto reply = context.endpoint.submit(submit, context.request_timeout);
        if (const auto* failure = std::get_if<peer::RequestFailure>(&reply)) {
            return report_failure(*failure);
        }
        if (std::get<proto::Accepted>(reply).duplicate) {
            spdlog::warn("task {}: the broker already held this task id (duplicate submit)", task_id);
        }
        if (!options.wait) {
            std::cout << task_id << std::endl;
        }
        accepted.insert(task_id);
    }
    if (!options.wait) {
        std::cerr << "aip-client: warning: the broker cancels these tasks when client "
                  << context.client_id
                  << " leaves, unless the broker runs with --client-grace DUR; to read their "
                     "results, run aip-client with --id "
                  << context.client_id << " again within that grace period, or submit with --wait\n";
        return kExitOk;
    }

    std::optional<Clock::time_point> deadline;
    if (options.wait_timeout) {
        deadline = Clock::now() + *options.wait_timeout;
    } else if (options.timeout > plugin::Duration::zero()) {
        deadline = Clock::now() + options.timeout + kWaitMargin;
    }
    return wait_for_tasks(context, std::move(accepted), deadline);
}

// Queries `what` ("devices" or "tasks") and prints the entries in `member` of the reply, as one
// JSON array with --json or as a table. A reply that the broker cut to fit its message size
// limit is reported on stderr, so that a partial list is not taken for a complete one.
template <typename Entry, typename ToJson, typename PrintTable>
int run_listing(CommandContext& context, const Arguments& arguments, const char* what,
                std::vector<Entry> proto::QueryReply::*member, ToJson to_json, PrintTable print_table) {
    const auto options = std::get<ListOptions>(parse_list(arguments));
    auto reply = context.endpoint.query(what, context.request_timeout);
    if (const auto* failure = std::get_if<peer::RequestFailure>(&reply)) {
        return report_failure(*failure);
    }

    const auto& query_reply = std::get<proto::QueryReply>(reply);
    const auto& entries = query_reply.*member;
    if (query_reply.truncated) {
        std::cerr << "aip-client: warning: the broker left out some " << what << " to keep its reply within its "
                  << "message size limit (--max-message-size); " << entries.size() << " shown\n";
    }

    if (options.json) {
        auto array = nlohmann::json::array();
        for (const auto& entry : entries) {
            array.push_back(to_json(entry));
        }
        std::cout << peer::dump_json_line(array) << std::endl;
    } else {
        print_table(std::cout, entries);
    }
    return kExitOk;
}

int run_devices(CommandContext& context, const Arguments& arguments) {
    return run_listing(context, arguments, "devices", &proto::QueryReply::devices, device_json,
                       [](std::ostream& out, const auto& devices) { print_device_table(out, devices); });
}

int run_tasks(CommandContext& context, const Arguments& arguments) {
    // The broker keeps unfinished tasks first when it has to cut the list.
    return run_listing(context, arguments, "tasks", &proto::QueryReply::tasks, task_json,
                       [](std::ostream& out, const auto& tasks) { print_task_table(out, tasks); });
}

int run_watch(CommandContext& context, const Arguments& arguments) {
    const auto options = std::get<WatchOptions>(parse_watch(arguments));
    if (!context.endpoint.subscribe(true)) {
        std::cerr << "aip-client: cannot subscribe: not connected\n";
        return kExitFailed;
    }

    const auto deadline = options.duration ? Clock::now() + *options.duration : Clock::time_point::max();
    while (true) {
        auto update = context.endpoint.next_update(deadline);
        if (!update) {
            if (context.endpoint.gave_up()) {
                std::cerr << "aip-client: lost the broker: " << context.endpoint.give_up_description()
                          << '\n';
                return kExitUnreachable;
            }
            return kExitOk;  // --for elapsed or SIGINT/SIGTERM
        }

        if (const auto* event = std::get_if<proto::Event>(&*update)) {
            std::cout << (options.json ? peer::dump_json_line(event_json(*event)) : event_line(*event))
                      << std::endl;
        } else if (const auto* error = std::get_if<proto::Error>(&*update)) {
            std::cerr << "aip-client: broker sent ERROR " << error->code << ": " << error->message
                      << '\n';
        }
    }
}

int run_cancel(CommandContext& context, const Arguments& arguments) {
    const auto options = std::get<CancelOptions>(parse_cancel(arguments));
    if (!context.endpoint.cancel(options.task_id)) {
        std::cerr << "aip-client: cannot send CANCEL: not connected\n";
        return kExitFailed;
    }

    // CANCEL has no reply of its own: the confirmation is the task's final update, and a task
    // this client does not own gets ERROR unknown_task.
    const auto deadline = Clock::now() + context.request_timeout;
    while (true) {
        auto update = context.endpoint.next_update(deadline);
        if (!update) {
            if (context.endpoint.gave_up()) {
                std::cerr << "aip-client: lost the broker: " << context.endpoint.give_up_description()
                          << '\n';
                return kExitUnreachable;
            }
            std::cerr << "aip-client: no confirmation of the cancellation of " << options.task_id
                      << " within " << plugin::format_duration(context.request_timeout)
                      << " (the task may have ended already)\n";
            return kExitFailed;
        }

        if (const auto* error = std::get_if<proto::Error>(&*update)) {
            if (error->task_id && *error->task_id != options.task_id) {
                continue;
            }
            std::cerr << "aip-client: cancel of " << options.task_id << " rejected: " << error->code
                      << ": " << error->message << '\n';
            return kExitFailed;
        }
        const auto* task = std::get_if<proto::TaskUpdate>(&*update);
        if (task != nullptr && task->task_id == options.task_id && task->final) {
            std::cout << task->task_id << ' ' << task->state << std::endl;
            return task->state == "CANCELLED" ? kExitOk : kExitFailed;
        }
    }
}

}  // namespace aip::client
