"""Devices that start without a broker, and a broker killed and restarted under them."""

import re
import time
from datetime import datetime

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, free_tcp_endpoint, wait_until

NO_JITTER_EXPONENTIAL = ("--reconnect-policy", "exponential", "--initial-backoff", "100ms",
                         "--max-backoff", "1s", "--backoff-multiplier", "2", "--jitter", "none",
                         "--register-timeout", "200ms")


def test_policy_none_gives_up_after_first_registration(constellation):
    endpoint = free_tcp_endpoint()
    device = constellation.start_device(endpoint, "lonely", "--reconnect-policy", "none",
                                        "--register-timeout", "200ms")
    code = device.wait(5)
    assert code != 0
    log = device.log_text()
    assert "policy none" in log, log
    assert "failed 1 time" in log, log


def test_exponential_gives_up_after_max_retries(constellation):
    endpoint = free_tcp_endpoint()
    started = time.monotonic()
    device = constellation.start_device(endpoint, "lonely", *NO_JITTER_EXPONENTIAL, "--max-retries", "4")
    code = device.wait(15)
    elapsed = time.monotonic() - started

    assert code != 0
    log = device.log_text()
    assert "exponential" in log, log
    assert "4 retries" in log, log
    # 5 registrations that each time out after 200 ms, and delays of 100, 200, 400 and 800 ms.
    assert elapsed >= 2.5, f"gave up after {elapsed:.2f}s, expected at least 2.5s"
    assert elapsed < 4.5, f"gave up after {elapsed:.2f}s, expected about 2.5s"
    delays = [int(value) for value in re.findall(r"retry \d+ in (\d+)ms", log)]
    assert delays == [100, 200, 400, 800], log


def test_broker_appearing_during_retries_gets_registration(constellation, host):
    endpoint = free_tcp_endpoint()
    device = constellation.start_device(endpoint, "patient", *NO_JITTER_EXPONENTIAL, "--max-retries", "10")
    wait_until(lambda: "retry 2 in" in device.log_text(), 5, "the device to be retrying")

    broker = constellation.start_broker(*FAST_HEARTBEAT, endpoint=endpoint, host=host)
    wait_until(lambda: "patient" in connected_ids(constellation.devices(broker.endpoint)), 5,
               "the retrying device to register")
    assert device.running()


def registration_times(log: str, device_ids: set[str]) -> list[datetime]:
    """Return the broker's log timestamps of the devices' transitions to CONNECTED."""
    times = []
    for line in log.splitlines():
        match = re.match(r"(\S+) \S+ device (\S+) \S+ -> CONNECTED", line)
        if match and match.group(2) in device_ids:
            times.append(datetime.fromisoformat(match.group(1)))
    return times


def test_broker_restart_devices_register_again_with_jitter(constellation, host):
    broker = constellation.start_broker(*FAST_HEARTBEAT, host=host)
    device_ids = {f"fleet-{index:02d}" for index in range(20)}
    for device_id in sorted(device_ids):
        constellation.start_device(broker.endpoint, device_id, "--reconnect-policy", "exponential",
                                   "--initial-backoff", "500ms", "--max-backoff", "2s", "--jitter", "full",
                                   "--max-retries", "20", "--register-timeout", "500ms")
    wait_until(lambda: connected_ids(constellation.devices(broker.endpoint)) == device_ids, 15,
               "20 devices to be CONNECTED")

    broker.process.kill()
    restarted = constellation.start_broker(*FAST_HEARTBEAT, endpoint=broker.endpoint, name="broker-restarted",
                                              host=host)
    wait_until(lambda: connected_ids(constellation.devices(restarted.endpoint)) == device_ids, 15,
               "20 devices to register with the restarted broker")

    times = registration_times(restarted.process.log_text(), device_ids)
    assert len(times) >= 20
    spread = (max(times) - min(times)).total_seconds()
    assert spread > 0.010, f"all 20 registrations within {spread * 1000:.1f} ms: no jitter"
