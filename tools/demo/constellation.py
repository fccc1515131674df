"""Start and stop a constellation of aip processes on loopback: broker, devices, clients.

Used by the demo (tools/demo/demo.py) and by the integration tests (tests/integration/). Every
wait has a deadline, and every process started here is killed when its Constellation closes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN_DIR = ROOT / "build" / "bin"


class ConstellationError(RuntimeError):
    """A process did not start, or a condition did not hold before its deadline."""


def wait_until(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.02):
    """Poll predicate until it returns a truthy value, and return that value.

    Raises ConstellationError naming `what` when `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConstellationError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def free_tcp_endpoint() -> str:
    """Return a tcp endpoint on 127.0.0.1 with a port that was free a moment ago.

    Only for tests that must know the endpoint before the broker starts; otherwise bind port *.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


@dataclass
class Line:
    """One line of a process's output, with the monotonic time at which it was read."""

    at: float
    text: str


class Process:
    """A child process whose stdout is collected line by line in a background thread.

    stderr (the logs) goes to a file next to the other logs of the constellation.
    """

    def __init__(self, name: str, argv: list[str], log_dir: Path):
        self.name = name
        self.argv = argv
        self.stderr_path = log_dir / f"{name}.log"
        self.lines: list[Line] = []
        self._lock = threading.Lock()
        self._stderr = open(self.stderr_path, "ab")
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self) -> None:
        assert self.popen.stdout is not None
        for raw in self.popen.stdout:
            line = Line(time.monotonic(), raw.decode("utf-8", "replace").rstrip("\n"))
            with self._lock:
                self.lines.append(line)

    def output(self) -> list[Line]:
        with self._lock:
            return list(self.lines)

    def json_lines(self) -> list[tuple[float, dict]]:
        """Return the stdout lines that parse as JSON objects, with their arrival times."""
        result = []
        for line in self.output():
            try:
                value = json.loads(line.text)
            except ValueError:
                continue
            if isinstance(value, dict):
                result.append((line.at, value))
        return result

    def log_text(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> float:
        """Send SIGKILL to the process (not its children) and return the monotonic time of the kill."""
        at = time.monotonic()
        if self.running():
            self.popen.kill()
        self.popen.wait(timeout=10)
        return at

    def stop(self, timeout: float = 5.0) -> Optional[int]:
        """Send SIGTERM, wait up to `timeout` seconds, then SIGKILL the whole process group."""
        if self.running():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group()
        return self.popen.returncode

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise ConstellationError(f"{self.name} did not exit within {timeout:.1f}s") from error

    def _kill_group(self) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._reader.join(timeout=2)
        self._stderr.close()


@dataclass
class Constellation:
    """A set of aip processes sharing one log folder; close() stops them all."""

    log_dir: Path
    bin_dir: Path = field(default_factory=lambda: Path(os.environ.get("AIP_BIN_DIR", DEFAULT_BIN_DIR)))
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in ("aip-broker", "aip-device", "aip-client"):
            if not (self.bin_dir / name).exists():
                raise ConstellationError(f"{self.bin_dir / name} not found: build first with 'tools/run build'")

    def binary(self, name: str) -> str:
        return str(self.bin_dir / name)

    def spawn(self, name: str, argv: list[str]) -> Process:
        process = Process(name, argv, self.log_dir)
        self.processes.append(process)
        return process

    def start_broker(self, *options: str, endpoint: str = "tcp://127.0.0.1:*", name: str = "broker",
                     timeout: float = 10.0, host: str = "aip-broker") -> "Broker":
        """Start a broker bound to `endpoint` and wait for its 'listening on' line.

        `host` is "aip-broker" or "aip-c-host" (the plain C host, which loads libaip_plugin.so and
        accepts only the liveness and timeout options).
        """
        argv = [self.binary(host), "--bind", endpoint, *options]
        if host == "aip-c-host":
            argv += ["--plugin", str(self.bin_dir.parent / "lib" / "libaip_plugin.so")]
        process = self.spawn(name, argv)

        def bound_endpoint():
            for line in process.output():
                if line.text.startswith("aip-broker listening on "):
                    return line.text.rsplit(" ", 1)[1]
            if not process.running():
                raise ConstellationError(f"{host} exited with {process.popen.returncode}:\n{process.log_text()}")
            return None

        return Broker(process, wait_until(bound_endpoint, timeout, "the broker to listen"))

    def start_device(self, endpoint: str, device_id: str, *options: str) -> Process:
        return self.spawn(f"device-{device_id}", [self.binary("aip-device"), "--connect", endpoint,
                                                   "--id", device_id, *options])

    def start_client(self, endpoint: str, *arguments: str, client_id: Optional[str] = None,
                     name: Optional[str] = None) -> Process:
        """Start aip-client in the background (for submit --wait and watch)."""
        argv = [self.binary("aip-client"), "--connect", endpoint]
        if client_id:
            argv += ["--id", client_id]
        return self.spawn(name or f"client-{len(self.processes)}", argv + list(arguments))

    def run_client(self, endpoint: str, *arguments: str, timeout: float = 20.0,
                   client_id: Optional[str] = None) -> subprocess.CompletedProcess:
        """Run aip-client to completion and return its result (stdout and stderr as text)."""
        argv = [self.binary("aip-client"), "--connect", endpoint]
        if client_id:
            argv += ["--id", client_id]
        return subprocess.run(argv + list(arguments), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def devices(self, endpoint: str) -> dict[str, dict]:
        """Return the broker's device table keyed by device id."""
        result = self.run_client(endpoint, "devices", "--json")
        if result.returncode != 0:
            raise ConstellationError(f"aip-client devices failed ({result.returncode}): {result.stderr}")
        return {row["device_id"]: row for row in json.loads(result.stdout)}

    def tasks(self, endpoint: str) -> dict[str, dict]:
        """Return the broker's task table keyed by task id."""
        result = self.run_client(endpoint, "tasks", "--json")
        if result.returncode != 0:
            raise ConstellationError(f"aip-client tasks failed ({result.returncode}): {result.stderr}")
        return {row["task_id"]: row for row in json.loads(result.stdout)}

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop(timeout=3.0)

    def __enter__(self) -> "Constellation":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@dataclass
class Broker:
    process: Process
    endpoint: str


def connected_ids(devices: dict[str, dict]) -> set[str]:
    return {device_id for device_id, row in devices.items() if row["state"] == "CONNECTED"}


def by_task(lines: Iterable[tuple[float, dict]]) -> dict[str, tuple[float, dict]]:
    """Index JSON output lines that carry a task_id by that id (the last line wins)."""
    return {value["task_id"]: (at, value) for at, value in lines if "task_id" in value}
