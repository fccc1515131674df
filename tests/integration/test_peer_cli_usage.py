"""Command-line behavior of aip-device and aip-client: option checks, warnings and error output."""

import subprocess
import time

from constellation import Constellation, free_tcp_endpoint, wait_until


def run(binary: str, *arguments: str, timeout: float = 10.0) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *arguments], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_device_rejects_positional_argument(constellation: Constellation):
    result = run(constellation.binary("aip-device"), "--connect", "tcp://127.0.0.1:1", "--id", "x",
                 "extra-arg")
    assert result.returncode == 2, result.stderr
    assert "unexpected argument 'extra-arg'" in result.stderr, result.stderr


def test_client_rejects_invalid_capability(constellation: Constellation):
    for capability in ("", "two words", "x" * 129):
        result = run(constellation.binary("aip-client"), "--connect", "tcp://127.0.0.1:1", "submit",
                     "--capability", capability, "--payload", "{}")
        assert result.returncode == 2, (capability, result.stderr)
        assert f"invalid value '{capability}' for --capability" in result.stderr, result.stderr


def test_client_zero_timeout_asks_positive_duration(constellation: Constellation):
    result = run(constellation.binary("aip-client"), "--connect", "tcp://127.0.0.1:1", "submit",
                 "--device", "x", "--payload", "{}", "--timeout", "0s")
    assert result.returncode == 2, result.stderr
    assert "invalid value '0s' for --timeout: expected a positive duration" in result.stderr, result.stderr


def test_client_submit_without_wait_warns(constellation: Constellation):
    broker = constellation.start_broker()
    result = constellation.run_client(broker.endpoint, "submit", "--device", "absent", "--payload", "{}",
                                      "--task-id", "unwatched", client_id="forgetful")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "unwatched\n", result.stdout
    assert "warning: the broker cancels these tasks when client forgetful leaves" in result.stderr, \
        result.stderr
    assert "--id forgetful" in result.stderr, result.stderr


def test_client_unreachable_broker_fails_within_seconds(constellation: Constellation):
    endpoint = free_tcp_endpoint()
    started = time.monotonic()
    result = run(constellation.binary("aip-client"), "--connect", endpoint, "devices", timeout=30)
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stderr
    # 4 attempts of 2s each and at most 1.75s of backoff.
    assert elapsed < 11, f"gave up after {elapsed:.1f}s"


def test_connect_without_scheme_is_rejected(constellation: Constellation):
    for arguments in (("aip-device", "--connect", "127.0.0.1:5555", "--id", "x"),
                      ("aip-client", "--connect", "127.0.0.1:5555", "devices")):
        result = run(constellation.binary(arguments[0]), *arguments[1:])
        assert result.returncode == 2, result.stderr
        assert ("invalid value '127.0.0.1:5555' for --connect: expected tcp://HOST:PORT or ipc://PATH"
                in result.stderr), result.stderr


def test_give_up_error_is_printed_once(constellation: Constellation):
    endpoint = free_tcp_endpoint()
    quick = ("--max-retries", "0", "--register-timeout", "100ms")
    for arguments in (("aip-device", "--connect", endpoint, "--id", "x", *quick),
                      ("aip-client", "--connect", endpoint, *quick, "devices")):
        result = run(constellation.binary(arguments[0]), *arguments[1:])
        assert result.returncode == 3, result.stderr
        assert result.stderr.count("gave up after 0 retries") == 1, result.stderr


def test_broker_error_is_printed_once(constellation: Constellation):
    broker = constellation.start_broker()
    result = constellation.run_client(broker.endpoint, "cancel", "no-such-task")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("unknown_task") == 1, result.stderr


def test_client_id_in_use_is_reported_as_such(constellation):
    broker = constellation.start_broker("--heartbeat-interval", "200ms", "--heartbeat-liveness", "3")
    constellation.start_device(broker.endpoint, "slow", "--capability", "slow")
    holder = constellation.start_client(broker.endpoint, "submit", "--capability", "slow", "--payload",
                                        '{"action":"sleep","ms":20000}', "--task-id", "held-1", "--wait",
                                        client_id="holder")
    wait_until(lambda: "client holder NEW -> CONNECTED" in broker.process.log_text(), 5,
               "the first client to register")

    result = constellation.run_client(broker.endpoint, "cancel", "held-1", client_id="holder", timeout=30)

    assert result.returncode == 1, result.stderr
    assert "in use by another running client" in result.stderr
    assert "cannot reach the broker" not in result.stderr
    assert holder.running()
