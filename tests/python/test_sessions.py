"""Registration, heartbeats and loss detection (SPEC.md section 4), with raw frames."""

import time

from aip_peer.codec import Command, make

from conftest import HEARTBEAT_MS, LIVENESS, wait_until

HEARTBEAT_S = HEARTBEAT_MS / 1000
# Slack for scheduling on a loaded two-core machine.
SLACK_S = 0.5


def device_state(lab, device_id: str):
    client = lab.raw_peer()
    client.register_client(f"c-query-{time.monotonic_ns()}")
    client.send_message(Command.QUERY, request_id=1, what="devices")
    rows = client.expect(Command.QUERY_REPLY).body["devices"]
    client.close()
    lab.peers.remove(client)
    return next((row["state"] for row in rows if row["device_id"] == device_id), None)


def test_registered_fields_follow_broker_options(lab):
    lab.start_broker("--max-message-size", "65536", "--reconnect-policy", "linear", "--max-retries", "7",
                     "--initial-backoff", "250ms", "--max-backoff", "4s", "--backoff-multiplier", "3",
                     "--jitter", "equal")
    peer = lab.raw_peer()

    registered = peer.register_device("d-fields")

    assert registered["session_token"] != ""
    assert registered["heartbeat_ms"] == HEARTBEAT_MS
    assert registered["liveness"] == LIVENESS
    assert registered["max_message_bytes"] == 65536
    assert registered["reconnect"]["policy"] == "linear"
    assert registered["reconnect"]["max_retries"] == 7
    assert registered["reconnect"]["initial_backoff_ms"] == 250
    assert registered["reconnect"]["max_backoff_ms"] == 4000
    assert registered["reconnect"]["multiplier"] == 3.0
    assert registered["reconnect"]["jitter"] == "equal"


def test_registered_defaults(lab):
    lab.start_broker()
    peer = lab.raw_peer()

    registered = peer.register_client("c-defaults")

    assert registered["max_message_bytes"] == 1024 * 1024
    assert registered["reconnect"] == {"policy": "exponential", "max_retries": 5, "initial_backoff_ms": 1000,
                                       "max_backoff_ms": 60000, "multiplier": 2.0, "jitter": "full"}


def test_registered_tokens_differ_per_session(broker, lab):
    first = lab.raw_peer().register_device("d-one")["session_token"]
    second = lab.raw_peer().register_device("d-two")["session_token"]

    assert first != second


def test_broker_heartbeats_a_silent_peer_within_the_interval(broker, lab):
    peer = lab.raw_peer()
    peer.register_device("d-silent")
    registered_at = time.monotonic()

    first = peer.receive(timeout=HEARTBEAT_S * 2, skip_heartbeats=False)
    first_at = time.monotonic()
    second = peer.receive(timeout=HEARTBEAT_S * 2, skip_heartbeats=False)
    second_at = time.monotonic()

    assert first.command is Command.HEARTBEAT
    assert first_at - registered_at < HEARTBEAT_S * 1.25 + 0.1
    assert second.command is Command.HEARTBEAT
    assert second_at - first_at < HEARTBEAT_S * 1.25 + 0.1


def test_heartbeating_peer_stays_connected(broker, lab):
    peer = lab.raw_peer()
    peer.register_device("d-alive")
    stay = HEARTBEAT_S * LIVENESS * 2.5

    deadline = time.monotonic() + stay
    while time.monotonic() < deadline:
        peer.send(make(Command.HEARTBEAT))
        frames = peer.receive_frames(timeout=HEARTBEAT_S / 2)
        assert frames is None or frames[1] != bytes([Command.DISCONNECT])

    assert device_state(lab, "d-alive") == "CONNECTED"


def test_silent_peer_is_dropped_after_liveness_intervals(broker, lab):
    peer = lab.raw_peer()
    peer.register_device("d-mute")
    registered_at = time.monotonic()

    wait_until(lambda: device_state(lab, "d-mute") == "DISCONNECTED", HEARTBEAT_S * LIVENESS + 3,
               "the silent device to be DISCONNECTED")
    dropped_after = time.monotonic() - registered_at

    assert dropped_after >= HEARTBEAT_S * LIVENESS * 0.9
    assert dropped_after < HEARTBEAT_S * LIVENESS + HEARTBEAT_S / 4 + SLACK_S + 0.5


def test_dropped_peer_gets_disconnect_not_registered(broker, lab):
    peer = lab.raw_peer()
    peer.register_device("d-late")
    wait_until(lambda: device_state(lab, "d-late") == "DISCONNECTED", HEARTBEAT_S * LIVENESS + 3,
               "the silent device to be DISCONNECTED")

    peer.send(make(Command.HEARTBEAT))
    reply = peer.expect(Command.DISCONNECT)

    assert reply.body["reason"] == "not_registered"


def test_dropped_device_registers_again(broker, lab):
    peer = lab.raw_peer()
    peer.register_device("d-back")
    wait_until(lambda: device_state(lab, "d-back") == "DISCONNECTED", HEARTBEAT_S * LIVENESS + 3,
               "the silent device to be DISCONNECTED")

    peer.register_device("d-back")

    assert device_state(lab, "d-back") == "CONNECTED"


def test_disconnect_from_device_marks_it_disconnected(broker, lab):
    peer = lab.raw_peer()
    peer.register_device("d-leaving")

    peer.send_message(Command.DISCONNECT, reason="maintenance")

    assert wait_until(lambda: device_state(lab, "d-leaving") == "DISCONNECTED", 2.0,
                      "the leaving device to be DISCONNECTED")


def test_register_supersedes_a_silent_session_without_token(broker, lab):
    first = lab.raw_peer()
    first.register_device("d-rebooted")
    # The broker's first heartbeat may come up to half an interval early; its second comes a
    # full interval later, so by then the first peer has been silent for more than one interval.
    for ordinal in ("first", "second"):
        wait_until(lambda: first.receive_frames(timeout=HEARTBEAT_S * 2) is not None, HEARTBEAT_S * 3,
                   f"the {ordinal} broker heartbeat")

    second = lab.raw_peer()
    registered = second.register_device("d-rebooted")

    assert registered["session_token"] != ""
