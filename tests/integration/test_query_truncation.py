"""A task list larger than the broker's message limit is cut, and aip-client warns about it."""

import json

from constellation import wait_until


def test_tasks_listing_warns_when_cut(constellation):
    broker = constellation.start_broker("--max-message-size", "4096")
    submitted = constellation.run_client(broker.endpoint, "submit", "--capability", "nobody", "--payload",
                                         json.dumps({"action": "echo", "data": 1}), "--count", "200",
                                         "--task-id", "a-task-with-a-fairly-long-identifier", client_id="bulk")
    assert submitted.returncode == 0, submitted.stderr

    def listing():
        result = constellation.run_client(broker.endpoint, "tasks", "--json")
        return result if result.returncode == 0 else None

    result = wait_until(listing, 5, "a tasks listing")
    rows = json.loads(result.stdout)
    assert 0 < len(rows) < 200
    assert "left out some tasks" in result.stderr
    assert f"{len(rows)} shown" in result.stderr


def test_small_listing_has_no_warning(constellation):
    broker = constellation.start_broker()
    result = constellation.run_client(broker.endpoint, "tasks", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert "left out" not in result.stderr
