"""aip-device keeps retrying through a broker outage by default, whatever the broker advised."""

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, wait_until


def test_device_outlives_advised_max_retries(constellation):
    # The broker advises giving up after 1 retry, with retries 50 to 100 ms apart.
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--reconnect-policy", "linear",
                                        "--max-retries", "1", "--initial-backoff", "50ms",
                                        "--max-backoff", "100ms")
    device = constellation.start_device(broker.endpoint, "steadfast", "--register-timeout", "200ms")
    wait_until(lambda: "steadfast" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to be CONNECTED")
    assert "max retries unlimited" in device.log_text(), device.log_text()

    broker.process.kill()
    wait_until(lambda: "retry 4 in" in device.log_text(), 10, "the device to retry 4 times")
    assert device.running(), device.log_text()

    restarted = constellation.start_broker(*FAST_HEARTBEAT, endpoint=broker.endpoint,
                                           name="broker-restarted")
    wait_until(lambda: "steadfast" in connected_ids(constellation.devices(restarted.endpoint)), 10,
               "the device to register with the restarted broker")
