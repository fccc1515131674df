"""Run a Python device from the command line: python3 -m aip_peer.device_main --connect EP --id ID.

The device echoes each task's input as its output, with two exceptions that let tests steer it:
an input `sleep:SECONDS` waits that long (or until aborted) and returns `slept`, and an input
`fail:TEXT` fails the task with error TEXT. These inputs may also arrive as a MessagePack string
(as `aip-client submit --payload '"fail:TEXT"'` sends them). Each device event is printed to stdout as one JSON
line, for example {"event": "started", "task_id": "t-1", "attempt": 1}.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

import msgpack

from .device import Device, Task, TaskFailed
from .reconnect import ReconnectPolicy


def instruction(payload: bytes) -> bytes:
    """Return the payload, unwrapped when it is exactly one MessagePack string."""
    try:
        value = msgpack.unpackb(payload)
    except Exception:  # any input that is not MessagePack is taken as it is
        return payload
    return value.encode() if isinstance(value, str) else payload


def echo(task: Task) -> bytes:
    text = instruction(task.payload)
    if text.startswith(b"sleep:"):
        seconds = float(text[len(b"sleep:"):])
        if task.cancelled.wait(seconds):
            raise TaskFailed("cancelled")
        return b"slept"
    if text.startswith(b"fail:"):
        raise TaskFailed(text[len(b"fail:"):].decode("utf-8", "replace"))
    return task.payload


def print_event(name: str, details: dict) -> None:
    print(json.dumps({"event": name, **details}), flush=True)


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m aip_peer.device_main", description=__doc__.splitlines()[0])
    parser.add_argument("--connect", required=True, help="broker endpoint, for example tcp://127.0.0.1:5555")
    parser.add_argument("--id", required=True, help="device id: 1 to 128 printable ASCII bytes")
    parser.add_argument("--capability", action="append", default=[], help="capability to offer; repeatable")
    parser.add_argument("--slots", type=int, default=1, help="tasks run at once (1 to 1024, default 1)")
    parser.add_argument("--register-timeout", type=float, default=5.0,
                        help="seconds to wait for REGISTERED before retrying (default 5)")
    parser.add_argument("--reconnect-policy", choices=("exponential", "linear", "immediate", "none"),
                        help="use this policy instead of the broker's recommendation, with --max-retries and "
                             "--initial-backoff-ms and the SPEC.md defaults for the other settings")
    parser.add_argument("--max-retries", type=int, default=5, help="retries with --reconnect-policy (default 5)")
    parser.add_argument("--initial-backoff-ms", type=int, default=1000,
                        help="first retry delay in milliseconds with --reconnect-policy (default 1000)")
    parser.add_argument("--log-level", default="info", help="debug, info, warning or error (default info)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=arguments.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    gave_up = threading.Event()
    stopping = threading.Event()

    def on_event(name: str, details: dict) -> None:
        print_event(name, details)
        if name == "gave_up":
            gave_up.set()
            stopping.set()

    options = {}
    if arguments.reconnect_policy is not None:
        options["policy"] = ReconnectPolicy(policy=arguments.reconnect_policy, max_retries=arguments.max_retries,
                                            initial_backoff_ms=arguments.initial_backoff_ms)
    device = Device(arguments.connect, arguments.id, echo, capabilities=tuple(arguments.capability),
                    slots=arguments.slots, on_event=on_event, register_timeout=arguments.register_timeout,
                    **options)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    device.start()
    while not stopping.wait(1.0):
        pass
    device.stop()
    return 3 if gave_up.is_set() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
