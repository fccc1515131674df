"""An orchestrator killed while its tasks run: the tasks are cancelled on the devices."""

import json
import os
import uuid

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, wait_until


def matches(pid: str, pattern: str) -> bool:
    """Return True when the live (not zombie) process `pid` has exactly `pattern` as command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            text = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return text == pattern and state != "Z"


def count_processes(pattern: str) -> int:
    return sum(1 for pid in os.listdir("/proc") if pid.isdigit() and matches(pid, pattern))


def test_killed_client_tasks_are_cancelled(constellation):
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--client-grace", "0ms")
    constellation.start_device(broker.endpoint, "worker-1", "--capability", "long", "--slots", "2",
                               "--allow-exec")
    constellation.start_device(broker.endpoint, "worker-2", "--capability", "long", "--slots", "2",
                               "--allow-exec")
    wait_until(lambda: connected_ids(constellation.devices(broker.endpoint)) == {"worker-1", "worker-2"},
               10, "two devices to be CONNECTED")

    # A unique sleep length marks the children of this test's exec tasks.
    marker = f"sleep {3000 + uuid.uuid4().int % 1000}"
    exec_task = json.dumps({"action": "exec", "argv": marker.split()})
    owner = constellation.start_client(broker.endpoint, "submit", "--capability", "long", "--payload",
                                       exec_task, "--count", "4", "--timeout", "60s", "--wait",
                                       client_id="doomed")

    def owned_tasks():
        return [row for row in constellation.tasks(broker.endpoint).values() if row["client_id"] == "doomed"]

    wait_until(lambda: sum(row["state"] == "RUNNING" for row in owned_tasks()) == 4, 10,
               "four tasks RUNNING")
    wait_until(lambda: count_processes(marker) == 4, 5, "four exec child processes")

    # A device that registers after the watcher proves that the subscription is active.
    watcher = constellation.start_client(broker.endpoint, "watch", "--json", "--for", "30s", client_id="watcher")
    wait_until(lambda: "client watcher NEW -> CONNECTED" in broker.process.log_text(), 5, "the watcher to connect")
    constellation.start_device(broker.endpoint, "probe")
    wait_until(lambda: any(event["id"] == "probe" for _, event in watcher.json_lines()), 5,
               "the watcher to report the probe device")
    killed_at = owner.kill()

    def cancellations():
        found = {event["id"]: at for at, event in watcher.json_lines()
                 if event["kind"] == "task" and event["state"] == "CANCELLED"}
        return found if len(found) == 4 else None

    cancelled_at = wait_until(cancellations, 5, "four CANCELLED task events")
    for task_id, at in cancelled_at.items():
        assert at - killed_at < 1.0, f"{task_id} cancelled {at - killed_at:.3f}s after the kill"

    rows = owned_tasks()
    assert len(rows) == 4
    for row in rows:
        assert row["state"] == "CANCELLED"
        assert row["reason"] == "client_disconnected"

    wait_until(lambda: count_processes(marker) == 0, 2, "the exec child processes to be killed")
    wait_until(lambda: all(row["running"] == 0 for row in constellation.devices(broker.endpoint).values()),
               2, "the devices to free their slots")
