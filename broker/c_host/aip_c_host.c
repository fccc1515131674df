/*
 * aip-c-host: a minimal broker host in plain C11 that embeds the aip engine through its C ABI.
 *
 * It shows what any ZeroMQ broker needs to do to embed the engine: one ROUTER socket, a poll loop
 * that waits until the engine's next wake-up, the monotonic clock, and the plugin loaded with
 * dlopen. It uses only libzmq's C API.
 *
 *   aip-c-host --plugin build/lib/libaip_plugin.so --bind tcp://127.0.0.1:5555
 *              [--heartbeat-interval 1s] [--heartbeat-liveness 3] [--device-grace 30s]
 *              [--client-grace 0ms] [--task-timeout 10m]
 *
 * Logs go to stderr; like aip-broker it prints "aip-broker listening on ENDPOINT" on stdout.
 * SIGINT or SIGTERM disconnects the peers and exits 0.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "aip_plugin.h"

#define MAX_FRAMES 8
#define MAX_MESSAGES_PER_TURN 10000
#define MAX_POLL_WAIT_MS 1000

static volatile sig_atomic_t g_stop = 0;

static void on_signal(int signal_number) {
    (void)signal_number;
    g_stop = 1;
}

static int64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Parses "250ms", "2s", "1m" or "1h" into milliseconds; returns -1 when malformed. */
static int64_t parse_duration_ms(const char* text) {
    char* end = NULL;
    errno = 0;
    const long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || value < 0 || text[0] == '-' || text[0] == '+') {
        return -1;
    }
    if (strcmp(end, "ms") == 0) {
        return value;
    }
    if (strcmp(end, "s") == 0) {
        return value * 1000;
    }
    if (strcmp(end, "m") == 0) {
        return value * 60 * 1000;
    }
    if (strcmp(end, "h") == 0) {
        return value * 60 * 60 * 1000;
    }
    return -1;
}

typedef struct host_options {
    const char* plugin_path;
    const char* bind_endpoint;
    aip_engine_config config;
} host_options;

static int usage_error(const char* message, const char* value) {
    fprintf(stderr, "aip-c-host: error: %s '%s'\n", message, value);
    fprintf(stderr, "usage: aip-c-host --plugin PATH [--bind EP] [--heartbeat-interval DUR] "
                    "[--heartbeat-liveness N] [--device-grace DUR] [--client-grace DUR] [--task-timeout DUR]\n");
    return 2;
}

/* Fills options from argv; returns 0 on success or the exit code of a usage error. */
static int parse_arguments(int argc, char** argv, host_options* options) {
    for (int i = 1; i < argc; ++i) {
        const char* name = argv[i];
        if (i + 1 >= argc) {
            return usage_error("missing value for option", name);
        }
        const char* value = argv[++i];
        int64_t* duration = NULL;

        if (strcmp(name, "--plugin") == 0) {
            options->plugin_path = value;
        } else if (strcmp(name, "--bind") == 0) {
            options->bind_endpoint = value;
        } else if (strcmp(name, "--heartbeat-liveness") == 0) {
            char* end = NULL;
            const long liveness = strtol(value, &end, 10);
            if (*end != '\0' || liveness < 1 || liveness > 100) {
                return usage_error("invalid --heartbeat-liveness (expected 1 to 100):", value);
            }
            options->config.heartbeat_liveness = (uint32_t)liveness;
        } else if (strcmp(name, "--heartbeat-interval") == 0) {
            duration = &options->config.heartbeat_interval_ms;
        } else if (strcmp(name, "--device-grace") == 0) {
            duration = &options->config.device_grace_ms;
        } else if (strcmp(name, "--client-grace") == 0) {
            duration = &options->config.client_grace_ms;
        } else if (strcmp(name, "--task-timeout") == 0) {
            duration = &options->config.default_task_timeout_ms;
        } else {
            return usage_error("unknown option", name);
        }

        if (duration != NULL) {
            *duration = parse_duration_ms(value);
            if (*duration < 0) {
                return usage_error("invalid duration (expected for example 250ms, 2s, 1m):", value);
            }
        }
    }
    if (options->plugin_path == NULL) {
        return usage_error("missing required option", "--plugin");
    }
    return 0;
}

