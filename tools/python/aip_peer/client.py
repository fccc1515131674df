"""A client peer: submits tasks, waits for their updates, cancels, queries and subscribes."""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from typing import Any, Optional

from .codec import Command, Message, make
from .session import Session

log = logging.getLogger("aip_peer.client")

DEFAULT_WAIT = 5.0


class BrokerError(Exception):
    """An ERROR from the broker in reply to a request of this client."""

    def __init__(self, body: dict[str, Any]):
        super().__init__(f"{body['code']}: {body['message']}")
        self.code: str = body["code"]
        self.body = body


class Client:
    """A client whose requests survive reconnection: unanswered SUBMITs are sent again on every
    new registration (a task id makes SUBMIT idempotent), and so is an enabled subscription."""

    def __init__(self, endpoint: str, client_id: str, **session_options: Any):
        self.client_id = client_id
        self._changed = threading.Condition()
        self._unanswered: dict[str, list[bytes]] = {}
        self._accepted: dict[str, bool] = {}
        self._rejected: dict[str, BrokerError] = {}
        self._updates: dict[str, list[Message]] = collections.defaultdict(list)
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: collections.deque[Message] = collections.deque()
        self._subscribed = False
        self._request_ids = itertools.count(1)
        self.errors: list[dict[str, Any]] = []
        self.session = Session(endpoint, {"role": "client", "client_id": client_id},
                               on_message=self._handle, on_registered=self._registered, **session_options)

    def start(self) -> "Client":
        self.session.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.session.stop(timeout)

    def wait_registered(self, timeout: float) -> bool:
        return self.session.wait_registered(timeout)

    # ----- requests -----------------------------------------------------------------------------

    def submit(self, task_id: str, payload: bytes = b"", *, device_id: Optional[str] = None,
               capability: Optional[str] = None, timeout_ms: int = 0, max_attempts: int = 1,
               reassign: bool = True, timeout: float = DEFAULT_WAIT) -> bool:
        """Submit a task and wait for ACCEPTED; return its `duplicate` flag.

        Raises BrokerError when the broker rejects the task and TimeoutError when no reply comes
        within `timeout` seconds.
        """
        frames = make(Command.SUBMIT, payload=payload, task_id=task_id, device_id=device_id,
                      capability=capability, timeout_ms=timeout_ms, max_attempts=max_attempts, reassign=reassign)
        with self._changed:
            self._accepted.pop(task_id, None)
            self._rejected.pop(task_id, None)
            self._unanswered[task_id] = frames
        self.session.send(frames)

        with self._changed:
            answered = self._changed.wait_for(lambda: task_id in self._accepted or task_id in self._rejected,
                                              timeout)
            self._unanswered.pop(task_id, None)
            if not answered:
                raise TimeoutError(f"no ACCEPTED for task {task_id} within {timeout:.1f}s")
            if task_id in self._rejected:
                raise self._rejected[task_id]
            return self._accepted[task_id]

    def cancel(self, task_id: str) -> bool:
        """Send CANCEL; return False when not registered. The outcome arrives as a TASK_UPDATE."""
        return self.session.send(make(Command.CANCEL, task_id=task_id))

    def wait_final(self, task_id: str, timeout: float = DEFAULT_WAIT) -> Message:
        """Wait for the final TASK_UPDATE of `task_id`; raise TimeoutError when none comes in time."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._final(task_id) is not None, timeout):
                raise TimeoutError(f"task {task_id} reached no final state within {timeout:.1f}s")
            return self._final(task_id)

    def updates(self, task_id: str) -> list[Message]:
        """Return every TASK_UPDATE received for `task_id`, oldest first."""
        with self._changed:
            return list(self._updates.get(task_id, ()))

    def query(self, what: str, timeout: float = DEFAULT_WAIT) -> list[dict[str, Any]]:
        """Query "devices" or "tasks" and return the reply's entries.

        A reply that the broker cut to fit its message size limit is logged as a warning.
        """
        request_id = next(self._request_ids)
        deadline = time.monotonic() + timeout
        if not self.session.wait_registered(timeout) or not self.session.send(
                make(Command.QUERY, request_id=request_id, what=what)):
            raise TimeoutError(f"could not send QUERY {what}: not registered within {timeout:.1f}s")
        with self._changed:
            if not self._changed.wait_for(lambda: request_id in self._replies, deadline - time.monotonic()):
                raise TimeoutError(f"no QUERY_REPLY for {what} within {timeout:.1f}s")
            reply = self._replies.pop(request_id)
        if reply.get("truncated"):
            log.warning("the broker left out some %s to keep its QUERY_REPLY within its message size limit; "
                        "%d returned", what, len(reply[what]))
        return reply[what]

    def subscribe(self, enabled: bool = True) -> bool:
        """Ask for EVENT messages (or stop them); the request is repeated after each reconnection."""
        self._subscribed = enabled
        return self.session.send(make(Command.SUBSCRIBE, enabled=enabled))

    def next_event(self, timeout: float = DEFAULT_WAIT) -> Optional[Message]:
        """Return the oldest EVENT not yet taken, or None when none arrives within `timeout`."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._events, timeout):
                return None
            return self._events.popleft()

    # ----- session thread -----------------------------------------------------------------------

    def _final(self, task_id: str) -> Optional[Message]:
        return next((update for update in self._updates.get(task_id, ()) if update.body["final"]), None)

    def _registered(self, body: dict[str, Any]) -> None:
        with self._changed:
            pending = list(self._unanswered.values())
        for frames in pending:
            self.session.send(frames)
        if self._subscribed:
            self.session.send(make(Command.SUBSCRIBE, enabled=True))

    def _handle(self, message: Message) -> None:
        body = message.body
        with self._changed:
            if message.command is Command.ACCEPTED:
                self._accepted[body["task_id"]] = body["duplicate"]
            elif message.command is Command.TASK_UPDATE:
                self._updates[body["task_id"]].append(message)
            elif message.command is Command.QUERY_REPLY:
                self._replies[body["request_id"]] = body
            elif message.command is Command.EVENT:
                self._events.append(message)
            elif message.command is Command.ERROR:
                self.errors.append(body)
                if "task_id" in body and body["task_id"] in self._unanswered:
                    self._rejected[body["task_id"]] = BrokerError(body)
            else:
                log.warning("%s ignored unexpected %s", self.client_id, message.command.name)
            self._changed.notify_all()
