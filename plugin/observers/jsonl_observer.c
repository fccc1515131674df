/*
 * Example observer plugin: appends every engine event to a JSON-lines file, one object per line.
 *
 *   aip-broker --observer build/lib/libaip_observer_jsonl.so --observer-config events.jsonl
 *
 * The configuration string is the output path (default "aip-events.jsonl"). Each line has the
 * keys time_ms (wall clock, ms since the Unix epoch), kind, subject, from, to, reason, detail,
 * device_id, client_id and attempt. Lines are flushed at once so that a crash loses none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aip_plugin.h"

typedef struct jsonl_state {
    FILE* file;
} jsonl_state;

static const char* kind_name(uint32_t kind) {
    switch (kind) {
    case AIP_EVENT_DEVICE_STATE:
        return "device";
    case AIP_EVENT_CLIENT_STATE:
        return "client";
    case AIP_EVENT_TASK_STATE:
        return "task";
    case AIP_EVENT_PROTOCOL_ERROR:
        return "protocol_error";
    case AIP_EVENT_RESULT_DROPPED:
        return "result_dropped";
    default:
        return "unknown";
    }
}

/* Writes a JSON string literal, escaping quotes, backslashes and control characters. */
static void write_json_string(FILE* file, const char* text) {
    fputc('"', file);
    for (const unsigned char* p = (const unsigned char*)text; *p != '\0'; ++p) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', file);
            fputc(*p, file);
        } else if (*p < 0x20) {
            fprintf(file, "\\u%04x", *p);
        } else {
            fputc(*p, file);
        }
    }
    fputc('"', file);
}

static void write_field(FILE* file, const char* key, const char* value) {
    fprintf(file, ",\"%s\":", key);
    write_json_string(file, value);
}

static void* jsonl_create(const char* config, char* error, size_t error_size) {
    const char* path = (config != NULL && config[0] != '\0') ? config : "aip-events.jsonl";
    jsonl_state* state = calloc(1, sizeof(*state));
    if (state == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    state->file = fopen(path, "a");
    if (state->file == NULL) {
        snprintf(error, error_size, "cannot open '%s' for appending", path);
        free(state);
        return NULL;
    }
    return state;
}

static void jsonl_on_event(void* opaque, const aip_event* event) {
    jsonl_state* state = opaque;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const long long time_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;

    fprintf(state->file, "{\"time_ms\":%lld,\"kind\":\"%s\"", time_ms, kind_name(event->kind));
    write_field(state->file, "subject", event->subject);
    write_field(state->file, "from", event->from_state);
    write_field(state->file, "to", event->to_state);
    write_field(state->file, "reason", event->reason);
    write_field(state->file, "detail", event->detail);
    write_field(state->file, "device_id", event->device_id);
    write_field(state->file, "client_id", event->client_id);
    fprintf(state->file, ",\"attempt\":%u}\n", event->attempt);
    fflush(state->file);
}

static void jsonl_destroy(void* opaque) {
    jsonl_state* state = opaque;
    if (state == NULL) {
        return;
    }
    fclose(state->file);
    free(state);
}

AIP_PLUGIN_API const aip_observer_descriptor* aip_observer_descriptor_get(void) {
    static const aip_observer_descriptor descriptor = {
        AIP_OBSERVER_ABI_VERSION, sizeof(aip_observer_descriptor), "jsonl", jsonl_create, jsonl_on_event,
        jsonl_destroy,
    };
    return &descriptor;
}
