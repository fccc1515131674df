"""aip-device stops a task at its deadline even when the broker's ABORT never arrives.

The test plays the broker itself with a ROUTER socket, so that it can leave the ABORT out.
"""

import msgpack
import zmq

from constellation import wait_until

SIGNATURE = b"AIP\x01"
REGISTER, REGISTERED, HEARTBEAT, ASSIGN, STARTED, RESULT = 0x01, 0x02, 0x03, 0x20, 0x21, 0x22


def pack(mapping):
    return msgpack.packb(mapping, use_bin_type=True)


def test_device_stops_task_at_its_deadline(constellation):
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    try:
        device = constellation.start_device(f"tcp://127.0.0.1:{port}", "punctual", "--log-level", "info")

        assert router.poll(5000), "no REGISTER from the device"
        routing_id, *frames = router.recv_multipart()
        assert frames[1][0] == REGISTER
        registered = {"session_token": "t", "heartbeat_ms": 200, "liveness": 50, "max_message_bytes": 1 << 20,
                      "reconnect": {"policy": "exponential"}}
        router.send_multipart([routing_id, SIGNATURE, bytes([REGISTERED]), pack(registered)])

        task = {"task_id": "late-1", "attempt": 1, "timeout_ms": 300}
        router.send_multipart([routing_id, SIGNATURE, bytes([ASSIGN]), pack(task),
                               pack({"action": "sleep", "ms": 20000})])

        commands = []

        def answer_and_collect():
            # Keep the session alive and record what the device sends.
            while router.poll(0):
                _, *reply = router.recv_multipart()
                commands.append(reply[1][0])
                router.send_multipart([routing_id, SIGNATURE, bytes([HEARTBEAT]), pack({})])
            return "passed its deadline" in device.log_text()

        wait_until(answer_and_collect, 3, "the device to stop the overdue task")
        assert STARTED in commands
        assert RESULT not in commands, "an overdue task must not report a result"
    finally:
        router.close()
        context.term()
