"""Every error code of SPEC.md section 7, provoked with raw frames against the real broker."""

import msgpack
import pytest

from aip_peer.codec import SIGNATURE, Command, make

from conftest import RawPeer

HEARTBEAT_FRAMES = make(Command.HEARTBEAT)


def registered_client(lab, client_id: str = "c-errors") -> RawPeer:
    peer = lab.raw_peer()
    peer.register_client(client_id)
    return peer


def registered_device(lab, device_id: str = "d-errors") -> RawPeer:
    peer = lab.raw_peer()
    peer.register_device(device_id, capabilities=["x"])
    return peer


def body(**keys) -> bytes:
    return msgpack.packb(keys)


def test_unsupported_version_lists_supported_versions(broker, lab):
    peer = registered_client(lab)

    peer.send([b"AIP\x02", bytes([Command.HEARTBEAT]), b"\x80"])
    error = peer.expect_error()

    assert error["code"] == "unsupported_version"
    assert error["supported_versions"] == [1]


def test_bad_signature(broker, lab):
    peer = registered_client(lab)

    peer.send([b"HTTP", bytes([Command.HEARTBEAT]), b"\x80"])

    assert peer.expect_error()["code"] == "bad_signature"


def test_too_few_frames(broker, lab):
    peer = registered_client(lab)

    peer.send([SIGNATURE, bytes([Command.HEARTBEAT])])

    assert peer.expect_error()["code"] == "too_few_frames"


def test_too_many_frames(broker, lab):
    peer = registered_client(lab)

    peer.send(make(Command.SUBMIT, b"input", task_id="t-1", capability="x") + [b"extra"])

    assert peer.expect_error()["code"] == "too_many_frames"


def test_message_too_large(lab):
    lab.start_broker("--max-message-size", "4096")
    peer = lab.raw_peer()
    limit = peer.register_client("c-large")["max_message_bytes"]

    peer.send(make(Command.SUBMIT, b"x" * limit, task_id="t-large", capability="x"))

    assert peer.expect_error()["code"] == "message_too_large"


def test_message_at_limit_is_accepted(lab):
    lab.start_broker("--max-message-size", "4096")
    peer = lab.raw_peer()
    limit = peer.register_client("c-limit")["max_message_bytes"]
    frames = make(Command.SUBMIT, b"", task_id="t-limit", capability="x")
    frames[3] = b"x" * (limit - sum(len(frame) for frame in frames))

    peer.send(frames)

    assert peer.expect(Command.ACCEPTED).body["task_id"] == "t-limit"


@pytest.mark.parametrize("command", [b"\x7f", b"\x00", b"\x03\x03", b""], ids=["unlisted", "zero", "two_bytes", "empty"])
def test_unknown_command(broker, lab, command):
    peer = registered_client(lab)

    peer.send([SIGNATURE, command, b"\x80"])

    assert peer.expect_error()["code"] == "unknown_command"


def test_unknown_command_for_broker_to_peer_command(broker, lab):
    peer = registered_client(lab)

    peer.send_message(Command.ACCEPTED, task_id="t-1", duplicate=False)

    assert peer.expect_error()["code"] == "unknown_command"


@pytest.mark.parametrize("frame", [b"", b"\x91\x01", b"\xa7task_id", b"\x80\x80", b"\x81\x01\x01", b"\xc1",
                                   b"\x82\xa7task_id\xa1a\xa7task_id\xa1b"],
                         ids=["empty", "array", "truncated", "trailing", "integer_key", "reserved_byte",
                              "duplicate_key"])
def test_malformed_body(broker, lab, frame):
    peer = registered_client(lab)

    peer.send([SIGNATURE, bytes([Command.CANCEL]), frame])

    assert peer.expect_error()["code"] == "malformed_body"


def test_missing_key(broker, lab):
    peer = registered_client(lab)

    peer.send([SIGNATURE, bytes([Command.CANCEL]), b"\x80"])

    assert peer.expect_error()["code"] == "missing_key"


def test_missing_key_for_submit_without_target(broker, lab):
    peer = registered_client(lab)

    peer.send([SIGNATURE, bytes([Command.SUBMIT]), body(task_id="t-1"), b""])

    assert peer.expect_error()["code"] == "missing_key"


def test_wrong_type(broker, lab):
    peer = registered_client(lab)

    peer.send([SIGNATURE, bytes([Command.CANCEL]), body(task_id=42)])

    assert peer.expect_error()["code"] == "wrong_type"


@pytest.mark.parametrize("keys", [
    {"task_id": "has space"},
    {"task_id": "x" * 129},
    {"task_id": ""},
], ids=["space", "129_bytes", "empty"])
def test_invalid_value_for_bad_task_id(broker, lab, keys):
    peer = registered_client(lab)

    peer.send([SIGNATURE, bytes([Command.CANCEL]), body(**keys)])

    assert peer.expect_error()["code"] == "invalid_value"


def test_invalid_value_for_both_targets(broker, lab):
    peer = registered_client(lab)

    peer.send([SIGNATURE, bytes([Command.SUBMIT]), body(task_id="t-1", device_id="d", capability="x"), b""])

    assert peer.expect_error()["code"] == "invalid_value"


