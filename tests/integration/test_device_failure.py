"""A device killed mid-task: detection, failure, reassignment and its return (real processes)."""

import json

from conftest import FAST_HEARTBEAT
from constellation import by_task, connected_ids, wait_until

SLEEP_1S = json.dumps({"action": "sleep", "ms": 1000})
VICTIM = "dev-b"


def start_three_devices(constellation, endpoint):
    for device_id in ("dev-a", VICTIM, "dev-c"):
        constellation.start_device(endpoint, device_id, "--capability", "compute", "--slots", "2")
    wait_until(lambda: connected_ids(constellation.devices(endpoint)) == {"dev-a", VICTIM, "dev-c"},
               10, "three devices to be CONNECTED")


def submit_thirty(constellation, endpoint, max_attempts):
    return constellation.start_client(
        endpoint, "submit", "--capability", "compute", "--payload", SLEEP_1S, "--count", "30",
        "--max-attempts", str(max_attempts), "--timeout", "60s", "--wait", client_id="orchestrator")


def tasks_running_on(constellation, endpoint, device_id):
    return {task_id for task_id, row in constellation.tasks(endpoint).items()
            if row["device_id"] == device_id and row["state"] == "RUNNING"}


def full_slots(constellation, endpoint):
    """Return the victim's two RUNNING tasks once both of its slots are busy, else None."""
    running = tasks_running_on(constellation, endpoint, VICTIM)
    return running if len(running) == 2 else None


def test_killed_device_tasks_fail_within_one_second(constellation, host):
    broker = constellation.start_broker(*FAST_HEARTBEAT, host=host)
    start_three_devices(constellation, broker.endpoint)
    victim = next(p for p in constellation.processes if p.name == f"device-{VICTIM}")

    client = submit_thirty(constellation, broker.endpoint, max_attempts=1)
    victim_tasks = wait_until(lambda: full_slots(constellation, broker.endpoint), 10,
                              "both slots of the victim RUNNING")
    killed_at = victim.kill()

    assert client.wait(60) == 1
    outcomes = by_task(client.json_lines())
    assert len(outcomes) == 30

    # The tasks seen running on the victim, and only tasks of the victim, failed.
    failed = {task_id for task_id, (_, row) in outcomes.items() if row["state"] != "COMPLETED"}
    assert victim_tasks <= failed
    assert len(failed) <= 2, f"more tasks failed than the victim has slots: {sorted(failed)}"
    for task_id in failed:
        at, row = outcomes[task_id]
        assert row["state"] == "FAILED"
        assert row["reason"] == "device_disconnected"
        assert row["device_id"] == VICTIM
        assert at - killed_at < 1.0, f"{task_id} reported {at - killed_at:.3f}s after the kill"

    for task_id, (_, row) in outcomes.items():
        if task_id not in failed:
            assert row["device_id"] != VICTIM, f"{task_id} was dispatched to the killed device"


def test_killed_device_tasks_are_reassigned(constellation, host):
    broker = constellation.start_broker(*FAST_HEARTBEAT, host=host)
    start_three_devices(constellation, broker.endpoint)
    victim = next(p for p in constellation.processes if p.name == f"device-{VICTIM}")

    client = submit_thirty(constellation, broker.endpoint, max_attempts=3)
    victim_tasks = wait_until(lambda: full_slots(constellation, broker.endpoint), 10,
                              "both slots of the victim RUNNING")
    victim.kill()

    assert client.wait(60) == 0
    outcomes = by_task(client.json_lines())
    assert len(outcomes) == 30
    assert all(row["state"] == "COMPLETED" for _, row in outcomes.values())
    for task_id in victim_tasks:
        _, row = outcomes[task_id]
        assert row["attempts"] == 2, f"{task_id}: {row}"
        assert row["device_id"] != VICTIM, f"{task_id}: {row}"


def test_restarted_device_is_scheduled_again(constellation, host):
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--device-grace", "30s", host=host)
    start_three_devices(constellation, broker.endpoint)
    victim = next(p for p in constellation.processes if p.name == f"device-{VICTIM}")

    victim.kill()
    wait_until(lambda: VICTIM not in connected_ids(constellation.devices(broker.endpoint)),
               5, "the killed device to leave CONNECTED")

    restarted = constellation.start_device(broker.endpoint, VICTIM, "--capability", "compute",
                                           "--slots", "2")
    wait_until(lambda: VICTIM in connected_ids(constellation.devices(broker.endpoint)),
               1.0, "the restarted device to be CONNECTED within 1 s")
    assert restarted.running()

    echo = json.dumps({"action": "echo", "data": {"n": 7}})
    result = constellation.run_client(broker.endpoint, "submit", "--device", VICTIM, "--payload", echo,
                                      "--count", "3", "--timeout", "10s", "--wait")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(rows) == 3
    for row in rows:
        assert row["device_id"] == VICTIM
        assert row["result"] == {"n": 7}
