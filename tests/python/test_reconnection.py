"""Reconnection of the Python peers (SPEC.md section 4): broker restart, DISCONNECT, giving up."""

from aip_peer import Client, Device, ReconnectPolicy, SessionState
from aip_peer.codec import Command

from conftest import FAST_RECONNECT, HEARTBEAT_MS, LIVENESS, wait_for_event
from constellation import free_tcp_endpoint

LOSS_S = HEARTBEAT_MS / 1000 * LIVENESS


def test_python_device_reconnects_after_broker_restart(lab):
    endpoint = lab.start_broker(*FAST_RECONNECT, endpoint=free_tcp_endpoint())
    device = lab.python_device("py-phoenix", "--capability", "echo")
    wait_for_event(device, "registered")

    lab.broker.kill()
    lab.start_broker(*FAST_RECONNECT, endpoint=endpoint, name="broker-2")
    wait_for_event(device, "registered", count=2, timeout=LOSS_S + 5)
    client = lab.keep(Client(endpoint, "c-after-restart").start())
    client.submit("t-after-restart", b"still here", capability="echo")
    update = client.wait_final("t-after-restart")

    assert update.body["state"] == "COMPLETED"
    assert update.payload == b"still here"


def test_python_device_aborts_running_task_on_broker_loss(lab):
    lab.start_broker(*FAST_RECONNECT, endpoint=free_tcp_endpoint())
    device = lab.python_device("py-orphan", "--capability", "slow")
    client = lab.keep(Client(lab.endpoint, "c-orphan").start())
    client.submit("t-orphan", b"sleep:30", capability="slow")
    wait_for_event(device, "started")

    lab.broker.kill()
    aborted = wait_for_event(device, "aborted", timeout=LOSS_S + 3)

    assert aborted[0]["task_id"] == "t-orphan"
    assert wait_for_event(device, "lost")[0]["reason"].startswith("nothing received")


def test_device_registers_again_after_disconnect_from_broker(broker, lab):
    device = lab.keep(Device(broker, "py-told", lambda task: task.payload).start())
    assert device.wait_registered(5)
    impostor = lab.raw_peer()

    # A REGISTER with the device's session token supersedes it: the old routing id is forgotten,
    # so the device's next message gets DISCONNECT not_registered and it registers again.
    impostor.register_device("py-told", session_token=device.session.session_token)

    assert device.session.wait_registrations(2, timeout=LOSS_S + 5)


def test_client_resubmits_after_broker_restart(lab):
    endpoint = lab.start_broker(*FAST_RECONNECT, endpoint=free_tcp_endpoint())
    client = lab.keep(Client(endpoint, "c-steady").start())
    assert client.wait_registered(5)

    lab.broker.kill()
    lab.start_broker(*FAST_RECONNECT, endpoint=endpoint, name="broker-2")
    duplicate = client.submit("t-steady", b"", capability="none", timeout=LOSS_S + 5)

    assert duplicate is False
    assert client.session.registrations == 2


def test_session_gives_up_after_last_retry(lab):
    lab.start_broker()
    policy = ReconnectPolicy(policy="linear", max_retries=2, initial_backoff_ms=50, jitter="none")
    device = lab.keep(Device(lab.endpoint, "py-quitter", lambda task: None, policy=policy,
                             register_timeout=0.3).start())
    assert device.wait_registered(5)

    lab.broker.kill()

    assert device.session.wait_for((SessionState.GAVE_UP,), timeout=LOSS_S + 0.3 * 3 + 0.15 + 3)


def test_python_device_process_exits_3_when_it_gives_up(lab):
    lab.start_broker()
    device = lab.python_device("py-exit", "--reconnect-policy", "none", "--register-timeout", "0.3")
    wait_for_event(device, "registered")

    lab.broker.kill()

    assert device.wait(timeout=LOSS_S + 5) == 3


def test_heartbeats_keep_an_idle_python_device_connected(broker, lab):
    device = lab.keep(Device(broker, "py-idle", lambda task: None).start())
    assert device.wait_registered(5)

    assert not device.session.wait_for((SessionState.CONNECTING,), timeout=LOSS_S * 2)
    watcher = lab.raw_peer()
    watcher.register_client("c-idle-watch")
    watcher.send_message(Command.QUERY, request_id=1, what="devices")
    rows = watcher.expect(Command.QUERY_REPLY).body["devices"]

    assert rows[0]["state"] == "CONNECTED"
    assert device.session.registrations == 1
