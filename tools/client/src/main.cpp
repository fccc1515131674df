// aip-client: the orchestrator's command line. Submits tasks, lists devices and tasks, watches
// events and cancels tasks through an aip-broker.
#include <atomic>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#include <boost/program_options.hpp>

#include "aip/peer/cli_support.hpp"
#include "aip/peer/client_endpoint.hpp"
#include "aip/peer/reconnect_options.hpp"
#include "aip/plugin/duration.hpp"
#include "aip/proto/codec.hpp"
#include "commands.hpp"

namespace po = boost::program_options;
using aip::peer::invalid_option;

namespace {

constexpr const char* kUsage = R"(Usage: aip-client --connect ENDPOINT [options] COMMAND [command options]

Commands:
  submit (--device ID | --capability NAME) --payload JSON [--count N] [--timeout DUR]
         [--max-attempts N] [--task-id ID] [--wait] [--wait-timeout DUR]
      Submits N tasks (default 1) whose input is the JSON payload converted to MessagePack.
      --timeout bounds each task's life at the broker (default: the broker's task timeout);
      --max-attempts allows dispatching it again after a device failure (1 to 100, default 1).
      Task ids: --task-id ID itself when N is 1, else ID-1 .. ID-N; without --task-id,
      CLIENT_ID-STAMP-1 .. CLIENT_ID-STAMP-N where STAMP is the submit time in Unix ms.
      Without --wait, prints each accepted task id on its own line, then a warning on
      standard error: the broker cancels a client's tasks when it leaves unless the broker runs
      with --client-grace, and only the same --id can read their results later.
      With --wait, prints one JSON object per line as each task ends:
        {"task_id":S,"state":S,"reason":S,"device_id":S|null,"attempts":N,"error":S,"result":ANY}
      "reason" is absent when the state is COMPLETED, "error" only present when the broker sent
      one, "result" is the task output decoded from MessagePack (null when there is none;
      {"bytes_hex":S} when it is not MessagePack). --wait stops after --wait-timeout, or by
      default after the task timeout plus 10s when --timeout is given.
      Exit status: 0 when every task COMPLETED, 1 when any did not or a SUBMIT was rejected.
  devices [--json]
      Lists devices as a table, or with --json as one JSON array of
        {"device_id":S,"state":S,"capabilities":[S],"slots":N,"running":N,"last_seen_ms":N}
  tasks [--json]
      Lists tasks as a table, or with --json as one JSON array of
        {"task_id":S,"client_id":S,"state":S,"reason":S|null,"device_id":S|null,"attempts":N}
  watch [--json] [--for DUR]
      Subscribes to device and task events and prints one line per event until --for elapses
      or SIGINT/SIGTERM arrives (exit 0). With --json each line is
        {"kind":"device"|"task","id":S,"state":S,"reason":S|null,"device_id":S|null,
         "client_id":S|null,"attempts":N}
  cancel TASK_ID
      Cancels a task that this client id submitted (use the same --id). Prints
      "TASK_ID STATE" from the task's final update; exit 0 when it is CANCELLED, 1 when the
      broker rejected the cancel, the task ended otherwise, or no update came within
      --request-timeout. The id cannot be used while another client with it is still
      connected (for example a submit --wait that is still running): aip-client then says the
      id is in use and exits 1.

Durations are an integer with a unit: 250ms, 2s, 1m, 1h. The client keeps heartbeats going and
reconnects while it waits. When it exits it sends DISCONNECT; the broker cancels the tasks of a
client that stays away past its client grace period.

Without a reachable broker the client gives up after 4 registration attempts (--max-retries 3)
of --register-timeout 2s each, about 10s in all by default.

Exit status: 0 success, 1 the operation failed, 2 invalid usage, 3 the broker could not be
reached (the reconnect policy gave up).
)";

std::atomic<aip::peer::ClientEndpoint*> running_client{nullptr};

void stop_client() noexcept {
    if (auto* client = running_client.load()) {
        client->request_stop();
    }
}

}  // namespace

