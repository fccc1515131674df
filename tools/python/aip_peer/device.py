"""A device peer: registers capabilities and slots, runs each ASSIGN in a worker thread."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .codec import Command, Message, make
from .session import Session

log = logging.getLogger("aip_peer.device")


class TaskFailed(Exception):
    """Raised by a handler to report RESULT with ok false; the message becomes `error`."""


@dataclass
class Task:
    """One attempt of a task on this device. The handler should return soon after `cancelled` is set."""

    task_id: str
    attempt: int
    payload: bytes
    timeout_ms: int
    cancelled: threading.Event = field(default_factory=threading.Event)


# Returns the task output (None for no payload frame), or raises to report a failure.
Handler = Callable[[Task], Optional[bytes]]
# Receives an event name ("registered", "started", "result", "aborted", "lost", "gave_up") and details.
EventHook = Callable[[str, dict[str, Any]], None]


class Device:
    """A device that serves tasks with `handler` until stop().

    Every ASSIGN gets STARTED at once; the handler then runs in its own thread and its
    return value becomes RESULT. ABORT and broker loss set the task's `cancelled` event and
    discard its result.
    """

    def __init__(
        self,
        endpoint: str,
        device_id: str,
        handler: Handler,
        *,
        capabilities: tuple[str, ...] = (),
        slots: int = 1,
        on_event: EventHook = lambda name, details: None,
        **session_options: Any,
    ):
        self.device_id = device_id
        self.slots = slots
        self._handler = handler
        self._on_event = on_event
        self._lock = threading.Lock()
        self._running: dict[tuple[str, int], Task] = {}
        register_body = {"role": "device", "device_id": device_id, "capabilities": list(capabilities),
                         "slots": slots}
        self.session = Session(
            endpoint,
            register_body,
            on_message=self._handle,
            on_registered=self._registered,
            on_lost=self._lost,
            on_gave_up=lambda: self._on_event("gave_up", {}),
            **session_options,
        )

    def start(self) -> "Device":
        self.session.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Leave the broker (DISCONNECT) and cancel the tasks still running."""
        self.session.stop(timeout)
        self._cancel_all("device stopping")

    def wait_registered(self, timeout: float) -> bool:
        return self.session.wait_registered(timeout)

    def running(self) -> list[tuple[str, int]]:
        """Return the (task_id, attempt) pairs in progress."""
        with self._lock:
            return list(self._running)

    # ----- callbacks on the session thread -------------------------------------------------------

    def _registered(self, body: dict[str, Any]) -> None:
        # A device that registers again starts with no running tasks (SPEC.md section 4).
        self._cancel_all("registered again")
        self._on_event("registered", {"heartbeat_ms": body["heartbeat_ms"]})

    def _lost(self, reason: str) -> None:
        self._cancel_all("broker lost")
        self._on_event("lost", {"reason": reason})

    def _handle(self, message: Message) -> None:
        if message.command is Command.ASSIGN:
            self._assign(message)
        elif message.command is Command.ABORT:
            self._abort(message.body)
        elif message.command is Command.ERROR:
            self._on_event("error", {"code": message.body["code"], "message": message.body["message"]})
        else:
            log.warning("%s ignored unexpected %s", self.device_id, message.command.name)

    def _assign(self, message: Message) -> None:
        body = message.body
        task = Task(body["task_id"], body["attempt"], message.payload or b"", body["timeout_ms"])
        key = (task.task_id, task.attempt)
        with self._lock:
            if len(self._running) >= self.slots:
                log.error("%s got task %s with all %d slots busy", self.device_id, task.task_id, self.slots)
                self.session.send(make(Command.RESULT, task_id=task.task_id, attempt=task.attempt, ok=False,
                                       error="no free slot"))
                return
            self._running[key] = task
            self.session.send(make(Command.STARTED, task_id=task.task_id, attempt=task.attempt))

        log.info("%s started task %s attempt %d", self.device_id, task.task_id, task.attempt)
        self._on_event("started", {"task_id": task.task_id, "attempt": task.attempt})
        threading.Thread(target=self._work, args=(task,), name=f"aip-task-{task.task_id}", daemon=True).start()

    def _abort(self, body: dict[str, Any]) -> None:
        with self._lock:
            task = self._running.pop((body["task_id"], body["attempt"]), None)
        if task is None:
            log.info("%s ignored ABORT of task %s attempt %d that is not running", self.device_id,
                     body["task_id"], body["attempt"])
            return
        task.cancelled.set()
        log.info("%s aborted task %s attempt %d: %s", self.device_id, task.task_id, task.attempt, body["reason"])
        self._on_event("aborted", {"task_id": task.task_id, "attempt": task.attempt, "reason": body["reason"]})

    def _cancel_all(self, why: str) -> None:
        with self._lock:
            tasks = list(self._running.values())
            self._running.clear()
        for task in tasks:
            task.cancelled.set()
            log.info("%s cancelled task %s attempt %d: %s", self.device_id, task.task_id, task.attempt, why)
            self._on_event("aborted", {"task_id": task.task_id, "attempt": task.attempt, "reason": why})

    # ----- worker threads -----------------------------------------------------------------------

    def _work(self, task: Task) -> None:
        output: Optional[bytes] = None
        error = ""
        try:
            output = self._handler(task)
        except Exception as failure:  # any handler failure is the task's failure, not the device's
            error = str(failure) or type(failure).__name__
            log.info("%s task %s attempt %d failed: %s", self.device_id, task.task_id, task.attempt, error)

        with self._lock:
            if self._running.pop((task.task_id, task.attempt), None) is None:
                log.info("%s dropped the result of task %s attempt %d: no longer running", self.device_id,
                         task.task_id, task.attempt)
                return
            sent = self.session.send(make(Command.RESULT, payload=output, task_id=task.task_id,
                                          attempt=task.attempt, ok=not error, error=error))
        if not sent:
            log.warning("%s could not send the result of task %s: not registered", self.device_id, task.task_id)
        self._on_event("result", {"task_id": task.task_id, "attempt": task.attempt, "ok": not error, "error": error})
