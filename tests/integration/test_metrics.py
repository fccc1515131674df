"""The Prometheus endpoint of aip-broker (--metrics-bind)."""

import subprocess
import urllib.request

import msgpack
import zmq

from conftest import FAST_HEARTBEAT
from constellation import connected_ids, wait_until


def metrics_port(broker):
    for line in broker.process.output():
        if line.text.startswith("aip-broker metrics on port "):
            return int(line.text.rsplit(" ", 1)[1])
    return None


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
        return response.read().decode()


def test_metrics_count_devices_and_rejections(constellation):
    broker = constellation.start_broker(*FAST_HEARTBEAT, "--metrics-bind", "127.0.0.1:0")
    port = wait_until(lambda: metrics_port(broker), 5, "the metrics port line")
    constellation.start_device(broker.endpoint, "measured")
    wait_until(lambda: "measured" in connected_ids(constellation.devices(broker.endpoint)), 10,
               "the device to register")

    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(broker.endpoint)
    dealer.send_multipart([b"BAD\x01", b"\x03", msgpack.packb({})])
    assert dealer.poll(2000), "no ERROR reply to a bad signature"
    dealer.close()
    context.term()

    def body_with_rejection():
        body = scrape(port)
        return body if 'aip_protocol_errors_total{code="bad_signature"} 1' in body else None

    text = wait_until(body_with_rejection, 5, "the rejection to appear in /metrics")
    assert "aip_devices_connected 1" in text
    assert "# TYPE aip_protocol_errors_total counter" in text


def test_metrics_bind_rejects_bad_address(constellation):
    completed = subprocess.run([constellation.binary("aip-broker"), "--bind", "tcp://127.0.0.1:*",
                                "--metrics-bind", "no-port-here"], capture_output=True, text=True, timeout=10)
    assert completed.returncode == 2
    assert "no-port-here" in completed.stderr