@pytest.mark.parametrize("keys", [
    {"role": "robot", "device_id": "d-1"},
    {"role": "device", "device_id": "d-1", "slots": 0},
    {"role": "device", "device_id": "d-1", "slots": 1025},
], ids=["unknown_role", "zero_slots", "1025_slots"])
def test_invalid_value_in_register(broker, lab, keys):
    peer = lab.raw_peer()

    peer.send([SIGNATURE, bytes([Command.REGISTER]), body(**keys)])

    assert peer.expect_error()["code"] == "invalid_value"


def test_unexpected_payload(broker, lab):
    peer = registered_client(lab)

    peer.send(make(Command.CANCEL, task_id="t-1") + [b"payload"])

    assert peer.expect_error()["code"] == "unexpected_payload"


def test_id_in_use_keeps_the_live_session(broker, lab):
    first = lab.raw_peer()
    first.register_device("d-taken")
    second = lab.raw_peer()

    first.send(HEARTBEAT_FRAMES)
    second.send_message(Command.REGISTER, role="device", device_id="d-taken")

    assert second.expect_error()["code"] == "id_in_use"
    first.send_message(Command.STARTED, task_id="t-none", attempt=1)
    assert first.expect_error()["code"] == "unknown_task"


def test_session_token_supersedes_a_live_session(broker, lab):
    first = lab.raw_peer()
    token = first.register_device("d-moving")["session_token"]
    second = lab.raw_peer()

    first.send(HEARTBEAT_FRAMES)
    registered = second.register_device("d-moving", session_token=token)

    assert registered["session_token"]


def test_wrong_role_for_device_submitting(broker, lab):
    peer = registered_device(lab)

    peer.send_message(Command.SUBMIT, b"", task_id="t-1", capability="x")

    assert peer.expect_error()["code"] == "wrong_role"


def test_wrong_role_for_client_reporting_a_result(broker, lab):
    peer = registered_client(lab)

    peer.send_message(Command.RESULT, task_id="t-1", attempt=1, ok=True)

    assert peer.expect_error()["code"] == "wrong_role"


def test_task_id_in_use_by_another_client(broker, lab):
    owner = registered_client(lab, "c-owner")
    other = registered_client(lab, "c-other")
    owner.send_message(Command.SUBMIT, b"", task_id="t-shared", capability="x")
    owner.expect(Command.ACCEPTED)

    other.send_message(Command.SUBMIT, b"", task_id="t-shared", capability="x")
    error = other.expect_error()

    assert error["code"] == "task_id_in_use"
    assert error.get("task_id") == "t-shared"


def test_unknown_task_for_cancel(broker, lab):
    peer = registered_client(lab)

    peer.send_message(Command.CANCEL, task_id="t-never")
    error = peer.expect_error()

    assert error["code"] == "unknown_task"
    assert error.get("task_id") == "t-never"


def test_unknown_task_for_cancel_of_another_clients_task(broker, lab):
    owner = registered_client(lab, "c-owner")
    other = registered_client(lab, "c-other")
    owner.send_message(Command.SUBMIT, b"", task_id="t-owned", capability="x")
    owner.expect(Command.ACCEPTED)

    other.send_message(Command.CANCEL, task_id="t-owned")

    assert other.expect_error()["code"] == "unknown_task"


def test_unknown_task_for_started(broker, lab):
    peer = registered_device(lab)

    peer.send_message(Command.STARTED, task_id="t-never", attempt=1)

    assert peer.expect_error()["code"] == "unknown_task"


def test_unknown_task_for_result(broker, lab):
    peer = registered_device(lab)

    peer.send_message(Command.RESULT, b"out", task_id="t-never", attempt=1, ok=True)

    assert peer.expect_error()["code"] == "unknown_task"


def test_rate_limited(broker, lab):
    peer = lab.raw_peer()
    attempts = 50

    for _ in range(attempts):
        peer.send_message(Command.REGISTER, role="client", client_id="c-eager")
    replies = [peer.receive() for _ in range(attempts)]
    codes = {reply.body["code"] for reply in replies if reply.command is Command.ERROR}

    assert "rate_limited" in codes


def test_error_from_an_unregistered_peer(broker, lab):
    peer = lab.raw_peer()

    peer.send([b"HTTP", bytes([Command.HEARTBEAT]), b"\x80"])

    assert peer.expect_error()["code"] == "bad_signature"


def test_message_from_unregistered_peer_gets_disconnect(broker, lab):
    peer = lab.raw_peer()

    peer.send(HEARTBEAT_FRAMES)
    reply = peer.expect(Command.DISCONNECT)

    assert reply.body["reason"] == "not_registered"


def test_error_changes_nothing(broker, lab):
    peer = registered_client(lab)
    peer.send([SIGNATURE, bytes([Command.CANCEL]), b"\xc1"])
    peer.expect_error()

    peer.send_message(Command.SUBMIT, b"", task_id="t-after", capability="x")

    assert peer.expect(Command.ACCEPTED).body["duplicate"] is False
