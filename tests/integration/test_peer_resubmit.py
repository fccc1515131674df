"""aip-client submit --wait across a broker killed and restarted on the same endpoint."""

import json
import time

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, wait_until

SLEEP_PAYLOAD = json.dumps({"action": "sleep", "ms": 1500})
TASK_COUNT = 3


def test_submit_wait_resubmits_tasks_to_restarted_broker(constellation):
    broker = constellation.start_broker(*FAST_HEARTBEAT)
    constellation.start_device(broker.endpoint, "worker", "--slots", str(TASK_COUNT),
                               "--initial-backoff", "200ms", "--max-backoff", "1s")
    wait_until(lambda: "worker" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to be CONNECTED")

    client = constellation.start_client(broker.endpoint, "submit", "--device", "worker",
                                        "--payload", SLEEP_PAYLOAD, "--count", str(TASK_COUNT),
                                        "--task-id", "survivor", "--wait", "--wait-timeout", "30s",
                                        client_id="resubmitter")
    task_ids = {f"survivor-{index}" for index in range(1, TASK_COUNT + 1)}

    def all_running():
        tasks = constellation.tasks(broker.endpoint)
        return all(tasks.get(task_id, {}).get("state") == "RUNNING" for task_id in task_ids)

    wait_until(all_running, 10, "the tasks to be RUNNING")

    broker.process.kill()
    restarted = constellation.start_broker(*FAST_HEARTBEAT, endpoint=broker.endpoint,
                                           name="broker-restarted")

    started = time.monotonic()
    code = client.wait(20)
    elapsed = time.monotonic() - started

    finals = {value["task_id"]: value for _, value in client.json_lines() if "task_id" in value}
    assert code == 0, client.log_text()
    assert set(finals) == task_ids, client.log_text()
    for task_id in sorted(task_ids):
        assert finals[task_id]["state"] == "COMPLETED", finals[task_id]
    assert elapsed < 15, f"the client ended {elapsed:.1f}s after the restart"
    log = client.log_text()
    assert f"sent SUBMIT again for {len(task_ids)} unfinished task(s)" in log, log
    assert set(constellation.tasks(restarted.endpoint)) >= task_ids
