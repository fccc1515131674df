"""Devices killed and restarted under load: no accepted task is lost or reported twice."""

import json
import random
import time
from collections import Counter

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, wait_until

DEVICES = [f"chaos-{index}" for index in range(5)]
TASKS = 200


def start(constellation, endpoint, device_id):
    return constellation.start_device(endpoint, device_id, "--capability", "work", "--slots", "3",
                                      "--reconnect-policy", "exponential", "--initial-backoff", "100ms",
                                      "--max-backoff", "500ms", "--jitter", "full", "--max-retries", "50",
                                      "--register-timeout", "500ms")


def test_device_kills_lose_no_task_and_duplicate_none(constellation):
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--device-grace", "30s")
    devices = {device_id: start(constellation, broker.endpoint, device_id) for device_id in DEVICES}
    wait_until(lambda: connected_ids(constellation.devices(broker.endpoint)) == set(DEVICES), 10,
               "five devices to be CONNECTED")

    payload = json.dumps({"action": "sleep", "ms": 400})
    client = constellation.start_client(broker.endpoint, "submit", "--capability", "work", "--payload", payload,
                                        "--count", str(TASKS), "--max-attempts", "20", "--timeout", "90s",
                                        "--wait", client_id="steady")

    # Kill a random device every 400 ms for 6 s, and restart it after a short pause. The seed is
    # fixed so that a failure can be replayed with the same order of victims.
    chooser = random.Random(7)
    chaos_until = time.monotonic() + 6.0
    kills = 0
    while time.monotonic() < chaos_until and client.running():
        victim = chooser.choice(DEVICES)
        devices[victim].kill()
        kills += 1
        devices[victim] = start(constellation, broker.endpoint, victim)
        # Pacing of the fault injection itself, not a wait for a condition.
        time.sleep(0.4)

    assert client.wait(120) == 0, "some tasks did not complete"
    outcomes = [row for _, row in client.json_lines() if "task_id" in row]
    counts = Counter(row["task_id"] for row in outcomes)
    assert len(counts) == TASKS, f"{TASKS - len(counts)} accepted tasks have no outcome"
    duplicated = [task_id for task_id, count in counts.items() if count > 1]
    assert duplicated == [], f"tasks reported more than once: {duplicated}"
    assert all(row["state"] == "COMPLETED" for row in outcomes)
    assert kills >= 5

    # The broker's own table agrees: every task of this client ended COMPLETED exactly once.
    table = constellation.tasks(broker.endpoint)
    assert sum(1 for row in table.values() if row["client_id"] == "steady" and row["state"] == "COMPLETED") == TASKS
