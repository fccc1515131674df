#include "aip/peer/actions.hpp"

#include "aip/peer/payload_json.hpp"

namespace aip::peer {
namespace {

using Json = nlohmann::json;

std::variant<Action, std::string> parse_sleep(const Json& map) {
    const auto ms = map.find("ms");
    if (ms == map.end()) {
        return std::string("sleep: missing key 'ms'");
    }
    if (!ms->is_number_integer() || ms->get<std::int64_t>() < 0) {
        return "sleep: invalid 'ms' " + dump_json_line(*ms) +
               ": expected a non-negative integer of milliseconds";
    }
    return Action{SleepAction{std::chrono::milliseconds(ms->get<std::int64_t>())}};
}

std::variant<Action, std::string> parse_echo(const Json& map) {
    const auto data = map.find("data");
    return Action{EchoAction{data == map.end() ? Json(nullptr) : *data}};
}

std::variant<Action, std::string> parse_fail(const Json& map) {
    const auto message = map.find("message");
    if (message == map.end()) {
        return Action{FailAction{"task failed on request"}};
    }
    if (!message->is_string()) {
        return "fail: invalid 'message' " + dump_json_line(*message) + ": expected a string";
    }
    return Action{FailAction{message->get<std::string>()}};
}

std::variant<Action, std::string> parse_exec(const Json& map) {
    const auto argv = map.find("argv");
    if (argv == map.end()) {
        return std::string("exec: missing key 'argv'");
    }
    if (!argv->is_array() || argv->empty()) {
        return "exec: invalid 'argv' " + dump_json_line(*argv) +
               ": expected a non-empty array of strings";
    }

    ExecAction action;
    for (const auto& argument : *argv) {
        if (!argument.is_string()) {
            return "exec: invalid 'argv' element " + dump_json_line(argument) +
                   ": expected a string";
        }
        action.argv.push_back(argument.get<std::string>());
    }
    return Action{std::move(action)};
}

TaskOutcome run_sleep(const SleepAction& action, const CancellationToken& cancellation) {
    if (cancellation.wait_for(action.duration)) {
        return TaskOutcome{false, "sleep aborted", std::nullopt};
    }
    return TaskOutcome{true, {}, json_to_msgpack(Json{{"slept_ms", action.duration.count()}})};
}

TaskOutcome run_exec(const ExecAction& action, const CancellationToken& cancellation,
                     const ActionSettings& settings) {
    if (!settings.allow_exec) {
        return TaskOutcome{false, "exec is disabled on this device: start aip-device with --allow-exec",
                           std::nullopt};
    }

    const auto process = run_process(action.argv, cancellation, settings.process_limits);
    if (!process.started) {
        return TaskOutcome{false, "exec: " + process.error, std::nullopt};
    }

    Json output{
        {"stdout", process.stdout_text},
        {"stderr", process.stderr_text},
        {"stdout_truncated", process.stdout_truncated},
        {"stderr_truncated", process.stderr_truncated},
    };
    TaskOutcome outcome;
    if (process.exit_code) {
        output["exit_code"] = *process.exit_code;
        if (*process.exit_code != 0) {
            outcome.ok = false;
            outcome.error = "exec: '" + action.argv[0] + "' exited with status " +
                            std::to_string(*process.exit_code);
        }
    }
    if (process.signal) {
        output["signal"] = *process.signal;
        outcome.ok = false;
        outcome.error = "exec: '" + action.argv[0] + "' was killed by signal " +
                        std::to_string(*process.signal);
    }
    if (process.cancelled) {
        outcome.ok = false;
        outcome.error = "exec: '" + action.argv[0] + "' aborted";
    }
    outcome.payload = json_to_msgpack(output);
    return outcome;
}

}  // namespace

std::variant<Action, std::string> parse_action(std::string_view payload) {
    const auto document = msgpack_to_json(payload);
    if (!document) {
        return std::string("invalid task payload: not one MessagePack value");
    }
    if (!document->is_object()) {
        return "invalid task payload " + dump_json_line(*document) + ": expected a map";
    }

    const auto action = document->find("action");
    if (action == document->end()) {
        return std::string("invalid task payload: missing key 'action'");
    }
    if (!action->is_string()) {
        return "invalid task payload: 'action' " + dump_json_line(*action) + " is not a string";
    }

    const auto name = action->get<std::string>();
    if (name == "sleep") {
        return parse_sleep(*document);
    }
    if (name == "echo") {
        return parse_echo(*document);
    }
    if (name == "fail") {
        return parse_fail(*document);
    }
    if (name == "exec") {
        return parse_exec(*document);
    }
    return "unknown action '" + name + "': expected sleep, echo, fail or exec";
}

TaskOutcome run_action(const Action& action, const CancellationToken& cancellation,
                       const ActionSettings& settings) {
    if (const auto* sleep = std::get_if<SleepAction>(&action)) {
        return run_sleep(*sleep, cancellation);
    }
    if (const auto* echo = std::get_if<EchoAction>(&action)) {
        return TaskOutcome{true, {}, json_to_msgpack(echo->data)};
    }
    if (const auto* fail = std::get_if<FailAction>(&action)) {
        return TaskOutcome{false, fail->message, std::nullopt};
    }
    return run_exec(std::get<ExecAction>(action), cancellation, settings);
}

TaskHandler make_builtin_handler(ActionSettings settings) {
    return [settings](const TaskRequest& request, const CancellationToken& cancellation) {
        auto parsed = parse_action(request.payload);
        if (const auto* error = std::get_if<std::string>(&parsed)) {
            return TaskOutcome{false, *error, std::nullopt};
        }
        return run_action(std::get<Action>(parsed), cancellation, settings);
    };
}

}  // namespace aip::peer
