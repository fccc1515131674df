"""Fixtures for the integration tests: real aip processes on loopback with ephemeral ports."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "demo"))

from constellation import Constellation  # noqa: E402

# The timings that the failure scenarios are specified with.
FAST_HEARTBEAT = ("--heartbeat-interval", "200ms", "--heartbeat-liveness", "3")


@pytest.fixture(params=["aip-broker", "aip-c-host"])
def host(request):
    """The broker host to run a scenario against: our binary, or the plain C host with the plugin."""
    return request.param


@pytest.fixture
def constellation(tmp_path, request):
    """A Constellation whose processes are stopped after the test; logs are printed on failure."""
    group = Constellation(tmp_path / "logs")
    yield group
    group.close()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for process in group.processes:
            print(f"===== {process.name} ({' '.join(process.argv)})")
            print(process.log_text()[-6000:])


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
