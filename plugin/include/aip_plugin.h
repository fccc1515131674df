/*
 * aip_plugin.h: the C ABI of the aip resilience engine.
 *
 * A host (any ZeroMQ ROUTER loop) owns the socket and the clock. It feeds the engine each
 * message it receives and the current time, then sends the actions the engine returns and
 * calls the engine again at the wake-up time it requests. Usable from C11 and C++; no C++ types cross it,
 * and no function lets an exception or abort escape: every failure is a status code plus a
 * message read with aip_engine_last_error().
 *
 * Stability rules (ABI version 1):
 *  - AIP_PLUGIN_ABI_VERSION changes when any struct layout, function signature or constant
 *    meaning changes incompatibly. A host MUST check aip_plugin_descriptor.abi_version first.
 *  - The numeric values of aip_status, aip_event_kind and the field order of every struct never
 *    change meaning within one ABI version. New fields are only appended; callers set
 *    struct_size so that an older engine can tell which fields a newer caller filled.
 *  - Times are int64 milliseconds on the host's monotonic clock (any epoch, never going back).
 */
#ifndef AIP_PLUGIN_H
#define AIP_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIP_PLUGIN_ABI_VERSION 1u

#if defined(AIP_PLUGIN_BUILDING)
#define AIP_PLUGIN_API __attribute__((visibility("default")))
#else
#define AIP_PLUGIN_API
#endif

/* Result of every call. Values never change meaning. */
typedef enum aip_status {
    AIP_OK = 0,
    AIP_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer, a bad size or a value out of range */
    AIP_ERR_INVALID_CONFIG = 2,   /* the configuration was rejected; the message names the option */
    AIP_ERR_NO_MEMORY = 3,
    AIP_ERR_INTERNAL = 4,         /* an unexpected failure inside the engine, described by the message */
    AIP_ERR_EMPTY = 5             /* nothing to take: no pending action or event */
} aip_status;

/* Opaque engine handle. Not thread-safe: call one engine from one thread at a time. */
typedef struct aip_engine aip_engine;

/* Engine configuration. Fill it with aip_engine_config_init() and change what you need. */
typedef struct aip_engine_config {
    uint32_t struct_size;                 /* sizeof(aip_engine_config) as compiled by the caller */
    int64_t heartbeat_interval_ms;        /* default 1000; above 0 */
    uint32_t heartbeat_liveness;          /* default 3; 1 to 100 */
    int64_t device_grace_ms;              /* default 30000; DISCONNECTED device kept this long */
    int64_t client_grace_ms;              /* default 0; silent client's tasks cancelled after it */
    int64_t default_task_timeout_ms;      /* default 600000; for tasks submitted without one */
    int64_t dispatch_timeout_ms;          /* default 5000; ASSIGN to STARTED */
    uint64_t max_message_bytes;           /* default 1048576 */
    uint64_t seed;                        /* seeds session tokens; pass a random value */
    const char* reconnect_policy;         /* advised to peers: exponential, linear, immediate, none */
    uint32_t reconnect_max_retries;       /* default 5 */
    int64_t reconnect_initial_backoff_ms; /* default 1000 */
    int64_t reconnect_max_backoff_ms;     /* default 60000 */
    double reconnect_multiplier;          /* default 2.0 */
    const char* reconnect_jitter;         /* none, full, equal, decorrelated, proportional */
    const char* failure_detector;         /* "fixed" (default): lost after liveness silent
                                             intervals; "phi": phi-accrual */
    double phi_threshold;                 /* default 8; phi level at which a peer is lost */
    int64_t phi_min_std_dev_ms;           /* default 100; floor of the arrival gaps' deviation */
    int64_t phi_acceptable_pause_ms;      /* default 500; silence tolerated on top of the model */
    uint32_t max_registrations_per_second; /* default 5 per routing id; 0 turns the limit off */
    uint32_t phi_capped;                  /* default 1: phi also convicts after liveness silent
                                             intervals; 0 lets it wait longer */
    int64_t finished_task_retention_ms;   /* default 600000; an ended task is kept this long */
    uint64_t max_finished_tasks;          /* default 100000; beyond it the oldest ended go first */
} aip_engine_config;

/* One frame: a pointer and a length. */
typedef struct aip_frame {
    const uint8_t* data;
    size_t size;
} aip_frame;

/* A message the host must send on its ROUTER socket: the routing id, then the frames.
 * The pointers stay valid until the next call on the same engine. */
typedef struct aip_action {
    const uint8_t* routing_id;
    size_t routing_id_size;
    const aip_frame* frames;
    size_t frame_count;
} aip_action;

/* Kinds of engine event. Values never change meaning. */
typedef enum aip_event_kind {
    AIP_EVENT_DEVICE_STATE = 1,   /* subject: device id; from/to: CONNECTED, DISCONNECTED, REMOVED */
    AIP_EVENT_CLIENT_STATE = 2,   /* subject: client id */
    AIP_EVENT_TASK_STATE = 3,     /* subject: task id; from/to: PENDING, RUNNING, COMPLETED, ...;
                                     a dispatch is PENDING -> PENDING, reason "dispatched" */
    AIP_EVENT_PROTOCOL_ERROR = 4, /* reason: the error code sent; detail: its message */
    AIP_EVENT_RESULT_DROPPED = 5  /* a result for an attempt already ended */
} aip_event_kind;

/* A state change or a rejected message. Strings are NUL-terminated, never NULL (empty when
 * absent), and valid only during the observer call or until the next call on the engine. */