/* Writes one log line to stderr: local time with milliseconds, the level, then the message. */
static void log_line(const char* level, const char* format, const char* a, const char* b, const char* c,
                     const char* d) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm local;
    localtime_r(&now.tv_sec, &local);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &local);
    fprintf(stderr, "%s.%03ld %s ", stamp, now.tv_nsec / 1000000, level);
    fprintf(stderr, format, a, b, c, d);
    fputc('\n', stderr);
}

static void log_events(const aip_plugin_descriptor* plugin, aip_engine* engine) {
    aip_event event;
    while (plugin->next_event(engine, &event) == AIP_OK) {
        switch (event.kind) {
        case AIP_EVENT_DEVICE_STATE:
            log_line("info", "device %s %s -> %s reason=%s", event.subject, event.from_state, event.to_state,
                     event.reason);
            break;
        case AIP_EVENT_CLIENT_STATE:
            log_line("info", "client %s %s -> %s reason=%s", event.subject, event.from_state, event.to_state,
                     event.reason);
            break;
        case AIP_EVENT_TASK_STATE:
            log_line("info", "task %s %s -> %s reason=%s", event.subject, event.from_state, event.to_state,
                     event.reason);
            break;
        default:
            log_line("warn", "rejected message reason=%s detail=%s%s%s", event.reason, event.detail, "", "");
            break;
        }
    }
}

static void send_actions(const aip_plugin_descriptor* plugin, aip_engine* engine, void* router) {
    aip_action action;
    while (plugin->next_action(engine, &action) == AIP_OK) {
        if (zmq_send(router, action.routing_id, action.routing_id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            /* EHOSTUNREACH: the peer is gone; its silence is detected by heartbeats. */
            continue;
        }
        for (size_t i = 0; i < action.frame_count; ++i) {
            const int more = i + 1 < action.frame_count ? ZMQ_SNDMORE : 0;
            zmq_send(router, action.frames[i].data, action.frames[i].size, more);
        }
    }
}

/* Receives one message (routing id plus up to MAX_FRAMES frames) and hands it to the engine.
 * Returns 0 when nothing was waiting. */
static int receive_one(const aip_plugin_descriptor* plugin, aip_engine* engine, void* router) {
    zmq_msg_t parts[MAX_FRAMES + 2];
    size_t count = 0;
    int more = 1;

    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, router, count == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        if (count < MAX_FRAMES + 2) {
            parts[count++] = part;
        } else {
            zmq_msg_close(&part);
        }
    }
    if (count == 0) {
        return 0;
    }

    aip_frame frames[MAX_FRAMES + 1];
    for (size_t i = 1; i < count; ++i) {
        frames[i - 1].data = zmq_msg_data(&parts[i]);
        frames[i - 1].size = zmq_msg_size(&parts[i]);
    }
    if (plugin->on_message(engine, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), frames, count - 1,
                           now_ms()) != AIP_OK) {
        log_line("error", "engine on_message failed: %s%s%s%s", plugin->last_error(engine), "", "", "");
    }
    for (size_t i = 0; i < count; ++i) {
        zmq_msg_close(&parts[i]);
    }
    return 1;
}

