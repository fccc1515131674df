"""The shared codec test vectors (proto/vectors/) run through the Python codec."""

import json
from pathlib import Path

import pytest

from aip_peer.codec import Command, CodecError, DEFAULT_MAX_MESSAGE_BYTES, Message, decode, encode

VECTORS = Path(__file__).resolve().parents[2] / "proto" / "vectors"
VALID = json.loads((VECTORS / "valid.json").read_text())
INVALID = json.loads((VECTORS / "invalid.json").read_text())


def frames_of(vector: dict) -> list[bytes]:
    return [bytes.fromhex(frame) for frame in vector["frames"]]


def as_vector_body(message: Message) -> dict:
    """Return the decoded message in the vector's form: the body plus payload_hex when present."""
    body = dict(message.body)
    if message.payload is not None:
        body["payload_hex"] = message.payload.hex()
    return body


@pytest.mark.parametrize("vector", VALID, ids=[vector["name"] for vector in VALID])
def test_valid_vector_decodes_to_its_body(vector):
    message = decode(frames_of(vector))

    assert message.command == Command[vector["command"]]
    assert as_vector_body(message) == vector["body"]


@pytest.mark.parametrize("vector", VALID, ids=[vector["name"] for vector in VALID])
def test_valid_vector_survives_reencoding(vector):
    message = decode(frames_of(vector))

    again = decode(encode(message))

    assert again == message


@pytest.mark.parametrize("vector", INVALID, ids=[vector["name"] for vector in INVALID])
def test_invalid_vector_yields_its_error(vector):
    limit = vector.get("max_message_bytes", DEFAULT_MAX_MESSAGE_BYTES)

    with pytest.raises(CodecError) as raised:
        decode(frames_of(vector), max_message_bytes=limit)

    assert raised.value.code.value == vector["error"]


def test_vector_files_are_not_empty():
    assert len(VALID) > 0
    assert len(INVALID) > 0
