#!/usr/bin/python3
"""Generate the AIP v1 codec test vectors valid.json and invalid.json in this folder.

Run with /usr/bin/python3 (it needs Debian's python3-msgpack). The output is deterministic,
so rerunning it leaves the committed files unchanged unless a vector was edited here.
"""

import json
import pathlib
import struct

import msgpack

SIGNATURE = b"AIP\x01"
HERE = pathlib.Path(__file__).resolve().parent

COMMANDS = {
    "REGISTER": 0x01, "REGISTERED": 0x02, "HEARTBEAT": 0x03, "DISCONNECT": 0x04, "ERROR": 0x05,
    "SUBMIT": 0x10, "ACCEPTED": 0x11, "TASK_UPDATE": 0x12, "CANCEL": 0x13, "QUERY": 0x14,
    "QUERY_REPLY": 0x15, "SUBSCRIBE": 0x16, "EVENT": 0x17, "ASSIGN": 0x20, "STARTED": 0x21,
    "RESULT": 0x22, "ABORT": 0x23,
}

RECONNECT_DEFAULTS = {
    "policy": "exponential", "max_retries": 5, "initial_backoff_ms": 1000,
    "max_backoff_ms": 60000, "multiplier": 2.0, "jitter": "full",
}

# Decoded fields of each command when its optional keys are absent. Keys of std::optional
# fields (session_token, ERROR command and task_id, SUBMIT targets, payloads of TASK_UPDATE and
# RESULT) are left out here because absence is their decoded value.
DEFAULTS = {
    "REGISTER": {"capabilities": [], "slots": 1},
    "REGISTERED": {},
    "HEARTBEAT": {},
    "DISCONNECT": {"reason": ""},
    "ERROR": {"supported_versions": []},
    "SUBMIT": {"timeout_ms": 0, "max_attempts": 1, "reassign": True, "payload_hex": ""},
    "ACCEPTED": {},
    "TASK_UPDATE": {"reason": "", "device_id": "", "error": ""},
    "CANCEL": {},
    "QUERY": {},
    "QUERY_REPLY": {"devices": [], "tasks": [], "truncated": False},
    "SUBSCRIBE": {"enabled": True},
    "EVENT": {"reason": "", "device_id": "", "client_id": "", "attempts": 0},
    "ASSIGN": {"payload_hex": ""},
    "STARTED": {},
    "RESULT": {"error": ""},
    "ABORT": {},
}

DEVICE_ENTRY_DEFAULTS = {"capabilities": [], "slots": 0, "running": 0, "last_seen_ms": 0}
TASK_ENTRY_DEFAULTS = {"client_id": "", "reason": "", "device_id": "", "attempts": 0}


def pack(body):
    return msgpack.packb(body, use_bin_type=True)


def command_frame(name):
    return bytes([COMMANDS[name]])


def frames_of(command, body, payload=None, raw_body=None):
    frames = [SIGNATURE, command_frame(command), raw_body if raw_body is not None else pack(body)]
    if payload is not None:
        frames.append(payload)
    return frames


def hexes(frames):
    return [frame.hex() for frame in frames]


def strip_nil(body):
    return {key: value for key, value in body.items() if value is not None}


VALID = []


def valid(name, description, command, wire, expected=None, payload=None, raw_body=None):
    """Add a valid vector. `expected` lists decoded fields beyond the defaults and the wire keys."""
    decoded = dict(DEFAULTS[command])
    if expected is None:
        decoded.update(strip_nil(wire))
    else:
        decoded.update(expected)
    if payload is not None:
        decoded["payload_hex"] = payload.hex()
    VALID.append({
        "name": name,
        "description": description,
        "frames": hexes(frames_of(command, wire, payload, raw_body)),
        "command": command,
        "body": decoded,
    })


INVALID = []


def invalid(name, description, frames, error, max_message_bytes=None):
    vector = {"name": name, "description": description, "frames": hexes(frames), "error": error}
    if max_message_bytes is not None:
        vector["max_message_bytes"] = max_message_bytes
    INVALID.append(vector)


