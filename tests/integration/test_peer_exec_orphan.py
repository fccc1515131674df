"""A program started by the exec action dies with a device killed with SIGKILL."""

import json
import os
from pathlib import Path

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, wait_until

# An unusual duration marks the sleep process among the others on the machine.
SLEEP_SECONDS = "47.3"


def children_running(parent_pid: int, argv: list[str]) -> list[int]:
    """Return the pids of the live processes whose parent is `parent_pid` and whose argv is `argv`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        # The fields after the parenthesized command name are: state, ppid, ...
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z" or int(fields[1]) != parent_pid:
            continue
        if cmdline.split(b"\0")[:-1] == [part.encode() for part in argv]:
            found.append(int(entry.name))
    return found


def process_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_exec_program_dies_with_killed_device(constellation):
    broker = constellation.start_broker(*FAST_HEARTBEAT)
    device = constellation.start_device(broker.endpoint, "executor", "--allow-exec")
    wait_until(lambda: "executor" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to be CONNECTED")

    argv = ["sleep", SLEEP_SECONDS]
    payload = json.dumps({"action": "exec", "argv": argv})
    # The client waits, because the broker cancels the tasks of a client that leaves.
    constellation.start_client(broker.endpoint, "submit", "--device", "executor", "--payload", payload,
                               "--wait", client_id="exec-submitter")

    sleepers = wait_until(lambda: children_running(device.pid, argv), 10, "the sleep process to start")
    assert len(sleepers) == 1, sleepers
    sleeper = sleepers[0]

    device.kill()
    try:
        wait_until(lambda: not process_alive(sleeper), 2, "the sleep process to end")
    finally:
        if process_alive(sleeper):
            os.kill(sleeper, 9)
