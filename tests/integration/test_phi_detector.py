"""The phi-accrual failure detector selected with --failure-detector phi, on real processes."""

import time

from constellation import connected_ids, wait_until

PHI = ("--heartbeat-interval", "200ms", "--heartbeat-liveness", "3", "--failure-detector", "phi",
       "--phi-threshold", "8", "--phi-acceptable-pause", "200ms")


def test_phi_detector_convicts_killed_device(constellation):
    broker = constellation.start_broker(*PHI)
    device = constellation.start_device(broker.endpoint, "watched")
    wait_until(lambda: "watched" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to register")

    # Phi needs a few heartbeat gaps before it applies; meanwhile the live device must stay in.
    observed_until = time.monotonic() + 2.5
    while time.monotonic() < observed_until:
        assert "watched" in connected_ids(constellation.devices(broker.endpoint)), "phi convicted a live device"

    killed_at = device.kill()
    wait_until(lambda: "watched" not in connected_ids(constellation.devices(broker.endpoint)), 3,
               "phi to convict the killed device")
    assert time.monotonic() - killed_at < 2.0