def build_valid():
    valid("register_device", "Device registration with capabilities and slots", "REGISTER",
          {"role": "device", "device_id": "dev-1", "capabilities": ["gpu", "camera"], "slots": 4})
    valid("register_client", "Client registration resuming a session", "REGISTER",
          {"role": "client", "client_id": "orchestrator-7", "session_token": "s-41"})
    valid("register_device_minimal", "Device registration with only the required keys", "REGISTER",
          {"role": "device", "device_id": "d"})
    valid("register_id_128_bytes", "An id of exactly 128 bytes is valid", "REGISTER",
          {"role": "device", "device_id": "x" * 128})
    valid("register_printable_id_edges", "Ids may use every byte from 0x21 to 0x7E", "REGISTER",
          {"role": "client", "client_id": "!~{}/:@"})
    valid("register_slots_signed_int", "A positive value in a signed int16 format counts as uint",
          "REGISTER", None,
          expected={"role": "device", "device_id": "dev-2", "slots": 8},
          raw_body=b"\x83" + pack("role") + pack("device") + pack("device_id") + pack("dev-2")
          + pack("slots") + b"\xd1\x00\x08")
    valid("register_nil_optional", "A nil optional key counts as absent", "REGISTER",
          {"role": "device", "device_id": "dev-3", "slots": None, "session_token": None})
    valid("register_unknown_keys", "Unknown keys of any type are ignored", "REGISTER",
          {"role": "device", "device_id": "dev-4", "firmware": "2.1", "labels": {"room": 4},
           "future": [1, None, True]},
          expected={"role": "device", "device_id": "dev-4"})
    valid("registered", "Registration answer with a full reconnect policy", "REGISTERED",
          {"session_token": "s-1", "heartbeat_ms": 1000, "liveness": 3,
           "max_message_bytes": 1048576,
           "reconnect": {"policy": "exponential", "max_retries": 5, "initial_backoff_ms": 1000,
                         "max_backoff_ms": 60000, "multiplier": 2.0, "jitter": "full"}})
    valid("registered_partial_reconnect",
          "Absent reconnect keys take their defaults; an integer multiplier is a float",
          "REGISTERED",
          {"session_token": "s-2", "heartbeat_ms": 250, "liveness": 4, "max_message_bytes": 65536,
           "reconnect": {"policy": "linear", "multiplier": 3}},
          expected={"session_token": "s-2", "heartbeat_ms": 250, "liveness": 4,
                    "max_message_bytes": 65536,
                    "reconnect": dict(RECONNECT_DEFAULTS, policy="linear", multiplier=3.0)})
    valid("registered_float32_multiplier", "A float32 multiplier is accepted", "REGISTERED", None,
          expected={"session_token": "s-3", "heartbeat_ms": 500, "liveness": 2,
                    "max_message_bytes": 1024,
                    "reconnect": dict(RECONNECT_DEFAULTS, multiplier=1.5)},
          raw_body=b"\x85" + pack("session_token") + pack("s-3") + pack("heartbeat_ms")
          + pack(500) + pack("liveness") + pack(2) + pack("max_message_bytes") + pack(1024)
          + pack("reconnect") + b"\x81" + pack("multiplier") + b"\xca" + struct.pack(">f", 1.5))
    valid("heartbeat", "Heartbeat with the empty map", "HEARTBEAT", {})
    valid("disconnect", "Disconnect with a reason", "DISCONNECT", {"reason": "shutting down"})
    valid("disconnect_no_reason", "Disconnect without a reason", "DISCONNECT", {})
    valid("error", "Error about a task", "ERROR",
          {"code": "unknown_task", "message": "task t-9 is not owned by this client",
           "command": 0x13, "task_id": "t-9"})
    valid("error_unsupported_version", "Error listing the supported versions", "ERROR",
          {"code": "unsupported_version", "message": "protocol version 2 is not supported",
           "supported_versions": [1]})
    valid("submit_to_device", "Submit to one device with a payload", "SUBMIT",
          {"task_id": "t-1", "device_id": "dev-1", "timeout_ms": 30000, "max_attempts": 3,
           "reassign": False},
          payload=b"\x00\x01\xfe\xff")
    valid("submit_to_capability", "Submit to a capability with defaults and empty payload",
          "SUBMIT", {"task_id": "t-2", "capability": "gpu"}, payload=b"")
    valid("submit_without_payload_frame", "A SUBMIT without frame 3 has an empty task input",
          "SUBMIT", {"task_id": "t-3", "capability": "gpu", "max_attempts": 100})
    valid("accepted", "Acceptance of a duplicate submission", "ACCEPTED",
          {"task_id": "t-1", "duplicate": True})
    valid("task_update_completed", "Final update with the device result", "TASK_UPDATE",
          {"task_id": "t-1", "state": "COMPLETED", "final": True, "attempts": 1,
           "device_id": "dev-1"},
          payload=b"result bytes")
    valid("task_update_retrying", "Non-final update after a lost device, without payload",
          "TASK_UPDATE",
          {"task_id": "t-1", "state": "PENDING", "final": False, "attempts": 1,
           "reason": "retrying", "error": "device_disconnected"})
    valid("cancel", "Cancel a task", "CANCEL", {"task_id": "t-1"})
    valid("query_devices", "Query the device list", "QUERY", {"request_id": 7, "what": "devices"})
    valid("query_reply", "Reply with devices and tasks", "QUERY_REPLY",
          {"request_id": 7,
           "devices": [{"device_id": "dev-1", "state": "CONNECTED", "capabilities": ["gpu"],
                        "slots": 2, "running": 1, "last_seen_ms": 120},
                       {"device_id": "dev-2", "state": "DISCONNECTED"}],
           "tasks": [{"task_id": "t-1", "client_id": "c-1", "state": "RUNNING",
                      "device_id": "dev-1", "attempts": 1}]},
          expected={"request_id": 7,
                    "devices": [{"device_id": "dev-1", "state": "CONNECTED",
                                 "capabilities": ["gpu"], "slots": 2, "running": 1,
                                 "last_seen_ms": 120},
                                dict(DEVICE_ENTRY_DEFAULTS, device_id="dev-2",
                                     state="DISCONNECTED")],
                    "tasks": [dict(TASK_ENTRY_DEFAULTS, task_id="t-1", client_id="c-1",
                                   state="RUNNING", device_id="dev-1", attempts=1)]})
    valid("query_reply_empty", "Reply with no entries", "QUERY_REPLY", {"request_id": 8})
    valid("query_reply_truncated", "Reply cut to fit the message size limit", "QUERY_REPLY",
          {"request_id": 9, "tasks": [{"task_id": "t-1", "state": "PENDING"}], "truncated": True},
          expected={"request_id": 9,
                    "tasks": [dict(TASK_ENTRY_DEFAULTS, task_id="t-1", state="PENDING")],
                    "truncated": True})
    valid("subscribe_off", "Turn the event stream off", "SUBSCRIBE", {"enabled": False})
    valid("subscribe_default", "An empty SUBSCRIBE turns the event stream on", "SUBSCRIBE", {})
    valid("event_task", "Task event", "EVENT",
          {"kind": "task", "id": "t-1", "state": "FAILED", "reason": "task_error",
           "device_id": "dev-1", "client_id": "c-1", "attempts": 1})
    valid("event_device_removed", "Device event", "EVENT",
          {"kind": "device", "id": "dev-1", "state": "REMOVED"})
    valid("assign", "Assignment with the task input", "ASSIGN",
          {"task_id": "t-1", "attempt": 2, "timeout_ms": 5000}, payload=b"input")
    valid("started", "Device started an attempt", "STARTED", {"task_id": "t-1", "attempt": 2})
    valid("result_ok", "Successful result with output", "RESULT",
          {"task_id": "t-1", "attempt": 2, "ok": True}, payload=b"\x01\x02")
    valid("result_failed", "Failed result without payload", "RESULT",
          {"task_id": "t-1", "attempt": 2, "ok": False, "error": "division by zero"})
    valid("abort", "Abort an attempt", "ABORT",
          {"task_id": "t-1", "attempt": 2, "reason": "deadline_exceeded"})


