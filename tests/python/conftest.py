"""Fixtures of the Python conformance suite: a real aip-broker on loopback, raw peers, Python peers.

Binaries come from AIP_BIN_DIR (default build/bin). Every wait has a deadline.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import pytest
import zmq

ROOT = Path(__file__).resolve().parents[2]
PYTHON_LIBRARY = ROOT / "tools" / "python"
sys.path.insert(0, str(ROOT / "tools" / "demo"))
sys.path.insert(0, str(PYTHON_LIBRARY))
# Child Python processes (the device runner) import the same library.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHON_LIBRARY), os.environ.get("PYTHONPATH")]))

from aip_peer.codec import Command, CodecError, Message, decode, make  # noqa: E402
from constellation import Constellation, Process, wait_until  # noqa: E402

# Heartbeat every 200 ms, a peer is lost after 3 silent intervals (600 ms).
HEARTBEAT_MS = 200
LIVENESS = 3
FAST_HEARTBEAT = ("--heartbeat-interval", f"{HEARTBEAT_MS}ms", "--heartbeat-liveness", str(LIVENESS))
# Reconnect advice that keeps reconnection tests short.
FAST_RECONNECT = ("--initial-backoff", "100ms", "--max-backoff", "500ms", "--max-retries", "20")
PYTHON = "/usr/bin/python3"


class RawPeer:
    """A DEALER socket that sends and receives AIP frames as the test writes them."""

    def __init__(self, endpoint: str, context: zmq.Context):
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)

    def send(self, frames: list[bytes]) -> None:
        self.socket.send_multipart(frames)

    def send_message(self, command: Command, payload: Optional[bytes] = None, **body) -> None:
        self.send(make(command, payload, **body))

    def receive_frames(self, timeout: float = 3.0) -> Optional[list[bytes]]:
        if not self.socket.poll(timeout * 1000, zmq.POLLIN):
            return None
        return self.socket.recv_multipart()

    def receive(self, timeout: float = 3.0, skip_heartbeats: bool = True) -> Message:
        """Return the next message (HEARTBEATs skipped by default); fail the test on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            frames = self.receive_frames(max(0.0, deadline - time.monotonic()))
            if frames is None:
                pytest.fail(f"no message within {timeout:.1f}s")
            message = decode(frames)
            if not (skip_heartbeats and message.command is Command.HEARTBEAT):
                return message

    def expect(self, command: Command, timeout: float = 3.0) -> Message:
        """Return the next message of `command`, skipping heartbeats and failing on anything else."""
        message = self.receive(timeout)
        assert message.command is command, f"expected {command.name}, got {message.command.name} {message.body}"
        return message

    def expect_error(self, timeout: float = 3.0) -> dict:
        return self.expect(Command.ERROR, timeout).body

    def register_device(self, device_id: str, capabilities=(), slots: int = 1, **extra) -> dict:
        self.send_message(Command.REGISTER, role="device", device_id=device_id, capabilities=list(capabilities),
                          slots=slots, **extra)
        return self.expect(Command.REGISTERED).body

    def register_client(self, client_id: str, **extra) -> dict:
        self.send_message(Command.REGISTER, role="client", client_id=client_id, **extra)
        return self.expect(Command.REGISTERED).body

    def close(self) -> None:
        self.socket.close()


class Lab:
    """A broker and the peers of one test; everything is closed after the test."""

    def __init__(self, constellation: Constellation):
        self.constellation = constellation
        self.context = zmq.Context()
        self.peers: list[RawPeer] = []
        self.closers: list = []
        self.endpoint = ""
        self.broker: Optional[Process] = None

    def start_broker(self, *options: str, endpoint: str = "tcp://127.0.0.1:*", name: str = "broker") -> str:
        started = self.constellation.start_broker(*FAST_HEARTBEAT, *options, endpoint=endpoint, name=name)
        self.broker, self.endpoint = started.process, started.endpoint
        return self.endpoint

    def raw_peer(self) -> RawPeer:
        peer = RawPeer(self.endpoint, self.context)
        self.peers.append(peer)
        return peer

    def keep(self, peer):
        """Stop `peer` (a Device or Client) when the test ends, and return it."""
        self.closers.append(peer.stop)
        return peer

    def python_device(self, device_id: str, *options: str) -> Process:
        """Start `python3 -m aip_peer.device_main` as a separate process."""
        return self.constellation.spawn(f"pydevice-{device_id}", [
            PYTHON, "-m", "aip_peer.device_main", "--connect", self.endpoint, "--id", device_id, *options])

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
        for peer in self.peers:
            peer.close()
        self.context.term()


def json_events(process: Process, name: str) -> list[dict]:
    """Return the JSON lines of a Python device process whose event is `name`."""
    return [value for _, value in process.json_lines() if value.get("event") == name]


def wait_for_event(process: Process, name: str, timeout: float = 5.0, count: int = 1) -> list[dict]:
    return wait_until(lambda: len(json_events(process, name)) >= count and json_events(process, name),
                      timeout, f"{count} '{name}' event(s) from {process.name}")


@pytest.fixture
def constellation(tmp_path, request):
    group = Constellation(tmp_path / "logs")
    yield group
    group.close()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for process in group.processes:
            print(f"===== {process.name} ({' '.join(process.argv)})")
            print(process.log_text()[-6000:])


@pytest.fixture
def lab(constellation):
    bench = Lab(constellation)
    yield bench
    bench.close()


@pytest.fixture
def broker(lab) -> str:
    """A broker with fast heartbeats; returns its endpoint."""
    return lab.start_broker(*FAST_RECONNECT)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


__all__ = ["CodecError", "Command", "HEARTBEAT_MS", "LIVENESS", "Lab", "RawPeer", "json_events",
           "wait_for_event", "wait_until"]
