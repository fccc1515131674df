"""Task dispatch and results (SPEC.md section 5), with raw frames and with the Python device process."""

import time

from aip_peer import Client
from aip_peer.codec import Command

from conftest import HEARTBEAT_MS, LIVENESS, wait_for_event

ALL_BYTES = bytes(range(256)) * 4


def final_update(client, timeout: float = 5.0):
    """Return the next final TASK_UPDATE received by a raw client."""
    deadline = time.monotonic() + timeout
    while True:
        update = client.expect(Command.TASK_UPDATE, timeout=max(0.1, deadline - time.monotonic()))
        if update.body["final"]:
            return update


def test_assign_forwards_the_input_byte_for_byte(broker, lab):
    device = lab.raw_peer()
    device.register_device("d-bytes", capabilities=["raw"])
    client = lab.raw_peer()
    client.register_client("c-bytes")

    client.send_message(Command.SUBMIT, ALL_BYTES, task_id="t-bytes", capability="raw", timeout_ms=20000)
    client.expect(Command.ACCEPTED)
    assign = device.expect(Command.ASSIGN)

    assert assign.body["task_id"] == "t-bytes"
    assert assign.body["attempt"] == 1
    assert assign.payload == ALL_BYTES


def test_result_reaches_the_client_byte_for_byte(broker, lab):
    device = lab.raw_peer()
    device.register_device("d-result", capabilities=["raw"])
    client = lab.raw_peer()
    client.register_client("c-result")
    client.send_message(Command.SUBMIT, b"in", task_id="t-result", device_id="d-result")
    client.expect(Command.ACCEPTED)
    assign = device.expect(Command.ASSIGN)

    device.send_message(Command.STARTED, task_id="t-result", attempt=assign.body["attempt"])
    device.send_message(Command.RESULT, ALL_BYTES[::-1], task_id="t-result", attempt=assign.body["attempt"], ok=True)
    update = final_update(client)

    assert update.body["state"] == "COMPLETED"
    assert update.body["device_id"] == "d-result"
    assert update.body["attempts"] == 1
    assert update.payload == ALL_BYTES[::-1]


def test_failed_result_is_final_with_the_device_error(broker, lab):
    device = lab.raw_peer()
    device.register_device("d-fails", capabilities=["raw"])
    client = lab.raw_peer()
    client.register_client("c-fails")
    client.send_message(Command.SUBMIT, b"", task_id="t-fails", capability="raw", max_attempts=3)
    client.expect(Command.ACCEPTED)
    device.expect(Command.ASSIGN)

    device.send_message(Command.STARTED, task_id="t-fails", attempt=1)
    device.send_message(Command.RESULT, task_id="t-fails", attempt=1, ok=False, error="out of paper")
    update = final_update(client)

    assert update.body["state"] == "FAILED"
    assert update.body["reason"] == "task_error"
    assert update.body["error"] == "out of paper"


def test_duplicate_submit_is_idempotent(broker, lab):
    client = lab.raw_peer()
    client.register_client("c-twice")

    client.send_message(Command.SUBMIT, b"", task_id="t-twice", capability="none-yet")
    first = client.expect(Command.ACCEPTED)
    client.send_message(Command.SUBMIT, b"", task_id="t-twice", capability="none-yet")
    second = client.expect(Command.ACCEPTED)

    assert first.body["duplicate"] is False
    assert second.body["duplicate"] is True


def test_abort_follows_cancel(broker, lab):
    device = lab.raw_peer()
    device.register_device("d-cancel", capabilities=["raw"])
    client = lab.raw_peer()
    client.register_client("c-cancel")
    client.send_message(Command.SUBMIT, b"", task_id="t-cancel", capability="raw")
    client.expect(Command.ACCEPTED)
    device.expect(Command.ASSIGN)
    device.send_message(Command.STARTED, task_id="t-cancel", attempt=1)

    client.send_message(Command.CANCEL, task_id="t-cancel")
    abort = device.expect(Command.ABORT)
    update = final_update(client)

    assert abort.body["task_id"] == "t-cancel"
    assert update.body["state"] == "CANCELLED"
    assert update.body["reason"] == "client_cancelled"


def test_killed_python_device_fails_its_task(broker, lab):
    device = lab.python_device("py-doomed", "--capability", "slow")
    wait_for_event(device, "registered")
    client = lab.keep(Client(broker, "c-doomed").start())
    client.submit("t-doomed", b"sleep:30", capability="slow", max_attempts=1)
    wait_for_event(device, "started")

    killed_at = device.kill()
    update = client.wait_final("t-doomed", timeout=HEARTBEAT_MS / 1000 * LIVENESS + 3)
    failed_after = time.monotonic() - killed_at

    assert update.body["state"] == "FAILED"
    assert update.body["reason"] == "device_disconnected"
    assert failed_after < HEARTBEAT_MS / 1000 * (LIVENESS + 1) + 1


def test_python_device_runs_tasks_in_parallel_slots(broker, lab):
    device = lab.python_device("py-wide", "--capability", "wide", "--slots", "2")
    wait_for_event(device, "registered")
    client = lab.keep(Client(broker, "c-wide").start())

    client.submit("t-wide-1", b"sleep:0.5", capability="wide")
    client.submit("t-wide-2", b"sleep:0.5", capability="wide")
    first = client.wait_final("t-wide-1")
    second = client.wait_final("t-wide-2")
    events = [value["event"] for _, value in device.json_lines()]

    assert first.body["state"] == "COMPLETED"
    assert second.body["state"] == "COMPLETED"
    assert events[1:4] == ["started", "started", "result"]


def test_started_sends_running_update(broker, lab):
    device = lab.raw_peer()
    device.register_device("d-running", capabilities=["raw"])
    client = lab.raw_peer()
    client.register_client("c-running")
    client.send_message(Command.SUBMIT, b"", task_id="t-running", capability="raw")
    client.expect(Command.ACCEPTED)
    device.expect(Command.ASSIGN)

    device.send_message(Command.STARTED, task_id="t-running", attempt=1)
    update = client.expect(Command.TASK_UPDATE)

    assert update.body["state"] == "RUNNING"
    assert update.body["final"] is False
    assert update.body["device_id"] == "d-running"