typedef struct aip_event {
    uint32_t struct_size;
    uint32_t kind; /* an aip_event_kind */
    const char* subject;
    const char* from_state;
    const char* to_state;
    const char* reason;
    const char* detail;
    const char* device_id;
    const char* client_id;
    const uint8_t* routing_id;
    size_t routing_id_size;
    uint32_t attempt;
} aip_event;

/* Counters and gauges. */
typedef struct aip_stats {
    uint32_t struct_size;
    uint64_t messages_in;
    uint64_t messages_out;
    uint64_t protocol_errors;
    uint64_t results_dropped;
    uint64_t devices_connected;
    uint64_t devices_disconnected;
    uint64_t clients_connected;
    uint64_t tasks_pending;
    uint64_t tasks_running;
    uint64_t tasks_completed;
    uint64_t tasks_failed;
    uint64_t tasks_cancelled;
    uint64_t tasks_timed_out;
    uint64_t devices_lost;
    uint64_t tasks_reassigned;
    uint64_t events_dropped; /* events not taken before the queue bound (100000) was reached */
} aip_stats;

/* Called synchronously, inside the engine call that caused the event. Must not call back into
 * the same engine. */
typedef void (*aip_observer_fn)(void* user_data, const aip_event* event);

AIP_PLUGIN_API void aip_engine_config_init(aip_engine_config* config);
/* Creates an engine. On failure *out is NULL; for AIP_ERR_INVALID_CONFIG the message is in
 * aip_last_create_error() (thread-local). */
AIP_PLUGIN_API aip_status aip_engine_create(const aip_engine_config* config, int64_t now_ms, aip_engine** out);
AIP_PLUGIN_API const char* aip_last_create_error(void);
AIP_PLUGIN_API void aip_engine_destroy(aip_engine* engine);
/* Takes in one message: the routing id and the frames after it. The engine copies what it keeps. */
AIP_PLUGIN_API aip_status aip_engine_on_message(aip_engine* engine, const uint8_t* routing_id, size_t routing_id_size,
                                                const aip_frame* frames, size_t frame_count, int64_t now_ms);
AIP_PLUGIN_API aip_status aip_engine_on_tick(aip_engine* engine, int64_t now_ms);
/* Queues DISCONNECT to every peer; send the resulting actions, then destroy the engine. */
AIP_PLUGIN_API aip_status aip_engine_shutdown(aip_engine* engine, int64_t now_ms);
/* Returns 1 and sets *wakeup_ms when the engine wants on_tick by then; 0 when it has no timer. */
AIP_PLUGIN_API int aip_engine_next_wakeup(const aip_engine* engine, int64_t* wakeup_ms);
/* Takes the next action, or returns AIP_ERR_EMPTY. The action's memory is owned by the engine and
 * stays valid until the next call on the engine. */
AIP_PLUGIN_API aip_status aip_engine_next_action(aip_engine* engine, aip_action* action);
/* Takes the next queued event, or returns AIP_ERR_EMPTY; same lifetime rule as actions. */
AIP_PLUGIN_API aip_status aip_engine_next_event(aip_engine* engine, aip_event* event);
AIP_PLUGIN_API aip_status aip_engine_stats(const aip_engine* engine, aip_stats* stats);
/* Adds an observer called for every event from now on (at most 16 per engine). */
AIP_PLUGIN_API aip_status aip_engine_add_observer(aip_engine* engine, aip_observer_fn observer, void* user_data);
/* Message of the last failed call on this engine ("" when none); valid until the next call. */
AIP_PLUGIN_API const char* aip_engine_last_error(const aip_engine* engine);

/* The descriptor that a host finds with dlsym("aip_plugin_descriptor_get"). abi_version comes first
 * and is the only field a host may read before checking it. */
typedef struct aip_plugin_descriptor {
    uint32_t abi_version;
    uint32_t struct_size;
    const char* name;
    const char* version;
    void (*config_init)(aip_engine_config*);
    aip_status (*create)(const aip_engine_config*, int64_t, aip_engine**);
    const char* (*last_create_error)(void);
    void (*destroy)(aip_engine*);
    aip_status (*on_message)(aip_engine*, const uint8_t*, size_t, const aip_frame*, size_t, int64_t);
    aip_status (*on_tick)(aip_engine*, int64_t);
    aip_status (*shutdown)(aip_engine*, int64_t);
    int (*next_wakeup)(const aip_engine*, int64_t*);
    aip_status (*next_action)(aip_engine*, aip_action*);
    aip_status (*next_event)(aip_engine*, aip_event*);
    aip_status (*stats)(const aip_engine*, aip_stats*);
    aip_status (*add_observer)(aip_engine*, aip_observer_fn, void*);
    const char* (*last_error)(const aip_engine*);
} aip_plugin_descriptor;

AIP_PLUGIN_API const aip_plugin_descriptor* aip_plugin_descriptor_get(void);

/* Observer plugins: a shared object loaded with aip-broker --observer PATH exports
 * aip_observer_descriptor_get(). */
#define AIP_OBSERVER_ABI_VERSION 1u

typedef struct aip_observer_descriptor {
    uint32_t abi_version; /* AIP_OBSERVER_ABI_VERSION; checked first */
    uint32_t struct_size;
    const char* name;
    /* Creates the observer's state from a configuration string (may be ""). Returns NULL and
     * writes a NUL-terminated message into error (error_size bytes) on failure. */
    void* (*create)(const char* config, char* error, size_t error_size);
    void (*on_event)(void* state, const aip_event* event);
    void (*destroy)(void* state);
} aip_observer_descriptor;

typedef const aip_observer_descriptor* (*aip_observer_descriptor_get_fn)(void);
typedef const aip_plugin_descriptor* (*aip_plugin_descriptor_get_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* AIP_PLUGIN_H */