def build_invalid():
    heartbeat = pack({})
    cancel = pack({"task_id": "t-1"})
    beat = command_frame("HEARTBEAT")

    invalid("signature_version_2", "AIP with version byte 2",
            [b"AIP\x02", beat, heartbeat], "unsupported_version")
    invalid("signature_version_0", "AIP with version byte 0",
            [b"AIP\x00", beat, heartbeat], "unsupported_version")
    invalid("signature_foreign", "Frame 0 is another protocol",
            [b"HTTP", beat, heartbeat], "bad_signature")
    invalid("signature_short", "Frame 0 lacks the version byte",
            [b"AIP", beat, heartbeat], "bad_signature")
    invalid("signature_long", "Frame 0 has a fifth byte",
            [b"AIP\x01\x00", beat, heartbeat], "bad_signature")
    invalid("signature_empty", "Frame 0 is empty", [b"", beat, heartbeat], "bad_signature")
    invalid("frames_none", "No frames at all", [], "too_few_frames")
    invalid("frames_two", "Body frame missing", [SIGNATURE, beat], "too_few_frames")
    invalid("frames_five", "One frame after the payload",
            [SIGNATURE, command_frame("SUBMIT"), pack({"task_id": "t", "capability": "c"}),
             b"in", b"extra"], "too_many_frames")
    invalid("message_too_large", "Message of 101 bytes against a limit of 100",
            [SIGNATURE, command_frame("ASSIGN"),
             pack({"task_id": "t-1", "attempt": 1, "timeout_ms": 0}),
             b"x" * (101 - 4 - 1 - len(pack({"task_id": "t-1", "attempt": 1, "timeout_ms": 0})))],
            "message_too_large", max_message_bytes=100)
    invalid("command_unlisted", "Command byte 0x7F", [SIGNATURE, b"\x7f", heartbeat],
            "unknown_command")
    invalid("command_zero", "Command byte 0x00", [SIGNATURE, b"\x00", heartbeat], "unknown_command")
    invalid("command_two_bytes", "Frame 1 has two bytes", [SIGNATURE, b"\x03\x03", heartbeat],
            "unknown_command")
    invalid("command_empty", "Frame 1 is empty", [SIGNATURE, b"", heartbeat], "unknown_command")

    cancel_command = command_frame("CANCEL")
    invalid("body_empty", "Frame 2 is empty", [SIGNATURE, cancel_command, b""], "malformed_body")
    invalid("body_array", "Frame 2 is an array", [SIGNATURE, cancel_command, pack(["t-1"])],
            "malformed_body")
    invalid("body_truncated", "Frame 2 ends inside a string",
            [SIGNATURE, cancel_command, cancel[:-1]], "malformed_body")
    invalid("body_trailing_bytes", "A second map follows the body",
            [SIGNATURE, cancel_command, cancel + heartbeat], "malformed_body")
    invalid("body_integer_key", "A key is an integer",
            [SIGNATURE, cancel_command, b"\x81\x01" + pack("t-1")], "malformed_body")
    invalid("body_duplicate_key", "The same key appears twice",
            [SIGNATURE, cancel_command,
             b"\x82" + pack("task_id") + pack("t-1") + pack("task_id") + pack("t-2")],
            "malformed_body")
    invalid("body_reserved_byte", "Frame 2 uses the never-used byte 0xC1",
            [SIGNATURE, cancel_command, b"\xc1"], "malformed_body")
    invalid("body_forged_array_size", "An array header claims 2^32-1 elements",
            [SIGNATURE, cancel_command, b"\x81" + pack("k") + b"\xdd\xff\xff\xff\xff"],
            "malformed_body")

    invalid("missing_task_id", "CANCEL without task_id", [SIGNATURE, cancel_command, heartbeat],
            "missing_key")
    invalid("missing_nil_task_id", "A nil required key counts as absent",
            [SIGNATURE, cancel_command, pack({"task_id": None})], "missing_key")
    invalid("missing_role", "REGISTER without role",
            frames_of("REGISTER", {"device_id": "dev-1"}), "missing_key")
    invalid("missing_client_id", "A client registering with device_id",
            frames_of("REGISTER", {"role": "client", "device_id": "dev-1"}), "missing_key")
    invalid("missing_submit_target", "SUBMIT with neither device_id nor capability",
            frames_of("SUBMIT", {"task_id": "t-1"}, b""), "missing_key")
    invalid("missing_reconnect", "REGISTERED without reconnect",
            frames_of("REGISTERED", {"session_token": "s", "heartbeat_ms": 1000, "liveness": 3,
                                     "max_message_bytes": 1024}), "missing_key")

    invalid("type_integer_id", "task_id is an integer",
            [SIGNATURE, cancel_command, pack({"task_id": 1})], "wrong_type")
    invalid("type_binary_id", "task_id is bin, not str",
            [SIGNATURE, cancel_command, pack({"task_id": b"t-1"})], "wrong_type")
    invalid("type_slots_string", "slots is a string",
            frames_of("REGISTER", {"role": "device", "device_id": "dev-1", "slots": "4"}),
            "wrong_type")
    invalid("type_capabilities_string", "capabilities is a string, not an array",
            frames_of("REGISTER", {"role": "device", "device_id": "dev-1",
                                   "capabilities": "gpu"}), "wrong_type")
    invalid("type_capability_item", "capabilities holds an integer",
            frames_of("REGISTER", {"role": "device", "device_id": "dev-1",
                                   "capabilities": ["gpu", 3]}), "wrong_type")
    invalid("type_ok_integer", "ok is 1, not a bool",
            frames_of("RESULT", {"task_id": "t-1", "attempt": 1, "ok": 1}), "wrong_type")
    invalid("type_request_id_float", "request_id is a float",
            frames_of("QUERY", {"request_id": 1.0, "what": "tasks"}), "wrong_type")
    invalid("type_multiplier_string", "multiplier is a string",
            frames_of("REGISTERED", {"session_token": "s", "heartbeat_ms": 1000, "liveness": 3,
                                     "max_message_bytes": 1024,
                                     "reconnect": {"multiplier": "2"}}), "wrong_type")

    invalid("value_id_129_bytes", "An id of 129 bytes",
            [SIGNATURE, cancel_command, pack({"task_id": "x" * 129})], "invalid_value")
    invalid("value_id_space", "An id with a space",
            [SIGNATURE, cancel_command, pack({"task_id": "t 1"})], "invalid_value")
    invalid("value_id_empty", "An empty id",
            [SIGNATURE, cancel_command, pack({"task_id": ""})], "invalid_value")
    invalid("value_id_non_ascii", "An id with a UTF-8 letter",
            [SIGNATURE, cancel_command, pack({"task_id": "t-\u00e9"})], "invalid_value")
    invalid("value_role", "Unknown role",
            frames_of("REGISTER", {"role": "admin", "device_id": "dev-1"}), "invalid_value")
    invalid("value_slots_zero", "slots 0",
            frames_of("REGISTER", {"role": "device", "device_id": "dev-1", "slots": 0}),
            "invalid_value")
    invalid("value_slots_1025", "slots 1025",
            frames_of("REGISTER", {"role": "device", "device_id": "dev-1", "slots": 1025}),
            "invalid_value")
    invalid("value_slots_negative", "slots -1",
            frames_of("REGISTER", {"role": "device", "device_id": "dev-1", "slots": -1}),
            "invalid_value")
    invalid("value_both_targets", "SUBMIT with device_id and capability",
            frames_of("SUBMIT", {"task_id": "t-1", "device_id": "dev-1", "capability": "gpu"},
                      b""), "invalid_value")
    invalid("value_max_attempts_zero", "max_attempts 0",
            frames_of("SUBMIT", {"task_id": "t-1", "capability": "gpu", "max_attempts": 0}, b""),
            "invalid_value")
    invalid("value_max_attempts_101", "max_attempts 101",
            frames_of("SUBMIT", {"task_id": "t-1", "capability": "gpu", "max_attempts": 101},
                      b""), "invalid_value")
    invalid("value_query_what", "QUERY of an unknown list",
            frames_of("QUERY", {"request_id": 1, "what": "users"}), "invalid_value")
    invalid("value_task_state", "TASK_UPDATE with an unknown state",
            frames_of("TASK_UPDATE", {"task_id": "t-1", "state": "DONE", "final": True,
                                      "attempts": 1}), "invalid_value")
    invalid("value_event_kind", "EVENT of an unknown kind",
            frames_of("EVENT", {"kind": "client", "id": "c-1", "state": "CONNECTED"}),
            "invalid_value")
    invalid("value_attempt_zero", "STARTED for attempt 0",
            frames_of("STARTED", {"task_id": "t-1", "attempt": 0}), "invalid_value")
    invalid("value_reconnect_policy", "Unknown reconnect policy",
            frames_of("REGISTERED", {"session_token": "s", "heartbeat_ms": 1000, "liveness": 3,
                                     "max_message_bytes": 1024,
                                     "reconnect": {"policy": "random"}}), "invalid_value")
    invalid("value_error_command", "ERROR naming command 256",
            frames_of("ERROR", {"code": "x", "message": "y", "command": 256}), "invalid_value")

    invalid("payload_on_cancel", "CANCEL with a payload frame",
            [SIGNATURE, cancel_command, cancel, b"data"], "unexpected_payload")
    invalid("payload_on_heartbeat", "HEARTBEAT with an empty payload frame",
            [SIGNATURE, beat, heartbeat, b""], "unexpected_payload")


def write(name, vectors):
    text = json.dumps(vectors, indent=2, ensure_ascii=True) + "\n"
    (HERE / name).write_text(text)


def main():
    build_valid()
    build_invalid()
    write("valid.json", VALID)
    write("invalid.json", INVALID)
    print(f"wrote {len(VALID)} valid and {len(INVALID)} invalid vectors")


if __name__ == "__main__":
    main()
