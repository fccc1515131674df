"""The peer session core: register, heartbeat, detect broker loss, reconnect (SPEC.md section 4).

One background thread owns the DEALER socket; other threads hand it frames through send(). The
callbacks run on that thread and must return quickly.
"""

from __future__ import annotations

import collections
import enum
import logging
import random
import socket
import threading
import time
from typing import Any, Callable, Optional

import zmq

from .codec import DEFAULT_MAX_MESSAGE_BYTES, CodecError, Command, Message, decode, make
from .reconnect import Backoff, ReconnectPolicy

log = logging.getLogger("aip_peer.session")

DEFAULT_REGISTER_TIMEOUT = 5.0
# How long a stopping peer lets its DISCONNECT go out before the socket is closed.
GOODBYE_LINGER_MS = 200


class SessionState(enum.Enum):
    CONNECTING = "connecting"  # a socket is open and REGISTER sent, REGISTERED not yet received
    REGISTERED = "registered"
    WAITING = "waiting"  # between two attempts, sleeping the backoff delay
    GAVE_UP = "gave_up"  # the reconnect policy allows no more retries
    STOPPED = "stopped"


class Session:
    """A registered connection to the broker that survives broker loss and restarts.

    `register_body` is the REGISTER body without `session_token`, which the session adds.
    `policy` overrides the policy that the broker recommends in REGISTERED; until the first
    REGISTERED arrives the defaults of SPEC.md apply.
    """

    def __init__(
        self,
        endpoint: str,
        register_body: dict[str, Any],
        *,
        register_timeout: float = DEFAULT_REGISTER_TIMEOUT,
        policy: Optional[ReconnectPolicy] = None,
        random_source: Callable[[], float] = random.random,
        on_message: Callable[[Message], None] = lambda message: None,
        on_registered: Callable[[dict[str, Any]], None] = lambda body: None,
        on_lost: Callable[[str], None] = lambda reason: None,
        on_gave_up: Callable[[], None] = lambda: None,
        context: Optional[zmq.Context] = None,
    ):
        self.endpoint = endpoint
        self.peer_id = register_body.get("device_id") or register_body.get("client_id")
        self.register_timeout = register_timeout
        self._register_body = dict(register_body)
        self._configured_policy = policy
        self._recommended_policy = ReconnectPolicy()
        self._random = random_source
        self._on_message = on_message
        self._on_registered = on_registered
        self._on_lost = on_lost
        self._on_gave_up = on_gave_up
        self._context = context or zmq.Context.instance()

        self.session_token: Optional[str] = None
        self.heartbeat_s = 1.0
        self.liveness = 3
        self.max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES
        self.registrations = 0
        self.dropped_messages = 0

        self._state = SessionState.CONNECTING
        self._changed = threading.Condition()
        self._outbox: collections.deque[list[bytes]] = collections.deque()
        self._stop = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._thread = threading.Thread(target=self._run, name=f"aip-session-{self.peer_id}", daemon=True)

    # ----- public interface, any thread --------------------------------------------------------

    @property
    def state(self) -> SessionState:
        with self._changed:
            return self._state

    @property
    def policy(self) -> ReconnectPolicy:
        return self._configured_policy or self._recommended_policy

    def start(self) -> "Session":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Send DISCONNECT if registered, close the socket and join the thread."""
        self._stop.set()
        self._wake()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("session of %s did not stop within %.1fs", self.peer_id, timeout)
        self._wake_reader.close()
        self._wake_writer.close()

    def send(self, frames: list[bytes]) -> bool:
        """Queue frames for the current session; return False (and drop them) when not registered."""
        with self._changed:
            if self._state is not SessionState.REGISTERED:
                return False
            self._outbox.append(frames)
        self._wake()
        return True

    def wait_for(self, states: tuple[SessionState, ...], timeout: float) -> bool:
        """Wait until the state is one of `states`; return False when `timeout` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._state in states, timeout)

    def wait_registered(self, timeout: float) -> bool:
        return self.wait_for((SessionState.REGISTERED,), timeout)

    def wait_registrations(self, count: int, timeout: float) -> bool:
        """Wait until the session has registered `count` times in all (reconnections included)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self.registrations >= count and self._state is SessionState.REGISTERED, timeout)

    # ----- the session thread -------------------------------------------------------------------

    def _set_state(self, state: SessionState) -> None:
        with self._changed:
            self._state = state
            if state is not SessionState.REGISTERED:
                self._outbox.clear()
            self._changed.notify_all()

    def _wake(self) -> None:
        try:
            self._wake_writer.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending, or the session is closed

    def _run(self) -> None:
        backoff = Backoff(self.policy, self._random)
        while not self._stop.is_set():
            self._set_state(SessionState.CONNECTING)
            registered = self._connect_and_serve()
            if self._stop.is_set():
                break

            if registered:
                backoff = Backoff(self.policy, self._random)
                delay_ms = backoff.first_delay_ms()
                log.info("%s reconnects in %.0f ms", self.peer_id, delay_ms)
            else:
                delay_ms = backoff.next_delay_ms()
                if delay_ms is None:
                    log.error("%s gave up connecting to %s after %d retries (%s policy)", self.peer_id,
                              self.endpoint, backoff.retries, backoff.policy.policy)
                    self._set_state(SessionState.GAVE_UP)
                    self._on_gave_up()
                    return
                log.info("%s retries %d/%d in %.0f ms (%s policy)", self.peer_id, backoff.retries,
                         backoff.policy.max_retries, delay_ms, backoff.policy.policy)

            self._set_state(SessionState.WAITING)
            self._stop.wait(delay_ms / 1000.0)
        self._set_state(SessionState.STOPPED)

    def _connect_and_serve(self) -> bool:
        """Run one socket from REGISTER to its loss; return True when it had registered."""
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(self.endpoint)
        try:
            if not self._register(sock):
                return False
            reason = self._serve(sock)
            if reason is None:
                self._say_goodbye(sock)
            else:
                log.warning("%s lost the broker: %s", self.peer_id, reason)
                self._set_state(SessionState.CONNECTING)
                self._on_lost(reason)
            return True
        finally:
            sock.close()

    def _register(self, sock: zmq.Socket) -> bool:
        body = dict(self._register_body, session_token=self.session_token)
        sock.send_multipart(make(Command.REGISTER, **body))

        deadline = time.monotonic() + self.register_timeout
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("%s got no REGISTERED from %s within %.1fs", self.peer_id, self.endpoint,
                            self.register_timeout)
                return False
            if not sock.poll(min(remaining, 0.1) * 1000, zmq.POLLIN):
                continue

            message = self._receive(sock)
            if message is None or message.command is Command.HEARTBEAT:
                continue
            if message.command is Command.REGISTERED:
                self._adopt(message.body)
                return True
            if message.command is Command.ERROR:
                log.warning("%s registration rejected: %s (%s)", self.peer_id, message.body["code"],
                            message.body["message"])
                return False
            if message.command is Command.DISCONNECT:
                log.warning("%s disconnected while registering: %s", self.peer_id, message.body["reason"])
                return False
            log.debug("%s ignored %s before REGISTERED", self.peer_id, message.command.name)
        return False

    def _adopt(self, body: dict[str, Any]) -> None:
        self.session_token = body["session_token"]
        self.heartbeat_s = body["heartbeat_ms"] / 1000.0
        self.liveness = body["liveness"]
        self.max_message_bytes = body["max_message_bytes"]
        self._recommended_policy = ReconnectPolicy.from_wire(body["reconnect"])
        with self._changed:
            self.registrations += 1
        self._set_state(SessionState.REGISTERED)
        log.info("%s registered with %s (heartbeat %d ms, liveness %d)", self.peer_id, self.endpoint,
                 body["heartbeat_ms"], self.liveness)
        self._on_registered(body)

    def _serve(self, sock: zmq.Socket) -> Optional[str]:
        """Exchange messages until the broker is lost (return the reason) or stop() (return None)."""
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(self._wake_reader, zmq.POLLIN)
        last_sent = last_received = time.monotonic()

        while not self._stop.is_set():
            now = time.monotonic()
            silent_for = now - last_received
            if silent_for >= self.heartbeat_s * self.liveness:
                return f"nothing received for {silent_for:.2f}s"
            if now - last_sent >= self.heartbeat_s:
                sock.send_multipart(make(Command.HEARTBEAT), zmq.NOBLOCK)
                last_sent = now

            next_heartbeat = last_sent + self.heartbeat_s - now
            next_loss = last_received + self.heartbeat_s * self.liveness - now
            poller.poll(max(0.0, min(next_heartbeat, next_loss)) * 1000 + 1)

            if self._send_outbox(sock):
                last_sent = time.monotonic()
            while sock.poll(0, zmq.POLLIN):
                message = self._receive(sock)
                last_received = time.monotonic()
                if message is None or message.command is Command.HEARTBEAT:
                    continue
                if message.command is Command.DISCONNECT:
                    return f"broker sent DISCONNECT ({message.body['reason'] or 'no reason'})"
                if message.command is Command.ERROR:
                    log.warning("%s received ERROR %s: %s", self.peer_id, message.body["code"],
                                message.body["message"])
                self._on_message(message)
        return None

    def _send_outbox(self, sock: zmq.Socket) -> bool:
        try:
            while self._wake_reader.recv(4096):
                pass
        except BlockingIOError:
            pass

        sent = False
        while True:
            with self._changed:
                if not self._outbox:
                    return sent
                frames = self._outbox.popleft()
            try:
                sock.send_multipart(frames, zmq.NOBLOCK)
                sent = True
            except zmq.Again:
                self.dropped_messages += 1
                log.warning("%s dropped a %s message: the send queue is full", self.peer_id,
                            Command(frames[1][0]).name)

    def _receive(self, sock: zmq.Socket) -> Optional[Message]:
        frames = sock.recv_multipart()
        try:
            return decode(frames, self.max_message_bytes)
        except CodecError as error:
            self.dropped_messages += 1
            log.warning("%s dropped an invalid message from the broker: %s", self.peer_id, error)
            return None

    def _say_goodbye(self, sock: zmq.Socket) -> None:
        sock.setsockopt(zmq.LINGER, GOODBYE_LINGER_MS)
        sock.send_multipart(make(Command.DISCONNECT, reason="peer stopping"), zmq.NOBLOCK)
        log.info("%s left %s", self.peer_id, self.endpoint)
