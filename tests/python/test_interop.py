"""The Python peers working with the C++ tools: aip-client drives a Python device, and a Python
client drives aip-device processes."""

import json

import msgpack

from aip_peer import Client

from conftest import wait_for_event, wait_until


def test_cpp_client_submits_to_python_device(broker, lab):
    device = lab.python_device("py-echo", "--capability", "py")
    wait_for_event(device, "registered")

    result = lab.constellation.run_client(broker, "submit", "--capability", "py", "--payload", '{"n": 7, "s": "x"}',
                                          "--count", "3", "--wait", "--wait-timeout", "10s", client_id="cpp-client")
    lines = [json.loads(line) for line in result.stdout.splitlines()]

    assert result.returncode == 0, result.stderr
    assert len(lines) == 3
    assert {line["state"] for line in lines} == {"COMPLETED"}
    assert [line["result"] for line in lines] == [{"n": 7, "s": "x"}] * 3
    assert {line["device_id"] for line in lines} == {"py-echo"}


def test_cpp_client_sees_python_device_failure(broker, lab):
    device = lab.python_device("py-fail", "--capability", "py")
    wait_for_event(device, "registered")

    result = lab.constellation.run_client(broker, "submit", "--capability", "py", "--payload",
                                          json.dumps("fail:no luck"), "--wait", "--wait-timeout", "10s")
    line = json.loads(result.stdout.splitlines()[0])

    assert result.returncode == 1
    assert line["state"] == "FAILED"
    assert line["reason"] == "task_error"
    assert line["error"] == "no luck"


def test_python_client_drives_cpp_devices(broker, lab):
    for device_id in ("cpp-1", "cpp-2"):
        lab.constellation.start_device(broker, device_id, "--capability", "cpp")
    client = lab.keep(Client(broker, "py-orchestrator").start())
    wait_until(lambda: len(client.query("devices")) == 2, 10, "both aip-device processes to register")

    for index in range(6):
        client.submit(f"t-echo-{index}", msgpack.packb({"action": "echo", "data": f"x-{index}"}), capability="cpp")
    finals = [client.wait_final(f"t-echo-{index}", timeout=10) for index in range(6)]

    assert {update.body["state"] for update in finals} == {"COMPLETED"}
    assert [msgpack.unpackb(update.payload) for update in finals] == [f"x-{index}" for index in range(6)]
    assert {update.body["device_id"] for update in finals} <= {"cpp-1", "cpp-2"}


def test_python_client_cancels_task_on_cpp_device(broker, lab):
    lab.constellation.start_device(broker, "cpp-slow", "--capability", "slow")
    client = lab.keep(Client(broker, "py-canceller").start())
    wait_until(lambda: client.query("devices"), 10, "aip-device to register")
    client.submit("t-slow", msgpack.packb({"action": "sleep", "ms": 30000}), capability="slow")
    wait_until(lambda: any(update.body["state"] == "RUNNING" for update in client.updates("t-slow"))
               or {row["task_id"]: row["state"] for row in client.query("tasks")}.get("t-slow") == "RUNNING",
               5, "the task to run")

    client.cancel("t-slow")
    update = client.wait_final("t-slow")

    assert update.body["state"] == "CANCELLED"
    assert update.body["reason"] == "client_cancelled"


def test_python_client_receives_events(broker, lab):
    client = lab.keep(Client(broker, "py-watcher").start())
    assert client.wait_registered(5)
    client.subscribe()
    wait_until(lambda: client.query("devices") == [], 5, "the subscription to be in place")

    lab.constellation.start_device(broker, "cpp-seen", "--capability", "seen")
    event = client.next_event(timeout=10)

    assert event is not None
    assert event.body["kind"] == "device"
    assert event.body["id"] == "cpp-seen"
    assert event.body["state"] == "CONNECTED"


def test_python_client_queries_tasks(broker, lab):
    client = lab.keep(Client(broker, "py-asker").start())
    client.submit("t-queued", b"", capability="nobody")

    rows = {row["task_id"]: row for row in client.query("tasks")}

    assert rows["t-queued"]["state"] == "PENDING"
    assert rows["t-queued"]["client_id"] == "py-asker"
