#!/usr/bin/python3
"""End-to-end demo: a broker, three devices and an orchestrator on loopback.

It submits tasks, kills one device mid-task, shows its tasks failing and being reassigned,
restarts the device, shows it scheduled again, and stops everything. It prints a timeline and
exits 0 only when every step held.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from constellation import Constellation, ConstellationError, by_task, connected_ids, wait_until  # noqa: E402

DEVICES = ("alpha", "bravo", "charlie")
VICTIM = "bravo"
TASK_COUNT = 12


class Timeline:
    """Prints numbered steps with the seconds since the demo started, and records failures."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.failures: list[str] = []

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.2f}s] {text}", flush=True)

    def check(self, condition: bool, text: str) -> bool:
        self.say(("ok    " if condition else "FAILED ") + text)
        if not condition:
            self.failures.append(text)
        return condition


def natural_key(task_id: str) -> tuple[str, int]:
    """Sort key that orders "x-2" before "x-10"."""
    prefix, _, number = task_id.rpartition("-")
    return (prefix, int(number)) if number.isdigit() else (task_id, 0)


def print_devices(timeline: Timeline, devices: dict[str, dict]) -> None:
    for device_id in sorted(devices):
        row = devices[device_id]
        timeline.say(f"        {device_id:<8} {row['state']:<13} running {row['running']}/{row['slots']}")


def run(bin_dir: Path, log_dir: Path) -> int:
    timeline = Timeline()
    with Constellation(log_dir, bin_dir=bin_dir) as group:
        broker = group.start_broker("--heartbeat-interval", "200ms", "--heartbeat-liveness", "3",
                                    "--device-grace", "30s")
        timeline.say(f"broker listening on {broker.endpoint} (heartbeat 200ms x 3: a silent peer is lost after 600ms)")

        for device_id in DEVICES:
            group.start_device(broker.endpoint, device_id, "--capability", "demo", "--slots", "2")
        wait_until(lambda: connected_ids(group.devices(broker.endpoint)) == set(DEVICES), 10,
                   "three devices to be CONNECTED")
        timeline.say("three devices registered:")
        print_devices(timeline, group.devices(broker.endpoint))

        watcher = group.start_client(broker.endpoint, "watch", "--json", "--for", "60s", client_id="watcher",
                                     name="watcher")
        payload = json.dumps({"action": "sleep", "ms": 1500})
        orchestrator = group.start_client(broker.endpoint, "submit", "--capability", "demo", "--payload", payload,
                                          "--count", str(TASK_COUNT), "--max-attempts", "3", "--timeout", "60s",
                                          "--wait", client_id="orchestrator")
        timeline.say(f"orchestrator submitted {TASK_COUNT} tasks of 1.5 s each (max 3 attempts)")

        def victim_tasks():
            """Return the victim's RUNNING tasks once both of its slots are busy, else None."""
            rows = group.tasks(broker.endpoint).values()
            running = {row["task_id"] for row in rows if row["device_id"] == VICTIM and row["state"] == "RUNNING"}
            return running if len(running) == 2 else None

        running_on_victim = wait_until(victim_tasks, 10, f"two tasks RUNNING on {VICTIM}")
        victim = next(process for process in group.processes if process.name == f"device-{VICTIM}")
        killed_at = victim.kill()
        timeline.say(f"killed {VICTIM} with SIGKILL while it ran {', '.join(sorted(running_on_victim))}")

        wait_until(lambda: VICTIM not in connected_ids(group.devices(broker.endpoint)), 5,
                   f"{VICTIM} to be DISCONNECTED")
        detected_after = time.monotonic() - killed_at
        timeline.check(detected_after < 1.0, f"{VICTIM} marked DISCONNECTED {detected_after * 1000:.0f} ms after the kill")
        print_devices(timeline, group.devices(broker.endpoint))

        exit_code = orchestrator.wait(60)
        outcomes = by_task(orchestrator.json_lines())

        timeline.say("what the broker published after the kill (watch --json):")
        for at, event in watcher.json_lines():
            if at < killed_at:
                continue
            concerns_victim = event["id"] == VICTIM or event["id"] in running_on_victim
            if concerns_victim:
                reason = f" ({event['reason']})" if event.get("reason") else ""
                where = f" on {event['device_id']}" if event.get("device_id") else ""
                timeline.say(f"        +{(at - killed_at) * 1000:5.0f} ms  {event['kind']:<6} {event['id']:<28} "
                             f"{event['state']}{reason}{where}")
        timeline.say("orchestrator's results:")
        width = max((len(task_id) for task_id in outcomes), default=0)
        for task_id in sorted(outcomes, key=natural_key):
            _, row = outcomes[task_id]
            mark = "  <- reassigned" if task_id in running_on_victim else ""
            timeline.say(f"        {task_id:<{width}}  {row['state']:<10} on {row['device_id']:<8} "
                         f"attempts {row['attempts']}{mark}")

        timeline.check(exit_code == 0 and len(outcomes) == TASK_COUNT,
                       f"all {TASK_COUNT} tasks reported (orchestrator exit code {exit_code})")
        timeline.check(all(row["state"] == "COMPLETED" for _, row in outcomes.values()), "every task COMPLETED")
        reassigned = [outcomes[task_id][1] for task_id in running_on_victim if task_id in outcomes]
        timeline.check(len(reassigned) == len(running_on_victim)
                       and all(row["attempts"] == 2 and row["device_id"] != VICTIM for row in reassigned),
                       f"the {len(running_on_victim)} tasks of {VICTIM} were reassigned (attempt 2, another device)")

        group.start_device(broker.endpoint, VICTIM, "--capability", "demo", "--slots", "2")
        restarted_at = time.monotonic()
        wait_until(lambda: VICTIM in connected_ids(group.devices(broker.endpoint)), 5, f"{VICTIM} to come back")
        timeline.check(time.monotonic() - restarted_at < 1.0,
                       f"{VICTIM} restarted and CONNECTED again after {(time.monotonic() - restarted_at) * 1000:.0f} ms")

        echo = json.dumps({"action": "echo", "data": "hello again"})
        result = group.run_client(broker.endpoint, "submit", "--device", VICTIM, "--payload", echo,
                                  "--timeout", "10s", "--wait")
        rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        timeline.check(result.returncode == 0 and len(rows) == 1 and rows[0]["device_id"] == VICTIM
                       and rows[0]["result"] == "hello again",
                       f"{VICTIM} is scheduled again: echo task answered {rows[0]['result']!r}" if rows
                       else f"{VICTIM} is scheduled again (no result: {result.stderr.strip()})")

        timeline.say("stopping every process")

    if timeline.failures:
        timeline.say(f"demo FAILED: {len(timeline.failures)} step(s) did not hold; logs in {log_dir}")
        return 1
    timeline.say("demo finished: every step held")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", type=Path, default=Path(__file__).resolve().parents[2] / "build" / "bin",
                        help="folder with aip-broker, aip-device and aip-client (default: build/bin)")
    parser.add_argument("--logs", type=Path, default=None,
                        help="folder for the processes' logs (default: a new temporary folder)")
    arguments = parser.parse_args()

    log_dir = arguments.logs or Path(tempfile.mkdtemp(prefix="aip-demo-"))
    try:
        return run(arguments.bin, log_dir)
    except ConstellationError as error:
        print(f"demo FAILED: {error}; logs in {log_dir}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