int main(int argc, char** argv) {
    using aip::client::usage_error;

    aip::peer::ReconnectDefaults defaults;
    defaults.policy.policy = aip::plugin::BackoffPolicy::Exponential;
    defaults.policy.max_retries = 3;
    defaults.policy.initial_backoff = std::chrono::milliseconds(250);
    defaults.policy.max_backoff = std::chrono::seconds(2);
    defaults.policy.multiplier = 2.0;
    defaults.policy.jitter = aip::plugin::Jitter::Full;
    // A command-line user waits for the outcome, so an unreachable broker must fail within
    // seconds: 4 attempts of 2s plus at most 1.75s of backoff.
    defaults.register_timeout = std::chrono::seconds(2);

    po::options_description description("Options");
    description.add_options()
        ("help,h", "print this help and exit")
        ("connect", po::value<std::string>()->value_name("ENDPOINT"),
         "broker endpoint, for example tcp://127.0.0.1:5555 (required)")
        ("id", po::value<std::string>()->value_name("ID"),
         "client id, 1 to 128 printable ASCII characters (default client-PID)")
        ("request-timeout", po::value<std::string>()->value_name("DUR"),
         "wait for ACCEPTED, a query reply or a cancel confirmation (default 5s)")
        ("log-level", po::value<std::string>()->value_name("LEVEL"),
         "trace, debug, info, warn, error or off (default warn); logs go to standard error");
    aip::peer::add_reconnect_options(description, defaults);

    po::options_description hidden;
    hidden.add_options()
        ("command", po::value<std::string>())
        ("arguments", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(description).add(hidden);
    po::positional_options_description positional;
    positional.add("command", 1).add("arguments", -1);

    po::variables_map values;
    std::vector<std::string> arguments;
    try {
        // Options after the command belong to it, so they are collected unparsed.
        const auto parsed = po::command_line_parser(argc, argv)
                                .options(all)
                                .positional(positional)
                                .allow_unregistered()
                                .run();
        po::store(parsed, values);
        po::notify(values);
        arguments = po::collect_unrecognized(parsed.options, po::include_positional);
    } catch (const po::error& error) {
        return usage_error(error.what());
    }
    if (values.count("help")) {
        std::cout << kUsage << '\n' << description << '\n';
        return 0;
    }
    if (!values.count("command")) {
        return usage_error("missing COMMAND: expected submit, devices, tasks, watch or cancel");
    }
    const auto command = values["command"].as<std::string>();
    if (!arguments.empty() && arguments.front() == command) {
        arguments.erase(arguments.begin());
    }
    if (const auto error = aip::client::check_arguments(command, arguments); !error.empty()) {
        return usage_error(error);
    }

    if (!values.count("connect")) {
        return usage_error("missing --connect ENDPOINT");
    }
    aip::peer::SessionOptions options;
    options.role = aip::proto::Role::Client;
    options.endpoint = values["connect"].as<std::string>();
    if (auto error = aip::peer::check_connect_endpoint(options.endpoint)) {
        return usage_error(*error);
    }
    options.peer_id = values.count("id") ? values["id"].as<std::string>()
                                         : "client-" + std::to_string(::getpid());
    if (!aip::proto::is_valid_id(options.peer_id)) {
        return usage_error(invalid_option("id", options.peer_id,
                                          "expected 1 to 128 printable ASCII characters, no spaces"));
    }
    if (auto error = aip::peer::read_reconnect_options(values, defaults, options)) {
        return usage_error(*error);
    }

    aip::plugin::Duration request_timeout{5000};
    if (values.count("request-timeout")) {
        const auto text = values["request-timeout"].as<std::string>();
        const auto parsed = aip::plugin::parse_duration(text);
        if (!parsed || *parsed <= aip::plugin::Duration::zero()) {
            return usage_error(invalid_option("request-timeout", text,
                                              "expected a positive duration such as 250ms, 2s or 1m"));
        }
        request_timeout = *parsed;
    }
    const auto level = values.count("log-level") ? values["log-level"].as<std::string>() : "warn";
    if (!aip::peer::configure_logging("aip-client", level)) {
        return usage_error(invalid_option("log-level", level,
                                          "expected trace, debug, info, warn, error or off"));
    }

    try {
        aip::peer::ClientEndpoint endpoint(options);
        running_client.store(&endpoint);
        aip::peer::install_stop_signals(stop_client);

        if (!endpoint.connect()) {
            running_client.store(nullptr);
            if (endpoint.stop_requested()) {
                return aip::client::kExitFailed;
            }
            // The broker replied, but another live session has this client id: that is not
            // an unreachable broker, and retrying later will not help while it runs.
            if (endpoint.last_rejection() == "id_in_use") {
                std::cerr << "aip-client: client id '" << options.peer_id
                          << "' is in use by another running client (the broker answered id_in_use); "
                             "stop that client or wait until it exits, then retry\n";
                return aip::client::kExitFailed;
            }
            std::cerr << "aip-client: cannot reach the broker: " << endpoint.give_up_description()
                      << '\n';
            return aip::client::kExitUnreachable;
        }

        aip::client::CommandContext context{endpoint, options.peer_id, request_timeout};
        int status = aip::client::kExitUsage;
        if (command == "submit") {
            status = aip::client::run_submit(context, arguments);
        } else if (command == "devices") {
            status = aip::client::run_devices(context, arguments);
        } else if (command == "tasks") {
            status = aip::client::run_tasks(context, arguments);
        } else if (command == "watch") {
            status = aip::client::run_watch(context, arguments);
        } else if (command == "cancel") {
            status = aip::client::run_cancel(context, arguments);
        }

        endpoint.close("client done");
        running_client.store(nullptr);
        return status;
    } catch (const std::invalid_argument& error) {
        return usage_error(error.what());
    }
}
