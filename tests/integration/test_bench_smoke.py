"""Smoke test of aip-bench: each subcommand runs with tiny sizes, exits 0 and prints valid JSON.

It checks that the benchmark works, never how fast anything is.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("AIP_BIN_DIR", ROOT / "build" / "bin"))

TINY_RUNS = [
    ("throughput", ["--tasks", "200", "--devices", "2", "--window", "8"], "runs"),
    ("heartbeats", ["--devices", "100,1000", "--intervals", "2"], "runs"),
    ("detection", ["--devices", "2", "--trials", "1"], "from_last_message_ms"),
    ("restart", ["--devices", "5", "--heartbeat-interval-ms", "200", "--initial-backoff-ms", "100"], "runs"),
    ("memory", ["--engine-devices", "100", "--broker-devices", "10"], "engine"),
]


@pytest.mark.parametrize(("subcommand", "options", "key"), TINY_RUNS, ids=[run[0] for run in TINY_RUNS])
def test_bench_subcommand_prints_json(subcommand, options, key):
    bench = BIN_DIR / "aip-bench"
    assert bench.exists(), f"{bench} not found: build first with 'tools/run build'"

    completed = subprocess.run(
        [str(bench), "--json", subcommand, *options], capture_output=True, text=True, timeout=20, check=False
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["benchmark"] == subcommand
    assert key in report
