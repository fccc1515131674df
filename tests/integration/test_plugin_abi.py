"""The engine as a plugin: exported symbols, loading errors, observers, installed packages."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import FAST_HEARTBEAT
from constellation import ROOT, connected_ids, wait_until


def lib_dir(constellation):
    return constellation.bin_dir.parent / "lib"


def test_shared_object_exports_only_abi_symbols(constellation):
    output = subprocess.run(["nm", "-D", "--defined-only", str(lib_dir(constellation) / "libaip_plugin.so")],
                            capture_output=True, text=True, check=True).stdout
    symbols = [line.split()[-1] for line in output.splitlines() if line.strip()]
    assert "aip_plugin_descriptor_get" in symbols
    foreign = [symbol for symbol in symbols if not symbol.startswith("aip_")]
    assert foreign == []


def run_broker(constellation, *options):
    return subprocess.run([constellation.binary("aip-broker"), "--bind", "tcp://127.0.0.1:*", *options],
                          capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)


def test_missing_plugin_file_stops_start(constellation, tmp_path):
    missing = tmp_path / "absent.so"
    result = run_broker(constellation, "--plugin", str(missing))
    assert result.returncode == 1
    assert str(missing) in result.stderr


def test_plugin_without_descriptor_stops_start(constellation):
    observer = lib_dir(constellation) / "libaip_observer_jsonl.so"
    result = run_broker(constellation, "--plugin", str(observer))
    assert result.returncode == 1
    assert "aip_plugin_descriptor_get" in result.stderr
    assert str(observer) in result.stderr


def test_plugin_with_wrong_abi_version_stops_start(constellation):
    wrong = lib_dir(constellation) / "libaip_test_wrong_abi.so"
    result = run_broker(constellation, "--plugin", str(wrong))
    assert result.returncode == 1
    assert str(wrong) in result.stderr
    assert "version 999" in result.stderr
    assert "expected 1" in result.stderr


def test_loaded_plugin_serves_devices(constellation):
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--plugin", str(lib_dir(constellation) / "libaip_plugin.so"))
    constellation.start_device(broker.endpoint, "plugged", "--capability", "echo")
    wait_until(lambda: "plugged" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to register with the loaded engine")
    assert "loaded engine plugin" in broker.process.log_text()


def test_jsonl_observer_records_state_changes(constellation, tmp_path):
    events_path = tmp_path / "events.jsonl"
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--observer",
                                        str(lib_dir(constellation) / "libaip_observer_jsonl.so"),
                                        "--observer-config", str(events_path))
    device = constellation.start_device(broker.endpoint, "observed")
    wait_until(lambda: "observed" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to register")
    device.kill()

    def device_states():
        if not events_path.exists():
            return []
        rows = [json.loads(line) for line in events_path.read_text().splitlines()]
        return [row["to"] for row in rows if row["kind"] == "device" and row["subject"] == "observed"]

    wait_until(lambda: device_states() == ["CONNECTED", "DISCONNECTED"], 5,
               "CONNECTED then DISCONNECTED in the observer's file")


@pytest.fixture
def installed(constellation, tmp_path):
    """The project installed with cmake --install into a temporary prefix."""
    prefix = tmp_path / "prefix"
    build_dir = constellation.bin_dir.parent
    subprocess.run(["cmake", "--install", str(build_dir), "--prefix", str(prefix)], check=True,
                   capture_output=True, text=True)
    return prefix


def test_consumer_builds_with_cmake_package(installed, tmp_path):
    consumer_build = tmp_path / "consumer-cmake"
    subprocess.run(["cmake", "-S", str(ROOT / "tests" / "consumer"), "-B", str(consumer_build),
                    f"-DCMAKE_PREFIX_PATH={installed}"], check=True, capture_output=True, text=True)
    subprocess.run(["cmake", "--build", str(consumer_build)], check=True, capture_output=True, text=True)

    result = subprocess.run([str(consumer_build / "consumer")], capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    assert "REGISTERED received" in result.stdout


def test_consumer_builds_with_pkg_config(installed, tmp_path):
    environment = dict(os.environ, PKG_CONFIG_PATH=str(installed / "lib" / "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "aip-plugin"], capture_output=True, text=True,
                           check=True, env=environment).stdout.split()
    program = tmp_path / "consumer-pkg"
    compiler = shutil.which("cc") or "gcc"
    subprocess.run([compiler, "-std=c11", str(ROOT / "tests" / "consumer" / "main.c"), "-o", str(program), *flags],
                   check=True, capture_output=True, text=True)

    result = subprocess.run([str(program)], capture_output=True, text=True, timeout=10,
                            env=dict(os.environ, LD_LIBRARY_PATH=str(installed / "lib")))
    assert result.returncode == 0, result.stderr
    assert "REGISTERED received" in result.stdout
