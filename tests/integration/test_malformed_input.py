"""Malformed input from a raw DEALER: an ERROR reply, a log line, and service for everyone else."""

import json

import msgpack
import pytest
import zmq

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, wait_until

SIGNATURE = b"AIP\x01"
REGISTER, HEARTBEAT, RESULT = 0x01, 0x03, 0x22
ERROR, DISCONNECT = 0x05, 0x04


@pytest.fixture
def served(constellation):
    """A broker with one working device, and a raw DEALER connected to it."""
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--max-message-size", "4096")
    constellation.start_device(broker.endpoint, "healthy", "--capability", "echo")
    wait_until(lambda: "healthy" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the healthy device to be CONNECTED")

    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(broker.endpoint)
    yield broker, dealer
    dealer.close()
    context.term()


def exchange(dealer, frames):
    """Send raw frames and return the reply's command byte and decoded body (2 s deadline)."""
    dealer.send_multipart(frames)
    if not dealer.poll(2000):
        raise AssertionError(f"no reply within 2 s to {frames!r}")
    reply = dealer.recv_multipart()
    assert reply[0] == SIGNATURE
    return reply[1][0], msgpack.unpackb(reply[2], raw=False)


def body(mapping):
    return msgpack.packb(mapping, use_bin_type=True)


CASES = [
    ("wrong signature", [b"XYZ\x01", bytes([HEARTBEAT]), body({})], "bad_signature"),
    ("other version", [b"AIP\x09", bytes([HEARTBEAT]), body({})], "unsupported_version"),
    ("unknown command", [SIGNATURE, b"\x7f", body({})], "unknown_command"),
    ("truncated body", [SIGNATURE, bytes([REGISTER]), body({"role": "device", "device_id": "x"})[:-3]],
     "malformed_body"),
    ("mistyped key", [SIGNATURE, bytes([REGISTER]), body({"role": "device", "device_id": 42})], "wrong_type"),
    ("missing key", [SIGNATURE, bytes([REGISTER]), body({"role": "device"})], "missing_key"),
    ("oversized message", [SIGNATURE, bytes([REGISTER]), body({"role": "device", "device_id": "big",
                                                               "pad": "x" * 5000})], "message_too_large"),
]


@pytest.mark.parametrize("name,frames,code", CASES, ids=[case[0] for case in CASES])
def test_malformed_message_gets_error(constellation, served, name, frames, code):
    broker, dealer = served
    command, reply = exchange(dealer, frames)
    assert command == ERROR
    assert reply["code"] == code
    assert reply["message"]

    wait_until(lambda: code in broker.process.log_text(), 2, f"a log line naming {code}")

    echo = json.dumps({"action": "echo", "data": name})
    result = constellation.run_client(broker.endpoint, "submit", "--capability", "echo", "--payload", echo,
                                      "--timeout", "5s", "--wait")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["result"] == name


def test_result_for_unknown_task_gets_error(constellation, served):
    broker, dealer = served
    command, _ = exchange(dealer, [SIGNATURE, bytes([REGISTER]), body({"role": "device", "device_id": "rogue"})])
    assert command == 0x02

    command, reply = exchange(dealer, [SIGNATURE, bytes([RESULT]),
                                       body({"task_id": "not-mine", "attempt": 1, "ok": True})])
    assert command == ERROR
    assert reply["code"] == "unknown_task"
    wait_until(lambda: "unknown_task" in broker.process.log_text(), 2, "a log line naming unknown_task")


def test_unregistered_peer_gets_disconnect(constellation, served):
    _, dealer = served
    command, reply = exchange(dealer, [SIGNATURE, bytes([HEARTBEAT]), body({})])
    assert command == DISCONNECT
    assert reply["reason"] == "not_registered"
