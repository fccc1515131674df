#!/usr/bin/python3
"""Draw the figures of docs/benchmarks.md from the JSON that `aip-bench --json` prints.

Usage: tools/bench/plot.py RESULTS_DIR OUTPUT_DIR

RESULTS_DIR contains throughput.json, heartbeats.json, detection.json and restart.json; a missing
file skips its figure. Each figure is written as OUTPUT_DIR/bench_<name>.png.
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(results: Path, name: str):
    path = results / f"{name}.json"
    if not path.exists():
        print(f"skipping {name}: {path} not found", file=sys.stderr)
        return None
    return json.loads(path.read_text())


def plot_throughput(data, output: Path) -> None:
    runs = data["runs"]
    labels = [run["mode"].replace("_", "\n", 1) for run in runs]
    rates = [run["round_trips_per_second"] for run in runs]
    figure, axis = plt.subplots(figsize=(6.5, 4))
    bars = axis.bar(labels, rates, color=["#888888", "#1f77b4", "#6baed6"])
    for bar, run in zip(bars, runs):
        axis.annotate(f"{run['round_trips_per_second']:.0f}/s\n{run['throughput_ratio_to_baseline']:.2f} x baseline",
                      (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=9)
    axis.set_ylabel("echo round trips per second")
    axis.set_ylim(0, max(rates) * 1.25)
    axis.set_title(f"Throughput: {data['devices']} devices, window {data['window']}, "
                   f"payload {data['payload_bytes']} B")
    figure.tight_layout()
    figure.savefig(output / "bench_throughput.png", dpi=110)
    plt.close(figure)


def plot_heartbeats(data, output: Path) -> None:
    runs = data["runs"]
    devices = [run["devices"] for run in runs]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(devices, [run["message_ns_per_heartbeat"] for run in runs], "o-", label="on_message only")
    left.plot(devices, [run["total_ns_per_heartbeat"] for run in runs], "s-", label="including on_tick")
    left.set_xscale("log")
    left.set_ylim(bottom=0)
    left.set_xlabel("registered devices")
    left.set_ylabel("CPU ns per heartbeat received")
    left.set_title("Engine cost per heartbeat")
    left.legend()
    right.plot(devices, [run["tick_us_mean"] / 1000 for run in runs], "o-", label="mean on_tick (ms)")
    right.plot(devices, [run["idle_tick_ns"] / 1000 for run in runs], "s-", label="on_tick with nothing due (us)")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("registered devices")
    right.set_title("Cost of one on_tick")
    right.legend()
    figure.tight_layout()
    figure.savefig(output / "bench_heartbeats.png", dpi=110)
    plt.close(figure)


def plot_detection(data, output: Path) -> None:
    samples = sorted(data["samples_from_last_message_ms"])
    figure, axis = plt.subplots(figsize=(6.5, 4))
    fractions = [(index + 1) / len(samples) for index in range(len(samples))]
    axis.step(samples, fractions, where="post", label="from the device's last message")
    silence = sorted(data["samples_from_silence_ms"])
    axis.step(silence, fractions, where="post", label="from the moment it went silent")
    axis.axvline(data["bound_ms"], color="red", linestyle="--", label=f"bound {data['bound_ms']:.0f} ms")
    axis.axvline(data["heartbeat_interval_ms"] * data["liveness"], color="grey", linestyle=":",
                 label="interval x liveness")
    axis.set_xlabel("time until the broker reports DISCONNECTED (ms)")
    axis.set_ylabel("fraction of trials")
    axis.set_xlim(0, data["bound_ms"] * 1.2)
    axis.set_title(f"Detection: {data['trials']} trials, heartbeat {data['heartbeat_interval_ms']} ms "
                   f"x {data['liveness']}")
    axis.legend(loc="upper left", fontsize=9)
    figure.tight_layout()
    figure.savefig(output / "bench_detection.png", dpi=110)
    plt.close(figure)


def plot_restart(data, output: Path) -> None:
    figure, axis = plt.subplots(figsize=(6.5, 4))
    for run in data["runs"]:
        samples = sorted(run["samples_since_restart_ms"])
        fractions = [(index + 1) / len(samples) for index in range(len(samples))]
        axis.step(samples, fractions, where="post", label=f"jitter {run['jitter']}")
    axis.set_xlabel("time after the new broker listens (ms)")
    axis.set_ylabel("fraction of devices registered again")
    axis.set_xlim(left=0)
    axis.set_title(f"Restart: {data['devices']} devices, heartbeat {data['heartbeat_interval_ms']} ms, "
                   f"backoff {data['initial_backoff_ms']} ms")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(output / "bench_restart.png", dpi=110)
    plt.close(figure)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    results = Path(sys.argv[1])
    output = Path(sys.argv[2])
    output.mkdir(parents=True, exist_ok=True)
    for name, plot in [("throughput", plot_throughput), ("heartbeats", plot_heartbeats),
                       ("detection", plot_detection), ("restart", plot_restart)]:
        data = load(results, name)
        if data is not None:
            plot(data, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
