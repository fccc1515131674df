"""Encode and decode AIP v1 messages (proto/SPEC.md sections 2, 3 and 7).

A message on the wire is 3 or 4 frames: signature, command byte, MessagePack body, optional
payload. `decode` checks the faults in the order that SPEC.md section 7 gives and raises
CodecError carrying the wire error code of the first one; `encode` refuses a message that
`decode` would reject.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import msgpack

SIGNATURE = b"AIP\x01"
PROTOCOL_VERSION = 1
DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024

MAX_ID_BYTES = 128
MAX_COUNTER = 2**32 - 1
MAX_DURATION_MS = 2**63 - 1
MAX_UINT = 2**64 - 1


class Command(enum.IntEnum):
    REGISTER = 0x01
    REGISTERED = 0x02
    HEARTBEAT = 0x03
    DISCONNECT = 0x04
    ERROR = 0x05
    SUBMIT = 0x10
    ACCEPTED = 0x11
    TASK_UPDATE = 0x12
    CANCEL = 0x13
    QUERY = 0x14
    QUERY_REPLY = 0x15
    SUBSCRIBE = 0x16
    EVENT = 0x17
    ASSIGN = 0x20
    STARTED = 0x21
    RESULT = 0x22
    ABORT = 0x23


class ErrorCode(str, enum.Enum):
    """The wire error codes of SPEC.md section 7."""

    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_SIGNATURE = "bad_signature"
    TOO_FEW_FRAMES = "too_few_frames"
    TOO_MANY_FRAMES = "too_many_frames"
    MESSAGE_TOO_LARGE = "message_too_large"
    UNKNOWN_COMMAND = "unknown_command"
    MALFORMED_BODY = "malformed_body"
    MISSING_KEY = "missing_key"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    UNEXPECTED_PAYLOAD = "unexpected_payload"
    ID_IN_USE = "id_in_use"
    WRONG_ROLE = "wrong_role"
    TASK_ID_IN_USE = "task_id_in_use"
    UNKNOWN_TASK = "unknown_task"
    RATE_LIMITED = "rate_limited"


class CodecError(ValueError):
    """A message that violates SPEC.md; `code` is its wire error code."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(f"{code.value}: {message}")
        self.code = code