static int run(const host_options* options, const aip_plugin_descriptor* plugin) {
    aip_engine* engine = NULL;
    if (plugin->create(&options->config, now_ms(), &engine) != AIP_OK) {
        fprintf(stderr, "aip-c-host: error: cannot create the engine: %s\n", plugin->last_create_error());
        return 1;
    }

    void* context = zmq_ctx_new();
    void* router = zmq_socket(context, ZMQ_ROUTER);
    const int on = 1;
    const int linger_ms = 1000;
    zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &on, sizeof(on));
    zmq_setsockopt(router, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    if (zmq_bind(router, options->bind_endpoint) != 0) {
        fprintf(stderr, "aip-c-host: error: cannot bind %s: %s\n", options->bind_endpoint, zmq_strerror(zmq_errno()));
        zmq_close(router);
        zmq_ctx_term(context);
        plugin->destroy(engine);
        return 1;
    }
    char endpoint[256];
    size_t endpoint_size = sizeof(endpoint);
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_size);
    printf("aip-broker listening on %s\n", endpoint);
    fflush(stdout);

    while (!g_stop) {
        long wait_ms = MAX_POLL_WAIT_MS;
        int64_t wakeup_ms = 0;
        if (plugin->next_wakeup(engine, &wakeup_ms)) {
            const int64_t until = wakeup_ms - now_ms() + 1;
            wait_ms = until < 0 ? 0 : (until > MAX_POLL_WAIT_MS ? MAX_POLL_WAIT_MS : (long)until);
        }

        zmq_pollitem_t items[] = {{router, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 1, wait_ms) < 0 && zmq_errno() != EINTR) {
            fprintf(stderr, "aip-c-host: error: poll failed: %s\n", zmq_strerror(zmq_errno()));
            break;
        }

        /* Messages first, then timers: a stalled loop must not convict peers whose messages wait. */
        for (int i = 0; i < MAX_MESSAGES_PER_TURN && receive_one(plugin, engine, router); ++i) {
            send_actions(plugin, engine, router);
        }
        plugin->on_tick(engine, now_ms());
        send_actions(plugin, engine, router);
        log_events(plugin, engine);
    }

    plugin->shutdown(engine, now_ms());
    send_actions(plugin, engine, router);
    log_events(plugin, engine);
    log_line("info", "stopped%s%s%s%s", "", "", "", "");

    zmq_close(router);
    zmq_ctx_term(context);
    plugin->destroy(engine);
    return 0;
}

int main(int argc, char** argv) {
    host_options options = {NULL, "tcp://127.0.0.1:5555", {0}};

    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: aip-c-host --plugin PATH [--bind EP] [--heartbeat-interval DUR] "
                   "[--heartbeat-liveness N]\n                  [--device-grace DUR] [--client-grace DUR] "
                   "[--task-timeout DUR]\n\n"
                   "A minimal broker in C11 that embeds the aip engine plugin (libaip_plugin.so) through\n"
                   "its C ABI. Durations: 250ms, 2s, 1m, 1h. Default endpoint tcp://127.0.0.1:5555.\n");
            return 0;
        }
    }

    void* library = NULL;
    for (int i = 1; i + 1 < argc; ++i) {
        if (strcmp(argv[i], "--plugin") == 0) {
            library = dlopen(argv[i + 1], RTLD_NOW | RTLD_LOCAL);
            if (library == NULL) {
                fprintf(stderr, "aip-c-host: error: cannot load '%s': %s\n", argv[i + 1], dlerror());
                return 1;
            }
        }
    }
    if (library == NULL) {
        return usage_error("missing required option", "--plugin");
    }

    const aip_plugin_descriptor_get_fn get = (aip_plugin_descriptor_get_fn)dlsym(library, "aip_plugin_descriptor_get");
    if (get == NULL) {
        fprintf(stderr, "aip-c-host: error: the plugin does not export aip_plugin_descriptor_get\n");
        dlclose(library);
        return 1;
    }
    const aip_plugin_descriptor* plugin = get();
    if (plugin->abi_version != AIP_PLUGIN_ABI_VERSION) {
        fprintf(stderr, "aip-c-host: error: plugin ABI version %u, expected %u\n", plugin->abi_version,
                AIP_PLUGIN_ABI_VERSION);
        dlclose(library);
        return 1;
    }

    plugin->config_init(&options.config);
    options.config.seed = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
    const int usage = parse_arguments(argc, argv, &options);
    if (usage != 0) {
        dlclose(library);
        return usage;
    }

    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    const int code = run(&options, plugin);
    dlclose(library);
    return code;
}
