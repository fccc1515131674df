#!/usr/bin/python3
"""Plot reconnection delays per retry, with and without each jitter kind.

Reads the CSV that `aip-resilience-sim backoff` prints (the real ReconnectionStrategy), so the
figure shows what the engine computes, not a second implementation of the formulas.

    build-resil/bin/aip-resilience-sim backoff 1 > /tmp/backoff.csv
    /usr/bin/python3 tools/plot_backoff.py /tmp/backoff.csv docs/img/backoff.png
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

JITTERS = ["none", "full", "equal", "decorrelated", "proportional"]
COLORS = {"none": "black", "full": "tab:blue", "equal": "tab:orange",
          "decorrelated": "tab:green", "proportional": "tab:red"}


def read_runs(path):
    """Return {(policy, jitter): {run: [(retry, delay_s), ...]}}."""
    runs = defaultdict(lambda: defaultdict(list))
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["policy"], row["jitter"])
            runs[key][int(row["run"])].append((int(row["retry"]), int(row["delay_ms"]) / 1000.0))
    return runs


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_backoff.py BACKOFF_CSV OUTPUT_PNG")
    runs = read_runs(sys.argv[1])

    figure, axes = plt.subplots(2, 5, figsize=(18, 7), sharex=True)
    for row, policy in enumerate(["exponential", "linear"]):
        baseline = runs[(policy, "none")][0]
        for column, jitter in enumerate(JITTERS):
            axis = axes[row][column]
            for points in runs[(policy, jitter)].values():
                retries, delays = zip(*points)
                axis.plot(retries, delays, marker="o", markersize=2.5, linewidth=0.8,
                          alpha=0.35 if jitter != "none" else 1.0, color=COLORS[jitter])
            retries, delays = zip(*baseline)
            axis.plot(retries, delays, linestyle="--", linewidth=1.2, color="black",
                      label="no jitter")
            axis.set_title(f"{policy}, jitter {jitter}", fontsize=10)
            axis.grid(True, alpha=0.3)
            if column == 0:
                axis.set_ylabel("delay before retry (s)")
            if row == 1:
                axis.set_xlabel("retry")
            axis.legend(fontsize=8, loc="upper left")

    figure.suptitle("Reconnection delays: initial 1 s, multiplier 2, cap 60 s (exponential) "
                    "or 10 s (linear); 20 seeded runs per jitter kind", fontsize=12)
    figure.tight_layout()
    figure.savefig(sys.argv[2], dpi=90)


if __name__ == "__main__":
    main()
