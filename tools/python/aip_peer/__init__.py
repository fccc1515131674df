"""A Python peer for the AIP v1 protocol (proto/SPEC.md): codec, reconnection, device, client."""

from .client import BrokerError, Client
from .codec import Command, CodecError, ErrorCode, Message, decode, encode, make
from .device import Device, Task, TaskFailed
from .reconnect import Backoff, ReconnectPolicy
from .session import Session, SessionState

__all__ = [
    "Backoff", "BrokerError", "Client", "Command", "CodecError", "Device", "ErrorCode", "Message",
    "ReconnectPolicy", "Session", "SessionState", "Task", "TaskFailed", "decode", "encode", "make",
]
