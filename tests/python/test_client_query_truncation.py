"""The Python client notices a QUERY_REPLY that the broker cut to fit its message limit."""

import logging

from aip_peer import Client


def test_cut_task_listing_is_logged(lab, caplog):
    broker = lab.start_broker("--max-message-size", "4096")
    client = Client(broker, "py-bulk").start()
    try:
        assert client.wait_registered(timeout=5)
        for index in range(120):
            client.submit(f"a-task-with-a-fairly-long-identifier-{index}", b"x", capability="nobody",
                          timeout_ms=60_000)

        with caplog.at_level(logging.WARNING, logger="aip_peer.client"):
            entries = client.query("tasks", timeout=5)

        assert 0 < len(entries) < 120
        assert "left out some tasks" in caplog.text
    finally:
        client.stop()
