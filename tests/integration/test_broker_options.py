"""aip-broker's command line and config file: accepted values and clear errors."""

import subprocess

from constellation import connected_ids, wait_until


def run_broker(constellation, *options):
    return subprocess.run([constellation.binary("aip-broker"), *options], capture_output=True, text=True,
                          timeout=10, stdin=subprocess.DEVNULL)


def test_config_file_sets_options(constellation, tmp_path):
    config = tmp_path / "broker.conf"
    config.write_text("# liveness for a fast test\nheartbeat-interval = 200ms\nheartbeat-liveness = 2\n"
                      "device-grace = 5s\n")
    broker = constellation.start_broker("--config", str(config))
    wait_until(lambda: "heartbeat 200ms x 2" in broker.process.log_text(), 5,
               "the broker to log the interval from the config file")

    constellation.start_device(broker.endpoint, "configured")
    wait_until(lambda: "configured" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to register")


def test_command_line_overrides_config_file(constellation, tmp_path):
    config = tmp_path / "broker.conf"
    config.write_text("heartbeat-interval = 200ms\n")
    broker = constellation.start_broker("--config", str(config), "--heartbeat-interval", "300ms")
    wait_until(lambda: "heartbeat 300ms x 3" in broker.process.log_text(), 5,
               "the broker to log the interval from the command line")


def test_missing_config_file_is_an_error(constellation, tmp_path):
    missing = tmp_path / "absent.conf"
    result = run_broker(constellation, "--config", str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr


def test_invalid_duration_names_option_and_value(constellation):
    result = run_broker(constellation, "--heartbeat-interval", "5 seconds")
    assert result.returncode == 2
    assert "--heartbeat-interval" in result.stderr
    assert "'5 seconds'" in result.stderr


def test_invalid_liveness_names_range(constellation):
    result = run_broker(constellation, "--heartbeat-liveness", "0")
    assert result.returncode == 2
    assert "1 to 100" in result.stderr


def test_unknown_option_is_a_usage_error(constellation):
    result = run_broker(constellation, "--heartbeat", "1s")
    assert result.returncode == 2
    assert "--help" in result.stderr


def test_endpoint_in_use_stops_start(constellation):
    broker = constellation.start_broker()
    result = run_broker(constellation, "--bind", broker.endpoint)
    assert result.returncode == 1
    assert broker.endpoint in result.stderr


def test_stray_argument_is_a_usage_error(constellation):
    result = run_broker(constellation, "--bind", "tcp://127.0.0.1:*", "stray")
    assert result.returncode == 2
    assert "positional" in result.stderr


def test_config_file_error_names_the_file(constellation, tmp_path):
    config = tmp_path / "broker.conf"
    config.write_text("heartbeat-interval = 2s\nno-such-option = 1\n")
    result = run_broker(constellation, "--config", str(config))
    assert result.returncode == 2
    assert str(config) in result.stderr
    assert "no-such-option" in result.stderr


def test_malformed_metrics_address_is_a_usage_error(constellation):
    result = run_broker(constellation, "--bind", "tcp://127.0.0.1:*", "--metrics-bind", "127.0.0.1")
    assert result.returncode == 2
    assert "'127.0.0.1'" in result.stderr


def test_metrics_port_in_use_stops_start(constellation):
    first = constellation.start_broker("--metrics-bind", "127.0.0.1:0")

    def port_line():
        for line in first.process.output():
            if line.text.startswith("aip-broker metrics on port "):
                return line.text.rsplit(" ", 1)[1]
        return None

    port = wait_until(port_line, 5, "the first broker's metrics port")
    result = run_broker(constellation, "--bind", "tcp://127.0.0.1:*", "--metrics-bind", f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert port in result.stderr
    assert "listening on" not in result.stdout, "a broker that failed to start announced itself"


def test_live_ipc_endpoint_is_not_taken_over(constellation, tmp_path):
    endpoint = f"ipc://{tmp_path / 'broker.sock'}"
    constellation.start_broker(endpoint=endpoint)
    result = run_broker(constellation, "--bind", endpoint)
    assert result.returncode == 1
    assert "another process is listening" in result.stderr


def test_stale_ipc_endpoint_is_reused(constellation, tmp_path):
    endpoint = f"ipc://{tmp_path / 'broker.sock'}"
    first = constellation.start_broker(endpoint=endpoint)
    first.process.kill()
    second = constellation.start_broker(endpoint=endpoint, name="broker-second")
    assert second.endpoint == endpoint


def test_nested_config_file_is_rejected(constellation, tmp_path):
    config = tmp_path / "broker.conf"
    config.write_text(f"config = {tmp_path / 'other.conf'}\n")
    result = run_broker(constellation, "--config", str(config))
    assert result.returncode == 2
    assert "cannot name another one" in result.stderr


def test_tcp_port_out_of_range(constellation):
    result = run_broker(constellation, "--bind", "tcp://127.0.0.1:99999")
    assert result.returncode == 2
    assert "'tcp://127.0.0.1:99999'" in result.stderr