TASK_STATES = ("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
FINAL_TASK_STATES = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
DEVICE_STATES = ("CONNECTED", "DISCONNECTED", "REMOVED")
QUERY_DEVICE_STATES = ("CONNECTED", "DISCONNECTED")
POLICIES = ("exponential", "linear", "immediate", "none")
JITTERS = ("none", "full", "equal", "decorrelated", "proportional")


@dataclass
class Message:
    """One decoded message: the body contains every key of the command, defaults filled in.

    `payload` is None when frame 3 is absent, except on SUBMIT and ASSIGN where an absent frame
    means an empty task input.
    """

    command: Command
    body: dict[str, Any] = field(default_factory=dict)
    payload: Optional[bytes] = None


# ----- field checks -----------------------------------------------------------------------------
# A check takes (key, value) and returns the value to store, or raises CodecError.

Check = Callable[[str, Any], Any]


def _wrong_type(key: str, expected: str, value: Any) -> CodecError:
    return CodecError(ErrorCode.WRONG_TYPE, f"'{key}' must be {expected}, not {type(value).__name__}")


def _invalid(key: str, reason: str) -> CodecError:
    return CodecError(ErrorCode.INVALID_VALUE, f"'{key}' {reason}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_valid_id(value: str) -> bool:
    """Tell whether `value` is 1 to 128 bytes of printable ASCII (0x21 to 0x7E)."""
    return 1 <= len(value) <= MAX_ID_BYTES and all(0x21 <= ord(c) <= 0x7E for c in value)


def check_str(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _wrong_type(key, "a string", value)
    return value


def check_id(key: str, value: Any) -> str:
    check_str(key, value)
    if not is_valid_id(value):
        raise _invalid(key, f"is not 1 to {MAX_ID_BYTES} bytes of printable ASCII: {value!r}")
    return value


def check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _wrong_type(key, "a boolean", value)
    return value


def uint_check(maximum: int = MAX_UINT, minimum: int = 0) -> Check:
    """Build a check for a non-negative integer in [minimum, maximum]."""

    def check(key: str, value: Any) -> int:
        if not _is_int(value):
            raise _wrong_type(key, "an unsigned integer", value)
        if value < 0:
            raise _invalid(key, f"is negative: {value}")
        if not minimum <= value <= maximum:
            raise _invalid(key, f"is {value}, outside {minimum} to {maximum}")
        return value

    return check


check_uint = uint_check()
check_counter = uint_check(MAX_COUNTER)
check_duration = uint_check(MAX_DURATION_MS)
check_attempt = uint_check(MAX_COUNTER, minimum=1)


def check_float(key: str, value: Any) -> float:
    if isinstance(value, float):
        return value
    if _is_int(value):
        return float(value)
    raise _wrong_type(key, "a float", value)


def one_of(choices: tuple[str, ...]) -> Check:
    def check(key: str, value: Any) -> str:
        check_str(key, value)
        if value not in choices:
            raise _invalid(key, f"is {value!r}, expected one of {', '.join(choices)}")
        return value

    return check


def list_of(item: Check) -> Check:
    def check(key: str, value: Any) -> list:
        if not isinstance(value, list):
            raise _wrong_type(key, "an array", value)
        return [item(f"{key}[{index}]", element) for index, element in enumerate(value)]

    return check


# ----- body schemas -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One body key: its check, and its default when optional (REQUIRED when it must be present).

    An optional key whose default is OMITTED is left out of the decoded body when absent.
    """

    name: str
    check: Check
    default: Any = None


REQUIRED = object()
OMITTED = object()


def _fill(keys: tuple[Key, ...], source: dict[str, Any]) -> dict[str, Any]:
    """Check the listed keys of `source` and return them with defaults filled in."""
    result: dict[str, Any] = {}
    for key in keys:
        value = source.get(key.name)
        if value is None:
            if key.default is REQUIRED:
                raise CodecError(ErrorCode.MISSING_KEY, f"required key '{key.name}' is missing")
            if key.default is not OMITTED:
                result[key.name] = list(key.default) if isinstance(key.default, list) else key.default
            continue
        result[key.name] = key.check(key.name, value)
    return result


def map_check(keys: tuple[Key, ...]) -> Check:
    def check(key: str, value: Any) -> dict:
        if not isinstance(value, dict):
            raise _wrong_type(key, "a map", value)
        return _fill(keys, value)

    return check


def check_multiplier(key: str, value: Any) -> float:
    value = check_float(key, value)
    if not math.isfinite(value) or value < 1.0:
        raise _invalid(key, f"must be finite and at least 1: {value}")
    return value


RECONNECT_KEYS = (
    Key("policy", one_of(POLICIES), "exponential"),
    Key("max_retries", check_counter, 5),
    Key("initial_backoff_ms", check_duration, 1000),
    Key("max_backoff_ms", check_duration, 60000),
    Key("multiplier", check_multiplier, 2.0),
    Key("jitter", one_of(JITTERS), "full"),
)

DEVICE_ENTRY_KEYS = (
    Key("device_id", check_id, REQUIRED),
    Key("state", one_of(QUERY_DEVICE_STATES), REQUIRED),
    Key("capabilities", list_of(check_str), []),
    Key("slots", check_counter, 0),
    Key("running", check_counter, 0),
    Key("last_seen_ms", check_duration, 0),
)

TASK_ENTRY_KEYS = (
    Key("task_id", check_id, REQUIRED),
    Key("client_id", check_id, OMITTED),
    Key("state", one_of(TASK_STATES), REQUIRED),
    Key("reason", check_str, ""),
    Key("device_id", check_id, OMITTED),
    Key("attempts", check_counter, 0),
)


def _entry_list(keys: tuple[Key, ...], empty_ids: tuple[str, ...]) -> Check:
    """Build the check of a QUERY_REPLY list; ids in `empty_ids` read as "" when absent."""
    entry = map_check(keys)

    def check(key: str, value: Any) -> list:
        rows = list_of(entry)(key, value)
        for row in rows:
            for name in empty_ids:
                row.setdefault(name, "")
        return rows

    return check


@dataclass(frozen=True)
class Schema:
    keys: tuple[Key, ...]
    payload: bool = False
    # A cross-key rule run on the filled body; it may raise CodecError.
    rule: Optional[Callable[[dict[str, Any], dict[str, Any]], None]] = None


def _register_rule(raw: dict[str, Any], body: dict[str, Any]) -> None:
    id_key = "device_id" if body["role"] == "device" else "client_id"
    value = raw.get(id_key)
    if value is None:
        raise CodecError(ErrorCode.MISSING_KEY, f"role {body['role']} requires the key '{id_key}'")
    body[id_key] = check_id(id_key, value)


def _submit_rule(raw: dict[str, Any], body: dict[str, Any]) -> None:
    targets = [name for name in ("device_id", "capability") if raw.get(name) is not None]
    if not targets:
        raise CodecError(ErrorCode.MISSING_KEY, "SUBMIT requires 'device_id' or 'capability'")
    if len(targets) == 2:
        raise CodecError(ErrorCode.INVALID_VALUE, "SUBMIT takes 'device_id' or 'capability', not both")


def _event_rule(raw: dict[str, Any], body: dict[str, Any]) -> None:
    states = DEVICE_STATES if body["kind"] == "device" else TASK_STATES
    one_of(states)("state", body["state"])


SCHEMAS: dict[Command, Schema] = {
    Command.REGISTER: Schema(
        (
            Key("role", one_of(("device", "client")), REQUIRED),
            Key("capabilities", list_of(check_str), []),
            Key("slots", uint_check(1024, minimum=1), 1),
            Key("session_token", check_str, OMITTED),
        ),
        rule=_register_rule,
    ),
    Command.REGISTERED: Schema(
        (
            Key("session_token", check_str, REQUIRED),
            Key("heartbeat_ms", check_duration, REQUIRED),
            Key("liveness", check_counter, REQUIRED),
            Key("max_message_bytes", check_uint, REQUIRED),
            Key("reconnect", map_check(RECONNECT_KEYS), REQUIRED),
        )
    ),
    Command.HEARTBEAT: Schema(()),
    Command.DISCONNECT: Schema((Key("reason", check_str, ""),)),
    Command.ERROR: Schema(
        (
            Key("code", check_str, REQUIRED),
            Key("message", check_str, REQUIRED),
            Key("command", uint_check(255), OMITTED),
            Key("task_id", check_id, OMITTED),
            Key("supported_versions", list_of(check_uint), []),
        )
    ),
    Command.SUBMIT: Schema(
        (
            Key("task_id", check_id, REQUIRED),
            Key("device_id", check_id, OMITTED),
            Key("capability", check_str, OMITTED),
            Key("timeout_ms", check_duration, 0),
            Key("max_attempts", uint_check(100, minimum=1), 1),
            Key("reassign", check_bool, True),
        ),
        payload=True,
        rule=_submit_rule,
    ),
    Command.ACCEPTED: Schema((Key("task_id", check_id, REQUIRED), Key("duplicate", check_bool, REQUIRED))),
    Command.TASK_UPDATE: Schema(
        (
            Key("task_id", check_id, REQUIRED),
            Key("state", one_of(TASK_STATES), REQUIRED),
            Key("final", check_bool, REQUIRED),
            Key("attempts", check_counter, REQUIRED),
            Key("reason", check_str, ""),
            Key("device_id", check_id, ""),
            Key("error", check_str, ""),
        ),
        payload=True,
    ),
    Command.CANCEL: Schema((Key("task_id", check_id, REQUIRED),)),
    Command.QUERY: Schema(
        (Key("request_id", check_uint, REQUIRED), Key("what", one_of(("devices", "tasks")), REQUIRED))
    ),
    Command.QUERY_REPLY: Schema(
        (
            Key("request_id", check_uint, REQUIRED),
            Key("devices", _entry_list(DEVICE_ENTRY_KEYS, ()), []),
            Key("tasks", _entry_list(TASK_ENTRY_KEYS, ("client_id", "device_id")), []),
            Key("truncated", check_bool, False),
        )
    ),
    Command.SUBSCRIBE: Schema((Key("enabled", check_bool, True),)),
    Command.EVENT: Schema(
        (
            Key("kind", one_of(("device", "task")), REQUIRED),
            Key("id", check_id, REQUIRED),
            Key("state", check_str, REQUIRED),
            Key("reason", check_str, ""),
            Key("device_id", check_id, ""),
            Key("client_id", check_id, ""),
            Key("attempts", check_counter, 0),
        ),
        rule=_event_rule,
    ),
    Command.ASSIGN: Schema(
        (
            Key("task_id", check_id, REQUIRED),
            Key("attempt", check_attempt, REQUIRED),
            Key("timeout_ms", check_duration, REQUIRED),
        ),
        payload=True,
    ),
    Command.STARTED: Schema((Key("task_id", check_id, REQUIRED), Key("attempt", check_attempt, REQUIRED))),
    Command.RESULT: Schema(
        (
            Key("task_id", check_id, REQUIRED),
            Key("attempt", check_attempt, REQUIRED),
            Key("ok", check_bool, REQUIRED),
            Key("error", check_str, ""),
        ),
        payload=True,
    ),
    Command.ABORT: Schema(
        (
            Key("task_id", check_id, REQUIRED),
            Key("attempt", check_attempt, REQUIRED),
            Key("reason", check_str, REQUIRED),
        )
    ),
}

# Commands whose absent payload frame means an empty payload rather than no payload.
EMPTY_PAYLOAD_DEFAULT = (Command.SUBMIT, Command.ASSIGN)


# ----- decoding ---------------------------------------------------------------------------------


def _string_keyed_map(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """Build a map from MessagePack pairs, rejecting non-string and repeated keys."""
    result: dict[Any, Any] = {}
    for key, value in pairs:
        if not isinstance(key, str):
            raise CodecError(ErrorCode.MALFORMED_BODY, f"map key {key!r} is not a string")
        if key in result:
            raise CodecError(ErrorCode.MALFORMED_BODY, f"map key '{key}' appears twice")
        result[key] = value
    return result


def unpack_body(data: bytes) -> dict[str, Any]:
    """Unpack frame 2: exactly one MessagePack map with string keys, nothing after it."""
    try:
        value = msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=False,
            object_pairs_hook=_string_keyed_map,
            unicode_errors="surrogateescape",
        )
    except CodecError:
        raise
    except Exception as error:  # msgpack raises several unrelated types for broken input
        raise CodecError(ErrorCode.MALFORMED_BODY, f"body is not valid MessagePack: {error}") from error
    if not isinstance(value, dict):
        raise CodecError(ErrorCode.MALFORMED_BODY, f"body is a {type(value).__name__}, not a map")
    return value


def decode(frames: list[bytes], max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Message:
    """Decode the frames of one message (no routing id) or raise CodecError."""
    frames = [bytes(frame) for frame in frames]
    if len(frames) < 3:
        raise CodecError(ErrorCode.TOO_FEW_FRAMES, f"{len(frames)} frames, at least 3 expected")
    if len(frames) > 4:
        raise CodecError(ErrorCode.TOO_MANY_FRAMES, f"{len(frames)} frames, at most 4 expected")

    size = sum(len(frame) for frame in frames)
    if size > max_message_bytes:
        raise CodecError(ErrorCode.MESSAGE_TOO_LARGE, f"{size} bytes, limit {max_message_bytes}")

    signature = bytes(frames[0])
    if len(signature) == 4 and signature[:3] == SIGNATURE[:3] and signature[3] != PROTOCOL_VERSION:
        raise CodecError(ErrorCode.UNSUPPORTED_VERSION, f"protocol version {signature[3]} is not supported")
    if signature != SIGNATURE:
        raise CodecError(ErrorCode.BAD_SIGNATURE, f"frame 0 is {signature.hex() or 'empty'}, not {SIGNATURE.hex()}")

    if len(frames[1]) != 1 or frames[1][0] not in Command._value2member_map_:
        raise CodecError(ErrorCode.UNKNOWN_COMMAND, f"frame 1 is {bytes(frames[1]).hex() or 'empty'}")
    command = Command(frames[1][0])

    schema = SCHEMAS[command]
    payload = bytes(frames[3]) if len(frames) == 4 else None
    if payload is not None and not schema.payload:
        raise CodecError(ErrorCode.UNEXPECTED_PAYLOAD, f"{command.name} takes no payload frame")
    if payload is None and command in EMPTY_PAYLOAD_DEFAULT:
        payload = b""

    raw = unpack_body(bytes(frames[2]))
    body = _fill(schema.keys, raw)
    if schema.rule is not None:
        schema.rule(raw, body)
    return Message(command, body, payload)


# ----- encoding ---------------------------------------------------------------------------------


def encode(message: Message) -> list[bytes]:
    """Encode `message` into frames, leaving out optional keys that hold their default.

    Raises CodecError when the result would not decode, so a peer never sends what the broker
    rejects for its form.
    """
    schema = SCHEMAS[message.command]
    defaults = {key.name: key.default for key in schema.keys}
    body = {
        name: value
        for name, value in message.body.items()
        if value is not None and not (name in defaults and defaults[name] == value)
    }
    for name in ("devices", "tasks"):
        if name in body:
            body[name] = [_without_empty(row) for row in body[name]]
    frames = [SIGNATURE, bytes([message.command]), msgpack.packb(body, use_bin_type=True)]
    if message.payload is not None and schema.payload:
        frames.append(bytes(message.payload))
    decode(frames, max_message_bytes=MAX_UINT)
    return frames


def _without_empty(row: dict[str, Any]) -> dict[str, Any]:
    """Drop the absent values of a query reply entry: None, and "" (an id cannot be empty)."""
    return {name: value for name, value in row.items() if value is not None and value != ""}


def make(command: Command, payload: Optional[bytes] = None, **body: Any) -> list[bytes]:
    """Encode a message given as keyword arguments: make(Command.CANCEL, task_id="t-1")."""
    return encode(Message(command, body, payload))
